/*
 * measure.c - run a command and report its wall time, CPU time (user + sys)
 * and peak resident set, as the kernel accounts them to the child (wait4).
 * Not a profiler.  Output: wall_ms=... cpu_ms=... maxrss_kib=... status=...
 * Usage: measure CMD [ARGS...]  (the command's stdout/stderr pass through).
 *        measure --tsc-khz: the host's TSC rate in kHz against CLOCK_MONOTONIC
 *        over 200 ms (bench/linux.sh tells QEMU's microvm guest, which has no
 *        other clock to calibrate its TSC against; TCG's guest TSC is the host's).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

static double measure_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int measure_tsc_khz(void)
{
	double t0 = measure_ms();
	uint64_t c0 = __rdtsc(), c1;
	double t1;
	do {
		t1 = measure_ms();
		c1 = __rdtsc();
	} while (t1 - t0 < 200);
	printf("%.0f\n", (double)(c1 - c0) / (t1 - t0));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--tsc-khz"))
		return measure_tsc_khz();
	if (argc < 2) {
		fprintf(stderr, "usage: measure CMD [ARGS...]\n");
		return 2;
	}
	double t0 = measure_ms();
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "measure: fork: %s\n", strerror(errno));
		return 2;
	}
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		fprintf(stderr, "measure: %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	int st;
	struct rusage ru;
	if (wait4(pid, &st, 0, &ru) < 0) {
		fprintf(stderr, "measure: wait4: %s\n", strerror(errno));
		return 2;
	}
	double wall = measure_ms() - t0;
	double cpu = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 +
		     ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
	fprintf(stderr, "wall_ms=%.3f cpu_ms=%.3f maxrss_kib=%ld status=%d\n", wall, cpu,
		ru.ru_maxrss, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}
