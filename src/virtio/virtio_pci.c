/*
 * virtio/virtio_pci.c - the virtio 1.x modern PCI transport (virtio 1.2,
 * 4.1): a function 1AF4:1040+type with its structures in one 64-bit memory
 * BAR described by vendor capabilities (common configuration, notifications,
 * ISR status, device configuration, and the PCI configuration access
 * window), MSI-X in a BAR of its own, INTx with the ISR as the fallback;
 * feature negotiation, device status, queue set-up and the device lock that
 * orders them with the device's workers (see virtio.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dma.h"
#include "pci/board.h"
#include "pci/pci.h"
#include "util.h"
#include "virtio/virtio.h"
#include "vm.h"

#define VIRTIO_PCI_VENDOR    0x1AF4
#define VIRTIO_PCI_DEVICE0   0x1040
#define VIRTIO_PCI_SUBSYS_ID 0x0040 /* non-transitional: 40h or more (4.1.2.1) */
#define VIRTIO_PCI_REVISION  1	    /* non-transitional (4.1.2.1) */
#define VIRTIO_NO_VECTOR     0xFFFF

/* Vendor capability types (4.1.4). */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG	  3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG	  5

/* BAR layout: the MSI-X table in BAR 1, the virtio structures in BAR 4
 * (64-bit), one page each. */
#define VIRTIO_MSIX_BAR	   1
#define VIRTIO_BAR	   4
#define VIRTIO_BAR_SIZE	   0x4000
#define VIRTIO_COMMON_OFF  0x0000
#define VIRTIO_COMMON_LEN  0x38 /* struct virtio_pci_common_cfg, 4.1.4.3 */
#define VIRTIO_ISR_OFF	   0x1000
#define VIRTIO_DEVICE_OFF  0x2000
#define VIRTIO_DEVICE_MAX  0x1000
#define VIRTIO_NOTIFY_OFF  0x3000
#define VIRTIO_NOTIFY_MULT 4 /* queue q's doorbell at NOTIFY_OFF + 4 q */

/* Common configuration fields (4.1.4.3). */
enum {
	CC_DFSELECT = 0x00,
	CC_DF = 0x04,
	CC_GFSELECT = 0x08,
	CC_GF = 0x0C,
	CC_MSIX_CONFIG = 0x10,
	CC_NUM_QUEUES = 0x12,
	CC_STATUS = 0x14,
	CC_CFG_GENERATION = 0x15,
	CC_Q_SELECT = 0x16,
	CC_Q_SIZE = 0x18,
	CC_Q_MSIX = 0x1A,
	CC_Q_ENABLE = 0x1C,
	CC_Q_NOTIFY_OFF = 0x1E,
	CC_Q_DESC_LO = 0x20,
	CC_Q_DESC_HI = 0x24,
	CC_Q_DRIVER_LO = 0x28,
	CC_Q_DRIVER_HI = 0x2C,
	CC_Q_DEVICE_LO = 0x30,
	CC_Q_DEVICE_HI = 0x34,
};

struct virtio_queue {
	struct virtq vq;
	uint16_t max_size;
	uint16_t vector;
	bool enabled;
};

struct virtio_dev {
	const char *name;
	uint16_t type;
	const struct virtio_dev_ops *ops;
	void *opaque;
	struct pci_func *pci;
	const struct dma_space *dma;
	pthread_mutex_t lock; /* everything below */
	uint64_t offered, driver_features;
	uint32_t dfselect, gfselect;
	uint8_t status, generation, isr;
	bool broken; /* DEVICE_NEEDS_RESET: queues stopped until a reset */
	unsigned reports;
	uint16_t config_vector, queue_select;
	uint32_t gen; /* resets so far: stale pushes are dropped */
	/* The PCI configuration access capability (4.1.4.9) at cfgcap. */
	unsigned cfgcap;
	unsigned nqueues;
	struct virtio_queue q[];
};

