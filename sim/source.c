/* source.c - arrival processes (see source.h). */
#include "sim/source.h"
#include "sim/xalloc.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "sim/rng.h"

static const char *const source_types[] = { "idle", "periodic", "poisson", "onoff", "file", "arrivals", NULL };

#define S(f) offsetof(struct source_conf, f)
static const struct cfg_key source_keys[] = {
	{ "type", CFG_ENUM, S(type), NULL, "poisson", 0, 0,
	  "arrival process: idle, periodic, poisson, onoff, file, arrivals", .choices = source_types },
	{ "rate", CFG_RATE, S(rate), NULL, "5000", 0, 1e9,
	  "arrivals per second (poisson; onoff during bursts)" },
	{ "period", CFG_TIME, S(period), "us", "1ms", 0, 0, "time between arrivals (periodic)" },
	{ "jitter", CFG_TIME, S(jitter), "us", "0", 0, 0,
	  "periodic: each arrival moves by a uniform draw in [-jitter, +jitter]" },
	{ "start", CFG_TIME, S(start), "us", "0", 0, 0, "time of the first arrival's earliest start" },
	{ "on", CFG_DIST, S(on), "us", "1ms", 0, 0, "onoff: length of a burst" },
	{ "off", CFG_DIST, S(off), "us", "4ms", 0, 0, "onoff: length of a silence" },
	{ "file", CFG_STRING, S(file), "path", NULL, 0, 0,
	  "file: inter-arrival times in ns, one per line (# comments); arrivals: lines TIME_NS WORK_NS, VCPU TIME_NS WORK_NS, or VCPU TIME_NS WORK_NS WAKE_NS" },
	{ "loop", CFG_BOOL, S(loop), NULL, "true", 0, 0, "file: start again at the end" },
	{ "work", CFG_DIST, S(work), "us", "20us", 0, 0,
	  "work each arrival causes (guest run time, or host task run time)" },
	{ NULL },
};
#undef S

const struct cfg_section source_section = { "source", source_keys, sizeof(struct source_conf),
					    source_check };

int source_check(void *obj, const struct conf_node *map, const char *path, struct conf_err *err)
{
	struct source_conf *c = obj;
	static const char *const allowed[][6] = {
		[SRC_IDLE] = { "type", "work" },
		[SRC_PERIODIC] = { "type", "period", "jitter", "start", "work" },
		[SRC_POISSON] = { "type", "rate", "start", "work" },
		[SRC_ONOFF] = { "type", "rate", "on", "off", "start", "work" },
		[SRC_FILE] = { "type", "file", "loop", "start", "work" },
		[SRC_ARRIVALS] = { "type", "file", "start" },
	};
	for (const struct conf_node *k = map ? map->child : NULL; k; k = k->next) {
		bool ok = false;
		for (int i = 0; i < 6 && allowed[c->type][i]; i++)
			ok |= !strcmp(allowed[c->type][i], k->key);
		if (!ok) {
			char p[256];
			snprintf(p, sizeof(p), "%s.%s", path, k->key);
			conf_errorf(err, k, p, "does not apply to a%s %s source",
				    strchr("aeiou", source_types[c->type][0]) ? "n" : "", source_types[c->type]);
			return -1;
		}
	}
	const struct conf_node *where = map;
	if (c->type == SRC_PERIODIC && c->period <= 0) {
		conf_errorf(err, where, path, "a periodic source needs a positive period");
		return -1;
	}
	if (c->type == SRC_PERIODIC && c->jitter > c->period / 2) {
		conf_errorf(err, where, path, "jitter must be at most half the period");
		return -1;
	}
	if (c->type == SRC_ONOFF && !(dist_mean(&c->on) >= (double)SIM_NS)) {
		/* a burst shorter than a nanosecond almost never holds an arrival: the search for
		 * the next one would run through years of silences */
		conf_errorf(err, where, path, "an onoff source needs bursts (on) of at least 1ns on average");
		return -1;
	}
	if ((c->type == SRC_POISSON || c->type == SRC_ONOFF) && !(c->rate > 0)) {
		conf_errorf(err, where, path, "a %s source needs a positive rate", source_types[c->type]);
		return -1;
	}
	bool from_file = c->type == SRC_FILE || c->type == SRC_ARRIVALS;
	if (from_file && !c->file) {
		conf_errorf(err, where, path, "a%s %s source needs file: PATH",
			    strchr("aeiou", source_types[c->type][0]) ? "n" : "", source_types[c->type]);
		return -1;
	}
	if (from_file && c->file[0] != '/' && map && map->line > 0) {
		/* a relative path in a scenario file is relative to that file */
		const char *slash = strrchr(map->origin, '/');
		if (slash) {
			size_t dl = (size_t)(slash - map->origin) + 1;
			char *full = xcalloc(1, dl + strlen(c->file) + 1);
			memcpy(full, map->origin, dl);
			strcpy(full + dl, c->file);
			free(c->file);
			c->file = full;
		}
	}
	if (from_file) {
		char msg[600];
		if (!source_file_load(c->file, c->type == SRC_ARRIVALS, msg, sizeof(msg))) {
			conf_errorf(err, map ? conf_get(map, "file") : NULL, path, "%s", msg);
			return -1;
		}
	}
	return 0;
}

