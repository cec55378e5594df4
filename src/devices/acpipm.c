/*
 * acpipm.c - ACPI PM1a event/control blocks, the PM timer and the reset
 * control register (see acpipm.h).  Register semantics per ACPI 6.4 4.8:
 * status bits are write-1-to-clear, SLP_EN and GBL_RLS are write-only and
 * read 0, the timer is read-only and counts at 3.579545 MHz; TMR_STS is
 * set whenever the timer's top bit (bit 31: the FADT sets TMR_VAL_EXT)
 * changes.  The SCI is a level: SCI_EN and any status bit whose enable bit
 * is set.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "devices/acpipm.h"

/* Offsets in the port block (LAYOUT_PORT_ACPI_PM). */
#define PM1_STS 0
#define PM1_EN	2
#define PM1_CNT 4
#define PM_TMR	8

/* What the guest may enable.  RTC_EN is storage: the RTC alarm would only
 * wake the machine from a sleep state, and the only one is soft off, so
 * RTC_STS never sets (it still interrupts on IRQ 8). */
#define EN_MASK (ACPIPM_TMR | ACPIPM_GBL | ACPIPM_PWRBTN | ACPIPM_RTC)
/* The status bits it can set (WAK_STS: a resume, which never comes). */
#define STS_MASK (ACPIPM_TMR | ACPIPM_GBL | ACPIPM_PWRBTN | ACPIPM_WAK)
/* SLP_TYPx (bits 12:10) and BM_RLD (bit 1) are read/write storage. */
#define SLP_TYP_SHIFT 10
#define SLP_TYP_MASK  (7u << SLP_TYP_SHIFT)
#define CNT_RW	      (SLP_TYP_MASK | (1u << 1))

/* Reset control register (ICH): SYS_RST (1), RST_CPU (2), FULL_RST (3);
 * a 0 -> 1 transition of RST_CPU resets. */
#define RCR_RST_CPU (1u << 2)
#define RCR_MASK    0x0Eu

struct acpipm {
	const struct acpipm_ops *ops;
	void *opaque;
	pthread_mutex_t lock;
	uint16_t sts, en, cnt;
	uint8_t rcr;
	/* Timer periods (2^31 ticks) already folded into TMR_STS. */
	uint64_t tmr_epoch;
	int sci_level; /* last level given to ops->sci */
};

static uint64_t acpipm_ticks(struct acpipm *pm)
{
	uint64_t ns = pm->ops->now_ns(pm->opaque);
	return (uint64_t)((unsigned __int128)ns * ACPIPM_TIMER_HZ / 1000000000u);
}

