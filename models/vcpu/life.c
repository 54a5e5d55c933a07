/* life.c - a vCPU's life cycle: built, given its guest, started, freed (see vcpu.h). */
#include "models/vcpu/vcpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/rng.h"

static void kt_halt_poll_ns(void *ctx, uint32_t vcpu_id, bool grow, uint32_t new_ns, uint32_t old_ns)
{
	struct vcpu *v = ctx;
	VTRACE(v, EV_kvm_halt_poll_ns,
	       kvm_tp_halt_poll_ns(tb_, sizeof(tb_), v->hp.vm->era, vcpu_id, grow, new_ns, old_ns));
}

static void kt_vcpu_wakeup(void *ctx, uint32_t vcpu_id, uint64_t ns, bool waited, bool valid)
{
	struct vcpu *v = ctx;
	VTRACE(v, EV_kvm_vcpu_wakeup, kvm_tp_vcpu_wakeup(tb_, sizeof(tb_), v->hp.vm->era, ns, waited, valid));
}

void vcpu_init(struct vcpu *v, struct sim *sim, struct pcpu *cpu, struct kvm_vm_haltpoll *vm,
	       uint32_t vcpu_id, int index, const char *name, int pid, const struct cost_profile *prof,
	       const struct vcpu_conf *conf, const struct vcpu_tracer *tracer, uint64_t seed)
{
	memset(v, 0, sizeof(*v));
	v->sim = sim;
	v->prof = prof;
	v->index = index;
	v->conf = *conf;
	v->ple_window = conf->ple.ple_window;
	snprintf(v->name, sizeof(v->name), "%s", name);
	host_task_init(&v->task, &vcpu_task_ops, cpu, v->name, pid);
	v->tracer = tracer;
	v->tsink = (struct kvm_trace_sink){ v->events, tracer ? vcpu_trace_emit : NULL, v };
	v->ktracer = (struct kvm_halt_tracer){ kt_halt_poll_ns, kt_vcpu_wakeup, v };
	kvm_vcpu_haltpoll_init(&v->hp, vm, vcpu_id, &v->ktracer);
	v->state = VCPU_NEW;
	v->acct = VACCT_RUNNABLE;
	char rn[64];
	snprintf(rn, sizeof(rn), "%s/costs", name);
	v->cost_rng = sim_rng_new(seed, rn);
	if (conf->invalid_wakeup_prob > 0) {
		snprintf(rn, sizeof(rn), "%s/wakeup", name);
		v->wake_rng = sim_rng_new(seed, rn);
	}
	kvm_apic_eoi_init(&v->eoi, &conf->eoi, conf->apicv, vcpu_id, prof, v->cost_rng, &v->tsink, &vcpu_eoi_ops, v);
	/* the LAPIC timer's vector */
	struct vcpu_vector *t = &v->vec[v->nvec++];
	t->v = v;
	t->vector = LOCAL_TIMER_VECTOR;
	v->timer_vec = t;
	kvm_lapic_timer_init(&v->timer, sim, &conf->timer, vm->era, vcpu_id, conf->oneshot, prof, v->cost_rng, &v->tsink,
			     &vcpu_lapic_ops, v);
}

void vcpu_attach_guest(struct vcpu *v, struct guest_cpu *g, struct guest_shared *shared)
{
	v->guest = g;
	v->shared = shared;
	kvm_apic_eoi_attach(&v->eoi, shared);
}

struct guest_hw vcpu_guest_hw(struct vcpu *v)
{
	return (struct guest_hw){ &vcpu_guest_hw_ops, v };
}

void vcpu_start(struct vcpu *v)
{
	v->acct_since = sim_now(v->sim);
	for (int i = 0; i < v->nvec; i++)
		if (v->vec[i].has_src)
			source_start(&v->vec[i].src, v->sim);
	host_task_place(&v->task);
}

void vcpu_free(struct vcpu *v)
{
	for (int i = 0; i < v->nvec; i++) {
		if (v->vec[i].has_src)
			source_fini(&v->vec[i].src);
		free(v->vec[i].fly);
	}
	if (v->wake_rng)
		gsl_rng_free(v->wake_rng);
	if (v->cost_rng)
		gsl_rng_free(v->cost_rng);
}
