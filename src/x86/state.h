/*
 * x86/state.h - the architectural state of one x86-64 logical processor,
 * shared by both engines: the emulator runs on it directly, the KVM engine
 * converts it to and from kvm_regs/kvm_sregs/kvm_msrs/kvm_fpu.
 * Not an emulator-internal structure (no caches, no decode state).
 * Follows the Intel SDM vol. 3A ch. 2-3 (registers, segment descriptors).
 */
#ifndef EMBER_X86_STATE_H
#define EMBER_X86_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum x86_reg {
	X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
	X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
};

/* Segment register numbers in the order of the ModRM reg field (ES..GS). */
enum x86_sreg {
	X86_ES, X86_CS, X86_SS, X86_DS, X86_FS, X86_GS, X86_LDTR, X86_TR,
	X86_NR_SEGS
};

/* A segment register with its hidden (descriptor cache) part. */
struct x86_seg {
	uint64_t base;
	uint32_t limit; /* byte granular, already expanded by G */
	uint16_t sel;
	uint8_t type;   /* descriptor type field, 4 bits */
	uint8_t s;      /* 1 = code/data, 0 = system */
	uint8_t dpl;
	uint8_t present;
	uint8_t avl;
	uint8_t l;      /* 64-bit code segment */
	uint8_t db;     /* default operation size / big */
	uint8_t g;
	uint8_t unusable; /* null selector loaded (VMX "unusable") */
};

struct x86_dtable {
	uint64_t base;
	uint16_t limit;
};

/* RFLAGS bits. */
#define X86_FLAGS_CF   (1u << 0)
#define X86_FLAGS_FIXED (1u << 1) /* always 1 */
#define X86_FLAGS_PF   (1u << 2)
#define X86_FLAGS_AF   (1u << 4)
#define X86_FLAGS_ZF   (1u << 6)
#define X86_FLAGS_SF   (1u << 7)
#define X86_FLAGS_TF   (1u << 8)
#define X86_FLAGS_IF   (1u << 9)
#define X86_FLAGS_DF   (1u << 10)
#define X86_FLAGS_OF   (1u << 11)
#define X86_FLAGS_IOPL (3u << 12)
#define X86_FLAGS_NT   (1u << 14)
#define X86_FLAGS_RF   (1u << 16)
#define X86_FLAGS_VM   (1u << 17)
#define X86_FLAGS_AC   (1u << 18)
#define X86_FLAGS_VIF  (1u << 19)
#define X86_FLAGS_VIP  (1u << 20)
#define X86_FLAGS_ID   (1u << 21)

/* Control register bits the engines and tests refer to. */
#define X86_CR0_PE (1ull << 0)
#define X86_CR0_MP (1ull << 1)
#define X86_CR0_EM (1ull << 2)
#define X86_CR0_TS (1ull << 3)
#define X86_CR0_ET (1ull << 4)
#define X86_CR0_NE (1ull << 5)
#define X86_CR0_WP (1ull << 16)
#define X86_CR0_AM (1ull << 18)
#define X86_CR0_NW (1ull << 29)
#define X86_CR0_CD (1ull << 30)
#define X86_CR0_PG (1ull << 31)

#define X86_CR4_VME        (1ull << 0)
#define X86_CR4_PVI        (1ull << 1)
#define X86_CR4_TSD        (1ull << 2)
#define X86_CR4_DE         (1ull << 3)
#define X86_CR4_PSE        (1ull << 4)
#define X86_CR4_PAE        (1ull << 5)
#define X86_CR4_MCE        (1ull << 6)
#define X86_CR4_PGE        (1ull << 7)
#define X86_CR4_PCE        (1ull << 8)
#define X86_CR4_OSFXSR     (1ull << 9)
#define X86_CR4_OSXMMEXCPT (1ull << 10)
#define X86_CR4_UMIP       (1ull << 11)
#define X86_CR4_FSGSBASE   (1ull << 16)
#define X86_CR4_PCIDE      (1ull << 17)
#define X86_CR4_OSXSAVE    (1ull << 18)
#define X86_CR4_SMEP       (1ull << 20)
#define X86_CR4_SMAP       (1ull << 21)

