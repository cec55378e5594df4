/*
 * test_x86_jit.c - the translator (src/x86/jit.c) where it differs from the
 * interpreter by construction: code written after it was translated (by the
 * guest, in the same block, on the next page of a block, by another CPU of
 * the machine), a code cache too small for the program (emptied and filled
 * again), and budgets that end inside blocks.  The expected results are the
 * programs' meaning under the SDM's self-modifying-code rules (vol. 3A
 * 11.6: a write to code is seen by the instructions fetched after it); each
 * program also runs on the interpreter, which must agree, state for state.
 * Programs were assembled with GNU as; the source is beside the bytes.
 */
#include <sys/mman.h>

#include "t.h"
#include "unit/test_x86.h"
#include "x86/x86.h"

#define MEM_SIZE (8u << 20)
#define CODE	 0x10000u
#define STACK	 0x80000u

static uint8_t *mem;

static uint8_t *jt_ram_page(void *o, uint64_t gpa, bool write)
{
	return gpa < MEM_SIZE ? mem + gpa : NULL;
}

static const struct x86_ops jt_ops = {.ram_page = jt_ram_page};

/* Long mode at CPL0, the first 8 MiB identity-mapped by 2 MiB pages. */
static void jt_long_mode(struct x86_cpu *cpu, uint64_t rip)
{
	struct x86_state *s = x86_cpu_state(cpu);
	uint64_t pml4 = 0x1000, pdpt = 0x2000, pd = 0x3000, e;
	e = pdpt | 3;
	memcpy(mem + pml4, &e, 8);
	e = pd | 3;
	memcpy(mem + pdpt, &e, 8);
	for (uint64_t i = 0; i < 4; i++) {
		e = (i << 21) | 0x83;
		memcpy(mem + pd + i * 8, &e, 8);
	}
	x86_state_reset(s);
	s->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG;
	s->cr3 = pml4;
	s->cr4 = X86_CR4_PAE;
	s->efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
	test_x86_seg(&s->seg[X86_CS], 0x08, 0xB, 0, false, true);
	for (int r = X86_ES; r <= X86_GS; r++)
		if (r != X86_CS)
			test_x86_seg(&s->seg[r], 0x10, 0x3, 0, true, false);
	s->rflags = 2;
	s->rip = rip;
	s->gpr[4] = STACK;
	x86_cpu_state_changed(cpu);
}

static struct x86_cpu *jt_cpu(enum x86_emu_mode mode, size_t cache)
{
	struct x86_cpu *cpu = x86_cpu_new(&jt_ops, NULL);
	T_CHECK(cpu && !x86_cpu_set_mode(cpu, mode, cache), "x86_cpu_set_mode %d", mode);
	return cpu;
}

static void jt_load(uint64_t at, const uint8_t *b, size_t n)
{
	memcpy(mem + at, b, n);
}

/* Memory cleared, prog at `at`, a CPU of that mode in 64-bit mode there. */
static struct x86_cpu *jt_fresh(enum x86_emu_mode mode, size_t cache, uint64_t at,
				const uint8_t *prog, size_t n)
{
	memset(mem, 0, MEM_SIZE);
	jt_load(at, prog, n);
	struct x86_cpu *cpu = jt_cpu(mode, cache);
	jt_long_mode(cpu, at);
	return cpu;
}

/* Run to HLT (or the budget); the CPU's state. */
static struct x86_state *jt_run(struct x86_cpu *cpu, uint64_t budget)
{
	T_EQ(x86_run(cpu, budget), X86_EXIT_HLT);
	return x86_cpu_state(cpu);
}

static uint64_t jt_retired(struct x86_cpu *cpu)
{
	const struct x86_stats *st = x86_cpu_stats(cpu);
	uint64_t n = 0;
	for (int m = 0; m < X86_NR_MODES; m++)
		n += st->insns[m];
	return n;
}

/* A function the guest rewrites after calling it once. */
static void test_code_written_after_it_ran(void)
{
	static const uint8_t main_[] = {
	    0xE8, 0xFB, 0xFF, 0x00, 0x00,		    /* call 0x20000 */
	    0x89, 0xC3,					    /* mov ebx, eax */
	    0xC6, 0x04, 0x25, 0x01, 0x00, 0x02, 0x00, 0x02, /* mov byte [0x20001], 2 */
	    0xE8, 0xEC, 0xFF, 0x00, 0x00,		    /* call 0x20000 */
	    0x89, 0xC1,					    /* mov ecx, eax */
	    0xF4,					    /* hlt */
	};
	static const uint8_t fn[] = {0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3}; /* mov eax, 1; ret */
	for (int m = X86_EMU_INTERP; m <= X86_EMU_JIT; m++) {
		memset(mem, 0, MEM_SIZE);
		jt_load(CODE, main_, sizeof(main_));
		jt_load(0x20000, fn, sizeof(fn));
		struct x86_cpu *cpu = jt_cpu(m, 0);
		jt_long_mode(cpu, CODE);
		struct x86_state *s = jt_run(cpu, 1000);
		T_EQ(s->gpr[3], 1);
		T_EQ(s->gpr[1], 2);
		T_EQ(jt_retired(cpu), 10);
		if (m == X86_EMU_JIT)
			T_CHECK(x86_cpu_stats(cpu)->jit_invalidated >= 1,
				"the function's block was not invalidated");
		x86_cpu_free(cpu);
	}
}

