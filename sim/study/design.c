/*
 * design.c - parsing a sweep's parameter specifications and expanding them
 * into runs (see design.h for the syntax). Random and Latin-hypercube draws
 * come from one seeded GSL stream ("sweep/design" under the design seed), so
 * a design and its seed give the same runs on every machine.
 */
#include "sim/study/design.h"
#include "sim/err.h"
#include "sim/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "sim/rng.h"

void dsg_init(struct design *d)
{
	memset(d, 0, sizeof(*d));
	d->kind = DSG_GRID;
	d->replicates = 1;
	d->seed = 1;
	d->design_seed = 1;
}

void dsg_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

void dsg_free(struct design *d)
{
	for (size_t i = 0; i < d->nparams; i++) {
		free(d->params[i].key);
		free(d->params[i].spec);
		for (size_t j = 0; j < d->params[i].nvalues; j++)
			free(d->params[i].values[j]);
		free(d->params[i].values);
	}
	free(d->params);
	for (size_t i = 0; i < d->nruns; i++)
		free(d->runs[i].values);
	free(d->runs);
	for (size_t i = 0; i < d->nsampled; i++)
		free(d->sampled[i]);
	free(d->sampled);
	dsg_init(d);
}

const char *dsg_kind_name(enum dsg_kind k)
{
	static const char *const names[] = { "list", "range", "uniform", "log-uniform", "choice" };
	return names[k];
}

const char *dsg_design_name(enum dsg_design k)
{
	static const char *const names[] = { "grid", "random", "lhs" };
	return names[k];
}

int dsg_design_parse(const char *s, enum dsg_design *k)
{
	for (int i = DSG_GRID; i <= DSG_LHS; i++)
		if (!strcmp(s, dsg_design_name(i))) {
			*k = i;
			return 0;
		}
	return -1;
}

char **dsg_split_list(const char *s, size_t *n)
{
	char **v = NULL;
	size_t cnt = 0;
	int depth = 0;
	char quote = 0;
	const char *start = s;
	for (const char *p = s;; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
			else if (!*p)
				break; /* unterminated quote: the rest is one item */
			continue;
		}
		if (*p == '"' || *p == '\'')
			quote = *p;
		else if (*p == '{' || *p == '[')
			depth++;
		else if ((*p == '}' || *p == ']') && depth > 0)
			depth--;
		if (!*p || (*p == ',' && depth == 0)) {
			const char *a = start, *b = p;
			while (a < b && isspace((unsigned char)*a))
				a++;
			while (b > a && isspace((unsigned char)b[-1]))
				b--;
			v = xrealloc(v, (cnt + 2) * sizeof(*v));
			v[cnt] = xrealloc(NULL, (size_t)(b - a) + 1);
			memcpy(v[cnt], a, (size_t)(b - a));
			v[cnt][b - a] = 0;
			cnt++;
			start = p + 1;
		}
		if (!*p)
			break;
	}
	if (quote) { /* finish the unterminated item */
		const char *a = start;
		while (isspace((unsigned char)*a))
			a++;
		v = xrealloc(v, (cnt + 2) * sizeof(*v));
		v[cnt++] = xstrdup(a);
	}
	v[cnt] = NULL;
	*n = cnt;
	return v;
}

/* A number as written: value, whether it is an integer, and its unit suffix. */
struct num {
	double v;
	int64_t i;
	bool integer;
	char unit[16];
};

/* parse_num - "50000", "2.5", "200us", "1e3" into a num; -1 if it is not one. */
static int parse_num(const char *s, struct num *n)
{
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
		return -1;
	char *end;
	errno = 0;
	n->v = strtod(s, &end);
	if (errno || end == s || !isfinite(n->v))
		return -1;
	n->integer = strcspn(s, ".eE") >= (size_t)(end - s) && fabs(n->v) < 9e15;
	n->i = n->integer ? (int64_t)n->v : 0;
	size_t ul = strlen(end);
	if (ul >= sizeof(n->unit))
		return -1;
	for (const char *u = end; *u; u++)
		if (!isalpha((unsigned char)*u))
			return -1;
	memcpy(n->unit, end, ul + 1);
	return 0;
}

