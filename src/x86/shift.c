/*
 * x86/shift.c - shifts and rotates: ROL ROR RCL RCR SHL/SAL SHR SAR, SHLD, SHRD.
 * Counts are masked to 5 bits (6 with a 64-bit operand); a zero count changes
 * no flags.  OF is computed by the 1-bit formula for every count, AF is left
 * clear (both undefined for counts other than 1 in the SDM).
 * Follows Intel SDM vol. 2, "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR", "SHLD", "SHRD".
 */
#include "x86/cpu.h"

#define SHIFT_FLAGS                                                                                \
	(X86_FLAGS_CF | X86_FLAGS_PF | X86_FLAGS_AF | X86_FLAGS_ZF | X86_FLAGS_SF | X86_FLAGS_OF)

static void shift_cf_of(struct x86_cpu *cpu, bool cf, bool of)
{
	uint64_t *f = &cpu->s.rflags;
	*f = (*f & ~(uint64_t)(X86_FLAGS_CF | X86_FLAGS_OF)) | (cf ? X86_FLAGS_CF : 0) |
	     (of ? X86_FLAGS_OF : 0);
}

int ex_shift(struct x86_cpu *cpu, struct x86_insn *in)
{
	unsigned size = in->size[0], bits = size * 8;
	uint64_t m = x86_mask(size);
	uint64_t a, cnt;
	int rc = opnd_read(cpu, in, 0, &a);
	if (!rc)
		rc = opnd_read(cpu, in, 1, &cnt);
	if (rc)
		return rc;
	unsigned n = cnt & (size == 8 ? 0x3F : 0x1F);
	if (!n)
		return opnd_write(cpu, in, 0, a);
	int op = (in->modrm >> 3) & 7;
	uint64_t r = a, msb = 1ull << (bits - 1);
	bool cf = cpu->s.rflags & X86_FLAGS_CF;
	switch (op) {
	case 0: { /* ROL */
		unsigned k = n % bits;
		r = k ? ((a << k) | (a >> (bits - k))) & m : a;
		cf = r & 1;
		shift_cf_of(cpu, cf, ((r & msb) != 0) != cf);
		break;
	}
	case 1: { /* ROR */
		unsigned k = n % bits;
		r = k ? ((a >> k) | (a << (bits - k))) & m : a;
		cf = (r & msb) != 0;
		shift_cf_of(cpu, cf, (((r >> (bits - 1)) ^ (r >> (bits - 2))) & 1) != 0);
		break;
	}
	case 2: { /* RCL: rotate through CF, a (bits+1)-bit rotation */
		unsigned k = size < 4 ? n % (bits + 1) : n;
		for (unsigned i = 0; i < k; i++) {
			bool out = (r & msb) != 0;
			r = ((r << 1) | cf) & m;
			cf = out;
		}
		shift_cf_of(cpu, cf, ((r & msb) != 0) != cf);
		break;
	}
	case 3: { /* RCR */
		unsigned k = size < 4 ? n % (bits + 1) : n;
		bool of = ((a & msb) != 0) != cf;
		for (unsigned i = 0; i < k; i++) {
			bool out = r & 1;
			r = (r >> 1) | (cf ? msb : 0);
			cf = out;
		}
		shift_cf_of(cpu, cf, of);
		break;
	}
	case 4:
	case 6: /* SHL / SAL */
		if (n < 64) {
			r = (a << n) & m;
			cf = n <= bits ? (a >> (bits - n)) & 1 : 0;
		} else {
			r = 0;
			cf = false;
		}
		alu_flags_logic(cpu, r, size);
		shift_cf_of(cpu, cf, ((r & msb) != 0) != cf);
		break;
	case 5: /* SHR */
		r = n < 64 ? a >> n : 0;
		cf = n <= 64 ? (a >> (n - 1)) & 1 : 0;
		alu_flags_logic(cpu, r, size);
		shift_cf_of(cpu, cf, (a & msb) != 0);
		break;
	default: { /* SAR */
		int64_t sa = (int64_t)x86_sext(a, size);
		unsigned k = n > 63 ? 63 : n;
		r = (uint64_t)(sa >> k) & m;
		cf = (sa >> (k - 1)) & 1;
		alu_flags_logic(cpu, r, size);
		shift_cf_of(cpu, cf, false);
		break;
	}
	}
	return opnd_write(cpu, in, 0, r);
}

/* SHLD/SHRD: shift a, filling from b; counts >= operand size are undefined. */
static int shift_double(struct x86_cpu *cpu, struct x86_insn *in, bool left)
{
	unsigned size = in->size[0], bits = size * 8;
	uint64_t m = x86_mask(size), msb = 1ull << (bits - 1);
	uint64_t a, b, cnt;
	int rc = opnd_read(cpu, in, 0, &a);
	if (!rc)
		rc = opnd_read(cpu, in, 1, &b);
	if (!rc)
		rc = opnd_read(cpu, in, 2, &cnt);
	if (rc)
		return rc;
	unsigned n = cnt & (size == 8 ? 0x3F : 0x1F);
	if (!n)
		return opnd_write(cpu, in, 0, a);
	uint64_t r = a;
	bool cf = false;
	/* Shift one bit at a time through a 2*bits window, which also gives the
	 * 16-bit forms' behaviour for counts above 16 (bits come from b again). */
	for (unsigned i = 0; i < n; i++) {
		if (left) {
			cf = (r & msb) != 0;
			r = ((r << 1) | ((b >> (bits - 1 - (i % bits))) & 1)) & m;
		} else {
			cf = r & 1;
			r = (r >> 1) | ((((b >> (i % bits)) & 1)) ? msb : 0);
		}
	}
	alu_flags_logic(cpu, r, size);
	shift_cf_of(cpu, cf, ((r ^ a) & msb) != 0);
	return opnd_write(cpu, in, 0, r);
}

int ex_shld(struct x86_cpu *cpu, struct x86_insn *in)
{
	return shift_double(cpu, in, true);
}

int ex_shrd(struct x86_cpu *cpu, struct x86_insn *in)
{
	return shift_double(cpu, in, false);
}
