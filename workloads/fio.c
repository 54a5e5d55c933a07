/* fio.c - fio's closed loop in the guest and its report (see fio.h). */
#include "workloads/fio.h"

#include <math.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "models/costs/costs.h"
#include "models/guest/guest.h"
#include "sim/rng.h"
#include "sim/xalloc.h"

static const char *const rw_choices[] = { "randread", "randwrite", "randrw", NULL };
const char *const fio_rw_names[] = { "randread", "randwrite", "randrw" };

#define F(f) offsetof(struct fio_conf, f)
static const struct cfg_key fio_keys[] = {
	{ "numjobs", CFG_INT, F(numjobs), NULL, "0", 0, 256, "fio --numjobs: jobs, job j on vCPU j % vcpus (0: no fio)" },
	{ "iodepth", CFG_INT, F(iodepth), NULL, "1", 1, 128, "fio --iodepth: requests each job keeps in flight" },
	{ "bs", CFG_BYTES, F(bs), NULL, "4k", 512, 1048576, "fio --bs: bytes per request (4k, 64k, 1M as fio takes them)" },
	{ "rw", CFG_ENUM, F(rw), NULL, "randread", 0, 0, "fio --rw: randread, randwrite or randrw",
	  .choices = rw_choices },
	{ "rwmixread", CFG_INT, F(rwmixread), "%", "50", 0, 100, "fio --rwmixread: percent of reads with randrw" },
	{ NULL },
};
#undef F
/* fio_check - a block size is whole 512-byte sectors (fio refuses others on a block device). */
static int fio_check(void *obj, const struct conf_node *map, const char *path, struct conf_err *err)
{
	const struct fio_conf *c = obj;
	if (c->bs % 512 == 0)
		return 0;
	char p[96];
	snprintf(p, sizeof(p), "%s.bs", path);
	const struct conf_node *n = map ? conf_get(map, "bs") : NULL;
	conf_errorf(err, n ? n : map, p, "%lld bytes: expected a multiple of 512 (whole sectors)", (long long)c->bs);
	return -1;
}
const struct cfg_section fio_section = { "fio", fio_keys, sizeof(struct fio_conf), fio_check };

#define B(f) offsetof(struct virtio_blk_conf, f)
static const struct cfg_key virtio_blk_keys[] = {
	{ "num_queues", CFG_INT, B(num_queues), NULL, "0", 0, 64,
	  "virtqueues (blk-mq hardware queues), at least one per vCPU (0: one per vCPU)" },
	{ "poll_source", CFG_BOOL, B(poll_source), NULL, "false", 0, 0,
	  "the queues are poll sources of their vCPUs' idle poll (poll_source RFC; needs guest_haltpoll)" },
	{ "io_poll", CFG_BOOL, B(io_poll), NULL, "false", 0, 0,
	  "block-layer polled I/O: poll queues without interrupts, the submitting job busy-waits" },
	{ "iothread_pcpu", CFG_INT, B(iothread_pcpu), NULL, "-1", -1, 1023,
	  "the pCPU of the device's IOThread (-1: the last pCPU)" },
	{ "iothread_poll_ns", CFG_TIME, B(iothread_poll_ns), "ns", "32768ns", 0, 0,
	  "the IOThread polls this long for work before sleeping (QEMU's poll-max-ns; 0: no polling)" },
	{ "vector", CFG_INT, B(vector), NULL, "0x50", 0x20, 0xef, "queue q's MSI-X vector is vector + q" },
	{ NULL },
};
#undef B
const struct cfg_section virtio_blk_section = { "virtio_blk", virtio_blk_keys, sizeof(struct virtio_blk_conf), NULL };

static void step(struct guest_cpu *g, struct gop *op);

static void push_step(struct fio_job *j, bool front)
{
	struct gop s = { .kind = GOP_CALL, .task = 1, .fn = step, .ctx = j };
	if (front)
		guest_push_front(j->g, &s);
	else
		guest_push_back(j->g, &s);
}

/* reap - the job reaps its completions (clat is taken as each one is reaped), then goes on. */
static void reap(struct guest_cpu *g, struct gop *op)
{
	struct fio_job *j = op->ctx;
	sim_time_t now = sim_now(g->sim);
	for (int i = 0; i < j->ndone; i++) {
		struct virtblk_req *r = j->done[i];
		int dir = r->type == VIRTIO_BLK_T_OUT;
		j->ios[dir]++;
		sim_hist_record(&j->clat[dir], (now - r->submitted) / SIM_NS);
		j->freel[j->nfree++] = r;
	}
	j->ndone = 0;
	push_step(j, true);
}

/* end_io - a request of this job completed (in its handler, or found by its own polling). */
static void end_io(struct guest_cpu *g, struct virtblk_req *r, bool polled)
{
	struct fio_job *j = r->ctx;
	j->inflight--;
	j->done[j->ndone++] = r;
	struct gop run = { .kind = GOP_RUN, .task = 1, .ps = guest_cost(g, COST_guest_fio_reap) };
	struct gop call = { .kind = GOP_CALL, .task = 1, .fn = reap, .ctx = j };
	if (polled) { /* the job is running: it reaps at once */
		guest_push_front(g, &call);
		guest_push_front(g, &run);
	} else if (j->sleeping) { /* wake the job: it runs after the interrupt work */
		j->sleeping = false;
		struct gop wake = { .kind = GOP_RUN, .task = 1, .ps = guest_cost(g, COST_guest_blk_wake) };
		guest_push_back(g, &wake);
		guest_push_back(g, &run);
		guest_push_back(g, &call);
	}
	/* else the job is running and reaps it with the next step */
}

