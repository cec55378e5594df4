/*
 * test_bus.c - the bus: registration rules, routing by (offset, size),
 * all-ones reads on a miss, per-range counters.
 */
#include <errno.h>

#include "bus.h"
#include "t.h"

struct fake {
	uint64_t last_off, last_val;
	unsigned last_size;
	int reads, writes;
};

static uint64_t fake_read(void *opaque, uint64_t off, unsigned size)
{
	struct fake *f = opaque;
	f->reads++;
	f->last_off = off;
	f->last_size = size;
	return 0x1122334455667788ULL + off;
}

static void fake_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct fake *f = opaque;
	f->writes++;
	f->last_off = off;
	f->last_size = size;
	f->last_val = val;
}

static const struct bus_ops fake_ops = { fake_read, fake_write };

static void test_overlap_rejected(void)
{
	struct bus b;
	struct fake f = { 0 };
	bus_init(&b, "pio");
	T_EQ(bus_add(&b, "a", 0x3f8, 8, &fake_ops, &f), 0);
	T_EQ(bus_add(&b, "b", 0x3ff, 1, &fake_ops, &f), -EINVAL); /* last byte of a */
	T_EQ(bus_add(&b, "c", 0x3f0, 9, &fake_ops, &f), -EINVAL); /* first byte of a */
	T_EQ(bus_add(&b, "d", 0x3f0, 8, &fake_ops, &f), 0);       /* adjacent is fine */
	T_EQ(bus_add(&b, "e", 0x400, 0, &fake_ops, &f), -EINVAL); /* empty */
	T_EQ(bus_add(&b, "f", ~0ULL, 2, &fake_ops, &f), -EINVAL); /* wraps */
	T_EQ(b.n, 2);
}

static void test_routing_offsets(void)
{
	struct bus b;
	struct fake f1 = { 0 }, f2 = { 0 };
	bus_init(&b, "mmio");
	T_EQ(bus_add(&b, "hi", 0xfec00000, 0x1000, &fake_ops, &f2), 0);
	T_EQ(bus_add(&b, "lo", 0x1000, 0x100, &fake_ops, &f1), 0);
	T_EQ(bus_read(&b, 0x1010, 2), (0x1122334455667788ULL + 0x10) & 0xffff);
	T_EQ(f1.last_off, 0x10);
	T_EQ(f1.last_size, 2);
	bus_write(&b, 0xfec00014, 4, 0xdeadbeefcafeULL);
	T_EQ(f2.last_off, 0x14);
	T_EQ(f2.last_val, 0xbeefcafe); /* truncated to the access size */
	T_EQ(f1.writes, 0);
	T_STREQ(bus_find(&b, 0xfec00fff)->name, "hi");
	T_CHECK(bus_find(&b, 0xfec01000) == NULL, "one past the end must miss");
}

static void test_miss_reads_all_ones(void)
{
	struct bus b;
	bus_init(&b, "pio");
	T_EQ(bus_read(&b, 0x80, 1), 0xff);
	T_EQ(bus_read(&b, 0x80, 2), 0xffff);
	T_EQ(bus_read(&b, 0x80, 4), 0xffffffff);
	T_EQ(bus_read(&b, 0x80, 8), ~0ULL);
	bus_write(&b, 0x80, 1, 0x12);
	T_EQ(b.unclaimed_reads, 4);
	T_EQ(b.unclaimed_writes, 1);
}

static void test_counters(void)
{
	struct bus b;
	struct fake f = { 0 };
	bus_init(&b, "pio");
	T_EQ(bus_add(&b, "com1", 0x3f8, 8, &fake_ops, &f), 0);
	for (int i = 0; i < 5; i++)
		bus_write(&b, 0x3f8, 1, 'a');
	bus_read(&b, 0x3fd, 1);
	const struct bus_range *r = bus_find(&b, 0x3f8);
	T_EQ(r->writes, 5);
	T_EQ(r->reads, 1);
	T_EQ(f.writes, 5);
}

static void test_full(void)
{
	struct bus b;
	struct fake f = { 0 };
	bus_init(&b, "pio");
	for (int i = 0; i < BUS_MAX_RANGES; i++)
		T_EQ(bus_add(&b, "x", i * 2, 1, &fake_ops, &f), 0);
	T_EQ(bus_add(&b, "x", 0x1000, 1, &fake_ops, &f), -ENOSPC);
	/* Sorted binary search still finds every one. */
	for (int i = 0; i < BUS_MAX_RANGES; i++)
		T_CHECK(bus_find(&b, i * 2) && bus_find(&b, i * 2)->base == (uint64_t)i * 2,
			"range at %d not found", i * 2);
}

int main(void)
{
	T_RUN(test_overlap_rejected);
	T_RUN(test_routing_offsets);
	T_RUN(test_miss_reads_all_ones);
	T_RUN(test_counters);
	T_RUN(test_full);
	T_EXIT();
}
