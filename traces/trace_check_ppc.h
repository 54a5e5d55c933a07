/*
 * trace_check_ppc.h - `trace check` on a powerpc trace: do the recorded
 * kvm_hv events follow kvmppc_vcore_blocked() of the release
 * (models/vcore/vcore.h)?
 *
 * A vcore's events come from its runner's thread: kvmppc_vcore_blocked
 * ("Enter|Exit runner_vcpu=N runnable=N tgid=N") around each sleep, and from
 * 4.8 one kvmppc_vcore_wakeup ("wait|poll time T ns, tgid=N") per block. The
 * checker groups them by vcore - the tgid and the runner's thread - and runs
 * each block through a model vcore of the release, whose window starts at 0
 * (as at vcore creation) or at --initial-poll-ns. The payloads do not show the
 * window, so what is checked is what the window and the kernel's code imply:
 *
 *   - a release or processor that does not poll (before 4.8; POWER9 from
 *     5.16) prints no kvmppc_vcore_wakeup at all;
 *   - "wait" if and only if the runner slept: a kvmppc_vcore_blocked Enter
 *     and Exit since the vcore's previous wake-up, and "poll" only without;
 *   - a "poll" with no window is the wake-up found just before sleeping: the
 *     block time is 0 (the clock is read only by the poll loop);
 *   - a "poll" with a window W lasted at most W, plus one pass of the poll
 *     loop (CHECK_PPC_SLACK_NS).
 *
 * Each block then adapts the model's window by the release's rules (the
 * recorded T), so the model follows the trace block by block. A runner that
 * changes (another vCPU of the vcore takes over) starts a new group: the
 * checker cannot know they share a window, so it starts that one at 0 too.
 */
#ifndef KVMSIM_TRACES_TRACE_CHECK_PPC_H
#define KVMSIM_TRACES_TRACE_CHECK_PPC_H

#include <stdbool.h>
#include <stdint.h>

#include "models/vcore/vcore.h"
#include "traces/trace_event.h"

#define CHECK_PPC_SLACK_NS 2000 /* one pass of the poll loop (a few checks and ktime_get()) */

struct check_ppc_vcore {
	int32_t tgid, pid;
	int32_t runner_vcpu; /* from kvmppc_vcore_blocked; -1 until one is seen */
	char comm[24];
	struct kvmppc_vcore vc;
	struct kvmppc_vcore_stat stat;
	bool entered, exited; /* kvmppc_vcore_blocked since the previous wake-up */
	uint64_t blocks, polls, waits, agree, sleeps;
	long first_mismatch; /* line, or 0 */
};

struct check_ppc_mismatch {
	bool found;
	long line;
	int32_t tgid, pid;
	uint64_t block; /* of its vcore, from 1 */
	bool waited;
	uint64_t ns;
	uint32_t window;
	char why[160];
};

struct check_ppc {
	const struct kvm_era *era;
	enum kvmppc_cpu cpu;
	struct kvm_module_params param;
	uint32_t halt_poll_max_ns;
	uint32_t initial;
	struct check_ppc_vcore *v;
	size_t nv, cap;
	struct check_ppc_mismatch first;
	uint64_t mismatches;
};

void check_ppc_init(struct check_ppc *c, const struct kvm_era *era, enum kvmppc_cpu cpu,
		    const struct kvm_module_params *param, uint32_t halt_poll_max_ns, uint32_t initial);
/* check_ppc_event - a trace_event_fn: feed one event (in trace order); others are ignored. */
int check_ppc_event(void *ctx, const struct trace_event *ev);
void check_ppc_free(struct check_ppc *c);

#endif
