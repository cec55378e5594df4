/*
 * user.c - the user-mode network (--net user) through libslirp: the guest's
 * frames go to a TCP/IP stack in this process that turns its connections
 * into host sockets; QEMU's addresses (10.0.2.0/24: host and gateway .2,
 * DNS .3, DHCP from .15; IPv6 fec0::/64).  Follows libslirp.h (4.7); not
 * the device (virtio/net.c).
 *
 * libslirp is not thread-safe: every call into it, its callbacks and its
 * timers run on the backend's thread (net.c).  Its clock and timers are the
 * host's CLOCK_MONOTONIC, not the VM clock: slirp's timers pace TCP towards
 * real host sockets whose peers live on host time, and under --clock
 * virtual guest time stops while the guest is halted or runs at the
 * emulator's pace, which would stall retransmits and delayed ACKs to the
 * outside world.  The VM clock's timers also fire on other threads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <slirp/libslirp.h>

#include "net/backend.h"
#include "util.h"

struct user_timer {
	struct user_timer *next;
	SlirpTimerId id;
	void *cb_opaque;
	int64_t expire_ms; /* -1: disarmed */
};

struct net_user {
	struct net_backend b; /* first: the backend's common part */
	Slirp *slirp;
	struct user_timer *timers;
	bool guest_error_shown;
};

static int64_t user_now_ms(void)
{
	return (int64_t)(now_ns() / 1000000);
}

static ssize_t user_send_packet(const void *buf, size_t len, void *opaque)
{
	struct net_user *u = opaque;
	net_deliver(&u->b, buf, len);
	return (ssize_t)len;
}

/* What slirp reports is the guest's doing (a malformed packet): shown once
 * so a misbehaving guest cannot flood the host's terminal. */
static void user_guest_error(const char *msg, void *opaque)
{
	struct net_user *u = opaque;
	if (u->guest_error_shown)
		return;
	u->guest_error_shown = true;
	fprintf(stderr, "ember: --net user: the guest's packet: %s (further ones not shown)\n",
		msg);
}

static int64_t user_clock_get_ns(void *opaque)
{
	return (int64_t)now_ns();
}

static void *user_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct net_user *u = opaque;
	struct user_timer *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	*t = (struct user_timer){
	    .next = u->timers, .id = id, .cb_opaque = cb_opaque, .expire_ms = -1};
	u->timers = t;
	return t;
}

static void user_timer_free(void *timer, void *opaque)
{
	struct net_user *u = opaque;
	for (struct user_timer **p = &u->timers; *p; p = &(*p)->next) {
		if (*p == timer) {
			*p = (*p)->next;
			free(timer);
			return;
		}
	}
}

static void user_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct user_timer *t = timer;
	t->expire_ms = expire_ms;
}

/* Only Windows builds of libslirp need the descriptors registered: the
 * poll loop asks slirp for them every round (slirp_pollfds_fill). */
static void user_register_poll_fd(int fd, void *opaque)
{
}

static void user_unregister_poll_fd(int fd, void *opaque)
{
}

/* slirp asks to be polled again (guestfwd sockets, which ember does not
 * create): every round of the loop already does. */
static void user_notify(void *opaque)
{
}

static const SlirpCb user_callbacks = {
    .send_packet = user_send_packet,
    .guest_error = user_guest_error,
    .clock_get_ns = user_clock_get_ns,
    .timer_free = user_timer_free,
    .timer_mod = user_timer_mod,
    .register_poll_fd = user_register_poll_fd,
    .unregister_poll_fd = user_unregister_poll_fd,
    .notify = user_notify,
    .timer_new_opaque = user_timer_new_opaque,
};

static int user_add_poll(int fd, int events, void *opaque)
{
	struct net_user *u = opaque;
	short ev = 0;
	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	return net_poll_add(&u->b, fd, ev);
}

static int user_get_revents(int idx, void *opaque)
{
	struct net_user *u = opaque;
	short rev = net_poll_revents(&u->b, idx);
	int ev = 0;
	if (rev & POLLIN)
		ev |= SLIRP_POLL_IN;
	if (rev & POLLOUT)
		ev |= SLIRP_POLL_OUT;
	if (rev & POLLPRI)
		ev |= SLIRP_POLL_PRI;
	if (rev & (POLLERR | POLLNVAL))
		ev |= SLIRP_POLL_ERR;
	if (rev & POLLHUP)
		ev |= SLIRP_POLL_HUP;
	return ev;
}

