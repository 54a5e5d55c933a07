/*
 * validate.c - `kvmsim validate`: fit the costs on some wake patterns, predict
 * other (held-out) patterns, and print the simulator beside the real KVM.
 * Without results given, it probes this host itself (traces/probe/probe.h),
 * fits (traces/probe/calib.h) and predicts, in about a minute and a half (each
 * pattern probed --repeat times; the tables show means).
 */
#include <errno.h>
#include <math.h>
#include <getopt.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/cli.h"
#include "traces/background.h"
#include "traces/idle_entry.h"
#include "traces/probe/calib.h"
#include "traces/probe/probe.h"

#define CMD "validate"
#define MAXT 128 /* probe results of one kind: given, or the built-in patterns x --repeat */
#define MAX_REPEAT 20
/* what --save writes beside the results, and --load reads: the idle entry's quantiles, its exit's growth */
static const char *const saved_idle[2] = { "idle-entry.txt", "idle-growth.txt" };

/* The built-in loop: patterns with and without successful polls to fit on, others to predict. */
static const struct {
	const char *spec;
	long hp;
} train_set[] = { { "periodic:60us", 200000 }, { "periodic:300us", 50000 }, { "poisson:150us", 100000 } },
  test_set[] = { { "periodic:100us", 200000 }, { "burst:8x50us/1ms", 100000 }, { "poisson:300us", 200000 },
		 { "periodic:150us", 20000 } };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kvmsim validate [--train R.json... --test R.json... | --load DIR] [options]\n\n"
		"Fit the costs a probe sees (kvmsim calibrate) on some wake patterns, predict\n"
		"other patterns with the fitted profile, and print the simulator beside the\n"
		"real KVM: polls attempted and successful, poll success, polling CPU, CPU per\n"
		"wake-up, wake-up latency p50 and p99, and the three halt histograms. Without\n"
		"--train/--test it probes this host's /dev/kvm itself (%d patterns to fit, %d\n"
		"held out, each probed --repeat times); with root and tracefs it also traces\n"
		"the host idle state's entry time (how long after the vCPU thread sleeps its\n"
		"CPU really halts) and how its exit slows with the stay, so that the fit holds\n"
		"them measured; without them the fit chooses the entry and the exit does not\n"
		"grow, as it says. With root and tracefs each probe also traces the other tasks\n"
		"on the vCPU's CPU (kvmsim probe --background), which the simulation of that\n"
		"probe runs as a host task there, keeping its CPU after each wake-up of the\n"
		"vCPU thread as long as the trace says it did (from the MSI to the switch,\n"
		"less the model's own path); without, a probe they kept busy is left out.\n"
		"Every probe, trained on or held out, is simulated at the host's speed during\n"
		"it, as its guest measured it (kvmsim calibrate --help).\n\n"
		"  --train FILE     a probe result to fit on (kvmsim probe --json; the option\n"
		"                   again for each result)\n"
		"  --test FILE      a probe result to predict (likewise)\n"
		"  --count N        wake-ups per probed pattern (default 4000)\n"
		"  --repeat N       probes of each pattern on this host (default 10, 1..20), in\n"
		"                   rounds; a table shows each figure's mean over them and\n"
		"                   the real range (results of one pattern, kernel and module\n"
		"                   parameters given with --train/--test are grouped the same\n"
		"                   way)\n"
		"  --base PROFILE   where the costs not fitted come from (default haswell-ep)\n"
		"  --idle-entry Q,Q,...\n"
		"                   the host idle state's entry latency measured, not fitted:\n"
		"                   times at evenly spaced probabilities (e.g. from\n"
		"                   traces/probe/idle-window.sh, or the line kvmsim validate\n"
		"                   prints when it traces them, saved by --save as\n"
		"                   DIR/idle-entry.txt); the fit holds their median\n"
		"  --idle-growth G,TAU\n"
		"                   how the host idle state's exit slows with the stay t,\n"
		"                   measured: G x (1 - e^(-t/TAU)) more (e.g. 9us,200us; 0:\n"
		"                   none, the default with --train/--test); validate traces\n"
		"                   it with the entry and saves it as DIR/idle-growth.txt\n"
		"  --profile-out F  also write the fitted profile (as kvmsim calibrate -o)\n"
		"  --save DIR       also write each probe result there (train/ and test/,\n"
		"                   pattern-hp-ROUND.json; pattern-hp.json with --repeat 1)\n"
		"  --load DIR       fit and predict again what --save wrote there, offline:\n"
		"                   DIR/train/*.json and DIR/test/*.json, with DIR/idle-entry.txt\n"
		"                   and DIR/idle-growth.txt as --idle-entry and --idle-growth\n"
		"                   (unless given); the same verdict as the run that saved them\n"
		"  --markdown       tables in markdown\n"
		"  -h, --help       this text\n\n"
		"Tolerances, held-out patterns only, on the means: poll success and polling\n"
		"CPU within 3 points, p50 wake-up latency within 20%%. Below each held-out\n"
		"table, kvmsim's figures over the fit's 1-sigma (the fitted costs moved by one\n"
		"standard deviation along each principal axis of their covariance): a real\n"
		"figure outside that range is not the fit's uncertainty (the model's error, or\n"
		"a disturbed probe).\n"
		"Exit status: 0 every held-out figure within tolerance, 1 some is not (or the\n"
		"work failed), 2 bad usage, bad input or no usable /dev/kvm.\n",
		(int)(sizeof(train_set) / sizeof(*train_set)), (int)(sizeof(test_set) / sizeof(*test_set)));
}

