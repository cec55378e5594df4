/*
 * x86/branch.c - control transfers: Jcc, JMP, CALL, RET (near and far), LOOPcc,
 * JCXZ/JECXZ/JRCXZ.  Far transfers in protected mode check the code-segment
 * descriptor and go through call gates at the same privilege level; TSS and
 * task gates go to task_switch().  Not interrupts or IRET (interrupt.c).
 * Follows Intel SDM vol. 2 "JMP", "CALL", "RET", vol. 3A 5.8 (privilege checks).
 */
#include "x86/cpu.h"

/* Validate a near target: canonical in 64-bit mode, within CS limit otherwise. */
static int branch_check(struct x86_cpu *cpu, uint64_t target)
{
	if (cpu->mode == X86_MODE_LONG64) {
		if ((uint64_t)((int64_t)(target << 16) >> 16) != target)
			return x86_gp(cpu, 0);
	} else if (target > cpu->s.seg[X86_CS].limit) {
		return x86_gp(cpu, 0);
	}
	return X86_OK;
}

static int branch_near(struct x86_cpu *cpu, struct x86_insn *in, uint64_t target)
{
	target &= x86_mask(in->opsize);
	int rc = branch_check(cpu, target);
	if (rc)
		return rc;
	cpu->next_rip = target;
	return X86_OK;
}

int ex_jcc(struct x86_cpu *cpu, struct x86_insn *in)
{
	if (!alu_cond(cpu, in->opcode & 0xF))
		return X86_OK;
	return branch_near(cpu, in, cpu->next_rip + in->imm);
}

int ex_jmp(struct x86_cpu *cpu, struct x86_insn *in)
{
	return branch_near(cpu, in, cpu->next_rip + in->imm);
}

int ex_jmp_ev(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t t;
	int rc = opnd_read(cpu, in, 0, &t);
	if (rc)
		return rc;
	return branch_near(cpu, in, t);
}

static int branch_call_near(struct x86_cpu *cpu, struct x86_insn *in, uint64_t target)
{
	target &= x86_mask(in->opsize);
	int rc = branch_check(cpu, target);
	if (!rc)
		rc = stack_push(cpu, in->opsize, cpu->next_rip);
	if (rc)
		return rc;
	cpu->next_rip = target;
	return X86_OK;
}

int ex_call(struct x86_cpu *cpu, struct x86_insn *in)
{
	return branch_call_near(cpu, in, cpu->next_rip + in->imm);
}

int ex_call_ev(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t t;
	int rc = opnd_read(cpu, in, 0, &t);
	if (rc)
		return rc;
	return branch_call_near(cpu, in, t);
}

int ex_ret(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t t, rsp = cpu->s.gpr[X86_RSP];
	int rc = stack_pop(cpu, in->opsize, &t);
	if (!rc)
		rc = branch_check(cpu, t);
	if (rc) {
		cpu->s.gpr[X86_RSP] = rsp;
		return rc;
	}
	if (in->op->o[0].m == OM_I) {
		uint64_t sp = cpu->s.gpr[X86_RSP] + (in->imm & 0xFFFF);
		unsigned w = stack_width(cpu);
		if (w == 2)
			sp = (cpu->s.gpr[X86_RSP] & ~0xFFFFull) | (sp & 0xFFFF);
		else if (w == 4)
			sp = (uint32_t)sp;
		cpu->s.gpr[X86_RSP] = sp;
	}
	cpu->next_rip = t;
	return X86_OK;
}

int ex_loop(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t am = x86_mask(in->adsize);
	uint64_t c = (cpu->s.gpr[X86_RCX] - 1) & am;
	bool zf = cpu->s.rflags & X86_FLAGS_ZF;
	bool take = c != 0;
	if (in->opcode == 0xE0)
		take = take && !zf;
	else if (in->opcode == 0xE1)
		take = take && zf;
	if (take) {
		uint64_t target = (cpu->next_rip + in->imm) & x86_mask(in->opsize);
		int rc = branch_check(cpu, target);
		if (rc)
			return rc;
		cpu->next_rip = target;
	}
	reg_write(cpu, in, X86_RCX, in->adsize, c);
	return X86_OK;
}

int ex_jcxz(struct x86_cpu *cpu, struct x86_insn *in)
{
	if (cpu->s.gpr[X86_RCX] & x86_mask(in->adsize))
		return X86_OK;
	return branch_near(cpu, in, cpu->next_rip + in->imm);
}

