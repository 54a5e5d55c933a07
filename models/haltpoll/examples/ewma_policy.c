/*
 * ewma_policy.c - an example halt-polling policy in a shared object.
 *
 * It polls for `factor` times an exponentially weighted moving average of the
 * vCPU's recent halt durations, as long as that average stays below the
 * ceiling (kvm->max_halt_poll_ns or the module parameter); halts longer than
 * the ceiling pull the average up and so switch polling off by themselves.
 *
 *   build:  part of the normal build (build/libewma_policy.so)
 *   use:    kvmsim run --policy-lib build/libewma_policy.so --set vm.policy=ewma \
 *                      --set vm.policy_params.alpha=0.25 --set vm.policy_params.factor=1.5
 *
 * Parameters: alpha (weight of the newest halt, 0 < alpha <= 1, default 0.125),
 * factor (window = factor * average, default 1.0).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/haltpoll/policy.h"

struct ewma_vm {
	double alpha, factor;
};

static int parse(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (*end || end == s)
		return -1;
	*out = v;
	return 0;
}

static int ewma_vm_init(void **state, const struct hp_param *p, size_t n, char *err, size_t errlen)
{
	struct ewma_vm *vm = malloc(sizeof(*vm));
	if (!vm) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	vm->alpha = 0.125;
	vm->factor = 1.0;
	for (size_t i = 0; i < n; i++) {
		double *dst = !strcmp(p[i].key, "alpha") ? &vm->alpha : !strcmp(p[i].key, "factor") ? &vm->factor : NULL;
		if (!dst) {
			snprintf(err, errlen, "ewma: unknown parameter \"%s\" (alpha, factor)", p[i].key);
			free(vm);
			return -1;
		}
		if (parse(p[i].value, dst) || *dst <= 0 || (dst == &vm->alpha && *dst > 1)) {
			snprintf(err, errlen, "ewma: %s must be %s, got \"%s\"", p[i].key,
				 dst == &vm->alpha ? "in (0, 1]" : "positive", p[i].value);
			free(vm);
			return -1;
		}
	}
	*state = vm;
	return 0;
}

static void ewma_vm_fini(void *state)
{
	free(state);
}

/* scratch[0] holds the average in ns, as a double's bits */
static double avg_of(const struct hp_vcpu *v)
{
	double a;
	memcpy(&a, &v->scratch[0], sizeof(a));
	return a;
}

static uint32_t ewma_begin(void *state, struct hp_vcpu *v, const struct hp_env *env)
{
	const struct ewma_vm *vm = state;
	double w = avg_of(v) * vm->factor;
	v->halt_poll_ns = w < env->max_poll_ns ? (uint32_t)w : 0;
	return v->halt_poll_ns;
}

static void ewma_end(void *state, struct hp_vcpu *v, const struct hp_env *env, const struct hp_halt *h)
{
	const struct ewma_vm *vm = state;
	double a = avg_of(v);
	a += vm->alpha * ((double)h->halt_ns - a);
	memcpy(&v->scratch[0], &a, sizeof(a));
}

static const struct hp_policy ewma = {
	.abi = HP_POLICY_ABI,
	.name = "ewma",
	.description = "poll factor x a moving average of recent halts, if below the ceiling",
	.vm_init = ewma_vm_init,
	.vm_fini = ewma_vm_fini,
	.begin = ewma_begin,
	.end = ewma_end,
};

const struct hp_policy *kvmsim_haltpoll_policy(void)
{
	return &ewma;
}
