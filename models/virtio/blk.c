/* blk.c - the virtio-blk device, its thread's work and its backend storage (see blk.h). */
#include "models/virtio/blk.h"

#include <string.h>

#include "models/costs/costs.h"
#include "sim/rng.h"

static sim_time_t cost(struct virtio_blk_dev *d, int id)
{
	return cost_draw(d->prof, d->rng, id);
}

static void nop(void *ctx, uint64_t arg)
{
}

/* signal_irqfd - the write reaches the kernel: eventfd_signal() -> irqfd_wakeup() -> kvm_set_msi() runs
 * on this thread's CPU; the MSI is on its way (its delivery takes irq_deliver), and the thread pays the
 * same time. The guest may have suppressed interrupts meanwhile: then nothing is raised. */
static void signal_irqfd(void *ctx, uint64_t q)
{
	struct virtio_blk_dev *d = ctx;
	if (virtqueue_notify_guest(&d->vq[q])) {
		struct virtio_work w = { cost(d, COST_irq_deliver), nop, NULL, 0 };
		virtio_backend_queue_next(d->thread, &w);
	}
}

/* complete - the thread reaps a finished request: onto the used ring, then (maybe) the irqfd. */
static void complete(void *ctx, uint64_t arg)
{
	struct virtio_blk_dev *d = ctx;
	struct virtqueue *vq = &d->vq[arg >> 16];
	virtqueue_push(vq, (uint16_t)(arg & 0xffff));
	d->completed++;
	if (!vq->no_interrupt) { /* virtio_notify_irqfd(): write(2) to the irqfd's eventfd */
		struct virtio_work w = { cost(d, COST_blk_irqfd_write), signal_irqfd, d, arg >> 16 };
		virtio_backend_queue_next(d->thread, &w); /* at once, in the completion callback */
	} else {
		virtqueue_notify_guest(vq); /* suppressed: counted, and a spinning reader sees the entry */
	}
}

/* ev_served - the storage finished a request: its completion goes to the thread. */
static void ev_served(struct sim *sim, void *subject, void *object)
{
	struct virtio_blk_dev *d = subject;
	uint64_t arg = (uint64_t)(uintptr_t)object;
	struct virtio_work w = { cost(d, COST_blk_complete), complete, d, arg };
	virtio_backend_queue(d->thread, &w);
}

/* submit - the thread submits one request to the storage. */
static void submit(void *ctx, uint64_t arg)
{
	struct virtio_blk_dev *d = ctx;
	struct virtqueue *vq = &d->vq[arg >> 16];
	const struct virtio_req *r = &vq->desc[arg & 0xffff];
	d->submitted++;
	sim_time_t t = cost(d, r->type == VIRTIO_BLK_T_OUT ? COST_blk_dev_write : COST_blk_dev_read);
	sim_after(d->sim, t, ev_served, d, (void *)(uintptr_t)arg);
}

/* handle_output - virtio_blk_handle_output(): drain the available ring with notifications off. */
static void handle_output(void *ctx, uint64_t arg)
{
	struct virtio_blk_dev *d = ctx;
	struct virtqueue *vq = &d->vq[arg];
	vq->no_notify = true;
	int id;
	while ((id = virtqueue_pop(vq)) >= 0) {
		struct virtio_work w = { cost(d, COST_blk_submit), submit, d, (arg << 16) | (uint64_t)id };
		virtio_backend_queue(d->thread, &w);
	}
	vq->no_notify = false; /* virtio_queue_set_notification(vq, 1); the loop looks once more */
	if (vq->last_avail_idx != vq->avail_idx) {
		struct virtio_work w = { 0, handle_output, d, arg };
		virtio_backend_queue(d->thread, &w);
	}
}

/* ioeventfd - queue q's ioeventfd was signalled: the thread wakes to handle it. */
static void ioeventfd(void *ctx)
{
	struct virtio_blk_kick *k = ctx;
	struct virtio_blk_dev *d = k->d;
	struct virtio_work w = { cost(d, COST_blk_handle_notify), handle_output, d, (uint64_t)k->q };
	virtio_backend_queue(d->thread, &w);
}

void virtio_blk_dev_init(struct virtio_blk_dev *d, struct sim *sim, const struct cost_profile *prof,
			 struct virtio_backend *thread, int nvq, uint64_t seed, const char *name)
{
	memset(d, 0, sizeof(*d));
	d->sim = sim;
	d->prof = prof;
	d->thread = thread;
	d->nvq = nvq;
	d->rng = sim_rng_new(seed, name);
	for (int i = 0; i < nvq; i++) {
		virtqueue_init(&d->vq[i], i);
		d->kick[i] = (struct virtio_blk_kick){ d, i };
		d->vq[i].ioeventfd = (struct virtio_hook){ ioeventfd, &d->kick[i] };
	}
}

void virtio_blk_dev_stats_reset(struct virtio_blk_dev *d)
{
	d->submitted = d->completed = 0;
	for (int i = 0; i < d->nvq; i++)
		virtqueue_stats_reset(&d->vq[i]);
}

void virtio_blk_dev_free(struct virtio_blk_dev *d)
{
	if (d->rng)
		gsl_rng_free(d->rng);
	d->rng = NULL;
}
