/*
 * test_x86_fpu.c - the x87 and the FP state instructions against the host CPU:
 * each case runs natively in this process and in the emulator from the same
 * FXSAVE image, and the images after, the memory operand and RFLAGS must be
 * bit-identical (FIP and FDP compared relative to the code and data).
 * Every valid x87 encoding is run on edge and random operands in each
 * rounding and precision mode, with exceptions masked and unmasked; then
 * FNSTENV/FLDENV/FNSAVE/FRSTOR, FXSAVE/FXRSTOR, XSAVE/XSAVEOPT/XSAVEC/XRSTOR
 * and XGETBV come next.  Not SSE.
 */
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#include "t.h"
#include "unit/test_x86.h"
#include "x86/x86.h"

#define MEM_SIZE (8u << 20)
#define GDT	 0x1000
#define IDT	 0x2000
#define CODE	 0x20000
#define FAULT	 0x21000 /* every vector's handler: HLT */
#define DATA	 0x30000 /* operand [RDI] */
#define IMG_IN	 0x31000 /* the FXSAVE/XSAVE image loaded first [RSI] */
#define IMG_OUT	 0x32000 /* the image saved after [RDX] */
#define FLAGS	 0x33000 /* RFLAGS after [RCX] */

struct fvm {
	uint8_t *mem;
	struct x86_cpu *cpu;
	struct x86_state *s;
};

static uint8_t *fvm_ram_page(void *o, uint64_t gpa, bool write)
{
	struct fvm *v = o;
	return gpa < MEM_SIZE ? v->mem + gpa : NULL;
}

static int ferr_count;
static void fvm_ferr(void *o)
{
	ferr_count++;
}

static const struct x86_ops fvm_ops = {.ram_page = fvm_ram_page, .ferr = fvm_ferr};

static struct fvm vm;

static void put64(uint64_t a, uint64_t v)
{
	memcpy(vm.mem + a, &v, 8);
}

/* 64-bit mode at CPL 0, 0-8 MiB identity-mapped, every vector to FAULT. */
static void fvm_reset(void)
{
	struct x86_state *s = vm.s;
	x86_state_reset(s);
	put64(GDT + 0x08, 0x00AF9A000000FFFFull);
	put64(GDT + 0x10, 0x00CF92000000FFFFull);
	s->gdt.base = GDT;
	s->gdt.limit = 0x17;
	for (int v = 0; v < 256; v++) {
		put64(IDT + v * 16, (FAULT & 0xFFFF) | (0x08ull << 16) | (0x8Eull << 40) |
					((uint64_t)(FAULT >> 16) << 48));
		put64(IDT + v * 16 + 8, 0);
	}
	vm.mem[FAULT] = 0xF4;
	s->idt.base = IDT;
	s->idt.limit = 0xFFF;
	put64(0x10000, 0x11000 | 7);
	put64(0x11000, 0x12000 | 7);
	for (int i = 0; i < 4; i++)
		put64(0x12000 + i * 8, ((uint64_t)i << 21) | 0x87);
	s->cr3 = 0x10000;
	s->cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT | X86_CR4_OSXSAVE;
	s->xcr0 = 3;
	s->efer = X86_EFER_LME | X86_EFER_LMA;
	s->cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET | X86_CR0_NE | X86_CR0_MP;
	test_x86_seg(&s->seg[X86_CS], 0x08, 0xB, 0, false, true);
	for (int r = X86_ES; r <= X86_GS; r++)
		if (r != X86_CS)
			test_x86_seg(&s->seg[r], 0x10, 0x3, 0, true, false);
	s->seg[X86_TR].type = 0xB;
	s->seg[X86_TR].present = 1;
	s->gpr[X86_RSP] = 0x7F000;
	s->rip = CODE;
	x86_cpu_state_changed(vm.cpu);
}

/*
 * The harness around the instruction under test, natively a function
 * f(rdi = data, rsi = image in, rdx = image out, rcx = flags out, r8 = flags
 * in); in the guest the same bytes with HLT for RET:
 *   push %r8; popfq; fxrstor64 (%rsi) | xrstor64 (%rsi) (EDX:EAX = 3);
 *   <insn>; fxsave64 (%rdx); pushfq; popq (%rcx); ret
 */