/* same_unit - reconcile the units of a and b (a bare 0 takes the other's); -1 if they differ. */
static int same_unit(struct num *a, struct num *b)
{
	if (!strcmp(a->unit, b->unit))
		return 0;
	if (!a->unit[0] && a->v == 0) {
		strcpy(a->unit, b->unit);
		return 0;
	}
	if (!b->unit[0] && b->v == 0) {
		strcpy(b->unit, a->unit);
		return 0;
	}
	return -1;
}

/* fmt_num - a value as the user would write it: integer or %.10g, then the unit. */
static char *fmt_num(double v, bool integer, const char *unit, int digits)
{
	char buf[64];
	if (integer)
		snprintf(buf, sizeof(buf), "%lld%s", (long long)llround(v), unit);
	else
		snprintf(buf, sizeof(buf), "%.*g%s", digits, v == 0 ? 0.0 : v, unit);
	return xstrdup(buf);
}

/* push_value - append a value to p. */
static void push_value(struct dsg_param *p, char *v)
{
	p->values = xrealloc(p->values, (p->nvalues + 1) * sizeof(*p->values));
	p->values[p->nvalues++] = v;
}

/* parse_list - "V1,V2,..." into p's values. */
static int parse_list(struct dsg_param *p, const char *opt, char *why, size_t len)
{
	size_t n;
	char **v = dsg_split_list(p->spec, &n);
	for (size_t i = 0; i < n; i++) {
		if (!v[i][0]) {
			dsg_strv_free(v);
			return errf(why, len, "%s %s=%s: value %zu is empty (expected V1,V2,...)", opt, p->key,
				    p->spec, i + 1);
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(v[i], v[j])) {
				int rc = errf(why, len, "%s %s=%s: \"%s\" is listed twice", opt, p->key, p->spec,
					      v[i]);
				dsg_strv_free(v);
				return rc;
			}
	}
	p->values = v;
	p->nvalues = n;
	return 0;
}

