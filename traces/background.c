/* background.c - the other tasks on a probe's vCPU CPU, traced (background.h). */
#include "traces/background.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "traces/grow.h"
#include "traces/trace_event.h"
#include "traces/trace_read.h"
#include "traces/tracefs_inst.h"

/* the tasks seen, each with its open activation (-1: none) */
struct seen {
	int pid;
	long act;
	bool took;       /* some activation of it took CPU in the window */
	int64_t woke_at; /* its last wake-up onto the CPU (INT64_MIN: none) */
};

/* an activation: its arrival (ns from the window's start), the CPU it took, its task */
struct act {
	int64_t at, work;
	int pid;
};

struct parse {
	struct act *act;
	struct seen *task;
	int64_t *busy, *idle, *msi; /* the vCPU's wake-ups timed, as probe_background has them */
	size_t nact, actcap, ntask, taskcap, nbusy, busycap, nidle, idlecap, nmsi, msicap;
	int tid;
	int64_t t0, t1;
};

/* task - pid's entry (added when new); NULL when out of memory */
static struct seen *task(struct parse *s, int pid)
{
	for (size_t i = 0; i < s->ntask; i++)
		if (s->task[i].pid == pid)
			return &s->task[i];
	struct seen k = { pid, -1, false, INT64_MIN };
	return grow_push((void **)&s->task, &s->ntask, &s->taskcap, sizeof(k), &k) ? NULL : &s->task[s->ntask - 1];
}

/* activate - a new activation of k at ts (clipped to the window's start); -1 when out of memory */
static int activate(struct parse *s, struct seen *k, int64_t ts)
{
	struct act x = { ts < s->t0 ? 0 : ts - s->t0, 0, k->pid };
	if (grow_push((void **)&s->act, &s->nact, &s->actcap, sizeof(x), &x))
		return -1;
	k->act = (long)s->nact - 1;
	return 0;
}

/* charge - pid ran on the CPU from a to b: its open activation (one at a, if none) gets the
 * part in the window; -1 when out of memory */
static int charge(struct parse *s, int pid, int64_t a, int64_t b)
{
	if (pid <= 0 || pid == s->tid)
		return 0;
	a = a < s->t0 ? s->t0 : a;
	b = b > s->t1 ? s->t1 : b;
	if (b <= a)
		return 0;
	struct seen *k = task(s, pid);
	if (!k || (k->act < 0 && activate(s, k, a)))
		return -1;
	s->act[k->act].work += b - a;
	return 0;
}

/* wakeup_fields - pid and target_cpu of a sched_wakeup payload ("comm=C pid=P prio=N
 * target_cpu=T"; the last " pid=" before the target, as a comm may hold anything); 0 or -1 */
static int wakeup_fields(const char *payload, int *pid, int *target)
{
	const char *t = NULL, *p = NULL;
	for (const char *q = payload; (q = strstr(q, " target_cpu=")); q++)
		t = q; /* the last: the field, after the comm */
	if (!t)
		return -1;
	for (const char *q = payload; (q = strstr(q, " pid=")) && q < t; q++)
		p = q;
	if (!p)
		return -1;
	char *pe, *te;
	long v = strtol(p + 5, &pe, 10), c = strtol(t + 12, &te, 10);
	if (pe == p + 5 || *pe != ' ' || te == t + 12 || v < 0 || v > INT32_MAX || c < 0 || c > INT32_MAX)
		return -1;
	*pid = (int)v, *target = (int)c;
	return 0;
}

/* by_time - activations in order of time (one found running is made when its run ends,
 * after the wake-ups traced during that run) */
static int by_time(const void *a, const void *b)
{
	const struct act *x = a, *y = b;
	return (x->at > y->at) - (x->at < y->at);
}

