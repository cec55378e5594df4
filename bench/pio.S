/*
 * pio.S - pio.rom: PIO_COUNT writes to the POST port (80h) in a real-mode
 * loop, then a write to the test-exit port: the port-I/O exit round-trip
 * benchmark.  The same ROM runs under ember and bench/rawkvm.c, so the loop's
 * own instructions cost both the same.
 */
#include "lib.inc"

#define PIO_COUNT 50000

	ROM_RESET start16

	.text
	.code16
start16:
	movw $PIO_COUNT, %cx
1:	outb %al, $POST_PORT
	loop 1b
	xorb %al, %al
	outb %al, $EXIT_PORT
2:	hlt
	jmp 2b
