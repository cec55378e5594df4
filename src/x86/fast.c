/*
 * x86/fast.c - specialised bodies for the hottest instruction forms, chosen
 * once per decode by fast_pick(): the eight ALU operations, TEST, MOV,
 * MOVZX/MOVSX, LEA, INC/DEC, SHL/SHR/SAR by an immediate, Jcc, JMP, and in
 * 64-bit code CALL, RET, PUSH and POP, on general registers, immediates and
 * memory operands of a size known at decode time.
 * Not new semantics: each form computes what its row's general body computes
 * (they share x86/flags.h), and hands the instruction back (X86_SLOW, having
 * changed nothing) whenever its own assumption fails (a memory operand
 * mem_fast cannot serve: another segment, a page boundary, a TLB miss, MMIO,
 * a code page); the run loop then calls the general body.
 * The flags they set are lazy (cpu->lf): a record of the operation, turned
 * into RFLAGS bits only when something else looks (cpu_sync_flags).  Each
 * form has a threaded twin (name_t, in->tfn) that cpu_burst runs: it goes on
 * to the next instruction's body itself (fast_thread).
 * Follows the same SDM vol. 2 pages as the general bodies.
 */
#include "x86/cpu.h"
#include "x86/flags.h"

#define FAST_INLINE inline __attribute__((always_inline))

/* How the two operands are reached (R register, I immediate, M memory);
 * RMB and MRB are MOV's memory forms for a base register plus displacement. */
enum fast_form { FF_RR, FF_RI, FF_RM, FF_MR, FF_MI, FF_RMB, FF_MRB };

void fast_sync_flags(struct x86_cpu *cpu)
{
	cpu->s.rflags = (cpu->s.rflags & ~(uint64_t)ARITH_FLAGS) |
			alu_lazy_all(&cpu->lf, cpu->s.rflags);
	cpu->lf.op = LF_NONE;
	cpu->lf.idop = 0;
}

static FAST_INLINE void fast_lazy(struct x86_cpu *cpu, int op, uint64_t r, uint64_t a, uint64_t b,
				  unsigned size)
{
	cpu->lf.res = r;
	cpu->lf.a = a;
	cpu->lf.b = b;
	cpu->lf.op = op;
	cpu->lf.size = size;
	cpu->lf.idop = 0;
}

static FAST_INLINE void fast_reg_write(struct x86_cpu *cpu, unsigned reg, unsigned size,
				       uint64_t v)
{
	uint64_t *r = &cpu->s.gpr[reg];
	if (size == 8)
		*r = v;
	else if (size == 4)
		*r = (uint32_t)v; /* 32-bit results zero-extend */
	else if (size == 2)
		*r = (*r & ~0xFFFFull) | (v & 0xFFFF);
	else
		*r = (*r & ~0xFFull) | (v & 0xFF);
}

/*
 * Host pointer to the ModRM memory operand, or NULL for the general path.
 * fast_pick gives memory forms only to 64-bit code with 64-bit addressing
 * and a segment other than FS/GS: the effective address is the linear one.
 */
static FAST_INLINE uint8_t *fast_mem_ea(struct x86_cpu *cpu, struct x86_insn *in, unsigned size,
					enum x86_acc acc, bool base_disp)
{
	uint64_t ea = (uint64_t)(int64_t)in->disp;
	if (base_disp) {
		ea += cpu->s.gpr[in->base];
	} else if (in->riprel) {
		ea += cpu->next_rip;
	} else {
		if (in->base >= 0)
			ea += cpu->s.gpr[in->base];
		if (in->index >= 0)
			ea += cpu->s.gpr[in->index] << in->scale;
	}
	return mem_fast64(cpu, ea, size, acc);
}

static FAST_INLINE uint8_t *fast_mem(struct x86_cpu *cpu, struct x86_insn *in, unsigned size,
				     enum x86_acc acc)
{
	return fast_mem_ea(cpu, in, size, acc, false);
}

static FAST_INLINE bool fast_noncanonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) != a;
}

/* A near branch to target (already computed in the operand size): the
 * checks of branch_near in branch.c. */
static FAST_INLINE int fast_branch(struct x86_cpu *cpu, struct x86_insn *in, uint64_t target)
{
	target &= x86_mask(in->opsize);
	if (cpu->mode == X86_MODE_LONG64 ? fast_noncanonical(target)
					 : target > cpu->s.seg[X86_CS].limit)
		return x86_gp(cpu, 0);
	cpu->next_rip = target;
	return X86_BRANCH;
}

/* ADD ... CMP (op 0-7), and TEST as op 8 (an AND that writes nothing). */
static FAST_INLINE int fast_alu(struct x86_cpu *cpu, struct x86_insn *in, int op, unsigned size,
				enum fast_form form)
{
	uint64_t m = x86_mask(size), a, b;
	bool writes = op != 7 && op != 8;
	uint8_t *p = NULL;
	if (form == FF_MR || form == FF_MI) {
		p = fast_mem(cpu, in, size, writes ? ACC_WRITE : ACC_READ);
		if (!p)
			return X86_SLOW;
		a = mem_load(p, size);
	} else {
		a = cpu->s.gpr[in->regno[0]] & m;
	}
	if (form == FF_RM) {
		uint8_t *q = fast_mem(cpu, in, size, ACC_READ);
		if (!q)
			return X86_SLOW;
		b = mem_load(q, size);
	} else if (form == FF_RI || form == FF_MI) {
		b = in->imm & m;
	} else {
		b = cpu->s.gpr[in->regno[1]] & m;
	}
	uint64_t r;
	if (op == 2 || op == 3) { /* ADC, SBB read CF: computed eagerly */
		cpu_sync_flags(cpu);
		r = alu_compute(cpu, op, a, b, size);
	} else if (op == 0) {
		r = (a + b) & m;
		fast_lazy(cpu, LF_ADD, r, a, b, size);
	} else if (op == 5 || op == 7) {
		r = (a - b) & m;
		fast_lazy(cpu, LF_SUB, r, a, b, size);
	} else {
		r = op == 1 ? a | b : op == 6 ? a ^ b : a & b;
		fast_lazy(cpu, LF_LOGIC, r, a, b, size);
	}
	if (!writes)
		return X86_OK;
	if (p)
		mem_store(p, size, r);
	else
		fast_reg_write(cpu, in->regno[0], size, r);
	return X86_OK;
}

static FAST_INLINE int fast_mov(struct x86_cpu *cpu, struct x86_insn *in, unsigned size,
				enum fast_form form)
{
	bool bd = form == FF_RMB || form == FF_MRB;
	if (form == FF_RMB)
		form = FF_RM;
	else if (form == FF_MRB)
		form = FF_MR;
	uint64_t v;
	if (form == FF_RM) {
		uint8_t *q = fast_mem_ea(cpu, in, size, ACC_READ, bd);
		if (!q)
			return X86_SLOW;
		v = mem_load(q, size);
	} else if (form == FF_RI || form == FF_MI) {
		v = in->imm;
	} else {
		v = cpu->s.gpr[in->regno[1]];
	}
	if (form == FF_MR || form == FF_MI) {
		uint8_t *p = fast_mem_ea(cpu, in, size, ACC_WRITE, bd);
		if (!p)
			return X86_SLOW;
		mem_store(p, size, v);
	} else {
		fast_reg_write(cpu, in->regno[0], size, v);
	}
	return X86_OK;
}

/* INC and DEC: an ADD or SUB of 1 that keeps CF. */
static FAST_INLINE int fast_incdec(struct x86_cpu *cpu, struct x86_insn *in, bool dec,
				   unsigned size, enum fast_form form)
{
	uint8_t *p = NULL;
	uint64_t a;
	if (form == FF_MR) {
		p = fast_mem(cpu, in, size, ACC_WRITE);
		if (!p)
			return X86_SLOW;
		a = mem_load(p, size);
	} else {
		a = cpu->s.gpr[in->regno[0]] & x86_mask(size);
	}
	uint64_t r = (dec ? a - 1 : a + 1) & x86_mask(size);
	cpu->lf.idres = r; /* on top of the record: CF stays what it was */
	cpu->lf.idop = dec ? LF_DEC : LF_INC;
	cpu->lf.idsize = size;
	if (p)
		mem_store(p, size, r);
	else
		fast_reg_write(cpu, in->regno[0], size, r);
	return X86_OK;
}

/* SHL (4), SHR (5), SAR (7) of a register by an immediate: shift.c's rules. */
static FAST_INLINE int fast_shift(struct x86_cpu *cpu, struct x86_insn *in, int op, unsigned size)
{
	uint64_t m = x86_mask(size), a = cpu->s.gpr[in->regno[0]] & m, r;
	unsigned n = in->imm & (size == 8 ? 0x3F : 0x1F);
	if (!n) {
		fast_reg_write(cpu, in->regno[0], size, a);
		return X86_OK;
	}
	if (op == 4)
		r = (a << n) & m;
	else if (op == 5)
		r = a >> n;
	else
		r = (uint64_t)((int64_t)x86_sext(a, size) >> n) & m;
	fast_lazy(cpu, op == 4 ? LF_SHL : op == 5 ? LF_SHR : LF_SAR, r, a, n, size);
	fast_reg_write(cpu, in->regno[0], size, r);
	return X86_OK;
}

/* b64: 64-bit code, where Jcc's operand size is always 64 (SDM Jcc). */
static FAST_INLINE int fast_jcc(struct x86_cpu *cpu, struct x86_insn *in, int cc, bool b64)
{
	bool take;
	if (!(cpu->lf.op | cpu->lf.idop))
		take = alu_cond_flags(cpu->s.rflags, cc);
	else if ((cc >> 1) == 2) /* Z, NZ: the common case */
		take = ((cpu->lf.idop ? cpu->lf.idres : cpu->lf.res) == 0) != (cc & 1);
	else
		take = alu_cond_flags(alu_lazy_all(&cpu->lf, cpu->s.rflags), cc);
	if (!take)
		return X86_OK;
	if (b64) {
		uint64_t target = cpu->next_rip + in->imm;
		if (fast_noncanonical(target))
			return x86_gp(cpu, 0);
		cpu->next_rip = target;
		return X86_BRANCH;
	}
	return fast_branch(cpu, in, cpu->next_rip + in->imm);
}

/*
 * After a form ran as part of the fast loop's chain: go straight on, as a
 * tail call, to the instruction after it (X86_OK) or to the one it branched
 * to on the same page (X86_BRANCH) when cpu_burst linked that one (->next,
 * ->taken) and its key proves the link still holds, with budget left; so a
 * loop costs no return to cpu_burst.  Otherwise leave where it stopped in
 * cpu->t_rip/t_left/t_in: the next instruction or the target, or for
 * X86_SLOW and faults the instruction itself (its budget not spent).
 */
static FAST_INLINE int fast_thread(struct x86_cpu *cpu, struct x86_insn *in, int rc, uint64_t rip,
				   uint64_t left)
{
	struct x86_icache_entry *ce = icache_entry_of(in);
	if (rc == X86_OK) {
		uint64_t next = rip + in->len;
		struct x86_icache_entry *nx = ce->next;
		left--;
		if (left && nx->key == ce->key + ((uint64_t)in->len << 2)) {
			cpu->next_rip = next + nx->in.len;
			return nx->in.tfn(cpu, &nx->in, next, left);
		}
		cpu->t_rip = next;
		cpu->t_left = left;
		cpu->t_in = in;
		return X86_OK;
	}
	if (rc == X86_BRANCH) {
		/* Within the page, the target's key follows from this one's. */
		uint64_t target = cpu->next_rip;
		struct x86_icache_entry *tk = ce->taken;
		left--;
		if (left && !((target ^ rip) >> 12) &&
		    tk->key == ce->key + ((target - rip) << 2)) {
			cpu->next_rip = target + tk->in.len;
			return tk->in.tfn(cpu, &tk->in, target, left);
		}
		cpu->t_rip = target;
		cpu->t_left = left;
		cpu->t_in = in;
		return rc;
	}
	cpu->t_rip = rip;
	cpu->t_left = left;
	cpu->t_in = in;
	return rc;
}

/* name_t: the form name as the fast loop runs it. */
#define FAST_THREADED(name) FAST_THREADED_(name)
#define FAST_THREADED_(name)                                                                       \
	static int name##_t(struct x86_cpu *cpu, struct x86_insn *in, uint64_t rip, uint64_t left) \
	{                                                                                          \
		return fast_thread(cpu, in, name(cpu, in), rip, left);                             \
	}
/* A table entry: the form and its threaded twin. */
struct fast_fns {
	x86_exec_fn fn;
	x86_thread_fn tfn;
};
#define FAST_PAIR(name)	 FAST_PAIR_(name)
#define FAST_PAIR_(name) {name, name##_t}

/* Everything else: back to the loop, which runs the general body. */
static int fast_general_t(struct x86_cpu *cpu, struct x86_insn *in, uint64_t rip, uint64_t left)
{
	return fast_thread(cpu, in, X86_SLOW, rip, left);
}

/* The generated forms.  Sizes are indexed 0-3 for 1, 2, 4, 8 bytes. */
#define FAST_SIZES(X, ...) X(1, __VA_ARGS__) X(2, __VA_ARGS__) X(4, __VA_ARGS__) X(8, __VA_ARGS__)
#define FAST_SIZE_ROW(name, ...)                                                                   \
	{FAST_PAIR(name(1, __VA_ARGS__)), FAST_PAIR(name(2, __VA_ARGS__)),                         \
	 FAST_PAIR(name(4, __VA_ARGS__)), FAST_PAIR(name(8, __VA_ARGS__))}

