/*
 * trace/disasm.c - Zydis 4.0 (libzydis-dev) behind disasm_format().  Not
 * ember's decoder; Zydis is an independent implementation, which makes its
 * text a useful second opinion next to x86_insn_length() in traces.
 */
#include <stdio.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "trace/disasm.h"

int disasm_format(const uint8_t *bytes, unsigned len, int bits, uint64_t rip,
		  enum trace_syntax syntax, char *buf, size_t size, char *mnem, size_t msize)
{
	ZydisMachineMode mode = bits == 64   ? ZYDIS_MACHINE_MODE_LONG_64
				: bits == 32 ? ZYDIS_MACHINE_MODE_LEGACY_32
					     : ZYDIS_MACHINE_MODE_LEGACY_16;
	ZydisDisassembledInstruction insn;
	ZyanStatus st = syntax == TRACE_SYNTAX_ATT
			    ? ZydisDisassembleATT(mode, rip, bytes, len, &insn)
			    : ZydisDisassembleIntel(mode, rip, bytes, len, &insn);
	if (!ZYAN_SUCCESS(st)) {
		snprintf(buf, size, "(bad)");
		snprintf(mnem, msize, "(bad)");
		return -1;
	}
	snprintf(buf, size, "%s", insn.text);
	const char *m = ZydisMnemonicGetString(insn.info.mnemonic);
	snprintf(mnem, msize, "%s", m ? m : "?");
	return insn.info.length;
}
