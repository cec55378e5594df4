/*
 * tools/difftest/kvm.c - the hardware side of the differential tester: one
 * KVM vCPU that runs a case from its CPL3 state until an exception stub halts.
 * Not ember's KVM engine (src/kvm); this is a minimal, self-contained oracle.
 * Follows the KVM API (Documentation/virt/kvm/api.rst): KVM_SET_SREGS/REGS, KVM_RUN.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include "dt.h"

struct kvm_engine {
	int sys, vm, vcpu;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;
	struct hostemu *he; /* NULL: host emulation is not observed */
	char he_why[160];
};

static void kvm_seg_to(struct kvm_segment *k, const struct x86_seg *s)
{
	memset(k, 0, sizeof(*k));
	k->base = s->base;
	k->limit = s->limit;
	k->selector = s->sel;
	k->type = s->type;
	k->present = s->present;
	k->dpl = s->dpl;
	k->db = s->db;
	k->s = s->s;
	k->l = s->l;
	k->g = s->g;
	k->avl = s->avl;
	k->unusable = s->unusable;
}

/* Fill kvm_sregs from x86_state: the one conversion the tester needs. */
static void kvm_sregs_from(struct kvm_sregs *k, const struct x86_state *s)
{
	static const int order[] = {X86_CS, X86_DS, X86_ES, X86_FS,
				    X86_GS, X86_SS, X86_TR, X86_LDTR};
	struct kvm_segment *dst[] = {&k->cs, &k->ds, &k->es, &k->fs,
				     &k->gs, &k->ss, &k->tr, &k->ldt};

	memset(k, 0, sizeof(*k));
	for (unsigned i = 0; i < 8; i++)
		kvm_seg_to(dst[i], &s->seg[order[i]]);
	k->gdt.base = s->gdt.base;
	k->gdt.limit = s->gdt.limit;
	k->idt.base = s->idt.base;
	k->idt.limit = s->idt.limit;
	k->cr0 = s->cr0;
	k->cr2 = s->cr2;
	k->cr3 = s->cr3;
	k->cr4 = s->cr4;
	k->cr8 = s->cr8;
	k->efer = s->efer;
	k->apic_base = s->apic_base;
}

/* A case whose guest does not halt within a second is reported, not waited on. */
static volatile sig_atomic_t kvm_timed_out;

static void kvm_alarm(int sig)
{
	kvm_timed_out = 1;
}

static int kvm_fail(char *why, size_t len, const char *what)
{
	int err = errno;

	snprintf(why, len, "%s: %s", what, strerror(err));
	return -err;
}

static int kvm_set_cpuid(struct kvm_engine *k)
{
	unsigned n = 256;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
	int r;

	if (!c)
		return -ENOMEM;
	c->nent = n;
	r = ioctl(k->sys, KVM_GET_SUPPORTED_CPUID, c);
	if (r == 0)
		r = ioctl(k->vcpu, KVM_SET_CPUID2, c);
	free(c);
	return r;
}

