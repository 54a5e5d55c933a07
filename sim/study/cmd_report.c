/*
 * cmd_report.c - `kvmsim report`: plots and an HTML page of runs or of a
 * sweep. The C side reads and checks the inputs (so bad input gets the usual
 * one-line error and exit 2) and reduces them to one data file,
 * OUT/report-data.json (schema "kvmsim-report-data/1"): merged latency
 * histograms, exit counts and CPU time per run, or the points of a sweep with
 * their means, the heat-map axes and the Pareto front. reports/report.py,
 * run with /usr/bin/python3 (Debian's matplotlib), only draws it.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "sim/cli.h"
#include "sim/xalloc.h"
#include "sim/out_json.h"
#include "sim/study/plan.h"
#include "sim/study/results.h"
#include "sim/study/runsum.h"

#define CMD "report"
#define KVMSIM_REPORT_SCHEMA "kvmsim-report-data/1"
#define MAX_RUNS 20

#ifndef KVMSIM_REPORTS_DIR
#define KVMSIM_REPORTS_DIR "reports"
#endif

struct report_opts {
	const char *out, *title, *python, *scripts;
	const char *x, *y, *z, *latency, *cost, *zscale;
	char **where;
	size_t nwhere;
	bool quiet;
};

/* report_usage - the --help text. */
static void report_usage(FILE *f)
{
	fprintf(f,
		"usage: kvmsim report runs [LABEL=]RUN.json... [options]\n"
		"       kvmsim report sweep SWEEP_DIR [options]\n\n"
		"Plots (PNG and SVG) and one self-contained HTML page, drawn by reports/report.py\n"
		"with /usr/bin/python3 and matplotlib.\n\n"
		"  runs: wake-up and interrupt latency histograms and CDFs overlaid, VM exits and\n"
		"        halt outcomes per second, host and vCPU CPU time breakdown (up to %d runs;\n"
		"        LABEL= names a run in legends, default: the file name)\n"
		"  sweep: a heat map of one figure over two swept keys, and the Pareto front of\n"
		"        latency against host CPU over the sweep's points (means over replicates)\n\n"
		"  -o, --out DIR        where the files go (default: report, or SWEEP_DIR/report)\n"
		"  --title TEXT         the page title\n"
		"sweep:\n"
		"  --x KEY, --y KEY     heat-map axes (default: the first two swept keys)\n"
		"  --z METRIC           heat-map colour (default wake_p99_ns)\n"
		"  --z-scale S          its colour scale: linear, log, or auto (log when the values\n"
		"                       span more than a decade; the default)\n"
		"  --where KEY=VALUE    keep the points with this value of another swept key (repeatable;\n"
		"                       needed when more than two grid keys vary)\n"
		"  --latency METRIC     Pareto front: latency axis (default wake_p99_ns)\n"
		"  --cost METRIC        Pareto front: cost axis (default host_cpu)\n"
		"                       METRIC: a column of results.csv (wake_p50_ns, irq_p99_ns, poll_cpu, ...)\n"
		"  --python PATH        the Python with matplotlib (default $KVMSIM_PYTHON or /usr/bin/python3)\n"
		"  --scripts DIR        where report.py is (default $KVMSIM_REPORTS or %s)\n"
		"  -q, --quiet          do not list the files written\n",
		MAX_RUNS, KVMSIM_REPORTS_DIR);
}

