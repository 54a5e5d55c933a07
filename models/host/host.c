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

static void rq_remove(struct pcpu *p, struct host_task *t, struct host_task *prev)
{
	if (prev)
		prev->rq_next = t->rq_next;
	else
		p->rq_head = t->rq_next;
	if (p->rq_tail == t)
		p->rq_tail = prev;
	t->rq_next = NULL;
}

/* rq_best - the task the scheduler would run next (NULL: none queued); *prevp its predecessor. */
static struct host_task *rq_best(struct pcpu *p, struct host_task **prevp)
{
	struct host_task *best = NULL, *bprev = NULL, *prev = NULL;
	for (struct host_task *t = p->rq_head; t; prev = t, t = t->rq_next) {
		if (!best) {
			best = t, bprev = prev;
			if (p->host->sched == HOST_SCHED_FIFO)
				break;
			continue;
		}
		bool better = t->rt != best->rt ? t->rt /* SCHED_FIFO first, in queue order */
			      : t->rt ? false
			      : p->host->sched == HOST_SCHED_EEVDF ? t->deadline < best->deadline
								   : t->vruntime < best->vruntime;
		if (better)
			best = t, bprev = prev;
	}
	if (prevp)
		*prevp = bprev;
	return best;
}

static struct host_task *rq_pop(struct pcpu *p)
{
	struct host_task *prev, *t = rq_best(p, &prev);
	if (t)
		rq_remove(p, t, prev);
	return t;
}

/* ---- the fair class ---------------------------------------------------------------- */

/* update_curr - charge the running task's time since it was last accounted (update_curr()). */
static void update_curr(struct pcpu *p)
{
	struct host_task *t = p->curr;
	if (!t || t->state != TASK_RUNNING)
		return;
	sim_time_t now = sim_now(p->host->sim), d = now - t->exec_start;
	t->exec_start = now;
	t->run_ps += d;
	if (!t->rt)
		t->vruntime += (int64_t)((__int128)d * NICE_0_WEIGHT / t->weight);
	int64_t m = t->rt ? INT64_MAX : t->vruntime;
	struct host_task *b = rq_best(p, NULL);
	if (b && !b->rt && b->vruntime < m)
		m = b->vruntime;
	if (m != INT64_MAX && m > p->min_vruntime)
		p->min_vruntime = m;
}

static int64_t vslice(const struct host *h, const struct host_task *t, sim_time_t slice)
{
	return (int64_t)((__int128)slice * NICE_0_WEIGHT / t->weight);
}

/* place_entity - a waking fair task's vruntime: not behind min_vruntime by more than half a
 * latency (CFS's sleeper credit) or, in EEVDF, with no lag kept across the sleep. */
static void place_entity(struct pcpu *p, struct host_task *t)
{
	const struct host *h = p->host;
	if (h->sched == HOST_SCHED_FIFO || t->rt)
		return;
	int64_t floor = h->sched == HOST_SCHED_CFS ? p->min_vruntime - h->sched_latency / 2 : p->min_vruntime;
	if (t->vruntime < floor)
		t->vruntime = floor;
	t->deadline = t->vruntime + vslice(h, t, h->base_slice);
}

/* wakeup_preempt - does waking task t preempt the running one (check_preempt_wakeup())? */
static bool wakeup_preempt(struct pcpu *p, struct host_task *t)
{
	const struct host *h = p->host;
	struct host_task *c = p->curr;
	if (h->sched == HOST_SCHED_FIFO)
		return h->wakeup_preempt;
	if (!c || c->rt)
		return false; /* nothing preempts a SCHED_FIFO task but a higher priority */
	if (t->rt)
		return true;
	if (!h->wakeup_preempt)
		return false;
	update_curr(p);
	if (h->sched == HOST_SCHED_EEVDF) /* eligible (not ahead of the queue) and an earlier deadline */
		return t->vruntime <= c->vruntime && t->deadline < c->deadline;
	return c->vruntime - t->vruntime > vslice(h, t, h->wakeup_granularity);
}

/* tick_preempt - the tick on a busy pCPU: has the running task had its share (check_preempt_tick())? */
static bool tick_preempt(struct pcpu *p)
{
	const struct host *h = p->host;
	struct host_task *c = p->curr, *b = rq_best(p, NULL);
	if (!c || !b || c->rt)
		return false;
	update_curr(p);
	if (b->rt)
		return true;
	sim_time_t ran = sim_now(h->sim) - c->slice_start;
	if (h->sched == HOST_SCHED_EEVDF)
		return c->vruntime >= c->deadline; /* the slice is used: the earliest deadline runs */
	unsigned nr = p->nr_running;
	sim_time_t period = nr > h->sched_latency / h->min_granularity ? (sim_time_t)nr * h->min_granularity
									 : h->sched_latency;
	sim_time_t ideal = period / (nr ? nr : 1); /* equal weights; a weight's share otherwise */
	if (ran >= ideal)
		return true;
	return ran >= h->min_granularity && c->vruntime - b->vruntime > ideal;
}

static void resched_curr(struct pcpu *p)
{
	p->need_resched = true;
	if (p->phase == PCPU_RUN)
		p->curr->ops->resched(p->curr);
}

static void ev_tick(struct sim *sim, void *subject, void *object)
{
	struct pcpu *p = subject;
	p->ticks++;
	p->tick_ev = sim_after(sim, p->host->tick, ev_tick, p, NULL);
	if (p->phase == PCPU_RUN && tick_preempt(p))
		resched_curr(p);
}

