/*
 * test_bzimage.c - the bzImage loader and extract-vmlinux against the Linux
 * x86 boot protocol (Documentation/arch/x86/boot.rst, zero-page.rst): field
 * offsets, the 64-bit entry requirements, placement rules, malformed images;
 * the layout and header for a firmware's loader ROM (boot_fw_linux); and
 * Debian's real kernel when scripts/fetch-guest.sh has put it in guest/.
 */
#include <fcntl.h>
#include <lzma.h>
#include <unistd.h>
#include <zlib.h>

#include "test_boot.h"

#define SETUP_SECTS 3
#define SETUP_SIZE  ((SETUP_SECTS + 1) * 512)
#define KERNEL_LEN  0x3000
#define PREF	    0x1000000ULL
#define ALIGN	    0x200000ULL
#define INIT_SIZE   0x400000ULL

/* A minimal bzImage: boot sector + setup header, then the "kernel"
 * (a byte pattern), optionally with a payload inside it. */
static uint8_t *make_bzimage(size_t *len, const uint8_t *payload, size_t payload_len)
{
	size_t klen = KERNEL_LEN + payload_len;
	*len = SETUP_SIZE + klen;
	uint8_t *b = calloc(1, *len);
	b[0x1F1] = SETUP_SECTS;
	put32(b + 0x1F4, (uint32_t)(klen / 16)); /* syssize */
	put16(b + 0x1FE, 0xAA55);
	b[0x200] = 0xEB;
	b[0x201] = 0x66; /* header ends at 0x268 */
	memcpy(b + 0x202, "HdrS", 4);
	put16(b + 0x206, 0x020F);
	b[0x211] = 0x01; /* LOADED_HIGH */
	put32(b + 0x214, 0x100000);
	put32(b + 0x22C, 0x7FFFFFFF); /* initrd_addr_max */
	put32(b + 0x230, ALIGN);
	b[0x234] = 1; /* relocatable */
	b[0x235] = 21;
	put16(b + 0x236, 0x3);	/* XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G */
	put32(b + 0x238, 2047); /* cmdline_size */
	if (payload) {
		put32(b + 0x248, KERNEL_LEN); /* payload_offset from the kernel start */
		put32(b + 0x24C, (uint32_t)payload_len);
		memcpy(b + SETUP_SIZE + KERNEL_LEN, payload, payload_len);
	}
	put64(b + 0x258, PREF);
	put32(b + 0x260, INIT_SIZE);
	for (size_t i = 0; i < KERNEL_LEN; i++)
		b[SETUP_SIZE + i] = (uint8_t)(i * 7 + 1);
	return b;
}

static struct boot_input input(const uint8_t *k, size_t len)
{
	return (struct boot_input){
	    .kernel_name = "vmlinuz", .kernel = k, .kernel_len = len, .cmdline = "", .cpus = 1};
}

