/*
 * x86/cpu.h - emulator-internal definitions: the CPU object, the decoded
 * instruction, the opcode-table row and the helpers instruction bodies use.
 * Not part of the public API (that is x86.h); nothing outside src/x86 includes it.
 * Decoding follows Intel SDM vol. 2 ch. 2 and appendix A (operand codes).
 */
#ifndef EMBER_X86_CPU_H
#define EMBER_X86_CPU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "x86/x86.h"

struct x86_cpu;
struct x86_insn;

/*
 * Result of an instruction body or a memory access: X86_OK, or X86_FAULT
 * with the exception recorded in cpu->fault by x86_raise().  Callers pass
 * the value up explicitly; there is no hidden control flow.  X86_SLOW comes
 * only from a specialised form (fast.c) that changed nothing: run the row's
 * general body instead.  X86_BRANCH is X86_OK from a form, or cpu_general,
 * that may have changed cpu->next_rip (the fast loop reloads it only then).
 */
enum { X86_OK = 0, X86_FAULT = 1, X86_SLOW = 2, X86_BRANCH = 3 };

typedef int (*x86_exec_fn)(struct x86_cpu *cpu, struct x86_insn *in);
/* A specialised form as the fast loop runs it (fast.c): the instruction at
 * rip with left instructions of budget, going on to the next by itself. */
typedef int (*x86_thread_fn)(struct x86_cpu *cpu, struct x86_insn *in, uint64_t rip,
			     uint64_t left);

/* Operand addressing methods (SDM vol. 2, A.2.1), plus fixed registers. */
enum x86_om {
	OM_NONE,
	OM_E,  /* ModRM r/m: register or memory */
	OM_M,  /* ModRM r/m: memory only */
	OM_R,  /* ModRM r/m: register only (mod ignored: MOV CR/DR) */
	OM_G,  /* ModRM reg: general register */
	OM_S,  /* ModRM reg: segment register */
	OM_C,  /* ModRM reg: control register */
	OM_D,  /* ModRM reg: debug register */
	OM_I,  /* immediate */
	OM_J,  /* relative branch offset */
	OM_O,  /* moffs: offset of address size, no ModRM */
	OM_A,  /* far pointer immediate ptr16:16/32 */
	OM_Z,  /* register in opcode bits 0-2 (+ REX.B) */
	OM_AX, /* AL/AX/EAX/RAX by size */
	OM_CL,
	OM_DX, /* DX as a port number */
	OM_1,  /* the constant 1 (shift count) */
	OM_V,  /* ModRM reg: XMM register */
	OM_W,  /* ModRM r/m: XMM register or memory */
	OM_U,  /* ModRM r/m: XMM register only */
	OM_P,  /* ModRM reg: MMX register */
	OM_Q,  /* ModRM r/m: MMX register or memory */
	OM_N,  /* ModRM r/m: MMX register only */
};

/* Operand sizes (SDM vol. 2, A.2.2). */
enum x86_os {
	OS_NONE,
	OS_b,  /* byte */
	OS_w,  /* word */
	OS_d,  /* doubleword */
	OS_q,  /* quadword */
	OS_v,  /* word, doubleword or quadword by operand size */
	OS_z,  /* word or doubleword (doubleword for 64-bit operand size) */
	OS_y,  /* doubleword, or quadword with 64-bit operand size */
	OS_bs, /* byte immediate sign-extended to the operand size */
	OS_p,  /* far pointer: 32 or 48 bits */
	OS_s,  /* pseudo-descriptor: 6 or 10 bytes */
	OS_x,  /* 16 bytes; in memory 16-byte aligned (legacy SSE) */
	OS_xu, /* 16 bytes, any alignment (MOVUPS, MOVDQU, LDDQU, PCMPxSTRx) */
};

struct x86_opspec {
	uint8_t m, s;
};

