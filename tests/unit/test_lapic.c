/*
 * test_lapic.c - the local APIC against the Intel SDM vol. 3A chapter 10:
 * reset state (10.4.7.1), TPR/PPR/CR8 (10.8.3, 10.8.6), acceptance and EOI
 * (10.8.4-5), the timer's one-shot, periodic and TSC-deadline modes on a fake
 * clock (10.5.4), ESR on illegal vectors (10.5.3), IPIs between four APICs
 * through a test router (10.6), x2APIC MSR rules (10.12) and IA32_APIC_BASE.
 */
#include <errno.h>

#include "devices/lapic.h"
#include "t.h"

#define NCPU 4

/* xAPIC register offsets (SDM table 10-1). */
#define ID    0x020
#define VER   0x030
#define TPR   0x080
#define APR   0x090
#define PPR   0x0A0
#define EOI   0x0B0
#define LDR   0x0D0
#define DFR   0x0E0
#define SVR   0x0F0
#define ISR0  0x100
#define TMR0  0x180
#define IRR0  0x200
#define ESR   0x280
#define ICRLO 0x300
#define ICRHI 0x310
#define LVTT  0x320
#define LINT0 0x350
#define LVTE  0x370
#define TMICT 0x380
#define TMCCT 0x390
#define TDCR  0x3E0

struct cpu {
	struct lapic *apic;
	unsigned idx;
	uint64_t armed; /* last timer_arm deadline */
	int arms, kicks, eois, last_eoi;
};

static struct {
	uint64_t now, tsc;
	struct cpu cpu[NCPU];
	int ipis;
} w;

static uint64_t fake_now(void *o)
{
	return w.now;
}

static uint64_t fake_tsc(void *o)
{
	return w.tsc;
}

static void fake_arm(void *o, uint64_t deadline)
{
	struct cpu *c = o;
	c->armed = deadline;
	c->arms++;
}

static void fake_kick(void *o)
{
	((struct cpu *)o)->kicks++;
}

static void fake_eoi(void *o, uint8_t v)
{
	struct cpu *c = o;
	c->eois++;
	c->last_eoi = v;
}

/* The test router: every APIC the message matches; lowest priority goes to
 * the matching APIC with the lowest arbitration priority. */
static void fake_ipi(void *o, uint32_t lo, uint32_t dest)
{
	struct cpu *src = o;
	unsigned mode = LAPIC_ICR_MODE(lo);
	int best = -1;
	w.ipis++;
	for (unsigned i = 0; i < NCPU; i++) {
		struct lapic *a = w.cpu[i].apic;
		if (!a || !lapic_match_dest(a, dest, LAPIC_ICR_LOGICAL(lo), LAPIC_ICR_SHORTHAND(lo),
					    i == src->idx))
			continue;
		if (mode == LAPIC_DM_LOWEST) {
			if (best < 0 ||
			    lapic_arb_priority(a) < lapic_arb_priority(w.cpu[best].apic))
				best = (int)i;
			continue;
		}
		lapic_deliver(a, mode, LAPIC_ICR_VECTOR(lo), LAPIC_ICR_LEVEL_TRIG(lo));
	}
	if (best >= 0)
		lapic_deliver(w.cpu[best].apic, mode, LAPIC_ICR_VECTOR(lo),
			      LAPIC_ICR_LEVEL_TRIG(lo));
}

/* n APICs at their power-on state. */
static struct lapic *setup_raw(unsigned n)
{
	memset(&w, 0, sizeof(w));
	w.now = 1000000;
	for (unsigned i = 0; i < n; i++) {
		struct cpu *c = &w.cpu[i];
		c->idx = i;
		c->last_eoi = -1;
		struct lapic_ops ops = {
		    .opaque = c,
		    .now_ns = fake_now,
		    .timer_arm = fake_arm,
		    .kick = fake_kick,
		    .send_ipi = fake_ipi,
		    .eoi = fake_eoi,
		    .tsc = fake_tsc,
		    .tsc_hz = 2000000000ULL, /* 2 GHz */
		};
		c->apic = lapic_create(i, i == 0, &ops);
	}
	return w.cpu[0].apic;
}

static void sw_enable(struct lapic *a);

/* n APICs software-enabled (SVR 1FFh), as an OS leaves them. */
static struct lapic *setup(unsigned n)
{
	setup_raw(n);
	for (unsigned i = 0; i < n; i++)
		sw_enable(w.cpu[i].apic);
	return w.cpu[0].apic;
}

static void teardown(void)
{
	for (unsigned i = 0; i < NCPU; i++)
		lapic_destroy(w.cpu[i].apic);
	memset(&w, 0, sizeof(w));
}

static uint32_t rd(struct lapic *a, unsigned off)
{
	return (uint32_t)lapic_mmio_read(a, off, 4);
}

static void wr(struct lapic *a, unsigned off, uint32_t v)
{
	lapic_mmio_write(a, off, 4, v);
}

