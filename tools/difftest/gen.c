/*
 * tools/difftest/gen.c - generators of the differential tester: per class, a
 * table of instruction forms (opcode, operand pattern, sizes, undefined flags)
 * and one small hook for the registers the class uses implicitly.  Not an
 * assembler.  Encodings: Intel SDM vol. 2 ch. 2 (prefixes, REX, ModRM/SIB,
 * RIP-relative) and appendix A; undefined flags: each instruction's
 * "Flags Affected" section.
 *
 * RSP is kept canonical unless a case is about it (gen_canonical_rsp): a
 * non-canonical user RSP makes PVM emulate the instruction in the host
 * kernel.  Cases the host emulates anyway (compatibility mode, #GP/#UD) are
 * judged by running them natively (difftest.c, native.c).
 *
 * Not generated, and why:
 *  - CPUID, RDTSC/RDTSCP, RDRAND/RDSEED, XGETBV: host values or random numbers
 *    (ember's CPUID describes ember, by design); x87, SSE, AVX: ember
 *    advertises none of them and raises #UD, the CPU runs them;
 *  - SGDT/SIDT/SLDT/STR/SMSW: the host has UMIP; SYSCALL/SYSENTER: real system
 *    calls in the host process; INT n >= 0x80, INT1, INTO with OF set: the
 *    test machine's IDT gate DPLs differ from Linux's there;
 *  - where this AMD CPU and the SDM (which ember follows) part, measured:
 *    far JMP/CALL and LSS/LFS/LGS with REX.W (AMD keeps m16:32), LOCK VERW
 *    (AMD runs it), RETF/IRET to a selector with RPL < CPL (AMD reads the
 *    outer SS:RSP first), 66-prefixed near branches and ENTER frames reaching
 *    unmapped pages, both CMPS operands faulting (which is read first is not
 *    architectural), RFLAGS.AC (the host runs user code with CR0.AM set),
 *    SYSEXIT at CPL3 in 64-bit mode (AMD #UD: no SYSENTER/SYSEXIT in long
 *    mode; the SDM #GP(0));
 */
#include <stdio.h>
#include <string.h>

#include "gen_int.h"
#include "genfp.h"

/* ---- random numbers (splitmix64) and interesting values ---- */

