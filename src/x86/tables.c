/*
 * x86/tables.c - the opcode maps as data: one row per opcode, keyed by the
 * opcode byte, with the Intel manual's operand codes and the body that runs it.
 * Not the decoder (decode.c walks these rows) and not the bodies (alu.c ...).
 * Follows Intel SDM vol. 2, appendix A (opcode maps, tables ).
 */
#include "x86/cpu.h"

/* One operand: addressing method and size, as the manual writes "Ev", "Ib". */
#define O(m, s)                                                                                    \
	{                                                                                          \
		OM_##m, OS_##s                                                                     \
	}
#define ROW(body, mn, fl, ...)                                                                     \
	{                                                                                          \
		.fn = ex_##body, .name = mn, .o = {__VA_ARGS__}, .flags = (fl)                     \
	}
#define GRP(mn, fl, g)                                                                             \
	{                                                                                          \
		.fn = NULL, .name = mn, .flags = F_GROUP | (fl), .group = (g)                      \
	}
/* Recognised so that lengths are right, but not implemented: raises #UD. */
#define SSE(fl)                                                                                    \
	{                                                                                          \
		.fn = ex_ud, .name = "(sse)", .flags = F_MODRM | F_SSE | (fl)                      \
	}

/* The eight ALU operations of 00-3F share six forms (SDM table A-2, rows 0-3);
 * lk: LOCK allowed on the memory-destination forms (all but CMP). */
#define ALU6(base, mn, lk)                                                                         \
	[base + 0] = ROW(alu, mn, lk, O(E, b), O(G, b)),                                           \
		[base + 1] = ROW(alu, mn, lk, O(E, v), O(G, v)),                                   \
		[base + 2] = ROW(alu, mn, 0, O(G, b), O(E, b)),                                    \
		[base + 3] = ROW(alu, mn, 0, O(G, v), O(E, v)),                                    \
		[base + 4] = ROW(alu_ai, mn, 0, O(AX, b), O(I, b)),                                \
		[base + 5] = ROW(alu_ai, mn, 0, O(AX, v), O(I, z))

/* Group 1 (80-83): ModRM.reg selects the ALU operation. */
#define GRP1(name, a, b)                                                                           \
	static const struct x86_opcode name[8] = {                                                 \
	    [0] = ROW(alu, "add", F_LOCK, a, b), [1] = ROW(alu, "or", F_LOCK, a, b),               \
	    [2] = ROW(alu, "adc", F_LOCK, a, b), [3] = ROW(alu, "sbb", F_LOCK, a, b),              \
	    [4] = ROW(alu, "and", F_LOCK, a, b), [5] = ROW(alu, "sub", F_LOCK, a, b),              \
	    [6] = ROW(alu, "xor", F_LOCK, a, b), [7] = ROW(alu, "cmp", 0, a, b),                   \
	}
GRP1(grp1_80, O(E, b), O(I, b));
GRP1(grp1_81, O(E, v), O(I, z));
GRP1(grp1_83, O(E, v), O(I, bs));

/* Group 2 (C0, C1, D0-D3): shifts and rotates; /6 is the SAL alias. */
#define GRP2(name, a, b)                                                                           \
	static const struct x86_opcode name[8] = {                                                 \
	    [0] = ROW(shift, "rol", F_RMW, a, b), [1] = ROW(shift, "ror", F_RMW, a, b),            \
	    [2] = ROW(shift, "rcl", F_RMW, a, b), [3] = ROW(shift, "rcr", F_RMW, a, b),            \
	    [4] = ROW(shift, "shl", F_RMW, a, b), [5] = ROW(shift, "shr", F_RMW, a, b),            \
	    [6] = ROW(shift, "sal", F_RMW, a, b), [7] = ROW(shift, "sar", F_RMW, a, b),            \
	}
GRP2(grp2_c0, O(E, b), O(I, b));
GRP2(grp2_c1, O(E, v), O(I, b));
GRP2(grp2_d0, O(E, b), O(1, NONE));
GRP2(grp2_d1, O(E, v), O(1, NONE));
GRP2(grp2_d2, O(E, b), O(CL, NONE));
GRP2(grp2_d3, O(E, v), O(CL, NONE));