static void sw_enable(struct lapic *a)
{
	wr(a, SVR, 0x1FF);
}

static uint64_t rdmsr(struct lapic *a, uint32_t msr)
{
	uint64_t v = 0xDEAD;
	T_CHECK(lapic_rdmsr(a, msr, &v) == 0, "rdmsr %#x faulted", msr);
	return v;
}

static bool irr_has(struct lapic *a, unsigned v)
{
	return rd(a, IRR0 + (v / 32) * 16) >> (v % 32) & 1;
}

/* SDM 10.4.7.1; the BSP's LINT0 in the MP spec's virtual wire mode. */
static void test_reset_state(void)
{
	struct lapic *bsp = setup_raw(2), *ap = w.cpu[1].apic;
	T_EQ(rdmsr(bsp, MSR_IA32_APIC_BASE), 0xFEE00900);
	T_EQ(rdmsr(ap, MSR_IA32_APIC_BASE), 0xFEE00800);
	T_EQ(lapic_mmio_base(bsp), 0xFEE00000);
	T_EQ(rd(ap, ID), 1u << 24);
	T_EQ(rd(bsp, VER), 0x00050014);
	T_EQ(rd(ap, SVR), 0xFF);
	T_EQ(rd(ap, DFR), 0xFFFFFFFF);
	T_EQ(rd(ap, LDR), 0);
	T_EQ(rd(ap, TPR), 0);
	T_EQ(rd(ap, PPR), 0);
	for (unsigned off = LVTT; off <= LVTE; off += 16)
		T_EQ(rd(ap, off), 0x10000);
	T_EQ(rd(ap, TMICT), 0);
	T_EQ(rd(ap, TMCCT), 0);
	T_EQ(rd(ap, TDCR), 0);
	/* The BSP: LINT0 ExtINT (virtual wire), the rest as the APs'. */
	T_EQ(rd(bsp, LINT0), 0x700);
	T_EQ(rd(bsp, LINT0 + 0x10), 0x10000);
	T_EQ(rd(bsp, SVR), 0xFF);
	T_CHECK(lapic_extint_enabled(bsp), "the BSP takes the 8259's INTR");
	T_CHECK(!lapic_extint_enabled(ap), "an AP's LINT0 is masked");
	T_EQ(lapic_take_sipi(ap), -1);
	teardown();
}

/* SDM 10.8.3.1: PPR from TPR and the highest ISR class; CR8 = TPR[7:4]. */
static void test_tpr_ppr_cr8(void)
{
	struct lapic *a = setup(1);
	wr(a, TPR, 0x5A);
	T_EQ(rd(a, TPR), 0x5A);
	T_EQ(rd(a, PPR), 0x5A);
	T_EQ(lapic_get_cr8(a), 5);
	lapic_set_cr8(a, 3);
	T_EQ(rd(a, TPR), 0x30); /* MOV CR8 clears TPR[3:0] */
	lapic_set_cr8(a, 0x1F);
	T_EQ(rd(a, TPR), 0xF0); /* only CR8[3:0] */
	wr(a, TPR, 0x1FF);
	T_EQ(rd(a, TPR), 0xFF); /* bits 31:8 reserved */
	wr(a, TPR, 0x20);
	lapic_deliver(a, LAPIC_DM_FIXED, 0x71, false);
	T_EQ(lapic_intr_ack(a), 0x71);
	T_EQ(rd(a, PPR), 0x70); /* ISR class above TPR */
	wr(a, TPR, 0x85);
	T_EQ(rd(a, PPR), 0x85);
	wr(a, TPR, 0x7F);
	T_EQ(rd(a, PPR), 0x7F); /* TPR[7:4] >= ISRV[7:4]: the whole TPR */
	wr(a, EOI, 0);
	wr(a, TPR, 0);
	T_EQ(rd(a, PPR), 0);
	teardown();
}

/* SDM 10.8.3.1: an IRR vector is dispatched only if its class > PPR's. */
static void test_priority_masking(void)
{
	struct lapic *a = setup(1);
	wr(a, TPR, 0x50);
	lapic_deliver(a, LAPIC_DM_FIXED, 0x45, false);
	lapic_deliver(a, LAPIC_DM_FIXED, 0x5F, false);
	T_EQ(lapic_intr_pending(a), -1);
	T_CHECK(irr_has(a, 0x45) && irr_has(a, 0x5F), "both latched in IRR");
	T_EQ(lapic_intr_ack(a), 0xFF); /* nothing deliverable: spurious vector */
	int kicks = w.cpu[0].kicks;
	wr(a, TPR, 0x40);
	T_EQ(lapic_intr_pending(a), 0x5F);
	T_CHECK(w.cpu[0].kicks > kicks, "lowering TPR kicks the vCPU");
	T_EQ(lapic_intr_ack(a), 0x5F);
	T_EQ(lapic_intr_pending(a), -1); /* 0x45 is below the ISR's class 5 */
	lapic_deliver(a, LAPIC_DM_FIXED, 0x60, false);
	T_EQ(lapic_intr_ack(a), 0x60);	    /* nests above 0x5F */
	T_EQ(rd(a, ISR0 + 0x30), 1u << 0);  /* 0x60 */
	T_EQ(rd(a, ISR0 + 0x20), 1u << 31); /* 0x5F */
	wr(a, EOI, 0);
	T_EQ(rd(a, ISR0 + 0x30), 0); /* EOI retires the highest */
	wr(a, EOI, 0);
	wr(a, TPR, 0);
	T_EQ(lapic_intr_ack(a), 0x45);
	T_EQ(rd(a, APR), 0x40);
	teardown();
}

