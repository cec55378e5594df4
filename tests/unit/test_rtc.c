/*
 * test_rtc.c - the MC146818A RTC against its datasheet and the CMOS bytes
 * against SeaBIOS's layout: BCD and binary time, 12-hour format, setting
 * the clock under SET, UIP, registers C and D, the NMI mask bit, and the
 * memory-size bytes for several RAM sizes.  The oracle for the date is
 * Python's calendar.timegm (2026-11-21 17:26:37 UTC = 1795281997, a
 * Saturday; 1999-12-31 23:59:58 UTC = 946684798).
 */
#include <unistd.h>

#include "devices/rtc.h"
#include "util.h"
#include "t.h"

#define NS 1000000000LL

struct fake {
	int64_t now;
	int pulses;
};

static int64_t fake_now(void *opaque)
{
	return ((struct fake *)opaque)->now;
}

static void fake_irq(void *opaque, int level)
{
	if (level)
		((struct fake *)opaque)->pulses++;
}

static const struct rtc_ops fake_ops = {.irq = fake_irq, .now = fake_now};

static uint8_t cmos_read(struct rtc *r, uint8_t index)
{
	rtc_bus_ops.write(r, 0, 1, index);
	return rtc_bus_ops.read(r, 1, 1);
}

static void cmos_write(struct rtc *r, uint8_t index, uint8_t v)
{
	rtc_bus_ops.write(r, 0, 1, index);
	rtc_bus_ops.write(r, 1, 1, v);
}

static void test_bcd_time(void)
{
	struct fake f = {.now = 1795281997LL * NS + 123};
	struct rtc *r = rtc_create(&fake_ops, &f);
	T_EQ(cmos_read(r, 0x0B), 0x02); /* 24-hour, BCD */
	T_EQ(cmos_read(r, 0x00), 0x37);
	T_EQ(cmos_read(r, 0x02), 0x26);
	T_EQ(cmos_read(r, 0x04), 0x17);
	T_EQ(cmos_read(r, 0x06), 7); /* Saturday; Sunday = 1 */
	T_EQ(cmos_read(r, 0x07), 0x21);
	T_EQ(cmos_read(r, 0x08), 0x11);
	T_EQ(cmos_read(r, 0x09), 0x26);
	T_EQ(cmos_read(r, 0x32), 0x20);
	T_EQ(cmos_read(r, 0x0D), 0x80); /* VRT */
	rtc_destroy(r);
}

static void test_binary_and_12_hour(void)
{
	struct fake f = {.now = 1795281997LL * NS};
	struct rtc *r = rtc_create(&fake_ops, &f);
	cmos_write(r, 0x0B, 0x06); /* binary, 24-hour */
	T_EQ(cmos_read(r, 0x00), 37);
	T_EQ(cmos_read(r, 0x04), 17);
	T_EQ(cmos_read(r, 0x09), 26);
	cmos_write(r, 0x0B, 0x00);	   /* BCD, 12-hour */
	T_EQ(cmos_read(r, 0x04), 0x85);	   /* 5 PM */
	f.now = 946684798LL * NS + 2 * NS; /* 2000-01-01 00:00:00 */
	T_EQ(cmos_read(r, 0x04), 0x12);	   /* midnight is 12 AM */
	T_EQ(cmos_read(r, 0x09), 0x00);
	T_EQ(cmos_read(r, 0x32), 0x20);
	rtc_destroy(r);
}

static void test_set_clock(void)
{
	struct fake f = {.now = 1795281997LL * NS};
	struct rtc *r = rtc_create(&fake_ops, &f);
	cmos_write(r, 0x0B, 0x82); /* SET: updates stop */
	cmos_write(r, 0x00, 0x58);
	cmos_write(r, 0x02, 0x59);
	cmos_write(r, 0x04, 0x23);
	cmos_write(r, 0x07, 0x31);
	cmos_write(r, 0x08, 0x12);
	cmos_write(r, 0x09, 0x99);
	cmos_write(r, 0x32, 0x19);
	f.now += 5 * NS;
	T_EQ(cmos_read(r, 0x00), 0x58); /* frozen while SET */
	cmos_write(r, 0x0B, 0x02);
	f.now += 2 * NS;
	T_EQ(cmos_read(r, 0x00), 0x00);
	T_EQ(cmos_read(r, 0x09), 0x00);
	T_EQ(cmos_read(r, 0x32), 0x20); /* rolled over into 2000 */
	T_EQ(cmos_read(r, 0x06), 7);	/* 2000-01-01 was a Saturday */
	rtc_destroy(r);
}

