/*
 * x86/sse_fp.c - SSE..SSE4.1 floating-point instructions: arithmetic,
 * MIN/MAX, SQRT, RCP/RSQRT, compares (CMPxx, COMIS, UCOMIS), conversions,
 * the SSE3 horizontal and ADDSUB forms, ROUND, DPPS/DPPD.  Results and flags
 * come from the host's SSE unit (ssehost.c) with every exception masked;
 * this file applies the guest's MXCSR masks: SDM vol. 1 11.5.1 - an
 * unmasked exception leaves the destination unchanged, sets the flags and
 * raises #XM (#UD when CR4.OSXMMEXCPT is clear).  Not the bitwise ANDPS..
 * XORPS nor the FP shuffles (sse_int.c).
 */
#include "x86/ssehost.h"

/* The elements an instruction writes, for the underflow rule below. */
enum sse_kind { FK_NONE, FK_PS, FK_SS, FK_PD, FK_SD };

static bool sse_denormal_out(const union xmm *r, enum sse_kind k)
{
	unsigned nf = k == FK_PS ? 4 : k == FK_SS ? 1 : 0;
	unsigned nd = k == FK_PD ? 2 : k == FK_SD ? 1 : 0;
	for (unsigned i = 0; i < nf; i++)
		if (!(r->d[i] & 0x7F800000u) && (r->d[i] & 0x007FFFFFu))
			return true;
	for (unsigned i = 0; i < nd; i++)
		if (!(r->q[i] & 0x7FF0000000000000ull) && (r->q[i] & 0x000FFFFFFFFFFFFFull))
			return true;
	return false;
}

/* The MXCSR the host runs with: the guest's rounding and DAZ, every
 * exception masked, no flags; FTZ only where the guest's underflow is
 * masked (FTZ has no effect when UM is clear, SDM 10.2.3.3). */
static uint32_t sse_host_mxcsr(uint32_t mx)
{
	uint32_t h = (mx & (MXCSR_RC | MXCSR_DAZ | MXCSR_FTZ)) | MXCSR_MASKS;
	if (!(mx & (MXCSR_UE << 7)))
		h &= ~MXCSR_FTZ;
	return h;
}

/*
 * The flags fl of one instruction: set them in MXCSR; true when the result
 * may be written.  Unmasked pre-computation exceptions (IE, DE, ZE) record
 * only those flags; unmasked post-computation ones (OE, UE, PE) all of them
 * (SDM 11.5.1).  With UM clear, an exact tiny result underflows too
 * (SDM 11.5.2.5): a denormal among the elements an arithmetic operation
 * writes (k; MIN/MAX, compares and integer results never underflow).
 */
static bool sse_flags(struct x86_cpu *cpu, uint32_t fl, const union xmm *r, enum sse_kind k)
{
	uint32_t mx = cpu->s.fpu.mxcsr, unmasked = ~(mx >> 7) & MXCSR_FLAGS;
	if ((unmasked & MXCSR_UE) && sse_denormal_out(r, k))
		fl |= MXCSR_UE;
	if (fl & unmasked & (MXCSR_IE | MXCSR_DE | MXCSR_ZE))
		fl &= MXCSR_IE | MXCSR_DE | MXCSR_ZE;
	cpu->s.fpu.mxcsr = mx | fl;
	return !(fl & unmasked);
}

/*
 * An element whose result underflows with UE unmasked delivers no rounded
 * result, so it reports no PE (the host CPU; an unmasked overflow keeps
 * PE); the other elements report theirs.  Per-element flags come from
 * running the operation again for each element alone, every other input
 * element 1.0 (1 op 1 is exact for every operation here).  Horizontal
 * forms combine adjacent input pairs: result element r of HADD/HSUB reads
 * pair r of d, then of s.  DPPS/DPPD compute one sum: their flags stay whole.
 */
static uint32_t sse_underflow_flags(enum ssehost_op op, const union xmm *d, const union xmm *s,
				    unsigned imm, uint32_t hmx, enum sse_kind k, uint32_t fl)
{
	bool horiz = op == SH_haddps || op == SH_haddpd || op == SH_hsubps || op == SH_hsubpd;
	unsigned n = k == FK_PS ? 4 : k == FK_PD ? 2 : 1;
	if (n == 1 || op == SH_dpps || op == SH_dppd)
		return fl & MXCSR_UE ? fl & ~MXCSR_PE : fl;
	uint32_t all = 0;
	for (unsigned r = 0; r < n; r++) {
		union xmm dd, ss;
		for (unsigned i = 0; i < n; i++) {
			bool keep_d = horiz ? (r < n / 2 && i / 2 == r) : i == r;
			bool keep_s = horiz ? (r >= n / 2 && i / 2 == r - n / 2) : i == r;
			if (n == 4) {
				dd.d[i] = keep_d ? d->d[i] : 0x3F800000u;
				ss.d[i] = keep_s ? s->d[i] : 0x3F800000u;
			} else {
				dd.q[i] = keep_d ? d->q[i] : 0x3FF0000000000000ull;
				ss.q[i] = keep_s ? s->q[i] : 0x3FF0000000000000ull;
			}
		}
		uint32_t f = ssehost_op(op, &dd, &ss, imm, hmx);
		all |= f & MXCSR_UE ? f & ~MXCSR_PE : f;
	}
	return all;
}

