/*
 * iov.c - byte ranges of scatter-gather lists (see iov.h).
 */
#include <string.h>

#include "iov.h"

uint64_t iov_bytes(const struct iovec *iov, unsigned niov)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < niov; i++)
		n += iov[i].iov_len;
	return n;
}

/* Visit [off, off + len) of iov, copying to (to_iov) or from it. */
static size_t iov_copy(const struct iovec *iov, unsigned niov, size_t off, uint8_t *buf,
		       size_t len, int to_iov)
{
	size_t done = 0;
	for (unsigned i = 0; i < niov && done < len; i++) {
		size_t l = iov[i].iov_len;
		if (off >= l) {
			off -= l;
			continue;
		}
		size_t n = l - off < len - done ? l - off : len - done;
		uint8_t *p = (uint8_t *)iov[i].iov_base + off;
		if (to_iov)
			memcpy(p, buf + done, n);
		else
			memcpy(buf + done, p, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t iov_to_buf(const struct iovec *iov, unsigned niov, size_t off, void *buf, size_t len)
{
	return iov_copy(iov, niov, off, buf, len, 0);
}

size_t iov_from_buf(const struct iovec *iov, unsigned niov, size_t off, const void *buf,
		    size_t len)
{
	return iov_copy(iov, niov, off, (uint8_t *)buf, len, 1);
}
