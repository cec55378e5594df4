/*
 * kbdirq.S - a 64 KiB real-mode ROM for tests/integration/devices.sh: the
 * i8042 self-test (polled, 55h), then the keyboard's identify command (F2h)
 * answered by interrupt on IRQ1 (vector 09h), one byte per interrupt as
 * Linux's i8042 driver reads them: FAh ABh 41h (translated).  Then the
 * 8042's pulse-reset command FEh, which stops ember with status 0.
 * Follows the IBM PC/AT Technical Reference (8042, keyboard commands).
 */
	.code16
	.text
start:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %ss
	movw $0x7000, %sp
	movw $0, count
	movw $isr, 0x09*4
	movw $0xF000, 0x09*4+2
	movb $0x11, %al
	outb %al, $0x20
	outb %al, $0xA0
	movb $0x08, %al
	outb %al, $0x21
	movb $0x70, %al
	outb %al, $0xA1
	movb $0x04, %al
	outb %al, $0x21
	movb $0x02, %al
	outb %al, $0xA1
	movb $0x01, %al
	outb %al, $0x21
	outb %al, $0xA1
	movb $0xFD, %al /* IRQ1 only */
	outb %al, $0x21
	movb $0xFF, %al
	outb %al, $0xA1
	/* i8042: interrupts off (as Linux does), self-test (polled), then
	 * keyboard identify by interrupt */
	movb $0x60, %al
	outb %al, $0x64
	movb $0x44, %al
	outb %al, $0x60
	movb $0xAA, %al
	outb %al, $0x64
1:	inb $0x64, %al
	testb $1, %al
	jz 1b
	inb $0x60, %al
	call puthex
	movb $0x60, %al /* command byte: keyboard interrupt, translation */
	outb %al, $0x64
	movb $0x45, %al
	outb %al, $0x60
	sti
	movb $0xF2, %al
	outb %al, $0x60
9:	cli /* test and halt atomically: STI's shadow covers HLT */
	cmpw $3, count
	jae 8f
	sti
	hlt
	jmp 9b
8:
	movb $0xFE, %al /* pulse the reset line */
	outb %al, $0x64
	hlt

isr:
	pushw %ax
	inb $0x60, %al
	call puthex
	incw count
	movb $0x20, %al
	outb %al, $0x20
	popw %ax
	iret

/* puthex: AL as two hex digits and a space on COM1 */
puthex:
	pushw %ax
	pushw %dx
	pushw %bx
	movw $0x3F8, %dx
	movb %al, %bl
	shrb $4, %al
	call nib
	movb %bl, %al
	andb $0x0F, %al
	call nib
	movb $' ', %al
	outb %al, %dx
	popw %bx
	popw %dx
	popw %ax
	ret
nib:
	addb $'0', %al
	cmpb $'9', %al
	jbe 1f
	addb $('a' - '9' - 1), %al
1:	outb %al, %dx
	ret

	.set count, 0x600
	.org 0xFFF0
	ljmp $0xF000, $start
	.org 0x10000
