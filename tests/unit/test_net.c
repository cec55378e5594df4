/*
 * test_net.c - the network backends (src/net) without a guest: --net
 * parsing against the documented syntax, and each backend's thread
 * carrying frames both ways for a stand-in device.  Oracles: RFC 826 (ARP)
 * and RFC 791/793 (IPv4, TCP) for what libslirp answers, and the host
 * kernel's own network stack for the tap device; virtio-net's transmit
 * header checks (virtio 1.2, 5.1.6.2) against RFC 1071/768 checksums.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/net.h"
#include "virtio/net_hdr.h"
#include "t.h"
#include "util.h"

static const uint8_t guest_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

/* ---- a stand-in for the virtio-net device ---- */

struct fake {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct net_backend *b;
	uint8_t tx[2048]; /* one frame for work() to send, tx_len 0: none */
	size_t tx_len;
	uint8_t rx[16][2048];
	size_t rx_len[16];
	int nrx;
	bool full; /* refuse frames (no receive buffer) */
};

static int fake_receive(void *opaque, const uint8_t *frame, size_t len)
{
	struct fake *f = opaque;
	pthread_mutex_lock(&f->lock);
	int r = 0;
	if (f->full) {
		r = -EAGAIN;
	} else if (f->nrx < 16 && len <= sizeof(f->rx[0]) && len > 14 && frame[12] == 0x08) {
		/* IPv4 and ARP only: a host kernel's IPv6 chatter (router
		 * solicitations, MLD) is not what the tests look for. */
		memcpy(f->rx[f->nrx], frame, len);
		f->rx_len[f->nrx++] = len;
		pthread_cond_broadcast(&f->cond);
	}
	pthread_mutex_unlock(&f->lock);
	return r;
}

static void fake_work(void *opaque)
{
	struct fake *f = opaque;
	pthread_mutex_lock(&f->lock);
	if (f->tx_len)
		net_send(f->b, f->tx, f->tx_len);
	f->tx_len = 0;
	pthread_mutex_unlock(&f->lock);
}

static void fake_send(struct fake *f, const uint8_t *frame, size_t len)
{
	pthread_mutex_lock(&f->lock);
	memcpy(f->tx, frame, len);
	f->tx_len = len;
	pthread_mutex_unlock(&f->lock);
	net_wake(f->b);
}

/* Wait up to 5 s for a received frame that match() accepts; its index or -1. */
static int fake_wait(struct fake *f, bool (*match)(const uint8_t *, size_t, const void *),
		     const void *arg)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 5;
	int seen = 0, found = -1;
	pthread_mutex_lock(&f->lock);
	while (found < 0) {
		for (; seen < f->nrx && found < 0; seen++)
			if (match(f->rx[seen], f->rx_len[seen], arg))
				found = seen;
		if (found >= 0 || pthread_cond_timedwait(&f->cond, &f->lock, &dl) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&f->lock);
	return found;
}

static void fake_init(struct fake *f, struct net_backend *b)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	f->b = b;
}

static int fake_start(struct fake *f)
{
	struct net_client c = {.opaque = f, .receive = fake_receive, .work = fake_work};
	return net_start(f->b, &c);
}

/* RFC 826: a request from the guest (sha guest_mac, spa) for tpa. */
static size_t arp_request(uint8_t *p, uint32_t spa, uint32_t tpa)
{
	memset(p, 0, 60); /* a minimum-size frame */
	memset(p, 0xff, 6);
	memcpy(p + 6, guest_mac, 6);
	p[12] = 0x08, p[13] = 0x06;		    /* ethertype ARP */
	p[14] = 0, p[15] = 1;			    /* htype Ethernet */
	p[16] = 0x08, p[17] = 0x00;		    /* ptype IPv4 */
	p[18] = 6, p[19] = 4, p[20] = 0, p[21] = 1; /* hlen, plen, oper request */
	memcpy(p + 22, guest_mac, 6);
	uint32_t s = htonl(spa), t = htonl(tpa);
	memcpy(p + 28, &s, 4);
	memcpy(p + 38, &t, 4);
	return 60;
}

