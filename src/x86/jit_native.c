/*
 * x86/jit_native.c - the translator's native forms: instructions whose
 * effect is on general registers only (MOV and LEA to a register, the ALU
 * operations and TEST between registers and immediates, 32 and 64 bits)
 * emitted as host instructions on the guest registers in struct x86_cpu,
 * instead of a call to their specialised body.  They cannot fault, so they
 * need neither next_rip nor an exit.  The arithmetic flags are the host
 * ALU's (the same definitions at the same width) and are written into the
 * lazy record (cpu->lf) exactly as fast.c's forms write it, unless the
 * block's flag liveness says a later native operation overwrites the
 * record first; a Jcc right after one branches on the host flags.
 * INC/DEC of a register too (their record on top of the one below); SHL,
 * SHR, SAR by an immediate (shift.c's record); MOVZX, MOVSX, MOVSXD and
 * IMUL between registers (IMUL only where its flags are dead: its
 * undefined ones are the interpreter's, not the host's); ADC, SBB, SETcc
 * and CMOVcc where the host's RFLAGS holds the flags they read (what
 * jit_native_leaves says, from an earlier native form with nothing but
 * flag-preserving ones between); ADC and SBB then put all six into RFLAGS
 * (the record cannot hold a carry in).
 * Not memory operands (but MOV's), 8/16-bit operands (but SETcc's and a
 * MOVZX/MOVSX source).
 */
#include "x86/jit_native.h"

#define LF_OFF(field)                                                                              \
	((uint32_t)(offsetof(struct x86_cpu, lf) + offsetof(struct x86_lazy_flags, field)))
#define GPR_OFF(r) ((uint32_t)(offsetof(struct x86_cpu, s.gpr) + (r)*8))
#define RFLAGS_OFF ((uint32_t)offsetof(struct x86_cpu, s.rflags))

_Static_assert(offsetof(struct x86_lazy_flags, idsize) == offsetof(struct x86_lazy_flags, idop) + 1,
	       "idop, idsize: one 16-bit store");
_Static_assert(offsetof(struct x86_lazy_flags, size) == offsetof(struct x86_lazy_flags, op) + 1 &&
		   offsetof(struct x86_lazy_flags, cf) == offsetof(struct x86_lazy_flags, op) + 2 &&
		   offsetof(struct x86_lazy_flags, idop) == offsetof(struct x86_lazy_flags, op) + 3,
	       "op, size, cf, idop: one 32-bit store");

/* The flags condition code cc tests (SDM vol. 1, appendix B). */
static unsigned jn_cond_flags(unsigned cc)
{
	static const unsigned f[8] = {
	    X86_FLAGS_OF,
	    X86_FLAGS_CF,
	    X86_FLAGS_ZF,
	    X86_FLAGS_CF | X86_FLAGS_ZF,
	    X86_FLAGS_SF,
	    X86_FLAGS_PF,
	    X86_FLAGS_SF | X86_FLAGS_OF,
	    X86_FLAGS_ZF | X86_FLAGS_SF | X86_FLAGS_OF,
	};
	return f[(cc >> 1) & 7];
}

#define JN_ALL_FLAGS                                                                               \
	(X86_FLAGS_CF | X86_FLAGS_PF | X86_FLAGS_AF | X86_FLAGS_ZF | X86_FLAGS_SF | X86_FLAGS_OF)

unsigned jit_native_reads(const struct x86_insn *in, const struct jit_native *nv)
{
	if (nv->kind == JN_ALU && (nv->op == 2 || nv->op == 3))
		return X86_FLAGS_CF;
	if (nv->kind == JN_SETCC || nv->kind == JN_CMOV)
		return jn_cond_flags(nv->op);
	return 0;
}

bool jit_native_is_mem(const struct jit_native *nv)
{
	switch (nv->kind) {
	case JN_LOAD:
	case JN_STORE:
	case JN_LOADX:
	case JN_ALUM:
	case JN_PUSH:
	case JN_POP:
		return true;
	default:
		return false;
	}
}

unsigned jit_native_leaves(const struct jit_native *nv, unsigned valid)
{
	switch (nv->kind) {
	case JN_ALUM: /* the host ALU's, or the body's put there */
		return JN_ALL_FLAGS;
	case JN_MOV:
	case JN_LEA:
	case JN_MOVX:
	case JN_SETCC:
	case JN_CMOV:
	case JN_NOP:
	case JN_NOT:
		return valid; /* host MOV, LEA, MOVZX/MOVSX, SETcc, CMOVcc, NOT */
	case JN_NEG:
		return JN_ALL_FLAGS;
	case JN_ROT: /* 0, as the body it becomes where its flags are live */
		return 0;
	case JN_ALU: /* ADC, SBB: their flags go to RFLAGS through the host ALU */
		return nv->op == 2 || nv->op == 3 ? 0 : JN_ALL_FLAGS;
	case JN_INCDEC: /* the host's INC/DEC keep CF too */
		return (valid & X86_FLAGS_CF) | (JN_ALL_FLAGS & ~X86_FLAGS_CF);
	case JN_SHIFT: /* OF only for a count of 1 (SDM SAL/SAR/SHL/SHR), AF undefined */
		return X86_FLAGS_CF | X86_FLAGS_PF | X86_FLAGS_ZF | X86_FLAGS_SF |
		       (nv->count == 1 ? X86_FLAGS_OF : 0);
	default:
		return 0;
	}
}

