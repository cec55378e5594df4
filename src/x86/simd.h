/*
 * x86/simd.h - what the SSE/MMX bodies (sse_*.c) share: the availability
 * checks (CR0.EM, CR4.OSFXSR -> #UD, CR0.TS -> #NM, x87 pending -> #MF),
 * XMM/MMX operands by their manual codes (V W U P Q N), 16-byte memory
 * operands with the alignment rule, MXCSR bits, and the MMX/x87 aliasing.
 * Not the FP arithmetic itself (ssehost.c) nor the x87 (the x87 bodies).
 * Follows Intel SDM vol. 1 ch. 9-12 and vol. 2 2.4 / tables 2-18..2-23.
 */
#ifndef EMBER_X86_SIMD_H
#define EMBER_X86_SIMD_H

#include "x86/cpu.h"

/* One XMM register or a 16-byte operand (MMX uses the low 8 bytes). */
union xmm {
	uint8_t b[16];
	int8_t sb[16];
	uint16_t w[8];
	int16_t sw[8];
	uint32_t d[4];
	int32_t sd[4];
	uint64_t q[2];
	int64_t sq[2];
	float f[4];
	double df[2];
};

/* MXCSR (SDM vol. 1, 10.2.3). */
#define MXCSR_IE    0x0001u
#define MXCSR_DE    0x0002u
#define MXCSR_ZE    0x0004u
#define MXCSR_OE    0x0008u
#define MXCSR_UE    0x0010u
#define MXCSR_PE    0x0020u
#define MXCSR_FLAGS 0x003Fu
#define MXCSR_DAZ   0x0040u
#define MXCSR_MASKS 0x1F80u /* IM DM ZM OM UM PM: each flag << 7 */
#define MXCSR_RC    0x6000u
#define MXCSR_FTZ   0x8000u
/* The bits LDMXCSR and FXRSTOR accept; others raise #GP(0).  FXSAVE's
 * MXCSR_MASK field reports this value. */
#define SIMD_MXCSR_MASK 0xFFFFu

/* The XMM register numbers of the ModRM fields (REX-extended); MMX ignores REX. */
static inline unsigned simd_xreg(const struct x86_insn *in)
{
	return in->reg & 15;
}
static inline unsigned simd_xrm(const struct x86_insn *in)
{
	return in->rm & 15;
}

static inline void simd_xmm_get(const struct x86_cpu *cpu, unsigned r, union xmm *v)
{
	memcpy(v, cpu->s.fpu.xmm[r], 16);
}
static inline void simd_xmm_set(struct x86_cpu *cpu, unsigned r, const union xmm *v)
{
	memcpy(cpu->s.fpu.xmm[r], v, 16);
}

/* Does the instruction work on MMX registers (P, Q or N operands)? */
static inline bool simd_is_mmx(const struct x86_insn *in)
{
	for (int k = 0; k < 3; k++) {
		unsigned m = in->op->o[k].m;
		if (m == OM_P || m == OM_Q || m == OM_N)
			return true;
	}
	return false;
}

/*
 * Before any SSE instruction touches state (SDM vol. 2 table 2-18 onwards):
 * CR0.EM or no CR4.OSFXSR -> #UD; CR0.TS -> #NM (lazy FPU switching).
 * MMX instructions (SDM vol. 2 table 2-23): CR0.EM -> #UD, CR0.TS -> #NM,
 * then a pending unmasked x87 exception (FSW.ES) -> #MF.
 */
static inline int simd_check_sse(struct x86_cpu *cpu)
{
	if ((cpu->s.cr0 & X86_CR0_EM) || !(cpu->s.cr4 & X86_CR4_OSFXSR))
		return x86_ud(cpu);
	if (cpu->s.cr0 & X86_CR0_TS)
		return x86_raise(cpu, 7, false, 0);
	return X86_OK;
}

