/*
 * test_sched.c - the host scheduler (models/host): the fair class's own rules
 * on a bare host with CPU-bound tasks (the tick rotates equal-weight tasks
 * within a slice; a woken task with lower vruntime preempts at the next check;
 * need_resched set on a wake-up during a switch; SCHED_FIFO; a remote wake-up's
 * reschedule IPI; the run-queue clock a wake-up leaves for the next schedule(); affinity,
 * placement and balancing), the simple class's older behaviour, and whole
 * runs that conserve every pCPU's time and give host tasks the CPU they offer
 * when the host has room.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/host/host.h"
#include "tests/run_util.h"

#define CTXSW (2 * SIM_US)

/* ---- a bare host with CPU-bound tasks ------------------------------------------- */

struct hog {
	struct host_task task;
	int reschedules;  /* resched callbacks with need_resched set */
	sim_time_t longest, since;
	int stretches;
};

static struct hog *hog_of(struct host_task *t)
{
	return (struct hog *)((char *)t - offsetof(struct hog, task));
}

static void hog_run(struct host_task *t)
{
	struct hog *h = hog_of(t);
	h->since = sim_now(t->cpu->host->sim);
}

static void hog_stretch_end(struct hog *h)
{
	sim_time_t d = sim_now(h->task.cpu->host->sim) - h->since;
	if (d > h->longest)
		h->longest = d;
	h->stretches++;
}

/* a CPU-bound task gives the CPU up at once when asked (its next preemption point) */
static void hog_resched(struct host_task *t, bool remote)
{
	(void)remote;
	struct hog *h = hog_of(t);
	if (!t->cpu->need_resched)
		return;
	h->reschedules++;
	sim_time_t d = sim_now(t->cpu->host->sim) - h->since;
	if (host_task_yield(t)) { /* else schedule() picked it again: the stretch goes on */
		if (d > h->longest)
			h->longest = d;
		h->stretches++;
	}
}

/* a task that notes reschedule requests but never acts on them */
static void lazy_resched(struct host_task *t, bool remote)
{
	(void)remote;
	if (t->cpu->need_resched)
		hog_of(t)->reschedules++;
}

static const struct host_task_ops hog_ops = { hog_run, hog_resched };
static const struct host_task_ops lazy_ops = { hog_run, lazy_resched };
/* a task whose resched models the IPI's way to it itself (as a vCPU's does) */
static const struct host_task_ops own_ipi_ops = { hog_run, hog_resched, NULL, true };

struct bare {
	struct sim *sim;
	struct host *h;
};

static struct bare bare_new(int ncpu, int kind, bool eevdf, int hz)
{
	static const struct host_idle_state idle[] = { { .name = "POLL", .polling = true },
						       { .name = "C1", .exit_latency = SIM_US, .target_residency = 2 * SIM_US } };
	struct bare b;
	b.sim = sim_new();
	b.h = host_new(b.sim, ncpu, idle, 2, 1, false, true, 0, (struct host_conf_costs){ CTXSW, SIM_US }, 1);
	struct host_sched_conf c = { .kind = kind, .eevdf = eevdf, .hz = hz, .balance = true };
	host_set_sched(b.h, &c);
	host_start(b.h);
	return b;
}

static void bare_free(struct bare *b)
{
	host_free(b->h);
	sim_free(b->sim);
}

static void ev_sleep(struct sim *sim, void *subject, void *object)
{
	struct host_task *t = subject;
	if (t->state == TASK_RUNNING) {
		hog_stretch_end(hog_of(t));
		host_task_sleep(t);
	}
}

static void ev_wake(struct sim *sim, void *subject, void *object)
{
	host_task_wake(subject);
}

static void check_pcpu_time(const struct bare *b)
{
	host_finish(b->h);
	for (int i = 0; i < b->h->ncpu; i++) {
		sim_time_t sum = 0;
		for (int a = 0; a < ACCT_N; a++)
			sum += b->h->cpu[i].acct_ps[a];
		assert_int_equal(sum, sim_now(b->sim));
	}
}

