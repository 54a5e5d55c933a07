/*
 * cmd_run.c - `kvmsim run` (simulate a scenario) and the commands that
 * describe what a scenario can say: `keys`, `profiles`, `policies`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/haltpoll/policies.h"
#include "models/tracepoints/kvm_tp.h"
#include "sim/xalloc.h"
#include "workloads/scenario/machine.h"
#include "workloads/scenario/report.h"
#include "sim/cli.h"
#include "sim/out_json.h"

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void run_usage(FILE *f)
{
	/* the event names, wrapped at 80 columns under the option's text */
	char events[600] = "";
	size_t n = 0, col = 20;
	for (int i = 0; i < KVM_EV_N; i++) {
		const char *sep = i + 1 < KVM_EV_N ? "," : "";
		size_t w = strlen(kvm_event_names[i]) + strlen(sep);
		if (col > 20 && col + 1 + w > 80) {
			n += (size_t)snprintf(events + n, sizeof(events) - n, "\n                   ");
			col = 19;
		}
		n += (size_t)snprintf(events + n, sizeof(events) - n, " %s%s", kvm_event_names[i], sep);
		col += 1 + w;
	}
	fprintf(f,
		"usage: kvmsim run [SCENARIO.yaml] [options]\n\n"
		"Simulate a scenario (without a file: the built-in default) and print a summary.\n\n"
		"  --set KEY=VALUE   override a scenario key, e.g. --set vm.halt_poll_ns=100000\n"
		"                    (repeatable; `kvmsim keys` lists every key)\n"
		"  --seed N          master random seed (as --set seed=N)\n"
		"  --duration T      simulated time, e.g. 500ms (as --set duration=T)\n"
		"  --json FILE       results as JSON (schema " KVMSIM_RUN_SCHEMA "); - for stdout\n"
		"  --trace FILE      the kvm events in trace-cmd report layout, as the chosen kernel\n"
		"                    prints them:\n                   %s\n"
		"                    FILE ending in .dat: a trace.dat (format 6) that `trace-cmd report`\n"
		"                    and KernelShark open, each event's text as its msg field\n"
		"  --trace-ns        text trace: timestamps in nanoseconds, as `trace-cmd report -t`\n"
		"                    prints them (default: microseconds, as `trace-cmd report` does)\n"
		"  --policy-lib SO   load a halt-polling policy from a shared object (repeatable)\n"
		"  --kvm-events      print the tracepoint counts as `perf stat -e 'kvm:*'` does (every\n"
		"                    kvm_exit that fired, also one still being handled at the end)\n"
		"  --exit-stats      print the VM exits as `perf kvm stat report` does (exits paired\n"
		"                    with their next kvm_entry: one still open at the end is not counted)\n"
		"  --hist FILE       the guest cyclictest's histogram in `cyclictest -h` layout\n"
		"  --progress        show progress on stderr (default: when stderr is a terminal)\n"
		"  --no-progress     never show progress\n"
		"  --quiet           no summary\n"
		"  -h, --help        this text\n\n"
		"The summary: per vCPU, `wakes` counts wake-ups: interrupts that found the guest idle\n"
		"(halted, or spinning in its idle loop with nothing left to do) as they reached IRR;\n"
		"the wake latency is from such an interrupt's arrival to its handler's first instruction.\n"
		"Every interrupt's latency (busy or idle) is in the JSON as latency.irq.\n",
		events);
}

