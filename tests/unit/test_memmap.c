/*
 * test_memmap.c - the memory map: RAM split around the legacy 640 KiB-1 MiB
 * hole and the 3 GiB MMIO hole, overlap and alignment rules, lookups, copies
 * across regions, aliases; large allocations on 2 MiB boundaries (where
 * the host can back them with huge pages), every byte zeroed and writable.
 */
#include <errno.h>

#include "layout.h"
#include "memmap.h"
#include "t.h"

/* [640 KiB, 1 MiB) is a hole, as on a PC (VGA window, BIOS ROM alias):
 * RAM is [0, 640 KiB) + [1 MiB, ...), and the hole's 384 KiB are not RAM. */
#define LEGACY_HOLE (LAYOUT_HIMEM_START - LAYOUT_LOWMEM_END)

static void test_small_ram_below_hole(void)
{
	struct memmap m;
	memmap_init(&m);
	T_EQ(memmap_add_ram(&m, 256 << 20), 0);
	T_EQ(m.n, 2);
	T_EQ(m.r[0].gpa, 0);
	T_EQ(m.r[0].size, LAYOUT_LOWMEM_END);
	T_EQ(m.r[1].gpa, LAYOUT_HIMEM_START);
	T_EQ(memmap_ram_size(&m), (256 << 20) - LEGACY_HOLE);
	T_EQ(memmap_low_ram_end(&m), 256 << 20);
	T_CHECK(memmap_find(&m, (256 << 20) - 1) != NULL, "last byte of RAM must be mapped");
	T_CHECK(memmap_find(&m, 256 << 20) == NULL, "first byte past RAM must not be");
	T_CHECK(memmap_find(&m, LAYOUT_LOWMEM_END) == NULL, "0xA0000 must be a hole");
	T_CHECK(memmap_find(&m, LAYOUT_HIMEM_START - 1) == NULL, "0xFFFFF must be a hole");
	/* One host allocation: guest address = host offset on both sides. */
	T_CHECK(m.r[1].hva == m.r[0].hva + LAYOUT_HIMEM_START, "RAM must stay one block");
	memmap_destroy(&m);
}

static void test_large_ram_split(void)
{
	struct memmap m;
	memmap_init(&m);
	uint64_t mem = 4ULL << 30; /* 4 GiB: 3 below the hole, 1 above 4 GiB */
	T_EQ(memmap_add_ram(&m, mem), 0);
	T_EQ(m.n, 3);
	T_EQ(m.r[1].gpa, LAYOUT_HIMEM_START);
	T_EQ(m.r[1].size, LAYOUT_MMIO_HOLE_START - LAYOUT_HIMEM_START);
	T_EQ(m.r[2].gpa, LAYOUT_HIGH_RAM_START);
	T_EQ(m.r[2].size, mem - LAYOUT_MMIO_HOLE_START);
	T_CHECK(memmap_find(&m, LAYOUT_LAPIC_BASE) == NULL, "LAPIC page must be a hole");
	T_EQ(memmap_ram_size(&m), mem - LEGACY_HOLE);
	T_EQ(memmap_low_ram_end(&m), LAYOUT_MMIO_HOLE_START);
	memmap_destroy(&m);
}

static void test_rules(void)
{
	struct memmap m;
	uint8_t page[0x2000] __attribute__((aligned(4096)));
	memmap_init(&m);
	T_EQ(memmap_add(&m, "a", 0x1000, 0x1000, page, MEMREGION_RAM), 0);
	T_EQ(memmap_add(&m, "b", 0x1000, 0x1000, page, MEMREGION_RAM), -EINVAL);
	T_EQ(memmap_add(&m, "c", 0x1800, 0x1000, page, MEMREGION_RAM), -EINVAL);
	T_EQ(memmap_add(&m, "d", 0x3000, 0x800, page, MEMREGION_RAM), -EINVAL);
	T_EQ(memmap_add(&m, "e", 0x3000, 0, page, MEMREGION_RAM), -EINVAL);
	T_EQ(memmap_add_ram(&m, 1000), -EINVAL);
}

static void test_copy_across_regions_and_alias(void)
{
	struct memmap m;
	static uint8_t a[0x1000] __attribute__((aligned(4096)));
	static uint8_t rom[0x2000] __attribute__((aligned(4096)));
	memmap_init(&m);
	T_EQ(memmap_add(&m, "ram", 0x0, 0x1000, a, MEMREGION_RAM), 0);
	T_EQ(memmap_add(&m, "rom", 0x1000, 0x2000, rom, MEMREGION_ROM), 0);
	/* The alias: the last page of the ROM seen again at a low address. */
	T_EQ(memmap_add(&m, "rom-alias", 0x10000, 0x1000, rom + 0x1000, MEMREGION_ROM), 0);
	const char msg[] = "0123456789";
	T_EQ(memmap_write(&m, 0xffb, msg, 10), 0); /* straddles ram -> rom */
	T_EQ(a[0xfff], '4');
	T_EQ(rom[0], '5');
	char back[10];
	T_EQ(memmap_read(&m, 0xffb, back, 10), 0);
	T_CHECK(!memcmp(back, msg, 10), "read back differs");
	rom[0x1000] = 0x5a;
	uint8_t *p = memmap_ptr(&m, 0x10000, 1);
	T_CHECK(p && *p == 0x5a, "alias must see the ROM's bytes");
	T_CHECK(memmap_ptr(&m, 0xfff, 2) == NULL, "ptr across regions must be refused");
	T_EQ(memmap_write(&m, 0x2ffe, msg, 4), -EFAULT); /* runs off the end */
	T_STREQ(memmap_find(&m, 0x2fff)->name, "rom");
}

/* memmap_alloc over-maps by 2 MiB and unmaps what lies outside the aligned
 * block: sizes that are and are not multiples of 2 MiB, each byte of the
 * block readable as zero and writable (a wrong trim would fault here), and
 * the blocks owned (released by memmap_destroy). */
static void test_alloc_aligned(void)
{
	static const uint64_t sizes[] = {2 << 20, (6 << 20) + 4096, 64 << 20};
	struct memmap m;
	memmap_init(&m);
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *p = memmap_alloc(&m, sizes[i]);
		T_CHECK(p != NULL, "allocating %llu bytes", (unsigned long long)sizes[i]);
		if (!p)
			continue;
		T_EQ((uintptr_t)p & ((2u << 20) - 1), 0);
		uint64_t nonzero = 0;
		for (uint64_t off = 0; off < sizes[i]; off += 512) {
			nonzero += p[off] | p[off + 511];
			p[off] = p[off + 511] = 0xA5;
		}
		T_EQ(nonzero, 0);
		T_EQ(m.owned[m.nowned - 1].p, p);
		T_EQ(m.owned[m.nowned - 1].len, sizes[i]);
	}
	uint8_t *small = memmap_alloc(&m, 64 << 10); /* below 2 MiB: pages only */
	T_CHECK(small && ((uintptr_t)small & 4095) == 0 && small[(64 << 10) - 1] == 0,
		"a 64 KiB block, page-aligned and zeroed");
	T_EQ(m.nowned, 4);
	memmap_destroy(&m);
	T_EQ(m.nowned, 0);
}

int main(void)
{
	T_RUN(test_small_ram_below_hole);
	T_RUN(test_large_ram_split);
	T_RUN(test_rules);
	T_RUN(test_copy_across_regions_and_alias);
	T_RUN(test_alloc_aligned);
	T_EXIT();
}
