/* lapic.c - KVM's emulation of the LAPIC TSC-deadline timer (see lapic.h). */
#include "models/lapic/lapic.h"

#include <stdlib.h>

#include "models/costs/costs.h"
#include "models/vcpu/vcpu.h"

#define TSC_BASE 0x24c7b3d1a2ull /* the guest TSC at the run's start: arbitrary, realistic */
#define INTR_INFO_VALID 0x80000000u
#define ADJUST_MIN 100
#define ADJUST_MAX 10000
#define ADVANCE_INIT 1000
#define ADVANCE_MAX 5000
#define ADVANCE_STEP 8

uint64_t lapic_tsc(const struct vcpu *v, sim_time_t t)
{
	return TSC_BASE + (uint64_t)sim_ps_to_cycles(t, v->conf.timer.tsc_khz);
}

static sim_time_t cycles_ps(const struct vcpu *v, int64_t cycles)
{
	return sim_cycles_to_ps(cycles, v->conf.timer.tsc_khz);
}

static const struct kvm_era *era(const struct vcpu *v)
{
	return v->hp.vm->era;
}

void kvm_lapic_timer_init(struct vcpu *v)
{
	struct kvm_lapic_timer *t = &v->timer;
	t->hv_deadline = -1;
	t->adaptive = v->conf.timer.advance_ns == LAPIC_TIMER_ADVANCE_ADAPTIVE;
	t->timer_advance_ns = t->adaptive ? ADVANCE_INIT : (uint32_t)v->conf.timer.advance_ns;
}

static void trace_hv_state(struct vcpu *v, bool in_use)
{
	VTRACE(v, EV_kvm_hv_timer_state, kvm_tp_hv_timer_state(tb_, sizeof(tb_), era(v), v->hp.vcpu_id, in_use));
}

/* apic_timer_expired - the timer is due: pending, to be injected on the next entry. */
static void apic_timer_expired(struct vcpu *v)
{
	struct kvm_lapic_timer *t = &v->timer;
	if (t->pending)
		return;
	t->expired_tscdeadline = t->tscdeadline;
	t->pending = 1;
}

static void cancel_hv_timer(struct vcpu *v)
{
	vmx_stop_hv_timer(v);
	v->timer.hv_deadline = -1;
	v->timer.hv_timer_in_use = false;
}

static void ev_timer_irq_done(struct sim *sim, void *subject, void *object)
{
	struct vcpu *v = subject;
	apic_timer_expired(v);
	vcpu_kick(v);
}

static void timer_fn_done(struct vcpu *v, const struct guest_insn *in)
{
	apic_timer_expired(v); /* apic_timer_fn() ran in the host's interrupt handler */
}

/* ev_hrtimer_fire - the host hrtimer expires on the vCPU's pCPU: apic_timer_fn(). */
static void ev_hrtimer_fire(struct sim *sim, void *subject, void *object)
{
	struct vcpu *v = subject;
	v->timer.hrtimer = SIM_NO_EVENT;
	v->timer.fired_sw++;
	switch (v->state) {
	case VCPU_GUEST: /* the host timer interrupt forces an exit */
		vcpu_exit(v, EXIT_REASON_EXTERNAL_INTERRUPT, INTR_INFO_VALID | LOCAL_TIMER_VECTOR, GUEST_RIP_WORK,
			  vcost(v, COST_hrtimer_irq), timer_fn_done, NULL);
		break;
	case VCPU_POLL:
	case VCPU_BLOCKED:
		/* the interrupt handler runs (on an idle pCPU, after leaving its idle state), then kicks */
		host_irq(v->task.cpu, vcost(v, COST_hrtimer_irq), ev_timer_irq_done, v, NULL);
		break;
	default:
		apic_timer_expired(v); /* root mode: the run loop sees it before entering */
		break;
	}
}

