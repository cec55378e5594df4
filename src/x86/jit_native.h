/*
 * x86/jit_native.h - the translator's native forms (jit_native.c).
 */
#ifndef EMBER_X86_JIT_NATIVE_H
#define EMBER_X86_JIT_NATIVE_H

#include "x86/cpu.h"
#include "x86/jit_emit.h"

enum {
	JN_NONE,
	JN_MOV,
	JN_ALU,
	JN_LEA,
	JN_LOAD,
	JN_STORE,
	JN_INCDEC,
	JN_MOVX,  /* MOVZX, MOVSX, MOVSXD between registers */
	JN_SHIFT, /* SHL, SHR, SAR of a register by an immediate (not 0) */
	JN_IMUL,  /* IMUL reg, reg [, imm]: only where its flags are dead */
	JN_SETCC, /* SETcc of a register, on the host flags */
	JN_CMOV,  /* CMOVcc between registers, on the host flags */
	JN_NOP,	  /* NOP, 0F 18-1F hints, 90 (XCHG eAX with itself): nothing */
	JN_NOT,	  /* NOT reg */
	JN_NEG,	  /* NEG reg: the record of SUB 0, reg */
	JN_ROT,	  /* ROL/ROR reg by an immediate, SHL/SHR/SAR/ROL/ROR reg by CL
		   * (count 0xFF): only where their flags are dead */
	/* Through the inline soft-TLB lookup (jit_native_mem): */
	JN_LOADX, /* MOVZX, MOVSX, MOVSXD from memory */
	JN_ALUM,  /* ALU reg, [m]; CMP or TEST [m], reg or imm (not ADC/SBB) */
	JN_PUSH,  /* PUSH reg (64-bit) */
	JN_POP,	  /* POP reg (64-bit) */
};
struct jit_native {
	uint8_t kind; /* JN_* */
	/* JN_ALU: ADD..CMP as ModRM.reg, 8 for TEST; JN_INCDEC: 1 for DEC;
	 * JN_SHIFT: 4 SHL, 5 SHR, 7 SAR; JN_MOVX: 1 sign-extends; JN_SETCC,
	 * JN_CMOV: the condition code */
	uint8_t op;
	uint8_t size;  /* operand size: 1, 2, 4 or 8 */
	uint8_t msize; /* the memory access's size (jit_native_mem) */
	uint8_t count; /* JN_SHIFT: the count, masked; JN_MOVX: the source's size */
};

/* The guest flags a form reads from the host's RFLAGS (0: none). */
unsigned jit_native_reads(const struct x86_insn *in, const struct jit_native *nv);
/* The guest flags the host's RFLAGS holds after the form, of those it held
 * before (valid). */
unsigned jit_native_leaves(const struct jit_native *nv, unsigned valid);
/* Does the form write all six arithmetic flags without reading the record
 * (so the record of the ones before it is dead), never faulting? */
bool jit_native_kills(const struct jit_native *nv);
/* May the form run natively only where its flags are dead (its own flags
 * are not the interpreter's)? */
bool jit_native_dead_only(const struct jit_native *nv);
/* Does the form leave the flags record alone (neither reads nor writes it,
 * never faults)? */
bool jit_native_keeps(const struct jit_native *nv);

/* Does the form go through jit_native_mem? */
bool jit_native_is_mem(const struct jit_native *nv);
/* Can in run as host instructions (and how)?  JN_LOAD and JN_STORE (a MOV
 * between a register or an immediate and memory) only on their fast path:
 * see jit_native_mem. */
bool jit_native_pick(const struct x86_insn *in, struct jit_native *nv);
/* The fast path of a form for which jit_native_is_mem: the soft-TLB lookup
 * of mem_fast64 inline (a page crossing, a miss or a NULL pointer for the
 * access go to the jumps it returns in miss[], 3 of them, where the caller
 * runs the instruction's body instead), then the access and the operation.
 * user: the block runs at CPL 3.  A JN_ALUM leaves the guest's flags in
 * the host's RFLAGS; its caller puts them there after the body too
 * (jit_native_flags_in). */
void jit_native_mem(struct jit_asm *a, const struct x86_insn *in, const struct jit_native *nv,
		    uint64_t next_rip, bool user, uint32_t miss[3]);
/* Emit it; record: write the lazy flags record (else a later native
 * operation overwrites it before anything can read it).  A JN_ALU leaves
 * the guest's arithmetic flags in the host's RFLAGS, a JN_INCDEC all but
 * CF (its record on top of the one below, which keeps CF, is always
 * written). */
/* The host's RFLAGS = the guest's arithmetic flags (after a body), through
 * fn(cpu) which returns them. */
void jit_native_flags_in(struct jit_asm *a, const void *fn);
void jit_native_emit(struct jit_asm *a, const struct x86_insn *in, const struct jit_native *nv,
		     uint64_t next_rip, bool record);

#endif