/* Group 3 (F6, F7); /1 is the undocumented TEST alias real CPUs decode. */
#define GRP3(name, s, imm)                                                                         \
	static const struct x86_opcode name[8] = {                                                 \
	    [0] = ROW(test, "test", 0, O(E, s), O(I, imm)),                                        \
	    [1] = ROW(test, "test", 0, O(E, s), O(I, imm)),                                        \
	    [2] = ROW(not, "not", F_LOCK, O(E, s)),                                                \
	    [3] = ROW(neg, "neg", F_LOCK, O(E, s)),                                                \
	    [4] = ROW(mul1, "mul", 0, O(E, s)),                                                    \
	    [5] = ROW(imul1, "imul", 0, O(E, s)),                                                  \
	    [6] = ROW(div, "div", 0, O(E, s)),                                                     \
	    [7] = ROW(idiv, "idiv", 0, O(E, s)),                                                   \
	}
GRP3(grp3_f6, b, b);
GRP3(grp3_f7, v, z);

/* Group 4 (FE) and 5 (FF). */
static const struct x86_opcode grp4_fe[8] = {
    [0] = ROW(incdec, "inc", F_LOCK, O(E, b)),
    [1] = ROW(incdec, "dec", F_LOCK, O(E, b)),
};
static const struct x86_opcode grp5_ff[8] = {
    [0] = ROW(incdec, "inc", F_LOCK, O(E, v)),	    [1] = ROW(incdec, "dec", F_LOCK, O(E, v)),
    [2] = ROW(call_ev, "call", F_FORCE64, O(E, v)), [3] = ROW(call_far_m, "call far", 0, O(M, p)),
    [4] = ROW(jmp_ev, "jmp", F_FORCE64, O(E, v)),   [5] = ROW(jmp_far_m, "jmp far", 0, O(M, p)),
    [6] = ROW(push, "push", F_DEF64, O(E, v)),
};

/* Group 1A (8F) and group 11 (C6, C7): only /0 is defined here. */
static const struct x86_opcode grp1a_8f[8] = {
    [0] = ROW(pop_ev, "pop", F_DEF64, O(E, v)),
};
static const struct x86_opcode grp11_c6[8] = {
    [0] = ROW(mov, "mov", 0, O(E, b), O(I, b)),
};
static const struct x86_opcode grp11_c7[8] = {
    [0] = ROW(mov, "mov", 0, O(E, v), O(I, z)),
};

