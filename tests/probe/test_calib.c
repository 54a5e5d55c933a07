/*
 * test_calib.c - the probe's patterns and JSON, and the calibration loop on
 * synthetic targets (no /dev/kvm needed): simulated figures move the way the
 * costs push them, and a fit to figures simulated from known costs finds costs
 * that reproduce those figures.
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

#include "models/costs/costs.h"
#include "traces/probe/calib.h"
#include "traces/probe/probe.h"
#include "tests/probe/calib_synth.h"

static void test_pattern_parse(void **state)
{
	(void)state;
	struct probe_pattern p = { .count = 10, .halt_poll_ns = -1 };
	char why[256];
	assert_int_equal(probe_pattern_parse("periodic:100us", &p, why, sizeof(why)), 0);
	assert_int_equal(p.kind, PROBE_PERIODIC);
	assert_int_equal(p.interval_ns, 100000);
	assert_int_equal(probe_pattern_parse("poisson:2.5us", &p, why, sizeof(why)), 0);
	assert_int_equal(p.kind, PROBE_POISSON);
	assert_int_equal(p.interval_ns, 2500);
	assert_int_equal(probe_pattern_parse("burst:8x20us/2ms", &p, why, sizeof(why)), 0);
	assert_int_equal(p.kind, PROBE_BURST);
	assert_int_equal(p.burst_len, 8);
	assert_int_equal(p.interval_ns, 20000);
	assert_int_equal(p.burst_gap_ns, 2000000);
	assert_int_equal(p.count, 10); /* left as it was */
	assert_int_equal(probe_pattern_parse("timer:50us", &p, why, sizeof(why)), 0);
	assert_int_equal(p.kind, PROBE_TIMER);
	assert_int_equal(p.interval_ns, 50000);
	const char *bad[] = { "periodic:0us", "periodic:100", "poisson:us", "burst:8x20us", "burst:0x20us/1ms",
			      "burst:8x20us/1s", "cyclic:10us", "periodic", "timer:", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct probe_pattern q = p;
		assert_int_equal(probe_pattern_parse(bad[i], &q, why, sizeof(why)), -1);
		assert_non_null(strstr(why, "expected periodic:Tus"));
		assert_memory_equal(&q, &p, sizeof(p)); /* untouched on error */
	}
}

static void test_gaps(void **state)
{
	(void)state;
	enum { N = 20000 };
	static int64_t g[N], h[N];
	struct probe_pattern p = { .count = N, .seed = 1 };
	char why[128];
	assert_int_equal(probe_pattern_parse("burst:4x10us/1ms", &p, why, sizeof(why)), 0);
	probe_gaps(&p, g, 12);
	for (int i = 0; i < 12; i++)
		assert_int_equal(g[i], i % 4 ? 10000 : 1000000);
	assert_int_equal(probe_pattern_parse("poisson:50us", &p, why, sizeof(why)), 0);
	probe_gaps(&p, g, N);
	probe_gaps(&p, h, N);
	assert_memory_equal(g, h, sizeof(g)); /* the same draws every time */
	double sum = 0;
	int64_t mn = INT64_MAX;
	for (int i = 0; i < N; i++) {
		sum += (double)g[i];
		mn = g[i] < mn ? g[i] : mn;
	}
	assert_true(mn >= 1);
	assert_true(sum / N > 0.97 * 50000 && sum / N < 1.03 * 50000); /* 3 sigma is ~2% */
	p.seed = 2;
	probe_gaps(&p, h, N);
	assert_memory_not_equal(g, h, sizeof(g));
}

static void test_kernel_release(void **state)
{
	(void)state;
	char b[16];
	assert_true(probe_kernel_release("6.18.44-fc-v669", b, sizeof(b)));
	assert_string_equal(b, "6.18");
	assert_true(probe_kernel_release("5.10", b, sizeof(b)));
	assert_string_equal(b, "5.10");
	assert_false(probe_kernel_release("linux", b, sizeof(b)));
}

/* a hand-made probe result: the JSON is kvmsim-run/1 and calib reads back what went in */

