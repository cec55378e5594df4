/*
 * tools/difftest/gen_x87.c - the "x87" and "fpstate" difftest classes: every
 * x87 instruction form (memory operands of each format, ST(i) forms, the
 * fixed forms) on random x87 states with edge operands in every precision
 * and rounding mode, some exceptions unmasked; and FXRSTOR in both formats.  Encodings: Intel SDM
 * vol. 2, tables A-7 to A-22 (escape opcodes) and each instruction's page; formats: vol. 1, 4.2
 * and 8.1.
 */
#include <string.h>

#include "genfp.h"

/* A memory form: escape, /digit, operand bytes. */
#define XM(name, esc, ext, size)                                                                   \
	{                                                                                          \
		name, {esc}, 1, O_RM, ext, S32, I_NONE, U_NONE, F_MEM, size, 0                     \
	}
/* An ST(i) form: escape, /digit; g->rm_reg is i. */
#define XR(name, esc, ext)                                                                         \
	{                                                                                          \
		name, {esc}, 1, O_RM, ext, S32, I_NONE, U_NONE, F_REG, 0, 0                        \
	}
/* A fixed form: both bytes. */
#define XF(name, esc, modrm)                                                                       \
	{                                                                                          \
		name, {esc, modrm}, 2, O_NONE, -1, S32, I_NONE, U_NONE, 0, 0, 0                    \
	}

