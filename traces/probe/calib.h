/*
 * calib.h - fitting a cost profile to probe results (`kvmsim calibrate`,
 * `kvmsim validate`, issue 11).
 *
 * A target is one probe result (a kvmsim-run/1 document from `kvmsim probe`):
 * its wake pattern as actually raised (the inter-arrival times), its poll
 * ceiling, and the figures compared (struct calib_figs). The simulator is
 * run on the same arrivals: one pCPU, one vCPU, no APICv, x2APIC EOI, the
 * host kernel's release and module parameters, and a profile built from a
 * base profile with the free parameters set:
 *
 *   exit_entry   vmexit + vmentry, cycles (split evenly): one exit and entry
 *   wakeup       block_prepare + ctxsw, cycles: a vCPU going to sleep in
 *                kvm_vcpu_block() and switched back in when woken; block_prepare
 *                keeps the base profile's value (at most half), ctxsw the rest
 *   poll_iter    poll_iter, cycles: one halt-poll iteration; held at the base
 *                profile's value, not fitted (see fit_params in calib.c)
 *   idle_exit    the host idle state's exit latency, ns (its state below POLL)
 *   guest_work   the probe guest's handler after its first instruction, ns
 *                (a property of the probe's guest on this host, not a cost:
 *                on a nested KVM its few instructions are emulated)
 *   irq_deliver  irq_deliver, cycles: the MSI from the irqfd to the vCPU's IRR and kick
 *   idle_entry   that idle state's entry_latency, ns: how long after the vCPU's pCPU goes
 *                idle a wake-up still finds it short of the state (on a host that is
 *                itself a VM: before the CPU has halted into the hypervisor below), so
 *                it pays no idle_exit. On this project's machine a trace puts it at
 *                ~8-10 us after the vCPU thread's switch-out; the quartiles below hardly
 *                tell 0 from 10 us apart.
 *
 * The fit is GSL's nonlinear least squares (trust region, Levenberg-
 * Marquardt) in the logarithms of the parameters, from three starting points
 * (the best end kept), with a central-difference
 * Jacobian whose step (10%) is wider than the simulator's discreteness. The
 * residuals are, per target, the relative errors of the p50 wake latency and
 * the CPU per wake-up, and the errors of poll success and polling CPU in
 * points over 10. The CPU per wake-up is the vCPU thread's CPU time (for the
 * simulator, the vCPU's busy time plus its pCPU's context switches) over the
 * interrupts raised. idle_entry is not in it (those four figures barely see
 * it): it is chosen on a grid (0 to 100 us) with the others held, by the
 * wake-latency quartiles (p25, p50, p75) and the least-squares residuals
 * together (squared relative errors over every target), between two rounds of
 * the least-squares fit; the second round is kept only if it is nearer the
 * targets by that measure than the first (idle_entry 0). Its +- is half the
 * grid's step. A parameter that ends at the limit of its range (or of the
 * grid) is not determined by the results, and is printed so.
 */
#ifndef KVMSIM_PROBE_CALIB_H
#define KVMSIM_PROBE_CALIB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

enum calib_param {
	CP_EXIT_ENTRY,
	CP_WAKEUP,
	CP_POLL_ITER,
	CP_IDLE_EXIT,
	CP_GUEST_WORK,
	CP_IRQ_DELIVER,
	CP_IDLE_ENTRY,
	CP_N
};
extern const char *const calib_param_names[CP_N];
extern const char *const calib_param_units[CP_N];

struct calib_figs {
	long wakes;              /* interrupts raised */
	double attempted, successful, poll_success_pct, poll_cpu_pct;
	double cpu_per_wake_ns, p25_ns, p50_ns, p75_ns, p99_ns;
	double cut_share;        /* attempted polls that failed in under 1024 ns (ended at their first check) */
	double coalesced;        /* wake-ups whose interrupt was still pending from an earlier one */
	uint64_t hist[3][32];    /* halt_poll_success_hist, _fail_hist, halt_wait_hist */
	bool have_hist;
};

