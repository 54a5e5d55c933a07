/*
 * policy.h - the halt-polling policy interface (plug-in ABI).
 *
 * The kernel's halt handler (kvm_halt.h) owns the mechanism: when a halt starts,
 * how the poll loop runs, what is counted and traced. A policy owns the two
 * decisions inside it, as kvm_vcpu_halt() makes them:
 *
 *   begin()  at the start of every halt: the poll window in ns (0: do not poll).
 *            It may adjust the vCPU's halt_poll_ns first (the 6.1+ clamp does).
 *            Called even when the guest has disabled host polling; the kernel
 *            then polls 0 ns whatever begin() returns.
 *   end()    after the halt, when polling is allowed: adapt halt_poll_ns to the
 *            halt just seen (grow_halt_poll_ns / shrink_halt_poll_ns), reporting
 *            each grow or shrink through env->trace_halt_poll_ns() so it shows
 *            up as a kvm_halt_poll_ns event.
 *
 * Built-in policies: "kvm" (the kernel's algorithm of the selected release),
 * "none" (never poll) and "fixed" (always poll halt_poll_ns, never adapt). A
 * user policy is a shared object exporting
 *
 *     const struct hp_policy *kvmsim_haltpoll_policy(void);
 *
 * loaded with `kvmsim run --policy-lib path.so` and chosen by its name with
 * vm.policy; see models/haltpoll/examples/ for a complete one. A policy must be
 * deterministic given its inputs (use no clocks and no unseeded randomness).
 */
#ifndef KVMSIM_HALTPOLL_POLICY_H
#define KVMSIM_HALTPOLL_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HP_POLICY_ABI 1

/* The kvm module parameters (/sys/module/kvm/parameters), all unsigned 32-bit. */
struct kvm_module_params {
	uint32_t halt_poll_ns;
	uint32_t halt_poll_ns_grow;
	uint32_t halt_poll_ns_grow_start;
	uint32_t halt_poll_ns_shrink;
};

struct kvm_era; /* models/haltpoll/kvm_era.h: what the selected kernel release does */

/* What a policy sees of the kernel at a decision point. */
struct hp_env {
	uint32_t vcpu_id;
	uint32_t max_poll_ns;                  /* the era's decision ceiling ("MAX", docs/kernel-behaviour.md §1.5) */
	const struct kvm_module_params *param; /* live module parameters */
	const struct kvm_era *era;             /* the kernel release being modelled */
	void (*trace_halt_poll_ns)(void *ctx, bool grow, uint32_t new_ns, uint32_t old_ns);
	void *trace_ctx;
};

/* Per-vCPU state: halt_poll_ns as the kernel keeps it, plus room for the policy. */
struct hp_vcpu {
	uint32_t halt_poll_ns;
	uint64_t scratch[4]; /* zeroed at vCPU creation; the policy's own */
};

/* One finished halt, in the kernel's own terms. */
struct hp_halt {
	uint64_t halt_ns;  /* block_ns / halt_ns as kvm_vcpu_wakeup reports it */
	bool waited;       /* the vCPU thread slept */
	bool polled;       /* a poll loop ran */
	bool valid_wakeup; /* false only for s390's invalid wake-ups */
};

/* A key=value parameter given to a policy (vm.policy_params). */
struct hp_param {
	const char *key;
	const char *value;
};

struct hp_policy {
	unsigned abi;            /* HP_POLICY_ABI */
	const char *name;        /* what vm.policy selects */
	const char *description; /* one line, for `kvmsim policies` */
	/* Optional: parse the VM's policy parameters; return 0, or -1 with a message in err. */
	int (*vm_init)(void **vm_state, const struct hp_param *params, size_t nparams, char *err,
		       size_t errlen);
	void (*vm_fini)(void *vm_state);
	uint32_t (*begin)(void *vm_state, struct hp_vcpu *vcpu, const struct hp_env *env);
	void (*end)(void *vm_state, struct hp_vcpu *vcpu, const struct hp_env *env,
		    const struct hp_halt *halt);
};

#define KVM_VERSION_CODE(a, b, c) (((unsigned)(a) << 16) | ((unsigned)(b) << 8) | (unsigned)(c))

/* The symbol a policy shared object exports. */
typedef const struct hp_policy *hp_policy_entry_fn(void);
#define HP_POLICY_ENTRY "kvmsim_haltpoll_policy"

#endif
