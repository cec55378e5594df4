/*
 * test_blkreq.c - the virtio-blk request parser against the virtio 1.2
 * specification (5.2.6, 5.2.6.1, 5.2.6.2): the header, payload and status
 * wherever the driver splits them, range checks at the capacity's edge and
 * at 2^64, IOERR for writes to a read-only device, UNSUPP for unknown types,
 * features not negotiated, unknown segment flags and unmap on a discard,
 * segment limits, and the GET_ID string's padding.
 */
#include "virtio/blkreq.h"
#include "util.h"
#include "t.h"

static const struct blkreq_limits lim = {
    .capacity = 1000,
    .discard = true,
    .write_zeroes = true,
    .max_discard_sectors = 64,
    .max_discard_seg = 2,
    .max_write_zeroes_sectors = 64,
    .max_write_zeroes_seg = 2,
};

static void hdr(uint8_t *h, uint32_t type, uint64_t sector)
{
	memset(h, 0, 16);
	for (int i = 0; i < 4; i++)
		h[i] = (uint8_t)(type >> (8 * i));
	for (int i = 0; i < 8; i++)
		h[8 + i] = (uint8_t)(sector >> (8 * i));
}

static void seg(uint8_t *p, uint64_t sector, uint32_t n, uint32_t flags)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(sector >> (8 * i));
	for (int i = 0; i < 4; i++) {
		p[8 + i] = (uint8_t)(n >> (8 * i));
		p[12 + i] = (uint8_t)(flags >> (8 * i));
	}
}

/* A read of 2 sectors with the header split 3 + 13 over two descriptors
 * and the payload + status sharing one buffer: no framing assumptions. */
static void test_read_any_layout(void)
{
	uint8_t h[16], buf[1025];
	hdr(h, VIRTIO_BLK_T_IN, 998);
	struct iovec out[2] = {{h, 3}, {h + 3, 13}};
	struct iovec in[2] = {{buf, 700}, {buf + 700, 325}};
	struct iovec data[4];
	struct blkreq r;
	T_EQ(blkreq_parse(out, 2, in, 2, &lim, data, &r), VIRTIO_BLK_S_OK);
	T_EQ(r.type, VIRTIO_BLK_T_IN);
	T_EQ(r.sector, 998);
	T_EQ(r.len, 1024);
	T_CHECK(r.status == buf + 1024, "status is not the last writable byte");
	T_EQ(r.ndata, 2);
	T_CHECK(r.data[0].iov_base == buf && r.data[0].iov_len == 700 &&
		    r.data[1].iov_base == buf + 700 && r.data[1].iov_len == 324,
		"payload iovecs wrong");
	/* One sector further is beyond the capacity. */
	hdr(h, VIRTIO_BLK_T_IN, 999);
	T_EQ(blkreq_parse(out, 2, in, 2, &lim, data, &r), VIRTIO_BLK_S_IOERR);
	/* A sector near 2^64 must not wrap into range. */
	hdr(h, VIRTIO_BLK_T_IN, ~0ull - 1);
	T_EQ(blkreq_parse(out, 2, in, 2, &lim, data, &r), VIRTIO_BLK_S_IOERR);
	/* A length off the 512-byte unit. */
	hdr(h, VIRTIO_BLK_T_IN, 0);
	struct iovec odd[1] = {{buf, 600}};
	T_EQ(blkreq_parse(out, 2, odd, 1, &lim, data, &r), VIRTIO_BLK_S_IOERR);
}