static void test_load_good(void)
{
	struct memmap m;
	struct x86_state s;
	size_t len;
	uint8_t *k = make_bzimage(&len, NULL, 0);
	static uint8_t initrd[100000];
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i ^ (i >> 8));
	tb_mem(&m, TB_MEM);
	struct boot_input in = input(k, len);
	in.cmdline = "console=ttyS0 quiet";
	in.initrd_name = "initrd.img";
	in.initrd = initrd;
	in.initrd_len = sizeof(initrd);
	in.cpus = 2;
	T_EQ(boot_load_kernel(&m, &in, &s), 0);

	/* A relocatable kernel that fits at pref_address goes there. */
	uint8_t *kern = memmap_ptr(&m, PREF, KERNEL_LEN);
	T_CHECK(kern && !memcmp(kern, k + SETUP_SIZE, KERNEL_LEN),
		"protected-mode kernel must be at pref_address 0x%llx", PREF);

	/* The zero page: the image's setup header from 0x1F1, then ours. */
	uint64_t zp = LAYOUT_ZERO_PAGE;
	T_EQ(s.gpr[X86_RSI], zp);
	uint8_t *z = memmap_ptr(&m, zp, 0x1000);
	T_CHECK(z && !memcmp(z + 0x202, "HdrS", 4), "setup header copied");
	T_EQ(get16(z + 0x1FE), 0xAA55);
	T_EQ(get16(z + 0x206), 0x020F);
	T_EQ(get32(z + 0x230), ALIGN);
	T_EQ(get16(z + 0x236), 3);
	T_EQ(get64(z + 0x258), PREF);
	T_EQ(z[0x210], 0xFF);	      /* type_of_loader: undefined */
	T_EQ(z[0x1EF], 0);	      /* sentinel: we zeroed the page */
	T_EQ(get32(z + 0x214), PREF); /* code32_start follows the load address */
	uint32_t cmd = get32(z + 0x228);
	char *c = memmap_ptr(&m, cmd, 20);
	T_CHECK(c && !strcmp(c, "console=ttyS0 quiet"),
		"cmd_line_ptr must point at the command line");
	T_EQ(get32(z + 0xC8), 0); /* ext_cmd_line_ptr */
	/* acpi_rsdp_addr (boot_params 0x070): the RSDP's "RSD PTR ". */
	T_EQ(get64(z + 0x70), LAYOUT_ACPI_RSDP);
	T_EQ(tb_u64(&m, get64(z + 0x70)), 0x2052545020445352ULL);
	uint32_t rd = get32(z + 0x218), rdsize = get32(z + 0x21C);
	T_EQ(rdsize, sizeof(initrd));
	T_EQ(rd & 0xFFF, 0);
	T_CHECK(rd >= PREF + INIT_SIZE, "initrd 0x%x must not overlap the kernel's init_size", rd);
	T_CHECK(rd + rdsize <= TB_MEM && TB_MEM - (rd + rdsize) < 0x1000,
		"initrd must be as high as possible in RAM (at 0x%x)", rd);
	uint8_t *r = memmap_ptr(&m, rd, rdsize);
	T_CHECK(r && !memcmp(r, initrd, rdsize), "initrd contents");
	T_EQ(get32(z + 0xC0), 0);
	T_EQ(get32(z + 0xC4), 0);

	/* e820 at 0x2D0, count at 0x1E8: sorted, disjoint, RAM where the
	 * memory map has RAM, the EBDA..1 MiB area reserved. */
	int n = z[0x1E8];
	T_CHECK(n >= 3 && n <= 128, "e820 entries: %d", n);
	uint64_t prev_end = 0, ram = 0;
	bool ebda_reserved = false;
	for (int i = 0; i < n; i++) {
		uint8_t *e = z + 0x2D0 + 20 * i;
		uint64_t a = get64(e), sz = get64(e + 8);
		uint32_t t = get32(e + 16);
		T_CHECK(a >= prev_end, "e820 entry %d overlaps or is unsorted", i);
		prev_end = a + sz;
		if (t == 1) {
			T_CHECK(boot_is_ram(&m, a, sz), "e820 RAM entry %d must be RAM", i);
			T_CHECK(a + sz <= LAYOUT_EBDA_START || a >= LAYOUT_HIMEM_START,
				"no RAM between the EBDA and 1 MiB");
			ram += sz;
		}
		if (t == 2 && a <= LAYOUT_MPTABLE_CONFIG && a + sz >= LAYOUT_HIMEM_START)
			ebda_reserved = true;
	}
	T_CHECK(ebda_reserved, "EBDA, MP table and BIOS area must be reserved up to 1 MiB");
	T_EQ(ram, TB_MEM - (LAYOUT_HIMEM_START - LAYOUT_EBDA_START));

	/* 64-bit entry (boot.rst "64-bit Boot Protocol"). */
	T_EQ(s.rip, PREF + 0x200);
	T_EQ(s.seg[X86_CS].sel, 0x10);
	T_EQ(s.seg[X86_DS].sel, 0x18);
	T_EQ(s.seg[X86_ES].sel, 0x18);
	T_EQ(s.seg[X86_SS].sel, 0x18);
	tb_check_flat_segments(&m, &s, true);
	T_CHECK((s.efer & (X86_EFER_LME | X86_EFER_LMA)) == (X86_EFER_LME | X86_EFER_LMA),
		"EFER.LME and LMA");
	T_CHECK(s.cr0 & X86_CR0_PG, "paging on");
	T_CHECK(s.cr4 & X86_CR4_PAE, "PAE on");
	/* Identity mapped: kernel .. init_size, zero page, command line, initrd. */
	uint64_t probes[] = {PREF, PREF + 0x200,    PREF + INIT_SIZE - 1, zp, cmd,
			     rd,   rd + rdsize - 1, 0xFFFFFFFFULL,	  0};
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++)
		T_EQ(tb_walk(&m, s.cr3, probes[i]), probes[i]);
	T_EQ(tb_walk(&m, s.cr3, 1ULL << 32), ~0ULL);
	T_EQ(tb_u32(&m, LAYOUT_MPTABLE), 0x5F504D5F); /* "_MP_" */
	memmap_destroy(&m);
	free(k);
}

