/*
 * fwcfg_pc.c - what ember's PC tells its firmware through fw_cfg, and how the
 * device reaches guest memory.  The items SeaBIOS reads on QEMU's pc machine:
 * RAM size, CPU counts, etc/e820, COM1 as its console (etc/sercon-port),
 * ember's own ACPI tables with the table-loader commands that install them
 * (boot/acpi_fwcfg.c), and for --bios with --kernel the kernel, initrd and
 * command line (boot_fw_linux) with ember's option ROM that boots them
 * (fw/linuxboot.S) named first in "bootorder".  Not the device (fwcfg.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot/acpi_fwcfg.h"
#include "boot/boot.h"
#include "dma.h"
#include "devices/fwcfg.h"
#include "devices/fwcfg_pc.h"
#include "layout.h"
#include "shadow.h"
#include "util.h"
#include "vm.h"

/* The option ROM's bytes (mk/fw.mk). */
extern const uint8_t linuxboot_rom[], linuxboot_rom_end[];

#define LINUXBOOT_FILE "genroms/ember-linuxboot.bin"

/* DMA: guest RAM only, or the shadow DRAM where the chipset sends the
 * access (SeaBIOS loads the RSDP into the F segment while it is writable). */
static void *fwcfg_pc_map(void *opaque, uint64_t gpa, uint64_t len, bool write)
{
	struct vm *vm = opaque;
	const struct memmap *m = &vm->mem;
	if (shadow_covers(m, gpa, len))
		return shadow_range(m, gpa, len, write);
	const struct dma_space d = {.mem = m};
	return dma_ptr(&d, gpa, len);
}

static void fwcfg_pc_written(void *opaque, uint64_t gpa, uint64_t len)
{
	struct vm *vm = opaque;
	if (vm->engine->ram_written)
		vm->engine->ram_written(vm, gpa, len);
}

const struct fwcfg_ops fwcfg_pc_ops = {.dma_map = fwcfg_pc_map, .dma_written = fwcfg_pc_written};

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* etc/e820: 20-byte little-endian entries (address, length, type), RAM as
 * the memory map has it and KVM's private pages reserved, as e820.c. */
static int fwcfg_pc_e820(struct fwcfg *f, const struct memmap *m)
{
	uint8_t buf[20 * (MEMMAP_MAX + 1)];
	size_t n = 0;
	for (int i = 0; i < m->n; i++) {
		if (m->r[i].kind != MEMREGION_RAM)
			continue;
		put_le(buf + 20 * n, m->r[i].gpa, 8);
		put_le(buf + 20 * n + 8, m->r[i].size, 8);
		put_le(buf + 20 * n + 16, 1, 4);
		n++;
	}
	put_le(buf + 20 * n, LAYOUT_KVM_IDENTITY_MAP, 8);
	put_le(buf + 20 * n + 8, LAYOUT_KVM_TSS + 3 * 0x1000 - LAYOUT_KVM_IDENTITY_MAP, 8);
	put_le(buf + 20 * n + 16, 2, 4);
	n++;
	return fwcfg_add_file(f, "etc/e820", buf, 20 * n, false);
}

/* The option ROM as a firmware accepts it: a whole number of 512-byte
 * blocks (size byte at 2), the PnP header's checksum, then the image's
 * (its last byte, always padding). */
static int fwcfg_pc_linuxboot(struct fwcfg *f)
{
	size_t len = (size_t)(linuxboot_rom_end - linuxboot_rom);
	size_t size = (len + 1 + 511) & ~(size_t)511;
	uint8_t *rom = calloc(1, size);
	if (!rom)
		return -ENOMEM;
	memcpy(rom, linuxboot_rom, len);
	rom[2] = (uint8_t)(size / 512);
	size_t pnp = rom[0x1A] | rom[0x1B] << 8;
	uint8_t sum = 0;
	for (size_t i = 0; i < 32; i++)
		sum += rom[pnp + i];
	rom[pnp + 9] = (uint8_t)-sum;
	sum = 0;
	for (size_t i = 0; i < size; i++)
		sum += rom[i];
	rom[size - 1] = (uint8_t)-sum;
	int r = fwcfg_add_file(f, LINUXBOOT_FILE, rom, size, false);
	free(rom);
	return r;
}