/* ---- inter-arrival files ------------------------------------------------------ */

struct source_file {
	char *path;
	bool arrivals;
	sim_time_t *gap;  /* file: inter-arrival times; arrivals: absolute times */
	sim_time_t *work; /* arrivals */
	int *vcpu;        /* arrivals: -1 for every vCPU */
	sim_time_t *wake; /* arrivals: the host's extra delay waking a sleeping vCPU (0: none) */
	size_t n;
	int max_vcpu;     /* arrivals: the highest VCPU named, -1 none */
	int max_vcpu_line;
	struct source_file *next;
};

static struct source_file *files;

const struct source_file *source_file_load(const char *path, bool arrivals, char *err, size_t errlen)
{
	for (struct source_file *f = files; f; f = f->next)
		if (!strcmp(f->path, path) && f->arrivals == arrivals)
			return f;
	FILE *in = fopen(path, "r");
	if (!in) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	struct source_file *f = xcalloc(1, sizeof(*f));
	f->arrivals = arrivals;
	f->max_vcpu = -1;
	size_t cap = 0;
	char line[256];
	int lineno = 0;
	sim_time_t last = 0;
	const char *bad = NULL;
	while (fgets(line, sizeof(line), in)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		long long v[4];
		int k = 0;
		char *p = line, *end;
		while (k < 4) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (!*p || *p == '\n' || *p == '\r')
				break;
			errno = 0;
			v[k] = strtoll(p, &end, 10);
			if (end == p || errno || v[k] < 0 || (*end && *end != ' ' && *end != '\t' && *end != '\n' && *end != '\r')) {
				k = -1;
				break;
			}
			k++;
			p = end;
		}
		while (k >= 0 && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		if (k == 0)
			continue;
		if (k < 0 || *p || (!arrivals && k != 1) || (arrivals && k < 2)) {
			bad = arrivals ? "expected TIME_NS WORK_NS, VCPU TIME_NS WORK_NS or VCPU TIME_NS WORK_NS WAKE_NS "
					 "(whole numbers)"
				       : "expected an inter-arrival time in ns (a positive whole number)";
			break;
		}
		if (f->n == cap) {
			cap = cap ? cap * 2 : 1024;
			f->gap = xrealloc(f->gap, cap * sizeof(*f->gap));
			if (arrivals) {
				f->work = xrealloc(f->work, cap * sizeof(*f->work));
				f->vcpu = xrealloc(f->vcpu, cap * sizeof(*f->vcpu));
				f->wake = xrealloc(f->wake, cap * sizeof(*f->wake));
			}
		}
		if (!arrivals) {
			if (v[0] <= 0 || v[0] > 100LL * 86400 * 1000000000) {
				bad = "expected an inter-arrival time in ns (a positive whole number)";
				break;
			}
			f->gap[f->n++] = (sim_time_t)v[0] * SIM_NS;
			continue;
		}
		int vc = k >= 3 ? (int)v[0] : -1;
		int kt = k == 4 ? 1 : k - 2; /* the time's column */
		if (v[kt] > 100LL * 86400 * 1000000000 || v[kt + 1] > 86400LL * 1000000000 ||
		    (k == 4 && v[3] > 86400LL * 1000000000)) { /* before scaling to ps: no overflow */
			bad = "time or work out of range";
			break;
		}
		sim_time_t t = (sim_time_t)v[kt] * SIM_NS, w = (sim_time_t)v[kt + 1] * SIM_NS;
		sim_time_t wk = k == 4 ? (sim_time_t)v[3] * SIM_NS : 0;
		if (t < last) {
			bad = "arrival times must not go backwards";
			break;
		}
		last = t;
		f->gap[f->n] = t;
		f->work[f->n] = w;
		f->vcpu[f->n] = vc;
		if (vc > f->max_vcpu) {
			f->max_vcpu = vc;
			f->max_vcpu_line = lineno;
		}
		f->wake[f->n] = wk;
		f->n++;
	}
	fclose(in);
	if (bad || !f->n) {
		if (bad)
			snprintf(err, errlen, "%s:%d: %s", path, lineno, bad);
		else
			snprintf(err, errlen, "%s: the file holds no %s", path,
				 arrivals ? "arrivals" : "inter-arrival times");
		free(f->gap);
		free(f->work);
		free(f->vcpu);
		free(f->wake);
		free(f);
		return NULL;
	}
	f->path = xstrdup(path);
	f->next = files;
	files = f;
	return f;
}

void source_files_free(void)
{
	while (files) {
		struct source_file *n = files->next;
		free(files->path);
		free(files->gap);
		free(files->work);
		free(files->vcpu);
		free(files->wake);
		free(files);
		files = n;
	}
}

