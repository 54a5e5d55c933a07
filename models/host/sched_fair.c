/*
 * sched_fair.c - the kernel's fair class and SCHED_FIFO above it, as the
 * eras kvmsim models them (host.scheduler: fair; see host.h).
 *
 * Per pCPU: a FIFO class (SCHED_FIFO tasks by priority, first come first
 * served within one; no slice) that always runs before the fair class, and a
 * fair run-queue (struct cfs_rq) of SCHED_NORMAL tasks with virtual runtime
 * vruntime += delta * NICE_0_LOAD / weight (sched_prio_to_weight by nice).
 *
 * CFS (up to 6.5). pick: the smallest vruntime. period = sched_latency, or
 * nr_running * min_granularity above sched_nr_latency (8); a task's slice is
 * period * weight / load. The tick (check_preempt_tick) reschedules when curr
 * ran its slice, or ran min_granularity and leads the leftmost task by more
 * than a slice. A woken task preempts when curr's vruntime exceeds its own by
 * more than wakeup_granularity (scaled to its weight). A waking sleeper is
 * placed at max(its vruntime, min_vruntime - sched_latency / 2)
 * (GENTLE_FAIR_SLEEPERS); a migrating task keeps its vruntime relative to
 * min_vruntime.
 *
 * EEVDF (6.6+). Every task asks for base_slice; its virtual deadline is
 * vruntime + slice * NICE_0_LOAD / weight. A task is eligible when its
 * vruntime is at most the load-weighted average V of the queue (curr
 * included); pick: the eligible task with the earliest deadline
 * (pick_eevdf); once picked, a task runs while it stays eligible until it
 * gets a new slice (RUN_TO_PARITY, 6.6+). When curr's vruntime passes its
 * deadline it gets a new one
 * and, with others queued, is rescheduled (update_deadline, on every
 * update_curr: the tick, a wake-up). A woken task preempts when pick_eevdf
 * would pick it. Lag: on sleep vlag = V - vruntime, clamped to
 * max(2 * slice, TICK_NSEC) in virtual time; on wake-up vruntime = V - vlag *
 * (W + w) / W (PLACE_LAG); a new task's first deadline is half a slice away
 * (PLACE_DEADLINE_INITIAL).
 *
 * EEVDF from 6.12 (host.sched.delay_dequeue: DELAY_DEQUEUE, DELAY_ZERO). A task
 * that blocks while not eligible is not dequeued: it stays in the queue, in V
 * and the load (cfs_nr, cfs_load; not in the pCPU's nr_running), marked
 * se.sched_delayed. Picked, it is dequeued then with its lag cut to zero and
 * the pick goes on; woken, it is woken on its pCPU and keeps its vruntime and
 * deadline while its lag is negative, else it is placed again at V with no lag
 * (requeue_delayed_entity), the lag taken against curr's vruntime as last
 * updated: curr, brought up to date by the preemption check, may then be past
 * V and lose the CPU to it. A task blocking while eligible leaves with its lag
 * as before; behind a delayed task that lag is positive and its next wake-up
 * can preempt. Balancing moves no delayed task. The kernel also keeps a
 * delayed task in rq->nr_running until it really leaves (nr_delayed here), so
 * single_task_running() is false while one is queued and a halt poll on that
 * pCPU ends at once (docs/kernel-behaviour.md §9). 6.6-6.11: no delay.
 *
 * Tunables (host.h, host_set_sched): sched_latency 6 ms, min_granularity
 * 0.75 ms, wakeup_granularity 1 ms, base_slice 0.75 ms, each times
 * 1 + ilog2(min(ncpus, 8)) (SCHED_TUNABLESCALING_LOG).
 *
 * Placement and balancing (sched_balance.c). A task with an affinity mask (cpus_mask) wakes on
 * its previous pCPU if that is idle, else on the first idle allowed pCPU
 * after it, else on its previous pCPU (select_idle_sibling, one LLC). A pCPU
 * that goes idle pulls a queued task it may run from the pCPU with the most
 * runnable tasks (newidle balance). At each tick a pCPU with queued tasks
 * pushes one to an idle allowed pCPU and kicks it (the NOHZ idle balancer),
 * and every fourth tick a pCPU pulls from one with at least two more
 * runnable tasks (periodic balance). Load is counted in tasks, not weight;
 * there are no cgroups, no buddies, no RT throttling.
 *
 * The tick runs on a busy pCPU only (NO_HZ idle: stopped in idle, restarted
 * at the next switch) and costs no time: its interrupt does not force a VM
 * exit unless it sets need_resched (then the reschedule IPI does).
 */
