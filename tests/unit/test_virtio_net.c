/*
 * test_virtio_net.c - the virtio-net device (src/virtio/net.c) as a driver
 * sees it, on a fake guest RAM and PCI bus with the --net user backend
 * behind it: the device configuration (virtio 1.2, 5.1.4: MAC, link up,
 * MTU),
 * a transmitted ARP request answered into a receive buffer with the
 * VERSION_1 header (5.1.6: num_buffers 1, DATA_VALID under GUEST_CSUM) and
 * slirp's reply (RFC 826); and a hostile driver's transmits (a chain shorter
 * than the header, a header asking for segmentation or a checksum outside
 * the frame, a frame over the MTU, a chain with no readable buffer) and a
 * receive buffer too small: each returned to the driver, nothing sent, and
 * the device still works afterwards.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "dma.h"
#include "layout.h"
#include "memmap.h"
#include "net/net.h"
#include "pci/board.h"
#include "pci/pci.h"
#include "t.h"
#include "util.h"
#include "virtio/net.h"
#include "virtio/net_hdr.h"
#include "virtio/virtio.h"
#include "vm.h"

#define RAM_END 0x100000ULL
#define QN	8
/* Rings: receive queue 0 and transmit queue 1; buffers from BUF. */
static const uint64_t desc[2] = {0x1000, 0x4000}, avail[2] = {0x2000, 0x5000},
		      used[2] = {0x3000, 0x6000};
#define BUF 0x10000

static struct memmap mem;
static struct bus pio, mmio;
static struct vm vm;
static struct pci_bus *bus;
static unsigned df;
static uint64_t bar4;
static uint32_t cap_bar_off[6];
static unsigned nmsi; /* atomic: MSIs the device sent */
static uint16_t next_desc[2];

static void t_line(void *o, unsigned input, int level)
{
}

static void t_msi(void *o, uint64_t addr, uint32_t data)
{
	__atomic_add_fetch(&nmsi, 1, __ATOMIC_RELAXED);
}

static uint8_t *hva(uint64_t gpa)
{
	return memmap_ptr(&mem, gpa, 1);
}

static uint16_t get16(uint64_t gpa)
{
	uint16_t v;
	__atomic_load(((uint16_t *)hva(gpa)), &v, __ATOMIC_ACQUIRE);
	return v;
}

static void set16(uint64_t gpa, uint16_t v)
{
	__atomic_store((uint16_t *)hva(gpa), &v, __ATOMIC_RELEASE);
}

static uint64_t cc_rd(unsigned off, unsigned size)
{
	return bus_read(&mmio, bar4 + cap_bar_off[1] + off, size);
}

static void cc_wr(unsigned off, unsigned size, uint64_t v)
{
	bus_write(&mmio, bar4 + cap_bar_off[1] + off, size, v);
}

static void notify(unsigned q)
{
	uint32_t mult = 0;
	for (unsigned c = pci_cfg_read(bus, df, 0x34, 1); c; c = pci_cfg_read(bus, df, c + 1, 1))
		if (pci_cfg_read(bus, df, c, 1) == PCI_CAP_ID_VENDOR &&
		    pci_cfg_read(bus, df, c + 3, 1) == 2)
			mult = pci_cfg_read(bus, df, c + 16, 4);
	cc_wr(0x16, 2, q);
	unsigned off = (unsigned)cc_rd(0x1E, 2);
	bus_write(&mmio, bar4 + cap_bar_off[2] + off * mult, 2, q);
}

/* A chain of n buffers (addr, len, device-writable?) made available on q. */
struct buf {
	uint64_t addr;
	uint32_t len;
	bool write;
};

static void post(unsigned q, const struct buf *b, unsigned n)
{
	uint16_t head = next_desc[q];
	for (unsigned i = 0; i < n; i++) {
		uint16_t d = (uint16_t)((head + i) % QN), nx = (uint16_t)((d + 1) % QN);
		uint16_t flags = (uint16_t)((i + 1 < n ? 1 : 0) | (b[i].write ? 2 : 0));
		uint8_t *p = hva(desc[q] + 16 * d);
		memcpy(p, &b[i].addr, 8);
		memcpy(p + 8, &b[i].len, 4);
		memcpy(p + 12, &flags, 2);
		memcpy(p + 14, &nx, 2);
	}
	next_desc[q] = (uint16_t)((head + n) % QN);
	uint16_t idx = get16(avail[q] + 2);
	set16(avail[q] + 4 + 2 * (idx % QN), head);
	set16(avail[q] + 2, (uint16_t)(idx + 1));
	notify(q);
}

/* Wait up to 3 s for the used index of q to reach want. */
static bool wait_used(unsigned q, uint16_t want)
{
	for (int i = 0; i < 3000; i++) {
		if (get16(used[q] + 2) == want)
			return true;
		usleep(1000);
	}
	return false;
}

static uint32_t used_len(unsigned q, uint16_t i)
{
	uint32_t v;
	memcpy(&v, hva(used[q] + 4 + 8 * (i % QN) + 4), 4);
	return v;
}

static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};

