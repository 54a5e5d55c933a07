/* runsum.c - headline figures of a kvmsim run document (see runsum.h). */
#include "sim/study/runsum.h"
#include "sim/err.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim/out_json.h"

const struct runsum_desc runsum_desc[RS_N] = {
	[RS_WAKE_N] = { "wake_n", "%.0f", "wake-ups", 1 },
	[RS_WAKE_MEAN] = { "wake_mean_ns", "%.1f", "wake-up latency, mean (ns)", 0 },
	[RS_WAKE_P50] = { "wake_p50_ns", "%.0f", "wake-up latency, p50 (ns)", 0 },
	[RS_WAKE_P90] = { "wake_p90_ns", "%.0f", "wake-up latency, p90 (ns)", 0 },
	[RS_WAKE_P99] = { "wake_p99_ns", "%.0f", "wake-up latency, p99 (ns)", 0 },
	[RS_WAKE_P999] = { "wake_p999_ns", "%.0f", "wake-up latency, p99.9 (ns)", 0 },
	[RS_WAKE_MAX] = { "wake_max_ns", "%.0f", "wake-up latency, max (ns)", 0 },
	[RS_IRQ_N] = { "irq_n", "%.0f", "interrupts", 1 },
	[RS_IRQ_MEAN] = { "irq_mean_ns", "%.1f", "interrupt latency, mean (ns)", 0 },
	[RS_IRQ_P50] = { "irq_p50_ns", "%.0f", "interrupt latency, p50 (ns)", 0 },
	[RS_IRQ_P90] = { "irq_p90_ns", "%.0f", "interrupt latency, p90 (ns)", 0 },
	[RS_IRQ_P99] = { "irq_p99_ns", "%.0f", "interrupt latency, p99 (ns)", 0 },
	[RS_IRQ_P999] = { "irq_p999_ns", "%.0f", "interrupt latency, p99.9 (ns)", 0 },
	[RS_IRQ_MAX] = { "irq_max_ns", "%.0f", "interrupt latency, max (ns)", 0 },
	[RS_HALTS] = { "halts", "%.0f", "halts", 1 },
	[RS_POLL_SUCCESS] = { "poll_success", "%.6f", "successful polls / attempted polls", 0 },
	[RS_HOST_CPU] = { "host_cpu", "%.6f", "host CPU busy (pCPUs)", 0 },
	[RS_POLL_CPU] = { "poll_cpu", "%.6f", "host CPU in halt polling (pCPUs)", 0 },
	[RS_GUEST_CPU] = { "guest_cpu", "%.6f", "host CPU in guest mode (pCPUs)", 0 },
	[RS_EVENTS] = { "events", "%.0f", "simulation events", 1 },
	[RS_STEAL_CPU] = { "steal_cpu", "%.6f", "vCPU time runnable, not running: steal (vCPUs)", 0 },
	[RS_RUN_DELAY_P99] = { "run_delay_p99_ns", "%.0f", "vCPU run delay, p99 (ns)", 0 },
	[RS_VM_WORST_P99] = { "vm_worst_wake_p99_ns", "%.0f", "worst VM's worst-vCPU p99 wake latency (ns)", 0 },
	[RS_FIO_IOPS] = { "fio_iops", "%.0f", "fio IOPS (all VMs)", 0 },
	[RS_FIO_CLAT_P50] = { "fio_clat_p50_ns", "%.0f", "fio completion latency, p50 (ns)", 0 },
	[RS_FIO_CLAT_P99] = { "fio_clat_p99_ns", "%.0f", "fio completion latency, p99 (ns)", 0 },
	[RS_RTT_N] = { "rtt_n", "%.0f", "ping-pong round trips", 1 },
	[RS_RTT_MEAN] = { "rtt_mean_ns", "%.1f", "ping-pong round trip, mean (ns)", 0 },
	[RS_RTT_P50] = { "rtt_p50_ns", "%.0f", "ping-pong round trip, p50 (ns)", 0 },
	[RS_RTT_P90] = { "rtt_p90_ns", "%.0f", "ping-pong round trip, p90 (ns)", 0 },
	[RS_RTT_P99] = { "rtt_p99_ns", "%.0f", "ping-pong round trip, p99 (ns)", 0 },
	[RS_RTT_P999] = { "rtt_p999_ns", "%.0f", "ping-pong round trip, p99.9 (ns)", 0 },
	[RS_RTT_MAX] = { "rtt_max_ns", "%.0f", "ping-pong round trip, max (ns)", 0 },
	[RS_TPS] = { "transactions_per_s", "%.1f", "ping-pong transactions per second", 0 },
	[RS_TCP_RR_TPS] = { "tcp_rr_tps", "%.1f", "TCP_RR transactions/s (all pairs)", 0 },
	[RS_TCP_RR_RTT_MEAN] = { "tcp_rr_rtt_mean_ns", "%.0f", "TCP_RR round trip, mean (ns)", 0 },
	[RS_TCP_RR_RTT_P99] = { "tcp_rr_rtt_p99_ns", "%.0f", "TCP_RR round trip, p99 (ns)", 0 },
};

