/* machine_ppc_net.c - TCP_RR between two powerpc guests over virtio-net (see machine_ppc_net.h). */
#include "workloads/scenario/machine_ppc_net.h"
#include "workloads/scenario/machine_net.h"

#include <stdlib.h>
#include <string.h>

#include "models/costs/costs.h"
#include "sim/out_json.h"
#include "sim/rng.h"
#include "sim/xalloc.h"

#define PPC_VHOST_PID_BASE 9700 /* as machine_net.c's workers */

static struct ppc_net_end *end_of(const struct machine *m, const struct ppc_vcore *c)
{
	struct ppc_net_end *e = m->ppc->net ? m->ppc->net[c->vm] : NULL;
	return e && e->c == c ? e : NULL;
}

static sim_time_t cost(struct ppc_net_end *e, int id)
{
	return cost_draw(&e->m->prof, e->rng, id);
}

static sim_time_t copy(const struct ppc_net_end *e, uint32_t len)
{
	return e->m->prof.ps[COST_net_copy_kb] * (sim_time_t)len / 1024;
}

/* give - an item for the end's thread (after those queued, or in front of them): it is woken as by an
 * interrupt, or, busy, takes the item when its current one ends. */
static void give(struct ppc_net_end *e, enum ppc_net_item k, bool front)
{
	if (e->kn == PPC_NET_ITEMS) { /* at most one interrupt, one task step and the start queued */
		fprintf(stderr, "kvmsim: internal error: %s: too many TCP_RR items\n", e->name);
		abort();
	}
	if (front)
		e->kind[e->khead = (e->khead + PPC_NET_ITEMS - 1) % PPC_NET_ITEMS] = k;
	else
		e->kind[(e->khead + e->kn) % PPC_NET_ITEMS] = k;
	e->kn++;
	kvmppc_runner_irq(&e->c->r, 0);
}

/* ---- the guest: the items -------------------------------------------------------------------- */

/* xmit - start_xmit(): free what the device sent, the message on the TX ring. */
static void xmit(struct ppc_net_end *e)
{
	struct virtqueue *tx = &e->dev.vq[VIRTIO_NET_TXQ];
	struct virtio_req done;
	while (virtqueue_get_buf(tx, &done)) /* free_old_xmit_skbs() */
		;
	if (virtqueue_add(tx, &e->out) < 0) {
		fprintf(stderr, "kvmsim: internal error: %s: TX ring full\n", e->name);
		abort();
	}
	e->rr.msgs_out++;
}

/* notify - the MMIO store to the TX queue's notify address, emulated by KVM: its ioeventfd. The
 * message is on the ring from here (the store's emulation), a simplification of the store's order. */
static void notify(struct sim *sim, void *subject, void *object)
{
	struct ppc_net_end *e = subject;
	e->ev = SIM_NO_EVENT;
	xmit(e);
	struct virtqueue *tx = &e->dev.vq[VIRTIO_NET_TXQ];
	if (virtqueue_kick_prepare(tx))
		virtio_ioeventfd_write(&e->io, tx->notify_port);
}

/* recv_returned - recv() returned the message: the client's transaction ends (the response carries
 * its request's send() start) and its next request's send() starts now. */
static void recv_returned(struct sim *sim, void *subject, void *object)
{
	struct ppc_net_end *e = subject;
	e->ev = SIM_NO_EVENT;
	if (!e->server) {
		tcp_rr_answered(&e->rr, sim_now(sim) - e->in.submitted);
		if (e->sending) /* the next request: issued once this one is answered */
			tcp_rr_issue(&e->rr);
		e->out.submitted = sim_now(sim);
	}
}

/* rx_item - the RX interrupt (guest_irq) and NAPI: every message on the used ring (guest_net_rx and
 * the copy each) into the socket, the buffers reposted, interrupts on again; the task woken
 * (guest_net_wake) if it was blocked in recv(). Each message's recv() cost is drawn here. */
