/*
 * testdev.c - QEMU's pc-testdev (see testdev.h): the scratch register, the
 * flush-page port, the interrupt lines and the scratch MMIO.  The register
 * is little-endian: an access of n bytes at offset k reads or replaces
 * bytes k..k+n-1 (bytes past 3 are not there: reads 0, writes dropped).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "devices/device.h"
#include "devices/testdev.h"

struct testdev {
	const struct testdev_ops *ops;
	void *opaque;
	pthread_mutex_t lock;
	uint32_t reg;
	uint8_t level[TESTDEV_IRQ_LINES];
	uint8_t iomem[TESTDEV_IOMEM_SIZE];
};

struct testdev *testdev_create(const struct testdev_ops *ops, void *opaque)
{
	struct testdev *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ops = ops;
	t->opaque = opaque;
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

void testdev_destroy(struct testdev *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* Power-on: register and scratch memory 0, every line low. */
void testdev_reset(struct testdev *t)
{
	pthread_mutex_lock(&t->lock);
	t->reg = 0;
	memset(t->iomem, 0, sizeof(t->iomem));
	for (unsigned n = 0; n < TESTDEV_IRQ_LINES; n++)
		if (t->level[n]) {
			t->level[n] = 0;
			if (t->ops->irq)
				t->ops->irq(t->opaque, n, 0);
		}
	pthread_mutex_unlock(&t->lock);
}

#define TESTDEV_SAVE_MAGIC 0x54535431u /* "TST1" */

static void testdev_visit(void *dev, struct device_io *io)
{
	struct testdev *t = dev;
	DEVICE_IO(io, t->reg);
	DEVICE_IO(io, t->level);
	DEVICE_IO(io, t->iomem);
}

static bool testdev_valid(const void *dev)
{
	const struct testdev *t = dev;
	for (unsigned n = 0; n < TESTDEV_IRQ_LINES; n++)
		if (t->level[n] > 1)
			return false;
	return true;
}

size_t testdev_save(const struct testdev *t, void *buf, size_t len)
{
	return device_save_fields(t, TESTDEV_SAVE_MAGIC, testdev_visit, buf, len);
}

int testdev_load(struct testdev *t, const void *buf, size_t len)
{
	pthread_mutex_lock(&t->lock);
	int r = device_load_fields(t, TESTDEV_SAVE_MAGIC, testdev_visit, testdev_valid, buf, len);
	pthread_mutex_unlock(&t->lock);
	/* The lines' levels are outputs: drive them as loaded. */
	for (unsigned n = 0; !r && t->ops->irq && n < TESTDEV_IRQ_LINES; n++)
		t->ops->irq(t->opaque, n, t->level[n]);
	return r;
}

DEVICE_OPS(testdev);

static uint64_t testdev_reg_read(void *opaque, uint64_t off, unsigned size)
{
	struct testdev *t = opaque;
	uint64_t v = 0;
	pthread_mutex_lock(&t->lock);
	for (unsigned i = 0; i < size && off + i < 4; i++)
		v |= (uint64_t)((t->reg >> (8 * (off + i))) & 0xFF) << (8 * i);
	pthread_mutex_unlock(&t->lock);
	return v;
}

static void testdev_reg_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct testdev *t = opaque;
	pthread_mutex_lock(&t->lock);
	for (unsigned i = 0; i < size && off + i < 4; i++) {
		unsigned sh = 8 * (unsigned)(off + i);
		t->reg = (t->reg & ~(0xFFu << sh)) | (uint32_t)((val >> (8 * i)) & 0xFF) << sh;
	}
	pthread_mutex_unlock(&t->lock);
}

const struct bus_ops testdev_reg_ops = {.read = testdev_reg_read, .write = testdev_reg_write};

static void testdev_flush_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct testdev *t = opaque;
	if (off == 0 && size == 4 && t->ops->flush)
		t->ops->flush(t->opaque, val & ~0xFFFull);
}

const struct bus_ops testdev_flush_ops = {.write = testdev_flush_write};

static void testdev_irq_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct testdev *t = opaque;
	if (size != 1 || off >= TESTDEV_IRQ_LINES)
		return;
	pthread_mutex_lock(&t->lock);
	t->level[off] = val != 0;
	pthread_mutex_unlock(&t->lock);
	if (t->ops->irq)
		t->ops->irq(t->opaque, (unsigned)off, val != 0);
}

const struct bus_ops testdev_irq_ops = {.write = testdev_irq_write};

static uint64_t testdev_iomem_read(void *opaque, uint64_t off, unsigned size)
{
	struct testdev *t = opaque;
	uint64_t v = 0;
	pthread_mutex_lock(&t->lock);
	if (off + size <= TESTDEV_IOMEM_SIZE)
		memcpy(&v, t->iomem + off, size);
	pthread_mutex_unlock(&t->lock);
	return v;
}

static void testdev_iomem_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct testdev *t = opaque;
	pthread_mutex_lock(&t->lock);
	if (off + size <= TESTDEV_IOMEM_SIZE)
		memcpy(t->iomem + off, &val, size);
	pthread_mutex_unlock(&t->lock);
}

const struct bus_ops testdev_iomem_ops = {.read = testdev_iomem_read, .write = testdev_iomem_write};
