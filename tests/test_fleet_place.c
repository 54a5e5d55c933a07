/* test_fleet_place.c - the fleet's bisection (fleet/bisect.c) and placement policies
 * (fleet/place.c) on hand-made inputs. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "fleet/bisect.h"
#include "fleet/place.h"

struct thr {
	int limit, calls, seen[64], err_at;
};

/* true up to limit; records every n asked */
static int below(int n, void *ctx)
{
	struct thr *t = ctx;
	assert_true(n >= 1);
	for (int i = 0; i < t->calls; i++)
		assert_int_not_equal(t->seen[i], n); /* never asked twice */
	t->seen[t->calls++] = n;
	if (t->err_at && n == t->err_at)
		return -7;
	return n <= t->limit;
}

static void test_bisect_every_limit(void **state)
{
	for (int hi = 1; hi <= 40; hi++)
		for (int limit = 0; limit <= hi + 2; limit++) {
			struct thr t = { .limit = limit };
			int best = -1, evals = -1;
			assert_int_equal(bisect_max(hi, below, &t, &best, &evals), 0);
			assert_int_equal(best, limit < hi ? limit : hi);
			assert_int_equal(evals, t.calls);
			/* ceil(log2(hi + 1)) questions at most */
			int bound = 0;
			while ((1 << bound) < hi + 1)
				bound++;
			assert_true(evals <= bound);
			for (int i = 0; i < t.calls; i++)
				assert_true(t.seen[i] <= hi);
		}
}

static void test_bisect_empty_and_error(void **state)
{
	struct thr t = { .limit = 5 };
	int best = -1, evals = -1;
	assert_int_equal(bisect_max(0, below, &t, &best, &evals), 0);
	assert_int_equal(best, 0);
	assert_int_equal(evals, 0);
	struct thr e = { .limit = 100, .err_at = 8 };
	assert_int_equal(bisect_max(15, below, &e, &best, &evals), -7);
	assert_int_equal(evals, 1); /* the first question (8) failed and stopped the search */
	assert_int_equal(best, 0);
}

static void test_place_names(void **state)
{
	assert_int_equal(place_find("first-fit"), PLACE_FIRST_FIT);
	assert_int_equal(place_find("best-fit"), PLACE_BEST_FIT);
	assert_int_equal(place_find("latency-aware"), PLACE_LATENCY);
	assert_int_equal(place_find("worst-fit"), -1);
}

static void test_first_fit(void **state)
{
	struct place_host h[3] = { { .cap = 8, .used = 7 }, { .cap = 8, .used = 2 }, { .cap = 8, .used = 0 } };
	assert_int_equal(place_pick(PLACE_FIRST_FIT, h, 3, 1), 0); /* exactly full is allowed */
	assert_int_equal(place_pick(PLACE_FIRST_FIT, h, 3, 2), 1);
	assert_int_equal(place_pick(PLACE_FIRST_FIT, h, 3, 8), 2);
	assert_int_equal(place_pick(PLACE_FIRST_FIT, h, 3, 9), -1); /* bigger than any host: refused */
}

static void test_best_fit(void **state)
{
	struct place_host h[4] = {
		{ .cap = 16, .used = 0 }, { .cap = 8, .used = 5 }, { .cap = 8, .used = 3 }, { .cap = 8, .used = 5 } };
	/* 2 vCPUs: host 1 is left with 1 (host 3 ties it: the first wins), host 2 with 3, host 0 with 14 */
	assert_int_equal(place_pick(PLACE_BEST_FIT, h, 4, 2), 1);
	assert_int_equal(place_pick(PLACE_BEST_FIT, h, 4, 4), 2);
	assert_int_equal(place_pick(PLACE_BEST_FIT, h, 4, 9), 0);
	assert_int_equal(place_pick(PLACE_BEST_FIT, h, 4, 17), -1);
	/* first-fit takes the big empty host instead */
	assert_int_equal(place_pick(PLACE_FIRST_FIT, h, 4, 2), 0);
}

static void test_latency_aware(void **state)
{
	/* room for vCPUs everywhere; host 0 is at its latency capacity (3 of 3 VMs), host 1 has 1 of 4 */
	struct place_host h[2] = { { .cap = 32, .used = 3, .lat_used = 1.0, .lat_need = 1.0 / 3 },
				   { .cap = 32, .used = 1, .lat_used = 0.25, .lat_need = 0.25 } };
	assert_int_equal(place_pick(PLACE_FIRST_FIT, h, 2, 1), 0);
	assert_int_equal(place_pick(PLACE_LATENCY, h, 2, 1), 1);
	/* fill host 1 to exactly 4 VMs of 1/4: the fourth fits (rounding must not refuse it), a fifth not */
	for (int k = 0; k < 3; k++) {
		assert_int_equal(place_pick(PLACE_LATENCY, h, 2, 1), 1);
		h[1].lat_used += 0.25;
		h[1].used += 1;
	}
	assert_int_equal(place_pick(PLACE_LATENCY, h, 2, 1), -1);
	/* a type that fits nowhere under the target (infinite share) is refused on an empty host too */
	struct place_host e = { .cap = 32, .lat_need = INFINITY };
	assert_int_equal(place_pick(PLACE_LATENCY, &e, 1, 1), -1);
	/* and the vCPU limit still holds */
	struct place_host f = { .cap = 2, .used = 2, .lat_need = 0.1 };
	assert_int_equal(place_pick(PLACE_LATENCY, &f, 1, 1), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bisect_every_limit), cmocka_unit_test(test_bisect_empty_and_error),
		cmocka_unit_test(test_place_names),	   cmocka_unit_test(test_first_fit),
		cmocka_unit_test(test_best_fit),	   cmocka_unit_test(test_latency_aware),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
