/*
 * backend.h - what net.c's thread needs of a backend (user.c, tap.c), and
 * what a backend may call back.  Private to src/net.
 */
#ifndef EMBER_NET_BACKEND_H
#define EMBER_NET_BACKEND_H

#include <poll.h>
#include <pthread.h>

#include "net/net.h"

struct net_backend;

struct net_backend_ops {
	/* Before poll(): add descriptors (net_poll_add), lower *timeout_ms
	 * (-1: none) to the backend's next timer. */
	void (*poll_fill)(struct net_backend *b, int *timeout_ms);
	/* After poll(): serve what is ready, fire what is due. */
	void (*poll_done)(struct net_backend *b, bool poll_failed);
	/* A frame from the guest. */
	void (*send)(struct net_backend *b, const uint8_t *frame, size_t len);
	void (*destroy)(struct net_backend *b);
};

/* Frames kept for the guest while it has no receive buffer: enough for a
 * TCP window or two; beyond that a frame is dropped and TCP resends. */
#define NET_RX_KEEP 256

struct net_frame {
	size_t len;
	uint8_t data[];
};

/* Embedded first in each backend's own structure. */
struct net_backend {
	const struct net_backend_ops *ops;
	struct net_client client;
	pthread_t thread;
	bool started;
	bool stopping; /* atomic */
	bool in_work;  /* client->work is running: frames for the guest wait */
	int wake_fd;   /* eventfd: net_wake() */
	struct pollfd *fds;
	unsigned nfds, fds_cap;
	struct net_frame *keep[NET_RX_KEEP];
	unsigned keep_head, keep_count;
	struct net_stats stats; /* updated with relaxed atomics */
};

/* Init the common part (the wake eventfd).  0 or -errno. */
int net_backend_init(struct net_backend *b, const struct net_backend_ops *ops);
/* From poll_fill: watch fd for events; returns its index for poll_done. */
int net_poll_add(struct net_backend *b, int fd, short events);
/* From poll_done (backend thread): the revents of index i. */
short net_poll_revents(struct net_backend *b, int i);
/* Backend thread: a frame for the guest. */
void net_deliver(struct net_backend *b, const uint8_t *frame, size_t len);
/* Backend thread: does the guest lack receive buffers (frames kept)?  A
 * backend that can wait (tap) stops reading then instead of dropping. */
bool net_rx_blocked(struct net_backend *b);

int net_user_create(struct net_backend **out, const struct net_config *cfg);
int net_tap_create(struct net_backend **out, const struct net_config *cfg);

#endif
