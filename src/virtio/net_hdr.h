/*
 * virtio/net_hdr.h - the header in front of every virtio-net frame (virtio
 * 1.2, 5.1.6 "Device Operation") and what the device does with a frame the
 * driver sends: check the header, complete a checksum the driver left
 * partial.  Pure functions of their bytes (no device, no guest memory), so
 * the fuzzer drives them directly (fuzz/fuzz_net.c).
 */
#ifndef EMBER_VIRTIO_NET_HDR_H
#define EMBER_VIRTIO_NET_HDR_H

#include <stddef.h>
#include <stdint.h>

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM	0 /* the device takes partial checksums */
#define VIRTIO_NET_F_GUEST_CSUM 1 /* the driver takes DATA_VALID frames */
#define VIRTIO_NET_F_MTU	3 /* the configuration's mtu is the link's */
#define VIRTIO_NET_F_MAC	5
#define VIRTIO_NET_F_STATUS	16

#define VIRTIO_NET_S_LINK_UP 1

/* struct virtio_net_hdr with VIRTIO_F_VERSION_1: always 12 bytes, all
 * little-endian; num_buffers is the device's (receive) and 0 on transmit. */
#define NET_HDR_LEN 12

#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE	    0

struct net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset, num_buffers;
};

/* Decode the 12 header bytes. */
void net_hdr_decode(const uint8_t raw[NET_HDR_LEN], struct net_hdr *h);
/* Encode h for a receive buffer. */
void net_hdr_encode(const struct net_hdr *h, uint8_t raw[NET_HDR_LEN]);

/* The largest frame for an MTU: an Ethernet header and an 802.1Q tag. */
#define NET_FRAME_MAX(mtu) ((size_t)(mtu) + 14 + 4)

/*
 * A frame the driver sent, with its header h, made ready for the wire:
 * refuses (-EINVAL) a frame shorter than an Ethernet header or longer than
 * max (NET_FRAME_MAX of the link's MTU), a segmentation request (no GSO feature is offered),
 * NEEDS_CSUM without VIRTIO_NET_F_CSUM negotiated or with csum_start /
 * csum_offset outside the frame or csum_offset odd; completes the checksum when NEEDS_CSUM
 * (5.1.6.2: the ones' complement sum from csum_start to the end, stored at
 * csum_start + csum_offset).  0: frame[0, len) is ready.
 */
int net_hdr_tx(const struct net_hdr *h, uint8_t *frame, size_t len, size_t max, uint64_t features);

#endif
