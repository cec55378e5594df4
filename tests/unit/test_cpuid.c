/*
 * test_cpuid.c - the emu platform's CPU model (src/emu/cpuid.c) against the
 * SDM: leaf 0x15's TSC = crystal * EBX / EAX equals the TSC the engine
 * counts and the crystal is the local APIC timer's input clock (what Linux
 * assumes), leaf 0x0B's topology levels, leaf 1's APIC ID; every leaf-1 bit
 * the model sets survives the emulator's mask (so the guest sees exactly
 * the model), and so does leaf 7's ARCH_CAPABILITIES; the MTRRs' write
 * checks (SDM 11.11) and the memory types the firmware setup yields,
 * computed with the SDM's precedence rules.
 */
#include "clock.h"
#include "devices/lapic.h"
#include "emu/cpuid.h"
#include "t.h"
#include "x86/x86.h"

static void leaf(const struct cpuid_model *m, uint32_t apic, uint32_t l, uint32_t s, uint32_t o[4])
{
	cpuid_model_leaf(m, apic, l, s, o);
}

static void test_tsc_leaves(void)
{
	struct cpuid_model m = {.ncpus = 1, .lapic = true};
	uint32_t o[4];
	leaf(&m, 0, 0, 0, o);
	T_CHECK(o[0] >= 0x16, "max basic leaf %#x must reach 0x16", o[0]);
	leaf(&m, 0, 0x15, 0, o);
	T_CHECK(o[0] && o[1] && o[2], "leaf 0x15 must give crystal and ratio");
	T_EQ((uint64_t)o[2] * o[1] / o[0], EMBER_TSC_HZ);
	T_EQ(o[2], LAPIC_TIMER_HZ);
	leaf(&m, 0, 0x16, 0, o);
	T_EQ(o[0], EMBER_TSC_HZ / 1000000);
	leaf(&m, 0, 0x40000000, 0, o);
	T_CHECK(o[0] >= 0x40000010, "hypervisor max leaf %#x", o[0]);
	leaf(&m, 0, 0x40000010, 0, o);
	T_EQ(o[0], EMBER_TSC_HZ / 1000);
	T_EQ(o[1], LAPIC_TIMER_HZ / 1000);
	/* PLATFORM_INFO's ratio times leaf 0x16's bus clock is the TSC. */
	struct cpu_msrs r;
	cpu_msrs_reset(&r);
	uint64_t pi;
	T_EQ(cpu_msrs_read(&r, CPU_MSR_PLATFORM_INFO, &pi), 0);
	leaf(&m, 0, 0x16, 0, o);
	T_EQ(((pi >> 8) & 0xFF) * o[2], EMBER_TSC_HZ / 1000000);
}

static void test_lapic_bits(void)
{
	uint32_t o[4], sup[4];
	struct cpuid_model none = {.ncpus = 1}, with = {.ncpus = 1, .lapic = true};
	leaf(&none, 0, 1, 0, o);
	T_EQ(o[3] & (1u << 9), 0);
	T_EQ(o[2] & (1u << 24), 0);
	leaf(&none, 0, 6, 0, o);
	T_EQ(o[0] & 4, 0);
	leaf(&with, 0, 1, 0, o);
	T_CHECK(o[3] & (1u << 9), "APIC");
	T_CHECK(o[2] & (1u << 21), "x2APIC");
	T_CHECK(o[2] & (1u << 24), "TSC-deadline");
	T_CHECK(o[2] & (1u << 31), "hypervisor");
	T_CHECK(o[3] & (1u << 12), "MTRR");
	leaf(&with, 0, 6, 0, o);
	T_CHECK(o[0] & 4, "ARAT");
	/* An invariant TSC with TSC_ADJUST: Linux then trusts it without a
	 * clocksource watchdog. */
	leaf(&with, 0, 0x80000007, 0, o);
	T_CHECK(o[3] & (1u << 8), "invariant TSC");
	leaf(&with, 0, 7, 0, o);
	T_CHECK(o[1] & 2, "TSC_ADJUST");
	x86_cpuid_supported(7, 0, sup);
	T_EQ(o[1] & ~(sup[1] | X86_CPUID7_EBX_PLATFORM), 0);
	/* IA32_ARCH_CAPABILITIES (the emulator's, system.c) stays enumerated. */
	T_CHECK(o[3] & (1u << 29), "ARCH_CAPABILITIES");
	T_EQ(o[3], sup[3]);
	/* The emulator keeps leaf-1 bits in its own set or the platform's:
	 * everything the model says must be in one of them. */
	struct cpuid_model big = {.ncpus = 4, .lapic = true};
	leaf(&big, 3, 1, 0, o);
	x86_cpuid_supported(1, 0, sup);
	T_EQ(o[2] & ~(sup[2] | X86_CPUID1_ECX_PLATFORM), 0);
	T_EQ(o[3] & ~(sup[3] | X86_CPUID1_EDX_PLATFORM), 0);
}