/* the measured exit distribution: quantiles at probabilities 0, 0.01, .., 1 */
#define CALIB_EXIT_NQ 101
/* ... from and up to these percentiles; the ones below and above are held at them (one probe's
 * extremes are single wake-ups: its minimum, other tasks' delays) */
#define CALIB_EXIT_BOTTOM 5
#define CALIB_EXIT_TOP 95

/* struct calib_growth - the host idle state's exit growth (a profile's exit_growth and
 * exit_growth_tau, ns): measured, not fitted (kvmsim validate traces it, --idle-growth gives
 * it); 0: none */
struct calib_growth {
	double ns, tau_ns;
};

#define CALIB_MSI_MIN 10
#define CALIB_MSI_NQ 101
struct calib_target {
	char label[96];          /* pattern and halt_poll_ns */
	char path[512];          /* the result's file, or "" */
	char kernel[16];         /* major.minor */
	int64_t halt_poll_ns;    /* KVM_CAP_HALT_POLL, -1: the module's */
	unsigned module_param[4];
	int64_t dur_ns;
	uint64_t tsc_khz;
	double other_share;      /* other tasks' share of the vCPU's CPU (0..1) */
	char gapfile[64];        /* the arrivals as the simulator reads them (a temporary file) */
	/* the other tasks on the vCPU's CPU, where the probe traced them (probe.background):
	 * their activations as an arrivals file (a temporary file), simulated as one host task
	 * there; "" when not traced. With them the vCPU thread runs as the probe's did
	 * (SCHED_FIFO, or not). */
	char bgfile[64];
	bool bg_traced;
	long bg_n;
	double bg_share;         /* their CPU over the window (0..1) */
	/* how long they kept the CPU once the vCPU thread woke (the host task's preempt_delay,
	 * exponential with this mean): the mean of its wake-ups while one held the CPU, each less
	 * the median from idle (with at least 3 of those), at least 0; 0: none measured */
	double bg_preempt_ns;
	/* with at least CALIB_MSI_MIN of them, those wake-ups from their MSI to the switch
	 * (probe.background.wake_msi_ns) as CALIB_MSI_NQ quantiles: each trial's preempt_delay is
	 * then their excess over its own path there (irq_deliver and the host's ipi), an
	 * empirical distribution (calib_preempt_quantiles) */
	long bg_nmsi;
	double bg_msi_q[CALIB_MSI_NQ];
	bool fifo;
	struct calib_figs real;
	double lat_q_ns[CALIB_EXIT_NQ]; /* its wake latency's quantiles (calib_exit_read) */
	uint64_t lat_n;
	double eoi_ns;  /* its guest's EOI write's mean from p5 to p95 (probe.eoi_ns, at least
			 * CALIB_EOI_MIN of them): the host's speed then; 0: none */
	double speed_ref_ns; /* for the fit's own trials (no shape): the reference speed (calib_fit) */
	int64_t gap_p1_ns;       /* its gaps between interrupts: the 1st percentile */
	struct calib_growth growth; /* the host's, measured: calib_fit() sets it on its trials' targets */
};

