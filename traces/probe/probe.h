/*
 * probe.h - a minimal guest under the real /dev/kvm, woken in a controlled
 * pattern, measured as KVM and the guest see it (`kvmsim probe`, issue 11).
 *
 * One VM with the in-kernel irqchip and one vCPU running a few bytes of
 * real-mode code: x2APIC on, then `sti; hlt` forever. Its interrupt handler
 * reads the TSC first, stores it with the wake-up's sequence number (left by
 * the host in a mailbox in guest memory) in a ring the host reads, writes
 * the x2APIC EOI and returns. A waker thread raises the MSI (irqfd, or
 * KVM_SIGNAL_MSI) at the pattern's times and reads the TSC just before;
 * the guest's TSC minus the VM's TSC offset minus the host's is the
 * guest-observed wake-up latency (interrupt raised to the handler's first
 * instruction), the same span as kvmsim's `irq` latency. Wake-ups raised while
 * the vector was still pending are one interrupt, as in kvmsim: one sample,
 * from the first of them (probe_pair.c).
 *
 * Over the measured window (after the vCPU's first HLT, up to the last
 * wake-up handled) the probe reads KVM's binary statistics of the vCPU
 * (KVM_GET_STATS_FD: halt_*_poll, the poll and wait times, the three log2
 * histograms) and the vCPU thread's CPU time (its CLOCK_THREAD_CPUTIME).
 * The VM's poll ceiling is set with KVM_CAP_HALT_POLL; global module
 * parameters are only read, never written. KVMSIM_KVM_DEV in the environment
 * names another device than /dev/kvm (the tests use it to check the refusal).
 */
#ifndef KVMSIM_PROBE_PROBE_H
#define KVMSIM_PROBE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sim/hist.h"

#define PROBE_HIST_N 32
#define PROBE_MAX_COUNT 200000

enum probe_kind { PROBE_PERIODIC, PROBE_POISSON, PROBE_BURST, PROBE_TIMER };

/* A wake pattern: "periodic:100us", "poisson:300us" (mean), "burst:8x20us/2ms"
 * (bursts of 8 wake-ups 20 us apart, 2 ms from the end of one to the next), or
 * "timer:100us": no MSI; the guest's own LAPIC timer (TSC-deadline mode), re-armed
 * by its handler one period after the last deadline, and the latency is from the
 * deadline to the handler's first instruction. */
struct probe_pattern {
	char spec[64];
	enum probe_kind kind;
	int64_t interval_ns; /* period, mean, or the spacing inside a burst */
	int burst_len;
	int64_t burst_gap_ns;
	long count;        /* wake-ups */
	uint64_t seed;     /* poisson draws */
	int64_t halt_poll_ns; /* KVM_CAP_HALT_POLL; -1: the module parameter */
	bool msi;          /* KVM_SIGNAL_MSI instead of an irqfd */
	bool rt;           /* SCHED_FIFO for the vCPU thread and the waker, if permitted */
	bool vcpu_cpu_set; /* the vCPU thread on vcpu_cpu; else on 1 (0 on a one-CPU host) */
	int vcpu_cpu;      /* the waker runs on another CPU */
};

/* probe_pattern_parse - spec into p (count, seed, halt_poll_ns left as they are); -1 with why. */
int probe_pattern_parse(const char *spec, struct probe_pattern *p, char *why, size_t len);
/* probe_gaps - the pattern's n planned inter-arrival times (ns), deterministic in seed. */
void probe_gaps(const struct probe_pattern *p, int64_t *gap, long n);

struct probe_stats {
	uint64_t halt_successful_poll, halt_attempted_poll, halt_poll_invalid, halt_wakeup;
	uint64_t halt_poll_success_ns, halt_poll_fail_ns, halt_wait_ns, blocking, halt_exits;
	uint64_t hist[3][PROBE_HIST_N]; /* success, fail, wait: log2 buckets of ns */
	bool have_hist;
};

/* other tasks on the vCPU's CPU in the window, traced around the probe (traces/background.h):
 * each activation (a task woken onto that CPU, or found running there) at its wake-up, in ns
 * from the window's start, in order, with the CPU it took there in the window */
struct probe_background {
	bool traced;
	long n;
	int64_t *at_ns, *work_ns;
	int tasks;      /* distinct tasks among them */
	int64_t cpu_ns; /* the sum of work_ns */
	/* the vCPU thread's wake-ups onto its CPU to its first event there (it runs): while
	 * another task held the CPU (busy), and from the idle task (idle) */
	long nbusy, nidle;
	int64_t *busy_ns, *idle_ns;
	/* the busy ones again, from the MSI that woke the thread (the probe's last kvm_msi_set_irq
	 * within BG_MSI_WINDOW_NS before its wake-up, not one an earlier wake-up took) to the
	 * switch to it: the remote wake-up's whole way
	 * (try_to_wake_up(), the reschedule IPI, the task's way to a preemption point) */
	long nmsi;
	int64_t *msi_ns;
};
#define BG_MSI_WINDOW_NS 200000

