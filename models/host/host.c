/* host.c - pCPU scheduling, idle states and CPU-time accounting (see host.h). */
#include "models/host/host.h"
#include "sim/dist.h"
#include "sim/xalloc.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "sim/rng.h"

const char *const host_acct_names[ACCT_N] = { "guest", "guest_poll", "kvm",	   "poll_ok", "poll_fail",
					       "task",	"sched",      "idle_exit", "irq",	   "idle" };

/* ---- accounting ---------------------------------------------------------------- */

static void flush(struct pcpu *p)
{
	sim_time_t now = sim_now(p->host->sim);
	sim_time_t d = now - p->acct_since;
	if (p->acct == ACCT_POLL) {
		p->poll_pending_ps += d;
	} else {
		p->acct_ps[p->acct] += d;
		if (p->acct == ACCT_IDLE)
			p->idle_ps[p->idle_state] += d;
	}
	p->acct_since = now;
}

void pcpu_account(struct pcpu *p, int acct)
{
	flush(p);
	p->acct = acct;
}

void pcpu_resolve_poll(struct pcpu *p, sim_time_t amount, bool success)
{
	if (p->acct == ACCT_POLL)
		flush(p);
	assert(amount <= p->poll_pending_ps);
	p->acct_ps[success ? ACCT_POLL_OK : ACCT_POLL_FAIL] += amount;
	p->poll_pending_ps -= amount;
}

/* ---- idle ---------------------------------------------------------------------- */

/* idle_select - the menu-like choice: deepest state whose residency fits the prediction. */
static int idle_select(const struct pcpu *p)
{
	const struct host *h = p->host;
	if (h->idle_poll)
		return 0;
	int best = 0;
	for (int i = 1; i <= h->max_cstate && i < h->nidle; i++)
		if (h->idle[i].target_residency <= p->predicted_idle)
			best = i;
	return best;
}

static void enter_idle(struct pcpu *p)
{
	p->phase = PCPU_IDLE;
	p->curr = NULL;
	p->idle_state = idle_select(p);
	p->idle_entries[p->idle_state]++;
	p->idle_since = sim_now(p->host->sim);
	const struct host_idle_state *s = &p->host->idle[p->idle_state];
	p->idle_entry = s->entry_q && p->entry_rng ? quantile_sample(s->entry_q, s->entry_nq, gsl_rng_uniform(p->entry_rng))
						   : s->entry_latency;
	pcpu_account(p, ACCT_IDLE);
}

static void schedule_next(struct pcpu *p);

/*
 * idle_exit_latency - how long this exit from the current idle state takes. The driver's
 * table gives a worst case (intel_idle's exit_latency); a real exit usually takes less, so
 * with a spread it is uniform in [(1 - spread) x table, table]; a state with a measured
 * distribution (exit_q) draws from it instead. A wake-up within this stay's entry latency
 * (the state's entry_latency, or a draw from its measured entry_q at enter_idle) takes none;
 * a state with exit_growth adds more the longer the state was held.
 */
static sim_time_t idle_exit_latency(struct pcpu *p)
{
	const struct host_idle_state *s = &p->host->idle[p->idle_state];
	sim_time_t worst = s->exit_latency, stay = sim_now(p->host->sim) - p->idle_since - p->idle_entry, x;
	if (stay < 0)
		return 0; /* the state was not reached yet: nothing to leave */
	if (s->exit_q)
		x = quantile_sample(s->exit_q, s->exit_nq, gsl_rng_uniform(p->idle_rng));
	else if (!p->idle_rng || worst <= 0)
		x = worst;
	else
		x = worst - (sim_time_t)(p->host->idle_exit_spread * gsl_rng_uniform(p->idle_rng) * (double)worst);
	if (s->exit_growth > 0) /* a longer stay, a slower exit (host.h) */
		x += (sim_time_t)llround((double)s->exit_growth * -expm1(-(double)stay / (double)s->exit_growth_tau));
	return x;
}

static void idle_exit_done(struct sim *sim, void *subject, void *object)
{
	struct pcpu *p = subject;
	p->ev = SIM_NO_EVENT;
	p->idle_left = sim_now(sim);
	schedule_next(p);
}