struct calib_fit {
	double x[CP_N];          /* fitted values (cycles or ns) */
	double sd[CP_N];         /* one standard deviation, same unit */
	/* the least-squares parameters' covariance, in their logarithms (as fitted), scaled by
	 * the residuals (chi2 / degrees of freedom): what calib_band() moves along */
	double cov[CP_IDLE_ENTRY][CP_IDLE_ENTRY];
	double rms;              /* residual root mean square */
	double rms_without_entry; /* the same after the first round (idle_entry 0) */
	int iters;
	bool converged;
	int used;                /* targets fitted on (the quiet ones, if at least 2) */
	bool held_poll_iter;     /* poll_iter held at the base profile's value, not fitted */
	/* the idle exit's measured distribution (calib_exit_shape): exit_nq quantiles, or none */
	int exit_nq, exit_probes;
	double exit_q_ns[CALIB_EXIT_NQ];
	char exit_from[256];     /* the patterns it was measured on */
	/* the polled wake-up's measured spread (calib_exit_shape): wake_nq deviations (ns) from
	 * the median, put on the vCPU's entry (vmentry) around its fitted value, or none */
	int wake_nq, wake_probes;
	double wake_dev_ns[CALIB_EXIT_NQ];
	char wake_from[256];
	/* the host speed the costs are fitted at: the quiet training probes' median eoi_ns (set by
	 * calib_fit when at least 2 of them have one); 0: none, every probe simulated as fitted */
	double speed_ref_ns;
	double speed_lo, speed_hi; /* the fitted probes' scales around it (1 and 1: none) */
	/* idle_entry measured elsewhere (--idle-entry, e.g. by traces/probe/idle-window.sh):
	 * entry_nq quantiles at evenly spaced probabilities, set before calib_fit, which then
	 * holds idle_entry at their median instead of choosing it on its grid; the tables and
	 * the profile draw from them (entry_latency_dist). 0: none, idle_entry is fitted. */
	int entry_nq;
	double entry_q_ns[CALIB_EXIT_NQ];
	char entry_from[160]; /* how it was measured, when not given by --idle-entry ("": given) */
	/* the idle exit's growth with the stay, measured, set before calib_fit (which holds it:
	 * every simulation has it), and how ("": given by --idle-growth); ns 0: none */
	struct calib_growth growth;
	char growth_from[160];
};

/* calib_profile_yaml - base profile p (named name) with the parameters x as YAML; fit (may be
 * NULL: a trial) says how they were found and trained on what; shape (may be NULL) gives the
 * measured distributions (idle exit and entry, the vCPU's entry); growth (may be NULL) the
 * idle exit's growth with the stay. */
struct cost_profile;
void calib_profile_yaml(FILE *f, const struct cost_profile *p, const char *name, const char *desc, uint64_t tsc_khz,
			const double *x, const struct calib_fit *fit, const char *trained, const struct calib_fit *shape,
			const struct calib_growth *growth);

/* calib_growth_parse - "9us,200us" (the growth and its time constant, times with units; "0"
 * for none) into *g; 0, or -1 with why. */
int calib_growth_parse(const char *arg, struct calib_growth *g, char *why, size_t len);
/* calib_growth_arg - *g as calib_growth_parse() takes it ("0" for none), into buf. */
void calib_growth_arg(const struct calib_growth *g, char *buf, size_t len);

/* calib_entry_parse - "7us,9us,11us,..." (times with units, non-decreasing, at least 2, at
 * most CALIB_EXIT_NQ, none over 1 s) into fit's entry quantiles; 0, or -1 with why. */
int calib_entry_parse(const char *arg, struct calib_fit *fit, char *why, size_t len);
/* calib_entry_median - the measured entry quantiles' median (ns). */
double calib_entry_median(const struct calib_fit *fit);
/* calib_entry_yaml - ", entry_latency_dist: {...}" for a profile's idle state, if measured. */
void calib_entry_yaml(FILE *f, const struct calib_fit *shape);

/*
 * A target is busy when other tasks ran on the vCPU's CPU enough to change
 * what KVM did. KVM does not poll while another task is runnable on the CPU
 * (single_task_running()), and the probe's SCHED_FIFO vCPU thread preempts
 * such a task at once, so it stays runnable: polls end at their first check
 * (halt_poll_fail_hist's CALIB_CUT_BUCKETS first buckets, under 1024 ns: a first check
 * took under 64 ns on the machine this was written on, 128-256 ns on a later one of
 * the same kind; a poll that ran out its window took 10 us or more). With at least CALIB_POLLS
 * polls attempted, busy is more than CALIB_CUT of them ending so (on this
 * host's quiet probes at most 5 %, on busy ones 15 to 99 %); without polls,
 * other tasks taking more than CALIB_BUSY of the CPU (/proc/stat: 10 ms
 * ticks, so coarse over a short probe). Unless the probe traced those tasks
 * (probe.background), which the simulation then runs as a host task, such a
 * result is not comparable: it is left out of fits and of tolerance checks,
 * and says so. A traced probe is never busy.
 */
