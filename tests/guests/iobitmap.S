/*
 * iobitmap.S - iobitmap.rom: port I/O through the TSS I/O permission bitmap of
 * a loaded (busy) 32-bit TSS, at CPL3 with IOPL 0 and in virtual-8086 mode:
 * allowed and denied ports, a word and a dword access needing every bit clear
 * (one across a byte of the map), INS/OUTS, the second map byte the CPU reads
 * lying past the TSS limit, a map base past the limit, IOPL 3 bypassing the
 * map at CPL3 but not in virtual-8086 mode.  Not a test of 16-bit TSSs.
 * Follows Intel SDM vol. 1, 19.5.1-19.5.2 (I/O privilege, the bitmap, the two
 * bytes read), vol. 3A 8.2.1 (TSS), 20.2.8.1 (I/O in virtual-8086 mode).
 */
#include "lib.inc"

#define IDT        0x1000
#define GDT        0x2000
#define TSS        0x3000
#define TSS_LIMIT  0xe8   /* the map covers ports 0-407h: 81h bytes from 68h */
#define MAP        (TSS + 0x68)
#define USTACK     0x70000
#define SEL_UCODE  0x1b
#define SEL_UDATA  0x23
#define SEL_TSS    0x28
#define VAR_VEC    0x510
#define VAR_ERR    0x514
#define VAR_RESUME 0x524
#define VAR_RING0  0x528 /* where INT 30h from CPL3 or V86 continues, at CPL0 */
#define VAR_SAVED  0x52c
#define SCRATCH    0x600

	BOOT_PM32
	movl $0, VAR_FAILS
	movl $0, VAR_RESUME
	/* GDT in RAM: the flat ring-0 pair, a ring-3 pair, the TSS. */
	movl $lib_gdt, %esi
	movl $GDT, %edi
	movl $6, %ecx
	rep movsl
	movl $0x0000ffff, GDT + 0x18
	movl $0x00cffa00, GDT + 0x1c /* 32-bit code, DPL3 */
	movl $0x0000ffff, GDT + 0x20
	movl $0x00cff200, GDT + 0x24 /* data, DPL3 */
	movl $(TSS_LIMIT | (TSS & 0xffff) << 16), GDT + 0x28
	movl $0x00008900, GDT + 0x2c /* 32-bit TSS, available (LTR marks it busy) */
	movw $0x2f, LIB_IDTR
	movl $GDT, LIB_IDTR + 2
	lgdt LIB_IDTR
	/* TSS: ring-0 stack, map base 68h, the map. */
	movl $TSS, %edi
	movl $0x100 / 4, %ecx
	xorl %eax, %eax
	rep stosl
	movl $0x90000, TSS + 4
	movl $SEL_DATA, TSS + 8
	movw $0x68, TSS + 0x66
	movl $MAP, %edi
	movl $0x81, %ecx
	movb $0xff, %al
	rep stosb
	movb $0x8e, MAP + 0x10 /* 80h and 84h-86h allowed; 81h-83h, 87h denied */
	movb $0x0f, MAP + 0x11 /* 8Ch-8Fh allowed */
	movb $0x00, MAP + 0x7f /* COM1, 3F8h-3FFh: the tests print from CPL3 */
	movb $0x00, MAP + 0x80 /* 400h-407h: clear, but the byte after is past the limit */
	movw $SEL_TSS, %ax
	ltr %ax
	movl $IDT, %edi
	call lib_idt32_setup
	orl $0x6000, IDT + 0x30 * 8 + 4 /* INT 30h: DPL3, the way back to CPL0 */
	PUTS32 "iobitmap: TSS loaded (busy), map base 68h, limit E8h\n"

	movl $ring0_back1, VAR_RING0
	pushl $SEL_UDATA
	pushl $USTACK
	pushl $0x0002 /* IOPL 0 */
	pushl $SEL_UCODE
	pushl $ring3_tests
	iret

/* IOTEST "name", vector, error, insn: run insn, check the fault it raised
 * (vector -1: none), print the outcome.  CPL3 or CPL0, 32-bit code. */
.macro IOTEST name, vec, err, insn:vararg
	PUTS32 "\name"
	movl $1f, VAR_RESUME
	movl $-1, VAR_VEC
	movl $-1, VAR_ERR
	\insn
1:	call report
	EXPECT32 %eax, (\vec << 16 | (\err & 0xffff))
.endm

/* Entering CPL3 nulls DS and ES (DPL 0 < CPL): the user data segment. */
.macro USER_DATA
	movw $SEL_UDATA, %ax
	movw %ax, %ds
	movw %ax, %es
.endm

