/*
 * trace/trace.c - the event stream, histograms and counters of trace.h, and
 * the bus observers that feed them.  Not the host-tracepoint reader
 * (hostkvm.c) nor the timeline writer (timeline.c).  Everything here only
 * reads what it is given: tracing never changes what the guest sees.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "trace/disasm.h"
#include "trace/timeline.h"
#include "trace/trace.h"
#include "util.h"
#include "vm.h"

static const char *const trace_names[TRACE_NR] = {
#define TRACE_NAME(up, name, help) [TRACE_##up] = #name,
    TRACE_EVENTS(TRACE_NAME)
#undef TRACE_NAME
};

static const char *const trace_helps[TRACE_NR] = {
#define TRACE_HELP(up, name, help) [TRACE_##up] = help,
    TRACE_EVENTS(TRACE_HELP)
#undef TRACE_HELP
};

/* Vector mnemonics, SDM vol. 3A table 6-1. */
static const char *const trace_vectors[32] = {
    [0] = "#DE",  [1] = "#DB",	[2] = "NMI",  [3] = "#BP",  [4] = "#OF",
    [5] = "#BR",  [6] = "#UD",	[7] = "#NM",  [8] = "#DF",  [10] = "#TS",
    [11] = "#NP", [12] = "#SS", [13] = "#GP", [14] = "#PF", [16] = "#MF",
    [17] = "#AC", [18] = "#MC", [19] = "#XM", [20] = "#VE", [21] = "#CP",
};

const char *trace_event_name(enum trace_event ev)
{
	return ev < TRACE_NR ? trace_names[ev] : "?";
}

const char *trace_event_help(enum trace_event ev)
{
	return ev < TRACE_NR ? trace_helps[ev] : "?";
}

int trace_parse_events(const char *list, unsigned *mask)
{
	*mask = 0;
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, ",");
		int found = -1;
		if (n == 3 && !strncmp(p, "all", 3)) {
			*mask |= TRACE_ALL;
			found = TRACE_NR;
		}
		for (int i = 0; i < TRACE_NR && found < 0; i++)
			if (strlen(trace_names[i]) == n && !strncmp(p, trace_names[i], n))
				found = i;
		if (found < 0) {
			/* The list comes from TRACE_EVENTS, so it names every event. */
			char names[256];
			size_t o = 0;
			for (int i = 0; i < TRACE_NR && o < sizeof(names); i++)
				o += snprintf(names + o, sizeof(names) - o, "%s, ", trace_names[i]);
			return ember_error(-EINVAL,
					   "--trace %s: unknown event '%.*s' (events: %sall)", list,
					   (int)n, p, names);
		}
		if (found < TRACE_NR)
			*mask |= 1u << found;
		p += n;
		if (*p == ',')
			p++;
	}
	if (!*mask)
		return ember_error(-EINVAL, "--trace '%s': no events given", list);
	return 0;
}

int trace_mode_bits(enum x86_mode m)
{
	switch (m) {
	case X86_MODE_LONG64:
		return 64;
	case X86_MODE_PROT32:
	case X86_MODE_COMPAT:
		return 32;
	default:
		return 16;
	}
}

unsigned trace_insn_opcode(const uint8_t *b, unsigned len, int bits, bool *rex_r)
{
	unsigned i = 0;
	*rex_r = false;
	for (; i < len; i++) {
		uint8_t c = b[i];
		if (c == 0x66 || c == 0x67 || c == 0xF0 || c == 0xF2 || c == 0xF3 || c == 0x2E ||
		    c == 0x36 || c == 0x3E || c == 0x26 || c == 0x64 || c == 0x65)
			continue;
		if (bits == 64 && (c & 0xF0) == 0x40) {
			*rex_r = c & 4;
			continue;
		}
		break;
	}
	return i;
}

int trace_insn_cr(const uint8_t *b, unsigned len, int bits, bool *write)
{
	bool rex_r;
	unsigned i = trace_insn_opcode(b, len, bits, &rex_r);
	if (i + 2 >= len || b[i] != 0x0F || (b[i + 1] != 0x20 && b[i + 1] != 0x22))
		return -1;
	*write = b[i + 1] == 0x22;
	return ((b[i + 2] >> 3) & 7) + (rex_r ? 8 : 0);
}

