/*
 * cyclictest.h - the rt-tests cyclictest measuring timer wake-up latency in a
 * guest: each thread sleeps until an absolute time (clock_nanosleep), that
 * time advancing by `interval` every loop; on waking it reads the clock, and
 * the difference, in whole microseconds as cyclictest computes it, is one
 * sample. The guest arms the wake-up through its hrtimers on the LAPIC
 * TSC-deadline timer, so every path of models/lapic is exercised.
 *
 * Thread i runs on vCPU i of its VM (cyclictest -a -t). `pinned` states that
 * the vCPUs are pinned to pCPUs of their own (no other vCPU or host task
 * there); kvmsim has no vCPU migration, so an unpinned run differs only in
 * what shares the pCPUs.
 *
 * Output: cyclictest's `-h` histogram layout (cyclictest_write_hist).
 */
#ifndef KVMSIM_WORKLOADS_CYCLICTEST_H
#define KVMSIM_WORKLOADS_CYCLICTEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/schema.h"
#include "sim/time.h"

struct guest_cpu;
struct guest_timer;

struct cyclictest_conf {
	int64_t threads;
	sim_time_t interval;
	int64_t loops;   /* 0: until the run ends */
	int64_t buckets; /* -h N */
	bool pinned;
	bool nsecs; /* -N */
};

extern const struct cfg_section cyclictest_section;

struct cyclictest_thread {
	const struct cyclictest_conf *conf;
	struct guest_cpu *g;
	int id;
	struct guest_timer *timer;
	sim_time_t next;
	uint64_t cycles;
	int64_t min_us, max_us, act_us;
	int64_t sum_us;
	int64_t min_ns, max_ns, act_ns, sum_ns; /* the same samples in ns (cyclictest -N) */
	uint64_t *hist;
	uint64_t overflows;
	uint64_t *overflow_at; /* cycle numbers of the first `buckets` overflows */
	bool done;
};

/* cyclictest_start - thread `id` in guest g (on its vCPU); -1 if the guest has no timer left. */
int cyclictest_start(struct cyclictest_thread *t, const struct cyclictest_conf *c, struct guest_cpu *g, int id);
void cyclictest_free(struct cyclictest_thread *t);
/* cyclictest_write_hist - `cyclictest -h` output for threads t[0..n). */
void cyclictest_write_hist(FILE *f, const struct cyclictest_thread *t, int n);
/* cyclictest_avg - the Avg cyclictest prints: the integer mean in us. */
int64_t cyclictest_avg(const struct cyclictest_thread *t);

#endif
