/*
 * x86/data.c - data movement: MOV, MOVZX, MOVSX, MOVSXD, LEA, XCHG, NOP/PAUSE,
 * CMOVcc, SETcc, XLAT, CBW/CWDE/CDQE, CWD/CDQ/CQO, XADD, CMPXCHG,
 * CMPXCHG8B/16B, BOUND.  LOCK is honoured trivially: one CPU, no concurrent bus.
 * Follows Intel SDM vol. 2, the page of each mnemonic.
 */
#include "x86/cpu.h"

int ex_mov(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t v;
	int rc = opnd_read(cpu, in, 1, &v);
	if (rc)
		return rc;
	return opnd_write(cpu, in, 0, v);
}

int ex_movzx(struct x86_cpu *cpu, struct x86_insn *in)
{
	return ex_mov(cpu, in);
}

int ex_movsx(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t v;
	int rc = opnd_read(cpu, in, 1, &v);
	if (rc)
		return rc;
	return opnd_write(cpu, in, 0, x86_sext(v, in->size[1]));
}

int ex_movsxd(struct x86_cpu *cpu, struct x86_insn *in)
{
	return ex_movsx(cpu, in);
}

int ex_lea(struct x86_cpu *cpu, struct x86_insn *in)
{
	if (in->mod == 3)
		return x86_ud(cpu);
	uint64_t off;
	opnd_ea(cpu, in, &off);
	reg_write(cpu, in, in->reg, in->opsize, off);
	return X86_OK;
}

int ex_xchg(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t a, b;
	int rc = opnd_read(cpu, in, 0, &a);
	if (!rc)
		rc = opnd_read(cpu, in, 1, &b);
	if (!rc)
		rc = opnd_write(cpu, in, 0, b);
	if (rc)
		return rc;
	return opnd_write(cpu, in, 1, a);
}

/* 90-97: XCHG rAX, r; 90 without REX.B is NOP, F3 90 is PAUSE. */
int ex_xchg_ax(struct x86_cpu *cpu, struct x86_insn *in)
{
	if (in->rm == X86_RAX)
		return X86_OK;
	return ex_xchg(cpu, in);
}

int ex_nop(struct x86_cpu *cpu, struct x86_insn *in)
{
	return X86_OK;
}

int ex_pause(struct x86_cpu *cpu, struct x86_insn *in)
{
	return X86_OK;
}

int ex_cmov(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t v;
	int rc = opnd_read(cpu, in, 1, &v);
	if (rc)
		return rc;
	/* A 32-bit CMOV zero-extends the destination even when false. */
	if (!alu_cond(cpu, in->opcode & 0xF))
		v = reg_read(cpu, in, in->reg, in->opsize);
	reg_write(cpu, in, in->reg, in->opsize, v);
	return X86_OK;
}

int ex_setcc(struct x86_cpu *cpu, struct x86_insn *in)
{
	return opnd_write(cpu, in, 0, alu_cond(cpu, in->opcode & 0xF));
}

int ex_xlat(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t off = (cpu->s.gpr[X86_RBX] + (cpu->s.gpr[X86_RAX] & 0xFF)) & x86_mask(in->adsize);
	uint64_t v;
	int rc = mem_read(cpu, in->seg, off, 1, &v);
	if (rc)
		return rc;
	reg_write(cpu, in, X86_RAX, 1, v);
	return X86_OK;
}

int ex_cbw(struct x86_cpu *cpu, struct x86_insn *in)
{
	unsigned size = in->opsize;
	reg_write(cpu, in, X86_RAX, size, x86_sext(cpu->s.gpr[X86_RAX], size / 2));
	return X86_OK;
}

int ex_cwd(struct x86_cpu *cpu, struct x86_insn *in)
{
	unsigned size = in->opsize;
	bool neg = (cpu->s.gpr[X86_RAX] >> (size * 8 - 1)) & 1;
	reg_write(cpu, in, X86_RDX, size, neg ? ~0ull : 0);
	return X86_OK;
}

int ex_xadd(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t a, b;
	int rc = opnd_read(cpu, in, 0, &a);
	if (!rc)
		rc = opnd_read(cpu, in, 1, &b);
	if (rc)
		return rc;
	uint64_t r = alu_op(cpu, 0, a, b, in->size[0]);
	if (in->mod == 3) {
		/* SRC := DEST, then DEST := sum: with one register for both, the sum wins. */
		opnd_write(cpu, in, 1, a);
		return opnd_write(cpu, in, 0, r);
	}
	rc = opnd_write(cpu, in, 0, r); /* memory first, so a fault changes nothing */
	if (rc)
		return rc;
	return opnd_write(cpu, in, 1, a);
}

