/*
 * x86/x86.h - public interface of ember's x86 instruction emulator.
 * The emulator includes nothing from the VMM: everything it needs from its
 * platform (memory, port I/O, MSRs, CPUID, interrupts, tracing) comes through
 * struct x86_ops, so the same sources build into the VMM and into host-only
 * test programs (tests/, difftest, sst286-check, fuzzers).
 * Semantics follow the Intel SDM; the design follows ARCHITECTURE.md.
 */
#ifndef EMBER_X86_H
#define EMBER_X86_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "x86/state.h"

/* CPU operating modes, for statistics and tracing (SDM vol. 3A, 2.2). */
enum x86_mode {
	X86_MODE_REAL,
	X86_MODE_V86,
	X86_MODE_PROT16, /* protected mode, CS.D = 0 */
	X86_MODE_PROT32,
	X86_MODE_COMPAT, /* IA-32e compatibility mode */
	X86_MODE_LONG64,
	X86_NR_MODES
};

const char *x86_mode_name(enum x86_mode m);
enum x86_mode x86_state_mode(const struct x86_state *s);

struct x86_cpu;

/*
 * Platform operations.  Every op receives the opaque pointer given to
 * x86_cpu_new().  A NULL op means "not present": the emulator raises the
 * architectural fault (#GP for MSRs, all-ones reads for I/O) instead.
 */
struct x86_ops {
	/*
	 * [IN] gpa: 4 KiB-aligned guest-physical address; write: the access
	 * stores.  [OUT] a host pointer to the 4 KiB page of ordinary RAM at
	 * gpa, or NULL when the page is not RAM (MMIO, unbacked) or, for
	 * write, read-only (ROM).  The emulator may cache the pointer until
	 * x86_cpu_flush_mappings().
	 */
	uint8_t *(*ram_page)(void *opaque, uint64_t gpa, bool write);
	/* Accesses to non-RAM pages, split so they never cross 8 bytes.
	 * Unbacked addresses read all-ones and drop writes (the platform's job). */
	void (*phys_read)(void *opaque, uint64_t gpa, void *buf, unsigned len);
	void (*phys_write)(void *opaque, uint64_t gpa, const void *buf, unsigned len);

	/* Port I/O after the emulator's IOPL / I/O-bitmap checks passed. */
	uint32_t (*pio_in)(void *opaque, uint16_t port, unsigned size);
	void (*pio_out)(void *opaque, uint16_t port, unsigned size, uint32_t val);

	/* MSRs the emulator does not keep in struct x86_state.  Return 0, or
	 * a negative value to make the instruction raise #GP(0). */
	int (*rdmsr)(void *opaque, uint32_t msr, uint64_t *val);
	int (*wrmsr)(void *opaque, uint32_t msr, uint64_t val);

