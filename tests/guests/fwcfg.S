/*
 * fwcfg.S - fwcfg.rom: the fw_cfg device as a firmware sees it, where QEMU's
 * pc machine is the oracle: the signature and ID through the selector and
 * data ports, reads past an item's end and of a missing key (0), the DMA
 * address register reading "QEMU CFG", and DMA transfers with descriptors in
 * RAM: select + read, skip then read on, a zero-length read, a write to a
 * read-only item and a read into a hole above RAM (the error bit), a
 * descriptor that is its own destination.  The items' values that differ
 * between machines (file list, RAM size) are not printed, only that the file
 * directory is sorted by name.  Not a test of any firmware.
 * Follows QEMU's docs/specs/fw_cfg.rst.
 */
#include "lib.inc"

#define CTL	   0x510
#define DATA	   0x511
#define DMA_HI	   0x514
#define DMA_LO	   0x518
#define DESC	   0x6000
#define BUF	   0x6100
#define DIR	   0x7000
#define HOLE	   0xe0000000 /* PCI hole: no RAM, no device */
#define D_ERROR	   0x01
#define D_READ	   0x02
#define D_SKIP	   0x04
#define D_SELECT   0x08
#define D_WRITE	   0x10

	BOOT_PM32
	movl $0, VAR_FAILS

	/* Signature and ID by the port protocol. */
	PUTS32 "fwcfg: signature"
	movw $CTL, %dx
	movw $0, %ax
	outw %ax, %dx
	call read4
	EXPECT32 %eax, 0x554d4551
	PUTS32 "fwcfg: fifth byte of the signature"
	movw $DATA, %dx
	xorl %eax, %eax
	inb %dx, %al
	EXPECT32 %eax, 0
	PUTS32 "fwcfg: ID (traditional + DMA)"
	movw $CTL, %dx
	movw $1, %ax
	outw %ax, %dx
	call read4
	EXPECT32 %eax, 3
	PUTS32 "fwcfg: missing key 3FFEh reads"
	movw $CTL, %dx
	movw $0x3ffe, %ax
	outw %ax, %dx
	call read4
	EXPECT32 %eax, 0
	PUTS32 "fwcfg: DMA register, high half"
	movw $DMA_HI, %dx
	inl %dx, %eax
	EXPECT32 %eax, 0x554d4551
	PUTS32 "fwcfg: DMA register, low half"
	movw $DMA_LO, %dx
	inl %dx, %eax
	EXPECT32 %eax, 0x47464320

	/* DMA: select the signature, read 4 bytes. */
	movl $0xffffffff, BUF
	movl $(0 << 16 | D_SELECT | D_READ), %eax
	movl $4, %ecx
	movl $BUF, %edi
	call dma
	PUTS32 "fwcfg: DMA select+read control"
	EXPECT32 %eax, 0
	PUTS32 "fwcfg: DMA select+read data"
	movl BUF, %eax
	EXPECT32 %eax, 0x554d4551
	/* Select the signature, skip 2, read 2. */
	movl $(0 << 16 | D_SELECT | D_SKIP), %eax
	movl $2, %ecx
	xorl %edi, %edi
	call dma
	PUTS32 "fwcfg: DMA skip control"
	EXPECT32 %eax, 0
	movl $0xffffffff, BUF
	movl $D_READ, %eax
	movl $2, %ecx
	movl $BUF, %edi
	call dma
	PUTS32 "fwcfg: DMA read after skip"
	movl BUF, %eax
	EXPECT32 %eax, 0xffff554d
	PUTS32 "fwcfg: data port after DMA (offset at the end)"
	movw $DATA, %dx
	xorl %eax, %eax
	inb %dx, %al
	EXPECT32 %eax, 0
	/* Past the end by DMA: zeros. */
	movl $0xffffffff, BUF
	movl $(0 << 16 | D_SELECT | D_SKIP), %eax
	movl $3, %ecx
	xorl %edi, %edi
	call dma
	movl $D_READ, %eax
	movl $4, %ecx
	movl $BUF, %edi
	call dma
	PUTS32 "fwcfg: DMA read across the end"
	movl BUF, %eax
	EXPECT32 %eax, 0x00000055
	PUTS32 "fwcfg: DMA zero-length read control"
	movl $(1 << 16 | D_SELECT | D_READ), %eax
	xorl %ecx, %ecx
	movl $HOLE, %edi
	call dma
	EXPECT32 %eax, 0
	PUTS32 "fwcfg: DMA write to the signature"
	movl $(0 << 16 | D_SELECT | D_WRITE), %eax
	movl $4, %ecx
	movl $BUF, %edi
	call dma
	EXPECT32 %eax, D_ERROR
	PUTS32 "fwcfg: DMA read into a hole"
	movl $(0 << 16 | D_SELECT | D_READ), %eax
	movl $4, %ecx
	movl $HOLE, %edi
	call dma
	EXPECT32 %eax, D_ERROR
	PUTS32 "fwcfg: DMA read over its own descriptor"
	movl $(0 << 16 | D_SELECT | D_READ), %eax
	movl $4, %ecx
	movl $DESC, %edi
	call dma
	EXPECT32 %eax, 0

	/* The file directory: count, then entries sorted by name. */
	movl $(0x19 << 16 | D_SELECT | D_READ), %eax
	movl $0x1000, %ecx
	movl $DIR, %edi
	call dma
	movl DIR, %ecx
	bswapl %ecx
	PUTS32 "fwcfg: directory has files"
	xorl %eax, %eax
	cmpl $2, %ecx
	setae %al
	EXPECT32 %eax, 1
	decl %ecx
	movl $DIR + 4 + 8, %esi /* first name */
	xorl %ebx, %ebx	/* out-of-order pairs */
1:	leal 64(%esi), %edi
	pushl %esi
2:	movb (%esi), %al
	cmpb (%edi), %al
	jb 3f
	ja 4f
	testb %al, %al
	jz 3f
	incl %esi
	incl %edi
	jmp 2b
4:	incl %ebx
3:	popl %esi
	addl $64, %esi
	loop 1b
	PUTS32 "fwcfg: directory sorted by name"
	EXPECT32 %ebx, 0

	FAILS_EXIT32 "fwcfg"

/* read4: EAX = the next 4 data bytes, little-endian.  Clobbers DX. */
read4:
	movw $DATA, %dx
	.rept 4
	inb %dx, %al
	rorl $8, %eax
	.endr
	ret

/* dma: control EAX, length ECX, address EDI (descriptor at DESC, 32-bit
 * address written as the low half only); EAX = the control word after. */
dma:
	bswapl %eax
	movl %eax, DESC
	bswapl %ecx
	movl %ecx, DESC + 4
	movl $0, DESC + 8
	bswapl %edi
	movl %edi, DESC + 12
	movl $DESC, %eax
	bswapl %eax
	movw $DMA_LO, %dx
	outl %eax, %dx
	movl DESC, %eax
	bswapl %eax
	ret

	GDT_DESC
