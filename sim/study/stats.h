/*
 * stats.h - comparing two latency distributions stored as kvmsim histograms
 * (sim/hist.h): quantile deltas with bootstrap confidence intervals, and the
 * two-sample Kolmogorov-Smirnov test.
 *
 * Both work on the buckets, not on raw samples, which a run does not keep.
 * A quantile is the middle of the bucket holding its rank, clamped to the
 * exact min and max, as sim_hist_quantile() computes it; a bucket is never
 * wider than 1/128 of its lower bound. The bootstrap resamples each
 * histogram's bucket counts (multinomial over the buckets, GSL), so every
 * sample of a bucket is treated as the bucket's value. The KS statistic is
 * taken at bucket edges, where both empirical CDFs are known exactly: all
 * samples of a bucket are ties, which can only hide a difference smaller
 * than a bucket, and its p-value (the asymptotic Kolmogorov distribution
 * with Stephens' small-sample correction) is then conservative.
 */
#ifndef KVMSIM_STUDY_STATS_H
#define KVMSIM_STUDY_STATS_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "sim/hist.h"

#define ST_NQ 5
extern const double st_q[ST_NQ];           /* 0.5, 0.9, 0.99, 0.999, 1 */
extern const char *const st_qname[ST_NQ]; /* "p50", "p90", "p99", "p99.9", "max" */

/* A histogram as its non-empty buckets. */
struct st_sample {
	size_t k;
	int64_t *lower, *width;
	double *weight;         /* bucket counts, as GSL's probabilities */
	unsigned int *count;
	uint64_t n;
	int64_t min, max;
};

/* st_sample_from_hist - the non-empty buckets of h; -1 if h has more samples than a resample can draw. */
int st_sample_from_hist(const struct sim_hist *h, struct st_sample *s);
void st_sample_free(struct st_sample *s);

/* st_quantile - quantile st_q[qi] of s's buckets holding counts (n in total). */
double st_quantile(const struct st_sample *s, const unsigned int *counts, uint64_t n, int qi);

struct st_delta {
	double base, cand;     /* the quantiles, ns */
	double delta, rel;     /* cand - base (ns), and relative to base (NaN when base is 0) */
	double lo, hi;         /* (1 - alpha) percentile interval of delta, ns */
	double rel_lo, rel_hi; /* and of rel */
};

/*
 * st_bootstrap - the ST_NQ quantile deltas of cand against base with (1 - alpha) percentile
 * intervals from nboot resamples of both, drawn from r.
 */
void st_bootstrap(const struct st_sample *base, const struct st_sample *cand, size_t nboot, double alpha,
		  gsl_rng *r, struct st_delta out[ST_NQ]);

/*
 * Several runs of one side (replicate seeds): their histograms pooled into one st_sample, and
 * each run's counts on the pooled buckets, for a bootstrap that resamples runs too.
 */
struct st_runs {
	struct st_sample pooled;
	size_t nruns;
	unsigned int *count; /* nruns x pooled.k: run r's count of pooled bucket i at [r * k + i] */
	uint64_t *n;         /* each run's samples */
};

/*
 * st_runs_from_hists - the nruns (>= 1) histograms h as an st_runs; -1 if a resample could
 * hold more samples than a draw can (nruns times the largest run above 4294967295).
 */
int st_runs_from_hists(const struct sim_hist *h, size_t nruns, struct st_runs *s);
void st_runs_free(struct st_runs *s);

/*
 * st_bootstrap_runs - st_bootstrap over sides of several runs, each resample in two stages:
 * draw the side's runs with replacement (as many as it has), pool their counts, then draw that
 * many samples from the pool's buckets. Seed-to-seed variation is part of the interval; with
 * one run on both sides it is exactly st_bootstrap.
 */
void st_bootstrap_runs(const struct st_runs *base, const struct st_runs *cand, size_t nboot, double alpha,
		       gsl_rng *r, struct st_delta out[ST_NQ]);

struct st_ks {
	double d;        /* sup |F_base - F_cand| at bucket edges */
	double p;        /* asymptotic p-value */
	int cand_slower; /* at the largest gap, F_cand < F_base: the candidate has more mass above */
	int64_t at_ns;   /* the edge (exclusive upper end of a bucket) where the gap is largest */
};

/* st_ks - the two-sample KS test of histograms a (base) and b (candidate); both non-empty. */
void st_ks(const struct sim_hist *a, const struct sim_hist *b, struct st_ks *out);

/* st_kolmogorov_q - P(K > lambda) for the Kolmogorov distribution. */
double st_kolmogorov_q(double lambda);

#endif
