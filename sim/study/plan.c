/*
 * plan.c - building, saving, loading and reading a sweep plan (see plan.h).
 * The plan records everything that decides a run's output and nothing about
 * how runs are executed (jobs, timeouts, hosts), so the same plan can be run
 * here, by GNU parallel or by Slurm, and restarted with other execution options.
 */
#include "sim/study/plan.h"
#include "sim/err.h"
#include "sim/xalloc.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/out_json.h"
#include "sim/schema.h"

#ifndef KVMSIM_VERSION
#define KVMSIM_VERSION "0.0.0"
#endif

/* fnv1a_file - FNV-1a 64 of a file's bytes as 16 hex digits; -1 if unreadable. */
static int fnv1a_file(const char *path, char out[17])
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	int c;
	while ((c = getc(f)) != EOF)
		h = (h ^ (unsigned char)c) * UINT64_C(0x100000001b3);
	int bad = ferror(f);
	fclose(f);
	snprintf(out, 17, "%016llx", (unsigned long long)h);
	return bad ? -1 : 0;
}

/* abs_path - an absolute, canonical path of an existing file; NULL with why. */
static char *abs_path(const char *path, const char *what, char *why, size_t len)
{
	char *r = realpath(path, NULL);
	if (!r)
		errf(why, len, "%s%s: cannot open: %s", what, path, strerror(errno));
	return r;
}

json_t *plan_json_seed(uint64_t seed)
{
	if (seed <= INT64_MAX)
		return json_integer((json_int_t)seed);
	char buf[24];
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)seed);
	return json_string(buf);
}

int plan_seed(const json_t *j, uint64_t *seed)
{
	if (json_is_integer(j) && json_integer_value(j) >= 0) {
		*seed = (uint64_t)json_integer_value(j);
		return 0;
	}
	const char *s = json_string_value(j), *why;
	return s && s[0] >= '0' && s[0] <= '9' && !cfg_parse_u64(s, seed, &why) ? 0 : -1;
}

/* set_key_len - length of the key in "KEY=VALUE"; 0 if there is no '='. */
static size_t set_key_len(const char *s)
{
	const char *eq = strchr(s, '=');
	return eq ? (size_t)(eq - s) : 0;
}

/* index_plan - fill the fields of p that are views of p->doc; -1 with why if it is malformed. */
static int index_plan(struct plan *p, const char *src, char *why, size_t len)
{
	json_t *d = p->doc;
	const char *schema = json_string_value(json_object_get(d, "schema"));
	if (!schema || strcmp(schema, KVMSIM_SWEEP_SCHEMA))
		return errf(why, len, "%s: not a kvmsim sweep plan (expected schema \"%s\")", src,
			    KVMSIM_SWEEP_SCHEMA);
	json_t *runs = json_object_get(d, "runs"), *params = json_object_get(d, "params");
	json_t *sc = json_object_get(d, "scenario");
	if (!json_is_array(runs) || !json_is_array(params) || !(json_is_string(sc) || json_is_null(sc)) ||
	    !json_is_array(json_object_get(d, "set")) || !json_is_array(json_object_get(d, "policy_libs")))
		return errf(why, len, "%s: malformed sweep plan (scenario, set, policy_libs, params, runs)", src);
	p->scenario = json_string_value(sc);
	p->nkeys = json_array_size(params);
	p->keys = xcalloc(p->nkeys + 1, sizeof(char *));
	for (size_t i = 0; i < p->nkeys; i++) {
		p->keys[i] = json_string_value(json_object_get(json_array_get(params, i), "key"));
		if (!p->keys[i])
			return errf(why, len, "%s: params[%zu] has no key", src, i);
	}
	p->nruns = json_array_size(runs);
	p->npoints = 0;
	for (size_t i = 0; i < p->nruns; i++) {
		json_t *r = json_array_get(runs, i), *set = json_object_get(r, "set");
		json_int_t pt = json_integer_value(json_object_get(r, "point"));
		if (json_integer_value(json_object_get(r, "run")) != (json_int_t)i + 1 || pt < 1 ||
		    plan_seed(json_object_get(r, "seed"), &(uint64_t){ 0 }) || json_object_size(set) != p->nkeys)
			return errf(why, len, "%s: runs[%zu] is malformed (run, point, seed, set)", src, i);
		for (size_t k = 0; k < p->nkeys; k++)
			if (!json_is_string(json_object_get(set, p->keys[k])))
				return errf(why, len, "%s: run %zu has no value for %s", src, i + 1, p->keys[k]);
		if ((size_t)pt > p->npoints)
			p->npoints = (size_t)pt;
	}
	p->idwidth = 4;
	for (size_t n = p->nruns; n >= 10000; n /= 10)
		p->idwidth++;
	return 0;
}