/* A store into the next instruction of the same block. */
static void test_code_written_in_same_block(void)
{
	static const uint8_t prog[] = {
	    0xC6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x02, /* mov byte [rip+1], 2 (the imm below) */
	    0xB8, 0x01, 0x00, 0x00, 0x00,	      /* mov eax, 1 */
	    0x83, 0xC0, 0x10,			      /* add eax, 16 */
	    0xF4,				      /* hlt */
	};
	for (int m = X86_EMU_INTERP; m <= X86_EMU_JIT; m++) {
		struct x86_cpu *cpu = jt_fresh(m, 0, CODE, prog, sizeof(prog));
		T_EQ(jt_run(cpu, 100)->gpr[0], 18);
		T_EQ(jt_retired(cpu), 4);
		x86_cpu_free(cpu);
	}
}

/*
 * A loop whose body runs from one page into the next (two blocks, chained),
 * then the guest rewrites the immediate on the second page and runs it again.
 */
static const uint8_t cross_page[] = {
    /* 0x10FE0 */ 0xB9,
    0x03,
    0x00,
    0x00,
    0x00, /* mov ecx, 3 */
    /* 0x10FE5 */ 0x31,
    0xC0, /* xor eax, eax */
    /* 0x10FE7 */ 0xEB,
    0x0B, /* jmp 0x10FF4 */
    0xCC,
    0xCC,
    0xCC,
    0xCC,
    0xCC,
    0xCC,
    0xCC,
    0xCC,
    0xCC,
    0xCC,
    0xCC,
    /* 0x10FF4 */ 0x83,
    0xC0,
    0x01,
    0x83,
    0xC0,
    0x01,
    0x83,
    0xC0,
    0x01,
    0x83,
    0xC0,
    0x01,
    /* 0x11000 */ 0x83,
    0xC0,
    0x10, /* add eax, 16 */
    /* 0x11003 */ 0xFF,
    0xC9, /* dec ecx */
    /* 0x11005 */ 0x75,
    0xED, /* jnz 0x10FF4 */
    /* 0x11007 */ 0x85,
    0xDB, /* test ebx, ebx */
    /* 0x11009 */ 0x75,
    0x15, /* jnz 0x11020 */
    /* 0x1100B */ 0xBB,
    0x01,
    0x00,
    0x00,
    0x00, /* mov ebx, 1 */
    /* 0x11010 */ 0xC6,
    0x04,
    0x25,
    0x02,
    0x10,
    0x01,
    0x00,
    0x20, /* mov byte [0x11002], 32 */
    /* 0x11018 */ 0xB9,
    0x03,
    0x00,
    0x00,
    0x00, /* mov ecx, 3 */
    /* 0x1101D */ 0xEB,
    0xD5, /* jmp 0x10FF4 */
    /* 0x1101F */ 0xCC,
    /* 0x11020 */ 0xF4, /* hlt */
};
#define CROSS_AT 0x10FE0u

static void test_code_written_on_next_page(void)
{
	for (int m = X86_EMU_INTERP; m <= X86_EMU_JIT; m++) {
		struct x86_cpu *cpu = jt_fresh(m, 0, CROSS_AT, cross_page, sizeof(cross_page));
		/* 3 * (4 + 16) + 3 * (4 + 32) */
		T_EQ(jt_run(cpu, 1000)->gpr[0], 168);
		T_EQ(jt_retired(cpu), 3 + 3 * 7 + 2 + 4 + 3 * 7 + 2 + 1);
		x86_cpu_free(cpu);
	}
}

/* A store of 4 bytes (a form the translator runs inline on the TLB's fast
 * path, where a code page has no write pointer) into its own block. */
static void test_code_written_by_inline_store(void)
{
	static const uint8_t prog[] = {
	    0xC7, 0x05, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, /* mov dword [rip+1], 2 */
	    0xB8, 0x01, 0x00, 0x00, 0x00,				/* mov eax, 1 */
	    0x83, 0xC0, 0x10,						/* add eax, 16 */
	    0xF4,							/* hlt */
	};
	for (int m = X86_EMU_INTERP; m <= X86_EMU_JIT; m++) {
		struct x86_cpu *cpu = jt_fresh(m, 0, CODE, prog, sizeof(prog));
		T_EQ(jt_run(cpu, 100)->gpr[0], 18);
		x86_cpu_free(cpu);
	}
}

/*
 * Loads and stores of 4 and 8 bytes in every addressing form (base, base
 * plus index, RIP-relative, an immediate), one across a page end, and ALU
 * operations between them, 100 times: the translator's inline TLB path and
 * native forms end with the interpreter's registers, flags and memory.
 */
