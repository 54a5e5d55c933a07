/*
 * sched_fair.h - what the fair class's two files share (sched_fair.c: the
 * queues, virtual time, pick and wake-up preemption; sched_balance.c: wake-up
 * placement and load balancing). Not for use outside models/host.
 */
#ifndef KVMSIM_HOST_SCHED_FAIR_H
#define KVMSIM_HOST_SCHED_FAIR_H

#include "models/host/host.h"

/* renormalise - t moves from src to dst: its place in virtual time goes with it. */
static inline void renormalise(struct host_task *t, struct pcpu *src, struct pcpu *dst)
{
	if (!src->host->sched.eevdf)
		t->se.vruntime += dst->min_vruntime - src->min_vruntime;
	/* EEVDF: the lag kept at dequeue places it in dst's V */
}

/* fair_move_task - detach the queued t from its pCPU and attach it to dst's queue. */
void fair_move_task(struct host_task *t, struct pcpu *dst);
/* fair_wakeup_preempt - the class's wakeup_preempt (t was just enqueued on p). */
bool fair_wakeup_preempt(struct pcpu *p, struct host_task *t);
/* sched_balance.c: the class's select_rq, idle_balance and periodic_balance */
struct pcpu *fair_select_rq(struct host_task *t);
bool fair_idle_balance(struct pcpu *p);
void fair_periodic_balance(struct pcpu *p);

#endif
