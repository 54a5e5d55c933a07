/* machine_blk_report.c - fio's summary and JSON for each VM's disk (see machine_blk.h). */
#include "workloads/scenario/machine_blk.h"

#include "sim/out_json.h"

/* The measured span's CPU of VM b->vm's vCPUs, in CPUs (1.0: one CPU busy throughout). */
struct blk_cpu {
	double guest, guest_poll, kvm, host_poll, iothread, iothread_poll;
	uint64_t ios, irqs, polled, io_polled, exits, notifies;
};

static struct blk_cpu blk_cpu(const struct machine *m, const struct machine_blk *b, double span_ps)
{
	struct blk_cpu c = { 0 };
	const struct machine_vm *vm = &m->vms[b->vm];
	for (int i = vm->first_vcpu; i < vm->first_vcpu + vm->nvcpu; i++) {
		const struct vcpu *v = &m->vcpus[i];
		c.guest += (double)v->acct_ps[VACCT_GUEST] / span_ps;
		c.guest_poll += (double)v->acct_ps[VACCT_GUEST_POLL] / span_ps;
		c.kvm += (double)v->acct_ps[VACCT_KVM] / span_ps;
		c.host_poll += (double)(v->acct_ps[VACCT_POLL_OK] + v->acct_ps[VACCT_POLL_FAIL]) / span_ps;
		for (int r = 0; r < VMX_REASONS; r++)
			c.exits += v->exits[r].n;
	}
	c.iothread = (double)b->thread.busy / span_ps;
	c.iothread_poll = (double)b->thread.poll / span_ps;
	for (int j = 0; j < b->njobs; j++)
		c.ios += b->jobs[j].ios[0] + b->jobs[j].ios[1];
	for (int q = 0; q < b->dev.nvq; q++) {
		c.irqs += b->dev.vq[q].irqs;
		c.notifies += b->dev.vq[q].notifies;
		c.polled += b->q[q].polled_reqs;
		c.io_polled += b->q[q].io_polled_reqs;
	}
	return c;
}

static double per_io(uint64_t n, uint64_t ios)
{
	return ios ? (double)n / (double)ios : 0;
}

void machine_blk_report(FILE *f, const struct machine *m)
{
	double secs = (double)(m->end - m->warmup) / SIM_S, span = (double)(m->end - m->warmup);
	for (int i = 0; m->blk && i < m->nvms; i++) {
		const struct machine_blk *b = m->blk[i];
		if (!b)
			continue;
		const struct fio_conf *c = b->jobs[0].conf;
		const struct virtio_blk_conf *bc = &m->vms[i].conf->virtio_blk;
		fprintf(f, "\nfio %s: rw=%s, bs=%lld, iodepth=%lld, numjobs=%d; virtio-blk %d queues, completion by %s\n",
			m->vms[i].name, fio_rw_names[c->rw], (long long)c->bs, (long long)c->iodepth, b->njobs, b->dev.nvq,
			bc->io_poll ? "io_poll" : bc->poll_source ? "interrupt or poll_source" : "interrupt");
		fio_summary(f, b->jobs, b->njobs, secs);
		struct blk_cpu u = blk_cpu(m, b, span);
		fprintf(f, "  cpu (CPUs busy): guest %.2f, guest polling %.2f, kvm %.2f, host halt polling %.2f, iothread %.2f + polling %.2f\n",
			u.guest, u.guest_poll, u.kvm, u.host_poll, u.iothread, u.iothread_poll);
		fprintf(f, "  per I/O: %.2f notifies, %.2f interrupts, %.2f polled completions, %.2f exits\n",
			per_io(u.notifies, u.ios), per_io(u.irqs, u.ios), per_io(u.polled + u.io_polled, u.ios),
			per_io(u.exits, u.ios));
	}
}

