/*
 * virtio/blkreq.h - a virtio-blk request taken apart (virtio 1.2, 5.2.6):
 * which bytes of a descriptor chain are the header, the payload and the
 * status byte, and whether the device may carry it out.  Pure: no queue, no
 * backend, no guest memory beyond the iovecs it is given (blk.c runs the
 * result; fuzz/fuzz_blk.c feeds it hostile chains).
 */
#ifndef EMBER_VIRTIO_BLKREQ_H
#define EMBER_VIRTIO_BLKREQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

/* Request types, status values, feature bits (5.2.3, 5.2.6). */
#define VIRTIO_BLK_T_IN		  0
#define VIRTIO_BLK_T_OUT	  1
#define VIRTIO_BLK_T_FLUSH	  4
#define VIRTIO_BLK_T_GET_ID	  8
#define VIRTIO_BLK_T_DISCARD	  11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

#define VIRTIO_BLK_S_OK	    0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_F_SEG_MAX	  2
#define VIRTIO_BLK_F_RO		  5
#define VIRTIO_BLK_F_BLK_SIZE	  6
#define VIRTIO_BLK_F_FLUSH	  9
#define VIRTIO_BLK_F_DISCARD	  13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

#define VIRTIO_BLK_ID_BYTES 20
#define BLKREQ_HDR_BYTES    16 /* le32 type, le32 reserved, le64 sector */
#define BLKREQ_SEG_BYTES    16 /* le64 sector, le32 num_sectors, le32 flags */
#define BLKREQ_SEG_UNMAP    1u
#define BLKREQ_MAX_SEGS	    32 /* max_discard_seg and max_write_zeroes_seg offered */

/* What the device lets a driver ask for (its configuration space says so). */
struct blkreq_limits {
	uint64_t capacity;	    /* 512-byte sectors */
	bool readonly;		    /* VIRTIO_BLK_F_RO offered: writes fail */
	bool discard, write_zeroes; /* the features negotiated */
	uint32_t max_discard_sectors, max_discard_seg;
	uint32_t max_write_zeroes_sectors, max_write_zeroes_seg;
};

/* One discard / write-zeroes range, checked. */
struct blkreq_seg {
	uint64_t sector;
	uint32_t sectors;
	bool unmap;
};

struct blkreq {
	uint32_t type;
	uint64_t sector;
	uint8_t *status;    /* the chain's last writable byte; NULL if it has none */
	struct iovec *data; /* the payload: the caller's array, nout + nin entries */
	unsigned ndata;
	uint64_t len;				 /* payload bytes */
	struct blkreq_seg segs[BLKREQ_MAX_SEGS]; /* DISCARD / WRITE_ZEROES */
	unsigned nsegs;
};

/*
 * Take a chain apart (out: driver-readable buffers, in: device-writable
 * ones) and check it against the limits.  data must have room for
 * nout + nin entries.  Returns the status to complete the request with if
 * the device must not carry it out (IOERR: short header, a range beyond the
 * capacity, a length off the 512-byte unit, a write to a read-only disk,
 * malformed segments; UNSUPP: an unknown type, a feature not negotiated,
 * unknown flags), or VIRTIO_BLK_S_OK: then IN reads len bytes at sector
 * into data, OUT writes them, FLUSH flushes, GET_ID fills data, and
 * DISCARD / WRITE_ZEROES apply segs[0..nsegs).  With no status byte
 * (r->status NULL) nothing may be carried out either.
 */
uint8_t blkreq_parse(const struct iovec *out, unsigned nout, const struct iovec *in, unsigned nin,
		     const struct blkreq_limits *lim, struct iovec *data, struct blkreq *r);

/* Fill a GET_ID payload: the serial, NUL-padded to 20 bytes (no NUL at 20).
 * Returns the bytes written. */
uint32_t blkreq_put_id(const struct blkreq *r, const char *serial);

#endif
