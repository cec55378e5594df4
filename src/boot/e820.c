/*
 * boot/e820.c - the guest's physical memory map in the BIOS INT 15h/E820
 * form, derived from the memory map; the same table feeds the zero page,
 * the PVH memmap and the multiboot mmap.  Not a BIOS service: nothing here
 * answers INT 15h.  Types per ACPI 6.x table 15.1 (1 = RAM, 2 = reserved).
 */
#include "boot/loaders.h"
#include "layout.h"

static int e820_add(struct e820_entry *out, int n, uint64_t addr, uint64_t end, uint32_t type)
{
	if (end <= addr || n == E820_MAX)
		return n;
	out[n] = (struct e820_entry){.addr = addr, .size = end - addr, .type = type};
	return n + 1;
}

int e820_build(const struct memmap *m, struct e820_entry *out)
{
	int n = 0;
	for (int i = 0; i < m->n; i++) {
		const struct memregion *r = &m->r[i];
		uint64_t start = r->gpa, end = r->gpa + r->size;
		if (r->kind == MEMREGION_RAM) {
			/* RAM inside the EBDA/BIOS area is hidden, as on a PC. */
			n = e820_add(out, n, start,
				     end < LAYOUT_EBDA_START ? end : LAYOUT_EBDA_START, E820_RAM);
			n = e820_add(out, n,
				     start > LAYOUT_HIMEM_START ? start : LAYOUT_HIMEM_START, end,
				     E820_RAM);
		} else if (start >= LAYOUT_HIMEM_START) {
			/* ROM below 1 MiB is inside the reserved area already. */
			n = e820_add(out, n, start, end, E820_RESERVED);
		}
	}
	n = e820_add(out, n, LAYOUT_EBDA_START, LAYOUT_HIMEM_START, E820_RESERVED);
	/* KVM's identity-map page and TSS: never RAM, keep the guest's PCI
	 * allocator away from them. */
	n = e820_add(out, n, LAYOUT_KVM_IDENTITY_MAP, LAYOUT_KVM_TSS + 3 * 0x1000, E820_RESERVED);

	/* Insertion sort: a handful of entries. */
	for (int i = 1; i < n; i++) {
		struct e820_entry e = out[i];
		int j = i - 1;
		for (; j >= 0 && out[j].addr > e.addr; j--)
			out[j + 1] = out[j];
		out[j + 1] = e;
	}
	return n;
}