const struct x86_opcode x86_map1[256] = {
    ALU6(0x00, "add", F_LOCK),
    ALU6(0x08, "or", F_LOCK),
    ALU6(0x10, "adc", F_LOCK),
    ALU6(0x18, "sbb", F_LOCK),
    ALU6(0x20, "and", F_LOCK),
    ALU6(0x28, "sub", F_LOCK),
    ALU6(0x30, "xor", F_LOCK),
    ALU6(0x38, "cmp", 0),
    [0x06] = ROW(push_sreg, "push es", F_NO64),
    [0x07] = ROW(pop_sreg, "pop es", F_NO64),
    [0x0E] = ROW(push_sreg, "push cs", F_NO64),
    [0x16] = ROW(push_sreg, "push ss", F_NO64),
    [0x17] = ROW(pop_sreg, "pop ss", F_NO64),
    [0x1E] = ROW(push_sreg, "push ds", F_NO64),
    [0x1F] = ROW(pop_sreg, "pop ds", F_NO64),
    [0x27] = ROW(daa, "daa", F_NO64),
    [0x2F] = ROW(das, "das", F_NO64),
    [0x37] = ROW(aaa, "aaa", F_NO64),
    [0x3F] = ROW(aas, "aas", F_NO64),
    [0x40 ... 0x47] = ROW(incdec, "inc", F_NO64, O(Z, v)),
    [0x48 ... 0x4F] = ROW(incdec, "dec", F_NO64, O(Z, v)),
    [0x50 ... 0x57] = ROW(push, "push", F_DEF64, O(Z, v)),
    [0x58 ... 0x5F] = ROW(pop, "pop", F_DEF64, O(Z, v)),
    [0x60] = ROW(pusha, "pusha", F_NO64),
    [0x61] = ROW(popa, "popa", F_NO64),
    [0x62] = ROW(bound, "bound", F_NO64, O(G, v), O(M, v)),
    [0x63] = ROW(arpl, "arpl", F_NO64, O(E, w), O(G, w)),
    [0x68] = ROW(push, "push", F_DEF64, O(I, z)),
    [0x69] = ROW(imul3, "imul", 0, O(G, v), O(E, v), O(I, z)),
    [0x6A] = ROW(push, "push", F_DEF64, O(I, bs)),
    [0x6B] = ROW(imul3, "imul", 0, O(G, v), O(E, v), O(I, bs)),
    [0x6C] = ROW(ins, "insb", F_REPOK | F_BYTEOP),
    [0x6D] = ROW(ins, "ins", F_REPOK),
    [0x6E] = ROW(outs, "outsb", F_REPOK | F_BYTEOP),
    [0x6F] = ROW(outs, "outs", F_REPOK),
    [0x70 ... 0x7F] = ROW(jcc, "jcc", F_FORCE64, O(J, b)),
    [0x80] = GRP("grp1", 0, grp1_80),
    [0x81] = GRP("grp1", 0, grp1_81),
    [0x82] = GRP("grp1", F_NO64, grp1_80),
    [0x83] = GRP("grp1", 0, grp1_83),
    [0x84] = ROW(test, "test", 0, O(E, b), O(G, b)),
    [0x85] = ROW(test, "test", 0, O(E, v), O(G, v)),
    [0x86] = ROW(xchg, "xchg", F_LOCK, O(E, b), O(G, b)),
    [0x87] = ROW(xchg, "xchg", F_LOCK, O(E, v), O(G, v)),
    [0x88] = ROW(mov, "mov", 0, O(E, b), O(G, b)),
    [0x89] = ROW(mov, "mov", 0, O(E, v), O(G, v)),
    [0x8A] = ROW(mov, "mov", 0, O(G, b), O(E, b)),
    [0x8B] = ROW(mov, "mov", 0, O(G, v), O(E, v)),
    [0x8C] = ROW(mov_sreg_st, "mov", 0, O(E, v), O(S, w)),
    [0x8D] = ROW(lea, "lea", 0, O(G, v), O(M, NONE)),
    [0x8E] = ROW(mov_sreg_ld, "mov", 0, O(S, w), O(E, w)),
    [0x8F] = GRP("grp1a", F_DEF64, grp1a_8f),
    [0x90 ... 0x97] = ROW(xchg_ax, "xchg", 0, O(Z, v), O(AX, v)),
    [0x98] = ROW(cbw, "cbw", 0),
    [0x99] = ROW(cwd, "cwd", 0),
    [0x9A] = ROW(call_far, "call far", F_NO64, O(A, p)),
    [0x9B] = ROW(fwait, "fwait", 0),
    [0x9C] = ROW(pushf, "pushf", F_DEF64),
    [0x9D] = ROW(popf, "popf", F_DEF64),
    [0x9E] = ROW(sahf, "sahf", 0),
    [0x9F] = ROW(lahf, "lahf", 0),
    [0xA0] = ROW(mov, "mov", 0, O(AX, b), O(O, b)),
    [0xA1] = ROW(mov, "mov", 0, O(AX, v), O(O, v)),
    [0xA2] = ROW(mov, "mov", 0, O(O, b), O(AX, b)),
    [0xA3] = ROW(mov, "mov", 0, O(O, v), O(AX, v)),
    [0xA4] = ROW(movs, "movsb", F_REPOK | F_BYTEOP),
    [0xA5] = ROW(movs, "movs", F_REPOK),
    [0xA6] = ROW(cmps, "cmpsb", F_REPOK | F_BYTEOP),
    [0xA7] = ROW(cmps, "cmps", F_REPOK),
    [0xA8] = ROW(test, "test", 0, O(AX, b), O(I, b)),
    [0xA9] = ROW(test, "test", 0, O(AX, v), O(I, z)),
    [0xAA] = ROW(stos, "stosb", F_REPOK | F_BYTEOP),
    [0xAB] = ROW(stos, "stos", F_REPOK),
    [0xAC] = ROW(lods, "lodsb", F_REPOK | F_BYTEOP),
    [0xAD] = ROW(lods, "lods", F_REPOK),
    [0xAE] = ROW(scas, "scasb", F_REPOK | F_BYTEOP),
    [0xAF] = ROW(scas, "scas", F_REPOK),
    [0xB0 ... 0xB7] = ROW(mov, "mov", 0, O(Z, b), O(I, b)),
    [0xB8 ... 0xBF] = ROW(mov, "mov", 0, O(Z, v), O(I, v)),
    [0xC0] = GRP("grp2", 0, grp2_c0),
    [0xC1] = GRP("grp2", 0, grp2_c1),
    [0xC2] = ROW(ret, "ret", F_FORCE64, O(I, w)),
    [0xC3] = ROW(ret, "ret", F_FORCE64),
    [0xC4] = ROW(lxs, "les", F_NO64, O(G, z), O(M, p)),
    [0xC5] = ROW(lxs, "lds", F_NO64, O(G, z), O(M, p)),
    [0xC6] = GRP("grp11", 0, grp11_c6),
    [0xC7] = GRP("grp11", 0, grp11_c7),
    [0xC8] = ROW(enter, "enter", F_DEF64 | F_IMM8, O(I, w)),
    [0xC9] = ROW(leave, "leave", F_DEF64),
    [0xCA] = ROW(ret_far, "retf", 0, O(I, w)),
    [0xCB] = ROW(ret_far, "retf", 0),
    [0xCC] = ROW(int3, "int3", 0),
    [0xCD] = ROW(int, "int", 0, O(I, b)),
    [0xCE] = ROW(into, "into", F_NO64),
    [0xCF] = ROW(iret, "iret", 0),
    [0xD0] = GRP("grp2", 0, grp2_d0),
    [0xD1] = GRP("grp2", 0, grp2_d1),
    [0xD2] = GRP("grp2", 0, grp2_d2),
    [0xD3] = GRP("grp2", 0, grp2_d3),
    [0xD4] = ROW(aam, "aam", F_NO64, O(I, b)),
    [0xD5] = ROW(aad, "aad", F_NO64, O(I, b)),
    [0xD6] = ROW(salc, "salc", F_NO64),
    [0xD7] = ROW(xlat, "xlat", 0),
    [0xD8] = GRP("x87", F_GRPMRM, x86_x87[0]),
    [0xD9] = GRP("x87", F_GRPMRM, x86_x87[1]),
    [0xDA] = GRP("x87", F_GRPMRM, x86_x87[2]),
    [0xDB] = GRP("x87", F_GRPMRM, x86_x87[3]),
    [0xDC] = GRP("x87", F_GRPMRM, x86_x87[4]),
    [0xDD] = GRP("x87", F_GRPMRM, x86_x87[5]),
    [0xDE] = GRP("x87", F_GRPMRM, x86_x87[6]),
    [0xDF] = GRP("x87", F_GRPMRM, x86_x87[7]),
    [0xE0] = ROW(loop, "loopne", F_FORCE64, O(J, b)),
    [0xE1] = ROW(loop, "loope", F_FORCE64, O(J, b)),
    [0xE2] = ROW(loop, "loop", F_FORCE64, O(J, b)),
    [0xE3] = ROW(jcxz, "jcxz", F_FORCE64, O(J, b)),
    [0xE4] = ROW(in, "in", 0, O(AX, b), O(I, b)),
    [0xE5] = ROW(in, "in", 0, O(AX, z), O(I, b)),
    [0xE6] = ROW(out, "out", 0, O(I, b), O(AX, b)),
    [0xE7] = ROW(out, "out", 0, O(I, b), O(AX, z)),
    [0xE8] = ROW(call, "call", F_FORCE64, O(J, z)),
    [0xE9] = ROW(jmp, "jmp", F_FORCE64, O(J, z)),
    [0xEA] = ROW(jmp_far, "jmp far", F_NO64, O(A, p)),
    [0xEB] = ROW(jmp, "jmp", F_FORCE64, O(J, b)),
    [0xEC] = ROW(in, "in", 0, O(AX, b), O(DX, NONE)),
    [0xED] = ROW(in, "in", 0, O(AX, z), O(DX, NONE)),
    [0xEE] = ROW(out, "out", 0, O(DX, NONE), O(AX, b)),
    [0xEF] = ROW(out, "out", 0, O(DX, NONE), O(AX, z)),
    [0xF1] = ROW(int1, "int1", 0),
    [0xF4] = ROW(hlt, "hlt", F_PRIV),
    [0xF5] = ROW(cmc, "cmc", 0),
    [0xF6] = GRP("grp3", 0, grp3_f6),
    [0xF7] = GRP("grp3", 0, grp3_f7),
    [0xF8] = ROW(clc, "clc", 0),
    [0xF9] = ROW(stc, "stc", 0),
    [0xFA] = ROW(cli, "cli", 0),
    [0xFB] = ROW(sti, "sti", 0),
    [0xFC] = ROW(cld, "cld", 0),
    [0xFD] = ROW(std, "std", 0),
    [0xFE] = GRP("grp4", 0, grp4_fe),
    [0xFF] = GRP("grp5", 0, grp5_ff),
};

