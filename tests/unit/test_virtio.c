/*
 * test_virtio.c - the split virtqueue walker and the modern PCI transport
 * against the virtio 1.2 specification, on a fake guest RAM: the ring
 * layout (2.7: descriptor table, available and used rings with the event
 * fields), chains and indirect tables (2.7.5, 2.7.10), the event index and
 * NO_INTERRUPT rules (2.7.7, 2.7.10), a hostile driver's rings (loops,
 * nested indirect tables, buffers outside RAM or wrapping, lengths near
 * 2^32, sizes that are not powers of two: refused, nothing touched), and a
 * driver's initialisation through the BAR the capabilities describe (3.1.1,
 * 4.1.4): feature negotiation, queue set-up, notifications, MSI-X and INTx
 * with the ISR, DEVICE_NEEDS_RESET and reset, the PCI configuration access
 * capability, and writes of any width.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "dma.h"
#include "layout.h"
#include "memmap.h"
#include "pci/board.h"
#include "pci/pci.h"
#include "t.h"
#include "virtio/virtio.h"
#include "vm.h"

/* Guest RAM [0, 1 MiB) and [2 MiB, 3 MiB); ROM [1 MiB, 1 MiB + 64 KiB);
 * the rest is a hole. */
#define RAM_A	  0x000000ULL
#define RAM_A_END 0x100000ULL
#define ROM	  0x100000ULL
#define RAM_B	  0x200000ULL
#define RAM_B_END 0x300000ULL

static struct memmap mem;
static struct {
	unsigned n;
	uint64_t gpa[8], len[8];
} wr;

static void rec_written(void *opaque, uint64_t gpa, uint64_t len)
{
	if (wr.n < 8) {
		wr.gpa[wr.n] = gpa;
		wr.len[wr.n] = len;
	}
	wr.n++;
}

static struct dma_space dma = {.mem = &mem, .written = rec_written};

static void mem_setup(void)
{
	memmap_init(&mem);
	T_EQ(memmap_add(&mem, "a", RAM_A, RAM_A_END - RAM_A, memmap_alloc(&mem, RAM_A_END - RAM_A),
			MEMREGION_RAM),
	     0);
	T_EQ(memmap_add(&mem, "rom", ROM, 0x10000, memmap_alloc(&mem, 0x10000), MEMREGION_ROM), 0);
	T_EQ(memmap_add(&mem, "b", RAM_B, RAM_B_END - RAM_B, memmap_alloc(&mem, RAM_B_END - RAM_B),
			MEMREGION_RAM),
	     0);
	memset(&wr, 0, sizeof(wr));
}

static uint8_t *hva(uint64_t gpa)
{
	return memmap_ptr(&mem, gpa, 1);
}

/* A queue of 8 at desc 0x1000, avail 0x2000, used 0x3000. */
#define DESC  0x1000
#define AVAIL 0x2000
#define USED  0x3000
#define QSIZE 8

static struct virtq vq;

static void q_setup(uint16_t size)
{
	mem_setup();
	vq = (struct virtq){.size = size, .desc = DESC, .avail = AVAIL, .used = USED};
}

static void set_desc_at(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
			uint16_t next)
{
	uint8_t *p = hva(table + 16 * i);
	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

static void set_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	set_desc_at(DESC, i, addr, len, flags, next);
}

static uint16_t get16(uint64_t gpa)
{
	uint16_t v;
	memcpy(&v, hva(gpa), 2);
	return v;
}

static uint32_t get32(uint64_t gpa)
{
	uint32_t v;
	memcpy(&v, hva(gpa), 4);
	return v;
}

static void set16(uint64_t gpa, uint16_t v)
{
	memcpy(hva(gpa), &v, 2);
}

/* The driver makes head available (2.7.13). */
static void avail_add(uint16_t head)
{
	uint16_t idx = get16(AVAIL + 2);
	set16(AVAIL + 4 + 2 * (idx % vq.size), head);
	set16(AVAIL + 2, idx + 1);
}

#define F_NEXT	   1
#define F_WRITE	   2
#define F_INDIRECT 4

static struct virtq_req req;

