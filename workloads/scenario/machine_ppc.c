/* machine_ppc.c - the powerpc vcores of a run (see machine_ppc.h). */
#include "workloads/scenario/machine_ppc.h"
#include "workloads/scenario/machine_ppc_net.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "models/tracepoints/kvm_tp.h"
#include "models/tracepoints/trace_cmd.h"
#include "sim/rng.h"
#include "sim/xalloc.h"

#define PPC_VCPU_PID_BASE 4100 /* as machine.c's vCPU threads */
#define PPC_TGID_BASE 4000     /* the VMs' processes (QEMU) */

static inline struct ppc_vcore *task_vcore(struct host_task *t)
{
	return (struct ppc_vcore *)((char *)t - offsetof(struct ppc_vcore, task));
}

/* ---- the guest's side: items and their work ------------------------------------------- */

static void items_push(struct ppc_thread_items *q, sim_time_t work)
{
	if (q->count == PPC_RING) { /* more than the ring holds: the last item grows */
		int last = (q->head + q->count - 1) % PPC_RING;
		q->work[last] = sim_time_add_sat(q->work[last], work);
		return;
	}
	q->work[(q->head + q->count) % PPC_RING] = work;
	q->count++;
}

static sim_time_t ppc_work(void *ctx, int thread, bool prod)
{
	struct ppc_vcore *c = ctx;
	struct ppc_thread_items *q = &c->items[thread];
	if (!q->count)
		return 0;
	sim_time_t w = q->work[q->head];
	q->head = (q->head + 1) % PPC_RING;
	q->count--;
	return w;
}

/* ppc_done - an item ends: with vm.prod_prob its work wakes a task on the next thread (H_PROD). */
static void ppc_done(void *ctx, int thread)
{
	struct ppc_vcore *c = ctx;
	if (c->r.nthreads < 2 || c->conf->prod_prob <= 0 || gsl_rng_uniform(c->rng) >= c->conf->prod_prob)
		return;
	int to = (thread + 1) % c->r.nthreads;
	items_push(&c->items[to], dist_sample(&c->conf->task_work, c->rng));
	c->prods[to]++;
	kvmppc_runner_h_prod(&c->r, to);
}

struct ppc_src_ctx {
	struct ppc_vcore *c;
	int thread;
};

static void ppc_irq(void *ctx, sim_time_t work)
{
	struct ppc_src_ctx *s = ctx;
	struct ppc_vcore *c = s->c;
	items_push(&c->items[s->thread], sim_time_add_sat(c->m->prof.ps[COST_guest_irq], work));
	c->irqs[s->thread]++;
	kvmppc_runner_irq(&c->r, s->thread);
}

/* ---- the host's side: the runner task --------------------------------------------------- */

static void acct_state(struct ppc_vcore *c, enum kvmppc_runner_state s)
{
	struct pcpu *p = c->task.cpu;
	switch (s) {
	case KVMPPC_VC_IN_GUEST:
		pcpu_account(p, ACCT_GUEST);
		break;
	case KVMPPC_VC_POLLING:
		pcpu_account(p, ACCT_POLL);
		break;
	case KVMPPC_VC_EXITING:
	case KVMPPC_VC_ENTERING:
		pcpu_account(p, ACCT_KVM);
		break;
	default: /* sleeping, waking, preempted: the host accounts the pCPU */
		break;
	}
}

static void ppc_state(void *ctx, enum kvmppc_runner_state from, enum kvmppc_runner_state to)
{
	struct ppc_vcore *c = ctx;
	if (c->task.state != TASK_RUNNING)
		return;
	struct pcpu *p = c->task.cpu;
	if (from == KVMPPC_VC_POLLING) { /* the poll's outcome: it slept, or it found a wake-up */
		pcpu_account(p, ACCT_KVM);
		pcpu_resolve_poll(p, p->poll_pending_ps, to != KVMPPC_VC_SLEEPING);
	}
	acct_state(c, to);
}