/* SDM 10.8.4-5: TMR follows the trigger mode; a level EOI reaches the IOAPIC. */
static void test_eoi_level(void)
{
	struct lapic *a = setup(1);
	lapic_deliver(a, LAPIC_DM_FIXED, 0x61, true);
	lapic_deliver(a, LAPIC_DM_FIXED, 0x62, false);
	T_EQ(rd(a, TMR0 + 0x30), 1u << 1);
	T_EQ(lapic_intr_ack(a), 0x62);
	/* 0x61 is in 0x62's priority class: it waits for the EOI. */
	T_EQ(lapic_intr_ack(a), 0xFF);
	T_CHECK(irr_has(a, 0x61), "still requested");
	wr(a, EOI, 0);
	T_EQ(lapic_intr_ack(a), 0x61);
	teardown();
	a = setup(1);
	lapic_deliver(a, LAPIC_DM_FIXED, 0x61, true);
	T_EQ(lapic_intr_ack(a), 0x61);
	lapic_deliver(a, LAPIC_DM_FIXED, 0x91, false);
	T_EQ(lapic_intr_ack(a), 0x91);
	wr(a, EOI, 0);
	T_EQ(w.cpu[0].eois, 0); /* edge: no broadcast */
	wr(a, EOI, 0);
	T_EQ(w.cpu[0].eois, 1);
	T_EQ(w.cpu[0].last_eoi, 0x61);
	wr(a, EOI, 0); /* ISR empty: nothing */
	T_EQ(w.cpu[0].eois, 1);
	teardown();
}

/* SDM 10.4.7.2: software disable sets and holds every LVT mask; fixed
 * interrupts are not accepted, NMI and INIT still are. */
static void test_software_disable(void)
{
	struct lapic *a = setup(1);
	wr(a, LVTT, 0x20);
	T_EQ(rd(a, LVTT), 0x20);
	wr(a, SVR, 0xFF);
	for (unsigned off = LVTT; off <= LVTE; off += 16)
		T_CHECK(rd(a, off) & 0x10000, "LVT %#x masked", off);
	wr(a, LVTT, 0x20);
	T_EQ(rd(a, LVTT), 0x10020);
	T_CHECK(!lapic_extint_enabled(a), "LINT0 masked");
	lapic_deliver(a, LAPIC_DM_FIXED, 0x40, false);
	T_CHECK(!irr_has(a, 0x40), "fixed interrupt dropped while disabled");
	lapic_deliver(a, LAPIC_DM_NMI, 0, false);
	T_CHECK(lapic_nmi_pending(a), "NMI accepted while disabled");
	lapic_nmi_ack(a);
	T_CHECK(!lapic_nmi_pending(a), "NMI acknowledged");
	wr(a, SVR, 0x1FF);
	wr(a, LVTT, 0x20);
	T_EQ(rd(a, LVTT), 0x20);
	teardown();
}

/* SDM 10.5.4: one-shot, divide configuration, current count. */
static void test_timer_oneshot(void)
{
	struct lapic *a = setup(1);
	struct cpu *c = &w.cpu[0];
	wr(a, TDCR, 0x1); /* divide by 4 */
	wr(a, LVTT, 0x30);
	uint64_t t0 = w.now;
	wr(a, TMICT, 1000);
	T_EQ(rd(a, TMICT), 1000);
	T_EQ(rd(a, TMCCT), 1000);
	T_EQ(c->armed, t0 + 4000);
	w.now = t0 + 400;
	T_EQ(rd(a, TMCCT), 900);
	w.now = t0 + 3999;
	T_EQ(rd(a, TMCCT), 1);
	lapic_timer_expired(a); /* early: nothing */
	T_CHECK(!irr_has(a, 0x30), "no interrupt before the deadline");
	T_EQ(c->armed, t0 + 4000);
	w.now = t0 + 5000;
	lapic_timer_expired(a);
	T_CHECK(irr_has(a, 0x30), "interrupt at terminal count");
	T_EQ(rd(a, TMCCT), 0);
	T_EQ(c->armed, UINT64_MAX);
	T_EQ(lapic_intr_ack(a), 0x30);
	lapic_timer_expired(a); /* stale: no second interrupt */
	T_CHECK(!irr_has(a, 0x30), "one-shot fires once");
	/* Divide by 1 (0xB) and by 128 (0xA). */
	wr(a, TDCR, 0xB);
	wr(a, TMICT, 10);
	T_EQ(c->armed, w.now + 10);
	wr(a, TDCR, 0xA);
	T_EQ(rd(a, TDCR), 0xA);
	T_EQ(c->armed, w.now + 1280);
	wr(a, TDCR, 0xFF);
	T_EQ(rd(a, TDCR), 0xB); /* bits 0, 1, 3 only */
	/* Initial count 0 stops the timer. */
	wr(a, TMICT, 0);
	T_EQ(c->armed, UINT64_MAX);
	T_EQ(rd(a, TMCCT), 0);
	teardown();
}

