/*
 * trace/hostkvm.h - the host kernel's kvm: tracepoints for one vCPU thread,
 * read through perf_event_open and folded into ember's events, histograms
 * and counters.  Under KVM most CR, MSR and CPUID accesses and every
 * instruction the host emulates never reach user space; these records are
 * how ember sees them.  Not a tracefs text reader.  Follows
 * perf_event_open(2) and the tracepoints' own format files.
 */
#ifndef EMBER_TRACE_HOSTKVM_H
#define EMBER_TRACE_HOSTKVM_H

#include <stdbool.h>

struct hostkvm;
struct trace;
struct vcpu;

/*
 * From the vCPU's own thread (the events follow the calling thread).
 * NULL when the host does not permit it; the first failure prints one line
 * saying why and how to enable it, and hostkvm_status() keeps it.
 */
struct hostkvm *hostkvm_open(struct vcpu *v, struct trace *t);
/* Fold every record since the last call into the trace (vCPU thread). */
void hostkvm_drain(struct hostkvm *hk);
void hostkvm_close(struct hostkvm *hk);
/* "on", or why the host tracepoints are not read ("" before any attempt). */
const char *hostkvm_status(void);

#endif
