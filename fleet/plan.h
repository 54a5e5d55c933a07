/*
 * plan.h - `kvmsim plan`: what the command has worked out, shared between
 * the search and fleet part (cmd_plan.c) and its output (plan_out.c).
 */
#ifndef KVMSIM_FLEET_PLAN_H
#define KVMSIM_FLEET_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "fleet/fleetsim.h"
#include "fleet/profile.h"

struct plan_type {
	char *path, *name;
	double weight, vcpus;
};

struct plan_policy {
	char *label;
	char **sets;
	size_t nsets;
};

/* one bisection: a VM type on a host class under a policy */
struct plan_search {
	size_t policy, cls, type;
	int cores;
	int maxvms, hi;       /* the answer and the largest count tried (hi: the answer may be more) */
	int sims, cached;     /* profiles simulated and taken from the cache */
	double p99_at_max_ns; /* the worst VM's p99 at maxvms (NaN for 0) */
	double poll_at_max;   /* poll CPU per VM at maxvms (pCPUs) */
	struct fleet_curve curve;
};

struct plan_fleet {
	size_t policy;
	enum place_policy place;
	struct fleet_out tot;
	struct fleet_host_out *hosts;
};

struct plan {
	const char *platform;
	struct fleet_hostinfo *hosts;
	size_t nhosts;
	int *host_class, *class_cores;
	size_t nclasses;
	struct plan_type *types;
	size_t ntypes;
	struct plan_policy *policies;
	size_t npolicies;
	double target_ns;
	struct plan_search *search; /* [policy][class][type] */
	size_t nsearch;
	int sims, cached;
	struct plan_fleet *fleet;
	size_t nfleet;
	double days, overcommit;
	uint32_t nvm;
	size_t nev;
	const char *trace;
};

/* the command line (cmd_plan.c) */
struct plan_args {
	const char *platform, *duration, *trace, *json, *plot, *cache;
	const char **sets;
	size_t nsets;
	double p99_ns, max_over, overcommit, days, rate_h;
	uint64_t seed;
	long vms;
	sim_time_t lifetime;
	unsigned jobs;
	int place_mask, no_cache, no_fleet, per_host, progress, unpinned;
};

/* plan_classes - hosts grouped by core count into p's host classes. */
void plan_classes(struct plan *p);
/* plan_fleet_run - the fleet simulations of every policy and placement (plan_fleet.c); 0, 1 or 2 (said why). */
int plan_fleet_run(struct plan *p, const struct plan_args *a);

/* plan_print - the tables on stdout. */
void plan_print(const struct plan *p, int per_host);
/* plan_json - the whole plan as kvmsim-plan/1 JSON to path; 0 or EXIT_FAILED (said why). */
int plan_json(const struct plan *p, const char *path);
/* plan_plot - draw the plan's JSON (path) as a PNG (and SVG beside it) through reports/fleet.py; 0 or 1. */
int plan_plot(const char *json, const char *png);

#endif
