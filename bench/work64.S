/*
 * work64.S - work64.rom: the emulator speed workloads of tools/emu-bench.c
 * (compute, byte checksum, memcpy, call/ret) as a firmware ROM, so ember's
 * emulator and QEMU's TCG run the same bytes; bench/work64.c runs them on the
 * host CPU.  Not a correctness test of the loops themselves.
 * Follows Intel SDM Vol. 3A 9.8.5 (IA-32e initialisation) like
 * tests/guests/long.S, 5.8.8 (SYSCALL, IA32_STAR/LSTAR), 6.14.4 (IRET to CPL3),
 * and QEMU's isa-debug-exit for the exit.
 *
 * Reset vector -> 32-bit protected mode -> long mode with 2 MiB identity pages
 * (0-1 GiB and 3-4 GiB, where the ROM is) -> IRETQ to CPL3, so that KVM runs
 * the work natively on a host whose KVM emulates CPL0 (HOST.md).  At CPL3:
 * fill 4 MiB at 200000h with qwords i * 9E3779B97F4A7C15h; copy the selected
 * program to 100000h, set its loop count and turn its final hlt into ret;
 * call it work_reps times with RAX..RDI = 0 before the first call and
 * RSP = 80000h, as emu-bench starts it; digest the registers and memory the
 * loops leave; SYSCALL back to CPL0, which prints "work64: result <hex>" on
 * COM1 and writes 0 to the test-exit port.
 *
 * The parameter block (magic "EMBWORK1") is patched by bench/work64.c; the
 * loop bytes come from tools/emu-bench.c through bench/loops.awk.
 */
#include "lib.inc"

#define PML4      0x10000
#define PDPT      0x11000
#define PD_LO     0x12000
#define PD_ROM    0x13000
#define CODE      0x100000 /* where emu-bench puts the programs */
#define SRC       0x200000 /* the buffer the programs read */
#define DST       0x600000 /* memcpy's destination */
#define STACK     0x80000
#define FILL_QWORDS 0x80000 /* 4 MiB */
#define WORK_N    8 /* programs in work_table */
#define SEL_KDATA   0x20 /* work_gdt */
#define SEL_UDATA   0x28
#define SEL_UCODE64 0x30
#define WORK_ENTRY_SIZE 24

	BOOT_PM32
	movl $PML4, %edi
	movl $4 * 1024, %ecx
	xorl %eax, %eax
	rep stosl
	movl $PDPT + 7, PML4 /* P|RW|US: the work runs at CPL3 */
	movl $PD_LO + 7, PDPT
	movl $PD_ROM + 7, PDPT + 3 * 8
	IDMAP_2M PD_LO, PD_ROM, 0x07 /* P|RW|US|PS */
	/* CR4.PAE|OSFXSR (the SSE workloads), EFER.LME|SCE */
	ENTER_LM64 PML4, lm64, 0x00000220, 0x00000101

	/* SYSCALL enters CPL0 at sys64 with CS = SEL_CODE64, SS = SEL_KDATA. */
	movl $0xc0000081, %ecx /* STAR */
	xorl %eax, %eax
	movl $SEL_CODE64, %edx
	wrmsr
	movl $0xc0000082, %ecx /* LSTAR */
	movl $sys64, %eax
	xorl %edx, %edx
	wrmsr
	/* To CPL3, IF=0: KVM runs CPL3 natively even where it emulates CPL0. */
	pushq $SEL_UDATA | 3
	pushq $STACK
	pushq $0x2
	pushq $SEL_UCODE64 | 3
	movl $user64, %eax
	pushq %rax
	iretq

user64:
	movl $SRC, %edi
	movabsq $0x9e3779b97f4a7c15, %rdx
	xorl %eax, %eax
	movl $FILL_QWORDS, %ecx
1:	movq %rax, (%rdi)
	addq %rdx, %rax
	addq $8, %rdi
	decl %ecx
	jnz 1b

	/* RBX = the table entry of the selected program. */
	movl work_sel(%rip), %eax
	cmpl $WORK_N, %eax
	jae 5f
	imull $WORK_ENTRY_SIZE, %eax
	leaq work_table(%rip), %rbx
	addq %rax, %rbx
	movl $ROM_BASE, %esi
	addl (%rbx), %esi
	movl $CODE, %edi
	movl 4(%rbx), %ecx
	rep movsb
	movl work_count(%rip), %eax
	testl %eax, %eax
	jz 1f
	movl 8(%rbx), %edx
	movl %eax, CODE(%rdx)
