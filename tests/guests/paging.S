/*
 * paging.S - paging.rom: 32-bit paging with 4 MiB pages (CR4.PSE) and 4 KiB
 * pages, then IA-32e paging with 2 MiB and 4 KiB pages: translations through
 * aliases, accessed/dirty bits, INVLPG after a remap, and #PF in long mode
 * (CR2 and error code for not-present and reserved-bit faults).  Not a test
 * of TLB timing: nothing here depends on what a TLB may still hold.
 * Follows Intel SDM Vol. 3A 4.3 (32-bit paging), 4.5 (4-level paging),
 * 4.8 (accessed and dirty flags), 4.7 (page-fault error code).
 */
#include "lib.inc"

#define PD32     0x20000 /* 32-bit page directory */
#define PT32     0x21000 /* page table for 40400000h */
#define PML4     0x30000
#define PDPT_LO  0x31000 /* PML4[0]: 0-512 GiB */
#define PD_LO    0x32000 /* 0-1 GiB identity, 2 MiB pages */
#define PD_ROM   0x33000 /* 3-4 GiB identity (the ROM) */
#define PDPT_HI  0x34000 /* PML4[1]: 512 GiB-1 TiB */
#define PD_HI    0x35000
#define PT_HI    0x36000
#define IDT64    0x3000
#define VAR_CR2    0x508
#define VAR_ERR    0x510
#define VAR_RESUME 0x518
#define HI       0x8000000000 /* virtual 512 GiB */

	BOOT_PM32
	movl $0, VAR_FAILS
	movl $0x1000, %edi
	call lib_idt32_setup
	PUTS32 "paging: protected mode\n"

	/* Zero PD32, PT32 and the long-mode tables (7 pages). */
	movl $PD32, %edi
	movl $2 * 1024, %ecx
	xorl %eax, %eax
	rep stosl
	movl $PML4, %edi
	movl $7 * 1024, %ecx
	rep stosl
	movl $0x00000083, PD32 + 0 * 4     /* 0-4 MiB identity */
	movl $0x00800083, PD32 + 2 * 4     /* 8-12 MiB identity */
	movl $0x00c00083, PD32 + 3 * 4     /* 12-16 MiB identity */
	movl $0x00800083, PD32 + 0x100 * 4 /* 40000000h -> 8 MiB, 4 MiB page */
	movl $PT32 + 3, PD32 + 0x101 * 4   /* 40400000h -> page table */
	movl $0x00c01003, PT32             /* 40400000h -> C01000h, 4 KiB */
	movl $0xffc00083, PD32 + 0x3ff * 4 /* the ROM */
	movl $0x11111111, 0x00c01020
	movl $0x22222222, 0x00c02020
	movl $0, 0x00800010

	movl $0x00000010, %eax /* CR4.PSE */
	movl %eax, %cr4
	movl $PD32, %eax
	movl %eax, %cr3
	movl $0x80000011, %eax
	movl %eax, %cr0
	PUTS32 "paging: 32-bit paging on, CR4.PSE\n"

	movl $0xcafef00d, 0x40000010
	PUTS32 "paging: 4 MiB page 40000010h -> 00800010h: "
	movl 0x00800010, %eax
	call lib_puthex32
	EXPECT32 %eax, 0xcafef00d
	PUTS32 "paging: PDE[100h] after a write: "
	movl PD32 + 0x100 * 4, %eax
	call lib_puthex32
	EXPECT32 %eax, 0x008000e3
	PUTS32 "paging: PDE[002h] after a read: "
	movl PD32 + 2 * 4, %eax
	call lib_puthex32
	EXPECT32 %eax, 0x008000a3

	PUTS32 "paging: 4 KiB page 40400020h -> 00c01020h: "
	movl 0x40400020, %eax
	call lib_puthex32
	EXPECT32 %eax, 0x11111111
	PUTS32 "paging: PDE[101h] after a read: "
	movl PD32 + 0x101 * 4, %eax
	call lib_puthex32
	EXPECT32 %eax, PT32 + 0x23
	PUTS32 "paging: PTE after a read: "
	movl PT32, %eax
	call lib_puthex32
	EXPECT32 %eax, 0x00c01023
	movl $0x33333333, 0x40400024
	PUTS32 "paging: PTE after a write: "
	movl PT32, %eax
	call lib_puthex32
	EXPECT32 %eax, 0x00c01063
	PUTS32 "paging: PDE[101h] after a write: "
	movl PD32 + 0x101 * 4, %eax
	call lib_puthex32
	EXPECT32 %eax, PT32 + 0x23

	movl $0x00c02003, PT32
	invlpg 0x40400000
	PUTS32 "paging: after remap and invlpg, 40400020h: "
	movl 0x40400020, %eax
	call lib_puthex32
	EXPECT32 %eax, 0x22222222

	/* Paging off, PAE tables, EFER.LME, paging on: IA-32e mode. */
	movl $0x00000011, %eax
	movl %eax, %cr0
	movl $PDPT_LO + 3, PML4
	movl $PDPT_HI + 3, PML4 + 8
	movl $PD_LO + 3, PDPT_LO
	movl $PD_ROM + 3, PDPT_LO + 3 * 8
	IDMAP_2M PD_LO, PD_ROM
	movl $PD_HI + 3, PDPT_HI
	movl $0x00a00083, PD_HI            /* HI -> A00000h, 2 MiB page */
	movl $PT_HI + 3, PD_HI + 8         /* HI + 2 MiB -> page table */
	movl $0x00e05003, PT_HI + 5 * 8    /* HI + 205000h -> E05000h */
	movl $0x00c00083, PD_HI + 3 * 8    /* HI + 6 MiB: bit 63 set, */
	movl $0x80000000, PD_HI + 3 * 8 + 4 /* reserved without EFER.NXE */
	movl $0x44444444, 0x00e05008
	ENTER_LM64 PML4, lm64

	/* 64-bit IDT: #PF to pf64, everything else to unexpected64. */
	movl $IDT64, %edi
	xorl %ecx, %ecx
