/* idle_entry.c - the idle state's entry time measured from a traced probe (idle_entry.h). */
#include "traces/idle_entry.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sim/hist.h"
#include "traces/grow.h"
#include "traces/probe/probe.h"
#include "traces/trace_event.h"
#include "traces/trace_read.h"
#include "traces/tracefs_inst.h"

int idle_entry_from_trace(FILE *f, int cpu, int tid, int waker, double **e, size_t *n, struct idle_wake **w,
			  size_t *nw)
{
	char line[1024], err[128];
	size_t cap = 0, wcap = 0;
	bool asleep = false; /* the entry: from the switch-out to the first halting idle entry */
	/* the wake-up: 1 from the switch-out, 2 once the CPU switched from idle back to the thread */
	int sleep = 0;
	bool halted = false; /* the CPU in a halting idle state (since in_at) */
	int64_t out = 0, in_at = 0, msi = -1, stay = 0;
	*e = NULL;
	*n = 0;
	if (w) {
		*w = NULL;
		*nw = 0;
	}
	while (fgets(line, sizeof(line), f)) {
		struct trace_line tl;
		if (!trace_line_split(line, &tl) || tl.ts_bad)
			continue;
		struct trace_event ev = { .type = trace_event_lookup(tl.event, tl.event_len) };
		if (ev.type == KEV_MSI_SET_IRQ) { /* raised on the waker's CPU */
			if (sleep == 1 && halted && msi < 0 && tl.pid == waker && tl.ts_ns >= in_at)
				msi = tl.ts_ns, stay = tl.ts_ns - in_at;
			continue;
		}
		if (tl.cpu != cpu)
			continue;
		if (ev.type == KEV_SCHED_SWITCH) {
			/* the vCPU thread asleep (S: not D, nor exiting) with nothing else to run; any other
			 * switch ends a sleep */
			const char *st = strstr(tl.payload, " prev_state=");
			bool parsed = !trace_event_parse(&ev, tl.payload, err, sizeof(err));
			asleep = parsed && ev.sswitch.prev_pid == tid && ev.sswitch.next_pid == 0 && st && st[12] == 'S';
			out = tl.ts_ns;
			if (asleep)
				sleep = 1, halted = false, msi = -1;
			else
				sleep = sleep == 1 && parsed && ev.sswitch.prev_pid == 0 && ev.sswitch.next_pid == tid ? 2 : 0;
		} else if (tl.event_len == 8 && !memcmp(tl.event, "cpu_idle", 8)) {
			const char *st = strstr(tl.payload, "state=");
			char *end;
			long state = st ? strtol(st + 6, &end, 10) : 0;
			if (!st || end == st + 6 || tl.ts_ns < out)
				continue; /* not a cpu_idle line (or time running back: not a trace) */
			if (state == 4294967295L) { /* the exit marker */
				halted = false;
				continue;
			}
			if (state <= 0)
				continue; /* the polling state 0 */
			halted = true;
			in_at = tl.ts_ns;
			if (!asleep)
				continue;
			double x = (double)(tl.ts_ns - out) / 1e3;
			if (grow_push((void **)e, n, &cap, sizeof(double), &x))
				goto oom;
			asleep = false;
		} else if (ev.type == KEV_VCPU_WAKEUP && w && sleep == 2 && msi >= 0 && tl.pid == tid) {
			struct idle_wake x = { (double)stay / 1e3, (double)(tl.ts_ns - msi) / 1e3 };
			sleep = 0;
			if (tl.ts_ns >= msi && grow_push((void **)w, nw, &wcap, sizeof(x), &x))
				goto oom;
		}
	}
	return 0;
oom:
	free(*e);
	*e = NULL;
	*n = 0;
	if (w) {
		free(*w);
		*w = NULL;
		*nw = 0;
	}
	return -1;
}

