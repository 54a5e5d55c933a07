/*
 * trace_dat.h - the trace.dat part of the trace readers (trace_dat.c): a
 * trace-cmd binary file read through libtracecmd as a stream of kvm events.
 */
#ifndef KVMSIM_TRACES_TRACE_DAT_H
#define KVMSIM_TRACES_TRACE_DAT_H

#include <stddef.h>

#include "traces/trace_stats.h"

/* trace_dat_read - read the trace.dat at file, as trace_read does; name is for messages. */
int trace_dat_read(const char *file, const char *name, trace_event_fn fn, void *ctx, struct trace_stats *st,
		   char *err, size_t errlen);

#endif
