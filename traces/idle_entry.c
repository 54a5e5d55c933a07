/* idle_entry.c - the idle state's entry time measured from a traced probe (idle_entry.h). */
#include "traces/idle_entry.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/hist.h"
#include "traces/probe/probe.h"
#include "traces/trace_event.h"
#include "traces/trace_read.h"

int idle_entry_from_trace(FILE *f, int cpu, int tid, double **e, size_t *n)
{
	char line[1024], err[128];
	size_t cap = 0;
	bool asleep = false;
	int64_t out = 0;
	*e = NULL;
	*n = 0;
	while (fgets(line, sizeof(line), f)) {
		struct trace_line tl;
		if (!trace_line_split(line, &tl) || tl.ts_bad || tl.cpu != cpu)
			continue;
		struct trace_event ev = { .type = trace_event_lookup(tl.event, tl.event_len) };
		if (ev.type == KEV_SCHED_SWITCH) {
			/* the vCPU thread asleep (S: not D, nor exiting) with nothing else to run; any other
			 * switch ends a sleep */
			const char *st = strstr(tl.payload, " prev_state=");
			asleep = !trace_event_parse(&ev, tl.payload, err, sizeof(err)) && ev.sswitch.prev_pid == tid &&
				 ev.sswitch.next_pid == 0 && st && st[12] == 'S';
			out = tl.ts_ns;
		} else if (asleep && tl.event_len == 8 && !memcmp(tl.event, "cpu_idle", 8)) {
			const char *st = strstr(tl.payload, "state=");
			char *end;
			long state = st ? strtol(st + 6, &end, 10) : 0;
			if (!st || end == st + 6 || state <= 0 || state == 4294967295L || tl.ts_ns < out)
				continue; /* the polling state 0, the exit marker (or time running back: not a trace) */
			if (*n == cap) {
				cap = cap ? 2 * cap : 1024;
				double *ne = realloc(*e, cap * sizeof(double));
				if (!ne) {
					free(*e);
					*e = NULL;
					*n = 0;
					return -1;
				}
				*e = ne;
			}
			(*e)[(*n)++] = (double)(tl.ts_ns - out) / 1e3;
			asleep = false;
		}
	}
	return 0;
}

void idle_entry_quantiles(double *e, size_t n, double *q_ns, int nq)
{
	qsort(e, n, sizeof(*e), sim_cmp_double);
	for (int k = 0; k < nq; k++) {
		double p = (double)k / (nq - 1);
		p = p < 0.05 ? 0.05 : p > 0.95 ? 0.95 : p;
		q_ns[k] = n ? e[(size_t)(p * (double)(n - 1))] * 1e3 : 0;
	}
}

/* put - write s into dir/name; 0 or -1 (errno set) */
static int put(const char *dir, const char *name, const char *s)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY); /* no O_TRUNC: set_event would drop the events set before */
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, s, strlen(s));
	int e = errno;
	close(fd);
	errno = e;
	return w == (ssize_t)strlen(s) ? 0 : -1;
}

/* the instance, removed if the measurement is stopped by a signal */
static char inst[256];

static void on_signal(int sig)
{
	rmdir(inst);
	signal(sig, SIG_DFL);
	raise(sig);
}

int idle_entry_measure(int cpu, long count, double *q_ns, int nq, size_t *entries, char *why, size_t len)
{
	const char *T = "/sys/kernel/tracing";
	char dir[256], path[512];
	struct stat sb;
	*entries = 0;
	if (stat("/sys/kernel/tracing/instances", &sb))
		T = "/sys/kernel/debug/tracing";
	static const char *const need[] = { "sched/sched_switch", "power/cpu_idle" };
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/events/%s", T, need[i]);
		if (stat(path, &sb)) {
			snprintf(why, len, "no tracefs event %s here (root and tracefs needed)", need[i]);
			return 2;
		}
	}
	snprintf(dir, sizeof(dir), "%s/instances/kvmsim-entry-%d", T, (int)getpid());
	if (mkdir(dir, 0700)) {
		snprintf(why, len, "cannot create a tracefs instance in %s/instances: %s (root needed)", T, strerror(errno));
		return 2;
	}
	snprintf(inst, sizeof(inst), "%s", dir);
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = on_signal }, old[3];
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	char mask[32];
	snprintf(mask, sizeof(mask), "%llx", cpu < 64 ? 1ULL << cpu : 0ULL);
	int rc = 1;
	if (put(dir, "tracing_on", "0") || put(dir, "buffer_size_kb", "8192") ||
	    (cpu < 64 && put(dir, "tracing_cpumask", mask)) || put(dir, "set_event", "sched:sched_switch\n") ||
	    put(dir, "set_event", "power:cpu_idle\n") || put(dir, "tracing_on", "1")) {
		snprintf(why, len, "setting up %s: %s", dir, strerror(errno));
		goto out;
	}
	struct probe_pattern p = { .count = count, .seed = 1, .halt_poll_ns = 0, .rt = true, .vcpu_cpu_set = true,
				   .vcpu_cpu = cpu };
	struct probe_result r;
	if (probe_pattern_parse("poisson:100us", &p, why, len))
		goto out;
	int prc = probe_run(&p, &r, why, len);
	put(dir, "tracing_on", "0");
	if (prc) {
		rc = prc;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/trace", dir);
	FILE *f = fopen(path, "r");
	double *e = NULL;
	size_t n = 0;
	if (!f || idle_entry_from_trace(f, cpu, r.tid, &e, &n))
		snprintf(why, len, "reading %s: %s", path, f ? "out of memory" : strerror(errno));
	else if (n < 100)
		rc = 3, snprintf(why, len, "%zu idle entries after a sleep of the vCPU thread traced on CPU %d (other "
				 "tasks took %.0f%% of it; or this kernel does not trace that CPU's idle)", n, cpu,
				 r.other_ns >= 0 && r.wall_ns > 0 ? 100.0 * (double)r.other_ns / (double)r.wall_ns : 0.0);
	else {
		idle_entry_quantiles(e, n, q_ns, nq);
		*entries = n;
		rc = 0;
	}
	if (f)
		fclose(f);
	free(e);
	probe_result_free(&r);
out:
	put(dir, "tracing_on", "0");
	if (rmdir(dir) && rc == 0) {
		snprintf(why, len, "removing %s: %s", dir, strerror(errno));
		rc = 1;
	}
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	return rc;
}
