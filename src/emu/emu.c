/*
 * emu/emu.c - the emulator engine: ember's own x86 emulator (src/x86) driving
 * the same machine as KVM.  This file is the adapter that backs struct
 * x86_ops with the memory map, the two buses and the PIC/PIT models, and
 * turns x86_run()'s returns into run-loop exits.  Not the emulator itself.
 * One vCPU; time (the TSC, every timer) is the VM's clock (clock.h).
 */
#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "devices/devices.h"
#include "devices/pic.h"
#include "layout.h"
#include "trace/trace.h"
#include "util.h"
#include "vm.h"
#include "x86/x86.h"

/* Instructions per x86_run() call at most: bounds the latency of stop
 * requests (about a millisecond at emulator speed).  Timers need no slice:
 * the clock thread kicks, or (--clock virtual) the slice ends at the next
 * deadline. */
#define EMU_BUDGET 100000

struct emu_vm {
	struct vm *vm;
	struct x86_cpu *cpu;
	struct pic *pic;
	int intr_line; /* the PIC's INT output, read lock-free by the CPU */
	pthread_mutex_t lock;
	pthread_cond_t wake; /* an interrupt arrived or a stop was requested */
	pthread_t vcpu_thread; /* the thread in emu_run(), for emu_pic_output() */
	struct x86_ops ops;  /* emu_ops, plus the trace hooks when observed */
	int acked;           /* vector of the last interrupt acknowledge, or -1 */
	uint64_t halt_insns; /* instructions executed when it did */
	bool halted;         /* the last x86_run() ended in HLT (count HLTs once) */
	/* The instruction being executed, kept while --trace mode is on so a
	 * mode change can name the instruction that caused it. */
	uint64_t insn_rip, insn_cs_base;
	uint8_t insn_bytes[16];
	unsigned insn_len;
	int insn_bits;
};

const bool engine_emu_boots_linux = false;

static struct emu_vm *emu_of(struct vm *vm)
{
	return vm->engine_data;
}

static uint8_t *emu_ram_page(void *opaque, uint64_t gpa, bool write)
{
	struct emu_vm *e = opaque;
	const struct memregion *r = memmap_find(&e->vm->mem, gpa);
	if (!r || (write && r->kind == MEMREGION_ROM) || gpa - r->gpa + 4096 > r->size)
		return NULL;
	return r->hva + (gpa - r->gpa);
}

static void emu_phys_read(void *opaque, uint64_t gpa, void *buf, unsigned len)
{
	struct emu_vm *e = opaque;
	const struct memregion *r = memmap_find(&e->vm->mem, gpa);
	if (r && gpa - r->gpa + len <= r->size) {
		memcpy(buf, r->hva + (gpa - r->gpa), len);
		return;
	}
	uint64_t v = bus_read(&e->vm->mmio, gpa, len);
	memcpy(buf, &v, len);
}

static void emu_phys_write(void *opaque, uint64_t gpa, const void *buf, unsigned len)
{
	struct emu_vm *e = opaque;
	const struct memregion *r = memmap_find(&e->vm->mem, gpa);
	if (r) {
		if (r->kind == MEMREGION_RAM && gpa - r->gpa + len <= r->size)
			memcpy(r->hva + (gpa - r->gpa), buf, len);
		return; /* ROM: dropped, as the chip would */
	}
	uint64_t v = 0;
	memcpy(&v, buf, len);
	bus_write(&e->vm->mmio, gpa, len, v);
}

static uint32_t emu_pio_in(void *opaque, uint16_t port, unsigned size)
{
	struct emu_vm *e = opaque;
	return bus_read(&e->vm->pio, port, size);
}

static void emu_pio_out(void *opaque, uint16_t port, unsigned size, uint32_t val)
{
	struct emu_vm *e = opaque;
	bus_write(&e->vm->pio, port, size, val);
}

