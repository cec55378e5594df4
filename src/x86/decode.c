/*
 * x86/decode.c - the pure decoder: bytes + code-segment size -> struct x86_insn
 * (prefixes, REX, VEX/EVEX, opcode map row, ModRM/SIB/displacement, immediates,
 * operand and address sizes, length).  It reads no CPU state and executes nothing.
 * Follows Intel SDM vol. 2 ch. 2 (instruction format) and 3.1.1.3 (operand size).
 */
#include <string.h>

#include "x86/cpu.h"
#include "x86/simd.h"

/* Does an operand of this method take its value from ModRM? */
static bool decode_uses_modrm(const struct x86_opcode *op)
{
	if (op->flags & (F_MODRM | F_GROUP))
		return true;
	for (int i = 0; i < 3; i++) {
		switch (op->o[i].m) {
		case OM_E:
		case OM_M:
		case OM_R:
		case OM_G:
		case OM_S:
		case OM_C:
		case OM_D:
			return true;
		default:
			break;
		}
	}
	return false;
}

static unsigned decode_size(const struct x86_insn *in, unsigned s)
{
	switch (s) {
	case OS_b:
		return 1;
	case OS_w:
		return 2;
	case OS_d:
		return 4;
	case OS_q:
		return 8;
	case OS_v:
	case OS_bs:
		return in->opsize;
	case OS_z:
		return in->opsize == 8 ? 4 : in->opsize;
	case OS_y:
		return in->opsize == 8 ? 8 : 4;
	case OS_p:
		return in->opsize + 2;
	case OS_s:
		return in->bits == 64 ? 10 : 6;
	case OS_x:
	case OS_xu:
		return 16;
	default:
		return 0;
	}
}

/* Parse ModRM, SIB and displacement at b[*i]; returns 0 or X86_DECODE_SHORT. */
static int decode_modrm(const uint8_t *b, size_t avail, size_t *i, struct x86_insn *in,
			bool force_reg)
{
	if (*i >= avail)
		return X86_DECODE_SHORT;
	uint8_t m = b[(*i)++];
	if (force_reg) /* MOV CR/DR: mod is ignored, always registers (SDM MOV CRn) */
		m |= 0xC0;
	uint8_t rexr = (in->rex & 4) ? 8 : 0, rexx = (in->rex & 2) ? 8 : 0,
		rexb = (in->rex & 1) ? 8 : 0;
	in->has_modrm = 1;
	in->modrm = m;
	in->mod = m >> 6;
	in->reg = ((m >> 3) & 7) | rexr;
	in->rm = (m & 7) | (in->mod == 3 ? rexb : 0);
	in->base = in->index = -1;
	in->scale = 0;
	in->disp = 0;
	if (in->mod == 3)
		return 0;
	unsigned dsz = 0;
	if (in->adsize == 2) {
		/* SDM table 2-1: BX+SI, BX+DI, BP+SI, BP+DI, SI, DI, BP/disp16, BX. */
		static const int8_t base16[8] = {X86_RBX, X86_RBX, X86_RBP, X86_RBP,
						 -1,	  -1,	   X86_RBP, X86_RBX};
		static const int8_t index16[8] = {X86_RSI, X86_RDI, X86_RSI, X86_RDI,
						  X86_RSI, X86_RDI, -1,	     -1};
		unsigned rm = m & 7;
		in->base = base16[rm];
		in->index = index16[rm];
		if (in->mod == 0 && rm == 6) {
			in->base = -1;
			dsz = 2;
		} else {
			dsz = in->mod == 1 ? 1 : in->mod == 2 ? 2 : 0;
		}
		if (in->base == X86_RBP && !in->segovr)
			in->seg = X86_SS;
	} else {
		unsigned rm = m & 7;
		if (rm == 4) {
			if (*i >= avail)
				return X86_DECODE_SHORT;
			uint8_t sib = b[(*i)++];
			in->scale = sib >> 6;
			int idx = ((sib >> 3) & 7) | rexx;
			in->index = idx == 4 ? -1 : idx; /* no index (REX.X=1 makes it R12) */
			int base = (sib & 7) | rexb;
			if ((sib & 7) == 5 && in->mod == 0) {
				in->base = -1;
				dsz = 4;
			} else {
				in->base = base;
			}
		} else if (rm == 5 && in->mod == 0) {
			dsz = 4;
			in->base = -1;
			in->riprel = in->bits == 64;
		} else {
			in->base = rm | rexb;
		}
		if (in->mod == 1)
			dsz = 1;
		else if (in->mod == 2)
			dsz = 4;
		if ((in->base == X86_RSP || in->base == X86_RBP) && !in->segovr)
			in->seg = X86_SS;
	}
	if (*i + dsz > avail)
		return X86_DECODE_SHORT;
	uint64_t d = 0;
	for (unsigned k = 0; k < dsz; k++)
		d |= (uint64_t)b[*i + k] << (8 * k);
	*i += dsz;
	in->disp = dsz ? (int32_t)x86_sext(d, dsz) : 0;
	return 0;
}

