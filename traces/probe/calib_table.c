/* calib_table.c - simulator vs real, side by side (see calib.h). */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cli.h"
#include "sim/hist.h"
#include "sim/out_json.h"
#include "traces/probe/calib.h"

struct row {
	const char *name;
	double real, sim;
	int kind;      /* 0 count, 1 points (pct), 2 relative, 3 relative (us) */
	double tol;    /* 0: none */
};

static void fmt_val(char *b, size_t n, const struct row *r, double v)
{
	if (r->kind == 0)
		snprintf(b, n, "%.0f", v);
	else if (r->kind == 1)
		snprintf(b, n, "%.1f", v);
	else
		snprintf(b, n, "%.2f", v / 1e3);
}

int calib_print_compare(FILE *f, const struct calib_target *t, const struct calib_figs *s, bool busy,
			const struct calib_tol *tol, bool markdown)
{
	const struct calib_figs *r = &t->real;
	if (busy)
		tol = NULL;
	struct row rows[] = {
		{ "polls attempted", r->attempted, s->attempted, 0, 0 },
		{ "polls successful", r->successful, s->successful, 0, 0 },
		{ "poll success (%)", r->poll_success_pct, s->poll_success_pct, 1, tol ? tol->poll_success_pts : 0 },
		{ "polling CPU (%)", r->poll_cpu_pct, s->poll_cpu_pct, 1, tol ? tol->poll_cpu_pts : 0 },
		{ "CPU per wake-up (us)", r->cpu_per_wake_ns, s->cpu_per_wake_ns, 2, 0 },
		{ "wake latency p50 (us)", r->p50_ns, s->p50_ns, 3, tol ? tol->p50_rel : 0 },
		{ "wake latency p99 (us)", r->p99_ns, s->p99_ns, 3, 0 },
	};
	int bad = 0;
	if (markdown)
		fprintf(f, "| %s (%ld wake-ups) | real | kvmsim | difference | tolerance |\n|---|---|---|---|---|\n",
			t->label, r->wakes);
	else
		fprintf(f, "%-42s %10s %10s %10s %9s\n", t->label, "real", "kvmsim", "diff", "tolerance");
	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		const struct row *w = &rows[i];
		char a[32], b[32], d[32], tl[32] = "";
		fmt_val(a, sizeof(a), w, w->real);
		fmt_val(b, sizeof(b), w, w->sim);
		double diff; /* counts and points: between the figures as shown (rounded), so that they add up */
		if (w->kind == 0) {
			diff = round(w->sim) - round(w->real);
			snprintf(d, sizeof(d), "%+.0f", diff);
		} else if (w->kind == 1) {
			diff = (round(10 * w->sim) - round(10 * w->real)) / 10;
			snprintf(d, sizeof(d), "%+.1f", diff);
		} else {
			diff = w->real > 0 ? (w->sim - w->real) / w->real : 0;
			snprintf(d, sizeof(d), "%+.1f%%", 100 * diff);
		}
		if (w->tol > 0) {
			bool ok = fabs(diff) <= w->tol;
			bad += !ok;
			if (w->kind == 1)
				snprintf(tl, sizeof(tl), "%.0f pts %s", w->tol, ok ? "ok" : "OFF");
			else
				snprintf(tl, sizeof(tl), "%.0f%% %s", 100 * w->tol, ok ? "ok" : "OFF");
		}
		if (markdown)
			fprintf(f, "| %s | %s | %s | %s | %s |\n", w->name, a, b, d, tl[0] ? tl : "-");
		else
			fprintf(f, "  %-40s %10s %10s %10s %9s\n", w->name, a, b, d, tl);
	}
	if (busy)
		fprintf(f, markdown ? "\nBusy: %.0f%% of the polls ended at their first check, other tasks taking %.0f%% of "
				      "the vCPU's CPU; not comparable (no tolerance, not fitted on).\n"
				    : "  busy: %.0f%% of the polls ended at their first check, other tasks taking %.0f%% of the "
				      "vCPU's CPU; not comparable\n",
			100 * r->cut_share, 100 * t->other_share);
	return bad;
}

