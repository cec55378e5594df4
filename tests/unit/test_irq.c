/*
 * test_irq.c - the interrupt router (src/irq.c) with ember's models for two
 * vCPUs: the 8259A's INTR reaching only the BSP through LINT0 in ExtINT mode,
 * ISA IRQs through IOAPIC redirection entries (IRQ0 on pin 2, level-triggered
 * re-delivery after the EOI while the line stays up), fixed IPIs by physical
 * destination and by shorthand, INIT and SIPI, MSI
 * messages (SDM vol. 3A 10.11), the local APIC timer on the VM clock, and
 * the in-kernel back end receiving lines and MSIs and reporting refusals.
 * Expected values are the SDM's and the 8259A datasheet's.
 */
#include <errno.h>
#include <string.h>

#include "clock.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "devices/pic.h"
#include "irq.h"
#include "t.h"

static int kicks[2];

static void rec_kick(void *opaque, int cpu)
{
	if (cpu >= 0 && cpu < 2)
		kicks[cpu]++;
}

static struct irq_router *router(struct vclock **c)
{
	struct irq_router *r;
	static const struct irq_router_ops ops = {.kick = rec_kick};
	if (vclock_create(c, VCLOCK_VIRTUAL) || irq_router_create(&r, 2, *c, &ops))
		abort();
	memset(kicks, 0, sizeof(kicks));
	/* Software-enabled (SVR 1FFh) as an OS leaves them: at reset they
	 * take no fixed interrupts and keep their LVT entries masked. */
	for (int i = 0; i < 2; i++)
		lapic_mmio_write(irq_lapic(r, i), 0xF0, 4, 0x1FF);
	return r;
}

static void apic_write(struct irq_router *r, int cpu, unsigned reg, uint32_t v)
{
	lapic_mmio_write(irq_lapic(r, cpu), reg, 4, v);
}

/* The PC firmware's 8259A setup: master at vector 0x20, slave at 0x28. */
static void pic_init(struct pic *p)
{
	static const uint8_t m[] = {0x11, 0x20, 0x04, 0x01}, sl[] = {0x11, 0x28, 0x02, 0x01};
	for (int i = 0; i < 4; i++) {
		pic_master_ops.write(p, i ? 1 : 0, 1, m[i]);
		pic_slave_ops.write(p, i ? 1 : 0, 1, sl[i]);
	}
	pic_master_ops.write(p, 1, 1, 0); /* unmask everything */
	pic_slave_ops.write(p, 1, 1, 0);
}

static void test_extint(void)
{
	struct vclock *c;
	struct irq_router *r = router(&c);
	pic_init(irq_pic(r));
	irq_set(r, 4, 1);
	T_CHECK(irq_cpu_pending(r, 0), "the BSP's LINT0 is ExtINT after reset (virtual wire)");
	T_CHECK(!irq_cpu_pending(r, 1), "the 8259A reaches the BSP only");
	T_CHECK(kicks[0] > 0, "the BSP was kicked");
	T_EQ(irq_cpu_ack(r, 0), 0x24);
	irq_set(r, 4, 0);
	pic_master_ops.write(irq_pic(r), 0, 1, 0x20); /* EOI */
	/* LINT0 masked: the 8259A's request no longer reaches the CPU. */
	apic_write(r, 0, 0x350, 0x10700);
	irq_set(r, 3, 1);
	T_CHECK(!irq_cpu_pending(r, 0), "LINT0 masked");
	apic_write(r, 0, 0x350, 0x700);
	T_CHECK(irq_cpu_pending(r, 0), "LINT0 unmasked again");
	T_EQ(irq_cpu_ack(r, 0), 0x23);
	irq_router_destroy(r);
	vclock_destroy(c);
}

static void ioapic_route(struct irq_router *r, unsigned pin, uint32_t lo, uint8_t dest)
{
	struct ioapic *io = irq_ioapic(r);
	ioapic_mmio_write(io, 0x00, 4, 0x11 + 2 * pin);
	ioapic_mmio_write(io, 0x10, 4, (uint32_t)dest << 24);
	ioapic_mmio_write(io, 0x00, 4, 0x10 + 2 * pin);
	ioapic_mmio_write(io, 0x10, 4, lo);
}

