/*
 * guest_timers.h - the guest kernel's hrtimers, multiplexed onto its LAPIC
 * timer clockevent as Linux does: starting a timer that becomes the earliest
 * programs the clockevent, by writing IA32_TSC_DEADLINE (TSC-deadline mode) or
 * the initial count TMICT (one-shot mode: x2APIC MSR 0x838, or the APIC page
 * in xAPIC mode), each an exit; the timer interrupt runs the expired timers
 * (hrtimer_interrupt) and programs the next expiry. An interrupt that comes
 * early finds nothing expired and reprograms. With NO_HZ idle, entering idle
 * stops the periodic tick (programming the next other event, or stopping the
 * clockevent with TMICT = 0) and leaving idle to run a task restarts it.
 */
#ifndef KVMSIM_VCPU_GUEST_TIMERS_H
#define KVMSIM_VCPU_GUEST_TIMERS_H

#include <stdbool.h>

#include "sim/time.h"

struct vcpu;
struct gop;

#define GUEST_MAX_TIMERS 4

struct guest_timer {
	sim_time_t expires;
	bool armed;
	/* fn - the timer expired; runs in the timer interrupt */
	void (*fn)(struct vcpu *v, void *ctx);
	void *ctx;
};

struct guest_timers {
	struct guest_timer t[GUEST_MAX_TIMERS];
	int n;
	sim_time_t programmed; /* the deadline last written, 0: none */
	struct guest_timer *tick;
	sim_time_t tick_period;
	bool tick_stopped; /* NO_HZ: stopped while idle */
};

/* guest_timer_new - a timer of this vCPU's guest; NULL if it has too many. */
struct guest_timer *guest_timer_new(struct vcpu *v, void (*fn)(struct vcpu *, void *), void *ctx);
/* guest_timer_start - (in guest context) arm t; the next guest operation may be the MSR write. */
void guest_timer_start(struct vcpu *v, struct guest_timer *t, sim_time_t expires);
/* guest_tick_start - a periodic guest timer (the tick) of period ps, from the guest's start. */
void guest_tick_start(struct vcpu *v, sim_time_t period);

/* guest_nohz_idle_enter / _exit - NO_HZ: stop the tick entering idle, restart it leaving idle for a task. */
void guest_nohz_idle_enter(struct vcpu *v);
void guest_nohz_idle_exit(struct vcpu *v);

/* guest_timers_interrupt - the LAPIC timer interrupt's handler (a GOP_CALL). */
void guest_timers_interrupt(struct vcpu *v, struct gop *op);

#endif
