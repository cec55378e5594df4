/*
 * uart.c - PC16550D UART model (see uart.h).  Transmission is instant: THR
 * and the transmitter are always empty again by the time the guest looks,
 * so LSR.THRE/TEMT read 1 and a THRE interrupt follows every THR write.
 * Datasheet references: PC16550D sections 8.3 (FCR), 8.4 (LCR), 8.6 (LSR),
 * 8.7 (IIR, Table IV priorities), 8.8 (IER), 8.9 (MCR, loopback), 8.10 (MSR).
 */
#include <pthread.h>
#include <stdlib.h>

#include "devices/device.h"
#include "devices/uart.h"

#define IER_ERBFI 0x01 /* received data available */
#define IER_ETBEI 0x02 /* transmitter holding register empty */
#define IER_ELSI  0x04 /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */

#define IIR_NO_INT  0x01
#define IIR_MS	    0x00
#define IIR_THRE    0x02
#define IIR_RDA	    0x04
#define IIR_RLS	    0x06
#define IIR_TIMEOUT 0x0C
#define IIR_FIFO    0xC0 /* both bits set when FCR0 = 1 */

#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02

#define LCR_DLAB 0x80

#define MCR_DTR	 0x01
#define MCR_RTS	 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR	    0x01
#define LSR_OE	    0x02
#define LSR_BI	    0x10
#define LSR_FIFOERR 0x80 /* a character with an error is in the FIFO */
#define LSR_THRE    0x20
#define LSR_TEMT    0x40

#define MSR_DCTS  0x01
#define MSR_DDSR  0x02
#define MSR_TERI  0x04
#define MSR_DDCD  0x08
#define MSR_CTS	  0x10
#define MSR_DSR	  0x20
#define MSR_RI	  0x40
#define MSR_DCD	  0x80
#define MSR_DELTA 0x0F

/* Outside loopback the far end looks like a terminal that is present and
 * ready: CTS, DSR and DCD asserted, no ring. */
#define MSR_LINE_INPUTS (MSR_CTS | MSR_DSR | MSR_DCD)

/* FCR bits 7:6 -> receiver trigger level (datasheet Table III). */
static const unsigned uart_trigger[4] = {[0] = 1, [1] = 4, [2] = 8, [3] = 14};

struct uart {
	pthread_mutex_t lock;
	struct uart_ops ops;
	void *opaque;

	uint8_t ier, lcr, mcr, scr, dll, dlm;
	uint8_t lsr_errors; /* OE, latched until LSR is read */
	uint8_t msr;	    /* inputs (7:4) and deltas (3:0) */
	bool fifo_on;
	unsigned trigger;
	bool thre_pending; /* THRE interrupt source, cleared by IIR read/THR write */
	bool rx_wanted;	   /* uart_receive() was refused: tell rx_room() */

	uint8_t rx[UART_FIFO_SIZE];
	bool rx_break[UART_FIFO_SIZE]; /* the character is a break (BI) */
	unsigned rx_head, rx_count;
	int irq_level;
};

static unsigned uart_rx_capacity(const struct uart *u)
{
	return u->fifo_on ? UART_FIFO_SIZE : 1;
}

/* In FIFO mode an error belongs to its character and shows in LSR when
 * that character reaches the top of the FIFO (section 8.6). */
static bool uart_top_break(const struct uart *u)
{
	return u->rx_count && u->rx_break[u->rx_head];
}

/* The highest-priority pending interrupt's IIR bits 3:0 (Table IV). */
static uint8_t uart_iir_id(const struct uart *u)
{
	if ((u->ier & IER_ELSI) && (u->lsr_errors || uart_top_break(u)))
		return IIR_RLS;
	if ((u->ier & IER_ERBFI) && u->rx_count) {
		if (!u->fifo_on || u->rx_count >= u->trigger)
			return IIR_RDA;
		return IIR_TIMEOUT;
	}
	if ((u->ier & IER_ETBEI) && u->thre_pending)
		return IIR_THRE;
	if ((u->ier & IER_EDSSI) && (u->msr & MSR_DELTA))
		return IIR_MS;
	return IIR_NO_INT;
}

/*
 * A PC routes INTR to the interrupt controller through a buffer enabled by
 * the OUT2 pin; loopback forces the modem outputs inactive, so the line is
 * quiet in loopback as well.
 */
static void uart_update_irq(struct uart *u)
{
	int level = uart_iir_id(u) != IIR_NO_INT && (u->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;
	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->ops.irq)
			u->ops.irq(u->opaque, level);
	}
}

