/*
 * bus.h - one bus type, two instances: port I/O and MMIO.  Devices register a
 * named range and see (offset, size) inside it.  Overlapping registrations are
 * rejected.  An access that hits nothing reads all-ones and drops writes; it
 * is counted, never fatal.  The bus is where both engines' device accesses
 * meet, so it is where they are counted and traced.
 * Registration happens before vCPUs start; afterwards the bus is read-only
 * and may be used from several vCPU threads (devices lock themselves).
 */
#ifndef EMBER_BUS_H
#define EMBER_BUS_H

#include <stdint.h>

struct bus_ops {
	/* size is 1, 2, 4 or 8; off is relative to the range base. */
	uint64_t (*read)(void *opaque, uint64_t off, unsigned size);
	void (*write)(void *opaque, uint64_t off, unsigned size, uint64_t val);
};

struct bus_range {
	const char *name;
	uint64_t base, len;
	const struct bus_ops *ops;
	void *opaque;
	uint64_t reads, writes; /* updated atomically */
};

#define BUS_MAX_RANGES 64

/* Observer of every access (tracing); called after the device. */
typedef void (*bus_trace_fn)(void *opaque, const struct bus_range *r, uint64_t addr,
			     unsigned size, uint64_t val, int is_write);

struct bus {
	const char *name; /* "pio" or "mmio" */
	struct bus_range r[BUS_MAX_RANGES];
	int n;
	uint64_t unclaimed_reads, unclaimed_writes;
	bus_trace_fn trace;
	void *trace_opaque;
};

void bus_init(struct bus *b, const char *name);

/* Returns 0, -EINVAL (empty or overlapping) or -ENOSPC. */
int __attribute__((warn_unused_result))
bus_add(struct bus *b, const char *name, uint64_t base, uint64_t len, const struct bus_ops *ops,
	void *opaque);

/* The range containing addr, or NULL. */
const struct bus_range *bus_find(const struct bus *b, uint64_t addr);

/* Accesses of 1, 2, 4 or 8 bytes.  A miss reads all-ones (of size). */
uint64_t bus_read(struct bus *b, uint64_t addr, unsigned size);
void bus_write(struct bus *b, uint64_t addr, unsigned size, uint64_t val);

#endif