static void test_placement(void)
{
	struct memmap m;
	struct x86_state s;
	size_t len;
	uint8_t *k = make_bzimage(&len, NULL, 0);
	struct boot_input in = input(k, len);

	/* pref_address + init_size beyond 18 MiB of RAM: relocatable kernels
	 * go to the lowest kernel_alignment boundary above 1 MiB. */
	tb_mem(&m, 18 << 20);
	T_EQ(boot_load_kernel(&m, &in, &s), 0);
	T_EQ(s.rip, ALIGN + 0x200);
	T_EQ(get32((uint8_t *)memmap_ptr(&m, LAYOUT_ZERO_PAGE + 0x214, 4)), ALIGN);
	memmap_destroy(&m);

	/* Not relocatable: it moves itself to pref_address, so load it there
	 * and refuse when init_size does not fit there. */
	k[0x234] = 0;
	tb_mem(&m, TB_MEM);
	T_EQ(boot_load_kernel(&m, &in, &s), 0);
	T_EQ(s.rip, PREF + 0x200);
	memmap_destroy(&m);
	tb_mem(&m, 18 << 20);
	T_EQ(boot_load_kernel(&m, &in, &s), -ENOMEM);
	TB_ERR("vmlinuz", "init_size");
	memmap_destroy(&m);

	/* initrd_addr_max caps the initrd (the last byte may be at it). */
	k[0x234] = 1;
	put32(k + 0x22C, 0x01FFFFFF);
	static uint8_t rd[8192];
	in.initrd_name = "rd";
	in.initrd = rd;
	in.initrd_len = sizeof(rd);
	tb_mem(&m, TB_MEM);
	T_EQ(boot_load_kernel(&m, &in, &s), 0);
	T_EQ(get32((uint8_t *)memmap_ptr(&m, LAYOUT_ZERO_PAGE + 0x218, 4)), 0x02000000 - 8192);
	memmap_destroy(&m);
	free(k);
}

static void expect_fail(uint8_t *k, size_t len, const char *what, const char *what2)
{
	struct boot_input in = input(k, len);
	tb_expect_fail(&in, "vmlinuz", what, what2);
}

