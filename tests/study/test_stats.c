/*
 * test_stats.c - the statistics of `kvmsim compare` and of sweep results:
 * the Kolmogorov distribution against its published critical values, the KS
 * statistic on hand-worked histograms, quantiles of resampled buckets
 * against sim_hist_quantile, the bootstrap (no change: an interval around
 * zero; a 10% shift: an interval above zero; the same seed: the same
 * interval), and a run document's headline figures (runsum).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>

#include "sim/rng.h"
#include "sim/study/runsum.h"
#include "sim/study/stats.h"

static void test_kolmogorov(void **state)
{
	/* P(K > k) at the tabulated critical values of the Kolmogorov distribution */
	assert_true(fabs(st_kolmogorov_q(0.8276) - 0.50) < 1e-3);
	assert_true(fabs(st_kolmogorov_q(1.2238) - 0.10) < 1e-3);
	assert_true(fabs(st_kolmogorov_q(1.3581) - 0.05) < 1e-3);
	assert_true(fabs(st_kolmogorov_q(1.6276) - 0.01) < 1e-4);
	assert_true(st_kolmogorov_q(0) == 1);
	assert_true(st_kolmogorov_q(10) < 1e-80);
	/* the two series meet where the code switches between them */
	assert_true(fabs(st_kolmogorov_q(1.18 - 1e-9) - st_kolmogorov_q(1.18)) < 1e-9);
}

/* hist_of - a histogram of n values v[i] with counts c[i]. */
static void hist_of(struct sim_hist *h, const int64_t *v, const uint64_t *c, size_t n)
{
	sim_hist_init(h);
	for (size_t i = 0; i < n; i++)
		sim_hist_add(h, v[i], c[i]);
}

static void test_ks_hand_worked(void **state)
{
	struct sim_hist a, b;
	struct st_ks ks;
	/* F_a(10) = 5/10, F_b(10) = 2/10: D = 0.3 at the upper edge of bucket [10, 11) */
	hist_of(&a, (int64_t[]){ 10, 20 }, (uint64_t[]){ 5, 5 }, 2);
	hist_of(&b, (int64_t[]){ 10, 20 }, (uint64_t[]){ 2, 8 }, 2);
	st_ks(&a, &b, &ks);
	assert_true(fabs(ks.d - 0.3) < 1e-12);
	assert_int_equal(ks.at_ns, 11);
	assert_int_equal(ks.cand_slower, 1);
	double ne = 10.0 * 10.0 / 20.0;
	assert_true(fabs(ks.p - st_kolmogorov_q((sqrt(ne) + 0.12 + 0.11 / sqrt(ne)) * 0.3)) < 1e-15);
	st_ks(&b, &a, &ks);
	assert_int_equal(ks.cand_slower, 0);
	st_ks(&a, &a, &ks);
	assert_true(ks.d == 0 && ks.p == 1);
	sim_hist_free(&b);
	/* disjoint: D = 1, and with 1000 samples each the difference is certain */
	hist_of(&b, (int64_t[]){ 5000 }, (uint64_t[]){ 1000 }, 1);
	sim_hist_free(&a);
	hist_of(&a, (int64_t[]){ 300 }, (uint64_t[]){ 1000 }, 1);
	st_ks(&a, &b, &ks);
	assert_true(ks.d == 1 && ks.p < 1e-100 && ks.cand_slower);
	sim_hist_free(&a);
	sim_hist_free(&b);
}

/* lognormal_hist - n lognormal latencies around median ns, scaled by k, from stream name. */
static void lognormal_hist(struct sim_hist *h, size_t n, double median, double k, const char *name)
{
	gsl_rng *r = sim_rng_new(1, name);
	sim_hist_init(h);
	for (size_t i = 0; i < n; i++)
		sim_hist_record(h, (int64_t)(k * gsl_ran_lognormal(r, log(median), 0.6)));
	gsl_rng_free(r);
}

static void test_quantile_matches_hist(void **state)
{
	struct sim_hist h;
	struct st_sample s;
	lognormal_hist(&h, 20000, 50000, 1.0, "q");
	assert_int_equal(st_sample_from_hist(&h, &s), 0);
	for (int q = 0; q < ST_NQ; q++)
		assert_true(st_quantile(&s, s.count, s.n, q) == (double)sim_hist_quantile(&h, st_q[q]));
	st_sample_free(&s);
	sim_hist_free(&h);
}

