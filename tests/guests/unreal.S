/*
 * unreal.S - unreal.rom: "big real mode" (real mode with 4 GiB data segment
 * limits left over from protected mode), 32-bit addressing from real mode
 * above 1 MiB and up to the ROM at 4 GiB, addr32 string moves, and real-mode
 * interrupts through the IVT (INT n and #DE).  Not a test of limit checks
 * (QEMU's TCG, the oracle, does not enforce real-mode limits).
 * Follows Intel SDM Vol. 3A 9.9.2 (switching back to real mode), 20.1.4
 * (real-mode interrupt handling) and 3.4.3 (hidden segment parts).
 */
#include "lib.inc"

#define IVT_INT30 (0x30 * 4)
#define IVT_DE    (0 * 4)
#define VAR_INT30 0x600 /* word: INT 30h handler calls */
#define VAR_DE    0x602 /* word: #DE handler calls */

	ROM_RESET start16

	.text
	.code16
start16:
	ljmp $0xf000, $REL16(low16) /* run from the alias: real mode comes back */
low16:
	REAL_INIT
	PUTS16 "unreal: real mode\n"
	movw $0xf000, %ax
	movw %ax, %fs
	movw %ax, %gs

	/* PE on, 4 GiB limits into DS/ES/FS/GS, PE off, then real segments. */
	lgdtl %cs:REL16(gdt_desc)
	movl $0x00000011, %eax
	movl %eax, %cr0
	ljmp $SEL_CODE16, $REL16(pm16)
pm16:
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	movl $0x00000010, %eax
	movl %eax, %cr0
	ljmp $0xf000, $REL16(real2)
real2:
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	PUTS16 "unreal: back in real mode with 4 GiB limits\n"
	xorw %bp, %bp /* failure bits */

	/* Two different dwords at 2 MiB and 8 MiB through DS and FS. */
	movl $0x00200000, %esi
	movl $0x00800000, %edi
	movl $0x12345678, %eax
	movl $0x9abcdef0, %ebx
	addr32 movl %eax, (%esi)
	addr32 movl %ebx, %fs:(%edi)
	addr32 movl %gs:(%esi), %ecx
	addr32 movl (%edi), %edx
	cmpl %eax, %ecx
	jne 1f
	cmpl %ebx, %edx
	je 2f
1:	orw $1, %bp
	PUTS16 "unreal: FAIL data above 1 MiB\n"
	jmp 3f
2:	PUTS16 "unreal: data at 00200000h and 00800000h ok\n"
3:
	/* The reset vector (E9h, jmp rel16) read at FFFFFFF0h from real mode. */
	movl $0xfffffff0, %esi
	addr32 movb (%esi), %al
	cmpb $0xe9, %al
	je 4f
	orw $2, %bp
	PUTS16 "unreal: FAIL reading FFFFFFF0h\n"
	jmp 5f
4:	PUTS16 "unreal: ROM byte at FFFFFFF0h is E9h\n"
5:
	/* addr32 rep movsb: 256 ROM bytes from FFFF0000h to 00600000h. */
	movl $ROM_BASE, %esi
	movl $0x00600000, %edi
	movl $256, %ecx
	addr32 rep movsb
	cmpl $0x00600100, %edi
	jne 6f
	testl %ecx, %ecx
	jne 6f
	/* ...must equal the alias at F000:0000 (FS=F000h again). */
	movw $0xf000, %ax
	movw %ax, %fs
	movl $0x00600000, %esi
	xorw %bx, %bx
7:	addr32 movb (%esi), %al
	cmpb %fs:(%bx), %al
	jne 6f
	incl %esi
	incw %bx
	cmpw $256, %bx
	jb 7b
	PUTS16 "unreal: addr32 rep movsb from the 4 GiB ROM ok\n"
	jmp 8f
6:	orw $4, %bp
	PUTS16 "unreal: FAIL addr32 rep movsb\n"
8:
	/* INT 30h and #DE through the IVT. */
	movw $0, VAR_INT30
	movw $0, VAR_DE
	movw $REL16(int30_handler), IVT_INT30
	movw $0xf000, IVT_INT30 + 2
	movw $REL16(de_handler), IVT_DE
	movw $0xf000, IVT_DE + 2
	movw $0x1234, %ax
	int $0x30
	cmpw $0x3412, %ax
	jne 9f
	cmpw $1, VAR_INT30
	jne 9f
	PUTS16 "unreal: INT 30h via IVT ok\n"
	jmp 10f
9:	orw $8, %bp
	PUTS16 "unreal: FAIL INT 30h\n"
10:
	movw $100, %ax
	xorb %bl, %bl
	divb %bl /* #DE: a fault, the handler skips these two bytes */
	cmpw $1, VAR_DE
	jne 11f
	cmpw $100, %ax
	jne 11f
	PUTS16 "unreal: #DE via IVT ok\n"
	jmp 12f
11:	orw $16, %bp
	PUTS16 "unreal: FAIL #DE\n"
12:
	movw %bp, %ax
	outb %al, $EXIT_PORT
13:	hlt
	jmp 13b

/* INT 30h: swap AL and AH (1234h becomes 3412h) and count the call. */
int30_handler:
	xchgb %al, %ah
	incw VAR_INT30
	iret

/* #DE pushes the address of the faulting DIV: step over it (F6 F3). */
de_handler:
	pushw %bp
	movw %sp, %bp
	addw $2, 2(%bp)
	popw %bp
	incw VAR_DE
	iret

	GDT_DESC
