/* calib.c - a cost profile fitted to probe results with GSL (see calib.h). */
#include "traces/probe/calib.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_vector.h>

#include "models/costs/costs.h"
#include "sim/hist.h"
#include "sim/out_json.h"
#include "traces/probe/probe.h"
#include "workloads/scenario/machine.h"
#include "workloads/scenario/report.h"

const char *const calib_param_names[CP_N] = { "exit_entry", "wakeup",	 "poll_iter", "idle_exit",
						      "guest_work", "irq_deliver", "idle_entry" };
const char *const calib_param_units[CP_N] = { "cycles", "cycles", "cycles", "ns", "ns", "cycles", "ns" };
/* the fit starts from each of these and keeps the best (the residual has local minima): the
 * base profile's order of magnitude, and a nested host's (every path ~10x slower) */
#define NSTART 3
static const double calib_start[NSTART][CP_N] = { { 1500, 4400, 150, 2000, 5000, 1500, 1000 },
						  { 15000, 44000, 1500, 20000, 5000, 15000, 10000 },
						  { 5000, 20000, 300, 30000, 5000, 5000, 5000 } };
/* the range each parameter is kept in (a flat residual outside): physically possible values */
static const double calib_lo[CP_N] = { 100, 100, 10, 10, 10, 100, 0 },
		    calib_hi[CP_N] = { 1e6, 1e6, 1e5, 1e6, 1e6, 1e6, 100e3 };
#define NRES 4 /* residuals per target */
/* the least-squares fit moves the parameters before CP_IDLE_ENTRY; idle_entry is found apart */
#define CP_LM CP_IDLE_ENTRY
#define FD_STEP 0.1

int calib_whyf(char *why, size_t len, const char *fmt, const char *a, const char *b)
{
	snprintf(why, len, fmt, a, b);
	return -1;
}

static double num(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

int calib_figs_from_json(const json_t *run, struct calib_figs *f, char *why, size_t len)
{
	memset(f, 0, sizeof(*f));
	const json_t *v = json_array_get(json_object_get(run, "vcpus"), 0);
	const json_t *st = json_object_get(v, "stats"), *cpu = json_object_get(v, "cpu_ps");
	double dur_ns = num(json_object_get(run, "scenario"), "duration_ps") / 1e3;
	if (!json_is_object(st) || !json_is_object(cpu) || dur_ns <= 0)
		return calib_whyf(why, len, "not a kvmsim-run/1 document with a vCPU (stats, cpu_ps, duration)%s%s", "", "");
	f->wakes = (long)num(json_object_get(v, "interrupts"), "arrivals");
	f->coalesced = num(json_object_get(v, "interrupts"), "coalesced");
	f->attempted = num(st, "halt_attempted_poll");
	f->successful = num(st, "halt_successful_poll");
	f->poll_success_pct = f->attempted > 0 ? 100.0 * f->successful / f->attempted : 0;
	f->poll_cpu_pct = 100.0 * (num(st, "halt_poll_success_ns") + num(st, "halt_poll_fail_ns")) / dur_ns;
	/* the thread's CPU time as the kernel counts it (what the probe reads from the thread's CPU
	 * clock): from each pick, so with its switch-in, and with the wait from a wake-up that
	 * preempted another task to the switch (the run-queue clock that wake-up left) */
	const json_t *se = json_object_get(json_object_get(v, "sched"), "sum_exec_runtime_ps");
	double busy = json_number_value(se);
	if (!json_is_number(se)) { /* a probe's own result: its thread's CPU time is in cpu_ps */
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)cpu, k, x)
			if (strcmp(k, "sleep") && strcmp(k, "runnable"))
				busy += json_number_value(x);
	}
	f->cpu_per_wake_ns = f->wakes ? busy / 1e3 / (double)f->wakes : 0;
	struct sim_hist h;
	const char *w = NULL;
	if (sim_hist_from_json(json_object_get(json_object_get(v, "latency"), "irq"), &h, &w))
		return calib_whyf(why, len, "latency.irq: %s%s", w ? w : "malformed", "");
	f->p25_ns = h.count ? (double)sim_hist_quantile(&h, 0.25) : 0;
	f->p50_ns = h.count ? (double)sim_hist_quantile(&h, 0.5) : 0;
	f->p75_ns = h.count ? (double)sim_hist_quantile(&h, 0.75) : 0;
	f->p99_ns = h.count ? (double)sim_hist_quantile(&h, 0.99) : 0;
	sim_hist_free(&h);
	static const char *const hn[3] = { "halt_poll_success_hist", "halt_poll_fail_hist", "halt_wait_hist" };
	f->have_hist = true;
	for (int i = 0; i < 3; i++) {
		const json_t *a = json_object_get(st, hn[i]);
		if (!json_is_array(a))
			f->have_hist = false;
		for (size_t b = 0; b < 32 && a; b++)
			f->hist[i][b] = (uint64_t)json_integer_value(json_array_get(a, b));
	}
	double cut = 0;
	for (int b = 0; b < CALIB_CUT_BUCKETS; b++)
		cut += (double)f->hist[1][b];
	f->cut_share = f->attempted > 0 ? cut / f->attempted : 0;
	return 0;
}

