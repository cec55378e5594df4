/*
 * test_pvh.c - the PVH loader against Xen's PVH boot ABI
 * (docs/misc/pvh.pandoc) and struct hvm_start_info version 1
 * (xen/include/public/arch-x86/hvm/start_info.h), on synthetic ELF64 and
 * ELF32 kernels with the XEN_ELFNOTE_PHYS32_ENTRY note; malformed ELF files.
 */
#include "test_boot.h"

#define ENTRY 0x1000040ULL

/* One "Xen" note of the given type with a desc of dlen bytes. */
static size_t make_note(uint8_t *n, uint32_t type, uint64_t value, unsigned dlen)
{
	put32(n, 4);
	put32(n + 4, dlen);
	put32(n + 8, type);
	memcpy(n + 12, "Xen", 4);
	if (dlen == 8)
		put64(n + 16, value);
	else
		put32(n + 16, (uint32_t)value);
	return 16 + ((dlen + 3) & ~3u);
}

static uint8_t text[0x2000], data[0x100];

static uint8_t *make_pvh(bool is64, size_t *len, unsigned dlen)
{
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (uint8_t)(i * 13);
	memset(data, 0xAB, sizeof(data));
	uint8_t notes[64];
	/* An unrelated note first: the loader must walk past it. */
	put32(notes, 4);
	put32(notes + 4, 4);
	put32(notes + 8, 6);
	memcpy(notes + 12, "GNU", 4);
	put32(notes + 16, 0);
	size_t nl = 20 + make_note(notes + 20, 18, ENTRY, dlen);
	struct tb_seg segs[] = {
	    {.type = ELF_PT_LOAD,
	     .paddr = 0x1000000,
	     .vaddr = 0xffffffff81000000ULL,
	     .data = text,
	     .filesz = sizeof(text),
	     .memsz = sizeof(text),
	     .align = 0x1000},
	    {.type = ELF_PT_LOAD,
	     .paddr = 0x1100000,
	     .vaddr = 0xffffffff81100000ULL,
	     .data = data,
	     .filesz = sizeof(data),
	     .memsz = 0x5000,
	     .align = 0x1000},
	    {.type = ELF_PT_NOTE, .data = notes, .filesz = nl, .memsz = nl, .align = 4},
	};
	return tb_elf(is64, 0xffffffff81000000ULL, segs, 3, len);
}

static struct boot_input input(const uint8_t *k, size_t len)
{
	return (struct boot_input){.kernel_name = "vmlinux",
				   .kernel = k,
				   .kernel_len = len,
				   .cmdline = "console=hvc0",
				   .cpus = 4};
}

static void check_pvh(bool is64, unsigned dlen)
{
	struct memmap m;
	struct x86_state s;
	size_t len;
	uint8_t *k = make_pvh(is64, &len, dlen);
	static uint8_t rd[5000];
	memset(rd, 0x5A, sizeof(rd));
	tb_mem(&m, TB_MEM);
	struct boot_input in = input(k, len);
	in.initrd_name = "initrd";
	in.initrd = rd;
	in.initrd_len = sizeof(rd);
	T_EQ(boot_load_kernel(&m, &in, &s), 0);

	/* Segments at p_paddr, bss zeroed. */
	uint8_t *t = memmap_ptr(&m, 0x1000000, sizeof(text));
	T_CHECK(t && !memcmp(t, text, sizeof(text)), "text at p_paddr");
	T_EQ(tb_u8(&m, 0x1100000), 0xAB);
	T_EQ(tb_u8(&m, 0x1100000 + 0x4FFF), 0);

	/* Entry state (pvh.pandoc): EBX = start_info, CR0.PE only, CR4 0,
	 * flat 32-bit CS/DS/ES, TR a 32-bit busy TSS base 0 limit 0x67. */
	T_EQ(s.rip, ENTRY);
	T_EQ(s.gpr[X86_RBX], LAYOUT_PVH_START_INFO);
	T_EQ(s.cr0 & ~X86_CR0_ET, X86_CR0_PE);
	T_EQ(s.cr4, 0);
	T_EQ(s.efer, 0);
	tb_check_flat_segments(&m, &s, false);
	T_EQ(s.seg[X86_TR].type, 0xB);
	T_EQ(s.seg[X86_TR].base, 0);
	T_EQ(s.seg[X86_TR].limit, 0x67);
	T_EQ(s.seg[X86_TR].present, 1);

	/* hvm_start_info v1. */
	uint64_t si = LAYOUT_PVH_START_INFO;
	T_EQ(tb_u32(&m, si + 0), 0x336ec578);
	T_EQ(tb_u32(&m, si + 4), 1);
	T_EQ(tb_u32(&m, si + 12), 1); /* nr_modules */
	uint64_t cmd = tb_u64(&m, si + 24);
	char *c = memmap_ptr(&m, cmd, 13);
	T_CHECK(c && !strcmp(c, "console=hvc0"), "cmdline_paddr");
	/* rsdp_paddr: the RSDP ("RSD PTR ") ember's ACPI tables start with. */
	T_EQ(tb_u64(&m, si + 32), LAYOUT_ACPI_RSDP);
	T_EQ(tb_u64(&m, tb_u64(&m, si + 32)), 0x2052545020445352ULL);
	uint64_t mod = tb_u64(&m, si + 16);
	uint64_t rdaddr = tb_u64(&m, mod);
	T_EQ(tb_u64(&m, mod + 8), sizeof(rd));
	T_EQ(rdaddr & 0xFFF, 0);
	T_CHECK(rdaddr >= 0x1105000, "initrd above the kernel");
	T_EQ(tb_u8(&m, rdaddr), 0x5A);
	T_EQ(tb_u8(&m, rdaddr + sizeof(rd) - 1), 0x5A);
	uint64_t map = tb_u64(&m, si + 40);
	uint32_t n = tb_u32(&m, si + 48);
	T_CHECK(n >= 3 && n < 32, "memmap_entries %u", n);
	uint64_t ram = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t a = tb_u64(&m, map + 24 * i), sz = tb_u64(&m, map + 24 * i + 8);
		uint32_t type = tb_u32(&m, map + 24 * i + 16);
		if (type == 1) {
			T_CHECK(boot_is_ram(&m, a, sz), "memmap RAM entry %u must be RAM", i);
			ram += sz;
		}
	}
	T_EQ(ram, TB_MEM - (LAYOUT_HIMEM_START - LAYOUT_EBDA_START));
	/* The start info, module list and memmap do not overlap the zero page
	 * or each other's successors in the low layout. */
	T_CHECK(map + 24 * n <= LAYOUT_ZERO_PAGE, "start info must fit below the zero page");
	T_EQ(tb_u32(&m, LAYOUT_MPTABLE), 0x5F504D5F);
	memmap_destroy(&m);
	free(k);
}

