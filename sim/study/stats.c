/*
 * stats.c - bootstrap quantile deltas and the two-sample KS test on kvmsim
 * histograms (see stats.h for how buckets and ties are treated).
 */
#include "sim/study/stats.h"
#include "sim/xalloc.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

const double st_q[ST_NQ] = { 0.5, 0.9, 0.99, 0.999, 1.0 };
const char *const st_qname[ST_NQ] = { "p50", "p90", "p99", "p99.9", "max" };

int st_sample_from_hist(const struct sim_hist *h, struct st_sample *s)
{
	memset(s, 0, sizeof(*s));
	if (h->count > UINT_MAX)
		return -1; /* gsl_ran_multinomial draws unsigned int counts */
	size_t k = 0;
	for (size_t i = 0; i < h->nbucket; i++)
		k += h->bucket[i] != 0;
	s->lower = xcalloc(1, (k + 1) * sizeof(int64_t));
	s->width = xcalloc(1, (k + 1) * sizeof(int64_t));
	s->weight = xcalloc(1, (k + 1) * sizeof(double));
	s->count = xcalloc(1, (k + 1) * sizeof(unsigned int));
	for (size_t i = 0; i < h->nbucket; i++) {
		if (!h->bucket[i])
			continue;
		s->lower[s->k] = sim_hist_lower(i);
		s->width[s->k] = sim_hist_width(i);
		s->weight[s->k] = (double)h->bucket[i];
		s->count[s->k] = (unsigned int)h->bucket[i];
		s->k++;
	}
	s->n = h->count;
	s->min = h->count ? h->min : 0;
	s->max = h->count ? h->max : 0;
	return 0;
}

void st_sample_free(struct st_sample *s)
{
	free(s->lower);
	free(s->width);
	free(s->weight);
	free(s->count);
	memset(s, 0, sizeof(*s));
}

/* clamp - v within the sample's exact extremes. */
static double clamp(const struct st_sample *s, int64_t v)
{
	return (double)(v < s->min ? s->min : v > s->max ? s->max : v);
}

double st_quantile(const struct st_sample *s, const unsigned int *counts, uint64_t n, int qi)
{
	if (!n)
		return NAN;
	if (st_q[qi] >= 1) { /* the top bucket's upper end: the exact max for the original sample */
		for (size_t i = s->k; i-- > 0;)
			if (counts[i])
				return clamp(s, s->lower[i] + s->width[i] - 1);
		return NAN;
	}
	uint64_t rank = (uint64_t)ceil(st_q[qi] * (double)n), seen = 0;
	if (rank < 1)
		rank = 1;
	for (size_t i = 0; i < s->k; i++) {
		seen += counts[i];
		if (seen >= rank)
			return clamp(s, s->lower[i] + (s->width[i] - 1) / 2);
	}
	return clamp(s, s->max);
}

/* resample - draw s->n samples from s's buckets into counts: multinomial, or one by one when n is small. */
static void resample(const struct st_sample *s, gsl_rng *r, gsl_ran_discrete_t *walker, unsigned int *counts)
{
	if (walker) {
		memset(counts, 0, s->k * sizeof(*counts));
		for (uint64_t i = 0; i < s->n; i++)
			counts[gsl_ran_discrete(r, walker)]++;
	} else {
		gsl_ran_multinomial(r, s->k, (unsigned int)s->n, s->weight, counts);
	}
}

/* walker_for - a Walker table when drawing one by one is cheaper than k binomials, else NULL. */
static gsl_ran_discrete_t *walker_for(const struct st_sample *s)
{
	return s->n <= 4 * s->k ? gsl_ran_discrete_preproc(s->k, s->weight) : NULL;
}

