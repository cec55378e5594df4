/*
 * tools/difftest/hostemu.c - tells the differential tester which guest
 * instructions the host kernel emulated instead of the CPU running them: the
 * host's kvm:kvm_emulate_insn tracepoint, sampled for this thread.  Not a
 * general tracer (src/trace/hostkvm.c is ember's).  Follows perf_event_open(2)
 * (PERF_TYPE_TRACEPOINT, PERF_SAMPLE_RAW, struct perf_event_mmap_page) and the
 * tracepoint's format file (tracefs events/kvm/kvm_emulate_insn/format).
 *
 * Why: on PVM, CPL3 code runs natively except where the host steps in (a
 * non-canonical user RSP makes it emulate every user instruction; a user
 * #GP/#UD is handed to its emulator first).  An instruction the host emulated
 * was judged by KVM's instruction emulator, not by the CPU.
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dt.h"

#define HOSTEMU_PAGES 16 /* data pages of the ring buffer (a power of two) */

struct hostemu {
	int fd;
	struct perf_event_mmap_page *meta;
	uint8_t *data;
	size_t data_size;
	unsigned rip_offset; /* of the "rip" field in the raw record */
};

static int hostemu_read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
	return 0;
}

/* The tracepoint id and the offset of its rip field, from tracefs. */
static int hostemu_format(unsigned *id, unsigned *rip_offset, char *why, size_t why_len)
{
	static const char dir[] = "/sys/kernel/tracing/events/kvm/kvm_emulate_insn";
	char path[128], buf[4096];
	const char *p;
	int r;

	snprintf(path, sizeof(path), "%s/id", dir);
	r = hostemu_read_file(path, buf, sizeof(buf));
	if (r < 0) {
		snprintf(why, why_len, "%s: %s", path, strerror(-r));
		return r;
	}
	*id = (unsigned)strtoul(buf, NULL, 10);
	snprintf(path, sizeof(path), "%s/format", dir);
	r = hostemu_read_file(path, buf, sizeof(buf));
	p = r < 0 ? NULL : strstr(buf, " rip;");
	p = p ? strstr(p, "offset:") : NULL;
	if (!p) {
		snprintf(why, why_len, "%s: no rip field", path);
		return -EINVAL;
	}
	*rip_offset = (unsigned)strtoul(p + 7, NULL, 10);
	return 0;
}

int hostemu_open(struct hostemu **out, char *why, size_t why_len)
{
	struct perf_event_attr a;
	struct hostemu *h;
	unsigned id, off;
	long page = sysconf(_SC_PAGESIZE);
	int r = hostemu_format(&id, &off, why, why_len);

	if (r < 0)
		return r;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->rip_offset = off;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_TRACEPOINT;
	a.config = id;
	a.sample_period = 1;
	a.sample_type = PERF_SAMPLE_RAW;
	h->fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (h->fd < 0) {
		r = -errno;
		snprintf(why, why_len, "perf_event_open(kvm:kvm_emulate_insn): %s", strerror(-r));
		free(h);
		return r;
	}
	h->data_size = HOSTEMU_PAGES * (size_t)page;
	h->meta = mmap(NULL, h->data_size + page, PROT_READ | PROT_WRITE, MAP_SHARED, h->fd, 0);
	if (h->meta == MAP_FAILED) {
		r = -errno;
		snprintf(why, why_len, "mmap perf ring buffer: %s", strerror(-r));
		close(h->fd);
		free(h);
		return r;
	}
	h->data = (uint8_t *)h->meta + page;
	*out = h;
	return 0;
}

/* Copy len bytes at ring offset pos (which may wrap). */
static void hostemu_copy(const struct hostemu *h, uint64_t pos, void *dst, size_t len)
{
	size_t at = pos % h->data_size, first = h->data_size - at;

	if (first > len)
		first = len;
	memcpy(dst, h->data + at, first);
	memcpy((uint8_t *)dst + first, h->data, len - first);
}

/*
 * Consume the records since the last call; sets *hit if one of them is the
 * instruction at `rip` (or if records were lost).
 */
void hostemu_drain(struct hostemu *h, uint64_t rip, bool *hit)
{
	uint64_t head = __atomic_load_n(&h->meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = h->meta->data_tail;

	*hit = false;
	while (tail + sizeof(struct perf_event_header) <= head) {
		struct perf_event_header eh;
		uint8_t rec[256];
		uint32_t raw_len;
		uint64_t r;

		hostemu_copy(h, tail, &eh, sizeof(eh));
		if (eh.size < sizeof(eh) || tail + eh.size > head)
			break;
		if (eh.type == PERF_RECORD_SAMPLE && eh.size <= sizeof(rec)) {
			hostemu_copy(h, tail, rec, eh.size);
			memcpy(&raw_len, rec + sizeof(eh), 4);
			if (raw_len >= h->rip_offset + 8 && sizeof(eh) + 4 + raw_len <= eh.size) {
				memcpy(&r, rec + sizeof(eh) + 4 + h->rip_offset, 8);
				*hit |= r == rip;
			}
		} else if (eh.type == PERF_RECORD_LOST) {
			*hit = true; /* unknown: count it as emulated */
		}
		tail += eh.size;
	}
	__atomic_store_n(&h->meta->data_tail, head, __ATOMIC_RELEASE);
}

void hostemu_close(struct hostemu *h)
{
	if (!h)
		return;
	munmap(h->meta, h->data_size + (size_t)sysconf(_SC_PAGESIZE));
	close(h->fd);
	free(h);
}