static void test_elf64_pvh(void)
{
	check_pvh(true, 8); /* Linux x86-64: _ASM_PTR, 8 bytes */
}

static void test_elf32_pvh(void)
{
	check_pvh(false, 4); /* Xen's documented .long */
}

static void expect_fail(uint8_t *k, size_t len, const char *what, const char *what2)
{
	struct boot_input in = input(k, len);
	tb_expect_fail(&in, "vmlinux", what, what2);
}

static void test_malformed(void)
{
	size_t len;
	uint8_t *k = make_pvh(true, &len, 8);
	uint8_t *ph1 = k + 64 + 56; /* program header 1 */

	expect_fail(k, 40, "truncated ELF header", NULL);
	expect_fail(k, 64 + 56, "program header table", "outside the file");
	put64(ph1 + 0x20, 0x100000); /* filesz past the end of the file */
	expect_fail(k, len, "program header 1", "outside the file");
	put64(ph1 + 0x20, 0x100);
	put64(ph1 + 0x08, ~0ULL - 8); /* offset + filesz overflows */
	expect_fail(k, len, "program header 1", "outside the file");
	put64(ph1 + 0x08, 64 + 3 * 56 + sizeof(text));
	put64(ph1 + 0x18, 0x7FFFF000); /* beyond 64 MiB of RAM */
	expect_fail(k, len, "program header 1", "outside RAM");
	put64(ph1 + 0x18, ~0ULL - 0x1000); /* paddr + memsz overflows */
	expect_fail(k, len, "program header 1", "outside RAM");
	put64(ph1 + 0x18, 0x1001000); /* inside segment 0 */
	expect_fail(k, len, "program headers 0 and 1 overlap", NULL);
	put64(ph1 + 0x18, 0x8000); /* on the boot tables */
	expect_fail(k, len, "below 1 MiB", NULL);
	put64(ph1 + 0x18, 0x1100000);
	put64(ph1 + 0x28, 0x80); /* memsz < filesz */
	expect_fail(k, len, "larger than", NULL);
	put64(ph1 + 0x28, 0x5000);
	k[18] = 40; /* EM_ARM */
	expect_fail(k, len, "not x86", NULL);
	k[18] = 62;
	k[5] = 2;
	expect_fail(k, len, "little-endian", NULL);
	k[5] = 1;
	/* A note whose desc size runs past the segment. */
	uint8_t *ph2 = k + 64 + 2 * 56;
	uint8_t *note = k + get64(ph2 + 8);
	put32(note + 20 + 4, 0x10000);
	expect_fail(k, len, "note", "past the end");
	put32(note + 20 + 4, 2);
	expect_fail(k, len, "2-byte", NULL);
	put32(note + 20 + 4, 8);
	put32(note + 20 + 16 + 4, 1); /* entry above 4 GiB */
	expect_fail(k, len, "above 4 GiB", NULL);
	put32(note + 20 + 16 + 4, 0);
	put32(note + 20 + 16, 0x7000000); /* entry outside RAM */
	expect_fail(k, len, "entry", "outside RAM");
	put32(note + 20 + 8, 17); /* no PVH note, no multiboot header */
	expect_fail(k, len, "neither a PVH entry note", "multiboot");
	free(k);
}

static void test_mutations(void)
{
	struct memmap m;
	struct x86_state s;
	size_t len;
	uint8_t *good = make_pvh(true, &len, 8);
	uint8_t *k = malloc(len);
	tb_mem(&m, TB_MEM);
	unsigned seed = 777;
	size_t hdrs = 64 + 3 * 56;
	for (int iter = 0; iter < 3000; iter++) {
		memcpy(k, good, len);
		for (int j = 0; j < 3; j++)
			k[(size_t)rand_r(&seed) % hdrs] = (uint8_t)rand_r(&seed);
		/* Notes too. */
		k[hdrs + sizeof(text) + sizeof(data) + (size_t)rand_r(&seed) % 40] ^= 1u
										      << (iter & 7);
		struct boot_input in = input(k, (iter % 5) ? len : (size_t)rand_r(&seed) % len);
		if (boot_load_kernel(&m, &in, &s) < 0)
			T_CHECK(strstr(ember_last_error(), "vmlinux"),
				"iteration %d: error must name the file: %s", iter,
				ember_last_error());
	}
	memmap_destroy(&m);
	free(k);
	free(good);
}

int main(void)
{
	T_RUN(test_elf64_pvh);
	T_RUN(test_elf32_pvh);
	T_RUN(test_malformed);
	T_RUN(test_mutations);
	T_EXIT();
}
