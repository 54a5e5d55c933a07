/* vcpu.c - the vCPU in root mode: exits, entry, the halt, wake-ups, accounting (see vcpu.h). */
#include "models/vcpu/vcpu.h"

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/costs/costs.h"
#include "sim/rng.h"

const char *const vcpu_acct_names[VACCT_N] = { "guest",     "guest_poll", "kvm",	  "poll_ok",
					       "poll_fail", "sleep",	  "runnable" };

#define RESCHEDULE_VECTOR 0xfd
#define POSTED_INTR_VECTOR 0xf2

enum { POLL_SUCCESS, POLL_CUT, POLL_GIVEUP };

static inline struct vcpu *task_vcpu(struct host_task *t)
{
	return (struct vcpu *)((char *)t - offsetof(struct vcpu, task));
}

sim_time_t vcost(struct vcpu *v, int id)
{
	return cost_draw(v->prof, v->cost_rng, id);
}

static void step(struct vcpu *v, enum vcpu_state s, int acct, sim_time_t cost, sim_action_fn *next)
{
	v->state = s;
	vcpu_acct(v, acct);
	v->ev = sim_after(v->sim, cost, next, v, NULL);
}

/* ---- interrupts --------------------------------------------------------------------- */

struct vcpu_vector *vcpu_highest_irr(struct vcpu *v)
{
	if (!v->irr_mask)
		return NULL;
	struct vcpu_vector *best = NULL;
	for (int i = 0; i < v->nvec; i++)
		if (v->vec[i].state == VEC_IRR && (!best || v->vec[i].vector > best->vector))
			best = &v->vec[i];
	return best;
}

bool vcpu_has_events(const struct vcpu *v)
{
	return v->timer.pending || v->irr_mask;
}

static void ev_ipi_arrived(struct sim *sim, void *subject, void *object);

/* send_ipi - interrupt the pCPU running this vCPU in guest mode (extra: on top of the profile's
 * ipi). One in flight is enough, the first to arrive: a kick sent while a slower reschedule IPI
 * (ipi_guest) is on its way arrives at its own time. */
static void send_ipi(struct vcpu *v, sim_time_t extra)
{
	sim_time_t at = sim_now(v->sim) + v->prof->ps[COST_ipi] + extra;
	if (v->ipi_ev != SIM_NO_EVENT) {
		if (at >= v->ipi_at)
			return;
		sim_cancel(v->sim, v->ipi_ev);
	} else {
		v->ipis++;
	}
	v->ipi_at = at;
	v->ipi_ev = sim_after(v->sim, at - sim_now(v->sim), ev_ipi_arrived, v, NULL);
}

/* in_guest_mode - t is a vCPU thread running its guest: a reschedule IPI reaches it through an exit. */
static bool in_guest_mode(const struct host_task *t);

static void poll_update(struct vcpu *v);

/* ev_delayed_wake - the host wakes the thread late, as a replayed trace recorded it; object
 * non-NULL: by its remote waker (after ev_delayed_wake_check), else as if local (as before
 * ipi_guest) */
static void ev_delayed_wake(struct sim *sim, void *subject, void *object)
{
	struct vcpu *v = subject;
	(void)sim;
	vcpu_acct(v, VACCT_RUNNABLE);
	host_task_wake_from(&v->task, object != NULL);
}

/*
 * ev_delayed_wake_check - a replayed wake-up, ipi_guest before its recorded delay ends (that
 * delay holds the reschedule IPI already): with a vCPU in guest mode on its (pinned) thread's
 * pCPU now, the thread is queued now and the model's own IPI puts the switch where the trace
 * had it; otherwise it wakes at the delay's end, remotely (docs/traces.md says why).
 */
static void ev_delayed_wake_check(struct sim *sim, void *subject, void *object)
{
	struct vcpu *v = subject;
	(void)object;
	struct host_task *c = v->task.cpu->curr;
	if (!v->task.cpus_mask && v->task.cpu->phase == PCPU_RUN && c && in_guest_mode(c))
		ev_delayed_wake(sim, v, v);
	else
		sim_after(sim, v->delayed_rest, ev_delayed_wake, v, v);
}

