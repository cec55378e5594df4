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
static bool sse_flags(struct x86_cpu *cpu, uint32_t fl, const union xmm *r, enum sse_kind k,
		      bool filter)
{
	uint32_t mx = cpu->s.fpu.mxcsr, unmasked = ~(mx >> 7) & MXCSR_FLAGS;
	bool pre = fl & unmasked & (MXCSR_IE | MXCSR_DE | MXCSR_ZE);
	if ((unmasked & MXCSR_UE) && !pre && sse_denormal_out(r, k))
		fl |= MXCSR_UE;
	if (filter && pre)
		fl &= MXCSR_IE | MXCSR_DE | MXCSR_ZE;
	cpu->s.fpu.mxcsr = mx | fl;
	return !(fl & unmasked);
}

/*
 * Unmasked overflow and underflow.  An element that overflows or underflows
 * with OE/UE unmasked delivers no result; its PE says whether rounding to
 * the format's precision with an unbounded exponent is inexact (the host
 * CPU: 2^-149 * 1.0 reports none, 1 / 3 * 2^-130 does).  Each element is run
 * again alone as a scalar operation; for such an element the same operation
 * on its operands scaled into the normal range (which changes no rounding)
 * gives that PE.
 */
enum lane_op { L_ADD, L_SUB, L_MUL, L_DIV, L_CVT };
struct lane {
	enum lane_op op;
	uint64_t a, b; /* float or double bits (L_CVT: a is a double) */
	bool dbl;
};

/* The element operations of op's result; 0 for those that can neither
 * overflow nor underflow. */
static unsigned sse_lanes(enum ssehost_op op, const union xmm *d, const union xmm *s,
			  struct lane *l)
{
	enum lane_op o;
	unsigned n;
	bool dbl;
	switch (op) {
#define L4(name, lo, cnt, isd)                                                                     \
	case SH_##name:                                                                            \
		o = lo, n = cnt, dbl = isd;                                                        \
		break;
		L4(addps, L_ADD, 4, false)
		L4(addss, L_ADD, 1, false)
		L4(addpd, L_ADD, 2, true) L4(addsd, L_ADD, 1, true) L4(subps, L_SUB, 4, false)
		    L4(subss, L_SUB, 1, false) L4(subpd, L_SUB, 2, true) L4(subsd, L_SUB, 1, true)
			L4(mulps, L_MUL, 4, false) L4(mulss, L_MUL, 1, false)
			    L4(mulpd, L_MUL, 2, true) L4(mulsd, L_MUL, 1, true)
				L4(divps, L_DIV, 4, false) L4(divss, L_DIV, 1, false)
				    L4(divpd, L_DIV, 2, true) L4(divsd, L_DIV, 1, true)
					L4(addsubps, L_ADD, 4, false) L4(addsubpd, L_ADD, 2, true)
					    L4(haddps, L_ADD, 4, false) L4(haddpd, L_ADD, 2, true)
						L4(hsubps, L_SUB, 4, false)
						    L4(hsubpd, L_SUB, 2, true)
							L4(cvtpd2ps, L_CVT, 2, true)
							    L4(cvtsd2ss, L_CVT, 1, true)
#undef L4
								default : return 0;
	}
	bool horiz = op == SH_haddps || op == SH_haddpd || op == SH_hsubps || op == SH_hsubpd;
	for (unsigned i = 0; i < n; i++) {
		const union xmm *x = d, *y = s;
		unsigned ia = i, ib = i;
		if (horiz) { /* pair i of d, then of s */
			if (i >= n / 2)
				x = y = s;
			else
				y = d;
			ia = 2 * (i % (n / 2));
			ib = ia + 1;
		}
		l[i].op = o;
		if ((op == SH_addsubps || op == SH_addsubpd) && !(i & 1))
			l[i].op = L_SUB;
		l[i].dbl = dbl;
		if (o == L_CVT) {
			l[i].a = s->q[i];
			l[i].b = 0;
		} else if (dbl) {
			l[i].a = x->q[ia];
			l[i].b = y->q[ib];
		} else {
			l[i].a = x->d[ia];
			l[i].b = y->d[ib];
		}
	}
	return n;
}

/* The scalar host operation of a lane on (a, b); its flags.  *tiny: the
 * result is a denormal. */