/* 63 in 64-bit mode is MOVSXD Gv, Ed (SDM table A-2, footnote). */
const struct x86_opcode x86_op_movsxd = ROW(movsxd, "movsxd", 0, O(G, v), O(E, d));

/* Group 6 (0F 00). */
static const struct x86_opcode grp6[8] = {
    [0] = ROW(sldt, "sldt", 0, O(E, v)),      [1] = ROW(str, "str", 0, O(E, v)),
    [2] = ROW(lldt, "lldt", F_PRIV, O(E, w)), [3] = ROW(ltr, "ltr", F_PRIV, O(E, w)),
    [4] = ROW(verr, "verr", 0, O(E, w)),      [5] = ROW(verw, "verw", 0, O(E, w)),
};

/* Group 7 (0F 01): memory forms by reg; register forms by the whole ModRM,
 * from [8] on (8 + ModRM - C0). */
#define MRM(m) (8 + (m) - 0xC0)
static const struct x86_opcode grp7[8 + 64] = {
    [0] = ROW(sgdt, "sgdt", 0, O(M, s)),
    [1] = ROW(sidt, "sidt", 0, O(M, s)),
    [2] = ROW(lgdt, "lgdt", F_PRIV, O(M, s)),
    [3] = ROW(lidt, "lidt", F_PRIV, O(M, s)),
    [4] = ROW(smsw, "smsw", 0, O(E, w)),
    [6] = ROW(lmsw, "lmsw", F_PRIV, O(E, w)),
    [7] = ROW(invlpg, "invlpg", F_PRIV, O(M, b)),
    [MRM(0xD0)] = ROW(xgetbv, "xgetbv", F_NOPFX),
    [MRM(0xD1)] = ROW(xsetbv, "xsetbv", F_NOPFX),
    [MRM(0xE0)... MRM(0xE7)] = ROW(smsw, "smsw", 0, O(E, v)),
    [MRM(0xF0)... MRM(0xF7)] = ROW(lmsw, "lmsw", F_PRIV, O(E, w)),
    [MRM(0xF8)] = ROW(swapgs, "swapgs", F_ONLY64 | F_PRIV),
    [MRM(0xF9)] = ROW(rdtscp, "rdtscp", 0),
};

