/*
 * tests/t.h - the minimal test harness every test program uses.
 * A test is a function; T_RUN(fn) runs it and prints one line:
 *   PASS name | FAIL name: file:line: what was expected, what was got | SKIP name: reason
 * tests/run.sh counts those lines.  A test program exits non-zero if any failed.
 */
#ifndef EMBER_TESTS_T_H
#define EMBER_TESTS_T_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failures;      /* in the current test */
static int t_total_failed;  /* tests failed in this program */
static const char *t_skip_reason;
static char t_first_msg[512];

static inline void t_fail_msg(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#include <stdarg.h>
static inline void t_fail_msg(const char *file, int line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!t_failures++)
		snprintf(t_first_msg, sizeof(t_first_msg), "%s:%d: %s", file, line, msg);
	else
		fprintf(stderr, "  also %s:%d: %s\n", file, line, msg);
}

/* Fail the current test unless cond holds; the message says what was wanted. */
#define T_CHECK(cond, ...)                                                                         \
	do {                                                                                       \
		if (!(cond))                                                                       \
			t_fail_msg(__FILE__, __LINE__, __VA_ARGS__);                               \
	} while (0)

#define T_EQ(got, want)                                                                            \
	do {                                                                                       \
		uint64_t t_g = (uint64_t)(got), t_w = (uint64_t)(want);                            \
		if (t_g != t_w)                                                                    \
			t_fail_msg(__FILE__, __LINE__, "%s: expected %#" PRIx64 ", got %#" PRIx64, \
				   #got, t_w, t_g);                                                \
	} while (0)

#define T_STREQ(got, want)                                                                         \
	do {                                                                                       \
		const char *t_g = (got), *t_w = (want);                                            \
		if (!t_g || strcmp(t_g, t_w))                                                      \
			t_fail_msg(__FILE__, __LINE__, "%s: expected \"%s\", got \"%s\"", #got,    \
				   t_w, t_g ? t_g : "(null)");                                     \
	} while (0)

/* Mark the current test skipped, with the reason printed. */
#define T_SKIP(reason) (t_skip_reason = (reason))

static inline void t_run(const char *name, void (*fn)(void))
{
	t_failures = 0;
	t_skip_reason = NULL;
	fn();
	if (t_failures) {
		printf("FAIL %s: %s\n", name, t_first_msg);
		t_total_failed++;
	} else if (t_skip_reason) {
		printf("SKIP %s: %s\n", name, t_skip_reason);
	} else {
		printf("PASS %s\n", name);
	}
	fflush(stdout);
}

#define T_RUN(fn) t_run(#fn, fn)
#define T_EXIT() return t_total_failed ? 1 : 0

#endif