void machine_blk_json(json_t *root, const struct machine *m)
{
	if (!m->blk)
		return;
	double secs = (double)(m->end - m->warmup) / SIM_S, span = (double)(m->end - m->warmup);
	const double *pct;
	size_t npct = fio_percentiles(&pct);
	json_t *arr = json_array();
	for (int i = 0; i < m->nvms; i++) {
		const struct machine_blk *b = m->blk[i];
		if (!b)
			continue;
		const struct fio_conf *c = b->jobs[0].conf;
		json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:i, s:i}", "vm", m->vms[i].name, "rw", fio_rw_names[c->rw],
				      "bs", (json_int_t)c->bs, "iodepth", (json_int_t)c->iodepth, "numjobs", b->njobs,
				      "num_queues", b->dev.nvq);
		uint64_t total = 0;
		static const char *const dn[] = { "read", "write" };
		for (int d = 0; d < 2; d++) {
			struct sim_hist h;
			sim_hist_init(&h);
			uint64_t ios = 0;
			for (int j = 0; j < b->njobs; j++) {
				ios += b->jobs[j].ios[d];
				sim_hist_merge(&h, &b->jobs[j].clat[d]);
			}
			total += ios;
			/* fio's JSON: jobs[].read.{total_ios, iops, clat_ns{min, max, mean, percentile{}}} */
			json_t *pc = json_object();
			for (size_t k = 0; k < npct; k++) {
				char key[16];
				snprintf(key, sizeof(key), "%.6f", pct[k]);
				json_object_set_new(pc, key, json_integer(ios ? (json_int_t)sim_hist_quantile(&h, pct[k] / 100) : 0));
			}
			json_t *clat = json_pack("{s:I, s:I, s:f, s:o}", "min", (json_int_t)(ios ? h.min : 0), "max",
						 (json_int_t)(ios ? h.max : 0), "mean", ios ? sim_hist_mean(&h) : 0.0,
						 "percentile", pc);
			json_object_set_new(o, dn[d], json_pack("{s:I, s:f, s:o}", "total_ios", (json_int_t)ios, "iops",
								 secs > 0 ? (double)ios / secs : 0.0, "clat_ns", clat));
			sim_hist_free(&h);
		}
		struct blk_cpu u = blk_cpu(m, b, span);
		json_object_set_new(o, "iops", json_real(secs > 0 ? (double)total / secs : 0.0));
		json_object_set_new(o, "cpu", json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}", "guest", u.guest, "guest_poll",
							 u.guest_poll, "kvm", u.kvm, "host_halt_poll", u.host_poll,
							 "iothread", u.iothread, "iothread_poll", u.iothread_poll));
		json_object_set_new(o, "per_io", json_pack("{s:f, s:f, s:f, s:f}", "notifies", per_io(u.notifies, u.ios),
							   "interrupts", per_io(u.irqs, u.ios), "polled",
							   per_io(u.polled + u.io_polled, u.ios), "exits",
							   per_io(u.exits, u.ios)));
		json_array_append_new(arr, o);
	}
	if (!json_array_size(arr)) {
		json_decref(arr);
		return;
	}
	json_object_set_new(root, "fio", arr);
	/* each vCPU's latency.clat: the completion latency of the jobs it runs (for compare and sweep) */
	json_t *vcpus = json_object_get(root, "vcpus");
	for (int i = 0; i < m->nvcpus && i < (int)json_array_size(vcpus); i++) {
		struct sim_hist h;
		sim_hist_init(&h);
		for (int v = 0; v < m->nvms; v++)
			for (int j = 0; m->blk[v] && j < m->blk[v]->njobs; j++)
				if (m->blk[v]->jobs[j].g == &m->guests[i])
					for (int d = 0; d < 2; d++)
						sim_hist_merge(&h, &m->blk[v]->jobs[j].clat[d]);
		json_t *lat = json_object_get(json_array_get(vcpus, (size_t)i), "latency");
		if (lat)
			json_object_set_new(lat, "clat", sim_hist_json(&h));
		sim_hist_free(&h);
	}
}
