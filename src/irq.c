/*
 * irq.c - the interrupt router (see irq.h): ISA IRQs to the 8259A pair and
 * the IOAPIC, interrupt messages (IOAPIC, MSI, IPIs) to local APICs by
 * destination, and each vCPU's pending/acknowledge.  Not the controllers'
 * register semantics.  Message routing follows the Intel SDM vol. 3A,
 * 10.6.2 (destination modes), 10.11 (MSI format), 10.6.2.4 (lowest priority).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "devices/device.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "devices/pic.h"
#include "irq.h"

struct irq_cpu {
	struct irq_router *router;
	int id;
	struct lapic *lapic;
	struct vtimer *timer; /* the local APIC timer */
	char name[16];	      /* "lapic0"...: its registry name */
	bool registered;      /* the registry destroys it */
};

struct irq_router {
	struct irq_router_ops ops;
	struct vclock *clock;
	int ncpus;
	bool kernel; /* in-kernel irqchip: no models here */
	struct pic *pic;
	struct ioapic *ioapic;
	bool pic_registered, ioapic_registered;
	struct irq_cpu *cpu;
};

DEVICE_OPS(ioapic);
DEVICE_OPS(lapic);

static void irq_kick(struct irq_router *r, int cpu)
{
	if (r->ops.kick)
		r->ops.kick(r->ops.opaque, cpu);
}

/* ---- local APIC glue ---- */

static uint64_t irq_lapic_now(void *opaque)
{
	struct irq_cpu *c = opaque;
	return vclock_now(c->router->clock);
}

static void irq_lapic_timer_arm(void *opaque, uint64_t deadline_ns)
{
	struct irq_cpu *c = opaque;
	vtimer_arm(c->timer, deadline_ns);
}

static void irq_lapic_timer_fire(void *opaque)
{
	struct irq_cpu *c = opaque;
	lapic_timer_expired(c->lapic); /* a stale call is harmless */
}

static void irq_lapic_kick(void *opaque)
{
	struct irq_cpu *c = opaque;
	irq_kick(c->router, c->id);
}

/*
 * One interrupt message to every local APIC it names (SDM 10.6.2).
 * Lowest priority goes to the one matching APIC with the lowest
 * arbitration priority (the first of equals).  sender: the APIC that sent
 * an IPI, -1 for the IOAPIC and MSIs.
 */
static void irq_route(struct irq_router *r, uint32_t dest, bool logical, unsigned shorthand,
		      int sender, unsigned mode, uint8_t vector, bool level_trig)
{
	int lowest = -1;
	uint8_t lowest_apr = 0;
	for (int i = 0; i < r->ncpus; i++) {
		struct lapic *l = r->cpu[i].lapic;
		if (!lapic_match_dest(l, dest, logical, shorthand, i == sender))
			continue;
		if (mode == LAPIC_DM_LOWEST) {
			uint8_t apr = lapic_arb_priority(l);
			if (lowest < 0 || apr < lowest_apr) {
				lowest = i;
				lowest_apr = apr;
			}
			continue;
		}
		lapic_deliver(l, mode, vector, level_trig);
	}
	if (lowest >= 0)
		lapic_deliver(r->cpu[lowest].lapic, mode, vector, level_trig);
}

static void irq_lapic_send_ipi(void *opaque, uint32_t icr_lo, uint32_t dest)
{
	struct irq_cpu *c = opaque;
	irq_route(c->router, dest, LAPIC_ICR_LOGICAL(icr_lo), LAPIC_ICR_SHORTHAND(icr_lo), c->id,
		  LAPIC_ICR_MODE(icr_lo), LAPIC_ICR_VECTOR(icr_lo), LAPIC_ICR_LEVEL_TRIG(icr_lo));
}

/* EOI of a level-triggered vector: the IOAPIC clears remote IRR. */
static void irq_lapic_eoi(void *opaque, uint8_t vector)
{
	struct irq_cpu *c = opaque;
	ioapic_eoi(c->router->ioapic, vector);
}

static void irq_from_ioapic(void *opaque, uint32_t dest, bool logical, unsigned mode,
			    uint8_t vector, bool level_trig)
{
	irq_route(opaque, dest, logical, LAPIC_SH_NONE, -1, mode, vector, level_trig);
}

static void irq_pic_output(void *opaque, int level)
{
	struct irq_router *r = opaque;
	if (level)
		irq_kick(r, 0); /* the 8259A's INTR is wired to the BSP's LINT0 */
}

/* ---- creation ---- */