const struct form x87_forms[] = {
    /* D8: arithmetic with m32real and ST(i) */
    XM("fadd m32", 0xD8, 0, 4),
    XM("fmul m32", 0xD8, 1, 4),
    XM("fcom m32", 0xD8, 2, 4),
    XM("fcomp m32", 0xD8, 3, 4),
    XM("fsub m32", 0xD8, 4, 4),
    XM("fsubr m32", 0xD8, 5, 4),
    XM("fdiv m32", 0xD8, 6, 4),
    XM("fdivr m32", 0xD8, 7, 4),
    XR("fadd st,st(i)", 0xD8, 0),
    XR("fmul st,st(i)", 0xD8, 1),
    XR("fcom st(i)", 0xD8, 2),
    XR("fcomp st(i)", 0xD8, 3),
    XR("fsub st,st(i)", 0xD8, 4),
    XR("fsubr st,st(i)", 0xD8, 5),
    XR("fdiv st,st(i)", 0xD8, 6),
    XR("fdivr st,st(i)", 0xD8, 7),
    /* D9: loads, stores, control, constants, transcendentals */
    XM("fld m32", 0xD9, 0, 4),
    XM("fst m32", 0xD9, 2, 4),
    XM("fstp m32", 0xD9, 3, 4),
    XM("fldenv m28", 0xD9, 4, 28),
    XM("fldcw m16", 0xD9, 5, 2),
    XM("fnstenv m28", 0xD9, 6, 28),
    XM("fnstcw m16", 0xD9, 7, 2),
    XR("fld st(i)", 0xD9, 0),
    XR("fxch st(i)", 0xD9, 1),
    XR("fstp1 st(i)", 0xD9, 3),
    XF("fnop", 0xD9, 0xD0),
    XF("fchs", 0xD9, 0xE0),
    XF("fabs", 0xD9, 0xE1),
    XF("ftst", 0xD9, 0xE4),
    XF("fxam", 0xD9, 0xE5),
    XF("fld1", 0xD9, 0xE8),
    XF("fldl2t", 0xD9, 0xE9),
    XF("fldl2e", 0xD9, 0xEA),
    XF("fldpi", 0xD9, 0xEB),
    XF("fldlg2", 0xD9, 0xEC),
    XF("fldln2", 0xD9, 0xED),
    XF("fldz", 0xD9, 0xEE),
    XF("f2xm1", 0xD9, 0xF0),
    XF("fyl2x", 0xD9, 0xF1),
    XF("fptan", 0xD9, 0xF2),
    XF("fpatan", 0xD9, 0xF3),
    XF("fxtract", 0xD9, 0xF4),
    XF("fprem1", 0xD9, 0xF5),
    XF("fdecstp", 0xD9, 0xF6),
    XF("fincstp", 0xD9, 0xF7),
    XF("fprem", 0xD9, 0xF8),
    XF("fyl2xp1", 0xD9, 0xF9),
    XF("fsqrt", 0xD9, 0xFA),
    XF("fsincos", 0xD9, 0xFB),
    XF("frndint", 0xD9, 0xFC),
    XF("fscale", 0xD9, 0xFD),
    XF("fsin", 0xD9, 0xFE),
    XF("fcos", 0xD9, 0xFF),
    /* DA: m32int arithmetic, FCMOVcc, FUCOMPP */
    XM("fiadd m32", 0xDA, 0, 4),
    XM("fimul m32", 0xDA, 1, 4),
    XM("ficom m32", 0xDA, 2, 4),
    XM("ficomp m32", 0xDA, 3, 4),
    XM("fisub m32", 0xDA, 4, 4),
    XM("fisubr m32", 0xDA, 5, 4),
    XM("fidiv m32", 0xDA, 6, 4),
    XM("fidivr m32", 0xDA, 7, 4),
    XR("fcmovb", 0xDA, 0),
    XR("fcmove", 0xDA, 1),
    XR("fcmovbe", 0xDA, 2),
    XR("fcmovu", 0xDA, 3),
    XF("fucompp", 0xDA, 0xE9),
    /* DB: m32int and m80real moves, FCMOVNcc, FUCOMI/FCOMI, controls */
    XM("fild m32", 0xDB, 0, 4),
    XM("fisttp m32", 0xDB, 1, 4),
    XM("fist m32", 0xDB, 2, 4),
    XM("fistp m32", 0xDB, 3, 4),
    XM("fld m80", 0xDB, 5, 10),
    XM("fstp m80", 0xDB, 7, 10),
    XR("fcmovnb", 0xDB, 0),
    XR("fcmovne", 0xDB, 1),
    XR("fcmovnbe", 0xDB, 2),
    XR("fcmovnu", 0xDB, 3),
    XR("fucomi st(i)", 0xDB, 5),
    XR("fcomi st(i)", 0xDB, 6),
    XF("fneni", 0xDB, 0xE0),
    XF("fndisi", 0xDB, 0xE1),
    XF("fnclex", 0xDB, 0xE2),
    XF("fninit", 0xDB, 0xE3),
    XF("fnsetpm", 0xDB, 0xE4),
    /* DC: m64real arithmetic, ST(i) destination */
    XM("fadd m64", 0xDC, 0, 8),
    XM("fmul m64", 0xDC, 1, 8),
    XM("fcom m64", 0xDC, 2, 8),
    XM("fcomp m64", 0xDC, 3, 8),
    XM("fsub m64", 0xDC, 4, 8),
    XM("fsubr m64", 0xDC, 5, 8),
    XM("fdiv m64", 0xDC, 6, 8),
    XM("fdivr m64", 0xDC, 7, 8),
    XR("fadd st(i),st", 0xDC, 0),
    XR("fmul st(i),st", 0xDC, 1),
    XR("fcom2 st(i)", 0xDC, 2),
    XR("fcomp3 st(i)", 0xDC, 3),
    XR("fsubr st(i),st", 0xDC, 4),
    XR("fsub st(i),st", 0xDC, 5),
    XR("fdivr st(i),st", 0xDC, 6),
    XR("fdiv st(i),st", 0xDC, 7),
    /* DD: m64real moves, FISTTP m64, FRSTOR/FNSAVE, FNSTSW, FFREE, FST(P), FUCOM(P) */
    XM("fld m64", 0xDD, 0, 8),
    XM("fisttp m64", 0xDD, 1, 8),
    XM("fst m64", 0xDD, 2, 8),
    XM("fstp m64", 0xDD, 3, 8),
    XM("frstor m108", 0xDD, 4, 108),
    XM("fnsave m108", 0xDD, 6, 108),
    XM("fnstsw m16", 0xDD, 7, 2),
    XR("ffree st(i)", 0xDD, 0),
    XR("fxch4 st(i)", 0xDD, 1),
    XR("fst st(i)", 0xDD, 2),
    XR("fstp st(i)", 0xDD, 3),
    XR("fucom st(i)", 0xDD, 4),
    XR("fucomp st(i)", 0xDD, 5),
    /* DE: m16int arithmetic, popping ST(i) forms */
    XM("fiadd m16", 0xDE, 0, 2),
    XM("fimul m16", 0xDE, 1, 2),
    XM("ficom m16", 0xDE, 2, 2),
    XM("ficomp m16", 0xDE, 3, 2),
    XM("fisub m16", 0xDE, 4, 2),
    XM("fisubr m16", 0xDE, 5, 2),
    XM("fidiv m16", 0xDE, 6, 2),
    XM("fidivr m16", 0xDE, 7, 2),
    XR("faddp st(i),st", 0xDE, 0),
    XR("fmulp st(i),st", 0xDE, 1),
    XR("fcomp5 st(i)", 0xDE, 2),
    XF("fcompp", 0xDE, 0xD9),
    XR("fsubrp st(i),st", 0xDE, 4),
    XR("fsubp st(i),st", 0xDE, 5),
    XR("fdivrp st(i),st", 0xDE, 6),
    XR("fdivp st(i),st", 0xDE, 7),
    /* DF: m16int/m64int moves, BCD, FNSTSW AX, FUCOMIP/FCOMIP, aliases */
    XM("fild m16", 0xDF, 0, 2),
    XM("fisttp m16", 0xDF, 1, 2),
    XM("fist m16", 0xDF, 2, 2),
    XM("fistp m16", 0xDF, 3, 2),
    XM("fbld m80", 0xDF, 4, 10),
    XM("fild m64", 0xDF, 5, 8),
    XM("fbstp m80", 0xDF, 6, 10),
    XM("fistp m64", 0xDF, 7, 8),
    XR("ffreep st(i)", 0xDF, 0),
    XR("fxch7 st(i)", 0xDF, 1),
    XR("fstp8 st(i)", 0xDF, 2),
    XR("fstp9 st(i)", 0xDF, 3),
    XF("fnstsw ax", 0xDF, 0xE0),
    XR("fucomip st(i)", 0xDF, 5),
    XR("fcomip st(i)", 0xDF, 6),
    {"fwait", {0x9B}, 1, O_NONE, -1, S32, I_NONE, U_NONE, 0, 0, 0},
};
const unsigned x87_nr = ARRAY_SIZE(x87_forms);

