/*
 * block/iothread.c - a drive's I/O thread.  The vCPU thread's only part is
 * an eventfd write (blk_iothread_notify); this thread runs the device's queue
 * work and the transfers.  With io_uring (liburing) aligned reads, writes and
 * flushes are in flight together, up to BLK_IOTHREAD_DEPTH; the eventfd is
 * read through the same ring, so one wait covers both.  Where the kernel
 * refuses io_uring (kernel.io_uring_disabled, a seccomp filter) each request
 * runs to its end on this thread instead: slower, never on the vCPU.
 */
#include <errno.h>
#include <limits.h>
#include <liburing.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "block/block.h"
#include "iov.h"

/* In flight at once; the ring has room for these plus the eventfd read, and
 * its completion queue (twice the ring) can never overflow. */
#define BLK_IOTHREAD_DEPTH 64
#define BLK_RING_ENTRIES   128

struct blk_iothread {
	struct blk_image *img;
	void (*process)(void *opaque);
	void *opaque;
	pthread_t thread;
	int efd;
	bool uring;
	struct io_uring ring;
	uint64_t efd_count; /* the ring's eventfd read lands here */
	unsigned inflight;  /* ring requests outstanding, the eventfd read not counted */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool pause_req, paused, stop;
};

/* The ring's eventfd read is the one request whose user data is NULL. */
static void iothread_arm_eventfd(struct blk_iothread *t)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&t->ring);
	if (!sqe) {
		io_uring_submit(&t->ring);
		sqe = io_uring_get_sqe(&t->ring);
	}
	io_uring_prep_read(sqe, t->efd, &t->efd_count, sizeof(t->efd_count), 0);
	io_uring_sqe_set_data(sqe, NULL);
}

/* Everything a ring cannot do as it is runs here, to its end. */
static void iothread_run_sync(struct blk_iothread *t, struct blk_io *io)
{
	struct blk_image *img = t->img;
	switch (io->op) {
	case BLK_READ:
		io->result = blk_image_read(img, io->off, io->iov, io->niov);
		break;
	case BLK_WRITE:
		io->result = blk_image_write(img, io->off, io->iov, io->niov);
		break;
	case BLK_FLUSH:
		io->result = blk_image_flush(img);
		break;
	case BLK_DISCARD:
		io->result = blk_image_discard(img, io->off, io->len);
		break;
	case BLK_WRITE_ZEROES:
		io->result = blk_image_write_zeroes(img, io->off, io->len, io->unmap);
		break;
	}
	io->done(io);
}

bool blk_iothread_has_room(const struct blk_iothread *t)
{
	return !t->uring || t->inflight < BLK_IOTHREAD_DEPTH;
}

void blk_iothread_submit(struct blk_iothread *t, struct blk_io *io)
{
	struct blk_image *img = t->img;
	bool ring = t->uring && t->inflight < BLK_IOTHREAD_DEPTH;
	switch (io->op) {
	case BLK_READ:
	case BLK_WRITE:
		/* Misaligned O_DIRECT (bounce or buffered descriptor), a read-only
		 * write's refusal and a vector longer than readv takes go the
		 * synchronous way. */
		ring = ring && io->niov <= IOV_MAX &&
		       blk_image_aligned(img, io->off, io->iov, io->niov) &&
		       !(io->op == BLK_WRITE && img->readonly);
		break;
	case BLK_FLUSH:
		ring = ring && img->cache != BLK_CACHE_UNSAFE && !img->readonly;
		break;
	case BLK_DISCARD:
	case BLK_WRITE_ZEROES:
		ring = false; /* fallocate with its fallbacks: rare, quick */
		break;
	}
	if (!ring) {
		iothread_run_sync(t, io);
		return;
	}
	struct io_uring_sqe *sqe = io_uring_get_sqe(&t->ring);
	if (!sqe) {
		io_uring_submit(&t->ring);
		sqe = io_uring_get_sqe(&t->ring);
	}
	if (io->op == BLK_READ)
		io_uring_prep_readv(sqe, img->fd, io->iov, io->niov, io->off);
	else if (io->op == BLK_WRITE)
		io_uring_prep_writev(sqe, img->fd, io->iov, io->niov, io->off);
	else
		io_uring_prep_fsync(sqe, img->fd, IORING_FSYNC_DATASYNC);
	io_uring_sqe_set_data(sqe, io);
	t->inflight++;
}

static void iothread_complete(struct blk_iothread *t, struct blk_io *io, int res)
{
	t->inflight--;
	if (io->op == BLK_FLUSH || res < 0) {
		io->result = res < 0 ? res : 0;
		io->done(io);
		return;
	}
	/* A short transfer (rare on files) is done again whole, synchronously:
	 * reading or writing the same bytes twice is harmless. */
	if ((uint64_t)res != iov_bytes(io->iov, io->niov)) {
		iothread_run_sync(t, io);
		return;
	}
	io->result = 0;
	io->done(io);
}

