/* place.c - see place.h. */
#include "fleet/place.h"

#include <string.h>

#define EPS 1e-9 /* shares are sums of 1/M: let M of them fill a host exactly */

const char *const place_names[PLACE_N] = { "first-fit", "best-fit", "latency-aware" };

int place_find(const char *name)
{
	for (int i = 0; i < PLACE_N; i++)
		if (!strcmp(name, place_names[i]))
			return i;
	return -1;
}

static int fits(const struct place_host *h, double need)
{
	return h->used + need <= h->cap + EPS;
}

long place_pick(enum place_policy p, const struct place_host *h, size_t n, double need)
{
	long best = -1;
	double best_left = 0;
	for (size_t i = 0; i < n; i++) {
		if (!fits(&h[i], need))
			continue;
		switch (p) {
		case PLACE_FIRST_FIT:
			return (long)i;
		case PLACE_LATENCY:
			if (h[i].lat_used + h[i].lat_need <= 1 + EPS)
				return (long)i;
			break;
		case PLACE_BEST_FIT: {
			double left = h[i].cap - h[i].used - need;
			if (best < 0 || left < best_left - EPS) {
				best = (long)i;
				best_left = left;
			}
			break;
		}
		default:
			return -1;
		}
	}
	return best;
}
