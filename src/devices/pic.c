/*
 * pic.c - 8259A pair (see pic.h).  Priorities are kept as "the lowest
 * priority IR" (8259A specific rotation); the master's IR2 follows the
 * slave's INT output like any edge-triggered input (so a request the slave
 * withdraws before INTA becomes the classic spurious IRQ15); the slave's INT
 * drops during its INTA cycle, so a further slave request latches anew.
 * Edge-triggered requests stay latched in IRR when the line falls (devices
 * pulse their line), level-triggered ones follow the line.
 */
#include <pthread.h>
#include <stdlib.h>

#include "devices/device.h"
#include "devices/pic.h"

#define PIC_CASCADE_IRQ 2

struct pic_chip {
	uint8_t irr, isr, imr;
	uint8_t lines;	   /* input levels */
	uint8_t elcr;	   /* 1 = level triggered */
	uint8_t elcr_mask; /* bits the ELCR may set (PIIX: not IRQ 0, 1, 2, 8, 13) */
	uint8_t base;	   /* ICW2 vector base */
	uint8_t lowest;	   /* IR with the lowest priority (7 after ICW1) */
	uint8_t init_step; /* ICW expected next: 2, 3, 4, or 0 when running */
	bool icw4, single;
	bool auto_eoi, rotate_auto_eoi, sfnm, special_mask;
	bool read_isr, poll;
};

struct pic {
	pthread_mutex_t lock;
	struct pic_chip chip[2]; /* master, slave */
	void (*out)(void *opaque, int level);
	void *out_opaque;
	int out_level;
};

/* The IR with the highest priority among bits, or -1. */
static int pic_highest(const struct pic_chip *c, uint8_t bits)
{
	for (int p = 0; p < 8; p++) {
		int irq = (c->lowest + 1 + p) & 7;
		if (bits & (1u << irq))
			return irq;
	}
	return -1;
}

static int pic_priority(const struct pic_chip *c, int irq)
{
	return (irq - c->lowest - 1) & 7; /* 0 = highest */
}

/* The request this chip would present on INT, or -1. */
static int pic_chip_pending(const struct pic_chip *c, bool master)
{
	int irq = pic_highest(c, c->irr & ~c->imr);
	if (irq < 0)
		return -1;
	uint8_t in_service = c->isr;
	if (c->special_mask) /* masked levels do not inhibit the others */
		in_service &= ~c->imr;
	if (master && c->sfnm) /* the slave arbitrates its own nesting */
		in_service &= ~(1u << PIC_CASCADE_IRQ);
	int cur = pic_highest(c, in_service);
	if (cur >= 0 && pic_priority(c, cur) <= pic_priority(c, irq))
		return -1;
	return irq;
}

/* An input line of one chip; edge requests latch on 0->1. */
static void pic_chip_line(struct pic_chip *c, unsigned ir, int level)
{
	uint8_t bit = 1u << ir;
	if (level) {
		if ((c->elcr & bit) || !(c->lines & bit))
			c->irr |= bit;
		c->lines |= bit;
	} else {
		c->lines &= ~bit;
		if (c->elcr & bit)
			c->irr &= ~bit;
	}
}

static void pic_update(struct pic *p)
{
	struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
	pic_chip_line(m, PIC_CASCADE_IRQ, pic_chip_pending(s, false) >= 0);
	int level = pic_chip_pending(m, true) >= 0;
	if (level != p->out_level) {
		p->out_level = level;
		if (p->out)
			p->out(p->out_opaque, level);
	}
}

static void pic_chip_ack(struct pic_chip *c, int irq)
{
	uint8_t bit = 1u << irq;
	if (c->auto_eoi) {
		if (c->rotate_auto_eoi)
			c->lowest = irq;
	} else {
		c->isr |= bit;
	}
	if (!(c->elcr & bit))
		c->irr &= ~bit;
}

static void pic_chip_reset(struct pic_chip *c)
{
	uint8_t lines = c->lines, elcr = c->elcr, mask = c->elcr_mask;
	*c = (struct pic_chip){.lines = lines, .elcr = elcr, .elcr_mask = mask, .lowest = 7};
	c->irr = lines & elcr; /* the edge-sense latches are reset */
}

struct pic *pic_create(void)
{
	struct pic *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	p->chip[0].elcr_mask = 0xF8;
	p->chip[1].elcr_mask = 0xDE;
	pic_chip_reset(&p->chip[0]);
	pic_chip_reset(&p->chip[1]);
	return p;
}

/* Power-on: both chips uninitialised (as after ICW1), edge triggered; the
 * input wires keep their levels. */
