/*
 * test_shadow.c - the BIOS area's shadow RAM against the Intel 440FX PMC
 * datasheet's PAM registers (0x59-0x5F), programmed the way SeaBIOS does,
 * through configuration mechanism #1 and the 82441FX's config space: the
 * power-on value 0 sends reads and writes to the ROM side; per 16 KiB
 * segment bit 0 (RE) sends reads to DRAM, bit 1 (WE) writes, each on its
 * own; PAM0 bits 5:4 cover the whole F segment (0xF0000-0xFFFFF) and its
 * low nibble is reserved; PAMn (n = 1..6) bits 1:0 and 5:4 the two segments
 * from 0xC0000 + (n - 1) * 32 KiB.  DRAM keeps what was written while
 * reads go elsewhere; a range needs every segment it touches routed to
 * DRAM; the generation counts routing changes only.
 */
#include "bus.h"
#include "layout.h"
#include "memmap.h"
#include "pci/i440fx.h"
#include "pci/pci.h"
#include "shadow.h"
#include "t.h"

static struct bus pio, mmio;
static struct memmap mem;
static struct pci_bus *pb;

static void setup(void)
{
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	memmap_init(&mem);
	T_EQ(memmap_add_ram(&mem, 64 << 20), 0);
	T_EQ(shadow_init(&mem), 0);
	const struct pci_bus_ops ops = {0};
	T_EQ(pci_bus_create(&pb, &pio, &mmio, LAYOUT_PCI_MMIO_START, LAYOUT_PCI_MMIO_END,
			    LAYOUT_PCI_IO_START, LAYOUT_PCI_IO_END, false, &ops),
	     0);
	T_EQ(i440fx_create(pb, &mem), 0);
}

static void teardown(void)
{
	pci_bus_destroy(pb);
	memmap_destroy(&mem);
}

/* A byte write to the host bridge's config space, as firmware does it. */
static void pam_write(unsigned reg, uint8_t v)
{
	bus_write(&pio, 0xCF8, 4, 0x80000000u | I440FX_DEVFN << 8 | (reg & 0xFC));
	bus_write(&pio, 0xCFC + (reg & 3), 1, v);
}

static uint8_t pam_read(unsigned reg)
{
	bus_write(&pio, 0xCF8, 4, 0x80000000u | I440FX_DEVFN << 8 | (reg & 0xFC));
	return (uint8_t)bus_read(&pio, 0xCFC + (reg & 3), 1);
}

/* The segment's route: bit 0 reads to DRAM, bit 1 writes. */
static unsigned route(uint64_t gpa)
{
	return (shadow_ptr(&mem, gpa, false) ? SHADOW_READ : 0) |
	       (shadow_ptr(&mem, gpa, true) ? SHADOW_WRITE : 0);
}

static void test_power_on(void)
{
	setup();
	for (unsigned r = 0x59; r <= 0x5F; r++)
		T_EQ(pam_read(r), 0);
	for (uint64_t a = SHADOW_START; a < SHADOW_START + SHADOW_SIZE; a += SHADOW_SEGMENT)
		T_EQ(route(a), 0);
	/* Outside the window the shadow never takes an access. */
	pam_write(0x59, 0x30);
	T_CHECK(!shadow_ptr(&mem, SHADOW_START - 1, false), "0xBFFFF is not shadowed");
	T_CHECK(!shadow_ptr(&mem, 0x100000, false), "1 MiB is not shadowed");
	T_CHECK(!shadow_covers(&mem, 0x100000, 16), "1 MiB is outside the window");
	T_CHECK(shadow_covers(&mem, SHADOW_START - 8, 16), "a range ending in the window");
	teardown();
}

