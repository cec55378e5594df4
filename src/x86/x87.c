/*
 * x86/x87.c - the x87 FPU instructions (D8-DF escapes, FWAIT): the
 * architectural bookkeeping (TOP, tags, stack faults, FIP/FDP/FOP, memory
 * formats, pending exceptions, #MF or FERR#).
 * Not FXSAVE/XSAVE (fpustate.c).
 * Follows Intel SDM vol. 1 ch. 8 and the vol. 2 pages of each instruction.
 */
#include "x86/cpu.h"
#include "x86/fpu.h"

/* ES and B follow the unmasked exception flags (SDM 8.1.3.1). */
static void x87_update_es(struct x86_fpu *f)
{
	if (f->fsw & FSW_EXC & ~f->fcw)
		f->fsw |= FSW_ES | FSW_B;
	else
		f->fsw &= ~(FSW_ES | FSW_B);
}

/* A waiting instruction with an unmasked exception pending: #MF when CR0.NE
 * is set; with NE clear the PC's FERR#/IGNNE# path already ran when the
 * exception arose, and the instruction goes on (as with IGNNE# asserted). */
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

static void x87_fninit(struct x86_fpu *f)
{
	f->fcw = 0x37F;
	f->fsw = 0;
	f->ftw = 0;
	f->fop = 0;
	f->fip = f->fdp = 0;
	f->fcs = f->fds = 0;
}

int ex_x87(struct x86_cpu *cpu, struct x86_insn *in)
{
	struct x86_fpu *f = &cpu->s.fpu;
	unsigned esc = in->opcode & 7, reg = (in->modrm >> 3) & 7;
	uint64_t off, v;
	int rc;
	if (cpu->s.cr0 & (X86_CR0_EM | X86_CR0_TS))
		return x86_raise(cpu, 7, false, 0);
	if (in->mod != 3) {
		opnd_ea(cpu, in, &off);
		switch (esc << 3 | reg) {
		case 1 << 3 | 5: /* FLDCW m2byte */
			rc = x87_pending(cpu);
			if (!rc)
				rc = mem_read(cpu, in->seg, off, 2, &v);
			if (rc)
				return rc;
			f->fcw = (uint16_t)v;
			x87_update_es(f);
			return X86_OK;
		case 1 << 3 | 7: /* FNSTCW m2byte */
			return mem_write(cpu, in->seg, off, 2, f->fcw);
		case 5 << 3 | 7: /* FNSTSW m2byte */
			return mem_write(cpu, in->seg, off, 2, f->fsw);
		}
		return x86_ud(cpu);
	}
	switch (esc << 8 | in->modrm) {
	case 3 << 8 | 0xE2: /* FNCLEX */
		f->fsw &= ~(FSW_EXC | FSW_SF | FSW_ES | FSW_B);
		return X86_OK;
	case 3 << 8 | 0xE3: /* FNINIT */
		x87_fninit(f);
		return X86_OK;
	case 7 << 8 | 0xE0: /* FNSTSW AX */
		cpu->s.gpr[X86_RAX] = (cpu->s.gpr[X86_RAX] & ~0xFFFFull) | f->fsw;
		return X86_OK;
	case 1 << 8 | 0xD0: /* FNOP */
		return x87_pending(cpu);
	}
	return x86_ud(cpu);
}