static void test_write_and_readonly(void)
{
	uint8_t h[16], payload[512], st;
	hdr(h, VIRTIO_BLK_T_OUT, 10);
	struct iovec out[2] = {{h, 16}, {payload, 512}};
	struct iovec in[1] = {{&st, 1}};
	struct iovec data[3];
	struct blkreq r;
	T_EQ(blkreq_parse(out, 2, in, 1, &lim, data, &r), VIRTIO_BLK_S_OK);
	T_EQ(r.len, 512);
	T_CHECK(r.ndata == 1 && r.data[0].iov_base == payload, "payload is not the out buffer");
	T_CHECK(r.status == &st, "status");
	/* 5.2.6.2: VIRTIO_BLK_F_RO offered -> IOERR for a write. */
	struct blkreq_limits ro = lim;
	ro.readonly = true;
	T_EQ(blkreq_parse(out, 2, in, 1, &ro, data, &r), VIRTIO_BLK_S_IOERR);
	/* A read-only device still reads and flushes. */
	hdr(h, VIRTIO_BLK_T_FLUSH, 0);
	T_EQ(blkreq_parse(out, 1, in, 1, &ro, data, &r), VIRTIO_BLK_S_OK);
	/* The header split with the payload in the same descriptor. */
	uint8_t both[16 + 512];
	hdr(both, VIRTIO_BLK_T_OUT, 999);
	struct iovec one[1] = {{both, sizeof(both)}};
	T_EQ(blkreq_parse(one, 1, in, 1, &lim, data, &r), VIRTIO_BLK_S_OK);
	T_CHECK(r.ndata == 1 && r.data[0].iov_base == both + 16 && r.data[0].iov_len == 512,
		"payload after the header in one buffer");
}

static void test_malformed(void)
{
	uint8_t h[16], st = 0xee;
	struct iovec in[1] = {{&st, 1}};
	struct iovec data[4];
	struct blkreq r;
	/* A header shorter than 16 bytes. */
	hdr(h, VIRTIO_BLK_T_IN, 0);
	struct iovec shorth[1] = {{h, 15}};
	T_EQ(blkreq_parse(shorth, 1, in, 1, &lim, data, &r), VIRTIO_BLK_S_IOERR);
	T_CHECK(r.status == &st, "status still found");
	/* No writable byte at all: nowhere to report. */
	struct iovec out[1] = {{h, 16}};
	T_EQ(blkreq_parse(out, 1, NULL, 0, &lim, data, &r), VIRTIO_BLK_S_IOERR);
	T_CHECK(r.status == NULL, "a status without a writable buffer");
	/* Zero-length trailing descriptors do not hold the status. */
	struct iovec in2[2] = {{&st, 1}, {h, 0}};
	hdr(h, VIRTIO_BLK_T_FLUSH, 0);
	T_EQ(blkreq_parse(out, 1, in2, 2, &lim, data, &r), VIRTIO_BLK_S_OK);
	T_CHECK(r.status == &st, "status skipped the empty buffer");
	/* Unknown types, GET_LIFETIME (10) and SECURE_ERASE (14) are not offered. */
	static const uint32_t unsupp[] = {2, 3, 5, 10, 14, 15, 0x80000000u};
	for (size_t i = 0; i < ARRAY_SIZE(unsupp); i++) {
		hdr(h, unsupp[i], 0);
		T_EQ(blkreq_parse(out, 1, in, 1, &lim, data, &r), VIRTIO_BLK_S_UNSUPP);
	}
}

