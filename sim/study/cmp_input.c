/* cmp_input.c - the runs of one side of `kvmsim compare` (see cmp_input.h). */
#include "sim/study/cmp_input.h"
#include "sim/err.h"
#include "sim/xalloc.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/cli.h"
#include "sim/out_json.h"
#include "sim/study/plan.h"
#include "sim/study/runsum.h"

/* push - add run document j read from path. */
static void push(struct cmp_side *s, json_t *j, const char *path)
{
	s->docs = xrealloc(s->docs, (s->n + 1) * sizeof(*s->docs));
	s->paths = xrealloc(s->paths, (s->n + 1) * sizeof(*s->paths));
	s->docs[s->n] = j;
	s->paths[s->n++] = xstrdup(path);
}

/* add_file - a run document; an exit status after printing why. */
static int add_file(const char *cmd, struct cmp_side *s, const char *path)
{
	json_t *j = sim_json_load(cmd, path);
	if (!j)
		return EXIT_BAD_INPUT;
	char why[256];
	if (runsum_check(j, why, sizeof(why))) {
		json_decref(j);
		return cli_error(cmd, "%s: %s", path, why);
	}
	push(s, j, path);
	return 0;
}

/* add_sweep - the finished runs of point (0: the only point) of the sweep in dir. */
static int add_sweep(const char *cmd, struct cmp_side *s, const char *arg, const char *dir, size_t point)
{
	struct plan p;
	char why[1024];
	if (plan_load(&p, dir, why, sizeof(why))) {
		plan_free(&p);
		return cli_error(cmd, "%s: %s", arg, why);
	}
	if (!point && p.npoints > 1) {
		size_t n = p.npoints;
		plan_free(&p);
		return cli_error(cmd, "%s: the sweep has %zu points; name one as %s:POINT", arg, n, dir);
	}
	if (point > p.npoints) {
		size_t n = p.npoints;
		plan_free(&p);
		return cli_error(cmd, "%s: the sweep has no point %zu (1..%zu)", arg, point, n);
	}
	size_t before = s->n;
	int rc = 0;
	for (size_t id = 1; !rc && id <= p.nruns; id++) {
		size_t pt = (size_t)json_integer_value(json_object_get(plan_run(&p, id), "point"));
		if ((point && pt != point) || plan_state(&p, id) != RUN_OK)
			continue;
		if (plan_check_result(&p, id, why, sizeof(why))) {
			fprintf(stderr, "kvmsim %s: warning: %s; left out\n", cmd, why);
			continue;
		}
		char *path = plan_path(&p, id, ".json");
		rc = add_file(cmd, s, path);
		free(path);
	}
	if (!rc && s->n == before)
		rc = cli_error(cmd, "%s: the sweep has no finished run%s", arg, point ? " at that point" : "");
	plan_free(&p);
	return rc;
}

int cmp_side_add(const char *cmd, struct cmp_side *s, const char *arg)
{
	size_t gl = s->given ? strlen(s->given) : 0;
	s->given = xrealloc(s->given, gl + strlen(arg) + 3);
	sprintf(s->given + gl, "%s%s", gl ? ", " : "", arg);
	struct stat st;
	if (!stat(arg, &st))
		return S_ISDIR(st.st_mode) ? add_sweep(cmd, s, arg, arg, 0) : add_file(cmd, s, arg);
	const char *colon = strrchr(arg, ':');
	char *end;
	if (colon && colon[1] >= '1' && colon[1] <= '9') {
		errno = 0;
		unsigned long long pt = strtoull(colon + 1, &end, 10);
		char *dir = xstrdup(arg);
		dir[colon - arg] = 0;
		if (!*end && !errno && !stat(dir, &st) && S_ISDIR(st.st_mode)) {
			int rc = add_sweep(cmd, s, arg, dir, pt > SIZE_MAX ? SIZE_MAX : (size_t)pt);
			free(dir);
			return rc;
		}
		free(dir);
	}
	return add_file(cmd, s, arg); /* says why it cannot be opened */
}

void cmp_side_free(struct cmp_side *s)
{
	for (size_t i = 0; i < s->n; i++) {
		json_decref(s->docs[i]);
		free(s->paths[i]);
	}
	free(s->docs);
	free(s->paths);
	free(s->given);
	memset(s, 0, sizeof(*s));
}