static void test_topology(void)
{
	uint32_t o[4];
	struct cpuid_model m = {.ncpus = 3, .lapic = true};
	for (uint32_t id = 0; id < 3; id++) {
		leaf(&m, id, 1, 0, o);
		T_EQ(o[1] >> 24, id);		   /* initial APIC ID */
		T_EQ((o[1] >> 16) & 0xFF, 4);	   /* addressable IDs: next power of 2 */
		T_CHECK(o[3] & (1u << 28), "HTT"); /* that field is valid */
		/* Leaf 0xB (SDM vol. 2A, CPUID leaf 0BH): SMT level with one
		 * thread, core level with 3 cores, then an invalid level; the
		 * x2APIC ID in EDX of every subleaf. */
		leaf(&m, id, 0xB, 0, o);
		T_EQ(o[0] & 0x1F, 0);
		T_EQ(o[1] & 0xFFFF, 1);
		T_EQ((o[2] >> 8) & 0xFF, 1);
		T_EQ(o[3], id);
		leaf(&m, id, 0xB, 1, o);
		T_EQ(o[0] & 0x1F, 2); /* shift: 3 cores need 2 bits */
		T_EQ(o[1] & 0xFFFF, 3);
		T_EQ((o[2] >> 8) & 0xFF, 2);
		T_EQ(o[2] & 0xFF, 1);
		T_EQ(o[3], id);
		leaf(&m, id, 0xB, 2, o);
		T_EQ((o[2] >> 8) & 0xFF, 0);
		T_EQ(o[2] & 0xFF, 2);
		T_EQ(o[1] & 0xFFFF, 0);
	}
	struct cpuid_model one = {.ncpus = 1};
	leaf(&one, 0, 1, 0, o);
	T_EQ(o[3] & (1u << 28), 0);
}

/* ---- MTRRs: the SDM's effective type (11.11.4) ---- */

static int mtrr_type(const struct cpu_msrs *r, uint64_t pa)
{
	uint64_t def, v;
	cpu_msrs_read(r, CPU_MSR_MTRR_DEF_TYPE, &def);
	if (!(def & (1u << 11)))
		return 0; /* MTRRs disabled: UC */
	if ((def & (1u << 10)) && pa < 0x100000) {
		uint32_t msr;
		unsigned byte;
		if (pa < 0x80000) {
			msr = CPU_MSR_MTRR_FIX64K, byte = (unsigned)(pa >> 16);
		} else if (pa < 0xC0000) {
			msr = CPU_MSR_MTRR_FIX16K_80 + (pa >= 0xA0000);
			byte = (unsigned)((pa & 0x1FFFF) >> 14);
		} else {
			msr = CPU_MSR_MTRR_FIX4K_C0 + (uint32_t)((pa - 0xC0000) >> 15);
			byte = (unsigned)((pa & 0x7FFF) >> 12);
		}
		cpu_msrs_read(r, msr, &v);
		return (int)((v >> 8 * byte) & 0xFF);
	}
	int type = -1;
	for (int i = 0; i < CPU_MTRR_VCNT; i++) {
		uint64_t base, mask;
		cpu_msrs_read(r, CPU_MSR_MTRR_PHYSBASE0 + 2 * i, &base);
		cpu_msrs_read(r, CPU_MSR_MTRR_PHYSBASE0 + 2 * i + 1, &mask);
		if (!(mask & (1u << 11)))
			continue;
		uint64_t m = mask & ~0xFFFULL;
		if ((pa & m) != (base & m))
			continue;
		int t = (int)(base & 0xFF);
		if (type < 0 || t == 0)
			type = type == 0 ? 0 : t; /* UC wins over everything */
	}
	return type >= 0 ? type : (int)(def & 0xFF);
}

