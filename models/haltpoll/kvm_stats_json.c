/* kvm_stats_json.c - KVM vCPU statistics as JSON, under KVM's own names. */
#include "models/haltpoll/kvm_stats_json.h"

json_t *kvm_vcpu_stat_json(const struct kvm_vcpu_stat *st, const struct kvm_era *e)
{
	json_t *o = json_object();
#define U(name) json_object_set_new(o, #name, json_integer((json_int_t)st->name))
	U(halt_successful_poll);
	U(halt_attempted_poll);
	if (e->stat_poll_invalid)
		U(halt_poll_invalid);
	U(halt_wakeup);
	if (e->stat_poll_ns) {
		U(halt_poll_success_ns);
		U(halt_poll_fail_ns);
	}
	if (e->stat_wait) {
		U(halt_wait_ns);
		const uint64_t *h[3] = { st->halt_poll_success_hist, st->halt_poll_fail_hist, st->halt_wait_hist };
		const char *n[3] = { "halt_poll_success_hist", "halt_poll_fail_hist", "halt_wait_hist" };
		for (int k = 0; k < 3; k++) {
			json_t *a = json_array();
			for (int i = 0; i < HALT_POLL_HIST_COUNT; i++)
				json_array_append_new(a, json_integer((json_int_t)h[k][i]));
			json_object_set_new(o, n[k], a);
		}
	}
	if (e->stat_blocking)
		U(blocking);
	if (e->arch == KVM_ARCH_X86)
		U(halt_exits);
#undef U
	return o;
}
