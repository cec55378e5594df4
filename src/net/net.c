/*
 * net.c - a network backend's thread: one poll loop over the backend's
 * descriptors and timers and a wake eventfd, from which the client (the
 * virtio-net device) does its queue work; and the bounded keep of frames
 * for a guest that has no receive buffer.  Not the backends themselves
 * (user.c: libslirp; tap.c: a host tap device).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "net/backend.h"
#include "util.h"

#define STAT_ADD(b, field, n) __atomic_fetch_add(&(b)->stats.field, (n), __ATOMIC_RELAXED)

int net_backend_init(struct net_backend *b, const struct net_backend_ops *ops)
{
	b->ops = ops;
	b->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (b->wake_fd < 0)
		return -errno;
	return 0;
}

int net_create(struct net_backend **out, const struct net_config *cfg)
{
	*out = NULL;
	switch (cfg->kind) {
	case NET_USER:
		return net_user_create(out, cfg);
	case NET_TAP:
		return net_tap_create(out, cfg);
	case NET_NONE:
		break;
	}
	return ember_error(-EINVAL, "--net %s: no backend to create", cfg->spec);
}

int net_poll_add(struct net_backend *b, int fd, short events)
{
	if (b->nfds == b->fds_cap) {
		unsigned cap = b->fds_cap ? b->fds_cap * 2 : 16;
		struct pollfd *fds = realloc(b->fds, cap * sizeof(*fds));
		if (!fds)
			return -1; /* not watched this round; the next may succeed */
		b->fds = fds;
		b->fds_cap = cap;
	}
	b->fds[b->nfds] = (struct pollfd){.fd = fd, .events = events};
	return (int)b->nfds++;
}

short net_poll_revents(struct net_backend *b, int i)
{
	return i >= 0 && (unsigned)i < b->nfds ? b->fds[i].revents : 0;
}

void net_wake(struct net_backend *b)
{
	uint64_t one = 1;
	/* A full counter (EAGAIN) still wakes the thread: nothing to do. */
	if (write(b->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		perror("ember: net: eventfd");
}

void net_send(struct net_backend *b, const uint8_t *frame, size_t len)
{
	STAT_ADD(b, tx_frames, 1);
	STAT_ADD(b, tx_bytes, len);
	b->ops->send(b, frame, len);
}

bool net_rx_blocked(struct net_backend *b)
{
	return b->keep_count != 0;
}

static bool net_keep(struct net_backend *b, const uint8_t *frame, size_t len)
{
	if (b->keep_count == NET_RX_KEEP)
		return false;
	struct net_frame *f = malloc(sizeof(*f) + len);
	if (!f)
		return false;
	f->len = len;
	memcpy(f->data, frame, len);
	b->keep[(b->keep_head + b->keep_count) % NET_RX_KEEP] = f;
	b->keep_count++;
	STAT_ADD(b, rx_queued, 1);
	return true;
}

void net_deliver(struct net_backend *b, const uint8_t *frame, size_t len)
{
	/* Behind kept frames (order), or while the client is busy in work()
	 * (a frame slirp answers from inside net_send must not re-enter it). */
	if (b->keep_count || b->in_work || !b->client.receive ||
	    b->client.receive(b->client.opaque, frame, len) == -EAGAIN) {
		if (!net_keep(b, frame, len))
			STAT_ADD(b, rx_dropped, 1);
		return;
	}
	STAT_ADD(b, rx_frames, 1);
	STAT_ADD(b, rx_bytes, len);
}

/* Offer the kept frames again, in order, until the client takes no more. */
static void net_rx_flush(struct net_backend *b)
{
	while (b->keep_count) {
		struct net_frame *f = b->keep[b->keep_head];
		if (b->client.receive(b->client.opaque, f->data, f->len) == -EAGAIN)
			return;
		STAT_ADD(b, rx_frames, 1);
		STAT_ADD(b, rx_bytes, f->len);
		free(f);
		b->keep_head = (b->keep_head + 1) % NET_RX_KEEP;
		b->keep_count--;
	}
}

static void *net_thread(void *arg)
{
	struct net_backend *b = arg;
	while (!__atomic_load_n(&b->stopping, __ATOMIC_ACQUIRE)) {
		b->nfds = 0;
		int wake = net_poll_add(b, b->wake_fd, POLLIN);
		int timeout = -1;
		b->ops->poll_fill(b, &timeout);
		int n = poll(b->fds, b->nfds, timeout);
		bool failed = n < 0 && errno != EINTR;
		if (net_poll_revents(b, wake) & POLLIN) {
			uint64_t v;
			if (read(b->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				perror("ember: net: eventfd");
			if (__atomic_load_n(&b->stopping, __ATOMIC_ACQUIRE))
				break;
			b->in_work = true;
			b->client.work(b->client.opaque);
			b->in_work = false;
			net_rx_flush(b);
		}
		b->ops->poll_done(b, failed);
		if (b->client.rx_done)
			b->client.rx_done(b->client.opaque);
	}
	return NULL;
}

int net_start(struct net_backend *b, const struct net_client *client)
{
	b->client = *client;
	int e = pthread_create(&b->thread, NULL, net_thread, b);
	if (e)
		return ember_error(-e, "--net: cannot start the network thread: %s", strerror(e));
	b->started = true;
	return 0;
}

void net_stop(struct net_backend *b)
{
	if (!b || !b->started)
		return;
	__atomic_store_n(&b->stopping, true, __ATOMIC_RELEASE);
	net_wake(b);
	pthread_join(b->thread, NULL);
	b->started = false;
}

void net_get_stats(struct net_backend *b, struct net_stats *s)
{
	s->tx_frames = __atomic_load_n(&b->stats.tx_frames, __ATOMIC_RELAXED);
	s->tx_bytes = __atomic_load_n(&b->stats.tx_bytes, __ATOMIC_RELAXED);
	s->rx_frames = __atomic_load_n(&b->stats.rx_frames, __ATOMIC_RELAXED);
	s->rx_bytes = __atomic_load_n(&b->stats.rx_bytes, __ATOMIC_RELAXED);
	s->rx_queued = __atomic_load_n(&b->stats.rx_queued, __ATOMIC_RELAXED);
	s->rx_dropped = __atomic_load_n(&b->stats.rx_dropped, __ATOMIC_RELAXED);
}

void net_destroy(struct net_backend *b)
{
	if (!b)
		return;
	net_stop(b);
	while (b->keep_count) {
		free(b->keep[b->keep_head]);
		b->keep_head = (b->keep_head + 1) % NET_RX_KEEP;
		b->keep_count--;
	}
	free(b->fds);
	int fd = b->wake_fd;
	b->ops->destroy(b);
	if (fd >= 0)
		close(fd);
}
