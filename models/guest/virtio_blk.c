/* virtio_blk.c - the guest's virtio-blk driver: submission, interrupt, poll_source, io_poll (see virtio_blk.h). */
#include "models/guest/virtio_blk.h"

#include "models/guest/guest.h"

#define SPIN_SLICE (10 * SIM_MS) /* a busy-wait is re-armed after this without a completion */

/* done - virtblk_done(): end every request on the used ring. */
static void done(struct guest_cpu *g, struct gop *op)
{
	struct virtblk_queue *q = op->ctx;
	struct virtio_req r;
	while (virtqueue_get_buf(q->vq, &r)) {
		struct virtblk_req *br = r.priv;
		q->irq_reqs += op->arg == 0;
		q->polled_reqs += op->arg == 1;
		br->end_io(br->g, br, false);
	}
}

/* handle - queue the handling of what waits on the used ring (guest_blk_irq each, then done). */
static void handle(struct guest_cpu *g, struct virtblk_queue *q, uint64_t how)
{
	uint32_t n = q->vq->used_idx - q->vq->last_used_idx;
	if (!n)
		return;
	struct gop call = { .kind = GOP_CALL, .fn = done, .ctx = q, .arg = how };
	struct gop run = { .kind = GOP_RUN, .ps = 0 };
	for (uint32_t i = 0; i < n; i++)
		run.ps += guest_cost(g, COST_guest_blk_irq);
	guest_push_front(g, &call);
	guest_push_front(g, &run);
}

/* vring_interrupt - the queue's MSI handler. */
static void vring_interrupt(struct guest_cpu *g, struct gop *op)
{
	struct virtblk_queue *q = op->ctx;
	q->irqs++;
	handle(g, q, 0);
}

/* ---- poll_source --------------------------------------------------------------------------- */

static struct virtblk_queue *ps_queue(struct poll_source *s)
{
	return (struct virtblk_queue *)((char *)s - offsetof(struct virtblk_queue, ps));
}

static void ps_start(struct poll_source *s)
{
	virtqueue_disable_cb(ps_queue(s)->vq);
}

static bool ps_poll(struct poll_source *s)
{
	struct virtblk_queue *q = ps_queue(s);
	if (!virtqueue_more_used(q->vq))
		return false;
	handle(s->g, q, 1);
	return true;
}

static void ps_stop(struct poll_source *s)
{
	struct virtblk_queue *q = ps_queue(s);
	if (virtqueue_enable_cb(q->vq)) /* work raced in while interrupts were off: handle it now */
		handle(s->g, q, 1);
}

static const struct poll_source_ops ps_ops = { ps_start, ps_poll, ps_stop };

/* used_watch - instrumentation: a completion was published with interrupts suppressed. */
static void ev_spin_seen(struct sim *sim, void *subject, void *object)
{
	guest_spin_end(subject);
}

static void used_watch(void *ctx)
{
	struct virtblk_queue *q = ctx;
	if (q->poll_source)
		poll_source_kick(q->g);
	for (int i = 0; i < q->nspin; i++) { /* the next blk_mq_poll() of each spinner sees it */
		struct guest_cpu *g = q->spinner[i];
		sim_after(g->sim, guest_cost(g, COST_guest_blk_poll), ev_spin_seen, g, NULL);
	}
}

/* ---- io_poll ---------------------------------------------------------------------------------- */

static void spin(struct guest_cpu *g, struct virtblk_queue *q);

/* poll_reap - end every request the poll found. */
static void poll_reap(struct guest_cpu *g, struct gop *op)
{
	struct virtblk_queue *q = op->ctx;
	struct virtio_req r;
	while (virtqueue_get_buf(q->vq, &r)) {
		struct virtblk_req *br = r.priv;
		q->io_polled_reqs++;
		br->end_io(br->g, br, true);
	}
}

