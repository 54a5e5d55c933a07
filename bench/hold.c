/* hold.c - the hold model (see hold.h). */
#include "bench/hold.h"

#include <time.h>

#include <gsl/gsl_randist.h>

#include "sim/event.h"
#include "sim/rng.h"

#define NINC 65536

static sim_time_t inc[NINC];
static unsigned inc_i;
static int ready;
static sim_handle_t victim;
static unsigned cancel_every;

static void hold(struct sim *sim, void *subject, void *object)
{
	sim_handle_t h = sim_after(sim, inc[inc_i++ & (NINC - 1)], hold, subject, NULL);
	if (cancel_every && (inc_i % cancel_every) == 0) {
		if (sim_cancel(sim, victim))
			sim_after(sim, inc[inc_i++ & (NINC - 1)], hold, subject, NULL);
		victim = h;
	}
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double hold_rate(size_t pending, uint64_t target, unsigned cancel)
{
	if (!ready) {
		gsl_rng *r = sim_rng_new(1, "bench/hold");
		for (int i = 0; i < NINC; i++)
			inc[i] = (sim_time_t)(gsl_ran_exponential(r, 1.0) * 1e6) + 1; /* mean 1 us */
		gsl_rng_free(r);
		ready = 1;
	}
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
