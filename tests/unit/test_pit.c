/*
 * test_pit.c - the 8254 against its datasheet, on a fake clock: mode 0
 * (interrupt on terminal count, as Linux and SeaBIOS calibrate the TSC on
 * channel 2), mode 2 (rate generator, Linux's periodic tick), mode 3
 * (square wave), counter latch, read-back status, LSB/MSB access, BCD,
 * gate control through port 0x61, and channel 0's IRQ deadlines.
 */
#include "devices/pit.h"
#include "t.h"

struct clock {
	uint64_t now;
	int pulses, level;
};

static uint64_t fake_now(void *opaque)
{
	return ((struct clock *)opaque)->now;
}

static void fake_irq(void *opaque, int level)
{
	struct clock *c = opaque;
	if (level && !c->level)
		c->pulses++;
	c->level = level;
}

static const struct pit_ops fake_ops = {.irq = fake_irq, .now = fake_now};

/* The first nanosecond at which `ticks` input clocks have elapsed. */
static uint64_t ns_at(uint64_t ticks)
{
	return (ticks * 1000000000ULL + PIT_HZ - 1) / PIT_HZ;
}

static void out(struct pit *p, unsigned port, uint8_t v)
{
	if (port == 0x61)
		pit_ppi_ops.write(p, 0, 1, v);
	else
		pit_bus_ops.write(p, port - 0x40, 1, v);
}

static uint8_t in(struct pit *p, unsigned port)
{
	if (port == 0x61)
		return pit_ppi_ops.read(p, 0, 1);
	return pit_bus_ops.read(p, port - 0x40, 1);
}

static uint16_t latch_count(struct pit *p, unsigned ch)
{
	out(p, 0x43, ch << 6); /* counter latch command */
	uint16_t v = in(p, 0x40 + ch);
	return v | in(p, 0x40 + ch) << 8;
}

/* Linux's periodic tick: mode 2, LATCH = 11932 (100 Hz). */
static void test_mode2_rate_generator(void)
{
	struct clock k = {.now = 1000};
	struct pit *p = pit_create(&fake_ops, &k);
	T_EQ(pit_next_deadline_ns(p), UINT64_MAX); /* not programmed */
	out(p, 0x43, 0x34);
	out(p, 0x40, 11932 & 0xFF);
	out(p, 0x40, 11932 >> 8);
	T_EQ(latch_count(p, 0), 11932);
	k.now = 1000 + ns_at(100);
	T_EQ(latch_count(p, 0), 11932 - 100);
	k.now = 1000 + ns_at(11931); /* count reads 1: OUT is low for this clock */
	T_EQ(latch_count(p, 0), 1);
	T_EQ(pit_next_deadline_ns(p), 1000 + ns_at(11932));
	pit_update(p, 1000 + ns_at(11932) - 1);
	T_EQ(k.pulses, 0);
	pit_update(p, 1000 + ns_at(11932));
	T_EQ(k.pulses, 1);
	k.now = 1000 + ns_at(11932);
	T_EQ(latch_count(p, 0), 11932); /* reloaded */
	T_EQ(pit_next_deadline_ns(p), 1000 + ns_at(2 * 11932));
	/* Five periods late: one pulse, and the next deadline is ahead. */
	pit_update(p, 1000 + ns_at(7 * 11932 + 5));
	T_EQ(k.pulses, 2);
	k.now = 1000 + ns_at(7 * 11932 + 5);
	T_EQ(pit_next_deadline_ns(p), 1000 + ns_at(8 * 11932));
	pit_destroy(p);
}

/* A new count in mode 2 waits for the end of the current period. */
static void test_mode2_reprogram_at_period_end(void)
{
	struct clock k = {.now = 0};
	struct pit *p = pit_create(&fake_ops, &k);
	out(p, 0x43, 0x34);
	out(p, 0x40, 1000 & 0xFF);
	out(p, 0x40, 1000 >> 8);
	k.now = ns_at(300);
	out(p, 0x40, 200);
	out(p, 0x40, 0);
	T_EQ(latch_count(p, 0), 700); /* still the old period */
	T_EQ(pit_next_deadline_ns(p), ns_at(1000));
	k.now = ns_at(1050);
	T_EQ(latch_count(p, 0), 150); /* 50 clocks into a period of 200 */
	T_EQ(pit_next_deadline_ns(p), ns_at(1200));
	pit_destroy(p);
}

/* SeaBIOS / Linux TSC calibration: gate on, mode 0 on channel 2, poll
 * port 0x61 bit 5 until OUT goes high at terminal count. */