/* Periodic mode reloads; missed periods coalesce; the floor on the rate. */
static void test_timer_periodic(void)
{
	struct lapic *a = setup(1);
	struct cpu *c = &w.cpu[0];
	wr(a, TDCR, 0xB);
	wr(a, LVTT, 0x20031); /* periodic, vector 0x31 */
	uint64_t t0 = w.now;
	wr(a, TMICT, 100000);
	T_EQ(c->armed, t0 + 100000);
	w.now = t0 + 100000;
	T_EQ(rd(a, TMCCT), 100000); /* reloaded */
	lapic_timer_expired(a);
	T_EQ(lapic_intr_ack(a), 0x31);
	T_EQ(c->armed, t0 + 200000);
	w.now = t0 + 250000;
	T_EQ(rd(a, TMCCT), 50000);
	w.now = t0 + 750000; /* several periods late: one interrupt */
	lapic_timer_expired(a);
	T_CHECK(irr_has(a, 0x31), "late tick delivered");
	T_EQ(c->armed, t0 + 800000);
	/* Masked: the timer counts but sleeps; unmasking skips lost ticks. */
	wr(a, EOI, 0);
	lapic_intr_ack(a);
	wr(a, EOI, 0);
	wr(a, LVTT, 0x30031);
	T_EQ(c->armed, UINT64_MAX);
	w.now = t0 + 1050000;
	T_EQ(rd(a, TMCCT), 50000);
	wr(a, LVTT, 0x20031);
	T_EQ(c->armed, t0 + 1100000);
	T_CHECK(!irr_has(a, 0x31), "masked ticks are lost");
	/* A period of 1 tick: the count is exact, interrupts are rate-limited. */
	wr(a, TMICT, 1);
	T_EQ(c->armed, w.now + 1);
	w.now += 5;
	lapic_timer_expired(a);
	T_EQ(c->armed, w.now - 4 + LAPIC_MIN_PERIOD_NS);
	teardown();
}

/* SDM 10.5.4.1: TSC-deadline mode. */
static void test_timer_tsc_deadline(void)
{
	struct lapic *a = setup(1);
	struct cpu *c = &w.cpu[0];
	w.tsc = 5000;
	T_EQ(lapic_wrmsr(a, MSR_IA32_TSC_DEADLINE, 9000), 0); /* one-shot mode: ignored */
	T_EQ(rdmsr(a, MSR_IA32_TSC_DEADLINE), 0);
	wr(a, LVTT, 0x40040); /* TSC-deadline, vector 0x40 */
	T_EQ(lapic_wrmsr(a, MSR_IA32_TSC_DEADLINE, 9000), 0);
	T_EQ(rdmsr(a, MSR_IA32_TSC_DEADLINE), 9000);
	T_EQ(c->armed, w.now + 2000); /* 4000 cycles at 2 GHz */
	wr(a, TMICT, 1234);
	T_EQ(rd(a, TMICT), 0); /* ignored in this mode */
	T_EQ(rd(a, TMCCT), 0);
	w.tsc = 8999;
	w.now += 1999;
	lapic_timer_expired(a);
	T_CHECK(!irr_has(a, 0x40), "not yet");
	T_EQ(c->armed, w.now + 1);
	w.tsc = 9000;
	w.now += 1;
	lapic_timer_expired(a);
	T_CHECK(irr_has(a, 0x40), "fired at the deadline");
	T_EQ(rdmsr(a, MSR_IA32_TSC_DEADLINE), 0); /* cleared on firing */
	T_EQ(c->armed, UINT64_MAX);
	/* A deadline in the past fires at once; 0 disarms. */
	lapic_intr_ack(a);
	wr(a, EOI, 0);
	T_EQ(lapic_wrmsr(a, MSR_IA32_TSC_DEADLINE, 100), 0);
	T_CHECK(irr_has(a, 0x40), "past deadline fires immediately");
	T_EQ(lapic_wrmsr(a, MSR_IA32_TSC_DEADLINE, 1ULL << 40), 0);
	T_CHECK(c->armed != UINT64_MAX, "armed");
	T_EQ(lapic_wrmsr(a, MSR_IA32_TSC_DEADLINE, 0), 0);
	T_EQ(c->armed, UINT64_MAX);
	/* Leaving the mode disarms. */
	T_EQ(lapic_wrmsr(a, MSR_IA32_TSC_DEADLINE, 1ULL << 40), 0);
	wr(a, LVTT, 0x40);
	T_EQ(c->armed, UINT64_MAX);
	T_EQ(rdmsr(a, MSR_IA32_TSC_DEADLINE), 0);
	teardown();
}

