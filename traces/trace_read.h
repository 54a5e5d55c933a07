/*
 * trace_read.h - reading a recorded trace, whatever wrote it, as a stream of
 * kvm events (trace_event.h) in the trace's order.
 *
 * Layouts read (each may be gzip-compressed; stdin is read as text):
 *
 *   trace-cmd report   "cpus=N" header; COMM-PID [CPU] SECS.USEC: EVENT: <pad>PAYLOAD,
 *                      also with -t (ns), -l (a latency/flags column), and the
 *                      "INSTANCE: " prefix of instance buffers; kvm_exit as the
 *                      kernel prints it or as trace-cmd's kvm plugin does
 *   ftrace             the tracefs `trace` file: "#" headers; COMM-PID, an optional
 *                      "(TGID)" column, [CPU], an optional flags column (4 or 5
 *                      characters), SECS.USEC: EVENT: PAYLOAD
 *   perf script        COMM TID [CPU] SECS.USEC: kvm:EVENT: PAYLOAD (also PID/TID)
 *   trace.dat          trace-cmd's binary file, through libtracecmd (every buffer,
 *                      merged in time order); payloads rendered without plugins
 *
 * kvmsim's own `run --trace` output is the trace-cmd report layout. Lines that
 * are no kvm event kvmsim reads are skipped and counted; a line naming one of
 * those events that does not parse is an error with its line number.
 */
#ifndef KVMSIM_TRACES_TRACE_READ_H
#define KVMSIM_TRACES_TRACE_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "traces/trace_stats.h"

/* One text line taken apart (trace_line_split). */
struct trace_line {
	char instance[32]; /* trace-cmd report: the buffer instance, or "" */
	char comm[24];
	int32_t pid;
	int32_t tgid;      /* -1 when the line has no TGID column */
	int32_t cpu;
	char flags[8];     /* the irqs-off/need-resched/... column, or "" */
	int64_t ts_ns;
	bool ts_bad;       /* the timestamp is beyond TRACE_TS_MAX (ts_ns holds that) */
	int ts_digits;
	bool perf;         /* perf script: "COMM TID" and "system:event" */
	const char *event; /* into the line; event_len characters, "kvm:" included for perf */
	size_t event_len;
	const char *payload;
};

/* trace_line_split - 1 if line is an event line of a layout above, else 0. */
int trace_line_split(const char *line, struct trace_line *tl);

/*
 * trace_read - read the trace at path ("-": stdin), calling fn for each kvm
 * event. Returns 0; TRACE_READ_BAD (-1) with a message naming the file and
 * line in err if the input is bad (also: not one kvm event in it, a gzip
 * stream cut short or followed by other data, lines out of time order, a
 * damaged trace.dat); TRACE_READ_FAILED (-2) with a message if reading failed
 * (I/O error, no temporary file for a compressed trace.dat); or what fn
 * returned. The statistics are filled either way.
 */
int trace_read(const char *path, trace_event_fn fn, void *ctx, struct trace_stats *st, char *err, size_t errlen);

#endif