#include "models/host/sched_fair.h"

#include <assert.h>
#include <stddef.h>

#define NICE_0_LOAD 1024
#define SCHED_NR_LATENCY 8

/* the kernel's table: each nice level is ~10% CPU (kernel/sched/core.c) */
const unsigned long sched_prio_to_weight[40] = {
	88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904,
	3906,  3121,  2501,  1991,  1586,  1277,  1024,  820,	655,   526,   423,   335,   272,  215,
	172,   137,   110,   87,    70,    56,    45,    36,	29,    23,    18,    15,
};

static sim_time_t calc_delta_fair(sim_time_t delta, const struct host_task *t)
{
	if (t->se.weight == NICE_0_LOAD)
		return delta;
	return (sim_time_t)((__int128)delta * NICE_0_LOAD / (__int128)t->se.weight);
}

static bool eevdf(const struct pcpu *p)
{
	return p->host->sched.eevdf;
}

/* delay_dequeue - 6.12+: DELAY_DEQUEUE and DELAY_ZERO (features.h). */
static bool delay_dequeue(const struct pcpu *p)
{
	return p->host->sched.delay_dequeue;
}

static bool is_rt(const struct host_task *t)
{
	return t->policy == SCHED_FIFO;
}

static sim_time_t now_of(const struct pcpu *p)
{
	return host_rq_clock(p); /* rq_clock_task(): stale within a schedule() a wake-up skipped */
}

/* ---- the queues ---------------------------------------------------------------------- */

static void list_add(struct host_task **head, struct host_task *t)
{
	t->rq_prev = NULL;
	t->rq_next = *head;
	if (*head)
		(*head)->rq_prev = t;
	*head = t;
}

static void list_del(struct host_task **head, struct host_task *t)
{
	if (t->rq_prev)
		t->rq_prev->rq_next = t->rq_next;
	else
		*head = t->rq_next;
	if (t->rq_next)
		t->rq_next->rq_prev = t->rq_prev;
	t->rq_next = t->rq_prev = NULL;
}

/* rt_insert - by priority; at_head: before its equals (a preempted task keeps its turn) */
static void rt_insert(struct pcpu *p, struct host_task *t, bool at_head)
{
	struct host_task *prev = NULL, *c = p->rt_head;
	while (c && (c->rt_priority > t->rt_priority || (!at_head && c->rt_priority == t->rt_priority))) {
		prev = c;
		c = c->rq_next;
	}
	t->rq_prev = prev;
	t->rq_next = c;
	if (c)
		c->rq_prev = t;
	if (prev)
		prev->rq_next = t;
	else
		p->rt_head = t;
}

static void queue_add(struct pcpu *p, struct host_task *t, bool rt_head)
{
	if (is_rt(t))
		rt_insert(p, t, rt_head);
	else
		list_add(&p->cfs_head, t);
	t->se.on_rq = true;
	if (t->cpus_mask)
		p->host->nr_movable++;
}

static void queue_del(struct pcpu *p, struct host_task *t)
{
	list_del(is_rt(t) ? &p->rt_head : &p->cfs_head, t);
	t->se.on_rq = false;
	if (t->cpus_mask)
		p->host->nr_movable--;
}

/* ---- virtual time --------------------------------------------------------------------- */

