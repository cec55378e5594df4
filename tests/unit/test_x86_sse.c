/*
 * test_x86_sse.c - the emulator's SSE/MMX instructions against the host CPU:
 * every opcode of the SSE maps, with each mandatory prefix, in register and
 * memory forms, is run natively in this process (FXRSTOR of the state, the
 * instruction, FXSAVE) and in the emulator from the same state; results,
 * MXCSR, x87 tags/TOP (MMX aliasing), flags, memory and the fault (#UD as
 * SIGILL, #GP as SIGSEGV, #XM as SIGFPE) must agree.  Edge operands (zeros,
 * infinities, NaNs with payloads, denormals, extremes), all four rounding
 * modes, DAZ/FTZ, unmasked exceptions.  The checks the host cannot make
 * (CR0.TS, CR0.EM, CR4.OSFXSR, CR4.OSXMMEXCPT) follow the SDM's tables.
 */
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "t.h"
#include "unit/test_x86.h"
#include "x86/x86.h"

#define MEM_SIZE (4u << 20)
#define CODE	 0x200000 /* the instruction, in the emulator */
#define DATA	 0x300000 /* RSI and RDI point here in the emulator */
#define HANDLERS 0x3000	  /* vector v: mov $v, %r14d ; hlt at HANDLERS + 16 v */
#define IDT	 0x1000

/* What one run of one instruction leaves (natively or emulated). */
struct run {
	uint8_t fx[512] __attribute__((aligned(16))); /* FXSAVE image */
	uint64_t gpr[8];			      /* rax rcx rdx rbx r8-r11 */
	uint64_t rflags;
	uint8_t mem[64];
	int vector; /* -1: completed */
};

/* ---- the host side ---- */

struct native_ctx {
	uint8_t fx[512]; /* offset 0, 16-byte aligned */
	uint64_t gpr[8]; /* 512: rax rcx rdx rbx r8 r9 r10 r11 */
	uint64_t rsi;	 /* 576 */
	uint64_t rflags; /* 584 */
	void *code;	 /* 592 */
};

void native_run(struct native_ctx *c);
__asm__(
    ".text\n"
    ".globl native_run\n"
    "native_run:\n"
    "	push %rbx\n	push %rbp\n	push %r12\n	push %r13\n	push %r14\n	push %r15\n"
    "	mov %rdi, %r12\n"
    "	fxrstor64 (%r12)\n"
    "	mov 512(%r12), %rax\n	mov 520(%r12), %rcx\n	mov 528(%r12), %rdx\n"
    "	mov 536(%r12), %rbx\n	mov 544(%r12), %r8\n	mov 552(%r12), %r9\n"
    "	mov 560(%r12), %r10\n	mov 568(%r12), %r11\n"
    "	mov 576(%r12), %rsi\n	mov %rsi, %rdi\n"
    "	pushq 584(%r12)\n	popfq\n"
    "	call *592(%r12)\n"
    "	pushfq\n	popq 584(%r12)\n"
    "	mov %rax, 512(%r12)\n	mov %rcx, 520(%r12)\n	mov %rdx, 528(%r12)\n"
    "	mov %rbx, 536(%r12)\n	mov %r8, 544(%r12)\n	mov %r9, 552(%r12)\n"
    "	mov %r10, 560(%r12)\n	mov %r11, 568(%r12)\n"
    "	fxsave64 (%r12)\n"
    "	fninit\n"
    "	pop %r15\n	pop %r14\n	pop %r13\n	pop %r12\n	pop %rbp\n	pop %rbx\n"
    "	ret\n");

static sigjmp_buf native_jmp;
static volatile int native_sig;
static uint8_t native_fault_fx[512];

static void native_handler(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	native_sig = sig;
	/* The state at the fault: what the CPU left (flags set on #XM). */
	memcpy(native_fault_fx, uc->uc_mcontext.fpregs, 512);
	siglongjmp(native_jmp, 1);
}

static uint8_t *native_code;
static uint8_t native_mem[64] __attribute__((aligned(64)));

