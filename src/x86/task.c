/*
 * x86/task.c - hardware task switches through TSS descriptors and task gates
 * (JMP, CALL, INT/exception, IRET with NT) for 16- and 32-bit TSSs.  IA-32e
 * mode has no task switching (#GP there, as the callers check).
 * Follows Intel SDM vol. 3A 7.3 (task switching) and 7.2.1 (TSS layout).
 */
#include <string.h>

#include "x86/cpu.h"

enum { TS_JMP = 0, TS_IRET = 1, TS_INT = 2, TS_CALL = 3 };

static uint32_t task_rd(const uint8_t *b, unsigned off, unsigned n)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint32_t)b[off + i] << (8 * i);
	return v;
}

static void task_wr(uint8_t *b, unsigned off, unsigned n, uint32_t v)
{
	for (unsigned i = 0; i < n; i++)
		b[off + i] = (uint8_t)(v >> (8 * i));
}

/* Set or clear the busy bit of the TSS descriptor for sel in the GDT. */
static int task_set_busy(struct x86_cpu *cpu, uint16_t sel, uint64_t desc_lo, bool busy)
{
	uint8_t t = (uint8_t)(desc_lo >> 40);
	t = busy ? (t | 2) : (t & ~2);
	return mmu_write_lin(cpu, cpu->s.gdt.base + (sel & 0xFFF8) + 5, &t, 1, 0, true);
}

/* Load a segment register from the new task's selector (SDM 7.3 step 12). */
static int task_load_seg(struct x86_cpu *cpu, int seg, uint16_t sel, bool v86)
{
	if (v86) {
		seg_load_real(cpu, seg, sel);
		return X86_OK;
	}
	if (seg == X86_CS) {
		uint64_t d[2];
		if ((sel & 0xFFFC) == 0)
			return x86_raise(cpu, 10, true, 0);
		int rc = seg_read_desc(cpu, sel, d, false);
		if (rc)
			return rc;
		unsigned type = (d[0] >> 40) & 0xF, dpl = (d[0] >> 45) & 3;
		if (!((d[0] >> 44) & 1) || !(type & 8) ||
		    ((type & 4) ? dpl > (sel & 3u) : dpl != (sel & 3u)))
			return x86_raise(cpu, 10, true, sel & 0xFFFC);
		if (!((d[0] >> 47) & 1))
			return x86_raise(cpu, 11, true, sel & 0xFFFC);
		return seg_load_cs(cpu, sel, d[0], d[1], sel & 3);
	}
	return seg_load(cpu, seg, sel);
}