static void update_min_vruntime(struct pcpu *p)
{
	const struct host_task *c = p->sched_curr && !is_rt(p->sched_curr) ? p->sched_curr : NULL;
	bool have = c != NULL;
	sim_time_t v = c ? c->se.vruntime : 0;
	for (const struct host_task *t = p->cfs_head; t; t = t->rq_next)
		if (!have || t->se.vruntime < v) {
			v = t->se.vruntime;
			have = true;
		}
	if (have && v > p->min_vruntime)
		p->min_vruntime = v;
}

/* avg_vruntime - V, as sum w * (v - min_vruntime) and sum w over the queue and curr. */
static void avg_sums(const struct pcpu *p, __int128 *avg, __int128 *load)
{
	*avg = 0;
	*load = 0;
	const struct host_task *c = p->sched_curr && !is_rt(p->sched_curr) ? p->sched_curr : NULL;
	if (c) {
		*avg += (__int128)(c->se.vruntime - p->min_vruntime) * (__int128)c->se.weight;
		*load += c->se.weight;
	}
	for (const struct host_task *t = p->cfs_head; t; t = t->rq_next) {
		*avg += (__int128)(t->se.vruntime - p->min_vruntime) * (__int128)t->se.weight;
		*load += t->se.weight;
	}
}

static sim_time_t avg_vruntime(const struct pcpu *p)
{
	__int128 avg, load;
	avg_sums(p, &avg, &load);
	if (!load)
		return p->min_vruntime;
	/* round towards minus infinity, as the kernel does, so V is never ahead of the entities */
	__int128 q = avg / load;
	if (avg < 0 && q * load != avg)
		q--;
	return p->min_vruntime + (sim_time_t)q;
}

/* eligible - vruntime at most V, given the sums of avg_sums() (entity_eligible()). */
static bool eligible(const struct pcpu *p, const struct host_task *t, __int128 avg, __int128 load)
{
	return avg >= (__int128)(t->se.vruntime - p->min_vruntime) * load;
}

/* update_curr - charge the running task for its time since exec_start. */
static void update_curr(struct pcpu *p)
{
	struct host_task *c = p->sched_curr;
	if (!c)
		return;
	sim_time_t now = now_of(p), d = now - c->se.exec_start;
	if (d <= 0)
		return;
	c->se.exec_start = now;
	c->se.sum_exec_runtime += d;
	if (is_rt(c))
		return;
	c->se.vruntime += calc_delta_fair(d, c);
	if (eevdf(p) && c->se.vruntime - c->se.deadline >= 0) { /* update_deadline() */
		c->se.deadline = c->se.vruntime + calc_delta_fair(c->se.slice, c);
		if (p->cfs_nr > 1)
			p->eevdf_resched = true;
	}
	update_min_vruntime(p);
}

/* pick_eevdf - the eligible task (curr included) with the earliest deadline. */
static struct host_task *pick_eevdf(struct pcpu *p)
{
	struct host_task *curr = p->sched_curr && !is_rt(p->sched_curr) ? p->sched_curr : NULL;
	__int128 avg, load;
	avg_sums(p, &avg, &load);
	if (curr && !eligible(p, curr, avg, load))
		curr = NULL;
	/* RUN_TO_PARITY: once picked, curr runs until it is not eligible or gets a new slice */
	if (curr && curr->se.vlag == curr->se.deadline)
		return curr;
	struct host_task *best = NULL, *first = NULL;
	for (struct host_task *t = p->cfs_head; t; t = t->rq_next) {
		/* the queue is newest first: on a tie the task queued longest wins, as in the rb-tree */
		if (!first || t->se.vruntime <= first->se.vruntime)
			first = t;
		if (eligible(p, t, avg, load) && (!best || t->se.deadline <= best->se.deadline))
			best = t;
	}
	if (!best || (curr && best->se.deadline > curr->se.deadline))
		best = curr;
	if (!best) /* nothing eligible: cannot happen with a non-empty queue, but never stall */
		best = first;
	return best;
}

