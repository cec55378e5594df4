/*
 * x86/bit.c - bit instructions: BT, BTS, BTR, BTC (register and memory bit
 * strings), BSF, BSR, POPCNT, BSWAP.
 * Follows Intel SDM vol. 2, "BT", "BTS", "BTR", "BTC", "BSF", "BSR", "POPCNT", "BSWAP".
 */
#include "x86/cpu.h"

int ex_bt(struct x86_cpu *cpu, struct x86_insn *in)
{
	unsigned size = in->size[0], bits = size * 8;
	uint64_t boff;
	int rc = opnd_read(cpu, in, 1, &boff);
	if (rc)
		return rc;
	/* 0: BT, 1: BTS, 2: BTR, 3: BTC (opcode A3/AB/B3/BB or group 8 /4-/7). */
	int op = in->opcode == 0xBA ? ((in->modrm >> 3) & 3) : ((in->opcode >> 3) & 3);
	uint64_t v, off = 0;
	unsigned bit;
	bool memop = in->mod != 3;
	if (memop && in->op->o[1].m == OM_G) {
		/* A register bit offset addresses a bit string: signed, any distance. */
		int64_t sb = (int64_t)x86_sext(boff, size);
		/* Floor division by the operand's bits as an arithmetic shift
		 * (GCC and clang shift signed values arithmetically): no
		 * overflow near INT64_MIN, where negating the offset did. */
		int64_t words = sb >> (size == 2 ? 4 : size == 4 ? 5 : 6);
		bit = (unsigned)(sb & (bits - 1));
		opnd_ea(cpu, in, &off);
		off = (off + (uint64_t)words * size) & x86_mask(in->adsize);
		rc = mem_read_acc(cpu, in->seg, off, size, op ? ACC_WRITE : ACC_READ, &v);
	} else {
		bit = boff & (bits - 1);
		if (memop)
			opnd_ea(cpu, in, &off);
		rc = opnd_read(cpu, in, 0, &v);
	}
	if (rc)
		return rc;
	bool cf = (v >> bit) & 1;
	uint64_t r = v;
	if (op == 1)
		r |= 1ull << bit;
	else if (op == 2)
		r &= ~(1ull << bit);
	else if (op == 3)
		r ^= 1ull << bit;
	if (op) {
		rc = memop ? mem_write(cpu, in->seg, off, size, r) : opnd_write(cpu, in, 0, r);
		if (rc)
			return rc;
	}
	cpu->s.rflags = (cpu->s.rflags & ~(uint64_t)X86_FLAGS_CF) | (cf ? X86_FLAGS_CF : 0);
	return X86_OK;
}

static int bit_scan(struct x86_cpu *cpu, struct x86_insn *in, bool reverse)
{
	uint64_t v;
	int rc = opnd_read(cpu, in, 1, &v);
	if (rc)
		return rc;
	alu_flags_logic(cpu, v, in->size[1]);
	if (!v) {
		cpu->s.rflags |= X86_FLAGS_ZF;
		return X86_OK; /* destination unchanged (what Intel and AMD CPUs do) */
	}
	cpu->s.rflags &= ~(uint64_t)X86_FLAGS_ZF;
	uint64_t r = reverse ? 63 - __builtin_clzll(v) : __builtin_ctzll(v);
	reg_write(cpu, in, in->reg, in->opsize, r);
	return X86_OK;
}

int ex_bsf(struct x86_cpu *cpu, struct x86_insn *in)
{
	return bit_scan(cpu, in, false);
}

int ex_bsr(struct x86_cpu *cpu, struct x86_insn *in)
{
	return bit_scan(cpu, in, true);
}

int ex_popcnt(struct x86_cpu *cpu, struct x86_insn *in)
{
	if (in->rep != 0xF3)
		return x86_ud(cpu); /* 0F B8 without F3 is JMPE (Itanium) */
	uint64_t v;
	int rc = opnd_read(cpu, in, 1, &v);
	if (rc)
		return rc;
	cpu->s.rflags &= ~(uint64_t)(X86_FLAGS_CF | X86_FLAGS_PF | X86_FLAGS_AF | X86_FLAGS_ZF |
				     X86_FLAGS_SF | X86_FLAGS_OF);
	if (!v)
		cpu->s.rflags |= X86_FLAGS_ZF;
	reg_write(cpu, in, in->reg, in->opsize, __builtin_popcountll(v));
	return X86_OK;
}

int ex_bswap(struct x86_cpu *cpu, struct x86_insn *in)
{
	unsigned size = in->size[0];
	uint64_t v = cpu->s.gpr[in->rm];
	if (size == 8)
		v = __builtin_bswap64(v);
	else if (in->opsize == 2)
		v = 0; /* BSWAP r16 is undefined; recent CPUs clear the register word */
	else
		v = __builtin_bswap32((uint32_t)v);
	reg_write(cpu, in, in->rm, in->opsize == 2 ? 2 : size, v);
	return X86_OK;
}
