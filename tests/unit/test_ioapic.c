/*
 * test_ioapic.c - the I/O APIC against the 82093AA datasheet: IOREGSEL/IOWIN,
 * ID/version/arbitration registers, redirection entries (fields, read-only
 * and reserved bits), edge and level triggering, polarity, masking, the
 * remote-IRR/EOI handshake (IOWIN EOI broadcast and the 0x40 EOI register),
 * and end to end with a local APIC whose EOI of a level vector reaches it.
 */
#include <errno.h>

#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "t.h"

struct msg {
	uint32_t dest;
	bool logical, level;
	unsigned mode;
	uint8_t vector;
};

static struct {
	int n;
	struct msg last;
	struct lapic *apic; /* if set, messages go to it (end-to-end tests) */
	struct ioapic *io;
} w;

static void fake_deliver(void *o, uint32_t dest, bool logical, unsigned mode, uint8_t vector,
			 bool level)
{
	w.n++;
	w.last = (struct msg){dest, logical, level, mode, vector};
	if (w.apic && lapic_match_dest(w.apic, dest, logical, 0, false))
		lapic_deliver(w.apic, mode, vector, level);
}

static const struct ioapic_ops ops = {.deliver = fake_deliver};

static struct ioapic *setup(void)
{
	memset(&w, 0, sizeof(w));
	w.io = ioapic_create(2, &ops);
	return w.io;
}

static void teardown(void)
{
	ioapic_destroy(w.io);
	lapic_destroy(w.apic);
	memset(&w, 0, sizeof(w));
}

static uint32_t reg_rd(struct ioapic *io, unsigned r)
{
	ioapic_mmio_write(io, 0x00, 4, r);
	return (uint32_t)ioapic_mmio_read(io, 0x10, 4);
}

static void reg_wr(struct ioapic *io, unsigned r, uint32_t v)
{
	ioapic_mmio_write(io, 0x00, 4, r);
	ioapic_mmio_write(io, 0x10, 4, v);
}

static void rte_wr(struct ioapic *io, unsigned pin, uint64_t e)
{
	reg_wr(io, 0x11 + 2 * pin, (uint32_t)(e >> 32));
	reg_wr(io, 0x10 + 2 * pin, (uint32_t)e);
}

static uint64_t rte_rd(struct ioapic *io, unsigned pin)
{
	return reg_rd(io, 0x10 + 2 * pin) | (uint64_t)reg_rd(io, 0x11 + 2 * pin) << 32;
}

#define LEVEL	   (1u << 15)
#define ACTIVE_LOW (1u << 13)
#define MASKED	   (1u << 16)
#define REMOTE_IRR (1u << 14)

/* 82093AA 3.2: ID, version, arbitration; every entry masked at reset. */
static void test_registers(void)
{
	struct ioapic *io = setup();
	T_EQ(reg_rd(io, 0x00), 2u << 24);
	T_EQ(reg_rd(io, 0x01), 0x00170020); /* 24 entries, version 0x20 */
	T_EQ(reg_rd(io, 0x02), 2u << 24);
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		T_EQ(rte_rd(io, pin), MASKED);
	reg_wr(io, 0x00, 0xFFFFFFFF);
	T_EQ(reg_rd(io, 0x00), 0x0F000000); /* ID is bits 27:24 */
	T_EQ(reg_rd(io, 0x02), 0x0F000000); /* arbitration ID follows */
	reg_wr(io, 0x01, 0);
	T_EQ(reg_rd(io, 0x01), 0x00170020);
	/* IOREGSEL reads back its byte; unimplemented indices read 0. */
	ioapic_mmio_write(io, 0x00, 4, 0x12FF);
	T_EQ(ioapic_mmio_read(io, 0x00, 4), 0xFF);
	T_EQ(ioapic_mmio_read(io, 0x10, 4), 0);
	reg_wr(io, 0x40, 0xFFFFFFFF); /* beyond the table: ignored */
	T_EQ(reg_rd(io, 0x40), 0);
	/* Entry fields: reserved bits 55:17 and the RO bits 12, 14 read 0. */
	rte_wr(io, 5, 0xFFFFFFFFFFFFFFFFULL);
	T_EQ(rte_rd(io, 5), 0xFF0000000001AFFFULL);
	T_EQ(w.n, 0); /* level, active low, line low = asserted, but masked */
	/* Narrow reads see the bytes; narrow IOWIN stores are dropped. */
	ioapic_mmio_write(io, 0x00, 1, 0x01);
	T_EQ(ioapic_mmio_read(io, 0x12, 1), 0x17);
	T_EQ(ioapic_mmio_read(io, 0x10, 2), 0x0020);
	ioapic_mmio_write(io, 0x00, 1, 0x10);
	ioapic_mmio_write(io, 0x10, 2, 0x0000);
	T_EQ(reg_rd(io, 0x10), 0x10000);
	T_EQ(ioapic_mmio_read(io, 0x40, 4), 0); /* EOI is write-only */
	T_EQ(ioapic_mmio_read(io, 0x20, 4), 0);
	teardown();
}