void vcpu_kick(struct vcpu *v)
{
	switch (v->state) {
	case VCPU_GUEST:
	case VCPU_ENTRY: /* IN_GUEST_MODE already: kvm_vcpu_kick() sends it too */
		send_ipi(v, 0); /* a posted interrupt with APICv, else a forced exit */
		break;
	case VCPU_POLL:
		poll_update(v);
		break;
	case VCPU_BLOCKED:
		/* kvm_vcpu_wake_up(): the thread was asleep */
		++v->hp.stat.halt_wakeup;
		if (v->conf.invalid_wakeup_prob > 0 && gsl_rng_uniform(v->wake_rng) < v->conf.invalid_wakeup_prob) {
			/* s390: another vCPU took the floating interrupt; this wake-up finds nothing */
			v->res.valid_wakeup = false;
			for (int i = 0; i < v->nvec; i++)
				if (v->vec[i].state == VEC_IRR && v->vec[i].msi) {
					vcpu_vec_set(v, &v->vec[i], VEC_IDLE);
					v->vec[i].work = 0;
				}
		}
		v->state = VCPU_WAKING;
		if (v->wake_delay > 0) { /* still asleep as far as the host's accounting goes */
			sim_time_t ipi = v->wake_remote ? v->prof->ps[COST_ipi_guest] : 0;
			if (ipi > 0) { /* the delay may hold a reschedule IPI the model sends itself */
				sim_time_t first = v->wake_delay > ipi ? v->wake_delay - ipi : 0;
				v->delayed_rest = v->wake_delay - first;
				sim_after(v->sim, first, ev_delayed_wake_check, v, NULL);
			} else {
				sim_after(v->sim, v->wake_delay, ev_delayed_wake, v, NULL);
			}
			break;
		}
		vcpu_acct(v, VACCT_RUNNABLE);
		host_task_wake_from(&v->task, v->wake_remote);
		break;
	default:
		break; /* root mode: the next check, or injection on entry, finds it */
	}
}

void vcpu_accept_irq(struct vcpu *v, struct vcpu_vector *q)
{
	VTRACE(v, EV_kvm_apic_accept_irq,
	       kvm_tp_apic_accept_irq(tb_, sizeof(tb_), v->hp.vcpu_id, APIC_DM_FIXED, q->level, q->vector));
	if (q->state == VEC_IRR) { /* the IRR bit is already set: one interrupt, more work */
		q->coalesced++;
		return;
	}
	vcpu_vec_set(v, q, VEC_IRR);
	guest_irq_raised(v->guest, q->vector);
	vcpu_kick(v);
}

/* ---- exits and entry --------------------------------------------------------------- */

static void exit_stat_close(struct vcpu *v)
{
	if (!v->exit_open)
		return;
	struct exit_stat *s = &v->exits[v->exit_reason];
	sim_time_t d = sim_now(v->sim) - v->exit_at;
	double us = (double)d / (double)SIM_US;
	s->n++;
	s->sum += d;
	if (s->n == 1 || d < s->min)
		s->min = d;
	if (d > s->max)
		s->max = d;
	double delta = us - s->mean_us;
	s->mean_us += delta / (double)s->n;
	s->m2 += delta * (us - s->mean_us);
	v->exit_open = false;
}

static void vcpu_enter(struct vcpu *v);

static void ev_entered(struct sim *sim, void *subject, void *object)
{
	struct vcpu *v = subject;
	struct vcpu_vector *inj = object;
	v->ev = SIM_NO_EVENT;
	exit_stat_close(v);
	VTRACE(v, EV_kvm_entry,
	       kvm_tp_entry(tb_, sizeof(tb_), v->hp.vm->era, v->hp.vcpu_id,
			    v->in_halt ? GUEST_RIP_HLT + 1 : GUEST_RIP_WORK, false));
	v->in_halt = false;
	v->state = VCPU_GUEST;
	vcpu_acct(v, VACCT_GUEST);
	vmx_update_hv_timer(&v->timer);
	guest_enter(v->guest);
	if (inj) /* the interrupt taken at injection: one reaching IRR since is a new one */
		guest_deliver_irq(v->guest, inj->vector, v->inj_arrival, v->inj_work);
	guest_resume(v->guest);
	/*
	 * An IPI that arrived while entering (a kick, or a reschedule IPI sent when a
	 * wake-up set need_resched after the run loop's check) was pending with
	 * interrupts off: it exits at once; one still on its way arrives in guest
	 * mode. need_resched set with none sent: the IPI from now. The simple
	 * scheduler keeps its older behaviour (need_resched seen at the next exit).
	 */
	bool pending = v->ipi_in_entry;
	v->ipi_in_entry = false;
	if (v->state != VCPU_GUEST)
		return;
	if (pending) {
		if (v->ipi_ev != SIM_NO_EVENT) { /* a later one merges into it */
			sim_cancel(v->sim, v->ipi_ev);
			v->ipi_ev = SIM_NO_EVENT;
		}
		ev_ipi_arrived(v->sim, v, NULL);
	} else if (v->ipi_ev == SIM_NO_EVENT && v->task.cpu->need_resched &&
		   v->task.cpu->host->cls != &host_sched_simple) {
		send_ipi(v, 0);
	}
}

