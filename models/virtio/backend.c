/* backend.c - a device's host thread (see backend.h). */
#include "models/virtio/backend.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/xalloc.h"

static inline struct virtio_backend *task_backend(struct host_task *t)
{
	return (struct virtio_backend *)((char *)t - offsetof(struct virtio_backend, task));
}

static void start_front(struct virtio_backend *b);

static void ev_poll_end(struct sim *sim, void *subject, void *object)
{
	struct virtio_backend *b = subject;
	b->ev = SIM_NO_EVENT;
	b->polling = false;
	b->poll += sim_now(sim) - b->poll_since;
	host_task_sleep(&b->task);
}

/* idle - out of work: poll for poll_ns, or sleep. */
static void idle(struct virtio_backend *b)
{
	if (b->poll_ns <= 0) {
		host_task_sleep(&b->task);
		return;
	}
	b->polling = true;
	b->poll_since = sim_now(b->sim);
	b->ev = sim_after(b->sim, b->poll_ns, ev_poll_end, b, NULL);
}

/* stop_poll - the poll ends now (work came, or the CPU is given up). */
static void stop_poll(struct virtio_backend *b)
{
	sim_cancel(b->sim, b->ev);
	b->ev = SIM_NO_EVENT;
	b->polling = false;
	b->poll += sim_now(b->sim) - b->poll_since;
}

static void ev_item_done(struct sim *sim, void *subject, void *object)
{
	struct virtio_backend *b = subject;
	b->ev = SIM_NO_EVENT;
	struct virtio_work w = b->q[b->qhead];
	b->qhead = (b->qhead + 1) & (b->qcap - 1);
	b->qn--;
	b->busy += sim_now(sim) - b->since;
	b->items++;
	w.fn(w.ctx, w.arg); /* may queue more work */
	if (b->qn) {
		b->left = b->q[b->qhead].cost;
		start_front(b);
	} else {
		idle(b);
	}
}

static void start_front(struct virtio_backend *b)
{
	b->since = sim_now(b->sim);
	b->ev = sim_after(b->sim, b->left, ev_item_done, b, NULL);
}

static void backend_run(struct host_task *t)
{
	struct virtio_backend *b = task_backend(t);
	pcpu_account(t->cpu, ACCT_TASK);
	if (b->qn)
		start_front(b);
	else
		idle(b); /* preempted while polling: poll again */
}

static void backend_resched(struct host_task *t, bool remote)
{
	(void)remote;
	struct virtio_backend *b = task_backend(t);
	if (!t->cpu->need_resched)
		return;
	sim_time_t now = sim_now(b->sim);
	if (b->polling) {
		stop_poll(b);
		if (!host_task_yield(t))
			idle(b);
		return;
	}
	sim_cancel(b->sim, b->ev);
	b->ev = SIM_NO_EVENT;
	b->left -= now - b->since;
	b->busy += now - b->since;
	if (b->left < 0)
		b->left = 0;
	if (!host_task_yield(t))
		start_front(b);
}

static const struct host_task_ops backend_ops = { backend_run, backend_resched };

void virtio_backend_init(struct virtio_backend *b, struct sim *sim, struct pcpu *cpu, const char *name, int pid)
{
	memset(b, 0, sizeof(*b));
	b->sim = sim;
	snprintf(b->name, sizeof(b->name), "%s", name);
	host_task_init(&b->task, &backend_ops, cpu, b->name, pid);
}

void virtio_backend_queue(struct virtio_backend *b, const struct virtio_work *w)
{
	if (b->qn == b->qcap)
		b->q = xring_grow(b->q, sizeof(*b->q), &b->qcap, &b->qhead, b->qn, 64);
	b->q[(b->qhead + b->qn) & (b->qcap - 1)] = *w;
	b->qn++;
	if (b->qn == 1) {
		b->left = w->cost;
		if (b->polling) { /* the poll sees it */
			stop_poll(b);
			b->poll_hits++;
			start_front(b);
		} else if (b->task.state == TASK_SLEEPING) {
			b->wakeups++;
			host_task_wake(&b->task);
		}
		/* runnable but not running (preempted): it starts the item when it runs */
	}
}

void virtio_backend_queue_next(struct virtio_backend *b, const struct virtio_work *w)
{
	if (!b->qn) {
		virtio_backend_queue(b, w);
		return;
	}
	virtio_backend_queue(b, w); /* room, then move it to the front */
	unsigned last = (b->qhead + b->qn - 1) & (b->qcap - 1);
	struct virtio_work x = b->q[last];
	for (unsigned i = b->qn - 1; i > 0; i--)
		b->q[(b->qhead + i) & (b->qcap - 1)] = b->q[(b->qhead + i - 1) & (b->qcap - 1)];
	b->q[b->qhead] = x;
}

void virtio_backend_stats_reset(struct virtio_backend *b)
{
	b->wakeups = b->items = b->poll_hits = 0;
	b->busy = b->poll = 0;
	host_task_stats_reset(&b->task);
	if (b->ev != SIM_NO_EVENT)
		b->since = b->poll_since = sim_now(b->sim);
}

void virtio_backend_free(struct virtio_backend *b)
{
	free(b->q);
	b->q = NULL;
}
