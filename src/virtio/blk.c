/*
 * virtio/blk.c - virtio-blk (virtio 1.2, 5.2) on the block backend.  The
 * vCPU thread's part is a notification (an eventfd write); the drive's I/O
 * thread pops requests, takes them apart (blkreq.c), runs reads, writes and
 * flushes through io_uring and discards and write-zeroes as fallocate calls,
 * and completes each when its I/O has: a completed write is in the host's
 * page cache (so SIGKILL of ember loses nothing the guest saw completed) and
 * a completed flush is on the disk (fdatasync; cache=unsafe: not).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"
#include "util.h"
#include "virtio/blk.h"
#include "virtio/blkreq.h"
#include "virtio/virtio.h"

#define BLK_QUEUE_SIZE 256
/* Largest discard / write-zeroes segment offered: 2 GiB. */
#define BLK_MAX_DISCARD_SECTORS (1u << 22)
#define BLK_CONFIG_LEN		60 /* through write_zeroes_may_unmap and its padding */

/* A request from pop to push. */
struct blk_slot {
	struct virtio_blk *b;
	struct virtq_req vq;
	struct blkreq r;
	struct iovec data[VIRTQ_MAX_SEGS];
	struct blk_io io;
	struct blk_slot *next; /* free list */
};

struct virtio_blk {
	struct virtio_dev *dev;
	struct blk_image img;
	struct blk_iothread *io;
	char serial[BLK_SERIAL_MAX + 1];
	uint8_t config[BLK_CONFIG_LEN];
	struct blkreq_limits lim; /* discard/write_zeroes as negotiated: set at driver_ok */
	struct blk_slot *free;	  /* I/O thread only */
};

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* struct virtio_blk_config (5.2.4), little-endian. */
static void blk_build_config(struct virtio_blk *b)
{
	uint8_t *c = b->config;
	put64(c + 0, b->lim.capacity);
	put32(c + 12, VIRTQ_MAX_SEGS - 2); /* seg_max: the header and status take two */
	put32(c + 20, b->img.off_align);   /* blk_size: O_DIRECT's unit with cache=none */
	put32(c + 36, BLK_MAX_DISCARD_SECTORS);
	put32(c + 40, BLKREQ_MAX_SEGS);
	put32(c + 44, 4096 / 512); /* discard_sector_alignment: a file system block */
	put32(c + 48, BLK_MAX_DISCARD_SECTORS);
	put32(c + 52, BLKREQ_MAX_SEGS);
	c[56] = 1; /* write_zeroes_may_unmap */
}

static void blk_config_read(void *opaque, unsigned off, void *buf, unsigned len)
{
	struct virtio_blk *b = opaque;
	memset(buf, 0, len);
	if (off < sizeof(b->config))
		memcpy(buf, b->config + off,
		       len < sizeof(b->config) - off ? len : sizeof(b->config) - off);
}

static void blk_notify(void *opaque, unsigned q)
{
	struct virtio_blk *b = opaque;
	blk_iothread_notify(b->io);
}

static struct blk_slot *blk_slot_get(struct virtio_blk *b)
{
	struct blk_slot *s = b->free;
	if (s) {
		b->free = s->next;
		return s;
	}
	s = malloc(sizeof(*s));
	if (s)
		s->b = b;
	return s;
}

static void blk_slot_put(struct virtio_blk *b, struct blk_slot *s)
{
	s->next = b->free;
	b->free = s;
}

/* Status into the chain's last byte and the chain back to the driver.  The
 * used length is all of the writable part: the status byte is its end. */
static void blk_complete(struct blk_slot *s, uint8_t status)
{
	struct virtio_blk *b = s->b;
	*s->r.status = status;
	virtq_push(b->dev, 0, &s->vq, (uint32_t)s->vq.in_len);
	blk_slot_put(b, s);
}

static void blk_io_done(struct blk_io *io)
{
	struct blk_slot *s = io->opaque;
	blk_complete(s, io->result ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK);
}

