/* schema_values.c - binding distributions (CFG_DIST) and costs (CFG_CYCLES) (see schema.h). */
#include "sim/schema_bind.h"
#include "sim/dist.h"
#include "sim/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- distributions and costs ------------------------------------------------ */

int cfg_bind_dist(struct bctx *b, const struct cfg_key *k, struct dist *d, struct conf_node *n)
{
	const char *unit = k->unit ? k->unit : "us";
	const char *why;
	if (n->kind == CONF_SCALAR) { /* a bare time: fixed */
		sim_time_t v;
		if (cfg_parse_time(n->value, unit, &v, &why)) {
			conf_errorf(b->err, n, b->path,
				    "expected a time (fixed) or a map such as {dist: exponential, mean: 20us}, got \"%s\"",
				    n->value);
			return -1;
		}
		memset(d, 0, sizeof(*d));
		d->kind = DIST_FIXED;
		d->value = v;
		return 0;
	}
	if (n->kind != CONF_MAP) {
		conf_errorf(b->err, n, b->path, "expected a time or a map such as {dist: exponential, mean: 20us}");
		return -1;
	}
	struct conf_node *kind = conf_get(n, "dist");
	if (!kind || kind->kind != CONF_SCALAR) {
		conf_errorf(b->err, n, b->path,
			    "a distribution needs \"dist:\" (fixed, uniform, exponential, normal, lognormal, pareto, "
			    "empirical)");
		return -1;
	}
	int ki;
	for (ki = 0; dist_kind_names[ki]; ki++)
		if (!strcmp(dist_kind_names[ki], kind->value))
			break;
	if (!dist_kind_names[ki]) {
		conf_errorf(b->err, kind, b->path,
			    "dist: expected fixed, uniform, exponential, normal, lognormal, pareto or empirical, got \"%s\"",
			    kind->value);
		return -1;
	}
	kind->used = true;
	static const char *const need[][3] = {
		[DIST_FIXED] = { "value" },
		[DIST_UNIFORM] = { "min", "max" },
		[DIST_EXPONENTIAL] = { "mean" },
		[DIST_NORMAL] = { "mean", "sd" },
		[DIST_LOGNORMAL] = { "mean", "sigma" },
		[DIST_PARETO] = { "min", "shape" },
		[DIST_EMPIRICAL] = { "quantiles" },
	};
	struct dist nd = { .kind = (enum dist_kind)ki };
	for (struct conf_node *c = n->child; c; c = c->next) {
		if (c == kind)
			continue;
		c->used = true;
		bool ok = false;
		for (int j = 0; j < 3 && need[ki][j]; j++)
			ok |= !strcmp(need[ki][j], c->key);
		char p[256];
		snprintf(p, sizeof(p), "%s.%s", b->path, c->key);
		if (!ok) {
			conf_errorf(b->err, c, p, "not a parameter of a%s %s distribution (it takes %s%s%s)",
				    strchr("aeiou", kind->value[0]) ? "n" : "", kind->value, need[ki][0], need[ki][1] ? " and " : "",
				    need[ki][1] ? need[ki][1] : "");
			return -1;
		}
		if (!strcmp(c->key, "quantiles")) { /* times at evenly spaced probabilities from 0 to 1 */
			size_t nq = c->kind == CONF_SEQ ? conf_count(c) : 0;
			if (nq < 2 || nq > DIST_MAX_Q) {
				conf_errorf(b->err, c, p, "expected a list of 2 to %d times at evenly spaced probabilities "
					    "from 0 to 1", DIST_MAX_Q);
				return -1;
			}
			nd.nq = 0;
			for (struct conf_node *x = c->child; x; x = x->next) {
				sim_time_t v;
				if (x->kind != CONF_SCALAR || cfg_parse_time(x->value, unit, &v, &why)) {
					conf_errorf(b->err, x, p, "expected a time, got \"%s\"",
						    x->kind == CONF_SCALAR ? x->value : "a list or map");
					return -1;
				}
				if (nd.nq && v < nd.q[nd.nq - 1]) {
					conf_errorf(b->err, x, p, "quantiles must not decrease");
					return -1;
				}
				nd.q[nd.nq++] = v;
			}
			continue;
		}
		if (c->kind != CONF_SCALAR) {
			conf_errorf(b->err, c, p, "expected a plain value");
			return -1;
		}
		if (!strcmp(c->key, "sigma") || !strcmp(c->key, "shape")) {
			char *end;
			double v = strtod(c->value, &end);
			if (*end || end == c->value || !(v > 0) || !isfinite(v)) {
				conf_errorf(b->err, c, p, "expected a positive number, got \"%s\"", c->value);
				return -1;
			}
			*(!strcmp(c->key, "sigma") ? &nd.sigma : &nd.shape) = v;
			continue;
		}
		sim_time_t v;
		if (cfg_parse_time(c->value, unit, &v, &why)) {
			conf_errorf(b->err, c, p, "%s, got \"%s\"", why, c->value);
			return -1;
		}
		if (!strcmp(c->key, "value"))
			nd.value = v;
		else if (!strcmp(c->key, "mean"))
			nd.mean = v;
		else if (!strcmp(c->key, "min"))
			nd.min = v;
		else if (!strcmp(c->key, "max"))
			nd.max = v;
		else
			nd.sd = v;
	}
	for (int j = 0; j < 3 && need[ki][j]; j++)
		if (!conf_get(n, need[ki][j])) {
			conf_errorf(b->err, n, b->path, "a%s %s distribution needs %s",
				    strchr("aeiou", kind->value[0]) ? "n" : "", kind->value, need[ki][j]);
			return -1;
		}
	if (nd.kind == DIST_UNIFORM && nd.max < nd.min) {
		conf_errorf(b->err, n, b->path, "uniform: max is below min");
		return -1;
	}
	if ((nd.kind == DIST_EXPONENTIAL || nd.kind == DIST_LOGNORMAL) && nd.mean <= 0) {
		conf_errorf(b->err, n, b->path, "%s: mean must be positive", kind->value);
		return -1;
	}
	if (nd.kind == DIST_PARETO && nd.min <= 0) {
		conf_errorf(b->err, n, b->path, "pareto: min must be positive");
		return -1;
	}
	*d = nd;
	return 0;
}

