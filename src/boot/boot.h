/*
 * boot/boot.h - loading what the guest runs first: a Linux bzImage (boot
 * protocol), an uncompressed vmlinux through its PVH entry note, a multiboot
 * v1 ELF kernel, or a raw firmware ROM mapped at the top of 4 GiB.  The
 * loaders write guest memory, the boot tables (e820, zero page, PVH start
 * info, multiboot info, MP table) and the BSP's first-instruction state.
 * A malformed image is rejected with ember_error() naming the file and what
 * is wrong; nothing here ends the process.
 */
#ifndef EMBER_BOOT_H
#define EMBER_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "memmap.h"
#include "x86/state.h"

struct boot_request {
	const char *kernel;  /* --kernel: bzImage, PVH vmlinux or multiboot ELF */
	const char *initrd;  /* --initrd: initramfs, or the multiboot module */
	const char *cmdline; /* --append (may be NULL) */
	const char *bios;    /* --bios: raw firmware ROM */
	int cpus;            /* for the MP table */
};

/*
 * Load per req into m (which already holds RAM; ROM regions are added here)
 * and fill *bsp with the first-instruction state.  Returns 0 or -errno with
 * ember_error() set.
 */
int boot_setup(struct memmap *m, const struct boot_request *req, struct x86_state *bsp);

/* A kernel, initrd and command line already in host memory. */
struct boot_input {
	const char *kernel_name; /* for messages */
	const uint8_t *kernel;
	size_t kernel_len;
	const char *initrd_name; /* NULL: no initrd */
	const uint8_t *initrd;
	size_t initrd_len;
	const char *cmdline; /* never NULL ("" when none) */
	int cpus;
};

/*
 * The file-free halves of boot_setup(), also the entry points for fuzzing:
 * detect the kernel's format and load it, or map a firmware image.  Any
 * input yields 0 or -errno with ember_error() set, never a crash.
 */
int boot_load_kernel(struct memmap *m, const struct boot_input *in, struct x86_state *bsp);
int boot_load_firmware(struct memmap *m, const char *name, const uint8_t *img, size_t len,
		       struct x86_state *bsp);

/*
 * --bios with --kernel: a bzImage laid out for the firmware to load through
 * fw_cfg and start by the 16-bit boot protocol (boot.rst), as QEMU does.
 * The real-mode setup at 0x10000 with its header filled in (command line
 * pointer, initrd, heap end, loader type), the protected-mode kernel at
 * code32_start (1 MiB), the command line at LAYOUT_CMDLINE, the initrd as
 * high as low RAM below low_ram_end less what the firmware keeps at the top
 * allows.  0 or -errno with ember_error() naming the file.
 */
struct boot_fw_linux {
	uint8_t *file; /* the bzImage; kernel points into it */
	uint8_t *setup;
	const uint8_t *kernel;
	uint8_t *initrd;
	char *cmdline; /* NUL included in cmdline_len */
	size_t setup_len, kernel_len, initrd_len, cmdline_len;
	uint32_t setup_addr, kernel_addr, initrd_addr, cmdline_addr;
};
int boot_fw_linux(const struct boot_request *req, uint64_t low_ram_end, struct boot_fw_linux *out);
void boot_fw_linux_free(struct boot_fw_linux *l);

/* `ember extract-vmlinux`: decompress a bzImage's payload (xz, lzma or
 * gzip) to the ELF vmlinux at out_path.  0 or -errno with ember_error(). */
int boot_extract_vmlinux(const char *bzimage_path, const char *out_path);

#endif