static char bg_said[256]; /* the last reason said for the other tasks' trace */

/* probe_target - probe one pattern on this host into a target (optionally saved, with the
 * round's number in the name; round -1: the only one); 0, 1 or 2. */
static int probe_target(const char *spec, long hp, long count, const char *save, const char *sub, int round,
			struct calib_target *t)
{
	/* each round its own seed: a Poisson pattern's repeats are samples of the pattern too */
	struct probe_pattern p = { .count = count, .seed = round > 0 ? (uint64_t)round + 1 : 1, .halt_poll_ns = hp,
				   .rt = true };
	char rep[16] = "";
	if (round >= 0)
		snprintf(rep, sizeof(rep), "-%d", round + 1);
	char why[512];
	if (probe_pattern_parse(spec, &p, why, sizeof(why)))
		return cli_error(CMD, "%s", why);
	struct probe_result r;
	json_t *j = NULL;
	int rc;
	for (int attempt = 0;; attempt++) { /* wait a little for a quiet CPU (see calib_busy) */
		char note[256];
		rc = probe_run_traced(&p, &r, why, sizeof(why), note, sizeof(note));
		if (note[0] && strcmp(note, bg_said)) { /* each new reason once */
			if (r.bg.traced || rc)
				fprintf(stderr, "kvmsim validate: tracing the other tasks on the vCPU's CPU: %s\n", note);
			else
				fprintf(stderr, "kvmsim validate: the other tasks on the vCPU's CPU are not traced (%s): "
						"kvmsim runs none there\n", note);
			snprintf(bg_said, sizeof(bg_said), "%s", note);
		}
		if (rc)
			return rc == 2 ? cli_error(CMD, "%s", why) : (cli_error(CMD, "%s", why), 1);
		j = probe_result_json(&r);
		if (calib_target_from_json(j, spec, t, why, sizeof(why))) {
			rc = (cli_error(CMD, "%s", why), 1);
			break;
		}
		bool busy = calib_busy(t); /* never, with its other tasks traced */
		if (attempt == 3 || !busy)
			break;
		fprintf(stderr,
			"kvmsim validate: %s hp=%ld: busy (%.0f%% of the polls ended at their first check, other tasks "
			"took %.0f%% of the vCPU's CPU); again in 2 s\n",
			spec, hp, 100 * t->real.cut_share, 100.0 * (double)r.other_ns / (double)r.wall_ns);
		calib_target_free(t);
		json_decref(j);
		probe_result_free(&r);
		sleep(2);
	}
	char path[512] = "";
	if (!rc && save) {
		snprintf(path, sizeof(path), "%s/%s/%s-%ld%s.json", save, sub, spec, hp, rep);
		for (char *c = path + strlen(save) + strlen(sub) + 2; *c; c++)
			if (*c == '/' || *c == ':')
				*c = '_';
		if (json_dump_file(j, path, JSON_INDENT(1)))
			rc = (cli_error(CMD, "%s: cannot write", path), 1);
		else
			snprintf(t->path, sizeof(t->path), "%s", path);
	}
	if (!rc)
		fprintf(stderr, "kvmsim validate: probed %s hp=%ld%s%s: %ld wake-ups%s\n", spec, hp, rep[0] ? ", round " : "",
			rep[0] ? rep + 1 : "", r.raised,
			r.rt ? "" : " (SCHED_OTHER: other tasks may delay the probe)");
	json_decref(j);
	probe_result_free(&r);
	return rc;
}