static void native(const uint8_t *insn, size_t len, const struct run *in, struct run *out)
{
	static struct native_ctx c __attribute__((aligned(16)));
	memcpy(native_code, insn, len);
	native_code[len] = 0xC3;
	memcpy(c.fx, in->fx, 512);
	memcpy(c.gpr, in->gpr, sizeof(c.gpr));
	c.rsi = (uint64_t)(uintptr_t)native_mem;
	c.rflags = in->rflags;
	c.code = native_code;
	memcpy(native_mem, in->mem, 64);
	native_sig = 0;
	if (!sigsetjmp(native_jmp, 1)) {
		native_run(&c);
		memcpy(out->fx, c.fx, 512);
		memcpy(out->gpr, c.gpr, sizeof(c.gpr));
		out->rflags = c.rflags;
		out->vector = -1;
	} else {
		__asm__ volatile("fninit");
		uint32_t m = 0x1F80;
		__asm__ volatile("ldmxcsr %0" : : "m"(m));
		memcpy(out->fx, native_fault_fx, 512);
		memcpy(out->gpr, in->gpr, sizeof(out->gpr));
		out->rflags = in->rflags;
		out->vector = native_sig == SIGILL ? 6 : native_sig == SIGFPE ? 19 : 13;
	}
	memcpy(out->mem, native_mem, 64);
}

/* ---- the emulator side ---- */

struct emu {
	uint8_t *mem;
	struct x86_cpu *cpu;
	struct x86_state *s;
};

static uint8_t *emu_ram_page(void *o, uint64_t gpa, bool write)
{
	struct emu *e = o;
	return gpa < MEM_SIZE ? e->mem + gpa : NULL;
}

static const struct x86_ops emu_ops = {.ram_page = emu_ram_page};

static void put64(struct emu *e, uint64_t a, uint64_t v)
{
	memcpy(e->mem + a, &v, 8);
}

static struct emu *emu_new(void)
{
	struct emu *e = calloc(1, sizeof(*e));
	e->mem = calloc(1, MEM_SIZE);
	e->cpu = x86_cpu_new(&emu_ops, e);
	e->s = x86_cpu_state(e->cpu);
	/* 4-level paging, 2 MiB identity pages; a 64-bit code and a data
	 * segment in the GDT at 0x500; IDT gates to the vector-reporting stubs. */
	put64(e, 0x10000, 0x11000 | 7);
	put64(e, 0x11000, 0x12000 | 7);
	for (int i = 0; i < 2; i++)
		put64(e, 0x12000 + i * 8, ((uint64_t)i << 21) | 0x87);
	put64(e, 0x508, 0x00AF9A000000FFFFull);
	put64(e, 0x510, 0x00CF92000000FFFFull);
	for (int v = 0; v < 32; v++) {
		uint64_t h = HANDLERS + 16 * v;
		uint8_t stub[8] = {0x41, 0xBE, (uint8_t)v, 0,
				   0,	 0,    0xF4,	   0}; /* mov $v,%r14d; hlt */
		memcpy(e->mem + h, stub, 8);
		put64(e, IDT + 16 * v,
		      (h & 0xFFFF) | (0x08ull << 16) | (0x8Eull << 40) |
			  ((h >> 16 & 0xFFFF) << 48));
		put64(e, IDT + 16 * v + 8, 0);
	}
	return e;
}

static void emu_free(struct emu *e)
{
	x86_cpu_free(e->cpu);
	free(e->mem);
	free(e);
}

/* The x87/SSE state of an FXSAVE image into x86_fpu and back. */
static void fx_to_state(const uint8_t *fx, struct x86_fpu *f)
{
	memcpy(&f->fcw, fx, 2);
	memcpy(&f->fsw, fx + 2, 2);
	f->ftw = fx[4];
	memcpy(&f->mxcsr, fx + 24, 4);
	memcpy(f->st, fx + 32, 128);
	memcpy(f->xmm, fx + 160, 256);
}

static void state_to_fx(const struct x86_fpu *f, uint8_t *fx)
{
	memset(fx, 0, 512);
	memcpy(fx, &f->fcw, 2);
	memcpy(fx + 2, &f->fsw, 2);
	fx[4] = f->ftw;
	memcpy(fx + 24, &f->mxcsr, 4);
	memcpy(fx + 32, f->st, 128);
	memcpy(fx + 160, f->xmm, 256);
}

static uint64_t emu_cr0 = 0x80010031, emu_cr4 = 0x620; /* PE ET NE WP PG; PAE OSFXSR OSXMMEXCPT */