/* idle_wakeup_arrived - the wake-up IPI reaches an idle pCPU (or it notices, when polling). */
static void idle_wakeup_arrived(struct sim *sim, void *subject, void *object)
{
	struct pcpu *p = subject;
	sim_time_t idle = sim_now(sim) - p->idle_since;
	p->predicted_idle = (7 * p->predicted_idle + idle) / 8;
	pcpu_account(p, ACCT_IDLE_EXIT);
	p->ev = sim_after(sim, idle_exit_latency(p), idle_exit_done, p, NULL);
}

/* ---- scheduling ---------------------------------------------------------------- */

/* sched_info_arrive - t is picked to run at `now` (the kernel's clock says `clock`): the wait
 * since it became runnable is a run delay, on kvmsim's clock (the kernel's sched_info would end
 * it at the skipped clock too; a preempted vCPU's steal would then overlap its guest time) */
static void sched_info_arrive(struct host_task *t, sim_time_t now, sim_time_t clock)
{
	sim_time_t from = t->last_queued;
	if (t->woke_idle && t->cpu->idle_left > from)
		from = t->cpu->idle_left;
	t->woke_idle = false;
	sim_time_t d = now > from ? now - from : 0;
	t->run_delay += d;
	sim_hist_record(t->delay, d / SIM_NS);
	t->pcount++;
	t->run_start = now;
	t->exec_start = clock; /* set_next_entity(), before the switch itself */
}

/* sched_info_depart - t leaves its pCPU at `now`; the kernel's clock says `clock` */
static void sched_info_depart(struct host_task *t, sim_time_t now, sim_time_t clock)
{
	t->runtime += now - t->run_start;
	if (clock > t->exec_start)
		t->sum_exec += clock - t->exec_start;
}

/* clock_update - update_rq_clock() on p outside schedule(): a pending skip keeps its latest value */
static void clock_update(struct pcpu *p)
{
	if (p->clock_skip)
		p->clock_at = sim_now(p->host->sim);
}

/* schedule_begin / schedule_end - bracket a schedule(): the clock update it skips, if asked */
static sim_time_t schedule_begin(struct pcpu *p)
{
	p->clock_skip_act = p->clock_skip;
	return host_rq_clock(p);
}

static void schedule_end(struct pcpu *p)
{
	p->clock_skip = p->clock_skip_act = false;
}

static void tick_start(struct pcpu *p);

static void switch_done(struct sim *sim, void *subject, void *object)
{
	struct pcpu *p = subject;
	struct host_task *t = p->curr;
	p->ev = SIM_NO_EVENT;
	p->phase = PCPU_RUN;
	t->state = TASK_RUNNING;
	t->run_start = sim_now(sim); /* the CPU it gets: from the end of its switch-in */
	t->ops->run(t);
	/* need_resched set while switching (a wake-up, the tick): seen on the way to user/guest mode */
	if (p->host->cls != &host_sched_simple && p->need_resched && p->curr == t && t->state == TASK_RUNNING &&
	    p->phase == PCPU_RUN)
		t->ops->resched(t, false);
}

static void switch_to(struct pcpu *p, struct host_task *t)
{
	p->phase = PCPU_SWITCH;
	p->curr = t;
	p->ctx_switches++;
	sched_info_arrive(t, sim_now(p->host->sim), host_rq_clock(p)); /* sched_info_switch(): before the switch */
	pcpu_account(p, ACCT_SCHED);
	p->ev = sim_after(p->host->sim, p->host->cost.ctxsw, switch_done, p, NULL);
	tick_start(p);
}

/* schedule_next - the pCPU is free: switch to the next queued task or go idle. */
static void schedule_next(struct pcpu *p)
{
	const struct host_sched_class *cls = p->host->cls;
	p->need_resched = false;
	struct host_task *t = cls->pick_next(p);
	if (!t && cls->idle_balance) {
		p->clock_skip_act = false; /* newidle balancing takes the run-queue lock and updates its clock */
		if (cls->idle_balance(p))
			t = cls->pick_next(p);
	}
	if (!t) {
		enter_idle(p);
		return;
	}
	switch_to(p, t);
}

void host_task_stats_reset(struct host_task *t)
{
	sim_time_t now = sim_now(t->cpu->host->sim);
	if (t->cpu->curr == t && (t->cpu->phase == PCPU_RUN || t->cpu->phase == PCPU_SWITCH))
		t->run_start = t->exec_start = now; /* its CPU from now on counts */
	if (t->state == TASK_RUNNABLE && t->last_queued < now)
		t->last_queued = now; /* so does its wait */
	t->run_delay = t->runtime = t->sum_exec = 0;
	t->pcount = t->nr_migrations = t->nvcsw = t->nivcsw = 0;
	if (t->delay) {
		sim_hist_free(t->delay);
		sim_hist_init(t->delay);
	}
}

