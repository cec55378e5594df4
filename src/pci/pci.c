/*
 * pci/pci.c - bus 0: configuration mechanism #1, type 0 headers, BAR
 * decoding in the two windows, capabilities, MSI-X and INTx (see pci.h).
 *
 * Locks, outermost first: cfg_lock (configuration cycles, CONFIG_ADDRESS;
 * function callbacks run under it), win_lock (the decode table: written
 * under cfg_lock, read for the length of a lookup only, so BAR callbacks
 * run with no pci lock), irq_lock (a leaf: INTx levels, the lines' wired-OR
 * counts, MSI-X state; messages and line changes are sent under it, so
 * they reach the interrupt controllers in the order they happened).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "pci/pci.h"
#include "util.h"

#define PCI_MAX_WINDOWS 64 /* BARs per space */
#define PCI_ISA_IRQS	16
#define PCI_PIRQS	4
#define PCI_PIRQ_DISABLED 0x80

#define MSIX_ENTRY_SIZE	 16
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_CTRL_FMASK	 0x4000
#define MSIX_MAX_VECTORS 2048

struct pci_bar {
	bool present;
	bool upper; /* the high half of a 64-bit BAR */
	enum pci_bar_kind kind;
	uint64_t size;
	const struct bus_ops *ops;
	void *opaque;
};

struct pci_func {
	struct pci_bus *bus;
	unsigned devfn;
	struct pci_func_desc d;
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];
	struct pci_bar bar[PCI_NUM_BARS];
	unsigned cap_next, cap_last;
	/* Under the bus's irq_lock. */
	bool intx_level;   /* the function's INTx# */
	bool intx_driving; /* what it contributes to its line(s) */
	uint16_t command;  /* copy of the command register */
	bool msix_enable, msix_fmask;
	unsigned msix_nvec, msix_cap, msix_bar;
	uint64_t msix_pba_off;
	uint8_t *msix_table;
	uint64_t *msix_pending;
};

struct pci_window {
	uint64_t base, end; /* [base, end) */
	struct pci_func *f;
	unsigned bar;
};

enum { WIN_MEM, WIN_IO, WIN_KINDS };

struct pci_bus {
	struct pci_bus_ops ops;
	bool assign;
	uint64_t mmio_start, mmio_end, next_mmio;
	uint32_t io_start, io_end, next_io;
	pthread_mutex_t cfg_lock;
	uint32_t config_address; /* under cfg_lock */
	struct pci_func *funcs[PCI_SLOTS * PCI_FUNCS];
	unsigned nbars[WIN_KINDS]; /* declared, bounded by PCI_MAX_WINDOWS */
	pthread_rwlock_t win_lock;
	struct pci_window win[WIN_KINDS][PCI_MAX_WINDOWS];
	unsigned nwin[WIN_KINDS];
	pthread_mutex_t irq_lock;
	unsigned gsi_count[LAYOUT_GSI_PCI_COUNT];
	unsigned pirq_count[PCI_PIRQS];
	uint8_t pirq_route[PCI_PIRQS];
	bool isa_level[PCI_ISA_IRQS];
	uint64_t unclaimed; /* atomic */
};

