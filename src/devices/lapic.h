/*
 * lapic.h - one local APIC (xAPIC MMIO page and x2APIC MSRs), a pure model:
 * it knows nothing of struct vm; time, timers, IPIs and EOIs go through
 * struct lapic_ops.  Follows the Intel SDM vol. 3A chapter 10 ("Advanced
 * Programmable Interrupt Controller"): version 0x14 with six LVT entries
 * (timer, thermal, performance, LINT0, LINT1, error; no CMCI), TSC-deadline
 * timer, no directed-EOI suppression, no remote read.
 *
 * Choices the SDM leaves to the implementation:
 * - The timer counts at LAPIC_TIMER_HZ (one tick per guest nanosecond) before
 *   the divider; a platform advertising CPUID leaf 0x15 reports it as the core
 *   crystal clock.
 * - Periodic interrupts are at least LAPIC_MIN_PERIOD_NS apart (the count
 *   itself stays exact): a guest asking for a 1 ns period gets its ticks
 *   coalesced, as a busy CPU's would be, instead of a host-side storm.
 * - The xAPIC ID register is read-only (model specific in the SDM).
 * - MMIO: every register is the first 4 bytes of its 16-byte slot; reads of
 *   any size/alignment return those bytes (0 elsewhere), writes take effect
 *   only as aligned 4- or 8-byte stores at a slot start.  In x2APIC mode or
 *   globally disabled, the page is not decoded: reads all-ones, writes dropped.
 * - Reset is the SDM's power-on state (10.4.7.1: software-disabled, LVT
 *   masked) except the BSP's LINT0, unmasked as ExtINT as KVM and QEMU leave
 *   it: the MP spec's virtual wire (3.6.2.2) a BIOS would set up, so the
 *   8259's INTR reaches the BSP before anything programs its APIC.
 * - SMI and ExtINT deliveries are dropped (no SMM; the 8259 reaches a CPU
 *   through LINT0 only); INIT level de-assert IPIs are not sent (they only
 *   resynchronise arbitration IDs, which this model does not have).
 *
 * Thread-safety: one mutex per APIC; any function may be called from any
 * thread.  timer_arm is called with that mutex held (the callee must not call
 * back into this APIC); kick, send_ipi and eoi are called without it.
 */
#ifndef EMBER_DEVICES_LAPIC_H
#define EMBER_DEVICES_LAPIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LAPIC_DEFAULT_BASE  0xFEE00000ULL
#define LAPIC_VERSION	    0x00050014u /* max LVT entry 5, version 0x14 */
#define LAPIC_TIMER_HZ	    1000000000ULL
#define LAPIC_MIN_PERIOD_NS 20000ULL

/* MSRs handled by lapic_rdmsr/lapic_wrmsr. */
#define MSR_IA32_APIC_BASE    0x1B
#define MSR_IA32_TSC_DEADLINE 0x6E0
#define MSR_X2APIC_FIRST      0x800
#define MSR_X2APIC_LAST	      0x8FF

/* IA32_APIC_BASE bits. */
#define APIC_BASE_BSP  (1ULL << 8)
#define APIC_BASE_EXTD (1ULL << 10) /* x2APIC mode */
#define APIC_BASE_EN   (1ULL << 11) /* global enable */

/* Delivery modes (ICR, LVT, IOAPIC redirection entries, MSI data). */
enum lapic_delivery {
	LAPIC_DM_FIXED = 0,
	LAPIC_DM_LOWEST = 1,
	LAPIC_DM_SMI = 2,
	LAPIC_DM_NMI = 4,
	LAPIC_DM_INIT = 5,
	LAPIC_DM_SIPI = 6,
	LAPIC_DM_EXTINT = 7,
};

/* ICR destination shorthands (bits 19:18). */
enum lapic_shorthand {
	LAPIC_SH_NONE = 0,
	LAPIC_SH_SELF = 1,
	LAPIC_SH_ALL = 2,
	LAPIC_SH_OTHERS = 3,
};

/* ICR low-word fields the router decodes. */
#define LAPIC_ICR_VECTOR(lo)	 ((uint8_t)(lo))
#define LAPIC_ICR_MODE(lo)	 (((lo) >> 8) & 7)
#define LAPIC_ICR_LOGICAL(lo)	 (((lo) >> 11) & 1)
#define LAPIC_ICR_LEVEL_TRIG(lo) (((lo) >> 15) & 1)
#define LAPIC_ICR_SHORTHAND(lo)	 (((lo) >> 18) & 3)