/* jnum - a number, or null for NaN. */
static json_t *jnum(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

/* sum_key - the sum of key (in sub-object sub, if any) over the array arr. */
static double sum_key(const json_t *arr, const char *sub, const char *key, bool *missing)
{
	double s = 0;
	size_t i;
	const json_t *v;
	json_array_foreach(arr, i, v)
	{
		const json_t *x = json_object_get(sub ? json_object_get(v, sub) : v, key);
		if (!json_is_number(x))
			*missing = true;
		else
			s += json_number_value(x);
	}
	return s;
}

/* sum_map - the per-key sums of object member `map` over the array arr, keys in first-seen order. */
static json_t *sum_map(const json_t *arr, const char *map)
{
	json_t *out = json_object();
	size_t i;
	const json_t *v;
	json_array_foreach(arr, i, v)
	{
		const char *k;
		json_t *x;
		json_object_foreach(json_object_get(v, map), k, x)
		{
			double old = json_number_value(json_object_get(out, k));
			json_object_set_new(out, k, json_real(old + json_number_value(x)));
		}
	}
	return out;
}

/* run_data - what the run plots need of run j; NULL after printing why. */
static json_t *run_data(const char *label, const char *path, const json_t *j)
{
	char why[512];
	if (runsum_check(j, why, sizeof(why))) {
		cli_error(CMD, "%s: %s", path, why);
		return NULL;
	}
	const json_t *sc = json_object_get(j, "scenario"), *vcpus = json_object_get(j, "vcpus");
	const json_t *pcpus = json_object_get(j, "pcpus");
	json_t *lat = json_object();
	for (int k = 0; k < 2; k++) {
		const char *kind = k ? "irq" : "wake";
		struct sim_hist h;
		if (runsum_latency(j, kind, NULL, &h, why, sizeof(why))) {
			json_decref(lat);
			cli_error(CMD, "%s: %s", path, why);
			return NULL;
		}
		json_object_set_new(lat, kind, sim_hist_json(&h));
		sim_hist_free(&h);
	}
	/* VM exits by reason when the run has them, else its HLT exits */
	json_t *exits = json_object();
	const char *reason, *exits_source = "exits";
	json_t *e;
	json_object_foreach((json_t *)json_object_get(j, "exits"), reason, e)
	{
		json_t *n = json_is_object(e) ? json_object_get(e, "samples") : e;
		if (json_is_number(n) && json_number_value(n) > 0)
			json_object_set_new(exits, reason, json_real(json_number_value(n)));
	}
	if (!json_object_size(exits)) {
		bool miss = false;
		double hlt = sum_key(vcpus, "stats", "halt_exits", &miss);
		if (miss) {
			miss = false;
			hlt = sum_key(vcpus, NULL, "halts", &miss);
		}
		json_object_set_new(exits, "HLT", json_real(hlt));
		exits_source = "halt_exits";
	}
	json_t *outcomes = json_object();
	bool miss = false;
	double ok = sum_key(vcpus, "stats", "halt_successful_poll", &miss);
	double tried = sum_key(vcpus, "stats", "halt_attempted_poll", &miss);
	double slept = sum_key(vcpus, "stats", "halt_wakeup", &miss);
	if (!miss) {
		/* disjoint: a failed poll ends in sleep, so halt_wakeup counts those too */
		double nopoll = slept - (tried - ok);
		json_object_set_new(outcomes, "poll succeeded", json_real(ok));
		json_object_set_new(outcomes, "poll failed, then slept", json_real(tried - ok));
		json_object_set_new(outcomes, "slept without polling", json_real(nopoll > 0 ? nopoll : 0));
	}
	double dur = (double)json_integer_value(json_object_get(sc, "duration_ps")) * 1e-12;
	/* what the counts and CPU times cover: the run after its warm-up */
	double span = dur - (double)json_integer_value(json_object_get(sc, "warmup_ps")) * 1e-12;
	const char *name = json_string_value(json_object_get(sc, "name"));
	char desc[256];
	snprintf(desc, sizeof(desc), "%s, kernel %s, seed %lld, %g s, %zu vCPU%s on %zu pCPU%s",
		 name ? name : "(unnamed)",
		 json_string_value(json_object_get(sc, "kernel")) ? json_string_value(json_object_get(sc, "kernel")) : "?",
		 (long long)json_integer_value(json_object_get(sc, "seed")), dur, json_array_size(vcpus),
		 json_array_size(vcpus) == 1 ? "" : "s", json_array_size(pcpus), json_array_size(pcpus) == 1 ? "" : "s");
	return json_pack("{s:s, s:s, s:s, s:f, s:f, s:I, s:I, s:o, s:o, s:s, s:o, s:o, s:o}", "label", label, "file",
			 path, "scenario", desc, "duration_s", dur, "span_s", span, "vcpus", (json_int_t)json_array_size(vcpus), "pcpus",
			 (json_int_t)json_array_size(pcpus), "latency", lat, "exits", exits, "exits_source", exits_source,
			 "halt_outcomes", outcomes,
			 "host_cpu_ps", sum_map(pcpus, "cpu_ps"), "vcpu_cpu_ps", sum_map(vcpus, "cpu_ps"));
}

/* runs_data - the data file of `report runs`; NULL after printing why. */
static json_t *runs_data(const struct report_opts *o, char **args, int n)
{
	if (n < 1) {
		cli_error(CMD, "runs: expected one or more RUN.json files (kvmsim report --help)");
		return NULL;
	}
	if (n > MAX_RUNS) {
		cli_error(CMD, "runs: at most %d runs in one report (got %d)", MAX_RUNS, n);
		return NULL;
	}
	json_t *runs = json_array();
	for (int i = 0; i < n; i++) {
		char label[256];
		const char *path = args[i], *eq = strchr(args[i], '=');
		if (eq && access(args[i], F_OK)) { /* LABEL=PATH, unless a file has that very name */
			snprintf(label, sizeof(label), "%.*s", (int)(eq - args[i]), args[i]);
			path = eq + 1;
		} else {
			const char *b = strrchr(path, '/');
			snprintf(label, sizeof(label), "%s", b ? b + 1 : path);
			size_t l = strlen(label);
			if (l > 5 && !strcmp(label + l - 5, ".json"))
				label[l - 5] = 0;
		}
		for (size_t k = 0; k < json_array_size(runs); k++)
			if (!strcmp(json_string_value(json_object_get(json_array_get(runs, k), "label")), label)) {
				size_t l = strlen(label);
				snprintf(label + l, sizeof(label) - l, " (%d)", i + 1);
				break;
			}
		json_t *j = sim_json_load(CMD, path), *d = j ? run_data(label, path, j) : NULL;
		json_decref(j);
		if (!d) {
			json_decref(runs);
			return NULL;
		}
		json_array_append_new(runs, d);
	}
	return json_pack("{s:s, s:s, s:s, s:o}", "schema", KVMSIM_REPORT_SCHEMA, "kind", "runs", "title",
			 o->title ? o->title : "kvmsim runs", "runs", runs);
}

/* key_index - the index of swept key k in p; -1 if it is not swept. */
static int key_index(const struct plan *p, const char *k)
{
	for (size_t i = 0; i < p->nkeys; i++)
		if (!strcmp(p->keys[i], k))
			return (int)i;
	return -1;
}

/* key_sampled - whether swept key i was drawn (--sample) rather than gridded. */
static bool key_sampled(const struct plan *p, int i)
{
	const char *kind = json_string_value(json_object_get(json_array_get(json_object_get(p->doc, "params"), (size_t)i), "kind"));
	return kind && strcmp(kind, "list") && strcmp(kind, "range");
}

/* metric_arg - the runsum metric named by an option; -1 after printing why. */
static int metric_arg(const char *opt, const char *name)
{
	int m = runsum_find(name);
	if (m < 0) {
		char known[1024] = "";
		for (int i = 0; i < RS_N; i++) {
			strcat(known, i ? ", " : "");
			strcat(known, runsum_desc[i].name);
		}
		cli_error(CMD, "%s: unknown metric \"%s\" (known: %s)", opt, name, known);
	}
	return m;
}

/* distinct - the distinct values of key i over the kept points, in order of first appearance. */
static json_t *distinct(const struct results *r, const bool *keep, int i)
{
	json_t *a = json_array();
	for (size_t k = 0; k < r->npoints; k++) {
		if (!keep[k])
			continue;
		const char *v = r->points[k].values[i];
		bool seen = false;
		for (size_t m = 0; m < json_array_size(a) && !seen; m++)
			seen = !strcmp(json_string_value(json_array_get(a, m)), v);
		if (!seen)
			json_array_append_new(a, json_string(v));
	}
	return a;
}

/* half - a point's 95% interval half-width of metric m (0 without one). */
static double half(const struct result_point *p, int m)
{
	return isnan(p->ci95[m]) ? 0 : p->ci95[m];
}

/*
 * beats - whether q dominates p beyond their replicate intervals: q's upper ends are at or below
 * p's lower ends in latency lm and cost cm, and below in one. A point that only the noise
 * separates from a better one stays on the front.
 */
static bool beats(const struct result_point *q, const struct result_point *p, int lm, int cm)
{
	double ql = q->mean[lm] + half(q, lm), pl = p->mean[lm] - half(p, lm);
	double qc = q->mean[cm] + half(q, cm), pc = p->mean[cm] - half(p, cm);
	return ql <= pl && qc <= pc && (ql < pl || qc < pc);
}

/* sweep_data - the data file of `report sweep`; NULL after printing why. */
static json_t *sweep_data(const struct report_opts *o, const char *dir)
{
	char why[1024];
	struct plan p;
	struct results r;
	if (plan_load(&p, dir, why, sizeof(why))) {
		plan_free(&p);
		cli_error(CMD, "sweep: %s", why);
		return NULL;
	}
	if (results_collect(&p, &r, why, sizeof(why))) {
		plan_free(&p);
		cli_error(CMD, "sweep: %s", why);
		return NULL;
	}
	json_t *out = NULL;
	int zm = metric_arg("--z", o->z ? o->z : "wake_p99_ns");
	int lm = zm < 0 ? -1 : metric_arg("--latency", o->latency ? o->latency : "wake_p99_ns");
	int cm = lm < 0 ? -1 : metric_arg("--cost", o->cost ? o->cost : "host_cpu");
	int xi = p.nkeys > 0 ? 0 : -1, yi = p.nkeys > 1 ? 1 : -1;
	bool *keep = xcalloc(r.npoints + 1, sizeof(bool)), *fixed = xcalloc(p.nkeys + 1, sizeof(bool));
	if (cm < 0)
		goto out;
	if (o->x && (xi = key_index(&p, o->x)) < 0) {
		cli_error(CMD, "--x %s: not a swept key of %s", o->x, p.dir);
		goto out;
	}
	if (o->y && (yi = key_index(&p, o->y)) < 0) {
		cli_error(CMD, "--y %s: not a swept key of %s", o->y, p.dir);
		goto out;
	}
	if (o->x && !o->y && yi == xi)
		yi = p.nkeys > 1 ? (xi == 0 ? 1 : 0) : -1;
	if (o->y && !o->x && xi == yi)
		xi = yi == 0 ? (p.nkeys > 1 ? 1 : -1) : 0;
	if (xi >= 0 && xi == yi) {
		cli_error(CMD, "--x and --y name the same key (%s)", p.keys[xi]);
		goto out;
	}
	for (size_t k = 0; k < r.npoints; k++)
		keep[k] = true;
	json_t *where = json_object();
	for (size_t w = 0; w < o->nwhere; w++) {
		const char *eq = strchr(o->where[w], '=');
		char key[256];
		snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - o->where[w]) : 0, o->where[w]);
		int ki = eq ? key_index(&p, key) : -1;
		if (ki < 0) {
			json_decref(where);
			cli_error(CMD, "--where %s: expected KEY=VALUE with a swept key of %s", o->where[w], p.dir);
			goto out;
		}
		size_t hits = 0;
		for (size_t k = 0; k < r.npoints; k++) {
			keep[k] = keep[k] && !strcmp(r.points[k].values[ki], eq + 1);
			hits += !strcmp(r.points[k].values[ki], eq + 1);
		}
		if (!hits) {
			json_decref(where);
			cli_error(CMD, "--where %s: no point has %s=%s", o->where[w], key, eq + 1);
			goto out;
		}
		fixed[ki] = true;
		json_object_set_new(where, key, json_string(eq + 1));
	}
	/* a grid key other than x and y that still varies would make a cell ambiguous */
	json_t *averaged = json_array();
	for (size_t i = 0; i < p.nkeys; i++) {
		if ((int)i == xi || (int)i == yi || fixed[i])
			continue;
		json_t *vals = distinct(&r, keep, (int)i);
		size_t nv = json_array_size(vals);
		json_decref(vals);
		if (nv <= 1)
			continue;
		if (key_sampled(&p, (int)i)) {
			json_array_append_new(averaged, json_string(p.keys[i]));
			continue;
		}
		json_decref(where);
		json_decref(averaged);
		cli_error(CMD, "sweep: %s also varies (%zu values); fix it with --where %s=VALUE or pick it as --x or --y",
			  p.keys[i], nv, p.keys[i]);
		goto out;
	}
	/* points, and the Pareto front (lower latency and lower cost both better) */
	json_t *pts = json_array();
	for (size_t k = 0; k < r.npoints; k++) {
		if (!keep[k])
			continue;
		const struct result_point *pt = &r.points[k];
		json_t *vals = json_object(), *nums = json_object();
		for (size_t i = 0; i < p.nkeys; i++) {
			json_object_set_new(vals, p.keys[i], json_string(pt->values[i]));
			json_object_set_new(nums, p.keys[i], jnum(ku_value(&r.units[i], pt->values[i])));
		}
		bool front = !isnan(pt->mean[lm]) && !isnan(pt->mean[cm]);
		for (size_t m = 0; m < r.npoints && front; m++) {
			const struct result_point *q = &r.points[m];
			if (!keep[m] || m == k || isnan(q->mean[lm]) || isnan(q->mean[cm]))
				continue;
			if (beats(q, pt, lm, cm))
				front = false;
		}
		json_array_append_new(pts, json_pack("{s:I, s:o, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "point",
						     (json_int_t)pt->point, "values", vals, "runs", (json_int_t)pt->runs,
						     "ok", (json_int_t)pt->ok, "z", jnum(pt->mean[zm]), "z_ci95",
						     jnum(pt->ci95[zm]), "latency", jnum(pt->mean[lm]), "latency_ci95",
						     jnum(pt->ci95[lm]), "cost", jnum(pt->mean[cm]), "cost_ci95",
						     jnum(pt->ci95[cm]), "pareto", front));
		json_object_set_new(json_array_get(pts, json_array_size(pts) - 1), "numbers", nums);
	}
	json_t *params = json_array();
	for (size_t i = 0; i < p.nkeys; i++)
		json_array_append_new(params,
				      json_pack("{s:s, s:b, s:O, s:s?}", "key", p.keys[i], "sampled", key_sampled(&p, (int)i), "kind",
						json_object_get(json_array_get(json_object_get(p.doc, "params"), i), "kind"),
						"unit", ku_unit(&r.units[i])));
	char title[512];
	snprintf(title, sizeof(title), "kvmsim sweep %s", p.dir);
	const char *scen = json_string_value(json_object_get(p.doc, "scenario"));
	out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:I, s:o, s:o, s:o, s:o}", "schema", KVMSIM_REPORT_SCHEMA,
			"kind", "sweep", "title", o->title ? o->title : title, "sweep", p.dir, "scenario",
			scen ? scen : "(built-in default)", "params", params, "runs", (json_int_t)p.nruns, "failed",
			(json_int_t)(r.failed + r.missing), "set", json_deep_copy(json_object_get(p.doc, "set")),
			"where", where, "averaged_over", averaged, "points", pts);
	json_object_set_new(out, "x", xi >= 0 ? json_string(p.keys[xi]) : json_null());
	json_object_set_new(out, "y", yi >= 0 ? json_string(p.keys[yi]) : json_null());
	json_object_set_new(out, "x_values", xi >= 0 ? distinct(&r, keep, xi) : json_array());
	json_object_set_new(out, "y_values", yi >= 0 ? distinct(&r, keep, yi) : json_array());
	json_object_set_new(out, "x_sampled", json_boolean(xi >= 0 && key_sampled(&p, xi)));
	json_object_set_new(out, "y_sampled", json_boolean(yi >= 0 && key_sampled(&p, yi)));
	json_object_set_new(out, "z", json_pack("{s:s, s:s}", "name", runsum_desc[zm].name, "label", runsum_desc[zm].label));
	json_object_set_new(out, "z_scale", json_string(o->zscale ? o->zscale : "auto"));
	json_object_set_new(out, "latency",
			    json_pack("{s:s, s:s}", "name", runsum_desc[lm].name, "label", runsum_desc[lm].label));
	json_object_set_new(out, "cost", json_pack("{s:s, s:s}", "name", runsum_desc[cm].name, "label", runsum_desc[cm].label));
