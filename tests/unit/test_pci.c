/*
 * test_pci.c - bus 0 against the PCI Local Bus Specification 3.0, through
 * the ports a guest uses: configuration mechanism #1 (3.2.2.3.2: only a
 * dword access to 0xCF8 is CONFIG_ADDRESS, bit 31 enables, absent functions
 * read all-ones), the type 0 header (6.1, 6.2: read-only IDs, command and
 * status bits), BAR sizing and decoding (6.2.5: writable bits give the size,
 * the command register's enables gate decoding), the capability list (6.7),
 * MSI-X (6.8.2: table, masks, pending bits) and INTx (Interrupt Status,
 * Interrupt Disable, a shared line as a wired OR), and the chipset's IDs
 * (Intel 82441FX 8086:1237, 82371SB PIIX3 8086:7000).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "layout.h"
#include "memmap.h"
#include "pci/i440fx.h"
#include "pci/pci.h"
#include "t.h"

static struct {
	unsigned line_calls;
	int level[24];
	unsigned nmsi;
	uint64_t msi_addr;
	uint32_t msi_data;
} rec;

static void rec_line(void *opaque, unsigned input, int level)
{
	rec.line_calls++;
	rec.level[input] = level;
}

static void rec_msi(void *opaque, uint64_t addr, uint32_t data)
{
	rec.nmsi++;
	rec.msi_addr = addr;
	rec.msi_data = data;
}

static struct bus pio, mmio;
static struct memmap mem; /* no shadow DRAM: PAM writes are kept, route nothing */

static struct pci_bus *new_bus(bool assign)
{
	memset(&rec, 0, sizeof(rec));
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	struct pci_bus *b;
	const struct pci_bus_ops ops = {.irq_line = rec_line, .msi = rec_msi};
	T_EQ(pci_bus_create(&b, &pio, &mmio, LAYOUT_PCI_MMIO_START, LAYOUT_PCI_MMIO_END,
			    LAYOUT_PCI_IO_START, LAYOUT_PCI_IO_END, assign, &ops),
	     0);
	T_EQ(i440fx_create(b, &mem), 0);
	return b;
}

/* A configuration read the way a kernel does it: CONFIG_ADDRESS, then the
 * data port's byte lane. */
static uint32_t cfg_rd(unsigned devfn, unsigned off, unsigned size)
{
	bus_write(&pio, 0xCF8, 4, 0x80000000u | devfn << 8 | (off & 0xFC));
	return (uint32_t)bus_read(&pio, 0xCFC + (off & 3), size);
}

static void cfg_wr(unsigned devfn, unsigned off, unsigned size, uint32_t v)
{
	bus_write(&pio, 0xCF8, 4, 0x80000000u | devfn << 8 | (off & 0xFC));
	bus_write(&pio, 0xCFC + (off & 3), size, v);
}

static void test_mechanism1(void)
{
	struct pci_bus *b = new_bus(false);
	/* Reserved bits 30:24 and 1:0 of CONFIG_ADDRESS read 0. */
	bus_write(&pio, 0xCF8, 4, 0xFFFFFFFF);
	T_EQ(bus_read(&pio, 0xCF8, 4), 0x80FFFFFC);
	/* A byte or word access to 0xCF8 is not CONFIG_ADDRESS. */
	bus_write(&pio, 0xCF8, 4, 0x80000000);
	bus_write(&pio, 0xCF8, 1, 0x12);
	T_EQ(bus_read(&pio, 0xCF8, 4), 0x80000000);
	T_EQ(bus_read(&pio, 0xCF8, 2), 0xFFFF);
	/* 00:00.0: the 82441FX. */
	T_EQ(cfg_rd(0, 0, 4), 0x12378086);
	T_EQ(cfg_rd(0, 2, 2), 0x1237);
	T_EQ(cfg_rd(0, 1, 1), 0x80);
	T_EQ(cfg_rd(0, 8, 4) >> 8, 0x060000);
	T_EQ(cfg_rd(0, 0x0E, 1), 0);
	/* 00:01.0: the PIIX3, multi-function. */
	T_EQ(cfg_rd(PCI_DEVFN(1, 0), 0, 4), 0x70008086);
	T_EQ(cfg_rd(PCI_DEVFN(1, 0), 0x0B, 1), 0x06);
	T_EQ(cfg_rd(PCI_DEVFN(1, 0), 0x0A, 1), 0x01);
	T_EQ(cfg_rd(PCI_DEVFN(1, 0), 0x0E, 1), 0x80);
	T_EQ(cfg_rd(PCI_DEVFN(1, 0), 0x60, 4), 0x80808080); /* PIRQs off */
	/* Absent functions, other buses and a disabled cycle read all-ones. */
	T_EQ(cfg_rd(PCI_DEVFN(1, 1), 0, 4), 0xFFFFFFFF);
	T_EQ(cfg_rd(PCI_DEVFN(31, 7), 0, 2), 0xFFFF);
	bus_write(&pio, 0xCF8, 4, 0x80010000);
	T_EQ(bus_read(&pio, 0xCFC, 4), 0xFFFFFFFF);
	bus_write(&pio, 0xCF8, 4, 0x00000000);
	T_EQ(bus_read(&pio, 0xCFC, 4), 0xFFFFFFFF);
	/* A word at 0xCFF: its upper byte is an ISA cycle (nobody). */
	bus_write(&pio, 0xCF8, 4, 0x80000000);
	T_EQ(bus_read(&pio, 0xCFF, 2), 0xFF12);
	/* Read-only IDs stay. */
	cfg_wr(0, 0, 4, 0);
	T_EQ(cfg_rd(0, 0, 4), 0x12378086);
	pci_bus_destroy(b);
}