struct lapic_ops {
	void *opaque;
	/* Guest nanoseconds. */
	uint64_t (*now_ns)(void *opaque);
	/* Call lapic_timer_expired at deadline_ns (absolute); UINT64_MAX
	 * disarms; a new call replaces the previous deadline. */
	void (*timer_arm)(void *opaque, uint64_t deadline_ns);
	/* Something became deliverable (interrupt, NMI, INIT, SIPI): wake the
	 * vCPU.  May be NULL. */
	void (*kick)(void *opaque);
	/* An ICR write: the router finds the targets (lapic_match_dest with
	 * the ICR's shorthand, this APIC as the sender) and lapic_deliver()s.
	 * dest is 8 bits in xAPIC mode, 32 in x2APIC mode. */
	void (*send_ipi)(void *opaque, uint32_t icr_lo, uint32_t dest);
	/* EOI of a level-triggered vector: the IOAPICs clear remote IRR. */
	void (*eoi)(void *opaque, uint8_t vector);
	/* The guest TSC, for TSC-deadline mode, and its rate; tsc_hz 0 means
	 * the TSC counts guest nanoseconds.  tsc NULL: TSC = now_ns. */
	uint64_t (*tsc)(void *opaque);
	uint64_t tsc_hz;
};

struct lapic;

struct lapic *lapic_create(uint32_t apic_id, bool bsp, const struct lapic_ops *ops);
void lapic_destroy(struct lapic *l);
/* Power-on state (SDM 10.4.7.1); the timer is disarmed. */
void lapic_reset(struct lapic *l);
/* Bytes needed/written (buf NULL: just the size); load: 0 or -EINVAL. */
size_t lapic_save(const struct lapic *l, void *buf, size_t len);
int lapic_load(struct lapic *l, const void *buf, size_t len);

/* The xAPIC page at IA32_APIC_BASE: off 0..0xFFF, size 1, 2, 4 or 8. */
uint64_t lapic_mmio_read(struct lapic *l, uint64_t off, unsigned size);
void lapic_mmio_write(struct lapic *l, uint64_t off, unsigned size, uint64_t val);
/* Where the xAPIC page is decoded now, or UINT64_MAX (x2APIC or disabled). */
uint64_t lapic_mmio_base(struct lapic *l);

/* IA32_APIC_BASE, IA32_TSC_DEADLINE, x2APIC 0x800-0x8FF: 0, or -1 for #GP. */
int lapic_rdmsr(struct lapic *l, uint32_t msr, uint64_t *val);
int lapic_wrmsr(struct lapic *l, uint32_t msr, uint64_t val);

/* An interrupt message arriving at this APIC (IOAPIC, MSI, IPI). */
void lapic_deliver(struct lapic *l, unsigned delivery_mode, uint8_t vector, bool level_trig);
/*
 * Does a message for dest (physical or logical, in this APIC's current
 * format) with this shorthand reach this APIC?  self: this APIC sent it.
 */
bool lapic_match_dest(struct lapic *l, uint32_t dest, bool logical, unsigned shorthand, bool self);
/* The arbitration priority (APR), for lowest-priority delivery. */
uint8_t lapic_arb_priority(struct lapic *l);

/* The CPU side.  Highest vector in IRR above PPR, or -1. */
int lapic_intr_pending(struct lapic *l);
/* INTA: that vector moves IRR -> ISR and is returned; if nothing is
 * deliverable any more, the spurious vector (SVR[7:0]), ISR untouched. */
int lapic_intr_ack(struct lapic *l);
bool lapic_nmi_pending(struct lapic *l);
void lapic_nmi_ack(struct lapic *l);
/* The 8259's INTR reaches this CPU: LINT0 unmasked as ExtINT, or the APIC
 * globally disabled (a CPU without an APIC). */
bool lapic_extint_enabled(struct lapic *l);
/* An INIT arrived (the APIC has already reset itself, ID and base kept);
 * returns true once per INIT.  Then the CPU waits for a SIPI. */
bool lapic_take_init(struct lapic *l);
/* A SIPI arrived while waiting for one: its vector, once; else -1. */
int lapic_take_sipi(struct lapic *l);
/* CR8 = TPR[7:4]; writing CR8 clears TPR[3:0]. */
void lapic_set_cr8(struct lapic *l, uint8_t tpr4);
uint8_t lapic_get_cr8(struct lapic *l);
/* The armed deadline passed (an early or stale call is harmless). */
void lapic_timer_expired(struct lapic *l);

#endif