static void ppc_sleep(void *ctx)
{
	struct ppc_vcore *c = ctx;
	if (c->task.state == TASK_RUNNING)
		host_task_sleep(&c->task);
}

static void ppc_wake(void *ctx)
{
	struct ppc_vcore *c = ctx;
	if (c->task.state == TASK_SLEEPING)
		host_task_wake(&c->task);
}

/* ppc_yield - the vcore is out of the guest: the runner's loop reschedules if asked to. */
static bool ppc_yield(void *ctx)
{
	struct ppc_vcore *c = ctx;
	if (c->task.state != TASK_RUNNING || !c->task.cpu->need_resched)
		return false;
	if (!host_task_yield(&c->task))
		return false;
	c->preemptions++;
	return true;
}

static void runner_run(struct host_task *t)
{
	struct ppc_vcore *c = task_vcore(t);
	acct_state(c, c->r.state);
	if (c->r.state == KVMPPC_VC_WAKING)
		kvmppc_runner_awake(&c->r);
	else if (c->r.state == KVMPPC_VC_PREEMPTED)
		kvmppc_runner_resume(&c->r);
}

/* runner_resched - another task is runnable here, or need_resched was set: the poll loop's condition. */
static void runner_resched(struct host_task *t, bool remote)
{
	(void)remote;
	struct ppc_vcore *c = task_vcore(t);
	struct pcpu *p = t->cpu;
	if (c->r.state == KVMPPC_VC_IN_GUEST && p->need_resched) {
		kvmppc_runner_force_exit(&c->r); /* the reschedule IPI takes the vcore out; ppc_yield then */
		return;
	}
	if (c->r.state != KVMPPC_VC_POLLING)
		return; /* exiting or entering: need_resched is honoured once the vcore is out (ppc_yield) */
	if (!single_task_running(p) || (c->m->sc->era.vcore_need_resched && p->need_resched)) {
		c->poll_stops++;
		kvmppc_runner_poll_stop(&c->r);
	}
}

static const struct host_task_ops runner_ops = { runner_run, runner_resched };

/* ---- tracing ----------------------------------------------------------------------------- */

static void trace_ev(struct ppc_vcore *c, const char *event, const char *payload)
{
	struct machine *m = c->m;
	char comm[32];
	snprintf(comm, sizeof(comm), "CPU %u/KVM", c->r.vc.runner_vcpu);
	trace_cmd_line(m->trace, comm, c->pid, c->task.cpu->id, sim_ns(sim_now(m->sim)), m->trace_ns, event, payload);
}

static void tr_blocked(void *ctx, bool exit, uint32_t runner_vcpu, int n_runnable)
{
	struct ppc_vcore *c = ctx;
	char buf[128];
	kvm_tp_vcore_blocked(buf, sizeof(buf), exit, (int)runner_vcpu, n_runnable, c->tgid);
	trace_ev(c, "kvmppc_vcore_blocked", buf);
}

static void tr_wakeup(void *ctx, bool waited, uint64_t ns)
{
	struct ppc_vcore *c = ctx;
	char buf[128];
	kvm_tp_vcore_wakeup(buf, sizeof(buf), &c->m->sc->era, waited, ns, c->tgid);
	trace_ev(c, "kvmppc_vcore_wakeup", buf);
}

/* ---- building ---------------------------------------------------------------------------- */

static int add_source(struct ppc_vcore *c, const struct source_conf *sc, int thread, int vcpu_in_vm,
		      const char *stream, char *msg, size_t len)
{
	struct source *s = &c->src[c->nsrc];
	struct ppc_src_ctx *x = xcalloc(1, sizeof(*x));
	*x = (struct ppc_src_ctx){ c, thread };
	if (source_init(s, sc, vcpu_in_vm, c->m->sc->seed, stream, ppc_irq, x, msg, len)) {
		free(x);
		return -1;
	}
	c->nsrc++;
	return 0;
}