int plan_build(struct plan *p, const char *dir, const char *scenario, char *const *sets, size_t nsets,
	       char *const *libs, size_t nlibs, const struct design *d, char *why, size_t len)
{
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < nsets; i++) {
		size_t kl = set_key_len(sets[i]);
		if (!kl)
			return errf(why, len, "--set %s: expected KEY=VALUE", sets[i]);
		if (kl == 4 && !strncmp(sets[i], "seed", 4))
			return errf(why, len, "--set %s: a sweep sets each run's seed (use --seed and --replicates)",
				    sets[i]);
		for (size_t k = 0; k < d->nparams; k++)
			if (strlen(d->params[k].key) == kl && !strncmp(d->params[k].key, sets[i], kl))
				return errf(why, len, "--set %s: %s is swept; it cannot also be fixed", sets[i],
					    d->params[k].key);
	}
	for (size_t k = 0; k < d->nparams; k++)
		if (!strcmp(d->params[k].key, "seed"))
			return errf(why, len, "seed cannot be swept as a key: use --replicates N and --seed S");

	json_t *doc = json_object();
	json_object_set_new(doc, "schema", json_string(KVMSIM_SWEEP_SCHEMA));
	json_object_set_new(doc, "kvmsim", json_string(KVMSIM_VERSION));
	if (scenario) {
		char *abs = abs_path(scenario, "", why, len);
		char hash[17];
		if (!abs) {
			json_decref(doc);
			return -1;
		}
		if (fnv1a_file(abs, hash)) {
			errf(why, len, "%s: cannot read: %s", scenario, strerror(errno));
			free(abs);
			json_decref(doc);
			return -1;
		}
		json_object_set_new(doc, "scenario", json_string(abs));
		json_object_set_new(doc, "scenario_fnv1a64", json_string(hash));
		free(abs);
	} else {
		json_object_set_new(doc, "scenario", json_null());
	}
	json_t *js = json_array(), *jl = json_array();
	for (size_t i = 0; i < nsets; i++)
		json_array_append_new(js, json_string(sets[i]));
	json_object_set_new(doc, "set", js);
	for (size_t i = 0; i < nlibs; i++) {
		char *abs = abs_path(libs[i], "--policy-lib ", why, len);
		if (!abs) {
			json_decref(jl);
			json_decref(doc);
			return -1;
		}
		json_array_append_new(jl, json_string(abs));
		free(abs);
	}
	json_object_set_new(doc, "policy_libs", jl);
	json_object_set_new(doc, "design", json_string(dsg_design_name(d->kind)));
	if (d->kind != DSG_GRID) {
		json_object_set_new(doc, "design_seed", json_integer((json_int_t)d->design_seed));
		json_object_set_new(doc, "samples", json_integer((json_int_t)d->samples));
	}
	json_object_set_new(doc, "replicates", json_integer((json_int_t)d->replicates));
	json_object_set_new(doc, "seed", plan_json_seed(d->seed));
	json_t *params = json_array();
	for (size_t k = 0; k < d->nparams; k++)
		json_array_append_new(params, json_pack("{s:s, s:s, s:s}", "key", d->params[k].key, "kind",
							dsg_kind_name(d->params[k].kind), "spec",
							d->params[k].spec));
	json_object_set_new(doc, "params", params);
	json_object_set_new(doc, "points", json_integer((json_int_t)d->npoints));
	json_t *runs = json_array();
	for (size_t i = 0; i < d->nruns; i++) {
		json_t *set = json_object();
		for (size_t k = 0; k < d->nparams; k++)
			json_object_set_new(set, d->params[k].key, json_string(d->runs[i].values[k]));
		json_array_append_new(runs, json_pack("{s:I, s:I, s:o, s:o}", "run", (json_int_t)i + 1, "point",
						      (json_int_t)d->runs[i].point, "seed",
						      plan_json_seed(d->runs[i].seed), "set", set));
	}
	json_object_set_new(doc, "runs", runs);
	p->doc = doc;
	p->dir = xstrdup(dir);
	return index_plan(p, "sweep", why, len);
}