/* cost_scalar - cycles (a whole number) or a time with its unit; -1 after an error. */
static int cost_scalar(struct bctx *b, const struct conf_node *v, int64_t *value, bool *is_time)
{
	if (v->kind != CONF_SCALAR) {
		conf_errorf(b->err, v, b->path, "expected cycles (a number), a time (e.g. 2us), or {cycles: N, source: ...}");
		return -1;
	}
	const char *why;
	uint64_t cyc;
	if (!cfg_parse_u64(v->value, &cyc, &why)) {
		if (cyc > (uint64_t)INT64_MAX / 2) {
			conf_errorf(b->err, v, b->path, "%s cycles is out of range", v->value);
			return -1;
		}
		*value = (int64_t)cyc;
		*is_time = false;
		return 0;
	}
	sim_time_t t;
	if (cfg_parse_time(v->value, NULL, &t, &why) || !*v->value ||
	    isdigit((unsigned char)v->value[strlen(v->value) - 1])) {
		conf_errorf(b->err, v, b->path, "expected cycles (a whole number) or a time with its unit (e.g. 2us), got \"%s\"",
			    v->value);
		return -1;
	}
	*value = t;
	*is_time = true;
	return 0;
}

static int sub_error(struct bctx *b, const struct conf_node *at, const char *key, const char *msg)
{
	char p[256];
	snprintf(p, sizeof(p), "%s.%s", b->path, key);
	conf_errorf(b->err, at, p, "%s", msg);
	return -1;
}

