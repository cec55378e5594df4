/*
 * test_x86_exec.c - hand-assembled programs on flat memory, checked against
 * results the Intel SDM states: a firmware-style boot from real mode through
 * 32-bit protected mode to 4-level paging and 64-bit mode; flags of specific
 * ALU results; #DE, #PF error codes and CR2, IDT frames with TSS/IST stack
 * switches; SYSCALL/SYSRET; triple fault; the STI shadow; self-modifying code.
 * Programs were assembled with GNU as; the source is beside each byte array.
 */
#include <asm/prctl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "t.h"
#include "unit/test_x86.h"
#include "x86/x86.h"

#define MEM_SIZE (8u << 20)

struct tvm {
	uint8_t *mem;
	struct x86_cpu *cpu;
	struct x86_state *s;
	char com1[64];
	unsigned ncom1;
	uint32_t port80[8];
	unsigned n80;
	uint32_t portf4;
	int irq; /* pending interrupt vector or -1 */
};

/* RAM at 0, and the same RAM again at 4 GiB (as above a PC's hole). */
#define HIGH_RAM (1ull << 32)
static uint8_t *tvm_ram_page(void *o, uint64_t gpa, bool write)
{
	struct tvm *t = o;
	if (gpa >= HIGH_RAM && gpa - HIGH_RAM < MEM_SIZE)
		return t->mem + (gpa - HIGH_RAM);
	return gpa < MEM_SIZE ? t->mem + gpa : NULL;
}

static void tvm_out(void *o, uint16_t port, unsigned size, uint32_t v)
{
	struct tvm *t = o;
	if (port == 0x3F8 && t->ncom1 < sizeof(t->com1) - 1)
		t->com1[t->ncom1++] = (char)v;
	else if (port == 0x80 && t->n80 < 8)
		t->port80[t->n80++] = v;
	else if (port == 0xF4)
		t->portf4 = v;
}

static bool tvm_intr_pending(void *o)
{
	return ((struct tvm *)o)->irq >= 0;
}

static int tvm_intr_ack(void *o)
{
	struct tvm *t = o;
	int v = t->irq;
	t->irq = -1;
	return v;
}

static const struct x86_ops tvm_ops = {
    .ram_page = tvm_ram_page,
    .pio_out = tvm_out,
    .intr_pending = tvm_intr_pending,
    .intr_ack = tvm_intr_ack,
};

static struct tvm *tvm_new(void)
{
	struct tvm *t = calloc(1, sizeof(*t));
	t->mem = calloc(1, MEM_SIZE);
	t->cpu = x86_cpu_new(&tvm_ops, t);
	t->s = x86_cpu_state(t->cpu);
	t->irq = -1;
	return t;
}

static void tvm_free(struct tvm *t)
{
	x86_cpu_free(t->cpu);
	free(t->mem);
	free(t);
}

static void put(struct tvm *t, uint64_t a, const void *b, size_t n)
{
	memcpy(t->mem + a, b, n);
}

static void put64(struct tvm *t, uint64_t a, uint64_t v)
{
	memcpy(t->mem + a, &v, 8);
}

static void put32(struct tvm *t, uint64_t a, uint32_t v)
{
	memcpy(t->mem + a, &v, 4);
}

static uint64_t get64(struct tvm *t, uint64_t a)
{
	uint64_t v;
	memcpy(&v, t->mem + a, 8);
	return v;
}

static uint32_t get32(struct tvm *t, uint64_t a)
{
	uint32_t v;
	memcpy(&v, t->mem + a, 4);
	return v;
}

/* Real mode with CS=0 at ip, as after a far jump to 0:ip. */
static void tvm_real(struct tvm *t, uint16_t ip)
{
	x86_state_reset(t->s);
	t->s->seg[X86_CS].sel = 0;
	t->s->seg[X86_CS].base = 0;
	t->s->rip = ip;
	t->s->gpr[X86_RSP] = 0x7000;
	t->s->idt.limit = 0x3FF;
	x86_cpu_state_changed(t->cpu);
}

/* The GDT every protected-mode test uses (at 0x500). */
#define GDT	     0x500
#define TSS	     0x600
#define IDT	     0x800
#define SEL_CODE32   0x08
#define SEL_DATA     0x10
#define SEL_CODE32_U 0x1B
#define SEL_DATA_U   0x23
#define SEL_CODE64   0x28
#define SEL_TSS	     0x30
#define SEL_CODE64_U 0x43

static void tvm_gdt(struct tvm *t)
{
	put64(t, GDT + 0x08, 0x00CF9A000000FFFFull);
	put64(t, GDT + 0x10, 0x00CF92000000FFFFull);
	put64(t, GDT + 0x18, 0x00CFFA000000FFFFull);
	put64(t, GDT + 0x20, 0x00CFF2000000FFFFull);
	put64(t, GDT + 0x28, 0x00AF9A000000FFFFull);
	put64(t, GDT + 0x30, 0x00008B0000000067ull | ((uint64_t)TSS << 16)); /* busy TSS */
	put64(t, GDT + 0x40, 0x00AFFA000000FFFFull);
	t->s->gdt.base = GDT;
	t->s->gdt.limit = 0x47;
	t->s->idt.base = IDT;
	t->s->idt.limit = 0x7FF;
	memset(&t->s->seg[X86_TR], 0, sizeof(struct x86_seg));
	t->s->seg[X86_TR].sel = SEL_TSS;
	t->s->seg[X86_TR].base = TSS;
	t->s->seg[X86_TR].limit = 0x67;
	t->s->seg[X86_TR].type = 0xB;
	t->s->seg[X86_TR].present = 1;
}

/* An interrupt or trap gate (type 0xE/0xF) in the 32-bit IDT. */
static void gate32(struct tvm *t, int vec, uint32_t off, int type, int dpl)
{
	uint64_t g = (off & 0xFFFF) | ((uint64_t)SEL_CODE32 << 16) |
		     ((uint64_t)(0x80 | dpl << 5 | type) << 40) | ((uint64_t)(off >> 16) << 48);
	put64(t, IDT + vec * 8, g);
}

static void gate64(struct tvm *t, int vec, uint64_t off, int ist, int dpl)
{
	uint64_t lo = (off & 0xFFFF) | ((uint64_t)SEL_CODE64 << 16) | ((uint64_t)ist << 32) |
		      ((uint64_t)(0x80 | dpl << 5 | 0xE) << 40) | (((off >> 16) & 0xFFFF) << 48);
	put64(t, IDT + vec * 16, lo);
	put64(t, IDT + vec * 16 + 8, off >> 32);
}

/* Flat 32-bit protected mode at CPL cpl, no paging; ring-0 stack from the TSS. */
static void tvm_prot32(struct tvm *t, uint32_t eip, int cpl)
{
	x86_state_reset(t->s);
	tvm_gdt(t);
	t->s->cr0 = X86_CR0_PE | X86_CR0_ET;
	test_x86_seg(&t->s->seg[X86_CS], cpl ? SEL_CODE32_U : SEL_CODE32, 0xB, cpl, true, false);
	for (int r = X86_ES; r <= X86_GS; r++)
		if (r != X86_CS)
			test_x86_seg(&t->s->seg[r], cpl ? SEL_DATA_U : SEL_DATA, 0x3, cpl, true,
				     false);
	t->s->rip = eip;
	t->s->gpr[X86_RSP] = 0x9000;
	put32(t, TSS + 4, 0x8000);   /* esp0 */
	put32(t, TSS + 8, SEL_DATA); /* ss0 */
	x86_cpu_state_changed(t->cpu);
}

/* 64-bit mode with 4-level paging identity-mapping 0-8 MiB in 2 MiB user pages. */
static void tvm_long(struct tvm *t, uint64_t rip, int cpl)
{
	x86_state_reset(t->s);
	tvm_gdt(t);
	put64(t, 0x10000, 0x11000 | 7);
	put64(t, 0x11000, 0x12000 | 7);
	for (int i = 0; i < 4; i++)
		put64(t, 0x12000 + i * 8, ((uint64_t)i << 21) | 0x87);
	t->s->cr3 = 0x10000;
	t->s->cr4 = X86_CR4_PAE;
	t->s->efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE | X86_EFER_SCE;
	t->s->cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET | X86_CR0_WP;
	test_x86_seg(&t->s->seg[X86_CS], cpl ? SEL_CODE64_U : SEL_CODE64, 0xB, cpl, false, true);
	for (int r = X86_ES; r <= X86_GS; r++)
		if (r != X86_CS)
			test_x86_seg(&t->s->seg[r], cpl ? SEL_DATA_U : SEL_DATA, 0x3, cpl, true,
				     false);
	t->s->rip = rip;
	t->s->gpr[X86_RSP] = 0x7F000;
	put64(t, TSS + 4, 0x8000);     /* rsp0 */
	put64(t, TSS + 0x24, 0x6FFF8); /* ist1: deliberately not 16-byte aligned */
	x86_cpu_state_changed(t->cpu);
}