static int decode_imm(const uint8_t *b, size_t avail, size_t *i, unsigned n, uint64_t *out)
{
	if (*i + n > avail)
		return X86_DECODE_SHORT;
	uint64_t v = 0;
	for (unsigned k = 0; k < n; k++)
		v |= (uint64_t)b[*i + k] << (8 * k);
	*i += n;
	*out = v;
	return 0;
}

/*
 * VEX (C4, C5) and EVEX (62): recognised so lengths are right; executing them
 * raises #UD because AVX is not advertised.  SDM vol. 2, 2.3 and 2.7.
 */
static int decode_vex(const uint8_t *b, size_t avail, size_t i, struct x86_insn *in)
{
	uint8_t lead = b[i++];
	unsigned payload = lead == 0xC5 ? 1 : lead == 0xC4 ? 2 : 3;
	if (i + payload > avail)
		return X86_DECODE_SHORT;
	unsigned map = lead == 0xC5 ? 1 : lead == 0xC4 ? (b[i] & 0x1F) : (b[i] & 0x7);
	i += payload;
	if (i >= avail)
		return X86_DECODE_SHORT;
	uint8_t opc = b[i++];
	if (map < 1 || map > 3)
		return X86_DECODE_UD;
	in->vex = 1;
	in->op = &x86_op_vex;
	in->map = map;
	in->opcode = opc;
	if (!(lead == 0xC5 || lead == 0xC4) || map != 1 || opc != 0x77) {
		int rc = decode_modrm(b, avail, &i, in, false);
		if (rc)
			return rc;
		/* EVEX compressed disp8 does not change the length. */
	}
	bool imm8 = map == 3 || (map == 1 && ((opc >= 0x70 && opc <= 0x73) || opc == 0xC2 ||
					      (opc >= 0xC4 && opc <= 0xC6)));
	if (imm8) {
		int rc = decode_imm(b, avail, &i, 1, &in->imm);
		if (rc)
			return rc;
		in->nimm = 1;
	}
	if (i > 15)
		return X86_DECODE_TOO_LONG;
	in->len = i;
	fast_pick(in);
	return (int)i;
}

/* Operand encodings the manual makes #UD: a register where memory is
 * required, control/debug/segment registers that do not exist, MOV to CS,
 * POPCNT without F3, an "NP" row (XGETBV, XSAVE...) with 66, F2 or F3 (the host CPU). */
static bool decode_invalid_operands(const struct x86_opcode *row, const struct x86_insn *in)
{
	if ((row->flags & F_NOPFX) && (in->p66 || in->rep))
		return true;
	if ((row->flags & F_F3REQ) && in->rep != 0xF3)
		return true;
	/* 0F AE with 66, F2 or F3 is FSGSBASE, CLWB, CLFLUSHOPT, PTWRITE or CET:
	 * none is advertised (the fences and the state saves take no prefix). */
	if (in->map == MAP_0F && in->opcode == 0xAE && (in->p66 || in->rep))
		return true;
	for (int k = 0; k < 3; k++) {
		switch (row->o[k].m) {
		case OM_M:
			if (in->mod == 3)
				return true;
			break;
		case OM_U:
		case OM_N:
			if (in->mod != 3)
				return true;
			break;
		case OM_C:
			if (in->reg != 0 && in->reg != 2 && in->reg != 3 && in->reg != 4 &&
			    in->reg != 8)
				return true;
			break;
		case OM_D:
			if (in->reg > 7)
				return true;
			break;
		case OM_S:
			if ((in->reg & 7) > X86_GS || (k == 0 && (in->reg & 7) == X86_CS))
				return true;
			break;
		default:
			break;
		}
	}
	return false;
}

static const struct x86_opcode *decode_group(const struct x86_opcode *row,
					     const struct x86_insn *in)
{
	if (!(row->flags & F_GROUP))
		return row;
	unsigned reg = (in->modrm >> 3) & 7;
	if (in->mod == 3 && (row->flags & F_GRPMRM))
		return &row->group[8 + (in->modrm & 0x3F)];
	if (in->mod == 3 && (row->flags & F_GROUPR))
		return &row->group[8 + reg];
	return &row->group[reg];
}

