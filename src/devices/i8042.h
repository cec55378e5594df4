/*
 * i8042.h - the PC/AT keyboard controller (Intel 8042, ports 0x60 data and
 * 0x64 status/command) with a keyboard that is plugged in but never types,
 * no PS/2 mouse, and the PS/2 "system control port A" (port 0x92: fast A20
 * and reset).  Enough for firmware and Linux's i8042/atkbd probes, and for
 * the two ways a PC guest resets itself (0xFE to 0x64, bit 0 of 0x92).
 * Not an input device: host key presses are not forwarded (the serial
 * console is the input path).  The A20 gate goes to ops->a20 (the
 * emulator's A20M#: devices.c, shadow.h).
 * Follows the IBM PC/AT Technical Reference (8042 commands, status bits)
 * and the IBM PS/2 Hardware Interface Technical Reference (port 0x92).
 */
#ifndef EMBER_DEVICES_I8042_H
#define EMBER_DEVICES_I8042_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"

struct i8042_ops {
	/* IRQ 1 (keyboard data in the output buffer), a level. */
	void (*irq)(void *opaque, int level);
	/* The CPU reset line was pulsed (0xFE command, output port, 0x92). */
	void (*reset)(void *opaque, const char *why);
	/* The A20 gate after every write that may move it (on = open). */
	void (*a20)(void *opaque, bool on);
};

struct i8042;
struct device_ops;

struct i8042 *i8042_create(const struct i8042_ops *ops, void *opaque);
void i8042_destroy(struct i8042 *k);
/* The device life cycle (devices/device.h). */
void i8042_reset(struct i8042 *k);
size_t i8042_save(const struct i8042 *k, void *buf, size_t len);
int i8042_load(struct i8042 *k, const void *buf, size_t len);
extern const struct device_ops i8042_device_ops;


/* Port I/O ops for bus_add(), opaque = the i8042: 0x60 and 0x64 are one
 * port each (0x61 between them is the PPI, see pit.h); 0x92 is one port. */
extern const struct bus_ops i8042_data_ops;
extern const struct bus_ops i8042_cmd_ops;
extern const struct bus_ops i8042_port92_ops;

#endif
