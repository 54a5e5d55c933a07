/*
 * replay_read.c - what a trace replay keeps of a trace as it is read
 * (replay_trace_add, trace_replay.h): per vCPU thread its halts, decisions,
 * guest time, CPUs and off-CPU intervals; the interrupts; the threads that
 * raised them.
 */
#include "traces/replay_read.h"
#include "sim/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* vcpu_of - the thread's record; NULL if it has none and create is false. */
static struct replay_vcpu *vcpu_of(struct replay_trace *t, const struct trace_event *ev, bool create)
{
	long at = pid_map_get(&t->by_pid, ev->pid);
	if (at >= 0) {
		if (t->vcpus[at].tgid < 0) /* a line may lack the TGID ("(-------)"): the next one tells */
			t->vcpus[at].tgid = ev->tgid;
		return &t->vcpus[at];
	}
	if (!create)
		return NULL;
	pid_map_put(&t->by_pid, ev->pid, t->nvcpus);
	if (t->nvcpus == t->cap_vcpus) {
		t->cap_vcpus = t->cap_vcpus ? 2 * t->cap_vcpus : 16;
		t->vcpus = xrealloc(t->vcpus, t->cap_vcpus * sizeof(*t->vcpus));
	}
	struct replay_vcpu *v = &t->vcpus[t->nvcpus++];
	memset(v, 0, sizeof(*v));
	v->pid = ev->pid;
	v->tgid = ev->tgid;
	snprintf(v->comm, sizeof(v->comm), "%s", ev->comm);
	unsigned id;
	char tail;
	if (sscanf(ev->comm, "CPU %u/KV%c", &id, &tail) == 2) /* QEMU's name, until the trace says */
		v->vcpu_id = id;
	return v;
}

/* count_cpu - one more event of the thread on cpu. */
static void count_cpu(struct replay_cpus *c, int32_t cpu)
{
	size_t cap = sizeof(c->at) / sizeof(*c->at), i = 0;
	while (i < c->n && c->at[i].cpu != cpu)
		i++;
	if (i == c->n) {
		if (c->n == cap)
			i = cap - 1;
		else
			c->at[c->n++] = (typeof(c->at[0])){ cpu, 0 };
	}
	c->at[i].n++;
}

/* add_producer - the thread that raised this MSI, and when. */
static void add_producer(struct replay_trace *t, const struct trace_event *ev)
{
	long at = pid_map_get(&t->prod_by_pid, ev->pid);
	if (at < 0) {
		if (t->nprods == t->cap_prods) {
			t->cap_prods = t->cap_prods ? 2 * t->cap_prods : 8;
			t->prods = xrealloc(t->prods, t->cap_prods * sizeof(*t->prods));
		}
		at = (long)t->nprods++;
		pid_map_put(&t->prod_by_pid, ev->pid, (size_t)at);
		struct replay_producer *p = &t->prods[at];
		memset(p, 0, sizeof(*p));
		p->pid = ev->pid;
		snprintf(p->comm, sizeof(p->comm), "%s", ev->comm);
	}
	struct replay_producer *p = &t->prods[at];
	count_cpu(&p->cpus, ev->cpu);
	if (p->nts == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 256;
		p->ts = xrealloc(p->ts, p->cap * sizeof(*p->ts));
		p->ts_cpu = xrealloc(p->ts_cpu, p->cap * sizeof(*p->ts_cpu));
	}
	p->ts_cpu[p->nts] = ev->cpu;
	p->ts[p->nts++] = ev->ts_ns;
}

/* sched_switch - a vCPU thread left its CPU, or came back to it. */
static void sched_switch(struct replay_trace *t, const struct trace_event *ev)
{
	long at = pid_map_get(&t->by_pid, ev->sswitch.prev_pid);
	if (at >= 0) {
		struct replay_vcpu *v = &t->vcpus[at];
		if (v->noff == v->cap_off) {
			v->cap_off = v->cap_off ? 2 * v->cap_off : 256;
			v->off = xrealloc(v->off, v->cap_off * sizeof(*v->off));
		}
		v->off[v->noff++] = (struct replay_off){ ev->ts_ns, -1, ev->sswitch.prev_runnable };
		t->sched = true;
	}
	at = pid_map_get(&t->by_pid, ev->sswitch.next_pid);
	if (at >= 0) {
		struct replay_vcpu *v = &t->vcpus[at];
		if (v->noff && v->off[v->noff - 1].in < 0)
			v->off[v->noff - 1].in = ev->ts_ns;
	}
}