/*
 * boot.S, loaded at 0x1000 and entered in real mode at 0:0x1000:
 * 	.code16
 * 	.org 0
 * start16:	( at 0x1000, CS=0 )
 * 	cli
 * 	lgdtl gdtr
 * 	mov %cr0, %eax
 * 	or $1, %eax
 * 	mov %eax, %cr0
 * 	ljmpl $0x08, $start32
 * 	.code32
 * start32:
 * 	mov $0x10, %ax
 * 	mov %ax, %ds
 * 	mov %ax, %es
 * 	mov %ax, %ss
 * 	mov $0x9000, %esp
 * 	( 'P' to COM1 )
 * 	mov $0x3f8, %dx
 * 	mov $'P', %al
 * 	out %al, %dx
 * 	( page tables at 0x10000: PML4 -> PDPT 0x11000 -> PD 0x12000, 2 MiB pages )
 * 	mov $0x10000, %edi
 * 	xor %eax, %eax
 * 	mov $0xC00, %ecx
 * 	rep stosl
 * 	movl $0x11003, 0x10000
 * 	movl $0x12003, 0x11000
 * 	movl $0x000083, 0x12000
 * 	movl $0x200083, 0x12008
 * 	mov %cr4, %eax
 * 	or $0x20, %eax
 * 	mov %eax, %cr4
 * 	mov $0x10000, %eax
 * 	mov %eax, %cr3
 * 	mov $0xC0000080, %ecx
 * 	rdmsr
 * 	or $0x100, %eax
 * 	wrmsr
 * 	mov %cr0, %eax
 * 	or $0x80000000, %eax
 * 	mov %eax, %cr0
 * 	ljmp $0x18, $start64
 * 	.code64
 * start64:
 * 	mov $0x3f8, %dx
 * 	mov $'L', %al
 * 	out %al, %dx
 * 	mov $0x123456789abcdef0, %rax
 * 	push %rax
 * 	pop %rbx
 * 	mov %rbx, 0x300000	( beyond 2 MiB: second large page )
 * 	mov 0x300000, %rcx
 * 	mov $0xf4, %dx
 * 	mov %ecx, %eax
 * 	out %eax, %dx
 * 	hlt
 * 	.align 8
 * gdt:
 * 	.quad 0
 * 	.quad 0x00CF9A000000FFFF	( 0x08 code32 )
 * 	.quad 0x00CF92000000FFFF	( 0x10 data )
 * 	.quad 0x00AF9A000000FFFF	( 0x18 code64 )
 * gdtr:
 * 	.word gdtr - gdt - 1
 * 	.long gdt
 */
static const uint8_t prog_boot[] = {
    0xfa, 0x66, 0x0f, 0x01, 0x16, 0xe8, 0x10, 0x0f, 0x20, 0xc0, 0x66, 0x83, 0xc8, 0x01, 0x0f, 0x22,
    0xc0, 0x66, 0xea, 0x19, 0x10, 0x00, 0x00, 0x08, 0x00, 0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd8, 0x8e,
    0xc0, 0x8e, 0xd0, 0xbc, 0x00, 0x90, 0x00, 0x00, 0x66, 0xba, 0xf8, 0x03, 0xb0, 0x50, 0xee, 0xbf,
    0x00, 0x00, 0x01, 0x00, 0x31, 0xc0, 0xb9, 0x00, 0x0c, 0x00, 0x00, 0xf3, 0xab, 0xc7, 0x05, 0x00,
    0x00, 0x01, 0x00, 0x03, 0x10, 0x01, 0x00, 0xc7, 0x05, 0x00, 0x10, 0x01, 0x00, 0x03, 0x20, 0x01,
    0x00, 0xc7, 0x05, 0x00, 0x20, 0x01, 0x00, 0x83, 0x00, 0x00, 0x00, 0xc7, 0x05, 0x08, 0x20, 0x01,
    0x00, 0x83, 0x00, 0x20, 0x00, 0x0f, 0x20, 0xe0, 0x83, 0xc8, 0x20, 0x0f, 0x22, 0xe0, 0xb8, 0x00,
    0x00, 0x01, 0x00, 0x0f, 0x22, 0xd8, 0xb9, 0x80, 0x00, 0x00, 0xc0, 0x0f, 0x32, 0x0d, 0x00, 0x01,
    0x00, 0x00, 0x0f, 0x30, 0x0f, 0x20, 0xc0, 0x0d, 0x00, 0x00, 0x00, 0x80, 0x0f, 0x22, 0xc0, 0xea,
    0x96, 0x10, 0x00, 0x00, 0x18, 0x00, 0x66, 0xba, 0xf8, 0x03, 0xb0, 0x4c, 0xee, 0x48, 0xb8, 0xf0,
    0xde, 0xbc, 0x9a, 0x78, 0x56, 0x34, 0x12, 0x50, 0x5b, 0x48, 0x89, 0x1c, 0x25, 0x00, 0x00, 0x30,
    0x00, 0x48, 0x8b, 0x0c, 0x25, 0x00, 0x00, 0x30, 0x00, 0x66, 0xba, 0xf4, 0x00, 0x89, 0xc8, 0xef,
    0xf4, 0x8d, 0xb4, 0x26, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0x00, 0x00, 0x00, 0x9a, 0xcf, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x92, 0xcf, 0x00,
    0xff, 0xff, 0x00, 0x00, 0x00, 0x9a, 0xaf, 0x00, 0x1f, 0x00, 0xc8, 0x10, 0x00, 0x00};

static void test_boot_real_to_long(void)
{
	struct tvm *t = tvm_new();
	tvm_real(t, 0x1000);
	put(t, 0x1000, prog_boot, sizeof(prog_boot));
	enum x86_exit e = x86_run(t->cpu, 100000);
	T_EQ(e, X86_EXIT_HLT);
	T_STREQ(t->com1, "PL");
	T_EQ(t->portf4, 0x9abcdef0);
	T_EQ(x86_state_mode(t->s), X86_MODE_LONG64);
	T_CHECK(t->s->efer & X86_EFER_LMA, "EFER.LMA must be set by CR0.PG with LME");
	/* The access through the second 2 MiB page set its A and D bits. */
	T_EQ(get64(t, 0x12008) & 0x60, 0x60);
	const struct x86_stats *st = x86_cpu_stats(t->cpu);
	/* cli lgdt mov-from-cr0 or mov-to-cr0; the far jump runs with PE=1, CS.D=0. */
	T_EQ(st->insns[X86_MODE_REAL], 5);
	T_EQ(st->insns[X86_MODE_PROT16], 1);
	T_CHECK(st->insns[X86_MODE_PROT32] > 0 && st->insns[X86_MODE_LONG64] > 0,
		"instructions counted per mode");
	tvm_free(t);
}

/* Run bytes at 0x2000 in flat 32-bit mode with eax preset; return flags. */
static uint64_t run_flags(const uint8_t *code, size_t n, uint32_t eax, uint32_t *eax_out)
{
	struct tvm *t = tvm_new();
	tvm_prot32(t, 0x2000, 0);
	put(t, 0x2000, code, n);
	t->mem[0x2000 + n] = 0xF4;
	t->s->gpr[X86_RAX] = eax;
	x86_run(t->cpu, 10);
	uint64_t f = t->s->rflags;
	if (eax_out)
		*eax_out = (uint32_t)t->s->gpr[X86_RAX];
	tvm_free(t);
	return f;
}

#define ARITH                                                                                      \
	(X86_FLAGS_CF | X86_FLAGS_PF | X86_FLAGS_AF | X86_FLAGS_ZF | X86_FLAGS_SF | X86_FLAGS_OF)

static void test_alu_flags(void)
{
	uint32_t r;
	/* add al, 1 with AL=7Fh: 80h, signed overflow, carry out of bit 3, odd parity. */
	T_EQ(run_flags((const uint8_t[]){0x04, 0x01}, 2, 0x7F, &r) & ARITH,
	     X86_FLAGS_OF | X86_FLAGS_SF | X86_FLAGS_AF);
	T_EQ(r & 0xFF, 0x80);
	/* sub al, 1 with AL=0: FFh, borrow, AF, even parity. */
	T_EQ(run_flags((const uint8_t[]){0x2C, 0x01}, 2, 0, &r) & ARITH,
	     X86_FLAGS_CF | X86_FLAGS_SF | X86_FLAGS_AF | X86_FLAGS_PF);
	/* add eax, eax with 80000000h: 0, CF, OF, ZF, PF. */
	T_EQ(run_flags((const uint8_t[]){0x01, 0xC0}, 2, 0x80000000u, &r) & ARITH,
	     X86_FLAGS_CF | X86_FLAGS_OF | X86_FLAGS_ZF | X86_FLAGS_PF);
	/* shl al, 1 with AL=80h: 0, CF=1, OF = MSB(result) xor CF = 1. */
	T_EQ(run_flags((const uint8_t[]){0xD0, 0xE0}, 2, 0x80, &r) &
		 (X86_FLAGS_CF | X86_FLAGS_OF | X86_FLAGS_ZF),
	     X86_FLAGS_CF | X86_FLAGS_OF | X86_FLAGS_ZF);
	/* neg eax with 0: CF = 0 (source was zero). */
	T_EQ(run_flags((const uint8_t[]){0xF7, 0xD8}, 2, 0, &r) & X86_FLAGS_CF, 0);
	/* inc eax leaves CF alone: stc; inc eax. */
	T_EQ(run_flags((const uint8_t[]){0xF9, 0x40}, 2, 0xFFFFFFFFu, &r) &
		 (X86_FLAGS_CF | X86_FLAGS_ZF),
	     X86_FLAGS_CF | X86_FLAGS_ZF);
	/* imul al, 2 via (mov cl,2; imul cl) with AL=40h: AX=0080h, CF=OF=1. */
	T_EQ(run_flags((const uint8_t[]){0xB1, 0x02, 0xF6, 0xE9}, 4, 0x40, &r) &
		 (X86_FLAGS_CF | X86_FLAGS_OF),
	     X86_FLAGS_CF | X86_FLAGS_OF);
	T_EQ(r & 0xFFFF, 0x80);
	/* bsf eax, eax with 0: ZF=1, destination unchanged. */
	T_EQ(run_flags((const uint8_t[]){0x0F, 0xBC, 0xC0}, 3, 0, &r) & X86_FLAGS_ZF, X86_FLAGS_ZF);
}

