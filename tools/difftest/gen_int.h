/*
 * tools/difftest/gen_int.h - what the generator files of the differential
 * tester share: the form tables, the state of one case being generated, and
 * the helpers (random numbers, edge values, memory seeds).  Not for
 * difftest.c, which sees gen.h only.  Encodings: Intel SDM vol. 2 ch. 2.
 */
#ifndef DIFFTEST_GEN_INT_H
#define DIFFTEST_GEN_INT_H

#include "gen.h"

/* Operand sizes a form exists in. */
enum { S8 = 1, S16 = 2, S32 = 4, S64 = 8, SV = S16 | S32 | S64, SQ = S16 | S64 };

/* Operand patterns. */
enum { O_NONE, O_RM, O_OPREG, O_REL };

/* Immediates: imm8, imm16/32 by operand size, imm16, full operand size
 * (MOV r64, imm64), imm16 + imm8 (ENTER). */
enum { I_NONE, I_8, I_Z, I_16, I_V, I_ENTER };

enum {
	F_LOCK = 1 << 0,  /* LOCK is legal with a memory destination */
	F_MEM = 1 << 1,	  /* ModRM.rm must be memory */
	F_REG = 1 << 2,	  /* ModRM.rm must be a register */
	F_D64 = 1 << 3,	  /* operand size defaults to 64; 66h makes it 16 */
	F_CC = 1 << 4,	  /* low nibble of the last opcode byte: random condition */
	F_COUNT = 1 << 5, /* a shift count: imm8 if present, else CL if F_CL, else 1 */
	F_CL = 1 << 6,
	F_ANYADDR = 1 << 7, /* no memory access (LEA, hint NOPs): any address */
	F_NO32 = 1 << 8,    /* not generated in compatibility mode */
	F_KEEPSP = 1 << 9,  /* RSP is not an address register (see hook_stack) */
	F_NOLOCK = 1 << 10, /* no LOCK: AMD ignores it here, the SDM says #UD */
	F_ALIGN = 1 << 11,  /* a memory operand aligned to its size (msize), mostly */
};

/* Undefined-flag rules (SDM "Flags Affected"). */
enum { U_NONE, U_LOGIC, U_MUL, U_DIV, U_BT, U_BSF, U_GRP2, U_SHXD, U_BSWAP, U_DAA, U_AAA, U_AAM };

#define FL_ARITH                                                                                   \
	(X86_FLAGS_CF | X86_FLAGS_PF | X86_FLAGS_AF | X86_FLAGS_ZF | X86_FLAGS_SF | X86_FLAGS_OF)

struct form {
	const char *name;
	uint8_t op[3];
	uint8_t oplen;
	uint8_t ops;
	int8_t ext; /* ModRM.reg digit, or -1: a register operand */
	uint8_t sizes;
	uint8_t imm;
	uint8_t undef;
	uint16_t flags;
	uint8_t msize;	/* memory operand size when not the operand size */
	uint8_t prefix; /* mandatory prefix, 0 = none */
};

struct gen {
	uint64_t rng;
	struct dt_case *c;
	const struct form *f;
	unsigned opsize;
	bool a32;    /* 32-bit addresses (67h, or always in compatibility mode) */
	bool compat; /* 32-bit compatibility mode: no REX, no RIP-relative */
	uint8_t pfx[16];
	unsigned npfx;
	uint8_t rex;
	bool want_rex;
	uint8_t op[3];
	bool has_modrm, has_sib;
	uint8_t modrm, sib;
	unsigned disp_len;
	uint32_t disp;
	bool riprel;
	uint64_t riprel_ea;
	uint8_t imm[8];
	unsigned imm_len;
	int reg;    /* ModRM.reg or opcode register operand, -1 if none */
	int rm_reg; /* ModRM.rm register, -1 if memory */
	bool has_mem;
	uint64_t mem;	    /* linear address of the ModRM memory operand */
	uint64_t rm_value;  /* what the rm operand holds before the run */
	uint16_t addr_regs; /* registers that the address computation fixed */
	int seg;	    /* segment override prefix in use, 0 if none */
	int rel_len;
	bool rsp_noncanonical; /* the case is about a non-canonical RSP (host-emulated) */
};

/* Random numbers: deterministic per (seed, class, index). */
uint64_t gen_rnd(struct gen *g);
unsigned gen_below(struct gen *g, unsigned n);
bool gen_one_in(struct gen *g, unsigned n);
/* An integer edge value, a neighbour, a sign-extended narrow value, or noise. */
uint64_t gen_value(struct gen *g);
/* A register value the case starts with, unless the address computation fixed it. */
void gen_set_reg(struct gen *g, int r, uint64_t v);
/* Bytes (up to 16) at addr before the run, where addr is in a compared region. */
void gen_seed_mem(struct gen *g, uint64_t addr, const void *bytes, unsigned len);

#endif