/* An ARP reply to the guest saying that *arg (host order) is at some MAC. */
static bool is_arp_reply_for(const uint8_t *p, size_t len, const void *arg)
{
	uint32_t spa, tpa;
	if (len < 42 || p[12] != 0x08 || p[13] != 0x06 || p[21] != 2)
		return false;
	memcpy(&spa, p + 28, 4);
	memcpy(&tpa, p + 38, 4);
	return ntohl(spa) == *(const uint32_t *)arg && !memcmp(p, guest_mac, 6) &&
	       !memcmp(p + 32, guest_mac, 6);
}

/* ---- --net parsing ---- */

static void test_net_parse_forms(void)
{
	struct net_config c;
	T_EQ(net_config_parse("none", &c), 0);
	T_EQ(c.kind, NET_NONE);
	T_EQ(net_config_parse("user", &c), 0);
	T_EQ(c.kind, NET_USER);
	T_EQ(c.nfwd, 0);
	/* QEMU's default MAC. */
	T_CHECK(!memcmp(c.mac, guest_mac, 6), "default MAC is not 52:54:00:12:34:56");
	T_EQ(net_config_parse("user,hostfwd=tcp:127.0.0.1:2222-:22,hostfwd=udp::5353-10.0.2.9:53,"
			      "mac=02:AB:cd:00:00:ff",
			      &c),
	     0);
	T_EQ(c.nfwd, 2);
	T_EQ(c.fwd[0].udp, 0);
	T_EQ(ntohl(c.fwd[0].host_addr.s_addr), 0x7F000001);
	T_EQ(c.fwd[0].host_port, 2222);
	T_EQ(ntohl(c.fwd[0].guest_addr.s_addr), 0x0A00020F); /* 10.0.2.15 when empty */
	T_EQ(c.fwd[0].guest_port, 22);
	T_STREQ(c.fwd[0].text, "hostfwd=tcp:127.0.0.1:2222-:22");
	T_EQ(c.fwd[1].udp, 1);
	T_EQ(c.fwd[1].host_addr.s_addr, INADDR_ANY);
	T_EQ(ntohl(c.fwd[1].guest_addr.s_addr), 0x0A000209);
	T_EQ(c.fwd[1].guest_port, 53);
	static const uint8_t mac[6] = {0x02, 0xab, 0xcd, 0x00, 0x00, 0xff};
	T_CHECK(!memcmp(c.mac, mac, 6), "mac= was not read as 02:ab:cd:00:00:ff");
	/* The protocol may be left empty (tcp), as QEMU's. */
	T_EQ(net_config_parse("user,hostfwd=::65535-:1", &c), 0);
	T_EQ(c.fwd[0].host_port, 65535);
	T_EQ(c.mtu, 1500);
	T_EQ(net_config_parse("user,mtu=65520", &c), 0);
	T_EQ(c.mtu, 65520);
	T_EQ(net_config_parse("tap,ifname=tap0,mac=52:54:00:00:00:02", &c), 0);
	T_EQ(c.kind, NET_TAP);
	T_STREQ(c.ifname, "tap0");
}

