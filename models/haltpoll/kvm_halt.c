/*
 * kvm_halt.c - kvm_vcpu_block()/kvm_vcpu_halt() bookkeeping per era: which
 * statistic counts what, when the policy adapts, what is traced, in order.
 */
#include "models/haltpoll/kvm_halt.h"

#include <stdio.h>
#include <string.h>

unsigned kvm_stats_log_hist_index(uint64_t ns)
{
	unsigned idx = ns ? 64 - (unsigned)__builtin_clzll(ns) : 0; /* fls64 */
	return idx < HALT_POLL_HIST_COUNT - 1 ? idx : HALT_POLL_HIST_COUNT - 1;
}

static void hist_add(uint64_t *hist, int64_t ns)
{
	hist[kvm_stats_log_hist_index(ns > 0 ? (uint64_t)ns : 0)]++;
}

int kvm_vm_haltpoll_init(struct kvm_vm_haltpoll *vm, const struct kvm_era *era,
			 struct kvm_module_params *param, const struct hp_policy *policy,
			 const struct hp_param *pparams, size_t npparams, char *err, size_t errlen)
{
	memset(vm, 0, sizeof(*vm));
	vm->era = era;
	vm->param = param;
	vm->max_halt_poll_ns = param->halt_poll_ns; /* kvm_create_vm(): a snapshot */
	vm->policy = policy;
	if (policy->vm_init)
		return policy->vm_init(&vm->policy_state, pparams, npparams, err, errlen);
	if (npparams) {
		snprintf(err, errlen, "policy \"%s\" takes no parameters (got \"%s\")", policy->name,
			 pparams[0].key);
		return -1;
	}
	return 0;
}

void kvm_vm_haltpoll_fini(struct kvm_vm_haltpoll *vm)
{
	if (vm->policy && vm->policy->vm_fini)
		vm->policy->vm_fini(vm->policy_state);
	vm->policy_state = NULL;
}

void kvm_vm_enable_cap_halt_poll(struct kvm_vm_haltpoll *vm, uint32_t value)
{
	vm->max_halt_poll_ns = value;
	vm->override_halt_poll_ns = true; /* only read from 6.1 on */
}

void kvm_vcpu_haltpoll_init(struct kvm_vcpu_haltpoll *v, struct kvm_vm_haltpoll *vm,
			    uint32_t vcpu_id, const struct kvm_halt_tracer *tracer)
{
	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->vcpu_id = vcpu_id;
	v->msr_kvm_poll_control = 1; /* kvm_vcpu_reset() */
	v->tracer = tracer;
}

uint32_t kvm_max_poll_ns(const struct kvm_vcpu_haltpoll *v)
{
	const struct kvm_vm_haltpoll *vm = v->vm;
	switch (vm->era->max_source) {
	case KVM_MAX_GLOBAL:
		return vm->param->halt_poll_ns;
	case KVM_MAX_VM:
		return vm->max_halt_poll_ns;
	case KVM_MAX_OVERRIDE:
	default:
		return vm->override_halt_poll_ns ? vm->max_halt_poll_ns : vm->param->halt_poll_ns;
	}
}

bool kvm_arch_no_poll(const struct kvm_vcpu_haltpoll *v)
{
	const struct kvm_era *era = v->vm->era;
	return era->no_poll && era->arch == KVM_ARCH_X86 && !(v->msr_kvm_poll_control & 1);
}

static void trace_halt_poll_ns(void *ctx, bool grow, uint32_t new_ns, uint32_t old_ns)
{
	struct kvm_vcpu_haltpoll *v = ctx;
	if (v->tracer && v->tracer->halt_poll_ns)
		v->tracer->halt_poll_ns(v->tracer->ctx, v->vcpu_id, grow, new_ns, old_ns);
}

