/* trace_replay.c - rebuilding a trace's load and simulating it under another setting (trace_replay.h). */
#define _GNU_SOURCE /* fopencookie */
#include "traces/trace_replay.h"
#include "sim/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "workloads/scenario/machine.h"
#include "workloads/scenario/report.h"
#include "traces/trace_read.h"


/* vcpu_of - the thread's record; NULL if it has none and create is false. */
static struct replay_vcpu *vcpu_of(struct replay_trace *t, const struct trace_event *ev, bool create)
{
	long at = pid_map_get(&t->by_pid, ev->pid);
	if (at >= 0)
		return &t->vcpus[at];
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
	snprintf(v->comm, sizeof(v->comm), "%s", ev->comm);
	unsigned id;
	char tail;
	if (sscanf(ev->comm, "CPU %u/KV%c", &id, &tail) == 2) /* QEMU's name, until the trace says */
		v->vcpu_id = id;
	return v;
}

/* count_cpu - one more halt of v ended on cpu (a thread on more CPUs than kept counts on the last). */
static void count_cpu(struct replay_vcpu *v, int32_t cpu)
{
	size_t cap = sizeof(v->cpus) / sizeof(*v->cpus), i = 0;
	while (i < v->ncpus && v->cpus[i].cpu != cpu)
		i++;
	if (i == v->ncpus) {
		if (v->ncpus == cap)
			i = cap - 1;
		else
			v->cpus[v->ncpus++] = (typeof(v->cpus[0])){ cpu, 0 };
	}
	v->cpus[i].n++;
}

/* place_vcpus - each thread on its most used CPU; the CPUs used become pCPUs 0.. in CPU order. */
static void place_vcpus(struct replay_trace *t)
{
	int32_t used[1024];
	size_t nused = 0;
	for (size_t i = 0; i < t->nvcpus; i++) {
		struct replay_vcpu *v = &t->vcpus[i];
		v->cpu = 0;
		uint64_t best = 0;
		for (size_t k = 0; k < v->ncpus; k++)
			if (v->cpus[k].n > best || (v->cpus[k].n == best && v->cpus[k].cpu < v->cpu))
				best = v->cpus[k].n, v->cpu = v->cpus[k].cpu;
		size_t j = 0;
		while (j < nused && used[j] != v->cpu)
			j++;
		if (j == nused && nused < sizeof(used) / sizeof(*used))
			used[nused++] = v->cpu;
	}
	for (size_t i = 0; i < t->nvcpus; i++) {
		struct replay_vcpu *v = &t->vcpus[i];
		v->pcpu = 0;
		for (size_t j = 0; j < nused; j++)
			v->pcpu += used[j] < v->cpu;
	}
	t->npcpus = nused ? nused : 1;
}

/* replay_trace_add - halts, decisions, guest time and interrupts, per thread. */
int replay_trace_add(void *ctx, const struct trace_event *ev)
{
	struct replay_trace *t = ctx;
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
		v->halts[v->nhalts++] = (struct replay_halt){ ev->ts_ns, ev->wakeup.ns, ev->wakeup.waited, v->hpn, -1,
								 ev->line };
		count_cpu(v, ev->cpu);
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
		/* fall through */
	case KEV_APIC_ACCEPT_IRQ:
		if (t->nirqs == t->cap_irqs) {
			t->cap_irqs = t->cap_irqs ? 2 * t->cap_irqs : 1024;
			t->irqs = xrealloc(t->irqs, t->cap_irqs * sizeof(*t->irqs));
		}
		t->irqs[t->nirqs++] = (struct replay_irq){
			ev->ts_ns, ev->type == KEV_MSI_SET_IRQ ? (uint32_t)ev->msi.dst : ev->accept.apicid
		};
		break;
	default:
		break;
	}
	return 0;
}

struct arrival {
	int64_t t, work;
	size_t vcpu;
	long line; /* of the halt it ends */
};

/* cmp_arrival - by time, then vCPU (a stable, deterministic order). */
static int cmp_arrival(const void *a, const void *b)
{
	const struct arrival *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->vcpu < y->vcpu ? -1 : x->vcpu > y->vcpu;
}

/* cmp_i64 - ascending int64_t, for qsort. */
static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* irq_in - the first interrupt for apicid in (start, end], from *cursor on (advanced past start). */
static const struct replay_irq *irq_in(const struct replay_trace *t, size_t *cursor, uint32_t apicid, int64_t start,
				       int64_t end)
{
	while (*cursor < t->nirqs && t->irqs[*cursor].ts <= start)
		(*cursor)++;
	for (size_t i = *cursor; i < t->nirqs && t->irqs[i].ts <= end; i++)
		if (t->irqs[i].apicid == apicid)
			return &t->irqs[i];
	return NULL;
}