bool jit_native_kills(const struct jit_native *nv)
{
	return nv->kind == JN_ALU || nv->kind == JN_SHIFT || nv->kind == JN_IMUL ||
	       nv->kind == JN_NEG;
}

bool jit_native_dead_only(const struct jit_native *nv)
{
	return nv->kind == JN_IMUL || nv->kind == JN_ROT;
}

bool jit_native_keeps(const struct jit_native *nv)
{
	switch (nv->kind) {
	case JN_MOV:
	case JN_LEA:
	case JN_MOVX:
	case JN_SETCC:
	case JN_CMOV:
	case JN_NOP:
	case JN_NOT:
	case JN_ROT: /* dead flags: nothing reads them before a writer of all six */
		return true;
	default:
		return false;
	}
}

bool jit_native_pick(const struct x86_insn *in, struct jit_native *nv)
{
	x86_exec_fn f = in->op->fn;
	bool r0 = in->kind[0] == OK_REG, r1 = in->kind[1] == OK_REG, i1 = in->kind[1] == OK_IMM;
	nv->kind = JN_NONE;
	if (in->checks || in->bits != 64)
		return false;
	/* Rows without a specialised form (the interpreter runs their general
	 * body) that the translator runs natively: */
	if ((f == ex_imul2 || f == ex_imul3) && r0 && r1 && in->size[1] == in->size[0] &&
	    (in->size[0] == 4 || in->size[0] == 8)) {
		nv->kind = JN_IMUL;
		nv->op = f == ex_imul3;
		nv->size = in->size[0];
		return true;
	}
	if (f == ex_cmov && r0 && r1 && in->size[1] == in->size[0] &&
	    (in->size[0] == 4 || in->size[0] == 8)) {
		nv->kind = JN_CMOV;
		nv->op = in->opcode & 0xF;
		nv->size = in->size[0];
		return true;
	}
	if (f == ex_setcc && r0 && in->size[0] == 1) {
		nv->kind = JN_SETCC;
		nv->op = in->opcode & 0xF;
		nv->size = 1;
		return true;
	}
	if ((f == ex_movzx || f == ex_movsx || f == ex_movsxd) && r0 && r1 &&
	    (in->size[0] == 4 || in->size[0] == 8) &&
	    (in->size[1] == 1 || in->size[1] == 2 || (in->size[1] == 4 && in->size[0] == 8))) {
		nv->kind = JN_MOVX;
		nv->op = f != ex_movzx;
		nv->size = in->size[0];
		nv->count = in->size[1];
		return true;
	}
	if (f == ex_nop || (f == ex_xchg_ax && in->rm == X86_RAX)) {
		nv->kind = JN_NOP; /* the hints touch no memory: no fault */
		return true;
	}
	unsigned sub = (in->modrm >> 3) & 7, sz = in->size[0];
	if (f == ex_shift && r0 && (sz == 4 || sz == 8) && !(in->map == MAP_1B && in->opcode < 0xC2)) {
		/* D0-D3: by 1 (D1) or CL (D3); C0/C1 by an immediate are below */
		nv->size = (uint8_t)sz;
		if (in->opcode == 0xD1 && (sub == 4 || sub == 5 || sub == 6 || sub == 7)) {
			nv->kind = JN_SHIFT;
			nv->op = sub == 6 ? 4 : (uint8_t)sub;
			nv->count = 1;
			return true;
		}
		if (in->opcode == 0xD3 && sz == 8 && sub != 2 && sub != 3 && sub != 6) {
			nv->kind = JN_ROT; /* 64-bit: a count of 0 changes nothing */
			nv->op = (uint8_t)sub;
			nv->count = 0xFF;
			return true;
		}
		return false;
	}
	if (f == ex_shift && r0 && i1 && (sz == 4 || sz == 8) && (sub == 0 || sub == 1)) {
		nv->count = (uint8_t)(in->imm & (sz == 8 ? 0x3F : 0x1F));
		if (!nv->count)
			return false;
		nv->kind = JN_ROT;
		nv->op = (uint8_t)sub;
		nv->size = (uint8_t)sz;
		return true;
	}
	if ((f == ex_not || f == ex_neg) && r0 && sz && sz <= 8) {
		nv->kind = f == ex_not ? JN_NOT : JN_NEG;
		nv->op = 5; /* NEG: SUB 0, reg */
		nv->size = (uint8_t)sz;
		return true;
	}
	/* FS/GS operands: the general body in the interpreter, here their base
	 * added to the address (64-bit mode: no limit). */
	if (in->fn == cpu_general && in->seg != X86_FS && in->seg != X86_GS)
		return false;
	if (f == ex_lea && r0 && in->mod != 3 && in->adsize == 8 &&
	    (in->opsize == 4 || in->opsize == 8)) {
		nv->kind = JN_LEA;
		nv->size = in->opsize;
		return true;
	}
	unsigned size = in->size[0];
	bool m0 = in->kind[0] == OK_MEM, m1 = in->kind[1] == OK_MEM;
	bool flat = in->seg <= X86_GS && in->adsize == 8, any = size && size <= 8;
	nv->size = nv->msize = (uint8_t)size;
	if (f == ex_mov && any && flat &&
	    ((r0 && m1 && in->size[1] == size) || (m0 && (r1 || i1)))) {
		nv->kind = m1 ? JN_LOAD : JN_STORE;
		return true;
	}
	if ((f == ex_movzx || f == ex_movsx || f == ex_movsxd) && r0 && m1 && flat &&
	    (size == 4 || size == 8) &&
	    (in->size[1] == 1 || in->size[1] == 2 || (in->size[1] == 4 && size == 8))) {
		nv->kind = JN_LOADX;
		nv->op = f != ex_movzx;
		nv->msize = in->size[1];
		return true;
	}
	if ((f == ex_alu || f == ex_alu_ai || f == ex_test) && any && flat &&
	    ((r0 && m1) || (m0 && (r1 || i1))) && (!r1 || in->size[1] == size)) {
		bool low = in->map == MAP_1B && in->opcode < 0x40;
		nv->op = f == ex_test ? 8 : low ? (in->opcode >> 3) & 7 : (in->modrm >> 3) & 7;
		if (nv->op == 2 || nv->op == 3 || (m0 && nv->op < 7))
			return false; /* reads CF, or writes memory */
		nv->kind = JN_ALUM;
		return true;
	}
	if ((f == ex_push || f == ex_pop) && r0 && in->opsize == 8 && in->regno[0] != X86_RSP) {
		nv->kind = f == ex_push ? JN_PUSH : JN_POP;
		nv->size = nv->msize = 8;
		return true;
	}
	if (f == ex_incdec && r0 && (size == 4 || size == 8)) {
		nv->kind = JN_INCDEC;
		nv->op = (in->modrm >> 3) & 1; /* FE/FF /0, /1: 40-4F are REX here */
		nv->size = (uint8_t)size;
		return true;
	}
	if (!any || !r0 || !(r1 || i1) || (r1 && in->size[1] != size))
		return false;
	if ((f == ex_alu || f == ex_alu_ai || f == ex_test) && size < 4) {
		bool low = in->map == MAP_1B && in->opcode < 0x40;
		nv->op = f == ex_test ? 8 : low ? (in->opcode >> 3) & 7 : (in->modrm >> 3) & 7;
		nv->kind = JN_ALU; /* 8 and 16 bits: the ALU operations only */
		return true;
	}
	if (size < 4)
		return false;
	if (f == ex_mov) {
		nv->kind = JN_MOV;
	} else if (f == ex_alu || f == ex_alu_ai) {
		bool low = in->map == MAP_1B && in->opcode < 0x40;
		nv->op = low ? (in->opcode >> 3) & 7 : (in->modrm >> 3) & 7;
		nv->kind = JN_ALU;
	} else if (f == ex_shift && i1) {
		unsigned sub = (in->modrm >> 3) & 7;
		nv->count = (uint8_t)(in->imm & (size == 8 ? 0x3F : 0x1F));
		if ((sub == 4 || sub == 5 || sub == 6 || sub == 7) && nv->count) {
			nv->kind = JN_SHIFT;
			nv->op = sub == 6 ? 4 : (uint8_t)sub; /* SAL is SHL */
		}
	} else if (f == ex_test) {
		nv->op = 8;
		nv->kind = JN_ALU;
	}
	return nv->kind != JN_NONE;
}

