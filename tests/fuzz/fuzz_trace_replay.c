/*
 * fuzz_trace_replay.c - what `kvmsim trace replay` does with a trace before it
 * simulates anything: read it into the replay's per-thread records
 * (replay_trace_add: halts, decisions, interrupts with their TGIDs,
 * sched_switch off-CPU intervals), rebuild the load (replay_build) and write
 * the arrivals with the model's own figures taken out (replay_write_arrivals).
 * Every arrivals line must be in time order, with times and works not negative.
 */
#include "tests/fuzz/fuzz_util.h"

#include <inttypes.h>

#include "traces/replay_read.h"
#include "traces/trace_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(0, ".trace", data, size);
	struct replay_trace t;
	memset(&t, 0, sizeof(t));
	struct trace_stats st;
	memset(&st, 0, sizeof(st));
	char err[512] = "";
	int rc = trace_read(path, replay_trace_add, &t, &st, err, sizeof(err));
	if (!rc)
		rc = replay_build(&t, "fuzz", -1, NULL, err, sizeof(err));
	if (rc && !err[0])
		abort(); /* refused without saying why */
	if (!rc) {
		char *buf = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&buf, &len);
		const struct replay_model_own own = { 1866, 9201, 1, 2457 };
		if (!out || replay_write_arrivals(&t, out, &own) || fclose(out))
			abort();
		int64_t last = 0;
		for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
			if (*l == '#')
				continue;
			long long vcpu, at, work, wake = 0;
			int n = sscanf(l, "%lld %lld %lld %lld", &vcpu, &at, &work, &wake);
			if (n < 3 || vcpu < 0 || (size_t)vcpu >= t.nvcpus || at < last || work < 0 || wake < 0)
				abort(); /* what the arrivals workload would refuse */
			last = at;
		}
		free(buf);
	}
	replay_trace_free(&t);
	return 0;
}
