/*
 * bus.c - named address ranges with device callbacks (see bus.h).
 * Ranges stay sorted; lookup is a binary search.
 */
#include <errno.h>
#include <string.h>

#include "bus.h"

void bus_init(struct bus *b, const char *name)
{
	memset(b, 0, sizeof(*b));
	b->name = name;
}

int bus_add(struct bus *b, const char *name, uint64_t base, uint64_t len, const struct bus_ops *ops,
	    void *opaque)
{
	if (len == 0 || base + len < base || !ops)
		return -EINVAL;
	if (b->n == BUS_MAX_RANGES)
		return -ENOSPC;
	int pos = 0;
	for (int i = 0; i < b->n; i++) {
		const struct bus_range *r = &b->r[i];
		if (base < r->base + r->len && r->base < base + len)
			return -EINVAL;
		if (r->base < base)
			pos = i + 1;
	}
	memmove(&b->r[pos + 1], &b->r[pos], (b->n - pos) * sizeof(b->r[0]));
	b->r[pos] = (struct bus_range){ .name = name, .base = base, .len = len, .ops = ops,
					.opaque = opaque };
	b->n++;
	return 0;
}

const struct bus_range *bus_find(const struct bus *b, uint64_t addr)
{
	int lo = 0, hi = b->n - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		const struct bus_range *r = &b->r[mid];
		if (addr < r->base)
			hi = mid - 1;
		else if (addr - r->base >= r->len)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

static uint64_t ones(unsigned size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

uint64_t bus_read(struct bus *b, uint64_t addr, unsigned size)
{
	struct bus_range *r = (struct bus_range *)bus_find(b, addr);
	uint64_t val;
	if (!r || !r->ops->read) {
		if (!r)
			__atomic_fetch_add(&b->unclaimed_reads, 1, __ATOMIC_RELAXED);
		else
			__atomic_fetch_add(&r->reads, 1, __ATOMIC_RELAXED);
		val = ones(size);
	} else {
		__atomic_fetch_add(&r->reads, 1, __ATOMIC_RELAXED);
		val = r->ops->read(r->opaque, addr - r->base, size) & ones(size);
	}
	if (b->trace)
		b->trace(b->trace_opaque, r, addr, size, val, 0);
	return val;
}

void bus_write(struct bus *b, uint64_t addr, unsigned size, uint64_t val)
{
	struct bus_range *r = (struct bus_range *)bus_find(b, addr);
	val &= ones(size);
	if (!r) {
		__atomic_fetch_add(&b->unclaimed_writes, 1, __ATOMIC_RELAXED);
	} else {
		__atomic_fetch_add(&r->writes, 1, __ATOMIC_RELAXED);
		if (r->ops->write)
			r->ops->write(r->opaque, addr - r->base, size, val);
	}
	if (b->trace)
		b->trace(b->trace_opaque, r, addr, size, val, 1);
}
