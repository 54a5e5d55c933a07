/*
 * trace_dat.c - reading trace-cmd's binary trace.dat through libtracecmd.
 *
 * Every buffer of the file (the top one and each instance's) is read, merged
 * in time order by tracecmd_iterate_events_multi(). A kvm event's payload is
 * rendered by libtraceevent from the event's own print format, with plugins
 * off (trace-cmd's kvm plugin would replace kvm_exit's layout), and then goes
 * through the same payload parser as the text layouts, so one parser is the
 * single definition of what each event means. Timestamps are the records'
 * own, in ns.
 *
 * libtracecmd trusts the sizes and offsets a file gives: a truncated or
 * damaged trace.dat makes it read past its buffers and crash. So the library
 * runs in a forked child, which sends each kvm event down a pipe; the caller's
 * callback runs here, in the parent. A child that dies before it says it is
 * done read a damaged file: that is bad input, not a crash of kvmsim.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <trace-cmd.h>

#include "traces/trace_dat.h"

/* What the child sends: 'E' and a trace_event, or 'Z' and a dat_end. */
struct dat_end {
	int rc;
	long lines;
	uint64_t other_events, lost_events;
	char err[800];
};

struct dat_walk {
	const char *name;
	FILE *out; /* the pipe to the parent */
	struct trace_stats st;
	int64_t last_ts;
	struct trace_seq seq;
	struct dat_end end;
};

/* on_record - one record of any buffer (in the child). */
static int on_record(struct tracecmd_input *handle, struct tep_record *record, int cpu, void *data)
{
	struct dat_walk *w = data;
	struct tep_handle *tep = tracecmd_get_tep(handle);
	struct tep_event *event = tep_find_event_by_record(tep, record);
	w->st.lines++;
	if (record->missed_events) /* -1: some, of unknown number */
		w->st.lost_events += record->missed_events > 0 ? (uint64_t)record->missed_events : 1;
	if (record->ts > (unsigned long long)TRACE_TS_MAX) {
		snprintf(w->end.err, sizeof(w->end.err),
			 "%s: record %ld (CPU %d): timestamp %llu ns out of range (at most 2^62 ns; a damaged trace.dat?)",
			 w->name, w->st.lines, cpu, (unsigned long long)record->ts);
		w->end.rc = -1;
		return 1;
	}
	/* the buffers are merged in time order: a step back is a damaged file */
	if ((int64_t)record->ts < w->last_ts) {
		snprintf(w->end.err, sizeof(w->end.err),
			 "%s: record %ld (CPU %d): timestamp %llu ns goes back before the previous record's %lld ns "
			 "(damaged trace.dat?)",
			 w->name, w->st.lines, cpu, (unsigned long long)record->ts, (long long)w->last_ts);
		w->end.rc = -1;
		return 1;
	}
	w->last_ts = (int64_t)record->ts;
	if (!event || !event->system || (strcmp(event->system, "kvm") && strcmp(event->system, "sched"))) {
		w->st.other_events++;
		return 0;
	}
	struct trace_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = trace_event_lookup(event->name, strlen(event->name));
	if (ev.type == KEV_NONE) {
		w->st.other_events++;
		return 0;
	}
	ev.ts_ns = (int64_t)record->ts;
	ev.cpu = record->cpu; /* the callback's cpu counts across the buffers */
	ev.pid = tep_data_pid(tep, record);
	ev.tgid = -1; /* a trace.dat keeps no TGID per record */
	ev.line = w->st.lines;
	const char *comm = tep_data_comm_from_pid(tep, ev.pid);
	snprintf(ev.comm, sizeof(ev.comm), "%s", comm ? comm : "<...>");

	trace_seq_reset(&w->seq);
	tep_print_event(tep, &w->seq, record, "%s", TEP_PRINT_INFO);
	trace_seq_terminate(&w->seq);
	char why[400];
	if (trace_event_parse(&ev, w->seq.buffer, why, sizeof(why))) {
		if (ev.type == KEV_SCHED_SWITCH) { /* a layout we do not know: skipped, as in a text trace */
			w->st.other_events++;
			return 0;
		}
		snprintf(w->end.err, sizeof(w->end.err), "%s: record %ld (CPU %d, %llu ns): %s", w->name,
			 w->st.lines, cpu, (unsigned long long)record->ts, why);
		w->end.rc = -1;
		return 1;
	}
	if (fputc('E', w->out) == EOF || fwrite(&ev, sizeof(ev), 1, w->out) != 1)
		_exit(1); /* the parent stopped reading */
	return 0;
}

