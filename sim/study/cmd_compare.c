/*
 * cmd_compare.c - `kvmsim compare BASE.json CAND.json`: does a candidate
 * run's latency regress against a baseline? Per latency metric (wake, irq;
 * over all vCPUs, and per vCPU on request) the quantile deltas with
 * bootstrap confidence intervals, a two-sample KS test, and limits on how
 * much each quantile may grow. Exit 0 within the limits, 1 on a regression,
 * 2 on bad input: made to be a CI step.
 *
 * A quantile regresses when its increase exceeds its limit AND the (1 - alpha)
 * bootstrap interval of the increase lies above zero: a difference sampling
 * noise can explain is not a regression, however large it looks.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sim/cli.h"
#include "sim/xalloc.h"
#include "sim/out_json.h"
#include "sim/rng.h"
#include "sim/schema.h"
#include "sim/study/cmp_input.h"
#include "sim/study/runsum.h"
#include "sim/study/stats.h"

#define CMD "compare"
#define KVMSIM_COMPARE_SCHEMA "kvmsim-compare/1"

/* A limit on how much one statistic may grow. */
struct limit {
	char metric[32]; /* "" for every metric */
	int qi;
	bool relative;
	double value; /* fraction (0.05) or ns */
	char text[48];
};

struct cmp_opts {
	struct limit *limits;
	size_t nlimits;
	bool no_limits, per_vcpu, fail_on_ks, quiet;
	bool metric[CMP_NMETRICS]; /* cmp_metric_kinds */
	bool metric_auto; /* no --metric: clat too when both sides ran fio */
	double alpha;
	uint64_t nboot, seed;
	const char *json_path;
};

static const char *const default_limits[] = { "p50=5%", "p90=5%", "p99=5%", "p99.9=10%" };

/* compare_usage - the --help text. */
static void compare_usage(FILE *f)
{
	fprintf(f,
		"usage: kvmsim compare BASE CAND [options]\n"
		"       kvmsim compare --base BASE... --cand CAND... [options]\n\n"
		"Compare the latency distributions of two sides, each one run (kvmsim run --json, or a\n"
		"sweep's runs/ID.json) or several (replicate seeds: --base and --cand repeated, or a\n"
		"sweep directory DIR, or DIR:POINT for one point of a sweep of several): per metric, the\n"
		"quantile deltas (p50, p90, p99, p99.9, max) of the pooled runs with bootstrap confidence\n"
		"intervals (resampling runs, then samples, so seed-to-seed variation is in them), a\n"
		"two-sample Kolmogorov-Smirnov test, and limits. A quantile regresses when it grows by\n"
		"more than its limit and the confidence interval of its growth lies above zero. A\n"
		"warning goes to stderr when the runs differ in scenario, duration or kernel.\n\n"
		"  --base RUN|DIR        a baseline run, or a sweep's runs; repeatable\n"
		"  --cand RUN|DIR        a candidate run, or a sweep's runs; repeatable\n"
		"  --metric M            wake (interrupts that found the vCPU halted), irq (all), clat\n"
		"                        (fio's completion latency) or rtt (vm.pingpong's or TCP_RR's round trips);\n"
		"                        repeatable or comma-separated (default: wake and irq over all\n"
		"                        vCPUs, and clat when both ran fio)\n"
		"  --per-vcpu            also compare each vCPU (matched by name)\n"
		"  --max-regression S=L  allowed growth of statistic S (p50, p90, p99, p99.9, max) as a\n"
		"                        percentage (5%%) or a time (2us); METRIC.S=L for one metric;\n"
		"                        repeatable; none: no limits (default: p50=5%% p90=5%% p99=5%%\n"
		"                        p99.9=10%%)\n"
		"  --alpha A             significance level: (1 - A) intervals, KS at level A (default 0.01)\n"
		"  --fail-on-ks          a KS test that finds the candidate slower at level A is a regression\n"
		"  --bootstrap N         bootstrap resamples (default 2000)\n"
		"  --seed N              seed of the bootstrap (default 1)\n"
		"  --json FILE           the comparison as JSON (schema " KVMSIM_COMPARE_SCHEMA "); - for stdout\n"
		"  -q, --quiet           no table\n"
		"  -h, --help            this text\n\n"
		"exit status: 0 within the limits, 1 a regression (or an unwritable --json), 2 bad usage\n"
		"or input.\n");
}