int task_switch(struct x86_cpu *cpu, uint16_t sel, int reason, bool has_error, uint32_t error)
{
	struct x86_state *s = &cpu->s;
	if (s->efer & X86_EFER_LMA)
		return x86_gp(cpu, sel & 0xFFFC);
	uint64_t d[2];
	int rc = seg_read_desc(cpu, sel, d, false);
	if (rc)
		return rc;
	/* JMP and CALL need DPL >= max(CPL, RPL) on the gate or TSS (SDM 7.3). */
	unsigned dpl = (d[0] >> 45) & 3;
	if ((reason == TS_JMP || reason == TS_CALL) &&
	    (dpl < (unsigned)cpu->cpl || dpl < (sel & 3u)))
		return x86_gp(cpu, sel & 0xFFFC);
	if (((d[0] >> 40) & 0x1F) == 0x5) { /* a task gate names the TSS */
		if (!((d[0] >> 47) & 1))
			return x86_raise(cpu, 11, true, sel & 0xFFFC);
		sel = (d[0] >> 16) & 0xFFFF;
		rc = seg_read_desc(cpu, sel, d, false);
		if (rc)
			return rc;
	}
	unsigned type = (d[0] >> 40) & 0x1F;
	bool want_busy = reason == TS_IRET;
	bool is32 = type & 8;
	unsigned base_type = type & ~2u;
	if ((sel & 4) || (base_type != 0x1 && base_type != 0x9) || (bool)(type & 2) != want_busy)
		return x86_raise(cpu, reason == TS_IRET ? 10 : 13, true, sel & 0xFFFC);
	if (!((d[0] >> 47) & 1))
		return x86_raise(cpu, 11, true, sel & 0xFFFC);
	struct x86_seg ntss;
	seg_from_desc(&ntss, sel, d[0], 0);
	if (ntss.limit < (is32 ? 0x67u : 0x2Bu))
		return x86_raise(cpu, 10, true, sel & 0xFFFC);

	/* Save the outgoing task into its TSS. */
	struct x86_seg *otss = &s->seg[X86_TR];
	bool o32 = otss->type & 8;
	unsigned osize = o32 ? 0x68 : 0x2C;
	uint8_t ob[0x68];
	rc = mmu_read_lin(cpu, otss->base, ob, osize, ACC_READ, 0);
	if (rc)
		return rc;
	uint64_t eip = reason == TS_INT ? s->rip : cpu->next_rip;
	uint32_t eflags = (uint32_t)s->rflags;
	if (reason == TS_IRET)
		eflags &= ~X86_FLAGS_NT;
	if (o32) {
		task_wr(ob, 0x20, 4, (uint32_t)eip);
		task_wr(ob, 0x24, 4, eflags);
		for (int r = 0; r < 8; r++)
			task_wr(ob, 0x28 + r * 4, 4, (uint32_t)s->gpr[r]);
		for (int g = 0; g < 6; g++)
			task_wr(ob, 0x48 + g * 4, 2, s->seg[g].sel);
	} else {
		task_wr(ob, 0x0E, 2, (uint16_t)eip);
		task_wr(ob, 0x10, 2, (uint16_t)eflags);
		for (int r = 0; r < 8; r++)
			task_wr(ob, 0x12 + r * 2, 2, (uint16_t)s->gpr[r]);
		for (int g = 0; g < 4; g++)
			task_wr(ob, 0x22 + g * 2, 2, s->seg[g].sel);
	}
	/* Read the incoming task before touching anything else. */
	uint8_t nb[0x68];
	unsigned nsize = is32 ? 0x68 : 0x2C;
	rc = mmu_read_lin(cpu, ntss.base, nb, nsize, ACC_READ, 0);
	if (rc)
		return rc;
	rc = mmu_write_lin(cpu, otss->base, ob, osize, 0, true);
	if (rc)
		return rc;
	if (reason == TS_JMP || reason == TS_IRET) {
		uint64_t od[2];
		rc = seg_read_desc(cpu, otss->sel, od, false);
		if (!rc)
			rc = task_set_busy(cpu, otss->sel, od[0], false);
		if (rc)
			return rc;
	}
	if (reason == TS_CALL || reason == TS_INT) {
		task_wr(nb, 0, 2, otss->sel);
		rc = mmu_write_lin(cpu, ntss.base, nb, 2, 0, true);
		if (rc)
			return rc;
	}
	if (reason != TS_IRET) {
		rc = task_set_busy(cpu, sel, d[0], true);
		if (rc)
			return rc;
	}

	/* Switch: TR, CR3, registers, then segment loads in the new context. */
	ntss.type |= 2;
	s->seg[X86_TR] = ntss;
	uint32_t neflags;
	uint16_t nsel[6] = {0}, nldt;
	if (is32) {
		if (s->cr0 & X86_CR0_PG) {
			uint64_t old = s->cr3;
			s->cr3 = task_rd(nb, 0x1C, 4);
			if (old != s->cr3)
				mmu_flush_tlb(cpu, false);
		}
		cpu->next_rip = task_rd(nb, 0x20, 4);
		neflags = task_rd(nb, 0x24, 4);
		for (int r = 0; r < 8; r++)
			s->gpr[r] = task_rd(nb, 0x28 + r * 4, 4);
		for (int g = 0; g < 6; g++)
			nsel[g] = (uint16_t)task_rd(nb, 0x48 + g * 4, 2);
		nldt = (uint16_t)task_rd(nb, 0x60, 2);
	} else {
		cpu->next_rip = task_rd(nb, 0x0E, 2);
		neflags = task_rd(nb, 0x10, 2) | (eflags & 0xFFFF0000u & ~X86_FLAGS_VM);
		for (int r = 0; r < 8; r++)
			s->gpr[r] = (s->gpr[r] & ~0xFFFFull) | task_rd(nb, 0x12 + r * 2, 2);
		for (int g = 0; g < 4; g++)
			nsel[g] = (uint16_t)task_rd(nb, 0x22 + g * 2, 2);
		nldt = (uint16_t)task_rd(nb, 0x2A, 2);
	}
	if (reason == TS_CALL || reason == TS_INT)
		neflags |= X86_FLAGS_NT;
	s->rflags = (neflags & 0x3F7FD7) | X86_FLAGS_FIXED;
	s->cr0 |= X86_CR0_TS;
	bool v86 = is32 && (neflags & X86_FLAGS_VM);

	/* LDTR first: the new selectors may live in it. */
	if ((nldt & 0xFFFC) == 0) {
		s->seg[X86_LDTR].sel = nldt;
		s->seg[X86_LDTR].unusable = 1;
	} else {
		uint64_t ld[2];
		if ((nldt & 4) || seg_read_desc(cpu, nldt, ld, false) ||
		    ((ld[0] >> 40) & 0x1F) != 2)
			return x86_raise(cpu, 10, true, nldt & 0xFFFC);
		seg_from_desc(&s->seg[X86_LDTR], nldt, ld[0], 0);
	}
	cpu->cpl = v86 ? 3 : (nsel[X86_CS] & 3);
	cpu_update_mode(cpu);
	static const int order[6] = {X86_CS, X86_SS, X86_DS, X86_ES, X86_FS, X86_GS};
	for (int i = 0; i < 6; i++) {
		int g = order[i];
		if (!is32 && g >= X86_FS)
			continue;
		rc = task_load_seg(cpu, g, nsel[g], v86);
		if (rc)
			return rc;
	}
	cpu_update_mode(cpu);
	s->rip = cpu->next_rip;
	if (has_error) {
		uint64_t v = error, sp;
		unsigned w = is32 ? 4 : 2;
		rc = stack_write_frame(cpu, &s->seg[X86_SS], s->gpr[X86_RSP], &v, 1, w, cpu->cpl,
				       &sp);
		if (rc)
			return rc;
		s->gpr[X86_RSP] = s->seg[X86_SS].db
				      ? (uint32_t)sp
				      : ((s->gpr[X86_RSP] & ~0xFFFFull) | (sp & 0xFFFF));
	}
	return X86_OK;
}
