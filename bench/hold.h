/*
 * hold.h - the "hold" model of event-set benchmarks: `pending` events are
 * kept; each fired event schedules its successor at now plus an increment
 * drawn beforehand (exponential, mean 1 us), so the figure measures the event
 * queue and not the random generator. Shared by bench_engine and bench_kvmsim.
 */
#ifndef KVMSIM_BENCH_HOLD_H
#define KVMSIM_BENCH_HOLD_H

#include <stddef.h>
#include <stdint.h>

/* hold_rate - events/s of the bare engine holding `pending` events, over `target` events;
 * cancel_every > 0 also cancels (and replaces) one event in that many. */
double hold_rate(size_t pending, uint64_t target, unsigned cancel_every);

#endif