/* parse_limit - "p99=5%", "wake.p99=2us" or "none" into o; an exit status after printing why. */
static int parse_limit(struct cmp_opts *o, const char *arg)
{
	if (!strcmp(arg, "none")) {
		o->no_limits = true;
		return 0;
	}
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg || !eq[1])
		return cli_error(CMD, "--max-regression %s: expected STAT=LIMIT, e.g. p99=5%% or wake.p99=2us", arg);
	struct limit l = { .qi = -1 };
	char stat[48];
	size_t sl = (size_t)(eq - arg);
	if (sl >= sizeof(stat))
		sl = sizeof(stat) - 1;
	memcpy(stat, arg, sl);
	stat[sl] = 0;
	const char *q = stat;
	const char *dot = strchr(stat, '.');
	/* "p99.9" has a dot of its own: a metric prefix is a known metric name */
	for (int k = 0; k < CMP_NMETRICS; k++)
		if (dot && (size_t)(dot - stat) == strlen(cmp_metric_kinds[k]) && !strncmp(stat, cmp_metric_kinds[k], strlen(cmp_metric_kinds[k]))) {
			strcpy(l.metric, cmp_metric_kinds[k]);
			q = dot + 1;
		}
	for (int i = 0; i < ST_NQ; i++)
		if (!strcmp(q, st_qname[i]))
			l.qi = i;
	if (l.qi < 0)
		return cli_error(CMD, "--max-regression %s: unknown statistic \"%s\" (p50, p90, p99, p99.9, max; "
				      "optionally after wake. or irq.)", arg, stat);
	const char *v = eq + 1;
	size_t vl = strlen(v);
	char *end;
	if (v[vl - 1] == '%') {
		errno = 0;
		double pct = strtod(v, &end);
		if (errno || end == v || end != v + vl - 1 || !(pct >= 0) || !isfinite(pct))
			return cli_error(CMD, "--max-regression %s: expected a percentage such as 5%% or a time such "
					      "as 2us, got \"%s\"", arg, v);
		l.relative = true;
		l.value = pct / 100;
	} else {
		sim_time_t ps;
		const char *why;
		if (cfg_parse_time(v, "ns", &ps, &why) || ps < 0)
			return cli_error(CMD, "--max-regression %s: expected a percentage such as 5%% or a time such "
					      "as 2us, got \"%s\"", arg, v);
		l.value = (double)ps / 1000.0;
	}
	snprintf(l.text, sizeof(l.text), "+%s", v);
	o->limits = xrealloc(o->limits, (o->nlimits + 1) * sizeof(*o->limits));
	o->limits[o->nlimits++] = l;
	return 0;
}

/* fmt_ns - a latency in a readable unit ("-" for NaN); sign: always show + or -. */
static const char *fmt_ns(double ns, bool sign, char *buf, size_t len)
{
	double a = fabs(ns);
	const char *s = sign ? (ns < 0 ? "-" : "+") : (ns < 0 ? "-" : "");
	if (isnan(ns))
		snprintf(buf, len, "-");
	else if (a < 1000)
		snprintf(buf, len, "%s%.0fns", s, a);
	else if (a < 1e6)
		snprintf(buf, len, "%s%.2fus", s, a / 1e3);
	else if (a < 1e9)
		snprintf(buf, len, "%s%.3fms", s, a / 1e6);
	else
		snprintf(buf, len, "%s%.3fs", s, a / 1e9);
	return buf;
}

/* fmt_pct - a fraction as a signed percentage ("-" for NaN). */
static const char *fmt_pct(double x, char *buf, size_t len)
{
	if (isnan(x))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%+.1f%%", x * 100);
	return buf;
}

