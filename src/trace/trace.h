/*
 * trace/trace.h - ember's observability: the --trace event stream (one line
 * per event, a histogram per event kind at exit), the counters behind
 * --stats, and the feed for --timeline.  Not the engines: they call the
 * trace_on_*() hooks, which only observe and never change what the guest
 * sees.  Event and mode names follow the Intel SDM vol. 3A (2.2, 2.5, 6).
 */
#ifndef EMBER_TRACE_TRACE_H
#define EMBER_TRACE_TRACE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "x86/x86.h"

/*
 * The one list of events: it generates enum trace_event, the names that
 * --trace accepts and prints, the help text and the per-event counters.
 */
#define TRACE_EVENTS(X)                                                                            \
	X(EXIT, exit,                                                                              \
	  "a return of the engine to the run loop, with its reason; under KVM also "               \
	  "the host's kvm_exit records")                                                           \
	X(PIO, pio, "a port I/O access: direction, port, device, size, value")                     \
	X(MMIO, mmio, "an MMIO access: direction, address, device, size, value")                   \
	X(CR, cr, "a CR0/CR2/CR3/CR4/CR8 or EFER read or write with its value")                    \
	X(MSR, msr, "an RDMSR or WRMSR: MSR number and value")                                     \
	X(CPUID, cpuid, "a CPUID: leaf, subleaf and EAX/EBX/ECX/EDX")                              \
	X(IRQ, irq, "an external interrupt delivered to the guest: vector")                        \
	X(EXCEPTION, exception, "a CPU exception delivered in the guest: vector, error code")      \
	X(MODE, mode, "a CPU mode change and the instruction that caused it")                      \
	X(POST, post, "a POST code written to port 80h")                                           \
	X(INSN, insn,                                                                              \
	  "an instruction executed by the emulator (or by the host's emulator under "              \
	  "KVM): CS base, linear and physical address, bytes, disassembly")

enum trace_event {
#define TRACE_ENUM(up, name, help) TRACE_##up,
	TRACE_EVENTS(TRACE_ENUM)
#undef TRACE_ENUM
	    TRACE_NR
};

#define TRACE_ALL ((1u << TRACE_NR) - 1)

/*
 * Built with -DEMBER_NO_TRACE (the baseline of `make trace-bench`), the run
 * loop and the emu engine compile their observation code out: the
 * benchmark compares that build with the normal one, tracing off in both.
 */
#ifdef EMBER_NO_TRACE
#define TRACE_COMPILED 0
#else
#define TRACE_COMPILED 1
#endif

enum trace_syntax { TRACE_SYNTAX_INTEL, TRACE_SYNTAX_ATT };

const char *trace_event_name(enum trace_event ev);
const char *trace_event_help(enum trace_event ev);

/* "cr,msr,mode" or "all" -> bit mask (1u << TRACE_x).  0 or -EINVAL with
 * ember_error() naming the unknown event. */
int trace_parse_events(const char *list, unsigned *mask);

/* Distinct histogram keys kept per event; the rest count as "(other)". */
#define TRACE_HIST_MAX 4096

struct trace_hist_entry {
	char *key;
	uint64_t count;
};

struct trace_hist {
	struct trace_hist_entry *e; /* open addressing, 2 * TRACE_HIST_MAX slots */
	int n;
	uint64_t other;
};

/* Counters for --stats that the hooks keep (the run loop keeps exits). */
struct trace_counters {
	uint64_t port_reads[65536], port_writes[65536];
	uint64_t hlt;
	uint64_t irqs;
	uint64_t faults[32];
	uint64_t insns[X86_NR_MODES];
};

struct timeline;
struct vm;

struct trace {
	struct vm *vm;
	unsigned mask; /* events written to out and histogrammed */
	FILE *out;
	bool own_out;
	enum trace_syntax syntax;
	uint64_t t0; /* now_ns() when tracing started: line timestamps count from it */
	pthread_mutex_t lock;
	uint64_t count[TRACE_NR];
	struct trace_hist hist[TRACE_NR];
	struct trace_counters *ctr; /* always allocated */
	struct timeline *tl;	    /* --timeline, or NULL */
	uint64_t first_n;	    /* --trace-first N: instructions still to print */
	uint64_t first_done;
	/* COM1 as the guest writes it, for the timeline's console lines. */
	bool com1_dlab;
	char line[160];
	int line_len;
	bool console_seen;
};

