/*
 * emu/cpuid.c - the emu platform's CPUID leaves and platform MSRs (see
 * cpuid.h).  Frequencies: the TSC counts EMBER_TSC_HZ (clock.h) and the
 * local APIC timer LAPIC_TIMER_HZ (lapic.h); leaf 0x15 reports the latter
 * as the core crystal clock with the TSC as a ratio of it, which is what
 * Linux reads (native_calibrate_tsc) to skip TSC and APIC timer calibration.
 */
#include <string.h>

#include "clock.h"
#include "devices/lapic.h"
#include "emu/cpuid.h"
#include "x86/x86.h"

#define MAX_BASIC_LEAF 0x16
#define HV_MAX_LEAF    0x40000010

/* CPUID.1 bits owned by the platform (SDM vol. 2A table 3-10/3-11). */
#define ECX_X2APIC	 (1u << 21)
#define ECX_TSC_DEADLINE (1u << 24)
#define ECX_HYPERVISOR	 (1u << 31)
#define EDX_MCE		 (1u << 7)
#define EDX_APIC	 (1u << 9)
#define EDX_MTRR	 (1u << 12)
#define EDX_MCA		 (1u << 14)
#define EDX_HTT		 (1u << 28)
#define LEAF6_ARAT	 (1u << 2)
#define LEAF7_TSC_ADJUST (1u << 1) /* EBX */
#define INVARIANT_TSC	 (1u << 8) /* 0x80000007 EDX */

/* Leaf 0x0B level types. */
#define TOPO_SMT  1
#define TOPO_CORE 2

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* Bits needed to number n things (n >= 1). */
static unsigned id_bits(unsigned n)
{
	unsigned b = 0;
	while ((1u << b) < n)
		b++;
	return b;
}

_Static_assert(LAPIC_TIMER_HZ <= UINT32_MAX && EMBER_TSC_HZ / 1000 <= UINT32_MAX,
	       "leaf 0x15 ECX and leaf 0x40000010 hold these in 32 bits");

void cpuid_model_leaf(const struct cpuid_model *m, uint32_t apic_id, uint32_t leaf,
		      uint32_t subleaf, uint32_t out[4])
{
	unsigned ncpus = m->ncpus ? m->ncpus : 1;
	x86_cpuid_supported(leaf, subleaf, out);
	switch (leaf) {
	case 0:
		if (out[0] < MAX_BASIC_LEAF)
			out[0] = MAX_BASIC_LEAF;
		break;
	case 1:
		/* EBX: initial APIC ID, addressable logical IDs, CLFLUSH line
		 * size in 8-byte units (64 bytes). */
		out[1] = apic_id << 24 | (1u << id_bits(ncpus)) << 16 | 8u << 8;
		out[2] |= ECX_HYPERVISOR;
		out[3] |= EDX_MTRR | EDX_MCE | EDX_MCA;
		if (ncpus > 1)
			out[3] |= EDX_HTT;
		if (m->lapic) {
			out[2] |= ECX_X2APIC | ECX_TSC_DEADLINE;
			out[3] |= EDX_APIC;
		}
		break;
	case 6:
		/* The APIC timer runs in every C-state (there are none). */
		out[0] = m->lapic ? LEAF6_ARAT : 0;
		break;
	case 7:
		if (subleaf == 0)
			out[1] |= LEAF7_TSC_ADJUST;
		break;
	case 0x80000007:
		/* The TSC counts guest time at one rate in every state. */
		out[3] |= INVARIANT_TSC;
		break;
	case 0xB:
		/* Extended topology: one thread per core, ncpus cores. */
		out[3] = apic_id;
		if (subleaf == 0) {
			out[0] = 0;
			out[1] = 1;
			out[2] = TOPO_SMT << 8;
		} else if (subleaf == 1) {
			out[0] = id_bits(ncpus);
			out[1] = ncpus;
			out[2] = TOPO_CORE << 8 | 1;
		} else {
			out[0] = out[1] = 0;
			out[2] = subleaf & 0xFF;
		}
		break;
	case 0x15: {
		/* TSC = crystal * EBX / EAX; the crystal drives the APIC timer. */
		uint64_t g = gcd(EMBER_TSC_HZ, LAPIC_TIMER_HZ);
		out[0] = (uint32_t)(LAPIC_TIMER_HZ / g);
		out[1] = (uint32_t)(EMBER_TSC_HZ / g);
		out[2] = (uint32_t)LAPIC_TIMER_HZ;
		out[3] = 0;
		break;
	}
	case 0x16: /* base and maximum MHz, bus (reference) MHz */
		out[0] = out[1] = (uint32_t)(EMBER_TSC_HZ / 1000000);
		out[2] = 100;
		out[3] = 0;
		break;
	case 0x40000000:
		/* A hypervisor leaf range of its own: a signature no guest
		 * mistakes for KVM's or Xen's, and the timing leaf. */
		out[0] = HV_MAX_LEAF;
		memcpy(&out[1], "ember-emu-vm", 12); /* EBX, ECX, EDX */
		break;
	case HV_MAX_LEAF: /* VMware's timing leaf: TSC and APIC bus in kHz */
		out[0] = (uint32_t)(EMBER_TSC_HZ / 1000);
		out[1] = (uint32_t)(LAPIC_TIMER_HZ / 1000);
		out[2] = out[3] = 0;
		break;
	default:
		break;
	}
}