#define CALIB_BUSY 0.05
#define CALIB_CUT 0.10
#define CALIB_CUT_BUCKETS 11
#define CALIB_POLLS 50
/* calib_preempt_quantiles - t's preempt_delay when the model's own path from the MSI to the
 * preemption takes path_ns: the excess of bg_msi_q over it, at least 0, as CALIB_MSI_NQ
 * quantiles in q; returns CALIB_MSI_NQ, or 0 when they are all 0 (no delay) or were not
 * measured (then bg_preempt_ns, exponential, if above 0) */
int calib_preempt_quantiles(const struct calib_target *t, double path_ns, double *q);
bool calib_busy(const struct calib_target *t);

/* calib_whyf - fmt with the strings a and b into why; -1 (the readers' error return) */
int calib_whyf(char *why, size_t len, const char *fmt, const char *a, const char *b);
/* calib_temp_file - a new temporary file, its name in name; NULL (name "") on failure */
FILE *calib_temp_file(char *name, size_t size);
/* calib_background_read - a probe's traced other tasks (probe.background: arrivals [[AT_NS,
 * WORK_NS], ...] in order of time within the window, wake_busy_ns and wake_idle_ns) into t's
 * bgfile, bg_* and bg_preempt_ns (calib_bg.c); b NULL (not traced) is fine; 0 or -1 with why */
int calib_background_read(const json_t *b, const char *path, struct calib_target *t, char *why, size_t len);
/* calib_at_bound - the fit left parameter i at the limit of its range (not determined). */
bool calib_at_bound(const struct calib_fit *fit, int i);

/*
 * calib_band - how far the fit's own uncertainty moves a prediction: the m targets (one
 * pattern's repeats) simulated at the fitted values and at +-1 sigma along each principal
 * axis of the determined parameters' covariance (in their logarithms: the fit's own
 * coordinates; a parameter at its bound is held), each figure's mean over the targets,
 * and lo/hi its smallest and largest over those points. *points: the points simulated.
 * 0, or -1 with why.
 */
int calib_band(struct calib_target *const *t, int m, const char *base, const struct calib_fit *fit,
	       struct calib_figs *lo, struct calib_figs *hi, int *points, char *why, size_t len);
/* calib_figs_from_json - the compared figures of a kvmsim-run/1 document (vCPU 0); -1 with why. */
int calib_figs_from_json(const json_t *run, struct calib_figs *f, char *why, size_t len);
/* calib_target_from_json - a probe result as a target (writes its arrivals to a temporary file). */
int calib_target_from_json(const json_t *run, const char *path, struct calib_target *t, char *why, size_t len);
void calib_target_free(struct calib_target *t);

/* calib_cycles_of - base profile p's cost id in cycles at tsc_khz (one given in time converted) */
struct cost_profile;
double calib_cycles_of(const struct cost_profile *p, int id, uint64_t tsc_khz);
/* calib_simulate - the simulator on target t with the base profile and parameters x, at t's
 * host speed (calib_speed); with shape (may be NULL), the idle exit drawn from its measured
 * distribution. The idle exit grows as shape's growth says, or, for the fit's own trials (no
 * shape), as t's. */
int calib_simulate(const struct calib_target *t, const char *base, const double *x, const struct calib_fit *shape,
		   struct calib_figs *out, char *why, size_t len);

/*
 * The idle exit's distribution. The fit takes the exit as one value; the probes in which every
 * halt slept past idle_entry (hardly a poll, no gap short enough to wake before it) show the
 * spread of a whole wake-up from a sleep. calib_exit_shape measures it: each such probe's
 * wake-latency quantiles (p0, p1, .., p100; those below p5 held at p5, above p95 at p95) less
 * its median, averaged over the probes, put around the fitted idle_exit (at least 0,
 * non-decreasing): all of that spread is taken as the exit's (the hypervisor below, on a
 * nested host), the other steps staying constants. No such probe: no distribution (exit_nq 0). calib_exit_read takes a result's quantiles and
 * gaps' 1st percentile; calib_exit_yaml writes the state's exit_latency_dist.
 */