2:	leaq unexpected64(%rip), %rdx
	cmpl $14, %ecx
	jne 3f
	leaq pf64(%rip), %rdx
3:	INTGATE_LO SEL_CODE64, %rdi
	shrq $32, %rdx
	movl %edx, 8(%rdi)
	movl $0, 12(%rdi)
	addq $16, %rdi
	incl %ecx
	cmpl $32, %ecx
	jb 2b
	LIDT64 IDT64, 32
	PUTS64 "paging: long mode, 4-level paging\n"

	movabsq $HI + 0x10, %rdi
	movabsq $0x0123456789abcdef, %rax
	movq %rax, (%rdi)
	PUTS64 "paging: 2 MiB page 8000000010h -> 00a00010h: "
	movq 0x00a00010, %rax
	call lib_puthex64
	PUTS64 "\n"
	PUTS64 "paging: PML4[1]="
	movq PML4 + 8, %rax
	call lib_puthex64
	PUTS64 " PDPTE="
	movq PDPT_HI, %rax
	call lib_puthex64
	PUTS64 " PDE="
	movq PD_HI, %rax
	call lib_puthex64
	PUTS64 "\n"
	movabsq $HI + 0x205008, %rdi
	PUTS64 "paging: 4 KiB page 8000205008h -> 00e05008h: "
	movl (%rdi), %eax
	call lib_puthex64
	PUTS64 " PTE="
	movq PT_HI + 5 * 8, %rax
	call lib_puthex64
	PUTS64 "\n"

	/* Faults: not present (read, write), reserved bit 63 (read, write). */
	movabsq $HI + 0x400010, %rdi
	leaq 4f(%rip), %rax
	movq %rax, VAR_RESUME
	movq (%rdi), %rax
4:	call show_pf
	leaq 5f(%rip), %rax
	movq %rax, VAR_RESUME
	movq %rax, (%rdi)
5:	call show_pf
	movabsq $HI + 0x600020, %rdi
	leaq 6f(%rip), %rax
	movq %rax, VAR_RESUME
	movq (%rdi), %rax
6:	call show_pf
	leaq 7f(%rip), %rax
	movq %rax, VAR_RESUME
	movq %rax, (%rdi)
7:	call show_pf

	/* The guest's own verdict, beside the transcript comparison. */
	movabsq $0x0123456789abcdef, %rax
	cmpq %rax, 0x00a00010
	jne 8f
	movabsq $0x00000000000a000e3, %rax
	cmpq %rax, PD_HI
	jne 8f
	cmpl $0x44444444, 0x00e05008
	jne 8f
	movl VAR_FAILS, %eax
	jmp 9f
8:	movl $0x40, %eax
9:	outb %al, $EXIT_PORT
10:	cli
	hlt
	jmp 10b

/* show_pf: print the CR2 and error code pf64 recorded, then clear them. */
show_pf:
	PUTS64 "paging: #PF CR2="
	movq VAR_CR2, %rax
	call lib_puthex64
	PUTS64 " error="
	movq VAR_ERR, %rax
	call lib_puthex64
	PUTS64 "\n"
	movq $-1, VAR_CR2
	movq $-1, VAR_ERR
	ret

/* #PF: record CR2 and the error code, resume at VAR_RESUME. */
pf64:
	pushq %rax
	movq %cr2, %rax
	movq %rax, VAR_CR2
	movq 8(%rsp), %rax
	movq %rax, VAR_ERR
	movq VAR_RESUME, %rax
	movq %rax, 16(%rsp)
	popq %rax
	addq $8, %rsp
	iretq

unexpected64:
	PUTS64 "paging: unexpected exception in long mode\n"
	movb $0x7e, %al
	outb %al, $EXIT_PORT
	cli
	hlt

	.code32
/* exc32: any exception in 32-bit mode is unexpected here. */
exc32:
	PUTS32 "paging: unexpected exception "
	movl (%esp), %eax
	call lib_puthex32
	PUTS32 " error "
	movl 4(%esp), %eax
	call lib_puthex32
	PUTS32 " at EIP "
	movl 8(%esp), %eax
	call lib_puthex32
	EXIT32_UNEXPECTED

	IDT32_STUBS

	GDT_DESC