static void test_uip(void)
{
	struct fake f = {.now = 1795281997LL * NS + 500000000};
	struct rtc *r = rtc_create(&fake_ops, &f);
	T_EQ(cmos_read(r, 0x0A), 0x26);
	f.now = 1795281997LL * NS + NS - 100000; /* 100 us before the update */
	T_EQ(cmos_read(r, 0x0A), 0xA6);
	cmos_write(r, 0x0A, 0x2F); /* UIP is read-only; rate bits are not */
	T_EQ(cmos_read(r, 0x0A), 0xAF);
	cmos_write(r, 0x0B, 0x82);
	T_EQ(cmos_read(r, 0x0A), 0x2F); /* no updates while SET */
	rtc_destroy(r);
}

static void test_register_c(void)
{
	struct fake f = {.now = 1795281997LL * NS};
	struct rtc *r = rtc_create(&fake_ops, &f);
	cmos_write(r, 0x0A, 0x20); /* no periodic rate */
	T_EQ(cmos_read(r, 0x0C), 0x00);
	f.now += NS;
	T_EQ(cmos_read(r, 0x0C), 0x10); /* UF, no IRQF: UIE is off */
	T_EQ(cmos_read(r, 0x0C), 0x00); /* cleared by the read */
	T_EQ(f.pulses, 0);
	cmos_write(r, 0x0B, 0x12); /* UIE */
	f.now += NS;
	T_EQ(cmos_read(r, 0x0C), 0x90);
	T_EQ(f.pulses, 1);
	cmos_write(r, 0x0B, 0x42); /* PIE */
	cmos_write(r, 0x0A, 0x2F); /* 2 Hz */
	f.now += NS / 4;
	T_EQ(cmos_read(r, 0x0C), 0x00);
	f.now += NS / 4;
	T_EQ(cmos_read(r, 0x0C), 0xC0); /* PF + IRQF; no second boundary crossed */
	T_EQ(f.pulses, 2);
	cmos_write(r, 0x0A, 0x20);
	/* Alarm at hh:mm:05 with don't-care hour and minute. */
	cmos_write(r, 0x0B, 0x22);
	cmos_write(r, 0x01, 0x05);
	cmos_write(r, 0x03, 0xC0);
	cmos_write(r, 0x05, 0xFF);
	cmos_read(r, 0x0C);
	f.now = 1795281997LL * NS + 27 * NS; /* xx:27:04 */
	T_EQ(cmos_read(r, 0x0C) & 0x20, 0);
	f.now += NS;
	T_EQ(cmos_read(r, 0x0C), 0xB0); /* AF | UF | IRQF */
	rtc_destroy(r);
}

static void test_index_port(void)
{
	struct fake f = {.now = 0};
	struct rtc *r = rtc_create(&fake_ops, &f);
	T_EQ(rtc_bus_ops.read(r, 0, 1), 0xFF); /* write-only */
	cmos_write(r, 0x80 | 0x40, 0x5A);
	T_CHECK(rtc_nmi_masked(r), "bit 7 of the index masks NMI");
	T_EQ(cmos_read(r, 0x40), 0x5A); /* same byte without the NMI bit */
	T_CHECK(!rtc_nmi_masked(r), "NMI unmasked by an index without bit 7");
	rtc_destroy(r);
}

struct memcase {
	uint64_t low, high;
	int cpus;
	uint8_t b15, b16, b17, b18, b34, b35, b5b, b5c, b5d, b5f;
};

/* Expected bytes worked out by hand from SeaBIOS's formulas:
 * 0x17/0x18 = (low - 1 MiB) / 1 KiB capped at 0xFFFF,
 * 0x34/0x35 = (low - 16 MiB) / 64 KiB, 0x5B-0x5D = high / 64 KiB. */
static const struct memcase memcases[] = {
    {16 << 20, 0, 1, 0x80, 0x02, 0x00, 0x3C, 0x00, 0x00, 0, 0, 0, 0},
    {128 << 20, 0, 2, 0x80, 0x02, 0xFF, 0xFF, 0x00, 0x07, 0, 0, 0, 1},
    {1ULL << 30, 0, 4, 0x80, 0x02, 0xFF, 0xFF, 0x00, 0x3F, 0, 0, 0, 3},
    {3ULL << 30, 5ULL << 30, 8, 0x80, 0x02, 0xFF, 0xFF, 0x00, 0xBF, 0x00, 0x40, 0x01, 7},
};

