/*
 * fuzz_trace.c - trace_read (traces/trace_read.h) on one input file, as
 * `kvmsim trace check` and `trace replay` call it: the layout is sniffed
 * (trace.dat magic, gzip, else text). Built as fuzz_trace_text (seeded with
 * trace-cmd report and ftrace samples) and fuzz_trace_perf (perf script);
 * fuzz_trace_dat.c gives the binary reader its own harness.
 */
#include "tests/fuzz/fuzz_util.h"

#include "traces/trace_read.h"

static int count(void *ctx, const struct trace_event *ev)
{
	(*(uint64_t *)ctx)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(0, ".trace", data, size);
	struct trace_stats st;
	memset(&st, 0, sizeof(st));
	char err[512] = "";
	uint64_t n = 0;
	int rc = trace_read(path, count, &n, &st, err, sizeof(err));
	if (rc && !err[0])
		abort(); /* refused without saying why */
	if (!rc && n != st.kvm_events + st.events[KEV_SCHED_SWITCH])
		abort(); /* the statistics must count what was delivered (sched_switch is read, not a kvm event) */
	return 0;
}