/* mkdir_p - create dir and its parents; -1 with errno. */
static int mkdir_p(const char *dir)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *s = buf + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			if (mkdir(buf, 0777) && errno != EEXIST)
				return -1;
			*s = '/';
		}
	if (mkdir(buf, 0777) && errno != EEXIST)
		return -1;
	struct stat st;
	if (stat(buf, &st))
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int plan_save(struct plan *p, char *why, size_t len)
{
	char path[PATH_MAX];
	if (mkdir_p(p->dir))
		return errf(why, len, "%s: cannot create: %s", p->dir, strerror(errno));
	char *abs = realpath(p->dir, NULL);
	if (!abs)
		return errf(why, len, "%s: %s", p->dir, strerror(errno));
	free(p->dir);
	p->dir = abs;
	snprintf(path, sizeof(path), "%s/runs", p->dir);
	if (mkdir_p(path))
		return errf(why, len, "%s: cannot create: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/sweep.json", p->dir);
	char *want = json_dumps(p->doc, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
	FILE *f = fopen(path, "r");
	if (f) {
		/* an existing plan: the same sweep resumes, another one is refused */
		json_error_t je;
		json_t *old = json_loadf(f, 0, &je);
		fclose(f);
		int same = old && json_equal(old, p->doc);
		json_decref(old);
		free(want);
		if (same)
			return 0;
		errf(why, len,
		     "%s holds another sweep (its sweep.json differs: other parameters, scenario or version); "
		     "use another --out or remove it",
		     p->dir);
		return 1;
	}
	char tmp[PATH_MAX + 16];
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		free(want);
		return errf(why, len, "%s: cannot write: %s", tmp, strerror(errno));
	}
	fputs(want, f);
	fputc('\n', f);
	free(want);
	if (ferror(f) | fclose(f) || rename(tmp, path)) {
		unlink(tmp);
		return errf(why, len, "%s: write failed: %s", path, strerror(errno));
	}
	return 0;
}

int plan_load(struct plan *p, const char *dir, char *why, size_t len)
{
	memset(p, 0, sizeof(*p));
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/sweep.json", dir);
	json_error_t je;
	FILE *f = fopen(path, "r");
	if (!f)
		return errf(why, len, "%s: cannot open: %s (not a sweep directory?)", path, strerror(errno));
	p->doc = json_loadf(f, 0, &je);
	fclose(f);
	if (!p->doc)
		return errf(why, len, "%s:%d: %s", path, je.line, je.text);
	p->dir = realpath(dir, NULL);
	if (!p->dir)
		return errf(why, len, "%s: %s", dir, strerror(errno));
	return index_plan(p, path, why, len);
}

void plan_free(struct plan *p)
{
	json_decref(p->doc);
	free(p->dir);
	free(p->keys);
	memset(p, 0, sizeof(*p));
}

const json_t *plan_run(const struct plan *p, size_t id)
{
	return json_array_get(json_object_get(p->doc, "runs"), id - 1);
}

char *plan_path(const struct plan *p, size_t id, const char *suffix)
{
	size_t n = strlen(p->dir) + strlen(suffix) + 48;
	char *s = xcalloc(1, n);
	snprintf(s, n, "%s/runs/%0*zu%s", p->dir, p->idwidth, id, suffix);
	return s;
}

enum run_state plan_state(const struct plan *p, size_t id)
{
	char *ok = plan_path(p, id, ".json"), *bad = plan_path(p, id, ".fail.json");
	enum run_state s = !access(ok, F_OK) ? RUN_OK : !access(bad, F_OK) ? RUN_FAILED : RUN_TODO;
	free(ok);
	free(bad);
	return s;
}

/* has_override - whether the array of strings ov holds "KEY=VALUE" (key and value given apart). */
static bool has_override(const json_t *ov, const char *key, size_t kl, const char *value)
{
	size_t i;
	const json_t *v;
	json_array_foreach(ov, i, v)
	{
		const char *s = json_string_value(v);
		if (s && !strncmp(s, key, kl) && s[kl] == '=' && !strcmp(s + kl + 1, value))
			return true;
	}
	return false;
}

/* check_ok_result - the identity of run id's result document j at path; -1 with why. */
static int check_ok_result(const struct plan *p, size_t id, const json_t *j, const char *path, char *why,
			   size_t len)
{
	const json_t *run = plan_run(p, id), *sc = json_object_get(j, "scenario");
	const json_t *ov = json_object_get(sc, "overrides"), *pset = json_object_get(run, "set");
	uint64_t seed = 0;
	plan_seed(json_object_get(run, "seed"), &seed);
	const char *schema = json_string_value(json_object_get(j, "schema"));
	if (!schema || strcmp(schema, "kvmsim-run/1") || !json_is_integer(json_object_get(sc, "seed")) ||
	    !json_is_array(ov))
		return errf(why, len, "%s: not a kvmsim-run/1 result (scenario.seed, scenario.overrides)", path);
	uint64_t got = (uint64_t)json_integer_value(json_object_get(sc, "seed"));
	if (got != seed)
		return errf(why, len, "%s: holds the output of seed %llu, not run %zu's seed %llu", path,
			    (unsigned long long)got, id, (unsigned long long)seed);
	for (size_t k = 0; k < p->nkeys; k++) {
		const char *v = json_string_value(json_object_get(pset, p->keys[k]));
		if (!has_override(ov, p->keys[k], strlen(p->keys[k]), v ? v : ""))
			return errf(why, len, "%s: was not run with run %zu's %s=%s", path, id, p->keys[k], v ? v : "");
	}
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(p->doc, "set"), i, v)
	{
		const char *s = json_string_value(v), *eq = s ? strchr(s, '=') : NULL;
		if (eq && !has_override(ov, s, (size_t)(eq - s), eq + 1))
			return errf(why, len, "%s: was not run with the sweep's --set %s", path, s);
	}
	return 0;
}

