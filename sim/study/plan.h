/*
 * plan.h - a sweep on disk.
 *
 *   DIR/sweep.json           the plan (schema "kvmsim-sweep/1"): scenario, the --set and
 *                            --policy-lib every run shares, the parameters, the run list
 *   DIR/runs/ID.json         a finished run: its full kvmsim-run/1 output
 *   DIR/runs/ID.fail.json    a failed run: exit status or signal and its stderr
 *   DIR/results.csv, results.db, points.csv   written from those (results.h)
 *
 * Run IDs count from 1 and are zero-padded to at least 4 digits in file
 * names. Result files appear by rename(2), so an interrupted sweep never
 * leaves half a result, and a run is finished exactly when one of its two
 * files exists: that is what resuming and `--exec` rely on.
 */
#ifndef KVMSIM_STUDY_PLAN_H
#define KVMSIM_STUDY_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sim/study/design.h"

#define KVMSIM_SWEEP_SCHEMA "kvmsim-sweep/1"

struct plan {
	char *dir;            /* absolute */
	json_t *doc;          /* sweep.json */
	const char *scenario; /* NULL: the built-in default */
	const char **keys;    /* swept keys, in order */
	size_t nkeys;
	size_t nruns, npoints;
	int idwidth;
};

enum run_state { RUN_TODO, RUN_OK, RUN_FAILED };

/*
 * plan_json_seed / plan_seed - a seed (0 .. 2^64-1) in sweep.json: an integer up to 2^63-1,
 * above that its decimal digits as a string (JSON integers here are signed 64-bit).
 * plan_seed is -1 if j is neither.
 */
json_t *plan_json_seed(uint64_t seed);
int plan_seed(const json_t *j, uint64_t *seed);

/* plan_build - the plan of design d over scenario (NULL: built-in) with shared sets and libs. */
int plan_build(struct plan *p, const char *dir, const char *scenario, char *const *sets, size_t nsets,
	       char *const *libs, size_t nlibs, const struct design *d, char *why, size_t len);
/*
 * plan_save - create DIR and DIR/runs and write sweep.json, or check that the one there is the
 * same; -1 with why if that fails, 1 with why if DIR holds another sweep.
 */
int plan_save(struct plan *p, char *why, size_t len);
/* plan_load - read DIR/sweep.json. */
int plan_load(struct plan *p, const char *dir, char *why, size_t len);
void plan_free(struct plan *p);

/* plan_run - the run entry {run, point, seed, set{}} of run id (1-based). */
const json_t *plan_run(const struct plan *p, size_t id);
/* plan_path - DIR/runs/ID<suffix> (".json", ".fail.json"), malloc'ed. */
char *plan_path(const struct plan *p, size_t id, const char *suffix);
/* plan_state - whether run id finished, and how. */
enum run_state plan_state(const struct plan *p, size_t id);
/*
 * plan_check_result - whether DIR/runs/ID.json (or ID.fail.json) is run id's: a result's
 * scenario.seed is the run's seed and its scenario.overrides hold the sweep's --set and the
 * run's KEY=VALUE; a failure record's run is id. 0 if so (or if there is no file), -1 with
 * why (one line naming the file) if the file is unreadable or another run's.
 */
int plan_check_result(const struct plan *p, size_t id, char *why, size_t len);
/*
 * plan_argv - argv of `KVMSIM run ...` for run id, writing its JSON to json_out (NULL: no --json),
 * with the NULL-terminated extra arguments (may be NULL) at the end; free with plan_argv_free().
 */
char **plan_argv(const struct plan *p, size_t id, const char *kvmsim, const char *json_out,
		 const char *const *extra);
/* plan_argv_free - free what plan_argv returned. */
void plan_argv_free(char **argv);

/* plan_parse_ids - "7", "3-9", "1,4-6" into a list of run ids of p; -1 with why. */
int plan_parse_ids(const struct plan *p, const char *s, size_t **ids, size_t *n, char *why, size_t len);

#endif