/* Edge: the rising edge of an unmasked pin sends one message. */
static void test_edge(void)
{
	struct ioapic *io = setup();
	rte_wr(io, 4, 0x0300000000000000ULL | 0x834); /* vector 0x34, logical, dest 3 */
	ioapic_set_irq(io, 4, 1);
	T_EQ(w.n, 1);
	T_EQ(w.last.vector, 0x34);
	T_EQ(w.last.dest, 3);
	T_CHECK(w.last.logical && !w.last.level && w.last.mode == 0, "fields");
	ioapic_set_irq(io, 4, 1); /* still high: no edge */
	ioapic_set_irq(io, 4, 0);
	T_EQ(w.n, 1);
	ioapic_set_irq(io, 4, 1);
	T_EQ(w.n, 2);
	T_EQ(rte_rd(io, 4) & REMOTE_IRR, 0);
	/* A masked edge is lost: unmasking later sends nothing. */
	ioapic_set_irq(io, 4, 0);
	rte_wr(io, 4, MASKED | 0x34);
	ioapic_set_irq(io, 4, 1);
	rte_wr(io, 4, 0x34);
	T_EQ(w.n, 2);
	/* Active low: the falling edge is the assertion. */
	rte_wr(io, 6, ACTIVE_LOW | 0x36);
	ioapic_set_irq(io, 6, 1);
	T_EQ(w.n, 2);
	ioapic_set_irq(io, 6, 0);
	T_EQ(w.n, 3);
	T_EQ(w.last.vector, 0x36);
	/* Pins beyond 23 do not exist. */
	ioapic_set_irq(io, 24, 1);
	ioapic_set_irq(io, 1000, 1);
	T_EQ(w.n, 3);
	teardown();
}

/* Level: remote IRR until EOI; re-sent on EOI while still asserted. */
static void test_level_remote_irr(void)
{
	struct ioapic *io = setup();
	rte_wr(io, 9, LEVEL | 0x59);
	ioapic_set_irq(io, 9, 1);
	T_EQ(w.n, 1);
	T_CHECK(w.last.level, "a level message");
	T_CHECK(rte_rd(io, 9) & REMOTE_IRR, "remote IRR set");
	ioapic_set_irq(io, 9, 0);
	ioapic_set_irq(io, 9, 1);
	T_EQ(w.n, 1); /* nothing until the EOI */
	ioapic_eoi(io, 0x58);
	T_EQ(w.n, 1); /* another vector's EOI */
	ioapic_eoi(io, 0x59);
	T_EQ(w.n, 2); /* still asserted: sent again */
	T_CHECK(rte_rd(io, 9) & REMOTE_IRR, "remote IRR set again");
	ioapic_set_irq(io, 9, 0);
	ioapic_mmio_write(io, 0x40, 4, 0x59); /* the EOI register */
	T_EQ(w.n, 2);
	T_EQ(rte_rd(io, 9) & REMOTE_IRR, 0);
	/* Masked while asserted: sent when unmasked. */
	rte_wr(io, 9, MASKED | LEVEL | 0x59);
	ioapic_set_irq(io, 9, 1);
	T_EQ(w.n, 2);
	rte_wr(io, 9, LEVEL | 0x59);
	T_EQ(w.n, 3);
	/* Switching to edge clears remote IRR (the pre-0x20 trick). */
	rte_wr(io, 9, MASKED | 0x59);
	T_EQ(rte_rd(io, 9) & REMOTE_IRR, 0);
	/* Active-low level (PCI INTx): the wire idles high. */
	ioapic_set_irq(io, 10, 1);
	rte_wr(io, 10, LEVEL | ACTIVE_LOW | 0x5A);
	T_EQ(w.n, 3);
	ioapic_set_irq(io, 10, 0);
	T_EQ(w.n, 4);
	T_EQ(w.last.vector, 0x5A);
	teardown();
}