/* CFS: two equal CPU-bound tasks on one pCPU alternate; each stretch is its slice, to the next tick. */
static void test_cfs_tick_rotates(void **state)
{
	struct bare b = bare_new(1, HOST_SCHED_FAIR, false, 1000);
	struct hog x = { 0 }, y = { 0 };
	host_task_init(&x.task, &hog_ops, &b.h->cpu[0], "x", 1);
	host_task_init(&y.task, &hog_ops, &b.h->cpu[0], "y", 2);
	host_task_place(&x.task);
	host_task_place(&y.task);
	sim_run_until(b.sim, 120 * SIM_MS);
	/* one pCPU: sched_latency 6 ms, two tasks: a 3 ms slice; the tick (1 ms) sees it exceeded */
	sim_time_t slice = 3 * SIM_MS;
	assert_true(x.stretches >= 14 && y.stretches >= 14);
	assert_true(x.longest > slice - CTXSW && x.longest <= slice + SIM_MS);
	assert_true(y.longest > slice - CTXSW && y.longest <= slice + SIM_MS);
	assert_int_equal(x.task.nivcsw, (uint64_t)x.stretches);
	/* fair: the runtimes differ by at most one stretch */
	check_pcpu_time(&b);
	sim_time_t d = x.task.runtime - y.task.runtime;
	assert_true(d < 0 ? -d <= slice + SIM_MS : d <= slice + SIM_MS);
	assert_true(b.h->cpu[0].ticks >= 119);
	bare_free(&b);
}

/* EEVDF: the same two tasks alternate at the base slice, rounded up to the tick. */
static void test_eevdf_tick_rotates(void **state)
{
	struct bare b = bare_new(1, HOST_SCHED_FAIR, true, 1000);
	struct hog x = { 0 }, y = { 0 };
	host_task_init(&x.task, &hog_ops, &b.h->cpu[0], "x", 1);
	host_task_init(&y.task, &hog_ops, &b.h->cpu[0], "y", 2);
	host_task_place(&x.task);
	host_task_place(&y.task);
	sim_run_until(b.sim, 100 * SIM_MS);
	/* base slice 0.75 ms (one pCPU): a task passes its deadline within 1-2 ticks */
	assert_true(x.stretches >= 45 && y.stretches >= 45);
	assert_true(x.longest <= SIM_MS && y.longest <= SIM_MS);
	check_pcpu_time(&b);
	sim_time_t d = x.task.runtime - y.task.runtime;
	assert_true(d < 0 ? -d <= 2 * SIM_MS : d <= 2 * SIM_MS);
	bare_free(&b);
}

