/*
 * test_firmware.c - --bios: the ROM at the top of 4 GiB with its last
 * 128 KiB aliased below 1 MiB, the size rules, and the RESET state whose
 * first fetch (CS.base + IP, SDM vol. 3A 10.1.4) is at FFFFFFF0h; QEMU's
 * qboot.rom as a real firmware when installed.
 */
#include <unistd.h>

#include "test_boot.h"

static void check_rom(size_t size)
{
	struct memmap m;
	struct x86_state s;
	uint8_t *img = malloc(size);
	for (size_t i = 0; i < size; i++)
		img[i] = (uint8_t)(i / 4096 + i);
	tb_mem(&m, TB_MEM);
	T_EQ(boot_load_firmware(&m, "rom.bin", img, size, &s), 0);
	const struct memregion *top = memmap_find(&m, LAYOUT_4G - 1);
	T_CHECK(top && top->kind == MEMREGION_ROM, "ROM must end at 4 GiB");
	T_EQ(top ? top->gpa : 0, LAYOUT_4G - size);
	T_CHECK(!memmap_find(&m, LAYOUT_4G - size - 1), "nothing just below the ROM");
	uint8_t *p = memmap_ptr(&m, LAYOUT_4G - size, size);
	T_CHECK(p && !memcmp(p, img, size), "ROM contents");
	/* The first instruction fetch after RESET. */
	uint64_t fetch = s.seg[X86_CS].base + s.rip;
	T_EQ(fetch, 0xFFFFFFF0ULL);
	T_EQ(tb_u8(&m, fetch), img[size - 16]);
	/* The alias: the last min(size, 128 KiB) again, ending at 1 MiB, on
	 * the same host memory. */
	size_t low = size < 0x20000 ? size : 0x20000;
	const struct memregion *al = memmap_find(&m, LAYOUT_HIMEM_START - 1);
	T_CHECK(al && al->kind == MEMREGION_ROM, "alias must be ROM");
	T_EQ(al ? al->gpa : 0, LAYOUT_HIMEM_START - low);
	T_CHECK(al && al->hva == p + size - low, "alias must share the ROM's host memory");
	T_EQ(tb_u8(&m, 0xFFFF0), img[size - 16]);
	memmap_destroy(&m);
	free(img);
}

static void test_sizes(void)
{
	check_rom(0x1000);
	check_rom(0x10000);
	check_rom(0x20000);
	check_rom(0x40000);
	check_rom(LAYOUT_BIOS_MAX_SIZE);
}

static void test_bad_sizes(void)
{
	struct memmap m;
	struct x86_state s;
	static uint8_t img[0x2000];
	tb_mem(&m, TB_MEM);
	T_EQ(boot_load_firmware(&m, "rom.bin", img, 0, &s), -EINVAL);
	T_STREQ(ember_last_error(), "rom.bin: firmware image is 0 bytes, must be a multiple of "
				    "4 KiB up to 16 MiB");
	T_EQ(boot_load_firmware(&m, "rom.bin", img, 0x1001, &s), -EINVAL);
	TB_ERR("rom.bin: firmware image is 4097 bytes", "multiple of 4 KiB");
	uint8_t *big = calloc(1, LAYOUT_BIOS_MAX_SIZE + 0x1000);
	T_EQ(boot_load_firmware(&m, "big.rom", big, LAYOUT_BIOS_MAX_SIZE + 0x1000, &s), -EINVAL);
	TB_ERR("big.rom", "up to 16 MiB");
	free(big);
	T_EQ(m.n, 2); /* nothing mapped by the refusals */
	memmap_destroy(&m);

	/* RAM under the alias window: the collision is reported. */
	static uint8_t ram[0x100000] __attribute__((aligned(4096)));
	memmap_init(&m);
	T_EQ(memmap_add(&m, "ram", 0, sizeof(ram), ram, MEMREGION_RAM), 0);
	T_EQ(boot_load_firmware(&m, "rom.bin", img, sizeof(img), &s), -EINVAL);
	TB_ERR("rom.bin", "0xfe000");
	memmap_destroy(&m);
}

static void test_qboot(void)
{
	const char *path = "/usr/share/qemu/qboot.rom";
	uint8_t *img;
	size_t len;
	if (access(path, R_OK)) {
		T_SKIP("/usr/share/qemu/qboot.rom absent (package qemu-system-data)");
		return;
	}
	T_EQ(read_file(path, &img, &len), 0);
	struct memmap m;
	struct x86_state s;
	tb_mem(&m, TB_MEM);
	T_EQ(boot_load_firmware(&m, path, img, len, &s), 0);
	/* Every PC firmware's reset vector is a jump (far EA, near E9, short EB). */
	uint8_t op = tb_u8(&m, 0xFFFFFFF0ULL);
	T_CHECK(op == 0xEA || op == 0xE9 || op == 0xEB, "reset vector opcode %#x is not a jump",
		op);
	T_EQ(tb_u8(&m, 0xFFFF0), op);
	memmap_destroy(&m);
	free(img);
}

int main(void)
{
	T_RUN(test_sizes);
	T_RUN(test_bad_sizes);
	T_RUN(test_qboot);
	T_EXIT();
}