/*
 * CALL through a call gate to a more privileged non-conforming segment: the
 * new stack comes from the TSS; old SS:ESP, the gate's parameter count of
 * stack entries, and CS:EIP are pushed on it (SDM 5.8.5, figure 5-13).
 */
static int branch_call_inner(struct x86_cpu *cpu, uint16_t tsel, const uint64_t d[2], uint64_t off,
			     unsigned w, unsigned params)
{
	struct x86_state *s = &cpu->s;
	bool lm = s->efer & X86_EFER_LMA;
	int dpl = (d[0] >> 45) & 3;
	uint16_t nss;
	uint64_t nsp;
	struct x86_seg newss;
	int rc = intr_tss_stack(cpu, dpl, 0, &nss, &nsp);
	if (rc)
		return rc;
	if (lm) {
		newss = s->seg[X86_SS];
		newss.sel = (uint16_t)dpl;
		newss.unusable = 1;
		newss.dpl = dpl;
		nsp &= ~0xFull;
	} else {
		rc = intr_new_ss(cpu, nss, dpl, 0, &newss);
		if (rc)
			return rc;
	}
	uint64_t vals[36];
	int n = 0;
	vals[n++] = s->seg[X86_SS].sel;
	vals[n++] = s->gpr[X86_RSP] & x86_mask(stack_width(cpu));
	uint64_t osp = s->gpr[X86_RSP] & x86_mask(stack_width(cpu));
	uint64_t p[31];
	rc = stack_read_frame(cpu, osp, p, (int)params, w);
	if (rc)
		return rc;
	for (int i = (int)params - 1; i >= 0; i--)
		vals[n++] = p[i];
	vals[n++] = s->seg[X86_CS].sel;
	vals[n++] = cpu->next_rip;
	enum x86_mode save = cpu->mode;
	if (lm)
		cpu->mode = X86_MODE_LONG64; /* 64-bit stack arithmetic for the frame */
	uint64_t sp;
	rc = stack_write_frame(cpu, &newss, nsp, vals, n, w, dpl, &sp);
	cpu->mode = save;
	if (rc)
		return rc;
	rc = seg_load_cs(cpu, (tsel & 0xFFFC) | dpl, d[0], d[1], dpl);
	if (rc)
		return rc;
	s->seg[X86_SS] = newss;
	s->gpr[X86_RSP] = lm	     ? sp
			  : newss.db ? (uint32_t)sp
				     : ((s->gpr[X86_RSP] & ~0xFFFFull) | (sp & 0xFFFF));
	cpu->next_rip = lm ? off : off & x86_mask(w);
	return X86_OK;
}

/*
 * Far JMP/CALL to sel:off.  Real and virtual-8086 mode load CS directly;
 * protected mode checks the descriptor (SDM JMP/CALL "protected mode" paths).
 */