/* Lock held. */
static void virtio_interrupt(struct virtio_dev *d, uint16_t vector, uint8_t isr_bit)
{
	if (pci_msix_enabled(d->pci)) {
		if (vector != VIRTIO_NO_VECTOR)
			pci_msix_notify(d->pci, vector);
		return;
	}
	d->isr |= isr_bit;
	pci_intx(d->pci, 1);
}

/* A driver that breaks the device, resets it and breaks it again must not
 * flood the host's stderr: the first few times are reported. */
#define VIRTIO_BROKEN_REPORTS 8

static void virtio_broken_locked(struct virtio_dev *d, const char *why)
{
	if (!d->broken && d->reports < VIRTIO_BROKEN_REPORTS)
		fprintf(stderr, "ember: %s: %s: the device needs a reset%s\n", d->name, why,
			++d->reports == VIRTIO_BROKEN_REPORTS ? " (no more reports)" : "");
	d->broken = true;
	d->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	d->generation++;
	virtio_interrupt(d, d->config_vector, 2);
}

void virtio_dev_broken(struct virtio_dev *d, const char *why)
{
	pthread_mutex_lock(&d->lock);
	virtio_broken_locked(d, why);
	pthread_mutex_unlock(&d->lock);
}

void virtio_config_changed(struct virtio_dev *d)
{
	pthread_mutex_lock(&d->lock);
	d->generation++;
	if (d->status & VIRTIO_STATUS_DRIVER_OK)
		virtio_interrupt(d, d->config_vector, 2);
	pthread_mutex_unlock(&d->lock);
}

uint64_t virtio_negotiated(struct virtio_dev *d)
{
	pthread_mutex_lock(&d->lock);
	uint64_t f = d->status & VIRTIO_STATUS_FEATURES_OK ? d->driver_features : 0;
	pthread_mutex_unlock(&d->lock);
	return f;
}

/* ---- queues, as the device's workers use them ---- */

static bool virtio_queue_live(const struct virtio_dev *d, unsigned q)
{
	return q < d->nqueues && d->q[q].enabled && !d->broken &&
	       (d->status & VIRTIO_STATUS_DRIVER_OK);
}

int virtq_pop(struct virtio_dev *d, unsigned q, struct virtq_req *req)
{
	pthread_mutex_lock(&d->lock);
	int r = -EIO;
	if (virtio_queue_live(d, q)) {
		const char *why = NULL;
		r = virtq_walk(d->dma, &d->q[q].vq, req, &why);
		if (r < 0) {
			char msg[160];
			snprintf(msg, sizeof(msg), "queue %u: %s", q, why);
			virtio_broken_locked(d, msg);
		}
		req->gen = d->gen;
	}
	pthread_mutex_unlock(&d->lock);
	return r;
}

void virtq_push(struct virtio_dev *d, unsigned q, const struct virtq_req *req, uint32_t written)
{
	pthread_mutex_lock(&d->lock);
	if (virtio_queue_live(d, q) && req->gen == d->gen)
		virtq_complete(d->dma, &d->q[q].vq, req, written);
	pthread_mutex_unlock(&d->lock);
}

void virtq_kick_guest(struct virtio_dev *d, unsigned q)
{
	pthread_mutex_lock(&d->lock);
	if (virtio_queue_live(d, q) && virtq_should_interrupt(d->dma, &d->q[q].vq))
		virtio_interrupt(d, d->q[q].vector, 1);
	pthread_mutex_unlock(&d->lock);
}

/* ---- common configuration ---- */

/* Back to the state after reset (2.4), lock held: queues stop first. */
static void virtio_reset_locked(struct virtio_dev *d)
{
	d->gen++;
	d->status = 0;
	d->broken = false;
	d->driver_features = 0;
	d->dfselect = d->gfselect = 0;
	d->config_vector = VIRTIO_NO_VECTOR;
	d->queue_select = 0;
	d->isr = 0;
	pci_intx(d->pci, 0);
	for (unsigned i = 0; i < d->nqueues; i++) {
		struct virtio_queue *q = &d->q[i];
		q->enabled = false;
		q->vector = VIRTIO_NO_VECTOR;
		q->vq = (struct virtq){.size = q->max_size};
	}
}

