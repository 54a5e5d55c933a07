/*
 * hist.h - a log-linear histogram of non-negative integer samples (latencies in ns).
 *
 * Values below 256 are kept exactly; above, each power of two is split into 128
 * equal buckets, so a bucket is never wider than 1/128 of its lower bound (a
 * quantile is off by at most 0.4% when reported at the bucket middle). Count,
 * sum, min and max are exact. Recording is O(1) and memory is bounded (at most
 * 7296 buckets), so a run of any length keeps a flat footprint.
 */
#ifndef KVMSIM_SIM_HIST_H
#define KVMSIM_SIM_HIST_H

#include <stddef.h>
#include <stdint.h>

#define SIM_HIST_SUB_BITS 7
#define SIM_HIST_SUB (1 << SIM_HIST_SUB_BITS)

struct sim_hist {
	uint64_t count;
	__int128 sum;
	int64_t min, max;
	uint64_t *bucket;
	size_t nbucket; /* allocated */
};

void sim_hist_init(struct sim_hist *h);
void sim_hist_free(struct sim_hist *h);
void sim_hist_record(struct sim_hist *h, int64_t v);
/* sim_hist_add - n samples of value v at once. */
void sim_hist_add(struct sim_hist *h, int64_t v, uint64_t n);
void sim_hist_merge(struct sim_hist *into, const struct sim_hist *from);

/* sim_hist_index / sim_hist_lower / sim_hist_width - the bucket of v and a bucket's bounds. */
size_t sim_hist_index(int64_t v);
int64_t sim_hist_lower(size_t idx);
int64_t sim_hist_width(size_t idx);

double sim_hist_mean(const struct sim_hist *h);
/* sim_cmp_i64 - ascending int64_t, for qsort (raw samples sorted before a histogram or a median). */
int sim_cmp_i64(const void *a, const void *b);
/* sim_cmp_double - ascending double, for qsort. */
int sim_cmp_double(const void *a, const void *b);
/* sim_hist_quantile - the q-quantile (0..1): middle of the bucket holding rank ceil(q*n), clamped to [min,max]. */
int64_t sim_hist_quantile(const struct sim_hist *h, double q);

#endif
