/*
 * tools/difftest/dt.h - shared definitions of the differential tester: the test
 * machine's memory layout, one test case, and the outcome both engines report.
 * Not part of ember; long-mode structures follow the Intel SDM vol. 3A ch. 4-7.
 */
#ifndef DIFFTEST_DT_H
#define DIFFTEST_DT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h" /* ARRAY_SIZE */
#include "x86/x86.h"

/*
 * Guest-physical = linear (identity paging).  The first 2 MiB is one
 * supervisor-only large page holding the system structures; the second 2 MiB
 * is mapped with 4 KiB pages, most of them user pages.
 */
#define DT_MEM_SIZE   0x400000ull
#define DT_GDT	      0x1000ull
#define DT_IDT	      0x2000ull
#define DT_TSS	      0x3000ull
#define DT_PML4	      0x4000ull
#define DT_PDPT	      0x5000ull
#define DT_PD	      0x6000ull
#define DT_PT	      0x7000ull	 /* maps 0x200000-0x3FFFFF */
#define DT_STUBS      0x10000ull /* one `hlt` per vector, DT_STUB_SIZE apart */
#define DT_STUB_SIZE  8
#define DT_KSTACK_TOP 0x20000ull  /* TSS.RSP0: exception frames land below */
#define DT_CODE	      0x200000ull /* two user code pages, then a hole */
#define DT_CODE_SIZE  0x2000ull
#define DT_CODE_HOLE  0x202000ull /* not present: fetch faults */
#define DT_DATA	      0x210000ull /* user read/write data pages */
#define DT_DATA_SIZE  0x4000ull
#define DT_DATA_HOLE  0x214000ull /* not present */
#define DT_RO_PAGE    0x215000ull /* user read-only */
#define DT_SUPER_PAGE 0x216000ull /* supervisor-only read/write */
#define DT_STACK      0x220000ull /* user stack pages */
#define DT_STACK_SIZE 0x2000ull

/* Selectors: the Linux x86-64 GDT layout, so that selectors the hardware
 * reports natively under PVM (mov r, cs; push ss...) are the guest's own. */
#define DT_SEL_KCODE   0x10
#define DT_SEL_KDATA   0x18
#define DT_SEL_UDATA   0x2b
#define DT_SEL_UCODE32 0x23
#define DT_SEL_UCODE   0x33
#define DT_SEL_TSS     0x40
/*
 * In 64-bit code FS and GS hold null selectors with these bases, so that FS:
 * and GS: overrides really move the access; a host process sets such bases
 * with arch_prctl (no user-mode FSGSBASE needed).  In compatibility mode a
 * null FS or GS faults on use: there they hold the flat user data segment
 * (base 0), as a 32-bit Linux process's DS.
 */
#define DT_FS_BASE 0x1000ull
#define DT_GS_BASE 0x3000ull

/* Regions compared after each case (and restored before the next one). */
struct dt_region {
	uint64_t gpa, len;
};
extern const struct dt_region dt_compared[];
extern const unsigned dt_nr_compared;

/*
 * The x87 and SSE state as FXSAVE stores it in 64-bit mode (SDM vol. 1,
 * 10.5.1, table 10-2, REX.W form): ST(i) in stack order, the abridged tag
 * word, 64-bit FIP and FDP.  What a case loads before its instruction and
 * what both engines report after it.
 */
struct dt_fx {
	uint16_t fcw, fsw;
	uint8_t ftw, rsvd0;
	uint16_t fop;
	uint64_t fip, fdp;
	uint32_t mxcsr, mxcsr_mask;
	uint8_t st[8][16]; /* 80-bit values; bytes 10-15 reserved */
	uint8_t xmm[16][16];
	uint8_t rsvd[96];
} __attribute__((aligned(16)));
_Static_assert(sizeof(struct dt_fx) == 512, "the FXSAVE image is 512 bytes");

/* What the SDM leaves undefined in the x87/SSE state after a case. */
struct dt_fp_undef {
	uint16_t fsw;	/* FSW bits (C0-C3 after many instructions) */
	uint32_t mxcsr; /* MXCSR bits */
	uint8_t st;	/* ST(i) after the instruction, bit i: value undefined */
	uint16_t xmm;	/* XMM registers, bit i: value undefined */
	bool ptrs;	/* FOP, FIP and FDP */
};

