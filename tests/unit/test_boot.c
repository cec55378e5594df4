/*
 * test_boot.c - boot_setup(): the choice between --bios and --kernel and
 * the option errors, reading files; the e820 table of a PC (ACPI 6.x
 * 15.1 types; RAM below 640 KiB minus the EBDA, BIOS area reserved).
 */
#include <unistd.h>

#include "test_boot.h"

static char dir[] = "/tmp/ember-boot-XXXXXX";

static const char *write_tmp(const char *name, const void *buf, size_t len)
{
	static char paths[4][96];
	static int next;
	char *p = paths[next++ % 4];
	snprintf(p, sizeof(paths[0]), "%s/%s", dir, name);
	FILE *f = fopen(p, "wb");
	fwrite(buf, 1, len, f);
	fclose(f);
	return p;
}

static void test_option_errors(void)
{
	struct memmap m;
	struct x86_state s;
	tb_mem(&m, TB_MEM);
	/* --kernel with --bios: the firmware is what boot_setup() loads (the
	 * kernel goes to it through fw_cfg), so a missing one is the error. */
	struct boot_request req = {.kernel = "vmlinuz", .bios = "/nonexistent/bios.bin", .cpus = 1};
	T_EQ(boot_setup(&m, &req, &s), -ENOENT);
	TB_ERR("/nonexistent/bios.bin", "No such file");
	req = (struct boot_request){.initrd = "rd", .cpus = 1};
	T_EQ(boot_setup(&m, &req, &s), -EINVAL);
	TB_ERR("--initrd", "--kernel");
	req = (struct boot_request){.bios = "b", .cmdline = "x", .cpus = 1};
	T_EQ(boot_setup(&m, &req, &s), -EINVAL);
	TB_ERR("--append", "--kernel");
	req = (struct boot_request){.cpus = 1};
	T_EQ(boot_setup(&m, &req, &s), -EINVAL);
	TB_ERR("nothing to boot", NULL);
	req = (struct boot_request){.kernel = "/nonexistent/vmlinuz", .cpus = 1};
	T_EQ(boot_setup(&m, &req, &s), -ENOENT);
	TB_ERR("/nonexistent/vmlinuz", "No such file");
	T_EQ(m.n, 2); /* only the RAM */
	memmap_destroy(&m);
}

static void test_files(void)
{
	struct memmap m;
	struct x86_state s;
	/* A multiboot a.out-kludge kernel and an initrd, from files. */
	uint8_t img[0x100] = {0};
	uint32_t flags = 0x10002;
	put32(img, 0x1BADB002);
	put32(img + 4, flags);
	put32(img + 8, (uint32_t) - (0x1BADB002 + flags));
	put32(img + 12, 0x100000);
	put32(img + 16, 0x100000);
	put32(img + 28, 0x100020);
	const char *k = write_tmp("kernel.bin", img, sizeof(img));
	uint8_t rd[100];
	memset(rd, 3, sizeof(rd));
	const char *r = write_tmp("rd.img", rd, sizeof(rd));
	tb_mem(&m, TB_MEM);
	struct boot_request req = {.kernel = k, .initrd = r, .cpus = 1};
	T_EQ(boot_setup(&m, &req, &s), 0);
	T_EQ(s.rip, 0x100020);
	char *c = memmap_ptr(&m, tb_u32(&m, LAYOUT_MB_INFO + 16), 1);
	T_CHECK(c && !*c, "no --append: an empty command line");
	uint64_t mod = tb_u32(&m, LAYOUT_MB_INFO + 24);
	T_EQ(tb_u8(&m, tb_u32(&m, mod)), 3);
	char *str = memmap_ptr(&m, tb_u32(&m, mod + 8), strlen(r) + 1);
	T_CHECK(str && !strcmp(str, r), "module string is the --initrd path");
	memmap_destroy(&m);

	/* --bios from a file. */
	uint8_t rom[0x1000];
	memset(rom, 0xF4, sizeof(rom));
	const char *b = write_tmp("bios.bin", rom, sizeof(rom));
	tb_mem(&m, TB_MEM);
	req = (struct boot_request){.bios = b, .cmdline = "", .cpus = 1};
	T_EQ(boot_setup(&m, &req, &s), 0);
	T_EQ(tb_u8(&m, 0xFFFFFFF0ULL), 0xF4);
	memmap_destroy(&m);

	/* Empty files. */
	const char *e = write_tmp("empty", "", 0);
	tb_mem(&m, TB_MEM);
	req = (struct boot_request){.bios = e, .cpus = 1};
	T_EQ(boot_setup(&m, &req, &s), -EINVAL);
	TB_ERR(e, "0 bytes");
	req = (struct boot_request){.kernel = e, .cpus = 1};
	T_EQ(boot_setup(&m, &req, &s), -ENOEXEC);
	TB_ERR(e, "unknown kernel format");
	memmap_destroy(&m);
	unlink(k);
	unlink(r);
	unlink(b);
	unlink(e);
}

static void test_e820(void)
{
	struct memmap m;
	struct e820_entry e[E820_MAX];
	tb_mem(&m, 4ULL << 30); /* RAM split around the 3 GiB hole */
	static uint8_t rom[0x10000];
	struct x86_state s;
	T_EQ(boot_load_firmware(&m, "rom", rom, sizeof(rom), &s), 0);
	int n = e820_build(&m, e);
	/* What a PC with 4 GiB and a 64 KiB BIOS reports. */
	const struct e820_entry want[] = {
	    {0, 0x9F000, 1},	     {0x9F000, 0x61000, 2},    {0x100000, 0xC0000000 - 0x100000, 1},
	    {0xFEFFC000, 0x4000, 2}, {0xFFFF0000, 0x10000, 2}, {0x100000000ULL, 0x40000000, 1},
	};
	T_EQ(n, ARRAY_SIZE(want));
	for (int i = 0; i < n && i < (int)ARRAY_SIZE(want); i++) {
		T_EQ(e[i].addr, want[i].addr);
		T_EQ(e[i].size, want[i].size);
		T_EQ(e[i].type, want[i].type);
	}
	memmap_destroy(&m);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	T_RUN(test_option_errors);
	T_RUN(test_files);
	T_RUN(test_e820);
	rmdir(dir);
	T_EXIT();
}