/* replay_build - wake sources and works per halt, the recorded column, the arrivals file. */
int replay_build(struct replay_trace *t, const char *name, int64_t latency_ns, FILE *out, char *err,
		 size_t errlen)
{
	size_t nh = 0;
	for (size_t i = 0; i < t->nvcpus; i++)
		nh += t->vcpus[i].nhalts;
	if (!nh) {
		snprintf(err, errlen, "%s: the trace has no kvm_vcpu_wakeup events: nothing to replay", name);
		return TRACE_READ_BAD;
	}
	place_vcpus(t);
	struct replay_result *rec = &t->recorded;
	memset(rec, 0, sizeof(*rec));
	snprintf(rec->name, sizeof(rec->name), "recorded");
	rec->recorded = true;
	sim_hist_init(&rec->wake_lat);

	/* the wake-up latencies the trace shows for halts that slept */
	int64_t *lat = xrealloc(NULL, nh * sizeof(*lat));
	size_t nlat = 0;
	for (size_t i = 0; i < t->nvcpus; i++) {
		struct replay_vcpu *v = &t->vcpus[i];
		size_t cur = 0;
		for (size_t k = 0; k < v->nhalts; k++) {
			const struct replay_halt *h = &v->halts[k];
			const struct replay_irq *q = irq_in(t, &cur, v->vcpu_id, h->end - (int64_t)h->ns, h->end);
			if (q && h->waited)
				lat[nlat++] = h->end - q->ts;
		}
	}
	qsort(lat, nlat, sizeof(*lat), cmp_i64);
	t->slept_measured = nlat;
	t->median_latency_ns = nlat ? lat[(nlat - 1) / 2] : 0;
	t->assumed_latency_ns = latency_ns >= 0 ? latency_ns : t->median_latency_ns;
	free(lat);

	struct arrival *a = xrealloc(NULL, nh * sizeof(*a));
	size_t na = 0;
	int64_t t0 = t->first_ts;
	for (size_t i = 0; i < t->nvcpus; i++) {
		struct replay_vcpu *v = &t->vcpus[i];
		size_t cur = 0;
		for (size_t k = 0; k < v->nhalts; k++) {
			const struct replay_halt *h = &v->halts[k];
			int64_t start = h->end - (int64_t)h->ns;
			const struct replay_irq *q = irq_in(t, &cur, v->vcpu_id, start, h->end);
			int64_t at;
			if (q) {
				at = q->ts;
				t->measured++;
				sim_hist_record(&rec->wake_lat, h->end - q->ts);
			} else if (h->waited) {
				at = h->end - t->assumed_latency_ns;
				t->assumed++;
			} else {
				at = h->end;
			}
			if (at < start)
				at = start;
			int64_t work = 0;
			if (k + 1 < v->nhalts && h->guest_ns >= 0) {
				work = h->guest_ns;
				t->work_guest++;
			} else if (k + 1 < v->nhalts) {
				work = v->halts[k + 1].end - (int64_t)v->halts[k + 1].ns - h->end;
				if (work < 0) /* timestamps rounded to the microsecond */
					work = 0;
				t->work_gap++;
			}
			a[na++] = (struct arrival){ at, work, i, h->line };
			if (at < t0)
				t0 = at;

			rec->halts++;
			if (h->hpn_before) {
				rec->polls_attempted++;
				if (!h->waited) {
					rec->polls_ok++;
					rec->poll_ok_ns += (int64_t)h->ns;
				} else {
					rec->poll_fail_ns += (int64_t)(h->ns < h->hpn_before ? h->ns : h->hpn_before);
				}
			}
		}
		rec->grows += v->grows;
		rec->shrinks += v->shrinks;
	}
	qsort(a, na, sizeof(*a), cmp_arrival);
	/* what an arrivals workload takes (the timestamps are at most TRACE_TS_MAX: no overflow here) */
	int rc = 0;
	for (size_t i = 0; i < na && !rc; i++)
		if (a[i].work > REPLAY_MAX_WORK_NS) {
			snprintf(err, errlen, "%s:%ld: the guest ran %lld s after this halt; replay takes at most a day",
				 name, a[i].line, (long long)(a[i].work / 1000000000));
			rc = TRACE_READ_BAD;
		}
	if (!rc && t->last_ts > t0 + REPLAY_MAX_SPAN_NS) {
		snprintf(err, errlen,
			 "%s: the trace spans %lld s from its first wake source; replay simulates at most a day (86400 s)",
			 name, (long long)((t->last_ts - t0) / 1000000000));
		rc = TRACE_READ_BAD;
	}
	if (rc) {
		free(a);
		return rc;
	}
	t->t0 = t0;
	t->arrivals = na;
	rec->span_ns = t->last_ts - t->first_ts;
	rec->arrivals = na;
	fprintf(out, "# kvmsim trace replay: VCPU TIME_NS WORK_NS, time from the trace clock's %lld ns\n",
		(long long)t0);
	for (size_t i = 0; i < na; i++)
		fprintf(out, "%zu %lld %lld\n", a[i].vcpu, (long long)(a[i].t - t0), (long long)a[i].work);
	free(a);
	if (fflush(out) || ferror(out)) {
		snprintf(err, errlen, "%s", strerror(errno));
		return TRACE_READ_FAILED;
	}
	return 0;
}

/* ---- the simulated run's own trace, read back line by line ----------------------- */

