/*
 * fuzz/fuzz_decode.c - libFuzzer target for ember's stand-alone decoder:
 * x86_insn_length and x86_format on arbitrary bytes in 16-, 32- and 64-bit
 * mode.  Not a correctness oracle (tools/zydis-lencheck is); it checks memory
 * safety and the API contract of src/x86/x86.h: a length is 1..15 and within
 * the bytes given, x86_format agrees with x86_insn_length, and the text is a
 * NUL-terminated string that fits the buffer, however small.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "x86/x86.h"

static void fuzz_decode_mode(const uint8_t *data, size_t size, int bits)
{
	char text[160], small[8];
	int len = x86_insn_length(data, size, bits);
	int flen = x86_format(data, size, bits, 0xFFFFFFFFFFFFFFF0ull, text, sizeof(text));

	if (len > 15 || (len > 0 && (size_t)len > size) || len == 0 ||
	    (len < 0 && len != X86_DECODE_UD && len != X86_DECODE_TOO_LONG &&
	     len != X86_DECODE_SHORT))
		__builtin_trap(); /* outside the documented return values */
	if (flen != len)
		__builtin_trap(); /* the formatter decodes differently */
	if (flen > 0 && strnlen(text, sizeof(text)) == sizeof(text))
		__builtin_trap(); /* not terminated */
	memset(small, 0x55, sizeof(small));
	x86_format(data, size, bits, 0, small, sizeof(small));
	if (flen > 0 && strnlen(small, sizeof(small)) == sizeof(small))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_decode_mode(data, size, 16);
	fuzz_decode_mode(data, size, 32);
	fuzz_decode_mode(data, size, 64);
	return 0;
}
