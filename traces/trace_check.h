/*
 * trace_check.h - does the policy make the trace's own decisions?
 *
 * Every kvm_vcpu_wakeup of a trace is one halt of one vCPU thread (told apart
 * by task pid): its ns is the halt_ns the kernel measured, and the
 * kvm_halt_poll_ns events the same thread printed since its previous wake-up
 * are the grow/shrink decisions that halt caused. The checker feeds each halt,
 * with its recorded waited and valid flags, through the kernel's halt handler
 * (kvm_vcpu_halt_begin/end) of the chosen release, parameters and policy, one
 * model vCPU per thread, and compares the decisions the model traces with the
 * recorded ones, halt by halt. After a disagreement the model's halt_poll_ns
 * is set to what the trace shows, so later halts are judged on their own.
 *
 * A thread's halt_poll_ns when the trace starts is taken from the "old" value
 * of its first recorded decision (a new VM's vCPU starts at 0, and no change
 * before the first decision is silent unless MAX is 0), or given.
 */
#ifndef KVMSIM_TRACES_TRACE_CHECK_H
#define KVMSIM_TRACES_TRACE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/haltpoll/kvm_halt.h"
#include "traces/pid_map.h"
#include "traces/trace_event.h"

#define CHECK_MAX_DECISIONS 8 /* per halt; the kernel makes at most one */

struct check_conf {
	const struct kvm_era *era;
	struct kvm_module_params param;
	bool cap_set;        /* KVM_CAP_HALT_POLL on every VM of the trace */
	uint32_t cap;
	uint64_t msr_poll_control;
	const struct hp_policy *policy;
	const struct hp_param *pparams;
	size_t npparams;
	int64_t initial_hpn; /* halt_poll_ns of every thread at the start; -1: from its first decision */
};

struct check_decision {
	bool grow;
	uint32_t vcpu_id, new_ns, old_ns;
	long line; /* in the trace; 0 for the model's */
};

/* One halt as recorded (kept only until a thread's starting halt_poll_ns is known). */
struct check_halt {
	uint64_t ns;
	bool waited, valid;
	long line;
};

/* The first halt whose decisions differ, in full. */
struct check_divergence {
	bool found;
	int32_t pid;
	char comm[24];
	uint32_t vcpu_id;
	uint64_t halt_index; /* of the thread, from 1 */
	long line;           /* of its kvm_vcpu_wakeup */
	struct check_halt halt;
	uint32_t hpn_before, max_poll_ns;
	struct check_decision rec[CHECK_MAX_DECISIONS], model[CHECK_MAX_DECISIONS];
	size_t nrec, nmodel;
};

struct check_vcpu {
	int32_t pid;
	char comm[24];
	bool vcpu_id_known;
	bool started;
	struct kvm_vcpu_haltpoll v; /* the model of this thread */
	struct kvm_halt_tracer tracer;
	uint32_t initial_hpn;
	int64_t clock; /* the model's ktime: halts laid end to end */
	struct check_decision rec[CHECK_MAX_DECISIONS], model[CHECK_MAX_DECISIONS];
	size_t nrec, nmodel;
	uint64_t rec_dropped; /* recorded decisions beyond CHECK_MAX_DECISIONS in one halt */
	struct check_halt *pending; /* halts before the first decision (auto start) */
	size_t npending, cap_pending;

	uint64_t halts, halts_agree, decisions, reproduced, model_decisions;
	long first_divergence; /* line, or 0 */
	bool halted, ipi_in_halt; /* between its HLT exit and its wake-up; an IPI reached it meanwhile */
	uint64_t ipi_halts;       /* halts an IPI reached (kvm_apic_ipi to this vCPU while halted) */
};

struct trace_check {
	struct check_conf conf;
	struct kvm_module_params param; /* live module parameters */
	struct kvm_vm_haltpoll vm;
	struct check_vcpu **vcpus; /* each allocated alone: the models point into them */
	size_t nvcpus, cap_vcpus;
	struct pid_map by_pid;
	struct check_divergence first;
	uint64_t unmatched; /* recorded decisions with no wake-up after them (trace cut short) */
	uint64_t ipis;      /* kvm_apic_ipi events: IPIs the vCPUs sent by ICR writes */
};

/* trace_check_init - set up the model VM; -1 with a message if the policy rejects its parameters. */
int trace_check_init(struct trace_check *c, const struct check_conf *conf, char *err, size_t errlen);
/* trace_check_event - a trace_event_fn: feed one event (in trace order). */
int trace_check_event(void *ctx, const struct trace_event *ev);
/* trace_check_finish - the end of the trace: start the threads still waiting for a first decision. */
void trace_check_finish(struct trace_check *c);
void trace_check_free(struct trace_check *c);

/* trace_check_totals - the sums over the threads (into a zeroed check_vcpu's counters). */
void trace_check_totals(const struct trace_check *c, struct check_vcpu *sum);

#endif
