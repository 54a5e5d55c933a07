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
 */
#include <stdio.h>
#include <string.h>

#include <trace-cmd.h>

#include "traces/trace_dat.h"

struct dat_walk {
	const char *name;
	trace_event_fn fn;
	void *ctx;
	struct trace_stats *st;
	struct trace_seq seq;
	char *err;
	size_t errlen;
	int rc;
};

/* on_record - one record of any buffer. */
static int on_record(struct tracecmd_input *handle, struct tep_record *record, int cpu, void *data)
{
	struct dat_walk *w = data;
	struct tep_handle *tep = tracecmd_get_tep(handle);
	struct tep_event *event = tep_find_event_by_record(tep, record);
	w->st->lines++;
	if (record->missed_events) /* -1: some, of unknown number */
		w->st->lost_events += record->missed_events > 0 ? (uint64_t)record->missed_events : 1;
	if (!event || !event->system || strcmp(event->system, "kvm")) {
		w->st->other_events++;
		return 0;
	}
	struct trace_event ev;
	ev.type = trace_event_lookup(event->name, strlen(event->name));
	if (ev.type == KEV_NONE) {
		w->st->other_events++;
		return 0;
	}
	ev.ts_ns = (int64_t)record->ts;
	ev.cpu = record->cpu; /* the callback's cpu counts across the buffers */
	ev.pid = tep_data_pid(tep, record);
	ev.line = w->st->lines;
	const char *comm = tep_data_comm_from_pid(tep, ev.pid);
	snprintf(ev.comm, sizeof(ev.comm), "%s", comm ? comm : "<...>");

	trace_seq_reset(&w->seq);
	tep_print_event(tep, &w->seq, record, "%s", TEP_PRINT_INFO);
	trace_seq_terminate(&w->seq);
	char why[400];
	if (trace_event_parse(&ev, w->seq.buffer, why, sizeof(why))) {
		snprintf(w->err, w->errlen, "%s: record %ld (CPU %d, %llu ns): %s", w->name, w->st->lines, cpu,
			 (unsigned long long)record->ts, why);
		w->rc = -1;
		return 1;
	}
	trace_stats_count(w->st, &ev);
	if ((w->rc = w->fn(w->ctx, &ev)))
		return 1;
	return 0;
}

/* trace_dat_read - open with plugins off, walk every buffer in time order. */
int trace_dat_read(const char *file, const char *name, trace_event_fn fn, void *ctx, struct trace_stats *st,
		   char *err, size_t errlen)
{
	tracecmd_set_loglevel(TEP_LOG_NONE);
	struct tracecmd_input *top = tracecmd_open(file, TRACECMD_FL_LOAD_NO_PLUGINS);
	if (!top) {
		snprintf(err, errlen, "%s: libtracecmd cannot read this trace.dat (damaged, or a newer version)",
			 name);
		return -1;
	}
	int n = tracecmd_buffer_instances(top);
	struct tracecmd_input *handles[1 + 64];
	int nh = 0;
	handles[nh++] = top;
	for (int i = 0; i < n && nh < (int)(sizeof(handles) / sizeof(*handles)); i++) {
		struct tracecmd_input *h = tracecmd_buffer_instance_handle(top, i);
		if (h)
			handles[nh++] = h;
	}
	struct dat_walk w = { name, fn, ctx, st, { 0 }, err, errlen, 0 };
	trace_seq_init(&w.seq);
	st->ts_digits = 9;
	if (tracecmd_iterate_events_multi(handles, nh, on_record, &w) < 0 && !w.rc) {
		snprintf(err, errlen, "%s: libtracecmd could not read the events", name);
		w.rc = -1;
	}
	trace_seq_destroy(&w.seq);
	for (int i = nh - 1; i >= 0; i--)
		tracecmd_close(handles[i]);
	return w.rc;
}
