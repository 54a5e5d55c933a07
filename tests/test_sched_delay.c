/*
 * test_sched_delay.c - EEVDF's delayed dequeue (6.12+, DELAY_DEQUEUE and
 * DELAY_ZERO) in the fair class (models/host/sched_fair.c): a task that
 * blocks while not eligible stays queued (not counted as runnable); woken
 * while its lag (against V with the running task's vruntime as last updated)
 * is negative, it keeps its vruntime and deadline; past its 0-lag point it is
 * placed again at that V with no lag; either way the running task, brought up
 * to date only then, may no longer be eligible and is preempted. Picked, a
 * delayed task leaves the queue with no lag. A task that blocks while eligible
 * behind a delayed one keeps the positive lag it had, so its next wake-up
 * preempts (6.6-6.11: it did not). A delayed task still counts for
 * single_task_running() (rq->nr_running), until it is woken or picked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "models/host/host.h"

#define CTXSW (2 * SIM_US)
#define T0 (300 * SIM_US) /* x alone: within its first deadline (half the 750 us base slice) */

static void run_nop(struct host_task *t)
{
	(void)t;
}

static void resched_nop(struct host_task *t, bool remote)
{
	(void)t, (void)remote;
}

/* the tasks never give the CPU up on their own: the test says when they block */
static const struct host_task_ops ops = { run_nop, resched_nop };

struct bare {
	struct sim *sim;
	struct host *h;
	struct host_task x, y;
};

/* one pCPU, fair class (EEVDF unless eevdf is false: CFS), no tick (nothing reschedules but the
 * wake-ups); x runs alone until T0 */
static void bare_new_era(struct bare *b, bool eevdf, bool delay, int hz)
{
	static const struct host_idle_state idle[] = { { .name = "POLL", .polling = true } };
	b->sim = sim_new();
	b->h = host_new(b->sim, 1, idle, 1, 0, false, true, 0, (struct host_conf_costs){ CTXSW, SIM_US }, 1);
	struct host_sched_conf c = { .kind = HOST_SCHED_FAIR, .eevdf = eevdf, .delay_dequeue = delay, .hz = hz };
	host_set_sched(b->h, &c);
	host_start(b->h);
	host_task_init(&b->x, &ops, &b->h->cpu[0], "x", 1);
	host_task_init(&b->y, &ops, &b->h->cpu[0], "y", 2);
	host_task_place(&b->x);
	sim_run_until(b->sim, T0);
}

static void bare_new(struct bare *b, bool delay, int hz)
{
	bare_new_era(b, true, delay, hz);
}

static void bare_free(struct bare *b)
{
	host_free(b->h);
	sim_free(b->sim);
}

/* y wakes with no lag at x's vruntime (x keeps the CPU: RUN_TO_PARITY); x runs 100 us more and blocks
 * ahead of V = the mean of the two: not eligible. */
static void x_blocks_ahead(struct bare *b)
{
	host_task_wake(&b->y);
	assert_false(b->h->cpu[0].need_resched);
	assert_int_equal(b->y.se.vruntime, b->x.se.vruntime);
	sim_run_until(b->sim, T0 + 100 * SIM_US);
	host_task_sleep(&b->x); /* y is switched in */
}

/* 6.12+: x stays queued, counted in the class's load and V but not in nr_running; 6.6-6.11: it leaves
 * with its negative lag. */
static void test_delayed_stays_queued(void **state)
{
	for (int delay = 0; delay < 2; delay++) {
		struct bare b;
		bare_new(&b, delay, 0);
		x_blocks_ahead(&b);
		struct pcpu *p = &b.h->cpu[0];
		assert_int_equal(b.x.state, TASK_SLEEPING);
		assert_int_equal(p->nr_running, 1);
		assert_int_equal(b.x.se.on_rq, delay);
		assert_int_equal(b.x.se.sched_delayed, delay);
		assert_int_equal(p->cfs_nr, delay ? 2 : 1);
		if (!delay)
			assert_true(b.x.se.vlag < 0); /* V - vruntime: 50 us behind */
		sim_run_until(b.sim, T0 + 140 * SIM_US);
		assert_ptr_equal(p->curr, &b.y); /* picking did not drop x: it was not eligible */
		assert_int_equal(b.x.se.sched_delayed, delay);
		bare_free(&b);
	}
}

