/*
 * x86/flags.h - the arithmetic flags (CF PF AF ZF SF OF) of the eight ALU
 * operations, computed eagerly and without branches, shared by the general
 * bodies (alu.c) and the specialised forms (fast.c) so both give one answer.
 * Not the condition codes' users (Jcc, SETcc, CMOVcc) nor shifts (shift.c).
 * Follows Intel SDM vol. 1, 3.4.3.1 and appendix A (EFLAGS cross-reference).
 */
#ifndef EMBER_X86_FLAGS_H
#define EMBER_X86_FLAGS_H

#include "x86/cpu.h"

#define ARITH_FLAGS                                                                                \
	(X86_FLAGS_CF | X86_FLAGS_PF | X86_FLAGS_AF | X86_FLAGS_ZF | X86_FLAGS_SF | X86_FLAGS_OF)

/* X86_FLAGS_PF for each byte value with an even number of one bits. */
extern const uint8_t alu_pf_table[256];

/* ZF, SF and PF of a result of size bytes. */
static inline uint64_t alu_szp(uint64_t res, unsigned size)
{
	res &= x86_mask(size);
	return (uint64_t)(res == 0) * X86_FLAGS_ZF | ((res >> (size * 8 - 1)) & 1) * X86_FLAGS_SF |
	       alu_pf_table[res & 0xFF];
}

/* a + b + c (c is 0 or 1) on size bytes; sets the six flags. */
static inline uint64_t alu_add(struct x86_cpu *cpu, uint64_t a, uint64_t b, uint64_t c,
			       unsigned size)
{
	uint64_t full = a + b + c, r = full & x86_mask(size), cf;
	if (size < 8)
		cf = (full >> (size * 8)) & 1; /* the carry out is the bit above the result */
	else
		cf = (r < a) | (c & (r == a));
	uint64_t f = alu_szp(r, size) | cf * X86_FLAGS_CF | ((a ^ b ^ r) & X86_FLAGS_AF) |
		     ((((a ^ r) & (b ^ r)) >> (size * 8 - 1)) & 1) * X86_FLAGS_OF;
	cpu->s.rflags = (cpu->s.rflags & ~(uint64_t)ARITH_FLAGS) | f;
	return r;
}

/* a - b - c (c is 0 or 1) on size bytes; sets the six flags. */
static inline uint64_t alu_sub(struct x86_cpu *cpu, uint64_t a, uint64_t b, uint64_t c,
			       unsigned size)
{
	uint64_t full = a - b - c, r = full & x86_mask(size), cf;
	if (size < 8)
		cf = full >> 63; /* operands below 2^32: a borrow makes the difference negative */
	else
		cf = (a < b) | (c & (a == b));
	uint64_t f = alu_szp(r, size) | cf * X86_FLAGS_CF | ((a ^ b ^ r) & X86_FLAGS_AF) |
		     ((((a ^ b) & (a ^ r)) >> (size * 8 - 1)) & 1) * X86_FLAGS_OF;
	cpu->s.rflags = (cpu->s.rflags & ~(uint64_t)ARITH_FLAGS) | f;
	return r;
}

/*
 * op in ModRM.reg / opcode bits 3-5 order: ADD OR ADC SBB AND SUB XOR CMP.
 * Operands are already reduced to size bytes.  AND, OR, XOR clear CF and OF;
 * their AF is undefined and left clear, as recent CPUs do.
 */
static inline uint64_t alu_compute(struct x86_cpu *cpu, int op, uint64_t a, uint64_t b,
				   unsigned size)
{
	uint64_t cf = cpu->s.rflags & X86_FLAGS_CF, r;
	switch (op) {
	case 0:
		return alu_add(cpu, a, b, 0, size);
	case 2:
		return alu_add(cpu, a, b, cf, size);
	case 3:
		return alu_sub(cpu, a, b, cf, size);
	case 5:
	case 7:
		return alu_sub(cpu, a, b, 0, size);
	case 1:
		r = a | b;
		break;
	case 4:
		r = a & b;
		break;
	default:
		r = a ^ b;
		break;
	}
	cpu->s.rflags = (cpu->s.rflags & ~(uint64_t)ARITH_FLAGS) | alu_szp(r, size);
	return r;
}

