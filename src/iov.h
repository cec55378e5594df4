/*
 * iov.h - byte ranges of scatter-gather lists (struct iovec), as virtqueue
 * requests and block I/O carry them.
 */
#ifndef EMBER_IOV_H
#define EMBER_IOV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* The bytes iov holds in all. */
uint64_t iov_bytes(const struct iovec *iov, unsigned niov);
/* Copy up to len bytes from offset off of iov into buf; the bytes copied. */
size_t iov_to_buf(const struct iovec *iov, unsigned niov, size_t off, void *buf, size_t len);
/* Copy up to len bytes of buf to offset off of iov; the bytes copied. */
size_t iov_from_buf(const struct iovec *iov, unsigned niov, size_t off, const void *buf,
		    size_t len);

#endif
