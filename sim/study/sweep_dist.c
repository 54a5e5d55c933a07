/*
 * sweep_dist.c - a planned sweep run elsewhere: `kvmsim sweep --exec DIR IDS`
 * (what GNU parallel job files and Slurm array tasks call) runs some of its
 * runs exactly as a local sweep would, and `kvmsim sweep --merge DIR
 * [COPY...]` gathers the finished runs, also from copies of DIR that other
 * hosts filled, into DIR's results.
 */
#include "sim/study/sweep_dist.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "sim/cli.h"
#include "sim/study/results.h"

#define CMD "sweep"

int sweep_exec(const char *dir, char *const *ids_args, int nids, const struct runner_opts *o, bool quiet)
{
	char why[1024];
	struct plan p;
	if (plan_load(&p, dir, why, sizeof(why))) {
		plan_free(&p);
		return cli_error(CMD, "--exec: %s", why);
	}
	size_t *ids = NULL, n = 0;
	for (int i = 0; i < nids; i++)
		if (plan_parse_ids(&p, ids_args[i], &ids, &n, why, sizeof(why))) {
			free(ids);
			plan_free(&p);
			return cli_error(CMD, "--exec %s %s: %s", dir, ids_args[i], why);
		}
	struct runner_stats st;
	int rc = runner_run(&p, ids, n, o, &st, why, sizeof(why)) ? EXIT_FAILED : 0;
	if (rc)
		fprintf(stderr, "kvmsim sweep: %s\n", why);
	for (size_t i = 0; i < n; i++) {
		if (plan_state(&p, ids[i]) == RUN_OK)
			continue;
		rc = EXIT_FAILED;
		char *fp = plan_path(&p, ids[i], ".fail.json");
		json_error_t je;
		json_t *j = json_load_file(fp, 0, &je);
		const char *e = json_string_value(json_object_get(j, "error"));
		if (!quiet)
			fprintf(stderr, "kvmsim sweep: run %zu %s%s\n", ids[i], e ? "failed: " : "did not finish",
				e ? e : "");
		json_decref(j);
		free(fp);
	}
	if (st.signal)
		rc = EXIT_FAILED;
	free(ids);
	plan_free(&p);
	return rc;
}

/* copy_file - copy src to dst through a temporary file; -1 with errno. */
static int copy_file(const char *src, const char *dst)
{
	char tmp[PATH_MAX + 32];
	snprintf(tmp, sizeof(tmp), "%s.merge.%d", dst, (int)getpid());
	FILE *in = fopen(src, "rb"), *out = in ? fopen(tmp, "wb") : NULL;
	if (!out) {
		if (in)
			fclose(in);
		return -1;
	}
	char buf[65536];
	size_t k;
	while ((k = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, k, out);
	int bad = ferror(in);
	fclose(in);
	if (bad | ferror(out) | fclose(out) || rename(tmp, dst)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* merge_copy - bring the finished runs of copy dir c that p lacks (or has only as failures) into p. */
static int merge_copy(const struct plan *p, const char *c, size_t *taken)
{
	char why[1024];
	struct plan q;
	if (plan_load(&q, c, why, sizeof(why))) {
		plan_free(&q);
		return cli_error(CMD, "--merge: %s", why);
	}
	if (!json_equal(q.doc, p->doc)) {
		plan_free(&q);
		return cli_error(CMD, "--merge: %s/sweep.json: another sweep than %s's", c, p->dir);
	}
	for (size_t id = 1; id <= p->nruns; id++) {
		enum run_state have = plan_state(p, id), there = plan_state(&q, id);
		if (there == RUN_TODO || have == RUN_OK || (have == RUN_FAILED && there == RUN_FAILED))
			continue;
		char whose[768];
		if (plan_check_result(&q, id, whose, sizeof(whose))) {
			fprintf(stderr, "kvmsim sweep: --merge: %s; not taken\n", whose);
			continue;
		}
		const char *suffix = there == RUN_OK ? ".json" : ".fail.json";
		char *src = plan_path(&q, id, suffix), *dst = plan_path(p, id, suffix);
		int bad = copy_file(src, dst);
		if (!bad && there == RUN_OK) {
			char *old = plan_path(p, id, ".fail.json");
			unlink(old);
			free(old);
		}
		if (bad)
			fprintf(stderr, "kvmsim sweep: %s: cannot copy to %s: %s\n", src, dst, strerror(errno));
		free(src);
		free(dst);
		if (bad) {
			plan_free(&q);
			return EXIT_FAILED;
		}
		(*taken)++;
	}
	plan_free(&q);
	return 0;
}

int sweep_merge(const char *dir, char *const *copies, int ncopies, bool quiet)
{
	char why[1024];
	struct plan p;
	if (plan_load(&p, dir, why, sizeof(why))) {
		plan_free(&p);
		return cli_error(CMD, "--merge: %s", why);
	}
	size_t taken = 0;
	for (int i = 0; i < ncopies; i++) {
		int rc = merge_copy(&p, copies[i], &taken);
		if (rc) {
			plan_free(&p);
			return rc;
		}
	}
	struct results r;
	int rc = 0;
	if (results_update(&p, &r, why, sizeof(why))) {
		fprintf(stderr, "kvmsim sweep: %s\n", why);
		rc = EXIT_FAILED;
	}
	if (!rc && !quiet) {
		printf("sweep %s: %zu runs: %zu ok, %zu failed, %zu not run", p.dir, p.nruns, r.ok, r.failed,
		       r.missing);
		if (ncopies)
			printf(" (%zu taken from %d cop%s)", taken, ncopies, ncopies == 1 ? "y" : "ies");
		printf("\n");
		results_print_failed(stdout, &r, SWEEP_FAILED_SHOWN);
		printf("  results: %s/results.csv, points.csv, results.db\n", p.dir);
	}
	if (!rc && (r.failed || r.missing))
		rc = EXIT_FAILED;
	results_free(&r);
	plan_free(&p);
	return rc;
}
