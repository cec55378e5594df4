/*
 * emu/emu.c - the emulator engine: ember's own x86 emulator (src/x86) driving
 * the same machine as KVM.  This file is the adapter that backs one struct
 * x86_ops per vCPU with the memory map, the two buses, that vCPU's local
 * APIC (its MMIO page and MSRs) and the interrupt router, and turns
 * x86_run()'s returns into run-loop exits.  Not the emulator itself, not
 * the interrupt controllers (irq.c, devices/).  Each vCPU runs on its own
 * thread (vm.c), all of them CPUs of one emulated machine
 * (x86_cpu_new_sibling); time (the TSC, every timer) is the VM clock.
 */
#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "devices/lapic.h"
#include "emu/cpuid.h"
#include "irq.h"
#include "layout.h"
#include "shadow.h"
#include "trace/profile.h"
#include "trace/trace.h"
#include "util.h"
#include "vm.h"
#include "x86/x86.h"

/* Instructions per x86_run() call at most: bounds the latency of stop
 * requests (about a millisecond at emulator speed).  Timers need no slice:
 * the clock thread kicks, or (--clock virtual) the slice ends at the next
 * deadline. */
#define EMU_BUDGET 100000

/* --clock virtual with several vCPUs, all on one thread in turn
 * (vm_one_thread): each turn is at most this many instructions, so a vCPU
 * spinning on a lock another holds gives way within 10 us of guest time. */
#define EMU_TURN 10000

/* One vCPU: its emulator instance and what the adapter keeps beside it. */
struct emu_cpu {
	struct vm *vm;
	int id;
	struct x86_cpu *cpu;
	struct lapic *lapic;
	struct x86_ops ops; /* emu_ops, plus the trace hooks when observed */
	pthread_mutex_t lock;
	pthread_cond_t wake; /* kicked: an interrupt, INIT/SIPI or a stop */
	bool kicked;	     /* under lock: a kick since the last wait */
	pthread_t thread;    /* the thread in emu_run(), set at its first run */
	bool wait_sipi;	     /* an AP before its SIPI, or any CPU after INIT */
	uint8_t cr8_seen;    /* CR8 as last exchanged with the local APIC's TPR */
	int acked;	     /* vector of the last interrupt acknowledge, or -1 */
	uint64_t halt_insns; /* instructions executed when it did */
	bool halted;	     /* the last x86_run() ended in HLT (count HLTs once) */
	uint64_t prof_left;  /* --profile: instructions to the next sample */
	unsigned shadow_gen; /* the BIOS area's routing its cached pointers follow */
	/* The instruction being executed, kept while --trace mode is on so a
	 * mode change can name the instruction that caused it. */
	uint64_t insn_rip, insn_cs_base;
	uint8_t insn_bytes[16];
	unsigned insn_len;
	int insn_bits;
	/* --stats: real-mode instructions run with a segment limit above 64 KiB
	 * ("big real" mode), counted from the mode change that entered it to
	 * the one that left it: a real-mode segment load keeps the limit, so
	 * only a mode change (or a reset, INIT or SIPI) can start or end it. */
	bool bigreal;
	uint64_t bigreal_mark, bigreal_done;
	struct cpuid_model model; /* the CPU the platform presents (emu/cpuid.h) */
	struct cpu_msrs msrs;	  /* the vCPU's platform MSRs */
};

static uint8_t *emu_ram_page(void *opaque, uint64_t gpa, bool write)
{
	struct emu_cpu *e = opaque;
	gpa = shadow_a20(&e->vm->mem, gpa);
	/* The BIOS area's shadow DRAM, where the chipset sends this access. */
	uint8_t *sh = shadow_ptr(&e->vm->mem, gpa, write);
	if (sh)
		return sh;
	const struct memregion *r = memmap_find(&e->vm->mem, gpa);
	if (!r || (write && r->kind == MEMREGION_ROM) || gpa - r->gpa + 4096 > r->size)
		return NULL;
	return r->hva + (gpa - r->gpa);
}

/* The local APIC page is per CPU: each CPU sees its own at its base. */
static bool emu_is_lapic(struct emu_cpu *e, uint64_t gpa)
{
	uint64_t base = lapic_mmio_base(e->lapic);
	return base != UINT64_MAX && gpa - base < LAYOUT_LAPIC_SIZE;
}