static void test_probe_json(void **state)
{
	(void)state;
	struct probe_result r;
	char why[256];
	int64_t gaps[4] = { 100000, 110000, 90000, 100000 };
	hand_made(&r, gaps);
	r.other_ns = 100000;
	sim_hist_record(&r.lat, 3000);
	sim_hist_record(&r.lat, 3000);
	sim_hist_record(&r.lat, 40000);
	r.st.halt_attempted_poll = 4;
	r.st.halt_successful_poll = 3;
	r.st.halt_poll_success_ns = 150000;
	r.st.halt_poll_fail_ns = 50000;
	r.st.have_hist = true;
	r.st.hist[0][15] = 3;
	r.st.hist[1][8] = 1;  /* a poll cut at its first check, 128-256 ns (a slower host's) */
	r.st.hist[1][14] = 1; /* one that ran out a window of 10 us: not a cut */
	json_t *j = probe_result_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "schema")), "kvmsim-run/1");
	const json_t *v = json_array_get(json_object_get(j, "vcpus"), 0);
	json_int_t sum = 0;
	const char *k;
	json_t *x;
	json_object_foreach((json_t *)json_object_get(v, "cpu_ps"), k, x)
		sum += json_integer_value(x);
	assert_int_equal(sum, 1000000 * 1000LL); /* the vCPU's time adds up to the window */
	sum = 0;
	json_object_foreach(json_object_get(json_array_get(json_object_get(j, "pcpus"), 0), "cpu_ps"), k, x)
		sum += json_integer_value(x);
	assert_int_equal(sum, 1000000 * 1000LL);
	struct calib_figs f;
	assert_int_equal(calib_figs_from_json(j, &f, why, sizeof(why)), 0);
	assert_int_equal(f.wakes, 4);
	assert_true(f.poll_success_pct > 74.9 && f.poll_success_pct < 75.1);
	assert_true(f.poll_cpu_pct > 19.9 && f.poll_cpu_pct < 20.1);     /* 200 us of 1 ms */
	assert_true(f.cpu_per_wake_ns > 74999 && f.cpu_per_wake_ns < 75001); /* 300 us over 4 */
	assert_true(f.p50_ns > 2990 && f.p50_ns < 3010);
	assert_true(f.have_hist);
	assert_int_equal(f.hist[0][15], 3);
	assert_true(f.cut_share == 0.25); /* 1 of the 4 polls attempted */
	struct calib_target t;
	assert_int_equal(calib_target_from_json(j, "hand-made", &t, why, sizeof(why)), 0);
	assert_string_equal(t.kernel, "6.18");
	assert_int_equal(t.halt_poll_ns, 100000);
	assert_true(t.other_share > 0.099 && t.other_share < 0.101);
	/* what the idle exit's spread is measured from: the latency's quantiles, the gaps' 1st percentile */
	assert_int_equal(t.lat_n, 3);
	assert_true(t.lat_q_ns[50] > 2990 && t.lat_q_ns[50] < 3010);
	assert_true(t.lat_q_ns[100] > 39000 && t.lat_q_ns[100] < 41000);
	assert_int_equal(t.gap_p1_ns, 90000);
	assert_int_equal(access(t.gapfile, R_OK), 0);
	char gapfile[sizeof(t.gapfile)];
	memcpy(gapfile, t.gapfile, sizeof(gapfile));
	calib_target_free(&t);
	assert_int_not_equal(access(gapfile, F_OK), 0); /* removed */
	json_object_del(json_object_get(j, "probe"), "gaps_ns");
	assert_int_equal(calib_target_from_json(j, "hand-made", &t, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "probe.gaps_ns"));
	json_decref(j);
	sim_hist_free(&r.lat);
}

static void test_simulate_moves(void **state)
{
	(void)state;
	struct calib_target sleep, poll, nopoll;
	synth(&sleep, 300000, 300, 50000);
	synth(&poll, 60000, 300, 200000);
	synth(&nopoll, 60000, 300, 0);
	char why[512];
	struct calib_figs a, b;
	double x[CP_N];
	memcpy(x, x0, sizeof(x));
	assert_int_equal(calib_simulate(&poll, "haswell-ep", x, NULL, &a, why, sizeof(why)), 0);
	assert_int_equal(calib_simulate(&nopoll, "haswell-ep", x, NULL, &b, why, sizeof(why)), 0);
	assert_int_equal(a.wakes, 300);
	assert_true(a.successful > 250);        /* a 60 us period polled for 200 us */
	assert_true(b.attempted == 0 && b.successful == 0);
	assert_true(a.p50_ns < b.p50_ns);       /* polling wakes faster */
	assert_true(a.poll_cpu_pct > 50);
	assert_int_equal(calib_simulate(&sleep, "haswell-ep", x, NULL, &a, why, sizeof(why)), 0);
	x[CP_IDLE_EXIT] *= 2;
	assert_int_equal(calib_simulate(&sleep, "haswell-ep", x, NULL, &b, why, sizeof(why)), 0);
	assert_true(b.p50_ns > a.p50_ns + 25000); /* a sleeping pCPU's idle exit is on the wake path */
	x[CP_IDLE_EXIT] = x0[CP_IDLE_EXIT];
	/* idle_entry: a wake-up within it of the pCPU going idle pays no idle exit; one later does */
	x[CP_IDLE_ENTRY] = 290000;
	assert_int_equal(calib_simulate(&sleep, "haswell-ep", x, NULL, &b, why, sizeof(why)), 0);
	assert_true(b.p50_ns < a.p50_ns - 25000); /* a 300 us period idles for less than 290 us */
	x[CP_IDLE_ENTRY] = 100000;
	assert_int_equal(calib_simulate(&sleep, "haswell-ep", x, NULL, &b, why, sizeof(why)), 0);
	assert_true(fabs(b.p50_ns - a.p50_ns) < 100); /* ... and for more than 100 us */
	x[CP_IDLE_ENTRY] = x0[CP_IDLE_ENTRY];
	x[CP_EXIT_ENTRY] *= 2;
	assert_int_equal(calib_simulate(&sleep, "haswell-ep", x, NULL, &b, why, sizeof(why)), 0);
	assert_true(b.cpu_per_wake_ns > a.cpu_per_wake_ns + 1000); /* two exits per wake-up */
	x[CP_EXIT_ENTRY] = x0[CP_EXIT_ENTRY];
	x[CP_WAKEUP] *= 2;
	assert_int_equal(calib_simulate(&sleep, "haswell-ep", x, NULL, &b, why, sizeof(why)), 0);
	assert_true(b.cpu_per_wake_ns > a.cpu_per_wake_ns);
	assert_true(b.p50_ns > a.p50_ns);
	calib_target_free(&sleep);
	calib_target_free(&poll);
	calib_target_free(&nopoll);
}