/* Opcode-row flags. */
#define F_MODRM	  (1u << 0)  /* has a ModRM byte even if no operand says so */
#define F_GROUP	  (1u << 1)  /* ModRM.reg selects the row in .group */
#define F_LOCK	  (1u << 2)  /* LOCK prefix allowed (with a memory destination) */
#define F_NO64	  (1u << 3)  /* invalid in 64-bit mode */
#define F_DEF64	  (1u << 4)  /* 64-bit default operand size in 64-bit mode */
#define F_FORCE64 (1u << 5)  /* operand size is 64 in 64-bit mode, 66 ignored (Intel) */
#define F_ONLY64  (1u << 6)  /* valid only in 64-bit mode */
#define F_GROUPR  (1u << 7)  /* mod=3 selects .group[8 + reg] */
#define F_GRPMRM  (1u << 8)  /* mod=3 selects .group[8 + ModRM - C0] (72 rows) */
#define F_REPOK	  (1u << 9)  /* string instruction: REP prefixes meaningful */
#define F_PRIV	  (1u << 10) /* CPL 0 only */
#define F_BYTEOP  (1u << 11) /* operand 0 is a byte (for formatting string ops) */
#define F_SSE	  (1u << 12) /* SSE/MMX: the prefix selects the row (sse_select); #UD if none */
#define F_IMM8	  (1u << 13) /* an extra imm8 (ENTER's second, 3DNow! suffix) */
#define F_RMW	  (1u << 14) /* operand 0 is read, then written (checked as a write) */
#define F_F3REQ	  (1u << 15) /* only with an F3 prefix (POPCNT); #UD without */
#define F_NOPFX	  (1u << 16) /* "NP": #UD with a 66, F2 or F3 prefix (XSAVE, XGETBV...) */

struct x86_opcode {
	x86_exec_fn fn;
	const char *name;
	struct x86_opspec o[3];
	uint32_t flags;
	const struct x86_opcode *group; /* F_GROUP: 8 rows (16 with F_GROUPR) */
};

/* The maps. */
enum { MAP_1B, MAP_0F, MAP_0F38, MAP_0F3A, MAP_3DNOW };

extern const struct x86_opcode x86_map1[256];
extern const struct x86_opcode x86_map0f[256];
extern const struct x86_opcode x86_x87[8][72]; /* D8-DF (x87.c) */
extern const struct x86_opcode x86_map_sse38;
extern const struct x86_opcode x86_map_sse3a;
extern const struct x86_opcode x86_op_vex;
extern const struct x86_opcode x86_op_movsxd;

/* A decoded instruction. */
struct x86_insn {
	x86_exec_fn fn;	    /* the row's body, or a form of it specialised by fast_pick() */
	x86_thread_fn tfn; /* the same for the fast loop */
	const struct x86_opcode *op;
	uint64_t imm;  /* first immediate (sign- or zero-extended), or the moffs */
	int32_t disp;  /* ModRM displacement (sign-extended 8/16/32 bits) */
	uint16_t imm2; /* second immediate (far pointer selector, ENTER level) */
	uint8_t len;
	uint8_t bits;	/* 16, 32, 64: the code segment's mode */
	uint8_t opsize; /* bytes: 2, 4, 8 */
	uint8_t adsize; /* bytes: 2, 4, 8 */
	uint8_t seg;	/* segment of the memory operand (override or default) */
	uint8_t segovr; /* 1 if a segment prefix was present */
	uint8_t rep;	/* 0, 0xF2 or 0xF3 (the last of them) */
	uint8_t lock;
	uint8_t atomic; /* LOCK, or XCHG with memory: atomic across CPUs (lock.c) */
	uint8_t p66;
	uint8_t rex; /* 0x40-0x4F or 0 */
	uint8_t vex; /* VEX/EVEX prefix seen */
	uint8_t map;
	uint8_t opcode;
	uint8_t has_modrm;
	uint8_t modrm, mod, reg, rm; /* reg and rm with REX.R / REX.B */
	int8_t base, index;	     /* -1: none */
	uint8_t scale;		     /* shift count 0-3 */
	uint8_t riprel;
	uint8_t size[3]; /* operand sizes in bytes */
	uint8_t nimm;	 /* bytes of immediate (for formatting) */
	uint8_t kind[3]; /* enum x86_okind: how operand k is reached (fast paths) */
	uint8_t checks;	 /* LOCK prefix or a CPL-0-only row: checks before the body */
	uint8_t regno[3];
};