/* SDM 10.5.3: illegal vectors set ESR bits and are not delivered; ESR
 * shows what was seen before the last write. */
static void test_esr_illegal_vectors(void)
{
	struct lapic *a = setup(2);
	wr(a, LVTE, 0xE0);
	wr(a, ICRHI, 1u << 24);
	wr(a, ICRLO, 0x4005); /* fixed, vector 5 */
	T_EQ(w.ipis, 0);
	T_EQ(rd(a, ESR), 0); /* not latched until written */
	wr(a, ESR, 0);
	T_EQ(rd(a, ESR), 0x20); /* send illegal vector */
	T_CHECK(irr_has(a, 0xE0), "error interrupt");
	wr(a, ESR, 0);
	T_EQ(rd(a, ESR), 0);
	lapic_deliver(a, LAPIC_DM_FIXED, 15, false);
	T_CHECK(!irr_has(a, 15), "vector 15 not accepted");
	wr(a, ESR, 0);
	T_EQ(rd(a, ESR), 0x40); /* receive illegal vector */
	/* An LVT entry with an illegal vector, and an illegal error vector. */
	wr(a, LVTE, 0x02);
	wr(a, TDCR, 0xB);
	wr(a, LVTT, 0x03);
	wr(a, TMICT, 1);
	w.now += 1;
	lapic_timer_expired(a);
	wr(a, ESR, 0);
	T_EQ(rd(a, ESR), 0x40);
	T_EQ(lapic_intr_pending(a), 0xE0); /* only the earlier error interrupt */
	/* A reserved register (0x2F0, no CMCI) sets bit 7; the error vector
	 * 2 is itself illegal, which adds bit 6. */
	T_EQ(rd(a, 0x2F0), 0);
	wr(a, ESR, 0);
	T_EQ(rd(a, ESR), 0xC0);
	wr(a, LVTE, 0x10000);
	T_EQ(rd(a, 0x2F0), 0);
	wr(a, ESR, 0);
	T_EQ(rd(a, ESR), 0x80);
	teardown();
}

/* SDM 10.6: IPIs between four APICs (physical, logical flat and cluster,
 * shorthands, NMI, lowest priority). */
static void test_ipi_destinations(void)
{
	struct lapic *a = setup(NCPU);
	for (unsigned i = 0; i < NCPU; i++)
		wr(w.cpu[i].apic, LDR, (1u << i) << 24);
	/* Physical. */
	wr(a, ICRHI, 2u << 24);
	wr(a, ICRLO, 0x41);
	T_CHECK(irr_has(w.cpu[2].apic, 0x41), "physical to 2");
	T_CHECK(!irr_has(w.cpu[1].apic, 0x41) && !irr_has(a, 0x41), "only 2");
	T_EQ(rd(a, ICRLO) & (1u << 12), 0); /* delivery status idle */
	/* Logical flat: bits 1 and 3. */
	wr(a, ICRHI, 0x0Au << 24);
	wr(a, ICRLO, 0x842);
	T_CHECK(irr_has(w.cpu[1].apic, 0x42) && irr_has(w.cpu[3].apic, 0x42), "flat 1, 3");
	T_CHECK(!irr_has(w.cpu[2].apic, 0x42), "not 2");
	/* Logical cluster: cluster 1, members bit 0. */
	for (unsigned i = 0; i < NCPU; i++) {
		wr(w.cpu[i].apic, DFR, 0x0FFFFFFF);
		wr(w.cpu[i].apic, LDR, (i < 2 ? 0x10u : 0x20u) << 24 | (1u << (i & 1)) << 24);
	}
	T_EQ(rd(a, DFR), 0x0FFFFFFF);
	wr(a, ICRHI, 0x21u << 24);
	wr(a, ICRLO, 0x843);
	T_CHECK(irr_has(w.cpu[2].apic, 0x43), "cluster 2 member 0");
	T_CHECK(!irr_has(w.cpu[0].apic, 0x43) && !irr_has(w.cpu[3].apic, 0x43), "only it");
	/* Shorthands. */
	wr(a, ICRLO, 0x40044); /* self */
	T_CHECK(irr_has(a, 0x44) && !irr_has(w.cpu[1].apic, 0x44), "self");
	wr(a, ICRLO, 0xC0045); /* all but self */
	T_CHECK(!irr_has(a, 0x45) && irr_has(w.cpu[3].apic, 0x45), "others");
	wr(a, ICRLO, 0x80046); /* all including self */
	for (unsigned i = 0; i < NCPU; i++)
		T_CHECK(irr_has(w.cpu[i].apic, 0x46), "all: %u", i);
	/* Physical broadcast 0xFF. */
	wr(a, ICRHI, 0xFFu << 24);
	wr(a, ICRLO, 0x47);
	for (unsigned i = 0; i < NCPU; i++)
		T_CHECK(irr_has(w.cpu[i].apic, 0x47), "broadcast: %u", i);
	/* NMI. */
	wr(a, ICRHI, 3u << 24);
	wr(a, ICRLO, 0x400);
	T_CHECK(lapic_nmi_pending(w.cpu[3].apic) && !lapic_nmi_pending(w.cpu[2].apic), "NMI");
	/* Lowest priority among 1, 2, 3: with IRR and ISR empty, APR = TPR
	 * (SDM 10.6.2.4), and CPU 2 has the lowest. */
	for (unsigned i = 0; i < NCPU; i++)
		while (lapic_intr_pending(w.cpu[i].apic) >= 0) {
			lapic_intr_ack(w.cpu[i].apic);
			wr(w.cpu[i].apic, EOI, 0);
		}
	wr(w.cpu[1].apic, TPR, 0x30);
	wr(w.cpu[3].apic, TPR, 0x50);
	wr(w.cpu[2].apic, TPR, 0x10);
	wr(a, ICRLO, 0xC0148);
	T_CHECK(irr_has(w.cpu[2].apic, 0x48), "lowest priority picks 2");
	T_CHECK(!irr_has(w.cpu[1].apic, 0x48) && !irr_has(w.cpu[3].apic, 0x48), "only 2");
	T_EQ(rd(w.cpu[2].apic, APR), 0x40); /* 0x48's class is above TPR */
	teardown();
}