static uint32_t sse_lane_run(enum lane_op o, bool dbl, uint64_t a, uint64_t b, uint32_t hmx,
			     bool *tiny)
{
	static const enum ssehost_op sop[2][5] = {
	    {SH_addss, SH_subss, SH_mulss, SH_divss, SH_cvtsd2ss},
	    {SH_addsd, SH_subsd, SH_mulsd, SH_divsd, SH_cvtsd2ss},
	};
	union xmm x = {0}, y = {0};
	if (o == L_CVT) {
		y.q[0] = a;
	} else if (dbl) {
		x.q[0] = a;
		y.q[0] = b;
	} else {
		x.d[0] = (uint32_t)a;
		y.d[0] = (uint32_t)b;
	}
	uint32_t f = ssehost_op(sop[dbl][o], &x, &y, 0, hmx);
	*tiny = sse_denormal_out(&x, dbl && o != L_CVT ? FK_SD : FK_SS);
	return f;
}

/* A nonzero finite value as sign, unbiased exponent, significand with its
 * leading bit at bit p-1 (denormals normalised). */
struct fp_parts {
	uint64_t sign, m;
	int e;
};
static struct fp_parts fp_split(uint64_t v, bool dbl)
{
	unsigned mb = dbl ? 52 : 23, bias = dbl ? 1023 : 127;
	struct fp_parts f;
	f.sign = v >> (dbl ? 63 : 31) & 1;
	int be = (int)(v >> mb & (dbl ? 0x7FF : 0xFF));
	f.m = v & ((1ull << mb) - 1);
	if (be) {
		f.m |= 1ull << mb;
		f.e = be - (int)bias;
	} else {
		f.e = 1 - (int)bias;
		while (f.m && !(f.m >> mb)) {
			f.m <<= 1;
			f.e--;
		}
	}
	return f;
}
static uint64_t fp_join(struct fp_parts f, bool dbl)
{
	unsigned mb = dbl ? 52 : 23, bias = dbl ? 1023 : 127;
	return f.sign << (dbl ? 63 : 31) | (uint64_t)(f.e + (int)bias) << mb |
	       (f.m & ((1ull << mb) - 1));
}

/* Is the lane's result inexact at its precision with an unbounded exponent? */
static bool sse_lane_inexact(const struct lane *l, uint32_t hmx)
{
	struct fp_parts a = fp_split(l->a, l->dbl || l->op == L_CVT), b = fp_split(l->b, l->dbl);
	uint64_t x = l->a, y = l->b;
	if (l->op == L_CVT) {
		a.e = 0;
		x = fp_join(a, true);
	} else if (l->op == L_MUL || l->op == L_DIV) {
		a.e = b.e = 0;
		x = fp_join(a, l->dbl);
		y = fp_join(b, l->dbl);
	} else {
		if (!a.m || !b.m)
			return false;
		int k = a.e > b.e ? a.e : b.e, emin = l->dbl ? -1022 : -126;
		a.e -= k;
		b.e -= k;
		/* The smaller one lies wholly below the result's last place. */
		if (a.e < emin + 2 || b.e < emin + 2)
			return true;
		x = fp_join(a, l->dbl);
		y = fp_join(b, l->dbl);
	}
	bool tiny;
	return sse_lane_run(l->op, l->dbl, x, y, hmx & ~MXCSR_DAZ, &tiny) & MXCSR_PE;
}

/* The flags of op element by element, with the rule above. */
static uint32_t sse_lane_flags(enum ssehost_op op, const union xmm *d, const union xmm *s,
			       uint32_t hmx, uint32_t unmasked, uint32_t fl)
{
	struct lane l[4];
	unsigned n = sse_lanes(op, d, s, l);
	if (!n)
		return fl;
	uint32_t all = 0;
	for (unsigned i = 0; i < n; i++) {
		bool tiny;
		uint32_t f = sse_lane_run(l[i].op, l[i].dbl, l[i].a, l[i].b, hmx, &tiny);
		if (tiny && (unmasked & MXCSR_UE)) /* an exact tiny result underflows too */
			f |= MXCSR_UE;
		if (f & unmasked & (MXCSR_OE | MXCSR_UE))
			f = (f & ~MXCSR_PE) | (sse_lane_inexact(&l[i], hmx) ? MXCSR_PE : 0);
		all |= f;
	}
	return all;
}

/*
 * DPPS/DPPD are steps (SDM DPPS: the products, two sums, their sum): with an
 * exception unmasked, the flags are those of the steps up to the one that
 * raised it, that step's as for any single operation.
 */
static uint32_t sse_step(uint32_t acc, uint32_t f, uint32_t unmasked, bool *stop)
{
	if (*stop)
		return acc;
	if (f & unmasked & (MXCSR_IE | MXCSR_DE | MXCSR_ZE)) {
		*stop = true;
		return acc | (f & (MXCSR_IE | MXCSR_DE | MXCSR_ZE));
	}
	*stop = (f & unmasked) != 0;
	return acc | f;
}

