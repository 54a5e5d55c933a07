/* scenario.c - the scenario's key tables, loading and cross-checks. */
#include "workloads/scenario/scenario.h"
#include "workloads/scenario/scenario_ppc.h"
#include "sim/xalloc.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* generated from workloads/scenarios/default.yaml (CMakeLists.txt) */
extern const char *const kvmsim_scenario_texts[];

static const char *const arch_choices[] = { "x86", "powerpc", "s390", "arm64", NULL };
static const char *const idle_choices[] = { "halt", "poll", NULL };
static const char *const apic_choices[] = { "x2apic", "xapic", NULL };
static const char *const lapic_timer_choices[] = { "tsc_deadline", "oneshot", NULL };
static const char *const irq_work_choices[] = { "after_eoi", "in_handler", NULL };
static const char *const scheduler_choices[] = { "simple", "fair", NULL };
static const char *const sched_policy_choices[] = { "other", "fifo", NULL };

#define D(f) offsetof(struct device_conf, f)
static const struct cfg_key device_keys[] = {
	{ "name", CFG_STRING, D(name), NULL, "device", 0, 0, "a name for reports" },
	{ "vector", CFG_INT, D(vector), NULL, "0x42", 0x20, 0xff, "its MSI vector" },
	{ "kick_prob", CFG_DOUBLE, D(kick_prob), "probability", "0", 0, 1,
	  "share of its interrupts whose handler notifies the device (a port write exit)" },
	{ "irq", CFG_SECTION, D(irq), NULL, NULL, 0, 0, "when it interrupts", .sub = &source_section },
	{ NULL },
};
#undef D
static const struct cfg_section device_section = { "device", device_keys, sizeof(struct device_conf), NULL };

/* ---- vm ------------------------------------------------------------------------- */

#define V(f) offsetof(struct vm_conf, f)
#define LK(f) offsetof(struct vm_lock_conf, f)
static const struct cfg_key vm_lock_keys[] = {
	{ "hold", CFG_TIME, LK(hold), "us", "0", 0, 0,
	  "time each vCPU holds the VM's spinlock (0: no lock workload); waiters spin with PAUSE" },
	{ "every", CFG_TIME, LK(every), "us", "10us", 0, 0, "guest work between two critical sections" },
	{ NULL },
};
#undef LK
static const struct cfg_section vm_lock_section = { "lock", vm_lock_keys, sizeof(struct vm_lock_conf), NULL };

