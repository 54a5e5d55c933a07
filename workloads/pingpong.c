/* pingpong.c - closed-loop IPI and futex ping-pong between two vCPUs (see pingpong.h). */
#include "workloads/pingpong.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "models/costs/costs.h"
#include "models/guest/guest.h"
#include "models/haltpoll/kvm_era.h"
#include "sim/rng.h"

const char *const pingpong_mode_names[] = { "none", "ipi", "futex", NULL };

#define P(f) offsetof(struct pingpong_conf, f)
static const struct cfg_key pingpong_keys[] = {
	{ "mode", CFG_ENUM, P(mode), NULL, "none", 0, 0,
	  "closed loop between two vCPUs: none, ipi (IPI and IPI reply) or futex (two threads waking each other)",
	  .choices = pingpong_mode_names },
	{ "from", CFG_INT, P(from), NULL, "0", 0, 1023, "the vCPU that starts each round trip and measures it" },
	{ "to", CFG_INT, P(to), NULL, "1", 0, 1023, "the vCPU that answers" },
	{ "think", CFG_DIST, P(think), "us", "50us", 0, 0, "from a reply to the next request (the guest idles)" },
	{ "work", CFG_TIME, P(work), "us", "0", 0, 0, "the responder's work before it answers" },
	{ "pv_send_ipi", CFG_BOOL, P(pv_send_ipi), NULL, "false", 0, 0,
	  "the guest sends IPIs by the KVM_HC_SEND_IPI hypercall (x86 4.19+, x2APIC), not ICR writes" },
	{ NULL },
};
#undef P
const struct cfg_section pingpong_section = { "pingpong", pingpong_keys, sizeof(struct pingpong_conf), NULL };

static int bad(struct conf_err *err, const struct conf_node *node, const char *path, const char *key,
	       const char *msg, const char *arg)
{
	char p[160], m[200];
	snprintf(p, sizeof(p), "%s.pingpong.%s", path, key);
	snprintf(m, sizeof(m), msg, arg);
	const struct conf_node *n = node ? conf_get(node, key) : NULL;
	conf_errorf(err, n ? n : node, p, "%s", m);
	return -1;
}

int pingpong_check(const struct pingpong_conf *c, int64_t vcpus, bool x2apic, bool x86, const struct kvm_era *e,
		   const char *kernel, const struct conf_node *node, const char *path, struct conf_err *err)
{
	char n[32];
	if (c->pv_send_ipi && !e->pv_send_ipi)
		return bad(err, node, path, "pv_send_ipi", "KVM_HC_SEND_IPI is an x86 hypercall from 4.19 (kernel %s)",
			   kernel);
	if (c->pv_send_ipi && !x2apic)
		return bad(err, node, path, "pv_send_ipi", "%s", "the guest uses PV send-IPI in x2APIC mode only (vm.apic: x2apic)");
	if (c->mode == PINGPONG_NONE)
		return 0;
	if (!x86)
		return bad(err, node, path, "mode", "%s", "guest IPIs are modelled for x86 only");
	snprintf(n, sizeof(n), "%lld", (long long)vcpus);
	if (vcpus < 2)
		return bad(err, node, path, "mode", "a ping-pong needs 2 vCPUs (vm.vcpus is %s)", n);
	if (c->from >= vcpus)
		return bad(err, node, path, "from", "no such vCPU (vm.vcpus is %s)", n);
	if (c->to >= vcpus)
		return bad(err, node, path, "to", "no such vCPU (vm.vcpus is %s)", n);
	if (c->from == c->to)
		return bad(err, node, path, "to", "%s", "must differ from pingpong.from");
	return 0;
}

/* ---- the loop ---------------------------------------------------------------------------- */

static void send(struct guest_cpu *g, struct gop *op);
static void wake_other(struct guest_cpu *g, struct gop *op);

/* side - 0 for the measuring vCPU, 1 for the responder. */
static int side(const struct pingpong *p, const struct guest_cpu *g)
{
	return g == p->g[1];
}

static void push_call(struct guest_cpu *g, gop_fn *fn, void *ctx, bool task)
{
	struct gop op = { .kind = GOP_CALL, .task = task, .fn = fn, .ctx = ctx };
	guest_push_back(g, &op);
}

static void think_over(struct guest_cpu *g, void *ctx)
{
	struct pingpong *p = ctx;
	struct gop run = { .kind = GOP_RUN, .task = 1, .ps = guest_cost(g, COST_guest_sched_switch) };
	guest_push_back(g, &run); /* the thread's sleep ends: it is scheduled in */
	push_call(g, send, p, true);
}

/* completed - the reply reached the measuring side: one round trip; then think, or go on. */
static void completed(struct pingpong *p, struct guest_cpu *g)
{
	sim_time_t rtt = sim_now(g->sim) - p->t0;
	if (p->t0 >= p->since) {
		p->round_trips++;
		p->rtt_sum += rtt;
		sim_hist_record(&p->rtt, rtt / SIM_NS);
	}
	sim_time_t think = dist_sample(&p->conf->think, p->rng);
	if (think > 0)
		guest_timer_start(g, p->timer, sim_now(g->sim) + think);
	else
		push_call(g, send, p, true);
}