/* Set in->fn and in->tfn: a specialised form, or cpu_general (fast.c). */
void fast_pick(struct x86_insn *in);
/* Run the row's general body with true flags, undoing them on a fault (cpu.c). */
int cpu_general(struct x86_cpu *cpu, struct x86_insn *in);
/* cpu_general for an instruction with in->checks: the LOCK and CPL checks,
 * then the body (atomic ones through cpu_locked). */
int cpu_checked(struct x86_cpu *cpu, struct x86_insn *in);
/* The decoded instruction at rip in 64-bit code (the fetch page becomes
 * rip's), or NULL: not RAM, a fault, or, with page_only, an instruction
 * that crosses the page end.  *phys: its physical address. */
struct x86_insn *cpu_fetch_at(struct x86_cpu *cpu, uint64_t rip, bool page_only,
			      struct x86_insn *tmp, uint64_t *phys);
/* The end of a run of the fast loop or of translated code: RIP, flags,
 * the fault or retirement, statistics.  Returns the instructions run. */
uint64_t cpu_burst_end(struct x86_cpu *cpu, uint64_t rip, uint64_t n, bool faulted);

/* Decoder entry: fills *in; returns length or X86_DECODE_*. */
int decode_insn(const uint8_t *b, size_t avail, int bits, struct x86_insn *in);
bool decode_known_ud(const uint8_t *b, size_t avail, int bits);

/* Memory access kinds, for segment, paging and fault checks. */
enum x86_acc {
	ACC_READ = 0,
	ACC_WRITE = 1,
	ACC_EXEC = 2,
};

#define TLB_SIZE 1024
#define TLB_LOG	 128
struct x86_tlb_entry {
	uint64_t lpage; /* linear page | 1 when valid */
	uint64_t ppage;
	uint8_t *host;	/* RAM for reads; NULL: not RAM (MMIO) */
	uint8_t *whost; /* RAM for writes, once known and not holding decoded code */
	uint8_t writable, user, nx, dirty, global, whost_known;
	/* What mem_fast may use, [write][CPL 3]: the host page when the access
	 * is allowed without a walk, else NULL (mmu_tlb_fast keeps it current). */
	uint8_t *fast[2][2];
};

#define PCACHE_SIZE 1024
struct x86_pcache_entry {
	uint64_t gpa; /* page | 1 when valid */
	uint8_t *rd, *wr;
	uint8_t wr_known;
};

/*
 * Decoded instructions, direct-mapped by physical address.  Linux's boot
 * needs the size: at 4096 entries decode_raw took 10% of the host time and
 * the boot (1.58 G instructions) 14.2 s of CPU, at 65536 10.5 s (6 MiB per
 * CPU, backed only where used).
 */
#define ICACHE_SIZE  65536
#define ICACHE_BYTES (ICACHE_SIZE * sizeof(struct x86_icache_entry))
#define ICACHE_LOG   64
struct x86_icache_entry {
	uint64_t key; /* ((physical address << 2) | code size 16/32/64 >> 5) + 1; 0 = empty */
	struct x86_icache_entry *next;	/* the instruction after this one, when last seen */
	struct x86_icache_entry *taken; /* where it branched to on its page, when last seen */
	struct x86_insn in;
};

/* The cache entry a decoded instruction of the cache sits in. */
static inline struct x86_icache_entry *icache_entry_of(struct x86_insn *in)
{
	return (struct x86_icache_entry *)((char *)in - offsetof(struct x86_icache_entry, in));
}

/*
 * Lazy arithmetic flags, written by the specialised forms (fast.c): while
 * op is not LF_NONE, the six arithmetic flags in s.rflags are stale and
 * follow from this record (result, operands, size, and INC/DEC's kept CF;
 * for the shifts, b is the count, 1 to 63).
 * Everything but those forms sees them synced: see cpu_sync_flags().
 */
enum { LF_NONE, LF_ADD, LF_SUB, LF_LOGIC, LF_INC, LF_DEC, LF_SHL, LF_SHR, LF_SAR };
struct x86_lazy_flags {
	uint64_t res, a, b;
	uint8_t op, size, cf;
	/* INC/DEC on top (idop LF_INC or LF_DEC, else 0): the five flags they
	 * set follow from idres; CF still from the record or RFLAGS below. */
	uint8_t idop, idsize;
	uint64_t idres;
};