/*
 * SAL r/m32, CL (D3 /6, the alias of /4), SDM vol. 2B SAL/SAR/SHL/SHR: the
 * count is masked to 5 bits; CF is the last bit shifted out; SF, ZF and PF
 * follow the result; OF (count != 1) and AF (count != 0) are undefined, so
 * they are not checked; a masked count of 0 changes no flags.
 */
static void test_shift_flags(void)
{
	const uint64_t szpc = X86_FLAGS_CF | X86_FLAGS_PF | X86_FLAGS_ZF | X86_FLAGS_SF;
	uint32_t r;
	/* mov cl, ACh; sal eax, cl: count 12, 002212F8h -> 212F8000h (bit 20 out). */
	T_EQ(run_flags((const uint8_t[]){0xB1, 0xAC, 0xD3, 0xF0}, 4, 0x2212F8, &r) & szpc,
	     X86_FLAGS_PF);
	T_EQ(r, 0x212F8000u);
	/* Same with bit 20 set: CF = 1, low byte still 00h so PF = 1. */
	T_EQ(run_flags((const uint8_t[]){0xB1, 0xAC, 0xD3, 0xF0}, 4, 0x3212F8, &r) & szpc,
	     X86_FLAGS_CF | X86_FLAGS_PF);
	T_EQ(r, 0x212F8000u);
	/* stc; mov cl, 20h; sal eax, cl: masked count 0, CF kept, EAX kept. */
	T_EQ(run_flags((const uint8_t[]){0xF9, 0xB1, 0x20, 0xD3, 0xF0}, 5, 0x80, &r) & szpc,
	     X86_FLAGS_CF);
	T_EQ(r, 0x80u);
}

/*
 *	mov $0x9000, %esp ; xor %ecx, %ecx ; mov $7, %eax ; div %ecx ; hlt
 */
static const uint8_t prog_de32[] = {
    0xbc, 0x00, 0x90, 0x00, 0x00, /* 2000: mov    $0x9000,%esp */
    0x31, 0xc9,			  /* 2005: xor    %ecx,%ecx */
    0xb8, 0x07, 0x00, 0x00, 0x00, /* 2007: mov    $0x7,%eax */
    0xf7, 0xf1,			  /* 200c: div    %ecx */
    0xf4,			  /* 200e: hlt */
};

static void test_divide_error_frame(void)
{
	struct tvm *t = tvm_new();
	tvm_prot32(t, 0x2000, 0);
	put(t, 0x2000, prog_de32, sizeof(prog_de32));
	gate32(t, 0, 0x3000, 0xE, 0);
	t->mem[0x3000] = 0xF4;
	T_EQ(x86_run(t->cpu, 100), X86_EXIT_HLT);
	/* #DE is a fault: the saved EIP is the DIV itself; same CPL, no SS:ESP. */
	T_EQ(t->s->rip, 0x3001);
	T_EQ(t->s->gpr[X86_RSP], 0x9000 - 12);
	T_EQ(get32(t, 0x9000 - 12), 0x200C);
	T_EQ(get32(t, 0x9000 - 8), SEL_CODE32);
	T_EQ(get32(t, 0x9000 - 4) & 2, 2);
	T_EQ(t->s->gpr[X86_RAX], 7); /* unchanged */
	T_EQ(x86_cpu_stats(t->cpu)->exceptions[0], 1);
	tvm_free(t);
}

/*
 * 32-bit paging (SDM 4.3): PD at 0x20000, PT at 0x21000 identity-mapping
 * 0-4 MiB as user read/write, except 0x300000 (not present), 0x301000
 * (user, read-only) and 0x302000 (supervisor only).  One access at EIP 0x2000
 * (code in ebx-addressed form), the #PF handler at 0x3000 is HLT.
 */
static struct tvm *pf_setup(const uint8_t *code, size_t n, int cpl, bool wp)
{
	struct tvm *t = tvm_new();
	tvm_prot32(t, 0x2000, cpl);
	put32(t, 0x20000, 0x21000 | 7);
	for (uint32_t i = 0; i < 1024; i++)
		put32(t, 0x21000 + i * 4, (i << 12) | 7);
	put32(t, 0x21000 + 0x300 * 4, 0);
	put32(t, 0x21000 + 0x301 * 4, 0x301000 | 5);
	put32(t, 0x21000 + 0x302 * 4, 0x302000 | 3);
	t->s->cr3 = 0x20000;
	t->s->cr0 |= X86_CR0_PG | (wp ? X86_CR0_WP : 0);
	put(t, 0x2000, code, n);
	t->mem[0x2000 + n] = 0xF4;
	gate32(t, 14, 0x3000, 0xE, 0);
	t->mem[0x3000] = 0xF4;
	x86_cpu_state_changed(t->cpu);
	return t;
}

/* Run one access to addr; return the #PF error code (or -1 if none). */
static long pf_case(const uint8_t *code, size_t n, uint32_t addr, int cpl, bool wp, uint64_t *cr2)
{
	struct tvm *t = pf_setup(code, n, cpl, wp);
	t->s->gpr[X86_RBX] = addr;
	x86_run(t->cpu, 10);
	long err = -1;
	if (t->s->rip == 0x3001) {
		err = get32(t, t->s->gpr[X86_RSP]);
		*cr2 = t->s->cr2;
		/* CPL3 -> 0 went through TSS.esp0 and pushed SS:ESP too (SDM 6.12.1). */
		if (cpl == 3 &&
		    (t->s->gpr[X86_RSP] != 0x8000 - 24 || get32(t, 0x8000 - 4) != SEL_DATA_U))
			err = -2;
	}
	tvm_free(t);
	return err;
}

static void test_page_fault_error_codes(void)
{
	static const uint8_t rd[] = {0x8B, 0x03}; /* mov (%ebx), %eax */
	static const uint8_t wr[] = {0x89, 0x03}; /* mov %eax, (%ebx) */
	uint64_t cr2 = 0;
	T_EQ(pf_case(rd, 2, 0x300010, 0, true, &cr2), 0); /* not present, read, supervisor */
	T_EQ(cr2, 0x300010);
	T_EQ(pf_case(wr, 2, 0x300020, 3, true, &cr2), 6);   /* not present, write, user */
	T_EQ(pf_case(wr, 2, 0x301000, 0, true, &cr2), 3);   /* protection, write, WP=1 */
	T_EQ(pf_case(wr, 2, 0x301000, 0, false, &cr2), -1); /* WP=0: supervisor may write */
	T_EQ(pf_case(wr, 2, 0x301004, 3, false, &cr2), 7);  /* user write to read-only */
	T_EQ(cr2, 0x301004);
	T_EQ(pf_case(rd, 2, 0x302000, 3, true, &cr2), 5); /* user read of supervisor page */
	T_EQ(pf_case(rd, 2, 0x302000, 0, true, &cr2), -1);
	/* A page-crossing dword write: the second page faults, nothing is written. */
	struct tvm *t = pf_setup(wr, 2, 0, true);
	t->s->gpr[X86_RBX] = 0x2FFFFE;
	t->s->gpr[X86_RAX] = 0xAABBCCDD;
	x86_run(t->cpu, 10);
	T_EQ(t->s->cr2, 0x300000);
	T_EQ(get32(t, 0x2FFFFC), 0);
	/* A successful write sets A in the PDE and A+D in the PTE (SDM 4.8). */
	t->s->gpr[X86_RBX] = 0x303000;
	t->s->rip = 0x2000;
	t->s->halted = false;
	x86_cpu_state_changed(t->cpu);
	x86_run(t->cpu, 10);
	T_EQ(get32(t, 0x21000 + 0x303 * 4) & 0x60, 0x60);
	T_EQ(get32(t, 0x20000) & 0x20, 0x20);
	/* x86_cpu_translate: the walk without faults or A/D updates. */
	uint64_t phys = 0;
	put32(t, 0x21000 + 0x304 * 4, 0x123000 | 1);
	T_EQ(x86_cpu_translate(t->cpu, 0x304ABC, &phys), 0);
	T_EQ(phys, 0x123ABC);
	T_EQ(get32(t, 0x21000 + 0x304 * 4) & 0x20, 0);
	cr2 = t->s->cr2;
	T_CHECK(x86_cpu_translate(t->cpu, 0x300000, &phys) < 0,
		"not-present page must not translate");
	T_EQ(t->s->cr2, cr2);
	tvm_free(t);
}