int calib_target_from_json(const json_t *run, const char *path, struct calib_target *t, char *why, size_t len)
{
	memset(t, 0, sizeof(*t));
	const json_t *pr = json_object_get(run, "probe"), *gaps = json_object_get(pr, "gaps_ns");
	const json_t *kp = json_object_get(run, "kvm_params");
	if (!json_is_object(pr) || !json_is_array(gaps) || !json_array_size(gaps))
		return calib_whyf(why, len, "%s: key probe.gaps_ns: expected the result of kvmsim probe --json%s", path, "");
	const char *pat = json_string_value(json_object_get(pr, "pattern"));
	if (pat && !strncmp(pat, "timer:", 6))
		return calib_whyf(why, len, "%s: key probe.pattern: %s is the guest's own timer, which calibrate does not "
			    "simulate (expected an MSI pattern)", path, pat);
	if (calib_figs_from_json(run, &t->real, why, len) || calib_exit_read(run, t, why, len))
		return -1;
	snprintf(t->path, sizeof(t->path), "%s", path);
	t->halt_poll_ns = (int64_t)num(pr, "halt_poll_ns");
	snprintf(t->label, sizeof(t->label), "%s hp=%lld", json_string_value(json_object_get(pr, "pattern")),
		 (long long)t->halt_poll_ns);
	const char *kn[4] = { "halt_poll_ns", "halt_poll_ns_grow", "halt_poll_ns_grow_start", "halt_poll_ns_shrink" };
	for (int i = 0; i < 4; i++)
		t->module_param[i] = (unsigned)num(kp, kn[i]);
	const char *kern = json_string_value(json_object_get(json_object_get(run, "scenario"), "kernel"));
	if (!kern || !probe_kernel_release(kern, t->kernel, sizeof(t->kernel)))
		return calib_whyf(why, len, "%s: key scenario.kernel: expected a kernel release%s", path, "");
	t->dur_ns = (int64_t)(num(json_object_get(run, "scenario"), "duration_ps") / 1e3);
	t->tsc_khz = (uint64_t)num(pr, "tsc_khz");
	double other = num(pr, "other_cpu_ns");
	t->other_share = t->dur_ns > 0 && other > 0 ? other / (double)t->dur_ns : 0;
	t->fifo = json_is_true(json_object_get(pr, "sched_fifo"));
	FILE *f = calib_temp_file(t->gapfile, sizeof(t->gapfile));
	if (!f)
		return calib_whyf(why, len, "a temporary file: %s%s", strerror(errno), "");
	size_t i;
	json_t *g;
	json_array_foreach(gaps, i, g)
		fprintf(f, "%lld\n", (long long)json_integer_value(g));
	if (fclose(f))
		return calib_whyf(why, len, "writing %s: %s", t->gapfile, strerror(errno));
	return calib_background_read(json_object_get(pr, "background"), path, t, why, len);
}

void calib_target_free(struct calib_target *t)
{
	if (t->gapfile[0])
		unlink(t->gapfile);
	t->gapfile[0] = 0;
	if (t->bgfile[0])
		unlink(t->bgfile);
	t->bgfile[0] = 0;
}

static int calib_fit_some(struct calib_target *t, int n, const char *base, const double *start, double entry,
			  struct calib_fit *fit, char *why, size_t len);
static int entry_grid(struct calib_target *t, int n, const char *base, const struct calib_fit *fit, double *entry,
		      double *sd, char *why, size_t len);
