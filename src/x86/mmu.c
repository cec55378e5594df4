/*
 * x86/mmu.c - paging and physical memory: the 32-bit, PAE and 4-level page
 * walks with A/D bits and U/S, R/W, WP, NX checks, #PF error codes, the
 * software TLB, cached ram_page pointers, and invalidation of decoded code.
 * Not segmentation (segment.c).  Follows Intel SDM vol. 3A ch. 4 (paging).
 */
#include <errno.h>
#include <string.h>

#include "x86/cpu.h"

#define PTE_P	 (1ull << 0)
#define PTE_RW	 (1ull << 1)
#define PTE_US	 (1ull << 2)
#define PTE_A	 (1ull << 5)
#define PTE_D	 (1ull << 6)
#define PTE_PS	 (1ull << 7)
#define PTE_G	 (1ull << 8)
#define PTE_NX	 (1ull << 63)
#define PTE_ADDR 0x000FFFFFFFFFF000ull

#define PF_P	(1u << 0)
#define PF_W	(1u << 1)
#define PF_U	(1u << 2)
#define PF_RSVD (1u << 3)
#define PF_I	(1u << 4)

uint8_t *mmu_ram(struct x86_cpu *cpu, uint64_t gpa, bool write)
{
	uint64_t page = gpa & ~0xFFFull;
	struct x86_pcache_entry *e = &cpu->pcache[(page >> 12) % PCACHE_SIZE];
	if (e->gpa != (page | 1)) {
		e->gpa = page | 1;
		e->rd = cpu->ops->ram_page ? cpu->ops->ram_page(cpu->opaque, page, false) : NULL;
		e->wr = NULL;
		e->wr_known = 0;
	}
	if (write && !e->wr_known) {
		e->wr = e->rd && cpu->ops->ram_page ? cpu->ops->ram_page(cpu->opaque, page, true)
						    : NULL;
		e->wr_known = 1;
	}
	uint8_t *p = write ? e->wr : e->rd;
	return p ? p + (gpa & 0xFFF) : NULL;
}

void mmu_phys_read(struct x86_cpu *cpu, uint64_t gpa, void *buf, unsigned len)
{
	uint8_t *out = buf;
	while (len) {
		unsigned n = 4096 - (gpa & 0xFFF);
		if (n > len)
			n = len;
		uint8_t *p = mmu_ram(cpu, gpa, false);
		if (p) {
			memcpy(out, p, n);
		} else {
			/* MMIO: pieces that never cross an 8-byte boundary. */
			unsigned k = 8 - (gpa & 7);
			if (k < n)
				n = k;
			cpu->events = true; /* MMIO may change the INTR line */
			if (cpu->ops->phys_read)
				cpu->ops->phys_read(cpu->opaque, gpa, out, n);
			else
				memset(out, 0xFF, n);
		}
		gpa += n;
		out += n;
		len -= n;
	}
}

void mmu_phys_write(struct x86_cpu *cpu, uint64_t gpa, const void *buf, unsigned len)
{
	const uint8_t *in = buf;
	while (len) {
		unsigned n = 4096 - (gpa & 0xFFF);
		if (n > len)
			n = len;
		uint8_t *p = mmu_ram(cpu, gpa, true);
		if (p) {
			memcpy(p, in, n);
			if (cpu_is_code(cpu, gpa))
				mmu_code_written(cpu, gpa, n);
		} else if (!mmu_ram(cpu, gpa, false)) {
			unsigned k = 8 - (gpa & 7);
			if (k < n)
				n = k;
			cpu->events = true;
			if (cpu->ops->phys_write)
				cpu->ops->phys_write(cpu->opaque, gpa, in, n);
		} /* else: ROM, writes are dropped */
		gpa += n;
		in += n;
		len -= n;
	}
}

