/*
 * emu/emu.c - the emulator engine: ember's own x86 emulator (src/x86) driving
 * the same machine as KVM.  This file is the adapter that backs struct
 * x86_ops with the memory map, the two buses and the PIC/PIT models, and
 * turns x86_run()'s returns into run-loop exits.  Not the emulator itself.
 * One vCPU; time is host monotonic time (the PIT and the TSC follow it).
 */
#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices/devices.h"
#include "devices/pic.h"
#include "devices/pit.h"
#include "layout.h"
#include "util.h"
#include "vm.h"
#include "x86/x86.h"

/* Instructions per x86_run() call: bounds the latency of timer ticks and
 * stop requests (about a millisecond at emulator speed). */
#define EMU_BUDGET 100000

struct emu_vm {
	struct vm *vm;
	struct x86_cpu *cpu;
	struct pic *pic;
	struct pit *pit;
	int intr_line; /* the PIC's INT output, read lock-free by the CPU */
	pthread_mutex_t lock;
	pthread_cond_t wake; /* an interrupt arrived or a stop was requested */
	uint64_t t0;         /* TSC epoch */
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
	return now_ns() - e->t0; /* a 1 GHz invariant TSC */
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
	return e->pic ? pic_intr_ack(e->pic) : -1;
}

static void emu_pic_output(void *opaque, int level)
{
	struct emu_vm *e = opaque;
	__atomic_store_n(&e->intr_line, level, __ATOMIC_RELEASE);
	if (level) {
		pthread_mutex_lock(&e->lock);
		pthread_cond_broadcast(&e->wake);
		pthread_mutex_unlock(&e->lock);
	}
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
	e->t0 = now_ns();
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
	e->pit = devices_pit(vcpu->vm);
	if (e->pic)
		pic_set_output(e->pic, emu_pic_output, e);
	e->cpu = x86_cpu_new(&emu_ops, e);
	if (!e->cpu)
		return ember_error(-ENOMEM, "emu: out of memory for the vCPU");
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

/* The guest halted: sleep until an interrupt, the next timer tick or a stop. */
static void emu_halt_wait(struct emu_vm *e)
{
	uint64_t deadline = e->pit ? pit_next_deadline_ns(e->pit) : UINT64_MAX;
	uint64_t now = now_ns();
	uint64_t limit = now + 50000000ULL; /* re-check stop at least every 50 ms */
	if (deadline > limit)
		deadline = limit;
	pthread_mutex_lock(&e->lock);
	while (!__atomic_load_n(&e->intr_line, __ATOMIC_ACQUIRE) && !vm_stopping(e->vm) &&
	       now_ns() < deadline) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t wait = deadline - now_ns();
		if ((int64_t)wait <= 0)
			break;
		uint64_t nsec = ts.tv_nsec + wait;
		ts.tv_sec += nsec / 1000000000ULL;
		ts.tv_nsec = nsec % 1000000000ULL;
		pthread_cond_timedwait(&e->wake, &e->lock, &ts);
	}
	pthread_mutex_unlock(&e->lock);
}

static int emu_run(struct vcpu *vcpu, struct vm_exit *exit)
{
	struct emu_vm *e = vcpu->engine_data;
	memset(exit, 0, sizeof(*exit));
	exit->reason = VMEXIT_NONE;
	if (e->pit)
		pit_update(e->pit, now_ns());
	switch (x86_run(e->cpu, EMU_BUDGET)) {
	case X86_EXIT_BUDGET:
	case X86_EXIT_KICK:
		break;
	case X86_EXIT_HLT:
		emu_halt_wait(e);
		if (e->pit)
			pit_update(e->pit, now_ns());
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
