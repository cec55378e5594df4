/*
 * x86/muldiv.c - MUL, IMUL (one, two and three operands), DIV, IDIV with #DE.
 * CF and OF as the SDM defines them; SF, ZF, PF from the low half and AF
 * clear (undefined in the SDM; harnesses mask them).
 * Follows Intel SDM vol. 2, "MUL", "IMUL", "DIV", "IDIV".
 */
#include "x86/cpu.h"

static void muldiv_flags(struct x86_cpu *cpu, uint64_t lo, unsigned size, bool overflow)
{
	alu_flags_logic(cpu, lo, size);
	if (overflow)
		cpu->s.rflags |= X86_FLAGS_CF | X86_FLAGS_OF;
}

/* Store a double-width result: AX for bytes, DX:AX, EDX:EAX, RDX:RAX otherwise. */
static void muldiv_store(struct x86_cpu *cpu, struct x86_insn *in, unsigned size, uint64_t lo,
			 uint64_t hi)
{
	if (size == 1) {
		reg_write(cpu, in, X86_RAX, 2, (lo & 0xFF) | ((hi & 0xFF) << 8));
	} else {
		reg_write(cpu, in, X86_RAX, size, lo);
		reg_write(cpu, in, X86_RDX, size, hi);
	}
}

int ex_mul1(struct x86_cpu *cpu, struct x86_insn *in)
{
	unsigned size = in->size[0];
	uint64_t b;
	int rc = opnd_read(cpu, in, 0, &b);
	if (rc)
		return rc;
	uint64_t a = cpu->s.gpr[X86_RAX] & x86_mask(size);
	unsigned __int128 p = (unsigned __int128)a * b;
	uint64_t lo = (uint64_t)p & x86_mask(size);
	uint64_t hi =
	    size == 8 ? (uint64_t)(p >> 64) : (uint64_t)(p >> (size * 8)) & x86_mask(size);
	muldiv_store(cpu, in, size, lo, hi);
	muldiv_flags(cpu, lo, size, hi != 0);
	return X86_OK;
}

int ex_imul1(struct x86_cpu *cpu, struct x86_insn *in)
{
	unsigned size = in->size[0];
	uint64_t b;
	int rc = opnd_read(cpu, in, 0, &b);
	if (rc)
		return rc;
	int64_t sa = (int64_t)x86_sext(cpu->s.gpr[X86_RAX], size), sb = (int64_t)x86_sext(b, size);
	__int128 p = (__int128)sa * sb;
	uint64_t lo = (uint64_t)p & x86_mask(size);
	uint64_t hi =
	    size == 8 ? (uint64_t)(p >> 64) : (uint64_t)(p >> (size * 8)) & x86_mask(size);
	muldiv_store(cpu, in, size, lo, hi);
	muldiv_flags(cpu, lo, size, p != (__int128)(int64_t)x86_sext(lo, size));
	return X86_OK;
}

static int imul_to(struct x86_cpu *cpu, struct x86_insn *in, uint64_t a, uint64_t b)
{
	unsigned size = in->size[0];
	__int128 p = (__int128)(int64_t)x86_sext(a, size) * (int64_t)x86_sext(b, size);
	uint64_t lo = (uint64_t)p & x86_mask(size);
	muldiv_flags(cpu, lo, size, p != (__int128)(int64_t)x86_sext(lo, size));
	reg_write(cpu, in, in->reg, size, lo);
	return X86_OK;
}

int ex_imul2(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t a, b;
	int rc = opnd_read(cpu, in, 0, &a);
	if (!rc)
		rc = opnd_read(cpu, in, 1, &b);
	if (rc)
		return rc;
	return imul_to(cpu, in, a, b);
}

int ex_imul3(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t a;
	int rc = opnd_read(cpu, in, 1, &a);
	if (rc)
		return rc;
	return imul_to(cpu, in, a, in->imm);
}

int ex_div(struct x86_cpu *cpu, struct x86_insn *in)
{
	unsigned size = in->size[0];
	uint64_t d;
	int rc = opnd_read(cpu, in, 0, &d);
	if (rc)
		return rc;
	if (!d)
		return x86_raise(cpu, 0, false, 0);
	unsigned __int128 n;
	if (size == 1)
		n = cpu->s.gpr[X86_RAX] & 0xFFFF;
	else
		n = ((unsigned __int128)(cpu->s.gpr[X86_RDX] & x86_mask(size)) << (size * 8)) |
		    (cpu->s.gpr[X86_RAX] & x86_mask(size));
	unsigned __int128 q = n / d;
	uint64_t r = (uint64_t)(n % d);
	if (q > x86_mask(size))
		return x86_raise(cpu, 0, false, 0);
	if (size == 1)
		reg_write(cpu, in, X86_RAX, 2, ((uint64_t)q & 0xFF) | (r << 8));
	else
		muldiv_store(cpu, in, size, (uint64_t)q, r);
	return X86_OK;
}

int ex_idiv(struct x86_cpu *cpu, struct x86_insn *in)
{
	unsigned size = in->size[0];
	uint64_t dv;
	int rc = opnd_read(cpu, in, 0, &dv);
	if (rc)
		return rc;
	int64_t d = (int64_t)x86_sext(dv, size);
	if (!d)
		return x86_raise(cpu, 0, false, 0);
	__int128 n;
	if (size == 1)
		n = (int16_t)(cpu->s.gpr[X86_RAX] & 0xFFFF);
	else if (size == 8)
		n = (__int128)(((unsigned __int128)cpu->s.gpr[X86_RDX] << 64) |
			       cpu->s.gpr[X86_RAX]);
	else
		n = (int64_t)x86_sext(((cpu->s.gpr[X86_RDX] & x86_mask(size)) << (size * 8)) |
					  (cpu->s.gpr[X86_RAX] & x86_mask(size)),
				      size * 2);
	__int128 q = n / d, r = n % d;
	__int128 max = (__int128)1 << (size * 8 - 1);
	if (q >= max || q < -max)
		return x86_raise(cpu, 0, false, 0);
	if (size == 1)
		reg_write(cpu, in, X86_RAX, 2, ((uint64_t)q & 0xFF) | (((uint64_t)r & 0xFF) << 8));
	else
		muldiv_store(cpu, in, size, (uint64_t)q, (uint64_t)r);
	return X86_OK;
}