/* save_arg - with save, the value of an option that gives a measurement again, as DIR/name; 0 or 1 */
static int save_arg(const char *save, const char *name, const char *arg)
{
	if (!save)
		return 0;
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", save, name);
	FILE *f = cli_open_out(CMD, path);
	if (!f)
		return 1;
	fprintf(f, "%s\n", arg);
	return cli_close_out(CMD, path, f) ? 1 : 0;
}

/*
 * measure_entry - the idle state's entry time and its exit's growth with the stay, traced on
 * this host (idle_entry.h) into fit (those not given already: entry, growth), on the CPU the
 * probes' vCPU runs on or, where that CPU's idle is not traced, another one; with save, also
 * as DIR/idle-entry.txt and DIR/idle-growth.txt (the values of --idle-entry and --idle-growth
 * that give them again). Where they cannot be traced (no root or tracefs), it says so: the
 * fit chooses the entry, and the exit does not grow. 0, or 1 when the work failed.
 */
static int measure_entry(struct calib_fit *fit, bool entry, bool growth, long count, const char *save)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int first = probe_default_cpu();
	char why[512] = "";
	double q[IDLE_ENTRY_NQ];
	for (long k = 0; k < ncpu; k++) {
		int cpu = (int)((first + k) % ncpu);
		struct idle_measure m;
		int rc = idle_entry_measure(cpu, count, q, IDLE_ENTRY_NQ, &m, why, sizeof(why));
		if (rc == 3) {
			fprintf(stderr, "kvmsim validate: idle entry: %s\n", why);
			continue;
		}
		if (rc == 1)
			return (cli_error(CMD, "tracing the idle entry: %s", why), 1);
		if (rc == 2)
			break;
		char arg[IDLE_ENTRY_NQ * 16] = "";
		if (entry) {
			memcpy(fit->entry_q_ns, q, sizeof(q));
			fit->entry_nq = IDLE_ENTRY_NQ;
			snprintf(fit->entry_from, sizeof(fit->entry_from), "traced by kvmsim validate: %zu sleeps on CPU %d",
				 m.entries, cpu);
			for (int i = 0; i < IDLE_ENTRY_NQ; i++)
				snprintf(arg + strlen(arg), sizeof(arg) - strlen(arg), "%s%.1fus", i ? "," : "",
					 fit->entry_q_ns[i] / 1e3);
			fprintf(stderr, "kvmsim validate: idle entry traced on CPU %d (%zu sleeps): p10 %.1f, p50 %.1f, p90 %.1f us; "
					"--idle-entry %s\n", cpu, m.entries, fit->entry_q_ns[1] / 1e3, calib_entry_median(fit) / 1e3,
				fit->entry_q_ns[IDLE_ENTRY_NQ - 2] / 1e3, arg);
			if (save_arg(save, saved_idle[0], arg))
				return 1;
		}
		if (growth) {
			fit->growth.ns = m.growth_ns;
			fit->growth.tau_ns = m.tau_ns;
			snprintf(fit->growth_from, sizeof(fit->growth_from),
				 "traced by kvmsim validate: %zu wake-ups from the halted state on CPU %d, %d groups of stay", m.wakes,
				 cpu, m.groups);
			calib_growth_arg(&fit->growth, arg, sizeof(arg));
			fprintf(stderr, "kvmsim validate: idle exit growth traced on CPU %d (%zu wake-ups, %d groups of stay): %s; "
					"--idle-growth %s\n", cpu, m.wakes, m.groups,
				m.growth_ns > 0 ? "measured" : "none measured (the latency does not grow, or too few groups)", arg);
			if (save_arg(save, saved_idle[1], arg))
				return 1;
		}
		return 0;
	}
	if (entry)
		fprintf(stderr, "kvmsim validate: idle entry not traced (%s): the fit chooses it\n", why);
	if (growth)
		fprintf(stderr, "kvmsim validate: idle exit growth not traced (%s): the exit does not grow\n", why);
	return 0;
}

/* same_pattern - a and b are probes of one pattern on one kernel with one set of module parameters */
static bool same_pattern(const struct calib_target *a, const struct calib_target *b)
{
	return !strcmp(a->label, b->label) && !strcmp(a->kernel, b->kernel) &&
	       !memcmp(a->module_param, b->module_param, sizeof(a->module_param)) && a->tsc_khz == b->tsc_khz;
}

