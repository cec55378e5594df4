/*
 * memmap.h - the one guest-physical memory map: RAM and ROM regions backed by
 * host memory.  Both engines read it: KVM turns each region into a memory
 * slot, the emulator translates through memmap_find().  MMIO is not here; it
 * lives on the MMIO bus (bus.h).  A region may alias another's host memory
 * (the low BIOS window aliases the top of the firmware ROM).
 */
#ifndef EMBER_MEMMAP_H
#define EMBER_MEMMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEMMAP_MAX 16

enum memregion_kind {
	MEMREGION_RAM,
	MEMREGION_ROM, /* guest writes are dropped */
};

struct memregion {
	const char *name;
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
	enum memregion_kind kind;
};

/*
 * The PC's shadow RAM (i440FX PAM registers, shadow.c): [0xC0000, 1 MiB)
 * in 16 KiB segments, each sending reads and, separately, writes either to
 * DRAM of its own (ram) or to what the regions above hold there (the BIOS
 * ROM, or nothing).  ram NULL: no shadow, the regions alone.  Only the
 * emulator honours it (KVM sees the regions).
 */
#define SHADOW_START	0xC0000ULL
#define SHADOW_SIZE	0x40000ULL
#define SHADOW_SEGMENT	0x4000ULL
#define SHADOW_SEGMENTS (SHADOW_SIZE / SHADOW_SEGMENT)
#define SHADOW_READ	1u /* reads go to DRAM */
#define SHADOW_WRITE	2u /* writes go to DRAM */
struct memmap_shadow {
	uint8_t *ram;
	uint8_t pam[7];			/* the PAM registers as written */
	uint8_t mode[SHADOW_SEGMENTS]; /* SHADOW_READ | SHADOW_WRITE, atomic */
	unsigned gen;		       /* bumped by every routing change, atomic */
	uint8_t a20_off;	       /* the A20 gate closed (shadow_set_a20), atomic */
};

struct memmap {
	struct memregion r[MEMMAP_MAX];
	int n;
	struct memmap_shadow shadow;
	/* Allocations owned by the map (munmap'd by memmap_destroy). */
	struct {
		void *p;
		size_t len;
	} owned[MEMMAP_MAX];
	int nowned;
};

void memmap_init(struct memmap *m);
void memmap_destroy(struct memmap *m);

/* Add a region backed by hva (not owned).  -EINVAL if it overlaps another
 * region, is empty or misaligned (4 KiB), -ENOSPC if the map is full. */
int __attribute__((warn_unused_result))
memmap_add(struct memmap *m, const char *name, uint64_t gpa, uint64_t size, uint8_t *hva,
	   enum memregion_kind kind);

/* Allocate zeroed anonymous host memory owned by the map, or NULL; from
 * 2 MiB on, 2 MiB-aligned and backed by huge pages where the host has them. */
uint8_t *memmap_alloc(struct memmap *m, uint64_t size);

/* Build the RAM layout for mem_bytes of guest RAM: [0, 640 KiB), then from
 * 1 MiB to the MMIO hole and, for what does not fit, above 4 GiB.  The
 * 384 KiB at [640 KiB, 1 MiB) are a hole, as on a PC.  Returns 0 or -errno. */
int __attribute__((warn_unused_result)) memmap_add_ram(struct memmap *m, uint64_t mem_bytes);

/* The region containing gpa, or NULL. */
const struct memregion *memmap_find(const struct memmap *m, uint64_t gpa);

/* Host pointer to [gpa, gpa+len) if it lies inside one region, else NULL. */
void *memmap_ptr(const struct memmap *m, uint64_t gpa, uint64_t len);

/* Copy to/from guest memory across regions, ignoring ROM protection (for
 * loaders).  Return 0, or -EFAULT if any byte is not backed. */
int memmap_write(const struct memmap *m, uint64_t gpa, const void *buf, uint64_t len);
int memmap_read(const struct memmap *m, uint64_t gpa, void *buf, uint64_t len);

/* Bytes of the map's own allocations (guest RAM and ROM) that are resident
 * in host memory (mincore): the guest pages touched so far. */
uint64_t memmap_resident(const struct memmap *m);

/* Total RAM bytes, and the end of RAM below 4 GiB. */
uint64_t memmap_ram_size(const struct memmap *m);
uint64_t memmap_low_ram_end(const struct memmap *m);

#endif
