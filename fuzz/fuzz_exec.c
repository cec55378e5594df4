/*
 * fuzz/fuzz_exec.c - libFuzzer target for ember's emulator: decode and
 * execute.  The input picks an operating mode (real, 16/32-bit protected,
 * 64-bit at CPL0 or CPL3), the registers, the descriptor-table registers, the
 * FPU/SSE controls (CR0.MP/EM/TS, CR4.OSFXSR/OSXMMEXCPT/OSXSAVE, MXCSR, FCW,
 * FSW, tags) and the bytes at RIP; the emulator then runs a bounded number of instructions on
 * 1 MiB of flat RAM.  Not an oracle of results (tools/difftest is): it checks
 * that nothing crashes, hangs or trips a sanitizer, and that x86_run returns a
 * documented exit.  Each input runs twice, on the interpreter and on the
 * translator (with the smallest code cache, so that it also empties): the two
 * must end in the same exit, registers, instruction count and memory.
 * Machine setup follows the Intel SDM vol. 3A ch. 3-4, 9.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "x86/x86.h"

#define FUZZ_MEM    0x100000u /* 1 MiB of RAM; above it nothing (all-ones reads) */
#define FUZZ_CODE   0x8000u   /* where the input's bytes go and RIP points */
#define FUZZ_PML4   0x1000u   /* long mode: one 2 MiB identity page at 0 */
#define FUZZ_BUDGET 500

static uint8_t fuzz_mem[FUZZ_MEM];
static uint8_t fuzz_mem_start[FUZZ_MEM], fuzz_mem_interp[FUZZ_MEM];

static uint8_t *fuzz_ram_page(void *opaque, uint64_t gpa, bool write)
{
	return gpa < FUZZ_MEM ? fuzz_mem + gpa : NULL;
}

static void fuzz_phys_read(void *opaque, uint64_t gpa, void *buf, unsigned len)
{
	memset(buf, 0xFF, len);
}

static void fuzz_phys_write(void *opaque, uint64_t gpa, const void *buf, unsigned len)
{
}

static uint32_t fuzz_pio_in(void *opaque, uint16_t port, unsigned size)
{
	return 0xFFFFFFFF;
}

static void fuzz_pio_out(void *opaque, uint16_t port, unsigned size, uint32_t val)
{
}

static const struct x86_ops fuzz_ops = {
    .ram_page = fuzz_ram_page,
    .phys_read = fuzz_phys_read,
    .phys_write = fuzz_phys_write,
    .pio_in = fuzz_pio_in,
    .pio_out = fuzz_pio_out,
};

/* Consume up to n bytes of the input as a little-endian number (0 when short). */
static uint64_t fuzz_take(const uint8_t **data, size_t *size, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n && *size; i++, (*data)++, (*size)--)
		v |= (uint64_t) * *data << (8 * i);
	return v;
}

static void fuzz_flat(struct x86_seg *sg, uint16_t sel, uint8_t type, bool db, bool l)
{
	memset(sg, 0, sizeof(*sg));
	sg->sel = sel;
	sg->limit = 0xFFFFFFFF;
	sg->type = type;
	sg->s = 1;
	sg->dpl = sel & 3;
	sg->present = 1;
	sg->g = 1;
	sg->db = db;
	sg->l = l;
}

enum { FUZZ_REAL, FUZZ_PROT16, FUZZ_PROT32, FUZZ_LONG0, FUZZ_LONG3, FUZZ_NR_MODES };

static void fuzz_mode(struct x86_state *s, unsigned mode)
{
	unsigned cpl = mode == FUZZ_LONG3 ? 3 : 0;

	if (mode == FUZZ_REAL)
		return; /* x86_state_reset's real mode, with CS:IP moved below */
	s->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	fuzz_flat(&s->seg[X86_CS], 0x08 | cpl, 0xB, mode == FUZZ_PROT32, mode >= FUZZ_LONG0);
	if (mode >= FUZZ_LONG0)
		s->seg[X86_CS].db = 0;
	for (int r = X86_ES; r <= X86_GS; r++)
		if (r != X86_CS)
			fuzz_flat(&s->seg[r], 0x10 | cpl, 0x3, mode != FUZZ_PROT16, false);
	if (mode >= FUZZ_LONG0) {
		uint64_t pml4 = FUZZ_PML4, pdpt = pml4 + 0x1000, pd = pdpt + 0x1000;
		uint64_t e[3] = {pdpt | 7, pd | 7, 0x87}; /* P RW US; PS in the PD */

		memcpy(fuzz_mem + pml4, &e[0], 8);
		memcpy(fuzz_mem + pdpt, &e[1], 8);
		memcpy(fuzz_mem + pd, &e[2], 8);
		s->cr0 |= X86_CR0_PG;
		s->cr3 = pml4;
		s->cr4 = X86_CR4_PAE;
		s->efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_SCE | X86_EFER_NXE;
	}
}

/*
 * The x87/SSE side: one control byte (its zero value, the seeds', is the
 * usual OS setting: CR0.MP, CR4.OSFXSR and OSXMMEXCPT, so SSE executes), then
 * MXCSR, FCW, FSW, the abridged tag word.  Register contents come from the
 * GPRs, so that they are neither all zero nor more input to find.
 */
