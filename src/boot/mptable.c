/*
 * boot/mptable.c - the MP floating pointer and configuration table that
 * tell a kernel how many CPUs there are and how ISA interrupts reach the
 * IOAPIC, for direct kernel boots (there is no ACPI).  Not ACPI MADT.
 * Follows the Intel MultiProcessor Specification 1.4, chapter 4, the
 * default configuration's interrupt wiring (5.1, table 5-1: ISA) and PCI
 * bus 0's interrupt entries (D.3).
 */
#include <errno.h>
#include <string.h>

#include "boot/loaders.h"
#include "layout.h"
#include "util.h"

#define MP_FPS_SIZE	  16
#define MP_HDR_SIZE	  44
#define MP_CPU_SIZE	  20
#define MP_ENTRY_SIZE	  8
#define MP_SPEC_REV	  4    /* 1.4 */
#define MP_LAPIC_VERSION  0x14 /* integrated local APIC */
#define MP_IOAPIC_VERSION 0x11
#define MP_ISA_IRQS	  16
#define MP_PCI_SLOTS	  32
#define MP_BUS_PCI	  0
#define MP_BUS_ISA	  1
#define MP_PCI_FLAGS	  0x0F /* polarity 11b: active low, trigger 11b: level */

enum mp_entry_type { MP_PROCESSOR = 0, MP_BUS = 1, MP_IOAPIC = 2, MP_IOINT = 3, MP_LINT = 4 };
enum mp_int_type { MP_INT = 0, MP_NMI = 1, MP_EXTINT = 3 };

/* CPU signature (family 6) and CPUID.1:EDX bits FPU and APIC. */
#define MP_CPU_SIGNATURE 0x600
#define MP_CPU_FEATURES	 ((1u << 0) | (1u << 9))

static uint8_t mptable_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return (uint8_t)-sum;
}

/* flags 0: polarity and trigger conform to the bus (ISA: high, edge). */
static uint8_t *mptable_intsrc(uint8_t *p, uint8_t type, enum mp_int_type itype, uint8_t bus,
			       uint16_t flags, uint8_t irq, uint8_t dst_id, uint8_t dst_pin)
{
	p[0] = type;
	p[1] = itype;
	put16(p + 2, flags);
	p[4] = bus;
	p[5] = irq;
	p[6] = dst_id;
	p[7] = dst_pin;
	return p + MP_ENTRY_SIZE;
}