/* vcpu_enter - back to the guest, through the run loop's preemption point and injection. */
static void vcpu_enter(struct vcpu *v)
{
	if (v->task.cpu->need_resched) {
		v->state = VCPU_PREEMPTED;
		vcpu_acct(v, VACCT_RUNNABLE);
		if (host_task_yield(&v->task))
			return; /* vcpu_run_cb() continues when it has the CPU again */
	}
	sim_time_t c = vcost(v, COST_vmentry);
	kvm_inject_apic_timer_irqs(&v->timer);
	struct vcpu_vector *inj = NULL;
	if (!v->conf.apicv) {
		struct vcpu_vector *q = vcpu_highest_irr(v);
		if (q && v->shared->rflags_if) {
			inj = q;
			vcpu_take_irq(v, q, &v->inj_arrival, &v->inj_work);
			apic_set_isr(&v->eoi, q->vector);
			VTRACE(v, EV_kvm_inj_virq, kvm_tp_inj_virq(tb_, sizeof(tb_), v->hp.vm->era, q->vector));
			c += vcost(v, COST_inject);
			v->irq_window = false;
		} else if (q) {
			v->irq_window = true; /* inject when the guest enables interrupts */
		}
		apic_sync_pv_eoi_to_guest(&v->eoi);
	}
	/* lapic_timer_int_injected(): in ISR once injected, or still in IRR with APICv */
	v->timer.injected = v->conf.apicv ? v->timer_vec->state == VEC_IRR : inj && inj == v->timer_vec;
	c += kvm_wait_lapic_expire(&v->timer);
	v->state = VCPU_ENTRY;
	vcpu_acct(v, VACCT_KVM);
	v->ev = sim_after(v->sim, c, ev_entered, v, inj);
}

static void ev_exit_handled(struct sim *sim, void *subject, void *object)
{
	struct vcpu *v = subject;
	v->ev = SIM_NO_EVENT;
	if (v->exit_fn)
		v->exit_fn(v, v->has_exit_insn ? &v->exit_insn : NULL);
	if (v->state == VCPU_EXIT)
		vcpu_enter(v);
}

void vcpu_exit(struct vcpu *v, unsigned reason, uint32_t intr_info, uint64_t rip, sim_time_t cost,
	       vcpu_exit_fn *fn, const struct guest_insn *in)
{
	const struct kvm_era *e = v->hp.vm->era;
	if (v->state == VCPU_GUEST)
		guest_exit(v->guest);
	vmx_stop_hv_timer(&v->timer);
	v->ple_last_pause = 0; /* the hardware times a PAUSE loop within one stretch in guest mode */
	struct kvm_exit_info x = {
		.vcpu_id = v->hp.vcpu_id,
		.reason = reason,
		.rip = rip,
		/* up to 5.9 info2 was the exit interruption info; 5.10 moved it to intr_info */
		.info2 = e->tp_kvm_exit < 2 ? intr_info : 0,
		.intr_info = intr_info,
	};
	VTRACE(v, EV_kvm_exit, kvm_tp_exit(tb_, sizeof(tb_), e, &x));
	v->exit_reason = reason < VMX_REASONS ? reason : VMX_REASONS - 1;
	v->exit_open = true;
	v->exit_at = sim_now(v->sim);
	v->exit_fn = fn;
	v->has_exit_insn = in != NULL;
	if (in)
		v->exit_insn = *in;
	cost += vcost(v, COST_vmexit);
	if (!v->conf.apicv && v->eoi.pv_eoi_pending) {
		apic_sync_pv_eoi_from_guest(&v->eoi); /* after every exit */
		cost += vcost(v, COST_pv_eoi_sync);
	}
	step(v, VCPU_EXIT, VACCT_KVM, cost, ev_exit_handled);
}

static void ev_ipi_arrived(struct sim *sim, void *subject, void *object)
{
	struct vcpu *v = subject;
	v->ipi_ev = SIM_NO_EVENT;
	if (v->state == VCPU_ENTRY) {
		v->ipi_in_entry = true; /* pending with interrupts off: taken as the guest starts */
		return;
	}
	if (v->state != VCPU_GUEST)
		return; /* out of guest mode already: root mode sees IRR and need_resched itself */
	if (!v->task.cpu->need_resched && v->conf.apicv) {
		guest_resume(v->guest); /* a posted interrupt: delivered without an exit when IF=1 */
		return;
	}
	vcpu_exit(v, EXIT_REASON_EXTERNAL_INTERRUPT,
		  INTR_INFO_VALID | (v->conf.apicv ? POSTED_INTR_VECTOR : RESCHEDULE_VECTOR), GUEST_RIP_WORK,
		  vcost(v, COST_extint_exit), NULL, NULL);
}

