/*
 * apic.c - what the LAPIC timer (models/lapic) and EOI handling (models/eoi)
 * ask of their vCPU: its mode, an exit, a host interrupt on its pCPU, an
 * interrupt into IRR; and where their tracepoints go. They reach the vCPU
 * only through these, so neither includes vcpu.h.
 */
#include "models/vcpu/vcpu.h"

void vcpu_trace_emit(void *ctx, enum kvm_event ev, const char *payload)
{
	struct vcpu *v = ctx;
	v->tracer->event(v->tracer->ctx, v, ev, payload);
}

/* ---- the LAPIC timer ------------------------------------------------------------------ */

static enum kvm_lapic_vcpu_mode lapic_mode(void *vcpu)
{
	struct vcpu *v = vcpu;
	switch (v->state) {
	case VCPU_GUEST:
		return LAPIC_VCPU_GUEST;
	case VCPU_POLL:
	case VCPU_BLOCKED:
		return LAPIC_VCPU_HALTED;
	default:
		return LAPIC_VCPU_ROOT;
	}
}

static void lapic_exit_handled(struct vcpu *v, const struct guest_insn *in)
{
	v->lapic_done(&v->timer);
}

static void lapic_exit(void *vcpu, unsigned reason, uint32_t intr_info, sim_time_t cost, kvm_lapic_done_fn *done)
{
	struct vcpu *v = vcpu;
	v->lapic_done = done;
	vcpu_exit(v, reason, intr_info, GUEST_RIP_WORK, cost, lapic_exit_handled, NULL);
}

static void ev_host_timer_irq_done(struct sim *sim, void *subject, void *object)
{
	struct vcpu *v = subject;
	kvm_apic_timer_expired(&v->timer);
	vcpu_kick(v);
}

static void lapic_host_irq(void *vcpu, sim_time_t cost)
{
	struct vcpu *v = vcpu;
	host_irq(v->task.cpu, cost, ev_host_timer_irq_done, v, NULL);
}

static void lapic_timer_irq(void *vcpu, sim_time_t due)
{
	struct vcpu *v = vcpu;
	if (v->timer_vec->state != VEC_IRR)
		v->timer_vec->arrival = due;
	vcpu_accept_irq(v, v->timer_vec);
}

const struct kvm_lapic_vcpu_ops vcpu_lapic_ops = { lapic_mode, lapic_exit, lapic_host_irq, lapic_timer_irq };

/* ---- EOI ------------------------------------------------------------------------------ */

static bool eoi_irr_pending(void *vcpu)
{
	return vcpu_highest_irr(vcpu) != NULL;
}

static bool eoi_vector_level(void *vcpu, int vector)
{
	struct vcpu *v = vcpu;
	for (int i = 0; i < v->nvec; i++)
		if (v->vec[i].vector == vector)
			return v->vec[i].level;
	return false;
}

static void eoi_exit_handled(struct vcpu *v, const struct guest_insn *in)
{
	v->eoi_done(&v->eoi, in);
}

static void eoi_exit(void *vcpu, unsigned reason, uint64_t rip, sim_time_t cost, kvm_apic_eoi_done_fn *done,
		     const struct guest_insn *in)
{
	struct vcpu *v = vcpu;
	v->eoi_done = done;
	vcpu_exit(v, reason, 0, rip, cost, eoi_exit_handled, in);
}

const struct kvm_apic_eoi_vcpu_ops vcpu_eoi_ops = { eoi_irr_pending, eoi_vector_level, eoi_exit };
