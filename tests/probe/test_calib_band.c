/*
 * test_calib_band.c - calib_band(): how far the fit's own uncertainty moves a
 * prediction (kvmsim validate's "1-sigma" line), on synthetic targets.
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

#include "tests/probe/calib_synth.h"

static struct calib_fit fit_at_x0(void)
{
	struct calib_fit fit;
	memset(&fit, 0, sizeof(fit));
	memcpy(fit.x, x0, sizeof(fit.x));
	return fit;
}

static double cpu_at(struct calib_target *t, const double *x, const struct calib_fit *fit)
{
	struct calib_figs s;
	char why[512];
	assert_int_equal(calib_simulate(t, "haswell-ep", x, fit, &s, why, sizeof(why)), 0);
	return s.cpu_per_wake_ns;
}

/* band - calib_band over tv[0..n) with fit, which must succeed: its number of points */
static int band(struct calib_target **tv, int n, const struct calib_fit *fit, struct calib_figs *lo,
		struct calib_figs *hi)
{
	int points = -1;
	char why[512];
	assert_int_equal(calib_band(tv, n, "haswell-ep", fit, lo, hi, &points, why, sizeof(why)), 0);
	return points;
}

/* no uncertainty: one point, the prediction itself */
static void test_band_none(void **state)
{
	(void)state;
	struct calib_target t;
	synth(&t, 300000, 200, 50000);
	struct calib_target *tv[1] = { &t };
	struct calib_fit fit = fit_at_x0();
	struct calib_figs lo, hi;
	assert_int_equal(band(tv, 1, &fit, &lo, &hi), 1);
	double c = cpu_at(&t, fit.x, &fit);
	assert_true(lo.cpu_per_wake_ns == c && hi.cpu_per_wake_ns == c);
	assert_true(lo.p50_ns == hi.p50_ns);
	calib_target_free(&t);
}

/* several targets (a pattern's repeats): a point is their mean, as validate's table shows */
static void test_band_mean_of_targets(void **state)
{
	(void)state;
	struct calib_target t[3];
	synth(&t[0], 300000, 200, 50000);
	synth(&t[1], 100000, 200, 50000);
	synth(&t[2], 40000, 200, 50000);
	struct calib_target *tv[3] = { &t[0], &t[1], &t[2] };
	struct calib_fit fit = fit_at_x0();
	struct calib_figs lo, hi;
	assert_int_equal(band(tv, 3, &fit, &lo, &hi), 1);
	double c[3];
	for (int k = 0; k < 3; k++)
		c[k] = cpu_at(&t[k], fit.x, &fit);
	double mean = (c[0] + c[1] + c[2]) / 3;
	double mid = fmax(fmin(c[0], c[1]), fmin(fmax(c[0], c[1]), c[2]));
	assert_true(fabs(mean - mid) > 100); /* the targets tell the mean from the median */
	assert_true(fabs(lo.cpu_per_wake_ns - mean) < 1e-6 && fabs(hi.cpu_per_wake_ns - mean) < 1e-6);
	for (int k = 0; k < 3; k++)
		calib_target_free(&t[k]);
}

/* one determined parameter: the two ends are the simulations at exp(+-sigma) of it
 * (in its logarithm, as fitted); exits add CPU per wake-up, so lo is the lower end */
static void test_band_one_axis(void **state)
{
	(void)state;
	struct calib_target t;
	synth(&t, 300000, 200, 50000);
	struct calib_target *tv[1] = { &t };
	struct calib_fit fit = fit_at_x0();
	double s = 0.3;
	fit.cov[CP_EXIT_ENTRY][CP_EXIT_ENTRY] = s * s;
	fit.sd[CP_EXIT_ENTRY] = fit.x[CP_EXIT_ENTRY] * s;
	struct calib_figs lo, hi;
	assert_int_equal(band(tv, 1, &fit, &lo, &hi), 3);
	double x[CP_N];
	memcpy(x, fit.x, sizeof(x));
	x[CP_EXIT_ENTRY] = x0[CP_EXIT_ENTRY] * exp(-s);
	double down = cpu_at(&t, x, &fit);
	x[CP_EXIT_ENTRY] = x0[CP_EXIT_ENTRY] * exp(s);
	double up = cpu_at(&t, x, &fit);
	assert_true(down < cpu_at(&t, fit.x, &fit) && cpu_at(&t, fit.x, &fit) < up);
	assert_true(lo.cpu_per_wake_ns == down);
	assert_true(hi.cpu_per_wake_ns == up);
	calib_target_free(&t);
}

/* two parameters the results only bound together (perfectly anti-correlated): one axis
 * is moved along, the other (no variance) is not; a parameter at its bound is held */
static void test_band_axes(void **state)
{
	(void)state;
	struct calib_target t;
	synth(&t, 60000, 200, 200000);
	struct calib_target *tv[1] = { &t };
	struct calib_fit fit = fit_at_x0();
	double v = 0.04;
	fit.cov[CP_EXIT_ENTRY][CP_EXIT_ENTRY] = fit.cov[CP_GUEST_WORK][CP_GUEST_WORK] = v;
	fit.cov[CP_EXIT_ENTRY][CP_GUEST_WORK] = fit.cov[CP_GUEST_WORK][CP_EXIT_ENTRY] = -v;
	fit.sd[CP_EXIT_ENTRY] = fit.x[CP_EXIT_ENTRY] * sqrt(v);
	fit.sd[CP_GUEST_WORK] = fit.x[CP_GUEST_WORK] * sqrt(v);
	fit.x[CP_POLL_ITER] = 10; /* calibrate's lower bound: not determined */
	fit.sd[CP_POLL_ITER] = 1000;
	fit.cov[CP_POLL_ITER][CP_POLL_ITER] = 4;
	struct calib_figs lo, hi;
	assert_int_equal(band(tv, 1, &fit, &lo, &hi), 3);
	assert_true(lo.cpu_per_wake_ns <= hi.cpu_per_wake_ns);
	assert_true(lo.poll_cpu_pct < hi.poll_cpu_pct); /* the cycle's length moves the polling */
	calib_target_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_band_none),
		cmocka_unit_test(test_band_mean_of_targets),
		cmocka_unit_test(test_band_one_axis),
		cmocka_unit_test(test_band_axes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
