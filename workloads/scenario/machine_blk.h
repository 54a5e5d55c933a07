/*
 * machine_blk.h - a VM's virtio-blk disk and the fio jobs on it, built from
 * vm.virtio_blk and vm.fio: the device (models/virtio/blk.h) with its IOThread
 * on a host pCPU, its queues' ioeventfds (KVM's notify-port table) and irqfds
 * (each queue's MSI on the vCPU of its affinity), the guest driver's queues
 * (models/guest/virtio_blk.h) and the jobs (workloads/fio.h). Its part of the
 * outputs: fio's summary block, and "fio" in the run's JSON.
 */
#ifndef KVMSIM_SCENARIO_MACHINE_BLK_H
#define KVMSIM_SCENARIO_MACHINE_BLK_H

#include <stdio.h>

#include <jansson.h>

#include "models/guest/virtio_blk.h"
#include "models/virtio/blk.h"
#include "workloads/fio.h"
#include "workloads/scenario/machine.h"

struct machine_blk {
	int vm; /* its VM's index */
	struct virtio_backend thread;
	struct virtio_blk_dev dev;
	struct virtio_ioeventfds io;
	struct virtblk_queue q[VIRTIO_BLK_MAX_QUEUES];
	struct vcpu_vector *msi[VIRTIO_BLK_MAX_QUEUES];
	struct fio_job *jobs;
	int njobs;
	char name[32];
};

/* machine_blk_build - every VM's disk and fio (VMs with vm.fio.numjobs > 0); -1 with a message. */
int machine_blk_build(struct machine *m, struct conf_err *err);
void machine_blk_stats_reset(struct machine *m);
void machine_blk_free(struct machine *m);
/* machine_blk_report - fio's summary per VM (nothing without fio). */
void machine_blk_report(FILE *f, const struct machine *m);
/* machine_blk_json - "fio": per VM its IOPS, clat percentiles and CPU (nothing without fio). */
void machine_blk_json(json_t *root, const struct machine *m);

#endif