static void test_nx_fetch_fault(void)
{
	struct tvm *t = tvm_new();
	tvm_long(t, 0x2000, 0);
	/* Map 0x600000 through a 4 KiB page table with NX set. */
	put64(t, 0x12000 + 3 * 8, 0x13000 | 7);
	put64(t, 0x13000, 0x600000 | 7 | (1ull << 63));
	put(t, 0x2000, (const uint8_t[]){0xFF, 0xE3}, 2); /* jmp *%rbx */
	t->s->gpr[X86_RBX] = 0x600000;
	gate64(t, 14, 0x3000, 0, 0);
	t->mem[0x3000] = 0xF4;
	x86_cpu_state_changed(t->cpu);
	T_EQ(x86_run(t->cpu, 10), X86_EXIT_HLT);
	T_EQ(t->s->cr2, 0x600000);
	T_EQ(get64(t, t->s->gpr[X86_RSP]), 0x11);	  /* P | I/D */
	T_EQ(get64(t, t->s->gpr[X86_RSP] + 8), 0x600000); /* fault at the target */
	tvm_free(t);
}

/*
 * IA32_ARCH_CAPABILITIES (SDM vol. 4, MSR 10AH), enumerated by CPUID.(7,0):
 * EDX[29] (SDM vol. 2A, CPUID): the immunity bits of a CPU that executes
 * nothing speculatively, read at CPL 0; the MSR is read-only.
 *	mov $7, %eax ; xor %ecx, %ecx ; cpuid ; mov %edx, %r8d
 *	mov $0x10a, %ecx ; rdmsr ; mov %eax, %r9d ; mov %edx, %r10d
 *	wrmsr			( #GP(0) )
 */
static void test_arch_capabilities(void)
{
	static const uint8_t prog[] = {
	    0xb8, 0x07, 0x00, 0x00, 0x00, 0x31, 0xc9, 0x0f, 0xa2, 0x41, 0x89, 0xd0,
	    0xb9, 0x0a, 0x01, 0x00, 0x00, 0x0f, 0x32, 0x41, 0x89, 0xc1, 0x41, 0x89,
	    0xd2, 0x0f, 0x30, 0xf4};
	/* RDCL_NO, SSB_NO, MDS_NO, IF_PSCHANGE_MC_NO, TAA_NO, SBDR_SSDP_NO,
	 * FBSDP_NO, PSDP_NO, BHI_NO, PBRSB_NO, GDS_NO, RFDS_NO, ITS_NO */
	static const int immune[] = {0, 4, 5, 6, 8, 13, 14, 15, 20, 24, 26, 27, 62};
	uint64_t want = 0;
	for (unsigned i = 0; i < sizeof(immune) / sizeof(immune[0]); i++)
		want |= 1ull << immune[i];
	struct tvm *t = tvm_new();
	tvm_long(t, 0x2000, 0);
	put(t, 0x2000, prog, sizeof(prog));
	gate64(t, 13, 0x3000, 0, 0);
	t->mem[0x3000] = 0xF4;
	x86_cpu_state_changed(t->cpu);
	T_EQ(x86_run(t->cpu, 20), X86_EXIT_HLT);
	T_CHECK(t->s->gpr[8] & (1u << 29), "CPUID.(7,0):EDX[29] enumerates the MSR");
	T_EQ(t->s->gpr[9] | t->s->gpr[10] << 32, want);
	T_EQ(t->s->rip, 0x3001); /* WRMSR faulted, #GP's handler halted */
	T_EQ(get64(t, t->s->gpr[X86_RSP]), 0);		  /* error code 0 */
	T_EQ(get64(t, t->s->gpr[X86_RSP] + 8), 0x2000 + 25); /* at the WRMSR */
	tvm_free(t);
}

/*
 *	mov $0x1234, %rax ; hlt	(at CPL3: HLT is privileged, #GP(0))
 */
static const uint8_t prog_user64[] = {
    0x48, 0xc7, 0xc0, 0x34, 0x12, 0x00, 0x00, /* 400000: mov    $0x1234,%rax */
    0xf4,				      /* 400007: hlt */
};

static void test_long_mode_ist_frame(void)
{
	struct tvm *t = tvm_new();
	tvm_long(t, 0x400000, 3);
	put(t, 0x400000, prog_user64, sizeof(prog_user64));
	gate64(t, 13, 0x3000, 1, 0);
	t->mem[0x3000] = 0xF4;
	T_EQ(x86_run(t->cpu, 10), X86_EXIT_HLT);
	/* IST1 = 0x6FFF8 aligned down to 16 bytes, then SS RSP RFLAGS CS RIP error. */
	uint64_t sp = 0x6FFF0 - 48;
	T_EQ(t->s->gpr[X86_RSP], sp);
	T_EQ(get64(t, sp), 0);		  /* error code */
	T_EQ(get64(t, sp + 8), 0x400007); /* the HLT */
	T_EQ(get64(t, sp + 16), SEL_CODE64_U);
	T_EQ(get64(t, sp + 32), 0x7F000); /* user RSP */
	T_EQ(get64(t, sp + 40), SEL_DATA_U);
	T_EQ(t->s->seg[X86_CS].sel, SEL_CODE64);
	T_EQ(t->s->seg[X86_SS].sel, 0); /* null SS with RPL = new CPL (0) */
	T_EQ(t->s->gpr[X86_RAX], 0x1234);
	tvm_free(t);
}

/*
 * User:   mov $42, %eax ; syscall ; out %eax, $0xf4 ; hlt
 * Kernel: add $1, %eax ; sysretq
 */
static void test_syscall_sysret(void)
{
	struct tvm *t = tvm_new();
	tvm_long(t, 0x401000, 3);
	put(t, 0x401000, (const uint8_t[]){0xb8, 0x2a, 0, 0, 0, 0x0f, 0x05, 0xe7, 0xf4, 0xf4}, 10);
	put(t, 0x3100, (const uint8_t[]){0x83, 0xc0, 0x01, 0x48, 0x0f, 0x07}, 6);
	t->s->lstar = 0x3100;
	t->s->star = (0x30ull << 48) | ((uint64_t)SEL_CODE64 << 32);
	t->s->sfmask = X86_FLAGS_IF;
	t->s->rflags |= X86_FLAGS_IOPL; /* IOPL 3: user OUT allowed */
	gate64(t, 13, 0x3000, 1, 0);
	t->mem[0x3000] = 0xF4;
	x86_cpu_state_changed(t->cpu);
	T_EQ(x86_run(t->cpu, 20), X86_EXIT_HLT);
	T_EQ(t->portf4, 43);
	/* SYSRET to 64-bit: CS = STAR[63:48] + 16, RPL 3; the user HLT then #GPs. */
	T_EQ(get64(t, t->s->gpr[X86_RSP] + 16), 0x43);
	T_EQ(t->s->gpr[X86_RCX], 0x401007);
	tvm_free(t);
}

static void test_triple_fault_shutdown(void)
{
	struct tvm *t = tvm_new();
	tvm_prot32(t, 0x2000, 0);
	t->s->idt.limit = 0;				  /* every vector is outside the IDT */
	put(t, 0x2000, (const uint8_t[]){0x0F, 0x0B}, 2); /* ud2 */
	x86_cpu_state_changed(t->cpu);
	T_EQ(x86_run(t->cpu, 10), X86_EXIT_SHUTDOWN);
	const struct x86_stats *st = x86_cpu_stats(t->cpu);
	T_EQ(st->exceptions[6], 1);
	T_EQ(st->exceptions[13], 1);
	T_EQ(st->exceptions[8], 1);
	tvm_free(t);
}

/*
 *	sti ; mov $1, %al ; mov $2, %al ; hlt	(real mode, IRQ vector 0x20 pending)
 * STI delays interrupt recognition by one instruction (SDM STI).
 */
static void test_sti_shadow(void)
{
	struct tvm *t = tvm_new();
	tvm_real(t, 0x1000);
	put(t, 0x1000, (const uint8_t[]){0xFB, 0xB0, 0x01, 0xB0, 0x02, 0xF4}, 6);
	put32(t, 0x20 * 4, 0x00002000); /* IVT[0x20] = 0000:2000 */
	t->mem[0x2000] = 0xF4;
	t->irq = 0x20;
	T_EQ(x86_run(t->cpu, 10), X86_EXIT_HLT);
	T_EQ(t->s->rip, 0x2001);
	T_EQ(t->s->gpr[X86_RAX] & 0xFF, 1);
	T_EQ(get32(t, 0x7000 - 6) & 0xFFFF, 0x1003); /* the pushed IP */
	T_EQ(x86_cpu_stats(t->cpu)->interrupts, 1);
	/* With IF clear, HLT returns and the interrupt stays pending. */
	tvm_real(t, 0x1005);
	t->irq = 0x20;
	T_EQ(x86_run(t->cpu, 10), X86_EXIT_HLT);
	T_EQ(t->s->rip, 0x1006);
	T_EQ(t->irq, 0x20);
	tvm_free(t);
}

/*
 *	mov $2, %cx
 * l:	mov $0x11, %al ; out %al, $0x80 ; movb $0x22, l+1 ; dec %cx ; jnz l ; hlt
 */