static void test_native_forms_match_interpreter(void)
{
	static const uint8_t prog[] = {
	    0xBE, 0x00, 0x00, 0x04, 0x00, /* mov esi, 0x40000 */
	    0xB9, 0x64, 0x00, 0x00, 0x00, /* mov ecx, 100 */
	    0x31, 0xC0,			  /* xor eax, eax */
	    0x48, 0x8B, 0x16,		  /* 1: mov rdx, [rsi] */
	    0x48, 0x01, 0xD0,		  /* add rax, rdx */
	    0x48, 0x89, 0x46, 0x08,	  /* mov [rsi+8], rax */
	    0x8B, 0x54, 0x8E, 0x10,	  /* mov edx, [rsi+rcx*4+16] */
	    0x01, 0xD0,			  /* add eax, edx */
	    0x89, 0x44, 0x8E, 0x10,	  /* mov [rsi+rcx*4+16], eax */
	    0x48, 0xC7, 0x86, 0x00, 0x08, 0x00, 0x00,
	    0x07, 0x00, 0x00, 0x00,		      /* mov qword [rsi+0x800], 7 */
	    0x48, 0x8B, 0x96, 0xFC, 0x0F, 0x00, 0x00, /* mov rdx, [rsi+0xffc] */
	    0x48, 0x01, 0xD0,			      /* add rax, rdx */
	    0x48, 0x8B, 0x3D, 0xC4, 0x00, 0x00, 0x00, /* mov rdi, [rip+0xc4] */
	    0x48, 0x01, 0xF8,			      /* add rax, rdi */
	    0xFF, 0xC9,				      /* dec ecx */
	    0x75, 0xC9,				      /* jnz 1b */
	    0xF4,				      /* hlt */
	};
	static const uint64_t data = 0x1122334455667788ull; /* at CODE + 0x100 */
	uint8_t *after[2];
	struct x86_state st[2];
	for (int m = X86_EMU_INTERP; m <= X86_EMU_JIT; m++) {
		memset(mem, 0, MEM_SIZE);
		jt_load(CODE, prog, sizeof(prog));
		jt_load(CODE + 0x100, (const uint8_t *)&data, 8);
		for (unsigned i = 0; i < 0x1010; i++)
			mem[0x40000 + i] = (uint8_t)(i * 37 + 11);
		struct x86_cpu *cpu = jt_cpu(m, 0);
		jt_long_mode(cpu, CODE);
		st[m] = *jt_run(cpu, 10000);
		after[m] = malloc(0x2000);
		memcpy(after[m], mem + 0x40000, 0x2000);
		T_EQ(jt_retired(cpu), 3 + 100 * 13 + 1);
		x86_cpu_free(cpu);
	}
	T_CHECK(!memcmp(st[0].gpr, st[1].gpr, sizeof(st[0].gpr)),
		"registers differ: rax %#llx / %#llx", (unsigned long long)st[0].gpr[0],
		(unsigned long long)st[1].gpr[0]);
	T_EQ(st[1].rflags, st[0].rflags);
	T_CHECK(!memcmp(after[0], after[1], 0x2000), "memory differs");
	free(after[0]);
	free(after[1]);
}

/*
 * The longest block: 64 stores with a base, an index and a displacement
 * (the most host code an instruction takes), the largest bound the
 * translator reserves for a block; the stores land where the interpreter
 * puts them.
 */
static void test_longest_block(void)
{
	uint8_t prog[64 * 8 + 1];
	for (int i = 0; i < 64; i++) { /* mov [rsi+rcx*8+0x100+8i], rdx */
		static const uint8_t st[] = {0x48, 0x89, 0x94, 0xCE};
		uint32_t disp = 0x100 + 8 * (uint32_t)i;
		memcpy(prog + i * 8, st, 4);
		memcpy(prog + i * 8 + 4, &disp, 4);
	}
	prog[64 * 8] = 0xF4; /* hlt */
	uint8_t out[2][0x400];
	for (int m = X86_EMU_INTERP; m <= X86_EMU_JIT; m++) {
		struct x86_cpu *cpu = jt_fresh(m, 64 << 10, CODE, prog, sizeof(prog));
		struct x86_state *s = x86_cpu_state(cpu);
		s->gpr[6] = 0x40000; /* rsi */
		s->gpr[1] = 3;	     /* rcx */
		s->gpr[2] = 0x1122334455667788ull;
		jt_run(cpu, 1000);
		memcpy(out[m], mem + 0x40000, sizeof(out[m]));
		T_EQ(jt_retired(cpu), 65);
		x86_cpu_free(cpu);
	}
	T_CHECK(!memcmp(out[0], out[1], sizeof(out[0])), "the stores differ");
	uint64_t v;
	memcpy(&v, out[1] + 0x118 + 63 * 8, 8);
	T_EQ(v, 0x1122334455667788ull);
}

/* Every budget from 1 to 9 instructions per x86_run: the translator stops
 * where the interpreter does, with the same state after every call. */
