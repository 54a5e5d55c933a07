/*
 * cmd_replay.c - `kvmsim trace replay`: rebuild a recorded trace's wake-up
 * sources and guest work, simulate them under one halt-polling setting or
 * several side by side (--compare), and print the trace's own figures next to
 * the predicted ones (trace_replay.h). Output, text or --json, depends on the
 * trace and the options only.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/haltpoll/policies.h"
#include "sim/xalloc.h"
#include "sim/cli.h"
#include "sim/out_json.h"
#include "models/haltpoll/settings.h"
#include "traces/replay_read.h"
#include "traces/trace_read.h"
#include "traces/replay_run.h"
#include "sim/source.h"

#define CMD "trace replay"
#define REPLAY_SCHEMA "kvmsim-trace-replay/1"
#define MAX_COLUMNS 16

/* usage - the --help text. */
static void usage(FILE *f)
{
	fprintf(f,
		"usage: kvmsim trace replay TRACE [--policy SPEC | --compare SPEC...] [options]\n\n"
		"Rebuild each vCPU thread's wake-up sources from a recorded trace (a halt's\n"
		"end less the wake-up latency the trace shows; the guest's run time between\n"
		"halts as the work each brings) and simulate them under another halt-polling\n"
		"policy or parameters: predicted kvm_halt_poll_ns decisions, poll success,\n"
		"wake-up latency and host CPU spent polling, next to the trace's own.\n\n"
		"A SPEC is NAME[:KEY=VALUE[,KEY=VALUE...]]: a policy (kvm, none, fixed, or one\n"
		"from --policy-lib) and its settings: halt_poll_ns, halt_poll_ns_grow,\n"
		"halt_poll_ns_grow_start, halt_poll_ns_shrink (kvm module parameters), any\n"
		"scenario key (vm.halt_poll_ns, cost_profile, ...), or else a policy parameter.\n"
		"e.g.  kvmsim trace replay t.report --compare kvm kvm:halt_poll_ns=50000 none\n\n"
		"  --policy SPEC        the setting to simulate (default kvm)\n"
		"  --compare            simulate every SPEC given after TRACE, side by side\n"
		"  --kernel VERSION     kernel release modelled (default: the scenario default)\n"
		"  --arch ARCH          x86 (default), powerpc, s390, arm64\n"
		"  --set KEY=VALUE      a setting for every column (as in a SPEC)\n"
		"  --policy-lib SO      load a policy from a shared object\n"
		"  --wake-latency NS    wake-up latency of halts that slept with no interrupt\n"
		"                       event in the trace (default: the median it shows, else 0)\n"
		"  --arrivals FILE      also write the rebuilt arrivals (VCPU TIME_NS WORK_NS)\n"
		"  --json FILE          the results as JSON (- for stdout)\n"
		"  -h, --help           this text\n");
}

/* column_parse - "kvm:halt_poll_ns=5us,alpha=0.2": policy "kvm" and scenario assignments (split in place). */
static int column_parse(char *spec, struct replay_column *col, char ***owned, size_t *nowned)
{
	char **sets = xcalloc(64, sizeof(char *));
	*owned = xrealloc(*owned, (*nowned + 1) * sizeof(char *));
	(*owned)[(*nowned)++] = (char *)sets;
	col->name = xstrdup(spec);
	col->sets = (const char *const *)sets;
	col->nsets = 0;
	char *colon = strchr(spec, ':');
	if (colon)
		*colon = 0;
	col->policy = spec;
	if (!*spec)
		return -1;
	for (char *kv = colon ? strtok(colon + 1, ",") : NULL; kv; kv = strtok(NULL, ",")) {
		char *eq = strchr(kv, '=');
		if (!eq || eq == kv || col->nsets == 64)
			return -1;
		size_t klen = (size_t)(eq - kv);
		bool module = (klen == 12 && !strncmp(kv, "halt_poll_ns", 12)) || !strncmp(kv, "halt_poll_ns_", 13);
		char *s = xcalloc(1, strlen(kv) + 32);
		sprintf(s, "%s%s", module ? "kvm." : memchr(kv, '.', klen) ? "" : "vm.policy_params.", kv);
		sets[col->nsets++] = s;
	}
	if (colon && !col->nsets)
		return -1;
	return 0;
}

