/*
 * x86/x87.c - the x87 FPU instructions (escapes D8-DF and FWAIT) and their
 * table.  This file keeps the architectural bookkeeping: #NM, pending
 * exceptions (#MF, FERR#), FIP/FCS/FOP/FDP/FDS, guest memory operands, the
 * control word and the environment images.  Every computing instruction
 * (arithmetic, compares, loads and stores of each format, transcendentals,
 * stack moves) runs on the host's x87 on the guest's whole x87 state
 * (fpuhost.c), so results, flags, C0-C3, tags and stack faults are the CPU's.
 * Not FXSAVE/XSAVE (fpustate.c).
 * Follows Intel SDM vol. 1 ch. 8, vol. 2 (each instruction), table A-7..A-22.
 */
#include "x86/bytes.h"
#include "x86/cpu.h"
#include "x86/fpu.h"
#include "x86/fpuhost.h"

/* ES and B follow the unmasked exception flags (SDM 8.1.3.1). */
static void x87_update_es(struct x86_fpu *f)
{
	if (f->fsw & FSW_EXC & ~f->fcw)
		f->fsw |= FSW_ES | FSW_B;
	else
		f->fsw &= ~(FSW_ES | FSW_B);
}

/*
 * A waiting instruction with an unmasked exception pending: #MF when CR0.NE
 * is set.  With NE clear the PC's FERR# already went to IRQ 13 when the
 * exception arose (x87_commit), and the instruction goes on as with IGNNE#
 * asserted (SDM vol. 1, D.2.1).
 */
static int x87_pending(struct x86_cpu *cpu)
{
	if ((cpu->s.fpu.fsw & FSW_ES) && (cpu->s.cr0 & X86_CR0_NE))
		return x86_raise(cpu, 16, false, 0);
	return X86_OK;
}

int ex_fwait(struct x86_cpu *cpu, struct x86_insn *in)
{
	if ((cpu->s.cr0 & (X86_CR0_MP | X86_CR0_TS)) == (X86_CR0_MP | X86_CR0_TS))
		return x86_raise(cpu, 7, false, 0);
	return x87_pending(cpu);
}

/* Every escape raises #NM first when CR0.EM or CR0.TS is set (SDM 2.5). */
static int x87_nm(struct x86_cpu *cpu)
{
	if (cpu->s.cr0 & (X86_CR0_EM | X86_CR0_TS))
		return x86_raise(cpu, 7, false, 0);
	return X86_OK;
}

static bool x87_real(const struct x86_cpu *cpu)
{
	return cpu->mode == X86_MODE_REAL || cpu->mode == X86_MODE_V86;
}

/* TOP changed from old_top without a push or pop (FNINIT, FLDENV): st[] is
 * in stack order, so it turns to keep each physical register's contents. */
static void x87_renamed(struct x86_fpu *f, unsigned old_top)
{
	unsigned d = (fpu_top(f) - old_top) & 7;
	uint8_t old[8][16];
	if (!d)
		return;
	memcpy(old, f->st, sizeof(old));
	for (unsigned j = 0; j < 8; j++)
		memcpy(f->st[j], old[(j + d) & 7], 16);
}

/* ---- the host FPU round trip ---- */

static void x87_to_host(const struct x86_fpu *f, struct fpuhost_image *h)
{
	memset(h, 0, sizeof(*h));
	h->fcw = f->fcw;
	/* No exception flags go in: nothing is pending on the host, and the
	 * flags this instruction raises come back alone. */
	h->fsw = f->fsw & (FSW_TOP | FSW_CC);
	for (int i = 0; i < 8; i++)
		if (!(f->ftw & (1u << i)))
			h->ftw |= 3u << (2 * i);
	for (unsigned j = 0; j < 8; j++)
		memcpy(h->st[j], f->st[j], 10);
}

