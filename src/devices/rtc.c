/*
 * rtc.c - MC146818A RTC and CMOS RAM (see rtc.h).  Time registers are
 * computed from the host clock on every read, so they never drift; while
 * register B's SET bit is on they are plain RAM the guest fills, and
 * clearing SET turns what it wrote into the new offset from host time.
 * Register C's flags are computed lazily from the time that passed since
 * the guest last read C (each second is an update, each alarm match an
 * alarm, each 1/f of the rate in register A a periodic event).  After
 * every access the model asks for a timer (ops->timer_arm) at the next
 * moment an enabled interrupt is due, and rtc_poll() then raises it, so
 * IRQ 8 arrives without the guest polling.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "devices/device.h"
#include "devices/rtc.h"

#define RTC_SECONDS	  0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES	  0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS	  0x04
#define RTC_HOURS_ALARM	  0x05
#define RTC_DAY_OF_WEEK	  0x06
#define RTC_DAY_OF_MONTH  0x07
#define RTC_MONTH	  0x08
#define RTC_YEAR	  0x09
#define RTC_REG_A	  0x0A
#define RTC_REG_B	  0x0B
#define RTC_REG_C	  0x0C
#define RTC_REG_D	  0x0D
#define RTC_CENTURY	  0x32 /* IBM PC convention, ACPI FADT "century" */

#define A_UIP  0x80
#define B_SET  0x80
#define B_PIE  0x40
#define B_AIE  0x20
#define B_UIE  0x10
#define B_DM   0x04 /* 1 = binary */
#define B_2412 0x02 /* 1 = 24-hour */
#define C_IRQF 0x80
#define C_PF   0x40
#define C_AF   0x20
#define C_UF   0x10
#define D_VRT  0x80

/* SeaBIOS's CMOS map (src/hw/rtc.h). */
#define CMOS_MEM_BASE_LOW      0x15 /* KiB below 640 KiB */
#define CMOS_MEM_BASE_HIGH     0x16
#define CMOS_MEM_EXTMEM_LOW    0x17 /* KiB from 1 MiB, up to 64 MiB */
#define CMOS_MEM_EXTMEM_HIGH   0x18
#define CMOS_CHECKSUM_HIGH     0x2E /* sum of 0x10-0x2D */
#define CMOS_CHECKSUM_LOW      0x2F
#define CMOS_MEM_EXTMEM2_LOW2  0x30 /* copy of 0x17/0x18 */
#define CMOS_MEM_EXTMEM2_HIGH2 0x31
#define CMOS_MEM_EXTMEM2_LOW   0x34 /* 64 KiB units from 16 MiB */
#define CMOS_MEM_EXTMEM2_HIGH  0x35
#define CMOS_MEM_HIGHMEM_LOW   0x5B /* 64 KiB units above 4 GiB, 3 bytes */
#define CMOS_MEM_HIGHMEM_MID   0x5C
#define CMOS_MEM_HIGHMEM_HIGH  0x5D
#define CMOS_BIOS_SMP_COUNT    0x5F /* CPUs - 1 */

/* The datasheet's UIP warning: set 244 us before each update. */
#define RTC_UIP_NS 244000LL
#define NS	   1000000000LL

struct rtc {
	pthread_mutex_t lock;
	struct rtc_ops ops;
	void *opaque;
	uint8_t cmos[128];
	uint8_t index;
	bool nmi_masked;
	int64_t offset_s;  /* guest time = host time + offset */
	int64_t last_c_ns; /* guest time when the C flags were last brought up to date */
};