static void test_net_parse_refuses(void)
{
	static const struct {
		const char *spec, *why;
	} bad[] = {
	    {"", "must be user, tap or none"},
	    {"usr", "must be user, tap or none"},
	    {",user", "must be user, tap or none"},
	    {"none,mac=52:54:00:12:34:56", "none takes no options"},
	    {"user,hostfwd=tcp:2222-:22", "expected hostfwd="},
	    {"user,hostfwd=tcp::2222:22", "expected hostfwd="},
	    {"user,hostfwd=sctp::2222-:22", "expected hostfwd="},
	    {"user,hostfwd=tcp::0-:22", "HOSTPORT must be"},
	    {"user,hostfwd=tcp::65536-:22", "HOSTPORT must be"},
	    {"user,hostfwd=tcp::22x-:22", "HOSTPORT must be"},
	    {"user,hostfwd=tcp::2222-:", "GUESTPORT must be"},
	    {"user,hostfwd=tcp:1.2.3:2222-:22", "HOSTADDR is not"},
	    {"user,hostfwd=tcp::2222-10.0.3.15:22", "10.0.2.0/24"},
	    {"user,mac=52:54:00:12:34", "not a MAC address"},
	    {"user,mac=52:54:00:12:34:5g", "not a MAC address"},
	    {"user,mac=52:54:00:12:34:56:78", "not a MAC address"},
	    {"user,mac=01:00:5e:00:00:01", "multicast"},
	    {"user,mac=52:54:00:12:34:56,mac=52:54:00:12:34:57", "given twice"},
	    {"user,ifname=tap0", "unknown"},
	    {"user,mtu=1279", "from 1280 to 65520"},
	    {"user,mtu=65521", "from 1280 to 65520"},
	    {"user,mtu=9k", "from 1280 to 65520"},
	    {"user,mtu=9000,mtu=9000", "given twice"},
	    {"tap,ifname=t,mtu=9000", "unknown"},
	    {"tap", "tap needs ifname=NAME"},
	    {"tap,ifname=", "not an interface name"},
	    {"tap,ifname=0123456789abcdef", "not an interface name"},
	    {"tap,hostfwd=tcp::1-:1,ifname=t", "unknown"},
	};
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		struct net_config c;
		int r = net_config_parse(bad[i].spec, &c);
		const char *msg = ember_last_error();
		char want[300];
		snprintf(want, sizeof(want), "--net %s: ", bad[i].spec);
		T_CHECK(r == -EINVAL, "'%s' accepted (%d)", bad[i].spec, r);
		T_CHECK(!strncmp(msg, want, strlen(want)) && strstr(msg, bad[i].why) &&
			    !strchr(msg, '\n'),
			"'%s': message '%s' lacks '%s' or the option", bad[i].spec, msg,
			bad[i].why);
	}
}

/* ---- the user network (libslirp) ---- */

static int free_tcp_port(int *keep_fd)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7F000001)};
	socklen_t l = sizeof(a);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &l) < 0)
		return -1;
	*keep_fd = s;
	return ntohs(a.sin_port);
}

struct syn {
	uint16_t port;
};

/* RFC 791/793: an IPv4 TCP SYN from slirp to 10.0.2.15:port. */
static bool is_syn_to_guest(const uint8_t *p, size_t len, const void *arg)
{
	const struct syn *s = arg;
	if (len < 54 || p[12] != 0x08 || p[13] != 0x00 || (p[14] >> 4) != 4 || p[23] != 6)
		return false;
	unsigned ihl = (p[14] & 15) * 4;
	const uint8_t *tcp = p + 14 + ihl;
	if (14 + ihl + 20 > len)
		return false;
	uint32_t dst;
	memcpy(&dst, p + 30, 4);
	return ntohl(dst) == NET_USER_GUEST && (tcp[2] << 8 | tcp[3]) == s->port &&
	       (tcp[13] & 0x12) == 0x02 && !memcmp(p, guest_mac, 6);
}

static void test_net_user_arp_and_hostfwd(void)
{
	int keep;
	int port = free_tcp_port(&keep);
	T_CHECK(port > 0, "no free port on 127.0.0.1");
	if (port <= 0)
		return;
	close(keep); /* the port is free again, for hostfwd */
	char spec[128];
	snprintf(spec, sizeof(spec), "user,hostfwd=tcp:127.0.0.1:%d-:8080", port);
	struct net_config cfg;
	T_EQ(net_config_parse(spec, &cfg), 0);
	struct net_backend *b;
	int r = net_create(&b, &cfg);
	T_CHECK(r == 0, "net_create(%s): %s", spec, ember_last_error());
	if (r)
		return;
	struct fake f;
	fake_init(&f, b);
	T_EQ(fake_start(&f), 0);

	/* The gateway answers ARP as RFC 826 says, to the guest's MAC. */
	uint8_t frame[60];
	uint32_t host = NET_USER_HOST;
	fake_send(&f, frame, arp_request(frame, NET_USER_GUEST, NET_USER_HOST));
	T_CHECK(fake_wait(&f, is_arp_reply_for, &host) >= 0, "no ARP reply for 10.0.2.2");
	uint32_t dns = NET_USER_DNS;
	fake_send(&f, frame, arp_request(frame, NET_USER_GUEST, NET_USER_DNS));
	T_CHECK(fake_wait(&f, is_arp_reply_for, &dns) >= 0, "no ARP reply for 10.0.2.3");

	/* A host connection to the forwarded port becomes a SYN to the guest. */
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = {
	    .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(0x7F000001)};
	r = connect(s, (struct sockaddr *)&a, sizeof(a));
	T_CHECK(r == 0 || errno == EINPROGRESS, "connect to hostfwd port %d: %s", port,
		strerror(errno));
	struct syn want = {8080};
	T_CHECK(fake_wait(&f, is_syn_to_guest, &want) >= 0,
		"no SYN to 10.0.2.15:8080 after connecting to 127.0.0.1:%d", port);
	close(s);

	/* The counters are updated after receive() returns. */
	struct net_stats st;
	for (int i = 0; i < 1000; i++) {
		net_get_stats(b, &st);
		if (st.rx_frames >= 3)
			break;
		usleep(1000);
	}
	T_EQ(st.tx_frames, 2);
	T_CHECK(st.rx_frames >= 3, "rx_frames %" PRIu64 ", expected at least 3", st.rx_frames);
	net_destroy(b);
}

