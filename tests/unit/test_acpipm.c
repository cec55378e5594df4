/*
 * test_acpipm.c - the ACPI fixed hardware against ACPI 6.4 4.8 on a fake
 * clock: the PM timer's rate (3.579545 MHz) and 32-bit wrap, TMR_STS on a
 * change of bit 31, write-1-to-clear status, the SCI as SCI_EN and an
 * enabled status bit, SLP_TYP/SLP_EN for \_S5, SLP_EN reading 0, byte and
 * dword accesses across the block, the ICH reset control register (a 0->1
 * edge of RST_CPU), save/load.
 */
#include <errno.h>

#include "devices/acpipm.h"
#include "t.h"

struct fake {
	uint64_t now;
	int sci, sci_changes, poweroffs, resets;
	uint64_t deadline;
};

static uint64_t f_now(void *o)
{
	return ((struct fake *)o)->now;
}

static void f_sci(void *o, int level)
{
	struct fake *f = o;
	f->sci = level;
	f->sci_changes++;
}

static void f_off(void *o)
{
	((struct fake *)o)->poweroffs++;
}

static void f_reset(void *o)
{
	((struct fake *)o)->resets++;
}

static void f_arm(void *o, uint64_t when)
{
	((struct fake *)o)->deadline = when;
}

static const struct acpipm_ops ops = {
    .sci = f_sci, .poweroff = f_off, .reset = f_reset, .now_ns = f_now, .timer_arm = f_arm};

static uint64_t in(struct acpipm *pm, unsigned off, unsigned size)
{
	return acpipm_bus_ops.read(pm, off, size);
}

static void out(struct acpipm *pm, unsigned off, unsigned size, uint64_t v)
{
	acpipm_bus_ops.write(pm, off, size, v);
}

/* ns at which `ticks` timer clocks have elapsed (the first such ns). */
static uint64_t ns_at(uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * 1000000000u + ACPIPM_TIMER_HZ - 1) /
			  ACPIPM_TIMER_HZ);
}

static void test_timer_rate(void)
{
	struct fake f = {0};
	struct acpipm *pm = acpipm_create(&ops, &f);
	T_EQ(in(pm, 8, 4), 0);
	f.now = 1000000000; /* one second: 3579545 ticks */
	T_EQ(in(pm, 8, 4), 3579545);
	f.now = ns_at(1000) - 1;
	T_EQ(in(pm, 8, 4), 999);
	f.now = ns_at(1000);
	T_EQ(in(pm, 8, 4), 1000);
	/* Bytes of the counter read separately agree. */
	f.now = ns_at(0x12345678);
	T_EQ(in(pm, 8, 1), 0x78);
	T_EQ(in(pm, 9, 1), 0x56);
	T_EQ(in(pm, 10, 2), 0x1234);
	/* 32 bits, then it wraps: 2^32 ticks is about 20 minutes. */
	f.now = ns_at((1ULL << 32) + 5);
	T_EQ(in(pm, 8, 4), 5);
	/* Writes to the timer are ignored. */
	out(pm, 8, 4, 0);
	T_EQ(in(pm, 8, 4), 5);
	acpipm_destroy(pm);
}

static void test_tmr_sts(void)
{
	struct fake f = {0};
	struct acpipm *pm = acpipm_create(&ops, &f);
	T_EQ(in(pm, 0, 2) & ACPIPM_TMR, 0);
	f.now = ns_at(1ULL << 31) - 1;
	T_EQ(in(pm, 0, 2) & ACPIPM_TMR, 0);
	f.now = ns_at(1ULL << 31); /* bit 31 sets */
	T_EQ(in(pm, 0, 2) & ACPIPM_TMR, ACPIPM_TMR);
	T_EQ(f.sci, 0);		      /* not enabled */
	out(pm, 0, 2, ACPIPM_PWRBTN); /* 1s clear only their own bit */
	T_EQ(in(pm, 0, 2) & ACPIPM_TMR, ACPIPM_TMR);
	out(pm, 0, 2, ACPIPM_TMR);
	T_EQ(in(pm, 0, 2) & ACPIPM_TMR, 0);
	/* Enabled: the device arms the deadline of the next change of bit 31
	 * (its clearing, at 2^32), and the SCI rises when it fires. */
	out(pm, 2, 2, ACPIPM_TMR);
	T_EQ(f.deadline, ns_at(1ULL << 32));
	f.now = f.deadline;
	acpipm_timer_expired(pm);
	T_EQ(in(pm, 0, 2) & ACPIPM_TMR, ACPIPM_TMR);
	T_EQ(f.sci, 1);
	T_EQ(f.deadline, UINT64_MAX); /* nothing to arm while the status is set */
	out(pm, 0, 2, ACPIPM_TMR);
	T_EQ(f.sci, 0);
	acpipm_destroy(pm);
}