int runsum_find(const char *name)
{
	for (int m = 0; m < RS_N; m++)
		if (!strcmp(runsum_desc[m].name, name))
			return m;
	return -1;
}

int runsum_check(const json_t *j, char *why, size_t len)
{
	const char *schema = json_string_value(json_object_get(j, "schema"));
	if (!schema || strcmp(schema, "kvmsim-run/1"))
		return errf(why, len, "not a kvmsim run result (expected schema \"kvmsim-run/1\"%s%s)",
			    schema ? ", got " : "", schema ? schema : "");
	if (!json_is_array(json_object_get(j, "vcpus")) || !json_is_array(json_object_get(j, "pcpus")) ||
	    !json_is_integer(json_object_get(json_object_get(j, "scenario"), "duration_ps")))
		return errf(why, len, "malformed kvmsim run result (scenario.duration_ps, vcpus, pcpus)");
	return 0;
}

/*
 * hist_counts - the sum of a histogram's bucket counts, checked before sim_hist_from_json adds
 * them: at most HIST_JSON_MAX_COUNT (as sim_hist_from_json takes them; a sum that would wrap to a
 * small number is caught here), and the document's own count when there is one; -1 with why.
 */
static int hist_counts(const json_t *lat, uint64_t *total, char *why, size_t len)
{
	uint64_t n = 0;
	size_t i;
	const json_t *e;
	json_array_foreach(json_object_get(lat, "histogram"), i, e)
	{
		json_int_t c = json_integer_value(json_array_get(e, 2));
		if (c > 0 && (__builtin_add_overflow(n, (uint64_t)c, &n) || n > HIST_JSON_MAX_COUNT))
			return errf(why, len, "the histogram's counts add up to more than 2^48 samples");
	}
	const json_t *count = json_object_get(lat, "count");
	if (json_is_integer(count) && (uint64_t)json_integer_value(count) != n)
		return errf(why, len, "histogram counts add up to %llu, but count is %lld", (unsigned long long)n,
			    (long long)json_integer_value(count));
	*total = n;
	return 0;
}

int runsum_hist_merge(struct sim_hist *into, const struct sim_hist *from, char *why, size_t len)
{
	uint64_t n;
	if (__builtin_add_overflow(into->count, from->count, &n) || n > INT64_MAX)
		return errf(why, len, "sample counts add up to more than %lld", (long long)INT64_MAX);
	sim_hist_merge(into, from);
	return 0;
}