/* [REX.W] opcode with ModRM mod=10 reg, rm=RBX+disp32 (registers below 8). */
static void jn_rbx(struct jit_asm *a, bool w, uint8_t opcode, unsigned reg, uint32_t off)
{
	if (w)
		a_u8(a, 0x48);
	a_u8(a, opcode);
	a_rbx_disp(a, reg, off);
}

/* [REX.W] opcode with ModRM mod=11 (register to register). */
static void jn_rr(struct jit_asm *a, bool w, uint8_t opcode, unsigned reg, unsigned rm)
{
	if (w)
		a_u8(a, 0x48);
	a_u8(a, opcode);
	a_u8(a, 0xC0 | (reg << 3) | rm);
}

enum { RAX, RCX, RDX };

static void jn_bytes(struct jit_asm *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		a_u8(a, b[i]);
}

/* RCX = v, a value of size bytes (zero-extended). */
static void jn_imm_rcx(struct jit_asm *a, uint64_t v, unsigned size)
{
	if (size == 4 || v <= 0xFFFFFFFFu) {
		a_u8(a, 0xB9); /* mov ecx, imm32 */
		a_u32(a, (uint32_t)v);
	} else {
		a_mov_imm64(a, RCX, v);
	}
}

/* RFLAGS' arithmetic flags = the host's, and no record (the sequence of
 * fast_sync_flags, with the host's flags as the record). */
