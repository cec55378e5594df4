/*
 * pit.c - 8254 PIT and PPI port B (see pit.h).  A channel's state is a
 * count of input clock ticks since it was loaded (base + ticks since
 * epoch while counting); the counter value and OUT are functions of that
 * tick count, per mode, as the 8254 datasheet's waveforms describe.  The
 * one-clock delay between writing a count and loading it is not modelled.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "devices/device.h"
#include "devices/pit.h"
#include "util.h"

#define PIT_CHANNELS 3

/* Control word RW field. */
#define RW_LATCH 0
#define RW_LSB	 1
#define RW_MSB	 2
#define RW_WORD	 3

/* PPI port B bits. */
#define PPI_GATE2   0x01
#define PPI_SPEAKER 0x02
#define PPI_RW_MASK 0x0F /* gate, speaker, parity/IOCHK check enables */
#define PPI_REFRESH 0x10
#define PPI_OUT2    0x20

struct pit_channel {
	uint8_t mode, rw;
	bool bcd;
	uint32_t reload; /* N: 1..65536 (10000 in BCD when 0 was written) */
	bool armed;	 /* a count was loaded since the last control word */
	bool counting;	 /* the counting element is running */
	bool triggered;	 /* modes 1 and 5: a gate edge started the count */
	bool gate;
	bool null_count;    /* a count was written but not yet loaded */
	int64_t base;	    /* ticks elapsed at epoch */
	uint64_t epoch;	    /* ns */
	int64_t edges_done; /* OUT rising edges already reported (channel 0) */
	/* Modes 2 and 3 take a new count at the end of the current period. */
	bool pending;
	uint32_t pending_reload;
	int64_t pending_tick;
	/* Host-side access state. */
	bool write_msb, read_msb;
	uint8_t write_lsb;
	bool count_latched, status_latched, latch_msb;
	uint16_t latch;
	uint8_t status;
};

struct pit {
	pthread_mutex_t lock;
	struct pit_ops ops;
	void *opaque;
	struct pit_channel ch[PIT_CHANNELS];
	uint8_t ppi; /* PPI port B latch, bits 3:0 */
	bool refresh;
};

static uint64_t pit_now(struct pit *p)
{
	return p->ops.now ? p->ops.now(p->opaque) : now_ns();
}

static int64_t pit_ticks_in(uint64_t ns)
{
	return (int64_t)((unsigned __int128)ns * PIT_HZ / 1000000000ULL);
}

/* Nanoseconds until `ticks` clock edges have passed (rounded up). */
static uint64_t pit_ns_for(int64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * 1000000000ULL + PIT_HZ - 1) / PIT_HZ);
}

/* Modes 2 and 3 divide: a count of 1 is illegal in both, so 2 is used. */
static uint32_t pit_period(const struct pit_channel *c)
{
	return c->reload < 2 ? 2 : c->reload;
}

static bool pit_periodic(const struct pit_channel *c)
{
	return c->mode == 2 || c->mode == 3;
}

/* Ticks since the count was loaded, after applying a due pending count. */
static int64_t pit_ticks(struct pit_channel *c, uint64_t now)
{
	int64_t t = c->base;
	if (c->counting && now > c->epoch)
		t += pit_ticks_in(now - c->epoch);
	if (c->pending && t >= c->pending_tick) {
		/* The period ended: the new count starts at that boundary. */
		c->base -= c->pending_tick;
		c->edges_done -= c->pending_tick / pit_period(c);
		c->reload = c->pending_reload;
		c->pending = false;
		t -= c->pending_tick;
	}
	return t;
}

static uint32_t pit_modulus(const struct pit_channel *c)
{
	return c->bcd ? 10000 : 65536;
}

