/*
 * exceptions.S - exceptions.rom: exception and software-interrupt delivery in
 * 32-bit protected mode: #DE, #UD, #BP, INT n through interrupt and trap
 * gates (IF inside the handler), #GP with a selector error code, and #PF
 * (CR2 and error code for not-present read, write and fetch, and a write to
 * a read-only page with CR0.WP=1; none with WP=0).  Not a test of
 * double faults or task gates.  Follows Intel SDM Vol. 3A 6.4-6.15
 * (faults vs traps, gates, error codes) and 4.7 (#PF error code).
 */
#include "lib.inc"

#define IDT        0x1000
#define PD         0x20000
#define VAR_VEC    0x510
#define VAR_ERR    0x514
#define VAR_EIP    0x518
#define VAR_FL     0x51c /* EFLAGS inside the handler */
#define VAR_CR2    0x520
#define VAR_RESUME 0x524
#define VAR_COUNT  0x528

	BOOT_PM32
	movl $0, VAR_FAILS
	movl $0, VAR_RESUME
	/* 8259s: vectors 20h/28h, everything masked (no IRQ may interfere). */
	PIC_INIT 0xff, 0xff
	movl $IDT, %edi
	call lib_idt32_setup
	orl $0x0100, IDT + 0x31 * 8 + 4 /* vector 31h: trap gate (type Fh) */
	PUTS32 "exceptions: protected mode, IDT with 64 gates\n"

	PUTS32 "exceptions: #DE"
	movl $1f, VAR_RESUME
	xorl %ecx, %ecx
	movl $100, %eax
	xorl %edx, %edx
2:	divl %ecx
1:	movl $0, %ebx
	xorl %ecx, %ecx
	movl $2b, %edx
	call report

	PUTS32 "exceptions: #UD"
	movl $1f, VAR_RESUME
2:	ud2
1:	movl $6, %ebx
	xorl %ecx, %ecx
	movl $2b, %edx
	call report

	PUTS32 "exceptions: #BP (trap: EIP after int3)"
	int3
2:	movl $3, %ebx
	xorl %ecx, %ecx
	movl $2b, %edx
	call report

	PUTS32 "exceptions: #GP loading selector 0FF8h"
	movl $1f, VAR_RESUME
	movw $0x0ff8, %ax
2:	movw %ax, %fs
1:	movl $13, %ebx
	movl $0x0ff8, %ecx
	movl $2b, %edx
	call report

	/* INT n with IF=1: an interrupt gate clears IF, a trap gate keeps it. */
	sti
	PUTS32 "exceptions: INT 30h (interrupt gate)"
	int $0x30
2:	movl $0x30, %ebx
	xorl %ecx, %ecx
	movl $2b, %edx
	call report
	PUTS32 "exceptions: IF inside the handler:"
	movl VAR_FL, %eax
	andl $0x200, %eax
	EXPECT32 %eax, 0
	PUTS32 "exceptions: INT 31h (trap gate)"
	int $0x31
2:	movl $0x31, %ebx
	xorl %ecx, %ecx
	movl $2b, %edx
	call report
	PUTS32 "exceptions: IF inside the handler:"
	movl VAR_FL, %eax
	andl $0x200, %eax
	EXPECT32 %eax, 0x200
	cli

	/* Paging: 0-4 MiB read/write, 4-8 MiB read-only, the ROM; 4 MiB pages. */
	movl $PD, %edi
	movl $1024, %ecx
	xorl %eax, %eax
	rep stosl
	movl $0x00000083, PD
	movl $0x00400081, PD + 4
	movl $0xffc00083, PD + 0x3ff * 4
	movl $0x00000010, %eax
	movl %eax, %cr4
	movl $PD, %eax
	movl %eax, %cr3
	movl $0x80010011, %eax /* PG | WP | ET | PE */
	movl %eax, %cr0
	PUTS32 "exceptions: paging on, CR0.WP=1\n"

	PUTS32 "exceptions: #PF read 40000000h"
	movl $1f, VAR_RESUME
2:	movl 0x40000000, %eax
1:	movl $0x40000000, %edi
	xorl %ecx, %ecx
	movl $2b, %edx
	call report_pf
	PUTS32 "exceptions: #PF write 40000004h"
	movl $1f, VAR_RESUME
2:	movl %eax, 0x40000004
1:	movl $0x40000004, %edi
	movl $2, %ecx
	movl $2b, %edx
	call report_pf
	PUTS32 "exceptions: #PF write read-only 00400010h"
	movl $1f, VAR_RESUME
2:	movl %eax, 0x00400010
1:	movl $0x00400010, %edi
	movl $3, %ecx
	movl $2b, %edx
	call report_pf
	PUTS32 "exceptions: #PF fetch 40001000h"
	movl $1f, VAR_RESUME
	movl $0x40001000, %eax
	jmp *%eax
1:	movl $0x40001000, %edi
	xorl %ecx, %ecx
	movl %edi, %edx /* a fetch fault reports the target as EIP */
	call report_pf

	movl $0x80000011, %eax /* WP off: CPL0 writes ignore R/W */
	movl %eax, %cr0
	movl VAR_COUNT, %ebx
	movl $0x5a5a5a5a, 0x00400010
	PUTS32 "exceptions: write read-only 00400010h with CR0.WP=0, faults:"
	movl VAR_COUNT, %eax
	subl %ebx, %eax
	EXPECT32 %eax, 0

	FAILS_EXIT32 "exceptions"

/*
 * report: after a test case, print what the handler recorded and count a
 * failure unless vector = EBX, error code = ECX and EIP = EDX.
 */
report:
	PUTS32 ": vector "
	movl VAR_VEC, %eax
	call lib_puthex32
	PUTS32 " error "
	movl VAR_ERR, %eax
	call lib_puthex32
	movl $1, %esi
	cmpl %ebx, VAR_VEC
	jne 1f
	cmpl %ecx, VAR_ERR
	jne 1f
	cmpl %edx, VAR_EIP
	jne 1f
	xorl %esi, %esi
1:	movl $-1, VAR_VEC
	movl $-1, VAR_ERR
	movl $-1, VAR_EIP
	EXPECT32 %esi, 0
	ret

/* report_pf: as report for a #PF (vector 14) whose CR2 must be EDI. */
report_pf:
	PUTS32 ": CR2 "
	movl VAR_CR2, %eax
	call lib_puthex32
	movl $14, %ebx
	cmpl %edi, VAR_CR2
	je report
	incl VAR_FAILS
	jmp report

/* exc32: record vector, error code, EIP, EFLAGS and CR2; resume if asked. */
exc32:
	pushl %eax
	pushfl
	popl %eax
	movl %eax, VAR_FL
	movl 4(%esp), %eax
	movl %eax, VAR_VEC
	movl 8(%esp), %eax
	movl %eax, VAR_ERR
	movl 12(%esp), %eax
	movl %eax, VAR_EIP
	movl %cr2, %eax
	movl %eax, VAR_CR2
	incl VAR_COUNT
	movl VAR_RESUME, %eax
	testl %eax, %eax
	jz 1f
	movl %eax, 12(%esp)
	movl $0, VAR_RESUME
1:	popl %eax
	addl $8, %esp
	iret

	IDT32_STUBS

	GDT_DESC
