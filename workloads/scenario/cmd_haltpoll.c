/*
 * cmd_replay.c - `kvmsim haltpoll replay`: read halt durations (ns, one per
 * line, optionally followed by the word "invalid"), print for each the
 * tracepoint lines the chosen kernel would print, and optionally the final
 * statistics as JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "models/haltpoll/kvm_stats_json.h"
#include "sim/xalloc.h"
#include "models/haltpoll/policies.h"
#include "models/haltpoll/replay.h"
#include "models/haltpoll/settings.h"
#include "sim/cli.h"
#include "sim/out_json.h"
#include "models/tracepoints/kvm_tp.h"
#include "models/vcore/vcore.h"

#define CMD "haltpoll replay"
#define REPLAY_SCHEMA "kvmsim-replay-stats/1"

struct replay_out {
	const struct kvm_era *era;
	FILE *f;
	int tgid; /* powerpc: current->tgid in the kvm_hv events */
};

static void out_halt_poll_ns(void *ctx, uint32_t vcpu_id, bool grow, uint32_t new_ns, uint32_t old_ns)
{
	struct replay_out *o = ctx;
	char buf[128];
	kvm_tp_halt_poll_ns(buf, sizeof(buf), o->era, vcpu_id, grow, new_ns, old_ns);
	fprintf(o->f, "kvm_halt_poll_ns: %s\n", buf);
}

static void out_vcpu_wakeup(void *ctx, uint32_t vcpu_id, uint64_t ns, bool waited, bool valid)
{
	struct replay_out *o = ctx;
	char buf[128];
	kvm_tp_vcpu_wakeup(buf, sizeof(buf), o->era, ns, waited, valid);
	fprintf(o->f, "kvm_vcpu_wakeup: %s\n", buf);
}

static void out_vcore_blocked(void *ctx, bool exit, uint32_t runner_vcpu, int n_runnable)
{
	struct replay_out *o = ctx;
	char buf[128];
	kvm_tp_vcore_blocked(buf, sizeof(buf), exit, (int)runner_vcpu, n_runnable, o->tgid);
	fprintf(o->f, "kvmppc_vcore_blocked: %s\n", buf);
}

static void out_vcore_wakeup(void *ctx, bool waited, uint64_t ns)
{
	struct replay_out *o = ctx;
	char buf[128];
	kvm_tp_vcore_wakeup(buf, sizeof(buf), o->era, waited, ns, o->tgid);
	fprintf(o->f, "kvmppc_vcore_wakeup: %s\n", buf);
}

/* The powerpc vcore of a replay: whole-vcore block times, the window printed after each. */
struct replay_vcore {
	struct kvmppc_vcore vc;
	struct kvmppc_vcore_stat stat;
	struct kvmppc_vcore_tracer tracer;
	struct kvm_module_params param;
};

static json_t *vcore_stat_json(const struct kvmppc_vcore_stat *st, const struct kvm_era *e, bool polls)
{
	json_t *o = json_object();
	if (!polls)
		return o; /* before 4.8, or POWER9 from 5.16: nothing is counted */
#define U(name) json_object_set_new(o, #name, json_integer((json_int_t)st->generic.name))
	U(halt_successful_poll);
	U(halt_attempted_poll);
	json_object_set_new(o, "halt_successful_wait", json_integer((json_int_t)st->halt_successful_wait));
	U(halt_poll_success_ns);
	U(halt_poll_fail_ns);
	U(halt_wait_ns);
#undef U
	if (e->stat_wait) {
		const uint64_t *h[3] = { st->generic.halt_poll_success_hist, st->generic.halt_poll_fail_hist,
					 st->generic.halt_wait_hist };
		const char *n[3] = { "halt_poll_success_hist", "halt_poll_fail_hist", "halt_wait_hist" };
		for (int k = 0; k < 3; k++) {
			json_t *a = json_array();
			for (int i = 0; i < HALT_POLL_HIST_COUNT; i++)
				json_array_append_new(a, json_integer((json_int_t)h[k][i]));
			json_object_set_new(o, n[k], a);
		}
	}
	return o;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kvmsim haltpoll replay --kernel VERSION [options] [FILE|-]\n\n"
		"Read halt durations in ns, one per line (a line may add the word \"invalid\";\n"
		"# starts a comment), and print for each halt the kvm_halt_poll_ns and\n"
		"kvm_vcpu_wakeup lines the kernel would print. Timing is idealised: a halt no\n"
		"longer than the poll window is a successful poll of that length; a longer one\n"
		"polls the whole window, then sleeps.\n\n"
		"With --arch powerpc each line is a whole-vcore block time, fed to\n"
		"kvmppc_vcore_blocked(): it prints kvmppc_vcore_blocked (Enter/Exit around a\n"
		"sleep), kvmppc_vcore_wakeup, and \"vcore_halt_poll_ns: N\", the vcore's window\n"
		"after the block, which no tracepoint shows.\n\n"
		"  --kernel VERSION   kernel release, e.g. 6.1 or 5.10.7 (required)\n"
		"  --arch ARCH        x86 (default), powerpc, s390, arm64\n"
		"  --set KEY=VALUE    halt_poll_ns, halt_poll_ns_grow, halt_poll_ns_grow_start,\n"
		"                     halt_poll_ns_shrink (module parameters, also as kvm.KEY);\n"
		"                     vm.halt_poll_ns (KVM_CAP_HALT_POLL); vm.msr_poll_control;\n"
		"                     vm.policy_params.KEY (the policy's parameters)\n"
		"  --policy NAME      halt-polling policy (default kvm)\n"
		"  --policy-lib SO    load a policy from a shared object\n"
		"                     powerpc: kvm_hv.halt_poll_max_ns (4.8-4.13), host.cpu\n"
		"                     (power7, power8 (default), power9, power10)\n"
		"  --vcpu-id N        the vcpu id printed in the events (default 0; powerpc: the runner)\n"
		"  --runnable N       powerpc: the vcore's runnable threads, 1 to 8 (default 1)\n"
		"  --tgid N           powerpc: the tgid the kvm_hv events print (default 0)\n"
		"  --stats-json FILE  write the final statistics as JSON (- for stdout)\n"
		"  -h, --help         this text\n");
}

