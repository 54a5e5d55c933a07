/* costs.c - loading cost profiles (see costs.h). */
#include "models/costs/costs.h"
#include "sim/dist.h"
#include "sim/xalloc.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

/* generated at build time from models/costs/profiles/ (see CMakeLists.txt) */
extern const char *const kvmsim_profile_names[];
extern const char *const kvmsim_profile_texts[];
extern const size_t kvmsim_profile_count;

const char *const cost_names[COST_N] = {
#define X(n, d) #n,
	COST_LIST(X)
#undef X
};

const char *const cost_docs[COST_N] = {
#define X(n, d) d,
	COST_LIST(X)
#undef X
};

static const struct cfg_key cost_keys[] = {
#define X(n, d) { #n, CFG_CYCLES, COST_##n * sizeof(struct cfg_cost), "cycles", NULL, 0, 0, d },
	COST_LIST(X)
#undef X
	{ NULL },
};
static const struct cfg_section cost_section = { "costs", cost_keys, sizeof(struct cfg_cost) * COST_N,
						 NULL };

struct idle_conf {
	char *name;
	sim_time_t exit_latency, entry_latency, target_residency, exit_growth, exit_growth_tau;
	struct cfg_cost exit_dist, entry_dist;
	double power;
	bool polling;
};
#define I(f) offsetof(struct idle_conf, f)
static const struct cfg_key idle_keys[] = {
	{ "name", CFG_STRING, I(name), NULL, NULL, 0, 0, "state name, as in /sys/devices/system/cpu/cpu0/cpuidle" },
	{ "exit_latency", CFG_TIME, I(exit_latency), "us", "0", 0, 0, "time to leave the state" },
	{ "entry_latency", CFG_TIME, I(entry_latency), "us", "0", 0, 0,
	  "time from entering the state until it is reached (a guest's HLT: until the hypervisor "
	  "below has the CPU halted); a wake-up before then takes no exit latency" },
	{ "exit_latency_dist", CFG_CYCLES, I(exit_dist), NULL, NULL, 0, 0,
	  "a measured distribution of the exit: {quantiles: [times]} at evenly spaced probabilities; "
	  "each exit draws from it (exit_latency stays the governors' figure, idle_exit_spread is not applied)" },
	{ "entry_latency_dist", CFG_CYCLES, I(entry_dist), NULL, NULL, 0, 0,
	  "a measured distribution of the entry: {quantiles: [times]} at evenly spaced probabilities; "
	  "each entry into the state draws from it instead of entry_latency" },
	{ "exit_growth", CFG_TIME, I(exit_growth), "us", "0", 0, 0,
	  "how much longer an exit gets after a long stay: exit_growth x (1 - e^(-t / exit_growth_tau)) "
	  "is added, t the time since the state was reached (measured: kvmsim validate traces it)" },
	{ "exit_growth_tau", CFG_TIME, I(exit_growth_tau), "us", "0", 0, 0,
	  "the stay over which exit_growth builds up (needed with exit_growth)" },
	{ "target_residency", CFG_TIME, I(target_residency), "us", "0", 0, 0,
	  "shortest stay that pays for entering the state" },
	{ "power", CFG_DOUBLE, I(power), "W", "0", 0, 1000, "power of one core in the state" },
	{ "polling", CFG_BOOL, I(polling), NULL, "false", 0, 0, "a polling state (no IPI to wake)" },
	{ NULL },
};
#undef I
static const struct cfg_section idle_section = { "idle_state", idle_keys, sizeof(struct idle_conf), NULL };

