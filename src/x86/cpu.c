/*
 * x86/cpu.c - the CPU object and the run loop: fetch through the decoded-
 * instruction cache, dispatch to the row's body, retire or deliver the fault,
 * interrupt windows (IF, STI and MOV SS shadows), HLT, budget and kick.
 * Not the bodies (one file per family) nor delivery itself (interrupt.c).
 * Follows Intel SDM vol. 3A 6.8 (enabling interrupts), 6.15 (#DF), 2.2 (modes).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "x86/cpu.h"
#include "x86/jit.h"

static const char *const mode_names[X86_NR_MODES] = {
    [X86_MODE_REAL] = "real",	  [X86_MODE_V86] = "v86",	[X86_MODE_PROT16] = "prot16",
    [X86_MODE_PROT32] = "prot32", [X86_MODE_COMPAT] = "compat", [X86_MODE_LONG64] = "long64",
};

const char *x86_mode_name(enum x86_mode m)
{
	return (unsigned)m < X86_NR_MODES ? mode_names[m] : "?";
}

enum x86_mode x86_state_mode(const struct x86_state *s)
{
	if (!(s->cr0 & X86_CR0_PE))
		return X86_MODE_REAL;
	if (s->efer & X86_EFER_LMA)
		return s->seg[X86_CS].l ? X86_MODE_LONG64 : X86_MODE_COMPAT;
	if (s->rflags & X86_FLAGS_VM)
		return X86_MODE_V86;
	return s->seg[X86_CS].db ? X86_MODE_PROT32 : X86_MODE_PROT16;
}

void cpu_update_mode(struct x86_cpu *cpu)
{
	enum x86_mode m = x86_state_mode(&cpu->s);
	if (m != cpu->mode && cpu->ops->trace_mode)
		cpu->ops->trace_mode(cpu->opaque, cpu->mode, m, cpu->s.rip);
	cpu->mode = m;
	if (m == X86_MODE_LONG64)
		cpu->code_bits = 64;
	else if (m == X86_MODE_V86)
		cpu->code_bits = 16;
	else
		cpu->code_bits = cpu->s.seg[X86_CS].db ? 32 : 16;
	cpu->ip_mask = x86_mask(cpu->code_bits / 8);
	cpu->fetch_lpage = 0; /* CPL or mode may have changed the fetch rights */
	cpu->fetch_fast_lpage = 0;
	cpu->events = true; /* which cpu_burst's linked path relies on */
	if (m == X86_MODE_REAL)
		cpu->cpl = 0;
	else if (m == X86_MODE_V86)
		cpu->cpl = 3;
}

void cpu_set_flags(struct x86_cpu *cpu, uint64_t val, uint64_t mask)
{
	cpu->s.rflags = (cpu->s.rflags & ~mask) | (val & mask) | X86_FLAGS_FIXED;
}

/* Join machine m (a new one when NULL).  false when it is full. */
static bool cpu_join(struct x86_cpu *cpu, struct x86_machine *m)
{
	if (!m) {
		m = calloc(1, sizeof(*m));
		if (!m)
			return false;
		pthread_mutex_init(&m->lock, NULL);
		pthread_mutex_init(&m->split_lock, NULL);
	}
	pthread_mutex_lock(&m->lock);
	bool ok = m->ncpus < X86_MACHINE_CPUS;
	if (ok) {
		/* Published before the CPU runs: the others read the list
		 * without the lock (cpu_each). */
		__atomic_store_n(&m->cpus[m->ncpus], cpu, __ATOMIC_RELEASE);
		__atomic_store_n(&m->ncpus, m->ncpus + 1, __ATOMIC_RELEASE);
		m->live++;
	}
	pthread_mutex_unlock(&m->lock);
	if (ok)
		cpu->machine = m;
	else if (!m->live)
		free(m);
	return ok;
}

