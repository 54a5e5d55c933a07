/*
 * cmd_check.c - `kvmsim trace check`: feed a recorded trace's halts to a
 * kernel release's halt polling and report how many of the trace's own
 * kvm_halt_poll_ns decisions it reproduces, with the first divergence in
 * full (trace_check.h). Exit 0 when every decision is reproduced and no other
 * is made, 1 when some halt differs, 2 for bad usage or input.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "models/haltpoll/policies.h"
#include "sim/xalloc.h"
#include "sim/cli.h"
#include "models/tracepoints/kvm_tp.h"
#include "traces/trace_check.h"
#include "traces/cmd_check_ppc.h"
#include "models/haltpoll/settings.h"
#include "traces/trace_read.h"

#define CMD "trace check"

/* usage - the --help text. */
static void usage(FILE *f)
{
	fprintf(f,
		"usage: kvmsim trace check TRACE --kernel VERSION [options]\n\n"
		"Feed every halt of a recorded trace (the ns of each kvm_vcpu_wakeup, per vCPU\n"
		"thread) to the kernel's halt polling and compare the kvm_halt_poll_ns decisions\n"
		"it makes with the trace's own, halt by halt. TRACE is a trace-cmd report, the\n"
		"tracefs trace file, perf script output or a trace.dat, gzip-compressed or not\n"
		"(- reads text from stdin). With --arch powerpc the kvm_hv events are checked\n"
		"instead: each vcore block's kvmppc_vcore_wakeup against its sleep (kvmppc_vcore_blocked)\n"
		"and the vcore's window by the release's rules.\n\n"
		"  --kernel VERSION     kernel release that recorded the trace, e.g. 6.18 (required)\n"
		"  --arch ARCH          x86 (default), powerpc, s390, arm64\n"
		"  --set KEY=VALUE      halt_poll_ns, halt_poll_ns_grow, halt_poll_ns_grow_start,\n"
		"                       halt_poll_ns_shrink (kvm module parameters, also as kvm.KEY);\n"
		"                       vm.halt_poll_ns (KVM_CAP_HALT_POLL on the VMs);\n"
		"                       vm.msr_poll_control; vm.policy_params.KEY\n"
		"  --policy NAME        halt-polling policy (default kvm: the kernel's)\n"
		"  --policy-lib SO      load a policy from a shared object\n"
		"  --initial-poll-ns N  every thread's halt_poll_ns when the trace starts\n"
		"                       (default: the old value of its first decision, else 0)\n"
		"  -h, --help           this text\n\n"
		"Exit status: 0 every decision reproduced, 1 some halt differs, 2 bad usage or input.\n");
}

/* print_decisions - one line per decision, as the kernel prints them. */
static void print_decisions(FILE *f, const char *who, const struct kvm_era *era, const struct check_decision *d,
			    size_t n, const char *trace)
{
	char buf[128];
	if (!n)
		fprintf(f, "  %-7s (no kvm_halt_poll_ns)\n", who);
	for (size_t i = 0; i < n; i++) {
		kvm_tp_halt_poll_ns(buf, sizeof(buf), era, d[i].vcpu_id, d[i].grow, d[i].new_ns, d[i].old_ns);
		if (d[i].line)
			fprintf(f, "  %-7s %s:%ld: kvm_halt_poll_ns: %s\n", i ? "" : who, trace, d[i].line, buf);
		else
			fprintf(f, "  %-7s kvm_halt_poll_ns: %s\n", i ? "" : who, buf);
	}
}

