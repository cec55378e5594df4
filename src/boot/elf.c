/*
 * boot/elf.c - the part of ELF a boot loader needs: the file header, the
 * program headers, loading PT_LOAD segments at their physical addresses and
 * finding notes.  Not a linker: no sections, symbols or relocations.
 * Follows the System V ABI (gABI ch. 4-5) for ELFCLASS32/64, little-endian.
 */
#include <errno.h>
#include <string.h>

#include "boot/loaders.h"
#include "layout.h"
#include "util.h"

#define ELF_EM_386    3
#define ELF_EM_X86_64 62
/* Kernels have a handful; the bound keeps the overlap check cheap. */
#define ELF_MAX_LOADS 64

bool elf_is_elf(const uint8_t *buf, size_t len)
{
	return len >= 4 && !memcmp(buf, "\177ELF", 4);
}

int elf_parse(const char *name, const uint8_t *buf, size_t len, struct elf_file *e)
{
	memset(e, 0, sizeof(*e));
	e->name = name;
	e->buf = buf;
	e->len = len;
	if (len < 52)
		return ember_error(-ENOEXEC, "%s: truncated ELF header (%zu bytes)", name, len);
	if (buf[4] != 1 && buf[4] != 2)
		return ember_error(-ENOEXEC, "%s: ELF class %u is neither 32- nor 64-bit", name,
				   buf[4]);
	e->is64 = buf[4] == 2;
	if (buf[5] != 1)
		return ember_error(-ENOEXEC, "%s: ELF file is not little-endian", name);
	if (e->is64 && len < 64)
		return ember_error(-ENOEXEC, "%s: truncated ELF header (%zu bytes)", name, len);
	uint16_t machine = get16(buf + 18);
	if (machine != ELF_EM_386 && machine != ELF_EM_X86_64)
		return ember_error(-ENOEXEC, "%s: ELF machine %u is not x86 (3 or 62)", name,
				   machine);
	if (e->is64) {
		e->entry = get64(buf + 0x18);
		e->phoff = get64(buf + 0x20);
		e->phentsize = get16(buf + 0x36);
		e->phnum = get16(buf + 0x38);
	} else {
		e->entry = get32(buf + 0x18);
		e->phoff = get32(buf + 0x1C);
		e->phentsize = get16(buf + 0x2A);
		e->phnum = get16(buf + 0x2C);
	}
	unsigned want = e->is64 ? 56 : 32;
	if (e->phnum == 0)
		return ember_error(-ENOEXEC, "%s: ELF file has no program headers", name);
	if (e->phnum == 0xFFFF)
		return ember_error(-ENOEXEC,
				   "%s: ELF extended program header numbering is not "
				   "supported",
				   name);
	if (e->phentsize < want)
		return ember_error(-ENOEXEC, "%s: ELF program header size %u, expected %u", name,
				   e->phentsize, want);
	uint64_t table = (uint64_t)e->phentsize * e->phnum; /* < 2^32: no overflow */
	if (e->phoff > len || table > len - e->phoff)
		return ember_error(-ENOEXEC,
				   "%s: ELF program header table (%u x %u bytes at 0x%llx) lies "
				   "outside the file (%zu bytes)",
				   name, e->phnum, e->phentsize, (unsigned long long)e->phoff, len);
	return 0;
}

void elf_phdr(const struct elf_file *e, unsigned i, struct elf_phdr *ph)
{
	const uint8_t *p = e->buf + e->phoff + (uint64_t)i * e->phentsize;
	ph->type = get32(p);
	if (e->is64) {
		ph->offset = get64(p + 0x08);
		ph->vaddr = get64(p + 0x10);
		ph->paddr = get64(p + 0x18);
		ph->filesz = get64(p + 0x20);
		ph->memsz = get64(p + 0x28);
		ph->align = get64(p + 0x30);
	} else {
		ph->offset = get32(p + 0x04);
		ph->vaddr = get32(p + 0x08);
		ph->paddr = get32(p + 0x0C);
		ph->filesz = get32(p + 0x10);
		ph->memsz = get32(p + 0x14);
		ph->align = get32(p + 0x1C);
	}
}

static bool elf_in_file(const struct elf_file *e, uint64_t off, uint64_t size)
{
	return off <= e->len && size <= e->len - off;
}