/* Reap what completed; wait for at least one completion if asked.  Sets
 * *notified when the eventfd fired; returns whether a request completed. */
static bool iothread_reap(struct blk_iothread *t, bool wait, bool *notified)
{
	bool completed = false;
	struct io_uring_cqe *cqe;
	if (wait)
		io_uring_submit_and_wait(&t->ring, 1);
	else
		io_uring_submit(&t->ring);
	while (io_uring_peek_cqe(&t->ring, &cqe) == 0) {
		struct blk_io *io = io_uring_cqe_get_data(cqe);
		int res = cqe->res;
		io_uring_cqe_seen(&t->ring, cqe);
		if (io) {
			iothread_complete(t, io, res);
			completed = true;
		} else {
			*notified = true;
			iothread_arm_eventfd(t);
		}
	}
	return completed;
}

/* Pause or stop requested: finish what is in flight, then park.  Returns
 * false when the thread must end. */
static bool iothread_park(struct blk_iothread *t, bool *notified)
{
	while (t->uring && t->inflight)
		iothread_reap(t, true, notified);
	pthread_mutex_lock(&t->lock);
	t->paused = true;
	pthread_cond_broadcast(&t->cond);
	while (t->pause_req && !t->stop)
		pthread_cond_wait(&t->cond, &t->lock);
	t->paused = false;
	bool go_on = !t->stop;
	pthread_mutex_unlock(&t->lock);
	return go_on;
}

static bool iothread_wanted(struct blk_iothread *t)
{
	return __atomic_load_n(&t->pause_req, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&t->stop, __ATOMIC_ACQUIRE);
}

static void *iothread_main(void *arg)
{
	struct blk_iothread *t = arg;
	bool notified = false;
	if (t->uring)
		iothread_arm_eventfd(t);
	for (;;) {
		/* process() runs after a notification and after completions: it
		 * pops what the room allows and interrupts the guest once for
		 * the batch. */
		bool completed = false;
		if (t->uring) {
			completed = iothread_reap(t, !notified, &notified);
		} else if (!notified) {
			uint64_t v;
			notified = read(t->efd, &v, sizeof(v)) == sizeof(v);
		}
		if (iothread_wanted(t) && !iothread_park(t, &notified))
			break;
		if (notified || completed) {
			notified = false;
			t->process(t->opaque);
		}
	}
	return NULL;
}

int blk_iothread_create(struct blk_iothread **out, struct blk_image *img, bool use_uring,
			void (*process)(void *opaque), void *opaque)
{
	struct blk_iothread *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->img = img;
	t->process = process;
	t->opaque = opaque;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	t->efd = eventfd(0, EFD_CLOEXEC);
	if (t->efd < 0) {
		int err = -errno;
		free(t);
		return err;
	}
	t->uring = use_uring && io_uring_queue_init(BLK_RING_ENTRIES, &t->ring, 0) == 0;
	int r = pthread_create(&t->thread, NULL, iothread_main, t);
	if (r) {
		if (t->uring)
			io_uring_queue_exit(&t->ring);
		close(t->efd);
		free(t);
		return -r;
	}
	pthread_setname_np(t->thread, "ember-blk");
	*out = t;
	return 0;
}

void blk_iothread_notify(struct blk_iothread *t)
{
	uint64_t one = 1;
	ssize_t r = write(t->efd, &one, sizeof(one));
	(void)r; /* only fails at a counter of 2^64-2: it is nonzero then anyway */
}

void blk_iothread_pause(struct blk_iothread *t)
{
	pthread_mutex_lock(&t->lock);
	__atomic_store_n(&t->pause_req, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&t->lock);
	blk_iothread_notify(t);
	pthread_mutex_lock(&t->lock);
	while (!t->paused)
		pthread_cond_wait(&t->cond, &t->lock);
	pthread_mutex_unlock(&t->lock);
}

void blk_iothread_resume(struct blk_iothread *t)
{
	pthread_mutex_lock(&t->lock);
	__atomic_store_n(&t->pause_req, false, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

bool blk_iothread_uring(const struct blk_iothread *t)
{
	return t->uring;
}

void blk_iothread_destroy(struct blk_iothread *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	__atomic_store_n(&t->stop, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	blk_iothread_notify(t);
	pthread_join(t->thread, NULL);
	if (t->uring)
		io_uring_queue_exit(&t->ring);
	close(t->efd);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
	free(t);
}