/* Guest ns at which the timer reaches tick t (the first ns at or after). */
static uint64_t acpipm_ns_of_tick(uint64_t t)
{
	unsigned __int128 ns =
	    ((unsigned __int128)t * 1000000000u + ACPIPM_TIMER_HZ - 1) / ACPIPM_TIMER_HZ;
	return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

/* Fold timer-MSB changes since the last look into TMR_STS. */
static void acpipm_sample_timer(struct acpipm *pm)
{
	uint64_t epoch = acpipm_ticks(pm) >> 31;
	if (epoch != pm->tmr_epoch) {
		pm->tmr_epoch = epoch;
		pm->sts |= ACPIPM_TMR;
	}
}

/* Locked: recompute the SCI and the timer deadline after a change.
 * Returns the SCI level to report, or -1 when it did not change. */
static int acpipm_update(struct acpipm *pm)
{
	if (pm->ops->timer_arm) {
		uint64_t when = UINT64_MAX;
		if ((pm->en & ACPIPM_TMR) && !(pm->sts & ACPIPM_TMR))
			when = acpipm_ns_of_tick((pm->tmr_epoch + 1) << 31);
		pm->ops->timer_arm(pm->opaque, when);
	}
	int level = (pm->cnt & ACPIPM_SCI_EN) && (pm->sts & pm->en & EN_MASK);
	if (level == pm->sci_level)
		return -1;
	pm->sci_level = level;
	return level;
}

/* Unlocked: tell the outside world (callbacks may take other locks). */
static void acpipm_notify(struct acpipm *pm, int level)
{
	if (level >= 0 && pm->ops->sci)
		pm->ops->sci(pm->opaque, level);
}

void acpipm_reset(struct acpipm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->sts = pm->en = 0;
	pm->cnt = ACPIPM_SCI_EN;
	pm->rcr = 0;
	pm->tmr_epoch = acpipm_ticks(pm) >> 31;
	int level = acpipm_update(pm);
	pthread_mutex_unlock(&pm->lock);
	acpipm_notify(pm, level);
}

struct acpipm *acpipm_create(const struct acpipm_ops *ops, void *opaque)
{
	struct acpipm *pm = calloc(1, sizeof(*pm));
	if (!pm)
		return NULL;
	pm->ops = ops;
	pm->opaque = opaque;
	pthread_mutex_init(&pm->lock, NULL);
	pm->sci_level = 0; /* the line starts low: reset only reports a change */
	acpipm_reset(pm);
	return pm;
}

void acpipm_destroy(struct acpipm *pm)
{
	if (!pm)
		return;
	pthread_mutex_destroy(&pm->lock);
	free(pm);
}

uint32_t acpipm_timer_value(struct acpipm *pm)
{
	return (uint32_t)acpipm_ticks(pm);
}

void acpipm_timer_expired(struct acpipm *pm)
{
	pthread_mutex_lock(&pm->lock);
	acpipm_sample_timer(pm);
	int level = acpipm_update(pm);
	pthread_mutex_unlock(&pm->lock);
	acpipm_notify(pm, level);
}

void acpipm_power_button(struct acpipm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->sts |= ACPIPM_PWRBTN;
	int level = acpipm_update(pm);
	pthread_mutex_unlock(&pm->lock);
	acpipm_notify(pm, level);
}

/* Locked: the byte at off of the register block. */
static uint8_t acpipm_read_byte(struct acpipm *pm, unsigned off, uint32_t tmr)
{
	switch (off) {
	case PM1_STS:
	case PM1_STS + 1:
		return (uint8_t)(pm->sts >> 8 * (off - PM1_STS));
	case PM1_EN:
	case PM1_EN + 1:
		return (uint8_t)(pm->en >> 8 * (off - PM1_EN));
	case PM1_CNT:
	case PM1_CNT + 1:
		return (uint8_t)(pm->cnt >> 8 * (off - PM1_CNT));
	case PM_TMR:
	case PM_TMR + 1:
	case PM_TMR + 2:
	case PM_TMR + 3:
		return (uint8_t)(tmr >> 8 * (off - PM_TMR));
	default:
		return 0xFF; /* 6-7: no register */
	}
}

static uint64_t acpipm_read(void *opaque, uint64_t off, unsigned size)
{
	struct acpipm *pm = opaque;
	pthread_mutex_lock(&pm->lock);
	acpipm_sample_timer(pm);
	uint32_t tmr = (uint32_t)acpipm_ticks(pm);
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)acpipm_read_byte(pm, (unsigned)off + i, tmr) << 8 * i;
	int level = acpipm_update(pm); /* sampling may have latched TMR_STS */
	pthread_mutex_unlock(&pm->lock);
	acpipm_notify(pm, level);
	return v;
}

/* The bytes of a write that fall on the 16-bit register at reg, as a value
 * and a mask of which bits were written. */
static uint16_t acpipm_part(uint64_t off, unsigned size, uint64_t val, unsigned reg, uint16_t *mask)
{
	uint16_t v = 0;
	*mask = 0;
	for (unsigned i = 0; i < size; i++) {
		uint64_t at = off + i;
		if (at == reg || at == reg + 1u) {
			unsigned sh = 8 * (unsigned)(at - reg);
			v |= (uint16_t)(((val >> 8 * i) & 0xFF) << sh);
			*mask |= (uint16_t)(0xFF << sh);
		}
	}
	return v;
}

