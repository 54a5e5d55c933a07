/* machine_net_report.c - TCP_RR's summary and JSON (see machine_net.h). */
#include "workloads/scenario/machine_net.h"

#include "sim/out_json.h"

void machine_net_rtt_text(FILE *f, const struct sim_hist *rtt, sim_time_t sum_ps, uint64_t done)
{
	if (done)
		fprintf(f, "  round trip (us): mean %.2f, p50 %.2f, p90 %.2f, p99 %.2f, max %.2f\n",
			(double)sum_ps / (double)done / SIM_US, (double)sim_hist_quantile(rtt, 0.5) / 1000,
			(double)sim_hist_quantile(rtt, 0.9) / 1000, (double)sim_hist_quantile(rtt, 0.99) / 1000,
			(double)rtt->max / 1000);
}

json_t *machine_net_rtt_json(const struct sim_hist *rtt, sim_time_t sum_ps, uint64_t done)
{
	bool any = done > 0;
	return json_pack("{s:f, s:I, s:I, s:I, s:I, s:I}", "mean", any ? (double)sum_ps / (double)done / SIM_NS : 0.0,
			 "min", (json_int_t)(any ? rtt->min : 0), "p50",
			 (json_int_t)(any ? sim_hist_quantile(rtt, 0.5) : 0), "p90",
			 (json_int_t)(any ? sim_hist_quantile(rtt, 0.9) : 0), "p99",
			 (json_int_t)(any ? sim_hist_quantile(rtt, 0.99) : 0), "max", (json_int_t)(any ? rtt->max : 0));
}

/* The measured span's CPU of one TCP_RR pair, in CPUs (1.0: one CPU busy throughout). */
struct net_cpu {
	double guest, guest_poll, kvm, host_poll, vhost, vhost_poll;
	uint64_t exits, irqs, notifies;
};

static void add_vm(struct net_cpu *c, const struct machine *m, const struct machine_net *n, double span)
{
	const struct machine_vm *vm = &m->vms[n->vm];
	for (int i = vm->first_vcpu; i < vm->first_vcpu + vm->nvcpu; i++) {
		const struct vcpu *v = &m->vcpus[i];
		c->guest += (double)v->acct_ps[VACCT_GUEST] / span;
		c->guest_poll += (double)v->acct_ps[VACCT_GUEST_POLL] / span;
		c->kvm += (double)v->acct_ps[VACCT_KVM] / span;
		c->host_poll += (double)(v->acct_ps[VACCT_POLL_OK] + v->acct_ps[VACCT_POLL_FAIL]) / span;
		for (int r = 0; r < VMX_REASONS; r++)
			c->exits += v->exits[r].n;
	}
	c->vhost += (double)n->vhost.busy / span;
	c->vhost_poll += (double)n->vhost.poll / span;
	c->irqs += n->dev.vq[VIRTIO_NET_RXQ].irqs;
	c->notifies += n->dev.vq[VIRTIO_NET_TXQ].notifies + n->dev.vq[VIRTIO_NET_RXQ].notifies;
}

static struct net_cpu pair_cpu(const struct machine *m, const struct machine_net *n, double span)
{
	struct net_cpu c = { 0 };
	add_vm(&c, m, n, span);
	add_vm(&c, m, m->net[n->peer], span);
	return c;
}

/* host - what the pair costs the host: its vCPU threads' busy time (guest, KVM, halt polling) and
 * its vhost workers (work and polling). */
static double host_cpu(const struct net_cpu *c)
{
	return c->guest + c->guest_poll + c->kvm + c->host_poll + c->vhost + c->vhost_poll;
}

static double per(uint64_t n, uint64_t t)
{
	return t ? (double)n / (double)t : 0;
}

void machine_net_report(FILE *f, const struct machine *m)
{
	double secs = (double)(m->end - m->warmup) / SIM_S, span = (double)(m->end - m->warmup);
	for (int i = 0; m->net && i < m->nvms; i++) {
		const struct machine_net *n = m->net[i];
		if (!n || n->server)
			continue;
		const struct tcp_rr_conf *c = n->end.conf;
		const struct tcp_rr_end *e = &n->end;
		fprintf(f, "\nnetperf TCP_RR %s -> %s: request %lld B, response %lld B, outstanding %lld; virtio-net, vhost on pCPUs %d and %d\n",
			m->vms[i].name, m->vms[n->peer].name, (long long)c->request_size, (long long)c->response_size,
			(long long)c->outstanding, n->vhost.task.cpu->id, m->net[n->peer]->vhost.task.cpu->id);
		fprintf(f, "  transactions: %llu (%.1f/s)\n", (unsigned long long)e->done, secs > 0 ? (double)e->done / secs : 0);
		machine_net_rtt_text(f, &e->rtt, e->rtt_sum_ps, e->done);
		struct net_cpu u = pair_cpu(m, n, span);
		fprintf(f, "  host cpu (CPUs busy): %.2f = guest %.2f + guest polling %.2f + kvm %.2f + halt polling %.2f + vhost %.2f + vhost polling %.2f\n",
			host_cpu(&u), u.guest, u.guest_poll, u.kvm, u.host_poll, u.vhost, u.vhost_poll);
		fprintf(f, "  per transaction: %.2f exits, %.2f interrupts, %.2f notifies\n", per(u.exits, e->done),
			per(u.irqs, e->done), per(u.notifies, e->done));
	}
}

void machine_net_json(json_t *root, const struct machine *m)
{
	if (!m->net)
		return;
	double secs = (double)(m->end - m->warmup) / SIM_S, span = (double)(m->end - m->warmup);
	json_t *arr = json_array();
	for (int i = 0; i < m->nvms; i++) {
		const struct machine_net *n = m->net[i];
		if (!n || n->server)
			continue;
		const struct tcp_rr_conf *c = n->end.conf;
		const struct tcp_rr_end *e = &n->end;
		json_t *rtt = machine_net_rtt_json(&e->rtt, e->rtt_sum_ps, e->done);
		struct net_cpu u = pair_cpu(m, n, span);
		json_t *cpu = json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "host", host_cpu(&u), "guest", u.guest,
					"guest_poll", u.guest_poll, "kvm", u.kvm, "host_halt_poll", u.host_poll, "vhost",
					u.vhost, "vhost_poll", u.vhost_poll);
		json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:f, s:o, s:o}", "client", m->vms[i].name, "server",
				      m->vms[n->peer].name, "request_size", (json_int_t)c->request_size, "response_size",
				      (json_int_t)c->response_size, "outstanding", (json_int_t)c->outstanding,
				      "transactions", (json_int_t)e->done, "transactions_per_s",
				      secs > 0 ? (double)e->done / secs : 0.0, "rtt_ns", rtt, "cpu", cpu);
		/* its round trips, named by the client's vCPU (as compare --metric rtt and sweep read them) */
		json_object_set_new(o, "from", json_string(m->vcpus[m->vms[i].first_vcpu].name));
		json_object_set_new(o, "rtt", sim_hist_json(&e->rtt));
		json_object_set_new(o, "per_transaction",
				    json_pack("{s:f, s:f, s:f}", "exits", per(u.exits, e->done), "interrupts",
					      per(u.irqs, e->done), "notifies", per(u.notifies, e->done)));
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "tcp_rr", arr);
}