static struct host_task *leftmost(const struct pcpu *p)
{
	struct host_task *best = NULL;
	for (struct host_task *t = p->cfs_head; t; t = t->rq_next) /* newest first: ties go to the oldest */
		if (!best || t->se.vruntime <= best->se.vruntime)
			best = t;
	return best;
}

/* place_entity - where a task joining the queue starts (initial: never ran). */
static void place_entity(struct pcpu *p, struct host_task *t, bool initial)
{
	struct sched_entity *se = &t->se;
	if (!eevdf(p)) {
		sim_time_t v = p->min_vruntime;
		if (initial) {
			se->vruntime = v;
			return;
		}
		v -= p->host->sched_latency / 2; /* GENTLE_FAIR_SLEEPERS */
		if (se->vruntime < v)
			se->vruntime = v;
		return;
	}
	sim_time_t V = avg_vruntime(p), lag = 0;
	se->slice = p->host->base_slice;
	if (!initial) {
		__int128 avg, load;
		avg_sums(p, &avg, &load);
		lag = se->vlag;
		if (load)
			lag = (sim_time_t)((__int128)lag * (load + (__int128)se->weight) / load);
	}
	se->vruntime = V - lag;
	sim_time_t vslice = calc_delta_fair(se->slice, t);
	if (initial)
		vslice /= 2;
	se->deadline = se->vruntime + vslice;
}

/* update_entity_lag - t leaves the queue: keep its lag, clamped. */
static void update_entity_lag(struct pcpu *p, struct host_task *t)
{
	sim_time_t lim = 2 * t->se.slice;
	if (lim < p->host->tick_period)
		lim = p->host->tick_period;
	lim = calc_delta_fair(lim, t);
	sim_time_t lag = avg_vruntime(p) - t->se.vruntime;
	t->se.vlag = lag < -lim ? -lim : lag > lim ? lim : lag;
}

/* dequeue_delayed - the delayed t, picked, leaves the queue at last (dequeue_entity() with
 * DEQUEUE_DELAYED): eligible, so its lag is not negative, and DELAY_ZERO drops what is positive. */
static void dequeue_delayed(struct pcpu *p, struct host_task *t)
{
	update_entity_lag(p, t);
	if (t->se.vlag > 0)
		t->se.vlag = 0;
	t->se.sched_delayed = false;
	p->nr_delayed--;
	queue_del(p, t);
	p->cfs_nr--;
	p->cfs_load -= t->se.weight;
	update_min_vruntime(p);
}

/* requeue_delayed - the delayed t is woken where it is queued (ttwu_runnable(),
 * requeue_delayed_entity()): it keeps its vruntime and deadline while its lag is not positive;
 * past the 0-lag point it is placed again at V with no lag (DELAY_ZERO). No update_curr() first
 * (6.12-6.18: enqueue_task_fair() goes straight to requeue_delayed_entity()): the lag is taken
 * against V with curr's vruntime as last updated, and the wake-up preemption check that follows
 * brings curr up to date, which may leave it past V and no longer eligible. */
static void requeue_delayed(struct pcpu *p, struct host_task *t)
{
	update_entity_lag(p, t);
	t->se.sched_delayed = false;
	p->nr_delayed--; /* host_task_wake() counts it in nr_running */
	if (t->se.vlag <= 0)
		return;
	queue_del(p, t);
	p->cfs_nr--;
	p->cfs_load -= t->se.weight;
	t->se.vlag = 0;
	place_entity(p, t, false);
	queue_add(p, t, false);
	p->cfs_nr++;
	p->cfs_load += t->se.weight;
	update_min_vruntime(p);
}

/* ---- the class ------------------------------------------------------------------------ */

static void fair_enqueue(struct pcpu *p, struct host_task *t, bool wakeup)
{
	if (is_rt(t)) {
		queue_add(p, t, false);
		p->rt_nr++;
		return;
	}
	if (t->se.sched_delayed) {
		requeue_delayed(p, t);
		return;
	}
	update_curr(p);
	place_entity(p, t, !wakeup && t->pcount == 0);
	queue_add(p, t, false);
	p->cfs_nr++;
	p->cfs_load += t->se.weight;
	update_min_vruntime(p);
}

