/* eoi.c - EOI paths: x2APIC/xAPIC exits, APICv with its EOI-exit bitmap, PV EOI (see eoi.h). */
#include "models/eoi/eoi.h"

#include "models/costs/costs.h"

static sim_time_t cost(struct kvm_apic_eoi *e, int id)
{
	return cost_draw(e->prof, e->cost_rng, id);
}

void kvm_apic_eoi_init(struct kvm_apic_eoi *e, const struct kvm_apic_eoi_conf *conf, bool apicv, uint32_t vcpu_id,
		       const struct cost_profile *prof, gsl_rng *cost_rng, const struct kvm_trace_sink *trace,
		       const struct kvm_apic_eoi_vcpu_ops *ops, void *vcpu)
{
	*e = (struct kvm_apic_eoi){ .conf = *conf, .apicv = apicv, .vcpu_id = vcpu_id, .prof = prof,
				    .cost_rng = cost_rng, .trace = trace, .ops = ops, .vcpu = vcpu };
	e->highest_isr_cache = -1;
}

void kvm_apic_eoi_attach(struct kvm_apic_eoi *e, struct guest_shared *shared)
{
	e->shared = shared;
}

static bool test_vec(const uint64_t *bits, int vector)
{
	return vector >= 0 && vector < 256 && (bits[vector / 64] >> (vector % 64)) & 1;
}

static int apic_find_highest_isr(const struct kvm_apic_eoi *e)
{
	for (int w = 3; w >= 0; w--)
		if (e->isr[w])
			return w * 64 + 63 - __builtin_clzll(e->isr[w]);
	return -1;
}

void apic_set_isr(struct kvm_apic_eoi *e, int vector)
{
	if (e->apicv || test_vec(e->isr, vector))
		return; /* with APICv the ISR is the hardware's (highest_isr_cache stays -1) */
	e->isr[vector / 64] |= 1ull << (vector % 64);
	e->isr_count++;
	e->highest_isr_cache = e->isr_count == 1 ? vector : -1;
}

/* apic_set_eoi - the EOI reaches the LAPIC: the highest in-service vector is done. */
static int apic_set_eoi(struct kvm_apic_eoi *e)
{
	int vector = apic_find_highest_isr(e);
	KVM_TRACE(e->trace, EV_kvm_eoi, kvm_tp_eoi(tb_, sizeof(tb_), e->vcpu_id, vector));
	if (vector == -1)
		return -1;
	e->isr[vector / 64] &= ~(1ull << (vector % 64));
	e->isr_count--;
	e->highest_isr_cache = -1;
	return vector;
}

void apic_sync_pv_eoi_to_guest(struct kvm_apic_eoi *e)
{
	if (!e->conf.pv_eoi || e->apicv)
		return;
	if (e->ops->irr_pending(e->vcpu) || e->highest_isr_cache == -1 ||
	    e->ops->vector_level(e->vcpu, e->highest_isr_cache))
		return; /* not safe: the guest must write the APIC */
	e->shared->pv_eoi = true;
	e->pv_eoi_pending = true;
	e->pv_armed++;
}

void apic_sync_pv_eoi_from_guest(struct kvm_apic_eoi *e)
{
	if (!e->pv_eoi_pending)
		return;
	bool still_set = e->shared->pv_eoi;
	e->shared->pv_eoi = false;
	e->pv_eoi_pending = false;
	if (still_set)
		return; /* the guest has not done its EOI yet */
	int vector = apic_set_eoi(e);
	KVM_TRACE(e->trace, EV_kvm_pv_eoi, kvm_tp_eoi(tb_, sizeof(tb_), e->vcpu_id, vector));
	e->pv_completed++;
}

static void x2apic_eoi_handled(struct kvm_apic_eoi *e, const struct guest_insn *in)
{
	KVM_TRACE(e->trace, EV_kvm_apic, kvm_tp_apic(tb_, sizeof(tb_), true, APIC_EOI, 0));
	apic_set_eoi(e);
	KVM_TRACE(e->trace, EV_kvm_msr, kvm_tp_msr(tb_, sizeof(tb_), true, X2APIC_MSR_EOI, 0, false));
}

static void xapic_eoi_handled(struct kvm_apic_eoi *e, const struct guest_insn *in)
{
	KVM_TRACE(e->trace, EV_kvm_apic, kvm_tp_apic(tb_, sizeof(tb_), true, APIC_EOI, 0));
	apic_set_eoi(e);
}

static void eoi_induced_handled(struct kvm_apic_eoi *e, const struct guest_insn *in)
{
	/* kvm_apic_set_eoi_accelerated(): the hardware cleared the vISR bit */
	KVM_TRACE(e->trace, EV_kvm_eoi, kvm_tp_eoi(tb_, sizeof(tb_), e->vcpu_id, in->vector));
}

bool kvm_apic_eoi_write(struct kvm_apic_eoi *e, const struct guest_insn *in)
{
	if (e->apicv) {
		if (test_vec(e->conf.exit_bitmap, in->vector)) {
			e->ops->exit(e->vcpu, EXIT_REASON_EOI_INDUCED, in->rip, cost(e, COST_eoi_induced_exit),
				  eoi_induced_handled, in);
			return true;
		}
		return false; /* virtualized: no exit */
	}
	e->native++;
	if (in->kind == GUEST_WRMSR)
		e->ops->exit(e->vcpu, EXIT_REASON_MSR_WRITE, in->rip, cost(e, COST_msr_exit) + cost(e, COST_apic_eoi),
			  x2apic_eoi_handled, NULL);
	else
		e->ops->exit(e->vcpu, EXIT_REASON_APIC_ACCESS, in->rip,
			  cost(e, COST_apic_access_exit) + cost(e, COST_apic_eoi), xapic_eoi_handled, NULL);
	return true;
}