static void test_discard_write_zeroes(void)
{
	uint8_t h[16], segs[3 * 16], st;
	struct iovec in[1] = {{&st, 1}};
	struct iovec data[4];
	struct blkreq r;
	hdr(h, VIRTIO_BLK_T_DISCARD, 0);
	seg(segs, 8, 16, 0);
	seg(segs + 16, 990, 10, 0);
	/* Segments split across descriptors at an odd byte. */
	struct iovec out[3] = {{h, 16}, {segs, 5}, {segs + 5, 27}};
	T_EQ(blkreq_parse(out, 3, in, 1, &lim, data, &r), VIRTIO_BLK_S_OK);
	T_EQ(r.nsegs, 2);
	T_EQ(r.segs[0].sector, 8);
	T_EQ(r.segs[0].sectors, 16);
	T_EQ(r.segs[1].sector, 990);
	T_EQ(r.segs[1].sectors, 10);
	/* Past the end, over the per-segment limit, too many segments, a
	 * length not a multiple of 16: IOERR. */
	seg(segs + 16, 991, 10, 0);
	T_EQ(blkreq_parse(out, 3, in, 1, &lim, data, &r), VIRTIO_BLK_S_IOERR);
	seg(segs + 16, 0, 65, 0);
	T_EQ(blkreq_parse(out, 3, in, 1, &lim, data, &r), VIRTIO_BLK_S_IOERR);
	seg(segs + 16, 0, 1, 0);
	seg(segs + 32, 0, 1, 0);
	struct iovec three[2] = {{h, 16}, {segs, 48}};
	T_EQ(blkreq_parse(three, 2, in, 1, &lim, data, &r), VIRTIO_BLK_S_IOERR);
	struct iovec ragged[2] = {{h, 16}, {segs, 20}};
	T_EQ(blkreq_parse(ragged, 2, in, 1, &lim, data, &r), VIRTIO_BLK_S_IOERR);
	/* 5.2.6.2: unmap on a discard, or any unknown flag: UNSUPP. */
	seg(segs, 8, 16, BLKREQ_SEG_UNMAP);
	T_EQ(blkreq_parse(out, 3, in, 1, &lim, data, &r), VIRTIO_BLK_S_UNSUPP);
	hdr(h, VIRTIO_BLK_T_WRITE_ZEROES, 0);
	T_EQ(blkreq_parse(out, 3, in, 1, &lim, data, &r), VIRTIO_BLK_S_OK);
	T_EQ(r.segs[0].unmap, 1);
	seg(segs, 8, 16, 2);
	T_EQ(blkreq_parse(out, 3, in, 1, &lim, data, &r), VIRTIO_BLK_S_UNSUPP);
	/* Not negotiated: UNSUPP; read-only: IOERR. */
	struct blkreq_limits no = lim;
	no.write_zeroes = no.discard = false;
	seg(segs, 8, 16, 0);
	T_EQ(blkreq_parse(out, 3, in, 1, &no, data, &r), VIRTIO_BLK_S_UNSUPP);
	struct blkreq_limits ro = lim;
	ro.readonly = true;
	T_EQ(blkreq_parse(out, 3, in, 1, &ro, data, &r), VIRTIO_BLK_S_IOERR);
}

/* 5.2.6: "a NUL-padded ASCII string up to 20 bytes long; if the string is
 * 20 bytes long then there is no NUL terminator." */
static void test_get_id(void)
{
	uint8_t h[16], id[21];
	hdr(h, VIRTIO_BLK_T_GET_ID, 0);
	struct iovec out[1] = {{h, 16}};
	struct iovec in[2] = {{id, 7}, {id + 7, 14}};
	struct iovec data[3];
	struct blkreq r;
	memset(id, 0xff, sizeof(id));
	T_EQ(blkreq_parse(out, 1, in, 2, &lim, data, &r), VIRTIO_BLK_S_OK);
	T_EQ(r.len, 20);
	T_EQ(blkreq_put_id(&r, "SN-42"), 20);
	T_EQ(memcmp(id, "SN-42\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20), 0);
	T_EQ(id[20], 0xff); /* the status byte is not the ID's */
	T_EQ(blkreq_put_id(&r, "ABCDEFGHIJKLMNOPQRST"), 20);
	T_EQ(memcmp(id, "ABCDEFGHIJKLMNOPQRST", 20), 0);
	T_EQ(id[20], 0xff);
	/* A smaller buffer gets what fits. */
	struct iovec small[1] = {{id, 9}};
	T_EQ(blkreq_parse(out, 1, small, 1, &lim, data, &r), VIRTIO_BLK_S_OK);
	T_EQ(blkreq_put_id(&r, "SN-42"), 8);
}

int main(void)
{
	T_RUN(test_read_any_layout);
	T_RUN(test_write_and_readonly);
	T_RUN(test_malformed);
	T_RUN(test_discard_write_zeroes);
	T_RUN(test_get_id);
	T_EXIT();
}