out:
	free(keep);
	free(fixed);
	results_free(&r);
	plan_free(&p);
	return out;
}

/* draw - run report.py on the data file in dir; exit status. */
static int draw(const struct report_opts *o, const char *dir)
{
	char script[PATH_MAX + 16], data[PATH_MAX + 32];
	snprintf(script, sizeof(script), "%s/report.py", o->scripts);
	snprintf(data, sizeof(data), "%s/report-data.json", dir);
	if (access(script, R_OK)) {
		fprintf(stderr, "kvmsim report: %s: cannot read: %s (--scripts or KVMSIM_REPORTS)\n", script,
			strerror(errno));
		return EXIT_FAILED;
	}
	pid_t pid = fork();
	if (pid == 0) {
		setenv("MPLBACKEND", "Agg", 1);
		execl(o->python, o->python, "-B", script, data, dir, (char *)NULL);
		fprintf(stderr, "kvmsim report: cannot run %s: %s (--python or KVMSIM_PYTHON)\n", o->python,
			strerror(errno));
		_exit(127);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		fprintf(stderr, "kvmsim report: cannot run %s: %s\n", o->python, strerror(errno));
		return EXIT_FAILED;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return EXIT_FAILED;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "kvmsim report: %s %s failed (%s %d)\n", o->python, script,
			WIFEXITED(status) ? "exit status" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return EXIT_FAILED;
	}
	return 0;
}

