/* virtqueue.c - the virtqueue's rings and flags, and KVM's ioeventfd table (see virtqueue.h). */
#include "models/virtio/virtqueue.h"

#include <string.h>

void virtqueue_init(struct virtqueue *vq, int index)
{
	memset(vq, 0, sizeof(*vq));
	vq->index = index;
	vq->notify_port = (uint16_t)(VIRTIO_PCI_NOTIFY_BASE + index);
	for (unsigned i = 0; i < VIRTQUEUE_SIZE; i++)
		vq->free[i] = (uint16_t)(VIRTQUEUE_SIZE - 1 - i);
	vq->nfree = VIRTQUEUE_SIZE;
}

void virtqueue_stats_reset(struct virtqueue *vq)
{
	vq->notifies = vq->irqs = vq->irqs_suppressed = vq->completed = 0;
}

int virtqueue_add(struct virtqueue *vq, const struct virtio_req *r)
{
	if (!vq->nfree)
		return -1;
	uint16_t id = vq->free[--vq->nfree];
	vq->desc[id] = *r;
	vq->avail[vq->avail_idx++ % VIRTQUEUE_SIZE] = id;
	return id;
}

bool virtqueue_get_buf(struct virtqueue *vq, struct virtio_req *r)
{
	if (!virtqueue_more_used(vq))
		return false;
	uint16_t id = vq->used[vq->last_used_idx++ % VIRTQUEUE_SIZE];
	*r = vq->desc[id];
	vq->free[vq->nfree++] = id;
	return true;
}

void virtqueue_disable_cb(struct virtqueue *vq)
{
	vq->no_interrupt = true;
}

bool virtqueue_enable_cb(struct virtqueue *vq)
{
	vq->no_interrupt = false;
	return virtqueue_more_used(vq);
}

int virtqueue_pop(struct virtqueue *vq)
{
	if (vq->last_avail_idx == vq->avail_idx)
		return -1;
	return vq->avail[vq->last_avail_idx++ % VIRTQUEUE_SIZE];
}

void virtqueue_push(struct virtqueue *vq, uint16_t id)
{
	vq->used[vq->used_idx++ % VIRTQUEUE_SIZE] = id;
	vq->completed++;
}

bool virtqueue_notify_guest(struct virtqueue *vq)
{
	if (vq->no_interrupt) {
		vq->irqs_suppressed++;
		if (vq->used_watch.fn)
			vq->used_watch.fn(vq->used_watch.ctx);
		return false;
	}
	vq->irqs++;
	if (vq->irqfd.fn)
		vq->irqfd.fn(vq->irqfd.ctx);
	return true;
}

int virtio_ioeventfd_assign(struct virtio_ioeventfds *io, struct virtqueue *vq)
{
	if (io->n == VIRTIO_MAX_IOEVENTFDS)
		return -1;
	io->port[io->n] = vq->notify_port;
	io->vq[io->n++] = vq;
	return 0;
}

bool virtio_ioeventfd_write(struct virtio_ioeventfds *io, uint16_t port)
{
	for (int i = 0; i < io->n; i++)
		if (io->port[i] == port) {
			struct virtqueue *vq = io->vq[i];
			vq->notifies++;
			if (vq->ioeventfd.fn)
				vq->ioeventfd.fn(vq->ioeventfd.ctx);
			return true;
		}
	return false;
}