int mptable_write(struct memmap *m, int cpus)
{
	const size_t max = LAYOUT_MPTABLE - LAYOUT_MPTABLE_CONFIG;
	const size_t fixed = MP_HDR_SIZE + 3 * MP_ENTRY_SIZE + MP_ISA_IRQS * MP_ENTRY_SIZE +
			     MP_PCI_SLOTS * 4 * MP_ENTRY_SIZE + 2 * MP_ENTRY_SIZE;
	if (cpus < 1 || (size_t)cpus > (max - fixed) / MP_CPU_SIZE || cpus > 254)
		return ember_error(-EINVAL, "--cpus: %d CPUs do not fit in the MP table (1-%zu)",
				   cpus, (max - fixed) / MP_CPU_SIZE);
	uint8_t tab[LAYOUT_MPTABLE - LAYOUT_MPTABLE_CONFIG] = {0};
	uint8_t *p = tab + MP_HDR_SIZE;
	uint8_t ioapic_id = (uint8_t)cpus; /* after the CPUs' APIC ids 0..cpus-1 */
	uint16_t count = 0;

	for (int i = 0; i < cpus; i++, count++) {
		p[0] = MP_PROCESSOR;
		p[1] = (uint8_t)i; /* local APIC id */
		p[2] = MP_LAPIC_VERSION;
		p[3] = 1 | (i == 0 ? 2 : 0); /* enabled, bootstrap processor */
		put32(p + 4, MP_CPU_SIGNATURE);
		put32(p + 8, MP_CPU_FEATURES);
		p += MP_CPU_SIZE;
	}
	/* Bus entries in ID order; Linux takes a PCI bus's MP ID for its bus
	 * number, so PCI bus 0 is ID 0 and the ISA bus follows (4.3.2). */
	p[0] = MP_BUS;
	p[1] = MP_BUS_PCI;
	memcpy(p + 2, "PCI   ", 6);
	p += MP_ENTRY_SIZE;
	p[0] = MP_BUS;
	p[1] = MP_BUS_ISA;
	memcpy(p + 2, "ISA   ", 6);
	p += MP_ENTRY_SIZE;
	count += 2;
	p[0] = MP_IOAPIC;
	p[1] = ioapic_id;
	p[2] = MP_IOAPIC_VERSION;
	p[3] = 1; /* enabled */
	put32(p + 4, (uint32_t)LAYOUT_IOAPIC_BASE);
	p += MP_ENTRY_SIZE;
	count++;
	/* Table 5-1: the 8259's INTR on pin 0, the timer (IRQ0) on pin 2,
	 * IRQ n on pin n otherwise; IRQ2 is the cascade and has no entry. */
	p = mptable_intsrc(p, MP_IOINT, MP_EXTINT, MP_BUS_ISA, 0, 0, ioapic_id, 0);
	count++;
	for (uint8_t irq = 0; irq < MP_ISA_IRQS; irq++) {
		if (irq == 2)
			continue;
		p = mptable_intsrc(p, MP_IOINT, MP_INT, MP_BUS_ISA, 0, irq, ioapic_id,
				   irq == 0 ? 2 : irq);
		count++;
	}
	/* PCI bus 0: every slot's INTA#-INTD# (source IRQ: slot << 2 | pin) on
	 * the IOAPIC pin pci_intx_gsi() wires it to, level, active low (spec
	 * 4.3.4 and D.3). */
	for (unsigned slot = 0; slot < MP_PCI_SLOTS; slot++)
		for (unsigned pin = 0; pin < 4; pin++, count++) {
			p = mptable_intsrc(p, MP_IOINT, MP_INT, MP_BUS_PCI, MP_PCI_FLAGS,
					   (uint8_t)(slot << 2 | pin), ioapic_id,
					   (uint8_t)(LAYOUT_GSI_PCI_FIRST +
						     ((slot + pin) & (LAYOUT_GSI_PCI_COUNT - 1))));
		}
	/* Every local APIC (id 0xFF): LINT0 ExtINT, LINT1 NMI. */
	p = mptable_intsrc(p, MP_LINT, MP_EXTINT, MP_BUS_ISA, 0, 0, 0xFF, 0);
	p = mptable_intsrc(p, MP_LINT, MP_NMI, MP_BUS_ISA, 0, 0, 0xFF, 1);
	count += 2;

	size_t len = (size_t)(p - tab);
	memcpy(tab, "PCMP", 4);
	put16(tab + 4, (uint16_t)len);
	tab[6] = MP_SPEC_REV;
	memcpy(tab + 8, "EMBER   ", 8);	      /* OEM id */
	memcpy(tab + 16, "EMBER VM    ", 12); /* product id */
	put16(tab + 34, count);
	put32(tab + 36, (uint32_t)LAYOUT_LAPIC_BASE);
	tab[7] = mptable_checksum(tab, len);

	uint8_t fps[MP_FPS_SIZE] = {'_', 'M', 'P', '_'};
	put32(fps + 4, (uint32_t)LAYOUT_MPTABLE_CONFIG);
	fps[8] = 1; /* length in 16-byte units */
	fps[9] = MP_SPEC_REV;
	/* Feature bytes 0: the table is present; IMCR absent (virtual wire). */
	fps[10] = mptable_checksum(fps, sizeof(fps));

	if (memmap_write(m, LAYOUT_MPTABLE_CONFIG, tab, len) ||
	    memmap_write(m, LAYOUT_MPTABLE, fps, sizeof(fps)))
		return ember_error(-EFAULT, "boot: no RAM at 0x%llx for the MP table",
				   (unsigned long long)LAYOUT_MPTABLE_CONFIG);
	return 0;
}
