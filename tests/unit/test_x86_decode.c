/*
 * test_x86_decode.c - instruction lengths and formatting of the decoder
 * against encodings written out in the Intel SDM vol. 2 (opcode pages,
 * 2.1-2.2 prefixes/ModRM/SIB/REX, 2.3 VEX) in 16-, 32- and 64-bit modes.
 */
#include "t.h"
#include "x86/x86.h"

struct lcase {
	int bits;
	int len; /* expected length or X86_DECODE_* */
	unsigned n;
	uint8_t b[16];
	const char *what;
};

#define B(...)                                                                                     \
	sizeof((uint8_t[]){__VA_ARGS__}),                                                          \
	{                                                                                          \
		__VA_ARGS__                                                                        \
	}

static const struct lcase lengths[] = {
    /* One-byte map, ModRM forms and addressing (SDM tables 2-1, 2-2, 2-3). */
    {16, 2, B(0x00, 0xC0), "add al, al"},
    {16, 4, B(0x00, 0x87, 0x34, 0x12), "add [bx+0x1234], al: mod=10 disp16"},
    {16, 4, B(0x8B, 0x1E, 0x34, 0x12), "mov bx, [0x1234]: rm=110 mod=00 disp16"},
    {32, 6, B(0x8B, 0x1D, 0x78, 0x56, 0x34, 0x12), "mov ebx, [disp32]"},
    {32, 3, B(0x8B, 0x04, 0x24), "mov eax, [esp]: SIB"},
    {32, 7, B(0x8B, 0x04, 0x25, 0, 0, 0, 0), "SIB base=101 mod=00: disp32"},
    {32, 4, B(0x8B, 0x44, 0x24, 0x08), "mov eax, [esp+8]"},
    {64, 6, B(0x8B, 0x05, 1, 0, 0, 0), "mov eax, [rip+1]"},
    {64, 7, B(0x48, 0x8B, 0x05, 1, 0, 0, 0), "REX.W mov rax, [rip+1]"},
    {64, 4, B(0x4C, 0x8B, 0x04, 0x24), "mov r8, [rsp]"},
    {64, 8, B(0x42, 0x8B, 0x04, 0xE5, 0, 0, 0, 0), "SIB no base, REX.X index r12: disp32"},
    /* Immediates by operand size. */
    {16, 3, B(0x05, 0x34, 0x12), "add ax, imm16"},
    {32, 5, B(0x05, 0x78, 0x56, 0x34, 0x12), "add eax, imm32"},
    {32, 4, B(0x66, 0x05, 0x34, 0x12), "66: add ax, imm16"},
    {64, 6, B(0x48, 0x05, 1, 2, 3, 4), "add rax, imm32 (sign-extended)"},
    {64, 10, B(0x48, 0xB8, 1, 2, 3, 4, 5, 6, 7, 8), "mov rax, imm64"},
    {64, 5, B(0xB8, 1, 2, 3, 4), "mov eax, imm32"},
    {32, 6, B(0x81, 0xC1, 1, 2, 3, 4), "group 1 Ev, Iz"},
    {32, 3, B(0x83, 0xC1, 0x80), "group 1 Ev, Ib"},
    {32, 3, B(0xF6, 0xC1, 0x01), "test cl, imm8 (F6 /0)"},
    {32, 2, B(0xF6, 0xD1), "not cl (F6 /2): no immediate"},
    {32, 6, B(0xF7, 0xC1, 1, 2, 3, 4), "test ecx, imm32 (F7 /0)"},
    {16, 4, B(0xC8, 0x10, 0x00, 0x01), "enter 16, 1"},
    {16, 3, B(0xC2, 0x04, 0x00), "ret 4"},
    {16, 5, B(0xEA, 0x00, 0x7C, 0x00, 0x00), "jmp far 0:0x7c00"},
    {32, 7, B(0xEA, 1, 2, 3, 4, 8, 0), "jmp far ptr16:32"},
    {64, X86_DECODE_UD, B(0xEA, 1, 2, 3, 4, 8, 0), "jmp far ptr is invalid in 64-bit mode"},
    {16, 3, B(0xA1, 0x34, 0x12), "mov ax, moffs16"},
    {32, 5, B(0xA1, 1, 2, 3, 4), "mov eax, moffs32"},
    {64, 9, B(0xA1, 1, 2, 3, 4, 5, 6, 7, 8), "mov eax, moffs64"},
    {64, 6, B(0x67, 0xA1, 1, 2, 3, 4), "67: mov eax, moffs32"},
    {32, 4, B(0x67, 0xA1, 0x34, 0x12), "67 in 32-bit: moffs16"},
    {32, 4, B(0x67, 0x8B, 0x47, 0x10), "67: 16-bit addressing [bx+0x10]"},
    /* Branches. */
    {32, 2, B(0x74, 0xFE), "je rel8"},
    {16, 3, B(0xE8, 0x00, 0x00), "call rel16"},
    {32, 5, B(0xE8, 0, 0, 0, 0), "call rel32"},
    {64, 6, B(0x66, 0xE8, 0, 0, 0, 0), "66 call in 64-bit mode: still rel32 (Intel)"},
    {32, 6, B(0x0F, 0x84, 0, 0, 0, 0), "je rel32"},
    /* Two-byte map. */
    {32, 3, B(0x0F, 0x01, 0x10), "lgdt [eax]"},
    {64, 3, B(0x0F, 0x01, 0xF8), "swapgs"},
    {32, X86_DECODE_UD, B(0x0F, 0x01, 0xF8), "swapgs outside 64-bit mode"},
    {32, 3, B(0x0F, 0x20, 0xC0), "mov eax, cr0"},
    {32, 2, B(0x0F, 0xA2), "cpuid"},
    {32, 4, B(0x0F, 0xA4, 0xC1, 0x04), "shld ecx, eax, 4"},
    {32, 4, B(0x0F, 0xBA, 0xE0, 0x03), "bt eax, 3"},
    {32, 3, B(0x0F, 0xC7, 0x0F), "cmpxchg8b [edi]"},
    {32, 2, B(0x0F, 0xC8), "bswap eax"},
    {32, 3, B(0x0F, 0x1F, 0x00), "nop dword [eax]"},
    {32, 8, B(0x0F, 0x1F, 0x84, 0x00, 0, 0, 0, 0), "nopl 0x0(%eax,%eax,1)"},
    {32, 2, B(0x0F, 0x0B), "ud2"},
    {32, 4, B(0x0F, 0x70, 0xC1, 0x1B), "pshufw: ModRM + imm8 (SSE, length only)"},
    {32, 3, B(0x0F, 0x58, 0xC1), "addps (SSE, length only)"},
    {32, 2, B(0x0F, 0x77), "emms: no ModRM"},
    {32, 4, B(0x0F, 0x38, 0x00, 0xC1), "pshufb: 0F 38 map"},
    {32, 5, B(0x0F, 0x3A, 0x0F, 0xC1, 0x08), "palignr: 0F 3A map with imm8"},
    /* VEX and EVEX (SDM 2.3.5, 2.7.1). */
    {64, 4, B(0xC5, 0xF8, 0x58, 0xC1), "vaddps (2-byte VEX)"},
    {64, 5, B(0xC4, 0xE2, 0x79, 0x00, 0xC1), "vpshufb (3-byte VEX, map 0F38)"},
    {64, 3, B(0xC5, 0xF8, 0x77), "vzeroupper"},
    {32, 4, B(0xC5, 0xF8, 0x58, 0xC1), "VEX in 32-bit mode (ModRM.mod=11 form)"},
    {32, 2, B(0xC5, 0x06), "lds eax, [esi] in 32-bit mode (mod != 11)"},
    {64, 6, B(0x62, 0xF1, 0x7C, 0x48, 0x58, 0xC1), "EVEX vaddps zmm"},
    /* Prefixes and limits. */
    {32, 2, B(0xF3, 0xA4, 0x90), "rep movsb"},
    {64, 3, B(0x66, 0x48, 0x90), "REX after 66"},
    {64, 3, B(0x48, 0x66, 0x90), "REX before 66 (ignored)"},
    {32, 15, B(0x2E, 0x2E, 0x2E, 0x2E, 0x2E, 0x2E, 0x2E, 0x2E, 0x2E, 0x81, 0xC1, 1, 2, 3, 4),
     "15 bytes: at the limit"},
    {32, X86_DECODE_TOO_LONG,
     B(0x2E, 0x2E, 0x2E, 0x2E, 0x2E, 0x2E, 0x2E, 0x2E, 0x2E, 0x2E, 0x81, 0xC1, 1, 2, 3, 4),
     "16 bytes: over the 15-byte limit"},
    {32, X86_DECODE_SHORT, B(0x81, 0xC1, 1, 2), "truncated immediate"},
    {64, X86_DECODE_UD, B(0x06), "push es in 64-bit mode"},
    {64, 2, B(0x63, 0xC1, 0x90), "movsxd (63 in 64-bit mode)"},
    {32, X86_DECODE_UD, B(0xFF, 0xF8), "FF /7"},
    {64, 2, B(0x41, 0x50), "push r8"},
    /* Operand encodings the SDM makes #UD, and MOV CR/DR ignoring mod. */
    {64, 3, B(0x0F, 0x21, 0x9B, 0xEF, 0xDE), "mov rbx, dr3 with mod=10: no displacement"},
    {32, 3, B(0x0F, 0x23, 0xA0, 0x12), "mov dr4, eax with mod=10 rm=100: no SIB"},
    {64, X86_DECODE_UD, B(0x47, 0x0F, 0x22, 0xDC), "mov cr11, r12: no CR11"},
    {32, X86_DECODE_UD, B(0x0F, 0x20, 0x7D), "mov ebp, cr7"},
    {64, 4, B(0x44, 0x0F, 0x22, 0xC0), "mov cr8, rax (REX.R)"},
    {16, X86_DECODE_UD, B(0x8C, 0xF6), "mov si, <sreg 6>"},
    {64, X86_DECODE_UD, B(0x8E, 0xCD), "mov cs, bp"},
    {32, X86_DECODE_UD, B(0x0F, 0xB2, 0xFB), "lss edi, ebx: register operand"},
    {64, X86_DECODE_UD, B(0x66, 0x8D, 0xD9), "lea bx, cx"},
    {32, X86_DECODE_UD, B(0xFF, 0xEF), "jmp far ebp"},
    {64, X86_DECODE_UD, B(0x0F, 0xB8, 0xE6), "0F B8 without F3 (JMPE)"},
    {64, 4, B(0xF3, 0x0F, 0xB8, 0xE6), "popcnt esp, esi"},
    {64, 2, B(0x0F, 0x33), "rdpmc"},
    {32, X86_DECODE_TOO_LONG,
     B(0xF2, 0x66, 0x2E, 0x2E, 0xF3, 0x2E, 0x2E, 0xF0, 0x3E, 0xF2, 0xF3, 0x64, 0x65, 0x36, 0x8F,
       0xD3),
     "ModRM as the 16th byte: too long before invalid"},
};

