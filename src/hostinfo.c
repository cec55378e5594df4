/*
 * hostinfo.c - detect hardware-assisted vs software-based KVM (PVM).
 * PVM (a paravirtualised KVM that needs no VT-x/AMD-V) loads the kvm_pvm
 * module; the CPU then shows neither the vmx nor the svm flag.  Guest user
 * mode runs natively there, guest kernel and real-mode code do not.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hostinfo.h"
#include "kvm/kvm.h"
#include "util.h"

static void scan_cpu_flags(struct hostinfo *h)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return;
	char line[8192];
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		for (char *tok = strtok(strchr(line, ':') ? strchr(line, ':') + 1 : line, " \n");
		     tok; tok = strtok(NULL, " \n")) {
			if (!strcmp(tok, "vmx"))
				h->cpu_vmx = true;
			else if (!strcmp(tok, "svm"))
				h->cpu_svm = true;
			else if (!strcmp(tok, "hypervisor"))
				h->hypervisor = true;
		}
		break;
	}
	fclose(f);
}

bool hostinfo_pvm_loaded(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0;
}

void hostinfo_probe(struct hostinfo *h)
{
	memset(h, 0, sizeof(*h));
	scan_cpu_flags(h);
	h->pvm_module = hostinfo_pvm_loaded();
	int fd = kvm_open();
	if (fd < 0) {
		h->kvm = HOST_KVM_NONE;
		snprintf(h->kvm_error, sizeof(h->kvm_error), "%s", ember_last_error());
		return;
	}
	close(fd);
	if (h->pvm_module || !(h->cpu_vmx || h->cpu_svm))
		h->kvm = HOST_KVM_SOFTWARE;
	else
		h->kvm = HOST_KVM_HARDWARE;
}

const char *hostinfo_kvm_name(enum host_kvm k)
{
	switch (k) {
	case HOST_KVM_NONE:
		return "none";
	case HOST_KVM_HARDWARE:
		return "hardware (VT-x/AMD-V)";
	case HOST_KVM_SOFTWARE:
		return "software (PVM: no VT-x/AMD-V)";
	}
	return "?";
}

const char *hostinfo_software_kvm_note(void)
{
	return "/dev/kvm on this host is a software-based KVM (PVM; the CPU has no vmx/svm "
	       "flag): guest user mode (CPL3) runs natively, but guest kernel (CPL0) and "
	       "real-mode code are emulated by the host kernel one instruction at a time "
	       "(about 1.5-1.9 M instructions/s), and that emulator stops on some "
	       "instructions (e.g. lock cmpxchg16b, xrstor). Small guests run; a Linux "
	       "kernel will not boot at usable speed.";
}