static void test_ioapic(void)
{
	struct vclock *c;
	struct irq_router *r = router(&c);
	apic_write(r, 0, 0x350, 0x10700); /* the 8259A out of the way */
	apic_write(r, 1, 0xF0, 0x1FF);
	/* IRQ4 edge to CPU 1, vector 0x34; IRQ0 (the PIT) arrives on pin 2. */
	ioapic_route(r, 4, 0x34, 1);
	ioapic_route(r, 2, 0x32, 0);
	irq_set(r, 4, 1);
	T_EQ(irq_cpu_ack(r, 1), 0x34);
	T_CHECK(!irq_cpu_pending(r, 0), "only CPU 1 was named");
	irq_set(r, 0, 1);
	T_EQ(irq_cpu_ack(r, 0), 0x32);
	apic_write(r, 0, 0xB0, 0);
	/* IRQ9 level-triggered (the SCI) to CPU 0: while the line stays up,
	 * the EOI clears remote IRR and the IOAPIC sends it again. */
	ioapic_route(r, 9, 0x8000 | 0x39, 0);
	irq_set(r, 9, 1);
	T_EQ(irq_cpu_ack(r, 0), 0x39);
	T_CHECK(!irq_cpu_pending(r, 0), "in service, remote IRR set");
	apic_write(r, 0, 0xB0, 0);
	T_EQ(irq_cpu_ack(r, 0), 0x39);
	irq_set(r, 9, 0);
	apic_write(r, 0, 0xB0, 0);
	T_CHECK(!irq_cpu_pending(r, 0), "the line dropped: nothing more");
	irq_router_destroy(r);
	vclock_destroy(c);
}

/* PCI INTx# on GSI 16-23: level, active low (the _PRT's and the MP table's
 * polarity).  irq_set takes the logical level, as KVM_IRQ_LINE does; the
 * idle wire (not asserted) must not interrupt once the entry is unmasked,
 * an asserted one keeps interrupting after each EOI until released. */
static void test_pci_gsi(void)
{
	struct vclock *c;
	struct irq_router *r = router(&c);
	apic_write(r, 0, 0x350, 0x10700);
	ioapic_route(r, 18, 0x8000 | 0x2000 | 0x51, 0); /* level, active low */
	T_CHECK(!irq_cpu_pending(r, 0), "an idle PCI wire interrupts nobody");
	irq_set(r, 18, 1);
	T_EQ(irq_cpu_ack(r, 0), 0x51);
	apic_write(r, 0, 0xB0, 0);
	T_EQ(irq_cpu_ack(r, 0), 0x51); /* still asserted: sent again */
	irq_set(r, 18, 0);
	apic_write(r, 0, 0xB0, 0);
	T_CHECK(!irq_cpu_pending(r, 0), "released: nothing more");
	irq_router_destroy(r);
	vclock_destroy(c);
}

static void test_ipi(void)
{
	struct vclock *c;
	struct irq_router *r = router(&c);
	apic_write(r, 1, 0xF0, 0x1FF); /* the AP's APIC software-enabled */
	/* Fixed, physical destination 1. */
	apic_write(r, 0, 0x310, 1u << 24);
	apic_write(r, 0, 0x300, 0x40);
	T_CHECK(irq_cpu_pending(r, 1), "vector 0x40 at CPU 1");
	T_CHECK(!irq_cpu_pending(r, 0), "not at the sender");
	T_CHECK(kicks[1] > 0, "CPU 1 was kicked");
	T_EQ(irq_cpu_ack(r, 1), 0x40);
	apic_write(r, 1, 0xB0, 0); /* EOI */
	/* All excluding self (shorthand 3). */
	apic_write(r, 0, 0x300, 0xC0000 | 0x51);
	T_EQ(irq_cpu_ack(r, 1), 0x51);
	T_CHECK(lapic_intr_pending(irq_lapic(r, 0)) < 0, "the sender excluded itself");
	apic_write(r, 1, 0xB0, 0);
	/* Self (shorthand 1). */
	apic_write(r, 0, 0x300, 0x40000 | 0x52);
	T_EQ(irq_cpu_ack(r, 0), 0x52);
	irq_router_destroy(r);
	vclock_destroy(c);
}

