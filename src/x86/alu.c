/*
 * x86/alu.c - integer arithmetic and logic with their flags: ADD OR ADC SBB
 * AND SUB XOR CMP, TEST, INC, DEC, NOT, NEG, the BCD/ASCII adjusts, SALC,
 * condition codes and the flag instructions (CLC ... STD, CLI, STI, LAHF, SAHF).
 * Flags are computed eagerly (x86/flags.h).  Not shifts (shift.c) nor MUL/DIV (muldiv.c).
 * Follows Intel SDM vol. 1 appendix A (EFLAGS cross-reference) and vol. 2 pages.
 */
#include "x86/cpu.h"
#include "x86/flags.h"

/* PF for each byte value: X86_FLAGS_PF when it has an even number of one
 * bits.  Each level doubles the table: the upper half has one more bit. */
#define PF2(n) (n), (n) ^ X86_FLAGS_PF, (n) ^ X86_FLAGS_PF, (n)
#define PF4(n) PF2(n), PF2((n) ^ X86_FLAGS_PF), PF2((n) ^ X86_FLAGS_PF), PF2(n)
#define PF6(n) PF4(n), PF4((n) ^ X86_FLAGS_PF), PF4((n) ^ X86_FLAGS_PF), PF4(n)
const uint8_t alu_pf_table[256] = {
    PF6(X86_FLAGS_PF),
    PF6(0),
    PF6(0),
    PF6(X86_FLAGS_PF),
};
#undef PF2
#undef PF4
#undef PF6

/* AND, OR, XOR, TEST: CF = OF = 0; AF is undefined (left clear, as recent CPUs do). */
void alu_flags_logic(struct x86_cpu *cpu, uint64_t res, unsigned size)
{
	cpu->s.rflags = (cpu->s.rflags & ~(uint64_t)ARITH_FLAGS) | alu_szp(res, size);
}

uint64_t alu_op(struct x86_cpu *cpu, int op, uint64_t a, uint64_t b, unsigned size)
{
	return alu_compute(cpu, op, a, b, size);
}

static int alu_opnum(const struct x86_insn *in)
{
	return (in->map == MAP_1B && in->opcode < 0x40) ? (in->opcode >> 3) & 7
							: (in->modrm >> 3) & 7;
}

int ex_alu(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t a, b;
	int op = alu_opnum(in);
	int rc = opnd_read(cpu, in, 0, &a);
	if (!rc)
		rc = opnd_read(cpu, in, 1, &b);
	if (rc)
		return rc;
	uint64_t r = alu_compute(cpu, op, a, b, in->size[0]);
	if (op == 7)
		return X86_OK;
	return opnd_write(cpu, in, 0, r);
}

int ex_alu_ai(struct x86_cpu *cpu, struct x86_insn *in)
{
	int op = (in->opcode >> 3) & 7;
	unsigned size = in->size[0];
	uint64_t a = cpu->s.gpr[X86_RAX] & x86_mask(size);
	uint64_t r = alu_op(cpu, op, a, in->imm & x86_mask(size), size);
	if (op != 7)
		reg_write(cpu, in, X86_RAX, size, r);
	return X86_OK;
}

int ex_test(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t a, b;
	int rc = opnd_read(cpu, in, 0, &a);
	if (!rc)
		rc = opnd_read(cpu, in, 1, &b);
	if (rc)
		return rc;
	alu_flags_logic(cpu, a & b, in->size[0]);
	return X86_OK;
}

int ex_incdec(struct x86_cpu *cpu, struct x86_insn *in)
{
	bool dec = in->map == MAP_1B && in->opcode >= 0x40 && in->opcode < 0x50
		       ? in->opcode >= 0x48
		       : ((in->modrm >> 3) & 1);
	uint64_t a;
	int rc = opnd_read(cpu, in, 0, &a);
	if (rc)
		return rc;
	uint64_t cf = cpu->s.rflags & X86_FLAGS_CF;
	uint64_t r = dec ? alu_sub(cpu, a, 1, 0, in->size[0]) : alu_add(cpu, a, 1, 0, in->size[0]);
	cpu->s.rflags = (cpu->s.rflags & ~(uint64_t)X86_FLAGS_CF) | cf;
	return opnd_write(cpu, in, 0, r);
}

