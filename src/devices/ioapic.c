/*
 * ioapic.c - the I/O APIC model (see ioapic.h).  Each pin's state is the raw
 * line level and its redirection entry; a message is sent on an asserted
 * edge (edge mode) or while asserted with remote IRR clear (level mode).
 * Messages are collected under the mutex and sent after it is released.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "devices/ioapic.h"

/* Register indices behind IOREGSEL (82093AA section 3.2). */
#define REG_ID	  0x00
#define REG_VER	  0x01
#define REG_ARB	  0x02
#define REG_REDIR 0x10 /* 0x10 + 2n: low dword of entry n, 0x11 + 2n: high */

/* Redirection entry bits. */
#define RTE_VECTOR(e)	((uint8_t)(e))
#define RTE_MODE(e)	((unsigned)((e) >> 8) & 7)
#define RTE_LOGICAL	(1ULL << 11)
#define RTE_ACTIVE_LOW	(1ULL << 13)
#define RTE_REMOTE_IRR	(1ULL << 14)
#define RTE_LEVEL	(1ULL << 15)
#define RTE_MASKED	(1ULL << 16)
#define RTE_DEST(e)	((uint32_t)((e) >> 56))
#define RTE_WRITABLE_LO 0x0001AFFFu /* vector, mode, dest mode, polarity, trigger, mask */
#define RTE_WRITABLE_HI 0xFF000000u /* destination */
#define RTE_STATE_BITS	(RTE_WRITABLE_LO | RTE_REMOTE_IRR | (uint64_t)RTE_WRITABLE_HI << 32)
#define ID_BITS		0x0F000000u

/* Only 64- and 32-bit fields: no padding, the bytes are the state. */
struct ioapic_state {
	uint64_t redir[IOAPIC_PINS];
	uint32_t id;
	uint32_t ioregsel;
	uint32_t lines; /* raw pin levels, bit per pin */
	uint32_t pad;	/* keeps the size a multiple of 8, always 0 */
};

#define IOAPIC_SAVE_MAGIC 0x494F4131u /* "IOA1" */

struct ioapic {
	pthread_mutex_t lock;
	struct ioapic_ops ops;
	uint32_t initial_id;
	struct ioapic_state s;
};

struct ioapic_msg {
	uint32_t dest;
	bool logical, level;
	unsigned mode;
	uint8_t vector;
};

/* Messages of one operation: at most one per pin. */
struct ioapic_out {
	unsigned n;
	struct ioapic_msg m[IOAPIC_PINS];
};

static void ioapic_flush(struct ioapic *io, const struct ioapic_out *o)
{
	for (unsigned i = 0; i < o->n; i++)
		if (io->ops.deliver)
			io->ops.deliver(io->ops.opaque, o->m[i].dest, o->m[i].logical, o->m[i].mode,
					o->m[i].vector, o->m[i].level);
}

static bool asserted(const struct ioapic *io, unsigned pin)
{
	bool high = io->s.lines >> pin & 1;
	return io->s.redir[pin] & RTE_ACTIVE_LOW ? !high : high;
}

/* Does this entry use the remote-IRR handshake? */
static bool uses_remote_irr(uint64_t e)
{
	return (e & RTE_LEVEL) && (RTE_MODE(e) == 0 || RTE_MODE(e) == 1);
}

static void ioapic_send(struct ioapic *io, unsigned pin, struct ioapic_out *o)
{
	uint64_t e = io->s.redir[pin];
	unsigned mode = RTE_MODE(e);
	if (mode == 3 || mode == 6)
		return; /* reserved */
	if (uses_remote_irr(e))
		io->s.redir[pin] |= RTE_REMOTE_IRR;
	o->m[o->n++] = (struct ioapic_msg){
	    .dest = RTE_DEST(e),
	    .logical = e & RTE_LOGICAL,
	    .level = uses_remote_irr(e),
	    .mode = mode,
	    .vector = RTE_VECTOR(e),
	};
}

