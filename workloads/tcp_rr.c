/* tcp_rr.c - netperf TCP_RR's closed loop over virtio-net (see tcp_rr.h). */
#include "workloads/tcp_rr.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/costs/costs.h"
#include "models/guest/guest.h"

#define R(f) offsetof(struct tcp_rr_conf, f)
static const struct cfg_key tcp_rr_keys[] = {
	{ "server", CFG_STRING, R(server), "name", NULL, 0, 0,
	  "netperf -t TCP_RR from this VM to the VM of this name (netserver); unset: none" },
	{ "request_size", CFG_INT, R(request_size), "bytes", "1", 1, 65536, "netperf -r: request bytes" },
	{ "response_size", CFG_INT, R(response_size), "bytes", "1", 1, 65536, "netperf -r: response bytes" },
	{ "outstanding", CFG_INT, R(outstanding), NULL, "1", 1, 128,
	  "transactions in flight (1 + netperf's -b burst)" },
	{ "transactions", CFG_INT, R(transactions), NULL, "0", 0, INT64_MAX / 2,
	  "stop after issuing this many transactions (netperf -l -N; 0: for the whole run)" },
	{ NULL },
};
#undef R
const struct cfg_section tcp_rr_section = { "tcp_rr", tcp_rr_keys, sizeof(struct tcp_rr_conf), NULL };

#define N(f) offsetof(struct virtio_net_conf, f)
static const struct cfg_key virtio_net_keys[] = {
	{ "vhost_pcpu", CFG_INT, N(vhost_pcpu), NULL, "-1", -1, 1023,
	  "the pCPU of the VM's vhost worker (-1: VM i of n takes pCPU pcpus - n + i, the last ones)" },
	{ "vhost_poll_ns", CFG_TIME, N(vhost_poll_ns), "ns", "0", 0, 0,
	  "vhost-net busy polling before its worker sleeps (VHOST_SET_VRING_BUSYLOOP_TIMEOUT, QEMU's poll-us; "
	  "0: none)" },
	{ "vector", CFG_INT, N(vector), NULL, "0x60", 0x20, 0xef, "the RX queue's MSI-X vector" },
	{ NULL },
};
#undef N
const struct cfg_section virtio_net_section = { "virtio_net", virtio_net_keys, sizeof(struct virtio_net_conf), NULL };

static sim_time_t copy(struct guest_cpu *g, int64_t len)
{
	return g->prof->ps[COST_net_copy_kb] * (sim_time_t)len / 1024;
}

static void step(struct guest_cpu *g, struct gop *op);

static void push_call(struct tcp_rr_end *e, gop_fn *fn, uint64_t arg, bool front)
{
	struct gop c = { .kind = GOP_CALL, .task = 1, .fn = fn, .ctx = e, .arg = arg };
	if (front)
		guest_push_front(e->g, &c);
	else
		guest_push_back(e->g, &c);
}

static void push_run(struct tcp_rr_end *e, sim_time_t ps, bool front)
{
	struct gop r = { .kind = GOP_RUN, .task = 1, .ps = ps };
	if (front)
		guest_push_front(e->g, &r);
	else
		guest_push_back(e->g, &r);
}

/* send_msg - (in front of the task's queue) send(): its cost and copy, then start_xmit. */
static void send_msg(struct tcp_rr_end *e, int64_t len, sim_time_t submitted)
{
	if (virtnet_send(e->g, e->nic, (uint32_t)len, submitted, e)) {
		fprintf(stderr, "kvmsim: internal error: %s: too many sends pending\n", e->g->name);
		abort();
	}
	push_run(e, guest_cost(e->g, COST_guest_net_send) + copy(e->g, len), true);
	e->msgs_out++;
}

bool tcp_rr_may_issue(const struct tcp_rr_end *e)
{
	return !e->conf->transactions || e->issued < (uint64_t)e->conf->transactions;
}

bool tcp_rr_issue(struct tcp_rr_end *e)
{
	if (!tcp_rr_may_issue(e))
		return false;
	e->issued++;
	return true;
}

