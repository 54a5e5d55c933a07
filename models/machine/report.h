/*
 * report.h - what a run prints: the readable summary (stdout) and the JSON
 * document (--json), schema "kvmsim-run/1":
 *
 *   schema, kvmsim, scenario{...}, kvm_params{...}, events,
 *   vcpus[{name, vm, vcpu_id, pcpu, pid, policy, halt_poll_ns, halts,
 *          interrupts{arrivals, coalesced}, stats{KVM names, only the era's},
 *          latency{wake, irq}, cpu_ps{guest, kvm, poll_ok, poll_fail, sleep, runnable}}],
 *   pcpus[{cpu, cpu_ps{...}, idle_ps{state: ps}, idle_entries{...}, context_switches, wake_ipis}],
 *   host_tasks[{name, pcpu, bursts, preemptions}]
 *
 * Times are integer picoseconds (cpu_ps sums exactly to the duration) or
 * nanoseconds (latencies, KVM statistics). Nothing in it depends on the wall
 * clock, so a scenario and seed give byte-identical JSON.
 */
#ifndef KVMSIM_MACHINE_REPORT_H
#define KVMSIM_MACHINE_REPORT_H

#include <stdio.h>

#include <jansson.h>

#include "models/machine/machine.h"

#define KVMSIM_RUN_SCHEMA "kvmsim-run/1"

struct run_info {
	uint64_t events;
	double wall_s;
};

void report_text(FILE *f, const struct machine *m, const struct run_info *ri);
json_t *report_json(const struct machine *m, const struct run_info *ri);

#endif