static const struct cfg_key vm_keys[] = {
	{ "name", CFG_STRING, V(name), NULL, NULL, 0, 0, "VM name (default vm0, vm1, ...)" },
	{ "threads_per_core", CFG_INT, V(threads_per_core), NULL, "0", 0, 8, "powerpc: vCPUs per vcore (1-8); 0: the profile's threads_per_core" },
	{ "prod_prob", CFG_DOUBLE, V(prod_prob), "probability", "0", 0, 1, "powerpc: share of a thread's items ending in H_PROD to the next thread" },
	{ "count", CFG_INT, V(count), NULL, "1", 1, 4096,
	  "how many VMs like this one (ignored inside vms: entries)" },
	{ "vcpus", CFG_INT, V(vcpus), NULL, "1", 1, 1024, "vCPUs per VM" },
	{ "halt_poll_ns", CFG_NS32, V(halt_poll_ns), NULL, NULL, 0, 0,
	  "KVM_ENABLE_CAP(KVM_CAP_HALT_POLL) value for the VM (5.8+); unset: the module parameter rules",
	  .flags = CFG_OPTIONAL, .set_offset = V(halt_poll_ns_set) },
	{ "policy", CFG_STRING, V(policy), "name", "kvm", 0, 0,
	  "halt-polling policy: kvm, none, fixed, or one loaded with --policy-lib" },
	{ "policy_params", CFG_KV, V(policy_params), NULL, NULL, 0, 0,
	  "parameters for the policy (key: value), passed to its vm_init()",
	  .count_offset = V(npolicy_params) },
	{ "msr_poll_control", CFG_U64, V(msr_poll_control), NULL, "1", 0, 1,
	  "MSR_KVM_POLL_CONTROL as the guest leaves it: 0 = guest haltpoll disabled host polling (x86, 5.3+)" },
	{ "apicv", CFG_BOOL, V(apicv), NULL, "true", 0, 0,
	  "posted interrupts: deliver to a running vCPU without a VM exit" },
	{ "invalid_wakeups", CFG_DOUBLE, V(invalid_wakeups), "probability", "0", 0, 1,
	  "s390: share of wake-ups whose interrupt another vCPU takes (an invalid wake-up)" },
	{ "pin", CFG_INT_LIST, V(pin), NULL, "auto", 0, 0,
	  "pCPU of each vCPU, e.g. [0, 1]; auto spreads all vCPUs round-robin",
	  .count_offset = V(npin) },
	{ "workload", CFG_SECTION, V(workload), NULL, NULL, 0, 0, "interrupts each vCPU receives (MSI on vm.vector)",
	  .sub = &source_section },
	{ "vector", CFG_INT, V(vector), NULL, "0x41", 0x20, 0xff, "the workload's MSI vector" },
	{ "kick_prob", CFG_DOUBLE, V(kick_prob), "probability", "0", 0, 1,
	  "share of workload interrupts whose handler notifies the device (virtio queue kick: a port write exit)" },
	{ "devices", CFG_LIST, V(devices), NULL, NULL, 0, 0, "more MSI sources per vCPU (e.g. a TX queue)",
	  .sub = &device_section, .count_offset = V(ndevices) },
	{ "idle", CFG_ENUM, V(idle), NULL, "halt", 0, 0, "guest idle: halt (HLT exits) or poll (idle=poll: spin in guest mode)",
	  .choices = idle_choices },
	{ "apic", CFG_ENUM, V(apic), NULL, "x2apic", 0, 0, "guest APIC mode: x2apic (EOI is an MSR write) or xapic (APIC page)",
	  .choices = apic_choices },
	{ "pv_eoi", CFG_BOOL, V(pv_eoi), NULL, "false", 0, 0,
	  "the guest uses PV EOI (MSR_KVM_PV_EOI_EN); never armed while APICv is on" },
	{ "eoi_exit_vectors", CFG_INT_LIST, V(eoi_exit_vectors), NULL, "auto", 0, 0,
	  "APICv EOI-exit bitmap: vectors whose EOI exits (EOI_INDUCED); auto: none",
	  .count_offset = V(neoi_exit_vectors) },
	{ "tick_hz", CFG_RATE, V(tick_hz), NULL, "0", 0, 100000,
	  "the guest's periodic tick (CONFIG_HZ) on its LAPIC timer; 0: none" },
	{ "nohz", CFG_BOOL, V(nohz), NULL, "true", 0, 0,
	  "NO_HZ idle: the tick stops in idle and restarts when the guest leaves idle for a task" },
	{ "lapic_timer", CFG_ENUM, V(lapic_timer), NULL, "tsc_deadline", 0, 0,
	  "the guest's clockevent: tsc_deadline (IA32_TSC_DEADLINE writes) or oneshot (TMICT writes)",
	  .choices = lapic_timer_choices },
	{ "irq_work", CFG_ENUM, V(irq_work), NULL, "after_eoi", 0, 0,
	  "where a device interrupt's work runs: after_eoi (the handler EOIs and returns, the work runs "
	  "after it with interrupts on, as softirq or NAPI work) or in_handler (all of it in the hard "
	  "interrupt handler, interrupts off, before its EOI; an interrupt arriving meanwhile waits; "
	  "not for the virtio drivers, whose handlers are their own)",
	  .choices = irq_work_choices },
	{ "task_prob", CFG_DOUBLE, V(task_prob), "probability", "0", 0, 1,
	  "share of device interrupts whose handler wakes a guest task (leaving idle)" },
	{ "task_work", CFG_DIST, V(task_work), "us", "10us", 0, 0, "run time of such a woken task" },
	{ "cyclictest", CFG_SECTION, V(cyclictest), NULL, NULL, 0, 0, "cyclictest in the guest",
	  .sub = &cyclictest_section },
	{ "lock", CFG_SECTION, V(lock), NULL, NULL, 0, 0,
	  "a spinlock the VM's vCPUs share (lock-holder preemption, pause-loop exiting)", .sub = &vm_lock_section },
	{ "pingpong", CFG_SECTION, V(pingpong), NULL, NULL, 0, 0,
	  "a closed loop between two vCPUs: IPI or futex ping-pong (docs/ipi.md)", .sub = &pingpong_section },
	{ "guest_haltpoll", CFG_SECTION, V(guest_haltpoll), NULL, NULL, 0, 0,
	  "the guest's cpuidle-haltpoll driver and governor", .sub = &guest_haltpoll_section },
	{ "fio", CFG_SECTION, V(fio), NULL, NULL, 0, 0, "fio in the guest on a virtio-blk disk", .sub = &fio_section },
	{ "virtio_blk", CFG_SECTION, V(virtio_blk), NULL, NULL, 0, 0, "the virtio-blk disk fio uses", .sub = &virtio_blk_section },
	{ "tcp_rr", CFG_SECTION, V(tcp_rr), NULL, NULL, 0, 0, "netperf TCP_RR from this VM to another over virtio-net", .sub = &tcp_rr_section },
	{ "virtio_net", CFG_SECTION, V(virtio_net), NULL, NULL, 0, 0, "the virtio-net device (vhost-net) TCP_RR uses", .sub = &virtio_net_section },
	{ "sched_policy", CFG_ENUM, V(sched_policy), NULL, "other", 0, 0,
	  "the vCPU threads' host scheduling policy: other (SCHED_NORMAL) or fifo (SCHED_FIFO; host.scheduler fair)",
	  .choices = sched_policy_choices },
	{ "nice", CFG_INT, V(nice), NULL, "0", -20, 19, "the vCPU threads' nice value (host.scheduler fair)" },
	{ "rt_priority", CFG_INT, V(rt_priority), NULL, "1", 1, 99, "the vCPU threads' SCHED_FIFO priority" },
	{ "cpus", CFG_INT_LIST, V(cpus), NULL, "auto", 0, 0,
	  "pCPUs every vCPU thread may run on (its affinity), e.g. [0, 1, 2, 3]; auto: pinned (vm.pin); "
	  "host.scheduler fair places and balances within it",
	  .count_offset = V(ncpus) },
	{ NULL },
};
#undef V
static const struct cfg_section vm_section = { "vm", vm_keys, sizeof(struct vm_conf), NULL };

