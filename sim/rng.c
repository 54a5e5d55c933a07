/*
 * rng.c - per-instance seeded streams: FNV-1a of the name, mixed with the
 * master seed through splitmix64, selects the stream's MT19937 seed.
 */
#include "sim/rng.h"

#include <stdio.h>
#include <stdlib.h>

static uint64_t splitmix64(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

unsigned long sim_rng_seed(uint64_t seed, const char *name)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * UINT64_C(0x100000001b3);
	uint64_t x = splitmix64(seed ^ splitmix64(h));
	unsigned long s = (unsigned long)(x & 0xffffffffu);
	return s ? s : 4357; /* GSL maps 0 to its default seed; keep that explicit */
}

gsl_rng *sim_rng_new(uint64_t seed, const char *name)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	if (!r) {
		fprintf(stderr, "kvmsim: out of memory (random stream %s)\n", name);
		exit(1); /* EXIT_FAILED: the work could not be done */
	}
	gsl_rng_set(r, sim_rng_seed(seed, name));
	return r;
}
