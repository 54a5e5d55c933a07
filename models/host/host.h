/*
 * host.h - physical CPUs: a run-queue each, context switches, wake-up IPIs and
 * host idle states.
 *
 * State. Each pCPU runs at most one task (a vCPU thread or another host task);
 * runnable tasks wait in its run-queue (the scheduling class's: below).
 * A task runs on one pCPU at a time, t->cpu, which changes only while it is
 * asleep or queued (a migration). nr_running counts the running task
 * plus the queued runnable ones, nr_delayed the tasks asleep but still queued
 * (EEVDF's delayed dequeue, 6.12+), which the kernel's rq->nr_running also
 * holds: single_task_running() is nr_running + nr_delayed == 1. A pCPU with
 * nothing to run enters an idle state chosen by a menu-like governor: the
 * deepest enabled state whose target residency fits the predicted idle time
 * (an average of recent idle periods), never deeper than max_cstate; with
 * idle_poll (host idle=poll) it spins in C0.
 *
 * Events. host_task_wake(): a sleeping task becomes runnable on its pCPU. An
 * idle pCPU takes a wake-up IPI (none when it polls in idle), leaves its idle
 * state (exit latency) and switches to the task (ctxsw). A busy pCPU queues it
 * and, with wakeup_preempt and when the class says so, sets need_resched; it
 * tells the running task (ops->resched) in any case, which gives the CPU up
 * at its next preemption point (host_task_yield) if need_resched is set.
 * With the fair class a wake-up during a context switch is checked against
 * the task being switched in, and a need_resched set meanwhile reaches that
 * task as soon as it runs. host_task_sleep(): the running task blocks.
 * resched_rate adds requests to reschedule that come with no task (RCU forcing
 * a quiescent state through resched_cpu()): they set need_resched alone.
 *
 * The scheduler. Which task runs next is a scheduling class behind one
 * interface (struct host_sched_class; host.scheduler):
 *   simple  FIFO run-queues (sched_simple.c), a wake-up always preempts,
 *           no tick, no migration: a task runs until it blocks, yields, or is
 *           preempted by a wake-up. Cheapest; the model's behaviour before the
 *           fair class existed, kept exactly.
 *   fair    the kernel's fair class (sched_fair.c): CFS up to 6.5, EEVDF from
 *           6.6, with the tick, slices, wake-up preemption, nice weights,
 *           SCHED_FIFO tasks above it, affinity masks, wake-up placement on an
 *           idle allowed pCPU, idle and periodic balancing (see sched_fair.c).
 * A task's statistics are the kernel's sched_info: run_delay (runnable, not
 * running: what a vCPU's guest sees as steal time through MSR_KVM_STEAL_TIME;
 * a wake-up onto an idle pCPU is enqueued there once the pCPU is out of idle,
 * through the wake list, so the IPI and the idle exit are not run delay),
 * its distribution, pcount, migrations, voluntary and involuntary switches.
 * sum_exec (the kernel's sum_exec_runtime) and the fair class's vruntime go
 * by the run-queue clock: a wake-up that leaves need_resched on a running task
 * (or a yield_to()) makes the next schedule() skip its clock update
 * (rq_clock_skip_update()), so the wait from that wake-up to the switch is the
 * woken task's CPU time (host_rq_clock). Run delays stay on kvmsim's clock (the
 * kernel's would end at the skipped clock too, and a preempted vCPU's steal
 * would overlap its last guest time).
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

#include "sim/dist.h"
#include "sim/event.h"
#include "sim/hist.h"

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
	/* entry_latency - how long after entering the state the CPU actually reaches it (for a
	 * guest's HLT: until the hypervisor below has it halted); a wake-up before then leaves
	 * without the exit latency. 0 (every bare-metal table): the state is reached at once. */
	sim_time_t entry_latency;
	/* exit_q - when set, each exit draws from these exit_nq quantiles (ps, at evenly spaced
	 * probabilities; a measured distribution) instead of exit_latency with the host's
	 * idle_exit_spread; exit_latency stays the state's figure for the governors. Owned by
	 * whoever built the table (a cost profile). */
	const sim_time_t *exit_q;
	size_t exit_nq;
	/* entry_q - when set, each entry into the state draws its entry latency from these
	 * entry_nq quantiles (ps, evenly spaced probabilities; measured) instead of
	 * entry_latency. Owned like exit_q. */
	const sim_time_t *entry_q;
	size_t entry_nq;
	/* exit_growth, exit_growth_tau - an exit after a longer stay takes longer: exit_growth x
	 * (1 - e^(-t / exit_growth_tau)) more, t the time since the state was reached (measured on
	 * a host that is itself a VM: the hypervisor below and the host's own wake-up path are
	 * slower after longer sleeps). 0: the same exit whatever the stay (every bare-metal table). */
	sim_time_t exit_growth, exit_growth_tau;
	sim_time_t target_residency;
	double power_w; /* package power share of one core in this state (energy estimates) */
	bool polling;   /* a polling state (POLL): no IPI needed to wake */
};