static void test_lengths(void)
{
	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		const struct lcase *c = &lengths[i];
		uint8_t buf[32] = {0};
		memcpy(buf, c->b, c->n);
		size_t avail = c->len == X86_DECODE_SHORT ? c->n : 16;
		int got = x86_insn_length(buf, avail, c->bits);
		T_CHECK(got == c->len, "%s (%d-bit): length %d, want %d", c->what, c->bits, got,
			c->len);
	}
}

struct fcase {
	int bits;
	uint64_t rip;
	unsigned n;
	uint8_t b[16];
	const char *text;
};

static const struct fcase formats[] = {
    {16, 0, B(0x00, 0x5F, 0x0E), "add byte ptr [bx+0xe], bl"},
    {16, 0, B(0x3E, 0x00, 0x90, 0x51, 0xE5), "add byte ptr ds:[bx+si-0x1aaf], dl"},
    {32, 0, B(0x8B, 0x44, 0x24, 0x08), "mov eax, dword ptr [esp+0x8]"},
    {64, 0x1000, B(0x48, 0x8B, 0x05, 0x10, 0, 0, 0), "mov rax, qword ptr [rip+0x10]"},
    {64, 0x1000, B(0xEB, 0xFE), "jmp 0x1000"},
    {16, 0x100, B(0x75, 0x02), "jne 0x104"},
    {32, 0, B(0xF3, 0xA5), "rep movsd"},
    {32, 0, B(0x0F, 0x22, 0xD8), "mov cr3, eax"},
    {64, 0, B(0x48, 0x0F, 0x44, 0xC1), "cmove rax, rcx"},
    {32, 0, B(0x90), "nop"},
    {32, 0, B(0xE6, 0xF4), "out 0xf4, al"},
    {16, 0, B(0xEA, 0x00, 0x7C, 0x00, 0x00), "jmp far 0:0x7c00"},
    {64, 0, B(0x40, 0x88, 0xE0), "mov al, spl"},
    {32, 0, B(0x88, 0xE0), "mov al, ah"},
};