/* bind_quantiles - {quantiles: [q0, .., qn]}: the value is the distribution's mean. */
static int bind_quantiles(struct bctx *b, struct cfg_cost *c, const struct conf_node *list)
{
	size_t n = list->kind == CONF_SEQ ? conf_count(list) : 0;
	if (n < 2 || n > 1001)
		return sub_error(b, list, "quantiles", "expected a list of 2 to 1001 values (cycles, or times with units) "
						       "at evenly spaced probabilities from 0 to 1");
	int64_t *q = xcalloc(n, sizeof(*q));
	bool first_time = false;
	size_t i = 0;
	for (const struct conf_node *x = list->child; x; x = x->next, i++) {
		bool is_time;
		if (cost_scalar(b, x, &q[i], &is_time)) {
			free(q);
			return -1;
		}
		if (i == 0)
			first_time = is_time;
		if (is_time != first_time || (i && q[i] < q[i - 1])) {
			free(q);
			return sub_error(b, x, "quantiles",
					 is_time != first_time ? "mix of cycles and times: give all in one kind"
							       : "quantiles must not decrease");
		}
	}
	int64_t mean = quantile_mean(q, n); /* of the piecewise-linear distribution */
	free(c->quantiles);
	c->quantiles = q;
	c->nquantiles = n;
	c->dist = CFG_COST_EMPIRICAL;
	c->is_time = first_time;
	if (first_time)
		c->time = mean;
	else
		c->cycles = mean;
	return 0;
}

int cfg_bind_cost(struct bctx *b, const struct cfg_key *k, struct cfg_cost *c, struct conf_node *n)
{
	/* a new value replaces measured quantiles; a spread (cv, dist) stays unless given anew */
	free(c->quantiles);
	c->quantiles = NULL;
	c->nquantiles = 0;
	if (c->dist == CFG_COST_EMPIRICAL)
		c->dist = CFG_COST_NORMAL;
	if (n->kind != CONF_MAP) {
		int64_t v;
		if (cost_scalar(b, n, &v, &c->is_time))
			return -1;
		if (c->is_time)
			c->time = v;
		else
			c->cycles = v;
		return 0;
	}
	struct conf_node *cy = conf_get(n, "cycles"), *tm = conf_get(n, "time"), *qs = conf_get(n, "quantiles");
	for (struct conf_node *x = n->child; x; x = x->next) {
		x->used = true;
		if (strcmp(x->key, "cycles") && strcmp(x->key, "time") && strcmp(x->key, "quantiles") &&
		    strcmp(x->key, "source") && strcmp(x->key, "cv") && strcmp(x->key, "dist"))
			return sub_error(b, x, x->key,
					 "unknown key (a cost takes cycles or time with cv and dist, or quantiles; and source)");
	}
	if (!!cy + !!tm + !!qs != 1) {
		conf_errorf(b->err, n, b->path, "a cost needs exactly one of cycles:, time: or quantiles:");
		return -1;
	}
	struct conf_node *cvn = conf_get(n, "cv"), *dn = conf_get(n, "dist");
	if (qs && (cvn || dn))
		return sub_error(b, cvn ? cvn : dn, cvn ? "cv" : "dist", "quantiles give the whole distribution: no cv or dist");
	if (cvn) {
		char *end;
		double cv = cvn->kind == CONF_SCALAR ? strtod(cvn->value, &end) : -1;
		if (cvn->kind != CONF_SCALAR || *end || end == cvn->value || !(cv >= 0 && cv <= 1)) {
			char msg[300];
			snprintf(msg, sizeof(msg), "expected a relative spread from 0 to 1, got \"%.200s\"",
				 cvn->kind == CONF_SCALAR ? cvn->value : "a list or map");
			return sub_error(b, cvn, "cv", msg);
		}
		c->cv = cv;
	}
	if (dn) {
		if (dn->kind == CONF_SCALAR && !strcmp(dn->value, "normal"))
			c->dist = CFG_COST_NORMAL;
		else if (dn->kind == CONF_SCALAR && !strcmp(dn->value, "lognormal"))
			c->dist = CFG_COST_LOGNORMAL;
		else
			return sub_error(b, dn, "dist", "expected normal or lognormal (or give quantiles: for a measured shape)");
	}
	struct conf_node *src = conf_get(n, "source");
	if (src) {
		if (src->kind != CONF_SCALAR) {
			conf_errorf(b->err, src, b->path, "source: expected text");
			return -1;
		}
		free(c->source);
		c->source = xstrdup(src->value);
	}
	if (qs)
		return bind_quantiles(b, c, qs);
	int64_t v;
	if (cost_scalar(b, cy ? cy : tm, &v, &c->is_time))
		return -1;
	if (c->is_time)
		c->time = v;
	else
		c->cycles = v;
	return 0;
}
