/* report_sched.c - what the host scheduler did, in the summary and the JSON (see report_sched.h). */
#include "workloads/scenario/report_sched.h"

#include "sim/out_json.h"

static double pct(sim_time_t part, sim_time_t whole)
{
	return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

const char *report_sched_name(const struct machine *m)
{
	if (m->host->cls == &host_sched_simple)
		return "simple";
	return m->host->sched.eevdf ? "EEVDF" : "CFS";
}

int64_t report_vm_worst_p99(const struct machine *m, int vm, int *worst)
{
	int64_t best = -1;
	*worst = -1;
	const struct machine_vm *x = &m->vms[vm];
	for (int i = x->first_vcpu; i < x->first_vcpu + x->nvcpu; i++) {
		const struct sim_hist *h = &m->guests[i].wake_lat;
		if (!h->count)
			continue;
		int64_t q = sim_hist_quantile(h, 0.99);
		if (q > best) {
			best = q;
			*worst = i;
		}
	}
	return best;
}

static void task_row(FILE *f, const struct host_task *t, const char *name, sim_time_t dur, const sim_time_t *offered)
{
	char off[16] = "-", p50[16] = "-", p99[16] = "-", mx[16] = "-";
	if (offered)
		snprintf(off, sizeof(off), "%.2f", pct(*offered, dur));
	if (t->delay->count) {
		snprintf(p50, sizeof(p50), "%.2f", (double)sim_hist_quantile(t->delay, 0.5) / 1000.0);
		snprintf(p99, sizeof(p99), "%.2f", (double)sim_hist_quantile(t->delay, 0.99) / 1000.0);
		snprintf(mx, sizeof(mx), "%.2f", (double)t->delay->max / 1000.0);
	}
	fprintf(f, "%-14s %7.2f %7s %6.2f  %8s %8s %8s  %8llu %6llu %6llu\n", name, pct(t->runtime, dur), off,
		pct(t->run_delay, dur), p50, p99, mx, (unsigned long long)(t->nvcsw + t->nivcsw),
		(unsigned long long)t->nivcsw, (unsigned long long)t->nr_migrations);
}

void report_sched_text(FILE *f, const struct machine *m)
{
	sim_time_t dur = m->sc->duration - m->warmup; /* what the statistics cover */
	const struct host *h = m->host;
	fprintf(f, "\nhost scheduler: %s", report_sched_name(m));
	if (h->tick_period)
		fprintf(f, ", CONFIG_HZ=%d", h->sched.hz);
	fprintf(f, "\n%-14s %7s %7s %6s  %-26s  %-22s\n", "", "CPU (%)", "", "", "run delay (us)", "switches");
	fprintf(f, "%-14s %7s %7s %6s  %8s %8s %8s  %8s %6s %6s\n", "task", "got", "offered", "steal", "p50", "p99",
		"max", "all", "invol", "migr");
	for (int i = 0; i < m->nvcpus; i++)
		task_row(f, &m->vcpus[i].task, m->vcpus[i].name, dur, NULL);
	for (int i = 0; i < m->nloads; i++)
		task_row(f, &m->loads[i].task, m->loads[i].name, dur, &m->loads[i].offered);
	for (int i = 0; i < m->ndev_tasks; i++)
		task_row(f, m->dev_task[i], m->dev_task_name[i], dur, NULL);
	fprintf(f, "\n%-14s %s\n", "VM", "worst vCPU's p99 wake latency (us)");
	for (int i = 0; i < m->nvms; i++) {
		int w;
		int64_t q = report_vm_worst_p99(m, i, &w);
		if (w < 0)
			fprintf(f, "%-14s %8s\n", m->vms[i].name, "-");
		else
			fprintf(f, "%-14s %8.2f  %s\n", m->vms[i].name, (double)q / 1000.0, m->vcpus[w].name);
	}
}

json_t *report_task_sched_json(const struct host_task *t)
{
	return json_pack("{s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:I}", "runtime_ps", (json_int_t)t->runtime,
			 "sum_exec_runtime_ps", (json_int_t)t->sum_exec, "run_delay_ps",
			 (json_int_t)t->run_delay, "run_delay", sim_hist_json(t->delay), "pcount", (json_int_t)t->pcount,
			 "nr_migrations", (json_int_t)t->nr_migrations, "nvcsw", (json_int_t)t->nvcsw, "nivcsw",
			 (json_int_t)t->nivcsw);
}

void report_sched_json(json_t *root, const struct machine *m)
{
	const struct host *h = m->host;
	json_object_set_new(root, "host_scheduler",
			    json_pack("{s:s, s:s, s:i, s:b}", "class", h->cls->name, "variant", report_sched_name(m),
				      "hz", h->tick_period ? h->sched.hz : 0, "balance",
				      h->cls != &host_sched_simple && h->sched.balance));
	json_t *vms = json_array();
	for (int i = 0; i < m->nvms; i++) {
		int w;
		int64_t q = report_vm_worst_p99(m, i, &w);
		sim_time_t steal = 0;
		for (int k = m->vms[i].first_vcpu; k < m->vms[i].first_vcpu + m->vms[i].nvcpu; k++)
			steal += m->vcpus[k].task.run_delay;
		json_t *o = json_pack("{s:s, s:i, s:I}", "name", m->vms[i].name, "vcpus", m->vms[i].nvcpu, "steal_ps",
				      (json_int_t)steal);
		json_object_set_new(o, "worst_wake_p99_ns", w < 0 ? json_null() : json_integer((json_int_t)q));
		json_object_set_new(o, "worst_vcpu", w < 0 ? json_null() : json_string(m->vcpus[w].name));
		json_array_append_new(vms, o);
	}
	json_object_set_new(root, "vms", vms);
	json_t *vcpus = json_object_get(root, "vcpus");
	for (size_t i = 0; i < json_array_size(vcpus) && (int)i < m->nvcpus; i++) {
		const struct vcpu *v = &m->vcpus[i];
		json_t *s = report_task_sched_json(&v->task);
		json_object_set_new(s, "pause_exits", json_integer((json_int_t)v->pause_exits));
		json_object_set_new(s, "directed_yield_attempted", json_integer((json_int_t)v->directed_yield_attempted));
		json_object_set_new(s, "directed_yield_successful",
				    json_integer((json_int_t)v->directed_yield_successful));
		json_object_set_new(s, "ple_window", json_integer((json_int_t)v->ple_window));
		json_object_set_new(json_array_get(vcpus, i), "sched", s);
		const struct guest_lock_stats *l = &m->guests[i].lock;
		json_object_set_new(json_array_get(vcpus, i), "lock",
				    json_pack("{s:I, s:I, s:I}", "acquired", (json_int_t)l->acquired, "contended",
					      (json_int_t)l->contended, "spin_ps", (json_int_t)l->spin_ps));
	}
	json_t *tasks = json_object_get(root, "host_tasks");
	for (size_t i = 0; i < json_array_size(tasks) && (int)i < m->nloads; i++) {
		json_t *o = json_array_get(tasks, i);
		json_object_set_new(o, "offered_ps", json_integer((json_int_t)m->loads[i].offered));
		json_object_set_new(o, "received_ps", json_integer((json_int_t)m->loads[i].task.runtime));
		json_object_set_new(o, "sched", report_task_sched_json(&m->loads[i].task));
	}
	json_t *pcpus = json_object_get(root, "pcpus");
	for (size_t i = 0; i < json_array_size(pcpus) && (int)i < h->ncpu; i++) {
		json_t *o = json_array_get(pcpus, i);
		json_object_set_new(o, "ticks", json_integer((json_int_t)h->cpu[i].ticks));
		json_object_set_new(o, "balance_pulls", json_integer((json_int_t)h->cpu[i].balance_pulls));
	}
}