/* figures simulated from known costs are reproduced by the fitted ones */
static void test_fit_reproduces(void **state)
{
	(void)state;
	struct calib_target t[3];
	synth(&t[0], 60000, 400, 200000);
	synth(&t[1], 300000, 400, 50000);
	synth(&t[2], 150000, 400, 100000);
	char why[512];
	for (int i = 0; i < 3; i++)
		assert_int_equal(calib_simulate(&t[i], "haswell-ep", x0, NULL, &t[i].real, why, sizeof(why)), 0);
	struct calib_fit fit = { 0 };
	assert_int_equal(calib_fit(t, 3, "haswell-ep", &fit, why, sizeof(why)), 0);
	assert_true(fit.iters > 0);
	assert_true(fit.rms < 0.05);
	for (int i = 0; i < 3; i++) {
		struct calib_figs s;
		assert_int_equal(calib_simulate(&t[i], "haswell-ep", fit.x, NULL, &s, why, sizeof(why)), 0);
		assert_true(fabs(s.p50_ns - t[i].real.p50_ns) <= 0.1 * t[i].real.p50_ns);
		assert_true(fabs(s.poll_success_pct - t[i].real.poll_success_pct) <= 3);
	}
	/* the profile written is one the simulator loads, with the fitted values */
	char path[] = "/tmp/kvmsim-test-profile-XXXXXX.yaml";
	int fd = mkstemps(path, 5);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_int_equal(calib_write_profile(f, "haswell-ep", "synthetic", NULL, 2600000, &fit, t, 3, why, sizeof(why)), 0);
	fclose(f);
	struct cost_profile p = { 0 };
	struct conf_err err;
	if (cost_profile_load(&p, path, &err))
		fail_msg("%s", err.msg);
	unlink(path);
	assert_string_equal(p.name, "synthetic");
	assert_int_equal(p.cost[COST_vmexit].cycles, llround(fit.x[CP_EXIT_ENTRY] / 2));
	/* poll_iter held at the base profile's value (calib.c, fit_params), and the profile says so */
	assert_true(fit.held_poll_iter && fit.x[CP_POLL_ITER] == 150 && fit.sd[CP_POLL_ITER] == 0);
	assert_non_null(strstr(p.cost[COST_poll_iter].source, "not fitted: the haswell-ep profile's value"));
	assert_non_null(strstr(p.cost[COST_ctxsw].source, "fitted to kvmsim probe on this host (synthetic 60000 ns"));
	assert_non_null(strstr(p.cost[COST_inject].source, "not fitted: the haswell-ep profile's value"));
	assert_int_equal(p.nidle, 2);
	assert_int_equal(p.idle[1].exit_latency, llround(fit.x[CP_IDLE_EXIT]) * 1000);
	assert_int_equal(p.idle[1].entry_latency, llround(fit.x[CP_IDLE_ENTRY]) * 1000);
	assert_true(fit.x[CP_IDLE_ENTRY] < 2500); /* generated with none: the grid's smallest or next */
	cost_profile_free(&p);
	assert_int_equal(calib_fit(t, 1, "haswell-ep", &fit, why, sizeof(why)), -1); /* too few figures */
	for (int i = 0; i < 3; i++)
		calib_target_free(&t[i]);
}