void mmu_flush_tlb(struct x86_cpu *cpu, bool global)
{
	cpu->fetch_lpage = 0;
	cpu->fetch_fast_lpage = 0;
	cpu->events = true; /* the run loop's fast path leans on the fetch page */
	if (!global && cpu->tlb_nlog <= TLB_LOG) {
		for (unsigned i = 0; i < cpu->tlb_nlog; i++)
			if (!cpu->tlb[cpu->tlb_log[i]].global)
				cpu->tlb[cpu->tlb_log[i]].lpage = 0;
	} else {
		for (int i = 0; i < TLB_SIZE; i++)
			if (global || !cpu->tlb[i].global)
				cpu->tlb[i].lpage = 0;
	}
	cpu->tlb_nlog = 0;
}

void mmu_invlpg(struct x86_cpu *cpu, uint64_t lin)
{
	struct x86_tlb_entry *e = &cpu->tlb[mmu_tlb_index(lin)];
	if (e->lpage == ((lin & ~0xFFFull) | 1))
		e->lpage = 0;
	cpu->fetch_lpage = 0;
	cpu->fetch_fast_lpage = 0;
	cpu->events = true;
}

/* A paging-structure entry: aligned to its size, so never across a page;
 * in RAM (nearly always) one load, atomic against another CPU's store. */
static uint64_t mmu_rd_pte(struct x86_cpu *cpu, uint64_t gpa, unsigned size)
{
	const uint8_t *p = mmu_ram(cpu, gpa, false);
	if (p)
		return size == 8 ? __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED)
				 : __atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED);
	uint64_t v = 0;
	mmu_phys_read(cpu, gpa, &v, size);
	return v;
}

/* Set A (and D) in a paging-structure entry if not yet set. */
static void mmu_set_bits(struct x86_cpu *cpu, uint64_t gpa, uint64_t pte, uint64_t bits,
			 unsigned size)
{
	if ((pte & bits) == bits)
		return;
	pte |= bits;
	mmu_phys_write(cpu, gpa, &pte, size);
}

/* Raise #PF; a side-effect-free walk (peek) leaves CR2 alone. */
static int mmu_pf(struct x86_cpu *cpu, uint64_t lin, uint32_t err, bool peek)
{
	if (!peek)
		cpu->s.cr2 = lin;
	return x86_raise(cpu, 14, true, err);
}

/*
 * Walk the page tables for lin.  Fills e (without host pointers) or raises #PF.
 * SDM 4.3 (32-bit), 4.4 (PAE), 4.5 (4-level); 4.6 (access rights); 4.8 (A/D).
 */
static int mmu_walk(struct x86_cpu *cpu, uint64_t lin, enum x86_acc acc, int cpl,
		    struct x86_tlb_entry *e, bool peek)
{
	const struct x86_state *s = &cpu->s;
	bool nxe = s->efer & X86_EFER_NXE;
	bool user = cpl == 3, write = acc == ACC_WRITE, exec = acc == ACC_EXEC;
	uint32_t err = (write ? PF_W : 0) | (user ? PF_U : 0);
	uint64_t ent_addr[5];
	uint64_t ent[5];
	int levels, nent = 0;
	unsigned esz;
	uint64_t table;
	uint64_t page_mask; /* offset bits of the final page */
	uint64_t rw = PTE_RW, us = PTE_US, nx = 0;

	if (s->cr4 & X86_CR4_PAE) {
		esz = 8;
		if (s->efer & X86_EFER_LMA) {
			levels = 4;
			table = s->cr3 & PTE_ADDR;
		} else {
			/* PAE: the PDPTE (no R/W, U/S bits; SDM 4.4.1). */
			uint64_t a = (s->cr3 & 0xFFFFFFE0ull) + ((lin >> 30) & 3) * 8;
			uint64_t pdpte = mmu_rd_pte(cpu, a, 8);
			if (!(pdpte & PTE_P))
				return mmu_pf(cpu, lin, err | (exec && nxe ? PF_I : 0), peek);
			if (pdpte & 0x1E6)
				return mmu_pf(cpu, lin, err | PF_P | PF_RSVD, peek);
			levels = 2;
			table = pdpte & PTE_ADDR;
		}
	} else {
		esz = 4;
		levels = 2;
		table = s->cr3 & 0xFFFFF000ull;
	}
	if (exec && nxe && esz == 8)
		err |= PF_I;

