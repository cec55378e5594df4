/*
 * trace/timeline.c - writes the Chrome trace-event JSON of --timeline (see
 * timeline.h): "X" spans for CPU modes, "C" counters for exits per
 * millisecond, "i" instants for POST codes, console lines and milestones.
 * Timestamps are microseconds, as the format requires.  Not a JSON library.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/timeline.h"
#include "util.h"

struct timeline {
	FILE *f;
	uint64_t t0;
	bool first;
	/* Current mode span. */
	bool in_mode;
	enum x86_mode mode;
	uint64_t mode_start;
	/* Exits in the current millisecond bucket. */
	uint64_t bucket; /* ms since t0, UINT64_MAX: none yet */
	uint64_t exits[VMEXIT_NR];
};

static double timeline_us(const struct timeline *tl, uint64_t ts)
{
	return ts > tl->t0 ? (ts - tl->t0) / 1e3 : 0;
}

static void timeline_sep(struct timeline *tl)
{
	fputs(tl->first ? "\n" : ",\n", tl->f);
	tl->first = false;
}

/* A JSON string with the escapes RFC 8259 section 7 requires. */
static void timeline_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int timeline_open(struct timeline **out, const char *path, uint64_t t0)
{
	struct timeline *tl = calloc(1, sizeof(*tl));
	if (!tl)
		return ember_error(-ENOMEM, "--timeline: out of memory");
	tl->f = fopen(path, "w");
	if (!tl->f) {
		int e = errno;
		free(tl);
		return ember_error(-e, "--timeline %s: %s", path, strerror(e));
	}
	tl->t0 = t0;
	tl->first = true;
	tl->bucket = UINT64_MAX;
	fputs(
	    "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"producer\":\"ember\"},\"traceEvents\":[",
	    tl->f);
	timeline_sep(tl);
	fputs("{\"ph\":\"M\",\"pid\":1,\"tid\":0,\"name\":\"process_name\",\"args\":{\"name\":"
	      "\"ember guest\"}}",
	      tl->f);
	timeline_sep(tl);
	fputs("{\"ph\":\"M\",\"pid\":1,\"tid\":0,\"name\":\"thread_name\",\"args\":{\"name\":"
	      "\"vCPU 0\"}}",
	      tl->f);
	*out = tl;
	return 0;
}

static void timeline_end_mode(struct timeline *tl, uint64_t ts)
{
	if (!tl->in_mode)
		return;
	timeline_sep(tl);
	fprintf(tl->f,
		"{\"ph\":\"X\",\"pid\":1,\"tid\":0,\"cat\":\"mode\",\"name\":\"%s\",\"ts\":%.3f,"
		"\"dur\":%.3f}",
		x86_mode_name(tl->mode), timeline_us(tl, tl->mode_start),
		timeline_us(tl, ts) - timeline_us(tl, tl->mode_start));
	tl->in_mode = false;
}

void timeline_mode(struct timeline *tl, uint64_t ts, enum x86_mode m)
{
	if (tl->in_mode && tl->mode == m)
		return;
	timeline_end_mode(tl, ts);
	tl->in_mode = true;
	tl->mode = m;
	tl->mode_start = ts;
}

static void timeline_flush_bucket(struct timeline *tl)
{
	if (tl->bucket == UINT64_MAX)
		return;
	timeline_sep(tl);
	fprintf(tl->f,
		"{\"ph\":\"C\",\"pid\":1,\"tid\":0,\"name\":\"exits/ms\",\"ts\":%" PRIu64
		",\"args\":{",
		tl->bucket * 1000);
	bool first = true;
	for (int r = 0; r < VMEXIT_NR; r++) {
		if (!tl->exits[r])
			continue;
		fprintf(tl->f, "%s\"%s\":%" PRIu64, first ? "" : ",", vm_exit_name(r),
			tl->exits[r]);
		first = false;
	}
	fputs("}}", tl->f);
	memset(tl->exits, 0, sizeof(tl->exits));
}

void timeline_exit(struct timeline *tl, uint64_t ts, enum vm_exit_reason r)
{
	uint64_t ms = ts > tl->t0 ? (ts - tl->t0) / 1000000 : 0;
	if (ms != tl->bucket) {
		timeline_flush_bucket(tl);
		tl->bucket = ms;
	}
	tl->exits[r]++;
}

void timeline_instant(struct timeline *tl, uint64_t ts, const char *cat, const char *name,
		      const char *text)
{
	timeline_sep(tl);
	fprintf(tl->f,
		"{\"ph\":\"i\",\"s\":\"g\",\"pid\":1,\"tid\":0,\"cat\":\"%s\",\"name\":", cat);
	timeline_str(tl->f, name);
	fprintf(tl->f, ",\"ts\":%.3f", timeline_us(tl, ts));
	if (text) {
		fputs(",\"args\":{\"text\":", tl->f);
		timeline_str(tl->f, text);
		fputc('}', tl->f);
	}
	fputc('}', tl->f);
}

void timeline_close(struct timeline *tl, uint64_t ts)
{
	if (!tl)
		return;
	timeline_end_mode(tl, ts);
	timeline_flush_bucket(tl);
	fputs("\n]}\n", tl->f);
	fclose(tl->f);
	free(tl);
}
