/* trace_replay.c - rebuilding a trace's load and simulating it under another setting (trace_replay.h). */
#include "traces/trace_replay.h"
#include "sim/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "traces/trace_read.h"


/* most_used - the CPU with the most events (the lowest on a tie); 0 if none. */
static int32_t most_used(const struct replay_cpus *c)
{
	int32_t cpu = 0;
	uint64_t best = 0;
	for (size_t k = 0; k < c->n; k++)
		if (c->at[k].n > best || (c->at[k].n == best && c->at[k].cpu < cpu))
			best = c->at[k].n, cpu = c->at[k].cpu;
	return cpu;
}

/* place_vcpus - each thread on its most used CPU; the CPUs used become pCPUs 0.. in CPU order. */
static void place_vcpus(struct replay_trace *t)
{
	int32_t used[1024];
	size_t nused = 0;
	for (size_t i = 0; i < t->nvcpus; i++) {
		struct replay_vcpu *v = &t->vcpus[i];
		v->cpu = most_used(&v->cpus);
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
	/* the producers that shared a CPU with a vCPU thread (and are none themselves) */
	t->prods_modelled = 0;
	for (size_t i = 0; i < t->nprods; i++) {
		struct replay_producer *p = &t->prods[i];
		p->cpu = most_used(&p->cpus);
		p->pcpu = -1;
		if (pid_map_get(&t->by_pid, p->pid) >= 0)
			continue;
		for (size_t j = 0; j < nused; j++)
			if (used[j] == p->cpu) {
				p->pcpu = 0;
				for (size_t k = 0; k < nused; k++)
					p->pcpu += used[k] < p->cpu;
				t->prods_modelled++;
			}
	}
}

/* cmp_arrival - by time, then vCPU (a stable, deterministic order). */
static int cmp_arrival(const void *a, const void *b)
{
	const struct replay_arrival *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->vcpu < y->vcpu ? -1 : x->vcpu > y->vcpu;
}

/*
 * irq_for - the interrupt is for vCPU thread v: its APIC id, and its VM when
 * both are known (the TGID of the thread that raised it, where that is a VM's
 * process: two VMs have vCPUs of the same APIC id).
 */
static bool irq_for(const struct replay_irq *q, const struct replay_vcpu *v)
{
	return q->apicid == v->vcpu_id && (q->tgid < 0 || v->tgid < 0 || q->tgid == v->tgid);
}

/* irq_in - the first interrupt for v in (start, end], from *cursor on (advanced past start). */
static const struct replay_irq *irq_in(const struct replay_trace *t, size_t *cursor, const struct replay_vcpu *v,
				       int64_t start, int64_t end)
{
	while (*cursor < t->nirqs && t->irqs[*cursor].ts <= start)
		(*cursor)++;
	for (size_t i = *cursor; i < t->nirqs && t->irqs[i].ts <= end; i++)
		if (irq_for(&t->irqs[i], v))
			return &t->irqs[i];
	return NULL;
}

/*
 * irq_rounded - with timestamps rounded down to the microsecond, an interrupt
 * stamped up to 1 us before a halt's start (but after lo, the previous halt's
 * end) may have come after it: the latest such for v, if any. cursor is
 * where irq_in left it (the first interrupt after start).
 */
static const struct replay_irq *irq_rounded(const struct replay_trace *t, size_t cursor,
					    const struct replay_vcpu *v, int64_t lo, int64_t start)
{
	if (t->sub_us)
		return NULL;
	if (lo < start - 1000)
		lo = start - 1000;
	for (size_t i = cursor; i-- > 0 && t->irqs[i].ts > lo;)
		if (irq_for(&t->irqs[i], v) && t->irqs[i].ts <= start)
			return &t->irqs[i];
	return NULL;
}

/*
 * poll_cut - when a poll on cpu from start that gave up by `until` ended: a
 * thread that raised an MSI there meanwhile (not a vCPU thread) had woken on
 * that CPU, and a poll stops when another task is runnable (the kernel's
 * single_task_running()); it ran about REPLAY_PRODUCER_RUN_NS before raising.
 */
static int64_t poll_cut(const struct replay_trace *t, int32_t cpu, int64_t start, int64_t until)
{
	int64_t end = until;
	for (size_t i = 0; i < t->nprods; i++) {
		const struct replay_producer *p = &t->prods[i];
		if (pid_map_get(&t->by_pid, p->pid) >= 0)
			continue;
		size_t lo = 0, hi = p->nts; /* the first MSI after start */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (p->ts[mid] <= start)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t k = lo; k < p->nts && p->ts[k] < end; k++)
			if (p->ts_cpu[k] == cpu) {
				int64_t woke = p->ts[k] - REPLAY_PRODUCER_RUN_NS;
				end = woke > start ? woke : start;
				break;
			}
	}
	return end;
}