static int load_policies(const char *cmd, char **libs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char err[512];
		if (!hp_policy_load(libs[i], err, sizeof(err)))
			return cli_error(cmd, "--policy-lib: %s", err);
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "set", required_argument, NULL, 's' },	{ "seed", required_argument, NULL, 'S' },
		{ "duration", required_argument, NULL, 'd' }, { "json", required_argument, NULL, 'j' },
		{ "trace", required_argument, NULL, 't' },	{ "trace-ns", no_argument, NULL, 'T' },	{ "policy-lib", required_argument, NULL, 'p' },
		{ "progress", no_argument, NULL, 'P' },	{ "no-progress", no_argument, NULL, 'N' },
		{ "quiet", no_argument, NULL, 'q' },		{ "help", no_argument, NULL, 'h' },
		{ "kvm-events", no_argument, NULL, 'K' },	{ "exit-stats", no_argument, NULL, 'X' },
		{ "hist", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	struct scenario_set *sets = xcalloc((size_t)argc + 2, sizeof(*sets));
	char **libs = xcalloc((size_t)argc + 1, sizeof(char *));
	size_t nsets = 0, nlibs = 0;
	char *seed_set = NULL, *dur_set = NULL;
	const char *json_path = NULL, *trace_path = NULL, *hist_path = NULL;
	int progress = -1, quiet = 0, kvm_events = 0, exit_stats = 0, c, rc = 0;
	bool trace_ns = false;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sets[nsets++] = (struct scenario_set){ optarg, NULL };
			break;
		case 'S':
			free(seed_set);
			seed_set = xcalloc(1, strlen(optarg) + 8);
			sprintf(seed_set, "seed=%s", optarg);
			break;
		case 'd':
			free(dur_set);
			dur_set = xcalloc(1, strlen(optarg) + 12);
			sprintf(dur_set, "duration=%s", optarg);
			break;
		case 'j':
			json_path = optarg;
			break;
		case 't':
			trace_path = optarg;
			break;
		case 'T':
			trace_ns = true;
			break;
		case 'p':
			libs[nlibs++] = optarg;
			break;
		case 'P':
			progress = 1;
			break;
		case 'N':
			progress = 0;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'K':
			kvm_events = 1;
			break;
		case 'X':
			exit_stats = 1;
			break;
		case 'H':
			hist_path = optarg;
			break;
		case 'h':
			run_usage(stdout);
			goto out;
		default:
			rc = cli_bad_option("run", argv);
			goto out;
		}
	}
	if (argc - optind > 1) {
		rc = cli_error("run", "one scenario file at most (got \"%s\" and \"%s\")", argv[optind],
			       argv[optind + 1]);
		goto out;
	}
	if (seed_set)
		sets[nsets++] = (struct scenario_set){ seed_set, "--seed" };
	if (dur_set)
		sets[nsets++] = (struct scenario_set){ dur_set, "--duration" };
	if ((rc = load_policies("run", libs, nlibs)))
		goto out;
	if (trace_ns && !trace_path) {
		rc = cli_error("run", "--trace-ns: give --trace FILE too");
		goto out;
	}
	size_t tlen = trace_path ? strlen(trace_path) : 0;
	bool trace_dat = tlen > 4 && !strcmp(trace_path + tlen - 4, ".dat");

	struct scenario sc;
	struct conf_err err;
	memset(&sc, 0, sizeof(sc));
	if (scenario_load(&sc, optind < argc ? argv[optind] : NULL, sets, nsets, &err)) {
		rc = cli_error("run", "%s", err.msg);
		scenario_free(&sc);
		goto out;
	}
	if (sc.era.arch == KVM_ARCH_POWERPC && (kvm_events || exit_stats)) { /* x86's kvm events and VMX exits */
		rc = cli_error("run", "%s: the x86 kvm events and VM exits; a powerpc run has its kvm_hv events in --trace",
			       kvm_events ? "--kvm-events" : "--exit-stats");
		scenario_free(&sc);
		goto out;
	}
	FILE *trace = NULL, *json = NULL;
	if (trace_path && !(trace = cli_open_out("run", trace_path))) {
		rc = EXIT_FAILED;
		scenario_free(&sc);
		goto out;
	}
	if (json_path && !(json = cli_open_out("run", json_path))) {
		rc = EXIT_FAILED;
		cli_discard_out(trace);
		scenario_free(&sc);
		goto out;
	}
	struct machine m;
	if (machine_build_traced(&m, &sc, trace, trace_dat, &err)) {
		rc = cli_error("run", "%s", err.msg);
		if (m.trace_tmp_failed)
			rc = EXIT_FAILED;
		machine_free(&m);
		cli_discard_out(trace);
		cli_discard_out(json);
		scenario_free(&sc);
		goto out;
	}
	m.trace_ns = trace_ns;
	if (hist_path && !m.nct) {
		rc = cli_error("run", "--hist: the scenario runs no cyclictest (set vm.cyclictest.threads)");
		machine_free(&m);
		cli_close_out("run", trace_path, trace);
		cli_close_out("run", json_path, json);
		scenario_free(&sc);
		goto out;
	}
	if (progress < 0)
		progress = !quiet && cli_stderr_is_tty();

	double t0 = wall_now();
	struct run_info ri = { 0, 0 };
	const int slices = 200;
	bool shown = false;
	for (int i = 1; i <= slices; i++) {
		ri.events += machine_run_until(&m, sc.duration / slices * i + (i == slices ? sc.duration % slices : 0));
		double el = wall_now() - t0;
		if (progress && el > 0.5 && i < slices) {
			double frac = (double)i / slices;
			fprintf(stderr, "\rkvmsim run: %3.0f%% simulated, %.1f M events/s, about %.0f s left   ",
				frac * 100, (double)ri.events / el / 1e6, el / frac - el);
			shown = true;
		}
	}
	if (shown)
		fprintf(stderr, "\r%70s\r", "");
	machine_finish(&m);
	ri.wall_s = wall_now() - t0;

	FILE *human = json == stdout || trace == stdout ? stderr : stdout;
	if (!quiet)
		report_text(human, &m, &ri);
	if (kvm_events)
		report_kvm_events(human, &m);
	if (exit_stats)
		report_exit_stats(human, &m);
	if (hist_path) {
		FILE *hf = cli_open_out("run", hist_path);
		if (!hf) {
			rc = EXIT_FAILED;
		} else {
			cyclictest_write_hist(hf, m.ct, m.nct);
			rc = cli_close_out("run", hist_path, hf);
		}
	}
	if (json) {
		json_t *doc = report_json(&m, &ri);
		sim_json_dump(doc, json);
		json_decref(doc);
	}
	if (m.trace_dat && machine_trace_dat_write(&m)) {
		fprintf(stderr, "kvmsim run: %s: cannot write the trace.dat: %s\n", trace_path, strerror(errno));
		rc = rc ? rc : EXIT_FAILED;
		cli_discard_out(trace); /* nothing half-written under the user's name */
		trace = NULL;
	}
	machine_free(&m);
	int rc1 = cli_close_out("run", trace_path, trace);
	int rc2 = cli_close_out("run", json_path, json);
	rc = rc ? rc : rc1 ? rc1 : rc2;
	scenario_free(&sc);
