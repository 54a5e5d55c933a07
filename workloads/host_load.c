/* host_load.c - a bursty host task (see host_load.h). */
#include "workloads/host_load.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "sim/rng.h"

static inline struct host_load *task_load(struct host_task *t)
{
	return (struct host_load *)((char *)t - offsetof(struct host_load, task));
}

static void ev_done(struct sim *sim, void *subject, void *object)
{
	struct host_load *l = subject;
	l->ev = SIM_NO_EVENT;
	l->backlog = 0;
	if (l->defer != SIM_NO_EVENT) /* it sleeps first: the preemption has nothing left to do */
		sim_cancel(l->sim, l->defer);
	l->defer = SIM_NO_EVENT;
	host_task_sleep(&l->task);
}

static void load_run(struct host_task *t)
{
	struct host_load *l = task_load(t);
	pcpu_account(t->cpu, ACCT_TASK);
	l->since = sim_now(l->sim);
	l->ev = sim_after(l->sim, l->backlog, ev_done, l, NULL);
}

/* preempt - need_resched set while it runs: schedule() now */
static void preempt(struct host_load *l)
{
	struct host_task *t = &l->task;
	sim_time_t now = sim_now(l->sim);
	sim_cancel(l->sim, l->ev);
	l->backlog -= now - l->since;
	l->since = now;
	if (host_task_yield(t))
		l->preemptions++;
	else
		l->ev = sim_after(l->sim, l->backlog, ev_done, l, NULL);
}

static void ev_deferred(struct sim *sim, void *subject, void *object)
{
	(void)sim, (void)object;
	struct host_load *l = subject;
	l->defer = SIM_NO_EVENT;
	if (l->task.state == TASK_RUNNING && l->task.cpu->need_resched)
		preempt(l);
}

static void load_resched(struct host_task *t, bool remote)
{
	(void)remote;
	struct host_load *l = task_load(t);
	if (!t->cpu->need_resched || l->defer != SIM_NO_EVENT)
		return; /* not asked, or already on its way to a preemption point */
	sim_time_t d = l->rng ? dist_sample(&l->preempt_delay, l->rng) : 0;
	if (d > 0)
		l->defer = sim_after(l->sim, d, ev_deferred, l, NULL);
	else
		preempt(l);
}

/* load_stall - a host interrupt's handler takes cost of the burst's CPU: it ends that much later. */
static void load_stall(struct host_task *t, sim_time_t cost)
{
	struct host_load *l = task_load(t);
	if (l->ev == SIM_NO_EVENT)
		return;
	l->since = sim_time_add_sat(l->since, cost); /* no progress while the handler runs */
	l->ev = sim_postpone(l->sim, l->ev, cost);
}

static const struct host_task_ops load_ops = { load_run, load_resched, load_stall };

static void arrive(void *ctx, sim_time_t work)
{
	struct host_load *l = ctx;
	l->offered += work;
	if (l->task.state == TASK_RUNNING) { /* more work for the running burst */
		sim_time_t now = sim_now(l->sim);
		sim_cancel(l->sim, l->ev);
		l->backlog = sim_time_add_sat(l->backlog, work) - (now - l->since);
		l->since = now;
		l->ev = sim_after(l->sim, l->backlog, ev_done, l, NULL);
		return;
	}
	l->backlog = sim_time_add_sat(l->backlog, work);
	if (l->task.state == TASK_SLEEPING) {
		l->bursts++;
		host_task_wake(&l->task);
	}
}

int host_load_init(struct host_load *l, struct sim *sim, struct pcpu *cpu, const char *name, int pid,
		   const struct source_conf *sc, const struct dist *preempt_delay, uint64_t seed, const char *stream,
		   char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	l->sim = sim;
	l->defer = SIM_NO_EVENT;
	if (preempt_delay && !(preempt_delay->kind == DIST_FIXED && preempt_delay->value == 0)) {
		char name2[128];
		snprintf(name2, sizeof(name2), "%s/preempt", stream);
		l->preempt_delay = *preempt_delay;
		l->rng = sim_rng_new(seed, name2);
	}
	snprintf(l->name, sizeof(l->name), "%s", name);
	host_task_init(&l->task, &load_ops, cpu, l->name, pid);
	return source_init(&l->src, sc, -1, seed, stream, arrive, l, err, errlen);
}

void host_load_stats_reset(struct host_load *l)
{
	/* what is still to do counts as offered in the measured span: it runs there */
	sim_time_t left = l->backlog;
	if (l->task.state == TASK_RUNNING)
		left -= sim_now(l->sim) - l->since;
	l->offered = left > 0 ? left : 0;
}

void host_load_start(struct host_load *l)
{
	source_start(&l->src, l->sim);
}

void host_load_free(struct host_load *l)
{
	if (l->rng)
		gsl_rng_free(l->rng);
	l->rng = NULL;
	source_fini(&l->src);
}
