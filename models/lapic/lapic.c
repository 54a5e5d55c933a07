/* lapic.c - KVM's emulation of the LAPIC TSC-deadline timer (see lapic.h). */
#include "models/lapic/lapic.h"

#include <stdlib.h>

#include "models/costs/costs.h"

#define TSC_BASE 0x24c7b3d1a2ull /* the guest TSC at the run's start: arbitrary, realistic */
#define ADJUST_MIN 100
#define ADJUST_MAX 10000
#define ADVANCE_INIT 1000
#define ADVANCE_MAX 5000
#define ADVANCE_STEP 8

uint64_t lapic_tsc(const struct kvm_lapic_timer *t, sim_time_t at)
{
	return TSC_BASE + (uint64_t)sim_ps_to_cycles(at, t->conf.tsc_khz);
}

static sim_time_t cycles_ps(const struct kvm_lapic_timer *t, int64_t cycles)
{
	return sim_cycles_to_ps(cycles, t->conf.tsc_khz);
}

static sim_time_t cost(struct kvm_lapic_timer *t, int id)
{
	return cost_draw(t->prof, t->cost_rng, id);
}

void kvm_lapic_timer_init(struct kvm_lapic_timer *t, struct sim *sim, const struct kvm_lapic_timer_conf *conf,
			  const struct kvm_era *era, uint32_t vcpu_id, bool oneshot, const struct cost_profile *prof,
			  gsl_rng *cost_rng, const struct kvm_trace_sink *trace, const struct kvm_lapic_vcpu_ops *ops,
			  void *vcpu)
{
	*t = (struct kvm_lapic_timer){ .sim = sim, .conf = *conf, .era = era, .vcpu_id = vcpu_id, .oneshot = oneshot,
				       .prof = prof, .cost_rng = cost_rng, .trace = trace, .ops = ops, .vcpu = vcpu };
	t->hv_deadline = -1;
	t->adaptive = conf->advance_ns == LAPIC_TIMER_ADVANCE_ADAPTIVE;
	t->timer_advance_ns = t->adaptive ? ADVANCE_INIT : (uint32_t)conf->advance_ns;
}

static void trace_hv_state(struct kvm_lapic_timer *t, bool in_use)
{
	KVM_TRACE(t->trace, EV_kvm_hv_timer_state, kvm_tp_hv_timer_state(tb_, sizeof(tb_), t->era, t->vcpu_id, in_use));
}

void kvm_apic_timer_expired(struct kvm_lapic_timer *t)
{
	if (t->pending)
		return;
	t->expired_tscdeadline = t->tscdeadline;
	t->pending = 1;
}

static void cancel_hv_timer(struct kvm_lapic_timer *t)
{
	vmx_stop_hv_timer(t);
	t->hv_deadline = -1;
	t->hv_timer_in_use = false;
}

static void timer_fn_done(struct kvm_lapic_timer *t)
{
	kvm_apic_timer_expired(t); /* apic_timer_fn() ran in the host's interrupt handler */
}

/* ev_hrtimer_fire - the host hrtimer expires on the vCPU's pCPU: apic_timer_fn(). */
static void ev_hrtimer_fire(struct sim *sim, void *subject, void *object)
{
	struct kvm_lapic_timer *t = subject;
	t->hrtimer = SIM_NO_EVENT;
	t->fired_sw++;
	switch (t->ops->mode(t->vcpu)) {
	case LAPIC_VCPU_GUEST: /* the host timer interrupt forces an exit */
		t->ops->exit(t->vcpu, EXIT_REASON_EXTERNAL_INTERRUPT, INTR_INFO_VALID | LOCAL_TIMER_VECTOR,
			     cost(t, COST_hrtimer_irq), timer_fn_done);
		break;
	case LAPIC_VCPU_HALTED:
		/* the interrupt handler runs (on an idle pCPU, after leaving its idle state), then kicks */
		t->ops->host_irq(t->vcpu, cost(t, COST_hrtimer_irq));
		break;
	default:
		kvm_apic_timer_expired(t); /* root mode: the run loop sees it before entering */
		break;
	}
}

