/*
 * smp.S - smp.rom: two CPUs.  The BSP wakes the AP with INIT and two SIPIs
 * through its local APIC's ICR (MP spec 1.4 B.4, SDM Vol. 3A 10.6.1), the AP
 * starts in real mode at vector 08h (0800:0000, a trampoline the BSP copied
 * into RAM), and both add 1 to one counter 200,000 times with LOCK XADD.
 * Exactly 400,000 only if every locked add is atomic across the CPUs (SDM
 * Vol. 3A 8.1.2).  Then the AP keeps calling a routine in RAM that returns
 * 1, and the BSP rewrites it to return 2: the AP must come to run the new
 * code (cross-modifying code, SDM Vol. 3A 8.1.3).  Needs two CPUs: QEMU
 * -smp 2, ember --cpus 2.
 */
#include "lib.inc"

#define TRAMP	     0x8000 /* SIPI vector 08h */
#define COUNTER	     0x9000
#define AP_DONE	     0x9004
#define AP_ALIVE     0x9008
#define AP_SEEN	     0x900c /* what the routine last returned on the AP */
#define ROUTINE	     0xa000 /* TRAMP + 2000h: near-callable from the AP's CS */
#define ITER	     200000
#define LAPIC_ID     0xfee00020
#define LAPIC_ICR_LO 0xfee00300
#define LAPIC_ICR_HI 0xfee00310

	BOOT_PM32
	movl $0, VAR_FAILS
	movl $0, COUNTER
	movl $0, AP_DONE
	movl $0, AP_ALIVE
	movl $0, AP_SEEN
	movl $routine, %esi
	movl $ROUTINE, %edi
	movl $(routine_end - routine), %ecx
	rep movsb
	movl $ap_start, %esi
	movl $TRAMP, %edi
	movl $(ap_end - ap_start), %ecx
	rep movsb
	PUTS32 "smp: BSP local APIC ID "
	movl LAPIC_ID, %eax
	shrl $24, %eax
	call lib_putdec32
	EXPECT32 %eax, 0

	/* INIT (level assert), then the startup IPI twice, to APIC ID 1. */
	movl $0x01000000, LAPIC_ICR_HI
	movl $0x00004500, LAPIC_ICR_LO
	call icr_wait
	movl $0x00004608, LAPIC_ICR_LO
	call icr_wait
	movl $0x00004608, LAPIC_ICR_LO
	call icr_wait
1:	pause
	cmpl $0, AP_ALIVE
	je 1b
	PUTS32 "smp: the AP runs from 0800:0000\n"

	movl $ITER, %ecx
2:	movl $1, %eax
	lock xaddl %eax, COUNTER
	loop 2b
3:	pause
	cmpl $0, AP_DONE
	je 3b
	PUTS32 "smp: both CPUs added 200000 with lock xadd: "
	movl COUNTER, %eax
	call lib_putdec32
	EXPECT32 %eax, (2*ITER)
4:	pause
	cmpl $1, AP_SEEN
	jne 4b
	movl $2, ROUTINE + 2 /* the immediate of its movl */
5:	pause
	cmpl $2, AP_SEEN
	jne 5b
	PUTS32 "smp: the AP runs the routine the BSP rewrote\n"
	FAILS_EXIT32 "smp" /* AL = failures: status 1 when none */

/* Wait until the ICR's delivery status (bit 12) says the IPI was sent. */
icr_wait:
	testl $0x1000, LAPIC_ICR_LO
	jnz icr_wait
	ret

/* The AP's code, copied to TRAMP: position independent, real mode. */
	.code16
ap_start:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	lock incl AP_ALIVE
	movl $ITER, %ecx
1:	movl $1, %eax
	lock xaddl %eax, COUNTER
	decl %ecx
	jnz 1b
	movl $1, AP_DONE
	movw $(ROUTINE - TRAMP), %bx
2:	call *%bx
	movl %eax, AP_SEEN
	jmp 2b
ap_end:

/* Copied to ROUTINE; the BSP rewrites the immediate. */
routine:
	movl $1, %eax
	ret
routine_end:

	GDT_DESC
