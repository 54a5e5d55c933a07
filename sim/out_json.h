/*
 * out_json.h - JSON helpers shared by every output (jansson): latency
 * distributions in one layout, read back by `kvmsim compare` and reports.
 *
 *   {"unit": "ns", "count": N, "mean": x, "min": n, "p50": n, "p90": n, "p99": n,
 *    "p99.9": n, "max": n, "histogram": [[lower, width, count], ...]}
 *
 * The histogram lists the non-empty buckets of struct sim_hist.
 */
#ifndef KVMSIM_SIM_OUT_JSON_H
#define KVMSIM_SIM_OUT_JSON_H

#include <jansson.h>

#include "sim/hist.h"

/* HIST_JSON_MAX_COUNT - the most samples a histogram read back from JSON may hold (2^48): sums
 * of many such histograms stay far from wrapping. */
#define HIST_JSON_MAX_COUNT (1ull << 48)

json_t *sim_hist_json(const struct sim_hist *h);
/* sim_hist_from_json - rebuild a histogram from that layout; -1 if malformed. */
int sim_hist_from_json(const json_t *j, struct sim_hist *h, const char **why);
/* sim_json_load - a JSON file; NULL after printing "kvmsim CMD: path:line: why" (cli_error). */
json_t *sim_json_load(const char *cmd, const char *path);

/* sim_json_dump - write j to f deterministically (2-space indent, key order kept). */
int sim_json_dump(const json_t *j, FILE *f);

#endif
