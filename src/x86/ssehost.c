/*
 * x86/ssehost.c - the guest's SSE floating-point instructions run on the
 * host's SSE unit, one host instruction each: load the given MXCSR, run,
 * read MXCSR back, restore the host's.  This makes results, NaN choice,
 * DAZ/FTZ and every flag (DE included) those of the CPU by construction.
 * Not the exception delivery (sse_fp.c).  The only inline assembly in
 * src/x86; ember runs on x86-64 hosts only (KVM or the emulator there).
 */
#include "x86/ssehost.h"

typedef double sh_v2df __attribute__((vector_size(16)));

/* ldmxcsr; insn; stmxcsr -- in one asm statement, so nothing runs in between. */
#define SH_PRE	"ldmxcsr %[mx]\n\t"
#define SH_POST "\n\tstmxcsr %[fl]"

/* The host thread's own MXCSR, read once: ember's code never changes it,
 * and every run below puts it back. */
static __thread uint32_t sh_host;
static __thread bool sh_host_known;

static uint32_t sh_save(void)
{
	if (!sh_host_known) {
		__asm__ volatile("stmxcsr %0" : "=m"(sh_host));
		sh_host_known = true;
	}
	return sh_host;
}

static void sh_restore(uint32_t m)
{
	__asm__ volatile("ldmxcsr %0" : : "m"(m));
}

/* The imm8 forms: the host instruction needs its imm8 in the encoding,
 * so a case per value. */
#define SH_I4(X, n, b)	X(n, b) X(n, b + 1) X(n, b + 2) X(n, b + 3)
#define SH_I16(X, n, b) SH_I4(X, n, b) SH_I4(X, n, b + 4) SH_I4(X, n, b + 8) SH_I4(X, n, b + 12)
#define SH_I64(X, n, b)                                                                            \
	SH_I16(X, n, b) SH_I16(X, n, b + 16) SH_I16(X, n, b + 32) SH_I16(X, n, b + 48)
#define SH_I256(X, n) SH_I64(X, n, 0) SH_I64(X, n, 64) SH_I64(X, n, 128) SH_I64(X, n, 192)

#define SH_CASE_IMM(name, v)                                                                       \
	case v:                                                                                    \
		__asm__ volatile(SH_PRE #name " %[i], %[s], %[d]" SH_POST                          \
				 : [d] "+x"(dv), [fl] "=m"(fl)                                     \
				 : [s] "x"(sv), [mx] "m"(mxcsr), [i] "i"(v));                      \
		break;

static uint32_t sh_imm(enum ssehost_op op, sh_v2df *d, sh_v2df sv, unsigned imm, uint32_t mxcsr)
{
	sh_v2df dv = *d;
	uint32_t fl = 0;
	switch (op) {
	case SH_cmpps:
		switch (imm & 7) {
			SH_I4(SH_CASE_IMM, cmpps, 0) SH_I4(SH_CASE_IMM, cmpps, 4)
		}
		break;
	case SH_cmpss:
		switch (imm & 7) {
			SH_I4(SH_CASE_IMM, cmpss, 0) SH_I4(SH_CASE_IMM, cmpss, 4)
		}
		break;
	case SH_cmppd:
		switch (imm & 7) {
			SH_I4(SH_CASE_IMM, cmppd, 0) SH_I4(SH_CASE_IMM, cmppd, 4)
		}
		break;
	case SH_cmpsd:
		switch (imm & 7) {
			SH_I4(SH_CASE_IMM, cmpsd, 0) SH_I4(SH_CASE_IMM, cmpsd, 4)
		}
		break;
	case SH_roundps:
		switch (imm & 15) {
			SH_I16(SH_CASE_IMM, roundps, 0)
		}
		break;
	case SH_roundss:
		switch (imm & 15) {
			SH_I16(SH_CASE_IMM, roundss, 0)
		}
		break;
	case SH_roundpd:
		switch (imm & 15) {
			SH_I16(SH_CASE_IMM, roundpd, 0)
		}
		break;
	case SH_roundsd:
		switch (imm & 15) {
			SH_I16(SH_CASE_IMM, roundsd, 0)
		}
		break;
	case SH_dpps:
		switch (imm & 255) {
			SH_I256(SH_CASE_IMM, dpps)
		}
		break;
	case SH_dppd:
		/* imm8 bits 5:4 and 1:0; the others are ignored. */
		switch (imm & 0x33) {
			SH_I4(SH_CASE_IMM, dppd, 0x00)
			SH_I4(SH_CASE_IMM, dppd, 0x10)
			SH_I4(SH_CASE_IMM, dppd, 0x20)
			SH_I4(SH_CASE_IMM, dppd, 0x30)
		default:
			break;
		}
		break;
	default:
		break;
	}
	*d = dv;
	return fl;
}

