/*
 * reset.S - reset.rom: a 64 KiB firmware ROM that walks a PC from the reset
 * vector through real mode, 32-bit protected mode and long mode, printing on
 * COM1 at each stage.  Not a BIOS: no services, no tables.  Follows Intel
 * SDM Vol. 3A 9.1 (reset state), 9.9 (mode switching), 9.8.5 (IA-32e init).
 *
 * The exact sequence (a test asserts it from ember's CR/MSR trace):
 *
 *   reset  real mode, CS=F000h base FFFF0000h, IP=FFF0h: jmp start16
 *   POST 01h  real mode at CS base FFFF0000h; COM1 set to 115200 8N1
 *   far jmp F000h:alias16  -> runs from the ROM's alias below 1 MiB
 *   POST 02h  real mode at CS base F0000h
 *   lgdt (flat GDT in the ROM, lib.inc)
 *   CR0  <- 00000011h  (PE|ET)                 write 1: protected mode
 *   far jmp 08h:pm32   (32-bit code)
 *   POST 03h  32-bit protected mode, paging off
 *   page tables at 10000h: PML4 -> PDPT 11000h -> PD 12000h (0-1 GiB) and
 *     PD 13000h (3-4 GiB, so the ROM stays mapped), 2 MiB pages, identity
 *   CR4  <- 00000020h  (PAE)                   write 2
 *   CR3  <- 00010000h                          write 3
 *   EFER <- 00000100h  (LME) with wrmsr        write 4
 *   CR0  <- 80000011h  (PG|ET|PE)              write 5: IA-32e mode (LMA=1)
 *   far jmp 18h:lm64   (64-bit code)
 *   POST 04h  64-bit mode; self-check: fib(90) and the sum of cubes 1..1000
 *   POST 05h  self-check passed
 *   out 2Ah to port F4h (exit status 85); 01h (status 3) if a check failed
 */
#include "lib.inc"

#define PT_BASE 0x10000
#define EXIT_OK 0x2a

	ROM_RESET start16

	.text
	.code16
start16:
	cli
	cld
	movb $0x01, %al
	outb %al, $POST_PORT
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw $0x7000, %sp
	/* 115200 8N1: DLAB=1, divisor 1, then 8 data bits, no parity. */
	movw $COM1 + 3, %dx
	movb $0x80, %al
	outb %al, %dx
	movw $COM1, %dx
	movb $1, %al
	outb %al, %dx
	movw $COM1 + 1, %dx
	xorb %al, %al
	outb %al, %dx
	movw $COM1 + 3, %dx
	movb $0x03, %al
	outb %al, %dx
	movw $REL16(msg_real), %si
	call lib_puts16
	ljmp $0xf000, $REL16(alias16)

alias16:
	movb $0x02, %al
	outb %al, $POST_PORT
	movw $REL16(msg_alias), %si
	call lib_puts16
	lgdtl %cs:REL16(gdt_desc)
	movl $0x00000011, %eax
	movl %eax, %cr0
	ljmpl $SEL_CODE32, $pm32

	.code32
pm32:
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	movw %ax, %ss
	movl $0x90000, %esp
	movb $0x03, %al
	outb %al, $POST_PORT
	movl $msg_pm, %esi
	call lib_puts32
	movl %cr0, %eax
	call lib_puthex32
	movb $'\n', %al
	call lib_putc32

	/* Four zeroed pages, then the identity map with 2 MiB pages. */
	movl $PT_BASE, %edi
	movl $4 * 4096 / 4, %ecx
	xorl %eax, %eax
	rep stosl
	movl $PT_BASE + 0x1000 + 3, PT_BASE             /* PML4[0] -> PDPT */
	movl $PT_BASE + 0x2000 + 3, PT_BASE + 0x1000     /* PDPT[0] -> PD 0-1G */
	movl $PT_BASE + 0x3000 + 3, PT_BASE + 0x1000 + 24 /* PDPT[3] -> PD 3-4G */
	IDMAP_2M (PT_BASE + 0x2000), (PT_BASE + 0x3000) /* P | RW | PS */

	ENTER_LM64 PT_BASE, lm64

	movb $0x04, %al
	outb %al, $POST_PORT
	leaq msg_lm(%rip), %rsi
	call lib_puts64
	movl $0xc0000080, %ecx
	rdmsr
	shlq $32, %rdx
	orq %rdx, %rax
	call lib_puthex64
	leaq msg_nl(%rip), %rsi
	call lib_puts64

	/* fib(90) with r8/r9 and the sum of i^3 for i = 1..1000. */
	xorl %r8d, %r8d
	movl $1, %r9d
	movl $90, %ecx
2:	leaq (%r8, %r9), %r10
	movq %r9, %r8
	movq %r10, %r9
	loop 2b
	leaq msg_fib(%rip), %rsi
	call lib_puts64
	movq %r8, %rax
	call lib_puthex64
	xorl %r11d, %r11d
	movl $1000, %ecx
3:	movq %rcx, %rax
	imulq %rcx, %rax
	imulq %rcx, %rax
	addq %rax, %r11
	loop 3b
	leaq msg_cubes(%rip), %rsi
	call lib_puts64
	movq %r11, %rax
	call lib_puthex64
	leaq msg_nl(%rip), %rsi
	call lib_puts64

	movabsq $2880067194370816120, %rax
	cmpq %rax, %r8
	jne 4f
	movabsq $250500250000, %rax
	cmpq %rax, %r11
	jne 4f
	movb $0x05, %al
	outb %al, $POST_PORT
	leaq msg_ok(%rip), %rsi
	call lib_puts64
	movb $EXIT_OK, %al
	outb %al, $EXIT_PORT
	jmp 5f
4:	leaq msg_bad(%rip), %rsi
	call lib_puts64
	movb $0x01, %al
	outb %al, $EXIT_PORT
5:	cli
	hlt
	jmp 5b

msg_real:	.asciz "reset.rom: real mode, CS base FFFF0000h\n"
msg_alias:	.asciz "reset.rom: real mode, CS=F000h (ROM alias below 1 MiB)\n"
msg_pm:		.asciz "reset.rom: protected mode, CR0="
msg_lm:		.asciz "reset.rom: long mode, EFER="
msg_fib:	.asciz "reset.rom: self-check fib(90)="
msg_cubes:	.asciz " sum(i^3)="
msg_ok:		.asciz "reset.rom: self-check ok\n"
msg_bad:	.asciz "reset.rom: self-check FAILED\n"
msg_nl:		.asciz "\n"

	GDT_DESC
