/*
 * boot/multiboot.c - multiboot v1 kernels: find the header in the first
 * 8 KiB, load the ELF segments (or the a.out-kludge range when flag 16 is
 * set), write the multiboot information (memory, command line, the initrd as
 * one module, the memory map) and enter with EAX = 0x2BADB002.  Not
 * multiboot2, no video modes, no symbol tables.
 * Follows the Multiboot Specification version 0.6.96, sections 3.1-3.3.
 */
#include <errno.h>
#include <string.h>

#include "boot/loaders.h"
#include "layout.h"
#include "util.h"

/* Header flags (3.1.2): bits 0-15 are requirements a loader must honour. */
#define MBH_PAGE_ALIGN	(1u << 0)
#define MBH_MEMORY_INFO (1u << 1)
#define MBH_VIDEO_MODE	(1u << 2)
#define MBH_AOUT_KLUDGE (1u << 16)
#define MBH_SUPPORTED	(MBH_PAGE_ALIGN | MBH_MEMORY_INFO | MBH_VIDEO_MODE)

/* Information structure (3.3). */
#define MBI_FLAGS	0
#define MBI_MEM_LOWER	4
#define MBI_MEM_UPPER	8
#define MBI_CMDLINE	16
#define MBI_MODS_COUNT	20
#define MBI_MODS_ADDR	24
#define MBI_MMAP_LENGTH 44
#define MBI_MMAP_ADDR	48
#define MBI_LOADER_NAME 64
#define MBI_SIZE	88 /* through the VBE fields, left zero */

#define MBI_F_MEM     (1u << 0)
#define MBI_F_CMDLINE (1u << 2)
#define MBI_F_MODS    (1u << 3)
#define MBI_F_MMAP    (1u << 6)
#define MBI_F_LOADER  (1u << 9)

#define MB_MOD_SIZE  16 /* mod_start, mod_end, string, reserved */
#define MB_MMAP_SIZE 24 /* size (= 20, not counting itself), base, length, type */

long multiboot_find(const char *name, const uint8_t *buf, size_t len)
{
	size_t limit = len < MULTIBOOT_SEARCH ? len : MULTIBOOT_SEARCH;
	for (size_t off = 0; off + 4 <= limit; off += 4) {
		if (get32(buf + off) != MULTIBOOT_HEADER_MAGIC)
			continue;
		if (off + 12 > len)
			return ember_error(-ENOEXEC, "%s: multiboot header at 0x%zx is truncated",
					   name, off);
		uint32_t flags = get32(buf + off + 4);
		if ((uint32_t)(MULTIBOOT_HEADER_MAGIC + flags + get32(buf + off + 8)) != 0)
			return ember_error(-ENOEXEC,
					   "%s: multiboot header at 0x%zx has a bad checksum "
					   "(magic + flags + checksum must be 0)",
					   name, off);
		return (long)off;
	}
	return -ENOENT;
}

/* A range of guest-physical memory, [start, end). */
struct mb_range {
	uint64_t start, end;
};

#define MB_MAX_RANGES 16

/*
 * Where an image may lie: RAM above 1 MiB, or conventional memory from
 * LAYOUT_MB_LOW_START up to the EBDA (page 0 holds the IVT, the BDA and the
 * boot GDT; the EBDA and the BIOS area are reserved).
 */
static bool multiboot_range_ok(const struct memmap *m, const struct mb_range *r)
{
	if (r->end <= r->start || !boot_is_ram(m, r->start, r->end - r->start))
		return false;
	return r->start >= LAYOUT_HIMEM_START ||
	       (r->start >= LAYOUT_MB_LOW_START && r->end <= LAYOUT_EBDA_START);
}

static bool multiboot_overlaps(const struct mb_range *a, const struct mb_range *img, int n)
{
	for (int i = 0; i < n; i++)
		if (a->start < img[i].end && img[i].start < a->end)
			return true;
	return false;
}