/* The six flags a lazy record stands for: the formulas of alu_add/alu_sub. */
static inline uint64_t alu_lazy_flags(const struct x86_lazy_flags *lf)
{
	unsigned size = lf->size, top = size * 8 - 1;
	uint64_t r = lf->res, a = lf->a, b = lf->b, cf = 0, of = 0;
	switch (lf->op) {
	case LF_ADD:
	case LF_INC:
		cf = lf->op == LF_INC ? lf->cf : r < a; /* a, b, r within size */
		of = (((a ^ r) & (b ^ r)) >> top) & 1;
		break;
	case LF_SUB:
	case LF_DEC:
		cf = lf->op == LF_DEC ? lf->cf : a < b;
		of = (((a ^ b) & (a ^ r)) >> top) & 1;
		break;
	case LF_SHL: /* shift.c's rules; AF left clear */
		cf = b <= size * 8 ? (a >> (size * 8 - b)) & 1 : 0;
		return alu_szp(r, size) | cf * X86_FLAGS_CF | (((r >> top) & 1) ^ cf) * X86_FLAGS_OF;
	case LF_SHR:
		return alu_szp(r, size) | ((a >> (b - 1)) & 1) * X86_FLAGS_CF |
		       ((a >> top) & 1) * X86_FLAGS_OF;
	case LF_SAR:
		return alu_szp(r, size) | (((int64_t)x86_sext(a, size) >> (b - 1)) & 1) * X86_FLAGS_CF;
	default: /* LF_LOGIC: CF = OF = AF = 0 */
		return alu_szp(r, size);
	}
	return alu_szp(r, size) | cf * X86_FLAGS_CF | ((a ^ b ^ r) & X86_FLAGS_AF) |
	       of * X86_FLAGS_OF;
}

/* The six flags of the whole lazy state over rflags: the record (or RFLAGS)
 * below, and an INC/DEC on top of it, which keeps CF. */
static inline uint64_t alu_lazy_all(const struct x86_lazy_flags *lf, uint64_t rflags)
{
	uint64_t f = lf->op ? alu_lazy_flags(lf) : rflags & ARITH_FLAGS;
	if (lf->idop) {
		uint64_t m = x86_mask(lf->idsize);
		struct x86_lazy_flags id = {
		    .res = lf->idres,
		    .a = (lf->idop == LF_INC ? lf->idres - 1 : lf->idres + 1) & m,
		    .b = 1,
		    .op = lf->idop,
		    .size = lf->idsize,
		    .cf = (f & X86_FLAGS_CF) != 0,
		};
		f = alu_lazy_flags(&id);
	}
	return f;
}

/* Condition code cc (0-15, SDM vol. 1 appendix B) of the flags f. */
static inline bool alu_cond_flags(uint64_t f, int cc)
{
	bool r;
	switch (cc >> 1) {
	case 0:
		r = f & X86_FLAGS_OF;
		break;
	case 1:
		r = f & X86_FLAGS_CF;
		break;
	case 2:
		r = f & X86_FLAGS_ZF;
		break;
	case 3:
		r = f & (X86_FLAGS_CF | X86_FLAGS_ZF);
		break;
	case 4:
		r = f & X86_FLAGS_SF;
		break;
	case 5:
		r = f & X86_FLAGS_PF;
		break;
	case 6: /* L: SF != OF */
		r = ((f >> 7) ^ (f >> 11)) & 1;
		break;
	default: /* LE: ZF or SF != OF */
		r = (f & X86_FLAGS_ZF) || (((f >> 7) ^ (f >> 11)) & 1);
		break;
	}
	return (cc & 1) ? !r : r;
}

#endif
