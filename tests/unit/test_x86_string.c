/*
 * test_x86_string.c - REP MOVS and REP STOS run to the end, against the host
 * CPU running the same instruction on the same bytes.  difftest single-steps
 * (TF), so it sees one iteration of a REP; here the emulator runs whole
 * strings, which in 64-bit code take its block path (string.c): thousands of
 * iterations, overlapping source and destination (both ways, any distance),
 * every element size, and a #PF in the middle of a string (the destination
 * or the source running into a page that is not there, aligned or with the
 * element straddling the boundary), where RCX, RSI, RDI, CR2 and the bytes
 * written must be what the CPU leaves: the oracle is a host page without
 * access rights and the SIGSEGV's register context.
 */
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "t.h"
#include "unit/test_x86.h"
#include "x86/x86.h"

#define MEM_SIZE   (8u << 20)
#define BUF	   0x200000ull /* the strings' region in the guest: 64 KiB */
#define BUF_SIZE   0x10000u
#define HOLE	   0x700000ull /* a 4 KiB page that is not present */
#define CODE	   0x400000ull
#define PF_HANDLER 0x401000ull
#define IDT	   0x800ull

static uint8_t *mem;

static uint8_t *sv_ram_page(void *o, uint64_t gpa, bool write)
{
	return gpa < MEM_SIZE ? mem + gpa : NULL;
}

static const struct x86_ops sv_ops = {.ram_page = sv_ram_page};

static void put64(uint64_t a, uint64_t v)
{
	memcpy(mem + a, &v, 8);
}

/* 64-bit mode at CPL0, 4-level paging: 0-6 MiB in 2 MiB pages, 6-8 MiB in
 * 4 KiB pages with HOLE not present; #PF goes to a HLT at PF_HANDLER. */
static void sv_setup(struct x86_state *s)
{
	memset(mem, 0, MEM_SIZE);
	x86_state_reset(s);
	put64(0x10000, 0x11000 | 3);
	put64(0x11000, 0x12000 | 3);
	for (int i = 0; i < 3; i++)
		put64(0x12000 + i * 8, ((uint64_t)i << 21) | 0x83);
	put64(0x12000 + 3 * 8, 0x13000 | 3);
	for (int i = 0; i < 512; i++)
		put64(0x13000 + i * 8, (0x600000 + ((uint64_t)i << 12)) | 3);
	put64(0x13000 + ((HOLE - 0x600000) >> 12) * 8, 0);
	put64(0x500 + 0x08, 0x00AF9A000000FFFFull); /* 64-bit code */
	put64(0x500 + 0x10, 0x00CF92000000FFFFull); /* data */
	s->gdt.base = 0x500;
	s->gdt.limit = 0x17;
	s->idt.base = IDT;
	s->idt.limit = 0xFFF;
	put64(IDT + 14 * 16, (PF_HANDLER & 0xFFFF) | (0x08ull << 16) | (0x8Eull << 40) |
				 ((PF_HANDLER >> 16 & 0xFFFF) << 48));
	mem[PF_HANDLER] = 0xF4;
	s->cr3 = 0x10000;
	s->cr4 = X86_CR4_PAE;
	s->efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
	s->cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET | X86_CR0_WP;
	test_x86_seg(&s->seg[X86_CS], 0x08, 0xB, 0, false, true);
	for (int r = X86_ES; r <= X86_GS; r++)
		if (r != X86_CS)
			test_x86_seg(&s->seg[r], 0x10, 0x3, 0, true, false);
	s->rip = CODE;
	s->gpr[X86_RSP] = 0x7F000;
}

/* The forms: F3 (REP), then the instruction's bytes. */
static const struct {
	const char *name;
	uint8_t bytes[2];
	unsigned len, size;
	bool stos;
} forms[] = {
    {"rep movsb", {0xA4}, 1, 1, false}, {"rep movsw", {0x66, 0xA5}, 2, 2, false},
    {"rep movsl", {0xA5}, 1, 4, false}, {"rep movsq", {0x48, 0xA5}, 2, 8, false},
    {"rep stosb", {0xAA}, 1, 1, true},	{"rep stosw", {0x66, 0xAB}, 2, 2, true},
    {"rep stosl", {0xAB}, 1, 4, true},	{"rep stosq", {0x48, 0xAB}, 2, 8, true},
};

struct regs {
	uint64_t si, di, cx;
};

