/*
 * uartirq.S - a 64 KiB real-mode ROM for tests/integration/devices.sh: COM1
 * received-data interrupts (IER.ERBFI, MCR.OUT2, FIFO trigger 1) through
 * IRQ4 of the 8259A master (vector 0Ch), serviced until IIR reads "none"
 * as Linux's 8250 driver does.  Prints '>' when ready, then "[c]" for every
 * byte c it receives; 't' enables THRE interrupts, which send "tx!" one byte
 * per THRE and then turn themselves off; any other IIR source prints '!';
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
	pushw %bx
next:	movw $0x3FA, %dx /* like Linux: service until IIR says none */
	inb %dx, %al
	testb $1, %al
	jnz done
	andb $0x0F, %al
	cmpb $0x04, %al /* RDA (trigger level 1: never the timeout id) */
	je rx
	cmpb $0x02, %al /* THRE */
	je tx
	movw $0x3F8, %dx /* any other source is wrong here */
	movb $'!', %al
	outb %al, %dx
	jmp done
rx:	movw $0x3FD, %dx
	inb %dx, %al
	testb $1, %al
	jz next
	movw $0x3F8, %dx
	inb %dx, %al
	cmpb $'q', %al
	je quit
	cmpb $'t', %al
	jne 1f
	movw $0, txi
	movw $0x3F9, %dx
	movb $0x03, %al /* ERBFI | ETBEI: THR is empty, so THRE is raised */
	outb %al, %dx
	jmp rx
1:	movb %al, %ah
	movb $'[', %al
	outb %al, %dx
	movb %ah, %al
	outb %al, %dx
	movb $']', %al
	outb %al, %dx
	jmp rx
tx:	movw txi, %bx /* one byte of "tx!" per THRE, then THRE off */
	cmpw $3, %bx
	jb 2f
	movw $0x3F9, %dx
	movb $0x01, %al
	outb %al, %dx
	jmp next
2:	movb %cs:txmsg(%bx), %al
	movw $0x3F8, %dx
	outb %al, %dx
	incw txi
	jmp next
done:	movb $0x20, %al
	outb %al, $0x20
	popw %bx
	popw %dx
	popw %ax
	iret
txmsg:	.ascii "tx!"
	.set txi, 0x602
quit:
	movb $0x21, %al
	outb %al, $0xF4
	hlt

	.org 0xFFF0
	ljmp $0xF000, $start
	.org 0x10000
