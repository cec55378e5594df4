/*
 * tools/zydis-lencheck.c - cross-checks ember's decoder (x86_insn_length)
 * against Zydis 4 on random byte strings weighted toward real encodings.
 * Not a semantic check: only length and validity.  Encodings per Intel SDM
 * vol. 2 ch. 2; Zydis decodes with Intel branch semantics and without the
 * MPX/CET/LZCNT/TZCNT/CLDEMOTE reinterpretations (a CPU lacking them).
 *
 *   zydis-lencheck --mode 16|32|64 [--count N] [--seed S] [--bytes HEX] [--no-cpu]
 *
 * With --bytes, one string is checked against the CPU (ember's verdict must
 * be the CPU's), or against Zydis when the CPU cannot run it.
 *
 * Rules (what the emulator "claims" comes from x86_cpuid_supported()):
 *  - Zydis decodes an instruction of a claimed ISA set: ember must return the
 *    same length.
 *  - Zydis decodes an instruction of an unclaimed ISA set (SSE when SSE is not
 *    advertised, AVX, VMX...): ember may return X86_DECODE_UD, or a length,
 *    which must then be Zydis's.
 *  - Zydis reports "too long": ember must return X86_DECODE_TOO_LONG.
 *  - Zydis rejects the bytes: ember must return X86_DECODE_UD, except
 *    (a) after a VEX/EVEX/XOP lead byte (C4 C5 62 8F) while AVX is not
 *        claimed: ember skips those payloads by length and raises #UD later;
 *    (b) in the MMX/SSE opcode space (0F 38, 0F 3A, 0F AE and the 0F rows that
 *        hold only MMX/SSE/3DNow!/VMX instructions) while SSE is not claimed;
 *    (c) in the x87 opcode space (D8-DF) while x87 is not claimed;
 *    (d) in 0F C7 other than /1 (VMX, RDRAND, XSAVES) while RDRAND is not
 *        claimed;
 *    (e) a LOCK prefix on an instruction that cannot take it: ember raises #UD
 *        when executing; the length must be Zydis's for the same bytes with
 *        the LOCK replaced by an ignored DS prefix.
 *    In the spaces of (a)-(d) any answer is accepted for bytes Zydis finds
 *    too long or valid but of an unclaimed ISA set.
 *  - RSM decodes but always raises #UD outside SMM: ember may say UD.
 *  - An opcode invalid only in 64-bit mode (AAM, far JMP/CALL ptr, PUSH ES...)
 *    that runs past 15 bytes: the host raises #GP, so TOO_LONG is right too.
 *
 * The CPU breaks the remaining ties: each disagreement is run natively, as
 * the first instruction of 16-, 32- or 64-bit code at CPL3 in a host process
 * (tools/difftest/native.c, single-stepped).  The CPU's #UD means "invalid",
 * #GP(0) at the instruction means "too long" (bytes ember and Zydis both
 * find non-privileged), anything else means it decoded.  Where that agrees
 * with ember, ember is right and Zydis differs from this CPU: counted as
 * passed and reported per pattern.  Without the native engine (--no-cpu, or
 * a host that cannot run code of that mode in a process: a PVM guest has no
 * 16-bit or 32-bit user code segment) every disagreement is a mismatch.
 */
#include <Zydis/Zydis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "x86/x86.h"
#include "difftest/dt.h"

enum { EAX, EBX, ECX, EDX };

/* The CPUID feature bit that makes an ISA set "claimed"; always = base ISA. */
struct isa_req {
	uint32_t leaf;
	uint8_t reg, bit;
	bool always;
};

#define ALWAYS                                                                                     \
	{                                                                                          \
		.always = true                                                                     \
	}
