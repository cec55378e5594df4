/*
 * kvm/kvm.c - the KVM engine: /dev/kvm ioctls, memory slots from the memory
 * map, in-kernel irqchip and PIT, CPUID from KVM_GET_SUPPORTED_CPUID, and the
 * translation of struct kvm_run exits into struct vm_exit for the run loop.
 * Not the run loop (vm.c) and not the device model (devices/).
 * Follows Documentation/virt/kvm/api.rst (KVM API version 12).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hostinfo.h"
#include "irq.h"
#include "kvm/kvm.h"
#include "layout.h"
#include "trace/trace.h"
#include "util.h"
#include "vm.h"

struct kvm_vm {
	int kvm_fd;
	int vm_fd;
	int run_size;
	bool irqchip;
	struct kvm_cpuid2 *cpuid;
};

struct kvm_vcpu {
	int fd;
	struct kvm_run *run;
	/* --trace-first by single-stepping (KVM_GUESTDBG_SINGLESTEP): the
	 * instruction at RIP is not printed yet; guest debug is on. */
	bool step_pending;
	bool stepping;
	bool step_io; /* an I/O exit interrupted the current step */
};

static int kvm_ioctl_retry(int fd, unsigned long req, void *arg)
{
	int r;
	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r;
}

int kvm_open(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT)
			return ember_error(-e, "/dev/kvm: not found: this host has no KVM (load kvm_intel "
					       "or kvm_amd, or use --accel emu)");
		if (e == EACCES || e == EPERM)
			return ember_error(-e, "/dev/kvm: permission denied: add your user to the 'kvm' "
					       "group or run as root (or use --accel emu)");
		return ember_error(-e, "/dev/kvm: %s", strerror(e));
	}
	int v = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION) {
		close(fd);
		return ember_error(-ENOTSUP, "/dev/kvm: API version %d, ember needs %d", v,
				   KVM_API_VERSION);
	}
	return fd;
}

static const struct {
	int cap;
	const char *name;
} kvm_required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
	{ KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR" },
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	{ KVM_CAP_READONLY_MEM, "KVM_CAP_READONLY_MEM" },
};

static struct kvm_cpuid2 *kvm_supported_cpuid(int kvm_fd)
{
	for (int n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return NULL;
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG)
			return NULL;
	}
	return NULL;
}

static void kvm_kick_handler(int sig)
{
	(void)sig; /* only interrupts KVM_RUN */
}

/*
 * The router's inputs are GSIs as the MADT and MP table describe them
 * (irq.h): ISA IRQ n on 8259A input n and IOAPIC pin n, except IRQ0, the
 * PIT, on pin 2 (the interrupt source override) and IRQ2, the cascade, on
 * no pin; GSIs 16-23 on IOAPIC pins only.  KVM's default table routes GSI 0
 * to IOAPIC pin 0 (and GSI 2 to pin 2), which the tables do not say: a
 * guest that programs pin 2 for the timer would never see its in-kernel
 * PIT.  So the whole table is replaced once, before any vCPU runs.
 */
static int kvm_set_gsi_routing(int vm_fd)
{
	enum { MAX = 16 + IRQ_NR_INPUTS };
	/* The header and its entries in one allocation (the header ends in a
	 * flexible array, which may not sit inside another struct in ISO C). */
	struct kvm_irq_routing *t = calloc(1, sizeof(*t) + MAX * sizeof(t->entries[0]));
	if (!t)
		return -ENOMEM;
	unsigned n = 0;
	for (unsigned gsi = 0; gsi < 16; gsi++) {
		if (gsi == 2)
			continue;
		t->entries[n++] = (struct kvm_irq_routing_entry){
			.gsi = gsi,
			.type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
				       .pin = gsi % 8 },
		};
	}
	for (unsigned gsi = 0; gsi < IRQ_NR_INPUTS; gsi++) {
		if (gsi == 2)
			continue;
		t->entries[n++] = (struct kvm_irq_routing_entry){
			.gsi = gsi,
			.type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC, .pin = gsi == 0 ? 2 : gsi },
		};
	}
	t->nr = n;
	int r = ioctl(vm_fd, KVM_SET_GSI_ROUTING, t) < 0 ? -errno : 0;
	free(t);
	return r;
}

