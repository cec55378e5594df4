/*
 * trace/hostkvm.c - reads the host's kvm: tracepoints for one vCPU thread
 * (see hostkvm.h): PERF_TYPE_TRACEPOINT events with ids and field offsets
 * from tracefs (events/kvm/NAME/{id,format}), all redirected into one mmap
 * ring so records arrive in order, drained after every exit.  Not a tracer
 * of other processes: pid 0 means the calling vCPU thread only.
 * Follows perf_event_open(2) (PERF_SAMPLE_RAW, struct perf_event_mmap_page).
 *
 * CR writes under software KVM only appear as kvm_emulate_insn records of
 * MOV to CRn, without the value.  The value is recovered from KVM_GET_SREGS
 * at the exit that ends the batch, which is exact for the last write of
 * each register in the batch; an earlier write to the same register in the
 * same batch prints "?".
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kvm/kvm.h"
#include "memmap.h"
#include "trace/hostkvm.h"
#include "trace/trace.h"
#include "util.h"
#include "vm.h"

enum hk_event {
	HK_EXIT,
	HK_CR,
	HK_MSR,
	HK_CPUID,
	HK_PIO,
	HK_MMIO,
	HK_INSN,
	HK_VIRQ,
	HK_EXC,
	HK_NR
};

#define HK_MAX_FIELDS 6

/* The tracepoints and the fields ember reads, by name (offsets come from
 * each event's format file, so a kernel that moves fields still works). */
static const struct {
	const char *name;
	const char *fields[HK_MAX_FIELDS];
} hk_defs[HK_NR] = {
    [HK_EXIT] = {"kvm_exit", {"exit_reason", "guest_rip", "isa"}},
    [HK_CR] = {"kvm_cr", {"rw", "cr", "val"}},
    [HK_MSR] = {"kvm_msr", {"write", "ecx", "data", "exception"}},
    [HK_CPUID] = {"kvm_cpuid", {"function", "index", "rax", "rbx", "rcx", "rdx"}},
    [HK_PIO] = {"kvm_pio", {"rw", "port", "size", "val"}},
    [HK_MMIO] = {"kvm_mmio", {"type", "len", "gpa", "val"}},
    [HK_INSN] = {"kvm_emulate_insn", {"rip", "csbase", "len", "insn", "flags", "failed"}},
    [HK_VIRQ] = {"kvm_inj_virq", {"vector", "soft"}},
    [HK_EXC] = {"kvm_inj_exception", {"exception", "has_error", "error_code"}},
};

struct hk_field {
	int off, size;
};

struct hk_format {
	int id;
	struct hk_field f[HK_MAX_FIELDS];
};

#define HK_RING_PAGES 512 /* 2 MiB: ~40,000 emulated instructions per exit */

struct hostkvm {
	struct vcpu *v;
	struct trace *t;
	struct hk_format fmt[HK_NR];
	int fds[HK_NR];
	struct perf_event_mmap_page *meta;
	size_t page, ring_size;
	uint8_t *batch;
	size_t batch_cap;
	uint64_t lost;
	/* Shadow of CR0, CR2, CR3, CR4, CR8 and whether each value is known. */
	uint64_t cr[9];
	bool cr_known[9];
	enum x86_mode mode;
	/* The previous emulated instruction: what caused a mode change. */
	uint64_t prev_rip, prev_csbase;
	uint8_t prev_bytes[16];
	unsigned prev_len;
	int prev_bits;
	/* The previous record was the host emulating something other than
	 * CPUID: a kvm_cpuid record now is the emulator's own lookup (e.g. the
	 * vendor check during REP STOS), not a guest CPUID. */
	bool in_other_insn;
};

static char hk_status[256];

const char *hostkvm_status(void)
{
	return hk_status;
}

static const char *const hk_roots[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};

