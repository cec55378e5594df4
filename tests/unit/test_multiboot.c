/*
 * test_multiboot.c - the multiboot v1 loader against the Multiboot
 * Specification 0.6.96 (3.1 header, 3.2 machine state, 3.3 information):
 * an ELF32 kernel, an a.out-kludge image, and malformed headers.
 */
#include "test_boot.h"

#define MB_MAGIC 0x1BADB002u

static uint8_t text[0x1800];

static void put_header(uint8_t *h, uint32_t flags)
{
	put32(h, MB_MAGIC);
	put32(h + 4, flags);
	put32(h + 8, (uint32_t) - (MB_MAGIC + flags));
}

/* ELF32 with the header at the start of its first segment (in 8 KiB). */
static uint8_t *make_mb_elf(size_t *len, uint32_t flags)
{
	memset(text, 0x90, sizeof(text));
	put_header(text, flags);
	struct tb_seg segs[] = {
	    {.type = ELF_PT_LOAD,
	     .paddr = 0x100000,
	     .vaddr = 0xC0100000,
	     .data = text,
	     .filesz = sizeof(text),
	     .memsz = 0x3000,
	     .align = 0x1000},
	};
	return tb_elf(false, 0xC0100010, segs, 1, len);
}

static struct boot_input input(const uint8_t *k, size_t len)
{
	return (struct boot_input){.kernel_name = "kernel.elf",
				   .kernel = k,
				   .kernel_len = len,
				   .cmdline = "root=sda1",
				   .cpus = 1};
}

static void check_info_at(const struct memmap *m, const struct x86_state *s, uint64_t rd_len,
			  uint64_t mbi)
{
	/* Machine state (3.2). */
	T_EQ(s->gpr[X86_RAX], 0x2BADB002);
	T_EQ(s->gpr[X86_RBX], mbi);
	T_CHECK(!(s->cr0 & X86_CR0_PG), "paging off");
	tb_check_flat_segments(m, s, false);
	for (int i = X86_FS; i <= X86_GS; i++)
		tb_check_seg(m, s, i, i == X86_FS ? "FS" : "GS");

	/* Information structure (3.3). */
	uint32_t flags = tb_u32(m, mbi);
	T_CHECK((flags & 0x24D) == 0x24D, "flags %#x: mem, cmdline, mods, mmap, loader name",
		flags);
	T_EQ(tb_u32(m, mbi + 4), LAYOUT_EBDA_START >> 10);	       /* mem_lower in KiB */
	T_EQ(tb_u32(m, mbi + 8), (TB_MEM - LAYOUT_HIMEM_START) >> 10); /* mem_upper */
	char *c = memmap_ptr(m, tb_u32(m, mbi + 16), 10);
	T_CHECK(c && !strcmp(c, "root=sda1"), "cmdline");
	char *ln = memmap_ptr(m, tb_u32(m, mbi + 64), 6);
	T_CHECK(ln && !strcmp(ln, "ember"), "boot_loader_name");
	T_EQ(tb_u32(m, mbi + 20), rd_len ? 1 : 0);
	if (rd_len) {
		uint64_t mod = tb_u32(m, mbi + 24);
		uint32_t start = tb_u32(m, mod), end = tb_u32(m, mod + 4);
		T_EQ(end - start, rd_len);
		T_EQ(start & 0xFFF, 0); /* page aligned (flag 0) */
		T_EQ(tb_u8(m, start), 0x77);
		char *str = memmap_ptr(m, tb_u32(m, mod + 8), 9);
		T_CHECK(str && !strcmp(str, "mod.bin"), "module string = file name");
	}
	/* mmap: size field 20 precedes each entry; it does not count itself. */
	uint32_t mlen = tb_u32(m, mbi + 44), maddr = tb_u32(m, mbi + 48);
	uint64_t ram = 0;
	for (uint32_t off = 0; off < mlen;) {
		uint32_t size = tb_u32(m, maddr + off);
		T_EQ(size, 20);
		if (size != 20)
			break;
		uint64_t a = tb_u64(m, maddr + off + 4), l = tb_u64(m, maddr + off + 12);
		if (tb_u32(m, maddr + off + 20) == 1) {
			T_CHECK(boot_is_ram(m, a, l), "mmap RAM entry at %#llx must be RAM",
				(unsigned long long)a);
			ram += l;
		}
		off += size + 4;
	}
	T_EQ(ram, TB_MEM - (LAYOUT_HIMEM_START - LAYOUT_EBDA_START));
}

static void check_info(const struct memmap *m, const struct x86_state *s, uint64_t rd_len)
{
	check_info_at(m, s, rd_len, LAYOUT_MB_INFO);
}

