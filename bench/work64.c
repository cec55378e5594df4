/*
 * work64.c - the host side of bench/work64.rom: write a copy with its
 * parameter block set, or run its programs natively on the host CPU at the
 * addresses the ROM uses (code at 100000h, buffers at 200000h and 600000h).
 * Not an emulator; x86-64 Linux hosts only.  Layout: bench/work64.S's header.
 *
 * Usage: work64 patch ROM OUT PROGRAM COUNT REPS
 *        work64 run ROM PROGRAM COUNT REPS
 * PROGRAM is compute, checksum, memcpy or callret (emu-bench's order); COUNT 0
 * keeps the program's own loop count.  Both print insns=N, the instructions
 * the REPS calls run; `run` also prints the ROM's result line on stdout, and
 * the calls' CPU time ns=T (CLOCK_PROCESS_CPUTIME_ID: on a shared machine wall
 * time would count the other tenants too) and wall time wall_ns=T.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define WORK64_ROM_SIZE 0x10000u
#define WORK64_CODE	0x100000ul
#define WORK64_SRC	0x200000ul
#define WORK64_DST	0x600000ul
#define WORK64_RAM_END	0x8000000ul /* the 128 MiB bench/work64.sh gives the guests */
#define WORK64_FILL	0x80000ul   /* qwords at WORK64_SRC */
#define WORK64_GOLDEN	0x9e3779b97f4a7c15ull

static const char *const work64_names[] = {"compute",	  "checksum",  "memcpy",  "callret",
					   "ssememcpy", "ssememset", "fpdouble", "fpmix"};

/* The parameter block after the magic, then the table (work64.S). */
struct work64_params {
	uint32_t sel, count, reps, n;
};
struct work64_entry {
	uint32_t offset, len, count_at, hlt_at, fixed, per_iter;
};

static uint8_t work64_rom[WORK64_ROM_SIZE];

/*
 * work64_calls(code, reps, regs): RAX..RDI <- regs[0..5], call code reps
 * times (call, dec, jnz: the ROM's driver loop), regs <- RAX..RDI.  The
 * programs clobber RBX, so it is saved here.
 */
void work64_calls(uint64_t code, uint64_t reps, uint64_t *regs);
__asm__(".text\n"
	".type work64_calls, @function\n"
	"work64_calls:\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	movq %rdi, %r13\n"
	"	movq %rsi, %r12\n"
	"	movq %rdx, %r14\n"
	"	movq 0(%r14), %rax\n"
	"	movq 8(%r14), %rbx\n"
	"	movq 16(%r14), %rcx\n"
	"	movq 24(%r14), %rdx\n"
	"	movq 32(%r14), %rsi\n"
	"	movq 40(%r14), %rdi\n"
	"	testq %r12, %r12\n"
	"	jz 2f\n"
	"1:	call *%r13\n"
	"	decq %r12\n"
	"	jnz 1b\n"
	"2:	movq %rax, 0(%r14)\n"
	"	movq %rbx, 8(%r14)\n"
	"	movq %rcx, 16(%r14)\n"
	"	movq %rdx, 24(%r14)\n"
	"	movq %rsi, 32(%r14)\n"
	"	movq %rdi, 40(%r14)\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	ret\n"
	".size work64_calls, . - work64_calls\n");

static int work64_load(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "work64: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t n = fread(work64_rom, 1, sizeof(work64_rom), f);
	int extra = fgetc(f);
	fclose(f);
	if (n != sizeof(work64_rom) || extra != EOF) {
		fprintf(stderr, "work64: %s: not a 64 KiB ROM\n", path);
		return -1;
	}
	return 0;
}

/* The parameter block: 16-byte aligned, after the magic. */
static struct work64_params *work64_find(void)
{
	for (size_t i = 0; i + 64 <= sizeof(work64_rom); i += 16) {
		if (!memcmp(work64_rom + i, "EMBWORK1", 8))
			return (struct work64_params *)(work64_rom + i + 8);
	}
	return NULL;
}

/* The table entry of program NAME, checked against the ROM's size. */
static const struct work64_entry *work64_entry(struct work64_params *p, const char *name,
					       uint32_t *sel)
{
	const struct work64_entry *t = (const struct work64_entry *)(p + 1);
	for (uint32_t i = 0; i < p->n && i < sizeof(work64_names) / sizeof(work64_names[0]); i++) {
		if (strcmp(name, work64_names[i]))
			continue;
		if (t[i].offset + t[i].len > sizeof(work64_rom) || t[i].len > 4096 ||
		    t[i].count_at + 4 > t[i].len || t[i].hlt_at >= t[i].len)
			break;
		*sel = i;
		return &t[i];
	}
	fprintf(stderr, "work64: no program '%s' in the ROM\n", name);
	return NULL;
}