/* Parse "ID: n" and the "field:TYPE NAME[N];\toffset:O;\tsize:S;" lines. */
static int hk_read_format(const char *root, enum hk_event ev, struct hk_format *out)
{
	char path[256], line[512];
	snprintf(path, sizeof(path), "%s/events/kvm/%s/format", root, hk_defs[ev].name);
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	memset(out, 0, sizeof(*out));
	out->id = -1;
	for (int i = 0; i < HK_MAX_FIELDS; i++)
		out->f[i].off = -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "ID:", 3)) {
			out->id = atoi(line + 3);
			continue;
		}
		char *decl = strstr(line, "field:");
		char *semi = decl ? strchr(decl, ';') : NULL;
		char *offp = semi ? strstr(semi, "offset:") : NULL;
		char *sizep = offp ? strstr(offp, "size:") : NULL;
		if (!sizep)
			continue;
		*semi = 0;
		char *name = semi;
		while (name > decl && name[-1] != ' ' && name[-1] != '\t')
			name--;
		char *br = strchr(name, '[');
		if (br)
			*br = 0;
		for (int i = 0; i < HK_MAX_FIELDS && hk_defs[ev].fields[i]; i++)
			if (!strcmp(name, hk_defs[ev].fields[i])) {
				out->f[i].off = atoi(offp + 7);
				out->f[i].size = atoi(sizep + 5);
			}
	}
	fclose(f);
	if (out->id < 0)
		return -EINVAL;
	for (int i = 0; i < HK_MAX_FIELDS && hk_defs[ev].fields[i]; i++)
		if (out->f[i].off < 0)
			return -EINVAL;
	return 0;
}

static void hk_unavailable(const char *fmt, const char *arg)
{
	if (hk_status[0])
		return;
	char why[200];
	snprintf(why, sizeof(why), fmt, arg);
	snprintf(hk_status, sizeof(hk_status), "unavailable: %s", why);
	fprintf(stderr, "ember: note: host kvm: tracepoints not read: %s\n", why);
}

/* The tracepoints what was asked for needs (each open one costs the host
 * per record, and closing one waits for an RCU grace period). */
static unsigned hk_wanted(const struct trace *t)
{
	const struct vm_config *cfg = t->vm->cfg;
	bool stats = cfg && (cfg->stats || cfg->stats_json);
	unsigned w = 0;
	if (stats || t->tl || trace_on(t, TRACE_INSN) || trace_on(t, TRACE_MODE) ||
	    trace_on(t, TRACE_CR))
		w |= 1u << HK_INSN;
	if (trace_on(t, TRACE_CR))
		w |= 1u << HK_CR;
	if (trace_on(t, TRACE_MSR) || trace_on(t, TRACE_CR))
		w |= 1u << HK_MSR;
	if (trace_on(t, TRACE_CPUID))
		w |= 1u << HK_CPUID;
	if (stats || trace_on(t, TRACE_PIO))
		w |= 1u << HK_PIO;
	if (trace_on(t, TRACE_MMIO))
		w |= 1u << HK_MMIO;
	if (trace_on(t, TRACE_EXIT))
		w |= 1u << HK_EXIT;
	if (stats || trace_on(t, TRACE_IRQ))
		w |= 1u << HK_VIRQ;
	if (stats || trace_on(t, TRACE_EXCEPTION))
		w |= 1u << HK_EXC;
	return w;
}

static void *hk_close_fd(void *arg)
{
	close((int)(intptr_t)arg);
	return NULL;
}

