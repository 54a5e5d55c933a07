/*
 * calib_synth.h - a synthetic calibration target for the tests (included by one
 * test program each; needs cmocka.h, string.h, stdio.h, stdlib.h first).
 */
#ifndef KVMSIM_TESTS_CALIB_SYNTH_H
#define KVMSIM_TESTS_CALIB_SYNTH_H

#include "traces/probe/calib.h"

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

#endif
