/*
 * acct.c - where a vCPU's time goes (guest, guest_poll, kvm, poll ok/fail, sleep, runnable),
 * charged to its pCPU too while it is on it; the warm-up's reset and the run's end (see vcpu.h).
 */
#include "models/vcpu/vcpu.h"

#include <string.h>

/* ---- accounting ------------------------------------------------------------------ */

void vcpu_acct_flush(struct vcpu *v)
{
	sim_time_t now = sim_now(v->sim);
	if (v->acct == VACCT_POLL)
		v->poll_pending_ps += now - v->acct_since;
	else
		v->acct_ps[v->acct] += now - v->acct_since;
	v->acct_since = now;
}

/* vcpu_acct - what the vCPU's time counts as from now; on-CPU parts also for its pCPU. */
void vcpu_acct(struct vcpu *v, int a)
{
	vcpu_acct_flush(v);
	v->acct = a;
	switch (a) {
	case VACCT_GUEST:
		pcpu_account(v->task.cpu, ACCT_GUEST);
		break;
	case VACCT_GUEST_POLL:
		pcpu_account(v->task.cpu, ACCT_GUEST_POLL);
		break;
	case VACCT_KVM:
		pcpu_account(v->task.cpu, ACCT_KVM);
		break;
	case VACCT_POLL:
		pcpu_account(v->task.cpu, ACCT_POLL);
		break;
	default:
		break; /* off the CPU: the host accounts the pCPU */
	}
}

void vcpu_set_guest_acct(struct vcpu *v, bool polling)
{
	int a = polling ? VACCT_GUEST_POLL : VACCT_GUEST;
	if (v->acct != a)
		vcpu_acct(v, a);
}

/* vcpu_resolve_poll - this halt's poll time succeeded (never slept) or failed. */
void vcpu_resolve_poll(struct vcpu *v, bool success)
{
	if (v->acct == VACCT_POLL)
		vcpu_acct(v, VACCT_KVM);
	pcpu_resolve_poll(v->task.cpu, v->poll_pending_ps, success);
	v->acct_ps[success ? VACCT_POLL_OK : VACCT_POLL_FAIL] += v->poll_pending_ps;
	v->poll_pending_ps = 0;
}

void vcpu_stats_reset(struct vcpu *v)
{
	vcpu_acct_flush(v);
	memset(v->acct_ps, 0, sizeof(v->acct_ps));
	v->poll_pending_ps = 0; /* its pCPU drops the same at this instant */
	memset(v->events, 0, sizeof(v->events));
	memset(v->exits, 0, sizeof(v->exits));
	v->halts = v->invalid_wakeups = v->ipis = 0;
	v->pause_exits = v->directed_yield_attempted = v->directed_yield_successful = 0;
	uint64_t blocking = v->hp.stat.blocking; /* a gauge, not a count */
	v->hp.stat = (struct kvm_vcpu_stat){ .blocking = blocking };
	for (int i = 0; i < v->nvec; i++)
		v->vec[i].arrivals = v->vec[i].coalesced = 0;
	v->timer.fired_hv = v->timer.fired_sw = v->timer.msr_writes = v->eoi.pv_armed = v->eoi.pv_completed = 0;
	v->eoi.native = 0;
}

void vcpu_finish(struct vcpu *v)
{
	vcpu_acct_flush(v);
	v->unfinished_poll_ps = v->poll_pending_ps + v->blocked_poll_ps;
	if (v->poll_pending_ps)
		vcpu_resolve_poll(v, false);
}