static void test_memory_bytes(void)
{
	for (unsigned i = 0; i < ARRAY_SIZE(memcases); i++) {
		const struct memcase *m = &memcases[i];
		struct rtc *r = rtc_create(NULL, NULL);
		rtc_set_memory(r, m->low, m->high, m->cpus);
		T_EQ(cmos_read(r, 0x15), m->b15);
		T_EQ(cmos_read(r, 0x16), m->b16);
		T_EQ(cmos_read(r, 0x17), m->b17);
		T_EQ(cmos_read(r, 0x18), m->b18);
		T_EQ(cmos_read(r, 0x30), m->b17);
		T_EQ(cmos_read(r, 0x31), m->b18);
		T_EQ(cmos_read(r, 0x34), m->b34);
		T_EQ(cmos_read(r, 0x35), m->b35);
		T_EQ(cmos_read(r, 0x5F), m->b5f);
		T_EQ(cmos_read(r, 0x5B), m->b5b);
		T_EQ(cmos_read(r, 0x5C), m->b5c);
		T_EQ(cmos_read(r, 0x5D), m->b5d);
		/* SeaBIOS's reconstruction gives back the RAM sizes. */
		uint64_t low =
		    ((uint64_t)cmos_read(r, 0x34) << 16 | (uint64_t)cmos_read(r, 0x35) << 24);
		low = low ? low + (16 << 20)
			  : ((uint64_t)cmos_read(r, 0x17) << 10 | (uint64_t)cmos_read(r, 0x18)
								      << 18) +
				(1 << 20);
		T_EQ(low, m->low);
		uint64_t high = (uint64_t)cmos_read(r, 0x5B) << 16 |
				(uint64_t)cmos_read(r, 0x5C) << 24 |
				(uint64_t)cmos_read(r, 0x5D) << 32;
		T_EQ(high, m->high);
		unsigned sum = 0;
		for (unsigned j = 0x10; j <= 0x2D; j++)
			sum += cmos_read(r, j);
		T_EQ(cmos_read(r, 0x2E) << 8 | cmos_read(r, 0x2F), sum);
		rtc_destroy(r);
	}
}

static void test_next_irq(void)
{
	int64_t t0 = 1795281997LL * NS;
	struct fake f = {.now = t0 + 300000000};
	struct rtc *r = rtc_create(&fake_ops, &f);
	T_EQ(rtc_next_irq_ns(r), INT64_MAX); /* no interrupt enabled */
	cmos_write(r, 0x0B, 0x12);	     /* UIE: at the next update */
	T_EQ(rtc_next_irq_ns(r), t0 + NS);
	cmos_write(r, 0x0A, 0x2F); /* 2 Hz */
	cmos_write(r, 0x0B, 0x42); /* PIE */
	T_EQ(rtc_next_irq_ns(r), t0 + NS / 2);
	f.now = t0 + NS / 2;
	rtc_poll(r);
	T_EQ(f.pulses, 1);
	T_EQ(rtc_next_irq_ns(r), INT64_MAX); /* IRQF set until C is read */
	T_EQ(cmos_read(r, 0x0C), 0xC0);
	T_EQ(rtc_next_irq_ns(r), t0 + NS);
	/* The guest sets the clock one hour ahead: events stay in host time. */
	cmos_write(r, 0x0B, 0x80 | 0x42);
	cmos_write(r, 0x04, 0x18);
	cmos_write(r, 0x0B, 0x42);
	T_EQ(rtc_next_irq_ns(r), t0 + NS);
	rtc_destroy(r);
}

struct armed {
	struct fake f;
	int64_t deadline; /* the last timer_arm() */
	int arms;
};

static void armed_timer(void *opaque, int64_t wall_ns)
{
	struct armed *a = opaque;
	a->deadline = wall_ns;
	a->arms++;
}

static int64_t armed_now(void *opaque)
{
	return ((struct armed *)opaque)->f.now;
}

static void armed_irq(void *opaque, int level)
{
	if (level)
		((struct armed *)opaque)->f.pulses++;
}

/* The model asks for its timer at the next 1024 Hz periodic event (the
 * divider's phase: multiples of the period) after every access; firing it
 * (rtc_poll) raises IRQ 8 once and disarms until register C is read. */
static void test_timer_arm(void)
{
	static const struct rtc_ops ops = {.irq = armed_irq, .now = armed_now,
					   .timer_arm = armed_timer};
	const int64_t per = NS / 1024, t0 = 1795281997LL * NS + 12345;
	struct armed a = {.f.now = t0};
	struct rtc *r = rtc_create(&ops, &a);
	cmos_write(r, 0x0B, 0x42); /* PIE at the default 1024 Hz */
	T_EQ(a.deadline, (t0 / per + 1) * per);
	for (int round = 1; round <= 3; round++) {
		int64_t due = a.deadline;
		a.f.now = due;
		rtc_poll(r);
		T_EQ(a.f.pulses, round);
		T_EQ(a.deadline, INT64_MAX); /* IRQF set: nothing until C is read */
		T_EQ(cmos_read(r, 0x0C) & 0xC0, 0xC0);
		T_EQ(a.deadline, due + per);
	}
	cmos_write(r, 0x0B, 0x02); /* PIE off */
	T_EQ(a.deadline, INT64_MAX);
	rtc_destroy(r);
}

int main(void)
{
	T_RUN(test_bcd_time);
	T_RUN(test_binary_and_12_hour);
	T_RUN(test_set_clock);
	T_RUN(test_uip);
	T_RUN(test_register_c);
	T_RUN(test_index_port);
	T_RUN(test_memory_bytes);
	T_RUN(test_next_irq);
	T_RUN(test_timer_arm);
	T_EXIT();
}
