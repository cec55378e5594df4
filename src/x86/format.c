/*
 * x86/format.c - one decoded instruction as Intel-syntax text from ember's own
 * mnemonic table ("add byte ptr [bx+si+0xe], bl").  For traces and error
 * messages, not a full disassembler (SSE/x87 rows print as "(sse)"/"(x87)").
 * Follows Intel SDM vol. 2, 3.1 (instruction format notation).
 */
#include <stdio.h>
#include <string.h>

#include "x86/cpu.h"

static const char *const cc_names[16] = {"o", "no", "b", "ae", "e", "ne", "be", "a",
					 "s", "ns", "p", "np", "l", "ge", "le", "g"};
static const char *const seg_names[8] = {"es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr"};

static const char *format_reg(const struct x86_insn *in, int reg, unsigned size)
{
	static const char *const r64[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
					    "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
	static const char *const r32[16] = {"eax",  "ecx",  "edx",  "ebx", "esp",  "ebp",
					    "esi",  "edi",  "r8d",  "r9d", "r10d", "r11d",
					    "r12d", "r13d", "r14d", "r15d"};
	static const char *const r16[16] = {"ax",   "cx",   "dx",   "bx",  "sp",   "bp",
					    "si",   "di",   "r8w",  "r9w", "r10w", "r11w",
					    "r12w", "r13w", "r14w", "r15w"};
	static const char *const r8[16] = {"al",   "cl",   "dl",   "bl",  "spl",  "bpl",
					   "sil",  "dil",  "r8b",  "r9b", "r10b", "r11b",
					   "r12b", "r13b", "r14b", "r15b"};
	static const char *const r8h[4] = {"ah", "ch", "dh", "bh"};
	reg &= 15;
	switch (size) {
	case 1:
		return (!in->rex && reg >= 4 && reg < 8) ? r8h[reg - 4] : r8[reg];
	case 2:
		return r16[reg];
	case 4:
		return r32[reg];
	default:
		return r64[reg];
	}
}

static const char *format_ptr(unsigned size)
{
	switch (size) {
	case 1:
		return "byte ptr ";
	case 2:
		return "word ptr ";
	case 4:
		return "dword ptr ";
	case 8:
		return "qword ptr ";
	case 10:
		return "tbyte ptr ";
	default:
		return "";
	}
}

static void format_mem(const struct x86_insn *in, unsigned size, uint64_t rip, char *b, size_t n)
{
	size_t k = (size_t)snprintf(b, n, "%s", format_ptr(size));
	if (in->segovr && k < n)
		k += (size_t)snprintf(b + k, n - k, "%s:", seg_names[in->seg]);
	if (k < n)
		k += (size_t)snprintf(b + k, n - k, "[");
	bool any = false;
	unsigned asz = in->adsize;
	if (in->riprel) {
		k += (size_t)snprintf(b + k, n - k, "rip");
		any = true;
	}
	if (in->base >= 0 && k < n) {
		k += (size_t)snprintf(b + k, n - k, "%s", format_reg(in, in->base, asz));
		any = true;
	}
	if (in->index >= 0 && k < n) {
		k += (size_t)snprintf(b + k, n - k, "%s%s", any ? "+" : "",
				      format_reg(in, in->index, asz));
		if (in->scale)
			k += (size_t)snprintf(b + k, n - k, "*%d", 1 << in->scale);
		any = true;
	}
	int64_t d = in->disp;
	if (k < n && (d || !any)) {
		if (!any)
			k += (size_t)snprintf(b + k, n - k, "%#llx",
					      (unsigned long long)((uint64_t)d & x86_mask(asz)));
		else if (d < 0)
			k += (size_t)snprintf(b + k, n - k, "-%#llx", (unsigned long long)-d);
		else
			k += (size_t)snprintf(b + k, n - k, "+%#llx", (unsigned long long)d);
	}
	if (k < n)
		snprintf(b + k, n - k, "]");
	(void)rip;
}

static void format_operand(const struct x86_insn *in, int i, uint64_t rip, char *b, size_t n)
{
	const struct x86_opspec *o = &in->op->o[i];
	unsigned size = in->size[i];
	b[0] = 0;
	switch (o->m) {
	case OM_E:
	case OM_M:
		if (in->mod == 3)
			snprintf(b, n, "%s", format_reg(in, in->rm, size));
		else
			format_mem(in, o->m == OM_M && o->s == OS_NONE ? 0 : size, rip, b, n);
		break;
	case OM_R:
	case OM_Z:
		snprintf(b, n, "%s", format_reg(in, in->rm, size));
		break;
	case OM_G:
		snprintf(b, n, "%s", format_reg(in, in->reg, size));
		break;
	case OM_S:
		snprintf(b, n, "%s", seg_names[in->reg & 7]);
		break;
	case OM_C:
		snprintf(b, n, "cr%d", in->reg);
		break;
	case OM_D:
		snprintf(b, n, "dr%d", in->reg);
		break;
	case OM_AX:
		snprintf(b, n, "%s", format_reg(in, 0, size));
		break;
	case OM_CL:
		snprintf(b, n, "cl");
		break;
	case OM_DX:
		snprintf(b, n, "dx");
		break;
	case OM_1:
		snprintf(b, n, "1");
		break;
	case OM_I:
		snprintf(b, n, "%#llx", (unsigned long long)(in->imm & x86_mask(size ? size : 8)));
		break;
	case OM_J: {
		uint64_t mask = in->bits == 64 ? ~0ull : x86_mask(in->opsize);
		snprintf(b, n, "%#llx", (unsigned long long)((rip + in->len + in->imm) & mask));
		break;
	}
	case OM_O: {
		struct x86_insn t = *in;
		t.base = t.index = -1;
		t.riprel = 0;
		t.disp = 0;
		format_mem(&t, size, rip, b, n);
		/* The moffs is in imm (it may be 64 bits): print it as the address. */
		char *lb = strchr(b, '[');
		if (lb)
			snprintf(lb, n - (size_t)(lb - b), "[%#llx]",
				 (unsigned long long)(in->imm & x86_mask(in->adsize)));
		break;
	}
	case OM_A:
		snprintf(b, n, "%#llx:%#llx", (unsigned long long)in->imm2,
			 (unsigned long long)in->imm);
		break;
	default:
		break;
	}
}

int x86_format(const uint8_t *bytes, size_t avail, int bits, uint64_t rip, char *buf, size_t size)
{
	struct x86_insn in;
	if (bits != 16 && bits != 32 && bits != 64)
		return X86_DECODE_UD;
	int len = decode_insn(bytes, avail, bits, &in);
	if (len < 0) {
		if (size)
			snprintf(buf, size, "(bad)");
		return len;
	}
	const struct x86_opcode *op = in.op;
	char mn[32];
	const char *name = op->name;
	size_t nl = strlen(name);
	if (nl >= 2 && !strcmp(name + nl - 2, "cc") && strcmp(name, "(sse)")) {
		snprintf(mn, sizeof(mn), "%.*s%s", (int)(nl - 2), name, cc_names[in.opcode & 15]);
	} else if ((op->flags & F_REPOK) && !(op->flags & F_BYTEOP)) {
		unsigned sz = in.opsize;
		if ((op->fn == ex_ins || op->fn == ex_outs) && sz == 8)
			sz = 4;
		snprintf(mn, sizeof(mn), "%s%c", name, sz == 2 ? 'w' : sz == 4 ? 'd' : 'q');
	} else if (op->fn == ex_cbw) {
		snprintf(mn, sizeof(mn), "%s",
			 in.opsize == 2	  ? "cbw"
			 : in.opsize == 4 ? "cwde"
					  : "cdqe");
	} else if (op->fn == ex_cwd) {
		snprintf(mn, sizeof(mn), "%s",
			 in.opsize == 2	  ? "cwd"
			 : in.opsize == 4 ? "cdq"
					  : "cqo");
	} else if (op->fn == ex_xchg_ax && in.rm == 0) {
		snprintf(mn, sizeof(mn), "%s", in.rep == 0xF3 ? "pause" : "nop");
		snprintf(buf, size, "%s", mn);
		return len;
	} else {
		snprintf(mn, sizeof(mn), "%s", name);
	}
	const char *pfx = "";
	if (in.lock)
		pfx = "lock ";
	else if ((op->flags & F_REPOK) && in.rep)
		pfx = (in.rep == 0xF3)
			  ? ((op->fn == ex_cmps || op->fn == ex_scas) ? "repe " : "rep ")
			  : "repne ";
	size_t k = (size_t)snprintf(buf, size, "%s%s", pfx, mn);
	for (int i = 0; i < 3 && k < size; i++) {
		if (op->o[i].m == OM_NONE)
			break;
		char ob[96];
		format_operand(&in, i, rip, ob, sizeof(ob));
		k += (size_t)snprintf(buf + k, size - k, "%s%s", i ? ", " : " ", ob);
	}
	if (op->fn == ex_enter && k < size)
		snprintf(buf + k, size - k, ", %#llx", (unsigned long long)in.imm2);
	return len;
}
