/*
 * x86/fpu.h - emulator-internal helpers shared by the x87 bodies (x87.c) and
 * the state instructions (fpustate.c): register numbering, the tag word,
 * XMM count by mode.  Not the SSE helpers (simd.h).
 * Follows Intel SDM vol. 1 ch. 8 (x87 FPU) and 10.5 (FXSAVE).
 */
#ifndef EMBER_X86_FPU_H
#define EMBER_X86_FPU_H

#include "x86/cpu.h"

/* MXCSR bits FXRSTOR/XRSTOR/LDMXCSR accept (DAZ included), as FXSAVE reports. */
#define FPU_MXCSR_MASK 0xFFFFu

/* FSW fields. */
#define FSW_IE	(1u << 0)
#define FSW_DE	(1u << 1)
#define FSW_ZE	(1u << 2)
#define FSW_OE	(1u << 3)
#define FSW_UE	(1u << 4)
#define FSW_PE	(1u << 5)
#define FSW_SF	(1u << 6)
#define FSW_ES	(1u << 7)
#define FSW_C0	(1u << 8)
#define FSW_C1	(1u << 9)
#define FSW_C2	(1u << 10)
#define FSW_TOP (7u << 11)
#define FSW_C3	(1u << 14)
#define FSW_B	(1u << 15)
#define FSW_CC	(FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)
#define FSW_EXC 0x3Fu

/* A control word as loaded: bit 6 reads 1, bits 7 and 13-15 read 0 (the host CPU). */
static inline uint16_t fpu_fcw(uint16_t v)
{
	return (v & 0x1F3F) | 0x40;
}

static inline unsigned fpu_top(const struct x86_fpu *f)
{
	return (f->fsw >> 11) & 7;
}

/* Which ST(j) physical register i is (the tags go by physical register). */
static inline unsigned fpu_st_of(const struct x86_fpu *f, unsigned i)
{
	return (i - fpu_top(f)) & 7;
}

/* XMM registers the mode has: 16 in 64-bit mode, else 8. */
static inline unsigned fpu_nxmm(const struct x86_cpu *cpu)
{
	return cpu->mode == X86_MODE_LONG64 ? 16 : 8;
}

/* The two ends of a save area, in the order the host CPU touches them, so
 * that a #PF reports its CR2: FXSAVE/FXRSTOR the last byte first, the x87
 * environments the first (measured: difftest classes x87, fpstate). */
int fpu_probe(struct x86_cpu *cpu, int seg, uint64_t off, unsigned len, enum x86_acc acc,
	      bool last_first);

/* Blocks of guest memory (operand images, save areas), faulting as one access. */
int fpu_read(struct x86_cpu *cpu, int seg, uint64_t off, void *buf, unsigned len);
int fpu_write(struct x86_cpu *cpu, int seg, uint64_t off, const void *buf, unsigned len);

/* The XSAVE initial configuration of the x87 state (SDM 13.6). */
void fpu_x87_init_state(struct x86_fpu *f);

/* CPUID leaf 0xD as the emulator implements it, for this XCR0. */
void fpu_cpuid_xsave(uint64_t xcr0, uint32_t subleaf, uint32_t out[4]);

#endif
