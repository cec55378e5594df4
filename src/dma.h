/*
 * dma.h - guest memory as a device sees it.  A device never dereferences a
 * guest-physical address it was handed: it asks for a host pointer to the
 * WHOLE range [gpa, gpa+len), which exists only when the range lies in one
 * RAM region of the memory map, or in the BIOS area's shadow DRAM where the
 * chipset routes reads to it (shadow.h; never ROM, MMIO, a hole, or an
 * address range that wraps past 2^64).  Every device write into guest RAM is reported
 * (dma_written) so the emulator drops the instructions it decoded from those
 * bytes: a disk read may load a kernel module's text over a page the
 * emulator has decoded.  Under KVM the report does nothing.
 * Thread-safe: any thread, no locks (the memory map does not change while
 * vCPUs run; the shadow routing is read atomically).
 */
#ifndef EMBER_DMA_H
#define EMBER_DMA_H

#include <stdbool.h>
#include <stdint.h>

struct memmap;

struct dma_space {
	const struct memmap *mem;
	/* Guest RAM [gpa, gpa+len) was written by a device: NULL, or the
	 * engine's hook (emu: x86_cpu_invalidate_phys on the machine). */
	void (*written)(void *opaque, uint64_t gpa, uint64_t len);
	void *opaque;
};

/* Host pointer to guest RAM [gpa, gpa+len), or NULL when any byte of it is
 * not RAM of one region, len is 0, or gpa+len overflows.  A caller that
 * writes through it calls dma_written() afterwards. */
void *dma_ptr(const struct dma_space *d, uint64_t gpa, uint64_t len);

/* Copies; 0, or -EFAULT with nothing copied when dma_ptr() would refuse. */
int dma_read(const struct dma_space *d, uint64_t gpa, void *buf, uint64_t len);
int dma_write(const struct dma_space *d, uint64_t gpa, const void *buf, uint64_t len);

/* Report a device write into guest RAM (see above). */
void dma_written(const struct dma_space *d, uint64_t gpa, uint64_t len);

#endif
