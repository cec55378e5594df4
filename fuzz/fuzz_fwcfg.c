/*
 * fuzz/fuzz_fwcfg.c - libFuzzer target for the fw_cfg device's guest side:
 * a byte-coded program of port accesses of any width and offset (selector,
 * data, the DMA register byte by byte, so descriptors at any address) and
 * writes of descriptor words into a small fake guest RAM surrounded by
 * holes, over items of several sizes, a writable one and the directory.
 * Not an oracle of values (tests/unit/test_fwcfg.c does that): it checks
 * that nothing crashes, hangs or trips ASan/UBSan, and that the device
 * never asks for, or is handed, memory outside the fake RAM.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/fwcfg.h"

#define RAM_BASE 0x1000u
#define RAM_SIZE 0x2000u
static uint8_t *ram; /* malloc'd exactly: ASan catches any stray access */

static void *fz_map(void *o, uint64_t gpa, uint64_t len, bool write)
{
	if (!len)
		abort(); /* the device promises never to ask for nothing */
	if (gpa < RAM_BASE || gpa - RAM_BASE >= RAM_SIZE || len > RAM_SIZE - (gpa - RAM_BASE))
		return NULL;
	return ram + (gpa - RAM_BASE);
}

static void fz_written(void *o, uint64_t gpa, uint64_t len)
{
	if (gpa < RAM_BASE || gpa - RAM_BASE + len > RAM_SIZE)
		abort();
}

static const struct fwcfg_ops ops = {.dma_map = fz_map, .dma_written = fz_written};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ram = malloc(RAM_SIZE);
	memset(ram, 0, RAM_SIZE);
	struct fwcfg *f = fwcfg_create(&ops, NULL);
	static uint8_t big[10000]; /* larger than the RAM */
	fwcfg_add_file(f, "big", big, sizeof(big), false);
	fwcfg_add_file(f, "small", "s", 1, false);
	fwcfg_add_file(f, "etc/rw", "01234567", 8, true);
	fwcfg_add_file(f, "empty", "", 0, true);
	fwcfg_add_u32(f, FWCFG_KERNEL_SIZE, 7);
	static const unsigned sizes[] = {1, 2, 4, 8};
	for (size_t i = 0; i + 6 <= size; i += 6) {
		const uint8_t *p = data + i;
		unsigned off = p[1] % (FWCFG_PORT_COUNT + 2), sz = sizes[p[0] >> 6];
		uint32_t v = (uint32_t)p[2] | (uint32_t)p[3] << 8 | (uint32_t)p[4] << 16 |
			     (uint32_t)p[5] << 24;
		switch (p[0] & 3) {
		case 0:
			fwcfg_bus_ops.write(f, off, sz, v);
			break;
		case 1:
			fwcfg_bus_ops.read(f, off, sz);
			break;
		case 2: /* a descriptor word into RAM (big-endian as the guest writes) */
			memcpy(ram + (p[1] * 4u) % (RAM_SIZE - 3), p + 2, 4);
			break;
		case 3: { /* save, reset, load back */
			uint8_t buf[64];
			size_t n = fwcfg_save(f, buf, sizeof(buf));
			fwcfg_reset(f);
			if (n <= sizeof(buf) && fwcfg_load(f, buf, n))
				abort();
			break;
		}
		}
	}
	fwcfg_destroy(f);
	free(ram);
	return 0;
}
