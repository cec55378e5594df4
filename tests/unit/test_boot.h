/*
 * test_boot.h - helpers shared by the loader tests: a guest memory map,
 * builders for synthetic ELF images, and checks of the CPU entry state
 * against the SDM (descriptor decoding, a 4-level page walk) done
 * independently of the code under test.
 */
#ifndef EMBER_TEST_BOOT_H
#define EMBER_TEST_BOOT_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot/boot.h"
#include "boot/loaders.h"
#include "layout.h"
#include "memmap.h"
#include "t.h"
#include "util.h"

#define TB_MEM (64ULL << 20)

static inline void tb_mem(struct memmap *m, uint64_t bytes)
{
	memmap_init(m);
	if (memmap_add_ram(m, bytes))
		abort();
}

static inline uint8_t tb_u8(const struct memmap *m, uint64_t gpa)
{
	uint8_t v = 0xEE;
	memmap_read(m, gpa, &v, 1);
	return v;
}

static inline uint32_t tb_u32(const struct memmap *m, uint64_t gpa)
{
	uint8_t b[4] = {0xEE, 0xEE, 0xEE, 0xEE};
	memmap_read(m, gpa, b, 4);
	return get32(b);
}

static inline uint64_t tb_u64(const struct memmap *m, uint64_t gpa)
{
	uint8_t b[8];
	memset(b, 0xEE, sizeof(b));
	memmap_read(m, gpa, b, 8);
	return get64(b);
}

/* Does the last error mention every non-NULL needle? */
static inline int tb_err_has(const char *a, const char *b)
{
	const char *e = ember_last_error();
	return strstr(e, a) && (!b || strstr(e, b));
}

#define TB_ERR(a, b)                                                                               \
	T_CHECK(tb_err_has(a, b), "error \"%s\" should mention \"%s\" and \"%s\"",                 \
		ember_last_error(), a, b ? b : "")

/* The loader must refuse the kernel in `in`, and the error must name the
 * file (`name`), say `what`, and, when given, `what2` too. */
static inline void tb_expect_fail(const struct boot_input *in, const char *name, const char *what,
				  const char *what2)
{
	struct memmap m;
	struct x86_state s;
	tb_mem(&m, TB_MEM);
	T_CHECK(boot_load_kernel(&m, in, &s) < 0, "must be refused: %s", what);
	TB_ERR(name, what);
	if (what2)
		TB_ERR(what, what2);
	memmap_destroy(&m);
}

/* ---- ELF builder -------------------------------------------------------- */

struct tb_seg {
	uint32_t type;
	uint64_t paddr, vaddr;
	const void *data;
	uint64_t filesz, memsz;
	uint64_t align;
};

/* Lay out header, program headers, then each segment's bytes. */
static inline uint8_t *tb_elf(bool is64, uint64_t entry, const struct tb_seg *segs, int n,
			      size_t *len)
{
	size_t eh = is64 ? 64 : 52, ph = is64 ? 56 : 32;
	size_t off = eh + ph * n, total = off;
	for (int i = 0; i < n; i++)
		total += (segs[i].filesz + 15) & ~15ULL;
	uint8_t *b = calloc(1, total);
	memcpy(b, "\177ELF", 4);
	b[4] = is64 ? 2 : 1;
	b[5] = 1;
	b[6] = 1;
	put16(b + 16, 2); /* ET_EXEC */
	put16(b + 18, is64 ? 62 : 3);
	put32(b + 20, 1);
	if (is64) {
		put64(b + 0x18, entry);
		put64(b + 0x20, eh);
		put16(b + 0x34, 64);
		put16(b + 0x36, 56);
		put16(b + 0x38, (uint16_t)n);
	} else {
		put32(b + 0x18, (uint32_t)entry);
		put32(b + 0x1C, (uint32_t)eh);
		put16(b + 0x28, 52);
		put16(b + 0x2A, 32);
		put16(b + 0x2C, (uint16_t)n);
	}
	for (int i = 0; i < n; i++) {
		uint8_t *p = b + eh + ph * i;
		const struct tb_seg *s = &segs[i];
		put32(p, s->type);
		if (is64) {
			put32(p + 4, 5);
			put64(p + 8, off);
			put64(p + 0x10, s->vaddr);
			put64(p + 0x18, s->paddr);
			put64(p + 0x20, s->filesz);
			put64(p + 0x28, s->memsz);
			put64(p + 0x30, s->align);
		} else {
			put32(p + 4, (uint32_t)off);
			put32(p + 8, (uint32_t)s->vaddr);
			put32(p + 0xC, (uint32_t)s->paddr);
			put32(p + 0x10, (uint32_t)s->filesz);
			put32(p + 0x14, (uint32_t)s->memsz);
			put32(p + 0x18, 5);
			put32(p + 0x1C, (uint32_t)s->align);
		}
		if (s->data)
			memcpy(b + off, s->data, s->filesz);
		off += (s->filesz + 15) & ~15ULL;
	}
	*len = total;
	return b;
}

