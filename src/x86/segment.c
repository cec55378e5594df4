/*
 * x86/segment.c - segmentation: logical -> linear addresses with the type,
 * limit and canonical checks, segment-register loads with descriptor checks,
 * and the MOV/POP/LxS-to-segment-register bodies.  Not paging (mmu.c).
 * Follows Intel SDM vol. 3A ch. 3 (3.4.5 descriptors) and 5.3-5.6 (protection).
 */
#include <string.h>

#include "x86/cpu.h"

static int seg_fault_vec(int seg)
{
	return seg == X86_SS ? 12 : 13;
}

static bool seg_canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

bool seg_limit_ok(const struct x86_seg *sg, uint64_t off, unsigned len)
{
	uint64_t last = off + len - 1;
	if (!(sg->type & 8) && (sg->type & 4) && sg->s) {
		/* Expand-down data: valid offsets are limit+1 .. 0xFFFF or 0xFFFFFFFF. */
		uint64_t max = sg->db ? 0xFFFFFFFFull : 0xFFFFull;
		return off > sg->limit && last <= max;
	}
	return last <= sg->limit;
}

int seg_linear(struct x86_cpu *cpu, int seg, uint64_t off, unsigned len, enum x86_acc acc,
	       uint64_t *lin)
{
	const struct x86_seg *sg = &cpu->s.seg[seg];
	if (cpu->mode == X86_MODE_LONG64) {
		bool fsgs = seg == X86_FS || seg == X86_GS;
		uint64_t a = off + (fsgs ? sg->base : 0);
		/*
		 * Every byte must be canonical: an access running across the
		 * boundary faults too.  With FS/GS the offset itself must be
		 * canonical as well, even where adding the base would make it
		 * canonical.  #SS when the default segment is SS (RSP/RBP base,
		 * stack operations).  All measured on the host CPU (AMD) run
		 * natively: difftest --oracle native.
		 */
		if (!seg_canonical(a) || !seg_canonical(a + len - 1) ||
		    (fsgs && !seg_canonical(off)))
			return x86_raise(cpu, seg_fault_vec(seg), true, 0);
		*lin = a;
		return X86_OK;
	}
	if (cpu->mode != X86_MODE_REAL && cpu->mode != X86_MODE_V86) {
		if (sg->unusable)
			return x86_raise(cpu, seg_fault_vec(seg), true, 0);
		bool code = sg->type & 8;
		if (acc == ACC_WRITE && (code || !(sg->type & 2)))
			return x86_raise(cpu, seg_fault_vec(seg), true, 0);
		if (acc == ACC_READ && code && !(sg->type & 2))
			return x86_raise(cpu, seg_fault_vec(seg), true, 0);
	}
	if (!seg_limit_ok(sg, off, len))
		return x86_raise(cpu, seg_fault_vec(seg), true, 0);
	*lin = (sg->base + off) & 0xFFFFFFFFull;
	return X86_OK;
}

static int seg_acc_cpl(struct x86_cpu *cpu)
{
	return cpu->cpl;
}

int mem_read_acc(struct x86_cpu *cpu, int seg, uint64_t off, unsigned len, enum x86_acc acc,
		 uint64_t *val)
{
	uint64_t lin;
	uint8_t buf[16] = {0};
	uint8_t *p = mem_fast(cpu, seg, off, len, acc);
	if (p) {
		*val = mem_load(p, len);
		return X86_OK;
	}
	int rc = seg_linear(cpu, seg, off, len, acc, &lin);
	if (rc)
		return rc;
	if (acc == ACC_WRITE) /* read for a later write: fault as a write would */
		rc = mem_check(cpu, seg, off, len, ACC_WRITE);
	if (!rc)
		rc = mmu_read_lin(cpu, lin, buf, len, ACC_READ, seg_acc_cpl(cpu));
	if (rc)
		return rc;
	uint64_t v = 0;
	for (unsigned i = 0; i < len && i < 8; i++)
		v |= (uint64_t)buf[i] << (8 * i);
	*val = v;
	return X86_OK;
}

