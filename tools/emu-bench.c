/*
 * tools/emu-bench.c - speed of ember's x86 emulator on eight 64-bit loops
 * (ALU/load/store/branch, a byte checksum, a memcpy loop, call/ret, an SSE2
 * memcpy and memset, a scalar double loop, x87 mixed with SSE), run
 * from flat memory with 4-level paging; prints M instructions per second of
 * CPU time for each.
 * Not a correctness test (tests/unit/test_x86_exec.c is).
 * Usage: emu-bench [--quick]   (--quick: one tenth of the iterations)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "x86/x86.h"

#define MEM_SIZE (16u << 20)

static uint8_t *mem;

static uint8_t *bench_ram_page(void *opaque, uint64_t gpa, bool write)
{
	return gpa < MEM_SIZE ? mem + gpa : NULL;
}

static const struct x86_ops bench_ops = {
    .ram_page = bench_ram_page,
};

/* The programs (GNU as, 64-bit); the loop count is the imm32 at offset 3 of
 * the first instruction that loads RCX. */
static const uint8_t bench_compute[] = {
    0x48, 0xc7, 0xc1, 0x00, 0x2d, 0x31, 0x01, /*   100000: mov    $0x1312d00,%rcx */
    0x31, 0xc0,				      /*   100007: xor    %eax,%eax */
    0x31, 0xd2,				      /*   100009: xor    %edx,%edx */
    0x48, 0xc7, 0xc6, 0x00, 0x00, 0x20, 0x00, /*   10000b: mov    $0x200000,%rsi */
    0x48, 0x01, 0xc8,			      /*   100012: add    %rcx,%rax */
    0x48, 0x31, 0xc2,			      /*   100015: xor    %rax,%rdx */
    0x48, 0x89, 0x06,			      /*   100018: mov    %rax,(%rsi) */
    0x48, 0x8b, 0x5e, 0x08,		      /*   10001b: mov    0x8(%rsi),%rbx */
    0x48, 0x01, 0xda,			      /*   10001f: add    %rbx,%rdx */
    0x48, 0xc1, 0xeb, 0x03,		      /*   100022: shr    $0x3,%rbx */
    0x48, 0x89, 0x5e, 0x08,		      /*   100026: mov    %rbx,0x8(%rsi) */
    0x48, 0xff, 0xc9,			      /*   10002a: dec    %rcx */
    0x75, 0xe3,				      /*   10002d: jne    0x100012 */
    0xf4,				      /*   10002f: hlt */
};
static const uint8_t bench_checksum[] = {
    0x48, 0xc7, 0xc6, 0x00, 0x00, 0x20, 0x00, /*   100000: mov    $0x200000,%rsi */
    0x48, 0xc7, 0xc1, 0x00, 0x09, 0x3d, 0x00, /*   100007: mov    $0x3d0900,%rcx */
    0x31, 0xd2,				      /*   10000e: xor    %edx,%edx */
    0x0f, 0xb6, 0x44, 0x0e, 0xff,	      /*   100010: movzbl -0x1(%rsi,%rcx,1),%eax */
    0x01, 0xc2,				      /*   100015: add    %eax,%edx */
    0x48, 0xff, 0xc9,			      /*   100017: dec    %rcx */
    0x75, 0xf4,				      /*   10001a: jne    0x100010 */
    0xf4,				      /*   10001c: hlt */
};
static const uint8_t bench_memcpy[] = {
    0x48, 0xc7, 0xc6, 0x00, 0x00, 0x20, 0x00, /*   100000: mov    $0x200000,%rsi */
    0x48, 0xc7, 0xc7, 0x00, 0x00, 0x60, 0x00, /*   100007: mov    $0x600000,%rdi */
    0x48, 0xc7, 0xc1, 0x20, 0xa1, 0x07, 0x00, /*   10000e: mov    $0x7a120,%rcx */
    0x48, 0x8b, 0x06,			      /*   100015: mov    (%rsi),%rax */
    0x48, 0x89, 0x07,			      /*   100018: mov    %rax,(%rdi) */
    0x48, 0x83, 0xc6, 0x08,		      /*   10001b: add    $0x8,%rsi */
    0x48, 0x83, 0xc7, 0x08,		      /*   10001f: add    $0x8,%rdi */
    0x48, 0xff, 0xc9,			      /*   100023: dec    %rcx */
    0x75, 0xed,				      /*   100026: jne    0x100015 */
    0xf4,				      /*   100028: hlt */
};
static const uint8_t bench_callret[] = {
    0x48, 0xc7, 0xc1, 0x40, 0x4b, 0x4c, 0x00, /*   100000: mov    $0x4c4b40,%rcx */
    0xe8, 0x06, 0x00, 0x00, 0x00,	      /*   100007: call   0x100012 */
    0x48, 0xff, 0xc9,			      /*   10000c: dec    %rcx */
    0x75, 0xf6,				      /*   10000f: jne    0x100007 */
    0xf4,				      /*   100011: hlt */
    0x48, 0x83, 0xc0, 0x01,		      /*   100012: add    $0x1,%rax */
    0xc3,				      /*   100016: ret */
};
/* SSE2: a 32-byte-per-iteration memcpy (unaligned loads, aligned stores, as
 * glibc's) and memset, and a scalar double loop (mul, add, div). */