/* TPR and CR8 are one register (SDM 10.8.6.1): after the guest changed the
 * APIC's, the CPU's CR8 follows. */
static void emu_cr8_from_lapic(struct emu_cpu *e)
{
	e->cr8_seen = lapic_get_cr8(e->lapic);
	x86_cpu_state(e->cpu)->cr8 = e->cr8_seen;
}

/* ...and after MOV CR8, the APIC's TPR follows (before any priority test). */
static void emu_cr8_to_lapic(struct emu_cpu *e)
{
	uint8_t cr8 = x86_cpu_state(e->cpu)->cr8;
	if (cr8 != e->cr8_seen) {
		lapic_set_cr8(e->lapic, cr8);
		e->cr8_seen = cr8;
	}
}

static void emu_phys_read(void *opaque, uint64_t gpa, void *buf, unsigned len)
{
	struct emu_cpu *e = opaque;
	gpa = shadow_a20(&e->vm->mem, gpa);
	uint8_t *sh = shadow_ptr(&e->vm->mem, gpa, false);
	if (sh) { /* a piece never crosses a page, so never a segment */
		memcpy(buf, sh, len);
		return;
	}
	const struct memregion *r = memmap_find(&e->vm->mem, gpa);
	if (r && gpa - r->gpa + len <= r->size) {
		memcpy(buf, r->hva + (gpa - r->gpa), len);
		return;
	}
	uint64_t v;
	if (emu_is_lapic(e, gpa)) {
		emu_cr8_to_lapic(e);
		v = lapic_mmio_read(e->lapic, gpa - lapic_mmio_base(e->lapic), len);
	} else {
		v = bus_read(&e->vm->mmio, gpa, len);
	}
	memcpy(buf, &v, len);
}

static void emu_phys_write(void *opaque, uint64_t gpa, const void *buf, unsigned len)
{
	struct emu_cpu *e = opaque;
	gpa = shadow_a20(&e->vm->mem, gpa);
	uint8_t *sh = shadow_ptr(&e->vm->mem, gpa, true);
	if (sh) {
		memcpy(sh, buf, len);
		return;
	}
	const struct memregion *r = memmap_find(&e->vm->mem, gpa);
	if (r) {
		if (r->kind == MEMREGION_RAM && gpa - r->gpa + len <= r->size)
			memcpy(r->hva + (gpa - r->gpa), buf, len);
		return; /* ROM: dropped, as the chip would */
	}
	uint64_t v = 0;
	memcpy(&v, buf, len);
	if (emu_is_lapic(e, gpa)) {
		emu_cr8_to_lapic(e);
		lapic_mmio_write(e->lapic, gpa - lapic_mmio_base(e->lapic), len, v);
		emu_cr8_from_lapic(e);
		return;
	}
	bus_write(&e->vm->mmio, gpa, len, v);
}

static uint32_t emu_pio_in(void *opaque, uint16_t port, unsigned size)
{
	struct emu_cpu *e = opaque;
	return bus_read(&e->vm->pio, port, size);
}

static void emu_pio_out(void *opaque, uint16_t port, unsigned size, uint32_t val)
{
	struct emu_cpu *e = opaque;
	bus_write(&e->vm->pio, port, size, val);
	/* A PAM or A20 write re-routed the CPU's accesses: end the slice so the cached
	 * page pointers go before the next instruction (emu_run). */
	if (shadow_gen(&e->vm->mem) != e->shadow_gen)
		x86_cpu_kick(e->cpu);
}

static bool emu_lapic_msr(uint32_t msr)
{
	return msr == MSR_IA32_APIC_BASE || msr == MSR_IA32_TSC_DEADLINE ||
	       (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST);
}

static int emu_rdmsr(void *opaque, uint32_t msr, uint64_t *val)
{
	struct emu_cpu *e = opaque;
	if (emu_lapic_msr(msr)) {
		emu_cr8_to_lapic(e);
		return lapic_rdmsr(e->lapic, msr, val);
	}
	return cpu_msrs_read(&e->msrs, msr, val);
}

static int emu_wrmsr(void *opaque, uint32_t msr, uint64_t val)
{
	struct emu_cpu *e = opaque;
	if (emu_lapic_msr(msr)) {
		emu_cr8_to_lapic(e);
		int r = lapic_wrmsr(e->lapic, msr, val);
		emu_cr8_from_lapic(e);
		return r;
	}
	return cpu_msrs_write(&e->msrs, msr, val, vclock_now(e->vm->clock));
}