static int64_t rtc_host_now(struct rtc *r)
{
	if (r->ops.now)
		return r->ops.now(r->opaque);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static int64_t rtc_now(struct rtc *r)
{
	return rtc_host_now(r) + r->offset_s * NS;
}

static int64_t rtc_floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

static uint8_t rtc_encode(const struct rtc *r, int v)
{
	return (r->cmos[RTC_REG_B] & B_DM) ? v : (v / 10) << 4 | v % 10;
}

static int rtc_decode(const struct rtc *r, uint8_t v)
{
	return (r->cmos[RTC_REG_B] & B_DM) ? v : (v >> 4) * 10 + (v & 0xF);
}

static uint8_t rtc_encode_hour(const struct rtc *r, int h)
{
	if (r->cmos[RTC_REG_B] & B_2412)
		return rtc_encode(r, h);
	int h12 = h % 12 ? h % 12 : 12;
	return rtc_encode(r, h12) | (h >= 12 ? 0x80 : 0);
}

static int rtc_decode_hour(const struct rtc *r, uint8_t v)
{
	if (r->cmos[RTC_REG_B] & B_2412)
		return rtc_decode(r, v);
	int h = rtc_decode(r, v & 0x7F) % 12;
	return (v & 0x80) ? h + 12 : h;
}

/* Write the time registers for guest time t (seconds) into CMOS RAM. */
static void rtc_snapshot(struct rtc *r, int64_t t)
{
	time_t tt = t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	r->cmos[RTC_SECONDS] = rtc_encode(r, tm.tm_sec);
	r->cmos[RTC_MINUTES] = rtc_encode(r, tm.tm_min);
	r->cmos[RTC_HOURS] = rtc_encode_hour(r, tm.tm_hour);
	r->cmos[RTC_DAY_OF_WEEK] = rtc_encode(r, tm.tm_wday + 1); /* 1 = Sunday */
	r->cmos[RTC_DAY_OF_MONTH] = rtc_encode(r, tm.tm_mday);
	r->cmos[RTC_MONTH] = rtc_encode(r, tm.tm_mon + 1);
	r->cmos[RTC_YEAR] = rtc_encode(r, tm.tm_year % 100);
	r->cmos[RTC_CENTURY] = rtc_encode(r, (tm.tm_year + 1900) / 100);
}

/* The time the guest wrote into CMOS RAM becomes the clock. */
static void rtc_adopt(struct rtc *r)
{
	struct tm tm = {
	    .tm_sec = rtc_decode(r, r->cmos[RTC_SECONDS]),
	    .tm_min = rtc_decode(r, r->cmos[RTC_MINUTES]),
	    .tm_hour = rtc_decode_hour(r, r->cmos[RTC_HOURS]),
	    .tm_mday = rtc_decode(r, r->cmos[RTC_DAY_OF_MONTH]),
	    .tm_mon = rtc_decode(r, r->cmos[RTC_MONTH]) - 1,
	    .tm_year =
		rtc_decode(r, r->cmos[RTC_CENTURY]) * 100 + rtc_decode(r, r->cmos[RTC_YEAR]) - 1900,
	};
	int64_t host_s = rtc_floor_div(rtc_host_now(r), NS);
	r->offset_s = (int64_t)timegm(&tm) - host_s;
	r->last_c_ns = rtc_now(r);
}

static bool rtc_is_time_reg(unsigned i)
{
	return i == RTC_SECONDS || i == RTC_MINUTES || i == RTC_HOURS ||
	       (i >= RTC_DAY_OF_WEEK && i <= RTC_YEAR) || i == RTC_CENTURY;
}

/* Alarm bytes 0xC0-0xFF match any value ("don't care"). */
static bool rtc_alarm_matches(struct rtc *r, int64_t t)
{
	time_t tt = t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	uint8_t s = r->cmos[RTC_SECONDS_ALARM], m = r->cmos[RTC_MINUTES_ALARM],
		h = r->cmos[RTC_HOURS_ALARM];
	return ((s & 0xC0) == 0xC0 || rtc_decode(r, s) == tm.tm_sec) &&
	       ((m & 0xC0) == 0xC0 || rtc_decode(r, m) == tm.tm_min) &&
	       ((h & 0xC0) == 0xC0 || rtc_decode_hour(r, h) == tm.tm_hour);
}

/* Periodic interrupt period from register A's rate select, or 0. */
static int64_t rtc_period_ns(const struct rtc *r)
{
	unsigned rs = r->cmos[RTC_REG_A] & 0x0F;
	if (!rs)
		return 0;
	unsigned hz = rs <= 2 ? 32768u >> (rs + 6) : 32768u >> (rs - 1);
	return NS / hz;
}

/* Accumulate the C flags for the time since the last C read. */
static void rtc_update_flags(struct rtc *r)
{
	uint8_t *c = &r->cmos[RTC_REG_C];
	int64_t now = rtc_now(r), last = r->last_c_ns;
	if (now <= last)
		return;
	int64_t per = rtc_period_ns(r);
	if (per && rtc_floor_div(now, per) > rtc_floor_div(last, per))
		*c |= C_PF;
	int64_t s0 = rtc_floor_div(last, NS), s1 = rtc_floor_div(now, NS);
	if (!(r->cmos[RTC_REG_B] & B_SET) && s1 > s0) {
		*c |= C_UF;
		if (s1 - s0 > 86400) {
			*c |= C_AF;
		} else {
			for (int64_t s = s0 + 1; s <= s1 && !(*c & C_AF); s++)
				if (rtc_alarm_matches(r, s))
					*c |= C_AF;
		}
	}
	r->last_c_ns = now;
	uint8_t b = r->cmos[RTC_REG_B];
	bool irqf = ((*c & C_PF) && (b & B_PIE)) || ((*c & C_AF) && (b & B_AIE)) ||
		    ((*c & C_UF) && (b & B_UIE));
	if (irqf && !(*c & C_IRQF)) {
		*c |= C_IRQF;
		if (r->ops.irq) {
			r->ops.irq(r->opaque, 1);
			r->ops.irq(r->opaque, 0);
		}
	}
}

static uint8_t rtc_read_data(struct rtc *r)
{
	unsigned i = r->index;
	uint8_t b = r->cmos[RTC_REG_B];
	if (rtc_is_time_reg(i) && !(b & B_SET)) {
		rtc_snapshot(r, rtc_floor_div(rtc_now(r), NS));
		return r->cmos[i];
	}
	switch (i) {
	case RTC_REG_A: {
		int64_t sub = rtc_now(r) % NS;
		bool uip = !(b & B_SET) && (sub < 0 ? sub + NS : sub) >= NS - RTC_UIP_NS;
		return (r->cmos[RTC_REG_A] & 0x7F) | (uip ? A_UIP : 0);
	}
	case RTC_REG_C: {
		rtc_update_flags(r);
		uint8_t v = r->cmos[RTC_REG_C];
		r->cmos[RTC_REG_C] = 0;
		return v;
	}
	default:
		return r->cmos[i];
	}
}

static void rtc_write_data(struct rtc *r, uint8_t val)
{
	unsigned i = r->index;
	uint8_t b = r->cmos[RTC_REG_B];
	if (rtc_is_time_reg(i)) {
		if (!(b & B_SET))
			rtc_snapshot(r, rtc_floor_div(rtc_now(r), NS));
		r->cmos[i] = val;
		if (!(b & B_SET))
			rtc_adopt(r);
		return;
	}
	switch (i) {
	case RTC_REG_A: /* UIP is read-only */
		rtc_update_flags(r);
		r->cmos[i] = (r->cmos[i] & A_UIP) | (val & 0x7F);
		break;
	case RTC_REG_B:
		rtc_update_flags(r);
		if ((val & B_SET) && !(b & B_SET)) {
			rtc_snapshot(r, rtc_floor_div(rtc_now(r), NS));
			val &= ~B_UIE; /* SET clears UIE */
		}
		r->cmos[i] = val;
		if (!(val & B_SET) && (b & B_SET))
			rtc_adopt(r);
		break;
	case RTC_REG_C:
	case RTC_REG_D: /* read-only */
		break;
	default:
		r->cmos[i] = val;
		break;
	}
}

struct rtc *rtc_create(const struct rtc_ops *ops, void *opaque)
{
	struct rtc *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	if (ops)
		r->ops = *ops;
	r->opaque = opaque;
	r->cmos[RTC_REG_A] = 0x26;   /* 32.768 kHz time base, 1024 Hz rate */
	r->cmos[RTC_REG_B] = B_2412; /* BCD, 24-hour: what PC firmware sets */
	r->cmos[RTC_REG_D] = D_VRT;  /* the "battery" is good */
	r->last_c_ns = rtc_now(r);
	return r;
}

/* Guest-time ns of the next enabled interrupt event, or INT64_MAX. */
static int64_t rtc_next_event(struct rtc *r)
{
	uint8_t b = r->cmos[RTC_REG_B];
	int64_t next = INT64_MAX, last = r->last_c_ns;
	if (r->cmos[RTC_REG_C] & C_IRQF) /* nothing new until C is read */
		return next;
	int64_t per = rtc_period_ns(r);
	if ((b & B_PIE) && per)
		next = (rtc_floor_div(last, per) + 1) * per;
	/* An alarm can only match at an update: check each second. */
	if ((b & (B_UIE | B_AIE)) && !(b & B_SET)) {
		int64_t second = (rtc_floor_div(last, NS) + 1) * NS;
		if (second < next)
			next = second;
	}
	return next;
}

int64_t rtc_next_irq_ns(struct rtc *r)
{
	pthread_mutex_lock(&r->lock);
	int64_t next = rtc_next_event(r);
	if (next != INT64_MAX)
		next -= r->offset_s * NS;
	pthread_mutex_unlock(&r->lock);
	return next;
}

/* The next interrupt moved (an access, or one was raised): tell the timer. */
static void rtc_rearm(struct rtc *r)
{
	if (!r->ops.timer_arm)
		return;
	int64_t next = rtc_next_event(r);
	r->ops.timer_arm(r->opaque, next == INT64_MAX ? INT64_MAX : next - r->offset_s * NS);
}

void rtc_poll(struct rtc *r)
{
	pthread_mutex_lock(&r->lock);
	rtc_update_flags(r);
	rtc_rearm(r);
	pthread_mutex_unlock(&r->lock);
}

/* A system reset (MC146818A "RESET pin"): the interrupt enables and flags
 * in B and C clear; the clock and the CMOS RAM are battery backed. */
void rtc_reset(struct rtc *r)
{
	pthread_mutex_lock(&r->lock);
	r->cmos[RTC_REG_B] &= ~(B_PIE | B_AIE | B_UIE);
	r->cmos[RTC_REG_C] = 0;
	r->index = 0;
	r->nmi_masked = false;
	rtc_rearm(r);
	pthread_mutex_unlock(&r->lock);
}

#define RTC_SAVE_MAGIC 0x52544331u /* "RTC1" */

static void rtc_visit(void *dev, struct device_io *io)
{
	struct rtc *r = dev;
	DEVICE_IO(io, r->cmos);
	DEVICE_IO(io, r->index);
	device_io_bool(io, &r->nmi_masked);
	DEVICE_IO(io, r->offset_s);
	DEVICE_IO(io, r->last_c_ns);
}

static bool rtc_valid(const void *dev)
{
	const struct rtc *r = dev;
	return r->index < 128;
}

size_t rtc_save(const struct rtc *r, void *buf, size_t len)
{
	return device_save_fields(r, RTC_SAVE_MAGIC, rtc_visit, buf, len);
}

int rtc_load(struct rtc *r, const void *buf, size_t len)
{
	pthread_mutex_lock(&r->lock);
	int res = device_load_fields(r, RTC_SAVE_MAGIC, rtc_visit, rtc_valid, buf, len);
	rtc_rearm(r);
	pthread_mutex_unlock(&r->lock);
	return res;
}

DEVICE_OPS(rtc);

void rtc_destroy(struct rtc *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static void rtc_put16(struct rtc *r, unsigned lo, uint64_t v)
{
	if (v > 0xFFFF)
		v = 0xFFFF;
	r->cmos[lo] = v;
	r->cmos[lo + 1] = v >> 8;
}

void rtc_set_memory(struct rtc *r, uint64_t low_ram_end, uint64_t high_ram, int ncpus)
{
	const uint64_t kib = 1024, mib = 1024 * kib;
	pthread_mutex_lock(&r->lock);
	rtc_put16(r, CMOS_MEM_BASE_LOW, 640);
	uint64_t ext = low_ram_end > mib ? (low_ram_end - mib) / kib : 0;
	rtc_put16(r, CMOS_MEM_EXTMEM_LOW, ext);
	rtc_put16(r, CMOS_MEM_EXTMEM2_LOW2, ext);
	uint64_t ext2 = low_ram_end > 16 * mib ? (low_ram_end - 16 * mib) / (64 * kib) : 0;
	rtc_put16(r, CMOS_MEM_EXTMEM2_LOW, ext2);
	uint64_t high = high_ram / (64 * kib);
	r->cmos[CMOS_MEM_HIGHMEM_LOW] = high;
	r->cmos[CMOS_MEM_HIGHMEM_MID] = high >> 8;
	r->cmos[CMOS_MEM_HIGHMEM_HIGH] = high >> 16;
	r->cmos[CMOS_BIOS_SMP_COUNT] = ncpus > 0 ? ncpus - 1 : 0;
	unsigned sum = 0;
	for (unsigned i = 0x10; i <= 0x2D; i++)
		sum += r->cmos[i];
	r->cmos[CMOS_CHECKSUM_HIGH] = sum >> 8;
	r->cmos[CMOS_CHECKSUM_LOW] = sum;
	pthread_mutex_unlock(&r->lock);
}

uint8_t rtc_cmos(struct rtc *r, unsigned index)
{
	pthread_mutex_lock(&r->lock);
	uint8_t v = r->cmos[index & 0x7F];
	pthread_mutex_unlock(&r->lock);
	return v;
}

bool rtc_nmi_masked(struct rtc *r)
{
	pthread_mutex_lock(&r->lock);
	bool m = r->nmi_masked;
	pthread_mutex_unlock(&r->lock);
	return m;
}

static uint64_t rtc_bus_read(void *opaque, uint64_t off, unsigned size)
{
	struct rtc *r = opaque;
	uint64_t v = 0;
	pthread_mutex_lock(&r->lock);
	for (unsigned i = 0; i < size; i++) {
		/* The index register is write-only. */
		uint8_t b = off + i == 1 ? rtc_read_data(r) : 0xFF;
		v |= (uint64_t)b << (8 * i);
	}
	rtc_rearm(r);
	pthread_mutex_unlock(&r->lock);
	return v;
}

static void rtc_bus_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct rtc *r = opaque;
	pthread_mutex_lock(&r->lock);
	for (unsigned i = 0; i < size && off + i < 2; i++) {
		uint8_t b = val >> (8 * i);
		if (off + i == 0) {
			r->index = b & 0x7F;
			r->nmi_masked = b & 0x80;
		} else {
			rtc_write_data(r, b);
		}
	}
	rtc_rearm(r);
	pthread_mutex_unlock(&r->lock);
}

const struct bus_ops rtc_bus_ops = {.read = rtc_bus_read, .write = rtc_bus_write};
