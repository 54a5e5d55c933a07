/*
 * tracefs_inst.h - a tracefs instance of kvmsim's own (instances/NAME-PID), so
 * that other tracing on the machine is left alone: the events set, the mono
 * clock (one clock for every CPU, the probes' CLOCK_MONOTONIC), removed again
 * when done or when kvmsim is stopped by SIGINT, SIGTERM or SIGHUP (those not
 * ignored: under nohup a hang-up leaves it be). One at a time. Needs root and tracefs; the shell scripts in traces/probe/ do the same
 * with tracefs.sh.
 */
#ifndef KVMSIM_TRACES_TRACEFS_INST_H
#define KVMSIM_TRACES_TRACEFS_INST_H

#include <stddef.h>

struct tracefs_inst {
	char dir[256];
};

/* tracefs_open - create the instance NAME-PID with buffer_kb per CPU and the events
 * ("group/event") enabled, tracing off; 0, 2 when not possible here (no tracefs, an
 * event missing, no root: why says which), 1 on a failure setting it up. */
int tracefs_open(struct tracefs_inst *t, const char *name, int buffer_kb, const char *const *events, int nev,
		 char *why, size_t len);
/* tracefs_filter - event's filter (e.g. "target_cpu == 1"); 0 or -1 (errno) */
int tracefs_filter(struct tracefs_inst *t, const char *event, const char *filter);
/* tracefs_on - tracing on (on 1) or off (0); 0 or -1 (errno) */
int tracefs_on(struct tracefs_inst *t, int on);
/* tracefs_trace - path of the instance's trace file into buf */
void tracefs_trace(const struct tracefs_inst *t, char *buf, size_t len);
/* tracefs_lost - the events lost so far (overwritten or dropped: per_cpu/cpuN/stats'
 * overrun and dropped events, over every CPU); -1 when unreadable */
long tracefs_lost(const struct tracefs_inst *t);
/* tracefs_close - tracing off and the instance removed; 0 or -1 (errno) */
int tracefs_close(struct tracefs_inst *t);

#endif