static uint64_t emu_rdtsc(void *opaque)
{
	struct emu_vm *e = opaque;
	return vclock_now(e->vm->clock); /* EMBER_TSC_HZ: guest ns */
}

static void emu_cpuid(void *opaque, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	x86_cpuid_supported(leaf, subleaf, out);
}

static bool emu_intr_pending(void *opaque)
{
	struct emu_vm *e = opaque;
	return __atomic_load_n(&e->intr_line, __ATOMIC_ACQUIRE);
}

static int emu_intr_ack(void *opaque)
{
	struct emu_vm *e = opaque;
	e->acked = e->pic ? pic_intr_ack(e->pic) : -1;
	return e->acked;
}

static void emu_pic_output(void *opaque, int level)
{
	struct emu_vm *e = opaque;
	__atomic_store_n(&e->intr_line, level, __ATOMIC_RELEASE);
	if (level) {
		/* The CPU polls the line only after its own I/O or a kick: a line
		 * raised by another thread (stdin, RTC timer) must kick it. */
		if (e->cpu && !pthread_equal(pthread_self(), e->vcpu_thread))
			x86_cpu_kick(e->cpu);
		pthread_mutex_lock(&e->lock);
		pthread_cond_broadcast(&e->wake);
		pthread_mutex_unlock(&e->lock);
	}
}

/* ---- trace hooks (installed only when the VM is observed) ---- */

static void emu_trace_insn(void *opaque, struct x86_cpu *cpu, uint64_t linear, uint64_t phys,
			   const uint8_t *bytes, unsigned len)
{
	struct emu_vm *e = opaque;
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
	trace_on_insn(t, 0, "emu", m, s->seg[X86_CS].base, s->rip, linear, phys, bytes, len);
	/* The emulator reports CR writes itself; a read (MOV r, CRn) leaves
	 * the register as it is now, so its value is read here.  Only at CPL0
	 * and for registers that exist: otherwise the read faults (#GP/#UD). */
	bool write;
	int cr = trace_on(t, TRACE_CR) ? trace_insn_cr(bytes, len, e->insn_bits, &write) : -1;
	bool cpl0 = m == X86_MODE_REAL || (m != X86_MODE_V86 && s->seg[X86_CS].dpl == 0);
	const uint64_t crs[9] = { [0] = s->cr0, [2] = s->cr2, [3] = s->cr3, [4] = s->cr4,
				  [8] = s->cr8 };
	if (cpl0 && !write && (cr == 0 || cr == 2 || cr == 3 || cr == 4 || cr == 8))
		trace_on_cr(t, 0, cr, crs[cr], false, s->rip, true);
}

static void emu_trace_cr(void *opaque, int cr, uint64_t old_val, uint64_t new_val, bool write)
{
	struct emu_vm *e = opaque;
	trace_on_cr(e->vm->trace, 0, cr, write ? new_val : old_val, write, e->insn_rip, true);
}

static void emu_trace_mode(void *opaque, enum x86_mode from, enum x86_mode to, uint64_t rip)
{
	struct emu_vm *e = opaque;
	bool have = e->insn_len && e->insn_rip == rip;
	trace_on_mode(e->vm->trace, 0, from, to, have ? e->insn_cs_base : 0, rip, e->insn_bytes,
		      have ? e->insn_len : 0, e->insn_bits);
}

static void emu_trace_event(void *opaque, uint8_t vector, bool has_error, uint32_t error,
			    bool is_exception, uint64_t rip)
{
	struct emu_vm *e = opaque;
	/* An external interrupt is the vector the PIC just gave the CPU; any
	 * other non-exception delivery is a software INT n. */
	enum trace_vector_kind kind = is_exception		? TRACE_VEC_EXCEPTION
				      : e->acked == (int)vector ? TRACE_VEC_EXTERNAL
								: TRACE_VEC_SOFTWARE;
	e->acked = -1;
	trace_on_event(e->vm->trace, 0, vector, has_error, error, kind, rip);
}