/* ---- MSRs ---- */

/* MTRRcap: VCNT variable ranges, fixed ranges (8), write-combining (10). */
#define MTRRCAP_VALUE ((uint64_t)CPU_MTRR_VCNT | 1u << 8 | 1u << 10)
/* MTRRdefType: type in 7:0, FE (10), E (11). */
#define MTRR_DEF_MASK 0xCFFULL
#define MTRR_E	      (1ULL << 11)
#define MTRR_FE	      (1ULL << 10)
/* Memory types (SDM table 11-8). */
#define MT_UC 0
#define MT_WP 5
#define MT_WB 6
/* Physical-address bits above what CPUID 0x80000008 reports (40) are
 * reserved in PHYSBASE/PHYSMASK. */
#define PHYS_MASK     ((1ULL << 40) - 1)
#define PHYSBASE_MASK (PHYS_MASK & ~0xF00ULL) /* 11:8 reserved */
#define PHYSMASK_MASK (PHYS_MASK & ~0x7FFULL) /* 10:0 reserved; 11 valid */
#define MTRR_VALID    (1ULL << 11)

/* MCG_CAP: one error-reporting bank; no MCG_CTL, CMCI, SER or LMCE. */
#define MCG_CAP_VALUE 1ULL
/* MCG_STATUS: RIPV, EIPV, MCIP (SDM 15.3.1.2). */
#define MCG_STATUS_MASK 7ULL

/* The microcode revision BIOS_SIGN_ID reports: this model has no updates. */
#define UCODE_REV 1
/* PLATFORM_INFO: maximum non-turbo ratio (15:8) and maximum efficiency
 * ratio (47:40), in units of the 100 MHz bus clock of leaf 0x16. */
#define BUS_HZ		    100000000ULL
#define PLATFORM_INFO_VALUE ((EMBER_TSC_HZ / BUS_HZ) << 8 | (EMBER_TSC_HZ / BUS_HZ) << 40)
/* FEATURE_CONTROL: locked (bit 0) with VMX, SMX and SGX off, as firmware
 * leaves it on a CPU that has none of them. */
#define FEATURE_CONTROL_VALUE 1ULL

