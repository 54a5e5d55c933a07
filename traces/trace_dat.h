/*
 * trace_dat.h - the trace.dat part of the trace readers (trace_dat.c): a
 * trace-cmd binary file read through libtracecmd as a stream of kvm events.
 */
#ifndef KVMSIM_TRACES_TRACE_DAT_H
#define KVMSIM_TRACES_TRACE_DAT_H

#include <stddef.h>

#include "traces/trace_stats.h"

/*
 * trace_dat_read - read the trace.dat open on fd (from its start; closed
 * here), calling fn for each kvm event in time order; name is for messages.
 * Returns as trace_read does (TRACE_READ_BAD for a damaged file).
 */
int trace_dat_read(int fd, const char *name, trace_event_fn fn, void *ctx, struct trace_stats *st, char *err,
		   size_t errlen);

#endif
