/* out_json.c - JSON layout of latency distributions. */
#include "sim/out_json.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "sim/cli.h"

json_t *sim_hist_json(const struct sim_hist *h)
{
	json_t *o = json_object();
	json_object_set_new(o, "unit", json_string("ns"));
	json_object_set_new(o, "count", json_integer((json_int_t)h->count));
	json_object_set_new(o, "mean", json_real(sim_hist_mean(h)));
	json_object_set_new(o, "min", json_integer(h->count ? h->min : 0));
	json_object_set_new(o, "p50", json_integer(sim_hist_quantile(h, 0.50)));
	json_object_set_new(o, "p90", json_integer(sim_hist_quantile(h, 0.90)));
	json_object_set_new(o, "p99", json_integer(sim_hist_quantile(h, 0.99)));
	json_object_set_new(o, "p99.9", json_integer(sim_hist_quantile(h, 0.999)));
	json_object_set_new(o, "max", json_integer(h->count ? h->max : 0));
	json_t *b = json_array();
	for (size_t i = 0; i < h->nbucket; i++)
		if (h->bucket[i])
			json_array_append_new(b, json_pack("[I, I, I]", (json_int_t)sim_hist_lower(i),
							   (json_int_t)sim_hist_width(i),
							   (json_int_t)h->bucket[i]));
	json_object_set_new(o, "histogram", b);
	return o;
}

/*
 * A histogram read from JSON holds at most this many samples: far beyond any
 * run (2.8e14 wake-ups), and low enough that merging the histograms of 65536
 * vCPUs cannot wrap the 64-bit count.
 */

int sim_hist_from_json(const json_t *j, struct sim_hist *h, const char **why)
{
	sim_hist_init(h);
	const json_t *b = json_object_get(j, "histogram");
	if (!json_is_object(j) || !json_is_array(b)) {
		*why = "expected a latency object with a histogram array";
		return -1;
	}
	size_t i;
	const json_t *e;
	/* the first and last non-empty buckets: [first_lo, first_top], [last_lo, last_top] */
	int64_t first_lo = INT64_MAX, first_top = INT64_MAX, last_lo = -1, last_top = -1;
	json_array_foreach(b, i, e)
	{
		json_int_t lo, w, n;
		if (json_unpack((json_t *)e, "[III]", &lo, &w, &n) || lo < 0 || n < 0 || w < 1) {
			*why = "a histogram entry is not [lower, width, count]";
			sim_hist_free(h);
			return -1;
		}
		size_t idx = sim_hist_index(lo);
		if (sim_hist_lower(idx) != lo || sim_hist_width(idx) != w) {
			*why = "histogram buckets do not match kvmsim's layout";
			sim_hist_free(h);
			return -1;
		}
		if ((uint64_t)n > HIST_JSON_MAX_COUNT - h->count) {
			*why = "the histogram's counts add up to more than 2^48 samples";
			sim_hist_free(h);
			return -1;
		}
		sim_hist_add(h, lo, (uint64_t)n);
		int64_t top = lo > INT64_MAX - (w - 1) ? INT64_MAX : lo + (w - 1);
		if (n && lo < first_lo) {
			first_lo = lo;
			first_top = top;
		}
		if (n && lo > last_lo) {
			last_lo = lo;
			last_top = top;
		}
	}
	json_t *mn = json_object_get(j, "min"), *mx = json_object_get(j, "max"), *mean = json_object_get(j, "mean");
	if (h->count && json_is_integer(mn) && json_is_integer(mx)) {
		json_int_t a = json_integer_value(mn), z = json_integer_value(mx);
		if (a > z || a < first_lo || a > first_top || z < last_lo || z > last_top) {
			*why = "min and max do not lie in the first and last non-empty buckets";
			sim_hist_free(h);
			return -1;
		}
		h->min = a; /* exact extremes and mean, not bucket bounds */
		h->max = z;
	}
	if (h->count && json_is_number(mean)) {
		double m = json_number_value(mean);
		if (!(m >= (double)first_lo && m <= (double)last_top)) {
			*why = "the mean lies outside the histogram's buckets";
			sim_hist_free(h);
			return -1;
		}
		h->sum = (__int128)(m * (double)h->count + 0.5);
	}
	return 0;
}

int sim_json_dump(const json_t *j, FILE *f)
{
	int rc = json_dumpf(j, f, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
	fputc('\n', f);
	return rc;
}

json_t *sim_json_load(const char *cmd, const char *path)
{
	json_error_t je;
	FILE *f = fopen(path, "r");
	if (!f) {
		cli_error(cmd, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	json_t *j = json_loadf(f, 0, &je);
	fclose(f);
	if (!j)
		cli_error(cmd, "%s:%d: not JSON: %s", path, je.line, je.text);
	return j;
}
