/* emit.c - GNU parallel jobs files and Slurm array scripts for a sweep (see emit.h). */
#include "sim/study/emit.h"
#include "sim/err.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define SLURM_MAX_TASKS 1000

/* shq - write s to f quoted for sh: 'it'\''s'. */
static void shq(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

/* finish - close f; -1 with why on a write error. */
static int finish(FILE *f, const char *path, char *why, size_t len)
{
	if (ferror(f) | fclose(f))
		return errf(why, len, "%s: write failed: %s", path, strerror(errno));
	return 0;
}

int emit_jobs(const struct plan *p, const char *path, const char *kvmsim, const char *extra, char *why,
	      size_t len)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return errf(why, len, "%s: cannot write: %s", path, strerror(errno));
	for (size_t id = 1; id <= p->nruns; id++) {
		shq(f, kvmsim);
		fputs(" sweep --exec ", f);
		shq(f, p->dir);
		fprintf(f, " %zu%s\n", id, extra);
	}
	return finish(f, path, why, len);
}

int emit_slurm(const struct plan *p, const char *path, const char *kvmsim, const char *extra, char *why,
	       size_t len)
{
	char logs[PATH_MAX];
	snprintf(logs, sizeof(logs), "%s/slurm", p->dir);
	if (mkdir(logs, 0777) && errno != EEXIST)
		return errf(why, len, "%s: cannot create: %s", logs, strerror(errno));
	size_t chunk = (p->nruns + SLURM_MAX_TASKS - 1) / SLURM_MAX_TASKS;
	size_t tasks = (p->nruns + chunk - 1) / chunk;
	const char *base = strrchr(p->dir, '/');
	base = base && base[1] ? base + 1 : p->dir;
	FILE *f = fopen(path, "w");
	if (!f)
		return errf(why, len, "%s: cannot write: %s", path, strerror(errno));
	fprintf(f, "#!/bin/bash\n"
		   "# kvmsim sweep: %zu runs of %s as a Slurm array, %zu run%s per task.\n"
		   "# Submit with `sbatch %s` (sbatch options such as --time or --partition\n"
		   "# on its command line override these); afterwards `kvmsim sweep --merge %s`.\n"
		   "# Finished runs are skipped, so submitting again completes an interrupted sweep.\n",
		p->nruns, p->dir, chunk, chunk == 1 ? "" : "s", path, p->dir);
	fprintf(f, "#SBATCH --job-name=kvmsim-%s\n", base);
	fprintf(f, "#SBATCH --array=1-%zu\n", tasks);
	fprintf(f, "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n");
	fprintf(f, "#SBATCH --output=%s/%%A_%%a.out\n", logs);
	fprintf(f, "set -eu\n"
		   ": \"${SLURM_ARRAY_TASK_ID:?run this script with sbatch}\"\n"
		   "chunk=%zu\n"
		   "total=%zu\n"
		   "first=$(( (SLURM_ARRAY_TASK_ID - 1) * chunk + 1 ))\n"
		   "last=$(( first + chunk - 1 ))\n"
		   "if [ \"$last\" -gt \"$total\" ]; then last=$total; fi\n"
		   "exec ",
		chunk, p->nruns);
	shq(f, kvmsim);
	fputs(" sweep --exec ", f);
	shq(f, p->dir);
	fprintf(f, " \"$first-$last\"%s\n", extra);
	int rc = finish(f, path, why, len);
	if (!rc)
		chmod(path, 0755);
	return rc;
}