static void test_format(void)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		const struct fcase *c = &formats[i];
		char buf[128];
		int len = x86_format(c->b, c->n, c->bits, c->rip, buf, sizeof(buf));
		T_CHECK(len == (int)c->n, "%s: length %d, want %u", c->text, len, c->n);
		T_STREQ(buf, c->text);
	}
}

/* Every one-byte opcode decodes to a length or #UD in every mode; never crashes
 * and never exceeds the bytes it was given. */
static void test_all_opcodes_bounded(void)
{
	static const int modes[] = {16, 32, 64};
	for (int m = 0; m < 3; m++)
		for (int a = 0; a < 256; a++)
			for (int b = 0; b < 256; b += 7) {
				uint8_t buf[16] = {(uint8_t)a, (uint8_t)b, 0x24, 0x11, 0x22, 0x33,
						   0x44,       0x55,	   0x66, 0x77, 0x88, 0x99,
						   0xAA,       0xBB,	   0xCC, 0xDD};
				int len = x86_insn_length(buf, 16, modes[m]);
				T_CHECK(len <= 15 && len != 0, "%02x %02x (%d-bit): %d", a, b,
					modes[m], len);
			}
}

int main(void)
{
	T_RUN(test_lengths);
	T_RUN(test_format);
	T_RUN(test_all_opcodes_bounded);
	T_EXIT();
}
