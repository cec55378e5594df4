/*
 * fuzz/fuzz_irqchip.c - libFuzzer target for the interrupt controllers: three
 * local APICs and an I/O APIC wired through a small router (IPIs, IOAPIC
 * messages, level EOIs back to the IOAPIC), driven by a byte-coded program of
 * MMIO accesses of any width and offset, MSR accesses, deliveries, line
 * changes, INTA/EOI, CR8 writes, clock advances with timer expiries and
 * save/load round trips.  Not an oracle of values (tests/unit does that): it
 * checks that nothing crashes, hangs or trips a sanitizer, and the SDM's
 * invariants after every step: PPR = f(TPR, ISR), the pending vector is the
 * highest IRR vector above PPR and never below 16, the timer never asks to be
 * woken in the past, remote IRR only on level entries.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/ioapic.h"
#include "devices/lapic.h"

#define NCPU 3

static struct {
	uint64_t now;
	struct lapic *apic[NCPU];
	uint64_t armed[NCPU];
	struct ioapic *io;
	unsigned depth; /* router re-entry, to prove it stays bounded */
} f;

static uint64_t fz_now(void *o)
{
	return f.now;
}

static uint64_t fz_tsc(void *o)
{
	return f.now * 3; /* a 3 GHz TSC */
}

static void fz_arm(void *o, uint64_t deadline)
{
	f.armed[(uintptr_t)o] = deadline;
}

static void fz_ipi(void *o, uint32_t lo, uint32_t dest)
{
	unsigned src = (unsigned)(uintptr_t)o;
	if (++f.depth > 4)
		abort();
	for (unsigned i = 0; i < NCPU; i++)
		if (lapic_match_dest(f.apic[i], dest, LAPIC_ICR_LOGICAL(lo),
				     LAPIC_ICR_SHORTHAND(lo), i == src))
			lapic_deliver(f.apic[i], LAPIC_ICR_MODE(lo), LAPIC_ICR_VECTOR(lo),
				      LAPIC_ICR_LEVEL_TRIG(lo));
	f.depth--;
}

static void fz_eoi(void *o, uint8_t vector)
{
	if (++f.depth > 4)
		abort();
	ioapic_eoi(f.io, vector);
	f.depth--;
}

static void fz_io_deliver(void *o, uint32_t dest, bool logical, unsigned mode, uint8_t vector,
			  bool level)
{
	if (++f.depth > 4)
		abort();
	for (unsigned i = 0; i < NCPU; i++)
		if (lapic_match_dest(f.apic[i], dest, logical, LAPIC_SH_NONE, false))
			lapic_deliver(f.apic[i], mode, vector, level);
	f.depth--;
}

static uint64_t take(const uint8_t **d, size_t *n, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes && *n; i++, (*d)++, (*n)--)
		v |= (uint64_t) * *d << (8 * i);
	return v;
}

/* A register by xAPIC offset, through whichever interface is live. */
static bool reg(struct lapic *a, unsigned off, uint32_t *v)
{
	uint64_t x;
	if (lapic_mmio_base(a) != UINT64_MAX) {
		*v = (uint32_t)lapic_mmio_read(a, off, 4);
		return true;
	}
	if (lapic_rdmsr(a, MSR_X2APIC_FIRST + (off >> 4), &x) == 0) {
		*v = (uint32_t)x;
		return true;
	}
	return false; /* globally disabled */
}

static int highest(const uint32_t *r)
{
	for (int i = 7; i >= 0; i--)
		if (r[i])
			return i * 32 + 31 - __builtin_clz(r[i]);
	return -1;
}

static void check_lapic(unsigned c)
{
	struct lapic *a = f.apic[c];
	uint32_t tpr, ppr, isr[8], irr[8];
	if (!reg(a, 0x080, &tpr) || !reg(a, 0x0A0, &ppr))
		return;
	for (unsigned i = 0; i < 8; i++)
		if (!reg(a, 0x100 + 16 * i, &isr[i]) || !reg(a, 0x200 + 16 * i, &irr[i]))
			return;
	int isrv = highest(isr), irrv = highest(irr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0;
	uint32_t want = (tpr & 0xF0) >= isr_class ? tpr : isr_class;
	if (tpr > 0xFF || ppr != want)
		abort(); /* SDM 10.8.3.1 */
	if ((isr[0] & 0xFFFF) || (irr[0] & 0xFFFF))
		abort(); /* vectors 0-15 are never accepted */
	int p = lapic_intr_pending(a);
	int expect = irrv >= 0 && ((uint32_t)irrv & 0xF0) > (ppr & 0xF0) ? irrv : -1;
	if (p != expect)
		abort();
	if (lapic_get_cr8(a) != tpr >> 4)
		abort();
}

static void check_ioapic(void)
{
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		ioapic_mmio_write(f.io, 0, 4, 0x10 + 2 * pin);
		uint32_t lo = (uint32_t)ioapic_mmio_read(f.io, 0x10, 4);
		if ((lo & (1u << 14)) && !(lo & (1u << 15)))
			abort(); /* remote IRR on an edge entry */
	}
}

/* Fire every timer that is due; each must then sleep into the future. */
static void run_timers(void)
{
	for (unsigned c = 0; c < NCPU; c++) {
		if (f.armed[c] > f.now)
			continue;
		lapic_timer_expired(f.apic[c]);
		if (f.armed[c] <= f.now)
			abort(); /* would make the glue spin */
	}
}

