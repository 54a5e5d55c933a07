/* test_event.c - the event core: order, FIFO ties, cancellation, clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "sim/event.h"

#define MAXLOG 200000

static int logv[MAXLOG];
static sim_time_t logt[MAXLOG];
static int nlog;

static void rec(struct sim *sim, void *subject, void *object)
{
	logv[nlog] = (int)(intptr_t)subject;
	logt[nlog] = sim_now(sim);
	nlog++;
}

static void test_time_order(void **state)
{
	struct sim *sim = sim_new();
	nlog = 0;
	sim_at(sim, 30, rec, (void *)3, NULL);
	sim_at(sim, 10, rec, (void *)1, NULL);
	sim_at(sim, 20, rec, (void *)2, NULL);
	assert_int_equal(sim_run_until(sim, 100), 3);
	assert_int_equal(nlog, 3);
	assert_int_equal(logv[0], 1);
	assert_int_equal(logv[1], 2);
	assert_int_equal(logv[2], 3);
	assert_int_equal(logt[0], 10);
	assert_int_equal(logt[2], 30);
	assert_int_equal(sim_now(sim), 100); /* the clock ends at `end` */
	sim_free(sim);
}

static void test_fifo_ties(void **state)
{
	struct sim *sim = sim_new();
	nlog = 0;
	/* many events at one instant, interleaved with others, fire in schedule order */
	for (int i = 0; i < 1000; i++) {
		sim_at(sim, 500, rec, (void *)(intptr_t)i, NULL);
		sim_at(sim, 400 + (i * 7919) % 300, rec, (void *)(intptr_t)(-1), NULL);
	}
	sim_run_until(sim, 1000);
	int k = 0;
	for (int i = 0; i < nlog; i++)
		if (logt[i] == 500 && logv[i] >= 0)
			assert_int_equal(logv[i], k++);
	assert_int_equal(k, 1000);
	sim_free(sim);
}

static sim_handle_t self_handle;
static int self_cancel_result = -1;

static void cancel_self(struct sim *sim, void *subject, void *object)
{
	self_cancel_result = sim_cancel(sim, self_handle);
	assert_false(sim_pending(sim, self_handle));
}

static void test_cancel(void **state)
{
	struct sim *sim = sim_new();
	nlog = 0;
	sim_handle_t a = sim_at(sim, 10, rec, (void *)1, NULL);
	sim_handle_t b = sim_at(sim, 20, rec, (void *)2, NULL);
	assert_true(sim_pending(sim, a));
	assert_int_equal(sim_event_time(sim, b), 20);
	assert_true(sim_cancel(sim, a));
	assert_false(sim_cancel(sim, a)); /* twice: harmless */
	assert_false(sim_pending(sim, a));
	assert_int_equal(sim_events_pending(sim), 1);
	self_handle = sim_at(sim, 15, cancel_self, NULL, NULL);
	sim_run_until(sim, 100);
	assert_int_equal(self_cancel_result, 0); /* an event cannot cancel itself once firing */
	assert_int_equal(nlog, 1);
	assert_int_equal(logv[0], 2);
	assert_false(sim_cancel(sim, b)); /* fired: stale */
	assert_false(sim_cancel(sim, SIM_NO_EVENT));
	/* a stale handle never cancels the slot's next occupant */
	sim_handle_t c = sim_at(sim, 200, rec, (void *)3, NULL);
	assert_false(sim_cancel(sim, b));
	assert_true(sim_pending(sim, c));
	sim_free(sim);
}

static void chain(struct sim *sim, void *subject, void *object)
{
	intptr_t n = (intptr_t)subject;
	rec(sim, subject, object);
	if (n > 0)
		sim_after(sim, 0, chain, (void *)(n - 1), NULL); /* same instant: after what is queued */
}