static void user_poll_fill(struct net_backend *b, int *timeout_ms)
{
	struct net_user *u = (struct net_user *)b;
	uint32_t timeout = UINT32_MAX;
	int64_t now = user_now_ms();
	for (struct user_timer *t = u->timers; t; t = t->next) {
		if (t->expire_ms < 0)
			continue;
		int64_t left = t->expire_ms > now ? t->expire_ms - now : 0;
		if (left < timeout)
			timeout = (uint32_t)left;
	}
	slirp_pollfds_fill(u->slirp, &timeout, user_add_poll, u);
	*timeout_ms = timeout > INT32_MAX ? -1 : (int)timeout;
}

static void user_poll_done(struct net_backend *b, bool poll_failed)
{
	struct net_user *u = (struct net_user *)b;
	slirp_pollfds_poll(u->slirp, poll_failed, user_get_revents, u);
	/* A timer's handler may re-arm or free timers: rescan after each. */
	int64_t now = user_now_ms();
	for (bool fired = true; fired;) {
		fired = false;
		for (struct user_timer *t = u->timers; t; t = t->next) {
			if (t->expire_ms >= 0 && t->expire_ms <= now) {
				t->expire_ms = -1;
				slirp_handle_timer(u->slirp, t->id, t->cb_opaque);
				fired = true;
				break;
			}
		}
	}
}

static void user_send(struct net_backend *b, const uint8_t *frame, size_t len)
{
	struct net_user *u = (struct net_user *)b;
	slirp_input(u->slirp, frame, (int)len);
}

static void user_destroy(struct net_backend *b)
{
	struct net_user *u = (struct net_user *)b;
	if (u->slirp)
		slirp_cleanup(u->slirp);
	while (u->timers)
		user_timer_free(u->timers, u);
	free(u);
}

static const struct net_backend_ops user_ops = {
    .poll_fill = user_poll_fill,
    .poll_done = user_poll_done,
    .send = user_send,
    .destroy = user_destroy,
};

static struct in6_addr user_in6(uint8_t last)
{
	struct in6_addr a = {.s6_addr = {0xfe, 0xc0}};
	a.s6_addr[15] = last;
	return a;
}

int net_user_create(struct net_backend **out, const struct net_config *cfg)
{
	struct net_user *u = calloc(1, sizeof(*u));
	if (!u)
		return ember_error(-ENOMEM, "--net %s: out of memory", cfg->spec);
	int r = net_backend_init(&u->b, &user_ops);
	if (r < 0) {
		free(u);
		return ember_error(r, "--net %s: eventfd: %s", cfg->spec, strerror(-r));
	}
	SlirpConfig sc = {
	    .version = 4,
	    .in_enabled = true,
	    .vnetwork.s_addr = htonl(NET_USER_NETWORK),
	    .vnetmask.s_addr = htonl(NET_USER_NETMASK),
	    .vhost.s_addr = htonl(NET_USER_HOST),
	    .in6_enabled = true,
	    .vprefix_addr6 = user_in6(0),
	    .vprefix_len = 64,
	    .vhost6 = user_in6(2),
	    .vdhcp_start.s_addr = htonl(NET_USER_GUEST),
	    .vnameserver.s_addr = htonl(NET_USER_DNS),
	    .vnameserver6 = user_in6(3),
	    .if_mtu = cfg->mtu,
	    .if_mru = cfg->mtu,
	};
	u->slirp = slirp_new(&sc, &user_callbacks, u);
	if (!u->slirp) {
		r = ember_error(-ENOMEM, "--net %s: libslirp could not start", cfg->spec);
		goto fail;
	}
	for (unsigned i = 0; i < cfg->nfwd; i++) {
		const struct net_hostfwd *f = &cfg->fwd[i];
		errno = 0;
		if (slirp_add_hostfwd(u->slirp, f->udp, f->host_addr, f->host_port, f->guest_addr,
				      f->guest_port) < 0) {
			char host[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &f->host_addr, host, sizeof(host));
			r = ember_error(-EADDRINUSE,
					"--net %s: %s: cannot listen on %s:%u (%s): %s", cfg->spec,
					f->text, host, f->host_port, f->udp ? "udp" : "tcp",
					errno ? strerror(errno) : "refused by libslirp");
			goto fail;
		}
	}
	*out = &u->b;
	return 0;
fail:
	net_destroy(&u->b);
	return r;
}