/* ---- histograms ---- */

#define TRACE_HIST_SLOTS (2 * TRACE_HIST_MAX)

static uint32_t trace_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void trace_hist_add(struct trace_hist *h, const char *key)
{
	if (!h->e) {
		h->e = calloc(TRACE_HIST_SLOTS, sizeof(*h->e));
		if (!h->e) {
			h->other++;
			return;
		}
	}
	uint32_t i = trace_hash(key) % TRACE_HIST_SLOTS;
	for (;; i = (i + 1) % TRACE_HIST_SLOTS) {
		struct trace_hist_entry *e = &h->e[i];
		if (!e->key)
			break;
		if (!strcmp(e->key, key)) {
			e->count++;
			return;
		}
	}
	char *k = h->n < TRACE_HIST_MAX ? strdup(key) : NULL;
	if (!k) {
		h->other++;
		return;
	}
	h->e[i].key = k;
	h->e[i].count = 1;
	h->n++;
}

static int trace_hist_cmp(const void *a, const void *b)
{
	const struct trace_hist_entry *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->key, y->key);
}

void trace_print_histogram(struct trace *t, enum trace_event ev, FILE *f)
{
	struct trace_hist *h = &t->hist[ev];
	uint64_t total = t->count[ev];
	fprintf(f, "histogram %s: %" PRIu64 " events, %d distinct\n", trace_names[ev], total, h->n);
	if (!total)
		return;
	struct trace_hist_entry *v = calloc(h->n ? h->n : 1, sizeof(*v));
	if (!v)
		return;
	int n = 0;
	for (int i = 0; h->e && i < TRACE_HIST_SLOTS; i++)
		if (h->e[i].key)
			v[n++] = h->e[i];
	qsort(v, n, sizeof(*v), trace_hist_cmp);
	for (int i = 0; i < n; i++)
		fprintf(f, "  %s: %" PRIu64 " (%.2f%%)\n", v[i].key, v[i].count,
			100.0 * v[i].count / total);
	if (h->other)
		fprintf(f, "  (other): %" PRIu64 " (%.2f%%)\n", h->other, 100.0 * h->other / total);
	free(v);
}

/* ---- the event stream ---- */

static void trace_vemit(struct trace *t, enum trace_event ev, uint64_t ts, const char *key,
			const char *fmt, va_list ap)
{
	if (!ts)
		ts = now_ns();
	pthread_mutex_lock(&t->lock);
	t->count[ev]++;
	trace_hist_add(&t->hist[ev], key);
	fprintf(t->out, "%12.3f %-9s %s", ts > t->t0 ? (ts - t->t0) / 1e3 : 0.0, trace_names[ev],
		key);
	if (fmt) {
		fputs(" -- ", t->out);
		vfprintf(t->out, fmt, ap);
	}
	fputc('\n', t->out);
	pthread_mutex_unlock(&t->lock);
}

void trace_emit(struct trace *t, enum trace_event ev, uint64_t ts, const char *key,
		const char *detail_fmt, ...)
{
	va_list ap;
	va_start(ap, detail_fmt);
	trace_vemit(t, ev, ts, key, detail_fmt, ap);
	va_end(ap);
}

static void trace_timeline_instant(struct trace *t, uint64_t ts, const char *cat, const char *name,
				   const char *text)
{
	if (!t->tl)
		return;
	pthread_mutex_lock(&t->lock);
	timeline_instant(t->tl, ts ? ts : now_ns(), cat, name, text);
	pthread_mutex_unlock(&t->lock);
}

/* ---- bus observers ---- */

#define TRACE_POST_PORT 0x80
#define TRACE_COM1	0x3F8

/* COM1 bytes as the guest writes them (THR with DLAB clear), cut into lines
 * for the timeline.  Reads the guest's writes only; the UART model is
 * untouched. */