static void test_budgets_end_where_interpreter_does(void)
{
	for (uint64_t step = 1; step <= 9; step++) {
		memset(mem, 0, MEM_SIZE);
		jt_load(CROSS_AT, cross_page, sizeof(cross_page));
		struct x86_cpu *ref = jt_cpu(X86_EMU_INTERP, 0);
		jt_long_mode(ref, CROSS_AT);
		enum x86_exit er;
		/* The interpreter first, on its own copy of memory. */
		uint8_t *saved = malloc(MEM_SIZE);
		memcpy(saved, mem, MEM_SIZE);
		struct x86_state trace[128];
		int n = 0;
		do {
			er = x86_run(ref, step);
			trace[n++] = *x86_cpu_state(ref);
		} while (er == X86_EXIT_BUDGET && n < 128);
		memcpy(mem, saved, MEM_SIZE);
		free(saved);
		struct x86_cpu *cpu = jt_cpu(X86_EMU_JIT, 0);
		jt_long_mode(cpu, CROSS_AT);
		for (int i = 0; i < n; i++) {
			enum x86_exit e = x86_run(cpu, step);
			const struct x86_state *s = x86_cpu_state(cpu);
			T_EQ(e, i == n - 1 ? er : X86_EXIT_BUDGET);
			T_CHECK(
			    s->rip == trace[i].rip &&
				!memcmp(s->gpr, trace[i].gpr, sizeof(s->gpr)) &&
				s->rflags == trace[i].rflags,
			    "budget %d, call %d: rip %#llx rflags %#llx, interpreter %#llx %#llx",
			    (int)step, i, (unsigned long long)s->rip, (unsigned long long)s->rflags,
			    (unsigned long long)trace[i].rip, (unsigned long long)trace[i].rflags);
		}
		T_EQ(jt_retired(cpu), jt_retired(ref));
		x86_cpu_free(cpu);
		x86_cpu_free(ref);
	}
}

/* CPU 1 rewrites a function CPU 0 translated: CPU 0 runs the new code. */
static void test_code_written_by_another_cpu(void)
{
	static const uint8_t caller[] = {
	    0xE8, 0xFB, 0xFF, 0x00, 0x00, /* call 0x20000 */
	    0xF4,			  /* hlt */
	};
	static const uint8_t writer[] = {
	    0xC6, 0x04, 0x25, 0x01, 0x00, 0x02, 0x00, 0x05, /* mov byte [0x20001], 5 */
	    0xF4,					    /* hlt */
	};
	static const uint8_t fn[] = {0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3}; /* mov eax, 1; ret */
	memset(mem, 0, MEM_SIZE);
	jt_load(CODE, caller, sizeof(caller));
	jt_load(0x30000, writer, sizeof(writer));
	jt_load(0x20000, fn, sizeof(fn));
	struct x86_cpu *c0 = jt_cpu(X86_EMU_JIT, 0);
	struct x86_cpu *c1 = x86_cpu_new_sibling(c0, &jt_ops, NULL);
	T_CHECK(c1 && !x86_cpu_set_mode(c1, X86_EMU_JIT, 0), "second CPU");
	jt_long_mode(c0, CODE);
	T_EQ(jt_run(c0, 100)->gpr[0], 1);
	jt_long_mode(c1, 0x30000);
	jt_run(c1, 100);
	/* Not x86_cpu_state_changed (which empties the cache): RIP only. */
	x86_cpu_state(c0)->rip = CODE;
	x86_cpu_state(c0)->halted = false;
	T_EQ(jt_run(c0, 100)->gpr[0], 5);
	T_CHECK(x86_cpu_stats(c0)->jit_invalidated >= 1, "CPU 0's block was not invalidated");
	x86_cpu_free(c1);
	x86_cpu_free(c0);
}

/*
 * 3000 blocks (add eax, imm32; jmp to the next) through the smallest cache,
 * twice: it fills, is emptied and filled again, and the sum is right.
 */
static void test_small_cache_evicts(void)
{
	enum { N = 3000, AT = 0x100000, STRIDE = 16 };
	uint32_t sum = 0;
	memset(mem, 0, MEM_SIZE);
	for (uint32_t i = 0; i < N; i++) {
		uint8_t *p = mem + AT + i * STRIDE;
		uint32_t imm = i * 7 + 1, rel = STRIDE - 10;
		sum += imm;
		p[0] = 0x05; /* add eax, imm32 */
		memcpy(p + 1, &imm, 4);
		p[5] = 0xE9; /* jmp rel32 to the next block */
		memcpy(p + 6, &rel, 4);
	}
	mem[AT + N * STRIDE] = 0xF4;
	for (int m = X86_EMU_INTERP; m <= X86_EMU_JIT; m++) {
		struct x86_cpu *cpu = jt_cpu(m, 64 << 10);
		jt_long_mode(cpu, AT);
		T_EQ(jt_run(cpu, 10 * N)->gpr[0], sum);
		x86_cpu_state(cpu)->rip = AT;
		x86_cpu_state(cpu)->halted = false;
		T_EQ(jt_run(cpu, 10 * N)->gpr[0], 2 * sum);
		T_EQ(jt_retired(cpu), 2 * (2 * N + 1));
		if (m == X86_EMU_JIT) {
			const struct x86_stats *st = x86_cpu_stats(cpu);
			T_CHECK(st->jit_flushes >= 2 && st->jit_blocks >= 2 * N,
				"%llu flushes, %llu blocks", (unsigned long long)st->jit_flushes,
				(unsigned long long)st->jit_blocks);
		}
		x86_cpu_free(cpu);
	}
}