static const uint8_t bench_ssememcpy[] = {
    0x48, 0xc7, 0xc6, 0x00, 0x00, 0x20, 0x00, /*   100000: mov    $0x200000,%rsi */
    0x48, 0xc7, 0xc7, 0x00, 0x00, 0x60, 0x00, /*   100007: mov    $0x600000,%rdi */
    0x48, 0xc7, 0xc1, 0x48, 0xe8, 0x01, 0x00, /*   10000e: mov    $0x1e848,%rcx */
    0xf3, 0x0f, 0x6f, 0x06,		      /*   100015: movdqu (%rsi),%xmm0 */
    0xf3, 0x0f, 0x6f, 0x4e, 0x10,	      /*   100019: movdqu 0x10(%rsi),%xmm1 */
    0x0f, 0x29, 0x07,			      /*   10001e: movaps %xmm0,(%rdi) */
    0x0f, 0x29, 0x4f, 0x10,		      /*   100021: movaps %xmm1,0x10(%rdi) */
    0x48, 0x83, 0xc6, 0x20,		      /*   100025: add    $0x20,%rsi */
    0x48, 0x83, 0xc7, 0x20,		      /*   100029: add    $0x20,%rdi */
    0x48, 0xff, 0xc9,			      /*   10002d: dec    %rcx */
    0x75, 0xe3,				      /*   100030: jne    0x100015 */
    0xf4,				      /*   100032: hlt */
};
static const uint8_t bench_ssememset[] = {
    0x48, 0xc7, 0xc7, 0x00, 0x00, 0x60, 0x00, /*   100000: mov    $0x600000,%rdi */
    0x48, 0xc7, 0xc1, 0x48, 0xe8, 0x01, 0x00, /*   100007: mov    $0x1e848,%rcx */
    0x66, 0x48, 0x0f, 0x6e, 0xc1,	      /*   10000e: movq   %rcx,%xmm0 */
    0x66, 0x0f, 0x6c, 0xc0,		      /*   100013: punpcklqdq %xmm0,%xmm0 */
    0x0f, 0x29, 0x07,			      /*   100017: movaps %xmm0,(%rdi) */
    0x0f, 0x29, 0x47, 0x10,		      /*   10001a: movaps %xmm0,0x10(%rdi) */
    0x48, 0x83, 0xc7, 0x20,		      /*   10001e: add    $0x20,%rdi */
    0x48, 0xff, 0xc9,			      /*   100022: dec    %rcx */
    0x75, 0xf0,				      /*   100025: jne    0x100017 */
    0xf4,				      /*   100027: hlt */
};
static const uint8_t bench_fpdouble[] = {
    0x48, 0xc7, 0xc1, 0x40, 0x4b, 0x4c, 0x00, /*   100000: mov    $0x4c4b40,%rcx */
    0x66, 0x0f, 0xef, 0xc0,		      /*   100007: pxor   %xmm0,%xmm0 */
    0x48, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0xf0, 0x3f,		  /*   10000b: movabs $0x3ff0000000000000,%rax */
    0x66, 0x48, 0x0f, 0x6e, 0xc8, /*   100015: movq   %rax,%xmm1 */
    0x66, 0x48, 0x0f, 0x6e, 0xd0, /*   10001a: movq   %rax,%xmm2 */
    0x66, 0x0f, 0x28, 0xd9,	  /*   10001f: movapd %xmm1,%xmm3 */
    0xf2, 0x0f, 0x59, 0xd9,	  /*   100023: mulsd  %xmm1,%xmm3 */
    0xf2, 0x0f, 0x58, 0xc3,	  /*   100027: addsd  %xmm3,%xmm0 */
    0xf2, 0x0f, 0x5e, 0xd9,	  /*   10002b: divsd  %xmm1,%xmm3 */
    0xf2, 0x0f, 0x58, 0xc3,	  /*   10002f: addsd  %xmm3,%xmm0 */
    0xf2, 0x0f, 0x58, 0xca,	  /*   100033: addsd  %xmm2,%xmm1 */
    0x48, 0xff, 0xc9,		  /*   100037: dec    %rcx */
    0x75, 0xe3,			  /*   10003a: jne    0x10001f */
    0x66, 0x48, 0x0f, 0x7e, 0xc0, /*   10003c: movq   %xmm0,%rax */
    0xf4,			  /*   100041: hlt */
};

