/*
 * test_costs.c - costs are distributions: a fixed value, a normal or lognormal spread
 * around it, or measured quantiles; how profiles and scenario overrides give them, and
 * what is refused (file, key and what was expected).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/costs/costs.h"
#include "sim/dist.h"
#include "sim/rng.h"
#include <unistd.h>

/* override - the haswell-ep profile with the scenario's costs: map `text`; -1 and err on a refusal. */
static int override(struct cost_profile *p, const char *text, struct conf_err *err)
{
	assert_int_equal(cost_profile_load(p, "haswell-ep", err), 0);
	struct conf_node *root = conf_load_string(text, "s.yaml", err);
	assert_non_null(root);
	int rc = cost_profile_override(p, conf_get(root, "costs"), err);
	conf_free(root);
	return rc;
}

/* moments - mean and relative sd of n draws of cost id */
static void moments(const struct cost_profile *p, int id, int n, double *mean, double *cv, sim_time_t *lo,
		    sim_time_t *hi)
{
	gsl_rng *r = sim_rng_new(7, "test");
	double s = 0, s2 = 0;
	*lo = INT64_MAX;
	*hi = 0;
	for (int i = 0; i < n; i++) {
		sim_time_t x = cost_draw(p, r, id);
		s += (double)x;
		s2 += (double)x * (double)x;
		*lo = x < *lo ? x : *lo;
		*hi = x > *hi ? x : *hi;
	}
	*mean = s / n;
	*cv = sqrt(s2 / n - *mean * *mean) / *mean;
	gsl_rng_free(r);
}

static void test_fixed_normal_lognormal(void **state)
{
	struct cost_profile p;
	struct conf_err err;
	assert_int_equal(override(&p, "costs:\n  vmexit: 2300\n  inject: {time: 1us, cv: 0.2}\n"
				       "  hlt_exit: {time: 1us, cv: 0.5, dist: lognormal}\n", &err), 0);
	double mean, cv;
	sim_time_t lo, hi;
	moments(&p, COST_vmexit, 1000, &mean, &cv, &lo, &hi); /* 2300 cycles at 2.3 GHz: 1 us, every time */
	assert_int_equal(lo, SIM_US);
	assert_int_equal(hi, SIM_US);
	moments(&p, COST_inject, 200000, &mean, &cv, &lo, &hi);
	assert_true(fabs(mean / SIM_US - 1) < 0.01 && fabs(cv - 0.2) < 0.01);
	moments(&p, COST_hlt_exit, 200000, &mean, &cv, &lo, &hi);
	assert_true(fabs(mean / SIM_US - 1) < 0.01 && fabs(cv - 0.5) < 0.03);
	assert_true(lo > 0 && hi > 3 * SIM_US); /* positive, with a long right tail */
	/* a later value keeps the spread it was given */
	struct conf_node *root = conf_load_string("costs: {hlt_exit: 2us}\n", "t", &err);
	assert_int_equal(cost_profile_override(&p, conf_get(root, "costs"), &err), 0);
	conf_free(root);
	moments(&p, COST_hlt_exit, 200000, &mean, &cv, &lo, &hi);
	assert_true(fabs(mean / SIM_US - 2) < 0.02 && fabs(cv - 0.5) < 0.03);
	cost_profile_free(&p);
}

static void test_quantiles(void **state)
{
	struct cost_profile p;
	struct conf_err err;
	/* a measured shape: most exits near 1 us, a tail to 5 us */
	assert_int_equal(override(&p, "costs:\n  vmexit: {quantiles: [0.8us, 0.9us, 1us, 1.2us, 5us], source: test}\n",
				  &err), 0);
	assert_int_equal(p.ps[COST_vmexit], 1500000); /* the mean of the piecewise-linear distribution: (0.85 + 0.95 + 1.1 + 3.1) / 4 us */
	double mean, cv;
	sim_time_t lo, hi;
	moments(&p, COST_vmexit, 200000, &mean, &cv, &lo, &hi);
	assert_true(lo >= 800000 && hi <= 5 * SIM_US);
	assert_true(fabs(mean - 1500000) / 1500000 < 0.01);
	/* cycles too, converted at the TSC rate */
	cost_profile_free(&p);
	assert_int_equal(override(&p, "costs: {vmexit: {quantiles: [2300, 4600]}}\n", &err), 0);
	assert_int_equal(p.ps[COST_vmexit], 1500000);
	cost_profile_free(&p);
}

