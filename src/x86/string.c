/*
 * x86/string.c - string instructions MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS
 * with REP/REPE/REPNE in 16-, 32- and 64-bit address sizes.  A long REP is cut
 * into slices (RIP stays on the instruction) so interrupts can be taken
 * between iterations, as the SDM allows.
 * Follows Intel SDM vol. 2, "REP/REPE/REPZ/REPNE/REPNZ" and each instruction.
 */
#include <string.h>

#include "x86/cpu.h"

enum string_kind { STR_MOVS, STR_CMPS, STR_STOS, STR_LODS, STR_SCAS, STR_INS, STR_OUTS };

#define STRING_SLICE 4096

static void string_advance(struct x86_cpu *cpu, struct x86_insn *in, int reg, int64_t delta)
{
	reg_write(cpu, in, reg, in->adsize, cpu->s.gpr[reg] + (uint64_t)delta);
}

static int string_one(struct x86_cpu *cpu, struct x86_insn *in, enum string_kind k, unsigned sz)
{
	struct x86_state *s = &cpu->s;
	uint64_t am = x86_mask(in->adsize);
	uint64_t si = s->gpr[X86_RSI] & am, di = s->gpr[X86_RDI] & am;
	uint64_t a, b;
	int rc;
	switch (k) {
	case STR_MOVS:
		rc = mem_read(cpu, in->seg, si, sz, &a);
		if (!rc)
			rc = mem_write(cpu, X86_ES, di, sz, a);
		return rc;
	case STR_CMPS:
		rc = mem_read(cpu, in->seg, si, sz, &a);
		if (!rc)
			rc = mem_read(cpu, X86_ES, di, sz, &b);
		if (!rc)
			alu_op(cpu, 7, a, b, sz);
		return rc;
	case STR_STOS:
		return mem_write(cpu, X86_ES, di, sz, s->gpr[X86_RAX]);
	case STR_LODS:
		rc = mem_read(cpu, in->seg, si, sz, &a);
		if (!rc)
			reg_write(cpu, in, X86_RAX, sz, a);
		return rc;
	case STR_SCAS:
		rc = mem_read(cpu, X86_ES, di, sz, &b);
		if (!rc)
			alu_op(cpu, 7, s->gpr[X86_RAX] & x86_mask(sz), b, sz);
		return rc;
	case STR_INS: {
		uint16_t port = s->gpr[X86_RDX] & 0xFFFF;
		rc = io_check(cpu, port, sz);
		if (!rc)
			rc = mem_check(cpu, X86_ES, di, sz, ACC_WRITE);
		if (rc)
			return rc;
		cpu->events = true; /* the access may change the INTR line */
		a = cpu->ops->pio_in ? cpu->ops->pio_in(cpu->opaque, port, sz) : ~0ull;
		return mem_write(cpu, X86_ES, di, sz, a);
	}
	default: {
		uint16_t port = s->gpr[X86_RDX] & 0xFFFF;
		rc = io_check(cpu, port, sz);
		if (!rc)
			rc = mem_read(cpu, in->seg, si, sz, &a);
		if (rc)
			return rc;
		cpu->events = true;
		if (cpu->ops->pio_out)
			cpu->ops->pio_out(cpu->opaque, port, sz, (uint32_t)a);
		return X86_OK;
	}
	}
}

/* The host address of lin when the TLB already allows the access without a
 * walk (mem_fast64's rule), else NULL; the page's whole rest is then usable. */
static uint8_t *string_host(struct x86_cpu *cpu, uint64_t lin, enum x86_acc acc)
{
	const struct x86_tlb_entry *e = &cpu->tlb[mmu_tlb_index(lin)];
	if (e->lpage != ((lin & ~0xFFFull) | 1))
		return NULL;
	uint8_t *p = e->fast[acc == ACC_WRITE][cpu->cpl == 3];
	return p ? p + (lin & 0xFFF) : NULL;
}

/*
 * REP MOVS/STOS upward in 64-bit code with flat DS/ES (the kernel's
 * clear_page, copy_page, memcpy, memset, copy_user): up to max iterations at
 * once through host pointers, the iterations whose elements lie wholly inside
 * the current source and destination pages, when both are RAM already in the
 * TLB with the rights the access needs (no walk, so no A/D bit or fault can
 * be due: exactly what those iterations would do one by one through
 * mem_fast).  Returns the iterations done, RCX/RSI/RDI advanced, or 0 when
 * the next one must take the general path (a TLB miss, MMIO, a page holding
 * decoded code, an element across a page boundary), which then walks,
 * faults with the registers of the iterations before, or fills the TLB.
 */