/* x87 and SSE mixed: SSE products summed in XMM0, their square roots summed
 * on the x87 stack; the results, MXCSR and FCW are left in RAX and at the
 * destination, where work64's digest compares them across engines.  Not
 * FSW: QEMU 7.2's TCG sets C1 differently from the CPU after these sums. */
static const uint8_t bench_fpmix[] = {
    0x48, 0xc7, 0xc7, 0x00, 0x00, 0x60, 0x00, /*   100000: mov    $0x600000,%rdi */
    0x48, 0xc7, 0xc1, 0x20, 0xa1, 0x07, 0x00, /*   100007: mov    $0x7a120,%rcx */
    0xdb, 0xe3,				      /*   10000e: fninit */
    0xd9, 0xee,				      /*   100010: fldz */
    0x48, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0xf8, 0x3f,		  /*   100012: movabs $0x3ff8000000000000,%rax */
    0x66, 0x48, 0x0f, 0x6e, 0xc8, /*   10001c: movq   %rax,%xmm1 */
    0x66, 0x0f, 0xef, 0xc0,	  /*   100021: pxor   %xmm0,%xmm0 */
    0xf2, 0x48, 0x0f, 0x2a, 0xd1, /*   100025: cvtsi2sd %rcx,%xmm2 */
    0xf2, 0x0f, 0x59, 0xd1,	  /*   10002a: mulsd  %xmm1,%xmm2 */
    0xf2, 0x0f, 0x58, 0xc2,	  /*   10002e: addsd  %xmm2,%xmm0 */
    0xf2, 0x0f, 0x11, 0x17,	  /*   100032: movsd  %xmm2,(%rdi) */
    0xdd, 0x07,			  /*   100036: fldl   (%rdi) */
    0xd9, 0xfa,			  /*   100038: fsqrt */
    0xde, 0xc1,			  /*   10003a: faddp  %st,%st(1) */
    0x48, 0xff, 0xc9,		  /*   10003c: dec    %rcx */
    0x75, 0xe4,			  /*   10003f: jne    0x100025 */
    0xdd, 0x1f,			  /*   100041: fstpl  (%rdi) */
    0x66, 0x48, 0x0f, 0x7e, 0xc0, /*   100043: movq   %xmm0,%rax */
    0x0f, 0xae, 0x5f, 0x08,	  /*   100048: stmxcsr 0x8(%rdi) */
    0xd9, 0x7f, 0x0c,		  /*   10004c: fnstcw 0xc(%rdi) */
    0xf4,			  /*   10004f: hlt */
};

