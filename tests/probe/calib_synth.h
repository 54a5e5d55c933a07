/*
 * calib_synth.h - a synthetic calibration target for the tests (included by one
 * test program each; needs cmocka.h, string.h, stdio.h, stdlib.h first).
 */
#ifndef KVMSIM_TESTS_CALIB_SYNTH_H
#define KVMSIM_TESTS_CALIB_SYNTH_H

#include "traces/probe/calib.h"

/* x0 - costs to simulate synthetic targets with (calib.h's parameter order: exit_entry,
 * wakeup, poll_iter in cycles, idle_exit, guest_work in ns, irq_deliver in cycles, idle_entry
 * in ns) */
static const double x0[CP_N] = { 6000, 35000, 300, 30000, 7000, 5000, 10 };

/* synth - a target of n periodic wake-ups without measured figures yet. */
static void synth(struct calib_target *t, int64_t period_ns, long n, int64_t hp)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->label, sizeof(t->label), "synthetic %lld ns hp=%lld", (long long)period_ns, (long long)hp);
	snprintf(t->kernel, sizeof(t->kernel), "6.18");
	t->halt_poll_ns = hp;
	t->module_param[0] = 200000;
	t->module_param[1] = t->module_param[3] = 2;
	t->module_param[2] = 10000;
	t->dur_ns = period_ns * (n + 2);
	t->tsc_khz = 2600000;
	snprintf(t->gapfile, sizeof(t->gapfile), "/tmp/kvmsim-test-calib-XXXXXX");
	int fd = mkstemp(t->gapfile);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	for (long i = 0; i < n; i++)
		fprintf(f, "%lld\n", (long long)period_ns);
	fclose(f);
}

#ifdef KVMSIM_PROBE_PROBE_H
/* hand_made - a probe result of periodic:100us, 4 wake-ups over 1 ms (gaps: 4 of them, kept
 * by the caller), 300 us of the vCPU thread's CPU, its histograms empty. */
static void hand_made(struct probe_result *r, int64_t *gaps)
{
	char why[256];
	memset(r, 0, sizeof(*r));
	r->pat = (struct probe_pattern){ .count = 4, .seed = 1, .halt_poll_ns = 100000 };
	assert_int_equal(probe_pattern_parse("periodic:100us", &r->pat, why, sizeof(why)), 0);
	snprintf(r->kernel, sizeof(r->kernel), "6.18.44-test");
	r->module_param[0] = 200000;
	r->module_param[1] = r->module_param[3] = 2;
	r->module_param[2] = 10000;
	r->wall_ns = 1000000;
	r->cpu_ns = 300000;
	r->tsc_khz = 2600000;
	r->raised = 4;
	r->gap_ns = gaps;
	sim_hist_init(&r->lat);
	sim_hist_init(&r->handler);
	sim_hist_init(&r->eoi);
}
#endif

#endif
