/*
 * blkio.c - a disk benchmark that runs inside the guest (bench/blk.sh packs
 * it, linked statically, into an initramfs appended to the default guest's):
 * sequential or random reads or writes with O_DIRECT (no guest page cache),
 * one request at a time, for a number of seconds.  Prints one line:
 *   blkio: op=randread bs=4096 ops=N secs=S MBps=X iops=Y
 * Random offsets come from a fixed-seed generator, so every VMM sees the
 * same sequence.  Writes finish with fdatasync (a FLUSH), inside the time.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr,
			"usage: blkio DEVICE seqread|seqwrite|randread|randwrite SECONDS BS\n");
		return 2;
	}
	const char *op = argv[2];
	double secs = atof(argv[3]);
	size_t bs = (size_t)atol(argv[4]);
	int write = strstr(op, "write") != NULL, rnd = !strncmp(op, "rand", 4);
	int fd = open(argv[1], (write ? O_RDWR : O_RDONLY) | O_DIRECT);
	uint64_t size = 0;
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) < 0 || size < bs || !bs) {
		perror(argv[1]);
		return 1;
	}
	void *buf;
	if (posix_memalign(&buf, 4096, bs))
		return 1;
	memset(buf, 0x5a, bs);
	uint64_t blocks = size / bs, n = 0, x = 88172645463325252ull, pos = 0;
	double t0 = now(), t;
	do {
		for (int k = 0; k < 16; k++, n++) {
			if (rnd) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
				pos = x % blocks;
			} else {
				pos = n % blocks;
			}
			ssize_t r = write ? pwrite(fd, buf, bs, (off_t)(pos * bs))
					  : pread(fd, buf, bs, (off_t)(pos * bs));
			if (r != (ssize_t)bs) {
				perror("blkio: transfer");
				return 1;
			}
		}
		t = now() - t0;
	} while (t < secs);
	if (write && fdatasync(fd) < 0) {
		perror("blkio: fdatasync");
		return 1;
	}
	t = now() - t0;
	printf("blkio: op=%s bs=%zu ops=%llu secs=%.3f MBps=%.2f iops=%.0f\n", op, bs,
	       (unsigned long long)n, t, (double)n * (double)bs / t / 1e6, (double)n / t);
	return 0;
}
