/*
 * host_load.h - another task on the host: woken by an arrival process, it runs
 * for the work the arrival brought (arrivals while it runs add to its
 * backlog), then sleeps. It shares its pCPU with vCPU threads through the
 * host scheduler, so it is what makes single_task_running() false and what a
 * woken vCPU thread may have to preempt. With a preempt_delay, a preemption
 * (need_resched set while it runs) takes effect only a draw of it later, as on
 * a kernel without preemption (PREEMPT_NONE) a task in kernel mode runs on to
 * its next preemption point; it is not preempted again meanwhile.
 */
#ifndef KVMSIM_WORKLOADS_HOST_LOAD_H
#define KVMSIM_WORKLOADS_HOST_LOAD_H

#include "models/host/host.h"
#include "sim/dist.h"
#include "sim/source.h"

struct host_load {
	struct host_task task;
	struct sim *sim;
	struct source src;
	char name[32];
	sim_time_t backlog, since;
	sim_handle_t ev;
	struct dist preempt_delay;
	gsl_rng *rng;        /* its draws, with a preempt_delay */
	sim_handle_t defer;  /* the deferred preemption */
	uint64_t bursts, preemptions;
	sim_time_t offered; /* the work its arrivals brought (CPU it asked for) */
};

/* host_load_init - a task called `name` on `cpu`, drawing from the stream `stream` (its
 * preempt_delay, NULL or fixed 0: none, from `stream`/preempt). */
int host_load_init(struct host_load *l, struct sim *sim, struct pcpu *cpu, const char *name, int pid,
		   const struct source_conf *sc, const struct dist *preempt_delay, uint64_t seed, const char *stream,
		   char *err, size_t errlen);
void host_load_start(struct host_load *l);
/* host_load_stats_reset - the warm-up ends: what it offered counts from now. */
void host_load_stats_reset(struct host_load *l);
void host_load_free(struct host_load *l);

#endif
