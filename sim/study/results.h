/*
 * results.h - a sweep's results tables, built from the files in DIR/runs.
 *
 *   results.csv   one row per run:   run, point, seed, KEY..., status, METRIC..., error
 *   points.csv    one row per point: point, KEY..., runs, ok, METRIC, METRIC_ci95, ...
 *                 (METRIC is the mean over the point's successful replicates and
 *                 METRIC_ci95 the half-width of its 95% Student-t confidence
 *                 interval; empty with fewer than two values)
 *   results.db    SQLite: tables runs and points with the same columns, and
 *                 sweep(key, value) describing the plan
 *
 * A KEY column holds the swept value as a number in the key's base unit (ps for
 * times, Hz for rates; keyunits.h), or as written when it is not a number, and
 * KEY:text, after the others, the value as written (as --set took it).
 *
 * status is ok, failed (error says why) or missing (not run yet). METRIC
 * columns are those of runsum.h. Rows follow run and point order, numbers
 * have fixed formats, and nothing depends on the wall clock, so the same
 * runs give byte-identical CSV files.
 */
#ifndef KVMSIM_STUDY_RESULTS_H
#define KVMSIM_STUDY_RESULTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/study/keyunits.h"
#include "sim/study/plan.h"
#include "sim/study/runsum.h"

struct result_row {
	size_t run, point;
	uint64_t seed;
	const char **values; /* one per swept key */
	enum run_state state;
	char *error;
	struct runsum sum;
};

struct result_point {
	size_t point;
	const char **values;
	size_t runs, ok;
	double mean[RS_N], ci95[RS_N];
};

struct results {
	const struct plan *plan;
	struct key_unit *units; /* one per swept key */
	struct result_row *rows;
	size_t nrows, ok, failed, missing;
	struct result_point *points;
	size_t npoints;
};

/* results_collect - read every run's result file; -1 with why only if DIR cannot be read. */
int results_collect(const struct plan *p, struct results *r, char *why, size_t len);
/* results_write - results.csv, points.csv and results.db in the plan's directory. */
int results_write(const struct results *r, char *why, size_t len);
void results_free(struct results *r);

/* results_update - results_collect and results_write: DIR's tables from what DIR/runs holds now. */
int results_update(const struct plan *p, struct results *r, char *why, size_t len);
/* results_print_failed - list up to max failed runs with their values and why. */
void results_print_failed(FILE *f, const struct results *r, size_t max);

/* results_csv_field - write s to f as one CSV field (quoted when it must be). */
void results_csv_field(FILE *f, const char *s);

#endif
