/*
 * tools/difftest/genfp.h - operand generators for the x87 and SSE classes of
 * the differential tester: edge values of every format and random, valid
 * x87/SSE states.  Not a reference implementation: the CPU is the oracle.
 * Formats: Intel SDM vol. 1, 4.2-4.9 (data types), 8.1 (x87 state),
 * 10.2.3 (MXCSR), 10.5.1 (the FXSAVE image, struct dt_fx in dt.h).
 *
 * How to add an FP/SIMD difftest class
 *  1. Write tools/difftest/gen_NAME.c (every .c there is built): a table of
 *     forms (struct form, gen_int.h), its count and a hook.
 *       SSE:  .op = {0x0F, 0x58}, .oplen = 2, .ops = O_RM, .ext = -1
 *             (ModRM.reg and .rm are XMM numbers: g->reg, g->rm_reg, -1 for
 *             memory), .sizes = S32 (S32 | S64 where REX.W matters: MOVD/MOVQ),
 *             .prefix = the mandatory 66/F2/F3, .msize = the memory operand's
 *             bytes, .imm = I_8 for an imm8, .flags = F_ALIGN for the forms
 *             that #GP on a misaligned m128.
 *       x87:  .op = {0xD8}..{0xDF}, .oplen = 1, .ops = O_RM, .ext = the /digit,
 *             .flags = F_MEM or F_REG (register forms: g->rm_reg is i of ST(i)),
 *             .msize = 2/4/8/10.
 *  2. Declare the table, its count and the hook at the end of this file and
 *     add one line to gen_classes[] in gen.c with .fp = true.  Set
 *     .claimed = true only when the emulator implements every form: then
 *     `make test` runs it (`difftest --class NAME` runs any class).
 *  3. The hook gets the case with a random valid x87/SSE state in g->c->fx
 *     (genfp_state).  It sets the operands the form reads (genfp_xmm,
 *     genfp_set_st, genfp_f32/64/80 into memory with gen_seed_mem(g, g->mem,
 *     bytes, len)), may pick MXCSR/FCW values (genfp_mxcsr, genfp_fcw), and
 *     declares what the SDM leaves undefined (g->c->fp_undef: FSW bits,
 *     MXCSR bits, ST(i) or XMM registers, FOP/FIP/FDP).
 *  4. Run it: build/difftest --class NAME --cases 100000.  A mismatch prints
 *     the command that repeats it; add --verbose for both states in full.
 * The case runs natively with FXRSTOR of c->fx just before the instruction;
 * afterwards the CPU's state comes from the signal frame, the emulator's from
 * its struct x86_state, and every field is compared.  Faults are told apart
 * by vector: #MF 16, #XM 19, #NM 7, #DE 0, #GP 13, #UD 6 (#NM cannot happen
 * natively: Linux runs user code with CR0.TS and EM clear).
 */
#ifndef DIFFTEST_GENFP_H
#define DIFFTEST_GENFP_H

#include "gen_int.h"

/* Random values of each format, weighted to the edges: zeros, denormals,
 * infinities, quiet and signalling NaNs with payloads, the smallest and
 * largest normals, integer-conversion boundaries (2^15, 2^31, 2^63 and their
 * neighbours), small integers, rounding boundaries (significands ending in
 * exact halves and their neighbours at a random position), random. */
uint32_t genfp_f32(struct gen *g);
uint64_t genfp_f64(struct gen *g);
/* float80 also: unnormals, pseudo-denormals, pseudo-NaNs and pseudo-infinities
 * (the explicit integer bit wrong for the exponent). */
void genfp_f80(struct gen *g, uint8_t out[10]);
/* Integers for FILD/CVTSI2SD... and their overflow edges, `bytes` wide. */
uint64_t genfp_int(struct gen *g, unsigned bytes);
/* An 18-digit packed BCD (FBLD), sometimes with invalid digits. */
void genfp_bcd(struct gen *g, uint8_t out[10]);

/* What an XMM register holds. */
enum genfp_lanes {
	GENFP_PS, /* 4 x float32 */
	GENFP_PD, /* 2 x float64 */
	GENFP_B,  /* 16 x int8 ... */
	GENFP_W,
	GENFP_D,
	GENFP_Q,
	GENFP_ANY, /* one of the above */
};
void genfp_xmm(struct gen *g, uint8_t out[16], enum genfp_lanes k);

/* A valid MXCSR (bits 0-15): any rounding, DAZ and FTZ sometimes, mostly
 * every exception masked, sometimes flags already set. */
uint32_t genfp_mxcsr(struct gen *g);
/* An FCW: any precision (24/53/64 bits) and rounding, mostly masked. */
uint16_t genfp_fcw(struct gen *g);

/*
 * A random valid state in g->c->fx: FCW, FSW (any TOP, C0-C3), a stack of
 * random depth (tags), random float80 in every ST(i), MXCSR, every XMM of a
 * random kind, FOP/FIP/FDP.  Exception flags are such that ES says whether an
 * unmasked one is pending (sometimes one is: the next x87 instruction #MF).
 */
void genfp_state(struct gen *g);
/* ST(i) of the case's stack: its value, tagged valid. */
void genfp_set_st(struct gen *g, unsigned i, const uint8_t v[10]);
/* ST(i) tagged empty (its bytes stay). */
void genfp_set_empty(struct gen *g, unsigned i);
/* FSW.ES and B from the flags and FCW's masks (after changing either). */
void genfp_fsw_fix(struct dt_fx *fx);

/* ---- classes in files of their own (see above) ---- */

/* gen_ssemov.c: SSE moves and the MXCSR, the plumbing's first class. */
extern const struct form ssemov_forms[];
extern const unsigned ssemov_nr;
void hook_ssemov(struct gen *g);

/* gen_sse.c: one class per SSE generation, one hook for all of them. */
extern const struct form mmx_forms[], sse_forms[], sse2_forms[], sse3_forms[], ssse3_forms[],
    sse41_forms[], sse42_forms[];
extern const unsigned mmx_nr, sse_nr, sse2_nr, sse3_nr, ssse3_nr, sse41_nr, sse42_nr;
void hook_simd(struct gen *g);

/* gen_x87.c: every x87 form; FXSAVE/FXRSTOR. */
extern const struct form x87_forms[], fpstate_forms[];
extern const unsigned x87_nr, fpstate_nr;
void hook_x87(struct gen *g);
void hook_fpstate(struct gen *g);

#endif
