/*
 * x86/interrupt.c - delivery of exceptions and interrupts (real-mode IVT,
 * protected-mode interrupt/trap/task gates, IA-32e 64-bit gates with IST),
 * with privilege changes and stack switches; IRET; INT n, INT3, INTO, INT1.
 * Not the #DF/shutdown policy (cpu.c decides from delivery's result).
 * Follows Intel SDM vol. 3A ch. 6 (6.12 protected mode, 6.14 IA-32e), 20.1.4 (real mode).
 */
#include "x86/cpu.h"

#define EXT_BIT(kind) ((kind) == EV_EXTERNAL || (kind) == EV_EXCEPTION ? 1u : 0u)

static int intr_real(struct x86_cpu *cpu, int vec)
{
	struct x86_state *s = &cpu->s;
	if ((unsigned)vec * 4 + 3 > s->idt.limit)
		return x86_gp(cpu, vec * 8 + 2);
	uint8_t b[4];
	int rc = mmu_read_lin(cpu, (s->idt.base + vec * 4) & 0xFFFFFFFF, b, 4, ACC_READ, 0);
	if (rc)
		return rc;
	uint64_t v[3] = {s->rflags & 0xFFFF, s->seg[X86_CS].sel, s->rip & 0xFFFF};
	uint64_t sp;
	rc = stack_write_frame(cpu, &s->seg[X86_SS], s->gpr[X86_RSP], v, 3, 2, 0, &sp);
	if (rc)
		return rc;
	if (s->seg[X86_SS].db)
		s->gpr[X86_RSP] = (uint32_t)sp;
	else
		s->gpr[X86_RSP] = (s->gpr[X86_RSP] & ~0xFFFFull) | sp;
	s->rflags &= ~(uint64_t)(X86_FLAGS_IF | X86_FLAGS_TF | X86_FLAGS_AC | X86_FLAGS_RF);
	seg_load_real(cpu, X86_CS, b[2] | (b[3] << 8));
	s->rip = b[0] | (b[1] << 8);
	return X86_OK;
}

/* Stack pointer for privilege level dpl (or IST n) from the current TSS. */
int intr_tss_stack(struct x86_cpu *cpu, int dpl, int ist, uint16_t *ss, uint64_t *sp)
{
	const struct x86_seg *tr = &cpu->s.seg[X86_TR];
	uint8_t b[8] = {0};
	int rc;
	if (cpu->s.efer & X86_EFER_LMA) {
		unsigned off = ist ? 0x24 + (ist - 1) * 8 : 4 + dpl * 8;
		if (off + 7 > tr->limit)
			return x86_raise(cpu, 10, true, tr->sel & 0xFFFC);
		rc = mmu_read_lin(cpu, tr->base + off, b, 8, ACC_READ, 0);
		if (rc)
			return rc;
		*sp = 0;
		for (int i = 0; i < 8; i++)
			*sp |= (uint64_t)b[i] << (8 * i);
		*ss = 0;
		return X86_OK;
	}
	bool tss32 = tr->type & 8;
	unsigned off = tss32 ? 4 + dpl * 8 : 2 + dpl * 4;
	unsigned n = tss32 ? 6 : 4;
	if (off + n - 1 > tr->limit)
		return x86_raise(cpu, 10, true, tr->sel & 0xFFFC);
	rc = mmu_read_lin(cpu, (tr->base + off) & 0xFFFFFFFF, b, n, ACC_READ, 0);
	if (rc)
		return rc;
	if (tss32) {
		*sp = b[0] | (b[1] << 8) | (b[2] << 16) | ((uint32_t)b[3] << 24);
		*ss = b[4] | (b[5] << 8);
	} else {
		*sp = b[0] | (b[1] << 8);
		*ss = b[2] | (b[3] << 8);
	}
	return X86_OK;
}

/* Validate and fetch the new SS descriptor for an inner-level stack. */
int intr_new_ss(struct x86_cpu *cpu, uint16_t ss, int dpl, uint32_t ext, struct x86_seg *out)
{
	if ((ss & 0xFFFC) == 0)
		return x86_raise(cpu, 10, true, ext);
	uint64_t d[2];
	if (seg_read_desc(cpu, ss, d, false))
		return x86_raise(cpu, 10, true, (ss & 0xFFFC) | ext);
	unsigned type = (d[0] >> 40) & 0xF, s = (d[0] >> 44) & 1, sdpl = (d[0] >> 45) & 3;
	if ((ss & 3) != (unsigned)dpl || sdpl != (unsigned)dpl || !s || (type & 8) || !(type & 2))
		return x86_raise(cpu, 10, true, (ss & 0xFFFC) | ext);
	if (!((d[0] >> 47) & 1))
		return x86_raise(cpu, 12, true, (ss & 0xFFFC) | ext);
	int rc = seg_set_accessed(cpu, ss, d[0]);
	if (rc)
		return rc;
	seg_from_desc(out, ss, d[0] | (1ull << 40), d[1]);
	return X86_OK;
}