/* ipi_handler - the IPI's handler: the responder answers, the measuring side completes. */
static void ipi_handler(struct guest_cpu *g, struct gop *op)
{
	struct pingpong *p = op->ctx;
	struct gop run = { .kind = GOP_RUN, .ps = guest_cost(g, COST_guest_ipi_handler) };
	if (p->conf->mode == PINGPONG_FUTEX) { /* scheduler_ipi(): the woken thread runs after the interrupt */
		guest_push_front(g, &run);
		struct gop sw = { .kind = GOP_RUN, .task = 1, .ps = guest_cost(g, COST_guest_sched_switch) };
		guest_push_back(g, &sw);
		push_call(g, wake_other, p, true);
		return;
	}
	if (side(p, g) == 0) {
		completed(p, g);
		guest_push_front(g, &run);
		return;
	}
	p->ipis++;
	guest_send_ipi(g, p->apic[0], p->vector); /* the reply, from the handler */
	if (p->conf->work > 0) {
		struct gop w = { .kind = GOP_RUN, .ps = p->conf->work };
		guest_push_front(g, &w);
	}
	guest_push_front(g, &run);
}

/* send - the measuring side starts a round trip. */
static void send(struct guest_cpu *g, struct gop *op)
{
	struct pingpong *p = op->ctx;
	p->t0 = sim_now(g->sim);
	if (p->conf->mode == PINGPONG_FUTEX) {
		struct gop w = { .kind = GOP_CALL, .task = 1, .fn = wake_other, .ctx = p, .arg = 1 };
		guest_push_front(g, &w);
		return;
	}
	p->ipis++;
	guest_send_ipi(g, p->apic[1], p->vector);
}

static void ev_noticed(struct sim *sim, void *subject, void *object)
{
	struct guest_cpu *g = subject;
	if (g->in_guest)
		guest_resume(g); /* the poll loop's need_resched() check */
}

/*
 * futex_wake - try_to_wake_up() of the thread on the other CPU: running (it has not slept yet),
 * it just goes on; idle and polling, need_resched is set without an IPI; idle, a reschedule IPI.
 */
static void futex_wake(struct pingpong *p, struct guest_cpu *g)
{
	int o = !side(p, g);
	struct guest_cpu *t = p->g[o];
	if (t->idle && !guest_idle_polling(t)) {
		p->ipis++;
		guest_send_ipi(g, p->apic[o], p->vector);
		return;
	}
	struct gop sw = { .kind = GOP_RUN, .task = 1, .ps = guest_cost(t, COST_guest_sched_switch) };
	if (t->idle) {
		p->polling_wakes++;
		sim_after(t->sim, guest_cost(t, COST_guest_nr_polling), ev_noticed, t, NULL);
	} else {
		sw.ps = 0; /* still running: it returns from its own FUTEX_WAIT without sleeping */
	}
	guest_push_back(t, &sw);
	push_call(t, wake_other, p, true);
}

static void do_wake(struct guest_cpu *g, struct gop *op)
{
	futex_wake(op->ctx, g);
}

/*
 * wake_other - a thread's turn (op->arg 1: the round trip's start): the measuring side completes
 * a round trip when woken, the responder works; then FUTEX_WAKE the other, FUTEX_WAIT.
 */
static void wake_other(struct guest_cpu *g, struct gop *op)
{
	struct pingpong *p = op->ctx;
	if (side(p, g) == 0 && !op->arg) {
		completed(p, g);
		return;
	}
	struct gop ops[3] = {
		{ .kind = GOP_RUN, .task = 1, .ps = (side(p, g) ? p->conf->work : 0) + guest_cost(g, COST_guest_futex_wake) },
		{ .kind = GOP_CALL, .task = 1, .fn = do_wake, .ctx = p },
		{ .kind = GOP_RUN, .task = 1, .ps = guest_cost(g, COST_guest_futex_wait) },
	};
	for (int i = 3; i-- > 0;)
		guest_push_front(g, &ops[i]);
}

/* ---- life cycle -------------------------------------------------------------------------- */

int pingpong_start(struct pingpong *p, const struct pingpong_conf *c, struct guest_cpu *from, struct guest_cpu *to,
		   uint32_t apic_from, uint32_t apic_to, uint64_t seed, const char *name, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->conf = c;
	p->g[0] = from;
	p->g[1] = to;
	p->apic[0] = apic_from;
	p->apic[1] = apic_to;
	p->vector = c->mode == PINGPONG_FUTEX ? RESCHEDULE_VECTOR : CALL_FUNCTION_SINGLE_VECTOR;
	sim_hist_init(&p->rtt);
	char rn[96];
	snprintf(rn, sizeof(rn), "%s/pingpong", name);
	p->rng = sim_rng_new(seed, rn);
	for (int i = 0; i < 2; i++)
		if (guest_set_ipi_handler(p->g[i], p->vector, ipi_handler, p, err, errlen))
			return -1;
	p->timer = guest_timer_new(from, think_over, p);
	if (!p->timer) {
		snprintf(err, errlen, "%s: the guest has no timer left for the ping-pong's think time", from->name);
		return -1;
	}
	push_call(from, send, p, true);
	return 0;
}

void pingpong_stats_reset(struct pingpong *p)
{
	p->round_trips = p->ipis = p->polling_wakes = 0;
	p->since = sim_now(p->g[0]->sim);
	p->rtt_sum = 0;
	sim_hist_free(&p->rtt);
	sim_hist_init(&p->rtt);
}

void pingpong_free(struct pingpong *p)
{
	if (p->rng)
		gsl_rng_free(p->rng);
	sim_hist_free(&p->rtt);
}