/* off_from - the first of v's off-CPU intervals that ends after t (or has not ended). */
static size_t off_from(const struct replay_vcpu *v, int64_t t)
{
	size_t lo = 0, hi = v->noff;
	while (lo < hi) { /* the intervals are in time order: by their start */
		size_t mid = lo + (hi - lo) / 2;
		if (v->off[mid].out <= t && v->off[mid].in >= 0 && v->off[mid].in <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * first_out - when v first left its CPU in (from, to]; to if it did not (sched_switch seen).
 * from is a halt's start worked out from its end (microseconds in text traces) less its wait
 * time (nanoseconds): a switch stamped up to a microsecond before it is that halt's poll
 * ending (the thread cannot leave its CPU and then halt), and counts as ending at from.
 */
static int64_t first_out(const struct replay_vcpu *v, int64_t from, int64_t to)
{
	const int64_t slack = 1000;
	for (size_t i = off_from(v, from - slack); i < v->noff && v->off[i].out <= to; i++)
		if (v->off[i].out > from - slack)
			return v->off[i].out > from ? v->off[i].out : from;
	return to;
}

/* preempted - how long v was off its CPU while runnable (preempted) within (from, to). */
static int64_t preempted(const struct replay_vcpu *v, int64_t from, int64_t to)
{
	int64_t sum = 0;
	for (size_t i = off_from(v, from); i < v->noff && v->off[i].out < to; i++) {
		if (!v->off[i].runnable)
			continue;
		int64_t a = v->off[i].out > from ? v->off[i].out : from;
		int64_t b = v->off[i].in >= 0 && v->off[i].in < to ? v->off[i].in : to;
		sum += b > a ? b - a : 0;
	}
	return sum;
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
	/* a halt cannot begin before its thread's previous one ended (1 us: timestamps rounded to it) */
	for (size_t i = 0; i < t->nvcpus; i++)
		for (size_t k = 1; k < t->vcpus[i].nhalts; k++) {
			const struct replay_halt *p = &t->vcpus[i].halts[k - 1], *h = &t->vcpus[i].halts[k];
			if (h->end - (int64_t)h->ns < p->end - 1000) {
				snprintf(err, errlen,
					 "%s:%ld: a halt of %llu ns would begin %lld ns before this thread's previous halt "
					 "ended (line %ld)",
					 name, h->line, (unsigned long long)h->ns,
					 (long long)(p->end - (h->end - (int64_t)h->ns)), p->line);
				return TRACE_READ_BAD;
			}
		}
	place_vcpus(t);
	/* an interrupt's TGID tells its VM only if it is a VM's (a vCPU thread's) process, not a kworker's */
	for (size_t i = 0; i < t->nirqs; i++) {
		size_t k = 0;
		while (k < t->nvcpus && (t->irqs[i].tgid < 0 || t->vcpus[k].tgid != t->irqs[i].tgid))
			k++;
		if (k == t->nvcpus)
			t->irqs[i].tgid = -1;
	}
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
			const struct replay_irq *q = irq_in(t, &cur, v, h->end - (int64_t)h->ns, h->end);
			if (!q)
				q = irq_rounded(t, cur, v, k ? v->halts[k - 1].end : INT64_MIN,
						h->end - (int64_t)h->ns);
			if (q && h->waited)
				lat[nlat++] = h->end - q->ts;
		}
	}
	qsort(lat, nlat, sizeof(*lat), sim_cmp_i64);
	t->slept_measured = nlat;
	t->median_latency_ns = nlat ? lat[(nlat - 1) / 2] : 0;
	t->assumed_latency_ns = latency_ns >= 0 ? latency_ns : t->median_latency_ns;
	free(lat);

	struct replay_arrival *a = xrealloc(NULL, nh * sizeof(*a));
	size_t na = 0;
	int64_t t0 = t->first_ts;
	for (size_t i = 0; i < t->nvcpus; i++) {
		struct replay_vcpu *v = &t->vcpus[i];
		size_t cur = 0;
		for (size_t k = 0; k < v->nhalts; k++) {
			const struct replay_halt *h = &v->halts[k];
			int64_t start = h->end - (int64_t)h->ns;
			const struct replay_irq *q = irq_in(t, &cur, v, start, h->end);
			if (!q)
				q = irq_rounded(t, cur, v, k ? v->halts[k - 1].end : INT64_MIN, start);
			int64_t at, hlat = -1;
			bool at_accept = false;
			/*
			 * A halt that ended without sleeping but after its poll window
			 * closed: the recorded host held the thread (its poll loop saw
			 * the window end late, then the interrupt before it slept).
			 * Replayed as a poll that gave up at its window and a wake-up as
			 * late as the trace shows, so that it keeps its length, on which
			 * the halt_poll_ns decision turns; its poll counts as failed.
			 */
			bool slept = h->waited ||
				     (h->hpn_before && h->ns > (uint64_t)h->hpn_before + REPLAY_PAST_WINDOW_NS);
			if (q) {
				at = q->ts;
				hlat = slept ? h->end - q->ts : -1;
				/* the IRR set, if the trace shows it: the moment a wake-up can see it */
				for (const struct replay_irq *x = q; x < t->irqs + t->nirqs && x->ts <= h->end; x++)
					if (irq_for(x, v) && x->accept) {
						at = x->ts;
						at_accept = true;
						hlat = slept ? h->end - x->ts : -1;
						break;
					}
				t->measured++;
				sim_hist_record(&rec->wake_lat, h->end - q->ts);
			} else if (h->waited) {
				at = h->end - t->assumed_latency_ns;
				hlat = t->assumed_latency_ns;
				t->assumed++;
			} else {
				at = h->end; /* the halt found it without sleeping: its IRR was set by then */
				at_accept = true;
			}
			if (at < start)
				at = start;
			/*
			 * The timestamps may be rounded (to the microsecond), and the
			 * interrupt's and the halt's come from two CPUs' clocks: a halt
			 * that slept was woken after its poll window (if any) closed and
			 * it had gone to sleep, whatever the timestamps say; so its source
			 * is placed just past that, and its latency counted from there.
			 */
			int64_t closed = start + (int64_t)h->hpn_before + REPLAY_PAST_WINDOW_NS;
			if (slept && at < closed && closed < h->end)
				at = closed;
			if (slept) /* what the host took to wake it, from where its source now is */
				hlat = h->end - at;
			int64_t work = 0;
			bool from_gap = false;
			if (k + 1 < v->nhalts && h->guest_ns >= 0) {
				work = h->guest_ns;
				t->work_guest++;
			} else if (k + 1 < v->nhalts) {
				int64_t next = v->halts[k + 1].end - (int64_t)v->halts[k + 1].ns;
				/* the thread's time on its CPU: not what it waited preempted (with sched_switch) */
				work = next - h->end - preempted(v, h->end, next);
				if (work < 0) /* timestamps rounded to the microsecond */
					work = 0;
				from_gap = true;
				t->work_gap++;
			}
			a[na++] = (struct replay_arrival){ at, work, i, h->line, from_gap, hlat, at_accept, h->end,
							   closed < h->end ? closed : start };
			if (at < t0)
				t0 = at;

			rec->halts++;
			if (h->hpn_before) {
				rec->polls_attempted++;
				if (!h->waited) {
					rec->polls_ok++;
					rec->poll_ok_ns += (int64_t)h->ns;
				} else {
					int64_t until = start + (int64_t)(h->ns < h->hpn_before ? h->ns : h->hpn_before);
					/* it left its CPU (sched_switch), else was cut by a thread that woke there */
					rec->poll_fail_ns += (t->sched ? first_out(v, start, until)
								       : poll_cut(t, v->cpu, start, until)) - start;
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
	free(t->arr);
	t->arr = a;
	if (out && replay_write_arrivals(t, out, NULL)) {
		snprintf(err, errlen, "%s", strerror(errno));
		return TRACE_READ_FAILED;
	}
	return 0;
}

int replay_write_producer(const struct replay_trace *t, size_t i, FILE *out)
{
	const struct replay_producer *p = &t->prods[i];
	fprintf(out, "# kvmsim trace replay: %s-%d's wake-ups (TIME_NS WORK_NS), time from the trace clock's %lld ns\n",
		p->comm, p->pid, (long long)t->t0);
	int64_t last = 0;
	for (size_t k = 0; k < p->nts; k++) {
		int64_t at = p->ts[k] - t->t0 - REPLAY_PRODUCER_RUN_NS;
		if (at < last)
			at = last;
		last = at;
		fprintf(out, "%lld %lld\n", (long long)at, (long long)REPLAY_PRODUCER_RUN_NS);
	}
	return fflush(out) || ferror(out) ? -1 : 0;
}

/* replay_write_arrivals - the arrivals file, gap-derived works less the model's path (at least 0). */
int replay_write_arrivals(const struct replay_trace *t, FILE *out, const struct replay_model_own *own)
{
	static const struct replay_model_own none = { 0, -1, -1, 0 };
	if (!own)
		own = &none;
	fprintf(out, "# kvmsim trace replay: VCPU TIME_NS WORK_NS%s, time from the trace clock's %lld ns\n",
		own->wake_ns >= 0 ? " WAKE_NS" : "", (long long)t->t0);
	int64_t last = 0;
	for (size_t i = 0; i < t->arrivals; i++) {
		const struct replay_arrival *a = &t->arr[i];
		int64_t work = a->from_gap ? (a->work > own->path_ns ? a->work - own->path_ns : 0) : a->work;
		int64_t irr = a->t; /* when the IRR is to be set */
		/*
		 * A halt that polled ended when its poll saw the IRR: where the
		 * recorded host took longer to see it than the model does (or the
		 * timestamps are rounded), the IRR is set later, so that the
		 * simulated halt has the recorded length (the halt_poll_ns
		 * decisions turn on it to the nanosecond).
		 */
		if (a->lat < 0 && own->poll_ns >= 0 && a->end - own->poll_ns > irr)
			irr = a->end - own->poll_ns;
		/* likewise a halt that slept, where the recorded host woke it quicker than the model does */
		bool early = a->lat >= 0 && own->wake_ns >= 0 && a->end - own->wake_ns < irr;
		if (early)
			irr = a->end - own->wake_ns > a->earliest ? a->end - own->wake_ns : a->earliest;
		bool moved = irr != a->t;
		int64_t at = irr - t->t0 - (a->at_accept || moved ? own->deliver_ns : 0);
		if (at < last) /* in time order still */
			at = last;
		last = at;
		fprintf(out, "%zu %lld %lld", a->vcpu, (long long)at, (long long)work);
		if (own->wake_ns >= 0) {
			/* the model's own latency counts from the IRR set: so do the trace's, less its delivery */
			int64_t lat = moved && a->lat >= 0 ? a->end - irr
				      : (a->lat >= 0 ? a->lat : t->assumed_latency_ns) - (a->at_accept ? 0 : own->deliver_ns);
			fprintf(out, " %lld", (long long)(lat > own->wake_ns ? lat - own->wake_ns : 0));
		}
		fputc('\n', out);
	}
	return fflush(out) || ferror(out) ? -1 : 0;
}

/* replay_result_free - the column's latency histogram. */
void replay_result_free(struct replay_result *r)
{
	sim_hist_free(&r->wake_lat);
}