enum { LOAD_FX, LOAD_X };
static size_t harness(uint8_t *p, const uint8_t *insn, size_t n, int load, bool native)
{
	static const uint8_t pre[] = {0x41, 0x50, 0x9D};
	static const uint8_t fxr[] = {0x48, 0x0F, 0xAE, 0x0E};
	/* fxsave64 (%rdx); fnstenv 512(%rdx); pushfq; popq (%rcx) */
	static const uint8_t post[] = {0x48, 0x0F, 0xAE, 0x02, 0xD9, 0xB2, 0x00,
				       0x02, 0x00, 0x00, 0x9C, 0x8F, 0x01};
	size_t k = 0;
	memcpy(p + k, pre, sizeof(pre));
	k += sizeof(pre);
	if (load == LOAD_FX) {
		memcpy(p + k, fxr, sizeof(fxr));
		k += sizeof(fxr);
	}
	memcpy(p + k, insn, n);
	k += n;
	memcpy(p + k, post, sizeof(post));
	k += sizeof(post);
	p[k++] = native ? 0xC3 : 0xF4;
	return k;
}

static uint8_t *ncode; /* the native harness page */
typedef void (*harness_fn)(void *rdi, void *rsi, void *rdx, void *rcx, uint64_t r8);

static sigjmp_buf native_jmp;
static volatile int native_sig;

static void native_fault(int sig)
{
	native_sig = sig;
	siglongjmp(native_jmp, 1);
}

struct outcome {
	bool fault;
	uint8_t img[512];
	uint8_t env[28]; /* FNSTENV after FXSAVE: the x87 pointers */
	uint8_t data[640];
	uint64_t flags;
};

/* Offsets of the code and data the images' FIP/FDP are relative to. */
static uint64_t n_insn_off, n_data_base;

static void run_native(const uint8_t *insn, size_t n, int load, const uint8_t *in_img,
		       const uint8_t *data, uint64_t fl, struct outcome *o)
{
	static uint8_t img_in[640] __attribute__((aligned(64)));
	static uint8_t img_out[540] __attribute__((aligned(64)));
	static uint8_t dbuf[640] __attribute__((aligned(64)));
	static uint64_t flags;
	memcpy(img_in, in_img, 512);
	memset(img_in + 512, 0, 128);
	memset(img_out, 0xCC, sizeof(img_out));
	memcpy(dbuf, data, sizeof(dbuf));
	harness(ncode, insn, n, load, true);
	n_insn_off = (uint64_t)(ncode + 3 + (load == LOAD_FX ? 4 : 0));
	n_data_base = (uint64_t)dbuf;
	native_sig = 0;
	memset(o, 0, sizeof(*o));
	if (!sigsetjmp(native_jmp, 1))
		((harness_fn)ncode)(dbuf, img_in, img_out, &flags, fl);
	asm volatile("fninit");
	o->fault = native_sig != 0;
	memcpy(o->img, img_out, 512);
	memcpy(o->env, img_out + 512, 28);
	memcpy(o->data, dbuf, sizeof(o->data));
	o->flags = flags;
}

