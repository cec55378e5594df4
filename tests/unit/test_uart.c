/*
 * test_uart.c - the 16550A register file against the PC16550D datasheet:
 * reset values, IIR priorities (Table IV), FIFO trigger levels (Table III),
 * LSR bits, loopback (section 8.9), OUT2 gating of the PC's IRQ line, and
 * the probe sequence Linux's 8250 driver uses to call a port "16550A".
 */
#include "devices/uart.h"
#include "util.h"
#include "t.h"

struct sink {
	uint8_t out[256];
	size_t n;
	int level, edges, room;
};

static void sink_irq(void *opaque, int level)
{
	struct sink *s = opaque;
	if (level && !s->level)
		s->edges++;
	s->level = level;
}

static void sink_tx(void *opaque, const uint8_t *buf, size_t n)
{
	struct sink *s = opaque;
	for (size_t i = 0; i < n && s->n < sizeof(s->out); i++)
		s->out[s->n++] = buf[i];
}

static void sink_room(void *opaque)
{
	((struct sink *)opaque)->room++;
}

static const struct uart_ops sink_ops = {.irq = sink_irq, .tx = sink_tx, .rx_room = sink_room};

static void test_reset_values(void)
{
	struct sink s = {0};
	struct uart *u = uart_create(&sink_ops, &s);
	T_EQ(uart_read(u, UART_IER), 0x00);
	T_EQ(uart_read(u, UART_IIR), 0x01); /* no interrupt pending, FIFOs off */
	T_EQ(uart_read(u, UART_LCR), 0x00);
	T_EQ(uart_read(u, UART_MCR), 0x00);
	T_EQ(uart_read(u, UART_LSR), 0x60); /* THRE | TEMT */
	T_EQ(uart_read(u, UART_MSR) & 0xF0, 0xB0);
	T_EQ(s.level, 0);
	uart_destroy(u);
}

/* drivers/tty/serial/8250 autoconfig(): IER, loopback, FIFO and EFR probes. */
static void test_linux_probe_finds_16550a(void)
{
	struct sink s = {0};
	struct uart *u = uart_create(&sink_ops, &s);
	uart_write(u, UART_IER, 0);
	T_EQ(uart_read(u, UART_IER) & 0x0F, 0);
	uart_write(u, UART_IER, 0xFF);
	T_EQ(uart_read(u, UART_IER), 0x0F); /* only bits 3:0 exist */
	uart_write(u, UART_IER, 0);
	uart_write(u, UART_SCR, 0xA5);
	T_EQ(uart_read(u, UART_SCR), 0xA5);
	/* Loopback with OUT2 | RTS: the modem inputs read DCD | CTS. */
	uart_write(u, UART_MCR, 0x1A);
	T_EQ(uart_read(u, UART_MSR) & 0xF0, 0x90);
	uart_write(u, UART_MCR, 0);
	/* FIFO enable makes IIR bits 7:6 read 11 (16550A, not 16550). */
	uart_write(u, UART_LCR, 0xBF);
	uart_write(u, UART_IIR, 0); /* the "EFR" write is FCR on a 16550A */
	uart_write(u, UART_LCR, 0);
	uart_write(u, UART_IIR, 0x01);
	T_EQ(uart_read(u, UART_IIR) >> 6, 3);
	/* No EFR: offset 2 with DLAB set still reads IIR, which is non-zero. */
	uart_write(u, UART_LCR, 0x80);
	T_CHECK(uart_read(u, UART_IIR) != 0, "EFR probe must fail (ST16C650 would read 0)");
	uart_write(u, UART_LCR, 0xBF);
	T_CHECK(uart_read(u, UART_IIR) != 0, "EFR probe with LCR=0xBF must fail");
	uart_write(u, UART_LCR, 0);
	/* Bits 5:4 of IIR are 0: not a 16750 (64-byte FIFO) nor an NS SuperIO. */
	uart_write(u, UART_IIR, 0x21);
	T_EQ(uart_read(u, UART_IIR) & 0x30, 0);
	/* IER bits 7:4 do not stick: not an XScale UART. */
	uart_write(u, UART_IER, 0x40);
	T_EQ(uart_read(u, UART_IER), 0);
	uart_destroy(u);
}