/* The state after the instruction; the exception flags are sticky. */
static void x87_from_host(struct x86_cpu *cpu, const struct fpuhost_image *h)
{
	struct x86_fpu *f = &cpu->s.fpu;
	bool was_es = f->fsw & FSW_ES;
	uint16_t sticky = (f->fsw | h->fsw) & (FSW_EXC | FSW_SF);
	f->fsw = (h->fsw & (FSW_TOP | FSW_CC)) | sticky;
	f->ftw = 0;
	for (int i = 0; i < 8; i++)
		if (((h->ftw >> (2 * i)) & 3) != 3)
			f->ftw |= 1u << i;
	for (unsigned j = 0; j < 8; j++)
		memcpy(f->st[j], h->st[j], 10);
	x87_update_es(f);
	if (!was_es && (f->fsw & FSW_ES) && !(cpu->s.cr0 & X86_CR0_NE) && cpu->ops->ferr)
		cpu->ops->ferr(cpu->opaque);
}

/* The last x87 instruction and its data operand (SDM 8.1.8, 8.1.9). */
static void x87_record(struct x86_cpu *cpu, struct x86_insn *in, bool mem, uint64_t off)
{
	struct x86_fpu *f = &cpu->s.fpu;
	f->fip = cpu->s.rip;
	f->fcs = cpu->s.seg[X86_CS].sel;
	f->fop = ((in->opcode & 7) << 8) | in->modrm;
	if (mem) {
		f->fdp = off;
		f->fds = cpu->s.seg[in->seg].sel;
	}
}

/* Memory operand size by escape and ModRM.reg; 0: not a data operand. */
static const uint8_t x87_msize[8][8] = {
    [0] = {4, 4, 4, 4, 4, 4, 4, 4}, [1] = {4, 0, 4, 4},
    [2] = {4, 4, 4, 4, 4, 4, 4, 4}, [3] = {4, 4, 4, 4, 0, 10, 0, 10},
    [4] = {8, 8, 8, 8, 8, 8, 8, 8}, [5] = {8, 8, 8, 8},
    [6] = {2, 2, 2, 2, 2, 2, 2, 2}, [7] = {2, 2, 2, 2, 10, 8, 10, 8},
};

static unsigned x87_size(const struct x86_insn *in)
{
	return x87_msize[in->opcode & 7][(in->modrm >> 3) & 7];
}

/* An instruction that reads memory: FLD, FILD, FBLD, arithmetic, compares. */
int ex_fmem_ld(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint8_t buf[16] = {0};
	uint64_t off;
	struct fpuhost_image h;
	int rc = x87_nm(cpu);
	if (!rc)
		rc = x87_pending(cpu);
	if (rc)
		return rc;
	opnd_ea(cpu, in, &off);
	rc = fpu_read(cpu, in->seg, off, buf, x87_size(in));
	if (rc)
		return rc;
	x87_to_host(&cpu->s.fpu, &h);
	fpuhost_run(&h, in->opcode, in->modrm, buf, 0);
	x87_from_host(cpu, &h);
	x87_record(cpu, in, true, off);
	return X86_OK;
}

/*
 * An instruction that writes memory: FST(P), FIST(P), FISTTP, FBSTP.  With
 * an unmasked exception the CPU may store nothing; whether it stored is
 * seen by running it over two different fillings (rare: only when the
 * first filling came back unchanged).
 */
int ex_fmem_st(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint8_t buf[16], fill[16];
	uint64_t off;
	unsigned size = x87_size(in);
	struct fpuhost_image h0, h;
	int rc = x87_nm(cpu);
	if (!rc)
		rc = x87_pending(cpu);
	if (rc)
		return rc;
	opnd_ea(cpu, in, &off);
	/* The destination faults (#GP, #PF) even when nothing is stored. */
	rc = mem_check(cpu, in->seg, off, size, ACC_WRITE);
	if (rc)
		return rc;
	x87_to_host(&cpu->s.fpu, &h0);
	bool stored = false;
	for (int pass = 0; pass < 2 && !stored; pass++) {
		memset(fill, pass ? 0x5A : 0xA5, sizeof(fill));
		memcpy(buf, fill, sizeof(buf));
		h = h0;
		fpuhost_run(&h, in->opcode, in->modrm, buf, 0);
		stored = memcmp(buf, fill, size) != 0;
	}
	if (stored) {
		rc = fpu_write(cpu, in->seg, off, buf, size);
		if (rc)
			return rc;
	}
	x87_from_host(cpu, &h);
	x87_record(cpu, in, true, off);
	return X86_OK;
}