/* ---- host ----------------------------------------------------------------------- */

#define T(f) offsetof(struct host_task_conf, f)
static const struct cfg_key task_keys[] = {
	{ "name", CFG_STRING, T(name), NULL, "task", 0, 0, "task name (its comm)" },
	{ "pcpu", CFG_INT, T(pcpu), NULL, "0", 0, 1023, "the pCPU the task is pinned to" },
	{ "load", CFG_SECTION, T(load), NULL, NULL, 0, 0, "when it wakes up and how long it runs",
	  .sub = &source_section },
	{ "sched_policy", CFG_ENUM, T(sched_policy), NULL, "other", 0, 0,
	  "scheduling policy: other (SCHED_NORMAL) or fifo (SCHED_FIFO; host.scheduler fair)",
	  .choices = sched_policy_choices },
	{ "nice", CFG_INT, T(nice), NULL, "0", -20, 19, "nice value (host.scheduler fair)" },
	{ "rt_priority", CFG_INT, T(rt_priority), NULL, "1", 1, 99, "SCHED_FIFO priority" },
	{ "preempt_delay", CFG_DIST, T(preempt_delay), "us", "0", 0, 0,
	  "how long it keeps its pCPU once a wake-up should preempt it (a kernel without preemption, "
	  "PREEMPT_NONE: the task in kernel mode runs on to its next return to user mode or cond_resched()); "
	  "0: preempted at once" },
	{ "cpus", CFG_INT_LIST, T(cpus), NULL, "auto", 0, 0,
	  "pCPUs it may run on (its affinity), starting on pcpu; auto: pinned to pcpu", .count_offset = T(ncpus) },
	{ NULL },
};
#undef T
static const struct cfg_section task_section = { "task", task_keys, sizeof(struct host_task_conf), NULL };

#define N(f) offsetof(struct host_noise_conf, f)
static const struct cfg_key noise_keys[] = {
	{ "irq_rate", CFG_RATE, N(irq_rate), NULL, "0", 0, 1e7,
	  "host interrupts per pCPU and second that are not the VMs' (the host's devices and timers; Poisson); "
	  "0: none" },
	{ "irq_cost", CFG_DIST, N(irq_cost), "us", "2us", 0, 0, "each host interrupt's handler" },
	{ "smi_rate", CFG_RATE, N(smi_rate), NULL, "0", 0, 1e6,
	  "system management interrupts per second (Poisson), each stopping every pCPU; 0: none" },
	{ "smi_cost", CFG_DIST, N(smi_cost), "us", "100us", 0, 0, "each SMI's time in SMM" },
	{ NULL },
};
#undef N
/* noise_check - handlers that would take the whole CPU leave nothing to simulate: refused. */
static int noise_check(void *obj, const struct conf_node *map, const char *path, struct conf_err *err)
{
	const struct host_noise_conf *c = obj;
	const char *k = NULL;
	char p[96];
	double load = 0;
	if (c->irq_rate * dist_mean(&c->irq_cost) / (double)SIM_S >= 0.5)
		k = "irq_rate", load = c->irq_rate * dist_mean(&c->irq_cost) / (double)SIM_S;
	else if (c->smi_rate * dist_mean(&c->smi_cost) / (double)SIM_S >= 0.5)
		k = "smi_rate", load = c->smi_rate * dist_mean(&c->smi_cost) / (double)SIM_S;
	if (!k)
		return 0;
	snprintf(p, sizeof(p), "%s.%s", path, k);
	const struct conf_node *n = map ? conf_get(map, k) : NULL;
	conf_errorf(err, n ? n : map, p, "its handlers would take %.0f %% of each pCPU; expected under 50 %%", 100 * load);
	return -1;
}
static const struct cfg_section noise_section = { "noise", noise_keys, sizeof(struct host_noise_conf), noise_check };