uint64_t gen_rnd(struct gen *g)
{
	uint64_t z = (g->rng += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

unsigned gen_below(struct gen *g, unsigned n)
{
	return (unsigned)(gen_rnd(g) % n);
}

bool gen_one_in(struct gen *g, unsigned n)
{
	return gen_below(g, n) == 0;
}

static const uint64_t gen_edges[] = {
    0,
    1,
    2,
    3,
    0x7F,
    0x80,
    0xFF,
    0x100,
    0x7FFF,
    0x8000,
    0xFFFF,
    0x10000,
    0x7FFFFFFF,
    0x80000000,
    0xFFFFFFFF,
    0x100000000ull,
    0x7FFFFFFFFFFFFFFFull,
    0x8000000000000000ull,
    0xFFFFFFFFFFFFFFFFull,
    0xFFFFFFFFFFFFFFFEull,
    0xFFFFFFFF80000000ull,
    0xFFFFFFFFFFFF8000ull,
    0xFFFFFFFFFFFFFF80ull,
    0x5555555555555555ull,
    0xAAAAAAAAAAAAAAAAull,
};

static const uint8_t gen_counts[] = {0,	 1,  2,	 3,  7,	 8,  9,	  15,  16, 17,
				     31, 32, 33, 63, 64, 65, 127, 128, 255};

/* Edge values, their neighbours, sign-extended narrow values, or noise. */
uint64_t gen_value(struct gen *g)
{
	uint64_t e = gen_edges[gen_below(g, ARRAY_SIZE(gen_edges))];

	switch (gen_below(g, 8)) {
	case 0:
	case 1:
	case 2:
		return e;
	case 3:
		return e + gen_below(g, 5) - 2;
	case 4:
		return (uint64_t)(int64_t)(int8_t)gen_rnd(g);
	case 5:
		return (uint64_t)(int64_t)(int32_t)gen_rnd(g);
	default:
		return gen_rnd(g);
	}
}

static uint8_t count_value(struct gen *g)
{
	if (gen_one_in(g, 4))
		return (uint8_t)gen_rnd(g);
	return gen_counts[gen_below(g, sizeof(gen_counts))];
}

static uint64_t opmask(unsigned bytes)
{
	return bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
}

void gen_set_reg(struct gen *g, int r, uint64_t v)
{
	if (!(g->addr_regs & (1u << r)))
		g->c->gpr[r] = v;
}

/* Seed memory the instruction reads, where it is a compared (restored) region. */
void gen_seed_mem(struct gen *g, uint64_t addr, const void *bytes, unsigned len)
{
	static const struct dt_region seedable[] = {
	    {DT_DATA, DT_DATA_SIZE},
	    {DT_RO_PAGE, 0x2000},
	    {DT_STACK, DT_STACK_SIZE},
	};
	struct dt_case *c = g->c;
	unsigned slot = 0;

	while (slot < DT_MEM_SEEDS && c->mem[slot].len)
		slot++;
	if (slot == DT_MEM_SEEDS || len > sizeof(c->mem[0].init))
		return;
	for (unsigned i = 0; i < 3; i++)
		if (addr >= seedable[i].gpa && addr + len <= seedable[i].gpa + seedable[i].len) {
			c->mem[slot].addr = addr;
			c->mem[slot].len = len;
			memcpy(c->mem[slot].init, bytes, len);
			return;
		}
}

/* ---- memory operands ---- */

/*
 * A linear address for a size-byte access: mostly inside the data pages,
 * sometimes across into the hole after them, on the read-only, supervisor,
 * stack or code pages, in the system area, or non-canonical.
 */
static uint64_t pick_target(struct gen *g, unsigned size, bool noncanonical_ok)
{
	unsigned r = gen_below(g, 64);

	if (r == 0 || r == 1)
		return DT_DATA_HOLE - (size > 1 ? 1 + gen_below(g, size - 1) : 0);
	if (r == 2)
		return DT_RO_PAGE + gen_below(g, 0x1000 - size);
	if (r == 3)
		return DT_SUPER_PAGE + gen_below(g, 0x1000 - size);
	if (r == 4 && noncanonical_ok)
		return gen_one_in(g, 2)
			   ? 0x0000800000000000ull - gen_below(g, 8) + gen_below(g, 0x1000)
			   : 0xFFFF800000000000ull - 1 - gen_below(g, 0x1000);
	if (r == 5)
		return gen_below(g, 0x20000);
	if (r >= 6 && r < 10)
		return DT_STACK + gen_below(g, DT_STACK_SIZE - size);
	if (r == 10)
		return DT_CODE + gen_below(g, DT_CODE_SIZE - size);
	if (r < 40)
		return (DT_DATA + gen_below(g, DT_DATA_SIZE - size)) & ~(uint64_t)(size - 1);
	return DT_DATA + gen_below(g, DT_DATA_SIZE - size);
}

/* The base behind a segment override prefix (dt.h: FS and GS are flat in
 * compatibility mode). */
static uint64_t seg_base(const struct gen *g, int seg)
{
	if (g->compat)
		return 0;
	return seg == 0x64 ? DT_FS_BASE : seg == 0x65 ? DT_GS_BASE : 0;
}

static bool gen_canonical(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

/* Register value whose address-size-truncated value is v (garbage above for a32). */
static uint64_t addr_reg_value(struct gen *g, uint64_t v)
{
	return g->a32 ? (v & 0xFFFFFFFF) | (gen_rnd(g) << 32) : v;
}

/* 32-bit addressing: a 67h prefix in 64-bit mode, the default in compatibility
 * mode (where 67h would select 16-bit addressing, which is not generated). */
static void maybe_a32(struct gen *g, unsigned one_in_n)
{
	if (g->compat) {
		g->a32 = true;
	} else if (gen_one_in(g, one_in_n)) {
		g->a32 = true;
		g->pfx[g->npfx++] = 0x67;
	}
}

/* Registers that can be encoded: 16 with REX, 8 without (or AH-BH for bytes). */
static unsigned nregs(const struct gen *g)
{
	return g->compat || (g->opsize == 1 && !g->want_rex) ? 8 : 16;
}

static void pick_segment(struct gen *g)
{
	/* ES CS SS DS: ignored in 64-bit mode; in compatibility mode a write
	 * through CS is #GP(0) (the CPU, run natively; under PVM's emulator it
	 * went through to paging). */
	static const uint8_t legacy[] = {0x26, 0x2E, 0x36, 0x3E};
	unsigned r = gen_below(g, 16);

	if (r == 0 || r == 1)
		g->seg = r == 0 ? 0x64 : 0x65;
	else if (r == 2)
		g->seg = legacy[gen_below(g, 4)];
	else
		g->seg = 0;
	if (g->seg)
		g->pfx[g->npfx++] = g->seg;
}

/* A displacement of 0, 1 or 4 bytes. */
static void pick_disp(struct gen *g)
{
	static const unsigned lens[] = {0, 1, 4};

	g->disp_len = lens[gen_below(g, 3)];
	g->disp = g->disp_len == 1 ? (uint32_t)(int32_t)(int8_t)gen_rnd(g)
		  : g->disp_len == 4
		      ? (uint32_t)(int32_t)(int16_t)gen_rnd(g) * (gen_one_in(g, 4) ? 0x10001 : 1)
		      : 0;
}

/*
 * ModRM memory operand at linear address `lin`: RIP-relative, absolute
 * (SIB without base), [base+disp] or [base+index*scale+disp].  The base
 * register gets whatever value makes the address come out right.
 */
static void build_mem(struct gen *g, unsigned size)
{
	bool any = g->f->flags & F_ANYADDR;
	unsigned mode = gen_below(g, 8), scale = gen_below(g, 4);
	int base = gen_below(g, g->compat ? 8 : 16), index;
	uint64_t lin, ea, iv = 0;

	if (base == X86_RSP && g->f->flags & F_KEEPSP)
		base = X86_RBX;
	maybe_a32(g, 8);
	pick_segment(g);
	lin = any && gen_one_in(g, 4) ? gen_rnd(g) : pick_target(g, size, !g->a32 && mode >= 2);
	/* Aligned forms (MOVAPS...): mostly aligned, sometimes not (#GP). */
	if (g->f->flags & F_ALIGN && !gen_one_in(g, 8))
		lin &= ~(uint64_t)(size - 1);
	/* A non-canonical RSP would hand the case to the host's emulator (see
	 * gen_canonical_rsp): non-canonical addresses use another base. */
	if (base == X86_RSP && !g->a32 && !gen_canonical(lin - seg_base(g, g->seg)))
		base = X86_RBX;
	ea = lin - seg_base(g, g->seg);
	if (g->a32)
		ea &= 0xFFFFFFFF;
	g->has_mem = true;
	g->mem = lin;
	g->has_modrm = true;
	if (mode == 0 && g->compat) { /* mod 00 r/m 101: disp32 alone */
		g->modrm = 0x05;
		g->disp_len = 4;
		g->disp = (uint32_t)ea;
		g->mem = (uint32_t)ea + seg_base(g, g->seg);
		return;
	}
	if (mode == 0) { /* RIP-relative: disp32 patched once RIP is known */
		g->modrm = 0x05;
		g->riprel = true;
		g->riprel_ea = ea;
		g->disp_len = 4;
		return;
	}
	if (mode == 1) { /* SIB, no base, no index: disp32 absolute */
		g->modrm = 0x04;
		g->has_sib = true;
		g->sib = 0x25;
		g->disp_len = 4;
		g->disp = (uint32_t)ea;
		if (!any && ea >= 0x80000000 && !g->a32)
			g->disp = DT_DATA;
		g->mem = (uint32_t)g->disp + seg_base(g, g->seg);
		return;
	}
	pick_disp(g);
	if ((base & 7) == 5 && g->disp_len == 0)
		g->disp_len = 1; /* mod 00 with base 101 means "no base" */
	g->modrm = (g->disp_len == 0 ? 0x00 : g->disp_len == 1 ? 0x40 : 0x80);
	if (mode < 4 && (base & 7) != 4) {
		g->modrm |= base & 7;
	} else {
		do
			index = gen_below(g, g->compat ? 8 : 16);
		while (index == X86_RSP || index == base);
		if (mode < 4) {
			index = 4; /* "no index"; REX.X stays clear */
			scale = 0;
		} else {
			iv = gen_one_in(g, 2) || base == X86_RSP
				 ? (uint64_t)(int64_t)(gen_below(g, 129) - 64)
				 : gen_value(g);
			g->c->gpr[index] = addr_reg_value(g, iv);
			g->addr_regs |= 1u << index;
			g->rex |= (index >> 3) << 1;
		}
		g->modrm |= 4;
		g->has_sib = true;
		g->sib = (uint8_t)(scale << 6 | (index & 7) << 3 | (base & 7));
	}
	g->c->gpr[base] =
	    addr_reg_value(g, ea - (uint64_t)(int64_t)(int32_t)g->disp - (iv << scale));
	g->addr_regs |= 1u << base;
	g->rex |= base >> 3;
}

/* ModRM for the current form: a register, or memory of msize bytes. */
static void build_modrm(struct gen *g)
{
	const struct form *f = g->f;
	bool mem = f->flags & F_MEM ? true : f->flags & F_REG ? false : gen_one_in(g, 2);
	unsigned regs = nregs(g);

	g->reg = f->ext >= 0 ? -1 : (int)gen_below(g, regs);
	g->rex |= g->reg >= 8 ? 4 : 0;
	if (mem) {
		build_mem(g, f->msize ? f->msize : g->opsize);
		g->rm_reg = -1;
	} else {
		g->has_modrm = true;
		g->rm_reg = gen_below(g, regs);
		g->modrm = 0xC0 | (g->rm_reg & 7);
		g->rex |= g->rm_reg >> 3;
	}
	g->modrm |= ((f->ext >= 0 ? f->ext : g->reg) & 7) << 3;
}

/* ---- class hooks: implicit registers and memory ---- */

static bool op_is(const struct gen *g, uint8_t a, uint8_t b)
{
	return g->f->op[0] == a && (g->f->oplen < 2 || g->f->op[1] == b);
}

static void hook_muldiv(struct gen *g)
{
	uint64_t m = opmask(g->opsize), d = g->rm_value & m;
	int ext = g->f->ext;

	gen_set_reg(g, X86_RAX, gen_value(g));
	gen_set_reg(g, X86_RDX, gen_value(g));
	if (ext < 6 || gen_one_in(g, 3))
		return;
	/* Mostly divisions whose quotient fits, so that results get compared. */
	if (d == 0)
		g->rm_value = d = 1 + gen_below(g, 1000);
	if (ext == 6) {
		uint64_t hi = gen_rnd(g) % d;

		if (g->opsize == 1)
			gen_set_reg(g, X86_RAX, (g->c->gpr[X86_RAX] & ~0xFF00ull) | hi << 8);
		else
			gen_set_reg(g, X86_RDX, hi);
	} else {
		uint64_t lo = g->c->gpr[X86_RAX], sign = lo >> (8 * g->opsize - 1) & 1;

		if (g->opsize == 1)
			gen_set_reg(g, X86_RAX, (lo & ~0xFF00ull) | (sign ? 0xFF00 : 0));
		else
			gen_set_reg(g, X86_RDX, sign ? ~0ull : 0);
	}
}

static void hook_bitops(struct gen *g)
{
	/* Register bit offsets address memory relative to the operand. */
	if (g->has_mem && g->reg >= 0 && !gen_one_in(g, 8))
		gen_set_reg(g, g->reg, (uint64_t)(int64_t)(gen_below(g, 1024) - 512));
	if ((op_is(g, 0x0F, 0xBC) || op_is(g, 0x0F, 0xBD)) && gen_one_in(g, 4))
		g->rm_value = gen_one_in(g, 2) ? 0 : 1ull << gen_below(g, 8 * g->opsize);
}

/* An implicit memory operand [reg] (string instructions, XLAT). */
static void implicit_ptr(struct gen *g, int reg, unsigned size, bool seg_ok, uint64_t *lin)
{
	*lin = pick_target(g, size, !g->a32);
	g->c->gpr[reg] = addr_reg_value(g, *lin - (seg_ok ? seg_base(g, g->seg) : 0));
	g->addr_regs |= 1u << reg;
}

static void hook_string(struct gen *g)
{
	static const uint32_t counts[] = {0, 1, 2, 3, 4, 7, 8, 15, 16, 17};
	uint8_t op = g->f->op[0], rep = 0;
	bool cmp = op == 0xA6 || op == 0xA7 || op == 0xAE || op == 0xAF;
	unsigned size = g->opsize;
	uint64_t src, dst, rcx;
	uint8_t bytes[16];

	maybe_a32(g, 4);
	if (op != 0xAA && op != 0xAB && op != 0xAE && op != 0xAF)
		pick_segment(g); /* the source (DS:rSI) takes an override */
	if (!gen_one_in(g, 3))
		rep = (cmp && gen_one_in(g, 2)) ? 0xF2 : 0xF3;
	if (rep)
		g->pfx[g->npfx++] = rep;
	g->c->rep_cmp = rep && cmp;
	implicit_ptr(g, X86_RSI, size, true, &src);
	implicit_ptr(g, X86_RDI, size, false, &dst);
	if (gen_one_in(g, 4))
		dst = src + (gen_one_in(g, 2) ? size : -(uint64_t)size),
		g->c->gpr[X86_RDI] = addr_reg_value(g, dst);
	if (cmp && op == 0xA6 + (size > 1)) { /* CMPS: only the source may fault */
		dst = DT_DATA + gen_below(g, DT_DATA_SIZE / 2);
		g->c->gpr[X86_RDI] = addr_reg_value(g, dst);
	}
	rcx = gen_one_in(g, 8)	 ? gen_value(g)
	      : gen_one_in(g, 2) ? counts[gen_below(g, 10)]
				 : gen_below(g, 64);
	g->c->gpr[X86_RCX] = g->a32 ? (rcx & 0xFFFFFFFF) | gen_rnd(g) << 32 : rcx;
	g->addr_regs |= 1u << X86_RCX;
	/* Equal runs so that REPE CMPS/SCAS goes on for a while. */
	for (unsigned i = 0; i < sizeof(bytes); i++)
		bytes[i] = (uint8_t)gen_rnd(g);
	gen_seed_mem(g, src, bytes, sizeof(bytes));
	if (cmp && gen_one_in(g, 2))
		bytes[gen_below(g, 16)] ^= 1;
	gen_seed_mem(g, dst, bytes, sizeof(bytes));
	if (cmp && gen_one_in(g, 2))
		memcpy(&g->c->gpr[X86_RAX], bytes, 8);
}

static void hook_movx(struct gen *g)
{
	uint64_t lin, al;

	if (op_is(g, 0xD7, 0)) { /* XLAT: [rBX + AL] */
		maybe_a32(g, 4);
		pick_segment(g);
		lin = pick_target(g, 1, !g->a32);
		al = g->c->gpr[X86_RAX] & 0xFF;
		g->c->gpr[X86_RBX] = addr_reg_value(g, lin - seg_base(g, g->seg) - al);
		return;
	}
	if (g->f->op[0] >= 0xA0 && g->f->op[0] <= 0xA3) { /* MOV with a moffs */
		maybe_a32(g, 4);
		pick_segment(g);
		lin = pick_target(g, g->opsize, !g->a32) - seg_base(g, g->seg);
		g->imm_len = g->a32 ? 4 : 8;
		memcpy(g->imm, &lin, 8);
	}
}

/* Make the ModRM.rm register operand register r. */
static void set_rm_reg(struct gen *g, int r)
{
	g->rm_reg = r;
	g->modrm = (uint8_t)((g->modrm & ~7) | (r & 7));
	g->rex = (uint8_t)((g->rex & ~1) | r >> 3);
}

/* Make the ModRM.reg register operand register r. */
static void set_reg_reg(struct gen *g, int r)
{
	g->reg = r;
	g->modrm = (uint8_t)((g->modrm & ~0x38) | (r & 7) << 3);
	g->rex = (uint8_t)((g->rex & ~4) | (r >> 3) << 2);
}

static void hook_atomic(struct gen *g)
{
	if (op_is(g, 0x0F, 0xB0) || op_is(g, 0x0F, 0xB1)) {
		/*
		 * CMPXCHG's register corners: the destination is the
		 * accumulator itself, the source is the destination or the
		 * accumulator; the compare succeeds about half the time (the
		 * upper halves of RAX and a 32-bit destination still differ).
		 * The destination's write-back after a failed compare is where
		 * the CPU and the SDM's pseudo-code part (see ex_cmpxchg).
		 */
		if (g->rm_reg >= 0) {
			unsigned r = gen_below(g, 4);

			if (r == 0)
				set_rm_reg(g, X86_RAX);
			else if (r == 1)
				set_reg_reg(g, g->rm_reg);
			else if (r == 2)
				set_reg_reg(g, X86_RAX);
		}
		if (gen_one_in(g, 2))
			gen_set_reg(g, X86_RAX, g->rm_value);
	} else if (op_is(g, 0x0F, 0xC7)) { /* CMPXCHG8B: EDX:EAX vs memory */
		uint64_t m = gen_rnd(g);

		gen_seed_mem(g, g->mem, &m, 8);
		if (gen_one_in(g, 2)) {
			gen_set_reg(g, X86_RAX, m & 0xFFFFFFFF);
			gen_set_reg(g, X86_RDX, m >> 32);
		}
	}
}

static void hook_stack(struct gen *g)
{
	uint64_t rsp, top, ret = DT_CODE + gen_below(g, DT_CODE_SIZE);
	/* CALL through a non-canonical pointer with a faulting push: Intel checks
	 * the target first, AMD pushes first; keep such pushes valid. */
	bool call_rm = g->f->op[0] == 0xFF && g->f->ext == 2;
	unsigned r = call_rm ? 3 : gen_below(g, 32);

	if (r == 0)
		rsp = DT_STACK + gen_below(g, 16); /* pushes run off the bottom */
	else if (r == 1)
		rsp = DT_STACK + DT_STACK_SIZE - gen_below(g, 16); /* pops run off the top */
	else if (r == 2) {
		rsp = 0x0000800000000000ull + gen_below(g, 32); /* non-canonical: #SS */
		g->rsp_noncanonical = true;
	} else
		rsp =
		    (DT_STACK + 0x400 + gen_below(g, 0x1000)) & (gen_one_in(g, 8) ? ~0ull : ~7ull);
	gen_set_reg(g, X86_RSP, rsp);
	rsp = g->c->gpr[X86_RSP];
	/* RBP for LEAVE and ENTER's nesting levels. */
	gen_set_reg(g, X86_RBP,
		    gen_one_in(g, 8) ? gen_value(g) : DT_STACK + 0x800 + 8 * gen_below(g, 0x100));
	/* POPF: any flags but AC (the host runs with CR0.AM) and NT (the host
	 * sometimes loses an NT set at CPL3: measured); TF now and then. */
	if (op_is(g, 0x9D, 0))
		top = gen_rnd(g) & ~(uint64_t)(X86_FLAGS_AC | X86_FLAGS_NT) &
		      ~(uint64_t)(gen_one_in(g, 8) ? 0 : X86_FLAGS_TF);
	else if (op_is(g, 0xC3, 0) || op_is(g, 0xC2, 0))
		top = gen_one_in(g, 8) ? gen_value(g) : ret;
	else
		top = gen_value(g);
	gen_seed_mem(g, rsp, &top, 8);
	/* Indirect call/jmp into the code pages, or to a canonical hole: AMD and
	 * Intel raise #GP for a non-canonical target at different points. */
	if (g->f->op[0] == 0xFF && (g->f->ext == 2 || g->f->ext == 4))
		g->rm_value = gen_one_in(g, 8) ? gen_value(g) & 0x00007FFFFFFFFFFFull : ret;
	/*
	 * ENTER: small frames inside the stack pages.  Its faults differ between
	 * AMD (which probes the final RSP) and the SDM, and faulting nesting
	 * levels reach the guest as #UD under PVM: keep RSP and RBP valid.
	 */
	if (op_is(g, 0xC8, 0)) {
		g->imm[2] = gen_one_in(g, 2) ? gen_below(g, 3) : (uint8_t)gen_rnd(g);
		g->imm[0] = (uint8_t)(gen_one_in(g, 2) ? 8 * gen_below(g, 4) : gen_rnd(g));
		g->imm[1] = 0;
		gen_set_reg(g, X86_RBP, DT_STACK + 0x800 + 8 * gen_below(g, 0x100));
		gen_set_reg(g, X86_RSP, DT_STACK + 0x1800 - 8 * gen_below(g, 0x80));
	}
}

static void hook_cond(struct gen *g)
{
	static const uint64_t rcx[] = {0, 1, 2, 0x100000000ull, 0xFFFFFFFFull, ~0ull};

	gen_set_reg(g, X86_RCX, gen_one_in(g, 2) ? rcx[gen_below(g, 6)] : gen_value(g));
}

/* Selectors whose descriptors the test machine's GDT and Linux's (which the
 * host process and, under PVM, the vCPU use) agree on: null, kernel code and
 * data, user code (32- and 64-bit) and data, the TSS, with RPL 0 or 3.  Not
 * 0x08/0x38 (different there), not above the machine's GDT limit, no LDT. */
static uint16_t pick_selector(struct gen *g)
{
	static const uint16_t sels[] = {0,    3,    0x10, 0x13, 0x18, 0x1B, 0x20, 0x23,
					0x28, 0x2B, 0x2B, 0x2B, 0x30, 0x33, 0x40, 0x43};

	return sels[gen_below(g, ARRAY_SIZE(sels))];
}

/* A user stack with room both ways. */
static void valid_stack(struct gen *g)
{
	gen_set_reg(g, X86_RSP, DT_STACK + 0x800 + 8 * gen_below(g, 0x100));
}

/* Seed `len` bytes at addr: a far pointer, a stack frame (16 bytes a slot). */
static void seed_words(struct gen *g, uint64_t addr, const uint64_t *w, unsigned n, unsigned size)
{
	uint8_t b[48];

	for (unsigned i = 0; i < n; i++)
		memcpy(b + i * size, &w[i], size);
	for (unsigned at = 0; at < n * size; at += 16)
		gen_seed_mem(g, addr + at, b + at, n * size - at < 16 ? n * size - at : 16);
}

/* A far pointer m16:size at addr: the offset, then the selector. */
static void seed_far_pointer(struct gen *g, uint64_t addr, const uint64_t w[2], unsigned size)
{
	gen_seed_mem(g, addr, &w[0], size);
	gen_seed_mem(g, addr + size, &w[1], 2);
}

/* INT n through a DPL0 gate, #GP(n * 8 + 2): below 0x80, and not 3 (DPL3
 * here) or 4 (DPL3 in Linux's IDT, which the native runs meet), nor 0x17,
 * 0x19, 0x1A, 0x1B, which a PVM guest's user process sees otherwise (#GP(0)
 * after the INT, a completed INT, #UD: the hypervisor's doing, measured on
 * every vector below 0x80; the others fault as the SDM says). */
static uint8_t pick_int_n(struct gen *g)
{
	uint8_t n;

	do
		n = (uint8_t)gen_below(g, 0x80);
	while (n == 3 || n == 4 || n == 0x17 || (n >= 0x19 && n <= 0x1B));
	return n;
}

/*
 * Under PVM the vCPU's DS, ES, FS and GS hold the host's selectors, and
 * segment loads and far transfers go through the host's GDT: the vCPU is no
 * oracle for them (measured: MOV r/m, DS stores 0 there).  Such cases run
 * natively only (difftest.c), where the selectors are the test machine's.
 */
static void hook_misc(struct gen *g)
{
	uint8_t op0 = g->f->op[0], op1 = g->f->op[1];

	g->c->native_only = op0 == 0x8C || op0 == 0x8E || op0 == 0xCD ||
			    (op0 == 0x0F && ((op1 >= 0xA0 && op1 <= 0xB5) || op1 <= 0x03));
	valid_stack(g);
	if (op_is(g, 0x0F, 0xC7)) { /* CMPXCHG16B: RDX:RAX against memory */
		uint64_t m[2] = {gen_rnd(g), gen_rnd(g)};

		seed_words(g, g->mem, m, 2, 8);
		if (gen_one_in(g, 2)) {
			gen_set_reg(g, X86_RAX, m[0]);
			gen_set_reg(g, X86_RDX, m[1]);
		}
	} else if (op0 == 0x8E) { /* MOV Sreg, r/m16 */
		g->rm_value = pick_selector(g);
	} else if (op0 == 0x0F && (op1 <= 0x03)) { /* LAR LSL VERR VERW */
		/* Not the TSS: Linux's (busy, another limit) is not the machine's. */
		g->rm_value = pick_selector(g);
		if ((g->rm_value & ~3) == DT_SEL_TSS)
			g->rm_value = DT_SEL_UDATA;
	} else if (op0 == 0xCC) {
		/*
		 * INT3 run natively with TF: whether a single-step trap follows
		 * the #BP delivery cannot be seen from user mode (the host
		 * kernel gets it); the emulator's side runs without TF.
		 */
		g->c->no_single_step = true;
	} else if (op0 == 0xCD) {
		g->imm[0] = pick_int_n(g);
	} else if (op0 == 0x0F && (op1 == 0xA1 || op1 == 0xA9)) { /* POP FS/GS */
		uint64_t sel = pick_selector(g) | (gen_one_in(g, 4) ? gen_rnd(g) << 16 : 0);

		gen_seed_mem(g, g->c->gpr[X86_RSP], &sel, 8);
	} else if (op0 == 0x0F && (op1 == 0xB2 || op1 == 0xB4 || op1 == 0xB5)) {
		uint64_t w[2] = {gen_value(g), pick_selector(g)}; /* LSS/LFS/LGS m16:opsize */

		seed_far_pointer(g, g->mem, w, g->opsize);
	}
}

/* Instructions valid only outside 64-bit mode, in compatibility mode. */
static void hook_legacy32(struct gen *g)
{
	uint8_t op = g->f->op[0];
	unsigned size = g->opsize;

	g->c->native_only = true; /* PVM emulates compatibility mode: see hook_misc */
	valid_stack(g);
	if (op == 0x62) { /* BOUND: the index inside, below or above [lo, hi] */
		int64_t idx = size == 2 ? (int16_t)g->c->gpr[g->reg] : (int32_t)g->c->gpr[g->reg];
		uint64_t w[2] = {(uint64_t)(idx - (int64_t)gen_below(g, 4) + 1),
				 (uint64_t)(idx + (int64_t)gen_below(g, 4) - 1)};

		seed_words(g, g->mem, w, 2, size);
	} else if (op == 0x07 || op == 0x17 || op == 0x1F) { /* POP ES/SS/DS */
		uint64_t sel = pick_selector(g) | (gen_one_in(g, 4) ? gen_rnd(g) << 16 : 0);

		gen_seed_mem(g, g->c->gpr[X86_RSP], &sel, 4);
	} else if (op == 0xC4 || op == 0xC5) { /* LES LDS m16:16/32 */
		uint64_t w[2] = {gen_value(g), pick_selector(g)};

		seed_far_pointer(g, g->mem, w, size);
	} else if (op == 0xEA || op == 0x9A) { /* JMP/CALL ptr16:16/32 */
		uint64_t off = DT_CODE + gen_below(g, DT_CODE_SIZE);
		uint16_t sel = gen_one_in(g, 2)	  ? DT_SEL_UCODE32
			       : gen_one_in(g, 2) ? DT_SEL_UCODE
						  : pick_selector(g) | 3;

		g->imm_len = size + 2;
		memcpy(g->imm, &off, size);
		memcpy(g->imm + size, &sel, 2);
	} else if (op == 0xD4 || op == 0xD5) { /* AAM AAD: base 10, 0 (#DE for AAM) or any */
		g->imm[0] = gen_one_in(g, 2) ? 10 : gen_one_in(g, 4) ? 0 : (uint8_t)gen_rnd(g);
	} else if (op == 0xCD) {
		g->imm[0] = pick_int_n(g);
	}
}

/* Far RET, IRET and far JMP/CALL through memory, from CPL3 to CPL3: to 64-bit
 * code (0x33), to compatibility mode (0x23), or to a selector that faults. */
static void hook_far(struct gen *g)
{
	uint64_t target = DT_CODE + gen_below(g, DT_CODE_SIZE), w[5];
	unsigned r = gen_below(g, 16);
	/* RPL 3 only: with RPL < CPL this AMD CPU reads the outer SS:RSP of a
	 * far return before it checks the selector (a #PF may win over the
	 * SDM's #GP(selector)), a detail ember does not model. */
	uint16_t cs = r < 9 ? DT_SEL_UCODE : r < 13 ? DT_SEL_UCODE32 : pick_selector(g) | 3;
	unsigned size = g->opsize;

	g->c->native_only = true; /* see hook_misc */
	valid_stack(g);
	if (cs == DT_SEL_UCODE && gen_one_in(g, 16))
		target = 0x0000800000000000ull + gen_below(g, 64); /* non-canonical: #GP */
	w[0] = target;
	w[1] = cs;
	if (op_is(g, 0xCF, 0)) { /* IRET: RIP CS RFLAGS RSP SS */
		w[2] = X86_FLAGS_FIXED |
		       (gen_rnd(g) & (FL_ARITH | X86_FLAGS_DF | X86_FLAGS_NT | X86_FLAGS_ID)) |
		       (gen_one_in(g, 8) ? X86_FLAGS_TF : 0);
		w[3] = DT_STACK + 0x400 + 8 * gen_below(g, 0x80);
		w[4] = gen_one_in(g, 8) ? pick_selector(g) | 3 : DT_SEL_UDATA;
		seed_words(g, g->c->gpr[X86_RSP], w, 5, size);
	} else if (g->f->op[0] == 0xCA || g->f->op[0] == 0xCB) { /* RETF: RIP CS */
		seed_words(g, g->c->gpr[X86_RSP], w, 2, size);
	} else { /* JMP/CALL m16:32 or m16:64 */
		seed_far_pointer(g, g->mem, w, size);
	}
}

/* ---- per-class tables ---- */

/* ADD OR ADC SBB AND SUB XOR CMP share eight encodings (SDM appendix A.3). */
static const char *const alu_names[8] = {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"};
static struct form alu_forms[8 * 9 + 16];
static unsigned alu_nr;

static const struct form alu_extra[] = {
    {"test rm,r", {0x84}, 1, O_RM, -1, S8, I_NONE, U_LOGIC, 0, 0, 0},
    {"test rm,r", {0x85}, 1, O_RM, -1, SV, I_NONE, U_LOGIC, 0, 0, 0},
    {"test al,i", {0xA8}, 1, O_NONE, 0, S8, I_8, U_LOGIC, 0, 0, 0},
    {"test ax,i", {0xA9}, 1, O_NONE, 0, SV, I_Z, U_LOGIC, 0, 0, 0},
    {"test rm,i", {0xF6}, 1, O_RM, 0, S8, I_8, U_LOGIC, 0, 0, 0},
    {"test rm,i", {0xF7}, 1, O_RM, 0, SV, I_Z, U_LOGIC, 0, 0, 0},
    {"not", {0xF6}, 1, O_RM, 2, S8, I_NONE, U_NONE, F_LOCK, 0, 0},
    {"not", {0xF7}, 1, O_RM, 2, SV, I_NONE, U_NONE, F_LOCK, 0, 0},
    {"neg", {0xF6}, 1, O_RM, 3, S8, I_NONE, U_NONE, F_LOCK, 0, 0},
    {"neg", {0xF7}, 1, O_RM, 3, SV, I_NONE, U_NONE, F_LOCK, 0, 0},
    {"inc", {0xFE}, 1, O_RM, 0, S8, I_NONE, U_NONE, F_LOCK, 0, 0},
    {"inc", {0xFF}, 1, O_RM, 0, SV, I_NONE, U_NONE, F_LOCK, 0, 0},
    {"dec", {0xFE}, 1, O_RM, 1, S8, I_NONE, U_NONE, F_LOCK, 0, 0},
    {"dec", {0xFF}, 1, O_RM, 1, SV, I_NONE, U_NONE, F_LOCK, 0, 0},
};

static void alu_build(void)
{
	static const struct form shapes[] = {
	    {"rm,r", {0x00}, 1, O_RM, -1, S8, I_NONE, 0, F_LOCK, 0, 0},
	    {"rm,r", {0x01}, 1, O_RM, -1, SV, I_NONE, 0, F_LOCK, 0, 0},
	    {"r,rm", {0x02}, 1, O_RM, -1, S8, I_NONE, 0, 0, 0, 0},
	    {"r,rm", {0x03}, 1, O_RM, -1, SV, I_NONE, 0, 0, 0, 0},
	    {"al,i", {0x04}, 1, O_NONE, 0, S8, I_8, 0, 0, 0, 0},
	    {"ax,i", {0x05}, 1, O_NONE, 0, SV, I_Z, 0, 0, 0, 0},
	    {"rm,i", {0x80}, 1, O_RM, 0, S8, I_8, 0, F_LOCK, 0, 0},
	    {"rm,i", {0x81}, 1, O_RM, 0, SV, I_Z, 0, F_LOCK, 0, 0},
	    {"rm,i8", {0x83}, 1, O_RM, 0, SV, I_8, 0, F_LOCK, 0, 0},
	};
	static char names[8][9][16];

	if (alu_nr)
		return;
	for (unsigned op = 0; op < 8; op++)
		for (unsigned i = 0; i < 9; i++) {
			struct form *f = &alu_forms[alu_nr++];

			*f = shapes[i];
			snprintf(names[op][i], sizeof(names[op][i]), "%s %s", alu_names[op],
				 shapes[i].name);
			f->name = names[op][i];
			if (f->op[0] < 0x80)
				f->op[0] += op * 8;
			else
				f->ext = op;
			f->undef = (op == 1 || op == 4 || op == 6) ? U_LOGIC : U_NONE;
			if (op == 7)
				f->flags &= ~F_LOCK;
		}
	for (unsigned i = 0; i < ARRAY_SIZE(alu_extra); i++)
		alu_forms[alu_nr++] = alu_extra[i];
}

/* ROL ROR RCL RCR SHL SHR SAL SAR by 1, CL and imm8 (SDM appendix A.4, group 2). */
static struct form shift_forms[6 * 8 + 4];
static unsigned shift_nr;

static void shift_build(void)
{
	static const char *const names[8] = {"rol", "ror", "rcl", "rcr",
					     "shl", "shr", "sal", "sar"};
	static const struct {
		uint8_t op, sizes, imm;
		uint16_t flags;
		const char *how;
	} shapes[] = {
	    {0xC0, S8, I_8, F_COUNT, "i"},
	    {0xC1, SV, I_8, F_COUNT, "i"},
	    {0xD0, S8, I_NONE, F_COUNT, "1"},
	    {0xD1, SV, I_NONE, F_COUNT, "1"},
	    {0xD2, S8, I_NONE, F_COUNT | F_CL, "cl"},
	    {0xD3, SV, I_NONE, F_COUNT | F_CL, "cl"},
	};
	static const struct form shxd[] = {
	    {"shld i", {0x0F, 0xA4}, 2, O_RM, -1, SV, I_8, U_SHXD, F_COUNT, 0, 0},
	    {"shld cl", {0x0F, 0xA5}, 2, O_RM, -1, SV, I_NONE, U_SHXD, F_COUNT | F_CL, 0, 0},
	    {"shrd i", {0x0F, 0xAC}, 2, O_RM, -1, SV, I_8, U_SHXD, F_COUNT, 0, 0},
	    {"shrd cl", {0x0F, 0xAD}, 2, O_RM, -1, SV, I_NONE, U_SHXD, F_COUNT | F_CL, 0, 0},
	};
	static char text[6][8][16];

	if (shift_nr)
		return;
	for (unsigned s = 0; s < 6; s++)
		for (unsigned e = 0; e < 8; e++) {
			snprintf(text[s][e], sizeof(text[s][e]), "%s %s", names[e], shapes[s].how);
			shift_forms[shift_nr++] = (struct form){
			    .name = text[s][e],
			    .op = {shapes[s].op},
			    .oplen = 1,
			    .ops = O_RM,
			    .ext = (int8_t)e,
			    .sizes = shapes[s].sizes,
			    .imm = shapes[s].imm,
			    .undef = U_GRP2,
			    .flags = shapes[s].flags,
			};
		}
	for (unsigned i = 0; i < 4; i++)
		shift_forms[shift_nr++] = shxd[i];
}

static const struct form muldiv_forms[] = {
    {"mul", {0xF6}, 1, O_RM, 4, S8, I_NONE, U_MUL, 0, 0, 0},
    {"mul", {0xF7}, 1, O_RM, 4, SV, I_NONE, U_MUL, 0, 0, 0},
    {"imul", {0xF6}, 1, O_RM, 5, S8, I_NONE, U_MUL, 0, 0, 0},
    {"imul", {0xF7}, 1, O_RM, 5, SV, I_NONE, U_MUL, 0, 0, 0},
    {"div", {0xF6}, 1, O_RM, 6, S8, I_NONE, U_DIV, 0, 0, 0},
    {"div", {0xF7}, 1, O_RM, 6, SV, I_NONE, U_DIV, 0, 0, 0},
    {"idiv", {0xF6}, 1, O_RM, 7, S8, I_NONE, U_DIV, 0, 0, 0},
    {"idiv", {0xF7}, 1, O_RM, 7, SV, I_NONE, U_DIV, 0, 0, 0},
    {"imul r,rm", {0x0F, 0xAF}, 2, O_RM, -1, SV, I_NONE, U_MUL, 0, 0, 0},
    {"imul r,rm,i8", {0x6B}, 1, O_RM, -1, SV, I_8, U_MUL, 0, 0, 0},
    {"imul r,rm,i", {0x69}, 1, O_RM, -1, SV, I_Z, U_MUL, 0, 0, 0},
};

static const struct form bitops_forms[] = {
    {"bt rm,r", {0x0F, 0xA3}, 2, O_RM, -1, SV, I_NONE, U_BT, 0, 0, 0},
    {"bts rm,r", {0x0F, 0xAB}, 2, O_RM, -1, SV, I_NONE, U_BT, F_LOCK, 0, 0},
    {"btr rm,r", {0x0F, 0xB3}, 2, O_RM, -1, SV, I_NONE, U_BT, F_LOCK, 0, 0},
    {"btc rm,r", {0x0F, 0xBB}, 2, O_RM, -1, SV, I_NONE, U_BT, F_LOCK, 0, 0},
    {"bt rm,i", {0x0F, 0xBA}, 2, O_RM, 4, SV, I_8, U_BT, 0, 0, 0},
    {"bts rm,i", {0x0F, 0xBA}, 2, O_RM, 5, SV, I_8, U_BT, F_LOCK, 0, 0},
    {"btr rm,i", {0x0F, 0xBA}, 2, O_RM, 6, SV, I_8, U_BT, F_LOCK, 0, 0},
    {"btc rm,i", {0x0F, 0xBA}, 2, O_RM, 7, SV, I_8, U_BT, F_LOCK, 0, 0},
    {"bsf", {0x0F, 0xBC}, 2, O_RM, -1, SV, I_NONE, U_BSF, 0, 0, 0},
    {"bsr", {0x0F, 0xBD}, 2, O_RM, -1, SV, I_NONE, U_BSF, 0, 0, 0},
};

static const struct form movx_forms[] = {
    {"movzx r,rm8", {0x0F, 0xB6}, 2, O_RM, -1, SV, I_NONE, U_NONE, 0, 1, 0},
    {"movzx r,rm16", {0x0F, 0xB7}, 2, O_RM, -1, SV, I_NONE, U_NONE, 0, 2, 0},
    {"movsx r,rm8", {0x0F, 0xBE}, 2, O_RM, -1, SV, I_NONE, U_NONE, 0, 1, 0},
    {"movsx r,rm16", {0x0F, 0xBF}, 2, O_RM, -1, SV, I_NONE, U_NONE, 0, 2, 0},
    {"movsxd r,rm32", {0x63}, 1, O_RM, -1, S32 | S64, I_NONE, U_NONE, F_NO32, 4, 0},
    {"cbw/cwde/cdqe", {0x98}, 1, O_NONE, 0, SV, I_NONE, U_NONE, 0, 0, 0},
    {"cwd/cdq/cqo", {0x99}, 1, O_NONE, 0, SV, I_NONE, U_NONE, 0, 0, 0},
    {"bswap", {0x0F, 0xC8}, 2, O_OPREG, 0, SV, I_NONE, U_BSWAP, 0, 0, 0},
    {"xlat", {0xD7}, 1, O_NONE, 0, S8, I_NONE, U_NONE, 0, 0, 0},
    {"lahf", {0x9F}, 1, O_NONE, 0, S8, I_NONE, U_NONE, 0, 0, 0},
    {"sahf", {0x9E}, 1, O_NONE, 0, S8, I_NONE, U_NONE, 0, 0, 0},
    {"cmc", {0xF5}, 1, O_NONE, 0, S8, I_NONE, U_NONE, 0, 0, 0},
    {"clc", {0xF8}, 1, O_NONE, 0, S8, I_NONE, U_NONE, 0, 0, 0},
    {"stc", {0xF9}, 1, O_NONE, 0, S8, I_NONE, U_NONE, 0, 0, 0},
    {"cld", {0xFC}, 1, O_NONE, 0, S8, I_NONE, U_NONE, 0, 0, 0},
    {"std", {0xFD}, 1, O_NONE, 0, S8, I_NONE, U_NONE, 0, 0, 0},
    {"mov rm,r", {0x88}, 1, O_RM, -1, S8, I_NONE, U_NONE, 0, 0, 0},
    {"mov rm,r", {0x89}, 1, O_RM, -1, SV, I_NONE, U_NONE, 0, 0, 0},
    {"mov r,rm", {0x8A}, 1, O_RM, -1, S8, I_NONE, U_NONE, 0, 0, 0},
    {"mov r,rm", {0x8B}, 1, O_RM, -1, SV, I_NONE, U_NONE, 0, 0, 0},
    {"mov rm,i", {0xC6}, 1, O_RM, 0, S8, I_8, U_NONE, 0, 0, 0},
    {"mov rm,i", {0xC7}, 1, O_RM, 0, SV, I_Z, U_NONE, 0, 0, 0},
    {"mov r,i", {0xB0}, 1, O_OPREG, 0, S8, I_8, U_NONE, 0, 0, 0},
    {"mov r,i", {0xB8}, 1, O_OPREG, 0, SV, I_V, U_NONE, 0, 0, 0},
    {"mov al,moffs", {0xA0}, 1, O_NONE, 0, S8, I_NONE, U_NONE, 0, 0, 0},
    {"mov ax,moffs", {0xA1}, 1, O_NONE, 0, SV, I_NONE, U_NONE, 0, 0, 0},
    {"mov moffs,al", {0xA2}, 1, O_NONE, 0, S8, I_NONE, U_NONE, 0, 0, 0},
    {"mov moffs,ax", {0xA3}, 1, O_NONE, 0, SV, I_NONE, U_NONE, 0, 0, 0},
    {"mov rm,cs", {0x8C}, 1, O_RM, 1, SV, I_NONE, U_NONE, 0, 2, 0},
    {"mov rm,ss", {0x8C}, 1, O_RM, 2, SV, I_NONE, U_NONE, 0, 2, 0},
    {"lea", {0x8D}, 1, O_RM, -1, SV, I_NONE, U_NONE, F_MEM | F_ANYADDR, 0, 0},
};

static const struct form cond_forms[] = {
    {"cmovcc", {0x0F, 0x40}, 2, O_RM, -1, SV, I_NONE, U_NONE, F_CC, 0, 0},
    {"setcc", {0x0F, 0x90}, 2, O_RM, 0, S8, I_NONE, U_NONE, F_CC, 0, 0},
    {"jcc rel8", {0x70}, 1, O_REL, 0, S64, I_8, U_NONE, F_CC, 0, 0},
    {"jcc rel32", {0x0F, 0x80}, 2, O_REL, 0, S64, I_Z, U_NONE, F_CC, 0, 0},
    {"jmp rel8", {0xEB}, 1, O_REL, 0, S64, I_8, U_NONE, 0, 0, 0},
    {"jmp rel32", {0xE9}, 1, O_REL, 0, S64, I_Z, U_NONE, 0, 0, 0},
    {"jrcxz", {0xE3}, 1, O_REL, 0, S64, I_8, U_NONE, 0, 0, 0},
    {"loop", {0xE2}, 1, O_REL, 0, S64, I_8, U_NONE, 0, 0, 0},
    {"loope", {0xE1}, 1, O_REL, 0, S64, I_8, U_NONE, 0, 0, 0},
    {"loopne", {0xE0}, 1, O_REL, 0, S64, I_8, U_NONE, 0, 0, 0},
};

static const struct form string_forms[] = {
    {"movs", {0xA4}, 1, O_NONE, 0, S8, I_NONE, U_NONE, 0, 0, 0},
    {"movs", {0xA5}, 1, O_NONE, 0, SV, I_NONE, U_NONE, 0, 0, 0},
    {"cmps", {0xA6}, 1, O_NONE, 0, S8, I_NONE, U_NONE, 0, 0, 0},
    {"cmps", {0xA7}, 1, O_NONE, 0, SV, I_NONE, U_NONE, 0, 0, 0},
    {"stos", {0xAA}, 1, O_NONE, 0, S8, I_NONE, U_NONE, 0, 0, 0},
    {"stos", {0xAB}, 1, O_NONE, 0, SV, I_NONE, U_NONE, 0, 0, 0},
    {"lods", {0xAC}, 1, O_NONE, 0, S8, I_NONE, U_NONE, 0, 0, 0},
    {"lods", {0xAD}, 1, O_NONE, 0, SV, I_NONE, U_NONE, 0, 0, 0},
    {"scas", {0xAE}, 1, O_NONE, 0, S8, I_NONE, U_NONE, 0, 0, 0},
    {"scas", {0xAF}, 1, O_NONE, 0, SV, I_NONE, U_NONE, 0, 0, 0},
};

static const struct form atomic_forms[] = {
    {"xchg rm,r", {0x86}, 1, O_RM, -1, S8, I_NONE, U_NONE, F_LOCK, 0, 0},
    {"xchg rm,r", {0x87}, 1, O_RM, -1, SV, I_NONE, U_NONE, F_LOCK, 0, 0},
    {"xchg ax,r", {0x90}, 1, O_OPREG, 0, SV, I_NONE, U_NONE, 0, 0, 0},
    {"xadd", {0x0F, 0xC0}, 2, O_RM, -1, S8, I_NONE, U_NONE, F_LOCK, 0, 0},
    {"xadd", {0x0F, 0xC1}, 2, O_RM, -1, SV, I_NONE, U_NONE, F_LOCK, 0, 0},
    {"cmpxchg", {0x0F, 0xB0}, 2, O_RM, -1, S8, I_NONE, U_NONE, F_LOCK, 0, 0},
    {"cmpxchg", {0x0F, 0xB1}, 2, O_RM, -1, SV, I_NONE, U_NONE, F_LOCK, 0, 0},
    {"cmpxchg8b", {0x0F, 0xC7}, 2, O_RM, 1, S32, I_NONE, U_NONE, F_LOCK | F_MEM, 8, 0},
};

static const struct form stack_forms[] = {
    {"push r", {0x50}, 1, O_OPREG, 0, SQ, I_NONE, U_NONE, F_D64, 0, 0},
    {"pop r", {0x58}, 1, O_OPREG, 0, SQ, I_NONE, U_NONE, F_D64, 0, 0},
    {"push rm", {0xFF}, 1, O_RM, 6, SQ, I_NONE, U_NONE, F_D64, 0, 0},
    {"pop rm", {0x8F}, 1, O_RM, 0, SQ, I_NONE, U_NONE, F_D64, 0, 0},
    {"push i8", {0x6A}, 1, O_NONE, 0, SQ, I_8, U_NONE, F_D64, 0, 0},
    {"push i", {0x68}, 1, O_NONE, 0, SQ, I_Z, U_NONE, F_D64, 0, 0},
    {"pushf", {0x9C}, 1, O_NONE, 0, SQ, I_NONE, U_NONE, F_D64, 0, 0},
    {"popf", {0x9D}, 1, O_NONE, 0, SQ, I_NONE, U_NONE, F_D64, 0, 0},
    {"leave", {0xC9}, 1, O_NONE, 0, SQ, I_NONE, U_NONE, F_D64, 0, 0},
    {"enter", {0xC8}, 1, O_NONE, 0, SQ, I_ENTER, U_NONE, F_D64, 0, 0},
    {"call rel32", {0xE8}, 1, O_REL, 0, S64, I_Z, U_NONE, F_D64, 0, 0},
    {"call rm", {0xFF}, 1, O_RM, 2, S64, I_NONE, U_NONE, F_D64 | F_KEEPSP, 0, 0},
    {"jmp rm", {0xFF}, 1, O_RM, 4, S64, I_NONE, U_NONE, F_D64, 0, 0},
    {"ret", {0xC3}, 1, O_NONE, 0, S64, I_NONE, U_NONE, F_D64, 0, 0},
    {"ret i16", {0xC2}, 1, O_NONE, 0, S64, I_16, U_NONE, F_D64, 0, 0},
};

static const struct form nop_forms[] = {
    {"nop", {0x90}, 1, O_NONE, 0, SV, I_NONE, U_NONE, 0, 0, 0},
    {"pause", {0x90}, 1, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0xF3},
    {"nop rm", {0x0F, 0x1F}, 2, O_RM, 0, SV, I_NONE, U_NONE, F_ANYADDR, 0, 0},
    {"endbr64", {0x0F, 0x1E, 0xFA}, 3, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0xF3},
    {"prefetchnta", {0x0F, 0x18}, 2, O_RM, 0, S32, I_NONE, U_NONE, F_MEM | F_ANYADDR, 1, 0},
    {"prefetcht0", {0x0F, 0x18}, 2, O_RM, 1, S32, I_NONE, U_NONE, F_MEM | F_ANYADDR, 1, 0},
    {"prefetcht1", {0x0F, 0x18}, 2, O_RM, 2, S32, I_NONE, U_NONE, F_MEM | F_ANYADDR, 1, 0},
    {"prefetcht2", {0x0F, 0x18}, 2, O_RM, 3, S32, I_NONE, U_NONE, F_MEM | F_ANYADDR, 1, 0},
    /* Reserved NOPs: plain NOPs on this CPU (run natively), whatever ModRM. */
    {"nop 0f19", {0x0F, 0x19}, 2, O_RM, -1, SV, I_NONE, U_NONE, F_ANYADDR, 0, 0},
    {"nop 0f1c", {0x0F, 0x1C}, 2, O_RM, -1, SV, I_NONE, U_NONE, F_ANYADDR, 0, 0},
    {"nop 0f1d", {0x0F, 0x1D}, 2, O_RM, -1, SV, I_NONE, U_NONE, F_ANYADDR, 0, 0},
    {"prefetch", {0x0F, 0x0D}, 2, O_RM, 0, S32, I_NONE, U_NONE, F_MEM | F_ANYADDR, 1, 0},
    {"prefetchw", {0x0F, 0x0D}, 2, O_RM, 1, S32, I_NONE, U_NONE, F_MEM | F_ANYADDR, 1, 0},
};

/* Must fault at CPL3 (or are invalid in 64-bit mode): #GP(0), #UD, #DB, #BP. */
static const struct form priv_forms[] = {
    {"hlt", {0xF4}, 1, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"cli", {0xFA}, 1, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"sti", {0xFB}, 1, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"in al,i", {0xE4}, 1, O_NONE, 0, S8, I_8, U_NONE, 0, 0, 0},
    {"in ax,i", {0xE5}, 1, O_NONE, 0, S16 | S32, I_8, U_NONE, 0, 0, 0},
    {"out i,al", {0xE6}, 1, O_NONE, 0, S8, I_8, U_NONE, 0, 0, 0},
    {"in al,dx", {0xEC}, 1, O_NONE, 0, S8, I_NONE, U_NONE, 0, 0, 0},
    {"out dx,ax", {0xEF}, 1, O_NONE, 0, S16 | S32, I_NONE, U_NONE, 0, 0, 0},
    {"insb", {0x6C}, 1, O_NONE, 0, S8, I_NONE, U_NONE, 0, 0, 0},
    {"outsd", {0x6F}, 1, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"lgdt", {0x0F, 0x01}, 2, O_RM, 2, S64, I_NONE, U_NONE, F_MEM, 10, 0},
    {"lidt", {0x0F, 0x01}, 2, O_RM, 3, S64, I_NONE, U_NONE, F_MEM, 10, 0},
    {"lmsw", {0x0F, 0x01}, 2, O_RM, 6, S16, I_NONE, U_NONE, 0, 2, 0},
    {"invlpg", {0x0F, 0x01}, 2, O_RM, 7, S64, I_NONE, U_NONE, F_MEM, 1, 0},
    {"lldt", {0x0F, 0x00}, 2, O_RM, 2, S16, I_NONE, U_NONE, 0, 2, 0},
    {"ltr", {0x0F, 0x00}, 2, O_RM, 3, S16, I_NONE, U_NONE, 0, 2, 0},
    {"mov r,cr", {0x0F, 0x20}, 2, O_RM, -1, S64, I_NONE, U_NONE, F_REG, 0, 0},
    {"mov cr,r", {0x0F, 0x22}, 2, O_RM, -1, S64, I_NONE, U_NONE, F_REG, 0, 0},
    {"mov r,dr", {0x0F, 0x21}, 2, O_RM, -1, S64, I_NONE, U_NONE, F_REG, 0, 0},
    {"mov dr,r", {0x0F, 0x23}, 2, O_RM, -1, S64, I_NONE, U_NONE, F_REG, 0, 0},
    {"clts", {0x0F, 0x06}, 2, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"invd", {0x0F, 0x08}, 2, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"wbinvd", {0x0F, 0x09}, 2, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"wrmsr", {0x0F, 0x30}, 2, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"rdmsr", {0x0F, 0x32}, 2, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"rdpmc", {0x0F, 0x33}, 2, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"sysret", {0x0F, 0x07}, 2, O_NONE, 0, S32 | S64, I_NONE, U_NONE, 0, 0, 0},
    {"swapgs", {0x0F, 0x01, 0xF8}, 3, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"monitor", {0x0F, 0x01, 0xC8}, 3, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"mwait", {0x0F, 0x01, 0xC9}, 3, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"ud2", {0x0F, 0x0B}, 2, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"ud1", {0x0F, 0xB9}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 0, 0},
    {"ud0", {0x0F, 0xFF}, 2, O_RM, -1, S32, I_NONE, U_NONE, 0, 0, 0},
    {"into", {0xCE}, 1, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"push es", {0x06}, 1, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"pop ds", {0x1F}, 1, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"daa", {0x27}, 1, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"aas", {0x3F}, 1, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"pusha", {0x60}, 1, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"aam", {0xD4}, 1, O_NONE, 0, S32, I_8, U_NONE, 0, 0, 0},
    {"salc", {0xD6}, 1, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"grp1 82", {0x82}, 1, O_RM, 0, S8, I_8, U_NONE, 0, 0, 0},
    {"lock nop", {0x90}, 1, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0xF0},
    {"lock add r,r", {0x01}, 1, O_RM, -1, S32, I_NONE, U_NONE, F_REG, 0, 0xF0},
    {"lea r,r", {0x8D}, 1, O_RM, -1, S32, I_NONE, U_NONE, F_REG, 0, 0},
};

/* Instructions the other classes leave out, all run natively at CPL3. */
static const struct form misc_forms[] = {
    {"popcnt", {0x0F, 0xB8}, 2, O_RM, -1, SV, I_NONE, U_NONE, 0, 0, 0xF3},
    {"cmpxchg16b", {0x0F, 0xC7}, 2, O_RM, 1, S64, I_NONE, U_NONE, F_LOCK | F_MEM, 16, 0},
    {"lfence", {0x0F, 0xAE, 0xE8}, 3, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"mfence", {0x0F, 0xAE, 0xF0}, 3, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"sfence", {0x0F, 0xAE, 0xF8}, 3, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"clflush", {0x0F, 0xAE}, 2, O_RM, 7, S32, I_NONE, U_NONE, F_MEM, 1, 0},
    {"fwait", {0x9B}, 1, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"int3", {0xCC}, 1, O_NONE, 0, S32, I_NONE, U_NONE, 0, 0, 0},
    {"mov es,rm", {0x8E}, 1, O_RM, 0, S16 | S32, I_NONE, U_NONE, 0, 2, 0},
    {"mov ss,rm", {0x8E}, 1, O_RM, 2, S16 | S32, I_NONE, U_NONE, 0, 2, 0},
    {"mov ds,rm", {0x8E}, 1, O_RM, 3, S16 | S32, I_NONE, U_NONE, 0, 2, 0},
    {"mov fs,rm", {0x8E}, 1, O_RM, 4, S16 | S32, I_NONE, U_NONE, 0, 2, 0},
    {"mov gs,rm", {0x8E}, 1, O_RM, 5, S16 | S32, I_NONE, U_NONE, 0, 2, 0},
    {"mov rm,ds", {0x8C}, 1, O_RM, 3, SV, I_NONE, U_NONE, 0, 2, 0},
    {"mov rm,es", {0x8C}, 1, O_RM, 0, SV, I_NONE, U_NONE, 0, 2, 0},
    {"mov rm,fs", {0x8C}, 1, O_RM, 4, SV, I_NONE, U_NONE, 0, 2, 0},
    {"mov rm,gs", {0x8C}, 1, O_RM, 5, SV, I_NONE, U_NONE, 0, 2, 0},
    {"push fs", {0x0F, 0xA0}, 2, O_NONE, 0, SQ, I_NONE, U_NONE, F_D64, 0, 0},
    {"pop fs", {0x0F, 0xA1}, 2, O_NONE, 0, SQ, I_NONE, U_NONE, F_D64, 0, 0},
    {"push gs", {0x0F, 0xA8}, 2, O_NONE, 0, SQ, I_NONE, U_NONE, F_D64, 0, 0},
    {"pop gs", {0x0F, 0xA9}, 2, O_NONE, 0, SQ, I_NONE, U_NONE, F_D64, 0, 0},
    /* m16:16 and m16:32 (REX.W: m16:64 on Intel, m16:32 here; see far_forms) */
    {"lss", {0x0F, 0xB2}, 2, O_RM, -1, S16 | S32, I_NONE, U_NONE, F_MEM, 6, 0},
    {"lfs", {0x0F, 0xB4}, 2, O_RM, -1, S16 | S32, I_NONE, U_NONE, F_MEM, 6, 0},
    {"lgs", {0x0F, 0xB5}, 2, O_RM, -1, S16 | S32, I_NONE, U_NONE, F_MEM, 6, 0},
    {"lar", {0x0F, 0x02}, 2, O_RM, -1, SV, I_NONE, U_NONE, F_NOLOCK, 2, 0},
    {"lsl", {0x0F, 0x03}, 2, O_RM, -1, SV, I_NONE, U_NONE, F_NOLOCK, 2, 0},
    /* LOCK VERW m16 runs on this AMD CPU (measured), #UD in the SDM and ember */
    {"verr", {0x0F, 0x00}, 2, O_RM, 4, S16, I_NONE, U_NONE, F_NOLOCK, 2, 0},
    {"verw", {0x0F, 0x00}, 2, O_RM, 5, S16, I_NONE, U_NONE, F_NOLOCK, 2, 0},
    {"int n", {0xCD}, 1, O_NONE, 0, S32, I_8, U_NONE, 0, 0, 0},
};

static const struct form legacy32_forms[] = {
    {"daa", {0x27}, 1, O_NONE, 0, S8, I_NONE, U_DAA, 0, 0, 0},
    {"das", {0x2F}, 1, O_NONE, 0, S8, I_NONE, U_DAA, 0, 0, 0},
    {"aaa", {0x37}, 1, O_NONE, 0, S8, I_NONE, U_AAA, 0, 0, 0},
    {"aas", {0x3F}, 1, O_NONE, 0, S8, I_NONE, U_AAA, 0, 0, 0},
    {"aam", {0xD4}, 1, O_NONE, 0, S8, I_8, U_AAM, 0, 0, 0},
    {"aad", {0xD5}, 1, O_NONE, 0, S8, I_8, U_AAM, 0, 0, 0},
    {"salc", {0xD6}, 1, O_NONE, 0, S8, I_NONE, U_NONE, 0, 0, 0},
    {"bound", {0x62}, 1, O_RM, -1, S16 | S32, I_NONE, U_NONE, F_MEM, 8, 0},
    {"arpl", {0x63}, 1, O_RM, -1, S16, I_NONE, U_NONE, 0, 0, 0},
    {"pusha", {0x60}, 1, O_NONE, 0, S16 | S32, I_NONE, U_NONE, 0, 0, 0},
    {"popa", {0x61}, 1, O_NONE, 0, S16 | S32, I_NONE, U_NONE, 0, 0, 0},
    {"push es", {0x06}, 1, O_NONE, 0, S16 | S32, I_NONE, U_NONE, 0, 0, 0},
    {"push cs", {0x0E}, 1, O_NONE, 0, S16 | S32, I_NONE, U_NONE, 0, 0, 0},
    {"push ss", {0x16}, 1, O_NONE, 0, S16 | S32, I_NONE, U_NONE, 0, 0, 0},
    {"push ds", {0x1E}, 1, O_NONE, 0, S16 | S32, I_NONE, U_NONE, 0, 0, 0},
    {"pop es", {0x07}, 1, O_NONE, 0, S16 | S32, I_NONE, U_NONE, 0, 0, 0},
    {"pop ss", {0x17}, 1, O_NONE, 0, S16 | S32, I_NONE, U_NONE, 0, 0, 0},
    {"pop ds", {0x1F}, 1, O_NONE, 0, S16 | S32, I_NONE, U_NONE, 0, 0, 0},
    {"les", {0xC4}, 1, O_RM, -1, S16 | S32, I_NONE, U_NONE, F_MEM, 6, 0},
    {"lds", {0xC5}, 1, O_RM, -1, S16 | S32, I_NONE, U_NONE, F_MEM, 6, 0},
    {"jmp far ptr", {0xEA}, 1, O_NONE, 0, S16 | S32, I_NONE, U_NONE, 0, 0, 0},
    {"call far ptr", {0x9A}, 1, O_NONE, 0, S16 | S32, I_NONE, U_NONE, 0, 0, 0},
    {"int n", {0xCD}, 1, O_NONE, 0, S32, I_8, U_NONE, 0, 0, 0},
};

static const struct form far_forms[] = {
    {"retf", {0xCB}, 1, O_NONE, 0, S32 | S64, I_NONE, U_NONE, 0, 0, 0},
    {"retf i16", {0xCA}, 1, O_NONE, 0, S32 | S64, I_16, U_NONE, 0, 0, 0},
    {"iret", {0xCF}, 1, O_NONE, 0, S32 | S64, I_NONE, U_NONE, 0, 0, 0},
    /* m16:32 only: with REX.W, Intel reads m16:64 and this AMD CPU still
     * m16:32 (measured natively); ember follows the SDM (Intel). */
    {"jmp far m", {0xFF}, 1, O_RM, 5, S32, I_NONE, U_NONE, F_MEM | F_KEEPSP, 6, 0},
    {"call far m", {0xFF}, 1, O_RM, 3, S32, I_NONE, U_NONE, F_MEM | F_KEEPSP, 6, 0},
};

static const unsigned nr_muldiv = ARRAY_SIZE(muldiv_forms), nr_bitops = ARRAY_SIZE(bitops_forms),
		      nr_movx = ARRAY_SIZE(movx_forms), nr_cond = ARRAY_SIZE(cond_forms),
		      nr_string = ARRAY_SIZE(string_forms), nr_atomic = ARRAY_SIZE(atomic_forms),
		      nr_stack = ARRAY_SIZE(stack_forms), nr_nop = ARRAY_SIZE(nop_forms),
		      nr_priv = ARRAY_SIZE(priv_forms), nr_misc = ARRAY_SIZE(misc_forms),
		      nr_far = ARRAY_SIZE(far_forms), nr_legacy32 = ARRAY_SIZE(legacy32_forms);

/*
 * Every class, in one table (gen.h).  A class in a file of its own declares
 * its forms, count and hook in gen_int.h or genfp.h and gets a line here.
 */
const struct gen_class gen_classes[] = {
    {.name = "alu",
     .what = "add or adc sbb and sub xor cmp test not neg inc dec, all forms",
     .forms = alu_forms,
     .nr = &alu_nr,
     .claimed = true},
    {.name = "shift",
     .what = "rol ror rcl rcr shl shr sal sar by 1/cl/imm8, shld shrd",
     .forms = shift_forms,
     .nr = &shift_nr,
     .claimed = true},
    {.name = "muldiv",
     .what = "mul imul div idiv, incl. #DE",
     .forms = muldiv_forms,
     .nr = &nr_muldiv,
     .hook = hook_muldiv,
     .claimed = true},
    {.name = "bitops",
     .what = "bt bts btr btc (reg and imm), bsf bsr",
     .forms = bitops_forms,
     .nr = &nr_bitops,
     .hook = hook_bitops,
     .claimed = true},
    {.name = "movx",
     .what = "mov forms, movzx movsx movsxd, cbw/cwd family, bswap, xlat, lahf sahf, flag ops, lea",
     .forms = movx_forms,
     .nr = &nr_movx,
     .hook = hook_movx,
     .claimed = true},
    {.name = "cond",
     .what = "cmovcc setcc jcc jmp jrcxz loop",
     .forms = cond_forms,
     .nr = &nr_cond,
     .hook = hook_cond,
     .claimed = true},
    {.name = "string",
     .what = "movs cmps stos lods scas, rep/repe/repne, 32/64-bit addressing",
     .forms = string_forms,
     .nr = &nr_string,
     .hook = hook_string,
     .claimed = true},
    {.name = "atomic",
     .what = "xchg xadd cmpxchg cmpxchg8b, lock",
     .forms = atomic_forms,
     .nr = &nr_atomic,
     .hook = hook_atomic,
     .claimed = true},
    {.name = "stack",
     .what = "push pop pushf popf enter leave call ret jmp indirect",
     .forms = stack_forms,
     .nr = &nr_stack,
     .hook = hook_stack,
     .claimed = true},
    {.name = "nop",
     .what = "nop forms, pause, hint nops, prefetch, endbr64",
     .forms = nop_forms,
     .nr = &nr_nop,
     .claimed = true},
    {.name = "priv",
     .what = "privileged and invalid-in-64-bit instructions at CPL3",
     .forms = priv_forms,
     .nr = &nr_priv,
     .claimed = true},
    {.name = "alu32",
     .what = "the alu forms in 32-bit compatibility mode",
     .forms = alu_forms,
     .nr = &alu_nr,
     .compat = true,
     .claimed = true},
    {.name = "shift32",
     .what = "the shift forms in 32-bit compatibility mode",
     .forms = shift_forms,
     .nr = &shift_nr,
     .compat = true,
     .claimed = true},
    {.name = "muldiv32",
     .what = "the muldiv forms in 32-bit compatibility mode",
     .forms = muldiv_forms,
     .nr = &nr_muldiv,
     .hook = hook_muldiv,
     .compat = true,
     .claimed = true},
    {.name = "bitops32",
     .what = "the bitops forms in 32-bit compatibility mode",
     .forms = bitops_forms,
     .nr = &nr_bitops,
     .hook = hook_bitops,
     .compat = true,
     .claimed = true},
    {.name = "movx32",
     .what = "the movx forms in 32-bit compatibility mode (63 is ARPL there)",
     .forms = movx_forms,
     .nr = &nr_movx,
     .hook = hook_movx,
     .compat = true,
     .claimed = true},
    {.name = "cond32",
     .what = "the cond forms in 32-bit compatibility mode",
     .forms = cond_forms,
     .nr = &nr_cond,
     .hook = hook_cond,
     .compat = true,
     .claimed = true},
    {.name = "string32",
     .what = "the string forms in 32-bit compatibility mode",
     .forms = string_forms,
     .nr = &nr_string,
     .hook = hook_string,
     .compat = true,
     .claimed = true},
    {.name = "atomic32",
     .what = "the atomic forms in 32-bit compatibility mode",
     .forms = atomic_forms,
     .nr = &nr_atomic,
     .hook = hook_atomic,
     .compat = true,
     .claimed = true},
    {.name = "misc",
     .what = "popcnt cmpxchg16b fences clflush fwait int3 int n, segment loads and stores, lar lsl "
	     "verr verw",
     .forms = misc_forms,
     .nr = &nr_misc,
     .hook = hook_misc,
     .claimed = true},
    {.name = "far",
     .what = "far ret, iret, far jmp/call through memory at CPL3 (to 64-bit and compat code)",
     .forms = far_forms,
     .nr = &nr_far,
     .hook = hook_far,
     .claimed = true},
    {.name = "legacy32",
     .what = "BCD, BOUND, ARPL, PUSHA/POPA, segment push/pop, LES/LDS, far ptr, INT n (compat)",
     .forms = legacy32_forms,
     .nr = &nr_legacy32,
     .hook = hook_legacy32,
     .compat = true,
     .claimed = true},
    {.name = "ssemov",
     .what = "SSE/SSE2 moves (movups movaps movdqa movdqu movss movsd movd movq), pxor xorps, "
	     "ldmxcsr stmxcsr, random XMM and MXCSR",
     .forms = ssemov_forms,
     .nr = &ssemov_nr,
     .hook = hook_ssemov,
     .fp = true,
     .claimed = true},
    {.name = "x87",
     .what = "every x87 form: loads and stores of each format, arithmetic, compares, "
	     "transcendentals, controls, environments",
     .forms = x87_forms,
     .nr = &x87_nr,
     .hook = hook_x87,
     .fp = true,
     .claimed = true},
    {.name = "fpstate",
     .what = "fxrstor, both formats (fxsave: test_x86_fpu)",
     .forms = fpstate_forms,
     .nr = &fpstate_nr,
     .hook = hook_fpstate,
     .fp = true,
     .claimed = true},
#define SIMD_CLASS(n, w)                                                                           \
	{.name = #n, .what = w, .forms = n##_forms, .nr = &n##_nr, .hook = hook_simd, .fp = true,  \
	 .claimed = true}
    SIMD_CLASS(mmx, "MMX integer arithmetic, compares, packs, unpacks, shifts, moves"),
    SIMD_CLASS(sse, "SSE single precision: arithmetic, sqrt, rcp, cmp, comis, conversions, "
		    "shuffles, MMX additions"),
    SIMD_CLASS(sse2, "SSE2 double precision, conversions, 128-bit integer operations"),
    SIMD_CLASS(sse3, "SSE3 addsub, horizontal add/sub, lddqu, movddup/movs?dup"),
    SIMD_CLASS(ssse3, "SSSE3 pshufb, horizontal integer ops, psign, pabs, pmulhrsw, palignr"),
    SIMD_CLASS(sse41, "SSE4.1 blends, ptest, pmovsx/zx, round, dpps/dppd, inserts, extracts"),
    SIMD_CLASS(sse42, "SSE4.2 pcmpestr/pcmpistr, pcmpgtq, crc32; movbe"),
#undef SIMD_CLASS
};
const unsigned gen_nr_classes = ARRAY_SIZE(gen_classes);

int gen_class_find(const char *name)
{
	for (unsigned i = 0; i < gen_nr_classes; i++)
		if (!strcmp(gen_classes[i].name, name))
			return (int)i;
	return -1;
}

/* ---- encoding ---- */

/* The operand size: `want` (1, 2, 4, 8) if the form has it, else a random one. */
static unsigned pick_size(struct gen *g, unsigned want)
{
	unsigned sizes = g->f->sizes, n = 0;

	if (g->compat) /* no 64-bit operands: REX.W does not exist */
		sizes = (sizes & ~S64) | (sizes & S64 ? S32 : 0);
	unsigned list[4];

	if (sizes & want)
		return want;
	for (unsigned b = 0; b < 4; b++)
		if (sizes & (1u << b))
			list[n++] = 1u << b;
	return list[gen_below(g, n)];
}

/* Prefixes that select the operand size. */
static void size_prefixes(struct gen *g)
{
	const struct form *f = g->f;

	if (g->opsize == 2)
		g->pfx[g->npfx++] = 0x66;
	if (g->opsize == 8 && !(f->flags & F_D64))
		g->rex |= 8;
	if (g->opsize == 1 && !g->compat)
		g->want_rex = gen_one_in(g, 2);
}

static void build_imm(struct gen *g)
{
	const struct form *f = g->f;
	uint64_t v = f->flags & F_COUNT ? count_value(g) : gen_value(g);

	switch (f->imm) {
	case I_8:
		g->imm_len = 1;
		break;
	case I_Z:
		g->imm_len = g->opsize == 2 ? 2 : 4;
		break;
	case I_16:
		g->imm_len = 2;
		break;
	case I_V:
		g->imm_len = g->opsize;
		break;
	case I_ENTER:
		g->imm_len = 3;
		break;
	default:
		return;
	}
	memcpy(g->imm, &v, 8);
}

/* Redundant prefixes: ignored segment overrides, an ignored REX, or so many
 * that the instruction exceeds 15 bytes (#GP). */
static void extra_prefixes(struct gen *g, uint8_t *out, unsigned *n)
{
	unsigned r = gen_below(g, 64);

	if (g->seg == 0x64 || g->seg == 0x65)
		return;
	if (r == 0) {
		for (unsigned i = 0; i < 15; i++)
			out[(*n)++] = 0x3E;
	} else if (r < 3 && !g->compat) {
		out[(*n)++] = 0x40 | gen_below(g, 16); /* not last: ignored */
		out[(*n)++] = 0x2E;
	} else if (r < 5) {
		out[(*n)++] = 0x26;
	}
}

static void encode(struct gen *g)
{
	struct dt_case *c = g->c;
	uint8_t b[64];
	unsigned n = 0, disp_at = 0;

	extra_prefixes(g, b, &n);
	if (g->f->prefix)
		b[n++] = g->f->prefix;
	memcpy(b + n, g->pfx, g->npfx);
	n += g->npfx;
	if (g->rex || g->want_rex)
		b[n++] = 0x40 | g->rex;
	memcpy(b + n, g->op, g->f->oplen);
	n += g->f->oplen;
	if (g->has_modrm)
		b[n++] = g->modrm;
	if (g->has_sib)
		b[n++] = g->sib;
	disp_at = n;
	memcpy(b + n, &g->disp, g->disp_len);
	n += g->disp_len;
	memcpy(b + n, g->imm, g->imm_len);
	n += g->imm_len;
	if (g->rel_len) {
		memset(b + n, 0, g->rel_len);
		n += g->rel_len;
	}
	/* Longer than 15 bytes: the CPU stops fetching at 15 and raises #GP. */
	c->len = n > 15 ? 15 : n;
	memcpy(c->code, b, c->len);

	/* Place it: anywhere in the code pages, or across/at their end. */
	if (gen_one_in(g, 16) && c->len > 1)
		c->rip = DT_CODE_HOLE - 1 - gen_below(g, c->len - 1);
	else if (gen_one_in(g, 32))
		c->rip = DT_CODE_HOLE - c->len;
	else
		c->rip = DT_CODE + gen_below(g, DT_CODE_SIZE - 16);
	/*
	 * An indirect CALL/JMP into its own bytes: a JMP to itself spins
	 * forever, and a target inside the instruction runs bytes nobody
	 * generated, whose undefined flags are not in undef_flags (41 FF D3
	 * jumping to D3 F4 runs SAL ESP,CL: "For a non-zero count, the AF flag
	 * is undefined", SDM vol. 2B SAL/SAR/SHL/SHR Flags Affected).  Move it.
	 */
	if (g->f->op[0] == 0xFF && (g->f->ext == 2 || g->f->ext == 4) &&
	    g->rm_value - c->rip < c->len)
		c->rip = DT_CODE + (c->rip - DT_CODE + 0x100) % (DT_CODE_SIZE - 16);
	if (g->riprel) {
		uint32_t d = (uint32_t)(g->riprel_ea - (c->rip + n));

		g->mem = (g->a32 ? (uint32_t)(c->rip + n + (int32_t)d) : c->rip + n + (int32_t)d) +
			 seg_base(g, g->seg);
		memcpy(c->code + disp_at, &d, 4 + disp_at > 15 ? 0 : 4);
	}
	if (g->rel_len && n <= 15) {
		uint64_t next = c->rip + n, target;
		int64_t rel;

		target = gen_one_in(g, 16) ? DT_CODE_HOLE + gen_below(g, 64)
					   : DT_CODE + gen_below(g, DT_CODE_SIZE);
		rel = (int64_t)(target - next);
		if (g->rel_len == 1 && (rel < -128 || rel > 127))
			rel = (int8_t)gen_rnd(g);
		/* Never back into the instruction itself: LOOP would spin for 2^64. */
		if (rel < 0 && rel >= -(int64_t)n)
			rel = -(int64_t)n - 1;
		memcpy(c->code + n - g->rel_len, &rel, g->rel_len);
	}
}

/* ---- undefined results ---- */

static unsigned shift_count(const struct gen *g)
{
	const struct form *f = g->f;
	unsigned raw = f->imm == I_8	 ? g->imm[0]
		       : f->flags & F_CL ? (uint8_t)g->c->gpr[X86_RCX]
					 : 1;

	return raw & (g->opsize == 8 ? 63 : 31);
}

static void undefined(struct gen *g)
{
	struct dt_case *c = g->c;
	unsigned width = 8 * g->opsize, n;
	int ext = g->f->ext;

	switch (g->f->undef) {
	case U_LOGIC:
		c->undef_flags = X86_FLAGS_AF;
		break;
	case U_MUL:
		c->undef_flags = X86_FLAGS_SF | X86_FLAGS_ZF | X86_FLAGS_AF | X86_FLAGS_PF;
		break;
	case U_DIV:
		c->undef_flags = FL_ARITH;
		break;
	case U_BT:
		c->undef_flags = X86_FLAGS_OF | X86_FLAGS_SF | X86_FLAGS_AF | X86_FLAGS_PF;
		break;
	case U_BSF:
		c->undef_flags = FL_ARITH & ~X86_FLAGS_ZF;
		if ((g->rm_value & opmask(g->opsize)) == 0)
			c->undef_gprs = 1u << g->reg;
		break;
	case U_GRP2:
		n = shift_count(g);
		if (n == 0)
			break;
		if (n != 1)
			c->undef_flags |= X86_FLAGS_OF;
		if (ext >= 4)
			c->undef_flags |= X86_FLAGS_AF;
		if ((ext == 4 || ext == 5 || ext == 6) && n >= width)
			c->undef_flags |= X86_FLAGS_CF;
		break;
	case U_SHXD:
		n = shift_count(g);
		if (n == 0)
			break;
		c->undef_flags = X86_FLAGS_AF | (n != 1 ? X86_FLAGS_OF : 0);
		if (n > width) {
			c->undef_flags = FL_ARITH;
			if (g->rm_reg >= 0)
				c->undef_gprs = 1u << g->rm_reg;
			else
				c->undef_mem = true;
		}
		break;
	case U_DAA: /* DAA DAS: "The OF flag is undefined" */
		c->undef_flags = X86_FLAGS_OF;
		break;
	case U_AAA: /* AAA AAS: "The OF, SF, ZF, and PF flags are undefined" */
		c->undef_flags = X86_FLAGS_OF | X86_FLAGS_SF | X86_FLAGS_ZF | X86_FLAGS_PF;
		break;
	case U_AAM: /* AAM AAD: "The OF, AF, and CF flags are undefined" */
		c->undef_flags = X86_FLAGS_OF | X86_FLAGS_AF | X86_FLAGS_CF;
		break;
	case U_BSWAP:
		if (g->opsize == 2)
			c->undef_gprs = 1u << g->reg;
		break;
	}
}

/* ---- the case ---- */

/*
 * Under this host's KVM (PVM), a non-canonical user RSP makes the host kernel
 * emulate every user instruction instead of running it (measured with the
 * kvm:kvm_emulate_insn tracepoint: 0 host-emulated instructions at the case's
 * RIP with RSP = 0x7FFFFFFFFFFF or 0xFFFF800000000000, 1 with 0x800000000000).
 * Such a case would be judged by KVM's emulator, not by the CPU, so RSP is
 * made canonical (bits 63:48 = bit 47) unless the case is about it; an
 * address register keeps its low 32 bits, all that 32-bit addressing uses.
 */
static void gen_canonical_rsp(struct gen *g)
{
	uint64_t *rsp = &g->c->gpr[X86_RSP];

	if (g->rsp_noncanonical || gen_canonical(*rsp))
		return;
	if (g->addr_regs & (1u << X86_RSP) && !g->a32 && !(g->f->flags & F_ANYADDR))
		return;
	*rsp = (uint64_t)((int64_t)(*rsp << 16) >> 16);
}

void gen_case(struct dt_case *c, uint64_t seed, unsigned cls, uint64_t index)
{
	const struct gen_class *d = &gen_classes[cls];
	struct gen g = {.rng = seed * 0x2545F4914F6CDD1Dull ^ (uint64_t)cls << 56 ^ index,
			.c = c,
			.compat = d->compat};

	alu_build();
	shift_build();
	memset(c, 0, sizeof(*c));
	c->compat = d->compat;
	c->fp = d->fp;
	gen_rnd(&g);
	for (unsigned r = 0; r < 16; r++)
		c->gpr[r] = gen_value(&g);
	c->rflags = X86_FLAGS_FIXED | X86_FLAGS_IF |
		    (gen_rnd(&g) & (X86_FLAGS_CF | X86_FLAGS_PF | X86_FLAGS_AF | X86_FLAGS_ZF |
				    X86_FLAGS_SF | X86_FLAGS_OF)) |
		    (gen_one_in(&g, 4) ? X86_FLAGS_DF : 0);
	/* Systematic first: every form at every operand size, then random. */
	if (index < 4 * *d->nr) {
		g.f = &d->forms[index / 4];
		g.opsize = pick_size(&g, 1u << (index % 4));
	} else {
		g.f = &d->forms[gen_below(&g, *d->nr)];
		g.opsize = pick_size(&g, 0);
	}
	/* ARPL (63 in compatibility mode) raises #UD on the host: not generated. */
	while (g.compat && g.f->flags & F_NO32) {
		g.f = &d->forms[gen_below(&g, *d->nr)];
		g.opsize = pick_size(&g, 0);
	}
	g.reg = g.rm_reg = -1;
	memcpy(g.op, g.f->op, sizeof(g.op));
	if (g.f->flags & F_CC)
		g.op[g.f->oplen - 1] |= gen_below(&g, 16);
	size_prefixes(&g);
	if (g.f->ops == O_RM) {
		build_modrm(&g);
	} else if (g.f->ops == O_OPREG) {
		g.reg = gen_below(&g, nregs(&g));
		g.op[g.f->oplen - 1] |= g.reg & 7;
		g.rex |= g.reg >> 3;
	} else if (g.f->ops == O_REL) {
		g.rel_len = g.f->imm == I_8 ? 1 : 4;
	}
	if (g.f->ops != O_REL)
		build_imm(&g);
	g.rm_value = gen_value(&g);
	if (d->fp)
		genfp_state(&g);
	if (d->hook)
		d->hook(&g);
	if (g.rm_reg >= 0) {
		uint64_t *r = &c->gpr[g.rm_reg & (g.opsize == 1 && !g.want_rex ? 3 : 15)];
		unsigned shift = (g.opsize == 1 && !g.want_rex && g.rm_reg >= 4) ? 8 : 0;
		uint64_t m = opmask(g.opsize) << shift;

		*r = (*r & ~m) | ((g.rm_value << shift) & m);
		g.rm_value = (*r & m) >> shift;
	} else if (g.has_mem && !(c->mem[0].len && c->mem[0].addr == g.mem)) {
		gen_seed_mem(&g, g.mem, &g.rm_value,
			     g.f->msize ? (g.f->msize > 8 ? 8 : g.f->msize) : g.opsize);
	}
	/* LOCK: often where legal, rarely elsewhere (#UD); never on hint NOPs,
	 * which AMD executes with LOCK. */
	if (g.has_mem && !(g.f->flags & (F_ANYADDR | F_NOLOCK)) &&
	    (g.f->flags & F_LOCK ? gen_one_in(&g, 3) : gen_one_in(&g, 64)))
		g.pfx[g.npfx++] = 0xF0;
	gen_canonical_rsp(&g);
	encode(&g);
	undefined(&g);
	snprintf(c->text, sizeof(c->text), "%s/%u%s%s", g.f->name, 8 * g.opsize,
		 g.has_mem ? " mem" : "", g.a32 ? " a32" : "");
}