static int intr_protected(struct x86_cpu *cpu, int vec, enum x86_event_kind kind, bool has_error,
			  uint32_t error)
{
	struct x86_state *s = &cpu->s;
	bool lm = s->efer & X86_EFER_LMA;
	unsigned gsz = lm ? 16 : 8;
	uint32_t ext = EXT_BIT(kind);
	uint32_t idt_err = vec * 8 + 2 + ext;
	if ((unsigned)vec * gsz + gsz - 1 > s->idt.limit)
		return x86_gp(cpu, idt_err);
	uint8_t b[16];
	int rc = mmu_read_lin(cpu, s->idt.base + vec * gsz, b, gsz, ACC_READ, 0);
	if (rc)
		return rc;
	uint64_t lo = 0, hi = 0;
	for (int i = 0; i < 8; i++)
		lo |= (uint64_t)b[i] << (8 * i);
	if (lm)
		for (int i = 0; i < 8; i++)
			hi |= (uint64_t)b[8 + i] << (8 * i);
	unsigned type = (lo >> 40) & 0x1F, gdpl = (lo >> 45) & 3;
	bool present = (lo >> 47) & 1;
	uint16_t sel = (lo >> 16) & 0xFFFF;
	uint64_t off = (lo & 0xFFFF) | ((lo >> 32) & 0xFFFF0000ull);
	if (lm)
		off |= (hi & 0xFFFFFFFFull) << 32;
	bool ok_type =
	    lm ? (type == 0xE || type == 0xF)
	       : (type == 0x5 || type == 0x6 || type == 0x7 || type == 0xE || type == 0xF);
	if (!ok_type)
		return x86_gp(cpu, idt_err);
	if ((kind == EV_SOFT_INT || kind == EV_SOFT_EXC) && gdpl < (unsigned)cpu->cpl)
		return x86_gp(cpu, idt_err);
	if (!present)
		return x86_raise(cpu, 11, true, idt_err);
	if (type == 0x5)
		return task_switch(cpu, sel, 2, has_error, error);
	bool trap = type & 1;
	unsigned w = lm ? 8 : (type & 8) ? 4 : 2;

	/* The target code segment. */
	if ((sel & 0xFFFC) == 0)
		return x86_gp(cpu, ext);
	uint64_t d[2];
	rc = seg_read_desc(cpu, sel, d, false);
	if (rc)
		return x86_gp(cpu, (sel & 0xFFFC) | ext);
	unsigned ctype = (d[0] >> 40) & 0xF, cs_s = (d[0] >> 44) & 1, cdpl = (d[0] >> 45) & 3;
	if (!cs_s || !(ctype & 8) || cdpl > (unsigned)cpu->cpl)
		return x86_gp(cpu, (sel & 0xFFFC) | ext);
	if (!((d[0] >> 47) & 1))
		return x86_raise(cpu, 11, true, (sel & 0xFFFC) | ext);
	if (lm && (!((d[0] >> 53) & 1) || ((d[0] >> 54) & 1)))
		return x86_gp(cpu, (sel & 0xFFFC) | ext);
	bool conforming = ctype & 4;
	int newcpl = conforming ? cpu->cpl : (int)cdpl;
	bool v86 = s->rflags & X86_FLAGS_VM;
	if (v86 && newcpl != 0)
		return x86_gp(cpu, (sel & 0xFFFC) | ext);

	uint64_t vals[12];
	int n = 0;
	struct x86_seg newss = s->seg[X86_SS];
	uint64_t sp = s->gpr[X86_RSP];
	int ist = lm ? (int)((lo >> 32) & 7) : 0;
	bool stack_switch = newcpl < cpu->cpl;
	if (stack_switch || (lm && ist)) {
		uint16_t nss = 0;
		uint64_t nsp = 0;
		rc = intr_tss_stack(cpu, newcpl, ist, &nss, &nsp);
		if (rc)
			return rc;
		if (lm) {
			if (stack_switch) {
				newss.sel = (uint16_t)newcpl;
				newss.unusable = 1;
				newss.dpl = newcpl;
			}
		} else {
			rc = intr_new_ss(cpu, nss, newcpl, ext, &newss);
			if (rc)
				return rc;
		}
		sp = nsp;
	}
	if (lm)
		sp &= ~0xFull;
	if (stack_switch || lm) {
		if (stack_switch && v86) {
			vals[n++] = s->seg[X86_GS].sel;
			vals[n++] = s->seg[X86_FS].sel;
			vals[n++] = s->seg[X86_DS].sel;
			vals[n++] = s->seg[X86_ES].sel;
		}
		if (stack_switch || lm) {
			vals[n++] = s->seg[X86_SS].sel;
			vals[n++] = s->gpr[X86_RSP];
		}
	}
	/* Faults push RF=1 so the restarted instruction skips its breakpoint
	 * (SDM 17.3.1.1); traps (#DB, INT3, INTO) and interrupts push RF as is. */
	vals[n++] = s->rflags | (kind == EV_EXCEPTION && vec != 1 ? X86_FLAGS_RF : 0);
	vals[n++] = s->seg[X86_CS].sel;
	vals[n++] = s->rip;
	if (has_error)
		vals[n++] = error;
	for (int i = 0; i < n; i++)
		vals[i] &= x86_mask(w);
	uint64_t nsp;
	int save_cpl = cpu->cpl;
	enum x86_mode save_mode = cpu->mode;
	if (lm)
		cpu->mode = X86_MODE_LONG64; /* 64-bit stack arithmetic for the frame */
	rc = stack_write_frame(cpu, &newss, sp, vals, n, w, newcpl, &nsp);
	cpu->mode = save_mode;
	cpu->cpl = save_cpl;
	if (rc) {
		if (cpu->fault.vector == 12 && stack_switch)
			cpu->fault.error = (newss.sel & 0xFFFC) | ext;
		return rc;
	}
	/* Commit. */
	s->seg[X86_SS] = newss;
	if (lm || newss.db)
		s->gpr[X86_RSP] = lm ? nsp : (uint32_t)nsp;
	else
		s->gpr[X86_RSP] = (s->gpr[X86_RSP] & ~0xFFFFull) | (nsp & 0xFFFF);
	if (stack_switch && v86) {
		for (int sr = X86_ES; sr <= X86_GS; sr++) {
			if (sr == X86_CS || sr == X86_SS)
				continue;
			s->seg[sr].sel = 0;
			s->seg[sr].unusable = 1;
			s->seg[sr].base = 0;
		}
	}
	s->rflags &= ~(uint64_t)(X86_FLAGS_TF | X86_FLAGS_VM | X86_FLAGS_RF | X86_FLAGS_NT);
	if (!trap)
		s->rflags &= ~(uint64_t)X86_FLAGS_IF;
	rc = seg_load_cs(cpu, sel, d[0], d[1], newcpl);
	if (rc)
		return rc;
	s->rip = lm ? off : (w == 2 ? off & 0xFFFF : off & 0xFFFFFFFF);
	return X86_OK;
}

