/*
 * trace_cmd.h - writing events in the layout of `trace-cmd report` (3.x):
 *
 *   cpus=N
 *   <comm right-aligned in 16>-<pid left-aligned in 5> [<cpu %03d>] <sec %5>.<usec %06>: <event>: <pad><payload>
 *
 * where the timestamp is rounded to the microsecond (or, as `trace-cmd report
 * -t` prints it, nanoseconds: <sec %5>.<nsec %09>) and the event name is
 * padded with spaces to 20 characters after its ": " (trace-read.c).
 */
#ifndef KVMSIM_TRACEPOINTS_TRACE_CMD_H
#define KVMSIM_TRACEPOINTS_TRACE_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

void trace_cmd_header(FILE *f, int cpus);
/* trace_cmd_line - one event; ts_ns is the kernel trace clock in ns, printed in ns or rounded to us. */
void trace_cmd_line(FILE *f, const char *comm, int pid, int cpu, int64_t ts_ns, bool ns, const char *event,
		    const char *payload);

#endif