static struct virtio_queue *virtio_selected(struct virtio_dev *d)
{
	return d->queue_select < d->nqueues ? &d->q[d->queue_select] : NULL;
}

static uint32_t virtio_common_get(struct virtio_dev *d, unsigned field)
{
	struct virtio_queue *q = virtio_selected(d);
	uint64_t f = d->offered;
	switch (field) {
	case CC_DFSELECT:
		return d->dfselect;
	case CC_DF:
		return d->dfselect < 2 ? (uint32_t)(f >> (32 * d->dfselect)) : 0;
	case CC_GFSELECT:
		return d->gfselect;
	case CC_GF:
		return d->gfselect < 2 ? (uint32_t)(d->driver_features >> (32 * d->gfselect)) : 0;
	case CC_MSIX_CONFIG:
		return d->config_vector;
	case CC_NUM_QUEUES:
		return d->nqueues;
	case CC_STATUS:
		return d->status;
	case CC_CFG_GENERATION:
		return d->generation;
	case CC_Q_SELECT:
		return d->queue_select;
	}
	if (!q) /* a queue that does not exist: size 0, the rest 0 */
		return 0;
	switch (field) {
	case CC_Q_SIZE:
		return q->vq.size;
	case CC_Q_MSIX:
		return q->vector;
	case CC_Q_ENABLE:
		return q->enabled;
	case CC_Q_NOTIFY_OFF:
		return d->queue_select;
	case CC_Q_DESC_LO:
	case CC_Q_DESC_HI:
		return (uint32_t)(q->vq.desc >> (field == CC_Q_DESC_HI ? 32 : 0));
	case CC_Q_DRIVER_LO:
	case CC_Q_DRIVER_HI:
		return (uint32_t)(q->vq.avail >> (field == CC_Q_DRIVER_HI ? 32 : 0));
	case CC_Q_DEVICE_LO:
	case CC_Q_DEVICE_HI:
		return (uint32_t)(q->vq.used >> (field == CC_Q_DEVICE_HI ? 32 : 0));
	}
	return 0;
}

static void virtio_set_addr(uint64_t *a, bool hi, uint32_t v)
{
	*a = hi ? (*a & 0xFFFFFFFFULL) | (uint64_t)v << 32 : (*a & ~0xFFFFFFFFULL) | v;
}

/* What the vCPU thread must call once the lock is released. */
enum virtio_after { AFTER_NONE, AFTER_RESET, AFTER_DRIVER_OK };

static enum virtio_after virtio_status_write(struct virtio_dev *d, uint8_t v)
{
	if (!v) {
		virtio_reset_locked(d);
		return AFTER_RESET;
	}
	uint8_t old = d->status;
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK)) {
		/* 3.1.1: only offered features, and VERSION_1 (no legacy). */
		uint64_t f = d->driver_features;
		if ((f & ~d->offered) || !(f & (1ULL << VIRTIO_F_VERSION_1))) {
			v &= ~VIRTIO_STATUS_FEATURES_OK;
		} else {
			for (unsigned i = 0; i < d->nqueues; i++) {
				d->q[i].vq.event_idx = f & (1ULL << VIRTIO_RING_F_EVENT_IDX);
				d->q[i].vq.indirect = f & (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
			}
		}
	}
	if (!(v & VIRTIO_STATUS_FEATURES_OK))
		v &= ~VIRTIO_STATUS_DRIVER_OK; /* not before features are agreed */
	v |= old & (VIRTIO_STATUS_DEVICE_NEEDS_RESET | VIRTIO_STATUS_FEATURES_OK);
	d->status = v;
	if ((v & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK))
		return AFTER_DRIVER_OK;
	return AFTER_NONE;
}

/* Enabling a queue checks it once (2.7: size, alignment, rings in RAM); a
 * bad set-up is the driver's error: the device needs a reset. */