/* start_sw_tscdeadline - arm the host hrtimer, timer_advance_ns early (start_sw_timer() in 4.19+). */
static void start_sw_tscdeadline(struct kvm_lapic_timer *t)
{
	if (t->era->tp_hv_state_sw)
		trace_hv_state(t, false);
	sim_time_t now = sim_now(t->sim);
	sim_time_t adv = (sim_time_t)t->timer_advance_ns * SIM_NS;
	if (!t->tscdeadline)
		return;
	if (t->tscdeadline > now && t->tscdeadline - now > adv)
		t->hrtimer = sim_at(t->sim, t->tscdeadline - adv, ev_hrtimer_fire, t, NULL);
	else
		kvm_apic_timer_expired(t);
}

/*
 * start_hv_timer - vmx_set_hv_timer(); false when the hv timer cannot take it.
 * 4.9 (start_hv_tscdeadline) traces the outcome of every attempt; 4.19+ only a
 * successful one.
 */
static bool start_hv_timer(struct kvm_lapic_timer *t)
{
	if (!t->era->hv_timer || !t->conf.preemption_timer || !t->tscdeadline)
		return false;
	if (t->oneshot && !t->era->hv_oneshot)
		return false; /* one-shot mode on the hv timer: 4.19+ */
	sim_time_t now = sim_now(t->sim);
	int64_t delta = t->tscdeadline > now ? sim_ps_to_cycles(t->tscdeadline - now, t->conf.tsc_khz) : 0;
	if (t->era->hv_advance) {
		int64_t adv = (int64_t)t->timer_advance_ns * t->conf.tsc_khz / 1000000;
		delta = delta > adv ? delta - adv : 0;
	}
	if ((uint64_t)delta >> (t->conf.multi + 32)) { /* -ERANGE: the 32-bit field cannot hold it */
		if (!t->era->tp_hv_state_sw)
			trace_hv_state(t, false);
		return false;
	}
	sim_cancel(t->sim, t->hrtimer);
	t->hrtimer = SIM_NO_EVENT;
	t->hv_deadline = now + cycles_ps(t, delta);
	t->hv_timer_in_use = true;
	if (t->era->hv_expired_at_start) { /* one-shot and TSC-deadline modes */
		if (t->pending) {
			cancel_hv_timer(t);
		} else if (!delta) { /* already due: fire now, in software, no exit */
			kvm_apic_timer_expired(t);
			cancel_hv_timer(t);
		}
	}
	trace_hv_state(t, t->hv_timer_in_use);
	if (t->hv_timer_in_use && t->ops->mode(t->vcpu) == LAPIC_VCPU_GUEST)
		vmx_update_hv_timer(t);
	return true;
}

static void restart_apic_timer(struct kvm_lapic_timer *t)
{
	if (!start_hv_timer(t))
		start_sw_tscdeadline(t);
}

void kvm_set_lapic_tscdeadline_msr(struct kvm_lapic_timer *t, sim_time_t deadline)
{
	sim_cancel(t->sim, t->hrtimer);
	t->hrtimer = SIM_NO_EVENT;
	if (t->hv_timer_in_use)
		cancel_hv_timer(t);
	t->tscdeadline = deadline;
	t->msr_writes++;
	restart_apic_timer(t);
}

void kvm_lapic_switch_to_sw_timer(struct kvm_lapic_timer *t)
{
	if (!t->hv_timer_in_use)
		return;
	cancel_hv_timer(t);
	if (!t->pending)
		start_sw_tscdeadline(t); /* traces the switch in 4.19+; 4.9's pre_block does not */
	else if (t->era->tp_hv_state_sw)
		trace_hv_state(t, false);
}