static void run_emu(const uint8_t *insn, size_t n, int load, const uint8_t *in_img,
		    const uint8_t *data, uint64_t fl, struct outcome *o)
{
	fvm_reset();
	memcpy(vm.mem + IMG_IN, in_img, 512);
	memset(vm.mem + IMG_IN + 512, 0, 128);
	memset(vm.mem + IMG_OUT, 0xCC, 540);
	memcpy(vm.mem + DATA, data, sizeof(o->data));
	harness(vm.mem + CODE, insn, n, load, false);
	x86_cpu_invalidate_phys(vm.cpu, CODE, 64);
	vm.s->gpr[X86_RDI] = DATA;
	vm.s->gpr[X86_RSI] = IMG_IN;
	vm.s->gpr[X86_RDX] = IMG_OUT;
	vm.s->gpr[X86_RCX] = FLAGS;
	vm.s->gpr[X86_R8] = fl;
	vm.s->gpr[X86_RAX] = 3;
	uint64_t exc = 0;
	const struct x86_stats *st = x86_cpu_stats(vm.cpu);
	for (int v = 0; v < 32; v++)
		exc += st->exceptions[v];
	x86_run(vm.cpu, 100);
	uint64_t exc2 = 0;
	for (int v = 0; v < 32; v++)
		exc2 += st->exceptions[v];
	memset(o, 0, sizeof(*o));
	o->fault = exc2 != exc;
	memcpy(o->img, vm.mem + IMG_OUT, 512);
	memcpy(o->env, vm.mem + IMG_OUT + 512, 28);
	memcpy(o->data, vm.mem + DATA, sizeof(o->data));
	memcpy(&o->flags, vm.mem + FLAGS, 8);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* 80-bit edge values: sign/exponent, significand. */
static const struct {
	uint16_t se;
	uint64_t m;
} edge80[] = {
    {0x0000, 0},		     /* +0 */
    {0x8000, 0},		     /* -0 */
    {0x3FFF, 1ull << 63},	     /* 1 */
    {0xBFFF, 0xC000000000000000ull}, /* -1.5 */
    {0x7FFF, 1ull << 63},	     /* +inf */
    {0xFFFF, 1ull << 63},	     /* -inf */
    {0x7FFF, 0xC000000000000000ull}, /* QNaN indefinite-like */
    {0xFFFF, 0xC000000000000123ull}, /* QNaN with payload */
    {0x7FFF, 0x8000000000000456ull}, /* SNaN with payload */
    {0x0000, 0x0000000000000001ull}, /* smallest denormal */
    {0x8000, 0x7FFFFFFFFFFFFFFFull}, /* largest denormal */
    {0x0000, 0x8000000000000000ull}, /* pseudo-denormal */
    {0x4000, 0x4000000000000000ull}, /* unnormal */
    {0x7FFF, 0x4000000000000000ull}, /* pseudo-NaN */
    {0x7FFF, 0x0000000000000000ull}, /* pseudo-infinity */
    {0x7FFE, 0xFFFFFFFFFFFFFFFFull}, /* largest */
    {0x0001, 0x8000000000000000ull}, /* smallest normal */
    {0x403E, 0xFFFFFFFFFFFFFFFFull}, /* 2^64 - 1: integer overflow */
    {0x401D, 0x8000000000000000ull}, /* 2^31 */
    {0x3FFE, 0x8000000000000000ull}, /* 0.5: rounding tie */
    {0x4000, 0xC000000000000000ull}, /* 3 */
    {0x3FFF, 0x8000000000000400ull}, /* 1 + ulp(double)/2: rounding boundary */
    {0x3F80, 0x8000000000000000ull}, /* tiny: underflow in float */
    {0x43FF, 0x8000000000000000ull}, /* huge: overflow in double */
    {0x4034, 0xDE0B6B3A763FFFF0ull}, /* near 10^18: BCD limit */
};
#define NEDGE (sizeof(edge80) / sizeof(edge80[0]))

static void rand80(uint8_t *r)
{
	uint64_t m;
	uint16_t se;
	unsigned k = rnd() % (NEDGE + 4);
	if (k < NEDGE) {
		m = edge80[k].m;
		se = edge80[k].se;
	} else {
		m = rnd() | (1ull << 63);
		se = (uint16_t)((rnd() & 0x8000) | (0x3FFF - 70 + rnd() % 140));
	}
	memcpy(r, &m, 8);
	memcpy(r + 8, &se, 2);
}

/* A memory operand: 10 bytes of edge or random data in every format. */
static void rand_mem(uint8_t *d)
{
	static const uint32_t f32[] = {0,	   0x80000000, 0x3F800000, 0x7F800000,
				       0xFF800000, 0x7FC00000, 0x7FA00001, 0x00000001,
				       0x807FFFFF, 0x7F7FFFFF, 0x3EFFFFFF, 0x4B000001};
	static const uint64_t f64[] = {0,
				       0x8000000000000000ull,
				       0x3FF0000000000000ull,
				       0x7FF0000000000000ull,
				       0x7FF8000000000000ull,
				       0x7FF4000000000001ull,
				       0x0000000000000001ull,
				       0x800FFFFFFFFFFFFFull,
				       0x7FEFFFFFFFFFFFFFull,
				       0x4330000000000001ull,
				       0xC3E0000000000000ull};
	uint64_t r = rnd();
	memset(d, 0, 16);
	switch (rnd() % 6) {
	case 0:
		memcpy(d, &f32[r % 12], 4);
		break;
	case 1:
		memcpy(d, &f64[r % 11], 8);
		break;
	case 2:
		rand80(d);
		break;
	case 3: { /* integers near the limits */
		static const uint64_t iv[] = {0,	  1,	      0x7FFF,
					      0x8000,	  0xFFFF,     0x7FFFFFFF,
					      0x80000000, 0xFFFFFFFF, 0x8000000000000000ull,
					      ~0ull};
		memcpy(d, &iv[r % 10], 8);
		break;
	}
	case 4: /* packed BCD, sometimes with invalid digits */
		for (int i = 0; i < 9; i++)
			d[i] = (uint8_t)((rnd() % (r & 1 ? 16 : 10)) << 4 | rnd() % 10);
		d[9] = rnd() & 0x80;
		break;
	default:
		for (int i = 0; i < 10; i++)
			d[i] = (uint8_t)rnd();
		break;
	}
}

/* An FXSAVE image: control word cw, random TOP and tags, random registers. */
static void rand_image(uint8_t *img, uint16_t cw)
{
	memset(img, 0, 512);
	memcpy(img, &cw, 2);
	uint16_t sw = (uint16_t)((rnd() % 8) << 11 | (rnd() & 0x4700));
	memcpy(img + 2, &sw, 2);
	img[4] = (uint8_t)(rnd() % 4 == 0 ? 0xFF : rnd());
	uint32_t mxcsr = 0x1F80;
	memcpy(img + 24, &mxcsr, 4);
	for (int j = 0; j < 8; j++)
		rand80(img + 32 + 16 * j);
}

static int mismatches;
static bool state_image; /* the cases store FXSAVE/XSAVE images to memory */
static char first_case[256];

/* Compare two outcomes of insn; FIP/FDP relative to code and data. */
static bool same(const struct outcome *a, const struct outcome *b, uint64_t a_ip, uint64_t b_ip,
		 uint64_t a_dp, uint64_t b_dp, bool x87_pointers)
{
	if (a->fault != b->fault)
		return false;
	if (a->fault)
		return true;
	uint8_t ia[512], ib[512], ea[28], eb[28];
	memcpy(ia, a->img, 512);
	memcpy(ib, b->img, 512);
	memcpy(ea, a->env, 28);
	memcpy(eb, b->env, 28);
	/* MXCSR_MASK: the host's has AMD's MM bit (17); the emulator's is
	 * Intel's FFFFh, which is what it implements. */
	memset(ia + 28, 0, 4);
	memset(ib + 28, 0, 4);
	/* FXSAVE64's FIP/FDP (set only while ES is) and FNSTENV's offsets
	 * relative to the code and data; the selectors differ. */
	uint64_t fa, fb, da, db;
	memcpy(&fa, ia + 8, 8);
	memcpy(&fb, ib + 8, 8);
	memcpy(&da, ia + 16, 8);
	memcpy(&db, ib + 16, 8);
	/* Equal, or the same offset from the code / data (a loaded pointer is
	 * the same number, a recorded one the same place). */
	if (fa != fb && fa - a_ip != fb - b_ip)
		return false;
	if (da != db && da - a_dp != db - b_dp)
		return false;
	memset(ia + 8, 0, 16);
	memset(ib + 8, 0, 16);
	if (x87_pointers) {
		uint32_t ea_ip, eb_ip, ea_dp, eb_dp;
		memcpy(&ea_ip, ea + 12, 4);
		memcpy(&eb_ip, eb + 12, 4);
		memcpy(&ea_dp, ea + 20, 4);
		memcpy(&eb_dp, eb + 20, 4);
		if (ea_ip != eb_ip && ea_ip - (uint32_t)a_ip != eb_ip - (uint32_t)b_ip)
			return false;
		if (ea_dp != eb_dp && ea_dp - (uint32_t)a_dp != eb_dp - (uint32_t)b_dp)
			return false;
		if (ea_ip == eb_ip && memcmp(ea + 16, eb + 16, 2)) /* a loaded FCS */
			return false;
	}
	memset(ea + 12, 0, 6);
	memset(eb + 12, 0, 6);
	memset(ea + 20, 0, 8);
	memset(eb + 20, 0, 8);
	/* An image FXSAVE/XSAVE stored: its MXCSR_MASK too (above). */
	uint8_t da_[sizeof(a->data)], db_[sizeof(b->data)];
	memcpy(da_, a->data, sizeof(da_));
	memcpy(db_, b->data, sizeof(db_));
	if (state_image) {
		memset(da_ + 28, 0, 4);
		memset(db_ + 28, 0, 4);
	}
	return !memcmp(ia, ib, 160) && !memcmp(ea, eb, 28) && !memcmp(da_, db_, sizeof(da_)) &&
	       (a->flags & 0x8D5) == (b->flags & 0x8D5);
}

static void dump_case(const uint8_t *insn, size_t n, const uint8_t *img, const uint8_t *data,
		      const struct outcome *on, const struct outcome *oe)
{
	if (mismatches++) {
		if (getenv("X87_VERBOSE"))
			fprintf(stderr, "  also insn %02x %02x %02x %02x\n", insn[0],
				n > 1 ? insn[1] : 0, n > 10 ? insn[9] : 0, n > 11 ? insn[10] : 0);
		return;
	}
	char *p = first_case;
	p += sprintf(p, "insn");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, " %02x", insn[i]);
	p += sprintf(p, " fcw %04x fault %d/%d", img[0] | img[1] << 8, on->fault, oe->fault);
	fprintf(stderr, "x87 mismatch: %s\n", first_case);
	for (int k = 0; k < 160; k += 16) {
		fprintf(stderr, "  %3d in  ", k);
		for (int i = 0; i < 16; i++)
			fprintf(stderr, "%02x", img[k + i]);
		fprintf(stderr, "\n      cpu ");
		for (int i = 0; i < 16; i++)
			fprintf(stderr, "%02x", on->img[k + i]);
		fprintf(stderr, "\n      emu ");
		for (int i = 0; i < 16; i++)
			fprintf(stderr, "%02x", oe->img[k + i]);
		fprintf(stderr, "\n");
	}
	fprintf(stderr, "  env cpu ");
	for (int i = 0; i < 28; i++)
		fprintf(stderr, "%02x", on->env[i]);
	fprintf(stderr, "\n      emu ");
	for (int i = 0; i < 28; i++)
		fprintf(stderr, "%02x", oe->env[i]);
	fprintf(stderr, "\n  data in  ");
	for (int i = 0; i < 16; i++)
		fprintf(stderr, "%02x", data[i]);
	fprintf(stderr, "\n       cpu ");
	for (int i = 0; i < 16; i++)
		fprintf(stderr, "%02x", on->data[i]);
	fprintf(stderr, "\n       emu ");
	for (int i = 0; i < 16; i++)
		fprintf(stderr, "%02x", oe->data[i]);
	for (unsigned i = 0; i < sizeof(on->data); i++)
		if (on->data[i] != oe->data[i] && !(state_image && i >= 28 && i < 32)) {
			fprintf(stderr, "\n  data differs from byte %u: cpu ", i);
			for (unsigned j = i; j < i + 16 && j < sizeof(on->data); j++)
				fprintf(stderr, "%02x", on->data[j]);
			fprintf(stderr, " emu ");
			for (unsigned j = i; j < i + 16 && j < sizeof(on->data); j++)
				fprintf(stderr, "%02x", oe->data[j]);
			break;
		}
	if (state_image) {
		fprintf(stderr, "\n  header in ");
		for (unsigned i = 512; i < 576; i++)
			fprintf(stderr, "%02x", data[i]);
	}
	fprintf(stderr, "\n  flags cpu %#llx emu %#llx\n", (unsigned long long)on->flags,
		(unsigned long long)oe->flags);
}