/* detach - t leaves p's counts (it is curr, or already off the queue). */
static void detach(struct pcpu *p, struct host_task *t)
{
	if (is_rt(t)) {
		p->rt_nr--;
		return;
	}
	p->cfs_nr--;
	p->cfs_load -= t->se.weight;
}

static void fair_dequeue(struct pcpu *p, struct host_task *t)
{
	assert(p->sched_curr == t);
	update_curr(p);
	if (eevdf(p) && !is_rt(t)) {
		__int128 avg = 0, load = 0;
		if (delay_dequeue(p))
			avg_sums(p, &avg, &load);
		if (delay_dequeue(p) && !eligible(p, t, avg, load)) {
			/* DELAY_DEQUEUE: it stays queued, still counted in V and the load, until it is
			 * picked (then dequeued) or woken (requeued); its vlag keeps set_next_entity()'s mark */
			if (p->next_buddy == t)
				p->next_buddy = NULL;
			t->se.sched_delayed = true;
			p->nr_delayed++; /* still in rq->nr_running (dequeue_entities() returns early) */
			p->sched_curr = NULL;
			queue_add(p, t, false);
			return;
		}
		update_entity_lag(p, t);
	}
	detach(p, t);
	p->sched_curr = NULL;
	update_min_vruntime(p);
}

static void fair_put_prev(struct pcpu *p, struct host_task *t)
{
	assert(p->sched_curr == t);
	update_curr(p);
	p->sched_curr = NULL;
	queue_add(p, t, true);
	p->sched_prev = t;
}

/* next_buddy_ok - the yield_to() target goes before n: CFS unless its vruntime is more than the
 * wake-up granularity past the leftmost's (wakeup_preempt_entity() < 1); EEVDF while eligible. */
static bool next_buddy_ok(struct pcpu *p, struct host_task *buddy, struct host_task *n)
{
	if (eevdf(p)) {
		__int128 avg, load;
		avg_sums(p, &avg, &load);
		return eligible(p, buddy, avg, load);
	}
	struct host_task *left = leftmost(p);
	sim_time_t vdiff = buddy->se.vruntime - (left ? left->se.vruntime : n->se.vruntime);
	return vdiff <= calc_delta_fair(p->host->wakeup_granularity, buddy);
}

/* fair_yield_to_task - yield_to_task_fair(): a queued t becomes its rq's next buddy; curr yields
 * (yield_task_fair(): EEVDF pushes curr's deadline a slice on; CFS: the put_prev/pick that follows). */
static bool fair_yield_to_task(struct host_task *curr, struct host_task *t)
{
	if (!t->se.on_rq || is_rt(t) || is_rt(curr))
		return false;
	t->cpu->next_buddy = t;
	if (eevdf(curr->cpu)) {
		update_curr(curr->cpu);
		curr->se.deadline += calc_delta_fair(curr->se.slice, curr);
	}
	return true;
}

static struct host_task *fair_pick_next(struct pcpu *p)
{
	struct host_task *n = p->rt_head;
	while (!n && p->cfs_head) {
		n = eevdf(p) ? pick_eevdf(p) : leftmost(p);
		if (n->se.sched_delayed) { /* pick_next_entity(): dequeue it and pick again */
			dequeue_delayed(p, n);
			n = NULL;
		}
	}
	struct host_task *buddy = p->next_buddy;
	p->next_buddy = NULL; /* a one-shot hint: clear_buddies() */
	if (!p->rt_head && n && buddy && buddy != n && buddy->se.on_rq && !buddy->se.sched_delayed &&
	    buddy->cpu == p && next_buddy_ok(p, buddy, n))
		n = buddy;
	struct host_task *prev = p->sched_prev;
	p->sched_prev = NULL;
	p->eevdf_resched = false;
	if (!n)
		return NULL;
	queue_del(p, n);
	p->sched_curr = n;
	n->se.exec_start = now_of(p);
	if (n != prev) /* set_next_entity(): a new slice starts */
		n->se.prev_sum_exec_runtime = n->se.sum_exec_runtime;
	n->se.vlag = n->se.deadline; /* set_next_entity()'s mark for RUN_TO_PARITY */
	return n;
}

