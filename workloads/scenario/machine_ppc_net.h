/*
 * machine_ppc_net.h - netperf TCP_RR between two powerpc guests over
 * virtio-net and vhost-net (docs/virtio-net.md, "POWER8"): the host side is
 * x86's (models/virtio/net.h: each VM's vhost worker, a host task on its
 * pCPU, the taps and the bridge); the guest side is work items on one vcore
 * thread per VM (models/vcore/runner.h), since a powerpc run models vcores,
 * not the guest's drivers.
 *
 * The client is thread 0 of the client VM's first vcore, the server thread 0
 * of the server VM's. One transaction travels at a time (outstanding 1):
 *
 *   send      the client's first item: send() (guest_net_send, the copy),
 *             the packet on the TX ring and the notify, an MMIO store that
 *             takes the vcore out to the host in virtual mode (vcore_exit),
 *             where KVM emulates it and signals the queue's ioeventfd
 *             (io_exit), then re-enters (vcore_entry)
 *   vhost     handle_tx, the bridge, the peer's handle_rx and the irqfd
 *             (vhost_kick, vhost_net_tx, net_bridge_fwd, vhost_net_rx,
 *             irq_deliver: the XICS emulation on the worker's CPU), then
 *             kvmppc_runner_irq() for the peer's thread
 *   receive   the peer's item: the interrupt (guest_irq), NAPI's receive
 *             (guest_net_rx), the task's wake-up (guest_net_wake) and
 *             recv() (guest_net_recv); the server then answers, the client
 *             records the round trip (its request's send() start to this
 *             recv()'s return) and sends the next request, each as "send"
 *
 * Between items the thread cedes, and the vcore blocks in
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
#include "workloads/scenario/machine_ppc.h"

enum ppc_net_item { PPC_NET_SEND, PPC_NET_RECV };

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
	enum ppc_net_item kind[8];   /* items given to the thread, not yet started (a ring) */
	int khead, kn;
	sim_handle_t ev;             /* the item's next step: recv() returning, or the notify */
	struct virtio_req out;       /* the message the item sends */
	bool sends;
	/* results (after the warm-up) */
	uint64_t issued, done, msgs_in, msgs_out, irqs, mmio_exits;
	struct sim_hist rtt; /* ns (client) */
	sim_time_t rtt_sum_ps;
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