static void test_bootstrap(void **state)
{
	struct sim_hist a, b, c;
	struct st_sample sa, sb, sc;
	struct st_delta same[ST_NQ], shift[ST_NQ], again[ST_NQ];
	lognormal_hist(&a, 5000, 50000, 1.0, "base");
	lognormal_hist(&b, 5000, 50000, 1.1, "base"); /* the same draws, 10% slower */
	lognormal_hist(&c, 5000, 50000, 1.0, "other"); /* the same distribution, other draws */
	st_sample_from_hist(&a, &sa);
	st_sample_from_hist(&b, &sb);
	st_sample_from_hist(&c, &sc);
	gsl_rng *r = sim_rng_new(1, "boot");
	st_bootstrap(&sa, &sa, 1000, 0.01, r, same);
	gsl_rng_free(r);
	for (int q = 0; q < 3; q++) { /* p50, p90, p99 */
		assert_true(same[q].delta == 0 && same[q].lo <= 0 && same[q].hi >= 0);
	}
	r = sim_rng_new(1, "boot");
	st_bootstrap(&sa, &sb, 1000, 0.01, r, shift);
	gsl_rng_free(r);
	for (int q = 0; q < 3; q++) {
		assert_true(fabs(shift[q].rel - 0.1) < 0.01);
		/* the interval covers the true shift; at p50 and p90 it excludes no change (at p99, 50
		 * samples above the quantile leave it wide: -5% .. +24% here) */
		assert_true(shift[q].rel_lo < 0.1 && shift[q].rel_hi > 0.1 && shift[q].rel_hi < 0.3);
		assert_true(q == 2 || (shift[q].lo > 0 && shift[q].rel_lo > 0.03));
	}
	r = sim_rng_new(1, "boot");
	st_bootstrap(&sa, &sb, 1000, 0.01, r, again);
	gsl_rng_free(r);
	assert_memory_equal(shift, again, sizeof(shift));
	r = sim_rng_new(1, "boot");
	st_bootstrap(&sa, &sc, 1000, 0.01, r, again);
	gsl_rng_free(r);
	for (int q = 0; q < 3; q++) /* other draws of the same distribution: no significant change */
		assert_true(again[q].lo <= 0 && again[q].hi >= 0);
	st_sample_free(&sa);
	st_sample_free(&sb);
	st_sample_free(&sc);
	sim_hist_free(&a);
	sim_hist_free(&b);
	sim_hist_free(&c);
}

static void test_runsum(void **state)
{
	static const char *doc =
		"{\"schema\": \"kvmsim-run/1\", \"scenario\": {\"duration_ps\": 1000}, \"events\": 42,"
		" \"vcpus\": ["
		"  {\"name\": \"vm0/vcpu0\", \"halts\": 3, \"stats\": {\"halt_successful_poll\": 1, \"halt_attempted_poll\": 3},"
		"   \"latency\": {\"wake\": {\"count\": 3, \"mean\": 100, \"min\": 100, \"max\": 100, \"histogram\": [[100, 1, 3]]},"
		"                \"irq\": {\"count\": 0, \"histogram\": []}}},"
		"  {\"name\": \"vm0/vcpu1\", \"halts\": 1, \"stats\": {\"halt_successful_poll\": 0, \"halt_attempted_poll\": 1},"
		"   \"latency\": {\"wake\": {\"count\": 1, \"mean\": 200, \"min\": 200, \"max\": 200, \"histogram\": [[200, 1, 1]]},"
		"                \"irq\": {\"count\": 0, \"histogram\": []}}}],"
		" \"pcpus\": [{\"cpu_ps\": {\"guest\": 300, \"idle\": 700}},"
		"            {\"cpu_ps\": {\"poll_ok\": 100, \"poll_fail\": 100, \"idle\": 800}}]}";
	json_error_t je;
	json_t *j = json_loads(doc, 0, &je);
	assert_non_null(j);
	struct runsum s;
	char why[256];
	assert_int_equal(runsum_from_json(j, &s, why, sizeof(why)), 0);
	assert_true(s.v[RS_WAKE_N] == 4 && s.v[RS_WAKE_MEAN] == 125);
	assert_true(s.v[RS_WAKE_P50] == 100 && s.v[RS_WAKE_P99] == 200 && s.v[RS_WAKE_MAX] == 200);
	assert_true(s.v[RS_IRQ_N] == 0 && isnan(s.v[RS_IRQ_P50]));
	assert_true(s.v[RS_HALTS] == 4 && s.v[RS_POLL_SUCCESS] == 0.25);
	assert_true(s.v[RS_HOST_CPU] == 0.5 && s.v[RS_POLL_CPU] == 0.2 && s.v[RS_GUEST_CPU] == 0.3);
	assert_true(s.v[RS_EVENTS] == 42);
	char buf[64];
	assert_string_equal(runsum_fmt(RS_HOST_CPU, s.v[RS_HOST_CPU], buf, sizeof(buf)), "0.500000");
	assert_string_equal(runsum_fmt(RS_IRQ_P50, s.v[RS_IRQ_P50], buf, sizeof(buf)), "");
	struct sim_hist h;
	assert_int_equal(runsum_latency(j, "wake", "vm0/vcpu1", &h, why, sizeof(why)), 0);
	assert_true(h.count == 1 && h.max == 200);
	sim_hist_free(&h);
	assert_int_equal(runsum_latency(j, "wake", "vm1/vcpu0", &h, why, sizeof(why)), -1);
	assert_string_equal(why, "no vCPU named \"vm1/vcpu0\"");
	/* the CPU times cover the run after its warm-up: shares are of that span, not of the duration */
	json_object_set_new(json_object_get(j, "scenario"), "warmup_ps", json_integer(500));
	assert_int_equal(runsum_from_json(j, &s, why, sizeof(why)), 0);
	assert_true(s.v[RS_HOST_CPU] == 1.0 && s.v[RS_POLL_CPU] == 0.4 && s.v[RS_GUEST_CPU] == 0.6);
	json_object_set_new(j, "schema", json_string("kvmsim-sweep/1"));
	assert_int_equal(runsum_from_json(j, &s, why, sizeof(why)), -1);
	assert_string_equal(why, "not a kvmsim run result (expected schema \"kvmsim-run/1\", got kvmsim-sweep/1)");
	json_decref(j);
}