int intr_deliver(struct x86_cpu *cpu, int vector, enum x86_event_kind kind, bool has_error,
		 uint32_t error)
{
	if (cpu->ops->trace_event)
		cpu->ops->trace_event(cpu->opaque, (uint8_t)vector, has_error, error,
				      kind == EV_EXCEPTION || kind == EV_SOFT_EXC, cpu->s.rip);
	cpu->s.halted = false;
	if (cpu->mode == X86_MODE_REAL)
		return intr_real(cpu, vector);
	return intr_protected(cpu, vector, kind, has_error, error);
}

static int intr_soft(struct x86_cpu *cpu, int vec, enum x86_event_kind kind)
{
	uint64_t rip = cpu->s.rip;
	cpu->s.rip = cpu->next_rip;
	int rc = intr_deliver(cpu, vec, kind, false, 0);
	if (rc) {
		cpu->s.rip = rip;
		return rc;
	}
	cpu->next_rip = cpu->s.rip;
	return X86_OK;
}

int ex_int(struct x86_cpu *cpu, struct x86_insn *in)
{
	if (cpu->mode == X86_MODE_V86 && ((cpu->s.rflags >> 12) & 3) != 3)
		return x86_gp(cpu, 0);
	return intr_soft(cpu, in->imm & 0xFF, EV_SOFT_INT);
}

int ex_int3(struct x86_cpu *cpu, struct x86_insn *in)
{
	return intr_soft(cpu, 3, EV_SOFT_EXC);
}

int ex_into(struct x86_cpu *cpu, struct x86_insn *in)
{
	if (!(cpu->s.rflags & X86_FLAGS_OF))
		return X86_OK;
	return intr_soft(cpu, 4, EV_SOFT_EXC);
}

int ex_int1(struct x86_cpu *cpu, struct x86_insn *in)
{
	return intr_soft(cpu, 1, EV_EXCEPTION);
}