/* Frames the guest has no room for are kept in order and offered again. */
static void test_net_user_keeps_frames(void)
{
	struct net_config cfg;
	net_config_parse("user", &cfg);
	struct net_backend *b;
	T_EQ(net_create(&b, &cfg), 0);
	struct fake f;
	fake_init(&f, b);
	f.full = true;
	T_EQ(fake_start(&f), 0);
	uint8_t frame[60];
	fake_send(&f, frame, arp_request(frame, NET_USER_GUEST, NET_USER_HOST));
	struct net_stats st = {0};
	for (int i = 0; i < 500 && !st.rx_queued; i++) {
		usleep(1000);
		net_get_stats(b, &st);
	}
	T_EQ(st.rx_queued, 1);
	T_EQ(st.rx_frames, 0);
	pthread_mutex_lock(&f.lock);
	f.full = false;
	pthread_mutex_unlock(&f.lock);
	net_wake(b); /* as the device's rx queue notify does */
	uint32_t host = NET_USER_HOST;
	T_CHECK(fake_wait(&f, is_arp_reply_for, &host) >= 0, "the kept ARP reply never came");
	net_destroy(b);
}

static void test_net_user_port_in_use(void)
{
	int keep;
	int port = free_tcp_port(&keep);
	T_CHECK(port > 0 && listen(keep, 1) == 0, "no port to occupy");
	char spec[128];
	snprintf(spec, sizeof(spec), "user,hostfwd=tcp:127.0.0.1:%d-:22", port);
	struct net_config cfg;
	T_EQ(net_config_parse(spec, &cfg), 0);
	struct net_backend *b;
	int r = net_create(&b, &cfg);
	const char *msg = ember_last_error();
	T_CHECK(r < 0 && !b, "a hostfwd on a port in use was accepted");
	T_CHECK(strstr(msg, spec) && strstr(msg, "cannot listen on 127.0.0.1:") &&
		    strstr(msg, "Address already in use"),
		"message: %s", msg);
	close(keep);
}

/* ---- tap: the host kernel's stack answers ---- */

static int tap_ifconfig(const char *name, uint32_t addr)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(addr);
	int r = ioctl(s, SIOCSIFADDR, &ifr);
	sin->sin_addr.s_addr = htonl(0xFFFFFF00);
	if (!r)
		r = ioctl(s, SIOCSIFNETMASK, &ifr);
	if (!r)
		r = ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	if (!r)
		r = ioctl(s, SIOCSIFFLAGS, &ifr);
	r = r < 0 ? -errno : 0;
	close(s);
	return r;
}

/* RFC 826: a request from anyone for *arg (host order). */
static bool is_arp_request_for(const uint8_t *p, size_t len, const void *arg)
{
	uint32_t tpa;
	if (len < 42 || p[12] != 0x08 || p[13] != 0x06 || p[21] != 1)
		return false;
	memcpy(&tpa, p + 38, 4);
	return ntohl(tpa) == *(const uint32_t *)arg;
}

/* An IPv4 UDP datagram to the guest's MAC whose payload is "hello". */
static bool is_udp_hello(const uint8_t *p, size_t len, const void *arg)
{
	return len >= 47 && p[12] == 0x08 && p[13] == 0x00 && p[23] == 17 &&
	       !memcmp(p, guest_mac, 6) && !memcmp(p + 42, "hello", 5);
}

/*
 * The host kernel sends a datagram to the guest's address: it asks for
 * the guest's MAC (a frame host -> guest), the stand-in answers (guest ->
 * host), and only a kernel that took the answer sends the datagram.
 */
