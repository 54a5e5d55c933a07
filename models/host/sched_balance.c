/*
 * sched_balance.c - the fair class's wake-up placement and load balancing
 * (see sched_fair.c's header: "Placement and balancing").
 */
#include "models/host/sched_fair.h"

#include <stddef.h>

#define BALANCE_TICKS 4

static bool cpu_idle(const struct pcpu *c)
{
	return c->nr_running == 0 && (c->phase == PCPU_IDLE || c->phase == PCPU_IDLE_IRQ);
}

struct pcpu *fair_select_rq(struct host_task *t)
{
	struct pcpu *prev = t->cpu;
	struct host *h = prev->host;
	if (!t->cpus_mask || !h->sched.balance || t->se.sched_delayed) /* delayed: woken where queued */
		return prev;
	if (host_task_cpu_allowed(t, prev) && cpu_idle(prev))
		return prev;
	struct pcpu *dst = NULL;
	for (int k = 1; k <= h->ncpu && !dst; k++) {
		struct pcpu *c = &h->cpu[(prev->id + k) % h->ncpu];
		if (host_task_cpu_allowed(t, c) && cpu_idle(c))
			dst = c;
	}
	for (int k = 0; !dst && k < h->ncpu; k++)
		if (host_task_cpu_allowed(t, &h->cpu[(prev->id + k) % h->ncpu]))
			dst = &h->cpu[(prev->id + k) % h->ncpu];
	if (dst && dst != prev)
		renormalise(t, prev, dst);
	return dst ? dst : prev;
}

/* movable - a task queued on src that may run on dst. */
static struct host_task *movable(const struct pcpu *src, const struct pcpu *dst)
{
	for (struct host_task *t = src->rt_head; t; t = t->rq_next)
		if (t->cpus_mask && host_task_cpu_allowed(t, dst))
			return t;
	for (struct host_task *t = src->cfs_head; t; t = t->rq_next)
		if (t->cpus_mask && !t->se.sched_delayed && host_task_cpu_allowed(t, dst))
			return t;
	return NULL;
}

/* pull_busiest - move a task to p from the pCPU with the most runnable tasks (at least p's + min_gap). */
static struct host_task *pull_busiest(struct pcpu *p, unsigned min_gap)
{
	struct host *h = p->host;
	if (!h->nr_movable || !h->sched.balance)
		return NULL;
	struct pcpu *busiest = NULL;
	struct host_task *t = NULL;
	for (int k = 1; k < h->ncpu; k++) {
		struct pcpu *c = &h->cpu[(p->id + k) % h->ncpu];
		if (c->nr_running < p->nr_running + min_gap || (busiest && c->nr_running <= busiest->nr_running))
			continue;
		struct host_task *m = movable(c, p);
		if (m) {
			busiest = c;
			t = m;
		}
	}
	if (t) {
		fair_move_task(t, p);
		p->balance_pulls++;
	}
	return t;
}

bool fair_idle_balance(struct pcpu *p)
{
	return pull_busiest(p, 1) != NULL;
}

void fair_periodic_balance(struct pcpu *p)
{
	struct host *h = p->host;
	if (!h->nr_movable || !h->sched.balance)
		return;
	/* NOHZ idle balancing: an idle pCPU takes a task this one has queued */
	if (p->nr_running >= 2) {
		for (int k = 1; k < h->ncpu; k++) {
			struct pcpu *c = &h->cpu[(p->id + k) % h->ncpu];
			if (!cpu_idle(c))
				continue;
			struct host_task *t = movable(p, c);
			if (t) {
				fair_move_task(t, c);
				c->balance_pulls++;
				host_kick_idle(c);
				return;
			}
		}
	}
	struct host_task *t = p->ticks % BALANCE_TICKS == 0 ? pull_busiest(p, 2) : NULL;
	if (t && fair_wakeup_preempt(p, t)) {
		p->need_resched = true;
		p->curr->ops->resched(p->curr, false);
	}
}

