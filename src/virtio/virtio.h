/*
 * virtio/virtio.h - virtio 1.x devices over the modern PCI transport, with
 * split virtqueues (virtio 1.2: 2.7 split virtqueues, 2.7.10 indirect
 * descriptors, 2.7.7/2.7.10 event index, 4.1 virtio over PCI).  A device
 * (rng.c, blk.c, net.c) gives its type, queues, feature bits and config
 * callbacks; the transport (virtio_pci.c) does feature negotiation, status,
 * queue set-up, notifications and interrupts (MSI-X: one vector for config
 * changes and one per queue; INTx with the ISR otherwise); the walker
 * (virtqueue.c) turns available descriptor chains into host iovecs.
 *
 * A hostile driver never makes ember touch memory outside guest RAM: every
 * ring and buffer is translated through dma.h (whole range in one RAM
 * region).  A malformed ring (a loop, a chain longer than the queue, a
 * nested indirect table, a bad address or length, an avail index more than
 * the queue size ahead) marks the device DEVICE_NEEDS_RESET (status bit 64
 * and a configuration interrupt) and stops its queues until the driver
 * resets it.  One virtq_pop visits at most queue-size descriptors plus one
 * indirect table (<= VIRTQ_MAX_SEGS entries).
 *
 * Threading: the transport runs on vCPU threads; queue_notify must not
 * block (wake a worker).  virtq_pop/virtq_push/virtq_kick_guest may be
 * called from any thread (a per-device lock orders them with the driver's
 * queue set-up and reset); keep one queue to one thread so requests
 * complete in a sensible order.  After the driver resets the device, pushes
 * of requests popped before the reset are dropped.
 */
#ifndef EMBER_VIRTIO_VIRTIO_H
#define EMBER_VIRTIO_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct vm;
struct dma_space;
struct virtio_dev;

/* Device types (5 Device Types); the PCI device ID is 0x1040 + type. */
#define VIRTIO_ID_NET	 1
#define VIRTIO_ID_BLOCK	 2
#define VIRTIO_ID_RNG	 4

/* Transport feature bits the core offers itself (6 Reserved Feature Bits). */
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX	    29
#define VIRTIO_F_VERSION_1	    32

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE	 1
#define VIRTIO_STATUS_DRIVER		 2
#define VIRTIO_STATUS_DRIVER_OK		 4
#define VIRTIO_STATUS_FEATURES_OK	 8
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED		 128

/* Largest queue size a device may ask for, and most buffers in a chain
 * (direct or indirect): blk advertises seg_max below it. */
#define VIRTQ_MAX_SIZE 1024
#define VIRTQ_MAX_SEGS 256

struct virtio_dev_ops {
	uint64_t features; /* device-specific feature bits offered (0-23, 50+) */
	size_t config_len; /* bytes of device configuration (0: none) */
	/* Device configuration, [off, off+len) inside config_len; any width
	 * the driver uses.  vCPU thread. */
	void (*config_read)(void *opaque, unsigned off, void *buf, unsigned len);
	void (*config_write)(void *opaque, unsigned off, const void *buf, unsigned len);
	/* The driver notified queue q (enabled, DRIVER_OK).  vCPU thread:
	 * must not block. */
	void (*queue_notify)(void *opaque, unsigned q);
	/* The driver wrote status 0: the queues are already stopped (pops
	 * return 0, pushes are dropped); forget in-flight work.  vCPU thread. */
	void (*reset)(void *opaque);
	/* Features negotiated, queues set up, DRIVER_OK written.  vCPU thread. */
	void (*driver_ok)(void *opaque);
	/* The VM is going away (before the memory map): stop threads, free. */
	void (*destroy)(void *opaque);
};

/*
 * A device on the VM's PCI bus at the next free slot (creation order),
 * vendor 1AF4h, device 1040h + type, with nqueues queues of at most
 * max_queue_size (a power of two <= VIRTQ_MAX_SIZE) entries.  ops is kept
 * (static storage).  NULL with ember_error() on failure; either way
 * ops->destroy(opaque) is called (now or when the VM goes), so the caller
 * never frees opaque itself.
 */