static bool mt_valid(unsigned t)
{
	return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

/* Index into mtrr_fix of a fixed-range MSR, or -1. */
static int fix_index(uint32_t msr)
{
	if (msr == CPU_MSR_MTRR_FIX64K)
		return 0;
	if (msr == CPU_MSR_MTRR_FIX16K_80)
		return 1;
	if (msr == CPU_MSR_MTRR_FIX16K_A0)
		return 2;
	if (msr >= CPU_MSR_MTRR_FIX4K_C0 && msr < CPU_MSR_MTRR_FIX4K_C0 + 8)
		return 3 + (int)(msr - CPU_MSR_MTRR_FIX4K_C0);
	return -1;
}

static bool is_var(uint32_t msr)
{
	return msr >= CPU_MSR_MTRR_PHYSBASE0 && msr < CPU_MSR_MTRR_PHYSBASE0 + 2 * CPU_MTRR_VCNT;
}

void cpu_msrs_reset(struct cpu_msrs *r)
{
	memset(r, 0, sizeof(*r));
}

static uint64_t fix_all(unsigned type)
{
	return 0x0101010101010101ULL * type;
}

void cpu_msrs_firmware(struct cpu_msrs *r)
{
	cpu_msrs_reset(r);
	r->mtrr_def = MTRR_E | MTRR_FE | MT_WB;
	r->mtrr_fix[0] = fix_all(MT_WB); /* 0-512 KiB */
	r->mtrr_fix[1] = fix_all(MT_WB); /* 512-640 KiB */
	r->mtrr_fix[2] = fix_all(MT_UC); /* 640-768 KiB: the VGA window */
	for (int i = 3; i < CPU_MTRR_NFIX; i++)
		r->mtrr_fix[i] = fix_all(MT_WP); /* 768 KiB-1 MiB: ROMs */
	/* Variable range 0: the MMIO hole, 3-4 GiB, uncached. */
	r->mtrr_var[0] = 0xC0000000ULL | MT_UC;
	r->mtrr_var[1] = (PHYSMASK_MASK & ~(0x40000000ULL - 1)) | MTRR_VALID;
}

int cpu_msrs_read(const struct cpu_msrs *r, uint32_t msr, uint64_t *val)
{
	int fix = fix_index(msr);
	if (fix >= 0)
		*val = r->mtrr_fix[fix];
	else if (is_var(msr))
		*val = r->mtrr_var[msr - CPU_MSR_MTRR_PHYSBASE0];
	else if (msr == CPU_MSR_MTRR_DEF_TYPE)
		*val = r->mtrr_def;
	else if (msr == CPU_MSR_MTRRCAP)
		*val = MTRRCAP_VALUE;
	else if (msr == CPU_MSR_BIOS_SIGN_ID)
		*val = (uint64_t)UCODE_REV << 32;
	else if (msr == CPU_MSR_TSC_ADJUST)
		*val = r->tsc_adjust;
	else if (msr == CPU_MSR_MCG_CAP)
		*val = MCG_CAP_VALUE;
	else if (msr == CPU_MSR_MCG_STATUS)
		*val = r->mcg_status;
	else if (msr == CPU_MSR_MC0_CTL)
		*val = r->mc0_ctl;
	else if (msr > CPU_MSR_MC0_CTL && msr < CPU_MSR_MC0_CTL + 4)
		*val = 0; /* STATUS, ADDR, MISC: no error was ever logged */
	else if (msr == CPU_MSR_PLATFORM_INFO)
		*val = PLATFORM_INFO_VALUE;
	else if (msr == CPU_MSR_FEATURE_CONTROL)
		*val = FEATURE_CONTROL_VALUE;
	else
		return -1;
	return 0;
}

int cpu_msrs_write(struct cpu_msrs *r, uint32_t msr, uint64_t val, uint64_t clock)
{
	int fix = fix_index(msr);
	if (fix >= 0) {
		for (int i = 0; i < 8; i++)
			if (!mt_valid((val >> 8 * i) & 0xFF))
				return -1;
		r->mtrr_fix[fix] = val;
	} else if (is_var(msr)) {
		unsigned i = msr - CPU_MSR_MTRR_PHYSBASE0;
		if (i % 2 == 0 && ((val & ~(PHYSBASE_MASK | 0xFF)) || !mt_valid(val & 0xFF)))
			return -1;
		if (i % 2 == 1 && (val & ~(PHYSMASK_MASK | MTRR_VALID)))
			return -1;
		r->mtrr_var[i] = val;
	} else if (msr == CPU_MSR_MTRR_DEF_TYPE) {
		if ((val & ~MTRR_DEF_MASK) || !mt_valid(val & 0xFF))
			return -1;
		r->mtrr_def = val;
	} else if (msr == CPU_MSR_TSC_ADJUST) {
		r->tsc_adjust = val;
	} else if (msr == CPU_MSR_TSC) {
		r->tsc_adjust = val - clock; /* the TSC reads val from now on */
	} else if (msr == CPU_MSR_MCG_STATUS) {
		if (val & ~MCG_STATUS_MASK)
			return -1;
		r->mcg_status = val;
	} else if (msr == CPU_MSR_MC0_CTL) {
		r->mc0_ctl = val; /* which errors the bank would report */
	} else if (msr > CPU_MSR_MC0_CTL && msr < CPU_MSR_MC0_CTL + 4) {
		/* Software may only clear STATUS, ADDR and MISC (SDM 15.3.2). */
		if (val)
			return -1;
	} else if (msr == CPU_MSR_BIOS_SIGN_ID) {
		/* Writing 0 before CPUID is how software asks for the revision
		 * (SDM 9.11.7.1); a write of anything else starts no update. */
	} else {
		/* MTRRcap, MCG_CAP and PLATFORM_INFO are read-only;
		 * FEATURE_CONTROL is locked; anything else does not exist. */
		return -1;
	}
	return 0;
}