int ex_iret(struct x86_cpu *cpu, struct x86_insn *in)
{
	int rc = intr_iret(cpu, in);
	if (!rc) {
		cpu->nmi_blocked = false; /* IRET ends NMI blocking (SDM 6.7.1) */
		cpu->events = true;	  /* a held NMI may now be delivered */
	}
	return rc;
}

static int iret_real(struct x86_cpu *cpu, struct x86_insn *in)
{
	struct x86_state *s = &cpu->s;
	unsigned w = in->opsize;
	uint64_t v[3];
	uint64_t sp = s->gpr[X86_RSP] & x86_mask(stack_width(cpu));
	int rc = stack_read_frame(cpu, sp, v, 3, w);
	if (rc)
		return rc;
	if (w == 4 && v[0] > 0xFFFF && cpu->mode == X86_MODE_REAL)
		return x86_gp(cpu, 0);
	uint64_t m = stack_flags_mask(cpu, w);
	if (cpu->mode == X86_MODE_V86) {
		if (((s->rflags >> 12) & 3) != 3)
			return x86_gp(cpu, 0);
		m &= ~(uint64_t)X86_FLAGS_IOPL;
	} else {
		m |= X86_FLAGS_IF | X86_FLAGS_IOPL;
	}
	cpu_set_flags(cpu, v[2], m);
	seg_load_real(cpu, X86_CS, (uint16_t)v[1]);
	if (s->seg[X86_SS].db)
		s->gpr[X86_RSP] = (uint32_t)(sp + 3 * w);
	else
		s->gpr[X86_RSP] = (s->gpr[X86_RSP] & ~0xFFFFull) | ((sp + 3 * w) & 0xFFFF);
	cpu->next_rip = v[0] & x86_mask(w);
	return X86_OK;
}

/* Check a code-segment selector for a return to privilege rpl (IRET, RET far). */
int intr_check_ret_cs(struct x86_cpu *cpu, uint16_t sel, uint64_t d[2])
{
	if ((sel & 0xFFFC) == 0)
		return x86_gp(cpu, 0);
	int rc = seg_read_desc(cpu, sel, d, false);
	if (rc)
		return rc;
	unsigned type = (d[0] >> 40) & 0xF, s = (d[0] >> 44) & 1, dpl = (d[0] >> 45) & 3;
	unsigned rpl = sel & 3;
	if (!s || !(type & 8) || rpl < (unsigned)cpu->cpl)
		return x86_gp(cpu, sel & 0xFFFC);
	if ((type & 4) ? dpl > rpl : dpl != rpl)
		return x86_gp(cpu, sel & 0xFFFC);
	if (!((d[0] >> 47) & 1))
		return x86_raise(cpu, 11, true, sel & 0xFFFC);
	return X86_OK;
}

/* Returning to an outer level: data segments the new CPL may not use become null. */
void intr_null_outer_segs(struct x86_cpu *cpu)
{
	for (int sr = X86_ES; sr <= X86_GS; sr++) {
		if (sr == X86_CS || sr == X86_SS)
			continue;
		struct x86_seg *sg = &cpu->s.seg[sr];
		bool conf_code = (sg->type & 0xC) == 0xC;
		if (!sg->unusable && !conf_code && sg->dpl < (unsigned)cpu->cpl) {
			sg->sel = 0;
			sg->unusable = 1;
		}
	}
}

static int iret_to_v86(struct x86_cpu *cpu, uint64_t sp, const uint64_t *v)
{
	struct x86_state *s = &cpu->s;
	uint64_t r[6];
	int rc = stack_read_frame(cpu, sp + 12, r, 6, 4);
	if (rc)
		return rc;
	s->rflags = (v[2] & 0x3F7FD7) | X86_FLAGS_FIXED;
	cpu->mode = X86_MODE_V86;
	cpu->cpl = 3;
	static const int order[4] = {X86_ES, X86_DS, X86_FS, X86_GS};
	for (int i = 0; i < 4; i++)
		seg_load_real(cpu, order[i], (uint16_t)r[2 + i]);
	seg_load_real(cpu, X86_CS, (uint16_t)v[1]);
	seg_load_real(cpu, X86_SS, (uint16_t)r[1]);
	s->gpr[X86_RSP] = (uint32_t)r[0];
	cpu_update_mode(cpu);
	cpu->next_rip = v[0] & 0xFFFF;
	return X86_OK;
}

