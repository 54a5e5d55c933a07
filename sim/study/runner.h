/*
 * runner.h - executing a plan's runs as child processes, N at a time.
 *
 * Each run is `KVMSIM run ... --json DIR/runs/.ID.json.HOST.PID` with its
 * stderr in a file beside it; on exit 0 with a valid kvmsim-run/1 document
 * the JSON is renamed to DIR/runs/ID.json, on anything else (an exit status,
 * a signal, a timeout, no valid JSON) DIR/runs/ID.fail.json records why.
 * A run that fails never stops the others. SIGINT, SIGTERM and SIGHUP stop
 * the runner: running children are terminated and their partial files
 * removed without a record, so running the same sweep again redoes exactly
 * the runs that did not finish.
 */
#ifndef KVMSIM_STUDY_RUNNER_H
#define KVMSIM_STUDY_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include "sim/study/plan.h"
#include "sim/study/progress.h"

struct runner_opts {
	const char *kvmsim; /* the binary to execute */
	unsigned jobs;      /* at most this many runs at once */
	double timeout_s;   /* a run taking longer is killed and recorded as failed; 0: no limit */
	bool retry_failed;  /* run again the runs that have a .fail.json */
	enum progress_mode progress;
};

struct runner_stats {
	size_t skipped;     /* finished before (ok or failed) */
	size_t ok, failed;  /* finished by this runner */
	size_t cancelled;   /* running when interrupted; not recorded */
	int signal;         /* the signal that interrupted the runner, 0 if none */
};

/* runner_run - run the given run ids of p that have not finished; -1 with why if runs cannot be started. */
int runner_run(const struct plan *p, const size_t *ids, size_t n, const struct runner_opts *o,
	       struct runner_stats *st, char *why, size_t len);

/* runner_clean - remove partial files this host's dead runners left in DIR/runs. */
void runner_clean(const struct plan *p);

/* runner_default_jobs - the CPUs this process may run on. */
unsigned runner_default_jobs(void);

#endif
