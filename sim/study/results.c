/*
 * results.c - a sweep's results tables (see results.h): reading the run
 * files, averaging replicates with GSL, writing CSV and SQLite. Both files
 * are written beside their final name and renamed, so a reader never sees
 * half a table.
 */
#include "sim/study/results.h"
#include "sim/err.h"
#include "sim/xalloc.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include <jansson.h>
#include <sqlite3.h>

/* read_row - fill row from run id's result file. */
static void read_row(const struct plan *p, size_t id, struct result_row *row)
{
	const json_t *run = plan_run(p, id), *set = json_object_get(run, "set");
	row->run = id;
	row->point = (size_t)json_integer_value(json_object_get(run, "point"));
	plan_seed(json_object_get(run, "seed"), &row->seed);
	row->values = xcalloc(p->nkeys + 1, sizeof(char *));
	for (size_t k = 0; k < p->nkeys; k++)
		row->values[k] = json_string_value(json_object_get(set, p->keys[k]));
	for (int m = 0; m < RS_N; m++)
		row->sum.v[m] = NAN;
	row->state = plan_state(p, id);
	char *path = plan_path(p, id, row->state == RUN_OK ? ".json" : ".fail.json");
	json_error_t je;
	json_t *j = row->state == RUN_TODO ? NULL : json_load_file(path, 0, &je);
	char why[512];
	if (row->state == RUN_OK) {
		if (!j) {
			snprintf(why, sizeof(why), "%s:%d: %s", path, je.line, je.text);
		} else if (plan_check_result(p, id, why, sizeof(why))) {
			/* another run's output (a copy or a hand edit): why says whose */
		} else if (!runsum_from_json(j, &row->sum, why, sizeof(why))) {
			why[0] = 0;
		}
		if (why[0]) {
			row->state = RUN_FAILED; /* a result file we cannot read is no result */
			row->error = xstrdup(why);
		}
	} else if (row->state == RUN_FAILED) {
		const char *e = json_string_value(json_object_get(j, "error"));
		row->error = xstrdup(e ? e : j ? "failed (no reason recorded)" : "failed (unreadable record)");
	}
	json_decref(j);
	free(path);
}

/* make_points - average each point's successful replicates. */
static void make_points(struct results *r)
{
	r->npoints = r->plan->npoints;
	r->points = xcalloc(r->npoints + 1, sizeof(*r->points));
	double *buf = xcalloc(1, (r->nrows + 1) * sizeof(double));
	for (size_t i = 0; i < r->nrows; i++) {
		struct result_point *pt = &r->points[r->rows[i].point - 1];
		pt->point = r->rows[i].point;
		pt->values = r->rows[i].values;
		pt->runs++;
		pt->ok += r->rows[i].state == RUN_OK;
	}
	/* runs of a point are contiguous (design.c): average over that stretch */
	size_t i = 0;
	while (i < r->nrows) {
		size_t j = i;
		while (j < r->nrows && r->rows[j].point == r->rows[i].point)
			j++;
		struct result_point *pt = &r->points[r->rows[i].point - 1];
		for (int m = 0; m < RS_N; m++) {
			size_t n = 0;
			for (size_t k = i; k < j; k++)
				if (r->rows[k].state == RUN_OK && !isnan(r->rows[k].sum.v[m]))
					buf[n++] = r->rows[k].sum.v[m];
			pt->mean[m] = n ? gsl_stats_mean(buf, 1, n) : NAN;
			pt->ci95[m] = n >= 2 ? gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * gsl_stats_sd(buf, 1, n) /
						       sqrt((double)n) :
					       NAN;
		}
		i = j;
	}
	free(buf);
}

int results_collect(const struct plan *p, struct results *r, char *why, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->plan = p;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/runs", p->dir);
	if (access(path, R_OK | X_OK))
		return errf(why, len, "%s: cannot read: %s", path, strerror(errno));
	r->nrows = p->nruns;
	r->rows = xcalloc(p->nruns + 1, sizeof(*r->rows));
	r->units = xcalloc(p->nkeys + 1, sizeof(*r->units));
	ku_lookup("/proc/self/exe", p->keys, p->nkeys, r->units);
	for (size_t i = 0; i < p->nruns; i++) {
		read_row(p, i + 1, &r->rows[i]);
		r->ok += r->rows[i].state == RUN_OK;
		r->failed += r->rows[i].state == RUN_FAILED;
		r->missing += r->rows[i].state == RUN_TODO;
	}
	make_points(r);
	return 0;
}

