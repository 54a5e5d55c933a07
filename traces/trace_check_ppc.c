/* trace_check_ppc.c - a powerpc trace's vcore blocks against kvmppc_vcore_blocked() (trace_check_ppc.h). */
#include "traces/trace_check_ppc.h"
#include "sim/xalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void check_ppc_init(struct check_ppc *c, const struct kvm_era *era, enum kvmppc_cpu cpu,
		    const struct kvm_module_params *param, uint32_t halt_poll_max_ns, uint32_t initial)
{
	memset(c, 0, sizeof(*c));
	c->era = era;
	c->cpu = cpu;
	c->param = *param;
	c->halt_poll_max_ns = halt_poll_max_ns;
	c->initial = initial;
}

void check_ppc_free(struct check_ppc *c)
{
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* vcore_of - the group of (tgid, the runner's thread), made on its first event. */
static struct check_ppc_vcore *vcore_of(struct check_ppc *c, int32_t tgid, const struct trace_event *ev)
{
	for (size_t i = 0; i < c->nv; i++)
		if (c->v[i].tgid == tgid && c->v[i].pid == ev->pid)
			return &c->v[i];
	if (c->nv == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 8;
		c->v = xrealloc(c->v, c->cap * sizeof(*c->v));
		for (size_t i = 0; i < c->nv; i++) /* the models point at their own statistics */
			c->v[i].vc.runner_stat = &c->v[i].stat;
	}
	struct check_ppc_vcore *v = &c->v[c->nv++];
	memset(v, 0, sizeof(*v));
	v->tgid = tgid;
	v->pid = ev->pid;
	v->runner_vcpu = -1;
	snprintf(v->comm, sizeof(v->comm), "%s", ev->comm);
	kvmppc_vcore_init(&v->vc, c->era, c->cpu, &c->param, c->halt_poll_max_ns, 0, &v->stat, NULL);
	v->vc.halt_poll_ns = c->initial;
	return v;
}

static void mismatch(struct check_ppc *c, struct check_ppc_vcore *v, const struct trace_event *ev, uint32_t window,
		     const char *why)
{
	c->mismatches++;
	if (!v->first_mismatch)
		v->first_mismatch = ev->line;
	if (c->first.found)
		return;
	c->first = (struct check_ppc_mismatch){ true, ev->line, v->tgid, v->pid, v->blocks, ev->vwakeup.waited,
						 ev->vwakeup.ns, window, "" };
	snprintf(c->first.why, sizeof(c->first.why), "%s", why);
}

int check_ppc_event(void *ctx, const struct trace_event *ev)
{
	struct check_ppc *c = ctx;
	if (ev->type == KEV_VCORE_BLOCKED) {
		struct check_ppc_vcore *v = vcore_of(c, ev->vblocked.tgid, ev);
		v->runner_vcpu = ev->vblocked.runner_vcpu;
		if (ev->vblocked.exit) {
			v->exited = v->entered;
			v->sleeps += v->entered;
		} else {
			v->entered = true;
			v->exited = false;
		}
		return 0;
	}
	if (ev->type != KEV_VCORE_WAKEUP)
		return 0;
	struct check_ppc_vcore *v = vcore_of(c, ev->vwakeup.tgid, ev);
	uint32_t w = v->vc.halt_poll_ns;
	bool slept = v->entered && v->exited, waited = ev->vwakeup.waited;
	uint64_t t = ev->vwakeup.ns;
	v->blocks++;
	v->polls += !waited;
	v->waits += waited;
	v->entered = v->exited = false;
	char why[160];
	if (!kvmppc_vcore_polls(&v->vc)) {
		snprintf(why, sizeof(why), "this release%s prints no kvmppc_vcore_wakeup (the vcore never polls)",
			 c->cpu == KVMPPC_POWER9 ? " on POWER9" : "");
	} else if (waited != slept) {
		snprintf(why, sizeof(why), waited ? "\"wait\" without a kvmppc_vcore_blocked Enter/Exit before it"
						  : "\"poll\" after the runner slept (kvmppc_vcore_blocked Enter/Exit)");
	} else if (!waited && !w && t) {
		snprintf(why, sizeof(why), "\"poll\" with no window: found before sleeping, the block time must be 0");
	} else if (!waited && w && t > (uint64_t)w + CHECK_PPC_SLACK_NS) {
		snprintf(why, sizeof(why), "\"poll\" of %" PRIu64 " ns, longer than the window of %u ns", t, w);
	} else {
		v->agree++;
		why[0] = 0;
	}
	if (why[0])
		mismatch(c, v, ev, w, why);
	if (kvmppc_vcore_polls(&v->vc))
		kvmppc_vcore_adapt(&v->vc, t);
	return 0;
}