static void test_mode0_channel2_calibration(void)
{
	struct clock k = {.now = 5};
	struct pit *p = pit_create(&fake_ops, &k);
	out(p, 0x61, (in(p, 0x61) & ~0x02) | 0x01);
	out(p, 0x43, 0xB0);
	out(p, 0x42, 0x9C); /* 0x2E9C = 11932 */
	out(p, 0x42, 0x2E);
	T_EQ(in(p, 0x61) & 0x20, 0);
	k.now = 5 + ns_at(11931);
	T_EQ(in(p, 0x61) & 0x20, 0);
	T_EQ(in(p, 0x42), 1); /* unlatched LSB then MSB */
	T_EQ(in(p, 0x42), 0);
	k.now = 5 + ns_at(11932);
	T_EQ(in(p, 0x61) & 0x20, 0x20);
	k.now = 5 + ns_at(11933);
	T_EQ(latch_count(p, 2), 0xFFFF); /* keeps counting past zero */
	T_EQ(in(p, 0x61) & 0x20, 0x20);	 /* OUT stays high */
	pit_destroy(p);
}

static void test_mode0_gate_suspends(void)
{
	struct clock k = {.now = 0};
	struct pit *p = pit_create(&fake_ops, &k);
	out(p, 0x61, 0x00); /* gate low */
	out(p, 0x43, 0xB0);
	out(p, 0x42, 100);
	out(p, 0x42, 0);
	k.now = ns_at(50);
	T_EQ(latch_count(p, 2), 100); /* gate low: no counting */
	out(p, 0x61, 0x01);
	k.now = ns_at(50) + ns_at(30);
	T_EQ(latch_count(p, 2), 70);
	out(p, 0x61, 0x00);
	k.now = ns_at(500);
	T_EQ(latch_count(p, 2), 70);
	T_EQ(in(p, 0x61) & 0x21, 0x00); /* OUT low, gate low */
	pit_destroy(p);
}

static void test_mode0_oneshot_irq(void)
{
	struct clock k = {.now = 0};
	struct pit *p = pit_create(&fake_ops, &k);
	out(p, 0x43, 0x30);
	out(p, 0x40, 0x10);
	out(p, 0x40, 0x00);
	T_EQ(pit_next_deadline_ns(p), ns_at(16));
	pit_update(p, ns_at(16));
	T_EQ(k.pulses, 1);
	k.now = ns_at(16);
	T_EQ(pit_next_deadline_ns(p), UINT64_MAX);
	pit_update(p, ns_at(100000));
	T_EQ(k.pulses, 1);
	/* Writing the first byte stops the count and drops OUT (no edge yet). */
	out(p, 0x40, 0x20);
	T_EQ(pit_next_deadline_ns(p), UINT64_MAX);
	out(p, 0x40, 0x00);
	T_EQ(pit_next_deadline_ns(p), ns_at(16) + ns_at(32));
	pit_destroy(p);
}

static void test_mode3_square_wave(void)
{
	struct clock k = {.now = 0};
	struct pit *p = pit_create(&fake_ops, &k);
	out(p, 0x61, 0x01);
	out(p, 0x43, 0xB6);
	out(p, 0x42, 1000 & 0xFF);
	out(p, 0x42, 1000 >> 8);
	k.now = ns_at(10);
	T_EQ(latch_count(p, 2), 980); /* decrements by two */
	T_EQ(in(p, 0x61) & 0x20, 0x20);
	k.now = ns_at(499);
	T_EQ(in(p, 0x61) & 0x20, 0x20);
	k.now = ns_at(500);
	T_EQ(in(p, 0x61) & 0x20, 0x00); /* second half: OUT low */
	T_EQ(latch_count(p, 2), 1000);
	k.now = ns_at(1000);
	T_EQ(in(p, 0x61) & 0x20, 0x20);
	/* Gate low forces OUT high and stops; gate high restarts the period. */
	k.now = ns_at(1600);
	T_EQ(in(p, 0x61) & 0x20, 0x00);
	out(p, 0x61, 0x00);
	T_EQ(in(p, 0x61) & 0x20, 0x20);
	out(p, 0x61, 0x01);
	k.now = ns_at(1600) + ns_at(100); /* 100 clocks after the gate rose */
	T_EQ(latch_count(p, 2), 800);
	pit_destroy(p);
}

static void test_latch_holds_value(void)
{
	struct clock k = {.now = 0};
	struct pit *p = pit_create(&fake_ops, &k);
	out(p, 0x43, 0x34);
	out(p, 0x40, 0x00);
	out(p, 0x40, 0x10); /* 0x1000 */
	k.now = ns_at(0x10);
	out(p, 0x43, 0x00);
	k.now = ns_at(0x20);
	out(p, 0x43, 0x00); /* a second latch is ignored until read */
	T_EQ(in(p, 0x40), 0xF0);
	k.now = ns_at(0x30);
	T_EQ(in(p, 0x40), 0x0F); /* 0x1000 - 0x10 = 0x0FF0 */
	T_EQ(in(p, 0x40), 0xD0); /* live again: 0x0FD0 */
	T_EQ(in(p, 0x40), 0x0F);
	pit_destroy(p);
}

