/*
 * fwcfg.c - the fw_cfg device (see fwcfg.h): items, the sorted file
 * directory, the selector/data ports and the DMA interface.  Not the PC's
 * choice of items (fwcfg_pc.c).  Follows docs/specs/fw_cfg.rst: a selector
 * write resets the offset; reads past an item's end return 0; the DMA
 * address register is big-endian and a write to its low half starts the
 * transfer; the descriptor's control word reads 0 when it succeeded and
 * has the error bit when it did not.  A guest's descriptor is data: every
 * range it names is checked by the caller's dma_map() before any access.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/device.h"
#include "devices/fwcfg.h"

#define FWCFG_MAX_ITEMS 64

struct fwcfg_item {
	uint16_t key;
	bool writable;
	char name[FWCFG_NAME_MAX]; /* "" for a numbered item */
	uint8_t *data;
	uint32_t len;
};

struct fwcfg {
	const struct fwcfg_ops *ops;
	void *opaque;
	pthread_mutex_t lock;
	struct fwcfg_item items[FWCFG_MAX_ITEMS];
	unsigned n;
	uint16_t next_file_key;
	/* Guest-visible state. */
	uint16_t sel;
	uint32_t off;
	uint8_t dma[8]; /* the address register, big-endian as the guest wrote it */
	uint64_t dma_errors;
};

static uint32_t fwcfg_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void fwcfg_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The item a selector value names: bit 14 (write mode) does not take part. */
static struct fwcfg_item *fwcfg_find(struct fwcfg *f, uint16_t key)
{
	key &= (uint16_t)~FWCFG_WRITE_BIT;
	for (unsigned i = 0; i < f->n; i++)
		if (f->items[i].key == key)
			return &f->items[i];
	return NULL;
}

static struct fwcfg_item *fwcfg_find_name(struct fwcfg *f, const char *name)
{
	for (unsigned i = 0; i < f->n; i++)
		if (f->items[i].name[0] && !strcmp(f->items[i].name, name))
			return &f->items[i];
	return NULL;
}

static int fwcfg_set(struct fwcfg *f, uint16_t key, const char *name, const void *data, size_t len,
		     bool writable)
{
	if (len > UINT32_MAX)
		return -EINVAL;
	struct fwcfg_item *it = fwcfg_find(f, key);
	if (!it) {
		if (f->n == FWCFG_MAX_ITEMS)
			return -ENOSPC;
		it = &f->items[f->n++];
		*it = (struct fwcfg_item){.key = key};
	}
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, data, len);
	free(it->data);
	it->data = copy;
	it->len = (uint32_t)len;
	it->writable = writable;
	snprintf(it->name, sizeof(it->name), "%s", name ? name : "");
	return 0;
}

static int fwcfg_name_cmp(const void *a, const void *b)
{
	const struct fwcfg_item *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

/* Key 0x19: count, then 64-byte entries sorted by name, all big-endian. */
static int fwcfg_rebuild_dir(struct fwcfg *f)
{
	const struct fwcfg_item *files[FWCFG_MAX_ITEMS];
	unsigned n = 0;
	for (unsigned i = 0; i < f->n; i++)
		if (f->items[i].name[0])
			files[n++] = &f->items[i];
	qsort(files, n, sizeof(files[0]), fwcfg_name_cmp);
	uint8_t dir[4 + 64 * FWCFG_MAX_ITEMS] = {0};
	fwcfg_put_be32(dir, n);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *e = dir + 4 + 64 * i;
		fwcfg_put_be32(e, files[i]->len);
		e[4] = (uint8_t)(files[i]->key >> 8);
		e[5] = (uint8_t)files[i]->key;
		memcpy(e + 8, files[i]->name, strlen(files[i]->name));
	}
	return fwcfg_set(f, FWCFG_FILE_DIR, NULL, dir, 4 + 64 * n, false);
}

struct fwcfg *fwcfg_create(const struct fwcfg_ops *ops, void *opaque)
{
	struct fwcfg *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->ops = ops;
	f->opaque = opaque;
	f->next_file_key = FWCFG_FILE_FIRST;
	pthread_mutex_init(&f->lock, NULL);
	uint8_t id[4] = {FWCFG_VERSION | FWCFG_VERSION_DMA, 0, 0, 0};
	if (fwcfg_set(f, FWCFG_SIGNATURE, NULL, "QEMU", 4, false) ||
	    fwcfg_set(f, FWCFG_ID, NULL, id, sizeof(id), false) || fwcfg_rebuild_dir(f)) {
		fwcfg_destroy(f);
		return NULL;
	}
	return f;
}