/* dat_child - open the file with plugins off, walk every buffer in time order, send what was read. */
static void dat_child(int fd, const char *name, int out)
{
	int null = open("/dev/null", O_WRONLY);
	if (null >= 0) /* what the library (or a sanitizer) says as it fails is not kvmsim's one line */
		dup2(null, 2);
	struct dat_walk w;
	memset(&w, 0, sizeof(w));
	w.name = name;
	w.out = fdopen(out, "w");
	if (!w.out)
		_exit(1);
	setvbuf(w.out, NULL, _IOFBF, 1 << 16);
	tracecmd_set_loglevel(TEP_LOG_NONE);
	struct tracecmd_input *top = tracecmd_open_fd(fd, TRACECMD_FL_LOAD_NO_PLUGINS);
	if (!top) {
		snprintf(w.end.err, sizeof(w.end.err),
			 "%s: libtracecmd cannot read this trace.dat (damaged, or a newer version)", name);
		w.end.rc = -1;
	} else {
		int n = tracecmd_buffer_instances(top);
		struct tracecmd_input *handles[1 + 64];
		int nh = 0;
		handles[nh++] = top;
		for (int i = 0; i < n && nh < (int)(sizeof(handles) / sizeof(*handles)); i++) {
			struct tracecmd_input *h = tracecmd_buffer_instance_handle(top, i);
			if (h)
				handles[nh++] = h;
		}
		trace_seq_init(&w.seq);
		if (tracecmd_iterate_events_multi(handles, nh, on_record, &w) < 0 && !w.end.rc) {
			snprintf(w.end.err, sizeof(w.end.err), "%s: libtracecmd could not read the events", name);
			w.end.rc = -1;
		}
	}
	w.end.lines = w.st.lines;
	w.end.other_events = w.st.other_events;
	w.end.lost_events = w.st.lost_events;
	if (fputc('Z', w.out) == EOF || fwrite(&w.end, sizeof(w.end), 1, w.out) != 1 || fflush(w.out))
		_exit(1);
	_exit(0); /* no atexit handlers, no flushing of the parent's stdio buffers */
}

/* trace_dat_read - the child reads; here each event goes to fn; a child's death is a damaged file. */
int trace_dat_read(int fd, const char *name, trace_event_fn fn, void *ctx, struct trace_stats *st, char *err,
		   size_t errlen)
{
	st->ts_digits = 9;
	int p[2];
	if (lseek(fd, 0, SEEK_SET) < 0 || pipe(p)) {
		snprintf(err, errlen, "%s: cannot read: %s", name, strerror(errno));
		close(fd);
		return TRACE_READ_FAILED;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "%s: cannot start the trace.dat reader: %s", name, strerror(errno));
		close(p[0]);
		close(p[1]);
		close(fd);
		return TRACE_READ_FAILED;
	}
	if (!pid) {
		close(p[0]);
		dat_child(fd, name, p[1]);
	}
	close(p[1]);
	close(fd);
	FILE *in = fdopen(p[0], "r");
	if (!in) {
		close(p[0]);
		kill(pid, SIGKILL);
	}
	int rc = 0, kind;
	bool done = false;
	struct dat_end end;
	struct trace_event ev;
	while (in && !rc && (kind = getc(in)) != EOF) {
		if (kind == 'E' && fread(&ev, sizeof(ev), 1, in) == 1 && ev.type > KEV_NONE && ev.type < KEV_N) {
			trace_stats_count(st, &ev);
			rc = fn(ctx, &ev);
		} else if (kind == 'Z' && fread(&end, sizeof(end), 1, in) == 1) {
			done = true;
			break;
		} else {
			break;
		}
	}
	if (rc) /* the callback stopped the reading: the child's work is not wanted */
		kill(pid, SIGKILL);
	if (in)
		fclose(in);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc)
		return rc;
	if (!done) { /* killed by a signal, or (under a sanitizer) exited after one: the same message */
		snprintf(err, errlen, "%s: damaged trace.dat: libtracecmd failed reading it", name);
		return TRACE_READ_BAD;
	}
	st->lines = end.lines;
	st->other_events = end.other_events;
	st->lost_events = end.lost_events;
	if (end.rc) {
		end.err[sizeof(end.err) - 1] = 0;
		snprintf(err, errlen, "%s", end.err);
		return TRACE_READ_BAD;
	}
	return 0;
}
