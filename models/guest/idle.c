/*
 * idle.c - the guest's idle loop (see guest.h): HLT, idle=poll, or the
 * cpuidle-haltpoll governor choosing between a poll in guest mode and HLT.
 */
#include "models/guest/guest.h"

#include "models/costs/costs.h"
#include "models/guest/poll_source.h"

static void ev_gpoll_limit(struct sim *sim, void *subject, void *object)
{
	struct guest_cpu *g = subject;
	g->gpoll_ev = SIM_NO_EVENT;
	g->gpoll_expired = true;
	if (g->in_guest && !g->qn)
		guest_resume(g);
}

void guest_idle_state_end(struct guest_cpu *g, bool timed_out)
{
	if (g->idle_state < 0)
		return;
	if (g->idle_state == HALTPOLL_POLL) {
		poll_source_stop(g); /* may queue a raced-in completion's handling */
		sim_cancel(g->sim, g->gpoll_ev);
		g->gpoll_ev = SIM_NO_EVENT;
		g->hpd.poll_time_limit = timed_out;
		if (timed_out)
			g->hpd.poll_timeouts++;
		else
			g->hpd.poll_wakeups++;
	}
	haltpoll_reflect(&g->hpd, g->idle_state, (sim_now(g->sim) - g->idle_since) / SIM_NS);
	g->idle_state = -1;
	g->gpoll_expired = false;
}

/* halt - default_idle(): sti; hlt. */
static void halt(struct guest_cpu *g)
{
	struct guest_insn in = { .kind = GUEST_HLT, .rip = GUEST_RIP_HLT };
	g->hw.ops->exec(g->hw.ctx, &in);
}

bool guest_idle_loop(struct guest_cpu *g)
{
	if (!g->conf.haltpoll) {
		if (g->conf.idle_poll) {
			guest_account(g, true);
			return true;
		}
		halt(g);
		return false;
	}
	for (;;) {
		if (g->idle_state == HALTPOLL_POLL && !g->gpoll_expired) {
			if (poll_source_poll(g))
				return true; /* the loop's next iteration found work: it is queued */
			guest_account(g, true);
			return true; /* still polling: interrupts without a task keep the same deadline */
		}
		if (g->idle_state >= 0) {
			guest_idle_state_end(g, g->idle_state == HALTPOLL_POLL); /* timed out, or back from HALT */
			if (g->qn)
				return true; /* a source's stop() found work that raced in */
		}
		int idx = haltpoll_select(&g->hpd);
		g->idle_state = idx;
		g->idle_since = sim_now(g->sim);
		if (idx == HALTPOLL_HALT) {
			g->hpd.halts++;
			halt(g);
			return false;
		}
		/* poll_idle(): the clock is read every 200 iterations (cpu_relax(), and each poll source's
		 * poll()); the poll stops at the first read past the limit */
		g->hpd.polls++;
		sim_time_t batch = g->poll_sources ? 200 * poll_source_iter(g) : g->prof->ps[COST_guest_relax200];
		sim_time_t limit = (sim_time_t)g->hpd.poll_limit_ns * SIM_NS;
		sim_time_t reads = batch > 0 ? limit / batch + 1 : 0;
		g->gpoll_expired = false;
		g->gpoll_ev = sim_after(g->sim, batch > 0 ? reads * batch : limit, ev_gpoll_limit, g, NULL);
		if (poll_source_start(g))
			return true; /* work was already there: queued */
	}
}
