/*
 * emu/cpuid.h - the CPU the emu platform presents on top of the emulator:
 * the CPUID leaves that describe the machine rather than the instruction
 * set (topology, the local APIC, the TSC and crystal frequency, the
 * hypervisor leaves) and the MSRs a kernel reads at boot that belong to
 * the platform (microcode revision, MTRRs, machine-check architecture with
 * one bank that never reports an error, platform info, feature control).
 * The emulator's own features come from x86_cpuid_supported(); nothing here
 * may advertise an instruction the emulator lacks (it masks them anyway).
 * Follows the Intel SDM vol. 2A (CPUID), vol. 3A 11.11 (MTRRs), vol. 4
 * (MSRs), and Linux's documented use of leaves 0x15/0x40000010.
 */
#ifndef EMBER_EMU_CPUID_H
#define EMBER_EMU_CPUID_H

#include <stdbool.h>
#include <stdint.h>

/* What the platform has, fixed when the VM is created. */
struct cpuid_model {
	unsigned ncpus; /* APIC IDs 0..ncpus-1, one core each, one package */
	bool lapic;	/* a local APIC per vCPU (APIC, x2APIC, TSC-deadline, ARAT) */
};

/* CPUID(leaf, subleaf) as the vCPU with this APIC ID sees it. */
void cpuid_model_leaf(const struct cpuid_model *m, uint32_t apic_id, uint32_t leaf,
		      uint32_t subleaf, uint32_t out[4]);

/* Variable-range MTRR pairs (MTRRcap.VCNT). */
#define CPU_MTRR_VCNT 8
#define CPU_MTRR_NFIX 11

/* The platform's MSRs of one vCPU (each logical processor has its own). */
struct cpu_msrs {
	uint64_t tsc_adjust; /* IA32_TSC_ADJUST: TSC = clock + this (mod 2^64) */
	uint64_t mcg_status, mc0_ctl;
	uint64_t mtrr_def;
	uint64_t mtrr_var[2 * CPU_MTRR_VCNT]; /* PHYSBASE0, PHYSMASK0, ... */
	uint64_t mtrr_fix[CPU_MTRR_NFIX];     /* 0x250, 0x258, 0x259, 0x268-0x26F */
};

/* After RESET: MTRRs disabled, every range 0 (SDM 11.11.5). */
void cpu_msrs_reset(struct cpu_msrs *r);
/*
 * What a PC firmware leaves before it boots a kernel, for direct kernel
 * boots where ember is the firmware: write-back by default, the VGA window
 * uncached, the BIOS area write-protected, the 3-4 GiB MMIO hole uncached.
 */
void cpu_msrs_firmware(struct cpu_msrs *r);
/* 0, or -1 when the MSR does not exist or the access must raise #GP(0).
 * clock: the TSC before IA32_TSC_ADJUST (a write to the TSC moves the
 * adjustment by the difference, SDM 17.17.3). */
int cpu_msrs_read(const struct cpu_msrs *r, uint32_t msr, uint64_t *val);
int cpu_msrs_write(struct cpu_msrs *r, uint32_t msr, uint64_t val, uint64_t clock);
/*
 * The TSC this CPU reads at the given clock.  The local APIC's TSC-deadline
 * mode compares against the clock itself, so it is exact while the guest
 * leaves IA32_TSC_ADJUST at 0 (Linux does; it only restores a firmware's
 * nonzero value to 0).
 */
static inline uint64_t cpu_msrs_tsc(const struct cpu_msrs *r, uint64_t clock)
{
	return clock + r->tsc_adjust;
}

/* MSR numbers (SDM vol. 4). */
#define CPU_MSR_TSC		0x010
#define CPU_MSR_FEATURE_CONTROL 0x03A
#define CPU_MSR_TSC_ADJUST	0x03B
#define CPU_MSR_BIOS_SIGN_ID	0x08B /* microcode revision in 63:32 */
#define CPU_MSR_PLATFORM_INFO	0x0CE
#define CPU_MSR_MTRRCAP		0x0FE
#define CPU_MSR_MTRR_PHYSBASE0	0x200
#define CPU_MSR_MTRR_FIX64K	0x250
#define CPU_MSR_MTRR_FIX16K_80	0x258
#define CPU_MSR_MTRR_FIX16K_A0	0x259
#define CPU_MSR_MTRR_FIX4K_C0	0x268 /* ..0x26F */
#define CPU_MSR_MTRR_DEF_TYPE	0x2FF
#define CPU_MSR_MCG_CAP		0x179
#define CPU_MSR_MCG_STATUS	0x17A
#define CPU_MSR_MC0_CTL		0x400 /* CTL, STATUS, ADDR, MISC of bank 0 */

#endif
