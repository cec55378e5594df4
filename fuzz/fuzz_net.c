/*
 * fuzz/fuzz_net.c - libFuzzer target for virtio-net's transmit parser
 * (src/virtio/net_hdr.c): the input is what a driver puts in a transmit
 * chain, one byte of negotiated features, then the 12-byte header and the
 * frame.  Checks that nothing crashes or trips a sanitizer, and the
 * parser's promises: a frame it accepts is 14 bytes up to the MTU's; with
 * NEEDS_CSUM the completed range plus the pseudo-header sum the driver had
 * left in the field sums to 0xFFFF (RFC 1071: what a receiver checks, the
 * pseudo-header being its own); a refused frame is
 * left as it was; decode/encode round-trips the header.
 */
#include <stdlib.h>
#include <string.h>

#include "virtio/net_hdr.h"

static uint16_t sum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	for (size_t i = 0; i < len; i++)
		s += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
	while (s >> 16)
		s = (s & 0xFFFF) + (s >> 16);
	return (uint16_t)s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 + NET_HDR_LEN)
		return 0;
	uint64_t features = 0;
	if (data[0] & 1)
		features |= 1ULL << VIRTIO_NET_F_CSUM;
	if (data[0] & 2)
		features |= 1ULL << VIRTIO_NET_F_GUEST_CSUM;
	/* Bit 2: the largest MTU (--net user,mtu=65520), else Ethernet's. */
	size_t max = NET_FRAME_MAX(data[0] & 4 ? 65520 : 1500);
	struct net_hdr h;
	net_hdr_decode(data + 1, &h);
	uint8_t raw[NET_HDR_LEN];
	net_hdr_encode(&h, raw);
	if (memcmp(raw, data + 1, NET_HDR_LEN))
		abort();
	size_t len = size - 1 - NET_HDR_LEN;
	/* An exact-size heap copy: ASan sees any byte past the frame. */
	uint8_t *frame = malloc(len ? len : 1);
	uint8_t *copy = malloc(len ? len : 1);
	memcpy(frame, data + 1 + NET_HDR_LEN, len);
	memcpy(copy, frame, len);
	int r = net_hdr_tx(&h, frame, len, max, features);
	if (r == 0) {
		if (len < 14 || len > max)
			abort();
		if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
			size_t at = (size_t)h.csum_start + h.csum_offset;
			uint32_t s = sum(frame + h.csum_start, len - h.csum_start) +
				     (uint32_t)(copy[at] << 8 | copy[at + 1]);
			while (s >> 16)
				s = (s & 0xFFFF) + (s >> 16);
			if (s != 0xFFFF)
				abort();
		}
	} else if (memcmp(frame, copy, len)) {
		abort();
	}
	free(frame);
	free(copy);
	return 0;
}
