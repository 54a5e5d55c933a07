/* net.c - a virtio-net device with its vhost-net worker, the taps and the bridge (see net.h). */
#include "models/virtio/net.h"

#include <stdlib.h>
#include <string.h>

#include "models/costs/costs.h"
#include "sim/rng.h"
#include "sim/xalloc.h"

static sim_time_t cost(struct virtio_net_dev *d, int id)
{
	return cost_draw(d->prof, d->rng, id);
}

/* copy - the payload copy of len bytes (net_copy_kb per KiB). */
static sim_time_t copy(struct virtio_net_dev *d, uint32_t len)
{
	return d->prof->ps[COST_net_copy_kb] * (sim_time_t)len / 1024;
}

static void nop(void *ctx, uint64_t arg)
{
}

/* ---- the tap's socket ------------------------------------------------------------------------ */

static void tap_push(struct virtio_net_dev *d, const struct virtio_req *r)
{
	if (d->tapn == d->tapcap)
		d->tap = xring_grow(d->tap, sizeof(*d->tap), &d->tapcap, &d->taphead, d->tapn, 64);
	d->tap[(d->taphead + d->tapn++) & (d->tapcap - 1)] = *r;
}

static struct virtio_req tap_pop(struct virtio_net_dev *d)
{
	struct virtio_req r = d->tap[d->taphead];
	d->taphead = (d->taphead + 1) & (d->tapcap - 1);
	d->tapn--;
	return r;
}

/* ---- RX: handle_rx() ------------------------------------------------------------------------- */

static void handle_rx(void *ctx, uint64_t arg);

/* rx_one - the packet at the tap's head is in guest buffer `id`: onto the used ring. */
static void rx_one(void *ctx, uint64_t id)
{
	struct virtio_net_dev *d = ctx;
	struct virtqueue *vq = &d->vq[VIRTIO_NET_RXQ];
	vq->desc[id] = tap_pop(d); /* the payload, its length and its sender's context, copied in */
	d->rx_busy--;
	virtqueue_push(vq, (uint16_t)id);
	d->rx_pkts++;
	d->rx_batch++;
	struct virtio_work w = { 0, handle_rx, d, 0 };
	virtio_backend_queue_next(d->vhost, &w);
}

/* signal_used - vhost_net_signal_used(): one irqfd signal for the batch, unless suppressed. */
static void signal_used(struct virtio_net_dev *d)
{
	if (!d->rx_batch)
		return;
	d->rx_batch = 0;
	if (virtqueue_notify_guest(&d->vq[VIRTIO_NET_RXQ])) {
		d->rx_signals++;
		struct virtio_work w = { cost(d, COST_irq_deliver), nop, NULL, 0 };
		virtio_backend_queue_next(d->vhost, &w);
	}
}

static void handle_rx(void *ctx, uint64_t arg)
{
	struct virtio_net_dev *d = ctx;
	struct virtqueue *vq = &d->vq[VIRTIO_NET_RXQ];
	if (!d->tapn) { /* the socket is empty: signal the batch; the socket's wake-up queues us again */
		d->rx_queued = false;
		signal_used(d);
		return;
	}
	int id = virtqueue_pop(vq);
	if (id < 0) { /* no guest buffer: notifications on (vhost_enable_notify), the packets wait */
		d->rx_starved++;
		d->rx_queued = false;
		vq->no_notify = false;
		signal_used(d);
		return;
	}
	d->rx_busy++;
	struct virtio_work w = { cost(d, COST_vhost_net_rx) + copy(d, d->tap[d->taphead].len), rx_one, d,
				 (uint64_t)id };
	virtio_backend_queue_next(d->vhost, &w);
}

/* rx_wake - the tap's socket got data, or the guest refilled after a starvation: queue handle_rx. */
static void rx_wake(struct virtio_net_dev *d)
{
	if (d->rx_queued)
		return;
	d->rx_queued = true;
	d->vq[VIRTIO_NET_RXQ].no_notify = true; /* vhost_disable_notify() at handle_rx()'s start */
	struct virtio_work w = { cost(d, COST_vhost_kick), handle_rx, d, 0 };
	virtio_backend_queue(d->vhost, &w);
}

/* ---- TX: handle_tx() ------------------------------------------------------------------------- */