int idle_growth_fit(const struct idle_wake *w, size_t n, double *growth_ns, double *tau_ns)
{
	/* groups of stay (us): a decade in four or five steps, so each holds enough wake-ups; not
	 * the first 10 us, where the CPU is only just halted below (such wake-ups take longer on
	 * this project's machine: the hypervisor's own way into the halt, not a longer stay) */
	static const double edge[] = { 10, 20, 35, 50, 75, 100, 150, 200, 300, 500, 800, 1300, 2000, 1e300 };
	enum { NG = sizeof(edge) / sizeof(edge[0]) - 1 };
	double x[NG], y[NG], wt[NG];
	int g = 0;
	double *v = n ? malloc(n * sizeof(double)) : NULL, *s = n ? malloc(n * sizeof(double)) : NULL;
	*growth_ns = *tau_ns = 0;
	for (int k = 0; k < NG && v && s; k++) {
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (w[i].stay_us >= edge[k] && w[i].stay_us < edge[k + 1])
				v[m] = w[i].latency_us, s[m++] = w[i].stay_us;
		if (m < IDLE_GROWTH_MIN)
			continue;
		qsort(v, m, sizeof(double), sim_cmp_double);
		qsort(s, m, sizeof(double), sim_cmp_double);
		/* the latency's interquartile mean: the tail (other tasks) left out like a median's,
		 * but finer than the trace's microsecond stamps */
		double sum = 0;
		for (size_t i = m / 4; i < m - m / 4; i++)
			sum += v[i];
		x[g] = s[m / 2], y[g] = sum / (double)(m - 2 * (m / 4)), wt[g++] = (double)m;
	}
	free(v);
	free(s);
	if (g < 3)
		return g;
	double best = -1, bg = 0, bt = 0;
	for (double tau = 10; tau <= 2000; tau *= 1.05) {
		/* weighted least squares of y on u = 1 - e^(-x/tau): y = a + b u */
		double sw = 0, su = 0, sy = 0, suu = 0, suy = 0;
		for (int k = 0; k < g; k++) {
			double u = -expm1(-x[k] / tau);
			sw += wt[k], su += wt[k] * u, sy += wt[k] * y[k], suu += wt[k] * u * u, suy += wt[k] * u * y[k];
		}
		double d = sw * suu - su * su;
		if (d <= 1e-12 * sw * sw)
			continue;
		double b = (sw * suy - su * sy) / d, a = (sy - b * su) / sw;
		if (b < 0)
			b = 0, a = sy / sw;
		double r = 0;
		for (int k = 0; k < g; k++) {
			double e = y[k] - a - b * -expm1(-x[k] / tau);
			r += wt[k] * e * e;
		}
		if (best < 0 || r < best)
			best = r, bg = b, bt = tau;
	}
	if (bg > 0)
		*growth_ns = bg * 1e3, *tau_ns = bt * 1e3;
	return g;
}

void idle_entry_quantiles(double *e, size_t n, double *q_ns, int nq)
{
	qsort(e, n, sizeof(*e), sim_cmp_double);
	for (int k = 0; k < nq; k++) {
		double p = (double)k / (nq - 1);
		p = p < 0.05 ? 0.05 : p > 0.95 ? 0.95 : p;
		q_ns[k] = n ? e[(size_t)(p * (double)(n - 1))] * 1e3 : 0;
	}
}

int idle_entry_measure(int cpu, long count, double *q_ns, int nq, struct idle_measure *m, char *why, size_t len)
{
	char path[512];
	memset(m, 0, sizeof(*m));
	/* every CPU (the MSIs are raised on the waker's) */
	static const char *const ev[] = { "sched/sched_switch", "power/cpu_idle", "kvm/kvm_msi_set_irq",
					  "kvm/kvm_vcpu_wakeup" };
	struct tracefs_inst ti;
	int rc = tracefs_open(&ti, "kvmsim-entry", 8192, ev, 4, why, len);
	if (rc)
		return rc;
	rc = 1;
	if (tracefs_on(&ti, 1)) {
		snprintf(why, len, "starting %s: %s", ti.dir, strerror(errno));
		goto out;
	}
	struct probe_pattern p = { .count = count, .seed = 1, .halt_poll_ns = 0, .rt = true, .vcpu_cpu_set = true,
				   .vcpu_cpu = cpu };
	struct probe_result r;
	if (probe_pattern_parse("poisson:200us", &p, why, len))
		goto out;
	int prc = probe_run(&p, &r, why, len);
	tracefs_on(&ti, 0);
	if (prc) {
		rc = prc;
		goto out;
	}
	tracefs_trace(&ti, path, sizeof(path));
	FILE *f = fopen(path, "r");
	double *e = NULL;
	struct idle_wake *w = NULL;
	size_t n = 0, nw = 0;
	/* probe_run() raises the MSIs from the thread that calls it: this one */
	if (!f || idle_entry_from_trace(f, cpu, r.tid, (int)syscall(SYS_gettid), &e, &n, &w, &nw))
		snprintf(why, len, "reading %s: %s", path, f ? "out of memory" : strerror(errno));
	else if (n < 100)
		rc = 3, snprintf(why, len, "%zu idle entries after a sleep of the vCPU thread traced on CPU %d (other "
				 "tasks took %.0f%% of it; or this kernel does not trace that CPU's idle)", n, cpu,
				 r.other_ns >= 0 && r.wall_ns > 0 ? 100.0 * (double)r.other_ns / (double)r.wall_ns : 0.0);
	else {
		idle_entry_quantiles(e, n, q_ns, nq);
		m->entries = n;
		m->wakes = nw;
		m->groups = idle_growth_fit(w, nw, &m->growth_ns, &m->tau_ns);
		rc = 0;
	}
	if (f)
		fclose(f);
	free(e);
	free(w);
	probe_result_free(&r);
out:;
	char dir[256];
	snprintf(dir, sizeof(dir), "%s", ti.dir);
	if (tracefs_close(&ti) && rc == 0) {
		snprintf(why, len, "removing %s: %s", dir, strerror(errno));
		rc = 1;
	}
	return rc;
}