/*
 * print_group - target i and the later ones of the same pattern (marked in done): each
 * simulated on its own arrivals, the table of the means (of the quiet ones, when any)
 * with the real range; the figures outside tol (a held-out group with no quiet probe
 * counts as one: it could not be checked), or -1 with why.
 */
static int print_group(FILE *f, struct calib_target *t, int n, int i, bool *done, const char *base,
		       const struct calib_fit *fit, const struct calib_tol *tol, bool md, char *why, size_t len)
{
	static struct calib_figs sim[MAXT];
	const struct calib_figs *rv[MAXT], *sv[MAXT];
	struct calib_target *used[MAXT];
	int m = 0, quiet = 0, all = 0;
	double cut_lo = 1, cut_hi = 0, cpu_lo = 1, cpu_hi = 0; /* what calib_busy() looks at */
	for (int j = i; j < n; j++)
		if (!done[j] && same_pattern(&t[j], &t[i])) {
			all++;
			quiet += !calib_busy(&t[j]);
			cut_lo = fmin(cut_lo, t[j].real.cut_share);
			cut_hi = fmax(cut_hi, t[j].real.cut_share);
			cpu_lo = fmin(cpu_lo, t[j].other_share);
			cpu_hi = fmax(cpu_hi, t[j].other_share);
		}
	for (int j = i; j < n; j++) {
		if (done[j] || !same_pattern(&t[j], &t[i]))
			continue;
		done[j] = true;
		if (quiet && calib_busy(&t[j]))
			continue; /* a busy probe is left out of the means while quiet ones remain */
		if (calib_simulate(&t[j], base, fit->x, fit, &sim[m], why, len))
			return -1;
		rv[m] = &t[j].real;
		sv[m] = &sim[m];
		used[m] = &t[j];
		m++;
	}
	struct calib_target g = t[i];
	struct calib_figs s, lo, hi;
	calib_figs_mean(rv, m, &g.real, &lo, &hi);
	calib_figs_mean(sv, m, &s, NULL, NULL);
	if (all > 1)
		snprintf(g.label, sizeof(g.label), "%.50s, mean of %d%s", t[i].label, m,
			 m < all ? (all - m == 1 ? " (1 busy left out)" : " (busy ones left out)") : "");
	double bg = 0; /* the other tasks' mean shares of the vCPU's CPU: traced, and all */
	int traced = 0;
	g.other_share = 0;
	for (int k = 0; k < m; k++) {
		traced += used[k]->bg_traced, bg += used[k]->bg_share / m;
		g.other_share += used[k]->other_share / m;
	}
	int off = calib_print_compare(f, &g, &s, !quiet, tol, md);
	if (m > 1)
		calib_print_range(f, m, &lo, &hi, md);
	/* a share of the polls, where there are enough of them to give one */
	bool cuts = g.real.attempted >= CALIB_POLLS && g.real.cut_share >= 0.005;
	if (cuts && m && traced == m)
		fprintf(f,
			md ? "\nPolls ended at their first check, another task runnable on the vCPU's CPU: real %.1f %%, "
			     "kvmsim %.1f %% (means; the other tasks traced there, %.1f %% of its CPU, simulated as a "
			     "host task).\n"
			   : "  polls ended at their first check, another task runnable on the vCPU's CPU: real %.1f %%, "
			     "kvmsim %.1f %% (means; the other tasks traced there, %.1f %% of its CPU, simulated)\n",
			100 * g.real.cut_share, 100 * s.cut_share, 100 * bg);
	else if (cuts) /* what no simulated figure has: see calib_busy */
		fprintf(f,
			md ? "\nReal polls ended at their first check, another task runnable on the vCPU's CPU: %.1f %% "
			     "(mean; kvmsim runs no other task there).\n"
			   : "  real polls ended at their first check, another task runnable on the vCPU's CPU: %.1f %% "
			     "(mean; kvmsim runs no other task there)\n",
			100 * g.real.cut_share);
	/* a wake-up whose interrupt was still pending from the one before (no sample of its own):
	 * how often the guest fell a wake-up behind */
	if (g.real.wakes > 0 && fmax(g.real.coalesced, s.coalesced) >= 0.01 * (double)g.real.wakes)
		fprintf(f,
			md ? "\nWake-ups that found their interrupt still pending from an earlier one: real %.1f %%, "
			     "kvmsim %.1f %% (means).\n"
			   : "  wake-ups that found their interrupt still pending from an earlier one: real %.1f %%, kvmsim "
			     "%.1f %% (means)\n",
			100 * g.real.coalesced / (double)g.real.wakes, s.wakes > 0 ? 100 * s.coalesced / (double)s.wakes : 0.0);
	if (tol) {
		struct calib_figs blo, bhi;
		int points;
		if (calib_band(used, m, base, fit, &blo, &bhi, &points, why, len))
			return -1;
		fprintf(f,
			md ? "\nkvmsim over the fit's 1-sigma ellipsoid (%d points): poll success %.1f-%.1f %%, polling CPU "
			     "%.1f-%.1f %%, wake latency p50 %.2f-%.2f us.\n"
			   : "  kvmsim over the fit's 1-sigma (%d points): poll success %.1f-%.1f %%, polling CPU %.1f-%.1f %%, "
			     "p50 %.2f-%.2f us\n",
			points, blo.poll_success_pct, bhi.poll_success_pct, blo.poll_cpu_pct, bhi.poll_cpu_pct,
			blo.p50_ns / 1e3, bhi.p50_ns / 1e3);
	}
	if (!quiet && all > 1)
		fprintf(f,
			md ? "\nAll %d probes busy (%.0f-%.0f %% of the polls ended at their first check, other tasks "
			     "took %.0f-%.0f %% of the vCPU's CPU).\n"
			   : "  all %d probes busy (%.0f-%.0f %% of the polls ended at their first check, other tasks "
			     "took %.0f-%.0f %% of the vCPU's CPU)\n",
			all, 100 * cut_lo, 100 * cut_hi, 100 * cpu_lo, 100 * cpu_hi);
	if (!quiet && tol) {
		off++;
		fprintf(f, md ? "\nNot checked, so counted as outside tolerance.\n"
			      : "  not checked, so counted as outside tolerance\n");
	}
	calib_print_hists(f, &g, &s, md);
	if (md)
		fputc('\n', f);
	return off;
}

