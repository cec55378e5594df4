/*
 * hostinfo.h - what kind of virtualization this host offers, so that
 * --accel auto can choose well and the user is told once what it means.
 */
#ifndef EMBER_HOSTINFO_H
#define EMBER_HOSTINFO_H

#include <stdbool.h>

enum host_kvm {
	HOST_KVM_NONE,     /* no usable /dev/kvm */
	HOST_KVM_HARDWARE, /* VT-x / AMD-V: guest kernels run natively */
	HOST_KVM_SOFTWARE, /* e.g. PVM: guest CPL0 and real mode emulated by the host */
};

struct hostinfo {
	enum host_kvm kvm;
	bool cpu_vmx, cpu_svm;  /* CPU flags in /proc/cpuinfo */
	bool pvm_module;        /* /sys/module/kvm_pvm present */
	bool hypervisor;        /* we are ourselves a guest */
	char kvm_error[256];    /* why /dev/kvm is unusable, when it is */
};

/* Is the kvm_pvm module (software KVM) loaded?  The one place that knows how
 * PVM shows itself; the KVM engine asks it for PVM's quirks. */
bool hostinfo_pvm_loaded(void);
/* Probe once (cheap: /proc/cpuinfo, /sys/module, open /dev/kvm). */
void hostinfo_probe(struct hostinfo *h);
const char *hostinfo_kvm_name(enum host_kvm k);
/* The one-paragraph explanation of a software KVM for users. */
const char *hostinfo_software_kvm_note(void);

#endif