static void test_elf32(void)
{
	struct memmap m;
	struct x86_state s;
	size_t len;
	uint8_t *k = make_mb_elf(&len, 0x3);
	static uint8_t rd[3000];
	memset(rd, 0x77, sizeof(rd));
	tb_mem(&m, TB_MEM);
	struct boot_input in = input(k, len);
	in.initrd_name = "mod.bin";
	in.initrd = rd;
	in.initrd_len = sizeof(rd);
	T_EQ(boot_load_kernel(&m, &in, &s), 0);
	/* e_entry is virtual; it lies in the segment, so its physical twin. */
	T_EQ(s.rip, 0x100010);
	T_EQ(tb_u32(&m, 0x100000), MB_MAGIC);
	T_EQ(tb_u8(&m, 0x102FFF), 0); /* bss */
	check_info(&m, &s, sizeof(rd));
	memmap_destroy(&m);
	free(k);
}

/* A raw binary with the a.out kludge (flag 16): the header says where. */
static void test_aout_kludge(void)
{
	struct memmap m;
	struct x86_state s;
	uint8_t img[0x400];
	memset(img, 0xCC, sizeof(img));
	/* Header at file offset 0x40; the file's first byte goes to 0x200000. */
	put_header(img + 0x40, 0x10002);
	put32(img + 0x40 + 12, 0x200040); /* header_addr */
	put32(img + 0x40 + 16, 0x200000); /* load_addr */
	put32(img + 0x40 + 20, 0x200300); /* load_end_addr */
	put32(img + 0x40 + 24, 0x202000); /* bss_end_addr */
	put32(img + 0x40 + 28, 0x200080); /* entry_addr */
	tb_mem(&m, TB_MEM);
	struct boot_input in = input(img, sizeof(img));
	uint8_t junk[0x3000];
	memset(junk, 0xFF, sizeof(junk));
	memmap_write(&m, 0x200000, junk, sizeof(junk));
	T_EQ(boot_load_kernel(&m, &in, &s), 0);
	T_EQ(s.rip, 0x200080);
	T_EQ(tb_u32(&m, 0x200040), MB_MAGIC);
	T_EQ(tb_u8(&m, 0x2002FF), 0xCC);
	T_EQ(tb_u8(&m, 0x200300), 0); /* bss starts at load_end_addr */
	T_EQ(tb_u8(&m, 0x201FFF), 0);
	T_EQ(tb_u8(&m, 0x202000), 0xFF); /* past bss_end: untouched */
	check_info(&m, &s, 0);

	/* Malformed kludges. */
	put32(img + 0x40 + 16, 0x100000); /* header 0x100040 bytes into the file */
	T_CHECK(boot_load_kernel(&m, &in, &s) < 0, "load_addr before the file refused");
	TB_ERR("kernel.elf", "before the start of the file");
	put32(img + 0x40 + 16, 0x200000);
	put32(img + 0x40 + 20, 0x300000);
	T_CHECK(boot_load_kernel(&m, &in, &s) < 0, "load_end past the file refused");
	TB_ERR("kernel.elf", "load_end_addr");
	put32(img + 0x40 + 20, 0x200300);
	put32(img + 0x40 + 24, 0x200100);
	T_CHECK(boot_load_kernel(&m, &in, &s) < 0, "bss_end below load_end refused");
	TB_ERR("kernel.elf", "bss_end_addr");
	put32(img + 0x40 + 24, 0xFFFFFFFF);
	T_CHECK(boot_load_kernel(&m, &in, &s) < 0, "bss outside RAM refused");
	TB_ERR("kernel.elf", "not inside RAM");
	memmap_destroy(&m);
}

/* The bytes the loader wrote for the guest (info, mmap, strings, module
 * list): every pointer reachable from the info block, as ranges. */
static bool info_overlaps(const struct memmap *m, uint64_t mbi, uint64_t lo, uint64_t hi)
{
	uint64_t r[4][2] = {
	    {mbi, mbi + 88},
	    {tb_u32(m, mbi + 48), tb_u32(m, mbi + 48) + tb_u32(m, mbi + 44)},
	    {tb_u32(m, mbi + 16), tb_u32(m, mbi + 16) + 10},
	    {tb_u32(m, mbi + 64), tb_u32(m, mbi + 64) + 6},
	};
	for (int i = 0; i < 4; i++)
		if (r[i][0] < hi && lo < r[i][1])
			return true;
	return false;
}

/* Kernels linked for low memory (QEMU's test kernels load at 0x8000, where
 * the info block normally goes): the image stays intact and the info moves. */