struct hostkvm *hostkvm_open(struct vcpu *v, struct trace *t)
{
	if (!hk_wanted(t))
		return NULL; /* e.g. --trace-first alone: single-stepping needs none */
	struct hostkvm *hk = calloc(1, sizeof(*hk));
	if (!hk)
		return NULL;
	hk->v = v;
	hk->t = t;
	for (int i = 0; i < HK_NR; i++)
		hk->fds[i] = -1;
	const char *root = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(hk_roots) && !root; i++) {
		char p[128];
		snprintf(p, sizeof(p), "%s/events/kvm", hk_roots[i]);
		if (access(p, R_OK) == 0)
			root = hk_roots[i];
	}
	if (!root) {
		hk_unavailable("%s/events/kvm not found: mount tracefs as root "
			       "(mount -t tracefs nodev /sys/kernel/tracing)",
			       hk_roots[0]);
		goto fail;
	}
	for (int ev = 0; ev < HK_NR; ev++) {
		int r = hk_read_format(root, ev, &hk->fmt[ev]);
		if (r < 0) {
			char what[160];
			snprintf(what, sizeof(what), "%s/events/kvm/%s/format: %s", root,
				 hk_defs[ev].name,
				 r == -EINVAL ? "unexpected layout" : strerror(-r));
			hk_unavailable("%s (run as root)", what);
			goto fail;
		}
	}
	hk->page = sysconf(_SC_PAGESIZE);
	hk->ring_size = HK_RING_PAGES * hk->page;
	unsigned want = hk_wanted(t);
	int leader = -1;
	for (int ev = 0; ev < HK_NR; ev++) {
		if (!(want & (1u << ev)))
			continue;
		struct perf_event_attr a = {
		    .type = PERF_TYPE_TRACEPOINT,
		    .size = sizeof(a),
		    .config = hk->fmt[ev].id,
		    .sample_period = 1,
		    .sample_type = PERF_SAMPLE_TIME | PERF_SAMPLE_RAW,
		    .use_clockid = 1,
		    .clockid = CLOCK_MONOTONIC, /* the clock of now_ns() */
		};
		hk->fds[ev] = syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
		if (hk->fds[ev] < 0) {
			int e = errno;
			if (e == EACCES || e == EPERM)
				hk_unavailable("perf_event_open(kvm:%s): permission denied: run as "
					       "root, or give ember CAP_PERFMON and lower "
					       "kernel.perf_event_paranoid (sysctl -w "
					       "kernel.perf_event_paranoid=-1)",
					       hk_defs[ev].name);
			else
				hk_unavailable("perf_event_open: %s", strerror(e));
			goto fail;
		}
		if (leader < 0) {
			leader = hk->fds[ev];
			hk->meta = mmap(NULL, hk->page + hk->ring_size, PROT_READ | PROT_WRITE,
					MAP_SHARED, leader, 0);
			if (hk->meta == MAP_FAILED) {
				hk->meta = NULL;
				hk_unavailable("mmap of the perf ring: %s (raise "
					       "kernel.perf_event_mlock_kb)",
					       strerror(errno));
				goto fail;
			}
		} else if (ioctl(hk->fds[ev], PERF_EVENT_IOC_SET_OUTPUT, leader) < 0) {
			hk_unavailable("PERF_EVENT_IOC_SET_OUTPUT: %s", strerror(errno));
			goto fail;
		}
	}
	const struct x86_state *s = &v->vm->boot_state;
	hk->cr[0] = s->cr0;
	hk->cr[2] = s->cr2;
	hk->cr[3] = s->cr3;
	hk->cr[4] = s->cr4;
	hk->cr[8] = s->cr8;
	for (int i = 0; i < 9; i++)
		hk->cr_known[i] = true;
	hk->mode = x86_state_mode(s);
	if (!hk_status[0])
		snprintf(hk_status, sizeof(hk_status), "on");
	return hk;
fail:
	hostkvm_close(hk);
	return NULL;
}

void hostkvm_close(struct hostkvm *hk)
{
	if (!hk)
		return;
	if (hk->lost)
		fprintf(stderr,
			"ember: note: host kvm: %" PRIu64 " tracepoint records lost (ring "
			"full between two exits)\n",
			hk->lost);
	if (hk->meta)
		munmap(hk->meta, hk->page + hk->ring_size);
	/* Closing a tracepoint event waits for an RCU grace period (~40 ms
	 * here); in parallel they share one. */
	pthread_t th[HK_NR];
	bool started[HK_NR] = {false};
	for (int i = 0; i < HK_NR; i++)
		if (hk->fds[i] >= 0)
			started[i] = pthread_create(&th[i], NULL, hk_close_fd,
						    (void *)(intptr_t)hk->fds[i]) == 0;
	for (int i = 0; i < HK_NR; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else if (hk->fds[i] >= 0)
			close(hk->fds[i]);
	}
	free(hk->batch);
	free(hk);
}

static uint64_t hk_get(const struct hostkvm *hk, enum hk_event ev, int field, const uint8_t *raw,
		       uint32_t rawlen)
{
	const struct hk_field *f = &hk->fmt[ev].f[field];
	uint64_t v = 0;
	if (f->off < 0 || (uint32_t)(f->off + f->size) > rawlen || f->size > 8)
		return 0;
	memcpy(&v, raw + f->off, f->size); /* little-endian host */
	return v;
}