int kvm_engine_open(struct kvm_engine **out, char *why, size_t why_len)
{
	struct kvm_engine *k = calloc(1, sizeof(*k));
	struct kvm_userspace_memory_region region;
	int r = -ENOMEM;

	if (!k) {
		snprintf(why, why_len, "out of memory");
		return r;
	}
	k->sys = k->vm = k->vcpu = -1;
	k->sys = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (k->sys < 0) {
		r = kvm_fail(why, why_len, "/dev/kvm");
		goto fail;
	}
	if (ioctl(k->sys, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		snprintf(why, why_len, "/dev/kvm: unexpected API version");
		r = -EINVAL;
		goto fail;
	}
	k->vm = ioctl(k->sys, KVM_CREATE_VM, 0);
	if (k->vm < 0) {
		r = kvm_fail(why, why_len, "KVM_CREATE_VM");
		goto fail;
	}
	k->mem =
	    mmap(NULL, DT_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (k->mem == MAP_FAILED) {
		k->mem = NULL;
		r = kvm_fail(why, why_len, "mmap guest memory");
		goto fail;
	}
	region = (struct kvm_userspace_memory_region){
	    .slot = 0,
	    .guest_phys_addr = 0,
	    .memory_size = DT_MEM_SIZE,
	    .userspace_addr = (uintptr_t)k->mem,
	};
	if (ioctl(k->vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		r = kvm_fail(why, why_len, "KVM_SET_USER_MEMORY_REGION");
		goto fail;
	}
	k->vcpu = ioctl(k->vm, KVM_CREATE_VCPU, 0);
	if (k->vcpu < 0) {
		r = kvm_fail(why, why_len, "KVM_CREATE_VCPU");
		goto fail;
	}
	if (kvm_set_cpuid(k) < 0) {
		r = kvm_fail(why, why_len, "KVM_SET_CPUID2");
		goto fail;
	}
	k->run_size = ioctl(k->sys, KVM_GET_VCPU_MMAP_SIZE, 0);
	k->run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, k->vcpu, 0);
	if (k->run == MAP_FAILED) {
		k->run = NULL;
		r = kvm_fail(why, why_len, "mmap kvm_run");
		goto fail;
	}
	if (hostemu_open(&k->he, k->he_why, sizeof(k->he_why)) < 0)
		k->he = NULL;
	sigaction(SIGALRM, &(struct sigaction){.sa_handler = kvm_alarm}, NULL); /* no SA_RESTART */
	*out = k;
	return 0;
fail:
	kvm_engine_close(k);
	return r;
}

bool kvm_engine_watch(struct kvm_engine *k, char *why, size_t why_len)
{
	snprintf(why, why_len, "%s", k->he ? "" : k->he_why);
	return k->he != NULL;
}

uint8_t *kvm_engine_mem(struct kvm_engine *k)
{
	return k->mem;
}

int kvm_engine_run(struct kvm_engine *k, const struct x86_state *s, struct dt_outcome *o)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int r;

	memset(o, 0, sizeof(*o));
	kvm_sregs_from(&sregs, s);
	memset(&regs, 0, sizeof(regs));
	regs.rax = s->gpr[X86_RAX];
	regs.rbx = s->gpr[X86_RBX];
	regs.rcx = s->gpr[X86_RCX];
	regs.rdx = s->gpr[X86_RDX];
	regs.rsi = s->gpr[X86_RSI];
	regs.rdi = s->gpr[X86_RDI];
	regs.rsp = s->gpr[X86_RSP];
	regs.rbp = s->gpr[X86_RBP];
	regs.r8 = s->gpr[X86_R8];
	regs.r9 = s->gpr[X86_R9];
	regs.r10 = s->gpr[X86_R10];
	regs.r11 = s->gpr[X86_R11];
	regs.r12 = s->gpr[X86_R12];
	regs.r13 = s->gpr[X86_R13];
	regs.r14 = s->gpr[X86_R14];
	regs.r15 = s->gpr[X86_R15];
	regs.rip = s->rip;
	regs.rflags = s->rflags;
	if (ioctl(k->vcpu, KVM_SET_SREGS, &sregs) < 0 || ioctl(k->vcpu, KVM_SET_REGS, &regs) < 0)
		return kvm_fail(o->fail, sizeof(o->fail), "KVM_SET_(S)REGS");
	if (k->he)
		hostemu_drain(k->he, 0, &o->host_emulated); /* forget earlier records */
	kvm_timed_out = 0;
	setitimer(ITIMER_REAL, &(struct itimerval){.it_value = {.tv_sec = 1}}, NULL);
	do
		r = ioctl(k->vcpu, KVM_RUN, 0);
	while (r < 0 && (errno == EINTR || errno == EAGAIN) && !kvm_timed_out);
	setitimer(ITIMER_REAL, &(struct itimerval){0}, NULL);
	if (kvm_timed_out) {
		snprintf(o->fail, sizeof(o->fail), "the guest did not halt within 1 s");
		return -ETIMEDOUT;
	}
	if (r < 0)
		return kvm_fail(o->fail, sizeof(o->fail), "KVM_RUN");
	if (k->run->exit_reason != KVM_EXIT_HLT) {
		snprintf(o->fail, sizeof(o->fail),
			 "KVM exit reason %u (suberror %u) instead of HLT", k->run->exit_reason,
			 k->run->exit_reason == KVM_EXIT_INTERNAL_ERROR ? k->run->internal.suberror
									: 0);
		return -EIO;
	}
	if (k->he)
		hostemu_drain(k->he, s->rip, &o->host_emulated);
	if (ioctl(k->vcpu, KVM_GET_REGS, &regs) < 0)
		return kvm_fail(o->fail, sizeof(o->fail), "KVM_GET_REGS");
	o->gpr[X86_RAX] = regs.rax;
	o->gpr[X86_RBX] = regs.rbx;
	o->gpr[X86_RCX] = regs.rcx;
	o->gpr[X86_RDX] = regs.rdx;
	o->gpr[X86_RSI] = regs.rsi;
	o->gpr[X86_RDI] = regs.rdi;
	o->gpr[X86_RSP] = regs.rsp;
	o->gpr[X86_RBP] = regs.rbp;
	o->gpr[X86_R8] = regs.r8;
	o->gpr[X86_R9] = regs.r9;
	o->gpr[X86_R10] = regs.r10;
	o->gpr[X86_R11] = regs.r11;
	o->gpr[X86_R12] = regs.r12;
	o->gpr[X86_R13] = regs.r13;
	o->gpr[X86_R14] = regs.r14;
	o->gpr[X86_R15] = regs.r15;
	o->rip = regs.rip;
	o->rflags = regs.rflags;
	machine_read_outcome(k->mem, o);
	if (o->vector == 14) {
		if (ioctl(k->vcpu, KVM_GET_SREGS, &sregs) < 0)
			return kvm_fail(o->fail, sizeof(o->fail), "KVM_GET_SREGS");
		o->cr2 = sregs.cr2;
	}
	return 0;
}

void kvm_engine_close(struct kvm_engine *k)
{
	if (!k)
		return;
	if (k->run)
		munmap(k->run, k->run_size);
	if (k->mem)
		munmap(k->mem, DT_MEM_SIZE);
	if (k->vcpu >= 0)
		close(k->vcpu);
	if (k->vm >= 0)
		close(k->vm);
	if (k->sys >= 0)
		close(k->sys);
	hostemu_close(k->he);
	free(k);
}