void results_free(struct results *r)
{
	for (size_t i = 0; i < r->nrows; i++) {
		free(r->rows[i].values);
		free(r->rows[i].error);
	}
	free(r->rows);
	free(r->points);
	free(r->units);
	memset(r, 0, sizeof(*r));
}

void results_csv_field(FILE *f, const char *s)
{
	if (!s)
		s = "";
	if (!strpbrk(s, ",\"\r\n") && s[0] != ' ' && (!s[0] || s[strlen(s) - 1] != ' ')) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static const char *const state_names[] = { "missing", "ok", "failed" };

/* key_field - swept value v of key k as its CSV field: the number in the key's base unit, or the text. */
static void key_field(FILE *f, const struct results *r, size_t k, const char *v)
{
	double x = ku_value(&r->units[k], v ? v : "");
	if (isnan(x))
		results_csv_field(f, v);
	else if (x == nearbyint(x) && fabs(x) < 9e15)
		fprintf(f, "%.0f", x);
	else
		fprintf(f, "%.15g", x);
}

/* text_headers - ",KEY:text" for every swept key. */
static void text_headers(FILE *f, const struct plan *p)
{
	char col[300];
	for (size_t k = 0; k < p->nkeys; k++) {
		snprintf(col, sizeof(col), "%s:text", p->keys[k]);
		fputc(',', f);
		results_csv_field(f, col);
	}
}

/* text_fields - ",VALUE" as written for every swept key. */
static void text_fields(FILE *f, const struct plan *p, const char **values)
{
	for (size_t k = 0; k < p->nkeys; k++) {
		fputc(',', f);
		results_csv_field(f, values[k]);
	}
}

/* open_tmp - open DIR/name.tmp.PID for writing; its path in tmp. */
static FILE *open_tmp(const struct plan *p, const char *name, char *tmp, size_t tlen, char *why, size_t len)
{
	snprintf(tmp, tlen, "%s/.%s.tmp.%d", p->dir, name, (int)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f)
		errf(why, len, "%s: cannot write: %s", tmp, strerror(errno));
	return f;
}

/* close_tmp - close f and rename tmp to DIR/name; -1 with why. */
static int close_tmp(const struct plan *p, FILE *f, const char *tmp, const char *name, char *why, size_t len)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", p->dir, name);
	if (ferror(f) | fclose(f) || rename(tmp, path)) {
		unlink(tmp);
		return errf(why, len, "%s: write failed: %s", path, strerror(errno));
	}
	return 0;
}

/* write_runs_csv - results.csv. */
static int write_runs_csv(const struct results *r, char *why, size_t len)
{
	const struct plan *p = r->plan;
	char tmp[PATH_MAX], buf[64];
	FILE *f = open_tmp(p, "results.csv", tmp, sizeof(tmp), why, len);
	if (!f)
		return -1;
	fputs("run,point,seed", f);
	for (size_t k = 0; k < p->nkeys; k++) {
		fputc(',', f);
		results_csv_field(f, p->keys[k]);
	}
	fputs(",status", f);
	for (int m = 0; m < RS_N; m++)
		fprintf(f, ",%s", runsum_desc[m].name);
	fputs(",error", f);
	text_headers(f, p);
	fputc('\n', f);
	for (size_t i = 0; i < r->nrows; i++) {
		const struct result_row *row = &r->rows[i];
		fprintf(f, "%zu,%zu,%llu", row->run, row->point, (unsigned long long)row->seed);
		for (size_t k = 0; k < p->nkeys; k++) {
			fputc(',', f);
			key_field(f, r, k, row->values[k]);
		}
		fprintf(f, ",%s", state_names[row->state]);
		for (int m = 0; m < RS_N; m++)
			fprintf(f, ",%s", runsum_fmt(m, row->sum.v[m], buf, sizeof(buf)));
		fputc(',', f);
		results_csv_field(f, row->error);
		text_fields(f, p, row->values);
		fputc('\n', f);
	}
	return close_tmp(p, f, tmp, "results.csv", why, len);
}