static void test_chain(void)
{
	q_setup(QSIZE);
	T_CHECK(virtq_layout_ok(&dma, &vq), "layout");
	const char *why = NULL;
	T_EQ(virtq_walk(&dma, &vq, &req, &why), 0); /* empty */
	set_desc(3, 0x4000, 16, F_NEXT, 5);
	set_desc(5, 0x5000, 32, F_WRITE | F_NEXT, 6);
	set_desc(6, RAM_B + 0x100, 8, F_WRITE, 0);
	avail_add(3);
	T_EQ(virtq_walk(&dma, &vq, &req, &why), 1);
	T_EQ(req.head, 3);
	T_EQ(req.nout, 1);
	T_EQ(req.nin, 2);
	T_CHECK(req.out[0].iov_base == hva(0x4000) && req.out[0].iov_len == 16, "out[0]");
	T_CHECK(req.in[0].iov_base == hva(0x5000) && req.in[0].iov_len == 32, "in[0]");
	T_CHECK(req.in[1].iov_base == hva(RAM_B + 0x100), "in[1] in the second region");
	T_EQ(req.out_len, 16);
	T_EQ(req.in_len, 40);
	T_EQ(vq.last_avail, 1);
	/* Used ring (2.7.8): id and len at used->ring[idx % size], then idx. */
	virtq_complete(&dma, &vq, &req, 36);
	T_EQ(get16(USED + 2), 1);
	T_EQ(get32(USED + 4), 3);
	T_EQ(get32(USED + 8), 36);
	/* What was written is reported: 32 bytes of in[0], 4 of in[1]. */
	T_EQ(wr.n, 2);
	T_EQ(wr.gpa[0], 0x5000);
	T_EQ(wr.len[0], 32);
	T_EQ(wr.gpa[1], RAM_B + 0x100);
	T_EQ(wr.len[1], 4);
	/* More than the chain's writable bytes is clamped. */
	avail_add(3);
	T_EQ(virtq_walk(&dma, &vq, &req, &why), 1);
	virtq_complete(&dma, &vq, &req, 0xFFFFFFFF);
	T_EQ(get32(USED + 16), 40);
	T_EQ(get16(USED + 2), 2);
	/* A zero-length descriptor is no buffer. */
	set_desc(0, 0x4000, 0, F_NEXT, 1);
	set_desc(1, 0x4000, 4, 0, 0);
	avail_add(0);
	T_EQ(virtq_walk(&dma, &vq, &req, &why), 1);
	T_EQ(req.nout, 1);
	T_EQ(req.nin, 0);
	/* The helpers copy across buffers. */
	set_desc(0, 0x4000, 3, F_NEXT, 1);
	set_desc(1, 0x4010, 5, F_NEXT, 2);
	set_desc(2, 0x5000, 2, F_WRITE | F_NEXT, 4);
	set_desc(4, 0x5010, 6, F_WRITE, 0);
	memcpy(hva(0x4000), "abc", 3);
	memcpy(hva(0x4010), "defgh", 5);
	avail_add(0);
	T_EQ(virtq_walk(&dma, &vq, &req, &why), 1);
	char buf[8] = {0};
	T_EQ(virtq_read_out(&req, 2, buf, 5), 5);
	T_CHECK(!memcmp(buf, "cdefg", 5), "read_out: %.5s", buf);
	T_EQ(virtq_read_out(&req, 6, buf, 8), 2);
	T_EQ(virtq_write_in(&req, 1, "0123456789", 10), 7);
	T_CHECK(!memcmp(hva(0x5000),
			"\0"
			"0",
			2) &&
		    !memcmp(hva(0x5010), "123456", 6),
		"write_in placement");
	memmap_destroy(&mem);
}

static void test_indirect(void)
{
	q_setup(QSIZE);
	const char *why = NULL;
	set_desc_at(0x6000, 0, 0x4000, 10, F_NEXT, 2);
	set_desc_at(0x6000, 2, 0x5000, 20, F_WRITE | F_NEXT, 1);
	set_desc_at(0x6000, 1, 0x5100, 30, F_WRITE, 0);
	set_desc(2, 0x6000, 48, F_INDIRECT, 0);
	avail_add(2);
	/* Not negotiated: a driver error. */
	T_EQ(virtq_walk(&dma, &vq, &req, &why), -EINVAL);
	T_CHECK(why && strstr(why, "INDIRECT"), "why: %s", why);
	T_EQ(vq.last_avail, 0);
	vq.indirect = true;
	T_EQ(virtq_walk(&dma, &vq, &req, &why), 1);
	T_EQ(req.head, 2);
	T_EQ(req.nout, 1);
	T_EQ(req.nin, 2);
	T_EQ(req.in_len, 50);
	T_CHECK(req.in[1].iov_base == hva(0x5100), "in[1]");
	/* A direct chain may end in an indirect table. */
	set_desc(0, 0x4000, 4, F_NEXT, 2);
	set_desc_at(0x6000, 0, 0x4800, 10, 0, 0);
	set_desc(2, 0x6000, 16, F_INDIRECT, 0);
	avail_add(0);
	T_EQ(virtq_walk(&dma, &vq, &req, &why), 1);
	T_EQ(req.nout, 2);
	memmap_destroy(&mem);
}

