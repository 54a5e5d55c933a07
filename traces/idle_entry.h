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
 *
 * The same trace, with kvm_msi_set_irq and kvm_vcpu_wakeup, gives each wake-up
 * from the halted state: how long the CPU had been in it when the MSI came, and
 * the MSI to the vCPU thread's wake-up. On that machine the latency grows with
 * the stay (the hypervisor below and the host's own path after it are slower
 * after longer sleeps): idle_growth_fit() gives the profile's exit_growth.
 */
#ifndef KVMSIM_TRACES_IDLE_ENTRY_H
#define KVMSIM_TRACES_IDLE_ENTRY_H

#include <stddef.h>
#include <stdio.h>

/* quantiles measured (p0, p10, .., p100, the ends held at p5 and p95) */
#define IDLE_ENTRY_NQ 11

/* one sleep of the vCPU thread woken by an MSI after its CPU had halted: how long the CPU
 * had been in that idle state when the MSI came (from its last cpu_idle entry), and the
 * MSI to the thread's kvm_vcpu_wakeup (us) */
struct idle_wake {
	double stay_us, latency_us;
};

/* idle_entry_from_trace - the entry times (us, in trace order) of tid's sleeps on cpu in
 * tracefs text f (its "trace" file); *e is malloc'ed (free it), *n their number. With w,
 * also the sleeps woken by an MSI (kvm_msi_set_irq of thread waker, on any CPU) while the
 * CPU was in an idle state that halts, then kvm_vcpu_wakeup of tid after the switch back
 * from idle: *w malloc'ed, *nw. 0, or -1 when out of memory. Lines not of these events,
 * or (but the MSIs) of other CPUs, are skipped. */
int idle_entry_from_trace(FILE *f, int cpu, int tid, int waker, double **e, size_t *n, struct idle_wake **w,
			  size_t *nw);

/* idle_entry_quantiles - nq (>= 2) times at evenly spaced probabilities from the n entry
 * times e (sorted in place), the ends held at the 5th and 95th percentiles (one sleep is
 * not the distribution); the form calib_entry_parse() gives. */
void idle_entry_quantiles(double *e, size_t n, double *q_ns, int nq);

/*
 * idle_growth_fit - how an exit from the halted state slows with the stay (a profile's
 * exit_growth and exit_growth_tau): the n wake-ups' latencies, their interquartile means in
 * groups of stay from 10 us (a group needs IDLE_GROWTH_MIN of them; a wake-up within 10 us of
 * the entry is the halt's start, not a stay), fitted by least squares weighted by the
 * groups' sizes with L0 + growth x (1 - e^(-stay / tau)), tau on a grid from 10 us to 2 ms
 * (5 % steps), L0 and growth solved for each. *growth_ns and *tau_ns; both 0 when the
 * latency does not grow (or fewer than 3 groups). Returns the groups used.
 */
#define IDLE_GROWTH_MIN 20
int idle_growth_fit(const struct idle_wake *w, size_t n, double *growth_ns, double *tau_ns);

/* struct idle_measure - what idle_entry_measure() found */
struct idle_measure {
	size_t entries;		    /* idle entries after a sleep */
	size_t wakes;		    /* sleeps woken by an MSI after the CPU had halted */
	int groups;		    /* their groups of stay that idle_growth_fit() used */
	double growth_ns, tau_ns;   /* idle_growth_fit()'s */
};

/* idle_entry_measure - run the measurement on this host: count wake-ups (Poisson, mean
 * 200 us, halt polling off), the vCPU thread on cpu. Fills q_ns with nq quantiles (ns) of
 * the entry and *m. 0 measured; 2 not possible here (no root, tracefs, the events or
 * /dev/kvm); 3 not on that CPU (under 100 entries traced there: some kernels trace no
 * cpu_idle on some CPUs); 1 a failure. why says which. */
int idle_entry_measure(int cpu, long count, double *q_ns, int nq, struct idle_measure *m, char *why, size_t len);

#endif