/* interval - the (alpha/2, 1 - alpha/2) percentiles of x[0..n) (sorted in place), NaNs left out. */
static void interval(double *x, size_t n, double alpha, double *lo, double *hi)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (!isnan(x[i]))
			x[m++] = x[i];
	if (!m) {
		*lo = *hi = NAN;
		return;
	}
	gsl_sort(x, 1, m);
	*lo = gsl_stats_quantile_from_sorted_data(x, 1, m, alpha / 2);
	*hi = gsl_stats_quantile_from_sorted_data(x, 1, m, 1 - alpha / 2);
}

void st_bootstrap(const struct st_sample *base, const struct st_sample *cand, size_t nboot, double alpha,
		  gsl_rng *r, struct st_delta out[ST_NQ])
{
	struct st_runs b = { .pooled = *base, .nruns = 1 }, c = { .pooled = *cand, .nruns = 1 };
	st_bootstrap_runs(&b, &c, nboot, alpha, r, out);
}

int st_runs_from_hists(const struct sim_hist *h, size_t nruns, struct st_runs *s)
{
	memset(s, 0, sizeof(*s));
	struct sim_hist pool;
	sim_hist_init(&pool);
	uint64_t most = 0;
	for (size_t r = 0; r < nruns; r++) {
		sim_hist_merge(&pool, &h[r]);
		most = h[r].count > most ? h[r].count : most;
	}
	int bad = (nruns > 1 && most > UINT_MAX / nruns) || st_sample_from_hist(&pool, &s->pooled);
	sim_hist_free(&pool);
	if (bad) {
		st_sample_free(&s->pooled);
		return -1;
	}
	s->nruns = nruns;
	s->count = xcalloc(1, (nruns * s->pooled.k + 1) * sizeof(unsigned int));
	s->n = xcalloc(nruns + 1, sizeof(uint64_t));
	for (size_t r = 0; r < nruns; r++) {
		s->n[r] = h[r].count;
		for (size_t i = 0; i < s->pooled.k; i++) {
			size_t b = sim_hist_index(s->pooled.lower[i]);
			s->count[r * s->pooled.k + i] = b < h[r].nbucket ? (unsigned int)h[r].bucket[b] : 0;
		}
	}
	return 0;
}

void st_runs_free(struct st_runs *s)
{
	st_sample_free(&s->pooled);
	free(s->count);
	free(s->n);
	memset(s, 0, sizeof(*s));
}

/*
 * resample_runs - one two-stage resample of side s into counts (its n in *n): draw s's runs with
 * replacement and pool them into w, then draw that many samples from w's buckets. One run: resample().
 */
static void resample_runs(const struct st_runs *s, gsl_rng *r, gsl_ran_discrete_t *walker, double *w,
			  unsigned int *counts, uint64_t *n)
{
	const struct st_sample *p = &s->pooled;
	if (s->nruns == 1) {
		resample(p, r, walker, counts);
		*n = p->n;
		return;
	}
	memset(w, 0, p->k * sizeof(*w));
	*n = 0;
	for (size_t j = 0; j < s->nruns; j++) {
		size_t run = gsl_rng_uniform_int(r, s->nruns);
		for (size_t i = 0; i < p->k; i++)
			w[i] += s->count[run * p->k + i];
		*n += s->n[run];
	}
	if (*n)
		gsl_ran_multinomial(r, p->k, (unsigned int)*n, w, counts);
}

