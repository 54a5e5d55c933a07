/*
 * rng.h - seeded random streams.
 *
 * Every model instance draws from its own GSL generator, seeded from the run's
 * master seed and the instance's stable name ("vm0/vcpu1/irq"), so adding a vCPU
 * or a host task never shifts the draws another instance sees, and the same
 * scenario and seed give the same run on every machine.
 */
#ifndef KVMSIM_SIM_RNG_H
#define KVMSIM_SIM_RNG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

/* sim_rng_seed - the 32-bit GSL seed of stream `name` under master seed `seed`. */
unsigned long sim_rng_seed(uint64_t seed, const char *name);

/* sim_rng_new - a Mersenne-Twister stream for `name`; free with gsl_rng_free(). */
gsl_rng *sim_rng_new(uint64_t seed, const char *name);

#endif
