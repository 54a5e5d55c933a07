/* replay_run.c - one simulated column of a trace replay (replay_run.h). */
#define _GNU_SOURCE /* fopencookie */
#include "traces/replay_run.h"
#include "sim/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "workloads/scenario/machine.h"
#include "workloads/scenario/report.h"
#include "traces/trace_read.h"

/* ---- the simulated run's own trace, read back line by line ----------------------- */

struct sim_trace {
	char line[4096];
	size_t len;
	uint64_t grows, shrinks;
	uint64_t wakeups; /* halts that ended (kvm_vcpu_wakeup), as the recorded column counts them */
	/* the gaps from each halt's end to its thread's next halt's start (ns) */
	struct {
		int32_t pid;
		int64_t end;
	} last[64];
	size_t nlast;
	int64_t *gaps;
	size_t ngaps, cap;
	/* per vCPU id: its first interrupt since its last halt ended, and that end (ns; -1 none) */
	int64_t irq[64], end[64];
	int64_t *lat; /* interrupt to kvm_vcpu_wakeup of the halts that slept */
	size_t nlat, cap_lat;
	int64_t *poll; /* interrupt to kvm_vcpu_wakeup of the halts that polled */
	size_t npoll, cap_poll;
	int64_t msi[64]; /* per APIC id: the last kvm_msi_set_irq not yet accepted, -1 none */
	int64_t *deliver; /* kvm_msi_set_irq to kvm_apic_accept_irq */
	size_t ndeliver, cap_deliver;
};

/* push - one more sample. */
static void push(int64_t **v, size_t *n, size_t *cap, int64_t x)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 1024;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[(*n)++] = x;
}

/* sim_trace_init - nothing seen yet. */
static void sim_trace_init(struct sim_trace *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < 64; i++)
		s->irq[i] = s->end[i] = s->msi[i] = -1;
}

/* sim_trace_free - the samples. */
static void sim_trace_free(struct sim_trace *s)
{
	free(s->gaps);
	free(s->lat);
	free(s->poll);
	free(s->deliver);
}

/* sim_trace_wake - vCPU id's halt from start to end ended: its wake-up latency (slept or polled). */
static void sim_trace_wake(struct sim_trace *s, unsigned id, int64_t start, int64_t end, bool waited)
{
	if (id >= 64)
		return;
	if (waited && s->irq[id] > start)
		push(&s->lat, &s->nlat, &s->cap_lat, end - s->irq[id]);
	else if (!waited && s->irq[id] >= start)
		push(&s->poll, &s->npoll, &s->cap_poll, end - s->irq[id]);
	s->end[id] = end;
}

/* sim_trace_gap - a halt of pid from start to end: the gap since its previous one. */
static void sim_trace_gap(struct sim_trace *s, int32_t pid, int64_t start, int64_t end)
{
	size_t i = 0;
	while (i < s->nlast && s->last[i].pid != pid)
		i++;
	if (i == s->nlast) {
		if (s->nlast == sizeof(s->last) / sizeof(*s->last))
			return; /* the median of the threads kept is enough */
		s->last[s->nlast++] = (typeof(s->last[0])){ pid, end };
		return;
	}
	push(&s->gaps, &s->ngaps, &s->cap, start - s->last[i].end);
	s->last[i].end = end;
}