/* us - ns as microseconds, for the table. */
static double us(int64_t ns)
{
	return (double)ns / 1000.0;
}

/* lat_cell - a latency in us: the mean (q < 0), a quantile, or the max (q == 1); "n/a" without samples. */
static const char *lat_cell(char *buf, const struct sim_hist *h, double q)
{
	if (!h->count)
		return "n/a";
	double v = q < 0 ? sim_hist_mean(h) / 1000.0 : q >= 1 ? us(h->max) : us(sim_hist_quantile(h, q));
	snprintf(buf, 32, "%.2f", v);
	return buf;
}

/* us_cell - ns as us with two decimals, or "-" when negative (not measured, not applicable). */
static const char *us_cell(char buf[32], int64_t ns)
{
	if (ns < 0)
		return "-";
	snprintf(buf, 32, "%.2f", us(ns));
	return buf;
}

/* print_table - the columns side by side, each as wide as its name. */
static void print_table(FILE *f, const struct replay_result *r, size_t n)
{
	int w[MAX_COLUMNS + 1];
	char cell_buf[MAX_COLUMNS + 1][32];
	fprintf(f, "%-26s", "");
	for (size_t i = 0; i < n; i++) {
		w[i] = (int)strlen(r[i].name) < 10 ? 10 : (int)strlen(r[i].name);
		fprintf(f, "  %*s", w[i], r[i].name);
	}
	fprintf(f, "\n");
#define ROW(label, fmt, expr)                                    \
	do {                                                     \
		fprintf(f, "%-26s", label);                      \
		for (size_t i = 0; i < n; i++) {                 \
			char cell[64];                           \
			snprintf(cell, sizeof(cell), fmt, expr); \
			fprintf(f, "  %*s", w[i], cell);         \
		}                                                \
		fprintf(f, "\n");                                \
	} while (0)
	ROW("deepest host idle state", "%s", r[i].recorded ? "-" : r[i].idle_limit[0] ? r[i].idle_limit : "as set");
	ROW("halts", "%" PRIu64, r[i].halts);
	ROW("polls attempted", "%" PRIu64, r[i].polls_attempted);
	ROW("polls successful", "%" PRIu64, r[i].polls_ok);
	/* no poll attempted: no success rate to show, not 0 */
	ROW("poll success (%)", "%.24s", !r[i].polls_attempted ? "-"
				       : (snprintf(cell_buf[i], 32, "%.1f",
						   100.0 * (double)r[i].polls_ok / (double)r[i].polls_attempted),
					  cell_buf[i]));
	ROW("halt_poll_ns grows", "%" PRIu64, r[i].grows);
	ROW("halt_poll_ns shrinks", "%" PRIu64, r[i].shrinks);
	ROW("wake latency count", "%" PRIu64, r[i].wake_lat.count);
	/* no latency measured (a trace without interrupt events): none to show, not 0 */
	ROW("wake latency mean (us)", "%.24s", lat_cell(cell_buf[i], &r[i].wake_lat, -1));
	ROW("wake latency p50 (us)", "%.24s", lat_cell(cell_buf[i], &r[i].wake_lat, 0.50));
	ROW("wake latency p90 (us)", "%.24s", lat_cell(cell_buf[i], &r[i].wake_lat, 0.90));
	ROW("wake latency p99 (us)", "%.24s", lat_cell(cell_buf[i], &r[i].wake_lat, 0.99));
	ROW("wake latency max (us)", "%.24s", lat_cell(cell_buf[i], &r[i].wake_lat, 1));
	ROW("polling CPU, success (ms)", "%.3f", (double)r[i].poll_ok_ns / 1e6);
	ROW("polling CPU, failed (ms)", "%.3f", (double)r[i].poll_fail_ns / 1e6);
	ROW("model path between halts (us)", "%.24s", us_cell(cell_buf[i], r[i].recorded ? -1 : r[i].path_ns));
	ROW("wake-up from sleep added (us)", "%.24s", us_cell(cell_buf[i], r[i].recorded ? -1 : r[i].wake_extra_ns));
	ROW("polling CPU (% of span)", "%.2f",
	    r[i].span_ns ? 100.0 * (double)(r[i].poll_ok_ns + r[i].poll_fail_ns) / (double)r[i].span_ns : 0.0);
#undef ROW
}