struct sim_trace {
	char line[4096];
	size_t len;
	uint64_t grows, shrinks;
};

/* sim_trace_line - one line the machine wrote: count its kvm_halt_poll_ns decisions. */
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
	if (ev.type != KEV_HALT_POLL_NS || trace_event_parse(&ev, tl.payload, why, sizeof(why)))
		return;
	if (ev.hpn.grow)
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

/* write_scenario - one VM, a vCPU per thread on the pCPU of its CPU, fed by the arrivals. */
static int write_scenario(FILE *f, const struct replay_trace *t, const struct replay_model *m,
			  const struct replay_column *col, const char *arrivals_path, int64_t duration)
{
	/* no warm-up: the replay is compared with the recording over the same whole window */
	fprintf(f, "name: trace replay\nduration: %lldns\nwarmup: 0\narch: %s\n", (long long)duration, m->arch);
	if (m->kernel) { /* else the scenario default */
		fprintf(f, "kernel: ");
		yaml_str(f, m->kernel);
		fprintf(f, "\n");
	}
	fprintf(f, "host:\n  pcpus: %zu\nvm:\n  vcpus: %zu\n  pin: [", t->npcpus, t->nvcpus);
	for (size_t i = 0; i < t->nvcpus; i++)
		fprintf(f, "%s%zu", i ? ", " : "", t->vcpus[i].pcpu);
	fprintf(f, "]\n  policy: ");
	yaml_str(f, col->policy);
	fprintf(f, "\n  workload: {type: arrivals, file: ");
	yaml_str(f, arrivals_path);
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
		r->halts += (uint64_t)jint(v, "halts");
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

/* limit_idle - the deepest idle state of the scenario's profile that wakes within latency_ns. */
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

/* replay_run - scenario file, --set assignments, machine run, figures from its report and trace. */
int replay_run(const struct replay_trace *t, const char *arrivals_path, const struct replay_model *m,
	       const struct replay_column *col, struct replay_result *r, char *err, size_t errlen)
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

	char path[4096];
	const char *dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(path, sizeof(path), "%s/kvmsim-replay-XXXXXX.yaml", dir);
	int fd = mkstemps(path, 5);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f || write_scenario(f, t, m, col, arrivals_path, duration) | fclose(f)) {
		snprintf(err, errlen, "cannot write a scenario in %s: %s", dir, strerror(errno));
		if (!f && fd >= 0)
			close(fd);
		if (fd >= 0)
			unlink(path);
		return TRACE_READ_FAILED; /* the work failed, not the input */
	}

	size_t nsets = m->nsets + col->nsets;
	struct scenario_set *ss = xrealloc(NULL, (nsets ? nsets : 1) * sizeof(*ss));
	for (size_t i = 0; i < m->nsets; i++)
		ss[i] = (struct scenario_set){ m->sets[i], NULL };
	for (size_t i = 0; i < col->nsets; i++)
		ss[m->nsets + i] = (struct scenario_set){ col->sets[i], NULL };
	struct scenario sc;
	struct conf_err cerr;
	memset(&sc, 0, sizeof(sc));
	int rc = scenario_load(&sc, path, ss, nsets, &cerr);
	unlink(path);
	free(ss);
	if (rc) {
		/* the scenario is ours, a temporary file now gone: only the assignments can be wrong */
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
		scenario_free(&sc);
		return -1;
	}

	snprintf(r->kernel, sizeof(r->kernel), "%s", sc.kernel);
	if (m->calibrate_idle && t->slept_measured && !sets_host_idle(m->sets, m->nsets) &&
	    !sets_host_idle(col->sets, col->nsets))
		limit_idle(&sc, t->median_latency_ns, r);
	struct sim_trace st = { .len = 0 };
	FILE *tf = fopencookie(&st, "w", (cookie_io_functions_t){ .write = sim_trace_write });
	struct machine mach;
	if (!tf || machine_build(&mach, &sc, tf, &cerr)) {
		snprintf(err, errlen, "%s", tf ? cerr.msg : "cannot open the simulated trace");
		if (tf)
			fclose(tf);
		scenario_free(&sc);
		return -1;
	}
	struct run_info ri = { 0, 0 };
	ri.events = machine_run_until(&mach, sc.duration);
	machine_finish(&mach);
	fclose(tf); /* flushes the last lines through sim_trace_write */
	json_t *rep = report_json(&mach, &ri);
	collect(rep, r);
	json_decref(rep);
	r->grows = st.grows;
	r->shrinks = st.shrinks;
	machine_free(&mach);
	scenario_free(&sc);
	return 0;
}

/* replay_result_free - the column's latency histogram. */
void replay_result_free(struct replay_result *r)
{
	sim_hist_free(&r->wake_lat);
}

/* replay_trace_free - everything replay_trace_add and replay_build kept. */
void replay_trace_free(struct replay_trace *t)
{
	for (size_t i = 0; i < t->nvcpus; i++)
		free(t->vcpus[i].halts);
	free(t->vcpus);
	pid_map_free(&t->by_pid);
	free(t->irqs);
	replay_result_free(&t->recorded);
	memset(t, 0, sizeof(*t));
}
