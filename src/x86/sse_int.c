/*
 * x86/sse_int.c - the integer SIMD instructions on MMX (8-byte) and XMM
 * (16-byte) operands: arithmetic with wrap-around and saturation, compares,
 * logic (also ANDPS..XORPD, which are bitwise), shifts, packs, unpacks,
 * shuffles and inserts/extracts of SSE..SSE4.1 (PSHUFB, PALIGNR, PBLENDW,
 * PMOVSX/ZX, PMULLD, PHMINPOSUW, PTEST, MPSADBW ...).  Not FP arithmetic
 * (sse_fp.c) nor the string compares (sse_str.c).
 * Plain C: every result here is defined bit by bit in the SDM, with no
 * rounding and no MXCSR, so portable code is exact by construction.
 * Follows the Intel SDM vol. 2 pages of each instruction.
 */
#include "x86/simd.h"

/* d = op(d, s) over n bytes (8: MMX, 16: XMM); imm is the imm8, if any. */
typedef void (*sse_op_fn)(union xmm *d, const union xmm *s, unsigned n, unsigned imm);

static inline __attribute__((always_inline)) int sse_op(struct x86_cpu *cpu, struct x86_insn *in,
							sse_op_fn op)
{
	union xmm d, s;
	int rc = simd_check(cpu, in);
	if (!rc)
		rc = simd_get(cpu, in, 0, &d);
	if (!rc)
		rc = simd_get(cpu, in, 1, &s);
	if (rc)
		return rc;
	op(&d, &s, in->size[0], (unsigned)in->imm & 0xFF);
	return simd_put(cpu, in, 0, &d);
}

