/* report.c - the run's summary and JSON document (see report.h). */
#include "workloads/scenario/report.h"
#include "workloads/scenario/machine_ppc.h"

#include <string.h>

#include "models/haltpoll/kvm_stats_json.h"
#include "sim/out_json.h"
#include "workloads/scenario/machine_blk.h"
#include "workloads/scenario/machine_net.h"
#include "workloads/scenario/report_sched.h"
#include "workloads/scenario/pingpong_run.h"

#ifndef KVMSIM_VERSION
#define KVMSIM_VERSION "0.0.0"
#endif

static double pct(sim_time_t part, sim_time_t whole)
{
	return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

static const char *us(int64_t ns, bool have, char *buf, size_t len)
{
	if (!have)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2f", (double)ns / 1000.0);
	return buf;
}

/* vm_polling - what decides a VM's halt polling: its policy and its ceiling. */
static void vm_polling(const struct machine *m, const struct machine_vm *vm, char *buf, size_t len)
{
	const char *policy = vm->hp.policy->name;
	if (!m->sc->era.cap_halt_poll)
		snprintf(buf, len, "policy %s (no KVM_CAP_HALT_POLL before 5.8)", policy);
	else if (vm->conf->halt_poll_ns_set)
		snprintf(buf, len, "policy %s, KVM_CAP_HALT_POLL %u ns", policy, vm->conf->halt_poll_ns);
	else
		snprintf(buf, len, "policy %s, KVM_CAP_HALT_POLL not set (the module's halt_poll_ns)", policy);
}

/* report_vms - a line per run of VMs that poll alike ("vm0-vm3: policy kvm, ..."). */
static void report_vms(FILE *f, const struct machine *m)
{
	for (int i = 0; i < m->nvms;) {
		char what[160], next[160];
		vm_polling(m, &m->vms[i], what, sizeof(what));
		int j = i + 1;
		for (; j < m->nvms; j++) {
			vm_polling(m, &m->vms[j], next, sizeof(next));
			if (strcmp(what, next))
				break;
		}
		if (j - i > 1)
			fprintf(f, "%s-%s: %s\n", m->vms[i].name, m->vms[j - 1].name, what);
		else
			fprintf(f, "%s: %s\n", m->vms[i].name, what);
		i = j;
	}
}

/* report_pcpu_text - each pCPU's time by what ran on it, and its idle states (x86 and powerpc runs). */
void report_pcpu_text(FILE *f, const struct machine *m, sim_time_t span)
{
	fprintf(f, "\n%-6s %6s %6s %6s %7s %9s %6s %6s %6s  %s\n", "pCPU", "guest", "g.poll", "kvm", "poll ok",
		"poll fail", "tasks", "sched", "idle", "idle states (% of time)");
	for (int i = 0; i < m->host->ncpu; i++) {
		const struct pcpu *p = &m->host->cpu[i];
		const sim_time_t *a = p->acct_ps;
		fprintf(f, "%-6d %6.2f %6.2f %6.2f %7.2f %9.2f %6.2f %6.2f %6.2f ", i, pct(a[ACCT_GUEST], span),
			pct(a[ACCT_GUEST_POLL], span), pct(a[ACCT_KVM], span), pct(a[ACCT_POLL_OK], span),
			pct(a[ACCT_POLL_FAIL], span), pct(a[ACCT_TASK], span), pct(a[ACCT_SCHED] + a[ACCT_IRQ], span),
			pct(a[ACCT_IDLE] + a[ACCT_IDLE_EXIT], span));
		for (int s = 0; s < m->host->nidle; s++)
			if (p->idle_ps[s])
				fprintf(f, " %s %.1f", m->host->idle[s].name, pct(p->idle_ps[s], span));
		fputc('\n', f);
	}
}

void report_text(FILE *f, const struct machine *m, const struct run_info *ri)
{
	const struct scenario *sc = m->sc;
	const struct kvm_era *e = &sc->era;
	sim_time_t span = sc->duration - m->warmup; /* what the statistics cover */
	char dur[32];
	sim_fmt_time(sc->duration, dur, sizeof(dur));
	fprintf(f, "kvmsim %s: %s%s%s, kernel %s %s (era %c), profile %s, seed %llu\n", KVMSIM_VERSION,
		sc->source, sc->name ? " - " : "", sc->name ? sc->name : "", sc->kernel, kvm_arch_name(e->arch),
		e->era, m->prof.name, (unsigned long long)sc->seed);
	char warm[32];
	sim_fmt_time(m->warmup, warm, sizeof(warm));
	int nvcpus = m->nvcpus;
	for (int i = 0; m->ppc && i < m->nvms; i++) /* powerpc: the vCPUs are the vcores' threads */
		nvcpus += m->vms[i].nvcpu;
	fprintf(f, "simulated %s (statistics after a %s warm-up) on %d pCPU%s, %d VM%s, %d vCPU%s: %.2f M events", dur,
		warm, m->host->ncpu,
		m->host->ncpu == 1 ? "" : "s", m->nvms, m->nvms == 1 ? "" : "s", nvcpus,
		nvcpus == 1 ? "" : "s", (double)ri->events / 1e6);
	if (ri->wall_s > 0)
		fprintf(f, " in %.2f s (%.1f M events/s)", ri->wall_s, (double)ri->events / ri->wall_s / 1e6);
	fprintf(f, "\nkvm: halt_poll_ns=%u halt_poll_ns_grow=%u halt_poll_ns_grow_start=%u halt_poll_ns_shrink=%u\n",
		m->param.halt_poll_ns, m->param.halt_poll_ns_grow, m->param.halt_poll_ns_grow_start,
		m->param.halt_poll_ns_shrink);
	if (m->ppc) {
		report_ppc_text(f, m, span);
		return;
	}
	report_vms(f, m);
	const struct host_noise_conf *nz = &sc->host.noise;
	if (nz->irq_rate > 0 || nz->smi_rate > 0) {
		uint64_t irqs = 0, smis = m->host->ncpu ? m->host->cpu[0].smis : 0;
		for (int i = 0; i < m->host->ncpu; i++)
			irqs += m->host->cpu[i].noise_irqs;
		fprintf(f, "host noise: %.0f interrupts/s per pCPU (%llu taken), %.3g SMIs/s (%llu taken)\n", nz->irq_rate,
			(unsigned long long)irqs, nz->smi_rate, (unsigned long long)smis);
	}
	fprintf(f, "\n");

	fprintf(f, "%-14s %7s %7s  %-26s  %s\n", "", "", "poll", "wake latency (us)", "CPU time (%)");
	fprintf(f, "%-14s %7s %7s  %8s %8s %8s  %6s %6s %6s %7s %9s %6s %6s\n", "vCPU", "wakes", "ok (%)", "p50",
		"p99", "max", "guest", "g.poll", "exit", "poll ok", "poll fail", "idle", "steal");
	for (int i = 0; i < m->nvcpus; i++) {
		const struct vcpu *v = &m->vcpus[i];
		const struct sim_hist *wl = &m->guests[i].wake_lat;
		const struct kvm_vcpu_stat *st = &v->hp.stat;
		const sim_time_t *a = v->acct_ps; /* idle: asleep or waking; steal: run delay (sched_info) */
		char ok[16], p50[16], p99[16], mx[16];
		if (st->halt_attempted_poll)
			snprintf(ok, sizeof(ok), "%.1f",
				 100.0 * (double)st->halt_successful_poll / (double)st->halt_attempted_poll);
		else
			snprintf(ok, sizeof(ok), "-");
		bool have = wl->count > 0;
		fprintf(f, "%-14s %7llu %7s  %8s %8s %8s  %6.2f %6.2f %6.2f %7.2f %9.2f %6.2f %6.2f\n", v->name,
			(unsigned long long)wl->count, ok, us(sim_hist_quantile(wl, 0.5), have, p50, 16),
			us(sim_hist_quantile(wl, 0.99), have, p99, 16),
			us(wl->max, have, mx, 16), pct(a[VACCT_GUEST], span),
			pct(a[VACCT_GUEST_POLL], span), pct(a[VACCT_KVM], span),
			pct(a[VACCT_POLL_OK], span),
			pct(a[VACCT_POLL_FAIL], span),
			pct(a[VACCT_SLEEP] + a[VACCT_RUNNABLE] - v->task.run_delay, span),
			pct(v->task.run_delay, span));
	}
	report_pcpu_text(f, m, span);
	report_sched_text(f, m);
	machine_blk_report(f, m);
	report_pingpong_text(f, m);
	machine_net_report(f, m);
	/* cyclictest's own figures, in its own line layout: whole microseconds, or ns with -N */
	if (m->nct)
		fprintf(f, "\ncyclictest (%s):\n", m->ct[0].conf->nsecs ? "ns" : "us");
	for (int i = 0; i < m->nct; i++) {
		const struct cyclictest_thread *t = &m->ct[i];
		bool ns = t->conf->nsecs;
		char iv[32];
		sim_fmt_time(t->conf->interval, iv, sizeof(iv));
		fprintf(f, "T:%2d (%s) I:%s C:%7llu Min:%7lld Act:%5lld Avg:%5lld Max:%8lld\n", i, t->g->name, iv,
			(unsigned long long)t->cycles, (long long)(ns ? t->min_ns : t->min_us),
			(long long)(ns ? t->act_ns : t->act_us),
			(long long)(ns ? (t->cycles ? t->sum_ns / (int64_t)t->cycles : 0) : cyclictest_avg(t)),
			(long long)(ns ? t->max_ns : t->max_us));
	}
}

static json_t *kvm_events_json(const uint64_t *ev)
{
	json_t *o = json_object();
	for (int i = 0; i < KVM_EV_N; i++)
		json_object_set_new(o, kvm_event_names[i], json_integer((json_int_t)ev[i]));
	return o;
}

/* exits_json - per exit reason: samples and handling time (exit to the next entry), in ns */
static json_t *exits_json(const struct exit_stat *ex, int unused)
{
	json_t *o = json_object();
	for (unsigned r = 0; r < VMX_REASONS; r++) {
		if (!ex[r].n)
			continue;
		const char *name = vmx_exit_reason_name(r);
		char num[16];
		if (!name) {
			snprintf(num, sizeof(num), "0x%x", r);
			name = num;
		}
		json_object_set_new(o, name,
				    json_pack("{s:I, s:I, s:I, s:I}", "samples", (json_int_t)ex[r].n, "total_ns",
					      (json_int_t)(ex[r].sum / SIM_NS), "min_ns", (json_int_t)(ex[r].min / SIM_NS),
					      "max_ns", (json_int_t)(ex[r].max / SIM_NS)));
	}
	return o;
}

static json_t *acct_json(const sim_time_t *a, const char *const *names, int n)
{
	json_t *o = json_object();
	for (int i = 0; i < n; i++)
		json_object_set_new(o, names[i], json_integer((json_int_t)a[i]));
	return o;
}

json_t *report_json(const struct machine *m, const struct run_info *ri)
{
	const struct scenario *sc = m->sc;
	json_t *root = json_object();
	json_object_set_new(root, "schema", json_string(KVMSIM_RUN_SCHEMA));
	json_object_set_new(root, "kvmsim", json_string(KVMSIM_VERSION));
	char era[2] = { sc->era.era, 0 };
	json_object_set_new(root, "scenario",
			    json_pack("{s:s?, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "name", sc->name, "source",
				      sc->source, "kernel", sc->kernel, "arch", kvm_arch_name(sc->era.arch),
				      "era", era, "cost_profile", m->prof.name, "seed", (json_int_t)sc->seed,
				      "duration_ps", (json_int_t)sc->duration));
	json_object_set_new(json_object_get(root, "scenario"), "warmup_ps", json_integer((json_int_t)m->warmup));
	json_t *ov = json_array();
	for (size_t i = 0; i < sc->noverrides; i++)
		json_array_append_new(ov, json_string(sc->overrides[i]));
	json_object_set_new(json_object_get(root, "scenario"), "overrides", ov);
	json_object_set_new(root, "kvm_params",
			    json_pack("{s:I, s:I, s:I, s:I}", "halt_poll_ns", (json_int_t)m->param.halt_poll_ns,
				      "halt_poll_ns_grow", (json_int_t)m->param.halt_poll_ns_grow,
				      "halt_poll_ns_grow_start", (json_int_t)m->param.halt_poll_ns_grow_start,
				      "halt_poll_ns_shrink", (json_int_t)m->param.halt_poll_ns_shrink));
	json_object_set_new(root, "events", json_integer((json_int_t)ri->events));

	json_t *vcpus = json_array();
	for (int i = 0; i < m->nvcpus; i++) {
		const struct vcpu *v = &m->vcpus[i];
		const struct guest_cpu *g = &m->guests[i];
		const struct machine_vm *vm = NULL;
		for (int k = 0; k < m->nvms; k++)
			if (i >= m->vms[k].first_vcpu && i < m->vms[k].first_vcpu + m->vms[k].nvcpu)
				vm = &m->vms[k];
		uint64_t arrivals = 0, coalesced = 0;
		for (int k = 0; k < v->nvec; k++) {
			arrivals += v->vec[k].arrivals;
			coalesced += v->vec[k].coalesced;
		}
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(v->name));
		json_object_set_new(o, "vm", json_string(vm ? vm->name : ""));
		json_object_set_new(o, "vcpu_id", json_integer(v->hp.vcpu_id));
		json_object_set_new(o, "pcpu", json_integer(v->task.cpu->id));
		json_object_set_new(o, "pid", json_integer(v->task.pid));
		json_object_set_new(o, "policy", json_string(v->hp.vm->policy->name));
		json_object_set_new(o, "halt_poll_ns", json_integer(v->hp.hp.halt_poll_ns));
		json_object_set_new(o, "halts", json_integer((json_int_t)v->halts));
		json_object_set_new(o, "interrupts",
				    json_pack("{s:I, s:I, s:I}", "arrivals", (json_int_t)arrivals, "coalesced",
					      (json_int_t)coalesced, "invalid_wakeups", (json_int_t)v->invalid_wakeups));
		json_object_set_new(o, "stats", kvm_vcpu_stat_json(&v->hp.stat, &sc->era));
		json_object_set_new(o, "latency", json_pack("{s:o, s:o}", "wake", sim_hist_json(&g->wake_lat),
							    "irq", sim_hist_json(&g->irq_lat)));
		json_object_set_new(o, "cpu_ps", acct_json(v->acct_ps, vcpu_acct_names, VACCT_N));
		json_object_set_new(o, "kvm_events", kvm_events_json(v->events));
		json_object_set_new(o, "exits", exits_json(v->exits, 1));
		json_object_set_new(o, "timer",
				    json_pack("{s:I, s:I, s:I, s:I}", "msr_writes", (json_int_t)v->timer.msr_writes,
					      "fired_hv", (json_int_t)v->timer.fired_hv, "fired_sw",
					      (json_int_t)v->timer.fired_sw, "timer_advance_ns",
					      (json_int_t)v->timer.timer_advance_ns));
		if (g->conf.haltpoll)
			json_object_set_new(o, "guest_haltpoll",
					    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "polls", (json_int_t)g->hpd.polls,
						      "poll_wakeups", (json_int_t)g->hpd.poll_wakeups, "poll_timeouts",
						      (json_int_t)g->hpd.poll_timeouts, "halts", (json_int_t)g->hpd.halts,
						      "grows", (json_int_t)g->hpd.grows, "shrinks", (json_int_t)g->hpd.shrinks,
						      "poll_limit_ns", (json_int_t)g->hpd.poll_limit_ns));
		json_object_set_new(o, "eoi",
				    json_pack("{s:I, s:I, s:I}", "pv_armed", (json_int_t)v->eoi.pv_armed, "pv_completed",
					      (json_int_t)v->eoi.pv_completed, "native", (json_int_t)v->eoi.native));
		json_array_append_new(vcpus, o);
	}
	json_object_set_new(root, "vcpus", vcpus);

	json_t *pcpus = json_array();
	for (int i = 0; i < m->host->ncpu; i++) {
		const struct pcpu *p = &m->host->cpu[i];
		json_t *o = json_object();
		json_object_set_new(o, "cpu", json_integer(i));
		json_object_set_new(o, "cpu_ps", acct_json(p->acct_ps, host_acct_names, ACCT_N));
		json_t *idle = json_object(), *ent = json_object();
		for (int s = 0; s < m->host->nidle; s++) {
			json_object_set_new(idle, m->host->idle[s].name, json_integer((json_int_t)p->idle_ps[s]));
			json_object_set_new(ent, m->host->idle[s].name, json_integer((json_int_t)p->idle_entries[s]));
		}
		json_object_set_new(o, "idle_ps", idle);
		json_object_set_new(o, "idle_entries", ent);
		json_object_set_new(o, "context_switches", json_integer((json_int_t)p->ctx_switches));
		json_object_set_new(o, "wake_ipis", json_integer((json_int_t)p->wake_ipis));
		json_object_set_new(o, "resched_requests", json_integer((json_int_t)p->resched_requests));
		json_object_set_new(o, "host_irqs", json_integer((json_int_t)p->noise_irqs));
		json_object_set_new(o, "smis", json_integer((json_int_t)p->smis));
		json_array_append_new(pcpus, o);
	}
	json_object_set_new(root, "pcpus", pcpus);

	json_t *tasks = json_array();
	for (int i = 0; i < m->nloads; i++) {
		const struct host_load *l = &m->loads[i];
		json_array_append_new(tasks, json_pack("{s:s, s:i, s:I, s:I}", "name", l->name, "pcpu",
						       l->task.cpu->id, "bursts", (json_int_t)l->bursts,
						       "preemptions", (json_int_t)l->preemptions));
	}
	json_object_set_new(root, "host_tasks", tasks);
	if (m->ppc)
		report_ppc_json(root, m);
	else
		report_sched_json(root, m);
	machine_blk_json(root, m);
	report_pingpong_json(root, m);
	machine_net_json(root, m);

	uint64_t ev[KVM_EV_N] = { 0 };
	struct exit_stat ex[VMX_REASONS];
	machine_sum_events(m, ev, ex);
	json_object_set_new(root, "kvm_events", kvm_events_json(ev));
	json_object_set_new(root, "exits", exits_json(ex, m->nvcpus));
	if (m->nct) {
		json_t *ct = json_array();
		for (int i = 0; i < m->nct; i++) {
			const struct cyclictest_thread *t = &m->ct[i];
			json_t *h = json_array();
			for (int64_t b = 0; b < t->conf->buckets; b++)
				json_array_append_new(h, json_integer((json_int_t)t->hist[b]));
			json_t *o = json_pack("{s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:o}", "vcpu", t->g->name, "thread", i,
					      "samples", (json_int_t)t->cycles, "min_us", (json_int_t)t->min_us, "avg_us",
					      (json_int_t)cyclictest_avg(t), "max_us", (json_int_t)t->max_us, "overflows",
					      (json_int_t)t->overflows, "histogram_us", h);
			json_object_set_new(o, "min_ns", json_integer((json_int_t)t->min_ns));
			json_object_set_new(o, "avg_ns", json_integer((json_int_t)(t->cycles ? t->sum_ns / (int64_t)t->cycles : 0)));
			json_object_set_new(o, "max_ns", json_integer((json_int_t)t->max_ns));
			json_array_append_new(ct, o);
		}
		json_object_set_new(root, "cyclictest", ct);
	}
	return root;
}