static void test_mtrr_firmware(void)
{
	struct cpu_msrs r;
	cpu_msrs_reset(&r);
	T_EQ(mtrr_type(&r, 0), 0); /* after RESET: disabled, all UC */
	cpu_msrs_firmware(&r);
	uint64_t cap;
	T_EQ(cpu_msrs_read(&r, CPU_MSR_MTRRCAP, &cap), 0);
	T_EQ(cap & 0xFF, CPU_MTRR_VCNT);
	T_CHECK(cap & (1u << 8), "fixed ranges supported");
	T_EQ(mtrr_type(&r, 0x0), 6);
	T_EQ(mtrr_type(&r, 0x9F000), 6);
	T_EQ(mtrr_type(&r, 0xA0000), 0);
	T_EQ(mtrr_type(&r, 0xB8000), 0);
	T_EQ(mtrr_type(&r, 0xE0000), 5);
	T_EQ(mtrr_type(&r, 0xFFFFF), 5);
	T_EQ(mtrr_type(&r, 0x100000), 6);
	T_EQ(mtrr_type(&r, 0xBFFFFFFF), 6);
	T_EQ(mtrr_type(&r, 0xC0000000), 0);
	T_EQ(mtrr_type(&r, 0xFEE00000), 0);
	T_EQ(mtrr_type(&r, 0x100000000), 6);
}