/* start_sw_tscdeadline - arm the host hrtimer, timer_advance_ns early (start_sw_timer() in 4.19+). */
static void start_sw_tscdeadline(struct vcpu *v)
{
	struct kvm_lapic_timer *t = &v->timer;
	if (era(v)->tp_hv_state_sw)
		trace_hv_state(v, false);
	sim_time_t now = sim_now(v->sim);
	sim_time_t adv = (sim_time_t)t->timer_advance_ns * SIM_NS;
	if (!t->tscdeadline)
		return;
	if (t->tscdeadline > now && t->tscdeadline - now > adv)
		t->hrtimer = sim_at(v->sim, t->tscdeadline - adv, ev_hrtimer_fire, v, NULL);
	else
		apic_timer_expired(v);
}

/*
 * start_hv_timer - vmx_set_hv_timer(); false when the hv timer cannot take it.
 * 4.9 (start_hv_tscdeadline) traces the outcome of every attempt; 4.19+ only a
 * successful one.
 */
static bool start_hv_timer(struct vcpu *v)
{
	struct kvm_lapic_timer *t = &v->timer;
	if (!era(v)->hv_timer || !v->conf.timer.preemption_timer || !t->tscdeadline)
		return false;
	if (v->conf.oneshot && !era(v)->hv_oneshot)
		return false; /* one-shot mode on the hv timer: 4.19+ */
	sim_time_t now = sim_now(v->sim);
	int64_t delta = t->tscdeadline > now ? sim_ps_to_cycles(t->tscdeadline - now, v->conf.timer.tsc_khz) : 0;
	if (era(v)->hv_advance) {
		int64_t adv = (int64_t)t->timer_advance_ns * v->conf.timer.tsc_khz / 1000000;
		delta = delta > adv ? delta - adv : 0;
	}
	if ((uint64_t)delta >> (v->conf.timer.multi + 32)) { /* -ERANGE: the 32-bit field cannot hold it */
		if (!era(v)->tp_hv_state_sw)
			trace_hv_state(v, false);
		return false;
	}
	sim_cancel(v->sim, t->hrtimer);
	t->hrtimer = SIM_NO_EVENT;
	t->hv_deadline = now + cycles_ps(v, delta);
	t->hv_timer_in_use = true;
	trace_hv_state(v, true);
	if (v->state == VCPU_GUEST)
		vmx_update_hv_timer(v);
	return true;
}

static void restart_apic_timer(struct vcpu *v)
{
	if (!start_hv_timer(v))
		start_sw_tscdeadline(v);
}

void kvm_set_lapic_tscdeadline_msr(struct vcpu *v, sim_time_t deadline)
{
	struct kvm_lapic_timer *t = &v->timer;
	sim_cancel(v->sim, t->hrtimer);
	t->hrtimer = SIM_NO_EVENT;
	if (t->hv_timer_in_use)
		cancel_hv_timer(v);
	t->tscdeadline = deadline;
	t->msr_writes++;
	restart_apic_timer(v);
}

void kvm_lapic_switch_to_sw_timer(struct vcpu *v)
{
	struct kvm_lapic_timer *t = &v->timer;
	if (!t->hv_timer_in_use)
		return;
	cancel_hv_timer(v);
	if (!t->pending)
		start_sw_tscdeadline(v); /* traces the switch in 4.19+; 4.9's pre_block does not */
	else if (era(v)->tp_hv_state_sw)
		trace_hv_state(v, false);
}

void kvm_lapic_switch_to_hv_timer(struct vcpu *v)
{
	struct kvm_lapic_timer *t = &v->timer;
	if (t->hv_timer_in_use || t->pending || !t->tscdeadline)
		return;
	if (!era(v)->hv_timer || !v->conf.timer.preemption_timer)
		return;
	restart_apic_timer(v);
}