int machine_ppc_build(struct machine *m, struct conf_err *err)
{
	struct scenario *sc = m->sc;
	if (m->trace_dat) {
		snprintf(err->msg, sizeof(err->msg), "--trace: a trace.dat of the kvm_hv events is not written yet "
			 "(arch powerpc); give a text trace file");
		return -1;
	}
	if (!m->prof.cost[COST_vcore_exit].source || !m->prof.cost[COST_vcore_entry].source) {
		const struct conf_node *n = conf_get(sc->root, "cost_profile");
		conf_errorf(err, n ? n : conf_get(sc->root, "arch") ? conf_get(sc->root, "arch") : sc->root,
			    "cost_profile", "profile %s has no POWER vcore costs (arch powerpc: use power8)", m->prof.name);
		return -1;
	}
	struct machine_ppc *pp = m->ppc = xcalloc(1, sizeof(*pp));
	for (int i = 0; i < m->nvms; i++) {
		int64_t tpc = sc->vms[i].threads_per_core ? sc->vms[i].threads_per_core : m->prof.threads_per_core;
		pp->nvc += (int)((sc->vms[i].vcpus + tpc - 1) / tpc);
	}
	pp->vc = xcalloc((size_t)pp->nvc, sizeof(*pp->vc));
	struct kvmppc_runner_costs rc = {
		.vcore_exit = m->prof.ps[COST_vcore_exit], .vcore_entry = m->prof.ps[COST_vcore_entry],
		.nap_wakeup = m->prof.ps[COST_nap_wakeup], .poll_check = m->prof.ps[COST_vcore_poll_check],
		.sched_wakeup = m->prof.ps[COST_ctxsw],
	};
	char msg[600];
	int k = 0, gi = 0;
	for (int i = 0; i < m->nvms; i++) {
		const struct vm_conf *vc = &sc->vms[i];
		struct machine_vm *vm = &m->vms[i];
		vm->conf = vc;
		int same = 0, nth = 0; /* names as machine.c gives them: vm0, vm1, ...; web, or web0, web1 */
		for (int o = 0; vc->name && o < m->nvms; o++)
			if (sc->vms[o].name && !strcmp(sc->vms[o].name, vc->name)) {
				nth += o < i;
				same++;
			}
		if (!vc->name || same > 1)
			snprintf(vm->name, sizeof(vm->name), "%.20s%d", vc->name ? vc->name : "vm", vc->name ? nth : i);
		else
			snprintf(vm->name, sizeof(vm->name), "%s", vc->name);
		vm->first_vcpu = gi;
		vm->nvcpu = (int)vc->vcpus;
		int tpc = (int)(vc->threads_per_core ? vc->threads_per_core : m->prof.threads_per_core);
		for (int first = 0; first < vm->nvcpu; first += tpc, k++) {
			struct ppc_vcore *c = &pp->vc[k];
			int n = vm->nvcpu - first < tpc ? vm->nvcpu - first : tpc;
			c->m = m;
			c->conf = vc;
			c->vm = i;
			c->tgid = PPC_TGID_BASE + i;
			c->pid = PPC_VCPU_PID_BASE + gi + first;
			snprintf(c->name, sizeof(c->name), "%s/vcore%d", vm->name, first / tpc);
			c->rng = sim_rng_new(sc->seed, c->name);
			int cpu = vc->ncpus ? (int)vc->cpus[(first / tpc) % (int)vc->ncpus] : k % (int)sc->host.pcpus;
			host_task_init(&c->task, &runner_ops, &m->host->cpu[cpu], c->name, c->pid);
			c->task.policy = vc->sched_policy;
			c->task.rt_priority = (int)vc->rt_priority;
			host_task_set_nice(&c->task, (int)vc->nice);
			c->tracer = (struct kvmppc_vcore_tracer){ tr_blocked, tr_wakeup, c };
			struct kvmppc_runner_ops ops = { ppc_work, ppc_done, ppc_state, ppc_sleep, ppc_wake, ppc_yield, c };
			kvmppc_runner_init(&c->r, m->sim, &sc->era, KVMPPC_POWER8, &m->param, 
					   sc->kvm_hv.halt_poll_max_ns_set ? sc->kvm_hv.halt_poll_max_ns : sc->era.defaults.halt_poll_ns, n,
					   (uint32_t)first, &rc, &ops, m->trace ? &c->tracer : NULL);
			c->src = xcalloc((size_t)c->r.nthreads * (1 + vc->ndevices), sizeof(*c->src));
			for (int t = 0; t < c->r.nthreads; t++) {
				char rn[96];
				snprintf(rn, sizeof(rn), "%s/vcpu%d/irq0", vm->name, first + t);
				if (vc->workload.type != SRC_IDLE &&
				    add_source(c, &vc->workload, t, first + t, rn, msg, sizeof(msg)))
					goto fail;
				for (size_t d = 0; d < vc->ndevices; d++) {
					snprintf(rn, sizeof(rn), "%s/vcpu%d/irq%zu", vm->name, first + t, d + 1);
					if (vc->devices[d].irq.type != SRC_IDLE &&
					    add_source(c, &vc->devices[d].irq, t, first + t, rn, msg, sizeof(msg)))
						goto fail;
				}
			}
			for (int s = 0; s < c->nsrc; s++)
				source_start(&c->src[s], m->sim);
		}
		gi += vm->nvcpu;
	}
	return machine_ppc_net_build(m, err);
fail:
	snprintf(err->msg, sizeof(err->msg), "%s", msg);
	return -1;
}