int mem_read(struct x86_cpu *cpu, int seg, uint64_t off, unsigned len, uint64_t *val)
{
	return mem_read_acc(cpu, seg, off, len, ACC_READ, val);
}

int mem_write(struct x86_cpu *cpu, int seg, uint64_t off, unsigned len, uint64_t val)
{
	uint64_t lin;
	uint8_t buf[8];
	uint8_t *p = mem_fast(cpu, seg, off, len, ACC_WRITE);
	if (p) {
		mem_store(p, len, val);
		return X86_OK;
	}
	int rc = seg_linear(cpu, seg, off, len, ACC_WRITE, &lin);
	if (rc)
		return rc;
	for (unsigned i = 0; i < len; i++)
		buf[i] = (uint8_t)(val >> (8 * i));
	return mmu_write_lin(cpu, lin, buf, len, seg_acc_cpl(cpu), false);
}

/* Check that [off, off+len) could be accessed, without touching memory. */
int mem_check(struct x86_cpu *cpu, int seg, uint64_t off, unsigned len, enum x86_acc acc)
{
	uint64_t lin;
	int rc = seg_linear(cpu, seg, off, len, acc, &lin);
	if (rc)
		return rc;
	struct x86_tlb_entry *e;
	rc = mmu_translate(cpu, lin, acc, cpu->cpl, &e);
	if (rc)
		return rc;
	if (((lin + len - 1) ^ lin) >> 12) /* CR2: the first byte on the second page */
		return mmu_translate(cpu, (lin + len - 1) & ~0xFFFull, acc, cpu->cpl, &e);
	return X86_OK;
}

void seg_load_real(struct x86_cpu *cpu, int seg, uint16_t sel)
{
	struct x86_seg *sg = &cpu->s.seg[seg];
	sg->sel = sel;
	sg->base = (uint64_t)sel << 4;
	sg->unusable = 0;
	if (cpu->mode == X86_MODE_V86) {
		/* SDM 20.1.1: virtual-8086 segments are 64 KiB, DPL 3, read/write. */
		sg->limit = 0xFFFF;
		sg->type = seg == X86_CS ? 0xB : 0x3;
		sg->s = 1;
		sg->dpl = 3;
		sg->present = 1;
		sg->db = 0;
		sg->g = 0;
		sg->l = 0;
	}
	/* Real mode keeps the cached limit and attributes ("unreal" mode). */
}

/* Read the 8-byte (or, for system descriptors in long mode, 16-byte) descriptor. */
int seg_read_desc(struct x86_cpu *cpu, uint16_t sel, uint64_t desc[2], bool sys16)
{
	uint64_t base, limit;
	if (sel & 4) {
		const struct x86_seg *ldt = &cpu->s.seg[X86_LDTR];
		if (ldt->unusable || !ldt->present)
			return x86_gp(cpu, sel & 0xFFFC);
		base = ldt->base;
		limit = ldt->limit;
	} else {
		base = cpu->s.gdt.base;
		limit = cpu->s.gdt.limit;
	}
	unsigned idx = sel & 0xFFF8;
	unsigned size = sys16 ? 16 : 8;
	if (idx + size - 1 > limit)
		return x86_gp(cpu, sel & 0xFFFC);
	uint8_t b[16];
	uint64_t lin = base + idx;
	if (cpu->mode != X86_MODE_LONG64 && cpu->mode != X86_MODE_COMPAT)
		lin &= 0xFFFFFFFFull;
	int rc = mmu_read_lin(cpu, lin, b, size, ACC_READ, 0);
	if (rc)
		return rc;
	desc[0] = desc[1] = 0;
	for (unsigned i = 0; i < size; i++)
		desc[i / 8] |= (uint64_t)b[i] << (8 * (i % 8));
	return X86_OK;
}

