/*
 * x86/fpuhost.h - one x87 instruction on the host FPU (fpuhost.c).
 * Not used by anything but x87.c.
 */
#ifndef EMBER_X86_FPUHOST_H
#define EMBER_X86_FPUHOST_H

#include <stdint.h>

/* The 108-byte FSAVE image, 32-bit protected-mode format (SDM vol. 1, 8.1.10):
 * registers in ST order, the full tag word by physical register. */
struct fpuhost_image {
	uint16_t fcw, pad0;
	uint16_t fsw, pad1;
	uint16_t ftw, pad2;
	uint32_t fip;
	uint16_t fcs, fop;
	uint32_t fdp;
	uint16_t fds, pad3;
	uint8_t st[8][10];
} __attribute__((packed));

_Static_assert(sizeof(struct fpuhost_image) == 108, "FSAVE image");

/*
 * Run the x87 instruction esc (D8-DF), modrm on the state in *img, which it
 * updates.  A memory form (mod != 3) uses mem, at least 10 bytes, instead of
 * the guest's operand.  rflags: CF, PF, ZF... as the instruction reads them;
 * returns RFLAGS after it.  The host's own x87 state is left as it was found
 * (empty stack, control word).
 */
uint64_t fpuhost_run(struct fpuhost_image *img, uint8_t esc, uint8_t modrm, void *mem,
		     uint64_t rflags);

#endif