/* replay_trace_add - halts, decisions, guest time and interrupts, per thread. */
int replay_trace_add(void *ctx, const struct trace_event *ev)
{
	struct replay_trace *t = ctx;
	if (ev->type == KEV_SCHED_SWITCH) { /* not the span: the scheduler's events reach beyond the VM's */
		sched_switch(t, ev);
		return 0;
	}
	if (ev->ts_ns % 1000)
		t->sub_us = true;
	if (!t->any || ev->ts_ns < t->first_ts)
		t->first_ts = ev->ts_ns;
	if (!t->any || ev->ts_ns > t->last_ts)
		t->last_ts = ev->ts_ns;
	t->any = true;
	struct replay_vcpu *v;
	switch (ev->type) {
	case KEV_VCPU_WAKEUP:
		v = vcpu_of(t, ev, true);
		if (v->nhalts) /* the guest time since the previous halt is that halt's work */
			v->halts[v->nhalts - 1].guest_ns = v->saw_entry_exit ? v->guest_acc : -1;
		v->guest_acc = 0;
		v->in_guest = false;
		if (v->nhalts == v->cap) {
			v->cap = v->cap ? 2 * v->cap : 256;
			v->halts = xrealloc(v->halts, v->cap * sizeof(*v->halts));
		}
		/* the kernel traces a halt's grow or shrink before its kvm_vcpu_wakeup: it ran at the old value */
		v->halts[v->nhalts++] = (struct replay_halt){ ev->ts_ns, ev->wakeup.ns, ev->wakeup.waited,
								 v->decided ? v->decided_old : v->hpn, -1, ev->line };
		v->decided = false;
		count_cpu(&v->cpus, ev->cpu);
		break;
	case KEV_HALT_POLL_NS:
		v = vcpu_of(t, ev, true);
		v->vcpu_id = ev->hpn.vcpu_id;
		v->vcpu_id_known = true;
		if (!v->hpn_known) /* the halts before the first decision ran at its old value */
			for (size_t i = 0; i < v->nhalts; i++)
				v->halts[i].hpn_before = ev->hpn.old_ns;
		v->hpn_known = true;
		v->hpn = ev->hpn.new_ns;
		v->decided_old = ev->hpn.old_ns;
		v->decided = true;
		if (ev->hpn.grow)
			v->grows++;
		else
			v->shrinks++;
		break;
	case KEV_EXIT:
	case KEV_ENTRY:
		v = vcpu_of(t, ev, false);
		if (!v)
			break;
		if (!v->vcpu_id_known && (ev->type == KEV_ENTRY || ev->exit.has_vcpu)) {
			v->vcpu_id = ev->type == KEV_ENTRY ? ev->entry.vcpu_id : ev->exit.vcpu_id;
			v->vcpu_id_known = true;
		}
		v->saw_entry_exit = true;
		if (ev->type == KEV_ENTRY) {
			v->entry_ts = ev->ts_ns;
			v->in_guest = true;
		} else if (v->in_guest) {
			v->guest_acc += ev->ts_ns - v->entry_ts;
			v->in_guest = false;
		}
		break;
	case KEV_MSI_SET_IRQ:
		/* an MSI to one APIC (physical, not broadcast) is that vCPU's interrupt as it is raised */
		if (ev->msi.logical || ev->msi.dst == 0xff || ev->msi.dst > UINT32_MAX)
			break;
		add_producer(t, ev);
		/* fall through */
	case KEV_APIC_ACCEPT_IRQ:
		if (t->nirqs == t->cap_irqs) {
			t->cap_irqs = t->cap_irqs ? 2 * t->cap_irqs : 1024;
			t->irqs = xrealloc(t->irqs, t->cap_irqs * sizeof(*t->irqs));
		}
		t->irqs[t->nirqs++] = (struct replay_irq){
			ev->ts_ns, ev->type == KEV_MSI_SET_IRQ ? (uint32_t)ev->msi.dst : ev->accept.apicid,
			ev->tgid, ev->type == KEV_APIC_ACCEPT_IRQ
		};
		break;
	default:
		break;
	}
	return 0;
}

/* replay_trace_free - everything replay_trace_add and replay_build kept. */
void replay_trace_free(struct replay_trace *t)
{
	for (size_t i = 0; i < t->nvcpus; i++) {
		free(t->vcpus[i].halts);
		free(t->vcpus[i].off);
	}
	free(t->vcpus);
	pid_map_free(&t->by_pid);
	free(t->irqs);
	free(t->arr);
	for (size_t i = 0; i < t->nprods; i++) {
		free(t->prods[i].ts);
		free(t->prods[i].ts_cpu);
	}
	free(t->prods);
	pid_map_free(&t->prod_by_pid);
	replay_result_free(&t->recorded);
	memset(t, 0, sizeof(*t));
}
