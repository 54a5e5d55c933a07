/*
 * cmp_input.h - the runs on one side of `kvmsim compare`: run documents
 * (kvmsim-run/1) given one by one, or every finished run of a sweep
 * directory (DIR, or DIR:POINT for one point of a sweep of several), so
 * that replicate seeds make up a side and their variation enters the test.
 */
#ifndef KVMSIM_STUDY_CMP_INPUT_H
#define KVMSIM_STUDY_CMP_INPUT_H

#include <stddef.h>

#include <jansson.h>

#include "sim/hist.h"

struct cmp_side {
	const char *name; /* "BASE" or "CAND" */
	char *given;      /* the arguments as given, joined by ", " */
	json_t **docs;
	char **paths;
	size_t n;
};

/* cmp_side_add - add the runs of arg (a run JSON, a sweep DIR or DIR:POINT); an exit status after printing why. */
int cmp_side_add(const char *cmd, struct cmp_side *s, const char *arg);
void cmp_side_free(struct cmp_side *s);

/* cmp_side_describe - "name, kernel K, seed S, duration" of one run, or of the side's runs (seeds listed). */
void cmp_side_describe(const struct cmp_side *s, char *buf, size_t len);

/* cmp_warn_differ - one line on stderr per way the runs differ in scenario, duration or kernel. */
void cmp_warn_differ(const char *cmd, const struct cmp_side *base, const struct cmp_side *cand);

/*
 * cmp_side_hists - the histogram of latency kind (of vcpu, or over all vCPUs) of each of s's runs
 * (s->n of them, into h); -1 with why (naming the run's file) if one is malformed or overflows.
 */
int cmp_side_hists(const struct cmp_side *s, const char *kind, const char *vcpu, struct sim_hist *h, char *why,
		   size_t len);

/* The latency metrics compare knows: wake, irq (per vCPU), clat (fio's), rtt (the ping-pong's round trips). */
#define CMP_NMETRICS 4
extern const char *const cmp_metric_kinds[CMP_NMETRICS];
/* cmp_metric_find - the index of metric `name`, or -1. */
int cmp_metric_find(const char *name);

#endif
