/*
 * cmd_check_ppc.c - `kvmsim trace check --arch powerpc`: the trace's
 * kvm_hv events against the release's vcore polling (trace_check_ppc.h), a
 * table per vcore and the first mismatch in full. Exit 0 when every block
 * agrees, 1 when one does not, 2 for bad input.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/cli.h"
#include "traces/cmd_check_ppc.h"
#include "traces/trace_check_ppc.h"
#include "traces/trace_read.h"

static int report(const struct check_ppc *c, const struct trace_stats *st, const char *trace, const char *kernel)
{
	printf("trace: %s (%s; %" PRIu64 " kvm events read, %" PRIu64 " other events and %" PRIu64
	       " other lines skipped)\n",
	       trace, st->format, st->kvm_events, st->other_events, st->other_lines);
	printf("model: kernel %s (powerpc, era %c), %s vcores; MAX %u ns; windows start at %u ns\n\n", kernel,
	       c->era->era, c->cpu == KVMPPC_POWER9 ? "POWER9" : "POWER8",
	       c->era->vcore_own_max ? c->halt_poll_max_ns : c->param.halt_poll_ns, c->initial);
	printf("%8s %8s %6s %-16s %8s %8s %8s %8s %10s  %s\n", "tgid", "pid", "runner", "comm", "blocks", "poll",
	       "wait", "agree", "window_ns", "first mismatch");
	uint64_t blocks = 0, agree = 0;
	for (size_t i = 0; i < c->nv; i++) {
		const struct check_ppc_vcore *v = &c->v[i];
		char runner[16] = "-", mm[32] = "-";
		if (v->runner_vcpu >= 0)
			snprintf(runner, sizeof(runner), "%d", v->runner_vcpu);
		if (v->first_mismatch)
			snprintf(mm, sizeof(mm), "line %ld", v->first_mismatch);
		printf("%8d %8d %6s %-16s %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %10u  %s\n", v->tgid,
		       v->pid, runner, v->comm, v->blocks, v->polls, v->waits, v->agree, v->vc.halt_poll_ns, mm);
		blocks += v->blocks;
		agree += v->agree;
	}
	if (!c->nv)
		printf("the trace has no kvmppc_vcore_blocked or kvmppc_vcore_wakeup events: nothing to check\n");
	printf("\nblocks agreeing: %" PRIu64 " of %" PRIu64 "\n", agree, blocks);
	if (st->lost_events)
		printf("note: the trace lost %" PRIu64 " events (ring-buffer overruns); a mismatch near a loss "
		       "may be the trace's\n",
		       st->lost_events);
	if (!c->first.found)
		return 0;
	const struct check_ppc_mismatch *m = &c->first;
	printf("\nfirst mismatch: %s:%ld, block %" PRIu64 " of tgid %d pid %d\n", trace, m->line, m->block, m->tgid,
	       m->pid);
	printf("  trace:  %s time %" PRIu64 " ns; the model's window before it %u ns\n", m->waited ? "wait" : "poll",
	       m->ns, m->window);
	printf("  why:    %s\n", m->why);
	return EXIT_FAILED;
}

int cmd_check_ppc(const char *cmd, const char *trace, const char *kernel, const struct kvm_era *era,
		  const struct kvm_setting *s, int64_t initial)
{
	struct check_ppc c;
	char err[800];
	check_ppc_init(&c, era, s->host_power9 ? KVMPPC_POWER9 : KVMPPC_POWER8, &s->param, s->halt_poll_max_ns,
		       initial < 0 ? 0 : (uint32_t)initial);
	struct trace_stats st;
	int rc, rr = trace_read(trace, check_ppc_event, &c, &st, err, sizeof(err));
	if (rr == TRACE_READ_FAILED) {
		fprintf(stderr, "kvmsim %s: %s\n", cmd, err);
		rc = EXIT_FAILED;
	} else if (rr) {
		rc = cli_error(cmd, "%s", err);
	} else {
		rc = report(&c, &st, strcmp(trace, "-") ? trace : "(stdin)", kernel);
		if (fflush(stdout)) {
			fprintf(stderr, "kvmsim %s: writing the report failed\n", cmd);
			rc = EXIT_FAILED;
		}
	}
	check_ppc_free(&c);
	return rc;
}