static void test_thre_interrupt(void)
{
	struct sink s = {0};
	struct uart *u = uart_create(&sink_ops, &s);
	uart_write(u, UART_MCR, 0x08); /* OUT2: the PC's IRQ enable */
	uart_write(u, UART_IER, 0x02);
	T_EQ(s.level, 1);
	T_EQ(uart_read(u, UART_IIR), 0x02);
	T_EQ(s.level, 0); /* reading IIR cleared THRE */
	T_EQ(uart_read(u, UART_IIR), 0x01);
	/* Linux's UART_BUG_THRE test: re-enabling ETBEI re-asserts THRE. */
	uart_write(u, UART_IER, 0);
	uart_write(u, UART_IER, 0x02);
	T_EQ(uart_read(u, UART_IIR), 0x02);
	/* A THR write: the byte goes out and THR is empty again. */
	uart_write(u, UART_RBR, 'A');
	T_EQ(s.n, 1);
	T_EQ(s.out[0], 'A');
	T_EQ(s.level, 1);
	T_EQ(uart_read(u, UART_LSR) & 0x60, 0x60);
	T_EQ(s.edges, 3); /* IER enable, IER re-enable, THR write */
	uart_destroy(u);
}

static void test_out2_gates_irq(void)
{
	struct sink s = {0};
	struct uart *u = uart_create(&sink_ops, &s);
	uart_write(u, UART_IER, 0x01);
	uint8_t c = 'x';
	T_EQ(uart_receive(u, &c, 1), 1);
	T_EQ(uart_read(u, UART_IIR), 0x04); /* pending inside the chip... */
	T_EQ(s.level, 0);		    /* ...but OUT2 = 0 keeps the line low */
	uart_write(u, UART_MCR, 0x08);
	T_EQ(s.level, 1);
	T_EQ(uart_read(u, UART_RBR), 'x');
	T_EQ(s.level, 0);
	uart_destroy(u);
}

/* Table IV: RLS > RDA (or timeout) > THRE > modem status. */
static void test_iir_priority(void)
{
	struct sink s = {0};
	struct uart *u = uart_create(&sink_ops, &s);
	uart_write(u, UART_MCR, 0x10);	    /* loopback, 16450 mode (1-byte RBR) */
	T_EQ(uart_read(u, UART_MSR), 0x0B); /* CTS, DSR, DCD dropped */
	uart_write(u, UART_RBR, 'a');
	uart_write(u, UART_RBR, 'b');  /* overrun: RBR is overwritten */
	uart_write(u, UART_MCR, 0x13); /* DTR|RTS: DSR/CTS change -> deltas */
	uart_write(u, UART_IER, 0x0F);
	T_EQ(uart_read(u, UART_IIR), 0x06);
	T_EQ(uart_read(u, UART_LSR), 0x63); /* DR | OE | THRE | TEMT */
	T_EQ(uart_read(u, UART_LSR), 0x61); /* OE cleared by the read */
	T_EQ(uart_read(u, UART_IIR), 0x04);
	T_EQ(uart_read(u, UART_RBR), 'b');
	T_EQ(uart_read(u, UART_IIR), 0x02);
	T_EQ(uart_read(u, UART_IIR), 0x00);	   /* modem status (THRE cleared above) */
	T_EQ(uart_read(u, UART_MSR) & 0x0F, 0x03); /* DDSR | DCTS */
	T_EQ(uart_read(u, UART_IIR), 0x01);
	uart_destroy(u);
}

/* Table III trigger levels; below the trigger the idle line gives a
 * character-timeout indication (IIR 0xC) instead of RDA (0x4). */