/*
 * The decoded-code map of one machine: 1 bit per 4 KiB physical page that
 * holds decoded instructions on some CPU, over X86_CODEMAP_PHYS_BITS of
 * physical address (all of RAM above the 4 GiB hole included), in chunks
 * allocated on first use.  Shared by the machine's CPUs.
 */
#define X86_CODEMAP_PHYS_BITS 41
#define X86_CODEMAP_CHUNK_PAGES (1u << 15) /* a 4 KiB bitmap */
#define X86_CODEMAP_CHUNKS (1u << (X86_CODEMAP_PHYS_BITS - 12 - 15))
#define X86_MACHINE_CPUS 256

/* The CPUs of one machine (x86_cpu_new_sibling): their code map, and the
 * lock that LOCK'd accesses the host cannot make atomic take. */
struct x86_machine {
	pthread_mutex_t lock; /* membership, chunk allocation */
	pthread_mutex_t split_lock;
	struct x86_cpu *cpus[X86_MACHINE_CPUS]; /* NULL once freed */
	int ncpus, live;
	uint8_t *chunks[X86_CODEMAP_CHUNKS]; /* atomic pointers */
};

struct x86_cpu {
	struct x86_state s;
	struct x86_lazy_flags lf;
	const struct x86_ops *ops;
	void *opaque;
	struct x86_stats stats;
	unsigned trace;
	bool trace_insn; /* X86_TRACE_INSN asked for and ops->trace_insn set */
	atomic_bool kick;

	/* The current instruction. */
	uint64_t next_rip;
	bool mode_may_change; /* recompute cached mode after this insn */
	/* The pending fault of the current instruction. */
	struct {
		uint8_t vector;
		bool has_error;
		uint32_t error;
	} fault;
	int cpl;
	enum x86_mode mode;
	int code_bits;
	uint8_t inhibit_next; /* 1: STI shadow, 2: MOV SS shadow set by this instruction;
			       * 0 between instructions */
	bool keep_flags;      /* a faulting REP op completed iterations: keep RFLAGS */
	uint64_t insn_flags;  /* RFLAGS before the general body cpu_general last ran */
	bool in_burst;	      /* in cpu_burst, which keeps RIP in a register */
	/* Where a chain of specialised forms stopped (fast.c, cpu_burst): the
	 * RIP to go on from, the budget left, the last instruction it reached. */
	uint64_t t_rip, t_left;
	struct x86_insn *t_in;
	bool shutdown;
	bool nmi_blocked; /* an NMI handler runs until the next IRET */
	/* The run loop must make its full check (pending events, interrupt
	 * window, HLT, shutdown, the INTR line) before the next instruction:
	 * set by faults, by changes of IF, by STI and MOV SS, HLT, IRET and by
	 * bus accesses (I/O, MMIO, MSRs) that may move the INTR line. */
	bool events;

	struct x86_tlb_entry tlb[TLB_SIZE];
	/* Non-global entries filled since the last flush, while at most
	 * TLB_LOG: a CR3 write (twice per system call with PTI) clears those
	 * instead of scanning the TLB. */
	uint16_t tlb_log[TLB_LOG];
	unsigned tlb_nlog;
	struct x86_pcache_entry pcache[PCACHE_SIZE];
	struct x86_icache_entry *icache;
	/* Entries filled since the last reset, while at most ICACHE_LOG. */
	uint32_t icache_log[ICACHE_LOG];
	unsigned icache_nlog;
	uint64_t ip_mask; /* 0xFFFF, 0xFFFFFFFF or ~0 by code size */
	/* The code page last fetched from: linear page | 1 (0 = none), its
	 * physical page, and whether it is RAM.  Dropped with the TLB. */
	uint64_t fetch_lpage, fetch_ppage;
	bool fetch_ram;
	/* 64-bit code on a RAM page: the fast icache lookup may serve it, with
	 * the page's part of the icache key and of the icache index. */
	uint64_t fetch_fast_lpage; /* fetch_lpage when fast, else 0 */
	uint64_t fetch_key;
	unsigned fetch_ixor;
	/* The machine this CPU belongs to (its code map, its other CPUs). */
	struct x86_machine *machine;
	/* A LOCK'd instruction's memory operand runs on this page (lock.c). */
	uint8_t *lock_shadow;
	/* The translator (jit.c): NULL in interpreter mode.  jit_req asks
	 * translated code to return at the next block entry (another thread
	 * wrote code this CPU translated); jit_slot is the exit a block left
	 * by, for the dispatcher to link. */
	struct jit *jit;
	atomic_uchar jit_req;
	void *jit_slot;
};

