/*
 * replay_run.h - one simulated column of a trace replay: a policy and its
 * settings run on kvmsim's machine against the load rebuilt from a trace
 * (trace_replay.h).
 */
#ifndef KVMSIM_TRACES_REPLAY_RUN_H
#define KVMSIM_TRACES_REPLAY_RUN_H

#include "traces/trace_replay.h"

/* A column to simulate: a policy and --set assignments (scenario keys). */
struct replay_column {
	const char *name;
	const char *policy;
	const char *const *sets;
	size_t nsets;
};

struct replay_model {
	const char *kernel, *arch;
	const char *const *sets; /* for every column */
	size_t nsets;
	/*
	 * When the trace shows its wake-ups from a sleep, the host polls when
	 * idle (unless the sets, the model's or the column's, give
	 * host.max_cstate or host.idle_poll): each recorded wake-up, replayed as
	 * its halt's extra delay, already holds the recorded host's idle exit.
	 */
	bool calibrate_idle;
};

/*
 * replay_run - simulate one column. A first run, with gap-derived works at 0,
 * measures on the model itself (with this column's settings: profile, APIC,
 * EOI) its own path from a halt's end to the next halt's start, its own
 * wake-up latency from a sleep and its own delivery of an MSI to the IRR
 * (medians). Wake sources are raised so that their IRR is set when the trace
 * shows it. The column then runs
 * with those works less that path, and each wake source that finds its vCPU
 * asleep wakes it as late as the trace shows (the recorded latency less the
 * model's own; for a halt the trace shows polling, the trace's median): under
 * the recorded setting, the simulated halts start and end when the recorded
 * ones did. -1 with a message (bad key, bad policy...), TRACE_READ_FAILED if
 * its scenario or arrivals cannot be written.
 */
int replay_run(const struct replay_trace *t, const struct replay_model *m, const struct replay_column *col,
	       struct replay_result *r, char *err, size_t errlen);

#endif
