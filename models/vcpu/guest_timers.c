/* guest_timers.c - the guest's hrtimers on its TSC-deadline timer (see guest_timers.h). */
#include "models/vcpu/guest_timers.h"
#include "sim/xalloc.h"

#include <stdlib.h>

#include "models/costs/costs.h"
#include "models/vcpu/vcpu.h"

struct guest_timer *guest_timer_new(struct vcpu *v, void (*fn)(struct vcpu *, void *), void *ctx)
{
	if (!v->gtimers) {
		v->gtimers = xcalloc(1, sizeof(*v->gtimers));
	}
	struct guest_timers *g = v->gtimers;
	if (g->n == GUEST_MAX_TIMERS)
		return NULL;
	struct guest_timer *t = &g->t[g->n++];
	t->fn = fn;
	t->ctx = ctx;
	return t;
}

static sim_time_t earliest(const struct guest_timers *g)
{
	sim_time_t e = 0;
	for (int i = 0; i < g->n; i++)
		if (g->t[i].armed && (!e || g->t[i].expires < e))
			e = g->t[i].expires;
	return e;
}

/* tscdeadline_written - handle_wrmsr(IA32_TSC_DEADLINE) in root mode. */
static void tscdeadline_written(struct vcpu *v, struct gop *op)
{
	kvm_set_lapic_tscdeadline_msr(v, op->ps);
	VTRACE(v, EV_kvm_msr, kvm_tp_msr(tb_, sizeof(tb_), true, MSR_IA32_TSC_DEADLINE, op->arg, false));
}

/* tmict_written - the LAPIC's TMICT written (one-shot mode): kvm_lapic_reg_write(). */
static void tmict_written(struct vcpu *v, struct gop *op)
{
	VTRACE(v, EV_kvm_apic, kvm_tp_apic(tb_, sizeof(tb_), true, APIC_TMICT, op->arg));
	kvm_set_lapic_tscdeadline_msr(v, op->ps); /* KVM runs a one-shot count as a deadline */
	if (v->conf.eoi.mode == EOI_X2APIC)
		VTRACE(v, EV_kvm_msr, kvm_tp_msr(tb_, sizeof(tb_), true, X2APIC_MSR_TMICT, op->arg, false));
}

/* timer_write - the guest operation that programs the clockevent to e (0: stop it). */
static void timer_write(struct vcpu *v, sim_time_t e)
{
	struct gop op;
	if (!v->conf.oneshot) {
		op = (struct gop){ .kind = GOP_EXIT, .reason = EXIT_REASON_MSR_WRITE, .msr = MSR_IA32_TSC_DEADLINE,
				   .arg = e ? lapic_tsc(v, e) : 0, .ps = e, .fn = tscdeadline_written };
	} else {
		/* the APIC bus runs at 1 GHz in KVM: the count is in ns */
		sim_time_t now = sim_now(v->sim);
		uint64_t count = e > now ? (uint64_t)((e - now) / SIM_NS) : (e ? 1 : 0);
		op = (struct gop){ .kind = GOP_EXIT, .reason = v->conf.eoi.mode == EOI_X2APIC ? EXIT_REASON_MSR_WRITE
											 : EXIT_REASON_APIC_ACCESS,
				   .msr = X2APIC_MSR_TMICT, .arg = count, .ps = e, .fn = tmict_written };
	}
	guest_push_front(v, &op);
}

/* program - clockevents_program_event(): write the earliest expiry if it changed. */
static void program(struct vcpu *v)
{
	struct guest_timers *g = v->gtimers;
	sim_time_t e = earliest(g);
	if (!e || e == g->programmed)
		return;
	g->programmed = e;
	timer_write(v, e);
}

void guest_nohz_idle_enter(struct vcpu *v)
{
	struct guest_timers *g = v->gtimers;
	if (!v->conf.nohz || !g || !g->tick || g->tick_stopped || !g->tick->armed)
		return;
	g->tick->armed = false;
	g->tick_stopped = true;
	sim_time_t e = earliest(g);
	if (e)
		program(v);
	else if (g->programmed) { /* nothing left: stop the clockevent */
		g->programmed = 0;
		timer_write(v, 0);
	}
}

void guest_nohz_idle_exit(struct vcpu *v)
{
	struct guest_timers *g = v->gtimers;
	if (!g || !g->tick_stopped)
		return;
	sim_time_t now = sim_now(v->sim);
	g->tick_stopped = false;
	g->tick->expires += (now - g->tick->expires) / g->tick_period * g->tick_period + g->tick_period;
	g->tick->armed = true;
	program(v);
}

void guest_timer_start(struct vcpu *v, struct guest_timer *t, sim_time_t expires)
{
	t->expires = expires;
	t->armed = true;
	program(v);
}

void guest_timers_interrupt(struct vcpu *v, struct gop *op)
{
	struct guest_timers *g = v->gtimers;
	if (!g)
		return;
	sim_time_t now = sim_now(v->sim);
	g->programmed = 0; /* the clockevent fired */
	for (int i = 0; i < g->n; i++) {
		struct guest_timer *t = &g->t[i];
		if (t->armed && t->expires <= now) {
			t->armed = false;
			t->fn(v, t->ctx);
		}
	}
	program(v);
	struct gop run = { .kind = GOP_RUN, .ps = vcost(v, COST_guest_timer_irq) };
	guest_push_front(v, &run);
}

static void tick_expired(struct vcpu *v, void *ctx)
{
	struct guest_timers *g = v->gtimers;
	struct gop run = { .kind = GOP_RUN, .ps = vcost(v, COST_guest_tick) };
	guest_push_front(v, &run);
	g->tick->expires += g->tick_period; /* re-armed; guest_timers_interrupt() programs it */
	g->tick->armed = true;
}

static void tick_first(struct vcpu *v, struct gop *op)
{
	struct guest_timers *g = v->gtimers;
	guest_timer_start(v, g->tick, sim_now(v->sim) + g->tick_period);
}

void guest_tick_start(struct vcpu *v, sim_time_t period)
{
	struct guest_timer *t = guest_timer_new(v, tick_expired, NULL);
	if (!t || period <= 0)
		return;
	v->gtimers->tick = t;
	v->gtimers->tick_period = period;
	struct gop call = { .kind = GOP_CALL, .fn = tick_first };
	guest_push_back(v, &call);
}
