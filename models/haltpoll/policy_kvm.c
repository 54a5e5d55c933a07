/*
 * policy_kvm.c - the kernel's own halt-polling algorithm (virt/kvm/kvm_main.c),
 * for the release selected by env->era: grow_halt_poll_ns(),
 * shrink_halt_poll_ns() and the decision that picks between them
 * (docs/kernel-behaviour.md §1.4 and 1.7). All arithmetic is unsigned 32-bit, as in the kernel.
 */
#include "models/haltpoll/kvm_era.h"
#include "models/haltpoll/policy.h"
#include "models/haltpoll/policies.h"

static void grow_halt_poll_ns(struct hp_vcpu *vcpu, const struct hp_env *env)
{
	const struct kvm_era *era = env->era;
	uint32_t old, val, grow, grow_start;

	old = val = vcpu->halt_poll_ns;
	grow = env->param->halt_poll_ns_grow;
	if (!era->grow_start_param) {
		/* up to 5.0: "10us base", and a zero grow leaves 0 at 0 */
		if (val == 0 && grow)
			val = 10000;
		else
			val *= grow;
	} else {
		grow_start = env->param->halt_poll_ns_grow_start;
		if (!grow)
			goto out;
		val *= grow;
		if (val < grow_start)
			val = grow_start;
	}
	switch (era->grow_cap) {
	case KVM_GROW_CAP_GLOBAL:
		if (val > env->param->halt_poll_ns)
			val = env->param->halt_poll_ns;
		break;
	case KVM_GROW_CAP_VM:
		if (val > env->max_poll_ns) /* vcpu->kvm->max_halt_poll_ns */
			val = env->max_poll_ns;
		break;
	case KVM_GROW_CAP_NONE:
		break;
	}
	vcpu->halt_poll_ns = val;
out:
	env->trace_halt_poll_ns(env->trace_ctx, true, val, old);
}

static void shrink_halt_poll_ns(struct hp_vcpu *vcpu, const struct hp_env *env)
{
	uint32_t old, val, shrink;

	old = val = vcpu->halt_poll_ns;
	shrink = env->param->halt_poll_ns_shrink;
	if (shrink == 0)
		val = 0;
	else
		val /= shrink;
	if (env->era->shrink_floor && val < env->param->halt_poll_ns_grow_start)
		val = 0;
	vcpu->halt_poll_ns = val;
	env->trace_halt_poll_ns(env->trace_ctx, false, val, old);
}

static uint32_t kvm_begin(void *vm_state, struct hp_vcpu *vcpu, const struct hp_env *env)
{
	/* 6.1+: cap vcpu->halt_poll_ns before halting, silently, even if polling is off */
	if (env->era->clamp_before_poll && vcpu->halt_poll_ns > env->max_poll_ns)
		vcpu->halt_poll_ns = env->max_poll_ns;
	return vcpu->halt_poll_ns;
}

static void kvm_end(void *vm_state, struct hp_vcpu *vcpu, const struct hp_env *env,
		    const struct hp_halt *halt)
{
	uint32_t max = env->max_poll_ns;
	uint64_t t = halt->halt_ns;

	if (env->era->valid_wakeup && !halt->valid_wakeup)
		shrink_halt_poll_ns(vcpu, env);
	else if (max) {
		if (t <= vcpu->halt_poll_ns)
			; /* includes every successful poll */
		else if (vcpu->halt_poll_ns && t > max)
			shrink_halt_poll_ns(vcpu, env); /* a long halt: polling was wasted */
		else if (vcpu->halt_poll_ns < max && t < max)
			grow_halt_poll_ns(vcpu, env); /* a short halt the window missed */
	} else {
		vcpu->halt_poll_ns = 0;
	}
}

const struct hp_policy hp_policy_kvm = {
	.abi = HP_POLICY_ABI,
	.name = "kvm",
	.description = "the kernel's adaptive halt polling, as the selected release does it",
	.begin = kvm_begin,
	.end = kvm_end,
};