static int fwcfg_pc_kernel(struct fwcfg *f, struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	struct boot_request req = {.kernel = cfg->kernel,
				   .initrd = cfg->initrd,
				   .cmdline = cfg->append,
				   .bios = cfg->bios,
				   .cpus = cfg->cpus};
	struct boot_fw_linux l;
	int r = boot_fw_linux(&req, memmap_low_ram_end(&vm->mem), &l);
	if (r)
		return r;
	static const char order[] = "/rom@" LINUXBOOT_FILE "\n";
	if ((r = fwcfg_add_u32(f, FWCFG_SETUP_ADDR, l.setup_addr)) ||
	    (r = fwcfg_add_u32(f, FWCFG_SETUP_SIZE, (uint32_t)l.setup_len)) ||
	    (r = fwcfg_add_bytes(f, FWCFG_SETUP_DATA, l.setup, l.setup_len)) ||
	    (r = fwcfg_add_u32(f, FWCFG_KERNEL_ADDR, l.kernel_addr)) ||
	    (r = fwcfg_add_u32(f, FWCFG_KERNEL_SIZE, (uint32_t)l.kernel_len)) ||
	    (r = fwcfg_add_bytes(f, FWCFG_KERNEL_DATA, l.kernel, l.kernel_len)) ||
	    (r = fwcfg_add_u32(f, FWCFG_CMDLINE_ADDR, l.cmdline_addr)) ||
	    (r = fwcfg_add_u32(f, FWCFG_CMDLINE_SIZE, (uint32_t)l.cmdline_len)) ||
	    (r = fwcfg_add_bytes(f, FWCFG_CMDLINE_DATA, l.cmdline, l.cmdline_len)) ||
	    (r = fwcfg_add_u32(f, FWCFG_INITRD_ADDR, l.initrd_addr)) ||
	    (r = fwcfg_add_u32(f, FWCFG_INITRD_SIZE, (uint32_t)l.initrd_len)) ||
	    (r = fwcfg_add_bytes(f, FWCFG_INITRD_DATA, l.initrd, l.initrd_len)) ||
	    (r = fwcfg_pc_linuxboot(f)) ||
	    (r = fwcfg_add_file(f, "bootorder", order, sizeof(order) - 1, false)))
		r = ember_error(r, "fw_cfg: cannot hold --kernel %s: %s", cfg->kernel,
				strerror(-r));
	boot_fw_linux_free(&l);
	return r;
}

int fwcfg_pc_fill(struct fwcfg *f, struct vm *vm)
{
	uint8_t com1[2];
	put_le(com1, LAYOUT_PORT_COM1, 2);
	int r;
	if ((r = fwcfg_add_u64(f, FWCFG_RAM_SIZE, vm->cfg->mem_bytes)) ||
	    (r = fwcfg_add_u16(f, FWCFG_NB_CPUS, (uint16_t)vm->ncpus)) ||
	    (r = fwcfg_add_u16(f, FWCFG_MAX_CPUS, (uint16_t)vm->ncpus)) ||
	    (r = fwcfg_add_u16(f, FWCFG_NOGRAPHIC, 1)) || (r = fwcfg_pc_e820(f, &vm->mem)) ||
	    /* SeaBIOS's "Press ESC for boot menu" (its etc/show-boot-menu);
	     * with --kernel straight to it, as QEMU without -boot menu=on. */
	    (r = fwcfg_add_u16(f, FWCFG_BOOT_MENU, !vm->cfg->kernel)) ||
	    (r = fwcfg_add_file(f, "etc/sercon-port", com1, sizeof(com1), false)))
		return ember_error(r, "fw_cfg: cannot add the machine's items: %s", strerror(-r));
	struct acpi_fwcfg acpi;
	r = acpi_fwcfg_build(vm->ncpus, &acpi);
	if (r)
		return r;
	if ((r = fwcfg_add_file(f, ACPI_FWCFG_RSDP, acpi.rsdp, acpi.rsdp_len, false)) ||
	    (r = fwcfg_add_file(f, ACPI_FWCFG_TABLES, acpi.tables, acpi.tables_len, false)) ||
	    (r = fwcfg_add_file(f, ACPI_FWCFG_LOADER, acpi.loader, acpi.loader_len, false)))
		r = ember_error(r, "fw_cfg: cannot add the ACPI tables: %s", strerror(-r));
	acpi_fwcfg_free(&acpi);
	if (!r && vm->cfg->bios && vm->cfg->kernel)
		r = fwcfg_pc_kernel(f, vm);
	return r;
}