static uint64_t pci_ones(unsigned size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

/* ---- interrupts (irq_lock held) ---- */

unsigned pci_intx_gsi(unsigned devfn, unsigned pin)
{
	return LAYOUT_GSI_PCI_FIRST + (((devfn >> 3) + pin - 1) & (LAYOUT_GSI_PCI_COUNT - 1));
}

static unsigned pci_pirq_of(const struct pci_func *f)
{
	return ((f->devfn >> 3) + f->d.int_pin - 1) & (PCI_PIRQS - 1);
}

/* Drive each ISA IRQ a PIRQ is routed to with the OR of those PIRQs. */
static void pci_isa_update(struct pci_bus *b)
{
	bool level[PCI_ISA_IRQS] = {false};
	for (unsigned p = 0; p < PCI_PIRQS; p++)
		if (!(b->pirq_route[p] & PCI_PIRQ_DISABLED) && b->pirq_count[p])
			level[b->pirq_route[p] & 0xF] = true;
	for (unsigned i = 0; i < PCI_ISA_IRQS; i++) {
		if (level[i] == b->isa_level[i])
			continue;
		b->isa_level[i] = level[i];
		if (b->ops.irq_line)
			b->ops.irq_line(b->ops.opaque, i, level[i]);
	}
}

static void pci_intx_update(struct pci_func *f)
{
	struct pci_bus *b = f->bus;
	bool want = f->intx_level && f->d.int_pin && !(f->command & PCI_COMMAND_INTX_DISABLE) &&
		    !f->msix_enable;
	if (want == f->intx_driving)
		return;
	f->intx_driving = want;
	unsigned gsi = pci_intx_gsi(f->devfn, f->d.int_pin);
	unsigned *c = &b->gsi_count[gsi - LAYOUT_GSI_PCI_FIRST];
	bool was = *c > 0;
	*c += want ? 1 : -1;
	if ((*c > 0) != was && b->ops.irq_line)
		b->ops.irq_line(b->ops.opaque, gsi, *c > 0);
	b->pirq_count[pci_pirq_of(f)] += want ? 1 : -1;
	pci_isa_update(b);
}

void pci_intx(struct pci_func *f, int level)
{
	pthread_mutex_lock(&f->bus->irq_lock);
	f->intx_level = level != 0;
	pci_intx_update(f);
	pthread_mutex_unlock(&f->bus->irq_lock);
}

void pci_bus_set_pirq(struct pci_bus *b, unsigned pirq, uint8_t route)
{
	if (pirq >= PCI_PIRQS)
		return;
	pthread_mutex_lock(&b->irq_lock);
	b->pirq_route[pirq] = route;
	pci_isa_update(b);
	pthread_mutex_unlock(&b->irq_lock);
}

static uint32_t msix_get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool msix_vector_masked(const struct pci_func *f, unsigned v)
{
	return f->msix_table[v * MSIX_ENTRY_SIZE + 12] & 1;
}

static void msix_send(struct pci_func *f, unsigned v)
{
	const uint8_t *e = f->msix_table + v * MSIX_ENTRY_SIZE;
	uint64_t addr = msix_get32(e) | (uint64_t)msix_get32(e + 4) << 32;
	if (f->bus->ops.msi)
		f->bus->ops.msi(f->bus->ops.opaque, addr, msix_get32(e + 8));
}

/* Pending vectors that are no longer masked send now (6.8.2.9). */
static void msix_flush_pending(struct pci_func *f)
{
	if (!f->msix_enable || f->msix_fmask || !(f->command & PCI_COMMAND_MASTER))
		return;
	for (unsigned v = 0; v < f->msix_nvec; v++) {
		uint64_t bit = 1ULL << (v & 63);
		if ((f->msix_pending[v / 64] & bit) && !msix_vector_masked(f, v)) {
			f->msix_pending[v / 64] &= ~bit;
			msix_send(f, v);
		}
	}
}

void pci_msix_notify(struct pci_func *f, unsigned vector)
{
	pthread_mutex_lock(&f->bus->irq_lock);
	if (f->msix_enable && vector < f->msix_nvec && (f->command & PCI_COMMAND_MASTER)) {
		if (f->msix_fmask || msix_vector_masked(f, vector))
			f->msix_pending[vector / 64] |= 1ULL << (vector & 63);
		else
			msix_send(f, vector);
	}
	pthread_mutex_unlock(&f->bus->irq_lock);
}

bool pci_msix_enabled(struct pci_func *f)
{
	pthread_mutex_lock(&f->bus->irq_lock);
	bool on = f->msix_enable;
	pthread_mutex_unlock(&f->bus->irq_lock);
	return on;
}

/* The MSI-X BAR: the table (address, data, vector control per entry; 6.8.2.6)
 * then the pending bits (read-only). */
static const uint8_t msix_entry_wmask[MSIX_ENTRY_SIZE] = {
    0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0, 0, 0};

static uint64_t msix_bar_read(void *opaque, uint64_t off, unsigned size)
{
	struct pci_func *f = opaque;
	uint64_t table = (uint64_t)f->msix_nvec * MSIX_ENTRY_SIZE, val = 0;
	pthread_mutex_lock(&f->bus->irq_lock);
	for (unsigned i = 0; i < size; i++) {
		uint64_t o = off + i, byte = 0;
		if (o < table)
			byte = f->msix_table[o];
		else if (o >= f->msix_pba_off && o - f->msix_pba_off < (f->msix_nvec + 63) / 64 * 8)
			byte = f->msix_pending[(o - f->msix_pba_off) / 8] >>
			       ((o - f->msix_pba_off) % 8 * 8) & 0xFF;
		val |= byte << (8 * i);
	}
	pthread_mutex_unlock(&f->bus->irq_lock);
	return val;
}

static void msix_bar_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct pci_func *f = opaque;
	uint64_t table = (uint64_t)f->msix_nvec * MSIX_ENTRY_SIZE;
	pthread_mutex_lock(&f->bus->irq_lock);
	for (unsigned i = 0; i < size; i++) {
		uint64_t o = off + i;
		if (o >= table)
			continue;
		uint8_t m = msix_entry_wmask[o % MSIX_ENTRY_SIZE];
		f->msix_table[o] = (f->msix_table[o] & ~m) | ((val >> (8 * i)) & m);
	}
	msix_flush_pending(f);
	pthread_mutex_unlock(&f->bus->irq_lock);
}

