/*
 * replay_read.h - reading a trace for a replay (trace_replay.h): the
 * trace_event_fn that keeps what replay_build() rebuilds the load from, and
 * the release of all of it.
 */
#ifndef KVMSIM_TRACES_REPLAY_READ_H
#define KVMSIM_TRACES_REPLAY_READ_H

#include "traces/trace_replay.h"

/* replay_trace_add - a trace_event_fn collecting halts, decisions, interrupts and off-CPU intervals. */
int replay_trace_add(void *ctx, const struct trace_event *ev);

/* replay_trace_free - everything replay_trace_add and replay_build kept. */
void replay_trace_free(struct replay_trace *t);

#endif