static uint64_t emu_rdtsc(void *opaque)
{
	struct emu_cpu *e = opaque;
	/* EMBER_TSC_HZ: guest ns, plus this CPU's IA32_TSC_ADJUST */
	return cpu_msrs_tsc(&e->msrs, vclock_now(e->vm->clock));
}

static void emu_cpuid(void *opaque, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	struct emu_cpu *e = opaque;
	cpuid_model_leaf(&e->model, (uint32_t)e->id, leaf, subleaf, out);
}

static bool emu_intr_pending(void *opaque)
{
	struct emu_cpu *e = opaque;
	emu_cr8_to_lapic(e);
	return irq_cpu_pending(e->vm->irq, e->id);
}

static int emu_intr_ack(void *opaque)
{
	struct emu_cpu *e = opaque;
	e->acked = irq_cpu_ack(e->vm->irq, e->id);
	return e->acked;
}

/* An unmasked x87 exception with CR0.NE clear: FERR#, which a PC turns into
 * an edge on IRQ 13 (SDM vol. 1, D.2.1). */
static void emu_ferr(void *opaque)
{
	struct emu_cpu *e = opaque;
	irq_set(e->vm->irq, LAYOUT_IRQ_FERR, 1);
	irq_set(e->vm->irq, LAYOUT_IRQ_FERR, 0);
}

/* ---- trace hooks (installed only when the VM is observed) ---- */

static void emu_trace_insn(void *opaque, struct x86_cpu *cpu, uint64_t linear, uint64_t phys,
			   const uint8_t *bytes, unsigned len)
{
	struct emu_cpu *e = opaque;
	struct trace *t = e->vm->trace;
	const struct x86_state *s = x86_cpu_state(cpu);
	enum x86_mode m = x86_state_mode(s);
	e->insn_rip = s->rip;
	e->insn_cs_base = s->seg[X86_CS].base;
	e->insn_len = len < sizeof(e->insn_bytes) ? len : sizeof(e->insn_bytes);
	memcpy(e->insn_bytes, bytes, e->insn_len);
	e->insn_bits = trace_mode_bits(m);
	if (t->first_done < t->first_n) {
		trace_first_insn(t, s, linear, phys, bytes, len);
		t->first_done++;
		if (t->first_done == t->first_n && !trace_on(t, TRACE_INSN) &&
		    !trace_on(t, TRACE_MODE) && !trace_on(t, TRACE_CR))
			x86_cpu_set_trace(cpu, 0);
	}
	trace_on_insn(t, e->id, "emu", m, s->seg[X86_CS].base, s->rip, linear, phys, bytes, len);
	/* The emulator reports CR writes itself; a read (MOV r, CRn) leaves
	 * the register as it is now, so its value is read here.  Only at CPL0
	 * and for registers that exist: otherwise the read faults (#GP/#UD). */
	bool write = false;
	int cr = trace_on(t, TRACE_CR) ? trace_insn_cr(bytes, len, e->insn_bits, &write) : -1;
	bool cpl0 = m == X86_MODE_REAL || (m != X86_MODE_V86 && s->seg[X86_CS].dpl == 0);
	const uint64_t crs[9] = { [0] = s->cr0, [2] = s->cr2, [3] = s->cr3, [4] = s->cr4,
				  [8] = s->cr8 };
	if (cpl0 && !write && (cr == 0 || cr == 2 || cr == 3 || cr == 4 || cr == 8))
		trace_on_cr(t, e->id, cr, crs[cr], false, s->rip, true);
}

static void emu_trace_cr(void *opaque, int cr, uint64_t old_val, uint64_t new_val, bool write)
{
	struct emu_cpu *e = opaque;
	trace_on_cr(e->vm->trace, e->id, cr, write ? new_val : old_val, write, e->insn_rip, true);
}

/* Real mode with any segment's limit above 0xFFFF (state s). */
static bool emu_big_real(const struct x86_state *s)
{
	if (x86_state_mode(s) != X86_MODE_REAL)
		return false;
	for (int i = 0; i < 6; i++)
		if (s->seg[i].limit > 0xFFFF)
			return true;
	return false;
}

