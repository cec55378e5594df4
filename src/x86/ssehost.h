/*
 * x86/ssehost.h - the guest's SSE floating-point instructions run on the
 * host's SSE unit (ssehost.c): the one place in src/x86 with inline
 * assembly.  Not the guest's exception rules (sse_fp.c applies its masks).
 */
#ifndef EMBER_X86_SSEHOST_H
#define EMBER_X86_SSEHOST_H

#include "x86/simd.h"

/* Two-XMM-operand instructions "op s, d" (d is read and written). */
#define SSEHOST_OPS(X)                                                                             \
	X(addps)                                                                                   \
	X(addss) X(addpd) X(addsd) X(subps) X(subss) X(subpd) X(subsd) X(mulps) X(mulss) X(mulpd)  \
	    X(mulsd) X(divps) X(divss) X(divpd) X(divsd) X(minps) X(minss) X(minpd) X(minsd)       \
		X(maxps) X(maxss) X(maxpd) X(maxsd) X(sqrtps) X(sqrtss) X(sqrtpd) X(sqrtsd)        \
		    X(rcpps) X(rcpss) X(rsqrtps) X(rsqrtss) X(cvtps2pd) X(cvtpd2ps) X(cvtss2sd)    \
			X(cvtsd2ss) X(cvtdq2ps) X(cvtps2dq) X(cvttps2dq) X(cvtdq2pd) X(cvtpd2dq)   \
			    X(cvttpd2dq) X(addsubps) X(addsubpd) X(haddps) X(haddpd) X(hsubps)     \
				X(hsubpd)

/* With an imm8: the bits the legacy-SSE form uses (others are ignored). */
#define SSEHOST_IMM_OPS(X)                                                                         \
	X(cmpps, 0x07)                                                                             \
	X(cmpss, 0x07) X(cmppd, 0x07) X(cmpsd, 0x07) X(roundps, 0x0F) X(roundss, 0x0F)             \
	    X(roundpd, 0x0F) X(roundsd, 0x0F) X(dpps, 0xFF) X(dppd, 0x33)

enum ssehost_op {
#define SSEHOST_ENUM(n)	       SH_##n,
#define SSEHOST_ENUM_IMM(n, m) SH_##n,
	SSEHOST_OPS(SSEHOST_ENUM) SSEHOST_IMM_OPS(SSEHOST_ENUM_IMM)
#undef SSEHOST_ENUM
#undef SSEHOST_ENUM_IMM
	    SH_NR
};

/*
 * Each runs one host instruction with MXCSR = mxcsr (the caller's rounding,
 * DAZ, FTZ and masks) and returns the exception flags it raised (0-0x3F);
 * the host's own MXCSR is restored.  Callers pass every exception masked.
 */
uint32_t ssehost_op(enum ssehost_op op, union xmm *d, const union xmm *s, unsigned imm,
		    uint32_t mxcsr);
/* CVTSI2SS/SD: d's low element from the signed integer v (size 4 or 8). */
uint32_t ssehost_cvtsi(bool dbl, union xmm *d, uint64_t v, unsigned size, uint32_t mxcsr);
/* CVT(T)SS2SI / CVT(T)SD2SI: s's low element to a signed integer of size 4 or 8. */
uint32_t ssehost_cvt2si(bool dbl, bool trunc, const union xmm *s, unsigned size, uint64_t *out,
			uint32_t mxcsr);
/* (U)COMISS/(U)COMISD: returns the flags; *zpc gets ZF, PF, CF as in RFLAGS. */
uint32_t ssehost_comi(bool dbl, bool unordered, const union xmm *d, const union xmm *s,
		      uint64_t *zpc, uint32_t mxcsr);

/* CPUID.1:ECX bits of the SSE generations the host runs for ssehost_op
 * (SSE3, SSE4.1): ember cannot advertise what its host lacks. */
uint32_t ssehost_cpuid1_ecx(void);

#endif