static void fuzz_fpu(struct x86_state *s, const uint8_t **data, size_t *size)
{
	unsigned ctl = (unsigned)fuzz_take(data, size, 1);

	s->cr0 |=
	    (ctl & 1 ? 0 : X86_CR0_MP) | (ctl & 2 ? X86_CR0_EM : 0) | (ctl & 4 ? X86_CR0_TS : 0);
	s->cr4 |= (ctl & 8 ? 0 : X86_CR4_OSFXSR) | (ctl & 16 ? 0 : X86_CR4_OSXMMEXCPT) |
		  (ctl & 32 ? X86_CR4_OSXSAVE : 0);
	if (ctl & 32)
		s->xcr0 = ctl & 64 ? 1 : 3;
	s->fpu.mxcsr = (uint32_t)fuzz_take(data, size, 2);
	s->fpu.fcw = (uint16_t)fuzz_take(data, size, 2);
	s->fpu.fsw = (uint16_t)fuzz_take(data, size, 2);
	s->fpu.ftw = (uint8_t)fuzz_take(data, size, 1);
	for (int i = 0; i < 16; i++) {
		memcpy(s->fpu.xmm[i], &s->gpr[i], 8);
		memcpy(s->fpu.xmm[i] + 8, &s->gpr[15 - i], 8);
	}
	for (int i = 0; i < 8; i++) {
		memcpy(s->fpu.st[i], &s->gpr[i], 8);
		memcpy(s->fpu.st[i] + 8, &s->gpr[i + 8], 2);
	}
}

static uint64_t fuzz_retired(struct x86_cpu *cpu)
{
	const struct x86_stats *st = x86_cpu_stats(cpu);
	uint64_t n = 0;

	for (int m = 0; m < X86_NR_MODES; m++)
		n += st->insns[m];
	return n;
}

/* Run from the state s and fuzz_mem; the exit, with *retired the count. */
static enum x86_exit fuzz_run(struct x86_cpu *cpu, const struct x86_state *s, uint64_t *retired)
{
	uint64_t before = fuzz_retired(cpu);
	enum x86_exit why;

	*x86_cpu_state(cpu) = *s;
	/* Also drops every cached decode and translation (x86.h), so the
	 * rewritten RAM needs no x86_cpu_invalidate_phys. */
	x86_cpu_state_changed(cpu);
	why = x86_run(cpu, FUZZ_BUDGET);
	if (why != X86_EXIT_BUDGET && why != X86_EXIT_HLT && why != X86_EXIT_SHUTDOWN)
		__builtin_trap(); /* nobody kicked this CPU */
	*retired = fuzz_retired(cpu) - before;
	return why;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct x86_cpu *cpu, *jit;
	static struct x86_state start;
	struct x86_state *s = &start;
	unsigned mode;
	enum x86_exit why, why_jit;
	uint64_t n, n_jit;

	if (!cpu) {
		cpu = x86_cpu_new(&fuzz_ops, NULL);
		jit = x86_cpu_new(&fuzz_ops, NULL);
		if (!cpu || !jit || x86_cpu_set_mode(cpu, X86_EMU_INTERP, 0) ||
		    x86_cpu_set_mode(jit, X86_EMU_JIT, 1))
			abort();
	}
	memset(fuzz_mem, 0, sizeof(fuzz_mem));
	x86_state_reset(s);
	mode = (unsigned)fuzz_take(&data, &size, 1) % FUZZ_NR_MODES;
	fuzz_mode(s, mode);
	for (int r = 0; r < 16; r++)
		s->gpr[r] = fuzz_take(&data, &size, 8);
	/* Arithmetic flags, DF, TF and AC from the input; IF off (no interrupts come). */
	s->rflags = X86_FLAGS_FIXED | (fuzz_take(&data, &size, 4) & 0x40DD5);
	s->gdt.base = fuzz_take(&data, &size, 3);
	s->gdt.limit = (uint16_t)fuzz_take(&data, &size, 2);
	s->idt.base = fuzz_take(&data, &size, 3);
	s->idt.limit = (uint16_t)fuzz_take(&data, &size, 2);
	fuzz_fpu(s, &data, &size);
	/* The rest is code at FUZZ_CODE and, repeated, the memory around it. */
	for (size_t off = 0; size && off + size <= FUZZ_MEM - FUZZ_CODE && off < 0x10000;
	     off += size)
		memcpy(fuzz_mem + FUZZ_CODE + off, data, size);
	s->rip = FUZZ_CODE;
	if (mode == FUZZ_REAL) {
		s->seg[X86_CS].sel = 0;
		s->seg[X86_CS].base = 0;
	}
	memcpy(fuzz_mem_start, fuzz_mem, FUZZ_MEM);
	why = fuzz_run(cpu, s, &n);
	struct x86_state after = *x86_cpu_state(cpu);
	memcpy(fuzz_mem_interp, fuzz_mem, FUZZ_MEM);
	memcpy(fuzz_mem, fuzz_mem_start, FUZZ_MEM);
	why_jit = fuzz_run(jit, s, &n_jit);
	const struct x86_state *t = x86_cpu_state(jit);
	if (why != why_jit || n != n_jit || after.rip != t->rip || after.rflags != t->rflags ||
	    memcmp(after.gpr, t->gpr, sizeof(t->gpr)) || after.cr2 != t->cr2 ||
	    memcmp(fuzz_mem, fuzz_mem_interp, FUZZ_MEM)) {
		fprintf(stderr,
			"interpreter and translator differ: exit %d/%d, %llu/%llu instructions, "
			"rip %#llx/%#llx\n",
			why, why_jit, (unsigned long long)n, (unsigned long long)n_jit,
			(unsigned long long)after.rip, (unsigned long long)t->rip);
		__builtin_trap();
	}
	return 0;
}
