/*
 * test_clock.c - the VM clock's deadline queue (src/clock.c): order of
 * firing, re-arming from a callback, disarming, virtual time and its skip
 * to the next deadline, and the host-mode thread firing on time.
 */
#include <time.h>

#include "clock.h"
#include "t.h"
#include "util.h"

struct probe {
	struct vclock *c;
	struct vtimer *t;
	char name;
	uint64_t period; /* re-arm this much later when fired, 0: one shot */
	uint64_t fired_at;
	int fired;
};

static char order[16];
static int norder;

static void probe_fire(void *opaque)
{
	struct probe *p = opaque;
	uint64_t now = vclock_now(p->c);
	__atomic_store_n(&p->fired_at, now, __ATOMIC_RELEASE);
	__atomic_add_fetch(&p->fired, 1, __ATOMIC_ACQ_REL);
	if (norder < (int)sizeof(order) - 1)
		order[norder++] = p->name;
	if (p->period)
		vtimer_arm(p->t, now + p->period);
}

static void probe_init(struct probe *p, struct vclock *c, char name, uint64_t period)
{
	*p = (struct probe){.c = c, .name = name, .period = period};
	p->t = vtimer_new(c, probe_fire, p);
}

/* Timers armed out of order fire in deadline order, each once, when
 * virtual time reaches them; a re-armed timer moves, a disarmed one never
 * fires; a callback may re-arm its own timer. */
static void test_virtual_queue(void)
{
	struct vclock *c;
	T_EQ(vclock_create(&c, VCLOCK_VIRTUAL), 0);
	struct probe a, b, d, p;
	probe_init(&a, c, 'a', 0);
	probe_init(&b, c, 'b', 0);
	probe_init(&d, c, 'd', 0);
	probe_init(&p, c, 'p', 300);
	norder = 0;
	T_EQ(vclock_now(c), 0);
	T_EQ(vclock_next_deadline(c), UINT64_MAX);
	vtimer_arm(b.t, 500);
	vtimer_arm(a.t, 200);
	vtimer_arm(d.t, 100);
	vtimer_arm(p.t, 250);
	T_EQ(vclock_next_deadline(c), 100);
	vtimer_disarm(d.t);
	T_EQ(vclock_next_deadline(c), 200);
	vtimer_arm(a.t, 1000); /* re-arming replaces */
	T_EQ(vclock_next_deadline(c), 250);
	vclock_advance(c, 249);
	T_EQ(vclock_run_due(c), 0);
	vclock_advance(c, 1);
	T_EQ(vclock_run_due(c), 1);
	T_EQ(p.fired_at, 250);
	T_EQ(vclock_next_deadline(c), 500); /* b; p re-armed for 550 */
	vclock_advance(c, 350);		    /* 600: b and p are due */
	T_EQ(vclock_run_due(c), 2);
	T_EQ(vclock_next_deadline(c), 900); /* p again (600 + 300) */
	/* Every vCPU halted: time jumps to the next deadline. */
	T_CHECK(vclock_skip_to_next(c), "a timer is armed");
	T_EQ(vclock_now(c), 900);
	T_EQ(p.fired, 3);
	T_CHECK(vclock_skip_to_next(c), "a timer is armed");
	T_EQ(vclock_now(c), 1000);
	T_EQ(a.fired, 1);
	order[norder] = 0;
	T_STREQ(order, "pbppa");
	T_EQ(d.fired, 0);
	vtimer_free(p.t);
	T_CHECK(!vclock_skip_to_next(c), "nothing armed: only input can wake the guest");
	T_EQ(vclock_now(c), 1000);
	T_EQ(vclock_wall_ns(c), EMBER_VIRT_WALL_EPOCH_NS + 1000);
	vtimer_free(a.t);
	vtimer_free(b.t);
	vtimer_free(d.t);
	vclock_destroy(c);
}

/* Host mode: guest time is the host's monotonic time, and the clock thread
 * fires a timer when its deadline comes, not before. */
static void test_host_thread(void)
{
	struct vclock *c;
	T_EQ(vclock_create(&c, VCLOCK_HOST), 0);
	T_EQ(vclock_start(c), 0);
	struct probe p;
	probe_init(&p, c, 'h', 0);
	uint64_t t = vclock_now(c), h = now_ns();
	vtimer_arm(p.t, t + 20000000); /* 20 ms */
	for (int i = 0; i < 2000 && !__atomic_load_n(&p.fired, __ATOMIC_ACQUIRE); i++) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	T_EQ(p.fired, 1);
	T_CHECK(p.fired_at >= t + 20000000, "fired at %llu, deadline %llu",
		(unsigned long long)p.fired_at, (unsigned long long)(t + 20000000));
	T_CHECK(now_ns() - h >= 20000000, "not before the host's 20 ms passed");
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	int64_t wall = (int64_t)rt.tv_sec * 1000000000LL + rt.tv_nsec;
	int64_t skew = vclock_wall_ns(c) - wall;
	T_CHECK(skew > -1000000000LL && skew < 1000000000LL, "wall clock %lld ns off the host's",
		(long long)skew);
	vtimer_free(p.t);
	vclock_destroy(c);
}

int main(void)
{
	T_RUN(test_virtual_queue);
	T_RUN(test_host_thread);
	T_EXIT();
}