static void acpipm_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct acpipm *pm = opaque;
	uint16_t m;
	bool sleep = false;
	pthread_mutex_lock(&pm->lock);
	acpipm_sample_timer(pm);
	uint16_t v = acpipm_part(off, size, val, PM1_STS, &m);
	pm->sts &= (uint16_t) ~(v & m); /* write 1 to clear */
	v = acpipm_part(off, size, val, PM1_EN, &m);
	pm->en = (uint16_t)((pm->en & ~(m & EN_MASK)) | (v & m & EN_MASK));
	v = acpipm_part(off, size, val, PM1_CNT, &m);
	pm->cnt = (uint16_t)((pm->cnt & ~(m & CNT_RW)) | (v & m & CNT_RW));
	if ((m & ACPIPM_SLP_EN) && (v & ACPIPM_SLP_EN))
		sleep = ((pm->cnt & SLP_TYP_MASK) >> SLP_TYP_SHIFT) == ACPIPM_SLP_TYP_S5;
	int level = acpipm_update(pm);
	pthread_mutex_unlock(&pm->lock);
	acpipm_notify(pm, level);
	/* Only S5 is offered (the DSDT has no \_S1-\_S4): another SLP_TYP is a
	 * state this machine does not have, and the write does nothing. */
	if (sleep && pm->ops->poweroff)
		pm->ops->poweroff(pm->opaque);
}

static uint64_t acpipm_reset_read(void *opaque, uint64_t off, unsigned size)
{
	struct acpipm *pm = opaque;
	pthread_mutex_lock(&pm->lock);
	uint64_t v = pm->rcr;
	pthread_mutex_unlock(&pm->lock);
	return v;
}

static void acpipm_reset_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct acpipm *pm = opaque;
	pthread_mutex_lock(&pm->lock);
	bool go = !(pm->rcr & RCR_RST_CPU) && (val & RCR_RST_CPU);
	pm->rcr = (uint8_t)(val & RCR_MASK);
	pthread_mutex_unlock(&pm->lock);
	if (go && pm->ops->reset)
		pm->ops->reset(pm->opaque);
}

const struct bus_ops acpipm_bus_ops = {.read = acpipm_read, .write = acpipm_write};
const struct bus_ops acpipm_reset_ops = {.read = acpipm_reset_read, .write = acpipm_reset_write};

/* Saved form: magic, version, then the registers, little-endian. */
#define ACPIPM_MAGIC	 0x4D504341u /* "ACPM" */
#define ACPIPM_VERSION	 1
#define ACPIPM_SAVE_SIZE 20

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << 8 * i;
	return v;
}

size_t acpipm_save(const struct acpipm *pm, void *buf, size_t len)
{
	if (!buf)
		return ACPIPM_SAVE_SIZE;
	if (len < ACPIPM_SAVE_SIZE)
		return 0;
	struct acpipm *w = (struct acpipm *)pm; /* the lock is not state */
	uint8_t *p = buf;
	pthread_mutex_lock(&w->lock);
	put_le(p, ACPIPM_MAGIC, 4);
	p[4] = ACPIPM_VERSION;
	p[5] = pm->rcr;
	put_le(p + 6, pm->sts, 2);
	put_le(p + 8, pm->en, 2);
	put_le(p + 10, pm->cnt, 2);
	put_le(p + 12, pm->tmr_epoch, 8);
	pthread_mutex_unlock(&w->lock);
	return ACPIPM_SAVE_SIZE;
}

int acpipm_load(struct acpipm *pm, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	if (!buf || len != ACPIPM_SAVE_SIZE || get_le(p, 4) != ACPIPM_MAGIC ||
	    p[4] != ACPIPM_VERSION)
		return -EINVAL;
	uint16_t cnt = (uint16_t)get_le(p + 10, 2);
	uint16_t en = (uint16_t)get_le(p + 8, 2);
	uint16_t sts = (uint16_t)get_le(p + 6, 2);
	/* Only states the registers can hold. */
	if ((p[5] & ~RCR_MASK) || (sts & ~STS_MASK) || (en & ~EN_MASK) ||
	    (cnt & ~(CNT_RW | ACPIPM_SCI_EN)) || !(cnt & ACPIPM_SCI_EN))
		return -EINVAL;
	pthread_mutex_lock(&pm->lock);
	pm->rcr = p[5];
	pm->sts = sts;
	pm->en = en;
	pm->cnt = cnt;
	pm->tmr_epoch = get_le(p + 12, 8);
	int level = acpipm_update(pm);
	pthread_mutex_unlock(&pm->lock);
	acpipm_notify(pm, level);
	return 0;
}