static void trace_console(struct trace *t, uint64_t port, uint64_t val)
{
	if (port == TRACE_COM1 + 3) {
		t->com1_dlab = val & 0x80;
		return;
	}
	if (port != TRACE_COM1 || t->com1_dlab)
		return;
	char c = (char)val;
	if (c != '\n' && c != '\r' && t->line_len < (int)sizeof(t->line) - 1)
		t->line[t->line_len++] = c;
	if (c == '\n' && t->line_len) {
		uint64_t now = now_ns();
		t->line[t->line_len] = 0;
		if (!t->console_seen)
			timeline_instant(t->tl, now, "milestone", "first console line", t->line);
		t->console_seen = true;
		timeline_instant(t->tl, now, "console", "console", t->line);
		t->line_len = 0;
	}
}

/* --stats: one more access to a port, wherever it was handled. */
static void trace_count_port(struct trace *t, uint16_t port, bool write)
{
	__atomic_fetch_add(write ? &t->ctr->port_writes[port] : &t->ctr->port_reads[port], 1,
			   __ATOMIC_RELAXED);
}

static void trace_pio(void *opaque, const struct bus_range *r, uint64_t addr, unsigned size,
		      uint64_t val, int is_write)
{
	struct trace *t = opaque;
	uint16_t port = (uint16_t)addr;
	trace_count_port(t, port, is_write);
	bool post = is_write && port == TRACE_POST_PORT && (trace_on(t, TRACE_POST) || t->tl);
	if (!trace_on(t, TRACE_PIO) && !post && !t->tl)
		return; /* --stats alone: the counters are all it needs */
	uint64_t ts = now_ns();
	if (trace_on(t, TRACE_PIO)) {
		char key[96];
		snprintf(key, sizeof(key), "pio_%s %#x (%s) = %#" PRIx64,
			 is_write ? "write" : "read", port, r ? r->name : "unclaimed", val);
		trace_emit(t, TRACE_PIO, ts, key, "size %u", size);
	}
	if (post) {
		char key[32];
		snprintf(key, sizeof(key), "post %#04" PRIx64, val & 0xFF);
		if (trace_on(t, TRACE_POST))
			trace_emit(t, TRACE_POST, ts, key, NULL);
		trace_timeline_instant(t, ts, "post", key, NULL);
	}
	if (is_write && t->tl) {
		pthread_mutex_lock(&t->lock);
		trace_console(t, port, val);
		pthread_mutex_unlock(&t->lock);
	}
}

static void trace_mmio(void *opaque, const struct bus_range *r, uint64_t addr, unsigned size,
		       uint64_t val, int is_write)
{
	struct trace *t = opaque;
	if (!trace_on(t, TRACE_MMIO))
		return;
	char key[96];
	snprintf(key, sizeof(key), "mmio_%s %#" PRIx64 " (%s) = %#" PRIx64,
		 is_write ? "write" : "read", addr, r ? r->name : "unclaimed", val);
	trace_emit(t, TRACE_MMIO, 0, key, "size %u", size);
}

void trace_on_host_pio(struct trace *t, uint64_t ts, uint16_t port, unsigned size, uint32_t val,
		       bool write, const char *device)
{
	trace_count_port(t, port, write);
	if (!trace_on(t, TRACE_PIO))
		return;
	char key[96];
	snprintf(key, sizeof(key), "pio_%s %#x (%s) = %#x", write ? "write" : "read", port, device,
		 val);
	trace_emit(t, TRACE_PIO, ts, key, "size %u, in the host kernel", size);
}

void trace_on_host_mmio(struct trace *t, uint64_t ts, uint64_t gpa, unsigned size, uint64_t val,
			bool write, const char *device)
{
	if (!trace_on(t, TRACE_MMIO))
		return;
	char key[96];
	snprintf(key, sizeof(key), "mmio_%s %#" PRIx64 " (%s) = %#" PRIx64,
		 write ? "write" : "read", gpa, device, val);
	trace_emit(t, TRACE_MMIO, ts, key, "size %u, in the host kernel", size);
}

/* ---- CPU hooks ---- */