/* A register form: arithmetic, compares, FCMOVcc, FXCH, constants,
 * transcendentals, FFREE, FINCSTP/FDECSTP... */
int ex_freg(struct x86_cpu *cpu, struct x86_insn *in)
{
	struct fpuhost_image h;
	int rc = x87_nm(cpu);
	if (!rc)
		rc = x87_pending(cpu);
	if (rc)
		return rc;
	cpu_sync_flags(cpu); /* FCMOVcc reads CF, ZF, PF */
	x87_to_host(&cpu->s.fpu, &h);
	fpuhost_run(&h, in->opcode, in->modrm, NULL, cpu->s.rflags);
	x87_from_host(cpu, &h);
	x87_record(cpu, in, false, 0);
	return X86_OK;
}

/* FCOMI, FCOMIP, FUCOMI, FUCOMIP: the result goes to ZF, PF, CF (OF, SF,
 * AF cleared). */
int ex_fcomi(struct x86_cpu *cpu, struct x86_insn *in)
{
	struct fpuhost_image h;
	int rc = x87_nm(cpu);
	if (!rc)
		rc = x87_pending(cpu);
	if (rc)
		return rc;
	x87_to_host(&cpu->s.fpu, &h);
	uint64_t fl = fpuhost_run(&h, in->opcode, in->modrm, NULL, 0);
	x87_from_host(cpu, &h);
	x87_record(cpu, in, false, 0);
	cpu_sync_flags(cpu);
	cpu_set_flags(cpu, fl,
		      X86_FLAGS_ZF | X86_FLAGS_PF | X86_FLAGS_CF | X86_FLAGS_OF | X86_FLAGS_SF |
			  X86_FLAGS_AF);
	return X86_OK;
}

/* ---- control instructions: no FIP/FDP update (SDM 8.1.8) ---- */

int ex_fninit(struct x86_cpu *cpu, struct x86_insn *in)
{
	struct x86_fpu *f = &cpu->s.fpu;
	int rc = x87_nm(cpu);
	if (rc)
		return rc;
	unsigned old_top = fpu_top(f);
	f->fcw = 0x37F;
	f->fsw = 0;
	f->ftw = 0;
	f->fop = 0;
	f->fip = f->fdp = 0;
	f->fcs = f->fds = 0;
	x87_renamed(f, old_top);
	return X86_OK;
}

/* FNENI, FNDISI, FNSETPM: 8087/287 controls the 387 and later ignore; not
 * waiting, and like the other controls they leave FIP alone (the host CPU). */
int ex_fnop287(struct x86_cpu *cpu, struct x86_insn *in)
{
	return x87_nm(cpu);
}

int ex_fnclex(struct x86_cpu *cpu, struct x86_insn *in)
{
	int rc = x87_nm(cpu);
	if (rc)
		return rc;
	cpu->s.fpu.fsw &= ~(FSW_EXC | FSW_SF | FSW_ES | FSW_B);
	return X86_OK;
}

int ex_fnstsw_ax(struct x86_cpu *cpu, struct x86_insn *in)
{
	int rc = x87_nm(cpu);
	if (rc)
		return rc;
	cpu->s.gpr[X86_RAX] = (cpu->s.gpr[X86_RAX] & ~0xFFFFull) | cpu->s.fpu.fsw;
	return X86_OK;
}

/* FNSTSW m16 and FNSTCW m16. */
int ex_fnstsw(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t off;
	int rc = x87_nm(cpu);
	if (rc)
		return rc;
	opnd_ea(cpu, in, &off);
	return mem_write(cpu, in->seg, off, 2, cpu->s.fpu.fsw);
}

int ex_fnstcw(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t off;
	int rc = x87_nm(cpu);
	if (rc)
		return rc;
	opnd_ea(cpu, in, &off);
	return mem_write(cpu, in->seg, off, 2, cpu->s.fpu.fcw);
}