/* sim_trace_line - one line the machine wrote: its kvm_halt_poll_ns decisions, its halts' gaps. */
static void sim_trace_line(struct sim_trace *s)
{
	struct trace_line tl;
	s->line[s->len] = 0;
	s->len = 0;
	if (!trace_line_split(s->line, &tl))
		return;
	struct trace_event ev;
	ev.type = trace_event_lookup(tl.event, tl.event_len);
	char why[300];
	if ((ev.type != KEV_HALT_POLL_NS && ev.type != KEV_VCPU_WAKEUP && ev.type != KEV_MSI_SET_IRQ &&
	     ev.type != KEV_APIC_ACCEPT_IRQ) ||
	    trace_event_parse(&ev, tl.payload, why, sizeof(why)))
		return;
	unsigned id;
	char tail;
	if (ev.type == KEV_MSI_SET_IRQ || ev.type == KEV_APIC_ACCEPT_IRQ) {
		/* the first one since the vCPU's last halt, as the trace's own reading takes it */
		uint64_t dst = ev.type == KEV_MSI_SET_IRQ ? ev.msi.dst : ev.accept.apicid;
		if (dst < 64 && ev.type == KEV_APIC_ACCEPT_IRQ && (s->irq[dst] < 0 || s->irq[dst] <= s->end[dst]))
			s->irq[dst] = tl.ts_ns; /* the wake-up latency counts from the IRR set */
		if (dst < 64 && ev.type == KEV_MSI_SET_IRQ) {
			s->msi[dst] = tl.ts_ns;
		} else if (dst < 64 && s->msi[dst] >= 0) {
			push(&s->deliver, &s->ndeliver, &s->cap_deliver, tl.ts_ns - s->msi[dst]);
			s->msi[dst] = -1;
		}
	} else if (ev.type == KEV_VCPU_WAKEUP) {
		int64_t start = tl.ts_ns - (int64_t)ev.wakeup.ns;
		s->wakeups++;
		sim_trace_gap(s, tl.pid, start, tl.ts_ns);
		if (sscanf(tl.comm, "CPU %u/KV%c", &id, &tail) == 2)
			sim_trace_wake(s, id, start, tl.ts_ns, ev.wakeup.waited);
	} else if (ev.hpn.grow)
		s->grows++;
	else
		s->shrinks++;
}

/* sim_trace_write - fopencookie writer: split what the machine writes into lines. */
static ssize_t sim_trace_write(void *cookie, const char *buf, size_t n)
{
	struct sim_trace *s = cookie;
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n')
			sim_trace_line(s);
		else if (s->len < sizeof(s->line) - 1)
			s->line[s->len++] = buf[i];
	}
	return (ssize_t)n;
}

/* ---- one simulated column ----------------------------------------------------------- */

/* yaml_str - s as a double-quoted YAML scalar. */
static void yaml_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* write_scenario - one VM, a vCPU per thread on the pCPU of its CPU, fed by dir/arrivals; the producers. */
static int write_scenario(FILE *f, const struct replay_trace *t, const struct replay_model *m,
			  const struct replay_column *col, const char *dir, int64_t duration)
{
	char path[4200];
	/* no warm-up: the replay is compared with the recording over the same whole window */
	fprintf(f, "name: trace replay\nduration: %lldns\nwarmup: 0\narch: %s\n", (long long)duration, m->arch);
	if (m->kernel) { /* else the scenario default */
		fprintf(f, "kernel: ");
		yaml_str(f, m->kernel);
		fprintf(f, "\n");
	}
	/* idle exits at their table value: each halt's recorded wake-up carries the variation */
	fprintf(f, "host:\n  pcpus: %zu\n  idle_exit_spread: 0\n", t->npcpus);
	if (t->prods_modelled)
		fprintf(f, "  tasks:\n");
	for (size_t i = 0; i < t->nprods; i++) {
		if (t->prods[i].pcpu < 0)
			continue;
		snprintf(path, sizeof(path), "%s/producer-%zu", dir, i);
		char name[48];
		snprintf(name, sizeof(name), "%s-%d", t->prods[i].comm, t->prods[i].pid);
		fprintf(f, "    - name: ");
		yaml_str(f, name);
		fprintf(f, "\n      pcpu: %ld\n      load: {type: arrivals, file: ", t->prods[i].pcpu);
		yaml_str(f, path);
		fprintf(f, "}\n");
	}
	fprintf(f, "vm:\n  vcpus: %zu\n  pin: [", t->nvcpus);
	for (size_t i = 0; i < t->nvcpus; i++)
		fprintf(f, "%s%zu", i ? ", " : "", t->vcpus[i].pcpu);
	fprintf(f, "]\n  policy: ");
	yaml_str(f, col->policy);
	fprintf(f, "\n  workload: {type: arrivals, file: ");
	snprintf(path, sizeof(path), "%s/arrivals", dir);
	yaml_str(f, path);
	fprintf(f, "}\n");
	return fflush(f) || ferror(f) ? -1 : 0;
}