int ex_not(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t a;
	int rc = opnd_read(cpu, in, 0, &a);
	if (rc)
		return rc;
	return opnd_write(cpu, in, 0, ~a);
}

int ex_neg(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t a;
	int rc = opnd_read(cpu, in, 0, &a);
	if (rc)
		return rc;
	uint64_t r = alu_sub(cpu, 0, a, 0, in->size[0]);
	return opnd_write(cpu, in, 0, r);
}

/* Condition codes 0-15 (SDM vol. 1, appendix B). */
bool alu_cond(struct x86_cpu *cpu, int cc)
{
	return alu_cond_flags(cpu->s.rflags, cc);
}

/* Decimal and ASCII adjusts (SDM DAA, DAS, AAA, AAS, AAM, AAD pseudo-code). */
int ex_daa(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t *f = &cpu->s.rflags;
	uint8_t al = cpu->s.gpr[X86_RAX] & 0xFF, old_al = al;
	bool old_cf = *f & X86_FLAGS_CF, cf = false, af = false;
	if ((al & 0xF) > 9 || (*f & X86_FLAGS_AF)) {
		cf = old_cf || al > 0xF9;
		al += 6;
		af = true;
	}
	if (old_al > 0x99 || old_cf) {
		al += 0x60;
		cf = true;
	}
	reg_write(cpu, in, X86_RAX, 1, al);
	*f = (*f & ~(uint64_t)ARITH_FLAGS) | alu_szp(al, 1) | (cf ? X86_FLAGS_CF : 0) |
	     (af ? X86_FLAGS_AF : 0);
	return X86_OK;
}

int ex_das(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t *f = &cpu->s.rflags;
	uint8_t al = cpu->s.gpr[X86_RAX] & 0xFF, old_al = al;
	bool old_cf = *f & X86_FLAGS_CF, cf = false, af = false;
	if ((al & 0xF) > 9 || (*f & X86_FLAGS_AF)) {
		cf = old_cf || al < 6;
		al -= 6;
		af = true;
	}
	if (old_al > 0x99 || old_cf) {
		al -= 0x60;
		cf = true;
	}
	reg_write(cpu, in, X86_RAX, 1, al);
	*f = (*f & ~(uint64_t)ARITH_FLAGS) | alu_szp(al, 1) | (cf ? X86_FLAGS_CF : 0) |
	     (af ? X86_FLAGS_AF : 0);
	return X86_OK;
}

static int alu_ascii_adjust(struct x86_cpu *cpu, struct x86_insn *in, bool sub)
{
	uint64_t *f = &cpu->s.rflags;
	uint16_t ax = cpu->s.gpr[X86_RAX] & 0xFFFF;
	bool adj = (ax & 0xF) > 9 || (*f & X86_FLAGS_AF);
	if (adj) {
		if (sub) {
			ax -= 6;
			ax = (ax & 0xFF) | (((ax >> 8) - 1) & 0xFF) << 8;
		} else {
			ax += 0x106;
		}
	}
	ax = (ax & 0xFF0F);
	reg_write(cpu, in, X86_RAX, 2, ax);
	*f = (*f & ~(uint64_t)ARITH_FLAGS) | alu_szp(ax & 0xFF, 1) |
	     (adj ? X86_FLAGS_AF | X86_FLAGS_CF : 0);
	return X86_OK;
}

int ex_aaa(struct x86_cpu *cpu, struct x86_insn *in)
{
	return alu_ascii_adjust(cpu, in, false);
}

int ex_aas(struct x86_cpu *cpu, struct x86_insn *in)
{
	return alu_ascii_adjust(cpu, in, true);
}

