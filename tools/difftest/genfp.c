/*
 * tools/difftest/genfp.c - edge values of the floating-point and packed
 * integer formats and random x87/SSE states for the differential tester
 * (genfp.h).  Not arithmetic: only bit patterns.  Formats: Intel SDM vol. 1,
 * 4.2.2 (floating-point encodings), 4.7 (BCD), 8.2.1 (x87 encodings, float80's
 * explicit integer bit), 10.2.3 (MXCSR), 8.1.3-8.1.7 (FSW, FCW, tags).
 */
#include <string.h>

#include "genfp.h"

/* Sign, biased exponent and fraction (without float80's integer bit) of a
 * value with `ebits` exponent bits and `mbits` fraction bits. */
struct genfp_parts {
	bool sign;
	uint64_t exp, frac;
};

static const unsigned genfp_int_edges[] = {7, 8, 15, 16, 23, 24, 31, 32, 52, 53, 63, 64};

static struct genfp_parts genfp_pick(struct gen *g, unsigned ebits, unsigned mbits)
{
	uint64_t emax = (1ull << ebits) - 1, bias = emax >> 1, fmask = (1ull << mbits) - 1;
	uint64_t quiet = 1ull << (mbits - 1);
	struct genfp_parts p = {.sign = gen_one_in(g, 2), .frac = gen_rnd(g) & fmask};
	unsigned cut, k;
	uint64_t low, half;

	switch (gen_below(g, 12)) {
	case 0: /* zero */
		p.exp = 0;
		p.frac = 0;
		break;
	case 1: /* denormal: random, the smallest or the largest */
		p.exp = 0;
		k = gen_below(g, 4);
		p.frac = k == 0 ? 1 : k == 1 ? fmask : p.frac ? p.frac : 1;
		break;
	case 2: /* infinity */
		p.exp = emax;
		p.frac = 0;
		break;
	case 3: /* quiet NaN: the default NaN's pattern, or a payload */
		p.exp = emax;
		p.frac = gen_one_in(g, 3) ? quiet : quiet | p.frac;
		break;
	case 4: /* signalling NaN with a payload */
		p.exp = emax;
		p.frac &= ~quiet;
		if (!p.frac)
			p.frac = 1ull << gen_below(g, mbits - 1);
		break;
	case 5: /* the smallest and largest normals */
		k = gen_below(g, 4);
		p.exp = k < 2 ? 1 : emax - 1;
		p.frac = k == 0 || k == 3 ? 0 : fmask;
		break;
	case 6: /* +-2^k of the integer conversions, and its neighbours */
		k = genfp_int_edges[gen_below(g, ARRAY_SIZE(genfp_int_edges))];
		p.exp = bias + k;
		p.frac = 0;
		switch (gen_below(g, 4)) {
		case 1: /* one ulp above */
			p.frac = 1;
			break;
		case 2: /* one ulp below */
			p.exp--;
			p.frac = fmask;
			break;
		case 3: /* 2^k + 0.5: a conversion to integer rounds here */
			p.frac = k < mbits ? 1ull << (mbits - k - 1) : 0;
			break;
		}
		break;
	case 7: /* small integers and simple fractions */
		p.exp = bias + gen_below(g, 10) - 2;
		p.frac &= ~(fmask >> 3);
		break;
	case 8:
	case 9: /* a rounding boundary at a random position */
		p.exp = bias + gen_below(g, 61) - 30;
		cut = 1 + gen_below(g, mbits);
		low = cut >= 64 ? ~0ull : (1ull << cut) - 1;
		half = 1ull << (cut - 1);
		switch (gen_below(g, 5)) {
		case 0:
			p.frac = (p.frac & ~low) | half;
			break;
		case 1:
			p.frac = (p.frac & ~low) | (half - 1);
			break;
		case 2:
			p.frac = (p.frac & ~low) | ((half + 1) & low);
			break;
		case 3:
			p.frac &= ~low;
			break;
		default:
			p.frac |= low;
			break;
		}
		p.frac &= fmask;
		break;
	case 10: /* an exponent near 1.0 */
		p.exp = bias + gen_below(g, 81) - 40;
		break;
	default: /* anything */
		p.exp = gen_rnd(g) & emax;
		break;
	}
	return p;
}

uint32_t genfp_f32(struct gen *g)
{
	struct genfp_parts p = genfp_pick(g, 8, 23);

	return (uint32_t)p.sign << 31 | (uint32_t)p.exp << 23 | (uint32_t)p.frac;
}

uint64_t genfp_f64(struct gen *g)
{
	struct genfp_parts p = genfp_pick(g, 11, 52);

	return (uint64_t)p.sign << 63 | p.exp << 52 | p.frac;
}

void genfp_f80(struct gen *g, uint8_t out[10])
{
	struct genfp_parts p = genfp_pick(g, 15, 63);
	uint64_t j = p.exp != 0;
	uint16_t se;

	/* Sometimes the integer bit contradicts the exponent: an unnormal, a
	 * pseudo-NaN or pseudo-infinity (J clear), a pseudo-denormal (J set). */
	if (gen_one_in(g, 8))
		j ^= 1;
	uint64_t m = j << 63 | p.frac;

	se = (uint16_t)((unsigned)p.sign << 15 | p.exp);
	memcpy(out, &m, 8);
	memcpy(out + 8, &se, 2);
}