/* An unmasked SIMD floating-point exception: #XM, or #UD without
 * CR4.OSXMMEXCPT (SDM 11.5.1, 13.1.5). */
static int sse_xm(struct x86_cpu *cpu)
{
	if (!(cpu->s.cr4 & X86_CR4_OSXMMEXCPT))
		return x86_ud(cpu);
	return x86_raise(cpu, 19, false, 0);
}

/* d (operand 0, an XMM register) = op(d, s); imm8 for the imm forms. */
static int sse_fp(struct x86_cpu *cpu, struct x86_insn *in, enum ssehost_op op, enum sse_kind k)
{
	union xmm d, s;
	int rc = simd_check(cpu, in);
	if (!rc)
		rc = simd_get(cpu, in, 0, &d);
	if (!rc)
		rc = simd_get(cpu, in, 1, &s);
	if (rc)
		return rc;
	union xmm r = d;
	uint32_t mx = cpu->s.fpu.mxcsr, hmx = sse_host_mxcsr(mx);
	uint32_t fl = ssehost_op(op, &r, &s, (unsigned)in->imm, hmx);
	if ((fl & MXCSR_UE) && !(mx & (MXCSR_UE << 7)))
		fl = sse_underflow_flags(op, &d, &s, (unsigned)in->imm, hmx, k, fl);
	if (!sse_flags(cpu, fl, &r, k))
		return sse_xm(cpu);
	return simd_put(cpu, in, 0, &r);
}

#define FP(name, kind)                                                                             \
	int ex_##name(struct x86_cpu *cpu, struct x86_insn *in)                                    \
	{                                                                                          \
		return sse_fp(cpu, in, SH_##name, kind);                                           \
	}
FP(addps, FK_PS)
FP(addss, FK_SS)
FP(addpd, FK_PD)
FP(addsd, FK_SD)
FP(subps, FK_PS)
FP(subss, FK_SS)
FP(subpd, FK_PD)
FP(subsd, FK_SD)
FP(mulps, FK_PS)
FP(mulss, FK_SS)
FP(mulpd, FK_PD)
FP(mulsd, FK_SD)
FP(divps, FK_PS)
FP(divss, FK_SS)
FP(divpd, FK_PD)
FP(divsd, FK_SD)
FP(minps, FK_NONE)
FP(minss, FK_NONE)
FP(minpd, FK_NONE)
FP(minsd, FK_NONE)
FP(maxps, FK_NONE)
FP(maxss, FK_NONE)
FP(maxpd, FK_NONE)
FP(maxsd, FK_NONE)
FP(sqrtps, FK_PS)
FP(sqrtss, FK_SS)
FP(sqrtpd, FK_PD)
FP(sqrtsd, FK_SD)
FP(rcpps, FK_NONE)
FP(rcpss, FK_NONE)
FP(rsqrtps, FK_NONE)
FP(rsqrtss, FK_NONE)
FP(cvtps2pd, FK_PD)
FP(cvtpd2ps, FK_PS)
FP(cvtss2sd, FK_SD)
FP(cvtsd2ss, FK_SS)
FP(cvtdq2ps, FK_NONE)
FP(cvtps2dq, FK_NONE)
FP(cvttps2dq, FK_NONE)
FP(cvtdq2pd, FK_NONE)
FP(cvtpd2dq, FK_NONE)
FP(cvttpd2dq, FK_NONE)
FP(addsubps, FK_PS)
FP(addsubpd, FK_PD)
FP(haddps, FK_PS)
FP(haddpd, FK_PD)
FP(hsubps, FK_PS)
FP(hsubpd, FK_PD)
FP(cmpps, FK_NONE)
FP(cmpss, FK_NONE)
FP(cmppd, FK_NONE)
FP(cmpsd, FK_NONE)
FP(roundps, FK_PS)
FP(roundss, FK_SS)
FP(roundpd, FK_PD)
FP(roundsd, FK_SD)
FP(dpps, FK_PS)
FP(dppd, FK_PD)

/*
 * The MMX-operand conversions through their XMM twins: CVTPI2PS converts
 * two doublewords into d's low half (the high half kept), CVT(T)PS2PI and
 * CVT(T)PD2PI produce two doublewords in an MMX register, CVTPI2PD two
 * doubles.  The twin sees zeros in the other elements, which convert
 * exactly and raise nothing.
 */
static int sse_cvt_mmx(struct x86_cpu *cpu, struct x86_insn *in, enum ssehost_op op,
		       enum sse_kind k, bool keep_high)
{
	union xmm d, s, r = {0};
	int rc = simd_check(cpu, in);
	if (!rc)
		rc = simd_get(cpu, in, 0, &d);
	if (!rc)
		rc = simd_get(cpu, in, 1, &s);
	if (rc)
		return rc;
	/* An MMX register, as source or destination, makes it an MMX
	 * instruction (TOP = 0, tags valid), even when it then raises #XM;
	 * CVTPI2PS/PD from memory is not (the host CPU). */
	if (in->op->o[0].m == OM_P || in->mod == 3)
		simd_mmx_enter(cpu);
	uint32_t fl = ssehost_op(op, &r, &s, 0, sse_host_mxcsr(cpu->s.fpu.mxcsr));
	if (!sse_flags(cpu, fl, &r, k))
		return sse_xm(cpu);
	if (keep_high)
		r.q[1] = d.q[1];
	if (in->op->o[0].m == OM_P)
		simd_mmx_set(cpu, in->reg & 7, r.q[0]);
	else
		simd_xmm_set(cpu, simd_xreg(in), &r);
	return X86_OK;
}

int ex_cvtpi2ps(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_cvt_mmx(cpu, in, SH_cvtdq2ps, FK_NONE, true);
}

int ex_cvtpi2pd(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_cvt_mmx(cpu, in, SH_cvtdq2pd, FK_NONE, false);
}

int ex_cvtps2pi(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_cvt_mmx(cpu, in, SH_cvtps2dq, FK_NONE, false);
}

int ex_cvttps2pi(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_cvt_mmx(cpu, in, SH_cvttps2dq, FK_NONE, false);
}

int ex_cvtpd2pi(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_cvt_mmx(cpu, in, SH_cvtpd2dq, FK_NONE, false);
}

int ex_cvttpd2pi(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_cvt_mmx(cpu, in, SH_cvttpd2dq, FK_NONE, false);
}

/* CVTSI2SS/CVTSI2SD xmm, r/m32|64 (REX.W: operand 1's size). */
static int sse_cvtsi(struct x86_cpu *cpu, struct x86_insn *in, bool dbl)
{
	union xmm d, s;
	int rc = simd_check(cpu, in);
	if (!rc)
		rc = simd_get(cpu, in, 0, &d);
	if (!rc)
		rc = simd_get(cpu, in, 1, &s);
	if (rc)
		return rc;
	uint32_t fl = ssehost_cvtsi(dbl, &d, s.q[0], in->size[1], sse_host_mxcsr(cpu->s.fpu.mxcsr));
	if (!sse_flags(cpu, fl, &d, FK_NONE))
		return sse_xm(cpu);
	return simd_put(cpu, in, 0, &d);
}

int ex_cvtsi2ss(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_cvtsi(cpu, in, false);
}

int ex_cvtsi2sd(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_cvtsi(cpu, in, true);
}

/* CVT(T)SS2SI / CVT(T)SD2SI r32|64, xmm/m: overflow and NaN give the
 * integer indefinite (the host's answer) with IE. */
static int sse_cvt2si(struct x86_cpu *cpu, struct x86_insn *in, bool dbl, bool trunc)
{
	union xmm s, r = {0};
	int rc = simd_check(cpu, in);
	if (!rc)
		rc = simd_get(cpu, in, 1, &s);
	if (rc)
		return rc;
	uint32_t fl =
	    ssehost_cvt2si(dbl, trunc, &s, in->size[0], &r.q[0], sse_host_mxcsr(cpu->s.fpu.mxcsr));
	if (!sse_flags(cpu, fl, &r, FK_NONE))
		return sse_xm(cpu);
	return simd_put(cpu, in, 0, &r);
}

int ex_cvtss2si(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_cvt2si(cpu, in, false, false);
}

int ex_cvttss2si(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_cvt2si(cpu, in, false, true);
}

int ex_cvtsd2si(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_cvt2si(cpu, in, true, false);
}

int ex_cvttsd2si(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_cvt2si(cpu, in, true, true);
}

/* COMISS/UCOMISS/COMISD/UCOMISD: ZF PF CF from the compare, OF SF AF 0. */
static int sse_comi(struct x86_cpu *cpu, struct x86_insn *in, bool dbl, bool unordered)
{
	union xmm d, s;
	uint64_t zpc;
	int rc = simd_check(cpu, in);
	if (!rc)
		rc = simd_get(cpu, in, 0, &d);
	if (!rc)
		rc = simd_get(cpu, in, 1, &s);
	if (rc)
		return rc;
	uint32_t fl = ssehost_comi(dbl, unordered, &d, &s, &zpc, sse_host_mxcsr(cpu->s.fpu.mxcsr));
	if (!sse_flags(cpu, fl, &d, FK_NONE))
		return sse_xm(cpu);
	cpu_set_flags(cpu, zpc,
		      X86_FLAGS_CF | X86_FLAGS_PF | X86_FLAGS_AF | X86_FLAGS_ZF | X86_FLAGS_SF |
			  X86_FLAGS_OF);
	return X86_OK;
}

int ex_comiss(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_comi(cpu, in, false, false);
}

int ex_ucomiss(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_comi(cpu, in, false, true);
}

int ex_comisd(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_comi(cpu, in, true, false);
}

int ex_ucomisd(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_comi(cpu, in, true, true);
}
