/*
 * debugport.c - POST code log, debug console and test-exit device (see
 * debugport.h).  Each keeps its own lock; sinks are called under it so
 * output from several vCPUs is not interleaved within one write.
 */
#include <pthread.h>
#include <stdlib.h>

#include "devices/debugport.h"
#include "devices/device.h"
#include "util.h"

struct post {
	pthread_mutex_t lock;
	uint64_t (*now)(void *opaque);
	void *opaque;
	uint64_t start_ns, total;
	struct post_code runs[POST_MAX];
	unsigned head, count; /* ring of runs, head = oldest */
	uint8_t last;
};

struct post *post_create(uint64_t (*now)(void *opaque), void *opaque, uint64_t start_ns)
{
	struct post *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	p->now = now;
	p->opaque = opaque;
	p->start_ns = start_ns;
	p->last = 0xFF;
	return p;
}

void post_destroy(struct post *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* The guest sees only the last code (port 0x80 reads back); the log of
 * codes is the host's record and survives a reset. */
void post_reset(struct post *p)
{
	pthread_mutex_lock(&p->lock);
	p->last = 0xFF;
	pthread_mutex_unlock(&p->lock);
}

#define POST_SAVE_MAGIC 0x504F5331u /* "POS1" */

static void post_visit(void *dev, struct device_io *io)
{
	struct post *p = dev;
	DEVICE_IO(io, p->last);
}

size_t post_save(const struct post *p, void *buf, size_t len)
{
	return device_save_fields(p, POST_SAVE_MAGIC, post_visit, buf, len);
}

int post_load(struct post *p, const void *buf, size_t len)
{
	pthread_mutex_lock(&p->lock);
	int r = device_load_fields(p, POST_SAVE_MAGIC, post_visit, NULL, buf, len);
	pthread_mutex_unlock(&p->lock);
	return r;
}

DEVICE_OPS(post);

size_t post_codes(struct post *p, struct post_code *out, size_t max)
{
	pthread_mutex_lock(&p->lock);
	size_t n = p->count < max ? p->count : max;
	/* The newest n runs, oldest first. */
	for (size_t i = 0; i < n; i++)
		out[i] = p->runs[(p->head + p->count - n + i) % POST_MAX];
	pthread_mutex_unlock(&p->lock);
	return n;
}

uint64_t post_count(struct post *p)
{
	pthread_mutex_lock(&p->lock);
	uint64_t n = p->total;
	pthread_mutex_unlock(&p->lock);
	return n;
}

static uint64_t post_read(void *opaque, uint64_t off, unsigned size)
{
	struct post *p = opaque;
	pthread_mutex_lock(&p->lock);
	uint64_t v = p->last; /* the DMA page register at 0x80 reads back */
	pthread_mutex_unlock(&p->lock);
	return size == 1 ? v : v | (~0ULL << 8);
}

static void post_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct post *p = opaque;
	uint64_t t = (p->now ? p->now(p->opaque) : now_ns()) - p->start_ns;
	pthread_mutex_lock(&p->lock);
	uint8_t code = val;
	p->total++;
	struct post_code *last = p->count ? &p->runs[(p->head + p->count - 1) % POST_MAX] : NULL;
	if (last && last->code == code && last->repeat < UINT32_MAX) {
		last->repeat++;
	} else {
		if (p->count == POST_MAX) {
			p->head = (p->head + 1) % POST_MAX;
			p->count--;
		}
		p->runs[(p->head + p->count) % POST_MAX] =
		    (struct post_code){.ns = t, .code = code, .repeat = 1};
		p->count++;
	}
	p->last = code;
	pthread_mutex_unlock(&p->lock);
}

const struct bus_ops post_bus_ops = {.read = post_read, .write = post_write};

struct debugcon {
	pthread_mutex_t lock;
	void (*sink)(void *opaque, const uint8_t *buf, size_t n);
	void *opaque;
	uint8_t keep[DEBUGCON_KEEP];
	size_t total; /* bytes ever written; keep is a ring indexed by total */
};

struct debugcon *debugcon_create(void)
{
	struct debugcon *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	pthread_mutex_init(&d->lock, NULL);
	return d;
}

/* Nothing the guest can see: port 0xE9 always reads 0xE9 and the bytes
 * kept are the host's record.  The buffer is the magic alone. */
void debugcon_reset(struct debugcon *d)
{
}

#define DEBUGCON_SAVE_MAGIC 0x44424331u /* "DBC1" */

static void debugcon_visit(void *dev, struct device_io *io)
{
}

size_t debugcon_save(const struct debugcon *d, void *buf, size_t len)
{
	return device_save_fields(d, DEBUGCON_SAVE_MAGIC, debugcon_visit, buf, len);
}

int debugcon_load(struct debugcon *d, const void *buf, size_t len)
{
	return device_load_fields(d, DEBUGCON_SAVE_MAGIC, debugcon_visit, NULL, buf, len);
}

DEVICE_OPS(debugcon);

void debugcon_destroy(struct debugcon *d)
{
	if (!d)
		return;
	pthread_mutex_destroy(&d->lock);
	free(d);
}

void debugcon_set_sink(struct debugcon *d, void (*fn)(void *opaque, const uint8_t *buf, size_t n),
		       void *opaque)
{
	pthread_mutex_lock(&d->lock);
	d->sink = fn;
	d->opaque = opaque;
	pthread_mutex_unlock(&d->lock);
}

size_t debugcon_tail(struct debugcon *d, uint8_t *out, size_t max)
{
	pthread_mutex_lock(&d->lock);
	size_t kept = d->total < DEBUGCON_KEEP ? d->total : DEBUGCON_KEEP;
	size_t n = kept < max ? kept : max;
	for (size_t i = 0; i < n; i++)
		out[i] = d->keep[(d->total - n + i) % DEBUGCON_KEEP];
	pthread_mutex_unlock(&d->lock);
	return n;
}

static uint64_t debugcon_read(void *opaque, uint64_t off, unsigned size)
{
	return size == 1 ? DEBUGCON_READBACK : DEBUGCON_READBACK | (~0ULL << 8);
}

/* A wider OUT sends its bytes in order, as QEMU's debugcon does. */
static void debugcon_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct debugcon *d = opaque;
	uint8_t buf[8];
	for (unsigned i = 0; i < size; i++)
		buf[i] = val >> (8 * i);
	pthread_mutex_lock(&d->lock);
	for (unsigned i = 0; i < size; i++)
		d->keep[d->total++ % DEBUGCON_KEEP] = buf[i];
	if (d->sink)
		d->sink(d->opaque, buf, size);
	pthread_mutex_unlock(&d->lock);
}

const struct bus_ops debugcon_bus_ops = {.read = debugcon_read, .write = debugcon_write};

/* isa-debug-exit: the value written, of whatever width, becomes the exit
 * status (value << 1) | 1, so a guest can never exit with status 0. */
static void testexit_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	const struct testexit *t = opaque;
	if (t->exit)
		t->exit(t->opaque, ((uint32_t)val << 1) | 1);
}

const struct bus_ops testexit_bus_ops = {.write = testexit_write};
