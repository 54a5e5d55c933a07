/*
 * cmd_sweep.c - `kvmsim sweep`: plan a design over scenario keys, run it
 * here in parallel processes (or write it out for GNU parallel and Slurm),
 * and gather the results into CSV and SQLite. Three modes share the plan:
 *
 *   kvmsim sweep [SCENARIO] DESIGN...      plan, run what is not finished, write the results
 *   kvmsim sweep --exec DIR IDS            run some runs of a planned sweep (what job files call)
 *   kvmsim sweep --merge DIR [COPY...]     gather finished runs (from copies too) into the results
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/cli.h"
#include "sim/xalloc.h"
#include "sim/schema.h"
#include "sim/study/design.h"
#include "sim/study/emit.h"
#include "sim/study/plan.h"
#include "sim/study/results.h"
#include "sim/study/runner.h"
#include "sim/study/sweep_dist.h"

#define CMD "sweep"

/* sweep_usage - the --help text. */
static void sweep_usage(FILE *f)
{
	fprintf(f,
		"usage: kvmsim sweep [SCENARIO.yaml] DESIGN... [options]\n"
		"       kvmsim sweep --exec DIR IDS [--timeout T] [--retry-failed] [--kvmsim PATH]\n"
		"       kvmsim sweep --merge DIR [COPY_DIR...]\n\n"
		"Run a scenario (without a file: the built-in default) over a design of scenario keys,\n"
		"in parallel processes, and write one row per run to DIR/results.csv and DIR/results.db,\n"
		"the mean and 95%% confidence interval over replicates per point to DIR/points.csv, and\n"
		"each run's full JSON to DIR/runs/. Running the same sweep again resumes it: finished\n"
		"runs are not redone.\n\n"
		"design (values are passed as --set KEY=VALUE; numbers keep the unit written):\n"
		"  --grid KEY=V1,V2,...      listed values; all grid keys form a full grid\n"
		"  --range KEY=A:B:STEP      A, A+STEP, ... up to B (A:B:xF: A, A*F, A*F^2, ...)\n"
		"  --sample KEY=LO:HI[:log]  drawn uniformly (or log-uniformly) in [LO, HI]; integers\n"
		"                            when LO and HI are; KEY=V1,V2,... draws one of the values\n"
		"  --design random|lhs       how --sample keys are drawn (default random; lhs: Latin hypercube)\n"
		"  --samples N               points to draw (at every grid point)\n"
		"  --design-seed N           seed of the draws (default 1)\n"
		"  --replicates N            runs per point, seeds S, S+1, ... (default 1)\n"
		"  --seed S                  first seed; overrides the scenario's seed (default 1)\n\n"
		"every run:\n"
		"  --set KEY=VALUE           a scenario key fixed for all runs (repeatable)\n"
		"  --duration T              simulated time of each run (as --set duration=T)\n"
		"  --policy-lib SO           load a halt-polling policy (repeatable)\n\n"
		"execution:\n"
		"  -o, --out DIR             the sweep's directory (default: sweep)\n"
		"  -j, --jobs N              runs at once (default: the CPUs available, here %u)\n"
		"  --timeout T               kill a run after T (e.g. 10m) and record it as failed\n"
		"  --retry-failed            run again the runs that failed before\n"
		"  --kvmsim PATH             the kvmsim binary runs use (default: this one)\n"
		"  --progress, --no-progress progress on stderr (default: a bar on a terminal, lines otherwise)\n"
		"  -q, --quiet               no progress and no summary\n\n"
		"elsewhere (these write the plan to DIR and run nothing):\n"
		"  --emit-jobs FILE          one command per run for GNU parallel:\n"
		"                            parallel --sshloginfile HOSTS < FILE\n"
		"  --slurm FILE              an sbatch array script (sbatch FILE)\n"
		"  --exec DIR IDS            run runs IDS (7, 3-9, 1,4-6) of the sweep in DIR\n"
		"  --merge DIR [COPY...]     gather DIR's finished runs, and those of copies of DIR\n"
		"                            made on other hosts, into DIR's results\n\n"
		"exit status: 0 every run succeeded, 1 a run failed or the sweep was interrupted\n"
		"(results of the others are written), 2 bad usage or input.\n",
		runner_default_jobs());
}