static const struct bus_ops msix_bar_ops = {.read = msix_bar_read, .write = msix_bar_write};

/* ---- BAR decoding ---- */

static uint64_t pci_bar_address(const struct pci_func *f, unsigned n)
{
	const uint8_t *c = f->cfg + PCI_BAR0 + 4 * n;
	uint64_t lo = msix_get32(c);
	if (f->bar[n].kind == PCI_BAR_IO)
		return lo & ~3ULL;
	uint64_t a = lo & ~15ULL;
	if (f->bar[n].kind == PCI_BAR_MEM64)
		a |= (uint64_t)msix_get32(c + 4) << 32;
	return a;
}

/* Rebuild the decode table from every function's command register and
 * BARs (cfg_lock held). */
static void pci_windows_rebuild(struct pci_bus *b)
{
	pthread_rwlock_wrlock(&b->win_lock);
	b->nwin[WIN_MEM] = b->nwin[WIN_IO] = 0;
	for (unsigned d = 0; d < ARRAY_SIZE(b->funcs); d++) {
		struct pci_func *f = b->funcs[d];
		if (!f)
			continue;
		uint16_t cmd = f->cfg[PCI_COMMAND] | f->cfg[PCI_COMMAND + 1] << 8;
		for (unsigned n = 0; n < PCI_NUM_BARS; n++) {
			const struct pci_bar *bar = &f->bar[n];
			if (!bar->present || bar->upper)
				continue;
			bool io = bar->kind == PCI_BAR_IO;
			if (!(cmd & (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)))
				continue;
			uint64_t base = pci_bar_address(f, n), end = base + bar->size;
			uint64_t lo = io ? b->io_start : b->mmio_start;
			uint64_t hi = io ? b->io_end : b->mmio_end;
			if (base < lo || end > hi || end < base)
				continue;
			int k = io ? WIN_IO : WIN_MEM;
			b->win[k][b->nwin[k]++] = (struct pci_window){base, end, f, n};
		}
	}
	pthread_rwlock_unlock(&b->win_lock);
}

static bool pci_window_find(struct pci_bus *b, int k, uint64_t addr, unsigned size,
			    struct pci_window *out)
{
	bool hit = false;
	pthread_rwlock_rdlock(&b->win_lock);
	for (unsigned i = 0; i < b->nwin[k]; i++) {
		const struct pci_window *w = &b->win[k][i];
		if (addr >= w->base && addr < w->end) {
			/* An access crossing the BAR's end is nobody's. */
			hit = size <= w->end - addr;
			*out = *w;
			break;
		}
	}
	pthread_rwlock_unlock(&b->win_lock);
	if (!hit)
		__atomic_fetch_add(&b->unclaimed, 1, __ATOMIC_RELAXED);
	return hit;
}

