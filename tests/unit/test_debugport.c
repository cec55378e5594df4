/*
 * test_debugport.c - POST code runs and timestamps, the debug console's
 * 0xE9 readback (what SeaBIOS probes before printing to 0x402) and byte
 * order, and isa-debug-exit statuses ((value << 1) | 1, as QEMU's
 * documentation states; e.g. writing 0x10 exits with 33).
 */
#include <string.h>

#include "devices/debugport.h"
#include "layout.h"
#include "t.h"

static uint64_t fake_ns;

static uint64_t fake_now(void *opaque)
{
	return fake_ns;
}

static void test_post_runs(void)
{
	fake_ns = 1000;
	struct post *p = post_create(fake_now, NULL, 1000);
	struct bus b;
	bus_init(&b, "pio");
	T_EQ(bus_add(&b, "post", LAYOUT_PORT_POST, 1, &post_bus_ops, p), 0);
	fake_ns = 1500;
	bus_write(&b, 0x80, 1, 0x12);
	fake_ns = 2000;
	for (int i = 0; i < 1000; i++) /* Linux's outb_p() I/O delay */
		bus_write(&b, 0x80, 1, 0x00);
	fake_ns = 9000;
	bus_write(&b, 0x80, 1, 0x34);
	T_EQ(bus_read(&b, 0x80, 1), 0x34);
	struct post_code c[8];
	T_EQ(post_codes(p, c, 8), 3);
	T_EQ(c[0].code, 0x12);
	T_EQ(c[0].ns, 500);
	T_EQ(c[1].code, 0x00);
	T_EQ(c[1].repeat, 1000);
	T_EQ(c[1].ns, 1000);
	T_EQ(c[2].code, 0x34);
	T_EQ(c[2].ns, 8000);
	T_EQ(post_count(p), 1002);
	T_EQ(post_codes(p, c, 1), 1); /* the newest */
	T_EQ(c[0].code, 0x34);
	post_destroy(p);
}

static void test_post_bounded(void)
{
	struct post *p = post_create(fake_now, NULL, 0);
	for (unsigned i = 0; i < POST_MAX + 10; i++)
		post_bus_ops.write(p, 0, 1, i & 1 ? 0xAA : 0x55);
	static struct post_code c[POST_MAX + 10];
	T_EQ(post_codes(p, c, POST_MAX + 10), POST_MAX);
	T_EQ(c[0].code, 0x55); /* run 10 (even: 0x55) is the oldest kept */
	T_EQ(post_count(p), POST_MAX + 10);
	post_destroy(p);
}

struct capture {
	uint8_t buf[64];
	size_t n;
};

static void capture(void *opaque, const uint8_t *buf, size_t n)
{
	struct capture *c = opaque;
	memcpy(c->buf + c->n, buf, n);
	c->n += n;
}

static void test_debugcon(void)
{
	struct debugcon *d = debugcon_create();
	struct capture cap = {0};
	T_EQ(debugcon_bus_ops.read(d, 0, 1), 0xE9);
	debugcon_bus_ops.write(d, 0, 1, 'h');
	debugcon_set_sink(d, capture, &cap);
	debugcon_bus_ops.write(d, 0, 2, 'i' | '!' << 8);
	T_EQ(cap.n, 2);
	T_EQ(cap.buf[0], 'i');
	T_EQ(cap.buf[1], '!');
	uint8_t tail[8];
	T_EQ(debugcon_tail(d, tail, sizeof(tail)), 3);
	T_CHECK(!memcmp(tail, "hi!", 3), "tail keeps everything in order");
	T_EQ(debugcon_tail(d, tail, 1), 1);
	T_EQ(tail[0], '!');
	debugcon_destroy(d);
}

struct exitlog {
	uint32_t status;
	int calls;
};

static void record_exit(void *opaque, uint32_t status)
{
	struct exitlog *l = opaque;
	l->status = status;
	l->calls++;
}

static void test_testexit_statuses(void)
{
	struct exitlog l = {0};
	struct testexit t = {.exit = record_exit, .opaque = &l};
	struct bus b;
	bus_init(&b, "pio");
	T_EQ(bus_add(&b, "test-exit", LAYOUT_PORT_TEST_EXIT, LAYOUT_PORT_TEST_EXIT_SIZE,
		     &testexit_bus_ops, &t),
	     0);
	bus_write(&b, 0xF4, 1, 0x00);
	T_EQ(l.status, 1);
	bus_write(&b, 0xF4, 1, 0x10);
	T_EQ(l.status, 33);
	bus_write(&b, 0xF4, 4, 0x31);
	T_EQ(l.status, 0x63);
	bus_write(&b, 0xF6, 2, 0x1234); /* any port of the 4 */
	T_EQ(l.status, 0x2469);
	T_EQ(l.calls, 4);
	T_EQ(bus_read(&b, 0xF4, 1), 0xFF); /* write-only */
	T_EQ(l.calls, 4);
}

int main(void)
{
	T_RUN(test_post_runs);
	T_RUN(test_post_bounded);
	T_RUN(test_debugcon);
	T_RUN(test_testexit_statuses);
	T_EXIT();
}
