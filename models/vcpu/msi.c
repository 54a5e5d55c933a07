/*
 * msi.c - device interrupts: a source of arrivals per vector raising its MSI
 * (kvm_set_msi() on the device's thread), which reaches the vCPU's IRR
 * irq_deliver later (see vcpu.h).
 */
#include "models/vcpu/vcpu.h"

#include <stdio.h>
#include <string.h>

#include "models/costs/costs.h"
#include "sim/xalloc.h"

static void ev_msi_delivered(struct sim *sim, void *subject, void *object)
{
	struct vcpu *v = subject;
	struct vcpu_vector *q = object;
	/* whether this MSI is an interrupt of its own is decided here, where it meets IRR (an
	 * earlier one may have been injected since it was raised): if so, it counts from its
	 * raise, irq_deliver ago (one value, so MSIs reach IRR in the order raised) */
	if (q->state != VEC_IRR)
		q->arrival = sim_now(sim) - v->prof->ps[COST_irq_deliver];
	v->in_producer = true;
	v->wake_delay = 0; /* this MSI's own, if it wakes a sleeping thread (vcpu_kick) */
	uint64_t seq = ++q->delivered;
	if (q->fly_n && q->fly[q->fly_head].seq == seq) {
		v->wake_delay = q->fly[q->fly_head].delay;
		q->fly_head = (q->fly_head + 1) & (q->fly_cap - 1);
		q->fly_n--;
	}
	v->wake_remote = true; /* the device's thread: taken to run on another CPU */
	vcpu_accept_irq(v, q);
	v->wake_remote = false;
	v->wake_delay = 0;
	v->in_producer = false;
}

/* msi_fire - a device raised its MSI: kvm_set_msi() on the producing CPU. */
static void msi_fire(void *ctx, sim_time_t work)
{
	struct vcpu_vector *q = ctx;
	struct vcpu *v = q->v;
	uint64_t addr = 0xfee00000ull | ((uint64_t)v->hp.vcpu_id << 12), data = q->vector;
	q->arrivals++;
	VTRACE(v, EV_kvm_msi_set_irq, kvm_tp_msi_set_irq(tb_, sizeof(tb_), v->hp.vm->era, addr, data));
	/* its work is there at its raise (a virtio handler takes all the ring holds): the next
	 * handler of the vector does it, whether this MSI becomes an interrupt of its own or not */
	q->work = sim_time_add_sat(q->work, work); /* coalesced arrivals add their work */
	q->raised++;
	if (q->src.wake_delay > 0) {
		if (q->fly_n == q->fly_cap) /* more in flight than ever before */
			q->fly = xring_grow(q->fly, sizeof(*q->fly), &q->fly_cap, &q->fly_head, q->fly_n, 4);
		q->fly[(q->fly_head + q->fly_n) & (q->fly_cap - 1)] = (struct vcpu_msi_wake){ q->raised, q->src.wake_delay };
		q->fly_n++;
	}
	sim_after(v->sim, v->prof->ps[COST_irq_deliver], ev_msi_delivered, v, q);
}

void vcpu_msi_raise(struct vcpu_vector *q)
{
	msi_fire(q, 0);
}

int vcpu_add_msi(struct vcpu *v, uint8_t vector, const struct source_conf *sc, uint64_t seed, const char *name,
		 char *err, size_t errlen)
{
	if (v->nvec == VCPU_MAX_VEC) {
		snprintf(err, errlen, "%s: at most %d interrupt sources per vCPU", v->name, VCPU_MAX_VEC - 1);
		return -1;
	}
	for (int i = 0; i < v->nvec; i++)
		if (v->vec[i].vector == vector) {
			snprintf(err, errlen, "%s: two interrupt sources on vector 0x%x", v->name, vector);
			return -1;
		}
	struct vcpu_vector *q = &v->vec[v->nvec];
	memset(q, 0, sizeof(*q));
	q->v = v;
	q->vector = vector;
	q->msi = true;
	if (source_init(&q->src, sc, (int)v->hp.vcpu_id, seed, name, msi_fire, q, err, errlen))
		return -1;
	q->has_src = true;
	v->nvec++;
	return 0;
}