static uint64_t pci_window_read(struct pci_bus *b, int k, uint64_t addr, unsigned size)
{
	struct pci_window w;
	if (!pci_window_find(b, k, addr, size, &w))
		return pci_ones(size);
	const struct pci_bar *bar = &w.f->bar[w.bar];
	if (!bar->ops->read)
		return pci_ones(size);
	return bar->ops->read(bar->opaque, addr - w.base, size);
}

static void pci_window_write(struct pci_bus *b, int k, uint64_t addr, unsigned size, uint64_t val)
{
	struct pci_window w;
	if (!pci_window_find(b, k, addr, size, &w))
		return;
	const struct pci_bar *bar = &w.f->bar[w.bar];
	if (bar->ops->write)
		bar->ops->write(bar->opaque, addr - w.base, size, val);
}

static uint64_t pci_mmio_read(void *opaque, uint64_t off, unsigned size)
{
	struct pci_bus *b = opaque;
	return pci_window_read(b, WIN_MEM, b->mmio_start + off, size);
}

static void pci_mmio_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct pci_bus *b = opaque;
	pci_window_write(b, WIN_MEM, b->mmio_start + off, size, val);
}

static uint64_t pci_io_read(void *opaque, uint64_t off, unsigned size)
{
	struct pci_bus *b = opaque;
	return pci_window_read(b, WIN_IO, b->io_start + off, size);
}

static void pci_io_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct pci_bus *b = opaque;
	pci_window_write(b, WIN_IO, b->io_start + off, size, val);
}

static const struct bus_ops pci_mmio_ops = {.read = pci_mmio_read, .write = pci_mmio_write};
static const struct bus_ops pci_io_ops = {.read = pci_io_read, .write = pci_io_write};

uint64_t pci_bus_unclaimed(const struct pci_bus *b)
{
	return __atomic_load_n(&b->unclaimed, __ATOMIC_RELAXED);
}

/* ---- configuration space ---- */

static uint32_t pci_cfg_read_locked(struct pci_bus *b, unsigned devfn, unsigned off,
				    unsigned size)
{
	struct pci_func *f = devfn < ARRAY_SIZE(b->funcs) ? b->funcs[devfn] : NULL;
	if (!f)
		return (uint32_t)pci_ones(size);
	uint32_t val = 0;
	for (unsigned i = 0; i < size; i++) {
		unsigned o = off + i;
		uint32_t byte = o < PCI_CFG_SIZE ? f->cfg[o] : 0xFF;
		if (o == PCI_STATUS) {
			pthread_mutex_lock(&b->irq_lock);
			if (f->intx_level)
				byte |= PCI_STATUS_INTERRUPT;
			pthread_mutex_unlock(&b->irq_lock);
		}
		val |= byte << (8 * i);
	}
	uint32_t dev;
	if (f->d.ops && f->d.ops->cfg_read && f->d.ops->cfg_read(f->d.opaque, off, size, &dev))
		val = dev;
	return val;
}

uint32_t pci_cfg_read(struct pci_bus *b, unsigned devfn, unsigned off, unsigned size)
{
	pthread_mutex_lock(&b->cfg_lock);
	uint32_t v = pci_cfg_read_locked(b, devfn, off, size);
	pthread_mutex_unlock(&b->cfg_lock);
	return v;
}

static bool pci_touches(unsigned off, unsigned size, unsigned reg, unsigned len)
{
	return off < reg + len && reg < off + size;
}