/* A woken task whose vruntime is far lower preempts at once (its wake-up is the check); a near one does not. */
static void test_wakeup_preempt(void **state)
{
	for (int eevdf = 0; eevdf < 2; eevdf++) {
		struct bare b = bare_new(1, HOST_SCHED_FAIR, eevdf, 250);
		struct hog x = { 0 }, y = { 0 };
		host_task_init(&x.task, &lazy_ops, &b.h->cpu[0], "x", 1);
		host_task_init(&y.task, &hog_ops, &b.h->cpu[0], "y", 2);
		host_task_place(&x.task);
		sim_run_until(b.sim, 50 * SIM_MS); /* x alone: 50 ms of vruntime */
		assert_int_equal(x.reschedules, 0); /* alone: the tick never asks */
		y.task.se.vruntime = 0;  /* CFS: y slept long: placed sched_latency / 2 behind */
		y.task.se.vlag = SIM_MS; /* EEVDF: y left with 1 ms of lag owed to it */
		host_task_wake(&y.task);
		assert_true(b.h->cpu[0].need_resched);
		assert_int_equal(x.reschedules, 1); /* told at the wake-up, not at a later tick */
		bare_free(&b);
	}
	/* CFS: y's vruntime just below x's (less than wakeup_granularity): no preemption at the wake-up */
	struct bare b = bare_new(1, HOST_SCHED_FAIR, false, 250);
	struct hog x = { 0 }, y = { 0 };
	host_task_init(&x.task, &lazy_ops, &b.h->cpu[0], "x", 1);
	host_task_init(&y.task, &hog_ops, &b.h->cpu[0], "y", 2);
	host_task_place(&x.task);
	sim_run_until(b.sim, 10 * SIM_MS);
	y.task.pcount = 1; /* not new: a sleeper */
	y.task.se.vruntime = 10 * SIM_MS + 500 * SIM_US; /* x alone since 0: its vruntime is its run time */
	sim_run_until(b.sim, 10 * SIM_MS + 900 * SIM_US);
	host_task_wake(&y.task); /* x's vruntime is 0.4 ms ahead of y's: below the 1 ms granularity */
	assert_int_equal(x.task.se.vruntime, 10 * SIM_MS + 900 * SIM_US);
	assert_false(b.h->cpu[0].need_resched);
	assert_int_equal(x.reschedules, 0);
	bare_free(&b);
}

/* The bug: a task woken while its pCPU switches to another gets need_resched set. */
static void test_wake_during_switch(void **state)
{
	for (int kind = 0; kind < 2; kind++) {
		struct bare b = bare_new(1, kind == 0 ? HOST_SCHED_SIMPLE : HOST_SCHED_FAIR, false, 250);
		struct hog x = { 0 }, y = { 0 }, z = { 0 };
		host_task_init(&x.task, &hog_ops, &b.h->cpu[0], "x", 1);
		host_task_init(&y.task, &lazy_ops, &b.h->cpu[0], "y", 2);
		host_task_init(&z.task, &hog_ops, &b.h->cpu[0], "z", 3);
		host_task_place(&x.task);
		host_task_place(&y.task);
		y.task.se.vruntime = 5 * SIM_MS; /* CFS: y is well ahead of z, which slept */
		sim_at(b.sim, 2 * SIM_MS, ev_sleep, &x.task, NULL);          /* x blocks: switch to y */
		sim_at(b.sim, 2 * SIM_MS + CTXSW / 2, ev_wake, &z.task, NULL); /* z wakes during it */
		sim_run_until(b.sim, 2 * SIM_MS + CTXSW / 2);
		assert_int_equal(b.h->cpu[0].phase, PCPU_SWITCH);
		sim_run_until(b.sim, 2 * SIM_MS + CTXSW);
		if (kind == 0) { /* simple: the older model, kept: only a running task is preempted */
			assert_false(b.h->cpu[0].need_resched);
			assert_int_equal(y.reschedules, 0);
		} else { /* fair: checked against the task being switched in, seen when it runs */
			assert_true(b.h->cpu[0].need_resched);
			assert_int_equal(y.reschedules, 1);
		}
		bare_free(&b);
	}
}

/* SCHED_FIFO: runs before fair tasks, preempts them on waking, is not rotated by the tick. */
static void test_fifo(void **state)
{
	struct bare b = bare_new(1, HOST_SCHED_FAIR, true, 1000);
	struct hog f = { 0 }, x = { 0 }, g = { 0 };
	host_task_init(&x.task, &hog_ops, &b.h->cpu[0], "x", 1);
	host_task_init(&f.task, &hog_ops, &b.h->cpu[0], "f", 2);
	host_task_init(&g.task, &hog_ops, &b.h->cpu[0], "g", 3);
	f.task.policy = g.task.policy = SCHED_FIFO;
	f.task.rt_priority = 50;
	g.task.rt_priority = 10;
	host_task_place(&x.task);
	sim_at(b.sim, 3 * SIM_MS, ev_wake, &f.task, NULL);
	sim_at(b.sim, 4 * SIM_MS, ev_wake, &g.task, NULL);
	sim_at(b.sim, 20 * SIM_MS, ev_sleep, &f.task, NULL);
	sim_run_until(b.sim, 19 * SIM_MS);
	assert_ptr_equal(b.h->cpu[0].curr, &f.task); /* f took the CPU at once and kept it */
	assert_int_equal(f.task.nivcsw, 0);
	assert_int_equal(x.task.nivcsw, 1);
	sim_run_until(b.sim, 30 * SIM_MS);
	assert_ptr_equal(b.h->cpu[0].curr, &g.task); /* then the lower-priority FIFO task, not x */
	assert_int_equal(g.task.nivcsw, 0);
	check_pcpu_time(&b);
	bare_free(&b);
}