/* Group 8 (0F BA): bit tests with an immediate bit offset. */
static const struct x86_opcode grp8[8] = {
    [4] = ROW(bt, "bt", 0, O(E, v), O(I, b)),
    [5] = ROW(bt, "bts", F_LOCK, O(E, v), O(I, b)),
    [6] = ROW(bt, "btr", F_LOCK, O(E, v), O(I, b)),
    [7] = ROW(bt, "btc", F_LOCK, O(E, v), O(I, b)),
};

/* Group 9 (0F C7): CMPXCHG8B/16B; RDRAND, RDSEED, RDPID are not implemented. */
static const struct x86_opcode grp9[16] = {
    [1] = ROW(cmpxchg8b, "cmpxchg8b", F_LOCK, O(M, q)),
    [4] = ROW(xsavec, "xsavec", F_NOPFX, O(M, NONE)),
    [8 + 6] = ROW(ud, "rdrand", 0, O(R, v)),
    [8 + 7] = ROW(ud, "rdseed", 0, O(R, v)),
};

/* Group 15 (0F AE): state save/restore, MXCSR, fences and cache control. */
static const struct x86_opcode grp15[16] = {
    [0] = ROW(fxsave, "fxsave", F_NOPFX, O(M, NONE)),
    [1] = ROW(fxrstor, "fxrstor", F_NOPFX, O(M, NONE)),
    [2 ... 3] = SSE(0),
    [4] = ROW(xsave, "xsave", F_NOPFX, O(M, NONE)),
    [5] = ROW(xrstor, "xrstor", F_NOPFX, O(M, NONE)),
    [6] = ROW(xsaveopt, "xsaveopt", F_NOPFX, O(M, NONE)),
    [7] = ROW(clflush, "clflush", 0, O(M, b)),
    [8 + 5] = ROW(nop, "lfence", 0),
    [8 + 6] = ROW(mfence, "mfence", 0),
    [8 + 7] = ROW(nop, "sfence", 0),
};