static void one_case(const uint8_t *insn, size_t n, int load, const uint8_t *img,
		     const uint8_t *data, uint64_t fl, bool x87_pointers)
{
	struct outcome on, oe;
	run_emu(insn, n, load, img, data, fl, &oe);
	uint64_t e_ip = CODE + 3 + (load == LOAD_FX ? 4 : 0);
	/* A context switch between the instruction and FNSTENV loses the
	 * host's FIP/FDP/FOP (the kernel saves them only with ES, as FXSAVE
	 * does on AMD): a differing native run is repeated. */
	for (int tries = 0; tries < 3; tries++) {
		run_native(insn, n, load, img, data, fl, &on);
		if (same(&on, &oe, n_insn_off, e_ip, n_data_base, DATA, x87_pointers))
			return;
	}
	dump_case(insn, n, img, data, &on, &oe);
}

/* Is this x87 encoding one the emulator runs on the host (not a control
 * instruction, which needs its own checks)? */
static bool x87_computing(uint8_t esc, uint8_t modrm)
{
	uint8_t b[3] = {esc, modrm, 0x90};
	int len = x86_insn_length(b, 3, 64);
	if (len < 0)
		return false;
	unsigned reg = (modrm >> 3) & 7;
	if ((modrm >> 6) != 3)
		return !((esc == 0xD9 && reg >= 4) || (esc == 0xDD && reg >= 4));
	return !(esc == 0xDB && modrm >= 0xE0 && modrm <= 0xE4) && !(esc == 0xDF && modrm == 0xE0);
}