#define H(f) offsetof(struct host_conf, f)
static const struct cfg_key host_keys[] = {
	{ "pcpus", CFG_INT, H(pcpus), NULL, "1", 1, 1024, "physical CPUs" },
	{ "scheduler", CFG_ENUM, H(scheduler), NULL, "fair", 0, 0,
	  "host scheduler: fair (the kernel's: CFS, EEVDF from 6.6; tick, slices, balancing) or simple "
	  "(FIFO, a wake-up always preempts, no tick or migration: faster, the model's first scheduler)",
	  .choices = scheduler_choices },
	{ "hz", CFG_RATE, H(hz), NULL, "250", 100, 1000,
	  "CONFIG_HZ: the scheduler tick (host.scheduler fair; 250 is the kernel's Kconfig default and Debian's)" },
	{ "balance", CFG_BOOL, H(balance), NULL, "true", 0, 0,
	  "wake-up placement and load balancing across a task's allowed pCPUs (host.scheduler fair)" },
	{ "wakeup_preempt", CFG_BOOL, H(wakeup_preempt), NULL, "true", 0, 0,
	  "a waking task preempts the running one (CFS wake-up preemption)" },
	{ "resched_rate", CFG_RATE, H(resched_rate), NULL, "0", 0, 1e7,
	  "need_resched requests per pCPU and second that bring no task (RCU's resched_cpu)" },
	{ "max_cstate", CFG_INT, H(max_cstate), NULL, "9", 0, 9,
	  "deepest host idle state index (intel_idle.max_cstate); 0 = POLL only" },
	{ "idle_poll", CFG_BOOL, H(idle_poll), NULL, "false", 0, 0, "host booted with idle=poll" },
	{ "idle_exit_spread", CFG_DOUBLE, H(idle_exit_spread), NULL, "0.5", 0, 1,
	  "an idle state's exit takes uniformly from (1 - spread) x its table exit latency (a worst case) to "
	  "all of it; 0: always the worst case (assumed shape, see README)" },
	{ "noise", CFG_SECTION, H(noise), NULL, NULL, 0, 0,
	  "optional tail sources that are not the VMs': host interrupts and SMIs (off by default)",
	  .sub = &noise_section },
	{ "tasks", CFG_LIST, H(tasks), NULL, NULL, 0, 0, "other host tasks (load on the pCPUs)",
	  .sub = &task_section, .count_offset = H(ntasks) },
	{ NULL },
};
#undef H
static const struct cfg_section host_section = { "host", host_keys, sizeof(struct host_conf), NULL };

#define K(f) offsetof(struct kvm_param_conf, f)
static const struct cfg_key kvm_keys[] = {
	{ "halt_poll_ns", CFG_NS32, K(halt_poll_ns), NULL, NULL, 0, 0,
	  "kvm.halt_poll_ns; unset: KVM_HALT_POLL_NS_DEFAULT of the release and arch",
	  .flags = CFG_OPTIONAL, .set_offset = K(halt_poll_ns_set) },
	{ "halt_poll_ns_grow", CFG_U32, K(halt_poll_ns_grow), NULL, NULL, 0, 0,
	  "kvm.halt_poll_ns_grow; unset: 2", .flags = CFG_OPTIONAL, .set_offset = K(halt_poll_ns_grow_set) },
	{ "halt_poll_ns_grow_start", CFG_NS32, K(halt_poll_ns_grow_start), NULL, NULL, 0, 0,
	  "kvm.halt_poll_ns_grow_start (5.1+); unset: 10000", .flags = CFG_OPTIONAL,
	  .set_offset = K(halt_poll_ns_grow_start_set) },
	{ "halt_poll_ns_shrink", CFG_U32, K(halt_poll_ns_shrink), NULL, NULL, 0, 0,
	  "kvm.halt_poll_ns_shrink; unset: 0 before 6.11, 2 from 6.11", .flags = CFG_OPTIONAL,
	  .set_offset = K(halt_poll_ns_shrink_set) },
	{ "lapic_timer_advance_ns", CFG_INT, K(lapic_timer_advance_ns), NULL, NULL, -1, 5000,
	  "fire the LAPIC timer early by this much; -1 adaptive (5.2+); unset: 0 before 5.2, -1 after; "
	  "6.10+ knows only adaptive (-1) or off (0)",
	  .flags = CFG_OPTIONAL, .set_offset = K(lapic_timer_advance_ns_set) },
	{ NULL },
};
#undef K
static const struct cfg_section kvm_section = { "kvm", kvm_keys, sizeof(struct kvm_param_conf), NULL };