void tcp_rr_answered(struct tcp_rr_end *e, sim_time_t rtt)
{
	e->done++;
	sim_hist_record(&e->rtt, rtt / SIM_NS);
	e->rtt_sum_ps += rtt;
	if (!e->rtt_min_ps || rtt < e->rtt_min_ps)
		e->rtt_min_ps = rtt;
}

unsigned tcp_rr_sock_put(struct tcp_rr_end *e, const struct virtio_req *m, const char *who)
{
	if (e->sn == TCP_RR_SOCK_MAX) { /* cannot happen: at most `outstanding` messages travel */
		fprintf(stderr, "kvmsim: internal error: %s: socket queue full\n", who);
		abort();
	}
	unsigned slot = (e->shead + e->sn++) % TCP_RR_SOCK_MAX;
	e->sock[slot] = *m;
	return slot;
}

int tcp_rr_sock_get(struct tcp_rr_end *e, struct virtio_req *m)
{
	if (!e->sn)
		return -1;
	unsigned slot = e->shead;
	*m = e->sock[slot];
	e->shead = (e->shead + 1) % TCP_RR_SOCK_MAX;
	e->sn--;
	e->msgs_in++;
	return (int)slot;
}

/* issue - the client sends a request, unless every transaction was issued. */
static void issue(struct tcp_rr_end *e)
{
	if (tcp_rr_issue(e))
		send_msg(e, e->conf->request_size, sim_now(e->g->sim));
}

/* received - recv() returned one message (arg: its transaction's start): the client's round trip
 * ends and the next request goes; the server responds. Then the loop goes on. */
static void received(struct guest_cpu *g, struct gop *op)
{
	struct tcp_rr_end *e = op->ctx;
	sim_time_t start = (sim_time_t)op->arg;
	push_call(e, step, 0, true);
	if (e->server) {
		send_msg(e, e->conf->response_size, start);
		return;
	}
	tcp_rr_answered(e, sim_now(g->sim) - start);
	issue(e);
}

/* step - the task's loop: receive what the socket holds, else block in recv(). */
static void step(struct guest_cpu *g, struct gop *op)
{
	struct tcp_rr_end *e = op->ctx;
	struct virtio_req m;
	if (tcp_rr_sock_get(e, &m) < 0) {
		e->sleeping = true;
		return;
	}
	push_call(e, received, (uint64_t)m.submitted, true);
	push_run(e, guest_cost(g, COST_guest_net_recv) + copy(g, m.len), true);
}

void tcp_rr_deliver(void *ctx, struct guest_cpu *g, const struct virtio_req *pkt)
{
	struct tcp_rr_end *e = ctx;
	tcp_rr_sock_put(e, pkt, g->name);
	if (e->sleeping) { /* sk_data_ready(): the task wakes, after the interrupt's work */
		e->sleeping = false;
		push_run(e, guest_cost(g, COST_guest_net_wake), false);
		push_call(e, step, 0, false);
	}
}

/* start - the client's first requests (a burst of `outstanding`), then it blocks in recv(). */
static void start(struct guest_cpu *g, struct gop *op)
{
	struct tcp_rr_end *e = op->ctx;
	push_call(e, step, 0, true);
	for (int64_t i = 0; i < e->conf->outstanding; i++)
		issue(e);
}

void tcp_rr_start(struct tcp_rr_end *e, const struct tcp_rr_conf *c, struct guest_cpu *g, struct virtnet *nic,
		  bool server)
{
	tcp_rr_init(e, c, server);
	e->g = g;
	e->nic = nic;
	if (!server)
		push_call(e, start, 0, false);
}

void tcp_rr_init(struct tcp_rr_end *e, const struct tcp_rr_conf *c, bool server)
{
	memset(e, 0, sizeof(*e));
	e->conf = c;
	e->server = server;
	sim_hist_init(&e->rtt);
	e->sleeping = server; /* netserver blocks in recv() */
}

void tcp_rr_stats_reset(struct tcp_rr_end *e)
{
	e->done = e->msgs_in = e->msgs_out = 0;
	e->rtt_min_ps = e->rtt_sum_ps = 0;
	sim_hist_free(&e->rtt);
	sim_hist_init(&e->rtt);
}

void tcp_rr_free(struct tcp_rr_end *e)
{
	sim_hist_free(&e->rtt);
}
