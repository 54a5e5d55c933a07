/* bisect.c - see bisect.h. */
#include "fleet/bisect.h"

int bisect_max(int hi, bisect_pred pred, void *ctx, int *best, int *evals)
{
	/* invariant: good meets the target (0 does, trivially), bad does not (hi + 1 is assumed not to) */
	int good = 0, bad = hi < 0 ? 1 : hi + 1;
	*evals = 0;
	while (bad - good > 1) {
		int mid = good + (bad - good) / 2;
		int r = pred(mid, ctx);
		++*evals;
		if (r < 0) {
			*best = good;
			return r;
		}
		if (r)
			good = mid;
		else
			bad = mid;
	}
	*best = good;
	return 0;
}
