/*
 * policy_simple.c - the two reference policies that bracket the kernel's:
 * "none" never polls (halt_poll_ns=0), "fixed" always polls the full ceiling
 * and never adapts (what a large halt_poll_ns with grow=1 would do, minus the
 * kernel's first-halt ramp).
 */
#include "models/haltpoll/policies.h"

static uint32_t none_begin(void *vm_state, struct hp_vcpu *vcpu, const struct hp_env *env)
{
	vcpu->halt_poll_ns = 0;
	return 0;
}

static void no_adapt(void *vm_state, struct hp_vcpu *vcpu, const struct hp_env *env,
		     const struct hp_halt *halt)
{
}

static uint32_t fixed_begin(void *vm_state, struct hp_vcpu *vcpu, const struct hp_env *env)
{
	vcpu->halt_poll_ns = env->max_poll_ns;
	return vcpu->halt_poll_ns;
}

const struct hp_policy hp_policy_none = {
	.abi = HP_POLICY_ABI,
	.name = "none",
	.description = "never poll: every halt sleeps at once",
	.begin = none_begin,
	.end = no_adapt,
};

const struct hp_policy hp_policy_fixed = {
	.abi = HP_POLICY_ABI,
	.name = "fixed",
	.description = "always poll the full ceiling (VM halt_poll_ns, else the module's), never adapt",
	.begin = fixed_begin,
	.end = no_adapt,
};