static uint32_t sse_dp_flags(enum ssehost_op op, const union xmm *d, const union xmm *s,
			     unsigned imm, uint32_t hmx, uint32_t unmasked)
{
	bool ps = op == SH_dpps, stop = false;
	unsigned n = ps ? 4 : 2;
	union xmm a = {0}, b = {0}, t, x = {0}, y = {0};
	for (unsigned i = 0; i < n; i++)
		if (imm & (0x10u << i)) {
			if (ps) {
				a.d[i] = d->d[i];
				b.d[i] = s->d[i];
			} else {
				a.q[i] = d->q[i];
				b.q[i] = s->q[i];
			}
		}
	enum ssehost_op mul = ps ? SH_mulps : SH_mulpd, add = ps ? SH_addps : SH_addsd;
	bool um = unmasked & MXCSR_UE; /* an exact tiny step result underflows too */
	t = a;
	uint32_t f = ssehost_op(mul, &t, &b, 0, hmx);
	if (um && sse_denormal_out(&t, ps ? FK_PS : FK_PD))
		f |= MXCSR_UE;
	if (f & unmasked & (MXCSR_OE | MXCSR_UE))
		f = sse_lane_flags(mul, &a, &b, hmx, unmasked, f);
	uint32_t acc = sse_step(0, f, unmasked, &stop);
	if (ps) {
		x.d[0] = t.d[0], x.d[1] = t.d[2];
		y.d[0] = t.d[1], y.d[1] = t.d[3];
	} else {
		x.q[0] = t.q[0];
		y.q[0] = t.q[1];
	}
	union xmm x0 = x;
	f = ssehost_op(add, &x, &y, 0, hmx);
	if (um && sse_denormal_out(&x, ps ? FK_PS : FK_SD))
		f |= MXCSR_UE;
	if (f & unmasked & (MXCSR_OE | MXCSR_UE))
		f = sse_lane_flags(add, &x0, &y, hmx, unmasked, f);
	acc = sse_step(acc, f, unmasked, &stop);
	if (ps) {
		union xmm u = {0}, v = {0};
		u.d[0] = x.d[0];
		v.d[0] = x.d[1];
		union xmm u0 = u;
		f = ssehost_op(SH_addss, &u, &v, 0, hmx);
		if (um && sse_denormal_out(&u, FK_SS))
			f |= MXCSR_UE;
		if (f & unmasked & (MXCSR_OE | MXCSR_UE))
			f = sse_lane_flags(SH_addss, &u0, &v, hmx, unmasked, f);
		acc = sse_step(acc, f, unmasked, &stop);
	}
	return acc;
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
	uint32_t unmasked = ~(mx >> 7) & MXCSR_FLAGS;
	bool steps = (op == SH_dpps || op == SH_dppd) && ((fl | MXCSR_UE) & unmasked);
	if (steps)
		fl = sse_dp_flags(op, &d, &s, (unsigned)in->imm, hmx, unmasked);
	else if (fl & unmasked & (MXCSR_OE | MXCSR_UE))
		fl = sse_lane_flags(op, &d, &s, hmx, unmasked, fl);
	if (!sse_flags(cpu, fl, &r, steps ? FK_NONE : k, !steps))
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
	/* SSE's checks; with an MMX register also a pending x87 exception
	 * (#MF): CVTPI2PS/PD from memory is no MMX instruction (the host CPU). */
	bool mmx = in->op->o[0].m == OM_P || in->mod == 3;
	int rc = simd_check_sse(cpu);
	if (!rc && mmx && (cpu->s.fpu.fsw & 0x80))
		rc = x86_raise(cpu, 16, false, 0);
	if (!rc)
		rc = simd_get(cpu, in, 0, &d);
	if (!rc)
		rc = simd_get(cpu, in, 1, &s);
	if (rc)
		return rc;
	/* An MMX register, as source or destination, makes it an MMX
	 * instruction (TOP = 0, tags valid), even when it then raises #XM;
	 * CVTPI2PS/PD from memory is not (the host CPU). */
	if (mmx)
		simd_mmx_enter(cpu);
	uint32_t fl = ssehost_op(op, &r, &s, 0, sse_host_mxcsr(cpu->s.fpu.mxcsr));
	if (!sse_flags(cpu, fl, &r, k, true))
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
	if (!sse_flags(cpu, fl, &d, FK_NONE, true))
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
	if (!sse_flags(cpu, fl, &r, FK_NONE, true))
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
	if (!sse_flags(cpu, fl, &d, FK_NONE, true))
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
