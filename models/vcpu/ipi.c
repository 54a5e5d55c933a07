/*
 * ipi.c - IPIs between the vCPUs of a VM (see ipi.h): the ICR decoded as
 * kvm_apic_send_ipi() does, destinations matched as kvm_apic_match_dest()
 * does, delivery through __apic_accept_irq() and kvm_vcpu_kick() (vcpu.c), and
 * the PV send-IPI hypercall (kvm_pv_send_ipi()).
 */
#include "models/vcpu/ipi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/costs/costs.h"
#include "models/haltpoll/kvm_era.h"
#include "models/vcpu/vcpu.h"

#define X2APIC_BROADCAST 0xffffffffu
#define XAPIC_BROADCAST 0xffu

void kvm_icr_decode(uint64_t icr, bool x2apic, struct kvm_icr *d)
{
	uint32_t low = (uint32_t)icr, high = (uint32_t)(icr >> 32);
	d->low = low;
	d->dest = x2apic ? high : high >> 24; /* GET_XAPIC_DEST_FIELD() */
	d->vector = (uint8_t)(low & APIC_ICR_VECTOR);
	d->delivery_mode = (uint8_t)((low >> APIC_ICR_DM_SHIFT) & 7);
	d->shorthand = (uint8_t)((low >> APIC_ICR_SHORTHAND_SHIFT) & 3);
	d->logical = low & APIC_ICR_DEST_LOGICAL;
	d->assert_ = low & APIC_ICR_LEVEL_ASSERT;
	d->level = low & APIC_ICR_LEVEL_TRIG;
}

bool kvm_apic_match_dest(const struct kvm_icr *d, uint32_t src, uint32_t dst, bool x2apic)
{
	switch (d->shorthand) {
	case APIC_DEST_SELF:
		return dst == src;
	case APIC_DEST_ALLINC:
		return true;
	case APIC_DEST_ALLBUT:
		return dst != src;
	default:
		break;
	}
	uint32_t bcast = x2apic ? X2APIC_BROADCAST : XAPIC_BROADCAST;
	if (d->dest == bcast)
		return true;
	if (!d->logical)
		return d->dest == dst;
	if (x2apic) /* cluster in 31:16, one bit per member in 15:0 */
		return (d->dest >> 16) == (dst >> 4) && (d->dest & 0xffff & (1u << (dst & 15)));
	return dst < 8 && (d->dest & (1u << dst)); /* xAPIC flat logical model */
}

struct vcpu_vector *kvm_ipi_vector(struct vcpu *v, uint8_t vector)
{
	for (int i = 0; i < v->nvec; i++)
		if (v->vec[i].vector == vector)
			return &v->vec[i];
	if (v->nvec == VCPU_MAX_VEC)
		return NULL;
	struct vcpu_vector *q = &v->vec[v->nvec++];
	memset(q, 0, sizeof(*q));
	q->v = v;
	q->vector = vector;
	return q;
}

/* vm_vcpu - the VM's vCPU with this APIC ID (the vcpu_id), or NULL. */
static struct vcpu *vm_vcpu(struct vcpu *v, uint32_t apic_id)
{
	if (!v->spin_vm)
		return v->hp.vcpu_id == apic_id ? v : NULL;
	for (int i = 0; i < v->spin_vm->n; i++)
		if (v->spin_vm->vcpus[i]->hp.vcpu_id == apic_id)
			return v->spin_vm->vcpus[i];
	return NULL;
}

/* delivery_cost - the sender's part of reaching dst: posting (APICv, dst in guest mode), or the kick. */
static sim_time_t delivery_cost(struct vcpu *v, const struct vcpu *dst)
{
	return vcost(v, dst->conf.apicv && dst->state == VCPU_GUEST ? COST_posted_intr : COST_vcpu_kick);
}