/* Write the lazy flags into s.rflags (fast.c). */
void fast_sync_flags(struct x86_cpu *cpu);
static inline void cpu_sync_flags(struct x86_cpu *cpu)
{
	if (cpu->lf.op | cpu->lf.idop)
		fast_sync_flags(cpu);
}

/* cpu.c */
/* Record the exception the current instruction raises (inline: the hot
 * forms then need no call, and so no saved registers). */
static inline int x86_raise(struct x86_cpu *cpu, int vector, bool has_error, uint32_t error)
{
	cpu->fault.vector = vector;
	cpu->fault.has_error = has_error;
	cpu->fault.error = error;
	return X86_FAULT;
}
static inline int x86_gp(struct x86_cpu *cpu, uint32_t err)
{
	return x86_raise(cpu, 13, true, err);
}
static inline int x86_ud(struct x86_cpu *cpu)
{
	return x86_raise(cpu, 6, false, 0);
}
void cpu_update_mode(struct x86_cpu *cpu);
void cpu_set_flags(struct x86_cpu *cpu, uint64_t val, uint64_t mask);

static inline uint64_t x86_mask(unsigned size)
{
	return size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
}
static inline uint64_t x86_sext(uint64_t v, unsigned size)
{
	switch (size) {
	case 1:
		return (uint64_t)(int64_t)(int8_t)v;
	case 2:
		return (uint64_t)(int64_t)(int16_t)v;
	case 4:
		return (uint64_t)(int64_t)(int32_t)v;
	default:
		return v;
	}
}

/* Registers (regs.c). */
uint64_t reg_read(struct x86_cpu *cpu, struct x86_insn *in, int reg, unsigned size);
void reg_write(struct x86_cpu *cpu, struct x86_insn *in, int reg, unsigned size, uint64_t v);

/* Physical memory and paging (mmu.c). */
int mmu_translate(struct x86_cpu *cpu, uint64_t lin, enum x86_acc acc, int cpl,
		  struct x86_tlb_entry **out);
void mmu_flush_tlb(struct x86_cpu *cpu, bool global);
void mmu_invlpg(struct x86_cpu *cpu, uint64_t lin);
int mmu_read_lin(struct x86_cpu *cpu, uint64_t lin, void *buf, unsigned len, enum x86_acc acc,
		 int cpl);
int mmu_write_lin(struct x86_cpu *cpu, uint64_t lin, const void *buf, unsigned len, int cpl,
		  bool sys);
void mmu_phys_read(struct x86_cpu *cpu, uint64_t gpa, void *buf, unsigned len);
void mmu_phys_write(struct x86_cpu *cpu, uint64_t gpa, const void *buf, unsigned len);
uint8_t *mmu_ram(struct x86_cpu *cpu, uint64_t gpa, bool write);
void mmu_code_written(struct x86_cpu *cpu, uint64_t gpa, unsigned len);
/* Does the page at gpa hold decoded code on some CPU of the machine? */
bool cpu_is_code(struct x86_cpu *cpu, uint64_t gpa);
/* A LOCK'd instruction (or XCHG with memory), atomic across the machine's
 * threads (lock.c). */
int cpu_locked(struct x86_cpu *cpu, struct x86_insn *in);

/* Direct-mapped TLB; the hash keeps pages 4 MiB apart (code and data, a
 * stack) in different slots. */
static inline unsigned mmu_tlb_index(uint64_t lin)
{
	uint64_t p = lin >> 12;
	return (unsigned)((p ^ (p >> 10)) % TLB_SIZE);
}