static int combined(struct calib_target *t, int n, const char *base, const double *x, double *cost, char *why,
		    size_t len);

struct fit_ctx {
	struct calib_target *t;
	int n;
	const char *base;
	char *why;
	size_t len;
	int failed;
	double entry; /* idle_entry, held while the others are fitted */
	int np, idx[CP_LM]; /* the parameters fitted: x[idx[0..np)] */
	double held[CP_N];  /* the others' values */
};

/* fit_params - which parameters the least squares moves, and the others' values: poll_iter
 * is held at the base profile's (the host's poll loop is host code, run as on bare metal,
 * and the probes' figures hardly see it: left free it wandered from 10 to 13000 cycles
 * between fits of one day's probes, and moved the burst pattern's prediction with it). */
static int fit_params(const struct calib_target *t, int n, const char *base, struct fit_ctx *c, char *why,
		      size_t len)
{
	struct cost_profile p = { 0 };
	struct conf_err err;
	if (cost_profile_load(&p, base, &err))
		return calib_whyf(why, len, "base profile %s: %s", base, err.msg);
	memset(c->held, 0, sizeof(c->held));
	c->held[CP_POLL_ITER] = calib_cycles_of(&p, COST_poll_iter, t[0].tsc_khz ? t[0].tsc_khz : (uint64_t)p.tsc_khz);
	cost_profile_free(&p);
	c->np = 0;
	for (int i = 0; i < CP_LM; i++)
		if (i != CP_POLL_ITER)
			c->idx[c->np++] = i;
	return 0;
}

static void residuals(const struct calib_figs *s, const struct calib_figs *r, double *out)
{
	out[0] = r->p50_ns > 0 ? (s->p50_ns - r->p50_ns) / r->p50_ns : 0;
	out[1] = r->cpu_per_wake_ns > 0 ? (s->cpu_per_wake_ns - r->cpu_per_wake_ns) / r->cpu_per_wake_ns : 0;
	out[2] = (s->poll_success_pct - r->poll_success_pct) / 10;
	out[3] = (s->poll_cpu_pct - r->poll_cpu_pct) / 10;
}

/* eval - the residual vector at log-parameters y. */
static int eval(const double *y, struct fit_ctx *c, double *res)
{
	double x[CP_N];
	memcpy(x, c->held, sizeof(x));
	for (int j = 0; j < c->np; j++) {
		int i = c->idx[j];
		x[i] = fmin(fmax(exp(y[j]), calib_lo[i]), calib_hi[i]);
	}
	x[CP_IDLE_ENTRY] = c->entry;
	for (int k = 0; k < c->n; k++) {
		struct calib_figs s;
		if (calib_simulate(&c->t[k], c->base, x, NULL, &s, c->why, c->len)) {
			c->failed = 1;
			return GSL_EFAILED;
		}
		residuals(&s, &c->t[k].real, res + NRES * k);
	}
	return GSL_SUCCESS;
}

static int fit_f(const gsl_vector *y, void *arg, gsl_vector *f)
{
	return eval(y->data, arg, f->data);
}

/* fit_df - central differences, FD_STEP wide in each log-parameter. */
static int fit_df(const gsl_vector *y, void *arg, gsl_matrix *J)
{
	struct fit_ctx *c = arg;
	size_t m = (size_t)(NRES * c->n);
	double *a = malloc(m * sizeof(double)), *b = malloc(m * sizeof(double)), yy[CP_LM];
	int rc = GSL_SUCCESS;
	for (int j = 0; j < c->np && rc == GSL_SUCCESS; j++) {
		memcpy(yy, y->data, (size_t)c->np * sizeof(double));
		yy[j] += FD_STEP;
		rc = eval(yy, c, a);
		yy[j] -= 2 * FD_STEP;
		if (rc == GSL_SUCCESS)
			rc = eval(yy, c, b);
		for (size_t i = 0; i < m && rc == GSL_SUCCESS; i++)
			gsl_matrix_set(J, i, (size_t)j, (a[i] - b[i]) / (2 * FD_STEP));
	}
	free(a);
	free(b);
	return rc;
}

bool calib_at_bound(const struct calib_fit *fit, int i)
{
	return fit->x[i] <= calib_lo[i] * 1.0001 || fit->x[i] >= calib_hi[i] * 0.9999;
}

