/*
 * settings.h - a VM's halt-polling setting as the commands that drive the
 * halt handler directly take it (`haltpoll replay`, `trace check`, `trace
 * replay`): the kernel release and architecture, and --set assignments of the
 * kvm module parameters (halt_poll_ns or kvm.halt_poll_ns, ...), the VM's
 * KVM_CAP_HALT_POLL value (vm.halt_poll_ns), the guest's poll-control MSR
 * (vm.msr_poll_control) and the policy's parameters (vm.policy_params.KEY),
 * each checked against the release. On powerpc also kvm_hv.halt_poll_max_ns
 * (4.8-4.13, the vcore's own ceiling; halt_poll_ns_grow and _shrink then
 * stand for kvm_hv's parameters of those names) and host.cpu (power7,
 * power8, power9, power10). What the vcore path would not read is refused:
 * vm.halt_poll_ns (KVM_CAP_HALT_POLL) always, kvm.halt_poll_ns in 4.8-4.13,
 * every polling parameter before 4.8.
 */
#ifndef KVMSIM_HALTPOLL_SETTINGS_H
#define KVMSIM_HALTPOLL_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/haltpoll/kvm_era.h"

#define KVM_SETTING_MAX_PPARAMS 32

/* The halt-polling setting of a run: module parameters, per-VM value, policy. */
struct kvm_setting {
	struct kvm_module_params param;
	bool cap_set;
	uint32_t cap;
	uint64_t msr_poll_control;
	struct hp_param pparams[KVM_SETTING_MAX_PPARAMS];
	size_t npparams;
	/* powerpc (models/vcore): kvm_hv.halt_poll_max_ns of 4.8-4.13, and host.cpu power9 (ARCH_300) */
	uint32_t halt_poll_max_ns;
	bool host_power9;
};

/* kvm_era_from_args - --kernel and --arch into an era; -1 after printing the error (cmd names the command). */
int kvm_era_from_args(const char *cmd, const char *kernel, const char *arch, struct kvm_era *era);

/* kvm_setting_defaults - the release's module parameter defaults, no per-VM value, MSR 1. */
void kvm_setting_defaults(struct kvm_setting *s, const struct kvm_era *era);

/*
 * kvm_setting_apply - one "KEY=VALUE" (kept, not copied: it must outlive s).
 * Returns 0; 1 if the key is not one of the above (the caller may know it);
 * -1 with a message in err if the value is bad for the key or the release.
 */
int kvm_setting_apply(struct kvm_setting *s, const struct kvm_era *era, char *assignment, char *err,
			size_t errlen);

/* kvm_setting_describe - "halt_poll_ns 200000, grow 2, grow_start 10000, shrink 2[, KVM_CAP_HALT_POLL N]". */
void kvm_setting_describe(const struct kvm_setting *s, char *buf, size_t n);

/*
 * The options of the commands that drive the halt handler, for their
 * getopt_long tables: --kernel --arch --set --policy --policy-lib.
 */
/* clang-format off */
#define KVM_SETTING_OPTIONS \
	{ "kernel", required_argument, NULL, 'k' }, { "arch", required_argument, NULL, 'a' }, \
	{ "set", required_argument, NULL, 's' }, { "policy", required_argument, NULL, 'p' }, \
	{ "policy-lib", required_argument, NULL, 'l' }
/* clang-format on */

struct hp_policy;

/* What those options said, unchecked; the strings are argv's. */
struct kvm_setting_args {
	const char *kernel; /* NULL unless given */
	const char *arch;   /* "x86" unless given */
	const char *policy; /* "kvm" unless given */
	char **sets;	    /* the --set assignments in order */
	size_t nsets;
};

/* kvm_setting_args_init - room for the --set options of argc arguments; the defaults above. */
void kvm_setting_args_init(struct kvm_setting_args *a, int argc);
void kvm_setting_args_free(struct kvm_setting_args *a);

/*
 * kvm_setting_option - the default case of a halt-handler command's option
 * switch: take getopt_long's option c with its argument if it is one of
 * KVM_SETTING_OPTIONS (a --policy-lib is loaded at once) and return 0; else
 * print why (an unknown option, a missing value, a library that does not load)
 * and return EXIT_BAD_INPUT.
 */
int kvm_setting_option(const char *cmd, int c, char *arg, struct kvm_setting_args *a, char **argv);

/*
 * kvm_setting_resolve - the era, the setting and the policy the options name
 * (a->kernel given): -1 after printing the first that is wrong.
 */
int kvm_setting_resolve(const char *cmd, const struct kvm_setting_args *a, struct kvm_era *era,
			struct kvm_setting *s, const struct hp_policy **policy);

#endif
