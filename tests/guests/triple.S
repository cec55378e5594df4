/*
 * triple.S - triple.rom: prints one line on COM1, then makes the processor
 * shut down: with an IDT limit of 0, INT3 in real mode finds no vector
 * (#GP), whose delivery fails too (#DF), whose delivery fails again: a
 * triple fault.  ember must stop with exit status 4 and a register dump.
 * Follows Intel SDM Vol. 3A 20.1.4 (real-mode IDT limit) and 7.15 (#DF).
 */
#include "lib.inc"

	ROM_RESET start16

	.text
	.code16
start16:
	cli
	movw $REL16(msg), %si
	call lib_puts16
	lidtw %cs:REL16(idt_empty)
	int3
	/* Never reached: a CPU that returns here prints this and exits 3. */
	movw $REL16(msg_bad), %si
	call lib_puts16
	movb $1, %al
	outb %al, $EXIT_PORT
	hlt

idt_empty:
	.word 0
	.long 0
msg:
	.asciz "triple.rom: INT3 with an empty IDT\n"
msg_bad:
	.asciz "triple.rom: survived a triple fault\n"
