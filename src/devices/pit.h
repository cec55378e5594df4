/*
 * pit.h - the Intel 8254 programmable interval timer (ports 0x40-0x43) and
 * port B of the PC's 8255 PPI (port 0x61: channel 2 gate and output,
 * speaker enable, refresh toggle).  Time comes from a clock callback (the
 * VM's guest nanoseconds), so counting is exact against a fake clock in tests;
 * the model asks for a timer at channel 0's next edge instead of being polled.
 * Follows the Intel 8254 datasheet (modes 0-5, counter latch, read-back).
 */
#ifndef EMBER_DEVICES_PIT_H
#define EMBER_DEVICES_PIT_H

#include <stddef.h>
#include <stdint.h>

#include "bus.h"

#define PIT_HZ 1193182ULL /* the PC's 14.31818 MHz / 12 */

struct pit_ops {
	/* Channel 0's output rose: the device pulses IRQ0 (level 1 then 0). */
	void (*irq)(void *opaque, int level);
	/* Monotonic nanoseconds; NULL means now_ns() (util.h). */
	uint64_t (*now)(void *opaque);
	/* Channel 0's next rising edge moved to deadline_ns (same clock as
	 * now; UINT64_MAX: none coming): call pit_update() then.  May be NULL. */
	void (*timer_arm)(void *opaque, uint64_t deadline_ns);
};

struct pit;
struct device_ops;

struct pit *pit_create(const struct pit_ops *ops, void *opaque);
void pit_destroy(struct pit *p);
/* The device life cycle (devices/device.h). */
void pit_reset(struct pit *p);
size_t pit_save(const struct pit *p, void *buf, size_t len);
int pit_load(struct pit *p, const void *buf, size_t len);
extern const struct device_ops pit_device_ops;

/*
 * The time (same clock as ops->now) of channel 0's next rising edge, or
 * UINT64_MAX if none is coming (not programmed, one-shot already fired).
 * The emulator engine sleeps in HLT until then, or until another interrupt.
 */
uint64_t pit_next_deadline_ns(struct pit *p);

/* Deliver channel 0's edges due by now_ns (one pulse however many passed:
 * a late timer tick is coalesced, as when a real CPU has IF clear), and ask
 * for the timer at the next one. */
void pit_update(struct pit *p, uint64_t now_ns);

/* Channel 2's gate (port 0x61 bit 0) and output (port 0x61 bit 5). */
void pit_set_gate(struct pit *p, unsigned channel, int level);
int pit_get_out(struct pit *p, unsigned channel);

/* Port I/O ops for bus_add(), opaque = the pit: 0x40 (4 ports), 0x61 (1). */
extern const struct bus_ops pit_bus_ops;
extern const struct bus_ops pit_ppi_ops;

#endif