static void test_zero_delay_and_stop(void **state)
{
	struct sim *sim = sim_new();
	nlog = 0;
	sim_at(sim, 5, chain, (void *)3, NULL);
	sim_at(sim, 5, rec, (void *)100, NULL);
	sim_run_until(sim, 5);
	/* chain(3) fires, then the already-queued 100, then chain(2), chain(1), chain(0) */
	int want[] = { 3, 100, 2, 1, 0 };
	assert_int_equal(nlog, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(logv[i], want[i]);
	sim_free(sim);
}

static void stopper(struct sim *sim, void *subject, void *object)
{
	sim_stop(sim);
}

static void test_stop(void **state)
{
	struct sim *sim = sim_new();
	nlog = 0;
	sim_at(sim, 10, stopper, NULL, NULL);
	sim_at(sim, 20, rec, (void *)1, NULL);
	assert_int_equal(sim_run_until(sim, 100), 1);
	assert_int_equal(sim_now(sim), 10); /* stopped at the stopper's time */
	assert_int_equal(sim_run_until(sim, 100), 1);
	assert_int_equal(nlog, 1);
	sim_free(sim);
}

/*
 * Differential test against a naive reference: random schedules and cancels
 * (enough cancels to trigger tombstone compaction), including from inside
 * actions (the fused replace-root path); the firing order must equal the
 * reference's (time, then schedule order).
 */
struct ref {
	sim_time_t t;
	uint64_t seq;
	int id;
	int live;
	sim_handle_t h;
};
static struct ref refs[MAXLOG];
static int nref;
static uint64_t rseq;
static struct sim *dsim;
static unsigned rnd = 12345;
static unsigned rnext(void)
{
	rnd = rnd * 1103515245u + 12345u;
	return rnd >> 8;
}

static void dfire(struct sim *sim, void *subject, void *object);

static void dschedule(sim_time_t t)
{
	int id = nref++;
	refs[id] = (struct ref){ t, rseq++, id, 1, 0 };
	refs[id].h = sim_at(dsim, t, dfire, (void *)(intptr_t)id, NULL);
}

static void dfire(struct sim *sim, void *subject, void *object)
{
	int id = (int)(intptr_t)subject;
	assert_true(refs[id].live);
	refs[id].live = 0;
	rec(sim, subject, object);
	if (nref < MAXLOG - 10) {
		unsigned r = rnext() % 10;
		dschedule(sim_now(sim) + rnext() % 1000);
		if (r < 3)
			dschedule(sim_now(sim) + rnext() % 50);
		if (r >= 6) { /* cancel a random live one */
			int v = (int)(rnext() % (unsigned)nref);
			if (refs[v].live) {
				assert_true(sim_cancel(sim, refs[v].h));
				refs[v].live = 0;
				refs[v].t = -1;
			}
		}
	}
}

static int cmp_ref(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void test_differential(void **state)
{
	dsim = sim_new();
	nlog = nref = 0;
	rseq = 0;
	for (int i = 0; i < 3000; i++)
		dschedule(rnext() % 5000);
	for (int i = 0; i < 2500; i++) { /* heavy early cancellation: forces compaction */
		int v = (int)(rnext() % (unsigned)nref);
		if (refs[v].live) {
			assert_true(sim_cancel(dsim, refs[v].h));
			refs[v].live = 0;
			refs[v].t = -1;
		}
	}
	sim_run_until(dsim, SIM_TIME_MAX);
	assert_int_equal(sim_events_pending(dsim), 0);
	/* expected order: every non-cancelled event by (time, seq) */
	static struct ref sorted[MAXLOG];
	int n = 0;
	for (int i = 0; i < nref; i++)
		if (refs[i].t >= 0)
			sorted[n++] = refs[i];
	qsort(sorted, (size_t)n, sizeof(*sorted), cmp_ref);
	assert_int_equal(n, nlog);
	for (int i = 0; i < n; i++) {
		assert_int_equal(sorted[i].id, logv[i]);
		assert_int_equal(sorted[i].t, logt[i]);
	}
	assert_true(nlog > 10000);
	sim_free(dsim);
}

static void noop(struct sim *sim, void *subject, void *object)
{
}

static void test_memory_bounded_by_live_set(void **state)
{
	/* schedule and cancel far-future events forever: the heap must not grow */
	struct sim *sim = sim_new();
	for (int i = 0; i < 200000; i++) {
		sim_handle_t h = sim_at(sim, SIM_S + i, noop, NULL, NULL);
		assert_true(sim_cancel(sim, h));
	}
	assert_true(sim_queue_capacity(sim) <= 4096);
	assert_int_equal(sim_events_pending(sim), 0);
	sim_free(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_order),
		cmocka_unit_test(test_fifo_ties),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_zero_delay_and_stop),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_differential),
		cmocka_unit_test(test_memory_bounded_by_live_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