static void ev_wake_remote(struct sim *sim, void *subject, void *object)
{
	host_task_wake_from(subject, true);
}

/* fifo_beside - x (with ops) running alone on pCPU 0, and f, SCHED_FIFO 50, asleep beside it */
static void fifo_beside(struct bare *b, struct hog *x, const struct host_task_ops *ops, struct hog *f)
{
	host_task_init(&x->task, ops, &b->h->cpu[0], "x", 1);
	host_task_init(&f->task, &hog_ops, &b->h->cpu[0], "f", 2);
	f->task.policy = SCHED_FIFO;
	f->task.rt_priority = 50;
	host_task_place(&x->task);
}

/* a wake-up from another CPU that preempts the running task reaches it by the reschedule IPI
 * (the host's ipi, 1 us here) later than one on its own CPU; need_resched is set at once; a
 * running task that models the IPI itself (own_ipi) is told at once */
static void test_remote_wake_ipi(void **state)
{
	sim_time_t ran[3];
	for (int remote = 0; remote < 3; remote++) {
		struct bare b = bare_new(1, HOST_SCHED_FAIR, true, 1000);
		struct hog f = { 0 }, x = { 0 };
		fifo_beside(&b, &x, remote == 2 ? &own_ipi_ops : &hog_ops, &f);
		sim_at(b.sim, 3 * SIM_MS + SIM_US / 2, remote ? ev_wake_remote : ev_wake, &f.task, NULL);
		sim_run_until(b.sim, 3 * SIM_MS + SIM_US);
		assert_true(b.h->cpu[0].need_resched || b.h->cpu[0].curr != &x.task);
		sim_run_until(b.sim, 4 * SIM_MS);
		assert_ptr_equal(b.h->cpu[0].curr, &f.task);
		ran[remote] = f.since;
		check_pcpu_time(&b);
		bare_free(&b);
	}
	assert_int_equal(ran[1] - ran[0], SIM_US);
	assert_int_equal(ran[2], ran[0]);
}

/* rq_clock_skip_update(): a wake-up that preempts x leaves the run-queue clock at the wake-up for the
 * schedule() that follows, so the woken f's CPU time (sum_exec_runtime) starts there, with the IPI and
 * the switch in it, and x's ends there. A tick in between moves the clock on: x keeps its time up to
 * the tick. Run delays are kvmsim's own: f waits from its wake-up to its switch. */