/* Woken while still not eligible, the delayed x keeps its vruntime and deadline (no new placement); y,
 * still behind x, keeps the CPU. */
static void test_wake_delayed_keeps_vruntime(void **state)
{
	struct bare b;
	bare_new(&b, true, 0);
	x_blocks_ahead(&b);
	sim_time_t v = b.x.se.vruntime, d = b.x.se.deadline;
	sim_run_until(b.sim, T0 + 140 * SIM_US); /* y ran 40 us: V is 30 us behind x */
	host_task_wake(&b.x);
	assert_false(b.x.se.sched_delayed);
	assert_true(b.x.se.on_rq);
	assert_int_equal(b.x.se.vruntime, v);
	assert_int_equal(b.x.se.deadline, d);
	assert_int_equal(b.h->cpu[0].nr_running, 2); /* counted once */
	assert_false(b.h->cpu[0].need_resched);
	bare_free(&b);
}

/* The tick at 1 ms brings y's vruntime up to date 600 us past x: woken 10 us later, x's lag is positive
 * and it is placed again with no lag at V as of that tick (y's vruntime then; x's own left the average),
 * a new slice on. y, updated only now, is 10 us past that V: not eligible, so it loses the CPU. */
static void test_wake_delayed_past_zero_lag(void **state)
{
	struct bare b;
	bare_new(&b, true, 1000);
	x_blocks_ahead(&b);
	sim_time_t v = b.x.se.vruntime;
	sim_run_until(b.sim, SIM_MS + 10 * SIM_US);
	sim_time_t vy = b.y.se.vruntime; /* as the tick left it */
	assert_true(vy > v);
	host_task_wake(&b.x);
	assert_false(b.x.se.sched_delayed);
	assert_int_equal(b.x.se.vruntime, vy);
	assert_int_equal(b.x.se.deadline, vy + b.h->base_slice);
	assert_int_equal(b.y.se.vruntime, vy + 10 * SIM_US);
	assert_true(b.h->cpu[0].need_resched);
	bare_free(&b);
}

/* Woken 40 us after y's switch-in, with y's vruntime last updated at its pick, x's lag is still negative:
 * it keeps its place, ahead of y's stale vruntime but behind its real one. Brought up to date by the
 * preemption check, y has run 10 us past x: not eligible, so x, the eligible one, preempts. */
static void test_stale_curr_preempts(void **state)
{
	struct bare b;
	bare_new(&b, true, 0);
	x_blocks_ahead(&b);
	sim_time_t v = b.x.se.vruntime, d = b.x.se.deadline;
	sim_run_until(b.sim, T0 + 210 * SIM_US); /* y ran 110 us since its pick: 10 us past x */
	host_task_wake(&b.x);
	assert_int_equal(b.x.se.vruntime, v);
	assert_int_equal(b.x.se.deadline, d);
	assert_true(b.h->cpu[0].need_resched);
	bare_free(&b);
}

/* y blocks 40 us after x was delayed: y is eligible (behind x), so it leaves at once with its positive
 * lag; the pCPU then picks the delayed x, which leaves the queue with no lag, and goes idle. Woken again
 * while x runs, y is placed behind x by that lag and preempts it. 6.6-6.11: x left with its negative lag
 * and y, alone, with none: no preemption. */
