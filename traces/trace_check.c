/* trace_check.c - replaying a trace's halts through the halt handler, decision by decision (trace_check.h). */
#include "traces/trace_check.h"
#include "sim/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* model_halt_poll_ns - the model's kvm_halt_poll_ns tracepoint: collect the decision. */
static void model_halt_poll_ns(void *ctx, uint32_t vcpu_id, bool grow, uint32_t new_ns, uint32_t old_ns)
{
	struct check_vcpu *cv = ctx;
	if (cv->nmodel < CHECK_MAX_DECISIONS)
		cv->model[cv->nmodel++] = (struct check_decision){ grow, vcpu_id, new_ns, old_ns, 0 };
}

/* trace_check_init - the model VM with the live parameters and the per-VM value. */
int trace_check_init(struct trace_check *c, const struct check_conf *conf, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->conf = *conf;
	c->param = conf->param;
	if (kvm_vm_haltpoll_init(&c->vm, conf->era, &c->param, conf->policy, conf->pparams, conf->npparams, err,
				 errlen))
		return -1;
	if (conf->cap_set)
		kvm_vm_enable_cap_halt_poll(&c->vm, conf->cap);
	return 0;
}

/*
 * vcpu_of - the thread's model, created on its first event. Each thread is
 * allocated on its own and never moves: its model vCPU points at its tracer
 * (and the tracer back at the thread), so only the array of pointers grows.
 */
static struct check_vcpu *vcpu_of(struct trace_check *c, const struct trace_event *ev)
{
	long at = pid_map_get(&c->by_pid, ev->pid);
	if (at >= 0)
		return c->vcpus[at];
	pid_map_put(&c->by_pid, ev->pid, c->nvcpus);
	if (c->nvcpus == c->cap_vcpus) {
		c->cap_vcpus = c->cap_vcpus ? 2 * c->cap_vcpus : 16;
		c->vcpus = xrealloc(c->vcpus, c->cap_vcpus * sizeof(*c->vcpus));
	}
	struct check_vcpu *cv = xcalloc(1, sizeof(*cv));
	c->vcpus[c->nvcpus++] = cv;
	cv->pid = ev->pid;
	snprintf(cv->comm, sizeof(cv->comm), "%s", ev->comm);
	cv->tracer = (struct kvm_halt_tracer){ model_halt_poll_ns, NULL, cv };
	/* QEMU names vCPU threads "CPU N/KVM": a vcpu id until the trace prints one */
	unsigned id = 0;
	char tail;
	if (sscanf(ev->comm, "CPU %u/KV%c", &id, &tail) != 2)
		id = 0;
	kvm_vcpu_haltpoll_init(&cv->v, &c->vm, id, &cv->tracer);
	cv->v.msr_kvm_poll_control = c->conf.msr_poll_control;
	return cv;
}

/* same_decision - grow/shrink, vcpu, new and old all equal. */
static bool same_decision(const struct check_decision *a, const struct check_decision *b)
{
	return a->grow == b->grow && a->vcpu_id == b->vcpu_id && a->new_ns == b->new_ns && a->old_ns == b->old_ns;
}