static sim_time_t rx_item(struct ppc_net_end *e)
{
	struct virtqueue *rxq = &e->dev.vq[VIRTIO_NET_RXQ];
	struct virtio_req pkt, buf = { 0 };
	sim_time_t ps = e->m->prof.ps[COST_guest_irq];
	while (virtqueue_get_buf(rxq, &pkt)) {
		virtqueue_add(rxq, &buf); /* try_fill_recv(): 256 buffers, at most 128 messages in flight */
		ps += cost(e, COST_guest_net_rx) + copy(e, pkt.len);
		e->recv_ps[tcp_rr_sock_put(&e->rr, &pkt, e->name)] = cost(e, COST_guest_net_recv);
	}
	virtqueue_enable_cb(rxq);
	if (e->rr.sleeping && e->rr.sn) { /* sk_data_ready(): the task runs after the interrupt's work */
		e->rr.sleeping = false;
		ps += cost(e, COST_guest_net_wake);
		give(e, PPC_NET_TASK, false);
	}
	return ps;
}

/* task_item - one turn of netperf's loop up to the TX ring: a request of the start's burst, or
 * recv() of the socket's next message (guest_net_recv, the copy) and the answer (server) or the
 * next request (client); then send() (guest_net_send, the copy). The item ends where start_xmit()
 * decides whether to notify (task_done). */
static sim_time_t task_item(struct ppc_net_end *e)
{
	sim_time_t ps = 0;
	int slot;
	e->sending = false;
	if (e->burst > 0) { /* the client's first requests: netperf's -b burst */
		e->burst--;
		e->sending = tcp_rr_issue(&e->rr);
		e->out.submitted = sim_now(e->m->sim);
	} else if ((slot = tcp_rr_sock_get(&e->rr, &e->in)) >= 0) {
		ps = e->recv_ps[slot] + copy(e, e->in.len);
		e->sending = e->server || tcp_rr_may_issue(&e->rr); /* counted when recv() returns */
		if (e->server)
			e->out.submitted = e->in.submitted; /* the answer carries its transaction's start */
		e->ev = sim_after(e->m->sim, ps, recv_returned, e, NULL);
	}
	if (!e->sending)
		return ps;
	e->out.len = (uint32_t)(e->server ? e->conf->response_size : e->conf->request_size);
	ps += cost(e, COST_guest_net_send) + copy(e, e->out.len);
	e->io_exit_ps = cost(e, COST_io_exit);
	return ps;
}

/* kick_item - the notify: the vcore out to the host in virtual mode (vcore_exit), KVM's emulation and
 * the ioeventfd (io_exit), the vcore back in (vcore_entry). */
static sim_time_t kick_item(struct ppc_net_end *e)
{
	sim_time_t out = e->m->prof.ps[COST_vcore_exit] + e->io_exit_ps;
	e->mmio_exits++;
	e->ev = sim_after(e->m->sim, out, notify, e, NULL);
	return out + e->m->prof.ps[COST_vcore_entry];
}

/* task_next - the loop goes on while the socket holds messages (or the burst lasts), else the task
 * blocks in recv() and the thread cedes. */
static void task_next(struct ppc_net_end *e)
{
	if (e->burst > 0 || e->rr.sn)
		give(e, PPC_NET_TASK, false);
	else
		e->rr.sleeping = true;
}

/* task_done - start_xmit(): notify unless vhost is draining the ring (VRING_USED_F_NO_NOTIFY): then
 * the message goes on the ring without an exit, and the loop goes on. */
static void task_done(struct ppc_net_end *e)
{
	if (e->sending && virtqueue_kick_prepare(&e->dev.vq[VIRTIO_NET_TXQ])) {
		give(e, PPC_NET_KICK, true);
		return;
	}
	if (e->sending)
		xmit(e);
	task_next(e);
}

static sim_time_t net_work(void *ctx, int thread, bool prod)
{
	struct ppc_vcore *c = ctx;
	struct ppc_net_end *e = end_of(c->m, c);
	if (!e || thread != 0 || !e->kn)
		return e ? e->ops.work(ctx, thread, prod) : 0;
	e->cur = e->kind[e->khead];
	e->khead = (e->khead + 1) % PPC_NET_ITEMS;
	e->kn--;
	return e->cur == PPC_NET_RECV ? rx_item(e) : e->cur == PPC_NET_TASK ? task_item(e) : kick_item(e);
}

