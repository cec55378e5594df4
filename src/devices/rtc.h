/*
 * rtc.h - the PC's CMOS real-time clock (Motorola MC146818A, ports 0x70
 * index / 0x71 data, IRQ 8) and its 128 bytes of CMOS RAM, holding the
 * memory sizes and CPU count that firmware (SeaBIOS) reads.  The clock is
 * the host's UTC time plus an offset the guest may set; it is not a
 * battery-backed store across runs.
 * Follows the MC146818A datasheet (registers A-D, BCD/binary, 12/24 hour,
 * UIP) and SeaBIOS's CMOS layout (src/hw/rtc.h, src/fw/paravirt.c).
 */
#ifndef EMBER_DEVICES_RTC_H
#define EMBER_DEVICES_RTC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"

struct rtc_ops {
	/* IRQ 8: pulsed when register C's IRQF becomes set. */
	void (*irq)(void *opaque, int level);
	/* Wall-clock time in ns since the Unix epoch; NULL = CLOCK_REALTIME. */
	int64_t (*now)(void *opaque);
	/* The next enabled interrupt is due at wall_ns (same clock as now;
	 * INT64_MAX: none, or IRQF still set): call rtc_poll() then.  After
	 * every register access and every rtc_poll().  May be NULL. */
	void (*timer_arm)(void *opaque, int64_t wall_ns);
};

struct rtc;
struct device_ops;

struct rtc *rtc_create(const struct rtc_ops *ops, void *opaque);
void rtc_destroy(struct rtc *r);
/* The device life cycle (devices/device.h). */
void rtc_reset(struct rtc *r);
size_t rtc_save(const struct rtc *r, void *buf, size_t len);
int rtc_load(struct rtc *r, const void *buf, size_t len);
extern const struct device_ops rtc_device_ops;

/*
 * Fill the CMOS memory-size bytes: low_ram_end = end of RAM below 4 GiB,
 * high_ram = bytes of RAM above 4 GiB, ncpus = number of vCPUs.
 */
void rtc_set_memory(struct rtc *r, uint64_t low_ram_end, uint64_t high_ram, int ncpus);

/* Wall-clock ns (ops->now's clock) of the next interrupt event, INT64_MAX
 * if none is enabled or IRQF is still set; rtc_poll() raises what is due
 * by now. */
int64_t rtc_next_irq_ns(struct rtc *r);
void rtc_poll(struct rtc *r);

/* Raw CMOS byte, bypassing the clock (for tests and --stats). */
uint8_t rtc_cmos(struct rtc *r, unsigned index);

/* Bit 7 of the last index write: NMIs disabled. */
bool rtc_nmi_masked(struct rtc *r);

/* Port I/O ops for bus_add(), opaque = the rtc: 2 ports (index, data). */
extern const struct bus_ops rtc_bus_ops;

#endif
