/* host.c - pCPU scheduling, idle states and CPU-time accounting (see host.h). */
#include "models/host/host.h"
#include "sim/xalloc.h"

#include <assert.h>
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
	pcpu_account(p, ACCT_IDLE);
}

static void schedule_next(struct pcpu *p);

/*
 * idle_exit_latency - how long this exit from the current idle state takes. The driver's
 * table gives a worst case (intel_idle's exit_latency); a real exit usually takes less, so
 * with a spread it is uniform in [(1 - spread) x table, table].
 */
static sim_time_t idle_exit_latency(struct pcpu *p)
{
	sim_time_t worst = p->host->idle[p->idle_state].exit_latency;
	double spread = p->host->idle_exit_spread;
	if (!p->idle_rng || worst <= 0)
		return worst;
	return worst - (sim_time_t)(spread * gsl_rng_uniform(p->idle_rng) * (double)worst);
}

static void idle_exit_done(struct sim *sim, void *subject, void *object)
{
	struct pcpu *p = subject;
	p->ev = SIM_NO_EVENT;
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

static void rq_push(struct pcpu *p, struct host_task *t)
{
	t->rq_next = NULL;
	if (p->rq_tail)
		p->rq_tail->rq_next = t;
	else
		p->rq_head = t;
	p->rq_tail = t;
}

static struct host_task *rq_pop(struct pcpu *p)
{
	struct host_task *t = p->rq_head;
	if (t) {
		p->rq_head = t->rq_next;
		if (!p->rq_head)
			p->rq_tail = NULL;
		t->rq_next = NULL;
	}
	return t;
}

static void switch_done(struct sim *sim, void *subject, void *object)
{
	struct pcpu *p = subject;
	struct host_task *t = p->curr;
	p->ev = SIM_NO_EVENT;
	p->phase = PCPU_RUN;
	t->state = TASK_RUNNING;
	t->ops->run(t);
}

/* schedule_next - the pCPU is free: switch to the next queued task or go idle. */
static void schedule_next(struct pcpu *p)
{
	p->need_resched = false;
	struct host_task *t = rq_pop(p);
	if (!t) {
		enter_idle(p);
		return;
	}
	p->phase = PCPU_SWITCH;
	p->curr = t;
	p->ctx_switches++;
	pcpu_account(p, ACCT_SCHED);
	p->ev = sim_after(p->host->sim, p->host->cost.ctxsw, switch_done, p, NULL);
}

void host_task_init(struct host_task *t, const struct host_task_ops *ops, struct pcpu *cpu,
		    const char *name, int pid)
{
	memset(t, 0, sizeof(*t));
	t->ops = ops;
	t->cpu = cpu;
	t->state = TASK_SLEEPING;
	t->name = name;
	t->pid = pid;
}

void host_task_wake(struct host_task *t)
{
	struct pcpu *p = t->cpu;
	assert(t->state == TASK_SLEEPING);
	t->state = TASK_RUNNABLE;
	p->nr_running++;
	rq_push(p, t);
	switch (p->phase) {
	case PCPU_IDLE: {
		const struct host_idle_state *st = &p->host->idle[p->idle_state];
		sim_time_t ipi = st->polling ? 0 : p->host->cost.ipi;
		if (!st->polling)
			p->wake_ipis++;
		p->phase = PCPU_IDLE_EXIT;
		p->ev = sim_after(p->host->sim, ipi, idle_wakeup_arrived, p, NULL);
		break;
	}
	case PCPU_IDLE_EXIT:
	case PCPU_IDLE_IRQ:
	case PCPU_SWITCH:
		break; /* queued behind the task being switched in; only a running task is preempted */
	case PCPU_RUN:
		if (p->host->wakeup_preempt)
			p->need_resched = true;
		p->curr->ops->resched(p->curr);
		break;
	}
}

void host_task_place(struct host_task *t)
{
	struct pcpu *p = t->cpu;
	t->state = TASK_RUNNABLE;
	p->nr_running++;
	rq_push(p, t);
	if (p->phase == PCPU_IDLE) {
		p->idle_entries[p->idle_state]--; /* it never really idled */
		rq_pop(p);
		p->phase = PCPU_RUN;
		p->curr = t;
		t->state = TASK_RUNNING;
		t->ops->run(t);
	}
}

void host_task_sleep(struct host_task *t)
{
	struct pcpu *p = t->cpu;
	assert(p->curr == t && t->state == TASK_RUNNING && p->phase == PCPU_RUN);
	t->state = TASK_SLEEPING;
	p->nr_running--;
	schedule_next(p);
}

bool host_task_yield(struct host_task *t)
{
	struct pcpu *p = t->cpu;
	assert(p->curr == t && t->state == TASK_RUNNING);
	if (!p->rq_head) { /* schedule() picks us again: no switch */
		p->need_resched = false;
		return false;
	}
	t->state = TASK_RUNNABLE;
	rq_push(p, t);
	schedule_next(p);
	return true;
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
		p->curr->ops->resched(p->curr);
	}
	sim_after(sim, (sim_time_t)(gsl_ran_exponential(p->rng, 1.0 / p->host->resched_rate) * SIM_S) + 1,
		  resched_request, p, NULL);
}