static const struct isa_req isa_reqs[ZYDIS_ISA_SET_MAX_VALUE + 1] = {
    [ZYDIS_ISA_SET_I86] = ALWAYS,
    [ZYDIS_ISA_SET_I186] = ALWAYS,
    [ZYDIS_ISA_SET_I286REAL] = ALWAYS,
    [ZYDIS_ISA_SET_I286PROTECTED] = ALWAYS,
    [ZYDIS_ISA_SET_I386] = ALWAYS,
    [ZYDIS_ISA_SET_I486] = ALWAYS,
    [ZYDIS_ISA_SET_I486REAL] = ALWAYS,
    [ZYDIS_ISA_SET_PENTIUMREAL] = ALWAYS,
    [ZYDIS_ISA_SET_PPRO] = ALWAYS,
    [ZYDIS_ISA_SET_LONGMODE] = ALWAYS,
    [ZYDIS_ISA_SET_FAT_NOP] = ALWAYS,
    [ZYDIS_ISA_SET_PREFETCH_NOP] = ALWAYS,
    [ZYDIS_ISA_SET_PAUSE] = ALWAYS,
    [ZYDIS_ISA_SET_RDPMC] = ALWAYS,
    [ZYDIS_ISA_SET_X87] = {.leaf = 1, .reg = EDX, .bit = 0},
    [ZYDIS_ISA_SET_FCMOV] = {.leaf = 1, .reg = EDX, .bit = 0},
    [ZYDIS_ISA_SET_CMOV] = {.leaf = 1, .reg = EDX, .bit = 15},
    [ZYDIS_ISA_SET_CLFSH] = {.leaf = 1, .reg = EDX, .bit = 19},
    [ZYDIS_ISA_SET_PENTIUMMMX] = {.leaf = 1, .reg = EDX, .bit = 23},
    [ZYDIS_ISA_SET_FXSAVE] = {.leaf = 1, .reg = EDX, .bit = 24},
    [ZYDIS_ISA_SET_FXSAVE64] = {.leaf = 1, .reg = EDX, .bit = 24},
    [ZYDIS_ISA_SET_SSE] = {.leaf = 1, .reg = EDX, .bit = 25},
    [ZYDIS_ISA_SET_SSE_PREFETCH] = {.leaf = 1, .reg = EDX, .bit = 25},
    [ZYDIS_ISA_SET_SSEMXCSR] = {.leaf = 1, .reg = EDX, .bit = 25},
    [ZYDIS_ISA_SET_SSE2] = {.leaf = 1, .reg = EDX, .bit = 26},
    [ZYDIS_ISA_SET_SSE2MMX] = {.leaf = 1, .reg = EDX, .bit = 26},
    [ZYDIS_ISA_SET_SSE3] = {.leaf = 1, .reg = ECX, .bit = 0},
    [ZYDIS_ISA_SET_SSE3X87] = {.leaf = 1, .reg = ECX, .bit = 0},
    [ZYDIS_ISA_SET_PCLMULQDQ] = {.leaf = 1, .reg = ECX, .bit = 1},
    [ZYDIS_ISA_SET_MONITOR] = {.leaf = 1, .reg = ECX, .bit = 3},
    [ZYDIS_ISA_SET_SSSE3] = {.leaf = 1, .reg = ECX, .bit = 9},
    [ZYDIS_ISA_SET_SSSE3MMX] = {.leaf = 1, .reg = ECX, .bit = 9},
    [ZYDIS_ISA_SET_FMA] = {.leaf = 1, .reg = ECX, .bit = 12},
    [ZYDIS_ISA_SET_CMPXCHG16B] = {.leaf = 1, .reg = ECX, .bit = 13},
    [ZYDIS_ISA_SET_SSE4] = {.leaf = 1, .reg = ECX, .bit = 19},
    [ZYDIS_ISA_SET_SSE42] = {.leaf = 1, .reg = ECX, .bit = 20},
    [ZYDIS_ISA_SET_MOVBE] = {.leaf = 1, .reg = ECX, .bit = 22},
    [ZYDIS_ISA_SET_POPCNT] = {.leaf = 1, .reg = ECX, .bit = 23},
    [ZYDIS_ISA_SET_AES] = {.leaf = 1, .reg = ECX, .bit = 25},
    [ZYDIS_ISA_SET_XSAVE] = {.leaf = 1, .reg = ECX, .bit = 26},
    [ZYDIS_ISA_SET_AVX] = {.leaf = 1, .reg = ECX, .bit = 28},
    [ZYDIS_ISA_SET_F16C] = {.leaf = 1, .reg = ECX, .bit = 29},
    [ZYDIS_ISA_SET_RDRAND] = {.leaf = 1, .reg = ECX, .bit = 30},
    [ZYDIS_ISA_SET_RDWRFSGS] = {.leaf = 7, .reg = EBX, .bit = 0},
    [ZYDIS_ISA_SET_BMI1] = {.leaf = 7, .reg = EBX, .bit = 3},
    [ZYDIS_ISA_SET_AVX2] = {.leaf = 7, .reg = EBX, .bit = 5},
    [ZYDIS_ISA_SET_BMI2] = {.leaf = 7, .reg = EBX, .bit = 8},
    [ZYDIS_ISA_SET_INVPCID] = {.leaf = 7, .reg = EBX, .bit = 10},
    [ZYDIS_ISA_SET_RDSEED] = {.leaf = 7, .reg = EBX, .bit = 18},
    [ZYDIS_ISA_SET_ADOX_ADCX] = {.leaf = 7, .reg = EBX, .bit = 19},
    [ZYDIS_ISA_SET_SMAP] = {.leaf = 7, .reg = EBX, .bit = 20},
    [ZYDIS_ISA_SET_CLFLUSHOPT] = {.leaf = 7, .reg = EBX, .bit = 23},
    [ZYDIS_ISA_SET_CLWB] = {.leaf = 7, .reg = EBX, .bit = 24},
    [ZYDIS_ISA_SET_PKU] = {.leaf = 7, .reg = ECX, .bit = 3},
    [ZYDIS_ISA_SET_RDPID] = {.leaf = 7, .reg = ECX, .bit = 22},
    [ZYDIS_ISA_SET_LAHF] = {.leaf = 0x80000001, .reg = ECX, .bit = 0},
    [ZYDIS_ISA_SET_LZCNT] = {.leaf = 0x80000001, .reg = ECX, .bit = 5},
    [ZYDIS_ISA_SET_SSE4A] = {.leaf = 0x80000001, .reg = ECX, .bit = 6},
    [ZYDIS_ISA_SET_RDTSCP] = {.leaf = 0x80000001, .reg = EDX, .bit = 27},
};