static void test_fifo_trigger_levels(void)
{
	static const struct {
		uint8_t fcr;
		unsigned level;
	} cases[] = {{0x01, 1}, {0x41, 4}, {0x81, 8}, {0xC1, 14}};
	uint8_t buf[UART_FIFO_SIZE] = "0123456789abcdef";
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sink s = {0};
		struct uart *u = uart_create(&sink_ops, &s);
		uart_write(u, UART_IIR, cases[i].fcr);
		uart_write(u, UART_IER, 0x01);
		if (cases[i].level > 1) {
			T_EQ(uart_receive(u, buf, cases[i].level - 1), cases[i].level - 1);
			T_CHECK(uart_read(u, UART_IIR) == 0xCC, "level %u: %u bytes: want 0xCC",
				cases[i].level, cases[i].level - 1);
			T_EQ(uart_receive(u, buf + cases[i].level - 1, 1), 1);
		} else {
			T_EQ(uart_receive(u, buf, 1), 1);
		}
		T_CHECK(uart_read(u, UART_IIR) == 0xC4, "level %u reached: want RDA 0xC4",
			cases[i].level);
		T_EQ(uart_read(u, UART_RBR), '0');
		if (cases[i].level > 1)
			T_EQ(uart_read(u, UART_IIR), 0xCC);
		else
			T_EQ(uart_read(u, UART_IIR), 0xC1);
		uart_destroy(u);
	}
}

static void test_fifo_capacity_and_order(void)
{
	struct sink s = {0};
	struct uart *u = uart_create(&sink_ops, &s);
	uint8_t buf[20];
	for (int i = 0; i < 20; i++)
		buf[i] = 'A' + i;
	T_EQ(uart_receive(u, buf, 20), 1); /* 16450 mode: one holding register */
	uart_write(u, UART_IIR, 0x07);	   /* FIFO on, RX and TX cleared */
	T_EQ(s.room, 1);		   /* clearing made room */
	T_EQ(uart_read(u, UART_LSR) & 1, 0);
	T_EQ(uart_receive(u, buf, 20), 16);
	T_EQ(uart_receive(u, buf + 16, 4), 0);
	T_EQ(s.room, 1);
	for (int i = 0; i < 16; i++)
		T_EQ(uart_read(u, UART_RBR), 'A' + i);
	T_EQ(s.room, 2);		    /* once, when the refused host may try again */
	T_EQ(uart_read(u, UART_LSR), 0x60); /* empty, no overrun */
	uart_write(u, UART_IIR, 0x00);	    /* FIFO off again: IIR bits 7:6 clear */
	T_EQ(uart_read(u, UART_IIR), 0x01);
	uart_destroy(u);
}

static void test_fifo_clear(void)
{
	struct sink s = {0};
	struct uart *u = uart_create(&sink_ops, &s);
	uart_write(u, UART_IIR, 0x01);
	T_EQ(uart_receive(u, (const uint8_t *)"abc", 3), 3);
	uart_write(u, UART_IIR, 0x03);
	T_EQ(uart_read(u, UART_LSR) & 1, 0);
	uart_destroy(u);
}

static void test_loopback(void)
{
	struct sink s = {0};
	struct uart *u = uart_create(&sink_ops, &s);
	uart_write(u, UART_IIR, 0x01);
	uart_write(u, UART_MCR, 0x18);		   /* LOOP | OUT2 */
	T_EQ(uart_read(u, UART_MSR), 0x80 | 0x03); /* DCD kept; CTS, DSR dropped */
	uart_write(u, UART_IER, 0x01);
	uart_write(u, UART_RBR, 0x55);
	T_EQ(s.n, 0); /* nothing left the chip */
	T_EQ(uart_read(u, UART_LSR) & 1, 1);
	T_EQ(uart_read(u, UART_IIR), 0xC4);
	T_EQ(s.level, 0); /* OUT2 pin forced inactive in loopback */
	T_EQ(uart_read(u, UART_RBR), 0x55);
	/* Overrun in FIFO mode keeps the FIFO and loses the new character. */
	for (int i = 0; i < 17; i++)
		uart_write(u, UART_RBR, i);
	T_EQ(uart_read(u, UART_LSR) & 0x03, 0x03);
	T_EQ(uart_read(u, UART_RBR), 0);
	/* Ring indicator: TERI on the trailing edge of OUT1 only. */
	uart_write(u, UART_MCR, 0x14);
	T_EQ(uart_read(u, UART_MSR), 0x40 | 0x08); /* RI, DDCD (OUT2 dropped) */
	uart_write(u, UART_MCR, 0x10);
	T_EQ(uart_read(u, UART_MSR), 0x04);
	uart_write(u, UART_MCR, 0x00); /* back to the line: CTS, DSR, DCD */
	T_EQ(uart_read(u, UART_MSR), 0xB0 | 0x0B);
	uart_destroy(u);
}

