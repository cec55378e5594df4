/*
 * x86/stack.c - the stack: push/pop helpers with the stack-address size,
 * multi-slot frames for interrupts and far transfers, and the PUSH, POP,
 * PUSHA, POPA, PUSHF, POPF, ENTER, LEAVE bodies.  Not far CALL/RET (branch.c).
 * Follows Intel SDM vol. 1, 6.2 (stacks) and the vol. 2 pages of each instruction.
 */
#include "x86/cpu.h"

unsigned stack_width(struct x86_cpu *cpu)
{
	if (cpu->mode == X86_MODE_LONG64)
		return 8;
	return cpu->s.seg[X86_SS].db ? 4 : 2;
}

static void stack_set_sp(struct x86_cpu *cpu, uint64_t sp)
{
	unsigned w = stack_width(cpu);
	uint64_t *r = &cpu->s.gpr[X86_RSP];
	if (w == 2)
		*r = (*r & ~0xFFFFull) | (sp & 0xFFFF);
	else if (w == 4)
		*r = (uint32_t)sp;
	else
		*r = sp;
}

int stack_push(struct x86_cpu *cpu, unsigned size, uint64_t val)
{
	uint64_t sp = (cpu->s.gpr[X86_RSP] - size) & x86_mask(stack_width(cpu));
	int rc = mem_write(cpu, X86_SS, sp, size, val);
	if (rc)
		return rc;
	stack_set_sp(cpu, sp);
	return X86_OK;
}

int stack_pop(struct x86_cpu *cpu, unsigned size, uint64_t *val)
{
	unsigned w = stack_width(cpu);
	uint64_t sp = cpu->s.gpr[X86_RSP] & x86_mask(w);
	int rc = mem_read(cpu, X86_SS, sp, size, val);
	if (rc)
		return rc;
	stack_set_sp(cpu, sp + size);
	return X86_OK;
}

/*
 * Push n values of w bytes (vals[0] first, at the highest address) on the
 * stack described by ss, starting below sp, checking every slot before
 * writing any, so a fault leaves memory and registers unchanged.
 */
int stack_write_frame(struct x86_cpu *cpu, const struct x86_seg *ss, uint64_t sp,
		      const uint64_t *vals, int n, unsigned w, int cpl, uint64_t *new_sp)
{
	bool is64 = cpu->mode == X86_MODE_LONG64 || (cpu->s.efer & X86_EFER_LMA && w == 8);
	uint64_t spmask = is64 ? ~0ull : ss->db ? 0xFFFFFFFFull : 0xFFFFull;
	uint64_t lin[40]; /* the largest frame: a call gate with 31 parameters */
	for (int pass = 0; pass < 2; pass++) {
		uint64_t p = sp;
		for (int i = 0; i < n; i++) {
			p = (p - w) & spmask;
			if (pass == 0) {
				if (is64) {
					lin[i] = p;
					if ((uint64_t)((int64_t)(p << 16) >> 16) != p)
						return x86_raise(cpu, 12, true, 0);
				} else {
					if (cpu->mode != X86_MODE_REAL && ss->unusable)
						return x86_raise(cpu, 12, true, 0);
					if (!seg_limit_ok(ss, p, w))
						return x86_raise(cpu, 12, true, 0);
					lin[i] = (ss->base + p) & 0xFFFFFFFFull;
				}
				struct x86_tlb_entry *e;
				int rc = mmu_translate(cpu, lin[i], ACC_WRITE, cpl, &e);
				if (!rc && ((lin[i] + w - 1) ^ lin[i]) >> 12)
					rc = mmu_translate(cpu, (lin[i] + w - 1) & ~0xFFFull,
							   ACC_WRITE, cpl, &e);
				if (rc)
					return rc;
			} else {
				uint8_t b[8];
				for (unsigned k = 0; k < w; k++)
					b[k] = (uint8_t)(vals[i] >> (8 * k));
				int rc = mmu_write_lin(cpu, lin[i], b, w, cpl, false);
				if (rc)
					return rc;
			}
		}
		*new_sp = p;
	}
	return X86_OK;
}

/* Read n values of w bytes from SS:sp upward (vals[0] at sp), no SP update. */
int stack_read_frame(struct x86_cpu *cpu, uint64_t sp, uint64_t *vals, int n, unsigned w)
{
	uint64_t mask = x86_mask(stack_width(cpu));
	for (int i = 0; i < n; i++) {
		int rc = mem_read(cpu, X86_SS, (sp + (uint64_t)i * w) & mask, w, &vals[i]);
		if (rc)
			return rc;
	}
	return X86_OK;
}

int ex_push(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t v;
	int rc = opnd_read(cpu, in, 0, &v);
	if (rc)
		return rc;
	return stack_push(cpu, in->opsize, v);
}

int ex_pop(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t v;
	int rc = stack_pop(cpu, in->opsize, &v);
	if (rc)
		return rc;
	return opnd_write(cpu, in, 0, v);
}

