/*
 * x86/sse_tables.c - the SSE/MMX rows of the 0F, 0F 38 and 0F 3A maps, keyed
 * by opcode and then by the mandatory prefix (none, 66, F3, F2: the last
 * F2/F3 wins over 66), with the manual's operand codes (V W U P Q N).
 * tables.c marks these opcodes F_SSE; the decoder asks sse_select() for the
 * row.  Not the bodies (sse_*.c).
 * Follows Intel SDM vol. 2 appendix A, tables A-3 to A-6 (and A-6's groups
 * 12-15), and each instruction's page for operand sizes.
 */
#include "x86/simd.h"

#define O(m, s)                                                                                    \
	{                                                                                          \
		OM_##m, OS_##s                                                                     \
	}
#define ROW(body, mn, ...)                                                                         \
	{                                                                                          \
		.fn = ex_##body, .name = mn, .o = {__VA_ARGS__}, .flags = F_MODRM                  \
	}
#define GRP(mn, g)                                                                                 \
	{                                                                                          \
		.fn = NULL, .name = mn, .flags = F_MODRM | F_GROUP, .group = (g)                   \
	}

enum { P_NONE, P_66, P_F3, P_F2 };

/* The same operation on MMX (no prefix) and XMM registers (66). */
#define MX(body, mn)                                                                               \
	{                                                                                          \
		[P_NONE] = ROW(body, mn, O(P, q), O(Q, q)), [P_66] =                               \
								ROW(body, mn, O(V, x), O(W, x))    \
	}
/* MMX source m32 for the low-half unpacks. */
#define MXL(body, mn)                                                                              \
	{                                                                                          \
		[P_NONE] = ROW(body, mn, O(P, q), O(Q, d)), [P_66] =                               \
								ROW(body, mn, O(V, x), O(W, x))    \
	}
/* XMM only, with 66. */
#define X66(body, mn)                                                                              \
	{                                                                                          \
		[P_66] = ROW(body, mn, O(V, x), O(W, x))                                           \
	}