static const uint16_t cws[] = {0x037F, 0x007F, 0x027F, 0x0F7F, 0x0B7F, 0x077F,
			       0x0340, 0x0360, 0x0372, 0x0C40, 0x0061};

/* Every computing x87 encoding (memory operand at [RDI]) on random states. */
static void test_x87_vs_host(void)
{
	uint8_t img[512], data[640], insn[2];
	int cases = 0;
	mismatches = 0;
	for (unsigned esc = 0xD8; esc <= 0xDF; esc++) {
		for (unsigned m = 0; m < 256; m++) {
			if ((m >> 6) != 3 && (m >> 6 != 0 || (m & 7) != 7))
				continue;
			if (!x87_computing((uint8_t)esc, (uint8_t)m))
				continue;
			insn[0] = (uint8_t)esc;
			insn[1] = (uint8_t)m;
			for (int k = 0; k < 24; k++) {
				rand_image(img, cws[rnd() % (sizeof(cws) / 2)]);
				memset(data, 0, sizeof(data));
				rand_mem(data);
				one_case(insn, 2, LOAD_FX, img, data, rnd() & 0x8D5, true);
				cases++;
			}
		}
	}
	T_CHECK(!mismatches, "%d of %d cases differ from the host CPU; first: %s", mismatches,
		cases, first_case);
}

