/*
 * fwcfg.h - QEMU's firmware configuration device (fw_cfg) on the PC's I/O
 * ports: the selector (0x510, 16-bit), the data port (0x511, a byte at a
 * time) and the DMA address register (0x514-0x51B, big-endian).  The host
 * fills it with items (numbered keys) and files (named, listed in the
 * directory at key 0x19); the guest's firmware reads them.  Not a table
 * builder: what goes in is the caller's (devices/fwcfg_pc.c for the PC).
 * Follows QEMU's docs/specs/fw_cfg.rst (facts only) and the key numbers of
 * Linux's include/uapi/linux/qemu_fw_cfg.h.
 */
#ifndef EMBER_DEVICES_FWCFG_H
#define EMBER_DEVICES_FWCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"

/* Keys (generic 0x0000-0x3FFF, architecture-specific from 0x8000). */
#define FWCFG_SIGNATURE	     0x00
#define FWCFG_ID	     0x01
#define FWCFG_UUID	     0x02
#define FWCFG_RAM_SIZE	     0x03
#define FWCFG_NOGRAPHIC	     0x04
#define FWCFG_NB_CPUS	     0x05
#define FWCFG_MACHINE_ID     0x06
#define FWCFG_KERNEL_ADDR    0x07
#define FWCFG_KERNEL_SIZE    0x08
#define FWCFG_KERNEL_CMDLINE 0x09
#define FWCFG_INITRD_ADDR    0x0A
#define FWCFG_INITRD_SIZE    0x0B
#define FWCFG_BOOT_DEVICE    0x0C
#define FWCFG_NUMA	     0x0D
#define FWCFG_BOOT_MENU	     0x0E
#define FWCFG_MAX_CPUS	     0x0F
#define FWCFG_KERNEL_ENTRY   0x10
#define FWCFG_KERNEL_DATA    0x11
#define FWCFG_INITRD_DATA    0x12
#define FWCFG_CMDLINE_ADDR   0x13
#define FWCFG_CMDLINE_SIZE   0x14
#define FWCFG_CMDLINE_DATA   0x15
#define FWCFG_SETUP_ADDR     0x16
#define FWCFG_SETUP_SIZE     0x17
#define FWCFG_SETUP_DATA     0x18
#define FWCFG_FILE_DIR	     0x19
#define FWCFG_FILE_FIRST     0x20
#define FWCFG_WRITE_BIT	     0x4000 /* selector bit 14: ignored (writes are DMA only) */
#define FWCFG_ARCH_BIT	     0x8000

/* FWCFG_ID feature bits. */
#define FWCFG_VERSION	  0x01
#define FWCFG_VERSION_DMA 0x02

/* DMA descriptor control bits (big-endian in guest memory). */
#define FWCFG_DMA_ERROR	 0x01
#define FWCFG_DMA_READ	 0x02
#define FWCFG_DMA_SKIP	 0x04
#define FWCFG_DMA_SELECT 0x08
#define FWCFG_DMA_WRITE	 0x10

/* Reading the DMA address register: "QEMU CFG", big-endian. */
#define FWCFG_DMA_SIGNATURE 0x51454D5520434647ULL

#define FWCFG_NAME_MAX	 56 /* a file name, NUL included */
#define FWCFG_PORT_CTL	 0  /* offsets in the port block at LAYOUT_PORT_FWCFG */
#define FWCFG_PORT_DATA	 1
#define FWCFG_PORT_DMA	 4
#define FWCFG_PORT_COUNT 12 /* 0x510-0x51B */

struct fwcfg_ops {
	/*
	 * [IN] a guest-physical range the device is about to read (write
	 * false) or write; [OUT] a host pointer to all of it, or NULL when any
	 * byte is not RAM the device may touch that way (MMIO, a hole, ROM,
	 * wraparound).  len is never 0.
	 */
	void *(*dma_map)(void *opaque, uint64_t gpa, uint64_t len, bool write);
	/* The device wrote guest RAM [gpa, gpa+len) (decoded code goes stale). */
	void (*dma_written)(void *opaque, uint64_t gpa, uint64_t len);
};

struct fwcfg;
struct device_ops;

struct fwcfg *fwcfg_create(const struct fwcfg_ops *ops, void *opaque);
void fwcfg_destroy(struct fwcfg *f);
/* The device life cycle (devices/device.h): the guest-visible state is the
 * selector, the offset in the selected item and the DMA address register;
 * the items are configuration and survive a reset. */
void fwcfg_reset(struct fwcfg *f);
size_t fwcfg_save(const struct fwcfg *f, void *buf, size_t len);
int fwcfg_load(struct fwcfg *f, const void *buf, size_t len);
extern const struct device_ops fwcfg_device_ops;

/*
 * Items: the data is copied.  fwcfg_add_bytes() sets a numbered key (not
 * 0x00, 0x01 or 0x19, which the device owns); fwcfg_add_file() gives a
 * named item the next free key from 0x20 on and lists it in the
 * directory, which stays sorted by name.  Read-only to the guest unless
 * writable (then DMA writes may change its bytes, never its size).
 * 0, -EEXIST (key or name taken), -EINVAL (bad key, name empty or too
 * long, item over 4 GiB - 1), -ENOSPC or -ENOMEM.
 */
int fwcfg_add_bytes(struct fwcfg *f, uint16_t key, const void *data, size_t len);
int fwcfg_add_u16(struct fwcfg *f, uint16_t key, uint16_t v); /* little-endian */
int fwcfg_add_u32(struct fwcfg *f, uint16_t key, uint32_t v);
int fwcfg_add_u64(struct fwcfg *f, uint16_t key, uint64_t v);
int fwcfg_add_file(struct fwcfg *f, const char *name, const void *data, size_t len, bool writable);
/* A writable file's bytes as the guest left them (NULL if no such file). */
const uint8_t *fwcfg_file_data(struct fwcfg *f, const char *name, size_t *len);

/* DMA transfers completed and failed (error bit written), for tests/stats. */
uint64_t fwcfg_dma_errors(const struct fwcfg *f);

extern const struct bus_ops fwcfg_bus_ops; /* FWCFG_PORT_COUNT ports, opaque = device */

#endif