static const uint8_t prog_smc[] = {
    0xb9, 0x02, 0x00,		  /* 1000: mov    $0x2,%cx */
    0xb0, 0x11,			  /* 1003: mov    $0x11,%al */
    0xe6, 0x80,			  /* 1005: out    %al,$0x80 */
    0xc6, 0x06, 0x04, 0x10, 0x22, /* 1007: movb   $0x22,0x1004 */
    0x49,			  /* 100c: dec    %cx */
    0x75, 0xf4,			  /* 100d: jne    0x1003 */
    0xf4,			  /* 100f: hlt */
};

static void test_self_modifying_code(void)
{
	struct tvm *t = tvm_new();
	tvm_real(t, 0x1000);
	put(t, 0x1000, prog_smc, sizeof(prog_smc));
	T_EQ(x86_run(t->cpu, 100), X86_EXIT_HLT);
	T_EQ(t->n80, 2);
	T_EQ(t->port80[0], 0x11);
	T_EQ(t->port80[1], 0x22);
	tvm_free(t);
}

/*
 * 64-bit, no I/O in the loop, so the run loop's linked fast path carries it:
 *	mov $5, %ecx ; xor %edx, %edx
 * l:	cmp $1, %ecx ; jne 1f ; movb $0x10, p+5(%rip)
 * 1:	movabs $0x1122334455667788, %rax
 * p:	add $1, %edx ; dec %ecx ; jnz l ; hlt
 * The last pass patches the top immediate byte of the ADD, which the passes
 * before reached by falling through from the MOVABS (long enough to stay
 * outside the 15 bytes a write drops decodes from): EDX = 4 + 0x10000001,
 * not the stale 5 (SDM vol. 3A 11.6, self-modifying code).
 */
static const uint8_t prog_smc64[] = {
    0xb9, 0x05, 0x00, 0x00, 0x00,	      /* 400000: mov    $0x5,%ecx */
    0x31, 0xd2,				      /* 400005: xor    %edx,%edx */
    0x83, 0xf9, 0x01,			      /* 400007: cmp    $0x1,%ecx */
    0x75, 0x07,				      /* 40000a: jne    400013 */
    0xc6, 0x05, 0x0f, 0x00, 0x00, 0x00, 0x10, /* 40000c: movb   $0x10,0xf(%rip) */
    0x48, 0xb8, 0x88, 0x77, 0x66, 0x55,	      /* 400013: movabs $0x1122334455667788,%rax */
    0x44, 0x33, 0x22, 0x11,		      /* */
    0x81, 0xc2, 0x01, 0x00, 0x00, 0x00,	      /* 40001d: add    $0x1,%edx */
    0xff, 0xc9,				      /* 400023: dec    %ecx */
    0x75, 0xe0,				      /* 400025: jne    400007 */
    0xf4,				      /* 400027: hlt */
};

static void test_self_modifying_code_64(void)
{
	struct tvm *t = tvm_new();
	tvm_long(t, 0x400000, 0);
	put(t, 0x400000, prog_smc64, sizeof(prog_smc64));
	T_EQ(x86_run(t->cpu, 100), X86_EXIT_HLT);
	T_EQ(t->s->gpr[X86_RDX], 0x10000005);
	T_EQ(t->mem[0x400022], 0x10);
	tvm_free(t);
}

/* The same with the code in RAM above 4 GiB (linear 4 MiB mapped to
 * physical 4 GiB + 4 MiB): the decoded-code map covered only the first
 * 4 GiB, so the patch was missed there and EDX came out 5. */
static void test_self_modifying_code_above_4g(void)
{
	struct tvm *t = tvm_new();
	tvm_long(t, 0x400000, 0);
	put64(t, 0x12000 + 2 * 8, (HIGH_RAM + 0x400000) | 0x87);
	put(t, 0x400000, prog_smc64, sizeof(prog_smc64));
	T_EQ(x86_run(t->cpu, 100), X86_EXIT_HLT);
	T_EQ(t->s->gpr[X86_RDX], 0x10000005);
	tvm_free(t);
}

/*
 * The same through a branch: the loop's back edge reaches its head through
 * the taken-branch link; the pass with ECX = 2 patches the head's immediate.
 *	mov $5, %ecx ; xor %edx, %edx ; movabs $0x1122334455667788, %rax
 * l:	add $1, %edx ; cmp $2, %ecx ; jne 1f ; movb $0x10, l+5(%rip)
 * 1:	dec %ecx ; jnz l ; hlt
 * EDX = 4 + 0x10000001, not the stale 5.
 */
static const uint8_t prog_smc64_branch[] = {
    0xb9, 0x05, 0x00, 0x00, 0x00,	      /* 400000: mov    $0x5,%ecx */
    0x31, 0xd2,				      /* 400005: xor    %edx,%edx */
    0x48, 0xb8, 0x88, 0x77, 0x66, 0x55,	      /* 400007: movabs $0x1122334455667788,%rax */
    0x44, 0x33, 0x22, 0x11,		      /* */
    0x81, 0xc2, 0x01, 0x00, 0x00, 0x00,	      /* 400011: add    $0x1,%edx */
    0x83, 0xf9, 0x02,			      /* 400017: cmp    $0x2,%ecx */
    0x75, 0x07,				      /* 40001a: jne    400023 */
    0xc6, 0x05, 0xf3, 0xff, 0xff, 0xff, 0x10, /* 40001c: movb   $0x10,-0xd(%rip) */
    0xff, 0xc9,				      /* 400023: dec    %ecx */
    0x75, 0xea,				      /* 400025: jne    400011 */
    0xf4,				      /* 400027: hlt */
};

static void test_self_modifying_code_64_branch(void)
{
	struct tvm *t = tvm_new();
	tvm_long(t, 0x400000, 0);
	put(t, 0x400000, prog_smc64_branch, sizeof(prog_smc64_branch));
	T_EQ(x86_run(t->cpu, 100), X86_EXIT_HLT);
	T_EQ(t->s->gpr[X86_RDX], 0x10000005);
	T_EQ(t->mem[0x400016], 0x10);
	tvm_free(t);
}

/*
 * Lazy flags against the host CPU: an ALU operation, then the sixteen Jcc
 * or shift, each skipping a LEA that sets one bit of RDX (neither touches the flags,
 * so every Jcc reads the operation's lazy record), then PUSHF (a general
 * body: the record written out).  The same sequence runs natively; RAX,
 * RDX and the six flags (AF masked where the SDM leaves it undefined) must
 * agree.
 */
#define LAZY_JCC(cc, bit) "j" cc " 1f\n\tlea " #bit "(%[d]), %[d]\n1:\n\t"
#define LAZY_JCCS                                                                                  \
	LAZY_JCC("o", 1)                                                                           \
	LAZY_JCC("no", 2)                                                                          \
	LAZY_JCC("b", 4) LAZY_JCC("ae", 8) LAZY_JCC("e", 16) LAZY_JCC("ne", 32) LAZY_JCC("be", 64) \
	    LAZY_JCC("a", 128) LAZY_JCC("s", 256) LAZY_JCC("ns", 512) LAZY_JCC("p", 1024)          \
		LAZY_JCC("np", 2048) LAZY_JCC("l", 4096) LAZY_JCC("ge", 8192)                      \
		    LAZY_JCC("le", 16384) LAZY_JCC("g", 32768)
#define LAZY_NATIVE(name, insn)                                                                    \
	static void name(uint64_t *a, uint64_t b, uint64_t cfin, uint64_t *f, uint64_t *d)         \
	{                                                                                          \
		uint64_t x = *a, dd = 0, ff;                                                       \
		asm volatile("btq $0, %[c]\n\t" insn "\n\t" LAZY_JCCS "pushfq\n\tpopq %[f]"        \
			     : [f] "=&r"(ff), [a] "+r"(x), [d] "+r"(dd)                            \
			     : [b] "r"(b), [c] "r"(cfin)                                           \
			     : "cc");                                                              \
		*a = x;                                                                            \
		*f = ff;                                                                           \
		*d = dd;                                                                           \
	}
LAZY_NATIVE(lazy_add64, "addq %[b], %[a]")
LAZY_NATIVE(lazy_add32, "addl %k[b], %k[a]")
LAZY_NATIVE(lazy_sub64, "subq %[b], %[a]")
LAZY_NATIVE(lazy_sub32, "subl %k[b], %k[a]")
LAZY_NATIVE(lazy_cmp64, "cmpq %[b], %[a]")
LAZY_NATIVE(lazy_cmp32, "cmpl %k[b], %k[a]")
LAZY_NATIVE(lazy_and64, "andq %[b], %[a]")
LAZY_NATIVE(lazy_or32, "orl %k[b], %k[a]")
LAZY_NATIVE(lazy_xor64, "xorq %[b], %[a]")
LAZY_NATIVE(lazy_test32, "testl %k[b], %k[a]")
LAZY_NATIVE(lazy_inc64, "incq %[a]")
LAZY_NATIVE(lazy_dec32, "decl %k[a]")
LAZY_NATIVE(lazy_adc64, "adcq %[b], %[a]")
LAZY_NATIVE(lazy_sbb32, "sbbl %k[b], %k[a]")
LAZY_NATIVE(lazy_shl64, "shlq $3, %[a]")
LAZY_NATIVE(lazy_shl32, "shll $1, %k[a]")
LAZY_NATIVE(lazy_shr64, "shrq $1, %[a]")
LAZY_NATIVE(lazy_shr32, "shrl $31, %k[a]")
LAZY_NATIVE(lazy_sar64, "sarq $63, %[a]")
LAZY_NATIVE(lazy_sar32, "sarl $1, %k[a]")
LAZY_NATIVE(lazy_shr_inc, "shrq $1, %[a]\n\tincq %[a]")
LAZY_NATIVE(lazy_shl_dec, "shll $31, %k[a]\n\tdecl %k[a]")
LAZY_NATIVE(lazy_sub_inc, "subq %[b], %[a]\n\tincq %[a]")
LAZY_NATIVE(lazy_and_dec, "andl %k[b], %k[a]\n\tdecl %k[a]")

