/*
 * dist.h - time-valued random distributions (work per wake-up, on/off periods,
 * host task bursts), sampled with GSL and rounded to whole picoseconds.
 *
 *   fixed        value
 *   uniform      min, max
 *   exponential  mean
 *   normal       mean, sd            (redrawn while negative)
 *   lognormal    mean, sigma         (sigma of the underlying normal)
 *   pareto       min, shape          (min is the scale x_m)
 *   empirical    quantiles           (2 to DIST_MAX_Q times at evenly spaced probabilities
 *                                     from 0 to 1, not decreasing; linear between them: a
 *                                     measured distribution)
 */
#ifndef KVMSIM_SIM_DIST_H
#define KVMSIM_SIM_DIST_H

#include <gsl/gsl_rng.h>

#include "sim/time.h"

enum dist_kind { DIST_FIXED, DIST_UNIFORM, DIST_EXPONENTIAL, DIST_NORMAL, DIST_LOGNORMAL, DIST_PARETO, DIST_EMPIRICAL };

#define DIST_MAX_Q 101

struct dist {
	enum dist_kind kind;
	sim_time_t value, mean, min, max, sd;
	double sigma, shape;
	int nq;                 /* empirical: its quantiles */
	sim_time_t q[DIST_MAX_Q];
};

extern const char *const dist_kind_names[];

sim_time_t dist_sample(const struct dist *d, gsl_rng *r);
/* dist_mean - the distribution's mean in ps (for reports and sanity checks). */
double dist_mean(const struct dist *d);
/*
 * quantile_sample - a draw from an empirical distribution given as n >= 2 quantiles q[0..n)
 * at evenly spaced probabilities 0, 1/(n-1), .., 1 (non-decreasing, ps), linear between
 * them, for u uniform in [0, 1).
 */
sim_time_t quantile_sample(const sim_time_t *q, size_t n, double u);
/* quantile_mean - the mean of that distribution (exact to the picosecond, or to the unit the
 * values are in: cycles for a cost given so); 0 for n < 2. */
int64_t quantile_mean(const int64_t *q, size_t n);
/* dist_describe - e.g. "exponential(mean 20us)". */
const char *dist_describe(const struct dist *d, char *buf, size_t len);

#endif
