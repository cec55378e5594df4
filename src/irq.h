/*
 * irq.h - the VM's interrupt router: the one place interrupt messages are
 * routed, whichever engine runs.  Devices drive lines (struct irq_line);
 * the router delivers ISA IRQs to the 8259A pair and to IOAPIC pins, IOAPIC
 * and MSI messages and IPIs to the local APICs of the vCPUs they name, and
 * answers each vCPU's "is an interrupt pending / acknowledge it".  Not a
 * device model (pic.c, ioapic.c, lapic.c are); see ARCHITECTURE.md,
 * "Interrupt routing".
 *
 * Two back ends.  ember's models (the emulator): the router creates the
 * 8259A pair, the IOAPIC (ID = number of vCPUs) and one local APIC per vCPU
 * (with its timer on the VM clock) and routes between them.  An in-kernel irqchip (KVM): the
 * kernel's PIC, IOAPIC and local APICs are those devices; lines go to ops->kernel_line
 * (KVM_IRQ_LINE) and MSIs to ops->kernel_msi (KVM_SIGNAL_MSI), and the router holds no models.
 */
#ifndef EMBER_IRQ_H
#define EMBER_IRQ_H

#include <stdbool.h>
#include <stdint.h>

struct vclock;
struct pic;
struct ioapic;
struct lapic;
struct device_registry;

/* Router inputs: 0-15 are ISA IRQs (8259A input n; IOAPIC pin n, except
 * IRQ0, the PIT, on pin 2: the MP table's and MADT's interrupt source
 * override; IRQ2 is the cascade and reaches no pin); 16-23 are GSIs wired
 * to IOAPIC pins 16-23 only (PCI INTx#).  A level is always the logical
 * one (1: asserted), as KVM_IRQ_LINE takes it; the router drives the PCI
 * wires of its IOAPIC model active low (idle high, the _PRT's and MP
 * table's polarity). */
#define IRQ_NR_INPUTS 24

struct irq_router_ops {
	void *opaque;
	/* Something became deliverable to vCPU cpu: wake it (from any thread). */
	void (*kick)(void *opaque, int cpu);
	/* In-kernel irqchip: both set means the router holds no models. 0 or
	 * -errno; the router reports a failure through ops->error. */
	int (*kernel_line)(void *opaque, unsigned input, int level);
	int (*kernel_msi)(void *opaque, uint64_t addr, uint32_t data);
	/* A line or message could not be delivered (the kernel refused it). */
	void (*error)(void *opaque, const char *what, int err);
};

struct irq_router;

/* Models for ncpus vCPUs (APIC IDs 0..ncpus-1, 0 the BSP), timers on clock;
 * none when ops has kernel_line/kernel_msi.  0 or -errno. */
int irq_router_create(struct irq_router **out, int ncpus, struct vclock *clock,
		      const struct irq_router_ops *ops);
/* Frees the router, its timers and the models not handed to a registry. */
void irq_router_destroy(struct irq_router *r);
/* Hand the models to the VM's device registry ("pic", "ioapic", "lapicN"),
 * which resets, saves, loads and destroys them from then on.  0, -ENOSPC. */
int irq_router_register(struct irq_router *r, struct device_registry *reg);

/* The models (NULL under an in-kernel irqchip); the router wires them. */
struct pic *irq_pic(struct irq_router *r);
struct ioapic *irq_ioapic(struct irq_router *r);
struct lapic *irq_lapic(struct irq_router *r, int cpu);

/* A device's interrupt output. */
struct irq_line {
	struct irq_router *router;
	unsigned input; /* see IRQ_NR_INPUTS */
};
void irq_set(struct irq_router *r, unsigned input, int level);
static inline void irq_line_set(const struct irq_line *l, int level)
{
	irq_set(l->router, l->input, level);
}
/* Edge-triggered devices: one rising edge. */
static inline void irq_line_pulse(const struct irq_line *l)
{
	irq_set(l->router, l->input, 1);
	irq_set(l->router, l->input, 0);
}

/* An MSI write (address 0xFEExxxxx, data): PCI MSI/MSI-X, SDM 10.11. */
void irq_msi(struct irq_router *r, uint64_t addr, uint32_t data);

/* The CPU side, for the emulator: a maskable interrupt for this vCPU (its
 * local APIC's IRR above PPR, or on the BSP the 8259A's INTR through LINT0
 * in ExtINT mode), and the acknowledge cycle (vector, or -1). */
bool irq_cpu_pending(struct irq_router *r, int cpu);
int irq_cpu_ack(struct irq_router *r, int cpu);

#endif