static void test_each_register(void)
{
	setup();
	/* Every value of every segment's two bits, through its register. */
	for (unsigned seg = 0; seg < 12; seg++) {
		unsigned reg = 0x5A + seg / 2, shift = seg & 1 ? 4 : 0;
		uint64_t base = SHADOW_START + seg * SHADOW_SEGMENT;
		for (unsigned v = 0; v < 4; v++) {
			pam_write(reg, (uint8_t)(v << shift));
			T_EQ(pam_read(reg), v << shift);
			T_EQ(route(base), v);
			T_EQ(route(base + SHADOW_SEGMENT - 1), v);
			/* Its neighbour in the same register stays off. */
			uint64_t other = seg & 1 ? base - SHADOW_SEGMENT : base + SHADOW_SEGMENT;
			T_EQ(route(other), 0);
		}
		pam_write(reg, 0);
	}
	/* PAM0: bits 5:4 cover all four F segments; bits 3:0 are reserved. */
	for (unsigned v = 0; v < 4; v++) {
		pam_write(0x59, (uint8_t)(v << 4 | 0x0F));
		for (uint64_t a = 0xF0000; a < 0x100000; a += SHADOW_SEGMENT)
			T_EQ(route(a), v);
		T_EQ(route(0xEFFFF), 0);
	}
	pam_write(0x59, 0x0F);
	T_EQ(route(0xF0000), 0);
	teardown();
}

static void test_dram_kept(void)
{
	setup();
	/* Write-only (SeaBIOS copying itself): writes land in DRAM while reads
	 * still go to the ROM side; read-only then shows them, and a write
	 * then goes to the ROM side, leaving DRAM as it was. */
	pam_write(0x59, 0x20);
	uint8_t *w = shadow_ptr(&mem, 0xFFFF0, true);
	T_CHECK(w != NULL, "WE: writes go to DRAM");
	if (w)
		*w = 0xEA;
	T_CHECK(!shadow_ptr(&mem, 0xFFFF0, false), "WE only: reads do not");
	pam_write(0x59, 0x10);
	uint8_t *r = shadow_ptr(&mem, 0xFFFF0, false);
	T_CHECK(r && *r == 0xEA, "RE: DRAM holds what was written");
	T_CHECK(!shadow_ptr(&mem, 0xFFFF0, true), "RE only: writes do not reach DRAM");
	pam_write(0x59, 0x00);
	pam_write(0x59, 0x30);
	r = shadow_ptr(&mem, 0xFFFF0, false);
	T_CHECK(r && *r == 0xEA, "DRAM survives routing away and back");
	teardown();
}

static void test_ranges_and_gen(void)
{
	setup();
	unsigned g = shadow_gen(&mem);
	pam_write(0x5E, 0x33); /* 0xE0000-0xE7FFF read/write */
	T_CHECK(shadow_gen(&mem) != g, "a routing change bumps the generation");
	g = shadow_gen(&mem);
	pam_write(0x5E, 0x33);
	T_EQ(shadow_gen(&mem), g);
	pam_write(0x5A, 0x00); /* another register, same routing */
	T_EQ(shadow_gen(&mem), g);
	/* A range within both segments, one across into an unrouted segment. */
	T_CHECK(shadow_range(&mem, 0xE3FF0, 0x20, true) != NULL, "across two RW segments");
	T_CHECK(shadow_range(&mem, 0xE7FF0, 0x20, false) == NULL, "into 0xE8000 (PAM6 off)");
	T_CHECK(shadow_range(&mem, 0xE0000, 0, false) == NULL, "empty range");
	T_CHECK(shadow_range(&mem, 0xFFFFFFFFFFFFFFF0ULL, 0x20, false) == NULL, "wraps");
	pam_write(0x5E, 0x13); /* low segment RW, high read-only */
	T_CHECK(shadow_range(&mem, 0xE3FF0, 0x20, false) != NULL, "readable both");
	T_CHECK(shadow_range(&mem, 0xE3FF0, 0x20, true) == NULL, "0xE4000 not writable");
	teardown();
}

int main(void)
{
	T_RUN(test_power_on);
	T_RUN(test_each_register);
	T_RUN(test_dram_kept);
	T_RUN(test_ranges_and_gen);
	T_EXIT();
}
