/*
 * fuzz_idle_entry.c - the tracefs text reader of kvmsim validate's idle-entry
 * measurement (traces/idle_entry.c) on one input: whatever the lines, every
 * entry time it returns is a finite number of microseconds, not negative, and the
 * quantiles of them do not decrease; every wake-up's stay and latency too, and the
 * growth fitted to them is finite, with a time constant exactly when it grows.
 */
#include "tests/fuzz/fuzz_util.h"

#include <math.h>

#include "traces/idle_entry.h"

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
