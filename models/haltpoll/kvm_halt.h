/*
 * kvm_halt.h - the kernel's halt handler: kvm_vcpu_block() (up to 5.16) and
 * kvm_vcpu_halt() (5.17+), as in docs/kernel-behaviour.md §1.5-1.8.
 *
 * The handler is split at the one place where time passes: kvm_vcpu_halt_begin()
 * runs at the top of the handler and says whether and how long to poll;
 * the caller then runs the poll loop and the sleep on its own clock (the
 * simulator with costed events, `haltpoll replay` with idealised timing) and
 * reports what happened through struct kvm_halt_result; kvm_vcpu_halt_end()
 * then does what the kernel does after the loop: statistics, the policy's
 * grow/shrink, and the kvm_halt_poll_ns / kvm_vcpu_wakeup tracepoints, in the
 * era's order and with the era's definitions.
 *
 * Timestamps are the kernel's ktime_get() nanoseconds.
 */
#ifndef KVMSIM_HALTPOLL_KVM_HALT_H
#define KVMSIM_HALTPOLL_KVM_HALT_H

#include <stdbool.h>
#include <stdint.h>

#include "models/haltpoll/kvm_era.h"
#include "models/haltpoll/policy.h"

#define HALT_POLL_HIST_COUNT 32

/* Per-vCPU statistics, under KVM's own names (KVM_GENERIC_VCPU_STATS + x86 halt_exits). */
struct kvm_vcpu_stat {
	uint64_t halt_successful_poll;
	uint64_t halt_attempted_poll;
	uint64_t halt_poll_invalid;
	uint64_t halt_wakeup;
	uint64_t halt_poll_success_ns;
	uint64_t halt_poll_fail_ns;
	uint64_t halt_wait_ns;
	uint64_t halt_poll_success_hist[HALT_POLL_HIST_COUNT];
	uint64_t halt_poll_fail_hist[HALT_POLL_HIST_COUNT];
	uint64_t halt_wait_hist[HALT_POLL_HIST_COUNT];
	uint64_t blocking;   /* instant: 1 while inside kvm_vcpu_block() */
	uint64_t halt_exits; /* x86 */
};

/* The tracepoints the halt handler emits. */
struct kvm_halt_tracer {
	void (*halt_poll_ns)(void *ctx, uint32_t vcpu_id, bool grow, uint32_t new_ns, uint32_t old_ns);
	void (*vcpu_wakeup)(void *ctx, uint32_t vcpu_id, uint64_t ns, bool waited, bool valid);
	void *ctx;
};

/* Per-VM halt-polling state (struct kvm). */
struct kvm_vm_haltpoll {
	const struct kvm_era *era;
	struct kvm_module_params *param; /* the host's live module parameters */
	uint32_t max_halt_poll_ns;       /* 5.8+; snapshot of halt_poll_ns at VM creation */
	bool override_halt_poll_ns;      /* 6.1+: set by KVM_CAP_HALT_POLL */
	const struct hp_policy *policy;
	void *policy_state;
};

/* Per-vCPU halt-polling state (the relevant part of struct kvm_vcpu). */
struct kvm_vcpu_haltpoll {
	struct kvm_vm_haltpoll *vm;
	uint32_t vcpu_id;
	struct hp_vcpu hp;           /* hp.halt_poll_ns is vcpu->halt_poll_ns */
	uint64_t msr_kvm_poll_control; /* x86 MSR_KVM_POLL_CONTROL; bit 0 clear = guest polls, host must not */
	struct kvm_vcpu_stat stat;
	const struct kvm_halt_tracer *tracer;
};

/* One halt in progress. */
struct kvm_halt {
	int64_t start_ns;
	uint32_t poll_ns; /* the poll window: the loop runs while now < start + poll_ns */
	bool allowed;     /* !kvm_arch_no_poll() */
	bool do_poll;
};

/* What the caller observed between begin and end. */
struct kvm_halt_result {
	bool loop_success;   /* a check inside the poll loop found a wake event */
	bool waited;         /* the thread slept (schedule() in kvm_vcpu_block) */
	bool valid_wakeup;   /* s390 only; true elsewhere */
	int64_t poll_end_ns; /* timestamp of the last completed poll iteration (start if none) */
	int64_t check_ns;    /* now() at the successful check, or when the loop gave up (5.15/5.16 histograms) */
	int64_t cur_ns;      /* the handler's end timestamp */
};

/*
 * kvm_vm_haltpoll_init - a VM is created: snapshot the module parameter, set
 * up the policy. Returns -1 with a message if the policy rejects its params.
 */
int kvm_vm_haltpoll_init(struct kvm_vm_haltpoll *vm, const struct kvm_era *era,
			 struct kvm_module_params *param, const struct hp_policy *policy,
			 const struct hp_param *pparams, size_t npparams, char *err, size_t errlen);
void kvm_vm_haltpoll_fini(struct kvm_vm_haltpoll *vm);

/* kvm_vm_ioctl_enable_cap_halt_poll - KVM_ENABLE_CAP(KVM_CAP_HALT_POLL, value). */
void kvm_vm_enable_cap_halt_poll(struct kvm_vm_haltpoll *vm, uint32_t value);

void kvm_vcpu_haltpoll_init(struct kvm_vcpu_haltpoll *v, struct kvm_vm_haltpoll *vm,
			    uint32_t vcpu_id, const struct kvm_halt_tracer *tracer);

/* kvm_max_poll_ns - the era's decision ceiling MAX for this vCPU now. */
uint32_t kvm_max_poll_ns(const struct kvm_vcpu_haltpoll *v);

/* kvm_arch_no_poll - the guest disabled host polling (x86 poll-control MSR). */
bool kvm_arch_no_poll(const struct kvm_vcpu_haltpoll *v);

void kvm_vcpu_halt_begin(struct kvm_vcpu_haltpoll *v, struct kvm_halt *h, int64_t now_ns);
void kvm_vcpu_halt_end(struct kvm_vcpu_haltpoll *v, const struct kvm_halt *h,
		       const struct kvm_halt_result *r);

/* kvm_stats_log_hist_index - KVM's log2 histogram bucket: min(fls64(ns), 31). */
unsigned kvm_stats_log_hist_index(uint64_t ns);

#endif
