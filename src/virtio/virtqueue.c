/*
 * virtio/virtqueue.c - the split virtqueue walker (virtio 1.2, 2.7): the
 * available ring to descriptor chains (direct and indirect) as host iovecs,
 * the used ring, and the interrupt decision (event index or the
 * NO_INTERRUPT flag).  Knows nothing of PCI or the VM: guest memory is a
 * dma_space, so tests and the fuzzer run it on a fake guest RAM.
 *
 * Every guest structure is translated through dma_ptr (all of it in one RAM
 * region) each time it is used, and every descriptor is copied once before
 * it is checked, so a driver changing the ring under the device cannot make
 * it use an unchecked value.  Ring fields are little-endian, as the host
 * (x86-64) is.
 */
#include <errno.h>
#include <string.h>

#include "dma.h"
#include "iov.h"
#include "virtio/virtio.h"

#define VIRTQ_DESC_F_NEXT	1
#define VIRTQ_DESC_F_WRITE	2
#define VIRTQ_DESC_F_INDIRECT	4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* Ring sizes with the event fields (used_event, avail_event) included. */
static uint64_t virtq_avail_bytes(const struct virtq *vq)
{
	return 6 + 2ULL * vq->size;
}

static uint64_t virtq_used_bytes(const struct virtq *vq)
{
	return 6 + 8ULL * vq->size;
}

bool virtq_layout_ok(const struct dma_space *dma, const struct virtq *vq)
{
	if (!vq->size || (vq->size & (vq->size - 1)) || vq->size > 32768)
		return false;
	if ((vq->desc & 15) || (vq->avail & 1) || (vq->used & 3))
		return false;
	return dma_ptr(dma, vq->desc, 16ULL * vq->size) &&
	       dma_ptr(dma, vq->avail, virtq_avail_bytes(vq)) &&
	       dma_ptr(dma, vq->used, virtq_used_bytes(vq));
}

static uint16_t *virtq_avail(const struct dma_space *dma, const struct virtq *vq)
{
	return (vq->avail & 1) ? NULL : dma_ptr(dma, vq->avail, virtq_avail_bytes(vq));
}

static uint16_t *virtq_used(const struct dma_space *dma, const struct virtq *vq)
{
	return (vq->used & 3) ? NULL : dma_ptr(dma, vq->used, virtq_used_bytes(vq));
}

/* The chain's buffers into req; -EINVAL with *why on a malformed chain. */
static int virtq_chain(const struct dma_space *dma, const struct virtq *vq, uint16_t head,
		       struct virtq_req *req, const char **why)
{
	uint64_t table = vq->desc;
	unsigned tsize = vq->size, idx = head, visited = 0;
	bool indirect = false;
	const uint8_t *tp = dma_ptr(dma, table, 16ULL * tsize);
	unsigned n = 0, nout = 0;
	req->out_len = req->in_len = 0;
	if (!tp || (table & 15)) {
		*why = "descriptor table outside guest RAM";
		return -EINVAL;
	}
	for (;;) {
		if (visited++ >= tsize) {
			*why = indirect ? "indirect chain loops or exceeds its table"
					: "descriptor chain loops or exceeds the queue size";
			return -EINVAL;
		}
		struct virtq_desc d;
		memcpy(&d, tp + 16ULL * idx, sizeof(d)); /* once: the driver may change it */
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (!vq->indirect) {
				*why = "indirect descriptor without VIRTIO_RING_F_INDIRECT_DESC";
				return -EINVAL;
			}
			if (indirect) {
				*why = "indirect table inside an indirect table";
				return -EINVAL;
			}
			if (d.flags & VIRTQ_DESC_F_NEXT) {
				*why = "indirect descriptor with NEXT";
				return -EINVAL;
			}
			if (!d.len || d.len % 16 || d.len / 16 > VIRTQ_MAX_SEGS) {
				*why = "indirect table length not a multiple of 16 in 16-4096";
				return -EINVAL;
			}
			tp = dma_ptr(dma, d.addr, d.len);
			if (!tp) {
				*why = "indirect table outside guest RAM";
				return -EINVAL;
			}
			indirect = true;
			tsize = d.len / 16;
			idx = 0;
			visited = 0;
			continue;
		}
		if (d.len) {
			bool w = d.flags & VIRTQ_DESC_F_WRITE;
			void *p = dma_ptr(dma, d.addr, d.len);
			if (!p) {
				*why = "buffer outside guest RAM";
				return -EINVAL;
			}
			if (!w && n != nout) {
				*why = "device-readable buffer after a writable one";
				return -EINVAL;
			}
			if (n == VIRTQ_MAX_SEGS) {
				*why = "chain of more than VIRTQ_MAX_SEGS buffers";
				return -EINVAL;
			}
			req->iov[n] = (struct iovec){p, d.len};
			if (w) {
				req->in_gpa[n - nout] = d.addr;
				req->in_len += d.len;
			} else {
				nout++;
				req->out_len += d.len;
			}
			n++;
		}
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		idx = d.next;
		if (idx >= tsize) {
			*why = "next descriptor index beyond the table";
			return -EINVAL;
		}
	}
	req->head = head;
	req->out = req->iov;
	req->nout = nout;
	req->in = req->iov + nout;
	req->nin = n - nout;
	return 1;
}

