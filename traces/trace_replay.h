/*
 * trace_replay.h - what another halt-polling setting would have done with a
 * recorded trace's load.
 *
 * Reading (replay_trace_add, a trace_event_fn) keeps, per vCPU thread (task
 * pid), each halt's end (the kvm_vcpu_wakeup timestamp), its length (the
 * event's ns) and whether the thread slept, the recorded decisions, and the
 * interrupts that reached each vCPU (kvm_msi_set_irq and kvm_apic_accept_irq,
 * by APIC id, which is the vcpu id).
 *
 * replay_build() then rebuilds the load the guest put on KVM:
 *
 *   halt start      wake-up timestamp - halt ns
 *   wake source     for a halt that slept: the first interrupt for the vCPU
 *                   during the halt (kvm_msi_set_irq to its APIC, or
 *                   kvm_apic_accept_irq), i.e. the end less the wake-up latency
 *                   the trace shows; without such an event the end less the
 *                   median of the latencies the trace does show (or a given
 *                   one); for a halt that polled: its end (or its interrupt)
 *   wake-up delay   for a halt that slept, that latency: if the wake source
 *                   finds the simulated vCPU asleep, the host wakes it as late
 *   guest work      the guest-mode time (kvm_entry to kvm_exit) between a halt
 *                   and the next; without those events, the time from a halt's
 *                   end to the next halt's start less the model's own path over
 *                   that gap (entry, the interrupt's delivery and EOI, the HLT
 *                   exit: measured on the model itself, see replay_run), so the
 *                   simulated halts start when the recorded ones did
 *
 * and replay_run() simulates it on kvmsim's machine: one VM with a vCPU per
 * thread, pinned to the CPU the thread ended most of its halts on (threads
 * that shared a CPU share a pCPU), the wake sources an `arrivals` workload, under
 * the policy and parameters of one column, the host's idle states limited to
 * what the recorded wake-up latency allows. The results come from the run's
 * report (kvmsim-run/1) and from its own trace read back through the same
 * readers (the halt_poll_ns decisions).
 */
#ifndef KVMSIM_TRACES_TRACE_REPLAY_H
#define KVMSIM_TRACES_TRACE_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/hist.h"
#include "traces/pid_map.h"
#include "traces/trace_event.h"

struct replay_halt {
	int64_t end;  /* trace clock, ns */
	uint64_t ns;  /* kvm_vcpu_wakeup's halt ns */
	bool waited;
	uint32_t hpn_before; /* halt_poll_ns before this halt, from the recorded decisions */
	int64_t guest_ns;    /* guest-mode time (kvm_entry to kvm_exit) until the next halt; -1 unknown */
	long line;           /* of its kvm_vcpu_wakeup in the trace */
};

/* The CPUs a thread was seen on, and how often (a thread on more CPUs than kept counts on the last). */
struct replay_cpus {
	struct {
		int32_t cpu;
		uint64_t n;
	} at[8];
	size_t n;
};

/*
 * A host thread that raised MSIs (kvm_msi_set_irq from its context: a device
 * model, an irqfd writer) and is no vCPU thread. On a CPU a vCPU thread ran
 * on, it is host load the trace shows: it runs REPLAY_PRODUCER_RUN_NS before
 * each MSI it raises, so a vCPU polling there stops (single_task_running()).
 */
struct replay_producer {
	int32_t pid;
	char comm[24];
	struct replay_cpus cpus;
	int64_t *ts; /* its MSIs */
	int32_t *ts_cpu; /* the CPU of each */
	size_t nts, cap;
	int32_t cpu;  /* replay_build: the one it raised most on */
	long pcpu;    /* ... as a pCPU of the model, -1 if no vCPU thread ran there */
};

struct replay_vcpu {
	int32_t pid;
	int32_t tgid; /* its process (the VM), -1 unknown */
	char comm[24];
	uint32_t vcpu_id;
	bool vcpu_id_known;
	struct replay_halt *halts;
	size_t nhalts, cap;
	uint32_t hpn;                /* recorded halt_poll_ns so far */
	uint32_t decided_old;        /* a decision traced for the halt not yet ended: its old value */
	bool decided;
	int64_t entry_ts, guest_acc; /* the last kvm_entry; guest time since the last halt */
	bool in_guest, saw_entry_exit;
	bool hpn_known;
	uint64_t grows, shrinks;     /* recorded decisions */
	struct replay_cpus cpus;     /* the CPUs its halts ended on */
	struct replay_off {          /* off its CPU (sched_switch): from out to in (-1 not yet back) */
		int64_t out, in;
		bool runnable;       /* preempted, not asleep */
	} *off;
	size_t noff, cap_off;
	int32_t cpu;                 /* replay_build: the one it ended most halts on */
	size_t pcpu;                 /* ... as a pCPU of the model */
};

/* A rebuilt wake source: when it is raised, and the guest work it brings. */
struct replay_arrival {
	int64_t t, work; /* trace clock, ns */
	size_t vcpu;
	long line;       /* of the halt it ends */
	bool from_gap;   /* work is the whole gap to the next halt (no kvm_entry/kvm_exit) */
	int64_t lat;     /* the halt slept: its wake-up latency as traced (assumed if no interrupt shows); -1 polled */
	bool at_accept;  /* t is when the trace shows the IRR set (kvm_apic_accept_irq), not the MSI raised */
	int64_t end;     /* the halt's end (trace clock, ns) */
	int64_t earliest; /* a halt that slept: the earliest its source can be (past its poll window) */
};

