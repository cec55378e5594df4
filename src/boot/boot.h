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

#endif
