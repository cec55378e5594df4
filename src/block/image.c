/*
 * block/image.c - a raw disk image: opened with the flags its cache mode asks
 * for, locked against a second writer, and read, written, flushed, discarded.
 * The synchronous paths here serve the I/O thread's fallback and every
 * request O_DIRECT cannot take as it is; iothread.c runs the aligned rest.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/block.h"
#include "iov.h"
#include "util.h"

/*
 * The lock: an OFD lock (owned by the open file description, so a second
 * open in this process conflicts too, and fork/threads cannot drop it) over
 * the whole file, as QEMU's image locking does in spirit: readers share,
 * a writer excludes everyone.  F_OFD_SETLK never waits.
 */
static int image_lock(struct blk_image *img)
{
	struct flock fl = {
	    .l_type = img->readonly ? F_RDLCK : F_WRLCK,
	    .l_whence = SEEK_SET,
	};
	if (fcntl(img->fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	int err = errno;
	if (err == EAGAIN || err == EACCES)
		return ember_error(
		    -EBUSY, "%s: image is locked: another process has it open%s", img->path,
		    img->readonly ? " for writing" : " (readonly=on shares it with readers)");
	return ember_error(-err, "%s: cannot lock the image: %s", img->path, strerror(err));
}

/* O_DIRECT's buffer and offset alignment for this file (Linux 6.1+ tells). */
static void image_dio_align(struct blk_image *img)
{
	struct statx stx;
	img->mem_align = img->off_align = 4096;
	if (statx(img->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
	    (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align) {
		img->mem_align = stx.stx_dio_mem_align ? stx.stx_dio_mem_align : 1;
		img->off_align = stx.stx_dio_offset_align;
	}
	/* The guest's unit is the 512-byte sector. */
	if (img->off_align < 512)
		img->off_align = 512;
}

int blk_image_open(struct blk_image *img, const struct blk_options *o)
{
	*img = (struct blk_image){.fd = -1,
				  .fd_buffered = -1,
				  .readonly = o->readonly,
				  .cache = o->cache,
				  .mem_align = 1,
				  .off_align = 512};
	img->path = strdup(o->file);
	if (!img->path)
		return ember_error(-ENOMEM, "%s: out of memory", o->file);
	int flags = (o->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	int fd = open(o->file, flags);
	if (fd < 0) {
		int err = errno;
		if (err == EISDIR)
			return ember_error(-err, "%s: is a directory, not a disk image", o->file);
		if ((err == EACCES || err == EROFS) && !o->readonly)
			return ember_error(-err, "%s: cannot open for writing: %s (readonly=on?)",
					   o->file, strerror(err));
		return ember_error(-err, "%s: %s", o->file, strerror(err));
	}
	img->fd = fd;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return ember_error(-errno, "%s: %s", o->file, strerror(errno));
	if (S_ISREG(st.st_mode)) {
		img->size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		img->is_blockdev = true;
		if (ioctl(fd, BLKGETSIZE64, &img->size) < 0)
			return ember_error(-errno, "%s: cannot read the device's size: %s", o->file,
					   strerror(errno));
	} else {
		return ember_error(-EINVAL, "%s: not a regular file or block device", o->file);
	}
	if (img->size < 512)
		return ember_error(-EINVAL, "%s: %s (a disk needs at least one 512-byte sector)",
				   o->file, img->size ? "smaller than 512 bytes" : "empty image");
	int r = image_lock(img);
	if (r < 0)
		return r;
	img->fd_buffered = fd;
	if (o->cache == BLK_CACHE_NONE) {
		/* Reopen for O_DIRECT and keep the locked descriptor for the
		 * requests O_DIRECT refuses. */
		int dfd = open(o->file, flags | O_DIRECT);
		if (dfd < 0) {
			int err = errno;
			if (err == EINVAL)
				return ember_error(
				    -err,
				    "%s: cache=none: the file system does not support "
				    "O_DIRECT (use cache=writeback)",
				    o->file);
			return ember_error(-err, "%s: %s", o->file, strerror(err));
		}
		img->fd = dfd;
		image_dio_align(img);
	}
	return 0;
}

int blk_image_flush(struct blk_image *img)
{
	if (img->cache == BLK_CACHE_UNSAFE || img->readonly)
		return 0;
	return fdatasync(img->fd) < 0 ? -errno : 0;
}

void blk_image_close(struct blk_image *img)
{
	if (img->fd >= 0 && !img->readonly)
		fdatasync(img->fd);
	if (img->fd_buffered >= 0 && img->fd_buffered != img->fd)
		close(img->fd_buffered);
	if (img->fd >= 0)
		close(img->fd);
	img->fd = img->fd_buffered = -1;
	free(img->path);
	img->path = NULL;
}

bool blk_image_aligned(const struct blk_image *img, uint64_t off, const struct iovec *iov,
		       unsigned niov)
{
	if (img->fd == img->fd_buffered)
		return true;
	if (off % img->off_align)
		return false;
	for (unsigned i = 0; i < niov; i++)
		if ((uintptr_t)iov[i].iov_base % img->mem_align || iov[i].iov_len % img->off_align)
			return false;
	return true;
}

/* preadv/pwritev the whole range, resuming after short transfers. */
static int image_rw(int fd, bool write, uint64_t off, const struct iovec *iov, unsigned niov)
{
	struct iovec cur[IOV_MAX];
	while (niov) {
		unsigned n = niov < IOV_MAX ? niov : IOV_MAX;
		memcpy(cur, iov, n * sizeof(*iov));
		struct iovec *v = cur;
		unsigned left = n;
		while (left) {
			ssize_t r = write ? pwritev(fd, v, (int)left, (off_t)off)
					  : preadv(fd, v, (int)left, (off_t)off);
			if (r < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			if (r == 0)
				return -EIO; /* the image shrank under us */
			off += (uint64_t)r;
			while (left && (size_t)r >= v->iov_len) {
				r -= (ssize_t)v->iov_len;
				v++;
				left--;
			}
			if (left) {
				v->iov_base = (char *)v->iov_base + r;
				v->iov_len -= (size_t)r;
			}
		}
		iov += n;
		niov -= n;
	}
	return 0;
}

/*
 * O_DIRECT with the offset and length aligned but memory not: through an
 * aligned bounce buffer.  An offset or length off alignment (no Linux guest
 * sends one: blk_size tells it the unit) goes to the buffered descriptor,
 * which the kernel keeps coherent with direct I/O on the same file.
 */
static int image_transfer(struct blk_image *img, bool write, uint64_t off, const struct iovec *iov,
			  unsigned niov)
{
	if (blk_image_aligned(img, off, iov, niov))
		return image_rw(img->fd, write, off, iov, niov);
	uint64_t len = iov_bytes(iov, niov);
	if (off % img->off_align || len % img->off_align)
		return image_rw(img->fd_buffered, write, off, iov, niov);
	void *buf;
	if (posix_memalign(&buf, img->mem_align < 512 ? 512 : img->mem_align, len))
		return -ENOMEM;
	struct iovec b = {buf, len};
	int r = 0;
	if (write) {
		uint64_t at = 0;
		for (unsigned i = 0; i < niov; at += iov[i].iov_len, i++)
			memcpy((char *)buf + at, iov[i].iov_base, iov[i].iov_len);
		r = image_rw(img->fd, true, off, &b, 1);
	} else {
		r = image_rw(img->fd, false, off, &b, 1);
		uint64_t at = 0;
		for (unsigned i = 0; r == 0 && i < niov; at += iov[i].iov_len, i++)
			memcpy(iov[i].iov_base, (char *)buf + at, iov[i].iov_len);
	}
	free(buf);
	return r;
}

int blk_image_read(struct blk_image *img, uint64_t off, const struct iovec *iov, unsigned niov)
{
	return image_transfer(img, false, off, iov, niov);
}

int blk_image_write(struct blk_image *img, uint64_t off, const struct iovec *iov, unsigned niov)
{
	if (img->readonly)
		return -EROFS;
	return image_transfer(img, true, off, iov, niov);
}

/* Write zeroes the slow way, 64 KiB at a time. */
static int image_write_zero_bytes(struct blk_image *img, uint64_t off, uint64_t len)
{
	static const size_t chunk = 64 << 10;
	void *z;
	if (posix_memalign(&z, 4096, chunk))
		return -ENOMEM;
	memset(z, 0, chunk);
	int r = 0;
	while (len && r == 0) {
		size_t n = len < chunk ? (size_t)len : chunk;
		struct iovec v = {z, n};
		r = image_transfer(img, true, off, &v, 1);
		off += n;
		len -= n;
	}
	free(z);
	return r;
}

static bool falloc_unsupported(int err)
{
	return err == EOPNOTSUPP || err == ENOSYS || err == EINVAL || err == ENODEV;
}

static int image_punch(struct blk_image *img, uint64_t off, uint64_t len)
{
	if (img->no_punch)
		return -EOPNOTSUPP;
	if (fallocate(img->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
		      (off_t)len) == 0)
		return 0;
	int err = errno;
	if (falloc_unsupported(err))
		img->no_punch = true;
	return -err;
}

int blk_image_discard(struct blk_image *img, uint64_t off, uint64_t len)
{
	if (img->readonly)
		return -EROFS;
	if (img->is_blockdev) { /* the device's own discard, if it has one */
		if (ioctl(img->fd, BLKDISCARD, (uint64_t[2]){off, len}) == 0 ||
		    falloc_unsupported(errno) || errno == ENOTTY)
			return 0;
		return -errno;
	}
	int r = image_punch(img, off, len);
	return r == -EOPNOTSUPP || img->no_punch ? 0 : r;
}

int blk_image_write_zeroes(struct blk_image *img, uint64_t off, uint64_t len, bool unmap)
{
	if (img->readonly)
		return -EROFS;
	if (!img->is_blockdev) {
		if (unmap && image_punch(img, off, len) == 0)
			return 0;
		if (!img->no_zero_range) {
			if (fallocate(img->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
				      (off_t)off, (off_t)len) == 0)
				return 0;
			if (!falloc_unsupported(errno))
				return -errno;
			img->no_zero_range = true;
		}
	} else if (ioctl(img->fd, BLKZEROOUT, (uint64_t[2]){off, len}) == 0) {
		return 0;
	}
	return image_write_zero_bytes(img, off, len);
}