static bool claimed[ZYDIS_ISA_SET_MAX_VALUE + 1];

static void lencheck_claims(void)
{
	for (unsigned i = 0; i <= ZYDIS_ISA_SET_MAX_VALUE; i++) {
		const struct isa_req *r = &isa_reqs[i];
		uint32_t out[4];

		if (r->always) {
			claimed[i] = true;
		} else if (r->leaf) {
			x86_cpuid_supported(r->leaf, 0, out);
			claimed[i] = out[r->reg] >> r->bit & 1;
		}
	}
}

static uint64_t rng;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* The legacy prefixes (SDM vol. 2, 2.1.1). */
static const uint8_t lencheck_prefixes[] = {0x66, 0x67, 0xF2, 0xF3, 0xF0, 0x2E,
					    0x3E, 0x26, 0x36, 0x64, 0x65};

/*
 * Opcodes of the SSE..SSE4.2 maps that exist (SDM vol. 2, tables ),
 * so that valid forms are not left to chance: the 0F rows of MMX/SSE/SSE2/
 * SSE3 and POPCNT (F3 0F B8), 0F 38 (SSSE3, SSE4.1, SSE4.2, MOVBE, CRC32,
 * SHA, AES, ADCX/ADOX) and 0F 3A (PALIGNR, ROUNDxx, BLENDxx, PEXTRx, PINSRx, DPPS/DPPD,
 * MPSADBW, PCLMULQDQ, PCMPxSTRx, SHA, AESKEYGENASSIST).
 */