/* SDM 8.4.4.1 / 10.6.1: INIT resets the target's APIC, one SIPI starts it,
 * a second SIPI is ignored; INIT level de-assert is not sent. */
static void test_init_sipi(void)
{
	struct lapic *a = setup(2), *ap = w.cpu[1].apic;
	wr(ap, TPR, 0x20);
	wr(a, ICRHI, 1u << 24);
	wr(a, ICRLO, 0xC500); /* INIT, level assert */
	T_CHECK(lapic_take_init(ap), "INIT arrived");
	T_CHECK(!lapic_take_init(ap), "once");
	T_EQ(rd(ap, TPR), 0);	    /* reset by INIT */
	T_EQ(rd(ap, ID), 1u << 24); /* except the ID */
	int ipis = w.ipis;
	wr(a, ICRLO, 0x8500); /* INIT level de-assert */
	T_EQ(w.ipis, ipis);
	wr(a, ICRLO, 0x4610); /* SIPI vector 0x10 */
	wr(a, ICRLO, 0x4620); /* second SIPI: the AP is running */
	T_EQ(lapic_take_sipi(ap), 0x10);
	T_EQ(lapic_take_sipi(ap), -1);
	T_CHECK(!lapic_take_init(a), "the sender is untouched");
	teardown();
}

/* SDM 10.12.5: IA32_APIC_BASE transitions. */
static void test_apic_base_transitions(void)
{
	struct lapic *a = setup(1);
	T_EQ(lapic_wrmsr(a, MSR_IA32_APIC_BASE, 0xFEE00000 | APIC_BASE_EXTD), -1); /* invalid */
	T_EQ(lapic_wrmsr(a, MSR_IA32_APIC_BASE, 0xFEE00000 | (1ULL << 9)), -1);	   /* reserved */
	T_EQ(lapic_wrmsr(a, MSR_IA32_APIC_BASE, 1ULL << 63), -1);
	T_EQ(lapic_rdmsr(a, 0x802, &(uint64_t){0}), -1); /* xAPIC: no x2APIC MSRs */
	wr(a, TPR, 0x40);
	/* Disable: state reset, MMIO gone, deliveries dropped. */
	T_EQ(lapic_wrmsr(a, MSR_IA32_APIC_BASE, 0xFEE00000), 0);
	T_EQ(rdmsr(a, MSR_IA32_APIC_BASE), 0xFEE00100); /* BSP flag kept */
	T_EQ(lapic_mmio_base(a), UINT64_MAX);
	T_EQ(lapic_mmio_read(a, TPR, 4), 0xFFFFFFFF);
	T_CHECK(lapic_extint_enabled(a), "no APIC: INTR goes straight to the CPU");
	lapic_deliver(a, LAPIC_DM_NMI, 0, false);
	T_CHECK(!lapic_nmi_pending(a), "a disabled APIC takes nothing");
	T_EQ(lapic_wrmsr(a, MSR_IA32_APIC_BASE, 0xFEE00000 | APIC_BASE_EN | APIC_BASE_EXTD), -1);
	/* Re-enable at a new base: reset values. */
	T_EQ(lapic_wrmsr(a, MSR_IA32_APIC_BASE, 0xFED00000 | APIC_BASE_EN), 0);
	T_EQ(lapic_mmio_base(a), 0xFED00000);
	T_EQ(rd(a, TPR), 0);
	T_EQ(rd(a, SVR), 0xFF);
	T_EQ(rd(a, LINT0), 0x10000);
	/* To x2APIC, then not back to xAPIC directly. */
	T_EQ(lapic_wrmsr(a, MSR_IA32_APIC_BASE, 0xFEE00000 | APIC_BASE_EN | APIC_BASE_EXTD), 0);
	T_EQ(lapic_mmio_base(a), UINT64_MAX);
	T_EQ(lapic_wrmsr(a, MSR_IA32_APIC_BASE, 0xFEE00000 | APIC_BASE_EN), -1);
	T_EQ(lapic_wrmsr(a, MSR_IA32_APIC_BASE, 0xFEE00000), 0);
	T_EQ(lapic_wrmsr(a, MSR_IA32_APIC_BASE, 0xFEE00000 | APIC_BASE_EN), 0);
	T_EQ(rd(a, VER), LAPIC_VERSION);
	teardown();
}

