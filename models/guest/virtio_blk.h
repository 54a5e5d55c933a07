/*
 * virtio_blk.h - the guest's virtio-blk driver (drivers/block/virtio_blk.c)
 * on the device's virtqueues (models/virtio/virtqueue.h, guest memory).
 *
 * Queues. One blk-mq hardware queue per virtqueue; CPU c submits on queue
 * c % num_queues, and queue q's MSI-X vector has the affinity of one vCPU
 * (q % vCPUs), so with at least one queue per vCPU a request completes on
 * the vCPU that submitted it.
 *
 * Submission (virtio_queue_rq), in the submitting task: guest_blk_submit of
 * CPU, the request on the available ring, and a notify (an OUT to the
 * queue's port, which exits; KVM signals the ioeventfd) unless the device
 * set VRING_USED_F_NO_NOTIFY.
 *
 * Completion, one of:
 *   interrupt   the queue's MSI: vring_interrupt() -> virtblk_done() takes
 *               every used entry (guest_blk_irq each) and ends the requests,
 *               waking their waiters;
 *   poll_source the queue is a poll source of its vCPU (poll_source.h):
 *               start = virtqueue_disable_cb, poll = virtblk_done() when used
 *               entries wait, stop = virtqueue_enable_cb and virtblk_done()
 *               once more if entries raced in;
 *   io_poll     block-layer polling (a poll queue, HCTX_TYPE_POLL, io_uring
 *               IOPOLL / preadv2 RWF_HIPRI): the queue never interrupts; the
 *               submitter busy-waits in its own task, one blk_mq_poll() ->
 *               virtblk_poll() per guest_blk_poll, and ends the requests it
 *               finds (guest_blk_irq each, as virtblk_done) without
 *               sleeping or being woken.
 */
#ifndef KVMSIM_GUEST_VIRTIO_BLK_H
#define KVMSIM_GUEST_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "models/guest/poll_source.h"
#include "models/virtio/virtqueue.h"
#include "sim/event.h"

struct guest_cpu;
struct virtblk_req;

/* end_io - the request is done; polled: found by the submitter's own polling (io_poll). */
typedef void virtblk_end_io_fn(struct guest_cpu *g, struct virtblk_req *r, bool polled);

struct virtblk_req {
	uint8_t type;       /* enum virtio_req_type */
	uint32_t len;
	sim_time_t submitted;
	virtblk_end_io_fn *end_io;
	void *ctx;
	struct guest_cpu *g; /* the submitter's CPU */
};

#define VIRTBLK_MAX_SPINNERS 8

struct virtblk_queue {
	struct virtqueue *vq;
	struct guest_cpu *g; /* the vCPU of its interrupt's affinity */
	uint8_t vector;
	bool io_poll;
	bool poll_source;
	struct poll_source ps;
	struct guest_cpu *spinner[VIRTBLK_MAX_SPINNERS]; /* io_poll: tasks busy-waiting on it */
	int nspin;
	/* statistics */
	uint64_t irqs, irq_reqs, polled_reqs, io_polled_reqs;
};

/* virtblk_queue_init - queue on vq for vCPU g's interrupt `vector` (its driver added already);
 * -1 when the vector has no driver. */
int virtblk_queue_init(struct virtblk_queue *q, struct virtqueue *vq, struct guest_cpu *g, uint8_t vector,
		       bool poll_source, bool io_poll);
/* virtblk_submit - (a GOP_CALL in task context on g) submit r: its ops go in front of g's queue.
 * -1 when the ring is full. */
int virtblk_submit(struct guest_cpu *g, struct virtblk_queue *q, struct virtblk_req *r);
/* virtblk_io_poll_wait - (io_poll, task context on g) busy-wait for q's completions: the requests found
 * end with polled set. */
void virtblk_io_poll_wait(struct guest_cpu *g, struct virtblk_queue *q);
void virtblk_queue_stats_reset(struct virtblk_queue *q);

#endif