/*
 * Chains of flag writers and readers in one block, against the host CPU:
 * random straight-line programs of ALU operations (ADC and SBB too), TEST,
 * INC/DEC, shifts by immediates, IMUL, MOVZX/MOVSX/MOVSXD, SETcc, CMOVcc
 * and MOV on random registers and values, run natively (a host function
 * around the same bytes) and on the translator: the same registers, and the
 * same arithmetic flags where the SDM defines them (a generator tracks which
 * are undefined and never reads one).  On the interpreter too, which must
 * agree with the translator on everything, undefined flags included (they
 * are the interpreter's by construction: its record, or its body).
 */
struct fc_gen {
	uint8_t code[1024];
	unsigned len;
	unsigned defined; /* arithmetic flags the SDM defines after the code so far */
	uint64_t seed;
};

#define FC_ARITH 0x8D5u
#define FC_CF	 0x001u
#define FC_PF	 0x004u
#define FC_AF	 0x010u
#define FC_ZF	 0x040u
#define FC_SF	 0x080u
#define FC_OF	 0x800u

static unsigned fc_rand(struct fc_gen *g, unsigned n)
{
	g->seed = g->seed * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)(g->seed >> 33) % n;
}

static void fc_u8(struct fc_gen *g, unsigned v)
{
	g->code[g->len++] = (uint8_t)v;
}

/* A register the programs use: any but RSP, RDI (the host harness's) and
 * RSI (the data's base: the same bytes at different addresses). */
static unsigned fc_reg(struct fc_gen *g)
{
	static const uint8_t r[] = {0, 1, 2, 3, 5, 8, 9, 10, 11, 12, 13, 14, 15};
	return r[fc_rand(g, sizeof(r))];
}

/* REX (W, reg, rm) always (so that SETcc reaches SPL-DIL's low bytes, not AH-BH), opcode bytes, ModRM mod=11. */
static void fc_rr(struct fc_gen *g, bool w, const uint8_t *op, unsigned nop, unsigned reg,
		  unsigned rm)
{
	fc_u8(g, 0x40 | (w << 3) | ((reg >> 3) << 2) | (rm >> 3));
	for (unsigned i = 0; i < nop; i++)
		fc_u8(g, op[i]);
	fc_u8(g, 0xC0 | ((reg & 7) << 3) | (rm & 7));
}

static const unsigned fc_cond[8] = {FC_OF,	   FC_CF, FC_ZF,	 FC_CF | FC_ZF,
				    FC_SF,	   FC_PF, FC_SF | FC_OF, FC_ZF | FC_SF | FC_OF};

/* [66] REX op... ModRM reg, [rsi + disp8] (a random disp8 within the data). */
static void fc_rm(struct fc_gen *g, unsigned size, const uint8_t *op, unsigned nop, unsigned reg)
{
	if (size == 2)
		fc_u8(g, 0x66);
	fc_u8(g, 0x40 | ((size == 8) << 3) | ((reg >> 3) << 2));
	for (unsigned i = 0; i < nop; i++)
		fc_u8(g, op[i]);
	fc_u8(g, 0x46 | ((reg & 7) << 3));
	fc_u8(g, fc_rand(g, 120));
}