/* An operand of the form's memory format, from its name. */
static void x87_mem_operand(struct gen *g, uint8_t v[16])
{
	const char *name = g->f->name;
	unsigned size = g->f->msize;
	memset(v, 0, 16);
	if (!strncmp(name, "fbld", 4)) {
		genfp_bcd(g, v);
	} else if (!strncmp(name, "fldcw", 5)) {
		uint16_t cw = gen_one_in(g, 8) ? (uint16_t)gen_rnd(g) : genfp_fcw(g);
		memcpy(v, &cw, 2);
	} else if (name[1] == 'i' && strncmp(name, "fistt", 5)) { /* FI* integers */
		uint64_t x = genfp_int(g, size);
		memcpy(v, &x, 8);
	} else if (size == 4) {
		uint32_t x = genfp_f32(g);
		memcpy(v, &x, 4);
	} else if (size == 8) {
		uint64_t x = genfp_f64(g);
		memcpy(v, &x, 8);
	} else if (size == 10) {
		genfp_f80(g, v);
	} else { /* environments: a control word that masks what is pending */
		for (int i = 0; i < 16; i++)
			v[i] = (uint8_t)gen_rnd(g);
		v[0] |= 0x3F;
	}
}

void hook_x87(struct gen *g)
{
	uint8_t v[16];
	/* The operands the form names hold edge values: ST(0), ST(1) (the
	 * two-operand fixed forms) and ST(i); now and then one is empty, for
	 * the stack faults. */
	genfp_f80(g, v);
	genfp_set_st(g, 0, v);
	genfp_f80(g, v);
	genfp_set_st(g, 1, v);
	if (g->rm_reg >= 0) {
		genfp_f80(g, v);
		genfp_set_st(g, g->rm_reg & 7, v);
	}
	if (gen_one_in(g, 10))
		genfp_set_empty(g, gen_below(g, 2));
	/* a full stack now and then: pushes overflow */
	if (gen_one_in(g, 10))
		g->c->fx.ftw = 0xFF;
	if (g->has_mem) {
		x87_mem_operand(g, v);
		gen_seed_mem(g, g->mem, v, g->f->msize < 16 ? g->f->msize : 16);
		if (g->f->msize > 16) { /* FLDENV/FRSTOR: the status word's masks too */
			x87_mem_operand(g, v);
			v[0] &= 0x40; /* nothing pending in the loaded status word */
			v[1] &= 0x7F;
			gen_seed_mem(g, g->mem + 4, v, 4);
		}
	}
}

/* FXRSTOR, both formats (REX.W: 64-bit FIP/FDP).  FXSAVE is in
 * test_x86_fpu, which can set aside the MXCSR_MASK it stores: the host's
 * has AMD's MM bit, the emulator's is Intel's FFFFh. */
const struct form fpstate_forms[] = {
    {"fxrstor m512", {0x0F, 0xAE}, 2, O_RM, 1, S32 | S64, I_NONE, U_NONE, F_MEM | F_ALIGN, 16, 0},
};
const unsigned fpstate_nr = ARRAY_SIZE(fpstate_forms);

void hook_fpstate(struct gen *g)
{
	uint8_t v[16];
	if (!g->has_mem)
		return;
	/* FXRSTOR's image: a control word, a status word, tags, MXCSR. */
	uint16_t cw = genfp_fcw(g), sw = (uint16_t)(gen_rnd(g) & 0x7F00);
	uint32_t mx = gen_one_in(g, 16) ? (uint32_t)gen_rnd(g) : genfp_mxcsr(g);
	memset(v, 0, 16);
	memcpy(v, &cw, 2);
	memcpy(v + 2, &sw, 2);
	v[4] = (uint8_t)gen_rnd(g);
	gen_seed_mem(g, g->mem, v, 16);
	memcpy(v, &mx, 4);
	memset(v + 4, 0xFF, 4);
	gen_seed_mem(g, g->mem + 24, v, 8);
	genfp_f80(g, v);
	gen_seed_mem(g, g->mem + 32, v, 10);
}
