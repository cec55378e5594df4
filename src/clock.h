/*
 * clock.h - the VM's one virtual clock and its deadline queue: guest time in
 * nanoseconds, and the timers every timer device (PIT, RTC, LAPIC timer,
 * ACPI PM timer) is driven by.  Not a device: the models take now_ns() and
 * timer_arm() callbacks, and the glue (devices.c, the engines) connects them
 * to a vclock and its vtimers.  See ARCHITECTURE.md, "Time".
 *
 * Two modes.  VCLOCK_HOST: guest time follows the host's monotonic clock, and
 * a clock thread fires each timer when the host reaches its deadline.
 * VCLOCK_VIRTUAL: guest time is instructions retired (EMBER_VIRT_NS_PER_INSN),
 * advanced by the vCPU run loop, which also fires due timers at slice
 * boundaries and skips time ahead to the next deadline when every vCPU is
 * halted; no thread, so a run is a deterministic function of its input.
 */
#ifndef EMBER_CLOCK_H
#define EMBER_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* The guest's TSC counts guest nanoseconds in both modes: a 1 GHz invariant
 * TSC, which CPUID leaves 0x15/0x16 advertise. */
#define EMBER_TSC_HZ 1000000000ULL

/* --clock virtual: one instruction retired is one nanosecond (a 1 GHz,
 * one-instruction-per-cycle CPU). */
#define EMBER_VIRT_NS_PER_INSN 1

/* --clock virtual: the RTC starts at this wall time (2026-01-01T00:00:00Z),
 * not the host's, so the guest prints the same dates every run. */
#define EMBER_VIRT_WALL_EPOCH_NS (1767225600LL * 1000000000LL)

enum vclock_mode { VCLOCK_HOST, VCLOCK_VIRTUAL };

struct vclock;
struct vtimer;

/* 0 or -errno.  In host mode the clock thread starts with vclock_start(). */
int vclock_create(struct vclock **out, enum vclock_mode mode);
/* Stops the thread; every vtimer must have been freed. */
void vclock_destroy(struct vclock *c);
enum vclock_mode vclock_mode(const struct vclock *c);

/* Host mode: start the thread that fires timers.  0 or -errno. */
int vclock_start(struct vclock *c);
/* Stop that thread and wait for a callback it is running: after this no
 * timer fires from it, so timers and their devices may be freed.  Idempotent. */
void vclock_stop(struct vclock *c);

/* Guest nanoseconds since the VM was created. */
uint64_t vclock_now(struct vclock *c);
/* Wall-clock nanoseconds since the Unix epoch the guest sees (the RTC):
 * the host's realtime at creation (virtual mode: EMBER_VIRT_WALL_EPOCH_NS)
 * plus guest time elapsed. */
int64_t vclock_wall_ns(struct vclock *c);

/* A timer: fire(opaque) runs once its deadline is reached, on the clock
 * thread (host mode) or a vCPU thread (virtual mode), without clock locks
 * held, so it may re-arm itself.  A timer is disarmed when it fires. */
struct vtimer *vtimer_new(struct vclock *c, void (*fire)(void *opaque), void *opaque);
/* Absolute guest ns; re-arming replaces the deadline; UINT64_MAX disarms. */
void vtimer_arm(struct vtimer *t, uint64_t deadline_ns);
void vtimer_disarm(struct vtimer *t);
void vtimer_free(struct vtimer *t);

/* The earliest armed deadline, or UINT64_MAX. */
uint64_t vclock_next_deadline(struct vclock *c);
/* Fire every timer whose deadline is <= now.  Returns how many fired. */
int vclock_run_due(struct vclock *c);

/* Virtual mode only: ns of guest time passed (instructions retired). */
void vclock_advance(struct vclock *c, uint64_t ns);
/* Virtual mode only, every vCPU halted: jump to the next deadline and fire
 * what is due.  false if no timer is armed (only input can wake the guest). */
bool vclock_skip_to_next(struct vclock *c);

#endif