void pic_reset(struct pic *p)
{
	pthread_mutex_lock(&p->lock);
	for (int i = 0; i < 2; i++) {
		p->chip[i].elcr = 0;
		pic_chip_reset(&p->chip[i]);
	}
	pic_update(p);
	pthread_mutex_unlock(&p->lock);
}

#define PIC_SAVE_MAGIC 0x50494331u /* "PIC1" */

static void pic_visit(void *dev, struct device_io *io)
{
	struct pic *p = dev;
	for (int i = 0; i < 2; i++) {
		struct pic_chip *c = &p->chip[i];
		DEVICE_IO(io, c->irr);
		DEVICE_IO(io, c->isr);
		DEVICE_IO(io, c->imr);
		DEVICE_IO(io, c->lines);
		DEVICE_IO(io, c->elcr);
		DEVICE_IO(io, c->base);
		DEVICE_IO(io, c->lowest);
		DEVICE_IO(io, c->init_step);
		device_io_bool(io, &c->icw4);
		device_io_bool(io, &c->single);
		device_io_bool(io, &c->auto_eoi);
		device_io_bool(io, &c->rotate_auto_eoi);
		device_io_bool(io, &c->sfnm);
		device_io_bool(io, &c->special_mask);
		device_io_bool(io, &c->read_isr);
		device_io_bool(io, &c->poll);
	}
}

static bool pic_valid(const void *dev)
{
	const struct pic *p = dev;
	for (int i = 0; i < 2; i++) {
		const struct pic_chip *c = &p->chip[i];
		if (c->lowest > 7 || (c->init_step && (c->init_step < 2 || c->init_step > 4)) ||
		    (c->elcr & ~c->elcr_mask) || (c->base & 7))
			return false;
	}
	return true;
}

size_t pic_save(const struct pic *p, void *buf, size_t len)
{
	return device_save_fields(p, PIC_SAVE_MAGIC, pic_visit, buf, len);
}

int pic_load(struct pic *p, const void *buf, size_t len)
{
	pthread_mutex_lock(&p->lock);
	int r = device_load_fields(p, PIC_SAVE_MAGIC, pic_visit, pic_valid, buf, len);
	pic_update(p); /* INTR follows the loaded registers */
	pthread_mutex_unlock(&p->lock);
	return r;
}

DEVICE_OPS(pic);