/* an idle_entry the targets were simulated with is found again by the grid */
static void test_fit_finds_entry(void **state)
{
	(void)state;
	struct calib_target t[4];
	synth(&t[0], 60000, 400, 200000);
	synth(&t[1], 300000, 400, 50000);
	synth(&t[2], 150000, 400, 100000);
	synth(&t[3], 90000, 400, 0); /* polling off: wake-ups soon after the vCPU slept */
	double x[CP_N];
	memcpy(x, x0, sizeof(x));
	x[CP_IDLE_ENTRY] = 50000;
	char why[512];
	for (int i = 0; i < 4; i++)
		assert_int_equal(calib_simulate(&t[i], "haswell-ep", x, NULL, &t[i].real, why, sizeof(why)), 0);
	struct calib_fit fit = { 0 };
	assert_int_equal(calib_fit(t, 4, "haswell-ep", &fit, why, sizeof(why)), 0);
	/* the figures do not tell apart the values between the patterns' idle lengths: a range */
	assert_true(fit.x[CP_IDLE_ENTRY] >= 20000 && fit.x[CP_IDLE_ENTRY] <= 60000);
	struct calib_figs s;
	assert_int_equal(calib_simulate(&t[3], "haswell-ep", fit.x, NULL, &s, why, sizeof(why)), 0);
	assert_true(fabs(s.p25_ns - t[3].real.p25_ns) <= 0.1 * t[3].real.p25_ns);
	assert_true(fabs(s.p50_ns - t[3].real.p50_ns) <= 0.1 * t[3].real.p50_ns);
	assert_true(fabs(fit.x[CP_IDLE_EXIT] - x0[CP_IDLE_EXIT]) < 0.2 * x0[CP_IDLE_EXIT]);
	/* measured (--idle-entry): held at the quantiles' median, not chosen on the grid, and kept */
	struct calib_fit given = { 0 };
	assert_int_equal(calib_entry_parse("30us,42500ns,70us", &given, why, sizeof(why)), 0);
	assert_int_equal(calib_fit(t, 4, "haswell-ep", &given, why, sizeof(why)), 0);
	assert_true(given.x[CP_IDLE_ENTRY] == 42500); /* not on the grid (40, 50 us) */
	assert_int_equal(given.entry_nq, 3);
	assert_true(given.entry_q_ns[2] == 70000);
	for (int i = 0; i < 4; i++)
		calib_target_free(&t[i]);
}

/* write_and_load - calibrate's profile from base and fit, written to a temporary file and loaded */
static void write_and_load(const char *base, const struct calib_fit *fit, const struct calib_target *t, int n,
			   struct cost_profile *p)
{
	char out[] = "/tmp/kvmsim-test-out-XXXXXX.yaml", why[512];
	int fd = mkstemps(out, 5);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	if (calib_write_profile(f, base, "written", NULL, 2600000, fit, t, n, why, sizeof(why)))
		fail_msg("%s", why);
	fclose(f);
	struct conf_err err;
	if (cost_profile_load(p, out, &err))
		fail_msg("%s", err.msg);
	unlink(out);
}

/* a profile written by calibrate keeps the base profile's distributions of the costs it does not fit */
static void test_profile_keeps_dists(void **state)
{
	(void)state;
	char base[] = "/tmp/kvmsim-test-base-XXXXXX.yaml";
	int fd = mkstemps(base, 5);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	/* haswell-ep with three of its costs (none fitted) given a distribution */
	const char *hw = NULL;
	for (size_t i = 0; i < cost_profile_builtin_count(); i++)
		if (!strcmp(cost_profile_builtin_name(i), "haswell-ep"))
			hw = cost_profile_builtin_text(i);
	assert_non_null(hw);
	const char *costs = strstr(hw, "\ncosts:\n");
	assert_non_null(costs);
	fwrite(hw, 1, (size_t)(costs - hw), f);
	fprintf(f, "\ncosts:\n  inject: {quantiles: [100, 200, 400], source: t}\n"
		   "  apic_eoi: {quantiles: [1us, 2us, 4us], source: t}\n"
		   "  blk_dev_read: {time: 9us, cv: 0.1, dist: lognormal, source: t}\n");
	for (const char *l = costs + 8; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l + 1) : strlen(l);
		bool skip = !strncmp(l, "  inject:", 9) || !strncmp(l, "  apic_eoi:", 11) || !strncmp(l, "  blk_dev_read:", 15);
		if (skip) /* the cost's own indented lines go with it */
			for (l += n; *l && !strncmp(l, "    ", 4);) {
				e = strchr(l, '\n');
				l += e ? (size_t)(e - l + 1) : strlen(l);
			}
		else {
			fwrite(l, 1, n, f);
			l += n;
		}
	}
	fclose(f);
	struct calib_target t[2];
	synth(&t[0], 60000, 50, 200000);
	synth(&t[1], 300000, 50, 50000);
	struct calib_fit fit = { .converged = true, .iters = 1 };
	memcpy(fit.x, x0, sizeof(fit.x));
	struct cost_profile p = { 0 };
	write_and_load(base, &fit, t, 2, &p);
	assert_int_equal(p.cost[COST_inject].dist, CFG_COST_EMPIRICAL);
	assert_int_equal(p.cost[COST_inject].nquantiles, 3);
	assert_int_equal(p.cost[COST_inject].quantiles[2], 400);
	assert_int_equal(p.cost[COST_apic_eoi].dist, CFG_COST_EMPIRICAL);
	assert_int_equal(p.cost[COST_apic_eoi].quantiles[1], 2000000); /* ps */
	assert_int_equal(p.cost[COST_blk_dev_read].dist, CFG_COST_LOGNORMAL);
	assert_true(fabs(p.cost[COST_blk_dev_read].cv - 0.1) < 1e-9);
	cost_profile_free(&p);
	unlink(base);
	for (int i = 0; i < 2; i++)
		calib_target_free(&t[i]);
}

