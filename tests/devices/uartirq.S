/*
 * uartirq.S - a 64 KiB real-mode ROM for tests/integration/devices.sh: COM1
 * received-data interrupts (IER.ERBFI, MCR.OUT2, FIFO trigger 1) through
 * IRQ4 of the 8259A master (vector 0Ch).  Prints '>' when ready, then
 * "[c]" for every byte c it receives, checking IIR says RDA ('!' if not);
 * 'q' exits through isa-debug-exit with 21h (status 67).
 * Follows the PC16550D datasheet (IER, IIR, FCR, MCR) and the 8259A's.
 */
	.code16
	.text
start:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %ss
	movw $0x7000, %sp
	movw $isr, 0x0C*4
	movw $0xF000, 0x0C*4+2
	/* 8259A pair: vectors 08h/70h, only IRQ4 unmasked */
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
	movb $0xEF, %al
	outb %al, $0x21
	movb $0xFF, %al
	outb %al, $0xA1
	/* 16550A: 115200 8N1, FIFO trigger 1, DTR|RTS|OUT2, RX interrupt */
	movw $0x3FB, %dx
	movb $0x80, %al
	outb %al, %dx
	movw $0x3F8, %dx
	movb $1, %al
	outb %al, %dx
	movw $0x3F9, %dx
	xorb %al, %al
	outb %al, %dx
	movw $0x3FB, %dx
	movb $0x03, %al
	outb %al, %dx
	movw $0x3FA, %dx
	movb $0x07, %al
	outb %al, %dx
	movw $0x3FC, %dx
	movb $0x0B, %al
	outb %al, %dx
	movw $0x3F9, %dx
	movb $0x01, %al
	outb %al, %dx
	movw $0x3F8, %dx
	movb $'>', %al
	outb %al, %dx
	sti
1:	hlt
	jmp 1b

isr:
	pushw %ax
	pushw %dx
	movw $0x3FA, %dx
	inb %dx, %al
	andb $0x0F, %al
	cmpb $0x04, %al /* RDA (trigger level 1: never the timeout id) */
	jne bad
2:	movw $0x3FD, %dx
	inb %dx, %al
	testb $1, %al
	jz 3f
	movw $0x3F8, %dx
	inb %dx, %al
	cmpb $'q', %al
	je quit
	movb %al, %ah
	movb $'[', %al
	outb %al, %dx
	movb %ah, %al
	outb %al, %dx
	movb $']', %al
	outb %al, %dx
	jmp 2b
3:	movb $0x20, %al
	outb %al, $0x20
	popw %dx
	popw %ax
	iret
bad:
	movw $0x3F8, %dx
	movb $'!', %al
	outb %al, %dx
	jmp 3b
quit:
	movb $0x21, %al
	outb %al, $0xF4
	hlt

	.org 0xFFF0
	ljmp $0xF000, $start
	.org 0x10000