static const struct {
	const char *name;
	void (*native)(uint64_t *a, uint64_t b, uint64_t cfin, uint64_t *f, uint64_t *d);
	uint8_t bytes[8], len;
	uint16_t undef; /* flags the SDM leaves undefined */
} lazy_ops[] = {
    {"add64", lazy_add64, {0x48, 0x01, 0xd8}, 3, 0},
    {"add32", lazy_add32, {0x01, 0xd8}, 2, 0},
    {"sub64", lazy_sub64, {0x48, 0x29, 0xd8}, 3, 0},
    {"sub32", lazy_sub32, {0x29, 0xd8}, 2, 0},
    {"cmp64", lazy_cmp64, {0x48, 0x39, 0xd8}, 3, 0},
    {"cmp32", lazy_cmp32, {0x39, 0xd8}, 2, 0},
    {"and64", lazy_and64, {0x48, 0x21, 0xd8}, 3, 0x10},
    {"or32", lazy_or32, {0x09, 0xd8}, 2, 0x10},
    {"xor64", lazy_xor64, {0x48, 0x31, 0xd8}, 3, 0x10},
    {"test32", lazy_test32, {0x85, 0xd8}, 2, 0x10},
    {"inc64", lazy_inc64, {0x48, 0xff, 0xc0}, 3, 0},
    {"dec32", lazy_dec32, {0xff, 0xc8}, 2, 0},
    {"adc64", lazy_adc64, {0x48, 0x11, 0xd8}, 3, 0},
    {"sbb32", lazy_sbb32, {0x19, 0xd8}, 2, 0},
    /* Shifts: AF undefined; OF too for counts other than 1. */
    {"shl64", lazy_shl64, {0x48, 0xc1, 0xe0, 3}, 4, 0x810},
    {"shl32", lazy_shl32, {0xc1, 0xe0, 1}, 3, 0x10},
    {"shr64", lazy_shr64, {0x48, 0xc1, 0xe8, 1}, 4, 0x10},
    {"shr32", lazy_shr32, {0xc1, 0xe8, 31}, 3, 0x810},
    {"sar64", lazy_sar64, {0x48, 0xc1, 0xf8, 63}, 4, 0x810},
    {"sar32", lazy_sar32, {0xc1, 0xf8, 1}, 3, 0x10},
    /* INC/DEC keep the CF of the operation before them. */
    {"shr64+inc", lazy_shr_inc, {0x48, 0xc1, 0xe8, 1, 0x48, 0xff, 0xc0}, 7, 0},
    {"shl32+dec", lazy_shl_dec, {0xc1, 0xe0, 31, 0xff, 0xc8}, 5, 0},
    {"sub64+inc", lazy_sub_inc, {0x48, 0x29, 0xd8, 0x48, 0xff, 0xc0}, 6, 0},
    {"and32+dec", lazy_and_dec, {0x21, 0xd8, 0xff, 0xc8}, 4, 0},
};

static void test_lazy_flags_vs_host(void)
{
	static const uint64_t edge[] = {0,
					1,
					0x7F,
					0x80,
					0xFF,
					0x7FFFFFFF,
					0x80000000,
					0xFFFFFFFF,
					0x7FFFFFFFFFFFFFFFull,
					0x8000000000000000ull,
					~0ull};
	struct tvm *t = tvm_new();
	uint64_t rng = 0x9E3779B97F4A7C15ull;
	unsigned bad = 0;
	for (size_t k = 0; k < sizeof(lazy_ops) / sizeof(lazy_ops[0]); k++) {
		/*
		 * l: mov %r8,%rax ; xor %edx,%edx ; bt $0,%r10 (CF in) ; op ;
		 *    16 x (jcc +7 ; lea 1<<cc(%rdx),%rdx) ; pushfq ; pop %rsi ;
		 *    dec %ecx ; jnz l ; hlt
		 * Twice: the first pass decodes one instruction at a time, the
		 * second runs from the decoded cache through the fast loop.
		 */
		uint8_t prog[10 + 8 + 16 * 9 + 2 + 8 + 1], *q = prog;
		static const uint8_t head[] = {0x4c, 0x89, 0xc0, 0x31, 0xd2,
					       0x41, 0x0f, 0xba, 0xe2, 0x00};
		memcpy(q, head, sizeof(head));
		q += sizeof(head);
		memcpy(q, lazy_ops[k].bytes, lazy_ops[k].len);
		q += lazy_ops[k].len;
		for (int cc = 0; cc < 16; cc++) {
			uint32_t bit = 1u << cc;
			*q++ = 0x70 + cc;
			*q++ = 7;
			*q++ = 0x48, *q++ = 0x8d, *q++ = 0x92;
			memcpy(q, &bit, 4);
			q += 4;
		}
		*q++ = 0x9c, *q++ = 0x5e;
		*q++ = 0xff, *q++ = 0xc9, *q++ = 0x0f, *q++ = 0x85;
		int32_t back = -(int32_t)(q + 4 - prog);
		memcpy(q, &back, 4);
		q += 4;
		*q++ = 0xf4;
		for (int i = 0; i < 300; i++) {
			rng = rng * 6364136223846793005ull + 1442695040888963407ull;
			uint64_t a = i < 121 ? edge[i % 11] : rng >> 3 ^ rng << 17;
			uint64_t b = i < 121 ? edge[i / 11] : rng * 0x2545F4914F6CDD1Dull;
			uint64_t cfin = (rng >> 40) & 1, na = a, nf, nd;
			lazy_ops[k].native(&na, b, cfin, &nf, &nd);
			tvm_long(t, 0x400000, 0);
			put(t, 0x400000, prog, (size_t)(q - prog));
			t->s->gpr[X86_R8] = a;
			t->s->gpr[X86_RBX] = b;
			t->s->gpr[X86_R10] = cfin;
			t->s->gpr[X86_RCX] = 2;
			x86_cpu_state_changed(t->cpu);
			enum x86_exit e = x86_run(t->cpu, 200);
			uint64_t mask = 0x8D5 & ~(uint64_t)lazy_ops[k].undef;
			/* Jcc bits that read an undefined OF: O, NO, L, GE, LE, G. */
			uint64_t dmask = (lazy_ops[k].undef & 0x800) ? ~0xF003ull : ~0ull;
			if (e != X86_EXIT_HLT || t->s->gpr[X86_RAX] != na ||
			    ((t->s->gpr[X86_RDX] ^ nd) & dmask) ||
			    ((t->s->gpr[X86_RSI] ^ nf) & mask)) {
				if (bad++ < 5)
					T_CHECK(
					    false,
					    "%s a=%#llx b=%#llx cf=%llu: emu rax %#llx rdx %#llx "
					    "flags %#llx, cpu %#llx %#llx %#llx",
					    lazy_ops[k].name, (unsigned long long)a,
					    (unsigned long long)b, (unsigned long long)cfin,
					    (unsigned long long)t->s->gpr[X86_RAX],
					    (unsigned long long)t->s->gpr[X86_RDX],
					    (unsigned long long)t->s->gpr[X86_RSI],
					    (unsigned long long)na, (unsigned long long)nd,
					    (unsigned long long)nf);
			}
		}
	}
	T_EQ(bad, 0);
	tvm_free(t);
}

/*
 *	bt %r14, (%eax) ; hlt		(64-bit code, 32-bit addressing)
 * R14 = 2^63 + 1: the bit string starts 2^60 bytes below EAX, which 32-bit
 * addressing wraps back onto EAX; the bit is bit 1 there (SDM "BT": EA +
 * 8 * (offset DIV 64), the address size applied to the sum).  Found by
 * difftest --seed 4711 --class bitops --case 7058 against the CPU.
 */
static void test_bt_far_bit_offset(void)
{
	struct tvm *t = tvm_new();
	tvm_long(t, 0x400000, 0);
	put(t, 0x400000, (const uint8_t[]){0x67, 0x4c, 0x0f, 0xa3, 0x30, 0xf4}, 6);
	t->s->gpr[X86_RAX] = 0xFFFFFFFF00003000ull; /* EAX 0x3000 */
	t->s->gpr[X86_R14] = 0x8000000000000001ull;
	t->mem[0x3000] = 0x02;
	x86_cpu_state_changed(t->cpu);
	T_EQ(x86_run(t->cpu, 10), X86_EXIT_HLT);
	T_EQ(t->s->rflags & X86_FLAGS_CF, X86_FLAGS_CF);
	tvm_free(t);
}

