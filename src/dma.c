/*
 * dma.c - bounds-checked device access to guest RAM (see dma.h).
 */
#include <errno.h>
#include <string.h>

#include "dma.h"
#include "memmap.h"
#include "shadow.h"

void *dma_ptr(const struct dma_space *d, uint64_t gpa, uint64_t len)
{
	if (!len || gpa + len < gpa)
		return NULL;
	/* The BIOS area's shadow DRAM where the chipset routes reads there:
	 * a firmware keeps rings and buffers in it (SeaBIOS's low zone). */
	if (shadow_covers(d->mem, gpa, len))
		return shadow_range(d->mem, gpa, len, false);
	const struct memregion *r = memmap_find(d->mem, gpa);
	if (!r || r->kind != MEMREGION_RAM || len > r->size - (gpa - r->gpa))
		return NULL;
	return r->hva + (gpa - r->gpa);
}

int dma_read(const struct dma_space *d, uint64_t gpa, void *buf, uint64_t len)
{
	const void *p = dma_ptr(d, gpa, len);
	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

int dma_write(const struct dma_space *d, uint64_t gpa, const void *buf, uint64_t len)
{
	void *p = dma_ptr(d, gpa, len);
	if (!p)
		return -EFAULT;
	memcpy(p, buf, len);
	dma_written(d, gpa, len);
	return 0;
}

void dma_written(const struct dma_space *d, uint64_t gpa, uint64_t len)
{
	if (d->written && len)
		d->written(d->opaque, gpa, len);
}