/* Section 8.6: BI goes with its (zero) character and shows in LSR when it
 * reaches the top of the FIFO; LSR bit 7 flags an error anywhere in it. */
static void test_break(void)
{
	struct sink s = {0};
	struct uart *u = uart_create(&sink_ops, &s);
	uart_write(u, UART_IIR, 0x01);
	uart_write(u, UART_IER, 0x05); /* ERBFI | ELSI */
	T_EQ(uart_receive(u, (const uint8_t *)"a", 1), 1);
	T_EQ(uart_break(u), 1);
	T_EQ(uart_receive(u, (const uint8_t *)"b", 1), 1);
	T_EQ(uart_read(u, UART_LSR), 0xE1); /* DR, THRE, TEMT, error in FIFO */
	T_EQ(uart_read(u, UART_IIR), 0xC4);
	T_EQ(uart_read(u, UART_RBR), 'a');
	T_EQ(uart_read(u, UART_IIR), 0xC6); /* the break is at the top: RLS */
	T_EQ(uart_read(u, UART_LSR), 0x71); /* DR | BI | THRE | TEMT */
	T_EQ(uart_read(u, UART_LSR), 0x61); /* reported once */
	T_EQ(uart_read(u, UART_IIR), 0xC4);
	T_EQ(uart_read(u, UART_RBR), 0x00);
	T_EQ(uart_read(u, UART_RBR), 'b');
	T_EQ(uart_read(u, UART_IIR), 0xC1);
	uint8_t full[UART_FIFO_SIZE] = { 0 };
	T_EQ(uart_receive(u, full, sizeof(full)), sizeof(full));
	T_EQ(uart_break(u), 0); /* no room: refused, not an overrun */
	T_EQ(uart_read(u, UART_LSR) & 0x12, 0);
	uart_read(u, UART_RBR);
	T_EQ(s.room, 1);
	uart_destroy(u);
}

static void test_divisor_latch(void)
{
	struct sink s = {0};
	struct uart *u = uart_create(&sink_ops, &s);
	uart_write(u, UART_IER, 0x05);
	uart_write(u, UART_LCR, 0x83);
	uart_write(u, UART_RBR, 0x01); /* DLL: 115200 baud */
	uart_write(u, UART_IER, 0x00); /* DLM */
	T_EQ(uart_read(u, UART_RBR), 0x01);
	T_EQ(uart_read(u, UART_IER), 0x00);
	T_EQ(s.n, 0); /* the DLL write did not transmit */
	uart_write(u, UART_LCR, 0x03);
	T_EQ(uart_read(u, UART_IER), 0x05);
	T_EQ(uart_read(u, UART_LCR), 0x03);
	uart_destroy(u);
}

static void test_bus_wide_access(void)
{
	struct sink s = {0};
	struct uart *u = uart_create(&sink_ops, &s);
	uart_bus_ops.write(u, UART_LCR, 2, 0x0B03); /* LCR = 3, MCR = 0x0B */
	T_EQ(uart_read(u, UART_MCR), 0x0B);
	T_EQ(uart_bus_ops.read(u, UART_LCR, 2), 0x0B03);
	T_EQ(uart_bus_ops.read(u, 7, 2), 0xFF00); /* past the last register */
	uart_destroy(u);
}

int main(void)
{
	T_RUN(test_reset_values);
	T_RUN(test_linux_probe_finds_16550a);
	T_RUN(test_thre_interrupt);
	T_RUN(test_out2_gates_irq);
	T_RUN(test_iir_priority);
	T_RUN(test_fifo_trigger_levels);
	T_RUN(test_fifo_capacity_and_order);
	T_RUN(test_fifo_clear);
	T_RUN(test_loopback);
	T_RUN(test_break);
	T_RUN(test_divisor_latch);
	T_RUN(test_bus_wide_access);
	T_EXIT();
}