/* field - scenario.KEY of run j as text ("?" if absent). */
static const char *field(const json_t *j, const char *key, char *buf, size_t len)
{
	const json_t *v = json_object_get(json_object_get(j, "scenario"), key);
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else
		snprintf(buf, len, "?");
	return buf;
}

/* duration - scenario.duration_ps of j as "0.2 s". */
static const char *duration(const json_t *j, char *buf, size_t len)
{
	double ps = (double)json_integer_value(json_object_get(json_object_get(j, "scenario"), "duration_ps"));
	snprintf(buf, len, "%g s", ps * 1e-12);
	return buf;
}

void cmp_side_describe(const struct cmp_side *s, char *buf, size_t len)
{
	char b1[32], b2[32];
	const json_t *j = s->docs[0];
	const json_t *sc = json_object_get(j, "scenario");
	const char *name = json_string_value(json_object_get(sc, "name"));
	int n = snprintf(buf, len, "%s, kernel %s, seed%s ", name ? name : "(unnamed)", field(j, "kernel", b1, sizeof(b1)),
			 s->n > 1 ? "s" : "");
	for (size_t i = 0; i < s->n && n > 0 && (size_t)n < len; i++) {
		uint64_t seed = (uint64_t)json_integer_value(json_object_get(json_object_get(s->docs[i], "scenario"), "seed"));
		if (i == 8 && s->n > 9) {
			n += snprintf(buf + n, len - (size_t)n, "... ");
			i = s->n - 1;
			seed = (uint64_t)json_integer_value(json_object_get(json_object_get(s->docs[i], "scenario"), "seed"));
		}
		n += snprintf(buf + n, len - (size_t)n, "%llu%s", (unsigned long long)seed, i + 1 < s->n ? " " : "");
	}
	if (n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ", %s", duration(j, b2, sizeof(b2)));
}

/* warn_key - warn when some run of base or cand differs from base's first run in what get returns. */
static void warn_key(const char *cmd, const struct cmp_side *base, const struct cmp_side *cand, const char *what,
		     const char *(*get)(const json_t *, char *, size_t))
{
	char ref[160], b[160];
	snprintf(ref, sizeof(ref), "%s", get(base->docs[0], b, sizeof(b)));
	const struct cmp_side *sides[2] = { base, cand };
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < sides[k]->n; i++) {
			const char *v = get(sides[k]->docs[i], b, sizeof(b));
			if (strcmp(v, ref)) {
				fprintf(stderr, "kvmsim %s: warning: the runs differ in %s: %s has %s, %s has %s\n", cmd,
					what, base->paths[0], ref, sides[k]->paths[i], v);
				return;
			}
		}
}

static const char *get_scenario(const json_t *j, char *buf, size_t len)
{
	return field(j, "name", buf, len);
}

static const char *get_kernel(const json_t *j, char *buf, size_t len)
{
	return field(j, "kernel", buf, len);
}

void cmp_warn_differ(const char *cmd, const struct cmp_side *base, const struct cmp_side *cand)
{
	warn_key(cmd, base, cand, "scenario", get_scenario);
	warn_key(cmd, base, cand, "duration", duration);
	warn_key(cmd, base, cand, "kernel", get_kernel);
}

int cmp_side_hists(const struct cmp_side *s, const char *kind, const char *vcpu, struct sim_hist *h, char *why,
		   size_t len)
{
	char w[256];
	for (size_t i = 0; i < s->n; i++)
		if (runsum_latency(s->docs[i], kind, vcpu, &h[i], w, sizeof(w))) {
			for (size_t k = 0; k < i; k++)
				sim_hist_free(&h[k]);
			return errf(why, len, "%s: %s", s->paths[i], w);
		}
	return 0;
}

const char *const cmp_metric_kinds[CMP_NMETRICS] = { "wake", "irq", "clat", "rtt" };

int cmp_metric_find(const char *name)
{
	for (int i = 0; i < CMP_NMETRICS; i++)
		if (!strcmp(name, cmp_metric_kinds[i]))
			return i;
	return -1;
}