/*
 * load_saved - what --save wrote in dir: its train/ and test/ results (in name order), and
 * the idle entry's quantiles and exit growth measured with them (idle-entry.txt,
 * idle-growth.txt) where present and not given already; 0, or 2 with a message said.
 */
static int load_saved(const char *dir, char **train, int *ntrain, char **test, int *ntest, struct calib_fit *fit,
		      bool *growth_given, char *why, size_t len)
{
	static glob_t g[2]; /* the paths stay for the run */
	char pat[600];
	for (int k = 0; k < 2; k++) {
		snprintf(pat, sizeof(pat), "%s/%s/*.json", dir, k ? "test" : "train");
		int rc = glob(pat, 0, NULL, &g[k]);
		if (rc == GLOB_NOMATCH || (rc == 0 && g[k].gl_pathc < (k ? 1u : 2u)))
			return cli_error(CMD, "--load: %s/%s: expected %s probe results (*.json, as --save writes them)", dir,
					 k ? "test" : "train", k ? "at least 1" : "at least 2");
		if (rc)
			return cli_error(CMD, "--load: %s: cannot read it", pat);
		if (g[k].gl_pathc > MAXT)
			return cli_error(CMD, "--load: %s/%s: at most %d results", dir, k ? "test" : "train", MAXT);
		for (size_t i = 0; i < g[k].gl_pathc; i++)
			(k ? test : train)[(*(k ? ntest : ntrain))++] = g[k].gl_pathv[i];
	}
	for (int k = 0; k < 2; k++) {
		if (k ? *growth_given : fit->entry_nq > 0)
			continue; /* given on the command line: that wins */
		snprintf(pat, sizeof(pat), "%s/%s", dir, saved_idle[k]);
		FILE *f = fopen(pat, "r");
		if (!f)
			continue; /* not measured when saved */
		char line[4096] = "";
		bool read = fgets(line, sizeof(line), f) != NULL;
		fclose(f);
		line[strcspn(line, "\r\n")] = 0;
		if (!read || !line[0])
			continue;
		if (k ? calib_growth_parse(line, &fit->growth, why, len) : calib_entry_parse(line, fit, why, len))
			return cli_error(CMD, "--load: %s: %s", pat, why);
		if (k)
			*growth_given = true;
	}
	return 0;
}