/*
 * Start observing vm: mask of events to write to path (NULL: stderr).
 * Installs the bus hooks.  0 or -errno with ember_error().
 */
int trace_create(struct trace *t, struct vm *vm, unsigned mask, const char *path,
		 enum trace_syntax syntax);
/* Print the histograms (if any event is enabled), flush and free. */
void trace_finish(struct trace *t);

/* One event line "TIME_US EVENT KEY[ -- DETAIL]"; KEY is what the histogram
 * counts.  ts_ns 0 means now. */
void trace_emit(struct trace *t, enum trace_event ev, uint64_t ts_ns, const char *key,
		const char *detail_fmt, ...) __attribute__((format(printf, 5, 6)));

static inline bool trace_on(const struct trace *t, enum trace_event ev)
{
	return t && (t->mask & (1u << ev));
}

/* The histogram of one event kind, most frequent first, in the form
 * "KEY: COUNT (PERCENT%)". */
void trace_print_histogram(struct trace *t, enum trace_event ev, FILE *f);

/* ---- hooks the engines and the run loop call ---- */
void trace_on_cr(struct trace *t, uint64_t ts, int cr, uint64_t val, bool write, uint64_t rip,
		 bool val_known);
void trace_on_msr(struct trace *t, uint64_t ts, uint32_t msr, uint64_t val, bool write);
void trace_on_cpuid(struct trace *t, uint64_t ts, uint32_t leaf, uint32_t sub,
		    const uint32_t out[4]);
void trace_on_mode(struct trace *t, uint64_t ts, enum x86_mode from, enum x86_mode to,
		   uint64_t cs_base, uint64_t rip, const uint8_t *bytes, unsigned len, int bits);
/* What delivered a vector: a CPU exception (INT3/INTO included), an
 * external interrupt, or a software INT n (traced as irq "int 0x30"). */
enum trace_vector_kind { TRACE_VEC_EXCEPTION, TRACE_VEC_EXTERNAL, TRACE_VEC_SOFTWARE };
void trace_on_event(struct trace *t, uint64_t ts, uint8_t vector, bool has_error, uint32_t error,
		    enum trace_vector_kind kind, uint64_t rip);
/* An instruction about to execute; src is "emu" or "kvm". */
void trace_on_insn(struct trace *t, uint64_t ts, const char *src, enum x86_mode mode,
		   uint64_t cs_base, uint64_t rip, uint64_t linear, uint64_t phys,
		   const uint8_t *bytes, unsigned len);
/* A port access seen outside ember's bus (KVM's in-kernel devices). */
void trace_on_host_pio(struct trace *t, uint64_t ts, uint16_t port, unsigned size, uint32_t val,
		       bool write, const char *device);
void trace_on_host_mmio(struct trace *t, uint64_t ts, uint64_t gpa, unsigned size, uint64_t val,
			bool write, const char *device);

/* --trace-first: one line with the segment state before an instruction. */
void trace_first_insn(struct trace *t, const struct x86_state *s, uint64_t linear, uint64_t phys,
		      const uint8_t *bytes, unsigned len);

/* The offset of the opcode after legacy and REX prefixes; REX.R out. */
unsigned trace_insn_opcode(const uint8_t *b, unsigned len, int bits, bool *rex_r);
/* MOV to/from CRn (0F 22 /r, 0F 20 /r; SDM vol. 2B "MOV-Move to/from Control
 * Registers"): the CR number and the direction, or -1. */
int trace_insn_cr(const uint8_t *b, unsigned len, int bits, bool *write);

/* Code size in bits for a mode (16, 32 or 64). */
int trace_mode_bits(enum x86_mode m);

#endif
