/*
 * x86/jit.c - the translator: guest basic blocks of 64-bit code compiled to
 * host x86-64 code that calls, per instruction, the body the interpreter
 * would run (the specialised form in->fn, or the general body), with the
 * budget in a register and the exits the interpreter's fast loop takes
 * (cpu_burst); blocks on one page chained by patched direct jumps; a code
 * cache per CPU in a memfd mapped twice (written through one view, run
 * through the other: never writable and executable at once), emptied when
 * full; blocks killed through the self-modifying-code machinery.
 * Not the instruction semantics (the bodies), not the other modes, tracing
 * or single steps (the interpreter runs those).
 * Design: ARCHITECTURE.md, "The translator".
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "x86/flags.h"
#include "x86/jit.h"
#include "x86/jit_arena.h"
#include "x86/jit_emit.h"
#include "x86/jit_native.h"

#define JIT_BLOCK_INSNS 64 /* guest instructions per block at most */
/* Host bytes one instruction can take (main path and stubs, counted from
 * the encoders: about 400 for an ALU operation on memory through GS with a base, an index and a
 * displacement, whose inline TLB path comes before its call) and a block's
 * own (prologue, slots, exits); test_x86_jit's longest block checks it. */
#define JIT_INSN_BYTES	  640
#define JIT_BLOCK_BYTES	  (JIT_BLOCK_INSNS * JIT_INSN_BYTES + 1024)
#define JIT_CACHE_DEFAULT (64u << 20)
#define JIT_CACHE_MIN	  (64u << 10)
#define JIT_POPULATE	  (1u << 20) /* arena bytes backed at a time */
#define JIT_HASH	  65536 /* blocks by physical address */
#define JIT_PHASH	  16384 /* blocks by physical page */
#define JIT_PENDING	  64	/* pages written, before "all" */
#define JIT_JC		  4096	/* the jump cache: blocks by linear RIP */

/* Why translated code returned to the dispatcher (in EAX). */
enum {
	JX_CHAIN, /* through an exit slot not linked yet: cpu->jit_slot */
	JX_DYN,	  /* to a RIP known only at run time, or with events armed */
	JX_FAULT, /* the instruction at cpu->t_rip faulted */
	JX_REQ,	  /* at a block entry: a kick, jit_req, or too little budget */
};

struct jit_block;

/* An exit of a block to a guest RIP known when it was translated: a JMP
 * rel32 that goes to the exit stub, or, once linked, to the block there.
 * On another page than the block, the JMP is the end of a guard (the TLB
 * still maps the target's page to the block's physical page, executable
 * at the block's CPL, as jit_next would check) whose failure goes to the
 * stub. */
struct jit_slot {
	uint32_t jmp, stub; /* arena positions of the rel32 and of the stub */
	uint32_t ppage;	    /* a guard's imm64 of the physical page, or 0 */
	uint64_t target;
	struct jit_block *from;
	struct jit_block *to;	  /* linked to, or NULL */
	struct jit_slot *next_in; /* the other slots linked to the same block */
};

struct jit_block {
	uint64_t rip, phys; /* its first instruction, linear and physical */
	uint32_t code;	    /* arena position of its entry */
	uint32_t ninsn;
	bool step; /* one instruction, for single steps (RFLAGS.TF) */
	bool user; /* translated at CPL 3 (the TLB pointers its native forms use) */
	bool dead;
	struct jit_block *hnext, *pnext; /* chains of hash and phash */
	struct jit_slot slot[2];	 /* fall through, taken */
	struct jit_slot *in;		 /* slots linked to this block */
};

/* A slot of the jump cache: the block last found at (rip, phys, user),
 * its entry and length copied so that a hit reads one line. */
struct jit_jc {
	uint64_t rip, phys;
	const uint8_t *code; /* NULL: empty */
	uint32_t ninsn;
	bool user;
};

typedef int (*jit_enter_fn)(struct x86_cpu *cpu, const uint8_t *code, uint64_t left);

struct jit {
	uint8_t *w, *x; /* the arena's two views */
	size_t size;
	uint32_t used, blocks_start; /* the trampoline, then blocks */
	uint32_t populated;	     /* the arena's bytes backed so far (jit_arena_populate) */
	uint32_t epilogue;
	jit_enter_fn enter;
	struct jit_block *blocks;
	size_t nblocks, max_blocks;
	struct x86_insn *insns; /* the blocks' copies of their instructions */
	size_t ninsns, max_insns;
	uint64_t generation; /* bumped by every flush */
	struct jit_block *hash[JIT_HASH];
	struct jit_block *phash[JIT_PHASH];
	_Alignas(64) struct jit_jc jc[JIT_JC];
	/* Pages written since the owner last looked (any thread). */
	pthread_mutex_t lock;
	uint64_t pending[JIT_PENDING];
	unsigned npending;
	bool pending_all;
};

