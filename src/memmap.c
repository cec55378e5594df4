/*
 * memmap.c - the guest-physical memory map (see memmap.h).
 * Regions are few (at most MEMMAP_MAX) and kept sorted by address.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "layout.h"
#include "memmap.h"
#include "util.h"

void memmap_init(struct memmap *m)
{
	memset(m, 0, sizeof(*m));
}

void memmap_destroy(struct memmap *m)
{
	for (int i = 0; i < m->nowned; i++)
		munmap(m->owned[i].p, m->owned[i].len);
	memset(m, 0, sizeof(*m));
}

uint8_t *memmap_alloc(struct memmap *m, uint64_t size)
{
	if (m->nowned == MEMMAP_MAX || size == 0)
		return NULL;
	/* Guest RAM on 2 MiB boundaries, backed by huge pages where the host
	 * has them: a fault per 2 MiB the guest touches (huge_pages). */
	size_t align = size >= HUGE_PAGE ? HUGE_PAGE : 0;
	uint8_t *p = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (align) {
		size_t head = (size_t)(-(uintptr_t)p & (align - 1));
		if (head)
			munmap(p, head);
		if (align - head)
			munmap(p + head + size, align - head);
		p += head;
		huge_pages(p, size);
	}
	m->owned[m->nowned].p = p;
	m->owned[m->nowned].len = size;
	m->nowned++;
	return p;
}

uint64_t memmap_resident(const struct memmap *m)
{
	uint64_t bytes = 0;
	unsigned char vec[4096];
	for (int i = 0; i < m->nowned; i++) {
		/* in chunks of 4096 pages: a fixed vector on the stack */
		for (size_t off = 0; off < m->owned[i].len; off += sizeof(vec) * 4096ul) {
			size_t len = m->owned[i].len - off;
			if (len > sizeof(vec) * 4096ul)
				len = sizeof(vec) * 4096ul;
			if (mincore((uint8_t *)m->owned[i].p + off, len, vec))
				continue;
			for (size_t k = 0; k < (len + 4095) / 4096; k++)
				bytes += (vec[k] & 1) * 4096ull;
		}
	}
	return bytes;
}

int memmap_add(struct memmap *m, const char *name, uint64_t gpa, uint64_t size, uint8_t *hva,
	       enum memregion_kind kind)
{
	if (size == 0 || (gpa & 0xFFF) || (size & 0xFFF) || gpa + size < gpa || !hva)
		return -EINVAL;
	if (m->n == MEMMAP_MAX)
		return -ENOSPC;
	int pos = 0;
	for (int i = 0; i < m->n; i++) {
		const struct memregion *r = &m->r[i];
		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return -EINVAL;
		if (r->gpa < gpa)
			pos = i + 1;
	}
	memmove(&m->r[pos + 1], &m->r[pos], (m->n - pos) * sizeof(m->r[0]));
	m->r[pos] = (struct memregion){ name, gpa, size, hva, kind };
	m->n++;
	return 0;
}

int memmap_add_ram(struct memmap *m, uint64_t mem_bytes)
{
	if (mem_bytes < 0x100000 || (mem_bytes & 0xFFF))
		return -EINVAL;
	uint8_t *ram = memmap_alloc(m, mem_bytes);
	if (!ram)
		return -ENOMEM;
	uint64_t low = mem_bytes < LAYOUT_MMIO_HOLE_START ? mem_bytes : LAYOUT_MMIO_HOLE_START;
	/*
	 * As on a PC, [640 KiB, 1 MiB) is not RAM: the VGA window and the
	 * BIOS area, where --bios aliases the top of its ROM.  The host
	 * memory behind the hole is simply unused, so guest address = offset.
	 */
	int ret = memmap_add(m, "ram-low", 0, LAYOUT_LOWMEM_END, ram, MEMREGION_RAM);
	if (ret == 0 && low > LAYOUT_HIMEM_START)
		ret = memmap_add(m, "ram", LAYOUT_HIMEM_START, low - LAYOUT_HIMEM_START,
				 ram + LAYOUT_HIMEM_START, MEMREGION_RAM);
	if (ret == 0 && mem_bytes > low)
		ret = memmap_add(m, "ram-high", LAYOUT_HIGH_RAM_START, mem_bytes - low, ram + low,
				 MEMREGION_RAM);
	return ret;
}

const struct memregion *memmap_find(const struct memmap *m, uint64_t gpa)
{
	int lo = 0, hi = m->n - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		const struct memregion *r = &m->r[mid];
		if (gpa < r->gpa)
			hi = mid - 1;
		else if (gpa - r->gpa >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

void *memmap_ptr(const struct memmap *m, uint64_t gpa, uint64_t len)
{
	const struct memregion *r = memmap_find(m, gpa);
	if (!r || len > r->size - (gpa - r->gpa))
		return NULL;
	return r->hva + (gpa - r->gpa);
}

static int memmap_copy(const struct memmap *m, uint64_t gpa, void *buf, uint64_t len, bool write)
{
	uint8_t *p = buf;
	while (len) {
		const struct memregion *r = memmap_find(m, gpa);
		if (!r)
			return -EFAULT;
		uint64_t off = gpa - r->gpa;
		uint64_t n = r->size - off < len ? r->size - off : len;
		if (write)
			memcpy(r->hva + off, p, n);
		else
			memcpy(p, r->hva + off, n);
		p += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

int memmap_write(const struct memmap *m, uint64_t gpa, const void *buf, uint64_t len)
{
	return memmap_copy(m, gpa, (void *)buf, len, true);
}

int memmap_read(const struct memmap *m, uint64_t gpa, void *buf, uint64_t len)
{
	return memmap_copy(m, gpa, buf, len, false);
}

uint64_t memmap_ram_size(const struct memmap *m)
{
	uint64_t total = 0;
	for (int i = 0; i < m->n; i++)
		if (m->r[i].kind == MEMREGION_RAM)
			total += m->r[i].size;
	return total;
}

uint64_t memmap_low_ram_end(const struct memmap *m)
{
	uint64_t end = 0;
	for (int i = 0; i < m->n; i++)
		if (m->r[i].kind == MEMREGION_RAM && m->r[i].gpa + m->r[i].size <= LAYOUT_4G &&
		    m->r[i].gpa + m->r[i].size > end)
			end = m->r[i].gpa + m->r[i].size;
	return end;
}
