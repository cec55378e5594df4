/*
 * x86/fpustate.c - the x87/SSE state as memory and as XCR0 sees it: FXSAVE and
 * FXRSTOR (32- and 64-bit formats), XSAVE, XSAVEOPT, XSAVEC, XRSTOR (standard
 * and compacted), XGETBV/XSETBV, CPUID leaf 0xD, and the image the KVM engine
 * converts.  Only the x87 (XCR0 bit 0) and SSE (bit 1) components exist here.
 * Not the x87 instructions (x87.c) nor SSE (sse*.c).
 * Follows Intel SDM vol. 1 ch. 13 (XSAVE), vol. 2 FXSAVE/FXRSTOR tables 3-43..47.
 */
#include <errno.h>

#include "x86/bytes.h"
#include "x86/cpu.h"
#include "x86/fpu.h"

#define FPU_XCR0_SUPPORTED 3ull /* x87, SSE */
#define FPU_LEGACY	   512	/* FXSAVE image, the XSAVE legacy region */
#define FPU_XSAVE_SIZE	   576	/* legacy region + XSAVE header */
#define FPU_XCOMP	   (1ull << 63)

/*
 * The 512-byte FXSAVE image of f; w64: the REX.W format with 64-bit FIP/FDP.
 * guest: as the instructions store it, which on the host CPU (AMD) leaves
 * FOP, FIP, FCS, FDP and FDS zero unless an exception is pending (FSW.ES);
 * FNSTENV stores them always (measured: tests/unit/test_x86_fpu.c).
 */
static void fpu_legacy_image(const struct x86_fpu *f, uint8_t *img, bool w64, bool guest)
{
	memset(img, 0, FPU_LEGACY);
	put16(img + 0, f->fcw);
	put16(img + 2, f->fsw);
	img[4] = f->ftw;
	put32(img + 24, f->mxcsr);
	put32(img + 28, FPU_MXCSR_MASK);
	for (int j = 0; j < 8; j++)
		memcpy(img + 32 + 16 * j, f->st[j], 10);
	memcpy(img + 160, f->xmm, sizeof(f->xmm));
	if (guest && !(f->fsw & FSW_ES))
		return;
	put16(img + 6, f->fop & 0x7FF);
	if (w64) {
		put64(img + 8, f->fip);
		put64(img + 16, f->fdp);
	} else {
		put32(img + 8, (uint32_t)f->fip);
		put16(img + 12, f->fcs);
		put32(img + 16, (uint32_t)f->fdp);
		put16(img + 20, f->fds);
	}
}

/* Load the x87 part (not MXCSR, not XMM) of an FXSAVE image. */
static void fpu_legacy_load_x87(struct x86_fpu *f, const uint8_t *img, bool w64)
{
	f->fcw = get16(img + 0);
	f->fsw = get16(img + 2);
	f->ftw = img[4];
	f->fop = get16(img + 6) & 0x7FF;
	if (w64) {
		f->fip = get64(img + 8);
		f->fdp = get64(img + 16);
	} else {
		f->fip = get32(img + 8);
		f->fcs = get16(img + 12);
		f->fdp = get32(img + 16);
		f->fds = get16(img + 20);
	}
	for (int j = 0; j < 8; j++) {
		uint8_t *r = f->st[j];
		memcpy(r, img + 32 + 16 * j, 10);
		memset(r + 10, 0, 6);
	}
}

void fpu_x87_init_state(struct x86_fpu *f)
{
	f->fcw = 0x37F;
	f->fsw = 0;
	f->ftw = 0;
	f->fop = 0;
	f->fip = f->fdp = 0;
	f->fcs = f->fds = 0;
	memset(f->st, 0, sizeof(f->st));
}

/* XINUSE (SDM vol. 1, 13.6): here a component is "in use" exactly when it is
 * not in its initial configuration, which the manual allows. */
static uint64_t fpu_xinuse(const struct x86_cpu *cpu)
{
	const struct x86_fpu *f = &cpu->s.fpu;
	static const uint8_t zero[sizeof(f->xmm)];
	uint64_t use = 0;
	bool x87_init = f->fcw == 0x37F && f->fsw == 0 && f->ftw == 0 && f->fop == 0 &&
			f->fip == 0 && f->fdp == 0 && f->fcs == 0 && f->fds == 0;
	for (int i = 0; i < 8 && x87_init; i++)
		x87_init = !memcmp(f->st[i], zero, 10);
	if (!x87_init)
		use |= 1;
	/* SSE's includes MXCSR: the compacted XRSTOR of an init SSE component
	 * sets it to 1F80h (SDM 13.8.2). */
	if (memcmp(f->xmm, zero, fpu_nxmm(cpu) * 16) || f->mxcsr != 0x1F80)
		use |= 2;
	return use;
}