int cmd_haltpoll_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		KVM_SETTING_OPTIONS,
		{ "vcpu-id", required_argument, NULL, 'v' },
		{ "runnable", required_argument, NULL, 'r' },
		{ "tgid", required_argument, NULL, 't' },
		{ "stats-json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kvm_setting_args args;
	kvm_setting_args_init(&args, argc);
	const char *stats_path = NULL;
	uint32_t vcpu_id = 0, runnable = 1, tgid = 0;
	bool runnable_set = false, tgid_set = false;
	int c, rc = 0;
	char err[512];
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			if ((rc = cli_parse_u32(CMD, "--vcpu-id", optarg, &vcpu_id)))
				goto out;
			break;
		case 'r':
			if ((rc = cli_parse_u32(CMD, "--runnable", optarg, &runnable)))
				goto out;
			if (runnable < 1 || runnable > KVMPPC_MAX_SMT_THREADS) {
				rc = cli_error(CMD, "--runnable: expected 1 to %d threads, got %s", KVMPPC_MAX_SMT_THREADS,
					       optarg);
				goto out;
			}
			runnable_set = true;
			break;
		case 't':
			if ((rc = cli_parse_u32(CMD, "--tgid", optarg, &tgid)))
				goto out;
			if (tgid > INT32_MAX) {
				rc = cli_error(CMD, "--tgid: expected a pid up to %d, got %s", INT32_MAX, optarg);
				goto out;
			}
			tgid_set = true;
			break;
		case 'j':
			stats_path = optarg;
			break;
		case 'h':
			usage(stdout);
			goto out;
		default:
			if ((rc = kvm_setting_option(CMD, c, optarg, &args, argv)))
				goto out;
		}
	}
	if (!args.kernel) {
		rc = cli_error(CMD, "--kernel VERSION is required (e.g. --kernel 6.1)");
		goto out;
	}
	struct kvm_era era;
	struct kvm_setting set;
	const struct hp_policy *pol;
	if (kvm_setting_resolve(CMD, &args, &era, &set, &pol)) {
		rc = EXIT_BAD_INPUT;
		goto out;
	}
	enum kvm_arch arch = era.arch;
	bool ppc = arch == KVM_ARCH_POWERPC;
	if (!ppc && (runnable_set || tgid_set)) {
		rc = cli_error(CMD, "%s: a vcore's setting (--arch powerpc)", runnable_set ? "--runnable" : "--tgid");
		goto out;
	}
	if (ppc && (strcmp(pol->name, "kvm") || set.npparams)) {
		rc = cli_error(CMD, "--policy: the powerpc vcore path has the kernel's own policy only (kvm)");
		goto out;
	}

	const char *path = optind < argc ? argv[optind] : "-";
	if (argc - optind > 1) {
		rc = cli_error(CMD, "one input file at most");
		goto out;
	}
	FILE *in = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!in) {
		rc = cli_error(CMD, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}

	struct replay_out ro = { &era, stdout, (int)tgid };
	struct kvm_halt_tracer tracer = { out_halt_poll_ns, out_vcpu_wakeup, &ro };
	struct kvm_vm_haltpoll vm;
	struct kvm_vcpu_haltpoll v;
	struct kvm_module_params param = set.param;
	struct replay_vcore rv = { .param = set.param };
	rv.tracer = (struct kvmppc_vcore_tracer){ out_vcore_blocked, out_vcore_wakeup, &ro };
	kvmppc_vcore_init(&rv.vc, &era, set.host_power9 ? KVMPPC_POWER9 : KVMPPC_POWER8, &rv.param,
			  set.halt_poll_max_ns, vcpu_id, &rv.stat, &rv.tracer);
	rv.vc.n_runnable = (int)runnable;
	if (kvm_vm_haltpoll_init(&vm, &era, &param, pol, set.pparams, set.npparams, err, sizeof(err))) {
		rc = cli_error(CMD, "--policy %s: %s", pol->name, err);
		if (in != stdin)
			fclose(in);
		goto out;
	}
	if (set.cap_set)
		kvm_vm_enable_cap_halt_poll(&vm, set.cap);
	kvm_vcpu_haltpoll_init(&v, &vm, vcpu_id, &tracer);
	v.msr_kvm_poll_control = set.msr_poll_control;

	char line[512];
	int lineno = 0;
	int64_t now = 0;
	uint64_t halts = 0;
	const char *name = in == stdin ? "(stdin)" : path;
	while (fgets(line, sizeof(line), in)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char *tok = strtok(line, " \t\r\n");
		if (!tok)
			continue;
		char *end;
		errno = 0;
		unsigned long long ns = strtoull(tok, &end, 10);
		if (*end || errno || tok[0] == '-' || ns > (unsigned long long)INT64_MAX / 4) {
			rc = cli_error(CMD, "%s:%d: expected a halt duration in ns, got \"%s\"", name, lineno, tok);
			break;
		}
		bool valid = true;
		char *word = strtok(NULL, " \t\r\n");
		if (word) {
			if (strcmp(word, "invalid") || strtok(NULL, " \t\r\n")) {
				rc = cli_error(CMD, "%s:%d: after the duration only the word \"invalid\" may follow",
					       name, lineno);
				break;
			}
			if (arch != KVM_ARCH_S390) {
				rc = cli_error(CMD, "%s:%d: invalid wake-ups exist only on s390 (--arch s390)", name,
					       lineno);
				break;
			}
			valid = false;
		}
		if (ppc) {
			kvmppc_vcore_replay(&rv.vc, &now, ns);
			printf("vcore_halt_poll_ns: %u\n", rv.vc.halt_poll_ns);
		} else {
			replay_halt(&v, &now, ns, valid);
		}
		halts++;
	}
	if (!rc && ferror(in)) /* a directory, a device that fails: not an input of halts */
		rc = cli_error(CMD, "%s: cannot read: %s", name, strerror(errno));
	if (in != stdin)
		fclose(in);
	if (!rc && fflush(stdout)) {
		rc = EXIT_FAILED;
		fprintf(stderr, "kvmsim %s: writing the events failed\n", CMD);
	}
	if (!rc && stats_path) {
		FILE *f = cli_open_out(CMD, stats_path);
		if (!f) {
			rc = EXIT_FAILED;
		} else {
			json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:{s:I, s:I, s:I, s:I}, s:I, s:I, s:o}", "schema",
						REPLAY_SCHEMA, "kernel", args.kernel, "arch", kvm_arch_name(arch), "policy",
						pol->name, "params", "halt_poll_ns", (json_int_t)param.halt_poll_ns,
						"halt_poll_ns_grow", (json_int_t)param.halt_poll_ns_grow,
						"halt_poll_ns_grow_start", (json_int_t)param.halt_poll_ns_grow_start,
						"halt_poll_ns_shrink", (json_int_t)param.halt_poll_ns_shrink, "halts",
						(json_int_t)halts, "halt_poll_ns",
						(json_int_t)(ppc ? rv.vc.halt_poll_ns : v.hp.halt_poll_ns), "stats",
						ppc ? vcore_stat_json(&rv.stat, &era, kvmppc_vcore_polls(&rv.vc))
						    : kvm_vcpu_stat_json(&v.stat, &era));
			if (ppc) {
				/* the vcore's window is "halt_poll_ns"; its ceiling and processor besides */
				json_object_set_new(doc, "halt_poll_max_ns",
						    json_integer((json_int_t)kvmppc_vcore_max_ns(&rv.vc)));
				json_object_set_new(doc, "host_cpu", json_string(set.host_power9 ? "power9" : "power8"));
			}
			sim_json_dump(doc, f);
			json_decref(doc);
			rc = cli_close_out(CMD, stats_path, f);
		}
	}
	kvm_vm_haltpoll_fini(&vm);
out:
	kvm_setting_args_free(&args);
	return rc;
}
