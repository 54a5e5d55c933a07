/*
 * fuzz_idle_entry.c - the tracefs text reader of kvmsim validate's idle-entry
 * measurement (traces/idle_entry.c) on one input: whatever the lines, every
 * entry time it returns is a finite number of microseconds, not negative, and the
 * quantiles of them do not decrease; every wake-up's stay and latency too, and the
 * growth fitted to them is finite, with a time constant exactly when it grows.
 * The same text read as a probe's other tasks (traces/background.c): every
 * activation in the window, in order, taking some CPU, all of them together no
 * more than the window; every timed wake-up of the vCPU not negative.
 */
#include "tests/fuzz/fuzz_util.h"

#include <math.h>

#include "traces/background.h"
#include "traces/idle_entry.h"

/* check_background - f read as the other tasks on cpu beside the vCPU thread tid, every time a
 * line can have in the window */
static void check_background(FILE *f, int cpu, int tid)
{
	struct probe_background bg;
	const int64_t wall = INT64_MAX / 4;
	if (background_from_trace(f, cpu, tid, 4240, 0, wall, &bg) || !bg.traced)
		abort(); /* only out of memory */
	int64_t sum = 0;
	for (long i = 0; i < bg.n; i++) {
		if (bg.at_ns[i] < 0 || bg.at_ns[i] >= wall || (i && bg.at_ns[i] < bg.at_ns[i - 1]) || bg.work_ns[i] <= 0)
			abort();
		sum += bg.work_ns[i];
	}
	if (sum != bg.cpu_ns || sum > wall || bg.tasks < 0 || bg.tasks > bg.n)
		abort();
	for (long i = 0; i < bg.nbusy; i++)
		if (bg.busy_ns[i] < 0)
			abort();
	for (long i = 0; i < bg.nidle; i++)
		if (bg.idle_ns[i] < 0)
			abort();
	if (bg.nmsi > bg.nbusy) /* timed from their MSIs: some of the busy ones */
		abort();
	for (long i = 0; i < bg.nmsi; i++)
		if (bg.msi_ns[i] < 0)
			abort();
	probe_background_free(&bg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(fuzz_file(0, ".txt", data, size), "r");
	if (!f)
		abort();
	double *e = NULL, g, tau;
	struct idle_wake *w = NULL;
	size_t n = 0, nw = 0;
	if (idle_entry_from_trace(f, 0, 4242, 777, &e, &n, &w, &nw))
		abort(); /* only out of memory */
	for (int k = 0; k < 2; k++) { /* as the seeds have it: the entry's CPU 0, the background's 1 */
		rewind(f);
		check_background(f, k, k ? 15218 : 4242);
	}
	fclose(f);
	for (size_t i = 0; i < n; i++)
		if (!isfinite(e[i]) || e[i] < 0)
			abort();
	for (size_t i = 0; i < nw; i++)
		if (!isfinite(w[i].stay_us) || w[i].stay_us < 0 || !isfinite(w[i].latency_us) || w[i].latency_us < 0)
			abort();
	idle_growth_fit(w, nw, &g, &tau);
	if (!isfinite(g) || g < 0 || !isfinite(tau) || tau < 0 || (g > 0) != (tau > 0))
		abort();
	free(w);
	double q[IDLE_ENTRY_NQ];
	if (n) {
		idle_entry_quantiles(e, n, q, IDLE_ENTRY_NQ);
		for (int k = 1; k < IDLE_ENTRY_NQ; k++)
			if (!(q[k] >= q[k - 1]))
				abort();
	}
	free(e);
	return 0;
}
