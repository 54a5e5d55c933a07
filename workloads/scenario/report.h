/*
 * report.h - what a run prints: the readable summary (stdout) and the JSON
 * document (--json), schema "kvmsim-run/1":
 *
 *   schema, kvmsim, scenario{..., overrides[the --set/--seed/--duration assignments]},
 *   kvm_params{...}, events,
 *   vcpus[{name, vm, vcpu_id, pcpu, pid, policy, halt_poll_ns, halts (kvm_vcpu_halt calls),
 *          interrupts{arrivals, coalesced}, stats{KVM names, only the era's},
 *          latency{wake, irq}, cpu_ps{guest, kvm, poll_ok, poll_fail, sleep, runnable (steal)}}],
 *   pcpus[{cpu, cpu_ps{...}, idle_ps{state: ps}, idle_entries{...}, context_switches, wake_ipis}],
 *   host_tasks[{name, pcpu, bursts, preemptions}],
 *   kvm_events{tracepoint: count}, exits{reason: {samples, total_ns, min_ns, max_ns}},
 *   cyclictest[{vcpu, thread, samples, min_us, avg_us, max_us, overflows, histogram_us[]}]
 *   and the host scheduler's keys (report_sched.h): host_scheduler, vms[], vcpus[].sched,
 *   host_tasks[].{offered_ps, received_ps, sched}, pcpus[].{ticks, balance_pulls}
 *   (per vCPU too: kvm_events, exits, timer{...}, eoi{...})
 *   arch powerpc: no vCPUs; vcores[{name, vm, pcpu, tgid, runner_vcpu, halt_poll_ns, blocks, entries,
 *   runner_stats{...}, time_ps{state: ps}, sched{...}, threads[...]}] instead (report_ppc.c)
 *
 * Times are integer picoseconds (cpu_ps sums exactly to the duration) or
 * nanoseconds (latencies, KVM statistics). Nothing in it depends on the wall
 * clock, so a scenario and seed give byte-identical JSON.
 */
#ifndef KVMSIM_SCENARIO_REPORT_H
#define KVMSIM_SCENARIO_REPORT_H

#include <stdio.h>

#include <jansson.h>

#include "workloads/scenario/machine.h"

#define KVMSIM_RUN_SCHEMA "kvmsim-run/1"

struct run_info {
	uint64_t events;
	double wall_s;
};

void report_text(FILE *f, const struct machine *m, const struct run_info *ri);
/* report_pcpu_text - the pCPU table of the summary: time by what ran, idle states (% of span). */
void report_pcpu_text(FILE *f, const struct machine *m, sim_time_t span);
json_t *report_json(const struct machine *m, const struct run_info *ri);

/* machine_sum_events - every vCPU's tracepoint counts and exit statistics together. */
void machine_sum_events(const struct machine *m, uint64_t *ev, struct exit_stat *ex);
/* report_kvm_events - `perf stat -e 'kvm:*'` layout, over the simulated duration. */
void report_kvm_events(FILE *f, const struct machine *m);
/* report_exit_stats - `perf kvm stat report` layout (VM-EXIT events). */
void report_exit_stats(FILE *f, const struct machine *m);

#endif