static void test_malformed(void)
{
	size_t len;
	uint8_t *k = make_bzimage(&len, NULL, 0);

	expect_fail(k, 0x300, "truncated", "setup sectors");
	expect_fail(k, len - 0x100, "truncated", "syssize");
	k[0x1FE] = 0x00;
	expect_fail(k, len, "boot_flag", "0xAA55");
	k[0x1FE] = 0x55;
	put16(k + 0x206, 0x0206);
	expect_fail(k, len, "2.06 is too old", "2.12");
	put16(k + 0x206, 0x020F);
	put16(k + 0x236, 0x2);
	expect_fail(k, len, "XLF_KERNEL_64", NULL);
	put16(k + 0x236, 0x3);
	k[0x211] = 0;
	expect_fail(k, len, "LOADED_HIGH", NULL);
	k[0x211] = 1;
	k[0x201] = 0x10;
	expect_fail(k, len, "setup header ends", NULL);
	k[0x201] = 0x66;
	k[0x1F1] = 200; /* 100 KiB of setup in a 14 KiB file */
	expect_fail(k, len, "truncated", NULL);
	k[0x1F1] = SETUP_SECTS;
	put32(k + 0x230, 0x300000);
	expect_fail(k, len, "kernel_alignment", NULL);
	put32(k + 0x230, ALIGN);
	put32(k + 0x260, 0xF0000000);
	expect_fail(k, len, "init_size", "--mem");
	put32(k + 0x260, INIT_SIZE);
	memcpy(k + 0x202, "HdrX", 4);
	expect_fail(k, len, "not a bzImage", "signature missing at 0x202");
	k[0x1FE] = 0;
	expect_fail(k, len, "unknown kernel format", "bzImage");
	expect_fail(k, 0, "unknown kernel format", NULL);
	k[0x1FE] = 0x55;
	memcpy(k + 0x202, "HdrS", 4);

	struct memmap m;
	struct x86_state s;
	struct boot_input in = input(k, len);
	char cmd[40];
	memset(cmd, 'a', sizeof(cmd) - 1);
	cmd[sizeof(cmd) - 1] = 0;
	put32(k + 0x238, 38); /* one less than our 39 characters */
	in.cmdline = cmd;
	tb_mem(&m, TB_MEM);
	T_EQ(boot_load_kernel(&m, &in, &s), -E2BIG);
	TB_ERR("--append", "at most 38");
	put32(k + 0x238, 39);
	T_EQ(boot_load_kernel(&m, &in, &s), 0);

	uint8_t *big = calloc(1, 60 << 20);
	in.initrd_name = "huge.cpio";
	in.initrd = big;
	in.initrd_len = 60 << 20;
	T_EQ(boot_load_kernel(&m, &in, &s), -ENOMEM);
	TB_ERR("huge.cpio", "does not fit");
	in.initrd_len = 0;
	T_CHECK(boot_load_kernel(&m, &in, &s) < 0, "empty initrd refused");
	TB_ERR("huge.cpio", "empty");
	free(big);
	memmap_destroy(&m);
	free(k);
}

/* Random byte mutations of a good image: never a crash, and every refusal
 * names the file (deterministic seed: reproducible). */
static void test_mutations(void)
{
	struct memmap m;
	struct x86_state s;
	size_t len;
	uint8_t *good = make_bzimage(&len, NULL, 0);
	uint8_t *k = malloc(len);
	tb_mem(&m, TB_MEM);
	unsigned seed = 12345;
	for (int iter = 0; iter < 3000; iter++) {
		memcpy(k, good, len);
		for (int j = 0; j < 4; j++) {
			size_t at = 0x1F1 + (size_t)rand_r(&seed) % 0x80;
			k[at] = (uint8_t)rand_r(&seed);
		}
		size_t l = (iter % 7) ? len : (size_t)rand_r(&seed) % len;
		struct boot_input in = input(k, l);
		if (boot_load_kernel(&m, &in, &s) < 0)
			T_CHECK(strstr(ember_last_error(), "vmlinuz") ||
				    strstr(ember_last_error(), "--append"),
				"iteration %d: error must name the file: %s", iter,
				ember_last_error());
	}
	memmap_destroy(&m);
	free(k);
	free(good);
}

/* The kernel build appends the uncompressed size after the stream. */
static size_t compress_payload(const uint8_t *elf, size_t n, uint8_t *out, size_t cap, bool gz)
{
	size_t pos = 0;
	if (gz) {
		z_stream z;
		memset(&z, 0, sizeof(z));
		deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
		z.next_in = (Bytef *)elf;
		z.avail_in = (uInt)n;
		z.next_out = out;
		z.avail_out = (uInt)cap;
		deflate(&z, Z_FINISH);
		pos = z.total_out;
		deflateEnd(&z);
	} else {
		lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, elf, n, out, &pos, cap);
	}
	put32(out + pos, (uint32_t)n);
	return pos + 4;
}