/* The CPU's mode changes (or changed: reset, INIT, SIPI, a loaded state):
 * close the big-real stretch that ends, open the one that starts.  During
 * a mode change the instruction making it has not retired yet and counts
 * in the mode it began in; after a state change nothing is pending. */
static void emu_bigreal_update(struct emu_cpu *e, bool big, bool pending)
{
	uint64_t real = x86_cpu_stats(e->cpu)->insns[X86_MODE_REAL] + pending;
	if (e->bigreal)
		e->bigreal_done += real - e->bigreal_mark;
	e->bigreal = big;
	e->bigreal_mark = real;
}

static void emu_trace_mode(void *opaque, enum x86_mode from, enum x86_mode to, uint64_t rip)
{
	struct emu_cpu *e = opaque;
	emu_bigreal_update(e, to == X86_MODE_REAL && emu_big_real(x86_cpu_state(e->cpu)),
			   from == X86_MODE_REAL);
	bool have = e->insn_len && e->insn_rip == rip;
	trace_on_mode(e->vm->trace, e->id, from, to, have ? e->insn_cs_base : 0, rip, e->insn_bytes,
		      have ? e->insn_len : 0, e->insn_bits);
}

static void emu_trace_event(void *opaque, uint8_t vector, bool has_error, uint32_t error,
			    bool is_exception, uint64_t rip)
{
	struct emu_cpu *e = opaque;
	/* An external interrupt is the vector the last acknowledge gave the
	 * CPU; any other non-exception delivery is a software INT n. */
	enum trace_vector_kind kind = is_exception		? TRACE_VEC_EXCEPTION
				      : e->acked == (int)vector ? TRACE_VEC_EXTERNAL
								: TRACE_VEC_SOFTWARE;
	e->acked = -1;
	trace_on_event(e->vm->trace, e->id, vector, has_error, error, kind, rip);
}

static void emu_trace_msr(void *opaque, uint32_t msr, uint64_t val, bool write)
{
	struct emu_cpu *e = opaque;
	trace_on_msr(e->vm->trace, e->id, msr, val, write);
	/* The emulator reports EFER writes through trace_cr itself. */
	if (msr == X86_MSR_EFER && !write)
		trace_on_cr(e->vm->trace, e->id, -1, val, false, e->insn_rip, true);
}

static void emu_trace_cpuid(void *opaque, uint32_t leaf, uint32_t subleaf, const uint32_t out[4])
{
	struct emu_cpu *e = opaque;
	trace_on_cpuid(e->vm->trace, e->id, leaf, subleaf, out);
}

static const struct x86_ops emu_ops = {
	.ram_page = emu_ram_page,
	.phys_read = emu_phys_read,
	.phys_write = emu_phys_write,
	.pio_in = emu_pio_in,
	.pio_out = emu_pio_out,
	.rdmsr = emu_rdmsr,
	.wrmsr = emu_wrmsr,
	.cpuid = emu_cpuid,
	.rdtsc = emu_rdtsc,
	.intr_pending = emu_intr_pending,
	.intr_ack = emu_intr_ack,
	.ferr = emu_ferr,
};

static int emu_create(struct vm *vm)
{
	return 0;
}

static bool emu_has_irqchip(struct vm *vm)
{
	return false;
}

