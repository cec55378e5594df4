/*
 * irq.S - irq.rom: a hardware interrupt path: the 8254 PIT channel 0 (mode 2,
 * 1 kHz) raising IRQ0 through the 8259A master PIC (vector 20h) into a
 * 32-bit handler that counts it, HLT waiting for interrupts, IRR/ISR as seen
 * through OCW3, EOI, and IMR masking.  Every printed line is independent of
 * timing: the guest waits for events, it never measures them.
 * Follows the Intel 8259A and 8254 data sheets, SDM Vol. 3A 6.8 (IF) and
 * 10.5.1 (LVT), MP spec 1.4 3.6.2.2 (virtual wire mode).
 */
#include "lib.inc"

#define IDT       0x1000
#define VAR_COUNT 0x510
#define VAR_ISR   0x514 /* ISR read inside the first handler call */
#define VAR_ISR2  0x518 /* ...and after its EOI */
#define PIT_HZ    1193182
#define TICK_HZ   1000
#define LAPIC_SVR  0xfee000f0 /* layout.h LAYOUT_LAPIC_BASE + F0h */
#define LAPIC_LVT0 0xfee00350
#define LAPIC_LVT1 0xfee00360

	BOOT_PM32
	movl $0, VAR_FAILS
	movl $0, VAR_COUNT
	movl $-1, VAR_ISR
	/* ICW1-4: edge triggered, cascade, vectors 20h/28h, 8086 mode. */
	PIC_INIT 0xfe, 0xff /* only IRQ0 */
	movl $IDT, %edi
	call lib_idt32_setup
	PUTS32 "irq: PIC at 20h/28h, IMR fe/ff\n"
	/*
	 * Virtual wire mode (MP spec 1.4, 3.6.2.2): the local APIC comes out
	 * of reset with LINT0 masked, so the 8259's INTR reaches the CPU only
	 * once the APIC is enabled with LINT0 as ExtINT (and LINT1 as NMI).
	 */
	movl $0x000001ff, LAPIC_SVR
	movl $0x00000700, LAPIC_LVT0
	movl $0x00000400, LAPIC_LVT1
	PUTS32 "irq: local APIC in virtual wire mode\n"

	/* PIT channel 0: lobyte/hibyte, mode 2 (rate generator), 1 kHz. */
	movb $0x34, %al
	outb %al, $0x43
	movb $(PIT_HZ / TICK_HZ) & 0xff, %al
	outb %al, $0x40
	movb $(PIT_HZ / TICK_HZ) >> 8, %al
	outb %al, $0x40
	PUTS32 "irq: PIT channel 0 mode 2, 1 kHz\n"

	/* With IF=0, IRQ0 shows up in the IRR (OCW3 0Ah) and is not taken. */
	movb $0x0a, %al
	outb %al, $0x20
1:	inb $0x20, %al
	testb $1, %al
	jz 1b
	PUTS32 "irq: IRR bit 0 set while IF=0, interrupts taken:"
	movl VAR_COUNT, %eax
	EXPECT32 %eax, 0
	/* The pending request is delivered once IF=1; HLT returns after it. */
	sti
	hlt
	cli
	PUTS32 "irq: pending IRQ0 delivered after sti; hlt:"
	xorl %eax, %eax
	cmpl $0, VAR_COUNT
	setne %al
	EXPECT32 %eax, 1
	PUTS32 "irq: ISR inside the handler: "
	movl VAR_ISR, %eax
	call lib_puthex32
	EXPECT32 %eax, 1
	PUTS32 "irq: ISR after EOI: "
	movl VAR_ISR2, %eax
	call lib_puthex32
	EXPECT32 %eax, 0

	/* Wait for 5 more ticks, sleeping in HLT between them. */
	movl VAR_COUNT, %ebx
	addl $5, %ebx
	sti
2:	hlt
	cmpl %ebx, VAR_COUNT
	jb 2b
	cli
	PUTS32 "irq: 5 more timer interrupts through hlt: ok\n"

	/* Masked in the IMR: the request is latched in the IRR, never taken. */
	movb $0xff, %al
	outb %al, $0x21
	movl VAR_COUNT, %ebx
	movb $0x0a, %al
	outb %al, $0x20
3:	inb $0x20, %al
	testb $1, %al
	jz 3b
	sti
	movl $1000, %ecx /* branches: every engine checks for interrupts */
4:	loop 4b
	cli
	PUTS32 "irq: IRQ0 masked in the IMR, interrupts taken with IF=1:"
	movl VAR_COUNT, %eax
	subl %ebx, %eax
	EXPECT32 %eax, 0

	FAILS_EXIT32 "irq"

/* exc32: IRQ0 counts and acknowledges; anything else is unexpected. */
exc32:
	pushl %eax
	cmpl $0x20, 4(%esp)
	jne 2f
	cmpl $-1, VAR_ISR
	jne 1f
	movb $0x0b, %al /* OCW3: read ISR */
	outb %al, $0x20
	inb $0x20, %al
	movzbl %al, %eax
	movl %eax, VAR_ISR
	movb $0x20, %al /* non-specific EOI */
	outb %al, $0x20
	inb $0x20, %al
	movzbl %al, %eax
	movl %eax, VAR_ISR2
	movb $0x0a, %al /* back to reading the IRR */
	outb %al, $0x20
	jmp 3f
1:	movb $0x20, %al
	outb %al, $0x20
3:	incl VAR_COUNT
	popl %eax
	addl $8, %esp
	iret
2:	PUTS32 "irq: unexpected vector "
	movl 4(%esp), %eax
	call lib_puthex32
	EXIT32_UNEXPECTED

	IDT32_STUBS

	GDT_DESC
