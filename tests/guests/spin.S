/*
 * spin.S - spin.rom: the guest of tests/integration/profile.sh.  From the
 * reset vector, still in real mode (CS base FFFF0000h, so an instruction's
 * linear address is its link address in spin.rom.elf), it runs two labelled
 * loops of two instructions each, hot_loop 900,000 times and cold_loop
 * 100,000 times: 90% and 10% of the instructions retired, which a profile
 * sampling by instruction count must report.  Then exit status 1.
 */
#include "lib.inc"

	.section .reset, "ax"
	.code16
	.globl reset_vector
reset_vector:
	jmp start16

	.text
	.code16
start16:
	movl $900000, %ecx
hot_loop:
	decl %ecx
	jnz hot_loop
	movl $100000, %ecx
cold_loop:
	decl %ecx
	jnz cold_loop
	movb $0, %al
	outb %al, $EXIT_PORT
	hlt
