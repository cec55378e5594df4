/*
 * virtio/rng.c - virtio-rng (see rng.h).  The work per request is small and
 * never blocks (getrandom() of the host's pool, at most RNG_MAX_BYTES per
 * request, which 5.4.6.1 allows: the device returns what it has), so it is
 * done on the notifying vCPU thread; one notification handles at most twice
 * a queue's worth of requests.
 *
 * Under --clock virtual a run is a function of its input, and random bytes
 * the guest mixes into its own RNG change the instructions it executes
 * (measured: two boots of Debian's kernel with virtio_rng differed by 3,454
 * instructions).  There the device gives a fixed pseudo-random stream
 * (splitmix64 from a constant), which is what that mode is for: repeatable
 * runs, not secrets.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "clock.h"
#include "util.h"
#include "virtio/rng.h"
#include "virtio/virtio.h"
#include "vm.h"

#define RNG_QUEUE_SIZE 64
#define RNG_MAX_BYTES  4096
#define RNG_FIXED_SEED 0x656D626572726E67ULL /* "emberrng" */

struct virtio_rng {
	struct virtio_dev *dev;
	bool fixed; /* --clock virtual: the repeatable stream */
	pthread_mutex_t lock;
	uint64_t state;
};

/* splitmix64 (Steele, Lea, Flood 2014): one 64-bit output per step. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static size_t rng_bytes(struct virtio_rng *r, void *buf, size_t len)
{
	if (!r->fixed) {
		ssize_t n = getrandom(buf, len, GRND_NONBLOCK);
		return n > 0 ? (size_t)n : 0;
	}
	pthread_mutex_lock(&r->lock);
	for (size_t off = 0; off < len; off += 8) {
		uint64_t v = rng_next(&r->state);
		memcpy((uint8_t *)buf + off, &v, len - off < 8 ? len - off : 8);
	}
	pthread_mutex_unlock(&r->lock);
	return len;
}

/* Fill the request's writable buffers; the bytes written. */
static uint32_t rng_fill(struct virtio_rng *r, const struct virtq_req *req)
{
	size_t done = 0;
	for (unsigned i = 0; i < req->nin && done < RNG_MAX_BYTES; i++) {
		size_t want = req->in[i].iov_len;
		if (want > RNG_MAX_BYTES - done)
			want = RNG_MAX_BYTES - done;
		size_t n = rng_bytes(r, req->in[i].iov_base, want);
		done += n;
		if (n < want)
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
		virtq_push(r->dev, q, req, rng_fill(r, req));
	virtq_kick_guest(r->dev, q);
	free(req);
}

static void rng_destroy(void *opaque)
{
	struct virtio_rng *r = opaque;
	pthread_mutex_destroy(&r->lock);
	free(r);
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
	r->fixed = vclock_mode(vm->clock) == VCLOCK_VIRTUAL;
	r->state = RNG_FIXED_SEED;
	pthread_mutex_init(&r->lock, NULL);
	/* On failure rng_destroy has freed r or will. */
	struct virtio_dev *dev =
	    virtio_pci_create(vm, "virtio-rng", VIRTIO_ID_RNG, 1, RNG_QUEUE_SIZE, &rng_ops, r);
	if (!dev)
		return -EINVAL;
	r->dev = dev;
	return 0;
}