	for (int lvl = levels; lvl >= 1; lvl--) {
		unsigned shift = 12 + (lvl - 1) * (esz == 8 ? 9 : 10);
		unsigned idx = (lin >> shift) & (esz == 8 ? 0x1FF : 0x3FF);
		uint64_t a = table + idx * esz;
		uint64_t pte = mmu_rd_pte(cpu, a, esz);
		ent_addr[nent] = a;
		ent[nent++] = pte;
		if (!(pte & PTE_P))
			return mmu_pf(cpu, lin, err, peek);
		if (esz == 8 && (pte & PTE_NX) && !nxe)
			return mmu_pf(cpu, lin, err | PF_P | PF_RSVD, peek);
		rw &= pte;
		us &= pte;
		if (esz == 8)
			nx |= pte & PTE_NX;
		bool leaf = lvl == 1;
		if (lvl > 1 && (pte & PTE_PS)) {
			if (esz == 4 && !(s->cr4 & X86_CR4_PSE))
				goto next; /* PS ignored without CR4.PSE */
			if (esz == 8 && lvl > (levels == 4 ? 3 : 2))
				return mmu_pf(cpu, lin, err | PF_P | PF_RSVD,
					      peek); /* PS in PML4 */
			leaf = true;
		}
		if (leaf) {
			page_mask = (1ull << shift) - 1;
			uint64_t base;
			if (esz == 4 && lvl == 2) /* 4 MiB page, PSE-36 bits 13-20 */
				base = (pte & 0xFFC00000ull) | (((pte >> 13) & 0xFF) << 32);
			else
				base = pte & PTE_ADDR & ~page_mask;
			/* Access rights (SDM 4.6). */
			bool ok = true;
			if (user && !us)
				ok = false;
			if (write && !rw && (user || (s->cr0 & X86_CR0_WP)))
				ok = false;
			if (exec && nx && nxe)
				ok = false;
			if (!ok)
				return mmu_pf(cpu, lin, err | PF_P, peek);
			for (int k = 0; k < nent - 1 && !peek; k++)
				mmu_set_bits(cpu, ent_addr[k], ent[k], PTE_A, esz);
			if (!peek)
				mmu_set_bits(cpu, a, pte, PTE_A | (write ? PTE_D : 0), esz);
			e->ppage = (base | (lin & page_mask)) & ~0xFFFull;
			e->writable = rw != 0;
			e->user = us != 0;
			e->nx = nx && nxe;
			e->dirty = write || (pte & PTE_D);
			e->global = (pte & PTE_G) && (s->cr4 & X86_CR4_PGE);
			return X86_OK;
		}
	next:
		table = pte & (esz == 8 ? PTE_ADDR : 0xFFFFF000ull);
	}
	return mmu_pf(cpu, lin, err, peek); /* not reached: level 1 is always a leaf */
}

int mmu_translate(struct x86_cpu *cpu, uint64_t lin, enum x86_acc acc, int cpl,
		  struct x86_tlb_entry **out)
{
	uint64_t lpage = lin & ~0xFFFull;
	struct x86_tlb_entry *e = &cpu->tlb[mmu_tlb_index(lin)];
	if (e->lpage == (lpage | 1) && mmu_allowed(cpu, e, acc, cpl)) {
		*out = e;
		return X86_OK;
	}
	struct x86_tlb_entry n = {0};
	if (cpu->s.cr0 & X86_CR0_PG) {
		int rc = mmu_walk(cpu, lin, acc, cpl, &n, false);
		if (rc)
			return rc;
	} else {
		n.ppage = lpage;
		n.writable = n.user = n.dirty = 1;
	}
	n.lpage = lpage | 1;
	n.host = mmu_ram(cpu, n.ppage, false);
	*e = n;
	if (!n.global) {
		if (cpu->tlb_nlog < TLB_LOG)
			cpu->tlb_log[cpu->tlb_nlog] = (uint16_t)(e - cpu->tlb);
		if (cpu->tlb_nlog <= TLB_LOG)
			cpu->tlb_nlog++;
	}
	mmu_tlb_fast(cpu, e);
	*out = e;
	return X86_OK;
}