static void net_done(void *ctx, int thread)
{
	struct ppc_vcore *c = ctx;
	struct ppc_net_end *e = end_of(c->m, c);
	enum ppc_net_item k = e && thread == 0 ? e->cur : PPC_NET_NONE;
	if (e && thread == 0)
		e->cur = PPC_NET_NONE;
	if (k == PPC_NET_TASK)
		task_done(e);
	else if (k == PPC_NET_KICK)
		task_next(e);
	if (e && e->ops.done)
		e->ops.done(ctx, thread);
}

/* irqfd - vhost signals the RX queue: the MSI, through XICS, to the thread (interrupts then off). */
static void irqfd(void *ctx)
{
	struct ppc_net_end *e = ctx;
	e->irqs++;
	virtqueue_disable_cb(&e->dev.vq[VIRTIO_NET_RXQ]);
	give(e, PPC_NET_RECV, false);
}

static void start(struct sim *sim, void *subject, void *object)
{
	give(subject, PPC_NET_TASK, false);
}

/* ---- building ---------------------------------------------------------------------------------- */

static int build_end(struct machine *m, int vmi, int peer, bool server, const struct tcp_rr_conf *c,
		     struct ppc_net_end *e, struct conf_err *err)
{
	const struct scenario *sc = m->sc;
	const struct vm_conf *vc = m->vms[vmi].conf;
	const char *bad = vc->workload.type != SRC_IDLE ? "workload" : vc->ndevices ? "devices"
			  : vc->prod_prob > 0 ? "prod_prob" : NULL;
	if (bad) {
		char p[48];
		snprintf(p, sizeof(p), "vm.%s", bad);
		conf_errorf(err, machine_key_node(sc, vmi, bad, NULL), p,
			    "%s runs TCP_RR on powerpc, whose thread takes TCP_RR's items only (expected %s)",
			    m->vms[vmi].name, strcmp(bad, "workload") ? strcmp(bad, "devices") ? "0" : "none" : "type idle");
		return -1;
	}
	int cpu = vc->virtio_net.vhost_pcpu < 0 ? (int)sc->host.pcpus - m->nvms + vmi : (int)vc->virtio_net.vhost_pcpu;
	if (cpu < 0 || cpu >= (int)sc->host.pcpus) {
		conf_errorf(err, machine_key_node(sc, vmi, "virtio_net", "vhost_pcpu"), "vm.virtio_net.vhost_pcpu",
			    "pCPU %d, but the host has %lld (0 to %lld)", cpu, (long long)sc->host.pcpus,
			    (long long)sc->host.pcpus - 1);
		return -1;
	}
	for (int k = 0; k < m->ppc->nvc && !e->c; k++)
		if (m->ppc->vc[k].vm == vmi)
			e->c = &m->ppc->vc[k];
	e->m = m;
	e->vm = vmi;
	e->peer = peer;
	e->server = server;
	e->conf = c;
	char stream[96];
	snprintf(e->name, sizeof(e->name), "%.20s/vhost", m->vms[vmi].name);
	virtio_backend_init(&e->vhost, m->sim, &m->host->cpu[cpu], e->name, PPC_VHOST_PID_BASE + vmi);
	e->vhost.poll_ns = vc->virtio_net.vhost_poll_ns;
	snprintf(stream, sizeof(stream), "%s/virtio-net", m->vms[vmi].name);
	virtio_net_dev_init(&e->dev, m->sim, &m->prof, &e->vhost, sc->seed, stream);
	snprintf(stream, sizeof(stream), "%s/tcp_rr", m->vms[vmi].name);
	e->rng = sim_rng_new(sc->seed, stream);
	for (int q = 0; q < VIRTIO_NET_NVQ; q++)
		virtio_ioeventfd_assign(&e->io, &e->dev.vq[q]);
	e->dev.vq[VIRTIO_NET_RXQ].irqfd = (struct virtio_hook){ irqfd, e };
	struct virtio_req buf = { 0 };
	while (virtqueue_add(&e->dev.vq[VIRTIO_NET_RXQ], &buf) >= 0) /* the RX ring full of buffers */
		;
	virtqueue_disable_cb(&e->dev.vq[VIRTIO_NET_TXQ]); /* no napi_tx */
	tcp_rr_init(&e->rr, c, server);
	e->burst = server ? 0 : c->outstanding;
	e->cur = PPC_NET_NONE;
	e->ops = e->c->r.ops;
	e->c->r.ops.work = net_work;
	e->c->r.ops.done = net_done;
	if (!server)
		sim_after(m->sim, 0, start, e, NULL);
	return 0;
}