static sigjmp_buf cx16_jmp;
static void cx16_signal(int sig)
{
	siglongjmp(cx16_jmp, sig);
}

/*
 * The host CPU's answer to lock cmpxchg16b %gs:(off) with GS.base = base
 * (ss == false), or to lock cmpxchg16b %ss:(off) (ss == true): 0, or
 * SIGSEGV (#GP), or SIGBUS (#SS).
 */
static int host_cx16(uint8_t *base, uint64_t off, bool ss)
{
	unsigned long old_gs;
	struct sigaction sa = {.sa_handler = cx16_signal}, old_segv, old_bus;
	volatile int sig = 0;
	syscall(SYS_arch_prctl, ARCH_GET_GS, &old_gs);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)base);
	int got = sigsetjmp(cx16_jmp, 1);
	if (!got) {
		uint64_t rax = 0, rdx = 0;
		if (ss)
			__asm__ volatile("lock cmpxchg16b %%ss:(%2)"
					 : "+a"(rax), "+d"(rdx)
					 : "r"(off), "b"(1ull), "c"(2ull)
					 : "memory", "cc");
		else
			__asm__ volatile("lock cmpxchg16b %%gs:(%2)"
					 : "+a"(rax), "+d"(rdx)
					 : "r"(off), "b"(1ull), "c"(2ull)
					 : "memory", "cc");
	} else {
		sig = got;
	}
	syscall(SYS_arch_prctl, ARCH_SET_GS, old_gs);
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return sig;
}

/*
 *	lock cmpxchg16b %gs:(%rbx) ; hlt	or	lock cmpxchg16b %ss:(%rbx) ; hlt
 * CMPXCHG16B's operand must be 16-byte aligned (#GP(0) otherwise, SDM
 * "CMPXCHG8B/CMPXCHG16B"): the linear address, the segment base included;
 * non-canonical addresses through SS, aligned or not, are #GP on this CPU.
 * Each case against the host CPU running the same instruction with its own
 * GS base misaligned the same way.
 */
static void test_cmpxchg16b_alignment(void)
{
	static _Alignas(64) uint8_t host_buf[128];
	static const struct {
		bool ss;
		uint64_t base, off;
	} cases[] = {{false, 0, 0},
		     {false, 8, 0},
		     {false, 8, 8},
		     {false, 4, 12},
		     {false, 0, 8},
		     {false, 1, 15},
		     {false, 16, 16},
		     {true, 0, 0x8000000000000000ull},
		     {true, 0, 0x8000000000000008ull}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ss = cases[i].ss;
		int host = host_cx16(host_buf + cases[i].base,
				     cases[i].off, ss);
		struct tvm *t = tvm_new();
		tvm_long(t, 0x400000, 0);
		put(t, 0x400000, (const uint8_t[]){0xf0, ss ? 0x36 : 0x65, 0x48, 0x0f, 0xc7, 0x0b, 0xf4},
		    7);
		gate64(t, 12, 0x3000, 0, 0); /* #SS */
		gate64(t, 13, 0x3100, 0, 0); /* #GP */
		t->mem[0x3000] = 0xF4;
		t->mem[0x3100] = 0xF4;
		t->s->seg[X86_GS].base = 0x5000 + cases[i].base;
		t->s->gpr[X86_RBX] = cases[i].off;
		x86_cpu_state_changed(t->cpu);
		T_EQ(x86_run(t->cpu, 10), X86_EXIT_HLT);
		int emu = t->s->rip == 0x3001 ? SIGBUS : t->s->rip == 0x3101 ? SIGSEGV : 0;
		if (emu != host)
			fprintf(stderr, "cmpxchg16b %s base+%llu off %#llx: host signal %d, ember %d\n",
				ss ? "ss" : "gs", (unsigned long long)cases[i].base,
				(unsigned long long)cases[i].off, host, emu);
		T_EQ(emu, host);
		tvm_free(t);
	}
}

/* Task B's TSS at 0x700, selector 0x48 in the GDT (SDM 7.2.1 layout). */
static void task_b(struct tvm *t, uint32_t eip)
{
	put64(t, GDT + 0x48, 0x0000890000000067ull | (0x700ull << 16)); /* available */
	t->s->gdt.limit = 0x4F;
	put32(t, 0x700 + 0x20, eip);
	put32(t, 0x700 + 0x24, 0x2);
	put32(t, 0x700 + 0x28, 0x55AA); /* eax */
	put32(t, 0x700 + 0x38, 0x8800); /* esp */
	put32(t, 0x700 + 0x4C, SEL_CODE32);
	put32(t, 0x700 + 0x48, SEL_DATA);
	put32(t, 0x700 + 0x50, SEL_DATA);
	put32(t, 0x700 + 0x54, SEL_DATA);
	put32(t, 0x700 + 0x58, SEL_DATA);
	put32(t, 0x700 + 0x5C, SEL_DATA);
}

static void test_task_switch(void)
{
	/* ljmp $0x48, $0: switch to task B, which halts. */
	struct tvm *t = tvm_new();
	tvm_prot32(t, 0x2000, 0);
	task_b(t, 0x2100);
	put(t, 0x2000, (const uint8_t[]){0xEA, 0, 0, 0, 0, 0x48, 0}, 7);
	t->mem[0x2100] = 0xF4;
	x86_cpu_state_changed(t->cpu);
	T_EQ(x86_run(t->cpu, 10), X86_EXIT_HLT);
	T_EQ(t->s->rip, 0x2101);
	T_EQ(t->s->seg[X86_TR].sel, 0x48);
	T_EQ(t->s->gpr[X86_RAX], 0x55AA);
	T_EQ(t->s->gpr[X86_RSP], 0x8800);
	T_EQ(get32(t, 0x600 + 0x20), 0x2007);	 /* outgoing EIP saved in TSS A */
	T_EQ(t->mem[GDT + 0x30 + 5] & 0xF, 0x9); /* JMP clears the old busy bit */
	T_EQ(t->mem[GDT + 0x48 + 5] & 0xF, 0xB);
	T_CHECK(t->s->cr0 & X86_CR0_TS, "a task switch sets CR0.TS");
	tvm_free(t);

	/* lcall $0x48, $0 ; hlt -- task B: iret (NT set: returns to task A). */
	t = tvm_new();
	tvm_prot32(t, 0x2000, 0);
	task_b(t, 0x2100);
	put(t, 0x2000, (const uint8_t[]){0x9A, 0, 0, 0, 0, 0x48, 0, 0xF4}, 8);
	t->mem[0x2100] = 0xCF;
	x86_cpu_state_changed(t->cpu);
	T_EQ(x86_run(t->cpu, 10), X86_EXIT_HLT);
	T_EQ(t->s->rip, 0x2008);
	T_EQ(t->s->seg[X86_TR].sel, SEL_TSS);
	T_EQ(get32(t, 0x700) & 0xFFFF, SEL_TSS); /* back link */
	T_EQ(t->mem[GDT + 0x48 + 5] & 0xF, 0x9); /* IRET frees task B */
	T_EQ(t->s->rflags & X86_FLAGS_NT, 0);
	tvm_free(t);
}

/*
 * User (CPL3, 0x2000): push $0x77 ; lcall $0x3B, $0 ; hlt
 * Kernel (CPL0, 0x3100, through a DPL3 call gate with 1 parameter): hlt ; lret $4
 */
static void test_call_gate_inner(void)
{
	struct tvm *t = tvm_new();
	tvm_prot32(t, 0x2000, 3);
	uint32_t off = 0x3100;
	put64(t, GDT + 0x38,
	      (off & 0xFFFF) | ((uint64_t)SEL_CODE32 << 16) | (1ull << 32) | (0xECull << 40) |
		  ((uint64_t)(off >> 16) << 48));
	put(t, 0x2000, (const uint8_t[]){0x6A, 0x77, 0x9A, 0, 0, 0, 0, 0x3B, 0, 0xF4}, 10);
	put(t, 0x3100, (const uint8_t[]){0xF4, 0xCA, 0x04, 0x00}, 4);
	gate32(t, 13, 0x3000, 0xE, 0);
	t->mem[0x3000] = 0xF4;
	x86_cpu_state_changed(t->cpu);
	T_EQ(x86_run(t->cpu, 10), X86_EXIT_HLT);
	/* SDM figure 5-13: SS, ESP, the parameter, CS, EIP on the ring-0 stack. */
	T_EQ(t->s->rip, 0x3101);
	T_EQ(t->s->seg[X86_CS].sel, SEL_CODE32);
	T_EQ(t->s->seg[X86_SS].sel, SEL_DATA);
	T_EQ(t->s->gpr[X86_RSP], 0x8000 - 20);
	T_EQ(get32(t, 0x8000 - 20), 0x2009);
	T_EQ(get32(t, 0x8000 - 16), SEL_CODE32_U);
	T_EQ(get32(t, 0x8000 - 12), 0x77);
	T_EQ(get32(t, 0x8000 - 8), 0x9000 - 4);
	T_EQ(get32(t, 0x8000 - 4), SEL_DATA_U);
	/* lret $4 back to CPL3 drops the parameter; the user HLT then #GPs. */
	t->s->halted = false;
	T_EQ(x86_run(t->cpu, 10), X86_EXIT_HLT);
	T_EQ(t->s->rip, 0x3001);
	T_EQ(get32(t, t->s->gpr[X86_RSP] + 4), 0x2009);	 /* #GP at the user HLT */
	T_EQ(get32(t, t->s->gpr[X86_RSP] + 16), 0x9000); /* user ESP, parameter popped */
	tvm_free(t);
}

