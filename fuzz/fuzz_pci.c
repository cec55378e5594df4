/*
 * fuzz/fuzz_pci.c - libFuzzer target for PCI bus 0 and the virtio PCI
 * transport as a guest reaches them: a byte-coded program of port I/O (the
 * configuration mechanism's 0xCF8/0xCFC-0xCFF, the I/O window) and MMIO (the
 * memory window) accesses of any width and offset, configuration cycles at
 * any function, offset and width (BARs moved, decoding and MSI-X switched
 * on and off, the PCI configuration access capability), doorbells in
 * storms, and a device that answers each doorbell by popping and pushing
 * what the fuzzer put in guest RAM.  No oracle of values (test_pci and
 * test_virtio are that): nothing may crash, hang or trip ASan/UBSan, the
 * IDs never change, interrupt lines stay 0/1 and every device callback
 * stays bounded.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "dma.h"
#include "layout.h"
#include "memmap.h"
#include "pci/board.h"
#include "pci/i440fx.h"
#include "pci/pci.h"
#include "virtio/virtio.h"
#include "vm.h"

#define RAM_SIZE 0x10000ULL

static struct bus pio, mmio;
static struct memmap mem;
static uint8_t *ram;
static struct vm vm;
static struct pci_board *board;
static struct virtio_dev *vdev;
static unsigned callbacks;
static struct virtq_req req;

static void fz_line(void *o, unsigned input, int level)
{
	if (input >= 24 || (level != 0 && level != 1))
		abort();
}

static void fz_msi(void *o, uint64_t addr, uint32_t data)
{
}

/* The device: every doorbell drains its queue (bounded by the walker). */
static void fz_notify(void *o, unsigned q)
{
	if (++callbacks > 100000)
		abort();
	for (unsigned i = 0; i < 64 && virtq_pop(vdev, q, &req) > 0; i++) {
		uint8_t b[16] = {0};
		virtq_read_out(&req, 0, b, sizeof(b));
		virtq_write_in(&req, 0, b, sizeof(b));
		virtq_push(vdev, q, &req, b[0] | b[1] << 8);
	}
	virtq_kick_guest(vdev, q);
}

static uint8_t config[12];

static void fz_config_read(void *o, unsigned off, void *buf, unsigned len)
{
	if (off + len > sizeof(config))
		abort();
	memcpy(buf, config + off, len);
}

static void fz_config_write(void *o, unsigned off, const void *buf, unsigned len)
{
	if (off + len > sizeof(config))
		abort();
	memcpy(config + off, buf, len);
}

static const struct virtio_dev_ops fz_ops = {
    .features = 1,
    .config_len = sizeof(config),
    .config_read = fz_config_read,
    .config_write = fz_config_write,
    .queue_notify = fz_notify,
};

static void setup(void)
{
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	memset(&vm, 0, sizeof(vm));
	board = calloc(1, sizeof(*board));
	vm.pci = board;
	board->dma = (struct dma_space){.mem = &mem};
	const struct pci_bus_ops ops = {.irq_line = fz_line, .msi = fz_msi};
	if (pci_bus_create(&board->bus, &pio, &mmio, LAYOUT_PCI_MMIO_START, LAYOUT_PCI_MMIO_END,
			   LAYOUT_PCI_IO_START, LAYOUT_PCI_IO_END, true, &ops) ||
	    i440fx_create(board->bus, &mem))
		abort();
	vdev = virtio_pci_create(&vm, "virtio-fuzz", VIRTIO_ID_RNG, 2, 8, &fz_ops, NULL);
	if (!vdev)
		abort();
}