int runsum_latency(const json_t *j, const char *kind, const char *vcpu, struct sim_hist *h, char *why,
		   size_t len)
{
	sim_hist_init(h);
	size_t i;
	const json_t *v;
	int found = 0;
	bool rtt = !strcmp(kind, "rtt"); /* the ping-pong loops' (or TCP_RR's) round trips, named by their measuring vCPU */
	json_array_foreach(json_object_get(j, rtt ? json_object_get(j, "pingpong") ? "pingpong" : "tcp_rr" : "vcpus"), i, v)
	{
		const char *name = json_string_value(json_object_get(v, rtt ? "from" : "name"));
		if (vcpu && (!name || strcmp(name, vcpu)))
			continue;
		found = 1;
		struct sim_hist one;
		const char *w;
		const json_t *lat = rtt ? json_object_get(v, "rtt") : json_object_get(json_object_get(v, "latency"), kind);
		uint64_t n;
		char e[160];
		if (hist_counts(lat, &n, e, sizeof(e))) {
			sim_hist_free(h);
			return errf(why, len, "vcpus[%zu].latency.%s: %s", i, kind, e);
		}
		if (sim_hist_from_json(lat, &one, &w)) {
			sim_hist_free(h);
			return errf(why, len, "vcpus[%zu].latency.%s: %s", i, kind, w);
		}
		int bad = runsum_hist_merge(h, &one, e, sizeof(e));
		sim_hist_free(&one);
		if (bad) {
			sim_hist_free(h);
			return errf(why, len, "vcpus[%zu].latency.%s: %s over the vCPUs", i, kind, e);
		}
	}
	if (vcpu && !found)
		return errf(why, len, "no vCPU named \"%s\"", vcpu);
	return 0;
}

/* set_latency - the count, mean and quantiles of h into s from index base. */
static void set_latency(struct runsum *s, int base, const struct sim_hist *h)
{
	static const double q[] = { 0.5, 0.9, 0.99, 0.999 };
	s->v[base] = (double)h->count;
	for (int k = 1; k <= 6; k++)
		s->v[base + k] = NAN;
	if (!h->count)
		return;
	s->v[base + 1] = sim_hist_mean(h);
	for (int k = 0; k < 4; k++)
		s->v[base + 2 + k] = (double)sim_hist_quantile(h, q[k]);
	s->v[base + 6] = (double)h->max;
}

/* num - a JSON number as double; NaN if absent. */
static double num(const json_t *j)
{
	return json_is_number(j) ? json_number_value(j) : NAN;
}

/* sched_figures - the host scheduler's figures (absent in documents from before it: NaN). */
static void sched_figures(const json_t *j, struct runsum *s, double dur)
{
	size_t i;
	const json_t *v;
	double steal = 0;
	int have = 0;
	struct sim_hist all;
	sim_hist_init(&all);
	json_array_foreach(json_object_get(j, "vcpus"), i, v)
	{
		const json_t *sc = json_object_get(v, "sched");
		struct sim_hist one;
		const char *w;
		if (!sc || sim_hist_from_json(json_object_get(sc, "run_delay"), &one, &w))
			continue;
		have = 1;
		steal += num(json_object_get(sc, "run_delay_ps"));
		sim_hist_merge(&all, &one);
		sim_hist_free(&one);
	}
	if (have && dur > 0)
		s->v[RS_STEAL_CPU] = steal / dur;
	if (all.count)
		s->v[RS_RUN_DELAY_P99] = (double)sim_hist_quantile(&all, 0.99);
	sim_hist_free(&all);
	json_array_foreach(json_object_get(j, "vms"), i, v)
	{
		double q = num(json_object_get(v, "worst_wake_p99_ns"));
		if (!isnan(q) && (isnan(s->v[RS_VM_WORST_P99]) || q > s->v[RS_VM_WORST_P99]))
			s->v[RS_VM_WORST_P99] = q;
	}
}

/* pingpong_figures - the ping-pong loops' round trips and rate (NaN without a loop). */
static void pingpong_figures(const json_t *j, struct runsum *s)
{
	const json_t *arr = json_object_get(j, "pingpong"), *p;
	size_t i;
	if (!json_array_size(arr))
		return;
	struct sim_hist all;
	sim_hist_init(&all);
	double tps = 0;
	json_array_foreach(arr, i, p)
	{
		struct sim_hist one;
		const char *w;
		tps += num(json_object_get(p, "transactions_per_s"));
		if (sim_hist_from_json(json_object_get(p, "rtt"), &one, &w))
			continue;
		sim_hist_merge(&all, &one);
		sim_hist_free(&one);
	}
	set_latency(s, RS_RTT_N, &all);
	s->v[RS_TPS] = tps;
	sim_hist_free(&all);
}