/* sleeper - t as a probe whose halts all slept: latency quantiles 50 us + 200 ns per percentile
 * around its median, a tail of 500 us above p98, every gap 290 us */
static void sleeper(struct calib_target *t, const char *label)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->label, sizeof(t->label), "%s", label);
	t->real.wakes = 1000;
	t->real.attempted = 5;
	t->lat_n = 1000;
	for (int k = 0; k < CALIB_EXIT_NQ; k++)
		t->lat_q_ns[k] = k > 98 ? 500000 : 50000 + 200.0 * (k - 50);
	t->gap_p1_ns = 290000;
}

/* the idle exit's distribution: measured on the probes that only slept, around the fitted value */
static void test_exit_shape(void **state)
{
	(void)state;
	struct calib_target t[5];
	sleeper(&t[0], "sleeps");
	sleeper(&t[1], "polled");
	t[1].real.attempted = 500; /* half its wake-ups polled */
	sleeper(&t[2], "short gaps");
	t[2].gap_p1_ns = 40000; /* below idle_entry + median latency + work */
	sleeper(&t[3], "busy");
	t[3].real.attempted = 0;
	t[3].other_share = 0.5;
	struct calib_fit fit = { 0 };
	memcpy(fit.x, x0, sizeof(fit.x));
	fit.x[CP_IDLE_ENTRY] = 20000;
	calib_exit_shape(t, 4, &fit);
	assert_int_equal(fit.exit_probes, 1);
	assert_int_equal(fit.exit_nq, CALIB_EXIT_NQ);
	assert_string_equal(fit.exit_from, "sleeps");
	assert_true(fabs(fit.exit_q_ns[50] - 30000) < 1e-6);
	assert_true(fabs(fit.exit_q_ns[5] - 21000) < 1e-6);             /* p5: 9 us below the median */
	assert_true(fabs(fit.exit_q_ns[0] - 21000) < 1e-6);             /* the single lowest are not taken */
	assert_true(fabs(fit.exit_q_ns[CALIB_EXIT_TOP] - 39000) < 1e-6); /* p95: 9 us above */
	assert_true(fabs(fit.exit_q_ns[100] - 39000) < 1e-6);            /* the tail above is not taken */
	/* two probes: their quantiles averaged; an exit below 0 is 0 */
	sleeper(&t[4], "sleeps");
	for (int k = 0; k < CALIB_EXIT_NQ; k++)
		t[4].lat_q_ns[k] += 100.0 * (k - 50); /* twice as wide */
	fit.x[CP_IDLE_EXIT] = 10000;
	calib_exit_shape(t, 5, &fit);
	assert_int_equal(fit.exit_probes, 2);
	assert_string_equal(fit.exit_from, "sleeps"); /* one pattern named once */
	assert_true(fabs(fit.exit_q_ns[40] - (10000 - 2500)) < 1e-6);
	assert_true(fit.exit_q_ns[0] == 0);
	for (int k = 1; k < CALIB_EXIT_NQ; k++)
		assert_true(fit.exit_q_ns[k] >= fit.exit_q_ns[k - 1]);
	/* a pattern whose label is part of another's is still named */
	struct calib_target u[2];
	sleeper(&u[0], "periodic:300us hp=50000");
	sleeper(&u[1], "periodic:300us hp=5000");
	calib_exit_shape(u, 2, &fit);
	assert_string_equal(fit.exit_from, "periodic:300us hp=50000, periodic:300us hp=5000");
	/* none that only slept: no distribution */
	calib_exit_shape(t + 1, 3, &fit);
	assert_int_equal(fit.exit_nq, 0);
	assert_int_equal(fit.exit_probes, 0);
}

