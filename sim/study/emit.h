/*
 * emit.h - a sweep's runs for other executors. Both files call
 * `kvmsim sweep --exec DIR IDS`, which runs and records exactly as a local
 * sweep does, so `kvmsim sweep --merge DIR` gathers the results the same way
 * whoever ran them. Paths are absolute: the hosts must see DIR and the
 * kvmsim binary at the same paths (a shared file system), or each host runs
 * its share in its own copy and `--merge DIR COPY...` brings them together.
 *
 *   jobs file     one line per run:  'KVMSIM' sweep --exec 'DIR' ID
 *                 for `parallel --sshloginfile HOSTS < FILE` (or -a FILE)
 *   Slurm script  an sbatch array script; each array task runs a contiguous
 *                 chunk of runs (at most 1000 tasks, Slurm's default MaxArraySize - 1)
 */
#ifndef KVMSIM_STUDY_EMIT_H
#define KVMSIM_STUDY_EMIT_H

#include "sim/study/plan.h"

/* emit_jobs - write the jobs file; extra is appended to each line (e.g. " --timeout 60s"). */
int emit_jobs(const struct plan *p, const char *path, const char *kvmsim, const char *extra, char *why,
	      size_t len);
/* emit_slurm - write the sbatch array script. */
int emit_slurm(const struct plan *p, const char *path, const char *kvmsim, const char *extra, char *why,
	       size_t len);

#endif
