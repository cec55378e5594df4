/*
 * long.S - long.rom: exception and interrupt delivery in 64-bit mode: #DE,
 * #UD, #BP, INT n through interrupt and trap gates (IF inside), #GP for a
 * non-canonical address, #PF with CR2 and error code, the 16-byte alignment
 * of RSP before the frame is pushed, and IRETQ.  Not a test of IST, task
 * switching or CPL changes.  Follows Intel SDM Vol. 3A 6.14 (64-bit mode
 * exception and interrupt handling), 6.15 (#GP, #PF error codes).
 */
#include "lib.inc"

#define PML4       0x10000
#define PDPT       0x11000
#define PD_LO      0x12000
#define PD_ROM     0x13000
#define IDT64      0x3000
#define VAR_VEC    0x510
#define VAR_ERR    0x518
#define VAR_RIP    0x520
#define VAR_FL     0x528 /* RFLAGS inside the handler */
#define VAR_CR2    0x530
#define VAR_RESUME 0x538
#define VAR_RSP    0x540 /* RSP at handler entry (after the CPU's pushes) */

	BOOT_PM32
	movl $0, VAR_FAILS
	movl $0, VAR_RESUME
	movl $0, VAR_RESUME + 4
	/* 8259s masked: no IRQ may arrive while IF=1 below. */
	movb $0xff, %al
	outb %al, $0x21
	outb %al, $0xa1
	/* 0-1 GiB and 3-4 GiB identity with 2 MiB pages; 1-2 GiB not present. */
	movl $PML4, %edi
	movl $4 * 1024, %ecx
	xorl %eax, %eax
	rep stosl
	movl $PDPT + 3, PML4
	movl $PD_LO + 3, PDPT
	movl $PD_ROM + 3, PDPT + 3 * 8
	IDMAP_2M PD_LO, PD_ROM
	ENTER_LM64 PML4, lm64

	/* 64 interrupt gates (type Eh) to stubs64; vector 31h a trap gate. */
	movl $IDT64, %edi
	leaq stubs64(%rip), %rdx
	movl $64, %ecx
2:	INTGATE_LO SEL_CODE64, %rdi
	movq %rdx, %rax
	shrq $32, %rax
	movl %eax, 8(%rdi)
	movl $0, 12(%rdi)
	addq $16, %rdi
	addq $32, %rdx
	loop 2b
	orl $0x0100, IDT64 + 0x31 * 16 + 4
	LIDT64 IDT64, 64
	PUTS64 "long: 64-bit mode, IDT with 64 gates\n"

	PUTS64 "long: #DE"
	leaq 1f(%rip), %rax
	movq %rax, VAR_RESUME
	xorl %ecx, %ecx
	movl $100, %eax
	xorl %edx, %edx
2:	divq %rcx
1:	movl $0, %ebx
	xorl %ecx, %ecx
	leaq 2b(%rip), %rdx
	call report

	PUTS64 "long: #UD"
	leaq 1f(%rip), %rax
	movq %rax, VAR_RESUME
2:	ud2
1:	movl $6, %ebx
	xorl %ecx, %ecx
	leaq 2b(%rip), %rdx
	call report

	PUTS64 "long: #GP non-canonical 8000000000000000h"
	leaq 1f(%rip), %rax
	movq %rax, VAR_RESUME
	movabsq $0x8000000000000000, %rsi
2:	movq (%rsi), %rax
1:	movl $13, %ebx
	xorl %ecx, %ecx
	leaq 2b(%rip), %rdx
	call report

	PUTS64 "long: #PF read 40000000h: CR2 "
	leaq 1f(%rip), %rax
	movq %rax, VAR_RESUME
2:	movq 0x40000000, %rax
1:	movq VAR_CR2, %rax
	call lib_puthex64
	movl $14, %ebx
	xorl %ecx, %ecx
	leaq 2b(%rip), %rdx
	call report
	PUTS64 "long: #PF write 40000008h: CR2 "
	leaq 1f(%rip), %rax
	movq %rax, VAR_RESUME