void seg_from_desc(struct x86_seg *sg, uint16_t sel, uint64_t lo, uint64_t hi)
{
	uint32_t limit = (uint32_t)((lo & 0xFFFF) | ((lo >> 32) & 0xF0000));
	sg->sel = sel;
	sg->base = ((lo >> 16) & 0xFFFFFF) | (((lo >> 56) & 0xFF) << 24);
	sg->type = (lo >> 40) & 0xF;
	sg->s = (lo >> 44) & 1;
	sg->dpl = (lo >> 45) & 3;
	sg->present = (lo >> 47) & 1;
	sg->avl = (lo >> 52) & 1;
	sg->l = (lo >> 53) & 1;
	sg->db = (lo >> 54) & 1;
	sg->g = (lo >> 55) & 1;
	sg->limit = sg->g ? (limit << 12) | 0xFFF : limit;
	sg->unusable = 0;
	if (!sg->s)
		sg->base |= (hi & 0xFFFFFFFFull) << 32;
}

/* Set the accessed bit of a code/data descriptor in memory if it is clear. */
int seg_set_accessed(struct x86_cpu *cpu, uint16_t sel, uint64_t lo)
{
	if (lo & (1ull << 40))
		return X86_OK;
	uint64_t base = (sel & 4) ? cpu->s.seg[X86_LDTR].base : cpu->s.gdt.base;
	uint8_t b = (uint8_t)((lo >> 40) | 1);
	return mmu_write_lin(cpu, base + (sel & 0xFFF8) + 5, &b, 1, 0, true);
}

static void seg_null(struct x86_seg *sg, uint16_t sel)
{
	sg->sel = sel;
	sg->unusable = 1;
	sg->present = 0;
	sg->base = 0;
	sg->limit = 0;
}

/* Load a data or stack segment register in protected mode (SDM MOV, POP). */
int seg_load(struct x86_cpu *cpu, int seg, uint16_t sel)
{
	if (cpu->mode == X86_MODE_REAL || cpu->mode == X86_MODE_V86) {
		seg_load_real(cpu, seg, sel);
		return X86_OK;
	}
	struct x86_seg *sg = &cpu->s.seg[seg];
	int cpl = cpu->cpl, rpl = sel & 3;
	if ((sel & 0xFFFC) == 0) {
		if (seg == X86_SS && !(cpu->mode == X86_MODE_LONG64 && cpl != 3 && rpl == cpl))
			return x86_gp(cpu, 0);
		seg_null(sg, sel);
		if (seg == X86_SS)
			sg->dpl = cpl;
		return X86_OK;
	}
	uint64_t d[2];
	int rc = seg_read_desc(cpu, sel, d, false);
	if (rc)
		return rc;
	unsigned type = (d[0] >> 40) & 0xF, s = (d[0] >> 44) & 1, dpl = (d[0] >> 45) & 3;
	bool present = (d[0] >> 47) & 1;
	uint32_t err = sel & 0xFFFC;
	if (!s)
		return x86_gp(cpu, err);
	if (seg == X86_SS) {
		if (rpl != cpl || dpl != (unsigned)cpl || (type & 8) || !(type & 2))
			return x86_gp(cpu, err);
		if (!present)
			return x86_raise(cpu, 12, true, err);
	} else {
		if ((type & 8) && !(type & 2)) /* execute-only code */
			return x86_gp(cpu, err);
		bool conforming = (type & 0xC) == 0xC;
		if (!conforming && (dpl < (unsigned)cpl || dpl < (unsigned)rpl))
			return x86_gp(cpu, err);
		if (!present)
			return x86_raise(cpu, 11, true, err);
	}
	rc = seg_set_accessed(cpu, sel, d[0]);
	if (rc)
		return rc;
	seg_from_desc(sg, sel, d[0] | (1ull << 40), d[1]);
	return X86_OK;
}

/*
 * Load CS from a code descriptor already checked by the caller (far JMP, CALL,
 * RET, IRET, interrupt delivery); sets the CPL and the mode.
 */