/* parse_range - "A:B:STEP" or "A:B:xF" into p's values. */
static int parse_range(struct dsg_param *p, const char *opt, char *why, size_t len)
{
	char *s = xstrdup(p->spec);
	char *c1 = strchr(s, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	struct num a, b, st;
	int rc = 0;
	bool geo = false;
	if (!c1 || !c2 || strchr(c2 + 1, ':')) {
		rc = errf(why, len, "%s %s=%s: expected START:STOP:STEP or START:STOP:xFACTOR", opt, p->key,
			  p->spec);
		goto out;
	}
	*c1 = *c2 = 0;
	const char *step = c2 + 1;
	if (*step == 'x' || *step == '*') {
		geo = true;
		step++;
	}
	if (parse_num(s, &a) || parse_num(c1 + 1, &b) || parse_num(step, &st)) {
		rc = errf(why, len, "%s %s=%s: expected numbers (with an optional unit) in START:STOP:STEP", opt,
			  p->key, p->spec);
		goto out;
	}
	if (geo && st.unit[0]) {
		rc = errf(why, len, "%s %s=%s: a factor has no unit", opt, p->key, p->spec);
		goto out;
	}
	if (same_unit(&a, &b) || (!geo && (same_unit(&a, &st) || same_unit(&b, &st)))) {
		rc = errf(why, len, "%s %s=%s: START, STOP and STEP must have the same unit", opt, p->key, p->spec);
		goto out;
	}
	if (b.v < a.v) {
		rc = errf(why, len, "%s %s=%s: STOP is below START", opt, p->key, p->spec);
		goto out;
	}
	bool integer = a.integer && b.integer && (geo || st.integer);
	if (geo) {
		if (a.v <= 0 || st.v <= 1) {
			rc = errf(why, len, "%s %s=%s: a geometric range needs START > 0 and FACTOR > 1", opt,
				  p->key, p->spec);
			goto out;
		}
		int64_t last = INT64_MIN;
		for (double v = a.v; v <= b.v * (1 + 1e-12); v *= st.v) {
			if (integer && llround(v) == last)
				continue; /* rounding made two steps equal */
			last = llround(v);
			push_value(p, fmt_num(v, integer, a.unit, 10));
			if (p->nvalues > DSG_MAX_RUNS)
				break;
		}
	} else {
		if (st.v <= 0) {
			rc = errf(why, len, "%s %s=%s: STEP must be positive", opt, p->key, p->spec);
			goto out;
		}
		double n = floor((b.v - a.v) / st.v + 1e-9) + 1;
		if (n > DSG_MAX_RUNS) {
			rc = errf(why, len, "%s %s=%s: %.0f values (at most %d)", opt, p->key, p->spec, n,
				  DSG_MAX_RUNS);
			goto out;
		}
		for (size_t i = 0; i < (size_t)n; i++) {
			if (integer) {
				char buf[48];
				snprintf(buf, sizeof(buf), "%lld%s", (long long)(a.i + (int64_t)i * st.i), a.unit);
				push_value(p, xstrdup(buf));
			} else {
				push_value(p, fmt_num(a.v + (double)i * st.v, false, a.unit, 10));
			}
		}
	}
	if (p->nvalues > DSG_MAX_RUNS)
		rc = errf(why, len, "%s %s=%s: more than %d values", opt, p->key, p->spec, DSG_MAX_RUNS);
out:
	free(s);
	return rc;
}

/* parse_sample - "LO:HI", "LO:HI:log" or "V1,V2,..." for a --sample dimension. */
static int parse_sample(struct dsg_param *p, const char *opt, char *why, size_t len)
{
	char *s = xstrdup(p->spec);
	char *c1 = strchr(s, ':');
	int rc = 0;
	if (!c1) {
		free(s);
		p->kind = DSG_CHOICE;
		return parse_list(p, opt, why, len);
	}
	char *c2 = strchr(c1 + 1, ':');
	*c1 = 0;
	if (c2)
		*c2 = 0;
	struct num a, b;
	p->kind = DSG_UNIFORM;
	if (c2) {
		if (strcmp(c2 + 1, "log")) {
			rc = errf(why, len, "%s %s=%s: expected LO:HI, LO:HI:log or V1,V2,...", opt, p->key, p->spec);
			goto out;
		}
		p->kind = DSG_LOG_UNIFORM;
	}
	if (parse_num(s, &a) || parse_num(c1 + 1, &b)) {
		rc = errf(why, len, "%s %s=%s: expected numbers (with an optional unit) in LO:HI", opt, p->key,
			  p->spec);
		goto out;
	}
	if (same_unit(&a, &b)) {
		rc = errf(why, len, "%s %s=%s: LO and HI must have the same unit", opt, p->key, p->spec);
		goto out;
	}
	if (b.v <= a.v) {
		rc = errf(why, len, "%s %s=%s: HI must be above LO", opt, p->key, p->spec);
		goto out;
	}
	if (p->kind == DSG_LOG_UNIFORM && a.v <= 0) {
		rc = errf(why, len, "%s %s=%s: a log-uniform range needs LO > 0", opt, p->key, p->spec);
		goto out;
	}
	p->lo = a.v;
	p->hi = b.v;
	p->integer = a.integer && b.integer;
	strcpy(p->unit, a.unit);
out:
	free(s);
	return rc;
}

/* key_ok - a scenario key path: letters, digits, '_' and '-', joined by single dots. */
static bool key_ok(const char *k)
{
	if (!*k || *k == '.' || k[strlen(k) - 1] == '.' || strstr(k, ".."))
		return false;
	for (; *k; k++)
		if (!isalnum((unsigned char)*k) && *k != '_' && *k != '-' && *k != '.')
			return false;
	return true;
}

int dsg_add(struct design *d, const char *opt, const char *arg, char *why, size_t len)
{
	const char *eq = strchr(arg, '=');
	if (!eq)
		return errf(why, len, "%s %s: expected KEY=%s", opt, arg,
			    !strcmp(opt, "--range") ? "START:STOP:STEP" :
			    !strcmp(opt, "--sample") ? "LO:HI" : "V1,V2,...");
	struct dsg_param p = { 0 };
	p.key = xrealloc(NULL, (size_t)(eq - arg) + 1);
	memcpy(p.key, arg, (size_t)(eq - arg));
	p.key[eq - arg] = 0;
	p.spec = xstrdup(eq + 1);
	int rc = 0;
	if (!key_ok(p.key)) {
		rc = errf(why, len, "%s %s: \"%s\" is not a scenario key (e.g. vm.halt_poll_ns)", opt, arg, p.key);
		goto bad;
	}
	for (size_t i = 0; i < d->nparams; i++)
		if (!strcmp(d->params[i].key, p.key)) {
			rc = errf(why, len, "%s %s: %s is already swept", opt, arg, p.key);
			goto bad;
		}
	if (!p.spec[0]) {
		rc = errf(why, len, "%s %s: no values after '='", opt, arg);
		goto bad;
	}
	if (!strcmp(opt, "--grid")) {
		p.kind = DSG_LIST;
		rc = parse_list(&p, opt, why, len);
	} else if (!strcmp(opt, "--range")) {
		p.kind = DSG_RANGE;
		rc = parse_range(&p, opt, why, len);
	} else {
		rc = parse_sample(&p, opt, why, len);
	}
	if (rc)
		goto bad;
	d->params = xrealloc(d->params, (d->nparams + 1) * sizeof(*d->params));
	d->params[d->nparams++] = p;
	return 0;
bad:
	free(p.key);
	free(p.spec);
	for (size_t j = 0; j < p.nvalues; j++)
		free(p.values[j]);
	free(p.values);
	return rc;
}

/* is_sampled - whether p is a --sample dimension. */
static bool is_sampled(const struct dsg_param *p)
{
	return p->kind == DSG_UNIFORM || p->kind == DSG_LOG_UNIFORM || p->kind == DSG_CHOICE;
}

/* draw - the value of sampled dimension p at u in [0, 1). */
static char *draw(const struct dsg_param *p, double u)
{
	if (p->kind == DSG_CHOICE) {
		size_t k = (size_t)(u * (double)p->nvalues);
		return xstrdup(p->values[k < p->nvalues ? k : p->nvalues - 1]);
	}
	double v;
	if (p->kind == DSG_LOG_UNIFORM) {
		v = exp(log(p->lo) + u * (log(p->hi) - log(p->lo)));
		if (p->integer)
			v = fmin(fmax(round(v), p->lo), p->hi);
	} else if (p->integer) {
		/* each integer of [lo, hi] equally likely */
		v = p->lo + floor(u * (p->hi - p->lo + 1));
		if (v > p->hi)
			v = p->hi;
	} else {
		v = p->lo + u * (p->hi - p->lo);
	}
	return fmt_num(v, p->integer, p->unit, 6);
}

int dsg_expand(struct design *d, char *why, size_t len)
{
	size_t nsamp_dims = 0;
	double grid = 1;
	for (size_t i = 0; i < d->nparams; i++) {
		if (is_sampled(&d->params[i]))
			nsamp_dims++;
		else
			grid *= (double)d->params[i].nvalues;
	}
	if (nsamp_dims && d->kind == DSG_GRID) {
		if (d->kind_given)
			return errf(why, len, "--design grid cannot draw --sample dimensions (use random or lhs)");
		d->kind = DSG_RANDOM;
	}
	if (!nsamp_dims && d->kind != DSG_GRID)
		return errf(why, len, "--design %s needs --sample KEY=LO:HI dimensions to draw",
			    dsg_design_name(d->kind));
	if (nsamp_dims && !d->samples)
		return errf(why, len, "--sample needs --samples N (how many points to draw)");
	if (!nsamp_dims && d->samples)
		return errf(why, len, "--samples needs --sample KEY=LO:HI dimensions to draw");
	if (d->replicates < 1)
		return errf(why, len, "--replicates must be at least 1");
	size_t samples = nsamp_dims ? d->samples : 1;
	double total = grid * (double)samples * (double)d->replicates;
	if (total > DSG_MAX_RUNS)
		return errf(why, len, "the design has %.0f runs (at most %d)", total, DSG_MAX_RUNS);
	if (d->seed > UINT64_MAX - (d->replicates - 1))
		return errf(why, len, "--seed %llu with %zu replicates needs seeds above 18446744073709551615",
			    (unsigned long long)d->seed, d->replicates);

	/* draws: u[s * nsamp_dims + j] for sample s and sampled dimension j */
	double *u = xrealloc(NULL, samples * (nsamp_dims ? nsamp_dims : 1) * sizeof(double));
	if (nsamp_dims) {
		gsl_rng *r = sim_rng_new(d->design_seed, "sweep/design");
		if (d->kind == DSG_LHS) {
			size_t *perm = xrealloc(NULL, samples * sizeof(size_t));
			for (size_t j = 0; j < nsamp_dims; j++) {
				for (size_t s = 0; s < samples; s++)
					perm[s] = s;
				gsl_ran_shuffle(r, perm, samples, sizeof(size_t));
				for (size_t s = 0; s < samples; s++)
					u[s * nsamp_dims + j] = ((double)perm[s] + gsl_rng_uniform(r)) / (double)samples;
			}
			free(perm);
		} else {
			for (size_t s = 0; s < samples; s++)
				for (size_t j = 0; j < nsamp_dims; j++)
					u[s * nsamp_dims + j] = gsl_rng_uniform(r);
		}
		gsl_rng_free(r);
		d->sampled = xrealloc(NULL, samples * nsamp_dims * sizeof(char *));
		for (size_t s = 0; s < samples; s++) {
			size_t j = 0;
			for (size_t i = 0; i < d->nparams; i++)
				if (is_sampled(&d->params[i])) {
					d->sampled[s * nsamp_dims + j] = draw(&d->params[i], u[s * nsamp_dims + j]);
					j++;
				}
		}
		d->nsampled = samples * nsamp_dims;
	}
	free(u);

	d->npoints = (size_t)grid * samples;
	d->nruns = d->npoints * d->replicates;
	d->runs = xrealloc(NULL, d->nruns * sizeof(*d->runs));
	size_t *idx = xcalloc(d->nparams + 1, sizeof(size_t)); /* odometer over grid parameters */
	size_t r = 0;
	for (size_t g = 0; g < (size_t)grid; g++) {
		for (size_t s = 0; s < samples; s++) {
			for (size_t rep = 0; rep < d->replicates; rep++) {
				struct dsg_run *run = &d->runs[r++];
				run->point = g * samples + s + 1;
				run->seed = d->seed + rep;
				run->values = xrealloc(NULL, (d->nparams + 1) * sizeof(char *));
				size_t j = 0;
				for (size_t i = 0; i < d->nparams; i++) {
					const struct dsg_param *p = &d->params[i];
					run->values[i] = is_sampled(p) ? d->sampled[s * nsamp_dims + j++] :
									 p->values[idx[i]];
				}
			}
		}
		/* advance the odometer: the last grid parameter moves fastest */
		for (size_t i = d->nparams; i-- > 0;) {
			if (is_sampled(&d->params[i]))
				continue;
			if (++idx[i] < d->params[i].nvalues)
				break;
			idx[i] = 0;
		}
	}
	free(idx);
	return 0;
}
