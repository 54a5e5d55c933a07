/*
 * test_net.c - virtio-net through vhost and netperf TCP_RR (issue 13): packet
 * conservation (what a guest sent is received, or in flight somewhere on the
 * path), each round trip at least the sum of its path's fixed costs, the
 * notify and interrupt suppression invariants (and that they suppress),
 * seeded determinism, and every pCPU's time adding up to the span.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "workloads/scenario/machine.h"
#include "workloads/scenario/machine_net.h"

struct run {
	struct scenario sc;
	struct machine m;
};

/* load - tcp-rr.yaml with sets, built, not yet run. */
static struct run *load(const char *const *sets)
{
	struct run *r = calloc(1, sizeof(*r));
	struct scenario_set ss[16];
	size_t n = 0;
	for (; sets && sets[n]; n++)
		ss[n] = (struct scenario_set){ sets[n], NULL };
	char path[512];
	snprintf(path, sizeof(path), "%s/workloads/scenarios/tcp-rr.yaml", getenv("KVMSIM_SRC"));
	struct conf_err err;
	if (scenario_load(&r->sc, path, ss, n, &err))
		fail_msg("scenario: %s", err.msg);
	if (machine_build(&r->m, &r->sc, NULL, &err))
		fail_msg("build: %s", err.msg);
	return r;
}

static void finish(struct run *r)
{
	machine_run_until(&r->m, r->sc.duration);
	machine_finish(&r->m);
}

static void run_free(struct run *r)
{
	machine_free(&r->m);
	scenario_free(&r->sc);
	free(r);
}

static struct machine_net *client(struct run *r)
{
	return r->m.net[0];
}

static struct machine_net *server(struct run *r)
{
	return r->m.net[1];
}

/* conserved - sender a's messages: received by b's task, or somewhere between (the task's pending
 * sends, a dropped TX, the rings and the tap, b's socket). */
static void conserved(const struct machine_net *a, const struct machine_net *b)
{
	uint64_t in_flight = a->nic.pn + virtio_net_in_flight(&a->dev) + b->end.sn;
	assert_int_equal(a->nic.tx_dropped, 0);
	assert_int_equal(b->dev.rx_starved, 0);
	assert_int_equal(a->end.msgs_out, b->end.msgs_in + in_flight);
}

static void test_conservation(void **state)
{
	static const char *const sets[] = { "warmup=0", "duration=50ms", "vms.0.tcp_rr.outstanding=8", NULL };
	struct run *r = load(sets);
	uint64_t max_in_flight = 0;
	for (sim_time_t t = 1234567; t < r->sc.duration; t += 777777) { /* stop anywhere on the path */
		machine_run_until(&r->m, t);
		conserved(client(r), server(r));
		conserved(server(r), client(r));
		uint64_t f = virtio_net_in_flight(&client(r)->dev) + virtio_net_in_flight(&server(r)->dev);
		if (f > max_in_flight)
			max_in_flight = f;
		/* the closed loop: never more requests unanswered than outstanding */
		assert_true(client(r)->end.issued - client(r)->end.done <= 8);
	}
	finish(r);
	assert_true(client(r)->end.done > 100);
	assert_true(max_in_flight > 0); /* the stops did find packets on the way */
	run_free(r);
}

static void test_rtt_bound(void **state)
{
	static const char *const sets[] = { "duration=100ms", "vms.0.tcp_rr.request_size=4096",
					    "vms.0.tcp_rr.response_size=1024", NULL };
	struct run *r = load(sets);
	/* every per-message cost fixed at its mean, so that the bound holds for each draw */
	static const int ids[] = { COST_guest_net_send, COST_vhost_net_tx, COST_net_bridge_fwd, COST_vhost_net_rx,
				   COST_guest_net_rx, COST_guest_net_recv };
	sim_time_t one_way = 0;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		r->m.prof.draw[ids[i]] = COST_DRAW_FIXED;
		one_way += r->m.prof.ps[ids[i]];
	}
	/* the payload: copied from user, by vhost TX, by vhost RX, to user */
	sim_time_t bound = 2 * one_way + 4 * r->m.prof.ps[COST_net_copy_kb] * (4096 + 1024) / 1024;
	finish(r);
	const struct tcp_rr_end *e = &client(r)->end;
	assert_true(e->done > 100);
	assert_true(e->rtt_min_ps >= bound);
	assert_true((sim_time_t)e->rtt.min * SIM_NS >= bound - SIM_NS); /* the histogram too (ns) */
	/* and not absurdly far above it: the rest is exits, wake-ups and delivery */
	assert_true(e->rtt_min_ps < 4 * bound);
	run_free(r);
}