void kvm_lapic_switch_to_hv_timer(struct kvm_lapic_timer *t)
{
	if (t->hv_timer_in_use || t->pending || !t->tscdeadline)
		return;
	if (!t->era->hv_timer || !t->conf.preemption_timer)
		return;
	restart_apic_timer(t);
}

void kvm_inject_apic_timer_irqs(struct kvm_lapic_timer *t)
{
	if (!t->pending)
		return;
	t->pending = 0;
	/* the due time is the interrupt's arrival */
	t->ops->timer_irq(t->vcpu, t->expired_tscdeadline ? t->expired_tscdeadline : sim_now(t->sim));
	t->tscdeadline = 0; /* one-shot: consumed */
}

/* adjust_lapic_timer_advance - tune the advance by 1/8 of a plausible miss (5.2+). */
static void adjust_lapic_timer_advance(struct kvm_lapic_timer *t, int64_t delta)
{
	int64_t ad = delta < 0 ? -delta : delta;
	if (ad > ADJUST_MAX || ad < ADJUST_MIN)
		return;
	uint32_t ns = (uint32_t)(ad * 1000000 / t->conf.tsc_khz);
	uint32_t adv = t->timer_advance_ns;
	if (delta < 0)
		adv -= ns / ADVANCE_STEP; /* early: u32, may wrap and be caught below */
	else
		adv += ns / ADVANCE_STEP;
	if (adv > ADVANCE_MAX)
		adv = ADVANCE_INIT;
	t->timer_advance_ns = adv;
}

sim_time_t kvm_wait_lapic_expire(struct kvm_lapic_timer *t)
{
	if (!t->injected || !t->expired_tscdeadline || !t->timer_advance_ns)
		return 0;
	sim_time_t now = sim_now(t->sim), d = t->expired_tscdeadline;
	t->expired_tscdeadline = 0;
	int64_t delta = (int64_t)(lapic_tsc(t, now) - lapic_tsc(t, d));
	KVM_TRACE(t->trace, EV_kvm_wait_lapic_expire, kvm_tp_wait_lapic_expire(tb_, sizeof(tb_), t->vcpu_id, delta));
	if (t->adaptive)
		adjust_lapic_timer_advance(t, delta);
	if (now >= d)
		return 0;
	sim_time_t wait = d - now, cap = (sim_time_t)t->timer_advance_ns * SIM_NS;
	return wait < cap ? wait : cap;
}

static void hv_timer_expired(struct kvm_lapic_timer *t)
{
	/* kvm_lapic_expired_hv_timer() */
	cancel_hv_timer(t);
	kvm_apic_timer_expired(t);
}

static void ev_ptimer(struct sim *sim, void *subject, void *object)
{
	struct kvm_lapic_timer *t = subject;
	t->ptimer = SIM_NO_EVENT;
	t->fired_hv++;
	t->ops->exit(t->vcpu, EXIT_REASON_PREEMPTION_TIMER, 0,
		     cost(t, t->era->ptimer_fastpath ? COST_ptimer_fastpath : COST_ptimer_exit), hv_timer_expired);
}

void vmx_update_hv_timer(struct kvm_lapic_timer *t)
{
	if (!t->hv_timer_in_use || t->hv_deadline < 0 || t->ptimer != SIM_NO_EVENT)
		return;
	sim_time_t now = sim_now(t->sim);
	/* VMX_PREEMPTION_TIMER_VALUE counts down once every 2^multi TSC cycles */
	uint64_t delta = t->hv_deadline > now ? (uint64_t)sim_ps_to_cycles(t->hv_deadline - now, t->conf.tsc_khz) : 0;
	uint64_t value = delta >> t->conf.multi;
	t->ptimer = sim_after(t->sim, cycles_ps(t, (int64_t)(value << t->conf.multi)), ev_ptimer, t, NULL);
}

void vmx_stop_hv_timer(struct kvm_lapic_timer *t)
{
	sim_cancel(t->sim, t->ptimer);
	t->ptimer = SIM_NO_EVENT;
}