/* One malformed ring: refused with a reason, the queue does not advance. */
static void expect_bad(const char *what)
{
	const char *why = NULL;
	uint16_t before = vq.last_avail;
	int r = virtq_walk(&dma, &vq, &req, &why);
	T_CHECK(r == -EINVAL && why, "%s: walk returned %d", what, r);
	T_EQ(vq.last_avail, before);
}

static void test_hostile(void)
{
	static const struct {
		uint64_t addr;
		uint32_t len;
		const char *what;
	} bad_bufs[] = {
	    {0x150000, 16, "a hole"},
	    {ROM, 16, "ROM"},
	    {RAM_A_END - 8, 16, "across the end of RAM"},
	    {0xFFFFFFFFFFFFFFF0ULL, 0x20, "wrapping past 2^64"},
	    {0x1000, 0xFFFFFFFF, "a length near 2^32"},
	    {LAYOUT_IOAPIC_BASE, 4, "MMIO"},
	};
	for (unsigned i = 0; i < sizeof(bad_bufs) / sizeof(bad_bufs[0]); i++) {
		q_setup(QSIZE);
		set_desc(0, bad_bufs[i].addr, bad_bufs[i].len, F_WRITE, 0);
		avail_add(0);
		expect_bad(bad_bufs[i].what);
		memmap_destroy(&mem);
	}

	q_setup(QSIZE);
	vq.indirect = true;
	set_desc(0, 0x4000, 4, F_NEXT, 1);
	set_desc(1, 0x4000, 4, F_NEXT, 0);
	avail_add(0);
	expect_bad("a loop");

	q_setup(QSIZE);
	set_desc(0, 0x4000, 4, F_NEXT, 8);
	avail_add(0);
	expect_bad("next beyond the queue");

	q_setup(QSIZE);
	avail_add(8);
	expect_bad("head beyond the queue");

	q_setup(QSIZE);
	set16(AVAIL + 2, QSIZE + 1);
	expect_bad("avail index more than a queue ahead");

	q_setup(QSIZE);
	set_desc(0, 0x5000, 4, F_WRITE | F_NEXT, 1);
	set_desc(1, 0x4000, 4, 0, 0);
	avail_add(0);
	expect_bad("readable after writable");

	q_setup(QSIZE);
	vq.indirect = true;
	set_desc_at(0x6000, 0, 0x7000, 16, F_INDIRECT, 0);
	set_desc(0, 0x6000, 16, F_INDIRECT, 0);
	avail_add(0);
	expect_bad("an indirect table inside an indirect table");

	q_setup(QSIZE);
	vq.indirect = true;
	set_desc(0, 0x6000, 16, F_INDIRECT | F_NEXT, 1);
	avail_add(0);
	expect_bad("INDIRECT with NEXT");

	static const uint32_t bad_lens[] = {0, 8, 24, 16 * (VIRTQ_MAX_SEGS + 1), 0xFFFFFFF0};
	for (unsigned i = 0; i < sizeof(bad_lens) / sizeof(bad_lens[0]); i++) {
		q_setup(QSIZE);
		vq.indirect = true;
		set_desc(0, 0x6000, bad_lens[i], F_INDIRECT, 0);
		avail_add(0);
		expect_bad("indirect table length");
	}

	q_setup(QSIZE);
	vq.indirect = true;
	set_desc(0, 0x150000, 32, F_INDIRECT, 0);
	avail_add(0);
	expect_bad("indirect table in a hole");

	/* An indirect table looping on itself. */
	q_setup(QSIZE);
	vq.indirect = true;
	set_desc_at(0x6000, 0, 0x4000, 1, F_NEXT, 1);
	set_desc_at(0x6000, 1, 0x4000, 1, F_NEXT, 0);
	set_desc(0, 0x6000, 32, F_INDIRECT, 0);
	avail_add(0);
	expect_bad("a loop in an indirect table");

	/* A valid-looking chain of more buffers than the walker holds. */
	q_setup(512);
	vq.desc = RAM_B; /* 8 KiB of descriptors */
	vq.avail = 0x8000;
	vq.used = 0xA000;
	for (unsigned i = 0; i <= VIRTQ_MAX_SEGS; i++)
		set_desc_at(RAM_B, i, 0x4000, 1, i < VIRTQ_MAX_SEGS ? F_NEXT : 0,
			    (uint16_t)(i + 1));
	uint16_t idx = get16(0x8000 + 2);
	set16(0x8000 + 4, 0);
	set16(0x8000 + 2, idx + 1);
	expect_bad("more than VIRTQ_MAX_SEGS buffers");

	/* Rings: misaligned, outside RAM, in ROM, sizes not a power of two. */
	q_setup(QSIZE);
	T_CHECK(virtq_layout_ok(&dma, &vq), "the good layout");
	vq.size = 6;
	T_CHECK(!virtq_layout_ok(&dma, &vq), "size 6");
	vq.size = 0;
	T_CHECK(!virtq_layout_ok(&dma, &vq), "size 0");
	vq.size = QSIZE;
	vq.desc = DESC + 8;
	T_CHECK(!virtq_layout_ok(&dma, &vq), "desc misaligned");
	vq.desc = DESC;
	vq.used = USED + 2;
	T_CHECK(!virtq_layout_ok(&dma, &vq), "used misaligned");
	vq.used = ROM;
	T_CHECK(!virtq_layout_ok(&dma, &vq), "used in ROM");
	vq.used = RAM_A_END - 16;
	T_CHECK(!virtq_layout_ok(&dma, &vq), "used across the end of RAM");
	expect_bad("walking a queue whose used ring is not in RAM");
	T_EQ(wr.n, 0); /* nothing was written anywhere */
	memmap_destroy(&mem);
}