static inline int simd_check_mmx(struct x86_cpu *cpu)
{
	if (cpu->s.cr0 & X86_CR0_EM)
		return x86_ud(cpu);
	if (cpu->s.cr0 & X86_CR0_TS)
		return x86_raise(cpu, 7, false, 0);
	if (cpu->s.fpu.fsw & 0x80)
		return x86_raise(cpu, 16, false, 0);
	return X86_OK;
}

static inline int simd_check(struct x86_cpu *cpu, const struct x86_insn *in)
{
	return simd_is_mmx(in) ? simd_check_mmx(cpu) : simd_check_sse(cpu);
}

/* sse_mem.c: operands.  simd_get reads operand n (V/W/U/P/Q/N, or a general
 * register / memory E,G of 1-8 bytes) into *v, zero-filling above its size;
 * simd_put writes the low in->size[n] bytes of *v to it (a whole XMM
 * register for V/W/U: callers merge scalar results themselves) and, for an
 * MMX instruction, enters MMX state.  Memory of 16 bytes with size OS_x
 * must be 16-byte aligned (#GP(0)); OS_xu need not be. */
int simd_get(struct x86_cpu *cpu, struct x86_insn *in, int n, union xmm *v);
int simd_put(struct x86_cpu *cpu, struct x86_insn *in, int n, const union xmm *v);
/* Memory at the ModRM address, len 1-16 bytes (aligned: 16-byte #GP rule). */
int simd_mem_read(struct x86_cpu *cpu, struct x86_insn *in, void *buf, unsigned len, bool aligned);
int simd_mem_write(struct x86_cpu *cpu, struct x86_insn *in, const void *buf, unsigned len,
		   bool aligned);
/* An MMX instruction completes: TOP = 0, every tag valid (SDM vol. 1, 9.5). */
void simd_mmx_enter(struct x86_cpu *cpu);
/* MMX register r (0-7) as the low 8 bytes of *v / written from v. */
void simd_mmx_get(struct x86_cpu *cpu, unsigned r, union xmm *v);
void simd_mmx_set(struct x86_cpu *cpu, unsigned r, uint64_t v);

