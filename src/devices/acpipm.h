/*
 * acpipm.h - the ACPI fixed hardware of a PC chipset that ember's FADT
 * describes: the PM1a event block (PM1_STS, PM1_EN), the PM1a control block
 * (SCI_EN, SLP_TYP, SLP_EN), the 32-bit power-management timer, and the
 * chipset's reset control register (port 0xCF9) named by the FADT's
 * RESET_REG.  A pure model: time, the SCI line, power-off and reset are
 * callbacks, so it is tested alone against a fake clock.
 * Follows ACPI 6.4 chapter 4.8 (fixed hardware registers) and the Intel
 * ICH/PCH datasheets for the reset control register.
 */
#ifndef EMBER_DEVICES_ACPIPM_H
#define EMBER_DEVICES_ACPIPM_H

#include <stddef.h>
#include <stdint.h>

#include "bus.h"

/* The PM timer's frequency (ACPI 6.4 4.8.3.3): 3.579545 MHz. */
#define ACPIPM_TIMER_HZ 3579545ULL

/*
 * The values the tables promise and the device acts on: \_S5's SLP_TYPa
 * (the DSDT's package) and the FADT's RESET_VALUE (SYS_RST | RST_CPU: a
 * hard reset on an ICH).
 */
#define ACPIPM_SLP_TYP_S5  5
#define ACPIPM_RESET_VALUE 0x06

/* PM1 status/enable bits (ACPI 6.4 tables 4.16, 4.17), control bits (4.18). */
#define ACPIPM_TMR    (1u << 0)
#define ACPIPM_GBL    (1u << 5)
#define ACPIPM_PWRBTN (1u << 8)
#define ACPIPM_RTC    (1u << 10)
#define ACPIPM_WAK    (1u << 15)
#define ACPIPM_SCI_EN (1u << 0)
#define ACPIPM_SLP_EN (1u << 13)

struct acpipm_ops {
	/* The SCI's level (the FADT's SCI_INT, level-triggered). */
	void (*sci)(void *opaque, int level);
	/* SLP_EN with \_S5's SLP_TYP: soft off. */
	void (*poweroff)(void *opaque);
	/* The reset control register asked for a CPU/system reset. */
	void (*reset)(void *opaque);
	/* Guest nanoseconds; the PM timer counts from 0 at time 0. */
	uint64_t (*now_ns)(void *opaque);
	/* Call acpipm_timer_expired() at deadline_ns (UINT64_MAX: never);
	 * NULL: TMR_STS is then only seen when the guest reads PM1_STS. */
	void (*timer_arm)(void *opaque, uint64_t deadline_ns);
};

struct acpipm;

struct acpipm *acpipm_create(const struct acpipm_ops *ops, void *opaque);
void acpipm_destroy(struct acpipm *pm);
/* Power-on state: events clear and disabled, SCI_EN set (no SMI_CMD: the
 * machine is always in ACPI mode), the reset control register 0. */
void acpipm_reset(struct acpipm *pm);
/* Serialise the registers: bytes needed/written (buf NULL: just ask). */
size_t acpipm_save(const struct acpipm *pm, void *buf, size_t len);
/* 0, or -EINVAL on a malformed buffer (the device is then unchanged). */
int acpipm_load(struct acpipm *pm, const void *buf, size_t len);

/* The timer the device armed has expired: latch TMR_STS. */
void acpipm_timer_expired(struct acpipm *pm);
/* The fixed-feature power button was pressed: PWRBTN_STS, an SCI if enabled. */
void acpipm_power_button(struct acpipm *pm);
/* The PM timer's current 32-bit count. */
uint32_t acpipm_timer_value(struct acpipm *pm);

/* Port I/O ops for bus_add(), opaque = the device: the 12-port block at
 * LAYOUT_PORT_ACPI_PM and the one-byte reset register at LAYOUT_PORT_RESET. */
extern const struct bus_ops acpipm_bus_ops;
extern const struct bus_ops acpipm_reset_ops;

#endif