/* The rules of mmu_allowed, applied in advance to each access kind. */
void mmu_tlb_fast(struct x86_cpu *cpu, struct x86_tlb_entry *e)
{
	uint8_t *w = e->whost_known && e->dirty ? e->whost : NULL;
	e->fast[0][0] = e->host;
	e->fast[0][1] = e->user ? e->host : NULL;
	e->fast[1][0] = e->writable || !(cpu->s.cr0 & X86_CR0_WP) ? w : NULL;
	e->fast[1][1] = e->writable && e->user ? w : NULL;
	/* Another CPU may have marked the page as code meanwhile (it revoked
	 * our write pointers, maybe before we stored them): look again. */
	if (w && cpu->machine->ncpus > 1) {
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (cpu_is_code(cpu, e->ppage)) {
			e->whost = NULL;
			e->fast[1][0] = e->fast[1][1] = NULL;
		}
	}
}

/* The host pointer for writing through e, or NULL for the slow path. */
static uint8_t *mmu_whost(struct x86_cpu *cpu, struct x86_tlb_entry *e)
{
	if (!e->whost_known) {
		e->whost =
		    (e->host && !cpu_is_code(cpu, e->ppage)) ? mmu_ram(cpu, e->ppage, true) : NULL;
		e->whost_known = 1;
		mmu_tlb_fast(cpu, e);
	}
	return e->whost;
}

int mmu_read_lin(struct x86_cpu *cpu, uint64_t lin, void *buf, unsigned len, enum x86_acc acc,
		 int cpl)
{
	uint8_t *out = buf;
	while (len) {
		unsigned n = 4096 - (lin & 0xFFF);
		if (n > len)
			n = len;
		struct x86_tlb_entry *e;
		int rc = mmu_translate(cpu, lin, acc, cpl, &e);
		if (rc)
			return rc;
		if (e->host)
			memcpy(out, e->host + (lin & 0xFFF), n);
		else
			mmu_phys_read(cpu, e->ppage | (lin & 0xFFF), out, n);
		lin += n;
		out += n;
		len -= n;
	}
	return X86_OK;
}

int mmu_write_lin(struct x86_cpu *cpu, uint64_t lin, const void *buf, unsigned len, int cpl,
		  bool sys)
{
	const uint8_t *in = buf;
	if (sys)
		cpl = 0;
	unsigned first = 4096 - (lin & 0xFFF);
	if (first < len) {
		/* Crossing a page: both pages must be writable before either is
		 * written; the first page's fault comes first. */
		struct x86_tlb_entry *e;
		int rc = mmu_translate(cpu, lin, ACC_WRITE, cpl, &e);
		if (!rc)
			rc = mmu_translate(cpu, lin + first, ACC_WRITE, cpl, &e);
		if (rc)
			return rc;
	}
	while (len) {
		unsigned n = 4096 - (lin & 0xFFF);
		if (n > len)
			n = len;
		struct x86_tlb_entry *e;
		int rc = mmu_translate(cpu, lin, ACC_WRITE, cpl, &e);
		if (rc)
			return rc;
		uint8_t *p = mmu_whost(cpu, e);
		if (p)
			memcpy(p + (lin & 0xFFF), in, n);
		else
			mmu_phys_write(cpu, e->ppage | (lin & 0xFFF), in, n);
		lin += n;
		in += n;
		len -= n;
	}
	return X86_OK;
}

int x86_cpu_translate(struct x86_cpu *cpu, uint64_t linear, uint64_t *phys)
{
	struct x86_tlb_entry e = {0};
	if (!(cpu->s.cr0 & X86_CR0_PG)) {
		*phys = linear & 0xFFFFFFFFull;
		return 0;
	}
	if (mmu_walk(cpu, linear, ACC_READ, 0, &e, true))
		return -EFAULT;
	*phys = e.ppage | (linear & 0xFFF);
	return 0;
}
