/*
 * guest.c - the guest on one vCPU: its queue of operations, running them in
 * guest mode, and taking interrupts (see guest.h).
 */
#include "models/guest/guest.h"

#include <stdlib.h>
#include <string.h>

#include "models/costs/costs.h"
#include "sim/rng.h"
#include "sim/xalloc.h"

#define GOPQ_INIT 64 /* a power of two, as every size the ring grows to */
#define VIRTIO_PCI_NOTIFY_PORT 0xc050 /* the first device's notify port; each next one 0x40 further */

/* ---- the queue ----------------------------------------------------------------------- */

static struct gop *front(struct guest_cpu *g)
{
	return g->qn ? &g->q[g->qhead] : NULL;
}

static void pop(struct guest_cpu *g)
{
	g->qhead = (g->qhead + 1) & (g->qcap - 1);
	g->qn--;
}

/* grow - double the ring, keeping the order of what is queued. */
static __attribute__((noinline)) void grow(struct guest_cpu *g)
{
	g->q = xring_grow(g->q, sizeof(*g->q), &g->qcap, &g->qhead, g->qn, GOPQ_INIT);
}

void guest_push_front(struct guest_cpu *g, const struct gop *op)
{
	if (__builtin_expect(g->qn == g->qcap, 0))
		grow(g);
	g->qhead = (g->qhead + g->qcap - 1) & (g->qcap - 1);
	g->q[g->qhead] = *op;
	g->qn++;
}

void guest_push_back(struct guest_cpu *g, const struct gop *op)
{
	if (__builtin_expect(g->qn == g->qcap, 0))
		grow(g);
	g->q[(g->qhead + g->qn) & (g->qcap - 1)] = *op;
	g->qn++;
}

/* ---- running ------------------------------------------------------------------------- */

static void ev_run_done(struct sim *sim, void *subject, void *object)
{
	struct guest_cpu *g = subject;
	g->run_ev = SIM_NO_EVENT;
	pop(g); /* the RUN operation at the front is complete */
	guest_resume(g);
}

void guest_pause(struct guest_cpu *g)
{
	if (!g->in_guest)
		return;
	if (sim_cancel(g->sim, g->run_ev)) {
		struct gop *op = front(g);
		op->ps -= sim_now(g->sim) - g->run_since;
		if (op->ps < 0)
			op->ps = 0;
	}
	g->run_ev = SIM_NO_EVENT;
}

void guest_enter(struct guest_cpu *g)
{
	g->in_guest = true;
	g->acct_polling = false; /* entry counts as guest time */
}

void guest_account(struct guest_cpu *g, bool polling)
{
	if (g->acct_polling == polling)
		return;
	g->acct_polling = polling;
	g->hw.ops->account(g->hw.ctx, polling);
}

void guest_exit(struct guest_cpu *g)
{
	guest_pause(g);
	g->in_guest = false;
}

static bool exec(struct guest_cpu *g, const struct guest_insn *in)
{
	return g->hw.ops->exec(g->hw.ctx, in);
}

/* eoi - the handler's end of interrupt: through the PV EOI word if KVM left it set, else a write. */
static void eoi(struct guest_cpu *g, uint8_t vector)
{
	if (g->conf.pv_eoi && g->shared.pv_eoi) { /* test_and_clear_bit(0, &kvm_apic_eoi) */
		g->shared.pv_eoi = false;
		return;
	}
	struct guest_insn in = { .kind = g->conf.x2apic ? GUEST_WRMSR : GUEST_APIC_WRITE,
				 .reg = g->conf.x2apic ? X2APIC_MSR_EOI : APIC_EOI,
				 .vector = vector,
				 .rip = GUEST_RIP_EOI };
	exec(g, &in);
}

void guest_resume(struct guest_cpu *g)
{
	while (g->in_guest) {
		if (g->shared.rflags_if) {
			g->hw.ops->irq_window(g->hw.ctx);
			if (!g->in_guest)
				return;
		}
		struct gop *op = front(g);
		if (!op) {
			if (!g->idle) { /* do_idle(): tick_nohz_idle_enter() */
				g->idle = true;
				guest_nohz_idle_enter(g);
				if (front(g))
					continue; /* the tick's stop is a timer write first */
			}
			guest_idle_loop(g);
			if (g->in_guest && g->qn)
				continue; /* a poll_source found work (poll_source.h) */
			return; /* spinning in guest mode, or halted */
		}
		guest_account(g, false);
		if (g->idle && op->task) { /* a task to run: leave idle, tick_nohz_idle_exit() */
			guest_idle_state_end(g, false);
			g->idle = false;
			guest_nohz_idle_exit(g);
			continue;
		}
		switch (op->kind) {
		case GOP_RUN:
			if (g->run_ev != SIM_NO_EVENT)
				return; /* already running */
			g->run_since = sim_now(g->sim);
			g->run_ev = sim_after(g->sim, op->ps, ev_run_done, g, NULL);
			return;
		case GOP_CALL: {
			struct gop o = *op;
			pop(g);
			o.fn(g, &o);
			break;
		}
		case GOP_EOI: {
			uint8_t vec = (uint8_t)op->arg;
			pop(g);
			eoi(g, vec);
			break;
		}
		case GOP_IRET:
			pop(g);
			g->shared.rflags_if = true;
			break;
		case GOP_INSN: {
			struct guest_insn in = op->insn;
			pop(g);
			if (exec(g, &in))
				return;
			break;
		}
		}
	}
}

