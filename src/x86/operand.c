/*
 * x86/operand.c - reading and writing the operands a decoded instruction names:
 * general registers (with the AH-BH byte registers), effective addresses,
 * memory, immediates, segment registers.  Not the decoder (decode.c).
 * Follows Intel SDM vol. 1, 3.4.1 and 3.7 (operand addressing).
 */
#include "x86/cpu.h"

uint64_t reg_read(struct x86_cpu *cpu, struct x86_insn *in, int reg, unsigned size)
{
	if (size == 1 && !in->rex && reg >= 4 && reg < 8)
		return (cpu->s.gpr[reg - 4] >> 8) & 0xFF;
	return cpu->s.gpr[reg] & x86_mask(size);
}

void reg_write(struct x86_cpu *cpu, struct x86_insn *in, int reg, unsigned size, uint64_t v)
{
	uint64_t *r;
	switch (size) {
	case 1:
		if (!in->rex && reg >= 4 && reg < 8) {
			r = &cpu->s.gpr[reg - 4];
			*r = (*r & ~0xFF00ull) | ((v & 0xFF) << 8);
		} else {
			r = &cpu->s.gpr[reg];
			*r = (*r & ~0xFFull) | (v & 0xFF);
		}
		break;
	case 2:
		r = &cpu->s.gpr[reg];
		*r = (*r & ~0xFFFFull) | (v & 0xFFFF);
		break;
	case 4: /* 32-bit results zero-extend into the 64-bit register */
		cpu->s.gpr[reg] = (uint32_t)v;
		break;
	default:
		cpu->s.gpr[reg] = v;
		break;
	}
}

int opnd_read_any(struct x86_cpu *cpu, struct x86_insn *in, int n, uint64_t *val)
{
	const struct x86_opspec *o = &in->op->o[n];
	unsigned size = in->size[n];
	uint64_t off;
	uint8_t *p;
	if (in->kind[n] == OK_MEM || in->kind[n] == OK_MEM_RMW) {
		/* Read for a later write: fault as a write would. */
		enum x86_acc acc = in->kind[n] == OK_MEM_RMW ? ACC_WRITE : ACC_READ;
		opnd_ea(cpu, in, &off);
		p = mem_fast(cpu, in->seg, off, size, acc);
		if (p) {
			*val = mem_load(p, size);
			return X86_OK;
		}
		return mem_read_acc(cpu, in->seg, off, size, acc, val);
	}
	switch (o->m) {
	case OM_E:
	case OM_M:
		if (in->mod == 3) {
			*val = reg_read(cpu, in, in->rm, size);
			return X86_OK;
		}
		opnd_ea(cpu, in, &off);
		if (n == 0 && (in->op->flags & (F_LOCK | F_RMW)))
			return mem_read_acc(cpu, in->seg, off, size, ACC_WRITE, val);
		return mem_read(cpu, in->seg, off, size, val);
	case OM_R:
	case OM_Z:
		*val = reg_read(cpu, in, in->rm, size);
		return X86_OK;
	case OM_G:
		*val = reg_read(cpu, in, in->reg, size);
		return X86_OK;
	case OM_AX:
		*val = cpu->s.gpr[X86_RAX] & x86_mask(size);
		return X86_OK;
	case OM_CL:
		*val = cpu->s.gpr[X86_RCX] & 0xFF;
		return X86_OK;
	case OM_DX:
		*val = cpu->s.gpr[X86_RDX] & 0xFFFF;
		return X86_OK;
	case OM_1:
		*val = 1;
		return X86_OK;
	case OM_I:
	case OM_J:
		*val = in->imm;
		return X86_OK;
	case OM_O:
		return mem_read(cpu, in->seg, in->imm & x86_mask(in->adsize), size, val);
	case OM_S:
		*val = cpu->s.seg[in->reg & 7].sel;
		return X86_OK;
	default:
		*val = 0;
		return X86_OK;
	}
}

/*
 * Classify each operand once at decode time: a general register that is not
 * AH-BH (OK_REG, with its number), an immediate (OK_IMM), a ModRM memory
 * operand of 1, 2, 4 or 8 bytes (OK_MEM; OK_MEM_RMW when it is read for a
 * later write), or anything else.
 */
void decode_operand_kinds(struct x86_insn *in)
{
	for (int k = 0; k < 3; k++) {
		const struct x86_opspec *o = &in->op->o[k];
		int reg = -1;
		in->kind[k] = OK_OTHER;
		switch (o->m) {
		case OM_E:
		case OM_M:
			if (in->mod == 3) {
				reg = in->rm;
			} else if (in->size[k] && in->size[k] <= 8 &&
				   !(in->size[k] & (in->size[k] - 1))) {
				in->kind[k] = k == 0 && (in->op->flags & (F_LOCK | F_RMW))
						  ? OK_MEM_RMW
						  : OK_MEM;
			}
			break;
		case OM_R:
		case OM_Z:
			reg = in->rm;
			break;
		case OM_G:
			reg = in->reg;
			break;
		case OM_AX:
			reg = X86_RAX;
			break;
		case OM_I:
			in->kind[k] = OK_IMM;
			break;
		default:
			break;
		}
		if (reg >= 0 && !(in->size[k] == 1 && !in->rex && reg >= 4 && reg < 8) &&
		    in->size[k] && in->size[k] <= 8) {
			in->kind[k] = OK_REG;
			in->regno[k] = (uint8_t)reg;
		}
	}
}

int opnd_write_any(struct x86_cpu *cpu, struct x86_insn *in, int n, uint64_t val)
{
	const struct x86_opspec *o = &in->op->o[n];
	unsigned size = in->size[n];
	uint64_t off;
	if (in->kind[n] == OK_MEM || in->kind[n] == OK_MEM_RMW) {
		opnd_ea(cpu, in, &off);
		uint8_t *p = mem_fast(cpu, in->seg, off, size, ACC_WRITE);
		if (p) {
			mem_store(p, size, val);
			return X86_OK;
		}
		return mem_write(cpu, in->seg, off, size, val);
	}
	switch (o->m) {
	case OM_E:
	case OM_M:
		if (in->mod == 3) {
			reg_write(cpu, in, in->rm, size, val);
			return X86_OK;
		}
		opnd_ea(cpu, in, &off);
		return mem_write(cpu, in->seg, off, size, val);
	case OM_R:
	case OM_Z:
		reg_write(cpu, in, in->rm, size, val);
		return X86_OK;
	case OM_G:
		reg_write(cpu, in, in->reg, size, val);
		return X86_OK;
	case OM_AX:
		reg_write(cpu, in, X86_RAX, size, val);
		return X86_OK;
	case OM_O:
		return mem_write(cpu, in->seg, in->imm & x86_mask(in->adsize), size, val);
	default:
		return X86_OK;
	}
}