static void jn_flags_to_rflags(struct jit_asm *a)
{
	static const uint8_t pf[] = {0x9C, 0x58}; /* pushfq; pop rax */
	jn_bytes(a, pf, sizeof(pf));
	a_u8(a, 0x25); /* and eax, ARITH */
	a_u32(a, JN_ALL_FLAGS);
	jn_rbx(a, true, 0x8B, RCX, RFLAGS_OFF); /* mov rcx, [rflags] */
	a_u8(a, 0x48);				/* and rcx, ~ARITH */
	a_u8(a, 0x81);
	a_u8(a, 0xE1);
	a_u32(a, ~(uint32_t)JN_ALL_FLAGS);
	jn_rr(a, true, 0x09, RAX, RCX);		/* or rcx, rax */
	jn_rbx(a, true, 0x89, RCX, RFLAGS_OFF); /* mov [rflags], rcx */
	jn_rbx(a, false, 0xC7, 0, LF_OFF(op));	/* op, size, cf, idop = 0 */
	a_u32(a, 0);
}

/* Where an ALU operand is: a guest register, the immediate, or host
 * memory at [RSI] (after jit_native_mem's lookup). */
enum { JS_REG, JS_IMM, JS_MEM, JS_ZERO, JS_REG0 };

/* Host register r = operand k of size bytes, zero-extended. */
static void jn_ld(struct jit_asm *a, const struct x86_insn *in, int k, int src, unsigned size,
		  unsigned r)
{
	if (src == JS_IMM) {
		jn_imm_rcx(a, in->imm & x86_mask(size), size);
		return;
	}
	if (src == JS_ZERO) {
		a_u8(a, 0xB8 + r); /* mov r32, 0 (not XOR: no flags) */
		a_u32(a, 0);
		return;
	}
	if (src == JS_REG0)
		k = 0;
	if (size == 8)
		a_u8(a, 0x48);
	if (size < 4) { /* movzx r32, byte or word */
		a_u8(a, 0x0F);
		a_u8(a, size == 1 ? 0xB6 : 0xB7);
	} else {
		a_u8(a, 0x8B);
	}
	if (src == JS_MEM)
		a_u8(a, (uint8_t)(r << 3 | 6)); /* [rsi] */
	else
		a_rbx_disp(a, r, GPR_OFF(in->regno[k]));
}

/* [66] [REX.W] op with ModRM mod=11 (reg, rm) at operand size size (op is
 * the 16/32/64-bit opcode; its 8-bit twin is op - 1). */
static void jn_rr_size(struct jit_asm *a, unsigned size, uint8_t op, unsigned reg, unsigned rm)
{
	if (size == 2)
		a_u8(a, 0x66);
	if (size == 8)
		a_u8(a, 0x48);
	a_u8(a, size == 1 ? op - 1 : op);
	a_u8(a, 0xC0 | (reg << 3) | rm);
}

/* The ALU operation of nv on a (from asrc) and b (from bsrc), the result
 * into the guest register of operand 0 unless CMP/TEST. */
static void jn_alu_any(struct jit_asm *a, const struct x86_insn *in, const struct jit_native *nv,
		       bool record, int asrc, int bsrc)
{
	static const uint8_t host_op[9] = {0x01, 0x09, 0x11, 0x19, 0x21, 0x29, 0x31, 0x29, 0x21};
	static const uint8_t lf_op[9] = {LF_ADD, LF_LOGIC, 0,	   0,	    LF_LOGIC,
					 LF_SUB, LF_LOGIC, LF_SUB, LF_LOGIC};
	unsigned size = nv->size, op = nv->op;
	bool carry = op == 2 || op == 3;
	jn_ld(a, in, 0, asrc, size, RAX);
	jn_ld(a, in, 1, bsrc, size, RCX);
	if (record && !carry) {
		jn_rbx(a, true, 0x89, RAX, LF_OFF(a));
		jn_rbx(a, true, 0x89, RCX, LF_OFF(b));
	}
	jn_rr(a, true, 0x89, RAX, RDX);			  /* mov rdx, rax */
	jn_rr_size(a, size, host_op[op], RCX, RDX); /* op rdx, rcx: the guest's flags */
	if (record && carry)
		jn_flags_to_rflags(a);
	else if (record) { /* MOVs leave the host flags alone */
		jn_rbx(a, true, 0x89, RDX, LF_OFF(res));
		jn_rbx(a, false, 0xC7, 0, LF_OFF(op)); /* op, size; cf, idop = 0 */
		a_u32(a, lf_op[op] | size << 8);
	}
	if (op == 7 || op == 8)
		return;
	uint32_t dst = GPR_OFF(in->regno[0]);
	if (size >= 4)
		jn_rbx(a, true, 0x89, RDX, dst); /* 32-bit results zero-extend */
	else if (size == 2) {
		a_u8(a, 0x66);
		jn_rbx(a, false, 0x89, RDX, dst);
	} else {
		jn_rbx(a, false, 0x88, RDX, dst);
	}
}

