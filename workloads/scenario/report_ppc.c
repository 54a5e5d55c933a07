/* report_ppc.c - the summary and JSON of a powerpc run (machine_ppc.h). */
#include "workloads/scenario/machine_ppc.h"
#include "workloads/scenario/machine_ppc_net.h"
#include "workloads/scenario/report.h"

#include <string.h>

static double pct(sim_time_t part, sim_time_t whole)
{
	return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

static const char *const state_names[KVMPPC_VC_NSTATES] = { "in_guest", "exiting", "polling", "sleeping",
							    "waking", "entering", "preempted" };

/* wake - the vcore's wake-ups that found a thread ceded: count, mean and max (ps). */
static void wake(const struct kvmppc_runner *r, uint64_t *n, sim_time_t *mean, sim_time_t *max)
{
	sim_time_t sum = 0;
	*n = 0;
	*max = 0;
	for (int t = 0; t < r->nthreads; t++) {
		*n += r->t[t].wake.wakes;
		sum += r->t[t].wake.sum;
		if (r->t[t].wake.max > *max)
			*max = r->t[t].wake.max;
	}
	*mean = *n ? sum / (sim_time_t)*n : 0;
}

static void task_row(FILE *f, const struct host_task *t, const char *name, sim_time_t span)
{
	fprintf(f, "%-16s %5d %7.2f %6.2f  %8llu %6llu\n", name, t->cpu->id, pct(t->runtime, span),
		pct(t->run_delay, span), (unsigned long long)(t->nvcsw + t->nivcsw), (unsigned long long)t->nivcsw);
}

void report_ppc_text(FILE *f, const struct machine *m, sim_time_t span)
{
	const struct machine_ppc *pp = m->ppc;
	if (m->sc->era.vcore_own_max && pp->nvc) /* 4.8-4.13: the line above is not what the vcores read */
		fprintf(f, "kvm_hv: halt_poll_max_ns=%u (the vcores' ceiling)\n", kvmppc_vcore_max_ns(&pp->vc[0].r.vc));
	for (int i = 0; i < m->nvms; i++) {
		int n = 0, threads = 0;
		for (int k = 0; k < pp->nvc; k++)
			if (pp->vc[k].vm == i) {
				n++;
				threads = threads > pp->vc[k].r.nthreads ? threads : pp->vc[k].r.nthreads;
			}
		fprintf(f, "%s: %d vCPU%s in %d vcore%s of up to %d thread%s (POWER8, kvmppc_vcore_blocked)\n",
			m->vms[i].name, m->vms[i].nvcpu, m->vms[i].nvcpu == 1 ? "" : "s", n, n == 1 ? "" : "s",
			threads, threads == 1 ? "" : "s");
	}
	fprintf(f, "\n%-16s %3s %6s %8s %7s  %-17s %9s  %s\n", "", "", "", "", "poll", "wake latency (us)",
		"halt_poll", "vcore time (%)");
	fprintf(f, "%-16s %3s %6s %8s %7s  %8s %8s %9s  %6s %6s %6s %6s %6s\n", "vcore", "thr", "runner", "blocks",
		"ok (%)", "mean", "max", "_ns", "guest", "exit", "poll", "sleep", "wait");
	for (int k = 0; k < pp->nvc; k++) {
		const struct ppc_vcore *c = &pp->vc[k];
		const struct kvmppc_runner *r = &c->r;
		const struct kvm_vcpu_stat *st = &r->t[r->runner].stat.generic;
		char ok[16] = "-";
		if (st->halt_attempted_poll)
			snprintf(ok, sizeof(ok), "%.1f",
				 100.0 * (double)st->halt_successful_poll / (double)st->halt_attempted_poll);
		uint64_t n;
		sim_time_t mean, max;
		wake(r, &n, &mean, &max);
		const sim_time_t *a = r->time_in;
		fprintf(f, "%-16s %3d %6u %8llu %7s  %8.2f %8.2f %9u  %6.2f %6.2f %6.2f %6.2f %6.2f\n", c->name,
			r->nthreads, r->vc.runner_vcpu, (unsigned long long)r->blocks, ok, (double)mean / 1e6,
			(double)max / 1e6, r->vc.halt_poll_ns, pct(a[KVMPPC_VC_IN_GUEST], span),
			pct(a[KVMPPC_VC_EXITING] + a[KVMPPC_VC_ENTERING], span), pct(a[KVMPPC_VC_POLLING], span),
			pct(a[KVMPPC_VC_SLEEPING], span), pct(a[KVMPPC_VC_WAKING] + a[KVMPPC_VC_PREEMPTED], span));
	}
	report_pcpu_text(f, m, span);
	fprintf(f, "\n%-16s %5s %7s %6s  %8s %6s\n", "task", "pCPU", "CPU (%)", "steal", "switches", "invol");
	for (int k = 0; k < pp->nvc; k++)
		task_row(f, &pp->vc[k].task, pp->vc[k].name, span);
	for (int i = 0; i < m->nloads; i++)
		task_row(f, &m->loads[i].task, m->loads[i].name, span);
	machine_ppc_net_report(f, m);
}

static json_t *stat_json(const struct kvmppc_vcore_stat *s)
{
	const struct kvm_vcpu_stat *g = &s->generic;
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "halt_attempted_poll", (json_int_t)g->halt_attempted_poll,
			 "halt_successful_poll", (json_int_t)g->halt_successful_poll, "halt_successful_wait",
			 (json_int_t)s->halt_successful_wait, "halt_poll_success_ns", (json_int_t)g->halt_poll_success_ns,
			 "halt_poll_fail_ns", (json_int_t)g->halt_poll_fail_ns, "halt_wait_ns", (json_int_t)g->halt_wait_ns);
}