/* An instruction with a memory operand [rsi + disp8], or PUSH/POP. */
static void fc_mem(struct fc_gen *g)
{
	static const uint8_t sizes[] = {1, 2, 4, 8};
	unsigned size = sizes[fc_rand(g, 4)], a = fc_reg(g), k = fc_rand(g, 6);
	uint8_t op[2];
	bool byte = size == 1;
	switch (k) {
	case 0: /* MOV load or store */
		op[0] = (uint8_t)((fc_rand(g, 2) ? 0x8B : 0x89) - byte);
		fc_rm(g, size, op, 1, a);
		break;
	case 1: { /* MOVZX, MOVSX, MOVSXD */
		static const uint8_t ops[] = {0xB6, 0xB7, 0xBE, 0xBF};
		if (fc_rand(g, 5)) {
			op[0] = 0x0F, op[1] = ops[fc_rand(g, 4)];
			fc_rm(g, fc_rand(g, 2) ? 8 : 4, op, 2, a);
		} else {
			op[0] = 0x63;
			fc_rm(g, 8, op, 1, a);
		}
		break;
	}
	case 2: { /* ADD OR AND SUB XOR CMP reg, [m] */
		static const uint8_t ops[] = {0x03, 0x0B, 0x23, 0x2B, 0x33, 0x3B};
		op[0] = (uint8_t)(ops[fc_rand(g, sizeof(ops))] - byte);
		fc_rm(g, size, op, 1, a);
		g->defined = op[0] == 0x0B - byte || op[0] == 0x23 - byte || op[0] == 0x33 - byte
				 ? FC_ARITH & ~FC_AF
				 : FC_ARITH;
		break;
	}
	case 3: /* CMP or TEST [m], reg */
		op[0] = (uint8_t)((fc_rand(g, 2) ? 0x39 : 0x85) - byte);
		fc_rm(g, size, op, 1, a);
		g->defined = op[0] == 0x39 - byte ? FC_ARITH : FC_ARITH & ~FC_AF;
		break;
	case 4: /* CMP [m], imm8 (83 /7, 80 /7) */
		op[0] = byte ? 0x80 : 0x83;
		fc_rm(g, size, op, 1, 7);
		fc_u8(g, fc_rand(g, 256));
		g->defined = FC_ARITH;
		break;
	default: /* PUSH a, POP another (the stacks differ, the values do not) */
		if (a >= 8)
			fc_u8(g, 0x41);
		fc_u8(g, 0x50 + (a & 7));
		a = fc_reg(g);
		if (a >= 8)
			fc_u8(g, 0x41);
		fc_u8(g, 0x58 + (a & 7));
		break;
	}
}

