/* probe_pattern.c - wake patterns: their specs and their inter-arrival times (see probe.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/probe/probe.h"

int probe_pattern_parse(const char *spec, struct probe_pattern *p, char *why, size_t len)
{
	char *end;
	struct probe_pattern q = *p;
	snprintf(q.spec, sizeof(q.spec), "%s", spec);
	const char *a = strchr(spec, ':');
	if (!a || strlen(spec) >= sizeof(q.spec))
		goto bad;
	a++;
	if (!strncmp(spec, "periodic:", 9) || !strncmp(spec, "poisson:", 8) || !strncmp(spec, "timer:", 6)) {
		q.kind = spec[0] == 't' ? PROBE_TIMER : spec[1] == 'e' ? PROBE_PERIODIC : PROBE_POISSON;
		double us = strtod(a, &end);
		if (end == a || strcmp(end, "us") || !(us >= 1 && us <= 1e6))
			goto bad;
		q.interval_ns = (int64_t)llround(us * 1000);
	} else if (!strncmp(spec, "burst:", 6)) {
		q.kind = PROBE_BURST;
		long n = strtol(a, &end, 10);
		if (end == a || *end != 'x' || n < 1 || n > 1000)
			goto bad;
		a = end + 1;
		double us = strtod(a, &end);
		if (end == a || strncmp(end, "us/", 3) || !(us >= 1 && us <= 1e6))
			goto bad;
		a = end + 3;
		double gap = strtod(a, &end);
		double unit = !strcmp(end, "us") ? 1e3 : !strcmp(end, "ms") ? 1e6 : 0;
		if (end == a || !unit || !(gap * unit >= 1e3 && gap * unit <= 1e9))
			goto bad;
		q.burst_len = (int)n;
		q.interval_ns = (int64_t)llround(us * 1000);
		q.burst_gap_ns = (int64_t)llround(gap * unit);
	} else {
		goto bad;
	}
	*p = q;
	return 0;
bad:
	snprintf(why, len, "expected periodic:Tus, poisson:Tus, burst:NxTus/G(us|ms) or timer:Tus, got \"%s\"", spec);
	return -1;
}

void probe_gaps(const struct probe_pattern *p, int64_t *gap, long n)
{
	uint64_t s = p->seed * 0x9e3779b97f4a7c15ull + 1;
	for (long i = 0; i < n; i++) {
		switch (p->kind) {
		case PROBE_PERIODIC:
		case PROBE_TIMER:
			gap[i] = p->interval_ns;
			break;
		case PROBE_POISSON: { /* xorshift64*: the same draws on every host */
			s ^= s >> 12;
			s ^= s << 25;
			s ^= s >> 27;
			double u = (double)((s * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0;
			gap[i] = (int64_t)(-(double)p->interval_ns * log(1.0 - u)) + 1;
			break;
		}
		case PROBE_BURST:
			gap[i] = i % p->burst_len ? p->interval_ns : p->burst_gap_ns;
			break;
		}
	}
}

bool probe_kernel_release(const char *rel, char *out, size_t len)
{
	unsigned a, b;
	if (sscanf(rel, "%u.%u", &a, &b) != 2)
		return false;
	snprintf(out, len, "%u.%u", a, b);
	return true;
}