static int decode_raw(const uint8_t *b, size_t avail, int bits, struct x86_insn *in)
{
	memset(in, 0, sizeof(*in));
	in->bits = bits;
	in->seg = X86_DS;
	in->base = in->index = -1;
	bool p67 = false;
	size_t i = 0;
	uint8_t opc;
	for (;;) {
		if (i >= 15)
			return X86_DECODE_TOO_LONG;
		if (i >= avail)
			return X86_DECODE_SHORT;
		opc = b[i];
		if (bits == 64 && (opc & 0xF0) == 0x40) {
			in->rex = opc;
			i++;
			continue;
		}
		switch (opc) {
		case 0x26:
		case 0x2E:
		case 0x36:
		case 0x3E:
			/* ES CS SS DS: ignored in 64-bit mode, 36 included: a
			 * non-canonical address faults #SS only when the base
			 * register is RSP/RBP (the host CPU run natively; KVM's
			 * emulator, which PVM uses for faulting user code, goes
			 * by the prefix).  They still end a preceding REX. */
			if (bits != 64) {
				in->seg = (opc >> 3) & 3;
				in->segovr = 1;
			}
			break;
		case 0x64:
		case 0x65:
			in->seg = opc == 0x64 ? X86_FS : X86_GS;
			in->segovr = 1;
			break;
		case 0x66:
			in->p66 = 1;
			break;
		case 0x67:
			p67 = true;
			break;
		case 0xF0:
			in->lock = 1;
			break;
		case 0xF2:
		case 0xF3:
			in->rep = opc;
			break;
		default:
			goto opcode;
		}
		/* A REX prefix counts only immediately before the opcode. */
		in->rex = 0;
		i++;
	}
opcode:
	i++;
	if (bits == 64)
		in->adsize = p67 ? 4 : 8;
	else
		in->adsize = ((bits == 16) != p67) ? 2 : 4;

	const struct x86_opcode *row;
	if (opc == 0x0F) {
		if (i >= avail)
			return X86_DECODE_SHORT;
		opc = b[i++];
		if (opc == 0x38 || opc == 0x3A) {
			if (i >= avail)
				return X86_DECODE_SHORT;
			in->map = opc == 0x38 ? MAP_0F38 : MAP_0F3A;
			opc = b[i++];
			row = in->map == MAP_0F38 ? &x86_map_sse38 : &x86_map_sse3a;
		} else {
			in->map = MAP_0F;
			row = &x86_map0f[opc];
		}
	} else {
		in->map = MAP_1B;
		if ((opc == 0xC4 || opc == 0xC5 || opc == 0x62) &&
		    (bits == 64 || (i < avail && (b[i] >> 6) == 3)))
			return decode_vex(b, avail, i - 1, in);
		if (i >= avail && (opc == 0xC4 || opc == 0xC5 || opc == 0x62) && bits != 64)
			return X86_DECODE_SHORT;
		row = (opc == 0x63 && bits == 64) ? &x86_op_movsxd : &x86_map1[opc];
	}
	in->opcode = opc;
	/* An opcode byte past the 15-byte limit: #GP, whatever the opcode (the
	 * host CPU; an undefined opcode complete within 15 bytes is #UD). */
	if (i > 15)
		return X86_DECODE_TOO_LONG;

	const struct x86_opcode *top = row;
	if (decode_uses_modrm(row)) {
		/* Operand size is needed before ModRM only for its SIB-free parts;
		 * ModRM itself depends on address size and REX only. */
		int rc = decode_modrm(b, avail, &i, in, row->o[0].m == OM_R || row->o[1].m == OM_R);
		if (rc)
			return rc;
		if (i > 15)
			return X86_DECODE_TOO_LONG;
		row = decode_group(row, in);
	}
	/* An SSE opcode with a prefix that defines nothing: #UD, but with the
	 * placeholder row's length (past 15 bytes the CPU raises #GP). */
	bool sse_ud = false;
	if (row->flags & F_SSE) {
		const struct x86_opcode *sel = sse_select(row, in);
		if (sel)
			row = sel;
		else
			sse_ud = true;
	}
	/*
	 * An undefined row of a group still has the group's shape: the host
	 * CPU takes the immediate of its defined rows into the length and
	 * raises #GP rather than #UD when that runs past 15 bytes (C6/C7 /1-/7
	 * with 12 or 13 prefixes; zydis-lencheck's CPU tie-break).
	 */
	bool undefined = false;
	if (!row->fn && row != top)
		for (int k = 0; k < 8 && !undefined; k++)
			if (top->group[k].fn) {
				row = &top->group[k];
				undefined = true;
			}
	if (!row->fn)
		return X86_DECODE_UD;
	if (decode_invalid_operands(row, in)) {
		in->op = row; /* a privileged row still faults #GP first at CPL > 0 */
		return X86_DECODE_UD;
	}
	/* Rows invalid in this mode still have a length: the CPU fetches the
	 * whole instruction (a #PF on its last byte wins over #UD). */
	bool invalid_here = ((top->flags | row->flags) & F_NO64 && bits == 64) ||
			    ((row->flags & F_ONLY64) && bits != 64) || undefined || sse_ud;
	in->op = row;

	if (bits == 64) {
		if (row->flags & F_FORCE64)
			in->opsize = 8;
		else if (in->rex & 8)
			in->opsize = 8;
		else if (in->p66)
			in->opsize = 2;
		else
			in->opsize = (row->flags & F_DEF64) ? 8 : 4;
	} else {
		in->opsize = ((bits == 16) != (bool)in->p66) ? 2 : 4;
	}

	unsigned nimmops = 0;
	for (int k = 0; k < 3; k++) {
		const struct x86_opspec *o = &row->o[k];
		in->size[k] = decode_size(in, o->s);
		if (o->m == OM_Z) {
			/* Register in the opcode's low bits; stored as a ModRM r/m register. */
			in->rm = (opc & 7) | ((in->rex & 1) ? 8 : 0);
			in->mod = 3;
		}
		if (o->m == OM_AX || o->m == OM_Z || o->m == OM_G || o->m == OM_E)
			continue;
		unsigned n = 0;
		if (o->m == OM_I)
			n = o->s == OS_bs ? 1 : (o->s == OS_v ? in->opsize : in->size[k]);
		else if (o->m == OM_J)
			n = o->s == OS_b ? 1 : 4 - (in->opsize == 2) * 2;
		else if (o->m == OM_O)
			n = in->adsize;
		else if (o->m == OM_A)
			n = in->opsize == 2 ? 2 : 4;
		if (!n)
			continue;
		uint64_t v;
		int rc = decode_imm(b, avail, &i, n, &v);
		if (rc)
			return rc;
		in->nimm += n;
		if (o->m == OM_O) {
			in->imm = v; /* the offset: up to 64 bits */
			continue;
		}
		if (o->m == OM_A) {
			uint64_t sel;
			in->imm = v;
			rc = decode_imm(b, avail, &i, 2, &sel);
			if (rc)
				return rc;
			in->imm2 = (uint16_t)sel;
			continue;
		}
		if (o->m == OM_I && o->s == OS_bs)
			v = x86_sext(v, 1) & x86_mask(in->opsize);
		else if (o->m == OM_J || (o->m == OM_I && n == 4 && in->opsize == 8))
			v = x86_sext(v, n);
		if (nimmops++)
			in->imm2 = (uint16_t)v;
		else
			in->imm = v;
	}
	if (row->flags & F_IMM8) {
		uint64_t v;
		int rc = decode_imm(b, avail, &i, 1, &v);
		if (rc)
			return rc;
		if (row->fn == ex_enter)
			in->imm2 = (uint16_t)v;
		else
			in->imm = v;
		in->nimm++;
	}
	if (i > 15)
		return X86_DECODE_TOO_LONG;
	if (invalid_here)
		return X86_DECODE_UD;
	in->len = i;
	/* XCHG with a memory operand is locked without the prefix (SDM XCHG). */
	in->atomic = in->lock || (row->fn == ex_xchg && in->has_modrm && in->mod != 3);
	in->checks = in->atomic || (row->flags & F_PRIV);
	decode_operand_kinds(in);
	fast_pick(in);
	return (int)i;
}