/* run_halt - one halt through the model; compare with the recorded decisions in cv->rec. */
static void run_halt(struct trace_check *c, struct check_vcpu *cv, const struct check_halt *hl)
{
	struct kvm_vcpu_haltpoll *v = &cv->v;
	uint32_t hpn_before = v->hp.halt_poll_ns, max = kvm_max_poll_ns(v);
	struct kvm_halt h;
	if (cv->clock > TRACE_TS_MAX - (int64_t)hl->ns) /* only differences matter: start again, never overflow */
		cv->clock = 0;
	cv->nmodel = 0;
	kvm_vcpu_halt_begin(v, &h, cv->clock);
	uint32_t hpn_begun = v->hp.halt_poll_ns; /* after the policy's begin() (the 6.1+ clamp) */
	int64_t end = cv->clock + (int64_t)hl->ns;
	struct kvm_halt_result r = {
		.loop_success = h.do_poll && !hl->waited,
		.waited = hl->waited,
		.valid_wakeup = hl->valid,
		.cur_ns = end,
	};
	int64_t poll_end = h.do_poll ? cv->clock + (int64_t)(hl->ns < h.poll_ns ? hl->ns : h.poll_ns) : cv->clock;
	r.poll_end_ns = r.check_ns = hl->waited ? poll_end : end;
	if (hl->waited)
		++v->stat.halt_wakeup;
	++v->stat.halt_exits;
	kvm_vcpu_halt_end(v, &h, &r);
	cv->clock = end + 1000; /* guest time between halts does not matter to the decisions */

	cv->halts++;
	cv->decisions += cv->nrec;
	cv->model_decisions += cv->nmodel;
	size_t same = 0;
	while (same < cv->nrec && same < cv->nmodel && same_decision(&cv->rec[same], &cv->model[same]))
		same++;
	cv->reproduced += same;
	if (same == cv->nrec && same == cv->nmodel) {
		cv->halts_agree++;
	} else {
		if (!cv->first_divergence)
			cv->first_divergence = hl->line;
		if (!c->first.found) {
			struct check_divergence *d = &c->first;
			d->found = true;
			d->pid = cv->pid;
			snprintf(d->comm, sizeof(d->comm), "%s", cv->comm);
			d->vcpu_id = v->vcpu_id;
			d->halt_index = cv->halts;
			d->line = hl->line;
			d->halt = *hl;
			d->hpn_before = hpn_before;
			d->max_poll_ns = max;
			memcpy(d->rec, cv->rec, sizeof(d->rec));
			memcpy(d->model, cv->model, sizeof(d->model));
			d->nrec = cv->nrec;
			d->nmodel = cv->nmodel;
		}
		/* go on from where the trace is, so later halts are judged on their own */
		v->hp.halt_poll_ns = cv->nrec ? cv->rec[cv->nrec - 1].new_ns : hpn_begun;
	}
	cv->nrec = 0;
}

/* start - the thread's starting halt_poll_ns is known: run the halts held back until now. */
static void start(struct trace_check *c, struct check_vcpu *cv, uint32_t hpn)
{
	cv->started = true;
	cv->initial_hpn = hpn;
	cv->v.hp.halt_poll_ns = hpn;
	size_t nrec = cv->nrec;
	struct check_decision rec[CHECK_MAX_DECISIONS];
	memcpy(rec, cv->rec, sizeof(rec));
	cv->nrec = 0; /* the held-back halts had no decisions of their own */
	for (size_t i = 0; i < cv->npending; i++)
		run_halt(c, cv, &cv->pending[i]);
	free(cv->pending);
	cv->pending = NULL;
	cv->npending = cv->cap_pending = 0;
	memcpy(cv->rec, rec, sizeof(rec));
	cv->nrec = nrec;
}

/* ipi_event - kvm_apic_ipi: an IPI reaching a halted vCPU of the trace (physical destination, or a
 * shorthand, matched by vcpu id as the APIC ID) marks that halt. */
static void ipi_event(struct trace_check *c, const struct trace_event *ev)
{
	c->ipis++;
	long from = pid_map_get(&c->by_pid, ev->pid);
	uint32_t self = from >= 0 ? c->vcpus[from]->v.vcpu_id : UINT32_MAX;
	for (size_t i = 0; i < c->nvcpus; i++) {
		struct check_vcpu *cv = c->vcpus[i];
		uint32_t id = cv->v.vcpu_id;
		bool hit = ev->ipi.shorthand == 1   ? (long)i == from
			   : ev->ipi.shorthand == 2 ? true
			   : ev->ipi.shorthand == 3 ? (long)i != from && id != self
						    : !ev->ipi.logical && ev->ipi.dest_id == id && (long)i != from;
		if (hit && cv->halted)
			cv->ipi_in_halt = true;
	}
}