/* The emulator's mode flags of kvm_emulate_insn: bit 0 PE, 1 VM, 2 32-bit,
 * 3 64-bit (the format file's print fmt lists them). */
static enum x86_mode hk_mode(unsigned flags)
{
	switch (flags) {
	case 0:
		return X86_MODE_REAL;
	case 3:
		return X86_MODE_V86;
	case 5:
		return X86_MODE_PROT32;
	case 9:
		return X86_MODE_LONG64;
	default:
		return X86_MODE_PROT16;
	}
}

struct hk_insn {
	uint64_t rip, csbase;
	uint8_t bytes[16];
	unsigned len;
	enum x86_mode mode;
	int bits;
};

static void hk_parse_insn(const struct hostkvm *hk, const uint8_t *raw, uint32_t rawlen,
			  struct hk_insn *in)
{
	in->rip = hk_get(hk, HK_INSN, 0, raw, rawlen);
	in->csbase = hk_get(hk, HK_INSN, 1, raw, rawlen);
	unsigned n = hk_get(hk, HK_INSN, 2, raw, rawlen);
	const struct hk_field *f = &hk->fmt[HK_INSN].f[3];
	memset(in->bytes, 0, sizeof(in->bytes));
	if (n > 15)
		n = 15;
	if ((uint32_t)(f->off + n) <= rawlen)
		memcpy(in->bytes, raw + f->off, n);
	in->mode = hk_mode(hk_get(hk, HK_INSN, 4, raw, rawlen));
	in->bits = trace_mode_bits(in->mode);
	/* ember's decoder decides the length; KVM's count is the fallback. */
	int l = x86_insn_length(in->bytes, n, in->bits);
	in->len = l > 0 ? (unsigned)l : n;
}

static uint64_t hk_linear(const struct hk_insn *in)
{
	uint64_t lin = in->csbase + in->rip;
	return in->mode == X86_MODE_LONG64 ? lin : lin & 0xFFFFFFFFULL;
}

/* Ports and MMIO that KVM's in-kernel irqchip and PIT handle (ember's bus
 * sees everything else, so only these are taken from kvm_pio/kvm_mmio). */
static const char *hk_kernel_port(unsigned port)
{
	if (port == 0x20 || port == 0x21 || port == 0xA0 || port == 0xA1)
		return "kvm-pic";
	if (port >= 0x40 && port <= 0x43)
		return "kvm-pit";
	if (port == 0x61)
		return "kvm-pit-speaker";
	if (port == 0x4D0 || port == 0x4D1)
		return "kvm-elcr";
	return NULL;
}

static const char *hk_kernel_mmio(uint64_t gpa)
{
	if (gpa >> 12 == 0xFEE00)
		return "kvm-lapic";
	if (gpa >> 12 == 0xFEC00)
		return "kvm-ioapic";
	return NULL;
}