/* IRET to virtual-8086 mode, then INT n with IOPL 0: #GP(0) to the ring-0
 * handler with the V86 frame (SDM 20.3.1.1, figure 6-4 with ES DS FS GS). */
static void test_v86_int_gp(void)
{
	struct tvm *t = tvm_new();
	tvm_prot32(t, 0x2000, 0);
	static const uint8_t code[] = {
	    0x6a, 0x00,			  /* push $0 (gs) */
	    0x6a, 0x00,			  /* push $0 (fs) */
	    0x68, 0x00, 0x20, 0,    0,	  /* push $0x2000 (ds) */
	    0x6a, 0x00,			  /* push $0 (es) */
	    0x68, 0x00, 0x30, 0,    0,	  /* push $0x3000 (ss) */
	    0x68, 0x00, 0x01, 0,    0,	  /* push $0x100 (esp) */
	    0x68, 0x02, 0x00, 0x02, 0x00, /* push $0x20002 (eflags: VM, IOPL 0) */
	    0x68, 0x00, 0x10, 0,    0,	  /* push $0x1000 (cs) */
	    0x6a, 0x00,			  /* push $0 (eip) */
	    0xcf,			  /* iret */
	};
	put(t, 0x2000, code, sizeof(code));
	put(t, 0x10000, (const uint8_t[]){0xCD, 0x21}, 2); /* int $0x21 in V86 */
	gate32(t, 13, 0x3000, 0xE, 0);
	t->mem[0x3000] = 0xF4;
	T_EQ(x86_run(t->cpu, 20), X86_EXIT_HLT);
	T_EQ(t->s->rip, 0x3001);
	uint32_t sp = (uint32_t)t->s->gpr[X86_RSP];
	T_EQ(sp, 0x8000 - 40);
	T_EQ(get32(t, sp), 0);		/* error code */
	T_EQ(get32(t, sp + 4), 0);	/* IP of the INT */
	T_EQ(get32(t, sp + 8), 0x1000); /* V86 CS */
	T_CHECK(get32(t, sp + 12) & X86_FLAGS_VM, "EFLAGS.VM in the frame");
	T_EQ(get32(t, sp + 16), 0x100);	 /* V86 SP */
	T_EQ(get32(t, sp + 20), 0x3000); /* V86 SS */
	T_EQ(get32(t, sp + 28), 0x2000); /* V86 DS */
	T_EQ(t->s->seg[X86_DS].sel, 0);	 /* data segments nulled on entry */
	T_EQ(t->s->rflags & X86_FLAGS_VM, 0);
	tvm_free(t);
}

/* Big real mode: a 4 GiB DS limit cached from protected mode survives a
 * real-mode segment load (SDM 20.1.1: real mode keeps the limit). */
static void test_unreal_mode(void)
{
	struct tvm *t = tvm_new();
	tvm_real(t, 0x1000);
	t->s->seg[X86_DS].limit = 0xFFFFFFFF;
	put32(t, 0x200000, 0xCAFEF00D);
	/* xor ax,ax ; mov ds,ax ; mov esi,0x200000 ; mov eax,[esi] ; hlt */
	put(t, 0x1000,
	    (const uint8_t[]){0x31, 0xC0, 0x8E, 0xD8, 0x66, 0xBE, 0x00, 0x00, 0x20, 0x00, 0x66,
			      0x67, 0x8B, 0x06, 0xF4},
	    15);
	x86_cpu_state_changed(t->cpu);
	T_EQ(x86_run(t->cpu, 10), X86_EXIT_HLT);
	T_EQ(t->s->gpr[X86_RAX], 0xCAFEF00D);
	/* With the ordinary 64 KiB limit the same access is #GP (vector 13). */
	tvm_real(t, 0x1000);
	put32(t, 13 * 4, 0x00003000);
	t->mem[0x3000] = 0xF4;
	T_EQ(x86_run(t->cpu, 10), X86_EXIT_HLT);
	T_EQ(t->s->rip, 0x3001);
	T_EQ(x86_cpu_stats(t->cpu)->exceptions[13], 1);
	tvm_free(t);
}

static void test_nmi(void)
{
	/* Real mode, IF=0: an NMI is still taken, and a second one waits for IRET. */
	struct tvm *t = tvm_new();
	tvm_real(t, 0x1000);
	put(t, 0x1000, (const uint8_t[]){0x90, 0xF4}, 2);
	put32(t, 2 * 4, 0x00002000);			  /* IVT[2] */
	put(t, 0x2000, (const uint8_t[]){0x40, 0xCF}, 2); /* inc ax ; iret */
	t->s->nmi_pending = true;
	T_EQ(x86_run(t->cpu, 1), X86_EXIT_BUDGET); /* delivery, then inc ax */
	T_EQ(t->s->rip, 0x2001);
	t->s->nmi_pending = true; /* blocked inside the handler */
	T_EQ(x86_run(t->cpu, 1), X86_EXIT_BUDGET);
	T_EQ(t->s->rip, 0x1000);
	T_EQ(x86_run(t->cpu, 10), X86_EXIT_HLT); /* the second NMI after IRET */
	T_EQ(t->s->gpr[X86_RAX] & 0xFFFF, 2);
	tvm_free(t);
}

/*
 * LAR and LSL (SDM vol. 2A): for a visible descriptor ZF=1 and the
 * destination gets the access rights (second dword & 00F0FF00h) or the
 * limit in bytes (scaled by G); for a null selector ZF=0 and the
 * destination is unchanged.  Selectors from tvm_gdt(): 08h flat code
 * (G=1, limit FFFFFh), 30h busy TSS (G=0, limit 67h).
 */
static const uint8_t prog_lar_lsl[] = {
    0xB8, 0x08, 0x00, 0x00, 0x00, /* mov eax, 8 */
    0x0F, 0x02, 0xD8,		  /* lar ebx, eax */
    0x9C,			  /* pushfd */
    0x0F, 0x03, 0xC8,		  /* lsl ecx, eax */
    0x9C,			  /* pushfd */
    0xB8, 0x30, 0x00, 0x00, 0x00, /* mov eax, 30h */
    0x0F, 0x03, 0xF8,		  /* lsl edi, eax */
    0x9C,			  /* pushfd */
    0x31, 0xC0,			  /* xor eax, eax (sets ZF) */
    0xBA, 0x78, 0x56, 0x34, 0x12, /* mov edx, 12345678h */
    0x0F, 0x02, 0xD0,		  /* lar edx, eax */
    0x9C,			  /* pushfd */
    0xF4,			  /* hlt */
};

static void test_lar_lsl(void)
{
	struct tvm *t = tvm_new();
	tvm_prot32(t, 0x2000, 0);
	put(t, 0x2000, prog_lar_lsl, sizeof(prog_lar_lsl));
	T_EQ(x86_run(t->cpu, 100), X86_EXIT_HLT);
	/* Limit 19:16 included, as the host CPU returns it (difftest misc). */
	T_EQ(t->s->gpr[X86_RBX], 0x00CF9A00);
	T_EQ(t->s->gpr[X86_RCX], 0xFFFFFFFF);
	T_EQ(t->s->gpr[X86_RDI], 0x67);
	T_EQ(t->s->gpr[X86_RDX], 0x12345678);
	T_EQ(get32(t, 0x9000 - 4) & X86_FLAGS_ZF, X86_FLAGS_ZF);
	T_EQ(get32(t, 0x9000 - 8) & X86_FLAGS_ZF, X86_FLAGS_ZF);
	T_EQ(get32(t, 0x9000 - 12) & X86_FLAGS_ZF, X86_FLAGS_ZF);
	T_EQ(get32(t, 0x9000 - 16) & X86_FLAGS_ZF, 0);
	tvm_free(t);
}

int main(void)
{
	T_RUN(test_boot_real_to_long);
	T_RUN(test_alu_flags);
	T_RUN(test_shift_flags);
	T_RUN(test_divide_error_frame);
	T_RUN(test_page_fault_error_codes);
	T_RUN(test_nx_fetch_fault);
	T_RUN(test_arch_capabilities);
	T_RUN(test_long_mode_ist_frame);
	T_RUN(test_syscall_sysret);
	T_RUN(test_triple_fault_shutdown);
	T_RUN(test_sti_shadow);
	T_RUN(test_self_modifying_code);
	T_RUN(test_bt_far_bit_offset);
	T_RUN(test_cmpxchg16b_alignment);
	T_RUN(test_self_modifying_code_64);
	T_RUN(test_self_modifying_code_above_4g);
	T_RUN(test_self_modifying_code_64_branch);
	T_RUN(test_lazy_flags_vs_host);
	T_RUN(test_task_switch);
	T_RUN(test_call_gate_inner);
	T_RUN(test_v86_int_gp);
	T_RUN(test_unreal_mode);
	T_RUN(test_nmi);
	T_RUN(test_lar_lsl);
	T_EXIT();
}