/* The host CPU runs form f on host memory. */
static void native(int f, struct regs *r, uint64_t rax)
{
	uint64_t si = r->si, di = r->di, cx = r->cx;
	switch (f) {
	case 0:
		__asm__ volatile("rep movsb" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
		break;
	case 1:
		__asm__ volatile("rep movsw" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
		break;
	case 2:
		__asm__ volatile("rep movsl" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
		break;
	case 3:
		__asm__ volatile("rep movsq" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
		break;
	case 4:
		__asm__ volatile("rep stosb" : "+D"(di), "+c"(cx) : "a"(rax) : "memory");
		break;
	case 5:
		__asm__ volatile("rep stosw" : "+D"(di), "+c"(cx) : "a"(rax) : "memory");
		break;
	case 6:
		__asm__ volatile("rep stosl" : "+D"(di), "+c"(cx) : "a"(rax) : "memory");
		break;
	default:
		__asm__ volatile("rep stosq" : "+D"(di), "+c"(cx) : "a"(rax) : "memory");
		break;
	}
	r->si = si, r->di = di, r->cx = cx;
}

static sigjmp_buf fault_jmp;
static struct regs fault_regs;
static volatile uint64_t fault_addr;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	fault_regs.si = (uint64_t)uc->uc_mcontext.gregs[REG_RSI];
	fault_regs.di = (uint64_t)uc->uc_mcontext.gregs[REG_RDI];
	fault_regs.cx = (uint64_t)uc->uc_mcontext.gregs[REG_RCX];
	fault_addr = (uint64_t)si->si_addr;
	siglongjmp(fault_jmp, 1);
}

/* The emulator runs form f at CODE; returns true when it took a #PF. */
static bool emulated(struct x86_cpu *cpu, struct x86_state *s, int f, struct regs *r, uint64_t rax)
{
	/* Each form at its own address: the bytes there never change. */
	uint64_t rip = CODE + 16 * (uint64_t)f;
	mem[rip] = 0xF3;
	memcpy(mem + rip + 1, forms[f].bytes, forms[f].len);
	mem[rip + 1 + forms[f].len] = 0xF4;
	s->rip = rip;
	s->halted = false;
	s->gpr[X86_RSI] = r->si;
	s->gpr[X86_RDI] = r->di;
	s->gpr[X86_RCX] = r->cx;
	s->gpr[X86_RAX] = rax;
	s->rflags = 2;
	x86_cpu_state_changed(cpu);
	x86_run(cpu, 100000);
	r->si = s->gpr[X86_RSI], r->di = s->gpr[X86_RDI], r->cx = s->gpr[X86_RCX];
	return s->rip == PF_HANDLER + 1;
}

/* Whole strings inside RAM: random forms, offsets, counts, overlaps. */
static void test_rep_vs_host(void)
{
	struct x86_state *s;
	struct x86_cpu *cpu = x86_cpu_new(&sv_ops, NULL);
	s = x86_cpu_state(cpu);
	sv_setup(s);
	uint8_t *host = malloc(BUF_SIZE);
	uint64_t rng = 0x2545F4914F6CDD1Dull;
	unsigned bad = 0, cases = 0;
	for (int i = 0; i < 4000; i++) {
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		int f = (int)(rng >> 60) & 7;
		unsigned sz = forms[f].size;
		uint64_t src = (rng >> 8) % (BUF_SIZE / 2), dst;
		if (i % 3 == 0) /* overlapping, near in either direction */
			dst = src + ((rng >> 24) % 64) - 32 + BUF_SIZE / 8;
		else
			dst = (rng >> 32) % (BUF_SIZE / 2);
		if (i % 3 == 0)
			src += BUF_SIZE / 8;
		uint64_t cx = (rng >> 40) % ((BUF_SIZE / 4) / sz);
		uint64_t rax = rng * 0x9E3779B97F4A7C15ull;
		for (unsigned k = 0; k < BUF_SIZE; k++)
			host[k] = mem[BUF + k] = (uint8_t)(k * 7 + i);
		struct regs n = {(uint64_t)host + src, (uint64_t)host + dst, cx};
		struct regs e = {BUF + src, BUF + dst, cx};
		native(f, &n, rax);
		bool pf = emulated(cpu, s, f, &e, rax);
		cases++;
		if (pf || e.cx != n.cx || e.si - BUF != n.si - (uint64_t)host ||
		    e.di - BUF != n.di - (uint64_t)host || memcmp(host, mem + BUF, BUF_SIZE)) {
			if (bad++ < 5)
				T_CHECK(
				    false,
				    "%s src +%#llx dst +%#llx rcx %llu: emu rcx %llu rsi +%#llx "
				    "rdi +%#llx%s, cpu rcx %llu rsi +%#llx rdi +%#llx",
				    forms[f].name, (unsigned long long)src, (unsigned long long)dst,
				    (unsigned long long)cx, (unsigned long long)e.cx,
				    (unsigned long long)(e.si - BUF),
				    (unsigned long long)(e.di - BUF),
				    memcmp(host, mem + BUF, BUF_SIZE) ? ", memory differs" : "",
				    (unsigned long long)n.cx,
				    (unsigned long long)(n.si - (uint64_t)host),
				    (unsigned long long)(n.di - (uint64_t)host));
		}
	}
	T_EQ(bad, 0);
	T_CHECK(cases == 4000, "%u cases", cases);
	free(host);
	x86_cpu_free(cpu);
}

/* A string running into a page that is not there: the destination (or the
 * source) ends `before` bytes ahead of the hole. */
static void test_rep_fault_vs_host(void)
{
	struct x86_cpu *cpu = x86_cpu_new(&sv_ops, NULL);
	struct x86_state *s = x86_cpu_state(cpu);
	uint8_t *pages =
	    mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_CHECK(pages != MAP_FAILED, "mmap");
	if (pages == MAP_FAILED)
		return;
	mprotect(pages + 2 * 4096, 4096, PROT_NONE); /* the host's hole */
	struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO}, old;
	sigaction(SIGSEGV, &sa, &old);
	unsigned bad = 0, faults = 0;
	static const unsigned before[] = {0, 1, 3, 8, 13, 64, 4000, 4096 + 5};
	for (int f = 0; f < 8; f++) {
		for (int into_src = 0; into_src < 2 - forms[f].stos; into_src++) {
			for (size_t b = 0; b < sizeof(before) / sizeof(before[0]); b++) {
				/* guest: [HOLE - 8192, HOLE) mirrors the host's two pages */
				sv_setup(s);
				for (unsigned k = 0; k < 8192; k++)
					pages[k] = mem[HOLE - 8192 + k] = (uint8_t)(k * 13 + b);
				uint64_t at = 8192 - before[b];
				uint64_t other = 0x100; /* the other operand, well inside */
				uint64_t cx = 3000;
				uint64_t rax = 0x1122334455667788ull;
				struct regs n = {(uint64_t)pages + (into_src ? at : other),
						 (uint64_t)pages + (into_src ? other : at), cx};
				struct regs e = {HOLE - 8192 + (into_src ? at : other),
						 HOLE - 8192 + (into_src ? other : at), cx};
				if (!into_src && !forms[f].stos)
					n.si = (uint64_t)pages + 4096 - 0x400,
					e.si = HOLE - 4096 - 0x400;
				fault_addr = 0;
				if (!sigsetjmp(fault_jmp, 1))
					native(f, &n, rax);
				else if (forms[f].stos)
					n.di = fault_regs.di, n.cx = fault_regs.cx;
				else
					n = fault_regs;
				bool pf = emulated(cpu, s, f, &e, rax);
				uint64_t hb = (uint64_t)pages, gb = HOLE - 8192;
				faults += pf;
				if (pf != (fault_addr != 0) || e.cx != n.cx ||
				    e.si - gb != n.si - hb || e.di - gb != n.di - hb ||
				    (pf && s->cr2 - gb != fault_addr - hb) ||
				    memcmp(pages, mem + gb, 8192)) {
					if (bad++ < 5)
						T_CHECK(
						    false,
						    "%s into %s %u before the hole: emu pf %d "
						    "rcx %llu rsi +%#llx rdi +%#llx cr2 +%#llx, "
						    "cpu fault %d rcx %llu rsi +%#llx rdi +%#llx "
						    "addr +%#llx%s",
						    forms[f].name, into_src ? "src" : "dst",
						    before[b], pf, (unsigned long long)e.cx,
						    (unsigned long long)(e.si - gb),
						    (unsigned long long)(e.di - gb),
						    (unsigned long long)(s->cr2 - gb),
						    fault_addr != 0, (unsigned long long)n.cx,
						    (unsigned long long)(n.si - hb),
						    (unsigned long long)(n.di - hb),
						    (unsigned long long)(fault_addr - hb),
						    memcmp(pages, mem + gb, 8192)
							? ", memory differs"
							: "");
				}
			}
		}
	}
	sigaction(SIGSEGV, &old, NULL);
	T_EQ(bad, 0);
	T_CHECK(faults >= 80, "only %u of the strings reached the hole", faults);
	munmap(pages, 3 * 4096);
	x86_cpu_free(cpu);
}

int main(void)
{
	mem = calloc(1, MEM_SIZE);
	T_RUN(test_rep_vs_host);
	T_RUN(test_rep_fault_vs_host);
	free(mem);
	T_EXIT();
}