	/* CPUID as the platform wants to present it; the emulator masks out
	 * features it does not implement (see x86_cpuid_supported). */
	void (*cpuid)(void *opaque, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

	/* Time stamp counter value now (RDTSC, RDTSCP). */
	uint64_t (*rdtsc)(void *opaque);

	/* Maskable interrupts: is one pending (INTR line high)?  And the
	 * acknowledge cycle: returns the vector, or -1 if it went away. */
	bool (*intr_pending)(void *opaque);
	int (*intr_ack)(void *opaque);

	/* An unmasked x87 exception became pending while CR0.NE is clear: the
	 * FERR# output, which a PC routes to IRQ 13 (SDM vol. 1, D.2.1).
	 * Optional; waiting x87 instructions then go on as with IGNNE#. */
	void (*ferr)(void *opaque);

	/* ---- trace hooks, all optional; they never change behaviour ---- */
	/* Before executing each instruction (only when X86_TRACE_INSN is on). */
	void (*trace_insn)(void *opaque, struct x86_cpu *cpu, uint64_t linear,
			   uint64_t phys, const uint8_t *bytes, unsigned len);
	/* A control register (0,2,3,4,8) or EFER (cr = -1) was written. */
	void (*trace_cr)(void *opaque, int cr, uint64_t old_val, uint64_t new_val, bool write);
	/* The operating mode changed; rip is the instruction that caused it. */
	void (*trace_mode)(void *opaque, enum x86_mode from, enum x86_mode to, uint64_t rip);
	/* An exception (vector < 32) or interrupt is being delivered. */
	void (*trace_event)(void *opaque, uint8_t vector, bool has_error, uint32_t error,
			    bool is_exception, uint64_t rip);
	void (*trace_msr)(void *opaque, uint32_t msr, uint64_t val, bool write);
	void (*trace_cpuid)(void *opaque, uint32_t leaf, uint32_t subleaf, const uint32_t out[4]);
};

/* Why x86_run() returned. */
enum x86_exit {
	X86_EXIT_BUDGET,   /* executed max_insns instructions */
	X86_EXIT_HLT,      /* HLT with no interrupt deliverable; state.halted set */
	X86_EXIT_SHUTDOWN, /* triple fault: the processor entered shutdown */
	X86_EXIT_KICK,     /* x86_cpu_kick() was called */
};

struct x86_stats {
	uint64_t insns[X86_NR_MODES];
	uint64_t exceptions[32];
	uint64_t interrupts; /* external interrupts delivered */
	uint64_t hlts;       /* HLT instructions executed */
	/* The translator: blocks translated, blocks dropped because their
	 * code was written, and times the full code cache was emptied. */
	uint64_t jit_blocks, jit_invalidated, jit_flushes;
};

/* Trace switches (bit mask for x86_cpu_set_trace). */
#define X86_TRACE_INSN (1u << 0)

struct x86_cpu *x86_cpu_new(const struct x86_ops *ops, void *opaque);
/*
 * Another CPU of sibling's machine, for multiprocessor guests with one host
 * thread per CPU: the machine's CPUs share the map of pages holding decoded
 * code, so a write by any of them (or x86_cpu_invalidate_phys() on any)
 * drops stale decodes on all, and their LOCK'd instructions (and XCHG with
 * memory) are atomic across their threads: host compare-and-swap on RAM, a
 * machine-wide lock only where the host cannot (MMIO, a page or cache-line
 * split).  NULL when out of memory or the machine is full (256 CPUs).
 */
struct x86_cpu *x86_cpu_new_sibling(struct x86_cpu *sibling, const struct x86_ops *ops,
				    void *opaque);
void x86_cpu_free(struct x86_cpu *cpu);

/*
 * The live architectural state.  Valid between x86_run() calls (RFLAGS
 * materialised).  After changing it from outside, call
 * x86_cpu_state_changed() so cached translations and decodes are dropped.
 */
struct x86_state *x86_cpu_state(struct x86_cpu *cpu);
void x86_cpu_state_changed(struct x86_cpu *cpu);

/* Guest-physical memory [gpa, gpa+len) was written by someone other than
 * the machine's CPUs (loader, DMA): drop decoded instructions from it on
 * every CPU of the machine.  Any thread, while the CPUs run. */
void x86_cpu_invalidate_phys(struct x86_cpu *cpu, uint64_t gpa, uint64_t len);
/* The platform's memory map changed: forget every cached ram_page pointer. */
void x86_cpu_flush_mappings(struct x86_cpu *cpu);

/* Translate a linear address through the current paging mode as a supervisor
 * read would, without setting A/D bits or raising faults (for dumps and
 * traces).  Returns 0 with *phys set, or -EFAULT. */
int x86_cpu_translate(struct x86_cpu *cpu, uint64_t linear, uint64_t *phys);

/* Run up to max_insns instructions; thread-safe kick from another thread. */
enum x86_exit x86_run(struct x86_cpu *cpu, uint64_t max_insns);
void x86_cpu_kick(struct x86_cpu *cpu);

/*
 * How the CPU runs 64-bit code: the interpreter (the reference), or the
 * translator, which compiles guest basic blocks to host code and falls back
 * to the interpreter for everything else (other modes, tracing, single
 * steps).  A new CPU starts in the interpreter, or in what the environment
 * variable EMBER_EMU_MODE (interp or jit) says, so that test tools run
 * either; ember itself asks for the translator (emu.c).
 * jit_cache_bytes bounds the translated-code cache (0: 64 MiB; at least
 * 64 KiB); full, it starts over.  Returns 0, or -errno when the host refuses
 * the code cache (the CPU then stays in the interpreter).
 */
enum x86_emu_mode { X86_EMU_INTERP, X86_EMU_JIT };
int x86_cpu_set_mode(struct x86_cpu *cpu, enum x86_emu_mode mode, size_t jit_cache_bytes);
/* The mode named s ("interp", "jit"), or -1. */
int x86_emu_mode_parse(const char *s);

void x86_cpu_set_trace(struct x86_cpu *cpu, unsigned mask);
const struct x86_stats *x86_cpu_stats(const struct x86_cpu *cpu);

/* The CPUID values the emulator implements, for the platform to start from. */
void x86_cpuid_supported(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
/*
 * CPUID.1 bits that describe the platform, not the instruction set, so the
 * platform's cpuid hook may set them: ECX x2APIC (21), TSC-deadline (24),
 * hypervisor (31); EDX MCE (7: #MC and CR4.MCE, which nothing raises here),
 * APIC (9), MTRR (12), MCA (14), HTT (28).  Every other leaf-1 bit is
 * limited to x86_cpuid_supported().
 */
#define X86_CPUID1_ECX_PLATFORM ((1u << 21) | (1u << 24) | (1u << 31))
#define X86_CPUID1_EDX_PLATFORM ((1u << 7) | (1u << 9) | (1u << 12) | (1u << 14) | (1u << 28))
/* CPUID.(7,0).EBX: TSC_ADJUST (1), an MSR of the platform's TSC. */
#define X86_CPUID7_EBX_PLATFORM (1u << 1)

/*
 * Decoder, usable alone (e.g. to disassemble the bytes at RIP of a KVM exit).
 * bits: 16, 32 or 64 (the default operand/address size of the code segment).
 * Returns the instruction length (1..15), or a negative X86_DECODE_* code.
 */
#define X86_DECODE_UD       (-1) /* invalid opcode: would raise #UD */
#define X86_DECODE_TOO_LONG (-2) /* more than 15 bytes: #GP */
#define X86_DECODE_SHORT    (-3) /* avail ended before the instruction did */
int x86_insn_length(const uint8_t *bytes, size_t avail, int bits);

/* Format the instruction in Intel syntax with ember's own mnemonic table
 * (for when no disassembler library is present); returns its length or < 0. */
int x86_format(const uint8_t *bytes, size_t avail, int bits, uint64_t rip, char *buf, size_t size);

#endif