/* May a cached translation serve this access (else walk again)? */
static inline bool mmu_allowed(const struct x86_cpu *cpu, const struct x86_tlb_entry *e,
			       enum x86_acc acc, int cpl)
{
	if (cpl == 3 && !e->user)
		return false;
	if (acc == ACC_WRITE) {
		if (!e->dirty)
			return false; /* walk again to set D */
		if (!e->writable && (cpl == 3 || (cpu->s.cr0 & X86_CR0_WP)))
			return false;
	}
	if (acc == ACC_EXEC && e->nx)
		return false;
	return true;
}

/* Segmented (logical) memory access (segment.c). */
bool seg_limit_ok(const struct x86_seg *sg, uint64_t off, unsigned len);
int seg_linear(struct x86_cpu *cpu, int seg, uint64_t off, unsigned len, enum x86_acc acc,
	       uint64_t *lin);
int mem_read(struct x86_cpu *cpu, int seg, uint64_t off, unsigned len, uint64_t *val);
int mem_read_acc(struct x86_cpu *cpu, int seg, uint64_t off, unsigned len, enum x86_acc acc,
		 uint64_t *val);
int mem_write(struct x86_cpu *cpu, int seg, uint64_t off, unsigned len, uint64_t val);
int mem_check(struct x86_cpu *cpu, int seg, uint64_t off, unsigned len, enum x86_acc acc);
int seg_load(struct x86_cpu *cpu, int seg, uint16_t sel);
void seg_load_real(struct x86_cpu *cpu, int seg, uint16_t sel);
int seg_read_desc(struct x86_cpu *cpu, uint16_t sel, uint64_t desc[2], bool sys);
void seg_from_desc(struct x86_seg *sg, uint16_t sel, uint64_t lo, uint64_t hi);
int seg_set_accessed(struct x86_cpu *cpu, uint16_t sel, uint64_t lo);
int seg_load_cs(struct x86_cpu *cpu, uint16_t sel, uint64_t lo, uint64_t hi, int cpl);

/* Little-endian load/store of 1, 2, 4 or 8 bytes from host memory. */
static inline uint64_t mem_load(const uint8_t *p, unsigned len)
{
	uint8_t b1;
	uint16_t b2;
	uint32_t b4;
	uint64_t b8;
	switch (len) {
	case 1:
		memcpy(&b1, p, 1);
		return b1;
	case 2:
		memcpy(&b2, p, 2);
		return b2;
	case 4:
		memcpy(&b4, p, 4);
		return b4;
	default:
		memcpy(&b8, p, 8);
		return b8;
	}
}

static inline void mem_store(uint8_t *p, unsigned len, uint64_t v)
{
	uint8_t b1 = (uint8_t)v;
	uint16_t b2 = (uint16_t)v;
	uint32_t b4 = (uint32_t)v;
	switch (len) {
	case 1:
		memcpy(p, &b1, 1);
		break;
	case 2:
		memcpy(p, &b2, 2);
		break;
	case 4:
		memcpy(p, &b4, 4);
		break;
	default:
		memcpy(p, &v, 8);
		break;
	}
}

/* Recompute e->fast after the entry, its whost or CR0.WP changed (mmu.c). */
void mmu_tlb_fast(struct x86_cpu *cpu, struct x86_tlb_entry *e);

/* mem_fast once the segment is known to be flat (64-bit mode, not FS/GS):
 * lin is the offset. */
static inline __attribute__((always_inline)) uint8_t *mem_fast64(struct x86_cpu *cpu, uint64_t lin,
								  unsigned len, enum x86_acc acc)
{
	if (len > 8 || acc == ACC_EXEC || ((lin & 0xFFF) + len) > 4096)
		return NULL;
	const struct x86_tlb_entry *e = &cpu->tlb[mmu_tlb_index(lin)];
	if (e->lpage != ((lin & ~0xFFFull) | 1))
		return NULL;
	uint8_t *p = e->fast[acc == ACC_WRITE][cpu->cpl == 3];
	return p ? p + (lin & 0xFFF) : NULL;
}

/*
 * The fast path: 64-bit mode without FS/GS (no segment checks; a TLB match
 * implies a canonical address), a TLB hit on RAM allowing the access, inside
 * one page.  Returns the host pointer, or NULL for the general path.
 */