static void test_clock_skip(void **state)
{
	for (int lazy = 0; lazy < 2; lazy++) {
		struct bare b = bare_new(1, HOST_SCHED_FAIR, true, 1000);
		struct hog f = { 0 }, x = { 0 };
		fifo_beside(&b, &x, lazy ? &lazy_ops : &hog_ops, &f);
		const sim_time_t wake = 3 * SIM_MS + SIM_US / 2, tick = 4 * SIM_MS, gone = tick + 200 * SIM_US;
		sim_at(b.sim, wake, ev_wake_remote, &f.task, NULL);
		if (lazy) /* x never acts on need_resched: it blocks after the 4 ms tick */
			sim_at(b.sim, gone, ev_sleep, &x.task, NULL);
		const sim_time_t end = 5 * SIM_MS - 100 * SIM_US;
		sim_at(b.sim, end, ev_sleep, &f.task, NULL);
		sim_run_until(b.sim, end);
		sim_time_t clock = lazy ? tick : wake, switched = lazy ? gone : wake + SIM_US; /* + the IPI */
		assert_ptr_equal(b.h->cpu[0].curr, lazy ? NULL : &x.task); /* f asleep; x picked again, or asleep too */
		assert_int_equal(f.task.sum_exec, end - clock);
		assert_int_equal(f.task.runtime, end - switched - CTXSW); /* after its switch-in */
		assert_int_equal(f.task.run_delay, switched - wake);
		assert_int_equal(x.task.sum_exec, clock);
		assert_int_equal(x.task.run_delay, lazy ? 0 : end - switched); /* lazy x blocked, not preempted */
		assert_int_equal(x.task.sum_exec + f.task.sum_exec, end); /* moved from x to f, none lost */
		check_pcpu_time(&b);
		bare_free(&b);
	}
}

/* The skip asked by a wake-up that comes while x is being switched in (the check is against x):
 * x's CPU time stops at that wake-up, with no more than the part of its switch before it, and the
 * woken f's starts there. A yield that picks the yielding task again drops the skip and loses no
 * time. */
static void test_clock_skip_switch(void **state)
{
	struct bare b = bare_new(1, HOST_SCHED_FAIR, true, 1000);
	struct hog f = { 0 }, x = { 0 };
	fifo_beside(&b, &x, &hog_ops, &f);
	sim_at(b.sim, SIM_MS, ev_sleep, &x.task, NULL);
	sim_at(b.sim, 2 * SIM_MS, ev_wake, &x.task, NULL);
	sim_time_t t = 2 * SIM_MS;
	while (b.h->cpu[0].phase != PCPU_SWITCH) /* x's switch-in, after the idle exit */
		sim_run_until(b.sim, t += 100 * SIM_NS);
	const sim_time_t wake = t + 500 * SIM_NS, end = 3 * SIM_MS;
	sim_at(b.sim, wake, ev_wake_remote, &f.task, NULL);
	sim_at(b.sim, end, ev_sleep, &f.task, NULL);
	sim_run_until(b.sim, end);
	const sim_time_t picked = x.since - CTXSW; /* x's switch began there; it ran from its end */
	assert_true(picked <= t && wake < x.since);
	assert_int_equal(x.task.sum_exec, SIM_MS + (wake - picked));
	assert_int_equal(f.task.sum_exec, end - wake);
	assert_ptr_equal(b.h->cpu[0].curr, &x.task);
	assert_false(b.h->cpu[0].clock_skip);
	check_pcpu_time(&b);
	bare_free(&b);

	/* x alone asks to yield (a need_resched with nothing else to run): schedule() picks it again */
	struct bare c = bare_new(1, HOST_SCHED_FAIR, true, 1000);
	struct hog y = { 0 };
	host_task_init(&y.task, &hog_ops, &c.h->cpu[0], "y", 1);
	host_task_place(&y.task);
	sim_run_until(c.sim, 500 * SIM_US);
	c.h->cpu[0].need_resched = true;
	c.h->cpu[0].clock_skip = true; /* as a wake-up would have left it */
	c.h->cpu[0].clock_at = 400 * SIM_US;
	assert_false(host_task_yield(&y.task));
	assert_false(c.h->cpu[0].clock_skip);
	sim_run_until(c.sim, SIM_MS);
	host_finish(c.h);
	assert_int_equal(y.task.sum_exec, SIM_MS); /* none lost, none counted twice */
	bare_free(&c);
}

