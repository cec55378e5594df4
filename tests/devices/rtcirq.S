/*
 * rtcirq.S - a 64 KiB real-mode ROM for tests/integration/devices.sh: ten
 * RTC periodic interrupts (register A rate 10 = 64 Hz, register B PIE) on
 * IRQ8, through the slave 8259A cascaded on the master's IR2 (vector 70h),
 * each acknowledged by reading register C (IRQF | PF must be set).  Prints
 * "ok" and exits through isa-debug-exit with 10h (status 33).
 * Follows the MC146818A datasheet (registers A-C) and the 8259A's.
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
	movw $isr, 0x70*4
	movw $0xF000, 0x70*4+2
	/* 8259A pair: vectors 08h/70h; master: only the cascade, slave: IRQ8 */
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
	movb $0xFB, %al
	outb %al, $0x21
	movb $0xFE, %al
	outb %al, $0xA1
	/* RTC: 64 Hz periodic interrupt (rate 10), PIE, 24-hour BCD */
	movb $0x8A, %al /* NMI stays masked while we program it */
	outb %al, $0x70
	movb $0x2A, %al
	outb %al, $0x71
	movb $0x8B, %al
	outb %al, $0x70
	movb $0x42, %al
	outb %al, $0x71
	movb $0x0C, %al
	outb %al, $0x70
	inb $0x71, %al
	sti
9:	cli /* test and halt atomically: STI's shadow covers HLT */
	cmpw $10, count
	jae 8f
	sti
	hlt
	jmp 9b
8:
	movw $0x3F8, %dx
	movb $'o', %al
	outb %al, %dx
	movb $'k', %al
	outb %al, %dx
	movb $0x10, %al
	outb %al, $0xF4
	hlt

isr:
	pushw %ax
	movb $0x0C, %al
	outb %al, $0x70
	inb $0x71, %al
	andb $0xC0, %al
	cmpb $0xC0, %al /* IRQF | PF */
	jne 2f
	incw count
2:	movb $0x20, %al
	outb %al, $0xA0
	outb %al, $0x20
	popw %ax
	iret

	.set count, 0x600
	.org 0xFFF0
	ljmp $0xF000, $start
	.org 0x10000