/* fmt_g - a mean or interval half-width ("" for NaN). */
static const char *fmt_g(double v, char *buf, size_t len)
{
	if (isnan(v))
		buf[0] = 0;
	else
		snprintf(buf, len, "%.10g", v);
	return buf;
}

/* write_points_csv - points.csv. */
static int write_points_csv(const struct results *r, char *why, size_t len)
{
	const struct plan *p = r->plan;
	char tmp[PATH_MAX], buf[64];
	FILE *f = open_tmp(p, "points.csv", tmp, sizeof(tmp), why, len);
	if (!f)
		return -1;
	fputs("point", f);
	for (size_t k = 0; k < p->nkeys; k++) {
		fputc(',', f);
		results_csv_field(f, p->keys[k]);
	}
	fputs(",runs,ok", f);
	for (int m = 0; m < RS_N; m++)
		fprintf(f, ",%s,%s_ci95", runsum_desc[m].name, runsum_desc[m].name);
	text_headers(f, p);
	fputc('\n', f);
	for (size_t i = 0; i < r->npoints; i++) {
		const struct result_point *pt = &r->points[i];
		fprintf(f, "%zu", pt->point);
		for (size_t k = 0; k < p->nkeys; k++) {
			fputc(',', f);
			key_field(f, r, k, pt->values[k]);
		}
		fprintf(f, ",%zu,%zu", pt->runs, pt->ok);
		for (int m = 0; m < RS_N; m++) {
			fprintf(f, ",%s", fmt_g(pt->mean[m], buf, sizeof(buf)));
			fprintf(f, ",%s", fmt_g(pt->ci95[m], buf, sizeof(buf)));
		}
		text_fields(f, p, pt->values);
		fputc('\n', f);
	}
	return close_tmp(p, f, tmp, "points.csv", why, len);
}

/* sql_ident - a quoted SQL identifier ("vm.halt_poll_ns"), appended to s. */
static void sql_ident(char **s, size_t *n, const char *id)
{
	FILE *f = open_memstream(s, n);
	fputc('"', f);
	for (; *id; id++) {
		if (*id == '"')
			fputc('"', f);
		fputc(*id, f);
	}
	fputc('"', f);
	fclose(f);
}