static void pci_cfg_write_locked(struct pci_bus *b, unsigned devfn, unsigned off, unsigned size,
				 uint32_t val)
{
	struct pci_func *f = devfn < ARRAY_SIZE(b->funcs) ? b->funcs[devfn] : NULL;
	if (!f)
		return;
	for (unsigned i = 0; i < size && off + i < PCI_CFG_SIZE; i++) {
		unsigned o = off + i;
		uint8_t m = f->wmask[o];
		f->cfg[o] = (f->cfg[o] & ~m) | ((val >> (8 * i)) & m);
	}
	if (pci_touches(off, size, PCI_COMMAND, 2) ||
	    pci_touches(off, size, PCI_BAR0, 4 * PCI_NUM_BARS))
		pci_windows_rebuild(b);
	if (pci_touches(off, size, PCI_COMMAND, 2) ||
	    (f->msix_cap && pci_touches(off, size, f->msix_cap + 2, 2))) {
		pthread_mutex_lock(&b->irq_lock);
		f->command = f->cfg[PCI_COMMAND] | f->cfg[PCI_COMMAND + 1] << 8;
		if (f->msix_cap) {
			uint16_t ctrl = f->cfg[f->msix_cap + 2] | f->cfg[f->msix_cap + 3] << 8;
			f->msix_enable = ctrl & MSIX_CTRL_ENABLE;
			f->msix_fmask = ctrl & MSIX_CTRL_FMASK;
		}
		pci_intx_update(f);
		msix_flush_pending(f);
		pthread_mutex_unlock(&b->irq_lock);
	}
	if (f->d.ops && f->d.ops->cfg_write)
		f->d.ops->cfg_write(f->d.opaque, off, size, val);
}

void pci_cfg_write(struct pci_bus *b, unsigned devfn, unsigned off, unsigned size, uint32_t val)
{
	pthread_mutex_lock(&b->cfg_lock);
	pci_cfg_write_locked(b, devfn, off, size, val);
	pthread_mutex_unlock(&b->cfg_lock);
}

/* ---- configuration mechanism #1 (3.2.2.3.2) ---- */

#define PCI_CONFIG_ENABLE 0x80000000u
/* Enable, bus, device, function, register; bits 30:24 and 1:0 read 0. */
#define PCI_CONFIG_ADDRESS_MASK 0x80FFFFFCu

/* Only a dword access to 0xCF8 is CONFIG_ADDRESS; narrower ones pass to
 * the ISA bus (nothing there, 0xCF9 is the reset register's own range). */
static uint64_t pci_addr_read(void *opaque, uint64_t off, unsigned size)
{
	struct pci_bus *b = opaque;
	if (size != 4)
		return pci_ones(size);
	pthread_mutex_lock(&b->cfg_lock);
	uint32_t v = b->config_address;
	pthread_mutex_unlock(&b->cfg_lock);
	return v;
}

static void pci_addr_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct pci_bus *b = opaque;
	if (size != 4)
		return;
	pthread_mutex_lock(&b->cfg_lock);
	b->config_address = (uint32_t)val & PCI_CONFIG_ADDRESS_MASK;
	pthread_mutex_unlock(&b->cfg_lock);
}

/* The function CONFIG_ADDRESS selects on bus 0, or -1. */
static int pci_data_target(const struct pci_bus *b)
{
	uint32_t a = b->config_address;
	if (!(a & PCI_CONFIG_ENABLE) || ((a >> 16) & 0xFF))
		return -1;
	return (a >> 8) & 0xFF;
}

/* A byte lane k of CONFIG_DATA; bytes past 0xCFF are ISA cycles (ones). */
static uint64_t pci_data_read(void *opaque, uint64_t off, unsigned size)
{
	struct pci_bus *b = opaque;
	unsigned n = size > 4 - off ? 4 - (unsigned)off : size;
	uint64_t v = pci_ones(size);
	pthread_mutex_lock(&b->cfg_lock);
	int devfn = pci_data_target(b);
	if (devfn >= 0) {
		unsigned reg = (b->config_address & 0xFC) + (unsigned)off;
		v = (v & ~pci_ones(n)) | pci_cfg_read_locked(b, devfn, reg, n);
	}
	pthread_mutex_unlock(&b->cfg_lock);
	return v;
}

static void pci_data_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct pci_bus *b = opaque;
	unsigned n = size > 4 - off ? 4 - (unsigned)off : size;
	pthread_mutex_lock(&b->cfg_lock);
	int devfn = pci_data_target(b);
	if (devfn >= 0)
		pci_cfg_write_locked(b, devfn, (b->config_address & 0xFC) + (unsigned)off, n,
				     (uint32_t)(val & pci_ones(n)));
	pthread_mutex_unlock(&b->cfg_lock);
}