static void virtio_queue_enable(struct virtio_dev *d, struct virtio_queue *q)
{
	if (q->enabled)
		return;
	if (q->vq.size > q->max_size || !virtq_layout_ok(d->dma, &q->vq)) {
		char msg[96];
		snprintf(msg, sizeof(msg), "queue %u: bad size %u or rings not in guest RAM",
			 (unsigned)(q - d->q), q->vq.size);
		virtio_broken_locked(d, msg);
		return;
	}
	q->vq.last_avail = q->vq.used_idx = 0;
	q->vq.signalled_valid = false;
	q->enabled = true;
}

static uint16_t virtio_vector(const struct virtio_dev *d, uint32_t v)
{
	/* A vector the MSI-X table does not have reads back NO_VECTOR. */
	return v < d->nqueues + 1u ? (uint16_t)v : VIRTIO_NO_VECTOR;
}

static enum virtio_after virtio_common_set(struct virtio_dev *d, unsigned field, uint32_t v)
{
	struct virtio_queue *q = virtio_selected(d);
	bool settable = q && !q->enabled;
	switch (field) {
	case CC_DFSELECT:
		d->dfselect = v;
		break;
	case CC_GFSELECT:
		d->gfselect = v;
		break;
	case CC_GF:
		if (d->gfselect < 2 && !(d->status & VIRTIO_STATUS_FEATURES_OK)) {
			unsigned s = 32 * d->gfselect;
			d->driver_features =
			    (d->driver_features & ~(0xFFFFFFFFULL << s)) | (uint64_t)v << s;
		}
		break;
	case CC_MSIX_CONFIG:
		d->config_vector = virtio_vector(d, v);
		break;
	case CC_STATUS:
		return virtio_status_write(d, (uint8_t)v);
	case CC_Q_SELECT:
		d->queue_select = (uint16_t)v;
		break;
	case CC_Q_SIZE:
		if (settable)
			q->vq.size = (uint16_t)v;
		break;
	case CC_Q_MSIX:
		if (q)
			q->vector = virtio_vector(d, v);
		break;
	case CC_Q_ENABLE:
		if (q && v == 1)
			virtio_queue_enable(d, q);
		break;
	case CC_Q_DESC_LO:
	case CC_Q_DESC_HI:
		if (settable)
			virtio_set_addr(&q->vq.desc, field == CC_Q_DESC_HI, v);
		break;
	case CC_Q_DRIVER_LO:
	case CC_Q_DRIVER_HI:
		if (settable)
			virtio_set_addr(&q->vq.avail, field == CC_Q_DRIVER_HI, v);
		break;
	case CC_Q_DEVICE_LO:
	case CC_Q_DEVICE_HI:
		if (settable)
			virtio_set_addr(&q->vq.used, field == CC_Q_DEVICE_HI, v);
		break;
	}
	return AFTER_NONE;
}

/* Field offsets and widths; 64-bit addresses are two 32-bit halves. */
static const uint8_t virtio_fields[][2] = {
    {CC_DFSELECT, 4},	 {CC_DF, 4},	     {CC_GFSELECT, 4},	    {CC_GF, 4},
    {CC_MSIX_CONFIG, 2}, {CC_NUM_QUEUES, 2}, {CC_STATUS, 1},	    {CC_CFG_GENERATION, 1},
    {CC_Q_SELECT, 2},	 {CC_Q_SIZE, 2},     {CC_Q_MSIX, 2},	    {CC_Q_ENABLE, 2},
    {CC_Q_NOTIFY_OFF, 2}, {CC_Q_DESC_LO, 4}, {CC_Q_DESC_HI, 4},    {CC_Q_DRIVER_LO, 4},
    {CC_Q_DRIVER_HI, 4}, {CC_Q_DEVICE_LO, 4}, {CC_Q_DEVICE_HI, 4},
};