struct virtio_dev *virtio_pci_create(struct vm *vm, const char *name, uint16_t device_type,
				     unsigned nqueues, unsigned max_queue_size,
				     const struct virtio_dev_ops *ops, void *opaque);

/* The features the driver accepted (valid from FEATURES_OK on). */
uint64_t virtio_negotiated(struct virtio_dev *d);
/* The device configuration changed (e.g. link status): a new generation
 * and a configuration interrupt.  Any thread. */
void virtio_config_changed(struct virtio_dev *d);
/* A device-level error (e.g. a request the device cannot parse at all):
 * DEVICE_NEEDS_RESET, queues stopped, one line on stderr.  Any thread. */
void virtio_dev_broken(struct virtio_dev *d, const char *why);

/* A request: the chain's device-readable (out) then device-writable (in)
 * buffers as host memory, checked to lie in guest RAM. */
struct virtq_req {
	uint16_t head;	   /* descriptor chain head (the used ring's id) */
	unsigned nout, nin;
	size_t out_len, in_len; /* bytes in out[] and in[] */
	struct iovec *out, *in; /* point into iov */
	struct iovec iov[VIRTQ_MAX_SEGS];
	uint64_t in_gpa[VIRTQ_MAX_SEGS]; /* guest address of each in[] */
	uint32_t gen;			  /* the queue's reset generation */
};

/* 1: *req holds the next available chain; 0: none (and, with event index,
 * the driver asked to notify on the next one); <0: the ring is malformed
 * (the device now needs a reset) or the queue is not live. */
int virtq_pop(struct virtio_dev *d, unsigned q, struct virtq_req *req);
/* Return req to the driver with written bytes stored into its in[]
 * buffers (clamped to in_len); those bytes are reported to dma_written.
 * Does not interrupt: call virtq_kick_guest after a batch. */
void virtq_push(struct virtio_dev *d, unsigned q, const struct virtq_req *req, uint32_t written);
/* Interrupt the driver for q if it wants one (event index / flags) and
 * something was pushed since the last interrupt. */
void virtq_kick_guest(struct virtio_dev *d, unsigned q);

/* Helpers for request parsers: copy [off, off+len) of the chain's out
 * buffers to buf / buf into its in buffers; the bytes done. */
size_t virtq_read_out(const struct virtq_req *req, size_t off, void *buf, size_t len);
size_t virtq_write_in(const struct virtq_req *req, size_t off, const void *buf, size_t len);

/* ---- the split-ring walker alone (virtqueue.c; tests, fuzzers) ---- */

/* One split virtqueue's driver-set layout and the device's position. */
struct virtq {
	uint16_t size; /* entries, a power of two */
	uint64_t desc, avail, used; /* guest addresses */
	bool event_idx, indirect;   /* negotiated */
	uint16_t last_avail;	    /* next avail entry to pop */
	uint16_t used_idx;	    /* next used entry to fill */
	uint16_t signalled_used;    /* used_idx at the last interrupt decision */
	bool signalled_valid;
};

/* Check the rings' alignment and that they lie in RAM (2.7: descriptor
 * table 16-byte aligned, avail 2, used 4; sizes with the event fields). */
bool virtq_layout_ok(const struct dma_space *dma, const struct virtq *vq);
/* virtq_pop on a bare queue: 1, 0, or -EINVAL (malformed; *why says how). */
int virtq_walk(const struct dma_space *dma, struct virtq *vq, struct virtq_req *req,
	       const char **why);
void virtq_complete(const struct dma_space *dma, struct virtq *vq, const struct virtq_req *req,
		    uint32_t written);
/* Should the driver be interrupted now (2.7.10, 2.7.7)? Updates the
 * signalled position. */
bool virtq_should_interrupt(const struct dma_space *dma, struct virtq *vq);

#endif
