/*
 * x86/sse_str.c - the SSE4.2 string and text instructions (PCMPESTRI,
 * PCMPESTRM, PCMPISTRI, PCMPISTRM), and the byte-string instructions on
 * general registers that came with them: CRC32 (SSE4.2) and MOVBE.
 * Plain C: every result is defined bit by bit (no MXCSR).
 * Follows Intel SDM vol. 1 12.10 / vol. 2 4.1 (the imm8 control byte, the
 * overrides for invalid elements, aggregation, polarity, output selection).
 */
#include "x86/simd.h"

/* Element i of v: unsigned or signed bytes or words (imm8[1:0]). */
static int str_elem(const union xmm *v, unsigned fmt, unsigned i)
{
	switch (fmt) {
	case 0:
		return v->b[i];
	case 1:
		return v->w[i];
	case 2:
		return v->sb[i];
	default:
		return v->sw[i];
	}
}

/* An explicit length: the absolute value of RAX/RDX (EAX/EDX without
 * REX.W), saturated to the element count. */
static unsigned str_explicit_len(uint64_t r, bool w, unsigned n)
{
	int64_t v = w ? (int64_t)r : (int64_t)(int32_t)r;
	if (v < 0)
		v = v == INT64_MIN ? (int64_t)n : -v;
	return v > (int64_t)n ? n : (unsigned)v;
}

/* An implicit length: the index of the first zero element. */
static unsigned str_implicit_len(const union xmm *v, unsigned fmt, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!str_elem(v, fmt, i))
			return i;
	return n;
}

/* The four forms: explicit (E) or implicit (I) lengths, index (I, to ECX)
 * or mask (M, to XMM0). */
static int str_pcmp(struct x86_cpu *cpu, struct x86_insn *in, bool explicit, bool index)
{
	union xmm a, b;
	int rc = simd_check(cpu, in);
	if (!rc)
		rc = simd_get(cpu, in, 0, &a);
	if (!rc)
		rc = simd_get(cpu, in, 1, &b);
	if (rc)
		return rc;
	unsigned imm = (unsigned)in->imm & 0xFF, fmt = imm & 3, agg = (imm >> 2) & 3;
	unsigned pol = (imm >> 4) & 3, n = (fmt & 1) ? 8 : 16;
	bool w = in->rex & 8;
	unsigned la =
	    explicit ? str_explicit_len(cpu->s.gpr[X86_RAX], w, n) : str_implicit_len(&a, fmt, n);
	unsigned lb =
	    explicit ? str_explicit_len(cpu->s.gpr[X86_RDX], w, n) : str_implicit_len(&b, fmt, n);

	/* res1: bit j (or i) after aggregation, invalid elements overridden
	 * as the SDM's table 4-7 says. */
	uint32_t res1 = 0;
	for (unsigned j = 0; j < n; j++) {
		bool r = false;
		switch (agg) {
		case 0: /* equal any: b[j] is one of a's valid elements */
			for (unsigned i = 0; i < la && j < lb && !r; i++)
				r = str_elem(&a, fmt, i) == str_elem(&b, fmt, j);
			break;
		case 1: /* ranges: a holds (low, high) pairs; a pair with an
			 * invalid element, or an invalid b[j], never matches */
			for (unsigned i = 0; i + 1 < la && j < lb && !r; i += 2) {
				int v = str_elem(&b, fmt, j);
				r = v >= str_elem(&a, fmt, i) && v <= str_elem(&a, fmt, i + 1);
			}
			break;
		case 2: /* equal each: both invalid is a match */
			if (j >= la && j >= lb)
				r = true;
			else if (j < la && j < lb)
				r = str_elem(&a, fmt, j) == str_elem(&b, fmt, j);
			break;
		default: /* equal ordered: a occurs in b at j (a's end matches all) */
			r = true;
			for (unsigned i = 0; i < n - j && r; i++) {
				if (i >= la)
					break;
				if (j + i >= lb)
					r = false;
				else
					r = str_elem(&a, fmt, i) == str_elem(&b, fmt, j + i);
			}
			break;
		}
		res1 |= (uint32_t)r << j;
	}
	uint32_t all = (1u << n) - 1, res2 = res1;
	if (pol == 1)
		res2 = ~res1 & all;
	else if (pol == 3)
		res2 = res1 ^ ((1u << lb) - 1); /* negate only b's valid elements */

	if (index) {
		unsigned idx = n;
		if (res2)
			idx = (imm & 0x40) ? 31 - (unsigned)__builtin_clz(res2)
					   : (unsigned)__builtin_ctz(res2);
		cpu->s.gpr[X86_RCX] = idx;
	} else {
		union xmm m = {0};
		if (imm & 0x40) {
			for (unsigned i = 0; i < n; i++)
				if (res2 >> i & 1)
					memset(&m.b[i * (16 / n)], 0xFF, 16 / n);
		} else {
			m.d[0] = res2;
		}
		simd_xmm_set(cpu, 0, &m);
	}
	uint64_t f = (res2 ? X86_FLAGS_CF : 0) | (lb < n ? X86_FLAGS_ZF : 0) |
		     (la < n ? X86_FLAGS_SF : 0) | ((res2 & 1) ? X86_FLAGS_OF : 0);
	cpu_set_flags(cpu, f,
		      X86_FLAGS_CF | X86_FLAGS_PF | X86_FLAGS_AF | X86_FLAGS_ZF | X86_FLAGS_SF |
			  X86_FLAGS_OF);
	return X86_OK;
}

int ex_pcmpestrm(struct x86_cpu *cpu, struct x86_insn *in)
{
	return str_pcmp(cpu, in, true, false);
}

int ex_pcmpestri(struct x86_cpu *cpu, struct x86_insn *in)
{
	return str_pcmp(cpu, in, true, true);
}

int ex_pcmpistrm(struct x86_cpu *cpu, struct x86_insn *in)
{
	return str_pcmp(cpu, in, false, false);
}

int ex_pcmpistri(struct x86_cpu *cpu, struct x86_insn *in)
{
	return str_pcmp(cpu, in, false, true);
}

/* CRC32: the CRC-32C (Castagnoli) polynomial, bit-reflected, over the
 * source's bytes from the lowest (SDM CRC32); the 64-bit form zero-extends. */
int ex_crc32(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t crc, src;
	int rc = opnd_read(cpu, in, 0, &crc);
	if (!rc)
		rc = opnd_read(cpu, in, 1, &src);
	if (rc)
		return rc;
	uint32_t c = (uint32_t)crc;
	for (unsigned i = 0; i < in->size[1]; i++) {
		c ^= (uint8_t)(src >> (8 * i));
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
	}
	cpu->s.gpr[in->reg] = c;
	return X86_OK;
}

/* MOVBE: a load or store with the bytes reversed. */
int ex_movbe(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t v;
	int rc = opnd_read(cpu, in, 1, &v);
	if (rc)
		return rc;
	unsigned size = in->size[0];
	uint64_t r = 0;
	for (unsigned i = 0; i < size; i++)
		r |= ((v >> (8 * i)) & 0xFF) << (8 * (size - 1 - i));
	return opnd_write(cpu, in, 0, r);
}
