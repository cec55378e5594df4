/*
 * testdev.h - QEMU's pc-testdev, the ISA device test kernels written for
 * QEMU's pc machine (kvm-unit-tests and the like) drive: a 32-bit scratch
 * register at ports 0xE0-0xE3 (any width, any byte lane) and again at
 * 0xE8-0xEB, a "flush page" port at 0xE4 (a dword guest-physical address),
 * 24 interrupt-line ports at 0x2000 (a byte write sets line n to !!value)
 * and 64 KiB of scratch MMIO at 0xFF000000.  Not a real PC device.
 * Follows the behaviour of QEMU's hw/misc/pc-testdev.c (facts only).
 */
#ifndef EMBER_DEVICES_TESTDEV_H
#define EMBER_DEVICES_TESTDEV_H

#include <stddef.h>
#include <stdint.h>

#include "bus.h"

#define TESTDEV_IRQ_LINES 24
#define TESTDEV_IOMEM_SIZE 0x10000

struct testdev_ops {
	/* Line 0-15: ISA IRQ n; 16-23: GSI n (the router's inputs). */
	void (*irq)(void *opaque, unsigned line, int level);
	/* The guest asked for the page at gpa to be flushed from any host
	 * mapping cache: decoded code goes stale, nothing else changes. */
	void (*flush)(void *opaque, uint64_t gpa);
};

struct testdev;
struct device_ops;

struct testdev *testdev_create(const struct testdev_ops *ops, void *opaque);
void testdev_destroy(struct testdev *t);
void testdev_reset(struct testdev *t);
size_t testdev_save(const struct testdev *t, void *buf, size_t len);
int testdev_load(struct testdev *t, const void *buf, size_t len);
extern const struct device_ops testdev_device_ops;

extern const struct bus_ops testdev_reg_ops;   /* 4 ports: 0xE0 and 0xE8 */
extern const struct bus_ops testdev_flush_ops; /* 4 ports at 0xE4 */
extern const struct bus_ops testdev_irq_ops;   /* TESTDEV_IRQ_LINES ports */
extern const struct bus_ops testdev_iomem_ops; /* TESTDEV_IOMEM_SIZE bytes of MMIO */

#endif
