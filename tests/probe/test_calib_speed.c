/*
 * test_calib_speed.c - what calibrate takes from the probe guest's own clock
 * (traces/probe/calib.h): the host's speed during each probe (its EOI write's
 * median against the training probes'), and the handler's spread put on the
 * guest's work.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "traces/probe/calib.h"
#include "traces/probe/probe.h"
#include "tests/probe/calib_synth.h"

static const double x0[CP_N] = { 6000, 35000, 300, 30000, 7000, 5000, 10 };

/* a hand-made probe result, read back as a target; with_own: the guest timed itself */
static void read_back(bool with_own, struct calib_target *t)
{
	struct probe_result r;
	char why[256];
	int64_t gaps[4] = { 100000, 100000, 100000, 100000 };
	hand_made(&r, gaps);
	for (int i = 0; i < 4; i++)
		sim_hist_record(&r.lat, 5000);
	if (with_own) {
		int64_t h[5] = { 11100, 11200, 11200, 13800, 14000 }, e[5] = { 3750, 3760, 3800, 4600, 4700 };
		for (int i = 0; i < 5; i++) {
			sim_hist_record(&r.handler, h[i]);
			sim_hist_record(&r.eoi, e[i]);
		}
	}
	json_t *j = probe_result_json(&r);
	assert_int_equal(json_object_get(json_object_get(j, "probe"), "eoi_ns") != NULL, with_own);
	assert_int_equal(calib_target_from_json(j, "hand-made", t, why, sizeof(why)), 0);
	json_decref(j);
	sim_hist_free(&r.lat);
	sim_hist_free(&r.handler);
	sim_hist_free(&r.eoi);
}

static void test_speed_read(void **state)
{
	(void)state;
	struct calib_target t;
	read_back(true, &t);
	assert_true(fabs(t.eoi_ns - 3800) < 40); /* the median, within its histogram bucket */
	assert_int_equal(t.work_n, 5);
	assert_true(fabs(t.work_q_ns[50] - 11200) < 100);
	assert_true(t.work_q_ns[100] > 13900);
	calib_target_free(&t);
	read_back(false, &t); /* a probe from before the guest timed itself */
	assert_true(t.eoi_ns == 0);
	assert_int_equal(t.work_n, 0);
	calib_target_free(&t);
	/* a malformed one is an error that names it */
	struct probe_result r;
	int64_t gaps[4] = { 100000, 100000, 100000, 100000 };
	char why[256];
	hand_made(&r, gaps);
	sim_hist_record(&r.lat, 5000);
	json_t *j = probe_result_json(&r);
	json_object_set_new(json_object_get(j, "probe"), "eoi_ns", json_string("fast"));
	assert_int_equal(calib_target_from_json(j, "hand-made", &t, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "probe.eoi_ns"));
	json_decref(j);
	sim_hist_free(&r.lat);
}

/* the reference: the median of the probes that have one, at least 2; each probe's scale */
static void test_speed_ref(void **state)
{
	(void)state;
	struct calib_target t[4];
	memset(t, 0, sizeof(t));
	t[0].eoi_ns = 3800, t[1].eoi_ns = 6000, t[2].eoi_ns = 3900; /* t[3]: none */
	assert_true(calib_speed_ref(t, 4) == 3900);
	assert_true(calib_speed_ref(t, 2) == 4900); /* an even count: the middle two's mean */
	assert_true(calib_speed_ref(t + 2, 2) == 0); /* one is not enough */
	struct calib_fit fit = { .speed_ref_ns = 3900 };
	calib_speed_set(t, 4, &fit);
	assert_true(fabs(t[0].speed - 3800.0 / 3900) < 1e-12);
	assert_true(fabs(t[1].speed - 6000.0 / 3900) < 1e-12);
	assert_true(t[2].speed == 1);
	assert_true(t[3].speed == 1); /* its own speed unknown: as fitted */
	fit.speed_ref_ns = 0;
	calib_speed_set(t, 4, &fit);
	for (int i = 0; i < 4; i++)
		assert_true(t[i].speed == 1);
}