/* report - the table per thread, the totals and the first divergence; returns the exit status. */
static int report(const struct trace_check *c, const struct trace_stats *st, const char *trace,
		  const char *kernel, const struct kvm_era *era, const struct kvm_setting *s)
{
	char desc[600];
	kvm_setting_describe(s, desc, sizeof(desc));
	printf("trace: %s (%s; %" PRIu64 " kvm events read, %" PRIu64 " other events and %" PRIu64
	       " other lines skipped)\n",
	       trace, st->format, st->kvm_events, st->other_events + st->events[KEV_SCHED_SWITCH], /* unused here */
	       st->other_lines);
	printf("model: kernel %s (%s, era %c), policy %s; %s\n\n", kernel, kvm_arch_name(era->arch), era->era,
	       c->conf.policy->name, desc);
	printf("%8s %5s %-16s %8s %10s %10s %10s %6s  %s\n", "pid", "vcpu", "comm", "halts", "start_hpn",
	       "decisions", "reproduced", "extra", "first divergence");
	for (size_t i = 0; i < c->nvcpus; i++) {
		const struct check_vcpu *cv = c->vcpus[i];
		char div[32] = "-";
		if (cv->first_divergence)
			snprintf(div, sizeof(div), "line %ld", cv->first_divergence);
		printf("%8d %5u %-16s %8" PRIu64 " %10u %10" PRIu64 " %10" PRIu64 " %6" PRIu64 "  %s\n", cv->pid,
		       cv->v.vcpu_id, cv->comm, cv->halts, cv->initial_hpn, cv->decisions, cv->reproduced,
		       cv->model_decisions - cv->reproduced, div);
	}
	struct check_vcpu sum;
	memset(&sum, 0, sizeof(sum));
	trace_check_totals(c, &sum);
	printf("%8s %5s %-16s %8" PRIu64 " %10s %10" PRIu64 " %10" PRIu64 " %6" PRIu64 "\n\n", "all", "", "",
	       sum.halts, "", sum.decisions, sum.reproduced, sum.model_decisions - sum.reproduced);
	if (!c->nvcpus)
		printf("the trace has no kvm_vcpu_wakeup or kvm_halt_poll_ns events: nothing to check\n");
	printf("decisions reproduced: %" PRIu64 " of %" PRIu64 " (%.2f%%); made but not in the trace: %" PRIu64
	       "; halts agreeing: %" PRIu64 " of %" PRIu64 "\n",
	       sum.reproduced, sum.decisions,
	       sum.decisions ? 100.0 * (double)sum.reproduced / (double)sum.decisions : 100.0,
	       sum.model_decisions - sum.reproduced, sum.halts_agree, sum.halts);
	if (c->ipis)
		printf("IPIs: %" PRIu64 " sent (kvm_apic_ipi); halts an IPI reached: %" PRIu64 " of %" PRIu64 "\n", c->ipis,
		       sum.ipi_halts, sum.halts);
	if (c->unmatched)
		printf("note: %" PRIu64 " kvm_halt_poll_ns event(s) after a thread's last kvm_vcpu_wakeup were not "
		       "checked\n",
		       c->unmatched);
	if (st->lost_events)
		printf("note: the trace lost %" PRIu64 " events (ring-buffer overruns); a divergence near a loss "
		       "may be the trace's\n",
		       st->lost_events);
	if (sum.rec_dropped)
		printf("note: %" PRIu64 " kvm_halt_poll_ns event(s) beyond %d in one halt were ignored\n",
		       sum.rec_dropped, CHECK_MAX_DECISIONS);
	const struct check_divergence *d = &c->first;
	if (!d->found)
		return 0;
	printf("\nfirst divergence: %s:%ld, halt %" PRIu64 " of pid %d (%s, vcpu %u)\n", trace, d->line,
	       d->halt_index, d->pid, d->comm, d->vcpu_id);
	printf("  halt:   %s time %" PRIu64 " ns%s; halt_poll_ns before it %u, MAX %u\n",
	       d->halt.waited ? "wait" : "poll", d->halt.ns, d->halt.valid ? "" : " (invalid wake-up)",
	       d->hpn_before, d->max_poll_ns);
	print_decisions(stdout, "trace:", era, d->rec, d->nrec, trace);
	print_decisions(stdout, "kvmsim:", era, d->model, d->nmodel, trace);
	return EXIT_FAILED;
}

/* cmd_trace_check - options, the model, the trace read through the checker, the report. */
int cmd_trace_check(int argc, char **argv)
{
	static const struct option opts[] = {
		KVM_SETTING_OPTIONS,
		{ "initial-poll-ns", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kvm_setting_args args;
	kvm_setting_args_init(&args, argc);
	int64_t initial = -1;
	int c, rc = 0;
	char err[800];
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': {
			uint32_t v;
			if ((rc = cli_parse_u32(CMD, "--initial-poll-ns", optarg, &v)))
				goto out;
			initial = v;
			break;
		}
		case 'h':
			usage(stdout);
			goto out;
		default:
			if ((rc = kvm_setting_option(CMD, c, optarg, &args, argv)))
				goto out;
		}
	}
	if (optind >= argc) {
		rc = cli_error(CMD, "a TRACE file is required (kvmsim trace check --help)");
		goto out;
	}
	if (argc - optind > 1) {
		rc = cli_error(CMD, "one TRACE file at most, got \"%s\" too", argv[optind + 1]);
		goto out;
	}
	if (!args.kernel) {
		rc = cli_error(CMD, "--kernel VERSION is required (the release that recorded the trace, e.g. 6.18)");
		goto out;
	}
	struct kvm_era era;
	struct kvm_setting s;
	const struct hp_policy *pol;
	if (kvm_setting_resolve(CMD, &args, &era, &s, &pol)) {
		rc = EXIT_BAD_INPUT;
		goto out;
	}
	if (era.arch == KVM_ARCH_POWERPC) { /* the vcore's own events and rules */
		rc = cmd_check_ppc(CMD, argv[optind], args.kernel, &era, &s, initial);
		goto out;
	}
	struct check_conf conf = {
		.era = &era,
		.param = s.param,
		.cap_set = s.cap_set,
		.cap = s.cap,
		.msr_poll_control = s.msr_poll_control,
		.policy = pol,
		.pparams = s.pparams,
		.npparams = s.npparams,
		.initial_hpn = initial,
	};
	struct trace_check chk;
	if (trace_check_init(&chk, &conf, err, sizeof(err))) {
		rc = cli_error(CMD, "--policy %s: %s", pol->name, err);
		goto out;
	}
	const char *trace = argv[optind];
	struct trace_stats st;
	int rr = trace_read(trace, trace_check_event, &chk, &st, err, sizeof(err));
	if (rr == TRACE_READ_FAILED) { /* the reading failed, not the input */
		fprintf(stderr, "kvmsim %s: %s\n", CMD, err);
		rc = EXIT_FAILED;
	} else if (rr) {
		rc = cli_error(CMD, "%s", err);
	} else {
		trace_check_finish(&chk);
		rc = report(&chk, &st, strcmp(trace, "-") ? trace : "(stdin)", args.kernel, &era, &s);
		if (fflush(stdout)) {
			fprintf(stderr, "kvmsim %s: writing the report failed\n", CMD);
			rc = EXIT_FAILED;
		}
	}
	trace_check_free(&chk);
out:
	kvm_setting_args_free(&args);
	return rc;
}