/* poll_check - the busy-wait ended: reap what the queue has (blk_mq_poll found it), or wait again. */
static void poll_check(struct guest_cpu *g, struct gop *op)
{
	struct virtblk_queue *q = op->ctx;
	for (int i = 0; i < q->nspin; i++)
		if (q->spinner[i] == g) {
			q->spinner[i] = q->spinner[--q->nspin];
			break;
		}
	if (!virtqueue_more_used(q->vq)) {
		spin(g, q);
		return;
	}
	/* virtblk_poll() completes each request as virtblk_done() does: guest_blk_irq each */
	struct gop reap = { .kind = GOP_CALL, .task = 1, .fn = poll_reap, .ctx = q };
	struct gop run = { .kind = GOP_RUN, .task = 1, .ps = 0 };
	for (uint32_t i = q->vq->last_used_idx; i != q->vq->used_idx; i++)
		run.ps += guest_cost(g, COST_guest_blk_irq);
	guest_push_front(g, &reap);
	guest_push_front(g, &run);
}

void virtblk_io_poll_wait(struct guest_cpu *g, struct virtblk_queue *q)
{
	spin(g, q);
}

static void spin(struct guest_cpu *g, struct virtblk_queue *q)
{
	if (q->nspin < VIRTBLK_MAX_SPINNERS)
		q->spinner[q->nspin++] = g;
	struct gop check = { .kind = GOP_CALL, .task = 1, .fn = poll_check, .ctx = q };
	struct gop run = { .kind = GOP_RUN, .task = 1, .spin = 1, .ps = SPIN_SLICE };
	guest_push_front(g, &check);
	guest_push_front(g, &run);
	if (virtqueue_more_used(q->vq)) /* already there: the first poll finds it */
		guest_spin_end(g);
}

/* ---- submission --------------------------------------------------------------------------------- */

/* queue_rq - virtio_queue_rq(): the request on the ring, and the notify if the device wants it. */
static void queue_rq(struct guest_cpu *g, struct gop *op)
{
	struct virtblk_queue *q = op->ctx;
	struct virtblk_req *br = (struct virtblk_req *)(uintptr_t)op->arg;
	struct virtio_req r = { .type = br->type, .len = br->len, .submitted = br->submitted, .priv = br };
	if (virtqueue_add(q->vq, &r) < 0)
		return; /* cannot happen: virtblk_submit checked for room */
	if (virtqueue_kick_prepare(q->vq)) {
		struct gop out = { .kind = GOP_INSN, .task = 1,
				   .insn = { .kind = GUEST_OUT, .port = q->vq->notify_port, .rip = GUEST_RIP_PIO } };
		guest_push_front(g, &out);
	}
}

int virtblk_submit(struct guest_cpu *g, struct virtblk_queue *q, struct virtblk_req *r)
{
	if (!q->vq->nfree)
		return -1;
	r->g = g;
	struct gop call = { .kind = GOP_CALL, .task = 1, .fn = queue_rq, .ctx = q, .arg = (uint64_t)(uintptr_t)r };
	struct gop run = { .kind = GOP_RUN, .task = 1, .ps = guest_cost(g, COST_guest_blk_submit) };
	guest_push_front(g, &call);
	guest_push_front(g, &run);
	return 0;
}

int virtblk_queue_init(struct virtblk_queue *q, struct virtqueue *vq, struct guest_cpu *g, uint8_t vector,
		       bool poll_source, bool io_poll)
{
	*q = (struct virtblk_queue){ .vq = vq, .g = g, .vector = vector, .io_poll = io_poll,
				     .poll_source = poll_source && !io_poll };
	if (guest_set_driver_handler(g, vector, vring_interrupt, q))
		return -1;
	vq->used_watch = (struct virtio_hook){ used_watch, q };
	if (io_poll)
		virtqueue_disable_cb(vq); /* a poll queue has no interrupt */
	if (q->poll_source) {
		q->ps.ops = &ps_ops;
		q->ps.cost = g->prof->ps[COST_guest_vq_poll];
		poll_source_register(g, &q->ps);
	}
	return 0;
}

void virtblk_queue_stats_reset(struct virtblk_queue *q)
{
	q->irqs = q->irq_reqs = q->polled_reqs = q->io_polled_reqs = 0;
	q->ps.starts = q->ps.polls_found = q->ps.stops = q->ps.stop_found = 0;
}
