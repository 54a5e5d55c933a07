/*
 * scenario_ppc.c - what a powerpc scenario may say: the keys of x86's paths
 * (APICv, PV EOI, the LAPIC timer, PLE, MSR_KVM_POLL_CONTROL, cyclictest's
 * LAPIC path, port-write kicks, HLT vs idle=poll) are refused with one line
 * naming the key, rather than ignored; the vcore's own keys are checked.
 */
#include "workloads/scenario/scenario_ppc.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define HV(f) offsetof(struct kvm_hv_conf, f)
static const struct cfg_key kvm_hv_keys[] = {
	{ "halt_poll_max_ns", CFG_NS32, HV(halt_poll_max_ns), NULL, NULL, 0, 0,
	  "kvm_hv.halt_poll_max_ns (powerpc, 4.8-4.13): the vcore's polling ceiling; 0: no polling; unset: "
	  "KVM_HALT_POLL_NS_DEFAULT of the release", .flags = CFG_OPTIONAL, .set_offset = HV(halt_poll_max_ns_set) },
	{ NULL },
};
#undef HV
const struct cfg_section kvm_hv_section = { "kvm_hv", kvm_hv_keys, sizeof(struct kvm_hv_conf), NULL };

/* present - the node at a dotted path under map, or NULL (never the map itself). */
static const struct conf_node *present(const struct conf_node *map, const char *a, const char *b)
{
	const struct conf_node *n = map ? conf_get(map, a) : NULL;
	return n && b ? conf_get(n, b) : n;
}

static const char *const x86_vm_keys[][1] = {
	{ "apicv" },		{ "pv_eoi" },	  { "apic" },	    { "eoi_exit_vectors" }, { "lapic_timer" }, { "tick_hz" },
	{ "msr_poll_control" }, { "cyclictest" }, { "kick_prob" }, { "idle" },		    { "guest_haltpoll" }, { "lock" },
	{ "fio" },		{ "virtio_blk" }, { "pingpong" },
};

int scenario_ppc_check_vm(const struct scenario *s, const struct vm_conf *vm, const struct conf_node *vmap,
			  const char *path, struct conf_err *err)
{
	char p[160];
	if (s->era.arch != KVM_ARCH_POWERPC) {
		if (vm->threads_per_core || vm->prod_prob > 0) {
			const char *k = vm->threads_per_core ? "threads_per_core" : "prod_prob";
			snprintf(p, sizeof(p), "%s.%s", path, k);
			conf_errorf(err, present(vmap, k, NULL) ? present(vmap, k, NULL) : vmap, p,
				    "a powerpc vcore's setting (arch: powerpc)");
			return -1;
		}
		return 0;
	}
	for (size_t i = 0; i < sizeof(x86_vm_keys) / sizeof(x86_vm_keys[0]); i++) {
		const struct conf_node *n = present(vmap, x86_vm_keys[i][0], NULL);
		if (!n)
			continue;
		const char *sub = NULL;
		if (n->kind == CONF_MAP && n->child && n->child->key) { /* name the key inside the section */
			sub = n->child->key;
			n = n->child;
		}
		snprintf(p, sizeof(p), "%s.%s%s%s", path, x86_vm_keys[i][0], sub ? "." : "", sub ? sub : "");
		conf_errorf(err, n, p, "an x86 path, not modelled for powerpc (refused rather than ignored)");
		return -1;
	}
	for (size_t k = 0; k < vm->ndevices; k++)
		if (vm->devices[k].kick_prob > 0) {
			snprintf(p, sizeof(p), "%s.devices.%zu.kick_prob", path, k);
			conf_errorf(err, vmap, p, "an x86 path (a port write exit), not modelled for powerpc");
			return -1;
		}
	if (present(vmap, "virtio_net", "vector")) {
		snprintf(p, sizeof(p), "%s.virtio_net.vector", path);
		conf_errorf(err, present(vmap, "virtio_net", "vector"), p,
			    "an x86 MSI-X vector; a powerpc thread's interrupt is modelled without one (remove the key)");
		return -1;
	}
	if (present(vmap, "halt_poll_ns", NULL) || strcmp(vm->policy, "kvm")) {
		const char *k = present(vmap, "halt_poll_ns", NULL) ? "halt_poll_ns" : "policy";
		snprintf(p, sizeof(p), "%s.%s", path, k);
		conf_errorf(err, present(vmap, k, NULL) ? present(vmap, k, NULL) : vmap, p,
			    "a vcore polls by its own window and the kernel's rules (no per-VM cap, no other policy)");
		return -1;
	}
	if (vm->npin) {
		snprintf(p, sizeof(p), "%s.pin", path);
		conf_errorf(err, present(vmap, "pin", NULL) ? present(vmap, "pin", NULL) : vmap, p,
			    "powerpc pins runners, not vCPUs: each vcore's runner goes on its own pCPU in turn");
		return -1;
	}
	return 0;
}

static const char *const x86_top_keys[][2] = {
	{ "kvm", "lapic_timer_advance_ns" }, { "kvm_intel", NULL }, { "host", "noise" },
};

int scenario_ppc_check(const struct scenario *s, const struct conf_node *map, struct conf_err *err)
{
	if (s->kvm_hv.halt_poll_max_ns_set && (s->era.arch != KVM_ARCH_POWERPC || !s->era.vcore_own_max)) {
		conf_errorf(err, present(map, "kvm_hv", "halt_poll_max_ns"), "kvm_hv.halt_poll_max_ns",
			    "read by the powerpc vcore of 4.8-4.13 only (kernel %s, %s)", s->kernel, kvm_arch_name(s->era.arch));
		return -1;
	}
	if (s->era.arch != KVM_ARCH_POWERPC)
		return 0;
	if (s->era.vcore_own_max && present(map, "kvm", "halt_poll_ns")) {
		conf_errorf(err, present(map, "kvm", "halt_poll_ns"), "kvm.halt_poll_ns",
			    "the vcore of 4.8-4.13 polls up to kvm_hv.halt_poll_max_ns (its default), not kvm.halt_poll_ns");
		return -1;
	}
	for (size_t i = 0; i < sizeof(x86_top_keys) / sizeof(x86_top_keys[0]); i++) {
		const struct conf_node *n = present(map, x86_top_keys[i][0], x86_top_keys[i][1]);
		if (!n)
			continue;
		const char *sub = x86_top_keys[i][1];
		if (!sub && n->kind == CONF_MAP && n->child && n->child->key) { /* name the key inside the section */
			sub = n->child->key;
			n = n->child;
		}
		char p[96];
		snprintf(p, sizeof(p), "%s%s%s", x86_top_keys[i][0], sub ? "." : "", sub ? sub : "");
		conf_errorf(err, n, p,
			    strcmp(x86_top_keys[i][0], "host")
				    ? "an x86 path (LAPIC timer, PLE, VMX), not modelled for powerpc"
				    : "host interrupts and SMIs reach x86 vCPU threads only; not modelled for powerpc");
		return -1;
	}
	return 0;
}