static uint8_t uart_modem_inputs(uint8_t mcr)
{
	if (!(mcr & MCR_LOOP))
		return MSR_LINE_INPUTS;
	/* Loopback: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD (section 8.9). */
	return (mcr & MCR_RTS ? MSR_CTS : 0) | (mcr & MCR_DTR ? MSR_DSR : 0) |
	       (mcr & MCR_OUT1 ? MSR_RI : 0) | (mcr & MCR_OUT2 ? MSR_DCD : 0);
}

static void uart_set_inputs(struct uart *u, uint8_t in)
{
	uint8_t old = u->msr & 0xF0, delta = 0;
	if ((old ^ in) & MSR_CTS)
		delta |= MSR_DCTS;
	if ((old ^ in) & MSR_DSR)
		delta |= MSR_DDSR;
	if ((old & MSR_RI) && !(in & MSR_RI)) /* trailing edge only */
		delta |= MSR_TERI;
	if ((old ^ in) & MSR_DCD)
		delta |= MSR_DDCD;
	u->msr = in | (u->msr & MSR_DELTA) | delta;
}

static void uart_rx_room(struct uart *u)
{
	if (u->rx_wanted) {
		u->rx_wanted = false;
		if (u->ops.rx_room)
			u->ops.rx_room(u->opaque);
	}
}

static void uart_rx_clear(struct uart *u)
{
	u->rx_head = u->rx_count = 0;
	uart_rx_room(u);
}

/* A character completes reception; an overrun loses it (section 8.6, OE). */
static bool uart_rx_push(struct uart *u, uint8_t c, bool brk)
{
	if (u->rx_count == uart_rx_capacity(u)) {
		u->lsr_errors |= LSR_OE;
		if (!u->fifo_on) { /* 16450 mode: RBR is overwritten */
			u->rx[u->rx_head] = c;
			u->rx_break[u->rx_head] = brk;
		}
		return false;
	}
	unsigned slot = (u->rx_head + u->rx_count) % UART_FIFO_SIZE;
	u->rx[slot] = c;
	u->rx_break[slot] = brk;
	u->rx_count++;
	return true;
}

/* Power-on: registers as the 16550A datasheet's reset column, except the
 * divisor, which PC firmware leaves at 9600 baud. */
static void uart_reset_locked(struct uart *u)
{
	u->ier = u->lcr = u->mcr = u->scr = u->dlm = u->lsr_errors = 0;
	u->dll = 12;
	u->msr = MSR_LINE_INPUTS;
	u->fifo_on = u->thre_pending = false;
	u->trigger = 1;
	uart_rx_clear(u);
	uart_update_irq(u);
}

struct uart *uart_create(const struct uart_ops *ops, void *opaque)
{
	struct uart *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	pthread_mutex_init(&u->lock, NULL);
	if (ops)
		u->ops = *ops;
	u->opaque = opaque;
	uart_reset_locked(u);
	return u;
}

void uart_reset(struct uart *u)
{
	pthread_mutex_lock(&u->lock);
	uart_reset_locked(u);
	pthread_mutex_unlock(&u->lock);
}

#define UART_SAVE_MAGIC 0x55415231u /* "UAR1" */

static void uart_visit(void *dev, struct device_io *io)
{
	struct uart *u = dev;
	DEVICE_IO(io, u->ier);
	DEVICE_IO(io, u->lcr);
	DEVICE_IO(io, u->mcr);
	DEVICE_IO(io, u->scr);
	DEVICE_IO(io, u->dll);
	DEVICE_IO(io, u->dlm);
	DEVICE_IO(io, u->lsr_errors);
	DEVICE_IO(io, u->msr);
	device_io_bool(io, &u->fifo_on);
	DEVICE_IO(io, u->trigger);
	device_io_bool(io, &u->thre_pending);
	device_io_bool(io, &u->rx_wanted);
	DEVICE_IO(io, u->rx);
	for (unsigned i = 0; i < UART_FIFO_SIZE; i++)
		device_io_bool(io, &u->rx_break[i]);
	DEVICE_IO(io, u->rx_head);
	DEVICE_IO(io, u->rx_count);
}

static bool uart_valid(const void *dev)
{
	const struct uart *u = dev;
	bool trig = false;
	for (unsigned i = 0; i < 4; i++)
		trig |= u->trigger == uart_trigger[i];
	return trig && u->rx_head < UART_FIFO_SIZE && u->rx_count <= UART_FIFO_SIZE;
}

size_t uart_save(const struct uart *u, void *buf, size_t len)
{
	return device_save_fields(u, UART_SAVE_MAGIC, uart_visit, buf, len);
}

int uart_load(struct uart *u, const void *buf, size_t len)
{
	pthread_mutex_lock(&u->lock);
	int r = device_load_fields(u, UART_SAVE_MAGIC, uart_visit, uart_valid, buf, len);
	uart_update_irq(u); /* the IRQ line follows the loaded registers */
	pthread_mutex_unlock(&u->lock);
	return r;
}

