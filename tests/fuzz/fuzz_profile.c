/*
 * fuzz_profile.c - the cost profile loader (models/costs/costs.c: YAML through
 * sim/conf.c and the binder of sim/schema.c, the idle states and their exit
 * distributions), as `cost_profile: FILE.yaml` and `kvmsim calibrate` output
 * reach it. A profile that loads is drawn from: every cost and every idle
 * state's measured exit once.
 */
#include "tests/fuzz/fuzz_util.h"

#include "models/costs/costs.h"
#include "sim/rng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(0, ".yaml", data, size);
	struct cost_profile p;
	struct conf_err err;
	err.msg[0] = 0;
	if (cost_profile_load(&p, path, &err)) {
		if (!err.msg[0])
			abort(); /* refused without saying why */
		cost_profile_free(&p);
		return 0;
	}
	gsl_rng *r = sim_rng_new(1, "fuzz");
	for (int i = 0; i < COST_N; i++)
		if (cost_draw(&p, r, i) < 0)
			abort();
	for (int i = 0; i < p.nidle; i++)
		if ((p.idle[i].exit_q && quantile_sample(p.idle[i].exit_q, p.idle[i].exit_nq, gsl_rng_uniform(r)) < 0) ||
		    (p.idle[i].entry_q && quantile_sample(p.idle[i].entry_q, p.idle[i].entry_nq, gsl_rng_uniform(r)) < 0))
			abort();
	gsl_rng_free(r);
	cost_profile_free(&p);
	return 0;
}
