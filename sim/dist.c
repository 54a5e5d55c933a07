/* dist.c - sampling time-valued distributions with GSL. */
#include "sim/dist.h"

#include <math.h>
#include <stdio.h>

#include <gsl/gsl_randist.h>

const char *const dist_kind_names[] = { "fixed",  "uniform",   "exponential", "normal",
					"lognormal", "pareto", "empirical", NULL };

static sim_time_t to_ps(double x)
{
	if (!(x > 0))
		return 0;
	if (x > (double)SIM_INPUT_MAX)
		return SIM_INPUT_MAX; /* a draw from a long tail: as long as any input may be */
	return (sim_time_t)llround(x);
}

sim_time_t quantile_sample(const sim_time_t *q, size_t n, double u)
{
	double x = u * (double)(n - 1);
	size_t k = (size_t)x;
	if (k >= n - 1)
		return q[n - 1];
	return q[k] + (sim_time_t)((x - (double)k) * (double)(q[k + 1] - q[k]));
}

sim_time_t dist_sample(const struct dist *d, gsl_rng *r)
{
	switch (d->kind) {
	case DIST_FIXED:
		return d->value;
	case DIST_UNIFORM:
		return d->min + to_ps(gsl_rng_uniform(r) * (double)(d->max - d->min));
	case DIST_EXPONENTIAL:
		return to_ps(gsl_ran_exponential(r, (double)d->mean));
	case DIST_NORMAL: {
		double x;
		int tries = 0;
		do
			x = (double)d->mean + gsl_ran_gaussian_ziggurat(r, (double)d->sd);
		while (x < 0 && ++tries < 64);
		return to_ps(x);
	}
	case DIST_LOGNORMAL: {
		double mu = log((double)d->mean) - d->sigma * d->sigma / 2;
		return to_ps(gsl_ran_lognormal(r, mu, d->sigma));
	}
	case DIST_PARETO:
		return to_ps(gsl_ran_pareto(r, d->shape, (double)d->min));
	case DIST_EMPIRICAL:
		return quantile_sample(d->q, (size_t)d->nq, gsl_rng_uniform(r));
	}
	return 0;
}

int64_t quantile_mean(const int64_t *q, size_t n)
{
	__int128 sum = 0; /* each piece, linear between two quantiles, has their midpoint as mean */
	for (size_t k = 0; k + 1 < n; k++)
		sum += (__int128)q[k] + q[k + 1];
	return n > 1 ? (int64_t)(sum / (2 * (__int128)(n - 1))) : 0;
}

double dist_mean(const struct dist *d)
{
	switch (d->kind) {
	case DIST_FIXED:
		return (double)d->value;
	case DIST_UNIFORM:
		return ((double)d->min + (double)d->max) / 2;
	case DIST_PARETO:
		return d->shape > 1 ? d->shape * (double)d->min / (d->shape - 1) : INFINITY;
	case DIST_EMPIRICAL:
		return (double)quantile_mean(d->q, (size_t)d->nq);
	default:
		return (double)d->mean;
	}
}

const char *dist_describe(const struct dist *d, char *buf, size_t len)
{
	char a[32], b[32];
	switch (d->kind) {
	case DIST_FIXED:
		snprintf(buf, len, "fixed(%s)", sim_fmt_time(d->value, a, sizeof(a)));
		break;
	case DIST_UNIFORM:
		snprintf(buf, len, "uniform(%s..%s)", sim_fmt_time(d->min, a, sizeof(a)), sim_fmt_time(d->max, b, sizeof(b)));
		break;
	case DIST_EXPONENTIAL:
		snprintf(buf, len, "exponential(mean %s)", sim_fmt_time(d->mean, a, sizeof(a)));
		break;
	case DIST_NORMAL:
		snprintf(buf, len, "normal(mean %s, sd %s)", sim_fmt_time(d->mean, a, sizeof(a)),
			 sim_fmt_time(d->sd, b, sizeof(b)));
		break;
	case DIST_LOGNORMAL:
		snprintf(buf, len, "lognormal(mean %s, sigma %g)", sim_fmt_time(d->mean, a, sizeof(a)), d->sigma);
		break;
	case DIST_PARETO:
		snprintf(buf, len, "pareto(min %s, shape %g)", sim_fmt_time(d->min, a, sizeof(a)), d->shape);
		break;
	case DIST_EMPIRICAL:
		snprintf(buf, len, "empirical(%d quantiles, %s..%s)", d->nq, sim_fmt_time(d->q[0], a, sizeof(a)),
			 sim_fmt_time(d->q[d->nq > 0 ? d->nq - 1 : 0], b, sizeof(b)));
		break;
	}
	return buf;
}
