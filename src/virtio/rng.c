/*
 * virtio/rng.c - virtio-rng (see rng.h).  The work per request is small and
 * never blocks (getrandom() of the host's pool, at most RNG_MAX_BYTES per
 * request, which 5.4.6.1 allows: the device returns what it has), so it is
 * done on the notifying vCPU thread; one notification handles at most a
 * queue's worth of requests (the walker's bound).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "util.h"
#include "virtio/rng.h"
#include "virtio/virtio.h"

#define RNG_QUEUE_SIZE 64
#define RNG_MAX_BYTES  4096

struct virtio_rng {
	struct virtio_dev *dev;
};

/* Fill the request's writable buffers; the bytes written. */
static uint32_t rng_fill(const struct virtq_req *req)
{
	size_t done = 0;
	for (unsigned i = 0; i < req->nin && done < RNG_MAX_BYTES; i++) {
		size_t want = req->in[i].iov_len;
		if (want > RNG_MAX_BYTES - done)
			want = RNG_MAX_BYTES - done;
		ssize_t n = getrandom(req->in[i].iov_base, want, GRND_NONBLOCK);
		if (n <= 0)
			break;
		done += (size_t)n;
		if ((size_t)n < want)
			break;
	}
	return (uint32_t)done;
}

static void rng_notify(void *opaque, unsigned q)
{
	struct virtio_rng *r = opaque;
	struct virtq_req *req = malloc(sizeof(*req));
	if (!req)
		return;
	/* Bounded: what was queued (the walker refuses more than a queue's
	 * worth ahead) and as much again added meanwhile; the vCPU thread must
	 * get back to the guest and to stop requests. */
	for (unsigned i = 0; i < 2 * RNG_QUEUE_SIZE && virtq_pop(r->dev, q, req) > 0; i++)
		virtq_push(r->dev, q, req, rng_fill(req));
	virtq_kick_guest(r->dev, q);
	free(req);
}

static void rng_destroy(void *opaque)
{
	free(opaque);
}

static const struct virtio_dev_ops rng_ops = {
    .queue_notify = rng_notify,
    .destroy = rng_destroy,
};

int virtio_rng_create(struct vm *vm)
{
	struct virtio_rng *r = calloc(1, sizeof(*r));
	if (!r)
		return ember_error(-ENOMEM, "virtio-rng: out of memory");
	/* On failure rng_destroy has freed r or will. */
	struct virtio_dev *dev =
	    virtio_pci_create(vm, "virtio-rng", VIRTIO_ID_RNG, 1, RNG_QUEUE_SIZE, &rng_ops, r);
	if (!dev)
		return -EINVAL;
	r->dev = dev;
	return 0;
}
