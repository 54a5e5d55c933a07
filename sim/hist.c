/* hist.c - log-linear histogram (see hist.h for the bucket layout). */
#include "sim/hist.h"
#include "sim/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sim_hist_init(struct sim_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = INT64_MAX;
	h->max = INT64_MIN;
}

void sim_hist_free(struct sim_hist *h)
{
	free(h->bucket);
	sim_hist_init(h);
}

size_t sim_hist_index(int64_t v)
{
	if (v < 2 * SIM_HIST_SUB)
		return v < 0 ? 0 : (size_t)v;
	int msb = 63 - __builtin_clzll((unsigned long long)v);
	int shift = msb - SIM_HIST_SUB_BITS;
	return (size_t)(shift + 1) * SIM_HIST_SUB + (size_t)(((uint64_t)v >> shift) - SIM_HIST_SUB);
}

int64_t sim_hist_lower(size_t idx)
{
	if (idx < 2 * SIM_HIST_SUB)
		return (int64_t)idx;
	int shift = (int)(idx / SIM_HIST_SUB) - 1;
	return (int64_t)((idx % SIM_HIST_SUB) + SIM_HIST_SUB) << shift;
}

int64_t sim_hist_width(size_t idx)
{
	if (idx < 2 * SIM_HIST_SUB)
		return 1;
	return (int64_t)1 << ((int)(idx / SIM_HIST_SUB) - 1);
}

static void grow(struct sim_hist *h, size_t need)
{
	size_t n = h->nbucket ? h->nbucket : 512;
	while (n < need)
		n *= 2;
	uint64_t *b = xrealloc(h->bucket, n * sizeof(*b));
	memset(b + h->nbucket, 0, (n - h->nbucket) * sizeof(*b));
	h->bucket = b;
	h->nbucket = n;
}

void sim_hist_record(struct sim_hist *h, int64_t v)
{
	sim_hist_add(h, v, 1);
}

void sim_hist_add(struct sim_hist *h, int64_t v, uint64_t n)
{
	if (!n)
		return;
	if (v < 0)
		v = 0;
	size_t i = sim_hist_index(v);
	if (i >= h->nbucket)
		grow(h, i + 1);
	h->bucket[i] += n;
	h->count += n;
	h->sum += (__int128)v * n;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void sim_hist_merge(struct sim_hist *into, const struct sim_hist *from)
{
	if (!from->count)
		return;
	if (from->nbucket > into->nbucket)
		grow(into, from->nbucket);
	for (size_t i = 0; i < from->nbucket; i++)
		into->bucket[i] += from->bucket[i];
	into->count += from->count;
	into->sum += from->sum;
	if (from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
}

double sim_hist_mean(const struct sim_hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}

int sim_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int sim_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int64_t sim_hist_quantile(const struct sim_hist *h, double q)
{
	if (!h->count)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 1)
		return h->max;
	uint64_t rank = (uint64_t)ceil(q * (double)h->count);
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (size_t i = 0; i < h->nbucket; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			int64_t v = sim_hist_lower(i) + (sim_hist_width(i) - 1) / 2;
			if (v < h->min)
				v = h->min;
			if (v > h->max)
				v = h->max;
			return v;
		}
	}
	return h->max;
}
