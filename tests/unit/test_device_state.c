/*
 * test_device_state.c - every device model's life cycle (devices/device.h):
 * state driven through the model's registers saves, loads into a fresh
 * instance and saves back byte for byte, with the registers reading the
 * same; a short buffer, a wrong magic or any byte of the buffer set to
 * garbage is refused with the state unchanged or accepted, never a crash;
 * reset gives the power-on registers again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/debugport.h"
#include "devices/device.h"
#include "devices/i8042.h"
#include "devices/pic.h"
#include "devices/pit.h"
#include "devices/rtc.h"
#include "devices/uart.h"
#include "t.h"

static uint64_t fake_ns;
static uint64_t fake_now(void *opaque)
{
	return fake_ns;
}
static int64_t fake_wall(void *opaque)
{
	return 1795281997LL * 1000000000LL + (int64_t)fake_ns;
}

/* Save a, load into b, compare; then hostile buffers against b. */
static void round_trip(const char *what, const struct device_ops *ops, void *a, void *b)
{
	size_t n = ops->save(a, NULL, 0);
	uint8_t *sa = malloc(n), *sb = malloc(n), *bad = malloc(n);
	T_EQ(ops->save(a, sa, n), n);
	T_EQ(ops->load(b, sa, n), 0);
	T_EQ(ops->save(b, sb, n), n);
	T_CHECK(!memcmp(sa, sb, n), "%s: loaded state saves back the same", what);
	T_EQ(ops->load(b, sa, n - 1), -EINVAL);
	memcpy(bad, sa, n);
	bad[0] ^= 0xFF;
	T_EQ(ops->load(b, bad, n), -EINVAL);
	/* Each byte in turn set to 0xFF: accepted, or refused leaving b as it was. */
	int refused = 0;
	for (size_t i = 0; i < n; i++) {
		memcpy(bad, sa, n);
		bad[i] = 0xFF;
		if (ops->load(b, bad, n) < 0) {
			refused++;
			ops->save(b, sb, n);
			T_CHECK(!memcmp(sa, sb, n), "%s: byte %zu refused but the state changed",
				what, i);
		}
		T_EQ(ops->load(b, sa, n), 0);
	}
	T_CHECK(refused > 0, "%s: some garbage is refused", what);
	free(sa);
	free(sb);
	free(bad);
}

static void test_uart(void)
{
	struct uart *a = uart_create(NULL, NULL), *b = uart_create(NULL, NULL);
	uart_write(a, 3, 0x83); /* DLAB */
	uart_write(a, 0, 0x01); /* 115200 baud */
	uart_write(a, 3, 0x03);
	uart_write(a, 2, 0xC7); /* FIFO on, trigger 14 */
	uart_write(a, 7, 0x5A);
	uart_receive(a, (const uint8_t *)"hi", 2);
	round_trip("uart", &uart_device_ops, a, b);
	T_EQ(uart_read(b, 0), 'h'); /* the FIFO came along */
	T_EQ(uart_read(b, 7), 0x5A);
	uart_reset(b);
	T_EQ(uart_read(b, 7), 0);
	T_EQ(uart_read(b, 5) & 1, 0); /* no data after reset */
	uart_destroy(a);
	uart_destroy(b);
}

static void test_pic(void)
{
	struct pic *a = pic_create(), *b = pic_create();
	static const uint8_t icw[] = {0x11, 0x20, 0x04, 0x01};
	for (int i = 0; i < 4; i++)
		pic_master_ops.write(a, i ? 1 : 0, 1, icw[i]);
	pic_master_ops.write(a, 1, 1, 0xF0); /* IMR */
	pic_set_irq(a, 1, 1);
	round_trip("pic", &pic_device_ops, a, b);
	T_EQ(pic_master_ops.read(b, 1, 1), 0xF0);
	T_CHECK(pic_intr_pending(b), "IRQ1's request came along");
	T_EQ(pic_intr_ack(b), 0x21);
	pic_reset(b);
	T_EQ(pic_master_ops.read(b, 1, 1), 0); /* IMR cleared */
	pic_destroy(a);
	pic_destroy(b);
}