/* band_point - the targets' mean figures at x, as point *points (counted on). */
static int band_point(struct calib_target *const *t, int m, const char *base, const double *x,
		      const struct calib_fit *fit, struct calib_figs *pts, int *points, char *why, size_t len)
{
	struct calib_figs s[m];
	const struct calib_figs *v[m];
	for (int k = 0; k < m; k++) {
		if (calib_simulate(t[k], base, x, fit, &s[k], why, len))
			return -1;
		v[k] = &s[k];
	}
	calib_figs_mean(v, m, &pts[(*points)++], NULL, NULL);
	return 0;
}

int calib_band(struct calib_target *const *t, int m, const char *base, const struct calib_fit *fit,
	       struct calib_figs *lo, struct calib_figs *hi, int *points, char *why, size_t len)
{
	int idx[CP_LM], d = 0;
	struct calib_figs pts[1 + 2 * CP_LM], mean; /* mean unused: the ends are wanted */
	*points = 0;
	int rc = band_point(t, m, base, fit->x, fit, pts, points, why, len);
	for (int i = 0; i < CP_LM; i++)
		if (!calib_at_bound(fit, i) && fit->sd[i] > 0)
			idx[d++] = i;
	if (rc || !d)
		goto out;
	gsl_matrix *c = gsl_matrix_alloc((size_t)d, (size_t)d), *vec = gsl_matrix_alloc((size_t)d, (size_t)d);
	gsl_vector *val = gsl_vector_alloc((size_t)d);
	gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc((size_t)d);
	for (int a = 0; a < d; a++)
		for (int b = 0; b < d; b++)
			gsl_matrix_set(c, (size_t)a, (size_t)b, fit->cov[idx[a]][idx[b]]);
	rc = gsl_eigen_symmv(c, val, vec, w) ? calib_whyf(why, len, "the fit's covariance: no eigenvectors%s%s", "", "") : 0;
	for (int k = 0; k < d && !rc; k++) {
		double lam = gsl_vector_get(val, (size_t)k);
		if (!(lam > 0))
			continue; /* a direction the results do not bound at all: its parameter is not determined */
		for (int sign = -1; sign <= 1 && !rc; sign += 2) {
			double x[CP_N];
			memcpy(x, fit->x, sizeof(x));
			for (int a = 0; a < d; a++) {
				int i = idx[a];
				double y = log(fit->x[i]) + sign * sqrt(lam) * gsl_matrix_get(vec, (size_t)a, (size_t)k);
				x[i] = fmin(fmax(exp(y), calib_lo[i]), calib_hi[i]);
			}
			rc = band_point(t, m, base, x, fit, pts, points, why, len);
		}
	}
	gsl_eigen_symmv_free(w);
	gsl_vector_free(val);
	gsl_matrix_free(vec);
	gsl_matrix_free(c);
out:
	if (!rc) { /* each figure's smallest and largest over the points */
		const struct calib_figs *v[1 + 2 * CP_LM];
		for (int k = 0; k < *points; k++)
			v[k] = &pts[k];
		calib_figs_mean(v, *points, &mean, lo, hi);
	}
	return rc;
}

bool calib_busy(const struct calib_target *t)
{
	if (t->bg_traced)
		return false; /* its other tasks are simulated with it */
	if (t->real.have_hist && t->real.attempted >= CALIB_POLLS)
		return t->real.cut_share > CALIB_CUT;
	return t->other_share > CALIB_BUSY;
}

/* best_of_starts - the least-squares fit from each starting point with idle_entry held at
 * entry, the best end kept in fit (whose used is kept); 0, or -1 when none ended. */
static int best_of_starts(struct calib_target *t, int n, const char *base, double entry, struct calib_fit *fit,
			  char *why, size_t len)
{
	int rc = -1, used = fit->used;
	for (int k = 0; k < NSTART; k++) {
		struct calib_fit f = { .used = used };
		if (calib_fit_some(t, n, base, calib_start[k], entry, &f, why, len))
			continue;
		if (rc || f.rms < fit->rms)
			*fit = f;
		rc = 0;
	}
	fit->x[CP_IDLE_ENTRY] = entry;
	return rc;
}

