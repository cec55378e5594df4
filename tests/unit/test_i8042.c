/*
 * test_i8042.c - the keyboard controller against the IBM PC/AT Technical
 * Reference (status bits, command byte, self-tests, output port, pulse
 * commands), the keyboard's command set (ACK, identify, reset BAT), the
 * sequence Linux's i8042_check_aux() uses to decide there is no mouse
 * port, and port 0x92's reset and A20 bits.
 */
#include "devices/i8042.h"
#include "t.h"

struct log {
	int level, rises, resets;
	const char *why;
	int a20, a20_calls; /* the gate as last reported */
};

static void log_irq(void *opaque, int level)
{
	struct log *l = opaque;
	if (level && !l->level)
		l->rises++;
	l->level = level;
}

static void log_reset(void *opaque, const char *why)
{
	struct log *l = opaque;
	l->resets++;
	l->why = why;
}

static void log_a20(void *opaque, bool on)
{
	struct log *l = opaque;
	l->a20 = on;
	l->a20_calls++;
}

static const struct i8042_ops log_ops = {.irq = log_irq, .reset = log_reset, .a20 = log_a20};

static uint8_t status(struct i8042 *k)
{
	return i8042_cmd_ops.read(k, 0, 1);
}

static void cmd(struct i8042 *k, uint8_t c)
{
	i8042_cmd_ops.write(k, 0, 1, c);
}

static void data_out(struct i8042 *k, uint8_t v)
{
	i8042_data_ops.write(k, 0, 1, v);
}

static uint8_t data_in(struct i8042 *k)
{
	return i8042_data_ops.read(k, 0, 1);
}

static void test_self_tests(void)
{
	struct log l = {0};
	struct i8042 *k = i8042_create(&log_ops, &l);
	T_EQ(status(k), 0x14); /* SYS | not inhibited, buffers empty */
	cmd(k, 0xAA);
	T_EQ(status(k), 0x1D); /* OBF | SYS | A2 (command) | INH */
	T_EQ(data_in(k), 0x55);
	T_EQ(status(k) & 0x01, 0);
	cmd(k, 0xAB);
	T_EQ(data_in(k), 0x00);
	i8042_destroy(k);
}

static void test_command_byte(void)
{
	struct log l = {0};
	struct i8042 *k = i8042_create(&log_ops, &l);
	cmd(k, 0x20);
	T_EQ(data_in(k), 0x45); /* XLATE | SYS | KBDINT */
	cmd(k, 0x60);
	data_out(k, 0x74);
	T_EQ(status(k) & 0x08, 0); /* A2 clear after a data write */
	cmd(k, 0x20);
	T_EQ(data_in(k), 0x74);
	cmd(k, 0xAE); /* enable keyboard: clears bit 4 */
	cmd(k, 0xA8); /* enable AUX: clears bit 5 */
	cmd(k, 0x20);
	T_EQ(data_in(k), 0x44);
	T_EQ(status(k) & 0x04, 0x04);
	cmd(k, 0x60);
	data_out(k, 0x00); /* SYS flag follows command byte bit 2 */
	T_EQ(status(k) & 0x04, 0);
	i8042_destroy(k);
}

/* drivers/input/serio/i8042.c i8042_check_aux(): loopback 0x5A through
 * 0xD3 must not come back as AUX data, and 0xA9 must report an error. */
static void test_no_aux_port(void)
{
	struct log l = {0};
	struct i8042 *k = i8042_create(&log_ops, &l);
	cmd(k, 0xD3);
	data_out(k, 0x5A);
	T_EQ(status(k) & 0x21, 0x01); /* data, but not from the AUX port */
	T_EQ(data_in(k), 0x5A);
	cmd(k, 0xA9);
	uint8_t r = data_in(k);
	T_CHECK(r != 0x00 && r != 0xFA && r != 0xFF, "AUX test must fail, got %#x", r);
	i8042_destroy(k);
}

