/*
 * apic.S - apic.rom: the local APIC and the I/O APIC from a guest: the
 * APIC base MSR and reset values, self IPIs taken in priority order, TPR
 * masking and PPR inside a handler, the timer one-shot and periodic, the
 * IOAPIC's version, the RTC's IRQ8 edge-triggered through IOAPIC pin 8, and
 * the 16550's level-triggered THRE interrupt on pin 4 sent again after each
 * EOI while the line stays up (remote IRR set inside the handler), until the
 * handler clears the source.  Every printed line is independent of timing:
 * the guest waits for events, it never measures them.  Follows the SDM vol.
 * 3A chapter 10 and the 82093AA datasheet; QEMU's TCG is the oracle
 * (tests/guests/README.md).  Not here: illegal vectors and the ESR, which
 * QEMU 7.2 does not check (it delivers vector 5); tests/unit/test_lapic.c
 * holds those to the SDM.
 */
#include "lib.inc"

#define IDT	    0x1000
#define VAR_NLOG    0x510 /* vectors taken, and the first 16 of them */
#define VAR_PPR	    0x514 /* PPR read in the handler of vector 36h */
#define VAR_UCOUNT  0x518 /* THRE interrupts taken (vector 3Ah) */
#define VAR_RIRR    0x51c /* pin 4's remote IRR inside the first of them */
#define VAR_TICKS   0x520 /* timer and RTC interrupts (vectors 33h, 3Bh) */
#define VAR_LOG	    0x540

#define APIC	    0xfee00000 /* layout.h LAYOUT_LAPIC_BASE */
#define APIC_ID	    (APIC + 0x020)
#define APIC_VER    (APIC + 0x030)
#define APIC_TPR    (APIC + 0x080)
#define APIC_PPR    (APIC + 0x0a0)
#define APIC_EOI    (APIC + 0x0b0)
#define APIC_SVR    (APIC + 0x0f0)
#define APIC_IRR1   (APIC + 0x210) /* vectors 20h-3Fh */
#define APIC_ICR    (APIC + 0x300)
#define APIC_LVTT   (APIC + 0x320)
#define APIC_LINT0  (APIC + 0x350)
#define APIC_LINT1  (APIC + 0x360)
#define APIC_TMICT  (APIC + 0x380)
#define APIC_TMCCT  (APIC + 0x390)
#define APIC_TDCR   (APIC + 0x3e0)
#define IOAPIC_SEL  0xfec00000 /* layout.h LAYOUT_IOAPIC_BASE */
#define IOAPIC_WIN  0xfec00010

	BOOT_PM32
	movl $0, VAR_FAILS
	movl $0, VAR_NLOG
	movl $0, VAR_UCOUNT
	movl $0, VAR_TICKS
	movl $-1, VAR_RIRR
	/* The 8259s initialised and fully masked: only the APICs interrupt. */
	PIC_INIT 0xff, 0xff
	movl $IDT, %edi
	call lib_idt32_setup

	/* SDM 10.4.4, 10.4.7.1: enabled BSP at FEE00000h; reset values. */
	PUTS32 "apic: IA32_APIC_BASE "
	movl $0x1b, %ecx
	rdmsr
	call lib_puthex32
	EXPECT32 %eax, 0xfee00900
	PUTS32 "apic: ID "
	movl APIC_ID, %eax
	call lib_puthex32
	EXPECT32 %eax, 0
	PUTS32 "apic: version "
	movl APIC_VER, %eax
	call lib_puthex32
	EXPECT32 %eax, 0x00050014
	PUTS32 "apic: SVR at reset "
	movl APIC_SVR, %eax
	call lib_puthex32
	EXPECT32 %eax, 0x000000ff
	PUTS32 "apic: LINT1 at reset "
	movl APIC_LINT1, %eax
	call lib_puthex32
	EXPECT32 %eax, 0x00010000
	/* Software-enable; LINT0 masked (the 8259 is not used). */
	movl $0x1ff, APIC_SVR
	movl $0x10700, APIC_LINT0

	/* Two self IPIs with IF=0, then STI: the higher vector first. */
	movl $0x40031, APIC_ICR
	movl $0x40025, APIC_ICR
	PUTS32 "apic: self IPIs 31h, 25h pending in IRR "
	movl APIC_IRR1, %eax
	andl $0x00020020, %eax
	call lib_puthex32
	EXPECT32 %eax, 0x00020020
	sti
	nop
	cli
	PUTS32 "apic: taken first "
	movl VAR_LOG, %eax
	call lib_puthex32
	EXPECT32 %eax, 0x31
	PUTS32 "apic: taken second "
	movl VAR_LOG + 4, %eax
	call lib_puthex32
	EXPECT32 %eax, 0x25

	/* TPR 30h holds back vector 2Ah (class 2) even with IF=1. */
	movl $0, VAR_NLOG
	movl $0x30, APIC_TPR
	sti
	movl $0x4002a, APIC_ICR
	movl $1000, %ecx /* branches: every engine checks for interrupts */
1:	loop 1b
	cli
	PUTS32 "apic: TPR 30h, vector 2Ah taken:"
	movl VAR_NLOG, %eax
	EXPECT32 %eax, 0
	PUTS32 "apic: PPR "
	movl APIC_PPR, %eax
	call lib_puthex32
	EXPECT32 %eax, 0x30
	movl $0, APIC_TPR
	sti
	nop
	cli
	PUTS32 "apic: TPR 0, taken "
	movl VAR_LOG, %eax
	call lib_puthex32
	EXPECT32 %eax, 0x2a
	/* PPR inside a handler is the in-service class (SDM 10.8.3.1). */
	movl $0x40036, APIC_ICR
	sti
	nop
	cli
	PUTS32 "apic: PPR inside the handler of 36h "
	movl VAR_PPR, %eax
	call lib_puthex32
	EXPECT32 %eax, 0x30

	/* Timer one-shot, divide by 1: fires once, current count reads 0. */
	movl $0, VAR_TICKS
	movl $0xb, APIC_TDCR
	movl $0x33, APIC_LVTT
	movl $200000, APIC_TMICT
	sti