static int emu_vcpu_create(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct emu_cpu *e = calloc(1, sizeof(*e));
	if (!e)
		return ember_error(-ENOMEM, "emu: out of memory for vCPU %d", vcpu->id);
	e->vm = vm;
	e->id = vcpu->id;
	e->acked = -1;
	e->lapic = irq_lapic(vm->irq, vcpu->id);
	e->model = (struct cpuid_model){.ncpus = (unsigned)vm->ncpus, .lapic = true};
	/* A kernel booted directly finds the MTRRs as a firmware leaves them. */
	if (vm->cfg->kernel)
		cpu_msrs_firmware(&e->msrs);
	else
		cpu_msrs_reset(&e->msrs);
	e->wait_sipi = vcpu->id != 0; /* APs wait for the BSP's INIT/SIPI */
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->wake, NULL);
	/* The observers are set only when the VM is observed, so an unobserved
	 * VM runs with every trace hook NULL. */
	struct trace *t = vm->trace;
	e->ops = emu_ops;
	if (t) {
		e->ops.trace_insn = emu_trace_insn;
		e->ops.trace_cr = emu_trace_cr;
		e->ops.trace_mode = emu_trace_mode;
		e->ops.trace_event = emu_trace_event;
		e->ops.trace_msr = emu_trace_msr;
		e->ops.trace_cpuid = emu_trace_cpuid;
	}
	/* One machine: the APs join the BSP's (shared decoded-code map,
	 * LOCK'd instructions atomic across the vCPU threads). */
	struct emu_cpu *bsp = vm->vcpus[0].engine_data;
	e->cpu = bsp ? x86_cpu_new_sibling(bsp->cpu, &e->ops, e) : x86_cpu_new(&e->ops, e);
	if (!e->cpu) {
		free(e);
		return ember_error(-ENOMEM, "emu: out of memory for vCPU %d", vcpu->id);
	}
	/* --emu-mode, else EMBER_EMU_MODE (x86_cpu_new took it), else the
	 * translator, or the interpreter where the host refuses a code cache. */
	if (vm->cfg->emu_mode >= 0) {
		int rc = x86_cpu_set_mode(e->cpu, (enum x86_emu_mode)vm->cfg->emu_mode, 0);
		if (rc) {
			x86_cpu_free(e->cpu);
			free(e);
			return ember_error(rc, "emu: --emu-mode jit: no code cache for vCPU %d",
					   vcpu->id);
		}
	} else if (!getenv("EMBER_EMU_MODE")) {
		x86_cpu_set_mode(e->cpu, X86_EMU_JIT, 0);
	}
	struct x86_state *s = x86_cpu_state(e->cpu);
	x86_state_reset(s);
	s->apic_base &= e->id ? ~(1ULL << 8) : ~0ULL; /* the BSP flag */
	x86_cpu_state_changed(e->cpu);
	emu_bigreal_update(e, emu_big_real(x86_cpu_state(e->cpu)), false);
	if (t && (trace_on(t, TRACE_INSN) || trace_on(t, TRACE_MODE) || trace_on(t, TRACE_CR) ||
		  t->first_n))
		x86_cpu_set_trace(e->cpu, X86_TRACE_INSN);
	vcpu->engine_data = e;
	return 0;
}

static int emu_set_state(struct vcpu *vcpu, const struct x86_state *s)
{
	struct emu_cpu *e = vcpu->engine_data;
	*x86_cpu_state(e->cpu) = *s;
	x86_cpu_state_changed(e->cpu);
	emu_bigreal_update(e, emu_big_real(x86_cpu_state(e->cpu)), false);
	emu_cr8_to_lapic(e);
	return 0;
}

static int emu_get_state(struct vcpu *vcpu, struct x86_state *s)
{
	struct emu_cpu *e = vcpu->engine_data;
	*s = *x86_cpu_state(e->cpu);
	return 0;
}

/* Anything for this CPU to act on: an interrupt it can take, an NMI, an
 * INIT or a SIPI (the local APIC kicks for each), or a stop. */
static bool emu_has_work(struct emu_cpu *e)
{
	if (vm_stopping(e->vm))
		return true;
	if (e->wait_sipi)
		return false; /* only a kick (INIT/SIPI) or a stop wakes it */
	const struct x86_state *s = x86_cpu_state(e->cpu);
	return lapic_nmi_pending(e->lapic) ||
	       ((s->rflags & X86_FLAGS_IF) && irq_cpu_pending(e->vm->irq, e->id));
}

/*
 * Sleep until kicked (an interrupt, INIT, SIPI or a stop made it) with
 * nothing to do meanwhile: no host CPU is used.  Under --clock virtual time
 * first jumps to the next deadline, and only with no timer armed does the
 * CPU wait for input.
 */
static void emu_wait(struct emu_cpu *e)
{
	struct vclock *c = e->vm->clock;
	if (vm_one_thread(e->vm))
		return; /* the round-robin thread decides (vm.c) */
	if (vclock_mode(c) == VCLOCK_VIRTUAL && !e->wait_sipi && vclock_skip_to_next(c))
		return;
	/* The devices are asked without e->lock held: they kick (and so
	 * take e->lock) under their own locks. */
	while (!emu_has_work(e)) {
		pthread_mutex_lock(&e->lock);
		if (!e->kicked)
			pthread_cond_wait(&e->wake, &e->lock);
		bool kicked = e->kicked;
		e->kicked = false;
		pthread_mutex_unlock(&e->lock);
		if (kicked)
			return; /* whatever it was, the run loop looks at it */
	}
}