/* One instruction; flag readers only of defined flags. */
static void fc_insn(struct fc_gen *g)
{
	bool w = fc_rand(g, 2);
	unsigned a = fc_reg(g), b = fc_reg(g), k = fc_rand(g, 18), cc = fc_rand(g, 16);
	uint8_t op[2];
	if ((k == 7 || k == 8) && (fc_cond[cc >> 1] & ~g->defined))
		k = 0; /* the condition would read an undefined flag */
	if (k == 1 && !(g->defined & FC_CF))
		k = 0;
	switch (k) {
	case 0: /* ADD OR AND SUB XOR CMP TEST between registers */
	case 1: { /* ADC, SBB */
		static const uint8_t ops[] = {0x01, 0x09, 0x21, 0x29, 0x31, 0x39, 0x85};
		op[0] = k ? (fc_rand(g, 2) ? 0x11 : 0x19) : ops[fc_rand(g, sizeof(ops))];
		fc_rr(g, w, op, 1, b, a);
		g->defined = op[0] == 0x09 || op[0] == 0x21 || op[0] == 0x31 || op[0] == 0x85
				 ? FC_ARITH & ~FC_AF
				 : FC_ARITH;
		break;
	}
	case 2: { /* the same with an immediate (83 /op ib) */
		unsigned sub = fc_rand(g, 8);
		if ((sub == 2 || sub == 3) && !(g->defined & FC_CF))
			sub = 0;
		op[0] = 0x83;
		fc_rr(g, w, op, 1, sub, a);
		fc_u8(g, fc_rand(g, 256));
		g->defined = sub == 1 || sub == 4 || sub == 6 ? FC_ARITH & ~FC_AF : FC_ARITH;
		break;
	}
	case 3: /* INC, DEC: CF as it was */
		op[0] = 0xFF;
		fc_rr(g, w, op, 1, fc_rand(g, 2), a);
		g->defined |= FC_ARITH & ~FC_CF;
		break;
	case 4: { /* SHL, SHR, SAR by an immediate */
		static const uint8_t subs[] = {4, 5, 7};
		unsigned n = fc_rand(g, 4) ? fc_rand(g, 3) : fc_rand(g, 70);
		op[0] = 0xC1;
		fc_rr(g, w, op, 1, subs[fc_rand(g, 3)], a);
		fc_u8(g, n);
		n &= w ? 63 : 31;
		if (n == 1)
			g->defined = FC_ARITH & ~FC_AF;
		else if (n)
			g->defined = FC_ARITH & ~FC_AF & ~FC_OF;
		break;
	}
	case 5: /* IMUL reg, reg and reg, reg, imm8 */
		if (fc_rand(g, 2)) {
			op[0] = 0x0F, op[1] = 0xAF;
			fc_rr(g, w, op, 2, a, b);
		} else {
			op[0] = 0x6B;
			fc_rr(g, w, op, 1, a, b);
			fc_u8(g, fc_rand(g, 256));
		}
		g->defined = FC_CF | FC_OF;
		break;
	case 6: { /* MOVZX, MOVSX from a byte or a word, MOVSXD */
		static const uint8_t ops[] = {0xB6, 0xB7, 0xBE, 0xBF};
		if (fc_rand(g, 5)) {
			op[0] = 0x0F, op[1] = ops[fc_rand(g, 4)];
			fc_rr(g, w, op, 2, a, b);
		} else {
			op[0] = 0x63;
			fc_rr(g, true, op, 1, a, b);
		}
		break;
	}
	case 7: /* SETcc */
		op[0] = 0x0F, op[1] = (uint8_t)(0x90 + cc);
		fc_rr(g, false, op, 2, 0, a);
		break;
	case 8: /* CMOVcc */
		op[0] = 0x0F, op[1] = (uint8_t)(0x40 + cc);
		fc_rr(g, w, op, 2, a, b);
		break;
	case 9: /* MOV */
		op[0] = 0x89;
		fc_rr(g, w, op, 1, b, a);
		break;
	case 11: /* 8- and 16-bit ALU operations between registers */
		if (fc_rand(g, 2))
			fc_u8(g, 0x66);
		op[0] = (uint8_t)(0x00 + 8 * fc_rand(g, 8) + (g->code[g->len - 1] == 0x66));
		if ((op[0] & 0x38) == 0x10 || (op[0] & 0x38) == 0x18) /* ADC, SBB */
			op[0] &= (uint8_t)~0x38;
		fc_rr(g, false, op, 1, b, a);
		g->defined = (op[0] & 0x38) == 0x08 || (op[0] & 0x38) == 0x20 || (op[0] & 0x38) == 0x30
				 ? FC_ARITH & ~FC_AF
				 : FC_ARITH;
		break;
	case 12:
		fc_mem(g);
		break;
	case 13: /* NOT, NEG */
		op[0] = 0xF7;
		if (fc_rand(g, 2)) {
			fc_rr(g, w, op, 1, 2, a);
		} else {
			fc_rr(g, w, op, 1, 3, a);
			g->defined = FC_ARITH;
		}
		break;
	case 14: { /* ROL, ROR by an immediate: CF, and OF for a count of 1 */
		unsigned n = fc_rand(g, 3) ? 1 + fc_rand(g, 2) : fc_rand(g, 70);
		op[0] = 0xC1;
		fc_rr(g, w, op, 1, fc_rand(g, 2), a);
		fc_u8(g, n);
		n &= w ? 63 : 31;
		if (n)
			g->defined = (g->defined | FC_CF) & (n == 1 ? ~0u : ~FC_OF);
		break;
	}
	case 15: { /* SHL, SHR, SAR by 1; SHL, SHR, SAR, ROL, ROR RAX by CL (64-bit) */
		static const uint8_t subs[] = {4, 5, 7, 0, 1};
		if (fc_rand(g, 2)) {
			op[0] = 0xD1;
			fc_rr(g, w, op, 1, subs[fc_rand(g, 3)], a);
			g->defined = FC_ARITH & ~FC_AF;
		} else {
			op[0] = 0xD3;
			fc_rr(g, true, op, 1, subs[fc_rand(g, 5)], a);
			g->defined = 0; /* a count of 0 leaves them: the generator does not know CL */
		}
		break;
	}
	case 16: { /* NOPs: 0F 1F /0 with a memory operand, 90, 66 90 */
		static const uint8_t nops[][5] = {{0x0F, 0x1F, 0x44, 0x00, 0x00}, {0x90}, {0x66, 0x90}};
		unsigned which = fc_rand(g, 3);
		for (unsigned i = 0; i < (which == 0 ? 5u : which); i++)
			fc_u8(g, nops[which][i]);
		break;
	}
	default: /* LEA a, [b + a*4 + disp8] */
		fc_u8(g, 0x48 | ((a >> 3) << 2) | ((a >> 3) << 1) | (b >> 3));
		fc_u8(g, 0x8D);
		fc_u8(g, 0x44 | ((a & 7) << 3));
		fc_u8(g, 0x80 | ((a & 7) << 3) | (b & 7));
		fc_u8(g, fc_rand(g, 256));
		break;
	}
}

/* Host harness: RDI = uint64_t regs[17] (16 registers, RFLAGS out). */
static size_t fc_harness(uint8_t *h, const uint8_t *code, unsigned len)
{
	static const uint8_t save[] = {0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57};
	static const uint8_t restore[] = {0x41, 0x5F, 0x41, 0x5E, 0x41, 0x5D,
					  0x41, 0x5C, 0x5D, 0x5B, 0xC3};
	size_t n = 0;
	memcpy(h + n, save, sizeof(save));
	n += sizeof(save);
	for (int pass = 0; pass < 2; pass++) {
		if (pass) {
			memcpy(h + n, code, len);
			n += len;
		}
		for (unsigned r = 0; r < 16; r++) {
			if (r == 4 || r == 7)
				continue;
			h[n++] = (uint8_t)(0x48 | ((r >> 3) << 2));
			h[n++] = pass ? 0x89 : 0x8B; /* mov [rdi + r*8], r / mov r, [rdi + r*8] */
			h[n++] = (uint8_t)(0x87 | ((r & 7) << 3));
			uint32_t d = r * 8;
			memcpy(h + n, &d, 4);
			n += 4;
		}
		if (pass) {
			/* pushfq; pop rax; mov [rdi + 128], rax */
			static const uint8_t fl[] = {0x9C, 0x58, 0x48, 0x89, 0x87, 0x80, 0, 0, 0};
			memcpy(h + n, fl, sizeof(fl));
			n += sizeof(fl);
		}
	}
	memcpy(h + n, restore, sizeof(restore));
	return n + sizeof(restore);
}

