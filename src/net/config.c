/*
 * config.c - the --net option: "none", "user[,hostfwd=...]...[,mac=...]",
 * "tap,ifname=NAME[,mac=...]", QEMU's -nic short forms without -netdev
 * ids.  Syntax only: binding ports and opening devices is net_create's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "util.h"

static int bad(const struct net_config *cfg, const char *item, const char *why)
{
	return ember_error(-EINVAL, "--net %s: %s: %s", cfg->spec, item, why);
}

/* A decimal port 1-65535 that is exactly [s, end). */
static bool parse_port(const char *s, const char *end, uint16_t *out)
{
	if (s == end || end - s > 5)
		return false;
	unsigned v = 0;
	for (const char *p = s; p < end; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v < 1 || v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

/* An IPv4 dotted quad that is exactly [s, end); empty keeps *out. */
static bool parse_addr(const char *s, const char *end, struct in_addr *out)
{
	char buf[INET_ADDRSTRLEN];
	if (s == end)
		return true;
	if ((size_t)(end - s) >= sizeof(buf))
		return false;
	memcpy(buf, s, end - s);
	buf[end - s] = 0;
	return inet_pton(AF_INET, buf, out) == 1;
}

static int parse_hostfwd(struct net_config *cfg, const char *item)
{
	static const char form[] = "expected hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-"
				   "[GUESTADDR]:GUESTPORT";
	if (cfg->nfwd == NET_MAX_HOSTFWD)
		return bad(cfg, item, "too many hostfwd= (at most 16)");
	struct net_hostfwd *f = &cfg->fwd[cfg->nfwd];
	*f = (struct net_hostfwd){.guest_addr.s_addr = htonl(NET_USER_GUEST)};
	const char *s = item + strlen("hostfwd=");
	if (!strncmp(s, "tcp:", 4)) {
		s += 4;
	} else if (!strncmp(s, "udp:", 4)) {
		f->udp = true;
		s += 4;
	} else if (*s == ':') {
		s++;
	} else {
		return bad(cfg, item, form);
	}
	const char *dash = strchr(s, '-');
	const char *colon = memchr(s, ':', dash ? (size_t)(dash - s) : 0);
	if (!dash || !colon)
		return bad(cfg, item, form);
	if (!parse_addr(s, colon, &f->host_addr))
		return bad(cfg, item, "HOSTADDR is not an IPv4 address");
	if (!parse_port(colon + 1, dash, &f->host_port))
		return bad(cfg, item, "HOSTPORT must be a number from 1 to 65535");
	const char *g = dash + 1;
	const char *gcolon = strchr(g, ':');
	if (!gcolon)
		return bad(cfg, item, form);
	if (!parse_addr(g, gcolon, &f->guest_addr))
		return bad(cfg, item, "GUESTADDR is not an IPv4 address");
	if ((ntohl(f->guest_addr.s_addr) & NET_USER_NETMASK) != NET_USER_NETWORK)
		return bad(cfg, item, "GUESTADDR must be in the guest's network 10.0.2.0/24");
	if (!parse_port(gcolon + 1, gcolon + 1 + strlen(gcolon + 1), &f->guest_port))
		return bad(cfg, item, "GUESTPORT must be a number from 1 to 65535");
	/* A valid item is at most 56 characters: it fits. */
	snprintf(f->text, sizeof(f->text), "%s", item);
	cfg->nfwd++;
	return 0;
}

static int hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_mac(struct net_config *cfg, const char *item)
{
	const char *s = item + strlen("mac=");
	uint8_t mac[6];
	for (int i = 0; i < 6; i++) {
		int hi = hexdigit(s[0]), lo = hi < 0 ? -1 : hexdigit(s[1]);
		if (lo < 0 || s[2] != (i == 5 ? '\0' : ':'))
			return bad(cfg, item,
				   "not a MAC address (six hex bytes: 52:54:00:12:34:56)");
		mac[i] = (uint8_t)(hi << 4 | lo);
		s += 3;
	}
	/* The I/G bit: a group address cannot be a card's own. */
	if (mac[0] & 1)
		return bad(cfg, item, "a multicast address (first byte odd) cannot be a card's");
	memcpy(cfg->mac, mac, 6);
	return 0;
}

int net_config_parse(const char *spec, struct net_config *cfg)
{
	*cfg = (struct net_config){
	    .kind = NET_NONE, .mac = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56}, .mtu = NET_MTU_DEFAULT};
	if (strlen(spec) >= sizeof(cfg->spec))
		return ember_error(-EINVAL, "--net: value longer than %zu characters",
				   sizeof(cfg->spec) - 1);
	strcpy(cfg->spec, spec);
	char items[sizeof(cfg->spec)];
	strcpy(items, spec);
	char *save = NULL;
	char *kind = strtok_r(items, ",", &save);
	if (!kind || spec[0] == ',')
		return ember_error(-EINVAL, "--net %s: must be user, tap or none", spec);
	if (!strcmp(kind, "none"))
		cfg->kind = NET_NONE;
	else if (!strcmp(kind, "user"))
		cfg->kind = NET_USER;
	else if (!strcmp(kind, "tap"))
		cfg->kind = NET_TAP;
	else
		return ember_error(-EINVAL, "--net %s: must be user, tap or none", spec);
	bool has_mac = false, has_mtu = false;
	for (char *item; (item = strtok_r(NULL, ",", &save));) {
		int r;
		if (cfg->kind == NET_NONE) {
			return bad(cfg, item, "none takes no options");
		} else if (!strncmp(item, "mac=", 4)) {
			if (has_mac)
				return bad(cfg, item, "mac= given twice");
			has_mac = true;
			r = parse_mac(cfg, item);
		} else if (cfg->kind == NET_USER && !strncmp(item, "hostfwd=", 8)) {
			r = parse_hostfwd(cfg, item);
		} else if (cfg->kind == NET_USER && !strncmp(item, "mtu=", 4)) {
			char *end;
			long v = strtol(item + 4, &end, 10);
			if (has_mtu)
				return bad(cfg, item, "mtu= given twice");
			if (*end || end == item + 4 || v < NET_MTU_MIN || v > NET_MTU_MAX)
				return bad(cfg, item, "must be a number from 1280 to 65520");
			has_mtu = true;
			cfg->mtu = (uint16_t)v;
			r = 0;
		} else if (cfg->kind == NET_TAP && !strncmp(item, "ifname=", 7)) {
			const char *name = item + 7;
			if (cfg->ifname[0])
				return bad(cfg, item, "ifname= given twice");
			if (!*name || strlen(name) >= IFNAMSIZ || strchr(name, '/'))
				return bad(cfg, item,
					   "not an interface name (1-15 characters, no '/')");
			strcpy(cfg->ifname, name);
			r = 0;
		} else {
			return bad(cfg, item,
				   cfg->kind == NET_USER
				       ? "unknown; user takes hostfwd=..., mac=... and mtu=..."
				       : "unknown; tap takes ifname=NAME and mac=...");
		}
		if (r < 0)
			return r;
	}
	if (cfg->kind == NET_TAP && !cfg->ifname[0])
		return ember_error(-EINVAL, "--net %s: tap needs ifname=NAME", spec);
	return 0;
}
