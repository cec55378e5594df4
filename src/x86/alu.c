/*
 * x86/alu.c - integer arithmetic and logic with their flags: ADD OR ADC SBB
 * AND SUB XOR CMP, TEST, INC, DEC, NOT, NEG, the BCD/ASCII adjusts, SALC,
 * condition codes and the flag instructions (CLC ... STD, CLI, STI, LAHF, SAHF).
 * Flags are computed eagerly.  Not shifts (shift.c) nor MUL/DIV (muldiv.c).
 * Follows Intel SDM vol. 1 appendix A (EFLAGS cross-reference) and vol. 2 pages.
 */
#include "x86/cpu.h"

#define ARITH_FLAGS                                                                                \
	(X86_FLAGS_CF | X86_FLAGS_PF | X86_FLAGS_AF | X86_FLAGS_ZF | X86_FLAGS_SF | X86_FLAGS_OF)

/* PF for each byte value: X86_FLAGS_PF when it has an even number of one
 * bits.  Each level doubles the table: the upper half has one more bit. */
#define PF2(n) (n), (n) ^ X86_FLAGS_PF, (n) ^ X86_FLAGS_PF, (n)
#define PF4(n) PF2(n), PF2((n) ^ X86_FLAGS_PF), PF2((n) ^ X86_FLAGS_PF), PF2(n)
#define PF6(n) PF4(n), PF4((n) ^ X86_FLAGS_PF), PF4((n) ^ X86_FLAGS_PF), PF4(n)
static const uint8_t alu_pf_table[256] = {
    PF6(X86_FLAGS_PF),
    PF6(0),
    PF6(0),
    PF6(X86_FLAGS_PF),
};
#undef PF2
#undef PF4
#undef PF6

static inline uint64_t alu_pf(uint64_t res)
{
	return alu_pf_table[res & 0xFF];
}

static inline uint64_t alu_szp(uint64_t res, unsigned size)
{
	res &= x86_mask(size);
	return (uint64_t)(res == 0) * X86_FLAGS_ZF | ((res >> (size * 8 - 1)) & 1) * X86_FLAGS_SF |
	       alu_pf(res);
}

void alu_flags_szp(struct x86_cpu *cpu, uint64_t res, unsigned size)
{
	cpu->s.rflags = (cpu->s.rflags & ~(uint64_t)(X86_FLAGS_SF | X86_FLAGS_ZF | X86_FLAGS_PF)) |
			alu_szp(res, size);
}

/* AND, OR, XOR, TEST: CF = OF = 0; AF is undefined (left clear, as recent CPUs do). */
void alu_flags_logic(struct x86_cpu *cpu, uint64_t res, unsigned size)
{
	cpu->s.rflags = (cpu->s.rflags & ~(uint64_t)ARITH_FLAGS) | alu_szp(res, size);
}

static inline uint64_t alu_add(struct x86_cpu *cpu, uint64_t a, uint64_t b, unsigned c,
			       unsigned size)
{
	uint64_t m = x86_mask(size), r = (a + b + c) & m;
	unsigned top = size * 8 - 1;
	uint64_t f = alu_szp(r, size);
	if (r < a || (c && r == a))
		f |= X86_FLAGS_CF;
	if ((((a ^ r) & (b ^ r)) >> top) & 1)
		f |= X86_FLAGS_OF;
	if ((a ^ b ^ r) & 0x10)
		f |= X86_FLAGS_AF;
	cpu->s.rflags = (cpu->s.rflags & ~(uint64_t)ARITH_FLAGS) | f;
	return r;
}

static inline uint64_t alu_sub(struct x86_cpu *cpu, uint64_t a, uint64_t b, unsigned c,
			       unsigned size)
{
	uint64_t m = x86_mask(size), r = (a - b - c) & m;
	unsigned top = size * 8 - 1;
	uint64_t f = alu_szp(r, size);
	if (a < b || (c && a == b))
		f |= X86_FLAGS_CF;
	if ((((a ^ b) & (a ^ r)) >> top) & 1)
		f |= X86_FLAGS_OF;
	if ((a ^ b ^ r) & 0x10)
		f |= X86_FLAGS_AF;
	cpu->s.rflags = (cpu->s.rflags & ~(uint64_t)ARITH_FLAGS) | f;
	return r;
}

/* op: ModRM.reg / opcode bits 3-5 order: ADD OR ADC SBB AND SUB XOR CMP.
 * Inline for ex_alu, the hottest caller; alu_op is the same for the others. */
static inline uint64_t alu_op_inline(struct x86_cpu *cpu, int op, uint64_t a, uint64_t b,
				     unsigned size)
{
	unsigned cf = cpu->s.rflags & X86_FLAGS_CF;
	uint64_t r;
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

uint64_t alu_op(struct x86_cpu *cpu, int op, uint64_t a, uint64_t b, unsigned size)
{
	return alu_op_inline(cpu, op, a, b, size);
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
	uint64_t r = alu_op_inline(cpu, op, a, b, in->size[0]);
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
	/* O, B, Z, BE, S, P test flags directly; L and LE compare SF with OF. */
	static const uint64_t mask[6] = {
	    [0] = X86_FLAGS_OF, [1] = X86_FLAGS_CF,
	    [2] = X86_FLAGS_ZF, [3] = X86_FLAGS_CF | X86_FLAGS_ZF,
	    [4] = X86_FLAGS_SF, [5] = X86_FLAGS_PF,
	};
	uint64_t f = cpu->s.rflags;
	unsigned k = (unsigned)cc >> 1;
	bool r;
	if (k < 6)
		r = f & mask[k];
	else
		r = (!(f & X86_FLAGS_SF) != !(f & X86_FLAGS_OF)) || (k == 7 && (f & X86_FLAGS_ZF));
	return (cc & 1) ? !r : r;
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
