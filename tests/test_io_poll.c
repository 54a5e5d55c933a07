/*
 * test_io_poll.c - poll_source, the virtqueue's suppression flags, and fio on
 * virtio-blk (issue 14): the callbacks' order around the idle poll, interrupt
 * suppression and the race re-check in stop(), fio's closed loop (what it
 * completed is IOPS x time; no job over iodepth), seeded determinism, and the
 * poll_source gains of the shipped scenarios against the published ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/guest/guest.h"
#include "models/guest/poll_source.h"
#include "models/virtio/virtqueue.h"
#include "workloads/scenario/machine.h"
#include "workloads/scenario/machine_blk.h"

/* ---- the virtqueue's flags ------------------------------------------------------------ */

static int irqfd_calls, watch_calls;
static void on_irqfd(void *ctx) { irqfd_calls++; }
static void on_watch(void *ctx) { watch_calls++; }

static void test_suppression(void **state)
{
	struct virtqueue vq;
	virtqueue_init(&vq, 0);
	vq.irqfd = (struct virtio_hook){ on_irqfd, NULL };
	vq.used_watch = (struct virtio_hook){ on_watch, NULL };
	irqfd_calls = watch_calls = 0;
	struct virtio_req r = { .type = VIRTIO_BLK_T_IN, .len = 4096 };
	int id = virtqueue_add(&vq, &r);
	assert_true(id >= 0);
	assert_int_equal(virtqueue_pop(&vq), id);
	assert_int_equal(virtqueue_pop(&vq), -1);
	virtqueue_push(&vq, (uint16_t)id);
	assert_true(virtqueue_notify_guest(&vq)); /* interrupts on: the irqfd */
	assert_int_equal(irqfd_calls, 1);
	assert_int_equal(watch_calls, 0);
	struct virtio_req got;
	assert_true(virtqueue_get_buf(&vq, &got));
	assert_false(virtqueue_get_buf(&vq, &got));

	/* suppressed: no irqfd, the spinning reader is told; enable_cb reports the raced entry */
	virtqueue_disable_cb(&vq);
	id = virtqueue_add(&vq, &r);
	virtqueue_pop(&vq);
	virtqueue_push(&vq, (uint16_t)id);
	assert_false(virtqueue_notify_guest(&vq));
	assert_int_equal(irqfd_calls, 1);
	assert_int_equal(watch_calls, 1);
	assert_int_equal(vq.irqs_suppressed, 1);
	assert_true(virtqueue_enable_cb(&vq)); /* look again */
	assert_true(virtqueue_get_buf(&vq, &got));
	assert_false(virtqueue_enable_cb(&vq)); /* nothing waits now */
	assert_int_equal(virtqueue_in_flight(&vq), 0);
}

/* ---- poll_source's calls from the idle loop --------------------------------------------- */

static char order[64];
static bool have_work;
static struct poll_source *seen_src;

static void ps_start(struct poll_source *s) { strcat(order, "S"); }
static bool ps_poll(struct poll_source *s)
{
	strcat(order, "P");
	seen_src = s;
	return have_work;
}
static void ps_stop(struct poll_source *s)
{
	strcat(order, "T");
	if (have_work) { /* stop() re-checks: work that raced in is handled now */
		struct gop run = { .kind = GOP_RUN, .ps = 1 };
		guest_push_front(s->g, &run);
	}
}
static const struct poll_source_ops ops = { ps_start, ps_poll, ps_stop };

static void test_poll_source_order(void **state)
{
	struct sim *sim = sim_new();
	struct cost_profile prof;
	struct conf_err err;
	assert_int_equal(cost_profile_load(&prof, "haswell-ep", &err), 0);
	assert_int_equal(cost_profile_override(&prof, NULL, &err), 0);
	struct guest_cpu g;
	memset(&g, 0, sizeof(g));
	g.sim = sim;
	g.prof = &prof;
	struct poll_source src = { .ops = &ops, .cost = 1000 };
	order[0] = 0;
	have_work = false;
	assert_false(poll_source_poll(&g)); /* nothing registered, nothing started */
	poll_source_register(&g, &src);
	assert_ptr_equal(src.g, &g);
	assert_int_equal(poll_source_iter(&g), prof.ps[COST_guest_relax200] / 200 + 1000);
	assert_false(poll_source_poll(&g)); /* not started: poll() is not called */
	assert_string_equal(order, "");
	assert_false(poll_source_start(&g)); /* start, then the first iteration's poll */
	assert_false(poll_source_poll(&g));
	assert_string_equal(order, "SPP");
	have_work = true;
	assert_true(poll_source_poll(&g));
	assert_ptr_equal(seen_src, &src);
	poll_source_stop(&g);
	assert_string_equal(order, "SPPPT");
	assert_int_equal(g.qn, 1); /* the re-check's handling is queued */
	assert_int_equal(src.stop_found, 1);
	poll_source_stop(&g); /* a second stop does nothing */
	assert_string_equal(order, "SPPPT");
	poll_source_unregister(&src);
	assert_null(g.poll_sources);
	free(g.q);
	cost_profile_free(&prof);
	sim_free(sim);
}

/* ---- fio on virtio-blk, end to end --------------------------------------------------------- */

struct run {
	struct scenario sc;
	struct machine m;
};