/* ---- the process ------------------------------------------------------------- */

static sim_time_t exp_ps(gsl_rng *r, double rate)
{
	return (sim_time_t)(gsl_ran_exponential(r, 1.0 / rate) * (double)SIM_S) + 1;
}

/* next_gap - time from `now` to the next arrival, or -1 for none. */
static sim_time_t next_time(struct source *s, sim_time_t now)
{
	const struct source_conf *c = s->conf;
	switch (c->type) {
	case SRC_PERIODIC: {
		s->next_nominal += c->period;
		sim_time_t j = 0;
		if (c->jitter)
			j = (sim_time_t)((gsl_rng_uniform(s->rng) * 2 - 1) * (double)c->jitter);
		sim_time_t t = s->next_nominal + j;
		return t > now ? t : now;
	}
	case SRC_POISSON:
		return now + exp_ps(s->rng, c->rate);
	case SRC_ONOFF: {
		sim_time_t t = now;
		for (;;) {
			if (s->on) {
				sim_time_t cand = t + exp_ps(s->rng, c->rate);
				if (cand < s->phase_end)
					return cand;
				t = s->phase_end;
				s->on = false;
				s->phase_end = t + dist_sample(&c->off, s->rng);
			} else {
				t = s->phase_end;
				s->on = true;
				s->phase_end = t + dist_sample(&c->on, s->rng) + 1;
			}
		}
	}
	case SRC_FILE:
		if (s->trace_pos == s->trace->n) {
			if (!c->loop)
				return -1;
			s->trace_pos = 0;
		}
		return now + s->trace->gap[s->trace_pos++];
	case SRC_ARRIVALS:
		while (s->trace_pos < s->trace->n && s->vcpu >= 0 && s->trace->vcpu[s->trace_pos] >= 0 &&
		       s->trace->vcpu[s->trace_pos] != s->vcpu)
			s->trace_pos++;
		if (s->trace_pos == s->trace->n)
			return -1;
		return s->t0 + s->trace->gap[s->trace_pos];
	default:
		return -1;
	}
}

static void arrive(struct sim *sim, void *subject, void *object)
{
	struct source *s = subject;
	sim_time_t work;
	if (s->conf->type == SRC_ARRIVALS) {
		s->wake_delay = s->trace->wake[s->trace_pos];
		work = s->trace->work[s->trace_pos++];
	} else {
		work = dist_sample(&s->conf->work, s->rng);
	}
	sim_time_t next = next_time(s, sim_now(sim));
	if (next >= 0)
		sim_at(sim, next, arrive, s, NULL);
	s->arrivals++;
	s->fire(s->ctx, work);
}

int source_check_vcpus(const struct source_conf *conf, int nvcpus, char *err, size_t errlen)
{
	if (conf->type != SRC_ARRIVALS)
		return 0;
	const struct source_file *f = source_file_load(conf->file, true, err, errlen);
	if (!f)
		return -1;
	if (f->max_vcpu >= nvcpus) {
		snprintf(err, errlen, "%s:%d: VCPU %d, but the VM has %d vCPU%s (0 to %d)", f->path, f->max_vcpu_line,
			 f->max_vcpu, nvcpus, nvcpus == 1 ? "" : "s", nvcpus - 1);
		return -1;
	}
	return 0;
}

int source_init(struct source *s, const struct source_conf *conf, int vcpu, uint64_t seed, const char *name,
		void (*fire)(void *ctx, sim_time_t work), void *ctx, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->conf = conf;
	s->fire = fire;
	s->ctx = ctx;
	s->vcpu = vcpu;
	if ((conf->type == SRC_FILE || conf->type == SRC_ARRIVALS) &&
	    !(s->trace = source_file_load(conf->file, conf->type == SRC_ARRIVALS, err, errlen)))
		return -1;
	s->rng = sim_rng_new(seed, name);
	return 0;
}

void source_fini(struct source *s)
{
	if (s->rng)
		gsl_rng_free(s->rng);
	s->rng = NULL;
}

void source_start(struct source *s, struct sim *sim)
{
	const struct source_conf *c = s->conf;
	sim_time_t t0 = sim_now(sim) + c->start;
	sim_time_t first;
	switch (c->type) {
	case SRC_IDLE:
		return;
	case SRC_PERIODIC:
		/* a random phase, so that periodic sources of several vCPUs do not align */
		s->next_nominal = t0 + (sim_time_t)(gsl_rng_uniform(s->rng) * (double)c->period);
		first = s->next_nominal;
		break;
	case SRC_ONOFF:
		s->on = false;
		s->phase_end = t0;
		first = next_time(s, t0);
		break;
	case SRC_ARRIVALS:
		s->t0 = t0;
		first = next_time(s, t0);
		break;
	default:
		first = next_time(s, t0);
	}
	if (first >= 0)
		sim_at(sim, first, arrive, s, NULL);
}
