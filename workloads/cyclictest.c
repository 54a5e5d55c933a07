/* cyclictest.c - cyclictest's measuring loop as a guest program (see cyclictest.h). */
#include "workloads/cyclictest.h"
#include "sim/xalloc.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "models/costs/costs.h"
#include "models/guest/guest.h"

#define C(f) offsetof(struct cyclictest_conf, f)
static const struct cfg_key cyclictest_keys[] = {
	{ "threads", CFG_INT, C(threads), NULL, "0", 0, 64, "measuring threads, one per vCPU (0: no cyclictest)" },
	{ "interval", CFG_TIME, C(interval), "us", "1ms", 0, 0, "cyclictest -i: the wake-up period" },
	{ "loops", CFG_INT, C(loops), NULL, "0", 0, 1e12, "cyclictest -l: samples per thread (0: until the run ends)" },
	{ "buckets", CFG_INT, C(buckets), "us", "100", 1, 100000, "cyclictest -h: histogram buckets of 1 us" },
	{ "nsecs", CFG_BOOL, C(nsecs), NULL, "false", 0, 0,
	  "cyclictest -N: the summary in nanoseconds (the histogram stays in 1 us buckets)" },
	{ "pinned", CFG_BOOL, C(pinned), NULL, "true", 0, 0,
	  "the vCPUs run on pCPUs of their own (checked: no other vCPU or host task there)" },
	{ NULL },
};
#undef C

const struct cfg_section cyclictest_section = { "cyclictest", cyclictest_keys, sizeof(struct cyclictest_conf),
						NULL };

static void arm(struct guest_cpu *g, struct gop *op)
{
	struct cyclictest_thread *t = op->ctx;
	guest_timer_start(g, t->timer, t->next); /* clock_nanosleep(TIMER_ABSTIME, next) */
}

static void sleep_until_next(struct cyclictest_thread *t)
{
	struct gop run = { .kind = GOP_RUN, .task = 1, .ps = guest_cost(t->g, COST_guest_timer_arm) };
	struct gop call = { .kind = GOP_CALL, .task = 1, .fn = arm, .ctx = t };
	guest_push_back(t->g, &run);
	guest_push_back(t->g, &call);
}

/* measure - the thread runs again: one sample, then sleep for the next period. */
static void measure(struct guest_cpu *g, struct gop *op)
{
	struct cyclictest_thread *t = op->ctx;
	const struct cyclictest_conf *c = t->conf;
	sim_time_t now = sim_now(g->sim);
	/* calcdiff_ns() (-N), and calcdiff(): whole microseconds, which the histogram takes */
	int64_t ns = (now - t->next) / SIM_NS;
	if (ns < 0)
		ns = 0;
	if (!t->cycles || ns < t->min_ns)
		t->min_ns = ns;
	if (ns > t->max_ns)
		t->max_ns = ns;
	t->act_ns = ns;
	t->sum_ns += ns;
	int64_t diff = ns / 1000;
	if (!t->cycles || diff < t->min_us)
		t->min_us = diff;
	if (diff > t->max_us)
		t->max_us = diff;
	t->act_us = diff;
	t->sum_us += diff;
	if (diff >= c->buckets) {
		if (t->overflows < (uint64_t)c->buckets)
			t->overflow_at[t->overflows] = t->cycles;
		t->overflows++;
	} else {
		t->hist[diff]++;
	}
	t->cycles++;
	t->next += c->interval;
	if (c->loops && t->cycles >= (uint64_t)c->loops) {
		t->done = true;
		return;
	}
	sleep_until_next(t);
}

static void expired(struct guest_cpu *g, void *ctx)
{
	struct cyclictest_thread *t = ctx;
	/* hrtimer_wakeup(): the thread runs once the interrupt returns */
	struct gop run = { .kind = GOP_RUN, .task = 1, .ps = guest_cost(g, COST_guest_wakeup) };
	struct gop call = { .kind = GOP_CALL, .task = 1, .fn = measure, .ctx = t };
	guest_push_back(g, &run);
	guest_push_back(g, &call);
}

static void first(struct guest_cpu *g, struct gop *op)
{
	struct cyclictest_thread *t = op->ctx;
	t->next = sim_now(g->sim) + t->conf->interval;
	arm(g, op);
}

int cyclictest_start(struct cyclictest_thread *t, const struct cyclictest_conf *c, struct guest_cpu *g, int id)
{
	memset(t, 0, sizeof(*t));
	t->conf = c;
	t->g = g;
	t->id = id;
	t->timer = guest_timer_new(g, expired, t);
	if (!t->timer)
		return -1;
	t->hist = xcalloc((size_t)c->buckets, sizeof(*t->hist));
	t->overflow_at = xcalloc((size_t)c->buckets, sizeof(*t->overflow_at));
	struct gop run = { .kind = GOP_RUN, .task = 1, .ps = guest_cost(g, COST_guest_timer_arm) };
	struct gop call = { .kind = GOP_CALL, .task = 1, .fn = first, .ctx = t };
	guest_push_back(g, &run);
	guest_push_back(g, &call);
	return 0;
}

void cyclictest_free(struct cyclictest_thread *t)
{
	free(t->hist);
	free(t->overflow_at);
}

int64_t cyclictest_avg(const struct cyclictest_thread *t)
{
	return t->cycles ? t->sum_us / (int64_t)t->cycles : 0;
}

void cyclictest_write_hist(FILE *f, const struct cyclictest_thread *t, int n)
{
	int64_t buckets = n ? t[0].conf->buckets : 0;
	fprintf(f, "# Histogram\n");
	for (int64_t b = 0; b < buckets; b++) {
		fprintf(f, "%06lld ", (long long)b);
		for (int i = 0; i < n; i++)
			fprintf(f, "%s%06llu", i ? "\t" : "", (unsigned long long)t[i].hist[b]);
		fprintf(f, "\n");
	}
	fprintf(f, "# Total:");
	for (int i = 0; i < n; i++)
		fprintf(f, " %09llu", (unsigned long long)(t[i].cycles - t[i].overflows));
	fprintf(f, "\n# Min Latencies:");
	for (int i = 0; i < n; i++)
		fprintf(f, " %05lld", (long long)t[i].min_us);
	fprintf(f, "\n# Avg Latencies:");
	for (int i = 0; i < n; i++)
		fprintf(f, " %05lld", (long long)cyclictest_avg(&t[i]));
	fprintf(f, "\n# Max Latencies:");
	for (int i = 0; i < n; i++)
		fprintf(f, " %05lld", (long long)t[i].max_us);
	fprintf(f, "\n# Histogram Overflows:");
	for (int i = 0; i < n; i++)
		fprintf(f, " %05llu", (unsigned long long)t[i].overflows);
	fprintf(f, "\n# Histogram Overflow at cycle number:\n");
	for (int i = 0; i < n; i++) {
		fprintf(f, "# Thread %d:", i);
		uint64_t shown = t[i].overflows < (uint64_t)buckets ? t[i].overflows : (uint64_t)buckets;
		for (uint64_t k = 0; k < shown; k++)
			fprintf(f, " %05llu", (unsigned long long)t[i].overflow_at[k]);
		if (t[i].overflows > shown)
			fprintf(f, " # %05llu others", (unsigned long long)(t[i].overflows - shown));
		fprintf(f, "\n");
	}
	fprintf(f, "\n");
}