/* limit_for - the limit on statistic qi of metric kind (a metric's own beats the general one). */
static const struct limit *limit_for(const struct cmp_opts *o, const char *kind, int qi)
{
	const struct limit *general = NULL;
	for (size_t i = 0; i < o->nlimits; i++) {
		if (o->limits[i].qi != qi)
			continue;
		if (!strcmp(o->limits[i].metric, kind))
			return &o->limits[i];
		if (!o->limits[i].metric[0])
			general = &o->limits[i];
	}
	return general;
}

/* jnum - a JSON number, or null for NaN. */
static json_t *jnum(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

/* jpair - [lo, hi] (nulls for NaN). */
static json_t *jpair(double lo, double hi)
{
	return json_pack("[o, o]", jnum(lo), jnum(hi));
}

struct verdict {
	json_t *metrics, *regressions;
	size_t nregress;
};

/* compare_metric - one metric (kind over all vCPUs, or of vcpu): table rows and JSON; -1 after printing why. */
/* side_hists - the histograms of s's runs (into h, s->n of them) and their pool (into pool); -1 after printing why. */
static int side_hists(const struct cmp_side *s, const char *kind, const char *vcpu, struct sim_hist *h,
		      struct sim_hist *pool)
{
	char why[512];
	if (cmp_side_hists(s, kind, vcpu, h, why, sizeof(why))) {
		cli_error(CMD, "%s", why);
		return -1;
	}
	sim_hist_init(pool);
	for (size_t i = 0; i < s->n; i++)
		if (runsum_hist_merge(pool, &h[i], why, sizeof(why))) {
			cli_error(CMD, "%s: latency.%s: %s over the runs", s->paths[i], kind, why);
			for (size_t k = 0; k < s->n; k++)
				sim_hist_free(&h[k]);
			sim_hist_free(pool);
			return -1;
		}
	return 0;
}

/* free_hists - the n histograms h and their array. */
static void free_hists(struct sim_hist *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sim_hist_free(&h[i]);
	free(h);
}

static int compare_metric(const struct cmp_opts *o, const struct cmp_side *bs, const struct cmp_side *cs,
			  const char *kind, const char *vcpu, struct verdict *v)
{
	struct sim_hist hb, hc, *rb = xcalloc(bs->n, sizeof(*rb)), *rc = xcalloc(cs->n, sizeof(*rc));
	char name[160], b1[32], b2[32], b3[32], b4[32], b5[32];
	if (side_hists(bs, kind, vcpu, rb, &hb)) {
		free(rb);
		free(rc);
		return -1;
	}
	if (side_hists(cs, kind, vcpu, rc, &hc)) {
		free_hists(rb, bs->n);
		free(rc);
		sim_hist_free(&hb);
		return -1;
	}
	snprintf(name, sizeof(name), "%s%s%s", vcpu ? vcpu : "", vcpu ? " " : "", kind);
	struct st_runs sb, sc;
	int too_many = st_runs_from_hists(rb, bs->n, &sb);
	too_many = too_many || st_runs_from_hists(rc, cs->n, &sc);
	free_hists(rb, bs->n);
	free_hists(rc, cs->n);
	if (too_many) {
		st_runs_free(&sb);
		sim_hist_free(&hb);
		sim_hist_free(&hc);
		cli_error(CMD, "%s: more samples than the bootstrap can draw (4294967295 in a resample)", name);
		return -1;
	}
	char stream[200];
	snprintf(stream, sizeof(stream), "compare/%s", name);
	gsl_rng *r = sim_rng_new(o->seed, stream);
	struct st_delta d[ST_NQ];
	st_bootstrap_runs(&sb, &sc, (size_t)o->nboot, o->alpha, r, d);
	gsl_rng_free(r);
	struct st_ks ks;
	st_ks(&hb, &hc, &ks);
	bool empty = !hb.count || !hc.count;

	json_t *jm = json_pack("{s:s, s:s?, s:s, s:I, s:I}", "name", name, "vcpu", vcpu, "metric", kind, "n_base",
			       (json_int_t)hb.count, "n_cand", (json_int_t)hc.count);
	json_t *jq = json_array();
	if (!o->quiet)
		printf("%-16s %-6s %10llu %10llu\n", name, "n", (unsigned long long)hb.count,
		       (unsigned long long)hc.count);
	for (int q = 0; q < ST_NQ; q++) {
		const struct limit *l = o->no_limits ? NULL : limit_for(o, kind, q);
		const char *result = "-";
		if (empty) {
			result = "n/a";
		} else if (l) {
			double grow = l->relative ? d[q].rel : d[q].delta;
			double shrink = l->relative ? -d[q].rel : -d[q].delta;
			if (grow > l->value && d[q].lo > 0)
				result = "REGRESSION";
			else if (shrink > l->value && d[q].hi < 0)
				result = "improved";
			else
				result = "ok";
		}
		if (!strcmp(result, "REGRESSION")) {
			char msg[512];
			snprintf(msg, sizeof(msg), "%s %s %s (%s -> %s; limit %s; %g%% interval %s..%s)", name,
				 st_qname[q], l->relative ? fmt_pct(d[q].rel, b1, sizeof(b1)) : fmt_ns(d[q].delta, true, b1, sizeof(b1)),
				 fmt_ns(d[q].base, false, b2, sizeof(b2)), fmt_ns(d[q].cand, false, b3, sizeof(b3)),
				 l->text, 100 * (1 - o->alpha),
				 l->relative ? fmt_pct(d[q].rel_lo, b4, sizeof(b4)) : fmt_ns(d[q].lo, true, b4, sizeof(b4)),
				 l->relative ? fmt_pct(d[q].rel_hi, b5, sizeof(b5)) : fmt_ns(d[q].hi, true, b5, sizeof(b5)));
			json_array_append_new(v->regressions, json_string(msg));
			v->nregress++;
		}
		json_array_append_new(
			jq, json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:s?, s:s}", "stat", st_qname[q], "base_ns",
				      jnum(d[q].base), "cand_ns", jnum(d[q].cand), "delta_ns", jnum(d[q].delta),
				      "delta_rel", jnum(d[q].rel), "ci_ns", jpair(d[q].lo, d[q].hi), "ci_rel",
				      jpair(d[q].rel_lo, d[q].rel_hi), "limit", l ? l->text : NULL, "result", result));
		if (o->quiet)
			continue;
		char ci[80];
		if (isnan(d[q].rel_lo))
			snprintf(ci, sizeof(ci), "-");
		else
			snprintf(ci, sizeof(ci), "[%s, %s]", fmt_pct(d[q].rel_lo, b4, sizeof(b4)),
				 fmt_pct(d[q].rel_hi, b5, sizeof(b5)));
		printf("%-16s %-6s %10s %10s %10s %8s  %-20s %6s  %s\n", "", st_qname[q],
		       fmt_ns(d[q].base, false, b1, sizeof(b1)), fmt_ns(d[q].cand, false, b2, sizeof(b2)),
		       fmt_ns(d[q].delta, true, b3, sizeof(b3)), fmt_pct(d[q].rel, b5, sizeof(b5)), ci,
		       l ? l->text : "-", result);
	}
	json_object_set_new(jm, "quantiles", jq);

	bool differ = !empty && ks.p < o->alpha;
	const char *ks_result = empty ? "n/a" : !differ ? "same" : ks.cand_slower ? "slower" : "faster";
	if (differ && ks.cand_slower && o->fail_on_ks) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s KS D=%.4f p%s%.3g: candidate slower (largest gap below %s)", name, ks.d,
			 ks.p < 1e-16 ? "<" : "=", ks.p < 1e-16 ? 1e-16 : ks.p,
			 fmt_ns((double)ks.at_ns, false, b1, sizeof(b1)));
		json_array_append_new(v->regressions, json_string(msg));
		v->nregress++;
		ks_result = "REGRESSION";
	}
	json_object_set_new(jm, "ks", json_pack("{s:o, s:o, s:I, s:s}", "d", jnum(empty ? NAN : ks.d), "p",
						jnum(empty ? NAN : ks.p), "at_ns", (json_int_t)ks.at_ns, "result",
						ks_result));
	if (!o->quiet) {
		if (empty)
			printf("%-16s %-6s no samples in %s\n", "", "KS", !hb.count ? "BASE" : "CAND");
		else
			printf("%-16s %-6s D=%.4f p%s%.3g: %s%s%s\n", "", "KS", ks.d, ks.p < 1e-16 ? "<" : "=",
			       ks.p < 1e-16 ? 1e-16 : ks.p,
			       !differ ? "no significant difference" :
			       ks.cand_slower ? "candidate slower" : "candidate faster",
			       differ ? " below " : "", differ ? fmt_ns((double)ks.at_ns, false, b1, sizeof(b1)) : "");
	}
	json_array_append_new(v->metrics, jm);
	st_runs_free(&sb);
	st_runs_free(&sc);
	sim_hist_free(&hb);
	sim_hist_free(&hc);
	return 0;
}