static int branch_far(struct x86_cpu *cpu, struct x86_insn *in, uint16_t sel, uint64_t off,
		      bool call)
{
	struct x86_state *s = &cpu->s;
	unsigned w = in->opsize;
	uint64_t ret_cs = s->seg[X86_CS].sel, ret_ip = cpu->next_rip;
	int rc;
	if (cpu->mode == X86_MODE_REAL || cpu->mode == X86_MODE_V86) {
		off &= x86_mask(w);
		if (call) {
			uint64_t v[2] = {ret_cs, ret_ip}, sp;
			rc = stack_write_frame(cpu, &s->seg[X86_SS], s->gpr[X86_RSP], v, 2, w,
					       cpu->cpl, &sp);
			if (rc)
				return rc;
			reg_write(cpu, in, X86_RSP, stack_width(cpu), sp);
		}
		seg_load_real(cpu, X86_CS, sel);
		cpu->next_rip = off;
		return X86_OK;
	}
	if ((sel & 0xFFFC) == 0)
		return x86_gp(cpu, 0);
	uint64_t d[2];
	rc = seg_read_desc(cpu, sel, d, false);
	if (rc)
		return rc;
	unsigned type = (d[0] >> 40) & 0xF, dpl = (d[0] >> 45) & 3;
	bool sbit = (d[0] >> 44) & 1, present = (d[0] >> 47) & 1;
	int cpl = cpu->cpl;
	uint32_t err = sel & 0xFFFC;
	if (!sbit) {
		bool lm = s->efer & X86_EFER_LMA;
		if (type == 0x5 || (!lm && (type == 0x1 || type == 0x9)))
			return task_switch(cpu, sel, call ? 3 : 0, false, 0);
		if (type != 0x4 && type != 0xC)
			return x86_gp(cpu, err);
		/* Call gate: DPL >= max(CPL, RPL); the target must be code. */
		if (dpl < (unsigned)cpl || dpl < (sel & 3u))
			return x86_gp(cpu, err);
		if (!present)
			return x86_raise(cpu, 11, true, err);
		if (lm) {
			rc = seg_read_desc(cpu, sel, d, true);
			if (rc)
				return rc;
		}
		uint16_t tsel = (d[0] >> 16) & 0xFFFF;
		unsigned params = lm ? 0 : (d[0] >> 32) & 0x1F;
		off = (d[0] & 0xFFFF) | ((d[0] >> 32) & 0xFFFF0000ull);
		if (lm)
			off |= (d[1] & 0xFFFFFFFFull) << 32;
		else if (type == 0x4)
			off &= 0xFFFF;
		if (type == 0x4)
			w = 2;
		else
			w = lm ? 8 : 4;
		if ((tsel & 0xFFFC) == 0)
			return x86_gp(cpu, 0);
		rc = seg_read_desc(cpu, tsel, d, false);
		if (rc)
			return rc;
		type = (d[0] >> 40) & 0xF;
		dpl = (d[0] >> 45) & 3;
		if (!((d[0] >> 44) & 1) || !(type & 8) || dpl > (unsigned)cpl)
			return x86_gp(cpu, tsel & 0xFFFC);
		if (!(type & 4) && dpl < (unsigned)cpl && !call)
			return x86_gp(cpu, tsel & 0xFFFC); /* JMP never changes privilege */
		if (!((d[0] >> 47) & 1))
			return x86_raise(cpu, 11, true, tsel & 0xFFFC);
		if (!(type & 4) && dpl < (unsigned)cpl)
			return branch_call_inner(cpu, tsel, d, off, w, params);
		sel = (tsel & 0xFFFC) | cpl;
	} else {
		if (!(type & 8))
			return x86_gp(cpu, err);
		if (type & 4) {
			if (dpl > (unsigned)cpl)
				return x86_gp(cpu, err);
		} else if ((sel & 3u) > (unsigned)cpl || dpl != (unsigned)cpl) {
			return x86_gp(cpu, err);
		}
		if (!present)
			return x86_raise(cpu, 11, true, err);
	}
	bool target64 = (s->efer & X86_EFER_LMA) && ((d[0] >> 53) & 1);
	uint32_t limit = (uint32_t)((d[0] & 0xFFFF) | ((d[0] >> 32) & 0xF0000));
	if ((d[0] >> 55) & 1)
		limit = (limit << 12) | 0xFFF;
	if (!target64) {
		off &= 0xFFFFFFFFull;
		if (off > limit)
			return x86_gp(cpu, 0);
	}
	if (call) {
		uint64_t v[2] = {ret_cs, ret_ip}, sp;
		rc = stack_write_frame(cpu, &s->seg[X86_SS], s->gpr[X86_RSP], v, 2, w, cpl, &sp);
		if (rc)
			return rc;
		unsigned sw = stack_width(cpu);
		uint64_t *r = &s->gpr[X86_RSP];
		*r = sw == 8 ? sp : sw == 4 ? (uint32_t)sp : ((*r & ~0xFFFFull) | (sp & 0xFFFF));
	}
	rc = seg_load_cs(cpu, sel, d[0], d[1], cpl);
	if (rc)
		return rc;
	cpu->next_rip = off;
	return X86_OK;
}

int ex_jmp_far(struct x86_cpu *cpu, struct x86_insn *in)
{
	return branch_far(cpu, in, (uint16_t)in->imm2, in->imm, false);
}

int ex_call_far(struct x86_cpu *cpu, struct x86_insn *in)
{
	return branch_far(cpu, in, (uint16_t)in->imm2, in->imm, true);
}