struct host_task;

struct host_task_ops {
	/* run - the task has the CPU now (its switch-in is done). */
	void (*run)(struct host_task *t);
	/* resched - t is running, and another task became runnable or need_resched was set; remote:
	 * told from another CPU (a reschedule IPI), else on its own */
	void (*resched)(struct host_task *t, bool remote);
	/* stall - optional: t is running and a host interrupt takes `cost` of its CPU now (noise.h). */
	void (*stall)(struct host_task *t, sim_time_t cost);
	/* own_ipi - resched models the reschedule IPI's way to t itself (a vCPU: to a CPU in guest
	 * mode it is a kick and an exit, the profile's ipi and, told remotely, ipi_guest on top;
	 * to one polling in KVM none), so a remote
	 * wake-up calls it at once rather than the host's ipi later */
	bool own_ipi;
};

enum host_task_state { TASK_SLEEPING, TASK_RUNNABLE, TASK_RUNNING };

enum host_sched_policy { SCHED_NORMAL, SCHED_FIFO };

/* The fair class's per-task state (struct sched_entity); times in ps. */
struct sched_entity {
	unsigned long weight;  /* sched_prio_to_weight[nice + 20] */
	sim_time_t vruntime;   /* virtual runtime: run time * NICE_0_LOAD / weight */
	sim_time_t deadline;   /* EEVDF: virtual deadline */
	sim_time_t vlag;       /* EEVDF: lag kept across a sleep (V - vruntime) */
	sim_time_t slice;      /* EEVDF: requested slice */
	sim_time_t exec_start; /* when its current stretch on the CPU began */
	sim_time_t sum_exec_runtime, prev_sum_exec_runtime;
	bool on_rq;            /* queued (the running task is not in the queue) */
	bool sched_delayed;    /* EEVDF 6.12+: asleep but still queued until eligible (DELAY_DEQUEUE) */
};

struct host_task {
	const struct host_task_ops *ops;
	struct pcpu *cpu;
	enum host_task_state state;
	struct host_task *rq_next, *rq_prev;
	const char *name;
	int pid;
	/* scheduling parameters (set after host_task_init, before the run) */
	int policy;            /* enum host_sched_policy */
	int nice;              /* -20..19 (SCHED_NORMAL) */
	int rt_priority;       /* 1..99 (SCHED_FIFO) */
	const uint64_t *cpus_mask; /* allowed pCPUs, a bit each; NULL: only cpu (pinned) */
	struct sched_entity se;
	/* sched_info and run time */
	sim_time_t last_queued;   /* became runnable (waiting for its pCPU) */
	bool woke_idle;           /* woken onto an idle pCPU: the wait starts once it is out of idle */
	sim_time_t run_delay;     /* total time runnable but not running */
	struct sim_hist *delay;   /* each wait's run delay, ns (owned by the host) */
	sim_time_t run_start;     /* running since (its switch-in done) */
	sim_time_t runtime;       /* time it had its pCPU (after its switch-in) */
	sim_time_t exec_start;    /* the run-queue clock when it was picked (host_rq_clock) */
	sim_time_t sum_exec;      /* the kernel's sum_exec_runtime (what its thread's CPU clock and
				   * schedstat say): from each pick, so with its switch-in, to its
				   * departure, by the run-queue clock */
	uint64_t pcount, nr_migrations, nvcsw, nivcsw;
};

enum pcpu_phase { PCPU_RUN, PCPU_SWITCH, PCPU_IDLE, PCPU_IDLE_EXIT, PCPU_IDLE_IRQ };