/* trace_check_event - collect decisions; a wake-up runs its halt (or holds it until the start is known). */
int trace_check_event(void *ctx, const struct trace_event *ev)
{
	struct trace_check *c = ctx;
	if (ev->type == KEV_APIC_IPI) {
		ipi_event(c, ev);
		return 0;
	}
	if (ev->type == KEV_EXIT && ev->exit.is_hlt) { /* only threads the checker knows (no new rows) */
		long at = pid_map_get(&c->by_pid, ev->pid);
		if (at >= 0)
			c->vcpus[at]->halted = true;
		return 0;
	}
	if (ev->type == KEV_HALT_POLL_NS) {
		struct check_vcpu *cv = vcpu_of(c, ev);
		if (!cv->vcpu_id_known) { /* the event's own vcpu id is the truth */
			cv->vcpu_id_known = true;
			cv->v.vcpu_id = ev->hpn.vcpu_id;
		}
		if (cv->nrec < CHECK_MAX_DECISIONS)
			cv->rec[cv->nrec++] = (struct check_decision){ ev->hpn.grow, ev->hpn.vcpu_id, ev->hpn.new_ns,
								       ev->hpn.old_ns, ev->line };
		else
			cv->rec_dropped++;
		return 0;
	}
	if (ev->type != KEV_VCPU_WAKEUP)
		return 0;
	struct check_vcpu *cv = vcpu_of(c, ev);
	cv->ipi_halts += cv->halted && cv->ipi_in_halt;
	cv->halted = cv->ipi_in_halt = false;
	struct check_halt hl = { ev->wakeup.ns, ev->wakeup.waited, ev->wakeup.valid, ev->line };
	if (!cv->started) {
		if (c->conf.initial_hpn >= 0)
			start(c, cv, (uint32_t)c->conf.initial_hpn);
		else if (cv->nrec)
			start(c, cv, cv->rec[0].old_ns);
	}
	if (!cv->started) { /* no decision yet: hold the halt until the starting value is known */
		if (cv->npending == cv->cap_pending) {
			cv->cap_pending = cv->cap_pending ? 2 * cv->cap_pending : 256;
			cv->pending = xrealloc(cv->pending, cv->cap_pending * sizeof(*cv->pending));
		}
		cv->pending[cv->npending++] = hl;
		return 0;
	}
	run_halt(c, cv, &hl);
	return 0;
}

/* trace_check_finish - start the held-back threads; count decisions left without a wake-up. */
void trace_check_finish(struct trace_check *c)
{
	for (size_t i = 0; i < c->nvcpus; i++) {
		struct check_vcpu *cv = c->vcpus[i];
		if (!cv->started) {
			size_t nrec = cv->nrec;
			start(c, cv, nrec ? cv->rec[0].old_ns : 0);
		}
		c->unmatched += cv->nrec; /* decisions after the last wake-up */
		cv->nrec = 0;
	}
}

/* trace_check_totals - add every thread's counters into sum. */
void trace_check_totals(const struct trace_check *c, struct check_vcpu *sum)
{
	for (size_t i = 0; i < c->nvcpus; i++) {
		const struct check_vcpu *cv = c->vcpus[i];
		sum->halts += cv->halts;
		sum->halts_agree += cv->halts_agree;
		sum->decisions += cv->decisions;
		sum->reproduced += cv->reproduced;
		sum->model_decisions += cv->model_decisions;
		sum->rec_dropped += cv->rec_dropped;
		sum->ipi_halts += cv->ipi_halts;
	}
}

/* trace_check_free - release the threads and the model VM. */
void trace_check_free(struct trace_check *c)
{
	for (size_t i = 0; i < c->nvcpus; i++) {
		free(c->vcpus[i]->pending);
		free(c->vcpus[i]);
	}
	free(c->vcpus);
	pid_map_free(&c->by_pid);
	kvm_vm_haltpoll_fini(&c->vm);
	memset(c, 0, sizeof(*c));
}
