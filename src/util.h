/*
 * util.h - small helpers shared by the VMM: the last-error message that
 * setup code records for main() to print, size parsing, file reading, huge
 * pages for large allocations.
 * Not used by the emulator library (src/x86 includes nothing from here).
 */
#ifndef EMBER_UTIL_H
#define EMBER_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Record a one-line error for the user ("FILE: what is wrong") and return
 * err (a negative errno) so callers can write `return ember_error(...)`.
 * The message is per thread; main() prints it once.
 */
int ember_error(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *ember_last_error(void);

/* Parse "256M", "1G", "4096K", "65536" (bytes).  Returns 0 or -EINVAL. */
int parse_size(const char *s, uint64_t *out);

/* Read a whole file into a malloc'd buffer (huge pages from 4 MiB on, see
 * huge_pages).  Returns 0 or -errno with ember_error set ("PATH: No such
 * file or directory"). */
int read_file(const char *path, uint8_t **buf, size_t *len);

/* Ask the host kernel to back the 2 MiB-aligned part of [p, p+len) with
 * transparent huge pages (madvise MADV_HUGEPAGE; a no-op where THP is off):
 * one page fault per 2 MiB instead of 512, which on this project's machine
 * (the host is itself a PVM guest, where a fault costs microseconds) took a
 * Linux boot's start-up from 150-230 to about 65 ms of CPU. */
#define HUGE_PAGE (2ul << 20)
void huge_pages(void *p, size_t len);

/* Monotonic time in nanoseconds. */
uint64_t now_ns(void);

#endif
