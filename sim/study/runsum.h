/*
 * runsum.h - the headline figures of one kvmsim-run/1 document, the way a
 * sweep's results tables and `kvmsim report` show them.
 *
 * Latencies are over every vCPU of the run: the vCPUs' histograms (same
 * bucket layout, sim/hist.h) are merged and the quantiles taken from the
 * merged histogram, so p99 is the 99th percentile of all wake-ups, not an
 * average of per-vCPU percentiles. CPU figures are in pCPUs: busy time
 * (everything but `idle` in pcpus[].cpu_ps) divided by the simulated time,
 * so 1.5 means one and a half host CPUs busy on average.
 */
#ifndef KVMSIM_STUDY_RUNSUM_H
#define KVMSIM_STUDY_RUNSUM_H

#include <stddef.h>

#include <jansson.h>

#include "sim/hist.h"

enum runsum_metric {
	RS_WAKE_N,
	RS_WAKE_MEAN,
	RS_WAKE_P50,
	RS_WAKE_P90,
	RS_WAKE_P99,
	RS_WAKE_P999,
	RS_WAKE_MAX,
	RS_IRQ_N,
	RS_IRQ_MEAN,
	RS_IRQ_P50,
	RS_IRQ_P90,
	RS_IRQ_P99,
	RS_IRQ_P999,
	RS_IRQ_MAX,
	RS_HALTS,
	RS_POLL_SUCCESS,
	RS_HOST_CPU,
	RS_POLL_CPU,
	RS_GUEST_CPU,
	RS_EVENTS,
	RS_STEAL_CPU,      /* vCPU time runnable but not running (steal), in vCPUs */
	RS_RUN_DELAY_P99,  /* p99 of every vCPU's run delays, ns */
	RS_VM_WORST_P99,   /* the highest of the VMs' worst-vCPU p99 wake latency, ns */
	RS_FIO_IOPS,       /* fio: every VM's IOPS (runs with "fio") */
	RS_FIO_CLAT_P50,   /* fio: completion latency over every job, ns */
	RS_FIO_CLAT_P99,
	RS_RTT_N,          /* ping-pong round trips (vm.pingpong), over every VM's loop; then as RS_WAKE_* */
	RS_RTT_MEAN,
	RS_RTT_P50,
	RS_RTT_P90,
	RS_RTT_P99,
	RS_RTT_P999,
	RS_RTT_MAX,
	RS_TPS,            /* ping-pong transactions per second, summed over the loops */
	RS_TCP_RR_TPS,      /* netperf TCP_RR: transactions/s (all pairs; runs with "tcp_rr") */
	RS_TCP_RR_RTT_MEAN, /* TCP_RR round trip over every transaction, ns */
	RS_TCP_RR_RTT_P99,
	RS_N
};

struct runsum_desc {
	const char *name;  /* column name, e.g. "wake_p99_ns" */
	const char *fmt;   /* printf format of the value in CSV */
	const char *label; /* axis label for plots */
	int is_count;      /* an integer count (not averaged into a point's CI) */
};

extern const struct runsum_desc runsum_desc[RS_N];

/* runsum_find - the metric called name; -1 if none. */
int runsum_find(const char *name);

/* A run's figures; NaN where a figure does not exist (no wake-ups, a statistic the era lacks). */
struct runsum {
	double v[RS_N];
};

/* runsum_from_json - the figures of run document j; -1 with why if it is not a kvmsim run. */
int runsum_from_json(const json_t *j, struct runsum *s, char *why, size_t len);

/* runsum_check - whether j looks like a kvmsim-run/1 document; -1 with why. */
int runsum_check(const json_t *j, char *why, size_t len);

/*
 * runsum_latency - the merged histogram of latency kind ("wake" or "irq") over the
 * vCPUs of j (vcpu NULL) or of the vCPU named vcpu; -1 with why.
 */
int runsum_latency(const json_t *j, const char *kind, const char *vcpu, struct sim_hist *h, char *why,
		   size_t len);

/* runsum_hist_merge - merge from into into unless the sample count would pass 2^63-1; -1 with why. */
int runsum_hist_merge(struct sim_hist *into, const struct sim_hist *from, char *why, size_t len);

/* runsum_fmt - the CSV text of metric m's value v ("" for NaN) in buf. */
const char *runsum_fmt(int m, double v, char *buf, size_t len);

#endif