/* jint - an integer member of a report object (0 if absent). */
static int64_t jint(const json_t *o, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(o, key));
}

/* collect - the column's figures from the run's report. */
static void collect(const json_t *rep, struct replay_result *r)
{
	const json_t *vcpus = json_object_get(rep, "vcpus");
	size_t i;
	const json_t *v;
	int64_t lo = INT64_MAX, hi = 0;
	json_array_foreach(vcpus, i, v) {
		const json_t *st = json_object_get(v, "stats"), *cpu = json_object_get(v, "cpu_ps");
		const json_t *wake = json_object_get(json_object_get(v, "latency"), "wake");
		r->arrivals += (uint64_t)jint(json_object_get(v, "interrupts"), "arrivals");
		r->polls_attempted += (uint64_t)jint(st, "halt_attempted_poll");
		r->polls_ok += (uint64_t)jint(st, "halt_successful_poll");
		r->poll_ok_ns += jint(cpu, "poll_ok") / 1000;
		r->poll_fail_ns += jint(cpu, "poll_fail") / 1000;
		size_t j;
		const json_t *b;
		json_array_foreach(json_object_get(wake, "histogram"), j, b)
			sim_hist_add(&r->wake_lat, json_integer_value(json_array_get(b, 0)),
				     (uint64_t)json_integer_value(json_array_get(b, 2)));
		if (jint(wake, "count")) {
			lo = jint(wake, "min") < lo ? jint(wake, "min") : lo;
			hi = jint(wake, "max") > hi ? jint(wake, "max") : hi;
		}
	}
	if (r->wake_lat.count) { /* the buckets' lower bounds stand for their samples; min and max are exact */
		r->wake_lat.min = lo;
		r->wake_lat.max = hi;
	}
}

/* sets_host_idle - the assignments choose the host's idle states themselves. */
static bool sets_host_idle(const char *const *sets, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strncmp(sets[i], "host.max_cstate=", 16) || !strncmp(sets[i], "host.idle_poll=", 15))
			return true;
	return false;
}

/* limit_idle - the deepest idle state of the scenario's profile that wakes within latency_ns (0: POLL). */
static void limit_idle(struct scenario *sc, int64_t latency_ns, struct replay_result *r)
{
	struct cost_profile p;
	struct conf_err e;
	memset(&p, 0, sizeof(p));
	if (cost_profile_load(&p, sc->cost_profile, &e)) /* machine_build reports it */
		return;
	if (!p.nidle) {
		cost_profile_free(&p);
		return;
	}
	int deepest = 0;
	for (int i = 0; i < p.nidle; i++)
		if (p.idle[i].exit_latency <= (sim_time_t)latency_ns * SIM_NS)
			deepest = i;
	if (deepest < sc->host.max_cstate)
		sc->host.max_cstate = deepest;
	int64_t shown = sc->host.max_cstate < p.nidle ? sc->host.max_cstate : p.nidle - 1;
	snprintf(r->idle_limit, sizeof(r->idle_limit), "%s", p.idle[shown].name);
	cost_profile_free(&p);
}

/* load_scenario - our scenario file with the model's, the column's and an extra assignment; -1 with a message. */
static int load_scenario(struct scenario *sc, const char *path, const struct replay_model *m,
			 const struct replay_column *col, const char *extra, char *err, size_t errlen)
{
	size_t nsets = m->nsets + col->nsets + (extra != NULL);
	struct scenario_set *ss = xrealloc(NULL, (nsets ? nsets : 1) * sizeof(*ss));
	for (size_t i = 0; i < m->nsets; i++)
		ss[i] = (struct scenario_set){ m->sets[i], NULL };
	for (size_t i = 0; i < col->nsets; i++)
		ss[m->nsets + i] = (struct scenario_set){ col->sets[i], NULL };
	if (extra)
		ss[nsets - 1] = (struct scenario_set){ extra, NULL };
	struct conf_err cerr;
	memset(sc, 0, sizeof(*sc));
	int rc = scenario_load(sc, path, ss, nsets, &cerr);
	free(ss);
	if (rc) {
		/* the scenario is ours, a temporary file: only the assignments can be wrong */
		const char *msg = cerr.msg;
		size_t pl = strlen(path);
		if (!strncmp(msg, path, pl) && msg[pl] == ':') { /* "PATH:LINE: " */
			msg += pl + 1;
			while (*msg >= '0' && *msg <= '9')
				msg++;
			msg += *msg == ':';
			msg += *msg == ' ';
		}
		snprintf(err, errlen, "%s", msg);
		scenario_free(sc);
		return -1;
	}
	return 0;
}