static void test_positive_lag_preempts(void **state)
{
	for (int delay = 0; delay < 2; delay++) {
		struct bare b;
		bare_new(&b, delay, 0);
		x_blocks_ahead(&b);
		struct pcpu *p = &b.h->cpu[0];
		sim_run_until(b.sim, T0 + 140 * SIM_US);
		host_task_sleep(&b.y);
		assert_int_equal(p->nr_running, 0);
		assert_int_equal(p->phase, PCPU_IDLE);
		assert_false(b.x.se.on_rq);
		assert_false(b.x.se.sched_delayed);
		assert_int_equal(p->cfs_nr, 0);
		if (delay) {
			assert_int_equal(b.x.se.vlag, 0);                 /* DELAY_ZERO */
			assert_true(b.y.se.vlag >= 29 * SIM_US && b.y.se.vlag <= 31 * SIM_US); /* (100 - 40) / 2 */
		} else {
			assert_int_equal(b.y.se.vlag, 0);
		}
		host_task_wake(&b.x);
		sim_run_until(b.sim, T0 + 340 * SIM_US); /* x ran 200 us: within its slice */
		assert_ptr_equal(p->curr, &b.x);
		host_task_wake(&b.y);
		assert_int_equal(p->need_resched, delay);
		bare_free(&b);
	}
}

/* single_task_running() reads rq->nr_running, which holds a delayed task until it really leaves the
 * queue (dequeue_entities() returns before sub_nr_running()): with the delayed x queued behind the
 * running y, 6.12+ says false, so a halt poll of y would end at its first check; CFS (up to 6.5) and
 * EEVDF without the delay (6.6-6.11) dequeued x and say true. x woken is counted once; x picked and
 * dequeued leaves y alone again. */
static void test_single_task_running_delayed(void **state)
{
	static const struct {
		const char *era;
		bool eevdf, delay;
	} eras[] = { { "6.5", false, false }, { "6.6-6.11", true, false }, { "6.12+", true, true } };
	for (size_t i = 0; i < sizeof(eras) / sizeof(eras[0]); i++) {
		struct bare b;
		bare_new_era(&b, eras[i].eevdf, eras[i].delay, 0);
		struct pcpu *p = &b.h->cpu[0];
		host_task_wake(&b.y);
		assert_false(single_task_running(p)); /* x runs, y queued */
		sim_run_until(b.sim, T0 + 100 * SIM_US);
		host_task_sleep(&b.x); /* ahead of V under EEVDF: delayed from 6.12 */
		sim_run_until(b.sim, T0 + 110 * SIM_US);
		assert_ptr_equal(p->curr, &b.y);
		assert_int_equal(b.x.se.sched_delayed, eras[i].delay);
		assert_int_equal(p->nr_running, 1);
		assert_int_equal(p->nr_delayed, eras[i].delay);
		if (single_task_running(p) != !eras[i].delay)
			fail_msg("%s: single_task_running() %d with x asleep", eras[i].era, single_task_running(p));
		host_task_wake(&b.x); /* requeued (6.12+) or enqueued: runnable either way */
		assert_int_equal(p->nr_delayed, 0);
		assert_int_equal(p->nr_running, 2);
		assert_false(single_task_running(p));
		bare_free(&b);
	}
	/* 6.12+: y, eligible, blocks behind the delayed x: the pick dequeues x, nothing is counted */
	struct bare b;
	bare_new(&b, true, 0);
	x_blocks_ahead(&b);
	struct pcpu *p = &b.h->cpu[0];
	assert_int_equal(p->nr_delayed, 1);
	sim_run_until(b.sim, T0 + 140 * SIM_US);
	host_task_sleep(&b.y);
	assert_int_equal(p->phase, PCPU_IDLE);
	assert_int_equal(p->nr_delayed, 0);
	assert_int_equal(p->nr_running, 0);
	host_task_wake(&b.x);
	sim_run_until(b.sim, T0 + 200 * SIM_US);
	assert_ptr_equal(p->curr, &b.x);
	assert_true(single_task_running(p));
	bare_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delayed_stays_queued),
		cmocka_unit_test(test_wake_delayed_keeps_vruntime),
		cmocka_unit_test(test_wake_delayed_past_zero_lag),
		cmocka_unit_test(test_stale_curr_preempts),
		cmocka_unit_test(test_positive_lag_preempts),
		cmocka_unit_test(test_single_task_running_delayed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