/* a probe at half the speed: every cost in cycles twice as long, so a polled wake-up too */
static void test_speed_simulate(void **state)
{
	(void)state;
	struct calib_target t;
	struct calib_figs a, b;
	char why[512];
	synth(&t, 60000, 300, 200000);
	assert_int_equal(calib_simulate(&t, "haswell-ep", x0, NULL, &a, why, sizeof(why)), 0);
	t.speed = 2;
	assert_int_equal(calib_simulate(&t, "haswell-ep", x0, NULL, &b, why, sizeof(why)), 0);
	assert_true(a.successful > 290 && b.successful > 290); /* every wake-up polled, both times */
	assert_true(b.p50_ns / a.p50_ns > 1.9 && b.p50_ns / a.p50_ns < 2.1);
	calib_target_free(&t);
}

/* the handler's spread: from the quiet probes that timed it, around the fitted guest_work */
static void test_work_spread(void **state)
{
	(void)state;
	struct calib_target t[3];
	memset(t, 0, sizeof(t));
	for (int i = 0; i < 3; i++) {
		snprintf(t[i].label, sizeof(t[i].label), "p%d", i);
		t[i].work_n = i < 2 ? 1000 : 0; /* the third predates the guest's own timing */
		for (int k = 0; k < CALIB_EXIT_NQ; k++)
			t[i].work_q_ns[k] = 11000 + (k > 50 ? 40.0 * (k - 50) : 10.0 * (k - 50)) * (i + 1);
	}
	t[1].other_share = 0.5; /* busy: left out */
	struct calib_fit fit = { 0 };
	memcpy(fit.x, x0, sizeof(fit.x));
	calib_exit_shape(t, 3, &fit);
	assert_int_equal(fit.work_probes, 1);
	assert_string_equal(fit.work_from, "p0");
	assert_true(fabs(fit.work_dev_ns[50]) < 1e-9);
	assert_true(fabs(fit.work_dev_ns[0] + 450) < 1e-9);   /* held at p5: -450 ns */
	assert_true(fabs(fit.work_dev_ns[100] - 1800) < 1e-9); /* held at p95: +1800 ns */
	double q[CALIB_EXIT_NQ];
	assert_int_equal(calib_work_quantiles(&fit, 7000, q), CALIB_EXIT_NQ);
	assert_true(q[0] == 6550 && q[50] == 7000 && q[100] == 8800);
	assert_int_equal(calib_work_quantiles(&fit, 200, q), CALIB_EXIT_NQ); /* below 0: 0 */
	assert_true(q[0] == 0 && q[50] == 200);
	for (int k = 1; k < CALIB_EXIT_NQ; k++)
		assert_true(q[k] >= q[k - 1]);
	assert_int_equal(calib_work_quantiles(NULL, 7000, q), 0);
	/* the simulation draws the work: shifted 5 us up, each wake-up's CPU is 5 us more */
	for (int k = 0; k < CALIB_EXIT_NQ; k++)
		fit.work_dev_ns[k] = 5000;
	struct calib_target s;
	struct calib_figs a, b;
	char why[512];
	synth(&s, 300000, 300, 50000);
	struct calib_fit none = fit;
	none.work_nq = 0;
	assert_int_equal(calib_simulate(&s, "haswell-ep", x0, &none, &a, why, sizeof(why)), 0);
	assert_int_equal(calib_simulate(&s, "haswell-ep", x0, &fit, &b, why, sizeof(why)), 0);
	assert_true(b.cpu_per_wake_ns - a.cpu_per_wake_ns > 4500 && b.cpu_per_wake_ns - a.cpu_per_wake_ns < 5500);
	calib_target_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_speed_read),
		cmocka_unit_test(test_speed_ref),
		cmocka_unit_test(test_speed_simulate),
		cmocka_unit_test(test_work_spread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