static void emulate(struct emu *e, const uint8_t *insn, size_t len, const struct run *in,
		    struct run *out)
{
	struct x86_state *s = e->s;
	x86_state_reset(s);
	s->cr3 = 0x10000;
	s->cr4 = emu_cr4;
	s->cr0 = emu_cr0;
	s->efer = X86_EFER_LME | X86_EFER_LMA;
	test_x86_seg(&s->seg[X86_CS], 0x08, 0xB, 0, false, true);
	for (int r = X86_ES; r <= X86_GS; r++)
		if (r != X86_CS)
			test_x86_seg(&s->seg[r], 0x10, 0x3, 0, true, false);
	s->seg[X86_TR].sel = 0;
	s->seg[X86_TR].type = 0xB;
	s->seg[X86_TR].present = 1;
	s->gdt.base = 0x500;
	s->gdt.limit = 0x17;
	s->idt.base = IDT;
	s->idt.limit = 32 * 16 - 1;
	s->rip = CODE;
	s->gpr[X86_RSP] = 0x8000;
	for (int i = 0; i < 8; i++)
		s->gpr[i < 4 ? i : i + 4] = in->gpr[i];
	s->gpr[X86_RSI] = s->gpr[X86_RDI] = DATA;
	s->gpr[X86_R14] = ~0ull;
	s->rflags = in->rflags;
	fx_to_state(in->fx, &s->fpu);
	memcpy(e->mem + CODE, insn, len);
	e->mem[CODE + len] = 0xF4;
	memcpy(e->mem + DATA, in->mem, 64);
	x86_cpu_state_changed(e->cpu);
	x86_run(e->cpu, 3);
	state_to_fx(&s->fpu, out->fx);
	for (int i = 0; i < 8; i++)
		out->gpr[i] = s->gpr[i < 4 ? i : i + 4];
	out->rflags = s->rflags;
	out->vector = s->gpr[X86_R14] == ~0ull ? -1 : (int)s->gpr[X86_R14];
	if (out->vector >= 0) /* the flags before delivery: the frame's RFLAGS */
		memcpy(&out->rflags, e->mem + 0x8000 - 24, 8);
	memcpy(out->mem, e->mem + DATA, 64);
}

/* ---- operands ---- */

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Edge values: single, then double. */
static const uint32_t edge32[] = {
    0x00000000, 0x80000000, 0x3F800000, 0xBF800000, 0x7F800000, 0xFF800000, 0x7FC00000,
    0xFFC00000, 0x7FA00001, 0xFF812345, 0x7FC12345, 0x00000001, 0x807FFFFF, 0x00800000,
    0x7F7FFFFF, 0xFF7FFFFF, 0x4F000000, 0xCF000000, 0x4EFFFFFF, 0x3F000000, 0x3FC00000,
    0x40200000, 0x5F000000, 0xDF000001, 0x00400000, 0x0DA24260, 0x33800000,
};
static const uint64_t edge64[] = {
    0x0000000000000000ull, 0x8000000000000000ull, 0x3FF0000000000000ull, 0xBFF0000000000000ull,
    0x7FF0000000000000ull, 0xFFF0000000000000ull, 0x7FF8000000000000ull, 0xFFF8000000000000ull,
    0x7FF4000000000001ull, 0xFFF0000000012345ull, 0x7FF8000000012345ull, 0x0000000000000001ull,
    0x800FFFFFFFFFFFFFull, 0x0010000000000000ull, 0x7FEFFFFFFFFFFFFFull, 0xFFEFFFFFFFFFFFFFull,
    0x41E0000000000000ull, 0xC1E0000000000000ull, 0x43E0000000000000ull, 0xC3E0000000000001ull,
    0x3FE0000000000000ull, 0x3FF8000000000000ull, 0x4004000000000000ull, 0x0008000000000000ull,
    0x36A0000000000000ull, 0x47EFFFFFE0000000ull, 0x3810000000000000ull,
};