static void test_extract(void)
{
	uint8_t elf[20000];
	for (size_t i = 0; i < sizeof(elf); i++)
		elf[i] = (uint8_t)(i % 251);
	memcpy(elf, "\177ELF", 4);
	char dir[] = "/tmp/ember-bz-XXXXXX";
	T_CHECK(mkdtemp(dir), "mkdtemp");
	char bzpath[64], out[64];
	snprintf(bzpath, sizeof(bzpath), "%s/vmlinuz", dir);
	snprintf(out, sizeof(out), "%s/vmlinux", dir);
	for (int gz = 0; gz < 2; gz++) {
		uint8_t pay[30000];
		size_t plen = compress_payload(elf, sizeof(elf), pay, sizeof(pay) - 4, gz);
		size_t len;
		uint8_t *k = make_bzimage(&len, pay, plen);
		FILE *f = fopen(bzpath, "wb");
		fwrite(k, 1, len, f);
		fclose(f);
		T_EQ(boot_extract_vmlinux(bzpath, out), 0);
		uint8_t *back;
		size_t blen;
		T_EQ(read_file(out, &back, &blen), 0);
		T_EQ(blen, sizeof(elf));
		T_CHECK(blen == sizeof(elf) && !memcmp(back, elf, blen), "%s round trip",
			gz ? "gzip" : "xz");
		free(back);

		/* A corrupt stream, a payload outside the file, no ELF inside. */
		uint8_t *bad;
		k[SETUP_SIZE + KERNEL_LEN + plen / 2] ^= 0x55;
		T_CHECK(bzimage_extract("vmlinuz", k, len, &bad, &blen) < 0, "corrupt refused");
		TB_ERR("vmlinuz", "corrupt");
		k[SETUP_SIZE + KERNEL_LEN + plen / 2] ^= 0x55;
		put32(k + 0x24C, 0xFFFFFFF0);
		T_CHECK(bzimage_extract("vmlinuz", k, len, &bad, &blen) < 0, "outside refused");
		TB_ERR("vmlinuz", "outside the file");
		free(k);
	}
	uint8_t zstd[8] = {0x28, 0xB5, 0x2F, 0xFD};
	size_t len;
	uint8_t *k = make_bzimage(&len, zstd, sizeof(zstd));
	uint8_t *bad;
	size_t blen;
	T_EQ(bzimage_extract("vmlinuz", k, len, &bad, &blen), -ENOTSUP);
	TB_ERR("vmlinuz", "zstd");
	free(k);
	T_CHECK(boot_extract_vmlinux("/nonexistent/vmlinuz", out) < 0, "missing file");
	TB_ERR("/nonexistent/vmlinuz", NULL);
	unlink(bzpath);
	unlink(out);
	rmdir(dir);
}

/* Debian's kernel, when scripts/fetch-guest.sh has fetched it. */
/* path <- len bytes of b: a new temporary file (XXXXXX in path, which
 * the test removes), or again the one made before. */
static void write_tmp(char *path, const void *b, size_t len)
{
	int fd = strstr(path, "XXXXXX") ? mkstemp(path) : open(path, O_WRONLY | O_TRUNC);
	T_CHECK(fd >= 0 && write(fd, b, len) == (ssize_t)len, "cannot write %s", path);
	if (fd >= 0)
		close(fd);
}

/*
 * --bios with --kernel (boot_fw_linux): the parts a firmware's loader ROM
 * copies where the 16-bit boot protocol wants them, and the header fields
 * boot.rst says a boot loader writes ("Loading the rest of the kernel",
 * "Sample boot configuration"): type_of_loader, CAN_USE_HEAP with
 * heap_end_ptr, cmd_line_ptr past the setup's heap and below 0xA0000,
 * ramdisk_image/size page-aligned below initrd_addr_max and the top of RAM
 * the firmware keeps, above the kernel's init_size; vid_mode "normal".
 * Refused with one line: a zImage, protocol < 2.03, a command line longer
 * than cmdline_size, an initrd that does not fit.
 */
