/*
 * devices/device.c - the field serialisation behind every model's save and
 * load (see device.h).  Not a device.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/device.h"

void device_io_bytes(struct device_io *io, void *field, size_t n)
{
	if (io->load) {
		if (io->pos + n > io->len)
			io->bad = true;
		else
			memcpy(field, io->buf + io->pos, n);
	} else if (io->buf && io->pos + n <= io->len) {
		memcpy(io->buf + io->pos, field, n);
	}
	io->pos += n;
}

/* A bool is one byte, 0 or 1: anything else is a malformed buffer. */
void device_io_bool(struct device_io *io, bool *field)
{
	uint8_t b = *field;
	device_io_bytes(io, &b, 1);
	if (io->load) {
		if (b > 1)
			io->bad = true;
		else
			*field = b;
	}
}

size_t device_save_fields(const void *dev, uint32_t magic,
			  void (*visit)(void *dev, struct device_io *io), void *buf, size_t len)
{
	struct device_io io = {.buf = buf, .len = len};
	DEVICE_IO(&io, magic);
	visit((void *)dev, &io); /* saving only reads the fields */
	return io.pos;
}

int device_load_fields(void *dev, uint32_t magic, void (*visit)(void *dev, struct device_io *io),
		       bool (*valid)(const void *dev), const void *buf, size_t len)
{
	size_t n = device_save_fields(dev, magic, visit, NULL, 0);
	uint32_t m = 0;
	if (!buf || len != n || (memcpy(&m, buf, sizeof(m)), m != magic))
		return -EINVAL;
	uint8_t *backup = malloc(n);
	if (!backup)
		return -ENOMEM;
	device_save_fields(dev, magic, visit, backup, n);
	struct device_io io = {.buf = (uint8_t *)buf, .len = len, .pos = sizeof(m), .load = true};
	visit(dev, &io);
	if (io.bad || io.pos != len || (valid && !valid(dev))) {
		struct device_io undo = {.buf = backup, .len = n, .pos = sizeof(m), .load = true};
		visit(dev, &undo);
		free(backup);
		return -EINVAL;
	}
	free(backup);
	return 0;
}

int device_add(struct device_registry *reg, const char *name, void *dev,
	       const struct device_ops *ops)
{
	if (reg->n == DEVICE_MAX)
		return -ENOSPC;
	reg->dev[reg->n++] = (struct device){.name = name, .dev = dev, .ops = ops};
	return 0;
}

void device_reset_all(struct device_registry *reg)
{
	for (int i = 0; i < reg->n; i++)
		if (reg->dev[i].ops->reset)
			reg->dev[i].ops->reset(reg->dev[i].dev);
}

size_t device_save_all(const struct device_registry *reg, void *buf, size_t len)
{
	struct device_io io = {.buf = buf, .len = len};
	for (int i = 0; i < reg->n; i++) {
		const struct device *d = &reg->dev[i];
		uint8_t nl = (uint8_t)strnlen(d->name, 255);
		DEVICE_IO(&io, nl);
		device_io_bytes(&io, (void *)d->name, nl);
		uint32_t sz = (uint32_t)d->ops->save(d->dev, NULL, 0);
		DEVICE_IO(&io, sz);
		if (buf && io.pos + sz <= len)
			d->ops->save(d->dev, io.buf + io.pos, sz);
		io.pos += sz;
	}
	return io.pos;
}

int device_load_all(struct device_registry *reg, const void *buf, size_t len)
{
	const uint8_t *p = buf, *end = p + len;
	for (int i = 0; i < reg->n; i++) {
		const struct device *d = &reg->dev[i];
		size_t nl = strnlen(d->name, 255);
		uint32_t sz;
		if (end - p < (ptrdiff_t)(1 + nl + sizeof(sz)) || p[0] != nl ||
		    memcmp(p + 1, d->name, nl))
			return -EINVAL;
		p += 1 + nl;
		memcpy(&sz, p, sizeof(sz));
		p += sizeof(sz);
		if ((size_t)(end - p) < sz)
			return -EINVAL;
		int r = d->ops->load(d->dev, p, sz);
		if (r < 0)
			return r;
		p += sz;
	}
	return p == end ? 0 : -EINVAL;
}

void device_destroy_all(struct device_registry *reg)
{
	for (int i = reg->n - 1; i >= 0; i--)
		if (reg->dev[i].ops->destroy)
			reg->dev[i].ops->destroy(reg->dev[i].dev);
	reg->n = 0;
}