static uint64_t emu_retired(struct emu_cpu *e)
{
	const struct x86_stats *st = x86_cpu_stats(e->cpu);
	uint64_t total = 0;
	for (int m = 0; m < X86_NR_MODES; m++)
		total += st->insns[m];
	return total;
}

/* The emulator's counters, for --stats; a HLT counts once however long it
 * sleeps. */
static void emu_copy_stats(struct vcpu *vcpu, struct emu_cpu *e, bool halted)
{
	const struct x86_stats *st = x86_cpu_stats(e->cpu);
	memcpy(vcpu->insns, st->insns, sizeof(vcpu->insns));
	memcpy(vcpu->faults, st->exceptions, sizeof(vcpu->faults));
	vcpu->irqs = st->interrupts;
	vcpu->insns_bigreal = e->bigreal_done;
	if (e->bigreal)
		vcpu->insns_bigreal += st->insns[X86_MODE_REAL] - e->bigreal_mark;
	uint64_t total = emu_retired(e);
	/* A new HLT unless the CPU stayed halted (no instruction since). */
	if (halted && (!e->halted || total != e->halt_insns))
		vcpu->hlts++;
	e->halted = halted;
	e->halt_insns = total;
}

/*
 * INIT and SIPI (SDM 8.4.4, 10.4.7.3): INIT puts the CPU in its INIT state
 * waiting for a SIPI; a SIPI with vector v starts it in real mode at
 * v * 4096.  Returns true while the CPU must not run.
 */
static bool emu_init_sipi(struct emu_cpu *e)
{
	struct x86_state *s = x86_cpu_state(e->cpu);
	if (lapic_take_init(e->lapic)) {
		uint64_t apic_base = s->apic_base;
		x86_state_reset(s);
		s->apic_base = apic_base;
		x86_cpu_state_changed(e->cpu);
		emu_bigreal_update(e, emu_big_real(s), false);
		e->wait_sipi = true;
	}
	if (!e->wait_sipi)
		return false;
	int v = lapic_take_sipi(e->lapic);
	if (v < 0)
		return true;
	s->seg[X86_CS].sel = (uint16_t)(v << 8);
	s->seg[X86_CS].base = (uint64_t)v << 12;
	s->rip = 0;
	s->halted = false;
	x86_cpu_state_changed(e->cpu);
	emu_bigreal_update(e, emu_big_real(x86_cpu_state(e->cpu)), false);
	e->wait_sipi = false;
	return false;
}

/*
 * --profile: the slice runs as x86_run() pieces that end at the sample
 * points (a sample every `period` instructions retired), so sampling costs
 * nothing per instruction, and the slice is as long as without the profile
 * (a BUDGET return ran exactly the piece): --clock virtual's turns and
 * deadlines stay where they were.
 */
static enum x86_exit emu_run_profiled(struct emu_cpu *e, struct profile *prof, uint64_t budget)
{
	enum x86_exit why;
	do {
		if (!e->prof_left)
			e->prof_left = profile_period(prof);
		uint64_t piece = e->prof_left < budget ? e->prof_left : budget;
		uint64_t before = emu_retired(e);
		why = x86_run(e->cpu, piece);
		uint64_t ran = emu_retired(e) - before;
		e->prof_left -= ran < e->prof_left ? ran : e->prof_left;
		if (!e->prof_left)
			profile_sample(prof, x86_cpu_state(e->cpu));
		budget -= piece;
	} while (why == X86_EXIT_BUDGET && budget);
	return why;
}