/* Group 16 (0F 18) prefetch hints and the reserved NOPs 0F 19-1F. */
static const struct x86_opcode grp16[8] = {
    [0 ... 7] = ROW(nop, "nop", 0, O(E, v)),
};

const struct x86_opcode x86_map0f[256] = {
    [0x00] = GRP("grp6", 0, grp6),
    [0x01] = GRP("grp7", F_GRPMRM, grp7),
    [0x02] = ROW(lar, "lar", 0, O(G, v), O(E, w)),
    [0x03] = ROW(lsl, "lsl", 0, O(G, v), O(E, w)),
    [0x05] = ROW(syscall, "syscall", 0),
    [0x06] = ROW(clts, "clts", F_PRIV),
    [0x07] = ROW(sysret, "sysret", F_PRIV),
    [0x08] = ROW(wbinvd, "invd", F_PRIV),
    [0x09] = ROW(wbinvd, "wbinvd", F_PRIV),
    [0x0B] = ROW(ud, "ud2", 0),
    [0x0D] = ROW(nop, "prefetch", 0, O(E, v)),
    [0x0E] = {.fn = ex_ud, .name = "femms", .flags = F_SSE},
    [0x0F] = {.fn = ex_ud, .name = "(3dnow)", .flags = F_MODRM | F_SSE | F_IMM8},
    [0x10 ... 0x17] = SSE(0),
    [0x18] = GRP("grp16", 0, grp16),
    [0x19 ... 0x1F] = ROW(nop, "nop", 0, O(E, v)),
    [0x20] = ROW(mov_cr_st, "mov", F_FORCE64 | F_PRIV, O(R, y), O(C, y)),
    [0x21] = ROW(mov_dr_st, "mov", F_FORCE64 | F_PRIV, O(R, y), O(D, y)),
    [0x22] = ROW(mov_cr_ld, "mov", F_FORCE64 | F_PRIV, O(C, y), O(R, y)),
    [0x23] = ROW(mov_dr_ld, "mov", F_FORCE64 | F_PRIV, O(D, y), O(R, y)),
    [0x28 ... 0x2F] = SSE(0),
    [0x30] = ROW(wrmsr, "wrmsr", F_PRIV),
    [0x31] = ROW(rdtsc, "rdtsc", 0),
    [0x32] = ROW(rdmsr, "rdmsr", F_PRIV),
    [0x33] = ROW(rdpmc, "rdpmc", 0),
    [0x34] = ROW(sysenter, "sysenter", 0),
    [0x35] = ROW(sysexit, "sysexit", F_PRIV),
    [0x40 ... 0x4F] = ROW(cmov, "cmovcc", 0, O(G, v), O(E, v)),
    [0x50 ... 0x6F] = SSE(0),
    [0x70 ... 0x73] = SSE(F_IMM8),
    [0x74 ... 0x76] = SSE(0),
    [0x77] = {.fn = ex_ud, .name = "emms", .flags = F_SSE},
    [0x78 ... 0x79] = SSE(0),
    [0x7C ... 0x7F] = SSE(0),
    [0x80 ... 0x8F] = ROW(jcc, "jcc", F_FORCE64, O(J, z)),
    [0x90 ... 0x9F] = ROW(setcc, "setcc", 0, O(E, b)),
    [0xA0] = ROW(push_sreg, "push fs", F_DEF64),
    [0xA1] = ROW(pop_sreg, "pop fs", F_DEF64),
    [0xA2] = ROW(cpuid, "cpuid", 0),
    [0xA3] = ROW(bt, "bt", 0, O(E, v), O(G, v)),
    [0xA4] = ROW(shld, "shld", F_RMW, O(E, v), O(G, v), O(I, b)),
    [0xA5] = ROW(shld, "shld", F_RMW, O(E, v), O(G, v), O(CL, NONE)),
    [0xA8] = ROW(push_sreg, "push gs", F_DEF64),
    [0xA9] = ROW(pop_sreg, "pop gs", F_DEF64),
    [0xAB] = ROW(bt, "bts", F_LOCK, O(E, v), O(G, v)),
    [0xAC] = ROW(shrd, "shrd", F_RMW, O(E, v), O(G, v), O(I, b)),
    [0xAD] = ROW(shrd, "shrd", F_RMW, O(E, v), O(G, v), O(CL, NONE)),
    [0xAE] = GRP("grp15", F_GROUPR, grp15),
    [0xAF] = ROW(imul2, "imul", 0, O(G, v), O(E, v)),
    [0xB0] = ROW(cmpxchg, "cmpxchg", F_LOCK, O(E, b), O(G, b)),
    [0xB1] = ROW(cmpxchg, "cmpxchg", F_LOCK, O(E, v), O(G, v)),
    [0xB2] = ROW(lxs, "lss", 0, O(G, v), O(M, p)),
    [0xB3] = ROW(bt, "btr", F_LOCK, O(E, v), O(G, v)),
    [0xB4] = ROW(lxs, "lfs", 0, O(G, v), O(M, p)),
    [0xB5] = ROW(lxs, "lgs", 0, O(G, v), O(M, p)),
    [0xB6] = ROW(movzx, "movzx", 0, O(G, v), O(E, b)),
    [0xB7] = ROW(movzx, "movzx", 0, O(G, v), O(E, w)),
    [0xB8] = ROW(popcnt, "popcnt", F_F3REQ, O(G, v), O(E, v)),
    [0xB9] = ROW(ud, "ud1", 0, O(G, v), O(E, v)),
    [0xBA] = GRP("grp8", 0, grp8),
    [0xBB] = ROW(bt, "btc", F_LOCK, O(E, v), O(G, v)),
    [0xBC] = ROW(bsf, "bsf", 0, O(G, v), O(E, v)),
    [0xBD] = ROW(bsr, "bsr", 0, O(G, v), O(E, v)),
    [0xBE] = ROW(movsx, "movsx", 0, O(G, v), O(E, b)),
    [0xBF] = ROW(movsx, "movsx", 0, O(G, v), O(E, w)),
    [0xC0] = ROW(xadd, "xadd", F_LOCK, O(E, b), O(G, b)),
    [0xC1] = ROW(xadd, "xadd", F_LOCK, O(E, v), O(G, v)),
    [0xC2] = SSE(F_IMM8),
    [0xC3] = SSE(0),
    [0xC4 ... 0xC6] = SSE(F_IMM8),
    [0xC7] = GRP("grp9", F_GROUPR, grp9),
    [0xC8 ... 0xCF] = ROW(bswap, "bswap", 0, O(Z, y)),
    [0xD0 ... 0xFE] = SSE(0),
    [0xFF] = ROW(ud, "ud0", 0, O(G, v), O(E, v)),
};

/* The three-byte maps hold only SSE-family instructions here: every row has
 * a ModRM byte, and 0F 3A rows an imm8 (SDM tables ). */
const struct x86_opcode x86_map_sse38 = SSE(0);
const struct x86_opcode x86_map_sse3a = SSE(F_IMM8);
const struct x86_opcode x86_op_vex = {.fn = ex_ud, .name = "(vex)", .flags = F_SSE};
