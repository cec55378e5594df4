/*
 * x86/lock.c - LOCK'd read-modify-write instructions (and XCHG with memory)
 * atomic across the host threads that run a machine's CPUs, and MFENCE.
 * Not the instructions' semantics: the row's body computes them unchanged.
 * SDM vol. 3A 8.1.2 (bus locking): the locked operation is atomic with
 * respect to every other access to the location, plain stores included.
 *
 * How: the body runs against a private copy of the operand (the TLB entry
 * of its page points at this CPU's shadow page for the duration), and the
 * result is published with one host compare-and-swap against the value the
 * copy was taken from.  If another CPU changed the location meanwhile, the
 * registers and flags the body changed are put back and it runs again.  A
 * result equal to the old value (a failed CMPXCHG, BTS of a set bit) needs
 * no store at all.  Where the host has no such operation (MMIO, a page or
 * cache-line split, the operand not RAM) the body runs under the machine's
 * split lock: atomic against other LOCK'd instructions only.
 */
#include <string.h>

#include "x86/cpu.h"

/* The operand's size and segment offset, as the body will access it. */
static unsigned lock_operand(struct x86_cpu *cpu, struct x86_insn *in, uint64_t *off)
{
	unsigned size = in->size[0];
	opnd_ea(cpu, in, off);
	if (in->op->fn == ex_cmpxchg8b)
		return (in->rex & 8) ? 16 : 8;
	if (in->op->fn == ex_bt && in->op->o[1].m == OM_G) {
		/* A register bit offset moves the operand (see ex_bt). */
		int64_t sb = (int64_t)x86_sext(reg_read(cpu, in, in->reg, size), size);
		int64_t words = sb >> (size == 2 ? 4 : size == 4 ? 5 : 6);
		*off = (*off + (uint64_t)words * size) & x86_mask(in->adsize);
	}
	return size;
}

static void lock_load(const uint8_t *p, unsigned size, uint8_t *out)
{
	uint64_t v;
	switch (size) {
	case 1:
		out[0] = __atomic_load_n(p, __ATOMIC_SEQ_CST);
		return;
	case 2:
		v = __atomic_load_n((const uint16_t *)p, __ATOMIC_SEQ_CST);
		memcpy(out, &v, 2);
		return;
	case 4:
		v = __atomic_load_n((const uint32_t *)p, __ATOMIC_SEQ_CST);
		memcpy(out, &v, 4);
		return;
	case 8:
		v = __atomic_load_n((const uint64_t *)p, __ATOMIC_SEQ_CST);
		memcpy(out, &v, 8);
		return;
	default:
		memcpy(out, p, size);
		return;
	}
}

static bool lock_cas(uint8_t *p, unsigned size, const uint8_t *old, const uint8_t *new)
{
	switch (size) {
	case 1:
		return __atomic_compare_exchange_n(p, (uint8_t *)old, *new, false, __ATOMIC_SEQ_CST,
						   __ATOMIC_SEQ_CST);
	case 2: {
		uint16_t o, n;
		memcpy(&o, old, 2);
		memcpy(&n, new, 2);
		return __atomic_compare_exchange_n((uint16_t *)p, &o, n, false, __ATOMIC_SEQ_CST,
						   __ATOMIC_SEQ_CST);
	}
	case 4: {
		uint32_t o, n;
		memcpy(&o, old, 4);
		memcpy(&n, new, 4);
		return __atomic_compare_exchange_n((uint32_t *)p, &o, n, false, __ATOMIC_SEQ_CST,
						   __ATOMIC_SEQ_CST);
	}
	case 8: {
		uint64_t o, n;
		memcpy(&o, old, 8);
		memcpy(&n, new, 8);
		return __atomic_compare_exchange_n((uint64_t *)p, &o, n, false, __ATOMIC_SEQ_CST,
						   __ATOMIC_SEQ_CST);
	}
	default: { /* 16: CMPXCHG16B, whose body has checked the alignment */
		uint64_t o[2], n[2];
		bool ok;
		memcpy(o, old, 16);
		memcpy(n, new, 16);
		__asm__ volatile("lock cmpxchg16b %1"
				 : "=@ccz"(ok), "+m"(*(unsigned __int128 *)p), "+a"(o[0]),
				   "+d"(o[1])
				 : "b"(n[0]), "c"(n[1])
				 : "memory");
		return ok;
	}
	}
}

/* The host cannot make it atomic: exclude the other LOCK'd instructions. */
static int lock_split(struct x86_cpu *cpu, struct x86_insn *in)
{
	pthread_mutex_lock(&cpu->machine->split_lock);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	int rc = in->op->fn(cpu, in);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&cpu->machine->split_lock);
	return rc;
}

/*
 * MFENCE: the guest's loads and stores are the host's own, in program order
 * but for the store buffer, exactly as on the guest's x86; MFENCE orders
 * that too, so it is the host's.  (LFENCE and SFENCE only matter for
 * speculation and non-temporal stores, which the emulator does not have.)
 */
int ex_mfence(struct x86_cpu *cpu, struct x86_insn *in)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return X86_OK;
}

int cpu_locked(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t off, lin;
	unsigned size = lock_operand(cpu, in, &off);
	struct x86_tlb_entry *e;
	/* Any fault is the body's to raise, so it runs as it would. */
	if (seg_linear(cpu, in->seg, off, size, ACC_WRITE, &lin) ||
	    mmu_translate(cpu, lin, ACC_WRITE, cpu->cpl, &e))
		return in->op->fn(cpu, in);
	unsigned po = lin & 0xFFF;
	uint8_t *real = e->host ? mmu_ram(cpu, e->ppage, true) : NULL;
	if (!real || !e->dirty || po + size > 4096 || (po & 63) + size > 64 ||
	    cpu_is_code(cpu, e->ppage))
		return lock_split(cpu, in);
	real += po;
	uint64_t gpr[16];
	uint64_t rflags = cpu->s.rflags;
	struct x86_lazy_flags lf = cpu->lf;
	memcpy(gpr, cpu->s.gpr, sizeof(gpr));
	struct x86_tlb_entry saved = *e;
	uint8_t old[16];
	for (;;) {
		/* The copy: the body reads and writes it through e.  One load
		 * (within a cache line, so atomic on the host) for up to 8 bytes;
		 * a torn 16-byte copy only makes the CAS fail. */
		lock_load(real, size, old);
		memcpy(cpu->lock_shadow + po, old, size);
		e->host = e->whost = cpu->lock_shadow;
		e->whost_known = 1;
		mmu_tlb_fast(cpu, e);
		int rc = in->op->fn(cpu, in);
		if (e->lpage == saved.lpage)
			*e = saved;
		if (rc != X86_OK)
			return rc;
		const uint8_t *new = cpu->lock_shadow + po;
		if (size <= 8 && !memcmp(new, old, size)) {
			/* Nothing to store: the load was the atomic part.  A locked
			 * instruction is still a full barrier (Linux's smp_mb() is
			 * LOCK ADD $0 to the stack). */
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			return X86_OK;
		}
		if (lock_cas(real, size, old, new))
			return X86_OK;
		/* Another CPU got there first: undo the body's registers, again. */
		memcpy(cpu->s.gpr, gpr, sizeof(gpr));
		cpu->s.rflags = rflags;
		cpu->lf = lf;
	}
}