static void fill_operand(uint8_t *p, unsigned len)
{
	for (unsigned i = 0; i < len; i += 8) {
		uint64_t v;
		switch (rnd() % 5) {
		case 0:
			v = rnd();
			break;
		case 1:
			v = edge64[rnd() % (sizeof(edge64) / 8)];
			break;
		case 2:
			v = edge32[rnd() % (sizeof(edge32) / 4)] |
			    (uint64_t)edge32[rnd() % (sizeof(edge32) / 4)] << 32;
			break;
		case 3: /* small integers, bytes and words near the saturation points */
			v = 0x7F80FF007FFF8000ull ^ (rnd() & 0x0101010101010101ull);
			break;
		default:
			v = rnd() & 0x000000FF000000FFull;
			break;
		}
		memcpy(p + i, &v, 8);
	}
}

static void random_state(struct run *r, uint32_t mxcsr)
{
	memset(r, 0, sizeof(*r));
	uint16_t fcw = 0x37F;
	memcpy(r->fx, &fcw, 2);
	memcpy(r->fx + 24, &mxcsr, 4);
	for (int i = 0; i < 8; i++) /* MMX registers: the mantissas of ST0-7 */
		fill_operand(r->fx + 32 + 16 * i, 8);
	fill_operand(r->fx + 160, 256);
	for (int i = 0; i < 8; i++)
		fill_operand((uint8_t *)&r->gpr[i], 8);
	fill_operand(r->mem, 64);
	r->rflags = 0x202 | (rnd() & 0x8D5);
}

/* ---- comparing ---- */

static int bad;

static void dump(const char *what, const uint8_t *insn, size_t len, const struct run *in,
		 const struct run *n, const struct run *e)
{
	char hex[64] = "";
	for (size_t i = 0; i < len; i++)
		sprintf(hex + 3 * i, "%02x ", insn[i]);
	uint32_t mi, mn, me;
	memcpy(&mi, in->fx + 24, 4);
	memcpy(&mn, n->fx + 24, 4);
	memcpy(&me, e->fx + 24, 4);
	T_CHECK(false, "%s[%s] %s: cpu vector %d mxcsr %#x, emu vector %d mxcsr %#x (in %#x)", hex,
		what, "mismatch", n->vector, mn, e->vector, me, mi);
}

/* Compare everything the instruction may change; the x87 part only as far
 * as MMX defines it (FCW, FSW, tags, registers). */
static bool same(const uint8_t *insn, size_t len, const struct run *in, const struct run *n,
		 const struct run *e)
{
	const char *what = NULL;
	if (n->vector != e->vector)
		what = "fault";
	else if (memcmp(n->fx + 160, e->fx + 160, 256))
		what = "xmm";
	else if (memcmp(n->fx + 24, e->fx + 24, 4))
		what = "mxcsr";
	else if (memcmp(n->fx + 32, e->fx + 32, 128))
		what = "st/mm";
	else if (memcmp(n->fx, e->fx, 5))
		what = "fcw/fsw/ftw";
	else if (memcmp(n->gpr, e->gpr, sizeof(n->gpr)))
		what = "gpr";
	else if ((n->rflags ^ e->rflags) & 0x8D5)
		what = "rflags";
	else if (memcmp(n->mem, e->mem, 64))
		what = "memory";
	if (what && bad++ < 400) {
		dump(what, insn, len, in, n, e);
		for (int i = 0; i < 16; i++)
			if (memcmp(n->fx + 160 + 16 * i, e->fx + 160 + 16 * i, 16)) {
				uint64_t a[2], b[2], c[2];
				memcpy(a, n->fx + 160 + 16 * i, 16);
				memcpy(b, e->fx + 160 + 16 * i, 16);
				memcpy(c, in->fx + 160 + 16 * i, 16);
				fprintf(stderr,
					"    xmm%d cpu %016llx%016llx emu %016llx%016llx in "
					"%016llx%016llx\n",
					i, (unsigned long long)a[1], (unsigned long long)a[0],
					(unsigned long long)b[1], (unsigned long long)b[0],
					(unsigned long long)c[1], (unsigned long long)c[0]);
			}
	}
	return !what;
}

/* ---- the sweep ---- */

/* Opcodes of the SSE maps ember implements (SDM tables A-3..A-5); the
 * others the host may know (AES, SHA, PCLMULQDQ, GFNI, AMD's SSE4a) are
 * not advertised and stay #UD in ember, so they are not compared. */