int background_from_trace(FILE *f, int cpu, int tid, int waker, int64_t t0_ns, int64_t wall_ns,
			  struct probe_background *bg)
{
	memset(bg, 0, sizeof(*bg));
	bg->traced = true;
	struct parse s = { .tid = tid, .t0 = t0_ns, .t1 = t0_ns + wall_ns };
	char line[1024], err[128];
	int cur = -1; /* the task running on cpu since since (-1: not known) */
	int64_t since = 0;
	int64_t woke = -1; /* the vCPU thread's wake-up, until it runs (-1: none) */
	int held = -1;     /* the task on the CPU then */
	int64_t msi = INT64_MIN, woke_msi = -1; /* the last MSI raised; the one before that wake-up */
	int64_t last = INT64_MIN;
	while (fgets(line, sizeof(line), f)) {
		struct trace_line tl;
		if (!trace_line_split(line, &tl) || tl.ts_bad || tl.ts_ns < last)
			continue; /* not an event, or time running back: not one trace */
		last = tl.ts_ns;
		bool wake = (tl.event_len == 12 && !memcmp(tl.event, "sched_wakeup", 12)) ||
			    (tl.event_len == 16 && !memcmp(tl.event, "sched_wakeup_new", 16));
		struct trace_event ev = { .type = trace_event_lookup(tl.event, tl.event_len) };
		if (tl.cpu == cpu && ev.type != KEV_SCHED_SWITCH && tl.pid != cur) {
			/* an event in another task's context there: cur had stopped */
			if (charge(&s, cur, since, tl.ts_ns))
				goto oom;
			cur = tl.pid, since = tl.ts_ns;
		}
		if (ev.type == KEV_MSI_SET_IRQ && tl.pid == waker) /* the probe's sender's, on any CPU */
			msi = tl.ts_ns;
		int pid, target;
		if (wake && !wakeup_fields(tl.payload, &pid, &target) && target == cpu) {
			if (pid == tid) { /* SCHED_FIFO: it preempts whatever runs, once that lets it */
				if (woke < 0) {
					woke = tl.ts_ns, held = cur;
					woke_msi = msi != INT64_MIN && tl.ts_ns - msi <= BG_MSI_WINDOW_NS ? msi : -1;
					msi = INT64_MIN; /* one wake-up per MSI: a later one has another cause */
				}
			} else if (pid > 0) {
				struct seen *k = task(&s, pid);
				if (!k || activate(&s, k, tl.ts_ns))
					goto oom;
				k->woke_at = tl.ts_ns;
			}
		}
		if (tl.cpu != cpu)
			continue;
		bool sw = ev.type == KEV_SCHED_SWITCH && !trace_event_parse(&ev, tl.payload, err, sizeof(err));
		/* a switch out of a task not known to run there (the switch to it not traced, from
		 * idle or an unknown start): it ran since it was woken there, or since cur was
		 * last known */
		int prev = sw ? ev.sswitch.prev_pid : -1;
		bool unseen = sw && prev > 0 && prev != tid && prev != cur && (cur == 0 || cur == -1);
		if (unseen) {
			struct seen *k = task(&s, prev);
			if (!k || charge(&s, prev, k->woke_at > since ? k->woke_at : since, tl.ts_ns))
				goto oom;
			if (woke >= 0 && held == cur && k->woke_at <= woke)
				held = prev; /* the vCPU's wake-up found it running, not idle */
		}
		if (woke >= 0 && (tl.pid == tid || (sw && ev.sswitch.next_pid == tid))) { /* it runs */
			int64_t d = tl.ts_ns - woke;
			bool in = tl.ts_ns >= s.t0 && tl.ts_ns < s.t1 && held >= 0 && held != tid;
			if (in && grow_push(held ? (void **)&s.busy : (void **)&s.idle, held ? &s.nbusy : &s.nidle,
					    held ? &s.busycap : &s.idlecap, sizeof(d), &d))
				goto oom;
			int64_t m = tl.ts_ns - woke_msi;
			if (in && held && woke_msi >= 0 && grow_push((void **)&s.msi, &s.nmsi, &s.msicap, sizeof(m), &m))
				goto oom;
			woke = -1;
		}
		if (sw) {
			if (!unseen && charge(&s, cur, since, tl.ts_ns))
				goto oom;
			cur = ev.sswitch.next_pid, since = tl.ts_ns;
		}
	}
	if (charge(&s, cur, since, s.t1))
		goto oom;
	/* activations that took nothing in the window out, the rest in order of time; the tasks
	 * that are left counted */
	size_t n = 0;
	for (size_t i = 0; i < s.nact; i++)
		if (s.act[i].work > 0)
			s.act[n++] = s.act[i];
	if (n) {
		qsort(s.act, n, sizeof(*s.act), by_time);
		bg->at_ns = malloc(n * sizeof(int64_t));
		bg->work_ns = malloc(n * sizeof(int64_t));
		if (!bg->at_ns || !bg->work_ns)
			goto oom;
	}
	for (size_t i = 0; i < n; i++) {
		struct seen *k = task(&s, s.act[i].pid); /* there already */
		bg->tasks += !k->took;
		k->took = true;
		bg->at_ns[i] = s.act[i].at, bg->work_ns[i] = s.act[i].work;
		bg->cpu_ns += s.act[i].work;
	}
	bg->n = (long)n;
	bg->busy_ns = s.busy, bg->nbusy = (long)s.nbusy;
	bg->idle_ns = s.idle, bg->nidle = (long)s.nidle;
	bg->msi_ns = s.msi, bg->nmsi = (long)s.nmsi;
	free(s.act);
	free(s.task);
	return 0;
oom:
	free(s.act);
	free(s.task);
	free(s.busy);
	free(s.idle);
	free(s.msi);
	free(bg->at_ns);
	free(bg->work_ns);
	memset(bg, 0, sizeof(*bg));
	return -1;
}

