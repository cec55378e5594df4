/*
 * tools/difftest/gen_sse.c - the SSE/MMX difftest classes, one per generation:
 * "mmx" (the MMX integer set and its moves), "sse" (single precision, the
 * MMX-register additions), "sse2" (double precision, 128-bit integers),
 * "sse3", "ssse3", "sse41", "sse42" (with CRC32 and MOVBE).  Each form runs
 * on a random x87/SSE state and MXCSR (genfp.h) with its operands drawn for
 * its element type: edge floats (zeros, denormals, infinities, NaNs with
 * payloads, rounding and conversion boundaries) or edge integers.  The moves
 * and LDMXCSR/STMXCSR are the "ssemov" class (gen_ssemov.c).
 * Encodings: Intel SDM vol. 2 appendix A and each instruction's page.
 */
#include <string.h>

#include "genfp.h"

const struct form sse_forms[] = {
    {"movlps x,m64", {0x0F, 0x12}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"movlps m64,x", {0x0F, 0x13}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_MEM, 8, 0},
    {"movhps x,m64", {0x0F, 0x16}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"movhps m64,x", {0x0F, 0x17}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_MEM, 8, 0},
    {"unpcklps", {0x0F, 0x14}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0},
    {"unpckhps", {0x0F, 0x15}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0},
    {"movntps m,x", {0x0F, 0x2B}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN | F_MEM, 16, 0},
    {"cvtpi2ps x,mm", {0x0F, 0x2A}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"cvttps2pi mm,x", {0x0F, 0x2C}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"cvtps2pi mm,x", {0x0F, 0x2D}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"cvtsi2ss x,rm", {0x0F, 0x2A}, 2, O_RM, -1, S32 | S64, I_NONE, U_NONE, 0, 0, 0xF3},
    {"cvttss2si r,xm", {0x0F, 0x2C}, 2, O_RM, -1, S32 | S64, I_NONE, U_NONE, 0, 4, 0xF3},
    {"cvtss2si r,xm", {0x0F, 0x2D}, 2, O_RM, -1, S32 | S64, I_NONE, U_NONE, 0, 4, 0xF3},
    {"ucomiss", {0x0F, 0x2E}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 4, 0},
    {"comiss", {0x0F, 0x2F}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 4, 0},
    {"movmskps r,x", {0x0F, 0x50}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_REG, 0, 0},
    {"sqrtps", {0x0F, 0x51}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0},
    {"sqrtss", {0x0F, 0x51}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 4, 0xF3},
    {"addps", {0x0F, 0x58}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0},
    {"addss", {0x0F, 0x58}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 4, 0xF3},
    {"mulps", {0x0F, 0x59}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0},
    {"mulss", {0x0F, 0x59}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 4, 0xF3},
    {"subps", {0x0F, 0x5C}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0},
    {"subss", {0x0F, 0x5C}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 4, 0xF3},
    {"minps", {0x0F, 0x5D}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0},
    {"minss", {0x0F, 0x5D}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 4, 0xF3},
    {"divps", {0x0F, 0x5E}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0},
    {"divss", {0x0F, 0x5E}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 4, 0xF3},
    {"maxps", {0x0F, 0x5F}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0},
    {"maxss", {0x0F, 0x5F}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 4, 0xF3},
    {"rsqrtps", {0x0F, 0x52}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0},
    {"rsqrtss", {0x0F, 0x52}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 4, 0xF3},
    {"rcpps", {0x0F, 0x53}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0},
    {"rcpss", {0x0F, 0x53}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 4, 0xF3},
    {"andps", {0x0F, 0x54}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0},
    {"andnps", {0x0F, 0x55}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0},
    {"orps", {0x0F, 0x56}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0},
    {"cmpps", {0x0F, 0xC2}, 2, O_RM, -1, S32, I_8, U_NONE, F_ALIGN, 16, 0},
    {"cmpss", {0x0F, 0xC2}, 2, O_RM, -1, S32, I_8, U_NONE, 0, 4, 0xF3},
    {"shufps", {0x0F, 0xC6}, 2, O_RM, -1, S32, I_8, U_NONE, F_ALIGN, 16, 0},
    {"pshufw mm", {0x0F, 0x70}, 2, O_RM, -1, S32, I_8, U_NONE, 0, 8, 0},
    {"pinsrw mm,rm", {0x0F, 0xC4}, 2, O_RM, -1, S32, I_8, U_NONE, 0, 2, 0},
    {"pextrw r,mm", {0x0F, 0xC5}, 2, O_RM, -1, S32, I_8, U_NONE, F_REG, 0, 0},
    {"pmovmskb r,mm", {0x0F, 0xD7}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_REG, 0, 0},
    {"movntq m,mm", {0x0F, 0xE7}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_MEM, 8, 0},
    {"pminub mm", {0x0F, 0xDA}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pmaxub mm", {0x0F, 0xDE}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pavgb mm", {0x0F, 0xE0}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pavgw mm", {0x0F, 0xE3}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pmulhuw mm", {0x0F, 0xE4}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pminsw mm", {0x0F, 0xEA}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pmaxsw mm", {0x0F, 0xEE}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"psadbw mm", {0x0F, 0xF6}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
};
const unsigned sse_nr = ARRAY_SIZE(sse_forms);

const struct form sse2_forms[] = {
    {"movlpd x,m64", {0x0F, 0x12}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_MEM, 8, 0x66},
    {"movlpd m64,x", {0x0F, 0x13}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_MEM, 8, 0x66},
    {"movhpd x,m64", {0x0F, 0x16}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_MEM, 8, 0x66},
    {"movhpd m64,x", {0x0F, 0x17}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_MEM, 8, 0x66},
    {"unpcklpd", {0x0F, 0x14}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"unpckhpd", {0x0F, 0x15}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"movntpd m,x", {0x0F, 0x2B}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN | F_MEM, 16, 0x66},
    {"cvtpi2pd x,mm", {0x0F, 0x2A}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0x66},
    {"cvttpd2pi mm,x", {0x0F, 0x2C}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"cvtpd2pi mm,x", {0x0F, 0x2D}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"cvtsi2sd x,rm", {0x0F, 0x2A}, 2, O_RM, -1, S32 | S64, I_NONE, U_NONE, 0, 0, 0xF2},
    {"cvttsd2si r,xm", {0x0F, 0x2C}, 2, O_RM, -1, S32 | S64, I_NONE, U_NONE, 0, 8, 0xF2},
    {"cvtsd2si r,xm", {0x0F, 0x2D}, 2, O_RM, -1, S32 | S64, I_NONE, U_NONE, 0, 8, 0xF2},
    {"ucomisd", {0x0F, 0x2E}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0x66},
    {"comisd", {0x0F, 0x2F}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0x66},
    {"movmskpd r,x", {0x0F, 0x50}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_REG, 0, 0x66},
    {"sqrtpd", {0x0F, 0x51}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"sqrtsd", {0x0F, 0x51}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0xF2},
    {"addpd", {0x0F, 0x58}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"addsd", {0x0F, 0x58}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0xF2},
    {"mulpd", {0x0F, 0x59}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"mulsd", {0x0F, 0x59}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0xF2},
    {"subpd", {0x0F, 0x5C}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"subsd", {0x0F, 0x5C}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0xF2},
    {"minpd", {0x0F, 0x5D}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"minsd", {0x0F, 0x5D}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0xF2},
    {"divpd", {0x0F, 0x5E}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"divsd", {0x0F, 0x5E}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0xF2},
    {"maxpd", {0x0F, 0x5F}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"maxsd", {0x0F, 0x5F}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0xF2},
    {"andpd", {0x0F, 0x54}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"andnpd", {0x0F, 0x55}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"orpd", {0x0F, 0x56}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"xorpd", {0x0F, 0x57}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"cvtps2pd", {0x0F, 0x5A}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"cvtpd2ps", {0x0F, 0x5A}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"cvtss2sd", {0x0F, 0x5A}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 4, 0xF3},
    {"cvtsd2ss", {0x0F, 0x5A}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0xF2},
    {"cvtdq2ps", {0x0F, 0x5B}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0},
    {"cvtps2dq", {0x0F, 0x5B}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"cvttps2dq", {0x0F, 0x5B}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0xF3},
    {"cvttpd2dq", {0x0F, 0xE6}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"cvtdq2pd", {0x0F, 0xE6}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0xF3},
    {"cvtpd2dq", {0x0F, 0xE6}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0xF2},
    {"cmppd", {0x0F, 0xC2}, 2, O_RM, -1, S32, I_8, U_NONE, F_ALIGN, 16, 0x66},
    {"cmpsd", {0x0F, 0xC2}, 2, O_RM, -1, S32, I_8, U_NONE, 0, 8, 0xF2},
    {"shufpd", {0x0F, 0xC6}, 2, O_RM, -1, S32, I_8, U_NONE, F_ALIGN, 16, 0x66},
    {"pshufd", {0x0F, 0x70}, 2, O_RM, -1, S32, I_8, U_NONE, F_ALIGN, 16, 0x66},
    {"pshufhw", {0x0F, 0x70}, 2, O_RM, -1, S32, I_8, U_NONE, F_ALIGN, 16, 0xF3},
    {"pshuflw", {0x0F, 0x70}, 2, O_RM, -1, S32, I_8, U_NONE, F_ALIGN, 16, 0xF2},
    {"pinsrw x,rm", {0x0F, 0xC4}, 2, O_RM, -1, S32, I_8, U_NONE, 0, 2, 0x66},
    {"pextrw r,x", {0x0F, 0xC5}, 2, O_RM, -1, S32, I_8, U_NONE, F_REG, 0, 0x66},
    {"pmovmskb r,x", {0x0F, 0xD7}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_REG, 0, 0x66},
    {"movntdq m,x", {0x0F, 0xE7}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN | F_MEM, 16, 0x66},
    {"movnti m,r", {0x0F, 0xC3}, 2, O_RM, -1, S32 | S64, I_NONE, U_NONE, F_MEM, 0, 0},
    {"movq2dq x,mm", {0x0F, 0xD6}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_REG, 0, 0xF3},
    {"movdq2q mm,x", {0x0F, 0xD6}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_REG, 0, 0xF2},
    {"punpcklqdq", {0x0F, 0x6C}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"punpckhqdq", {0x0F, 0x6D}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"punpcklbw", {0x0F, 0x60}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"punpcklwd", {0x0F, 0x61}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"punpckldq", {0x0F, 0x62}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"packsswb", {0x0F, 0x63}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pcmpgtb", {0x0F, 0x64}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pcmpgtw", {0x0F, 0x65}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pcmpgtd", {0x0F, 0x66}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"packuswb", {0x0F, 0x67}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"punpckhbw", {0x0F, 0x68}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"punpckhwd", {0x0F, 0x69}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"punpckhdq", {0x0F, 0x6A}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"packssdw", {0x0F, 0x6B}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pcmpeqb", {0x0F, 0x74}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pcmpeqw", {0x0F, 0x75}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pcmpeqd", {0x0F, 0x76}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"psrlw", {0x0F, 0xD1}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"psrld", {0x0F, 0xD2}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"psrlq", {0x0F, 0xD3}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"paddq", {0x0F, 0xD4}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pmullw", {0x0F, 0xD5}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"psubusb", {0x0F, 0xD8}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"psubusw", {0x0F, 0xD9}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pminub", {0x0F, 0xDA}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pand", {0x0F, 0xDB}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"paddusb", {0x0F, 0xDC}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"paddusw", {0x0F, 0xDD}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pmaxub", {0x0F, 0xDE}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pandn", {0x0F, 0xDF}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pavgb", {0x0F, 0xE0}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"psraw", {0x0F, 0xE1}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"psrad", {0x0F, 0xE2}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pavgw", {0x0F, 0xE3}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pmulhuw", {0x0F, 0xE4}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pmulhw", {0x0F, 0xE5}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"psubsb", {0x0F, 0xE8}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"psubsw", {0x0F, 0xE9}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pminsw", {0x0F, 0xEA}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"por", {0x0F, 0xEB}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"paddsb", {0x0F, 0xEC}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"paddsw", {0x0F, 0xED}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pmaxsw", {0x0F, 0xEE}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"psllw", {0x0F, 0xF1}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pslld", {0x0F, 0xF2}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"psllq", {0x0F, 0xF3}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pmuludq", {0x0F, 0xF4}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pmaddwd", {0x0F, 0xF5}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"psadbw", {0x0F, 0xF6}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"psubb", {0x0F, 0xF8}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"psubw", {0x0F, 0xF9}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"psubd", {0x0F, 0xFA}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"psubq", {0x0F, 0xFB}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"paddb", {0x0F, 0xFC}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"paddw", {0x0F, 0xFD}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"paddd", {0x0F, 0xFE}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"psrlw x,imm", {0x0F, 0x71}, 2, O_RM, 2, S32, I_8, U_NONE, F_REG, 0, 0x66},
    {"psraw x,imm", {0x0F, 0x71}, 2, O_RM, 4, S32, I_8, U_NONE, F_REG, 0, 0x66},
    {"psllw x,imm", {0x0F, 0x71}, 2, O_RM, 6, S32, I_8, U_NONE, F_REG, 0, 0x66},
    {"psrld x,imm", {0x0F, 0x72}, 2, O_RM, 2, S32, I_8, U_NONE, F_REG, 0, 0x66},
    {"psrad x,imm", {0x0F, 0x72}, 2, O_RM, 4, S32, I_8, U_NONE, F_REG, 0, 0x66},
    {"pslld x,imm", {0x0F, 0x72}, 2, O_RM, 6, S32, I_8, U_NONE, F_REG, 0, 0x66},
    {"psrlq x,imm", {0x0F, 0x73}, 2, O_RM, 2, S32, I_8, U_NONE, F_REG, 0, 0x66},
    {"psrldq x,imm", {0x0F, 0x73}, 2, O_RM, 3, S32, I_8, U_NONE, F_REG, 0, 0x66},
    {"psllq x,imm", {0x0F, 0x73}, 2, O_RM, 6, S32, I_8, U_NONE, F_REG, 0, 0x66},
    {"pslldq x,imm", {0x0F, 0x73}, 2, O_RM, 7, S32, I_8, U_NONE, F_REG, 0, 0x66},
};
const unsigned sse2_nr = ARRAY_SIZE(sse2_forms);

const struct form mmx_forms[] = {
    {"movd mm,rm", {0x0F, 0x6E}, 2, O_RM, -1, S32 | S64, I_NONE, U_NONE, 0, 0, 0},
    {"movd rm,mm", {0x0F, 0x7E}, 2, O_RM, -1, S32 | S64, I_NONE, U_NONE, 0, 0, 0},
    {"movq mm,mm/m64", {0x0F, 0x6F}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"movq mm/m64,mm", {0x0F, 0x7F}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"punpcklbw mm", {0x0F, 0x60}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 4, 0},
    {"punpcklwd mm", {0x0F, 0x61}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 4, 0},
    {"punpckldq mm", {0x0F, 0x62}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 4, 0},
    {"packsswb mm", {0x0F, 0x63}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pcmpgtb mm", {0x0F, 0x64}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pcmpgtw mm", {0x0F, 0x65}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pcmpgtd mm", {0x0F, 0x66}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"packuswb mm", {0x0F, 0x67}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"punpckhbw mm", {0x0F, 0x68}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"punpckhwd mm", {0x0F, 0x69}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"punpckhdq mm", {0x0F, 0x6A}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"packssdw mm", {0x0F, 0x6B}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pcmpeqb mm", {0x0F, 0x74}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pcmpeqw mm", {0x0F, 0x75}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pcmpeqd mm", {0x0F, 0x76}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"psrlw mm", {0x0F, 0xD1}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"psrld mm", {0x0F, 0xD2}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"psrlq mm", {0x0F, 0xD3}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"paddq mm", {0x0F, 0xD4}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pmullw mm", {0x0F, 0xD5}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"psubusb mm", {0x0F, 0xD8}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"psubusw mm", {0x0F, 0xD9}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pminub mm", {0x0F, 0xDA}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pand mm", {0x0F, 0xDB}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"paddusb mm", {0x0F, 0xDC}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"paddusw mm", {0x0F, 0xDD}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pmaxub mm", {0x0F, 0xDE}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pandn mm", {0x0F, 0xDF}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pavgb mm", {0x0F, 0xE0}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"psraw mm", {0x0F, 0xE1}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"psrad mm", {0x0F, 0xE2}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pavgw mm", {0x0F, 0xE3}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pmulhuw mm", {0x0F, 0xE4}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pmulhw mm", {0x0F, 0xE5}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"psubsb mm", {0x0F, 0xE8}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"psubsw mm", {0x0F, 0xE9}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pminsw mm", {0x0F, 0xEA}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"por mm", {0x0F, 0xEB}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"paddsb mm", {0x0F, 0xEC}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"paddsw mm", {0x0F, 0xED}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pmaxsw mm", {0x0F, 0xEE}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"psllw mm", {0x0F, 0xF1}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pslld mm", {0x0F, 0xF2}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"psllq mm", {0x0F, 0xF3}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pmuludq mm", {0x0F, 0xF4}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pmaddwd mm", {0x0F, 0xF5}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"psadbw mm", {0x0F, 0xF6}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"psubb mm", {0x0F, 0xF8}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"psubw mm", {0x0F, 0xF9}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"psubd mm", {0x0F, 0xFA}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"psubq mm", {0x0F, 0xFB}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"paddb mm", {0x0F, 0xFC}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"paddw mm", {0x0F, 0xFD}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"paddd mm", {0x0F, 0xFE}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"psrlw mm,imm", {0x0F, 0x71}, 2, O_RM, 2, S32, I_8, U_NONE, F_REG, 0, 0},
    {"psraw mm,imm", {0x0F, 0x71}, 2, O_RM, 4, S32, I_8, U_NONE, F_REG, 0, 0},
    {"psllw mm,imm", {0x0F, 0x71}, 2, O_RM, 6, S32, I_8, U_NONE, F_REG, 0, 0},
    {"psrld mm,imm", {0x0F, 0x72}, 2, O_RM, 2, S32, I_8, U_NONE, F_REG, 0, 0},
    {"psrad mm,imm", {0x0F, 0x72}, 2, O_RM, 4, S32, I_8, U_NONE, F_REG, 0, 0},
    {"pslld mm,imm", {0x0F, 0x72}, 2, O_RM, 6, S32, I_8, U_NONE, F_REG, 0, 0},
    {"psrlq mm,imm", {0x0F, 0x73}, 2, O_RM, 2, S32, I_8, U_NONE, F_REG, 0, 0},
    {"psllq mm,imm", {0x0F, 0x73}, 2, O_RM, 6, S32, I_8, U_NONE, F_REG, 0, 0},
};
const unsigned mmx_nr = ARRAY_SIZE(mmx_forms);

const struct form sse3_forms[] = {
    {"addsubpd", {0x0F, 0xD0}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"addsubps", {0x0F, 0xD0}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0xF2},
    {"haddpd", {0x0F, 0x7C}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"haddps", {0x0F, 0x7C}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0xF2},
    {"hsubpd", {0x0F, 0x7D}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"hsubps", {0x0F, 0x7D}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0xF2},
    {"lddqu x,m", {0x0F, 0xF0}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_MEM, 16, 0xF2},
    {"movddup", {0x0F, 0x12}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0xF2},
    {"movsldup", {0x0F, 0x12}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0xF3},
    {"movshdup", {0x0F, 0x16}, 2, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0xF3},
};
const unsigned sse3_nr = ARRAY_SIZE(sse3_forms);

const struct form ssse3_forms[] = {
    {"pshufb mm", {0x0F, 0x38, 0x00}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pshufb", {0x0F, 0x38, 0x00}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"phaddw mm", {0x0F, 0x38, 0x01}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"phaddw", {0x0F, 0x38, 0x01}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"phaddd mm", {0x0F, 0x38, 0x02}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"phaddd", {0x0F, 0x38, 0x02}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"phaddsw mm", {0x0F, 0x38, 0x03}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"phaddsw", {0x0F, 0x38, 0x03}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pmaddubsw mm", {0x0F, 0x38, 0x04}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pmaddubsw", {0x0F, 0x38, 0x04}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"phsubw mm", {0x0F, 0x38, 0x05}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"phsubw", {0x0F, 0x38, 0x05}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"phsubd mm", {0x0F, 0x38, 0x06}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"phsubd", {0x0F, 0x38, 0x06}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"phsubsw mm", {0x0F, 0x38, 0x07}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"phsubsw", {0x0F, 0x38, 0x07}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"psignb mm", {0x0F, 0x38, 0x08}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"psignb", {0x0F, 0x38, 0x08}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"psignw mm", {0x0F, 0x38, 0x09}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"psignw", {0x0F, 0x38, 0x09}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"psignd mm", {0x0F, 0x38, 0x0A}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"psignd", {0x0F, 0x38, 0x0A}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pmulhrsw mm", {0x0F, 0x38, 0x0B}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pmulhrsw", {0x0F, 0x38, 0x0B}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pabsb mm", {0x0F, 0x38, 0x1C}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pabsb", {0x0F, 0x38, 0x1C}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pabsw mm", {0x0F, 0x38, 0x1D}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pabsw", {0x0F, 0x38, 0x1D}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pabsd mm", {0x0F, 0x38, 0x1E}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0},
    {"pabsd", {0x0F, 0x38, 0x1E}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"palignr mm", {0x0F, 0x3A, 0x0F}, 3, O_RM, -1, S32, I_8, U_NONE, 0, 8, 0},
    {"palignr", {0x0F, 0x3A, 0x0F}, 3, O_RM, -1, S32, I_8, U_NONE, F_ALIGN, 16, 0x66},
};
const unsigned ssse3_nr = ARRAY_SIZE(ssse3_forms);

const struct form sse41_forms[] = {
    {"pblendvb", {0x0F, 0x38, 0x10}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"blendvps", {0x0F, 0x38, 0x14}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"blendvpd", {0x0F, 0x38, 0x15}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"ptest", {0x0F, 0x38, 0x17}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pmovsxbw", {0x0F, 0x38, 0x20}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0x66},
    {"pmovsxbd", {0x0F, 0x38, 0x21}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 4, 0x66},
    {"pmovsxbq", {0x0F, 0x38, 0x22}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 2, 0x66},
    {"pmovsxwd", {0x0F, 0x38, 0x23}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0x66},
    {"pmovsxwq", {0x0F, 0x38, 0x24}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 4, 0x66},
    {"pmovsxdq", {0x0F, 0x38, 0x25}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0x66},
    {"pmovzxbw", {0x0F, 0x38, 0x30}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0x66},
    {"pmovzxbd", {0x0F, 0x38, 0x31}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 4, 0x66},
    {"pmovzxbq", {0x0F, 0x38, 0x32}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 2, 0x66},
    {"pmovzxwd", {0x0F, 0x38, 0x33}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0x66},
    {"pmovzxwq", {0x0F, 0x38, 0x34}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 4, 0x66},
    {"pmovzxdq", {0x0F, 0x38, 0x35}, 3, O_RM, -1, S32, I_NONE, U_NONE, 0, 8, 0x66},
    {"pmuldq", {0x0F, 0x38, 0x28}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pcmpeqq", {0x0F, 0x38, 0x29}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"packusdw", {0x0F, 0x38, 0x2B}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pminsb", {0x0F, 0x38, 0x38}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pminsd", {0x0F, 0x38, 0x39}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pminuw", {0x0F, 0x38, 0x3A}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pminud", {0x0F, 0x38, 0x3B}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pmaxsb", {0x0F, 0x38, 0x3C}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pmaxsd", {0x0F, 0x38, 0x3D}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pmaxuw", {0x0F, 0x38, 0x3E}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pmaxud", {0x0F, 0x38, 0x3F}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pmulld", {0x0F, 0x38, 0x40}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"phminposuw", {0x0F, 0x38, 0x41}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"movntdqa x,m",
     {0x0F, 0x38, 0x2A},
     3,
     O_RM,
     -1,
     S32,
     I_NONE,
     U_NONE,
     F_ALIGN | F_MEM,
     16,
     0x66},
    {"roundps", {0x0F, 0x3A, 0x08}, 3, O_RM, -1, S32, I_8, U_NONE, F_ALIGN, 16, 0x66},
    {"roundpd", {0x0F, 0x3A, 0x09}, 3, O_RM, -1, S32, I_8, U_NONE, F_ALIGN, 16, 0x66},
    {"roundss", {0x0F, 0x3A, 0x0A}, 3, O_RM, -1, S32, I_8, U_NONE, 0, 4, 0x66},
    {"roundsd", {0x0F, 0x3A, 0x0B}, 3, O_RM, -1, S32, I_8, U_NONE, 0, 8, 0x66},
    {"blendps", {0x0F, 0x3A, 0x0C}, 3, O_RM, -1, S32, I_8, U_NONE, F_ALIGN, 16, 0x66},
    {"blendpd", {0x0F, 0x3A, 0x0D}, 3, O_RM, -1, S32, I_8, U_NONE, F_ALIGN, 16, 0x66},
    {"pblendw", {0x0F, 0x3A, 0x0E}, 3, O_RM, -1, S32, I_8, U_NONE, F_ALIGN, 16, 0x66},
    {"pextrb rm,x", {0x0F, 0x3A, 0x14}, 3, O_RM, -1, S32, I_8, U_NONE, 0, 1, 0x66},
    {"pextrw rm,x", {0x0F, 0x3A, 0x15}, 3, O_RM, -1, S32, I_8, U_NONE, 0, 2, 0x66},
    {"pextrd rm,x", {0x0F, 0x3A, 0x16}, 3, O_RM, -1, S32 | S64, I_8, U_NONE, 0, 0, 0x66},
    {"extractps rm,x", {0x0F, 0x3A, 0x17}, 3, O_RM, -1, S32, I_8, U_NONE, 0, 4, 0x66},
    {"pinsrb x,rm", {0x0F, 0x3A, 0x20}, 3, O_RM, -1, S32, I_8, U_NONE, 0, 1, 0x66},
    {"insertps", {0x0F, 0x3A, 0x21}, 3, O_RM, -1, S32, I_8, U_NONE, 0, 4, 0x66},
    {"pinsrd x,rm", {0x0F, 0x3A, 0x22}, 3, O_RM, -1, S32 | S64, I_8, U_NONE, 0, 0, 0x66},
    {"dpps", {0x0F, 0x3A, 0x40}, 3, O_RM, -1, S32, I_8, U_NONE, F_ALIGN, 16, 0x66},
    {"dppd", {0x0F, 0x3A, 0x41}, 3, O_RM, -1, S32, I_8, U_NONE, F_ALIGN, 16, 0x66},
    {"mpsadbw", {0x0F, 0x3A, 0x42}, 3, O_RM, -1, S32, I_8, U_NONE, F_ALIGN, 16, 0x66},
};
const unsigned sse41_nr = ARRAY_SIZE(sse41_forms);

const struct form sse42_forms[] = {
    {"pcmpgtq", {0x0F, 0x38, 0x37}, 3, O_RM, -1, S32, I_NONE, U_NONE, F_ALIGN, 16, 0x66},
    {"pcmpestrm", {0x0F, 0x3A, 0x60}, 3, O_RM, -1, S32, I_8, U_NONE, 0, 16, 0x66},
    {"pcmpestri", {0x0F, 0x3A, 0x61}, 3, O_RM, -1, S32, I_8, U_NONE, 0, 16, 0x66},
    {"pcmpistrm", {0x0F, 0x3A, 0x62}, 3, O_RM, -1, S32, I_8, U_NONE, 0, 16, 0x66},
    {"pcmpistri", {0x0F, 0x3A, 0x63}, 3, O_RM, -1, S32, I_8, U_NONE, 0, 16, 0x66},
    {"crc32 r,rm8", {0x0F, 0x38, 0xF0}, 3, O_RM, -1, S32 | S64, I_NONE, U_NONE, 0, 1, 0xF2},
    {"crc32 r,rm", {0x0F, 0x38, 0xF1}, 3, O_RM, -1, S16 | S32 | S64, I_NONE, U_NONE, 0, 0, 0xF2},
    {"movbe r,m", {0x0F, 0x38, 0xF0}, 3, O_RM, -1, SV, I_NONE, U_NONE, F_MEM, 0, 0},
    {"movbe m,r", {0x0F, 0x38, 0xF1}, 3, O_RM, -1, SV, I_NONE, U_NONE, F_MEM, 0, 0},
};
const unsigned sse42_nr = ARRAY_SIZE(sse42_forms);

/* The element type a form works on, from its name. */
static enum genfp_lanes sse_lanes(const char *name)
{
	size_t n = strcspn(name, " ");
	if (n >= 2 && (!strncmp(name + n - 2, "ps", 2) || !strncmp(name + n - 2, "ss", 2)))
		return GENFP_PS;
	if (n >= 2 && (!strncmp(name + n - 2, "pd", 2) || !strncmp(name + n - 2, "sd", 2)))
		return GENFP_PD;
	if (name[0] == 'p' && n >= 2) {
		char e = name[n - 1];
		if (e == 'b')
			return GENFP_B;
		if (e == 'w')
			return GENFP_W;
		if (e == 'd')
			return GENFP_D;
		if (e == 'q')
			return GENFP_Q;
	}
	return GENFP_ANY;
}

/* Strings for PCMPxSTRx: a small alphabet so that elements match, zeros
 * (implicit lengths) at random places. */
static void sse_string(struct gen *g, uint8_t v[16])
{
	static const uint8_t abc[] = {0, 'a', 'b', 'c', 'z', 0x80, 0xFF};
	for (int i = 0; i < 16; i++)
		v[i] = gen_one_in(g, 3) ? (uint8_t)gen_rnd(g) : abc[gen_below(g, sizeof(abc))];
}

void hook_simd(struct gen *g)
{
	const char *name = g->f->name;
	struct dt_fx *fx = &g->c->fx;
	enum genfp_lanes k = sse_lanes(name);
	bool str = !strncmp(name, "pcmp", 4) && strstr(name, "str");
	bool mmx = strstr(name, "mm") != NULL;
	uint8_t v[16];

	/* The registers the form names get values of its type. */
	if (g->reg >= 0 && !mmx) {
		if (str)
			sse_string(g, fx->xmm[g->reg & 15]);
		else
			genfp_xmm(g, fx->xmm[g->reg & 15], k);
	}
	if (g->rm_reg >= 0 && !mmx) {
		if (str)
			sse_string(g, fx->xmm[g->rm_reg & 15]);
		else
			genfp_xmm(g, fx->xmm[g->rm_reg & 15], k);
	}
	if (mmx) /* MMX registers are the x87 mantissas */
		for (int i = 0; i < 8; i++) {
			genfp_xmm(g, v, k == GENFP_ANY ? GENFP_ANY : k);
			memcpy(fx->st[i], v, 8);
		}
	/* Integer sources of CVTSI2SS/SD: conversion edges. */
	if (strstr(name, "cvtsi2") && g->rm_reg >= 0)
		gen_set_reg(g, g->rm_reg, genfp_int(g, 8));
	if (str) { /* explicit lengths: small, sometimes negative or large */
		gen_set_reg(g, 0, (uint64_t)(int64_t)((int)gen_below(g, 40) - 20));
		gen_set_reg(g, 2, gen_one_in(g, 8) ? gen_rnd(g) : gen_below(g, 20));
	}
	if (g->has_mem && g->f->msize) {
		if (str)
			sse_string(g, v);
		else if (strstr(name, "cvtsi2"))
			memcpy(v, &(uint64_t){genfp_int(g, 8)}, 8);
		else
			genfp_xmm(g, v, k);
		gen_seed_mem(g, g->mem, v, g->f->msize);
	} else if (g->has_mem) { /* a general register's size */
		uint64_t x = gen_value(g);
		gen_seed_mem(g, g->mem, &x, 8);
	}
	/* Sometimes every exception unmasked, or one at a time: #XM paths. */
	if (gen_one_in(g, 8))
		fx->mxcsr &= ~(gen_one_in(g, 2) ? 0x1F80u : 0x80u << gen_below(g, 6));
}