void calib_figs_mean(const struct calib_figs *const *v, int n, struct calib_figs *mean, struct calib_figs *lo,
		     struct calib_figs *hi)
{
	struct calib_figs l, h;
	assert(n >= 1);
	memset(mean, 0, sizeof(*mean));
	l = h = *v[0];
#define MEAN(field)                                                 \
	do {                                                        \
		for (int i = 0; i < n; i++) {                       \
			mean->field += v[i]->field;                 \
			l.field = fmin(l.field, v[i]->field);       \
			h.field = fmax(h.field, v[i]->field);       \
		}                                                   \
		mean->field /= n;                                   \
	} while (0)
	MEAN(attempted);
	MEAN(successful);
	MEAN(poll_success_pct); /* for the range; the mean's own is its counts' ratio (below) */
	MEAN(poll_cpu_pct);
	MEAN(cpu_per_wake_ns);
	MEAN(p25_ns);
	MEAN(p50_ns);
	MEAN(p75_ns);
	MEAN(p99_ns);
	MEAN(cut_share);
	MEAN(coalesced);
#undef MEAN
	/* the shares of the polls as the means' counts give them, so that a probe with a poll or
	 * two does not weigh as much as one with thousands */
	mean->poll_success_pct = mean->attempted > 0 ? 100 * mean->successful / mean->attempted : 0;
	double cut = 0, wakes = 0;
	for (int i = 0; i < n; i++) {
		cut += v[i]->cut_share * v[i]->attempted / n;
		wakes += (double)v[i]->wakes / n;
	}
	mean->cut_share = mean->attempted > 0 ? cut / mean->attempted : 0;
	mean->wakes = lround(wakes);
	mean->have_hist = true;
	for (int i = 0; i < n; i++)
		mean->have_hist &= v[i]->have_hist;
	for (int k = 0; k < 3; k++)
		for (int j = 0; j < 32; j++) {
			double sum = 0;
			for (int i = 0; i < n; i++)
				sum += (double)v[i]->hist[k][j];
			mean->hist[k][j] = (uint64_t)llround(sum / n);
		}
	if (lo)
		*lo = l;
	if (hi)
		*hi = h;
}

void calib_print_range(FILE *f, int n, const struct calib_figs *lo, const struct calib_figs *hi, bool markdown)
{
	fprintf(f,
		markdown ? "\nReal over %d probes (means above): poll success %.1f-%.1f %%, polling CPU %.1f-%.1f %%, "
			   "wake latency p50 %.2f-%.2f us.\n"
			 : "  real over %d probes (means above): poll success %.1f-%.1f %%, polling CPU %.1f-%.1f %%, "
			   "p50 %.2f-%.2f us\n",
		n, lo->poll_success_pct, hi->poll_success_pct, lo->poll_cpu_pct, hi->poll_cpu_pct, lo->p50_ns / 1e3,
		hi->p50_ns / 1e3);
}

/* hist_line - the non-empty log2 buckets as "2^k:count", k KVM's index (fls64: [2^(k-1), 2^k) ns). */
static void hist_line(char *b, size_t n, const uint64_t *h)
{
	size_t o = 0;
	b[0] = 0;
	for (int i = 0; i < 32 && o < n; i++)
		if (h[i])
			o += (size_t)snprintf(b + o, n - o, "%s2^%d:%llu", o ? " " : "", i, (unsigned long long)h[i]);
	if (!o)
		snprintf(b, n, "-");
}

void calib_print_hists(FILE *f, const struct calib_target *t, const struct calib_figs *s, bool markdown)
{
	static const char *const names[3] = { "halt_poll_success_hist", "halt_poll_fail_hist", "halt_wait_hist" };
	if (!t->real.have_hist || !s->have_hist)
		return;
	if (markdown)
		fprintf(f, "\n| %s: halt histograms (KVM's log2 buckets: 2^k counts [2^(k-1), 2^k) ns) | real | kvmsim |\n"
			   "|---|---|---|\n",
			t->label);
	else
		fprintf(f, "  halt histograms: KVM's log2 buckets, 2^k counts [2^(k-1), 2^k) ns\n");
	for (int k = 0; k < 3; k++) {
		char a[512], b[512];
		hist_line(a, sizeof(a), t->real.hist[k]);
		hist_line(b, sizeof(b), s->hist[k]);
		if (markdown)
			fprintf(f, "| %s | %s | %s |\n", names[k], a, b);
		else
			fprintf(f, "  %-22s real   %s\n  %-22s kvmsim %s\n", names[k], a, "", b);
	}
}

/* calib_load_targets - the results named in argv as targets; 2 after printing why. */
int calib_load_targets(const char *cmd, char **paths, int n, struct calib_target *t)
{
	char why[512];
	for (int i = 0; i < n; i++) {
		json_t *j = sim_json_load(cmd, paths[i]);
		if (!j)
			return 2;
		int rc = calib_target_from_json(j, paths[i], &t[i], why, sizeof(why));
		json_decref(j);
		if (rc)
			return cli_error(cmd, "%s", why);
	}
	return 0;
}