static uint16_t pit_to_bcd(uint32_t v)
{
	return (v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 | (v / 1000 % 10) << 12;
}

static uint16_t pit_count_at(const struct pit_channel *c, int64_t t)
{
	uint32_t n = c->reload, mod = pit_modulus(c), v;
	if (!c->armed || ((c->mode == 1 || c->mode == 5) && !c->triggered)) {
		v = n % mod;
	} else if (c->mode == 2) {
		v = pit_period(c) - t % pit_period(c);
	} else if (c->mode == 3) {
		/* Decrements by two, once while OUT is high and once while low. */
		int64_t per = pit_period(c), half = (per + 1) / 2, d = t % per;
		int64_t h = d < half ? d : d - half;
		v = (uint32_t)((per & ~1) - 2 * h);
		if (v == 0)
			v = per & ~1;
	} else {
		v = (uint32_t)((n + mod - t % mod) % mod);
	}
	return c->bcd ? pit_to_bcd(v % 10000) : (uint16_t)v;
}

static int pit_out_at(const struct pit_channel *c, int64_t t)
{
	int64_t n = c->reload, per = pit_period(c);
	if (!c->armed)
		return c->mode != 0;
	switch (c->mode) {
	case 0:
		return t >= n;
	case 1:
		return !c->triggered || t >= n;
	case 2:
		return !c->gate || t % per != per - 1;
	case 3:
		return !c->gate || t % per < (per + 1) / 2;
	case 4:
		return t != n;
	default: /* 5 */
		return !c->triggered || t != n;
	}
}

/* Rising edges of OUT in (0, t]. */
static int64_t pit_edges_at(const struct pit_channel *c, int64_t t)
{
	if (!c->armed || !c->counting)
		return c->edges_done;
	switch (c->mode) {
	case 0:
	case 1:
		return t >= c->reload;
	case 2:
	case 3:
		return t / pit_period(c);
	default:
		return t >= (int64_t)c->reload + 1;
	}
}

/* The tick of the next rising edge after t, or -1. */
static int64_t pit_next_edge(const struct pit_channel *c, int64_t t)
{
	if (!c->armed || !c->counting)
		return -1;
	switch (c->mode) {
	case 0:
	case 1:
		return t < c->reload ? (int64_t)c->reload : -1;
	case 2:
	case 3:
		return (t / pit_period(c) + 1) * pit_period(c);
	default:
		return t < (int64_t)c->reload + 1 ? (int64_t)c->reload + 1 : -1;
	}
}

static void pit_start(struct pit_channel *c, uint64_t now)
{
	c->base = 0;
	c->epoch = now;
	c->edges_done = 0;
	c->pending = false;
}

static void pit_load_count(struct pit *p, struct pit_channel *c, uint32_t val, uint64_t now)
{
	uint32_t n = val ? val : (c->bcd ? 10000 : 65536);
	if (c->bcd && val)
		n = (val & 0xF) + ((val >> 4) & 0xF) * 10 + ((val >> 8) & 0xF) * 100 +
		    ((val >> 12) & 0xF) * 1000;
	c->null_count = false;
	if (pit_periodic(c) && c->armed && c->counting) {
		int64_t t = pit_ticks(c, now);
		c->pending = true;
		c->pending_reload = n;
		c->pending_tick = (t / pit_period(c) + 1) * pit_period(c);
		return;
	}
	c->reload = n;
	c->armed = true;
	c->triggered = false;
	pit_start(c, now);
	c->counting = (c->mode == 1 || c->mode == 5) ? false : c->gate;
}

static void pit_control(struct pit *p, uint8_t val, uint64_t now)
{
	unsigned sc = val >> 6;
	if (sc == 3) { /* read-back: bits 3:1 select counters, 0 = latch */
		for (unsigned i = 0; i < PIT_CHANNELS; i++) {
			struct pit_channel *c = &p->ch[i];
			if (!(val & (2u << i)))
				continue;
			int64_t t = pit_ticks(c, now);
			if (!(val & 0x20) && !c->count_latched) {
				c->count_latched = true;
				c->latch = pit_count_at(c, t);
				c->latch_msb = false;
			}
			if (!(val & 0x10) && !c->status_latched) {
				c->status_latched = true;
				c->status = pit_out_at(c, t) << 7 | c->null_count << 6 |
					    c->rw << 4 | c->mode << 1 | c->bcd;
			}
		}
		return;
	}
	struct pit_channel *c = &p->ch[sc];
	unsigned rw = (val >> 4) & 3;
	if (rw == RW_LATCH) {
		if (!c->count_latched) {
			c->count_latched = true;
			c->latch = pit_count_at(c, pit_ticks(c, now));
			c->latch_msb = false;
		}
		return;
	}
	unsigned mode = (val >> 1) & 7;
	c->mode = mode > 5 ? mode - 4 : mode; /* 6 and 7 alias 2 and 3 */
	c->rw = rw;
	c->bcd = val & 1;
	c->armed = c->counting = c->triggered = c->pending = false;
	c->null_count = true;
	c->write_msb = c->read_msb = false;
	c->count_latched = c->status_latched = false;
}

static void pit_write_count(struct pit *p, struct pit_channel *c, uint8_t val, uint64_t now)
{
	switch (c->rw) {
	case RW_LSB:
		pit_load_count(p, c, val, now);
		break;
	case RW_MSB:
		pit_load_count(p, c, (uint32_t)val << 8, now);
		break;
	default:
		if (!c->write_msb) {
			c->write_lsb = val;
			c->write_msb = true;
			if (c->mode == 0) { /* the first byte stops counting, OUT low */
				c->armed = c->counting = false;
			}
			break;
		}
		c->write_msb = false;
		pit_load_count(p, c, c->write_lsb | (uint32_t)val << 8, now);
		break;
	}
}

static uint8_t pit_read_count(struct pit_channel *c, uint64_t now)
{
	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->count_latched) {
		uint8_t v;
		if (c->rw == RW_MSB || (c->rw == RW_WORD && c->latch_msb))
			v = c->latch >> 8;
		else
			v = c->latch;
		if (c->rw == RW_WORD && !c->latch_msb)
			c->latch_msb = true;
		else
			c->count_latched = false;
		return v;
	}
	uint16_t count = pit_count_at(c, pit_ticks(c, now));
	switch (c->rw) {
	case RW_MSB:
		return count >> 8;
	case RW_WORD:
		c->read_msb = !c->read_msb;
		return c->read_msb ? count & 0xFF : count >> 8;
	default:
		return count & 0xFF;
	}
}

