/*
 * probe_json.c - a probe result as a kvmsim-run/1 document, so that
 * `kvmsim compare` and `kvmsim report` read real runs as they read simulated
 * ones. Other tasks' time on the vCPU's CPU (from /proc/stat, to a tick) is that pCPU's
 * `task` time and probe.other_cpu_ns. What a real run cannot know is left out or zero and said so in
 * "probe": the vCPU thread's CPU time is not split between guest and KVM (all
 * of it that is not polling is under `kvm`), there is one pCPU entry (the
 * vCPU's, its other time under `idle`), and no tracepoints or exits are
 * counted. Both latency distributions hold every paired wake-up: the probe's
 * wake-ups are far enough apart that each finds the vCPU halted or polling.
 */
#include <stdio.h>
#include <string.h>

#include "models/haltpoll/kvm_era.h"
#include "sim/out_json.h"
#include "sim/time.h"
#include "traces/probe/probe.h"
#include "workloads/scenario/report.h"

#ifndef KVMSIM_VERSION
#define KVMSIM_VERSION "0.0.0"
#endif

static json_t *stats_json(const struct probe_stats *s)
{
	json_t *o = json_object();
#define U(n) json_object_set_new(o, #n, json_integer((json_int_t)s->n))
	U(halt_successful_poll);
	U(halt_attempted_poll);
	U(halt_poll_invalid);
	U(halt_wakeup);
	U(halt_poll_success_ns);
	U(halt_poll_fail_ns);
	U(halt_wait_ns);
#undef U
	static const char *const n[3] = { "halt_poll_success_hist", "halt_poll_fail_hist", "halt_wait_hist" };
	for (int k = 0; k < 3 && s->have_hist; k++) {
		json_t *a = json_array();
		for (int i = 0; i < PROBE_HIST_N; i++)
			json_array_append_new(a, json_integer((json_int_t)s->hist[k][i]));
		json_object_set_new(o, n[k], a);
	}
	json_object_set_new(o, "blocking", json_integer((json_int_t)s->blocking));
	json_object_set_new(o, "halt_exits", json_integer((json_int_t)s->halt_exits));
	return o;
}

