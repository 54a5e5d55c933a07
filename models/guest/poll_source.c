/* poll_source.c - the poll_source RFC's registration and its calls from poll_idle() (see poll_source.h). */
#include "models/guest/poll_source.h"

#include "models/cpuidle/haltpoll.h"
#include "models/guest/guest.h"

void poll_source_register(struct guest_cpu *g, struct poll_source *src)
{
	src->g = g;
	src->next = g->poll_sources;
	g->poll_sources = src;
}

void poll_source_unregister(struct poll_source *src)
{
	struct guest_cpu *g = src->g;
	if (!g)
		return;
	if (g->psrc_started)
		src->ops->stop(src);
	for (struct poll_source **p = &g->poll_sources; *p; p = &(*p)->next)
		if (*p == src) {
			*p = src->next;
			break;
		}
	src->g = NULL;
}

bool poll_source_start(struct guest_cpu *g)
{
	if (!g->poll_sources)
		return false;
	g->psrc_started = true;
	g->psrc_since = sim_now(g->sim);
	for (struct poll_source *s = g->poll_sources; s; s = s->next) {
		s->starts++;
		s->ops->start(s);
	}
	return poll_source_poll(g);
}

bool poll_source_poll(struct guest_cpu *g)
{
	bool found = false;
	if (!g->psrc_started)
		return false;
	for (struct poll_source *s = g->poll_sources; s; s = s->next)
		if (s->ops->poll(s)) {
			s->polls_found++;
			found = true;
		}
	return found;
}

void poll_source_stop(struct guest_cpu *g)
{
	if (!g->psrc_started)
		return;
	g->psrc_started = false;
	sim_cancel(g->sim, g->psrc_ev);
	g->psrc_ev = SIM_NO_EVENT;
	for (struct poll_source *s = g->poll_sources; s; s = s->next) {
		s->stops++;
		unsigned before = g->qn;
		s->ops->stop(s);
		if (g->qn != before)
			s->stop_found++;
	}
}

sim_time_t poll_source_iter(const struct guest_cpu *g)
{
	sim_time_t t = g->prof->ps[COST_guest_relax200] / 200;
	for (const struct poll_source *s = g->poll_sources; s; s = s->next)
		t += s->cost;
	return t > 0 ? t : 1;
}

/* ev_iteration - the loop's iteration that sees the work. */
static void ev_iteration(struct sim *sim, void *subject, void *object)
{
	struct guest_cpu *g = subject;
	g->psrc_ev = SIM_NO_EVENT;
	/* only a loop that is spinning now polls; one busy with an interrupt's work, or out of guest
	 * mode, polls again when it comes back to the loop (idle.c) */
	if (!g->psrc_started || !g->in_guest || g->qn || g->idle_state != HALTPOLL_POLL)
		return;
	if (poll_source_poll(g))
		guest_resume(g);
}

void poll_source_kick(struct guest_cpu *g)
{
	if (!g->psrc_started || g->psrc_ev != SIM_NO_EVENT)
		return;
	sim_time_t now = sim_now(g->sim), it = poll_source_iter(g);
	sim_time_t k = (now - g->psrc_since + it - 1) / it;
	g->psrc_ev = sim_at(g->sim, g->psrc_since + k * it, ev_iteration, g, NULL);
}
