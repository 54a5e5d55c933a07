/* trace_cmd.c - the `trace-cmd report` line layout (see trace_cmd.h). */
#include "models/tracepoints/trace_cmd.h"

#include <string.h>

void trace_cmd_header(FILE *f, int cpus)
{
	fprintf(f, "cpus=%d\n", cpus);
}

void trace_cmd_line(FILE *f, const char *comm, int pid, int cpu, int64_t ts_ns, bool ns, const char *event,
		    const char *payload)
{
	int pad = 20 - (int)strlen(event);
	if (ns) {
		fprintf(f, "%16s-%-5d [%03d] %5lld.%09lld: %s: %*s%s\n", comm, pid, cpu,
			(long long)(ts_ns / 1000000000), (long long)(ts_ns % 1000000000), event, pad > 0 ? pad : 0,
			"", payload);
		return;
	}
	int64_t us = (ts_ns + 500) / 1000;
	fprintf(f, "%16s-%-5d [%03d] %5lld.%06lld: %s: %*s%s\n", comm, pid, cpu,
		(long long)(us / 1000000), (long long)(us % 1000000), event, pad > 0 ? pad : 0, "",
		payload);
}