int ex_cmpxchg(struct x86_cpu *cpu, struct x86_insn *in)
{
	unsigned size = in->size[0];
	uint64_t d, src;
	int rc = opnd_read(cpu, in, 0, &d);
	if (!rc)
		rc = opnd_read(cpu, in, 1, &src);
	if (rc)
		return rc;
	uint64_t acc = cpu->s.gpr[X86_RAX] & x86_mask(size);
	alu_op(cpu, 7, acc, d, size);
	if (acc == d)
		return opnd_write(cpu, in, 0, src);
	/*
	 * SDM "CMPXCHG": "The destination operand is written back if the
	 * comparison fails" (ELSE ZF := 0; accumulator := TEMP; DEST := TEMP).
	 * A memory destination gets that write (a locked RMW cycle: it can
	 * fault on a read-only page).  A register destination is left alone:
	 * this AMD CPU keeps all 64 bits of a 32-bit destination after a failed
	 * compare, where DEST := TEMP would zero-extend it (difftest atomic,
	 * hook_atomic's register corners, every case run natively).  The
	 * write-back seen before came from KVM's instruction emulator, which
	 * PVM used for those cases because their RSP was not canonical.
	 */
	if (in->mod != 3) {
		rc = opnd_write(cpu, in, 0, d);
		if (rc)
			return rc;
	}
	reg_write(cpu, in, X86_RAX, size, d);
	return X86_OK;
}

/* CMPXCHG8B m64, and CMPXCHG16B m128 with REX.W (16-byte aligned linear address). */
int ex_cmpxchg8b(struct x86_cpu *cpu, struct x86_insn *in)
{
	unsigned half = (in->rex & 8) ? 8 : 4;
	uint64_t off, lo, hi;
	if (in->mod == 3)
		return x86_ud(cpu);
	opnd_ea(cpu, in, &off);
	/* The linear address is aligned (the FS/GS base included: CMPXCHG16B
	 * needs REX, so 64-bit mode), checked first as for SSE's aligned
	 * operands (sse_mem.c). */
	if (half == 8 && ((off + (in->seg >= X86_FS ? cpu->s.seg[in->seg].base : 0)) & 15))
		return x86_gp(cpu, 0);
	int rc = mem_check(cpu, in->seg, off, half * 2, ACC_WRITE);
	if (!rc)
		rc = mem_read(cpu, in->seg, off, half, &lo);
	if (!rc)
		rc = mem_read(cpu, in->seg, (off + half) & x86_mask(in->adsize), half, &hi);
	if (rc)
		return rc;
	uint64_t m = x86_mask(half);
	struct x86_state *s = &cpu->s;
	if (lo == (s->gpr[X86_RAX] & m) && hi == (s->gpr[X86_RDX] & m)) {
		rc = mem_write(cpu, in->seg, off, half, s->gpr[X86_RBX]);
		if (!rc)
			rc = mem_write(cpu, in->seg, (off + half) & x86_mask(in->adsize), half,
				       s->gpr[X86_RCX]);
		if (rc)
			return rc;
		s->rflags |= X86_FLAGS_ZF;
	} else {
		rc = mem_write(cpu, in->seg, off, half, lo);
		if (!rc)
			rc = mem_write(cpu, in->seg, (off + half) & x86_mask(in->adsize), half, hi);
		if (rc)
			return rc;
		reg_write(cpu, in, X86_RAX, half, lo);
		reg_write(cpu, in, X86_RDX, half, hi);
		s->rflags &= ~(uint64_t)X86_FLAGS_ZF;
	}
	return X86_OK;
}

/* BOUND: #BR unless lower <= index <= upper (signed, from memory). */
int ex_bound(struct x86_cpu *cpu, struct x86_insn *in)
{
	if (in->mod == 3)
		return x86_ud(cpu);
	unsigned size = in->opsize;
	uint64_t off, lo, hi;
	opnd_ea(cpu, in, &off);
	int rc = mem_read(cpu, in->seg, off, size, &lo);
	if (!rc)
		rc = mem_read(cpu, in->seg, (off + size) & x86_mask(in->adsize), size, &hi);
	if (rc)
		return rc;
	int64_t idx = (int64_t)x86_sext(reg_read(cpu, in, in->reg, size), size);
	if (idx < (int64_t)x86_sext(lo, size) || idx > (int64_t)x86_sext(hi, size))
		return x86_raise(cpu, 5, false, 0);
	return X86_OK;
}

/* CLFLUSH m8: no cache to flush, but the address is checked as a byte read
 * (SDM "CLFLUSH": #PF, #GP/#SS as for a load; the host CPU faults on a
 * not-present page). */
int ex_clflush(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t off;
	opnd_ea(cpu, in, &off);
	return mem_check(cpu, in->seg, off, 1, ACC_READ);
}