static struct x86_cpu *cpu_new(struct x86_machine *m, const struct x86_ops *ops, void *opaque)
{
	struct x86_cpu *cpu = calloc(1, sizeof(*cpu));
	if (!cpu)
		return NULL;
	/* Page-aligned zero pages the host backs only where decodes land. */
	cpu->icache =
	    mmap(NULL, ICACHE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (cpu->icache == MAP_FAILED)
		cpu->icache = NULL;
	cpu->lock_shadow = aligned_alloc(4096, 4096);
	if (!cpu->icache || !cpu->lock_shadow || !cpu_join(cpu, m)) {
		x86_cpu_free(cpu);
		return NULL;
	}
	cpu->ops = ops;
	cpu->opaque = opaque;
	x86_state_reset(&cpu->s);
	x86_cpu_state_changed(cpu);
	jit_default_mode(cpu);
	return cpu;
}

struct x86_cpu *x86_cpu_new(const struct x86_ops *ops, void *opaque)
{
	return cpu_new(NULL, ops, opaque);
}

struct x86_cpu *x86_cpu_new_sibling(struct x86_cpu *sibling, const struct x86_ops *ops,
				    void *opaque)
{
	return cpu_new(sibling->machine, ops, opaque);
}

void x86_cpu_free(struct x86_cpu *cpu)
{
	if (!cpu)
		return;
	struct x86_machine *m = cpu->machine;
	if (m) {
		pthread_mutex_lock(&m->lock);
		for (int i = 0; i < m->ncpus; i++)
			if (m->cpus[i] == cpu)
				__atomic_store_n(&m->cpus[i], NULL, __ATOMIC_RELEASE);
		bool last = --m->live == 0;
		pthread_mutex_unlock(&m->lock);
		if (last) {
			for (unsigned i = 0; i < X86_CODEMAP_CHUNKS; i++)
				free(m->chunks[i]);
			pthread_mutex_destroy(&m->split_lock);
			pthread_mutex_destroy(&m->lock);
			free(m);
		}
	}
	jit_free(cpu);
	if (cpu->icache)
		munmap(cpu->icache, ICACHE_BYTES);
	free(cpu->lock_shadow);
	free(cpu);
}

struct x86_state *x86_cpu_state(struct x86_cpu *cpu)
{
	return &cpu->s;
}

/* Empty this CPU's own icache (from its thread, not running): the host
 * hands back zero pages, so a reset costs nothing for the pages no decode
 * touched, and frees the memory of those it did. */
static void cpu_icache_reset(struct x86_cpu *cpu)
{
	/* A few decodes since the last reset (difftest's cases): just those. */
	if (cpu->icache_nlog <= ICACHE_LOG) {
		for (unsigned i = 0; i < cpu->icache_nlog; i++)
			memset(&cpu->icache[cpu->icache_log[i]], 0, sizeof(*cpu->icache));
	} else if (madvise(cpu->icache, ICACHE_BYTES, MADV_DONTNEED)) {
		memset(cpu->icache, 0, ICACHE_BYTES);
	}
	cpu->icache_nlog = 0;
}

void x86_cpu_state_changed(struct x86_cpu *cpu)
{
	struct x86_state *s = &cpu->s;
	s->rflags |= X86_FLAGS_FIXED;
	cpu->lf.op = LF_NONE; /* the platform's RFLAGS is the truth */
	cpu->lf.idop = 0;
	enum x86_mode m = x86_state_mode(s);
	cpu->mode = m;
	if (m == X86_MODE_REAL)
		cpu->cpl = 0;
	else if (m == X86_MODE_V86)
		cpu->cpl = 3;
	else
		cpu->cpl = s->seg[X86_SS].dpl; /* where VMX and KVM keep the CPL */
	cpu_update_mode(cpu);
	mmu_flush_tlb(cpu, true);
	cpu_icache_reset(cpu);
	if (cpu->jit)
		jit_flush(cpu);
	cpu->shutdown = false;
	cpu->events = true;
}

/* Hash of the page number XOR the offset: for offset off in a page, the
 * index is (off ^ cpu_icache_index(page)) masked, which the fast path uses. */
static unsigned cpu_icache_index(uint64_t gpa)
{
	return (unsigned)((gpa ^ (gpa >> 12) * 0x9E3779B1u) & (ICACHE_SIZE - 1));
}

/* Key of the decode of the instruction at gpa (0 is an empty entry); for a
 * page-aligned gpa, the key at offset off is this plus off << 2. */
static uint64_t cpu_icache_key(uint64_t gpa, int code_bits)
{
	return ((gpa << 2) | (unsigned)(code_bits >> 5)) + 1;
}

/* The CPUs of cpu's machine run fn(cpu_i, arg) (the others from this
 * thread: only relaxed atomic stores into their caches, see below). */
static void cpu_each(struct x86_cpu *cpu, void (*fn)(struct x86_cpu *c, bool self, void *arg),
		     void *arg)
{
	struct x86_machine *m = cpu->machine;
	int n = __atomic_load_n(&m->ncpus, __ATOMIC_ACQUIRE);
	for (int i = 0; i < n; i++) {
		struct x86_cpu *c = __atomic_load_n(&m->cpus[i], __ATOMIC_ACQUIRE);
		if (c)
			fn(c, c == cpu, arg);
	}
}

struct cpu_range {
	uint64_t gpa;
	unsigned len;
};

/*
 * Drop c's decodes that may overlap [gpa, gpa+len).  For another CPU this
 * runs on the writer's thread while c may be executing: clearing a key is
 * one aligned 8-byte store, and c sees it at its next lookup or link check
 * (a decode in flight completes, as cross-modifying code does on hardware
 * until the executing CPU serialises).
 */
static void cpu_icache_drop(struct x86_cpu *c, bool self, void *arg)
{
	const struct cpu_range *r = arg;
	uint64_t start = r->gpa >= 14 ? r->gpa - 14 : 0;
	for (uint64_t a = start; a < r->gpa + r->len; a++) {
		struct x86_icache_entry *e = &c->icache[cpu_icache_index(a)];
		uint64_t k = __atomic_load_n(&e->key, __ATOMIC_RELAXED);
		if (k && (k - 1) >> 2 == a)
			__atomic_store_n(&e->key, 0, __ATOMIC_RELAXED);
	}
	if (c->jit)
		jit_written(c, self, r->gpa, r->len);
}

/* Physical bytes [gpa, gpa+len) changed: drop the decodes that may overlap
 * them on every CPU of the machine. */
void mmu_code_written(struct x86_cpu *cpu, uint64_t gpa, unsigned len)
{
	struct cpu_range r = {gpa, len};
	cpu_each(cpu, cpu_icache_drop, &r);
}

/* Page by page, only where the machine's map says code was decoded (what
 * the CPUs' own writes do, mmu_phys_write): a device may write megabytes of
 * data from its own thread, and no CPU's icache is reset under it. */
void x86_cpu_invalidate_phys(struct x86_cpu *cpu, uint64_t gpa, uint64_t len)
{
	while (len) {
		uint64_t n = 4096 - (gpa & 0xFFF);
		if (n > len)
			n = len;
		if (cpu_is_code(cpu, gpa))
			mmu_code_written(cpu, gpa, (unsigned)n);
		if (gpa + n < gpa)
			return;
		gpa += n;
		len -= n;
	}
}

static uint8_t *cpu_codemap_chunk(struct x86_machine *m, uint64_t pfn)
{
	uint64_t i = pfn / X86_CODEMAP_CHUNK_PAGES;
	return i < X86_CODEMAP_CHUNKS ? __atomic_load_n(&m->chunks[i], __ATOMIC_ACQUIRE) : NULL;
}

bool cpu_is_code(struct x86_cpu *cpu, uint64_t gpa)
{
	uint64_t pfn = gpa >> 12;
	uint8_t *c = cpu_codemap_chunk(cpu->machine, pfn);
	unsigned bit = pfn % X86_CODEMAP_CHUNK_PAGES;
	return c && (__atomic_load_n(&c[bit >> 3], __ATOMIC_ACQUIRE) & (1u << (bit & 7)));
}

void x86_cpu_flush_mappings(struct x86_cpu *cpu)
{
	memset(cpu->pcache, 0, sizeof(cpu->pcache));
	mmu_flush_tlb(cpu, true);
	cpu_icache_reset(cpu);
	if (cpu->jit)
		jit_flush(cpu);
	/* The map is the machine's: its other CPUs flush their own too. */
	struct x86_machine *m = cpu->machine;
	for (unsigned i = 0; i < X86_CODEMAP_CHUNKS; i++)
		if (m->chunks[i])
			memset(m->chunks[i], 0, X86_CODEMAP_CHUNK_PAGES / 8);
}

void x86_cpu_kick(struct x86_cpu *cpu)
{
	atomic_store(&cpu->kick, true);
}

void x86_cpu_set_trace(struct x86_cpu *cpu, unsigned mask)
{
	cpu->trace = mask;
	cpu->trace_insn = (mask & X86_TRACE_INSN) && cpu->ops->trace_insn;
}

const struct x86_stats *x86_cpu_stats(const struct x86_cpu *cpu)
{
	return &cpu->stats;
}

/*
 * Page ppage's cached write pointers must take the slow path now, which
 * drops decodes on every CPU.  Another CPU's entries are cleared from this
 * thread with relaxed stores; a refill racing with it re-checks the map
 * after its own store (mmu_tlb_fast), so one of the two always wins.
 */
static void cpu_revoke_writes(struct x86_cpu *c, bool self, void *arg)
{
	uint64_t ppage = *(const uint64_t *)arg;
	for (int i = 0; i < TLB_SIZE; i++) {
		struct x86_tlb_entry *e = &c->tlb[i];
		if (__atomic_load_n(&e->ppage, __ATOMIC_RELAXED) != ppage)
			continue;
		if (self) {
			e->whost_known = 0;
			mmu_tlb_fast(c, e);
		} else {
			__atomic_store_n(&e->fast[1][0], NULL, __ATOMIC_RELAXED);
			__atomic_store_n(&e->fast[1][1], NULL, __ATOMIC_RELAXED);
			__atomic_store_n(&e->whost_known, 0, __ATOMIC_RELAXED);
		}
	}
}

/* Record that the page at gpa holds decoded code; false if it cannot be
 * tracked (beyond the map, or out of memory): then the decode is not kept. */
static bool cpu_mark_code(struct x86_cpu *cpu, uint64_t gpa)
{
	struct x86_machine *m = cpu->machine;
	uint64_t pfn = gpa >> 12;
	if (pfn / X86_CODEMAP_CHUNK_PAGES >= X86_CODEMAP_CHUNKS)
		return false;
	if (cpu_is_code(cpu, gpa))
		return true;
	uint8_t *c = cpu_codemap_chunk(m, pfn);
	if (!c) {
		pthread_mutex_lock(&m->lock);
		c = m->chunks[pfn / X86_CODEMAP_CHUNK_PAGES];
		if (!c) {
			c = calloc(1, X86_CODEMAP_CHUNK_PAGES / 8);
			__atomic_store_n(&m->chunks[pfn / X86_CODEMAP_CHUNK_PAGES], c,
					 __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&m->lock);
		if (!c)
			return false;
	}
	unsigned bit = pfn % X86_CODEMAP_CHUNK_PAGES;
	__atomic_fetch_or(&c[bit >> 3], (uint8_t)(1u << (bit & 7)), __ATOMIC_SEQ_CST);
	uint64_t ppage = gpa & ~0xFFFull;
	cpu_each(cpu, cpu_revoke_writes, &ppage);
	return true;
}

/*
 * The decoded instruction at rip when rip is on the fast fetch page (64-bit
 * code on RAM, where the linear address is RIP): the entry if its key says
 * it holds that instruction, else NULL.
 */
static struct x86_icache_entry *cpu_fast_lookup(struct x86_cpu *cpu, uint64_t rip)
{
	if (((rip & ~0xFFFull) | 1) != cpu->fetch_fast_lpage)
		return NULL;
	unsigned off = rip & 0xFFF;
	struct x86_icache_entry *ce = &cpu->icache[(off ^ cpu->fetch_ixor) & (ICACHE_SIZE - 1)];
	return ce->key == cpu->fetch_key + ((uint64_t)off << 2) ? ce : NULL;
}

/* What ->next and ->taken point to before a link is made: a key no lookup
 * produces. */
static struct x86_icache_entry cpu_icache_none;

/*
 * Fetch and decode the instruction at CS:RIP.  Returns the decoded
 * instruction (in the cache or in *tmp) or NULL with a fault raised.
 */
static struct x86_insn *cpu_fetch_in(struct x86_cpu *cpu, uint64_t rip, bool page_only,
				     struct x86_insn *tmp, uint64_t *lin_out, uint64_t *phys_out)
{
	struct x86_state *s = &cpu->s;
	const struct x86_seg *cs = &s->seg[X86_CS];
	uint64_t lin;
	struct x86_icache_entry *hit = cpu_fast_lookup(cpu, rip);
	if (hit) { /* 64-bit code on the cached page: lin = RIP, no limit, RAM */
		*lin_out = rip;
		*phys_out = cpu->fetch_ppage | (rip & 0xFFF);
		return &hit->in;
	}
	uint64_t avail_lim = 15;
	if (cpu->mode == X86_MODE_LONG64) {
		lin = rip;
		/* A hit on the cached fetch page implies a canonical RIP. */
		if (((lin & ~0xFFFull) | 1) != cpu->fetch_lpage &&
		    (uint64_t)((int64_t)(lin << 16) >> 16) != lin) {
			x86_gp(cpu, 0);
			return NULL;
		}
	} else {
		if (rip > cs->limit) {
			x86_gp(cpu, 0);
			return NULL;
		}
		if (cs->limit - rip + 1 < avail_lim)
			avail_lim = cs->limit - rip + 1;
		lin = (cs->base + rip) & 0xFFFFFFFFull;
	}
	uint64_t phys;
	bool ram;
	if (((lin & ~0xFFFull) | 1) == cpu->fetch_lpage) {
		phys = cpu->fetch_ppage | (lin & 0xFFF);
		ram = cpu->fetch_ram;
	} else {
		struct x86_tlb_entry *e;
		if (mmu_translate(cpu, lin, ACC_EXEC, cpu->cpl, &e))
			return NULL;
		phys = e->ppage | (lin & 0xFFF);
		ram = e->host != NULL;
		cpu->fetch_lpage = (lin & ~0xFFFull) | 1;
		cpu->fetch_ppage = e->ppage;
		cpu->fetch_ram = ram;
		cpu->fetch_fast_lpage = ram && cpu->mode == X86_MODE_LONG64 ? cpu->fetch_lpage : 0;
		cpu->fetch_key = cpu_icache_key(e->ppage, cpu->code_bits);
		cpu->fetch_ixor = cpu_icache_index(e->ppage);
	}
	*lin_out = lin;
	*phys_out = phys;
	if (page_only && 4096 - (lin & 0xFFF) < avail_lim)
		avail_lim = 4096 - (lin & 0xFFF);
	struct x86_icache_entry *ce = NULL;
	if (ram) {
		ce = &cpu->icache[cpu_icache_index(phys)];
		if (ce->key == cpu_icache_key(phys, cpu->code_bits) && ce->in.len <= avail_lim)
			return &ce->in;
	}
	uint8_t buf[16];
	unsigned first = 4096 - (lin & 0xFFF);
	if (first > avail_lim)
		first = avail_lim;
	mmu_read_lin(cpu, lin, buf, first, ACC_EXEC, cpu->cpl);
	unsigned avail = first;
	int len = decode_insn(buf, avail, cpu->code_bits, tmp);
	if (len == X86_DECODE_SHORT && first < avail_lim) {
		/* The instruction continues on the next page. */
		if (mmu_read_lin(cpu, lin + first, buf + first, avail_lim - first, ACC_EXEC,
				 cpu->cpl)) {
			if (decode_known_ud(buf, first, cpu->code_bits))
				x86_ud(cpu);
			return NULL;
		}
		avail = avail_lim;
		len = decode_insn(buf, avail, cpu->code_bits, tmp);
		ce = NULL;
	}
	if (len == X86_DECODE_SHORT || len == X86_DECODE_TOO_LONG) {
		x86_gp(cpu, 0);
		return NULL;
	}
	if (len < 0) {
		/* #UD before any privilege check: MOV CR/DR with a register that
		 * does not exist raises #UD at CPL3 on the host CPU (difftest
		 * --oracle native; KVM's emulator raises #GP first). */
		x86_ud(cpu);
		return NULL;
	}
	/* The page is marked (and every CPU's write pointers to it revoked)
	 * before the decode is published. */
	if (ce && cpu_mark_code(cpu, phys)) {
		ce->in = *tmp;
		ce->next = ce->taken = &cpu_icache_none;
		ce->key = cpu_icache_key(phys, cpu->code_bits);
		if (cpu->icache_nlog < ICACHE_LOG)
			cpu->icache_log[cpu->icache_nlog++] = (uint32_t)(ce - cpu->icache);
		else
			cpu->icache_nlog = ICACHE_LOG + 1;
		return &ce->in;
	}
	return tmp;
}

static struct x86_insn *cpu_fetch(struct x86_cpu *cpu, struct x86_insn *tmp, uint64_t *lin_out,
				  uint64_t *phys_out)
{
	return cpu_fetch_in(cpu, cpu->s.rip, false, tmp, lin_out, phys_out);
}

struct x86_insn *cpu_fetch_at(struct x86_cpu *cpu, uint64_t rip, bool page_only,
			      struct x86_insn *tmp, uint64_t *phys)
{
	uint64_t lin;
	return cpu_fetch_in(cpu, rip, page_only, tmp, &lin, phys);
}

static bool cpu_contributory(int v)
{
	return v == 0 || (v >= 10 && v <= 13);
}

/* Deliver an exception, turning a fault during delivery into #DF or shutdown. */
static void cpu_exception(struct x86_cpu *cpu, int vec, bool has_err, uint32_t err)
{
	cpu->events = true;
	for (;;) {
		if (vec < 32)
			cpu->stats.exceptions[vec]++;
		if (intr_deliver(cpu, vec, EV_EXCEPTION, has_err, err) == X86_OK)
			return;
		int second = cpu->fault.vector;
		if (vec == 8) {
			cpu->shutdown = true;
			return;
		}
		if ((cpu_contributory(vec) && cpu_contributory(second)) ||
		    (vec == 14 && (second == 14 || cpu_contributory(second)))) {
			vec = 8;
			has_err = true;
			err = 0;
		} else {
			vec = second;
			has_err = cpu->fault.has_error;
			err = cpu->fault.error;
		}
	}
}

/*
 * After an instruction retired: end the shadows, take the single-step trap.
 * Shadows and TF are only ever set with cpu->events armed (by STI, MOV SS, a
 * change of IF or TF, and cpu_check_events), so without it there is nothing
 * to end or trap.  flags: RFLAGS before the instruction.
 */
static inline void cpu_retire(struct x86_cpu *cpu, uint64_t flags)
{
	struct x86_state *s = &cpu->s;
	if (!(cpu->events | ((s->rflags ^ flags) & (X86_FLAGS_IF | X86_FLAGS_TF))))
		return;
	bool movss = cpu->inhibit_next == 2;
	s->sti_shadow = cpu->inhibit_next == 1;
	s->movss_shadow = movss;
	if (cpu->inhibit_next || ((s->rflags ^ flags) & (X86_FLAGS_IF | X86_FLAGS_TF)))
		cpu->events = true; /* the interrupt window moved, or TF */
	cpu->inhibit_next = 0;
	if ((flags & X86_FLAGS_TF) && !s->halted && !movss) {
		/* Single-step trap after the instruction (SDM 17.3.1.4); MOV SS
		 * and POP SS hold it until after the next one (SDM 6.8.3, and
		 * the host CPU: difftest misc, run natively). */
		s->dr[6] |= 1u << 14;
		cpu_exception(cpu, 1, false, 0);
	}
}

static int cpu_general_with(struct x86_cpu *cpu, struct x86_insn *in, x86_exec_fn body)
{
	struct x86_state *s = &cpu->s;
	if (cpu->in_burst) /* the fast loop keeps RIP in a register: 64-bit, no wrap */
		s->rip = cpu->next_rip - in->len;
	cpu_sync_flags(cpu);
	uint64_t flags = s->rflags;
	cpu->insn_flags = flags;
	int rc = body(cpu, in);
	if (rc != X86_OK) {
		if (!cpu->keep_flags)
			s->rflags = flags;
		return rc;
	}
	/* The fast loop leaves the interrupt window and TF to the retirement
	 * path, which it takes only with cpu->events armed. */
	if ((s->rflags ^ flags) & (X86_FLAGS_IF | X86_FLAGS_TF))
		cpu->events = true;
	return X86_BRANCH;
}

int cpu_general(struct x86_cpu *cpu, struct x86_insn *in)
{
	return cpu_general_with(cpu, in, in->op->fn);
}

int cpu_checked(struct x86_cpu *cpu, struct x86_insn *in)
{
	const struct x86_opcode *op = in->op;
	if (in->lock && (!(op->flags & F_LOCK) || in->mod == 3))
		return x86_ud(cpu);
	if ((op->flags & F_PRIV) && cpu->cpl != 0)
		return x86_gp(cpu, 0);
	return cpu_general_with(cpu, in, in->atomic ? cpu_locked : op->fn);
}

/* The instruction faulted: undo its flags (unless a REP made progress), deliver. */
static void cpu_fault(struct x86_cpu *cpu, uint64_t flags)
{
	struct x86_state *s = &cpu->s;
	if (!cpu->keep_flags)
		s->rflags = flags;
	cpu_sync_flags(cpu); /* a specialised form that faulted left the record as it was */
	cpu->keep_flags = false;
	cpu->inhibit_next = 0;
	s->sti_shadow = s->movss_shadow = false;
	cpu_exception(cpu, cpu->fault.vector, cpu->fault.has_error, cpu->fault.error);
}

/* Execute one instruction (or deliver the fault it raised). */
static void cpu_step(struct x86_cpu *cpu)
{
	struct x86_state *s = &cpu->s;
	struct x86_insn tmp, *in;
	uint64_t lin = 0, phys = 0;
	uint64_t flags = s->rflags;
	enum x86_mode mode = cpu->mode;
	int rc;

	in = cpu_fetch(cpu, &tmp, &lin, &phys);
	if (!in) {
		cpu_exception(cpu, cpu->fault.vector, cpu->fault.has_error, cpu->fault.error);
		return;
	}
	if (cpu->trace_insn) {
		uint8_t bytes[16];
		mmu_phys_read(cpu, phys, bytes,
			      (4096 - (phys & 0xFFF)) < in->len ? 4096 - (phys & 0xFFF) : in->len);
		cpu->ops->trace_insn(cpu->opaque, cpu, lin, phys, bytes, in->len);
	}
	cpu->next_rip = (s->rip + in->len) & cpu->ip_mask;
	const struct x86_opcode *op = in->op;
	if (!in->checks)
		rc = in->fn(cpu, in);
	else if (in->lock && (!(op->flags & F_LOCK) || in->mod == 3))
		rc = x86_ud(cpu);
	else if ((op->flags & F_PRIV) && cpu->cpl != 0)
		rc = x86_gp(cpu, 0);
	else if (in->atomic)
		rc = cpu_locked(cpu, in);
	else
		rc = op->fn(cpu, in);
	if (rc == X86_SLOW)
		rc = cpu_general(cpu, in);
	if (rc == X86_OK || rc == X86_BRANCH) {
		s->rip = cpu->next_rip;
		cpu->stats.insns[mode]++;
		cpu_sync_flags(cpu);
		cpu_retire(cpu, flags);
		return;
	}
	cpu_fault(cpu, flags);
}

/* The longest chain of specialised forms one call runs: bounds the stack
 * where a compiler does not turn fast_thread's call into a jump. */
#define BURST_CHAIN 64

/*
 * The common case without cpu_step's generality: 64-bit code on the cached
 * fetch page, decoded instructions needing no LOCK/CPL checks, no tracing,
 * nothing pending.  Runs up to budget instructions: each call runs a chain
 * of specialised forms that go on to the instructions after them by
 * themselves (fast_thread, following the links this loop makes: ->next when
 * one instruction falls through to the next, ->taken when it branches within
 * its page), and comes back at a missing link, a branch off the page, an
 * instruction for its general body, a fault, or after BURST_CHAIN.
 * Only general bodies can arm cpu->events, so only they are followed by
 * that test.  Stops (leaving the instruction to cpu_step) at the first one
 * it cannot take, or once cpu->events or a kick is set.
 * Returns the number of instructions executed, faulting ones included.
 */
static uint64_t cpu_burst(struct x86_cpu *cpu, uint64_t budget)
{
	struct x86_state *s = &cpu->s;
	uint64_t rip = s->rip, left = budget, faulted = 0;
	if (cpu->events || !budget)
		return 0;
	struct x86_icache_entry *ce = cpu_fast_lookup(cpu, rip);
	if (!ce || ce->in.checks)
		return 0;
	cpu->in_burst = true; /* s->rip is stale until the loop ends */
	for (;;) {
		uint64_t chain = left < BURST_CHAIN ? left : BURST_CHAIN;
		cpu->next_rip = rip + ce->in.len; /* ip_mask is all ones in 64-bit mode */
		int rc = ce->in.tfn(cpu, &ce->in, rip, chain);
		left -= chain - cpu->t_left;
		rip = cpu->t_rip;
		struct x86_insn *last = cpu->t_in;
		if (rc == X86_SLOW) {
			cpu->next_rip = rip + last->len;
			left--;
			rc = cpu_general(cpu, last);
			if (rc != X86_BRANCH) {
				faulted = 1;
				break;
			}
			rip = cpu->next_rip;
			if (cpu->events)
				break; /* only general bodies arm it (I/O, IF, TF, mode, TLB...) */
		} else if (rc == X86_FAULT) {
			left--;
			faulted = 1;
			break;
		}
		if (!left || atomic_load_explicit(&cpu->kick, memory_order_relaxed))
			break; /* another thread's kick is noticed between chains */
		/* Another page, mode or CPL arms cpu->events: the fetch page is RIP's. */
		ce = cpu_fast_lookup(cpu, rip);
		if (!ce || ce->in.checks)
			break;
		/* Link what the chain stopped at, so fast_thread goes straight on
		 * next time: a fall-through, or a branch within the page. */
		struct x86_icache_entry *prev = icache_entry_of(last);
		if (rc == X86_OK)
			prev->next = ce;
		else if (rc == X86_BRANCH) /* the page check above: the same page */
			prev->taken = ce;
	}
	cpu->in_burst = false;
	return cpu_burst_end(cpu, rip, budget - left, faulted);
}

uint64_t cpu_burst_end(struct x86_cpu *cpu, uint64_t rip, uint64_t n, bool faulted)
{
	struct x86_state *s = &cpu->s;
	s->rip = rip;
	cpu_sync_flags(cpu);
	if (faulted)
		cpu_fault(cpu, s->rflags); /* cpu_general undid the flags */
	else if (cpu->events)
		cpu_retire(cpu, cpu->insn_flags);
	/* A mode change drops fetch_fast_lpage: every one was 64-bit. */
	cpu->stats.insns[X86_MODE_LONG64] += n - faulted;
	return n;
}

/* Deliver a pending external interrupt if the window is open. */
static bool cpu_interrupt(struct x86_cpu *cpu)
{
	struct x86_state *s = &cpu->s;
	if (!(s->rflags & X86_FLAGS_IF) || s->sti_shadow || s->movss_shadow)
		return false;
	if (!cpu->ops->intr_pending || !cpu->ops->intr_pending(cpu->opaque))
		return false;
	cpu->events = true; /* look again until the line drops */
	int vec = cpu->ops->intr_ack ? cpu->ops->intr_ack(cpu->opaque) : -1;
	if (vec < 0)
		return false;
	s->halted = false;
	cpu->stats.interrupts++;
	if (intr_deliver(cpu, vec, EV_EXTERNAL, false, 0) != X86_OK)
		cpu_exception(cpu, cpu->fault.vector, cpu->fault.has_error, cpu->fault.error);
	return true;
}

/*
 * The full check between two instructions: held exceptions and interrupts,
 * NMI, the INTR line while IF=1, shutdown and HLT.  Returns the exit to take
 * or -1 to execute.  It stays armed (cpu->events) while something is held
 * back by a shadow or NMI blocking, so the next instruction looks again, and
 * while TF is set, so that the retirement path takes the single-step trap.
 */
static int cpu_check_events(struct x86_cpu *cpu)
{
	struct x86_state *s = &cpu->s;
	cpu->events = false;
	if (s->exception.pending) {
		s->exception.pending = false;
		cpu_exception(cpu, s->exception.vector, s->exception.has_error, s->exception.error);
	}
	if (s->interrupt.pending) {
		s->interrupt.pending = false;
		s->halted = false;
		if (intr_deliver(cpu, s->interrupt.vector, EV_EXTERNAL, false, 0) != X86_OK)
			cpu_exception(cpu, cpu->fault.vector, cpu->fault.has_error,
				      cpu->fault.error);
	}
	if (s->nmi_pending && !cpu->nmi_blocked && !s->movss_shadow) {
		/* NMI: not maskable by IF; blocks further NMIs until IRET. */
		s->nmi_pending = false;
		cpu->nmi_blocked = true;
		s->halted = false;
		if (intr_deliver(cpu, 2, EV_EXTERNAL, false, 0) != X86_OK)
			cpu_exception(cpu, cpu->fault.vector, cpu->fault.has_error,
				      cpu->fault.error);
	} else if (s->rflags & X86_FLAGS_IF) {
		cpu_interrupt(cpu);
	}
	if (cpu->shutdown)
		return X86_EXIT_SHUTDOWN;
	if (s->halted)
		return X86_EXIT_HLT;
	if (s->nmi_pending || s->sti_shadow || s->movss_shadow || (s->rflags & X86_FLAGS_TF))
		cpu->events = true;
	return -1;
}

/*
 * Between two instructions only the kick (another thread) and cpu->events
 * are tested; everything that can change what the full check decides sets
 * cpu->events (see its comment in cpu.h).
 */
enum x86_exit x86_run(struct x86_cpu *cpu, uint64_t max_insns)
{
	cpu->events = true; /* the platform may have changed anything since */
	for (uint64_t n = 0; n < max_insns;) {
		if (atomic_load_explicit(&cpu->kick, memory_order_relaxed)) {
			atomic_store(&cpu->kick, false);
			cpu->events = true; /* the kick may come with a raised INTR line */
			return X86_EXIT_KICK;
		}
		if (cpu->events) {
			int why = cpu_check_events(cpu);
			if (why >= 0)
				return (enum x86_exit)why;
		}
		if (!cpu->trace_insn) {
			uint64_t k = cpu->jit ? jit_burst(cpu, max_insns - n)
					      : cpu_burst(cpu, max_insns - n);
			n += k;
			if (cpu->events && cpu->shutdown)
				return X86_EXIT_SHUTDOWN;
			if (k)
				continue;
		}
		cpu_step(cpu);
		n++;
		if (cpu->events && cpu->shutdown)
			return X86_EXIT_SHUTDOWN;
	}
	return X86_EXIT_BUDGET;
}