struct bench {
	const char *name;
	const uint8_t *code;
	size_t len;
	unsigned count_at; /* offset of the loop count's imm32 */
};

static const struct bench benches[] = {
    {"compute (alu/load/store/branch)", bench_compute, sizeof(bench_compute), 3},
    {"byte checksum", bench_checksum, sizeof(bench_checksum), 10},
    {"memcpy loop (8-byte moves)", bench_memcpy, sizeof(bench_memcpy), 17},
    {"call/ret", bench_callret, sizeof(bench_callret), 3},
    {"SSE2 memcpy (16-byte moves)", bench_ssememcpy, sizeof(bench_ssememcpy), 17},
    {"SSE2 memset (16-byte stores)", bench_ssememset, sizeof(bench_ssememset), 10},
    {"scalar double (mulsd addsd divsd)", bench_fpdouble, sizeof(bench_fpdouble), 3},
    {"x87 and SSE mixed (fsqrt, mulsd)", bench_fpmix, sizeof(bench_fpmix), 10},
};

static void put64(uint64_t a, uint64_t v)
{
	memcpy(mem + a, &v, 8);
}

static void bench_long_mode(struct x86_state *s)
{
	x86_state_reset(s);
	put64(0x10000, 0x11000 | 3);
	put64(0x11000, 0x12000 | 3);
	for (int i = 0; i < 8; i++)
		put64(0x12000 + i * 8, ((uint64_t)i << 21) | 0x83);
	s->cr3 = 0x10000;
	s->cr4 = X86_CR4_PAE | X86_CR4_OSFXSR;
	s->efer = X86_EFER_LME | X86_EFER_LMA;
	s->cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET;
	struct x86_seg *cs = &s->seg[X86_CS];
	cs->sel = 8;
	cs->base = 0;
	cs->limit = 0xFFFFFFFF;
	cs->type = 0xB;
	cs->s = 1;
	cs->present = 1;
	cs->l = 1;
	cs->db = 0;
	cs->g = 1;
	for (int r = X86_ES; r <= X86_GS; r++) {
		if (r == X86_CS)
			continue;
		s->seg[r] = *cs;
		s->seg[r].sel = 0x10;
		s->seg[r].type = 0x3;
		s->seg[r].l = 0;
		s->seg[r].db = 1;
	}
	s->rip = 0x100000;
	s->gpr[X86_RSP] = 0x80000;
}

/* CPU time of this thread: the machine is shared, wall time would measure
 * the other tenants too. */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	bool quick = argc > 1 && !strcmp(argv[1], "--quick");
	mem = calloc(1, MEM_SIZE);
	struct x86_cpu *cpu = x86_cpu_new(&bench_ops, NULL);
	if (!mem || !cpu) {
		fprintf(stderr, "emu-bench: out of memory\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		const struct bench *b = &benches[i];
		memcpy(mem + 0x100000, b->code, b->len);
		if (quick) {
			uint32_t n;
			memcpy(&n, mem + 0x100000 + b->count_at, 4);
			n /= 10;
			memcpy(mem + 0x100000 + b->count_at, &n, 4);
		}
		struct x86_state *s = x86_cpu_state(cpu);
		bench_long_mode(s);
		x86_cpu_state_changed(cpu);
		x86_cpu_invalidate_phys(cpu, 0x100000, 4096);
		uint64_t before = x86_cpu_stats(cpu)->insns[X86_MODE_LONG64];
		double t0 = now();
		enum x86_exit e = x86_run(cpu, ~0ull);
		double t = now() - t0;
		uint64_t n = x86_cpu_stats(cpu)->insns[X86_MODE_LONG64] - before;
		if (e != X86_EXIT_HLT) {
			fprintf(stderr, "emu-bench: %s stopped with exit %d at %#llx\n", b->name, e,
				(unsigned long long)s->rip);
			return 1;
		}
		printf("%-34s %8.1f M insns in %6.3f s = %7.1f M insns/s\n", b->name, n / 1e6, t,
		       n / t / 1e6);
	}
	x86_cpu_free(cpu);
	free(mem);
	return 0;
}