/* apic_set_irq - kvm_apic_set_irq() on dst: the vector into its IRR, and the kick (vcpu.c). */
static void apic_set_irq(struct vcpu *src, struct vcpu *dst, uint8_t vector)
{
	struct vcpu_vector *q = kvm_ipi_vector(dst, vector);
	if (!q) {
		fprintf(stderr, "kvmsim: internal error: %s: no room for IPI vector 0x%x\n", dst->name, vector);
		abort();
	}
	q->arrivals++;
	if (q->state != VEC_IRR)
		q->arrival = sim_now(dst->sim);
	dst->ipi_sender = src; /* its kvm_apic_accept_irq is traced on the sender's thread */
	dst->wake_remote = src->task.cpu != dst->task.cpu;
	vcpu_accept_irq(dst, q);
	dst->wake_remote = false;
	dst->ipi_sender = NULL;
	dst->ipis_received++;
}

/* icr_cost - kvm_apic_send_ipi(): decoding, the destination search, and each delivery. */
static sim_time_t icr_cost(struct vcpu *v, const struct kvm_icr *d, bool x2apic)
{
	sim_time_t c = vcost(v, COST_icr_write);
	int n = v->spin_vm ? v->spin_vm->n : 1;
	for (int i = 0; i < n; i++) {
		struct vcpu *dst = v->spin_vm ? v->spin_vm->vcpus[i] : v;
		if (kvm_apic_match_dest(d, v->hp.vcpu_id, dst->hp.vcpu_id, x2apic))
			c += delivery_cost(v, dst);
	}
	return c;
}

/* send_ipi - kvm_apic_send_ipi(): trace kvm_apic_ipi, then kvm_irq_delivery_to_apic(). */
static void send_ipi(struct vcpu *v, const struct kvm_icr *d, bool x2apic)
{
	VTRACE(v, EV_kvm_apic_ipi, kvm_tp_apic_ipi(tb_, sizeof(tb_), d->low, d->dest));
	v->ipis_sent++;
	int n = v->spin_vm ? v->spin_vm->n : 1;
	for (int i = 0; i < n; i++) {
		struct vcpu *dst = v->spin_vm ? v->spin_vm->vcpus[i] : v;
		if (kvm_apic_match_dest(d, v->hp.vcpu_id, dst->hp.vcpu_id, x2apic))
			apic_set_irq(v, dst, d->vector);
	}
}

/* x2apic_icr_written - kvm_x2apic_icr_write() (6.x order): send, the register, then kvm_msr. */
static void x2apic_icr_written(struct vcpu *v, const struct guest_insn *in)
{
	struct kvm_icr d;
	kvm_icr_decode(in->value, true, &d);
	send_ipi(v, &d, true);
	VTRACE(v, EV_kvm_apic, kvm_tp_apic(tb_, sizeof(tb_), true, APIC_ICR, in->value));
	VTRACE(v, EV_kvm_msr, kvm_tp_msr(tb_, sizeof(tb_), true, X2APIC_MSR_ICR, in->value, false));
}

bool kvm_icr_fastpath(const struct kvm_era *e, const struct kvm_icr *d)
{
	if (!e->icr_fastpath)
		return false;
	if (d->shorthand != APIC_DEST_NOSHORT || d->logical || d->delivery_mode != APIC_DM_FIXED)
		return false;
	return !(e->icr_fastpath_no_bcast && d->dest == X2APIC_BROADCAST);
}

/*
 * kvm_x2apic_icr_write - the MSR_WRITE exit of an ICR write. A write the fastpath takes sends
 * the IPI before the rest of the exit path: the exit is shorter by what that skips (icr_fastpath,
 * and from 5.8 icr_fastpath_run), at most the handler's own cost. The same kvm_exit, kvm_apic_ipi,
 * kvm_apic, kvm_msr and kvm_entry lines are traced either way.
 */