int machine_ppc_net_build(struct machine *m, struct conf_err *err)
{
	int *peer = machine_tcp_rr_pairs(m, err);
	if (!peer)
		return -1;
	for (int i = 0; i < m->nvms; i++) {
		const struct tcp_rr_conf *c = &m->vms[i].conf->tcp_rr;
		int s = peer[i];
		if (!c->server)
			continue;
		if (!m->ppc->net)
			m->ppc->net = xcalloc((size_t)m->nvms, sizeof(*m->ppc->net));
		m->ppc->net[i] = xcalloc(1, sizeof(**m->ppc->net));
		m->ppc->net[s] = xcalloc(1, sizeof(**m->ppc->net));
		if (build_end(m, i, s, false, c, m->ppc->net[i], err) || build_end(m, s, i, true, c, m->ppc->net[s], err)) {
			free(peer);
			return -1;
		}
		virtio_net_connect(&m->ppc->net[i]->dev, &m->ppc->net[s]->dev);
	}
	free(peer);
	return 0;
}

void machine_ppc_net_stats_reset(struct machine *m)
{
	for (int i = 0; m->ppc->net && i < m->nvms; i++) {
		struct ppc_net_end *e = m->ppc->net[i];
		if (!e || !e->m)
			continue;
		virtio_backend_stats_reset(&e->vhost);
		host_task_stats_reset(&e->vhost.task);
		virtio_net_dev_stats_reset(&e->dev);
		tcp_rr_stats_reset(&e->rr);
		e->irqs = e->mmio_exits = 0;
	}
}

void machine_ppc_net_free(struct machine *m)
{
	for (int i = 0; m->ppc->net && i < m->nvms; i++) {
		struct ppc_net_end *e = m->ppc->net[i];
		if (e && e->m) {
			tcp_rr_free(&e->rr);
			virtio_net_dev_free(&e->dev);
			virtio_backend_free(&e->vhost);
			if (e->rng)
				gsl_rng_free(e->rng);
		}
		free(e);
	}
	free(m->ppc->net);
	m->ppc->net = NULL;
}

/* ---- outputs ------------------------------------------------------------------------------------ */

/* The measured span's CPU of a pair, in CPUs: the runners' vcore states and the vhost workers. */
struct ppc_net_cpu {
	double guest, kvm, halt_poll, vhost, vhost_poll;
	uint64_t exits, irqs, notifies;
};

static void add_end(struct ppc_net_cpu *u, const struct ppc_net_end *e, double span)
{
	const struct kvmppc_runner *r = &e->c->r;
	u->guest += (double)r->time_in[KVMPPC_VC_IN_GUEST] / span;
	u->kvm += (double)(r->time_in[KVMPPC_VC_EXITING] + r->time_in[KVMPPC_VC_ENTERING]) / span;
	u->halt_poll += (double)r->time_in[KVMPPC_VC_POLLING] / span;
	u->vhost += (double)e->vhost.busy / span;
	u->vhost_poll += (double)e->vhost.poll / span;
	u->exits += r->entries + e->mmio_exits; /* every entry follows a cede's exit; plus the notifies' */
	u->irqs += e->irqs;
	u->notifies += e->dev.vq[VIRTIO_NET_TXQ].notifies + e->dev.vq[VIRTIO_NET_RXQ].notifies;
}

static struct ppc_net_cpu pair_cpu(const struct machine *m, const struct ppc_net_end *e, double span)
{
	struct ppc_net_cpu u = { 0 };
	add_end(&u, e, span);
	add_end(&u, m->ppc->net[e->peer], span);
	return u;
}