static void teardown(void)
{
	for (unsigned i = 0; i < board->nvirtio; i++)
		virtio_dev_free(board->virtio[i]);
	pci_bus_destroy(board->bus);
	free(board);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ram = malloc(RAM_SIZE);
	memmap_init(&mem);
	if (!ram || memmap_add(&mem, "ram", 0, RAM_SIZE, ram, MEMREGION_RAM))
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *d = data;
	size_t n = size;
	/* The first half (up to 4 KiB) seeds guest RAM: rings and buffers. */
	size_t seed = n / 2 < 4096 ? n / 2 : 4096;
	memset(ram, 0, RAM_SIZE);
	for (size_t off = 0; seed && off < RAM_SIZE; off += seed)
		memcpy(ram + off, d, RAM_SIZE - off < seed ? RAM_SIZE - off : seed);
	d += seed;
	n -= seed;
	setup();
	callbacks = 0;
	/* The virtio function's BAR 4 and the MSI-X BAR, as placed. */
	unsigned df = PCI_DEVFN(2, 0);
	while (n) {
		unsigned op = (unsigned)take(&d, &n, 1);
		unsigned size = 1u << ((op >> 4) & 3);
		uint64_t val = take(&d, &n, size);
		switch (op & 15) {
		case 0: /* configuration cycle through the ports */
			bus_write(&pio, 0xCF8, 4, 0x80000000u | (uint32_t)take(&d, &n, 2));
			/* fall through */
		case 1: {
			unsigned lane = (unsigned)take(&d, &n, 1) & 3;
			if (op & 0x80)
				bus_write(&pio, 0xCFC + lane, size > 4 ? 4 : size, val);
			else
				bus_read(&pio, 0xCFC + lane, size > 4 ? 4 : size);
			break;
		}
		case 2: /* any port near the configuration ports */
			bus_write(&pio, 0xCF8 + (take(&d, &n, 1) & 7), size > 4 ? 4 : size, val);
			break;
		case 3: /* configuration space of the virtio function directly */
		case 4: {
			unsigned off = (unsigned)take(&d, &n, 1);
			unsigned s = size > 4 ? 4 : size;
			if ((op & 15) == 3)
				pci_cfg_write(board->bus, df, off, s, (uint32_t)val);
			else
				pci_cfg_read(board->bus, df, off, s);
			break;
		}
		case 5: /* the virtio BAR, wherever the guest put it */
		case 6: {
			uint64_t bar = pci_cfg_read(board->bus, df, 0x20, 4) & ~0xFULL;
			uint64_t a = bar + (take(&d, &n, 2) & 0x3FFF);
			if ((op & 15) == 5)
				bus_write(&mmio, a, size, val);
			else
				bus_read(&mmio, a, size);
			break;
		}
		case 7: { /* the MSI-X BAR */
			uint64_t bar = pci_cfg_read(board->bus, df, 0x14, 4) & ~0xFULL;
			bus_write(&mmio, bar + (take(&d, &n, 2) & 0xFFF), size, val);
			break;
		}
		case 8: /* anywhere in the windows */
			bus_write(&mmio, LAYOUT_PCI_MMIO_START + take(&d, &n, 3), size, val);
			bus_read(&pio, LAYOUT_PCI_IO_START + (take(&d, &n, 2) & 0x3FFF),
				 size > 4 ? 4 : size);
			break;
		case 9: { /* a doorbell storm */
			uint64_t bar = pci_cfg_read(board->bus, df, 0x20, 4) & ~0xFULL;
			for (unsigned i = 0; i < 32; i++)
				bus_write(&mmio, bar + 0x3000 + 4 * (val & 3), 2, val & 3);
			break;
		}
		case 10: /* the driver's usual path: enable decoding + mastering */
			pci_cfg_write(board->bus, df, 4, 2, 0x6);
			break;
		default: /* guest RAM changes under the device */
			ram[take(&d, &n, 2) % RAM_SIZE] = (uint8_t)val;
			break;
		}
	}
	if (pci_cfg_read(board->bus, 0, 0, 4) != 0x12378086 ||
	    pci_cfg_read(board->bus, df, 0, 4) != 0x10441AF4)
		abort();
	teardown();
	return 0;
}