bool fair_wakeup_preempt(struct pcpu *p, struct host_task *t)
{
	struct host_task *c = p->sched_curr;
	if (!c)
		return false;
	if (is_rt(t))
		return !is_rt(c) || t->rt_priority > c->rt_priority;
	if (is_rt(c))
		return false;
	update_curr(p);
	bool r = p->eevdf_resched;
	p->eevdf_resched = false;
	if (eevdf(p))
		return r || pick_eevdf(p) == t;
	sim_time_t vdiff = c->se.vruntime - t->se.vruntime; /* wakeup_preempt_entity() */
	return r || vdiff > calc_delta_fair(p->host->wakeup_granularity, t);
}

/* sched_slice - CFS: curr's share of the period. */
static sim_time_t sched_slice(const struct pcpu *p, const struct host_task *c)
{
	const struct host *h = p->host;
	sim_time_t period = p->cfs_nr > SCHED_NR_LATENCY ? (sim_time_t)p->cfs_nr * h->min_granularity : h->sched_latency;
	return (sim_time_t)((__int128)period * (__int128)c->se.weight / (__int128)p->cfs_load);
}

static bool fair_task_tick(struct pcpu *p)
{
	struct host_task *c = p->sched_curr;
	if (!c || is_rt(c))
		return false; /* SCHED_FIFO has no slice */
	update_curr(p);
	bool r = p->eevdf_resched;
	p->eevdf_resched = false;
	if (eevdf(p) || p->cfs_nr < 2)
		return r;
	/* check_preempt_tick() */
	sim_time_t ideal = sched_slice(p, c);
	sim_time_t ran = c->se.sum_exec_runtime - c->se.prev_sum_exec_runtime;
	if (ran > ideal)
		return true;
	if (ran < p->host->min_granularity)
		return false;
	const struct host_task *l = leftmost(p);
	return l && c->se.vruntime - l->se.vruntime > ideal;
}

/* ---- migration ----------------------------------------------------------------------- */

/* move_task - detach the queued t from its pCPU and attach it to dst's queue. */
void fair_move_task(struct host_task *t, struct pcpu *dst)
{
	struct pcpu *src = t->cpu;
	if (eevdf(src) && !is_rt(t))
		update_entity_lag(src, t);
	queue_del(src, t);
	detach(src, t);
	src->nr_running--;
	update_min_vruntime(src);
	renormalise(t, src, dst);
	t->cpu = dst;
	t->nr_migrations++;
	dst->nr_running++;
	if (is_rt(t)) {
		queue_add(dst, t, false);
		dst->rt_nr++;
		return;
	}
	update_curr(dst);
	if (eevdf(dst))
		place_entity(dst, t, false);
	queue_add(dst, t, false);
	dst->cfs_nr++;
	dst->cfs_load += t->se.weight;
	update_min_vruntime(dst);
}

void host_migrate(struct host_task *t, struct pcpu *dst)
{
	assert(t->state == TASK_RUNNABLE && t->se.on_rq);
	fair_move_task(t, dst);
}

const struct host_sched_class host_sched_fair = {
	.name = "fair",
	.enqueue = fair_enqueue,
	.dequeue = fair_dequeue,
	.put_prev = fair_put_prev,
	.pick_next = fair_pick_next,
	.wakeup_preempt = fair_wakeup_preempt,
	.select_rq = fair_select_rq,
	.task_tick = fair_task_tick,
	.idle_balance = fair_idle_balance,
	.periodic_balance = fair_periodic_balance,
	.yield_to_task = fair_yield_to_task,
};
