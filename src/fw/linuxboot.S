/*
 * fw/linuxboot.S - ember's option ROM that boots Linux from fw_cfg: the
 * firmware (SeaBIOS) finds it as the fw_cfg file genroms/ember-linuxboot.bin,
 * runs its init entry (which does nothing) and lists its PnP boot entry
 * vector (BEV); "bootorder" names it first.  The BEV reads the setup,
 * kernel, command line and initrd addresses and sizes through the fw_cfg
 * data port and has the device copy each by DMA; ember has already filled
 * in the setup header (boot/bzimage.c, boot_fw_linux).  Then it enters the
 * real-mode kernel as the 16-bit boot protocol says: DS = ES = FS = GS = SS
 * = the setup segment, SP at the end of the heap, interrupts off, far jump
 * to segment + 0x20, offset 0.  Not a BIOS: it uses INT 10h only to say why
 * it stopped, and waits for a BIOS timer tick first (see boot:).  Follows
 * Linux's Documentation/arch/x86/boot.rst, QEMU's docs/specs/fw_cfg.rst
 * and the PnP BIOS spec 1.0A's option ROM header.
 * Assembled with its origin at 0: the firmware runs it at segment:0.
 * ember pads it to 512 bytes, sets the size byte and both checksums.
 */
	.code16
	.text

#define FWCFG_CTL	 0x510
#define FWCFG_DATA	 0x511
#define FWCFG_DMA_HI	 0x514
#define FWCFG_DMA_LO	 0x518
#define FWCFG_DMA_READ	 0x02
#define FWCFG_DMA_SELECT 0x08
#define KERNEL_ADDR	 0x07
#define KERNEL_SIZE	 0x08
#define INITRD_ADDR	 0x0A
#define INITRD_SIZE	 0x0B
#define KERNEL_DATA	 0x11
#define INITRD_DATA	 0x12
#define CMDLINE_ADDR	 0x13
#define CMDLINE_SIZE	 0x14
#define CMDLINE_DATA	 0x15
#define SETUP_ADDR	 0x16
#define SETUP_SIZE	 0x17
#define SETUP_DATA	 0x18
#define HDR_HEAP_END_PTR 0x224

	.globl _start
_start:
	.byte 0x55, 0xAA
	.byte 0			/* size in 512-byte blocks (ember) */
	jmp init		/* offset 3: the init entry */

	.org 0x18
	.word 0			/* no PCI data structure: not a PCI ROM */
	.word pnp		/* the PnP expansion header */

	.balign 16
pnp:
	.ascii "$PnP"
	.byte 1			/* structure revision */
	.byte 2			/* length: 2 x 16 bytes */
	.word 0			/* no next header */
	.byte 0			/* reserved */
	.byte 0			/* checksum (ember) */
	.long 0			/* device identifier */
	.word 0			/* manufacturer string */
	.word product		/* product name: the boot menu's entry */
	.byte 0, 0, 0		/* device type code */
	.byte 0			/* device indicators */
	.word 0			/* boot connection vector */
	.word 0			/* disconnect vector */
	.word boot		/* bootstrap entry vector */
	.word 0			/* reserved */
	.word 0			/* static resource information vector */

product:
	.asciz "ember Linux loader (fw_cfg)"
failmsg:
	.asciz "ember linuxboot: fw_cfg DMA failed\r\n"

init:
	lret

/* %ax = key -> %eax = the item's first 4 bytes, little-endian; %dx. */
cfg_read32:
	mov $FWCFG_CTL, %dx
	out %ax, %dx
	inc %dx
	.rept 4
	inb %dx, %al
	rorl $8, %eax
	.endr
	ret

/*
 * %ax = key, %edi = guest-physical destination, %ecx = length: one DMA
 * read (select + read) with the descriptor on the stack, which is RAM;
 * the device clears the control word when done, sets bit 0 on error.
 */
dma_read:
	test %ecx, %ecx
	jz 1f
	push %bp
	sub $16, %sp
	mov %sp, %bp
	movzwl %ax, %eax
	shl $16, %eax
	or $(FWCFG_DMA_SELECT | FWCFG_DMA_READ), %eax
	bswap %eax
	mov %eax, 0(%bp)
	mov %ecx, %eax
	bswap %eax
	mov %eax, 4(%bp)
	movl $0, 8(%bp)
	mov %edi, %eax
	bswap %eax
	mov %eax, 12(%bp)
	xor %eax, %eax
	mov $FWCFG_DMA_HI, %dx
	out %eax, %dx
	mov %ss, %ax
	movzwl %ax, %eax
	shl $4, %eax
	movzwl %bp, %edx
	add %edx, %eax
	bswap %eax
	mov $FWCFG_DMA_LO, %dx
	out %eax, %dx
	mov 0(%bp), %eax
	add $16, %sp
	pop %bp
	test %eax, %eax
	jnz fail
1:	ret

.macro LOAD addr_key, size_key, data_key
	mov $\addr_key, %ax
	call cfg_read32
	mov %eax, %edi
	mov $\size_key, %ax
	call cfg_read32
	mov %eax, %ecx
	mov $\data_key, %ax
	call dma_read
.endm

/*
 * SeaBIOS's serial console (sercon) keeps the last character written
 * through INT 10h, and the cursor move after it, in RAM: they go out on
 * the next INT 10h call or BIOS timer tick (INT 08h).  Started before a
 * tick, the kernel never let them out ("Booting from ROM.." without its
 * last dot and line end: a race with the PIT, on any PC or QEMU alike).
 * So let one tick of the BDA's counter at 0040:006C pass with interrupts
 * on, when IRQ 0 is unmasked at the master PIC (else no tick would come).
 */
boot:
	sti
	in $0x21, %al
	test $1, %al
	jnz 2f
	push %ds
	xor %ax, %ax
	mov %ax, %ds
	mov 0x46C, %ax
1:	hlt
	cmp 0x46C, %ax
	je 1b
	pop %ds
2:	cli
	cld
	LOAD SETUP_ADDR, SETUP_SIZE, SETUP_DATA
	LOAD KERNEL_ADDR, KERNEL_SIZE, KERNEL_DATA
	LOAD CMDLINE_ADDR, CMDLINE_SIZE, CMDLINE_DATA
	LOAD INITRD_ADDR, INITRD_SIZE, INITRD_DATA
	mov $SETUP_ADDR, %ax
	call cfg_read32
	shr $4, %eax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov HDR_HEAP_END_PTR, %sp
	add $0x200, %sp
	add $0x20, %ax
	push %ax
	pushw $0
	lret

fail:
	mov %cs, %ax
	mov %ax, %ds
	mov $failmsg, %si
1:	lodsb
	test %al, %al
	jz 2f
	mov $0x0E, %ah
	mov $0x0007, %bx
	int $0x10
	jmp 1b
2:	cli
	hlt
	jmp 2b