/* A level entry sends while asserted, unmasked and not awaiting an EOI. */
static void ioapic_check_level(struct ioapic *io, unsigned pin, struct ioapic_out *o)
{
	uint64_t e = io->s.redir[pin];
	if (uses_remote_irr(e) && !(e & (RTE_MASKED | RTE_REMOTE_IRR)) && asserted(io, pin))
		ioapic_send(io, pin, o);
}

void ioapic_reset(struct ioapic *io)
{
	pthread_mutex_lock(&io->lock);
	uint32_t lines = io->s.lines; /* the wires keep their levels */
	memset(&io->s, 0, sizeof(io->s));
	io->s.id = io->initial_id;
	io->s.lines = lines;
	for (unsigned i = 0; i < IOAPIC_PINS; i++)
		io->s.redir[i] = RTE_MASKED;
	pthread_mutex_unlock(&io->lock);
}

struct ioapic *ioapic_create(uint8_t id, const struct ioapic_ops *ops)
{
	struct ioapic *io = calloc(1, sizeof(*io));
	if (!io)
		return NULL;
	pthread_mutex_init(&io->lock, NULL);
	if (ops)
		io->ops = *ops;
	io->initial_id = ((uint32_t)id << 24) & ID_BITS;
	ioapic_reset(io);
	return io;
}

void ioapic_destroy(struct ioapic *io)
{
	if (!io)
		return;
	pthread_mutex_destroy(&io->lock);
	free(io);
}

static uint32_t ioapic_reg_read(const struct ioapic *io)
{
	unsigned r = io->s.ioregsel;
	switch (r) {
	case REG_ID:
		return io->s.id;
	case REG_VER:
		return IOAPIC_VERSION;
	case REG_ARB: /* loaded from the ID */
		return io->s.id;
	default:
		if (r >= REG_REDIR && r < REG_REDIR + 2 * IOAPIC_PINS) {
			uint64_t e = io->s.redir[(r - REG_REDIR) / 2];
			return (r & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
		}
		return 0;
	}
}

static void ioapic_reg_write(struct ioapic *io, uint32_t v, struct ioapic_out *o)
{
	unsigned r = io->s.ioregsel;
	if (r == REG_ID) {
		io->s.id = v & ID_BITS;
		return;
	}
	if (r < REG_REDIR || r >= REG_REDIR + 2 * IOAPIC_PINS)
		return; /* version, arbitration: read-only */
	unsigned pin = (r - REG_REDIR) / 2;
	uint64_t e = io->s.redir[pin];
	if (r & 1) {
		e = (e & 0xFFFFFFFFULL) | (uint64_t)(v & RTE_WRITABLE_HI) << 32;
	} else {
		e = (e & ~(uint64_t)RTE_WRITABLE_LO) | (v & RTE_WRITABLE_LO);
		if (!(e & RTE_LEVEL))
			e &= ~RTE_REMOTE_IRR;
	}
	io->s.redir[pin] = e;
	/* Unmasking (or reprogramming) an asserted level pin sends it. */
	ioapic_check_level(io, pin, o);
}

/* Byte `b` (0..3) of the 32-bit register at the 16-byte slot `slot`. */
static uint8_t ioapic_byte(struct ioapic *io, unsigned slot, unsigned b)
{
	switch (slot) {
	case 0x00:
		return b == 0 ? (uint8_t)io->s.ioregsel : 0;
	case 0x10:
		return (uint8_t)(ioapic_reg_read(io) >> (8 * b));
	default: /* EOI (write-only) and unimplemented offsets */
		return 0;
	}
}

uint64_t ioapic_mmio_read(struct ioapic *io, uint64_t off, unsigned size)
{
	uint64_t val = 0;
	if (size == 0 || size > 8)
		return 0;
	pthread_mutex_lock(&io->lock);
	for (unsigned i = 0; i < size; i++) {
		uint64_t a = off + i;
		if (a <= 0xFFF && (a & 0xF) < 4)
			val |= (uint64_t)ioapic_byte(io, (unsigned)(a & 0xFF0), a & 3) << (8 * i);
	}
	pthread_mutex_unlock(&io->lock);
	return val;
}

static void ioapic_eoi_locked(struct ioapic *io, uint8_t vector, struct ioapic_out *o)
{
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		uint64_t e = io->s.redir[pin];
		if ((e & RTE_REMOTE_IRR) && RTE_VECTOR(e) == vector) {
			io->s.redir[pin] = e & ~RTE_REMOTE_IRR;
			ioapic_check_level(io, pin, o); /* still asserted: again */
		}
	}
}