static void test_readback_status(void)
{
	struct clock k = {.now = 0};
	struct pit *p = pit_create(&fake_ops, &k);
	out(p, 0x43, 0x7A);		       /* channel 1, LSB/MSB, mode 5, binary */
	out(p, 0x43, 0xE4);		       /* read-back status of channel 1 */
	T_EQ(in(p, 0x41), 0x80 | 0x40 | 0x3A); /* OUT high, null count */
	out(p, 0x43, 0x56);		       /* channel 1, LSB only, mode 3 */
	out(p, 0x41, 0x20);
	/* Status and count latched together: status first, then the count. */
	out(p, 0x43, 0xC4);
	T_EQ(in(p, 0x41), 0x80 | 0x16);
	T_EQ(in(p, 0x41), 0x20);
	pit_destroy(p);
}

static void test_lsb_msb_and_bcd(void)
{
	struct clock k = {.now = 0};
	struct pit *p = pit_create(&fake_ops, &k);
	out(p, 0x43, 0x20); /* channel 0, MSB only, mode 0 */
	out(p, 0x40, 0x12);
	out(p, 0x43, 0x00);
	T_EQ(in(p, 0x40), 0x12); /* the latched count is read as MSB only */
	k.now = ns_at(0x100);
	out(p, 0x43, 0x00);
	T_EQ(in(p, 0x40), 0x11);
	out(p, 0x43, 0x31); /* LSB/MSB, mode 0, BCD */
	out(p, 0x40, 0x00);
	out(p, 0x40, 0x10); /* 1000 decimal */
	k.now += ns_at(1);
	T_EQ(latch_count(p, 0), 0x0999);
	pit_destroy(p);
}

/* Linux's one-shot clockevent: mode 4 (control word 38h).  OUT pulses low
 * for one clock when the count reaches 0; IRQ0 is the rising edge after. */
static void test_mode4_oneshot_strobe(void)
{
	struct clock k = {.now = 0};
	struct pit *p = pit_create(&fake_ops, &k);
	out(p, 0x43, 0x38);
	out(p, 0x40, 100);
	out(p, 0x40, 0);
	T_EQ(pit_next_deadline_ns(p), ns_at(101));
	out(p, 0x43, 0xE2);		/* read-back status of channel 0 */
	T_EQ(in(p, 0x40) & 0x80, 0x80); /* OUT high while counting */
	k.now = ns_at(100);
	out(p, 0x43, 0xE2);
	T_EQ(in(p, 0x40) & 0x80, 0x00); /* the strobe */
	pit_update(p, ns_at(100));
	T_EQ(k.pulses, 0);
	pit_update(p, ns_at(101));
	T_EQ(k.pulses, 1);
	k.now = ns_at(101);
	T_EQ(pit_next_deadline_ns(p), UINT64_MAX); /* one shot */
	/* The next event: a new count re-arms it. */
	out(p, 0x40, 50);
	out(p, 0x40, 0);
	T_EQ(pit_next_deadline_ns(p), ns_at(101) + ns_at(51));
	pit_destroy(p);
}

/* Mode 1 on channel 2: the count starts at the gate's rising edge and OUT
 * is low until terminal count. */
static void test_mode1_gate_trigger(void)
{
	struct clock k = {.now = 0};
	struct pit *p = pit_create(&fake_ops, &k);
	out(p, 0x43, 0xB2);
	out(p, 0x42, 40);
	out(p, 0x42, 0);
	k.now = ns_at(1000);
	T_EQ(in(p, 0x61) & 0x20, 0x20); /* not triggered: OUT high */
	out(p, 0x61, 0x01);
	T_EQ(in(p, 0x61) & 0x20, 0x00);
	k.now = ns_at(1000) + ns_at(39);
	T_EQ(in(p, 0x61) & 0x20, 0x00);
	T_EQ(latch_count(p, 2), 1);
	k.now = ns_at(1000) + ns_at(40);
	T_EQ(in(p, 0x61) & 0x20, 0x20);
	pit_destroy(p);
}

int main(void)
{
	T_RUN(test_mode2_rate_generator);
	T_RUN(test_mode2_reprogram_at_period_end);
	T_RUN(test_mode0_channel2_calibration);
	T_RUN(test_mode0_gate_suspends);
	T_RUN(test_mode0_oneshot_irq);
	T_RUN(test_mode3_square_wave);
	T_RUN(test_mode4_oneshot_strobe);
	T_RUN(test_mode1_gate_trigger);
	T_RUN(test_latch_holds_value);
	T_RUN(test_readback_status);
	T_RUN(test_lsb_msb_and_bcd);
	T_EXIT();
}
