/*
 * uart.h - a National Semiconductor PC16550D (16550A) UART: the register
 * file, the 16-byte receive FIFO and the interrupt logic.  Not a line
 * discipline or a terminal: bytes leave through a tx callback and arrive
 * through uart_receive().  Follows the PC16550D datasheet (June 1995),
 * sections 8.1-8.10 (registers) and Table IV (interrupt priorities).
 */
#ifndef EMBER_DEVICES_UART_H
#define EMBER_DEVICES_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"

/* Register offsets from the base port (DLAB selects DLL/DLM at 0 and 1). */
enum uart_reg {
	UART_RBR = 0, /* read: receiver buffer; write: THR */
	UART_IER = 1,
	UART_IIR = 2, /* read: interrupt identification; write: FCR */
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

#define UART_NPORTS    8
#define UART_FIFO_SIZE 16

struct uart_ops {
	/* The interrupt line as a PC wires it: INTR gated by MCR.OUT2. */
	void (*irq)(void *opaque, int level);
	/* Transmitted bytes (never called in loopback mode).  May be NULL. */
	void (*tx)(void *opaque, const uint8_t *buf, size_t n);
	/* The guest made room in a receive FIFO that uart_receive() found
	 * full: the host may offer the rest of its input.  May be NULL. */
	void (*rx_room)(void *opaque);
};

struct uart;
struct device_ops;

/* Returns NULL on allocation failure.  ops is copied. */
struct uart *uart_create(const struct uart_ops *ops, void *opaque);
void uart_destroy(struct uart *u);
/* The device life cycle (devices/device.h). */
void uart_reset(struct uart *u);
size_t uart_save(const struct uart *u, void *buf, size_t len);
int uart_load(struct uart *u, const void *buf, size_t len);
extern const struct device_ops uart_device_ops;

/* One register access, as the guest sees it (reg 0-7). */
uint8_t uart_read(struct uart *u, unsigned reg);
void uart_write(struct uart *u, unsigned reg, uint8_t val);

/*
 * Bytes arriving on the serial line.  Accepts what fits in the receive
 * FIFO (1 byte in 16450 mode) and returns how many were taken: the host
 * side is flow-controlled, so input is never lost to an overrun.  The line
 * goes idle when the call returns (this is when the datasheet's
 * character-timeout indication applies).
 */
size_t uart_receive(struct uart *u, const uint8_t *buf, size_t n);

/* A break condition on the line (Ctrl-A B): a zero character with LSR.BI,
 * which Linux's serial console turns into a SysRq.  Like uart_receive(),
 * false (and rx_room() later) when the receive FIFO is full. */
bool uart_break(struct uart *u);

/* Port I/O ops for bus_add(); wider accesses are split into byte accesses. */
extern const struct bus_ops uart_bus_ops;

#endif