/* host_kick_idle - p is idle with work queued: the wake-up IPI (none when it polls in idle). */
void host_kick_idle(struct pcpu *p)
{
	if (p->phase != PCPU_IDLE)
		return;
	const struct host_idle_state *st = &p->host->idle[p->idle_state];
	sim_time_t ipi = st->polling ? 0 : p->host->cost.ipi;
	if (!st->polling)
		p->wake_ipis++;
	p->phase = PCPU_IDLE_EXIT;
	p->ev = sim_after(p->host->sim, ipi, idle_wakeup_arrived, p, NULL);
}

/* resched_ipi_arrived - a remote wake-up's reschedule IPI reaches p: its running task, if it
 * still has to go, hears of it (scheduler_ipi(), then the return from the interrupt) */
static void resched_ipi_arrived(struct sim *sim, void *subject, void *object)
{
	(void)sim, (void)object;
	struct pcpu *p = subject;
	p->resched_ipi_ev = SIM_NO_EVENT;
	if (p->phase == PCPU_RUN && p->curr && p->need_resched)
		p->curr->ops->resched(p->curr, true);
}

void host_task_wake(struct host_task *t)
{
	host_task_wake_from(t, false);
}

/* request_clock_skip - the end of wakeup_preempt(): the running task queued and need_resched set */
static void request_clock_skip(struct pcpu *p)
{
	if (p->need_resched && p->curr && !p->clock_skip) {
		p->clock_skip = true;
		p->clock_at = sim_now(p->host->sim);
	}
}

void host_task_wake_from(struct host_task *t, bool remote)
{
	struct host *h = t->cpu->host;
	assert(t->state == TASK_SLEEPING);
	if (h->cls->select_rq) {
		struct pcpu *d = h->cls->select_rq(t);
		if (d != t->cpu) {
			t->cpu = d;
			t->nr_migrations++;
		}
	}
	struct pcpu *p = t->cpu;
	t->state = TASK_RUNNABLE;
	t->last_queued = sim_now(h->sim);
	clock_update(p); /* ttwu_do_activate() under the run-queue lock */
	p->nr_running++;
	h->cls->enqueue(p, t, true);
	t->woke_idle = p->phase == PCPU_IDLE || p->phase == PCPU_IDLE_EXIT;
	switch (p->phase) {
	case PCPU_IDLE:
		host_kick_idle(p);
		break;
	case PCPU_IDLE_EXIT:
	case PCPU_IDLE_IRQ:
		break; /* the pCPU schedules when it is back */
	case PCPU_SWITCH: /* check_preempt_curr() against the task being switched in */
		if (h->wakeup_preempt && h->cls != &host_sched_simple && h->cls->wakeup_preempt(p, t))
			p->need_resched = true;
		request_clock_skip(p);
		break;
	case PCPU_RUN:
		if (h->wakeup_preempt && h->cls->wakeup_preempt(p, t))
			p->need_resched = true;
		request_clock_skip(p);
		if (remote && p->need_resched && h->cost.ipi > 0 && !p->curr->ops->own_ipi) { /* smp_send_reschedule() */
			if (p->resched_ipi_ev == SIM_NO_EVENT) /* one IPI in flight is enough */
				p->resched_ipi_ev = sim_after(h->sim, h->cost.ipi, resched_ipi_arrived, p, NULL);
			break;
		}
		p->curr->ops->resched(p->curr, remote); /* a task with own_ipi sends the IPI itself */
		break;
	}
}

void host_task_place(struct host_task *t)
{
	struct pcpu *p = t->cpu;
	t->state = TASK_RUNNABLE;
	t->last_queued = sim_now(p->host->sim);
	clock_update(p);
	p->nr_running++;
	p->host->cls->enqueue(p, t, false);
	if (p->phase == PCPU_IDLE) {
		p->idle_entries[p->idle_state]--; /* it never really idled */
		struct host_task *n = p->host->cls->pick_next(p);
		p->phase = PCPU_RUN;
		p->curr = n;
		n->state = TASK_RUNNING;
		sched_info_arrive(n, sim_now(p->host->sim), sim_now(p->host->sim));
		tick_start(p);
		n->ops->run(n);
	}
}