static uint32_t tap_free_subnet(void)
{
	struct ifaddrs *ifa;
	if (getifaddrs(&ifa) < 0)
		return 0;
	uint32_t found = 0;
	for (unsigned i = 0; i < 512 && !found; i++) {
		uint32_t net = 0xC6120000 | ((getpid() + i) % 512) << 8;
		bool used = false;
		for (struct ifaddrs *a = ifa; a; a = a->ifa_next)
			if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET &&
			    (ntohl(((struct sockaddr_in *)a->ifa_addr)->sin_addr.s_addr) &
			     0xFFFFFF00) == net)
				used = true;
		if (!used)
			found = net;
	}
	freeifaddrs(ifa);
	return found;
}

static void test_net_tap_both_ways(void)
{
	char spec[64];
	snprintf(spec, sizeof(spec), "tap,ifname=embt%d", (int)(getpid() % 100000));
	struct net_config cfg;
	T_EQ(net_config_parse(spec, &cfg), 0);
	struct net_backend *b;
	int r = net_create(&b, &cfg);
	if (r == -EPERM || r == -EACCES || r == -ENOENT || r == -ENODEV) {
		T_SKIP("no tap device here (needs /dev/net/tun and CAP_NET_ADMIN)");
		return;
	}
	T_CHECK(r == 0, "net_create(%s): %s", spec, ember_last_error());
	if (r)
		return;
	/* A /24 of 198.18.0.0/15 (RFC 2544, benchmarking) that no interface of
	 * this host is in: the tap's subnet must not shadow a real route. */
	uint32_t net = tap_free_subnet();
	T_CHECK(net, "every 198.18.x.0/24 is in use on this host");
	if (!net) {
		net_destroy(b);
		return;
	}
	const uint32_t host = net | 1, guest = net | 2;
	r = tap_ifconfig(cfg.ifname, host);
	T_CHECK(r == 0, "configuring %s: %s", cfg.ifname, strerror(-r));
	struct fake f;
	fake_init(&f, b);
	T_EQ(fake_start(&f), 0);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = {
	    .sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(guest)};
	T_CHECK(sendto(u, "hello", 5, 0, (struct sockaddr *)&to, sizeof(to)) == 5,
		"sendto the guest: %s", strerror(errno));
	int i = fake_wait(&f, is_arp_request_for, &guest);
	T_CHECK(i >= 0, "the host kernel sent no ARP request for the guest on %s", cfg.ifname);
	if (i >= 0) {
		uint8_t req[60], rep[60];
		memcpy(req, f.rx[i], 42);
		memset(rep, 0, sizeof(rep));
		memcpy(rep, req + 6, 6); /* to the asker */
		memcpy(rep + 6, guest_mac, 6);
		memcpy(rep + 12, req + 12, 8); /* ethertype, htype, ptype, hlen, plen */
		rep[21] = 2;		       /* reply */
		memcpy(rep + 22, guest_mac, 6);
		memcpy(rep + 28, req + 38, 4);	/* spa: the address asked for */
		memcpy(rep + 32, req + 22, 10); /* tha, tpa: the asker */
		fake_send(&f, rep, sizeof(rep));
		T_CHECK(fake_wait(&f, is_udp_hello, NULL) >= 0,
			"the kernel did not send the datagram after the ARP reply");
	}
	close(u);
	net_destroy(b);
}

static void test_net_tap_refused(void)
{
	struct net_config cfg;
	T_EQ(net_config_parse("tap,ifname=lo", &cfg), 0);
	struct net_backend *b;
	int r = net_create(&b, &cfg);
	const char *msg = ember_last_error();
	/* lo exists and is not a tap: TUNSETIFF refuses it (or /dev/net/tun
	 * is missing or not ours): one line naming the option either way. */
	T_CHECK(r < 0 && !b, "--net tap,ifname=lo was accepted");
	T_CHECK(!strncmp(msg, "--net tap,ifname=lo: ", 21) && !strchr(msg, '\n'), "message: %s",
		msg);
}

/* ---- virtio-net's transmit header ---- */

/* The IPv4 header checksum example of Wikipedia's "IPv4 header checksum"
 * (45 00 00 73 ... c0 a8 00 c7 -> b861), completed as a partial checksum
 * at csum_start 14 (after the Ethernet header), csum_offset 10. */
