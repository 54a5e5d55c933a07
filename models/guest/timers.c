/* timers.c - the guest's hrtimers on its LAPIC timer clockevent (see guest.h). */
#include "models/guest/guest.h"

#include "models/costs/costs.h"

struct guest_timer *guest_timer_new(struct guest_cpu *g, void (*fn)(struct guest_cpu *, void *), void *ctx)
{
	struct guest_timers *gt = &g->timers;
	if (gt->n == GUEST_MAX_TIMERS)
		return NULL;
	struct guest_timer *t = &gt->t[gt->n++];
	t->fn = fn;
	t->ctx = ctx;
	return t;
}

static sim_time_t earliest(const struct guest_timers *gt)
{
	sim_time_t e = 0;
	for (int i = 0; i < gt->n; i++)
		if (gt->t[i].armed && (!e || gt->t[i].expires < e))
			e = gt->t[i].expires;
	return e;
}

/* timer_write - the guest operation that programs the clockevent to e (0: stop it). */
static void timer_write(struct guest_cpu *g, sim_time_t e)
{
	struct gop op = { .kind = GOP_INSN };
	struct guest_insn *in = &op.insn;
	in->deadline = e;
	in->rip = GUEST_RIP_WRMSR;
	if (!g->conf.oneshot) {
		in->kind = GUEST_WRMSR;
		in->reg = MSR_IA32_TSC_DEADLINE;
		in->value = e ? g->hw.ops->tsc(g->hw.ctx, e) : 0;
	} else {
		/* the APIC bus runs at 1 GHz in KVM: the count is in ns */
		sim_time_t now = sim_now(g->sim);
		in->kind = g->conf.x2apic ? GUEST_WRMSR : GUEST_APIC_WRITE;
		in->reg = g->conf.x2apic ? X2APIC_MSR_TMICT : APIC_TMICT;
		in->value = e > now ? (uint64_t)((e - now) / SIM_NS) : (e ? 1 : 0);
	}
	guest_push_front(g, &op);
}

/* program - clockevents_program_event(): write the earliest expiry if it changed. */
static void program(struct guest_cpu *g)
{
	struct guest_timers *gt = &g->timers;
	sim_time_t e = earliest(gt);
	if (!e || e == gt->programmed)
		return;
	gt->programmed = e;
	timer_write(g, e);
}

void guest_nohz_idle_enter(struct guest_cpu *g)
{
	struct guest_timers *gt = &g->timers;
	if (!g->conf.nohz || !gt->tick || gt->tick_stopped || !gt->tick->armed)
		return;
	gt->tick->armed = false;
	gt->tick_stopped = true;
	sim_time_t e = earliest(gt);
	if (e)
		program(g);
	else if (gt->programmed) { /* nothing left: stop the clockevent */
		gt->programmed = 0;
		timer_write(g, 0);
	}
}

void guest_nohz_idle_exit(struct guest_cpu *g)
{
	struct guest_timers *gt = &g->timers;
	if (!gt->tick_stopped)
		return;
	sim_time_t now = sim_now(g->sim);
	gt->tick_stopped = false;
	gt->tick->expires += (now - gt->tick->expires) / gt->tick_period * gt->tick_period + gt->tick_period;
	gt->tick->armed = true;
	program(g);
}

void guest_timer_start(struct guest_cpu *g, struct guest_timer *t, sim_time_t expires)
{
	t->expires = expires;
	t->armed = true;
	program(g);
}

void guest_timers_interrupt(struct guest_cpu *g, struct gop *op)
{
	struct guest_timers *gt = &g->timers;
	if (!gt->n)
		return; /* no hrtimer was ever started: a spurious timer interrupt */
	sim_time_t now = sim_now(g->sim);
	gt->programmed = 0; /* the clockevent fired */
	for (int i = 0; i < gt->n; i++) {
		struct guest_timer *t = &gt->t[i];
		if (t->armed && t->expires <= now) {
			t->armed = false;
			t->fn(g, t->ctx);
		}
	}
	program(g);
	struct gop run = { .kind = GOP_RUN, .ps = guest_cost(g, COST_guest_timer_irq) };
	guest_push_front(g, &run);
}

static void tick_expired(struct guest_cpu *g, void *ctx)
{
	struct guest_timers *gt = &g->timers;
	struct gop run = { .kind = GOP_RUN, .ps = guest_cost(g, COST_guest_tick) };
	guest_push_front(g, &run);
	gt->tick->expires += gt->tick_period; /* re-armed; guest_timers_interrupt() programs it */
	gt->tick->armed = true;
}

static void tick_first(struct guest_cpu *g, struct gop *op)
{
	struct guest_timers *gt = &g->timers;
	guest_timer_start(g, gt->tick, sim_now(g->sim) + gt->tick_period);
}

void guest_tick_start(struct guest_cpu *g, sim_time_t period)
{
	struct guest_timer *t = guest_timer_new(g, tick_expired, NULL);
	if (!t || period <= 0)
		return;
	g->timers.tick = t;
	g->timers.tick_period = period;
	struct gop call = { .kind = GOP_CALL, .fn = tick_first };
	guest_push_back(g, &call);
}