struct pcpu {
	struct host *host;
	int id;
	enum pcpu_phase phase;
	struct host_task *curr; /* running task (PCPU_RUN) or the one being switched in */
	struct host_task *rq_head, *rq_tail;
	unsigned nr_running;
	unsigned nr_delayed; /* EEVDF 6.12+: asleep but still queued (se.sched_delayed): in rq->nr_running */
	bool need_resched;
	int idle_state;
	sim_time_t idle_since;
	sim_time_t idle_entry; /* this stay's entry latency (the state's, or drawn) */
	sim_time_t predicted_idle; /* governor's running average, ps */
	sim_handle_t ev;
	gsl_rng *rng; /* resched requests */
	gsl_rng *idle_rng; /* idle-state exit latencies, when they vary */
	gsl_rng *entry_rng; /* idle-state entry latencies, when a state draws them (a stream of their own) */
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
	/* the fair class's run-queue (struct cfs_rq, struct rt_rq) and the tick */
	struct host_task *cfs_head, *rt_head; /* queued tasks (not curr), unordered / by priority */
	unsigned cfs_nr, rt_nr;               /* queued + curr of the class */
	unsigned long cfs_load;               /* weights of the queued fair tasks and curr */
	sim_time_t min_vruntime;
	struct host_task *sched_curr;         /* the class's current task (counted in cfs_nr/rt_nr) */
	struct host_task *sched_prev;         /* just put back: picking it again keeps its slice */
	bool eevdf_resched;                   /* update_deadline() asked for a reschedule */
	sim_time_t idle_left;                 /* when it last finished leaving an idle state */
	sim_handle_t tick_ev;
	sim_handle_t resched_ipi_ev;          /* a remote wake-up's reschedule IPI on its way */
	/* rq_clock_skip_update(): a wake-up that leaves need_resched set on a running task asks
	 * the next schedule() not to update the run-queue clock (RQCF_REQ_SKIP). Until then
	 * clock_at is its last update (that wake-up, or a later enqueue or tick); within that
	 * schedule() (RQCF_ACT_SKIP) the outgoing task's time and the incoming one's wait end
	 * there, and the incoming one's time starts there (host_rq_clock) */
	bool clock_skip, clock_skip_act;
	sim_time_t clock_at;
	uint64_t ticks, balance_pulls;
	struct host_task *next_buddy;         /* yield_to(): picked next while it may run (cfs_rq->next) */
	uint64_t yld_count;                   /* successful yield_to()s from this pCPU (schedstat) */
	gsl_rng *noise_rng;                   /* host interrupts (noise.h) */
	uint64_t noise_irqs, smis;
};

/* Tail sources that are not the VMs' (noise.h); rates 0: none. */
struct host_noise_conf {
	double irq_rate;      /* host interrupts per pCPU and second */
	struct dist irq_cost; /* each one's handler */
	double smi_rate;      /* SMIs per second, for the host */
	struct dist smi_cost; /* each one, on every pCPU */
};

struct host_conf_costs {
	sim_time_t ctxsw; /* a context switch, including KVM's vcpu_put/vcpu_load */
	sim_time_t ipi;   /* IPI latency, send to handler */
};

enum host_sched_kind { HOST_SCHED_SIMPLE, HOST_SCHED_FAIR };

/* The scheduler's parameters (host.scheduler, host.hz; the tunables as the kernel scales them). */
struct host_sched_conf {
	int kind;              /* enum host_sched_kind */
	bool eevdf;            /* 6.6+: EEVDF, else CFS */
	bool delay_dequeue;    /* EEVDF 6.12+: DELAY_DEQUEUE and DELAY_ZERO (sched_fair.c) */
	int hz;                /* CONFIG_HZ: the tick */
	bool balance;          /* idle and periodic load balancing */
};