/* ---- guest memory in blocks ---- */

int fpu_probe(struct x86_cpu *cpu, int seg, uint64_t off, unsigned len, enum x86_acc acc,
	      bool last_first)
{
	int rc;
	if (last_first) {
		rc = mem_check(cpu, seg, off + len - 1, 1, acc);
		return rc ? rc : mem_check(cpu, seg, off, 1, acc);
	}
	rc = mem_check(cpu, seg, off, 4, acc); /* the first field, a doubleword */
	return rc ? rc : mem_check(cpu, seg, off + len - 1, 1, acc);
}

int fpu_read(struct x86_cpu *cpu, int seg, uint64_t off, void *buf, unsigned len)
{
	uint64_t lin;
	int rc = seg_linear(cpu, seg, off, len, ACC_READ, &lin);
	if (rc)
		return rc;
	return mmu_read_lin(cpu, lin, buf, len, ACC_READ, cpu->cpl);
}

int fpu_write(struct x86_cpu *cpu, int seg, uint64_t off, const void *buf, unsigned len)
{
	uint64_t lin;
	int rc = seg_linear(cpu, seg, off, len, ACC_WRITE, &lin);
	if (rc)
		return rc;
	return mmu_write_lin(cpu, lin, buf, len, cpu->cpl, false);
}

/* The memory operand of a save/restore instruction, with its alignment
 * check (#GP(0), SDM FXSAVE/XSAVE "Protected Mode Exceptions"). */
static int fpu_area(struct x86_cpu *cpu, struct x86_insn *in, unsigned align, uint64_t *off)
{
	uint64_t lin;
	opnd_ea(cpu, in, off);
	/* A non-canonical address (#SS with RSP/RBP) wins over misalignment
	 * (the host CPU). */
	int rc = seg_linear(cpu, in->seg, *off, 1, ACC_READ, &lin);
	if (rc)
		return rc;
	if (lin & (align - 1))
		return x86_gp(cpu, 0);
	return X86_OK;
}

/* ---- FXSAVE / FXRSTOR ---- */

static int fpu_fx_check(struct x86_cpu *cpu)
{
	if (cpu->s.cr0 & (X86_CR0_TS | X86_CR0_EM))
		return x86_raise(cpu, 7, false, 0);
	return X86_OK;
}

/* FXSAVE writes bytes 0-159 and the XMM registers of the mode; 416-511 are
 * left alone (as the host CPU does: tests/unit/test_x86_fpu.c). */
int ex_fxsave(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t off;
	uint8_t img[FPU_LEGACY];
	int rc = fpu_fx_check(cpu);
	if (!rc)
		rc = fpu_area(cpu, in, 16, &off);
	if (rc)
		return rc;
	rc = fpu_probe(cpu, in->seg, off, FPU_LEGACY, ACC_WRITE, true);
	if (rc)
		return rc;
	fpu_legacy_image(&cpu->s.fpu, img, in->rex & 8, true);
	return fpu_write(cpu, in->seg, off, img, 160 + 16 * fpu_nxmm(cpu));
}

int ex_fxrstor(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t off;
	uint8_t img[FPU_LEGACY];
	int rc = fpu_fx_check(cpu);
	if (!rc)
		rc = fpu_area(cpu, in, 16, &off);
	/* The last byte, MXCSR (a reserved bit faults before the rest is
	 * read), then the whole image: the host CPU's order. */
	uint64_t mx = 0;
	if (!rc)
		rc = mem_check(cpu, in->seg, off + FPU_LEGACY - 1, 1, ACC_READ);
	if (!rc)
		rc = mem_read(cpu, in->seg, off + 24, 4, &mx);
	if (!rc && (mx & ~FPU_MXCSR_MASK))
		rc = x86_gp(cpu, 0);
	if (!rc)
		rc = fpu_read(cpu, in->seg, off, img, FPU_LEGACY);
	if (rc)
		return rc;
	uint32_t mxcsr = get32(img + 24);
	struct x86_fpu *f = &cpu->s.fpu;
	fpu_legacy_load_x87(f, img, in->rex & 8);
	f->mxcsr = mxcsr;
	memcpy(f->xmm, img + 160, 16 * fpu_nxmm(cpu));
	return X86_OK;
}

/* ---- XSAVE family ---- */

static int fpu_x_check(struct x86_cpu *cpu)
{
	if (!(cpu->s.cr4 & X86_CR4_OSXSAVE))
		return x86_ud(cpu);
	if (cpu->s.cr0 & X86_CR0_TS)
		return x86_raise(cpu, 7, false, 0);
	return X86_OK;
}