static void emu_trace_msr(void *opaque, uint32_t msr, uint64_t val, bool write)
{
	struct emu_vm *e = opaque;
	trace_on_msr(e->vm->trace, 0, msr, val, write);
	/* The emulator reports EFER writes through trace_cr itself. */
	if (msr == X86_MSR_EFER && !write)
		trace_on_cr(e->vm->trace, 0, -1, val, false, e->insn_rip, true);
}

static void emu_trace_cpuid(void *opaque, uint32_t leaf, uint32_t subleaf, const uint32_t out[4])
{
	struct emu_vm *e = opaque;
	trace_on_cpuid(e->vm->trace, 0, leaf, subleaf, out);
}

static const struct x86_ops emu_ops = {
	.ram_page = emu_ram_page,
	.phys_read = emu_phys_read,
	.phys_write = emu_phys_write,
	.pio_in = emu_pio_in,
	.pio_out = emu_pio_out,
	.cpuid = emu_cpuid,
	.rdtsc = emu_rdtsc,
	.intr_pending = emu_intr_pending,
	.intr_ack = emu_intr_ack,
};

static int emu_create(struct vm *vm)
{
	if (vm->ncpus != 1)
		return ember_error(-EINVAL, "--cpus %d: the emu engine runs one vCPU", vm->ncpus);
	struct emu_vm *e = calloc(1, sizeof(*e));
	if (!e)
		return ember_error(-ENOMEM, "emu: out of memory");
	vm->engine_data = e;
	e->vm = vm;
	e->acked = -1;
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->wake, NULL);
	return 0;
}

static bool emu_has_irqchip(struct vm *vm)
{
	return false;
}

static int emu_vcpu_create(struct vcpu *vcpu)
{
	struct emu_vm *e = emu_of(vcpu->vm);
	/* The devices exist now: wire the PIC's output to the CPU's INTR. */
	e->pic = devices_pic(vcpu->vm);
	if (e->pic)
		pic_set_output(e->pic, emu_pic_output, e);
	/* The observers are set only when the VM is observed, so an unobserved
	 * VM runs with every trace hook NULL. */
	struct trace *t = vcpu->vm->trace;
	e->ops = emu_ops;
	if (t) {
		e->ops.trace_insn = emu_trace_insn;
		e->ops.trace_cr = emu_trace_cr;
		e->ops.trace_mode = emu_trace_mode;
		e->ops.trace_event = emu_trace_event;
		e->ops.trace_msr = emu_trace_msr;
		e->ops.trace_cpuid = emu_trace_cpuid;
	}
	e->cpu = x86_cpu_new(&e->ops, e);
	if (!e->cpu)
		return ember_error(-ENOMEM, "emu: out of memory for the vCPU");
	if (t && (trace_on(t, TRACE_INSN) || trace_on(t, TRACE_MODE) || trace_on(t, TRACE_CR) ||
		  t->first_n))
		x86_cpu_set_trace(e->cpu, X86_TRACE_INSN);
	vcpu->engine_data = e;
	return 0;
}

static int emu_set_state(struct vcpu *vcpu, const struct x86_state *s)
{
	struct emu_vm *e = vcpu->engine_data;
	*x86_cpu_state(e->cpu) = *s;
	x86_cpu_state_changed(e->cpu);
	return 0;
}

static int emu_get_state(struct vcpu *vcpu, struct x86_state *s)
{
	struct emu_vm *e = vcpu->engine_data;
	*s = *x86_cpu_state(e->cpu);
	return 0;
}

/*
 * The guest halted: sleep until an interrupt or a stop.  Timers wake it
 * through their interrupt (the clock thread raises a line, which kicks);
 * under --clock virtual, time first jumps to the next deadline, and only
 * with no timer armed does the CPU wait for input.
 */