static void test_flag_chains_vs_host(void)
{
	uint8_t *h = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_CHECK(h != MAP_FAILED, "mmap");
	struct fc_gen g = {.seed = 0x5EED};
	unsigned bad = 0, runs = 3000;
	for (unsigned t = 0; t < runs && bad < 5; t++) {
		g.len = 0;
		g.defined = 0; /* RFLAGS = 2 at the start: but not through a native form */
		fc_u8(&g, 0x48); /* test rax, rax: the flags of the start defined */
		fc_u8(&g, 0x85);
		fc_u8(&g, 0xC0);
		g.defined = FC_ARITH & ~FC_AF;
		unsigned n = 4 + fc_rand(&g, 40);
		for (unsigned i = 0; i < n; i++)
			fc_insn(&g);
		uint64_t init[16];
		for (unsigned r = 0; r < 16; r++) {
			unsigned kind = fc_rand(&g, 4);
			uint64_t v = ((uint64_t)fc_rand(&g, 1u << 31) << 33) ^ fc_rand(&g, 1u << 31);
			init[r] = kind == 0 ? v & 0xFF : kind == 1 ? (uint64_t)-(int64_t)(v & 0xFFFF) : v;
		}
		uint8_t data[256], hdata[256];
		for (unsigned i = 0; i < sizeof(data); i++)
			data[i] = (uint8_t)fc_rand(&g, 256);
		/* The host CPU. */
		uint64_t host[17];
		memcpy(host, init, sizeof(init));
		memcpy(hdata, data, sizeof(data));
		host[6] = (uint64_t)(uintptr_t)hdata;
		mprotect(h, 8192, PROT_READ | PROT_WRITE);
		fc_harness(h, g.code, g.len);
		mprotect(h, 8192, PROT_READ | PROT_EXEC);
		((void (*)(uint64_t *))(void *)h)(host);
		/* The interpreter, then the translator. */
		struct x86_state st[2];
		uint8_t gdata[2][256];
		for (int m = X86_EMU_INTERP; m <= X86_EMU_JIT; m++) {
			jt_load(CODE, g.code, g.len);
			jt_load(0x40000, data, sizeof(data));
			mem[CODE + g.len] = 0xF4;
			struct x86_cpu *cpu = jt_cpu(m, 0);
			jt_long_mode(cpu, CODE);
			struct x86_state *s = x86_cpu_state(cpu);
			for (unsigned r = 0; r < 16; r++)
				if (r != 4)
					s->gpr[r] = init[r];
			s->gpr[6] = 0x40000;
			st[m] = *jt_run(cpu, 1000);
			memcpy(gdata[m], mem + 0x40000, sizeof(data));
			x86_cpu_free(cpu);
		}
		bool same = true;
		for (unsigned r = 0; r < 16; r++)
			if (r != 4 && r != 6 && r != 7 && st[1].gpr[r] != host[r])
				same = false;
		if (memcmp(gdata[1], hdata, sizeof(data)) || memcmp(gdata[0], gdata[1], sizeof(data)))
			same = false;
		if (!same || ((st[1].rflags ^ host[16]) & g.defined) ||
		    memcmp(st[0].gpr, st[1].gpr, sizeof(st[0].gpr)) || st[0].rflags != st[1].rflags) {
			bad++;
			fprintf(stderr, "program %u differs (flags host %#llx jit %#llx interp %#llx, defined %#x):", t,
				(unsigned long long)host[16], (unsigned long long)st[1].rflags,
				(unsigned long long)st[0].rflags, g.defined);
			for (unsigned i = 0; i < g.len; i++)
				fprintf(stderr, " %02x", g.code[i]);
			fprintf(stderr, "\n");
			for (unsigned r = 0; r < 16; r++)
				if (r != 4 && r != 6 && r != 7 &&
				    (st[1].gpr[r] != host[r] || st[0].gpr[r] != st[1].gpr[r]))
					fprintf(stderr, "  r%u host %#llx jit %#llx interp %#llx\n", r,
						(unsigned long long)host[r], (unsigned long long)st[1].gpr[r],
						(unsigned long long)st[0].gpr[r]);
		}
	}
	T_EQ(bad, 0);
	munmap(h, 8192);
}

int main(void)
{
	mem = calloc(1, MEM_SIZE);
	T_RUN(test_code_written_after_it_ran);
	T_RUN(test_code_written_in_same_block);
	T_RUN(test_code_written_by_inline_store);
	T_RUN(test_native_forms_match_interpreter);
	T_RUN(test_flag_chains_vs_host);
	T_RUN(test_longest_block);
	T_RUN(test_code_written_on_next_page);
	T_RUN(test_budgets_end_where_interpreter_does);
	T_RUN(test_code_written_by_another_cpu);
	T_RUN(test_small_cache_evicts);
	free(mem);
	T_EXIT();
}
