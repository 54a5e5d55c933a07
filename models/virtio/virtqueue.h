/*
 * virtqueue.h - a virtio queue as both sides see it (the virtio 1.x spec's
 * virtqueue, in guest memory), the doorbell the guest rings (ioeventfd) and
 * the interrupt the device raises (irqfd). Shared by every virtio device
 * model (blk.h; a net device would reuse all of it) and by the guest's
 * drivers (models/guest/virtio_blk.h), which reach it as guest memory: the
 * structure is the ring's layout, not a call interface into the host.
 *
 * Rings. The driver puts a request's descriptor (desc[id]) on the available
 * ring and, unless the device suppressed notifications, notifies it (a write
 * to the queue's notify port: an OUT that exits to KVM, which signals the
 * queue's ioeventfd). The device takes requests off the available ring, and
 * when one is done puts its id on the used ring and, unless the driver
 * suppressed interrupts, signals the queue's irqfd: KVM raises the queue's
 * MSI-X vector on the vCPU of its affinity.
 *
 * Suppression (the flags, without VIRTIO_RING_F_EVENT_IDX; the packed
 * ring's event suppression behaves alike):
 *   no_interrupt   VRING_AVAIL_F_NO_INTERRUPT, written by the driver:
 *                  virtqueue_disable_cb() sets it, virtqueue_enable_cb()
 *                  clears it and says whether used entries are already
 *                  waiting (the driver must then look again: the device
 *                  saw the flag set and raised nothing).
 *   no_notify      VRING_USED_F_NO_NOTIFY, written by the device while its
 *                  thread is draining the available ring.
 *
 * A driver that spins on the used ring (poll_source, block-layer io_poll)
 * sees a new entry at its next read; the simulation cannot watch memory, so
 * the device calls `used_watch` when it publishes an entry with interrupts
 * suppressed. That hook is instrumentation standing for the spinning
 * reader's next load, not hardware.
 */
#ifndef KVMSIM_VIRTIO_VIRTQUEUE_H
#define KVMSIM_VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/time.h"

#define VIRTQUEUE_SIZE 256 /* entries per ring (a power of two, as the spec wants) */
#define VIRTIO_PCI_NOTIFY_BASE 0xd000 /* the first queue's notify port; one port per queue after it */

enum virtio_req_type { VIRTIO_BLK_T_IN = 0, VIRTIO_BLK_T_OUT = 1 }; /* read, write */

/* virtio_req - a descriptor chain as the models need it: the request and who is waiting for it. */
struct virtio_req {
	uint8_t type;          /* enum virtio_req_type */
	uint32_t len;          /* bytes */
	sim_time_t submitted;  /* the guest's submission (for the waiter's latency) */
	void *priv;            /* the guest's request (its waiter) */
};

/* A hook: a function and its context. */
struct virtio_hook {
	void (*fn)(void *ctx);
	void *ctx;
};

struct virtqueue {
	int index;
	uint16_t notify_port;
	struct virtio_req desc[VIRTQUEUE_SIZE];
	uint16_t free[VIRTQUEUE_SIZE]; /* the driver's free descriptor ids */
	unsigned nfree;
	uint16_t avail[VIRTQUEUE_SIZE], used[VIRTQUEUE_SIZE];
	uint32_t avail_idx, last_avail_idx; /* driver's producer index; device's consumer index */
	uint32_t used_idx, last_used_idx;   /* device's producer index; driver's consumer index */
	bool no_interrupt; /* VRING_AVAIL_F_NO_INTERRUPT (driver) */
	bool no_notify;    /* VRING_USED_F_NO_NOTIFY (device) */
	struct virtio_hook ioeventfd; /* KVM signals it on a notify-port write (the device's thread waits on it) */
	struct virtio_hook irqfd;     /* the device signals it; KVM raises the queue's MSI */
	struct virtio_hook used_watch; /* instrumentation: a driver spins on the used ring */
	/* statistics */
	uint64_t notifies, irqs, irqs_suppressed, completed;
};

/* virtqueue_init - an empty queue `index` with every descriptor free. */
void virtqueue_init(struct virtqueue *vq, int index);
/* virtqueue_stats_reset - the warm-up ends: counters start again. */
void virtqueue_stats_reset(struct virtqueue *vq);

/* ---- driver side (guest memory writes) ---------------------------------------------------- */

/* virtqueue_add - put r on the available ring; -1 when no descriptor is free. */
int virtqueue_add(struct virtqueue *vq, const struct virtio_req *r);
/* virtqueue_kick_prepare - must the driver notify the device (no VRING_USED_F_NO_NOTIFY)? */
static inline bool virtqueue_kick_prepare(const struct virtqueue *vq)
{
	return !vq->no_notify;
}
/* virtqueue_get_buf - the next used request (copied to *r, its descriptor freed); false: none. */
bool virtqueue_get_buf(struct virtqueue *vq, struct virtio_req *r);
/* virtqueue_more_used - used entries the driver has not taken (virtqueue_poll()). */
static inline bool virtqueue_more_used(const struct virtqueue *vq)
{
	return vq->used_idx != vq->last_used_idx;
}
/* virtqueue_disable_cb - suppress the device's interrupts. */
void virtqueue_disable_cb(struct virtqueue *vq);
/* virtqueue_enable_cb - allow interrupts again; true when used entries already wait (look again). */
bool virtqueue_enable_cb(struct virtqueue *vq);
/* virtqueue_in_flight - requests added and not yet taken back by the driver. */
static inline unsigned virtqueue_in_flight(const struct virtqueue *vq)
{
	return VIRTQUEUE_SIZE - vq->nfree;
}

/* ---- device side ---------------------------------------------------------------------------- */

/* virtqueue_pop - the next available request's id; -1: none. */
int virtqueue_pop(struct virtqueue *vq);
/* virtqueue_push - request id is done: on the used ring. */
void virtqueue_push(struct virtqueue *vq, uint16_t id);
/* virtqueue_notify_guest - after pushing: signal the irqfd unless the driver suppressed
 * interrupts (then the spinning reader, if any, sees the entry); true when it signalled. */
bool virtqueue_notify_guest(struct virtqueue *vq);

/* ---- KVM's ioeventfds: notify ports to queues ------------------------------------------------ */

#define VIRTIO_MAX_IOEVENTFDS 64

struct virtio_ioeventfds {
	uint16_t port[VIRTIO_MAX_IOEVENTFDS];
	struct virtqueue *vq[VIRTIO_MAX_IOEVENTFDS];
	int n;
};

/* virtio_ioeventfd_assign - KVM_IOEVENTFD: writes to vq's notify port signal its ioeventfd; -1: full. */
int virtio_ioeventfd_assign(struct virtio_ioeventfds *io, struct virtqueue *vq);
/* virtio_ioeventfd_write - kvm_io_bus_write() of a port: signal the matching ioeventfd; false: none. */
bool virtio_ioeventfd_write(struct virtio_ioeventfds *io, uint16_t port);

#endif