/* Affinity: a waking task goes to an idle allowed pCPU; an idle pCPU pulls queued work; migrations counted. */
static void test_placement_balance(void **state)
{
	struct bare b = bare_new(2, HOST_SCHED_FAIR, false, 1000);
	static const uint64_t both = 3;
	struct hog x = { 0 }, y = { 0 }, z = { 0 };
	host_task_init(&x.task, &hog_ops, &b.h->cpu[0], "x", 1);
	host_task_init(&y.task, &hog_ops, &b.h->cpu[0], "y", 2);
	host_task_init(&z.task, &hog_ops, &b.h->cpu[0], "z", 3);
	y.task.cpus_mask = &both;
	z.task.cpus_mask = &both;
	host_task_place(&x.task);                      /* x pinned to pCPU 0 */
	sim_at(b.sim, SIM_MS, ev_wake, &y.task, NULL); /* pCPU 0 busy, pCPU 1 idle: y goes there */
	sim_run_until(b.sim, 2 * SIM_MS);
	assert_ptr_equal(y.task.cpu, &b.h->cpu[1]);
	assert_int_equal(y.task.nr_migrations, 1);
	/* z placed on pCPU 0 (queued behind x); y blocks: pCPU 1 goes idle and pulls z */
	host_task_place(&z.task);
	sim_at(b.sim, 3 * SIM_MS, ev_sleep, &y.task, NULL);
	sim_run_until(b.sim, 4 * SIM_MS);
	assert_ptr_equal(z.task.cpu, &b.h->cpu[1]);
	assert_int_equal(z.task.nr_migrations, 1);
	assert_int_equal(b.h->cpu[1].balance_pulls, 1);
	assert_ptr_equal(b.h->cpu[1].curr, &z.task);
	assert_ptr_equal(b.h->cpu[0].curr, &x.task);
	check_pcpu_time(&b);
	bare_free(&b);
}

/* ---- whole runs -------------------------------------------------------------------- */

static struct run *run_scenario(const char *path, const char *const *sets)
{
	return run_load(path, NULL, sets, 0);
}

/* every pCPU's time in one bucket; the pCPUs' guest/kvm/poll/task time is the tasks'; steal within runnable;
 * the kernel's CPU times (sum_exec_runtime, by the run-queue clock) within the busy time, as a skipped
 * clock update only moves time from one task to the next */
static void check_conservation(const struct run *r)
{
	const struct machine *m = &r->m;
	sim_time_t d = r->sc.duration - r->m.warmup, pc[ACCT_N] = { 0 }, vc[VACCT_N] = { 0 }, task = 0;
	for (int p = 0; p < m->host->ncpu; p++) {
		sim_time_t sum = 0;
		for (int a = 0; a < ACCT_N; a++) {
			sum += m->host->cpu[p].acct_ps[a];
			pc[a] += m->host->cpu[p].acct_ps[a];
		}
		assert_int_equal(sum, d);
	}
	for (int i = 0; i < m->nvcpus; i++) {
		const struct vcpu *v = &m->vcpus[i];
		sim_time_t sum = 0;
		for (int a = 0; a < VACCT_N; a++) {
			sum += v->acct_ps[a];
			vc[a] += v->acct_ps[a];
		}
		assert_int_equal(sum, d);
		assert_true(v->task.run_delay <= v->acct_ps[VACCT_RUNNABLE]);
		assert_true(v->task.run_delay >= 0);
	}
	assert_int_equal(pc[ACCT_GUEST], vc[VACCT_GUEST]);
	assert_int_equal(pc[ACCT_KVM], vc[VACCT_KVM]);
	assert_int_equal(pc[ACCT_POLL_OK], vc[VACCT_POLL_OK]);
	assert_int_equal(pc[ACCT_POLL_FAIL], vc[VACCT_POLL_FAIL]);
	sim_time_t exec = 0;
	for (int i = 0; i < m->nloads; i++) {
		task += m->loads[i].task.runtime;
		exec += m->loads[i].task.sum_exec;
		assert_true(m->loads[i].task.runtime <= m->loads[i].offered);
	}
	assert_int_equal(pc[ACCT_TASK], task);
	for (int i = 0; i < m->nvcpus; i++)
		exec += m->vcpus[i].task.sum_exec;
	sim_time_t busy = pc[ACCT_GUEST] + pc[ACCT_GUEST_POLL] + pc[ACCT_KVM] + pc[ACCT_POLL_OK] + pc[ACCT_POLL_FAIL] +
			  pc[ACCT_TASK] + pc[ACCT_SCHED];
	assert_true(exec <= busy && exec >= busy - busy / 20);
}