struct probe_result {
	struct probe_pattern pat;
	char kernel[80];    /* uname -r */
	char nested[96];    /* what kind of KVM this is, when it is not bare metal */
	unsigned module_param[4]; /* halt_poll_ns, _grow, _grow_start, _shrink (read only) */
	int64_t t0_ns;      /* the measured window's start (CLOCK_MONOTONIC, tracefs's mono clock) */
	int64_t wall_ns;    /* the measured window */
	int64_t cpu_ns;     /* the vCPU thread's CPU time in it */
	int64_t other_ns;   /* other tasks' time on the vCPU's CPU in it (/proc/stat ticks), -1 unknown */
	uint64_t tsc_khz;
	int vcpu_cpu, tid;
	int waker_tid;      /* the thread that raised the MSIs */
	bool rt;            /* both threads ran SCHED_FIFO */
	int64_t *gap_ns;    /* the actual inter-arrival times raised (count of them) */
	long raised;
	struct sim_hist lat; /* guest-observed latency (ns) of each interrupt handled */
	struct sim_hist handler; /* the MSI handler's time (ns), each run: its first TSC to its EOI's return */
	struct sim_hist eoi;     /* its EOI write's time (ns): the exit to KVM and back */
	long coalesced;     /* wake-ups that were one interrupt with an earlier one (no sample of their own) */
	long lost;          /* wake-ups no handler record answered (a record overwritten, or none by the end) */
	long lost_runs;     /* handler records overwritten before they were read */
	long extra_runs;    /* handler runs that found no wake-up left to answer */
	struct probe_stats st;
	struct probe_background bg; /* not traced by probe_run() */
};

/* Pairing MSI wake-ups with the guest handler's runs (probe_pair.c). A run's record, as
 * the guest writes it: its first TSC, the sequence number it found, its run number
 * (1, 2, ...; written last, so a record with the expected number is whole). */
struct probe_rec {
	uint64_t tsc;
	uint32_t seq, run;
};

struct probe_pairing {
	uint32_t runs;     /* runs paired so far */
	uint32_t answered; /* wake-ups answered so far (sequence numbers 1 to answered) */
	bool skip;         /* a record was lost: the next run's wake-ups get no sample */
	/* the handler's last TSC of run n at end[2 * (n % nring)] (HANDLER_END_BASE), or NULL */
	const volatile uint64_t *end;
};

/* probe_pair_runs - pair, in order, the runs recorded in ring (run n in slot n % nring) that
 * found a sequence number of at most upto (so every run that found the same number has run:
 * the host has raised well past it); raised[(seq - 1) % nraised] is wake-up seq's raise TSC,
 * newest the newest sequence number raised. Each paired run adds a sample to r->lat (from its
 * first wake-up; r->tsc_khz converts) and its other wake-ups to r->coalesced; with pp->end,
 * each whole record adds its handler's time to r->handler (extra runs too); see
 * probe_pair.c for which wake-ups a run answered. */
void probe_pair_runs(struct probe_pairing *pp, struct probe_result *r, const volatile struct probe_rec *ring,
		     uint32_t nring, const uint64_t *raised, uint32_t nraised, uint32_t newest, uint32_t upto);

/* probe_default_cpu - the CPU a probe's vCPU thread runs on unless told (vcpu_cpu_set):
 * 1, or 0 on a one-CPU host. */
int probe_default_cpu(void);

/* probe_run - run pattern p on /dev/kvm; 0, or 2 without a usable /dev/kvm, 1 on a
 * failure; why says what. r is filled on 0 and must be freed with probe_result_free. */
int probe_run(const struct probe_pattern *p, struct probe_result *r, char *why, size_t len);
void probe_result_free(struct probe_result *r);
/* probe_background_free - bg's arrays freed, bg zeroed (not traced) */
void probe_background_free(struct probe_background *bg);

/* probe_result_json - the result as a kvmsim-run/1 document (plus a "probe" member). */
json_t *probe_result_json(const struct probe_result *r);

/* probe_kernel_release - "6.18" from a uname release such as "6.18.44-fc"; false if unreadable. */
bool probe_kernel_release(const char *uname_release, char *out, size_t len);

#endif