int calib_fit(struct calib_target *all, int nall, const char *base, struct calib_fit *fit, char *why, size_t len)
{
	/* the quiet targets only, when there are enough of them (see calib_busy) */
	struct calib_target *t = calloc((size_t)nall, sizeof(*t));
	int n = 0;
	for (int i = 0; i < nall; i++)
		if (!calib_busy(&all[i]))
			t[n++] = all[i];
	if (n < 2) {
		memcpy(t, all, (size_t)nall * sizeof(*t));
		n = nall;
	}
	for (int i = 0; i < n; i++) /* the trials simulate without a shape: the growth goes with them */
		t[i].growth = fit->growth;
	double ref = calib_speed_ref(t, n); /* each probe at its own host speed around the median's */
	for (int i = 0; i < n; i++)
		t[i].speed_ref_ns = ref;
	/* the others by least squares with idle_entry 0, then idle_entry on its grid with the others
	 * held, then the others again; the second round is kept only if it is nearer the targets
	 * than the first (combined()). A measured idle_entry (fit->entry_nq) is held at its
	 * median in the first round, and there is no grid and no second round. */
	struct calib_fit first = { .used = n }, second = { .used = n }, given = *fit;
	double entry = 0, sd = 0, c0, c1;
	int rc = best_of_starts(t, n, base, given.entry_nq ? calib_entry_median(&given) : 0, &first, why, len);
	if (!rc && !given.entry_nq)
		rc = entry_grid(t, n, base, &first, &entry, &sd, why, len);
	*fit = first;
	if (entry == 0)
		fit->sd[CP_IDLE_ENTRY] = sd; /* the grid's own step at 0 (none when measured) */
	if (!rc && entry > 0) {
		rc = best_of_starts(t, n, base, entry, &second, why, len);
		if (!rc)
			rc = combined(t, n, base, first.x, &c0, why, len) || combined(t, n, base, second.x, &c1, why, len)
				     ? -1
				     : 0;
		if (!rc && c1 <= c0) {
			*fit = second;
			fit->sd[CP_IDLE_ENTRY] = sd;
		}
	}
	fit->entry_nq = given.entry_nq;
	memcpy(fit->entry_q_ns, given.entry_q_ns, sizeof(fit->entry_q_ns));
	memcpy(fit->entry_from, given.entry_from, sizeof(fit->entry_from));
	fit->growth = given.growth;
	memcpy(fit->growth_from, given.growth_from, sizeof(fit->growth_from));
	fit->rms_without_entry = first.rms;
	fit->speed_ref_ns = ref;
	fit->speed_lo = fit->speed_hi = 1;
	for (int i = 0; i < n; i++) {
		fit->speed_lo = fmin(fit->speed_lo, calib_speed(&t[i], fit));
		fit->speed_hi = fmax(fit->speed_hi, calib_speed(&t[i], fit));
	}
	if (!rc)
		calib_exit_shape(t, n, fit);
	free(t);
	return rc;
}