uint32_t ssehost_op(enum ssehost_op op, union xmm *d, const union xmm *s, unsigned imm,
		    uint32_t mxcsr)
{
	sh_v2df dv, sv;
	uint32_t fl = 0, host = sh_save();
	memcpy(&dv, d, 16);
	memcpy(&sv, s, 16);
	switch (op) {
#define SH_CASE(name)                                                                              \
	case SH_##name:                                                                            \
		__asm__ volatile(SH_PRE #name " %[s], %[d]" SH_POST                                \
				 : [d] "+x"(dv), [fl] "=m"(fl)                                     \
				 : [s] "x"(sv), [mx] "m"(mxcsr));                                  \
		break;
		SSEHOST_OPS(SH_CASE)
#undef SH_CASE
	default:
		fl = sh_imm(op, &dv, sv, imm, mxcsr);
		break;
	}
	sh_restore(host);
	memcpy(d, &dv, 16);
	return fl & MXCSR_FLAGS;
}

uint32_t ssehost_cvtsi(bool dbl, union xmm *d, uint64_t v, unsigned size, uint32_t mxcsr)
{
	sh_v2df dv;
	uint32_t fl = 0, host = sh_save();
	uint32_t v32 = (uint32_t)v;
	memcpy(&dv, d, 16);
	if (dbl && size == 8)
		__asm__ volatile(SH_PRE "cvtsi2sdq %[v], %[d]" SH_POST
				 : [d] "+x"(dv), [fl] "=m"(fl)
				 : [v] "r"(v), [mx] "m"(mxcsr));
	else if (dbl)
		__asm__ volatile(SH_PRE "cvtsi2sdl %[v], %[d]" SH_POST
				 : [d] "+x"(dv), [fl] "=m"(fl)
				 : [v] "r"(v32), [mx] "m"(mxcsr));
	else if (size == 8)
		__asm__ volatile(SH_PRE "cvtsi2ssq %[v], %[d]" SH_POST
				 : [d] "+x"(dv), [fl] "=m"(fl)
				 : [v] "r"(v), [mx] "m"(mxcsr));
	else
		__asm__ volatile(SH_PRE "cvtsi2ssl %[v], %[d]" SH_POST
				 : [d] "+x"(dv), [fl] "=m"(fl)
				 : [v] "r"(v32), [mx] "m"(mxcsr));
	sh_restore(host);
	memcpy(d, &dv, 16);
	return fl & MXCSR_FLAGS;
}

uint32_t ssehost_cvt2si(bool dbl, bool trunc, const union xmm *s, unsigned size, uint64_t *out,
			uint32_t mxcsr)
{
	sh_v2df sv;
	uint64_t r = 0;
	uint32_t r32 = 0, fl = 0, host = sh_save();
	memcpy(&sv, s, 16);
	unsigned k = (dbl ? 4 : 0) | (trunc ? 2 : 0) | (size == 8);
	switch (k) {
#define SH_CVT(kk, text, out)                                                                      \
	case kk:                                                                                   \
		__asm__ volatile(SH_PRE text " %[s], %[r]" SH_POST                                 \
				 : [r] "=r"(out), [fl] "=m"(fl)                                    \
				 : [s] "x"(sv), [mx] "m"(mxcsr));                                  \
		break;
		SH_CVT(0, "cvtss2si", r32)
		SH_CVT(1, "cvtss2si", r)
		SH_CVT(2, "cvttss2si", r32)
		SH_CVT(3, "cvttss2si", r)
		SH_CVT(4, "cvtsd2si", r32)
		SH_CVT(5, "cvtsd2si", r)
		SH_CVT(6, "cvttsd2si", r32)
		SH_CVT(7, "cvttsd2si", r)
#undef SH_CVT
	}
	sh_restore(host);
	*out = size == 8 ? r : r32;
	return fl & MXCSR_FLAGS;
}

uint32_t ssehost_comi(bool dbl, bool unordered, const union xmm *d, const union xmm *s,
		      uint64_t *zpc, uint32_t mxcsr)
{
	sh_v2df dv, sv;
	uint8_t z = 0, p = 0, c = 0;
	uint32_t fl = 0, host = sh_save();
	memcpy(&dv, d, 16);
	memcpy(&sv, s, 16);
	switch ((dbl ? 2 : 0) | unordered) {
#define SH_COMI(kk, text)                                                                          \
	case kk:                                                                                   \
		__asm__ volatile(SH_PRE text " %[s], %[d]" SH_POST                                 \
					     "\n\tsetz %[z]\n\tsetp %[p]\n\tsetc %[c]"             \
				 : [fl] "=m"(fl), [z] "=q"(z), [p] "=q"(p), [c] "=q"(c)            \
				 : [d] "x"(dv), [s] "x"(sv), [mx] "m"(mxcsr)                       \
				 : "cc");                                                          \
		break;
		SH_COMI(0, "comiss")
		SH_COMI(1, "ucomiss")
		SH_COMI(2, "comisd")
		SH_COMI(3, "ucomisd")
#undef SH_COMI
	}
	sh_restore(host);
	*zpc = (z ? X86_FLAGS_ZF : 0) | (p ? X86_FLAGS_PF : 0) | (c ? X86_FLAGS_CF : 0);
	return fl & MXCSR_FLAGS;
}

uint32_t ssehost_cpuid1_ecx(void)
{
	uint32_t m = ~0u;
	if (!__builtin_cpu_supports("sse3"))
		m &= ~1u;
	if (!__builtin_cpu_supports("sse4.1"))
		m &= ~(1u << 19);
	return m;
}
