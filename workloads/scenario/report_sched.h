/*
 * report_sched.h - the host scheduler's part of a run's outputs.
 *
 * Summary: a table per task (vCPU threads, then host tasks): the CPU it got
 * and, for a host task, the CPU its arrivals offered; steal (runnable but not
 * running, the run delay: what MSR_KVM_STEAL_TIME tells a vCPU's guest);
 * run-delay p50/p99/max; switches (all, involuntary); migrations. Then per VM
 * its worst vCPU's p99 wake latency.
 *
 * JSON (kvmsim-run/1, added keys): host_scheduler{class, variant, hz, balance},
 * vms[{name, vcpus, steal_ps, worst_wake_p99_ns, worst_vcpu}],
 * vcpus[].sched and host_tasks[].sched {runtime_ps (after each switch-in, by the
 * simulated clock), sum_exec_runtime_ps (as the kernel counts it: from each pick, by the
 * run-queue clock), run_delay_ps, run_delay (histogram, ns), pcount, nr_migrations, nvcsw,
 * nivcsw}, host_tasks[].offered_ps
 * and received_ps, pcpus[].ticks and balance_pulls.
 */
#ifndef KVMSIM_SCENARIO_REPORT_SCHED_H
#define KVMSIM_SCENARIO_REPORT_SCHED_H

#include <stdio.h>

#include <jansson.h>

#include "workloads/scenario/machine.h"

/* report_sched_name - "simple", "CFS" or "EEVDF". */
const char *report_sched_name(const struct machine *m);
/* report_vm_worst_p99 - the highest p99 wake latency (ns) of VM vm's vCPUs, that vCPU's index in *worst; -1: none. */
int64_t report_vm_worst_p99(const struct machine *m, int vm, int *worst);
void report_sched_text(FILE *f, const struct machine *m);
json_t *report_task_sched_json(const struct host_task *t);
/* report_sched_json - add the scheduler's keys to a run document built by report_json. */
void report_sched_json(json_t *root, const struct machine *m);

#endif