/* SDM 10.12: x2APIC registers as MSRs, with #GP for what is not there. */
static void test_x2apic_msrs(void)
{
	struct lapic *a = setup(NCPU);
	uint64_t v;
	for (unsigned i = 0; i < NCPU; i++) {
		struct lapic *x = w.cpu[i].apic;
		uint64_t base = rdmsr(x, MSR_IA32_APIC_BASE);
		T_EQ(lapic_wrmsr(x, MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD), 0);
		T_EQ(lapic_wrmsr(x, 0x80F, 0x1FF), 0);
	}
	T_EQ(rdmsr(w.cpu[3].apic, 0x802), 3);	       /* 32-bit ID */
	T_EQ(rdmsr(w.cpu[3].apic, 0x80D), 0x00000008); /* cluster 0, bit 3 */
	T_EQ(rdmsr(a, 0x803), LAPIC_VERSION);
	T_EQ(lapic_mmio_read(a, VER, 4), 0xFFFFFFFF); /* MMIO not decoded */
	/* Reserved / absent registers. */
	static const uint32_t absent[] = {0x800, 0x801, 0x809, 0x80C, 0x80E,
					  0x82F, 0x831, 0x840, 0x8FF};
	for (unsigned i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		T_CHECK(lapic_rdmsr(a, absent[i], &v) == -1, "rdmsr %#x", absent[i]);
		T_CHECK(lapic_wrmsr(a, absent[i], 0) == -1, "wrmsr %#x", absent[i]);
	}
	/* Write-only and read-only registers. */
	T_EQ(lapic_rdmsr(a, 0x80B, &v), -1); /* EOI */
	T_EQ(lapic_rdmsr(a, 0x83F, &v), -1); /* SELF IPI */
	static const uint32_t ro[] = {0x802, 0x803, 0x80A, 0x80D, 0x810, 0x818, 0x827, 0x839};
	for (unsigned i = 0; i < sizeof(ro) / sizeof(ro[0]); i++)
		T_CHECK(lapic_wrmsr(a, ro[i], 0) == -1, "wrmsr read-only %#x", ro[i]);
	/* Reserved bits. */
	T_EQ(lapic_wrmsr(a, 0x808, 0x100), -1);
	T_EQ(lapic_wrmsr(a, 0x808, 1ULL << 32), -1);
	T_EQ(lapic_wrmsr(a, 0x80B, 1), -1);	 /* EOI takes only 0 */
	T_EQ(lapic_wrmsr(a, 0x828, 1), -1);	 /* ESR takes only 0 */
	T_EQ(lapic_wrmsr(a, 0x832, 0x1000), -1); /* delivery status is not writable */
	T_EQ(lapic_wrmsr(a, 0x83F, 0x100), -1);
	T_EQ(lapic_wrmsr(a, 0x830, 1u << 12), -1);
	T_EQ(lapic_wrmsr(a, 0x808, 0x70), 0);
	T_EQ(rdmsr(a, 0x808), 0x70);
	T_EQ(lapic_get_cr8(a), 7);
	T_EQ(lapic_wrmsr(a, 0x808, 0), 0);
	/* SELF IPI. */
	T_EQ(lapic_wrmsr(a, 0x83F, 0x55), 0);
	T_EQ(lapic_intr_pending(a), 0x55);
	T_EQ(rdmsr(a, 0x822) >> 21 & 1, 1); /* IRR bit 0x55 */
	/* ICR as one 64-bit register, 32-bit destination. */
	T_EQ(lapic_wrmsr(a, 0x830, 2ULL << 32 | 0x56), 0);
	T_EQ(rdmsr(a, 0x830), 2ULL << 32 | 0x56);
	T_EQ(lapic_intr_pending(w.cpu[2].apic), 0x56);
	T_EQ(lapic_intr_pending(w.cpu[1].apic), -1);
	/* Logical: cluster 0, bits 1 and 3. */
	T_EQ(lapic_wrmsr(a, 0x830, 0xAULL << 32 | 0x857), 0);
	T_EQ(lapic_intr_pending(w.cpu[1].apic), 0x57);
	T_EQ(lapic_intr_pending(w.cpu[3].apic), 0x57);
	T_CHECK(!lapic_match_dest(w.cpu[1].apic, 0x10002, true, 0, false), "other cluster");
	T_CHECK(lapic_match_dest(w.cpu[1].apic, 0xFFFFFFFF, false, 0, false), "broadcast");
	T_CHECK(!lapic_match_dest(w.cpu[1].apic, 0xFF, false, 0, false), "0xFF is an ID here");
	/* EOI and ESR through MSRs. */
	T_EQ(lapic_intr_ack(a), 0x55);
	T_EQ(lapic_wrmsr(a, 0x80B, 0), 0);
	T_EQ(rdmsr(a, 0x810 + 2), 0);
	T_EQ(lapic_wrmsr(a, 0x830, 0x3), 0); /* illegal vector */
	T_EQ(lapic_wrmsr(a, 0x828, 0), 0);
	T_EQ(rdmsr(a, 0x828), 0x20);
	teardown();
}