out:
	free(seed_set);
	free(dur_set);
	free(sets);
	free(libs);
	source_files_free();
	return rc;
}

int cmd_keys(int argc, char **argv)
{
	bool md = argc > 1 && !strcmp(argv[1], "--markdown");
	if (argc > 1 && !md) {
		if (strcmp(argv[1], "--help") && strcmp(argv[1], "-h"))
			return cli_error("keys", "unknown option \"%s\" (kvmsim keys [--markdown])", argv[1]);
		printf("usage: kvmsim keys [--markdown]\n\nEvery scenario key with its type, unit and default.\n");
		return 0;
	}
	scenario_keys_doc(stdout, md);
	return 0;
}

int cmd_profiles(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: kvmsim profiles [NAME | --keys [--markdown]]\n\nList the built-in cost profiles, print "
		       "one, or list every key a profile file may have\n(with its type, unit and default).\n");
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--keys")) {
		bool md = argc > 2 && !strcmp(argv[2], "--markdown");
		if (argc > 3 || (argc == 3 && !md))
			return cli_error("profiles", "unknown option \"%s\" (kvmsim profiles --keys [--markdown])",
					 argv[argc == 3 ? 2 : 3]);
		cost_profile_keys_doc(stdout, md);
		return 0;
	}
	for (size_t i = 0; i < cost_profile_builtin_count(); i++) {
		if (argc > 1) {
			if (!strcmp(argv[1], cost_profile_builtin_name(i))) {
				fputs(cost_profile_builtin_text(i), stdout);
				return 0;
			}
			continue;
		}
		struct cost_profile p;
		struct conf_err err;
		if (cost_profile_load(&p, cost_profile_builtin_name(i), &err))
			return cli_error("profiles", "%s", err.msg);
		printf("%-12s %s (TSC %.3g GHz)\n", p.name, p.description ? p.description : "",
		       (double)p.tsc_khz / 1e6);
		cost_profile_free(&p);
	}
	if (argc > 1)
		return cli_error("profiles", "no built-in profile \"%s\"", argv[1]);
	return 0;
}

int cmd_policies(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: kvmsim policies [--policy-lib SO]...\n\nList the halt-polling policies.\n");
			return 0;
		}
		if (!strcmp(argv[i], "--policy-lib") && i + 1 < argc) {
			char err[512];
			if (!hp_policy_load(argv[++i], err, sizeof(err)))
				return cli_error("policies", "--policy-lib: %s", err);
			continue;
		}
		return cli_error("policies", "unknown argument \"%s\"", argv[i]);
	}
	for (size_t i = 0; i < hp_policy_count(); i++)
		printf("%-10s %s\n", hp_policy_at(i)->name,
		       hp_policy_at(i)->description ? hp_policy_at(i)->description : "");
	return 0;
}