/* apic_clash - the first two threads that run one vCPU id with no TGID to tell their VMs apart. */
static bool apic_clash(const struct replay_trace *t, const struct replay_vcpu **a, const struct replay_vcpu **b)
{
	for (size_t i = 0; i < t->nvcpus; i++)
		for (size_t j = i + 1; j < t->nvcpus; j++)
			if (t->vcpus[i].vcpu_id == t->vcpus[j].vcpu_id && (t->vcpus[i].tgid < 0 || t->vcpus[j].tgid < 0)) {
				*a = &t->vcpus[i];
				*b = &t->vcpus[j];
				return true;
			}
	return false;
}

/* print_report - what was read and rebuilt, the model, the table and what its rows mean. */
static void print_report(FILE *f, const char *trace, const struct trace_stats *st, const struct replay_trace *t,
			 size_t nhalts, const char *arch, const struct replay_result *res, size_t nres)
{
	fprintf(f, "trace: %s (%s; %zu vCPU thread%s, %zu halts over %.3f ms; ", strcmp(trace, "-") ? trace : "(stdin)",
		st->format, t->nvcpus, t->nvcpus == 1 ? "" : "s", nhalts, (double)res[0].span_ns / 1e6);
	if (st->events[KEV_SCHED_SWITCH])
		fprintf(f, "%" PRIu64 " sched_switch read; ", st->events[KEV_SCHED_SWITCH]);
	fprintf(f, "%" PRIu64 " other events and %" PRIu64 " other lines skipped)\n", st->other_events,
		st->other_lines);
	fprintf(f, "arrivals: %" PRIu64 " rebuilt; %" PRIu64 " at the interrupt the trace shows, %" PRIu64
		" at the wake-up less %.2f us, the rest at the end of a poll; guest work from kvm_entry/kvm_exit "
		"for %" PRIu64 ", from the gap between halts for %" PRIu64 "\n",
		t->arrivals, t->measured, t->assumed, us(t->assumed_latency_ns), t->work_guest, t->work_gap);
	fprintf(f, "model: kernel %s (%s), one VM, its %zu vCPU%s pinned as the trace ran them, on %zu pCPU%s",
		res[1].kernel, arch, t->nvcpus, t->nvcpus == 1 ? "" : "s", t->npcpus, t->npcpus == 1 ? "" : "s");
	if (t->slept_measured && res[1].idle_bound_ns >= 0)
		fprintf(f, "; the host polls when idle unless set (each recorded wake-up from a sleep, median %.2f us, "
			"holds its host's idle exit)",
			us(t->median_latency_ns));
	fprintf(f, "\n");
	for (size_t i = 0; i < t->nprods; i++)
		if (t->prods[i].pcpu >= 0)
			fprintf(f, "host load: %s-%d raised %zu interrupts on CPU %d, where a vCPU thread ran: a host "
				"task there, running %.1f us (assumed) before each\n",
				t->prods[i].comm, t->prods[i].pid, t->prods[i].nts, t->prods[i].cpu,
				REPLAY_PRODUCER_RUN_NS / 1000.0);
	const struct replay_vcpu *a, *b;
	if (apic_clash(t, &a, &b))
		fprintf(f, "note: threads %d and %d both run vCPU %u and the trace shows no TGID: each "
			"gets the other's interrupts too (record with options/record-tgid)\n",
			a->pid, b->pid, a->vcpu_id);
	if (st->lost_events)
		fprintf(f, "note: the trace lost %" PRIu64 " events (ring-buffer overruns): halts are missing\n",
			st->lost_events);
	fprintf(f, "\n");
	print_table(f, res, nres);
	fprintf(f, "\nrecorded: decisions and halts as traced; wake latency from the interrupt (kvm_msi_set_irq or "
		"kvm_apic_accept_irq)\nto kvm_vcpu_wakeup;\n%s",
		t->sched ? "polling CPU measured: a failed poll ended when its thread left its CPU (sched_switch).\n"
			 : "polling CPU estimated from halt_poll_ns (a failed poll spent its whole window, or\n"
			   "the time until a thread that raised an MSI on its CPU woke there).\n");
	fprintf(f, "simulated: wake latency from the interrupt to the guest's handler; guest work from a gap between halts\n"
		"is that gap less the model's own path from a halt's end to the next halt's start (entry, interrupt,\n"
		"EOI, HLT exit); a vCPU found asleep is woken as late as the trace shows (its halt's own latency, or\n"
		"the trace's median), less the model's own wake-up; a halt's interrupt is raised so that the model's\n"
		"own poll or wake-up ends it when the recorded one ended; all measured by a first run of the column.\n");
}