static uint64_t virtio_common_read(struct virtio_dev *d, unsigned off, unsigned size)
{
	uint64_t val = 0;
	for (unsigned i = 0; i < sizeof(virtio_fields) / sizeof(virtio_fields[0]); i++) {
		unsigned fo = virtio_fields[i][0], fs = virtio_fields[i][1];
		if (fo + fs <= off || fo >= off + size)
			continue;
		uint64_t fv = virtio_common_get(d, fo);
		for (unsigned b = 0; b < fs; b++)
			if (fo + b >= off && fo + b < off + size)
				val |= ((fv >> (8 * b)) & 0xFF) << (8 * (fo + b - off));
	}
	return val;
}

/* Any width: each field the access overlaps gets its current value with
 * the written bytes merged in (a driver uses the natural width; others
 * must not crash or do more than that). */
static enum virtio_after virtio_common_write(struct virtio_dev *d, unsigned off, unsigned size,
					     uint64_t val)
{
	enum virtio_after after = AFTER_NONE;
	for (unsigned i = 0; i < sizeof(virtio_fields) / sizeof(virtio_fields[0]); i++) {
		unsigned fo = virtio_fields[i][0], fs = virtio_fields[i][1];
		if (fo + fs <= off || fo >= off + size)
			continue;
		uint32_t fv = virtio_common_get(d, fo);
		for (unsigned b = 0; b < fs; b++)
			if (fo + b >= off && fo + b < off + size) {
				uint32_t byte = (val >> (8 * (fo + b - off))) & 0xFF;
				fv = (fv & ~(0xFFu << (8 * b))) | byte << (8 * b);
			}
		enum virtio_after a = virtio_common_set(d, fo, fv);
		if (a != AFTER_NONE)
			after = a;
	}
	return after;
}

/* ---- the BAR ---- */

static uint64_t virtio_bar_read(void *opaque, uint64_t off, unsigned size)
{
	struct virtio_dev *d = opaque;
	uint64_t val = 0;
	if (off < VIRTIO_COMMON_OFF + VIRTIO_COMMON_LEN) {
		pthread_mutex_lock(&d->lock);
		val = virtio_common_read(d, (unsigned)off, size);
		pthread_mutex_unlock(&d->lock);
	} else if (off == VIRTIO_ISR_OFF) {
		/* Reading the ISR clears it and deasserts INTx (4.1.4.5). */
		pthread_mutex_lock(&d->lock);
		val = d->isr;
		d->isr = 0;
		pci_intx(d->pci, 0);
		pthread_mutex_unlock(&d->lock);
	} else if (off >= VIRTIO_DEVICE_OFF && off - VIRTIO_DEVICE_OFF < d->ops->config_len) {
		unsigned o = (unsigned)(off - VIRTIO_DEVICE_OFF);
		unsigned n = size < d->ops->config_len - o ? size : (unsigned)(d->ops->config_len - o);
		if (d->ops->config_read)
			d->ops->config_read(d->opaque, o, &val, n);
	}
	return val;
}

static void virtio_bar_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct virtio_dev *d = opaque;
	if (off < VIRTIO_COMMON_OFF + VIRTIO_COMMON_LEN) {
		pthread_mutex_lock(&d->lock);
		enum virtio_after a = virtio_common_write(d, (unsigned)off, size, val);
		pthread_mutex_unlock(&d->lock);
		if (a == AFTER_RESET && d->ops->reset)
			d->ops->reset(d->opaque);
		else if (a == AFTER_DRIVER_OK && d->ops->driver_ok)
			d->ops->driver_ok(d->opaque);
	} else if (off >= VIRTIO_DEVICE_OFF && off - VIRTIO_DEVICE_OFF < d->ops->config_len) {
		unsigned o = (unsigned)(off - VIRTIO_DEVICE_OFF);
		unsigned n = size < d->ops->config_len - o ? size : (unsigned)(d->ops->config_len - o);
		if (d->ops->config_write)
			d->ops->config_write(d->opaque, o, &val, n);
	} else if (off >= VIRTIO_NOTIFY_OFF && !((off - VIRTIO_NOTIFY_OFF) % VIRTIO_NOTIFY_MULT)) {
		/* A doorbell only wakes the device: a storm costs the guest its
		 * own exits and the device nothing but wake-ups. */
		uint64_t q = (off - VIRTIO_NOTIFY_OFF) / VIRTIO_NOTIFY_MULT;
		pthread_mutex_lock(&d->lock);
		bool live = virtio_queue_live(d, (unsigned)(q < d->nqueues ? q : d->nqueues));
		pthread_mutex_unlock(&d->lock);
		if (live && d->ops->queue_notify)
			d->ops->queue_notify(d->opaque, (unsigned)q);
	}
}