/* FNSTENV/FLDENV/FNSAVE/FRSTOR (32-bit formats) and FNSTSW/FNSTCW/FLDCW,
 * FNCLEX, FNINIT, FNSTSW AX, FWAIT on a quiet state. */
static void test_x87_control_vs_host(void)
{
	static const uint8_t insns[][4] = {
	    {0xD9, 0x37},	/* fnstenv (%rdi) */
	    {0xD9, 0x27},	/* fldenv (%rdi) */
	    {0xDD, 0x37},	/* fnsave (%rdi) */
	    {0xDD, 0x27},	/* frstor (%rdi) */
	    {0xDD, 0x3F},	/* fnstsw (%rdi) */
	    {0xD9, 0x3F},	/* fnstcw (%rdi) */
	    {0xD9, 0x2F},	/* fldcw (%rdi) */
	    {0xDB, 0xE2},	/* fnclex */
	    {0xDB, 0xE3},	/* fninit */
	    {0xDB, 0xE0},	/* fneni */
	    {0xDB, 0xE1},	/* fndisi */
	    {0xDB, 0xE4},	/* fnsetpm */
	    {0xDF, 0xE0},	/* fnstsw %ax */
	    {0x9B},		/* fwait */
	    {0x66, 0xD9, 0x37}, /* fnstenv 14-byte */
	    {0x66, 0xDD, 0x27}, /* frstor 94-byte */
	};
	static const uint8_t len[] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 3, 3};
	uint8_t img[512], data[640];
	int cases = 0;
	mismatches = 0;
	for (unsigned i = 0; i < sizeof(len); i++) {
		for (int k = 0; k < 64; k++) {
			rand_image(img, 0x037F);
			/* no pending unmasked exception: a waiting instruction would trap */
			img[2] &= 0x40;
			img[3] &= 0x7F;
			memset(data, 0, sizeof(data));
			for (int b = 0; b < 108; b++)
				data[b] = (uint8_t)rnd();
			data[0] |= 0x3F; /* a loaded control word masks everything */
			data[1] &= 0x0F;
			data[2] &= 0x40; /* and the loaded status word has nothing pending */
			data[3] &= 0x7F;
			memcpy(data + 4, data, 4); /* the 16-bit format's FSW too */
			one_case(insns[i], len[i], LOAD_FX, img, data, 0, true);
			cases++;
		}
	}
	T_CHECK(!mismatches, "%d of %d cases differ from the host CPU; first: %s", mismatches,
		cases, first_case);
}

/* An XSAVE-family instruction at [RDI] with EDX:EAX = mask:
 * push %rdx; xor %edx,%edx; mov $mask,%eax; <insn>; pop %rdx */
static size_t xs_insn(uint8_t *b, const uint8_t *op, size_t n, uint32_t mask)
{
	size_t k = 0;
	b[k++] = 0x52;
	b[k++] = 0x31;
	b[k++] = 0xD2;
	b[k++] = 0xB8;
	memcpy(b + k, &mask, 4);
	k += 4;
	memcpy(b + k, op, n);
	k += n;
	b[k++] = 0x5A;
	return k;
}

/* FXSAVE/FXRSTOR in both formats, XSAVE/XSAVEOPT/XSAVEC and XRSTOR (standard
 * and compacted headers, good and bad) on random states and random memory. */
