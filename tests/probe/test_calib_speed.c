/*
 * test_calib_speed.c - what calibrate takes from the probe guest's own clock
 * (traces/probe/calib.h): the host's speed during each probe, its EOI write's
 * median against the training probes'.
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

/* a hand-made probe result, read back as a target; with_own: the handler runs the guest timed */
static void read_back(int with_own, struct calib_target *t)
{
	struct probe_result r;
	char why[256];
	int64_t gaps[4] = { 100000, 100000, 100000, 100000 };
	hand_made(&r, gaps);
	for (int i = 0; i < 4; i++)
		sim_hist_record(&r.lat, 5000);
	for (int i = 0; i < with_own; i++) { /* 60 % fast, 40 % slow */
		sim_hist_record(&r.handler, i % 5 < 3 ? 11200 : 13800);
		sim_hist_record(&r.eoi, i % 5 < 3 ? 3760 : 4600);
	}
	json_t *j = probe_result_json(&r);
	assert_int_equal(json_object_get(json_object_get(j, "probe"), "eoi_ns") != NULL, with_own > 0);
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
	read_back(CALIB_EOI_MIN, &t);
	/* the mean from p5 to p95: 56 of those 91 percentiles fast (3760), 35 slow (4600) */
	assert_true(t.eoi_ns > 4050 && t.eoi_ns < 4120);
	calib_target_free(&t);
	read_back(CALIB_EOI_MIN - 1, &t); /* too few to tell the speed */
	assert_true(t.eoi_ns == 0);
	calib_target_free(&t);
	read_back(0, &t); /* a probe from before the guest timed itself */
	assert_true(t.eoi_ns == 0);
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
	assert_true(fabs(calib_speed(&t[0], &fit) - 3800.0 / 3900) < 1e-12);
	assert_true(fabs(calib_speed(&t[1], &fit) - 6000.0 / 3900) < 1e-12);
	assert_true(calib_speed(&t[2], &fit) == 1);
	assert_true(calib_speed(&t[3], &fit) == 1); /* its own speed unknown: as fitted */
	assert_true(calib_speed(&t[1], NULL) == 1);  /* a trial without a reference */
	t[1].speed_ref_ns = 3000;                    /* a trial of the fit: the reference it was given */
	assert_true(calib_speed(&t[1], NULL) == 2);
	fit.speed_ref_ns = 0;
	assert_true(calib_speed(&t[1], &fit) == 1);
}

/* a probe at half the speed: every cost in cycles twice as long, so a polled wake-up too, and
 * the guest's work (in ns) with them */
static void test_speed_simulate(void **state)
{
	(void)state;
	struct calib_target t;
	struct calib_figs a, b, c;
	char why[512];
	struct calib_fit ref = { .speed_ref_ns = 3800 };
	synth(&t, 60000, 300, 200000);
	assert_int_equal(calib_simulate(&t, "haswell-ep", x0, &ref, &a, why, sizeof(why)), 0);
	t.eoi_ns = 7600;
	assert_int_equal(calib_simulate(&t, "haswell-ep", x0, &ref, &b, why, sizeof(why)), 0);
	assert_true(a.successful > 290 && b.successful > 290); /* every wake-up polled, both times */
	assert_true(b.p50_ns / a.p50_ns > 1.9 && b.p50_ns / a.p50_ns < 2.1);
	t.speed_ref_ns = 3800; /* the same as a trial of the fit */
	assert_int_equal(calib_simulate(&t, "haswell-ep", x0, NULL, &c, why, sizeof(why)), 0);
	assert_true(c.p50_ns == b.p50_ns && c.cpu_per_wake_ns == b.cpu_per_wake_ns);
	calib_target_free(&t);
	/* sleeping wake-ups: 10 us more guest work is 20 us more CPU per wake-up at half the speed */
	double y[CP_N];
	memcpy(y, x0, sizeof(y));
	synth(&t, 300000, 300, 50000);
	t.eoi_ns = 7600;
	assert_int_equal(calib_simulate(&t, "haswell-ep", y, &ref, &a, why, sizeof(why)), 0);
	y[CP_GUEST_WORK] += 10000;
	assert_int_equal(calib_simulate(&t, "haswell-ep", y, &ref, &b, why, sizeof(why)), 0);
	assert_true(b.cpu_per_wake_ns - a.cpu_per_wake_ns > 19000 && b.cpu_per_wake_ns - a.cpu_per_wake_ns < 21000);
	calib_target_free(&t);
}

/* probes made at different speeds: the fit reproduces them only by simulating each at its own */
static void test_fit_speeds(void **state)
{
	(void)state;
	struct calib_target t[4];
	synth(&t[0], 60000, 400, 200000);
	synth(&t[1], 300000, 400, 50000);
	synth(&t[2], 150000, 400, 100000);
	synth(&t[3], 60000, 400, 200000); /* the first pattern again, at 1.6 times the cost */
	double eoi[4] = { 3800, 3800, 3800, 6080 };
	struct calib_fit truth = { .speed_ref_ns = 3800 };
	char why[512];
	for (int i = 0; i < 4; i++) {
		t[i].eoi_ns = eoi[i];
		assert_int_equal(calib_simulate(&t[i], "haswell-ep", x0, &truth, &t[i].real, why, sizeof(why)), 0);
	}
	struct calib_fit fit = { 0 };
	assert_int_equal(calib_fit(t, 4, "haswell-ep", &fit, why, sizeof(why)), 0);
	assert_true(fit.speed_ref_ns == 3800);
	assert_true(fit.speed_lo == 1 && fabs(fit.speed_hi - 1.6) < 1e-9);
	assert_true(fit.rms < 0.05);
	double with = fit.rms;
	for (int i = 0; i < 4; i++) /* the same figures, the speeds unknown */
		t[i].eoi_ns = 0;
	struct calib_fit blind = { 0 };
	assert_int_equal(calib_fit(t, 4, "haswell-ep", &blind, why, sizeof(why)), 0);
	assert_true(blind.speed_ref_ns == 0);
	assert_true(blind.rms > 2 * with && blind.rms > 0.05);
	for (int i = 0; i < 4; i++)
		calib_target_free(&t[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_speed_read),
		cmocka_unit_test(test_speed_ref),
		cmocka_unit_test(test_speed_simulate),
		cmocka_unit_test(test_fit_speeds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