static void test_keyboard_commands(void)
{
	struct log l = {0};
	struct i8042 *k = i8042_create(&log_ops, &l);
	data_out(k, 0xF2); /* identify, translated */
	T_EQ(data_in(k), 0xFA);
	T_EQ(data_in(k), 0xAB);
	T_EQ(data_in(k), 0x41);
	cmd(k, 0x60);
	data_out(k, 0x05); /* translation off */
	data_out(k, 0xF2);
	T_EQ(data_in(k), 0xFA);
	T_EQ(data_in(k), 0xAB);
	T_EQ(data_in(k), 0x83);
	data_out(k, 0xFF); /* reset: ACK then BAT passed */
	T_EQ(data_in(k), 0xFA);
	T_EQ(data_in(k), 0xAA);
	data_out(k, 0xED); /* set LEDs takes a parameter */
	T_EQ(data_in(k), 0xFA);
	data_out(k, 0x07);
	T_EQ(data_in(k), 0xFA);
	data_out(k, 0xF0);
	T_EQ(data_in(k), 0xFA);
	data_out(k, 0x00); /* query the scan code set */
	T_EQ(data_in(k), 0xFA);
	T_EQ(data_in(k), 0x02);
	data_out(k, 0xEE);
	T_EQ(data_in(k), 0xEE);
	T_EQ(status(k) & 0x01, 0);
	i8042_destroy(k);
}

static void test_irq1(void)
{
	struct log l = {0};
	struct i8042 *k = i8042_create(&log_ops, &l);
	data_out(k, 0xF4);
	T_EQ(l.level, 1); /* output buffer full with KBDINT set */
	data_in(k);
	T_EQ(l.level, 0);
	/* Three bytes queued: each read is followed by a new rising edge, as
	 * the next byte enters the output buffer. */
	data_out(k, 0xF2);
	T_EQ(l.rises, 2);
	data_in(k);
	T_EQ(l.rises, 3);
	data_in(k);
	T_EQ(l.rises, 4);
	data_in(k);
	T_EQ(l.level, 0);
	T_EQ(l.rises, 4);
	cmd(k, 0x60);
	data_out(k, 0x44); /* interrupts off */
	data_out(k, 0xF4);
	T_EQ(l.level, 0);
	T_EQ(status(k) & 1, 1);
	cmd(k, 0x60);
	data_out(k, 0x45); /* the byte is still there: the line rises */
	T_EQ(l.level, 1);
	i8042_destroy(k);
}

static void test_reset_paths(void)
{
	struct log l = {0};
	struct i8042 *k = i8042_create(&log_ops, &l);
	cmd(k, 0xFF); /* pulse nothing */
	T_EQ(l.resets, 0);
	cmd(k, 0xFE); /* pulse output bit 0: reset */
	T_EQ(l.resets, 1);
	T_STREQ(l.why, "i8042 reset");
	cmd(k, 0xD1);
	data_out(k, 0xDF); /* bit 0 still 1: no reset; A20 on */
	T_EQ(l.resets, 1);
	T_CHECK(l.a20, "A20 enabled");
	cmd(k, 0xD0);
	T_EQ(data_in(k) & 0x03, 0x03);
	cmd(k, 0xD1);
	data_out(k, 0xDE);
	T_EQ(l.resets, 2);
	i8042_destroy(k);
}

static void test_port92(void)
{
	struct log l = {0};
	struct i8042 *k = i8042_create(&log_ops, &l);
	T_EQ(i8042_port92_ops.read(k, 0, 1), 0x02);
	T_CHECK(l.a20_calls > 0 && l.a20, "A20 open from creation");
	/* The PIIX ORs the two gates (A20GATE and FAST_A20 into A20M#). */
	cmd(k, 0xDD);
	T_CHECK(l.a20, "A20 still open: port 0x92 bit 1 holds it");
	i8042_port92_ops.write(k, 0, 1, 0x00);
	T_CHECK(!l.a20, "A20 off via both paths");
	i8042_port92_ops.write(k, 0, 1, 0x02);
	T_CHECK(l.a20, "A20 on via 0x92 bit 1");
	i8042_port92_ops.write(k, 0, 1, 0x00);
	cmd(k, 0xDF);
	T_CHECK(l.a20, "A20 on via 8042 DFh");
	cmd(k, 0xDD);
	T_CHECK(!l.a20, "A20 off again");
	i8042_reset(k);
	T_CHECK(l.a20, "A20 open after a reset");
	T_EQ(l.resets, 0);
	i8042_port92_ops.write(k, 0, 1, 0x03);
	T_EQ(l.resets, 1);
	T_STREQ(l.why, "port 0x92 reset");
	i8042_port92_ops.write(k, 0, 1, 0x03); /* no 0 -> 1 edge */
	T_EQ(l.resets, 1);
	i8042_destroy(k);
}

int main(void)
{
	T_RUN(test_self_tests);
	T_RUN(test_command_byte);
	T_RUN(test_no_aux_port);
	T_RUN(test_keyboard_commands);
	T_RUN(test_irq1);
	T_RUN(test_reset_paths);
	T_RUN(test_port92);
	T_EXIT();
}