static void refused(const char *text, const char *msg)
{
	struct cost_profile p;
	struct conf_err err;
	assert_int_equal(override(&p, text, &err), -1);
	assert_string_equal(err.msg, msg);
	cost_profile_free(&p);
}

static void test_refused(void **state)
{
	refused("costs: {vmexit: {quantiles: [1us]}}\n",
		"s.yaml:1: costs.vmexit.quantiles: expected a list of 2 to 1001 values (cycles, or times with units) at "
		"evenly spaced probabilities from 0 to 1");
	refused("costs: {vmexit: {quantiles: [2us, 1us]}}\n", "s.yaml:1: costs.vmexit.quantiles: quantiles must not decrease");
	refused("costs: {vmexit: {quantiles: [1000, 1us]}}\n",
		"s.yaml:1: costs.vmexit.quantiles: mix of cycles and times: give all in one kind");
	refused("costs: {vmexit: {quantiles: [1us, 2us], cv: 0.1}}\n",
		"s.yaml:1: costs.vmexit.cv: quantiles give the whole distribution: no cv or dist");
	refused("costs: {vmexit: {time: 1us, dist: gamma}}\n",
		"s.yaml:1: costs.vmexit.dist: expected normal or lognormal (or give quantiles: for a measured shape)");
	refused("costs: {vmexit: {time: 1us, quantiles: [1us, 2us]}}\n",
		"s.yaml:1: costs.vmexit: a cost needs exactly one of cycles:, time: or quantiles:");
	/* a name far from all 80: the known ones listed as far as they fit, then an ellipsis, last */
	struct cost_profile p;
	struct conf_err err;
	assert_int_equal(override(&p, "costs: {zzzzzzzzzzzzzzzzzzzz: 5}\n", &err), -1);
	const char *dots = strstr(err.msg, ", ...");
	if (!strstr(err.msg, "unknown key (known here: vmexit, vmentry,") || !dots || strcmp(dots, ", ...)"))
		fail_msg("%s", err.msg);
	cost_profile_free(&p);
	refused("costs: {poll_iter: {quantiles: [0, 0]}}\n",
		"s.yaml:1: costs.poll_iter: must take time: the halt-poll loop advances by it (profile haswell-ep)");
}

/* with_dist - haswell-ep whose state (its entry's text up to the exit latency, e.g. "{name: C6,
 * exit_latency: 133us,") has exit_latency_dist: dist, loaded from a file */
static int with_dist(struct cost_profile *p, const char *state, const char *dist, struct conf_err *err, char *path,
		     size_t len)
{
	const char *hw = NULL;
	for (size_t i = 0; i < cost_profile_builtin_count(); i++)
		if (!strcmp(cost_profile_builtin_name(i), "haswell-ep"))
			hw = cost_profile_builtin_text(i);
	assert_non_null(hw);
	const char *c6 = strstr(hw, state);
	assert_non_null(c6);
	snprintf(path, len, "/tmp/kvmsim-test-c6-XXXXXX.yaml");
	int fd = mkstemps(path, 5);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	size_t at = (size_t)(c6 - hw) + strlen(state);
	fprintf(f, "%.*s exit_latency_dist: %s,%s", (int)at, hw, dist, hw + at);
	fclose(f);
	int rc = cost_profile_load(p, path, err);
	unlink(path);
	return rc;
}

/* without_cost - haswell-ep with cost `name`'s entry (its lines up to the next cost) taken out,
 * loaded from a file */