DEVICE_OPS(uart);

void uart_destroy(struct uart *u)
{
	if (!u)
		return;
	pthread_mutex_destroy(&u->lock);
	free(u);
}

static uint8_t uart_read_locked(struct uart *u, unsigned reg)
{
	uint8_t v = 0xFF;
	switch (reg) {
	case UART_RBR:
		if (u->lcr & LCR_DLAB)
			return u->dll;
		if (!u->rx_count)
			return u->rx[u->rx_head]; /* RBR keeps the last character */
		v = u->rx[u->rx_head];
		u->rx_break[u->rx_head] = false;
		u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
		u->rx_count--;
		uart_rx_room(u);
		break;
	case UART_IER:
		return (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
	case UART_IIR:
		v = uart_iir_id(u);
		if (v == IIR_THRE) /* reading IIR is one way to clear THRE */
			u->thre_pending = false;
		if (u->fifo_on)
			v |= IIR_FIFO;
		break;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		v = (u->rx_count ? LSR_DR : 0) | u->lsr_errors | LSR_THRE | LSR_TEMT;
		if (uart_top_break(u)) {
			v |= LSR_BI;
			u->rx_break[u->rx_head] = false; /* reported once */
		}
		u->lsr_errors = 0;
		for (unsigned i = 0; u->fifo_on && i < u->rx_count; i++)
			if (u->rx_break[(u->rx_head + i) % UART_FIFO_SIZE])
				v |= LSR_FIFOERR;
		break;
	case UART_MSR:
		v = u->msr;
		u->msr &= ~MSR_DELTA;
		break;
	case UART_SCR:
		return u->scr;
	}
	return v;
}

static void uart_write_locked(struct uart *u, unsigned reg, uint8_t val)
{
	switch (reg) {
	case UART_RBR:
		if (u->lcr & LCR_DLAB) {
			u->dll = val;
			break;
		}
		if (u->mcr & MCR_LOOP)
			uart_rx_push(u, val, false);
		else if (u->ops.tx)
			u->ops.tx(u->opaque, &val, 1);
		/* The character left at once: THR is empty again. */
		u->thre_pending = true;
		break;
	case UART_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = val;
			break;
		}
		/* Enabling ETBEI while THR is empty raises THRE again (Linux's
		 * UART_BUG_THRE probe relies on this). */
		if ((val & IER_ETBEI) && !(u->ier & IER_ETBEI))
			u->thre_pending = true;
		u->ier = val & 0x0F;
		break;
	case UART_IIR: /* FCR: bits other than 0 are only written with FCR0 = 1 */
		if (!(val & FCR_ENABLE)) {
			if (u->fifo_on)
				uart_rx_clear(u);
			u->fifo_on = false;
			break;
		}
		if (!u->fifo_on || (val & FCR_CLEAR_RX))
			uart_rx_clear(u);
		u->fifo_on = true;
		u->trigger = uart_trigger[val >> 6];
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		u->mcr = val & 0x1F;
		uart_set_inputs(u, uart_modem_inputs(u->mcr));
		break;
	case UART_LSR: /* factory test only */
	case UART_MSR:
		break;
	case UART_SCR:
		u->scr = val;
		break;
	}
}

uint8_t uart_read(struct uart *u, unsigned reg)
{
	pthread_mutex_lock(&u->lock);
	uint8_t v = uart_read_locked(u, reg & 7);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return v;
}

void uart_write(struct uart *u, unsigned reg, uint8_t val)
{
	pthread_mutex_lock(&u->lock);
	uart_write_locked(u, reg & 7, val);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

size_t uart_receive(struct uart *u, const uint8_t *buf, size_t n)
{
	size_t done = 0;
	pthread_mutex_lock(&u->lock);
	while (done < n && u->rx_count < uart_rx_capacity(u))
		uart_rx_push(u, buf[done++], false);
	if (done < n)
		u->rx_wanted = true;
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return done;
}

bool uart_break(struct uart *u)
{
	pthread_mutex_lock(&u->lock);
	bool room = u->rx_count < uart_rx_capacity(u);
	if (room)
		uart_rx_push(u, 0, true); /* a break reads as a zero character with BI */
	else
		u->rx_wanted = true;
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return room;
}

static uint64_t uart_bus_read(void *opaque, uint64_t off, unsigned size)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = off + i < UART_NPORTS ? uart_read(opaque, off + i) : 0xFF;
		v |= (uint64_t)b << (8 * i);
	}
	return v;
}

static void uart_bus_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	for (unsigned i = 0; i < size && off + i < UART_NPORTS; i++)
		uart_write(opaque, off + i, val >> (8 * i));
}

const struct bus_ops uart_bus_ops = {
    .read = uart_bus_read,
    .write = uart_bus_write,
};
