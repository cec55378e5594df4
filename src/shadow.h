/*
 * shadow.h - the shadow RAM of the BIOS area (memmap.h's struct
 * memmap_shadow): what the i440FX's PAM registers program, and how an
 * access finds its bytes; and the A20 gate, the other chipset routing of
 * the CPU's accesses below 1 MiB + 64 KiB.  Not the PCI function holding the registers
 * (pci/i440fx.c) nor the memory map's regions (memmap.c).
 * Follows the Intel 440FX PMC datasheet, PAM registers (0x59-0x5F): two
 * bits per segment, read enable (bit 0) and write enable (bit 1).
 */
#ifndef EMBER_SHADOW_H
#define EMBER_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

#include "memmap.h"

/* Give m its shadow DRAM (256 KiB, zero), every segment routed to the
 * regions (PAM all 0, the power-on value).  0 or -ENOMEM. */
int shadow_init(struct memmap *m);

/* PAM register n (0-6: PAM0 = config 0x59 ... PAM6 = 0x5F) becomes v: PAM0
 * bits 5:4 cover 0xF0000-0xFFFFF, PAMn (n = 1..6) bits 1:0 and 5:4 the two
 * 16 KiB segments from 0xC0000 + (n - 1) * 0x8000.  Bumps gen on a change.
 * Without shadow DRAM (not a --bios boot) only the value is kept. */
void shadow_write_pam(struct memmap *m, unsigned n, uint8_t v);

/* Where an access at gpa goes if the shadow takes it: a host pointer into
 * the shadow DRAM, or NULL (outside the window, no shadow, or routed to
 * the regions).  For a range: all of [gpa, gpa+len) must go to DRAM. */
uint8_t *shadow_ptr(const struct memmap *m, uint64_t gpa, bool write);
uint8_t *shadow_range(const struct memmap *m, uint64_t gpa, uint64_t len, bool write);
/* Does [gpa, gpa+len) touch the window at all (when there is a shadow)? */
bool shadow_covers(const struct memmap *m, uint64_t gpa, uint64_t len);

/* The A20 gate as the chipset drives A20M# (the i8042's output port bit 1
 * OR port 0x92 bit 1): closed, the CPU's accesses have physical address bit
 * 20 cleared, so 0x100000-0x10FFFF wraps to 0 as on an 8086.  Devices'
 * DMA is not masked.  Bumps gen on a change. */
void shadow_set_a20(struct memmap *m, bool on);
/* gpa as the CPU's access reaches memory through the gate. */
static inline uint64_t shadow_a20(const struct memmap *m, uint64_t gpa)
{
	return __atomic_load_n(&m->shadow.a20_off, __ATOMIC_RELAXED) ? gpa & ~(1ull << 20) : gpa;
}

/* The routing's generation: an engine that caches translations drops
 * them when it changes. */
unsigned shadow_gen(const struct memmap *m);

#endif
