/* settings.c - a VM's halt-polling setting from the command line (see settings.h). */
#include "models/haltpoll/settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/haltpoll/policies.h"
#include "sim/cli.h"
#include "sim/schema.h"
#include "sim/xalloc.h"

/* kvm_era_from_args - release and architecture into the era table, errors printed for cmd. */
int kvm_era_from_args(const char *cmd, const char *kernel, const char *arch, struct kvm_era *era)
{
	unsigned version;
	enum kvm_arch a;
	char err[256];
	if (kvm_version_parse(kernel, &version, err, sizeof(err))) {
		cli_error(cmd, "--kernel: %s", err);
		return -1;
	}
	if (kvm_arch_parse(arch, &a)) {
		cli_error(cmd, "--arch: expected x86, powerpc, s390 or arm64, got \"%s\"", arch);
		return -1;
	}
	if (kvm_era_for(version, a, era, err, sizeof(err))) {
		cli_error(cmd, "--kernel: %s", err);
		return -1;
	}
	return 0;
}

/* kvm_setting_defaults - what a VM of the release has without --set. */
void kvm_setting_defaults(struct kvm_setting *s, const struct kvm_era *era)
{
	memset(s, 0, sizeof(*s));
	s->param = era->defaults;
	s->msr_poll_control = 1;
	s->halt_poll_max_ns = era->defaults.halt_poll_ns; /* kvm_hv: KVM_HALT_POLL_NS_DEFAULT */
}

