/*
 * report_perf.c - the run's exits and tracepoint counts in the layouts of the
 * tools people already read them with: `perf stat -e 'kvm:*'` and
 * `perf kvm stat report` (tools/perf/util/stat-display.c, builtin-kvm.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/scenario/report.h"

void machine_sum_events(const struct machine *m, uint64_t *ev, struct exit_stat *ex)
{
	memset(ev, 0, sizeof(uint64_t) * KVM_EV_N);
	memset(ex, 0, sizeof(struct exit_stat) * VMX_REASONS);
	for (int i = 0; i < m->nvcpus; i++) {
		const struct vcpu *v = &m->vcpus[i];
		for (int e = 0; e < KVM_EV_N; e++)
			ev[e] += v->events[e];
		for (int r = 0; r < VMX_REASONS; r++) {
			const struct exit_stat *s = &v->exits[r];
			struct exit_stat *t = &ex[r];
			if (!s->n)
				continue;
			/* merge Welford accumulators (Chan et al.) */
			double n1 = (double)t->n, n2 = (double)s->n, d = s->mean_us - t->mean_us;
			t->m2 += s->m2 + d * d * n1 * n2 / (n1 + n2);
			t->mean_us += d * n2 / (n1 + n2);
			if (!t->n || s->min < t->min)
				t->min = s->min;
			if (s->max > t->max)
				t->max = s->max;
			t->n += s->n;
			t->sum += s->sum;
		}
	}
}

void report_kvm_events(FILE *f, const struct machine *m)
{
	uint64_t ev[KVM_EV_N];
	struct exit_stat ex[VMX_REASONS];
	char dur[32];
	machine_sum_events(m, ev, ex);
	sim_fmt_time(m->sc->duration - m->warmup, dur, sizeof(dur)); /* the statistics' span */
	fprintf(f, "\n Performance counter stats for 'kvmsim run %s' (%s simulated):\n\n",
		m->sc->name ? m->sc->name : m->sc->source, dur);
	for (int e = 0; e < KVM_EV_N; e++) {
		char name[64];
		snprintf(name, sizeof(name), "kvm:%s", kvm_event_names[e]);
		fprintf(f, "%18llu %-4s %-32s%35s\n", (unsigned long long)ev[e], "", name, "");
	}
	fprintf(f, "\n %17.9f seconds time elapsed\n\n", (double)(m->sc->duration - m->warmup) / (double)SIM_S);
}

static int by_samples(const void *a, const void *b)
{
	const struct exit_stat *x = *(const struct exit_stat *const *)a, *y = *(const struct exit_stat *const *)b;
	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return x < y ? -1 : 1; /* stable: by reason number */
}

void report_exit_stats(FILE *f, const struct machine *m)
{
	uint64_t ev[KVM_EV_N];
	struct exit_stat ex[VMX_REASONS];
	machine_sum_events(m, ev, ex);
	const struct exit_stat *rows[VMX_REASONS];
	int n = 0;
	uint64_t samples = 0;
	sim_time_t total = 0;
	for (int r = 0; r < VMX_REASONS; r++)
		if (ex[r].n) {
			rows[n++] = &ex[r];
			samples += ex[r].n;
			total += ex[r].sum;
		}
	qsort(rows, (size_t)n, sizeof(*rows), by_samples);
	fprintf(f, "\n\nAnalyze events for all VMs, all VCPUs:\n\n");
	fprintf(f, "%20s %10s %9s %9s %11s %11s %16s \n\n", "VM-EXIT", "Samples", "Samples%", "Time%", "Min Time",
		"Max Time", "Avg time");
	for (int i = 0; i < n; i++) {
		const struct exit_stat *s = rows[i];
		unsigned r = (unsigned)(s - ex);
		const char *name = vmx_exit_reason_name(r);
		char num[16];
		if (!name) {
			snprintf(num, sizeof(num), "0x%x", r);
			name = num;
		}
		double avg = (double)s->sum / (double)s->n / (double)SIM_US;
		/* perf's "+-": the standard error of the mean, relative to the mean */
		double rel = s->n > 1 && avg > 0 ? 100.0 * sqrt(s->m2 / (double)(s->n - 1) / (double)s->n) / avg : 0;
		fprintf(f, "%20s %10llu %8.2f%% %8.2f%% %9.2fus %9.2fus %9.2fus ( +-%7.2f%% )\n", name,
			(unsigned long long)s->n, 100.0 * (double)s->n / (double)samples,
			total ? 100.0 * (double)s->sum / (double)total : 0.0, (double)s->min / (double)SIM_US,
			(double)s->max / (double)SIM_US, avg, rel);
	}
	fprintf(f, "\nTotal Samples:%llu, Total events handled time:%.2fus.\n\n", (unsigned long long)samples,
		(double)total / (double)SIM_US);
}