static struct hp_env env_of(struct kvm_vcpu_haltpoll *v)
{
	return (struct hp_env){
		.vcpu_id = v->vcpu_id,
		.max_poll_ns = kvm_max_poll_ns(v),
		.param = v->vm->param,
		.era = v->vm->era,
		.trace_halt_poll_ns = trace_halt_poll_ns,
		.trace_ctx = v,
	};
}

void kvm_vcpu_halt_begin(struct kvm_vcpu_haltpoll *v, struct kvm_halt *h, int64_t now_ns)
{
	const struct kvm_era *era = v->vm->era;
	struct hp_env env = env_of(v);

	h->start_ns = now_ns;
	h->allowed = !kvm_arch_no_poll(v);
	h->poll_ns = v->vm->policy->begin(v->vm->policy_state, &v->hp, &env);
	h->do_poll = h->allowed && h->poll_ns != 0;
	if (h->do_poll && !era->halt_split)
		++v->stat.halt_attempted_poll; /* counted on entering the loop up to 5.16 */
}

void kvm_vcpu_halt_end(struct kvm_vcpu_haltpoll *v, const struct kvm_halt *h,
		       const struct kvm_halt_result *r)
{
	const struct kvm_era *era = v->vm->era;
	struct kvm_vcpu_stat *st = &v->stat;
	bool valid = r->valid_wakeup || !era->arch_invalid_wakeups;
	int64_t poll_ns = r->poll_end_ns - h->start_ns;
	uint64_t halt_ns = (uint64_t)(r->cur_ns - h->start_ns);

	if (!era->halt_split) {
		/* kvm_vcpu_block() up to 5.16: success means "a check in the loop fired" */
		if (h->do_poll && r->loop_success) {
			++st->halt_successful_poll;
			if (era->stat_poll_invalid && !valid)
				++st->halt_poll_invalid;
		}
		if (era->stat_wait) {
			if (h->do_poll)
				hist_add(r->loop_success ? st->halt_poll_success_hist
							 : st->halt_poll_fail_hist,
					 r->check_ns - h->start_ns);
			if (r->waited) {
				st->halt_wait_ns += (uint64_t)(r->cur_ns - r->poll_end_ns);
				hist_add(st->halt_wait_hist, r->cur_ns - r->poll_end_ns);
			}
		}
		if (era->stat_poll_ns) { /* unconditionally: adds 0 when nothing polled */
			if (r->waited)
				st->halt_poll_fail_ns += (uint64_t)poll_ns;
			else
				st->halt_poll_success_ns += (uint64_t)poll_ns;
		}
	} else {
		/* kvm_vcpu_halt() 5.17+: success means "never scheduled out" */
		if (r->waited) {
			st->halt_wait_ns += (uint64_t)(r->cur_ns - r->poll_end_ns);
			hist_add(st->halt_wait_hist, r->cur_ns - r->poll_end_ns);
		}
		if (h->do_poll) {
			++st->halt_attempted_poll;
			if (!r->waited) {
				++st->halt_successful_poll;
				if (!valid)
					++st->halt_poll_invalid;
				st->halt_poll_success_ns += (uint64_t)poll_ns;
				hist_add(st->halt_poll_success_hist, poll_ns);
			} else {
				st->halt_poll_fail_ns += (uint64_t)poll_ns;
				hist_add(st->halt_poll_fail_hist, poll_ns);
			}
		}
	}

	if (h->allowed || !era->no_poll_skips_adapt) {
		struct hp_env env = env_of(v); /* 6.1+: MAX is read again here */
		struct hp_halt halt = {
			.halt_ns = halt_ns,
			.waited = r->waited,
			.polled = h->do_poll,
			.valid_wakeup = valid,
		};
		v->vm->policy->end(v->vm->policy_state, &v->hp, &env, &halt);
	}
	if (v->tracer && v->tracer->vcpu_wakeup)
		v->tracer->vcpu_wakeup(v->tracer->ctx, v->vcpu_id, halt_ns, r->waited, valid);
}