/* One generated test: initial user state, code bytes and memory seeds. */
#define DT_MEM_SEEDS 3
struct dt_case {
	uint8_t code[16];
	unsigned len;
	uint64_t rip; /* where code[] is placed (inside DT_CODE) */
	uint64_t gpr[16];
	uint64_t rflags;
	uint32_t undef_flags; /* RFLAGS bits the SDM leaves undefined here */
	uint16_t undef_gprs;  /* registers whose value the SDM leaves undefined */
	bool undef_mem;	      /* the memory result is undefined (SHLD/SHRD count > 16) */
	bool rep_cmp;	      /* REP CMPS/SCAS: the flags at a fault inside it are model-specific */
	bool compat;	      /* compatibility mode: only the low 32 bits of GPRs count */
	bool native_only;     /* KVM's vCPU is no oracle here (PVM's own segment state) */
	bool no_single_step;  /* natively: the emulator runs without TF, TF not compared */
	struct {
		uint64_t addr;	  /* memory the instruction reads... */
		uint8_t init[16]; /* ...seeded with these bytes */
		unsigned len;
	} mem[DT_MEM_SEEDS];
	bool fp; /* FXRSTOR fx before the instruction; compare the x87/SSE state after */
	struct dt_fx fx;
	struct dt_fp_undef fp_undef;
	char text[96]; /* human-readable description of the form */
};

/* What an engine reports after running a case to the exception stub. */
struct dt_outcome {
	int vector; /* exception that ended the run (stub index), -1 if none */
	bool has_error;
	uint64_t error;
	uint64_t gpr[16];     /* at the stub: RSP is the kernel stack */
	uint64_t rip, rflags; /* at the stub (RIP = stub + 1 after hlt) */
	uint64_t frame[5];    /* the pushed RIP, CS, RFLAGS, RSP, SS */
	uint64_t cr2;
	bool host_emulated; /* KVM: the host kernel emulated the instruction at the case's RIP */
	bool has_fx;	    /* fx holds the x87/SSE state after the run */
	struct dt_fx fx;
	char fail[128]; /* engine trouble (not a mismatch), empty if none */
};

/* The shared memory image and initial state (machine.c). */
void machine_build(uint8_t *mem);
void machine_no_compat(uint8_t *mem);
void machine_state(struct x86_state *s, const struct dt_case *c);
void machine_load_case(uint8_t *mem, const uint8_t *image, const struct dt_case *c);
void machine_read_outcome(const uint8_t *mem, struct dt_outcome *o);
/* The case's x87/SSE state into an emulator state, and back (fpu.c). */
void dt_fx_to_state(struct x86_state *s, const struct dt_fx *fx);
void dt_fx_from_state(struct dt_fx *fx, const struct x86_state *s);

/* Host-emulated instructions, from the kvm:kvm_emulate_insn tracepoint (hostemu.c). */
struct hostemu;
int hostemu_open(struct hostemu **out, char *why, size_t why_len);
void hostemu_drain(struct hostemu *h, uint64_t rip, bool *hit);
void hostemu_close(struct hostemu *h);

/* The KVM engine (kvm.c).  kvm_engine_watch() says whether host_emulated is
 * known (false with the reason in why: no tracefs, not root...). */
struct kvm_engine;
int kvm_engine_open(struct kvm_engine **out, char *why, size_t why_len);
bool kvm_engine_watch(struct kvm_engine *k, char *why, size_t why_len);
uint8_t *kvm_engine_mem(struct kvm_engine *k);
int kvm_engine_run(struct kvm_engine *k, const struct x86_state *s, struct dt_outcome *o);
void kvm_engine_close(struct kvm_engine *k);

/* The host CPU in a child process, one instruction at CPL3 (native.c). */
struct native_engine;
int native_engine_open(struct native_engine **out, char *why, size_t why_len);
uint8_t *native_engine_mem(struct native_engine *n);
/* Whether `bits`-bit code (64, 32: compatibility mode, 16) can run here; why not. */
bool native_engine_can_run(struct native_engine *n, int bits, char *why, size_t why_len);
void native_engine_run(struct native_engine *n, const struct x86_state *s, struct dt_outcome *o);
void native_engine_run_code(struct native_engine *n, int bits, const uint8_t *code, unsigned len,
			    struct dt_outcome *o);
void native_engine_close(struct native_engine *n);

/* The emulator engine (emu.c). */
struct emu_engine;
/* mode: enum x86_emu_mode, or -1 for the library's default (EMBER_EMU_MODE). */
struct emu_engine *emu_engine_open(int mode);
uint8_t *emu_engine_mem(struct emu_engine *e);
void emu_engine_run(struct emu_engine *e, const struct x86_state *s, struct dt_outcome *o);
void emu_engine_close(struct emu_engine *e);

#endif