static inline __attribute__((always_inline)) uint8_t *mem_fast(struct x86_cpu *cpu, int seg,
								uint64_t off, unsigned len,
								enum x86_acc acc)
{
	if (cpu->mode != X86_MODE_LONG64 || seg >= X86_FS)
		return NULL;
	return mem_fast64(cpu, off, len, acc);
}

/* The effective address (segment offset) of the ModRM memory operand. */
static inline __attribute__((always_inline)) int opnd_ea(struct x86_cpu *cpu, struct x86_insn *in, uint64_t *off)
{
	uint64_t ea = (uint64_t)(int64_t)in->disp;
	if (in->riprel) {
		ea += cpu->next_rip;
	} else {
		if (in->base >= 0)
			ea += cpu->s.gpr[in->base];
		if (in->index >= 0)
			ea += cpu->s.gpr[in->index] << in->scale;
	}
	*off = ea & x86_mask(in->adsize);
	return X86_OK;
}

/* Operands (operand.c).  Register and immediate operands take an inline
 * path; everything else (memory, segment registers...) the general one. */
enum x86_okind { OK_OTHER, OK_REG, OK_IMM, OK_MEM, OK_MEM_RMW };
int opnd_read_any(struct x86_cpu *cpu, struct x86_insn *in, int n, uint64_t *val);
int opnd_write_any(struct x86_cpu *cpu, struct x86_insn *in, int n, uint64_t val);
void decode_operand_kinds(struct x86_insn *in);

static inline int opnd_read(struct x86_cpu *cpu, struct x86_insn *in, int n, uint64_t *val)
{
	if (in->kind[n] == OK_REG) {
		*val = cpu->s.gpr[in->regno[n]] & x86_mask(in->size[n]);
		return X86_OK;
	}
	if (in->kind[n] == OK_IMM) {
		*val = in->imm;
		return X86_OK;
	}
	return opnd_read_any(cpu, in, n, val);
}

static inline int opnd_write(struct x86_cpu *cpu, struct x86_insn *in, int n, uint64_t val)
{
	if (in->kind[n] == OK_REG) {
		uint64_t *r = &cpu->s.gpr[in->regno[n]];
		unsigned size = in->size[n];
		/* Tests rather than a switch: no indirect jump for 8 and 4. */
		if (size == 8)
			*r = val;
		else if (size == 4)
			*r = (uint32_t)val; /* 32-bit results zero-extend */
		else if (size == 2)
			*r = (*r & ~0xFFFFull) | (val & 0xFFFF);
		else
			*r = (*r & ~0xFFull) | (val & 0xFF);
		return X86_OK;
	}
	return opnd_write_any(cpu, in, n, val);
}

/* Stack (stack.c). */
int stack_push(struct x86_cpu *cpu, unsigned size, uint64_t val);
int stack_pop(struct x86_cpu *cpu, unsigned size, uint64_t *val);
unsigned stack_width(struct x86_cpu *cpu);
int stack_write_frame(struct x86_cpu *cpu, const struct x86_seg *ss, uint64_t sp,
		      const uint64_t *vals, int n, unsigned w, int cpl, uint64_t *new_sp);
int stack_read_frame(struct x86_cpu *cpu, uint64_t sp, uint64_t *vals, int n, unsigned w);
uint64_t stack_flags_mask(struct x86_cpu *cpu, unsigned size);

/* Flags (alu.c). */
void alu_flags_logic(struct x86_cpu *cpu, uint64_t res, unsigned size);
uint64_t alu_op(struct x86_cpu *cpu, int op, uint64_t a, uint64_t b, unsigned size);
bool alu_cond(struct x86_cpu *cpu, int cc);

/* Interrupts and exceptions (interrupt.c). */
enum x86_event_kind { EV_EXCEPTION, EV_EXTERNAL, EV_SOFT_INT, EV_SOFT_EXC };
int intr_deliver(struct x86_cpu *cpu, int vector, enum x86_event_kind kind, bool has_error,
		 uint32_t error);