int elf_load(struct memmap *m, const struct elf_file *e, uint64_t floor, uint64_t *end)
{
	struct elf_phdr ph;
	struct {
		uint64_t start, end;
		unsigned idx;
	} seen[ELF_MAX_LOADS];
	uint64_t top = 0;
	int loads = 0;
	for (unsigned i = 0; i < e->phnum; i++) {
		elf_phdr(e, i, &ph);
		if (ph.type != ELF_PT_LOAD || ph.memsz == 0)
			continue;
		if (!elf_in_file(e, ph.offset, ph.filesz))
			return ember_error(-ENOEXEC,
					   "%s: program header %u (0x%llx bytes at offset 0x%llx) "
					   "lies outside the file (%zu bytes)",
					   e->name, i, (unsigned long long)ph.filesz,
					   (unsigned long long)ph.offset, e->len);
		if (ph.filesz > ph.memsz)
			return ember_error(
			    -ENOEXEC,
			    "%s: program header %u has a file size 0x%llx larger than "
			    "its memory size 0x%llx",
			    e->name, i, (unsigned long long)ph.filesz,
			    (unsigned long long)ph.memsz);
		if (ph.paddr < floor)
			return ember_error(-ENOEXEC,
					   "%s: program header %u loads at 0x%llx, below %s0x%llx "
					   "where ember keeps the boot tables",
					   e->name, i, (unsigned long long)ph.paddr,
					   floor == LAYOUT_HIMEM_START ? "1 MiB = " : "",
					   (unsigned long long)floor);
		if (!boot_is_ram(m, ph.paddr, ph.memsz))
			return ember_error(-ENOEXEC,
					   "%s: program header %u (0x%llx bytes at 0x%llx) lies "
					   "outside RAM (RAM below 4 GiB ends at 0x%llx)",
					   e->name, i, (unsigned long long)ph.memsz,
					   (unsigned long long)ph.paddr,
					   (unsigned long long)memmap_low_ram_end(m));
		if (loads == ELF_MAX_LOADS)
			return ember_error(-ENOEXEC, "%s: more than %d loadable segments", e->name,
					   ELF_MAX_LOADS);
		for (int j = 0; j < loads; j++)
			/* Both ranges are inside RAM, so the ends do not overflow. */
			if (ph.paddr < seen[j].end && seen[j].start < ph.paddr + ph.memsz)
				return ember_error(-ENOEXEC,
						   "%s: program headers %u and %u overlap in "
						   "physical memory",
						   e->name, seen[j].idx, i);
		seen[loads].start = ph.paddr;
		seen[loads].end = ph.paddr + ph.memsz;
		seen[loads].idx = i;
		loads++;
		if (ph.paddr + ph.memsz > top)
			top = ph.paddr + ph.memsz;
	}
	if (!loads)
		return ember_error(-ENOEXEC, "%s: ELF file has no loadable segment", e->name);
	for (unsigned i = 0; i < e->phnum; i++) {
		elf_phdr(e, i, &ph);
		if (ph.type != ELF_PT_LOAD || ph.memsz == 0)
			continue;
		uint8_t *dst = memmap_ptr(m, ph.paddr, ph.memsz);
		if (dst) {
			memcpy(dst, e->buf + ph.offset, ph.filesz);
			memset(dst + ph.filesz, 0, ph.memsz - ph.filesz);
			continue;
		}
		/* Spans two RAM regions: copy, then zero in bounded chunks. */
		static const uint8_t zero[4096];
		int ret = memmap_write(m, ph.paddr, e->buf + ph.offset, ph.filesz);
		for (uint64_t o = ph.filesz; o < ph.memsz && !ret; o += sizeof(zero)) {
			uint64_t n = ph.memsz - o < sizeof(zero) ? ph.memsz - o : sizeof(zero);
			ret = memmap_write(m, ph.paddr + o, zero, n);
		}
		if (ret)
			return ember_error(ret, "%s: cannot write program header %u", e->name, i);
	}
	*end = top;
	return 0;
}

int elf_find_note(const struct elf_file *e, const char *owner, uint32_t type, const uint8_t **desc,
		  uint32_t *desc_len)
{
	size_t owner_len = strlen(owner) + 1;
	struct elf_phdr ph;
	for (unsigned i = 0; i < e->phnum; i++) {
		elf_phdr(e, i, &ph);
		if (ph.type != ELF_PT_NOTE)
			continue;
		if (!elf_in_file(e, ph.offset, ph.filesz))
			return ember_error(-ENOEXEC,
					   "%s: program header %u (notes, 0x%llx bytes at offset "
					   "0x%llx) lies outside the file",
					   e->name, i, (unsigned long long)ph.filesz,
					   (unsigned long long)ph.offset);
		/* Names and descriptors are padded to 4 bytes, or 8 in notes
		 * aligned to 8 (gABI; GNU property notes). */
		uint64_t pad = ph.align == 8 ? 8 : 4;
		const uint8_t *p = e->buf + ph.offset;
		uint64_t left = ph.filesz;
		while (left >= 12) {
			uint64_t namesz = get32(p), descsz = get32(p + 4);
			uint32_t ntype = get32(p + 8);
			uint64_t name_pad = (namesz + pad - 1) & ~(pad - 1);
			uint64_t desc_pad = (descsz + pad - 1) & ~(pad - 1);
			if (name_pad > left - 12 || desc_pad > left - 12 - name_pad)
				return ember_error(-ENOEXEC,
						   "%s: note at offset 0x%llx runs past the end of "
						   "its segment",
						   e->name, (unsigned long long)(p - e->buf));
			if (ntype == type && namesz == owner_len &&
			    !memcmp(p + 12, owner, namesz)) {
				*desc = p + 12 + name_pad;
				*desc_len = (uint32_t)descsz;
				return 1;
			}
			p += 12 + name_pad + desc_pad;
			left -= 12 + name_pad + desc_pad;
		}
	}
	return 0;
}

uint64_t elf_entry_paddr(const struct elf_file *e)
{
	struct elf_phdr ph;
	for (unsigned i = 0; i < e->phnum; i++) {
		elf_phdr(e, i, &ph);
		if (ph.type == ELF_PT_LOAD && e->entry >= ph.vaddr &&
		    e->entry - ph.vaddr < ph.memsz)
			return e->entry - ph.vaddr + ph.paddr;
	}
	return e->entry;
}