uint64_t genfp_int(struct gen *g, unsigned bytes)
{
	unsigned bits = 8 * bytes;
	uint64_t mask = bytes >= 8 ? ~0ull : (1ull << bits) - 1, v;
	unsigned k;

	switch (gen_below(g, 6)) {
	case 0: /* the most negative, the most positive, and their neighbours */
		v = (1ull << (bits - 1)) + gen_below(g, 3) - 1;
		break;
	case 1: /* +-2^k +-1 where a float's significand runs out */
		k = genfp_int_edges[gen_below(g, 6)];
		v = k < bits ? (1ull << k) + gen_below(g, 3) - 1 : gen_rnd(g);
		if (gen_one_in(g, 2))
			v = -v;
		break;
	case 2:
		v = (uint64_t)(int64_t)(int8_t)gen_rnd(g);
		break;
	default:
		v = gen_value(g);
		break;
	}
	return v & mask;
}

void genfp_bcd(struct gen *g, uint8_t out[10])
{
	for (unsigned i = 0; i < 9; i++) {
		unsigned lo = gen_below(g, 10), hi = gen_below(g, 10);

		if (gen_one_in(g, 32)) /* an invalid digit */
			lo = 10 + gen_below(g, 6);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	if (gen_one_in(g, 4)) { /* few digits: the high ones zero */
		unsigned k = 1 + gen_below(g, 8);

		memset(out + k, 0, 9 - k);
	}
	/* Bit 7 is the sign; bits 0-6 of the last byte are ignored on load. */
	out[9] = gen_one_in(g, 2) ? 0x80 : 0;
	if (gen_one_in(g, 8))
		out[9] |= gen_rnd(g) & 0x7F;
}

void genfp_xmm(struct gen *g, uint8_t out[16], enum genfp_lanes k)
{
	if (k == GENFP_ANY)
		k = (enum genfp_lanes)gen_below(g, GENFP_ANY);
	for (unsigned i = 0; i < 16;) {
		uint64_t v;
		unsigned n;

		switch (k) {
		case GENFP_PS:
			v = genfp_f32(g), n = 4;
			break;
		case GENFP_PD:
			v = genfp_f64(g), n = 8;
			break;
		default:
			n = 1u << (k - GENFP_B);
			v = gen_value(g);
			break;
		}
		memcpy(out + i, &v, n);
		i += n;
	}
	/* Equal lanes now and then (compares, horizontal operations). */
	if (gen_one_in(g, 8))
		memcpy(out + 8, out, 8);
}

uint32_t genfp_mxcsr(struct gen *g)
{
	uint32_t m = 0x1F80; /* every exception masked */

	if (gen_one_in(g, 4))
		m = (uint32_t)gen_rnd(g) & 0x1F80;
	m |= gen_below(g, 4) << 13; /* RC */
	if (gen_one_in(g, 4))
		m |= 1u << 15; /* FTZ */
	if (gen_one_in(g, 4))
		m |= 1u << 6; /* DAZ */
	if (gen_one_in(g, 4))
		m |= (uint32_t)gen_rnd(g) & 0x3F; /* sticky flags already set */
	return m;
}

uint16_t genfp_fcw(struct gen *g)
{
	static const uint16_t pc[] = {0, 2, 3, 3}; /* 24, 53, 64, 64 bits */
	uint16_t w = 0x40 | 0x3F;		   /* bit 6 reads as 1 (FINIT: 037Fh) */

	if (gen_one_in(g, 4))
		w = 0x40 | (gen_rnd(g) & 0x3F);
	w |= pc[gen_below(g, 4)] << 8;
	w |= gen_below(g, 4) << 10;
	return w;
}

void genfp_fsw_fix(struct dt_fx *fx)
{
	if (fx->fsw & ~fx->fcw & 0x3F)
		fx->fsw |= 0x8080; /* B and ES */
	else
		fx->fsw &= ~0x8080;
}

static unsigned genfp_top(const struct dt_fx *fx)
{
	return fx->fsw >> 11 & 7;
}

void genfp_set_st(struct gen *g, unsigned i, const uint8_t v[10])
{
	struct dt_fx *fx = &g->c->fx;

	memcpy(fx->st[i], v, 10);
	fx->ftw |= 1u << ((genfp_top(fx) + i) & 7);
}

void genfp_set_empty(struct gen *g, unsigned i)
{
	struct dt_fx *fx = &g->c->fx;

	fx->ftw &= ~(1u << ((genfp_top(fx) + i) & 7));
}

void genfp_state(struct gen *g)
{
	struct dt_fx *fx = &g->c->fx;
	unsigned depth = gen_below(g, 9);

	memset(fx, 0, sizeof(*fx));
	fx->fcw = genfp_fcw(g);
	fx->fsw = (uint16_t)(gen_below(g, 8) << 11 | (gen_rnd(g) & 0x4700)); /* TOP, C3-C0 */
	if (gen_one_in(g, 4))
		fx->fsw |= gen_rnd(g) & 0x7F; /* exception flags and SF */
	/* Mostly no exception pending; sometimes one is (#MF on the next x87
	 * instruction). */
	if (!gen_one_in(g, 16))
		fx->fsw &= ~(~fx->fcw & 0x3F);
	genfp_fsw_fix(fx);
	for (unsigned i = 0; i < 8; i++)
		genfp_f80(g, fx->st[i]);
	for (unsigned i = 0; i < depth; i++)
		fx->ftw |= 1u << ((genfp_top(fx) + i) & 7);
	if (gen_one_in(g, 8))
		fx->ftw = (uint8_t)gen_rnd(g);
	fx->mxcsr = genfp_mxcsr(g);
	for (unsigned i = 0; i < 16; i++)
		genfp_xmm(g, fx->xmm[i], GENFP_ANY);
	fx->fop = gen_rnd(g) & 0x7FF;
	fx->fip = DT_CODE + gen_below(g, DT_CODE_SIZE);
	fx->fdp = DT_DATA + gen_below(g, DT_DATA_SIZE);
}
