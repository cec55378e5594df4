/*
 * bigrom.S - bigrom.rom: a 256 KiB firmware ROM (rom256.ld) checking where a
 * ROM larger than 64 KiB appears: whole below 4 GiB (its first byte at
 * FFFC0000h), and only its last 128 KiB aliased below 1 MiB at E0000h-FFFFFh.
 * Not a test of ROM write protection.  Follows the PC/AT memory map (the
 * BIOS area E0000h-FFFFFh) as QEMU and ember implement it.
 */
#include "lib.inc"

	.section .sig0, "a"
sig0:	.asciz "bigrom: first byte of the ROM"
	.section .sig1, "a"
sig1:	.asciz "bigrom: start of the last 128 KiB"

	ROM_RESET start16

	.text
	.code16
start16:
	REAL_INIT
	PUTS16 "bigrom: real mode, 256 KiB ROM\n"
	/* Real mode, DS=E000h: the last 128 KiB starts at E0000h. */
	movw $1, %bp
	movw $0xe000, %ax
	movw %ax, %ds
	xorw %si, %si
	movw $REL16(sig1_copy), %di
	movw $sig1_len, %cx
1:	movb %cs:(%di), %al
	cmpb (%si), %al
	jne 2f
	incw %si
	incw %di
	loop 1b
	xorw %bp, %bp
2:	xorw %ax, %ax
	movw %ax, %ds
	testw %bp, %bp
	jnz 3f
	PUTS16 "bigrom: E0000h shows the start of the last 128 KiB\n"
	jmp 4f
3:	PUTS16 "bigrom: FAIL E0000h does not show the last 128 KiB\n"
4:	movw %bp, %bx
	ENTER_PM32 REL16(gdt_desc), pm32
	movl %ebx, %ebp
	movl $sig0, %esi
	movl $sig0_copy, %edi
	movl $sig0_len, %ecx
	repe cmpsb
	je 5f
	orl $2, %ebp
	PUTS32 "bigrom: FAIL FFFC0000h is not the ROM's first byte\n"
	jmp 6f
5:	PUTS32 "bigrom: FFFC0000h shows the first byte of the ROM\n"
6:	movl $sig1, %esi
	movl $0xe0000, %edi
	movl $sig1_len, %ecx
	repe cmpsb
	je 7f
	orl $4, %ebp
	PUTS32 "bigrom: FAIL E0000h differs from FFFE0000h\n"
	jmp 8f
7:	PUTS32 "bigrom: E0000h and FFFE0000h hold the same bytes\n"
8:	movl %ebp, %eax
	jmp lib_exit32

sig0_copy:	.asciz "bigrom: first byte of the ROM"
	.set sig0_len, . - sig0_copy
sig1_copy:	.asciz "bigrom: start of the last 128 KiB"
	.set sig1_len, . - sig1_copy

	GDT_DESC