static void test_suppression(void **state)
{
	static const char *const sets[] = { "warmup=0", "duration=50ms", "vms.0.tcp_rr.outstanding=16", NULL };
	struct run *r = load(sets);
	for (sim_time_t t = 1000003; t < r->sc.duration; t += 333331) {
		machine_run_until(&r->m, t);
		for (int i = 0; i < 2; i++) {
			const struct machine_net *n = r->m.net[i];
			/* interrupts are off exactly while NAPI is scheduled */
			assert_int_equal(n->nic.rx->no_interrupt, n->nic.napi_scheduled);
			/* TX notifications are off only while the worker has handle_tx() queued or running */
			if (n->dev.vq[VIRTIO_NET_TXQ].no_notify)
				assert_true(n->dev.tx_queued);
			assert_true(n->dev.vq[VIRTIO_NET_TXQ].no_interrupt); /* no napi_tx */
		}
	}
	finish(r);
	for (int i = 0; i < 2; i++) {
		const struct machine_net *n = r->m.net[i];
		const struct virtqueue *rx = &n->dev.vq[VIRTIO_NET_RXQ], *tx = &n->dev.vq[VIRTIO_NET_TXQ];
		/* with 16 in flight, packets are batched: fewer interrupts than packets, fewer kicks than sends */
		assert_true(n->nic.irqs < n->nic.rx_pkts);
		assert_true(n->nic.kicks < n->nic.xmits);
		/* a handler per signalled irqfd at most (two signals may merge in IRR, one may be on its way) */
		assert_true(n->nic.irqs > 0 && n->nic.irqs <= rx->irqs);
		assert_true(rx->irqs_suppressed > 0);          /* some batches found NAPI polling */
		assert_int_equal(tx->irqs, 0);                 /* TX never interrupts */
		assert_true(tx->notifies <= n->nic.kicks);     /* each notify came from a kick */
	}
	run_free(r);
}

static void test_determinism(void **state)
{
	static const char *const a[] = { "duration=50ms", NULL };
	static const char *const b[] = { "duration=50ms", "seed=7", NULL };
	struct run *r1 = load(a), *r2 = load(a), *r3 = load(b);
	finish(r1);
	finish(r2);
	finish(r3);
	assert_int_equal(client(r1)->end.done, client(r2)->end.done);
	assert_int_equal(client(r1)->end.rtt_sum_ps, client(r2)->end.rtt_sum_ps);
	assert_int_equal(client(r1)->vhost.busy, client(r2)->vhost.busy);
	assert_true(client(r1)->end.rtt_sum_ps != client(r3)->end.rtt_sum_ps);
	run_free(r1);
	run_free(r2);
	run_free(r3);
}

static void test_cpu_adds_up(void **state)
{
	static const char *const sets[] = { "duration=100ms", NULL };
	struct run *r = load(sets);
	finish(r);
	sim_time_t span = r->m.end - r->m.warmup;
	for (int c = 0; c < r->m.host->ncpu; c++) {
		sim_time_t sum = 0;
		for (int a = 0; a < ACCT_N; a++)
			sum += r->m.host->cpu[c].acct_ps[a];
		assert_int_equal(sum, span);
	}
	/* the vhost workers' time is task time on their own pCPUs */
	for (int i = 0; i < 2; i++) {
		const struct machine_net *n = r->m.net[i];
		const struct pcpu *p = n->vhost.task.cpu;
		assert_int_equal(p->id, 2 + i);
		assert_true(n->vhost.busy > 0);
		assert_true(n->vhost.busy + n->vhost.poll <= p->acct_ps[ACCT_TASK]);
	}
	run_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conservation), cmocka_unit_test(test_rtt_bound),
		cmocka_unit_test(test_suppression), cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_cpu_adds_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