/* Copy the ring's unread bytes into hk->batch; returns their length. */
static size_t hk_take(struct hostkvm *hk)
{
	uint64_t head = __atomic_load_n(&hk->meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = hk->meta->data_tail;
	size_t n = head - tail;
	if (!n)
		return 0;
	if (n > hk->batch_cap) {
		uint8_t *b = realloc(hk->batch, n);
		if (!b) {
			__atomic_store_n(&hk->meta->data_tail, head, __ATOMIC_RELEASE);
			return 0;
		}
		hk->batch = b;
		hk->batch_cap = n;
	}
	const uint8_t *ring = (const uint8_t *)hk->meta + hk->page;
	size_t off = tail % hk->ring_size, first = hk->ring_size - off;
	if (first > n)
		first = n;
	memcpy(hk->batch, ring + off, first);
	memcpy(hk->batch + first, ring, n - first);
	__atomic_store_n(&hk->meta->data_tail, head, __ATOMIC_RELEASE);
	return n;
}

/* Walk the samples of a batch: calls fn for each raw record. */
typedef void (*hk_visit_fn)(struct hostkvm *hk, uint64_t ts, enum hk_event ev, const uint8_t *raw,
			    uint32_t rawlen, void *ctx);

static void hk_walk(struct hostkvm *hk, size_t n, hk_visit_fn fn, void *ctx, bool count_lost)
{
	size_t pos = 0;
	while (pos + sizeof(struct perf_event_header) <= n) {
		const struct perf_event_header *h = (const void *)(hk->batch + pos);
		if (h->size < sizeof(*h) || pos + h->size > n)
			break;
		const uint8_t *p = (const uint8_t *)(h + 1);
		if (h->type == PERF_RECORD_LOST && count_lost) {
			uint64_t lost;
			memcpy(&lost, p + 8, 8);
			hk->lost += lost;
		} else if (h->type == PERF_RECORD_SAMPLE && h->size >= sizeof(*h) + 12) {
			uint64_t ts;
			uint32_t rawlen;
			memcpy(&ts, p, 8);
			memcpy(&rawlen, p + 8, 4);
			const uint8_t *raw = p + 12;
			if (rawlen >= 2 && sizeof(*h) + 12 + rawlen <= h->size) {
				uint16_t type;
				memcpy(&type, raw, 2);
				for (int ev = 0; ev < HK_NR; ev++)
					if (hk->fmt[ev].id == type)
						fn(hk, ts, ev, raw, rawlen, ctx);
			}
		}
		pos += h->size;
	}
}

/* Pass 1: which record is the last write of each CR in the batch. */
struct hk_scan {
	long index;
	long last_write[9];
	bool any;
};

static void hk_scan(struct hostkvm *hk, uint64_t ts, enum hk_event ev, const uint8_t *raw,
		    uint32_t rawlen, void *ctx)
{
	struct hk_scan *sc = ctx;
	sc->index++;
	if (ev != HK_INSN)
		return;
	struct hk_insn in;
	hk_parse_insn(hk, raw, rawlen, &in);
	bool write;
	int cr = trace_insn_cr(in.bytes, in.len, in.bits, &write);
	if (cr >= 0 && cr <= 8 && write) {
		sc->last_write[cr] = sc->index;
		sc->any = true;
	}
}

struct hk_pass {
	struct hk_scan *scan;
	long index;
	uint64_t now_cr[9]; /* KVM_GET_SREGS at the end of the batch */
};

static void hk_insn_event(struct hostkvm *hk, uint64_t ts, const struct hk_insn *in,
			  struct hk_pass *ps)
{
	struct trace *t = hk->t;
	__atomic_fetch_add(&t->ctr->insns[in->mode], 1, __ATOMIC_RELAXED);
	bool rex_r;
	unsigned op = trace_insn_opcode(in->bytes, in->len, in->bits, &rex_r);
	if (op < in->len && in->bytes[op] == 0xF4)
		__atomic_fetch_add(&t->ctr->hlt, 1, __ATOMIC_RELAXED);
	if (in->mode != hk->mode) {
		trace_on_mode(t, ts, hk->mode, in->mode, hk->prev_csbase, hk->prev_rip,
			      hk->prev_bytes, hk->prev_len, hk->prev_bits);
		hk->mode = in->mode;
	}
	if (trace_on(t, TRACE_INSN)) {
		uint64_t lin = hk_linear(in), phys = lin;
		if ((hk->cr[0] & X86_CR0_PG) && kvm_translate(hk->v, lin, &phys) < 0)
			phys = UINT64_MAX;
		if (in->mode == X86_MODE_REAL)
			phys = lin & 0xFFFFFFFFULL;
		trace_on_insn(t, ts, "kvm", in->mode, in->csbase, in->rip, lin, phys, in->bytes,
			      in->len);
	}
	bool write;
	int cr = trace_insn_cr(in->bytes, in->len, in->bits, &write);
	if (cr == 0 || cr == 2 || cr == 3 || cr == 4 || cr == 8) {
		if (write) {
			bool last = ps->scan->last_write[cr] == ps->index;
			hk->cr_known[cr] = last;
			if (last)
				hk->cr[cr] = ps->now_cr[cr];
		}
		trace_on_cr(t, ts, cr, hk->cr[cr], write, in->rip, hk->cr_known[cr]);
	}
	hk->prev_rip = in->rip;
	hk->prev_csbase = in->csbase;
	memcpy(hk->prev_bytes, in->bytes, sizeof(hk->prev_bytes));
	hk->prev_len = in->len;
	hk->prev_bits = in->bits;
}

static void hk_emit(struct hostkvm *hk, uint64_t ts, enum hk_event ev, const uint8_t *raw,
		    uint32_t rawlen, void *ctx)
{
	struct hk_pass *ps = ctx;
	struct trace *t = hk->t;
	bool in_other_insn = hk->in_other_insn;
	ps->index++;
	hk->in_other_insn = false;
#define F(i) hk_get(hk, ev, i, raw, rawlen)
	switch (ev) {
	case HK_INSN: {
		struct hk_insn in;
		hk_parse_insn(hk, raw, rawlen, &in);
		hk_insn_event(hk, ts, &in, ps);
		bool rex_r;
		unsigned op = trace_insn_opcode(in.bytes, in.len, in.bits, &rex_r);
		hk->in_other_insn =
		    !(op + 1 < in.len && in.bytes[op] == 0x0F && in.bytes[op + 1] == 0xA2);
		break;
	}
	case HK_EXIT:
		if (trace_on(t, TRACE_EXIT)) {
			char key[48];
			snprintf(key, sizeof(key), "exit kvm_exit %#" PRIx64, F(0));
			trace_emit(t, TRACE_EXIT, ts, key,
				   "in the host kernel, rip %#" PRIx64 " isa %u", F(1),
				   (unsigned)F(2));
		}
		break;
	case HK_CR: {
		unsigned cr = F(1);
		if (cr <= 8) {
			hk->cr[cr] = F(2);
			hk->cr_known[cr] = true;
		}
		trace_on_cr(t, ts, cr, F(2), F(0), 0, true);
		break;
	}
	case HK_MSR: {
		uint32_t msr = F(1);
		trace_on_msr(t, ts, msr, F(2), F(0));
		if (msr == X86_MSR_EFER)
			trace_on_cr(t, ts, -1, F(2), F(0), hk->prev_rip, true);
		break;
	}
	case HK_CPUID: {
		if (in_other_insn)
			break;
		uint32_t out[4] = {F(2), F(3), F(4), F(5)};
		trace_on_cpuid(t, ts, F(0), F(1), out);
		break;
	}
	case HK_PIO: {
		const char *dev = hk_kernel_port(F(1));
		if (dev)
			trace_on_host_pio(t, ts, F(1), F(2), F(3), F(0), dev);
		break;
	}
	case HK_MMIO: {
		const char *dev = hk_kernel_mmio(F(2));
		if (dev && F(0) != 0)
			trace_on_host_mmio(t, ts, F(2), F(1), F(3), F(0) == 2, dev);
		break;
	}
	case HK_VIRQ:
		if (!F(1))
			__atomic_fetch_add(&t->ctr->irqs, 1, __ATOMIC_RELAXED);
		trace_on_event(t, ts, F(0), false, 0,
			       F(1) ? TRACE_VEC_SOFTWARE : TRACE_VEC_EXTERNAL, 0);
		break;
	case HK_EXC: {
		uint8_t vec = F(0);
		if (vec < 32)
			__atomic_fetch_add(&t->ctr->faults[vec], 1, __ATOMIC_RELAXED);
		trace_on_event(t, ts, vec, F(1), F(2), TRACE_VEC_EXCEPTION, 0);
		break;
	}
	case HK_NR:
		break;
	}
#undef F
}

void hostkvm_drain(struct hostkvm *hk)
{
	if (!hk)
		return;
	size_t n = hk_take(hk);
	if (!n)
		return;
	struct hk_scan sc = {.index = 0};
	for (int i = 0; i < 9; i++)
		sc.last_write[i] = -1;
	hk_walk(hk, n, hk_scan, &sc, true);
	struct hk_pass ps = {.scan = &sc};
	if (sc.any) {
		struct x86_state s;
		if (hk->v->vm->engine->get_state(hk->v, &s) == 0) {
			ps.now_cr[0] = s.cr0;
			ps.now_cr[2] = s.cr2;
			ps.now_cr[3] = s.cr3;
			ps.now_cr[4] = s.cr4;
			ps.now_cr[8] = s.cr8;
		} else {
			for (int i = 0; i < 9; i++)
				sc.last_write[i] = -1;
		}
	}
	hk_walk(hk, n, hk_emit, &ps, false);
}
