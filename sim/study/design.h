/*
 * design.h - what a sweep runs: the scenario keys it varies and the list of
 * runs that follows (full grids, ranges with steps, random and Latin-hypercube
 * samples, replicate seeds).
 *
 * Values stay text, exactly as `kvmsim run --set KEY=VALUE` takes them, so
 * sim/study needs no knowledge of the keys: a number keeps the unit the user
 * wrote ("--range vm.halt_poll_ns=0:200us:50us" gives 0us, 50us, ... 200us).
 *
 *   --grid  KEY=V1,V2,...      listed values (commas inside {} [] or quotes do not split)
 *   --range KEY=A:B:STEP       A, A+STEP, ... up to B;  KEY=A:B:xF  A, A*F, A*F^2, ... up to B
 *   --sample KEY=LO:HI         uniform in [LO, HI] (integers when LO and HI are written as integers)
 *   --sample KEY=LO:HI:log     log-uniform in [LO, HI]
 *   --sample KEY=V1,V2,...     one of the listed values
 *
 * Grid and range keys form a full grid (first key slowest). --sample keys are
 * drawn `samples` times (random: independent draws; lhs: a Latin hypercube,
 * each dimension's N strata used once) at every grid point. Every point runs
 * `replicates` times with seeds seed, seed+1, ...
 */
#ifndef KVMSIM_STUDY_DESIGN_H
#define KVMSIM_STUDY_DESIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DSG_MAX_RUNS 1000000

enum dsg_kind { DSG_LIST, DSG_RANGE, DSG_UNIFORM, DSG_LOG_UNIFORM, DSG_CHOICE };
enum dsg_design { DSG_GRID, DSG_RANDOM, DSG_LHS };

struct dsg_param {
	char *key;
	char *spec; /* what followed '=' */
	enum dsg_kind kind;
	char **values; /* DSG_LIST, DSG_RANGE, DSG_CHOICE */
	size_t nvalues;
	double lo, hi; /* DSG_UNIFORM, DSG_LOG_UNIFORM */
	bool integer;
	char unit[16];
};

struct dsg_run {
	size_t point;        /* 1-based design point */
	uint64_t seed;
	const char **values; /* one per parameter (pointers into the design) */
};

struct design {
	struct dsg_param *params;
	size_t nparams;
	enum dsg_design kind;
	bool kind_given; /* --design was given (else: grid, or random when sampling) */
	size_t samples;
	uint64_t design_seed;
	size_t replicates;
	uint64_t seed;
	/* filled by dsg_expand */
	struct dsg_run *runs;
	size_t nruns, npoints;
	char **sampled; /* the drawn values, owned */
	size_t nsampled;
};

/* dsg_init - an empty design: grid, 1 replicate, seed 1, design seed 1. */
void dsg_init(struct design *d);
void dsg_free(struct design *d);

/* dsg_add - add a parameter from "--grid"/"--range"/"--sample" and its KEY=SPEC; -1 with why. */
int dsg_add(struct design *d, const char *opt, const char *arg, char *why, size_t len);

/* dsg_expand - build the run list; -1 with why when the design is inconsistent or too large. */
int dsg_expand(struct design *d, char *why, size_t len);

/* dsg_kind_name / dsg_design_name - the words used on the command line and in sweep.json. */
const char *dsg_kind_name(enum dsg_kind k);
const char *dsg_design_name(enum dsg_design k);
/* dsg_design_parse - "grid", "random" or "lhs"; -1 otherwise. */
int dsg_design_parse(const char *s, enum dsg_design *k);

/* dsg_split_list - split at commas outside {} [] and quotes; NULL-terminated, free with dsg_strv_free. */
char **dsg_split_list(const char *s, size_t *n);
void dsg_strv_free(char **v);

#endif