/* Discard / write-zeroes: each segment in turn, on this thread. */
static uint8_t blk_segments(struct virtio_blk *b, const struct blkreq *r)
{
	for (unsigned i = 0; i < r->nsegs; i++) {
		uint64_t off = r->segs[i].sector * 512, len = (uint64_t)r->segs[i].sectors * 512;
		int e = r->type == VIRTIO_BLK_T_DISCARD
			    ? blk_image_discard(&b->img, off, len)
			    : blk_image_write_zeroes(&b->img, off, len, r->segs[i].unmap);
		if (e < 0)
			return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

static void blk_start(struct virtio_blk *b, struct blk_slot *s)
{
	struct blkreq *r = &s->r;
	struct virtq_req *vq = &s->vq;
	uint8_t st = blkreq_parse(vq->out, vq->nout, vq->in, vq->nin, &b->lim, s->data, r);
	if (!r->status) {
		/* Nowhere to say how it went: a broken driver. */
		virtio_dev_broken(b->dev, "virtio-blk: a request without a status byte");
		blk_slot_put(b, s);
		return;
	}
	if (st != VIRTIO_BLK_S_OK) {
		blk_complete(s, st);
		return;
	}
	s->io = (struct blk_io){.off = r->sector * 512,
				.len = r->len,
				.iov = r->data,
				.niov = r->ndata,
				.done = blk_io_done,
				.opaque = s};
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		s->io.op = r->type == VIRTIO_BLK_T_IN ? BLK_READ : BLK_WRITE;
		blk_iothread_submit(b->io, &s->io);
		return;
	case VIRTIO_BLK_T_FLUSH:
		s->io.op = BLK_FLUSH;
		blk_iothread_submit(b->io, &s->io);
		return;
	case VIRTIO_BLK_T_GET_ID:
		blkreq_put_id(r, b->serial);
		blk_complete(s, VIRTIO_BLK_S_OK);
		return;
	default: /* DISCARD, WRITE_ZEROES */
		blk_complete(s, blk_segments(b, r));
		return;
	}
}

/* I/O thread: after a notification and after each batch of completions. */
static void blk_process(void *opaque)
{
	struct virtio_blk *b = opaque;
	while (blk_iothread_has_room(b->io)) {
		struct blk_slot *s = blk_slot_get(b);
		if (!s)
			break; /* out of memory: the requests wait in the ring */
		if (virtq_pop(b->dev, 0, &s->vq) <= 0) {
			blk_slot_put(b, s);
			break;
		}
		blk_start(b, s);
	}
	virtq_kick_guest(b->dev, 0);
}

static void blk_driver_ok(void *opaque)
{
	struct virtio_blk *b = opaque;
	uint64_t f = virtio_negotiated(b->dev);
	/* Before the first notification: the I/O thread reads it after the
	 * eventfd, which orders the two. */
	b->lim.discard = f & (1ull << VIRTIO_BLK_F_DISCARD);
	b->lim.write_zeroes = f & (1ull << VIRTIO_BLK_F_WRITE_ZEROES);
}

/* The queue is already stopped; what is in flight may still write guest
 * memory until it completes, so wait for it (its pushes are dropped). */
static void blk_reset(void *opaque)
{
	struct virtio_blk *b = opaque;
	blk_iothread_pause(b->io);
	blk_iothread_resume(b->io);
}

static void blk_destroy(void *opaque)
{
	struct virtio_blk *b = opaque;
	blk_iothread_destroy(b->io); /* what is in flight finishes first */
	blk_image_close(&b->img);    /* power-off: fdatasync in every cache mode */
	while (b->free) {
		struct blk_slot *s = b->free;
		b->free = s->next;
		free(s);
	}
	free(b);
}

static const struct virtio_dev_ops blk_ops_rw = {
    .features = 1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_BLK_SIZE |
		1ull << VIRTIO_BLK_F_FLUSH | 1ull << VIRTIO_BLK_F_DISCARD |
		1ull << VIRTIO_BLK_F_WRITE_ZEROES,
    .config_len = BLK_CONFIG_LEN,
    .config_read = blk_config_read,
    .queue_notify = blk_notify,
    .reset = blk_reset,
    .driver_ok = blk_driver_ok,
    .destroy = blk_destroy,
};

/* Read-only: RO, and no discard or write-zeroes to offer. */
static const struct virtio_dev_ops blk_ops_ro = {
    .features = 1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_BLK_SIZE |
		1ull << VIRTIO_BLK_F_FLUSH | 1ull << VIRTIO_BLK_F_RO,
    .config_len = BLK_CONFIG_LEN,
    .config_read = blk_config_read,
    .queue_notify = blk_notify,
    .reset = blk_reset,
    .driver_ok = blk_driver_ok,
    .destroy = blk_destroy,
};

int virtio_blk_create(struct vm *vm, const struct blk_options *o)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	if (!b)
		return ember_error(-ENOMEM, "virtio-blk: out of memory");
	int r = blk_image_open(&b->img, o);
	if (r < 0) {
		blk_image_close(&b->img);
		free(b);
		return r;
	}
	memcpy(b->serial, o->serial, sizeof(b->serial));
	b->lim = (struct blkreq_limits){
	    .capacity = b->img.size / 512, /* a partial last sector is not seen */
	    .readonly = o->readonly,
	    .max_discard_sectors = BLK_MAX_DISCARD_SECTORS,
	    .max_discard_seg = BLKREQ_MAX_SEGS,
	    .max_write_zeroes_sectors = BLK_MAX_DISCARD_SECTORS,
	    .max_write_zeroes_seg = BLKREQ_MAX_SEGS,
	};
	blk_build_config(b);
	/* From here on blk_destroy owns b, whatever happens. */
	struct virtio_dev *dev =
	    virtio_pci_create(vm, "virtio-blk", VIRTIO_ID_BLOCK, 1, BLK_QUEUE_SIZE,
			      o->readonly ? &blk_ops_ro : &blk_ops_rw, b);
	if (!dev)
		return -EINVAL;
	r = blk_iothread_create(&b->io, &b->img, true, blk_process, b);
	if (r < 0)
		return ember_error(r, "%s: cannot start its I/O thread: %s", o->file, strerror(-r));
	b->dev = dev;
	return 0;
}