static void test_runs_conserve(void **state)
{
	static const char *const cases[][10] = {
		{ "duration=300ms", "host.pcpus=1", "vm.vcpus=3", "vm.workload.rate=20000", "host.resched_rate=2000",
		  "host.tasks=[{name: a, pcpu: 0, load: {type: poisson, rate: 3000, work: 30us}}]", NULL },
		{ "duration=300ms", "kernel=5.15", "host.pcpus=4", "vm.count=3", "vm.vcpus=4", "vm.cpus=[0, 1, 2, 3]",
		  "vm.workload.rate=5000", "host.tasks=[{name: b, cpus: [0, 1], load: {rate: 2000, work: 200us}}]", NULL },
		{ "duration=300ms", "host.pcpus=2", "vm.count=2", "vm.vcpus=2", "vm.cpus=[0, 1]", "vm.idle=poll",
		  "host.hz=1000", "host.tasks=[{name: rt, sched_policy: fifo, rt_priority: 5, load: {rate: 1000, work: 50us}}]",
		  NULL },
		{ "duration=300ms", "kernel=6.1", "host.pcpus=2", "vm.vcpus=4", "vm.nice=5", "vm.cpus=[0, 1]",
		  "vm.workload={type: onoff, rate: 50000, on: 200us, off: {dist: exponential, mean: 1ms}}", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct run *r = run_scenario(NULL, cases[i]);
		check_conservation(r);
		run_free(r);
	}
}

/* The reproducer: the 50% task now gets its share from a vCPU that never halts. */
static void test_task_gets_its_share(void **state)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/workloads/scenarios/cyclictest-hrtimer.yaml", getenv("KVMSIM_SRC"));
	const char *const sets[] = { "vm.cyclictest.pinned=false", "duration=2s",
				     "host.tasks=[{name: noise, pcpu: 0, load: {rate: 5000, work: {dist: exponential, "
				     "mean: 100us}}}]",
				     NULL };
	struct run *r = run_scenario(path, sets);
	check_conservation(r);
	const struct host_load *l = &r->m.loads[0];
	assert_true(l->task.runtime >= r->sc.duration * 2 / 5);      /* at least 40% of its pCPU */
	assert_true(r->m.vcpus[0].task.run_delay >= r->sc.duration / 4); /* the vCPU waits for it */
	run_free(r);
	/* when the host has room (a light task beside a mostly halted vCPU) it gets all it offers */
	const char *const room[] = { "duration=1s", "host.pcpus=1", "vm.vcpus=1",
				     "host.tasks=[{name: t, pcpu: 0, load: {rate: 3000, work: 100us}}]", NULL };
	r = run_scenario(NULL, room);
	check_conservation(r);
	l = &r->m.loads[0];
	assert_true(l->offered - l->task.runtime <= SIM_MS); /* at most the bursts still running at the end */
	assert_true(l->offered >= r->sc.duration / 4);
	run_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfs_tick_rotates),  cmocka_unit_test(test_eevdf_tick_rotates),
		cmocka_unit_test(test_wakeup_preempt),	  cmocka_unit_test(test_wake_during_switch),
		cmocka_unit_test(test_fifo),		  cmocka_unit_test(test_placement_balance),
		cmocka_unit_test(test_remote_wake_ipi),		  cmocka_unit_test(test_clock_skip), cmocka_unit_test(test_clock_skip_switch),
		cmocka_unit_test(test_runs_conserve),	  cmocka_unit_test(test_task_gets_its_share),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
