/*
 * fio.h - fio in the guest on a virtio-blk disk (models/guest/virtio_blk.h):
 * numjobs jobs, job j on vCPU j % vCPUs, each a closed loop of iodepth
 * requests of bs bytes: a job keeps iodepth requests in flight, and submits
 * the next when it has reaped a completion. rw: randread, randwrite, or
 * randrw with rwmixread percent of reads (no seek is modelled, so random and
 * sequential do not differ).
 *
 * Waiting. Without io_poll a job with iodepth requests in flight sleeps; a
 * completion's handler wakes it (guest_blk_wake), and it reaps every
 * completion it has (guest_fio_reap each). With io_poll it busy-waits on
 * its queue instead (virtio_blk.h).
 *
 * Results as fio reports them: IOPS and bandwidth per direction, completion
 * latency (clat: submission to the job's reaping of it) with fio's
 * "clat percentiles (usec)" block; counted after the warm-up.
 */
#ifndef KVMSIM_WORKLOADS_FIO_H
#define KVMSIM_WORKLOADS_FIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <gsl/gsl_rng.h>

#include "models/guest/virtio_blk.h"
#include "sim/hist.h"
#include "sim/schema.h"

enum fio_rw { FIO_RANDREAD, FIO_RANDWRITE, FIO_RANDRW };

struct fio_conf {
	int64_t numjobs; /* 0: no fio */
	int64_t iodepth;
	int64_t bs;      /* bytes */
	int rw;          /* enum fio_rw */
	int64_t rwmixread;
};

extern const struct cfg_section fio_section;
extern const char *const fio_rw_names[];

struct fio_job {
	const struct fio_conf *conf;
	struct guest_cpu *g;
	struct virtblk_queue *q;
	int id;
	gsl_rng *rng; /* read or write */
	struct virtblk_req *io_u;  /* iodepth of them */
	struct virtblk_req **freel; /* free io_u */
	int nfree;
	struct virtblk_req **done; /* completed, not yet reaped */
	int ndone;
	int inflight; /* submitted, not yet completed */
	bool sleeping;
	/* results (after the warm-up) */
	uint64_t ios[2];       /* reads, writes reaped */
	struct sim_hist clat[2]; /* ns */
	int max_inflight;
};

/* fio_job_start - job `id` on guest g submitting on q; the loop starts at once. */
void fio_job_start(struct fio_job *j, const struct fio_conf *c, struct guest_cpu *g, struct virtblk_queue *q, int id,
		   uint64_t seed, const char *stream);
void fio_job_stats_reset(struct fio_job *j);
void fio_job_free(struct fio_job *j);

/* fio_summary - fio's per-direction lines for jobs j[0..n) over `secs` of measurement (group
 * reporting: the jobs as one). */
void fio_summary(FILE *f, const struct fio_job *j, int n, double secs);


/* The disk fio runs on: vm.virtio_blk (a virtio-blk device with an IOThread). */
struct virtio_blk_conf {
	int64_t num_queues;    /* 0: one per vCPU */
	bool poll_source;      /* the queues are poll sources of their vCPUs (poll_source RFC) */
	bool io_poll;          /* block-layer polling: poll queues, the submitter busy-waits */
	int64_t iothread_pcpu; /* -1: the last pCPU */
	sim_time_t iothread_poll_ns; /* the IOThread's polling before it sleeps */
	int64_t vector;        /* queue q's MSI-X vector is vector + q */
};

extern const struct cfg_section virtio_blk_section;

/* fio_percentiles - fio's default clat percentiles (in percent); their count. */
size_t fio_percentiles(const double **pct);

#endif
