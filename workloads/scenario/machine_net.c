/* machine_net.c - building two VMs' virtio-net devices and TCP_RR between them (see machine_net.h). */
#include "workloads/scenario/machine_net.h"

#include <stdlib.h>
#include <string.h>

#include "sim/xalloc.h"

#define VHOST_WORKER_PID_BASE 9700

/* build_end - VM vmi's device, driver and task (the client's or the server's end of c). */
static int build_end(struct machine *m, int vmi, int peer, bool server, const struct tcp_rr_conf *c,
		     struct machine_net *n, struct conf_err *err)
{
	const struct scenario *sc = m->sc;
	const struct machine_vm *vm = &m->vms[vmi];
	const struct virtio_net_conf *nc = &vm->conf->virtio_net;
	char msg[300], stream[64];
	if (vm->conf->fio.numjobs > 0) {
		conf_errorf(err, machine_key_node(sc, vmi, "fio", "numjobs"), "vm.fio.numjobs",
			    "%s runs TCP_RR over virtio-net: fio on virtio-blk in the same VM is not modelled (expected 0)",
			    vm->name);
		return -1;
	}
	int cpu = nc->vhost_pcpu < 0 ? (int)sc->host.pcpus - m->nvms + vmi : (int)nc->vhost_pcpu;
	if (cpu < 0 || cpu >= (int)sc->host.pcpus) {
		conf_errorf(err, machine_key_node(sc, vmi, "virtio_net", "vhost_pcpu"), "vm.virtio_net.vhost_pcpu",
			    "pCPU %d, but the host has %lld (0 to %lld)", cpu, (long long)sc->host.pcpus,
			    (long long)sc->host.pcpus - 1);
		return -1;
	}
	n->vm = vmi;
	n->peer = peer;
	n->server = server;
	snprintf(n->name, sizeof(n->name), "%.20s/vhost", vm->name);
	virtio_backend_init(&n->vhost, m->sim, &m->host->cpu[cpu], n->name, VHOST_WORKER_PID_BASE + vmi);
	if (m->ndev_tasks < 16) {
		m->dev_task[m->ndev_tasks] = &n->vhost.task;
		m->dev_task_name[m->ndev_tasks++] = n->name;
	}
	n->vhost.poll_ns = nc->vhost_poll_ns;
	snprintf(stream, sizeof(stream), "%s/virtio-net", vm->name);
	virtio_net_dev_init(&n->dev, m->sim, &m->prof, &n->vhost, sc->seed, stream);
	struct vcpu *v = &m->vcpus[vm->first_vcpu];
	struct guest_cpu *g = &m->guests[vm->first_vcpu];
	uint8_t vec = (uint8_t)nc->vector;
	struct source_conf none = { .type = SRC_IDLE };
	snprintf(stream, sizeof(stream), "%s/net-rx", vm->name);
	if (vcpu_add_msi(v, vec, &none, sc->seed, stream, msg, sizeof(msg)) ||
	    guest_add_driver(g, vec, 0, sc->seed, stream, msg, sizeof(msg))) {
		conf_errorf(err, machine_key_node(sc, vmi, "virtio_net", "vector"), "vm.virtio_net.vector", "%s", msg);
		return -1;
	}
	n->dev.vq[VIRTIO_NET_RXQ].irqfd = (struct virtio_hook){ machine_irqfd, &v->vec[v->nvec - 1] };
	for (int q = 0; q < VIRTIO_NET_NVQ; q++)
		virtio_ioeventfd_assign(&n->io, &n->dev.vq[q]);
	v->pio_write = machine_pio_write;
	v->pio_ctx = &n->io;
	virtnet_init(&n->nic, g, &n->dev.vq[VIRTIO_NET_RXQ], &n->dev.vq[VIRTIO_NET_TXQ], vec, tcp_rr_deliver, &n->end);
	tcp_rr_start(&n->end, c, g, &n->nic, server);
	return 0;
}

int *machine_tcp_rr_pairs(const struct machine *m, struct conf_err *err)
{
	int *peer = xcalloc((size_t)(m->nvms ? m->nvms : 1), sizeof(*peer));
	for (int i = 0; i < m->nvms; i++)
		peer[i] = -1;
	for (int i = 0; i < m->nvms; i++) {
		const char *server = m->vms[i].conf->tcp_rr.server;
		if (!server)
			continue;
		int s = -1;
		for (int j = 0; j < m->nvms; j++)
			if (!strcmp(m->vms[j].name, server))
				s = j;
		const char *why = s < 0 ? "no VM has that name" : s == i ? "that is this VM" : NULL;
		if (!why && (peer[i] >= 0 || peer[s] >= 0))
			why = "a VM takes part in one TCP_RR pair at most";
		if (!why && m->vms[s].conf->tcp_rr.server)
			why = "that VM runs a client itself";
		if (why) {
			conf_errorf(err, machine_key_node(m->sc, i, "tcp_rr", "server"), "vm.tcp_rr.server",
				    "\"%s\": %s (expected the name of another VM)", server, why);
			free(peer);
			return NULL;
		}
		peer[i] = s;
		peer[s] = i;
	}
	return peer;
}

int machine_net_build(struct machine *m, struct conf_err *err)
{
	if (m->ppc)
		return 0; /* powerpc: machine_ppc_net.c */
	int *peer = machine_tcp_rr_pairs(m, err);
	if (!peer)
		return -1;
	for (int i = 0; i < m->nvms; i++) {
		const struct tcp_rr_conf *c = &m->vms[i].conf->tcp_rr;
		int s = peer[i];
		if (!c->server)
			continue;
		if (!m->net)
			m->net = xcalloc((size_t)m->nvms, sizeof(*m->net));
		m->net[i] = xcalloc(1, sizeof(**m->net));
		m->net[s] = xcalloc(1, sizeof(**m->net));
		if (build_end(m, i, s, false, c, m->net[i], err) || build_end(m, s, i, true, c, m->net[s], err)) {
			free(peer);
			return -1;
		}
		virtio_net_connect(&m->net[i]->dev, &m->net[s]->dev);
	}
	free(peer);
	return 0;
}

void machine_net_stats_reset(struct machine *m)
{
	for (int i = 0; m->net && i < m->nvms; i++) {
		struct machine_net *n = m->net[i];
		if (!n)
			continue;
		virtio_backend_stats_reset(&n->vhost);
		host_task_stats_reset(&n->vhost.task);
		virtio_net_dev_stats_reset(&n->dev);
		virtnet_stats_reset(&n->nic);
		tcp_rr_stats_reset(&n->end);
	}
}

void machine_net_free(struct machine *m)
{
	for (int i = 0; m->net && i < m->nvms; i++) {
		struct machine_net *n = m->net[i];
		if (!n)
			continue;
		tcp_rr_free(&n->end);
		virtio_net_dev_free(&n->dev);
		virtio_backend_free(&n->vhost);
		free(n);
	}
	free(m->net);
	m->net = NULL;
}