/* parse_u32 - a whole number, or for ns keys a time ("50us", or bare ns), that fits 32 bits. */
static int parse_u32(const char *v, bool ns, uint32_t *out)
{
	const char *why;
	uint64_t x;
	if (ns) {
		sim_time_t ps;
		if (cfg_parse_time(v, "ns", &ps, &why) || ps % SIM_NS || ps / SIM_NS > UINT32_MAX)
			return -1;
		*out = (uint32_t)(ps / SIM_NS);
		return 0;
	}
	if (cfg_parse_u64(v, &x, &why) || x > UINT32_MAX)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

#define IS(name) (klen == strlen(name) && !strncmp(k, name, klen))

/* apply_powerpc - the keys of the vcore path: 0 taken, -1 refused, 1 not one of them. */
static int apply_powerpc(struct kvm_setting *s, const struct kvm_era *era, const char *k, size_t klen,
			 const char *v, char *err, size_t errlen)
{
	bool ppc = era->arch == KVM_ARCH_POWERPC;
	unsigned maj = era->version >> 16, min = (era->version >> 8) & 0xff;
	if (IS("kvm_hv.halt_poll_max_ns") || IS("halt_poll_max_ns")) {
		if (!ppc || !era->vcore_own_max) {
			snprintf(err, errlen,
				 "--set %.*s: kvm_hv's own parameter of powerpc 4.8-4.13 (kernel %u.%u, %s)%s",
				 (int)klen, k, maj, min, kvm_arch_name(era->arch),
				 ppc && era->vcore_clamp ? "; from 4.14 the vcore reads kvm.halt_poll_ns" : "");
			return -1;
		}
		if (parse_u32(v, true, &s->halt_poll_max_ns)) {
			snprintf(err, errlen, "--set %.*s: expected nanoseconds that fit 32 bits (e.g. 50000 or 50us), got \"%s\"",
				 (int)klen, k, v);
			return -1;
		}
		return 0;
	}
	if (IS("host.cpu")) {
		if (!ppc) {
			snprintf(err, errlen, "--set %.*s: the host processor is a powerpc setting (--arch powerpc)",
				 (int)klen, k);
			return -1;
		}
		bool p8 = !strcmp(v, "power7") || !strcmp(v, "power8");
		bool p9 = !strcmp(v, "power9") || !strcmp(v, "power10");
		if (!p8 && !p9) {
			snprintf(err, errlen, "--set %.*s: expected power7, power8, power9 or power10, got \"%s\"",
				 (int)klen, k, v);
			return -1;
		}
		s->host_power9 = p9;
		return 0;
	}
	bool poll_param = IS("halt_poll_ns") || IS("halt_poll_ns_grow") || IS("halt_poll_ns_shrink") ||
			  IS("halt_poll_ns_grow_start");
	if (ppc && !era->vcore_poll && poll_param) {
		snprintf(err, errlen, "--set %.*s: powerpc vcores poll from 4.8 (kernel %u.%u never polls)", (int)klen,
			 k, maj, min);
		return -1;
	}
	if (ppc && era->vcore_own_max && IS("halt_poll_ns")) {
		snprintf(err, errlen,
			 "--set %.*s: the vcore of 4.8-4.13 reads kvm_hv.halt_poll_max_ns, not kvm.halt_poll_ns", (int)klen,
			 k);
		return -1;
	}
	if (ppc && IS("vm.halt_poll_ns")) {
		snprintf(err, errlen,
			 "--set %.*s: the powerpc vcore path never reads KVM_CAP_HALT_POLL; set halt_poll_ns (kvm.halt_poll_ns)",
			 (int)klen, k);
		return -1;
	}
	return 1;
}

/* kvm_setting_apply - one --set, checked against the release. */
int kvm_setting_apply(struct kvm_setting *s, const struct kvm_era *era, char *assignment, char *err,
			size_t errlen)
{
	char *eq = strchr(assignment, '=');
	if (!eq) {
		snprintf(err, errlen, "--set %s: expected KEY=VALUE", assignment);
		return -1;
	}
	size_t klen = (size_t)(eq - assignment);
	const char *k = assignment, *v = eq + 1;
	if (klen > 4 && !strncmp(k, "kvm.", 4))
		k += 4, klen -= 4;
	int r = apply_powerpc(s, era, k, klen, v, err, errlen);
	if (r <= 0)
		return r;
	if (klen > 17 && !strncmp(k, "vm.policy_params.", 17)) {
		if (s->npparams == KVM_SETTING_MAX_PPARAMS) {
			snprintf(err, errlen, "--set %.*s: at most %d policy parameters", (int)klen, k,
				 KVM_SETTING_MAX_PPARAMS);
			return -1;
		}
		*eq = 0; /* split in place: the key ends at the "=" */
		s->pparams[s->npparams++] = (struct hp_param){ k + 17, v };
		return 0;
	}
	uint32_t *dst = IS("halt_poll_ns")	       ? &s->param.halt_poll_ns
			: IS("halt_poll_ns_grow")       ? &s->param.halt_poll_ns_grow
			: IS("halt_poll_ns_grow_start") ? &s->param.halt_poll_ns_grow_start
			: IS("halt_poll_ns_shrink")     ? &s->param.halt_poll_ns_shrink
			: IS("vm.halt_poll_ns")	       ? &s->cap
							: NULL;
	bool msr = IS("vm.msr_poll_control");
#undef IS
	if (!dst && !msr)
		return 1;
	if (msr) {
		if (strcmp(v, "0") && strcmp(v, "1")) {
			snprintf(err, errlen, "--set %.*s: expected 0 or 1, got \"%s\"", (int)klen, k, v);
			return -1;
		}
		if (!(era->arch == KVM_ARCH_X86 && era->no_poll)) {
			snprintf(err, errlen, "--set %.*s: MSR_KVM_POLL_CONTROL exists on x86 from 5.3 only", (int)klen,
				 k);
			return -1;
		}
		s->msr_poll_control = (uint64_t)(v[0] - '0');
		return 0;
	}
	bool ns = dst != &s->param.halt_poll_ns_grow && dst != &s->param.halt_poll_ns_shrink;
	if (parse_u32(v, ns, dst)) {
		snprintf(err, errlen, "--set %.*s: expected %s, got \"%s\"", (int)klen, k,
			 ns ? "nanoseconds that fit 32 bits (e.g. 50000 or 50us)" : "an unsigned 32-bit number", v);
		return -1;
	}
	if (dst == &s->param.halt_poll_ns_grow_start && !era->grow_start_param) {
		snprintf(err, errlen, "--set %.*s: the parameter arrived in 5.1 (kernel %u.%u)", (int)klen, k,
			 era->version >> 16, (era->version >> 8) & 0xff);
		return -1;
	}
	if (dst == &s->cap) {
		if (!era->cap_halt_poll) {
			snprintf(err, errlen, "--set %.*s: KVM_CAP_HALT_POLL arrived in 5.8 (kernel %u.%u)", (int)klen,
				 k, era->version >> 16, (era->version >> 8) & 0xff);
			return -1;
		}
		s->cap_set = true;
	}
	return 0;
}

/* kvm_setting_describe - the setting in one line, for reports. */
void kvm_setting_describe(const struct kvm_setting *s, char *buf, size_t n)
{
	int len = snprintf(buf, n, "halt_poll_ns %u, halt_poll_ns_grow %u, halt_poll_ns_grow_start %u, "
			   "halt_poll_ns_shrink %u",
			   s->param.halt_poll_ns, s->param.halt_poll_ns_grow, s->param.halt_poll_ns_grow_start,
			   s->param.halt_poll_ns_shrink);
	if (s->cap_set && len > 0 && (size_t)len < n)
		len += snprintf(buf + len, n - (size_t)len, "; KVM_CAP_HALT_POLL %u", s->cap);
	if (!s->msr_poll_control && len > 0 && (size_t)len < n)
		len += snprintf(buf + len, n - (size_t)len, "; MSR_KVM_POLL_CONTROL 0");
	for (size_t i = 0; i < s->npparams && len > 0 && (size_t)len < n; i++)
		len += snprintf(buf + len, n - (size_t)len, "%s%s=%s", i ? ", " : "; policy ", s->pparams[i].key,
				s->pparams[i].value);
}

void kvm_setting_args_init(struct kvm_setting_args *a, int argc)
{
	memset(a, 0, sizeof(*a));
	a->arch = "x86";
	a->policy = "kvm";
	a->sets = xcalloc((size_t)argc + 1, sizeof(char *));
}

void kvm_setting_args_free(struct kvm_setting_args *a)
{
	free(a->sets);
	a->sets = NULL;
	a->nsets = 0;
}

int kvm_setting_option(const char *cmd, int c, char *arg, struct kvm_setting_args *a, char **argv)
{
	char err[512];
	switch (c) {
	case 'k':
		a->kernel = arg;
		return 0;
	case 'a':
		a->arch = arg;
		return 0;
	case 's':
		a->sets[a->nsets++] = arg;
		return 0;
	case 'p':
		a->policy = arg;
		return 0;
	case 'l':
		if (!hp_policy_load(arg, err, sizeof(err)))
			return cli_error(cmd, "--policy-lib: %s", err);
		return 0;
	default:
		return cli_bad_option(cmd, argv);
	}
}

int kvm_setting_resolve(const char *cmd, const struct kvm_setting_args *a, struct kvm_era *era,
			struct kvm_setting *s, const struct hp_policy **policy)
{
	char err[512];
	if (kvm_era_from_args(cmd, a->kernel, a->arch, era))
		return -1;
	kvm_setting_defaults(s, era);
	for (size_t i = 0; i < a->nsets; i++) {
		int r = kvm_setting_apply(s, era, a->sets[i], err, sizeof(err));
		if (r < 0)
			cli_error(cmd, "%s", err);
		else if (r > 0 && era->arch == KVM_ARCH_POWERPC)
			cli_error(cmd,
				  "--set %s: unknown key (halt_poll_ns, halt_poll_ns_grow, halt_poll_ns_grow_start, "
				  "halt_poll_ns_shrink, kvm_hv.halt_poll_max_ns, host.cpu)",
				  a->sets[i]);
		else if (r > 0)
			cli_error(cmd,
				  "--set %s: unknown key (halt_poll_ns, halt_poll_ns_grow, halt_poll_ns_grow_start, "
				  "halt_poll_ns_shrink, vm.halt_poll_ns, vm.msr_poll_control, vm.policy_params.KEY)",
				  a->sets[i]);
		if (r)
			return -1;
	}
	*policy = hp_policy_find(a->policy);
	if (!*policy) {
		cli_error(cmd, "--policy: no policy named \"%s\" (kvmsim policies lists them)", a->policy);
		return -1;
	}
	return 0;
}