static const struct bus_ops virtio_bar_ops = {.read = virtio_bar_read, .write = virtio_bar_write};

/* ---- the PCI configuration access capability (4.1.4.9) ---- */

/* virtio_pci_cfg_cap: the common cap (bar at +4, offset +8, length +12)
 * then pci_cfg_data at +16.  An access through it reaches the BAR when bar,
 * offset and length (1, 2 or 4, offset aligned to it) name our BAR. */
static bool virtio_cfgcap_target(struct virtio_dev *d, uint64_t *off, unsigned *len)
{
	const uint8_t *c = pci_func_config(d->pci) + d->cfgcap;
	uint32_t o = c[8] | c[9] << 8 | c[10] << 16 | (uint32_t)c[11] << 24;
	uint32_t l = c[12] | c[13] << 8 | c[14] << 16 | (uint32_t)c[15] << 24;
	if (c[4] != VIRTIO_BAR || (l != 1 && l != 2 && l != 4) || o % l || o >= VIRTIO_BAR_SIZE)
		return false;
	*off = o;
	*len = l;
	return true;
}

static bool virtio_cfg_read(void *opaque, unsigned off, unsigned size, uint32_t *val)
{
	struct virtio_dev *d = opaque;
	unsigned data = d->cfgcap + 16;
	uint64_t boff;
	unsigned len;
	if (off != data || !virtio_cfgcap_target(d, &boff, &len))
		return false;
	*val = (uint32_t)virtio_bar_read(d, boff, len < size ? len : size);
	return true;
}

static void virtio_cfg_write(void *opaque, unsigned off, unsigned size, uint32_t val)
{
	struct virtio_dev *d = opaque;
	unsigned data = d->cfgcap + 16;
	uint64_t boff;
	unsigned len;
	if (off == data && virtio_cfgcap_target(d, &boff, &len))
		virtio_bar_write(d, boff, len < size ? len : size, val);
}

static const struct pci_func_ops virtio_pci_ops = {.cfg_read = virtio_cfg_read,
						   .cfg_write = virtio_cfg_write};

/* ---- creation ---- */

static int virtio_cap(struct virtio_dev *d, uint8_t type, uint32_t off, uint32_t len,
		      unsigned extra, const uint8_t *wmask)
{
	uint8_t body[18] = {0};
	unsigned caplen = 16 + extra;
	body[0] = (uint8_t)caplen;
	body[1] = type;
	body[2] = VIRTIO_BAR;
	memcpy(body + 6, &off, 4);
	memcpy(body + 10, &len, 4);
	if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
		uint32_t mult = VIRTIO_NOTIFY_MULT;
		memcpy(body + 14, &mult, 4);
	}
	return pci_func_add_cap(d->pci, PCI_CAP_ID_VENDOR, body, wmask, caplen);
}

static uint32_t virtio_class(uint16_t type)
{
	switch (type) {
	case VIRTIO_ID_NET:
		return 0x020000; /* network controller, Ethernet */
	case VIRTIO_ID_BLOCK:
		return 0x018000; /* mass storage controller, other */
	default:
		return 0xFF0000; /* fits no defined class */
	}
}

