/* calib_bg.c - a probe's traced other tasks read into a calibration target (calib.h). */
#include "traces/probe/calib.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/hist.h"

#include <gsl/gsl_statistics_double.h>

int calib_preempt_quantiles(const struct calib_target *t, double path_ns, double *q)
{
	if (t->bg_nmsi < CALIB_MSI_MIN)
		return 0;
	bool any = false;
	for (int k = 0; k < CALIB_MSI_NQ; k++) /* a shift and a clip: the quantiles of the excess */
		any |= (q[k] = fmax(0, t->bg_msi_q[k] - path_ns)) > 0;
	return any ? CALIB_MSI_NQ : 0;
}

FILE *calib_temp_file(char *name, size_t size)
{
	snprintf(name, size, "/tmp/kvmsim-calib-XXXXXX");
	int fd = mkstemp(name);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd), unlink(name);
		name[0] = 0;
	}
	return f;
}

/* sorted - a JSON list of numbers (not empty) as doubles in order, malloc'd; NULL when out of memory */
static double *sorted(const json_t *a)
{
	size_t i;
	json_t *x;
	double *v = malloc(json_array_size(a) * sizeof(double));
	if (!v)
		return NULL;
	json_array_foreach(a, i, x)
		v[i] = json_number_value(x);
	qsort(v, json_array_size(a), sizeof(double), sim_cmp_double);
	return v;
}

int calib_background_read(const json_t *b, const char *path, struct calib_target *t, char *why, size_t len)
{
	if (!b)
		return 0;
	const json_t *a = json_object_get(b, "arrivals");
	if (!json_is_array(a))
		return calib_whyf(why, len, "%s: key probe.background.arrivals: expected a list of [AT_NS, WORK_NS]%s", path,
			    "");
	size_t i;
	json_t *x;
	double prev = 0, cpu = 0;
	json_array_foreach(a, i, x) {
		const json_t *at = json_array_get(x, 0), *w = json_array_get(x, 1);
		double v = json_number_value(at), wv = json_number_value(w);
		if (!json_is_array(x) || json_array_size(x) != 2 || !json_is_integer(at) || !json_is_integer(w) || v < prev ||
		    v >= (double)t->dur_ns || wv <= 0 || cpu + wv > (double)t->dur_ns)
		{
			char key[64];
			snprintf(key, sizeof(key), "probe.background.arrivals[%zu]", i);
			return calib_whyf(why, len, "%s: key %s: expected [AT_NS, WORK_NS], AT_NS in order within the window, "
				    "WORK_NS above 0 and all of them together within it", path, key);
		}
		prev = v, cpu += wv;
	}
	t->bg_traced = true;
	t->bg_n = (long)json_array_size(a);
	/* the preemption's delay: the wake-ups while another task held the CPU over those from idle */
	static const char *const wk[3] = { "wake_busy_ns", "wake_idle_ns", "wake_msi_ns" };
	const json_t *wb = json_object_get(b, wk[0]), *wi = json_object_get(b, wk[1]), *wm = json_object_get(b, wk[2]);
	for (int k = 0; k < 3; k++) {
		const json_t *w = json_object_get(b, wk[k]);
		bool ok = !w || json_is_array(w);
		json_array_foreach(w, i, x) /* a wake-up within the window */
			ok &= json_is_integer(x) && json_integer_value(x) >= 0 && json_integer_value(x) <= t->dur_ns;
		if (!ok) {
			char key[64];
			snprintf(key, sizeof(key), "probe.background.%s", wk[k]);
			return calib_whyf(why, len, "%s: key %s: expected a list of times in ns, each within the window", path,
					  key);
		}
	}
	size_t nm = json_array_size(wm);
	t->bg_nmsi = 0;
	if (nm >= CALIB_MSI_MIN) { /* their quantiles, evenly spaced from the least to the most */
		double *v = sorted(wm);
		if (!v)
			return calib_whyf(why, len, "%s: out of memory%s", path, "");
		for (int q = 0; q < CALIB_MSI_NQ; q++)
			t->bg_msi_q[q] = gsl_stats_quantile_from_sorted_data(v, 1, nm, (double)q / (CALIB_MSI_NQ - 1));
		t->bg_nmsi = (long)nm;
		free(v);
	}
	size_t ni = json_array_size(wi), nb = json_array_size(wb);
	double base = 0, sum = 0;
	if (ni >= 3) {
		double *v = sorted(wi);
		if (!v)
			return calib_whyf(why, len, "%s: out of memory%s", path, "");
		base = v[ni / 2];
		free(v);
	}
	json_array_foreach(wb, i, x)
		sum += fmax(0, json_number_value(x) - base);
	t->bg_preempt_ns = nb ? sum / (double)nb : 0;
	t->bg_share = t->dur_ns > 0 ? cpu / (double)t->dur_ns : 0;
	if (!t->bg_n)
		return 0;
	FILE *f = calib_temp_file(t->bgfile, sizeof(t->bgfile));
	if (!f)
		return calib_whyf(why, len, "a temporary file: %s%s", strerror(errno), "");
	json_array_foreach(a, i, x)
		fprintf(f, "%lld %lld\n", (long long)json_integer_value(json_array_get(x, 0)),
			(long long)json_integer_value(json_array_get(x, 1)));
	if (fclose(f))
		return calib_whyf(why, len, "writing %s: %s", t->bgfile, strerror(errno));
	return 0;
}