static int emu_run(struct vcpu *vcpu, struct vm_exit *exit)
{
	struct emu_cpu *e = vcpu->engine_data;
	memset(exit, 0, sizeof(*exit));
	exit->reason = VMEXIT_NONE;
	/* Other threads read it in emu_kick(): an atomic store (the same
	 * value every time, but the read must not race). */
	__atomic_store_n(&e->thread, pthread_self(), __ATOMIC_RELAXED);
	if (emu_init_sipi(e)) {
		emu_wait(e);
		if (vm_one_thread(vcpu->vm))
			exit->reason = VMEXIT_HLT;
		return 0;
	}
	unsigned gen = shadow_gen(&vcpu->vm->mem);
	if (gen != e->shadow_gen) {
		e->shadow_gen = gen;
		x86_cpu_flush_mappings(e->cpu);
	}
	if (lapic_nmi_pending(e->lapic)) {
		lapic_nmi_ack(e->lapic);
		x86_cpu_state(e->cpu)->nmi_pending = true;
	}
	struct vclock *c = vcpu->vm->clock;
	bool virt = vclock_mode(c) == VCLOCK_VIRTUAL;
	uint64_t budget = vm_one_thread(vcpu->vm) ? EMU_TURN : EMU_BUDGET, before = 0;
	if (virt) {
		/* The slice ends at the next deadline, so a timer fires at the
		 * same instruction every run. */
		uint64_t now = vclock_now(c), next = vclock_next_deadline(c);
		if (next <= now)
			budget = 1;
		else if ((next - now) / EMBER_VIRT_NS_PER_INSN < budget)
			budget = (next - now + EMBER_VIRT_NS_PER_INSN - 1) / EMBER_VIRT_NS_PER_INSN;
		before = emu_retired(e);
	}
	struct profile *prof = vcpu->vm->profile;
	enum x86_exit why = prof ? emu_run_profiled(e, prof, budget) : x86_run(e->cpu, budget);
	if (virt) {
		vclock_advance(c, (emu_retired(e) - before) * EMBER_VIRT_NS_PER_INSN);
		vclock_run_due(c);
	}
	if (TRACE_COMPILED)
		emu_copy_stats(vcpu, e, why == X86_EXIT_HLT);
	switch (why) {
	case X86_EXIT_BUDGET:
	case X86_EXIT_KICK:
		break;
	case X86_EXIT_HLT: {
		uint64_t t = vclock_now(c);
		emu_wait(e);
		vcpu->halted_ns += vclock_now(c) - t;
		if (vm_one_thread(vcpu->vm))
			exit->reason = VMEXIT_HLT;
		break;
	}
	case X86_EXIT_SHUTDOWN:
		exit->reason = VMEXIT_SHUTDOWN;
		snprintf(exit->fail.what, sizeof(exit->fail.what),
			 "the guest triple-faulted (processor shutdown)");
		break;
	}
	return 0;
}

/* From any thread.  The CPU tests interrupts only after its own I/O or a
 * kick, so another thread's interrupt must stop x86_run(); the CPU's own
 * thread needs no kick (the run loop looks after every access), except to
 * stop at once when it asked for the stop itself (a test-exit write): then
 * the instructions counted do not depend on when the main thread's kick
 * arrives. */
static void emu_kick(struct vcpu *vcpu)
{
	struct emu_cpu *e = vcpu->engine_data;
	if (!e || !e->cpu)
		return;
	if (!pthread_equal(pthread_self(), __atomic_load_n(&e->thread, __ATOMIC_RELAXED)) ||
	    vm_stopping(e->vm))
		x86_cpu_kick(e->cpu);
	pthread_mutex_lock(&e->lock);
	e->kicked = true;
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->lock);
	vm_kicked(e->vm);
}

static int emu_translate(struct vcpu *vcpu, uint64_t linear, uint64_t *gpa)
{
	struct emu_cpu *e = vcpu->engine_data;
	return x86_cpu_translate(e->cpu, linear, gpa);
}

static void emu_destroy(struct vm *vm)
{
	for (int i = 0; i < vm->ncpus; i++) {
		struct emu_cpu *e = vm->vcpus[i].engine_data;
		if (!e)
			continue;
		x86_cpu_free(e->cpu);
		pthread_cond_destroy(&e->wake);
		pthread_mutex_destroy(&e->lock);
		free(e);
		vm->vcpus[i].engine_data = NULL;
	}
}

/* Device writes into RAM: any CPU of the machine drops the decodes of
 * every CPU (the machine shares its map of code pages). */
static void emu_ram_written(struct vm *vm, uint64_t gpa, uint64_t len)
{
	struct emu_cpu *e = vm->vcpus[0].engine_data;
	if (e)
		x86_cpu_invalidate_phys(e->cpu, gpa, len);
}

const struct engine engine_emu = {
	.name = "emu",
	.create = emu_create,
	.vcpu_create = emu_vcpu_create,
	.set_state = emu_set_state,
	.get_state = emu_get_state,
	.run = emu_run,
	.kick = emu_kick,
	.translate = emu_translate,
	.ram_written = emu_ram_written,
	.has_irqchip = emu_has_irqchip,
	.destroy = emu_destroy,
};