/* bridge - the skb through the host's stack and bridge into the peer's tap (tun_net_xmit). */
static void bridge(void *ctx, uint64_t arg)
{
	struct virtio_net_dev *d = ctx;
	struct virtio_net_dev *p = d->peer;
	struct virtio_req r = d->vq[VIRTIO_NET_TXQ].desc[arg];
	d->tx_busy--;
	d->bridged++;
	virtqueue_push(&d->vq[VIRTIO_NET_TXQ], (uint16_t)arg); /* sent: the guest frees the buffer later */
	virtqueue_notify_guest(&d->vq[VIRTIO_NET_TXQ]);       /* suppressed (no napi_tx): counted only */
	if (!p)
		return; /* nothing on the bridge's other port: dropped */
	tap_push(p, &r);
	rx_wake(p);
}

static void handle_tx(void *ctx, uint64_t arg);

/* tx_one - one packet taken off the ring and made an skb: through the bridge, then the next. */
static void tx_one(void *ctx, uint64_t id)
{
	struct virtio_net_dev *d = ctx;
	struct virtio_work next = { 0, handle_tx, d, 0 };
	struct virtio_work fwd = { cost(d, COST_net_bridge_fwd), bridge, d, id };
	virtio_backend_queue_next(d->vhost, &next);
	virtio_backend_queue_next(d->vhost, &fwd); /* in front of next */
}

static void handle_tx(void *ctx, uint64_t arg)
{
	struct virtio_net_dev *d = ctx;
	struct virtqueue *vq = &d->vq[VIRTIO_NET_TXQ];
	vq->no_notify = true; /* vhost_disable_notify() while the ring is drained */
	int id = virtqueue_pop(vq);
	if (id < 0) {
		vq->no_notify = false; /* vhost_enable_notify(): look once more for a packet that raced in */
		if (vq->last_avail_idx == vq->avail_idx) {
			d->tx_queued = false;
			return;
		}
		vq->no_notify = true;
		id = virtqueue_pop(vq);
	}
	d->tx_pkts++;
	d->tx_busy++;
	struct virtio_work w = { cost(d, COST_vhost_net_tx) + copy(d, vq->desc[id].len), tx_one, d, (uint64_t)id };
	virtio_backend_queue_next(d->vhost, &w);
}

/* ioeventfd - a queue's notify: TX wakes handle_tx(); RX (a refill after starvation) handle_rx(). */
static void ioeventfd(void *ctx)
{
	struct virtio_net_kick *k = ctx;
	struct virtio_net_dev *d = k->d;
	if (k->q == VIRTIO_NET_RXQ) {
		rx_wake(d);
		return;
	}
	if (d->tx_queued)
		return; /* vhost_poll_queue(): the work is queued already; this kick only cost its exit */
	d->tx_queued = true;
	struct virtio_work w = { cost(d, COST_vhost_kick), handle_tx, d, 0 };
	virtio_backend_queue(d->vhost, &w);
}

void virtio_net_dev_init(struct virtio_net_dev *d, struct sim *sim, const struct cost_profile *prof,
			 struct virtio_backend *vhost, uint64_t seed, const char *name)
{
	memset(d, 0, sizeof(*d));
	d->sim = sim;
	d->prof = prof;
	d->vhost = vhost;
	d->rng = sim_rng_new(seed, name);
	for (int i = 0; i < VIRTIO_NET_NVQ; i++) {
		virtqueue_init(&d->vq[i], i);
		d->kick[i] = (struct virtio_net_kick){ d, i };
		d->vq[i].ioeventfd = (struct virtio_hook){ ioeventfd, &d->kick[i] };
	}
	d->vq[VIRTIO_NET_RXQ].no_notify = true; /* buffers are available: the guest need not notify */
}

void virtio_net_connect(struct virtio_net_dev *a, struct virtio_net_dev *b)
{
	a->peer = b;
	b->peer = a;
}

unsigned virtio_net_in_flight(const struct virtio_net_dev *d)
{
	const struct virtqueue *tx = &d->vq[VIRTIO_NET_TXQ];
	unsigned n = (unsigned)(tx->avail_idx - tx->last_avail_idx) + d->tx_busy;
	const struct virtio_net_dev *p = d->peer;
	if (p) {
		const struct virtqueue *rx = &p->vq[VIRTIO_NET_RXQ];
		n += p->tapn + (unsigned)(rx->used_idx - rx->last_used_idx);
	}
	return n;
}

void virtio_net_dev_stats_reset(struct virtio_net_dev *d)
{
	d->tx_pkts = d->rx_pkts = d->bridged = d->rx_starved = d->rx_signals = 0;
	for (int i = 0; i < VIRTIO_NET_NVQ; i++)
		virtqueue_stats_reset(&d->vq[i]);
}

void virtio_net_dev_free(struct virtio_net_dev *d)
{
	if (d->rng)
		gsl_rng_free(d->rng);
	d->rng = NULL;
	free(d->tap);
	d->tap = NULL;
}
