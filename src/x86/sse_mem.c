/*
 * x86/sse_mem.c - the operands of SSE/MMX instructions: XMM and MMX registers
 * by the manual's codes (V W U P Q N), general registers, and memory of up to
 * 16 bytes with the legacy-SSE alignment rule; the MMX/x87 register aliasing.
 * Not the instructions (sse_move.c, sse_int.c, sse_fp.c, sse_str.c).
 * Follows Intel SDM vol. 1 9.5 (MMX/x87 aliasing), 10.4.1.1 and vol. 2
 * table 2-18 (16-byte alignment: #GP(0) whatever the segment).
 */
#include "x86/simd.h"

/* Host memory for the whole access on the fast path (64-bit mode, flat
 * segment, a TLB entry allowing it, one page), else NULL. */
static uint8_t *simd_fast(struct x86_cpu *cpu, int seg, uint64_t off, unsigned len,
			  enum x86_acc acc)
{
	if (cpu->mode != X86_MODE_LONG64 || seg >= X86_FS || (off & 0xFFF) + len > 4096)
		return NULL;
	const struct x86_tlb_entry *e = &cpu->tlb[mmu_tlb_index(off)];
	if (e->lpage != ((off & ~0xFFFull) | 1))
		return NULL;
	uint8_t *p = e->fast[acc == ACC_WRITE][cpu->cpl == 3];
	return p ? p + (off & 0xFFF) : NULL;
}

/* The linear address of the ModRM memory operand, checked for segment
 * limits, canonical form and (aligned) 16-byte alignment. */
static int simd_lin(struct x86_cpu *cpu, struct x86_insn *in, unsigned len, bool aligned,
		    enum x86_acc acc, uint64_t *lin, uint8_t **host)
{
	uint64_t off;
	opnd_ea(cpu, in, &off);
	/* Alignment comes before the segment's limit and canonical checks
	 * (the host CPU: a misaligned non-canonical SS access is #GP). */
	bool flat = cpu->mode == X86_MODE_LONG64 && in->seg < X86_FS;
	if (aligned && ((off + (flat ? 0 : cpu->s.seg[in->seg].base)) & 15))
		return x86_gp(cpu, 0);
	*host = simd_fast(cpu, in->seg, off, len, acc);
	if (*host)
		return X86_OK;
	return seg_linear(cpu, in->seg, off, len, acc, lin);
}

int simd_mem_read(struct x86_cpu *cpu, struct x86_insn *in, void *buf, unsigned len, bool aligned)
{
	uint64_t lin;
	uint8_t *p;
	int rc = simd_lin(cpu, in, len, aligned, ACC_READ, &lin, &p);
	if (rc)
		return rc;
	if (p) {
		memcpy(buf, p, len);
		return X86_OK;
	}
	return mmu_read_lin(cpu, lin, buf, len, ACC_READ, cpu->cpl);
}

int simd_mem_write(struct x86_cpu *cpu, struct x86_insn *in, const void *buf, unsigned len,
		   bool aligned)
{
	uint64_t lin;
	uint8_t *p;
	int rc = simd_lin(cpu, in, len, aligned, ACC_WRITE, &lin, &p);
	if (rc)
		return rc;
	if (p) {
		memcpy(p, buf, len);
		return X86_OK;
	}
	return mmu_write_lin(cpu, lin, buf, len, cpu->cpl, false);
}

/*
 * MMX register r is x87 physical register r.  struct x86_fpu keeps the x87
 * registers as FXSAVE does, in stack order (st[i] is ST(i) = physical
 * register (TOP + i) mod 8), so MMr is st[(r - TOP) mod 8].
 */
static unsigned simd_top(const struct x86_cpu *cpu)
{
	return (cpu->s.fpu.fsw >> 11) & 7;
}

void simd_mmx_get(struct x86_cpu *cpu, unsigned r, union xmm *v)
{
	memset(v, 0, sizeof(*v));
	memcpy(v, cpu->s.fpu.st[(r - simd_top(cpu)) & 7], 8);
}

/* Writing MMr also sets bits 64-79 of that register (sign and exponent) to
 * all ones (SDM vol. 1, 9.5.1); call after simd_mmx_enter (TOP is 0). */
