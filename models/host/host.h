/*
 * host.h - physical CPUs: a run-queue each, context switches, wake-up IPIs and
 * host idle states.
 *
 * State. Each pCPU runs at most one task (a vCPU thread or another host task);
 * runnable tasks wait in a FIFO run-queue. nr_running counts the running task
 * plus the queued ones, as the scheduler does, so single_task_running() is
 * nr_running == 1. A pCPU with nothing to run enters an idle state chosen by a
 * menu-like governor: the deepest enabled state whose target residency fits
 * the predicted idle time (an average of recent idle periods), never deeper
 * than max_cstate; with idle_poll (host idle=poll) it spins in C0.
 *
 * Events. host_task_wake(): a sleeping task becomes runnable on its pCPU. An
 * idle pCPU takes a wake-up IPI (none when it polls in idle), leaves its idle
 * state (exit latency) and switches to the task (ctxsw). A busy pCPU queues it
 * and, with wakeup_preempt, sets need_resched and tells the running task
 * (ops->resched), which gives the CPU up at its next preemption point
 * (host_task_yield). host_task_sleep(): the running task blocks.
 * resched_rate adds requests to reschedule that come with no task (RCU forcing
 * a quiescent state through resched_cpu()): they set need_resched alone.
 * There is no time-slice preemption: a task runs until it blocks, yields, or
 * is preempted by a wake-up (the model's workloads are short bursts).
 *
 * Accounting. Every picosecond of every pCPU is in exactly one bucket: guest,
 * guest_poll (the guest polling in its idle loop: idle=poll or cpuidle-haltpoll),
 * kvm (root-mode exit handling and entry), poll_ok / poll_fail (halt polling,
 * split when the halt's outcome is known), task (other host tasks), sched
 * (context switches), idle_exit (leaving an idle state), irq (interrupt
 * handlers run on an otherwise idle pCPU), idle (per state).
 */
#ifndef KVMSIM_HOST_HOST_H
#define KVMSIM_HOST_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "sim/event.h"

enum host_acct {
	ACCT_GUEST,
	ACCT_GUEST_POLL,
	ACCT_KVM,
	ACCT_POLL_OK,
	ACCT_POLL_FAIL,
	ACCT_TASK,
	ACCT_SCHED,
	ACCT_IDLE_EXIT,
	ACCT_IRQ,
	ACCT_IDLE,
	ACCT_N,
	ACCT_POLL = ACCT_N, /* in progress: becomes POLL_OK or POLL_FAIL */
};

extern const char *const host_acct_names[ACCT_N];

#define HOST_MAX_IDLE_STATES 8

struct host_idle_state {
	char name[16];
	sim_time_t exit_latency;
	sim_time_t target_residency;
	double power_w; /* package power share of one core in this state (energy estimates) */
	bool polling;   /* a polling state (POLL): no IPI needed to wake */
};

struct host_task;

struct host_task_ops {
	/* run - the task has the CPU now (its switch-in is done). */
	void (*run)(struct host_task *t);
	/* resched - t is running, and another task became runnable or need_resched was set. */
	void (*resched)(struct host_task *t);
};

enum host_task_state { TASK_SLEEPING, TASK_RUNNABLE, TASK_RUNNING };

struct host_task {
	const struct host_task_ops *ops;
	struct pcpu *cpu;
	enum host_task_state state;
	struct host_task *rq_next;
	const char *name;
	int pid;
};

enum pcpu_phase { PCPU_RUN, PCPU_SWITCH, PCPU_IDLE, PCPU_IDLE_EXIT, PCPU_IDLE_IRQ };

struct pcpu {
	struct host *host;
	int id;
	enum pcpu_phase phase;
	struct host_task *curr; /* running task (PCPU_RUN) or the one being switched in */
	struct host_task *rq_head, *rq_tail;
	unsigned nr_running;
	bool need_resched;
	int idle_state;
	sim_time_t idle_since;
	sim_time_t predicted_idle; /* governor's running average, ps */
	sim_handle_t ev;
	gsl_rng *rng; /* resched requests */
	gsl_rng *idle_rng; /* idle-state exit latencies, when they vary */
	struct { /* an interrupt taken on an idle pCPU */
		sim_action_fn *fn;
		void *subject, *object;
		sim_time_t cost;
	} irq;
	/* accounting */
	int acct; /* enum host_acct or ACCT_POLL */
	sim_time_t acct_since;
	sim_time_t acct_ps[ACCT_N];
	sim_time_t poll_pending_ps; /* polled, outcome not known yet */
	sim_time_t idle_ps[HOST_MAX_IDLE_STATES];
	uint64_t idle_entries[HOST_MAX_IDLE_STATES];
	uint64_t ctx_switches, wake_ipis, resched_requests;
};

struct host_conf_costs {
	sim_time_t ctxsw; /* a context switch, including KVM's vcpu_put/vcpu_load */
	sim_time_t ipi;   /* IPI latency, send to handler */
};

struct host {
	struct sim *sim;
	struct pcpu *cpu;
	int ncpu;
	struct host_idle_state idle[HOST_MAX_IDLE_STATES];
	int nidle;
	int max_cstate; /* deepest usable index */
	bool idle_poll;
	bool wakeup_preempt;
	double resched_rate; /* Hz per pCPU */
	double idle_exit_spread; /* exits take [(1 - spread) x, 1 x] the table's exit_latency; set before host_start */
	uint64_t seed;
	struct host_conf_costs cost;
};

struct host *host_new(struct sim *sim, int ncpu, const struct host_idle_state *idle, int nidle,
		      int max_cstate, bool idle_poll, bool wakeup_preempt, double resched_rate,
		      struct host_conf_costs cost, uint64_t seed);
void host_free(struct host *h);
/* host_start - begin accounting at time now (every pCPU idle) and start request sources. */
void host_start(struct host *h);
/* host_stats_reset - the warm-up ends: accounting and counters start again from now. */
void host_stats_reset(struct host *h);
/* host_finish - close the accounting at now (after every vCPU resolved its polls). */
void host_finish(struct host *h);

void host_task_init(struct host_task *t, const struct host_task_ops *ops, struct pcpu *cpu,
		    const char *name, int pid);
void host_task_wake(struct host_task *t);
/* host_task_place - at the start of a run: t is runnable, and runs at once if its pCPU is idle. */
void host_task_place(struct host_task *t);
void host_task_sleep(struct host_task *t);
/* host_task_yield - the running task gives the CPU up but stays runnable; false if it keeps it. */
bool host_task_yield(struct host_task *t);

static inline bool single_task_running(const struct pcpu *p)
{
	return p->nr_running == 1;
}

/*
 * host_irq - a local interrupt on p (a host timer): its handler takes `cost`,
 * then fn runs. An idle pCPU first leaves its idle state (no IPI) and charges
 * the handler to irq; a busy one runs it on the current task's time.
 */
void host_irq(struct pcpu *p, sim_time_t cost, sim_action_fn *fn, void *subject, void *object);

/* pcpu_account - the running task changes what the pCPU's time counts as. */
void pcpu_account(struct pcpu *p, int acct);
/* pcpu_resolve_poll - `amount` of the pending poll time succeeded or failed. */
void pcpu_resolve_poll(struct pcpu *p, sim_time_t amount, bool success);

#endif