/* calib_print_fit - the fitted parameters, one line each. */
void calib_print_fit(FILE *f, const struct calib_fit *fit, bool markdown)
{
	if (markdown)
		fprintf(f, "| parameter | fitted | 1 sigma | unit |\n|---|---|---|---|\n");
	for (int i = 0; i < CP_N; i++) {
		if (i == CP_POLL_ITER && fit->held_poll_iter)
			fprintf(f, markdown ? "| %s | %.0f | held at the base profile's value, not fitted | %s |\n"
					    : "  %-12s %10.0f %s (held at the base profile's value, not fitted)\n",
				calib_param_names[i], fit->x[i], calib_param_units[i]);
		else if (i == CP_IDLE_ENTRY && fit->entry_nq)
			fprintf(f, markdown ? "| %s | %.0f | measured, not fitted (%.0f to %.0f) | %s |\n"
					    : "  %-12s %10.0f measured, not fitted (%.0f to %.0f) %s\n",
				calib_param_names[i], fit->x[i], fit->entry_q_ns[0], fit->entry_q_ns[fit->entry_nq - 1],
				calib_param_units[i]);
		else if (calib_at_bound(fit, i))
			fprintf(f, markdown ? "| %s | %.0f | at its bound: not determined | %s |\n"
					    : "  %-12s %10.0f %s (at its bound: not determined)\n",
				calib_param_names[i], fit->x[i], calib_param_units[i]);
		else
			fprintf(f, markdown ? "| %s | %.0f | %.0f | %s |\n" : "  %-12s %10.0f +- %-8.0f %s\n",
				calib_param_names[i], fit->x[i], fit->sd[i], calib_param_units[i]);
	}
	if (fit->entry_nq)
		fprintf(f, markdown ? "\nidle_entry is measured (%s, %d quantiles): the fit holds it at their median, the tables draw from them.\n"
				    : "  (idle_entry measured, %s: %d quantiles; the fit holds their median, the tables draw from them)\n",
			fit->entry_from[0] ? fit->entry_from : markdown ? "`--idle-entry`" : "--idle-entry", fit->entry_nq);
	else
		fprintf(f, markdown ? "\nidle_entry is chosen on a grid by the wake-latency quartiles and the figures above together; its +- is half the grid's step.\n"
				    : "  (idle_entry chosen on a grid by the wake-latency quartiles and these figures; +- is half its step)\n");
	if (fit->speed_ref_ns > 0)
		fprintf(f, markdown ? "\nThe costs are fitted at the host's speed when the guest's EOI write (an exit to KVM and back, "
				      "on its own clock, its mean from p5 to p95) took %.0f ns, the training probes' median; each probe is simulated at "
				      "its own (its costs scaled by %.2f to %.2f here).\n"
				    : "  (costs at the host's speed when the guest's EOI write took %.0f ns on average, the training probes' "
				      "median; each probe simulated at its own: its costs scaled by %.2f to %.2f)\n",
			fit->speed_ref_ns, fit->speed_lo, fit->speed_hi);
	else
		fprintf(f, markdown ? "\nEvery probe is simulated at the one speed fitted: fewer than 2 training probes timed their "
				      "guest's EOI write.\n"
				    : "  (every probe simulated at the one speed fitted: fewer than 2 training probes timed their guest's "
				      "EOI write)\n");
	if (fit->growth.ns > 0)
		fprintf(f, markdown ? "\nThe idle exit grows with the stay t by %.0f ns x (1 - e^(-t / %.0f us)), measured (%s), not fitted.\n"
				    : "  (idle exit growing with the stay t by %.0f ns x (1 - e^(-t / %.0f us)), measured, not fitted: %s)\n",
			fit->growth.ns, fit->growth.tau_ns / 1e3,
			fit->growth_from[0] ? fit->growth_from : markdown ? "`--idle-growth`" : "--idle-growth");
	else
		fprintf(f, markdown ? "\nThe idle exit does not grow with the stay (%s).\n"
				    : "  (idle exit not growing with the stay: %s)\n",
			fit->growth_from[0] ? fit->growth_from : "none measured or given");
	if (fit->rms > 1.1 * fit->rms_without_entry)
		fprintf(f, markdown ? "\nWith idle_entry the least-squares figures fit worse: rms %.3f, %.3f without.\n"
				    : "  with idle_entry the least-squares figures fit worse: rms %.3f, %.3f without\n",
			fit->rms, fit->rms_without_entry);
	fprintf(f, markdown ? "\nFit: %s after %d iterations, residual rms %.3f.\n"
			    : "  fit %s after %d iterations, residual rms %.3f\n",
		fit->converged ? "converged" : "did not converge", fit->iters, fit->rms);
	calib_exit_print(f, fit, markdown);
}
