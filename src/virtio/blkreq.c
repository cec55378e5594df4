/*
 * virtio/blkreq.c - a virtio-blk request taken apart and checked (virtio 1.2,
 * 5.2.6).  The driver may split the header, payload and status over
 * descriptors any way it likes (no framing assumptions in 1.x), so every
 * part is gathered from the iovecs rather than expected in one of them.
 */
#include <string.h>

#include "iov.h"
#include "virtio/blkreq.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* The iovecs of [skip, skip + len) of iov into data; returns how many. */
static unsigned slice(const struct iovec *iov, unsigned niov, uint64_t skip, uint64_t len,
		      struct iovec *data)
{
	unsigned n = 0;
	for (unsigned i = 0; i < niov && len; i++) {
		uint64_t l = iov[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		uint64_t k = l - skip < len ? l - skip : len;
		if (k)
			data[n++] = (struct iovec){(uint8_t *)iov[i].iov_base + skip, (size_t)k};
		len -= k;
		skip = 0;
	}
	return n;
}

/* [sector, sector + sectors) inside the disk, without overflow. */
static bool in_range(uint64_t sector, uint64_t sectors, uint64_t capacity)
{
	return sector <= capacity && sectors <= capacity - sector;
}

static uint8_t parse_segs(struct blkreq *r, const struct blkreq_limits *lim)
{
	bool discard = r->type == VIRTIO_BLK_T_DISCARD;
	uint32_t max_seg = discard ? lim->max_discard_seg : lim->max_write_zeroes_seg;
	uint32_t max_sectors = discard ? lim->max_discard_sectors : lim->max_write_zeroes_sectors;
	if (max_seg > BLKREQ_MAX_SEGS)
		max_seg = BLKREQ_MAX_SEGS;
	if (r->len == 0 || r->len % BLKREQ_SEG_BYTES || r->len / BLKREQ_SEG_BYTES > max_seg)
		return VIRTIO_BLK_S_IOERR;
	uint8_t raw[BLKREQ_MAX_SEGS * BLKREQ_SEG_BYTES];
	iov_to_buf(r->data, r->ndata, 0, raw, (size_t)r->len);
	r->nsegs = (unsigned)(r->len / BLKREQ_SEG_BYTES);
	for (unsigned i = 0; i < r->nsegs; i++) {
		const uint8_t *p = raw + i * BLKREQ_SEG_BYTES;
		uint32_t flags = le32(p + 12);
		/* Unknown flags, or unmap on a discard: UNSUPP (5.2.6.2). */
		if ((flags & ~BLKREQ_SEG_UNMAP) || (discard && flags))
			return VIRTIO_BLK_S_UNSUPP;
		r->segs[i] = (struct blkreq_seg){
		    .sector = le64(p), .sectors = le32(p + 8), .unmap = flags & BLKREQ_SEG_UNMAP};
		if (r->segs[i].sectors > max_sectors ||
		    !in_range(r->segs[i].sector, r->segs[i].sectors, lim->capacity))
			return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

uint8_t blkreq_parse(const struct iovec *out, unsigned nout, const struct iovec *in, unsigned nin,
		     const struct blkreq_limits *lim, struct iovec *data, struct blkreq *r)
{
	*r = (struct blkreq){.data = data};
	/* The status byte: the last byte of the device-writable part. */
	uint64_t in_len = iov_bytes(in, nin);
	for (unsigned i = nin; i-- > 0 && !r->status;)
		if (in[i].iov_len)
			r->status = (uint8_t *)in[i].iov_base + in[i].iov_len - 1;
	uint8_t hdr[BLKREQ_HDR_BYTES];
	if (iov_to_buf(out, nout, 0, hdr, sizeof(hdr)) < sizeof(hdr))
		return VIRTIO_BLK_S_IOERR;
	r->type = le32(hdr);
	r->sector = le64(hdr + 8);
	uint64_t out_len = iov_bytes(out, nout);

	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_GET_ID:
		if (!in_len)
			return VIRTIO_BLK_S_IOERR;
		r->len = in_len - 1;
		r->ndata = slice(in, nin, 0, r->len, data);
		break;
	case VIRTIO_BLK_T_OUT:
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		r->len = out_len - BLKREQ_HDR_BYTES;
		r->ndata = slice(out, nout, BLKREQ_HDR_BYTES, r->len, data);
		break;
	case VIRTIO_BLK_T_FLUSH:
		break;
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}

	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		if (r->type == VIRTIO_BLK_T_OUT && lim->readonly)
			return VIRTIO_BLK_S_IOERR; /* 5.2.6.2: MUST, and write nothing */
		if (r->len % 512 || !in_range(r->sector, r->len / 512, lim->capacity))
			return VIRTIO_BLK_S_IOERR;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_DISCARD:
		if (!lim->discard)
			return VIRTIO_BLK_S_UNSUPP;
		return lim->readonly ? VIRTIO_BLK_S_IOERR : parse_segs(r, lim);
	case VIRTIO_BLK_T_WRITE_ZEROES:
		if (!lim->write_zeroes)
			return VIRTIO_BLK_S_UNSUPP;
		return lim->readonly ? VIRTIO_BLK_S_IOERR : parse_segs(r, lim);
	}
	return VIRTIO_BLK_S_OK; /* FLUSH, GET_ID */
}

uint32_t blkreq_put_id(const struct blkreq *r, const char *serial)
{
	uint8_t id[VIRTIO_BLK_ID_BYTES] = {0};
	size_t n = strnlen(serial, VIRTIO_BLK_ID_BYTES);
	memcpy(id, serial, n);
	uint64_t len = r->len < sizeof(id) ? r->len : sizeof(id);
	uint64_t put = 0;
	for (unsigned i = 0; i < r->ndata && put < len; i++) {
		size_t k =
		    r->data[i].iov_len < len - put ? r->data[i].iov_len : (size_t)(len - put);
		memcpy(r->data[i].iov_base, id + put, k);
		put += k;
	}
	return (uint32_t)put;
}