int ex_fldcw(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t off, v;
	int rc = x87_nm(cpu);
	if (!rc)
		rc = x87_pending(cpu);
	if (rc)
		return rc;
	opnd_ea(cpu, in, &off);
	rc = mem_read(cpu, in->seg, off, 2, &v);
	if (rc)
		return rc;
	cpu->s.fpu.fcw = fpu_fcw((uint16_t)v);
	x87_update_es(&cpu->s.fpu);
	return X86_OK;
}

/* ---- environment and state images (SDM vol. 1, 8.1.10, figures 8-9..8-12) ---- */

/* The full tag of a non-empty register (SDM 8.1.7): valid, zero, special. */
static unsigned x87_tag(const uint8_t *r)
{
	uint64_t m;
	uint16_t se;
	memcpy(&m, r, 8);
	memcpy(&se, r + 8, 2);
	unsigned e = se & 0x7FFF;
	if (e == 0x7FFF)
		return 2;
	if (e == 0)
		return m ? 2 : 1;
	return (m >> 63) ? 0 : 2; /* unnormals are special */
}

static uint16_t x87_full_tags(const struct x86_fpu *f)
{
	uint16_t t = 0;
	for (int i = 0; i < 8; i++)
		t |= (f->ftw & (1u << i) ? x87_tag(f->st[fpu_st_of(f, i)]) : 3u) << (2 * i);
	return t;
}

/* The environment: 28 bytes with a 32-bit operand size, else 14.  Real and
 * virtual-8086 mode store 20/32-bit linear pointers beside FOP. */
static unsigned x87_env_size(const struct x86_insn *in)
{
	return in->opsize == 2 ? 14 : 28;
}

static void x87_env_store(const struct x86_cpu *cpu, const struct x86_insn *in, uint8_t *e)
{
	const struct x86_fpu *f = &cpu->s.fpu;
	uint32_t ip = (uint32_t)f->fip, dp = (uint32_t)f->fdp;
	if (x87_real(cpu)) {
		ip += (uint32_t)f->fcs << 4;
		dp += (uint32_t)f->fds << 4;
	}
	if (in->opsize == 2) {
		memset(e, 0, 14);
		put16(e + 0, f->fcw);
		put16(e + 2, f->fsw);
		put16(e + 4, x87_full_tags(f));
		put16(e + 6, (uint16_t)ip);
		if (x87_real(cpu)) {
			put16(e + 8, (uint16_t)(((ip >> 16) & 0xF) << 12 | (f->fop & 0x7FF)));
			put16(e + 10, (uint16_t)dp);
			put16(e + 12, (uint16_t)(((dp >> 16) & 0xF) << 12));
		} else {
			put16(e + 8, f->fcs);
			put16(e + 10, (uint16_t)dp);
			put16(e + 12, f->fds);
		}
		return;
	}
	memset(e, 0, 28);
	put32(e + 0, 0xFFFF0000u | f->fcw);
	put32(e + 4, 0xFFFF0000u | f->fsw);
	put32(e + 8, 0xFFFF0000u | x87_full_tags(f));
	if (x87_real(cpu)) {
		put32(e + 12, 0xFFFF0000u | (ip & 0xFFFF));
		put32(e + 16, (ip >> 16) << 12 | (f->fop & 0x7FF));
		put32(e + 20, 0xFFFF0000u | (dp & 0xFFFF));
		put32(e + 24, (dp >> 16) << 12);
	} else {
		put32(e + 12, ip);
		put32(e + 16, (uint32_t)(f->fop & 0x7FF) << 16 | f->fcs);
		put32(e + 20, dp);
		put32(e + 24, 0xFFFF0000u | f->fds);
	}
}

