/*
 * trace/disasm.h - instruction text for traces through the Zydis 4
 * disassembler (Intel or AT&T syntax).  Not a decoder for execution: the
 * emulator's own decoder (x86_insn_length) decides lengths.
 */
#ifndef EMBER_TRACE_DISASM_H
#define EMBER_TRACE_DISASM_H

#include <stddef.h>
#include <stdint.h>

#include "trace/trace.h"

/*
 * Disassemble the instruction at bytes (len available) for code of bits
 * 16, 32 or 64 at address rip.  Writes the text to buf and the mnemonic
 * alone to mnem.  Returns the length Zydis decoded, or -1 ("(bad)").
 */
int disasm_format(const uint8_t *bytes, unsigned len, int bits, uint64_t rip,
		  enum trace_syntax syntax, char *buf, size_t size, char *mnem, size_t msize);

#endif