void fwcfg_destroy(struct fwcfg *f)
{
	if (!f)
		return;
	for (unsigned i = 0; i < f->n; i++)
		free(f->items[i].data);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

void fwcfg_reset(struct fwcfg *f)
{
	pthread_mutex_lock(&f->lock);
	f->sel = 0;
	f->off = 0;
	memset(f->dma, 0, sizeof(f->dma));
	pthread_mutex_unlock(&f->lock);
}

#define FWCFG_SAVE_MAGIC 0x46574331u /* "FWC1" */

static void fwcfg_visit(void *dev, struct device_io *io)
{
	struct fwcfg *f = dev;
	DEVICE_IO(io, f->sel);
	DEVICE_IO(io, f->off);
	DEVICE_IO(io, f->dma);
}

/* The offset never passes the selected item's end (reads there give 0). */
static bool fwcfg_valid(const void *dev)
{
	struct fwcfg *f = (struct fwcfg *)dev;
	const struct fwcfg_item *it = fwcfg_find(f, f->sel);
	return f->off <= (it ? it->len : 0);
}

size_t fwcfg_save(const struct fwcfg *f, void *buf, size_t len)
{
	return device_save_fields(f, FWCFG_SAVE_MAGIC, fwcfg_visit, buf, len);
}

int fwcfg_load(struct fwcfg *f, const void *buf, size_t len)
{
	pthread_mutex_lock(&f->lock);
	int r = device_load_fields(f, FWCFG_SAVE_MAGIC, fwcfg_visit, fwcfg_valid, buf, len);
	pthread_mutex_unlock(&f->lock);
	return r;
}

DEVICE_OPS(fwcfg);

int fwcfg_add_bytes(struct fwcfg *f, uint16_t key, const void *data, size_t len)
{
	if (key == FWCFG_SIGNATURE || key == FWCFG_ID || key == FWCFG_FILE_DIR ||
	    (key & FWCFG_WRITE_BIT) ||
	    ((key & 0x3FFF) >= FWCFG_FILE_FIRST && !(key & FWCFG_ARCH_BIT)))
		return -EINVAL;
	pthread_mutex_lock(&f->lock);
	int r = fwcfg_find(f, key) ? -EEXIST : fwcfg_set(f, key, NULL, data, len, false);
	pthread_mutex_unlock(&f->lock);
	return r;
}

int fwcfg_add_u16(struct fwcfg *f, uint16_t key, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	return fwcfg_add_bytes(f, key, b, sizeof(b));
}

int fwcfg_add_u32(struct fwcfg *f, uint16_t key, uint32_t v)
{
	uint8_t b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return fwcfg_add_bytes(f, key, b, sizeof(b));
}

int fwcfg_add_u64(struct fwcfg *f, uint16_t key, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return fwcfg_add_bytes(f, key, b, sizeof(b));
}

int fwcfg_add_file(struct fwcfg *f, const char *name, const void *data, size_t len, bool writable)
{
	size_t nlen = strlen(name);
	if (nlen == 0 || nlen >= FWCFG_NAME_MAX)
		return -EINVAL;
	pthread_mutex_lock(&f->lock);
	int r;
	if (fwcfg_find_name(f, name))
		r = -EEXIST;
	else if (f->next_file_key >= 0x4000)
		r = -ENOSPC;
	else
		r = fwcfg_set(f, f->next_file_key, name, data, len, writable);
	if (!r) {
		f->next_file_key++;
		r = fwcfg_rebuild_dir(f);
	}
	pthread_mutex_unlock(&f->lock);
	return r;
}

const uint8_t *fwcfg_file_data(struct fwcfg *f, const char *name, size_t *len)
{
	pthread_mutex_lock(&f->lock);
	const struct fwcfg_item *it = fwcfg_find_name(f, name);
	pthread_mutex_unlock(&f->lock);
	if (!it)
		return NULL;
	*len = it->len;
	return it->data;
}

uint64_t fwcfg_dma_errors(const struct fwcfg *f)
{
	return __atomic_load_n(&f->dma_errors, __ATOMIC_RELAXED);
}

/* Locked.  A selector write (port or DMA): the offset starts over. */
static void fwcfg_select(struct fwcfg *f, uint16_t key)
{
	f->sel = key;
	f->off = 0;
}

/* Locked: n bytes of the selected item from the offset, 0 past its end. */
static void fwcfg_read_data(struct fwcfg *f, uint8_t *out, uint64_t n)
{
	const struct fwcfg_item *it = fwcfg_find(f, f->sel);
	uint32_t len = it ? it->len : 0;
	uint64_t avail = f->off < len ? len - f->off : 0;
	if (avail > n)
		avail = n;
	if (avail)
		memcpy(out, it->data + f->off, avail);
	memset(out + avail, 0, n - avail);
	f->off += (uint32_t)avail;
}

/*
 * Locked: one DMA operation on the descriptor at gpa.  Returns the control
 * word to write back (0 or FWCFG_DMA_ERROR).
 */
static uint32_t fwcfg_dma_op(struct fwcfg *f, uint32_t control, uint32_t length, uint64_t addr)
{
	if (control & FWCFG_DMA_SELECT)
		fwcfg_select(f, (uint16_t)(control >> 16));
	struct fwcfg_item *it = fwcfg_find(f, f->sel);
	uint32_t len = it ? it->len : 0;
	if (control & FWCFG_DMA_READ) {
		if (!length)
			return 0;
		uint8_t *p = f->ops->dma_map(f->opaque, addr, length, true);
		if (!p)
			return FWCFG_DMA_ERROR;
		fwcfg_read_data(f, p, length);
		if (f->ops->dma_written)
			f->ops->dma_written(f->opaque, addr, length);
		return 0;
	}
	if (control & FWCFG_DMA_WRITE) {
		/* The item keeps its size: a write that would pass its end is
		 * dropped whole, as is any write to a read-only item. */
		if (!it || !it->writable || f->off > len || length > len - f->off)
			return FWCFG_DMA_ERROR;
		if (!length)
			return 0;
		const uint8_t *p = f->ops->dma_map(f->opaque, addr, length, false);
		if (!p)
			return FWCFG_DMA_ERROR;
		memcpy(it->data + f->off, p, length);
		f->off += length;
		return 0;
	}
	if (control & FWCFG_DMA_SKIP)
		f->off = length < len - f->off ? f->off + length : len;
	return 0;
}

/* Locked: the guest wrote the low half of the address register. */
static void fwcfg_dma_start(struct fwcfg *f)
{
	uint64_t gpa = (uint64_t)fwcfg_be32(f->dma) << 32 | fwcfg_be32(f->dma + 4);
	memset(f->dma, 0, sizeof(f->dma));
	/* The descriptor: control, length, address (big-endian, 16 bytes). */
	const uint8_t *d = f->ops->dma_map(f->opaque, gpa, 16, false);
	if (!d) {
		/* Nowhere to report it: the guest sees its control word unchanged. */
		__atomic_fetch_add(&f->dma_errors, 1, __ATOMIC_RELAXED);
		return;
	}
	uint32_t control = fwcfg_be32(d), length = fwcfg_be32(d + 4);
	uint64_t addr = (uint64_t)fwcfg_be32(d + 8) << 32 | fwcfg_be32(d + 12);
	uint32_t result = fwcfg_dma_op(f, control, length, addr);
	if (result)
		__atomic_fetch_add(&f->dma_errors, 1, __ATOMIC_RELAXED);
	uint8_t *w = f->ops->dma_map(f->opaque, gpa, 4, true);
	if (w) {
		fwcfg_put_be32(w, result);
		if (f->ops->dma_written)
			f->ops->dma_written(f->opaque, gpa, 4);
	}
}

static uint64_t fwcfg_port_read(void *opaque, uint64_t off, unsigned size)
{
	struct fwcfg *f = opaque;
	uint64_t v = 0;
	pthread_mutex_lock(&f->lock);
	if (off == FWCFG_PORT_DATA) {
		uint8_t b[8];
		fwcfg_read_data(f, b, size);
		for (unsigned i = 0; i < size; i++)
			v |= (uint64_t)b[i] << (8 * i);
	} else if (off >= FWCFG_PORT_DMA) {
		/* The register reads as "QEMU CFG": byte k is the k-th most
		 * significant byte of the signature. */
		for (unsigned i = 0; i < size && off + i < FWCFG_PORT_COUNT; i++) {
			unsigned k = (unsigned)(off - FWCFG_PORT_DMA) + i;
			v |= ((FWCFG_DMA_SIGNATURE >> (56 - 8 * k)) & 0xFF) << (8 * i);
		}
	}
	pthread_mutex_unlock(&f->lock);
	return v;
}

static void fwcfg_port_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct fwcfg *f = opaque;
	pthread_mutex_lock(&f->lock);
	if (off == FWCFG_PORT_CTL) {
		fwcfg_select(f, (uint16_t)val);
	} else if (off >= FWCFG_PORT_DMA) {
		/* Port order is the register's big-endian byte order. */
		bool low = false;
		for (unsigned i = 0; i < size && off + i < FWCFG_PORT_COUNT; i++) {
			unsigned k = (unsigned)(off - FWCFG_PORT_DMA) + i;
			f->dma[k] = (uint8_t)(val >> (8 * i));
			low |= k >= 4;
		}
		if (low)
			fwcfg_dma_start(f);
	}
	/* Data port writes are ignored (QEMU 2.4+: writes only through DMA). */
	pthread_mutex_unlock(&f->lock);
}

const struct bus_ops fwcfg_bus_ops = {.read = fwcfg_port_read, .write = fwcfg_port_write};
