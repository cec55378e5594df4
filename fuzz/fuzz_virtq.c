/*
 * fuzz/fuzz_virtq.c - libFuzzer target for the split virtqueue walker
 * (src/virtio/virtqueue.c) on a fake guest RAM the input fills: two RAM
 * regions with a ROM and holes between them, a queue whose size, ring
 * addresses and negotiated features come from the input (sizes that are not
 * powers of two, rings anywhere, near 2^64 too), then rounds of walks,
 * completions of any length and interrupt decisions.  The RAM is malloc'd so
 * ASan sees a byte outside it; beyond that the invariants are checked after
 * every walk: each buffer lies inside a RAM region, readable before
 * writable, no more than VIRTQ_MAX_SEGS, the byte counts add up, and a
 * walk's work is bounded (the chain and one indirect table).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dma.h"
#include "memmap.h"
#include "virtio/virtio.h"

#define RAM0	  0x0000ULL
#define RAM0_SIZE 0x10000ULL
#define ROM	  0x10000ULL
#define ROM_SIZE  0x1000ULL
#define RAM1	  0x20000ULL
#define RAM1_SIZE 0x4000ULL

static uint8_t *ram0, *ram1, *rom;
static struct memmap mem;
static uint64_t written_bytes;

static void fz_written(void *o, uint64_t gpa, uint64_t len)
{
	/* Only inside RAM, and never more than was handed out. */
	bool in0 = gpa >= RAM0 && gpa - RAM0 < RAM0_SIZE && len <= RAM0_SIZE - (gpa - RAM0);
	bool in1 = gpa >= RAM1 && gpa - RAM1 < RAM1_SIZE && len <= RAM1_SIZE - (gpa - RAM1);
	if (!in0 && !in1)
		abort();
	written_bytes += len;
}

static const struct dma_space dma = {.mem = &mem, .written = fz_written};

static bool in_ram(const void *p, size_t len)
{
	const uint8_t *b = p;
	return (b >= ram0 && b + len <= ram0 + RAM0_SIZE) ||
	       (b >= ram1 && b + len <= ram1 + RAM1_SIZE);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ram0 = malloc(RAM0_SIZE);
	ram1 = malloc(RAM1_SIZE);
	rom = malloc(ROM_SIZE);
	memmap_init(&mem);
	if (!ram0 || !ram1 || !rom ||
	    memmap_add(&mem, "ram0", RAM0, RAM0_SIZE, ram0, MEMREGION_RAM) ||
	    memmap_add(&mem, "rom", ROM, ROM_SIZE, rom, MEMREGION_ROM) ||
	    memmap_add(&mem, "ram1", RAM1, RAM1_SIZE, ram1, MEMREGION_RAM))
		abort();
	return 0;
}

static uint64_t take(const uint8_t **d, size_t *n, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes && *n; i++, (*d)++, (*n)--)
		v |= (uint64_t) * *d << (8 * i);
	return v;
}

static void fill(uint8_t *dst, size_t len, const uint8_t *src, size_t n)
{
	if (!n) {
		memset(dst, 0, len);
		return;
	}
	for (size_t off = 0; off < len; off += n)
		memcpy(dst + off, src, len - off < n ? len - off : n);
}

/* A ring address: mostly inside the RAM, sometimes anywhere. */
static uint64_t ring_addr(const uint8_t **d, size_t *n)
{
	uint64_t sel = take(d, n, 1), a = take(d, n, 2);
	switch (sel & 3) {
	case 0:
		return RAM0 + a;
	case 1:
		return RAM1 + (a & (RAM1_SIZE - 1));
	case 2:
		return ROM + (a & 0xFFF);
	default:
		return ~0ULL - a;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *d = data;
	size_t n = size;
	struct virtq vq = {0};
	vq.size = (uint16_t)take(&d, &n, 2) % 1025;
	uint8_t flags = (uint8_t)take(&d, &n, 1);
	vq.indirect = flags & 1;
	vq.event_idx = flags & 2;
	vq.desc = ring_addr(&d, &n);
	vq.avail = ring_addr(&d, &n);
	vq.used = ring_addr(&d, &n);
	vq.last_avail = (uint16_t)take(&d, &n, 2);
	vq.used_idx = (uint16_t)take(&d, &n, 2);
	/* The rest of the input is the guest's RAM, repeated to fill both
	 * regions (the second from the input's middle). */
	fill(ram0, RAM0_SIZE, d, n);
	fill(ram1, RAM1_SIZE, d + n / 2, n - n / 2);
	bool layout = virtq_layout_ok(&dma, &vq);
	static struct virtq_req req;
	for (unsigned round = 0; round < 64; round++) {
		const char *why = NULL;
		written_bytes = 0;
		int r = virtq_walk(&dma, &vq, &req, &why);
		if (r < 0) {
			if (!why)
				abort();
			break;
		}
		if (r == 0)
			break;
		if (!layout) /* a walk needs rings that pass the layout check */
			abort();
		if (req.nout + req.nin > VIRTQ_MAX_SEGS || req.out != req.iov ||
		    req.in != req.iov + req.nout || req.head >= vq.size)
			abort();
		size_t out = 0, in = 0;
		for (unsigned i = 0; i < req.nout + req.nin; i++) {
			if (!req.iov[i].iov_len || !in_ram(req.iov[i].iov_base, req.iov[i].iov_len))
				abort();
			if (i < req.nout)
				out += req.iov[i].iov_len;
			else
				in += req.iov[i].iov_len;
		}
		if (out != req.out_len || in != req.in_len)
			abort();
		/* The device fills what it says it wrote (any length asked). */
		uint32_t w = (uint32_t)(round * 2654435761u);
		uint8_t fill[64];
		memset(fill, 0xA5, sizeof(fill));
		for (size_t off = 0; off < req.in_len && off < w && off < 4096; off += sizeof(fill))
			virtq_write_in(&req, off, fill, sizeof(fill));
		virtq_complete(&dma, &vq, &req, w);
		if (written_bytes > req.in_len || written_bytes > w)
			abort();
		virtq_should_interrupt(&dma, &vq);
	}
	return 0;
}