/* ---- interrupts ------------------------------------------------------------------------ */

/* latency - the handler of the interrupt that arrived at op->arg starts now. */
static void latency(struct guest_cpu *g, struct gop *op)
{
	int64_t lat = (sim_now(g->sim) - (sim_time_t)op->arg) / SIM_NS;
	sim_hist_record(&g->irq_lat, lat);
	if (op->wake) /* the guest was idle when the interrupt reached IRR */
		sim_hist_record(&g->wake_lat, lat);
}

void guest_irq_raised(struct guest_cpu *g, uint8_t vector)
{
	uint64_t bit = 1ull << (vector % 64);
	/* idle: halted, or spinning in the idle loop, with nothing queued (interrupt work done) */
	if (g->idle && !g->qn)
		g->idle_at_irr[vector / 64] |= bit;
	else
		g->idle_at_irr[vector / 64] &= ~bit;
}

static struct guest_driver *driver(struct guest_cpu *g, uint8_t vector)
{
	for (int i = 0; i < g->ndrv; i++)
		if (g->drv[i].vector == vector)
			return &g->drv[i];
	return NULL;
}

/* notify - a driver's device notify: its port write */
static struct gop notify(const struct guest_driver *d)
{
	return (struct gop){ .kind = GOP_INSN, .insn = { .kind = GUEST_OUT, .port = d->kick_port, .rip = GUEST_RIP_PIO } };
}

void guest_deliver_irq(struct guest_cpu *g, uint8_t vector, sim_time_t arrival, sim_time_t work)
{
	guest_pause(g); /* the handler goes in front of what was running */
	/* the handler runs with interrupts off until it returns; the rest of its work after (or
	 * all of it before the EOI: work_in_handler) */
	g->shared.rflags_if = false;
	struct guest_driver *d = driver(g, vector);
	struct gop ops[7];
	int n = 0;
	ops[n++] = (struct gop){ .kind = GOP_RUN, .ps = guest_cost(g, COST_guest_irq) };
	ops[n++] = (struct gop){ .kind = GOP_CALL, .fn = latency, .arg = (uint64_t)arrival,
				 .wake = (g->idle_at_irr[vector / 64] >> (vector % 64)) & 1 };
	/* a device interrupt's work inside its handler, interrupts off, before the EOI (conf) */
	bool in_handler = g->conf.work_in_handler && vector != LOCAL_TIMER_VECTOR && !(d && (d->handler || d->ipi_handler));
	/* the driver refills its ring and notifies the device: a port write after the work */
	bool kick = d && d->kick_prob > 0 && gsl_rng_uniform(d->rng) < d->kick_prob;
	if (in_handler) {
		ops[n++] = (struct gop){ .kind = GOP_RUN, .ps = work };
		if (kick)
			ops[n++] = notify(d);
	}
	ops[n++] = (struct gop){ .kind = GOP_EOI, .arg = vector };
	if (vector == LOCAL_TIMER_VECTOR) {
		ops[n++] = (struct gop){ .kind = GOP_CALL, .fn = guest_timers_interrupt };
		ops[n++] = (struct gop){ .kind = GOP_IRET };
	} else if (d && d->handler) {
		ops[n++] = (struct gop){ .kind = GOP_CALL, .fn = d->handler, .ctx = d->handler_ctx };
		ops[n++] = (struct gop){ .kind = GOP_IRET };
	} else {
		if (d && d->ipi_handler) /* an IPI's handler: in the interrupt, before it returns */
			ops[n++] = (struct gop){ .kind = GOP_CALL, .fn = d->ipi_handler, .ctx = d->ipi_ctx,
						 .arg = (uint64_t)arrival };
		ops[n++] = (struct gop){ .kind = GOP_IRET };
		if (!in_handler)
			ops[n++] = (struct gop){ .kind = GOP_RUN, .ps = work };
	}
	if (kick && !in_handler)
		ops[n++] = notify(d);
	for (int i = n; i-- > 0;)
		guest_push_front(g, &ops[i]);
	if (d && d->rng && g->conf.task_prob > 0 && gsl_rng_uniform(d->rng) < g->conf.task_prob) {
		/* the data wakes a task: it runs once the interrupt work is done */
		struct gop t = { .kind = GOP_RUN, .task = 1, .ps = dist_sample(&g->conf.task_work, d->rng) };
		guest_push_back(g, &t);
	}
}