#define KI(f) offsetof(struct kvm_intel_conf, f)
static const struct cfg_key kvm_intel_keys[] = {
	{ "preemption_timer", CFG_BOOL, KI(preemption_timer), NULL, "true", 0, 0,
	  "kvm_intel.preemption_timer: emulate the TSC-deadline timer with the VMX preemption timer (4.9+)" },
	{ "ple_gap", CFG_INT, KI(ple_gap), "cycles", "128", 0, 4294967295LL,
	  "kvm_intel.ple_gap: max cycles between two PAUSEs of one spin loop; 0: pause-loop exiting off" },
	{ "ple_window", CFG_INT, KI(ple_window), "cycles", "4096", 1, 4294967295LL,
	  "kvm_intel.ple_window: a spin loop longer than the vCPU's window exits (PAUSE_INSTRUCTION); the base window" },
	{ "ple_window_grow", CFG_INT, KI(ple_window_grow), NULL, "2", 0, 4294967295LL,
	  "kvm_intel.ple_window_grow: each PAUSE exit multiplies the vCPU's window (adds, when >= ple_window)" },
	{ "ple_window_shrink", CFG_INT, KI(ple_window_shrink), NULL, "0", 0, 4294967295LL,
	  "kvm_intel.ple_window_shrink: on sched-in the window is divided (subtracted, when >= ple_window); 0: reset" },
	{ "ple_window_max", CFG_INT, KI(ple_window_max), "cycles", "4294967295", 1, 4294967295LL,
	  "kvm_intel.ple_window_max: the grown window's ceiling" },
	{ NULL },
};
#undef KI
static const struct cfg_section kvm_intel_section = { "kvm_intel", kvm_intel_keys, sizeof(struct kvm_intel_conf),
						      NULL };

/* ---- top level ------------------------------------------------------------------- */

static int scenario_check(void *obj, const struct conf_node *map, const char *path, struct conf_err *err);

#define S(f) offsetof(struct scenario, f)
static const struct cfg_key scenario_keys[] = {
	{ "name", CFG_STRING, S(name), NULL, NULL, 0, 0, "a name for reports" },
	{ "duration", CFG_TIME, S(duration), "s", "1s", 0, 86400, "simulated time" },
	{ "warmup", CFG_TIME, S(warmup), "ms", NULL, 0, 86400000, "time before statistics start (unset: a tenth of "
	  "the run, at most 100ms; 0: from the start, cold)", .flags = CFG_OPTIONAL, .set_offset = S(warmup_set) },
	{ "seed", CFG_U64, S(seed), NULL, "1", 0, 0, "master random seed" },
	{ "kernel", CFG_STRING, S(kernel), "release", "6.12", 0, 0,
	  "host kernel release whose KVM is modelled (4.3 and later), e.g. 5.10.7" },
	{ "arch", CFG_ENUM, S(arch), NULL, "x86", 0, 0, "architecture (its halt-poll defaults)",
	  .choices = arch_choices },
	{ "cost_profile", CFG_STRING, S(cost_profile), "name or path", "haswell-ep", 0, 0,
	  "machine cost profile: built-in name (kvmsim profiles) or a .yaml file" },
	{ "costs", CFG_RAW, 0, "map", NULL, 0, 0,
	  "overrides of single profile costs, e.g. costs: {poll_iter: 200}" },
	{ "kvm", CFG_SECTION, S(kvm), NULL, NULL, 0, 0, "kvm module parameters", .sub = &kvm_section },
	{ "kvm_intel", CFG_SECTION, S(kvm_intel), NULL, NULL, 0, 0, "kvm_intel module parameters",
	  .sub = &kvm_intel_section },
	{ "kvm_hv", CFG_SECTION, S(kvm_hv), NULL, NULL, 0, 0, "kvm_hv module parameters (powerpc)", .sub = &kvm_hv_section },
	{ "host", CFG_SECTION, S(host), NULL, NULL, 0, 0, "the host", .sub = &host_section },
	{ "vm", CFG_SECTION, S(vm), NULL, NULL, 0, 0, "every VM's settings", .sub = &vm_section },
	{ "vms", CFG_RAW, 0, "list of maps", NULL, 0, 0,
	  "VMs that differ: each entry takes vm.* keys over the vm: template" },
	{ NULL },
};
#undef S
static const struct cfg_section scenario_section = { "scenario", scenario_keys, sizeof(struct scenario),
						     scenario_check };