/* db_exec - run SQL with no result; -1 with why. */
static int db_exec(sqlite3 *db, const char *sql, char *why, size_t len)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		errf(why, len, "sqlite: %s", err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* bind_num - bind v (NULL for NaN) at column i. */
static void bind_num(sqlite3_stmt *st, int i, double v, int integer)
{
	if (isnan(v))
		sqlite3_bind_null(st, i);
	else if (integer)
		sqlite3_bind_int64(st, i, (sqlite3_int64)llround(v));
	else
		sqlite3_bind_double(st, i, v);
}

/* bind_key - bind swept value v of key k at column i: its number in the base unit, or the text. */
static void bind_key(sqlite3_stmt *st, int i, const struct results *r, size_t k, const char *v)
{
	double x = ku_value(&r->units[k], v ? v : "");
	if (isnan(x))
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		bind_num(st, i, x, x == nearbyint(x) && fabs(x) < 9e15);
}

/* text_columns - ', "KEY:text" TEXT' for every swept key, to f. */
static void text_columns(FILE *f, const struct plan *p)
{
	char col[300], *q;
	size_t qn;
	for (size_t k = 0; k < p->nkeys; k++) {
		snprintf(col, sizeof(col), "%s:text", p->keys[k]);
		sql_ident(&q, &qn, col);
		fprintf(f, ", %s TEXT", q);
		free(q);
	}
}

/* metric_is_int - whether metric m is stored as an integer. */
static int metric_is_int(int m)
{
	return !strcmp(runsum_desc[m].fmt, "%.0f");
}

/* create_and_prepare - create a table of the given SQL column list and prepare its INSERT. */
static int create_and_prepare(sqlite3 *db, const char *table, const char *cols, int ncols, sqlite3_stmt **st,
			      char *why, size_t len)
{
	char *sql;
	if (asprintf(&sql, "CREATE TABLE %s(%s)", table, cols) < 0)
		abort();
	int rc = db_exec(db, sql, why, len);
	free(sql);
	if (rc)
		return -1;
	char *ins;
	size_t n;
	FILE *f = open_memstream(&ins, &n);
	fprintf(f, "INSERT INTO %s VALUES(", table);
	for (int i = 0; i < ncols; i++)
		fprintf(f, "%s?", i ? "," : "");
	fputc(')', f);
	fclose(f);
	rc = sqlite3_prepare_v2(db, ins, -1, st, NULL);
	free(ins);
	if (rc != SQLITE_OK)
		return errf(why, len, "sqlite: %s", sqlite3_errmsg(db));
	return 0;
}

/* fill_db - the tables of results.db. */
static int fill_db(sqlite3 *db, const struct results *r, char *why, size_t len)
{
	const struct plan *p = r->plan;
	char *cols, *q;
	size_t n, qn;
	if (db_exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN;"
			"CREATE TABLE sweep(key TEXT PRIMARY KEY, value TEXT);",
		    why, len))
		return -1;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "INSERT INTO sweep VALUES(?, ?)", -1, &st, NULL) != SQLITE_OK)
		return errf(why, len, "sqlite: %s", sqlite3_errmsg(db));
	static const char *const meta[] = { "schema", "kvmsim", "scenario", "design", "design_seed", "samples",
					    "replicates", "seed", "points", "set", "policy_libs", "params" };
	for (size_t i = 0; i < sizeof(meta) / sizeof(*meta); i++) {
		json_t *v = json_object_get(p->doc, meta[i]);
		if (!v)
			continue;
		char *text = json_is_null(v)	 ? NULL :
			     json_is_string(v) ? xstrdup(json_string_value(v)) :
						 json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		sqlite3_bind_text(st, 1, meta[i], -1, SQLITE_STATIC);
		if (text)
			sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(st, 2); /* the built-in scenario */
		sqlite3_step(st);
		sqlite3_reset(st);
		free(text);
	}
	sqlite3_finalize(st);

	/* the unit of each swept key's numbers */
	if (db_exec(db, "CREATE TABLE units(key TEXT PRIMARY KEY, unit TEXT);", why, len) ||
	    sqlite3_prepare_v2(db, "INSERT INTO units VALUES(?, ?)", -1, &st, NULL) != SQLITE_OK)
		return why[0] ? -1 : errf(why, len, "sqlite: %s", sqlite3_errmsg(db));
	for (size_t k = 0; k < p->nkeys; k++) {
		const char *u = ku_unit(&r->units[k]);
		sqlite3_bind_text(st, 1, p->keys[k], -1, SQLITE_STATIC);
		if (u)
			sqlite3_bind_text(st, 2, u, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 2);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);

	/* runs */
	FILE *f = open_memstream(&cols, &n);
	fputs("run INTEGER PRIMARY KEY, point INTEGER, seed", f); /* no affinity: seeds above 2^63 stay text */
	for (size_t k = 0; k < p->nkeys; k++) {
		sql_ident(&q, &qn, p->keys[k]);
		fprintf(f, ", %s NUMERIC", q);
		free(q);
	}
	fputs(", status TEXT", f);
	for (int m = 0; m < RS_N; m++)
		fprintf(f, ", %s %s", runsum_desc[m].name, metric_is_int(m) ? "INTEGER" : "REAL");
	fputs(", error TEXT", f);
	text_columns(f, p);
	fclose(f);
	int ncols = 3 + (int)p->nkeys + 1 + RS_N + 1 + (int)p->nkeys;
	int rc = create_and_prepare(db, "runs", cols, ncols, &st, why, len);
	free(cols);
	if (rc)
		return -1;
	for (size_t i = 0; i < r->nrows; i++) {
		const struct result_row *row = &r->rows[i];
		int c = 1;
		sqlite3_bind_int64(st, c++, (sqlite3_int64)row->run);
		sqlite3_bind_int64(st, c++, (sqlite3_int64)row->point);
		if (row->seed <= INT64_MAX) {
			sqlite3_bind_int64(st, c++, (sqlite3_int64)row->seed);
		} else {
			char seed[24];
			snprintf(seed, sizeof(seed), "%llu", (unsigned long long)row->seed);
			sqlite3_bind_text(st, c++, seed, -1, SQLITE_TRANSIENT);
		}
		for (size_t k = 0; k < p->nkeys; k++)
			bind_key(st, c++, r, k, row->values[k]);
		sqlite3_bind_text(st, c++, state_names[row->state], -1, SQLITE_STATIC);
		for (int m = 0; m < RS_N; m++)
			bind_num(st, c++, row->sum.v[m], metric_is_int(m));
		if (row->error)
			sqlite3_bind_text(st, c++, row->error, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, c++);
		for (size_t k = 0; k < p->nkeys; k++)
			sqlite3_bind_text(st, c++, row->values[k], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			return errf(why, len, "sqlite: %s", sqlite3_errmsg(db));
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);

	/* points */
	f = open_memstream(&cols, &n);
	fputs("point INTEGER PRIMARY KEY", f);
	for (size_t k = 0; k < p->nkeys; k++) {
		sql_ident(&q, &qn, p->keys[k]);
		fprintf(f, ", %s NUMERIC", q);
		free(q);
	}
	fputs(", runs INTEGER, ok INTEGER", f);
	for (int m = 0; m < RS_N; m++)
		fprintf(f, ", %s REAL, %s_ci95 REAL", runsum_desc[m].name, runsum_desc[m].name);
	text_columns(f, p);
	fclose(f);
	ncols = 1 + (int)p->nkeys + 2 + 2 * RS_N + (int)p->nkeys;
	rc = create_and_prepare(db, "points", cols, ncols, &st, why, len);
	free(cols);
	if (rc)
		return -1;
	for (size_t i = 0; i < r->npoints; i++) {
		const struct result_point *pt = &r->points[i];
		int c = 1;
		sqlite3_bind_int64(st, c++, (sqlite3_int64)pt->point);
		for (size_t k = 0; k < p->nkeys; k++)
			bind_key(st, c++, r, k, pt->values[k]);
		sqlite3_bind_int64(st, c++, (sqlite3_int64)pt->runs);
		sqlite3_bind_int64(st, c++, (sqlite3_int64)pt->ok);
		for (int m = 0; m < RS_N; m++) {
			bind_num(st, c++, pt->mean[m], 0);
			bind_num(st, c++, pt->ci95[m], 0);
		}
		for (size_t k = 0; k < p->nkeys; k++)
			sqlite3_bind_text(st, c++, pt->values[k], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			return errf(why, len, "sqlite: %s", sqlite3_errmsg(db));
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return db_exec(db, "COMMIT;", why, len);
}

/* write_db - results.db, built in a temporary file and renamed. */
static int write_db(const struct results *r, char *why, size_t len)
{
	const struct plan *p = r->plan;
	char tmp[PATH_MAX], path[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s/.results.db.tmp.%d", p->dir, (int)getpid());
	snprintf(path, sizeof(path), "%s/results.db", p->dir);
	unlink(tmp);
	sqlite3 *db;
	if (sqlite3_open(tmp, &db) != SQLITE_OK) {
		errf(why, len, "%s: %s", tmp, sqlite3_errmsg(db));
		sqlite3_close(db);
		unlink(tmp);
		return -1;
	}
	int rc = fill_db(db, r, why, len);
	if (sqlite3_close(db) != SQLITE_OK && !rc)
		rc = errf(why, len, "%s: cannot close the database", tmp);
	if (!rc && rename(tmp, path))
		rc = errf(why, len, "%s: %s", path, strerror(errno));
	if (rc)
		unlink(tmp);
	return rc;
}

int results_write(const struct results *r, char *why, size_t len)
{
	if (write_runs_csv(r, why, len) || write_points_csv(r, why, len) || write_db(r, why, len))
		return -1;
	return 0;
}

int results_update(const struct plan *p, struct results *r, char *why, size_t len)
{
	if (results_collect(p, r, why, len))
		return -1;
	return results_write(r, why, len);
}

void results_print_failed(FILE *f, const struct results *r, size_t max)
{
	size_t shown = 0;
	for (size_t i = 0; i < r->nrows; i++) {
		const struct result_row *row = &r->rows[i];
		if (row->state != RUN_FAILED)
			continue;
		if (shown++ == max) {
			fprintf(f, "  ... and %zu more (status and error columns of results.csv)\n", r->failed - max);
			break;
		}
		fprintf(f, "  run %zu (seed %llu", row->run, (unsigned long long)row->seed);
		for (size_t k = 0; k < r->plan->nkeys; k++)
			fprintf(f, ", %s=%s", r->plan->keys[k], row->values[k]);
		fprintf(f, ") failed: %s\n", row->error ? row->error : "?");
	}
}