int virtq_walk(const struct dma_space *dma, struct virtq *vq, struct virtq_req *req,
	       const char **why)
{
	uint16_t *avail = virtq_avail(dma, vq);
	uint16_t *used = virtq_used(dma, vq);
	if (!vq->size || (vq->size & (vq->size - 1)) || !avail || !used) {
		*why = "rings outside guest RAM or misaligned, or a bad queue size";
		return -EINVAL;
	}
	uint16_t idx = __atomic_load_n(&avail[1], __ATOMIC_ACQUIRE);
	if (idx == vq->last_avail) {
		if (!vq->event_idx)
			return 0;
		/* Ask for a notification at the next entry, then look again: the
		 * driver may have added one before it saw avail_event. */
		__atomic_store_n(&used[2 + 4 * vq->size], idx, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		idx = __atomic_load_n(&avail[1], __ATOMIC_ACQUIRE);
		if (idx == vq->last_avail)
			return 0;
	}
	if ((uint16_t)(idx - vq->last_avail) > vq->size) {
		*why = "available index more than the queue size ahead";
		return -EINVAL;
	}
	uint16_t head = __atomic_load_n(&avail[2 + (vq->last_avail & (vq->size - 1))],
					__ATOMIC_RELAXED);
	if (head >= vq->size) {
		*why = "available ring names a descriptor beyond the queue";
		return -EINVAL;
	}
	int r = virtq_chain(dma, vq, head, req, why);
	if (r > 0)
		vq->last_avail++;
	return r;
}

void virtq_complete(const struct dma_space *dma, struct virtq *vq, const struct virtq_req *req,
		    uint32_t written)
{
	uint16_t *used = virtq_used(dma, vq);
	if (!used)
		return;
	if (written > req->in_len)
		written = (uint32_t)req->in_len;
	/* What the device wrote may be code the emulator decoded. */
	uint64_t left = written;
	for (unsigned i = 0; i < req->nin && left; i++) {
		uint64_t n = req->in[i].iov_len < left ? req->in[i].iov_len : left;
		dma_written(dma, req->in_gpa[i], n);
		left -= n;
	}
	uint32_t *elem = (uint32_t *)(used + 2) + 2 * (vq->used_idx & (vq->size - 1));
	__atomic_store_n(&elem[0], req->head, __ATOMIC_RELAXED);
	__atomic_store_n(&elem[1], written, __ATOMIC_RELAXED);
	vq->used_idx++;
	__atomic_store_n(&used[1], vq->used_idx, __ATOMIC_RELEASE);
}

bool virtq_should_interrupt(const struct dma_space *dma, struct virtq *vq)
{
	uint16_t *avail = virtq_avail(dma, vq);
	if (!avail)
		return false;
	uint16_t old = vq->signalled_used, now = vq->used_idx;
	bool valid = vq->signalled_valid;
	if (valid && old == now)
		return false; /* nothing new */
	vq->signalled_used = now;
	vq->signalled_valid = true;
	/* The used index store must be visible before the driver's wishes are
	 * read (the driver orders the other way round). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(__atomic_load_n(&avail[0], __ATOMIC_RELAXED) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	uint16_t event = __atomic_load_n(&avail[2 + vq->size], __ATOMIC_RELAXED);
	/* 2.7.10: interrupt when used_event lies in [old, now). */
	return !valid || (uint16_t)(now - event - 1) < (uint16_t)(now - old);
}

size_t virtq_read_out(const struct virtq_req *req, size_t off, void *buf, size_t len)
{
	return iov_to_buf(req->out, req->nout, off, buf, len);
}

size_t virtq_write_in(const struct virtq_req *req, size_t off, const void *buf, size_t len)
{
	return iov_from_buf(req->in, req->nin, off, buf, len);
}