/* step - the job's loop: submit while it has room, else reap what completed, else wait. */
static void step(struct guest_cpu *g, struct gop *op)
{
	struct fio_job *j = op->ctx;
	if (j->ndone) {
		struct gop call = { .kind = GOP_CALL, .task = 1, .fn = reap, .ctx = j };
		guest_push_front(g, &call);
		return;
	}
	if (j->inflight < j->conf->iodepth && j->nfree) {
		struct virtblk_req *r = j->freel[--j->nfree];
		bool read = j->conf->rw == FIO_RANDREAD ||
			    (j->conf->rw == FIO_RANDRW && gsl_rng_uniform(j->rng) * 100 < (double)j->conf->rwmixread);
		*r = (struct virtblk_req){ .type = read ? VIRTIO_BLK_T_IN : VIRTIO_BLK_T_OUT,
					   .len = (uint32_t)j->conf->bs, .submitted = sim_now(g->sim),
					   .end_io = end_io, .ctx = j };
		push_step(j, true); /* after this submission: the next step */
		if (virtblk_submit(g, j->q, r)) { /* the build checked that every job's io_u fit the rings */
			fprintf(stderr, "kvmsim: internal error: %s: virtqueue %d full\n", g->name, j->q->vq->index);
			abort();
		}
		j->inflight++;
		if (j->inflight > j->max_inflight)
			j->max_inflight = j->inflight;
		return;
	}
	if (j->q->io_poll)
		virtblk_io_poll_wait(g, j->q); /* busy-wait; what it reaps comes back here */
	else
		j->sleeping = true; /* io_getevents() blocks; end_io wakes it */
}

void fio_job_start(struct fio_job *j, const struct fio_conf *c, struct guest_cpu *g, struct virtblk_queue *q, int id,
		   uint64_t seed, const char *stream)
{
	memset(j, 0, sizeof(*j));
	j->conf = c;
	j->g = g;
	j->q = q;
	j->id = id;
	j->rng = sim_rng_new(seed, stream);
	int n = (int)c->iodepth;
	j->io_u = xcalloc((size_t)n, sizeof(*j->io_u));
	j->freel = xcalloc((size_t)n, sizeof(*j->freel));
	j->done = xcalloc((size_t)n, sizeof(*j->done));
	for (int i = 0; i < n; i++)
		j->freel[j->nfree++] = &j->io_u[i];
	sim_hist_init(&j->clat[0]);
	sim_hist_init(&j->clat[1]);
	push_step(j, false);
}

void fio_job_stats_reset(struct fio_job *j)
{
	j->ios[0] = j->ios[1] = 0;
	for (int d = 0; d < 2; d++) {
		sim_hist_free(&j->clat[d]);
		sim_hist_init(&j->clat[d]);
	}
}

void fio_job_free(struct fio_job *j)
{
	if (j->rng)
		gsl_rng_free(j->rng);
	free(j->io_u);
	free(j->freel);
	free(j->done);
	sim_hist_free(&j->clat[0]);
	sim_hist_free(&j->clat[1]);
}

static const double fio_pct[] = { 1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.5, 99.9, 99.95, 99.99 };

void fio_summary(FILE *f, const struct fio_job *j, int n, double secs)
{
	static const char *const dir_name[] = { "read", "write" };
	for (int d = 0; d < 2; d++) {
		struct sim_hist h;
		sim_hist_init(&h);
		uint64_t ios = 0;
		for (int i = 0; i < n; i++) {
			ios += j[i].ios[d];
			sim_hist_merge(&h, &j[i].clat[d]);
		}
		if (!ios) {
			sim_hist_free(&h);
			continue;
		}
		double iops = secs > 0 ? (double)ios / secs : 0, bw = iops * (double)j[0].conf->bs / (1024.0 * 1024.0);
		fprintf(f, "  %s: IOPS=%.0f, BW=%.1fMiB/s (%.1fMB/s)(%llu ios)\n", dir_name[d], iops, bw,
			iops * (double)j[0].conf->bs / 1e6, (unsigned long long)ios);
		fprintf(f, "    clat (usec): min=%lld, max=%lld, avg=%.2f\n", (long long)(h.min / 1000),
			(long long)((h.max + 999) / 1000), sim_hist_mean(&h) / 1000.0);
		fprintf(f, "     clat percentiles (usec):\n");
		for (size_t k = 0; k < sizeof(fio_pct) / sizeof(fio_pct[0]); k++) {
			fprintf(f, "%s%5.2fth=[%5lld]%s", k % 4 == 0 ? "     | " : " ", fio_pct[k],
				(long long)((sim_hist_quantile(&h, fio_pct[k] / 100.0) + 999) / 1000),
				k + 1 == sizeof(fio_pct) / sizeof(fio_pct[0]) ? "\n" : k % 4 == 3 ? ",\n" : ",");
		}
		sim_hist_free(&h);
	}
}

size_t fio_percentiles(const double **pct)
{
	*pct = fio_pct;
	return sizeof(fio_pct) / sizeof(fio_pct[0]);
}