/* Delivery modes: NMI/INIT/ExtINT are edge messages; 3 and 6 are reserved. */
static void test_delivery_modes(void)
{
	struct ioapic *io = setup();
	rte_wr(io, 1, LEVEL | (4u << 8) | 0x02); /* NMI, level */
	ioapic_set_irq(io, 1, 1);
	T_EQ(w.n, 1);
	T_CHECK(w.last.mode == 4 && !w.last.level, "NMI as an edge message");
	T_EQ(rte_rd(io, 1) & REMOTE_IRR, 0);
	rte_wr(io, 2, (3u << 8) | 0x40);
	ioapic_set_irq(io, 2, 1);
	rte_wr(io, 3, (6u << 8) | 0x40);
	ioapic_set_irq(io, 3, 1);
	T_EQ(w.n, 1);
	rte_wr(io, 0, (7u << 8));
	ioapic_set_irq(io, 0, 1);
	T_EQ(w.n, 2);
	T_EQ(w.last.mode, 7);
	rte_wr(io, 5, (1u << 8) | 0x45);
	ioapic_set_irq(io, 5, 1);
	T_EQ(w.last.mode, 1);
	teardown();
}

/* End to end: IOAPIC -> LAPIC; the LAPIC's EOI of the level vector clears
 * remote IRR and a still-asserted line interrupts again. */
static void lapic_eoi_cb(void *o, uint8_t v)
{
	ioapic_eoi(w.io, v);
}

static void test_with_lapic(void)
{
	struct ioapic *io = setup();
	struct lapic_ops lops = {.eoi = lapic_eoi_cb};
	w.apic = lapic_create(0, true, &lops);
	lapic_mmio_write(w.apic, 0xF0, 4, 0x1FF); /* software-enable it */
	rte_wr(io, 11, LEVEL | 0x6B);		  /* physical dest 0 */
	ioapic_set_irq(io, 11, 1);
	T_EQ(lapic_intr_ack(w.apic), 0x6B);
	T_EQ(lapic_mmio_read(w.apic, 0x180 + 0x30, 4) >> 11 & 1, 1); /* TMR: level */
	lapic_mmio_write(w.apic, 0xB0, 4, 0); /* EOI: broadcast, line still high */
	T_EQ(w.n, 2);
	T_EQ(lapic_intr_ack(w.apic), 0x6B);
	ioapic_set_irq(io, 11, 0);
	lapic_mmio_write(w.apic, 0xB0, 4, 0);
	T_EQ(w.n, 2);
	T_EQ(rte_rd(io, 11) & REMOTE_IRR, 0);
	T_EQ(lapic_intr_pending(w.apic), -1);
	/* Edge vector: its EOI broadcasts nothing. */
	rte_wr(io, 12, 0x7C);
	ioapic_set_irq(io, 12, 1);
	T_EQ(lapic_intr_ack(w.apic), 0x7C);
	lapic_mmio_write(w.apic, 0xB0, 4, 0);
	T_EQ(w.n, 3);
	/* A destination that is not this APIC. */
	rte_wr(io, 13, 0x0500000000000000ULL | 0x7D);
	ioapic_set_irq(io, 13, 1);
	T_EQ(lapic_intr_pending(w.apic), -1);
	teardown();
}

/* Snapshots: round trip, malformed rejected. */
static void test_save_load(void)
{
	struct ioapic *io = setup();
	rte_wr(io, 7, LEVEL | 0x47);
	ioapic_set_irq(io, 7, 1);
	size_t n = ioapic_save(io, NULL, 0);
	unsigned char buf[512];
	T_CHECK(n <= sizeof(buf), "size %zu", n);
	T_EQ(ioapic_save(io, buf, sizeof(buf)), n);
	struct ioapic *b = ioapic_create(0, &ops);
	T_EQ(ioapic_load(b, buf, n), 0);
	T_EQ(rte_rd(b, 7), LEVEL | REMOTE_IRR | 0x47);
	T_EQ(reg_rd(b, 0x00), 2u << 24);
	ioapic_eoi(b, 0x47);
	T_EQ(w.n, 2); /* the line was saved high */
	T_EQ(ioapic_load(b, buf, n + 1), -EINVAL);
	buf[4 + 7 * 8 + 2] |= 0x04; /* entry 7, reserved bit 18 */
	T_EQ(ioapic_load(b, buf, n), -EINVAL);
	ioapic_destroy(b);
	teardown();
}

int main(void)
{
	T_RUN(test_registers);
	T_RUN(test_edge);
	T_RUN(test_level_remote_irr);
	T_RUN(test_delivery_modes);
	T_RUN(test_with_lapic);
	T_RUN(test_save_load);
	T_EXIT();
}
