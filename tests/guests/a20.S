/*
 * a20.S - a20.rom: the A20 gate from real mode.  FFFF:0510h is physical
 * 100500h with the gate open and 000500h with it closed (A20M#: the CPU's
 * physical address bit 20 forced to 0, as the 8086 wrapped at 1 MiB).
 * The gate is closed and opened through the 8042 (commands DDh/DFh, and
 * D1h writing the output port, bit 1) and through port 92h (bit 1).  On a
 * PIIX the two are ORed; QEMU's pc takes the last write: so the gate is
 * only closed here with both closed, where the two agree (QEMU's TCG is
 * the oracle for the transcript).  Follows the IBM PC/AT Technical
 * Reference (8042 output port) and the IBM PS/2 Hardware Interface
 * Technical Reference (port 92h).
 */
#include "lib.inc"

#define KBC_DATA 0x60
#define KBC_CMD  0x64

	ROM_RESET start16

/* EXPECT_AT_100500 value, failure bit, "what": the byte at FFFF:0510h. */
.macro EXPECT_AT_100500 v, bit, what
	movb %es:0x510, %al
	cmpb $\v, %al
	je 1f
	orw $\bit, %bp
	PUTS16 "a20: FAIL \what\n"
	jmp 2f
1:	PUTS16 "a20: \what\n"
2:
.endm

	.text
	.code16
start16:
	ljmp $0xf000, $REL16(low16)
low16:
	REAL_INIT
	PUTS16 "a20: real mode\n"
	xorw %bp, %bp /* failure bits */
	movw $0xffff, %ax
	movw %ax, %es
	movb $0x11, 0x500	/* 000500h */
	movb $0x22, %es:0x510	/* 100500h while the gate is open */
	EXPECT_AT_100500 0x22, 1, "open at reset: FFFF:0510h is 100500h"

	movb $0xdd, %al		/* 8042: close the gate */
	call kbc_cmd
	inb $0x92, %al
	andb $0xfc, %al		/* port 92h: bit 1 clear (bit 0, reset, stays 0) */
	outb %al, $0x92
	EXPECT_AT_100500 0x11, 2, "closed by 8042 DDh and port 92h: FFFF:0510h wraps to 000500h"
	movb $0x33, %es:0x510	/* written through the wrap, lands at 000500h */
	cmpb $0x33, 0x500
	je 3f
	orw $4, %bp
	PUTS16 "a20: FAIL write through the wrap\n"
	jmp 4f
3:	PUTS16 "a20: a write to FFFF:0510h lands at 000500h\n"
4:
	inb $0x92, %al
	orb $0x02, %al
	andb $0xfe, %al
	outb %al, $0x92
	EXPECT_AT_100500 0x22, 8, "opened by port 92h"
	inb $0x92, %al
	andb $0xfc, %al
	outb %al, $0x92
	EXPECT_AT_100500 0x33, 16, "closed by port 92h"
	movb $0xdf, %al
	call kbc_cmd
	EXPECT_AT_100500 0x22, 32, "opened by 8042 DFh"
	movb $0xd1, %al		/* 8042: write the output port... */
	call kbc_cmd
	call kbc_wait
	movb $0xdd, %al		/* ...reset line high (bit 0), A20 (bit 1) low */
	outb %al, $KBC_DATA
	EXPECT_AT_100500 0x33, 64, "closed by 8042 D1h (output port bit 1)"
	movb $0xdf, %al
	call kbc_cmd
	EXPECT_AT_100500 0x22, 128, "opened by 8042 DFh again"

	movw %bp, %ax
	outb %al, $EXIT_PORT
5:	hlt
	jmp 5b

/* kbc_wait: until the 8042's input buffer is empty (status bit 1). */
kbc_wait:
	pushw %ax
6:	inb $KBC_CMD, %al
	testb $2, %al
	jnz 6b
	popw %ax
	ret

/* kbc_cmd: command AL to the 8042. */
kbc_cmd:
	call kbc_wait
	outb %al, $KBC_CMD
	call kbc_wait
	ret