void machine_ppc_stats_reset(struct machine *m)
{
	for (int i = 0; i < m->ppc->nvc; i++) {
		struct ppc_vcore *c = &m->ppc->vc[i];
		struct kvmppc_runner *r = &c->r;
		kvmppc_runner_account(r);
		memset(r->time_in, 0, sizeof(r->time_in));
		r->entries = r->blocks = r->forced_exits = 0;
		for (int t = 0; t < r->nthreads; t++) {
			memset(&r->t[t].stat, 0, sizeof(r->t[t].stat));
			memset(&r->t[t].wake, 0, sizeof(r->t[t].wake));
			r->t[t].cedes = r->t[t].prods_cancelling_cede = 0;
			c->irqs[t] = c->prods[t] = 0;
		}
		c->preemptions = c->poll_stops = 0;
		host_task_stats_reset(&c->task);
	}
	machine_ppc_net_stats_reset(m);
}

void machine_ppc_finish(struct machine *m)
{
	for (int i = 0; i < m->ppc->nvc; i++) {
		struct ppc_vcore *c = &m->ppc->vc[i];
		kvmppc_runner_account(&c->r);
		if (c->r.state == KVMPPC_VC_POLLING && c->task.state == TASK_RUNNING) {
			/* a poll still open at the end: its outcome is unknown, count it failed so far */
			struct pcpu *p = c->task.cpu;
			pcpu_account(p, ACCT_POLL);
			pcpu_resolve_poll(p, p->poll_pending_ps, false);
		}
	}
}

void machine_ppc_free(struct machine *m)
{
	if (!m->ppc)
		return;
	machine_ppc_net_free(m);
	for (int i = 0; i < m->ppc->nvc; i++) {
		struct ppc_vcore *c = &m->ppc->vc[i];
		for (int s = 0; s < c->nsrc; s++) {
			free(c->src[s].ctx);
			source_fini(&c->src[s]);
		}
		free(c->src);
		if (c->rng)
			gsl_rng_free(c->rng);
	}
	free(m->ppc->vc);
	free(m->ppc);
	m->ppc = NULL;
}
