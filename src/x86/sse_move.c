/*
 * x86/sse_move.c - SSE/MMX data movement: register/memory moves (MOVAPS ...
 * MOVNTDQA, MOVD/MOVQ, MOVSS/MOVSD, the half moves MOVLPS...MOVLHPS, the
 * duplicating moves of SSE3), MOVMSK*, PMOVMSKB, MASKMOV*, MOVQ2DQ/MOVDQ2Q,
 * LDMXCSR/STMXCSR, EMMS.  Not shuffles (sse_int.c) nor arithmetic.
 * Follows the Intel SDM vol. 2 pages of each instruction.
 */
#include "x86/simd.h"

/* dst = src: the operands' sizes and kinds say it all (simd_get zero-fills,
 * a register destination takes all 16 or 8 bytes, memory size bytes). */
int ex_sse_mov(struct x86_cpu *cpu, struct x86_insn *in)
{
	union xmm v;
	int rc = simd_check(cpu, in);
	if (!rc)
		rc = simd_get(cpu, in, 1, &v);
	if (!rc)
		rc = simd_put(cpu, in, 0, &v);
	return rc;
}

/* MOVSS/MOVSD: from memory the rest is zeroed; register to register only
 * the low element moves. */
int ex_movss(struct x86_cpu *cpu, struct x86_insn *in)
{
	union xmm d, s;
	int rc = simd_check(cpu, in);
	if (rc)
		return rc;
	if (in->mod != 3)
		return ex_sse_mov(cpu, in);
	bool load = in->op->o[0].m == OM_V;
	unsigned dr = load ? simd_xreg(in) : simd_xrm(in), sr = load ? simd_xrm(in) : simd_xreg(in);
	simd_xmm_get(cpu, dr, &d);
	simd_xmm_get(cpu, sr, &s);
	memcpy(&d, &s, in->size[1]);
	simd_xmm_set(cpu, dr, &d);
	return X86_OK;
}

/* MOVLPS/MOVLPD/MOVHPS/MOVHPD loads: one quadword of the register from
 * memory (the row's hi flag in the name: "movh*" load the upper half);
 * MOVHLPS/MOVLHPS are the register forms of 0F 12/16. */
static int sse_half_load(struct x86_cpu *cpu, struct x86_insn *in, int dhalf)
{
	union xmm d, s;
	int rc = simd_check(cpu, in);
	if (rc)
		return rc;
	simd_xmm_get(cpu, simd_xreg(in), &d);
	if (in->mod == 3) {
		simd_xmm_get(cpu, simd_xrm(in), &s);
		d.q[dhalf] = s.q[!dhalf]; /* MOVHLPS: low <- high; MOVLHPS: high <- low */
	} else {
		rc = simd_mem_read(cpu, in, &d.q[dhalf], 8, false);
		if (rc)
			return rc;
	}
	simd_xmm_set(cpu, simd_xreg(in), &d);
	return X86_OK;
}

int ex_movlps(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_half_load(cpu, in, 0);
}

int ex_movhps(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_half_load(cpu, in, 1);
}

/* MOVHPS/MOVHPD m64, xmm: the upper quadword to memory. */
int ex_movhps_st(struct x86_cpu *cpu, struct x86_insn *in)
{
	union xmm s;
	int rc = simd_check(cpu, in);
	if (rc)
		return rc;
	simd_xmm_get(cpu, simd_xreg(in), &s);
	return simd_mem_write(cpu, in, &s.q[1], 8, false);
}

/* SSE3 MOVSLDUP / MOVSHDUP / MOVDDUP. */
int ex_movsldup(struct x86_cpu *cpu, struct x86_insn *in)
{
	union xmm s, d;
	int rc = simd_check(cpu, in);
	if (!rc)
		rc = simd_get(cpu, in, 1, &s);
	if (rc)
		return rc;
	d.d[0] = d.d[1] = s.d[0];
	d.d[2] = d.d[3] = s.d[2];
	return simd_put(cpu, in, 0, &d);
}

int ex_movshdup(struct x86_cpu *cpu, struct x86_insn *in)
{
	union xmm s, d;
	int rc = simd_check(cpu, in);
	if (!rc)
		rc = simd_get(cpu, in, 1, &s);
	if (rc)
		return rc;
	d.d[0] = d.d[1] = s.d[1];
	d.d[2] = d.d[3] = s.d[3];
	return simd_put(cpu, in, 0, &d);
}