struct replay_irq {
	int64_t ts;
	uint32_t apicid;
	int32_t tgid; /* the VM's process, if the trace shows it and a vCPU thread has it; else -1 */
	bool accept; /* kvm_apic_accept_irq (the IRR set), else kvm_msi_set_irq (the device raising it) */
};

/* The figures of one column: the trace itself, or one simulated setting. */
struct replay_result {
	char name[96];
	char kernel[24];          /* simulated: the release modelled */
	char idle_limit[16];      /* simulated: deepest host idle state allowed by the calibration, or "" */
	bool recorded;
	uint64_t halts, polls_attempted, polls_ok;
	uint64_t grows, shrinks;
	struct sim_hist wake_lat; /* ns */
	int64_t poll_ok_ns, poll_fail_ns;
	int64_t span_ns;
	uint64_t arrivals;        /* simulated: wake sources delivered */
	int64_t path_ns;          /* simulated: the model's own path from a wake-up to the next halt, -1 unmeasured */
	int64_t wake_extra_ns;    /* simulated: the median host wake-up delay replayed beyond the model's own, -1 none */
	int64_t idle_bound_ns;    /* simulated: the idle states' exit latency limit, -1 none */
};

struct replay_trace {
	struct replay_vcpu *vcpus;
	size_t nvcpus, cap_vcpus;
	struct pid_map by_pid;
	struct replay_irq *irqs;
	size_t nirqs, cap_irqs;
	struct replay_producer *prods;
	size_t nprods, cap_prods;
	struct pid_map prod_by_pid;
	int64_t first_ts, last_ts;
	bool any;
	bool sub_us;    /* some timestamp is not a whole microsecond (else they may be rounded to it) */
	bool sched;     /* sched_switch events of the vCPU threads: polls' ends and preemptions measured */
	/* replay_build */
	int64_t t0;                 /* the arrivals' zero on the trace clock */
	struct replay_arrival *arr; /* `arrivals` of them, in time order */
	uint64_t arrivals, measured, assumed;
	uint64_t work_guest, work_gap; /* works from kvm_entry/kvm_exit, or from the gap between halts */
	int64_t assumed_latency_ns;
	size_t npcpus;              /* distinct CPUs the threads mostly ran on */
	size_t prods_modelled;      /* producers on a vCPU thread's CPU: host tasks of the model */
	uint64_t slept_measured;    /* halts that slept with their interrupt in the trace */
	int64_t median_latency_ns;  /* of those */
	struct replay_result recorded;
};


/* What a replay can simulate (the limits of an arrivals workload). */
#define REPLAY_MAX_WORK_NS (86400LL * 1000000000) /* guest work between two halts */
/* from the first wake source to the trace's end: the simulated duration (at most a day) less its tail */
#define REPLAY_MAX_SPAN_NS (86400LL * 1000000000 - REPLAY_TAIL_NS)
#define REPLAY_TAIL_NS 10000000LL /* simulated time after the last arrival's work */
/* a wake source of a halt that polled and then slept comes at least this long after its window (past
 * the last check before sleeping, which the model makes block_prepare after it: 346 ns on xeon-pvm) */
#define REPLAY_PAST_WINDOW_NS 400
/* a producer thread's run before each MSI it raises (an assumption: the trace shows only the MSI) */
#define REPLAY_PRODUCER_RUN_NS 2000

/*
 * replay_build - rebuild the wake sources and guest work and write them as an
 * arrivals file (lines "VCPU TIME_NS WORK_NS"); latency_ns < 0: from the trace.
 * Fills the recorded column. Returns 0; TRACE_READ_BAD with a message naming
 * the trace (name) and line if it cannot be replayed; TRACE_READ_FAILED if the
 * arrivals cannot be written (the message says why, the caller names the file).
 */
int replay_build(struct replay_trace *t, const char *name, int64_t latency_ns, FILE *arrivals, char *err,
		 size_t errlen);

/* replay_write_producer - producer i's wake-ups as host-task arrivals (TIME_NS WORK_NS); -1 on a write error. */
int replay_write_producer(const struct replay_trace *t, size_t i, FILE *out);

/* What a first run measures on the model itself (medians, ns; -1 unmeasured), taken out of the replayed load. */
struct replay_model_own {
	int64_t path_ns;    /* a halt's end to its thread's next halt's start */
	int64_t wake_ns;    /* IRR set to kvm_vcpu_wakeup, a halt that slept */
	int64_t poll_ns;    /* IRR set to kvm_vcpu_wakeup, a halt that polled */
	int64_t deliver_ns; /* kvm_msi_set_irq to the IRR set */
};

/*
 * replay_write_arrivals - the arrivals, gap-derived works less own->path_ns;
 * with own->wake_ns >= 0, a fourth column: what the host took beyond it to
 * wake the thread, each halt's own if it slept, else the trace's median. A
 * source whose IRR the trace shows set raises its MSI own->deliver_ns (the
 * model's own delivery) before. With own->poll_ns >= 0, the source of a halt
 * that polled is raised so that the model's poll ends it when the recorded
 * one ended (no earlier than the trace shows it); with own->wake_ns >= 0, the
 * source of a halt that slept is raised early enough for the model's own
 * wake-up to end it when the recorded one ended, if the trace shows a
 * quicker one (no earlier than its poll window's end). own NULL: the load as
 * the trace shows it. -1 on a write error.
 */
int replay_write_arrivals(const struct replay_trace *t, FILE *out, const struct replay_model_own *own);

void replay_result_free(struct replay_result *r);

#endif
