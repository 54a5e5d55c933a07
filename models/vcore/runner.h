/*
 * runner.h - a POWER7/POWER8 vcore in time: its threads, H_CEDE and H_PROD,
 * the runner's loop of kvmppc_run_vcpu(), and kvmppc_vcore_blocked() (vcore.h)
 * run on the event core (docs/kernel-behaviour.md §2.1, 2.3).
 *
 * A vcore of 1 to 8 threads (vCPUs) runs in the guest together. Each thread
 * works through the items given to it, then makes the H_CEDE hypercall:
 *
 *   a thread cedes       it naps inside the guest while another thread runs;
 *                        the last thread to cede takes the whole vcore out of
 *                        the guest (costs.vcore_exit)
 *   the runner's loop    when the vcore is out: if a thread is woken, run the
 *                        core again (costs.vcore_entry); else, every runnable
 *                        thread ceded, call kvmppc_vcore_blocked(): poll the
 *                        window (a wake-up is seen costs.poll_check after it
 *                        arrives), else sleep (woken after costs.sched_wakeup)
 *   an interrupt         sets pending_exceptions and gives the thread an item
 *   H_PROD from another  sets prodded and gives the thread an item; a prod
 *   vCPU                 that finds its target running cancels its next cede
 *                        (the item is then done at once, without napping)
 *   a woken thread       napping in a running vcore: an IPI wakes it
 *                        (costs.nap_wakeup); with the vcore out, the runner
 *                        sees it as above and re-enters the core
 *
 * The runner is the vCPU whose task drives the vcore (thread `runner`, 0 by
 * default: the other tasks wait in kvmppc_wait_for_exec() while it runs), and
 * the halt statistics go to it. The runner's CPU may be shared with other
 * host tasks through the optional host ops (below): the poll then stops
 * when its condition fails, and a reschedule is honoured when the vcore is
 * next out of the guest, or forced out (kvmppc_runner_force_exit). Not modelled:
 * signals, threads leaving the vcore for host work, dynamic
 * micro-threading and piggybacking.
 *
 * The costs come from the cost profile (power8: vcore_entry, vcore_exit,
 * nap_wakeup, vcore_poll_check; workloads/scenario/machine_ppc.c). Time is
 * the event core's, in ps; ktime_get() is its ns.
 */
#ifndef KVMSIM_VCORE_RUNNER_H
#define KVMSIM_VCORE_RUNNER_H

#include <stdbool.h>
#include <stdint.h>

#include "models/vcore/vcore.h"
#include "sim/event.h"

/* The path's costs, in ps. */
struct kvmppc_runner_costs {
	sim_time_t vcore_exit;   /* the last cede to the runner back in the host */
	sim_time_t vcore_entry;  /* kvmppc_run_core() to the threads in the guest */
	sim_time_t nap_wakeup;   /* an IPI to a napping thread of a running vcore */
	sim_time_t poll_check;   /* a wake-up to the poll loop noticing it */
	sim_time_t sched_wakeup; /* rcuwait_wake_up() to the runner running again */
};

/* What a thread is doing. */
enum kvmppc_vthread_state {
	KVMPPC_VT_RUNNING, /* in the guest, working */
	KVMPPC_VT_CEDED,   /* H_CEDE done: napping in the guest, or waiting with the vcore out */
};

/* Where the vcore is (vc->vcore_state, split where time is spent). */
enum kvmppc_runner_state {
	KVMPPC_VC_IN_GUEST, /* VCORE_RUNNING */
	KVMPPC_VC_EXITING,  /* the threads leaving the guest */
	KVMPPC_VC_POLLING,  /* VCORE_POLLING */
	KVMPPC_VC_SLEEPING, /* VCORE_SLEEPING */
	KVMPPC_VC_WAKING,   /* woken, the runner not yet running */
	KVMPPC_VC_ENTERING, /* kvmppc_run_core() entering the guest */
	KVMPPC_VC_PREEMPTED, /* out of the guest, the runner gave its CPU up (cond_resched()) */
	KVMPPC_VC_NSTATES
};

/* The latency of the wake-ups that found a thread ceded: arrival to its item starting. */
struct kvmppc_wake_stats {
	uint64_t wakes;
	sim_time_t sum, min, max;
};

