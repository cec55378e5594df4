/*
 * virtio/net_hdr.c - the virtio-net header and the transmit checks (see
 * net_hdr.h).  The checksum is RFC 1071's ones' complement sum.
 */
#include <errno.h>

#include "virtio/net_hdr.h"

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

void net_hdr_decode(const uint8_t raw[NET_HDR_LEN], struct net_hdr *h)
{
	h->flags = raw[0];
	h->gso_type = raw[1];
	h->hdr_len = le16(raw + 2);
	h->gso_size = le16(raw + 4);
	h->csum_start = le16(raw + 6);
	h->csum_offset = le16(raw + 8);
	h->num_buffers = le16(raw + 10);
}

void net_hdr_encode(const struct net_hdr *h, uint8_t raw[NET_HDR_LEN])
{
	const uint16_t v[5] = {h->hdr_len, h->gso_size, h->csum_start, h->csum_offset,
			       h->num_buffers};
	raw[0] = h->flags;
	raw[1] = h->gso_type;
	for (int i = 0; i < 5; i++) {
		raw[2 + 2 * i] = (uint8_t)v[i];
		raw[3 + 2 * i] = (uint8_t)(v[i] >> 8);
	}
}

/* RFC 1071: the 16-bit ones' complement sum of big-endian words, an odd
 * last byte padded with zero; folded, not complemented. */
static uint16_t csum_sum(const uint8_t *p, size_t len)
{
	uint64_t sum = 0;
	size_t i = 0;
	for (; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)sum;
}

int net_hdr_tx(const struct net_hdr *h, uint8_t *frame, size_t len, size_t max, uint64_t features)
{
	if (len < 14 || len > max || h->gso_type != VIRTIO_NET_HDR_GSO_NONE)
		return -EINVAL;
	if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return 0;
	size_t at = (size_t)h->csum_start + h->csum_offset;
	/* An odd csum_offset would put the field across two 16-bit words of
	 * the sum; TCP (16) and UDP (6) never ask for one. */
	if (!(features & (1ULL << VIRTIO_NET_F_CSUM)) || h->csum_start >= len || at + 2 > len ||
	    (h->csum_offset & 1))
		return -EINVAL;
	/* The driver stored the pseudo-header's sum in the field; the field
	 * is part of the summed range, as 5.1.6.2 describes. */
	uint16_t c = (uint16_t)~csum_sum(frame + h->csum_start, len - h->csum_start);
	/* 0 means "no checksum" to UDP (RFC 768); its ones' complement twin
	 * 0xFFFF is the same sum for TCP. */
	if (!c)
		c = 0xFFFF;
	frame[at] = (uint8_t)(c >> 8);
	frame[at + 1] = (uint8_t)c;
	return 0;
}