static int without_cost(struct cost_profile *p, const char *name, struct conf_err *err)
{
	const char *hw = NULL;
	for (size_t i = 0; i < cost_profile_builtin_count(); i++)
		if (!strcmp(cost_profile_builtin_name(i), "haswell-ep"))
			hw = cost_profile_builtin_text(i);
	assert_non_null(hw);
	char key[64];
	snprintf(key, sizeof(key), "\n  %s:\n", name);
	const char *at = strstr(hw, key);
	assert_non_null(at);
	const char *next = at + strlen(key);
	while ((next = strchr(next, '\n')) && !strncmp(next + 1, "    ", 4))
		next++;
	assert_non_null(next);
	char path[] = "/tmp/kvmsim-test-nocost-XXXXXX.yaml";
	int fd = mkstemps(path, 5);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fprintf(f, "%.*s%s", (int)(at - hw), hw, next);
	fclose(f);
	int rc = cost_profile_load(p, path, err);
	unlink(path);
	return rc;
}

/* a profile written before ipi_guest existed (kvmsim calibrate's) still loads, with 0; any
 * other x86 cost missing is refused */
static void test_profile_without_ipi_guest(void **state)
{
	(void)state;
	struct cost_profile p;
	struct conf_err err;
	if (without_cost(&p, "ipi_guest", &err))
		fail_msg("%s", err.msg);
	assert_int_equal(p.ps[COST_ipi_guest], 0);
	assert_true(p.ps[COST_ipi] > 0);
	cost_profile_free(&p);
	assert_int_equal(without_cost(&p, "ipi", &err), -1);
	assert_non_null(strstr(err.msg, "the profile lacks ipi (every cost needs"));
}

/* an idle state's exit may be a measured distribution; the table's value stays the governors' */
static void test_idle_exit_dist(void **state)
{
	(void)state;
	struct cost_profile p;
	struct conf_err err;
	char path[64];
	static const char *const c6 = "{name: C6, exit_latency: 133us,";
	if (with_dist(&p, c6, "{quantiles: [50us, 80us, 133us]}", &err, path, sizeof(path)))
		fail_msg("%s", err.msg);
	assert_int_equal(p.nidle, 5);
	assert_int_equal(p.idle[4].exit_latency, 133 * SIM_US);
	assert_int_equal(p.idle[4].exit_nq, 3);
	assert_int_equal(p.idle[4].exit_q[1], 80 * SIM_US);
	assert_null(p.idle[3].exit_q);
	cost_profile_free(&p);
	static const char *const bad[][2] = {
		{ "30us", "expected {quantiles: [times with units]}" },
		{ "{quantiles: [100, 200]}", "expected {quantiles: [times with units]}" },
		{ "{time: 30us}", "expected {quantiles: [times with units]}" },
		{ "{quantiles: [1us, 2s]}", "is more than a second (at most 1s)" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(with_dist(&p, c6, bad[i][0], &err, path, sizeof(path)), -1);
		char want[160];
		snprintf(want, sizeof(want), ": idle_states.4.exit_latency_dist: %s (profile haswell-ep)", bad[i][1]);
		if (!strstr(err.msg, want) || strncmp(err.msg, path, strlen(path)))
			fail_msg("%s: %s", bad[i][0], err.msg);
		cost_profile_free(&p);
	}
	assert_int_equal(with_dist(&p, "{name: POLL, exit_latency: 0us,", "{quantiles: [1us, 2us]}", &err, path,
				   sizeof(path)), -1);
	assert_non_null(strstr(err.msg, ": idle_states.0.exit_latency_dist: a polling state has no exit or entry to draw"));
	cost_profile_free(&p);
	/* a draw: linear between the quantiles at evenly spaced probabilities */
	const sim_time_t q[3] = { 50 * SIM_US, 80 * SIM_US, 133 * SIM_US };
	assert_int_equal(quantile_sample(q, 3, 0.0), q[0]);
	assert_int_equal(quantile_sample(q, 3, 0.25), 65 * SIM_US);
	assert_int_equal(quantile_sample(q, 3, 0.5), q[1]);
	assert_int_equal(quantile_sample(q, 3, 0.75), 106500 * SIM_NS);
	assert_int_equal(quantile_sample(q, 3, 0.999999999), 133 * SIM_US - 1); /* never past the last */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_normal_lognormal),
		cmocka_unit_test(test_quantiles),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_idle_exit_dist), cmocka_unit_test(test_profile_without_ipi_guest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