int ex_aam(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint8_t base = in->imm & 0xFF, al = cpu->s.gpr[X86_RAX] & 0xFF;
	if (!base)
		return x86_raise(cpu, 0, false, 0);
	uint8_t r = al % base;
	reg_write(cpu, in, X86_RAX, 2, ((al / base) << 8) | r);
	cpu->s.rflags = (cpu->s.rflags & ~(uint64_t)ARITH_FLAGS) | alu_szp(r, 1);
	return X86_OK;
}

int ex_aad(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint8_t base = in->imm & 0xFF, al = cpu->s.gpr[X86_RAX] & 0xFF;
	uint8_t ah = (cpu->s.gpr[X86_RAX] >> 8) & 0xFF;
	/* The multiply-add sets flags like an 8-bit ADD of AL and AH*base. */
	uint8_t r = (uint8_t)alu_add(cpu, al, (uint8_t)(ah * base), 0, 1);
	reg_write(cpu, in, X86_RAX, 2, r);
	return X86_OK;
}

int ex_salc(struct x86_cpu *cpu, struct x86_insn *in)
{
	reg_write(cpu, in, X86_RAX, 1, (cpu->s.rflags & X86_FLAGS_CF) ? 0xFF : 0);
	return X86_OK;
}

int ex_lahf(struct x86_cpu *cpu, struct x86_insn *in)
{
	/* Always AH, even with a REX prefix. */
	uint64_t *rax = &cpu->s.gpr[X86_RAX];
	*rax = (*rax & ~0xFF00ull) | (((cpu->s.rflags & 0xD5) | X86_FLAGS_FIXED) << 8);
	return X86_OK;
}

int ex_sahf(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t ah = (cpu->s.gpr[X86_RAX] >> 8) & 0xFF;
	cpu_set_flags(cpu, ah, 0xD5);
	return X86_OK;
}

int ex_cmc(struct x86_cpu *cpu, struct x86_insn *in)
{
	cpu->s.rflags ^= X86_FLAGS_CF;
	return X86_OK;
}

int ex_clc(struct x86_cpu *cpu, struct x86_insn *in)
{
	cpu->s.rflags &= ~(uint64_t)X86_FLAGS_CF;
	return X86_OK;
}

int ex_stc(struct x86_cpu *cpu, struct x86_insn *in)
{
	cpu->s.rflags |= X86_FLAGS_CF;
	return X86_OK;
}

int ex_cld(struct x86_cpu *cpu, struct x86_insn *in)
{
	cpu->s.rflags &= ~(uint64_t)X86_FLAGS_DF;
	return X86_OK;
}

int ex_std(struct x86_cpu *cpu, struct x86_insn *in)
{
	cpu->s.rflags |= X86_FLAGS_DF;
	return X86_OK;
}

/* CLI/STI: IOPL-sensitive in protected and virtual-8086 mode (no VME/PVI). */
static bool alu_if_allowed(struct x86_cpu *cpu)
{
	if (cpu->mode == X86_MODE_REAL)
		return true;
	return (unsigned)cpu->cpl <= ((cpu->s.rflags >> 12) & 3);
}

int ex_cli(struct x86_cpu *cpu, struct x86_insn *in)
{
	if (!alu_if_allowed(cpu))
		return x86_gp(cpu, 0);
	cpu->s.rflags &= ~(uint64_t)X86_FLAGS_IF;
	return X86_OK;
}

int ex_sti(struct x86_cpu *cpu, struct x86_insn *in)
{
	if (!alu_if_allowed(cpu))
		return x86_gp(cpu, 0);
	if (!(cpu->s.rflags & X86_FLAGS_IF)) {
		cpu->inhibit_next = 1; /* the STI shadow (SDM STI) */
		cpu->events = true;
	}
	cpu->s.rflags |= X86_FLAGS_IF;
	return X86_OK;
}