void trace_on_cr(struct trace *t, uint64_t ts, int cr, uint64_t val, bool write, uint64_t rip,
		 bool val_known)
{
	if (!trace_on(t, TRACE_CR))
		return;
	char key[64], reg[16], v[24];
	if (cr < 0)
		snprintf(reg, sizeof(reg), "efer");
	else
		snprintf(reg, sizeof(reg), "%d", cr);
	if (val_known)
		snprintf(v, sizeof(v), "%#" PRIx64, val);
	else
		snprintf(v, sizeof(v), "?");
	snprintf(key, sizeof(key), "cr_%s %s = %s", write ? "write" : "read", reg, v);
	trace_emit(t, TRACE_CR, ts, key, "rip %#" PRIx64, rip);
}

void trace_on_msr(struct trace *t, uint64_t ts, uint32_t msr, uint64_t val, bool write)
{
	if (!trace_on(t, TRACE_MSR))
		return;
	char key[64];
	snprintf(key, sizeof(key), "msr_%s %#x = %#" PRIx64, write ? "write" : "read", msr, val);
	trace_emit(t, TRACE_MSR, ts, key, NULL);
}

void trace_on_cpuid(struct trace *t, uint64_t ts, uint32_t leaf, uint32_t sub,
		    const uint32_t out[4])
{
	if (!trace_on(t, TRACE_CPUID))
		return;
	char key[48];
	snprintf(key, sizeof(key), "cpuid %#x.%#x", leaf, sub);
	trace_emit(t, TRACE_CPUID, ts, key, "eax %#x ebx %#x ecx %#x edx %#x", out[0], out[1],
		   out[2], out[3]);
}

void trace_on_mode(struct trace *t, uint64_t ts, enum x86_mode from, enum x86_mode to,
		   uint64_t cs_base, uint64_t rip, const uint8_t *bytes, unsigned len, int bits)
{
	if (!ts)
		ts = now_ns();
	if (t->tl) {
		pthread_mutex_lock(&t->lock);
		timeline_mode(t->tl, ts, to);
		pthread_mutex_unlock(&t->lock);
	}
	if (!trace_on(t, TRACE_MODE))
		return;
	char key[48], text[96] = "", mnem[32];
	snprintf(key, sizeof(key), "mode %s -> %s", x86_mode_name(from), x86_mode_name(to));
	if (len)
		disasm_format(bytes, len, bits, rip, t->syntax, text, sizeof(text), mnem,
			      sizeof(mnem));
	trace_emit(t, TRACE_MODE, ts, key, "cs base %#" PRIx64 " rip %#" PRIx64 ": %s", cs_base,
		   rip, len ? text : "(instruction not recorded)");
}

void trace_on_event(struct trace *t, uint64_t ts, uint8_t vector, bool has_error, uint32_t error,
		    enum trace_vector_kind kind, uint64_t rip)
{
	char key[48];
	if (kind == TRACE_VEC_EXCEPTION && vector < 32) {
		if (!trace_on(t, TRACE_EXCEPTION))
			return;
		snprintf(key, sizeof(key), "exception %u (%s)", vector,
			 trace_vectors[vector] ? trace_vectors[vector] : "reserved");
		if (has_error)
			trace_emit(t, TRACE_EXCEPTION, ts, key, "error %#x rip %#" PRIx64, error,
				   rip);
		else
			trace_emit(t, TRACE_EXCEPTION, ts, key, "rip %#" PRIx64, rip);
		return;
	}
	if (!trace_on(t, TRACE_IRQ))
		return;
	if (kind == TRACE_VEC_SOFTWARE)
		snprintf(key, sizeof(key), "int %#x", vector);
	else
		snprintf(key, sizeof(key), "irq vector %#x", vector);
	trace_emit(t, TRACE_IRQ, ts, key, "rip %#" PRIx64, rip);
}

/* An instruction as the insn and --trace-first lines show it: its
 * disassembly, mnemonic (the histogram key) and bytes in hex. */
struct trace_insn_text {
	char text[128], mnem[32], hex[48];
};

