/*
 * costs.h - cost profiles: what each modelled path costs on a given machine.
 *
 * A profile is one YAML file (models/costs/profiles/NAME.yaml, built into the
 * binary) naming the machine, its TSC frequency, its host idle states, and
 * the cost of every path in cycles, each with its source: a published figure,
 * or "fitted" with the reasoning that keeps it physically plausible. A
 * scenario picks a profile by name (or path) and may override single entries
 * under `costs:`. Cycles are converted to picoseconds once, at load.
 */
#ifndef KVMSIM_COSTS_COSTS_H
#define KVMSIM_COSTS_COSTS_H

#include <stdbool.h>
#include <stddef.h>

#include "models/host/host.h"
#include "sim/conf.h"
#include "sim/schema.h"

/* X(name, what it covers) */
#define COST_LIST(X)                                                                                \
	X(vmexit, "hardware VM exit and KVM's exit dispatch, up to the exit handler")               \
	X(vmentry, "the run loop back to the guest, including the hardware VM entry")              \
	X(inject, "injecting a pending interrupt on entry (kvm_inj_virq)")                          \
	X(hlt_exit, "handle_halt(): from the HLT exit to kvm_vcpu_halt()")                          \
	X(extint_exit, "an EXTERNAL_INTERRUPT exit: the host's IRQ handler, back to the run loop")  \
	X(poll_iter, "one halt-poll iteration: kvm_vcpu_check_block(), cpu_relax(), ktime_get()")  \
	X(block_prepare, "kvm_vcpu_block(): prepare to wait, the last check, into schedule()")      \
	X(halt_finish, "after the halt: statistics, grow/shrink, back to the run loop")             \
	X(ctxsw, "a host context switch, including KVM's vcpu_put()/vcpu_load()")                   \
	X(irq_deliver, "a device interrupt to the vCPU's IRR: kvm_set_msi() to kvm_vcpu_kick()")    \
	X(ipi, "an IPI, from send to the target CPU's handler")                                     \
	X(guest_irq, "guest interrupt entry, to its handler's first instruction")

enum cost_id {
#define X(n, d) COST_##n,
	COST_LIST(X)
#undef X
	COST_N
};

extern const char *const cost_names[COST_N];
extern const char *const cost_docs[COST_N];

struct cost_profile {
	char *name;
	char *description;
	int64_t tsc_khz;
	struct cfg_cost cost[COST_N];
	struct host_idle_state idle[HOST_MAX_IDLE_STATES];
	int nidle;
	sim_time_t ps[COST_N]; /* converted at load */
};

/* cost_profile_load - a built-in profile by name, or a file by path; -1 with a message. */
int cost_profile_load(struct cost_profile *p, const char *name_or_path, struct conf_err *err);
/* cost_profile_override - apply a scenario's `costs:` map (may be NULL) and convert to ps. */
int cost_profile_override(struct cost_profile *p, struct conf_node *costs, struct conf_err *err);
void cost_profile_free(struct cost_profile *p);

/* The built-in profiles (names), for `kvmsim profiles`. */
size_t cost_profile_builtin_count(void);
const char *cost_profile_builtin_name(size_t i);
const char *cost_profile_builtin_text(size_t i);

#endif
