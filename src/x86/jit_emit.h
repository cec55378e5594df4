/*
 * x86/jit_emit.h - the few x86-64 host instructions the translator emits,
 * encoded by hand (SDM vol. 2, ch. 2 and the instruction pages): stores of
 * guest-visible fields of struct x86_cpu addressed from RBX, calls into the
 * emulator's C bodies, compares and 32-bit relative jumps.  Nothing else
 * is ever written into the code cache.  Positions are offsets in the code
 * arena, so jumps between two places of the arena need no absolute address.
 */
#ifndef EMBER_X86_JIT_EMIT_H
#define EMBER_X86_JIT_EMIT_H

#include <stdint.h>
#include <string.h>

struct jit_asm {
	uint8_t *w;	  /* the arena's writable view */
	const uint8_t *x; /* its executable view (same bytes) */
	uint32_t pos;	  /* where the next byte goes */
};

/* Condition codes of Jcc (the low nibble of 0F 8x). */
enum { CC_B = 2, CC_E = 4, CC_NE = 5 };

static inline void a_u8(struct jit_asm *a, uint8_t v)
{
	a->w[a->pos++] = v;
}

static inline void a_u32(struct jit_asm *a, uint32_t v)
{
	memcpy(a->w + a->pos, &v, 4);
	a->pos += 4;
}

static inline void a_u64(struct jit_asm *a, uint64_t v)
{
	memcpy(a->w + a->pos, &v, 8);
	a->pos += 8;
}

static inline bool a_simm32(uint64_t v)
{
	return (uint64_t)(int64_t)(int32_t)v == v;
}

/* ModRM mod=10 rm=RBX (disp32), reg = r. */
static inline void a_rbx_disp(struct jit_asm *a, unsigned r, uint32_t off)
{
	a_u8(a, 0x80 | (r << 3) | 3);
	a_u32(a, off);
}

/* MOV r64, imm64 (r < 8). */
static inline void a_mov_imm64(struct jit_asm *a, unsigned r, uint64_t v)
{
	a_u8(a, 0x48);
	a_u8(a, 0xB8 + r);
	a_u64(a, v);
}

/* MOV RAX, [RBX+off] and MOV [RBX+off], RAX. */
static inline void a_load_rax(struct jit_asm *a, uint32_t off)
{
	a_u8(a, 0x48);
	a_u8(a, 0x8B);
	a_rbx_disp(a, 0, off);
}

static inline void a_store_rax(struct jit_asm *a, uint32_t off)
{
	a_u8(a, 0x48);
	a_u8(a, 0x89);
	a_rbx_disp(a, 0, off);
}

/* QWORD [RBX+off] = v (through RAX when v is not a sign-extended imm32). */
static inline void a_store_imm(struct jit_asm *a, uint32_t off, uint64_t v)
{
	if (a_simm32(v)) {
		a_u8(a, 0x48);
		a_u8(a, 0xC7);
		a_rbx_disp(a, 0, off);
		a_u32(a, (uint32_t)v);
	} else {
		a_mov_imm64(a, 0, v);
		a_store_rax(a, off);
	}
}

/* The arguments of an instruction body: RDI = cpu (RBX), RSI = in. */
static inline void a_args(struct jit_asm *a, const void *in)
{
	a_u8(a, 0x48);
	a_u8(a, 0x89);
	a_u8(a, 0xDF); /* MOV RDI, RBX */
	a_mov_imm64(a, 6, (uint64_t)(uintptr_t)in);
}

/* CALL fn: rel32 when the arena is within reach, else through RAX. */
static inline void a_call(struct jit_asm *a, const void *fn)
{
	int64_t rel = (int64_t)((intptr_t)fn - (intptr_t)(a->x + a->pos + 5));
	if (rel == (int32_t)rel) {
		a_u8(a, 0xE8);
		a_u32(a, (uint32_t)rel);
		return;
	}
	a_mov_imm64(a, 0, (uint64_t)(uintptr_t)fn);
	a_u8(a, 0xFF);
	a_u8(a, 0xD0);
}

static inline void a_test_eax(struct jit_asm *a)
{
	a_u8(a, 0x85);
	a_u8(a, 0xC0);
}

static inline void a_cmp_eax(struct jit_asm *a, uint8_t v)
{
	a_u8(a, 0x83);
	a_u8(a, 0xF8);
	a_u8(a, v);
}

static inline void a_mov_eax(struct jit_asm *a, uint32_t v)
{
	a_u8(a, 0xB8);
	a_u32(a, v);
}

/* CMP BYTE [RBX+off], 0. */
static inline void a_cmp_byte0(struct jit_asm *a, uint32_t off)
{
	a_u8(a, 0x80);
	a_rbx_disp(a, 7, off);
	a_u8(a, 0);
}

/* CMP RAX, v (through RCX when v is not a sign-extended imm32). */
static inline void a_cmp_rax(struct jit_asm *a, uint64_t v)
{
	if (a_simm32(v)) {
		a_u8(a, 0x48);
		a_u8(a, 0x3D);
		a_u32(a, (uint32_t)v);
		return;
	}
	a_mov_imm64(a, 1, v);
	a_u8(a, 0x48);
	a_u8(a, 0x39);
	a_u8(a, 0xC8);
}

/* SUB/ADD R12, imm32: the instruction budget left. */
static inline void a_r12(struct jit_asm *a, bool sub, uint32_t v)
{
	a_u8(a, 0x49);
	a_u8(a, 0x81);
	a_u8(a, sub ? 0xEC : 0xC4);
	a_u32(a, v);
}

/* Jcc/JMP rel32 to a position not known yet: returns where the rel32 is. */
static inline uint32_t a_jcc_fwd(struct jit_asm *a, int cc)
{
	a_u8(a, 0x0F);
	a_u8(a, 0x80 + cc);
	a_u32(a, 0);
	return a->pos - 4;
}

static inline uint32_t a_jmp_fwd(struct jit_asm *a)
{
	a_u8(a, 0xE9);
	a_u32(a, 0);
	return a->pos - 4;
}

/* Point the rel32 at rel to position to. */
static inline void a_patch(uint8_t *w, uint32_t rel, uint32_t to)
{
	uint32_t d = to - (rel + 4);
	memcpy(w + rel, &d, 4);
}

static inline void a_jcc_to(struct jit_asm *a, int cc, uint32_t to)
{
	a_patch(a->w, a_jcc_fwd(a, cc), to);
}

static inline void a_jmp_to(struct jit_asm *a, uint32_t to)
{
	a_patch(a->w, a_jmp_fwd(a), to);
}

#endif