static void test_fw_linux(void)
{
	size_t len;
	uint8_t *k = make_bzimage(&len, NULL, 0);
	char kpath[] = "/tmp/ember-test-bz-XXXXXX", ipath[] = "/tmp/ember-test-rd-XXXXXX";
	static uint8_t initrd[300000];
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i * 13);
	write_tmp(kpath, k, len);
	write_tmp(ipath, initrd, sizeof(initrd));
	const uint64_t ram_end = 64ULL << 20;
	struct boot_request req = {.kernel = kpath, .initrd = ipath, .cmdline = "console=ttyS0"};
	struct boot_fw_linux l;
	T_EQ(boot_fw_linux(&req, ram_end, &l), 0);
	T_EQ(l.setup_addr, 0x10000);
	T_EQ(l.setup_len, SETUP_SIZE);
	T_EQ(l.kernel_addr, 0x100000); /* code32_start */
	T_CHECK(l.kernel_len == len - SETUP_SIZE && !memcmp(l.kernel, k + SETUP_SIZE, l.kernel_len),
		"the protected-mode kernel is the file after the setup");
	T_CHECK(!memcmp(l.setup + 0x1F1, k + 0x1F1, 0x1FA - 0x1F1) &&
		    !memcmp(l.setup + 0x1FC, k + 0x1FC, 0x210 - 0x1FC),
		"header before 0x210 kept, vid_mode aside");
	const uint8_t *h = l.setup;
	T_EQ(h[0x210], 0xFF);			  /* type_of_loader: undefined */
	T_EQ(h[0x211], 0x01 | 0x80);		  /* LOADED_HIGH | CAN_USE_HEAP */
	T_EQ(get16(h + 0x224), 0xE000 - 0x200);	  /* heap_end_ptr (protocol >= 2.02) */
	T_EQ(get16(h + 0x1FA), 0xFFFF);		  /* vid_mode */
	T_EQ(get32(h + 0x228), l.cmdline_addr);	  /* cmd_line_ptr */
	T_CHECK(l.cmdline_addr >= l.setup_addr + 0xE000 &&
		    l.cmdline_addr + l.cmdline_len <= 0xA0000,
		"command line at %#x, past the heap, below 0xA0000", l.cmdline_addr);
	T_CHECK(l.cmdline_len == 14 && !memcmp(l.cmdline, "console=ttyS0", 14),
		"command line with its NUL");
	T_EQ(get32(h + 0x218), l.initrd_addr); /* ramdisk_image */
	T_EQ(get32(h + 0x21C), sizeof(initrd));
	T_CHECK(l.initrd_len == sizeof(initrd) && !memcmp(l.initrd, initrd, sizeof(initrd)),
		"initrd bytes");
	T_EQ(l.initrd_addr & 0xFFF, 0);
	T_CHECK(l.initrd_addr + l.initrd_len <= ram_end - 0x100000 &&
		    l.initrd_addr >= l.kernel_addr + INIT_SIZE,
		"initrd at %#x: above the kernel's init_size, 1 MiB below RAM's top",
		l.initrd_addr);
	boot_fw_linux_free(&l);

	/* initrd_addr_max below RAM's top wins. */
	put32(k + 0x22C, 0x037FFFFF);
	write_tmp(kpath, k, len);
	T_EQ(boot_fw_linux(&req, 1ULL << 30, &l), 0);
	T_CHECK(l.initrd_addr + l.initrd_len <= 0x03800000, "initrd below initrd_addr_max");
	boot_fw_linux_free(&l);

	/* Refusals, each one line naming the problem. */
	char longcmd[3000];
	memset(longcmd, 'x', sizeof(longcmd) - 1);
	longcmd[sizeof(longcmd) - 1] = 0;
	req.cmdline = longcmd;
	T_EQ(boot_fw_linux(&req, ram_end, &l), -E2BIG);
	req.cmdline = "";
	T_EQ(boot_fw_linux(&req, 6ULL << 20, &l), -ENOMEM); /* no room for the initrd */
	T_CHECK(strstr(ember_last_error(), "initrd") != NULL, "%s", ember_last_error());
	k[0x211] = 0; /* a zImage */
	write_tmp(kpath, k, len);
	T_EQ(boot_fw_linux(&req, ram_end, &l), -ENOEXEC);
	k[0x211] = 1;
	put16(k + 0x206, 0x0202);
	write_tmp(kpath, k, len);
	T_CHECK(boot_fw_linux(&req, ram_end, &l) < 0, "protocol 2.02 refused");
	unlink(kpath);
	unlink(ipath);
	free(k);
}