struct sweep_args {
	struct design d;
	char **sets, **libs;
	size_t nsets, nlibs;
	const char *out, *emit, *slurm, *merge, *exec, *kvmsim, *scenario;
	const char *plan_opt; /* the first design or run option given (refused with --exec/--merge) */
	char *timeout_arg;
	double timeout_s;
	unsigned jobs;
	bool retry_failed, quiet;
	int progress; /* -1 auto */
	char **rest;
	int nrest;
};

/* parse_count - a positive integer option value; -1 after printing why. */
static int parse_count(const char *opt, const char *s, uint64_t min, uint64_t *v)
{
	const char *why;
	if (cfg_parse_u64(s, v, &why) || *v < min) {
		if (min)
			cli_error(CMD, "%s: expected an integer of at least %llu, got \"%s\"", opt,
				  (unsigned long long)min, s);
		else
			cli_error(CMD, "%s: expected a non-negative integer, got \"%s\"", opt, s);
		return -1;
	}
	return 0;
}

/* parse_args - the options into a; 0, or an exit status after printing why. */
static int parse_args(int argc, char **argv, struct sweep_args *a)
{
	enum { O_GRID = 256, O_RANGE, O_SAMPLE, O_DESIGN, O_SAMPLES, O_DSEED, O_REPL, O_SEED, O_SET, O_DUR, O_LIB,
	       O_TIMEOUT, O_RETRY, O_KVMSIM, O_PROG, O_NOPROG, O_EMIT, O_SLURM, O_MERGE, O_EXEC };
	static const struct option opts[] = {
		{ "grid", required_argument, NULL, O_GRID },	  { "range", required_argument, NULL, O_RANGE },
		{ "sample", required_argument, NULL, O_SAMPLE },  { "design", required_argument, NULL, O_DESIGN },
		{ "samples", required_argument, NULL, O_SAMPLES }, { "design-seed", required_argument, NULL, O_DSEED },
		{ "replicates", required_argument, NULL, O_REPL }, { "seed", required_argument, NULL, O_SEED },
		{ "set", required_argument, NULL, O_SET },	  { "duration", required_argument, NULL, O_DUR },
		{ "policy-lib", required_argument, NULL, O_LIB }, { "out", required_argument, NULL, 'o' },
		{ "jobs", required_argument, NULL, 'j' },	  { "timeout", required_argument, NULL, O_TIMEOUT },
		{ "retry-failed", no_argument, NULL, O_RETRY },   { "kvmsim", required_argument, NULL, O_KVMSIM },
		{ "progress", no_argument, NULL, O_PROG },	  { "no-progress", no_argument, NULL, O_NOPROG },
		{ "quiet", no_argument, NULL, 'q' },		  { "emit-jobs", required_argument, NULL, O_EMIT },
		{ "slurm", required_argument, NULL, O_SLURM },	  { "merge", required_argument, NULL, O_MERGE },
		{ "exec", required_argument, NULL, O_EXEC },	  { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char why[1024];
	int c, li;
	uint64_t v;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:j:qh", opts, &li)) != -1) {
		if (c >= O_GRID && c <= O_LIB && !a->plan_opt)
			a->plan_opt = opts[li].name;
		switch (c) {
		case O_GRID:
		case O_RANGE:
		case O_SAMPLE: {
			const char *opt = c == O_GRID ? "--grid" : c == O_RANGE ? "--range" : "--sample";
			if (dsg_add(&a->d, opt, optarg, why, sizeof(why)))
				return cli_error(CMD, "%s", why);
			break;
		}
		case O_DESIGN:
			if (dsg_design_parse(optarg, &a->d.kind))
				return cli_error(CMD, "--design: expected grid, random or lhs, got \"%s\"", optarg);
			a->d.kind_given = true;
			break;
		case O_SAMPLES:
			if (parse_count("--samples", optarg, 1, &v))
				return EXIT_BAD_INPUT;
			a->d.samples = (size_t)v;
			break;
		case O_DSEED:
			if (parse_count("--design-seed", optarg, 0, &v))
				return EXIT_BAD_INPUT;
			a->d.design_seed = v;
			break;
		case O_REPL:
			if (parse_count("--replicates", optarg, 1, &v))
				return EXIT_BAD_INPUT;
			a->d.replicates = (size_t)v;
			break;
		case O_SEED:
			if (parse_count("--seed", optarg, 0, &v))
				return EXIT_BAD_INPUT;
			a->d.seed = v;
			break;
		case O_SET:
			a->sets[a->nsets++] = xstrdup(optarg);
			break;
		case O_DUR: {
			sim_time_t ps;
			const char *w;
			if (cfg_parse_time(optarg, "s", &ps, &w) || ps <= 0)
				return cli_error(CMD, "--duration: expected a positive time such as 50ms, got \"%s\"",
						 optarg);
			char *s = xcalloc(1, strlen(optarg) + 16);
			sprintf(s, "duration=%s", optarg);
			a->sets[a->nsets++] = s;
			break;
		}
		case O_LIB:
			a->libs[a->nlibs++] = optarg;
			break;
		case 'o':
			a->out = optarg;
			if (!a->plan_opt)
				a->plan_opt = "out";
			break;
		case 'j':
			if (parse_count("--jobs", optarg, 1, &v))
				return EXIT_BAD_INPUT;
			a->jobs = v > 4096 ? 4096 : (unsigned)v;
			break;
		case O_TIMEOUT: {
			sim_time_t ps;
			const char *w;
			if (cfg_parse_time(optarg, "s", &ps, &w) || ps <= 0)
				return cli_error(CMD, "--timeout: expected a positive time such as 10m or 30s, got \"%s\"",
						 optarg);
			a->timeout_s = (double)ps * 1e-12;
			a->timeout_arg = optarg;
			break;
		}
		case O_RETRY:
			a->retry_failed = true;
			break;
		case O_KVMSIM:
			a->kvmsim = optarg;
			break;
		case O_PROG:
			a->progress = 1;
			break;
		case O_NOPROG:
			a->progress = 0;
			break;
		case 'q':
			a->quiet = true;
			break;
		case O_EMIT:
			a->emit = optarg;
			break;
		case O_SLURM:
			a->slurm = optarg;
			break;
		case O_MERGE:
			a->merge = optarg;
			break;
		case O_EXEC:
			a->exec = optarg;
			break;
		case 'h':
			sweep_usage(stdout);
			return -1;
		default:
			return cli_bad_option(CMD, argv);
		}
	}
	a->rest = argv + optind;
	a->nrest = argc - optind;
	if (a->merge && a->exec)
		return cli_error(CMD, "--merge and --exec are separate modes; give one");
	if ((a->merge || a->exec) && (a->plan_opt || a->emit || a->slurm))
		return cli_error(CMD, "--%s works on a planned sweep and takes no --%s", a->merge ? "merge" : "exec",
				 a->plan_opt ? a->plan_opt : a->emit ? "emit-jobs" : "slurm");
	if (a->exec && !a->nrest)
		return cli_error(CMD, "--exec %s: which runs? (e.g. --exec %s 1-10)", a->exec, a->exec);
	if (!a->merge && !a->exec && a->nrest > 1)
		return cli_error(CMD, "one scenario file at most (got \"%s\" and \"%s\")", a->rest[0], a->rest[1]);
	if (!a->merge && !a->exec && a->nrest == 1)
		a->scenario = a->rest[0];
	if (!a->merge && !a->exec && !a->d.nparams && a->d.replicates < 2)
		return cli_error(CMD, "nothing to sweep: give --grid, --range or --sample (or --replicates N); "
				      "kvmsim sweep --help");
	return 0;
}

/* kvmsim_for_files - the binary path written into job files: --kvmsim, or this binary. */
static char *kvmsim_for_files(const char *opt)
{
	if (opt) {
		char *r = opt[0] != '/' ? realpath(opt, NULL) : NULL;
		return r ? r : xstrdup(opt); /* a path that exists only on the other hosts stays as given */
	}
	char *r = realpath("/proc/self/exe", NULL);
	return r ? r : xstrdup("kvmsim");
}

/* preflight - run the first run's settings for 1ns: a bad key or file stops the sweep before it starts. */
static int preflight(const struct plan *p, const char *kvmsim)
{
	/* warmup=0: a scenario's own warm-up would not be shorter than 1ns */
	static const char *const extra[] = { "--duration", "1ns", "--set", "warmup=0", NULL };
	char **argv = plan_argv(p, 1, kvmsim, NULL, extra);
	int fd[2];
	if (pipe(fd)) {
		plan_argv_free(argv);
		return 0;
	}
	pid_t pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(fd[1], 2);
		close(fd[0]);
		execv(argv[0], argv);
		fprintf(stderr, "cannot execute %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fd[1]);
	plan_argv_free(argv);
	if (pid < 0) {
		close(fd[0]);
		return 0;
	}
	char err[2048];
	size_t n = 0;
	ssize_t k;
	while ((k = read(fd[0], err + n, sizeof(err) - 1 - n)) > 0 || (k < 0 && errno == EINTR))
		if (k > 0)
			n += (size_t)k;
	err[n] = 0;
	close(fd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	err[strcspn(err, "\n")] = 0;
	const char *msg = !strncmp(err, "kvmsim run: ", 12) ? err + 12 : err;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return cli_error(CMD, "--kvmsim: %s", msg);
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_BAD_INPUT)
		return cli_error(CMD, "%s", msg);
	return 0; /* a crash or other failure is the run's to record */
}

/* do_run - plan, run here (or emit), write results. */
static int do_run(struct sweep_args *a)
{
	char why[1024];
	struct plan p;
	if (dsg_expand(&a->d, why, sizeof(why)))
		return cli_error(CMD, "%s", why);
	if (plan_build(&p, a->out ? a->out : "sweep", a->scenario, a->sets, a->nsets, a->libs, a->nlibs, &a->d, why,
		       sizeof(why))) {
		plan_free(&p);
		return cli_error(CMD, "%s", why);
	}
	int rc = plan_save(&p, why, sizeof(why));
	if (rc) {
		plan_free(&p);
		cli_error(CMD, "%s", why);
		return rc > 0 ? EXIT_BAD_INPUT : EXIT_FAILED;
	}
	if ((rc = preflight(&p, a->kvmsim ? a->kvmsim : "/proc/self/exe"))) {
		plan_free(&p);
		return rc;
	}
	if (a->emit || a->slurm) {
		char *bin = kvmsim_for_files(a->kvmsim), extra[128] = "";
		if (a->timeout_arg)
			snprintf(extra, sizeof(extra), " --timeout %s", a->timeout_arg);
		if (a->retry_failed)
			strcat(extra, " --retry-failed");
		if ((a->emit && emit_jobs(&p, a->emit, bin, extra, why, sizeof(why))) ||
		    (a->slurm && emit_slurm(&p, a->slurm, bin, extra, why, sizeof(why)))) {
			free(bin);
			plan_free(&p);
			fprintf(stderr, "kvmsim sweep: %s\n", why);
			return EXIT_FAILED;
		}
		free(bin);
		if (!a->quiet)
			printf("sweep %s: %zu runs planned (%zu points x %zu replicate%s)%s%s%s%s; then: kvmsim sweep "
			       "--merge %s\n",
			       p.dir, p.nruns, p.npoints, a->d.replicates, a->d.replicates == 1 ? "" : "s", a->emit ? "; jobs in " : "",
			       a->emit ? a->emit : "", a->slurm ? "; Slurm array script in " : "",
			       a->slurm ? a->slurm : "", p.dir);
		plan_free(&p);
		return 0;
	}

	struct runner_opts o = {
		.kvmsim = a->kvmsim ? a->kvmsim : "/proc/self/exe",
		.jobs = a->jobs ? a->jobs : runner_default_jobs(),
		.timeout_s = a->timeout_s,
		.retry_failed = a->retry_failed,
		.progress = a->quiet || !a->progress ? PROGRESS_NONE :
			    cli_stderr_is_tty()	       ? PROGRESS_BAR :
							 PROGRESS_LINES,
	};
	size_t *ids = xcalloc(1, (p.nruns + 1) * sizeof(size_t));
	for (size_t i = 0; i < p.nruns; i++)
		ids[i] = i + 1;
	struct runner_stats st;
	runner_clean(&p);
	double t0 = progress_now();
	int rrc = runner_run(&p, ids, p.nruns, &o, &st, why, sizeof(why));
	double el = progress_now() - t0;
	free(ids);
	struct results r;
	rc = 0;
	if (results_update(&p, &r, why, sizeof(why))) {
		fprintf(stderr, "kvmsim sweep: %s\n", why);
		rc = EXIT_FAILED;
	}
	if (rrc)
		fprintf(stderr, "kvmsim sweep: %s\n", why);
	if (!rc && !a->quiet) {
		printf("sweep %s: %zu runs (%zu points x %zu replicate%s): %zu ok, %zu failed, %zu not run\n",
		       p.dir, p.nruns, p.npoints, a->d.replicates, a->d.replicates == 1 ? "" : "s", r.ok, r.failed,
		       r.missing);
		printf("  this time: %zu ran (%zu ok, %zu failed) in %.2f s with %u jobs, %zu finished before\n",
		       st.ok + st.failed, st.ok, st.failed, el, o.jobs, st.skipped);
		results_print_failed(stdout, &r, SWEEP_FAILED_SHOWN);
		printf("  results: %s/results.csv, points.csv, results.db, runs/\n", p.dir);
	}
	if (st.signal)
		fprintf(stderr,
			"kvmsim sweep: interrupted by SIG%s: %zu of %zu runs finished, %zu stopped; run the same "
			"command again to resume\n",
			sigabbrev_np(st.signal), r.ok + r.failed, p.nruns, st.cancelled);
	if (!rc && (st.signal || rrc || r.failed || r.missing))
		rc = EXIT_FAILED;
	results_free(&r);
	plan_free(&p);
	return rc;
}

/* do_exec - --exec DIR IDS with this invocation's execution options (one run at a time by default). */
static int do_exec(const struct sweep_args *a)
{
	struct runner_opts o = {
		.kvmsim = a->kvmsim ? a->kvmsim : "/proc/self/exe",
		.jobs = a->jobs ? a->jobs : 1,
		.timeout_s = a->timeout_s,
		.retry_failed = a->retry_failed,
		.progress = PROGRESS_NONE,
	};
	return sweep_exec(a->exec, a->rest, a->nrest, &o, a->quiet);
}

/* cmd_sweep - `kvmsim sweep` (listed in sim/study/commands.c). */
int cmd_sweep(int argc, char **argv)
{
	struct sweep_args a = { .progress = -1 };
	dsg_init(&a.d);
	a.sets = xcalloc((size_t)argc + 1, sizeof(char *));
	a.libs = xcalloc((size_t)argc + 1, sizeof(char *));
	int rc = parse_args(argc, argv, &a);
	if (rc < 0)
		rc = 0; /* --help */
	else if (!rc)
		rc = a.merge ? sweep_merge(a.merge, a.rest, a.nrest, a.quiet) : a.exec ? do_exec(&a) : do_run(&a);
	for (size_t i = 0; i < a.nsets; i++)
		free(a.sets[i]);
	free(a.sets);
	free(a.libs);
	dsg_free(&a.d);
	return rc;
}