static void test_init_sipi(void)
{
	struct vclock *c;
	struct irq_router *r = router(&c);
	struct lapic *ap = irq_lapic(r, 1);
	T_EQ(lapic_take_sipi(ap), -1);
	apic_write(r, 0, 0x310, 1u << 24);
	apic_write(r, 0, 0x300, 0x4500); /* INIT, level assert */
	T_CHECK(lapic_take_init(ap), "CPU 1 got the INIT");
	T_CHECK(!lapic_take_init(irq_lapic(r, 0)), "CPU 0 did not");
	apic_write(r, 0, 0x300, 0x4609); /* SIPI, vector 9: start at 0x9000 */
	T_EQ(lapic_take_sipi(ap), 9);
	apic_write(r, 0, 0x300, 0x4609); /* the second SIPI: the CPU runs, ignored */
	T_EQ(lapic_take_sipi(ap), -1);
	irq_router_destroy(r);
	vclock_destroy(c);
}

static void test_msi(void)
{
	struct vclock *c;
	struct irq_router *r = router(&c);
	apic_write(r, 1, 0xF0, 0x1FF);
	irq_msi(r, 0xFEE01000, 0x0041); /* dest 1 physical, fixed, vector 0x41, edge */
	T_EQ(irq_cpu_ack(r, 1), 0x41);
	irq_msi(r, 0xFED01000, 0x0042); /* not the interrupt address range: no message */
	T_CHECK(!irq_cpu_pending(r, 1), "a write outside 0xFEExxxxx is dropped");
	irq_msi(r, 0xFEE00000, 0x0443); /* NMI to CPU 0 */
	T_CHECK(lapic_nmi_pending(irq_lapic(r, 0)), "NMI delivered");
	irq_router_destroy(r);
	vclock_destroy(c);
}

/* One-shot timer, divide by 1, count 1000: fires at guest time 1000 ns. */
static void test_lapic_timer(void)
{
	struct vclock *c;
	struct irq_router *r = router(&c);
	apic_write(r, 0, 0x350, 0x10700); /* no 8259A in the way */
	apic_write(r, 0, 0x3E0, 0xB);
	apic_write(r, 0, 0x320, 0x30);
	apic_write(r, 0, 0x380, 1000);
	T_EQ(vclock_next_deadline(c), 1000);
	vclock_advance(c, 999);
	vclock_run_due(c);
	T_CHECK(!irq_cpu_pending(r, 0), "not before its deadline");
	vclock_advance(c, 1);
	T_EQ(vclock_run_due(c), 1);
	T_EQ(irq_cpu_ack(r, 0), 0x30);
	irq_router_destroy(r);
	vclock_destroy(c);
}

static unsigned k_input, k_level, k_msis;
static uint64_t k_addr;
static int k_errors, k_fail;

static int rec_line(void *opaque, unsigned input, int level)
{
	k_input = input;
	k_level = level;
	return k_fail;
}

static int rec_msi(void *opaque, uint64_t addr, uint32_t data)
{
	k_msis++;
	k_addr = addr;
	return k_fail;
}

static void rec_error(void *opaque, const char *what, int err)
{
	k_errors++;
}

static void test_kernel_backend(void)
{
	struct vclock *c;
	struct irq_router *r;
	static const struct irq_router_ops ops = {
	    .kernel_line = rec_line, .kernel_msi = rec_msi, .error = rec_error};
	T_EQ(vclock_create(&c, VCLOCK_HOST), 0);
	T_EQ(irq_router_create(&r, 2, c, &ops), 0);
	T_CHECK(!irq_pic(r) && !irq_lapic(r, 0), "no models beside the kernel's");
	irq_set(r, 4, 1);
	T_EQ(k_input, 4);
	T_EQ(k_level, 1);
	irq_set(r, 18, 1); /* a PCI GSI: the logical level, as KVM takes it */
	T_EQ(k_input, 18);
	T_EQ(k_level, 1);
	irq_msi(r, 0xFEE01000, 0x41);
	T_EQ(k_msis, 1);
	T_EQ(k_addr, 0xFEE01000);
	T_EQ(k_errors, 0);
	k_fail = -EINVAL;
	irq_set(r, 9, 1);
	irq_msi(r, 0xFEE00000, 0x42);
	T_EQ(k_errors, 2); /* refusals are reported, not ignored */
	irq_router_destroy(r);
	vclock_destroy(c);
}

int main(void)
{
	T_RUN(test_extint);
	T_RUN(test_ioapic);
	T_RUN(test_pci_gsi);
	T_RUN(test_ipi);
	T_RUN(test_init_sipi);
	T_RUN(test_msi);
	T_RUN(test_lapic_timer);
	T_RUN(test_kernel_backend);
	T_EXIT();
}