struct profile_conf {
	char *name, *description;
	int64_t tsc_khz;
	int64_t ptimer_shift, threads_per_core;
	struct cfg_cost cost[COST_N];
	struct idle_conf *idle;
	size_t nidle;
};
#define P(f) offsetof(struct profile_conf, f)
static const struct cfg_key profile_keys[] = {
	{ "name", CFG_STRING, P(name), NULL, NULL, 0, 0, "profile name" },
	{ "description", CFG_STRING, P(description), NULL, NULL, 0, 0, "the machine" },
	{ "tsc", CFG_FREQ, P(tsc_khz), NULL, NULL, 0, 0, "TSC frequency" },
	{ "preemption_timer_shift", CFG_INT, P(ptimer_shift), NULL, "5", 0, 31,
	  "IA32_VMX_MISC[4:0]: the VMX preemption timer counts every 2^shift TSC cycles" },
	{ "threads_per_core", CFG_INT, P(threads_per_core), NULL, "1", 1, 8, "SMT threads per core (powerpc vcores)" },
	{ "costs", CFG_SECTION, P(cost), NULL, NULL, 0, 0, "path costs", .sub = &cost_section },
	{ "idle_states", CFG_LIST, P(idle), NULL, NULL, 0, 0, "host idle states, shallowest first",
	  .sub = &idle_section, .count_offset = P(nidle) },
	{ NULL },
};
#undef P
static const struct cfg_section profile_section = { "profile", profile_keys, sizeof(struct profile_conf),
						    NULL };

size_t cost_profile_builtin_count(void)
{
	return kvmsim_profile_count;
}
const char *cost_profile_builtin_name(size_t i)
{
	return i < kvmsim_profile_count ? kvmsim_profile_names[i] : NULL;
}
const char *cost_profile_builtin_text(size_t i)
{
	return i < kvmsim_profile_count ? kvmsim_profile_texts[i] : NULL;
}

void cost_profile_keys_doc(FILE *f, bool markdown)
{
	cfg_doc(f, &profile_section, "", markdown);
}

/* idle_error - err says idle state i's key is wrong (why), where the profile has it; -1 */
static int idle_error(const struct cost_profile *p, const struct conf_node *root, size_t i, const char *key,
		      const char *why, struct conf_err *err)
{
	char path[64];
	snprintf(path, sizeof(path), "idle_states.%zu.%s", i, key);
	const struct conf_node *at = conf_get(root, "idle_states");
	at = at ? at->child : NULL;
	for (size_t k = 0; at && k < i; k++)
		at = at->next;
	at = at && conf_get(at, key) ? conf_get(at, key) : root;
	conf_errorf(err, at, path, "%s (profile %s)", why, p->name ? p->name : "?");
	return -1;
}

/* idle_growth - idle state i's exit_growth is usable: 0, or -1 with where and why in err. */
static int idle_growth(const struct cost_profile *p, const struct conf_node *root, size_t i, struct conf_err *err)
{
	const struct host_idle_state *s = &p->idle[i];
	if (!s->exit_growth && !s->exit_growth_tau)
		return 0;
	const char *key = "exit_growth", *why = NULL;
	if (s->polling)
		why = "a polling state has no exit to grow";
	else if (s->exit_growth_tau <= 0)
		why = "needs exit_growth_tau, a time above 0";
	else if (s->exit_growth > COST_MAX_PS)
		why = "is more than a second (at most 1s)";
	else if (s->exit_growth_tau > COST_MAX_PS)
		key = "exit_growth_tau", why = "is more than a second (at most 1s)";
	return why ? idle_error(p, root, i, key, why, err) : 0;
}

/*
 * idle_dist - idle state i's measured distribution under key (exit_latency_dist or
 * entry_latency_dist), copied to *q; 0, or -1 with the key's place in err: it must be
 * quantiles of times, of a state that is not a polling one, none over a second.
 */
static int idle_dist(struct cost_profile *p, const struct conf_node *root, size_t i, const char *key,
		     const struct cfg_cost *d, sim_time_t **q, struct conf_err *err)
{
	const struct host_idle_state *s = &p->idle[i];
	bool given = d->nquantiles || d->cycles || d->time;
	const char *why = !given				 ? NULL
			  : !d->nquantiles || !d->is_time ? "expected {quantiles: [times with units]}"
			  : s->polling			 ? "a polling state has no exit or entry to draw"
			  : d->quantiles[d->nquantiles - 1] > COST_MAX_PS ? "is more than a second (at most 1s)"
									  : NULL;
	if (why)
		return idle_error(p, root, i, key, why, err);
	if (given) {
		*q = xcalloc(d->nquantiles, sizeof(**q));
		memcpy(*q, d->quantiles, d->nquantiles * sizeof(**q));
	}
	return 0;
}