/* The bodies, one family per file: sse_move.c, sse_int.c, sse_fp.c, sse_str.c. */
#define SIMD_BODIES(X)                                                                                                                                    \
	X(psrlw_i)                                                                                                                                        \
	X(psraw_i) X(psllw_i) X(psrld_i) X(psrad_i) X(pslld_i) X(psrlq_i) X(psllq_i) X(                                                                   \
	    psrldq_i) X(pslldq_i) X(ldmxcsr) X(stmxcsr) X(sse_mov) X(movss) X(movlps) X(movsldup)                                                         \
	    X(movddup) X(unpcklps) X(punpcklqdq) X(unpckhps) X(punpckhqdq) X(movhps) X(movshdup) X(                                                       \
		movhps_st) X(cvtpi2ps) X(cvtpi2pd) X(cvtsi2ss) X(cvtsi2sd) X(cvttps2pi) X(cvttpd2pi)                                                      \
		X(cvttss2si) X(cvttsd2si) X(cvtps2pi) X(cvtpd2pi) X(cvtss2si) X(cvtsd2si) X(ucomiss) X(                                                   \
		    ucomisd) X(comiss) X(comisd) X(movmskps) X(movmskpd) X(rsqrtps) X(rsqrtss) X(rcpps)                                                   \
		    X(rcpss) X(cvtps2pd) X(cvtpd2ps) X(cvtss2sd) X(cvtsd2ss) X(cvtdq2ps) X(cvtps2dq) X(cvttps2dq) X(pshufw) X(pshufd) X(pshufhw) X(       \
			pshuflw) X(haddpd) X(haddps) X(hsubpd) X(hsubps) X(cmpps) X(cmppd)                                                                \
			X(cmpss) X(cmpsd) X(pinsr) X(pextrw) X(shufps) X(                                                                                 \
			    shufpd) X(addsubpd) X(addsubps) X(movq2dq) X(pmovmskb) X(cvttpd2dq) X(cvtdq2pd) X(cvtpd2dq) X(maskmov)                        \
			    X(palignr) X(pextrb) X(pextrd) X(                                                                                             \
				extractps) X(punpcklbw) X(punpcklwd) X(punpckldq) X(packsswb)                                                             \
				X(pcmpgtb) X(pcmpgtw) X(pcmpgtd) X(packuswb) X(punpckhbw) X(punpckhwd) X(punpckhdq) X(packssdw) X(                        \
				    pcmpeqb) X(pcmpeqw) X(pcmpeqd) X(psrlw) X(psrld) X(psrlq)                                                             \
				    X(paddq) X(pmullw) X(psubusb) X(psubusw) X(pminub) X(pand) X(paddusb) X(                                              \
					paddusw) X(pmaxub) X(pandn) X(pavgb) X(psraw)                                                                     \
					X(psrad) X(pavgw) X(pmulhuw) X(pmulhw) X(psubsb) X(psubsw) X(pminsw) X(                                           \
					    por) X(paddsb) X(paddsw) X(pmaxsw) X(pxor) X(psllw) X(pslld) X(psllq) X(pmuludq)                              \
					    X(pmaddwd) X(psadbw) X(psubb) X(psubw) X(                                                                     \
						psubd) X(psubq) X(paddb) X(paddw)                                                                         \
						X(paddd) X(pshufb) X(phaddw) X(phaddd) X(phaddsw) X(pmaddubsw) X(phsubw) X(                               \
						    phsubd) X(phsubsw) X(psignb) X(psignw) X(psignd) X(pmulhrsw)                                          \
						    X(pabsb) X(pabsw) X(pabsd) X(pblendvb) X(blendvps) X(blendvpd) X(                                     \
							ptest) X(pmuldq) X(pcmpeqq) X(packusdw)                                                           \
							X(pcmpgtq) X(pminsb) X(pminsd) X(pminuw) X(pminud) X(pmaxsb) X(                                   \
							    pmaxsd) X(pmaxuw) X(pmaxud)                                                                   \
							    X(pmulld) X(                                                                                  \
								phminposuw) X(roundps) X(roundpd) X(roundss)                                              \
								X(roundsd) X(blendps) X(blendpd) X(                                                       \
								    pblendw) X(insertps) X(dpps) X(dppd)                                                  \
								    X(mpsadbw) X(pmovsxbw) X(pmovsxbd) X(pmovsxbq) X(pmovsxwd) X(pmovsxwq) X(pmovsxdq) X( \
									pmovzxbw) X(pmovzxbd)                                                             \
									X(                                                                                \
									    pmovzxbq) X(pmovzxwd)                                                         \
									    X(                                                                            \
										pmovzxwq) X(pmovzxdq)                                                     \
										X(pcmpestrm) X(pcmpestri) X(                                              \
										    pcmpistrm) X(pcmpistri) X(crc32)                                      \
										    X(movbe) X(sqrtps) X(sqrtpd) X(                                       \
											sqrtss) X(sqrtsd) X(addps)                                        \
											X(addpd) X(addss) X(addsd) X(                                     \
											    mulps) X(mulpd) X(mulss)                                      \
											    X(mulsd) X(subps) X(                                          \
												subpd) X(subss) X(subsd)                                  \
												X(minps) X(minpd) X(                                      \
												    minss) X(minsd)                                       \
												    X(divps) X(divpd) X(                                  \
													divss) X(divsd)                                   \
													X(maxps) X(                                       \
													    maxpd)                                        \
													    X(maxss) X(                                   \
														maxsd)                                    \
														X(emms)
#define SIMD_DECLARE_BODY(n) int ex_##n(struct x86_cpu *cpu, struct x86_insn *in);
SIMD_BODIES(SIMD_DECLARE_BODY)
#undef SIMD_DECLARE_BODY

/* The prefix-selected row for an F_SSE row of the 0F, 0F 38 and 0F 3A maps;
 * NULL (#UD) when that prefix defines nothing there and row is only a
 * placeholder (ex_ud) (sse_tables.c). */
const struct x86_opcode *sse_select(const struct x86_opcode *row, const struct x86_insn *in);

#endif