static const uint8_t lencheck_0f_sse[] = {
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x2D, 0x2E,
    0x2F, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x5B, 0x5C, 0x5D,
    0x5E, 0x5F, 0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C,
    0x6D, 0x6E, 0x6F, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x7C, 0x7D, 0x7E, 0x7F,
    0xAE, 0xB8, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7,
    0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF, 0xE0, 0xE1, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6,
    0xE7, 0xE8, 0xE9, 0xEA, 0xEB, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5,
    0xF6, 0xF7, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF,
};
static const uint8_t lencheck_0f38[] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x10, 0x14, 0x15,
    0x17, 0x1C, 0x1D, 0x1E, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x28, 0x29, 0x2A, 0x2B, 0x30,
    0x31, 0x32, 0x33, 0x34, 0x35, 0x37, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x40,
    0x41, 0xC8, 0xC9, 0xCA, 0xCB, 0xCC, 0xCD, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF, 0xF0, 0xF1, 0xF6,
};
static const uint8_t lencheck_0f3a[] = {
    0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x14, 0x15, 0x16, 0x17, 0x20,
    0x21, 0x22, 0x40, 0x41, 0x42, 0x44, 0x60, 0x61, 0x62, 0x63, 0xCC, 0xDF,
};

/* An SSE-map opcode at b[n] (n <= 11): none/66/F2/F3 as the mandatory prefix,
 * the REX if any (it counts only right before the opcode), then 0F xx,
 * 0F 38 xx or 0F 3A xx from the tables above. */
static void lencheck_sse_opcode(uint8_t *b, unsigned n, uint8_t rex)
{
	static const uint8_t mandatory[] = {0x66, 0xF2, 0xF3};
	unsigned map = rnd() % 3;

	if (rnd() % 4)
		b[n++] = mandatory[rnd() % 3];
	if (rex)
		b[n++] = rex;
	b[n++] = 0x0F;
	if (map == 0) {
		b[n++] = lencheck_0f_sse[rnd() % sizeof(lencheck_0f_sse)];
	} else {
		b[n++] = map == 1 ? 0x38 : 0x3A;
		b[n++] = map == 1 ? lencheck_0f38[rnd() % sizeof(lencheck_0f38)]
				  : lencheck_0f3a[rnd() % sizeof(lencheck_0f3a)];
	}
}

/*
 * 16 bytes: a few legacy prefixes (sometimes many), a REX in 64-bit mode,
 * then a one-byte, 0F, 0F 38/3A, an SSE-map (lencheck_sse_opcode) or a VEX
 * opcode, then random ModRM and tail.
 */
static void lencheck_bytes(uint8_t *b, int bits)
{
	unsigned n = 0, np = rnd() % 8 == 0 ? rnd() % 16 : rnd() % 3, kind = rnd() % 24;

	for (unsigned i = 0; i < 16; i++)
		b[i] = (uint8_t)rnd();
	if (kind == 0)
		return; /* pure noise */
	for (unsigned i = 0; i < np && n < 15; i++)
		b[n++] = lencheck_prefixes[rnd() % sizeof(lencheck_prefixes)];
	if (bits == 64 && rnd() % 3 == 0)
		b[n++] = 0x40 | (rnd() & 15);
	if (n >= 14)
		return;
	if (kind < 9) {
		b[n] = (uint8_t)rnd(); /* one-byte map */
	} else if (kind < 16) {
		b[n] = 0x0F;
	} else if (kind < 18) {
		b[n] = 0x0F;
		b[n + 1] = rnd() & 1 ? 0x38 : 0x3A;
	} else if (kind < 22) {
		uint8_t rex = 0;

		if (bits == 64 && n && (b[n - 1] & 0xF0) == 0x40)
			rex = b[--n];
		if (n <= 11)
			lencheck_sse_opcode(b, n, rex);
	} else {
		static const uint8_t vex[] = {0xC4, 0xC5, 0x62, 0x8F};

		b[n] = vex[rnd() % 4];
	}
}

static const char *lencheck_ember_str(int r, char *buf)
{
	if (r == X86_DECODE_UD)
		return "UD";
	if (r == X86_DECODE_TOO_LONG)
		return "TOO_LONG";
	if (r == X86_DECODE_SHORT)
		return "SHORT";
	sprintf(buf, "%d", r);
	return buf;
}

/* Index of the opcode byte after the legacy and REX prefixes. */
static unsigned lencheck_opcode_at(const uint8_t *b, int bits)
{
	unsigned i = 0;

	while (i < 15 && (memchr(lencheck_prefixes, b[i], sizeof(lencheck_prefixes)) ||
			  (bits == 64 && (b[i] & 0xF0) == 0x40)))
		i++;
	return i;
}