int calib_exit_read(const json_t *run, struct calib_target *t, char *why, size_t len);
void calib_exit_shape(const struct calib_target *t, int n, struct calib_fit *fit);
void calib_exit_yaml(FILE *f, const struct calib_fit *shape);
/*
 * The host's speed. On a nested host the CPU under the guest and KVM runs at a speed that
 * moves (here up to 1.6x slower, everything alike: the guest's handler, its EOI write's exit,
 * its wake-up latency), in stretches of a few to a hundred milliseconds, so from one probe to
 * the next and within one. The probe's guest times its EOI write, an exit to KVM and back, on
 * its own clock; its mean (p5 to p95) is that probe's speedometer. calib_fit fits the costs at
 * the training probes' median of it (speed_ref_ns), each
 * probe simulated at its own speed: costs in cycles and the guest's work scaled by
 * eoi_ns / speed_ref_ns (what was measured in time, idle entry and exit, the other tasks'
 * waits, kept). A vCPU that slept before takes a few per cent longer for the write too (cold),
 * so a pattern that sleeps reads a little slower; training and held-out probes alike.
 * calib_speed - that scale for a simulation of t with shape (the fit's reference), or without
 * one (a trial of the fit: t->speed_ref_ns); 1 without a reference or without the probe's own
 * EOI times.
 */
double calib_speed(const struct calib_target *t, const struct calib_fit *shape);
#define CALIB_EOI_MIN 100
/* calib_speed_ref - the median eoi_ns of t[0..n)'s probes that have one, with at least 2; else 0 */
double calib_speed_ref(const struct calib_target *t, int n);
/* calib_exit_print - a line on the exit's distribution (or why there is none), after the fit's. */
void calib_exit_print(FILE *f, const struct calib_fit *fit, bool markdown);
/* calib_fit - fit the parameters to the quiet targets of t[0..n) (all of them when fewer
 * than 2 are quiet); 0, or -1 with why. */
int calib_fit(struct calib_target *t, int n, const char *base, struct calib_fit *fit, char *why, size_t len);
/* calib_write_profile - the fitted profile as YAML (models/costs/profiles layout); desc may be NULL. */
int calib_write_profile(FILE *f, const char *base, const char *name, const char *desc, uint64_t tsc_khz,
			const struct calib_fit *fit, const struct calib_target *t, int n, char *why, size_t len);

/* calib_print_compare - simulator vs real for one target (or a group's means), as text or
 * markdown rows; with tol (may be NULL) marks each held-out figure outside tolerance and
 * returns how many. busy (calib_busy, or a group of busy probes only): not comparable, no
 * tolerance. */
struct calib_tol {
	double poll_success_pts, poll_cpu_pts, p50_rel;
};
int calib_print_compare(FILE *f, const struct calib_target *t, const struct calib_figs *sim, bool busy,
			const struct calib_tol *tol, bool markdown);
/*
 * calib_figs_mean - each figure's mean over n >= 1 (a histogram bucket by bucket, rounded: one
 * under half a halt in the mean is none), and when lo and hi are given the smallest and
 * largest. The poll shares (poll success, cut_share) are the ratios of the mean counts. The mean, not the median: a pattern
 * whose cycle sits at a poll window's edge (validate's burst) gives one of two figures per
 * probe, and the median of a few such snaps to one of them.
 */
void calib_figs_mean(const struct calib_figs *const *v, int n, struct calib_figs *mean, struct calib_figs *lo,
		     struct calib_figs *hi);
/* calib_print_range - a line with the real figures' range over n probes (lo..hi), after the table of their means. */
void calib_print_range(FILE *f, int n, const struct calib_figs *lo, const struct calib_figs *hi, bool markdown);
/* calib_print_hists - the three halt histograms, real and simulated, log2 buckets with counts. */
void calib_print_hists(FILE *f, const struct calib_target *t, const struct calib_figs *sim, bool markdown);
/* calib_load_targets - the probe results at paths as targets; 2 after printing why (as cmd). */
int calib_load_targets(const char *cmd, char **paths, int n, struct calib_target *t);
/* calib_print_fit - the fitted parameters, one line (or markdown row) each. */
void calib_print_fit(FILE *f, const struct calib_fit *fit, bool markdown);

#endif
