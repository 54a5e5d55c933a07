/*
 * stall.c - a host interrupt or an SMI takes the CPU from a running vCPU
 * thread (models/host/noise.h): in guest mode an EXTERNAL_INTERRUPT exit whose
 * handler is the interrupt's; polling, no wake-up is seen before the handler
 * is done; in KVM's code, the current step ends that much later.
 */
#include "models/vcpu/vcpu.h"

#include <stddef.h>

#include "models/guest/hw.h"

/* A host device's vector, as the exit's interruption info shows it. */
#define HOST_DEVICE_VECTOR 0x22

void vcpu_stall(struct host_task *t, sim_time_t cost)
{
	struct vcpu *v = (struct vcpu *)((char *)t - offsetof(struct vcpu, task));
	sim_time_t now = sim_now(v->sim);
	switch (v->state) {
	case VCPU_GUEST:
		vcpu_exit(v, EXIT_REASON_EXTERNAL_INTERRUPT, INTR_INFO_VALID | HOST_DEVICE_VECTOR, GUEST_RIP_WORK,
			  cost, NULL, NULL);
		break;
	case VCPU_POLL:
		v->stall_until = sim_time_add_sat(now, cost); /* poll_update() ends no poll before it */
		if (v->ev != SIM_NO_EVENT && v->poll_end_at < v->stall_until) {
			v->ev = sim_postpone(v->sim, v->ev, v->stall_until - v->poll_end_at);
			v->poll_end_at = v->stall_until;
		}
		break;
	default:
		if (v->ev != SIM_NO_EVENT && sim_pending(v->sim, v->ev))
			v->ev = sim_postpone(v->sim, v->ev, cost);
		break;
	}
}