#define X86_EFER_SCE (1ull << 0)
#define X86_EFER_LME (1ull << 8)
#define X86_EFER_LMA (1ull << 10)
#define X86_EFER_NXE (1ull << 11)

/* MSR numbers (SDM vol. 4). */
#define X86_MSR_TSC            0x00000010
#define X86_MSR_APIC_BASE      0x0000001B
#define X86_MSR_MTRRCAP        0x000000FE
#define X86_MSR_ARCH_CAPABILITIES 0x0000010A
#define X86_MSR_SYSENTER_CS    0x00000174
#define X86_MSR_SYSENTER_ESP   0x00000175
#define X86_MSR_SYSENTER_EIP   0x00000176
#define X86_MSR_MISC_ENABLE    0x000001A0
#define X86_MSR_PAT            0x00000277
#define X86_MSR_EFER           0xC0000080
#define X86_MSR_STAR           0xC0000081
#define X86_MSR_LSTAR          0xC0000082
#define X86_MSR_CSTAR          0xC0000083
#define X86_MSR_SFMASK         0xC0000084
#define X86_MSR_FS_BASE        0xC0000100
#define X86_MSR_GS_BASE        0xC0000101
#define X86_MSR_KERNEL_GS_BASE 0xC0000102
#define X86_MSR_TSC_AUX        0xC0000103

/*
 * Legacy FPU / SSE state, in FXSAVE terms (SDM vol. 1, 10.5.1): st[j] is
 * ST(j), stack order, while the abridged tag word goes by physical register
 * (bit i: R(i) = ST((i - TOP) mod 8), TOP = fsw bits 13:11, is not empty).
 */
struct x86_fpu {
	uint16_t fcw, fsw;
	uint8_t ftw; /* abridged tag word, as FXSAVE stores it */
	uint16_t fop;
	uint64_t fip, fdp;
	uint16_t fcs, fds; /* selectors of the last x87 instruction and operand */
	uint8_t st[8][16]; /* 80-bit registers in 16-byte slots, ST(0) first */
	uint32_t mxcsr;
	uint8_t xmm[16][16];
};

/* An exception or interrupt waiting to be delivered at the next boundary. */
struct x86_event {
	bool pending;
	bool has_error;
	uint8_t vector;
	uint32_t error;
};

struct x86_state {
	uint64_t gpr[16]; /* indexed by enum x86_reg */
	uint64_t rip;
	uint64_t rflags;

	struct x86_seg seg[X86_NR_SEGS]; /* indexed by enum x86_sreg */
	struct x86_dtable gdt, idt;

	uint64_t cr0, cr2, cr3, cr4, cr8;
	uint64_t dr[8]; /* DR0-DR3, DR6 at [6], DR7 at [7]; [4],[5] unused */
	uint64_t xcr0;

	/* MSRs that matter for a kernel; others live in the platform. */
	uint64_t efer;
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t tsc_aux, pat, apic_base, misc_enable;
	uint64_t tsc; /* value of the TSC when the state was captured */

	struct x86_fpu fpu;

	/* Pending events and interruptibility. */
	struct x86_event exception;
	struct x86_event interrupt; /* external interrupt being injected */
	bool nmi_pending;
	bool sti_shadow;   /* STI blocked interrupts for one instruction */
	bool movss_shadow; /* MOV SS / POP SS blocked them */
	bool halted;       /* activity state HLT */
};

/* Architectural state after RESET (SDM vol. 3A, 10.1.1, table 10-1). */
void x86_state_reset(struct x86_state *s);

/*
 * The x87 and SSE state as the standard-format XSAVE area holds it (SDM vol. 1,
 * 13.4: the 512-byte legacy region in the 64-bit FXSAVE64 layout, then the
 * 64-byte header with XSTATE_BV = xcr0 & 3), for the KVM engine's
 * KVM_GET/SET_XSAVE and for snapshots.  size >= 576.  Loading returns 0, or
 * -EINVAL for an image XRSTOR would refuse (reserved MXCSR bits, components
 * other than x87/SSE, a compacted header).
 */
void x86_fpu_save_image(const struct x86_state *s, uint8_t *buf, size_t size);
int x86_fpu_load_image(struct x86_state *s, const uint8_t *buf, size_t size);

#endif