struct host;
struct host_sched_class {
	const char *name;
	/* enqueue - t became runnable on p (woken, placed, or migrated in). */
	void (*enqueue)(struct pcpu *p, struct host_task *t, bool wakeup);
	/* dequeue - the running t blocks. */
	void (*dequeue)(struct pcpu *p, struct host_task *t);
	/* put_prev - the running t gives the CPU up, still runnable. */
	void (*put_prev)(struct pcpu *p, struct host_task *t);
	/* pick_next - the task to run next, taken off the queue (set_next_entity); NULL: none. */
	struct host_task *(*pick_next)(struct pcpu *p);
	/* wakeup_preempt - t was just enqueued on p: must curr give the CPU up? */
	bool (*wakeup_preempt)(struct pcpu *p, struct host_task *t);
	/* the rest may be NULL (the simple class) */
	struct pcpu *(*select_rq)(struct host_task *t); /* where a waking t goes */
	bool (*task_tick)(struct pcpu *p);               /* the tick: true to set need_resched */
	bool (*idle_balance)(struct pcpu *p);            /* p goes idle: pull a task (enqueued) */
	void (*periodic_balance)(struct pcpu *p);
	/* yield_to_task - curr (running on its pCPU) gives way to t, queued on t->cpu:
	 * yield_to_task_fair(): t becomes the next buddy, curr yields; false: t cannot be boosted. */
	bool (*yield_to_task)(struct host_task *curr, struct host_task *t);
};

struct host {
	struct sim *sim;
	const struct host_sched_class *cls;
	struct host_sched_conf sched;
	sim_time_t sched_latency, min_granularity, wakeup_granularity, base_slice, tick_period;
	int nr_movable;         /* queued tasks with an affinity mask (what balancing can move) */
	struct sim_hist **hists; /* every task's run-delay histogram */
	int nhists;
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
	struct host_noise_conf noise; /* host_noise_start */
	gsl_rng *smi_rng;
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

/* host_set_sched - choose the scheduler (before host_start; the default is simple). */
void host_set_sched(struct host *h, const struct host_sched_conf *c);

/* host_task_stats_reset - the warm-up ends: its sched_info and run time start again from now. */
void host_task_stats_reset(struct host_task *t);
void host_task_init(struct host_task *t, const struct host_task_ops *ops, struct pcpu *cpu,
		    const char *name, int pid);
/* host_task_cpu_allowed - whether t may run on p. */
bool host_task_cpu_allowed(const struct host_task *t, const struct pcpu *p);
/* host_task_set_nice - the task's nice value (-20..19) and its weight. */
void host_task_set_nice(struct host_task *t, int nice);

extern const struct host_sched_class host_sched_simple, host_sched_fair;
/* sched_prio_to_weight - the kernel's weight of nice -20..19 (index nice + 20). */
extern const unsigned long sched_prio_to_weight[40];
/* host_migrate - move the queued (not running) t from its pCPU to dst (the class's queues too). */
void host_migrate(struct host_task *t, struct pcpu *dst);
/* host_kick_idle - dst was idle and now has queued work: wake it (as a wake-up does). */
void host_kick_idle(struct pcpu *dst);
void host_task_wake(struct host_task *t);
/* host_task_wake_from - host_task_wake() by a waker on another CPU (remote): a wake-up that
 * preempts the task running on t's pCPU sets its need_resched at once, but that task hears
 * of it only when the reschedule IPI arrives (resched_curr()'s smp_send_reschedule(), the
 * profile's ipi later); on the waker's own CPU (remote false) at once. */
void host_task_wake_from(struct host_task *t, bool remote);
/* host_task_place - at the start of a run: t is runnable, and runs at once if its pCPU is idle. */
void host_task_place(struct host_task *t);
void host_task_sleep(struct host_task *t);
/* host_task_yield - the running task gives the CPU up but stays runnable; false if it keeps it. */
bool host_task_yield(struct host_task *t);
/* host_yield_to - yield_to(t, preempt=true): the running curr gives its CPU to the runnable t
 * (a directed yield). 1: t was boosted and curr's pCPU has need_resched set (curr gives the CPU up
 * at its next preemption point), t's pCPU rescheduled if it is another; 0: the class refused;
 * -1: t is running or not runnable (-ESRCH). */
int host_yield_to(struct host_task *curr, struct host_task *t);

/* host_rq_clock - rq_clock(): now, but within a schedule() whose clock update a wake-up skipped,
 * the clock as last updated */
static inline sim_time_t host_rq_clock(const struct pcpu *p)
{
	return p->clock_skip_act ? p->clock_at : sim_now(p->host->sim);
}

/* single_task_running - rq->nr_running == 1: the kernel's count holds a delayed task (6.12+) until
 * it really leaves the queue, so one sitting there ends a halt poll at its first check. */
static inline bool single_task_running(const struct pcpu *p)
{
	return p->nr_running + p->nr_delayed == 1;
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
