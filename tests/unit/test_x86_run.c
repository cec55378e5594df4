/*
 * test_x86_run.c - the run loop's event checks, which x86_run makes only when
 * something may have changed: an INTR line raised by an OUT is taken at the
 * next instruction boundary (SDM vol. 3A 6.8.1), POPF setting TF traps after
 * the following instruction, not after the POPF itself (SDM 17.3.1.4).
 * Programs were assembled with GNU as (16-bit); the source is beside each array.
 */
#include "t.h"
#include "x86/x86.h"

#define MEM_SIZE (1u << 20)

struct rvm {
	uint8_t *mem;
	struct x86_cpu *cpu;
	struct x86_state *s;
	int irq; /* the INTR line: vector or -1 */
};

static uint8_t *rvm_ram_page(void *o, uint64_t gpa, bool write)
{
	struct rvm *r = o;
	return gpa < MEM_SIZE ? r->mem + gpa : NULL;
}

/* A write to port 0x80 raises the INTR line with vector 0x20 (a device
 * whose interrupt follows the access that started it). */
static void rvm_out(void *o, uint16_t port, unsigned size, uint32_t v)
{
	if (port == 0x80)
		((struct rvm *)o)->irq = 0x20;
}

static bool rvm_intr_pending(void *o)
{
	return ((struct rvm *)o)->irq >= 0;
}

static int rvm_intr_ack(void *o)
{
	struct rvm *r = o;
	int v = r->irq;
	r->irq = -1;
	return v;
}

static const struct x86_ops rvm_ops = {
    .ram_page = rvm_ram_page,
    .pio_out = rvm_out,
    .intr_pending = rvm_intr_pending,
    .intr_ack = rvm_intr_ack,
};

/* Real mode, CS=0, IP=ip, SP=0x7000, IVT at 0; handlers for 0x20 and #DB
 * (vector 1) are HLTs at 0x2000 and 0x3000. */
static struct rvm *rvm_new(const uint8_t *prog, size_t n, uint16_t ip)
{
	struct rvm *r = calloc(1, sizeof(*r));
	r->mem = calloc(1, MEM_SIZE);
	r->cpu = x86_cpu_new(&rvm_ops, r);
	r->s = x86_cpu_state(r->cpu);
	r->irq = -1;
	memcpy(r->mem + ip, prog, n);
	uint32_t ivt20 = 0x2000, ivt1 = 0x3000;
	memcpy(r->mem + 0x20 * 4, &ivt20, 4);
	memcpy(r->mem + 1 * 4, &ivt1, 4);
	r->mem[0x2000] = 0xF4;
	r->mem[0x3000] = 0xF4;
	x86_state_reset(r->s);
	r->s->seg[X86_CS].sel = 0;
	r->s->seg[X86_CS].base = 0;
	r->s->rip = ip;
	r->s->gpr[X86_RSP] = 0x7000;
	r->s->idt.limit = 0x3FF;
	x86_cpu_state_changed(r->cpu);
	return r;
}

static void rvm_free(struct rvm *r)
{
	x86_cpu_free(r->cpu);
	free(r->mem);
	free(r);
}

static uint16_t rvm_pushed_ip(struct rvm *r)
{
	uint16_t ip;
	memcpy(&ip, r->mem + r->s->gpr[X86_RSP], 2);
	return ip;
}

/*
 * 1000: sti ; nop ; nop ; out %al,$0x80 ; inc %bx ; inc %bx ; hlt
 * IF=1 long before the OUT: the interrupt it raises is taken right after it.
 */
static void test_intr_after_out(void)
{
	static const uint8_t prog[] = {0xFB, 0x90, 0x90, 0xE6, 0x80, 0x43, 0x43, 0xF4};
	struct rvm *r = rvm_new(prog, sizeof(prog), 0x1000);
	T_EQ(x86_run(r->cpu, 100), X86_EXIT_HLT);
	T_EQ(r->s->rip, 0x2001);
	T_EQ(rvm_pushed_ip(r), 0x1005); /* the instruction after the OUT */
	T_EQ(r->s->gpr[X86_RBX] & 0xFFFF, 0);
	rvm_free(r);
}

/* The POPF that sets TF does not trap; the INC after it does (#DB, IP after it). */
static void test_tf_after_popf(void)
{
	static const uint8_t prog[] = {
	    0x9C,			  /* 1000: pushf */
	    0x89, 0xE5,			  /* 1001: mov %sp,%bp */
	    0x81, 0x4E, 0x00, 0x00, 0x01, /* 1003: orw $0x100,0x0(%bp) */
	    0x9D,			  /* 1008: popf */
	    0x43,			  /* 1009: inc %bx */
	    0x43,			  /* 100a: inc %bx */
	    0xF4,			  /* 100b: hlt */
	};
	struct rvm *r = rvm_new(prog, sizeof(prog), 0x1000);
	T_EQ(x86_run(r->cpu, 100), X86_EXIT_HLT);
	T_EQ(r->s->rip, 0x3001);
	T_EQ(rvm_pushed_ip(r), 0x100A);
	T_EQ(r->s->gpr[X86_RBX] & 0xFFFF, 1);
	T_CHECK(r->s->dr[6] & (1u << 14), "DR6.BS set by the single-step trap");
	rvm_free(r);
}

int main(void)
{
	T_RUN(test_intr_after_out);
	T_RUN(test_tf_after_popf);
	T_EXIT();
}