int cost_profile_load(struct cost_profile *p, const char *name, struct conf_err *err)
{
	memset(p, 0, sizeof(*p));
	struct conf_node *root = NULL;
	for (size_t i = 0; i < kvmsim_profile_count; i++)
		if (!strcmp(kvmsim_profile_names[i], name)) {
			char origin[128];
			snprintf(origin, sizeof(origin), "profile %s", name);
			static char origins[16][128]; /* node origins must outlive the tree */
			snprintf(origins[i % 16], sizeof(origins[0]), "%s", origin);
			root = conf_load_string(kvmsim_profile_texts[i], origins[i % 16], err);
			if (!root)
				return -1;
			break;
		}
	if (!root) {
		if (!strchr(name, '/') && !strstr(name, ".yaml") && !strstr(name, ".yml")) {
			char list[300] = "";
			size_t len = 0;
			for (size_t i = 0; i < kvmsim_profile_count; i++)
				len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "",
							kvmsim_profile_names[i]);
			snprintf(err->msg, sizeof(err->msg),
				 "no cost profile named \"%s\" (built in: %s; or give a .yaml path)", name, list);
			return -1;
		}
		root = conf_load_file(name, err);
		if (!root)
			return -1;
	}
	struct profile_conf pc;
	cfg_defaults(&profile_section, &pc);
	int rc = cfg_bind(&profile_section, &pc, root, "", err);
	if (!rc) {
		const char *missing = !pc.name ? "name" : !pc.tsc_khz ? "tsc" : !pc.nidle ? "idle_states" : NULL;
		/* every x86 cost but ipi_guest, added later: a profile written before it (kvmsim
		 * calibrate's) still loads, without it (0, as on bare metal) */
		for (int i = 0; !missing && i < COST_N; i++)
			if (!pc.cost[i].source && i < COST_PPC_FIRST && i != COST_ipi_guest)
				missing = cost_names[i];
		if (missing) {
			conf_errorf(err, root, NULL, "the profile lacks %s%s", missing,
				    strcmp(missing, "name") && strcmp(missing, "tsc") &&
						    strcmp(missing, "idle_states")
					    ? " (every cost needs {cycles: N, source: ...} or {time: T, source: ...})"
					    : "");
			rc = -1;
		} else if (pc.nidle > HOST_MAX_IDLE_STATES) {
			conf_errorf(err, root, "idle_states", "at most %d idle states", HOST_MAX_IDLE_STATES);
			rc = -1;
		} else if (!pc.idle[0].polling) {
			conf_errorf(err, root, "idle_states", "the first idle state must be the polling state (POLL)");
			rc = -1;
		}
	}
	if (!rc) {
		p->name = pc.name;
		p->description = pc.description;
		pc.name = pc.description = NULL;
		p->tsc_khz = pc.tsc_khz;
		p->preemption_timer_shift = (unsigned)pc.ptimer_shift;
		p->threads_per_core = (int)pc.threads_per_core;
		memcpy(p->cost, pc.cost, sizeof(p->cost));
		memset(pc.cost, 0, sizeof(pc.cost));
		p->nidle = (int)pc.nidle;
		for (size_t i = 0; i < pc.nidle; i++) {
			struct host_idle_state *s = &p->idle[i];
			snprintf(s->name, sizeof(s->name), "%s", pc.idle[i].name ? pc.idle[i].name : "?");
			s->exit_latency = pc.idle[i].exit_latency;
			s->entry_latency = pc.idle[i].entry_latency;
			s->target_residency = pc.idle[i].target_residency;
			s->power_w = pc.idle[i].power;
			s->polling = pc.idle[i].polling;
			s->exit_growth = pc.idle[i].exit_growth;
			s->exit_growth_tau = pc.idle[i].exit_growth_tau;
			if (idle_growth(p, root, i, err) ||
			    idle_dist(p, root, i, "exit_latency_dist", &pc.idle[i].exit_dist, &p->idle_q[i], err) ||
			    idle_dist(p, root, i, "entry_latency_dist", &pc.idle[i].entry_dist, &p->idle_entry_q[i], err)) {
				rc = -1;
				break;
			}
			s->exit_q = p->idle_q[i];
			s->exit_nq = pc.idle[i].exit_dist.nquantiles;
			s->entry_q = p->idle_entry_q[i];
			s->entry_nq = pc.idle[i].entry_dist.nquantiles;
		}
	}
	cfg_free(&profile_section, &pc);
	conf_free(root);
	if (!rc)
		rc = cost_profile_override(p, NULL, err);
	if (rc)
		cost_profile_free(p); /* a refused profile leaves nothing to free */
	return rc;
}