static uint64_t fpu_rfbm(struct x86_cpu *cpu)
{
	uint64_t mask = (uint32_t)cpu->s.gpr[X86_RAX] | (cpu->s.gpr[X86_RDX] << 32);
	return mask & cpu->s.xcr0;
}

enum { XS_SAVE, XS_OPT, XS_COMPACT };

/*
 * XSAVE writes every requested component; XSAVEOPT and XSAVEC skip those in
 * their initial configuration (the init optimization, SDM 13.9, 13.10), and
 * XSAVEC writes the compacted header.  MXCSR goes with SSE's RFBM bit (or
 * AVX's, never set here) for the standard forms, with SSE's XINUSE too for
 * XSAVEC (the host CPU).
 */
static int fpu_xsave_common(struct x86_cpu *cpu, struct x86_insn *in, int kind)
{
	uint64_t off, use = fpu_xinuse(cpu);
	uint8_t img[FPU_XSAVE_SIZE];
	int rc = fpu_x_check(cpu);
	if (!rc)
		rc = fpu_area(cpu, in, 64, &off);
	if (rc)
		return rc;
	uint64_t rfbm = fpu_rfbm(cpu);
	uint64_t save = kind == XS_SAVE ? rfbm : rfbm & use;
	unsigned first = (rfbm & 3) ? 0 : FPU_LEGACY;
	rc = mem_check(cpu, in->seg, off + first, FPU_XSAVE_SIZE - first, ACC_WRITE);
	if (!rc && kind != XS_COMPACT)
		rc = fpu_read(cpu, in->seg, off + FPU_LEGACY, img + FPU_LEGACY, 8);
	if (rc)
		return rc;
	fpu_legacy_image(&cpu->s.fpu, img, in->rex & 8, true);
	if (save & 1) {
		fpu_write(cpu, in->seg, off, img, 24);
		fpu_write(cpu, in->seg, off + 32, img + 32, 128);
	}
	if (kind == XS_COMPACT ? (save & 2) : (rfbm & 2))
		fpu_write(cpu, in->seg, off + 24, img + 24, 8);
	if (save & 2)
		fpu_write(cpu, in->seg, off + 160, img + 160, 16 * fpu_nxmm(cpu));
	if (kind == XS_COMPACT) { /* XSTATE_BV and XCOMP_BV; the rest of the header stays */
		put64(img + FPU_LEGACY, rfbm & use);
		put64(img + FPU_LEGACY + 8, rfbm | FPU_XCOMP);
		return fpu_write(cpu, in->seg, off + FPU_LEGACY, img + FPU_LEGACY, 16);
	}
	uint64_t bv = (get64(img + FPU_LEGACY) & ~rfbm) | (use & rfbm);
	put64(img + FPU_LEGACY, bv);
	return fpu_write(cpu, in->seg, off + FPU_LEGACY, img + FPU_LEGACY, 8);
}

int ex_xsave(struct x86_cpu *cpu, struct x86_insn *in)
{
	return fpu_xsave_common(cpu, in, XS_SAVE);
}

int ex_xsaveopt(struct x86_cpu *cpu, struct x86_insn *in)
{
	return fpu_xsave_common(cpu, in, XS_OPT);
}

int ex_xsavec(struct x86_cpu *cpu, struct x86_insn *in)
{
	return fpu_xsave_common(cpu, in, XS_COMPACT);
}

/* Check an XSAVE header (SDM 13.8.1 and 13.8.2's #GP conditions). */
static bool fpu_header_ok(const uint8_t *hdr, uint64_t xcr0)
{
	uint64_t bv = get64(hdr), comp = get64(hdr + 8);
	for (int i = 16; i < 64; i++)
		if (hdr[i])
			return false;
	if (!(comp & FPU_XCOMP))
		return comp == 0 && !(bv & ~xcr0);
	return !(comp & ~(xcr0 | FPU_XCOMP)) && !(bv & ~comp);
}

