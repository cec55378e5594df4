/*
 * exit.S - exit.rom: a firmware ROM whose first instructions write 0 to the
 * test-exit port, for start-up time and memory benchmarks.  Real mode only.
 */
#include "lib.inc"

	ROM_RESET start16

	.text
	.code16
start16:
	xorb %al, %al
	outb %al, $EXIT_PORT
1:	hlt
	jmp 1b