int cost_profile_override(struct cost_profile *p, struct conf_node *costs, struct conf_err *err)
{
	if (costs) {
		if (costs->kind != CONF_MAP) {
			conf_errorf(err, costs, "costs", "expected a map of cost: cycles");
			return -1;
		}
		costs->used = true;
		if (cfg_bind(&cost_section, p->cost, costs, "costs", err))
			return -1;
	}
	for (int i = 0; i < COST_N; i++) {
		const struct cfg_cost *c = &p->cost[i];
		__int128 ps = c->is_time ? c->time : ((__int128)c->cycles * 1000000000 + p->tsc_khz / 2) / p->tsc_khz;
		const char *why = ps < 0 ? "must not be negative"
				  : ps > COST_MAX_PS ? "is more than a second for one step (at most 1s)"
				  : i == COST_poll_iter && ps == 0 ? "must take time: the halt-poll loop advances by it"
				  : NULL;
		if (why) {
			char key[64];
			snprintf(key, sizeof(key), "costs.%s", cost_names[i]);
			const struct conf_node *n = costs ? conf_get(costs, cost_names[i]) : NULL;
			conf_errorf(err, n ? n : costs, key, "%s (profile %s)", why, p->name ? p->name : "?");
			return -1;
		}
		p->ps[i] = (sim_time_t)ps;
		p->cv[i] = c->cv;
		free(p->q[i]);
		p->q[i] = NULL;
		p->nq[i] = 0;
		if (c->dist == CFG_COST_EMPIRICAL) {
			p->q[i] = xcalloc(c->nquantiles, sizeof(*p->q[i]));
			for (size_t k = 0; k < c->nquantiles; k++) {
				__int128 v = c->is_time ? c->quantiles[k]
						       : ((__int128)c->quantiles[k] * 1000000000 + p->tsc_khz / 2) / p->tsc_khz;
				p->q[i][k] = v > COST_MAX_PS ? COST_MAX_PS : (sim_time_t)v;
			}
			p->nq[i] = c->nquantiles;
			p->draw[i] = COST_DRAW_EMPIRICAL;
		} else if (c->cv <= 0 || ps == 0) {
			p->draw[i] = COST_DRAW_FIXED;
		} else if (c->dist == CFG_COST_LOGNORMAL) {
			/* mean ps and relative sd cv: sigma^2 = ln(1 + cv^2), mu = ln(ps) - sigma^2 / 2 */
			double s2 = log1p(c->cv * c->cv);
			p->lnsigma[i] = sqrt(s2);
			p->lnmu[i] = log((double)ps) - s2 / 2;
			p->draw[i] = COST_DRAW_LOGNORMAL;
		} else {
			p->draw[i] = COST_DRAW_NORMAL;
		}
	}
	return 0;
}

sim_time_t cost_draw_slow(const struct cost_profile *p, gsl_rng *rng, int id)
{
	double x;
	if (p->draw[id] == COST_DRAW_LOGNORMAL) {
		x = gsl_ran_lognormal(rng, p->lnmu[id], p->lnsigma[id]);
	} else { /* COST_DRAW_EMPIRICAL: linear between quantiles at evenly spaced probabilities */
		x = (double)quantile_sample(p->q[id], p->nq[id], gsl_rng_uniform(rng));
	}
	return x > (double)COST_MAX_PS ? COST_MAX_PS : x > 0 ? (sim_time_t)x : 0;
}

void cost_profile_free(struct cost_profile *p)
{
	free(p->name);
	free(p->description);
	for (int i = 0; i < COST_N; i++) {
		free(p->cost[i].source);
		free(p->cost[i].quantiles);
		free(p->q[i]);
	}
	for (int i = 0; i < HOST_MAX_IDLE_STATES; i++) {
		free(p->idle_q[i]);
		free(p->idle_entry_q[i]);
	}
	memset(p, 0, sizeof(*p));
}
