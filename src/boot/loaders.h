/*
 * boot/loaders.h - the interface between boot.c (format detection, common
 * boot structures, the first-instruction CPU state) and the loaders of
 * src/boot/.  Internal to the boot code and its tests; vm.c uses boot.h.
 * Byte offsets in the loaders follow the specs named at the top of each file.
 */
#ifndef EMBER_BOOT_LOADERS_H
#define EMBER_BOOT_LOADERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/boot.h"
#include "memmap.h"
#include "x86/state.h"

/* Little-endian field access into images and guest tables (x86 is LE,
 * but images are parsed the same way on any host). */
static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

static inline uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static inline void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* ---- e820.c: the guest's physical memory map as firmware would report it */

/* Types shared by e820, the PVH memmap and the multiboot mmap. */
#define E820_RAM      1
#define E820_RESERVED 2

#define E820_MAX 32

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/*
 * Build the table from the memory map: RAM regions (minus the EBDA/BIOS
 * area [LAYOUT_EBDA_START, 1 MiB)), that area reserved, ROM regions above
 * 1 MiB reserved, KVM's private pages reserved.  Sorted by address.
 * Returns the number of entries.
 */
int e820_build(const struct memmap *m, struct e820_entry *out);

/* ---- boot.c: helpers every direct-kernel loader uses ------------------- */

/* True if every byte of [gpa, gpa+len) is RAM (len 0: gpa must be RAM). */
bool boot_is_ram(const struct memmap *m, uint64_t gpa, uint64_t len);

/* Write the command line at LAYOUT_CMDLINE; limit counts the NUL. */
int boot_write_cmdline(struct memmap *m, const struct boot_input *in, uint64_t limit,
		       uint64_t *addr);

/*
 * Place the initrd as high as possible, page aligned, with its last byte
 * below ceiling (exclusive) and its first at or above floor.  *addr = 0 when
 * there is no initrd.
 */
int boot_place_initrd(struct memmap *m, const struct boot_input *in, uint64_t floor,
		      uint64_t ceiling, uint64_t *addr);

/* The flat GDT at LAYOUT_BOOT_GDT: 0x10 code (64-bit or 32-bit), 0x18 data. */
#define BOOT_CS 0x10
#define BOOT_DS 0x18
int boot_write_gdt(struct memmap *m, bool long_mode);

/* Identity map of 0-4 GiB with 2 MiB pages at LAYOUT_PML4/PDPT/PD. */
int boot_write_page_tables(struct memmap *m);

/* First-instruction state matching boot_write_gdt(): 32-bit protected mode
 * with paging off, or 64-bit mode on the identity page tables. */
void boot_state_entry(struct x86_state *s, bool long_mode, uint64_t rip);

/* ---- the loaders ------------------------------------------------------- */

int bzimage_load(struct memmap *m, const struct boot_input *in, struct x86_state *bsp);
/* Find and decompress the payload (ELF vmlinux) of a bzImage; *out is malloc'd. */
int bzimage_extract(const char *name, const uint8_t *buf, size_t len, uint8_t **out,
		    size_t *out_len);

/* A parsed ELF file (32- or 64-bit, little-endian x86). */
struct elf_file {
	const char *name;
	const uint8_t *buf;
	size_t len;
	bool is64;
	uint64_t entry;
	uint64_t phoff;
	unsigned phentsize, phnum;
};

struct elf_phdr {
	uint32_t type;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define ELF_PT_LOAD 1
#define ELF_PT_NOTE 4

/* 1 if buf starts with the ELF magic. */
bool elf_is_elf(const uint8_t *buf, size_t len);
/* Check the header and that the program header table lies in the file. */
int elf_parse(const char *name, const uint8_t *buf, size_t len, struct elf_file *e);
void elf_phdr(const struct elf_file *e, unsigned i, struct elf_phdr *ph);
/*
 * Check every PT_LOAD (inside the file, filesz <= memsz, inside RAM at or
 * above floor, no two overlapping) and copy it to p_paddr, zeroing the rest
 * of p_memsz.  *end = the highest byte loaded + 1.
 */
int elf_load(struct memmap *m, const struct elf_file *e, uint64_t floor, uint64_t *end);
/*
 * Find a note by owner name and type in the PT_NOTE segments: 1 and
 * *desc and *desc_len when found, 0 when not, -errno on a malformed note.
 */
int elf_find_note(const struct elf_file *e, const char *owner, uint32_t type, const uint8_t **desc,
		  uint32_t *desc_len);
/* The physical address of a virtual entry point (via the PT_LOAD holding it). */
uint64_t elf_entry_paddr(const struct elf_file *e);

/* XEN_ELFNOTE_PHYS32_ENTRY (xen/include/public/elfnote.h). */
#define PVH_NOTE_PHYS32_ENTRY 18
int pvh_load(struct memmap *m, const struct boot_input *in, const struct elf_file *e,
	     uint32_t entry, struct x86_state *bsp);

#define MULTIBOOT_HEADER_MAGIC	   0x1BADB002u
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u
#define MULTIBOOT_SEARCH	   8192
/*
 * Offset of a valid multiboot v1 header in the first 8 KiB: >= 0; -ENOENT
 * if none; -EINVAL (ember_error set) if the magic is there but the header is
 * bad (checksum, truncated).
 */
long multiboot_find(const char *name, const uint8_t *buf, size_t len);
int multiboot_load(struct memmap *m, const struct boot_input *in, size_t hdr_off,
		   struct x86_state *bsp);

/* MP floating pointer + configuration table for cpus CPUs. */
int mptable_write(struct memmap *m, int cpus);

/* The ACPI tables for cpus CPUs, the RSDP at LAYOUT_ACPI_RSDP. */
int acpi_write(struct memmap *m, int cpus);

#endif