static int kvm_create(struct vm *vm)
{
	struct kvm_vm *k = calloc(1, sizeof(*k));
	if (!k)
		return ember_error(-ENOMEM, "kvm: out of memory");
	k->vm_fd = -1;
	vm->engine_data = k;
	k->kvm_fd = kvm_open();
	if (k->kvm_fd < 0)
		return k->kvm_fd;
	for (size_t i = 0; i < ARRAY_SIZE(kvm_required_caps); i++)
		if (ioctl(k->kvm_fd, KVM_CHECK_EXTENSION, kvm_required_caps[i].cap) <= 0)
			return ember_error(-ENOTSUP, "/dev/kvm: missing capability %s",
					   kvm_required_caps[i].name);
	int max = ioctl(k->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (max > 0 && vm->cfg->cpus > max)
		return ember_error(-EINVAL, "--cpus %d: this host's KVM allows at most %d",
				   vm->cfg->cpus, max);
	k->run_size = ioctl(k->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (k->run_size <= 0)
		return ember_error(-errno, "/dev/kvm: KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	k->vm_fd = kvm_ioctl_retry(k->kvm_fd, KVM_CREATE_VM, 0);
	if (k->vm_fd < 0)
		return ember_error(-errno, "/dev/kvm: KVM_CREATE_VM: %s", strerror(errno));
	/* Intel hosts without unrestricted guest run real mode in vm86 with
	 * these private pages (seeds/000); harmless elsewhere. */
	if (ioctl(k->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)LAYOUT_KVM_TSS) < 0)
		return ember_error(-errno, "kvm: KVM_SET_TSS_ADDR: %s", strerror(errno));
	uint64_t idmap = LAYOUT_KVM_IDENTITY_MAP;
	if (ioctl(k->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
		return ember_error(-errno, "kvm: KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
	/* Memory slots before the irqchip: on PVM the first slot registered
	 * after KVM_CREATE_IRQCHIP costs 7-14 ms, before it 0.03 ms (measured). */
	/*
	 * ROM is a read-only slot, so guest writes exit as MMIO and are dropped.
	 * Except on PVM: its in-kernel emulator never completes a write to a
	 * read-only slot (measured: a far jump through a GDT in ROM, which sets
	 * the descriptor's accessed bit, hangs the vCPU inside KVM_RUN), so
	 * there ROM is mapped writable and such writes stick, as in RAM.
	 */
	bool rom_readonly = !hostinfo_pvm_loaded();
	for (int i = 0; i < vm->mem.n; i++) {
		const struct memregion *r = &vm->mem.r[i];
		struct kvm_userspace_memory_region slot = {
			.slot = i,
			.flags = r->kind == MEMREGION_ROM && rom_readonly ? KVM_MEM_READONLY : 0,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uintptr_t)r->hva,
		};
		if (ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
			return ember_error(-errno, "kvm: memory slot %d (%s at %#llx): %s", i, r->name,
					   (unsigned long long)r->gpa, strerror(errno));
	}
	if (ioctl(k->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return ember_error(-errno, "kvm: KVM_CREATE_IRQCHIP: %s", strerror(errno));
	k->irqchip = true;
	int err = kvm_set_gsi_routing(k->vm_fd);
	if (err)
		return ember_error(err, "kvm: KVM_SET_GSI_ROUTING: %s", strerror(-err));
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	if (ioctl(k->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return ember_error(-errno, "kvm: KVM_CREATE_PIT2: %s", strerror(errno));
	k->cpuid = kvm_supported_cpuid(k->kvm_fd);
	if (!k->cpuid)
		return ember_error(-errno, "kvm: KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	struct sigaction sa = { .sa_handler = kvm_kick_handler };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	return 0;
}

static bool kvm_has_irqchip(struct vm *vm)
{
	const struct kvm_vm *k = vm->engine_data;
	return k && k->irqchip;
}

/* CPUID as KVM supports it, with this vCPU's APIC ID and the topology. */
static int kvm_set_cpuid(struct vcpu *vcpu, int fd)
{
	const struct kvm_vm *k = vcpu->vm->engine_data;
	size_t sz = sizeof(*k->cpuid) + k->cpuid->nent * sizeof(k->cpuid->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);
	if (!c)
		return -ENOMEM;
	memcpy(c, k->cpuid, sz);
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		if (e->function == 1) {
			e->ebx = (e->ebx & 0x0000FFFF) | ((uint32_t)vcpu->id << 24) |
				 ((uint32_t)vcpu->vm->ncpus << 16);
			if (vcpu->vm->ncpus > 1)
				e->edx |= 1u << 28; /* HTT: the logical count field is valid */
		} else if (e->function == 0xB || e->function == 0x1F) {
			e->edx = vcpu->id;
		}
	}
	int r = ioctl(fd, KVM_SET_CPUID2, c);
	free(c);
	return r < 0 ? -errno : 0;
}

static int kvm_vcpu_create(struct vcpu *vcpu)
{
	struct kvm_vm *k = vcpu->vm->engine_data;
	struct kvm_vcpu *kv = calloc(1, sizeof(*kv));
	if (!kv)
		return ember_error(-ENOMEM, "kvm: out of memory");
	vcpu->engine_data = kv;
	kv->fd = kvm_ioctl_retry(k->vm_fd, KVM_CREATE_VCPU, (void *)(uintptr_t)vcpu->id);
	if (kv->fd < 0)
		return ember_error(-errno, "kvm: KVM_CREATE_VCPU %d: %s", vcpu->id, strerror(errno));
	kv->run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, kv->fd, 0);
	if (kv->run == MAP_FAILED) {
		kv->run = NULL;
		return ember_error(-errno, "kvm: mmap of vCPU %d run area: %s", vcpu->id,
				   strerror(errno));
	}
	kv->step_pending = true;
	int r = kvm_set_cpuid(vcpu, kv->fd);
	if (r < 0)
		return ember_error(r, "kvm: KVM_SET_CPUID2 on vCPU %d: %s", vcpu->id, strerror(-r));
	return 0;
}

static void seg_to_kvm(struct kvm_segment *d, const struct x86_seg *s)
{
	*d = (struct kvm_segment){
		.base = s->base, .limit = s->limit, .selector = s->sel, .type = s->type,
		.present = s->present, .dpl = s->dpl, .db = s->db, .s = s->s, .l = s->l,
		.g = s->g, .avl = s->avl, .unusable = s->unusable,
	};
}

static void seg_from_kvm(struct x86_seg *d, const struct kvm_segment *s)
{
	*d = (struct x86_seg){
		.base = s->base, .limit = s->limit, .sel = s->selector, .type = s->type,
		.present = s->present, .dpl = s->dpl, .db = s->db, .s = s->s, .l = s->l,
		.g = s->g, .avl = s->avl, .unusable = s->unusable,
	};
}

/* MSRs that live in struct x86_state besides EFER (which is in sregs). */
#define KVM_STATE_MSRS(X)                                                                          \
	X(X86_MSR_STAR, star)                                                                      \
	X(X86_MSR_LSTAR, lstar)                                                                    \
	X(X86_MSR_CSTAR, cstar)                                                                    \
	X(X86_MSR_SFMASK, sfmask)                                                                  \
	X(X86_MSR_KERNEL_GS_BASE, kernel_gs_base)                                                  \
	X(X86_MSR_SYSENTER_CS, sysenter_cs)                                                        \
	X(X86_MSR_SYSENTER_ESP, sysenter_esp)                                                      \
	X(X86_MSR_SYSENTER_EIP, sysenter_eip)                                                      \
	X(X86_MSR_TSC_AUX, tsc_aux)                                                                \
	X(X86_MSR_PAT, pat)                                                                        \
	X(X86_MSR_MISC_ENABLE, misc_enable)

#define KVM_COUNT_MSR(idx, field) +1
enum { KVM_NR_STATE_MSRS = 0 KVM_STATE_MSRS(KVM_COUNT_MSR) };

/* struct kvm_msrs ends in a flexible array; a union gives it room (a member
 * after it would be a GNU extension that clang rejects). */
union kvm_msrs_buf {
	struct kvm_msrs hdr;
	uint8_t raw[sizeof(struct kvm_msrs) + KVM_NR_STATE_MSRS * sizeof(struct kvm_msr_entry)];
};

/* struct kvm_regs orders the GPRs rax rbx rcx rdx rsi rdi rsp rbp r8..r15. */
static const int kvm_gpr_order[16] = { X86_RAX, X86_RBX, X86_RCX, X86_RDX, X86_RSI, X86_RDI,
				       X86_RSP, X86_RBP, X86_R8,  X86_R9,  X86_R10, X86_R11,
				       X86_R12, X86_R13, X86_R14, X86_R15 };

static int kvm_set_state(struct vcpu *vcpu, const struct x86_state *s)
{
	struct kvm_vcpu *kv = vcpu->engine_data;
	struct kvm_regs regs;
	memset(&regs, 0, sizeof(regs));
	__u64 *g = &regs.rax;
	for (int i = 0; i < 16; i++)
		g[i] = s->gpr[kvm_gpr_order[i]];
	regs.rip = s->rip;
	regs.rflags = s->rflags | X86_FLAGS_FIXED;

	struct kvm_sregs sregs;
	if (ioctl(kv->fd, KVM_GET_SREGS, &sregs) < 0)
		return ember_error(-errno, "kvm: KVM_GET_SREGS: %s", strerror(errno));
	struct kvm_segment *segs[X86_NR_SEGS] = { &sregs.es, &sregs.cs, &sregs.ss, &sregs.ds,
						  &sregs.fs, &sregs.gs, &sregs.ldt, &sregs.tr };
	for (int i = 0; i < X86_NR_SEGS; i++)
		seg_to_kvm(segs[i], &s->seg[i]);
	sregs.gdt.base = s->gdt.base;
	sregs.gdt.limit = s->gdt.limit;
	sregs.idt.base = s->idt.base;
	sregs.idt.limit = s->idt.limit;
	sregs.cr0 = s->cr0;
	sregs.cr2 = s->cr2;
	sregs.cr3 = s->cr3;
	sregs.cr4 = s->cr4;
	sregs.cr8 = s->cr8;
	sregs.efer = s->efer;
	sregs.apic_base = s->apic_base;
	if (vcpu->id != 0)
		sregs.apic_base &= ~(1ULL << 8); /* only vCPU 0 is the BSP */
	memset(sregs.interrupt_bitmap, 0, sizeof(sregs.interrupt_bitmap));

	if (ioctl(kv->fd, KVM_SET_SREGS, &sregs) < 0)
		return ember_error(-errno, "kvm: KVM_SET_SREGS: %s", strerror(errno));
	if (ioctl(kv->fd, KVM_SET_REGS, &regs) < 0)
		return ember_error(-errno, "kvm: KVM_SET_REGS: %s", strerror(errno));

	union kvm_msrs_buf mb;
	memset(&mb, 0, sizeof(mb));
	int n = 0;
#define KVM_PUT_MSR(idx, field) mb.hdr.entries[n].index = idx, mb.hdr.entries[n++].data = s->field;
	KVM_STATE_MSRS(KVM_PUT_MSR)
#undef KVM_PUT_MSR
	mb.hdr.nmsrs = n;
	int done = ioctl(kv->fd, KVM_SET_MSRS, &mb);
	if (done != n)
		return ember_error(-EINVAL, "kvm: KVM_SET_MSRS: set %d of %d (MSR %#x refused)", done,
				   n, done >= 0 && done < n ? mb.hdr.entries[done].index : 0);

	/* The x87/SSE state in the one layout both engines share (state.h),
	 * and XCR0.  Untested on this project's machines (no /dev/kvm). */
	struct kvm_xcrs xcrs;
	memset(&xcrs, 0, sizeof(xcrs));
	xcrs.nr_xcrs = 1;
	xcrs.xcrs[0].xcr = 0;
	xcrs.xcrs[0].value = s->xcr0;
	if (ioctl(kv->fd, KVM_SET_XCRS, &xcrs) < 0)
		return ember_error(-errno, "kvm: KVM_SET_XCRS (XCR0 %#llx): %s",
				   (unsigned long long)s->xcr0, strerror(errno));
	struct kvm_xsave xs;
	x86_fpu_save_image(s, (uint8_t *)xs.region, sizeof(xs.region));
	if (ioctl(kv->fd, KVM_SET_XSAVE, &xs) < 0)
		return ember_error(-errno, "kvm: KVM_SET_XSAVE: %s", strerror(errno));
	return 0;
}

static int kvm_get_state(struct vcpu *vcpu, struct x86_state *s)
{
	struct kvm_vcpu *kv = vcpu->engine_data;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	if (ioctl(kv->fd, KVM_GET_REGS, &regs) < 0 || ioctl(kv->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	memset(s, 0, sizeof(*s));
	const __u64 *g = &regs.rax;
	for (int i = 0; i < 16; i++)
		s->gpr[kvm_gpr_order[i]] = g[i];
	s->rip = regs.rip;
	s->rflags = regs.rflags;
	const struct kvm_segment *segs[X86_NR_SEGS] = { &sregs.es, &sregs.cs, &sregs.ss,
							&sregs.ds, &sregs.fs, &sregs.gs,
							&sregs.ldt, &sregs.tr };
	for (int i = 0; i < X86_NR_SEGS; i++)
		seg_from_kvm(&s->seg[i], segs[i]);
	s->gdt.base = sregs.gdt.base;
	s->gdt.limit = sregs.gdt.limit;
	s->idt.base = sregs.idt.base;
	s->idt.limit = sregs.idt.limit;
	s->cr0 = sregs.cr0;
	s->cr2 = sregs.cr2;
	s->cr3 = sregs.cr3;
	s->cr4 = sregs.cr4;
	s->cr8 = sregs.cr8;
	s->efer = sregs.efer;
	s->apic_base = sregs.apic_base;

	union kvm_msrs_buf mb;
	memset(&mb, 0, sizeof(mb));
	int n = 0;
#define KVM_ASK_MSR(idx, field) mb.hdr.entries[n++].index = idx;
	KVM_STATE_MSRS(KVM_ASK_MSR)
#undef KVM_ASK_MSR
	mb.hdr.nmsrs = n;
	if (ioctl(kv->fd, KVM_GET_MSRS, &mb) == n) {
		n = 0;
#define KVM_GET_MSR(idx, field) s->field = mb.hdr.entries[n++].data;
		KVM_STATE_MSRS(KVM_GET_MSR)
#undef KVM_GET_MSR
	}
	struct kvm_xcrs xcrs;
	if (ioctl(kv->fd, KVM_GET_XCRS, &xcrs) == 0)
		for (unsigned i = 0; i < xcrs.nr_xcrs; i++)
			if (xcrs.xcrs[i].xcr == 0)
				s->xcr0 = xcrs.xcrs[i].value;
	struct kvm_xsave xs;
	if (ioctl(kv->fd, KVM_GET_XSAVE, &xs) == 0 &&
	    x86_fpu_load_image(s, (const uint8_t *)xs.region, sizeof(xs.region)) < 0)
		return ember_error(-EINVAL, "kvm: the guest's XSAVE state has components beyond "
					    "x87 and SSE, which ember's CPU state cannot hold");
	struct kvm_vcpu_events ev;
	if (ioctl(kv->fd, KVM_GET_VCPU_EVENTS, &ev) == 0) {
		s->exception.pending = ev.exception.injected || ev.exception.pending;
		s->exception.vector = ev.exception.nr;
		s->exception.has_error = ev.exception.has_error_code;
		s->exception.error = ev.exception.error_code;
		s->interrupt.pending = ev.interrupt.injected;
		s->interrupt.vector = ev.interrupt.nr;
		s->nmi_pending = ev.nmi.pending;
		s->sti_shadow = ev.interrupt.shadow & KVM_X86_SHADOW_INT_STI;
		s->movss_shadow = ev.interrupt.shadow & KVM_X86_SHADOW_INT_MOV_SS;
	}
	struct kvm_mp_state mp;
	if (ioctl(kv->fd, KVM_GET_MP_STATE, &mp) == 0)
		s->halted = mp.mp_state == KVM_MP_STATE_HALTED;
	return 0;
}

static const char *kvm_exit_name(uint32_t r)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN",
		[KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO",
		[KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG",
		[KVM_EXIT_HLT] = "HLT",
		[KVM_EXIT_MMIO] = "MMIO",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
		[KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
		[KVM_EXIT_INTR] = "INTR",
		[KVM_EXIT_SET_TPR] = "SET_TPR",
		[KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
		[KVM_EXIT_NMI] = "NMI",
		[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
	};
	return r < ARRAY_SIZE(names) && names[r] ? names[r] : "?";
}

static int kvm_guest_debug(struct kvm_vcpu *kv, bool step)
{
	struct kvm_guest_debug dbg = {
		.control = step ? KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP : 0,
	};
	if (ioctl(kv->fd, KVM_SET_GUEST_DEBUG, &dbg) < 0)
		return ember_error(-errno, "--trace-first: KVM_SET_GUEST_DEBUG: %s", strerror(errno));
	kv->stepping = step;
	return 0;
}

/*
 * --trace-first under KVM: print the instruction at RIP before each of the
 * first N single steps (one KVM_EXIT_DEBUG per instruction); an I/O exit in
 * the middle of a step does not print twice.  Observation only: the guest
 * runs the same instructions either way.
 */
static int kvm_trace_first(struct vcpu *vcpu, struct kvm_vcpu *kv, struct trace *t)
{
	if (t->first_done >= t->first_n) {
		if (kv->stepping && kv->step_pending)
			return kvm_guest_debug(kv, false);
		return 0;
	}
	if (!kv->step_pending)
		return 0;
	struct x86_state s;
	if (kvm_get_state(vcpu, &s) < 0)
		return ember_error(-errno, "--trace-first: cannot read vCPU state: %s",
				   strerror(errno));
	enum x86_mode m = x86_state_mode(&s);
	uint64_t linear = s.seg[X86_CS].base + s.rip, phys = UINT64_MAX;
	if (m != X86_MODE_LONG64)
		linear &= 0xFFFFFFFFULL;
	uint8_t bytes[15];
	int n = 0;
	if (kvm_translate(vcpu, linear, &phys) == 0)
		for (; n < (int)sizeof(bytes); n++) {
			const uint8_t *p = memmap_ptr(&vcpu->vm->mem, phys + n, 1);
			if (!p)
				break;
			bytes[n] = *p;
		}
	int len = x86_insn_length(bytes, n, trace_mode_bits(m));
	trace_first_insn(t, &s, linear, phys, bytes, len > 0 ? (unsigned)len : (unsigned)n);
	t->first_done++;
	kv->step_pending = false;
	return kv->stepping ? 0 : kvm_guest_debug(kv, true);
}

static int kvm_run_vcpu(struct vcpu *vcpu, struct vm_exit *exit)
{
	struct kvm_vcpu *kv = vcpu->engine_data;
	struct kvm_run *run = kv->run;
	struct trace *t = vcpu->vm->trace;
	memset(exit, 0, sizeof(*exit));
	if (vm_stopping(vcpu->vm)) {
		exit->reason = VMEXIT_NONE;
		return 0;
	}
	if (kv->step_io) {
		/* This host finishes an interrupted I/O instruction and runs the
		 * next one before reporting the step; complete the I/O alone
		 * (immediate_exit: KVM_RUN completes it and returns EINTR). */
		kv->step_io = false;
		__atomic_store_n(&run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		int r = ioctl(kv->fd, KVM_RUN, 0);
		__atomic_store_n(&run->immediate_exit, 0, __ATOMIC_SEQ_CST);
		if (r < 0 && errno != EINTR)
			return ember_error(-errno, "kvm: KVM_RUN on vCPU %d: %s", vcpu->id,
					   strerror(errno));
		kv->step_pending = true;
	}
	if (t && t->first_n && vcpu->id == 0) {
		int r = kvm_trace_first(vcpu, kv, t);
		if (r < 0)
			return r;
	}
	if (ioctl(kv->fd, KVM_RUN, 0) < 0) {
		run->immediate_exit = 0;
		if (errno == EINTR || errno == EAGAIN) {
			exit->reason = VMEXIT_NONE;
			return 0;
		}
		return ember_error(-errno, "kvm: KVM_RUN on vCPU %d: %s", vcpu->id,
				   strerror(errno));
	}
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		exit->reason = VMEXIT_IO;
		exit->io.port = run->io.port;
		exit->io.size = run->io.size;
		exit->io.is_write = run->io.direction == KVM_EXIT_IO_OUT;
		exit->io.count = run->io.count;
		exit->io.data = (uint8_t *)run + run->io.data_offset;
		kv->step_io = kv->stepping;
		break;
	case KVM_EXIT_MMIO:
		exit->reason = VMEXIT_MMIO;
		exit->mmio.gpa = run->mmio.phys_addr;
		exit->mmio.size = run->mmio.len;
		exit->mmio.is_write = run->mmio.is_write;
		exit->mmio.data = run->mmio.data;
		kv->step_io = kv->stepping;
		break;
	case KVM_EXIT_HLT:
		exit->reason = VMEXIT_HLT;
		break;
	case KVM_EXIT_INTR:
		exit->reason = VMEXIT_NONE;
		break;
	case KVM_EXIT_SHUTDOWN:
		exit->reason = VMEXIT_SHUTDOWN;
		snprintf(exit->fail.what, sizeof(exit->fail.what),
			 "KVM_EXIT_SHUTDOWN: the guest triple-faulted");
		break;
	case KVM_EXIT_FAIL_ENTRY:
		exit->reason = VMEXIT_FAIL_ENTRY;
		exit->fail.code = run->fail_entry.hardware_entry_failure_reason;
		snprintf(exit->fail.what, sizeof(exit->fail.what),
			 "KVM_EXIT_FAIL_ENTRY: hardware entry failure reason %#llx",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR: {
		static const char *const sub[] = {
			[KVM_INTERNAL_ERROR_EMULATION] = "emulation failure: the host kernel's "
							 "instruction emulator could not run the "
							 "instruction",
			[KVM_INTERNAL_ERROR_SIMUL_EX] = "simultaneous exceptions",
			[KVM_INTERNAL_ERROR_DELIVERY_EV] = "event delivery failed",
		};
		uint32_t s = run->internal.suberror;
		exit->reason = VMEXIT_INTERNAL_ERROR;
		exit->fail.code = s;
		snprintf(exit->fail.what, sizeof(exit->fail.what),
			 "KVM_EXIT_INTERNAL_ERROR suberror %u: %s", s,
			 s < ARRAY_SIZE(sub) && sub[s] ? sub[s] : "unknown");
		break;
	}
	case KVM_EXIT_SYSTEM_EVENT:
		exit->reason = VMEXIT_SYSTEM_EVENT;
		exit->fail.code = run->system_event.type;
		break;
	case KVM_EXIT_DEBUG:
		exit->reason = VMEXIT_DEBUG;
		kv->step_pending = true;
		break;
	default:
		exit->reason = VMEXIT_UNKNOWN;
		exit->fail.code = run->exit_reason;
		snprintf(exit->fail.what, sizeof(exit->fail.what), "unexpected KVM exit %u (%s)",
			 run->exit_reason, kvm_exit_name(run->exit_reason));
		break;
	}
	return 0;
}

static void kvm_kick(struct vcpu *vcpu)
{
	struct kvm_vcpu *kv = vcpu->engine_data;
	if (!kv || !kv->run)
		return;
	__atomic_store_n(&kv->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (vcpu->thread && !pthread_equal(vcpu->thread, pthread_self()))
		pthread_kill(vcpu->thread, SIGUSR1);
}

/* The router's inputs are the in-kernel irqchip's default GSIs. */
static int kvm_irq_line(struct vm *vm, unsigned input, int level)
{
	struct kvm_vm *k = vm->engine_data;
	struct kvm_irq_level l = { .irq = input, .level = level };
	return ioctl(k->vm_fd, KVM_IRQ_LINE, &l) < 0 ? -errno : 0;
}

static int kvm_irq_msi(struct vm *vm, uint64_t addr, uint32_t data)
{
	struct kvm_vm *k = vm->engine_data;
	struct kvm_msi m = { .address_lo = (uint32_t)addr, .address_hi = addr >> 32, .data = data };
	/* 0: the guest blocked it (masked): not an error. */
	return ioctl(k->vm_fd, KVM_SIGNAL_MSI, &m) < 0 ? -errno : 0;
}

int kvm_translate(struct vcpu *vcpu, uint64_t linear, uint64_t *gpa)
{
	struct kvm_vcpu *kv = vcpu->engine_data;
	struct kvm_translation t = { .linear_address = linear };
	if (ioctl(kv->fd, KVM_TRANSLATE, &t) < 0 || !t.valid)
		return -EFAULT;
	*gpa = t.physical_address;
	return 0;
}

int kvm_vcpu_fd(struct vcpu *vcpu)
{
	const struct kvm_vcpu *kv = vcpu->engine_data;
	return kv ? kv->fd : -1;
}

static void kvm_destroy(struct vm *vm)
{
	struct kvm_vm *k = vm->engine_data;
	if (!k)
		return;
	for (int i = 0; i < vm->ncpus; i++) {
		struct kvm_vcpu *kv = vm->vcpus[i].engine_data;
		if (!kv)
			continue;
		if (kv->run)
			munmap(kv->run, k->run_size);
		if (kv->fd >= 0)
			close(kv->fd);
		free(kv);
		vm->vcpus[i].engine_data = NULL;
	}
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	if (k->kvm_fd >= 0)
		close(k->kvm_fd);
	free(k->cpuid);
	free(k);
	vm->engine_data = NULL;
}

const struct engine engine_kvm = {
	.name = "kvm",
	.create = kvm_create,
	.vcpu_create = kvm_vcpu_create,
	.set_state = kvm_set_state,
	.get_state = kvm_get_state,
	.run = kvm_run_vcpu,
	.kick = kvm_kick,
	.irq_line = kvm_irq_line,
	.irq_msi = kvm_irq_msi,
	.translate = kvm_translate,
	.has_irqchip = kvm_has_irqchip,
	.destroy = kvm_destroy,
};