static void test_pit(void)
{
	static const struct pit_ops ops = {.now = fake_now};
	struct pit *a = pit_create(&ops, NULL), *b = pit_create(&ops, NULL);
	fake_ns = 1000;
	pit_bus_ops.write(a, 3, 1, 0x34); /* channel 0, mode 2 */
	pit_bus_ops.write(a, 0, 1, 0x9C);
	pit_bus_ops.write(a, 0, 1, 0x2E); /* 11932: 100 Hz */
	fake_ns = 5000000;
	round_trip("pit", &pit_device_ops, a, b);
	T_EQ(pit_next_deadline_ns(b), pit_next_deadline_ns(a));
	pit_bus_ops.write(a, 3, 1, 0x00); /* latch channel 0 in both */
	pit_bus_ops.write(b, 3, 1, 0x00);
	T_EQ(pit_bus_ops.read(b, 0, 1), pit_bus_ops.read(a, 0, 1));
	pit_reset(b);
	T_EQ(pit_next_deadline_ns(b), UINT64_MAX);
	pit_destroy(a);
	pit_destroy(b);
}

static void test_rtc(void)
{
	static const struct rtc_ops ops = {.now = fake_wall};
	struct rtc *a = rtc_create(&ops, NULL), *b = rtc_create(&ops, NULL);
	rtc_bus_ops.write(a, 0, 1, 0x0B);
	rtc_bus_ops.write(a, 1, 1, 0x82); /* SET, BCD, 24 h: the guest sets the clock */
	rtc_bus_ops.write(a, 0, 1, 0x04);
	rtc_bus_ops.write(a, 1, 1, 0x03);
	rtc_bus_ops.write(a, 0, 1, 0x0B);
	rtc_bus_ops.write(a, 1, 1, 0x42); /* run, PIE */
	rtc_bus_ops.write(a, 0, 1, 0x30);
	rtc_bus_ops.write(a, 1, 1, 0x99);
	round_trip("rtc", &rtc_device_ops, a, b);
	rtc_bus_ops.write(b, 0, 1, 0x04);
	T_EQ(rtc_bus_ops.read(b, 1, 1), 0x03); /* the guest's hour, from the offset */
	T_EQ(rtc_cmos(b, 0x30), 0x99);
	rtc_reset(b);
	T_EQ(rtc_cmos(b, 0x0B) & 0x70, 0); /* interrupt enables off */
	T_EQ(rtc_cmos(b, 0x30), 0x99);	   /* the CMOS RAM is battery backed */
	rtc_destroy(a);
	rtc_destroy(b);
}

static void test_i8042(void)
{
	struct i8042 *a = i8042_create(NULL, NULL), *b = i8042_create(NULL, NULL);
	i8042_cmd_ops.write(a, 0, 1, 0x60);  /* write the command byte */
	i8042_data_ops.write(a, 0, 1, 0x44); /* keyboard interrupt off */
	i8042_data_ops.write(a, 0, 1, 0xEE); /* keyboard: echo */
	round_trip("i8042", &i8042_device_ops, a, b);
	T_EQ(i8042_data_ops.read(b, 0, 1), 0xEE); /* the queued echo came along */
	i8042_cmd_ops.write(b, 0, 1, 0x20);
	T_EQ(i8042_data_ops.read(b, 0, 1), 0x44);
	i8042_reset(b);
	i8042_cmd_ops.write(b, 0, 1, 0x20);
	T_EQ(i8042_data_ops.read(b, 0, 1), 0x45); /* the BIOS's command byte again */
	i8042_destroy(a);
	i8042_destroy(b);
}

static void test_debugports(void)
{
	struct post *a = post_create(fake_now, NULL, 0), *b = post_create(fake_now, NULL, 0);
	post_bus_ops.write(a, 0, 1, 0x42);
	round_trip("post", &post_device_ops, a, b);
	T_EQ(post_bus_ops.read(b, 0, 1), 0x42);
	post_reset(b);
	T_EQ(post_bus_ops.read(b, 0, 1), 0xFF);
	post_destroy(a);
	post_destroy(b);
	struct debugcon *c = debugcon_create(), *d = debugcon_create();
	size_t n = debugcon_save(c, NULL, 0);
	uint8_t buf[16];
	T_EQ(n, 4);
	T_EQ(debugcon_save(c, buf, sizeof(buf)), 4);
	T_EQ(debugcon_load(d, buf, n), 0);
	buf[1] ^= 1;
	T_EQ(debugcon_load(d, buf, n), -EINVAL);
	debugcon_destroy(c);
	debugcon_destroy(d);
}

int main(void)
{
	T_RUN(test_uart);
	T_RUN(test_pic);
	T_RUN(test_pit);
	T_RUN(test_rtc);
	T_RUN(test_i8042);
	T_RUN(test_debugports);
	T_EXIT();
}