1:	movl 12(%rbx), %edx
	movb $0xc3, CODE(%rdx) /* hlt -> ret */

	/* The measured part: 3 + fixed + per_iter * count instructions a call. */
	movl work_reps(%rip), %r12d
	movl $CODE, %r13d
	movl $STACK, %esp
	xorl %eax, %eax
	xorl %ebx, %ebx
	xorl %ecx, %ecx
	xorl %edx, %edx
	xorl %esi, %esi
	xorl %edi, %edi
	testq %r12, %r12
	jz 3f
2:	call *%r13
	decq %r12
	jnz 2b
3:
	/* Digest: h = rol(h, 13) + v over what the programs leave behind. */
	xorl %r8d, %r8d
	.irp v, %rax, %rbx, %rcx, %rdx, %rsi, %rdi, SRC, SRC+8, DST, DST+8
	rolq $13, %r8
	addq \v, %r8
	.endr
	xorl %r9d, %r9d
	syscall
5:	movl $1, %r9d /* a bad parameter block */
	syscall

/* CPL0 again (CPL3 may not do port I/O on every host): R8 = result, R9 = 1 if bad. */
sys64:
	testl %r9d, %r9d
	jnz 1f
	PUTS64 "work64: result "
	movq %r8, %rax
	call lib_puthex64
	PUTS64 "\n"
	xorb %al, %al
	outb %al, $EXIT_PORT
	jmp 2f
1:	PUTS64 "work64: bad parameter block\n"
	movb $1, %al
	outb %al, $EXIT_PORT
2:	hlt
	jmp 2b

/* lib.inc's first three descriptors, then SYSCALL's stack and CPL3's segments. */
	.balign 8
work_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff /* 0x08 SEL_CODE32 */
	.quad 0x00cf92000000ffff /* 0x10 SEL_DATA */
	.quad 0x00af9a000000ffff /* 0x18 SEL_CODE64 */
	.quad 0x00cf92000000ffff /* 0x20 SEL_KDATA: SYSCALL's SS = STAR[47:32] + 8 */
	.quad 0x00cff2000000ffff /* 0x28 SEL_UDATA: data, DPL 3 */
	.quad 0x00affa000000ffff /* 0x30 SEL_UCODE64: 64-bit code, DPL 3 */
work_gdt_end:
gdt_desc:
	.word work_gdt_end - work_gdt - 1
	.long work_gdt

/*
 * The parameter block, found by its magic (bench/work64.c): the program, its
 * loop count (0: as in tools/emu-bench.c) and how many times it is called.
 */
	.balign 16
	.ascii "EMBWORK1"
work_sel:
	.long 0
work_count:
	.long 0
work_reps:
	.long 1
	.long WORK_N
/*
 * One entry per program, in emu-bench's order: ROM offset, length, offset of
 * the loop count, offset of the final hlt, and the instructions a call runs:
 * fixed + per_iter * count.  The counts are read off the disassembly in
 * tools/emu-bench.c (the hlt counts as the ret it becomes); ember's --stats
 * instruction count checks them in bench/run.sh.
 */
.macro WORK_ENTRY name, fixed, per_iter
	.long \name - ROM_BASE, \name\()_end - \name, \name\()_count_at, \name\()_hlt_at
	.long \fixed, \per_iter
.endm
work_table:
	WORK_ENTRY bench_compute, 5, 9 /* 4 setup, ret; add xor mov mov add shr mov dec jne */
	WORK_ENTRY bench_checksum, 4, 4 /* 3 setup, ret; movzbl add dec jne */
	WORK_ENTRY bench_memcpy, 4, 6 /* 3 setup, ret; mov mov add add dec jne */
	WORK_ENTRY bench_callret, 2, 5 /* 1 setup, ret; call add ret dec jne */
	WORK_ENTRY bench_ssememcpy, 4, 8 /* 3 setup, ret; movdqu x2 movaps x2 add add dec jne */
	WORK_ENTRY bench_ssememset, 5, 5 /* 4 setup, ret; movaps x2 add dec jne */
	WORK_ENTRY bench_fpdouble, 7, 8 /* 5 setup, movq, ret; movapd mulsd addsd divsd addsd addsd dec jne */
	WORK_ENTRY bench_fpmix, 12, 9 /* 7 setup, 4 stores, ret; cvtsi2sd mulsd addsd movsd fldl fsqrt faddp dec jne */

#include "loops.inc"
