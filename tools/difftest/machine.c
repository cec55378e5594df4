/*
 * tools/difftest/machine.c - the test machine both engines run: a long-mode
 * memory image (GDT, IDT with one `hlt` stub per vector, TSS, 4-level paging)
 * and the CPL3 starting state of a case.  Not an OS: nothing ever returns
 * from the stubs.  Follows the Intel SDM vol. 3A: 4.5 (4-level paging),
 * 3.4.5 (descriptors), 6.14 (64-bit IDT gates, stack switch), 8.7 (64-bit TSS).
 */
#include <string.h>

#include "dt.h"

#define PTE_P  (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_PS (1ull << 7)
#define PTE_NX (1ull << 63)

const struct dt_region dt_compared[] = {
    {DT_KSTACK_TOP - 256, 256}, /* the exception frame */
    {DT_CODE, DT_CODE_SIZE},	{DT_DATA, DT_DATA_SIZE},
    {DT_RO_PAGE, 0x2000}, /* read-only and supervisor-only pages */
    {DT_STACK, DT_STACK_SIZE},
};
const unsigned dt_nr_compared = ARRAY_SIZE(dt_compared);

/* The 4 KiB user-area pages (second 2 MiB), keyed by address. */
static const struct {
	uint64_t gpa, len, flags;
} machine_pages[] = {
    {DT_CODE, DT_CODE_SIZE, PTE_P | PTE_US},
    {DT_DATA, DT_DATA_SIZE, PTE_P | PTE_RW | PTE_US | PTE_NX},
    {DT_RO_PAGE, 0x1000, PTE_P | PTE_US | PTE_NX},
    {DT_SUPER_PAGE, 0x1000, PTE_P | PTE_RW | PTE_NX},
    {DT_STACK, DT_STACK_SIZE, PTE_P | PTE_RW | PTE_US | PTE_NX},
};

static void put64(uint8_t *mem, uint64_t gpa, uint64_t v)
{
	memcpy(mem + gpa, &v, 8);
}

static uint64_t get64(const uint8_t *mem, uint64_t gpa)
{
	uint64_t v;
	memcpy(&v, mem + gpa, 8);
	return v;
}

/* A code/data descriptor: flags = G/DB/L nibble, access = P/DPL/S/type. */
static uint64_t machine_desc(uint8_t access, uint8_t flags)
{
	return 0xFFFFull | (uint64_t)access << 40 | 0xFull << 48 | (uint64_t)flags << 52;
}

static void machine_gdt(uint8_t *mem)
{
	put64(mem, DT_GDT + DT_SEL_KCODE, machine_desc(0x9B, 0xA)); /* 64-bit, DPL0 */
	put64(mem, DT_GDT + DT_SEL_KDATA, machine_desc(0x93, 0xC));
	put64(mem, DT_GDT + (DT_SEL_UCODE32 & ~3), machine_desc(0xFB, 0xC)); /* 32-bit user code */
	put64(mem, DT_GDT + (DT_SEL_UDATA & ~3), machine_desc(0xF3, 0xC));
	put64(mem, DT_GDT + (DT_SEL_UCODE & ~3), machine_desc(0xFB, 0xA));
	/* 64-bit available TSS (type 9), 16 bytes. */
	put64(mem, DT_GDT + DT_SEL_TSS, 0x67 | (DT_TSS & 0xFFFFFF) << 16 | 0x89ull << 40);
	put64(mem, DT_GDT + DT_SEL_TSS + 8, DT_TSS >> 32);
	/* RSP0, and an I/O map base past the limit: no I/O bitmap. */
	put64(mem, DT_TSS + 4, DT_KSTACK_TOP);
	mem[DT_TSS + 102] = 104;
}

/*
 * Interrupt gates to the stubs.  Vectors 3 (int3) and 0x80-0xFF have DPL3 so
 * that INT n from user mode reaches them; the others make INT n raise #GP.
 */
static void machine_idt(uint8_t *mem)
{
	for (unsigned v = 0; v < 256; v++) {
		uint64_t off = DT_STUBS + v * DT_STUB_SIZE;
		unsigned dpl = (v == 3 || v >= 0x80) ? 3 : 0;
		uint64_t lo = (off & 0xFFFF) | (uint64_t)DT_SEL_KCODE << 16 |
			      (uint64_t)(0x8E | dpl << 5) << 40 | (off >> 16 & 0xFFFF) << 48;

		put64(mem, DT_IDT + v * 16, lo);
		put64(mem, DT_IDT + v * 16 + 8, off >> 32);
		mem[off] = 0xF4;     /* hlt */
		mem[off + 1] = 0xEB; /* jmp back to it, should anything resume */
		mem[off + 2] = 0xFD;
	}
}

static void machine_paging(uint8_t *mem)
{
	put64(mem, DT_PML4, DT_PDPT | PTE_P | PTE_RW | PTE_US);
	put64(mem, DT_PDPT, DT_PD | PTE_P | PTE_RW | PTE_US);
	put64(mem, DT_PD, 0 | PTE_P | PTE_RW | PTE_PS); /* system area, supervisor */
	put64(mem, DT_PD + 8, DT_PT | PTE_P | PTE_RW | PTE_US);
	for (size_t i = 0; i < ARRAY_SIZE(machine_pages); i++)
		for (uint64_t a = 0; a < machine_pages[i].len; a += 0x1000) {
			uint64_t gpa = machine_pages[i].gpa + a;

			put64(mem, DT_PT + (gpa - 0x200000) / 0x1000 * 8,
			      gpa | machine_pages[i].flags);
		}
}

