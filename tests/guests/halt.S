/*
 * halt.S - halt.rom: a firmware ROM that halts with interrupts off at its
 * first instruction and never wakes: a guest that costs no host CPU while a
 * test holds the machine's resources (tests/integration/blk.sh holds a disk
 * image's lock with it).  Real mode only.
 */
#include "lib.inc"

	ROM_RESET start16

	.text
	.code16
start16:
	cli
1:	hlt
	jmp 1b