static const struct conf_node *at(const struct conf_node *map, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	const struct conf_node *n = map;
	for (char *save, *t = strtok_r(buf, ".", &save); t && n; t = strtok_r(NULL, ".", &save))
		n = conf_get(n, t);
	return n ? n : map;
}

static int check_vm(struct scenario *s, const struct vm_conf *vm, const struct conf_node *vmap,
		    const char *path, struct conf_err *err)
{
	const struct kvm_era *e = &s->era;
	char p[160];
	if (scenario_ppc_check_vm(s, vm, vmap, path, err))
		return -1;
	if (vm->halt_poll_ns_set && !e->cap_halt_poll) {
		snprintf(p, sizeof(p), "%s.halt_poll_ns", path);
		conf_errorf(err, at(vmap, "halt_poll_ns"), p,
			    "KVM_CAP_HALT_POLL arrived in 5.8; kernel %s has no per-VM halt_poll_ns", s->kernel);
		return -1;
	}
	if (vm->msr_poll_control == 0 && !(e->arch == KVM_ARCH_X86 && e->no_poll)) {
		snprintf(p, sizeof(p), "%s.msr_poll_control", path);
		conf_errorf(err, at(vmap, "msr_poll_control"), p,
			    "MSR_KVM_POLL_CONTROL exists on x86 from 5.3 only (kernel %s, %s)", s->kernel,
			    kvm_arch_name(e->arch));
		return -1;
	}
	if (vm->invalid_wakeups > 0 && e->arch != KVM_ARCH_S390) {
		snprintf(p, sizeof(p), "%s.invalid_wakeups", path);
		conf_errorf(err, at(vmap, "invalid_wakeups"), p, "only s390 has invalid wake-ups");
		return -1;
	}
	for (size_t i = 0; i < vm->npin; i++)
		if (vm->pin[i] < 0 || vm->pin[i] >= s->host.pcpus) {
			snprintf(p, sizeof(p), "%s.pin", path);
			conf_errorf(err, at(vmap, "pin"), p, "pCPU %lld does not exist (host.pcpus is %lld)",
				    (long long)vm->pin[i], (long long)s->host.pcpus);
			return -1;
		}
	for (size_t i = 0; i < vm->neoi_exit_vectors; i++)
		if (vm->eoi_exit_vectors[i] < 0 || vm->eoi_exit_vectors[i] > 255) {
			snprintf(p, sizeof(p), "%s.eoi_exit_vectors", path);
			conf_errorf(err, at(vmap, "eoi_exit_vectors"), p, "%lld is not a vector (0..255)",
				    (long long)vm->eoi_exit_vectors[i]);
			return -1;
		}
	if (vm->cyclictest.threads > vm->vcpus) {
		snprintf(p, sizeof(p), "%s.cyclictest.threads", path);
		conf_errorf(err, at(vmap, "cyclictest.threads"), p, "%lld threads for %lld vCPUs (one thread per vCPU)",
			    (long long)vm->cyclictest.threads, (long long)vm->vcpus);
		return -1;
	}
	if (e->arch != KVM_ARCH_X86 && (vm->cyclictest.threads || vm->tick_hz > 0 || vm->pv_eoi)) {
		snprintf(p, sizeof(p), "%s", path);
		conf_errorf(err, vmap, p, "the LAPIC timer, cyclictest and PV EOI are modelled for x86 only");
		return -1;
	}
	if (e->arch != KVM_ARCH_X86 && vm->lock.hold > 0) {
		snprintf(p, sizeof(p), "%s.lock.hold", path);
		conf_errorf(err, at(vmap, "lock.hold"), p, "the spinlock and pause-loop exiting are modelled for x86 only");
		return -1;
	}
	if (pingpong_check(&vm->pingpong, vm->vcpus, vm->apic == 0 /* x2apic */, e->arch == KVM_ARCH_X86, e, s->kernel,
			   at(vmap, "pingpong") != vmap ? at(vmap, "pingpong") : NULL, path, err))
		return -1;
	if (vm->guest_haltpoll.enabled) {
		struct guest_haltpoll_conf *g = (struct guest_haltpoll_conf *)&vm->guest_haltpoll;
		char msg[200];
		snprintf(p, sizeof(p), "%s.guest_haltpoll.guest_kernel", path);
		g->version = s->version;
		if (g->guest_kernel && kvm_version_parse(g->guest_kernel, &g->version, msg, sizeof(msg))) {
			conf_errorf(err, at(vmap, "guest_haltpoll.guest_kernel"), p, "%s", msg);
			return -1;
		}
		if (g->version < KVM_VERSION_CODE(5, 4, 0) || e->arch != KVM_ARCH_X86) {
			conf_errorf(err, at(vmap, "guest_haltpoll"), p,
				    "cpuidle-haltpoll is an x86 guest driver from 5.4 (guest kernel %s)",
				    g->guest_kernel ? g->guest_kernel : s->kernel);
			return -1;
		}
	}
	for (size_t i = 0; i < vm->ncpus; i++)
		if (vm->cpus[i] < 0 || vm->cpus[i] >= s->host.pcpus) {
			snprintf(p, sizeof(p), "%s.cpus", path);
			conf_errorf(err, at(vmap, "cpus"), p, "pCPU %lld does not exist (host.pcpus is %lld)",
				    (long long)vm->cpus[i], (long long)s->host.pcpus);
			return -1;
		}
	if (vm->npin && (int64_t)vm->npin != vm->vcpus) {
		snprintf(p, sizeof(p), "%s.pin", path);
		conf_errorf(err, at(vmap, "pin"), p, "gives %zu pCPUs for %lld vCPUs", vm->npin,
			    (long long)vm->vcpus);
		return -1;
	}
	return 0;
}