int cmd_validate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "train", required_argument, NULL, 't' },	 { "test", required_argument, NULL, 'T' },
		{ "count", required_argument, NULL, 'n' },	 { "base", required_argument, NULL, 'b' }, { "idle-entry", required_argument, NULL, 'e' },
		{ "profile-out", required_argument, NULL, 'p' }, { "save", required_argument, NULL, 's' },
		{ "markdown", no_argument, NULL, 'm' },		 { "help", no_argument, NULL, 'h' },
		{ "repeat", required_argument, NULL, 'r' },	 { "idle-growth", required_argument, NULL, 'g' },
		{ "load", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	char *train[MAXT], *test[MAXT];
	int ntrain = 0, ntest = 0, o;
	const char *base = "haswell-ep", *pout = NULL, *save = NULL, *load = NULL;
	bool md = false, growth_given = false, count_set = false;
	uint32_t count = 4000, repeat = 10;
	bool repeat_set = false;
	struct calib_fit fit = { 0 };
	char why[512];
	opterr = 0;
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 't':
		case 'T':
			if ((o == 't' ? ntrain : ntest) == MAXT)
				return cli_error(CMD, "%s: at most %d results", o == 't' ? "--train" : "--test", MAXT);
			if (o == 't')
				train[ntrain++] = optarg;
			else
				test[ntest++] = optarg;
			break;
		case 'n':
			if (cli_parse_u32(CMD, "--count", optarg, &count))
				return 2;
			if (count < 100 || count > PROBE_MAX_COUNT)
				return cli_error(CMD, "--count: expected 100..%d, got %s", PROBE_MAX_COUNT, optarg);
			count_set = true;
			break;
		case 'r': {
			char *end;
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > MAX_REPEAT)
				return cli_error(CMD, "--repeat: expected a whole number 1..%d, got \"%s\"", MAX_REPEAT, optarg);
			repeat = (uint32_t)v;
			repeat_set = true;
			break;
		}
		case 'b':
			base = optarg;
			break;
		case 'e':
			if (calib_entry_parse(optarg, &fit, why, sizeof(why)))
				return cli_error(CMD, "--idle-entry: %s", why);
			break;
		case 'g':
			if (calib_growth_parse(optarg, &fit.growth, why, sizeof(why)))
				return cli_error(CMD, "--idle-growth: %s", why);
			growth_given = true;
			break;
		case 'p':
			pout = optarg;
			break;
		case 's':
			save = optarg;
			break;
		case 'l':
			load = optarg;
			break;
		case 'm':
			md = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return cli_bad_option(CMD, argv);
		}
	}
	if (optind < argc)
		return cli_error(CMD, "%s: unexpected argument (kvmsim validate --help)", argv[optind]);
	if (load) {
		if (ntrain || ntest)
			return cli_error(CMD, "--load: not with --train/--test (it gives them)");
		int rc = load_saved(load, train, &ntrain, test, &ntest, &fit, &growth_given, why, sizeof(why));
		if (rc)
			return rc;
	}
	if (ntrain && (count_set || save))
		return cli_error(CMD, "%s: only when probing this host (the results given were probed already)",
				 count_set ? "--count" : "--save");
	if ((ntrain > 0) != (ntest > 0))
		return cli_error(CMD, "--train and --test go together (or neither: probe this host)");
	if (ntrain == 1)
		return cli_error(CMD, "--train: expected at least 2 results to fit on");
	if (ntrain && repeat_set)
		return cli_error(CMD, "--repeat: only when probing this host (results of one pattern given with "
				      "--train/--test are its repeats)");
	for (int i = 0; i < ntrain + ntest; i++)
		for (int j = 0; j < i; j++) {
			const char *a = i < ntrain ? train[i] : test[i - ntrain], *b = j < ntrain ? train[j] : test[j - ntrain];
			struct stat sa, sb;
			if (!strcmp(a, b) || (!stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino))
				return strcmp(a, b) ? cli_error(CMD, "%s and %s: the same file (one probe counts once)", b, a)
						    : cli_error(CMD, "%s: given twice (one probe counts once)", a);
		}
	char sub[512];
	for (int k = 0; save && k < 3; k++) {
		snprintf(sub, sizeof(sub), "%s%s", save, k == 0 ? "" : k == 1 ? "/train" : "/test");
		if (mkdir(sub, 0777) && errno != EEXIST)
			return (cli_error(CMD, "%s: %s", sub, strerror(errno)), 1);
	}

	_Static_assert(MAX_REPEAT * (sizeof(test_set) / sizeof(*test_set)) <= MAXT &&
			       MAX_REPEAT * (sizeof(train_set) / sizeof(*train_set)) <= MAXT,
		       "MAXT holds every probe of the built-in loop");
	static struct calib_target tt[MAXT], th[MAXT]; /* one run per process; too large for the stack */
	int rc = 0;
	if (ntrain) {
		rc = calib_load_targets(CMD, train, ntrain, tt);
		if (!rc)
			rc = calib_load_targets(CMD, test, ntest, th);
	} else {
		/* round after round, so that a slow change of the machine reaches every pattern alike */
		const int ntr = (int)(sizeof(train_set) / sizeof(*train_set)), nte = (int)(sizeof(test_set) / sizeof(*test_set));
		for (int r = 0; r < (int)repeat && !rc; r++) {
			for (int i = 0; i < ntr && !rc; i++)
				rc = probe_target(train_set[i].spec, train_set[i].hp, count, save, "train", repeat > 1 ? r : -1,
						  &tt[ntrain++]);
			for (int i = 0; i < nte && !rc; i++)
				rc = probe_target(test_set[i].spec, test_set[i].hp, count, save, "test", repeat > 1 ? r : -1,
						  &th[ntest++]);
		}
		if (!rc && (!fit.entry_nq || !growth_given)) /* after the probes: a host without /dev/kvm has said so */
			rc = measure_entry(&fit, !fit.entry_nq, !growth_given, count, save);
	}
	if (!rc && calib_fit(tt, ntrain, base, &fit, why, sizeof(why)))
		rc = (cli_error(CMD, "%s", why), 1);
	int off = 0;
	if (!rc) {
		FILE *f = stdout;
		const char *host = NULL;
		fprintf(f, md ? "## Fit (%d probe results, base profile %s)\n\n" : "kvmsim validate: fit on %d probe results, base profile %s\n",
			ntrain, base);
		if (!access("/sys/module/kvm_pvm", F_OK))
			host = "this host's KVM is PVM, itself running in a VM (nested): the guest's kernel-mode "
			       "instructions are emulated, and the fit absorbs that into the costs";
		if (host)
			fprintf(f, md ? "Note: %s.\n\n" : "note: %s\n", host);
		calib_print_fit(f, &fit, md);
		if (fit.used < ntrain)
			fprintf(f, md ? "\nFitted on the %d of %d probe results made while the vCPU's CPU was quiet.\n"
				      : "  fitted on the %d of %d probe results made while the vCPU's CPU was quiet\n",
				fit.used, ntrain);
		const struct calib_tol tol = { 3, 3, 0.20 };
		for (int pass = 0; pass < 2 && !rc; pass++) {
			int n = pass ? ntest : ntrain;
			struct calib_target *t = pass ? th : tt;
			fprintf(f, md ? "\n## %s\n\n" : "\n%s\n",
				pass ? "Held out: predicted with the fitted profile (tolerances apply)"
				     : "Fitted on (training data: no tolerances)");
			bool done[MAXT] = { false };
			for (int i = 0; i < n && !rc; i++) {
				if (done[i])
					continue;
				int r = print_group(f, t, n, i, done, base, &fit, pass ? &tol : NULL, md, why, sizeof(why));
				if (r < 0)
					rc = (cli_error(CMD, "%s", why), 1);
				else
					off += r;
			}
		}
		if (!rc)
			fprintf(f, md ? "\n%d held-out figure%s outside tolerance.\n" : "\n%d held-out figure%s outside tolerance\n",
				off, off == 1 ? "" : "s");
	}
	if (!rc && pout) {
		FILE *pf = cli_open_out(CMD, pout);
		if (!pf)
			rc = 1;
		else if (calib_write_profile(pf, base, "this-host", NULL, tt[0].tsc_khz, &fit, tt, ntrain, why, sizeof(why)))
			rc = (cli_error(CMD, "%s", why), 1), cli_close_out(CMD, pout, pf);
		else
			rc = cli_close_out(CMD, pout, pf);
	}
	for (int i = 0; i < MAXT; i++) {
		calib_target_free(&tt[i]);
		calib_target_free(&th[i]);
	}
	return rc ? rc : off ? 1 : 0;
}