void host_task_sleep(struct host_task *t)
{
	struct pcpu *p = t->cpu;
	assert(p->curr == t && t->state == TASK_RUNNING && p->phase == PCPU_RUN);
	sim_time_t clock = schedule_begin(p);
	p->host->cls->dequeue(p, t);
	t->state = TASK_SLEEPING;
	t->nvcsw++;
	sched_info_depart(t, sim_now(p->host->sim), clock);
	p->nr_running--;
	schedule_next(p);
	schedule_end(p);
}

bool host_task_yield(struct host_task *t)
{
	struct pcpu *p = t->cpu;
	const struct host_sched_class *cls = p->host->cls;
	assert(p->curr == t && t->state == TASK_RUNNING);
	sim_time_t clock = schedule_begin(p);
	cls->put_prev(p, t);
	struct host_task *n = cls->pick_next(p);
	p->need_resched = false;
	if (n == t) { /* schedule() picks us again: no switch */
		schedule_end(p);
		return false;
	}
	sim_time_t now = sim_now(p->host->sim);
	t->state = TASK_RUNNABLE;
	t->last_queued = now;
	t->nivcsw++;
	sched_info_depart(t, now, clock);
	switch_to(p, n);
	schedule_end(p);
	return true;
}

/* resched_cpu - resched_curr() on another pCPU: need_resched, and its running task is told
 * (by a reschedule IPI: a vCPU in guest mode pays ipi_guest for it, as for a remote wake-up). */
static void resched_cpu(struct pcpu *p)
{
	p->need_resched = true;
	if (p->phase == PCPU_RUN && p->curr)
		p->curr->ops->resched(p->curr, true);
}

int host_yield_to(struct host_task *curr, struct host_task *t)
{
	struct pcpu *rq = curr->cpu, *p_rq = t->cpu;
	assert(rq->curr == curr && curr->state == TASK_RUNNING);
	if (t == curr || t->state != TASK_RUNNABLE)
		return -1; /* task_on_cpu(p_rq, p) || !task_is_running(p): -ESRCH */
	if (!rq->host->cls->yield_to_task || !rq->host->cls->yield_to_task(curr, t))
		return 0;
	rq->yld_count++;
	if (p_rq != rq) /* preempt && rq != p_rq */
		resched_cpu(p_rq);
	rq->need_resched = true; /* yielded > 0: schedule() */
	clock_update(rq);        /* yield_task_fair(): the clock brought up to date, its next update skipped */
	request_clock_skip(rq);
	return 1;
}

/* ---- the tick (the fair class; NO_HZ: it stops on an idle pCPU) ------------------- */

static void tick_fire(struct sim *sim, void *subject, void *object)
{
	struct pcpu *p = subject;
	struct host *h = p->host;
	p->tick_ev = SIM_NO_EVENT;
	if (p->phase == PCPU_IDLE)
		return; /* stopped on the way into idle; restarted by the next switch */
	p->ticks++;
	clock_update(p); /* sched_tick() */
	if (p->phase == PCPU_RUN && h->cls->task_tick(p)) {
		p->need_resched = true;
		p->curr->ops->resched(p->curr, false);
	}
	if (h->cls->periodic_balance && p->phase == PCPU_RUN)
		h->cls->periodic_balance(p);
	p->tick_ev = sim_after(sim, h->tick_period, tick_fire, p, NULL);
}

static void tick_start(struct pcpu *p)
{
	struct host *h = p->host;
	if (!h->tick_period || p->tick_ev != SIM_NO_EVENT)
		return;
	sim_time_t now = sim_now(h->sim);
	/* jiffies: every pCPU's tick falls on the same grid */
	p->tick_ev = sim_at(h->sim, (now / h->tick_period + 1) * h->tick_period, tick_fire, p, NULL);
}

/* ---- interrupts on an idle pCPU -------------------------------------------------- */

static void idle_irq_done(struct sim *sim, void *subject, void *object)
{
	struct pcpu *p = subject;
	p->ev = SIM_NO_EVENT;
	p->irq.fn(sim, p->irq.subject, p->irq.object); /* may wake a task: it is queued */
	schedule_next(p);
}

static void idle_irq_exited(struct sim *sim, void *subject, void *object)
{
	struct pcpu *p = subject;
	pcpu_account(p, ACCT_IRQ);
	p->ev = sim_after(sim, p->irq.cost, idle_irq_done, p, NULL);
}

