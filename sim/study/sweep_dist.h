/*
 * sweep_dist.h - the modes of `kvmsim sweep` that work on a sweep planned
 * before (sweep_dist.c): --exec runs some of its runs, --merge gathers them.
 */
#ifndef KVMSIM_STUDY_SWEEP_DIST_H
#define KVMSIM_STUDY_SWEEP_DIST_H

#include <stdbool.h>

#include "sim/study/runner.h"

#define SWEEP_FAILED_SHOWN 5 /* failed runs a summary lists */

/* sweep_exec - run the runs named by ids_args ("7", "3-9", "1,4-6") of DIR's plan; exit status. */
int sweep_exec(const char *dir, char *const *ids_args, int nids, const struct runner_opts *o, bool quiet);
/* sweep_merge - DIR's results from its runs and those of copies of DIR; exit status. */
int sweep_merge(const char *dir, char *const *copies, int ncopies, bool quiet);

#endif
