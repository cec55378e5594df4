/*
 * x86/fpuhost.c - runs one x87 instruction on the host's own x87 FPU: the
 * emulator's only host-specific file (the emulator runs on x86-64 hosts).
 * FRSTOR loads the guest's whole x87 state (registers, tags, TOP, control
 * word), the instruction runs as the guest wrote it (a memory operand
 * becomes [RDI], a host buffer), and FNSAVE, which does not wait and so never
 * traps on an unmasked exception, reads the outcome back and reinitialises
 * the host FPU; the host's control word is then put back.
 * Not the bookkeeping around it (x87.c).
 * Follows Intel SDM vol. 1 8.1.10 (the FSAVE image), vol. 2 FRSTOR/FNSAVE.
 */
#include "x86/fpuhost.h"

/*
 * The stubs: for each escape byte D8-DF, 8 memory forms (ModRM mod 00, reg,
 * r/m 111 = [RDI]) then the 64 register forms (ModRM C0-FF), each the two
 * instruction bytes and a RET, 4 bytes apart.
 */
__asm__(".pushsection .text\n"
	".balign 16\n"
	"fpuhost_stubs:\n"
	".irp esc, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf\n"
	"  .irp reg, 0, 1, 2, 3, 4, 5, 6, 7\n"
	"    .byte \\esc, (\\reg << 3) | 7, 0xc3, 0x90\n"
	"  .endr\n"
	"  .irp m, 0xc0, 0xc8, 0xd0, 0xd8, 0xe0, 0xe8, 0xf0, 0xf8\n"
	"    .irp rm, 0, 1, 2, 3, 4, 5, 6, 7\n"
	"      .byte \\esc, \\m + \\rm, 0xc3, 0x90\n"
	"    .endr\n"
	"  .endr\n"
	".endr\n"
	/*
	 * uint64_t fpuhost_call(void *mem, void *image, const void *stub,
	 *                       uint64_t rflags): RDI, RSI, RDX, RCX.
	 * RFLAGS in (FCMOVcc reads it) and out (FCOMI writes it).
	 */
	".balign 16\n"
	"fpuhost_call:\n"
	"  sub $8, %rsp\n"
	"  fnstcw (%rsp)\n"
	"  push %rcx\n"
	"  popfq\n"
	"  frstor (%rsi)\n"
	"  call *%rdx\n"
	"  pushfq\n"
	"  pop %rax\n"
	"  fnsave (%rsi)\n"
	"  fldcw (%rsp)\n"
	"  add $8, %rsp\n"
	"  ret\n"
	".popsection\n");

extern const uint8_t fpuhost_stubs[];
uint64_t fpuhost_call(void *mem, void *image, const void *stub, uint64_t rflags);

/* Only the arithmetic flags go in; DF and TF must stay as the C code has them. */
#define FPUHOST_FLAGS 0x8D5u /* OF SF ZF AF PF CF */

uint64_t fpuhost_run(struct fpuhost_image *img, uint8_t esc, uint8_t modrm, void *mem,
		     uint64_t rflags)
{
	unsigned slot = (modrm >> 6) == 3 ? 8 + (modrm & 0x3F) : (modrm >> 3) & 7;
	const uint8_t *stub = fpuhost_stubs + ((esc & 7) * 72 + slot) * 4;
	return fpuhost_call(mem, img, stub, (rflags & FPUHOST_FLAGS) | 2);
}