int seg_load_cs(struct x86_cpu *cpu, uint16_t sel, uint64_t lo, uint64_t hi, int cpl)
{
	int rc = seg_set_accessed(cpu, sel, lo);
	if (rc)
		return rc;
	seg_from_desc(&cpu->s.seg[X86_CS], (sel & 0xFFFC) | cpl, lo | (1ull << 40), hi);
	cpu->cpl = cpl;
	cpu_update_mode(cpu);
	return X86_OK;
}

int ex_mov_sreg_ld(struct x86_cpu *cpu, struct x86_insn *in)
{
	int seg = in->reg & 7;
	if (seg == X86_CS || seg > X86_GS)
		return x86_ud(cpu);
	uint64_t v;
	int rc = opnd_read(cpu, in, 1, &v);
	if (rc)
		return rc;
	rc = seg_load(cpu, seg, (uint16_t)v);
	if (rc)
		return rc;
	if (seg == X86_SS) {
		cpu->inhibit_next = 2; /* MOV SS / POP SS shadow */
		cpu->events = true;
	}
	return X86_OK;
}

int ex_mov_sreg_st(struct x86_cpu *cpu, struct x86_insn *in)
{
	int seg = in->reg & 7;
	if (seg > X86_GS)
		return x86_ud(cpu);
	uint16_t sel = cpu->s.seg[seg].sel;
	/* To a register: the selector zero-extended to the operand size (the 286
	 * and later write the whole register); to memory: always 16 bits. */
	if (in->mod == 3) {
		reg_write(cpu, in, in->rm, in->opsize, sel);
		return X86_OK;
	}
	uint64_t off;
	opnd_ea(cpu, in, &off);
	return mem_write(cpu, in->seg, off, 2, sel); /* memory: always 16 bits */
}

/* LDS, LES, LSS, LFS, LGS: load a far pointer m16:16/32/64. */
int ex_lxs(struct x86_cpu *cpu, struct x86_insn *in)
{
	static const uint8_t seg_of[] = {
	    [0xC4] = X86_ES, [0xC5] = X86_DS, [0xB2] = X86_SS, [0xB4] = X86_FS, [0xB5] = X86_GS};
	if (in->mod == 3)
		return x86_ud(cpu);
	uint64_t off, ptr, sel;
	unsigned osz = in->opsize;
	opnd_ea(cpu, in, &off);
	int rc = mem_read(cpu, in->seg, off, osz, &ptr);
	if (rc)
		return rc;
	rc = mem_read(cpu, in->seg, (off + osz) & x86_mask(in->adsize), 2, &sel);
	if (rc)
		return rc;
	int seg = seg_of[in->opcode];
	rc = seg_load(cpu, seg, (uint16_t)sel);
	if (rc)
		return rc;
	reg_write(cpu, in, in->reg, osz, ptr);
	return X86_OK;
}

int ex_push_sreg(struct x86_cpu *cpu, struct x86_insn *in)
{
	int seg = in->map == MAP_0F ? (in->opcode == 0xA0 ? X86_FS : X86_GS) : (in->opcode >> 3);
	return stack_push(cpu, in->opsize, cpu->s.seg[seg].sel);
}

int ex_pop_sreg(struct x86_cpu *cpu, struct x86_insn *in)
{
	int seg = in->map == MAP_0F ? (in->opcode == 0xA1 ? X86_FS : X86_GS) : (in->opcode >> 3);
	uint64_t v, rsp = cpu->s.gpr[X86_RSP];
	int rc = stack_pop(cpu, in->opsize, &v);
	if (rc)
		return rc;
	rc = seg_load(cpu, seg, (uint16_t)v);
	if (rc) {
		cpu->s.gpr[X86_RSP] = rsp;
		return rc;
	}
	if (seg == X86_SS) {
		cpu->inhibit_next = 2; /* MOV SS / POP SS shadow */
		cpu->events = true;
	}
	return X86_OK;
}