static const struct bus_ops pci_addr_ops = {.read = pci_addr_read, .write = pci_addr_write};
static const struct bus_ops pci_data_ops = {.read = pci_data_read, .write = pci_data_write};

/* ---- creation ---- */

int pci_bus_create(struct pci_bus **out, struct bus *pio, struct bus *mmio,
		   uint64_t mmio_start, uint64_t mmio_end, uint16_t io_start, uint32_t io_end,
		   bool assign, const struct pci_bus_ops *ops)
{
	struct pci_bus *b = calloc(1, sizeof(*b));
	*out = b;
	if (!b)
		return ember_error(-ENOMEM, "pci: out of memory");
	b->ops = *ops;
	b->assign = assign;
	b->mmio_start = b->next_mmio = mmio_start;
	b->mmio_end = mmio_end;
	b->io_start = b->next_io = io_start;
	b->io_end = io_end;
	for (unsigned p = 0; p < PCI_PIRQS; p++)
		b->pirq_route[p] = PCI_PIRQ_DISABLED;
	pthread_mutex_init(&b->cfg_lock, NULL);
	pthread_mutex_init(&b->irq_lock, NULL);
	/* Writers (BAR moves) are rare and must not wait behind a stream of
	 * vCPUs' MMIO lookups. */
	pthread_rwlockattr_t wa;
	pthread_rwlockattr_init(&wa);
	pthread_rwlockattr_setkind_np(&wa, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&b->win_lock, &wa);
	pthread_rwlockattr_destroy(&wa);
	if (bus_add(pio, "pci-config-address", LAYOUT_PORT_PCI_CONFIG_ADDRESS, 1, &pci_addr_ops,
		    b) ||
	    bus_add(pio, "pci-config-data", LAYOUT_PORT_PCI_CONFIG_DATA, 4, &pci_data_ops, b) ||
	    bus_add(pio, "pci-io", io_start, io_end - io_start, &pci_io_ops, b) ||
	    bus_add(mmio, "pci-mmio", mmio_start, mmio_end - mmio_start, &pci_mmio_ops, b))
		return ember_error(-EINVAL, "internal: the PCI ports or windows cannot be registered");
	return 0;
}

void pci_bus_destroy(struct pci_bus *b)
{
	if (!b)
		return;
	for (unsigned d = 0; d < ARRAY_SIZE(b->funcs); d++) {
		struct pci_func *f = b->funcs[d];
		if (!f)
			continue;
		free(f->msix_table);
		free(f->msix_pending);
		free(f);
	}
	pthread_mutex_destroy(&b->cfg_lock);
	pthread_mutex_destroy(&b->irq_lock);
	pthread_rwlock_destroy(&b->win_lock);
	free(b);
}

