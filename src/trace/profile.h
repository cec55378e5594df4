/*
 * trace/profile.h - the guest profiler (--profile): the emu engine samples
 * the guest's instruction pointer every `period` retired instructions, the
 * profile attributes each sample to a symbol of the guest kernel (an ELF
 * .symtab or a System.map), to kernel or user mode and to the address space
 * (CR3) it ran in, and writes a flat table and flame-graph folded stacks at
 * exit.  Not the sampler's schedule: emu.c bounds x86_run()'s budget by the
 * instructions left to the next sample, so an unprofiled run pays nothing.
 */
#ifndef EMBER_TRACE_PROFILE_H
#define EMBER_TRACE_PROFILE_H

#include <stdint.h>

#include "x86/state.h"

#define PROFILE_DEFAULT_PERIOD 10007 /* prime: no lockstep with guest loops */

struct profile;

/*
 * A profile written to path (the flat table) and path.folded (the folded
 * stacks), one sample every period instructions.  Symbols from symbols (an
 * ELF with .symtab, or a System.map) or, when NULL, from kernel if it is an
 * ELF with a .symtab; without any, samples are named by their 4 KiB page.
 * Returns NULL with ember_error() set: the message names the file and what
 * is wrong with it.
 */
struct profile *profile_create(const char *path, uint64_t period, const char *symbols,
			       const char *kernel);
uint64_t profile_period(const struct profile *p);
/* One sample of a CPU's state between x86_run() calls; any vCPU thread. */
void profile_sample(struct profile *p, const struct x86_state *s);
/* Write both files; 0 or -errno with ember_error() set. */
int profile_write(struct profile *p, uint64_t insns);
void profile_free(struct profile *p);

#endif
