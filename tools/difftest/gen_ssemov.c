/*
 * tools/difftest/gen_ssemov.c - the "ssemov" difftest class: SSE/SSE2 moves
 * between XMM registers, memory and general registers, PXOR/XORPS, and
 * LDMXCSR/STMXCSR, with random XMM contents and MXCSR.  Not arithmetic: the
 * first class of the x87/SSE plumbing (genfp.h).  Encodings: Intel SDM vol. 2,
 * each instruction's opcode table; alignment: vol. 1, 10.4.1.1.
 */
#include "genfp.h"

const struct form ssemov_forms[] = {
    {"movups x,xm", {0x0F, 0x10}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 16, 0},
    {"movups xm,x", {0x0F, 0x11}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 16, 0},
    {"movaps x,xm", {0x0F, 0x28}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0},
    {"movaps xm,x", {0x0F, 0x29}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0},
    {"movupd x,xm", {0x0F, 0x10}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 16, 0x66},
    {"movapd xm,x", {0x0F, 0x29}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"movdqa x,xm", {0x0F, 0x6F}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"movdqa xm,x", {0x0F, 0x7F}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"movdqu x,xm", {0x0F, 0x6F}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 16, 0xF3},
    {"movdqu xm,x", {0x0F, 0x7F}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 16, 0xF3},
    {"movss x,xm", {0x0F, 0x10}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 4, 0xF3},
    {"movss xm,x", {0x0F, 0x11}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 4, 0xF3},
    {"movsd x,xm", {0x0F, 0x10}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0xF2},
    {"movsd xm,x", {0x0F, 0x11}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0xF2},
    {"movq x,xm64", {0x0F, 0x7E}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0xF3},
    {"movq xm64,x", {0x0F, 0xD6}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0x66},
    /* MOVD/MOVQ with a general register or memory: REX.W selects 64 bits. */
    {"movd x,rm", {0x0F, 0x6E}, 2, O_RM, -1, S32 | S64, I_NONE, U_NONE, 0, 0, 0x66},
    {"movd rm,x", {0x0F, 0x7E}, 2, O_RM, -1, S32 | S64, I_NONE, U_NONE, 0, 0, 0x66},
    {"pxor x,xm", {0x0F, 0xEF}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"xorps x,xm", {0x0F, 0x57}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0},
    {"ldmxcsr m32", {0x0F, 0xAE}, 2, O_RM, 2, S32, I_NONE, U_NONE, F_MEM, 4, 0},
    {"stmxcsr m32", {0x0F, 0xAE}, 2, O_RM, 3, S32, I_NONE, U_NONE, F_MEM, 4, 0},
};
const unsigned ssemov_nr = ARRAY_SIZE(ssemov_forms);

void hook_ssemov(struct gen *g)
{
	uint8_t v[16];
	uint32_t m;

	if (!g->has_mem)
		return;
	if (g->f->ext == 2) { /* LDMXCSR: a valid MXCSR, sometimes reserved bits (#GP) */
		m = gen_one_in(g, 16) ? (uint32_t)gen_rnd(g) : genfp_mxcsr(g);
		gen_seed_mem(g, g->mem, &m, 4);
	} else if (g->f->msize) {
		genfp_xmm(g, v, GENFP_ANY);
		gen_seed_mem(g, g->mem, v, g->f->msize);
	}
}
