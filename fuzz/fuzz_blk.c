/*
 * fuzz_blk.c - libFuzzer target for the virtio-blk request parser
 * (src/virtio/blkreq.c): hostile chains (any split of header, payload and
 * status, empty and overlapping buffers, any type, sector, length and
 * segment list) against random limits.  Checks what blk.c relies on: the
 * payload lies inside the chain's buffers, an accepted read or write lies
 * inside the disk, segments are within their limits, and the parser reads
 * and writes nothing else (ASan: the guest memory is an exact-size heap
 * block).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/blkreq.h"

#define ARENA  4096
#define MAXIOV 16

static void require(int cond)
{
	if (!cond)
		abort();
}

/* Is [p, p+n) inside one of the iovecs? */
static int inside(const struct iovec *iov, unsigned n, const uint8_t *p, size_t len)
{
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *b = iov[i].iov_base;
		if (p >= b && len <= iov[i].iov_len && (size_t)(p - b) <= iov[i].iov_len - len)
			return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	if (n < 12)
		return 0;
	struct blkreq_limits lim = {
	    .capacity = (uint64_t)d[0] << (d[1] & 63),
	    .readonly = d[2] & 1,
	    .discard = d[2] & 2,
	    .write_zeroes = d[2] & 4,
	    .max_discard_sectors = (uint32_t)d[3] << 8,
	    .max_discard_seg = d[4] % 40,
	    .max_write_zeroes_sectors = (uint32_t)d[5] << 8,
	    .max_write_zeroes_seg = d[6] % 40,
	};
	unsigned nout = d[7] % MAXIOV, nin = d[8] % MAXIOV;
	d += 9;
	n -= 9;
	/* The rest: 4 bytes per iovec (offset, length into the arena), then
	 * the arena's contents. */
	if (n < 4u * (nout + nin))
		return 0;
	uint8_t *arena = malloc(ARENA);
	size_t fill = n - 4u * (nout + nin) < ARENA ? n - 4u * (nout + nin) : ARENA;
	memset(arena, 0, ARENA);
	memcpy(arena, d + 4u * (nout + nin), fill);
	struct iovec out[MAXIOV], in[MAXIOV], data[2 * MAXIOV];
	for (unsigned i = 0; i < nout + nin; i++) {
		unsigned off = (d[4 * i] | d[4 * i + 1] << 8) % ARENA;
		unsigned len = (d[4 * i + 2] | d[4 * i + 3] << 8) % (ARENA - off + 1);
		struct iovec v = {arena + off, len};
		if (i < nout)
			out[i] = v;
		else
			in[i - nout] = v;
	}
	struct blkreq r;
	uint8_t st = blkreq_parse(out, nout, in, nin, &lim, data, &r);
	require(st == VIRTIO_BLK_S_OK || st == VIRTIO_BLK_S_IOERR || st == VIRTIO_BLK_S_UNSUPP);
	if (r.status)
		require(inside(in, nin, r.status, 1));
	uint64_t sum = 0;
	for (unsigned i = 0; i < r.ndata; i++) {
		sum += r.data[i].iov_len;
		int src = r.type == VIRTIO_BLK_T_IN || r.type == VIRTIO_BLK_T_GET_ID;
		require(inside(src ? in : out, src ? nin : nout, r.data[i].iov_base,
			       r.data[i].iov_len));
	}
	require(r.ndata <= nout + nin);
	if (st == VIRTIO_BLK_S_OK) {
		require(sum == r.len);
		switch (r.type) {
		case VIRTIO_BLK_T_OUT:
			require(!lim.readonly);
			/* fall through */
		case VIRTIO_BLK_T_IN:
			require(r.len % 512 == 0);
			require(r.sector <= lim.capacity && r.len / 512 <= lim.capacity - r.sector);
			break;
		case VIRTIO_BLK_T_DISCARD:
		case VIRTIO_BLK_T_WRITE_ZEROES: {
			int dis = r.type == VIRTIO_BLK_T_DISCARD;
			require(!lim.readonly && (dis ? lim.discard : lim.write_zeroes));
			require(r.nsegs >= 1 &&
				r.nsegs <= (dis ? lim.max_discard_seg : lim.max_write_zeroes_seg));
			for (unsigned i = 0; i < r.nsegs; i++) {
				require(r.segs[i].sectors <= (dis ? lim.max_discard_sectors
								  : lim.max_write_zeroes_sectors));
				require(r.segs[i].sector <= lim.capacity &&
					r.segs[i].sectors <= lim.capacity - r.segs[i].sector);
				require(!(dis && r.segs[i].unmap));
			}
			break;
		}
		case VIRTIO_BLK_T_GET_ID:
			require(blkreq_put_id(&r, "fuzz-serial") <= VIRTIO_BLK_ID_BYTES);
			break;
		case VIRTIO_BLK_T_FLUSH:
			break;
		default:
			require(0);
		}
	}
	free(arena);
	return 0;
}