static const uint32_t msrs[] = {MSR_IA32_APIC_BASE, MSR_IA32_TSC_DEADLINE, 0x6E1, 0x1A};
static const uint64_t widths[] = {1, 2, 4, 8};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	memset(&f, 0, sizeof(f));
	f.now = 1000;
	for (unsigned i = 0; i < NCPU; i++) {
		struct lapic_ops ops = {
		    .opaque = (void *)(uintptr_t)i,
		    .now_ns = fz_now,
		    .timer_arm = fz_arm,
		    .send_ipi = fz_ipi,
		    .eoi = fz_eoi,
		    .tsc = fz_tsc,
		    .tsc_hz = 3000000000ULL,
		};
		f.apic[i] = lapic_create(i, i == 0, &ops);
	}
	struct ioapic_ops iops = {.deliver = fz_io_deliver};
	f.io = ioapic_create(NCPU, &iops);
	unsigned char buf[1024];

	for (unsigned steps = 0; size && steps < 4096; steps++) {
		unsigned op = (unsigned)take(&data, &size, 1);
		unsigned c = (op >> 4) % NCPU;
		struct lapic *a = f.apic[c];
		uint64_t v;
		switch (op & 0xF) {
		case 0: /* MMIO read, any offset and width */
			v = take(&data, &size, 2);
			lapic_mmio_read(a, v & 0xFFF, (unsigned)widths[v >> 12 & 3]);
			break;
		case 1: /* MMIO write; mostly at register offsets */
			v = take(&data, &size, 2);
			lapic_mmio_write(a, v & 0xFFF, (unsigned)widths[v >> 12 & 3],
					 take(&data, &size, 4));
			break;
		case 2:
			v = take(&data, &size, 1);
			lapic_rdmsr(a, v < 4 ? msrs[v] : MSR_X2APIC_FIRST + (uint32_t)v, &v);
			break;
		case 3:
			v = take(&data, &size, 1);
			lapic_wrmsr(a, v < 4 ? msrs[v] : MSR_X2APIC_FIRST + (uint32_t)v,
				    take(&data, &size, 8));
			break;
		case 4: /* a message from outside */
			v = take(&data, &size, 2);
			lapic_deliver(a, v >> 8 & 7, (uint8_t)v, v >> 11 & 1);
			break;
		case 5: /* time passes */
			v = take(&data, &size, 3);
			f.now += (v & 0x800000) ? (v & 0x7FFFFF) << 12 : v;
			run_timers();
			break;
		case 6: /* the CPU takes an interrupt, maybe EOIs it */
			v = take(&data, &size, 1);
			lapic_intr_ack(a);
			if (v & 1)
				lapic_mmio_write(a, 0xB0, 4, 0);
			if (v & 2)
				lapic_wrmsr(a, MSR_X2APIC_FIRST + 0xB, 0);
			break;
		case 7: /* IOAPIC window */
			v = take(&data, &size, 2);
			if (v & 1)
				ioapic_mmio_write(f.io, v >> 4 & 0xFF, (unsigned)widths[v >> 1 & 3],
						  take(&data, &size, 4));
			else
				ioapic_mmio_read(f.io, v >> 4 & 0xFF, (unsigned)widths[v >> 1 & 3]);
			break;
		case 8: /* an IOAPIC register: select then write */
			v = take(&data, &size, 1);
			ioapic_mmio_write(f.io, 0, 4, v);
			ioapic_mmio_write(f.io, 0x10, 4, take(&data, &size, 4));
			break;
		case 9:
			v = take(&data, &size, 1);
			ioapic_set_irq(f.io, (unsigned)v % 26, v >> 7);
			break;
		case 10:
			lapic_set_cr8(a, (uint8_t)take(&data, &size, 1));
			break;
		case 11:
			lapic_take_init(a);
			lapic_take_sipi(a);
			lapic_nmi_ack(a);
			lapic_extint_enabled(a);
			break;
		case 12: { /* snapshot and restore */
			size_t n = lapic_save(a, buf, sizeof(buf));
			if (n > sizeof(buf) || lapic_load(a, buf, n))
				abort();
			n = ioapic_save(f.io, buf, sizeof(buf));
			if (n > sizeof(buf) || ioapic_load(f.io, buf, n))
				abort();
			break;
		}
		case 13: /* a stale or early expiry call */
			lapic_timer_expired(a);
			break;
		case 14: /* a register write at a slot start, the common case */
			v = take(&data, &size, 1);
			lapic_mmio_write(a, (v & 0x3F) << 4, 4, take(&data, &size, 4));
			break;
		default: { /* a corrupted snapshot must be refused or be valid */
			size_t n = lapic_save(a, buf, sizeof(buf));
			v = take(&data, &size, 2);
			buf[v % n] ^= (uint8_t)(v >> 8 | 1);
			lapic_load(a, buf, n);
			break;
		}
		}
		for (unsigned i = 0; i < NCPU; i++)
			check_lapic(i);
		check_ioapic();
	}
	for (unsigned i = 0; i < NCPU; i++)
		lapic_destroy(f.apic[i]);
	ioapic_destroy(f.io);
	return 0;
}
