/*
 * test_mptable.c - the MP table read back the way a kernel reads it
 * (Intel MP spec 1.4 ch. 4): find "_MP_" on a 16-byte boundary in the last
 * KiB of base memory, check both checksums, walk the entries.
 */
#include "test_boot.h"

static uint8_t sum(const struct memmap *m, uint64_t a, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += tb_u8(m, a + i);
	return s;
}

static void check_table(int cpus)
{
	struct memmap m;
	tb_mem(&m, TB_MEM);
	T_EQ(mptable_write(&m, cpus), 0);

	/* Search as spec 4 says: 16-byte aligned, in 639K..640K. */
	uint64_t fps = 0;
	for (uint64_t a = 0x9FC00; a < 0xA0000; a += 16)
		if (tb_u32(&m, a) == 0x5F504D5F)
			fps = a;
	T_CHECK(fps, "no \"_MP_\" in the last KiB of base memory");
	T_EQ(tb_u8(&m, fps + 8), 1); /* length in paragraphs */
	T_EQ(tb_u8(&m, fps + 9), 4); /* spec 1.4 */
	T_EQ(sum(&m, fps, 16), 0);
	T_EQ(tb_u8(&m, fps + 11), 0);	     /* feature byte 1: a table is present */
	T_EQ(tb_u8(&m, fps + 12) & 0x80, 0); /* no IMCR: virtual wire mode */

	uint64_t cfg = tb_u32(&m, fps + 4);
	T_EQ(tb_u32(&m, cfg), 0x504D4350); /* "PCMP" */
	uint16_t len = (uint16_t)tb_u32(&m, cfg + 4);
	T_EQ(sum(&m, cfg, len), 0);
	T_EQ(tb_u8(&m, cfg + 6), 4);
	T_EQ(tb_u32(&m, cfg + 36), LAYOUT_LAPIC_BASE);
	T_CHECK(cfg >= LAYOUT_EBDA_START && cfg + len <= fps,
		"config table must lie in the reserved EBDA, below the pointer");
	unsigned count = tb_u32(&m, cfg + 34) & 0xFFFF;

	int procs = 0, bsps = 0, buses = 0, ioapics = 0, lints = 0, pci_ints = 0;
	int isa_bus = -1, pci_bus = -1;
	int pin_of_irq[16];
	for (int i = 0; i < 16; i++)
		pin_of_irq[i] = -1;
	int extint_pin = -1;
	uint8_t ioapic_id = 0xFF;
	uint64_t p = cfg + 44;
	for (unsigned i = 0; i < count && p < cfg + len; i++) {
		uint8_t type = tb_u8(&m, p);
		switch (type) {
		case 0:
			T_EQ(tb_u8(&m, p + 1), procs); /* APIC id = index */
			T_CHECK(tb_u8(&m, p + 3) & 1, "CPU %d must be enabled", procs);
			if (tb_u8(&m, p + 3) & 2) {
				bsps++;
				T_EQ(procs, 0);
			}
			procs++;
			p += 20;
			continue;
		case 1: {
			char bus[7] = {0};
			memmap_read(&m, p + 2, bus, 6);
			if (!strcmp(bus, "ISA   "))
				isa_bus = tb_u8(&m, p + 1);
			else if (!strcmp(bus, "PCI   "))
				pci_bus = tb_u8(&m, p + 1);
			else
				T_CHECK(0, "unknown bus type \"%s\"", bus);
			buses++;
			break;
		}
		case 2:
			ioapic_id = tb_u8(&m, p + 1);
			T_CHECK(tb_u8(&m, p + 3) & 1, "IOAPIC enabled");
			T_EQ(tb_u32(&m, p + 4), LAYOUT_IOAPIC_BASE);
			ioapics++;
			break;
		case 3:
			T_EQ(tb_u8(&m, p + 6), ioapic_id);
			if (tb_u8(&m, p + 4) == pci_bus) {
				/* Source IRQ: slot << 2 | pin (spec D.3); level,
				 * active low; the pin _PRT names too. */
				unsigned src = tb_u8(&m, p + 5), slot = src >> 2, pin = src & 3;
				T_EQ(tb_u8(&m, p + 1), 0);
				T_EQ(tb_u8(&m, p + 2) & 0xF, 0xF);
				T_EQ(tb_u8(&m, p + 7),
				     LAYOUT_GSI_PCI_FIRST + ((slot + pin) & (LAYOUT_GSI_PCI_COUNT - 1)));
				pci_ints++;
				break;
			}
			T_EQ(tb_u8(&m, p + 4), isa_bus);
			if (tb_u8(&m, p + 1) == 3)
				extint_pin = tb_u8(&m, p + 7);
			else if (tb_u8(&m, p + 1) == 0 && tb_u8(&m, p + 5) < 16)
				pin_of_irq[tb_u8(&m, p + 5)] = tb_u8(&m, p + 7);
			break;
		case 4:
			T_EQ(tb_u8(&m, p + 6), 0xFF); /* all local APICs */
			if (tb_u8(&m, p + 1) == 3)
				T_EQ(tb_u8(&m, p + 7), 0); /* ExtINT on LINT0 */
			if (tb_u8(&m, p + 1) == 1)
				T_EQ(tb_u8(&m, p + 7), 1); /* NMI on LINT1 */
			lints++;
			break;
		default:
			T_CHECK(0, "unknown entry type %u", type);
			i = count;
			continue;
		}
		p += 8;
	}
	T_EQ(p, cfg + len);
	T_EQ(procs, cpus);
	T_EQ(bsps, 1);
	T_EQ(buses, 2);
	/* Linux matches a PCI interrupt entry's source bus ID against the PCI
	 * bus number (io_apic.c, IO_APIC_get_PCI_irq_vector): bus 0 is ID 0. */
	T_EQ(pci_bus, 0);
	T_EQ(pci_ints, 32 * 4); /* every slot's INTA#-INTD# */
	T_EQ(ioapics, 1);
	T_EQ(ioapic_id, cpus); /* distinct from every CPU's APIC id */
	T_EQ(lints, 2);
	/* Default configuration wiring (spec table 5-1). */
	T_EQ(extint_pin, 0);
	T_EQ(pin_of_irq[0], 2);
	T_EQ(pin_of_irq[2], -1);
	for (int irq = 1; irq < 16; irq++)
		if (irq != 2)
			T_EQ(pin_of_irq[irq], irq);
	memmap_destroy(&m);
}

static void test_one_cpu(void)
{
	check_table(1);
}

static void test_many_cpus(void)
{
	check_table(4);
	check_table(64); /* VM_MAX_CPUS */
}

static void test_too_many(void)
{
	struct memmap m;
	tb_mem(&m, TB_MEM);
	T_EQ(mptable_write(&m, 200), -EINVAL);
	TB_ERR("--cpus", "200");
	T_EQ(mptable_write(&m, 0), -EINVAL);
	memmap_destroy(&m);
}

int main(void)
{
	T_RUN(test_one_cpu);
	T_RUN(test_many_cpus);
	T_RUN(test_too_many);
	T_EXIT();
}