/* ---- life cycle ------------------------------------------------------------------ */

struct host *host_new(struct sim *sim, int ncpu, const struct host_idle_state *idle, int nidle,
		      int max_cstate, bool idle_poll, bool wakeup_preempt, double resched_rate,
		      struct host_conf_costs cost, uint64_t seed)
{
	struct host *h = xcalloc(1, sizeof(*h));
	h->sim = sim;
	h->ncpu = ncpu;
	h->nidle = nidle;
	memcpy(h->idle, idle, (size_t)nidle * sizeof(*idle));
	h->max_cstate = max_cstate < nidle - 1 ? max_cstate : nidle - 1;
	h->idle_poll = idle_poll;
	h->wakeup_preempt = wakeup_preempt;
	h->resched_rate = resched_rate;
	h->cost = cost;
	h->seed = seed;
	h->cpu = xcalloc((size_t)ncpu, sizeof(*h->cpu));
	for (int i = 0; i < ncpu; i++) {
		struct pcpu *p = &h->cpu[i];
		p->host = h;
		p->id = i;
		p->predicted_idle = SIM_MS; /* start by trusting idle to be long */
		if (resched_rate > 0) {
			char name[64];
			snprintf(name, sizeof(name), "host/cpu%d/resched", i);
			p->rng = sim_rng_new(seed, name);
		}
	}
	return h;
}

void host_free(struct host *h)
{
	if (!h)
		return;
	for (int i = 0; i < h->ncpu; i++)
		if (h->cpu[i].rng)
			gsl_rng_free(h->cpu[i].rng);
	for (int i = 0; i < h->ncpu; i++)
		if (h->cpu[i].idle_rng)
			gsl_rng_free(h->cpu[i].idle_rng);
	free(h->cpu);
	free(h);
}

void host_start(struct host *h)
{
	for (int i = 0; i < h->ncpu; i++) {
		struct pcpu *p = &h->cpu[i];
		if (h->idle_exit_spread > 0 && !p->idle_rng) {
			char name[64];
			snprintf(name, sizeof(name), "host/cpu%d/idle", i);
			p->idle_rng = sim_rng_new(h->seed, name);
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
		p->ctx_switches = p->wake_ipis = p->resched_requests = 0;
	}
}

void host_finish(struct host *h)
{
	for (int i = 0; i < h->ncpu; i++) {
		struct pcpu *p = &h->cpu[i];
		flush(p);
		assert(p->poll_pending_ps == 0); /* vcpu_finish() resolved every vCPU's share */
	}
}
