/*
 * trace/timeline.h - the --timeline file: Chrome trace-event JSON (the
 * "JSON Object Format" of the Trace Event Format document, which Perfetto
 * and chrome://tracing open).  Not the --trace text stream.  Callers
 * serialise access (struct trace's lock); times are ns since t0.
 */
#ifndef EMBER_TRACE_TIMELINE_H
#define EMBER_TRACE_TIMELINE_H

#include <stdint.h>

#include "vm.h"
#include "x86/x86.h"

struct timeline;

/* Open path for writing.  0 or -errno with ember_error(). */
int timeline_open(struct timeline **out, const char *path, uint64_t t0);
/* A complete span per CPU mode: the previous one ends at ts. */
void timeline_mode(struct timeline *tl, uint64_t ts, enum x86_mode m);
/* Exits are counted per millisecond and written as counter events. */
void timeline_exit(struct timeline *tl, uint64_t ts, enum vm_exit_reason r);
/* An instant event: cat "post", "console" or "milestone". */
void timeline_instant(struct timeline *tl, uint64_t ts, const char *cat, const char *name,
		      const char *text);
/* End open spans at ts, write the closing bracket, free. */
void timeline_close(struct timeline *tl, uint64_t ts);

#endif