/* 0F xx rows that hold only MMX, SSE, 3DNow! or VMX instructions, and group 15
 * (0F AE: FXSAVE, LDMXCSR, XSAVE, fences, CLFLUSH) (SDM vol. 2, tables ). */
static bool lencheck_sse_row(uint8_t op)
{
	return (op >= 0x10 && op <= 0x17) || (op >= 0x28 && op <= 0x2F) ||
	       (op >= 0x50 && op <= 0x7F) || op == 0x0E || op == 0x0F || op == 0x38 || op == 0x3A ||
	       op == 0xAE || (op >= 0xC2 && op <= 0xC6) || op >= 0xD0;
}

/* Zydis's verdict on b with every LOCK prefix turned into an (ignored) DS prefix. */
static ZyanStatus lencheck_unlocked(const ZydisDecoder *dec, const uint8_t *b, int bits,
				    ZydisDecodedInstruction *in)
{
	uint8_t c[16];
	unsigned op = lencheck_opcode_at(b, bits);

	memcpy(c, b, 16);
	for (unsigned i = 0; i < op; i++)
		if (c[i] == 0xF0)
			c[i] = 0x3E;
	return ZydisDecoderDecodeInstruction(dec, NULL, c, 16, in);
}

/* What the bytes are: what ember's decoder says, or what the CPU did. */
enum lencheck_verdict { V_INVALID, V_TOO_LONG, V_DECODED, V_UNKNOWN, NR_VERDICTS };

static struct native_engine *lencheck_cpu;
static uint64_t lencheck_cpu_sided[NR_VERDICTS];

static enum lencheck_verdict lencheck_verdict_of(int e)
{
	return e == X86_DECODE_UD ? V_INVALID : e == X86_DECODE_TOO_LONG ? V_TOO_LONG : V_DECODED;
}

/* Run the bytes on the CPU (see the header); *what describes the outcome. */
static enum lencheck_verdict lencheck_on_cpu(const uint8_t *b, int bits, const char **what)
{
	static char buf[160];
	/* Where native_engine_run_code puts the bytes (IP in 16-bit code). */
	uint64_t start = bits == 16 ? 0x100 : DT_CODE + 0x100;
	struct dt_outcome o;

	native_engine_run_code(lencheck_cpu, bits, b, 15, &o);
	if (o.fail[0]) {
		snprintf(buf, sizeof(buf), "not run (%s)", o.fail);
		*what = buf;
		return V_UNKNOWN;
	}
	snprintf(buf, sizeof(buf), "vector %d at +%d", o.vector, (int)(o.frame[0] - start));
	*what = buf;
	if (o.vector == 6)
		return V_INVALID;
	if (o.vector == 13 && o.has_error && !o.error && o.frame[0] == start)
		return V_TOO_LONG;
	return V_DECODED;
}

/* Returns true if ember and Zydis agree on these 16 bytes, or if they do
 * not and the CPU sides with ember; prints why not. */
