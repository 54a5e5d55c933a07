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

#include <gsl/gsl_statistics_double.h>

#include "sim/dist.h"
#include "sim/hist.h"
#include "sim/units.h"
#include "sim/out_json.h"
#include "sim/xalloc.h"

/*
 * read_quantiles - the histogram o (a kvmsim-run/1 one; named what in why) as CALIB_EXIT_NQ
 * quantiles into q and its count into *n; an absent one (optional) is none (*n 0). 0, or -1
 * with why.
 */
static int read_quantiles(const json_t *o, const char *what, bool optional, double *q, uint64_t *n, char *why,
			  size_t len)
{
	struct sim_hist h;
	const char *w = NULL;
	*n = 0;
	if (!o && optional)
		return 0;
	if (sim_hist_from_json(o, &h, &w)) {
		snprintf(why, len, "%s: %s", what, w ? w : "malformed");
		return -1;
	}
	for (int k = 0; k < CALIB_EXIT_NQ; k++)
		q[k] = h.count ? (double)sim_hist_quantile(&h, (double)k / (CALIB_EXIT_NQ - 1)) : 0;
	*n = h.count;
	sim_hist_free(&h);
	return 0;
}

int calib_exit_read(const json_t *run, struct calib_target *t, char *why, size_t len)
{
	const json_t *v = json_array_get(json_object_get(run, "vcpus"), 0), *pr = json_object_get(run, "probe");
	double eoi[CALIB_EXIT_NQ];
	uint64_t neoi;
	/* the guest's own EOI times are optional: probes before 2026-11-29 lack them */
	if (read_quantiles(json_object_get(json_object_get(v, "latency"), "irq"), "latency.irq", false, t->lat_q_ns,
			   &t->lat_n, why, len) ||
	    read_quantiles(json_object_get(pr, "eoi_ns"), "probe.eoi_ns", true, eoi, &neoi, why, len))
		return -1;
	/* the speed over the whole probe: within one the runs fall in a fast and a slow group, in
	 * stretches, so their mean (p5 to p95), not the middle run's */
	double mean = 0;
	for (int k = CALIB_EXIT_BOTTOM; k <= CALIB_EXIT_TOP; k++)
		mean += eoi[k] / (CALIB_EXIT_TOP - CALIB_EXIT_BOTTOM + 1);
	t->eoi_ns = neoi >= CALIB_EOI_MIN ? mean : 0;
	/* the gaps' 1st percentile: a periodic pattern's waker that fell behind raises a few at once */
	const json_t *gaps = json_object_get(pr, "gaps_ns");
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

/* polls_only - nearly every wake-up of t ended a successful poll (at least 95 % of them) */
static bool polls_only(const struct calib_target *t, const double *x)
{
	(void)x;
	return !calib_busy(t) && t->lat_n > 0 && t->real.successful >= 0.95 * (double)t->real.wakes;
}

/*
 * spread - the probes picked by pick: each one's wake-latency quantiles less its median (p5
 * to p95, held beyond) added into acc; their patterns named in from; how many.
 */
static int spread(const struct calib_target *t, int n, const double *x,
		  bool (*pick)(const struct calib_target *, const double *), double *acc, char *from, size_t len)
{
	int m = 0;
	size_t used = 0;
	from[0] = 0;
	for (int i = 0; i < n; i++) {
		if (!pick(&t[i], x))
			continue;
		for (int k = 0; k < CALIB_EXIT_NQ; k++)
			acc[k] += t[i].lat_q_ns[k < CALIB_EXIT_BOTTOM ? CALIB_EXIT_BOTTOM
						 : k > CALIB_EXIT_TOP  ? CALIB_EXIT_TOP
									: k] -
				  t[i].lat_q_ns[CALIB_EXIT_NQ / 2];
		bool named = false; /* an earlier probe of the same pattern (not a label it contains) */
		for (int j = 0; j < i && !named; j++)
			named = pick(&t[j], x) && !strcmp(t[j].label, t[i].label);
		if (!named && used < len)
			used += (size_t)snprintf(from + used, len - used, "%s%s", used ? ", " : "", t[i].label);
		m++;
	}
	return m;
}

void calib_exit_shape(const struct calib_target *t, int n, struct calib_fit *fit)
{
	double acc[CALIB_EXIT_NQ] = { 0 }, wacc[CALIB_EXIT_NQ] = { 0 };
	int m = spread(t, n, fit->x, sleeps_only, acc, fit->exit_from, sizeof(fit->exit_from));
	fit->exit_probes = m;
	fit->exit_nq = m ? CALIB_EXIT_NQ : 0;
	double prev = 0;
	for (int k = 0; k < fit->exit_nq; k++) { /* their average (non-decreasing, as each is) */
		double q = fmax(fit->x[CP_IDLE_EXIT] + acc[k] / m, prev);
		fit->exit_q_ns[k] = q;
		prev = q;
	}
	int w = spread(t, n, fit->x, polls_only, wacc, fit->wake_from, sizeof(fit->wake_from));
	fit->wake_probes = w;
	fit->wake_nq = w ? CALIB_EXIT_NQ : 0;
	for (int k = 0; k < fit->wake_nq; k++)
		fit->wake_dev_ns[k] = wacc[k] / w;
}

double calib_speed_ref(const struct calib_target *t, int n)
{
	double *e = xcalloc((size_t)n + 1, sizeof(*e));
	size_t m = 0;
	for (int i = 0; i < n; i++)
		if (t[i].eoi_ns > 0)
			e[m++] = t[i].eoi_ns;
	qsort(e, m, sizeof(*e), sim_cmp_double);
	double ref = m >= 2 ? gsl_stats_median_from_sorted_data(e, 1, m) : 0;
	free(e);
	return ref;
}

double calib_speed(const struct calib_target *t, const struct calib_fit *shape)
{
	double ref = shape ? shape->speed_ref_ns : t->speed_ref_ns;
	return ref > 0 && t->eoi_ns > 0 ? t->eoi_ns / ref : 1;
}

/* dist_yaml - ", key: {quantiles: [..ns]}" (nothing for no quantiles) */
static void dist_yaml(FILE *f, const char *key, const double *q, int n)
{
	if (!n)
		return;
	fprintf(f, ", %s: {quantiles: [", key);
	for (int k = 0; k < n; k++)
		fprintf(f, "%s%lldns", k ? ", " : "", (long long)llround(q[k]));
	fprintf(f, "]}");
}

void calib_exit_yaml(FILE *f, const struct calib_fit *shape)
{
	if (shape)
		dist_yaml(f, "exit_latency_dist", shape->exit_q_ns, shape->exit_nq);
}

static void wake_print(FILE *f, const struct calib_fit *fit, bool markdown)
{
	if (!fit->wake_nq)
		return;
	fprintf(f, markdown ? "\nThe vCPU's entry is drawn from a measured distribution (p5 %+.0f, p95 %+.0f ns around the fitted "
			      "value): the spread of the wake-ups of %d probe(s) in which every wake-up ended a successful "
			      "poll (%s), from their p5 to their p95.\n"
			    : "  vCPU entry drawn from a measured distribution: p5 %+.0f, p95 %+.0f ns around the fitted value (the "
			      "spread of %d probe(s) in which every wake-up ended a successful poll: %s; their p5 to p95)\n",
		fit->wake_dev_ns[CALIB_EXIT_BOTTOM], fit->wake_dev_ns[CALIB_EXIT_TOP], fit->wake_probes, fit->wake_from);
}

void calib_exit_print(FILE *f, const struct calib_fit *fit, bool markdown)
{
	wake_print(f, fit, markdown);
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

/* entry_bad - why a token of --idle-entry or --idle-growth is refused; -1 */
static int entry_bad(char *why, size_t len, const char *tok, const char *what)
{
	snprintf(why, len, "\"%s\": %s", tok, what);
	return -1;
}

/* time_tok - a token of --idle-entry or --idle-growth: a time with its unit, at most a second,
 * into *ps; 0, or -1 with why */
static int time_tok(const char *tok, sim_time_t *ps, char *why, size_t len)
{
	const char *w = NULL;
	size_t l = strlen(tok);
	if (!l || tok[l - 1] < 'a' || tok[l - 1] > 'z' || cfg_parse_time(tok, NULL, ps, &w) || *ps < 0)
		return entry_bad(why, len, tok, "expected a time with its unit (ns, us, ms)");
	if (*ps > SIM_S)
		return entry_bad(why, len, tok, "more than a second");
	return 0;
}

int calib_entry_parse(const char *arg, struct calib_fit *fit, char *why, size_t len)
{
	char *copy = strdup(arg), *save = NULL;
	int n = 0, rc = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
		sim_time_t ps;
		if (n == CALIB_EXIT_NQ)
			rc = entry_bad(why, len, tok, "one quantile too many (at most 101)");
		else if (time_tok(tok, &ps, why, len))
			rc = -1;
		else if (n && (double)ps / 1e3 < fit->entry_q_ns[n - 1])
			rc = entry_bad(why, len, tok, "the quantiles must not decrease");
		else
			fit->entry_q_ns[n++] = (double)ps / 1e3;
	}
	free(copy);
	if (!rc && n < 2) {
		snprintf(why, len, "expected at least 2 quantiles (times at evenly spaced probabilities), got %d", n);
		rc = -1;
	}
	fit->entry_nq = rc ? 0 : n;
	return rc;
}

double calib_entry_median(const struct calib_fit *fit)
{
	int n = fit->entry_nq;
	double at = 0.5 * (n - 1);
	int i = (int)at;
	return i + 1 < n ? fit->entry_q_ns[i] + (at - i) * (fit->entry_q_ns[i + 1] - fit->entry_q_ns[i])
			 : fit->entry_q_ns[i];
}

void calib_entry_yaml(FILE *f, const struct calib_fit *shape)
{
	if (shape)
		dist_yaml(f, "entry_latency_dist", shape->entry_q_ns, shape->entry_nq);
}

int calib_growth_parse(const char *arg, struct calib_growth *g, char *why, size_t len)
{
	g->ns = g->tau_ns = 0;
	if (!strcmp(arg, "0"))
		return 0;
	const char *comma = strchr(arg, ',');
	char tok[2][64];
	if (!comma || strchr(comma + 1, ',') || (size_t)(comma - arg) >= sizeof(tok[0]) ||
	    strlen(comma + 1) >= sizeof(tok[1])) {
		snprintf(why, len, "\"%s\": expected the growth and its time constant, e.g. 9us,200us (or 0: none)", arg);
		return -1;
	}
	snprintf(tok[0], sizeof(tok[0]), "%.*s", (int)(comma - arg), arg);
	snprintf(tok[1], sizeof(tok[1]), "%s", comma + 1);
	sim_time_t ps[2];
	for (int k = 0; k < 2; k++)
		if (time_tok(tok[k], &ps[k], why, len))
			return -1;
	if (ps[0] > 0 && ps[1] == 0)
		return entry_bad(why, len, tok[1], "the time constant of a growth must be above 0");
	g->ns = (double)ps[0] / 1e3;
	g->tau_ns = ps[0] > 0 ? (double)ps[1] / 1e3 : 0;
	return 0;
}

void calib_growth_arg(const struct calib_growth *g, char *buf, size_t len)
{
	if (g->ns > 0)
		snprintf(buf, len, "%.0fns,%.0fns", g->ns, g->tau_ns); /* as the profile has them */
	else
		snprintf(buf, len, "0");
}