void pic_destroy(struct pic *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void pic_set_output(struct pic *p, void (*fn)(void *opaque, int level), void *opaque)
{
	pthread_mutex_lock(&p->lock);
	p->out = fn;
	p->out_opaque = opaque;
	pthread_mutex_unlock(&p->lock);
}

void pic_set_irq(struct pic *p, unsigned irq, int level)
{
	if (irq > 15)
		return;
	pthread_mutex_lock(&p->lock);
	pic_chip_line(&p->chip[irq >> 3], irq & 7, level);
	pic_update(p);
	pthread_mutex_unlock(&p->lock);
}

bool pic_intr_pending(struct pic *p)
{
	pthread_mutex_lock(&p->lock);
	bool pending = p->out_level;
	pthread_mutex_unlock(&p->lock);
	return pending;
}

static int pic_ack_locked(struct pic *p)
{
	struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
	int vec, irq = pic_chip_pending(m, true);
	if (irq < 0)
		return m->base + 7; /* spurious: no ISR bit is set */
	if (irq == PIC_CASCADE_IRQ && !m->single) {
		int sirq = pic_chip_pending(s, false);
		if (sirq < 0) {
			vec = s->base + 7;
		} else {
			pic_chip_ack(s, sirq);
			vec = s->base + sirq;
		}
		pic_chip_line(m, PIC_CASCADE_IRQ, 0);
	} else {
		vec = m->base + irq;
	}
	pic_chip_ack(m, irq);
	return vec;
}

int pic_intr_ack(struct pic *p)
{
	pthread_mutex_lock(&p->lock);
	int vec = pic_ack_locked(p);
	pic_update(p);
	pthread_mutex_unlock(&p->lock);
	return vec;
}

/* OCW3 poll: the read is the acknowledge (bit 7 = a request was pending). */
static uint8_t pic_poll(struct pic *p, int n)
{
	struct pic_chip *c = &p->chip[n];
	int irq = pic_chip_pending(c, n == 0);
	if (irq < 0)
		return 0;
	pic_chip_ack(c, irq);
	return 0x80 | irq;
}

static uint8_t pic_port_read(struct pic *p, int n, unsigned port)
{
	struct pic_chip *c = &p->chip[n];
	if (port == 1)
		return c->imr;
	if (c->poll) {
		c->poll = false;
		return pic_poll(p, n);
	}
	return c->read_isr ? c->isr : c->irr;
}

static void pic_ocw2(struct pic_chip *c, uint8_t val)
{
	int level = val & 7, irq;
	switch (val >> 5) {
	case 0: /* clear rotate in automatic EOI mode */
		c->rotate_auto_eoi = false;
		break;
	case 4: /* set rotate in automatic EOI mode */
		c->rotate_auto_eoi = true;
		break;
	case 1: /* non-specific EOI */
	case 5: /* rotate on non-specific EOI */
		irq = pic_highest(c, c->isr);
		if (irq >= 0) {
			c->isr &= ~(1u << irq);
			if (val >> 5 == 5)
				c->lowest = irq;
		}
		break;
	case 3: /* specific EOI */
		c->isr &= ~(1u << level);
		break;
	case 7: /* rotate on specific EOI */
		c->isr &= ~(1u << level);
		c->lowest = level;
		break;
	case 6: /* set priority: level becomes the lowest */
		c->lowest = level;
		break;
	default: /* 2: no operation */
		break;
	}
}

static void pic_port_write(struct pic *p, int n, unsigned port, uint8_t val)
{
	struct pic_chip *c = &p->chip[n];
	if (port == 0) {
		if (val & 0x10) { /* ICW1; LTIM (bit 3) is overridden by the ELCR */
			pic_chip_reset(c);
			c->icw4 = val & 0x01;
			c->single = val & 0x02;
			c->init_step = 2;
		} else if (val & 0x08) { /* OCW3 */
			if (val & 0x04)
				c->poll = true;
			if (val & 0x02)
				c->read_isr = val & 0x01;
			if (val & 0x40)
				c->special_mask = val & 0x20;
		} else {
			pic_ocw2(c, val);
		}
		return;
	}
	switch (c->init_step) {
	case 2:
		c->base = val & 0xF8;
		c->init_step = !c->single ? 3 : c->icw4 ? 4 : 0;
		break;
	case 3: /* ICW3: the cascade wiring is fixed on a PC */
		c->init_step = c->icw4 ? 4 : 0;
		break;
	case 4: /* ICW4: bit 0 (8086 mode) is the only mode a PC uses */
		c->auto_eoi = val & 0x02;
		c->sfnm = val & 0x10;
		c->init_step = 0;
		break;
	default: /* OCW1 */
		c->imr = val;
		break;
	}
}

static uint64_t pic_read_chip(struct pic *p, int n, uint64_t off, unsigned size)
{
	uint64_t v = 0;
	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)(off + i < 2 ? pic_port_read(p, n, off + i) : 0xFF) << (8 * i);
	pic_update(p);
	pthread_mutex_unlock(&p->lock);
	return v;
}

static void pic_write_chip(struct pic *p, int n, uint64_t off, unsigned size, uint64_t val)
{
	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < size && off + i < 2; i++)
		pic_port_write(p, n, off + i, val >> (8 * i));
	pic_update(p);
	pthread_mutex_unlock(&p->lock);
}

static uint64_t pic_master_read(void *opaque, uint64_t off, unsigned size)
{
	return pic_read_chip(opaque, 0, off, size);
}

static void pic_master_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	pic_write_chip(opaque, 0, off, size, val);
}

static uint64_t pic_slave_read(void *opaque, uint64_t off, unsigned size)
{
	return pic_read_chip(opaque, 1, off, size);
}

static void pic_slave_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	pic_write_chip(opaque, 1, off, size, val);
}

static uint64_t pic_elcr_read(void *opaque, uint64_t off, unsigned size)
{
	struct pic *p = opaque;
	uint64_t v = 0;
	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)(off + i < 2 ? p->chip[off + i].elcr : 0xFF) << (8 * i);
	pthread_mutex_unlock(&p->lock);
	return v;
}

static void pic_elcr_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct pic *p = opaque;
	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < size && off + i < 2; i++) {
		struct pic_chip *c = &p->chip[off + i];
		c->elcr = (val >> (8 * i)) & c->elcr_mask;
		/* A level-triggered request is whatever the line says now. */
		c->irr = (c->irr & ~c->elcr) | (c->lines & c->elcr);
	}
	pic_update(p);
	pthread_mutex_unlock(&p->lock);
}

const struct bus_ops pic_master_ops = {.read = pic_master_read, .write = pic_master_write};
const struct bus_ops pic_slave_ops = {.read = pic_slave_read, .write = pic_slave_write};
const struct bus_ops pic_elcr_ops = {.read = pic_elcr_read, .write = pic_elcr_write};