/* result_json - one column for --json. */
static json_t *result_json(const struct replay_result *r)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:{s:I, s:I}, s:o, s:{s:I, s:I}, s:o}", "name", r->name,
			 "kernel", r->recorded ? "" : r->kernel, "deepest_idle_state", r->idle_limit, "halts",
			 (json_int_t)r->halts, "polls_attempted",
			 (json_int_t)r->polls_attempted, "polls_successful", (json_int_t)r->polls_ok,
			 "halt_poll_ns_decisions", "grow", (json_int_t)r->grows, "shrink", (json_int_t)r->shrinks,
			 "wake_latency", r->wake_lat.count ? sim_hist_json(&r->wake_lat) : json_null(), "polling_cpu_ns", "success",
			 (json_int_t)r->poll_ok_ns, "failed", (json_int_t)r->poll_fail_ns, "model_path_ns",
			 r->recorded || r->path_ns < 0 ? json_null() : json_integer(r->path_ns));
}

/* read_failed - trace_read's error: bad input (exit 2) or the reading failed (exit 1). */
static int read_failed(int rc, const char *err)
{
	if (rc != TRACE_READ_FAILED)
		return cli_error(CMD, "%s", err);
	fprintf(stderr, "kvmsim %s: %s\n", CMD, err);
	return EXIT_FAILED;
}