static void x87_env_load(struct x86_cpu *cpu, const struct x86_insn *in, const uint8_t *e)
{
	struct x86_fpu *f = &cpu->s.fpu;
	unsigned old_top = fpu_top(f);
	uint16_t tags;
	if (in->opsize == 2) {
		f->fcw = fpu_fcw(get16(e + 0));
		f->fsw = get16(e + 2);
		tags = get16(e + 4);
		if (x87_real(cpu)) {
			f->fip = get16(e + 6) | (uint32_t)(get16(e + 8) >> 12) << 16;
			f->fop = get16(e + 8) & 0x7FF;
			f->fdp = get16(e + 10) | (uint32_t)(get16(e + 12) >> 12) << 16;
			f->fcs = f->fds = 0;
		} else {
			f->fip = get16(e + 6);
			f->fcs = get16(e + 8);
			f->fdp = get16(e + 10);
			f->fds = get16(e + 12);
		}
	} else {
		f->fcw = fpu_fcw(get16(e + 0));
		f->fsw = get16(e + 4);
		tags = get16(e + 8);
		if (x87_real(cpu)) {
			f->fip = (get32(e + 12) & 0xFFFF) | ((get32(e + 16) >> 12) & 0xFFFF) << 16;
			f->fop = get32(e + 16) & 0x7FF;
			f->fdp = (get32(e + 20) & 0xFFFF) | ((get32(e + 24) >> 12) & 0xFFFF) << 16;
			f->fcs = f->fds = 0;
		} else {
			f->fip = get32(e + 12);
			f->fcs = get16(e + 16);
			f->fop = get16(e + 18) & 0x7FF;
			f->fdp = get32(e + 20);
			f->fds = get16(e + 24);
		}
	}
	f->ftw = 0;
	for (int i = 0; i < 8; i++)
		if (((tags >> (2 * i)) & 3) != 3)
			f->ftw |= 1u << i;
	x87_update_es(f);
	x87_renamed(f, old_top);
}

/* FLDENV and FRSTOR (regs: the 80 register bytes follow). */
static int x87_restore(struct x86_cpu *cpu, struct x86_insn *in, bool regs)
{
	uint8_t img[28 + 80];
	uint64_t off;
	unsigned n = x87_env_size(in);
	int rc = x87_nm(cpu);
	if (!rc)
		rc = x87_pending(cpu);
	if (rc)
		return rc;
	opnd_ea(cpu, in, &off);
	rc = fpu_probe(cpu, in->seg, off, n + (regs ? 80 : 0), ACC_READ, false);
	if (!rc)
		rc = fpu_read(cpu, in->seg, off, img, n + (regs ? 80 : 0));
	if (rc)
		return rc;
	x87_env_load(cpu, in, img);
	if (regs) {
		struct x86_fpu *f = &cpu->s.fpu;
		for (unsigned j = 0; j < 8; j++) {
			memcpy(f->st[j], img + n + 10 * j, 10);
			memset(f->st[j] + 10, 0, 6);
		}
	}
	return X86_OK;
}

int ex_fldenv(struct x86_cpu *cpu, struct x86_insn *in)
{
	return x87_restore(cpu, in, false);
}

int ex_frstor(struct x86_cpu *cpu, struct x86_insn *in)
{
	return x87_restore(cpu, in, true);
}

/* FNSTENV masks every exception afterwards; FNSAVE reinitialises (FNINIT). */
static int x87_save(struct x86_cpu *cpu, struct x86_insn *in, bool regs)
{
	uint8_t img[28 + 80];
	uint64_t off;
	unsigned n = x87_env_size(in);
	struct x86_fpu *f = &cpu->s.fpu;
	int rc = x87_nm(cpu);
	if (rc)
		return rc;
	opnd_ea(cpu, in, &off);
	x87_env_store(cpu, in, img);
	for (unsigned j = 0; regs && j < 8; j++)
		memcpy(img + n + 10 * j, f->st[j], 10);
	rc = fpu_probe(cpu, in->seg, off, n + (regs ? 80 : 0), ACC_WRITE, false);
	if (!rc)
		rc = fpu_write(cpu, in->seg, off, img, n + (regs ? 80 : 0));
	if (rc)
		return rc;
	if (regs)
		return ex_fninit(cpu, in);
	f->fcw |= FSW_EXC;
	x87_update_es(f); /* nothing is unmasked now: ES and B clear */
	return X86_OK;
}

int ex_fnstenv(struct x86_cpu *cpu, struct x86_insn *in)
{
	return x87_save(cpu, in, false);
}

int ex_fnsave(struct x86_cpu *cpu, struct x86_insn *in)
{
	return x87_save(cpu, in, true);
}

