/* events.c - VM arrivals and departures (see events.h). */
#include "fleet/events.h"
#include "sim/cli.h"
#include "sim/err.h"
#include "sim/rng.h"
#include "sim/units.h"
#include "sim/xalloc.h"

#include <errno.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

struct evbuf {
	struct fleet_event *e;
	size_t n, cap;
};

static void push(struct evbuf *b, sim_time_t t, uint32_t vm, size_t type, int leave)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 1024;
		b->e = xrealloc(b->e, b->cap * sizeof(*b->e));
	}
	b->e[b->n++] = (struct fleet_event){ .t = t, .vm = vm, .type = (uint16_t)type, .leave = (uint8_t)leave };
}

/* departures first at equal times (they make room), then in VM order */
static int cmp_ev(const void *a, const void *b)
{
	const struct fleet_event *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->leave != y->leave)
		return x->leave ? -1 : 1;
	return x->vm < y->vm ? -1 : x->vm > y->vm;
}

static sim_time_t draw_ps(gsl_rng *r, double mean_s)
{
	double x = gsl_ran_exponential(r, mean_s) * 1e12;
	return x >= (double)SIM_INPUT_MAX ? SIM_INPUT_MAX : (sim_time_t)llround(x);
}

static size_t draw_type(gsl_rng *r, const struct fleet_gen *g, double total)
{
	double u = gsl_rng_uniform(r) * total;
	for (size_t t = 0; t + 1 < g->ntypes; t++) {
		if (u < g->weights[t])
			return t;
		u -= g->weights[t];
	}
	return g->ntypes - 1;
}

void fleet_events_gen(const struct fleet_gen *g, struct fleet_event **ev, size_t *nev, uint32_t *nvm)
{
	gsl_rng *r = sim_rng_new(g->seed, "fleet/arrivals");
	struct evbuf b = { 0 };
	double total = 0, life = (double)g->lifetime / 1e12;
	for (size_t t = 0; t < g->ntypes; t++)
		total += g->weights[t];
	uint32_t vm = 0;
	sim_time_t t = 0;
	for (;; vm++) {
		if (vm >= g->initial) {
			if (g->rate <= 0)
				break;
			t = sim_time_add_sat(t, draw_ps(r, 1 / g->rate));
			if (t >= g->end)
				break;
		}
		size_t type = draw_type(r, g, total);
		push(&b, t, vm, type, 0);
		sim_time_t leave = sim_time_add_sat(t, draw_ps(r, life));
		if (leave < g->end)
			push(&b, leave, vm, type, 1);
	}
	gsl_rng_free(r);
	if (b.n)
		qsort(b.e, b.n, sizeof(*b.e), cmp_ev);
	*ev = b.e;
	*nev = b.n;
	*nvm = vm;
}

static int field_time(const char *s, sim_time_t *t, const char **w)
{
	return cfg_parse_time(s, "s", t, w);
}

int fleet_events_trace(const char *path, size_t ntypes, const char *const *names, sim_time_t end,
		       struct fleet_event **ev, size_t *nev, uint32_t *nvm, char *why, size_t len)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return errf(why, len, "%s: %s", path, strerror(errno)), EXIT_BAD_INPUT;
	struct evbuf b = { 0 };
	char line[1024];
	uint32_t vm = 0;
	int rc = 0, seen = 0;
	for (long ln = 1; !rc && fgets(line, sizeof(line), f); ln++) {
		size_t ll = strlen(line);
		if (ll == sizeof(line) - 1 && line[ll - 1] != '\n' && !feof(f)) {
			rc = errf(why, len, "%s: line %ld: longer than %zu characters", path, ln, sizeof(line) - 2);
			break;
		}
		line[strcspn(line, "\r\n#")] = 0;
		char *s = line + strspn(line, " \t");
		if (!*s || (!seen && !strncmp(s, "arrive", 6) && (seen = 1)))
			continue; /* blank, comment, or the header as the first line of data */
		seen = 1;
		char *fld[3] = { 0 };
		int nf = 0;
		bool extra = false; /* a fourth field */
		for (char *tok = s; nf < 3; nf++) {
			fld[nf] = tok;
			char *c = strchr(tok, ',');
			if (!c) {
				nf++;
				break;
			}
			extra = nf == 2;
			*c = 0;
			tok = c + 1;
		}
		for (int i = 0; i < nf; i++) { /* trim */
			fld[i] += strspn(fld[i], " \t");
			for (char *e = fld[i] + strlen(fld[i]); e > fld[i] && (e[-1] == ' ' || e[-1] == '\t');)
				*--e = 0;
		}
		if (nf != 3 || extra) {
			rc = errf(why, len, "%s: line %ld: expected arrive,leave,type", path, ln);
			break;
		}
		sim_time_t ta, tl = SIM_TIME_MAX;
		const char *w;
		if (field_time(fld[0], &ta, &w)) {
			rc = errf(why, len, "%s: line %ld: arrive: %s", path, ln, w);
			break;
		}
		if (*fld[1] && field_time(fld[1], &tl, &w)) {
			rc = errf(why, len, "%s: line %ld: leave: %s", path, ln, w);
			break;
		}
		if (tl < ta) {
			rc = errf(why, len, "%s: line %ld: leave: before arrive", path, ln);
			break;
		}
		long type = -1;
		for (size_t t = 0; t < ntypes; t++)
			if (!strcmp(fld[2], names[t]))
				type = (long)t;
		char *e;
		if (type < 0) {
			long v = strtol(fld[2], &e, 10);
			if (e != fld[2] && !*e && v >= 0 && (size_t)v < ntypes)
				type = v;
		}
		if (type < 0) {
			rc = errf(why, len, "%s: line %ld: type: expected a VM type's name or index 0..%zu, got \"%s\"",
				  path, ln, ntypes - 1, fld[2]);
			break;
		}
		if (ta < end) {
			push(&b, ta, vm, (size_t)type, 0);
			if (tl < end)
				push(&b, tl, vm, (size_t)type, 1);
			vm++;
		}
	}
	fclose(f);
	if (rc) {
		free(b.e);
		return EXIT_BAD_INPUT;
	}
	if (b.n)
		qsort(b.e, b.n, sizeof(*b.e), cmp_ev);
	*ev = b.e;
	*nev = b.n;
	*nvm = vm;
	return 0;
}