/* RFC 826: the guest (10.0.2.15) asks for 10.0.2.2. */
static size_t arp_request(uint8_t *p)
{
	static const uint8_t body[] = {0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1};
	memset(p, 0, 60);
	memset(p, 0xff, 6);
	memcpy(p + 6, mac, 6);
	memcpy(p + 12, body, sizeof(body));
	memcpy(p + 22, mac, 6);
	uint32_t s = htonl(NET_USER_GUEST), t = htonl(NET_USER_HOST);
	memcpy(p + 28, &s, 4);
	memcpy(p + 38, &t, 4);
	return 60;
}

/* A transmit: header h then frame, in one readable buffer at addr. */
static void tx(uint64_t addr, const struct net_hdr *h, const uint8_t *frame, size_t len)
{
	uint8_t *p = hva(addr);
	net_hdr_encode(h, p);
	memcpy(p + NET_HDR_LEN, frame, len);
	struct buf b = {addr, (uint32_t)(NET_HDR_LEN + len), false};
	post(1, &b, 1);
}

static bool setup(void)
{
	memmap_init(&mem);
	T_EQ(memmap_add(&mem, "ram", 0, RAM_END, memmap_alloc(&mem, RAM_END), MEMREGION_RAM), 0);
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	struct pci_board *board = calloc(1, sizeof(*board));
	vm.pci = board;
	board->dma = (struct dma_space){.mem = &mem};
	const struct pci_bus_ops ops = {.irq_line = t_line, .msi = t_msi};
	T_EQ(pci_bus_create(&board->bus, &pio, &mmio, LAYOUT_PCI_MMIO_START, LAYOUT_PCI_MMIO_END,
			    LAYOUT_PCI_IO_START, LAYOUT_PCI_IO_END, true, &ops),
	     0);
	bus = board->bus;
	struct net_config cfg;
	T_EQ(net_config_parse("user,mac=52:54:00:ab:cd:ef", &cfg), 0);
	int r = virtio_net_create(&vm, &cfg);
	T_CHECK(r == 0, "virtio_net_create: %s", ember_last_error());
	if (r)
		return false;
	df = PCI_DEVFN(2, 0);
	T_EQ(pci_cfg_read(bus, df, 0, 4), 0x10411AF4); /* 1AF4:1041, virtio-net */
	bar4 = pci_cfg_read(bus, df, 0x20, 4) & ~0xFULL;
	for (unsigned c = pci_cfg_read(bus, df, 0x34, 1); c; c = pci_cfg_read(bus, df, c + 1, 1))
		if (pci_cfg_read(bus, df, c, 1) == PCI_CAP_ID_VENDOR &&
		    pci_cfg_read(bus, df, c + 3, 1) <= 5)
			cap_bar_off[pci_cfg_read(bus, df, c + 3, 1)] =
			    pci_cfg_read(bus, df, c + 8, 4);
	/* MSI-X on (vectors 0-2 at 0xFEE00000), memory and bus mastering. */
	unsigned msix = 0;
	for (unsigned c = pci_cfg_read(bus, df, 0x34, 1); c; c = pci_cfg_read(bus, df, c + 1, 1))
		if (pci_cfg_read(bus, df, c, 1) == PCI_CAP_ID_MSIX)
			msix = c;
	uint64_t bar1 = pci_cfg_read(bus, df, 0x14, 4) & ~0xFULL;
	pci_cfg_write(bus, df, 4, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	pci_cfg_write(bus, df, msix + 2, 2, 0x8000);
	for (unsigned v = 0; v < 3; v++) {
		bus_write(&mmio, bar1 + 16 * v, 4, 0xFEE00000);
		bus_write(&mmio, bar1 + 16 * v + 8, 4, 0x40 + v);
		bus_write(&mmio, bar1 + 16 * v + 12, 4, 0);
	}
	/* 3.1.1: negotiate, both queues, DRIVER_OK. */
	cc_wr(0x14, 1, 0);
	cc_wr(0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	cc_wr(0x00, 4, 0);
	uint64_t f = cc_rd(0x04, 4);
	cc_wr(0x00, 4, 1);
	f |= cc_rd(0x04, 4) << 32;
	const uint64_t want = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_NET_F_CSUM |
			      1ULL << VIRTIO_NET_F_GUEST_CSUM | 1ULL << VIRTIO_NET_F_MAC |
			      1ULL << VIRTIO_NET_F_STATUS | 1ULL << VIRTIO_NET_F_MTU;
	T_CHECK((f & want) == want, "features %#llx lack %#llx", (unsigned long long)f,
		(unsigned long long)(want & ~f));
	cc_wr(0x08, 4, 0);
	cc_wr(0x0C, 4, (uint32_t)want);
	cc_wr(0x08, 4, 1);
	cc_wr(0x0C, 4, (uint32_t)(want >> 32));
	cc_wr(0x14, 1,
	      VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	T_EQ(cc_rd(0x12, 2), 2); /* receiveq1, transmitq1: no control queue */
	for (unsigned q = 0; q < 2; q++) {
		cc_wr(0x16, 2, q);
		cc_wr(0x18, 2, QN);
		cc_wr(0x20, 8, desc[q]);
		cc_wr(0x28, 8, avail[q]);
		cc_wr(0x30, 8, used[q]);
		cc_wr(0x1A, 2, q + 1);
		cc_wr(0x1C, 2, 1);
	}
	cc_wr(0x14, 1,
	      VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
		  VIRTIO_STATUS_DRIVER_OK);
	return true;
}

static void test_virtio_net(void)
{
	if (!setup())
		return;
	/* 5.1.4: mac, then status (VIRTIO_NET_S_LINK_UP), little-endian. */
	uint8_t cfg[12];
	for (unsigned i = 0; i < 12; i++)
		cfg[i] = (uint8_t)bus_read(&mmio, bar4 + cap_bar_off[4] + i, 1);
	T_CHECK(!memcmp(cfg, mac, 6), "config MAC %02x:%02x:%02x:%02x:%02x:%02x", cfg[0], cfg[1],
		cfg[2], cfg[3], cfg[4], cfg[5]);
	T_EQ(cfg[6] | cfg[7] << 8, VIRTIO_NET_S_LINK_UP);
	T_EQ(cfg[8] | cfg[9] << 8, 1);	    /* max_virtqueue_pairs */
	T_EQ(cfg[10] | cfg[11] << 8, 1500); /* mtu (VIRTIO_NET_F_MTU) */

	/* A receive buffer too small for any frame, then a good one. */
	struct buf small = {BUF, 20, true}, rx = {BUF + 0x1000, 2048, true};
	post(0, &small, 1);
	post(0, &rx, 1);

	/* Hostile transmits: each comes back unused and nothing reaches slirp
	 * (an ARP request slirp would answer, wrapped in each bad header). */
	uint8_t arp[60];
	size_t alen = arp_request(arp);
	uint16_t txn = 0;
	const struct net_hdr bad[] = {
	    {.gso_type = 1, .gso_size = 1460},		      /* TSO not offered */
	    {.flags = 1, .csum_start = 58, .csum_offset = 6}, /* field past the end */
	    {.flags = 1, .csum_start = 14, .csum_offset = 3}, /* odd offset */
	};
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++)
		tx(BUF + 0x2000 + 0x100 * i, &bad[i], arp, alen);
	txn += ARRAY_SIZE(bad);
	struct buf shorter = {BUF + 0x3000, NET_HDR_LEN - 1, false};
	post(1, &shorter, 1); /* shorter than the header */
	struct buf huge = {BUF + 0x4000, NET_HDR_LEN + NET_FRAME_MAX(1500) + 1, false};
	memset(hva(huge.addr), 0, NET_HDR_LEN);
	post(1, &huge, 1); /* over the MTU */
	struct buf wonly = {BUF + 0x3800, 64, true};
	post(1, &wonly, 1); /* nothing readable */
	txn += 3;
	T_CHECK(wait_used(1, txn), "the device returned %u of %u bad transmits", get16(used[1] + 2),
		txn);
	for (uint16_t i = 0; i < txn; i++)
		T_EQ(used_len(1, i), 0);
	usleep(200 * 1000); /* an answer to any of them would have come by now */
	T_EQ(get16(used[0] + 2), 0);

	/* A good transmit: slirp's ARP reply lands in the receive queue; the
	 * 20-byte buffer first, written 0 (the frame cannot fit: lost). */
	struct net_hdr ok = {0};
	tx(BUF + 0x2800, &ok, arp, alen);
	txn++;
	T_CHECK(wait_used(1, txn), "the good transmit was not returned");
	T_CHECK(wait_used(0, 1), "no receive buffer used after a good ARP request");
	T_EQ(used_len(0, 0), 0);
	/* The next reply (a second request) goes to the good buffer. */
	tx(BUF + 0x2900, &ok, arp, alen);
	txn++;
	T_CHECK(wait_used(0, 2), "no ARP reply in the second receive buffer");
	uint32_t n = used_len(0, 1);
	const uint8_t *p = hva(rx.addr);
	struct net_hdr h;
	net_hdr_decode(p, &h);
	T_CHECK(n >= NET_HDR_LEN + 42 && n <= NET_HDR_LEN + 64, "used length %u", n);
	T_EQ(h.num_buffers, 1);
	T_EQ(h.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	T_EQ(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	const uint8_t *f = p + NET_HDR_LEN;
	uint32_t spa;
	memcpy(&spa, f + 28, 4);
	T_CHECK(!memcmp(f, mac, 6) && f[12] == 0x08 && f[13] == 0x06 && f[21] == 2 &&
		    ntohl(spa) == NET_USER_HOST && !memcmp(f + 32, mac, 6),
		"not an ARP reply from 10.0.2.2 to our MAC");
	T_CHECK(__atomic_load_n(&nmsi, __ATOMIC_RELAXED) > 0, "no MSI for used buffers");
	pci_board_destroy(&vm); /* stops the backend's thread */
	memmap_destroy(&mem);
}

int main(void)
{
	T_RUN(test_virtio_net);
	T_EXIT();
}