/* The a.out kludge (3.1.3): the header says which file bytes go where. */
static int multiboot_load_kludge(struct memmap *m, const struct boot_input *in, size_t off,
				 uint64_t *entry, struct mb_range *img)
{
	const char *name = in->kernel_name;
	const uint8_t *h = in->kernel + off;
	if (off + 32 > in->kernel_len)
		return ember_error(-ENOEXEC,
				   "%s: multiboot header at 0x%zx is truncated before its address "
				   "fields",
				   name, off);
	uint64_t header_addr = get32(h + 12), load_addr = get32(h + 16);
	uint64_t load_end = get32(h + 20), bss_end = get32(h + 24);
	*entry = get32(h + 28);
	if (load_addr > header_addr || header_addr - load_addr > off)
		return ember_error(-ENOEXEC,
				   "%s: multiboot load_addr 0x%llx and header_addr 0x%llx put the "
				   "start of the image before the start of the file",
				   name, (unsigned long long)load_addr,
				   (unsigned long long)header_addr);
	uint64_t file_off = off - (header_addr - load_addr);
	uint64_t size = in->kernel_len - file_off;
	if (load_end) {
		if (load_end < load_addr || load_end - load_addr > size)
			return ember_error(-ENOEXEC,
					   "%s: multiboot load_end_addr 0x%llx lies outside the "
					   "file loaded at 0x%llx",
					   name, (unsigned long long)load_end,
					   (unsigned long long)load_addr);
		size = load_end - load_addr;
	}
	uint64_t top = load_addr + size;
	if (bss_end) {
		if (bss_end < top)
			return ember_error(
			    -ENOEXEC,
			    "%s: multiboot bss_end_addr 0x%llx is below the end of the "
			    "loaded image 0x%llx",
			    name, (unsigned long long)bss_end, (unsigned long long)top);
		top = bss_end;
	}
	*img = (struct mb_range){load_addr, top};
	if (!multiboot_range_ok(m, img))
		return ember_error(
		    -ENOEXEC,
		    "%s: multiboot image 0x%llx-0x%llx is not inside RAM from 0x%llx to "
		    "0x%llx or above 1 MiB (RAM below 4 GiB ends at 0x%llx)",
		    name, (unsigned long long)load_addr, (unsigned long long)top,
		    (unsigned long long)LAYOUT_MB_LOW_START, (unsigned long long)LAYOUT_EBDA_START,
		    (unsigned long long)memmap_low_ram_end(m));
	if (memmap_write(m, load_addr, in->kernel + file_off, size))
		return ember_error(-EFAULT, "%s: cannot write the image", name);
	for (uint64_t a = load_addr + size; a < top;) {
		static const uint8_t zero[4096];
		uint64_t n = top - a < sizeof(zero) ? top - a : sizeof(zero);
		memmap_write(m, a, zero, n);
		a += n;
	}
	return 0;
}

int multiboot_load(struct memmap *m, const struct boot_input *in, size_t hdr_off,
		   struct x86_state *bsp)
{
	const char *name = in->kernel_name;
	uint32_t flags = get32(in->kernel + hdr_off + 4);
	if (flags & 0xFFFF & ~MBH_SUPPORTED)
		return ember_error(-ENOEXEC,
				   "%s: multiboot header requires features ember lacks (flags "
				   "0x%x; supported: page align, memory info, video ignored)",
				   name, flags);
	uint64_t entry = 0, end = 0;
	struct mb_range img[MB_MAX_RANGES];
	int nimg = 0;
	int ret;
	if (flags & MBH_AOUT_KLUDGE) {
		ret = multiboot_load_kludge(m, in, hdr_off, &entry, &img[0]);
		nimg = 1;
	} else {
		if (!elf_is_elf(in->kernel, in->kernel_len))
			return ember_error(-ENOEXEC,
					   "%s: multiboot kernel is not ELF and its header lacks "
					   "the a.out kludge addresses (flag 16)",
					   name);
		struct elf_file e;
		ret = elf_parse(name, in->kernel, in->kernel_len, &e);
		ret = ret ?: elf_load(m, &e, LAYOUT_MB_LOW_START, &end);
		entry = ret ? 0 : elf_entry_paddr(&e);
		for (unsigned i = 0; !ret && i < e.phnum; i++) {
			struct elf_phdr ph;
			elf_phdr(&e, i, &ph);
			if (ph.type != ELF_PT_LOAD || ph.memsz == 0)
				continue;
			if (nimg == MB_MAX_RANGES)
				return ember_error(-ENOEXEC, "%s: more than %d loadable segments",
						   name, MB_MAX_RANGES);
			img[nimg] = (struct mb_range){ph.paddr, ph.paddr + ph.memsz};
			if (!multiboot_range_ok(m, &img[nimg]))
				return ember_error(
				    -ENOEXEC,
				    "%s: program header %u (0x%llx-0x%llx) crosses into the "
				    "EBDA and BIOS area at 0x%llx: below 1 MiB ember leaves "
				    "0x%llx-0x%llx to the kernel",
				    name, i, (unsigned long long)img[nimg].start,
				    (unsigned long long)img[nimg].end,
				    (unsigned long long)LAYOUT_EBDA_START,
				    (unsigned long long)LAYOUT_MB_LOW_START,
				    (unsigned long long)LAYOUT_EBDA_START);
			nimg++;
		}
	}
	if (ret)
		return ret;
	for (int i = 0; i < nimg; i++)
		if (img[i].end > end)
			end = img[i].end;
	if (!boot_is_ram(m, entry, 1))
		return ember_error(-ENOEXEC, "%s: multiboot entry 0x%llx is outside RAM", name,
				   (unsigned long long)entry);