int irq_router_create(struct irq_router **out, int ncpus, struct vclock *clock,
		      const struct irq_router_ops *ops)
{
	struct irq_router *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	*out = r;
	r->ops = *ops;
	r->clock = clock;
	r->kernel = ops->kernel_line && ops->kernel_msi;
	if (r->kernel)
		return 0;
	r->pic = pic_create();
	r->cpu = calloc(ncpus, sizeof(*r->cpu));
	/* The IOAPIC's ID follows the CPUs' APIC IDs, as the MADT and the MP
	 * table say. */
	const struct ioapic_ops iops = {.opaque = r, .deliver = irq_from_ioapic};
	r->ioapic = ioapic_create((uint8_t)ncpus, &iops);
	if (!r->pic || !r->cpu || !r->ioapic)
		return -ENOMEM;
	pic_set_output(r->pic, irq_pic_output, r);
	for (unsigned pin = 16; pin < IRQ_NR_INPUTS; pin++)
		ioapic_set_irq(r->ioapic, pin, 1); /* PCI INTx# idles high */
	for (int i = 0; i < ncpus; i++) {
		struct irq_cpu *c = &r->cpu[i];
		c->router = r;
		c->id = i;
		c->timer = vtimer_new(clock, irq_lapic_timer_fire, c);
		if (!c->timer)
			return -ENOMEM;
		const struct lapic_ops lops = {
		    .opaque = c,
		    .now_ns = irq_lapic_now,
		    .timer_arm = irq_lapic_timer_arm,
		    .kick = irq_lapic_kick,
		    .send_ipi = irq_lapic_send_ipi,
		    .eoi = irq_lapic_eoi,
		    .tsc = irq_lapic_now, /* the TSC counts guest ns (EMBER_TSC_HZ) */
		};
		c->lapic = lapic_create(i, i == 0, &lops);
		if (!c->lapic)
			return -ENOMEM;
		r->ncpus = i + 1; /* what irq_router_destroy must free */
	}
	return 0;
}

void irq_router_destroy(struct irq_router *r)
{
	if (!r)
		return;
	/* Timers first: a firing timer calls into its APIC. */
	for (int i = 0; i < r->ncpus; i++)
		vtimer_free(r->cpu[i].timer);
	for (int i = 0; i < r->ncpus; i++)
		if (!r->cpu[i].registered)
			lapic_destroy(r->cpu[i].lapic);
	free(r->cpu);
	if (!r->ioapic_registered)
		ioapic_destroy(r->ioapic);
	if (!r->pic_registered)
		pic_destroy(r->pic);
	free(r);
}

int irq_router_register(struct irq_router *r, struct device_registry *reg)
{
	if (r->kernel)
		return 0;
	if (device_add(reg, "pic", r->pic, &pic_device_ops) < 0)
		return -ENOSPC;
	r->pic_registered = true;
	if (device_add(reg, "ioapic", r->ioapic, &ioapic_device_ops) < 0)
		return -ENOSPC;
	r->ioapic_registered = true;
	for (int i = 0; i < r->ncpus; i++) {
		struct irq_cpu *c = &r->cpu[i];
		snprintf(c->name, sizeof(c->name), "lapic%d", i);
		if (device_add(reg, c->name, c->lapic, &lapic_device_ops) < 0)
			return -ENOSPC;
		c->registered = true;
	}
	return 0;
}

struct pic *irq_pic(struct irq_router *r)
{
	return r->pic;
}

struct ioapic *irq_ioapic(struct irq_router *r)
{
	return r->ioapic;
}

struct lapic *irq_lapic(struct irq_router *r, int cpu)
{
	return cpu >= 0 && cpu < r->ncpus ? r->cpu[cpu].lapic : NULL;
}

/* ---- inputs ---- */

void irq_set(struct irq_router *r, unsigned input, int level)
{
	if (input >= IRQ_NR_INPUTS)
		return;
	if (r->kernel) {
		int e = r->ops.kernel_line(r->ops.opaque, input, level);
		if (e < 0 && r->ops.error)
			r->ops.error(r->ops.opaque, "interrupt line", e);
		return;
	}
	if (input < 16)
		pic_set_irq(r->pic, input, level);
	if (input >= 16) /* PCI INTx# wires are active low (idle high) */
		ioapic_set_irq(r->ioapic, input, !level);
	else if (input != 2) /* the cascade: no IOAPIC pin */
		ioapic_set_irq(r->ioapic, input == 0 ? 2 : input, level);
}

void irq_msi(struct irq_router *r, uint64_t addr, uint32_t data)
{
	if (r->kernel) {
		int e = r->ops.kernel_msi(r->ops.opaque, addr, data);
		if (e < 0 && r->ops.error)
			r->ops.error(r->ops.opaque, "MSI", e);
		return;
	}
	/* SDM 10.11.1: a write elsewhere than 0xFEExxxxx is no message. */
	if ((addr >> 20) != 0xFEE)
		return;
	uint32_t dest = (addr >> 12) & 0xFF;
	bool logical = (addr >> 2) & 1;
	irq_route(r, dest, logical, LAPIC_SH_NONE, -1, (data >> 8) & 7, data & 0xFF,
		  (data >> 15) & 1);
}

/* ---- the CPU side ---- */

static bool irq_extint(struct irq_router *r, int cpu)
{
	return cpu == 0 && lapic_extint_enabled(r->cpu[0].lapic) && pic_intr_pending(r->pic);
}

bool irq_cpu_pending(struct irq_router *r, int cpu)
{
	if (r->kernel || cpu < 0 || cpu >= r->ncpus)
		return false;
	return lapic_intr_pending(r->cpu[cpu].lapic) >= 0 || irq_extint(r, cpu);
}

int irq_cpu_ack(struct irq_router *r, int cpu)
{
	if (r->kernel || cpu < 0 || cpu >= r->ncpus)
		return -1;
	struct lapic *l = r->cpu[cpu].lapic;
	if (lapic_intr_pending(l) >= 0)
		return lapic_intr_ack(l);
	if (irq_extint(r, cpu))
		return pic_intr_ack(r->pic); /* ExtINT: the 8259A supplies the vector */
	return -1;
}