/* ---- life cycle ------------------------------------------------------------------------- */

void guest_init(struct guest_cpu *g, struct sim *sim, const char *name, const struct cost_profile *prof,
		gsl_rng *cost_rng, const struct guest_conf *conf, struct guest_hw hw)
{
	memset(g, 0, sizeof(*g));
	g->sim = sim;
	g->prof = prof;
	g->cost_rng = cost_rng;
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->conf = *conf;
	g->hw = hw;
	g->shared.rflags_if = true;
	g->idle_state = -1;
	if (conf->haltpoll)
		haltpoll_init(&g->hpd, conf->haltpoll);
	sim_hist_init(&g->wake_lat);
	sim_hist_init(&g->irq_lat);
}

int guest_set_ipi_handler(struct guest_cpu *g, uint8_t vector, gop_fn *fn, void *ctx, char *err, size_t errlen)
{
	struct guest_driver *d = driver(g, vector);
	if (!d) {
		if (g->ndrv == GUEST_MAX_DRIVERS) {
			snprintf(err, errlen, "%s: too many drivers, at interrupt vector 0x%x", g->name, vector);
			return -1;
		}
		d = &g->drv[g->ndrv++];
		memset(d, 0, sizeof(*d));
		d->vector = vector;
	}
	d->ipi_handler = fn;
	d->ipi_ctx = ctx;
	return 0;
}

int guest_add_driver(struct guest_cpu *g, uint8_t vector, double kick_prob, uint64_t seed, const char *name,
		     char *err, size_t errlen)
{
	if (g->ndrv == GUEST_MAX_DRIVERS || driver(g, vector)) {
		snprintf(err, errlen, "%s: %s interrupt vector 0x%x", g->name,
			 g->ndrv == GUEST_MAX_DRIVERS ? "too many drivers, at" : "two drivers on", vector);
		return -1;
	}
	struct guest_driver *d = &g->drv[g->ndrv];
	d->vector = vector;
	d->kick_prob = kick_prob;
	d->kick_port = (uint16_t)(VIRTIO_PCI_NOTIFY_PORT + 0x40 * g->ndrv);
	if (kick_prob > 0 || g->conf.task_prob > 0) {
		char rn[96];
		snprintf(rn, sizeof(rn), "%s/kick", name);
		d->rng = sim_rng_new(seed, rn);
	}
	g->ndrv++;
	return 0;
}

int guest_set_driver_handler(struct guest_cpu *g, uint8_t vector, gop_fn *fn, void *ctx)
{
	struct guest_driver *d = driver(g, vector);
	if (!d)
		return -1;
	d->handler = fn;
	d->handler_ctx = ctx;
	return 0;
}

void guest_spin_end(struct guest_cpu *g)
{
	for (unsigned i = 0; i < g->qn; i++) {
		struct gop *op = &g->q[(g->qhead + i) & (g->qcap - 1)];
		if (op->kind != GOP_RUN || !op->spin)
			continue;
		if (i == 0 && g->run_ev != SIM_NO_EVENT) { /* running now: stop it and go on */
			guest_pause(g);
			op->ps = 0;
			guest_resume(g);
		} else {
			op->ps = 0;
		}
		return;
	}
}

void guest_stats_reset(struct guest_cpu *g)
{
	sim_hist_free(&g->wake_lat);
	sim_hist_free(&g->irq_lat);
	sim_hist_init(&g->wake_lat);
	sim_hist_init(&g->irq_lat);
	struct guest_haltpoll *d = &g->hpd;
	d->polls = d->poll_wakeups = d->poll_timeouts = d->halts = d->grows = d->shrinks = 0;
	g->lock = (struct guest_lock_stats){ 0 };
	g->lock_spin_since = sim_now(g->sim);
}

void guest_free(struct guest_cpu *g)
{
	for (int i = 0; i < g->ndrv; i++)
		if (g->drv[i].rng)
			gsl_rng_free(g->drv[i].rng);
	if (g->gpoll_ev)
		sim_cancel(g->sim, g->gpoll_ev);
	if (g->psrc_ev)
		sim_cancel(g->sim, g->psrc_ev);
	free(g->q);
	sim_hist_free(&g->wake_lat);
	sim_hist_free(&g->irq_lat);
}
