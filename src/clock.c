/*
 * clock.c - the virtual clock and its deadline queue (see clock.h): a list
 * of armed timers sorted by deadline under one mutex, and in host mode the
 * thread that sleeps until the head's deadline.  Not the devices' timing
 * rules (they compute from now_ns what is due) and not the vCPU loop.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "util.h"

struct vtimer {
	struct vclock *clock;
	void (*fire)(void *opaque);
	void *opaque;
	uint64_t deadline; /* UINT64_MAX: not in the queue */
	struct vtimer *next;
};

struct vclock {
	enum vclock_mode mode;
	uint64_t t0;	  /* host monotonic ns at creation (host mode) */
	uint64_t virt_ns; /* guest ns (virtual mode), atomic */
	int64_t wall0;	  /* wall-clock ns at guest time 0 */
	pthread_mutex_t lock;
	pthread_cond_t changed; /* the queue's head moved, or stop */
	struct vtimer *queue;	/* armed timers, earliest first */
	pthread_t thread;
	bool thread_running, stop;
};

int vclock_create(struct vclock **out, enum vclock_mode mode)
{
	struct vclock *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->mode = mode;
	c->t0 = now_ns();
	if (mode == VCLOCK_VIRTUAL) {
		c->wall0 = EMBER_VIRT_WALL_EPOCH_NS;
	} else {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		c->wall0 = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->changed, &ca);
	pthread_condattr_destroy(&ca);
	*out = c;
	return 0;
}

enum vclock_mode vclock_mode(const struct vclock *c)
{
	return c->mode;
}

uint64_t vclock_now(struct vclock *c)
{
	if (c->mode == VCLOCK_VIRTUAL)
		return __atomic_load_n(&c->virt_ns, __ATOMIC_ACQUIRE);
	return now_ns() - c->t0;
}

int64_t vclock_wall_ns(struct vclock *c)
{
	return c->wall0 + (int64_t)vclock_now(c);
}

struct vtimer *vtimer_new(struct vclock *c, void (*fire)(void *opaque), void *opaque)
{
	struct vtimer *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->clock = c;
	t->fire = fire;
	t->opaque = opaque;
	t->deadline = UINT64_MAX;
	return t;
}

/* Under c->lock. */
static void vtimer_unlink(struct vtimer *t)
{
	if (t->deadline == UINT64_MAX)
		return;
	for (struct vtimer **p = &t->clock->queue; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			break;
		}
	t->deadline = UINT64_MAX;
	t->next = NULL;
}

void vtimer_arm(struct vtimer *t, uint64_t deadline_ns)
{
	struct vclock *c = t->clock;
	pthread_mutex_lock(&c->lock);
	vtimer_unlink(t);
	if (deadline_ns != UINT64_MAX) {
		struct vtimer **p = &c->queue;
		while (*p && (*p)->deadline <= deadline_ns)
			p = &(*p)->next;
		t->next = *p;
		t->deadline = deadline_ns;
		*p = t;
		/* A new head: the clock thread must sleep less. */
		if (c->queue == t)
			pthread_cond_signal(&c->changed);
	}
	pthread_mutex_unlock(&c->lock);
}

void vtimer_disarm(struct vtimer *t)
{
	vtimer_arm(t, UINT64_MAX);
}

void vtimer_free(struct vtimer *t)
{
	if (!t)
		return;
	vtimer_disarm(t);
	free(t);
}

uint64_t vclock_next_deadline(struct vclock *c)
{
	pthread_mutex_lock(&c->lock);
	uint64_t d = c->queue ? c->queue->deadline : UINT64_MAX;
	pthread_mutex_unlock(&c->lock);
	return d;
}

/*
 * Pop one due timer at a time and fire it unlocked: the callback may arm
 * any timer, this one included.  A timer re-armed between the pop and the
 * call still fires once; the devices decide from their own state what is
 * due, so a late or extra call is harmless.
 */
int vclock_run_due(struct vclock *c)
{
	int n = 0;
	for (;;) {
		uint64_t now = vclock_now(c);
		pthread_mutex_lock(&c->lock);
		struct vtimer *t = c->queue;
		if (!t || t->deadline > now) {
			pthread_mutex_unlock(&c->lock);
			return n;
		}
		vtimer_unlink(t);
		pthread_mutex_unlock(&c->lock);
		t->fire(t->opaque);
		n++;
	}
}

void vclock_advance(struct vclock *c, uint64_t ns)
{
	__atomic_add_fetch(&c->virt_ns, ns, __ATOMIC_RELEASE);
}

bool vclock_skip_to_next(struct vclock *c)
{
	uint64_t d = vclock_next_deadline(c);
	if (d == UINT64_MAX)
		return false;
	uint64_t now = __atomic_load_n(&c->virt_ns, __ATOMIC_ACQUIRE);
	while (now < d && !__atomic_compare_exchange_n(&c->virt_ns, &now, d, false,
						       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
	vclock_run_due(c);
	return true;
}

static void *vclock_thread(void *arg)
{
	struct vclock *c = arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&c->lock);
	while (!c->stop) {
		uint64_t d = c->queue ? c->queue->deadline : UINT64_MAX;
		if (d <= vclock_now(c)) {
			pthread_mutex_unlock(&c->lock);
			vclock_run_due(c);
			pthread_mutex_lock(&c->lock);
			continue;
		}
		if (d == UINT64_MAX) {
			pthread_cond_wait(&c->changed, &c->lock);
			continue;
		}
		uint64_t host = c->t0 + d;
		struct timespec ts = {.tv_sec = host / 1000000000ULL,
				      .tv_nsec = host % 1000000000ULL};
		pthread_cond_timedwait(&c->changed, &c->lock, &ts);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int vclock_start(struct vclock *c)
{
	if (c->mode != VCLOCK_HOST || c->thread_running)
		return 0;
	int e = pthread_create(&c->thread, NULL, vclock_thread, c);
	if (e)
		return -e;
	c->thread_running = true;
	return 0;
}

void vclock_stop(struct vclock *c)
{
	if (!c || !c->thread_running)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_signal(&c->changed);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	c->thread_running = false;
}

void vclock_destroy(struct vclock *c)
{
	if (!c)
		return;
	vclock_stop(c);
	pthread_cond_destroy(&c->changed);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