/* MMIO widths: registers are the low 4 bytes of each 16-byte slot. */
static void test_mmio_widths(void)
{
	struct lapic *a = setup(2), *ap = w.cpu[1].apic;
	T_EQ(lapic_mmio_read(ap, ID + 3, 1), 1);
	T_EQ(lapic_mmio_read(a, VER, 2), 0x0014);
	T_EQ(lapic_mmio_read(a, VER + 2, 1), 0x05);
	T_EQ(lapic_mmio_read(a, VER, 8), 0x50014); /* bytes 4-7 of the slot read 0 */
	T_EQ(lapic_mmio_read(a, VER + 4, 4), 0);
	lapic_mmio_write(a, TPR, 1, 0x80); /* byte stores are dropped */
	T_EQ(rd(a, TPR), 0);
	lapic_mmio_write(a, TPR + 4, 4, 0x80);
	T_EQ(rd(a, TPR), 0);
	lapic_mmio_write(a, TPR, 8, 0xFFFFFFFF00000090ULL);
	T_EQ(rd(a, TPR), 0x90);
	T_EQ(lapic_mmio_read(a, 0x1000, 4), 0); /* beyond the page */
	teardown();
}

/* Snapshots round-trip; malformed buffers are rejected. */
static void test_save_load(void)
{
	struct lapic *a = setup(2), *b = w.cpu[1].apic;
	wr(a, TPR, 0x20);
	wr(a, TDCR, 0xB);
	wr(a, LVTT, 0x20033);
	wr(a, TMICT, 500000);
	lapic_deliver(a, LAPIC_DM_FIXED, 0x91, true);
	size_t n = lapic_save(a, NULL, 0);
	unsigned char buf[1024];
	T_CHECK(n <= sizeof(buf), "size %zu", n);
	T_EQ(lapic_save(a, buf, sizeof(buf)), n);
	T_EQ(lapic_load(b, buf, n), 0);
	T_EQ(rd(b, TPR), 0x20);
	T_EQ(rd(b, LVTT), 0x20033);
	T_EQ(rd(b, TMCCT), 500000);
	T_EQ(w.cpu[1].armed, w.now + 500000);
	T_EQ(lapic_intr_pending(b), 0x91);
	T_EQ(lapic_load(b, buf, n - 1), -EINVAL);
	buf[0] ^= 1;
	T_EQ(lapic_load(b, buf, n), -EINVAL);
	buf[0] ^= 1;
	buf[4 + 8 * 0 + 1] |= 0x02; /* APIC base bit 9: reserved */
	T_EQ(lapic_load(b, buf, n), -EINVAL);
	teardown();
}

int main(void)
{
	T_RUN(test_reset_state);
	T_RUN(test_tpr_ppr_cr8);
	T_RUN(test_priority_masking);
	T_RUN(test_eoi_level);
	T_RUN(test_software_disable);
	T_RUN(test_timer_oneshot);
	T_RUN(test_timer_periodic);
	T_RUN(test_timer_tsc_deadline);
	T_RUN(test_esr_illegal_vectors);
	T_RUN(test_ipi_destinations);
	T_RUN(test_init_sipi);
	T_RUN(test_apic_base_transitions);
	T_RUN(test_x2apic_msrs);
	T_RUN(test_mmio_widths);
	T_RUN(test_save_load);
	T_EXIT();
}