struct kvmppc_vthread {
	uint32_t vcpu_id;
	enum kvmppc_vthread_state state;
	bool ceded, prodded, pending_exceptions; /* vcpu->arch.* */
	uint32_t queued;                         /* items given and not yet started */
	bool waiting;                            /* a wake-up sample is open since arrived */
	sim_time_t arrived;
	sim_handle_t ev;                         /* its item's end, or its nap wake-up */
	struct kvmppc_vcore_stat stat;           /* meaningful for the runner only */
	struct kvmppc_wake_stats wake;
	uint64_t cedes, prods_cancelling_cede;
	bool held;      /* its item was cut by a forced exit (kvmppc_runner_force_exit) */
	sim_time_t left; /* held: the item's work still to do */
};

/*
 * The guest's side: how long each item keeps its thread busy, and what the
 * item's end does (done: may prod another thread, kvmppc_runner_h_prod()).
 * The host's side, all optional (NULL: the runner has its CPU to itself and
 * is woken costs.sched_wakeup after a wake-up): state is told every change of
 * the vcore's state (to account the CPU's time); sleep blocks the runner's
 * task; wake makes it runnable, and the host calls kvmppc_runner_awake() when
 * it runs; yield, asked each time the vcore is out of the guest, gives the
 * CPU up (true) until the host calls kvmppc_runner_resume().
 */
struct kvmppc_runner_ops {
	sim_time_t (*work)(void *ctx, int thread, bool prod);
	void (*done)(void *ctx, int thread);
	void (*state)(void *ctx, enum kvmppc_runner_state from, enum kvmppc_runner_state to);
	void (*sleep)(void *ctx);
	void (*wake)(void *ctx);
	bool (*yield)(void *ctx);
	void *ctx;
};

struct kvmppc_runner {
	struct sim *sim;
	struct kvmppc_vcore vc;
	struct kvmppc_runner_costs costs;
	struct kvmppc_runner_ops ops;
	int nthreads;
	int runner;
	struct kvmppc_vthread t[KVMPPC_MAX_SMT_THREADS];
	enum kvmppc_runner_state state;
	struct kvmppc_vcore_block block; /* the kvmppc_vcore_blocked() in progress */
	sim_handle_t ev;                 /* the vcore's pending transition */
	sim_time_t poll_end;             /* POLLING: when the window ends */
	bool noticing;                   /* POLLING: the loop is about to see a wake-up */
	sim_time_t since;                /* when state was entered */
	sim_time_t time_in[KVMPPC_VC_NSTATES];
	uint64_t entries, blocks, forced_exits;
};

/*
 * kvmppc_runner_init - a vcore of nthreads (1..8) threads, all ceded and the
 * vcore out of the guest and blocked, as after the guest's boot: the first
 * item wakes it. era, cpu, param, halt_poll_max_ns and tracer as for
 * kvmppc_vcore_init(); the runner is thread 0, vcpu ids first_vcpu onwards.
 * On POWER9 from 5.16 there is no vcore: nthreads is taken as 1. nthreads is
 * clamped to 1..8.
 */
void kvmppc_runner_init(struct kvmppc_runner *r, struct sim *sim, const struct kvm_era *era,
			enum kvmppc_cpu cpu, const struct kvm_module_params *param,
			uint32_t halt_poll_max_ns, int nthreads, uint32_t first_vcpu,
			const struct kvmppc_runner_costs *costs, const struct kvmppc_runner_ops *ops,
			const struct kvmppc_vcore_tracer *tracer);

/* kvmppc_runner_irq - an interrupt for thread t now (pending_exceptions). */
void kvmppc_runner_irq(struct kvmppc_runner *r, int t);

/* kvmppc_runner_h_prod - H_PROD of thread t now, from another vCPU (prodded). */
void kvmppc_runner_h_prod(struct kvmppc_runner *r, int t);

/* kvmppc_runner_awake - the runner's task runs again after a wake (ops.wake). */
void kvmppc_runner_awake(struct kvmppc_runner *r);

/* kvmppc_runner_resume - the runner's task runs again after ops.yield gave the CPU up. */
void kvmppc_runner_resume(struct kvmppc_runner *r);

/*
 * kvmppc_runner_poll_stop - the poll loop's condition failed (another task
 * runnable on the runner's CPU, or from 5.15 need_resched()): the loop ends
 * now, the check before sleeping runs. No effect unless polling.
 */
void kvmppc_runner_poll_stop(struct kvmppc_runner *r);

/*
 * kvmppc_runner_force_exit - a host interrupt (a reschedule IPI) takes the
 * running vcore out of the guest now: the threads' items stop where they
 * are and go on when the vcore is next entered. No effect unless in the guest.
 */
void kvmppc_runner_force_exit(struct kvmppc_runner *r);

/* kvmppc_runner_account - close the time accounting at now (before reading time_in). */
void kvmppc_runner_account(struct kvmppc_runner *r);

#endif