static uint64_t work64_insns(const struct work64_entry *e, uint32_t count, uint32_t reps)
{
	if (!count)
		memcpy(&count, work64_rom + e->offset + e->count_at, 4);
	return (uint64_t)reps * (3 + e->fixed + (uint64_t)e->per_iter * count);
}

static void *work64_map(unsigned long addr, size_t len)
{
	void *p = mmap((void *)addr, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED || p != (void *)addr) {
		fprintf(stderr, "work64: cannot map %#lx-%#lx in this process: %s\n", addr,
			addr + len, p == MAP_FAILED ? strerror(errno) : "taken");
		return NULL;
	}
	return p;
}

static uint64_t work64_rol13(uint64_t h)
{
	return h << 13 | h >> 51;
}

static long long work64_ns(const struct timespec *a, const struct timespec *b)
{
	return (long long)(b->tv_sec - a->tv_sec) * 1000000000 + (b->tv_nsec - a->tv_nsec);
}

static int work64_run(const struct work64_entry *e, uint32_t count, uint32_t reps)
{
	uint8_t *code = work64_map(WORK64_CODE, 4096);
	uint64_t *src = work64_map(WORK64_SRC, WORK64_RAM_END - WORK64_SRC);
	if (!code || !src)
		return 1;
	memcpy(code, work64_rom + e->offset, e->len);
	if (count)
		memcpy(code + e->count_at, &count, 4);
	code[e->hlt_at] = 0xc3;
	if (mprotect(code, 4096, PROT_READ | PROT_EXEC)) {
		fprintf(stderr, "work64: mprotect: %s\n", strerror(errno));
		return 1;
	}
	/* Touch the first 16 MiB now: page faults are no part of the loops. */
	memset(src, 0, (16ul << 20) - WORK64_SRC);
	for (uint64_t i = 0; i < WORK64_FILL; i++)
		src[i] = i * WORK64_GOLDEN;

	uint64_t regs[6] = {0};
	struct timespec c0, c1, w0, w1;
	clock_gettime(CLOCK_MONOTONIC, &w0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	work64_calls(WORK64_CODE, reps, regs);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	clock_gettime(CLOCK_MONOTONIC, &w1);

	const uint64_t *dst = (const uint64_t *)WORK64_DST;
	const uint64_t v[] = {regs[0], regs[1], regs[2], regs[3], regs[4],
			      regs[5], src[0],	src[1],	 dst[0],  dst[1]};
	uint64_t h = 0;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		h = work64_rol13(h) + v[i];
	printf("work64: result %016llx\n", (unsigned long long)h);
	fprintf(stderr, "insns=%llu ns=%lld wall_ns=%lld\n",
		(unsigned long long)work64_insns(e, count, reps), work64_ns(&c0, &c1),
		work64_ns(&w0, &w1));
	return 0;
}

static int work64_patch(const char *out, struct work64_params *p, uint32_t sel,
			const struct work64_entry *e, uint32_t count, uint32_t reps)
{
	p->sel = sel;
	p->count = count;
	p->reps = reps;
	FILE *f = fopen(out, "wb");
	if (!f || fwrite(work64_rom, 1, sizeof(work64_rom), f) != sizeof(work64_rom) || fclose(f)) {
		fprintf(stderr, "work64: %s: %s\n", out, strerror(errno));
		return 1;
	}
	printf("insns=%llu\n", (unsigned long long)work64_insns(e, count, reps));
	return 0;
}

/* A decimal u32 argument, or -1. */
static long long work64_num(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v > UINT32_MAX || *s == '-') {
		fprintf(stderr, "work64: %s: not a count\n", s);
		return -1;
	}
	return (long long)v;
}

int main(int argc, char **argv)
{
	bool patch = argc == 7 && !strcmp(argv[1], "patch");
	if (!patch && !(argc == 6 && !strcmp(argv[1], "run"))) {
		fprintf(stderr, "usage: work64 patch ROM OUT PROGRAM COUNT REPS\n"
				"       work64 run ROM PROGRAM COUNT REPS\n");
		return 2;
	}
	int a = patch ? 4 : 3;
	long long count = work64_num(argv[a + 1]), reps = work64_num(argv[a + 2]);
	if (count < 0 || reps < 0 || work64_load(argv[2]))
		return 2;
	struct work64_params *p = work64_find();
	if (!p) {
		fprintf(stderr, "work64: %s: no parameter block (EMBWORK1)\n", argv[2]);
		return 2;
	}
	uint32_t sel;
	const struct work64_entry *e = work64_entry(p, argv[a], &sel);
	if (!e)
		return 2;
	if (patch)
		return work64_patch(argv[3], p, sel, e, count, reps);
	return work64_run(e, count, reps);
}
