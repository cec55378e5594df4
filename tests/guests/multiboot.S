/*
 * multiboot.S - multiboot.elf: a multiboot v1 kernel that prints what the
 * loader handed it: the command line, the sum of available memory in the
 * memory map, and each module's string, size and CRC-32.  Not a kernel: it
 * exits through port F4h with a bit per failed check (0 = all good).
 * Follows the Multiboot Specification 0.6.96, sections 3.1 and 3.3.
 */
#include "lib.inc"

#define MB_MAGIC       0x1badb002
#define MB_FLAGS       0x00000003 /* modules page-aligned, memory info */
#define MB_BOOT_MAGIC  0x2badb002
#define MBI_FLAGS      0
#define MBI_CMDLINE    16
#define MBI_MODS_COUNT 20
#define MBI_MODS_ADDR  24
#define MBI_MMAP_LEN   44
#define MBI_MMAP_ADDR  48

/* Failure bits of the exit value. */
#define F_MAGIC   0x01
#define F_CMDLINE 0x02
#define F_MMAP    0x04
#define F_MODS    0x08
#define F_ALIGN   0x10
#define F_MEMORY  0x20

	.section .multiboot, "a"
	.balign 4
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.text
	.code32
	.globl mb_entry
mb_entry:
	cli
	cld
	movl $stack_top, %esp
	movl %eax, boot_magic
	movl %ebx, mbi
	xorl %ebp, %ebp /* failure bits */
	PUTS32 "multiboot: entered 32-bit protected mode, magic "
	movl boot_magic, %eax
	cmpl $MB_BOOT_MAGIC, %eax
	je 1f
	orl $F_MAGIC, %ebp
	PUTS32 "WRONG\n"
	jmp done
1:	PUTS32 "ok\n"
	movl mbi, %ebx

	/* Command line (flags bit 2). */
	testl $1 << 2, MBI_FLAGS(%ebx)
	jnz 2f
	orl $F_CMDLINE, %ebp
	PUTS32 "multiboot: no command line\n"
	jmp 3f
2:	PUTS32 "multiboot: cmdline '"
	movl MBI_CMDLINE(%ebx), %esi
	call lib_puts32
	PUTS32 "'\n"
3:
	/* Memory map (flags bit 6): sum the type 1 (available) entries. */
	testl $1 << 6, MBI_FLAGS(%ebx)
	jnz 4f
	orl $F_MMAP, %ebp
	PUTS32 "multiboot: no memory map\n"
	jmp 7f
4:	movl MBI_MMAP_ADDR(%ebx), %esi
	movl %esi, %edi
	addl MBI_MMAP_LEN(%ebx), %edi
	xorl %eax, %eax /* sum, low */
	xorl %edx, %edx /* sum, high */
5:	cmpl %edi, %esi
	jae 6f
	cmpl $1, 20(%esi)
	jne 8f
	addl 12(%esi), %eax
	adcl 16(%esi), %edx
8:	addl (%esi), %esi
	addl $4, %esi
	jmp 5b
6:	shrdl $10, %edx, %eax
	shrl $10, %edx
	PUTS32 "multiboot: memory map: "
	call lib_putdec32
	PUTS32 " KiB available\n"
	cmpl $1024, %eax
	jae 7f
	orl $F_MEMORY, %ebp
7:
	/* Modules (flags bit 3). */
	testl $1 << 3, MBI_FLAGS(%ebx)
	jz 9f
	cmpl $1, MBI_MODS_COUNT(%ebx)
	je 10f
9:	orl $F_MODS, %ebp
	PUTS32 "multiboot: expected one module\n"
	jmp done
10:	movl MBI_MODS_ADDR(%ebx), %ebx
	PUTS32 "multiboot: module '"
	movl 8(%ebx), %esi
	call lib_puts32
	PUTS32 "' size "
	movl 4(%ebx), %eax
	subl (%ebx), %eax
	call lib_putdec32
	testl $0xfff, (%ebx)
	jz 11f
	orl $F_ALIGN, %ebp
	PUTS32 " (start not page-aligned)"
11:	PUTS32 " crc32 "
	movl (%ebx), %esi
	movl 4(%ebx), %edi
	call crc32
	call lib_puthex32
	PUTS32 "\n"
done:
	PUTS32 "multiboot: exit value "
	movl %ebp, %eax
	call lib_putdec32
	PUTS32 "\n"
	movl %ebp, %eax
	jmp lib_exit32

/* crc32: CRC-32 (IEEE 802.3, reflected, as zlib) of [ESI, EDI) into EAX. */
crc32:
	pushl %ecx
	pushl %edx
	movl $0xffffffff, %eax
1:	cmpl %edi, %esi
	jae 3f
	xorb (%esi), %al
	movl $8, %ecx
2:	shrl $1, %eax
	jnc 4f
	xorl $0xedb88320, %eax
4:	loop 2b
	incl %esi
	jmp 1b
3:	notl %eax
	popl %edx
	popl %ecx
	ret

	.bss
	.balign 16
boot_magic:	.long 0
mbi:		.long 0
	.balign 16
	.space 8192
stack_top:
