/*
 * lapic.c - the local APIC model (see lapic.h).  Registers are numbered by
 * their xAPIC offset >> 4, which is also their x2APIC MSR minus 0x800, so
 * both interfaces share lapic_reg_read/lapic_reg_write and differ only in the
 * access rules (SDM 10.4.1 table 10-1, 10.12.1.2 table 10-6).  Callbacks that
 * may re-enter an APIC (IPIs, EOIs) and kicks run after the mutex is released.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "devices/lapic.h"

/* Register numbers (xAPIC offset >> 4 = x2APIC MSR - 0x800). */
enum {
	REG_ID = 0x02,
	REG_VERSION = 0x03,
	REG_TPR = 0x08,
	REG_APR = 0x09,
	REG_PPR = 0x0A,
	REG_EOI = 0x0B,
	REG_RRD = 0x0C,
	REG_LDR = 0x0D,
	REG_DFR = 0x0E,
	REG_SVR = 0x0F,
	REG_ISR = 0x10, /* 8 registers each */
	REG_TMR = 0x18,
	REG_IRR = 0x20,
	REG_ESR = 0x28,
	REG_ICR = 0x30,
	REG_ICR2 = 0x31,
	REG_LVT_TIMER = 0x32, /* the 6 LVT entries, in this order */
	REG_LVT_THERMAL = 0x33,
	REG_LVT_PERF = 0x34,
	REG_LVT_LINT0 = 0x35,
	REG_LVT_LINT1 = 0x36,
	REG_LVT_ERROR = 0x37,
	REG_TMICT = 0x38,
	REG_TMCCT = 0x39,
	REG_TDCR = 0x3E,
	REG_SELF_IPI = 0x3F, /* x2APIC only */
};

#define LVT_N	  6
#define LVT_TIMER 0
#define LVT_LINT0 3
#define LVT_LINT1 4
#define LVT_ERROR 5

#define LVT_MASKED    (1u << 16)
#define LVT_MODE(v)   (((v) >> 8) & 7)
#define TIMER_MODE(v) (((v) >> 17) & 3)
enum { TIMER_ONESHOT, TIMER_PERIODIC, TIMER_TSC_DEADLINE };

/* Writable bits of each LVT entry (delivery status and remote IRR are
 * read-only and always 0 here: messages are delivered at once). */
static const uint32_t lvt_writable[LVT_N] = {
    [LVT_TIMER] = 0x000700FF, /* vector, mask, timer mode */
    [1] = 0x000107FF,	      /* thermal: vector, delivery mode, mask */
    [2] = 0x000107FF,	      /* performance counters */
    [LVT_LINT0] = 0x0001A7FF, /* + polarity, trigger mode */
    [LVT_LINT1] = 0x0001A7FF, [LVT_ERROR] = 0x000100FF,
};

#define SVR_ENABLE	0x100
#define SVR_WRITABLE	0x3FF /* vector, software enable, focus-check disable */
#define ICR_WRITABLE	0x000CCFFF
#define ICR_LEVEL	(1u << 14)
#define TDCR_WRITABLE	0xB
#define DFR_FIXED	0x0FFFFFFF
#define APIC_BASE_ADDR	0x000FFFFFFFFFF000ULL /* 52-bit physical addresses */
#define APIC_BASE_VALID (APIC_BASE_ADDR | APIC_BASE_EN | APIC_BASE_EXTD | APIC_BASE_BSP)

/* ESR bits (SDM figure 10-9). */
#define ESR_SEND_ILLEGAL (1u << 5)
#define ESR_RECV_ILLEGAL (1u << 6)
#define ESR_ILLEGAL_REG	 (1u << 7)
#define ESR_BITS	 0xE0u

#define NO_DEADLINE UINT64_MAX

/*
 * Everything lapic_save() writes.  Only 64- and 32-bit fields, 64-bit ones
 * first: no padding, so the bytes are the state.
 */
struct lapic_state {
	uint64_t apic_base;
	uint64_t tsc_deadline;
	uint64_t timer_base_ns;	 /* the count was timer_base_cnt then */
	uint64_t timer_deadline; /* next expiry (ns), NO_DEADLINE if none */
	uint32_t id;
	uint32_t tpr, ldr, dfr, svr;
	uint32_t isr[8], tmr[8], irr[8];
	uint32_t esr, esr_pending;
	uint32_t icr_lo, icr_hi;
	uint32_t lvt[LVT_N];
	uint32_t tmict, tdcr;
	uint32_t timer_base_cnt;
	uint32_t timer_running; /* the count has not reached 0 (one-shot) */
	uint32_t nmi_pending, init_pending, wait_sipi;
	int32_t sipi_vector; /* -1: none */
};

#define LAPIC_SAVE_MAGIC 0x4C415031u /* "LAP1" */

struct lapic {
	pthread_mutex_t lock;
	struct lapic_ops ops;
	uint32_t initial_id;
	bool bsp;
	struct lapic_state s;
};

/* What a locked operation leaves for after the unlock. */
struct lapic_out {
	bool kick;
	bool ipi;
	uint32_t ipi_lo, ipi_dest;
	int eoi_vector;
};

static void lapic_flush(struct lapic *l, const struct lapic_out *o)
{
	if (o->ipi && l->ops.send_ipi)
		l->ops.send_ipi(l->ops.opaque, o->ipi_lo, o->ipi_dest);
	if (o->eoi_vector >= 0 && l->ops.eoi)
		l->ops.eoi(l->ops.opaque, (uint8_t)o->eoi_vector);
	if (o->kick && l->ops.kick)
		l->ops.kick(l->ops.opaque);
}

#define OUT_INIT                                                                                   \
	{                                                                                          \
		.eoi_vector = -1                                                                   \
	}

static uint64_t lapic_now(struct lapic *l)
{
	return l->ops.now_ns ? l->ops.now_ns(l->ops.opaque) : 0;
}

static uint64_t lapic_tsc(struct lapic *l)
{
	return l->ops.tsc ? l->ops.tsc(l->ops.opaque) : lapic_now(l);
}

static bool hw_enabled(const struct lapic *l)
{
	return l->s.apic_base & APIC_BASE_EN;
}

static bool x2apic(const struct lapic *l)
{
	return (l->s.apic_base & (APIC_BASE_EN | APIC_BASE_EXTD)) ==
	       (APIC_BASE_EN | APIC_BASE_EXTD);
}

static bool sw_enabled(const struct lapic *l)
{
	return l->s.svr & SVR_ENABLE;
}

/* --- the 256-bit vector registers --- */

static bool vec_test(const uint32_t *r, unsigned v)
{
	return r[v >> 5] >> (v & 31) & 1;
}

static void vec_set(uint32_t *r, unsigned v)
{
	r[v >> 5] |= 1u << (v & 31);
}

static void vec_clear(uint32_t *r, unsigned v)
{
	r[v >> 5] &= ~(1u << (v & 31));
}

/* Highest set vector, or -1. */
static int vec_highest(const uint32_t *r)
{
	for (int i = 7; i >= 0; i--)
		if (r[i])
			return i * 32 + 31 - __builtin_clz(r[i]);
	return -1;
}

/* --- priorities (SDM 10.8.3.1) --- */

static uint32_t lapic_ppr(const struct lapic *l)
{
	int isrv = vec_highest(l->s.isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0;
	return (l->s.tpr & 0xF0) >= isr_class ? l->s.tpr : isr_class;
}

/* SDM 10.6.2.4: the arbitration priority. */
static uint32_t lapic_apr(const struct lapic *l)
{
	int isrv = vec_highest(l->s.isr), irrv = vec_highest(l->s.irr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0;
	uint32_t irr_class = irrv < 0 ? 0 : (uint32_t)irrv & 0xF0;
	uint32_t tpr = l->s.tpr;
	if ((tpr & 0xF0) >= irr_class && (tpr & 0xF0) > isr_class)
		return tpr;
	uint32_t m = tpr & 0xF0;
	if (isr_class > m)
		m = isr_class;
	if (irr_class > m)
		m = irr_class;
	return m;
}

static int lapic_pending_locked(const struct lapic *l)
{
	if (!hw_enabled(l))
		return -1;
	int v = vec_highest(l->s.irr);
	if (v < 0 || ((uint32_t)v & 0xF0) <= (lapic_ppr(l) & 0xF0))
		return -1;
	return v;
}

static void lapic_check_kick(struct lapic *l, struct lapic_out *o)
{
	if (lapic_pending_locked(l) >= 0)
		o->kick = true;
}

/* --- accepting interrupts --- */

static void lapic_error(struct lapic *l, uint32_t bits, struct lapic_out *o);

/* A fixed interrupt enters IRR (SDM 10.8.4). */
static void lapic_accept(struct lapic *l, uint8_t vector, bool level, struct lapic_out *o)
{
	if (vector < 16) {
		lapic_error(l, ESR_RECV_ILLEGAL, o);
		return;
	}
	vec_set(l->s.irr, vector);
	if (level)
		vec_set(l->s.tmr, vector);
	else
		vec_clear(l->s.tmr, vector);
	lapic_check_kick(l, o);
}

/*
 * Record errors in the ESR's accumulator and raise the error LVT interrupt
 * for bits not already pending.  An illegal error vector only adds the
 * receive-illegal bit, so this never recurses more than once.
 */
static void lapic_error(struct lapic *l, uint32_t bits, struct lapic_out *o)
{
	uint32_t fresh = bits & ~l->s.esr_pending;
	l->s.esr_pending |= bits;
	uint32_t lvt = l->s.lvt[LVT_ERROR];
	if (!fresh || (lvt & LVT_MASKED))
		return;
	lapic_accept(l, (uint8_t)lvt, false, o);
}

/* An interrupt from the local vector table. */
static void lapic_local_intr(struct lapic *l, unsigned which, struct lapic_out *o)
{
	uint32_t lvt = l->s.lvt[which];
	if (lvt & LVT_MASKED)
		return;
	lapic_accept(l, (uint8_t)lvt, false, o);
}

/* --- the timer (SDM 10.5.4) --- */

static uint64_t timer_div(const struct lapic *l)
{
	unsigned v = (l->s.tdcr & 3) | (l->s.tdcr >> 1 & 4);
	return v == 7 ? 1 : 2ULL << v;
}

static unsigned timer_mode(const struct lapic *l)
{
	return TIMER_MODE(l->s.lvt[LVT_TIMER]);
}

/* The current count at now (one tick = div ns, LAPIC_TIMER_HZ = 1 GHz). */
static uint32_t timer_count(const struct lapic *l, uint64_t now)
{
	unsigned mode = timer_mode(l);
	if (!l->s.timer_running || mode > TIMER_PERIODIC)
		return 0;
	uint64_t e = now > l->s.timer_base_ns ? (now - l->s.timer_base_ns) / timer_div(l) : 0;
	if (e < l->s.timer_base_cnt)
		return (uint32_t)(l->s.timer_base_cnt - e);
	if (mode == TIMER_ONESHOT || !l->s.tmict)
		return 0;
	return l->s.tmict - (uint32_t)((e - l->s.timer_base_cnt) % l->s.tmict);
}

static uint64_t timer_period_ns(const struct lapic *l)
{
	uint64_t p = (uint64_t)l->s.tmict * timer_div(l);
	return p < LAPIC_MIN_PERIOD_NS ? LAPIC_MIN_PERIOD_NS : p;
}

/* Tell the glue when to call lapic_timer_expired; a masked timer sleeps. */
static void timer_program(struct lapic *l)
{
	uint64_t when = NO_DEADLINE;
	if (l->s.timer_deadline != NO_DEADLINE && !(l->s.lvt[LVT_TIMER] & LVT_MASKED) &&
	    hw_enabled(l))
		when = l->s.timer_deadline;
	if (l->ops.timer_arm)
		l->ops.timer_arm(l->ops.opaque, when);
}

/* Restart counting from `cnt` at now (initial count, divider or mode change). */
static void timer_rebase(struct lapic *l, uint64_t now, uint32_t cnt)
{
	l->s.timer_base_ns = now;
	l->s.timer_base_cnt = cnt;
	l->s.timer_running = cnt != 0;
	l->s.timer_deadline = cnt ? now + (uint64_t)cnt * timer_div(l) : NO_DEADLINE;
}

/* ns at which the TSC reaches the deadline (now if already reached). */
static uint64_t tsc_deadline_ns(struct lapic *l, uint64_t now)
{
	uint64_t tsc = lapic_tsc(l), hz = l->ops.tsc_hz ? l->ops.tsc_hz : 1000000000ULL;
	if (tsc >= l->s.tsc_deadline)
		return now;
	unsigned __int128 ns =
	    ((unsigned __int128)(l->s.tsc_deadline - tsc) * 1000000000ULL + hz - 1) / hz;
	return ns >= NO_DEADLINE - now ? NO_DEADLINE - 1 : now + (uint64_t)ns;
}

/* Expire what is due by now: deliver (if unmasked) once, however many
 * periods passed, and compute the next deadline. */
static void timer_update(struct lapic *l, uint64_t now, struct lapic_out *o)
{
	bool due = false;
	if (timer_mode(l) == TIMER_TSC_DEADLINE) {
		if (l->s.tsc_deadline && lapic_tsc(l) >= l->s.tsc_deadline) {
			due = true;
			l->s.tsc_deadline = 0;
			l->s.timer_deadline = NO_DEADLINE;
		} else if (l->s.tsc_deadline) {
			l->s.timer_deadline = tsc_deadline_ns(l, now);
		}
	} else if (l->s.timer_deadline != NO_DEADLINE && now >= l->s.timer_deadline) {
		due = true;
		if (timer_mode(l) == TIMER_PERIODIC && l->s.tmict) {
			uint64_t p = timer_period_ns(l);
			l->s.timer_deadline += p * ((now - l->s.timer_deadline) / p + 1);
		} else {
			l->s.timer_running = false;
			l->s.timer_deadline = NO_DEADLINE;
		}
	}
	if (due)
		lapic_local_intr(l, LVT_TIMER, o);
	timer_program(l);
}

static void timer_write_lvt(struct lapic *l, uint32_t val, struct lapic_out *o)
{
	uint64_t now = lapic_now(l);
	unsigned old = timer_mode(l), mode = TIMER_MODE(val);
	uint32_t cnt = timer_count(l, now);
	bool was_masked = l->s.lvt[LVT_TIMER] & LVT_MASKED;
	l->s.lvt[LVT_TIMER] = val;
	if ((old == TIMER_TSC_DEADLINE) != (mode == TIMER_TSC_DEADLINE) || mode == 3) {
		/* Entering or leaving TSC-deadline mode disarms the timer. */
		l->s.tsc_deadline = 0;
		timer_rebase(l, now, 0);
	} else if (old != mode) {
		timer_rebase(l, now, cnt);
	} else if (was_masked && !(val & LVT_MASKED) && l->s.timer_deadline != NO_DEADLINE &&
		   now >= l->s.timer_deadline && mode != TIMER_TSC_DEADLINE) {
		/* Expiries that passed while masked are lost: skip them. */
		if (mode == TIMER_PERIODIC && l->s.tmict) {
			uint64_t p = timer_period_ns(l);
			l->s.timer_deadline += p * ((now - l->s.timer_deadline) / p + 1);
		} else {
			timer_rebase(l, now, 0);
		}
	}
	timer_update(l, now, o);
}

/* --- INIT, reset --- */

/* Register state after power-up or INIT (SDM 10.4.7.1, 10.4.7.3). */
static void lapic_clear_regs(struct lapic *l)
{
	uint64_t base = l->s.apic_base;
	uint32_t id = l->s.id;
	memset(&l->s, 0, sizeof(l->s));
	l->s.apic_base = base;
	l->s.id = id;
	l->s.dfr = 0xFFFFFFFF;
	l->s.svr = 0xFF;
	for (unsigned i = 0; i < LVT_N; i++)
		l->s.lvt[i] = LVT_MASKED;
	l->s.timer_deadline = NO_DEADLINE;
	l->s.sipi_vector = -1;
}

void lapic_reset(struct lapic *l)
{
	pthread_mutex_lock(&l->lock);
	l->s.apic_base = LAPIC_DEFAULT_BASE | APIC_BASE_EN | (l->bsp ? APIC_BASE_BSP : 0);
	l->s.id = l->initial_id;
	lapic_clear_regs(l);
	if (l->bsp) /* LINT0 as ExtINT: see lapic.h */
		l->s.lvt[LVT_LINT0] = LAPIC_DM_EXTINT << 8;
	else
		l->s.wait_sipi = true; /* APs wait for the BSP's SIPI */
	timer_program(l);
	pthread_mutex_unlock(&l->lock);
}

struct lapic *lapic_create(uint32_t apic_id, bool bsp, const struct lapic_ops *ops)
{
	struct lapic *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	pthread_mutex_init(&l->lock, NULL);
	if (ops)
		l->ops = *ops;
	l->initial_id = apic_id;
	l->bsp = bsp;
	lapic_reset(l);
	return l;
}

void lapic_destroy(struct lapic *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->lock);
	free(l);
}

/* --- registers --- */

static uint32_t lapic_ldr(const struct lapic *l)
{
	if (x2apic(l)) /* SDM 10.12.10.2: cluster ID, then one bit of 16 */
		return (l->s.id >> 4) << 16 | 1u << (l->s.id & 0xF);
	return l->s.ldr;
}

/* Is register r implemented in the current mode? */
static bool reg_exists(const struct lapic *l, unsigned r)
{
	switch (r) {
	case REG_APR:
	case REG_RRD:
	case REG_DFR:
	case REG_ICR2:
		return !x2apic(l);
	case REG_SELF_IPI:
		return x2apic(l);
	case REG_ID:
	case REG_VERSION:
	case REG_TPR:
	case REG_PPR:
	case REG_EOI:
	case REG_LDR:
	case REG_SVR:
	case REG_ESR:
	case REG_ICR:
	case REG_TMICT:
	case REG_TMCCT:
	case REG_TDCR:
		return true;
	default:
		return (r >= REG_ISR && r < REG_ESR) || (r >= REG_LVT_TIMER && r <= REG_LVT_ERROR);
	}
}

static uint64_t lapic_reg_read(struct lapic *l, unsigned r)
{
	switch (r) {
	case REG_ID:
		return x2apic(l) ? l->s.id : (l->s.id & 0xFF) << 24;
	case REG_VERSION:
		return LAPIC_VERSION;
	case REG_TPR:
		return l->s.tpr;
	case REG_APR:
		return lapic_apr(l);
	case REG_PPR:
		return lapic_ppr(l);
	case REG_LDR:
		return lapic_ldr(l);
	case REG_DFR:
		return l->s.dfr | DFR_FIXED;
	case REG_SVR:
		return l->s.svr;
	case REG_ESR:
		return l->s.esr;
	case REG_ICR:
		return x2apic(l) ? (uint64_t)l->s.icr_hi << 32 | l->s.icr_lo : l->s.icr_lo;
	case REG_ICR2:
		return l->s.icr_hi;
	case REG_TMICT:
		return timer_mode(l) == TIMER_TSC_DEADLINE ? 0 : l->s.tmict;
	case REG_TMCCT:
		return timer_count(l, lapic_now(l));
	case REG_TDCR:
		return l->s.tdcr;
	default:
		if (r >= REG_ISR && r < REG_TMR)
			return l->s.isr[r - REG_ISR];
		if (r >= REG_TMR && r < REG_IRR)
			return l->s.tmr[r - REG_TMR];
		if (r >= REG_IRR && r < REG_ESR)
			return l->s.irr[r - REG_IRR];
		if (r >= REG_LVT_TIMER && r <= REG_LVT_ERROR)
			return l->s.lvt[r - REG_LVT_TIMER];
		return 0; /* EOI, RRD (no remote read), SELF IPI */
	}
}

/* EOI (SDM 10.8.5): retire the highest in-service vector. */
static void lapic_eoi(struct lapic *l, struct lapic_out *o)
{
	int v = vec_highest(l->s.isr);
	if (v < 0)
		return;
	vec_clear(l->s.isr, (unsigned)v);
	if (vec_test(l->s.tmr, (unsigned)v))
		o->eoi_vector = v;
	lapic_check_kick(l, o);
}

/* ICR write (SDM 10.6.1): check, then hand to the router after unlock. */
static void lapic_send(struct lapic *l, struct lapic_out *o)
{
	uint32_t lo = l->s.icr_lo;
	unsigned mode = LAPIC_ICR_MODE(lo);
	if ((mode == LAPIC_DM_FIXED || mode == LAPIC_DM_LOWEST) && LAPIC_ICR_VECTOR(lo) < 16) {
		lapic_error(l, ESR_SEND_ILLEGAL, o);
		return;
	}
	if (mode == 3 || mode == LAPIC_DM_EXTINT)
		return; /* reserved for IPIs */
	if (mode == LAPIC_DM_INIT && !(lo & ICR_LEVEL) && LAPIC_ICR_LEVEL_TRIG(lo))
		return; /* INIT level de-assert */
	o->ipi = true;
	o->ipi_lo = lo;
	o->ipi_dest = x2apic(l) ? l->s.icr_hi : l->s.icr_hi >> 24;
}

static void lapic_write_svr(struct lapic *l, uint32_t val, struct lapic_out *o)
{
	l->s.svr = val & SVR_WRITABLE;
	if (!(val & SVR_ENABLE)) { /* SDM 10.4.7.2: software disable masks every LVT */
		for (unsigned i = 0; i < LVT_N; i++)
			l->s.lvt[i] |= LVT_MASKED;
		timer_program(l);
	}
	lapic_check_kick(l, o);
}

static void lapic_write_lvt(struct lapic *l, unsigned i, uint32_t val, struct lapic_out *o)
{
	val &= lvt_writable[i];
	if (!sw_enabled(l))
		val |= LVT_MASKED;
	if (i == LVT_TIMER)
		timer_write_lvt(l, val, o);
	else
		l->s.lvt[i] = val;
}

/* A write the mode allows; val already checked against reserved bits. */
static void lapic_reg_write(struct lapic *l, unsigned r, uint64_t val, struct lapic_out *o)
{
	uint32_t v = (uint32_t)val;
	uint64_t now;
	switch (r) {
	case REG_TPR:
		l->s.tpr = v & 0xFF;
		lapic_check_kick(l, o);
		break;
	case REG_EOI:
		lapic_eoi(l, o);
		break;
	case REG_LDR:
		l->s.ldr = v & 0xFF000000;
		break;
	case REG_DFR:
		l->s.dfr = v | DFR_FIXED;
		break;
	case REG_SVR:
		lapic_write_svr(l, v, o);
		break;
	case REG_ESR: /* the write latches the errors seen since the last one */
		l->s.esr = l->s.esr_pending;
		l->s.esr_pending = 0;
		break;
	case REG_ICR:
		l->s.icr_lo = v & ICR_WRITABLE;
		if (x2apic(l))
			l->s.icr_hi = (uint32_t)(val >> 32);
		lapic_send(l, o);
		break;
	case REG_ICR2:
		l->s.icr_hi = v & 0xFF000000;
		break;
	case REG_TMICT:
		if (timer_mode(l) == TIMER_TSC_DEADLINE)
			break;
		now = lapic_now(l);
		l->s.tmict = v;
		/* Timer mode 3 is reserved: the count does not start. */
		timer_rebase(l, now, timer_mode(l) == 3 ? 0 : v);
		timer_update(l, now, o);
		break;
	case REG_TDCR:
		now = lapic_now(l);
		{
			uint32_t cnt = timer_count(l, now);
			l->s.tdcr = v & TDCR_WRITABLE;
			if (l->s.timer_running && timer_mode(l) != TIMER_TSC_DEADLINE)
				timer_rebase(l, now, cnt);
		}
		timer_update(l, now, o);
		break;
	case REG_SELF_IPI:
		lapic_accept(l, (uint8_t)v, false, o);
		break;
	default:
		if (r >= REG_LVT_TIMER && r <= REG_LVT_ERROR)
			lapic_write_lvt(l, r - REG_LVT_TIMER, v, o);
		break; /* read-only registers: writes ignored in xAPIC mode */
	}
}

/* --- xAPIC MMIO --- */

uint64_t lapic_mmio_base(struct lapic *l)
{
	pthread_mutex_lock(&l->lock);
	uint64_t b = hw_enabled(l) && !x2apic(l) ? l->s.apic_base & APIC_BASE_ADDR : UINT64_MAX;
	pthread_mutex_unlock(&l->lock);
	return b;
}

static bool mmio_decoded(const struct lapic *l)
{
	return hw_enabled(l) && !x2apic(l);
}

uint64_t lapic_mmio_read(struct lapic *l, uint64_t off, unsigned size)
{
	struct lapic_out o = OUT_INIT;
	uint64_t val = 0;
	if (size == 0 || size > 8)
		return 0;
	pthread_mutex_lock(&l->lock);
	if (!mmio_decoded(l)) {
		val = size == 8 ? UINT64_MAX : (1ULL << (8 * size)) - 1;
		goto out;
	}
	for (unsigned i = 0; i < size; i++) {
		uint64_t a = off + i;
		if (a > 0xFFF || (a & 0xF) > 3)
			continue;
		unsigned r = (unsigned)(a >> 4);
		if (!reg_exists(l, r)) {
			if ((a & 0xF) == 0)
				lapic_error(l, ESR_ILLEGAL_REG, &o);
			continue;
		}
		uint32_t reg = (uint32_t)lapic_reg_read(l, r);
		val |= (uint64_t)(uint8_t)(reg >> (8 * (a & 3))) << (8 * i);
	}
out:
	pthread_mutex_unlock(&l->lock);
	lapic_flush(l, &o);
	return val;
}

void lapic_mmio_write(struct lapic *l, uint64_t off, unsigned size, uint64_t val)
{
	struct lapic_out o = OUT_INIT;
	if (off > 0xFFF || (off & 0xF) || (size != 4 && size != 8))
		return; /* narrower or misaligned stores: model specific, dropped */
	pthread_mutex_lock(&l->lock);
	if (mmio_decoded(l)) {
		unsigned r = (unsigned)(off >> 4);
		if (!reg_exists(l, r))
			lapic_error(l, ESR_ILLEGAL_REG, &o);
		else
			lapic_reg_write(l, r, (uint32_t)val, &o);
	}
	pthread_mutex_unlock(&l->lock);
	lapic_flush(l, &o);
}

/* --- MSRs --- */

/* x2APIC registers software may write, and the bits they accept. */
static bool x2apic_writable(unsigned r, uint64_t *mask)
{
	switch (r) {
	case REG_TPR:
	case REG_SELF_IPI:
		*mask = 0xFF;
		return true;
	case REG_EOI:
	case REG_ESR:
		*mask = 0; /* only 0 may be written */
		return true;
	case REG_SVR:
		*mask = SVR_WRITABLE;
		return true;
	case REG_ICR:
		*mask = 0xFFFFFFFF00000000ULL | ICR_WRITABLE;
		return true;
	case REG_TMICT:
		*mask = 0xFFFFFFFF;
		return true;
	case REG_TDCR:
		*mask = TDCR_WRITABLE;
		return true;
	default:
		if (r >= REG_LVT_TIMER && r <= REG_LVT_ERROR) {
			*mask = lvt_writable[r - REG_LVT_TIMER];
			return true;
		}
		return false;
	}
}

/* SDM 10.12.5: the legal IA32_APIC_BASE transitions. */
static int lapic_write_base(struct lapic *l, uint64_t val)
{
	if (val & ~APIC_BASE_VALID)
		return -1;
	uint64_t old = l->s.apic_base;
	bool en = val & APIC_BASE_EN, extd = val & APIC_BASE_EXTD;
	bool was_en = old & APIC_BASE_EN, was_extd = old & APIC_BASE_EXTD;
	if (extd && !en)
		return -1; /* the invalid state */
	if (was_en && was_extd && en && !extd)
		return -1; /* x2APIC -> xAPIC must go through disabled */
	if (!was_en && en && extd)
		return -1; /* disabled -> x2APIC must go through xAPIC */
	/* The BSP flag is the hardware's: writes leave it as it is. */
	l->s.apic_base = (val & ~APIC_BASE_BSP) | (old & APIC_BASE_BSP);
	if (was_en && !en) {
		/* SDM 10.4.3: disabling returns the APIC to its reset state;
		 * the x2APIC ID is preserved (10.12.5.1). */
		lapic_clear_regs(l);
		timer_program(l);
	}
	return 0;
}

int lapic_rdmsr(struct lapic *l, uint32_t msr, uint64_t *val)
{
	int ret = 0;
	pthread_mutex_lock(&l->lock);
	if (msr == MSR_IA32_APIC_BASE) {
		*val = l->s.apic_base;
	} else if (msr == MSR_IA32_TSC_DEADLINE) {
		*val = timer_mode(l) == TIMER_TSC_DEADLINE ? l->s.tsc_deadline : 0;
	} else if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST && x2apic(l)) {
		unsigned r = msr - MSR_X2APIC_FIRST;
		if (!reg_exists(l, r) || r == REG_EOI || r == REG_SELF_IPI)
			ret = -1; /* reserved or write-only */
		else
			*val = lapic_reg_read(l, r);
	} else {
		ret = -1;
	}
	pthread_mutex_unlock(&l->lock);
	return ret;
}

int lapic_wrmsr(struct lapic *l, uint32_t msr, uint64_t val)
{
	struct lapic_out o = OUT_INIT;
	int ret = 0;
	uint64_t mask;
	pthread_mutex_lock(&l->lock);
	if (msr == MSR_IA32_APIC_BASE) {
		ret = lapic_write_base(l, val);
	} else if (msr == MSR_IA32_TSC_DEADLINE) {
		if (timer_mode(l) == TIMER_TSC_DEADLINE) {
			l->s.tsc_deadline = val;
			l->s.timer_deadline = NO_DEADLINE;
			timer_update(l, lapic_now(l), &o);
		}
	} else if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST && x2apic(l)) {
		unsigned r = msr - MSR_X2APIC_FIRST;
		if (!reg_exists(l, r) || !x2apic_writable(r, &mask) || (val & ~mask))
			ret = -1; /* reserved, read-only, or reserved bits set */
		else
			lapic_reg_write(l, r, val, &o);
	} else {
		ret = -1;
	}
	pthread_mutex_unlock(&l->lock);
	lapic_flush(l, &o);
	return ret;
}

/* --- deliveries --- */

void lapic_deliver(struct lapic *l, unsigned delivery_mode, uint8_t vector, bool level_trig)
{
	struct lapic_out o = OUT_INIT;
	pthread_mutex_lock(&l->lock);
	if (!hw_enabled(l))
		goto out;
	switch (delivery_mode) {
	case LAPIC_DM_FIXED:
	case LAPIC_DM_LOWEST:
		/* SDM 10.4.7.2: a software-disabled APIC takes only NMI,
		 * INIT, SMI and SIPI. */
		if (sw_enabled(l))
			lapic_accept(l, vector, level_trig, &o);
		break;
	case LAPIC_DM_NMI:
		l->s.nmi_pending = true;
		o.kick = true;
		break;
	case LAPIC_DM_INIT:
		/* SDM 10.4.7.3: INIT resets all but the ID (and the base MSR). */
		lapic_clear_regs(l);
		timer_program(l);
		l->s.init_pending = true;
		l->s.wait_sipi = true;
		o.kick = true;
		break;
	case LAPIC_DM_SIPI:
		if (l->s.wait_sipi) { /* a running CPU ignores SIPIs */
			l->s.wait_sipi = false;
			l->s.sipi_vector = vector;
			o.kick = true;
		}
		break;
	default: /* SMI (no SMM), ExtINT (the 8259 reaches LINT0 only) */
		break;
	}
out:
	pthread_mutex_unlock(&l->lock);
	lapic_flush(l, &o);
}

bool lapic_match_dest(struct lapic *l, uint32_t dest, bool logical, unsigned shorthand, bool self)
{
	bool m = false;
	pthread_mutex_lock(&l->lock);
	if (!hw_enabled(l))
		goto out;
	switch (shorthand & 3) {
	case LAPIC_SH_SELF:
		m = self;
		goto out;
	case LAPIC_SH_ALL:
		m = true;
		goto out;
	case LAPIC_SH_OTHERS:
		m = !self;
		goto out;
	}
	if (x2apic(l)) {
		if (dest == 0xFFFFFFFF)
			m = true;
		else if (!logical)
			m = dest == l->s.id;
		else /* SDM 10.12.10.1: cluster in 31:16, a bit mask in 15:0 */
			m = (dest >> 16) == (lapic_ldr(l) >> 16) && (dest & lapic_ldr(l) & 0xFFFF);
		goto out;
	}
	dest &= 0xFF;
	if (dest == 0xFF) {
		m = true;
	} else if (!logical) {
		m = dest == (l->s.id & 0xFF);
	} else {
		uint32_t ldr = l->s.ldr >> 24;
		if ((l->s.dfr >> 28) == 0xF) /* flat model: a bit per APIC */
			m = dest & ldr;
		else /* cluster model: cluster in 7:4, a bit mask in 3:0 */
			m = (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xF);
	}
out:
	pthread_mutex_unlock(&l->lock);
	return m;
}

uint8_t lapic_arb_priority(struct lapic *l)
{
	pthread_mutex_lock(&l->lock);
	uint8_t apr = (uint8_t)lapic_apr(l);
	pthread_mutex_unlock(&l->lock);
	return apr;
}

/* --- the CPU side --- */

int lapic_intr_pending(struct lapic *l)
{
	pthread_mutex_lock(&l->lock);
	int v = lapic_pending_locked(l);
	pthread_mutex_unlock(&l->lock);
	return v;
}

int lapic_intr_ack(struct lapic *l)
{
	pthread_mutex_lock(&l->lock);
	int v = lapic_pending_locked(l);
	if (v >= 0) {
		vec_clear(l->s.irr, (unsigned)v);
		vec_set(l->s.isr, (unsigned)v);
	} else {
		v = l->s.svr & 0xFF;
	}
	pthread_mutex_unlock(&l->lock);
	return v;
}

bool lapic_nmi_pending(struct lapic *l)
{
	pthread_mutex_lock(&l->lock);
	bool p = l->s.nmi_pending;
	pthread_mutex_unlock(&l->lock);
	return p;
}

void lapic_nmi_ack(struct lapic *l)
{
	pthread_mutex_lock(&l->lock);
	l->s.nmi_pending = false;
	pthread_mutex_unlock(&l->lock);
}

bool lapic_extint_enabled(struct lapic *l)
{
	pthread_mutex_lock(&l->lock);
	uint32_t lvt0 = l->s.lvt[LVT_LINT0];
	bool e = !hw_enabled(l) || (!(lvt0 & LVT_MASKED) && LVT_MODE(lvt0) == LAPIC_DM_EXTINT);
	pthread_mutex_unlock(&l->lock);
	return e;
}

bool lapic_take_init(struct lapic *l)
{
	pthread_mutex_lock(&l->lock);
	bool i = l->s.init_pending;
	l->s.init_pending = false;
	pthread_mutex_unlock(&l->lock);
	return i;
}

int lapic_take_sipi(struct lapic *l)
{
	pthread_mutex_lock(&l->lock);
	int v = l->s.sipi_vector;
	l->s.sipi_vector = -1;
	pthread_mutex_unlock(&l->lock);
	return v;
}

void lapic_set_cr8(struct lapic *l, uint8_t tpr4)
{
	struct lapic_out o = OUT_INIT;
	pthread_mutex_lock(&l->lock);
	l->s.tpr = (uint32_t)(tpr4 & 0xF) << 4;
	lapic_check_kick(l, &o);
	pthread_mutex_unlock(&l->lock);
	lapic_flush(l, &o);
}

uint8_t lapic_get_cr8(struct lapic *l)
{
	pthread_mutex_lock(&l->lock);
	uint8_t v = (uint8_t)(l->s.tpr >> 4);
	pthread_mutex_unlock(&l->lock);
	return v;
}

void lapic_timer_expired(struct lapic *l)
{
	struct lapic_out o = OUT_INIT;
	pthread_mutex_lock(&l->lock);
	if (hw_enabled(l))
		timer_update(l, lapic_now(l), &o);
	pthread_mutex_unlock(&l->lock);
	lapic_flush(l, &o);
}

/* --- save/load --- */

size_t lapic_save(const struct lapic *l, void *buf, size_t len)
{
	size_t need = sizeof(uint32_t) + sizeof(l->s);
	if (buf && len >= need) {
		uint32_t magic = LAPIC_SAVE_MAGIC;
		memcpy(buf, &magic, sizeof(magic));
		/* A snapshot is taken with the vCPUs stopped: no lock needed. */
		memcpy((char *)buf + sizeof(magic), &l->s, sizeof(l->s));
	}
	return need;
}

/* Reject a state no sequence of guest accesses could have produced. */
static bool lapic_state_valid(const struct lapic_state *s)
{
	if ((s->apic_base & ~APIC_BASE_VALID) ||
	    (s->apic_base & (APIC_BASE_EN | APIC_BASE_EXTD)) == APIC_BASE_EXTD)
		return false;
	for (unsigned i = 0; i < LVT_N; i++)
		if (s->lvt[i] & ~lvt_writable[i])
			return false;
	if ((s->tpr & ~0xFFu) || (s->svr & ~SVR_WRITABLE) || (s->ldr & 0x00FFFFFF) ||
	    (s->tdcr & ~TDCR_WRITABLE) || (s->icr_lo & ~ICR_WRITABLE) ||
	    ((s->esr | s->esr_pending) & ~ESR_BITS) || s->sipi_vector < -1 || s->sipi_vector > 255)
		return false;
	if ((s->irr[0] | s->isr[0] | s->tmr[0]) & 0xFFFF)
		return false; /* vectors 0-15 are never accepted */
	return s->timer_running <= 1 && s->nmi_pending <= 1 && s->init_pending <= 1 &&
	       s->wait_sipi <= 1;
}

int lapic_load(struct lapic *l, const void *buf, size_t len)
{
	struct lapic_state s;
	uint32_t magic;
	if (!buf || len != sizeof(magic) + sizeof(s))
		return -EINVAL;
	memcpy(&magic, buf, sizeof(magic));
	memcpy(&s, (const char *)buf + sizeof(magic), sizeof(s));
	if (magic != LAPIC_SAVE_MAGIC || !lapic_state_valid(&s))
		return -EINVAL;
	struct lapic_out o = OUT_INIT;
	pthread_mutex_lock(&l->lock);
	l->s = s;
	l->s.dfr |= DFR_FIXED;
	timer_program(l);
	lapic_check_kick(l, &o);
	if (l->s.nmi_pending || l->s.init_pending || l->s.sipi_vector >= 0)
		o.kick = true;
	pthread_mutex_unlock(&l->lock);
	lapic_flush(l, &o);
	return 0;
}