int intr_iret(struct x86_cpu *cpu, struct x86_insn *in);
int intr_check_ret_cs(struct x86_cpu *cpu, uint16_t sel, uint64_t d[2]);
void intr_null_outer_segs(struct x86_cpu *cpu);
int intr_tss_stack(struct x86_cpu *cpu, int dpl, int ist, uint16_t *ss, uint64_t *sp);
int intr_new_ss(struct x86_cpu *cpu, uint16_t ss, int dpl, uint32_t ext, struct x86_seg *out);
int task_switch(struct x86_cpu *cpu, uint16_t sel, int reason, bool has_error, uint32_t error);

/* I/O permission (io.c). */
int io_check(struct x86_cpu *cpu, uint16_t port, unsigned size);

/* System (system.c). */
int sys_write_cr(struct x86_cpu *cpu, int cr, uint64_t val);
int sys_rdmsr(struct x86_cpu *cpu, uint32_t msr, uint64_t *val);
int sys_wrmsr(struct x86_cpu *cpu, uint32_t msr, uint64_t val);

/* Instruction bodies, one family per file. */
#define X86_BODIES(X)                                                                              \
	X(alu)                                                                                     \
	X(alu_ai)                                                                                  \
	X(test)                                                                                    \
	X(incdec)                                                                                  \
	X(not )                                                                                    \
	X(neg)                                                                                     \
	X(shift)                                                                                   \
	X(shld)                                                                                    \
	X(shrd) X(mul1) X(imul1) X(imul2) X(imul3) X(div) X(idiv) X(daa) X(das) X(aaa) X(aas) X(   \
	    aam) X(aad) X(salc) X(bt) X(bsf) X(bsr) X(popcnt) X(bswap) X(mov) X(movzx) X(movsx)    \
	    X(movsxd) X(lea) X(xchg) X(xchg_ax) X(nop) X(mfence) X(pause) X(cmov) X(setcc) X(xlat) X(cbw)    \
		X(cwd) X(xadd) X(cmpxchg) X(cmpxchg8b) X(lahf) X(sahf) X(cmc) X(clc) X(stc) X(cld) \
		    X(std) X(cli) X(sti) X(movs) X(cmps) X(stos) X(lods) X(scas) X(ins) X(outs) X( \
			push) X(pop) X(push_sreg) X(pop_sreg) X(pusha) X(popa) X(pushf) X(popf)    \
			X(enter) X(leave) X(bound) X(pop_ev) X(jcc) X(jmp) X(jmp_ev) X(call)       \
			    X(call_ev) X(ret) X(loop) X(jcxz) X(jmp_far) X(jmp_far_m) X(call_far)  \
				X(call_far_m) X(ret_far) X(mov_sreg_ld) X(mov_sreg_st) X(lxs)      \
				    X(int) X(int3) X(into) X(iret) X(int1) X(in) X(out)            \
					X(hlt) X(ud) X(cpuid) X(rdtsc) X(rdtscp) X(rdmsr) X(wrmsr) \
					    X(rdpmc) X(mov_cr_ld) X(mov_cr_st) X(mov_dr_ld)        \
						X(mov_dr_st) X(clts) X(invlpg) X(wbinvd) X(lgdt)   \
						    X(lidt) X(sgdt) X(sidt)                        \
							X(lldt) X(ltr) X(sldt) X(str) X(lmsw)      \
							    X(smsw) X(lar) X(lsl) X(verr) X(verw)  \
								X(arpl) X(swapgs) X(syscall)       \
								    X(sysret) X(sysenter)          \
									X(sysexit) X(clflush)

/* The x87 and FP-state bodies (x87.c, fpustate.c). */
#define X86_FPU_BODIES(X)                                                                          \
	X(fwait) X(fmem_ld) X(fmem_st) X(freg) X(fcomi) X(fninit) X(fnop287) X(fnclex) X(fnstsw_ax) X(fnstsw)  \
	X(fnstcw) X(fldcw) X(fldenv) X(frstor) X(fnstenv) X(fnsave) X(fxsave) X(fxrstor) X(xsave)  \
	X(xsaveopt) X(xsavec) X(xrstor) X(xgetbv) X(xsetbv)

#define X86_DECLARE_BODY(n) int ex_##n(struct x86_cpu *cpu, struct x86_insn *in);
X86_BODIES(X86_DECLARE_BODY)
X86_FPU_BODIES(X86_DECLARE_BODY)
#undef X86_DECLARE_BODY

#endif