static int calib_fit_some(struct calib_target *t, int n, const char *base, const double *start, double entry,
			  struct calib_fit *fit, char *why, size_t len)
{
	struct fit_ctx c = { t, n, base, why, len, 0, entry, 0, { 0 }, { 0 } };
	size_t m = (size_t)(NRES * n);
	int used = fit->used;
	memset(fit, 0, sizeof(*fit));
	fit->used = used;
	if (fit_params(t, n, base, &c, why, len))
		return -1;
	size_t np = (size_t)c.np;
	if (m < np) {
		snprintf(why, len, "at least 2 probe results are needed to fit %zu parameters", np);
		return -1;
	}
	gsl_multifit_nlinear_fdf fdf = { .f = fit_f, .df = fit_df, .n = m, .p = np, .params = &c };
	gsl_multifit_nlinear_parameters par = gsl_multifit_nlinear_default_parameters();
	gsl_multifit_nlinear_workspace *w = gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &par, m, np);
	double y0[CP_LM];
	for (size_t j = 0; j < np; j++)
		y0[j] = log(start[c.idx[j]]);
	gsl_vector_view yv = gsl_vector_view_array(y0, np);
	gsl_error_handler_t *old = gsl_set_error_handler_off();
	int info = 0;
	int st = gsl_multifit_nlinear_init(&yv.vector, &fdf, w);
	if (st == GSL_SUCCESS)
		st = gsl_multifit_nlinear_driver(40, 1e-3, 1e-6, 1e-6, NULL, NULL, &info, w);
	int rc = 0;
	if (c.failed) {
		rc = -1;
	} else if (st != GSL_SUCCESS && st != GSL_EMAXITER) {
		rc = calib_whyf(why, len, "the fit failed: %s%s", gsl_strerror(st), "");
	} else {
		fit->converged = st == GSL_SUCCESS;
		fit->iters = (int)gsl_multifit_nlinear_niter(w);
		gsl_vector *f = gsl_multifit_nlinear_residual(w);
		double chi2;
		gsl_blas_ddot(f, f, &chi2);
		fit->rms = sqrt(chi2 / (double)m);
		gsl_matrix *cov = gsl_matrix_alloc(np, np);
		gsl_multifit_nlinear_covar(gsl_multifit_nlinear_jac(w), 0.0, cov);
		double dof = m > np ? (double)(m - np) : 1;
		memcpy(fit->x, c.held, sizeof(fit->x)); /* the held ones: sd and covariance 0 */
		for (size_t a = 0; a < np; a++) {
			int i = c.idx[a];
			fit->x[i] = fmin(fmax(exp(gsl_vector_get(gsl_multifit_nlinear_position(w), a)), calib_lo[i]), calib_hi[i]);
			fit->sd[i] = fit->x[i] * sqrt(fabs(gsl_matrix_get(cov, a, a)) * chi2 / dof);
			for (size_t b = 0; b < np; b++)
				fit->cov[i][c.idx[b]] = gsl_matrix_get(cov, a, b) * chi2 / dof;
		}
		fit->held_poll_iter = true;
		gsl_matrix_free(cov);
	}
	gsl_set_error_handler(old);
	gsl_multifit_nlinear_free(w);
	return rc;
}

/*
 * combined - how far the simulation at x is from every target: the least-squares residuals
 * (squared) plus the wake-latency quartiles' relative errors (squared). The quartiles see
 * idle_entry where the four figures do not (a wake-up soon after a sleep began is fast, one
 * later slow); the residuals keep it from buying the quartiles with the other figures.
 */
static int combined(struct calib_target *t, int n, const char *base, const double *x, double *cost, char *why,
		    size_t len)
{
	*cost = 0;
	for (int k = 0; k < n; k++) {
		struct calib_figs s;
		const struct calib_figs *r = &t[k].real;
		if (calib_simulate(&t[k], base, x, NULL, &s, why, len))
			return -1;
		double res[NRES];
		residuals(&s, r, res);
		for (int q = 0; q < NRES; q++)
			*cost += res[q] * res[q];
		const double sq[3] = { s.p25_ns, s.p50_ns, s.p75_ns }, rq[3] = { r->p25_ns, r->p50_ns, r->p75_ns };
		for (int q = 0; q < 3; q++)
			if (rq[q] > 0)
				*cost += (sq[q] - rq[q]) * (sq[q] - rq[q]) / (rq[q] * rq[q]);
	}
	return 0;
}

/*
 * entry_grid - idle_entry, the others held at fit: the value on a grid (0 to 100 us) with
 * the smallest combined() cost; sd is half the step to the nearer neighbour there.
 */
static int entry_grid(struct calib_target *t, int n, const char *base, const struct calib_fit *fit, double *entry,
		      double *sd, char *why, size_t len)
{
	static const double grid_us[] = { 0, 2.5, 5, 7.5, 10, 12.5, 15, 17.5, 20, 25, 30, 35, 40, 50, 60, 80, 100 };
	const int ng = (int)(sizeof(grid_us) / sizeof(grid_us[0]));
	double x[CP_N], best = INFINITY;
	memcpy(x, fit->x, sizeof(x));
	for (int g = 0; g < ng; g++) {
		x[CP_IDLE_ENTRY] = grid_us[g] * 1e3;
		double cost;
		if (combined(t, n, base, x, &cost, why, len))
			return -1;
		if (cost < best) {
			best = cost;
			*entry = x[CP_IDLE_ENTRY];
			double dl = g > 0 ? grid_us[g] - grid_us[g - 1] : INFINITY,
			       dh = g + 1 < ng ? grid_us[g + 1] - grid_us[g] : INFINITY;
			*sd = fmin(dl, dh) / 2 * 1e3;
		}
	}
	return 0;
}
