/* virtio_net.c - the guest's virtio-net driver: start_xmit, the RX interrupt and NAPI (see virtio_net.h). */
#include "models/guest/virtio_net.h"

#include "models/guest/guest.h"

static sim_time_t copy(struct guest_cpu *g, uint32_t len)
{
	return g->prof->ps[COST_net_copy_kb] * (sim_time_t)len / 1024;
}

/* kick - an OUT to the queue's notify port (exits; KVM signals its ioeventfd). */
static void kick(struct guest_cpu *g, struct virtqueue *vq, bool task)
{
	struct gop out = { .kind = GOP_INSN, .task = task,
			   .insn = { .kind = GUEST_OUT, .port = vq->notify_port, .rip = GUEST_RIP_PIO } };
	guest_push_front(g, &out);
}

/* ---- transmit ------------------------------------------------------------------------------ */

/* start_xmit - free what the device sent, the packet on the TX ring, the notify if wanted. */
static void start_xmit(struct guest_cpu *g, struct gop *op)
{
	struct virtnet *n = op->ctx;
	struct virtio_req r = n->pending[n->phead];
	n->phead = (n->phead + 1) % VIRTNET_MAX_PENDING;
	n->pn--;
	struct virtio_req done;
	while (virtqueue_get_buf(n->tx, &done)) /* free_old_xmit_skbs() */
		;
	n->xmits++;
	if (virtqueue_add(n->tx, &r) < 0) {
		n->tx_dropped++;
		return;
	}
	if (virtqueue_kick_prepare(n->tx)) {
		n->kicks++;
		kick(g, n->tx, true);
	}
}

int virtnet_send(struct guest_cpu *g, struct virtnet *n, uint32_t len, sim_time_t submitted, void *priv)
{
	if (n->pn == VIRTNET_MAX_PENDING)
		return -1;
	n->pending[(n->phead + n->pn++) % VIRTNET_MAX_PENDING] =
		(struct virtio_req){ .len = len, .submitted = submitted, .priv = priv };
	struct gop call = { .kind = GOP_CALL, .task = 1, .fn = start_xmit, .ctx = n };
	guest_push_front(g, &call);
	return 0;
}

/* ---- receive: the interrupt and NAPI ---------------------------------------------------------- */

static void napi_poll(struct guest_cpu *g, struct gop *op);

static void napi_schedule(struct guest_cpu *g, struct virtnet *n)
{
	struct gop poll = { .kind = GOP_CALL, .fn = napi_poll, .ctx = n };
	guest_push_front(g, &poll);
}

/* napi_rx - the n packets paid for: to their sockets, their buffers reposted; then complete or poll on. */
static void napi_rx(struct guest_cpu *g, struct gop *op)
{
	struct virtnet *n = op->ctx;
	unsigned want = (unsigned)op->arg, got = 0;
	struct virtio_req pkt;
	while (got < want && virtqueue_get_buf(n->rx, &pkt)) {
		got++;
		n->rx_pkts++;
		struct virtio_req buf = { 0 };
		virtqueue_add(n->rx, &buf); /* try_fill_recv(): the buffer back on the ring */
		n->deliver(n->deliver_ctx, g, &pkt);
	}
	if (virtqueue_kick_prepare(n->rx)) { /* the device ran out of buffers and asked */
		n->rx_kicks++;
		kick(g, n->rx, false);
	}
	if (want == VIRTNET_NAPI_WEIGHT) { /* budget used up: poll again */
		napi_schedule(g, n);
		return;
	}
	if (virtqueue_enable_cb(n->rx)) { /* napi_complete_done(): packets raced in, poll once more */
		virtqueue_disable_cb(n->rx);
		napi_schedule(g, n);
		return;
	}
	n->napi_scheduled = false;
}

/* napi_poll - virtnet_poll(): the packets on the used ring, up to the budget. */
static void napi_poll(struct guest_cpu *g, struct gop *op)
{
	struct virtnet *n = op->ctx;
	n->polls++;
	unsigned k = virtnet_rx_waiting(n);
	if (k > VIRTNET_NAPI_WEIGHT)
		k = VIRTNET_NAPI_WEIGHT;
	struct gop rx = { .kind = GOP_CALL, .fn = napi_rx, .ctx = n, .arg = k };
	struct gop run = { .kind = GOP_RUN, .ps = 0 };
	for (unsigned i = 0; i < k; i++) {
		uint16_t id = n->rx->used[(n->rx->last_used_idx + i) % VIRTQUEUE_SIZE];
		run.ps += guest_cost(g, COST_guest_net_rx) + copy(g, n->rx->desc[id].len);
	}
	guest_push_front(g, &rx);
	if (run.ps)
		guest_push_front(g, &run);
}

/* skb_recv_done - the RX queue's MSI handler: interrupts off, NAPI scheduled. */
static void skb_recv_done(struct guest_cpu *g, struct gop *op)
{
	struct virtnet *n = op->ctx;
	n->irqs++;
	virtqueue_disable_cb(n->rx);
	if (n->napi_scheduled)
		return;
	n->napi_scheduled = true;
	napi_schedule(g, n);
}

unsigned virtnet_rx_waiting(const struct virtnet *n)
{
	return (unsigned)(n->rx->used_idx - n->rx->last_used_idx);
}

int virtnet_init(struct virtnet *n, struct guest_cpu *g, struct virtqueue *rx, struct virtqueue *tx, uint8_t vector,
		 virtnet_deliver_fn *deliver, void *ctx)
{
	*n = (struct virtnet){ .g = g, .rx = rx, .tx = tx, .vector = vector, .deliver = deliver, .deliver_ctx = ctx };
	if (guest_set_driver_handler(g, vector, skb_recv_done, n))
		return -1;
	struct virtio_req buf = { 0 };
	while (virtqueue_add(rx, &buf) >= 0) /* the RX ring full of buffers */
		;
	virtqueue_disable_cb(tx); /* no napi_tx: sent buffers are freed on the next transmission */
	return 0;
}

void virtnet_stats_reset(struct virtnet *n)
{
	n->xmits = n->kicks = n->tx_dropped = n->irqs = n->polls = n->rx_pkts = n->rx_kicks = 0;
}
