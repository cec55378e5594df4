/*
 * block/block.h - ember's block backend: a --drive's options (options.c),
 * the image file it names (image.c: open flags, the lock, size, alignment,
 * flush, discard) and the I/O thread that runs its requests (iothread.c).
 * Knows nothing of virtio: a device hands it offsets, lengths and iovecs.
 */
#ifndef EMBER_BLOCK_H
#define EMBER_BLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

/* --drive cache=: what the host's page cache does and what a guest flush costs. */
enum blk_cache {
	BLK_CACHE_WRITEBACK, /* page cache; a guest flush is fdatasync (default) */
	BLK_CACHE_NONE,	     /* O_DIRECT: no host page cache; a guest flush is fdatasync */
	BLK_CACHE_UNSAFE,    /* page cache; a guest flush does nothing */
};

#define BLK_SERIAL_MAX 20 /* virtio-blk's ID string: up to 20 bytes, NUL-padded */

/* One --drive. */
struct blk_options {
	char *file;    /* the image's path (malloc'd, QEMU's ",," unescaped) */
	bool readonly; /* readonly=on */
	enum blk_cache cache;
	char serial[BLK_SERIAL_MAX + 1]; /* serial=, "" if none */
};

/*
 * Parse one --drive value: file=PATH[,format=raw][,readonly=on|off]
 * [,cache=writeback|none|unsafe][,serial=S][,if=virtio].  0, or -EINVAL
 * with ember_error() naming the option and what is wrong.  A ',' inside a
 * value is written ',,' (QEMU's convention).  blk_options_free() after.
 */
int blk_options_parse(const char *arg, struct blk_options *o);
void blk_options_free(struct blk_options *o);
const char *blk_cache_name(enum blk_cache c);

/* An open image. */
struct blk_image {
	char *path;
	int fd;		 /* O_DIRECT with cache=none; holds the image lock */
	int fd_buffered; /* cache=none: a second, buffered descriptor for what O_DIRECT refuses
			    (offsets or lengths off its alignment); otherwise == fd */
	uint64_t size;	 /* bytes */
	bool readonly;
	enum blk_cache cache;
	bool is_blockdev;
	/* O_DIRECT's alignment (STATX_DIOALIGN, else 4096); 1 without O_DIRECT. */
	unsigned mem_align, off_align;
	/* fallocate modes the file system refused once, not asked again. */
	bool no_punch, no_zero_range;
};

/*
 * Open and lock the image (OFD locks: shared for readonly, exclusive for
 * writable, so two embers never write one image).  0, or -errno with
 * ember_error() naming the file: missing, unreadable, a directory, empty,
 * locked by another process, cache=none on a file system without O_DIRECT.
 */
int blk_image_open(struct blk_image *img, const struct blk_options *o);
/* Make completed writes durable: fdatasync, or nothing with cache=unsafe.  0 or -errno. */
int blk_image_flush(struct blk_image *img);
/* Power-off: fdatasync in every cache mode, then close (the lock goes with it). */
void blk_image_close(struct blk_image *img);

/* Synchronous transfers of a whole range; 0 or -errno (-EIO at a short end).
 * They pick O_DIRECT or the buffered descriptor, bouncing misaligned memory. */
int blk_image_read(struct blk_image *img, uint64_t off, const struct iovec *iov, unsigned niov);
int blk_image_write(struct blk_image *img, uint64_t off, const struct iovec *iov, unsigned niov);
/* Deallocate [off, off+len): punch a hole; a file system that cannot is
 * left as it is (a discard is a hint).  0 or -errno. */
int blk_image_discard(struct blk_image *img, uint64_t off, uint64_t len);
/* Make [off, off+len) read as zeroes: ZERO_RANGE, or a punched hole when
 * unmap is allowed, else zeroes written.  0 or -errno. */
int blk_image_write_zeroes(struct blk_image *img, uint64_t off, uint64_t len, bool unmap);
/* Can this transfer go to the O_DIRECT descriptor as it is? */
bool blk_image_aligned(const struct blk_image *img, uint64_t off, const struct iovec *iov,
		       unsigned niov);

/* ---- the I/O thread (iothread.c) ---- */

enum blk_op { BLK_READ, BLK_WRITE, BLK_FLUSH, BLK_DISCARD, BLK_WRITE_ZEROES };

/* One request.  The submitter owns it; done() runs on the I/O thread. */
struct blk_io {
	enum blk_op op;
	uint64_t off, len;	 /* bytes; len from the iovecs for READ/WRITE */
	const struct iovec *iov; /* READ/WRITE */
	unsigned niov;
	bool unmap; /* WRITE_ZEROES may deallocate */
	int result; /* 0 or -errno, set before done() */
	void (*done)(struct blk_io *io);
	void *opaque;
};

/*
 * One thread per drive runs its device's work and its I/O: process() (the
 * device popping its queue and calling blk_iothread_submit) runs on it after
 * each blk_iothread_notify() and after each batch of completions; transfers go through io_uring
 * (liburing) so many are in flight at once, or, where the kernel refuses io_uring, run one at a
 * time on the same thread.  Either way the vCPU thread only writes an eventfd.
 */
struct blk_iothread;

int blk_iothread_create(struct blk_iothread **out, struct blk_image *img, bool use_uring,
			void (*process)(void *opaque), void *opaque);
/* Any thread: run process() soon (a queue notification).  Never blocks. */
void blk_iothread_notify(struct blk_iothread *t);
/* I/O thread only: room for another request?  process() stops popping when
 * there is none; completions call it again. */
bool blk_iothread_has_room(const struct blk_iothread *t);
/* I/O thread only (from process() or a done()): start io; done() follows,
 * possibly before this returns. */
void blk_iothread_submit(struct blk_iothread *t, struct blk_io *io);
/* Another thread: wait until process() is not running and nothing is in
 * flight (every done() has run), and keep it so until resume.  For a device
 * reset: no completion can write guest memory after this returns. */
void blk_iothread_pause(struct blk_iothread *t);
void blk_iothread_resume(struct blk_iothread *t);
/* Whether io_uring is in use (else the synchronous fallback). */
bool blk_iothread_uring(const struct blk_iothread *t);
/* Finish everything in flight, stop the thread, free it (NULL is fine). */
void blk_iothread_destroy(struct blk_iothread *t);

#endif