int plan_check_result(const struct plan *p, size_t id, char *why, size_t len)
{
	enum run_state st = plan_state(p, id);
	if (st == RUN_TODO)
		return 0;
	char *path = plan_path(p, id, st == RUN_OK ? ".json" : ".fail.json");
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	int rc = 0;
	if (!j)
		rc = errf(why, len, "%s:%d: %s", path, je.line, je.text);
	else if (st == RUN_OK)
		rc = check_ok_result(p, id, j, path, why, len);
	else if (json_integer_value(json_object_get(j, "run")) != (json_int_t)id)
		rc = errf(why, len, "%s: records the failure of another run than run %zu", path, id);
	json_decref(j);
	free(path);
	return rc;
}

/* xasprintf - asprintf that cannot fail. */
static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		fprintf(stderr, "kvmsim: out of memory\n");
		exit(1); /* EXIT_FAILED: the work could not be done */
	}
	va_end(ap);
	return s;
}

char **plan_argv(const struct plan *p, size_t id, const char *kvmsim, const char *json_out,
		 const char *const *extra)
{
	const json_t *run = plan_run(p, id), *sets = json_object_get(p->doc, "set");
	const json_t *libs = json_object_get(p->doc, "policy_libs"), *pset = json_object_get(run, "set");
	size_t nextra = 0;
	while (extra && extra[nextra])
		nextra++;
	size_t n = 0, cap = 12 + nextra + 2 * (json_array_size(sets) + json_array_size(libs) + p->nkeys);
	char **argv = xcalloc(cap, sizeof(char *));
	argv[n++] = xstrdup(kvmsim);
	argv[n++] = xstrdup("run");
	if (p->scenario)
		argv[n++] = xstrdup(p->scenario);
	argv[n++] = xstrdup("--quiet");
	argv[n++] = xstrdup("--no-progress");
	if (json_out) {
		argv[n++] = xstrdup("--json");
		argv[n++] = xstrdup(json_out);
	}
	argv[n++] = xstrdup("--seed");
	uint64_t seed = 0;
	plan_seed(json_object_get(run, "seed"), &seed);
	argv[n++] = xasprintf("%llu", (unsigned long long)seed);
	size_t i;
	const json_t *v;
	json_array_foreach(libs, i, v)
	{
		argv[n++] = xstrdup("--policy-lib");
		argv[n++] = xstrdup(json_string_value(v));
	}
	json_array_foreach(sets, i, v)
	{
		argv[n++] = xstrdup("--set");
		argv[n++] = xstrdup(json_string_value(v));
	}
	for (size_t k = 0; k < p->nkeys; k++) {
		argv[n++] = xstrdup("--set");
		argv[n++] = xasprintf("%s=%s", p->keys[k], json_string_value(json_object_get(pset, p->keys[k])));
	}
	for (size_t e = 0; e < nextra; e++)
		argv[n++] = xstrdup(extra[e]);
	argv[n] = NULL;
	return argv;
}

void plan_argv_free(char **argv)
{
	for (char **a = argv; a && *a; a++)
		free(*a);
	free(argv);
}

/* parse_id - a run id of p from [s, end); 0 if it is not one. */
static size_t parse_id(const struct plan *p, const char *s, const char **end)
{
	char *e;
	errno = 0;
	unsigned long long v = strtoull(s, &e, 10);
	*end = e;
	if (e == s || errno || v < 1 || v > p->nruns || *s == '-' || *s == '+')
		return 0;
	return (size_t)v;
}

int plan_parse_ids(const struct plan *p, const char *s, size_t **ids, size_t *n, char *why, size_t len)
{
	const char *c = s;
	for (;;) {
		const char *e;
		size_t a = parse_id(p, c, &e), b = a;
		if (a && *e == '-')
			b = parse_id(p, e + 1, &e);
		if (!a || !b || b < a || (*e && *e != ','))
			return errf(why, len, "expected run ids 1..%zu as ID, FIRST-LAST or a list of them", p->nruns);
		*ids = xrealloc(*ids, (*n + (b - a) + 1) * sizeof(size_t));
		for (size_t i = a; i <= b; i++)
			(*ids)[(*n)++] = i;
		if (!*e)
			return 0;
		c = e + 1;
	}
}