	/*
	 * The information block, then its strings (command line, loader name,
	 * the module's file name), in one window that must miss the image:
	 * at LAYOUT_MB_INFO unless the kernel loads there (kernels built for
	 * low memory do), else the first candidate that is free.
	 */
	static const char loader[] = "ember";
	size_t cmd_len = strlen(in->cmdline) + 1;
	size_t mod_len = in->initrd_name ? strlen(in->initrd_name) + 1 : 0;
	if (cmd_len + sizeof(loader) + mod_len > LAYOUT_CMDLINE_MAX)
		return ember_error(-E2BIG,
				   "--append: command line and module name exceed %llu bytes",
				   (unsigned long long)LAYOUT_CMDLINE_MAX);
	const uint64_t info_len = MBI_SIZE + MB_MOD_SIZE + E820_MAX * MB_MMAP_SIZE;
	const uint64_t need = info_len + cmd_len + sizeof(loader) + mod_len;
	const uint64_t candidates[] = {LAYOUT_MB_INFO, LAYOUT_MB_LOW_START, LAYOUT_HIMEM_START,
				       (end + 0xFFF) & ~0xFFFULL};
	uint64_t info = 0;
	for (size_t i = 0; i < ARRAY_SIZE(candidates) && !info; i++) {
		struct mb_range w = {candidates[i], candidates[i] + need};
		if (multiboot_range_ok(m, &w) && !multiboot_overlaps(&w, img, nimg))
			info = w.start;
	}
	if (!info)
		return ember_error(-ENOMEM,
				   "%s: no room below 4 GiB for the multiboot information next "
				   "to the image (0x%llx bytes): give more --mem",
				   name, (unsigned long long)need);
	uint64_t cmdline = info + info_len;
	uint64_t loader_addr = cmdline + cmd_len;
	uint64_t mod_string = loader_addr + sizeof(loader);
	uint64_t initrd;
	ret = boot_place_initrd(m, in, end > info + need ? end : info + need, LAYOUT_4G, &initrd);
	if (ret)
		return ret;
	ret = memmap_write(m, cmdline, in->cmdline, cmd_len);
	ret = ret ?: memmap_write(m, loader_addr, loader, sizeof(loader));
	if (in->initrd_name)
		ret = ret ?: memmap_write(m, mod_string, in->initrd_name, mod_len);

	struct e820_entry e820[E820_MAX];
	int n = e820_build(m, e820);
	uint8_t mbi[MBI_SIZE + MB_MOD_SIZE + E820_MAX * MB_MMAP_SIZE] = {0};
	uint64_t mods = info + MBI_SIZE, mmap = mods + MB_MOD_SIZE;
	uint32_t mem_lower = 0, mem_upper = 0;
	for (int i = 0; i < n; i++) {
		uint8_t *p = mbi + MBI_SIZE + MB_MOD_SIZE + MB_MMAP_SIZE * i;
		put32(p, MB_MMAP_SIZE - 4);
		put64(p + 4, e820[i].addr);
		put64(p + 12, e820[i].size);
		put32(p + 20, e820[i].type);
		/* mem_lower: KiB from 0; mem_upper: KiB from 1 MiB to the
		 * first hole (3.3), capped at what 32 bits hold. */
		if (e820[i].type == E820_RAM && e820[i].addr == 0)
			mem_lower = (uint32_t)(e820[i].size >> 10);
		if (e820[i].type == E820_RAM && e820[i].addr == LAYOUT_HIMEM_START)
			mem_upper = (uint32_t)(e820[i].size >> 10);
	}
	put32(mbi + MBI_FLAGS, MBI_F_MEM | MBI_F_CMDLINE | MBI_F_MODS | MBI_F_MMAP | MBI_F_LOADER);
	put32(mbi + MBI_MEM_LOWER, mem_lower);
	put32(mbi + MBI_MEM_UPPER, mem_upper);
	put32(mbi + MBI_CMDLINE, (uint32_t)cmdline);
	put32(mbi + MBI_MODS_COUNT, initrd ? 1 : 0);
	put32(mbi + MBI_MODS_ADDR, (uint32_t)mods);
	if (initrd) {
		put32(mbi + MBI_SIZE, (uint32_t)initrd);
		put32(mbi + MBI_SIZE + 4, (uint32_t)(initrd + in->initrd_len));
		put32(mbi + MBI_SIZE + 8, (uint32_t)mod_string);
	}
	put32(mbi + MBI_MMAP_LENGTH, (uint32_t)(MB_MMAP_SIZE * n));
	put32(mbi + MBI_MMAP_ADDR, (uint32_t)mmap);
	put32(mbi + MBI_LOADER_NAME, (uint32_t)loader_addr);
	ret = ret ?: memmap_write(m, info, mbi, MBI_SIZE + MB_MOD_SIZE + MB_MMAP_SIZE * n);
	if (ret)
		return ember_error(-EFAULT, "%s: no RAM at 0x%llx for the multiboot information",
				   name, (unsigned long long)info);
	ret = boot_write_gdt(m, false);
	ret = ret ?: acpi_write(m, in->cpus); /* found by the BIOS-area scan */
	if (ret)
		return ret;
	boot_state_entry(bsp, false, entry);
	bsp->gpr[X86_RAX] = MULTIBOOT_BOOTLOADER_MAGIC;
	bsp->gpr[X86_RBX] = info;
	return 0;
}
