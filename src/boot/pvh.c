/*
 * boot/pvh.c - an uncompressed ELF kernel (vmlinux) through its PVH entry:
 * load PT_LOAD segments at their physical addresses, write struct
 * hvm_start_info (version 1, with the memory map) and enter the
 * XEN_ELFNOTE_PHYS32_ENTRY address in flat 32-bit protected mode.
 * Not Xen: no hypercall page, no shared info.  Follows Xen's
 * docs/misc/pvh.pandoc and xen/include/public/arch-x86/hvm/start_info.h.
 */
#include <errno.h>

#include "boot/loaders.h"
#include "layout.h"
#include "util.h"

#define PVH_MAGIC 0x336ec578u

/* struct hvm_start_info, version 1 */
#define SI_MAGIC	  0
#define SI_VERSION	  4
#define SI_FLAGS	  8
#define SI_NR_MODULES	  12
#define SI_MODLIST_PADDR  16
#define SI_CMDLINE_PADDR  24
#define SI_RSDP_PADDR	  32
#define SI_MEMMAP_PADDR	  40
#define SI_MEMMAP_ENTRIES 48
#define SI_SIZE		  56
#define MOD_SIZE	  32 /* struct hvm_modlist_entry */
#define MEMMAP_SIZE	  24 /* struct hvm_memmap_table_entry */

int pvh_load(struct memmap *m, const struct boot_input *in, const struct elf_file *e,
	     uint32_t entry, struct x86_state *bsp)
{
	uint64_t end;
	int ret = elf_load(m, e, LAYOUT_HIMEM_START, &end);
	if (ret)
		return ret;
	if (!boot_is_ram(m, entry, 1))
		return ember_error(-ENOEXEC, "%s: PVH entry 0x%x is outside RAM", e->name, entry);
	uint64_t cmdline, initrd;
	ret = boot_write_cmdline(m, in, LAYOUT_CMDLINE_MAX, &cmdline);
	ret = ret ?: boot_place_initrd(m, in, end, LAYOUT_4G, &initrd);
	if (ret)
		return ret;

	/* start_info, then the module list, then the memory map. */
	uint8_t si[SI_SIZE + MOD_SIZE + E820_MAX * MEMMAP_SIZE] = {0};
	uint64_t mod = LAYOUT_PVH_START_INFO + SI_SIZE;
	uint64_t map = mod + MOD_SIZE;
	put32(si + SI_MAGIC, PVH_MAGIC);
	put32(si + SI_VERSION, 1);
	put64(si + SI_CMDLINE_PADDR, cmdline);
	put64(si + SI_RSDP_PADDR, LAYOUT_ACPI_RSDP);
	if (initrd) {
		put32(si + SI_NR_MODULES, 1);
		put64(si + SI_MODLIST_PADDR, mod);
		put64(si + SI_SIZE, initrd);
		put64(si + SI_SIZE + 8, in->initrd_len);
	}
	struct e820_entry e820[E820_MAX];
	int n = e820_build(m, e820);
	for (int i = 0; i < n; i++) {
		uint8_t *p = si + SI_SIZE + MOD_SIZE + MEMMAP_SIZE * i;
		put64(p, e820[i].addr);
		put64(p + 8, e820[i].size);
		put32(p + 16, e820[i].type);
	}
	put64(si + SI_MEMMAP_PADDR, map);
	put32(si + SI_MEMMAP_ENTRIES, (uint32_t)n);
	if (memmap_write(m, LAYOUT_PVH_START_INFO, si, SI_SIZE + MOD_SIZE + MEMMAP_SIZE * n))
		return ember_error(-EFAULT, "%s: no RAM at 0x%llx for the PVH start info", e->name,
				   (unsigned long long)LAYOUT_PVH_START_INFO);
	ret = boot_write_gdt(m, false);
	ret = ret ?: mptable_write(m, in->cpus);
	ret = ret ?: acpi_write(m, in->cpus);
	if (ret)
		return ret;
	boot_state_entry(bsp, false, entry);
	bsp->gpr[X86_RBX] = LAYOUT_PVH_START_INFO;
	return 0;
}