static void test_debian_kernel(void)
{
	uint8_t *k;
	size_t len;
	if (access("guest/vmlinuz", R_OK)) {
		T_SKIP("guest/vmlinuz absent (scripts/fetch-guest.sh fetches Debian's kernel)");
		return;
	}
	T_EQ(read_file("guest/vmlinuz", &k, &len), 0);
	T_CHECK(!memcmp(k + 0x202, "HdrS", 4), "HdrS");
	T_CHECK(get16(k + 0x206) >= 0x020C, "protocol >= 2.12");
	T_CHECK(get16(k + 0x236) & 1, "XLF_KERNEL_64");
	struct memmap m;
	struct x86_state s;
	tb_mem(&m, 256 << 20);
	struct boot_request req = { .kernel = "guest/vmlinuz", .cmdline = "console=ttyS0",
				    .cpus = 2 };
	if (!access("guest/initramfs.cpio.gz", R_OK))
		req.initrd = "guest/initramfs.cpio.gz";
	T_EQ(boot_setup(&m, &req, &s), 0);
	uint64_t pref = get64(k + 0x258), init_size = get32(k + 0x260);
	T_EQ(s.rip, pref + 0x200);
	uint8_t *kern = memmap_ptr(&m, pref, 512);
	size_t setup = (size_t)(k[0x1F1] + 1) * 512;
	T_CHECK(kern && !memcmp(kern, k + setup, 512), "kernel at pref_address");
	uint8_t *z = memmap_ptr(&m, LAYOUT_ZERO_PAGE, 0x1000);
	T_CHECK(!memcmp(z + 0x1F1, k + 0x1F1, 0x210 - 0x1F1), "setup header copied");
	if (req.initrd)
		T_CHECK(get32(z + 0x218) >= pref + init_size && get32(z + 0x21C) > 0,
			"initrd above the kernel's init_size");

	/* extract-vmlinux; guest/vmlinux, when fetch-guest.sh made it with
	 * xz(1) (its fallback), is an independent extraction. */
	uint8_t *out, *ref;
	size_t olen, rlen;
	T_EQ(bzimage_extract("guest/vmlinuz", k, len, &out, &olen), 0);
	if (olen && !read_file("guest/vmlinux", &ref, &rlen)) {
		T_CHECK(rlen == olen && !memcmp(ref, out, olen),
			"extracted vmlinux differs from guest/vmlinux");
		free(ref);
	}
	if (olen) {
		/* The extracted vmlinux boots through PVH (Debian enables it). */
		struct boot_input pv = input(out, olen);
		pv.kernel_name = "vmlinux";
		T_EQ(boot_load_kernel(&m, &pv, &s), 0);
		T_EQ(s.gpr[X86_RBX], LAYOUT_PVH_START_INFO);
		T_CHECK(s.rip >= 0x1000000 && s.rip < 0x1000000 + olen,
			"PVH entry %#llx inside the loaded kernel", (unsigned long long)s.rip);
		free(out);
	}
	memmap_destroy(&m);
	free(k);
}

int main(void)
{
	T_RUN(test_load_good);
	T_RUN(test_placement);
	T_RUN(test_malformed);
	T_RUN(test_mutations);
	T_RUN(test_extract);
	T_RUN(test_fw_linux);
	T_RUN(test_debian_kernel);
	T_EXIT();
}
