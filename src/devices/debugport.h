/*
 * debugport.h - the ports a guest writes to be observed rather than to
 * drive hardware: POST codes (0x80), the Bochs/QEMU debug console (0xE9 and
 * SeaBIOS's 0x402) and QEMU's isa-debug-exit test device (0xF4).  Not a
 * console: nothing here reads host input.
 * Follows QEMU's documented device semantics (isa-debugcon readback 0xE9,
 * isa-debug-exit status (value << 1) | 1) and the PC's POST-card
 * convention for port 0x80.
 */
#ifndef EMBER_DEVICES_DEBUGPORT_H
#define EMBER_DEVICES_DEBUGPORT_H

#include <stddef.h>
#include <stdint.h>

#include "bus.h"

/* ---- POST codes --------------------------------------------------------- */

/* A run of one code: Linux writes 0x80 as an I/O delay, thousands of times,
 * so consecutive repeats are folded into one entry. */
struct post_code {
	uint64_t ns; /* first write of the run, ns since start_ns (vm->t_start) */
	uint8_t code;
	uint32_t repeat; /* writes in the run (>= 1) */
};

#define POST_MAX 1024 /* the most recent runs kept */

struct post;

/* start_ns: the VM's start on the now() clock (NULL now = now_ns()). */
struct device_ops;

struct post *post_create(uint64_t (*now)(void *opaque), void *opaque, uint64_t start_ns);
void post_destroy(struct post *p);
/* The device life cycle (devices/device.h). */
void post_reset(struct post *p);
size_t post_save(const struct post *p, void *buf, size_t len);
int post_load(struct post *p, const void *buf, size_t len);
extern const struct device_ops post_device_ops;
/* Copy the kept runs, oldest first; returns how many were copied. */
size_t post_codes(struct post *p, struct post_code *out, size_t max);
/* Every write since creation, including runs no longer kept. */
uint64_t post_count(struct post *p);

extern const struct bus_ops post_bus_ops; /* 1 port; reads the last code */

/* ---- Debug console ------------------------------------------------------ */

#define DEBUGCON_READBACK 0xE9	/* what SeaBIOS checks before using 0x402 */
#define DEBUGCON_KEEP	  65536 /* bytes kept in memory when there is no sink */

struct debugcon;

struct debugcon *debugcon_create(void);
void debugcon_destroy(struct debugcon *d);
void debugcon_reset(struct debugcon *d);
size_t debugcon_save(const struct debugcon *d, void *buf, size_t len);
int debugcon_load(struct debugcon *d, const void *buf, size_t len);
extern const struct device_ops debugcon_device_ops;
/* Where bytes go besides the in-memory tail; fn NULL = only kept. */
void debugcon_set_sink(struct debugcon *d, void (*fn)(void *opaque, const uint8_t *buf, size_t n),
		       void *opaque);
/* Copy the last (up to DEBUGCON_KEEP) bytes written; returns the count. */
size_t debugcon_tail(struct debugcon *d, uint8_t *out, size_t max);

extern const struct bus_ops debugcon_bus_ops; /* any number of ports */

/* ---- Test exit ---------------------------------------------------------- */

struct testexit {
	/* Called with (value << 1) | 1 for every write of value. */
	void (*exit)(void *opaque, uint32_t status);
	void *opaque;
};

extern const struct bus_ops testexit_bus_ops; /* opaque = struct testexit */

#endif
