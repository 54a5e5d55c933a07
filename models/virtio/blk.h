/*
 * blk.h - a virtio-blk device (QEMU's virtio-blk with an IOThread) and the
 * storage behind it.
 *
 * Queues. num_queues virtqueues (virtqueue.h), each with its notify port
 * (an ioeventfd) and its MSI-X vector (an irqfd).
 *
 * The thread (backend.h). A queue's ioeventfd wakes the device's thread,
 * which handles the notification (virtio_blk_handle_output): it sets
 * VRING_USED_F_NO_NOTIFY, takes every available request and submits it to
 * the backend (blk_handle_notify, plus blk_submit per request), clears the
 * flag and looks at the ring once more. A completed request comes back to the
 * thread (blk_complete): on the used ring, then, unless the guest suppressed
 * interrupts, the irqfd: QEMU writes its eventfd (blk_irqfd_write: the
 * write(2) from user space), and the kernel's irqfd path raises the MSI on
 * the thread's CPU (irq_deliver more of its time).
 *
 * The backend device (an NVMe-like SSD). Each request takes its service time,
 * drawn from the profile's blk_dev_read or blk_dev_write cost (constant,
 * normal, lognormal or empirical); requests are served in parallel (a deep
 * device queue), so service times do not add up.
 */
#ifndef KVMSIM_VIRTIO_BLK_H
#define KVMSIM_VIRTIO_BLK_H

#include <gsl/gsl_rng.h>

#include "models/virtio/backend.h"
#include "models/virtio/virtqueue.h"

struct cost_profile;

#define VIRTIO_BLK_MAX_QUEUES 64

struct virtio_blk_dev;
struct virtio_blk_kick { /* an ioeventfd's context: the device and the queue */
	struct virtio_blk_dev *d;
	int q;
};

struct virtio_blk_dev {
	struct sim *sim;
	const struct cost_profile *prof;
	gsl_rng *rng; /* service times and the thread's cost spreads (owned) */
	struct virtio_backend *thread; /* not owned */
	struct virtqueue vq[VIRTIO_BLK_MAX_QUEUES];
	int nvq;
	struct virtio_blk_kick kick[VIRTIO_BLK_MAX_QUEUES];
	/* statistics */
	uint64_t submitted, completed;
};

/* virtio_blk_dev_init - nvq queues served by `thread`; its streams from (seed, name). */
void virtio_blk_dev_init(struct virtio_blk_dev *d, struct sim *sim, const struct cost_profile *prof,
			 struct virtio_backend *thread, int nvq, uint64_t seed, const char *name);
/* virtio_blk_dev_stats_reset - the warm-up ends. */
void virtio_blk_dev_stats_reset(struct virtio_blk_dev *d);
void virtio_blk_dev_free(struct virtio_blk_dev *d);

#endif