ring3_tests:
	USER_DATA
	PUTS32 "iobitmap: CPL3, IOPL 0\n"
	IOTEST "iobitmap: inb 80h (allowed)", -1, -1, inb $0x80, %al
	IOTEST "iobitmap: outb 80h (allowed)", -1, -1, outb %al, $0x80
	IOTEST "iobitmap: inb 81h (denied)", 13, 0, inb $0x81, %al
	IOTEST "iobitmap: inw 86h (87h denied)", 13, 0, inw $0x86, %ax
	IOTEST "iobitmap: inw 85h (85h-86h allowed)", -1, -1, inw $0x85, %ax
	IOTEST "iobitmap: inl 8Ch (8Ch-8Fh allowed)", -1, -1, inl $0x8c, %eax
	movw $0x8e, %dx
	IOTEST "iobitmap: inl dx=8Eh (90h-91h in the next map byte, denied)", 13, 0, inl %dx, %eax
	movw $0x400, %dx
	IOTEST "iobitmap: inb dx=400h (bit clear, next map byte past the limit)", 13, 0, inb %dx, %al
	movw $0x80, %dx
	movl $SCRATCH, %edi
	IOTEST "iobitmap: insb from 80h", -1, -1, insb
	movw $0x81, %dx
	movl $SCRATCH, %esi
	IOTEST "iobitmap: outsb to 81h", 13, 0, outsb
	int $0x30

ring0_back1:
	/* IOPL 3 at CPL3: the map is not consulted. */
	movl $ring0_back2, VAR_RING0
	pushl $SEL_UDATA
	pushl $USTACK
	pushl $0x3002
	pushl $SEL_UCODE
	pushl $ring3_iopl3
	iret
ring3_iopl3:
	USER_DATA
	PUTS32 "iobitmap: CPL3, IOPL 3\n"
	IOTEST "iobitmap: inb 81h (denied in the map)", -1, -1, inb $0x81, %al
	int $0x30

ring0_back2:
	/* A map base past the limit: no map, every port denied at CPL3. */
	movw $TSS_LIMIT + 1, TSS + 0x66
	movl $ring0_back3, VAR_RING0
	pushl $SEL_UDATA
	pushl $USTACK
	pushl $0x0002
	pushl $SEL_UCODE
	pushl $ring3_nomap
	iret
ring3_nomap:
	USER_DATA
	/* No printing here: COM1 is denied too. */
	movl $1f, VAR_RESUME
	movl $-1, VAR_VEC
	movl $-1, VAR_ERR
	inb $0x80, %al
1:	movl VAR_VEC, %eax
	shll $16, %eax
	movw VAR_ERR, %ax
	movl %eax, VAR_SAVED
	int $0x30

ring0_back3:
	movw $0x68, TSS + 0x66
	PUTS32 "iobitmap: inb 80h at CPL3 with the map base (E9h) past the limit:"
	movl VAR_SAVED, %eax
	call puthex
	EXPECT32 %eax, (13 << 16)

	/* Virtual-8086 mode with IOPL 3: I/O still goes through the map. */
	movl $ring0_back4, VAR_RING0
	pushl $0 /* GS */
	pushl $0 /* FS */
	pushl $0 /* DS */
	pushl $0 /* ES */
	pushl $0 /* SS */
	pushl $0x7000
	pushl $0x23002 /* VM, IOPL 3 */
	pushl $ROM_LOW >> 4
	pushl $REL16(v86_tests)
	iret

	.code16
/* V86TEST: IOTEST in virtual-8086 mode (CS = the ROM's alias at F0000h). */
.macro V86TEST name, vec, err, insn:vararg
	PUTS16 "\name"
	movl $REL16(1f), VAR_RESUME
	movl $-1, VAR_VEC
	movl $-1, VAR_ERR
	\insn
1:	movl VAR_VEC, %eax
	shll $16, %eax
	movw VAR_ERR, %ax
	cmpl $(\vec << 16 | (\err & 0xffff)), %eax
	je 1002f
	incl VAR_FAILS
	PUTS16 ": WRONG\n"
	jmp 1003f
1002:	PUTS16 ": ok\n"
1003:
.endm

v86_tests:
	PUTS16 "iobitmap: virtual-8086 mode, IOPL 3\n"
	V86TEST "iobitmap: v86 inb 80h (allowed)", -1, -1, inb $0x80, %al
	V86TEST "iobitmap: v86 inb 81h (denied)", 13, 0, inb $0x81, %al
	V86TEST "iobitmap: v86 inw 85h (allowed)", -1, -1, inw $0x85, %ax
	int $0x30
	.code32

ring0_back4:
	FAILS_EXIT32 "iobitmap"

/* report: EAX = vector << 16 | error (FFFFFFFFh: no fault), printed. */
report:
	movl VAR_VEC, %eax
	shll $16, %eax
	movw VAR_ERR, %ax
	PUTS32 ":"
puthex:
	pushl %eax
	movb $' ', %al
	call lib_putc32
	popl %eax
	call lib_puthex32
	ret

/*
 * exc32: record the vector and error code; INT 30h continues at VAR_RING0 on
 * this stack, anything else resumes at VAR_RESUME.  From virtual-8086 mode
 * DS arrives null: loaded here, restored by IRET from the frame.
 */
exc32:
	pushl %ds
	pushl %eax
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movl 8(%esp), %eax
	cmpl $0x30, %eax
	je 2f
	movl %eax, VAR_VEC
	movl 12(%esp), %eax
	movl %eax, VAR_ERR
	movl VAR_RESUME, %eax
	testl %eax, %eax
	jz 1f
	movl %eax, 16(%esp)
	movl $0, VAR_RESUME
1:	popl %eax
	popl %ds
	addl $8, %esp
	iret
2:	movw $SEL_DATA, %ax
	movw %ax, %es
	movl $0x90000, %esp
	jmp *VAR_RING0

	IDT32_STUBS

	GDT_DESC