static bool lencheck_one(const ZydisDecoder *dec, const uint8_t *b, int bits, bool quiet,
			 bool verbose, bool force_cpu)
{
	static const uint8_t invalid64[] = {0x06, 0x07, 0x0E, 0x16, 0x17, 0x1E, 0x1F,
					    0x27, 0x2F, 0x37, 0x3F, 0x60, 0x61, 0x82,
					    0x9A, 0xCE, 0xD4, 0xD5, 0xD6, 0xEA};
	ZydisDecodedInstruction in;
	ZyanStatus st = ZydisDecoderDecodeInstruction(dec, NULL, b, 16, &in);
	int e = x86_insn_length(b, 16, bits);
	unsigned op = lencheck_opcode_at(b, bits);
	bool vex = op < 15 && (b[op] == 0xC4 || b[op] == 0xC5 || b[op] == 0x62 || b[op] == 0x8F);
	bool sse = op < 14 && b[op] == 0x0F && lencheck_sse_row(b[op + 1]);
	bool x87 = op < 15 && b[op] >= 0xD8 && b[op] <= 0xDF;
	/* 0F C7 other than /1 (CMPXCHG8B/16B): VMX, RDRAND/RDSEED, XSAVES. */
	bool grp9 = op < 13 && b[op] == 0x0F && b[op + 1] == 0xC7 && (b[op + 2] >> 3 & 7) != 1;
	bool lenient =
	    (vex && !claimed[ZYDIS_ISA_SET_AVX]) || (sse && !claimed[ZYDIS_ISA_SET_SSE]) ||
	    (x87 && !claimed[ZYDIS_ISA_SET_X87]) || (grp9 && !claimed[ZYDIS_ISA_SET_RDRAND]);
	bool ok;
	char zs[64], es[16], hex[40];

	if (st == ZYDIS_STATUS_ILLEGAL_LOCK && e > 0 && !lenient) {
		ZydisDecodedInstruction un;

		ok = ZYAN_SUCCESS(lencheck_unlocked(dec, b, bits, &un)) && e == un.length;
		snprintf(zs, sizeof(zs), "illegal LOCK (%u without it)", ok ? un.length : 0);
	} else if (ZYAN_SUCCESS(st)) {
		bool cl = claimed[in.meta.isa_set];

		ok = e == in.length || (!cl && lenient) ||
		     (e == X86_DECODE_UD && (!cl || in.mnemonic == ZYDIS_MNEMONIC_RSM));
		snprintf(zs, sizeof(zs), "%u (%s%s)", in.length,
			 ZydisMnemonicGetString(in.mnemonic), cl ? "" : ", ISA not claimed");
	} else if (st == ZYDIS_STATUS_INSTRUCTION_TOO_LONG) {
		ok = e == X86_DECODE_TOO_LONG || lenient;
		snprintf(zs, sizeof(zs), "TOO_LONG");
	} else {
		/* Opcodes invalid only in 64-bit mode still have their legacy
		 * length: past 15 bytes the host raises #GP, not #UD (measured). */
		bool legacy = bits == 64 && op < 15 && memchr(invalid64, b[op], sizeof(invalid64));

		ok = e == X86_DECODE_UD || lenient || (legacy && e == X86_DECODE_TOO_LONG);
		snprintf(zs, sizeof(zs), "invalid (status %#x)", (unsigned)st);
	}
	const char *cpu = "";
	bool zydis_ok = ok;
	if ((!ok || force_cpu) && lencheck_cpu) {
		enum lencheck_verdict v = lencheck_on_cpu(b, bits, &cpu);

		if (force_cpu) {
			ok = v == lencheck_verdict_of(e); /* --bytes: the CPU decides */
		} else if (v == lencheck_verdict_of(e)) {
			ok = true;
			lencheck_cpu_sided[v]++;
			quiet = lencheck_cpu_sided[v] > 3; /* show a few of each */
			verbose = !quiet;
		}
	}
	if ((!ok && !quiet) || verbose) {
		for (unsigned i = 0; i < 16; i++)
			sprintf(hex + 2 * i, "%02x", b[i]);
		printf("%s zydis-lencheck --mode %d --bytes %s | ember %s, zydis %s%s%s\n",
		       !ok	  ? "MISMATCH"
		       : !*cpu	  ? "AGREE"
		       : zydis_ok ? "CPU-AGREES"
				  : "CPU-SIDES-WITH-EMBER",
		       bits, hex, lencheck_ember_str(e, es), zs, *cpu ? ", cpu " : "", cpu);
	}
	return ok;
}