static void test_event_idx(void)
{
	q_setup(QSIZE);
	vq.event_idx = true;
	const char *why;
	set_desc(0, 0x5000, 4, F_WRITE, 0);
	avail_add(0);
	avail_add(0);
	T_EQ(virtq_walk(&dma, &vq, &req, &why), 1);
	T_EQ(virtq_walk(&dma, &vq, &req, &why), 1);
	/* Drained: avail_event (after used->ring) asks for the next entry. */
	T_EQ(virtq_walk(&dma, &vq, &req, &why), 0);
	T_EQ(get16(USED + 4 + 8 * QSIZE), 2);
	/* Interrupts: the first completion always; then only when the used
	 * index passes used_event (after avail->ring), 2.7.10. */
	virtq_complete(&dma, &vq, &req, 0);
	T_CHECK(virtq_should_interrupt(&dma, &vq), "first completion");
	T_CHECK(!virtq_should_interrupt(&dma, &vq), "nothing new");
	set16(AVAIL + 4 + 2 * QSIZE, 3);    /* used_event: wake me at entry 3 */
	virtq_complete(&dma, &vq, &req, 0); /* used idx 2 */
	T_CHECK(!virtq_should_interrupt(&dma, &vq), "idx 2 < used_event + 1");
	virtq_complete(&dma, &vq, &req, 0); /* 3 */
	T_CHECK(!virtq_should_interrupt(&dma, &vq), "idx 3: entry 3 not yet used");
	virtq_complete(&dma, &vq, &req, 0); /* 4: entry 3 written */
	T_CHECK(virtq_should_interrupt(&dma, &vq), "idx 4 passes used_event 3");
	/* Two at once across used_event. */
	set16(AVAIL + 4 + 2 * QSIZE, 4);
	virtq_complete(&dma, &vq, &req, 0);
	virtq_complete(&dma, &vq, &req, 0);
	T_CHECK(virtq_should_interrupt(&dma, &vq), "4 in [4, 6)");
	memmap_destroy(&mem);

	/* Without the event index: VIRTQ_AVAIL_F_NO_INTERRUPT (2.7.7). */
	q_setup(QSIZE);
	set_desc(0, 0x5000, 4, F_WRITE, 0);
	avail_add(0);
	T_EQ(virtq_walk(&dma, &vq, &req, &why), 1);
	set16(AVAIL, 1);
	virtq_complete(&dma, &vq, &req, 0);
	T_CHECK(!virtq_should_interrupt(&dma, &vq), "NO_INTERRUPT");
	set16(AVAIL, 0);
	virtq_complete(&dma, &vq, &req, 0);
	T_CHECK(virtq_should_interrupt(&dma, &vq), "flags 0");
	T_CHECK(!virtq_should_interrupt(&dma, &vq), "nothing new");
	memmap_destroy(&mem);
}

