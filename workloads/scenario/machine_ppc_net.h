/*
 * machine_ppc_net.h - netperf TCP_RR between two powerpc guests over
 * virtio-net and vhost-net (docs/virtio-net.md, "POWER8"): the host side is
 * x86's (models/virtio/net.h: each VM's vhost worker, a host task on its
 * pCPU, the taps and the bridge); the guest side is work items on one vcore
 * thread per VM (models/vcore/runner.h), since a powerpc run models vcores,
 * not the guest's drivers.
 *
 * The client is thread 0 of the client VM's first vcore, the server thread 0
 * of the server VM's. Up to vm.tcp_rr.outstanding transactions travel at
 * once; the closed loop's bookkeeping (the burst at start, the transactions
 * limit, the round trips, the socket's queue) is workloads/tcp_rr.h's. The
 * thread's items:
 *
 *   task      one turn of netperf's loop: a request of the start's burst
 *             (the client sends `outstanding` first), or recv() of the
 *             socket's next message (guest_net_recv, the copy) and then the
 *             answer (server) or the next request (client); send()
 *             (guest_net_send, the copy) up to start_xmit(), which notifies
 *             unless vhost is draining the TX ring (VRING_USED_F_NO_NOTIFY):
 *             then the message just goes on the ring
 *   kick      the notify, an MMIO store that takes the vcore out to the host
 *             in virtual mode (vcore_exit), where KVM emulates it and signals
 *             the queue's ioeventfd (io_exit), then re-enters (vcore_entry)
 *   vhost     handle_tx (every message on the ring), the bridge, the peer's
 *             handle_rx (every message in its tap) and one irqfd for the
 *             batch (vhost_kick, vhost_net_tx, net_bridge_fwd, vhost_net_rx,
 *             irq_deliver: the XICS emulation on the worker's CPU), then
 *             kvmppc_runner_irq() for the peer's thread
 *   receive   the interrupt (guest_irq) and NAPI: every message on the used
 *             ring (guest_net_rx, the copy) into the socket; the task's
 *             wake-up (guest_net_wake) if it was blocked in recv(). The task
 *             then takes the messages one by one, as "task" (the client
 *             records each transaction's round trip: its request's send()
 *             start to its response's recv() return)
 *
 * The task's turns go on while the socket holds messages; then it blocks in
 * recv() and the thread cedes. An interrupt during a turn is taken when the
 * turn ends (NAPI before the task's next turn); a kick right after its turn.
 * When the thread cedes, the vcore blocks in
 * kvmppc_vcore_blocked(): polling (4.8+) or sleeping is where the result
 * depends on halt polling. Outputs: a TCP_RR block in the summary and
 * "tcp_rr" in the run's JSON, in x86's shape (workloads/tcp_rr.h).
 */
#ifndef KVMSIM_SCENARIO_MACHINE_PPC_NET_H
#define KVMSIM_SCENARIO_MACHINE_PPC_NET_H

#include <jansson.h>
#include <stdio.h>

#include "models/virtio/net.h"
#include "sim/hist.h"
#include "workloads/tcp_rr.h"
#include "workloads/scenario/machine_ppc.h"

enum ppc_net_item { PPC_NET_NONE = -1, PPC_NET_RECV, PPC_NET_TASK, PPC_NET_KICK };
#define PPC_NET_ITEMS 8

struct ppc_net_end {
	struct machine *m;
	struct ppc_vcore *c; /* the VM's first vcore; the end runs on its thread 0 */
	int vm, peer;
	bool server;
	const struct tcp_rr_conf *conf; /* the client's (both ends) */
	struct virtio_backend vhost;
	struct virtio_net_dev dev;
	struct virtio_ioeventfds io;
	gsl_rng *rng; /* the guest's cost draws */
	struct kvmppc_runner_ops ops; /* the vcore's own, for its other threads */
	enum ppc_net_item kind[PPC_NET_ITEMS]; /* items given to the thread, not yet started (a ring) */
	int khead, kn;
	enum ppc_net_item cur;       /* the item in progress on thread 0 */
	sim_handle_t ev;             /* the item's step: recv() returning, or the notify */
	struct tcp_rr_end rr;        /* the loop's state and results (g and nic unused) */
	sim_time_t recv_ps[TCP_RR_SOCK_MAX]; /* each socket slot's recv() cost, drawn on arrival */
	int64_t burst;               /* the client's first requests still to send */
	struct virtio_req in, out;   /* the message the turn received, the one it sends */
	bool sending;                /* the turn ended at start_xmit() with a message */
	sim_time_t io_exit_ps;       /* its notify's emulation, drawn with its send() */
	/* results (after the warm-up; the transactions' in rr) */
	uint64_t irqs, mmio_exits;
	char name[48];
};

/* machine_ppc_net_build - every pair joined by vm.tcp_rr.server (vcores built); -1 with a message. */
int machine_ppc_net_build(struct machine *m, struct conf_err *err);
void machine_ppc_net_stats_reset(struct machine *m);
void machine_ppc_net_free(struct machine *m);
/* the TCP_RR block of the summary, and "tcp_rr" in the JSON (nothing without TCP_RR) */
void machine_ppc_net_report(FILE *f, const struct machine *m);
void machine_ppc_net_json(json_t *root, const struct machine *m);

#endif