2:	hlt
	cmpl $0, VAR_TICKS
	je 2b
	cli
	PUTS32 "apic: one-shot timer fired; current count "
	movl APIC_TMCCT, %eax
	call lib_puthex32
	EXPECT32 %eax, 0
	/* Periodic: five interrupts through HLT, then masked. */
	movl $0, VAR_TICKS
	movl $0x20033, APIC_LVTT
	movl $500000, APIC_TMICT
	sti
3:	hlt
	cmpl $5, VAR_TICKS
	jb 3b
	cli
	movl $0x10033, APIC_LVTT
	movl $0, APIC_TMICT
	PUTS32 "apic: periodic timer, 5 interrupts through hlt: ok\n"

	/* The I/O APIC: version 20h, 24 entries. */
	PUTS32 "ioapic: version "
	movl $1, IOAPIC_SEL
	movl IOAPIC_WIN, %eax
	call lib_puthex32
	EXPECT32 %eax, 0x00170020

	/* The RTC's periodic interrupt (IRQ8) on pin 8, edge, vector 3Bh,
	 * 1024 Hz; the handler reads register C, which lowers the line. */
	movl $0, VAR_TICKS
	movl $0x21, IOAPIC_SEL
	movl $0, IOAPIC_WIN
	movl $0x20, IOAPIC_SEL
	movl $0x3b, IOAPIC_WIN
	movb $0x0a, %al
	outb %al, $0x70
	movb $0x26, %al /* 32.768 kHz base, rate 6: 1024 Hz */
	outb %al, $0x71
	movb $0x0b, %al
	outb %al, $0x70
	inb $0x71, %al
	orb $0x40, %al /* PIE */
	movb %al, %ah
	movb $0x0b, %al
	outb %al, $0x70
	movb %ah, %al
	outb %al, $0x71
	sti
4:	hlt
	cmpl $3, VAR_TICKS
	jb 4b
	cli
	movb $0x0b, %al
	outb %al, $0x70
	movb %ah, %al
	andb $~0x40, %al
	outb %al, $0x71
	movl $0x20, IOAPIC_SEL
	movl $0x1003b, IOAPIC_WIN
	PUTS32 "ioapic: RTC on pin 8, 3 interrupts through hlt: ok\n"

	/* The 16550's THRE interrupt on pin 4, level, vector 3Ah: its line
	 * stays up, so each EOI brings it back; the 3rd handler clears IER. */
	movl $0x19, IOAPIC_SEL
	movl $0, IOAPIC_WIN
	movl $0x18, IOAPIC_SEL
	movl $0x803a, IOAPIC_WIN
	movw $COM1 + 4, %dx
	movb $0x08, %al /* MCR: OUT2, the PC's IRQ enable */
	outb %al, %dx
	sti
	movw $COM1 + 1, %dx
	movb $0x02, %al /* IER: ETBEI */
	outb %al, %dx
	movl $1000, %ecx
5:	loop 5b
	cli
	movl $0x18, IOAPIC_SEL
	movl IOAPIC_WIN, %ebx
	PUTS32 "ioapic: level pin 4 taken while asserted, times "
	movl VAR_UCOUNT, %eax
	call lib_putdec32
	EXPECT32 %eax, 3
	PUTS32 "ioapic: remote IRR inside the handler "
	movl VAR_RIRR, %eax
	call lib_puthex32
	EXPECT32 %eax, 1
	PUTS32 "ioapic: pin 4 after the last EOI "
	movl %ebx, %eax
	call lib_puthex32
	EXPECT32 %eax, 0x803a

	FAILS_EXIT32 "apic"

/* exc32: log vectors 20h-3Fh, note what each test needs, EOI. */
exc32:
	pushl %eax
	pushl %ebx
	movl 8(%esp), %eax
	cmpl $0x20, %eax
	jb 9f
	movl VAR_NLOG, %ebx
	cmpl $16, %ebx
	jae 1f
	movl %eax, VAR_LOG(,%ebx,4)
	incl VAR_NLOG
1:	cmpl $0x36, %eax
	jne 2f
	movl APIC_PPR, %ebx
	movl %ebx, VAR_PPR
2:	cmpl $0x33, %eax
	je 3f
	cmpl $0x3b, %eax
	jne 4f
	pushl %eax
	movb $0x0c, %al /* RTC register C: acknowledge */
	outb %al, $0x70
	inb $0x71, %al
	popl %eax
3:	incl VAR_TICKS
4:	cmpl $0x3a, %eax
	jne 6f
	cmpl $0, VAR_UCOUNT
	jne 5f
	movl $0x18, IOAPIC_SEL
	movl IOAPIC_WIN, %ebx
	shrl $14, %ebx
	andl $1, %ebx
	movl %ebx, VAR_RIRR
5:	incl VAR_UCOUNT
	cmpl $3, VAR_UCOUNT
	jb 6f
	pushl %edx
	movw $COM1 + 1, %dx
	xorb %al, %al /* IER 0: the line drops */
	outb %al, %dx
	popl %edx
6:	movl $0, APIC_EOI
	popl %ebx
	popl %eax
	addl $8, %esp
	iret
9:	PUTS32 "apic: unexpected vector "
	call lib_puthex32
	EXIT32_UNEXPECTED

	IDT32_STUBS

	GDT_DESC