/* cmd_trace_replay - options and SPECs, the trace read and rebuilt, one run per column, the table. */
int cmd_trace_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		KVM_SETTING_OPTIONS,
		{ "compare", no_argument, NULL, 'c' },
		{ "wake-latency", required_argument, NULL, 'w' },
		{ "arrivals", required_argument, NULL, 'A' },
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kvm_setting_args args; /* --set here is kept as scenario keys, in sets */
	kvm_setting_args_init(&args, 0);
	args.policy = NULL; /* not "kvm": --policy and --compare exclude each other */
	const char *json_path = NULL, *arr_path = NULL;
	bool compare = false;
	int64_t latency = -1;
	char **sets = xcalloc((size_t)argc + 1, sizeof(char *));
	char **owned = NULL;
	size_t nsets = 0, nowned = 0, ncol = 0;
	struct replay_column cols[MAX_COLUMNS];
	struct replay_result res[MAX_COLUMNS + 1];
	size_t nres = 0;
	struct replay_trace t;
	memset(&t, 0, sizeof(t));
	int c, rc = 0;
	char err[800];
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			compare = true;
			break;
		case 's': { /* module parameters by their bare names, like trace check */
			bool module = !strncmp(optarg, "halt_poll_ns=", 13) || !strncmp(optarg, "halt_poll_ns_", 13);
			char *s = xcalloc(1, strlen(optarg) + 8);
			sprintf(s, "%s%s", module ? "kvm." : "", optarg);
			sets[nsets++] = s;
			break;
		}
		case 'w': {
			char *end;
			errno = 0;
			long long v = strtoll(optarg, &end, 10);
			if (*end || !*optarg || errno || v < 0) {
				rc = cli_error(CMD, "--wake-latency: expected nanoseconds (a whole number), got \"%s\"",
					       optarg);
				goto out;
			}
			if (v > REPLAY_MAX_WORK_NS) {
				rc = cli_error(CMD, "--wake-latency: %s ns is more than a day (at most %lld)", optarg,
					       (long long)REPLAY_MAX_WORK_NS);
				goto out;
			}
			latency = v;
			break;
		}
		case 'A':
			arr_path = optarg;
			break;
		case 'j':
			json_path = optarg;
			break;
		case 'h':
			usage(stdout);
			goto out;
		default:
			if ((rc = kvm_setting_option(CMD, c, optarg, &args, argv)))
				goto out;
		}
	}
	/* argv's own strings, which column_parse splits in place */
	char *policy = (char *)args.policy;
	const char *kernel = args.kernel, *arch = args.arch;
	if (optind >= argc) {
		rc = cli_error(CMD, "a TRACE file is required (kvmsim trace replay --help)");
		goto out;
	}
	const char *trace = argv[optind];
	int nspec = argc - optind - 1;
	if (compare && policy) {
		rc = cli_error(CMD, "--policy and --compare exclude each other (give the SPECs after --compare)");
		goto out;
	}
	if (!compare && nspec) {
		rc = cli_error(CMD, "\"%s\": one TRACE only (to compare settings, use --compare SPEC...)",
			       argv[optind + 1]);
		goto out;
	}
	if (compare && nspec < 1) {
		rc = cli_error(CMD, "--compare needs at least one SPEC after the TRACE (e.g. --compare kvm none)");
		goto out;
	}
	if (nspec > MAX_COLUMNS) {
		rc = cli_error(CMD, "--compare: at most %d SPECs", MAX_COLUMNS);
		goto out;
	}
	struct kvm_era era;
	if (kernel && kvm_era_from_args(CMD, kernel, arch, &era)) {
		rc = EXIT_BAD_INPUT;
		goto out;
	}
	enum kvm_arch a;
	if (kvm_arch_parse(arch, &a)) {
		rc = cli_error(CMD, "--arch: expected x86, powerpc, s390 or arm64, got \"%s\"", arch);
		goto out;
	}
	char *specs_default[] = { policy ? policy : "kvm" };
	char **specs = compare ? argv + optind + 1 : specs_default;
	ncol = compare ? (size_t)nspec : 1;
	for (size_t i = 0; i < ncol; i++) {
		if (column_parse(specs[i], &cols[i], &owned, &nowned)) {
			rc = cli_error(CMD, "\"%s\": expected NAME[:KEY=VALUE[,KEY=VALUE...]]", cols[i].name);
			ncol = i + 1;
			goto out;
		}
		if (!hp_policy_find(cols[i].policy)) {
			rc = cli_error(CMD, "%s: no policy named \"%s\" (kvmsim policies lists them)", cols[i].name,
				       cols[i].policy);
			ncol = i + 1;
			goto out;
		}
	}

	struct trace_stats st;
	if ((rc = trace_read(trace, replay_trace_add, &t, &st, err, sizeof(err)))) {
		rc = read_failed(rc, err);
		goto out;
	}
	const char *name = strcmp(trace, "-") ? trace : "(stdin)";
	/* the rebuilt arrivals, works as the trace shows them: the user's file if asked for */
	FILE *af = NULL;
	if (arr_path && !(af = fopen(arr_path, "w"))) {
		fprintf(stderr, "kvmsim %s: cannot write the rebuilt arrivals to %s: %s\n", CMD, arr_path, strerror(errno));
		rc = EXIT_FAILED;
		goto out;
	}
	rc = replay_build(&t, name, latency, af, err, sizeof(err));
	if (af && fclose(af) && !rc) {
		rc = TRACE_READ_FAILED;
		snprintf(err, sizeof(err), "%s", strerror(errno));
	}
	if (rc == TRACE_READ_FAILED) {
		fprintf(stderr, "kvmsim %s: cannot write the rebuilt arrivals to %s: %s\n", CMD, arr_path, err);
		rc = EXIT_FAILED;
		goto out;
	}
	if (rc) {
		rc = cli_error(CMD, "%s", err);
		goto out;
	}
	res[nres++] = t.recorded;
	memset(&t.recorded, 0, sizeof(t.recorded)); /* now owned by res[0] */
	struct replay_model model = { kernel, arch, (const char *const *)sets, nsets, true };
	for (size_t i = 0; i < ncol; i++) {
		if ((rc = replay_run(&t, &model, &cols[i], &res[nres], err, sizeof(err)))) {
			if (rc == TRACE_READ_FAILED) {
				fprintf(stderr, "kvmsim %s: column \"%s\": %s\n", CMD, cols[i].name, err);
				rc = EXIT_FAILED;
			} else {
				rc = cli_error(CMD, "column \"%s\": %s", cols[i].name, err);
			}
			goto out;
		}
		nres++;
	}

	size_t nhalts = 0;
	for (size_t i = 0; i < t.nvcpus; i++)
		nhalts += t.vcpus[i].nhalts;
	if (!json_path || strcmp(json_path, "-")) /* with --json - stdout holds the JSON alone */
		print_report(stdout, trace, &st, &t, nhalts, arch, res, nres);
	if (json_path) {
		FILE *jf = cli_open_out(CMD, json_path);
		if (!jf) {
			rc = EXIT_FAILED;
			goto out;
		}
		json_t *cols_j = json_array();
		for (size_t i = 0; i < nres; i++)
			json_array_append_new(cols_j, result_json(&res[i]));
		json_t *doc = json_pack("{s:s, s:{s:s, s:s, s:I, s:I, s:I, s:I, s:s}, s:{s:I, s:I, s:I, s:I}, s:o}",
					"schema", REPLAY_SCHEMA, "trace", "path", trace, "format", st.format,
					"vcpu_threads", (json_int_t)t.nvcpus, "halts", (json_int_t)nhalts, "span_ns",
					(json_int_t)res[0].span_ns, "sched_switch", (json_int_t)st.events[KEV_SCHED_SWITCH],
					"recorded_polling_cpu", t.sched ? "measured" : "estimated", "arrivals", "count", (json_int_t)t.arrivals,
					"at_interrupt", (json_int_t)t.measured, "latency_assumed",
					(json_int_t)t.assumed, "assumed_latency_ns", (json_int_t)t.assumed_latency_ns,
					"columns", cols_j);
		sim_json_dump(doc, jf);
		json_decref(doc);
		rc = cli_close_out(CMD, json_path, jf);
	}
	if (!rc && fflush(stdout)) {
		fprintf(stderr, "kvmsim %s: writing the report failed\n", CMD);
		rc = EXIT_FAILED;
	}
out:
	for (size_t i = 0; i < nres; i++)
		replay_result_free(&res[i]);
	replay_trace_free(&t);
	source_files_free();
	for (size_t i = 0; i < ncol; i++) {
		free((void *)cols[i].name);
		for (size_t j = 0; j < cols[i].nsets; j++)
			free((void *)cols[i].sets[j]);
	}
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	free(owned);
	for (size_t i = 0; i < nsets; i++)
		free(sets[i]);
	free(sets);
	kvm_setting_args_free(&args);
	return rc;
}
