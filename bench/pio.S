/*
 * pio.S - pio.rom: PIO_OUTER x PIO_COUNT writes to the POST port (80h) in a
 * real-mode loop, then a write to the test-exit port: the port-I/O exit
 * round-trip benchmark.  The same ROM runs under ember and bench/rawkvm.c,
 * so the loop's own instructions cost both the same.  pio64.S includes this
 * file with PIO_OUTER 64 for the emulators, where one exit is cheap.
 */
#include "lib.inc"

#ifndef PIO_OUTER
#define PIO_OUTER 1
#endif
#define PIO_COUNT 50000

	ROM_RESET start16

	.text
	.code16
start16:
	movw $PIO_OUTER, %bx
1:	movw $PIO_COUNT, %cx
2:	outb %al, $POST_PORT
	loop 2b
	decw %bx
	jnz 1b
	xorb %al, %al
	outb %al, $EXIT_PORT
3:	hlt
	jmp 3b
