/*
 * net.h - ember's network backends (--net user|tap|none) and the one thread
 * per network card that runs them.  Not the virtio-net device
 * (virtio/net.c), which is this interface's client: it hands the backend
 * the guest's frames and takes the frames for the guest.  See
 * ARCHITECTURE.md, "Networking".
 *
 * Threading: everything a backend does (its sockets or tap fd, libslirp,
 * its timers) and everything the client does with its queues happens on
 * the backend's thread, so neither needs a lock against the other.  Other
 * threads (a vCPU's queue notify) only call net_wake().
 */
#ifndef EMBER_NET_NET_H
#define EMBER_NET_NET_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum net_kind { NET_NONE, NET_USER, NET_TAP };

#define NET_MAX_HOSTFWD 16

/* hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT */
struct net_hostfwd {
	bool udp;
	struct in_addr host_addr; /* INADDR_ANY when not given, as QEMU */
	uint16_t host_port;
	struct in_addr guest_addr; /* NET_USER_GUEST when not given */
	uint16_t guest_port;
	char text[64]; /* the hostfwd=... item, for messages */
};

struct net_config {
	enum net_kind kind;
	uint8_t mac[6];
	char ifname[IFNAMSIZ]; /* tap */
	uint16_t mtu;	       /* user: mtu=, NET_MTU_DEFAULT unless given */
	struct net_hostfwd fwd[NET_MAX_HOSTFWD];
	unsigned nfwd;
	char spec[256]; /* the --net value as given, for messages */
};

/* QEMU's user network: 10.0.2.0/24, host and gateway .2, DNS .3, DHCP
 * hands out .15 first. */
#define NET_USER_NETWORK 0x0A000200u /* 10.0.2.0 */
#define NET_USER_NETMASK 0xFFFFFF00u
#define NET_USER_HOST	 0x0A000202u /* 10.0.2.2 */
#define NET_USER_DNS	 0x0A000203u /* 10.0.2.3 */
#define NET_USER_GUEST	 0x0A00020Fu /* 10.0.2.15 */

/* The link's MTU: Ethernet's, as QEMU; --net user,mtu= up to libslirp's
 * largest (65521, kept even) and down to IPv6's minimum link MTU (1280). */
#define NET_MTU_DEFAULT 1500
#define NET_MTU_MIN	1280
#define NET_MTU_MAX	65520

/*
 * Parse a --net value into cfg (kind none, QEMU's default MAC
 * 52:54:00:12:34:56 unless mac= says otherwise).  0 or -EINVAL with
 * ember_error() set to one line naming the option and what is wrong.
 */
int net_config_parse(const char *spec, struct net_config *cfg);

struct net_backend;

/* The device's side, called on the backend's thread. */
struct net_client {
	void *opaque;
	/* A frame for the guest: 0 taken (or refused for good: a reset
	 * device, a frame too big), -EAGAIN no receive buffer now (the backend
	 * keeps it, bounded, and offers it again after the next work()). */
	int (*receive)(void *opaque, const uint8_t *frame, size_t len);
	/* After net_wake(): the guest queued frames or receive buffers.
	 * Frames for the guest that arise meanwhile are kept and offered
	 * after it returns, so receive() never runs inside work(). */
	void (*work)(void *opaque);
	/* A burst of receive() calls ended (interrupt the guest once). */
	void (*rx_done)(void *opaque);
};

/*
 * Open the backend for cfg (kind user or tap): bind the hostfwd ports,
 * open the tap device.  0 or -errno with ember_error() naming the option.
 * Nothing runs until net_start().
 */
int net_create(struct net_backend **out, const struct net_config *cfg);
/* Start the backend's thread with its client.  0 or -errno (ember_error). */
int net_start(struct net_backend *b, const struct net_client *client);
/* Any thread: make the backend's thread call client->work soon. */
void net_wake(struct net_backend *b);
/* Backend thread (from client->work): a frame from the guest. */
void net_send(struct net_backend *b, const uint8_t *frame, size_t len);
/* Stop the thread (waits for it): after this no client callback runs. */
void net_stop(struct net_backend *b);
void net_destroy(struct net_backend *b);

/* Counters, for tests and --stats. */
struct net_stats {
	uint64_t tx_frames, tx_bytes; /* guest -> backend */
	uint64_t rx_frames, rx_bytes; /* backend -> guest */
	uint64_t rx_queued;	      /* kept for want of a receive buffer */
	uint64_t rx_dropped;	      /* the keep was full */
};
void net_get_stats(struct net_backend *b, struct net_stats *s);

#endif