void ioapic_mmio_write(struct ioapic *io, uint64_t off, unsigned size, uint64_t val)
{
	struct ioapic_out o = {0};
	if (size == 0 || size > 8)
		return;
	pthread_mutex_lock(&io->lock);
	if (off == 0x00)
		io->s.ioregsel = (uint8_t)val;
	else if (off == 0x10 && (size == 4 || size == 8))
		ioapic_reg_write(io, (uint32_t)val, &o);
	else if (off == 0x40)
		ioapic_eoi_locked(io, (uint8_t)val, &o);
	pthread_mutex_unlock(&io->lock);
	ioapic_flush(io, &o);
}

void ioapic_set_irq(struct ioapic *io, unsigned pin, int level)
{
	struct ioapic_out o = {0};
	if (pin >= IOAPIC_PINS)
		return;
	pthread_mutex_lock(&io->lock);
	bool was = asserted(io, pin);
	if (level)
		io->s.lines |= 1u << pin;
	else
		io->s.lines &= ~(1u << pin);
	bool now = asserted(io, pin);
	uint64_t e = io->s.redir[pin];
	if (uses_remote_irr(e))
		ioapic_check_level(io, pin, &o);
	else if (now && !was && !(e & RTE_MASKED)) /* a masked edge is lost */
		ioapic_send(io, pin, &o);
	pthread_mutex_unlock(&io->lock);
	ioapic_flush(io, &o);
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	struct ioapic_out o = {0};
	pthread_mutex_lock(&io->lock);
	ioapic_eoi_locked(io, vector, &o);
	pthread_mutex_unlock(&io->lock);
	ioapic_flush(io, &o);
}

size_t ioapic_save(const struct ioapic *io, void *buf, size_t len)
{
	size_t need = sizeof(uint32_t) + sizeof(io->s);
	if (buf && len >= need) {
		uint32_t magic = IOAPIC_SAVE_MAGIC;
		memcpy(buf, &magic, sizeof(magic));
		memcpy((char *)buf + sizeof(magic), &io->s, sizeof(io->s));
	}
	return need;
}

int ioapic_load(struct ioapic *io, const void *buf, size_t len)
{
	struct ioapic_state s;
	uint32_t magic;
	if (!buf || len != sizeof(magic) + sizeof(s))
		return -EINVAL;
	memcpy(&magic, buf, sizeof(magic));
	memcpy(&s, (const char *)buf + sizeof(magic), sizeof(s));
	if (magic != IOAPIC_SAVE_MAGIC || (s.id & ~ID_BITS) || s.ioregsel > 0xFF ||
	    s.lines >> IOAPIC_PINS || s.pad)
		return -EINVAL;
	for (unsigned i = 0; i < IOAPIC_PINS; i++)
		if (s.redir[i] & ~RTE_STATE_BITS)
			return -EINVAL;
	struct ioapic_out o = {0};
	pthread_mutex_lock(&io->lock);
	io->s = s;
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		ioapic_check_level(io, pin, &o);
	pthread_mutex_unlock(&io->lock);
	ioapic_flush(io, &o);
	return 0;
}