/* ---- the table (SDM vol. 2, tables) ---- */

/* Memory forms read by ModRM.reg, register forms by ModRM - C0 from [8]. */
#define M(body, mn)                                                                                \
	{                                                                                          \
		.fn = ex_##body, .name = mn, .o = {{OM_M, OS_NONE}}, .flags = F_MODRM              \
	}
#define R(body, mn)                                                                                \
	{                                                                                          \
		.fn = ex_##body, .name = mn, .flags = F_MODRM                                      \
	}
#define ARITH8(body, kind, a, b, c, d, e, f, g, h)                                                 \
	[0] = body(kind, a), [1] = body(kind, b), [2] = body(kind, c), [3] = body(kind, d),        \
	[4] = body(kind, e), [5] = body(kind, f), [6] = body(kind, g), [7] = body(kind, h)
#define RR(first, last, mn) [8 + first - 0xC0 ... 8 + last - 0xC0] = R(freg, mn)

const struct x86_opcode x86_x87[8][72] = {
    [0] = {ARITH8(M, fmem_ld, "fadd", "fmul", "fcom", "fcomp", "fsub", "fsubr", "fdiv", "fdivr"),
	   RR(0xC0, 0xC7, "fadd"), RR(0xC8, 0xCF, "fmul"), RR(0xD0, 0xD7, "fcom"),
	   RR(0xD8, 0xDF, "fcomp"), RR(0xE0, 0xE7, "fsub"), RR(0xE8, 0xEF, "fsubr"),
	   RR(0xF0, 0xF7, "fdiv"), RR(0xF8, 0xFF, "fdivr")},
    [1] = {[0] = M(fmem_ld, "fld"),   [2] = M(fmem_st, "fst"),	 [3] = M(fmem_st, "fstp"),
	   [4] = M(fldenv, "fldenv"), [5] = M(fldcw, "fldcw"),	 [6] = M(fnstenv, "fnstenv"),
	   [7] = M(fnstcw, "fnstcw"), RR(0xC0, 0xC7, "fld"),	 RR(0xC8, 0xCF, "fxch"),
	   RR(0xD0, 0xD0, "fnop"),    RR(0xD8, 0xDF, "fstp1"),	 RR(0xE0, 0xE0, "fchs"),
	   RR(0xE1, 0xE1, "fabs"),    RR(0xE4, 0xE4, "ftst"),	 RR(0xE5, 0xE5, "fxam"),
	   RR(0xE8, 0xE8, "fld1"),    RR(0xE9, 0xE9, "fldl2t"),	 RR(0xEA, 0xEA, "fldl2e"),
	   RR(0xEB, 0xEB, "fldpi"),   RR(0xEC, 0xEC, "fldlg2"),	 RR(0xED, 0xED, "fldln2"),
	   RR(0xEE, 0xEE, "fldz"),    RR(0xF0, 0xF0, "f2xm1"),	 RR(0xF1, 0xF1, "fyl2x"),
	   RR(0xF2, 0xF2, "fptan"),   RR(0xF3, 0xF3, "fpatan"),	 RR(0xF4, 0xF4, "fxtract"),
	   RR(0xF5, 0xF5, "fprem1"),  RR(0xF6, 0xF6, "fdecstp"), RR(0xF7, 0xF7, "fincstp"),
	   RR(0xF8, 0xF8, "fprem"),   RR(0xF9, 0xF9, "fyl2xp1"), RR(0xFA, 0xFA, "fsqrt"),
	   RR(0xFB, 0xFB, "fsincos"), RR(0xFC, 0xFC, "frndint"), RR(0xFD, 0xFD, "fscale"),
	   RR(0xFE, 0xFE, "fsin"),    RR(0xFF, 0xFF, "fcos")},
    [2] = {ARITH8(M, fmem_ld, "fiadd", "fimul", "ficom", "ficomp", "fisub", "fisubr", "fidiv",
		  "fidivr"),
	   RR(0xC0, 0xC7, "fcmovb"), RR(0xC8, 0xCF, "fcmove"), RR(0xD0, 0xD7, "fcmovbe"),
	   RR(0xD8, 0xDF, "fcmovu"), RR(0xE9, 0xE9, "fucompp")},
    [3] = {[0] = M(fmem_ld, "fild"),
	   [1] = M(fmem_st, "fisttp"),
	   [2] = M(fmem_st, "fist"),
	   [3] = M(fmem_st, "fistp"),
	   [5] = M(fmem_ld, "fld"),
	   [7] = M(fmem_st, "fstp"),
	   RR(0xC0, 0xC7, "fcmovnb"),
	   RR(0xC8, 0xCF, "fcmovne"),
	   RR(0xD0, 0xD7, "fcmovnbe"),
	   RR(0xD8, 0xDF, "fcmovnu"),
	   [8 + 0x20] = R(fnop287, "fneni"),
	   [8 + 0x21] = R(fnop287, "fndisi"),
	   [8 + 0x22] = R(fnclex, "fnclex"),
	   [8 + 0x23] = R(fninit, "fninit"),
	   [8 + 0x24] = R(fnop287, "fnsetpm"),
	   [8 + 0x28 ... 8 + 0x2F] = R(fcomi, "fucomi"),
	   [8 + 0x30 ... 8 + 0x37] = R(fcomi, "fcomi")},
    [4] = {ARITH8(M, fmem_ld, "fadd", "fmul", "fcom", "fcomp", "fsub", "fsubr", "fdiv", "fdivr"),
	   RR(0xC0, 0xC7, "fadd"), RR(0xC8, 0xCF, "fmul"), RR(0xD0, 0xD7, "fcom2"),
	   RR(0xD8, 0xDF, "fcomp3"), RR(0xE0, 0xE7, "fsubr"), RR(0xE8, 0xEF, "fsub"),
	   RR(0xF0, 0xF7, "fdivr"), RR(0xF8, 0xFF, "fdiv")},
    [5] = {[0] = M(fmem_ld, "fld"),
	   [1] = M(fmem_st, "fisttp"),
	   [2] = M(fmem_st, "fst"),
	   [3] = M(fmem_st, "fstp"),
	   [4] = M(frstor, "frstor"),
	   [6] = M(fnsave, "fnsave"),
	   [7] = M(fnstsw, "fnstsw"),
	   RR(0xC0, 0xC7, "ffree"),
	   RR(0xC8, 0xCF, "fxch4"),
	   RR(0xD0, 0xD7, "fst"),
	   RR(0xD8, 0xDF, "fstp"),
	   RR(0xE0, 0xE7, "fucom"),
	   RR(0xE8, 0xEF, "fucomp")},
    [6] = {ARITH8(M, fmem_ld, "fiadd", "fimul", "ficom", "ficomp", "fisub", "fisubr", "fidiv",
		  "fidivr"),
	   RR(0xC0, 0xC7, "faddp"), RR(0xC8, 0xCF, "fmulp"), RR(0xD0, 0xD7, "fcomp5"),
	   RR(0xD9, 0xD9, "fcompp"), RR(0xE0, 0xE7, "fsubrp"), RR(0xE8, 0xEF, "fsubp"),
	   RR(0xF0, 0xF7, "fdivrp"), RR(0xF8, 0xFF, "fdivp")},
    [7] = {[0] = M(fmem_ld, "fild"),
	   [1] = M(fmem_st, "fisttp"),
	   [2] = M(fmem_st, "fist"),
	   [3] = M(fmem_st, "fistp"),
	   [4] = M(fmem_ld, "fbld"),
	   [5] = M(fmem_ld, "fild"),
	   [6] = M(fmem_st, "fbstp"),
	   [7] = M(fmem_st, "fistp"),
	   RR(0xC0, 0xC7, "ffreep"),
	   RR(0xC8, 0xCF, "fxch7"),
	   RR(0xD0, 0xD7, "fstp8"),
	   RR(0xD8, 0xDF, "fstp9"),
	   [8 + 0x20] = R(fnstsw_ax, "fnstsw"),
	   [8 + 0x28 ... 8 + 0x2F] = R(fcomi, "fucomip"),
	   [8 + 0x30 ... 8 + 0x37] = R(fcomi, "fcomip")},
};