/*
 * Do the bytes so far already name an invalid or #UD opcode (UD0, UD1, UD2,
 * an empty row) whatever follows?  The CPU raises #UD for these before it
 * fetches the rest of the instruction from the next page.
 */
bool decode_known_ud(const uint8_t *b, size_t avail, int bits)
{
	size_t i = 0;
	while (i < avail && i < 15) {
		uint8_t c = b[i];
		bool prefix = c == 0x26 || c == 0x2E || c == 0x36 || c == 0x3E || c == 0x64 ||
			      c == 0x65 || c == 0x66 || c == 0x67 || c == 0xF0 || c == 0xF2 ||
			      c == 0xF3 || (bits == 64 && (c & 0xF0) == 0x40);
		if (!prefix)
			break;
		i++;
	}
	if (i + 1 >= avail || b[i] != 0x0F || b[i + 1] == 0x38 || b[i + 1] == 0x3A)
		return false;
	const struct x86_opcode *row = &x86_map0f[b[i + 1]];
	return (row->fn == ex_ud && !(row->flags & F_SSE)) || (!row->fn && !(row->flags & F_GROUP));
}

int decode_insn(const uint8_t *b, size_t avail, int bits, struct x86_insn *in)
{
	int rc = decode_raw(b, avail, bits, in);
	/* Running out of bytes after the 15th means the instruction is too long. */
	if (rc == X86_DECODE_SHORT && avail >= 15)
		return X86_DECODE_TOO_LONG;
	return rc;
}

int x86_insn_length(const uint8_t *bytes, size_t avail, int bits)
{
	struct x86_insn in;
	if (bits != 16 && bits != 32 && bits != 64)
		return X86_DECODE_UD;
	return decode_insn(bytes, avail, bits, &in);
}