/* write_data - OUT/report-data.json; exit status. */
static int write_data(const char *dir, const json_t *doc)
{
	char path[PATH_MAX + 32];
	if (mkdir(dir, 0777) && errno != EEXIST) {
		fprintf(stderr, "kvmsim report: %s: cannot create: %s\n", dir, strerror(errno));
		return EXIT_FAILED;
	}
	snprintf(path, sizeof(path), "%s/report-data.json", dir);
	FILE *f = cli_open_out(CMD, path);
	if (!f)
		return EXIT_FAILED;
	sim_json_dump(doc, f);
	return cli_close_out(CMD, path, f);
}

/* cmd_report - `kvmsim report` (listed in sim/study/commands.c). */
int cmd_report(int argc, char **argv)
{
	enum { O_TITLE = 256, O_X, O_Y, O_Z, O_WHERE, O_LAT, O_COST, O_PY, O_SCRIPTS, O_ZSCALE };
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },	    { "title", required_argument, NULL, O_TITLE },
		{ "x", required_argument, NULL, O_X },		    { "y", required_argument, NULL, O_Y },
		{ "z", required_argument, NULL, O_Z },		    { "z-scale", required_argument, NULL, O_ZSCALE },
		    { "where", required_argument, NULL, O_WHERE },
		{ "latency", required_argument, NULL, O_LAT },	    { "cost", required_argument, NULL, O_COST },
		{ "python", required_argument, NULL, O_PY },	    { "scripts", required_argument, NULL, O_SCRIPTS },
		{ "quiet", no_argument, NULL, 'q' },		    { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct report_opts o = { 0 };
	o.python = getenv("KVMSIM_PYTHON") ? getenv("KVMSIM_PYTHON") : "/usr/bin/python3";
	o.scripts = getenv("KVMSIM_REPORTS") ? getenv("KVMSIM_REPORTS") : KVMSIM_REPORTS_DIR;
	o.where = xcalloc((size_t)argc + 1, sizeof(char *));
	int c, rc = 0;
	optind = 1;
	opterr = 0;
	while (!rc && (c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.out = optarg;
			break;
		case O_TITLE:
			o.title = optarg;
			break;
		case O_X:
			o.x = optarg;
			break;
		case O_Y:
			o.y = optarg;
			break;
		case O_Z:
			o.z = optarg;
			break;
		case O_WHERE:
			o.where[o.nwhere++] = optarg;
			break;
		case O_ZSCALE:
			if (strcmp(optarg, "linear") && strcmp(optarg, "log") && strcmp(optarg, "auto"))
				rc = cli_error(CMD, "--z-scale: expected linear, log or auto, got \"%s\"", optarg);
			o.zscale = optarg;
			break;
		case O_LAT:
			o.latency = optarg;
			break;
		case O_COST:
			o.cost = optarg;
			break;
		case O_PY:
			o.python = optarg;
			break;
		case O_SCRIPTS:
			o.scripts = optarg;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'h':
			report_usage(stdout);
			free(o.where);
			return 0;
		default:
			rc = cli_bad_option(CMD, argv);
		}
	}
	const char *kind = optind < argc ? argv[optind] : NULL;
	bool sweep = kind && !strcmp(kind, "sweep");
	if (!rc && (!kind || (strcmp(kind, "runs") && !sweep)))
		rc = cli_error(CMD, kind ? "unknown report \"%s\" (runs or sweep)" : "which report? runs or sweep%s",
			       kind ? kind : " (kvmsim report --help)");
	if (!rc && !sweep && (o.x || o.y || o.z || o.zscale || o.nwhere || o.latency || o.cost))
		rc = cli_error(CMD, "runs: --x, --y, --z, --z-scale, --where, --latency and --cost are for sweep reports");
	if (!rc && sweep && argc - optind != 2)
		rc = cli_error(CMD, "sweep: expected one sweep directory (got %d)", argc - optind - 1);
	json_t *doc = NULL;
	char outdir[PATH_MAX];
	if (!rc) {
		doc = sweep ? sweep_data(&o, argv[optind + 1]) : runs_data(&o, argv + optind + 1, argc - optind - 1);
		if (!doc)
			rc = EXIT_BAD_INPUT;
	}
	if (!rc) {
		if (o.out)
			snprintf(outdir, sizeof(outdir), "%s", o.out);
		else if (sweep)
			snprintf(outdir, sizeof(outdir), "%s/report", argv[optind + 1]);
		else
			snprintf(outdir, sizeof(outdir), "report");
		rc = write_data(outdir, doc);
	}
	if (!rc)
		rc = draw(&o, outdir);
	if (!rc && !o.quiet)
		printf("report %s/report.html (figures as PNG and SVG beside it; data in report-data.json)\n", outdir);
	json_decref(doc);
	free(o.where);
	return rc;
}