/* run_once - scenario file, --set assignments, machine run, figures from its report and trace (st). */
static int run_once(const struct replay_trace *t, const char *dir, const struct replay_model *m,
		    const struct replay_column *col, int64_t idle_bound_ns, struct replay_result *r,
		    struct sim_trace *st, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", col->name);
	sim_hist_init(&r->wake_lat);
	r->span_ns = t->last_ts - t->first_ts;

	/* long enough for every arrival and the work it brings */
	int64_t duration = t->last_ts - t->t0;
	for (size_t i = 0; i < t->nvcpus; i++) {
		const struct replay_vcpu *v = &t->vcpus[i];
		if (v->nhalts && v->halts[v->nhalts - 1].end - t->t0 > duration)
			duration = v->halts[v->nhalts - 1].end - t->t0;
	}
	duration += REPLAY_TAIL_NS;

	char path[4200];
	snprintf(path, sizeof(path), "%s/scenario.yaml", dir);
	FILE *f = fopen(path, "w");
	if (!f || write_scenario(f, t, m, col, dir, duration) | fclose(f)) {
		snprintf(err, errlen, "cannot write a scenario in %s: %s", dir, strerror(errno));
		unlink(path);
		return TRACE_READ_FAILED; /* the work failed, not the input */
	}

	struct scenario sc;
	int rc = load_scenario(&sc, path, m, col, NULL, err, errlen);
	unlink(path);
	if (rc)
		return rc;

	snprintf(r->kernel, sizeof(r->kernel), "%s", sc.kernel);
	if (idle_bound_ns >= 0 && !sets_host_idle(m->sets, m->nsets) && !sets_host_idle(col->sets, col->nsets))
		limit_idle(&sc, idle_bound_ns, r);
	FILE *tf = fopencookie(st, "w", (cookie_io_functions_t){ .write = sim_trace_write });
	struct machine mach;
	struct conf_err cerr;
	if (!tf || machine_build(&mach, &sc, tf, &cerr)) {
		snprintf(err, errlen, "%s", tf ? cerr.msg : "cannot open the simulated trace");
		if (tf)
			fclose(tf);
		scenario_free(&sc);
		return -1;
	}
	mach.trace_ns = true; /* the gaps between halts, to the nanosecond */
	struct run_info ri = { 0, 0 };
	ri.events = machine_run_until(&mach, sc.duration);
	machine_finish(&mach);
	fclose(tf); /* flushes the last lines through sim_trace_write */
	json_t *rep = report_json(&mach, &ri);
	collect(rep, r);
	json_decref(rep);
	r->grows = st->grows;
	r->shrinks = st->shrinks;
	r->halts = st->wakeups; /* not the report's HLT exits: the last halt of each vCPU never ends */
	machine_free(&mach);
	scenario_free(&sc);
	return 0;
}