void report_ppc_json(json_t *root, const struct machine *m)
{
	const struct machine_ppc *pp = m->ppc;
	json_t *vcores = json_array();
	for (int k = 0; k < pp->nvc; k++) {
		const struct ppc_vcore *c = &pp->vc[k];
		const struct kvmppc_runner *r = &c->r;
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(c->name));
		json_object_set_new(o, "vm", json_string(m->vms[c->vm].name));
		json_object_set_new(o, "pcpu", json_integer(c->task.cpu->id));
		json_object_set_new(o, "tgid", json_integer(c->tgid));
		json_object_set_new(o, "runner_vcpu", json_integer(r->vc.runner_vcpu));
		json_object_set_new(o, "halt_poll_ns", json_integer(r->vc.halt_poll_ns));
		json_object_set_new(o, "halt_poll_max_ns", json_integer(kvmppc_vcore_max_ns(&r->vc)));
		json_object_set_new(o, "blocks", json_integer((json_int_t)r->blocks));
		json_object_set_new(o, "entries", json_integer((json_int_t)r->entries));
		json_object_set_new(o, "runner_stats", stat_json(&r->t[r->runner].stat));
		json_t *ti = json_object();
		for (int s = 0; s < KVMPPC_VC_NSTATES; s++)
			json_object_set_new(ti, state_names[s], json_integer((json_int_t)r->time_in[s]));
		json_object_set_new(o, "time_ps", ti);
		json_object_set_new(o, "sched", json_pack("{s:I, s:I, s:I, s:I, s:I}", "runtime_ps", (json_int_t)c->task.runtime,
							  "run_delay_ps", (json_int_t)c->task.run_delay, "preemptions",
							  (json_int_t)c->preemptions, "poll_stops", (json_int_t)c->poll_stops,
							  "forced_exits", (json_int_t)r->forced_exits));
		json_t *th = json_array();
		for (int t = 0; t < r->nthreads; t++) {
			const struct kvmppc_vthread *v = &r->t[t];
			json_array_append_new(th, json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "vcpu_id", (int)v->vcpu_id,
							    "interrupts", (json_int_t)c->irqs[t], "prods", (json_int_t)c->prods[t],
							    "cedes", (json_int_t)v->cedes, "prods_cancelling_cede",
							    (json_int_t)v->prods_cancelling_cede, "wakes", (json_int_t)v->wake.wakes,
							    "wake_mean_ns", (json_int_t)(v->wake.wakes ? v->wake.sum / (sim_time_t)v->wake.wakes / SIM_NS : 0),
							    "wake_max_ns", (json_int_t)(v->wake.max / SIM_NS)));
		}
		json_object_set_new(o, "threads", th);
		json_array_append_new(vcores, o);
	}
	json_object_set_new(root, "vcores", vcores);
	machine_ppc_net_json(root, m);
}
