/*
 * pic.h - the PC's pair of Intel 8259A programmable interrupt controllers
 * (master at 0x20, slave at 0xA0 cascaded on master IR2) and the PIIX
 * edge/level control registers (ELCR, 0x4D0-0x4D1).  Used by the emulator
 * engine only: under KVM the in-kernel irqchip owns these ports.
 * Follows the Intel 8259A datasheet (ICW1-4, OCW1-3, priority rotation,
 * special mask, poll, spurious IR7) and the PIIX4 datasheet for ELCR.
 */
#ifndef EMBER_DEVICES_PIC_H
#define EMBER_DEVICES_PIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"

struct pic;
struct device_ops;

struct pic *pic_create(void);
void pic_destroy(struct pic *p);
/* The device life cycle (devices/device.h). */
void pic_reset(struct pic *p);
size_t pic_save(const struct pic *p, void *buf, size_t len);
int pic_load(struct pic *p, const void *buf, size_t len);
extern const struct device_ops pic_device_ops;

/*
 * Called with the master's INT output whenever it changes (the emulator
 * engine uses it to wake a halted vCPU).  fn may be NULL.
 */
void pic_set_output(struct pic *p, void (*fn)(void *opaque, int level), void *opaque);

/* Drive ISA IRQ line irq (0-15).  Edge lines latch a request on 0->1. */
void pic_set_irq(struct pic *p, unsigned irq, int level);

/* Is the master's INT output asserted (an unmasked request outranks what
 * is in service)? */
bool pic_intr_pending(struct pic *p);

/*
 * The INTA cycle: acknowledge the highest-priority request and return its
 * vector.  With nothing to deliver it returns the spurious vector (IR7 of
 * the master, or IR7 of the slave when the cascade request vanished).
 */
int pic_intr_ack(struct pic *p);

/* Port I/O ops for bus_add(), opaque = the pic: 2 ports each. */
extern const struct bus_ops pic_master_ops;
extern const struct bus_ops pic_slave_ops;
extern const struct bus_ops pic_elcr_ops;

#endif