static unsigned jit_hash(uint64_t phys)
{
	return (unsigned)((phys ^ (phys >> 12) * 0x9E3779B1u) & (JIT_HASH - 1));
}

static unsigned jit_jc_index(uint64_t rip)
{
	return (unsigned)((rip ^ (rip >> 12)) & (JIT_JC - 1));
}

static unsigned jit_phash(uint64_t page)
{
	return (unsigned)((page * 0x9E3779B1u) >> 7) & (JIT_PHASH - 1);
}

/* ---- the code cache ---- */

/* The entry trampoline and the common exit: RBX = cpu and R12 = budget
 * left inside translated code (both callee-saved, so C bodies keep them);
 * the stack stays 16-byte aligned at every call. */
static void jit_emit_trampoline(struct jit *j)
{
	static const uint8_t entry[] = {
	    0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57, /* push rbx..r15 */
	    0x48, 0x83, 0xEC, 0x08,					/* sub rsp, 8 */
	    0x48, 0x89, 0xFB,						/* mov rbx, rdi */
	    0x49, 0x89, 0xD4,						/* mov r12, rdx */
	    0xFF, 0xE6,							/* jmp rsi */
	};
	static const uint8_t leave[] = {
	    0x48, 0x83, 0xC4, 0x08,					/* add rsp, 8 */
	    0x41, 0x5F, 0x41, 0x5E, 0x41, 0x5D, 0x41, 0x5C, 0x5D, 0x5B, /* pop r15..rbx */
	    0xC3,							/* ret */
	};
	struct jit_asm a = {j->w, j->x, 0};
	for (size_t i = 0; i < sizeof(entry); i++)
		a_u8(&a, entry[i]);
	j->epilogue = a.pos;
	a_u8(&a, 0x4C); /* mov [rbx+t_left], r12 */
	a_u8(&a, 0x89);
	a_rbx_disp(&a, 4, offsetof(struct x86_cpu, t_left));
	for (size_t i = 0; i < sizeof(leave); i++)
		a_u8(&a, leave[i]);
	j->blocks_start = j->used = (a.pos + 63) & ~63u;
	j->enter = (jit_enter_fn)(uintptr_t)j->x;
}

