/*
 * idle_entry.h - measuring how long after a vCPU thread goes to sleep its CPU
 * really enters an idle state that halts (the entry_latency of a profile's idle
 * state, calib.h's idle_entry), as traces/probe/idle-window.sh does, from C, so
 * that `kvmsim validate` can measure it instead of fitting it.
 *
 * A probe with halt polling off and Poisson wake-ups (every halt sleeps at once)
 * runs while a tracefs instance of our own records sched_switch and cpu_idle on
 * the vCPU thread's CPU. Each sleep is the vCPU thread's switch-out to the idle
 * task (prev_state S); its entry time is from there to the CPU's first cpu_idle
 * into a state that halts (not state 0 where it polls, not the exit marker
 * 4294967295), provided no other switch on that CPU comes first. On a host that
 * is itself a VM the CPU is still running the host's idle path then, so a
 * wake-up in that window leaves without the idle state's exit.
 */
#ifndef KVMSIM_TRACES_IDLE_ENTRY_H
#define KVMSIM_TRACES_IDLE_ENTRY_H

#include <stddef.h>
#include <stdio.h>

/* quantiles measured (p0, p10, .., p100, the ends held at p5 and p95) */
#define IDLE_ENTRY_NQ 11

/* idle_entry_from_trace - the entry times (us, in trace order) of tid's sleeps on cpu in
 * tracefs text f (its "trace" file); *e is malloc'ed (free it), *n their number. 0, or -1
 * when out of memory. Lines not of the two events, or of other CPUs, are skipped. */
int idle_entry_from_trace(FILE *f, int cpu, int tid, double **e, size_t *n);

/* idle_entry_quantiles - nq (>= 2) times at evenly spaced probabilities from the n entry
 * times e (sorted in place), the ends held at the 5th and 95th percentiles (one sleep is
 * not the distribution); the form calib_entry_parse() gives. */
void idle_entry_quantiles(double *e, size_t n, double *q_ns, int nq);

/* idle_entry_measure - run the measurement on this host: count wake-ups (Poisson, mean
 * 100 us, halt polling off), the vCPU thread on cpu. Fills q_ns with nq quantiles (ns) and
 * *entries with the number measured. 0 measured; 2 not possible here (no root, tracefs,
 * the events or /dev/kvm); 3 not on that CPU (under 100 entries traced there: some kernels
 * trace no cpu_idle on some CPUs); 1 a failure. why says which. */
int idle_entry_measure(int cpu, long count, double *q_ns, int nq, size_t *entries, char *why, size_t len);

#endif