void simd_mmx_set(struct x86_cpu *cpu, unsigned r, uint64_t v)
{
	uint8_t *st = cpu->s.fpu.st[(r - simd_top(cpu)) & 7];
	memcpy(st, &v, 8);
	st[8] = st[9] = 0xFF;
}

/* Every MMX instruction but EMMS sets TOP to 0 and tags all registers
 * valid (SDM vol. 1, 9.5.1, table 9-3).  The stack-order array turns so
 * that st[i] stays physical register i's contents. */
void simd_mmx_enter(struct x86_cpu *cpu)
{
	struct x86_fpu *f = &cpu->s.fpu;
	unsigned top = simd_top(cpu);
	if (top) {
		uint8_t old[8][16];
		memcpy(old, f->st, sizeof(old));
		for (unsigned r = 0; r < 8; r++)
			memcpy(f->st[r], old[(r - top) & 7], 16);
		f->fsw &= ~(7u << 11);
	}
	f->ftw = 0xFF; /* abridged tag word: every register valid */
}

/* The low size bytes of XMM register r, zero above (constant-size copies
 * for the whole register, the common case). */
static inline void simd_xmm_part(const struct x86_cpu *cpu, unsigned r, union xmm *v,
				 unsigned size)
{
	if (size == 16) {
		memcpy(v, cpu->s.fpu.xmm[r], 16);
		return;
	}
	memset(v, 0, sizeof(*v));
	memcpy(v, cpu->s.fpu.xmm[r], size);
}

int simd_get(struct x86_cpu *cpu, struct x86_insn *in, int n, union xmm *v)
{
	const struct x86_opspec *o = &in->op->o[n];
	unsigned size = in->size[n];
	if (o->m == OM_V) {
		simd_xmm_part(cpu, simd_xreg(in), v, size);
		return X86_OK;
	}
	if ((o->m == OM_W || o->m == OM_U) && in->mod == 3) {
		simd_xmm_part(cpu, simd_xrm(in), v, size);
		return X86_OK;
	}
	memset(v, 0, sizeof(*v));
	switch (o->m) {
	case OM_P:
		simd_mmx_get(cpu, in->reg & 7, v);
		return X86_OK;
	case OM_W:
	case OM_M:
		if (size == 16) /* constant sizes: inline copies */
			return simd_mem_read(cpu, in, v, 16, o->s == OS_x);
		return simd_mem_read(cpu, in, v, size, false);
	case OM_Q:
	case OM_N:
		if (in->mod == 3) {
			simd_mmx_get(cpu, in->rm & 7, v);
			return X86_OK;
		}
		return simd_mem_read(cpu, in, v, size, false);
	case OM_I:
		v->q[0] = in->imm;
		return X86_OK;
	default: {
		uint64_t x;
		int rc = opnd_read(cpu, in, n, &x);
		v->q[0] = x;
		return rc;
	}
	}
}

int simd_put(struct x86_cpu *cpu, struct x86_insn *in, int n, const union xmm *v)
{
	const struct x86_opspec *o = &in->op->o[n];
	unsigned size = in->size[n];
	int rc = X86_OK;
	switch (o->m) {
	case OM_V:
		simd_xmm_set(cpu, simd_xreg(in), v);
		break;
	case OM_P:
		simd_mmx_enter(cpu);
		simd_mmx_set(cpu, in->reg & 7, v->q[0]);
		return X86_OK;
	case OM_Q:
	case OM_N:
		if (in->mod == 3) {
			simd_mmx_enter(cpu);
			simd_mmx_set(cpu, in->rm & 7, v->q[0]);
			return X86_OK;
		}
		rc = simd_mem_write(cpu, in, v, size, false);
		break;
	case OM_W:
	case OM_U:
	case OM_M:
		if (in->mod == 3)
			simd_xmm_set(cpu, simd_xrm(in), v);
		else
			rc = simd_mem_write(cpu, in, v, size, o->s == OS_x);
		break;
	default:
		rc = opnd_write(cpu, in, n, v->q[0]);
		break;
	}
	if (!rc && simd_is_mmx(in))
		simd_mmx_enter(cpu);
	return rc;
}