static void *jit_anon(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* Filled from the start as blocks come: huge pages where the host has
	 * them, a fault per 2 MiB instead of per 4 KiB. */
	madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

static void jit_destroy(struct jit *j)
{
	jit_arena_unmap(j->size, j->w, j->x);
	if (j->blocks)
		munmap(j->blocks, j->max_blocks * sizeof(*j->blocks));
	if (j->insns)
		munmap(j->insns, j->max_insns * sizeof(*j->insns));
	pthread_mutex_destroy(&j->lock);
	free(j);
}

/* The arena: one memfd mapped read-write and, elsewhere, read-execute. */
static int jit_create(size_t size, struct jit **out)
{
	struct jit *j = aligned_alloc(64, (sizeof(*j) + 63) & ~(size_t)63); /* jc: a line a slot pair */
	if (!j)
		return -ENOMEM;
	memset(j, 0, sizeof(*j));
	pthread_mutex_init(&j->lock, NULL);
	j->size = size;
	j->max_blocks = size / 256;
	j->max_insns = size / 32;
	/* Within 2 GiB of the emulator's code, calls into it are rel32. */
	uintptr_t near =
	    ((uintptr_t)(const void *)cpu_general - (1ull << 30)) & ~(uintptr_t)0xFFFFF;
	int rc = jit_arena_map(size, (void *)near, &j->w, &j->x);
	if (!rc) {
		j->blocks = jit_anon(j->max_blocks * sizeof(*j->blocks));
		j->insns = jit_anon(j->max_insns * sizeof(*j->insns));
		if (!j->blocks || !j->insns)
			rc = -ENOMEM;
	}
	if (rc) {
		jit_destroy(j);
		return rc;
	}
	jit_emit_trampoline(j);
	*out = j;
	return 0;
}

/* Forget every block: nothing of the arena runs any more (the dispatcher
 * calls this only outside translated code). */
static void jit_reset(struct jit *j)
{
	if (j->nblocks > JIT_HASH / 16) {
		memset(j->hash, 0, sizeof(j->hash));
		memset(j->phash, 0, sizeof(j->phash));
	} else {
		for (size_t i = 0; i < j->nblocks; i++) {
			j->hash[jit_hash(j->blocks[i].phys)] = NULL;
			j->phash[jit_phash(j->blocks[i].phys >> 12)] = NULL;
		}
	}
	memset(j->jc, 0, sizeof(j->jc));
	j->nblocks = j->ninsns = 0;
	j->used = j->blocks_start;
	j->generation++;
}

void jit_flush(struct x86_cpu *cpu)
{
	jit_reset(cpu->jit);
}

/* ---- linking and invalidation ---- */

static void jit_link(struct jit *j, struct jit_slot *s, struct jit_block *to)
{
	if (s->ppage) {
		uint64_t page = to->phys & ~0xFFFull;
		memcpy(j->w + s->ppage, &page, 8);
	}
	a_patch(j->w, s->jmp, to->code);
	s->to = to;
	s->next_in = to->in;
	to->in = s;
}

static void jit_kill(struct x86_cpu *cpu, struct jit_block *b)
{
	struct jit *j = cpu->jit;
	struct jit_block **pp = &j->hash[jit_hash(b->phys)];
	while (*pp != b)
		pp = &(*pp)->hnext;
	*pp = b->hnext;
	for (struct jit_slot *s = b->in; s; s = s->next_in) {
		a_patch(j->w, s->jmp, s->stub); /* back to the stub: the dispatcher decides */
		s->to = NULL;
	}
	struct jit_jc *c = &j->jc[jit_jc_index(b->rip)];
	if (c->code == j->x + b->code)
		c->code = NULL;
	b->in = NULL;
	b->dead = true;
	cpu->stats.jit_invalidated++;
}

static void jit_kill_page(struct x86_cpu *cpu, uint64_t page)
{
	struct jit *j = cpu->jit;
	struct jit_block **pp = &j->phash[jit_phash(page)];
	while (*pp) {
		struct jit_block *b = *pp;
		if (b->phys >> 12 != page) {
			pp = &b->pnext;
			continue;
		}
		*pp = b->pnext;
		jit_kill(cpu, b);
	}
}

void jit_written(struct x86_cpu *c, bool self, uint64_t gpa, unsigned len)
{
	struct jit *j = c->jit;
	pthread_mutex_lock(&j->lock);
	if (!len) {
		j->pending_all = true;
	} else {
		for (uint64_t p = gpa >> 12; p <= (gpa + len - 1) >> 12; p++) {
			unsigned i = 0;
			while (i < j->npending && j->pending[i] != p)
				i++;
			if (i < j->npending)
				continue;
			if (j->npending == JIT_PENDING)
				j->pending_all = true;
			else
				j->pending[j->npending++] = p;
		}
	}
	pthread_mutex_unlock(&j->lock);
	/* Translated code tests it at every block entry and after every
	 * general body (where a write by this CPU comes from). */
	atomic_store(&c->jit_req, 1);
}

/* Take the writes others (or this CPU) reported: kill their blocks. */
static void jit_service(struct x86_cpu *cpu)
{
	struct jit *j = cpu->jit;
	uint64_t pages[JIT_PENDING];
	atomic_store(&cpu->jit_req, 0);
	pthread_mutex_lock(&j->lock);
	unsigned n = j->npending;
	bool all = j->pending_all;
	memcpy(pages, j->pending, n * sizeof(pages[0]));
	j->npending = 0;
	j->pending_all = false;
	pthread_mutex_unlock(&j->lock);
	if (all) {
		cpu->stats.jit_invalidated += j->nblocks;
		jit_reset(j);
		return;
	}
	for (unsigned i = 0; i < n; i++)
		jit_kill_page(cpu, pages[i]);
}

/* ---- translation ---- */

/* The guest's arithmetic flags (jit_native_flags_in). */
static uint64_t jit_guest_flags(struct x86_cpu *cpu)
{
	return alu_lazy_all(&cpu->lf, cpu->s.rflags) & ARITH_FLAGS;
}

/* Instructions after which nothing on the same page is likely to run in
 * the same way (a transfer, or a change of mode or paging): the block ends
 * there.  Only a matter of what is worth translating: whatever a general
 * body does, the code after it checks next_rip and the events. */
static bool jit_ends_block(const struct x86_insn *in)
{
	static const x86_exec_fn enders[] = {
	    ex_jcc,	 ex_jmp,     ex_call,	   ex_ret,	ex_jmp_ev,     ex_call_ev,
	    ex_ret_far,	 ex_jmp_far, ex_jmp_far_m, ex_call_far, ex_call_far_m, ex_iret,
	    ex_int,	 ex_int3,    ex_into,	   ex_int1,	ex_syscall,    ex_sysret,
	    ex_sysenter, ex_sysexit, ex_hlt,	   ex_loop,	ex_jcxz,       ex_mov_cr_ld,
	    ex_wrmsr,	 ex_ud,
	};
	for (size_t i = 0; i < sizeof(enders) / sizeof(enders[0]); i++)
		if (in->op->fn == enders[i])
			return true;
	return false;
}

/* A branch with a specialised form: its result says where it went. */
static bool jit_branch_form(const struct x86_insn *in)
{
	x86_exec_fn f = in->op->fn;
	return in->fn != cpu_general && (f == ex_jcc || f == ex_jmp || f == ex_call || f == ex_ret);
}

#define CPU_OFF(field) ((uint32_t)offsetof(struct x86_cpu, field))

/* Where the jumps of instruction i's main path to its exits go. */
struct jit_fix {
	uint32_t fault[3], dyn[3], slow;
	unsigned nfault, ndyn;
	bool has_slow;
	uint32_t next; /* the position after its main path */
};

/* After a general body (EAX = X86_BRANCH or X86_FAULT): go on only if it
 * fell through with nothing armed. */
static void jit_general_check(struct jit_asm *a, struct jit_fix *f, uint64_t next_rip,
			      bool out_of_line, uint32_t fault, uint32_t dyn)
{
	a_cmp_eax(a, X86_BRANCH);
	if (out_of_line)
		a_jcc_to(a, CC_NE, fault);
	else
		f->fault[f->nfault++] = a_jcc_fwd(a, CC_NE);
	uint32_t off[2] = {CPU_OFF(events), CPU_OFF(jit_req)};
	for (int k = 0; k < 3; k++) {
		if (k < 2) {
			a_cmp_byte0(a, off[k]);
		} else {
			a_load_rax(a, CPU_OFF(next_rip));
			a_cmp_rax(a, next_rip);
		}
		if (out_of_line)
			a_jcc_to(a, CC_NE, dyn);
		else
			f->dyn[f->ndyn++] = a_jcc_fwd(a, CC_NE);
	}
}

static struct jit_block *jit_lookup(struct jit *j, uint64_t rip, uint64_t phys, bool step,
				    bool user)
{
	for (struct jit_block *b = j->hash[jit_hash(phys)]; b; b = b->hnext)
		if (b->phys == phys && b->rip == rip && b->step == step && b->user == user)
			return b;
	return NULL;
}

/*
 * The way on from an exit whose RIP is in cpu->t_rip: the next block's code
 * when it is already translated, nothing is pending and the budget covers
 * it, else NULL (the dispatcher's loop takes it: it translates, runs the
 * interpreter).  Called from translated code, so it never translates: that
 * may empty the arena under the caller.
 */
static const uint8_t *jit_next(struct x86_cpu *cpu, uint64_t left)
{
	uint64_t rip = cpu->t_rip;
	if (cpu->events || atomic_load_explicit(&cpu->kick, memory_order_relaxed) ||
	    atomic_load_explicit(&cpu->jit_req, memory_order_relaxed))
		return NULL;
	struct jit *j = cpu->jit;
	const struct x86_tlb_entry *e = &cpu->tlb[mmu_tlb_index(rip)];
	if (e->lpage != ((rip & ~0xFFFull) | 1) || !e->host ||
	    !mmu_allowed(cpu, e, ACC_EXEC, cpu->cpl))
		return NULL;
	uint64_t phys = e->ppage | (rip & 0xFFF);
	bool user = cpu->cpl == 3;
	struct jit_jc *c = &j->jc[jit_jc_index(rip)];
	if (!c->code || c->rip != rip || c->phys != phys || c->user != user) {
		struct jit_block *b = jit_lookup(j, rip, phys, false, user);
		if (!b)
			return NULL;
		*c = (struct jit_jc){rip, phys, j->x + b->code, b->ninsn, user};
	}
	return c->ninsn <= left ? c->code : NULL;
}

/* The end of an exit stub: jit_next's block, or back to the dispatcher
 * with why. */
static void jit_emit_next(struct jit_asm *a, struct jit *j, int why)
{
	static const uint8_t args[] = {0x48, 0x89, 0xDF,  /* mov rdi, rbx */
				       0x4C, 0x89, 0xE6}; /* mov rsi, r12 */
	for (size_t i = 0; i < sizeof(args); i++)
		a_u8(a, args[i]);
	a_call(a, (const void *)jit_next);
	a_u8(a, 0x48); /* test rax, rax */
	a_u8(a, 0x85);
	a_u8(a, 0xC0);
	uint32_t none = a_jcc_fwd(a, CC_E);
	a_u8(a, 0xFF); /* jmp rax */
	a_u8(a, 0xE0);
	a_patch(a->w, none, a->pos);
	a_mov_eax(a, (uint32_t)why);
	a_jmp_to(a, j->epilogue);
}

/* CMP [RBX+off], imm8 of size 1 or 8. */
static void jit_cmp_mem0(struct jit_asm *a, bool qword, uint32_t off)
{
	if (qword)
		a_u8(a, 0x48);
	a_u8(a, qword ? 0x83 : 0x80);
	a_rbx_disp(a, 7, off);
	a_u8(a, 0);
}

/* The guard of a slot to another page (see struct jit_slot): its JMP to the
 * block becomes s->jmp; its failures jump to the rel32s in fail[5]. */
static void jit_slot_guard(struct jit_asm *a, struct jit_slot *s, bool user, uint32_t fail[5])
{
	uint32_t e = CPU_OFF(tlb) + mmu_tlb_index(s->target) * (uint32_t)sizeof(struct x86_tlb_entry);
	a_load_rax(a, e + (uint32_t)offsetof(struct x86_tlb_entry, lpage));
	a_cmp_rax(a, (s->target & ~0xFFFull) | 1);
	fail[0] = a_jcc_fwd(a, CC_NE);
	a_load_rax(a, e + (uint32_t)offsetof(struct x86_tlb_entry, ppage));
	a_mov_imm64(a, 1, ~0ull); /* mov rcx, the block's page (jit_link) */
	s->ppage = a->pos - 8;
	a_u8(a, 0x48); /* cmp rax, rcx */
	a_u8(a, 0x39);
	a_u8(a, 0xC8);
	fail[1] = a_jcc_fwd(a, CC_NE);
	jit_cmp_mem0(a, true, e + (uint32_t)offsetof(struct x86_tlb_entry, host));
	fail[2] = a_jcc_fwd(a, CC_E);
	jit_cmp_mem0(a, false, e + (uint32_t)offsetof(struct x86_tlb_entry, nx));
	fail[3] = a_jcc_fwd(a, CC_NE);
	fail[4] = fail[3];
	if (user) {
		jit_cmp_mem0(a, false, e + (uint32_t)offsetof(struct x86_tlb_entry, user));
		fail[4] = a_jcc_fwd(a, CC_E);
	}
	s->jmp = a_jmp_fwd(a);
}

/* The exit stub of a slot: where it went (next_rip after a called branch,
 * else the slot's own target); unlinked, which slot, back to the loop
 * (which links it), else (a slot to another page linked elsewhere, whose
 * guard failed) on through jit_next. */
static void jit_slot_stub(struct jit_asm *a, struct jit *j, struct jit_slot *s, bool called)
{
	a_patch(a->w, s->jmp, a->pos);
	bool other_page = (s->target ^ s->from->rip) >> 12;
	uint32_t fail[5];
	if (other_page)
		jit_slot_guard(a, s, s->from->user, fail);
	s->stub = a->pos;
	if (other_page) {
		a_patch(a->w, s->jmp, s->stub);
		for (int k = 0; k < 5; k++)
			a_patch(a->w, fail[k], s->stub);
	}
	if (called) {
		a_load_rax(a, CPU_OFF(next_rip));
		a_store_rax(a, CPU_OFF(t_rip));
	} else {
		a_store_imm(a, CPU_OFF(t_rip), s->target);
	}
	a_mov_imm64(a, 0, (uint64_t)(uintptr_t)s);
	uint32_t linked = 0;
	if (other_page) {
		a_u8(a, 0x48); /* cmp qword [rax + to], 0 */
		a_u8(a, 0x83);
		a_u8(a, 0x78);
		a_u8(a, (uint8_t)offsetof(struct jit_slot, to));
		a_u8(a, 0);
		linked = a_jcc_fwd(a, CC_NE);
	}
	a_store_rax(a, CPU_OFF(jit_slot));
	a_mov_eax(a, JX_CHAIN);
	a_jmp_to(a, j->epilogue);
	if (other_page) {
		a_patch(a->w, linked, a->pos);
		jit_emit_next(a, j, JX_DYN);
	}
}

/*
 * Emit block b of n instructions ins[] starting at RIP rip.  Each runs as
 * the interpreter runs it: next_rip set, the body called, its result
 * tested; an exit leaves RIP in cpu->t_rip and gives the budget of the
 * instructions not run back to R12.
 */
static void jit_emit_block(struct jit *j, struct jit_block *b, struct x86_insn *ins, unsigned n)
{
	struct jit_asm a = {j->w, j->x, j->used};
	struct jit_fix fix[JIT_BLOCK_INSNS];
	uint64_t rip[JIT_BLOCK_INSNS + 1];
	uint32_t start = a.pos;
	b->code = a.pos;
	rip[0] = b->rip;
	for (unsigned i = 0; i < n; i++)
		rip[i + 1] = rip[i] + ins[i].len;

	/* Entry: a kick, a request or too little budget returns first. */
	a_cmp_byte0(&a, CPU_OFF(kick));
	uint32_t req1 = a_jcc_fwd(&a, CC_NE);
	a_cmp_byte0(&a, CPU_OFF(jit_req));
	uint32_t req2 = a_jcc_fwd(&a, CC_NE);
	a_r12(&a, true, n);
	uint32_t budget = a_jcc_fwd(&a, CC_B);

	/* Native forms.  Forward: which guest flags the host's RFLAGS holds
	 * before each instruction (valid[i]); a form that reads flags runs
	 * natively only where they are there, else its body runs. */
	struct jit_native nv[JIT_BLOCK_INSNS];
	unsigned valid[JIT_BLOCK_INSNS + 1], hf = 0;
	for (unsigned i = 0; i < n; i++) {
		jit_native_pick(&ins[i], &nv[i]);
		unsigned need = jit_native_reads(&ins[i], &nv[i]);
		if (need & ~hf)
			nv[i].kind = JN_NONE;
		valid[i] = hf;
		hf = jit_native_leaves(&nv[i], hf);
	}
	valid[n] = hf;
	/* Backward: which flag writers must write the record (or RFLAGS): those
	 * whose flags something may read there (a body, an exit, the block's
	 * end) before a form that writes all six without faulting replaces
	 * them.  Native readers read the host's flags, not the record.  IMUL
	 * and rotates run natively only where their flags are dead. */
	bool record[JIT_BLOCK_INSNS], live = true;
	for (unsigned i = n; i-- > 0;) {
		record[i] = live;
		if (jit_native_dead_only(&nv[i]) && live)
			nv[i].kind = JN_NONE;
		if (jit_native_kills(&nv[i]))
			live = false;
		else if (!jit_native_keeps(&nv[i]))
			live = true; /* a body may run (it reads the flags, or
				      * faults), or INC/DEC keeps CF from below */
	}
	/* A Jcc whose flags the host's RFLAGS holds branches on them (the same
	 * condition codes); its target is checked here. */
	struct x86_insn *last = &ins[n - 1];
	uint64_t jcc_target = rip[n] + last->imm;
	int cc = last->opcode & 0xF;
	struct jit_native jcc_nv = {.kind = JN_SETCC, .op = (uint8_t)cc};
	bool fused = n >= 2 && !(jit_native_reads(last, &jcc_nv) & ~valid[n - 1]) &&
		     last->op->fn == ex_jcc && last->fn != cpu_general && last->bits == 64 &&
		     (uint64_t)((int64_t)(jcc_target << 16) >> 16) == jcc_target;

	bool branch = jit_branch_form(last);
	uint32_t taken_rel = 0, dyn_last = 0;
	bool has_taken = false, has_fall = true, dyn_tail = false, taken_called = true;
	for (unsigned i = 0; i < n; i++) {
		struct x86_insn *in = &ins[i];
		struct jit_fix *f = &fix[i];
		memset(f, 0, sizeof(*f));
		uint32_t done = 0;
		if (jit_native_is_mem(&nv[i])) {
			/* The TLB fast path inline, else the body as below. */
			uint32_t miss[3];
			jit_native_mem(&a, in, &nv[i], rip[i + 1], b->user, miss);
			done = a_jmp_fwd(&a);
			for (int k = 0; k < 3; k++)
				a_patch(a.w, miss[k], a.pos);
		} else if (nv[i].kind != JN_NONE) {
			jit_native_emit(&a, in, &nv[i], rip[i + 1], record[i]);
			f->next = a.pos;
			continue;
		}
		if (i == n - 1 && fused) {
			has_taken = true;
			taken_called = false;
			b->slot[1].target = jcc_target;
			taken_rel = a_jcc_fwd(&a, cc);
			b->slot[0].jmp = a_jmp_fwd(&a);
			f->next = a.pos;
			continue;
		}
		x86_exec_fn fn = in->checks ? cpu_checked : in->fn;
		bool general = fn == cpu_general || fn == cpu_checked;
		a_store_imm(&a, CPU_OFF(next_rip), rip[i + 1]);
		a_args(&a, in);
		a_call(&a, (const void *)fn);
		if (general) {
			jit_general_check(&a, f, rip[i + 1], false, 0, 0);
		} else if (i == n - 1 && branch) {
			/* EAX: X86_OK (not taken), X86_BRANCH, X86_SLOW, X86_FAULT. */
			uint32_t not_ok = 0;
			if (in->op->fn == ex_jcc) {
				a_test_eax(&a);
				not_ok = a_jcc_fwd(&a, CC_NE);
				b->slot[0].jmp = a_jmp_fwd(&a);
				a_patch(a.w, not_ok, a.pos);
			} else {
				has_fall = false;
			}
			a_cmp_eax(&a, X86_BRANCH);
			f->slow = a_jcc_fwd(&a, CC_NE);
			f->has_slow = true;
			if (in->op->fn == ex_ret) {
				dyn_tail = true;
				dyn_last = a_jmp_fwd(&a);
			} else {
				has_taken = true;
				b->slot[1].target = rip[i + 1] + in->imm; /* what the forms add */
				if (in->op->fn == ex_jmp)
					b->slot[1].target &= x86_mask(in->opsize);
				taken_rel = a_jmp_fwd(&a);
			}
		} else {
			a_test_eax(&a);
			f->slow = a_jcc_fwd(&a, CC_NE);
			f->has_slow = true;
		}
		f->next = a.pos;
		if (nv[i].kind == JN_ALUM) /* after the body too: the flags in the host's */
			jit_native_flags_in(&a, (const void *)jit_guest_flags);
		if (done)
			a_patch(a.w, done, a.pos);
	}
	/* Fell off the end: the fall-through slot (a Jcc made its own above). */
	if (has_fall && !(branch && ins[n - 1].op->fn == ex_jcc))
		b->slot[0].jmp = a_jmp_fwd(&a);
	b->slot[0].target = rip[n];
	b->slot[1].jmp = taken_rel;

	/* Out of line: the slots' stubs, the entry's exits, each instruction's. */
	for (int k = 0; k < 2; k++)
		b->slot[k].from = b;
	if (has_fall)
		jit_slot_stub(&a, j, &b->slot[0], false);
	if (has_taken)
		jit_slot_stub(&a, j, &b->slot[1], taken_called);
	a_patch(a.w, budget, a.pos);
	a_r12(&a, false, n);
	a_patch(a.w, req1, a.pos);
	a_patch(a.w, req2, a.pos);
	a_store_imm(&a, CPU_OFF(t_rip), rip[0]);
	a_mov_eax(&a, JX_REQ);
	a_jmp_to(&a, j->epilogue);
	for (unsigned i = 0; i < n; i++) {
		struct jit_fix *f = &fix[i];
		unsigned back = n - 1 - i; /* budget of the instructions not run */
		if (!f->nfault && !f->ndyn && !f->has_slow && !(i == n - 1 && dyn_tail))
			continue; /* a native form: no exits */
		uint32_t fault = a.pos;
		a_store_imm(&a, CPU_OFF(t_rip), rip[i]);
		if (back)
			a_r12(&a, false, back);
		a_mov_eax(&a, JX_FAULT);
		a_jmp_to(&a, j->epilogue);
		uint32_t dyn = a.pos;
		a_load_rax(&a, CPU_OFF(next_rip));
		a_store_rax(&a, CPU_OFF(t_rip));
		if (back)
			a_r12(&a, false, back);
		jit_emit_next(&a, j, JX_DYN);
		for (unsigned k = 0; k < f->nfault; k++)
			a_patch(a.w, f->fault[k], fault);
		for (unsigned k = 0; k < f->ndyn; k++)
			a_patch(a.w, f->dyn[k], dyn);
		if (i == n - 1 && dyn_tail)
			a_patch(a.w, dyn_last, dyn);
		if (!f->has_slow)
			continue;
		/* A form that handed back (X86_SLOW): the general body, as the
		 * interpreter runs it; X86_FAULT: the exit. */
		a_patch(a.w, f->slow, a.pos);
		a_cmp_eax(&a, X86_SLOW);
		a_jcc_to(&a, CC_NE, fault);
		a_args(&a, &ins[i]);
		a_call(&a, (const void *)cpu_general);
		if (i == n - 1 && branch) {
			a_cmp_eax(&a, X86_BRANCH);
			a_jcc_to(&a, CC_NE, fault);
			a_jmp_to(&a, dyn);
		} else {
			jit_general_check(&a, f, rip[i + 1], true, fault, dyn);
			a_jmp_to(&a, f->next);
		}
	}
	if (a.pos - start > JIT_BLOCK_BYTES)
		abort(); /* the bound that jit_translate reserves is wrong */
	j->used = (a.pos + 15) & ~15u;
}

/* Translate the block at rip (physical phys) whose first instruction is
 * first; NULL if the cache cannot take it. */
static struct jit_block *jit_translate(struct x86_cpu *cpu, uint64_t rip, uint64_t phys,
				       struct x86_insn *first, bool step, bool user)
{
	struct jit *j = cpu->jit;
	if (j->size - j->used < JIT_BLOCK_BYTES || j->nblocks == j->max_blocks ||
	    j->max_insns - j->ninsns < JIT_BLOCK_INSNS) {
		jit_reset(j);
		cpu->stats.jit_flushes++;
	}
	if (j->used + JIT_BLOCK_BYTES > j->populated) {
		size_t len = j->size - j->populated < JIT_POPULATE ? j->size - j->populated
								  : JIT_POPULATE;
		jit_arena_populate(j->w, j->x, j->populated, len);
		j->populated += (uint32_t)len;
	}
	struct x86_insn *ins = &j->insns[j->ninsns];
	unsigned n = 0;
	uint64_t r = rip;
	struct x86_insn *in = first, tmp;
	for (;;) {
		ins[n++] = *in;
		r += in->len;
		if (step || jit_ends_block(in) || n == JIT_BLOCK_INSNS || (r ^ rip) >> 12)
			break;
		uint64_t p;
		in = cpu_fetch_at(cpu, r, true, &tmp, &p);
		if (!in || in == &tmp) /* a fault, or not cached: the interpreter's */
			break;
	}
	struct jit_block *b = &j->blocks[j->nblocks++];
	memset(b, 0, sizeof(*b));
	b->rip = rip;
	b->phys = phys;
	b->ninsn = n;
	b->step = step;
	b->user = user;
	j->ninsns += n;
	jit_emit_block(j, b, ins, n);
	unsigned h = jit_hash(phys), ph = jit_phash(phys >> 12);
	b->hnext = j->hash[h];
	j->hash[h] = b;
	b->pnext = j->phash[ph];
	j->phash[ph] = b;
	cpu->stats.jit_blocks++;
	return b;
}

/* The block at rip, translated if needed; NULL when the interpreter must
 * take the instruction there (a fault, not RAM, crossing a page). */
static struct jit_block *jit_find(struct x86_cpu *cpu, uint64_t rip, bool step)
{
	struct jit *j = cpu->jit;
	bool user = cpu->cpl == 3;
	/* A TLB entry that allows the fetch maps RIP (and proves it canonical)
	 * as a walk would: no fetch, no icache on the way to a known block. */
	const struct x86_tlb_entry *e = &cpu->tlb[mmu_tlb_index(rip)];
	if (e->lpage == ((rip & ~0xFFFull) | 1) && e->host &&
	    mmu_allowed(cpu, e, ACC_EXEC, cpu->cpl)) {
		struct jit_block *b = jit_lookup(j, rip, e->ppage | (rip & 0xFFF), step, user);
		if (b)
			return b;
	}
	struct x86_insn tmp;
	uint64_t phys;
	struct x86_insn *in = cpu_fetch_at(cpu, rip, true, &tmp, &phys);
	if (!in || in == &tmp)
		return NULL;
	struct jit_block *b = jit_lookup(j, rip, phys, step, user);
	return b ? b : jit_translate(cpu, rip, phys, in, step, user);
}

/* ---- the dispatcher ---- */

/*
 * The run loop's check left events armed for nothing but RFLAGS.TF: one
 * instruction, then the retirement path's single-step trap, as cpu_step
 * (the proofs that single-step, difftest, then run through the translator).
 */
static bool jit_single_step(struct x86_cpu *cpu)
{
	const struct x86_state *s = &cpu->s;
	return (s->rflags & X86_FLAGS_TF) && !s->nmi_pending && !s->sti_shadow &&
	       !s->movss_shadow && !s->halted && !cpu->shutdown;
}

uint64_t jit_burst(struct x86_cpu *cpu, uint64_t budget)
{
	struct jit *j = cpu->jit;
	bool step = cpu->events;
	if (!budget || cpu->mode != X86_MODE_LONG64 || (step && !jit_single_step(cpu)))
		return 0;
	if (step)
		cpu->insn_flags = cpu->s.rflags; /* synced: what cpu_retire compares */
	if (atomic_load_explicit(&cpu->jit_req, memory_order_relaxed))
		jit_service(cpu);
	uint64_t rip = cpu->s.rip, left = budget;
	bool faulted = false;
	struct jit_slot *from = NULL;
	cpu->in_burst = true; /* s->rip is stale until the loop ends */
	while (left) {
		uint64_t gen = j->generation;
		struct jit_block *b = jit_find(cpu, rip, step);
		if (!b || b->ninsn > left)
			break;
		/* Link the exit that led here.  On one page: the page's mapping
		 * was RIP's when the chain began, and whatever changes it (a
		 * general body) leaves with events armed; on another, its guard
		 * checks the mapping. */
		if (from && gen == j->generation && !from->from->dead && from->target == rip &&
		    !from->to && !b->step)
			jit_link(j, from, b);
		int why = j->enter(cpu, j->x + b->code, left);
		left = cpu->t_left;
		rip = cpu->t_rip;
		from = why == JX_CHAIN ? cpu->jit_slot : NULL;
		if (why == JX_FAULT) {
			faulted = true;
			break;
		}
		if (cpu->events || atomic_load_explicit(&cpu->kick, memory_order_relaxed))
			break;
		if (atomic_load_explicit(&cpu->jit_req, memory_order_relaxed)) {
			jit_service(cpu);
			from = NULL;
		}
	}
	cpu->in_burst = false;
	if (left == budget)
		return 0; /* nothing ran: cpu_step takes the instruction at RIP */
	return cpu_burst_end(cpu, rip, budget - left, faulted);
}

/* ---- mode ---- */

int x86_emu_mode_parse(const char *s)
{
	if (!strcmp(s, "interp"))
		return X86_EMU_INTERP;
	if (!strcmp(s, "jit"))
		return X86_EMU_JIT;
	return -1;
}

void jit_free(struct x86_cpu *cpu)
{
	if (cpu->jit)
		jit_destroy(cpu->jit);
	cpu->jit = NULL;
}

int x86_cpu_set_mode(struct x86_cpu *cpu, enum x86_emu_mode mode, size_t jit_cache_bytes)
{
	size_t size = jit_cache_bytes ? jit_cache_bytes : JIT_CACHE_DEFAULT;
	if (size < JIT_CACHE_MIN)
		size = JIT_CACHE_MIN;
	size = (size + 4095) & ~(size_t)4095;
	if (size > UINT32_MAX / 2)
		return -EINVAL;
	jit_free(cpu);
	if (mode != X86_EMU_JIT)
		return 0;
	struct jit *j;
	int rc = jit_create(size, &j);
	if (!rc)
		cpu->jit = j;
	return rc;
}

void jit_default_mode(struct x86_cpu *cpu)
{
	const char *m = getenv("EMBER_EMU_MODE");
	if (m && x86_emu_mode_parse(m) == X86_EMU_JIT)
		x86_cpu_set_mode(cpu, X86_EMU_JIT, 0);
}