static void test_sci_and_enables(void)
{
	struct fake f = {0};
	struct acpipm *pm = acpipm_create(&ops, &f);
	/* SCI_EN is set at power-on (no SMI_CMD: always in ACPI mode) and
	 * cannot be cleared. */
	T_EQ(in(pm, 4, 2) & ACPIPM_SCI_EN, ACPIPM_SCI_EN);
	out(pm, 4, 2, 0);
	T_EQ(in(pm, 4, 2) & ACPIPM_SCI_EN, ACPIPM_SCI_EN);
	acpipm_power_button(pm);
	T_EQ(in(pm, 0, 2) & ACPIPM_PWRBTN, ACPIPM_PWRBTN);
	T_EQ(f.sci, 0);
	out(pm, 2, 2, 0xFFFF); /* only the implemented enables stick */
	T_EQ(in(pm, 2, 2), ACPIPM_TMR | (1u << 5) | ACPIPM_PWRBTN | ACPIPM_RTC);
	T_EQ(f.sci, 1);
	out(pm, 3, 1, 0); /* byte write to PM1_EN's high half */
	T_EQ(in(pm, 2, 2), ACPIPM_TMR | (1u << 5));
	T_EQ(f.sci, 0);
	out(pm, 2, 2, ACPIPM_PWRBTN);
	T_EQ(f.sci, 1);
	/* A dword write at the block's start: status low, enable high; the
	 * status half clears PWRBTN, the enable half keeps PWRBTN_EN. */
	out(pm, 0, 4, (uint64_t)ACPIPM_PWRBTN << 16 | ACPIPM_PWRBTN);
	T_EQ(in(pm, 0, 4), (uint64_t)ACPIPM_PWRBTN << 16);
	T_EQ(f.sci, 0);
	/* Bytes 6-7 of the block are no register. */
	T_EQ(in(pm, 6, 2), 0xFFFF);
	acpipm_destroy(pm);
}

static void test_sleep(void)
{
	struct fake f = {0};
	struct acpipm *pm = acpipm_create(&ops, &f);
	/* What Linux's acpi_hw_legacy_sleep does: SLP_TYP first, then
	 * SLP_TYP | SLP_EN. */
	uint16_t typ = ACPIPM_SLP_TYP_S5 << 10;
	out(pm, 4, 2, typ);
	T_EQ(f.poweroffs, 0);
	T_EQ(in(pm, 4, 2), typ | ACPIPM_SCI_EN);
	out(pm, 4, 2, typ | ACPIPM_SLP_EN);
	T_EQ(f.poweroffs, 1);
	T_EQ(in(pm, 4, 2) & ACPIPM_SLP_EN, 0); /* write-only, reads 0 */
	/* Another sleep type (no \_S1-\_S4 exist) does nothing. */
	out(pm, 4, 2, (1u << 10) | ACPIPM_SLP_EN);
	T_EQ(f.poweroffs, 1);
	/* The high byte alone carries SLP_EN and SLP_TYP. */
	out(pm, 5, 1, (typ | ACPIPM_SLP_EN) >> 8);
	T_EQ(f.poweroffs, 2);
	acpipm_destroy(pm);
}

static void test_reset_register(void)
{
	struct fake f = {0};
	struct acpipm *pm = acpipm_create(&ops, &f);
	acpipm_reset_ops.write(pm, 0, 1, ACPIPM_RESET_VALUE);
	T_EQ(f.resets, 1);
	T_EQ(acpipm_reset_ops.read(pm, 0, 1), ACPIPM_RESET_VALUE);
	/* RST_CPU already set: no edge, no reset. */
	acpipm_reset_ops.write(pm, 0, 1, ACPIPM_RESET_VALUE);
	T_EQ(f.resets, 1);
	/* Linux's reboot=pci: SYS_RST alone, then SYS_RST | RST_CPU. */
	acpipm_reset(pm);
	acpipm_reset_ops.write(pm, 0, 1, 0x02);
	T_EQ(f.resets, 1);
	acpipm_reset_ops.write(pm, 0, 1, 0x06);
	T_EQ(f.resets, 2);
	acpipm_reset_ops.write(pm, 0, 1, 0xF1); /* reserved bits do not stick */
	T_EQ(acpipm_reset_ops.read(pm, 0, 1), 0);
	acpipm_destroy(pm);
}

static void test_save_load(void)
{
	struct fake f = {0};
	struct acpipm *a = acpipm_create(&ops, &f), *b = acpipm_create(&ops, &f);
	out(a, 2, 2, ACPIPM_PWRBTN);
	out(a, 4, 2, 3u << 10);
	acpipm_power_button(a);
	T_EQ(f.sci, 1);
	uint8_t buf[64];
	size_t n = acpipm_save(a, NULL, 0);
	T_CHECK(n > 0 && n <= sizeof(buf), "save size %zu", n);
	T_EQ(acpipm_save(a, buf, sizeof(buf)), n);
	f.sci = 0;
	T_EQ(acpipm_load(b, buf, n), 0);
	T_EQ(f.sci, 1); /* the restored device drives its line */
	for (unsigned off = 0; off < 6; off++)
		T_EQ(in(b, off, 1), in(a, off, 1));
	/* Malformed buffers are refused and change nothing. */
	T_EQ(acpipm_load(b, buf, n - 1), -EINVAL);
	uint8_t bad[64];
	memcpy(bad, buf, n);
	bad[0] ^= 1;
	T_EQ(acpipm_load(b, bad, n), -EINVAL);
	memcpy(bad, buf, n);
	bad[9] = 0x80; /* an enable bit that does not exist */
	T_EQ(acpipm_load(b, bad, n), -EINVAL);
	T_EQ(in(b, 2, 2), ACPIPM_PWRBTN);
	acpipm_destroy(a);
	acpipm_destroy(b);
}

int main(void)
{
	T_RUN(test_timer_rate);
	T_RUN(test_tmr_sts);
	T_RUN(test_sci_and_enables);
	T_RUN(test_sleep);
	T_RUN(test_reset_register);
	T_RUN(test_save_load);
	T_EXIT();
}
