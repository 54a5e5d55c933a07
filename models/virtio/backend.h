/*
 * backend.h - a device's host thread (QEMU's IOThread, or a vhost worker):
 * a host task that sleeps on its eventfds and, when woken, runs the work
 * they brought, one item after another, each taking its CPU time on the
 * thread's pCPU, then sleeps again. Any virtio device model hands it work
 * (blk.c does: a queue's notification, a request's completion); it is
 * scheduled by the host scheduler like every other task, so it competes with
 * vCPU threads and is charged as `task` time.
 *
 * Polling. With poll_ns > 0 the thread, out of work, busy-polls its event
 * sources for poll_ns before it sleeps (QEMU's AioContext polling, at its
 * ceiling poll-max-ns: the adaptive grow/shrink is not modelled); work that
 * arrives meanwhile starts at once, without a wake-up. Polling is task time
 * on its pCPU, counted apart (poll).
 */
#ifndef KVMSIM_VIRTIO_BACKEND_H
#define KVMSIM_VIRTIO_BACKEND_H

#include <stdint.h>

#include "models/host/host.h"
#include "sim/event.h"

struct virtio_work {
	sim_time_t cost; /* the thread's CPU time for it */
	void (*fn)(void *ctx, uint64_t arg); /* runs when the time is spent */
	void *ctx;
	uint64_t arg;
};

struct virtio_backend {
	struct host_task task;
	struct sim *sim;
	char name[32];
	struct virtio_work *q; /* a ring that grows */
	unsigned qcap, qhead, qn;
	sim_time_t left, since; /* the front item's remaining time; running since */
	sim_handle_t ev;
	sim_time_t poll_ns;    /* in ps: the polling window before sleeping (0: sleep at once) */
	bool polling;
	sim_time_t poll_since;
	/* statistics */
	uint64_t wakeups, items, poll_hits;
	sim_time_t busy, poll; /* CPU time spent on items; polling */
};

/* virtio_backend_init - the thread `name` on cpu (host task pid). */
void virtio_backend_init(struct virtio_backend *b, struct sim *sim, struct pcpu *cpu, const char *name, int pid);
/* virtio_backend_queue - work for the thread; it wakes if it sleeps. */
void virtio_backend_queue(struct virtio_backend *b, const struct virtio_work *w);
/* virtio_backend_queue_next - (from an item's fn) work that runs next, before what is queued. */
void virtio_backend_queue_next(struct virtio_backend *b, const struct virtio_work *w);
/* virtio_backend_stats_reset - the warm-up ends: counters restart. */
void virtio_backend_stats_reset(struct virtio_backend *b);
void virtio_backend_free(struct virtio_backend *b);

#endif