static void test_net_hdr_csum(void)
{
	static const uint8_t ip[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
				       0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	uint8_t frame[34] = {0};
	frame[12] = 0x08;
	memcpy(frame + 14, ip, sizeof(ip));
	struct net_hdr h = {
	    .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 14, .csum_offset = 10};
	const uint64_t csum = 1ULL << VIRTIO_NET_F_CSUM;
	T_EQ(net_hdr_tx(&h, frame, sizeof(frame), NET_FRAME_MAX(1500), csum), 0);
	T_EQ(frame[24] << 8 | frame[25], 0xb861);
	/* A sum of all ones would store 0, UDP's "no checksum" (RFC 768):
	 * 0xFFFF, the same value in ones' complement, goes there instead. */
	uint8_t udp[16] = {0};
	udp[14] = 0xFF, udp[15] = 0xFF;
	h.csum_start = 12, h.csum_offset = 0;
	T_EQ(net_hdr_tx(&h, udp, sizeof(udp), NET_FRAME_MAX(1500), csum), 0);
	T_EQ(udp[12] << 8 | udp[13], 0xFFFF);
	/* The 12 bytes are little-endian (VERSION_1). */
	static const uint8_t raw[NET_HDR_LEN] = {1,    0,    0x36, 0x00, 0xb4, 0x05,
						 0x22, 0x00, 0x10, 0x00, 0x01, 0x00};
	net_hdr_decode(raw, &h);
	T_EQ(h.hdr_len, 0x36);
	T_EQ(h.gso_size, 1460);
	T_EQ(h.csum_start, 34);
	T_EQ(h.csum_offset, 16);
	T_EQ(h.num_buffers, 1);
	uint8_t back[NET_HDR_LEN];
	net_hdr_encode(&h, back);
	T_CHECK(!memcmp(back, raw, NET_HDR_LEN), "encode(decode(raw)) != raw");
}

/* What a hostile or confused driver sends is refused, the frame untouched. */
static void test_net_hdr_refuses(void)
{
	const uint64_t csum = 1ULL << VIRTIO_NET_F_CSUM;
	static const struct {
		struct net_hdr h;
		size_t len;
		uint64_t features;
		const char *what;
	} bad[] = {
	    {{0}, 13, 0, "shorter than an Ethernet header"},
	    {{0}, NET_FRAME_MAX(1500) + 1, 0, "longer than the MTU allows"},
	    {{.gso_type = 1}, 60, csum, "a TSO request (no GSO offered)"},
	    {{.flags = 1, .csum_start = 14, .csum_offset = 16},
	     60,
	     0,
	     "NEEDS_CSUM without VIRTIO_NET_F_CSUM"},
	    {{.flags = 1, .csum_start = 60, .csum_offset = 0}, 60, csum, "csum_start at the end"},
	    {{.flags = 1, .csum_start = 50, .csum_offset = 10}, 60, csum, "the field past the end"},
	    {{.flags = 1, .csum_start = 0xFFFF, .csum_offset = 0xFFFF},
	     60,
	     csum,
	     "offsets near 2^16"},
	    {{.flags = 1, .csum_start = 14, .csum_offset = 3}, 60, csum, "an odd csum_offset"},
	};
	static uint8_t frame[NET_FRAME_MAX(1500) + 1], copy[sizeof(frame)];
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = copy[i] = (uint8_t)(i * 7);
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		T_CHECK(net_hdr_tx(&bad[i].h, frame, bad[i].len, NET_FRAME_MAX(1500),
				   bad[i].features) == -EINVAL,
			"accepted: %s", bad[i].what);
		T_CHECK(!memcmp(frame, copy, sizeof(frame)), "changed the frame: %s", bad[i].what);
	}
}

int main(void)
{
	T_RUN(test_net_parse_forms);
	T_RUN(test_net_parse_refuses);
	T_RUN(test_net_user_arp_and_hostfwd);
	T_RUN(test_net_user_keeps_frames);
	T_RUN(test_net_user_port_in_use);
	T_RUN(test_net_tap_both_ways);
	T_RUN(test_net_tap_refused);
	T_RUN(test_net_hdr_csum);
	T_RUN(test_net_hdr_refuses);
	T_EXIT();
}
