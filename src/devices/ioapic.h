/*
 * ioapic.h - an I/O APIC with 24 input pins, a pure model: interrupt messages
 * leave through struct ioapic_ops to the router.  Follows the Intel 82093AA
 * datasheet (IOREGSEL/IOWIN, ID, version, arbitration ID, redirection table,
 * edge and level triggering, remote IRR) at version 0x20, which adds the EOI
 * register at offset 0x40 (ICH-family I/O APICs): Linux uses it instead of
 * its mask/edge trick to clear remote IRR.
 *
 * Choices left to the implementation:
 * - MMIO: IOREGSEL (0x00), IOWIN (0x10) and EOI (0x40) are 32-bit registers;
 *   reads of any size return their bytes (0 elsewhere); IOWIN takes only
 *   aligned 4- or 8-byte stores (the low 4 bytes), IOREGSEL and EOI take the
 *   low byte of any store at their offset.
 * - IOWIN reads of an unimplemented register index return 0.
 * - Remote IRR is kept only for level-triggered fixed and lowest-priority
 *   entries; NMI, SMI, INIT and ExtINT are sent once per assertion edge;
 *   reserved delivery modes (3, 6) send nothing.  Writing edge trigger mode
 *   clears remote IRR, as Linux expects of pre-0x20 parts.
 *
 * Thread-safety: one mutex; deliver is called without it held, so the router
 * may call back into this IOAPIC (an EOI re-delivering, say).
 */
#ifndef EMBER_DEVICES_IOAPIC_H
#define EMBER_DEVICES_IOAPIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IOAPIC_DEFAULT_BASE 0xFEC00000ULL
#define IOAPIC_PINS	    24
#define IOAPIC_VERSION	    0x00170020u /* max redirection entry 23, version 0x20 */

struct ioapic_ops {
	void *opaque;
	/* An interrupt message: dest is the 8-bit destination field. */
	void (*deliver)(void *opaque, uint32_t dest, bool logical, unsigned delivery_mode,
			uint8_t vector, bool level_trig);
};

struct ioapic;

struct ioapic *ioapic_create(uint8_t id, const struct ioapic_ops *ops);
void ioapic_destroy(struct ioapic *io);
/* Reset state: every entry masked, ID as created, pins remembered. */
void ioapic_reset(struct ioapic *io);
size_t ioapic_save(const struct ioapic *io, void *buf, size_t len);
int ioapic_load(struct ioapic *io, const void *buf, size_t len);

/* The register window at IOAPIC_DEFAULT_BASE: off 0..0xFFF, size 1-8. */
uint64_t ioapic_mmio_read(struct ioapic *io, uint64_t off, unsigned size);
void ioapic_mmio_write(struct ioapic *io, uint64_t off, unsigned size, uint64_t val);

/* The electrical level of input pin (0..23; others ignored): an active-low
 * wire (PCI INTx) idles at 1 and asserts with 0.  Every wire starts at 0. */
void ioapic_set_irq(struct ioapic *io, unsigned pin, int level);
/* A local APIC's EOI of a level-triggered vector (the EOI broadcast). */
void ioapic_eoi(struct ioapic *io, uint8_t vector);

#endif