static void jn_alu(struct jit_asm *a, const struct x86_insn *in, const struct jit_native *nv,
		   bool record)
{
	jn_alu_any(a, in, nv, record, JS_REG, in->kind[1] == OK_REG ? JS_REG : JS_IMM);
}

/* INC/DEC: fast_incdec's record on top (idres, idop, idsize); CF stays. */
static void jn_incdec(struct jit_asm *a, const struct x86_insn *in, const struct jit_native *nv)
{
	bool w = nv->size == 8;
	uint32_t reg = GPR_OFF(in->regno[0]);
	jn_rbx(a, w, 0x8B, RAX, reg);
	jn_rr(a, w, 0xFF, nv->op, RAX); /* inc/dec eax or rax: a 32-bit result zero-extends */
	jn_rbx(a, true, 0x89, RAX, LF_OFF(idres));
	a_u8(a, 0x66); /* mov word [idop], idop | idsize << 8 */
	jn_rbx(a, false, 0xC7, 0, LF_OFF(idop));
	uint16_t v = (uint16_t)((nv->op ? LF_DEC : LF_INC) | nv->size << 8);
	a_u8(a, (uint8_t)v);
	a_u8(a, (uint8_t)(v >> 8));
	jn_rbx(a, true, 0x89, RAX, reg);
}

static void jn_mov(struct jit_asm *a, const struct x86_insn *in, unsigned size)
{
	uint32_t dst = GPR_OFF(in->regno[0]);
	if (in->kind[1] == OK_IMM) {
		a_store_imm(a, dst, in->imm & x86_mask(size));
		return;
	}
	jn_rbx(a, size == 8, 0x8B, RAX, GPR_OFF(in->regno[1]));
	jn_rbx(a, true, 0x89, RAX, dst);
}

/* RAX = the effective address of the ModRM memory operand (64-bit). */
static void jn_ea(struct jit_asm *a, const struct x86_insn *in, uint64_t next_rip)
{
	uint64_t disp = (uint64_t)(int64_t)in->disp;
	if (in->riprel || (in->base < 0 && in->index < 0)) {
		a_mov_imm64(a, RAX, in->riprel ? next_rip + disp : disp);
		return;
	}
	if (in->base >= 0) {
		jn_rbx(a, true, 0x8B, RAX, GPR_OFF(in->base));
	} else {
		a_mov_eax(a, 0); /* not XOR: the host flags may be the guest's */
	}
	if (in->index >= 0) {
		jn_rbx(a, true, 0x8B, RCX, GPR_OFF(in->index));
		a_u8(a, 0x48);
		a_u8(a, 0x8D);
		a_u8(a, 0x84); /* lea rax, [rax + rcx * 2^scale + disp32] */
		a_u8(a, (uint8_t)(in->scale << 6 | RCX << 3 | RAX));
		a_u32(a, (uint32_t)in->disp);
	} else if (in->disp) {
		a_u8(a, 0x48);
		a_u8(a, 0x8D);
		a_u8(a, 0x80); /* lea rax, [rax + disp32] */
		a_u32(a, (uint32_t)in->disp);
	}
}

static void jn_lea(struct jit_asm *a, const struct x86_insn *in, uint64_t next_rip, unsigned size)
{
	jn_ea(a, in, next_rip);
	if (size == 4)
		jn_rr(a, false, 0x89, RAX, RAX); /* mov eax, eax */
	jn_rbx(a, true, 0x89, RAX, GPR_OFF(in->regno[0]));
}

/* MOV [rsi] from RCX or an immediate, size bytes. */
static void jn_st(struct jit_asm *a, unsigned size, bool imm, uint64_t v)
{
	if (size == 2)
		a_u8(a, 0x66);
	if (size == 8)
		a_u8(a, 0x48);
	if (!imm) {
		a_u8(a, size == 1 ? 0x88 : 0x89);
		a_u8(a, RCX << 3 | 6); /* mov [rsi], cl/cx/ecx/rcx */
		return;
	}
	a_u8(a, size == 1 ? 0xC6 : 0xC7);
	a_u8(a, 6); /* mov [rsi], imm8/16/32 (a 64-bit store sign-extends it, as decoded) */
	if (size == 1)
		a_u8(a, (uint8_t)v);
	else if (size == 2) {
		a_u8(a, (uint8_t)v);
		a_u8(a, (uint8_t)(v >> 8));
	} else {
		a_u32(a, (uint32_t)v);
	}
}

/* The guest register of operand k = RCX's low size bytes (32 bits: zero-extended). */
static void jn_put_rcx(struct jit_asm *a, const struct x86_insn *in, int k, unsigned size)
{
	uint32_t off = GPR_OFF(in->regno[k]);
	if (size >= 4)
		jn_rbx(a, true, 0x89, RCX, off);
	else if (size == 2) {
		a_u8(a, 0x66);
		jn_rbx(a, false, 0x89, RCX, off);
	} else {
		jn_rbx(a, false, 0x88, RCX, off);
	}
}

