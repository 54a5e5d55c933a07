/*
 * tcp_rr.h - netperf's TCP_RR between two guests (models/guest/virtio_net.h):
 * the client (netperf, in the VM whose vm.tcp_rr.server names the other) and
 * the server (netserver) each a task on their VM's first vCPU, one TCP
 * connection over the two VMs' virtio-net devices.
 *
 * The closed loop. The client sends `outstanding` requests of request_size
 * bytes (netperf's -b burst adds to the first one), then blocks in recv();
 * each response wakes it (guest_net_wake, unless it is running already), it
 * receives it (guest_net_recv, the copy), records the transaction's round
 * trip (the request's send() start to the response's recv() return) and,
 * unless `transactions` were all issued, sends the next request (guest_net_send,
 * the copy). The server receives each request the same way and sends its
 * response of response_size bytes. Each message is one TCP segment; TCP's
 * ACKs ride on the next message (delayed ACK), so none travels alone.
 *
 * Results, counted after the warm-up: transactions per second and the round
 * trip's mean, percentiles and maximum, as netperf's -o
 * THROUGHPUT,MEAN_LATENCY,P50_LATENCY,P90_LATENCY,P99_LATENCY,MAX_LATENCY.
 */
#ifndef KVMSIM_WORKLOADS_TCP_RR_H
#define KVMSIM_WORKLOADS_TCP_RR_H

#include <stdbool.h>
#include <stdint.h>

#include "models/guest/virtio_net.h"
#include "sim/hist.h"
#include "sim/schema.h"

/* vm.tcp_rr: the client's side. */
struct tcp_rr_conf {
	char *server;          /* the VM running netserver (NULL: no TCP_RR from this VM) */
	int64_t request_size;  /* bytes (netperf -r R,) */
	int64_t response_size; /* bytes (netperf -r ,S) */
	int64_t outstanding;   /* transactions in flight (1 + netperf's -b burst) */
	int64_t transactions;  /* stop issuing after this many (0: the whole run) */
};

/* vm.virtio_net: the VM's network device. */
struct virtio_net_conf {
	int64_t vhost_pcpu;    /* the vhost worker's pCPU (-1: see the key's doc) */
	sim_time_t vhost_poll_ns; /* vhost-net busy polling before the worker sleeps (0: none) */
	int64_t vector;        /* the RX queue's MSI-X vector */
};

extern const struct cfg_section tcp_rr_section;
extern const struct cfg_section virtio_net_section;

#define TCP_RR_SOCK_MAX 512 /* received messages a socket holds (more than any outstanding) */

struct tcp_rr_end {
	const struct tcp_rr_conf *conf; /* the client's configuration (both ends) */
	struct guest_cpu *g;
	struct virtnet *nic;
	bool server;
	struct virtio_req sock[TCP_RR_SOCK_MAX]; /* the socket's receive queue */
	unsigned shead, sn;
	bool sleeping; /* blocked in recv() */
	/* results (client; after the warm-up) */
	uint64_t issued, done, msgs_in, msgs_out;
	struct sim_hist rtt; /* ns */
	sim_time_t rtt_min_ps, rtt_sum_ps;
};

/* tcp_rr_start - the client (server=false) or server end on g over nic; the client's first requests
 * go at once. The nic's deliver callback must be tcp_rr_deliver with the end as its context. */
void tcp_rr_start(struct tcp_rr_end *e, const struct tcp_rr_conf *c, struct guest_cpu *g, struct virtnet *nic,
		  bool server);
virtnet_deliver_fn tcp_rr_deliver;

/* The closed loop's bookkeeping, for a model that runs the ends' steps itself (powerpc's
 * machine_ppc_net.c, whose guests are vcore work items): tcp_rr_init - an end without a guest_cpu
 * (g and nic NULL), the server blocked in recv(), the client not started (it sends
 * conf->outstanding requests first); tcp_rr_issue - may the client send another request (the
 * transactions limit)? true counts it as issued (tcp_rr_may_issue: the same question, nothing
 * counted); tcp_rr_answered - the client's transaction
 * ended with this round trip; tcp_rr_sock_put/get - the socket's receive queue, in order (put:
 * the slot it took; get: the slot it left, -1 when empty). */
void tcp_rr_init(struct tcp_rr_end *e, const struct tcp_rr_conf *c, bool server);
bool tcp_rr_may_issue(const struct tcp_rr_end *e);
bool tcp_rr_issue(struct tcp_rr_end *e);
void tcp_rr_answered(struct tcp_rr_end *e, sim_time_t rtt);
unsigned tcp_rr_sock_put(struct tcp_rr_end *e, const struct virtio_req *m, const char *who);
int tcp_rr_sock_get(struct tcp_rr_end *e, struct virtio_req *m);
void tcp_rr_stats_reset(struct tcp_rr_end *e);
void tcp_rr_free(struct tcp_rr_end *e);

#endif