struct virtio_dev *virtio_pci_create(struct vm *vm, const char *name, uint16_t device_type,
				     unsigned nqueues, unsigned max_queue_size,
				     const struct virtio_dev_ops *ops, void *opaque)
{
	struct pci_board *board = vm->pci;
	if (!board || !nqueues || nqueues > 64 || !max_queue_size ||
	    max_queue_size > VIRTQ_MAX_SIZE || (max_queue_size & (max_queue_size - 1)) ||
	    ops->config_len > VIRTIO_DEVICE_MAX || board->nvirtio == PCI_BOARD_MAX_VIRTIO) {
		if (ops->destroy)
			ops->destroy(opaque);
		ember_error(-EINVAL, "virtio: %s: bad parameters or no room on the PCI bus", name);
		return NULL;
	}
	struct virtio_dev *d = calloc(1, sizeof(*d) + nqueues * sizeof(d->q[0]));
	if (!d) {
		if (ops->destroy)
			ops->destroy(opaque);
		ember_error(-ENOMEM, "virtio: out of memory for %s", name);
		return NULL;
	}
	d->name = name;
	d->type = device_type;
	d->ops = ops;
	d->opaque = opaque;
	d->dma = &board->dma;
	d->nqueues = nqueues;
	d->offered = ops->features | 1ULL << VIRTIO_F_VERSION_1 |
		     1ULL << VIRTIO_RING_F_INDIRECT_DESC | 1ULL << VIRTIO_RING_F_EVENT_IDX;
	pthread_mutex_init(&d->lock, NULL);
	for (unsigned i = 0; i < nqueues; i++)
		d->q[i].max_size = (uint16_t)max_queue_size;
	board->virtio[board->nvirtio++] = d; /* freed by pci_board_destroy from here on */
	const struct pci_func_desc desc = {
	    .name = name,
	    .vendor_id = VIRTIO_PCI_VENDOR,
	    .device_id = (uint16_t)(VIRTIO_PCI_DEVICE0 + device_type),
	    .subsys_vendor_id = VIRTIO_PCI_VENDOR,
	    .subsys_id = VIRTIO_PCI_SUBSYS_ID,
	    .revision = VIRTIO_PCI_REVISION,
	    .class_code = virtio_class(device_type),
	    .int_pin = 1,
	    .ops = &virtio_pci_ops,
	    .opaque = d,
	};
	d->pci = pci_func_create(board->bus, PCI_DEVFN_AUTO, &desc);
	if (!d->pci)
		return NULL;
	pthread_mutex_lock(&d->lock);
	virtio_reset_locked(d);
	pthread_mutex_unlock(&d->lock);
	/* The PCI configuration access cap: bar, offset, length and data are
	 * the driver's (body offsets 2, 6-9, 10-13, 14-17). */
	static const uint8_t cfg_wmask[18] = {[2] = 0xFF, [6 ... 17] = 0xFF};
	int r;
	if (pci_func_bar(d->pci, VIRTIO_BAR, PCI_BAR_MEM64, VIRTIO_BAR_SIZE, &virtio_bar_ops, d) ||
	    pci_func_msix(d->pci, nqueues + 1, VIRTIO_MSIX_BAR) ||
	    virtio_cap(d, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_COMMON_OFF, VIRTIO_COMMON_LEN, 0,
		       NULL) < 0 ||
	    virtio_cap(d, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_NOTIFY_OFF,
		       VIRTIO_NOTIFY_MULT * nqueues, 4, NULL) < 0 ||
	    virtio_cap(d, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_ISR_OFF, 1, 0, NULL) < 0 ||
	    (ops->config_len && virtio_cap(d, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_DEVICE_OFF,
					   (uint32_t)ops->config_len, 0, NULL) < 0) ||
	    (r = virtio_cap(d, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 4, cfg_wmask)) < 0) {
		ember_error(-ENOSPC, "internal: virtio: %s: PCI set-up failed", name);
		return NULL;
	}
	d->cfgcap = (unsigned)r;
	return d;
}

void virtio_dev_free(struct virtio_dev *d)
{
	if (!d)
		return;
	if (d->ops->destroy)
		d->ops->destroy(d->opaque);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