static void test_state_vs_host(void)
{
	static const struct {
		uint8_t op[5];
		uint8_t n;
		bool restore;
	} ops[] = {
	    {{0x48, 0x0F, 0xAE, 0x07}, 4, false}, /* fxsave64 (%rdi) */
	    {{0x0F, 0xAE, 0x07}, 3, false},	  /* fxsave (%rdi) */
	    {{0x48, 0x0F, 0xAE, 0x0F}, 4, true},  /* fxrstor64 (%rdi) */
	    {{0x0F, 0xAE, 0x0F}, 3, true},	  /* fxrstor (%rdi) */
	    {{0x48, 0x0F, 0xAE, 0x27}, 4, false}, /* xsave64 (%rdi) */
	    {{0x0F, 0xAE, 0x27}, 3, false},	  /* xsave (%rdi) */
	    {{0x48, 0x0F, 0xAE, 0x37}, 4, false}, /* xsaveopt64 (%rdi) */
	    {{0x48, 0x0F, 0xC7, 0x27}, 4, false}, /* xsavec64 (%rdi) */
	    {{0x48, 0x0F, 0xAE, 0x2F}, 4, true},  /* xrstor64 (%rdi) */
	    {{0x0F, 0xAE, 0x2F}, 3, true},	  /* xrstor (%rdi) */
	};
	uint8_t img[512], data[640], insn[16];
	int cases = 0;
	mismatches = 0;
	state_image = true;
	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		for (int k = 0; k < 200; k++) {
			rand_image(img, cws[rnd() % (sizeof(cws) / 2)]);
			for (int b = 160; b < 416; b++)
				img[b] = rnd() % 3 ? (uint8_t)rnd() : 0;
			if (rnd() % 4 == 0) /* the initial configurations */
				memset(img + 160, 0, 256);
			for (int b = 0; b < 640; b++)
				data[b] = (uint8_t)rnd();
			if (ops[i].restore) {
				rand_image(data, cws[rnd() % (sizeof(cws) / 2)]);
				for (int b = 160; b < 416; b++)
					data[b] = (uint8_t)rnd();
				if (rnd() % 8 == 0) { /* reserved MXCSR bits: #GP (not
						       * AMD's MM, bit 17: not Intel's) */
					uint32_t m = 0x1F80 | 1u << (18 + rnd() % 14);
					memcpy(data + 24, &m, 4);
				}
				uint64_t bv = rnd() % 4, comp = 0;
				switch (rnd() % 6) {
				case 0: /* compacted */
					comp = 1ull << 63 | (bv | (rnd() % 4));
					break;
				case 1: /* a component XCR0 lacks, or a reserved byte: #GP
					 * (supervisor components: the host's XCR0 has AVX...) */
					if (rnd() % 2)
						bv |= 1ull << (10 + rnd() % 7);
					else
						data[512 + 16 + rnd() % 48] = 1;
					break;
				}
				memcpy(data + 512, &bv, 8);
				memcpy(data + 520, &comp, 8);
				if (rnd() % 6)
					memset(data + 528, 0, 48);
			}
			uint32_t mask = rnd() % 5 ? 3 : (uint32_t)(rnd() % 4);
			size_t n = xs_insn(insn, ops[i].op, ops[i].n, mask);
			one_case(insn, n, LOAD_FX, img, data, 0, false);
			cases++;
		}
	}
	T_CHECK(!mismatches, "%d of %d cases differ from the host CPU; first: %s", mismatches,
		cases, first_case);
}

/* XGETBV(0) is XCR0 and CPUID leaf 0xD what XSAVE writes: checked on the
 * emulator's own CPUID (the host's XCR0 has AVX and more). */
static void test_xgetbv_cpuid(void)
{
	static const uint8_t code[] = {0x31, 0xC9, 0x0F, 0x01, 0xD0, /* xor ecx; xgetbv */
				       0x89, 0xC3,		     /* mov %eax,%ebx */
				       0xB8, 0x0D, 0,	 0,    0,    /* mov $0xd,%eax */
				       0x0F, 0xA2, 0xF4};	     /* cpuid; hlt */
	fvm_reset();
	memcpy(vm.mem + CODE, code, sizeof(code));
	x86_cpu_invalidate_phys(vm.cpu, CODE, 64);
	x86_run(vm.cpu, 10);
	T_EQ(vm.s->gpr[X86_RBX], 576); /* XSAVE size for XCR0 */
	T_EQ(vm.s->gpr[X86_RAX], 3);   /* x87 and SSE supported */
	T_EQ(vm.s->gpr[X86_RCX], 576); /* the largest size */
	T_EQ(vm.s->rip, CODE + sizeof(code));
}

/*
 * An unmasked exception is taken at the next waiting instruction: #MF with
 * CR0.NE set, FIP at the instruction that raised it; with NE clear, FERR#
 * (the platform's IRQ 13) once, and the FWAIT goes on (SDM vol. 1, 8.7, D.2).
 *   fninit; fldcw (%rdi); fld1; fldz; fdivp; fwait; hlt    (FCW 37Bh: ZE unmasked)
 */
static void test_unmasked_mf_ferr(void)
{
	static const uint8_t code[] = {0xDB, 0xE3, 0xD9, 0x2F, 0xD9, 0xE8,
				       0xD9, 0xEE, 0xDE, 0xF9, 0x9B, 0xF4};
	for (int ne = 0; ne < 2; ne++) {
		fvm_reset();
		if (!ne)
			vm.s->cr0 &= ~X86_CR0_NE;
		memcpy(vm.mem + CODE, code, sizeof(code));
		vm.mem[DATA] = 0x7B;
		vm.mem[DATA + 1] = 0x03;
		x86_cpu_invalidate_phys(vm.cpu, CODE, 64);
		vm.s->gpr[X86_RDI] = DATA;
		ferr_count = 0;
		uint64_t mf = x86_cpu_stats(vm.cpu)->exceptions[16];
		x86_run(vm.cpu, 20);
		T_EQ(vm.s->fpu.fsw & 0x80FF, 0x8084); /* B, ES, ZE */
		T_EQ(vm.s->fpu.fip, CODE + 8);
		T_EQ(vm.s->fpu.fop, 0x6F9);
		if (ne) {
			T_EQ(x86_cpu_stats(vm.cpu)->exceptions[16] - mf, 1);
			T_EQ(vm.s->rip, FAULT + 1);
			T_EQ(ferr_count, 0);
		} else {
			T_EQ(x86_cpu_stats(vm.cpu)->exceptions[16] - mf, 0);
			T_EQ(vm.s->rip, CODE + sizeof(code));
			T_EQ(ferr_count, 1);
		}
	}
}

