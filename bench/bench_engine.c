/*
 * bench_engine.c - events/s of the bare event core (the "hold" model).
 *
 * N events are pending; each fired event schedules one successor at now + an
 * increment drawn beforehand from an exponential distribution, so the figure
 * measures the queue and not the random generator. A second phase cancels one
 * event in four before it fires, to measure cancellation and tombstone sweeping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_randist.h>

#include "sim/event.h"
#include "sim/rng.h"

#define NINC 65536

static sim_time_t inc[NINC];
static unsigned inc_i;
static sim_handle_t victim;
static unsigned cancel_every;

static void hold(struct sim *sim, void *subject, void *object)
{
	(void)object;
	sim_handle_t h = sim_after(sim, inc[inc_i++ & (NINC - 1)], hold, subject, NULL);
	if (cancel_every && (inc_i % cancel_every) == 0) {
		/* cancel the previously remembered event and replace it */
		if (sim_cancel(sim, victim))
			sim_after(sim, inc[inc_i++ & (NINC - 1)], hold, subject, NULL);
		victim = h;
	}
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double run(size_t pending, uint64_t target, unsigned cancel)
{
	struct sim *sim = sim_new();
	cancel_every = cancel;
	for (size_t i = 0; i < pending; i++)
		sim_at(sim, inc[i & (NINC - 1)], hold, NULL, NULL);
	double t0 = now_s();
	uint64_t fired = 0;
	while (fired < target)
		fired += sim_run_until(sim, sim_now(sim) + 100 * SIM_US);
	double dt = now_s() - t0;
	sim_free(sim);
	return (double)fired / dt;
}

int main(int argc, char **argv)
{
	uint64_t target = argc > 1 ? strtoull(argv[1], NULL, 10) : 50000000;
	gsl_rng *r = sim_rng_new(1, "bench");
	for (int i = 0; i < NINC; i++)
		inc[i] = (sim_time_t)(gsl_ran_exponential(r, 1.0) * 1e6) + 1; /* mean 1 us */
	gsl_rng_free(r);

	size_t sizes[] = { 16, 1024, 65536 };
	double worst = 1e300;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++) {
		double eps = run(sizes[k], target, 0);
		printf("hold_%zu_events_per_sec: %.0f\n", sizes[k], eps);
		if (sizes[k] <= 1024 && eps < worst)
			worst = eps;
	}
	printf("hold_1024_cancel25_events_per_sec: %.0f\n", run(1024, target, 4));
	/* The headline: the slower of the small-queue cases a model run actually sees. */
	printf("engine_events_per_sec: %.0f\n", worst);
	return 0;
}
