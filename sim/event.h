/*
 * event.h - the discrete-event core.
 *
 * A pending-event set ordered by (time, insertion sequence): events at the same
 * instant run in the order they were scheduled (FIFO tie-break), which keeps
 * runs deterministic without models having to break ties themselves.
 *
 * An event is (action, subject, object): the action is called with the two
 * pointers when the event fires. Scheduling returns a handle; cancelling
 * through the handle is O(1) (the heap entry is left behind as a tombstone and
 * skipped when it surfaces; tombstones are swept out when they outnumber live
 * events, so memory stays proportional to the live set). A handle is stale as
 * soon as its event has fired or been cancelled, so cancelling twice, or
 * cancelling an event from inside its own action, is harmless.
 *
 * The clock only moves forward and is read through sim_now().
 */
#ifndef KVMSIM_SIM_EVENT_H
#define KVMSIM_SIM_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/time.h"

struct sim;

typedef void sim_action_fn(struct sim *sim, void *subject, void *object);

/* A handle names one scheduled event; 0 is "no event". */
typedef uint64_t sim_handle_t;
#define SIM_NO_EVENT ((sim_handle_t)0)

struct sim *sim_new(void);
void sim_free(struct sim *sim);

/* sim_now - the current simulated time. */
sim_time_t sim_now(const struct sim *sim);

/* sim_at - schedule action(subject, object) at absolute time t (>= now). */
sim_handle_t sim_at(struct sim *sim, sim_time_t t, sim_action_fn *action, void *subject,
		    void *object);

/* sim_after - schedule action(subject, object) dt after now (dt >= 0); a time past the
 * clock's range is the end of time: the event never fires. */
static inline sim_handle_t sim_after(struct sim *sim, sim_time_t dt, sim_action_fn *action,
				     void *subject, void *object)
{
	return sim_at(sim, sim_time_add_sat(sim_now(sim), dt), action, subject, object);
}

/* sim_cancel - cancel a pending event; false if it already fired or was cancelled. */
bool sim_cancel(struct sim *sim, sim_handle_t h);

/* sim_pending - whether the event behind h is still to fire. */
bool sim_pending(const struct sim *sim, sim_handle_t h);

/* sim_event_time - when the pending event behind h fires (undefined if not pending). */
sim_time_t sim_event_time(const struct sim *sim, sim_handle_t h);

/*
 * sim_postpone - move the pending event behind h dt later (after the events
 * already due at that time); returns its new handle, SIM_NO_EVENT if h was not
 * pending. O(n): for rare events (a host interrupt stalling a CPU's work).
 */
sim_handle_t sim_postpone(struct sim *sim, sim_handle_t h, sim_time_t dt);

/*
 * sim_run_until - fire events in order while their time is <= end, then leave
 * the clock at end. Returns the number of events fired. sim_stop() from an
 * action ends the run after that action, with the clock at that action's time.
 */
uint64_t sim_run_until(struct sim *sim, sim_time_t end);
void sim_stop(struct sim *sim);

/* Counters, for benchmarks and progress reports. */
uint64_t sim_events_fired(const struct sim *sim);
size_t sim_events_pending(const struct sim *sim); /* live events (excludes tombstones) */
size_t sim_queue_capacity(const struct sim *sim); /* allocated heap entries */

#endif
