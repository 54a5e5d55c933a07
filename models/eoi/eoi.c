/* eoi.c - EOI paths: x2APIC/xAPIC exits, APICv with its EOI-exit bitmap, PV EOI (see eoi.h). */
#include "models/eoi/eoi.h"

#include "models/costs/costs.h"
#include "models/vcpu/vcpu.h"

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

void apic_set_isr(struct vcpu *v, int vector)
{
	struct kvm_apic_eoi *e = &v->eoi;
	if (v->conf.apicv || test_vec(e->isr, vector))
		return; /* with APICv the ISR is the hardware's (highest_isr_cache stays -1) */
	e->isr[vector / 64] |= 1ull << (vector % 64);
	e->isr_count++;
	e->highest_isr_cache = e->isr_count == 1 ? vector : -1;
}

/* apic_set_eoi - the EOI reaches the LAPIC: the highest in-service vector is done. */
static int apic_set_eoi(struct vcpu *v)
{
	struct kvm_apic_eoi *e = &v->eoi;
	int vector = apic_find_highest_isr(e);
	VTRACE(v, EV_kvm_eoi, kvm_tp_eoi(tb_, sizeof(tb_), v->hp.vcpu_id, vector));
	if (vector == -1)
		return -1;
	e->isr[vector / 64] &= ~(1ull << (vector % 64));
	e->isr_count--;
	e->highest_isr_cache = -1;
	return vector;
}

static bool vector_level(const struct vcpu *v, int vector)
{
	for (int i = 0; i < v->nvec; i++)
		if (v->vec[i].vector == vector)
			return v->vec[i].level;
	return false;
}

void apic_sync_pv_eoi_to_guest(struct vcpu *v)
{
	struct kvm_apic_eoi *e = &v->eoi;
	if (!v->conf.eoi.pv_eoi || v->conf.apicv)
		return;
	if (vcpu_highest_irr(v) || e->highest_isr_cache == -1 || vector_level(v, e->highest_isr_cache))
		return; /* not safe: the guest must write the APIC */
	v->shared->pv_eoi = true;
	e->pv_eoi_pending = true;
	e->pv_armed++;
}

void apic_sync_pv_eoi_from_guest(struct vcpu *v)
{
	struct kvm_apic_eoi *e = &v->eoi;
	if (!e->pv_eoi_pending)
		return;
	bool still_set = v->shared->pv_eoi;
	v->shared->pv_eoi = false;
	e->pv_eoi_pending = false;
	if (still_set)
		return; /* the guest has not done its EOI yet */
	int vector = apic_set_eoi(v);
	VTRACE(v, EV_kvm_pv_eoi, kvm_tp_eoi(tb_, sizeof(tb_), v->hp.vcpu_id, vector));
	e->pv_completed++;
}

static void x2apic_eoi_handled(struct vcpu *v, const struct guest_insn *in)
{
	VTRACE(v, EV_kvm_apic, kvm_tp_apic(tb_, sizeof(tb_), true, APIC_EOI, 0));
	apic_set_eoi(v);
	VTRACE(v, EV_kvm_msr, kvm_tp_msr(tb_, sizeof(tb_), true, X2APIC_MSR_EOI, 0, false));
}

static void xapic_eoi_handled(struct vcpu *v, const struct guest_insn *in)
{
	VTRACE(v, EV_kvm_apic, kvm_tp_apic(tb_, sizeof(tb_), true, APIC_EOI, 0));
	apic_set_eoi(v);
}

static void eoi_induced_handled(struct vcpu *v, const struct guest_insn *in)
{
	/* kvm_apic_set_eoi_accelerated(): the hardware cleared the vISR bit */
	VTRACE(v, EV_kvm_eoi, kvm_tp_eoi(tb_, sizeof(tb_), v->hp.vcpu_id, in->vector));
}

bool kvm_apic_eoi_write(struct vcpu *v, const struct guest_insn *in)
{
	if (v->conf.apicv) {
		if (test_vec(v->conf.eoi.exit_bitmap, in->vector)) {
			vcpu_exit(v, EXIT_REASON_EOI_INDUCED, 0, in->rip, vcost(v, COST_eoi_induced_exit),
				  eoi_induced_handled, in);
			return true;
		}
		return false; /* virtualized: no exit */
	}
	v->eoi.native++;
	if (in->kind == GUEST_WRMSR)
		vcpu_exit(v, EXIT_REASON_MSR_WRITE, 0, in->rip, vcost(v, COST_msr_exit) + vcost(v, COST_apic_eoi),
			  x2apic_eoi_handled, NULL);
	else
		vcpu_exit(v, EXIT_REASON_APIC_ACCESS, 0, in->rip,
			  vcost(v, COST_apic_access_exit) + vcost(v, COST_apic_eoi), xapic_eoi_handled, NULL);
	return true;
}