static int lencheck_hex(const char *s, uint8_t *b)
{
	size_t n = strlen(s);

	memset(b, 0x90, 16);
	if (n % 2 || n > 32)
		return -1;
	for (size_t i = 0; i < n / 2; i++)
		if (sscanf(s + 2 * i, "%2hhx", &b[i]) != 1)
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t count = 200000, seed = 1, failed = 0, printed = 0;
	const char *bytes = NULL;
	bool use_cpu = true;
	char why[160];
	int bits = 64;
	ZydisDecoder dec;
	uint8_t b[16];

	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "--mode"))
			bits = atoi(argv[++i]);
		else if (i + 1 < argc && !strcmp(argv[i], "--count"))
			count = strtoull(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(argv[i], "--seed"))
			seed = strtoull(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(argv[i], "--bytes"))
			bytes = argv[++i];
		else if (!strcmp(argv[i], "--no-cpu"))
			use_cpu = false;
		else {
			fprintf(stderr,
				"usage: zydis-lencheck --mode 16|32|64 [--count N] [--seed S] "
				"[--bytes HEX] [--no-cpu]\n");
			return 2;
		}
	}
	if (bits != 16 && bits != 32 && bits != 64) {
		fprintf(stderr, "zydis-lencheck: --mode %d: must be 16, 32 or 64\n", bits);
		return 2;
	}
	ZydisDecoderInit(&dec,
			 bits == 64   ? ZYDIS_MACHINE_MODE_LONG_64
			 : bits == 32 ? ZYDIS_MACHINE_MODE_LEGACY_32
				      : ZYDIS_MACHINE_MODE_LEGACY_16,
			 bits == 64   ? ZYDIS_STACK_WIDTH_64
			 : bits == 32 ? ZYDIS_STACK_WIDTH_32
				      : ZYDIS_STACK_WIDTH_16);
	ZydisDecoderEnableMode(&dec, ZYDIS_DECODER_MODE_MPX, ZYAN_FALSE);
	ZydisDecoderEnableMode(&dec, ZYDIS_DECODER_MODE_CET, ZYAN_FALSE);
	ZydisDecoderEnableMode(&dec, ZYDIS_DECODER_MODE_LZCNT, ZYAN_FALSE);
	ZydisDecoderEnableMode(&dec, ZYDIS_DECODER_MODE_TZCNT, ZYAN_FALSE);
	ZydisDecoderEnableMode(&dec, ZYDIS_DECODER_MODE_CLDEMOTE, ZYAN_FALSE);
	lencheck_claims();
	if (use_cpu && native_engine_open(&lencheck_cpu, why, sizeof(why)) < 0)
		printf("note: no CPU tie-break (%s)\n", why);
	if (lencheck_cpu && !native_engine_can_run(lencheck_cpu, bits, why, sizeof(why))) {
		printf("note: no CPU tie-break (%s)\n", why);
		native_engine_close(lencheck_cpu);
		lencheck_cpu = NULL;
	}
	if (lencheck_cpu)
		machine_build(native_engine_mem(lencheck_cpu));
	if (bytes) {
		if (lencheck_hex(bytes, b)) {
			fprintf(stderr, "zydis-lencheck: --bytes %s: want up to 16 hex bytes\n",
				bytes);
			return 2;
		}
		/* One string: ember against the CPU when it can run it. */
		return lencheck_one(&dec, b, bits, false, true, true) ? 0 : 1;
	}
	rng = seed * 0x2545F4914F6CDD1Dull + (uint64_t)bits;
	for (uint64_t k = 0; k < count; k++) {
		lencheck_bytes(b, bits);
		/* Print the first mismatches; count them all. */
		if (!lencheck_one(&dec, b, bits, printed >= 20, false, false)) {
			failed++;
			if (++printed == 20)
				printf("(further mismatches not printed)\n");
		}
	}
	printf("mode %d: %" PRIu64 " checked, %" PRIu64 " mismatches; Zydis differs from the CPU, "
	       "which sides with ember, on %" PRIu64 " (CPU #UD %" PRIu64 ", #GP too long %" PRIu64
	       ", decoded %" PRIu64 ")\n",
	       bits, count, failed,
	       lencheck_cpu_sided[V_INVALID] + lencheck_cpu_sided[V_TOO_LONG] +
		   lencheck_cpu_sided[V_DECODED],
	       lencheck_cpu_sided[V_INVALID], lencheck_cpu_sided[V_TOO_LONG],
	       lencheck_cpu_sided[V_DECODED]);
	native_engine_close(lencheck_cpu);
	printf("%" PRIu64 " passed, %" PRIu64 " failed\n", count - failed, failed);
	return failed ? 1 : 0;
}