/* the written profile carries the distribution, and the simulator draws from it */
static void test_exit_shape_used(void **state)
{
	(void)state;
	struct calib_target t[2];
	synth(&t[0], 300000, 300, 50000);
	synth(&t[1], 60000, 50, 200000);
	struct calib_fit fit = { .converged = true, .iters = 1 };
	memcpy(fit.x, x0, sizeof(fit.x));
	fit.exit_nq = CALIB_EXIT_NQ;
	fit.exit_probes = 1;
	snprintf(fit.exit_from, sizeof(fit.exit_from), "synthetic");
	for (int k = 0; k < CALIB_EXIT_NQ; k++) /* 20 to 40 us, evenly */
		fit.exit_q_ns[k] = 20000 + 200.0 * k;
	struct cost_profile p = { 0 };
	write_and_load("haswell-ep", &fit, t, 2, &p);
	assert_int_equal(p.nidle, 2);
	assert_non_null(p.idle[1].exit_q);
	assert_int_equal(p.idle[1].exit_nq, CALIB_EXIT_NQ);
	assert_int_equal(p.idle[1].exit_q[0], 20000 * SIM_NS);
	assert_int_equal(p.idle[1].exit_q[100], 40000 * SIM_NS);
	assert_null(p.idle[0].exit_q);
	cost_profile_free(&p);
	char why[512];
	/* a sleeping wake-up's latency spreads as the exit does (20 us from p0 to p100); without it, not */
	struct calib_figs a, b;
	assert_int_equal(calib_simulate(&t[0], "haswell-ep", fit.x, NULL, &a, why, sizeof(why)), 0);
	assert_int_equal(calib_simulate(&t[0], "haswell-ep", fit.x, &fit, &b, why, sizeof(why)), 0);
	assert_true(a.p75_ns - a.p25_ns < 500);
	assert_true(b.p75_ns - b.p25_ns > 7000 && b.p75_ns - b.p25_ns < 13000); /* half the range: 10 us */
	assert_true(fabs(b.p50_ns - a.p50_ns) < 2000);
	for (int i = 0; i < 2; i++)
		calib_target_free(&t[i]);
}

/* the polled wake-up's spread: measured on the probes whose every wake-up polled successfully,
 * put on the vCPU's entry around its fitted value (vmentry's quantiles in the profile) */
static void test_wake_spread(void **state)
{
	(void)state;
	struct calib_target t[3];
	sleeper(&t[0], "sleeps"); /* not a polling probe */
	sleeper(&t[1], "polls");
	t[1].real.attempted = t[1].real.successful = 990;
	for (int k = 0; k < CALIB_EXIT_NQ; k++)
		t[1].lat_q_ns[k] = k > 98 ? 90000 : 4000 + 20.0 * (k - 50); /* 3 to 5 us, a far tail */
	sleeper(&t[2], "polls but busy");
	t[2].real.attempted = t[2].real.successful = 990;
	t[2].other_share = 0.5;
	struct calib_fit fit = { 0 };
	memcpy(fit.x, x0, sizeof(fit.x));
	calib_exit_shape(t, 3, &fit);
	assert_int_equal(fit.wake_probes, 1);
	assert_string_equal(fit.wake_from, "polls");
	assert_true(fabs(fit.wake_dev_ns[50]) < 1e-6);
	assert_true(fabs(fit.wake_dev_ns[0] + 900) < 1e-6);   /* held at p5: -0.9 us */
	assert_true(fabs(fit.wake_dev_ns[100] - 900) < 1e-6); /* held at p95, the tail not taken */
	fit.converged = true;
	fit.exit_nq = 0;
	struct cost_profile p = { 0 };
	write_and_load("haswell-ep", &fit, t, 3, &p);
	/* vmentry: half of exit_entry (3000 cycles) -+ 0.9 us at 2.6 GHz (2340 cycles) */
	const struct cfg_cost *c = &p.cost[COST_vmentry];
	assert_int_equal(c->dist, CFG_COST_EMPIRICAL);
	assert_int_equal(c->nquantiles, CALIB_EXIT_NQ);
	assert_int_equal(c->quantiles[0], 3000 - 2340);
	assert_int_equal(c->quantiles[50], 3000);
	assert_int_equal(c->quantiles[100], 3000 + 2340);
	assert_int_equal(p.cost[COST_vmexit].cycles, 3000);
	cost_profile_free(&p);
	for (int i = 0; i < 3; i++)
		calib_target_free(&t[i]);
}

