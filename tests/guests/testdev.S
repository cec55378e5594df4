/*
 * testdev.S - testdev.rom: QEMU's pc-testdev as test kernels use it, QEMU's
 * pc machine with -device pc-testdev the oracle: the scratch register at
 * E0h read and written in every width and byte lane, the flush-page port
 * (the page keeps its contents), an interrupt line at 2000h + n raised and
 * lowered through the 8259A (IRQ5, edge: one interrupt per rising edge,
 * none while it stays high or when lowered), and the scratch MMIO at
 * FF000000h.  Not a test of the 8259A itself (irq.rom).
 * Follows the behaviour of QEMU's hw/misc/pc-testdev.c.
 */
#include "lib.inc"

#define IDT	  0x1000
#define VAR_COUNT 0x510
#define PAGE	  0x6000
#define IOMEM	  0xff000000
#define LAPIC_SVR  0xfee000f0
#define LAPIC_LVT0 0xfee00350
#define LAPIC_LVT1 0xfee00360

	BOOT_PM32
	movl $0, VAR_FAILS
	movl $0, VAR_COUNT

	movl $0x12345678, %eax
	outl %eax, $0xe0
	PUTS32 "testdev: dword back"
	inl $0xe0, %eax
	EXPECT32 %eax, 0x12345678
	PUTS32 "testdev: byte at E1h"
	xorl %eax, %eax
	inb $0xe1, %al
	EXPECT32 %eax, 0x56
	PUTS32 "testdev: word at E2h"
	xorl %eax, %eax
	inw $0xe2, %ax
	EXPECT32 %eax, 0x1234
	movb $0xab, %al
	outb %al, $0xe3
	movw $0xcdef, %ax
	outw %ax, $0xe0
	PUTS32 "testdev: after a byte at E3h and a word at E0h"
	inl $0xe0, %eax
	EXPECT32 %eax, 0xab34cdef

	/* Flush page: the page is still there, with its contents. */
	movl $0x5a5a5a5a, PAGE + 0x10
	movl $PAGE, %eax
	outl %eax, $0xe4
	PUTS32 "testdev: page after a flush"
	movl PAGE + 0x10, %eax
	EXPECT32 %eax, 0x5a5a5a5a

	/* Scratch MMIO. */
	movl $0x11223344, IOMEM + 0x100
	movw $0x5566, IOMEM + 0x102
	PUTS32 "testdev: MMIO dword after a word"
	movl IOMEM + 0x100, %eax
	EXPECT32 %eax, 0x55663344
	PUTS32 "testdev: MMIO byte"
	movzbl IOMEM + 0x103, %eax
	EXPECT32 %eax, 0x55

	/* IRQ5 through the 8259A in virtual wire mode. */
	PIC_INIT 0xdf, 0xff
	movl $IDT, %edi
	call lib_idt32_setup
	movl $0x000001ff, LAPIC_SVR
	movl $0x00000700, LAPIC_LVT0
	movl $0x00000400, LAPIC_LVT1
	movw $0x2005, %dx
	movb $1, %al
	outb %al, %dx /* line 5 high: one request */
	sti
	movl $1000, %ecx
1:	loop 1b
	cli
	PUTS32 "testdev: IRQ5 raised, interrupts"
	movl VAR_COUNT, %eax
	EXPECT32 %eax, 1
	sti
	movl $1000, %ecx
2:	loop 2b
	cli
	PUTS32 "testdev: IRQ5 still high, no more"
	movl VAR_COUNT, %eax
	EXPECT32 %eax, 1
	movw $0x2005, %dx
	movb $0, %al
	outb %al, %dx
	movb $1, %al
	outb %al, %dx /* a new rising edge */
	sti
	movl $1000, %ecx
3:	loop 3b
	cli
	PUTS32 "testdev: IRQ5 lowered and raised again"
	movl VAR_COUNT, %eax
	EXPECT32 %eax, 2
	movb $0, %al
	outb %al, %dx

	FAILS_EXIT32 "testdev"

/* exc32: IRQ5 (vector 25h) counts and acknowledges. */
exc32:
	pushl %eax
	cmpl $0x25, 4(%esp)
	jne 1f
	movb $0x20, %al
	outb %al, $0x20
	incl VAR_COUNT
	popl %eax
	addl $8, %esp
	iret
1:	PUTS32 "testdev: unexpected vector "
	movl 4(%esp), %eax
	call lib_puthex32
	EXIT32_UNEXPECTED

	IDT32_STUBS

	GDT_DESC