/* set_running - t has its pCPU from now (after a switch, or placed on an idle one). */
static void set_running(struct pcpu *p, struct host_task *t)
{
	sim_time_t now = sim_now(p->host->sim);
	p->phase = PCPU_RUN;
	p->curr = t;
	t->state = TASK_RUNNING;
	t->exec_start = t->slice_start = now;
	t->switches++;
	sim_hist_record(&t->run_delay, (now - t->runnable_since) / SIM_NS);
	if (p->host->sched == HOST_SCHED_EEVDF && !t->rt)
		t->deadline = t->vruntime + vslice(p->host, t, p->host->base_slice);
}

static void switch_done(struct sim *sim, void *subject, void *object)
{
	struct pcpu *p = subject;
	struct host_task *t = p->curr;
	p->ev = SIM_NO_EVENT;
	set_running(p, t);
	t->ops->run(t);
	/* a task that woke while this one was being switched in may preempt it now */
	struct host_task *b = p->curr == t && t->state == TASK_RUNNING ? rq_best(p, NULL) : NULL;
	if (b && p->host->sched != HOST_SCHED_FIFO && wakeup_preempt(p, b))
		resched_curr(p);
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
	t->weight = NICE_0_WEIGHT;
	sim_hist_init(&t->run_delay);
}

void host_sched_flush(struct pcpu *p)
{
	update_curr(p);
}

void host_task_stats_reset(struct host_task *t)
{
	update_curr(t->cpu);
	if (t->cpu->curr == t && t->state == TASK_RUNNING)
		t->exec_start = sim_now(t->cpu->host->sim);
	t->run_ps = 0;
	t->switches = t->involuntary = 0;
	sim_hist_free(&t->run_delay);
	sim_hist_init(&t->run_delay);
}

void host_task_fini(struct host_task *t)
{
	sim_hist_free(&t->run_delay);
}

void host_task_wake(struct host_task *t)
{
	struct pcpu *p = t->cpu;
	assert(t->state == TASK_SLEEPING);
	t->state = TASK_RUNNABLE;
	t->runnable_since = sim_now(p->host->sim);
	p->nr_running++;
	update_curr(p);
	place_entity(p, t);
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
		if (wakeup_preempt(p, t))
			p->need_resched = true;
		p->curr->ops->resched(p->curr);
		break;
	}
}

void host_task_place(struct host_task *t)
{
	struct pcpu *p = t->cpu;
	t->state = TASK_RUNNABLE;
	t->runnable_since = sim_now(p->host->sim);
	p->nr_running++;
	place_entity(p, t);
	rq_push(p, t);
	if (p->phase == PCPU_IDLE) {
		p->idle_entries[p->idle_state]--; /* it never really idled */
		rq_remove(p, t, NULL);
		set_running(p, t);
		t->ops->run(t);
	}
}

void host_task_sleep(struct host_task *t)
{
	struct pcpu *p = t->cpu;
	assert(p->curr == t && t->state == TASK_RUNNING && p->phase == PCPU_RUN);
	update_curr(p);
	t->state = TASK_SLEEPING;
	p->nr_running--;
	schedule_next(p);
}

bool host_task_yield(struct host_task *t)
{
	struct pcpu *p = t->cpu;
	assert(p->curr == t && t->state == TASK_RUNNING);
	update_curr(p);
	if (p->host->sched == HOST_SCHED_EEVDF && !t->rt && t->vruntime >= t->deadline) /* update_deadline() */
		t->deadline = t->vruntime + vslice(p->host, t, p->host->base_slice);
	struct host_task *b = rq_best(p, NULL);
	bool other = b && (p->host->sched == HOST_SCHED_FIFO || b->rt ||
			   (!t->rt && (p->host->sched == HOST_SCHED_EEVDF ? b->deadline < t->deadline
									  : b->vruntime < t->vruntime)));
	if (!other) { /* schedule() picks us again: no switch */
		p->need_resched = false;
		return false;
	}
	t->state = TASK_RUNNABLE;
	t->runnable_since = sim_now(p->host->sim);
	t->involuntary++;
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

unsigned host_nice_weight(int nice)
{
	static const unsigned w[40] = {
		88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916,
		9548,  7620,  6100,  4904,  3906,  3121,  2501,  1991,  1586,  1277,
		1024,  820,   655,   526,   423,   335,   272,   215,   172,   137,
		110,   87,    70,    56,    45,    36,    29,    23,    18,    15,
	};
	return w[(nice < -20 ? -20 : nice > 19 ? 19 : nice) + 20];
}

void host_set_scheduler(struct host *h, enum host_sched sched, int hz)
{
	h->sched = sched;
	h->tick = hz > 0 ? SIM_S / hz : 0;
	/* sysctl_sched_*: scaled by 1 + log2(CPUs), the CPUs capped at 8 (SCHED_TUNABLESCALING_LOG) */
	int n = h->ncpu < 8 ? h->ncpu : 8, factor = 1;
	while (n >>= 1)
		factor++;
	h->sched_latency = (sim_time_t)factor * 6 * SIM_MS;
	h->min_granularity = (sim_time_t)factor * 750 * SIM_US;
	h->wakeup_granularity = (sim_time_t)factor * SIM_MS;
	h->base_slice = (sim_time_t)factor * 750 * SIM_US;
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
		if (h->sched != HOST_SCHED_FIFO && h->tick > 0)
			p->tick_ev = sim_after(h->sim, h->tick, ev_tick, p, NULL);
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
