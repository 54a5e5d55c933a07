/*
 * place.h - where an arriving VM goes: the placement policies of the fleet
 * simulation, as pure functions over the hosts' current loads.
 *
 * A host offers `cap` vCPUs (its cores times the allowed overcommit) and has
 * `used` of them; `lat_used` is the share of its latency capacity taken: a
 * VM type whose largest count meeting the latency target is M on this host
 * takes 1/M of it (0 when the host has no latency limit).
 *
 *   first-fit      the first host (in platform order) with room for the vCPUs
 *   best-fit       the host with room that is left with the least room
 *   latency-aware  first-fit that also never takes a host past its latency
 *                  capacity (lat_used + lat_need <= 1)
 */
#ifndef KVMSIM_FLEET_PLACE_H
#define KVMSIM_FLEET_PLACE_H

#include <stddef.h>

enum place_policy { PLACE_FIRST_FIT, PLACE_BEST_FIT, PLACE_LATENCY, PLACE_N };

extern const char *const place_names[PLACE_N]; /* "first-fit", "best-fit", "latency-aware" */

/* place_find - the policy called name; -1 if none. */
int place_find(const char *name);

struct place_host {
	double cap, used; /* vCPUs */
	double lat_used;  /* share of the latency capacity taken, 0..1 */
	double lat_need;  /* share the arriving VM would take here (its type on this host's class) */
};

/* place_pick - the host the VM goes to, or -1 when none has room (the VM is refused). */
long place_pick(enum place_policy p, const struct place_host *h, size_t n, double need);

#endif