/* --idle-entry: measured quantiles, refused with a reason; the fit holds their median */
static void test_idle_entry_given(void **state)
{
	(void)state;
	struct calib_fit fit = { 0 };
	char why[256];
	assert_int_equal(calib_entry_parse("7us,9us,13us", &fit, why, sizeof(why)), 0);
	assert_int_equal(fit.entry_nq, 3);
	assert_true(fabs(calib_entry_median(&fit) - 9000) < 1e-9);
	/* the profile written: entry_latency the median (the fit's x), the quantiles to draw from */
	struct calib_target t;
	synth(&t, 60000, 50, 200000);
	memcpy(fit.x, x0, sizeof(fit.x));
	fit.x[CP_IDLE_ENTRY] = calib_entry_median(&fit);
	fit.converged = true;
	struct cost_profile p = { 0 };
	write_and_load("haswell-ep", &fit, &t, 1, &p);
	assert_int_equal(p.idle[1].entry_latency, 9000 * SIM_NS);
	assert_int_equal(p.idle[1].entry_nq, 3);
	assert_int_equal(p.idle[1].entry_q[2], 13000 * SIM_NS);
	cost_profile_free(&p);
	calib_target_free(&t);
	assert_int_equal(calib_entry_parse("7us,8us,9us,13us", &fit, why, sizeof(why)), 0);
	assert_true(fabs(calib_entry_median(&fit) - 8500) < 1e-9);
	static const char *const bad[][2] = {
		{ "9us", "expected at least 2 quantiles (times at evenly spaced probabilities), got 1" },
		{ "9us,7us", "\"7us\": the quantiles must not decrease" },
		{ "9,10", "\"9\": expected a time with its unit (ns, us, ms)" },
		{ "1us,2s", "\"2s\": more than a second" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(calib_entry_parse(bad[i][0], &fit, why, sizeof(why)), -1);
		assert_string_equal(why, bad[i][1]);
		assert_int_equal(fit.entry_nq, 0);
	}
}

/* --idle-growth: the growth and its time constant, refused with a reason; the value written
 * back gives the same; the profile written carries it into its halted state, and a target's
 * trial profile too (calib_simulate() of a target with a growth runs differently) */
static void test_idle_growth_given(void **state)
{
	(void)state;
	struct calib_growth g;
	char why[256], arg[64];
	assert_int_equal(calib_growth_parse("9us,200us", &g, why, sizeof(why)), 0);
	assert_true(g.ns == 9000 && g.tau_ns == 200000);
	calib_growth_arg(&g, arg, sizeof(arg));
	assert_string_equal(arg, "9000ns,200000ns");
	struct calib_growth again;
	assert_int_equal(calib_growth_parse(arg, &again, why, sizeof(why)), 0);
	assert_true(again.ns == g.ns && again.tau_ns == g.tau_ns);
	assert_int_equal(calib_growth_parse("0", &again, why, sizeof(why)), 0);
	assert_true(again.ns == 0 && again.tau_ns == 0);
	calib_growth_arg(&again, arg, sizeof(arg));
	assert_string_equal(arg, "0");
	static const char *const bad[][2] = {
		{ "9us", "\"9us\": expected the growth and its time constant, e.g. 9us,200us (or 0: none)" },
		{ "9us,1us,2us", "\"9us,1us,2us\": expected the growth and its time constant, e.g. 9us,200us (or 0: none)" },
		{ "9,200us", "\"9\": expected a time with its unit (ns, us, ms)" },
		{ "9us,", "\"\": expected a time with its unit (ns, us, ms)" },
		{ "2s,1us", "\"2s\": more than a second" },
		{ "9us,0us", "\"0us\": the time constant of a growth must be above 0" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(calib_growth_parse(bad[i][0], &g, why, sizeof(why)), -1);
		assert_string_equal(why, bad[i][1]);
	}
	struct calib_fit fit = { 0 };
	struct calib_target t;
	synth(&t, 60000, 50, 200000);
	memcpy(fit.x, x0, sizeof(fit.x));
	fit.converged = true;
	fit.growth = (struct calib_growth){ 9000, 200000 };
	struct cost_profile p = { 0 };
	write_and_load("haswell-ep", &fit, &t, 1, &p);
	assert_int_equal(p.idle[1].exit_growth, 9000 * SIM_NS);
	assert_int_equal(p.idle[1].exit_growth_tau, 200000 * SIM_NS);
	assert_int_equal(p.idle[0].exit_growth, 0);
	cost_profile_free(&p);
	calib_target_free(&t);
	/* every halt sleeps ~250 us: 20 us x (1 - e^(-2.5)) = 18.4 us more, near enough */
	struct calib_figs flat, grown;
	synth(&t, 300000, 50, 0);
	assert_int_equal(calib_simulate(&t, "haswell-ep", x0, NULL, &flat, why, sizeof(why)), 0);
	t.growth = (struct calib_growth){ 20000, 100000 };
	assert_int_equal(calib_simulate(&t, "haswell-ep", x0, NULL, &grown, why, sizeof(why)), 0);
	assert_true(grown.p50_ns - flat.p50_ns > 15000 && grown.p50_ns - flat.p50_ns < 20000);
	calib_target_free(&t);
}

/* busy: polls cut at their first check when there are polls, else other tasks' CPU share */
static void test_busy(void **state)
{
	(void)state;
	struct calib_target t = { 0 };
	t.real.have_hist = true;
	t.real.attempted = 100;
	t.real.cut_share = 0.05;
	t.other_share = 0.3; /* /proc/stat's ticks said busy, the polls did not */
	assert_false(calib_busy(&t));
	t.real.cut_share = 0.2;
	t.other_share = 0;
	assert_true(calib_busy(&t));
	t.real.attempted = 10; /* too few polls to tell: the CPU share decides */
	assert_false(calib_busy(&t));
	t.other_share = 0.06;
	assert_true(calib_busy(&t));
}

/* calib_figs_mean: each figure's own mean (a bucket's rounded), not its median, and its ends;
 * the poll shares from the mean counts, so that a probe with few polls weighs little */
static void test_figs_mean(void **state)
{
	(void)state;
	struct calib_figs a = { 0 }, b = { 0 }, c = { 0 }, m, lo, hi;
	a.attempted = 10, a.successful = 10, a.poll_success_pct = 100, a.cut_share = 1.0;
	b.attempted = 1000, b.successful = 600, b.poll_success_pct = 60, b.cut_share = 0.1;
	c.attempted = 1000, c.successful = 500, c.poll_success_pct = 50, c.cut_share = 0.2;
	a.p50_ns = 1, b.p50_ns = 3, c.p50_ns = 8; /* median 3 */
	a.coalesced = 3, b.coalesced = 9, c.coalesced = 0;
	a.hist[2][5] = 10, b.hist[2][5] = 30, c.hist[2][5] = 21; /* 20.33 */
	a.have_hist = b.have_hist = c.have_hist = true;
	const struct calib_figs *v[3] = { &a, &b, &c };
	calib_figs_mean(v, 3, &m, &lo, &hi);
	assert_true(fabs(m.attempted - 670) < 1e-9 && fabs(m.successful - 370) < 1e-9);
	/* 1110 of 2010 polls (the probes' mean share 70 %, their median 60 %) */
	assert_true(fabs(m.poll_success_pct - 100.0 * 1110 / 2010) < 1e-9);
	assert_true(lo.poll_success_pct == 50 && hi.poll_success_pct == 100);
	assert_true(fabs(m.cut_share - 310.0 / 2010) < 1e-9); /* calib_busy() reads it */
	assert_true(fabs(m.p50_ns - 4) < 1e-9 && lo.p50_ns == 1 && hi.p50_ns == 8);
	assert_true(fabs(m.coalesced - 4) < 1e-9);
	assert_int_equal(m.hist[2][5], 20);
	assert_true(m.have_hist);
	calib_figs_mean(v, 1, &m, NULL, NULL); /* one probe: its own figures */
	assert_true(m.poll_success_pct == 100 && m.cut_share == 1.0 && m.p50_ns == 1 && m.hist[2][5] == 10);
	c.attempted = c.successful = 0; /* no polls: no share */
	const struct calib_figs *w[1] = { &c };
	calib_figs_mean(w, 1, &m, NULL, NULL);
	assert_true(m.poll_success_pct == 0 && m.cut_share == 0);
	b.have_hist = false;
	calib_figs_mean(v, 3, &m, NULL, NULL);
	assert_false(m.have_hist);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pattern_parse), cmocka_unit_test(test_gaps),
		cmocka_unit_test(test_kernel_release), cmocka_unit_test(test_probe_json),
		cmocka_unit_test(test_simulate_moves), cmocka_unit_test(test_fit_reproduces),
		cmocka_unit_test(test_fit_finds_entry), cmocka_unit_test(test_figs_mean), cmocka_unit_test(test_busy),
		cmocka_unit_test(test_profile_keeps_dists), cmocka_unit_test(test_exit_shape),
		cmocka_unit_test(test_exit_shape_used), cmocka_unit_test(test_wake_spread),
		cmocka_unit_test(test_idle_entry_given),
		cmocka_unit_test(test_idle_growth_given),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