2:	movq %rax, 0x40000008
1:	movq VAR_CR2, %rax
	call lib_puthex64
	movl $14, %ebx
	movl $2, %ecx
	leaq 2b(%rip), %rdx
	call report

	/* A fault with RSP = 8 mod 16: the CPU aligns RSP before pushing. */
	PUTS64 "long: #UD with RSP=8fff8h"
	leaq 1f(%rip), %rax
	movq %rax, VAR_RESUME
	movq %rsp, %rbp
	movq $0x8fff8, %rsp
2:	ud2
1:	movq %rbp, %rsp
	movl $6, %ebx
	xorl %ecx, %ecx
	leaq 2b(%rip), %rdx
	call report
	PUTS64 "long: RSP at handler entry: "
	movq VAR_RSP, %rax
	call lib_puthex64
	EXPECT64 %rax, 0x8ffc8 /* 8fff0h, less 5 qwords */

	/* Software interrupts last: this host's PVM cannot emulate them. */
	PUTS64 "long: #BP (trap: RIP after int3)"
	int3
2:	movl $3, %ebx
	xorl %ecx, %ecx
	leaq 2b(%rip), %rdx
	call report

	sti
	PUTS64 "long: INT 30h (interrupt gate)"
	int $0x30
2:	movl $0x30, %ebx
	xorl %ecx, %ecx
	leaq 2b(%rip), %rdx
	call report
	PUTS64 "long: IF inside the handler:"
	movq VAR_FL, %rax
	andl $0x200, %eax
	EXPECT64 %rax, 0
	PUTS64 "long: INT 31h (trap gate)"
	int $0x31
2:	movl $0x31, %ebx
	xorl %ecx, %ecx
	leaq 2b(%rip), %rdx
	call report
	PUTS64 "long: IF inside the handler:"
	movq VAR_FL, %rax
	andl $0x200, %eax
	EXPECT64 %rax, 0x200
	cli

	PUTS64 "long: failed checks: "
	movl VAR_FAILS, %eax
	call lib_puthex64
	PUTS64 "\n"
	movl VAR_FAILS, %eax
	outb %al, $EXIT_PORT
3:	cli
	hlt
	jmp 3b

/* report: vector = RBX, error code = RCX, RIP = RDX, or count a failure. */
report:
	PUTS64 ": vector "
	movq VAR_VEC, %rax
	call lib_puthex64
	PUTS64 " error "
	movq VAR_ERR, %rax
	call lib_puthex64
	xorl %eax, %eax
	cmpq %rbx, VAR_VEC
	jne 1f
	cmpq %rcx, VAR_ERR
	jne 1f
	cmpq %rdx, VAR_RIP
	jne 1f
	movl $1, %eax
1:	movq $-1, VAR_VEC
	movq $-1, VAR_ERR
	movq $-1, VAR_RIP
	EXPECT64 %rax, 1
	ret

/*
 * One 32-byte stub per vector: RSP as the CPU left it, a zero error code
 * where the CPU pushes none, the vector; then the common handler.
 */
	.balign 32
stubs64:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63
	.balign 32
	movq %rsp, VAR_RSP
	.if (\v == 8) || (\v >= 10 && \v <= 14) || (\v == 17) || (\v == 21)
	.else
	pushq $0
	.endif
	pushq $\v
	jmp exc64
	.endr

/* exc64: record vector, error code, RIP, RFLAGS, CR2; resume if asked. */
exc64:
	pushq %rax
	pushfq
	popq %rax
	movq %rax, VAR_FL
	movq 8(%rsp), %rax
	movq %rax, VAR_VEC
	movq 16(%rsp), %rax
	movq %rax, VAR_ERR
	movq 24(%rsp), %rax
	movq %rax, VAR_RIP
	movq %cr2, %rax
	movq %rax, VAR_CR2
	movq VAR_RESUME, %rax
	testq %rax, %rax
	jz 1f
	movq %rax, 24(%rsp)
	movq $0, VAR_RESUME
1:	popq %rax
	addq $16, %rsp
	iretq

	GDT_DESC