int ex_xrstor(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t off;
	uint8_t img[FPU_XSAVE_SIZE];
	int rc = fpu_x_check(cpu);
	if (!rc)
		rc = fpu_area(cpu, in, 64, &off);
	if (!rc)
		rc = fpu_read(cpu, in->seg, off + FPU_LEGACY, img + FPU_LEGACY, 64);
	if (rc)
		return rc;
	uint64_t rfbm = fpu_rfbm(cpu);
	const uint8_t *hdr = img + FPU_LEGACY;
	if (!fpu_header_ok(hdr, cpu->s.xcr0))
		return x86_gp(cpu, 0);
	uint64_t bv = get64(hdr);
	bool compact = get64(hdr + 8) & FPU_XCOMP;
	if (rfbm & 3) {
		rc = fpu_read(cpu, in->seg, off, img, FPU_LEGACY);
		if (rc)
			return rc;
	}
	struct x86_fpu *f = &cpu->s.fpu;
	uint32_t mxcsr = f->mxcsr;
	if (compact ? (rfbm & bv & 2) : (rfbm & 2))
		mxcsr = get32(img + 24);
	else if (compact && (rfbm & 2))
		mxcsr = 0x1F80;
	if (mxcsr & ~FPU_MXCSR_MASK)
		return x86_gp(cpu, 0);
	if (rfbm & 1) {
		if (bv & 1)
			fpu_legacy_load_x87(f, img, in->rex & 8);
		else
			fpu_x87_init_state(f);
	}
	if (rfbm & 2) {
		if (bv & 2)
			memcpy(f->xmm, img + 160, 16 * fpu_nxmm(cpu));
		else
			memset(f->xmm, 0, 16 * fpu_nxmm(cpu));
	}
	f->mxcsr = mxcsr;
	return X86_OK;
}

/* ---- XCR0 ---- */

int ex_xgetbv(struct x86_cpu *cpu, struct x86_insn *in)
{
	if (!(cpu->s.cr4 & X86_CR4_OSXSAVE))
		return x86_ud(cpu);
	if ((uint32_t)cpu->s.gpr[X86_RCX] != 0)
		return x86_gp(cpu, 0);
	cpu->s.gpr[X86_RAX] = (uint32_t)cpu->s.xcr0;
	cpu->s.gpr[X86_RDX] = cpu->s.xcr0 >> 32;
	return X86_OK;
}

int ex_xsetbv(struct x86_cpu *cpu, struct x86_insn *in)
{
	if (!(cpu->s.cr4 & X86_CR4_OSXSAVE))
		return x86_ud(cpu);
	uint64_t v = (uint32_t)cpu->s.gpr[X86_RAX] | (cpu->s.gpr[X86_RDX] << 32);
	if (cpu->cpl != 0 || (uint32_t)cpu->s.gpr[X86_RCX] != 0 || !(v & 1) ||
	    (v & ~FPU_XCR0_SUPPORTED))
		return x86_gp(cpu, 0);
	cpu->s.xcr0 = v;
	return X86_OK;
}

/* CPUID leaf 0xD (SDM vol. 2 CPUID, table 3-8).  The sizes would follow
 * XCR0; with only x87 and SSE, both in the legacy region, they are fixed. */
void fpu_cpuid_xsave(uint64_t xcr0, uint32_t subleaf, uint32_t out[4])
{
	out[0] = out[1] = out[2] = out[3] = 0;
	if (subleaf == 0) {
		out[0] = FPU_XCR0_SUPPORTED;
		out[1] = FPU_XSAVE_SIZE; /* for the components XCR0 enables */
		out[2] = FPU_XSAVE_SIZE; /* for every supported component */
	} else if (subleaf == 1) {
		out[0] = (1u << 0) | (1u << 1); /* XSAVEOPT, XSAVEC */
		out[1] = FPU_XSAVE_SIZE;	/* compacted, XCR0 | IA32_XSS (Linux uses it) */
	}
}

/* ---- the image for the KVM engine and snapshots ---- */

void x86_fpu_save_image(const struct x86_state *s, uint8_t *buf, size_t size)
{
	memset(buf, 0, size);
	fpu_legacy_image(&s->fpu, buf, true, false);
	put64(buf + FPU_LEGACY, s->xcr0 & FPU_XCR0_SUPPORTED);
}

int x86_fpu_load_image(struct x86_state *s, const uint8_t *buf, size_t size)
{
	if (size < FPU_XSAVE_SIZE || !fpu_header_ok(buf + FPU_LEGACY, FPU_XCR0_SUPPORTED) ||
	    (get64(buf + FPU_LEGACY + 8) & FPU_XCOMP) || (get32(buf + 24) & ~FPU_MXCSR_MASK))
		return -EINVAL;
	uint64_t bv = get64(buf + FPU_LEGACY);
	if (bv & 1)
		fpu_legacy_load_x87(&s->fpu, buf, true);
	else
		fpu_x87_init_state(&s->fpu);
	s->fpu.mxcsr = get32(buf + 24);
	if (bv & 2)
		memcpy(s->fpu.xmm, buf + 160, sizeof(s->fpu.xmm));
	else
		memset(s->fpu.xmm, 0, sizeof(s->fpu.xmm));
	return 0;
}