static void emu_halt_wait(struct emu_vm *e)
{
	struct vclock *c = e->vm->clock;
	if (vclock_mode(c) == VCLOCK_VIRTUAL && vclock_skip_to_next(c))
		return;
	pthread_mutex_lock(&e->lock);
	while (!__atomic_load_n(&e->intr_line, __ATOMIC_ACQUIRE) && !vm_stopping(e->vm))
		pthread_cond_wait(&e->wake, &e->lock);
	pthread_mutex_unlock(&e->lock);
}

static uint64_t emu_retired(struct emu_vm *e)
{
	const struct x86_stats *st = x86_cpu_stats(e->cpu);
	uint64_t total = 0;
	for (int m = 0; m < X86_NR_MODES; m++)
		total += st->insns[m];
	return total;
}

/* The emulator's counters, for --stats; a HLT counts once however long it
 * sleeps. */
static void emu_copy_stats(struct vcpu *vcpu, struct emu_vm *e, bool halted)
{
	const struct x86_stats *st = x86_cpu_stats(e->cpu);
	memcpy(vcpu->insns, st->insns, sizeof(vcpu->insns));
	memcpy(vcpu->faults, st->exceptions, sizeof(vcpu->faults));
	vcpu->irqs = st->interrupts;
	uint64_t total = 0;
	for (int m = 0; m < X86_NR_MODES; m++)
		total += st->insns[m];
	/* A new HLT unless the CPU stayed halted (no instruction since). */
	if (halted && (!e->halted || total != e->halt_insns))
		vcpu->hlts++;
	e->halted = halted;
	e->halt_insns = total;
}

static int emu_run(struct vcpu *vcpu, struct vm_exit *exit)
{
	struct emu_vm *e = vcpu->engine_data;
	memset(exit, 0, sizeof(*exit));
	exit->reason = VMEXIT_NONE;
	e->vcpu_thread = pthread_self();
	struct vclock *c = vcpu->vm->clock;
	bool virt = vclock_mode(c) == VCLOCK_VIRTUAL;
	uint64_t budget = EMU_BUDGET, before = 0;
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
	enum x86_exit why = x86_run(e->cpu, budget);
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
	case X86_EXIT_HLT:
		emu_halt_wait(e);
		break;
	case X86_EXIT_SHUTDOWN:
		exit->reason = VMEXIT_SHUTDOWN;
		snprintf(exit->fail.what, sizeof(exit->fail.what),
			 "the guest triple-faulted (processor shutdown)");
		break;
	}
	return 0;
}

static void emu_kick(struct vcpu *vcpu)
{
	struct emu_vm *e = vcpu->engine_data;
	if (!e || !e->cpu)
		return;
	x86_cpu_kick(e->cpu);
	pthread_mutex_lock(&e->lock);
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->lock);
}

static void emu_set_irq(struct vm *vm, unsigned irq, int level)
{
	struct emu_vm *e = emu_of(vm);
	if (e && e->pic)
		pic_set_irq(e->pic, irq, level);
}

static int emu_translate(struct vcpu *vcpu, uint64_t linear, uint64_t *gpa)
{
	struct emu_vm *e = vcpu->engine_data;
	return x86_cpu_translate(e->cpu, linear, gpa);
}

static void emu_destroy(struct vm *vm)
{
	struct emu_vm *e = emu_of(vm);
	if (!e)
		return;
	if (e->cpu)
		x86_cpu_free(e->cpu);
	free(e);
	vm->engine_data = NULL;
}

const struct engine engine_emu = {
	.name = "emu",
	.create = emu_create,
	.vcpu_create = emu_vcpu_create,
	.set_state = emu_set_state,
	.get_state = emu_get_state,
	.run = emu_run,
	.kick = emu_kick,
	.set_irq = emu_set_irq,
	.translate = emu_translate,
	.has_irqchip = emu_has_irqchip,
	.destroy = emu_destroy,
};