static void trace_insn_format(const struct trace *t, const uint8_t *bytes, unsigned len, int bits,
			      uint64_t rip, struct trace_insn_text *out)
{
	disasm_format(bytes, len, bits, rip, t->syntax, out->text, sizeof(out->text), out->mnem,
		      sizeof(out->mnem));
	int n = 0;
	for (unsigned i = 0; i < len && n + 3 < (int)sizeof(out->hex); i++)
		n += snprintf(out->hex + n, sizeof(out->hex) - n, "%s%02x", i ? " " : "", bytes[i]);
	out->hex[n] = 0;
}

void trace_on_insn(struct trace *t, uint64_t ts, const char *src, enum x86_mode mode,
		   uint64_t cs_base, uint64_t rip, uint64_t linear, uint64_t phys,
		   const uint8_t *bytes, unsigned len)
{
	if (!trace_on(t, TRACE_INSN))
		return;
	struct trace_insn_text it;
	trace_insn_format(t, bytes, len, trace_mode_bits(mode), rip, &it);
	trace_emit(t, TRACE_INSN, ts, it.mnem,
		   "%s %s cs base %#" PRIx64 " rip %#" PRIx64 " linear %#" PRIx64
		   " physical %#" PRIx64 " bytes %s: %s",
		   src, x86_mode_name(mode), cs_base, rip, linear, phys, it.hex, it.text);
}

void trace_first_insn(struct trace *t, const struct x86_state *s, uint64_t linear, uint64_t phys,
		      const uint8_t *bytes, unsigned len)
{
	enum x86_mode m = x86_state_mode(s);
	struct trace_insn_text it;
	trace_insn_format(t, bytes, len, trace_mode_bits(m), s->rip, &it);
	static const char *const sn[X86_NR_SEGS] = {"es", "cs", "ss",  "ds",
						    "fs", "gs", "ldt", "tr"};
	pthread_mutex_lock(&t->lock);
	fprintf(t->out, "first %" PRIu64 ": %s", t->first_done, x86_mode_name(m));
	for (int i = 0; i < X86_NR_SEGS - 2; i++)
		fprintf(t->out, " %s=%04x/%" PRIx64, sn[i], s->seg[i].sel, s->seg[i].base);
	fprintf(t->out, " rip=%" PRIx64 " linear=%" PRIx64 " physical=%" PRIx64 " bytes %s: %s\n",
		s->rip, linear, phys, it.hex, it.text);
	pthread_mutex_unlock(&t->lock);
}

/* ---- lifetime ---- */

int trace_create(struct trace *t, struct vm *vm, unsigned mask, const char *path,
		 enum trace_syntax syntax)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	t->vm = vm;
	t->mask = mask;
	t->syntax = syntax;
	t->t0 = vm->t_start ? vm->t_start : now_ns();
	t->out = stderr;
	t->ctr = calloc(1, sizeof(*t->ctr));
	if (!t->ctr)
		return ember_error(-ENOMEM, "trace: out of memory");
	if (path) {
		t->out = fopen(path, "w");
		if (!t->out) {
			int e = errno;
			t->out = stderr;
			return ember_error(-e, "--trace-file %s: %s", path, strerror(e));
		}
		t->own_out = true;
	}
	vm->pio.trace = trace_pio;
	vm->pio.trace_opaque = t;
	vm->mmio.trace = trace_mmio;
	vm->mmio.trace_opaque = t;
	return 0;
}

void trace_finish(struct trace *t)
{
	if (t->tl) {
		timeline_close(t->tl, t->vm->t_stop ? t->vm->t_stop : now_ns());
		t->tl = NULL;
	}
	for (int ev = 0; ev < TRACE_NR; ev++)
		if (trace_on(t, ev))
			trace_print_histogram(t, ev, t->out);
	for (int ev = 0; ev < TRACE_NR; ev++) {
		struct trace_hist *h = &t->hist[ev];
		for (int i = 0; h->e && i < TRACE_HIST_SLOTS; i++)
			free(h->e[i].key);
		free(h->e);
		h->e = NULL;
	}
	fflush(t->out);
	if (t->own_out)
		fclose(t->out);
	t->own_out = false;
	free(t->ctr);
	t->ctr = NULL;
}