/* run_with_path - write the arrivals without the model's own figures (own) to a temporary file and run on them. */
static int run_with_path(const struct replay_trace *t, const struct replay_model *m, const struct replay_column *col,
			 const struct replay_model_own *own, int64_t idle_bound_ns, struct replay_result *r,
			 struct sim_trace *st, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r)); /* the caller frees it, whatever happens here */
	sim_hist_init(&r->wake_lat);
	const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char dir[4096], path[4200];
	snprintf(dir, sizeof(dir), "%s/kvmsim-replay-XXXXXX", tmp);
	if (!mkdtemp(dir)) {
		snprintf(err, errlen, "cannot write the arrivals in %s: %s", tmp, strerror(errno));
		return TRACE_READ_FAILED;
	}
	int rc = 0;
	for (size_t i = 0; i <= t->nprods && !rc; i++) { /* the arrivals, then each modelled producer */
		if (i < t->nprods && t->prods[i].pcpu < 0)
			continue;
		if (i < t->nprods)
			snprintf(path, sizeof(path), "%s/producer-%zu", dir, i);
		else
			snprintf(path, sizeof(path), "%s/arrivals", dir);
		FILE *f = fopen(path, "w");
		int w = !f ? -1
		    : i < t->nprods ? replay_write_producer(t, i, f)
				    : replay_write_arrivals(t, f, own);
		if (!f || w | fclose(f)) {
			snprintf(err, errlen, "cannot write the arrivals in %s: %s", dir, strerror(errno));
			rc = TRACE_READ_FAILED;
		}
	}
	if (!rc)
		rc = run_once(t, dir, m, col, idle_bound_ns, r, st, err, errlen);
	for (size_t i = 0; i <= t->nprods; i++) {
		if (i < t->nprods)
			snprintf(path, sizeof(path), "%s/producer-%zu", dir, i);
		else
			snprintf(path, sizeof(path), "%s/arrivals", dir);
		unlink(path);
	}
	rmdir(dir);
	return rc;
}

/* median - of n sorted in place; -1 for none. */
static int64_t median(int64_t *v, size_t n)
{
	if (!n)
		return -1;
	qsort(v, n, sizeof(*v), sim_cmp_i64);
	return v[(n - 1) / 2];
}

/* first_run - a run with the works whole and no wake-up delays: the model's own figures (medians). */
static int first_run(const struct replay_trace *t, const struct replay_model *m, const struct replay_column *col,
		     int64_t idle_bound_ns, struct replay_model_own *own, char *err, size_t errlen)
{
	struct sim_trace st0;
	struct replay_result r0;
	memset(&r0, 0, sizeof(r0)); /* freed even if the run could not start */
	sim_hist_init(&r0.wake_lat);
	sim_trace_init(&st0);
	const struct replay_model_own first = { INT64_MAX, -1, -1, 0 };
	int rc = run_with_path(t, m, col, &first, idle_bound_ns, &r0, &st0, err, errlen);
	replay_result_free(&r0);
	if (!rc) {
		own->path_ns = t->work_gap ? median(st0.gaps, st0.ngaps) : -1;
		own->wake_ns = median(st0.lat, st0.nlat);
		own->poll_ns = median(st0.poll, st0.npoll);
		own->deliver_ns = st0.ndeliver ? median(st0.deliver, st0.ndeliver) : 0;
	}
	sim_trace_free(&st0);
	return rc;
}

/*
 * replay_run - a first run measures the model's own path and wake-ups, then
 * the column runs without them. When the trace shows its sleep wake-ups, the
 * host polls when idle (no idle state below POLL): each halt's recorded
 * wake-up, replayed as its extra delay, already holds the recorded host's
 * idle exit, and a state the model picks would add its own on top, differently
 * in the first run (no extra delays) and the column's (the governor sees other
 * idle periods), so that halts ended late and merged into the guest's run.
 */
int replay_run(const struct replay_trace *t, const struct replay_model *m, const struct replay_column *col,
	       struct replay_result *r, char *err, size_t errlen)
{
	struct replay_model_own own = { -1, -1, -1, 0 };
	int64_t bound = m->calibrate_idle && t->slept_measured ? 0 : -1; /* exit latency 0: POLL */
	if (t->work_gap || bound >= 0) {
		int rc = first_run(t, m, col, bound, &own, err, errlen);
		if (rc)
			return rc;
		if (bound < 0)
			own.wake_ns = -1; /* nothing recorded to replay */
	}
	struct sim_trace st;
	sim_trace_init(&st);
	int64_t path_ns = own.path_ns;
	if (own.path_ns < 0)
		own.path_ns = 0;
	int rc = run_with_path(t, m, col, &own, bound, r, &st, err, errlen);
	sim_trace_free(&st);
	r->path_ns = path_ns;
	r->idle_bound_ns = bound;
	r->wake_extra_ns = own.wake_ns < 0 ? -1
			   : t->median_latency_ns > own.wake_ns ? t->median_latency_ns - own.wake_ns : 0;
	return rc;
}