static bool sweep_opcode(int map, unsigned op, unsigned pfx)
{
	switch (map) {
	case 0:
		if (op == 0x2B && pfx >= 2) /* SSE4a MOVNTSS/MOVNTSD */
			return false;
		return (op >= 0x10 && op <= 0x17) || (op >= 0x28 && op <= 0x2F) ||
		       (op >= 0x50 && op <= 0x77) || (op >= 0x7C && op <= 0x7F) ||
		       (op >= 0xC2 && op <= 0xC6) || op >= 0xD0;
	case 1:
		return op <= 0x0B || op == 0x10 || op == 0x14 || op == 0x15 || op == 0x17 ||
		       (op >= 0x1C && op <= 0x1E) || (op >= 0x20 && op <= 0x25) ||
		       (op >= 0x28 && op <= 0x2B) || (op >= 0x30 && op <= 0x35) ||
		       (op >= 0x37 && op <= 0x41) || op == 0xF0 || op == 0xF1;
	default:
		return (op >= 0x08 && op <= 0x0F) || (op >= 0x14 && op <= 0x17) ||
		       (op >= 0x20 && op <= 0x22) || (op >= 0x40 && op <= 0x42) ||
		       (op >= 0x60 && op <= 0x63);
	}
}

static bool has_imm(int map, unsigned op)
{
	return map == 2 || (map == 0 && ((op >= 0x70 && op <= 0x73) || op == 0xC2 ||
					 (op >= 0xC4 && op <= 0xC6)));
}

/* Registers safe to name in either ModRM field: never RSP, RBP, RSI, RDI
 * (the data pointer) or R12-R15 (the runners'). */
static const uint8_t safe_reg[] = {0, 1, 2, 3, 8, 9, 10, 11};

static size_t encode(uint8_t *b, int map, unsigned op, unsigned pfx, bool mem, bool rexw,
		     unsigned disp, unsigned imm)
{
	size_t n = 0;
	static const uint8_t pb[4] = {0, 0x66, 0xF3, 0xF2};
	unsigned reg = safe_reg[rnd() % 8], rm = safe_reg[rnd() % 8];
	if (pfx)
		b[n++] = pb[pfx];
	uint8_t rex = 0x40 | (rexw ? 8 : 0) | (reg >= 8 ? 4 : 0) | (!mem && rm >= 8 ? 1 : 0);
	if (rex != 0x40 || rnd() % 4 == 0)
		b[n++] = rex;
	b[n++] = 0x0F;
	if (map == 1)
		b[n++] = 0x38;
	else if (map == 2)
		b[n++] = 0x3A;
	b[n++] = (uint8_t)op;
	if (map == 0 && op == 0x77) /* EMMS: no ModRM */
		return n;
	if (mem) {
		b[n++] = (uint8_t)(0x46 | (reg & 7) << 3); /* disp8(%rsi) */
		b[n++] = (uint8_t)disp;
	} else {
		b[n++] = (uint8_t)(0xC0 | (reg & 7) << 3 | (rm & 7));
	}
	if (has_imm(map, op))
		b[n++] = (uint8_t)imm;
	return n;
}

/* Every rounding mode, DAZ, FTZ; then each exception unmasked alone
 * (IE DE ZE OE UE PE), all of them, and UE unmasked with FTZ. */
static const uint32_t mxcsr_modes[] = {0x1F80, 0x3F80, 0x5F80, 0x7F80, 0x1FC0,
				       0x9F80, 0xFFC0, 0x1F00, 0x1E80, 0x1D80,
				       0x1B80, 0x1780, 0x0F80, 0x0000, 0x9780};
#define NMODES (sizeof(mxcsr_modes) / sizeof(mxcsr_modes[0]))

static void test_sweep(void)
{
	struct emu *e = emu_new();
	unsigned runs = 0, faults = 0;
	bad = 0;
	for (int map = 0; map < 3; map++)
		for (unsigned op = 0; op < 256; op++)
			for (unsigned pfx = 0; pfx < 4; pfx++) {
				if (!sweep_opcode(map, op, pfx))
					continue;
				for (int k = 0; k < 60; k++) {
					uint8_t insn[16];
					bool mem = k & 1;
					/* Aligned or not: disp8 0, 8 or 4 from a 16-byte aligned
					 * RSI. */
					unsigned disp = (k % 6 == 5) ? 8 : (k % 12 == 3) ? 4 : 0;
					unsigned imm = (unsigned)rnd() & 0xFF;
					if (k < 16 && map == 0 && op >= 0x71 && op <= 0x73)
						imm &= 0x1F; /* shift counts within range too */
					size_t len =
					    encode(insn, map, op, pfx, mem, k % 8 == 2, disp, imm);
					struct run in, n, em;
					random_state(&in, mxcsr_modes[k % NMODES]);
					native(insn, len, &in, &n);
					emulate(e, insn, len, &in, &em);
					same(insn, len, &in, &n, &em);
					runs++;
					faults += n.vector >= 0;
				}
			}
	T_CHECK(bad == 0, "%d of %u runs differ from the CPU (first ones above/stderr)", bad, runs);
	printf("# sweep: %u runs, %u faulted on the CPU\n", runs, faults);
	emu_free(e);
}

