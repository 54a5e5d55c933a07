/*
 * machine_net.h - two VMs' virtio-net devices on one host bridge and netperf
 * TCP_RR between them, built from vm.tcp_rr (in the client's VM: `server`
 * names the other) and each VM's vm.virtio_net: per VM a device
 * (models/virtio/net.h) with its vhost worker on a host pCPU, the TX and RX
 * queues' ioeventfds (KVM's notify-port table), the RX queue's irqfd (its
 * MSI on the VM's first vCPU), the guest driver (models/guest/virtio_net.h)
 * and the netperf or netserver task (workloads/tcp_rr.h). Its part of the
 * outputs: a TCP_RR block in the summary, "tcp_rr" in the run's JSON, and
 * the client vCPU's latency.rtt histogram.
 */
#ifndef KVMSIM_SCENARIO_MACHINE_NET_H
#define KVMSIM_SCENARIO_MACHINE_NET_H

#include <stdio.h>

#include <jansson.h>

#include "models/guest/virtio_net.h"
#include "models/virtio/net.h"
#include "workloads/scenario/machine.h"
#include "workloads/tcp_rr.h"

struct machine_net {
	int vm, peer;  /* its VM's index, the other end's */
	bool server;
	struct virtio_backend vhost;
	struct virtio_net_dev dev;
	struct virtio_ioeventfds io;
	struct virtnet nic;
	struct tcp_rr_end end;
	char name[32];
};

/* machine_net_build - every VM pair joined by vm.tcp_rr.server; -1 with a message. */
/* machine_tcp_rr_pairs - each VM's TCP_RR peer (-1 none; malloc'd, nvms entries), its vm.tcp_rr.server
 * checked (a VM that exists, not itself, in one pair at most, not a client itself); NULL with err. */
int *machine_tcp_rr_pairs(const struct machine *m, struct conf_err *err);
int machine_net_build(struct machine *m, struct conf_err *err);
void machine_net_stats_reset(struct machine *m);
void machine_net_free(struct machine *m);
/* machine_net_report - per client the TCP_RR block (nothing without TCP_RR). */
void machine_net_report(FILE *f, const struct machine *m);
/* machine_net_json - "tcp_rr": per client its transactions, round trip and CPU; the client vCPUs'
 * latency.rtt (nothing without TCP_RR). */
void machine_net_json(json_t *root, const struct machine *m);
/* machine_net_rtt_text - a TCP_RR client's round-trip line of the summary (none without a round trip). */
void machine_net_rtt_text(FILE *f, const struct sim_hist *rtt, sim_time_t sum_ps, uint64_t done);
/* machine_net_rtt_json - a TCP_RR client's round trips (ns): mean, min, p50, p90, p99, max; zeros if none. */
json_t *machine_net_rtt_json(const struct sim_hist *rtt, sim_time_t sum_ps, uint64_t done);

#endif