/* ---- the halt ------------------------------------------------------------------------- */

static void ev_halt_done(struct sim *sim, void *subject, void *object)
{
	struct vcpu *v = subject;
	v->ev = SIM_NO_EVENT;
	kvm_lapic_switch_to_hv_timer(&v->timer);
	v->state = VCPU_EXIT;
	vcpu_enter(v);
}

/* halt_end - the rest of kvm_vcpu_halt() once the thread is back (or never left). */
static void halt_end(struct vcpu *v)
{
	vcpu_resolve_poll(v, !v->res.waited);
	v->blocked_poll_ps = 0;
	if (!v->res.valid_wakeup)
		v->invalid_wakeups++;
	if (v->hp.vm->era->stat_blocking)
		v->hp.stat.blocking = 0;
	kvm_vcpu_halt_end(&v->hp, &v->halt, &v->res);
	sim_time_t c = vcost(v, COST_halt_finish);
	if (v->conf.timer.preemption_timer && v->timer.tscdeadline && !v->timer.pending)
		c += vcost(v, COST_timer_switch);
	step(v, VCPU_HALT_DONE, VACCT_KVM, c, ev_halt_done);
}

static void ev_block_check(struct sim *sim, void *subject, void *object)
{
	struct vcpu *v = subject;
	v->ev = SIM_NO_EVENT;
	if (vcpu_has_events(v)) { /* arrived after the poll loop, before schedule(): never slept */
		v->res.waited = false;
		v->res.cur_ns = sim_ns(sim_now(sim));
		halt_end(v);
		return;
	}
	v->res.waited = true;
	/* the poll failed: settle it on this pCPU now, as the thread may wake on another */
	v->blocked_poll_ps = v->poll_pending_ps;
	vcpu_resolve_poll(v, false);
	if (v->hp.vm->era->stat_blocking)
		v->hp.stat.blocking = 1;
	v->state = VCPU_BLOCKED;
	vcpu_acct(v, VACCT_SLEEP);
	host_task_sleep(&v->task);
}

static void block_prepare(struct vcpu *v)
{
	step(v, VCPU_BLOCK_PREP, VACCT_KVM, vcost(v, COST_block_prepare), ev_block_check);
}

static void ev_poll_end(struct sim *sim, void *subject, void *object)
{
	struct vcpu *v = subject;
	int64_t now_ns = sim_ns(sim_now(sim));
	v->ev = SIM_NO_EVENT;
	v->res.poll_end_ns = now_ns; /* the previous iteration's timestamp falls on this grid point */
	v->res.check_ns = now_ns;
	if (v->poll_end_kind == POLL_SUCCESS) {
		v->res.loop_success = true;
		v->res.waited = false;
		v->res.cur_ns = now_ns;
		halt_end(v);
	} else {
		block_prepare(v);
	}
}

/* grid_at_or_after - the first poll-loop grid point at or after t. */
static sim_time_t grid_at_or_after(const struct vcpu *v, sim_time_t t)
{
	sim_time_t c = v->prof->ps[COST_poll_iter];
	if (t <= v->poll_start)
		return v->poll_start;
	return v->poll_start + (t - v->poll_start + c - 1) / c * c;
}

/*
 * poll_update - something the loop checks changed (an event pending, another
 * runnable task, need_resched): end the loop earlier if that is now due.
 * At grid point k the loop first evaluates can_poll() (k >= 1), then checks for
 * a wake event, so a wake event only wins strictly before the loop's exit.
 */
static void poll_update(struct vcpu *v)
{
	struct pcpu *p = v->task.cpu;
	sim_time_t now = sim_now(v->sim);
	sim_time_t c = v->prof->ps[COST_poll_iter];
	sim_time_t end = v->poll_giveup;
	int kind = POLL_GIVEUP;
	bool stop = !single_task_running(p) || (v->hp.vm->era->need_resched && p->need_resched);
	if (stop) {
		sim_time_t cut = grid_at_or_after(v, now);
		if (cut < v->poll_start + c)
			cut = v->poll_start + c;
		if (cut < end) {
			end = cut;
			kind = POLL_CUT;
		}
	}
	if (vcpu_has_events(v)) {
		sim_time_t g = grid_at_or_after(v, now);
		if (g < end) {
			end = g;
			kind = POLL_SUCCESS;
		}
	}
	if (end < v->stall_until) /* a host interrupt's handler runs until then (stall.c) */
		end = v->stall_until;
	if (v->ev == SIM_NO_EVENT || end < v->poll_end_at) {
		sim_cancel(v->sim, v->ev);
		v->poll_end_at = end;
		v->poll_end_kind = kind;
		v->ev = sim_at(v->sim, end, ev_poll_end, v, NULL);
	}
}