static int scenario_check(void *obj, const struct conf_node *map, const char *path, struct conf_err *err)
{
	struct scenario *s = obj;
	char msg[200];
	if (kvm_version_parse(s->kernel, &s->version, msg, sizeof(msg))) {
		conf_errorf(err, at(map, "kernel"), "kernel", "%s", msg);
		return -1;
	}
	if (kvm_era_for(s->version, (enum kvm_arch)s->arch, &s->era, msg, sizeof(msg))) {
		conf_errorf(err, at(map, "kernel"), "kernel", "%s", msg);
		return -1;
	}
	if (scenario_ppc_check(s, map, err))
		return -1;
	if (s->kvm.halt_poll_ns_grow_start_set && !s->era.grow_start_param) {
		conf_errorf(err, at(map, "kvm.halt_poll_ns_grow_start"), "kvm.halt_poll_ns_grow_start",
			    "the parameter arrived in 5.1; kernel %s grows from a fixed 10000 ns", s->kernel);
		return -1;
	}
	if (s->duration <= 0) {
		conf_errorf(err, at(map, "duration"), "duration", "must be positive");
		return -1;
	}
	if (s->warmup_set && s->warmup >= s->duration) {
		conf_errorf(err, at(map, "warmup"), "warmup", "must be shorter than the run (duration)");
		return -1;
	}
	if (s->kvm.lapic_timer_advance_ns_set) {
		int64_t a = s->kvm.lapic_timer_advance_ns;
		const char *why = a == -1 && s->version < KVM_VERSION_CODE(5, 2, 0)
					  ? "adaptive advance (-1) arrived in 5.2"
				  : a > 0 && s->era.advance_bool
					  ? "6.10 replaced it with the boolean kvm.lapic_timer_advance: use -1 (adaptive) or 0 (off)"
					  : NULL;
		if (why) {
			conf_errorf(err, at(map, "kvm.lapic_timer_advance_ns"), "kvm.lapic_timer_advance_ns", "%s (kernel %s)",
				    why, s->kernel);
			return -1;
		}
	}
	for (size_t i = 0; i < s->host.ntasks; i++)
		if (s->host.tasks[i].pcpu >= s->host.pcpus) {
			char p[64];
			snprintf(p, sizeof(p), "host.tasks.%zu.pcpu", i);
			const struct conf_node *tl = at(map, "host.tasks");
			const struct conf_node *t = tl && tl->kind == CONF_SEQ ? tl->child : NULL;
			for (size_t j = 0; t && j < i; j++)
				t = t->next;
			conf_errorf(err, t ? at(t, "pcpu") : tl, p, "pCPU %lld does not exist (host.pcpus is %lld)",
				    (long long)s->host.tasks[i].pcpu, (long long)s->host.pcpus);
			return -1;
		}
	for (size_t i = 0; i < s->host.ntasks; i++)
		for (size_t k = 0; k < s->host.tasks[i].ncpus; k++)
			if (s->host.tasks[i].cpus[k] < 0 || s->host.tasks[i].cpus[k] >= s->host.pcpus) {
				char p[64];
				snprintf(p, sizeof(p), "host.tasks.%zu.cpus", i);
				const struct conf_node *tl = at(map, "host.tasks");
				const struct conf_node *t = tl && tl->kind == CONF_SEQ ? tl->child : NULL;
				for (size_t j = 0; t && j < i; j++)
					t = t->next;
				conf_errorf(err, t ? at(t, "cpus") : tl, p, "pCPU %lld does not exist (host.pcpus is %lld)",
					    (long long)s->host.tasks[i].cpus[k], (long long)s->host.pcpus);
				return -1;
			}
	return check_vm(s, &s->vm, at(map, "vm"), "vm", err);
}