static struct run *run_fio(const char *file, const char *const *sets)
{
	struct run *r = calloc(1, sizeof(*r));
	struct scenario_set ss[16];
	size_t n = 0;
	for (; sets && sets[n]; n++)
		ss[n] = (struct scenario_set){ sets[n], NULL };
	char path[512];
	snprintf(path, sizeof(path), "%s/workloads/scenarios/%s", getenv("KVMSIM_SRC"), file);
	struct conf_err err;
	if (scenario_load(&r->sc, path, ss, n, &err))
		fail_msg("scenario: %s", err.msg);
	if (machine_build(&r->m, &r->sc, NULL, &err))
		fail_msg("build: %s", err.msg);
	machine_run_until(&r->m, r->sc.duration);
	machine_finish(&r->m);
	return r;
}

static void run_free(struct run *r)
{
	machine_free(&r->m);
	scenario_free(&r->sc);
	free(r);
}

static uint64_t total_ios(const struct machine_blk *b)
{
	uint64_t n = 0;
	for (int j = 0; j < b->njobs; j++)
		n += b->jobs[j].ios[0] + b->jobs[j].ios[1];
	return n;
}

static double iops(const struct run *r)
{
	return (double)total_ios(r->m.blk[0]) * SIM_S / (double)(r->m.end - r->m.warmup);
}

static void test_fio_closed_loop(void **state)
{
	const char *sets[] = { "vm.fio.iodepth=3", "vm.fio.rw=randrw", "duration=100ms", "warmup=20ms", NULL };
	struct run *r = run_fio("fio-randread.yaml", sets);
	const struct machine_blk *b = r->m.blk[0];
	assert_non_null(b);
	assert_int_equal(b->njobs, 4);
	uint64_t reads = 0, writes = 0, clat = 0;
	for (int j = 0; j < b->njobs; j++) {
		const struct fio_job *job = &b->jobs[j];
		assert_true(job->max_inflight <= 3);  /* never more than iodepth in flight */
		assert_int_equal(job->max_inflight, 3); /* and a closed loop keeps it full */
		assert_true(job->inflight + job->ndone <= 3);
		reads += job->ios[0];
		writes += job->ios[1];
		clat += job->clat[0].count + job->clat[1].count;
	}
	assert_int_equal(clat, reads + writes); /* every completion has its clat */
	assert_true(reads > writes / 2 && writes > reads / 2); /* rwmixread 50 */
	/* what the device completed after the warm-up, less what waits to be reaped, is what fio counts,
	 * within what was in flight at the warm-up's end */
	uint64_t waiting = 0;
	for (int j = 0; j < b->njobs; j++)
		waiting += (uint64_t)(b->jobs[j].inflight + b->jobs[j].ndone);
	assert_true(b->dev.completed + 12 >= total_ios(b) && b->dev.completed <= total_ios(b) + waiting + 12);
	/* IOPS x time is the count */
	assert_true(fabs(iops(r) * 0.080 - (double)total_ios(b)) < 1.0);
	run_free(r);
}

static void test_fio_deterministic(void **state)
{
	const char *sets[] = { "duration=60ms", "warmup=10ms", "vm.virtio_blk.poll_source=true", NULL };
	const char *seed2[] = { "duration=60ms", "warmup=10ms", "vm.virtio_blk.poll_source=true", "seed=2", NULL };
	struct run *a = run_fio("fio-randread.yaml", sets), *b = run_fio("fio-randread.yaml", sets),
		   *c = run_fio("fio-randread.yaml", seed2);
	assert_int_equal(total_ios(a->m.blk[0]), total_ios(b->m.blk[0]));
	for (int j = 0; j < 4; j++)
		assert_int_equal(a->m.blk[0]->jobs[j].clat[0].sum, b->m.blk[0]->jobs[j].clat[0].sum);
	assert_int_not_equal(a->m.blk[0]->jobs[0].clat[0].sum, c->m.blk[0]->jobs[0].clat[0].sum);
	run_free(a);
	run_free(b);
	run_free(c);
}

/* poll_source: completions polled, not interrupted; the published gain of ~11% within the
 * three points (docs/io-polling.md: baseline randread fitted, the rest predicted). */
static void test_poll_source_gains(void **state)
{
	static const struct { const char *file; double base, polled; } pub[] = {
		{ "fio-randread.yaml", 167102, 186049 },
		{ "fio-randwrite.yaml", 162204, 181214 },
		{ "fio-randrw.yaml", 159520, 177071 },
	};
	const char *on[] = { "vm.virtio_blk.poll_source=true", NULL };
	for (size_t i = 0; i < 3; i++) {
		struct run *b = run_fio(pub[i].file, NULL), *p = run_fio(pub[i].file, on);
		double gain = 100 * (iops(p) / iops(b) - 1), want = 100 * (pub[i].polled / pub[i].base - 1);
		const struct machine_blk *pb = p->m.blk[0];
		uint64_t irqs = 0, polled = 0;
		for (int q = 0; q < pb->dev.nvq; q++) {
			irqs += pb->dev.vq[q].irqs;
			polled += pb->q[q].polled_reqs;
		}
		assert_true(polled > 20 * irqs); /* nearly every completion found by polling */
		print_message("%s: baseline %.0f (published %.0f), gain %+.1f%% (published %+.1f%%)\n", pub[i].file,
			      iops(b), pub[i].base, gain, want);
		assert_true(gain > want - 3 && gain < want + 3);
		run_free(b);
		run_free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suppression),
		cmocka_unit_test(test_poll_source_order),
		cmocka_unit_test(test_fio_closed_loop),
		cmocka_unit_test(test_fio_deterministic),
		cmocka_unit_test(test_poll_source_gains),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