int intr_iret(struct x86_cpu *cpu, struct x86_insn *in)
{
	struct x86_state *s = &cpu->s;
	if (cpu->mode == X86_MODE_REAL || cpu->mode == X86_MODE_V86)
		return iret_real(cpu, in);
	if ((s->rflags & X86_FLAGS_NT) && !(s->efer & X86_EFER_LMA)) {
		uint8_t b[2];
		int rc = mmu_read_lin(cpu, s->seg[X86_TR].base, b, 2, ACC_READ, 0);
		if (rc)
			return rc;
		return task_switch(cpu, b[0] | (b[1] << 8), 1, false, 0);
	}
	unsigned w = in->opsize;
	bool lm64 = cpu->mode == X86_MODE_LONG64;
	uint64_t sp = s->gpr[X86_RSP] & x86_mask(stack_width(cpu));
	uint64_t v[5];
	int rc = stack_read_frame(cpu, sp, v, 3, w);
	if (rc)
		return rc;
	if ((v[2] & X86_FLAGS_VM) && cpu->cpl == 0 && w == 4)
		return iret_to_v86(cpu, sp, v);
	uint16_t sel = (uint16_t)v[1];
	uint64_t d[2];
	rc = intr_check_ret_cs(cpu, sel, d);
	if (rc)
		return rc;
	/* A non-canonical return RIP into 64-bit code: #GP(0) before the SS
	 * checks and before anything changes (SDM "IRET"; the host CPU). */
	if ((s->efer & X86_EFER_LMA) && ((d[0] >> 53) & 1) &&
	    (uint64_t)((int64_t)(v[0] << 16) >> 16) != v[0])
		return x86_gp(cpu, 0);
	int rpl = sel & 3;
	bool outer = rpl > cpu->cpl;
	if (outer || lm64) {
		rc = stack_read_frame(cpu, sp + 3 * w, v + 3, 2, w);
		if (rc)
			return rc;
	}
	struct x86_seg newss = s->seg[X86_SS];
	if (outer || lm64) {
		uint16_t ss = (uint16_t)v[4];
		if ((ss & 0xFFFC) == 0 && (s->efer & X86_EFER_LMA) && rpl != 3 &&
		    ((d[0] >> 53) & 1)) {
			newss.sel = ss;
			newss.unusable = 1;
			newss.dpl = rpl;
		} else {
			uint64_t sd[2];
			if ((ss & 0xFFFC) == 0)
				return x86_gp(cpu, 0);
			rc = seg_read_desc(cpu, ss, sd, false);
			if (rc)
				return rc;
			unsigned t = (sd[0] >> 40) & 0xF, sdpl = (sd[0] >> 45) & 3;
			if ((ss & 3) != (unsigned)rpl || sdpl != (unsigned)rpl ||
			    !((sd[0] >> 44) & 1) || (t & 8) || !(t & 2))
				return x86_gp(cpu, ss & 0xFFFC);
			if (!((sd[0] >> 47) & 1))
				return x86_raise(cpu, 12, true, ss & 0xFFFC);
			rc = seg_set_accessed(cpu, ss, sd[0]);
			if (rc)
				return rc;
			seg_from_desc(&newss, ss, sd[0] | (1ull << 40), sd[1]);
		}
	}
	uint64_t m = stack_flags_mask(cpu, w);
	if (w >= 4)
		m |= X86_FLAGS_RF | X86_FLAGS_VIF | X86_FLAGS_VIP;
	int oldcpl = cpu->cpl;
	rc = seg_load_cs(cpu, sel, d[0], d[1], rpl);
	if (rc)
		return rc;
	/* Flags use the privilege of the IRET itself. */
	int newcpl = cpu->cpl;
	cpu->cpl = oldcpl;
	cpu_set_flags(cpu, v[2], m);
	cpu->cpl = newcpl;
	if (outer || lm64) {
		s->seg[X86_SS] = newss;
		s->gpr[X86_RSP] = (s->efer & X86_EFER_LMA) && cpu->mode == X86_MODE_LONG64 ? v[3]
				  : newss.db ? (uint32_t)v[3]
					     : (s->gpr[X86_RSP] & ~0xFFFFull) | (v[3] & 0xFFFF);
		if (outer)
			intr_null_outer_segs(cpu);
	} else {
		uint64_t nsp = sp + 3 * w;
		if (stack_width(cpu) == 2)
			s->gpr[X86_RSP] = (s->gpr[X86_RSP] & ~0xFFFFull) | (nsp & 0xFFFF);
		else
			s->gpr[X86_RSP] = stack_width(cpu) == 4 ? (uint32_t)nsp : nsp;
	}
	cpu_update_mode(cpu);
	cpu->next_rip = v[0] & (cpu->mode == X86_MODE_LONG64 ? ~0ull : x86_mask(w));
	return X86_OK;
}