static uint64_t bar_last_off, bar_last_val;
static unsigned bar_reads, bar_writes;

static uint64_t dev_read(void *opaque, uint64_t off, unsigned size)
{
	bar_reads++;
	bar_last_off = off;
	return 0x1122334455667788ULL & (size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1);
}

static void dev_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	bar_writes++;
	bar_last_off = off;
	bar_last_val = val;
}

static const struct bus_ops dev_ops = {.read = dev_read, .write = dev_write};

static struct pci_func *new_dev(struct pci_bus *b, uint8_t pin)
{
	const struct pci_func_desc d = {
	    .name = "testdev", .vendor_id = 0x1234, .device_id = 0x5678, .int_pin = pin};
	struct pci_func *f = pci_func_create(b, PCI_DEVFN_AUTO, &d);
	T_CHECK(f, "pci_func_create");
	T_EQ(pci_func_bar(f, 0, PCI_BAR_MEM32, 4096, &dev_ops, NULL), 0);
	T_EQ(pci_func_bar(f, 2, PCI_BAR_MEM64, 0x4000, &dev_ops, NULL), 0);
	T_EQ(pci_func_bar(f, 5, PCI_BAR_IO, 32, &dev_ops, NULL), 0);
	return f;
}

static void test_header_and_bars(void)
{
	struct pci_bus *b = new_bus(false);
	struct pci_func *f = new_dev(b, 1);
	unsigned df = pci_func_devfn(f);
	T_EQ(df, PCI_DEVFN(2, 0)); /* the first free slot after the chipset */
	T_EQ(cfg_rd(df, 0x3D, 1), 1);
	/* --bios: BARs start unassigned, decoding off. */
	T_EQ(cfg_rd(df, 0x04, 2), 0);
	T_EQ(cfg_rd(df, 0x10, 4), 0);
	T_EQ(cfg_rd(df, 0x18, 4), 4); /* 64-bit type */
	T_EQ(cfg_rd(df, 0x24, 4), 1); /* I/O */
	/* Sizing (6.2.5.1): all-ones in, size mask out, type bits kept. */
	cfg_wr(df, 0x10, 4, 0xFFFFFFFF);
	T_EQ(cfg_rd(df, 0x10, 4), 0xFFFFF000);
	cfg_wr(df, 0x18, 4, 0xFFFFFFFF);
	cfg_wr(df, 0x1C, 4, 0xFFFFFFFF);
	T_EQ(cfg_rd(df, 0x18, 4), 0xFFFFC004);
	T_EQ(cfg_rd(df, 0x1C, 4), 0xFFFFFFFF);
	cfg_wr(df, 0x24, 4, 0xFFFFFFFF);
	T_EQ(cfg_rd(df, 0x24, 4), 0xFFFFFFE1);
	/* Unimplemented BARs and the expansion ROM read 0 after all-ones. */
	cfg_wr(df, 0x14, 4, 0xFFFFFFFF);
	T_EQ(cfg_rd(df, 0x14, 4), 0);
	cfg_wr(df, 0x30, 4, 0xFFFFFFFF);
	T_EQ(cfg_rd(df, 0x30, 4), 0);
	/* Place them; nothing decodes until the command register says so. */
	cfg_wr(df, 0x10, 4, 0xC0010000);
	cfg_wr(df, 0x18, 4, 0xC0020000);
	cfg_wr(df, 0x1C, 4, 0);
	cfg_wr(df, 0x24, 4, 0xC100);
	bar_reads = 0;
	T_EQ(bus_read(&mmio, 0xC0010004, 4), 0xFFFFFFFF);
	T_EQ(bus_read(&pio, 0xC104, 2), 0xFFFF);
	T_EQ(bar_reads, 0);
	uint64_t unclaimed = pci_bus_unclaimed(b);
	T_EQ(unclaimed, 2);
	cfg_wr(df, 0x04, 2, PCI_COMMAND_MEMORY);
	T_EQ(bus_read(&mmio, 0xC0010004, 4), 0x55667788);
	T_EQ(bar_last_off, 4);
	T_EQ(bus_read(&mmio, 0xC0023FF8, 8), 0x1122334455667788ULL);
	T_EQ(bar_last_off, 0x3FF8);
	T_EQ(bus_read(&pio, 0xC104, 2), 0xFFFF); /* I/O still off */
	cfg_wr(df, 0x04, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	bus_write(&pio, 0xC11F, 1, 0xAB);
	T_EQ(bar_last_off, 0x1F);
	T_EQ(bar_last_val, 0xAB);
	/* An access crossing the BAR's end is nobody's. */
	T_EQ(bus_read(&mmio, 0xC0010FFE, 4), 0xFFFFFFFF);
	/* The guest moves a BAR: the old address is dead, the new one live. */
	cfg_wr(df, 0x10, 4, 0xC0030000);
	T_EQ(bus_read(&mmio, 0xC0010004, 4), 0xFFFFFFFF);
	bar_writes = 0;
	bus_write(&mmio, 0xC0030010, 4, 7);
	T_EQ(bar_writes, 1);
	T_EQ(bar_last_off, 0x10);
	/* Outside the window (above 4 GiB here: the window is 32-bit). */
	cfg_wr(df, 0x1C, 4, 1);
	T_EQ(bus_read(&mmio, 0xC0020000, 4), 0xFFFFFFFF);
	/* Command: only the implemented bits stick (6.2.2). */
	cfg_wr(df, 0x04, 2, 0xFFFF);
	T_EQ(cfg_rd(df, 0x04, 2), 0x0547);
	/* Status: no capabilities here, Interrupt Status clear. */
	T_EQ(cfg_rd(df, 0x06, 2), 0);
	cfg_wr(df, 0x06, 2, 0xFFFF);
	T_EQ(cfg_rd(df, 0x06, 2), 0);
	pci_bus_destroy(b);
}

static void test_assigned(void)
{
	struct pci_bus *b = new_bus(true);
	struct pci_func *f = new_dev(b, 2);
	unsigned df = pci_func_devfn(f);
	/* ember as the firmware: aligned BARs in the windows, decoding on, the
	 * interrupt line the _PRT's GSI. */
	uint32_t b0 = cfg_rd(df, 0x10, 4), b2 = cfg_rd(df, 0x18, 4), b5 = cfg_rd(df, 0x24, 4);
	T_CHECK(b0 >= LAYOUT_PCI_MMIO_START && !(b0 & 0xFFF), "BAR0 %#x", b0);
	T_CHECK((b2 & ~0xFu) >= LAYOUT_PCI_MMIO_START && !(b2 & 0x3FF0) && (b2 & 0xF) == 4,
		"BAR2 %#x", b2);
	T_CHECK(b5 >= LAYOUT_PCI_IO_START && (b5 & 0x1F) == 1, "BAR5 %#x", b5);
	T_CHECK((b0 & ~0xFFFu) != (b2 & ~0xFu), "BARs overlap");
	T_EQ(cfg_rd(df, 0x04, 2), PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	T_EQ(cfg_rd(df, 0x3C, 1), pci_intx_gsi(df, 2));
	T_EQ(pci_intx_gsi(PCI_DEVFN(2, 0), 2), 16 + 3);
	T_EQ(pci_intx_gsi(PCI_DEVFN(7, 0), 4), 16 + 2); /* (7 + 3) & 7 */
	bar_reads = 0;
	bus_read(&mmio, b0, 4);
	T_EQ(bar_reads, 1);
	pci_bus_destroy(b);
}

static void test_intx(void)
{
	struct pci_bus *b = new_bus(false);
	/* Two functions on one line: INTA# of slots 2 and 10 both reach
	 * GSI 16 + (2 & 7) = 16 + (10 & 7). */
	const struct pci_func_desc d = {.name = "a", .int_pin = 1};
	struct pci_func *f = pci_func_create(b, PCI_DEVFN(2, 0), &d);
	struct pci_func *g = pci_func_create(b, PCI_DEVFN(10, 0), &d);
	unsigned gsi = pci_intx_gsi(PCI_DEVFN(2, 0), 1);
	T_EQ(gsi, pci_intx_gsi(PCI_DEVFN(10, 0), 1));
	pci_intx(f, 1);
	T_EQ(rec.level[gsi], 1);
	T_EQ(cfg_rd(PCI_DEVFN(2, 0), 0x06, 2) & PCI_STATUS_INTERRUPT, PCI_STATUS_INTERRUPT);
	pci_intx(g, 1);
	pci_intx(f, 0);
	T_EQ(rec.level[gsi], 1); /* g still holds the wired OR */
	T_EQ(cfg_rd(PCI_DEVFN(2, 0), 0x06, 2) & PCI_STATUS_INTERRUPT, 0);
	pci_intx(g, 0);
	T_EQ(rec.level[gsi], 0);
	/* Interrupt Disable: the line drops, the status bit still shows. */
	pci_intx(f, 1);
	cfg_wr(PCI_DEVFN(2, 0), 0x04, 2, PCI_COMMAND_INTX_DISABLE);
	T_EQ(rec.level[gsi], 0);
	T_EQ(cfg_rd(PCI_DEVFN(2, 0), 0x06, 2) & PCI_STATUS_INTERRUPT, PCI_STATUS_INTERRUPT);
	cfg_wr(PCI_DEVFN(2, 0), 0x04, 2, 0);
	T_EQ(rec.level[gsi], 1);
	/* The PIIX3 routes PIRQ[(slot + pin - 1) & 3] to an ISA IRQ as well. */
	cfg_wr(PCI_DEVFN(1, 0), 0x62, 1, 11); /* PIRQC#: slot 2, INTA# */
	T_EQ(rec.level[11], 1);
	pci_intx(f, 0);
	T_EQ(rec.level[11], 0);
	T_EQ(rec.level[gsi], 0);
	pci_intx(f, 1);
	cfg_wr(PCI_DEVFN(1, 0), 0x62, 1, 0x80); /* disabled again */
	T_EQ(rec.level[11], 0);
	T_EQ(rec.level[gsi], 1);
	pci_bus_destroy(b);
}

static void test_msix(void)
{
	struct pci_bus *b = new_bus(false);
	const struct pci_func_desc d = {.name = "m", .int_pin = 1};
	struct pci_func *f = pci_func_create(b, PCI_DEVFN(2, 0), &d);
	T_EQ(pci_func_msix(f, 3, 1), 0);
	unsigned df = PCI_DEVFN(2, 0);
	/* The capability list (6.7): status bit, pointer, the MSI-X cap. */
	T_EQ(cfg_rd(df, 0x06, 2) & PCI_STATUS_CAP_LIST, PCI_STATUS_CAP_LIST);
	unsigned cap = cfg_rd(df, 0x34, 1);
	T_CHECK(cap >= 0x40 && !(cap & 3), "cap pointer %#x", cap);
	T_EQ(cfg_rd(df, cap, 1), PCI_CAP_ID_MSIX);
	T_EQ(cfg_rd(df, cap + 1, 1), 0);
	T_EQ(cfg_rd(df, cap + 2, 2), 2); /* table size - 1 */
	T_EQ(cfg_rd(df, cap + 4, 4), 1); /* table at 0 in BAR 1 */
	uint32_t pba = cfg_rd(df, cap + 8, 4);
	T_EQ(pba & 7, 1);
	pba &= ~7u;
	T_CHECK(pba >= 3 * 16, "PBA %#x overlaps the table", pba);
	/* Place BAR 1, enable memory and bus mastering. */
	cfg_wr(df, 0x14, 4, 0xC0040000);
	cfg_wr(df, 0x04, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	uint64_t t = 0xC0040000;
	/* Entries come out of reset masked (6.8.2.9). */
	T_EQ(bus_read(&mmio, t + 12, 4), 1);
	bus_write(&mmio, t + 16, 8, 0xFEE01000);
	bus_write(&mmio, t + 24, 4, 0x4041);
	T_EQ(bus_read(&mmio, t + 16, 8), 0xFEE01000);
	/* Address bits 1:0 are read-only 0. */
	bus_write(&mmio, t + 16, 4, 0xFEE01003);
	T_EQ(bus_read(&mmio, t + 16, 4), 0xFEE01000);
	/* Not enabled: nothing is sent. */
	pci_msix_notify(f, 1);
	T_EQ(rec.nmsi, 0);
	cfg_wr(df, cap + 2, 2, 0x8000); /* MSI-X Enable */
	/* Enabled, vector masked: pending, nothing sent. */
	pci_msix_notify(f, 1);
	T_EQ(rec.nmsi, 0);
	T_EQ(bus_read(&mmio, t + pba, 8), 2);
	/* Unmasking sends it and clears the pending bit. */
	bus_write(&mmio, t + 28, 4, 0);
	T_EQ(rec.nmsi, 1);
	T_EQ(rec.msi_addr, 0xFEE01000);
	T_EQ(rec.msi_data, 0x4041);
	T_EQ(bus_read(&mmio, t + pba, 8), 0);
	/* Function mask: pending again, sent on clearing it. */
	cfg_wr(df, cap + 2, 2, 0xC000);
	pci_msix_notify(f, 1);
	T_EQ(rec.nmsi, 1);
	T_EQ(bus_read(&mmio, t + pba, 8), 2);
	cfg_wr(df, cap + 2, 2, 0x8000);
	T_EQ(rec.nmsi, 2);
	/* The PBA is read-only; the table size field too. */
	bus_write(&mmio, t + pba, 8, ~0ULL);
	T_EQ(bus_read(&mmio, t + pba, 8), 0);
	cfg_wr(df, cap + 2, 2, 0x87FF);
	T_EQ(cfg_rd(df, cap + 2, 2), 0x8002);
	/* A vector beyond the table, or no bus mastering: nothing. */
	pci_msix_notify(f, 3);
	cfg_wr(df, 0x04, 2, PCI_COMMAND_MEMORY);
	pci_msix_notify(f, 1);
	T_EQ(rec.nmsi, 2);
	/* With MSI-X enabled INTx is not used (6.8.2). */
	pci_intx(f, 1);
	T_EQ(rec.level[pci_intx_gsi(df, 1)], 0);
	cfg_wr(df, cap + 2, 2, 0);
	T_EQ(rec.level[pci_intx_gsi(df, 1)], 1);
	pci_bus_destroy(b);
}

/* Every width at every offset of every function: no crash, reads of
 * absent functions all-ones, and the IDs never change. */
static void test_any_width(void)
{
	struct pci_bus *b = new_bus(true);
	new_dev(b, 1);
	for (unsigned df = 0; df < 24; df++)
		for (unsigned off = 0; off < 256; off++)
			for (unsigned size = 1; size <= 4; size *= 2) {
				uint32_t v = pci_cfg_read(b, df, off, size);
				if (!pci_bus_func(b, df))
					T_EQ(v, size == 4 ? 0xFFFFFFFF : (1u << (8 * size)) - 1);
				if (off >= 0x10 && off < 0x28)
					continue; /* BARs: keep them where they are */
				pci_cfg_write(b, df, off, size, 0xFFFFFFFF);
				pci_cfg_write(b, df, off, size, 0);
			}
	T_EQ(pci_cfg_read(b, 0, 0, 4), 0x12378086);
	T_EQ(pci_cfg_read(b, PCI_DEVFN(2, 0), 0, 4), 0x56781234);
	pci_bus_destroy(b);
}

int main(void)
{
	T_RUN(test_mechanism1);
	T_RUN(test_header_and_bars);
	T_RUN(test_assigned);
	T_RUN(test_intx);
	T_RUN(test_msix);
	T_RUN(test_any_width);
	T_EXIT();
}
