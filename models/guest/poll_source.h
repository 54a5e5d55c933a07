/*
 * poll_source.h - devices polled by the guest's idle poll loop: the
 * "poll_source" API proposed for cpuidle (Stefan Hajnoczi, RFC, 2021; not
 * merged upstream). Off unless a driver registers a source
 * (vm.virtio_blk.poll_source: the RFC's per-device sysfs switch).
 *
 * A source is bound to one CPU (the guest_cpu it is registered on) and has
 * three callbacks, which poll_idle() (idle.c) calls around its busy loop:
 *   start  before the loop: a virtqueue suppresses its interrupts
 *          (virtqueue_disable_cb);
 *   poll   once per loop iteration, before cpu_relax(): look for work and
 *          handle it as the interrupt handler would; a completion found so
 *          never raises an MSI, so there is no irqfd signal, no posted
 *          interrupt or kick, no exit, no EOI. When the work wakes a task
 *          the loop ends (need_resched);
 *   stop   after the loop, for whatever reason it ended: interrupts on again
 *          (virtqueue_enable_cb) and, if work came in meanwhile (the device
 *          saw interrupts suppressed and raised none), the handler once more.
 * Each iteration of the loop costs the 200th of guest_relax200 plus every
 * source's poll cost, so sources lengthen the loop's clock-read batch too.
 *
 * Polling a source only happens in the cpuidle-haltpoll POLL state
 * (vm.guest_haltpoll.enabled); with HLT (or idle=poll) sources are never
 * started and devices interrupt as usual.
 *
 * In the simulation the loop is not run iteration by iteration: a source
 * whose work becomes visible calls poll_source_kick(), which schedules the
 * iteration that finds it on the loop's grid.
 */
#ifndef KVMSIM_GUEST_POLL_SOURCE_H
#define KVMSIM_GUEST_POLL_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/time.h"

struct guest_cpu;
struct poll_source;

struct poll_source_ops {
	void (*start)(struct poll_source *src);
	/* poll - true when it found (and queued the handling of) work */
	bool (*poll)(struct poll_source *src);
	void (*stop)(struct poll_source *src);
};

struct poll_source {
	const struct poll_source_ops *ops;
	struct poll_source *next;
	struct guest_cpu *g; /* its CPU */
	sim_time_t cost;     /* one poll() (ps) */
	/* statistics */
	uint64_t starts, polls_found, stops, stop_found;
};

/* poll_source_register - src polled by g's idle loop (its CPU); src->ops and cost set. */
void poll_source_register(struct guest_cpu *g, struct poll_source *src);
/* poll_source_unregister - src no longer polled (stopped first if a poll is running). */
void poll_source_unregister(struct poll_source *src);

/* For the idle loop (idle.c). */
/* poll_source_start - every source's start(), then one poll(); true when that found work. */
bool poll_source_start(struct guest_cpu *g);
/* poll_source_poll - one iteration: every source's poll(); true when any found work. */
bool poll_source_poll(struct guest_cpu *g);
/* poll_source_stop - every source's stop(). */
void poll_source_stop(struct guest_cpu *g);
/* poll_source_iter - one iteration of poll_idle()'s loop with the sources (ps). */
sim_time_t poll_source_iter(const struct guest_cpu *g);

/* For a source: its work became visible; a running poll finds it at its next iteration. */
void poll_source_kick(struct guest_cpu *g);

#endif