json_t *probe_result_json(const struct probe_result *r)
{
	const struct probe_stats *s = &r->st;
	sim_time_t dur = r->wall_ns * SIM_NS;
	sim_time_t poll_ok = (sim_time_t)s->halt_poll_success_ns * SIM_NS;
	sim_time_t poll_fail = (sim_time_t)s->halt_poll_fail_ns * SIM_NS;
	sim_time_t cpu = r->cpu_ns * SIM_NS;
	if (cpu > dur)
		cpu = dur;
	if (poll_ok + poll_fail > cpu) /* the two clocks disagree by a little: keep the sums exact */
		cpu = poll_ok + poll_fail <= dur ? poll_ok + poll_fail : dur;
	sim_time_t kvm = cpu - poll_ok - poll_fail;
	if (kvm < 0) {
		poll_fail += kvm;
		kvm = 0;
	}
	char rel[16] = "?";
	probe_kernel_release(r->kernel, rel, sizeof(rel));
	unsigned ver;
	struct kvm_era era;
	char err[128], era_s[2] = "?";
	if (!kvm_version_parse(rel, &ver, err, sizeof(err)) && !kvm_era_for(ver, KVM_ARCH_X86, &era, err, sizeof(err)))
		era_s[0] = era.era;
	int64_t hp = r->pat.halt_poll_ns >= 0 ? r->pat.halt_poll_ns : r->module_param[0];

	json_t *root = json_object();
	json_object_set_new(root, "schema", json_string(KVMSIM_RUN_SCHEMA));
	json_object_set_new(root, "kvmsim", json_string(KVMSIM_VERSION));
	json_object_set_new(root, "scenario",
			    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:[]}", "name", r->pat.spec, "source",
				      "kvmsim probe (/dev/kvm)", "kernel", r->kernel, "arch", "x86", "era", era_s,
				      "cost_profile", "real", "seed", (json_int_t)r->pat.seed, "duration_ps",
				      (json_int_t)dur, "overrides"));
	json_object_set_new(root, "kvm_params",
			    json_pack("{s:I, s:I, s:I, s:I}", "halt_poll_ns", (json_int_t)hp, "halt_poll_ns_grow",
				      (json_int_t)r->module_param[1], "halt_poll_ns_grow_start",
				      (json_int_t)r->module_param[2], "halt_poll_ns_shrink", (json_int_t)r->module_param[3]));
	json_object_set_new(root, "events", json_integer(0));

	json_t *v = json_object();
	json_object_set_new(v, "name", json_string("vm0/vcpu0"));
	json_object_set_new(v, "vm", json_string("vm0"));
	json_object_set_new(v, "vcpu_id", json_integer(0));
	json_object_set_new(v, "pcpu", json_integer(r->vcpu_cpu));
	json_object_set_new(v, "pid", json_integer(r->tid));
	json_object_set_new(v, "policy", json_string("kvm"));
	json_object_set_new(v, "halt_poll_ns", json_integer((json_int_t)hp));
	json_object_set_new(v, "halts", json_integer((json_int_t)s->halt_exits));
	json_object_set_new(v, "interrupts", json_pack("{s:I, s:I, s:I}", "arrivals", (json_int_t)r->raised,
						       "coalesced", (json_int_t)r->coalesced, "invalid_wakeups", 0));
	json_object_set_new(v, "stats", stats_json(s));
	json_object_set_new(v, "latency", json_pack("{s:o, s:o}", "wake", sim_hist_json(&r->lat), "irq",
						    sim_hist_json(&r->lat)));
	json_object_set_new(v, "cpu_ps",
			    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "guest", 0, "guest_poll", 0, "kvm",
				      (json_int_t)kvm, "poll_ok", (json_int_t)poll_ok, "poll_fail", (json_int_t)poll_fail,
				      "sleep", (json_int_t)(dur - cpu), "runnable", 0));
	json_object_set_new(v, "kvm_events", json_object());
	json_object_set_new(v, "exits", json_object());
	json_object_set_new(root, "vcpus", json_pack("[o]", v));

	sim_time_t other = r->other_ns * SIM_NS;
	if (other > dur - cpu)
		other = dur - cpu;
	if (other < 0)
		other = 0;
	json_t *pc = json_pack("{s:i, s:{s:I, s:I, s:I, s:I, s:I, s:I}}", "cpu", r->vcpu_cpu, "cpu_ps", "guest", 0, "kvm",
			       (json_int_t)kvm, "poll_ok", (json_int_t)poll_ok, "poll_fail", (json_int_t)poll_fail,
			       "task", (json_int_t)other, "idle", (json_int_t)(dur - cpu - other));
	json_object_set_new(root, "pcpus", json_pack("[o]", pc));
	json_object_set_new(root, "host_tasks", json_array());
	json_object_set_new(root, "kvm_events", json_object());
	json_object_set_new(root, "exits", json_object());

	json_t *gaps = json_array();
	for (long i = 0; i < r->raised; i++)
		json_array_append_new(gaps, json_integer((json_int_t)r->gap_ns[i]));
	json_t *pr = json_pack("{s:s, s:I, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:b, s:o}", "pattern", r->pat.spec,
			       "count", (json_int_t)r->pat.count, "halt_poll_ns", (json_int_t)r->pat.halt_poll_ns,
			       "delivery",
			       r->pat.kind == PROBE_TIMER ? "LAPIC timer (TSC deadline)" : r->pat.msi ? "KVM_SIGNAL_MSI" : "irqfd", "tsc_khz", (json_int_t)r->tsc_khz,
			       "vcpu_cpu_ns", (json_int_t)r->cpu_ns, "wall_ns", (json_int_t)r->wall_ns, "lost",
			       (json_int_t)r->lost, "lost_runs", (json_int_t)r->lost_runs, "extra_runs", (json_int_t)r->extra_runs,
			       "coalesced", (json_int_t)r->coalesced, "other_cpu_ns", (json_int_t)r->other_ns, "host", r->nested[0] ? r->nested : "bare metal",
			       "cpu_split", "guest and KVM time are not separated: all non-polling CPU time is under kvm",
			       "sched_fifo", r->rt, "gaps_ns", gaps);
	/* the window's start on CLOCK_MONOTONIC (tracefs's mono clock): a trace taken beside the
	 * probe lines up with the arrivals by it */
	json_object_set_new(pr, "window_start_ns", json_integer((json_int_t)r->t0_ns));
	if (r->handler.count) /* the guest's own clock: each MSI handler run's first TSC to its last */
		json_object_set_new(pr, "handler_ns", sim_hist_json(&r->handler));
	if (r->eoi.count) /* and from before its EOI write to after it: the exit to KVM and back */
		json_object_set_new(pr, "eoi_ns", sim_hist_json(&r->eoi));
	if (r->bg.traced) { /* traces/background.h */
		json_t *a = json_array();
		for (long i = 0; i < r->bg.n; i++)
			json_array_append_new(a, json_pack("[I, I]", (json_int_t)r->bg.at_ns[i], (json_int_t)r->bg.work_ns[i]));
		json_t *wb = json_array(), *wi = json_array(), *wm = json_array();
		for (long i = 0; i < r->bg.nbusy; i++)
			json_array_append_new(wb, json_integer((json_int_t)r->bg.busy_ns[i]));
		for (long i = 0; i < r->bg.nidle; i++)
			json_array_append_new(wi, json_integer((json_int_t)r->bg.idle_ns[i]));
		for (long i = 0; i < r->bg.nmsi; i++)
			json_array_append_new(wm, json_integer((json_int_t)r->bg.msi_ns[i]));
		json_object_set_new(pr, "background",
				    json_pack("{s:s, s:i, s:I, s:o, s:o, s:o, s:o}", "what",
					      "other tasks on the vCPU's CPU, traced: each activation's wake-up (ns from the "
					      "window's start) and the CPU it took there; the vCPU thread's wake-ups there to "
					      "its first event, while another task held the CPU and from idle; the former "
					      "again from the MSI that woke it to the switch to it",
					      "tasks", r->bg.tasks, "cpu_ns", (json_int_t)r->bg.cpu_ns, "arrivals", a,
					      "wake_busy_ns", wb, "wake_idle_ns", wi, "wake_msi_ns", wm));
	}
	json_object_set_new(root, "probe", pr);
	return root;
}