static double host_cpu(const struct ppc_net_cpu *u)
{
	return u->guest + u->kvm + u->halt_poll + u->vhost + u->vhost_poll;
}

static double per(uint64_t n, uint64_t t)
{
	return t ? (double)n / (double)t : 0;
}

void machine_ppc_net_report(FILE *f, const struct machine *m)
{
	double secs = (double)(m->end - m->warmup) / SIM_S, span = (double)(m->end - m->warmup);
	for (int i = 0; m->ppc->net && i < m->nvms; i++) {
		const struct ppc_net_end *e = m->ppc->net[i];
		if (!e || e->server)
			continue;
		const struct tcp_rr_conf *c = e->conf;
		fprintf(f, "\nnetperf TCP_RR %s -> %s: request %lld B, response %lld B, outstanding %lld; virtio-net, vhost on pCPUs %d and %d\n",
			m->vms[i].name, m->vms[e->peer].name, (long long)c->request_size, (long long)c->response_size,
			(long long)c->outstanding, e->vhost.task.cpu->id, m->ppc->net[e->peer]->vhost.task.cpu->id);
		fprintf(f, "  transactions: %llu (%.1f/s)\n", (unsigned long long)e->rr.done, secs > 0 ? (double)e->rr.done / secs : 0);
		machine_net_rtt_text(f, &e->rr.rtt, e->rr.rtt_sum_ps, e->rr.done);
		struct ppc_net_cpu u = pair_cpu(m, e, span);
		fprintf(f, "  host cpu (CPUs busy): %.2f = guest %.2f + kvm %.2f + halt polling %.2f + vhost %.2f + vhost polling %.2f\n",
			host_cpu(&u), u.guest, u.kvm, u.halt_poll, u.vhost, u.vhost_poll);
		fprintf(f, "  per transaction: %.2f exits, %.2f interrupts, %.2f notifies\n", per(u.exits, e->rr.done),
			per(u.irqs, e->rr.done), per(u.notifies, e->rr.done));
	}
}

void machine_ppc_net_json(json_t *root, const struct machine *m)
{
	if (!m->ppc->net)
		return;
	double secs = (double)(m->end - m->warmup) / SIM_S, span = (double)(m->end - m->warmup);
	json_t *arr = json_array();
	for (int i = 0; i < m->nvms; i++) {
		const struct ppc_net_end *e = m->ppc->net[i];
		if (!e || e->server)
			continue;
		const struct tcp_rr_conf *c = e->conf;
		json_t *rtt = machine_net_rtt_json(&e->rr.rtt, e->rr.rtt_sum_ps, e->rr.done);
		struct ppc_net_cpu u = pair_cpu(m, e, span);
		json_t *cpu = json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "host", host_cpu(&u), "guest", u.guest,
					"guest_poll", 0.0, "kvm", u.kvm, "host_halt_poll", u.halt_poll, "vhost", u.vhost,
					"vhost_poll", u.vhost_poll);
		json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:f, s:o, s:o}", "client", m->vms[i].name, "server",
				      m->vms[e->peer].name, "request_size", (json_int_t)c->request_size, "response_size",
				      (json_int_t)c->response_size, "outstanding", (json_int_t)c->outstanding,
				      "transactions", (json_int_t)e->rr.done, "transactions_per_s",
				      secs > 0 ? (double)e->rr.done / secs : 0.0, "rtt_ns", rtt, "cpu", cpu);
		char from[64];
		snprintf(from, sizeof(from), "%s/vcpu%u", m->vms[i].name, e->c->r.t[0].vcpu_id);
		json_object_set_new(o, "from", json_string(from));
		json_object_set_new(o, "rtt", sim_hist_json(&e->rr.rtt));
		json_object_set_new(o, "per_transaction",
				    json_pack("{s:f, s:f, s:f}", "exits", per(u.exits, e->rr.done), "interrupts",
					      per(u.irqs, e->rr.done), "notifies", per(u.notifies, e->rr.done)));
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "tcp_rr", arr);
}