void st_bootstrap_runs(const struct st_runs *bs, const struct st_runs *cs, size_t nboot, double alpha,
		       gsl_rng *r, struct st_delta out[ST_NQ])
{
	const struct st_sample *base = &bs->pooled, *cand = &cs->pooled;
	for (int q = 0; q < ST_NQ; q++) {
		out[q].base = st_quantile(base, base->count, base->n, q);
		out[q].cand = st_quantile(cand, cand->count, cand->n, q);
		out[q].delta = out[q].cand - out[q].base;
		out[q].rel = out[q].base > 0 ? out[q].delta / out[q].base : NAN;
		out[q].lo = out[q].hi = out[q].rel_lo = out[q].rel_hi = NAN;
	}
	if (!base->n || !cand->n || !nboot)
		return;
	unsigned int *cb = xcalloc(1, base->k * sizeof(unsigned int)), *cc = xcalloc(1, cand->k * sizeof(unsigned int));
	double *d = xcalloc(1, ST_NQ * nboot * sizeof(double)), *rel = xcalloc(1, ST_NQ * nboot * sizeof(double));
	double *w = xcalloc(1, (base->k > cand->k ? base->k : cand->k) * sizeof(double) + 1);
	gsl_ran_discrete_t *wb = bs->nruns == 1 ? walker_for(base) : NULL;
	gsl_ran_discrete_t *wc = cs->nruns == 1 ? walker_for(cand) : NULL;
	for (size_t b = 0; b < nboot; b++) {
		uint64_t nb, nc;
		resample_runs(bs, r, wb, w, cb, &nb);
		resample_runs(cs, r, wc, w, cc, &nc);
		for (int q = 0; q < ST_NQ; q++) {
			double x = st_quantile(base, cb, nb, q), y = st_quantile(cand, cc, nc, q);
			d[q * nboot + b] = y - x;
			rel[q * nboot + b] = x > 0 ? (y - x) / x : NAN;
		}
	}
	for (int q = 0; q < ST_NQ; q++) {
		interval(d + q * nboot, nboot, alpha, &out[q].lo, &out[q].hi);
		interval(rel + q * nboot, nboot, alpha, &out[q].rel_lo, &out[q].rel_hi);
	}
	if (wb)
		gsl_ran_discrete_free(wb);
	if (wc)
		gsl_ran_discrete_free(wc);
	free(cb);
	free(cc);
	free(w);
	free(d);
	free(rel);
}

double st_kolmogorov_q(double lambda)
{
	if (lambda <= 0)
		return 1;
	if (lambda < 1.18) {
		/* P(K <= l) = sqrt(2 pi)/l * sum exp(-(2k-1)^2 pi^2 / (8 l^2)): converges fast for small l */
		double s = 0, c = -M_PI * M_PI / (8 * lambda * lambda);
		for (int k = 1; k <= 20; k++)
			s += exp(c * (2 * k - 1) * (2 * k - 1));
		double q = 1 - sqrt(2 * M_PI) / lambda * s;
		return q < 0 ? 0 : q > 1 ? 1 : q;
	}
	/* Q(l) = 2 sum (-1)^(k-1) exp(-2 k^2 l^2): converges fast for large l */
	double s = 0;
	for (int k = 1; k <= 100; k++) {
		double t = exp(-2.0 * k * k * lambda * lambda);
		s += (k % 2 ? 2 : -2) * t;
		if (t < 1e-300)
			break;
	}
	return s < 0 ? 0 : s > 1 ? 1 : s;
}

void st_ks(const struct sim_hist *a, const struct sim_hist *b, struct st_ks *out)
{
	memset(out, 0, sizeof(*out));
	out->p = 1;
	if (!a->count || !b->count)
		return;
	size_t n = a->nbucket > b->nbucket ? a->nbucket : b->nbucket;
	uint64_t ca = 0, cb = 0;
	for (size_t i = 0; i < n; i++) {
		ca += i < a->nbucket ? a->bucket[i] : 0;
		cb += i < b->nbucket ? b->bucket[i] : 0;
		double fa = (double)ca / (double)a->count, fb = (double)cb / (double)b->count;
		if (fabs(fa - fb) > out->d) {
			out->d = fabs(fa - fb);
			out->cand_slower = fb < fa;
			out->at_ns = sim_hist_lower(i) + sim_hist_width(i);
		}
	}
	double ne = (double)a->count * (double)b->count / (double)(a->count + b->count), sn = sqrt(ne);
	out->p = st_kolmogorov_q((sn + 0.12 + 0.11 / sn) * out->d);
}
