/* machine_blk.c - building a VM's virtio-blk disk and fio, and their outputs (see machine_blk.h). */
#include "workloads/scenario/machine_blk.h"

#include <stdlib.h>
#include <string.h>

#include "sim/xalloc.h"

#define IOTHREAD_PID_BASE 9500

static int build_one(struct machine *m, int vmi, struct machine_blk *b, struct conf_err *err)
{
	const struct scenario *sc = m->sc;
	const struct machine_vm *vm = &m->vms[vmi];
	const struct vm_conf *vc = vm->conf;
	const struct virtio_blk_conf *bc = &vc->virtio_blk;
	int nv = vm->nvcpu, nq = bc->num_queues ? (int)bc->num_queues : nv;
	char msg[300];
	if (nq < nv || nq > VIRTIO_BLK_MAX_QUEUES) {
		conf_errorf(err, machine_key_node(sc, vmi, "virtio_blk", "num_queues"), "vm.virtio_blk.num_queues",
			    "%d queues for %d vCPUs: expected %d to %d (a queue per vCPU at least: completions on "
			    "another vCPU are not modelled)", nq, nv, nv, VIRTIO_BLK_MAX_QUEUES);
		return -1;
	}
	int per_q = (int)((vc->fio.numjobs + nv - 1) / nv);
	if (per_q * vc->fio.iodepth > VIRTQUEUE_SIZE) {
		conf_errorf(err, machine_key_node(sc, vmi, "fio", "iodepth"), "vm.fio.iodepth",
			    "%d jobs of iodepth %lld share a queue of %d entries (expected at most %d in flight per queue)",
			    per_q, (long long)vc->fio.iodepth, VIRTQUEUE_SIZE, VIRTQUEUE_SIZE);
		return -1;
	}
	if (bc->vector + nq - 1 > 0xef) {
		conf_errorf(err, machine_key_node(sc, vmi, "virtio_blk", "vector"), "vm.virtio_blk.vector",
			    "vectors 0x%llx + %d queues go past 0xef", (long long)bc->vector, nq);
		return -1;
	}
	int cpu = bc->iothread_pcpu < 0 ? (int)sc->host.pcpus - 1 : (int)bc->iothread_pcpu;
	if (cpu >= (int)sc->host.pcpus) {
		conf_errorf(err, machine_key_node(sc, vmi, "virtio_blk", "iothread_pcpu"), "vm.virtio_blk.iothread_pcpu",
			    "pCPU %d, but the host has %lld (0 to %lld)", cpu, (long long)sc->host.pcpus,
			    (long long)sc->host.pcpus - 1);
		return -1;
	}
	if (bc->poll_source && !vc->guest_haltpoll.enabled) {
		conf_errorf(err, machine_key_node(sc, vmi, "virtio_blk", "poll_source"), "vm.virtio_blk.poll_source",
			    "poll sources are polled by cpuidle-haltpoll's poll state: set vm.guest_haltpoll.enabled");
		return -1;
	}
	b->vm = vmi;
	snprintf(b->name, sizeof(b->name), "%.20s/iothread", vm->name);
	virtio_backend_init(&b->thread, m->sim, &m->host->cpu[cpu], b->name, IOTHREAD_PID_BASE + vmi);
	if (m->ndev_tasks < 16) {
		m->dev_task[m->ndev_tasks] = &b->thread.task;
		m->dev_task_name[m->ndev_tasks++] = b->name;
	}
	b->thread.poll_ns = bc->iothread_poll_ns;
	char stream[64];
	snprintf(stream, sizeof(stream), "%s/virtio-blk", vm->name);
	virtio_blk_dev_init(&b->dev, m->sim, &m->prof, &b->thread, nq, sc->seed, stream);
	struct source_conf none = { .type = SRC_IDLE };
	for (int q = 0; q < nq; q++) {
		struct vcpu *v = &m->vcpus[vm->first_vcpu + q % nv];
		struct guest_cpu *g = &m->guests[vm->first_vcpu + q % nv];
		uint8_t vec = (uint8_t)(bc->vector + q);
		snprintf(stream, sizeof(stream), "%s/vq%d", vm->name, q);
		if (vcpu_add_msi(v, vec, &none, sc->seed, stream, msg, sizeof(msg)) ||
		    guest_add_driver(g, vec, 0, sc->seed, stream, msg, sizeof(msg))) {
			conf_errorf(err, machine_key_node(sc, vmi, "virtio_blk", "vector"), "vm.virtio_blk.vector",
				    "%s (queue q takes vector + q)", msg);
			return -1;
		}
		b->msi[q] = &v->vec[v->nvec - 1];
		v->pio_write = machine_pio_write;
		v->pio_ctx = &b->io;
		b->dev.vq[q].irqfd = (struct virtio_hook){ machine_irqfd, b->msi[q] };
		virtio_ioeventfd_assign(&b->io, &b->dev.vq[q]);
		virtblk_queue_init(&b->q[q], &b->dev.vq[q], g, vec, bc->poll_source, bc->io_poll);
	}
	b->njobs = (int)vc->fio.numjobs;
	b->jobs = xcalloc((size_t)b->njobs, sizeof(*b->jobs));
	for (int j = 0; j < b->njobs; j++) {
		int c = j % nv;
		snprintf(stream, sizeof(stream), "%s/fio%d", vm->name, j);
		fio_job_start(&b->jobs[j], &vc->fio, &m->guests[vm->first_vcpu + c], &b->q[c % nq], j, sc->seed, stream);
	}
	return 0;
}

int machine_blk_build(struct machine *m, struct conf_err *err)
{
	m->blk = xcalloc((size_t)m->nvms, sizeof(*m->blk));
	for (int i = 0; i < m->nvms; i++)
		if (m->vms[i].conf->fio.numjobs > 0) {
			m->blk[i] = xcalloc(1, sizeof(**m->blk));
			if (build_one(m, i, m->blk[i], err))
				return -1;
		}
	return 0;
}

void machine_blk_stats_reset(struct machine *m)
{
	for (int i = 0; m->blk && i < m->nvms; i++) {
		struct machine_blk *b = m->blk[i];
		if (!b)
			continue;
		virtio_backend_stats_reset(&b->thread);
		host_task_stats_reset(&b->thread.task);
		virtio_blk_dev_stats_reset(&b->dev);
		for (int q = 0; q < b->dev.nvq; q++)
			virtblk_queue_stats_reset(&b->q[q]);
		for (int j = 0; j < b->njobs; j++)
			fio_job_stats_reset(&b->jobs[j]);
	}
}

void machine_blk_free(struct machine *m)
{
	for (int i = 0; m->blk && i < m->nvms; i++) {
		struct machine_blk *b = m->blk[i];
		if (!b)
			continue;
		for (int j = 0; j < b->njobs; j++)
			fio_job_free(&b->jobs[j]);
		free(b->jobs);
		virtio_blk_dev_free(&b->dev);
		virtio_backend_free(&b->thread);
		free(b);
	}
	free(m->blk);
	m->blk = NULL;
}