/* parse_metrics - "wake,irq" into o->metric; an exit status after printing why. */
static int parse_metrics(struct cmp_opts *o, const char *arg)
{
	char *s = xstrdup(arg), *save = NULL;
	for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int k = cmp_metric_find(t);
		if (k < 0) {
			cli_error(CMD, "--metric: unknown metric \"%s\" (wake, irq, clat, rtt)", t);
			free(s);
			return EXIT_BAD_INPUT;
		}
		o->metric[k] = true;
	}
	free(s);
	return 0;
}

/* vcpu_names - the names of j's vCPUs, as a JSON array. */
static json_t *vcpu_names(const json_t *j)
{
	json_t *a = json_array();
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(j, "vcpus"), i, v)
	{
		const char *n = json_string_value(json_object_get(v, "name"));
		json_array_append_new(a, json_string(n ? n : "?"));
	}
	return a;
}

/* run_compare - the comparison of two loaded runs; exit status. */
static int run_compare(const struct cmp_opts *o, const struct cmp_side *bs, const struct cmp_side *cs)
{
	json_t *bn = vcpu_names(bs->docs[0]);
	const struct cmp_side *sides[2] = { bs, cs };
	for (int k = 0; o->per_vcpu && k < 2; k++)
		for (size_t i = 0; i < sides[k]->n; i++) {
			json_t *cn = vcpu_names(sides[k]->docs[i]);
			bool same = json_equal(bn, cn);
			json_decref(cn);
			if (!same) {
				json_decref(bn);
				return cli_error(CMD, "--per-vcpu: %s and %s have different vCPUs (compare them without "
						      "--per-vcpu)", bs->paths[0], sides[k]->paths[i]);
			}
		}
	cmp_warn_differ(CMD, bs, cs);
	struct verdict v = { json_array(), json_array(), 0 };
	char line[512];
	if (!o->quiet) {
		for (int k = 0; k < 2; k++) {
			cmp_side_describe(sides[k], line, sizeof(line));
			if (sides[k]->n == 1)
				printf("%s  %s (%s)\n", sides[k]->name, sides[k]->paths[0], line);
			else
				printf("%s  %zu runs of %s (%s)\n", sides[k]->name, sides[k]->n, sides[k]->given, line);
		}
		printf("%g%% bootstrap intervals of the change (%llu resamples, seed %llu); KS at level %g\n\n",
		       100 * (1 - o->alpha), (unsigned long long)o->nboot, (unsigned long long)o->seed, o->alpha);
		char ci[32];
		snprintf(ci, sizeof(ci), "%g%% interval", 100 * (1 - o->alpha));
		printf("%-16s %-6s %10s %10s %10s %8s  %-20s %6s  %s\n", "metric", "stat", "base", "cand", "change",
		       "", ci, "limit", "result");
	}
	int rc = 0;
	bool fio = bs->n && cs->n && json_object_get(bs->docs[0], "fio") && json_object_get(cs->docs[0], "fio");
	for (int k = 0; k < CMP_NMETRICS && !rc; k++) {
		if (!o->metric[k] && !(k == 2 && o->metric_auto && fio))
			continue;
		rc = compare_metric(o, bs, cs, cmp_metric_kinds[k], NULL, &v);
		for (size_t i = 0; o->per_vcpu && k < 2 && !rc && i < json_array_size(bn); i++) /* wake, irq */
			rc = compare_metric(o, bs, cs, cmp_metric_kinds[k], json_string_value(json_array_get(bn, i)), &v);
	}
	json_decref(bn);
	if (rc) {
		json_decref(v.metrics);
		json_decref(v.regressions);
		return EXIT_BAD_INPUT;
	}
	if (!o->quiet) {
		if (!v.nregress) {
			printf("\nverdict: ok (no statistic grew beyond its limit)\n");
		} else {
			printf("\nverdict: REGRESSION (%zu)\n", v.nregress);
			size_t i;
			json_t *m;
			json_array_foreach(v.regressions, i, m) printf("  %s\n", json_string_value(m));
		}
	}
	rc = v.nregress ? EXIT_FAILED : 0;
	if (o->json_path) {
		json_t *lim = json_array();
		for (size_t i = 0; !o->no_limits && i < o->nlimits; i++)
			json_array_append_new(lim, json_pack("{s:s?, s:s, s:s}", "metric",
							     o->limits[i].metric[0] ? o->limits[i].metric : NULL,
							     "stat", st_qname[o->limits[i].qi], "limit", o->limits[i].text));
		json_t *runs[2] = { json_array(), json_array() };
		for (int k = 0; k < 2; k++)
			for (size_t i = 0; i < sides[k]->n; i++)
				json_array_append_new(runs[k], json_string(sides[k]->paths[i]));
		json_t *doc = json_pack("{s:s, s:s, s:s, s:o, s:o, s:f, s:I, s:I, s:b, s:o, s:o, s:o, s:s}", "schema",
					KVMSIM_COMPARE_SCHEMA, "base", bs->given, "candidate", cs->given, "base_runs",
					runs[0], "cand_runs", runs[1], "alpha", o->alpha,
					"bootstrap", (json_int_t)o->nboot, "seed", (json_int_t)o->seed, "fail_on_ks",
					o->fail_on_ks, "limits", lim, "metrics", v.metrics, "regressions",
					v.regressions, "verdict", v.nregress ? "regression" : "ok");
		FILE *f = cli_open_out(CMD, o->json_path);
		if (!f) {
			json_decref(doc);
			return EXIT_FAILED;
		}
		sim_json_dump(doc, f);
		json_decref(doc);
		int wrc = cli_close_out(CMD, o->json_path, f);
		if (wrc)
			return wrc;
	} else {
		json_decref(v.metrics);
		json_decref(v.regressions);
	}
	return rc;
}