int runsum_from_json(const json_t *j, struct runsum *s, char *why, size_t len)
{
	if (runsum_check(j, why, len))
		return -1;
	for (int m = 0; m < RS_N; m++)
		s->v[m] = NAN;
	struct sim_hist h;
	if (runsum_latency(j, "wake", NULL, &h, why, len))
		return -1;
	set_latency(s, RS_WAKE_N, &h);
	sim_hist_free(&h);
	if (runsum_latency(j, "irq", NULL, &h, why, len))
		return -1;
	set_latency(s, RS_IRQ_N, &h);
	sim_hist_free(&h);

	/* the statistics cover the run after its warm-up (warmup_ps: absent in older results) */
	const json_t *scen = json_object_get(j, "scenario");
	double dur = (double)json_integer_value(json_object_get(scen, "duration_ps")) -
		     (double)json_integer_value(json_object_get(scen, "warmup_ps"));
	double halts = 0, ok = 0, tried = 0, guest = 0, busy = 0, poll = 0;
	int have_ok = 1;
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(j, "vcpus"), i, v)
	{
		halts += num(json_object_get(v, "halts"));
		const json_t *st = json_object_get(v, "stats");
		double a = num(json_object_get(st, "halt_successful_poll")),
		       b = num(json_object_get(st, "halt_attempted_poll"));
		if (isnan(a) || isnan(b))
			have_ok = 0;
		ok += a;
		tried += b;
	}
	json_array_foreach(json_object_get(j, "pcpus"), i, v)
	{
		const char *k;
		const json_t *x;
		json_object_foreach((json_t *)json_object_get(v, "cpu_ps"), k, x)
		{
			double ps = num(x);
			if (strcmp(k, "idle"))
				busy += ps;
			if (!strcmp(k, "poll_ok") || !strcmp(k, "poll_fail"))
				poll += ps;
			if (!strcmp(k, "guest"))
				guest += ps;
		}
	}
	s->v[RS_HALTS] = halts;
	s->v[RS_POLL_SUCCESS] = have_ok && tried > 0 ? ok / tried : NAN;
	if (dur > 0) {
		s->v[RS_HOST_CPU] = busy / dur;
		s->v[RS_POLL_CPU] = poll / dur;
		s->v[RS_GUEST_CPU] = guest / dur;
	}
	s->v[RS_EVENTS] = num(json_object_get(j, "events"));
	sched_figures(j, s, dur);
	const json_t *fio = json_object_get(j, "fio"), *f;
	if (json_array_size(fio)) { /* fio's runs: IOPS, and clat from the vCPUs' "clat" histograms */
		size_t fi;
		double iops = 0;
		json_array_foreach(fio, fi, f) iops += num(json_object_get(f, "iops"));
		s->v[RS_FIO_IOPS] = iops;
		if (runsum_latency(j, "clat", NULL, &h, why, len))
			return -1;
		if (h.count) {
			s->v[RS_FIO_CLAT_P50] = (double)sim_hist_quantile(&h, 0.5);
			s->v[RS_FIO_CLAT_P99] = (double)sim_hist_quantile(&h, 0.99);
		}
		sim_hist_free(&h);
	}
	pingpong_figures(j, s);
	const json_t *rr = json_object_get(j, "tcp_rr");
	if (json_array_size(rr)) { /* TCP_RR: transactions/s, and the round trip from the clients' "rtt" */
		size_t ri;
		double tps = 0, n = 0, sum = 0;
		json_array_foreach(rr, ri, f) {
			double t = num(json_object_get(f, "transactions"));
			tps += num(json_object_get(f, "transactions_per_s"));
			n += t;
			sum += t * num(json_object_get(json_object_get(f, "rtt_ns"), "mean"));
		}
		s->v[RS_TCP_RR_TPS] = tps;
		if (n > 0)
			s->v[RS_TCP_RR_RTT_MEAN] = sum / n;
		if (runsum_latency(j, "rtt", NULL, &h, why, len))
			return -1;
		if (h.count)
			s->v[RS_TCP_RR_RTT_P99] = (double)sim_hist_quantile(&h, 0.99);
		sim_hist_free(&h);
	}
	return 0;
}

const char *runsum_fmt(int m, double v, char *buf, size_t len)
{
	if (isnan(v))
		buf[0] = 0;
	else
		snprintf(buf, len, runsum_desc[m].fmt, v);
	return buf;
}
