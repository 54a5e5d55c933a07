/*
 * calib_exit.c - the measured shape of the host idle state's exit (calib.h,
 * calib_exit_shape): the least-squares fit takes the exit as one value, which
 * leaves the simulated wake-ups from a sleep all alike where the real ones
 * spread (on this project's nested host, over tens of microseconds). Where
 * the probes show wake-ups that all paid the exit, their spread is measured
 * and put around the fitted value.
 */
#include "traces/probe/calib.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "sim/hist.h"
#include "sim/out_json.h"
#include "sim/xalloc.h"

int calib_exit_read(const json_t *run, struct calib_target *t, char *why, size_t len)
{
	const json_t *v = json_array_get(json_object_get(run, "vcpus"), 0);
	struct sim_hist h;
	const char *w = NULL;
	if (sim_hist_from_json(json_object_get(json_object_get(v, "latency"), "irq"), &h, &w)) {
		snprintf(why, len, "latency.irq: %s", w ? w : "malformed");
		return -1;
	}
	for (int k = 0; k < CALIB_EXIT_NQ; k++)
		t->lat_q_ns[k] = h.count ? (double)sim_hist_quantile(&h, (double)k / (CALIB_EXIT_NQ - 1)) : 0;
	t->lat_n = h.count;
	sim_hist_free(&h);
	/* the gaps' 1st percentile: a periodic pattern's waker that fell behind raises a few at once */
	const json_t *gaps = json_object_get(json_object_get(run, "probe"), "gaps_ns");
	size_t n = json_array_size(gaps);
	int64_t *g = n ? xcalloc(n, sizeof(*g)) : NULL;
	for (size_t i = 0; i < n; i++)
		g[i] = json_integer_value(json_array_get(gaps, i));
	if (g)
		qsort(g, n, sizeof(*g), sim_cmp_i64);
	t->gap_p1_ns = g ? g[n / 100] : -1;
	free(g);
	return 0;
}

/*
 * sleeps_only - nearly every halt of t slept long enough to pay the exit: it hardly polled (at
 * most 1 % of its wake-ups), and all but 1 % of its gaps between interrupts leave the vCPU idle
 * past idle_entry after a median wake-up and the guest's work.
 */
static bool sleeps_only(const struct calib_target *t, const double *x)
{
	return !calib_busy(t) && t->lat_n > 0 && t->real.attempted <= 0.01 * (double)t->real.wakes &&
	       (double)t->gap_p1_ns >= x[CP_IDLE_ENTRY] + t->lat_q_ns[CALIB_EXIT_NQ / 2] + x[CP_GUEST_WORK];
}

void calib_exit_shape(const struct calib_target *t, int n, struct calib_fit *fit)
{
	double acc[CALIB_EXIT_NQ] = { 0 };
	int m = 0;
	size_t used = 0;
	fit->exit_from[0] = 0;
	for (int i = 0; i < n; i++) {
		if (!sleeps_only(&t[i], fit->x))
			continue;
		for (int k = 0; k < CALIB_EXIT_NQ; k++) /* each probe's quantiles around its median, p5 to p95 */
			acc[k] += t[i].lat_q_ns[k < CALIB_EXIT_BOTTOM ? CALIB_EXIT_BOTTOM
						 : k > CALIB_EXIT_TOP  ? CALIB_EXIT_TOP
									: k] -
				  t[i].lat_q_ns[CALIB_EXIT_NQ / 2];
		bool named = false; /* an earlier probe of the same pattern (not a label it contains) */
		for (int j = 0; j < i && !named; j++)
			named = sleeps_only(&t[j], fit->x) && !strcmp(t[j].label, t[i].label);
		if (!named && used < sizeof(fit->exit_from))
			used += (size_t)snprintf(fit->exit_from + used, sizeof(fit->exit_from) - used, "%s%s",
						 used ? ", " : "", t[i].label);
		m++;
	}
	fit->exit_probes = m;
	fit->exit_nq = m ? CALIB_EXIT_NQ : 0;
	double prev = 0;
	for (int k = 0; k < fit->exit_nq; k++) { /* their average (non-decreasing, as each is) */
		double q = fmax(fit->x[CP_IDLE_EXIT] + acc[k] / m, prev);
		fit->exit_q_ns[k] = q;
		prev = q;
	}
}

void calib_exit_yaml(FILE *f, const struct calib_fit *shape)
{
	if (!shape || !shape->exit_nq)
		return;
	fprintf(f, ", exit_latency_dist: {quantiles: [");
	for (int k = 0; k < shape->exit_nq; k++)
		fprintf(f, "%s%lldns", k ? ", " : "", (long long)llround(shape->exit_q_ns[k]));
	fprintf(f, "]}");
}

void calib_exit_print(FILE *f, const struct calib_fit *fit, bool markdown)
{
	if (!fit->exit_nq) {
		fprintf(f, markdown ? "\nThe idle exit is one value: no probe in which every halt slept, to measure its spread.\n"
				    : "  idle exit one value: no probe in which every halt slept, to measure its spread\n");
		return;
	}
	fprintf(f, markdown ? "\nThe idle exit is drawn from a measured distribution (p5 %.0f, p50 %.0f, p95 %.0f ns): the "
			      "spread of %d probe(s) in which every halt slept (%s), from their p5 to their p95.\n"
			    : "  idle exit drawn from a measured distribution: p5 %.0f, p50 %.0f, p95 %.0f ns (the spread of "
			      "%d probe(s) in which every halt slept: %s; their p5 to p95)\n",
		fit->exit_q_ns[5], fit->exit_q_ns[CALIB_EXIT_NQ / 2], fit->exit_q_ns[CALIB_EXIT_TOP], fit->exit_probes,
		fit->exit_from);
}