void machine_build(uint8_t *mem)
{
	uint64_t x = 0x9E3779B97F4A7C15ull;

	memset(mem, 0, DT_MEM_SIZE);
	machine_gdt(mem);
	machine_idt(mem);
	machine_paging(mem);
	memset(mem + DT_CODE, 0xF4, DT_CODE_SIZE); /* hlt: #GP(0) at CPL3 */
	/* Data, read-only and stack pages: fixed pseudo-random bytes. */
	for (uint64_t a = DT_DATA; a < DT_STACK + DT_STACK_SIZE; a += 8) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		put64(mem, a, x);
	}
}

/*
 * For a host whose GDT lacks Linux's 32-bit user code segment (a PVM guest's:
 * only DPL0 descriptors there, as loads of 0x23 raise #GP(0x20)): the same
 * entry becomes 32-bit DPL0 code, so that cases loading or jumping to that
 * selector meet what the host has.
 */
void machine_no_compat(uint8_t *mem)
{
	put64(mem, DT_GDT + (DT_SEL_UCODE32 & ~3), machine_desc(0x9B, 0xC));
}

static void machine_seg(struct x86_seg *sg, uint16_t sel, uint8_t type, bool code)
{
	memset(sg, 0, sizeof(*sg));
	sg->sel = sel;
	sg->limit = 0xFFFFFFFF;
	sg->type = type;
	sg->s = 1;
	sg->dpl = sel & 3;
	sg->present = 1;
	sg->g = 1;
	sg->l = code;
	sg->db = !code;
}

static void machine_null_seg(struct x86_seg *sg, uint64_t base)
{
	memset(sg, 0, sizeof(*sg));
	sg->base = base;
	sg->unusable = 1;
}

void machine_state(struct x86_state *s, const struct dt_case *c)
{
	x86_state_reset(s);
	memcpy(s->gpr, c->gpr, sizeof(s->gpr));
	s->rip = c->rip;
	s->rflags = c->rflags;
	machine_seg(&s->seg[X86_CS], DT_SEL_UCODE, 0xB, true);
	if (c->compat) { /* the 32-bit user code segment (Linux's __USER32_CS) */
		s->seg[X86_CS].sel = DT_SEL_UCODE32;
		s->seg[X86_CS].l = 0;
		s->seg[X86_CS].db = 1;
	}
	machine_seg(&s->seg[X86_SS], DT_SEL_UDATA, 0x3, false);
	machine_seg(&s->seg[X86_DS], DT_SEL_UDATA, 0x3, false);
	machine_seg(&s->seg[X86_ES], DT_SEL_UDATA, 0x3, false);
	machine_seg(&s->seg[X86_FS], DT_SEL_UDATA, 0x3, false);
	machine_seg(&s->seg[X86_GS], DT_SEL_UDATA, 0x3, false);
	if (!c->compat) { /* null selectors, bases as the FS/GS base MSRs set them */
		machine_null_seg(&s->seg[X86_FS], DT_FS_BASE);
		machine_null_seg(&s->seg[X86_GS], DT_GS_BASE);
	}
	memset(&s->seg[X86_LDTR], 0, sizeof(s->seg[X86_LDTR]));
	s->seg[X86_LDTR].type = 2;
	s->seg[X86_LDTR].unusable = 1;
	memset(&s->seg[X86_TR], 0, sizeof(s->seg[X86_TR]));
	s->seg[X86_TR].sel = DT_SEL_TSS;
	s->seg[X86_TR].base = DT_TSS;
	s->seg[X86_TR].limit = 0x67;
	s->seg[X86_TR].type = 0xB; /* busy */
	s->seg[X86_TR].present = 1;
	s->gdt.base = DT_GDT;
	s->gdt.limit = 0x47;
	s->idt.base = DT_IDT;
	s->idt.limit = 0xFFF;
	s->cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	s->cr3 = DT_PML4;
	s->cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	s->efer = X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
	s->fpu.fcw = 0x37F;
	if (c->fp)
		dt_fx_to_state(s, &c->fx);
}

void machine_load_case(uint8_t *mem, const uint8_t *image, const struct dt_case *c)
{
	for (unsigned i = 0; i < dt_nr_compared; i++)
		memcpy(mem + dt_compared[i].gpa, image + dt_compared[i].gpa, dt_compared[i].len);
	memcpy(mem + c->rip, c->code, c->len);
	for (unsigned i = 0; i < DT_MEM_SEEDS; i++)
		if (c->mem[i].len)
			memcpy(mem + c->mem[i].addr, c->mem[i].init, c->mem[i].len);
}

void machine_read_outcome(const uint8_t *mem, struct dt_outcome *o)
{
	uint64_t stub = o->rip - 1 - DT_STUBS, rsp = o->gpr[X86_RSP];

	o->vector = -1;
	if (o->rip <= DT_STUBS || stub % DT_STUB_SIZE || stub / DT_STUB_SIZE > 255)
		return;
	o->vector = (int)(stub / DT_STUB_SIZE);
	if (rsp != DT_KSTACK_TOP - 40 && rsp != DT_KSTACK_TOP - 48)
		return;
	o->has_error = rsp == DT_KSTACK_TOP - 48;
	if (o->has_error) {
		o->error = get64(mem, rsp);
		rsp += 8;
	}
	for (unsigned i = 0; i < 5; i++)
		o->frame[i] = get64(mem, rsp + 8 * i);
}
