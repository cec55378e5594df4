/*
 * virtio/net.c - virtio-net (virtio 1.2, 5.1): one receive and one
 * transmit queue, the MAC and a link that is always up in the device
 * configuration, the 12-byte header of VIRTIO_F_VERSION_1, checksum
 * offload both ways.  The backend (net/) owns the thread: both queues are
 * popped and pushed there (net_client work/receive), the vCPU's notify only
 * wakes it.  Not the header checks (net_hdr.c) nor the transport
 * (virtio_pci.c).
 *
 * Offloads: slirp and tap (without a vnet header) take whole frames with
 * correct checksums.  VIRTIO_NET_F_CSUM lets the guest leave the checksum
 * of what it sends to the host, which completes it natively (net_hdr_tx);
 * VIRTIO_NET_F_GUEST_CSUM lets the device mark frames DATA_VALID: slirp
 * builds them and tap frames crossed the host's own stack, so the guest
 * need not sum them again.  Under the emulator both are summing the guest
 * no longer does (README "Networking" has the measurement).  No GSO: the
 * guest's TCP segments to slirp at its MTU.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "util.h"
#include "virtio/net.h"
#include "virtio/net_hdr.h"
#include "virtio/virtio.h"

#define NET_RXQ	       0
#define NET_TXQ	       1
#define NET_QUEUE_SIZE 256
/* Transmit requests handled per wake-up before the thread looks at
 * receive and its sockets again (and wakes itself to go on). */
#define NET_TX_BUDGET 256

/* Device configuration (5.1.4): mac[6], status, max_virtqueue_pairs, mtu. */
#define NET_CFG_LEN 12

struct virtio_net {
	struct virtio_dev *dev;
	struct net_backend *backend;
	uint8_t config[NET_CFG_LEN];
	bool live;	      /* atomic: DRIVER_OK and not reset since */
	bool rx_pushed;	      /* backend thread: frames given since the last kick */
	uint64_t features;    /* negotiated, read at DRIVER_OK */
	size_t frame_max;     /* NET_FRAME_MAX of the link's MTU */
	struct virtq_req req; /* backend thread's request (large: not on the stack) */
	uint8_t frame[];      /* frame_max bytes: one transmit */
};

static void vnet_config_read(void *opaque, unsigned off, void *buf, unsigned len)
{
	struct virtio_net *n = opaque;
	memset(buf, 0, len);
	if (off < NET_CFG_LEN)
		memcpy(buf, n->config + off, len < NET_CFG_LEN - off ? len : NET_CFG_LEN - off);
}

/* The MAC is read-only with VERSION_1 (5.1.4.1: the driver sets it
 * through the control queue, which ember does not offer). */
static void vnet_config_write(void *opaque, unsigned off, const void *buf, unsigned len)
{
}

static void vnet_notify(void *opaque, unsigned q)
{
	struct virtio_net *n = opaque;
	net_wake(n->backend);
}

static void vnet_reset(void *opaque)
{
	struct virtio_net *n = opaque;
	__atomic_store_n(&n->live, false, __ATOMIC_RELEASE);
}

static void vnet_driver_ok(void *opaque)
{
	struct virtio_net *n = opaque;
	n->features = virtio_negotiated(n->dev);
	__atomic_store_n(&n->live, true, __ATOMIC_RELEASE);
	net_wake(n->backend); /* frames kept for the guest, and anything queued */
}

/* Backend thread: the frames the guest queued, a budget's worth. */
static void vnet_work(void *opaque)
{
	struct virtio_net *n = opaque;
	if (!__atomic_load_n(&n->live, __ATOMIC_ACQUIRE))
		return;
	struct virtq_req *req = &n->req;
	int done = 0;
	for (; done < NET_TX_BUDGET && virtq_pop(n->dev, NET_TXQ, req) > 0; done++) {
		uint8_t raw[NET_HDR_LEN];
		struct net_hdr h;
		/* A frame that is malformed or too big is dropped: its buffers
		 * go back to the driver (a transmit has no status to fail). */
		size_t len = req->out_len - NET_HDR_LEN;
		if (req->out_len >= NET_HDR_LEN && len <= n->frame_max &&
		    virtq_read_out(req, 0, raw, NET_HDR_LEN) == NET_HDR_LEN &&
		    virtq_read_out(req, NET_HDR_LEN, n->frame, len) == len) {
			net_hdr_decode(raw, &h);
			if (net_hdr_tx(&h, n->frame, len, n->frame_max, n->features) == 0)
				net_send(n->backend, n->frame, len);
		}
		virtq_push(n->dev, NET_TXQ, req, 0);
	}
	if (done)
		virtq_kick_guest(n->dev, NET_TXQ);
	if (done == NET_TX_BUDGET)
		net_wake(n->backend);
}

