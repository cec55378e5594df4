/*
 * tap.c - a host tap device (--net tap,ifname=NAME): each read() of the
 * descriptor is one Ethernet frame from the host's side, each write() one
 * from the guest (IFF_TAP | IFF_NO_PI, no virtio-net header: ember offers
 * the guest no offloads on tap, so frames are whole and checksummed).
 * Linux's Documentation/networking/tuntap.rst.  Configuring the host side
 * (address, bridge, link up) is the administrator's, as with QEMU.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "net/backend.h"
#include "util.h"

/* Frames read per wake-up before the loop looks at the guest again. */
#define TAP_BURST 64

struct net_tap {
	struct net_backend b; /* first: the backend's common part */
	int fd;
	int idx; /* the fd's poll index this round, -1 when not watched */
	uint8_t buf[65536];
};

static void tap_poll_fill(struct net_backend *b, int *timeout_ms)
{
	struct net_tap *t = (struct net_tap *)b;
	/* The guest has no room: leave the frames in the tap's own queue
	 * (the host's stack sees backpressure) rather than drop them. */
	t->idx = net_rx_blocked(b) ? -1 : net_poll_add(b, t->fd, POLLIN);
}

static void tap_poll_done(struct net_backend *b, bool poll_failed)
{
	struct net_tap *t = (struct net_tap *)b;
	if (!(net_poll_revents(b, t->idx) & POLLIN))
		return;
	for (int i = 0; i < TAP_BURST && !net_rx_blocked(b); i++) {
		ssize_t n = read(t->fd, t->buf, sizeof(t->buf));
		if (n <= 0)
			return;
		net_deliver(b, t->buf, (size_t)n);
	}
}

/* A frame the host cannot take now (EAGAIN: the tap's queue is full; EIO:
 * its link is down) is lost, as on a wire. */
static void tap_send(struct net_backend *b, const uint8_t *frame, size_t len)
{
	struct net_tap *t = (struct net_tap *)b;
	if (write(t->fd, frame, len) < 0)
		return;
}

static void tap_destroy(struct net_backend *b)
{
	struct net_tap *t = (struct net_tap *)b;
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

static const struct net_backend_ops tap_ops = {
    .poll_fill = tap_poll_fill,
    .poll_done = tap_poll_done,
    .send = tap_send,
    .destroy = tap_destroy,
};

int net_tap_create(struct net_backend **out, const struct net_config *cfg)
{
	struct net_tap *t = calloc(1, sizeof(*t));
	if (!t)
		return ember_error(-ENOMEM, "--net %s: out of memory", cfg->spec);
	t->fd = -1;
	int r = net_backend_init(&t->b, &tap_ops);
	if (r < 0) {
		free(t);
		return ember_error(r, "--net %s: eventfd: %s", cfg->spec, strerror(-r));
	}
	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		r = ember_error(-errno, "--net %s: /dev/net/tun: %s", cfg->spec, strerror(errno));
		goto fail;
	}
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI};
	memcpy(ifr.ifr_name, cfg->ifname, sizeof(ifr.ifr_name));
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		r = ember_error(-e, "--net %s: cannot attach to tap device %s: %s%s", cfg->spec,
				cfg->ifname, strerror(e),
				e == EPERM ? " (needs CAP_NET_ADMIN, or a tap made for this user "
					     "with 'ip tuntap add NAME mode tap user USER')"
					   : "");
		goto fail;
	}
	*out = &t->b;
	return 0;
fail:
	net_destroy(&t->b);
	return r;
}
