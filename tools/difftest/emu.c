/*
 * tools/difftest/emu.c - the emulator side of the differential tester: ember's
 * x86 emulator on a flat copy of the test machine's memory, run from the same
 * CPL3 state until an exception stub halts.  Not a platform: no devices, no
 * MSR or I/O backends (NULL ops: the emulator raises the architectural fault).
 * Uses only the public API of src/x86/x86.h.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "dt.h"

struct emu_engine {
	struct x86_cpu *cpu;
	uint8_t *mem;
};

static uint8_t *emu_ram_page(void *opaque, uint64_t gpa, bool write)
{
	struct emu_engine *e = opaque;

	return gpa < DT_MEM_SIZE ? e->mem + gpa : NULL;
}

static void emu_phys_read(void *opaque, uint64_t gpa, void *buf, unsigned len)
{
	memset(buf, 0xFF, len);
}

static void emu_phys_write(void *opaque, uint64_t gpa, const void *buf, unsigned len)
{
}

static const struct x86_ops emu_ops = {
    .ram_page = emu_ram_page,
    .phys_read = emu_phys_read,
    .phys_write = emu_phys_write,
};

struct emu_engine *emu_engine_open(int mode)
{
	struct emu_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->mem = calloc(1, DT_MEM_SIZE);
	if (e->mem)
		e->cpu = x86_cpu_new(&emu_ops, e);
	if (e->cpu && mode >= 0 && x86_cpu_set_mode(e->cpu, (enum x86_emu_mode)mode, 0)) {
		x86_cpu_free(e->cpu);
		e->cpu = NULL;
	}
	if (!e->cpu) {
		emu_engine_close(e);
		return NULL;
	}
	return e;
}

uint8_t *emu_engine_mem(struct emu_engine *e)
{
	return e->mem;
}

void emu_engine_run(struct emu_engine *e, const struct x86_state *s, struct dt_outcome *o)
{
	struct x86_state *st = x86_cpu_state(e->cpu);
	enum x86_exit why = X86_EXIT_BUDGET;

	memset(o, 0, sizeof(*o));
	*st = *s;
	x86_cpu_state_changed(e->cpu);
	x86_cpu_invalidate_phys(e->cpu, DT_CODE, DT_CODE_SIZE);
	/* The longest case (a REP string running to a page fault) is ~10^5
	 * iterations; a budget far beyond that means the emulator is stuck. */
	for (int i = 0; i < 20 && why == X86_EXIT_BUDGET; i++)
		why = x86_run(e->cpu, 100000);
	if (why != X86_EXIT_HLT) {
		snprintf(o->fail, sizeof(o->fail), "emulator stopped with %s instead of HLT",
			 why == X86_EXIT_SHUTDOWN ? "shutdown (triple fault)"
			 : why == X86_EXIT_BUDGET ? "2M instructions and no HLT"
						  : "a kick");
		o->vector = -1;
		return;
	}
	memcpy(o->gpr, st->gpr, sizeof(o->gpr));
	o->rip = st->rip;
	o->rflags = st->rflags;
	o->cr2 = st->cr2;
	o->has_fx = true;
	dt_fx_from_state(&o->fx, st);
	machine_read_outcome(e->mem, o);
	if (o->vector != 14)
		o->cr2 = 0;
}

void emu_engine_close(struct emu_engine *e)
{
	if (!e)
		return;
	if (e->cpu)
		x86_cpu_free(e->cpu);
	free(e->mem);
	free(e);
}