/*
 * test_bootstrap_runs - seed-to-seed variation in the interval: two runs per side, one all at
 * 1000 ns and one all at 5000 ns. Pooled, every resample's p90 is 5000 (a zero-width interval);
 * resampling runs first draws both runs at 1000 a quarter of the time, so the interval of the
 * p90 change must reach +-4000. One run per side: exactly st_bootstrap.
 */
static void test_bootstrap_runs(void **state)
{
	(void)state;
	struct sim_hist h[2], pool;
	int64_t v[2] = { 1000, 5000 };
	uint64_t c[1] = { 1000 };
	hist_of(&h[0], &v[0], c, 1);
	hist_of(&h[1], &v[1], c, 1);
	sim_hist_init(&pool);
	sim_hist_merge(&pool, &h[0]);
	sim_hist_merge(&pool, &h[1]);
	struct st_runs runs, one;
	struct st_sample ps;
	assert_int_equal(st_runs_from_hists(h, 2, &runs), 0);
	assert_int_equal(st_runs_from_hists(&pool, 1, &one), 0);
	assert_int_equal(st_sample_from_hist(&pool, &ps), 0);
	struct st_delta d[ST_NQ], e[ST_NQ], f[ST_NQ];
	gsl_rng *r = sim_rng_new(1, "test");
	st_bootstrap_runs(&runs, &runs, 2000, 0.01, r, d);
	gsl_rng_free(r);
	assert_true(d[1].base == d[1].cand);
	assert_true(d[1].lo <= -3900 && d[1].hi >= 3900);
	r = sim_rng_new(1, "test");
	st_bootstrap(&ps, &ps, 2000, 0.01, r, e);
	gsl_rng_free(r);
	assert_true(e[1].lo == 0 && e[1].hi == 0);
	r = sim_rng_new(1, "test");
	st_bootstrap_runs(&one, &one, 2000, 0.01, r, f);
	gsl_rng_free(r);
	assert_memory_equal(e, f, sizeof(e));
	/* a resample of 2 runs may hold twice the largest run: refused beyond what a draw holds */
	struct sim_hist big[2];
	uint64_t cb[1] = { 3000000000u };
	hist_of(&big[0], &v[0], cb, 1);
	hist_of(&big[1], &v[1], cb, 1);
	struct st_runs no;
	assert_int_equal(st_runs_from_hists(big, 2, &no), -1);
	for (int i = 0; i < 2; i++) {
		sim_hist_free(&h[i]);
		sim_hist_free(&big[i]);
	}
	sim_hist_free(&pool);
	st_runs_free(&runs);
	st_runs_free(&one);
	st_sample_free(&ps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kolmogorov),	      cmocka_unit_test(test_ks_hand_worked),
		cmocka_unit_test(test_quantile_matches_hist), cmocka_unit_test(test_bootstrap),
		cmocka_unit_test(test_runsum),		      cmocka_unit_test(test_bootstrap_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