static uint64_t string_block(struct x86_cpu *cpu, struct x86_insn *in, enum string_kind k,
			     unsigned sz, uint64_t max)
{
	struct x86_state *s = &cpu->s;
	uint64_t si = s->gpr[X86_RSI], di = s->gpr[X86_RDI];
	uint64_t n = s->gpr[X86_RCX] < max ? s->gpr[X86_RCX] : max;
	if ((4096 - (di & 0xFFF)) / sz < n)
		n = (4096 - (di & 0xFFF)) / sz;
	if (k == STR_MOVS && (4096 - (si & 0xFFF)) / sz < n)
		n = (4096 - (si & 0xFFF)) / sz;
	uint8_t *d = n ? string_host(cpu, di, ACC_WRITE) : NULL;
	if (!d)
		return 0;
	if (k == STR_MOVS) {
		const uint8_t *src = string_host(cpu, si, ACC_READ);
		if (!src)
			return 0;
		if (d > src && d < src + n * sz) {
			/* Overlapping upward: each element reads what an
			 * earlier one wrote, as one by one. */
			for (uint64_t i = 0; i < n; i++)
				mem_store(d + i * sz, sz, mem_load(src + i * sz, sz));
		} else {
			memmove(d, src, n * sz);
		}
		s->gpr[X86_RSI] = si + n * sz;
	} else if (sz == 1) {
		memset(d, (int)(s->gpr[X86_RAX] & 0xFF), n);
	} else {
		for (uint64_t i = 0; i < n; i++)
			mem_store(d + i * sz, sz, s->gpr[X86_RAX]);
	}
	s->gpr[X86_RDI] = di + n * sz;
	s->gpr[X86_RCX] -= n;
	return n;
}

static int string_run(struct x86_cpu *cpu, struct x86_insn *in, enum string_kind k)
{
	struct x86_state *s = &cpu->s;
	unsigned sz = (in->op->flags & F_BYTEOP)
			  ? 1
			  : (in->opsize == 8 && (k == STR_INS || k == STR_OUTS) ? 4 : in->opsize);
	int64_t delta = (s->rflags & X86_FLAGS_DF) ? -(int64_t)sz : (int64_t)sz;
	uint64_t am = x86_mask(in->adsize);
	bool rep = in->rep != 0;
	bool uses_si = k == STR_MOVS || k == STR_CMPS || k == STR_LODS || k == STR_OUTS;
	bool uses_di = k != STR_LODS && k != STR_OUTS;
	bool block = rep && (k == STR_MOVS || k == STR_STOS) && cpu->mode == X86_MODE_LONG64 &&
		     in->adsize == 8 && in->seg < X86_FS &&
		     !(s->rflags & (X86_FLAGS_DF | X86_FLAGS_TF));
	for (uint64_t n = 0;; n++) {
		if (rep && !(s->gpr[X86_RCX] & am))
			return X86_OK;
		/* With TF set the single-step trap comes after each iteration
		 * (RIP still on the instruction), as the host CPU does (difftest
		 * --oracle native, string32). */
		if (rep && (n == STRING_SLICE || (n == 1 && (s->rflags & X86_FLAGS_TF)))) {
			cpu->next_rip = s->rip; /* resume here after pending events */
			return X86_OK;
		}
		uint64_t done = block ? string_block(cpu, in, k, sz, STRING_SLICE - n) : 0;
		if (done) {
			n += done - 1; /* the loop counts the last one */
			continue;
		}
		int rc = string_one(cpu, in, k, sz);
		if (rc) {
			/* Completed iterations stay done, their flags included. */
			cpu->keep_flags = n > 0;
			return rc;
		}
		if (uses_si)
			string_advance(cpu, in, X86_RSI, delta);
		if (uses_di)
			string_advance(cpu, in, X86_RDI, delta);
		if (!rep)
			return X86_OK;
		reg_write(cpu, in, X86_RCX, in->adsize, s->gpr[X86_RCX] - 1);
		if (k == STR_CMPS || k == STR_SCAS) {
			bool zf = s->rflags & X86_FLAGS_ZF;
			if ((in->rep == 0xF3 && !zf) || (in->rep == 0xF2 && zf))
				return X86_OK;
		}
	}
}

int ex_movs(struct x86_cpu *cpu, struct x86_insn *in)
{
	return string_run(cpu, in, STR_MOVS);
}

int ex_cmps(struct x86_cpu *cpu, struct x86_insn *in)
{
	return string_run(cpu, in, STR_CMPS);
}

int ex_stos(struct x86_cpu *cpu, struct x86_insn *in)
{
	return string_run(cpu, in, STR_STOS);
}

int ex_lods(struct x86_cpu *cpu, struct x86_insn *in)
{
	return string_run(cpu, in, STR_LODS);
}

int ex_scas(struct x86_cpu *cpu, struct x86_insn *in)
{
	return string_run(cpu, in, STR_SCAS);
}

int ex_ins(struct x86_cpu *cpu, struct x86_insn *in)
{
	return string_run(cpu, in, STR_INS);
}

int ex_outs(struct x86_cpu *cpu, struct x86_insn *in)
{
	return string_run(cpu, in, STR_OUTS);
}