int probe_run_traced(const struct probe_pattern *p, struct probe_result *r, char *why, size_t len, char *note,
		     size_t nlen)
{
	/* kvm_vcpu_wakeup: the end of each halt, in the vCPU thread's context, so that a switch to
	 * it that is not traced still ends another task's run within one halt; kvm_msi_set_irq:
	 * where the vCPU thread's wake-ups from another CPU begin */
	static const char *const ev[] = { "sched/sched_switch", "sched/sched_wakeup", "sched/sched_wakeup_new",
					  "kvm/kvm_vcpu_wakeup", "kvm/kvm_msi_set_irq" };
	struct tracefs_inst ti;
	int cpu = p->vcpu_cpu_set ? p->vcpu_cpu : probe_default_cpu();
	note[0] = 0;
	if (tracefs_open(&ti, "kvmsim-bg", 8192, ev, 5, note, nlen))
		return probe_run(p, r, why, len);
	char flt[64], path[512];
	snprintf(flt, sizeof(flt), "target_cpu == %d", cpu); /* only less to read: the reader checks again */
	tracefs_filter(&ti, "sched/sched_wakeup", flt);
	tracefs_filter(&ti, "sched/sched_wakeup_new", flt);
	snprintf(flt, sizeof(flt), "CPU == %d", cpu);
	tracefs_filter(&ti, "sched/sched_switch", flt);
	tracefs_filter(&ti, "kvm/kvm_vcpu_wakeup", flt);
	if (tracefs_on(&ti, 1)) {
		snprintf(note, nlen, "starting %s: %s", ti.dir, strerror(errno));
		tracefs_close(&ti);
		return probe_run(p, r, why, len);
	}
	int rc = probe_run(p, r, why, len);
	tracefs_on(&ti, 0);
	long lost = tracefs_lost(&ti);
	if (!rc && lost) /* a trace with holes would miss tasks and mislabel runs */
		snprintf(note, nlen, lost < 0 ? "%s: its statistics unreadable" : "%s: %ld events lost (its buffer too small)",
			 ti.dir, lost);
	else if (!rc) {
		tracefs_trace(&ti, path, sizeof(path));
		FILE *f = fopen(path, "r");
		if (!f)
			snprintf(note, nlen, "reading %s: %s", path, strerror(errno));
		else if (background_from_trace(f, r->vcpu_cpu, r->tid, r->waker_tid, r->t0_ns, r->wall_ns, &r->bg))
			snprintf(note, nlen, "reading %s: out of memory", path);
		if (f)
			fclose(f);
	}
	char dir[256];
	snprintf(dir, sizeof(dir), "%s", ti.dir);
	if (tracefs_close(&ti) && !note[0]) /* traced, but its kernel buffers are left: say so */
		snprintf(note, nlen, "removing %s: %s (remove it by hand: rmdir)", dir, strerror(errno));
	return rc;
}