void kvm_inject_apic_timer_irqs(struct vcpu *v)
{
	struct kvm_lapic_timer *t = &v->timer;
	if (!t->pending)
		return;
	t->pending = 0;
	if (v->timer_vec->state != VEC_IRR) /* the due time is the interrupt's arrival */
		v->timer_vec->arrival = t->expired_tscdeadline ? t->expired_tscdeadline : sim_now(v->sim);
	vcpu_accept_irq(v, v->timer_vec);
	t->tscdeadline = 0; /* one-shot: consumed */
}

/* adjust_lapic_timer_advance - tune the advance by 1/8 of a plausible miss (5.2+). */
static void adjust_lapic_timer_advance(struct vcpu *v, int64_t delta)
{
	struct kvm_lapic_timer *t = &v->timer;
	int64_t ad = delta < 0 ? -delta : delta;
	if (ad > ADJUST_MAX || ad < ADJUST_MIN)
		return;
	uint32_t ns = (uint32_t)(ad * 1000000 / v->conf.timer.tsc_khz);
	uint32_t adv = t->timer_advance_ns;
	if (delta < 0)
		adv -= ns / ADVANCE_STEP; /* early: u32, may wrap and be caught below */
	else
		adv += ns / ADVANCE_STEP;
	if (adv > ADVANCE_MAX)
		adv = ADVANCE_INIT;
	t->timer_advance_ns = adv;
}

sim_time_t kvm_wait_lapic_expire(struct vcpu *v)
{
	struct kvm_lapic_timer *t = &v->timer;
	if (!t->injected || !t->expired_tscdeadline || !t->timer_advance_ns)
		return 0;
	sim_time_t now = sim_now(v->sim), d = t->expired_tscdeadline;
	t->expired_tscdeadline = 0;
	int64_t delta = (int64_t)(lapic_tsc(v, now) - lapic_tsc(v, d));
	VTRACE(v, EV_kvm_wait_lapic_expire, kvm_tp_wait_lapic_expire(tb_, sizeof(tb_), v->hp.vcpu_id, delta));
	if (t->adaptive)
		adjust_lapic_timer_advance(v, delta);
	if (now >= d)
		return 0;
	sim_time_t wait = d - now, cap = (sim_time_t)t->timer_advance_ns * SIM_NS;
	return wait < cap ? wait : cap;
}

static void hv_timer_expired(struct vcpu *v, const struct guest_insn *in)
{
	/* kvm_lapic_expired_hv_timer() */
	cancel_hv_timer(v);
	apic_timer_expired(v);
}

static void ev_ptimer(struct sim *sim, void *subject, void *object)
{
	struct vcpu *v = subject;
	v->timer.ptimer = SIM_NO_EVENT;
	v->timer.fired_hv++;
	vcpu_exit(v, EXIT_REASON_PREEMPTION_TIMER, 0, GUEST_RIP_WORK,
		  vcost(v, era(v)->ptimer_fastpath ? COST_ptimer_fastpath : COST_ptimer_exit), hv_timer_expired, NULL);
}

void vmx_update_hv_timer(struct vcpu *v)
{
	struct kvm_lapic_timer *t = &v->timer;
	if (!t->hv_timer_in_use || t->hv_deadline < 0 || t->ptimer != SIM_NO_EVENT)
		return;
	sim_time_t now = sim_now(v->sim);
	/* VMX_PREEMPTION_TIMER_VALUE counts down once every 2^multi TSC cycles */
	uint64_t delta = t->hv_deadline > now ? (uint64_t)sim_ps_to_cycles(t->hv_deadline - now, v->conf.timer.tsc_khz) : 0;
	uint64_t value = delta >> v->conf.timer.multi;
	t->ptimer = sim_after(v->sim, cycles_ps(v, (int64_t)(value << v->conf.timer.multi)), ev_ptimer, v, NULL);
}

void vmx_stop_hv_timer(struct vcpu *v)
{
	sim_cancel(v->sim, v->timer.ptimer);
	v->timer.ptimer = SIM_NO_EVENT;
}