/* CR0.TS and EM: #NM for x87 instructions, FWAIT only with MP and TS,
 * FXSAVE with TS or EM, XSAVE with TS only; OSXSAVE clear: XSAVE and XGETBV
 * #UD (SDM vol. 3A 2.5, table 2-2; vol. 2 XSAVE, XGETBV). */
static void test_nm_ud(void)
{
	static const struct {
		uint8_t code[4];
		uint8_t n;
		uint64_t cr0_set, cr0_clear;
		bool no_osxsave;
		int vector; /* -1: none */
	} cases[] = {
	    {{0xD9, 0xE8}, 2, X86_CR0_TS, 0, false, 7},		   /* fld1 */
	    {{0xD9, 0xE8}, 2, X86_CR0_EM, 0, false, 7},		   /* fld1 */
	    {{0xDB, 0xE3}, 2, X86_CR0_TS, 0, false, 7},		   /* fninit */
	    {{0x9B}, 1, X86_CR0_TS, 0, false, 7},		   /* fwait, MP set */
	    {{0x9B}, 1, X86_CR0_TS, X86_CR0_MP, false, -1},	   /* fwait, MP clear */
	    {{0x9B}, 1, X86_CR0_EM, 0, false, -1},		   /* fwait, EM */
	    {{0x0F, 0xAE, 0x07}, 3, X86_CR0_EM, 0, false, 7},	   /* fxsave */
	    {{0x0F, 0xAE, 0x27}, 3, X86_CR0_TS, 0, false, 7},	   /* xsave */
	    {{0x0F, 0xAE, 0x27}, 3, X86_CR0_EM, 0, false, -1},	   /* xsave ignores EM */
	    {{0x0F, 0xAE, 0x27}, 3, 0, 0, true, 6},		   /* xsave, OSXSAVE clear */
	    {{0x0F, 0x01, 0xD0}, 3, 0, 0, true, 6},		   /* xgetbv, OSXSAVE clear */
	    {{0x0F, 0xAE, 0x07 | 0x40, 0x01}, 4, 0, 0, false, 13}, /* fxsave 1(%rdi) */
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fvm_reset();
		vm.s->cr0 = (vm.s->cr0 | cases[i].cr0_set) & ~cases[i].cr0_clear;
		if (cases[i].no_osxsave)
			vm.s->cr4 &= ~X86_CR4_OSXSAVE;
		memcpy(vm.mem + CODE, cases[i].code, cases[i].n);
		vm.mem[CODE + cases[i].n] = 0xF4;
		x86_cpu_invalidate_phys(vm.cpu, CODE, 64);
		vm.s->gpr[X86_RDI] = DATA;
		vm.s->gpr[X86_RAX] = 3;
		vm.s->gpr[X86_RCX] = 0;
		uint64_t before[32];
		memcpy(before, x86_cpu_stats(vm.cpu)->exceptions, sizeof(before));
		x86_run(vm.cpu, 5);
		int got = -1;
		for (int v = 0; v < 32; v++)
			if (x86_cpu_stats(vm.cpu)->exceptions[v] != before[v])
				got = v;
		T_CHECK(got == cases[i].vector, "case %u: vector %d, expected %d", i, got,
			cases[i].vector);
	}
}

int main(void)
{
	vm.mem = calloc(1, MEM_SIZE);
	vm.cpu = x86_cpu_new(&fvm_ops, &vm);
	vm.s = x86_cpu_state(vm.cpu);
	ncode = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	if (ncode == MAP_FAILED) {
		printf("FAIL test_x86_fpu: mmap of an executable page: refused\n");
		return 1;
	}
	struct sigaction sa = {.sa_handler = native_fault};
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	T_RUN(test_x87_vs_host);
	T_RUN(test_x87_control_vs_host);
	T_RUN(test_state_vs_host);
	T_RUN(test_xgetbv_cpuid);
	T_RUN(test_unmasked_mf_ferr);
	T_RUN(test_nm_ud);
	T_EXIT();
}