static void poll_begin(struct vcpu *v)
{
	sim_time_t c = v->prof->ps[COST_poll_iter];
	v->state = VCPU_POLL;
	vcpu_acct(v, VACCT_POLL);
	v->poll_start = sim_now(v->sim);
	/* the loop gives up at the first timestamp cur with cur >= start + halt_poll_ns */
	sim_time_t need = (v->halt.start_ns + (int64_t)v->halt.poll_ns) * SIM_NS - v->poll_start;
	int64_t k = need <= c ? 1 : (need + c - 1) / c;
	v->poll_giveup = v->poll_start + k * c;
	v->ev = SIM_NO_EVENT;
	poll_update(v);
}

/* hlt_handled - handle_halt() and the run loop's vcpu_block(), after the HLT exit. */
static void hlt_handled(struct vcpu *v, const struct guest_insn *in)
{
	int64_t now_ns = sim_ns(sim_now(v->sim));
	++v->hp.stat.halt_exits;
	if (vcpu_has_events(v))
		return; /* kvm_vcpu_has_events(): stays runnable; vcpu_exit() enters again */
	kvm_lapic_switch_to_sw_timer(&v->timer); /* before polling, so that the poll sees an expired timer */
	v->halts++;
	kvm_vcpu_halt_begin(&v->hp, &v->halt, now_ns);
	v->res = (struct kvm_halt_result){
		.valid_wakeup = true,
		.poll_end_ns = now_ns,
		.check_ns = now_ns,
		.cur_ns = now_ns,
	};
	if (v->halt.do_poll)
		poll_begin(v);
	else
		block_prepare(v);
}

/* vcpu_halt - the guest executes HLT with nothing to do. */
void vcpu_halt(struct vcpu *v)
{
	v->in_halt = true;
	sim_time_t c = vcost(v, COST_hlt_exit);
	if (v->timer.hv_timer_in_use)
		c += vcost(v, COST_timer_switch);
	vcpu_exit(v, EXIT_REASON_HLT, 0, GUEST_RIP_HLT, c, hlt_handled, NULL);
}

/* ---- the thread on its pCPU --------------------------------------------------------- */

static void vcpu_run_cb(struct host_task *t)
{
	struct vcpu *v = task_vcpu(t);
	shrink_ple_window(v); /* scheduled in */
	switch (v->state) {
	case VCPU_WAKING: /* back from schedule() in kvm_vcpu_block() */
		v->res.cur_ns = sim_ns(sim_now(v->sim));
		vcpu_acct(v, VACCT_KVM);
		halt_end(v);
		break;
	case VCPU_NEW:
	case VCPU_PREEMPTED:
		vcpu_acct(v, VACCT_KVM);
		v->state = VCPU_EXIT;
		vcpu_enter(v);
		break;
	default:
		assert(!"vCPU run in an unexpected state");
	}
}

static void vcpu_resched_cb(struct host_task *t, bool remote)
{
	struct vcpu *v = task_vcpu(t);
	switch (v->state) {
	case VCPU_ENTRY: /* IN_GUEST_MODE already: the IPI is sent now (the simple scheduler: seen at the next exit) */
		if (v->task.cpu->host->cls == &host_sched_simple)
			break;
		/* fall through */
	case VCPU_GUEST:
		/* a remote wake-up's reschedule IPI: to a CPU in guest mode it may cost more (ipi_guest) */
		if (v->task.cpu->need_resched)
			send_ipi(v, remote ? v->prof->ps[COST_ipi_guest] : 0);
		break;
	case VCPU_POLL:
		poll_update(v);
		break;
	default:
		break; /* seen at the next preemption point */
	}
}

const struct host_task_ops vcpu_task_ops = { vcpu_run_cb, vcpu_resched_cb, vcpu_stall, .own_ipi = true };

static bool in_guest_mode(const struct host_task *t)
{
	return t->ops == &vcpu_task_ops && task_vcpu((struct host_task *)t)->state == VCPU_GUEST;
}