/* Backend thread: a frame for the guest into one receive buffer (no
 * MRG_RXBUF: Linux then posts buffers that hold a whole frame). */
static int vnet_receive(void *opaque, const uint8_t *frame, size_t len)
{
	struct virtio_net *n = opaque;
	if (!__atomic_load_n(&n->live, __ATOMIC_ACQUIRE))
		return -EAGAIN; /* kept (bounded) until the driver is up */
	struct virtq_req *req = &n->req;
	int r = virtq_pop(n->dev, NET_RXQ, req);
	if (r == 0)
		return -EAGAIN;
	if (r < 0)
		return 0; /* the device needs a reset: the frame is lost */
	struct net_hdr h = {.num_buffers = 1};
	if (n->features & (1ULL << VIRTIO_NET_F_GUEST_CSUM))
		h.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	uint8_t raw[NET_HDR_LEN];
	net_hdr_encode(&h, raw);
	uint32_t written = 0;
	/* A buffer too small for the frame gets nothing (the driver counts a
	 * length error); the frame is lost. */
	if (req->in_len >= NET_HDR_LEN + len) {
		virtq_write_in(req, 0, raw, NET_HDR_LEN);
		virtq_write_in(req, NET_HDR_LEN, frame, len);
		written = (uint32_t)(NET_HDR_LEN + len);
	}
	virtq_push(n->dev, NET_RXQ, req, written);
	n->rx_pushed = true;
	return 0;
}

static void vnet_rx_done(void *opaque)
{
	struct virtio_net *n = opaque;
	if (n->rx_pushed) {
		n->rx_pushed = false;
		virtq_kick_guest(n->dev, NET_RXQ);
	}
}

static void vnet_destroy(void *opaque)
{
	struct virtio_net *n = opaque;
	net_destroy(n->backend); /* stops the thread first */
	free(n);
}

static const struct virtio_dev_ops vnet_ops = {
    .features = 1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_GUEST_CSUM |
		1ULL << VIRTIO_NET_F_MTU | 1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_STATUS,
    .config_len = NET_CFG_LEN,
    .config_read = vnet_config_read,
    .config_write = vnet_config_write,
    .queue_notify = vnet_notify,
    .reset = vnet_reset,
    .driver_ok = vnet_driver_ok,
    .destroy = vnet_destroy,
};

int virtio_net_create(struct vm *vm, const struct net_config *cfg)
{
	struct virtio_net *n = calloc(1, sizeof(*n) + NET_FRAME_MAX(cfg->mtu));
	if (!n)
		return ember_error(-ENOMEM, "--net %s: out of memory", cfg->spec);
	int r = net_create(&n->backend, cfg);
	if (r < 0) {
		free(n);
		return r;
	}
	memcpy(n->config, cfg->mac, 6);
	n->config[6] = VIRTIO_NET_S_LINK_UP; /* status, little-endian */
	n->config[8] = 1;		     /* max_virtqueue_pairs */
	n->config[10] = (uint8_t)cfg->mtu;   /* mtu: Linux sizes its buffers by it */
	n->config[11] = (uint8_t)(cfg->mtu >> 8);
	n->frame_max = NET_FRAME_MAX(cfg->mtu);
	/* On failure vnet_destroy has freed n (and the backend). */
	n->dev =
	    virtio_pci_create(vm, "virtio-net", VIRTIO_ID_NET, 2, NET_QUEUE_SIZE, &vnet_ops, n);
	if (!n->dev)
		return -EINVAL;
	struct net_client client = {
	    .opaque = n, .receive = vnet_receive, .work = vnet_work, .rx_done = vnet_rx_done};
	return net_start(n->backend, &client);
}