/* The operation at host address RSI (RAX, RCX, RDX free). */
static void jn_mem_op(struct jit_asm *a, const struct x86_insn *in, const struct jit_native *nv)
{
	unsigned size = nv->size;
	uint32_t rsp = GPR_OFF(X86_RSP);
	static const uint8_t ld[] = {0x48, 0x8B, 0x0E}; /* mov rcx, [rsi] */
	switch (nv->kind) {
	case JN_LOAD:
		jn_ld(a, in, 1, JS_MEM, size, RCX);
		jn_put_rcx(a, in, 0, size);
		break;
	case JN_STORE:
		if (in->kind[1] == OK_IMM) {
			jn_st(a, size, true, in->imm);
		} else {
			jn_rbx(a, true, 0x8B, RCX, GPR_OFF(in->regno[1]));
			jn_st(a, size, false, 0);
		}
		break;
	case JN_LOADX:
		if (nv->msize == 4) {
			static const uint8_t sxd[] = {0x48, 0x63, 0x0E}; /* movsxd rcx, [rsi] */
			jn_bytes(a, sxd, sizeof(sxd));
		} else {
			if (size == 8 && nv->op)
				a_u8(a, 0x48);
			a_u8(a, 0x0F); /* movzx/movsx ecx or rcx, byte/word [rsi] */
			a_u8(a, (uint8_t)((nv->op ? 0xBE : 0xB6) + (nv->msize == 2)));
			a_u8(a, RCX << 3 | 6);
		}
		jn_rbx(a, true, 0x89, RCX, GPR_OFF(in->regno[0]));
		break;
	case JN_ALUM:
		if (in->kind[0] == OK_MEM)
			jn_alu_any(a, in, nv, true, JS_MEM, in->kind[1] == OK_REG ? JS_REG : JS_IMM);
		else
			jn_alu_any(a, in, nv, true, JS_REG, JS_MEM);
		break;
	case JN_PUSH: /* the register before RSP moves (PUSH RSP is not here) */
		jn_rbx(a, true, 0x8B, RCX, GPR_OFF(in->regno[0]));
		jn_st(a, 8, false, 0);
		jn_rbx(a, true, 0x8B, RCX, rsp);
		a_u8(a, 0x48); /* lea rcx, [rcx-8] */
		a_u8(a, 0x8D);
		a_u8(a, 0x49);
		a_u8(a, 0xF8);
		jn_rbx(a, true, 0x89, RCX, rsp);
		break;
	case JN_POP: /* POP RSP is not here */
		jn_bytes(a, ld, sizeof(ld));
		jn_rbx(a, true, 0x89, RCX, GPR_OFF(in->regno[0]));
		jn_rbx(a, true, 0x8B, RCX, rsp);
		a_u8(a, 0x48); /* lea rcx, [rcx+8] */
		a_u8(a, 0x8D);
		a_u8(a, 0x49);
		a_u8(a, 0x08);
		jn_rbx(a, true, 0x89, RCX, rsp);
		break;
	}
}

void jit_native_flags_in(struct jit_asm *a, const void *fn)
{
	static const uint8_t arg[] = {0x48, 0x89, 0xDF}; /* mov rdi, rbx */
	jn_bytes(a, arg, sizeof(arg));
	a_call(a, fn);
	static const uint8_t pf[] = {0x9C, 0x59}; /* pushfq; pop rcx */
	jn_bytes(a, pf, sizeof(pf));
	a_u8(a, 0x81); /* and ecx, ~ARITH */
	a_u8(a, 0xE1);
	a_u32(a, ~(uint32_t)JN_ALL_FLAGS);
	jn_rr(a, false, 0x09, RAX, RCX); /* or ecx, eax */
	static const uint8_t pp[] = {0x51, 0x9D}; /* push rcx; popfq */
	jn_bytes(a, pp, sizeof(pp));
}