/* bind_vms - the `vms:` list: each entry is the vm: template with its own keys on top. */
static int bind_vms(struct scenario *s, struct conf_node *root, struct conf_err *err)
{
	struct conf_node *list = conf_get(root, "vms");
	if (!list) {
		s->nvms = (size_t)s->vm.count;
		s->vms = xcalloc(s->nvms, sizeof(*s->vms));
		for (size_t i = 0; i < s->nvms; i++)
			cfg_copy(&vm_section, &s->vms[i], &s->vm);
		return 0;
	}
	if (list->kind != CONF_SEQ || !list->child) {
		conf_errorf(err, list, "vms", "expected a list of VMs (maps of vm keys)");
		return -1;
	}
	size_t n = 0;
	for (struct conf_node *c = list->child; c; c = c->next) {
		if (c->kind != CONF_MAP) {
			conf_errorf(err, c, "vms", "expected a map of vm keys");
			return -1;
		}
		struct conf_node *cnt = conf_get(c, "count");
		n += cnt && cnt->kind == CONF_SCALAR ? (size_t)strtoul(cnt->value, NULL, 10) : 1;
	}
	if (n > 65536) {
		conf_errorf(err, list, "vms", "too many VMs (%zu)", n);
		return -1;
	}
	s->vms = xcalloc(n ? n : 1, sizeof(*s->vms));
	size_t k = 0, i = 0;
	for (struct conf_node *c = list->child; c; c = c->next, i++) {
		struct vm_conf one;
		char p[64];
		snprintf(p, sizeof(p), "vms.%zu", i);
		cfg_copy(&vm_section, &one, &s->vm);
		one.count = 1;
		if (cfg_bind(&vm_section, &one, c, p, err) || check_vm(s, &one, c, p, err)) {
			cfg_free(&vm_section, &one);
			s->nvms = k;
			return -1;
		}
		for (int64_t j = 0; j < one.count && k < n; j++)
			cfg_copy(&vm_section, &s->vms[k++], &one);
		cfg_free(&vm_section, &one);
	}
	s->nvms = k;
	return 0;
}

int scenario_load(struct scenario *s, const char *path, const struct scenario_set *sets, size_t nsets,
		  struct conf_err *err)
{
	cfg_defaults(&scenario_section, s);
	struct conf_node *root = path ? conf_load_file(path, err)
				      : conf_load_string(kvmsim_scenario_texts[0], "(built-in default)", err);
	if (!root)
		return -1;
	if (root->kind != CONF_MAP) {
		conf_errorf(err, root, NULL, "expected a map of keys at the top level");
		conf_free(root);
		return -1;
	}
	s->overrides = xcalloc(nsets ? nsets : 1, sizeof(char *));
	for (size_t i = 0; i < nsets; i++) {
		if (conf_set(root, sets[i].assignment, sets[i].option, err)) {
			conf_free(root);
			return -1;
		}
		s->overrides[s->noverrides++] = xstrdup(sets[i].assignment);
	}
	s->root = root;
	s->source = xstrdup(path ? path : "(built-in default)");
	if (cfg_bind(&scenario_section, s, root, "", err))
		return -1;
	return bind_vms(s, root, err);
}

void scenario_free(struct scenario *s)
{
	for (size_t i = 0; i < s->nvms; i++)
		cfg_free(&vm_section, &s->vms[i]);
	free(s->vms);
	cfg_free(&scenario_section, s);
	conf_free(s->root);
	free(s->source);
	for (size_t i = 0; i < s->noverrides; i++)
		free(s->overrides[i]);
	free(s->overrides);
	memset(s, 0, sizeof(*s));
}

sim_time_t scenario_warmup(const struct scenario *s)
{
	if (s->warmup_set)
		return s->warmup;
	sim_time_t w = s->duration / 10;
	return w < 100 * SIM_MS ? w : 100 * SIM_MS;
}

int64_t scenario_timer_advance(const struct scenario *s)
{
	return s->kvm.lapic_timer_advance_ns_set ? s->kvm.lapic_timer_advance_ns : s->era.advance_default;
}

void scenario_keys_doc(FILE *f, bool markdown)
{
	if (markdown) {
		fprintf(f, "| key | type / unit | default | meaning |\n|---|---|---|---|\n");
	}
	cfg_doc(f, &scenario_section, "", markdown);
}
