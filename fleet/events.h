/*
 * events.h - VM arrivals and departures for the fleet simulation: generated
 * (an initial population, Poisson arrivals, exponential lifetimes, the type
 * drawn by weight; one seeded stream) or read from a trace CSV.
 *
 * Trace CSV: one VM a line, `arrive,leave,type` with times in seconds or
 * with a unit (90s, 2h is not a unit: use 7200s), leave empty for a VM that
 * stays, type a VM type's name (its scenario file's base name) or index
 * from 0; '#' comments and an optional header line `arrive,leave,type` before the
 * first VM.
 */
#ifndef KVMSIM_FLEET_EVENTS_H
#define KVMSIM_FLEET_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "fleet/fleetsim.h"
#include "sim/time.h"

struct fleet_gen {
	uint64_t seed;
	uint32_t initial;      /* VMs present at time 0 */
	double rate;           /* arrivals per second after that */
	sim_time_t lifetime;   /* mean lifetime (exponential) */
	sim_time_t end;
	size_t ntypes;
	const double *weights; /* per type */
};

/* fleet_events_gen - the events of g, sorted (malloc'd). */
void fleet_events_gen(const struct fleet_gen *g, struct fleet_event **ev, size_t *nev, uint32_t *nvm);

/* fleet_events_trace - the events of trace file path up to end, sorted; 0, or
 * EXIT_BAD_INPUT with "FILE: line N: FIELD: ..." in why. */
int fleet_events_trace(const char *path, size_t ntypes, const char *const *names, sim_time_t end,
		       struct fleet_event **ev, size_t *nev, uint32_t *nvm, char *why, size_t len);

#endif