void jit_native_mem(struct jit_asm *a, const struct x86_insn *in, const struct jit_native *nv,
		    uint64_t next_rip, bool user, uint32_t miss[3])
{
	unsigned size = nv->msize;
	bool store = nv->kind == JN_STORE || nv->kind == JN_PUSH;
	uint32_t tlb = (uint32_t)offsetof(struct x86_cpu, tlb);
	if (nv->kind == JN_PUSH || nv->kind == JN_POP) {
		jn_rbx(a, true, 0x8B, RAX, GPR_OFF(X86_RSP));
		if (nv->kind == JN_PUSH) {
			static const uint8_t dec[] = {0x48, 0x8D, 0x40, 0xF8}; /* lea rax, [rax-8] */
			jn_bytes(a, dec, sizeof(dec));
		}
	} else {
		jn_ea(a, in, next_rip);
		if (in->seg == X86_FS || in->seg == X86_GS) {
			/* mov rcx, [base]; lea rax, [rax + rcx] */
			jn_rbx(a, true, 0x8B, RCX,
			       (uint32_t)(offsetof(struct x86_cpu, s.seg) +
					  in->seg * sizeof(struct x86_seg) + offsetof(struct x86_seg, base)));
			static const uint8_t add[] = {0x48, 0x8D, 0x04, 0x08};
			jn_bytes(a, add, sizeof(add));
		}
	}
	/* Within one page: (ea & 0xFFF) <= 4096 - size. */
	static const uint8_t page[] = {0x89, 0xC1, 0x81, 0xE1, 0xFF, 0x0F, 0x00, 0x00, 0x81, 0xF9};
	jn_bytes(a, page, sizeof(page)); /* mov ecx, eax; and ecx, 0xFFF; cmp ecx, imm32 */
	a_u32(a, 4096 - size);
	miss[0] = a_jcc_fwd(a, 0x7); /* ja */
	/* RDX = the entry's offset: mmu_tlb_index(ea) * sizeof(entry). */
	static const uint8_t index[] = {
	    0x48, 0x89, 0xC2,			/* mov rdx, rax */
	    0x48, 0xC1, 0xEA, 0x0C,		/* shr rdx, 12 */
	    0x48, 0x89, 0xD1,			/* mov rcx, rdx */
	    0x48, 0xC1, 0xE9, 0x0A,		/* shr rcx, 10 */
	    0x48, 0x31, 0xCA,			/* xor rdx, rcx */
	    0x81, 0xE2, 0xFF, 0x03, 0x00, 0x00, /* and edx, TLB_SIZE - 1 */
	    0x48, 0x69, 0xD2,			/* imul rdx, rdx, imm32 */
	};
	_Static_assert(TLB_SIZE == 1024, "the mask above");
	jn_bytes(a, index, sizeof(index));
	a_u32(a, (uint32_t)sizeof(struct x86_tlb_entry));
	/* The entry holds ea's page: lpage == (ea & ~0xFFF) | 1. */
	static const uint8_t lpage[] = {
	    0x48, 0x89, 0xC1,			      /* mov rcx, rax */
	    0x48, 0x81, 0xE1, 0x00, 0xF0, 0xFF, 0xFF, /* and rcx, -4096 */
	    0x48, 0x83, 0xC9, 0x01,		      /* or rcx, 1 */
	    0x48, 0x3B, 0x8C, 0x13,		      /* cmp rcx, [rbx + rdx + disp32] */
	};
	jn_bytes(a, lpage, sizeof(lpage));
	a_u32(a, tlb + (uint32_t)offsetof(struct x86_tlb_entry, lpage));
	miss[1] = a_jcc_fwd(a, CC_NE);
	/* RDX = the host page this access may use without a walk, or NULL. */
	static const uint8_t host[] = {0x48, 0x8B, 0x94, 0x13}; /* mov rdx, [rbx + rdx + disp32] */
	jn_bytes(a, host, sizeof(host));
	a_u32(a, tlb + (uint32_t)offsetof(struct x86_tlb_entry, fast[store][user]));
	static const uint8_t test[] = {0x48, 0x85, 0xD2,	      /* test rdx, rdx */
				       0x25, 0xFF, 0x0F, 0x00, 0x00}; /* and eax, 0xFFF */
	jn_bytes(a, test, 3);
	miss[2] = a_jcc_fwd(a, CC_E);
	jn_bytes(a, test + 3, 5);
	static const uint8_t addr[] = {0x48, 0x8D, 0x34, 0x02}; /* lea rsi, [rdx + rax] */
	jn_bytes(a, addr, sizeof(addr));
	jn_mem_op(a, in, nv);
}

/* MOVZX/MOVSX/MOVSXD: the source's bytes extended into RAX, stored whole
 * (a 32-bit destination's upper half zero). */
static void jn_movx(struct jit_asm *a, const struct x86_insn *in, const struct jit_native *nv)
{
	uint32_t src = GPR_OFF(in->regno[1]);
	bool w = nv->size == 8;
	if (nv->count == 4) {
		jn_rbx(a, true, 0x63, RAX, src); /* movsxd rax, dword [src] */
	} else {
		if (w && nv->op)
			a_u8(a, 0x48);
		a_u8(a, 0x0F); /* movzx/movsx eax or rax, byte/word [src] */
		a_u8(a, (uint8_t)((nv->op ? 0xBE : 0xB6) + (nv->count == 2)));
		a_rbx_disp(a, RAX, src);
	}
	jn_rbx(a, true, 0x89, RAX, GPR_OFF(in->regno[0]));
}

/* SHL/SHR/SAR by count: shift.c's record (a, count, result) when live. */
static void jn_shift(struct jit_asm *a, const struct x86_insn *in, const struct jit_native *nv,
		     bool record)
{
	static const uint8_t lf_op[8] = {[4] = LF_SHL, [5] = LF_SHR, [7] = LF_SAR};
	bool w = nv->size == 8;
	uint32_t reg = GPR_OFF(in->regno[0]);
	jn_rbx(a, w, 0x8B, RAX, reg); /* a 32-bit load zero-extends: a within size */
	if (record)
		jn_rbx(a, true, 0x89, RAX, LF_OFF(a));
	if (w)
		a_u8(a, 0x48);
	a_u8(a, 0xC1); /* shl/shr/sar eax or rax, count */
	a_u8(a, (uint8_t)(0xC0 | nv->op << 3));
	a_u8(a, nv->count);
	jn_rbx(a, true, 0x89, RAX, reg);
	if (!record)
		return;
	jn_rbx(a, true, 0x89, RAX, LF_OFF(res));
	jn_rbx(a, true, 0xC7, 0, LF_OFF(b));
	a_u32(a, nv->count);
	jn_rbx(a, false, 0xC7, 0, LF_OFF(op)); /* op, size; cf, idop = 0 */
	a_u32(a, lf_op[nv->op] | nv->size << 8);
}

