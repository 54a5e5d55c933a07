/*
 * trace_stats.h - what the trace readers share: the callback each kvm event
 * goes to and the counts of what was read. The text reader (trace_read.c) and
 * the trace.dat reader (trace_dat.c) both build on this and on trace_event.h,
 * so neither needs the other's header.
 */
#ifndef KVMSIM_TRACES_TRACE_STATS_H
#define KVMSIM_TRACES_TRACE_STATS_H

#include <stdint.h>

#include "traces/trace_event.h"

struct trace_stats {
	char format[24];        /* "trace-cmd report", "ftrace", "perf script", "trace.dat" */
	uint64_t events[KEV_N]; /* kvm events read, by event (and sched_switch) */
	uint64_t kvm_events;    /* their sum */
	uint64_t other_events;  /* events kvmsim does not read (other subsystems, other kvm events) */
	uint64_t other_lines;   /* headers, blank lines, notes of lost events */
	uint64_t lost_events;   /* what "CPU:N [LOST M EVENTS]" notes add up to (ring-buffer overruns) */
	long lines;             /* lines, or records of a trace.dat */
	int ts_digits;          /* decimals of the timestamps: 6 (us) or 9 (ns) */
	int64_t first_ts, last_ts; /* of the kvm events, ns */
};

/* What the readers return besides 0 and the callback's own non-zero return. */
#define TRACE_READ_BAD (-1)    /* bad input: err names the file (and line) */
#define TRACE_READ_FAILED (-2) /* the work failed (I/O, temporary file): err says why */

/* Called for each kvm event; a non-zero return stops reading and is returned. */
typedef int (*trace_event_fn)(void *ctx, const struct trace_event *ev);

/* trace_stats_count - account one kvm event and widen the time span (used by the readers). */
static inline void trace_stats_count(struct trace_stats *st, const struct trace_event *ev)
{
	if (ev->type == KEV_SCHED_SWITCH) { /* read, but not a kvm event: neither the count nor the span */
		st->events[ev->type]++;
		return;
	}
	if (!st->kvm_events || ev->ts_ns < st->first_ts)
		st->first_ts = ev->ts_ns;
	if (!st->kvm_events || ev->ts_ns > st->last_ts)
		st->last_ts = ev->ts_ns;
	st->events[ev->type]++;
	st->kvm_events++;
}

#endif