/* ---- entry-state checks from the SDM ------------------------------------ */

/* Decode the GDT descriptor sel points to (SDM vol. 3A 3.4.5) and compare
 * it with the hidden part the state claims was loaded from it. */
static inline void tb_check_seg(const struct memmap *m, const struct x86_state *s, int sreg,
				const char *what)
{
	const struct x86_seg *sg = &s->seg[sreg];
	T_CHECK(sg->sel >= 8 && (uint32_t)(sg->sel | 7) <= s->gdt.limit,
		"%s selector %#x must index the GDT (limit %#x)", what, sg->sel, s->gdt.limit);
	uint64_t d = tb_u64(m, s->gdt.base + (sg->sel & ~7u));
	uint64_t base = ((d >> 16) & 0xFFFFFF) | ((d >> 56) << 24);
	uint32_t limit = (uint32_t)((d & 0xFFFF) | ((d >> 32) & 0xF0000));
	unsigned g = (d >> 55) & 1;
	if (g)
		limit = (limit << 12) | 0xFFF;
	T_EQ(sg->base, base);
	T_EQ(sg->limit, limit);
	T_EQ(sg->type, (d >> 40) & 0xF);
	T_EQ(sg->s, (d >> 44) & 1);
	T_EQ(sg->dpl, (d >> 45) & 3);
	T_EQ(sg->present, (d >> 47) & 1);
	T_EQ(sg->l, (d >> 53) & 1);
	T_EQ(sg->db, (d >> 54) & 1);
	T_EQ(sg->g, g);
	T_EQ(sg->unusable, 0);
}

/* Flat 4 GiB segments as the protocols require: CS execute/read (64-bit or
 * 32-bit), DS/ES/SS read/write 32-bit, base 0, limit 4 GiB - 1. */
static inline void tb_check_flat_segments(const struct memmap *m, const struct x86_state *s,
					  bool long_mode)
{
	static const char *names[] = {
	    [X86_ES] = "ES", [X86_CS] = "CS", [X86_SS] = "SS", [X86_DS] = "DS"};
	for (int i = X86_ES; i <= X86_DS; i++) {
		tb_check_seg(m, s, i, names[i]);
		T_EQ(s->seg[i].base, 0);
		T_EQ(s->seg[i].limit, 0xFFFFFFFF);
		T_CHECK(s->seg[i].present && s->seg[i].s, "%s must be a present code/data segment",
			names[i]);
	}
	T_CHECK(s->seg[X86_CS].type & 8, "CS must be code");
	T_CHECK(s->seg[X86_CS].type & 2, "CS must be readable");
	T_EQ(s->seg[X86_CS].l, long_mode);
	T_EQ(s->seg[X86_CS].db, !long_mode);
	for (int i = X86_ES; i <= X86_DS; i++) {
		if (i == X86_CS)
			continue;
		T_CHECK(!(s->seg[i].type & 8) && (s->seg[i].type & 2), "%s must be writable data",
			names[i]);
	}
	T_CHECK(!(s->rflags & X86_FLAGS_IF), "interrupts must be off");
	T_CHECK(!(s->rflags & (X86_FLAGS_VM | X86_FLAGS_TF)), "VM and TF must be clear");
	T_CHECK(s->rflags & X86_FLAGS_FIXED, "RFLAGS bit 1 is always set");
	T_CHECK(s->cr0 & X86_CR0_PE, "CR0.PE must be set");
}

/* A 4-level walk (SDM vol. 3A 4.5) of va from CR3; returns the physical
 * address or ~0 when not present. */
static inline uint64_t tb_walk(const struct memmap *m, uint64_t cr3, uint64_t va)
{
	uint64_t table = cr3 & ~0xFFFULL;
	for (int level = 4; level >= 1; level--) {
		unsigned idx = (va >> (12 + 9 * (level - 1))) & 511;
		uint64_t e = tb_u64(m, table + 8 * idx);
		if (!(e & 1))
			return ~0ULL;
		uint64_t addr = e & 0x000FFFFFFFFFF000ULL;
		if (level > 1 && level < 4 && (e & 0x80)) {
			uint64_t size = 1ULL << (12 + 9 * (level - 1));
			return (addr & ~(size - 1)) | (va & (size - 1));
		}
		if (level == 1)
			return addr | (va & 0xFFF);
		table = addr;
	}
	return ~0ULL;
}

#endif