/* IMUL reg, reg [, imm] (its flags dead: none written). */
static void jn_imul(struct jit_asm *a, const struct x86_insn *in, const struct jit_native *nv)
{
	bool w = nv->size == 8;
	uint32_t src = GPR_OFF(in->regno[1]);
	if (nv->op) { /* imul eax or rax, [src], imm32 (a 64-bit one sign-extends it) */
		jn_rbx(a, w, 0x69, RAX, src);
		a_u32(a, (uint32_t)in->imm);
	} else {
		jn_rbx(a, w, 0x8B, RAX, GPR_OFF(in->regno[0]));
		if (w)
			a_u8(a, 0x48);
		a_u8(a, 0x0F); /* imul eax or rax, [src] */
		a_u8(a, 0xAF);
		a_rbx_disp(a, RAX, src);
	}
	jn_rbx(a, true, 0x89, RAX, GPR_OFF(in->regno[0]));
}

/* NOT reg (no flags). */
static void jn_not(struct jit_asm *a, const struct x86_insn *in, const struct jit_native *nv)
{
	jn_ld(a, in, 0, JS_REG, nv->size, RCX);
	jn_rr_size(a, nv->size, 0xF7, 2, RCX); /* not cl/cx/ecx/rcx */
	jn_put_rcx(a, in, 0, nv->size);
}

/* ROL/ROR by an immediate, or a shift or rotate by CL (64-bit), flags dead. */
static void jn_rot(struct jit_asm *a, const struct x86_insn *in, const struct jit_native *nv)
{
	bool w = nv->size == 8;
	uint32_t reg = GPR_OFF(in->regno[0]);
	if (nv->count == 0xFF)
		jn_rbx(a, false, 0x8B, RCX, GPR_OFF(X86_RCX)); /* mov ecx, the guest's ECX */
	jn_rbx(a, w, 0x8B, RAX, reg);
	if (w)
		a_u8(a, 0x48);
	a_u8(a, nv->count == 0xFF ? 0xD3 : 0xC1); /* op eax or rax, imm8 or cl */
	a_u8(a, (uint8_t)(0xC0 | nv->op << 3));
	if (nv->count != 0xFF)
		a_u8(a, nv->count);
	jn_rbx(a, true, 0x89, RAX, reg);
}

/* SETcc reg8 and CMOVcc reg, reg on the host's flags. */
static void jn_setcc(struct jit_asm *a, const struct x86_insn *in, const struct jit_native *nv)
{
	a_u8(a, 0x0F); /* setcc al */
	a_u8(a, (uint8_t)(0x90 + nv->op));
	a_u8(a, 0xC0);
	jn_rbx(a, false, 0x88, RAX, GPR_OFF(in->regno[0])); /* mov [reg], al */
}

static void jn_cmov(struct jit_asm *a, const struct x86_insn *in, const struct jit_native *nv)
{
	bool w = nv->size == 8;
	uint32_t dst = GPR_OFF(in->regno[0]);
	jn_rbx(a, w, 0x8B, RAX, dst);
	if (w)
		a_u8(a, 0x48);
	a_u8(a, 0x0F); /* cmovcc eax or rax, [src]: a 32-bit one zero-extends, taken or not */
	a_u8(a, (uint8_t)(0x40 + nv->op));
	a_rbx_disp(a, RAX, GPR_OFF(in->regno[1]));
	jn_rbx(a, true, 0x89, RAX, dst);
}

void jit_native_emit(struct jit_asm *a, const struct x86_insn *in, const struct jit_native *nv,
		     uint64_t next_rip, bool record)
{
	switch (nv->kind) {
	case JN_ALU:
		jn_alu(a, in, nv, record);
		break;
	case JN_MOV:
		jn_mov(a, in, nv->size);
		break;
	case JN_LEA:
		jn_lea(a, in, next_rip, nv->size);
		break;
	case JN_INCDEC:
		jn_incdec(a, in, nv);
		break;
	case JN_MOVX:
		jn_movx(a, in, nv);
		break;
	case JN_SHIFT:
		jn_shift(a, in, nv, record);
		break;
	case JN_IMUL:
		jn_imul(a, in, nv);
		break;
	case JN_SETCC:
		jn_setcc(a, in, nv);
		break;
	case JN_CMOV:
		jn_cmov(a, in, nv);
		break;
	case JN_NOP:
		break;
	case JN_NOT:
		jn_not(a, in, nv);
		break;
	case JN_NEG:
		jn_alu_any(a, in, nv, record, JS_ZERO, JS_REG0);
		break;
	case JN_ROT:
		jn_rot(a, in, nv);
		break;
	}
}