static int branch_far_m(struct x86_cpu *cpu, struct x86_insn *in, bool call)
{
	if (in->mod == 3)
		return x86_ud(cpu);
	uint64_t ea, off, sel;
	opnd_ea(cpu, in, &ea);
	int rc = mem_read(cpu, in->seg, ea, in->opsize, &off);
	if (!rc)
		rc = mem_read(cpu, in->seg, (ea + in->opsize) & x86_mask(in->adsize), 2, &sel);
	if (rc)
		return rc;
	return branch_far(cpu, in, (uint16_t)sel, off, call);
}

int ex_jmp_far_m(struct x86_cpu *cpu, struct x86_insn *in)
{
	return branch_far_m(cpu, in, false);
}

int ex_call_far_m(struct x86_cpu *cpu, struct x86_insn *in)
{
	return branch_far_m(cpu, in, true);
}

int ex_ret_far(struct x86_cpu *cpu, struct x86_insn *in)
{
	struct x86_state *s = &cpu->s;
	unsigned w = in->opsize, sw = stack_width(cpu);
	uint64_t smask = x86_mask(sw);
	uint64_t sp = s->gpr[X86_RSP] & smask;
	uint64_t imm = in->op->o[0].m == OM_I ? (in->imm & 0xFFFF) : 0;
	uint64_t v[4];
	int rc = stack_read_frame(cpu, sp, v, 2, w);
	if (rc)
		return rc;
	uint64_t *r = &s->gpr[X86_RSP];
	if (cpu->mode == X86_MODE_REAL || cpu->mode == X86_MODE_V86) {
		if ((v[0] & x86_mask(w)) > s->seg[X86_CS].limit)
			return x86_gp(cpu, 0);
		seg_load_real(cpu, X86_CS, (uint16_t)v[1]);
		uint64_t nsp = (sp + 2 * w + imm) & smask;
		*r = sw == 4 ? (uint32_t)nsp : ((*r & ~0xFFFFull) | nsp);
		cpu->next_rip = v[0] & x86_mask(w);
		return X86_OK;
	}
	uint16_t sel = (uint16_t)v[1];
	uint64_t d[2];
	rc = intr_check_ret_cs(cpu, sel, d);
	if (rc)
		return rc;
	/* A non-canonical return RIP into 64-bit code: #GP(0) before anything
	 * changes (SDM "RET": "If the return instruction pointer is
	 * non-canonical"; the host CPU faults on the RETF itself). */
	if ((s->efer & X86_EFER_LMA) && ((d[0] >> 53) & 1) &&
	    (uint64_t)((int64_t)(v[0] << 16) >> 16) != v[0])
		return x86_gp(cpu, 0);
	int rpl = sel & 3;
	struct x86_seg newss = s->seg[X86_SS];
	bool outer = rpl > cpu->cpl;
	if (outer) {
		rc = stack_read_frame(cpu, sp + 2 * w + imm, v + 2, 2, w);
		if (rc)
			return rc;
		uint16_t ss = (uint16_t)v[3];
		uint64_t sd[2];
		if ((ss & 0xFFFC) == 0)
			return x86_gp(cpu, 0);
		rc = seg_read_desc(cpu, ss, sd, false);
		if (rc)
			return rc;
		unsigned t = (sd[0] >> 40) & 0xF, sdpl = (sd[0] >> 45) & 3;
		if ((ss & 3) != (unsigned)rpl || sdpl != (unsigned)rpl || !((sd[0] >> 44) & 1) ||
		    (t & 8) || !(t & 2))
			return x86_gp(cpu, ss & 0xFFFC);
		if (!((sd[0] >> 47) & 1))
			return x86_raise(cpu, 12, true, ss & 0xFFFC);
		seg_from_desc(&newss, ss, sd[0] | (1ull << 40), sd[1]);
	}
	rc = seg_load_cs(cpu, sel, d[0], d[1], rpl);
	if (rc)
		return rc;
	if (outer) {
		s->seg[X86_SS] = newss;
		uint64_t nsp = v[2] + imm;
		*r = newss.db ? (uint32_t)nsp : ((*r & ~0xFFFFull) | (nsp & 0xFFFF));
		intr_null_outer_segs(cpu);
	} else {
		uint64_t nsp = (sp + 2 * w + imm) & smask;
		*r = sw == 8 ? nsp : sw == 4 ? (uint32_t)nsp : ((*r & ~0xFFFFull) | nsp);
	}
	cpu->next_rip = v[0] & (cpu->mode == X86_MODE_LONG64 ? ~0ull : x86_mask(w));
	return X86_OK;
}