/* cmd_compare - `kvmsim compare` (listed in sim/study/commands.c). */
int cmd_compare(int argc, char **argv)
{
	enum { O_METRIC = 256, O_PERVCPU, O_LIMIT, O_ALPHA, O_KS, O_BOOT, O_SEED, O_JSON, O_BASE, O_CAND };
	static const struct option opts[] = {
		{ "metric", required_argument, NULL, O_METRIC },
		{ "per-vcpu", no_argument, NULL, O_PERVCPU },
		{ "max-regression", required_argument, NULL, O_LIMIT },
		{ "alpha", required_argument, NULL, O_ALPHA },
		{ "fail-on-ks", no_argument, NULL, O_KS },
		{ "bootstrap", required_argument, NULL, O_BOOT },
		{ "seed", required_argument, NULL, O_SEED },
		{ "json", required_argument, NULL, O_JSON },
		{ "base", required_argument, NULL, O_BASE },
		{ "cand", required_argument, NULL, O_CAND },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cmp_opts o = { .alpha = 0.01, .nboot = 2000, .seed = 1 };
	struct cmp_side base = { .name = "BASE" }, cand = { .name = "CAND" };
	char **sidearg[2] = { xcalloc((size_t)argc + 1, sizeof(char *)), xcalloc((size_t)argc + 1, sizeof(char *)) };
	size_t nside[2] = { 0, 0 };
	int c, rc = 0;
	bool metric_given = false;
	const char *why;
	char *end;
	optind = 1;
	opterr = 0;
	while (!rc && (c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case O_METRIC:
			metric_given = true;
			rc = parse_metrics(&o, optarg);
			break;
		case O_PERVCPU:
			o.per_vcpu = true;
			break;
		case O_LIMIT:
			rc = parse_limit(&o, optarg);
			break;
		case O_ALPHA:
			errno = 0;
			o.alpha = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(o.alpha > 0 && o.alpha < 0.5))
				rc = cli_error(CMD, "--alpha: expected a level between 0 and 0.5 (e.g. 0.01), got \"%s\"",
					       optarg);
			break;
		case O_KS:
			o.fail_on_ks = true;
			break;
		case O_BOOT:
			if (cfg_parse_u64(optarg, &o.nboot, &why) || o.nboot < 100 || o.nboot > 1000000)
				rc = cli_error(CMD, "--bootstrap: expected 100 to 1000000 resamples, got \"%s\"", optarg);
			break;
		case O_SEED:
			if (cfg_parse_u64(optarg, &o.seed, &why))
				rc = cli_error(CMD, "--seed: expected a non-negative integer, got \"%s\"", optarg);
			break;
		case O_JSON:
			o.json_path = optarg;
			break;
		case O_BASE:
		case O_CAND:
			sidearg[c == O_CAND][nside[c == O_CAND]++] = optarg;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'h':
			compare_usage(stdout);
			free(o.limits);
			free(sidearg[0]);
			free(sidearg[1]);
			return 0;
		default:
			rc = cli_bad_option(CMD, argv);
		}
	}
	if (!rc && (nside[0] || nside[1])) {
		if (argc > optind)
			rc = cli_error(CMD, "%s: give the runs either as BASE CAND or with --base and --cand", argv[optind]);
		else if (!nside[0] || !nside[1])
			rc = cli_error(CMD, "--%s: no run given for the %s side", nside[0] ? "cand" : "base",
				       nside[0] ? "candidate" : "baseline");
	} else if (!rc && argc - optind != 2) {
		rc = cli_error(CMD, "expected BASE and CAND runs (got %d argument%s; kvmsim compare --help)",
			       argc - optind, argc - optind == 1 ? "" : "s");
	} else if (!rc) {
		sidearg[0][nside[0]++] = argv[optind];
		sidearg[1][nside[1]++] = argv[optind + 1];
	}
	if (!rc && o.no_limits && o.nlimits)
		rc = cli_error(CMD, "--max-regression none cannot be combined with limits");
	if (!rc && !o.nlimits && !o.no_limits)
		for (size_t i = 0; !rc && i < sizeof(default_limits) / sizeof(*default_limits); i++)
			rc = parse_limit(&o, default_limits[i]);
	if (!metric_given)
		o.metric[0] = o.metric[1] = o.metric_auto = true;
	if (!rc && o.json_path && !strcmp(o.json_path, "-"))
		o.quiet = true; /* the JSON owns stdout */
	for (size_t i = 0; !rc && i < nside[0]; i++)
		rc = cmp_side_add(CMD, &base, sidearg[0][i]);
	for (size_t i = 0; !rc && i < nside[1]; i++)
		rc = cmp_side_add(CMD, &cand, sidearg[1][i]);
	if (!rc)
		rc = run_compare(&o, &base, &cand);
	cmp_side_free(&base);
	cmp_side_free(&cand);
	free(sidearg[0]);
	free(sidearg[1]);
	free(o.limits);
	return rc;
}
