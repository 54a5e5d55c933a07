/* host_life.c - building a host and its tasks, and the scheduler's parameters (see host.h). */
#include "models/host/host.h"
#include "sim/rng.h"
#include "sim/xalloc.h"

#include <stdio.h>
#include <string.h>

#include <gsl/gsl_rng.h>

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

	h->cls = &host_sched_simple;
	h->cpu = xcalloc((size_t)ncpu, sizeof(*h->cpu));
	for (int i = 0; i < ncpu; i++) {
		struct pcpu *p = &h->cpu[i];
		p->host = h;
		p->id = i;
		p->predicted_idle = SIM_MS; /* start by trusting idle to be long */
		p->tick_ev = SIM_NO_EVENT;
		p->resched_ipi_ev = SIM_NO_EVENT;
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
	for (int i = 0; i < h->ncpu; i++) {
		if (h->cpu[i].idle_rng)
			gsl_rng_free(h->cpu[i].idle_rng);
		if (h->cpu[i].entry_rng)
			gsl_rng_free(h->cpu[i].entry_rng);
		if (h->cpu[i].noise_rng)
			gsl_rng_free(h->cpu[i].noise_rng);
	}
	if (h->smi_rng)
		gsl_rng_free(h->smi_rng);

	for (int i = 0; i < h->nhists; i++) {
		sim_hist_free(h->hists[i]);
		free(h->hists[i]);
	}
	free(h->hists);
	free(h->cpu);
	free(h);
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
	t->policy = SCHED_NORMAL;
	t->se.weight = sched_prio_to_weight[20];
	struct host *h = cpu->host;
	h->hists = xrealloc(h->hists, (size_t)(h->nhists + 1) * sizeof(*h->hists));
	t->delay = xcalloc(1, sizeof(*t->delay));
	sim_hist_init(t->delay);
	h->hists[h->nhists++] = t->delay;
}

void host_task_set_nice(struct host_task *t, int nice)
{
	t->nice = nice < -20 ? -20 : nice > 19 ? 19 : nice;
	t->se.weight = sched_prio_to_weight[t->nice + 20];
}

bool host_task_cpu_allowed(const struct host_task *t, const struct pcpu *p)
{
	if (!t->cpus_mask)
		return p == t->cpu;
	return (t->cpus_mask[p->id / 64] >> (p->id % 64)) & 1;
}

void host_set_sched(struct host *h, const struct host_sched_conf *c)
{
	h->sched = *c;
	h->cls = c->kind == HOST_SCHED_FAIR ? &host_sched_fair : &host_sched_simple;
	h->tick_period = c->kind == HOST_SCHED_FAIR && c->hz > 0 ? SIM_S / c->hz : 0;
	/* sysctl_sched_*: SCHED_TUNABLESCALING_LOG, factor 1 + ilog2(min(ncpus, 8)) */
	int n = h->ncpu < 8 ? h->ncpu : 8, factor = 1;
	while (n >>= 1)
		factor++;
	h->sched_latency = factor * 6 * SIM_MS;
	h->min_granularity = factor * 750 * SIM_US;
	h->wakeup_granularity = factor * SIM_MS;
	h->base_slice = factor * 750 * SIM_US;
}