static void test_msr_checks(void)
{
	struct cpu_msrs r;
	cpu_msrs_reset(&r);
	uint64_t v;
	/* Types 2, 3 and 7+ are reserved (SDM table 11-8): #GP. */
	T_EQ(cpu_msrs_write(&r, CPU_MSR_MTRR_DEF_TYPE, 2, 0), -1);
	T_EQ(cpu_msrs_write(&r, CPU_MSR_MTRR_DEF_TYPE, 7, 0), -1);
	T_EQ(cpu_msrs_write(&r, CPU_MSR_MTRR_DEF_TYPE, 1u << 12 | 6, 0), -1); /* reserved bit */
	T_EQ(cpu_msrs_write(&r, CPU_MSR_MTRR_DEF_TYPE, 0xC06, 0), 0);
	T_EQ(cpu_msrs_read(&r, CPU_MSR_MTRR_DEF_TYPE, &v), 0);
	T_EQ(v, 0xC06);
	T_EQ(cpu_msrs_write(&r, CPU_MSR_MTRR_FIX64K, 0x0606060606060603ULL, 0), -1);
	T_EQ(cpu_msrs_write(&r, CPU_MSR_MTRR_FIX4K_C0 + 7, 0x0504010006060606ULL, 0), 0);
	T_EQ(cpu_msrs_read(&r, CPU_MSR_MTRR_FIX4K_C0 + 7, &v), 0);
	T_EQ(v, 0x0504010006060606ULL);
	T_EQ(cpu_msrs_read(&r, CPU_MSR_MTRR_FIX4K_C0 + 8, &v), -1); /* 0x270: none */
	/* PHYSBASE: bits 11:8 and above MAXPHYADDR (40) reserved. */
	T_EQ(cpu_msrs_write(&r, CPU_MSR_MTRR_PHYSBASE0, 0x100, 0), -1);
	T_EQ(cpu_msrs_write(&r, CPU_MSR_MTRR_PHYSBASE0, 1ULL << 40, 0), -1);
	T_EQ(cpu_msrs_write(&r, CPU_MSR_MTRR_PHYSBASE0, 0xFF00000006ULL, 0), 0);
	/* PHYSMASK: bits 10:0 reserved, 11 valid. */
	T_EQ(cpu_msrs_write(&r, CPU_MSR_MTRR_PHYSBASE0 + 1, 0x400, 0), -1);
	T_EQ(cpu_msrs_write(&r, CPU_MSR_MTRR_PHYSBASE0 + 1, 0xFFC0000800ULL, 0), 0);
	T_EQ(cpu_msrs_read(&r, CPU_MSR_MTRR_PHYSBASE0 + 2 * CPU_MTRR_VCNT, &v), -1);
	/* Read-only and locked MSRs. */
	T_EQ(cpu_msrs_write(&r, CPU_MSR_MTRRCAP, 0, 0), -1);
	T_EQ(cpu_msrs_write(&r, CPU_MSR_PLATFORM_INFO, 0, 0), -1);
	T_EQ(cpu_msrs_read(&r, CPU_MSR_FEATURE_CONTROL, &v), 0);
	T_EQ(v & 1, 1); /* locked */
	T_EQ(v & 6, 0); /* VMX off inside and outside SMX */
	T_EQ(cpu_msrs_write(&r, CPU_MSR_FEATURE_CONTROL, 5, 0), -1);
	/* BIOS_SIGN_ID: Linux's sequence, write 0 then read the revision. */
	T_EQ(cpu_msrs_write(&r, CPU_MSR_BIOS_SIGN_ID, 0, 0), 0);
	T_EQ(cpu_msrs_read(&r, CPU_MSR_BIOS_SIGN_ID, &v), 0);
	T_CHECK(v >> 32, "a nonzero microcode revision in 63:32");
	T_EQ((uint32_t)v, 0);
	/* Machine-check architecture: one bank, nothing logged; software may
	 * only clear the status (SDM 15.3). */
	T_EQ(cpu_msrs_read(&r, CPU_MSR_MCG_CAP, &v), 0);
	T_EQ(v & 0xFF, 1);
	T_EQ(v & (1u << 8), 0); /* no MCG_CTL */
	T_EQ(cpu_msrs_read(&r, 0x17B, &v), -1);
	T_EQ(cpu_msrs_write(&r, CPU_MSR_MCG_CAP, 1, 0), -1);
	T_EQ(cpu_msrs_write(&r, CPU_MSR_MCG_STATUS, 8, 0), -1);
	T_EQ(cpu_msrs_write(&r, CPU_MSR_MCG_STATUS, 0, 0), 0);
	T_EQ(cpu_msrs_write(&r, CPU_MSR_MC0_CTL, ~0ULL, 0), 0);
	T_EQ(cpu_msrs_read(&r, CPU_MSR_MC0_CTL, &v), 0);
	T_EQ(v, ~0ULL);
	T_EQ(cpu_msrs_read(&r, CPU_MSR_MC0_CTL + 1, &v), 0);
	T_EQ(v, 0);
	T_EQ(cpu_msrs_write(&r, CPU_MSR_MC0_CTL + 1, 0, 0), 0);
	T_EQ(cpu_msrs_write(&r, CPU_MSR_MC0_CTL + 1, 1ULL << 63, 0), -1);
	T_EQ(cpu_msrs_read(&r, CPU_MSR_MC0_CTL + 4, &v), -1); /* bank 1: none */
	/* IA32_TSC_ADJUST (SDM 17.17.3): the TSC is the clock plus it; a
	 * write to the TSC moves it by the difference. */
	T_EQ(cpu_msrs_tsc(&r, 1000), 1000);
	T_EQ(cpu_msrs_write(&r, CPU_MSR_TSC_ADJUST, 500, 1000), 0);
	T_EQ(cpu_msrs_tsc(&r, 1000), 1500);
	T_EQ(cpu_msrs_write(&r, CPU_MSR_TSC, 100, 2000), 0);
	T_EQ(cpu_msrs_tsc(&r, 2000), 100);
	T_EQ(cpu_msrs_tsc(&r, 2010), 110);
	T_EQ(cpu_msrs_read(&r, CPU_MSR_TSC_ADJUST, &v), 0);
	T_EQ(v, (uint64_t)100 - 2000);
	/* Unknown MSRs are not the platform's. */
	T_EQ(cpu_msrs_read(&r, 0x12345, &v), -1);
}

int main(void)
{
	T_RUN(test_tsc_leaves);
	T_RUN(test_lapic_bits);
	T_RUN(test_topology);
	T_RUN(test_mtrr_firmware);
	T_RUN(test_msr_checks);
	T_EXIT();
}