/* ---- the transport, as a driver sees it ---- */

static struct bus pio, mmio;
static struct pci_board *board; /* pci_board_destroy frees it */
static struct vm vm;

static struct {
	unsigned notifies, resets, driver_oks, destroys, nmsi;
	unsigned last_q;
	uint32_t msi_data;
	int line[24];
	uint8_t config[8];
} dev;

static void t_line(void *o, unsigned input, int level)
{
	dev.line[input] = level;
}

static void t_msi(void *o, uint64_t addr, uint32_t data)
{
	dev.nmsi++;
	dev.msi_data = data;
}

static void t_config_read(void *o, unsigned off, void *buf, unsigned len)
{
	memcpy(buf, dev.config + off, len);
}

static void t_config_write(void *o, unsigned off, const void *buf, unsigned len)
{
	memcpy(dev.config + off, buf, len);
}

static void t_notify(void *o, unsigned q)
{
	dev.notifies++;
	dev.last_q = q;
}

static void t_reset(void *o)
{
	dev.resets++;
}

static void t_driver_ok(void *o)
{
	dev.driver_oks++;
}

static void t_destroy(void *o)
{
	dev.destroys++;
}

#define T_FEATURE 5 /* a device feature bit */
static const struct virtio_dev_ops t_ops = {
    .features = 1ULL << T_FEATURE,
    .config_len = sizeof(dev.config),
    .config_read = t_config_read,
    .config_write = t_config_write,
    .queue_notify = t_notify,
    .reset = t_reset,
    .driver_ok = t_driver_ok,
    .destroy = t_destroy,
};

static struct virtio_dev *vd;
static unsigned df;
static uint64_t bar4, bar1;
static unsigned cap_off[6]; /* by cfg_type */
static uint32_t cap_bar_off[6];

static void transport_setup(void)
{
	mem_setup();
	memset(&dev, 0, sizeof(dev));
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	memset(&vm, 0, sizeof(vm));
	board = calloc(1, sizeof(*board));
	vm.pci = board;
	board->dma = dma;
	const struct pci_bus_ops ops = {.irq_line = t_line, .msi = t_msi};
	T_EQ(pci_bus_create(&board->bus, &pio, &mmio, LAYOUT_PCI_MMIO_START, LAYOUT_PCI_MMIO_END,
			    LAYOUT_PCI_IO_START, LAYOUT_PCI_IO_END, true, &ops),
	     0);
	vd = virtio_pci_create(&vm, "virtio-test", VIRTIO_ID_RNG, 2, 8, &t_ops, NULL);
	T_CHECK(vd, "virtio_pci_create");
	df = PCI_DEVFN(2, 0);
	struct pci_bus *b = board->bus;
	/* 4.1.2: IDs, revision 1, subsystem. */
	T_EQ(pci_cfg_read(b, df, 0, 4), 0x10441AF4);
	T_EQ(pci_cfg_read(b, df, 8, 1), 1);
	T_CHECK(pci_cfg_read(b, df, 0x2E, 2) >= 0x40, "subsystem ID");
	bar4 = pci_cfg_read(b, df, 0x20, 4) & ~0xFULL;
	bar1 = pci_cfg_read(b, df, 0x14, 4) & ~0xFULL;
	T_CHECK(bar4 >= LAYOUT_PCI_MMIO_START && bar1 >= LAYOUT_PCI_MMIO_START, "BARs placed");
	/* 4.1.4: walk the vendor capabilities. */
	memset(cap_off, 0, sizeof(cap_off));
	for (unsigned c = pci_cfg_read(b, df, 0x34, 1); c; c = pci_cfg_read(b, df, c + 1, 1)) {
		if (pci_cfg_read(b, df, c, 1) != PCI_CAP_ID_VENDOR)
			continue;
		unsigned type = pci_cfg_read(b, df, c + 3, 1);
		T_CHECK(type >= 1 && type <= 5, "cfg_type %u", type);
		if (type > 5)
			continue;
		cap_off[type] = c;
		cap_bar_off[type] = pci_cfg_read(b, df, c + 8, 4);
		if (type != 5)
			T_EQ(pci_cfg_read(b, df, c + 4, 1), 4); /* in BAR 4 */
	}
	for (unsigned t = 1; t <= 5; t++)
		T_CHECK(cap_off[t], "capability type %u missing", t);
	T_CHECK(pci_cfg_read(b, df, cap_off[1] + 12, 4) >= 0x38, "common cfg length");
	T_EQ(pci_cfg_read(b, df, cap_off[2] + 2, 1), 20); /* + notify_off_multiplier */
	T_EQ(pci_cfg_read(b, df, cap_off[4] + 12, 4), sizeof(dev.config));
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
	uint32_t mult = pci_cfg_read(board->bus, df, cap_off[2] + 16, 4);
	cc_rd(0x16, 2);
	cc_wr(0x16, 2, q);
	unsigned off = (unsigned)cc_rd(0x1E, 2);
	bus_write(&mmio, bar4 + cap_bar_off[2] + off * mult, 2, q);
}