/*
 * What the host cannot show (Linux runs user code with CR0.TS/EM clear and
 * CR4.OSFXSR/OSXMMEXCPT set), from the SDM's exception tables (vol. 2
 * tables 2-18/2-19 and 2-23, vol. 1 11.5.1): CR0.EM -> #UD; no OSFXSR -> #UD
 * for SSE but not for MMX; CR0.TS -> #NM for both; an unmasked exception
 * without OSXMMEXCPT -> #UD, with the flag set as for #XM.
 */
static void test_control_bits(void)
{
	static const uint8_t addps[] = {0x0F, 0x58, 0xC1};	 /* addps %xmm1, %xmm0 */
	static const uint8_t paddb[] = {0x0F, 0xFC, 0xC1};	 /* paddb %mm1, %mm0 */
	static const uint8_t ldmxcsr[] = {0x0F, 0xAE, 0x16};	 /* ldmxcsr (%rsi) */
	static const uint8_t divss[] = {0xF3, 0x0F, 0x5E, 0xC1}; /* divss %xmm1, %xmm0 */
	static const struct {
		const uint8_t *insn;
		size_t len;
		uint64_t cr0_set, cr4_clear;
		int vector;
	} cases[] = {
	    {addps, 3, X86_CR0_TS, 0, 7},	  {addps, 3, X86_CR0_EM, 0, 6},
	    {addps, 3, 0, X86_CR4_OSFXSR, 6},	  {ldmxcsr, 3, X86_CR0_TS, 0, 7},
	    {ldmxcsr, 3, 0, X86_CR4_OSFXSR, 6},	  {paddb, 3, X86_CR0_TS, 0, 7},
	    {paddb, 3, X86_CR0_EM, 0, 6},	  {paddb, 3, 0, X86_CR4_OSFXSR, -1},
	    {divss, 4, 0, X86_CR4_OSXMMEXCPT, 6}, {divss, 4, 0, 0, 19},
	};
	struct emu *e = emu_new();
	uint64_t cr0 = emu_cr0, cr4 = emu_cr4;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run in, out;
		random_state(&in, 0x1F80);
		if (cases[i].insn == divss) { /* 1 / 0 with ZE unmasked */
			uint32_t one = 0x3F800000, zero = 0, m = 0x1D80;
			memcpy(in.fx + 160, &one, 4);
			memcpy(in.fx + 176, &zero, 4);
			memcpy(in.fx + 24, &m, 4);
		}
		if (cases[i].insn == ldmxcsr)
			memcpy(in.mem, &(uint32_t){0x1F80}, 4);
		emu_cr0 = cr0 | cases[i].cr0_set;
		emu_cr4 = cr4 & ~cases[i].cr4_clear;
		emulate(e, cases[i].insn, cases[i].len, &in, &out);
		T_CHECK(out.vector == cases[i].vector, "case %zu: vector %d, want %d", i,
			out.vector, cases[i].vector);
		T_CHECK(!memcmp(in.fx + 160, out.fx + 160, 256), "case %zu: XMM changed", i);
		if (cases[i].insn == divss) {
			uint32_t m;
			memcpy(&m, out.fx + 24, 4);
			T_EQ(m, 0x1D84); /* ZE set, the destination unchanged */
		}
	}
	emu_cr0 = cr0;
	emu_cr4 = cr4;
	emu_free(e);
}

static void setup_native(void)
{
	native_code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct sigaction sa = {0};
	sa.sa_sigaction = native_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

int main(void)
{
	setup_native();
	T_RUN(test_sweep);
	T_RUN(test_control_bits);
	T_EXIT();
}