/* POP Ev: RSP is incremented before the destination address is computed. */
int ex_pop_ev(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t v, rsp = cpu->s.gpr[X86_RSP];
	int rc = stack_pop(cpu, in->opsize, &v);
	if (rc)
		return rc;
	rc = opnd_write(cpu, in, 0, v);
	if (rc)
		cpu->s.gpr[X86_RSP] = rsp;
	return rc;
}

int ex_pusha(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t v[8];
	unsigned w = in->opsize;
	for (int i = 0; i < 8; i++)
		v[i] = cpu->s.gpr[i] & x86_mask(w);
	uint64_t sp;
	int rc = stack_write_frame(cpu, &cpu->s.seg[X86_SS], cpu->s.gpr[X86_RSP], v, 8, w, cpu->cpl,
				   &sp);
	if (rc)
		return rc;
	stack_set_sp(cpu, sp);
	return X86_OK;
}

int ex_popa(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t v[8];
	unsigned w = in->opsize;
	uint64_t sp = cpu->s.gpr[X86_RSP] & x86_mask(stack_width(cpu));
	int rc = stack_read_frame(cpu, sp, v, 8, w);
	if (rc)
		return rc;
	for (int i = 0; i < 8; i++)
		if (7 - i != X86_RSP)
			reg_write(cpu, in, 7 - i, w, v[i]);
	stack_set_sp(cpu, sp + 8 * w);
	return X86_OK;
}

int ex_pushf(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t f = cpu->s.rflags;
	if (cpu->mode == X86_MODE_V86 && ((f >> 12) & 3) != 3)
		return x86_gp(cpu, 0);
	/* VM and RF are never pushed (SDM PUSHF). */
	return stack_push(cpu, in->opsize, f & ~(uint64_t)(X86_FLAGS_VM | X86_FLAGS_RF));
}

/* Which RFLAGS bits POPF and IRET may change at this CPL and IOPL (SDM POPF). */
uint64_t stack_flags_mask(struct x86_cpu *cpu, unsigned size)
{
	uint64_t m = X86_FLAGS_CF | X86_FLAGS_PF | X86_FLAGS_AF | X86_FLAGS_ZF | X86_FLAGS_SF |
		     X86_FLAGS_TF | X86_FLAGS_DF | X86_FLAGS_OF | X86_FLAGS_NT;
	unsigned iopl = (cpu->s.rflags >> 12) & 3;
	if (size >= 4)
		m |= X86_FLAGS_AC | X86_FLAGS_ID;
	if (cpu->cpl == 0)
		m |= X86_FLAGS_IOPL;
	if ((unsigned)cpu->cpl <= iopl)
		m |= X86_FLAGS_IF;
	if (size == 2)
		m &= 0xFFFF;
	return m;
}

int ex_popf(struct x86_cpu *cpu, struct x86_insn *in)
{
	if (cpu->mode == X86_MODE_V86 && ((cpu->s.rflags >> 12) & 3) != 3)
		return x86_gp(cpu, 0);
	uint64_t v;
	int rc = stack_pop(cpu, in->opsize, &v);
	if (rc)
		return rc;
	uint64_t m = stack_flags_mask(cpu, in->opsize);
	if (cpu->mode == X86_MODE_V86)
		m &= ~(uint64_t)X86_FLAGS_IOPL;
	cpu_set_flags(cpu, v, m);
	return X86_OK;
}

int ex_enter(struct x86_cpu *cpu, struct x86_insn *in)
{
	unsigned w = in->opsize, sw = stack_width(cpu);
	uint64_t smask = x86_mask(sw);
	unsigned level = in->imm2 & 31;
	uint64_t rsp = cpu->s.gpr[X86_RSP], rbp = cpu->s.gpr[X86_RBP];
	uint64_t sp = (rsp - w) & smask;
	int rc = mem_write(cpu, X86_SS, sp, w, rbp);
	if (rc)
		return rc;
	uint64_t frame = sp;
	uint64_t bp = rbp;
	for (unsigned i = 1; i < level; i++) {
		uint64_t v;
		bp = (bp - w) & smask;
		rc = mem_read(cpu, X86_SS, bp, w, &v);
		if (!rc) {
			sp = (sp - w) & smask;
			rc = mem_write(cpu, X86_SS, sp, w, v);
		}
		if (rc)
			return rc;
	}
	if (level) {
		sp = (sp - w) & smask;
		rc = mem_write(cpu, X86_SS, sp, w, frame);
		if (rc)
			return rc;
	}
	sp = (sp - (in->imm & 0xFFFF)) & smask;
	reg_write(cpu, in, X86_RBP, w, frame);
	stack_set_sp(cpu, sp);
	return X86_OK;
}

int ex_leave(struct x86_cpu *cpu, struct x86_insn *in)
{
	unsigned sw = stack_width(cpu);
	uint64_t sp = cpu->s.gpr[X86_RBP] & x86_mask(sw), v;
	int rc = mem_read(cpu, X86_SS, sp, in->opsize, &v);
	if (rc)
		return rc;
	stack_set_sp(cpu, sp + in->opsize);
	reg_write(cpu, in, X86_RBP, in->opsize, v);
	return X86_OK;
}
