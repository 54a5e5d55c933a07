/*
 * guest.c - the guest side of a vCPU: a queue of operations run in guest
 * mode, interrupt delivery into the guest, idling, and the guest's own timers
 * multiplexed onto the LAPIC TSC-deadline timer (see vcpu.h).
 */
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "models/costs/costs.h"
#include "models/vcpu/guest_timers.h"
#include "sim/dist.h"
#include "models/vcpu/vcpu.h"

#define GUEST_RIP_WORK 0xffffffff8112a0c4ULL
#define GUEST_RIP_WRMSR 0xffffffff8107c8e9ULL
#define GUEST_RIP_PIO 0xffffffffa02e14c5ULL

/* ---- the queue ----------------------------------------------------------------------- */

static struct gop *front(struct vcpu *v)
{
	return v->qn ? &v->q[v->qhead] : NULL;
}

static void pop(struct vcpu *v)
{
	v->qhead = (v->qhead + 1) % GOPQ_SIZE;
	v->qn--;
}

static void overflow(struct vcpu *v)
{
	fprintf(stderr, "kvmsim: internal error: %s: more than %d guest operations queued\n", v->name, GOPQ_SIZE);
	abort();
}

void guest_push_front(struct vcpu *v, const struct gop *op)
{
	if (v->qn == GOPQ_SIZE)
		overflow(v);
	v->qhead = (v->qhead + GOPQ_SIZE - 1) % GOPQ_SIZE;
	v->q[v->qhead] = *op;
	v->qn++;
}

void guest_push_back(struct vcpu *v, const struct gop *op)
{
	if (v->qn == GOPQ_SIZE)
		overflow(v);
	v->q[(v->qhead + v->qn) % GOPQ_SIZE] = *op;
	v->qn++;
}

/* ---- running ------------------------------------------------------------------------- */

static void ev_run_done(struct sim *sim, void *subject, void *object)
{
	struct vcpu *v = subject;
	v->ev = SIM_NO_EVENT;
	pop(v); /* the RUN operation at the front is complete */
	guest_resume(v);
}

void guest_pause(struct vcpu *v)
{
	if (v->state != VCPU_GUEST)
		return;
	if (sim_cancel(v->sim, v->ev)) {
		struct gop *op = front(v);
		op->ps -= sim_now(v->sim) - v->run_since;
		if (op->ps < 0)
			op->ps = 0;
	}
	v->ev = SIM_NO_EVENT;
}

/* latency - the handler of q starts now. */
static void latency(struct vcpu *v, struct gop *op)
{
	struct vcpu_vector *q = op->ctx;
	int64_t lat = (sim_now(v->sim) - (sim_time_t)op->arg) / SIM_NS;
	sim_hist_record(&v->irq_lat, lat);
	if (op->msr) /* the guest was idle when the interrupt reached IRR */
		sim_hist_record(&v->wake_lat, lat);
	q->taken++;
}

void guest_take_interrupt(struct vcpu *v, struct vcpu_vector *q)
{
	/* the handler runs with interrupts off until it returns; the rest of its work after */
	v->guest_if = false;
	q->state = VEC_IDLE;
	sim_time_t work = q->work;
	q->work = 0;
	struct gop ops[7];
	int n = 0;
	ops[n++] = (struct gop){ .kind = GOP_RUN, .ps = vcost(v, COST_guest_irq) };
	ops[n++] = (struct gop){ .kind = GOP_CALL, .fn = latency, .ctx = q, .arg = (uint64_t)q->arrival,
				 .msr = q->wake };
	ops[n++] = (struct gop){ .kind = GOP_EOI, .arg = q->vector };
	if (q == v->timer_vec) {
		ops[n++] = (struct gop){ .kind = GOP_CALL, .fn = guest_timers_interrupt };
		ops[n++] = (struct gop){ .kind = GOP_IRET };
	} else {
		ops[n++] = (struct gop){ .kind = GOP_IRET };
		ops[n++] = (struct gop){ .kind = GOP_RUN, .ps = work };
	}
	if (q->msi && q->kick_prob > 0 && gsl_rng_uniform(q->rng) < q->kick_prob)
		/* the driver refills its ring and notifies the device: a port write after the work */
		ops[n++] = (struct gop){ .kind = GOP_EXIT, .reason = EXIT_REASON_IO_INSTRUCTION, .port = q->kick_port };
	for (int i = n; i-- > 0;)
		guest_push_front(v, &ops[i]);
	if (q->msi && v->conf.task_prob > 0 && gsl_rng_uniform(q->rng) < v->conf.task_prob) {
		/* the data wakes a task: it runs once the interrupt work is done */
		struct gop t = { .kind = GOP_RUN, .task = 1, .ps = dist_sample(&v->conf.task_work, q->rng) };
		guest_push_back(v, &t);
	}
}

static void pio_handled(struct vcpu *v, struct gop *op)
{
	/* kvm_fast_pio / ioeventfd: the notification is signalled in the kernel */
}

static void exit_op(struct vcpu *v, struct gop *op)
{
	switch (op->reason) {
	case EXIT_REASON_IO_INSTRUCTION:
		VTRACE(v, EV_kvm_pio, kvm_tp_pio(tb_, sizeof(tb_), true, op->port, 2, 1, 0));
		vcpu_exit(v, EXIT_REASON_IO_INSTRUCTION, 0, GUEST_RIP_PIO, vcost(v, COST_io_exit), pio_handled, op);
		break;
	case EXIT_REASON_MSR_WRITE:
	case EXIT_REASON_APIC_ACCESS: { /* the guest programs its LAPIC timer */
		bool hv = v->hp.vm->era->hv_timer && v->conf.timer.preemption_timer && op->ps &&
			  (!v->conf.oneshot || v->hp.vm->era->hv_oneshot);
		sim_time_t c = vcost(v, op->reason == EXIT_REASON_MSR_WRITE ? COST_msr_exit : COST_apic_access_exit);
		c += op->ps ? vcost(v, hv ? COST_tscdeadline_hv : COST_tscdeadline_sw) : 0;
		vcpu_exit(v, op->reason, 0, GUEST_RIP_WRMSR, c, op->fn, op);
		break;
	}
	default:
		vcpu_exit(v, op->reason, 0, GUEST_RIP_WORK, 0, op->fn, op);
	}
}