/* Power-on: no channel programmed, so no timer is asked for. */
static void pit_reset_locked(struct pit *p)
{
	for (unsigned i = 0; i < PIT_CHANNELS; i++) {
		p->ch[i] = (struct pit_channel){0};
		p->ch[i].gate = i != 2; /* channel 2's gate is PPI bit 0, low at reset */
		p->ch[i].rw = RW_WORD;
		p->ch[i].reload = 65536;
	}
	p->ppi = 0;
	p->refresh = false;
}

struct pit *pit_create(const struct pit_ops *ops, void *opaque)
{
	struct pit *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	if (ops)
		p->ops = *ops;
	p->opaque = opaque;
	pit_reset_locked(p);
	return p;
}

void pit_destroy(struct pit *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static uint64_t pit_next_deadline_locked(struct pit *p, uint64_t now)
{
	struct pit_channel *c = &p->ch[0];
	uint64_t when = UINT64_MAX;
	int64_t t = pit_ticks(c, now);
	int64_t edge = pit_edges_at(c, t) > c->edges_done ? t : pit_next_edge(c, t);
	if (edge >= 0)
		when = c->epoch + pit_ns_for(edge - c->base);
	return when;
}

uint64_t pit_next_deadline_ns(struct pit *p)
{
	pthread_mutex_lock(&p->lock);
	uint64_t when = pit_next_deadline_locked(p, pit_now(p));
	pthread_mutex_unlock(&p->lock);
	return when;
}

/* Channel 0's schedule may have changed: tell the timer. */
static void pit_rearm(struct pit *p, uint64_t now)
{
	if (p->ops.timer_arm)
		p->ops.timer_arm(p->opaque, pit_next_deadline_locked(p, now));
}

static void pit_deliver(struct pit *p, uint64_t now)
{
	struct pit_channel *c = &p->ch[0];
	int64_t e = pit_edges_at(c, pit_ticks(c, now));
	if (e > c->edges_done) {
		c->edges_done = e;
		if (p->ops.irq) {
			p->ops.irq(p->opaque, 1);
			p->ops.irq(p->opaque, 0);
		}
	}
}

void pit_reset(struct pit *p)
{
	pthread_mutex_lock(&p->lock);
	pit_reset_locked(p);
	pit_rearm(p, pit_now(p));
	pthread_mutex_unlock(&p->lock);
}

#define PIT_SAVE_MAGIC 0x50495431u /* "PIT1" */

static void pit_visit(void *dev, struct device_io *io)
{
	struct pit *p = dev;
	for (unsigned i = 0; i < PIT_CHANNELS; i++) {
		struct pit_channel *c = &p->ch[i];
		DEVICE_IO(io, c->mode);
		DEVICE_IO(io, c->rw);
		device_io_bool(io, &c->bcd);
		DEVICE_IO(io, c->reload);
		device_io_bool(io, &c->armed);
		device_io_bool(io, &c->counting);
		device_io_bool(io, &c->triggered);
		device_io_bool(io, &c->gate);
		device_io_bool(io, &c->null_count);
		DEVICE_IO(io, c->base);
		DEVICE_IO(io, c->epoch);
		DEVICE_IO(io, c->edges_done);
		device_io_bool(io, &c->pending);
		DEVICE_IO(io, c->pending_reload);
		DEVICE_IO(io, c->pending_tick);
		device_io_bool(io, &c->write_msb);
		device_io_bool(io, &c->read_msb);
		DEVICE_IO(io, c->write_lsb);
		device_io_bool(io, &c->count_latched);
		device_io_bool(io, &c->status_latched);
		device_io_bool(io, &c->latch_msb);
		DEVICE_IO(io, c->latch);
		DEVICE_IO(io, c->status);
	}
	DEVICE_IO(io, p->ppi);
	device_io_bool(io, &p->refresh);
}

static bool pit_valid(const void *dev)
{
	const struct pit *p = dev;
	for (unsigned i = 0; i < PIT_CHANNELS; i++) {
		const struct pit_channel *c = &p->ch[i];
		if (c->mode > 5 || c->rw < 1 || c->rw > 3 || c->reload < 1 || c->reload > 65536 ||
		    c->pending_reload > 65536 || c->base < 0)
			return false;
	}
	return !(p->ppi & ~PPI_RW_MASK);
}

/* Saved times are on the VM clock; a load continues on the same clock. */
size_t pit_save(const struct pit *p, void *buf, size_t len)
{
	return device_save_fields(p, PIT_SAVE_MAGIC, pit_visit, buf, len);
}

int pit_load(struct pit *p, const void *buf, size_t len)
{
	pthread_mutex_lock(&p->lock);
	int r = device_load_fields(p, PIT_SAVE_MAGIC, pit_visit, pit_valid, buf, len);
	pit_rearm(p, pit_now(p));
	pthread_mutex_unlock(&p->lock);
	return r;
}

DEVICE_OPS(pit);

void pit_update(struct pit *p, uint64_t now_ns)
{
	pthread_mutex_lock(&p->lock);
	pit_deliver(p, now_ns);
	pit_rearm(p, now_ns);
	pthread_mutex_unlock(&p->lock);
}

static void pit_gate_locked(struct pit *p, unsigned channel, int level, uint64_t now)
{
	struct pit_channel *c = &p->ch[channel];
	bool rise = level && !c->gate, fall = !level && c->gate;
	c->gate = level;
	if (!c->armed)
		return;
	if (rise) {
		switch (c->mode) {
		case 1:
		case 5: /* trigger */
		case 2:
		case 3: /* reload and restart the period */
			if (c->pending)
				c->reload = c->pending_reload;
			pit_start(c, now);
			c->triggered = true;
			c->counting = true;
			break;
		default: /* modes 0, 4: resume */
			c->epoch = now;
			c->counting = true;
			break;
		}
	} else if (fall && c->mode != 1 && c->mode != 5) {
		c->base = pit_ticks(c, now);
		c->counting = false;
	}
}

void pit_set_gate(struct pit *p, unsigned channel, int level)
{
	if (channel >= PIT_CHANNELS)
		return;
	pthread_mutex_lock(&p->lock);
	pit_gate_locked(p, channel, level != 0, pit_now(p));
	pthread_mutex_unlock(&p->lock);
}

int pit_get_out(struct pit *p, unsigned channel)
{
	if (channel >= PIT_CHANNELS)
		return 0;
	pthread_mutex_lock(&p->lock);
	struct pit_channel *c = &p->ch[channel];
	int out = pit_out_at(c, pit_ticks(c, pit_now(p)));
	pthread_mutex_unlock(&p->lock);
	return out;
}

static uint64_t pit_bus_read(void *opaque, uint64_t off, unsigned size)
{
	struct pit *p = opaque;
	uint64_t v = 0;
	pthread_mutex_lock(&p->lock);
	uint64_t now = pit_now(p);
	for (unsigned i = 0; i < size; i++) {
		/* The control register (port 0x43) is write-only. */
		uint8_t b = off + i < PIT_CHANNELS ? pit_read_count(&p->ch[off + i], now) : 0xFF;
		v |= (uint64_t)b << (8 * i);
	}
	pit_deliver(p, now);
	pthread_mutex_unlock(&p->lock);
	return v;
}

static void pit_bus_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct pit *p = opaque;
	pthread_mutex_lock(&p->lock);
	uint64_t now = pit_now(p);
	pit_deliver(p, now);
	for (unsigned i = 0; i < size && off + i < 4; i++) {
		uint8_t b = val >> (8 * i);
		if (off + i == 3)
			pit_control(p, b, now);
		else
			pit_write_count(p, &p->ch[off + i], b, now);
	}
	pit_rearm(p, now);
	pthread_mutex_unlock(&p->lock);
}

static uint64_t pit_ppi_read(void *opaque, uint64_t off, unsigned size)
{
	struct pit *p = opaque;
	pthread_mutex_lock(&p->lock);
	struct pit_channel *c = &p->ch[2];
	/* Bit 4 toggles with DRAM refresh (every 15 us); firmware delay loops
	 * only need to see it change, so it flips on every read. */
	p->refresh = !p->refresh;
	uint8_t v = p->ppi | (p->refresh ? PPI_REFRESH : 0) |
		    (pit_out_at(c, pit_ticks(c, pit_now(p))) ? PPI_OUT2 : 0);
	pthread_mutex_unlock(&p->lock);
	return size == 1 ? v : v | (~0ULL << 8);
}

static void pit_ppi_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct pit *p = opaque;
	pthread_mutex_lock(&p->lock);
	p->ppi = val & PPI_RW_MASK;
	pit_gate_locked(p, 2, val & PPI_GATE2, pit_now(p));
	pthread_mutex_unlock(&p->lock);
}

const struct bus_ops pit_bus_ops = {.read = pit_bus_read, .write = pit_bus_write};
const struct bus_ops pit_ppi_ops = {.read = pit_ppi_read, .write = pit_ppi_write};
