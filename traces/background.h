/*
 * background.h - the other tasks on a probe's vCPU CPU, traced while it runs, so
 * that kvmsim can simulate them as a host task there (`kvmsim validate`, `kvmsim
 * probe --background`).
 *
 * A task that becomes runnable on the vCPU's CPU stops a halt poll at its next
 * check (single_task_running()), so the vCPU sleeps instead, and a vCPU that
 * halts while it is runnable does not poll at all. On a busy machine that cuts
 * real polls that a simulation without those tasks cannot cut. A tracefs
 * instance of our own records sched_wakeup and sched_wakeup_new onto that CPU
 * (on any CPU: a remote wake-up is traced where the waker runs), and sched_switch
 * and kvm_vcpu_wakeup (the end of each halt, in the vCPU thread) on it, on the mono
 * clock, the probe's CLOCK_MONOTONIC.
 *
 * Each activation of another task is its wake-up onto the CPU (or, for a task
 * found running there without one: a task migrated in, or runnable before the
 * trace, its first switch-in), and its work is the CPU it took there up to its
 * next wake-up, clipped to the probe's window. A task runs from its switch-in to
 * the next sign of another task on the CPU: the next switch there, or any event
 * in another task's context there. On this project's machine the switch out of
 * the idle task, and out of some tasks, is not traced on every CPU; those signs
 * still end a run (the vCPU thread's next kvm_vcpu_wakeup at the latest), so a
 * run is never carried through another's.
 *
 * The vCPU thread (SCHED_FIFO) preempts such a task when woken, but only once the
 * task lets it: on a kernel without preemption (PREEMPT_NONE, as on this
 * project's machine) a task in kernel mode runs on to its next preemption point.
 * So each wake-up of the vCPU thread onto the CPU is timed to its first event
 * there: busy_ns when another task held the CPU, idle_ns when the idle task did.
 * The busy ones are also timed from the MSI that woke the thread (kvm_msi_set_irq,
 * traced on every CPU): msi_ns, the remote wake-up's whole way to the switch. What
 * that takes beyond the model's own path (the MSI's delivery and the reschedule
 * IPI) is the host task's preempt_delay in the simulation; without MSIs, what
 * holding the CPU adds (busy over idle's median).
 */
#ifndef KVMSIM_TRACES_BACKGROUND_H
#define KVMSIM_TRACES_BACKGROUND_H

#include <stdint.h>
#include <stdio.h>

#include "traces/probe/probe.h"

/* background_from_trace - the activations on cpu of every task but tid (the vCPU thread)
 * and the idle task, from tracefs text f, in the window [t0_ns, t0_ns + wall_ns) of the
 * trace's clock, into bg (traced set; free it with probe_background_free). MSIs count when
 * the thread waker raised them.
 * Activations that took no CPU in the window are left out; a line earlier than the one before
 * is skipped (the runs never overlap: their sum is at most wall_ns). 0, or -1 when out of
 * memory. */
int background_from_trace(FILE *f, int cpu, int tid, int waker, int64_t t0_ns, int64_t wall_ns,
			  struct probe_background *bg);

/* probe_run_traced - probe_run() with its vCPU CPU's other tasks traced into r->bg. Where
 * they cannot be had (no root or tracefs: the probe runs untraced; events lost, or the
 * trace unreadable: the probe ran traced but r->bg is not filled), r->bg.traced is false
 * and note says why; where the instance could not be removed afterwards, note says that
 * too; "" otherwise. Returns probe_run's. */
int probe_run_traced(const struct probe_pattern *p, struct probe_result *r, char *why, size_t len, char *note,
		     size_t nlen);

#endif