/* The four arithmetic forms: ps, pd, ss (m32), sd (m64). */
#define ARITH4(op)                                                                                 \
	{                                                                                          \
		[P_NONE] = ROW(op##ps, #op "ps", O(V, x), O(W, x)),                                \
		[P_66] = ROW(op##pd, #op "pd", O(V, x), O(W, x)),                                  \
		[P_F3] = ROW(op##ss, #op "ss", O(V, x), O(W, d)),                                  \
		[P_F2] = ROW(op##sd, #op "sd", O(V, x), O(W, q)),                                  \
	}
/* The bitwise ps/pd pairs. */
#define LOGIC2(body, mn)                                                                           \
	{                                                                                          \
		[P_NONE] = ROW(body, mn "ps", O(V, x), O(W, x)),                                   \
		[P_66] = ROW(body, mn "pd", O(V, x), O(W, x)),                                     \
	}

/* Groups 12-14 (0F 71-73): shifts of an MMX (N) or XMM (U) register by imm8. */
static const struct x86_opcode grp12_mm[8] = {
    [2] = ROW(psrlw_i, "psrlw", O(N, q), O(I, b)),
    [4] = ROW(psraw_i, "psraw", O(N, q), O(I, b)),
    [6] = ROW(psllw_i, "psllw", O(N, q), O(I, b)),
};
static const struct x86_opcode grp12_xmm[8] = {
    [2] = ROW(psrlw_i, "psrlw", O(U, x), O(I, b)),
    [4] = ROW(psraw_i, "psraw", O(U, x), O(I, b)),
    [6] = ROW(psllw_i, "psllw", O(U, x), O(I, b)),
};
static const struct x86_opcode grp13_mm[8] = {
    [2] = ROW(psrld_i, "psrld", O(N, q), O(I, b)),
    [4] = ROW(psrad_i, "psrad", O(N, q), O(I, b)),
    [6] = ROW(pslld_i, "pslld", O(N, q), O(I, b)),
};
static const struct x86_opcode grp13_xmm[8] = {
    [2] = ROW(psrld_i, "psrld", O(U, x), O(I, b)),
    [4] = ROW(psrad_i, "psrad", O(U, x), O(I, b)),
    [6] = ROW(pslld_i, "pslld", O(U, x), O(I, b)),
};
static const struct x86_opcode grp14_mm[8] = {
    [2] = ROW(psrlq_i, "psrlq", O(N, q), O(I, b)),
    [6] = ROW(psllq_i, "psllq", O(N, q), O(I, b)),
};
static const struct x86_opcode grp14_xmm[8] = {
    [2] = ROW(psrlq_i, "psrlq", O(U, x), O(I, b)),
    [3] = ROW(psrldq_i, "psrldq", O(U, x), O(I, b)),
    [6] = ROW(psllq_i, "psllq", O(U, x), O(I, b)),
    [7] = ROW(pslldq_i, "pslldq", O(U, x), O(I, b)),
};

/* Group 15 (0F AE) memory forms without a prefix that are SSE's. */
static const struct x86_opcode grp15_sse[8] = {
    [2] = ROW(ldmxcsr, "ldmxcsr", O(M, d)),
    [3] = ROW(stmxcsr, "stmxcsr", O(M, d)),
};

/* 66 0F 78 /0 (AMD SSE4a, not advertised: #UD with the CPU's length). */
static const struct x86_opcode grp_extrq[8] = {
    [0] = ROW(ud, "extrq", O(U, x), O(I, b), O(I, b)),
};

static const struct x86_opcode sse_0f[256][4] = {
    [0x10] = {[P_NONE] = ROW(sse_mov, "movups", O(V, x), O(W, xu)),
	      [P_66] = ROW(sse_mov, "movupd", O(V, x), O(W, xu)),
	      [P_F3] = ROW(movss, "movss", O(V, x), O(W, d)),
	      [P_F2] = ROW(movss, "movsd", O(V, x), O(W, q))},
    [0x11] = {[P_NONE] = ROW(sse_mov, "movups", O(W, xu), O(V, x)),
	      [P_66] = ROW(sse_mov, "movupd", O(W, xu), O(V, x)),
	      [P_F3] = ROW(movss, "movss", O(W, d), O(V, d)),
	      [P_F2] = ROW(movss, "movsd", O(W, q), O(V, q))},
    [0x12] = {[P_NONE] = ROW(movlps, "movlps", O(V, x), O(W, q)),
	      [P_66] = ROW(movlps, "movlpd", O(V, x), O(M, q)),
	      [P_F3] = ROW(movsldup, "movsldup", O(V, x), O(W, x)),
	      [P_F2] = ROW(movddup, "movddup", O(V, x), O(W, q))},
    [0x13] = {[P_NONE] = ROW(sse_mov, "movlps", O(M, q), O(V, q)),
	      [P_66] = ROW(sse_mov, "movlpd", O(M, q), O(V, q))},
    [0x14] = {[P_NONE] = ROW(unpcklps, "unpcklps", O(V, x), O(W, x)),
	      [P_66] = ROW(punpcklqdq, "unpcklpd", O(V, x), O(W, x))},
    [0x15] = {[P_NONE] = ROW(unpckhps, "unpckhps", O(V, x), O(W, x)),
	      [P_66] = ROW(punpckhqdq, "unpckhpd", O(V, x), O(W, x))},
    [0x16] = {[P_NONE] = ROW(movhps, "movhps", O(V, x), O(W, q)),
	      [P_66] = ROW(movhps, "movhpd", O(V, x), O(M, q)),
	      [P_F3] = ROW(movshdup, "movshdup", O(V, x), O(W, x))},
    [0x17] = {[P_NONE] = ROW(movhps_st, "movhps", O(M, q), O(V, x)),
	      [P_66] = ROW(movhps_st, "movhpd", O(M, q), O(V, x))},
    [0x28] = {[P_NONE] = ROW(sse_mov, "movaps", O(V, x), O(W, x)),
	      [P_66] = ROW(sse_mov, "movapd", O(V, x), O(W, x))},
    [0x29] = {[P_NONE] = ROW(sse_mov, "movaps", O(W, x), O(V, x)),
	      [P_66] = ROW(sse_mov, "movapd", O(W, x), O(V, x))},
    [0x2A] = {[P_NONE] = ROW(cvtpi2ps, "cvtpi2ps", O(V, x), O(Q, q)),
	      [P_66] = ROW(cvtpi2pd, "cvtpi2pd", O(V, x), O(Q, q)),
	      [P_F3] = ROW(cvtsi2ss, "cvtsi2ss", O(V, x), O(E, y)),
	      [P_F2] = ROW(cvtsi2sd, "cvtsi2sd", O(V, x), O(E, y))},
    [0x2B] = {[P_NONE] = ROW(sse_mov, "movntps", O(M, x), O(V, x)),
	      [P_66] = ROW(sse_mov, "movntpd", O(M, x), O(V, x))},
    [0x2C] = {[P_NONE] = ROW(cvttps2pi, "cvttps2pi", O(P, q), O(W, q)),
	      [P_66] = ROW(cvttpd2pi, "cvttpd2pi", O(P, q), O(W, x)),
	      [P_F3] = ROW(cvttss2si, "cvttss2si", O(G, y), O(W, d)),
	      [P_F2] = ROW(cvttsd2si, "cvttsd2si", O(G, y), O(W, q))},
    [0x2D] = {[P_NONE] = ROW(cvtps2pi, "cvtps2pi", O(P, q), O(W, q)),
	      [P_66] = ROW(cvtpd2pi, "cvtpd2pi", O(P, q), O(W, x)),
	      [P_F3] = ROW(cvtss2si, "cvtss2si", O(G, y), O(W, d)),
	      [P_F2] = ROW(cvtsd2si, "cvtsd2si", O(G, y), O(W, q))},
    [0x2E] = {[P_NONE] = ROW(ucomiss, "ucomiss", O(V, x), O(W, d)),
	      [P_66] = ROW(ucomisd, "ucomisd", O(V, x), O(W, q))},
    [0x2F] = {[P_NONE] = ROW(comiss, "comiss", O(V, x), O(W, d)),
	      [P_66] = ROW(comisd, "comisd", O(V, x), O(W, q))},
    [0x50] = {[P_NONE] = ROW(movmskps, "movmskps", O(G, d), O(U, x)),
	      [P_66] = ROW(movmskpd, "movmskpd", O(G, d), O(U, x))},
    [0x51] = ARITH4(sqrt),
    [0x52] = {[P_NONE] = ROW(rsqrtps, "rsqrtps", O(V, x), O(W, x)),
	      [P_F3] = ROW(rsqrtss, "rsqrtss", O(V, x), O(W, d))},
    [0x53] = {[P_NONE] = ROW(rcpps, "rcpps", O(V, x), O(W, x)),
	      [P_F3] = ROW(rcpss, "rcpss", O(V, x), O(W, d))},
    [0x54] = LOGIC2(pand, "and"),
    [0x55] = LOGIC2(pandn, "andn"),
    [0x56] = LOGIC2(por, "or"),
    [0x57] = LOGIC2(pxor, "xor"),
    [0x58] = ARITH4(add),
    [0x59] = ARITH4(mul),
    [0x5A] = {[P_NONE] = ROW(cvtps2pd, "cvtps2pd", O(V, x), O(W, q)),
	      [P_66] = ROW(cvtpd2ps, "cvtpd2ps", O(V, x), O(W, x)),
	      [P_F3] = ROW(cvtss2sd, "cvtss2sd", O(V, x), O(W, d)),
	      [P_F2] = ROW(cvtsd2ss, "cvtsd2ss", O(V, x), O(W, q))},
    [0x5B] = {[P_NONE] = ROW(cvtdq2ps, "cvtdq2ps", O(V, x), O(W, x)),
	      [P_66] = ROW(cvtps2dq, "cvtps2dq", O(V, x), O(W, x)),
	      [P_F3] = ROW(cvttps2dq, "cvttps2dq", O(V, x), O(W, x))},
    [0x5C] = ARITH4(sub),
    [0x5D] = ARITH4(min),
    [0x5E] = ARITH4(div),
    [0x5F] = ARITH4(max),
    [0x60] = MXL(punpcklbw, "punpcklbw"),
    [0x61] = MXL(punpcklwd, "punpcklwd"),
    [0x62] = MXL(punpckldq, "punpckldq"),
    [0x63] = MX(packsswb, "packsswb"),
    [0x64] = MX(pcmpgtb, "pcmpgtb"),
    [0x65] = MX(pcmpgtw, "pcmpgtw"),
    [0x66] = MX(pcmpgtd, "pcmpgtd"),
    [0x67] = MX(packuswb, "packuswb"),
    [0x68] = MX(punpckhbw, "punpckhbw"),
    [0x69] = MX(punpckhwd, "punpckhwd"),
    [0x6A] = MX(punpckhdq, "punpckhdq"),
    [0x6B] = MX(packssdw, "packssdw"),
    [0x6C] = X66(punpcklqdq, "punpcklqdq"),
    [0x6D] = X66(punpckhqdq, "punpckhqdq"),
    [0x6E] = {[P_NONE] = ROW(sse_mov, "movd", O(P, q), O(E, y)),
	      [P_66] = ROW(sse_mov, "movd", O(V, x), O(E, y))},
    [0x6F] = {[P_NONE] = ROW(sse_mov, "movq", O(P, q), O(Q, q)),
	      [P_66] = ROW(sse_mov, "movdqa", O(V, x), O(W, x)),
	      [P_F3] = ROW(sse_mov, "movdqu", O(V, x), O(W, xu))},
    [0x70] = {[P_NONE] = ROW(pshufw, "pshufw", O(P, q), O(Q, q), O(I, b)),
	      [P_66] = ROW(pshufd, "pshufd", O(V, x), O(W, x), O(I, b)),
	      [P_F3] = ROW(pshufhw, "pshufhw", O(V, x), O(W, x), O(I, b)),
	      [P_F2] = ROW(pshuflw, "pshuflw", O(V, x), O(W, x), O(I, b))},
    [0x71] = {[P_NONE] = GRP("grp12", grp12_mm), [P_66] = GRP("grp12", grp12_xmm)},
    [0x72] = {[P_NONE] = GRP("grp13", grp13_mm), [P_66] = GRP("grp13", grp13_xmm)},
    [0x73] = {[P_NONE] = GRP("grp14", grp14_mm), [P_66] = GRP("grp14", grp14_xmm)},
    [0x74] = MX(pcmpeqb, "pcmpeqb"),
    [0x75] = MX(pcmpeqw, "pcmpeqw"),
    [0x76] = MX(pcmpeqd, "pcmpeqd"),
    [0x77] = {[P_NONE] = {.fn = ex_emms, .name = "emms"}},
    /* AMD's SSE4a EXTRQ/INSERTQ with two imm8: not advertised, #UD, but
     * their length is the CPU's (past 15 bytes: #GP). */
    [0x78] = {[P_66] = GRP("extrq", grp_extrq),
	      [P_F2] = {.fn = ex_ud,
			.name = "insertq",
			.o = {O(V, x), O(U, x), O(I, b)},
			.flags = F_MODRM | F_IMM8}},
    [0x7C] = {[P_66] = ROW(haddpd, "haddpd", O(V, x), O(W, x)),
	      [P_F2] = ROW(haddps, "haddps", O(V, x), O(W, x))},
    [0x7D] = {[P_66] = ROW(hsubpd, "hsubpd", O(V, x), O(W, x)),
	      [P_F2] = ROW(hsubps, "hsubps", O(V, x), O(W, x))},
    [0x7E] = {[P_NONE] = ROW(sse_mov, "movd", O(E, y), O(P, q)),
	      [P_66] = ROW(sse_mov, "movd", O(E, y), O(V, x)),
	      [P_F3] = ROW(sse_mov, "movq", O(V, x), O(W, q))},
    [0x7F] = {[P_NONE] = ROW(sse_mov, "movq", O(Q, q), O(P, q)),
	      [P_66] = ROW(sse_mov, "movdqa", O(W, x), O(V, x)),
	      [P_F3] = ROW(sse_mov, "movdqu", O(W, xu), O(V, x))},
    [0xAE] = {[P_NONE] = GRP("grp15", grp15_sse)},
    [0xC2] = {[P_NONE] = ROW(cmpps, "cmpps", O(V, x), O(W, x), O(I, b)),
	      [P_66] = ROW(cmppd, "cmppd", O(V, x), O(W, x), O(I, b)),
	      [P_F3] = ROW(cmpss, "cmpss", O(V, x), O(W, d), O(I, b)),
	      [P_F2] = ROW(cmpsd, "cmpsd", O(V, x), O(W, q), O(I, b))},
    [0xC3] = {[P_NONE] = ROW(mov, "movnti", O(M, y), O(G, y))},
    [0xC4] = {[P_NONE] = ROW(pinsr, "pinsrw", O(P, q), O(E, w), O(I, b)),
	      [P_66] = ROW(pinsr, "pinsrw", O(V, x), O(E, w), O(I, b))},
    [0xC5] = {[P_NONE] = ROW(pextrw, "pextrw", O(G, d), O(N, q), O(I, b)),
	      [P_66] = ROW(pextrw, "pextrw", O(G, d), O(U, x), O(I, b))},
    [0xC6] = {[P_NONE] = ROW(shufps, "shufps", O(V, x), O(W, x), O(I, b)),
	      [P_66] = ROW(shufpd, "shufpd", O(V, x), O(W, x), O(I, b))},
    [0xD0] = {[P_66] = ROW(addsubpd, "addsubpd", O(V, x), O(W, x)),
	      [P_F2] = ROW(addsubps, "addsubps", O(V, x), O(W, x))},
    [0xD1] = MX(psrlw, "psrlw"),
    [0xD2] = MX(psrld, "psrld"),
    [0xD3] = MX(psrlq, "psrlq"),
    [0xD4] = MX(paddq, "paddq"),
    [0xD5] = MX(pmullw, "pmullw"),
    [0xD6] = {[P_66] = ROW(sse_mov, "movq", O(W, q), O(V, q)),
	      [P_F3] = ROW(movq2dq, "movq2dq", O(V, x), O(N, q)),
	      [P_F2] = ROW(movq2dq, "movdq2q", O(P, q), O(U, q))},
    [0xD7] = {[P_NONE] = ROW(pmovmskb, "pmovmskb", O(G, d), O(N, q)),
	      [P_66] = ROW(pmovmskb, "pmovmskb", O(G, d), O(U, x))},
    [0xD8] = MX(psubusb, "psubusb"),
    [0xD9] = MX(psubusw, "psubusw"),
    [0xDA] = MX(pminub, "pminub"),
    [0xDB] = MX(pand, "pand"),
    [0xDC] = MX(paddusb, "paddusb"),
    [0xDD] = MX(paddusw, "paddusw"),
    [0xDE] = MX(pmaxub, "pmaxub"),
    [0xDF] = MX(pandn, "pandn"),
    [0xE0] = MX(pavgb, "pavgb"),
    [0xE1] = MX(psraw, "psraw"),
    [0xE2] = MX(psrad, "psrad"),
    [0xE3] = MX(pavgw, "pavgw"),
    [0xE4] = MX(pmulhuw, "pmulhuw"),
    [0xE5] = MX(pmulhw, "pmulhw"),
    [0xE6] = {[P_66] = ROW(cvttpd2dq, "cvttpd2dq", O(V, x), O(W, x)),
	      [P_F3] = ROW(cvtdq2pd, "cvtdq2pd", O(V, x), O(W, q)),
	      [P_F2] = ROW(cvtpd2dq, "cvtpd2dq", O(V, x), O(W, x))},
    [0xE7] = {[P_NONE] = ROW(sse_mov, "movntq", O(M, q), O(P, q)),
	      [P_66] = ROW(sse_mov, "movntdq", O(M, x), O(V, x))},
    [0xE8] = MX(psubsb, "psubsb"),
    [0xE9] = MX(psubsw, "psubsw"),
    [0xEA] = MX(pminsw, "pminsw"),
    [0xEB] = MX(por, "por"),
    [0xEC] = MX(paddsb, "paddsb"),
    [0xED] = MX(paddsw, "paddsw"),
    [0xEE] = MX(pmaxsw, "pmaxsw"),
    [0xEF] = MX(pxor, "pxor"),
    [0xF0] = {[P_F2] = ROW(sse_mov, "lddqu", O(V, x), O(M, xu))},
    [0xF1] = MX(psllw, "psllw"),
    [0xF2] = MX(pslld, "pslld"),
    [0xF3] = MX(psllq, "psllq"),
    [0xF4] = MX(pmuludq, "pmuludq"),
    [0xF5] = MX(pmaddwd, "pmaddwd"),
    [0xF6] = MX(psadbw, "psadbw"),
    [0xF7] = {[P_NONE] = ROW(maskmov, "maskmovq", O(P, q), O(N, q)),
	      [P_66] = ROW(maskmov, "maskmovdqu", O(V, x), O(U, x))},
    [0xF8] = MX(psubb, "psubb"),
    [0xF9] = MX(psubw, "psubw"),
    [0xFA] = MX(psubd, "psubd"),
    [0xFB] = MX(psubq, "psubq"),
    [0xFC] = MX(paddb, "paddb"),
    [0xFD] = MX(paddw, "paddw"),
    [0xFE] = MX(paddd, "paddd"),
};

/* PMOVSX/PMOVZX read only the elements they widen. */
#define PMOVX(body, s)                                                                             \
	{                                                                                          \
		[P_66] = ROW(body, #body, O(V, x), O(W, s))                                        \
	}

static const struct x86_opcode sse_0f38[256][4] = {
    [0x00] = MX(pshufb, "pshufb"),
    [0x01] = MX(phaddw, "phaddw"),
    [0x02] = MX(phaddd, "phaddd"),
    [0x03] = MX(phaddsw, "phaddsw"),
    [0x04] = MX(pmaddubsw, "pmaddubsw"),
    [0x05] = MX(phsubw, "phsubw"),
    [0x06] = MX(phsubd, "phsubd"),
    [0x07] = MX(phsubsw, "phsubsw"),
    [0x08] = MX(psignb, "psignb"),
    [0x09] = MX(psignw, "psignw"),
    [0x0A] = MX(psignd, "psignd"),
    [0x0B] = MX(pmulhrsw, "pmulhrsw"),
    [0x10] = X66(pblendvb, "pblendvb"),
    [0x14] = X66(blendvps, "blendvps"),
    [0x15] = X66(blendvpd, "blendvpd"),
    [0x17] = X66(ptest, "ptest"),
    [0x1C] = MX(pabsb, "pabsb"),
    [0x1D] = MX(pabsw, "pabsw"),
    [0x1E] = MX(pabsd, "pabsd"),
    [0x20] = PMOVX(pmovsxbw, q),
    [0x21] = PMOVX(pmovsxbd, d),
    [0x22] = PMOVX(pmovsxbq, w),
    [0x23] = PMOVX(pmovsxwd, q),
    [0x24] = PMOVX(pmovsxwq, d),
    [0x25] = PMOVX(pmovsxdq, q),
    [0x28] = X66(pmuldq, "pmuldq"),
    [0x29] = X66(pcmpeqq, "pcmpeqq"),
    [0x2A] = {[P_66] = ROW(sse_mov, "movntdqa", O(V, x), O(M, x))},
    [0x2B] = X66(packusdw, "packusdw"),
    [0x30] = PMOVX(pmovzxbw, q),
    [0x31] = PMOVX(pmovzxbd, d),
    [0x32] = PMOVX(pmovzxbq, w),
    [0x33] = PMOVX(pmovzxwd, q),
    [0x34] = PMOVX(pmovzxwq, d),
    [0x35] = PMOVX(pmovzxdq, q),
    [0x37] = X66(pcmpgtq, "pcmpgtq"),
    [0x38] = X66(pminsb, "pminsb"),
    [0x39] = X66(pminsd, "pminsd"),
    [0x3A] = X66(pminuw, "pminuw"),
    [0x3B] = X66(pminud, "pminud"),
    [0x3C] = X66(pmaxsb, "pmaxsb"),
    [0x3D] = X66(pmaxsd, "pmaxsd"),
    [0x3E] = X66(pmaxuw, "pmaxuw"),
    [0x3F] = X66(pmaxud, "pmaxud"),
    [0x40] = X66(pmulld, "pmulld"),
    [0x41] = X66(phminposuw, "phminposuw"),
    /* MOVBE (none or 66: a 16-bit operand) and CRC32 (F2, 66 F2). */
    [0xF0] = {[P_NONE] = ROW(movbe, "movbe", O(G, v), O(M, v)),
	      [P_66] = ROW(movbe, "movbe", O(G, v), O(M, v)),
	      [P_F2] = ROW(crc32, "crc32", O(G, y), O(E, b))},
    [0xF1] = {[P_NONE] = ROW(movbe, "movbe", O(M, v), O(G, v)),
	      [P_66] = ROW(movbe, "movbe", O(M, v), O(G, v)),
	      [P_F2] = ROW(crc32, "crc32", O(G, y), O(E, v))},
};

/* XMM with 66 and an imm8. */
#define XI(body, mn, s)                                                                            \
	{                                                                                          \
		[P_66] = ROW(body, mn, O(V, x), O(W, s), O(I, b))                                  \
	}

static const struct x86_opcode sse_0f3a[256][4] = {
    [0x08] = XI(roundps, "roundps", x),
    [0x09] = XI(roundpd, "roundpd", x),
    [0x0A] = XI(roundss, "roundss", d),
    [0x0B] = XI(roundsd, "roundsd", q),
    [0x0C] = XI(blendps, "blendps", x),
    [0x0D] = XI(blendpd, "blendpd", x),
    [0x0E] = XI(pblendw, "pblendw", x),
    [0x0F] = {[P_NONE] = ROW(palignr, "palignr", O(P, q), O(Q, q), O(I, b)),
	      [P_66] = ROW(palignr, "palignr", O(V, x), O(W, x), O(I, b))},
    [0x14] = {[P_66] = ROW(pextrb, "pextrb", O(E, b), O(V, x), O(I, b))},
    [0x15] = {[P_66] = ROW(pextrw, "pextrw", O(E, w), O(V, x), O(I, b))},
    [0x16] = {[P_66] = ROW(pextrd, "pextrd", O(E, y), O(V, x), O(I, b))},
    [0x17] = {[P_66] = ROW(extractps, "extractps", O(E, d), O(V, x), O(I, b))},
    [0x20] = {[P_66] = ROW(pinsr, "pinsrb", O(V, x), O(E, b), O(I, b))},
    [0x21] = XI(insertps, "insertps", d),
    [0x22] = {[P_66] = ROW(pinsr, "pinsrd", O(V, x), O(E, y), O(I, b))},
    [0x40] = XI(dpps, "dpps", x),
    [0x41] = XI(dppd, "dppd", x),
    [0x42] = XI(mpsadbw, "mpsadbw", x),
    [0x60] = XI(pcmpestrm, "pcmpestrm", xu),
    [0x61] = XI(pcmpestri, "pcmpestri", xu),
    [0x62] = XI(pcmpistrm, "pcmpistrm", xu),
    [0x63] = XI(pcmpistri, "pcmpistri", xu),
};

const struct x86_opcode *sse_select(const struct x86_opcode *row, const struct x86_insn *in)
{
	unsigned p = in->rep == 0xF3 ? P_F3 : in->rep == 0xF2 ? P_F2 : in->p66 ? P_66 : P_NONE;
	const struct x86_opcode *r;
	switch (in->map) {
	case MAP_0F:
		r = &sse_0f[in->opcode][p];
		break;
	case MAP_0F38:
		r = &sse_0f38[in->opcode][p];
		break;
	case MAP_0F3A:
		r = &sse_0f3a[in->opcode][p];
		break;
	default:
		return row;
	}
	if (r->flags & F_GROUP)
		r = &r->group[(in->modrm >> 3) & 7];
	/* Nothing for this prefix: #UD (unless row itself has a body). */
	return r->fn ? r : row->fn == ex_ud ? NULL : row;
}