bool kvm_x2apic_icr_write(struct vcpu *v, const struct guest_insn *in)
{
	struct kvm_icr d;
	kvm_icr_decode(in->value, true, &d);
	sim_time_t c = vcost(v, COST_msr_exit) + icr_cost(v, &d, true);
	const struct kvm_era *e = v->hp.vm->era;
	if (kvm_icr_fastpath(e, &d)) {
		sim_time_t saved = vcost(v, COST_icr_fastpath);
		if (e->icr_fastpath >= 2)
			saved += vcost(v, COST_icr_fastpath_run);
		c -= saved < c ? saved : c;
		v->icr_fastpath_exits++;
	}
	vcpu_exit(v, EXIT_REASON_MSR_WRITE, 0, in->rip, c, x2apic_icr_written, in);
	return true;
}

/* xapic_written - kvm_lapic_reg_write(): ICR2 is stored; an ICR write sends with it. */
static void xapic_written(struct vcpu *v, const struct guest_insn *in)
{
	VTRACE(v, EV_kvm_apic, kvm_tp_apic(tb_, sizeof(tb_), true, in->reg, (uint32_t)in->value));
	if (in->reg == APIC_ICR2) {
		v->icr2 = (uint32_t)in->value;
		return;
	}
	struct kvm_icr d;
	kvm_icr_decode((uint64_t)v->icr2 << 32 | (uint32_t)in->value, false, &d);
	send_ipi(v, &d, false);
}

bool kvm_xapic_icr_write(struct vcpu *v, const struct guest_insn *in)
{
	if (in->reg == APIC_ICR2 && v->conf.apicv) {
		v->icr2 = (uint32_t)in->value; /* APIC-register virtualization: no exit */
		return false;
	}
	sim_time_t c = vcost(v, COST_apic_access_exit);
	if (in->reg == APIC_ICR) {
		struct kvm_icr d;
		kvm_icr_decode((uint64_t)v->icr2 << 32 | (uint32_t)in->value, false, &d);
		c += icr_cost(v, &d, false);
	}
	/* with APICv the ICR write completes in the virtual APIC page and traps after it (APIC_WRITE) */
	unsigned reason = v->conf.apicv ? EXIT_REASON_APIC_WRITE : EXIT_REASON_APIC_ACCESS;
	vcpu_exit(v, reason, 0, in->rip, c, xapic_written, in);
	return true;
}

/* pv_send_ipi - kvm_pv_send_ipi(): a0/a1 a 128-bit bitmap of APIC IDs from a2, a3 the ICR. */
static int pv_send_ipi(struct vcpu *v, const struct guest_insn *in, bool deliver, sim_time_t *cost)
{
	uint64_t map[2] = { in->value, in->a[0] };
	int n = 0;
	for (int b = 0; b < 128; b++) {
		if (!(map[b / 64] >> (b % 64) & 1))
			continue;
		struct vcpu *dst = vm_vcpu(v, (uint32_t)(in->a[1] + (uint64_t)b));
		if (!dst)
			continue;
		n++;
		if (cost)
			*cost += delivery_cost(v, dst);
		if (deliver)
			apic_set_irq(v, dst, (uint8_t)(in->a[2] & APIC_ICR_VECTOR));
	}
	return n;
}

static void hypercall_handled(struct vcpu *v, const struct guest_insn *in)
{
	VTRACE(v, EV_kvm_hypercall, kvm_tp_hypercall(tb_, sizeof(tb_), in->reg, in->value, in->a[0], in->a[1], in->a[2]));
	if (in->reg == KVM_HC_SEND_IPI && v->hp.vm->era->pv_send_ipi) {
		v->ipis_sent++;
		pv_send_ipi(v, in, true, NULL);
	}
}

bool kvm_hypercall(struct vcpu *v, const struct guest_insn *in)
{
	sim_time_t c = vcost(v, COST_pv_send_ipi);
	if (in->reg == KVM_HC_SEND_IPI && v->hp.vm->era->pv_send_ipi)
		pv_send_ipi(v, in, false, &c);
	vcpu_exit(v, EXIT_REASON_VMCALL, 0, in->rip, c, hypercall_handled, in);
	return true;
}