static void irq_window_handled(struct vcpu *v, struct gop *op)
{
}

/* ---- idle: cpuidle-haltpoll, idle=poll, HLT ---------------------------------------- */

static void ev_gpoll_limit(struct sim *sim, void *subject, void *object)
{
	struct vcpu *v = subject;
	v->gpoll_ev = SIM_NO_EVENT;
	v->gpoll_expired = true;
	if (v->state == VCPU_GUEST && !v->qn)
		guest_resume(v);
}

/* idle_state_end - the cpuidle state entered returns (cpuidle_enter_state()), reflect it. */
static void idle_state_end(struct vcpu *v, bool timed_out)
{
	if (v->idle_state < 0)
		return;
	if (v->idle_state == HALTPOLL_POLL) {
		sim_cancel(v->sim, v->gpoll_ev);
		v->gpoll_ev = SIM_NO_EVENT;
		v->hpd.poll_time_limit = timed_out;
		if (timed_out)
			v->hpd.poll_timeouts++;
		else
			v->hpd.poll_wakeups++;
	}
	haltpoll_reflect(&v->hpd, v->idle_state, (sim_now(v->sim) - v->idle_since) / SIM_NS);
	v->idle_state = -1;
	v->gpoll_expired = false;
}

/*
 * guest_idle - the queue is empty: the idle loop. Returns true if the vCPU
 * spins in guest mode (idle=poll or a haltpoll POLL), false if it halted.
 */
static bool guest_idle_loop(struct vcpu *v)
{
	if (!v->conf.haltpoll) {
		if (v->conf.idle_poll) {
			vcpu_set_guest_acct(v, true);
			return true;
		}
		vcpu_halt(v); /* default_idle: sti; hlt */
		return false;
	}
	for (;;) {
		if (v->idle_state == HALTPOLL_POLL && !v->gpoll_expired) {
			vcpu_set_guest_acct(v, true);
			return true; /* still polling: interrupts without a task keep the same deadline */
		}
		if (v->idle_state >= 0)
			idle_state_end(v, v->idle_state == HALTPOLL_POLL); /* timed out, or back from HALT */
		int idx = haltpoll_select(&v->hpd);
		v->idle_state = idx;
		v->idle_since = sim_now(v->sim);
		if (idx == HALTPOLL_HALT) {
			v->hpd.halts++;
			vcpu_halt(v);
			return false;
		}
		/* poll_idle(): the clock is read every 200 cpu_relax(); the poll stops at the first read past the limit */
		v->hpd.polls++;
		sim_time_t batch = v->prof->ps[COST_guest_relax200];
		sim_time_t limit = (sim_time_t)v->hpd.poll_limit_ns * SIM_NS;
		sim_time_t reads = batch > 0 ? limit / batch + 1 : 0;
		v->gpoll_expired = false;
		v->gpoll_ev = sim_after(v->sim, batch > 0 ? reads * batch : limit, ev_gpoll_limit, v, NULL);
	}
}

void guest_resume(struct vcpu *v)
{
	while (v->state == VCPU_GUEST) {
		if (v->guest_if) {
			struct vcpu_vector *q = vcpu_highest_irr(v);
			if (q && v->conf.apicv) {
				guest_pause(v);
				guest_take_interrupt(v, q); /* virtual interrupt delivery */
			} else if (q && v->irq_window) {
				vcpu_exit(v, EXIT_REASON_INTERRUPT_WINDOW, 0, GUEST_RIP_WORK, vcost(v, COST_irq_window_exit),
					  irq_window_handled, NULL);
				return;
			}
		}
		struct gop *op = front(v);
		if (!op) {
			if (!v->guest_idle) { /* do_idle(): tick_nohz_idle_enter() */
				v->guest_idle = true;
				guest_nohz_idle_enter(v);
				if (front(v))
					continue; /* the tick's stop is a timer write first */
			}
			guest_idle_loop(v);
			return; /* spinning in guest mode, or halted */
		}
		vcpu_set_guest_acct(v, false);
		if (v->guest_idle && op->task) { /* a task to run: leave idle, tick_nohz_idle_exit() */
			idle_state_end(v, false);
			v->guest_idle = false;
			guest_nohz_idle_exit(v);
			continue;
		}
		switch (op->kind) {
		case GOP_RUN:
			if (v->ev != SIM_NO_EVENT)
				return; /* already running */
			v->run_since = sim_now(v->sim);
			v->ev = sim_after(v->sim, op->ps, ev_run_done, v, NULL);
			return;
		case GOP_CALL: {
			struct gop o = *op;
			pop(v);
			o.fn(v, &o);
			break;
		}
		case GOP_EOI: {
			int vec = (int)op->arg;
			pop(v);
			guest_eoi(v, vec);
			break;
		}
		case GOP_IRET:
			pop(v);
			v->guest_if = true;
			break;
		case GOP_EXIT: {
			struct gop o = *op;
			pop(v);
			exit_op(v, &o);
			return;
		}
		}
	}
}
