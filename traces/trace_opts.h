/*
 * trace_opts.h - what `trace check` and `trace replay` share on their command
 * lines: the kernel release and architecture, and --set assignments of the
 * kvm module parameters, the VM's KVM_CAP_HALT_POLL value, the guest's
 * poll-control MSR and the policy's parameters, in the spellings of
 * `kvmsim haltpoll replay` (halt_poll_ns or kvm.halt_poll_ns, vm.halt_poll_ns,
 * vm.msr_poll_control, vm.policy_params.KEY).
 */
#ifndef KVMSIM_TRACES_TRACE_OPTS_H
#define KVMSIM_TRACES_TRACE_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/haltpoll/kvm_era.h"

#define TRACE_MAX_PPARAMS 32

/* The halt-polling setting of a run: module parameters, per-VM value, policy. */
struct trace_setting {
	struct kvm_module_params param;
	bool cap_set;
	uint32_t cap;
	uint64_t msr_poll_control;
	struct hp_param pparams[TRACE_MAX_PPARAMS];
	size_t npparams;
};

/* trace_era - --kernel and --arch into an era; -1 after printing the error (cmd names the command). */
int trace_era(const char *cmd, const char *kernel, const char *arch, struct kvm_era *era);

/* trace_setting_defaults - the release's module parameter defaults, no per-VM value, MSR 1. */
void trace_setting_defaults(struct trace_setting *s, const struct kvm_era *era);

/*
 * trace_setting_apply - one "KEY=VALUE" (kept, not copied: it must outlive s).
 * Returns 0; 1 if the key is not one of the above (the caller may know it);
 * -1 with a message in err if the value is bad for the key or the release.
 */
int trace_setting_apply(struct trace_setting *s, const struct kvm_era *era, char *assignment, char *err,
			size_t errlen);

/* trace_setting_describe - "halt_poll_ns 200000, grow 2, grow_start 10000, shrink 2[, KVM_CAP_HALT_POLL N]". */
void trace_setting_describe(const struct trace_setting *s, char *buf, size_t n);

#endif
