/*
 * test_trace.c - trace.c alone: the --trace event list parser and the
 * histogram format the issue specifies ("cr_write 0 = 0x80000011: 1
 * (20.00%)": key, count, percent of that event kind, most frequent first).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "t.h"
#include "trace/trace.h"
#include "util.h"
#include "vm.h"

static void test_parse(void)
{
	unsigned m;
	T_EQ(trace_parse_events("cr,mode", &m), 0);
	T_EQ(m, (1u << TRACE_CR) | (1u << TRACE_MODE));
	T_EQ(trace_parse_events("all", &m), 0);
	T_EQ(m, TRACE_ALL);
	T_EQ(trace_parse_events("insn,post,exit", &m), 0);
	T_EQ(m, (1u << TRACE_INSN) | (1u << TRACE_POST) | (1u << TRACE_EXIT));
	T_EQ(trace_parse_events("cr,crx", &m), -EINVAL);
	T_CHECK(strstr(ember_last_error(), "'crx'") != NULL, "error does not name the event: %s",
		ember_last_error());
	T_EQ(trace_parse_events("", &m), -EINVAL);
	/* The X-macro list gives every event a distinct name. */
	for (int i = 0; i < TRACE_NR; i++) {
		T_EQ(trace_parse_events(trace_event_name(i), &m), 0);
		T_EQ(m, 1u << i);
	}
}

static void test_histogram(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct trace *t = calloc(1, sizeof(*t));
	char path[] = "/tmp/ember-test-trace.XXXXXX";
	int fd = mkstemp(path);
	T_CHECK(vm && t && fd >= 0, "setup");
	if (!vm || !t || fd < 0)
		return;
	close(fd);
	T_EQ(trace_create(t, vm, 1u << TRACE_CR, path, TRACE_SYNTAX_INTEL), 0);
	trace_on_cr(t, 0, 0, 0x11, true, 0, true);
	trace_on_cr(t, 0, 4, 0x20, true, 0, true);
	trace_on_cr(t, 0, 0, 0x80000011, true, 0, true);
	trace_on_cr(t, 0, 0, 0x11, true, 0, true);
	trace_on_cr(t, 0, 3, 0, false, 0, false);
	trace_on_msr(t, 0, 0x10, 1, false); /* not enabled: no line, no count */
	T_EQ(t->count[TRACE_CR], 5);
	T_EQ(t->count[TRACE_MSR], 0);
	trace_finish(t);
	FILE *f = fopen(path, "r");
	char buf[4096] = "";
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	buf[n] = 0;
	if (f)
		fclose(f);
	unlink(path);
	const char *h = strstr(buf, "histogram cr:");
	T_CHECK(h != NULL, "no histogram in: %s", buf);
	if (h)
		T_STREQ(h, "histogram cr: 5 events, 4 distinct\n"
			   "  cr_write 0 = 0x11: 2 (40.00%)\n"
			   "  cr_read 3 = ?: 1 (20.00%)\n"
			   "  cr_write 0 = 0x80000011: 1 (20.00%)\n"
			   "  cr_write 4 = 0x20: 1 (20.00%)\n");
	T_CHECK(strstr(buf, " cr        cr_write 0 = 0x80000011 -- rip 0\n") != NULL,
		"event line format: %s", buf);
	free(t);
	free(vm);
}

int main(void)
{
	T_RUN(test_parse);
	T_RUN(test_histogram);
	T_EXIT();
}