void host_irq(struct pcpu *p, sim_time_t cost, sim_action_fn *fn, void *subject, void *object)
{
	if (p->phase != PCPU_IDLE) {
		sim_after(p->host->sim, cost, fn, subject, object);
		return;
	}
	struct sim *sim = p->host->sim;
	sim_time_t idle = sim_now(sim) - p->idle_since;
	p->predicted_idle = (7 * p->predicted_idle + idle) / 8;
	p->phase = PCPU_IDLE_IRQ;
	p->irq.fn = fn;
	p->irq.subject = subject;
	p->irq.object = object;
	p->irq.cost = cost;
	pcpu_account(p, ACCT_IDLE_EXIT);
	p->ev = sim_after(sim, idle_exit_latency(p), idle_irq_exited, p, NULL);
}

/* ---- resched requests without a task ------------------------------------------ */

static void resched_request(struct sim *sim, void *subject, void *object)
{
	struct pcpu *p = subject;
	p->resched_requests++;
	if (p->phase == PCPU_RUN) {
		p->need_resched = true;
		p->curr->ops->resched(p->curr, false);
	}
	sim_after(sim, (sim_time_t)(gsl_ran_exponential(p->rng, 1.0 / p->host->resched_rate) * SIM_S) + 1,
		  resched_request, p, NULL);
}

/* ---- life cycle ------------------------------------------------------------------ */

void host_start(struct host *h)
{
	bool measured = false; /* a state whose exits draw from measured quantiles */
	for (int k = 0; k < h->nidle; k++)
		measured |= h->idle[k].exit_q != NULL;
	for (int i = 0; i < h->ncpu; i++) {
		struct pcpu *p = &h->cpu[i];
		if ((h->idle_exit_spread > 0 || measured) && !p->idle_rng) {
			char name[64];
			snprintf(name, sizeof(name), "host/cpu%d/idle", i);
			p->idle_rng = sim_rng_new(h->seed, name);
		}
		for (int k = 0; k < h->nidle && !p->entry_rng; k++)
			if (h->idle[k].entry_q) {
				char name[64];
				snprintf(name, sizeof(name), "host/cpu%d/idle-entry", i);
				p->entry_rng = sim_rng_new(h->seed, name);
			}
		p->acct_since = sim_now(h->sim);
		enter_idle(p);
		if (p->rng)
			sim_after(h->sim,
				  (sim_time_t)(gsl_ran_exponential(p->rng, 1.0 / h->resched_rate) * SIM_S) + 1,
				  resched_request, p, NULL);
	}
}

void host_stats_reset(struct host *h)
{
	for (int i = 0; i < h->ncpu; i++) {
		struct pcpu *p = &h->cpu[i];
		flush(p);
		memset(p->acct_ps, 0, sizeof(p->acct_ps));
		memset(p->idle_ps, 0, sizeof(p->idle_ps));
		memset(p->idle_entries, 0, sizeof(p->idle_entries));
		p->poll_pending_ps = 0; /* the vCPUs drop theirs at the same instant */
		p->ctx_switches = p->wake_ipis = p->resched_requests = p->noise_irqs = p->smis = 0;
		clock_update(p); /* a skipped clock does not reach back before the statistics */
	}
}

void host_finish(struct host *h)
{
	for (int i = 0; i < h->ncpu; i++) {
		struct pcpu *p = &h->cpu[i];
		flush(p);
		assert(p->poll_pending_ps == 0); /* vcpu_finish() resolved every vCPU's share */
		/* close the open stretches: the running task's CPU, the queued tasks' wait */
		sim_time_t now = sim_now(h->sim);
		if (p->phase == PCPU_RUN) {
			p->curr->runtime += now - p->curr->run_start;
			p->curr->run_start = now;
		}
		if ((p->phase == PCPU_RUN || p->phase == PCPU_SWITCH) && now > p->curr->exec_start) {
			p->curr->sum_exec += now - p->curr->exec_start;
			p->curr->exec_start = now;
		}
		struct host_task *const heads[] = { p->rq_head, p->rt_head, p->cfs_head };
		for (int k = 0; k < 3; k++)
			for (struct host_task *t = heads[k]; t; t = t->rq_next) {
				sim_time_t from = t->last_queued;
				if (t->woke_idle && p->idle_left > from)
					from = p->idle_left;
				if (now > from && t->state == TASK_RUNNABLE) /* not asleep in a queue (delayed dequeue) */
					t->run_delay += now - from;
				t->last_queued = now;
				t->woke_idle = false;
			}
	}
}