static void put16le(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32le(uint8_t *p, uint32_t v)
{
	put16le(p, (uint16_t)v);
	put16le(p + 2, (uint16_t)(v >> 16));
}

struct pci_func *pci_func_create(struct pci_bus *b, int devfn, const struct pci_func_desc *d)
{
	if (devfn == PCI_DEVFN_AUTO) {
		for (unsigned s = 2; s < PCI_SLOTS && devfn < 0; s++)
			if (!b->funcs[PCI_DEVFN(s, 0)])
				devfn = PCI_DEVFN(s, 0);
		if (devfn < 0) {
			ember_error(-ENOSPC, "pci: %s: no free slot on bus 0", d->name);
			return NULL;
		}
	}
	if (devfn < 0 || devfn >= (int)ARRAY_SIZE(b->funcs) || b->funcs[devfn]) {
		ember_error(-EEXIST, "pci: %s: 00:%02x.%x is taken", d->name, devfn >> 3, devfn & 7);
		return NULL;
	}
	struct pci_func *f = calloc(1, sizeof(*f));
	if (!f) {
		ember_error(-ENOMEM, "pci: out of memory for %s", d->name);
		return NULL;
	}
	f->bus = b;
	f->devfn = (unsigned)devfn;
	f->d = *d;
	f->cap_next = 0x40;
	uint8_t *c = f->cfg;
	put16le(c + PCI_VENDOR_ID, d->vendor_id);
	put16le(c + PCI_DEVICE_ID, d->device_id);
	c[PCI_REVISION_ID] = d->revision;
	c[PCI_CLASS_PROG] = (uint8_t)d->class_code;
	put16le(c + PCI_CLASS_PROG + 1, (uint16_t)(d->class_code >> 8));
	c[PCI_HEADER_TYPE] = d->header_type;
	put16le(c + PCI_SUBSYS_VENDOR, d->subsys_vendor_id);
	put16le(c + PCI_SUBSYS_ID, d->subsys_id);
	c[PCI_INTERRUPT_PIN] = d->int_pin;
	put16le(f->wmask + PCI_COMMAND,
		PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_PARITY |
		    PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	f->wmask[PCI_CACHE_LINE] = 0xFF;
	f->wmask[PCI_LATENCY_TIMER] = 0xFF;
	f->wmask[PCI_INTERRUPT_LINE] = 0xFF;
	if (b->assign && d->int_pin)
		c[PCI_INTERRUPT_LINE] = (uint8_t)pci_intx_gsi(f->devfn, d->int_pin);
	pthread_mutex_lock(&b->cfg_lock);
	b->funcs[devfn] = f;
	pthread_mutex_unlock(&b->cfg_lock);
	return f;
}

unsigned pci_func_devfn(const struct pci_func *f)
{
	return f->devfn;
}

uint8_t *pci_func_config(struct pci_func *f)
{
	return f->cfg;
}

void pci_func_writable(struct pci_func *f, unsigned off, unsigned len)
{
	for (unsigned i = off; i < off + len && i < PCI_CFG_SIZE; i++)
		f->wmask[i] = 0xFF;
}

void pci_func_readonly(struct pci_func *f, unsigned off, unsigned len)
{
	for (unsigned i = off; i < off + len && i < PCI_CFG_SIZE; i++)
		f->wmask[i] = 0;
}

struct pci_func *pci_bus_func(struct pci_bus *b, unsigned devfn)
{
	return devfn < ARRAY_SIZE(b->funcs) ? b->funcs[devfn] : NULL;
}

static uint64_t pci_align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int pci_func_bar(struct pci_func *f, unsigned n, enum pci_bar_kind kind, uint64_t size,
		 const struct bus_ops *ops, void *opaque)
{
	struct pci_bus *b = f->bus;
	bool io = kind == PCI_BAR_IO;
	int k = io ? WIN_IO : WIN_MEM;
	if (n >= PCI_NUM_BARS || (kind == PCI_BAR_MEM64 && n + 1 >= PCI_NUM_BARS) ||
	    f->bar[n].present || (kind == PCI_BAR_MEM64 && f->bar[n + 1].present) ||
	    (size & (size - 1)) || size < (io ? 4u : 16u) || (io && size > 256) ||
	    (kind == PCI_BAR_MEM32 && size > (1ULL << 31)) || b->nbars[k] == PCI_MAX_WINDOWS)
		return ember_error(-EINVAL, "internal: pci: %s: BAR %u cannot be declared",
				   f->d.name, n);
	uint64_t addr = 0;
	if (b->assign) {
		uint64_t align = io ? size : (size < 4096 ? 4096 : size);
		uint64_t next = io ? b->next_io : b->next_mmio;
		uint64_t end = io ? b->io_end : b->mmio_end;
		addr = pci_align_up(next, align);
		if (addr + size > end || addr + size < addr)
			return ember_error(-ENOSPC, "pci: %s: the PCI %s window is full", f->d.name,
					   io ? "I/O" : "memory");
		if (io)
			b->next_io = (uint32_t)(addr + size);
		else
			b->next_mmio = addr + (size < 4096 ? 4096 : size);
	}
	b->nbars[k]++;
	f->bar[n] = (struct pci_bar){
	    .present = true, .kind = kind, .size = size, .ops = ops, .opaque = opaque};
	uint8_t *c = f->cfg + PCI_BAR0 + 4 * n;
	uint64_t mask = ~(size - 1);
	if (io) {
		put32le(c, (uint32_t)addr | 1);
		put32le(f->wmask + PCI_BAR0 + 4 * n, (uint32_t)mask & ~3u);
	} else {
		put32le(c, (uint32_t)addr | (kind == PCI_BAR_MEM64 ? 4 : 0));
		put32le(f->wmask + PCI_BAR0 + 4 * n, (uint32_t)mask & ~15u);
	}
	if (kind == PCI_BAR_MEM64) {
		f->bar[n + 1] = (struct pci_bar){.present = true, .upper = true};
		put32le(c + 4, (uint32_t)(addr >> 32));
		put32le(f->wmask + PCI_BAR0 + 4 * (n + 1), (uint32_t)(mask >> 32));
	}
	pthread_mutex_lock(&b->cfg_lock);
	if (b->assign) {
		f->cfg[PCI_COMMAND] |= io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
		pthread_mutex_lock(&b->irq_lock);
		f->command = f->cfg[PCI_COMMAND] | f->cfg[PCI_COMMAND + 1] << 8;
		pthread_mutex_unlock(&b->irq_lock);
	}
	pci_windows_rebuild(b);
	pthread_mutex_unlock(&b->cfg_lock);
	return 0;
}

int pci_func_add_cap(struct pci_func *f, uint8_t id, const uint8_t *body, const uint8_t *wmask,
		     unsigned len)
{
	unsigned off = (f->cap_next + 3) & ~3u;
	if (len < 2 || off + len > PCI_CFG_SIZE)
		return -ENOSPC;
	f->cfg[off] = id;
	f->cfg[off + 1] = 0;
	memcpy(f->cfg + off + 2, body, len - 2);
	if (wmask)
		memcpy(f->wmask + off + 2, wmask, len - 2);
	if (f->cap_last)
		f->cfg[f->cap_last + 1] = (uint8_t)off;
	else
		f->cfg[PCI_CAP_PTR] = (uint8_t)off;
	f->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	f->cap_last = off;
	f->cap_next = off + len;
	return (int)off;
}

int pci_func_msix(struct pci_func *f, unsigned nvec, unsigned bar)
{
	if (!nvec || nvec > MSIX_MAX_VECTORS || f->msix_cap)
		return ember_error(-EINVAL, "internal: pci: %s: bad MSI-X request", f->d.name);
	uint64_t table = (uint64_t)nvec * MSIX_ENTRY_SIZE;
	uint64_t pba = (nvec + 63) / 64 * 8, size = 4096;
	while (size < table + pba)
		size <<= 1;
	f->msix_table = calloc(1, table);
	f->msix_pending = calloc((nvec + 63) / 64, sizeof(uint64_t));
	if (!f->msix_table || !f->msix_pending)
		return ember_error(-ENOMEM, "pci: out of memory for %s's MSI-X table", f->d.name);
	for (unsigned v = 0; v < nvec; v++)
		f->msix_table[v * MSIX_ENTRY_SIZE + 12] = 1; /* masked after reset */
	f->msix_nvec = nvec;
	f->msix_bar = bar;
	f->msix_pba_off = table;
	/* Message Control (table size - 1; enable and function mask
	 * writable), Table Offset/BIR, PBA Offset/BIR. */
	uint8_t body[10] = {0}, wmask[10] = {0};
	put16le(body, (uint16_t)(nvec - 1));
	put16le(wmask, MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK);
	put32le(body + 2, bar);
	put32le(body + 6, (uint32_t)table | bar);
	int r = pci_func_bar(f, bar, PCI_BAR_MEM32, size, &msix_bar_ops, f);
	if (r < 0)
		return r;
	int off = pci_func_add_cap(f, PCI_CAP_ID_MSIX, body, wmask, 12);
	if (off < 0)
		return ember_error(off, "internal: pci: %s: no room for MSI-X", f->d.name);
	f->msix_cap = (unsigned)off;
	return 0;
}
