/*
 * sched_simple.c - host.scheduler: simple (see host.h). One FIFO run-queue
 * per pCPU: a woken task goes to its tail and preempts a running task (never
 * one being switched in); no slices, no tick, no priorities, no migration.
 * The model's behaviour before the fair class (sched_fair.c) existed.
 */
#include "models/host/host.h"

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

static void simple_enqueue(struct pcpu *p, struct host_task *t, bool wakeup)
{
	rq_push(p, t);
}

static void simple_dequeue(struct pcpu *p, struct host_task *t)
{
}

static void simple_put_prev(struct pcpu *p, struct host_task *t)
{
	rq_push(p, t);
}

static bool simple_wakeup_preempt(struct pcpu *p, struct host_task *t)
{
	return p->phase == PCPU_RUN; /* only a running task is preempted, never one being switched in */
}

const struct host_sched_class host_sched_simple = {
	.name = "simple",
	.enqueue = simple_enqueue,
	.dequeue = simple_dequeue,
	.put_prev = simple_put_prev,
	.pick_next = rq_pop,
	.wakeup_preempt = simple_wakeup_preempt,
};