#define OP(name, ...)                                                                              \
	static void op_##name(union xmm *d, const union xmm *s, unsigned n, unsigned imm)          \
	{                                                                                          \
		__VA_ARGS__                                                                        \
	}                                                                                          \
	int ex_##name(struct x86_cpu *cpu, struct x86_insn *in)                                    \
	{                                                                                          \
		return sse_op(cpu, in, op_##name);                                                 \
	}

/* Element-wise: a and b are d's and s's element i of the named union field. */
#define EACH(f, expr)                                                                              \
	for (unsigned i = 0; i < n / sizeof(d->f[0]); i++) {                                       \
		__typeof__(d->f[0]) a = d->f[i], b = s->f[i];                                      \
		(void)a;                                                                           \
		(void)b;                                                                           \
		d->f[i] = (expr);                                                                  \
	}

static inline int8_t sat_s8(int v)
{
	return v > 127 ? 127 : v < -128 ? -128 : (int8_t)v;
}
static inline uint8_t sat_u8(int v)
{
	return v > 255 ? 255 : v < 0 ? 0 : (uint8_t)v;
}
static inline int16_t sat_s16(int32_t v)
{
	return v > 32767 ? 32767 : v < -32768 ? -32768 : (int16_t)v;
}
static inline uint16_t sat_u16(int32_t v)
{
	return v > 65535 ? 65535 : v < 0 ? 0 : (uint16_t)v;
}

/* ---- arithmetic ---- */
OP(paddb, EACH(b, (uint8_t)(a + b)))
OP(paddw, EACH(w, (uint16_t)(a + b)))
OP(paddd, EACH(d, a + b))
OP(paddq, EACH(q, a + b))
OP(psubb, EACH(b, (uint8_t)(a - b)))
OP(psubw, EACH(w, (uint16_t)(a - b)))
OP(psubd, EACH(d, a - b))
OP(psubq, EACH(q, a - b))
OP(paddsb, EACH(sb, sat_s8(a + b)))
OP(paddsw, EACH(sw, sat_s16(a + b)))
OP(paddusb, EACH(b, sat_u8(a + b)))
OP(paddusw, EACH(w, sat_u16(a + b)))
OP(psubsb, EACH(sb, sat_s8(a - b)))
OP(psubsw, EACH(sw, sat_s16(a - b)))
OP(psubusb, EACH(b, sat_u8(a - b)))
OP(psubusw, EACH(w, sat_u16(a - b)))
OP(pmullw, EACH(w, (uint16_t)(a *b)))
OP(pmulhw, EACH(sw, (int16_t)(((int32_t)a * b) >> 16)))
OP(pmulhuw, EACH(w, (uint16_t)(((uint32_t)a * b) >> 16)))
OP(pmulld, EACH(d, (uint32_t)((uint64_t)a *b)))
OP(pmulhrsw, EACH(sw, (int16_t)((((int32_t)a * b >> 14) + 1) >> 1)))
OP(pavgb, EACH(b, (uint8_t)((a + b + 1) >> 1)))
OP(pavgw, EACH(w, (uint16_t)((a + b + 1) >> 1)))
OP(pminub, EACH(b, a < b ? a : b))
OP(pmaxub, EACH(b, a > b ? a : b))
OP(pminsw, EACH(sw, a < b ? a : b))
OP(pmaxsw, EACH(sw, a > b ? a : b))
OP(pminsb, EACH(sb, a < b ? a : b))
OP(pmaxsb, EACH(sb, a > b ? a : b))
OP(pminuw, EACH(w, a < b ? a : b))
OP(pmaxuw, EACH(w, a > b ? a : b))
OP(pminsd, EACH(sd, a < b ? a : b))
OP(pmaxsd, EACH(sd, a > b ? a : b))
OP(pminud, EACH(d, a < b ? a : b))
OP(pmaxud, EACH(d, a > b ? a : b))
OP(psignb, EACH(sb, b < 0 ? (int8_t)-a : b ? a : 0))
OP(psignw, EACH(sw, b < 0 ? (int16_t)-a : b ? a : 0))
OP(psignd, EACH(sd, b < 0 ? (int32_t)(0u - (uint32_t)a) : b ? a : 0))
OP(pabsb, EACH(sb, b < 0 ? (int8_t)-b : b))
OP(pabsw, EACH(sw, b < 0 ? (int16_t)-b : b))
OP(pabsd, EACH(d, (int32_t)b < 0 ? 0u - b : b))

/* PMULUDQ / PMULDQ: the even doublewords, full 64-bit products. */
OP(pmuludq, for (unsigned i = 0; i < n / 8; i++) d->q[i] = (uint64_t)d->d[2 * i] * s->d[2 * i];)
OP(pmuldq, for (unsigned i = 0; i < n / 8; i++) d->sq[i] = (int64_t)d->sd[2 * i] * s->sd[2 * i];)

OP(pmaddwd, union xmm r; for (unsigned i = 0; i < n / 4; i++)
			     r.d[i] = (uint32_t)((int32_t)d->sw[2 * i] * s->sw[2 * i] +
						 (int32_t)d->sw[2 * i + 1] * s->sw[2 * i + 1]);
   memcpy(d, &r, n);)

/* PMADDUBSW: unsigned bytes of d times signed bytes of s, pairs summed with
 * signed saturation. */
OP(pmaddubsw, union xmm r; for (unsigned i = 0; i < n / 2; i++)
			       r.sw[i] = sat_s16((int32_t)d->b[2 * i] * s->sb[2 * i] +
						 (int32_t)d->b[2 * i + 1] * s->sb[2 * i + 1]);
   memcpy(d, &r, n);)

/* PSADBW: per 8 bytes, the sum of absolute differences in the low word. */
OP(
    psadbw, for (unsigned h = 0; h < n / 8; h++) {
	    unsigned sum = 0;
	    for (unsigned i = 0; i < 8; i++) {
		    int df = d->b[8 * h + i] - s->b[8 * h + i];
		    sum += (unsigned)(df < 0 ? -df : df);
	    }
	    d->q[h] = sum;
    })

/* Horizontal add/subtract (SSSE3): d's pairs, then s's pairs. */
#define HORIZ(name, f, T, expr)                                                                    \
	OP(                                                                                        \
	    name, union xmm r; unsigned m = n / sizeof(d->f[0]) / 2;                               \
	    for (unsigned i = 0; i < m; i++) {                                                     \
		    T a = d->f[2 * i], b = d->f[2 * i + 1];                                        \
		    r.f[i] = (expr);                                                               \
		    a = s->f[2 * i], b = s->f[2 * i + 1];                                          \
		    r.f[m + i] = (expr);                                                           \
	    } memcpy(d, &r, n);)
HORIZ(phaddw, w, uint16_t, (uint16_t)(a + b))
HORIZ(phaddd, d, uint32_t, a + b)
HORIZ(phaddsw, sw, int16_t, sat_s16(a + b))
HORIZ(phsubw, w, uint16_t, (uint16_t)(a - b))
HORIZ(phsubd, d, uint32_t, a - b)
HORIZ(phsubsw, sw, int16_t, sat_s16(a - b))

/* ---- logic (the PS/PD forms are the same bits) ---- */
OP(pand, EACH(q, a &b))
OP(pandn, EACH(q, ~a &b))
OP(por, EACH(q, a | b))
OP(pxor, EACH(q, a ^ b))

/* ---- compares ---- */
OP(pcmpeqb, EACH(b, a == b ? 0xFF : 0))
OP(pcmpeqw, EACH(w, a == b ? 0xFFFF : 0))
OP(pcmpeqd, EACH(d, a == b ? ~0u : 0))
OP(pcmpeqq, EACH(q, a == b ? ~0ull : 0))
OP(pcmpgtb, EACH(sb, a > b ? -1 : 0))
OP(pcmpgtw, EACH(sw, a > b ? -1 : 0))
OP(pcmpgtd, EACH(sd, a > b ? -1 : 0))
OP(pcmpgtq, EACH(sq, a > b ? -1 : 0))

/* ---- packs: d's elements narrowed, then s's ---- */
#define PACK(name, wf, nf, sat)                                                                    \
	OP(                                                                                        \
	    name, union xmm r; unsigned m = n / sizeof(d->wf[0]);                                  \
	    for (unsigned i = 0; i < m; i++) {                                                     \
		    r.nf[i] = sat(d->wf[i]);                                                       \
		    r.nf[m + i] = sat(s->wf[i]);                                                   \
	    } memcpy(d, &r, n);)
PACK(packsswb, sw, sb, sat_s8)
PACK(packuswb, sw, b, sat_u8)
PACK(packssdw, sd, sw, sat_s16)
PACK(packusdw, sd, w, sat_u16)

/* ---- unpacks: interleave the low (or high) halves, d first ---- */
#define UNPCK(name, f, hi)                                                                         \
	OP(                                                                                        \
	    name, union xmm r; unsigned m = n / sizeof(d->f[0]) / 2; unsigned o = (hi) ? m : 0;    \
	    for (unsigned i = 0; i < m; i++) {                                                     \
		    r.f[2 * i] = d->f[o + i];                                                      \
		    r.f[2 * i + 1] = s->f[o + i];                                                  \
	    } memcpy(d, &r, n);)
UNPCK(punpcklbw, b, 0)
UNPCK(punpcklwd, w, 0)
UNPCK(punpckldq, d, 0)
UNPCK(punpcklqdq, q, 0)
UNPCK(punpckhbw, b, 1)
UNPCK(punpckhwd, w, 1)
UNPCK(punpckhdq, d, 1)
UNPCK(punpckhqdq, q, 1)

/* ---- shifts ---- */
/* By a count (the low quadword of the source, or the imm8): counts past
 * the element width give 0, or the sign for the arithmetic shifts. */
#define SHIFT(name, f, T, bits, expr, over)                                                        \
	static void sh_##name(union xmm *d, uint64_t c, unsigned n)                                \
	{                                                                                          \
		for (unsigned i = 0; i < n / sizeof(d->f[0]); i++) {                               \
			T a = d->f[i];                                                             \
			d->f[i] = c > (bits)-1 ? (over) : (expr);                                  \
		}                                                                                  \
	}                                                                                          \
	OP(name, sh_##name(d, s->q[0], n);)                                                        \
	OP(name##_i, sh_##name(d, imm, n);)
SHIFT(psrlw, w, uint16_t, 16, (uint16_t)(a >> c), 0)
SHIFT(psrld, d, uint32_t, 32, a >> c, 0)
SHIFT(psrlq, q, uint64_t, 64, a >> c, 0)
SHIFT(psllw, w, uint16_t, 16, (uint16_t)(a << c), 0)
SHIFT(pslld, d, uint32_t, 32, a << c, 0)
SHIFT(psllq, q, uint64_t, 64, a << c, 0)
SHIFT(psraw, sw, int16_t, 16, (int16_t)(a >> c), (int16_t)(a >> 15))
SHIFT(psrad, sd, int32_t, 32, a >> c, a >> 31)

/* PSRLDQ / PSLLDQ: whole-register byte shifts by imm8 (16 or more: 0). */
OP(psrldq_i, union xmm r = {0};
   for (unsigned i = 0; imm < 16 && i + imm < 16; i++) r.b[i] = d->b[i + imm]; *d = r;)
OP(pslldq_i, union xmm r = {0}; for (unsigned i = imm; i < 16; i++) r.b[i] = d->b[i - imm]; *d = r;)

/* ---- shuffles ---- */
/* PSHUFB: each byte of s picks a byte of d (bit 7: zero). */
OP(pshufb, union xmm r;
   for (unsigned i = 0; i < n; i++) r.b[i] = (s->b[i] & 0x80) ? 0 : d->b[s->b[i] & (n - 1)];
   memcpy(d, &r, n);)

/* PALIGNR: (d:s) shifted right by imm8 bytes, the low n bytes kept. */
OP(palignr, uint8_t cat[32] = {0}; union xmm r; memcpy(cat, s, n); memcpy(cat + n, d, n);
   for (unsigned i = 0; i < n; i++) r.b[i] = imm + i < 2 * n ? cat[imm + i] : 0; memcpy(d, &r, n);)

/* PSHUFW mm (MMX) and PSHUFD: elements of s picked by imm8's 2-bit fields. */
OP(pshufw, union xmm r; for (unsigned i = 0; i < 4; i++) r.w[i] = s->w[(imm >> (2 * i)) & 3];
   memcpy(d, &r, 8);)
OP(pshufd, union xmm r; for (unsigned i = 0; i < 4; i++) r.d[i] = s->d[(imm >> (2 * i)) & 3];
   *d = r;)
OP(pshufhw, union xmm r = *s;
   for (unsigned i = 0; i < 4; i++) r.w[4 + i] = s->w[4 + ((imm >> (2 * i)) & 3)]; *d = r;)
OP(pshuflw, union xmm r = *s; for (unsigned i = 0; i < 4; i++) r.w[i] = s->w[(imm >> (2 * i)) & 3];
   *d = r;)

/* SHUFPS / SHUFPD: the low results from d, the high ones from s. */
OP(shufps, union xmm r; r.d[0] = d->d[imm & 3]; r.d[1] = d->d[(imm >> 2) & 3];
   r.d[2] = s->d[(imm >> 4) & 3]; r.d[3] = s->d[(imm >> 6) & 3]; *d = r;)
OP(shufpd, union xmm r; r.q[0] = d->q[imm & 1]; r.q[1] = s->q[(imm >> 1) & 1]; *d = r;)

/* ---- blends (SSE4.1) ---- */
OP(pblendw, EACH(w, (imm >> i) & 1 ? b : a))
OP(blendps, EACH(d, (imm >> i) & 1 ? b : a))
OP(blendpd, EACH(q, (imm >> i) & 1 ? b : a))

/* PBLENDVB / BLENDVPS / BLENDVPD: the mask is XMM0's element sign bits. */
static int sse_blendv(struct x86_cpu *cpu, struct x86_insn *in, unsigned esize)
{
	union xmm d, s, m;
	int rc = simd_check(cpu, in);
	if (!rc)
		rc = simd_get(cpu, in, 0, &d);
	if (!rc)
		rc = simd_get(cpu, in, 1, &s);
	if (rc)
		return rc;
	simd_xmm_get(cpu, 0, &m);
	for (unsigned i = 0; i < 16; i += esize)
		if (m.b[i + esize - 1] & 0x80)
			memcpy(&d.b[i], &s.b[i], esize);
	return simd_put(cpu, in, 0, &d);
}

int ex_pblendvb(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_blendv(cpu, in, 1);
}

int ex_blendvps(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_blendv(cpu, in, 4);
}

int ex_blendvpd(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_blendv(cpu, in, 8);
}

/* ---- PMOVSX / PMOVZX: the low elements of s widened ---- */
#define PMOV(name, sf, df)                                                                         \
	OP(name, union xmm r;                                                                      \
	   for (unsigned i = 0; i < 16 / sizeof(r.df[0]); i++) r.df[i] = s->sf[i]; *d = r;)
PMOV(pmovsxbw, sb, sw)
PMOV(pmovsxbd, sb, sd)
PMOV(pmovsxbq, sb, sq)
PMOV(pmovsxwd, sw, sd)
PMOV(pmovsxwq, sw, sq)
PMOV(pmovsxdq, sd, sq)
PMOV(pmovzxbw, b, w)
PMOV(pmovzxbd, b, d)
PMOV(pmovzxbq, b, q)
PMOV(pmovzxwd, w, d)
PMOV(pmovzxwq, w, q)
PMOV(pmovzxdq, d, q)

/* PHMINPOSUW: the smallest unsigned word (the lowest index on ties) and its
 * index; the rest zeroed. */
OP(phminposuw, unsigned best = 0;
   for (unsigned i = 1; i < 8; i++) if (s->w[i] < s->w[best]) best = i; union xmm r = {0};
   r.w[0] = s->w[best]; r.w[1] = (uint16_t)best; *d = r;)

/* MPSADBW: eight sums of absolute differences of 4-byte blocks; imm8[2]
 * picks d's offset (0 or 4 bytes), imm8[1:0] s's 4-byte block. */
OP(
    mpsadbw, union xmm r; unsigned dof = (imm & 4) ? 4 : 0, sof = (imm & 3) * 4;
    for (unsigned i = 0; i < 8; i++) {
	    unsigned sum = 0;
	    for (unsigned k = 0; k < 4; k++) {
		    int df = d->b[dof + i + k] - s->b[sof + k];
		    sum += (unsigned)(df < 0 ? -df : df);
	    }
	    r.w[i] = (uint16_t)sum;
    } *d = r;)

/* ---- unpack/interleave of FP elements (bitwise moves) ---- */
OP(unpcklps, union xmm r; r.d[0] = d->d[0]; r.d[1] = s->d[0]; r.d[2] = d->d[1]; r.d[3] = s->d[1];
   *d = r;)
OP(unpckhps, union xmm r; r.d[0] = d->d[2]; r.d[1] = s->d[2]; r.d[2] = d->d[3]; r.d[3] = s->d[3];
   *d = r;)

/* INSERTPS: s's element imm8[7:6] (a register; from memory the dword
 * itself) into d's element imm8[5:4], then zero the elements of imm8[3:0]. */
int ex_insertps(struct x86_cpu *cpu, struct x86_insn *in)
{
	union xmm d, s;
	unsigned imm = (unsigned)in->imm & 0xFF;
	int rc = simd_check(cpu, in);
	if (!rc)
		rc = simd_get(cpu, in, 0, &d);
	if (!rc)
		rc = simd_get(cpu, in, 1, &s);
	if (rc)
		return rc;
	if (in->mod == 3) /* the row's m32 size reads one element: take them all */
		simd_xmm_get(cpu, in->rm & 15, &s);
	uint32_t v = in->mod == 3 ? s.d[(imm >> 6) & 3] : s.d[0];
	d.d[(imm >> 4) & 3] = v;
	for (unsigned i = 0; i < 4; i++)
		if (imm & (1u << i))
			d.d[i] = 0;
	return simd_put(cpu, in, 0, &d);
}

/* ---- inserts and extracts ---- */
/* PINSRB/W/D/Q: the element (operand 1's size) from memory or the low bits
 * of a general register (never AH-BH) into element imm8 of d. */
int ex_pinsr(struct x86_cpu *cpu, struct x86_insn *in)
{
	union xmm d, s;
	int rc = simd_check(cpu, in);
	if (!rc)
		rc = simd_get(cpu, in, 0, &d);
	if (rc)
		return rc;
	unsigned es = in->size[1];
	if (in->mod == 3)
		s.q[0] = cpu->s.gpr[in->rm];
	else if ((rc = simd_mem_read(cpu, in, &s, es, false)))
		return rc;
	unsigned idx = (unsigned)in->imm & (in->size[0] / es - 1);
	memcpy(&d.b[idx * es], &s, es);
	return simd_put(cpu, in, 0, &d);
}

/* PEXTRB/W/D/Q, EXTRACTPS: element imm8 of operand 1 into memory (the
 * element's size) or a general register, zero-extended. */
static int sse_pextr(struct x86_cpu *cpu, struct x86_insn *in, unsigned es)
{
	union xmm s;
	uint64_t v = 0;
	int rc = simd_check(cpu, in);
	if (!rc)
		rc = simd_get(cpu, in, 1, &s);
	if (rc)
		return rc;
	unsigned idx = (unsigned)in->imm & (in->size[1] / es - 1);
	memcpy(&v, &s.b[idx * es], es);
	if (in->op->o[0].m == OM_G)
		cpu->s.gpr[in->reg] = v;
	else if (in->mod == 3)
		cpu->s.gpr[in->rm] = v;
	else
		rc = simd_mem_write(cpu, in, &v, es, false);
	if (!rc && simd_is_mmx(in))
		simd_mmx_enter(cpu);
	return rc;
}

int ex_pextrb(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_pextr(cpu, in, 1);
}

int ex_pextrw(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_pextr(cpu, in, 2);
}

/* PEXTRD/PEXTRQ (by REX.W) and EXTRACTPS (always a doubleword). */
int ex_pextrd(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_pextr(cpu, in, in->size[0] == 8 ? 8 : 4);
}

int ex_extractps(struct x86_cpu *cpu, struct x86_insn *in)
{
	return sse_pextr(cpu, in, 4);
}

/* PTEST: ZF = (d AND s) == 0, CF = (NOT d AND s) == 0; AF OF PF SF cleared. */
int ex_ptest(struct x86_cpu *cpu, struct x86_insn *in)
{
	union xmm d, s;
	int rc = simd_check(cpu, in);
	if (!rc)
		rc = simd_get(cpu, in, 0, &d);
	if (!rc)
		rc = simd_get(cpu, in, 1, &s);
	if (rc)
		return rc;
	uint64_t f = 0;
	if (!((d.q[0] & s.q[0]) | (d.q[1] & s.q[1])))
		f |= X86_FLAGS_ZF;
	if (!((~d.q[0] & s.q[0]) | (~d.q[1] & s.q[1])))
		f |= X86_FLAGS_CF;
	cpu_set_flags(cpu, f,
		      X86_FLAGS_CF | X86_FLAGS_PF | X86_FLAGS_AF | X86_FLAGS_ZF | X86_FLAGS_SF |
			  X86_FLAGS_OF);
	return X86_OK;
}