static uint64_t features(void)
{
	cc_wr(0x00, 4, 0);
	uint64_t f = cc_rd(0x04, 4);
	cc_wr(0x00, 4, 1);
	return f | cc_rd(0x04, 4) << 32;
}

static void set_features(uint64_t f)
{
	cc_wr(0x08, 4, 0);
	cc_wr(0x0C, 4, (uint32_t)f);
	cc_wr(0x08, 4, 1);
	cc_wr(0x0C, 4, (uint32_t)(f >> 32));
}

/* 3.1.1 up to FEATURES_OK; queue 0 of 4 entries at our rings. */
static void driver_init(uint64_t f)
{
	cc_wr(0x14, 1, 0);
	T_EQ(cc_rd(0x14, 1), 0);
	cc_wr(0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	cc_wr(0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	set_features(f);
	cc_wr(0x14, 1,
	      VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	T_EQ(cc_rd(0x14, 1),
	     VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	cc_wr(0x16, 2, 0);
	T_EQ(cc_rd(0x18, 2), 8); /* the maximum */
	cc_wr(0x18, 2, 4);
	cc_wr(0x20, 4, DESC);
	cc_wr(0x24, 4, 0);
	cc_wr(0x28, 8, AVAIL); /* one 64-bit write */
	cc_wr(0x30, 4, USED);
	cc_wr(0x34, 4, 0);
	cc_wr(0x1A, 2, 1); /* MSI-X vector 1 */
	cc_wr(0x10, 2, 0); /* config changes: vector 0 */
	cc_wr(0x1C, 2, 1);
	T_EQ(cc_rd(0x1C, 2), 1);
	vq = (struct virtq){.size = 4, .desc = DESC, .avail = AVAIL, .used = USED};
}

static void driver_ok(void)
{
	cc_wr(0x14, 1,
	      VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
		  VIRTIO_STATUS_DRIVER_OK);
}

/* MSI-X on, bus mastering, vectors 0 and 1 unmasked with data 0x40+n. */
static void msix_on(void)
{
	struct pci_bus *b = board->bus;
	unsigned cap = 0;
	for (unsigned c = pci_cfg_read(b, df, 0x34, 1); c; c = pci_cfg_read(b, df, c + 1, 1))
		if (pci_cfg_read(b, df, c, 1) == PCI_CAP_ID_MSIX)
			cap = c;
	T_CHECK(cap, "MSI-X capability");
	T_EQ(pci_cfg_read(b, df, cap + 2, 2) & 0x7FF, 2); /* config + 2 queues */
	pci_cfg_write(b, df, 4, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	pci_cfg_write(b, df, cap + 2, 2, 0x8000);
	for (unsigned v = 0; v < 2; v++) {
		bus_write(&mmio, bar1 + 16 * v, 4, 0xFEE00000);
		bus_write(&mmio, bar1 + 16 * v + 8, 4, 0x40 + v);
		bus_write(&mmio, bar1 + 16 * v + 12, 4, 0);
	}
}

static void test_transport(void)
{
	transport_setup();
	/* Features: ours and the core's; VERSION_1 is mandatory (no legacy). */
	uint64_t f = features();
	T_EQ(f, 1ULL << T_FEATURE | 1ULL << VIRTIO_F_VERSION_1 |
		    1ULL << VIRTIO_RING_F_INDIRECT_DESC | 1ULL << VIRTIO_RING_F_EVENT_IDX);
	cc_wr(0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	set_features(1ULL << T_FEATURE);
	cc_wr(0x14, 1,
	      VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	T_EQ(cc_rd(0x14, 1) & VIRTIO_STATUS_FEATURES_OK, 0); /* refused */
	set_features(1ULL << 40);
	cc_wr(0x14, 1,
	      VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	T_EQ(cc_rd(0x14, 1) & VIRTIO_STATUS_FEATURES_OK, 0); /* not offered */
	T_EQ(cc_rd(0x12, 2), 2);			     /* num_queues */
	cc_wr(0x16, 2, 1);
	T_EQ(cc_rd(0x1E, 2), 1); /* queue_notify_off */
	cc_wr(0x16, 2, 9);	 /* no such queue: size 0 */
	T_EQ(cc_rd(0x18, 2), 0);
	cc_wr(0x10, 2, 77); /* vector beyond the table */
	T_EQ(cc_rd(0x10, 2), 0xFFFF);

	uint64_t feat = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_RING_F_EVENT_IDX;
	driver_init(feat);
	unsigned resets = dev.resets; /* driver_init's own reset counted */
	T_EQ(virtio_negotiated(vd), feat);
	/* Before DRIVER_OK a doorbell reaches nobody. */
	notify(0);
	T_EQ(dev.notifies, 0);
	driver_ok();
	T_EQ(dev.driver_oks, 1);
	notify(0);
	T_EQ(dev.notifies, 1);
	T_EQ(dev.last_q, 0);
	notify(1);						 /* not enabled */
	bus_write(&mmio, bar4 + cap_bar_off[2] + 4 * 40, 2, 40); /* no such queue */
	T_EQ(dev.notifies, 1);
	/* Device configuration, any width. */
	memcpy(dev.config, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	T_EQ(bus_read(&mmio, bar4 + cap_bar_off[4] + 2, 4), 0x06050403);
	T_EQ(bus_read(&mmio, bar4 + cap_bar_off[4] + 6, 4), 0x0807); /* past the end: 0 */
	bus_write(&mmio, bar4 + cap_bar_off[4] + 7, 2, 0xAAFF);
	T_EQ(dev.config[7], 0xFF);

	/* A request: pop, push, and the interrupt through INTx + ISR. */
	set_desc(0, 0x5000, 8, F_WRITE, 0);
	avail_add(0);
	T_EQ(virtq_pop(vd, 0, &req), 1);
	T_EQ(virtq_pop(vd, 0, &req), 0);
	virtq_push(vd, 0, &req, 8);
	virtq_kick_guest(vd, 0);
	unsigned gsi = pci_intx_gsi(df, 1);
	T_EQ(dev.line[gsi], 1);
	T_EQ(bus_read(&mmio, bar4 + cap_bar_off[3], 1), 1); /* queue interrupt */
	T_EQ(dev.line[gsi], 0);
	T_EQ(bus_read(&mmio, bar4 + cap_bar_off[3], 1), 0); /* read clears */
	T_EQ(get16(USED + 2), 1);

	/* MSI-X: the queue's vector, once used_event asks for it. */
	msix_on();
	set16(AVAIL + 4 + 2 * 4, 1);
	avail_add(0);
	T_EQ(virtq_pop(vd, 0, &req), 1);
	virtq_push(vd, 0, &req, 8);
	virtq_kick_guest(vd, 0);
	T_EQ(dev.nmsi, 1);
	T_EQ(dev.msi_data, 0x41);
	T_EQ(dev.line[gsi], 0);

	/* A malformed ring: DEVICE_NEEDS_RESET, a configuration interrupt,
	 * the queue stops. */
	set_desc(1, 0x150000, 8, F_WRITE, 0);
	avail_add(1);
	T_EQ(virtq_pop(vd, 0, &req), -EINVAL);
	T_EQ(cc_rd(0x14, 1) & VIRTIO_STATUS_DEVICE_NEEDS_RESET, VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	T_EQ(dev.nmsi, 2);
	T_EQ(dev.msi_data, 0x40);
	avail_add(0);
	T_EQ(virtq_pop(vd, 0, &req), -EIO);
	notify(0);
	T_EQ(dev.notifies, 1);
	/* Reset (status 0): the device hears of it, everything is back. */
	cc_wr(0x14, 1, 0);
	T_EQ(dev.resets, resets + 1);
	T_EQ(cc_rd(0x14, 1), 0);
	cc_wr(0x16, 2, 0);
	T_EQ(cc_rd(0x1C, 2), 0);
	T_EQ(cc_rd(0x18, 2), 8);
	T_EQ(cc_rd(0x1A, 2), 0xFFFF);
	T_EQ(virtio_negotiated(vd), 0);
	memmap_destroy(&mem);
	pci_board_destroy(&vm);
	T_EQ(dev.destroys, 1);
}

static void test_stale_push(void)
{
	transport_setup();
	driver_init(1ULL << VIRTIO_F_VERSION_1);
	driver_ok();
	set_desc(0, 0x5000, 8, F_WRITE, 0);
	avail_add(0);
	T_EQ(virtq_pop(vd, 0, &req), 1);
	/* The driver resets and sets the queue up again before the device
	 * completes: the old request must not land in the new ring. */
	cc_wr(0x14, 1, 0);
	memset(hva(AVAIL), 0, 0x1000);
	memset(hva(USED), 0, 0x1000);
	driver_init(1ULL << VIRTIO_F_VERSION_1);
	driver_ok();
	virtq_push(vd, 0, &req, 8);
	T_EQ(get16(USED + 2), 0);
	/* A queue enabled with a size that is not a power of two, or rings
	 * outside RAM: the device needs a reset. */
	cc_wr(0x14, 1, 0);
	cc_wr(0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	set_features(1ULL << VIRTIO_F_VERSION_1);
	cc_wr(0x14, 1,
	      VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	cc_wr(0x16, 2, 1);
	cc_wr(0x18, 2, 6);
	cc_wr(0x20, 8, DESC);
	cc_wr(0x28, 8, AVAIL);
	cc_wr(0x30, 8, USED);
	cc_wr(0x1C, 2, 1);
	T_EQ(cc_rd(0x1C, 2), 0);
	T_EQ(cc_rd(0x14, 1) & VIRTIO_STATUS_DEVICE_NEEDS_RESET, VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	memmap_destroy(&mem);
	pci_board_destroy(&vm);
}

/* The PCI configuration access capability (4.1.4.9): a window into the
 * BAR through configuration space. */
static void test_pci_cfg_cap(void)
{
	transport_setup();
	struct pci_bus *b = board->bus;
	unsigned c = cap_off[5];
	cc_wr(0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	pci_cfg_write(b, df, c + 4, 1, 4);		       /* bar */
	pci_cfg_write(b, df, c + 8, 4, cap_bar_off[1] + 0x14); /* device_status */
	pci_cfg_write(b, df, c + 12, 4, 1);		       /* length */
	T_EQ(pci_cfg_read(b, df, c + 16, 4) & 0xFF, VIRTIO_STATUS_ACKNOWLEDGE);
	pci_cfg_write(b, df, c + 16, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	T_EQ(cc_rd(0x14, 1), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	/* Another BAR, a bad length or misaligned offset: nothing. */
	pci_cfg_write(b, df, c + 12, 4, 3);
	pci_cfg_write(b, df, c + 16, 1, 0);
	T_EQ(cc_rd(0x14, 1), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	memmap_destroy(&mem);
	pci_board_destroy(&vm);
}

/* Any width at any offset of the whole BAR, with any value: nothing
 * crashes, and the device stays a device a driver can reset and use. */
static void test_any_width(void)
{
	transport_setup();
	msix_on();
	uint64_t x = 0x9E3779B97F4A7C15ULL;
	for (unsigned off = 0; off < 0x4000; off++)
		for (unsigned size = 1; size <= 8; size *= 2) {
			if ((off & 0xFFF) > 0x40 && off < 0x3000)
				continue; /* nothing there: keep the loop short */
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			bus_write(&mmio, bar4 + off, size, x);
			bus_read(&mmio, bar4 + off, size);
		}
	cc_wr(0x14, 1, 0);
	T_EQ(cc_rd(0x14, 1), 0);
	T_EQ(cc_rd(0x12, 2), 2);
	driver_init(1ULL << VIRTIO_F_VERSION_1);
	driver_ok();
	set_desc(0, 0x5000, 8, F_WRITE, 0);
	avail_add(0);
	T_EQ(virtq_pop(vd, 0, &req), 1);
	memmap_destroy(&mem);
	pci_board_destroy(&vm);
}

int main(void)
{
	T_RUN(test_chain);
	T_RUN(test_indirect);
	T_RUN(test_hostile);
	T_RUN(test_event_idx);
	T_RUN(test_transport);
	T_RUN(test_stale_push);
	T_RUN(test_pci_cfg_cap);
	T_RUN(test_any_width);
	T_EXIT();
}