int ex_movddup(struct x86_cpu *cpu, struct x86_insn *in)
{
	union xmm s, d;
	int rc = simd_check(cpu, in);
	if (!rc)
		rc = simd_get(cpu, in, 1, &s);
	if (rc)
		return rc;
	d.q[0] = d.q[1] = s.q[0];
	return simd_put(cpu, in, 0, &d);
}

/* MOVMSKPS/MOVMSKPD/PMOVMSKB: the sign bit of each element into a GPR. */
static int sse_movmsk(struct x86_cpu *cpu, struct x86_insn *in, unsigned esize)
{
	union xmm s, d = {0};
	int rc = simd_check(cpu, in);
	if (!rc)
		rc = simd_get(cpu, in, 1, &s);
	if (rc)
		return rc;
	unsigned n = in->size[1] / esize;
	for (unsigned i = 0; i < n; i++)
		d.q[0] |= (uint64_t)(s.b[i * esize + esize - 1] >> 7) << i;
	return simd_put(cpu, in, 0, &d);
}

int ex_movmskps(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_movmsk(cpu, in, 4);
}

int ex_movmskpd(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_movmsk(cpu, in, 8);
}

int ex_pmovmskb(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_movmsk(cpu, in, 1);
}

/* MASKMOVQ / MASKMOVDQU: the bytes whose mask byte has bit 7 set go to
 * DS:rDI (segment override allowed).  The SDM leaves faults on masked-off
 * bytes to the implementation; ember checks the whole range once any byte
 * is selected (so a fault leaves memory unchanged), then writes only the
 * selected bytes. */
int ex_maskmov(struct x86_cpu *cpu, struct x86_insn *in)
{
	union xmm s, m;
	int rc = simd_check(cpu, in);
	if (!rc)
		rc = simd_get(cpu, in, 0, &s);
	if (!rc)
		rc = simd_get(cpu, in, 1, &m);
	if (rc)
		return rc;
	unsigned n = in->size[0];
	uint64_t off = cpu->s.gpr[X86_RDI] & x86_mask(in->adsize);
	uint64_t any = m.q[0] | m.q[1];
	if (any & 0x8080808080808080ull) {
		rc = mem_check(cpu, in->seg, off, n, ACC_WRITE);
		for (unsigned i = 0; i < n && !rc; i++)
			if (m.b[i] & 0x80)
				rc = mem_write(cpu, in->seg, (off + i) & x86_mask(in->adsize), 1,
					       s.b[i]);
		if (rc)
			return rc;
	}
	if (simd_is_mmx(in))
		simd_mmx_enter(cpu);
	return X86_OK;
}

/* MOVQ2DQ xmm, mm (zero-extended) and MOVDQ2Q mm, xmm: MMX instructions
 * for the x87 state transition whichever side the MMX register is on. */
int ex_movq2dq(struct x86_cpu *cpu, struct x86_insn *in)
{
	union xmm v;
	int rc = simd_check(cpu, in);
	if (!rc)
		rc = simd_get(cpu, in, 1, &v);
	if (rc)
		return rc;
	simd_mmx_enter(cpu);
	return simd_put(cpu, in, 0, &v);
}

/* LDMXCSR m32: reserved bits raise #GP(0) (SDM LDMXCSR). */
int ex_ldmxcsr(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint32_t v;
	int rc = simd_check_sse(cpu);
	if (!rc)
		rc = simd_mem_read(cpu, in, &v, 4, false);
	if (rc)
		return rc;
	if (v & ~SIMD_MXCSR_MASK)
		return x86_gp(cpu, 0);
	cpu->s.fpu.mxcsr = v;
	return X86_OK;
}

int ex_stmxcsr(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint32_t v = cpu->s.fpu.mxcsr;
	int rc = simd_check_sse(cpu);
	if (!rc)
		rc = simd_mem_write(cpu, in, &v, 4, false);
	return rc;
}

/* EMMS: every x87 tag empty (SDM EMMS); CR0.EM -> #UD, TS -> #NM, a pending
 * x87 exception -> #MF like any MMX instruction. */
int ex_emms(struct x86_cpu *cpu, struct x86_insn *in)
{
	int rc = simd_check_mmx(cpu);
	if (rc)
		return rc;
	cpu->s.fpu.ftw = 0;
	return X86_OK;
}