#define FAST_ALU_NAME(size, op, form) fast_alu_##op##_##size##_##form
#define FAST_ALU_DEF(size, op, form)                                                               \
	static int FAST_ALU_NAME(size, op, form)(struct x86_cpu * cpu, struct x86_insn * in)       \
	{                                                                                          \
		return fast_alu(cpu, in, op, size, FF_##form);                                     \
	}                                                                                          \
	FAST_THREADED(FAST_ALU_NAME(size, op, form))
#define FAST_ALU_FORMS(op)                                                                         \
	FAST_SIZES(FAST_ALU_DEF, op, RR)                                                           \
	FAST_SIZES(FAST_ALU_DEF, op, RI)                                                           \
	FAST_SIZES(FAST_ALU_DEF, op, RM)                                                           \
	FAST_SIZES(FAST_ALU_DEF, op, MR)                                                           \
	FAST_SIZES(FAST_ALU_DEF, op, MI)
FAST_ALU_FORMS(0)
FAST_ALU_FORMS(1)
FAST_ALU_FORMS(2)
FAST_ALU_FORMS(3)
FAST_ALU_FORMS(4)
FAST_ALU_FORMS(5)
FAST_ALU_FORMS(6)
FAST_ALU_FORMS(7)
FAST_ALU_FORMS(8)

#define FAST_ALU_OP(op)                                                                            \
	[op] = {                                                                                   \
	    [FF_RR] = FAST_SIZE_ROW(FAST_ALU_NAME, op, RR),                                        \
	    [FF_RI] = FAST_SIZE_ROW(FAST_ALU_NAME, op, RI),                                        \
	    [FF_RM] = FAST_SIZE_ROW(FAST_ALU_NAME, op, RM),                                        \
	    [FF_MR] = FAST_SIZE_ROW(FAST_ALU_NAME, op, MR),                                        \
	    [FF_MI] = FAST_SIZE_ROW(FAST_ALU_NAME, op, MI),                                        \
	}
static const struct fast_fns fast_alu_fns[9][FF_MI + 1][4] = {
    FAST_ALU_OP(0), FAST_ALU_OP(1), FAST_ALU_OP(2), FAST_ALU_OP(3), FAST_ALU_OP(4),
    FAST_ALU_OP(5), FAST_ALU_OP(6), FAST_ALU_OP(7), FAST_ALU_OP(8),
};

#define FAST_MOV_NAME(size, form) fast_mov_##size##_##form
#define FAST_MOV_DEF(size, form)                                                                   \
	static int FAST_MOV_NAME(size, form)(struct x86_cpu * cpu, struct x86_insn * in)           \
	{                                                                                          \
		return fast_mov(cpu, in, size, FF_##form);                                         \
	}                                                                                          \
	FAST_THREADED(FAST_MOV_NAME(size, form))
FAST_SIZES(FAST_MOV_DEF, RR)
FAST_SIZES(FAST_MOV_DEF, RI)
FAST_SIZES(FAST_MOV_DEF, RM)
FAST_SIZES(FAST_MOV_DEF, MR)
FAST_SIZES(FAST_MOV_DEF, MI)
FAST_SIZES(FAST_MOV_DEF, RMB)
FAST_SIZES(FAST_MOV_DEF, MRB)
static const struct fast_fns fast_mov_fns[FF_MRB + 1][4] = {
    [FF_RR] = FAST_SIZE_ROW(FAST_MOV_NAME, RR),	  [FF_RI] = FAST_SIZE_ROW(FAST_MOV_NAME, RI),
    [FF_RM] = FAST_SIZE_ROW(FAST_MOV_NAME, RM),	  [FF_MR] = FAST_SIZE_ROW(FAST_MOV_NAME, MR),
    [FF_MI] = FAST_SIZE_ROW(FAST_MOV_NAME, MI),	  [FF_RMB] = FAST_SIZE_ROW(FAST_MOV_NAME, RMB),
    [FF_MRB] = FAST_SIZE_ROW(FAST_MOV_NAME, MRB),
};

/* INC/DEC: form RR stands for a register operand, MR for memory. */
#define FAST_INCDEC_NAME(size, dec, form) fast_incdec_##dec##_##size##_##form
#define FAST_INCDEC_DEF(size, dec, form)                                                           \
	static int FAST_INCDEC_NAME(size, dec, form)(struct x86_cpu * cpu, struct x86_insn * in)   \
	{                                                                                          \
		return fast_incdec(cpu, in, dec, size, FF_##form);                                 \
	}                                                                                          \
	FAST_THREADED(FAST_INCDEC_NAME(size, dec, form))
FAST_SIZES(FAST_INCDEC_DEF, 0, RR)
FAST_SIZES(FAST_INCDEC_DEF, 0, MR)
FAST_SIZES(FAST_INCDEC_DEF, 1, RR)
FAST_SIZES(FAST_INCDEC_DEF, 1, MR)
static const struct fast_fns fast_incdec_fns[2][2][4] = {
    [0] = {FAST_SIZE_ROW(FAST_INCDEC_NAME, 0, RR), FAST_SIZE_ROW(FAST_INCDEC_NAME, 0, MR)},
    [1] = {FAST_SIZE_ROW(FAST_INCDEC_NAME, 1, RR), FAST_SIZE_ROW(FAST_INCDEC_NAME, 1, MR)},
};

#define FAST_SHIFT_NAME(size, op) fast_shift_##op##_##size
#define FAST_SHIFT_DEF(size, op)                                                                   \
	static int FAST_SHIFT_NAME(size, op)(struct x86_cpu * cpu, struct x86_insn * in)           \
	{                                                                                          \
		return fast_shift(cpu, in, op, size);                                              \
	}                                                                                          \
	FAST_THREADED(FAST_SHIFT_NAME(size, op))
FAST_SIZES(FAST_SHIFT_DEF, 4)
FAST_SIZES(FAST_SHIFT_DEF, 5)
FAST_SIZES(FAST_SHIFT_DEF, 7)
static const struct fast_fns fast_shift_fns[8][4] = {
    [4] = FAST_SIZE_ROW(FAST_SHIFT_NAME, 4),
    [5] = FAST_SIZE_ROW(FAST_SHIFT_NAME, 5),
    [7] = FAST_SIZE_ROW(FAST_SHIFT_NAME, 7),
};

#define FAST_JCC_DEF(cc)                                                                           \
	static int fast_jcc_##cc(struct x86_cpu *cpu, struct x86_insn *in)                         \
	{                                                                                          \
		return fast_jcc(cpu, in, cc, false);                                               \
	}                                                                                          \
	static int fast_jcc64_##cc(struct x86_cpu *cpu, struct x86_insn *in)                       \
	{                                                                                          \
		return fast_jcc(cpu, in, cc, true);                                                \
	}                                                                                          \
	FAST_THREADED(fast_jcc_##cc)                                                               \
	FAST_THREADED(fast_jcc64_##cc)
FAST_JCC_DEF(0)
FAST_JCC_DEF(1)
FAST_JCC_DEF(2)
FAST_JCC_DEF(3)
FAST_JCC_DEF(4)
FAST_JCC_DEF(5)
FAST_JCC_DEF(6)
FAST_JCC_DEF(7)
FAST_JCC_DEF(8)
FAST_JCC_DEF(9)
FAST_JCC_DEF(10)
FAST_JCC_DEF(11)
FAST_JCC_DEF(12)
FAST_JCC_DEF(13)
FAST_JCC_DEF(14)
FAST_JCC_DEF(15)
#define FAST_JCC_ROW(p)                                                                            \
	{FAST_PAIR(p##0),  FAST_PAIR(p##1),  FAST_PAIR(p##2),  FAST_PAIR(p##3),	 FAST_PAIR(p##4),  \
	 FAST_PAIR(p##5),  FAST_PAIR(p##6),  FAST_PAIR(p##7),  FAST_PAIR(p##8),	 FAST_PAIR(p##9),  \
	 FAST_PAIR(p##10), FAST_PAIR(p##11), FAST_PAIR(p##12), FAST_PAIR(p##13), FAST_PAIR(p##14), \
	 FAST_PAIR(p##15)}
static const struct fast_fns fast_jcc_fns[2][16] = {FAST_JCC_ROW(fast_jcc_), FAST_JCC_ROW(fast_jcc64_)};

static int fast_jmp(struct x86_cpu *cpu, struct x86_insn *in)
{
	return fast_branch(cpu, in, cpu->next_rip + in->imm);
}
FAST_THREADED(fast_jmp)

/* MOVZX, MOVSX, MOVSXD from a register or memory (sizes vary: few forms). */
static FAST_INLINE int fast_movx(struct x86_cpu *cpu, struct x86_insn *in, bool sext,
				 enum fast_form form)
{
	unsigned ss = in->size[1];
	uint64_t v;
	if (form == FF_RM) {
		uint8_t *q = fast_mem(cpu, in, ss, ACC_READ);
		if (!q)
			return X86_SLOW;
		v = mem_load(q, ss);
	} else {
		v = cpu->s.gpr[in->regno[1]] & x86_mask(ss);
	}
	if (sext)
		v = x86_sext(v, ss);
	fast_reg_write(cpu, in->regno[0], in->size[0], v);
	return X86_OK;
}

static int fast_movzx_rr(struct x86_cpu *cpu, struct x86_insn *in)
{
	return fast_movx(cpu, in, false, FF_RR);
}
FAST_THREADED(fast_movzx_rr)

static int fast_movzx_rm(struct x86_cpu *cpu, struct x86_insn *in)
{
	return fast_movx(cpu, in, false, FF_RM);
}
FAST_THREADED(fast_movzx_rm)

static int fast_movsx_rr(struct x86_cpu *cpu, struct x86_insn *in)
{
	return fast_movx(cpu, in, true, FF_RR);
}
FAST_THREADED(fast_movsx_rr)

static int fast_movsx_rm(struct x86_cpu *cpu, struct x86_insn *in)
{
	return fast_movx(cpu, in, true, FF_RM);
}
FAST_THREADED(fast_movsx_rm)

static int fast_lea(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t off;
	opnd_ea(cpu, in, &off);
	fast_reg_write(cpu, in->regno[0], in->opsize, off);
	return X86_OK;
}
FAST_THREADED(fast_lea)

/*
 * 64-bit code with a 64-bit operand size only: SS has base 0 and no limit,
 * so the stack slot is RSP itself.
 */
static int fast_call64(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t target = cpu->next_rip + in->imm, sp = cpu->s.gpr[X86_RSP] - 8;
	if (fast_noncanonical(target))
		return x86_gp(cpu, 0);
	uint8_t *p = mem_fast64(cpu, sp, 8, ACC_WRITE);
	if (!p)
		return X86_SLOW;
	mem_store(p, 8, cpu->next_rip);
	cpu->s.gpr[X86_RSP] = sp;
	cpu->next_rip = target;
	return X86_BRANCH;
}
FAST_THREADED(fast_call64)

static int fast_ret64(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t sp = cpu->s.gpr[X86_RSP];
	uint8_t *p = mem_fast64(cpu, sp, 8, ACC_READ);
	if (!p)
		return X86_SLOW;
	uint64_t target = mem_load(p, 8);
	if (fast_noncanonical(target))
		return x86_gp(cpu, 0);
	cpu->s.gpr[X86_RSP] = sp + 8;
	cpu->next_rip = target;
	return X86_BRANCH;
}
FAST_THREADED(fast_ret64)

static int fast_push64(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t v = cpu->s.gpr[in->regno[0]], sp = cpu->s.gpr[X86_RSP] - 8;
	uint8_t *p = mem_fast64(cpu, sp, 8, ACC_WRITE);
	if (!p)
		return X86_SLOW;
	mem_store(p, 8, v);
	cpu->s.gpr[X86_RSP] = sp;
	return X86_OK;
}
FAST_THREADED(fast_push64)

static int fast_pop64(struct x86_cpu *cpu, struct x86_insn *in)
{
	uint64_t sp = cpu->s.gpr[X86_RSP];
	uint8_t *p = mem_fast64(cpu, sp, 8, ACC_READ);
	if (!p)
		return X86_SLOW;
	cpu->s.gpr[X86_RSP] = sp + 8;
	cpu->s.gpr[in->regno[0]] = mem_load(p, 8); /* POP RSP: the loaded value wins */
	return X86_OK;
}
FAST_THREADED(fast_pop64)

/* The form of a two-operand instruction, or -1. */
static int fast_form(const struct x86_insn *in)
{
	uint8_t k0 = in->kind[0], k1 = in->kind[1];
	bool m0 = k0 == OK_MEM || k0 == OK_MEM_RMW;
	if (k0 == OK_REG && k1 == OK_REG)
		return FF_RR;
	if (k0 == OK_REG && k1 == OK_IMM)
		return FF_RI;
	if (k0 == OK_REG && k1 == OK_MEM)
		return FF_RM;
	if (m0 && k1 == OK_REG)
		return FF_MR;
	if (m0 && k1 == OK_IMM)
		return FF_MI;
	return -1;
}

static int fast_size_index(unsigned size)
{
	return size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : size == 8 ? 3 : -1;
}

static struct fast_fns fast_choose(const struct x86_insn *in)
{
	x86_exec_fn fn = in->op->fn;
	const struct fast_fns general = {cpu_general, fast_general_t};
	int form = fast_form(in), si = fast_size_index(in->size[0]);
	bool one_size = form == FF_RI || form == FF_MI || in->size[0] == in->size[1];
	bool reg0 = in->kind[0] == OK_REG;
	/* Memory operands: only where fast_mem's shortcut holds. */
	bool flat = in->bits == 64 && in->adsize == 8 && in->seg < X86_FS;
	if (in->checks)
		return general;
	if (!flat && (form == FF_RM || form == FF_MR || form == FF_MI))
		return general;
	if (fn == ex_jcc)
		return fast_jcc_fns[in->bits == 64][in->opcode & 0xF];
	if (fn == ex_jmp)
		return (struct fast_fns)FAST_PAIR(fast_jmp);
	if (in->bits == 64 && in->opsize == 8) {
		if (fn == ex_call)
			return (struct fast_fns)FAST_PAIR(fast_call64);
		if (fn == ex_ret && in->opcode == 0xC3)
			return (struct fast_fns)FAST_PAIR(fast_ret64);
		if (fn == ex_push && reg0)
			return (struct fast_fns)FAST_PAIR(fast_push64);
		if (fn == ex_pop && reg0)
			return (struct fast_fns)FAST_PAIR(fast_pop64);
	}
	if (si < 0)
		return general;
	int sub = (in->modrm >> 3) & 7;
	if ((fn == ex_alu || fn == ex_alu_ai) && form >= 0 && one_size) {
		bool low = in->map == MAP_1B && in->opcode < 0x40;
		return fast_alu_fns[low ? (in->opcode >> 3) & 7 : sub][form][si];
	}
	if (fn == ex_test && form >= 0 && form != FF_RM && one_size)
		return fast_alu_fns[8][form][si];
	if (fn == ex_mov && form >= 0 && one_size) {
		bool bd = !in->riprel && in->base >= 0 && in->index < 0;
		if (bd && (form == FF_RM || form == FF_MR))
			return fast_mov_fns[form == FF_RM ? FF_RMB : FF_MRB][si];
		return fast_mov_fns[form][si];
	}
	if (fn == ex_incdec && (reg0 || (flat && in->kind[0] == OK_MEM_RMW))) {
		bool dec = in->map == MAP_1B && in->opcode >= 0x40 && in->opcode < 0x50
			       ? in->opcode >= 0x48
			       : ((in->modrm >> 3) & 1);
		return fast_incdec_fns[dec][reg0 ? 0 : 1][si];
	}
	if (fn == ex_shift && reg0 && in->kind[1] == OK_IMM && fast_shift_fns[sub][si].fn)
		return fast_shift_fns[sub][si];
	if ((fn == ex_movzx || fn == ex_movsx || fn == ex_movsxd) && reg0 &&
	    (in->kind[1] == OK_REG || (flat && in->kind[1] == OK_MEM)) &&
	    fast_size_index(in->size[1]) >= 0) {
		bool rr = in->kind[1] == OK_REG;
		if (fn == ex_movzx)
			return rr ? (struct fast_fns)FAST_PAIR(fast_movzx_rr)
				  : (struct fast_fns)FAST_PAIR(fast_movzx_rm);
		return rr ? (struct fast_fns)FAST_PAIR(fast_movsx_rr)
			  : (struct fast_fns)FAST_PAIR(fast_movsx_rm);
	}
	if (fn == ex_lea && reg0 && in->mod != 3)
		return (struct fast_fns)FAST_PAIR(fast_lea);
	return general;
}

void fast_pick(struct x86_insn *in)
{
	struct fast_fns f = fast_choose(in);
	in->fn = f.fn;
	in->tfn = f.tfn;
}