static void test_low_memory(void)
{
	struct memmap m;
	struct x86_state s;
	static uint8_t low[0x3000];
	memset(low, 0x5A, sizeof(low));
	put_header(low, 0x3);
	struct tb_seg seg = {.type = ELF_PT_LOAD,
			     .paddr = 0x8000,
			     .vaddr = 0x8000,
			     .data = low,
			     .filesz = sizeof(low),
			     .memsz = 0x18000, /* bss up to 0x20000 */
			     .align = 0x1000};
	size_t len;
	uint8_t *k = tb_elf(false, 0x8010, &seg, 1, &len);
	tb_mem(&m, TB_MEM);
	struct boot_input in = input(k, len);
	T_EQ(boot_load_kernel(&m, &in, &s), 0);
	T_EQ(s.rip, 0x8010);
	uint64_t mbi = s.gpr[X86_RBX];
	T_CHECK(!info_overlaps(&m, mbi, 0x8000, 0x20000),
		"multiboot info at %#llx must miss the image 0x8000-0x20000",
		(unsigned long long)mbi);
	T_EQ(tb_u32(&m, 0x8000), MB_MAGIC);
	T_EQ(tb_u8(&m, 0x8000 + sizeof(low) - 1), 0x5A);
	T_EQ(tb_u8(&m, 0x1FFFF), 0); /* bss */
	check_info_at(&m, &s, 0, mbi);
	/* The boot GDT (page 0) is still what the entry state loaded. */
	tb_check_flat_segments(&m, &s, false);
	memmap_destroy(&m);
	free(k);

	/* Page 0 (IVT, BDA, GDT) and the EBDA are not the kernel's. */
	seg.paddr = 0x800;
	k = tb_elf(false, 0x8010, &seg, 1, &len);
	struct boot_input bad = input(k, len);
	tb_expect_fail(&bad, "kernel.elf", "below 0x1000", NULL);
	free(k);
	seg.paddr = 0x88000; /* memsz 0x18000: up to 0xA0000, over the EBDA */
	k = tb_elf(false, 0x88010, &seg, 1, &len);
	bad = input(k, len);
	tb_expect_fail(&bad, "kernel.elf", "EBDA", NULL);
	free(k);

	/* The a.out kludge at 0x10000, over where the info would go next. */
	uint8_t img[0x400];
	memset(img, 0xCC, sizeof(img));
	put_header(img + 0x40, 0x10002);
	put32(img + 0x40 + 12, 0x1040); /* header_addr */
	put32(img + 0x40 + 16, 0x1000); /* load_addr */
	put32(img + 0x40 + 20, 0x1400); /* load_end_addr */
	put32(img + 0x40 + 24, 0x9000); /* bss_end_addr: over 0x8000 too */
	put32(img + 0x40 + 28, 0x1080); /* entry_addr */
	tb_mem(&m, TB_MEM);
	struct boot_input kl = input(img, sizeof(img));
	T_EQ(boot_load_kernel(&m, &kl, &s), 0);
	mbi = s.gpr[X86_RBX];
	T_CHECK(!info_overlaps(&m, mbi, 0x1000, 0x9000), "info at %#llx inside the image",
		(unsigned long long)mbi);
	check_info_at(&m, &s, 0, mbi);
	memmap_destroy(&m);
}

static void expect_fail(uint8_t *k, size_t len, const char *what, const char *what2)
{
	struct boot_input in = input(k, len);
	tb_expect_fail(&in, "kernel.elf", what, what2);
}

static void test_malformed(void)
{
	size_t len;
	uint8_t *k = make_mb_elf(&len, 0x3);
	size_t hdr = 52 + 32; /* the header opens the segment's bytes */
	put32(k + hdr + 8, 0x12345678);
	expect_fail(k, len, "bad checksum", NULL);
	put_header(k + hdr, 0x3 | 0x8); /* bit 3: a requirement we do not know */
	expect_fail(k, len, "requires features", "0x");
	put_header(k + hdr, 0x3);
	put_header(k + hdr, 0x10003); /* kludge flag but the fields are missing */
	expect_fail(k, hdr + 16, "truncated", NULL);

	/* A non-ELF file with a header but no kludge. */
	uint8_t raw[64] = {0};
	put_header(raw + 8, 0x3);
	expect_fail(raw, sizeof(raw), "not ELF", "flag 16");
	/* A header past the first 8 KiB is not looked for. */
	uint8_t *far = calloc(1, 0x3000);
	put_header(far + 0x2000, 0x3);
	expect_fail(far, 0x3000, "unknown kernel format", NULL);
	free(far);
	free(k);
}

int main(void)
{
	T_RUN(test_elf32);
	T_RUN(test_aout_kludge);
	T_RUN(test_malformed);
	T_RUN(test_low_memory);
	T_EXIT();
}
