/*
 * run_util.h - whole runs for the CMocka tests: a scenario (a file, or the
 * built-in default) with --set assignments, built, run to its end and
 * finished, as `kvmsim run` does; optionally with its trace text and its JSON
 * report. Include after <cmocka.h>.
 */
#ifndef KVMSIM_TESTS_RUN_UTIL_H
#define KVMSIM_TESTS_RUN_UTIL_H

#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "workloads/scenario/machine.h"
#include "workloads/scenario/report.h"

struct run {
	struct scenario sc;
	struct machine m;
	char *json;   /* RUN_JSON: the report, as `run --json` writes it */
	char *trace;  /* RUN_TRACE: the trace text, len bytes */
	size_t len;
	FILE *tf;
};

enum { RUN_TRACE = 1, RUN_JSON = 2, RUN_TRACE_NS = 4 /* with RUN_TRACE: timestamps in ns */ };

/* run_load - path (NULL: the default) with the assignments of pre, then of sets (NULL-ended, either NULL). */
static inline struct run *run_load(const char *path, const char *const *pre, const char *const *sets, int flags)
{
	struct run *r = calloc(1, sizeof(*r));
	struct scenario_set ss[64] = { { 0 } };
	size_t n = 0;
	for (size_t i = 0; pre && pre[i] && n < 64; i++)
		ss[n++] = (struct scenario_set){ pre[i], NULL };
	for (size_t i = 0; sets && sets[i] && n < 64; i++)
		ss[n++] = (struct scenario_set){ sets[i], NULL };
	struct conf_err err;
	if (scenario_load(&r->sc, path, ss, n, &err))
		fail_msg("scenario: %s", err.msg);
	if (flags & RUN_TRACE)
		r->tf = open_memstream(&r->trace, &r->len);
	if (machine_build(&r->m, &r->sc, r->tf, &err))
		fail_msg("build: %s", err.msg);
	r->m.trace_ns = (flags & RUN_TRACE_NS) != 0;
	struct run_info ri = { 0, 0 };
	ri.events = machine_run_until(&r->m, r->sc.duration);
	machine_finish(&r->m);
	if (r->tf)
		fflush(r->tf);
	if (flags & RUN_JSON) {
		json_t *j = report_json(&r->m, &ri);
		r->json = json_dumps(j, JSON_INDENT(1));
		json_decref(j);
	}
	return r;
}

/* run_trace_ns - the time (ns) of the nth (0-based) line of a RUN_TRACE | RUN_TRACE_NS trace
 * holding `what` and stamped after after_ns, or -1 */
static inline long long run_trace_ns(const char *trace, const char *what, long long after_ns, int nth)
{
	for (const char *p = trace; (p = strstr(p, what)); p += strlen(what)) {
		const char *l = p; /* its line: "<task>  [<cpu>]  <seconds>.<ns>: <event>: ..." */
		while (l > trace && l[-1] != '\n')
			l--;
		const char *br = strchr(l, ']');
		long long s, ns;
		if (br && br < p && sscanf(br + 1, " %lld.%lld:", &s, &ns) == 2 && s * 1000000000LL + ns > after_ns &&
		    nth-- == 0)
			return s * 1000000000LL + ns;
	}
	return -1;
}

static inline void run_free(struct run *r)
{
	machine_free(&r->m);
	scenario_free(&r->sc);
	if (r->tf)
		fclose(r->tf);
	free(r->trace);
	free(r->json);
	free(r);
}

#endif
