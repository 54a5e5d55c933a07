/*
 * test_ppc_net.c - netperf TCP_RR with several transactions in flight on
 * the POWER8 vcore model (workloads/scenario/machine_ppc_net.h): message
 * conservation on the whole path at any instant, exactly one response per
 * request (a transactions limit drains to equality), the closed loop's bound
 * (never more unanswered than outstanding), throughput and queueing as the
 * burst grows (polling off and on), one message per interrupt with one in
 * flight, and seeded determinism.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/run_util.h"
#include "workloads/scenario/machine_ppc_net.h"

/* run - tcp-rr-power8.yaml with sets (NULL-ended), run to its end. */
static struct run *run(const char *const *sets)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/workloads/scenarios/tcp-rr-power8.yaml", getenv("KVMSIM_SRC"));
	return run_load(path, NULL, sets, 0);
}

static struct ppc_net_end *client(struct run *r)
{
	return r->m.ppc->net[0];
}

static struct ppc_net_end *server(struct run *r)
{
	return r->m.ppc->net[1];
}

/* conserved - a's messages put on its TX ring: taken by b's task, or on the rings, in b's tap, or
 * in b's socket. */
static void conserved(const struct ppc_net_end *a, const struct ppc_net_end *b)
{
	assert_int_equal(b->dev.rx_starved, 0);
	assert_int_equal(a->rr.msgs_out, b->rr.msgs_in + virtio_net_in_flight(&a->dev) + b->rr.sn);
}

static void test_conservation(void **state)
{
	uint64_t most = 0, done = 0, on_path = 0;
	for (long ns = 123457; ns < 30000000; ns += 777777) { /* stop anywhere on the path: the same run, longer */
		char d[64];
		snprintf(d, sizeof(d), "duration=%ldns", ns);
		const char *sets[] = { "warmup=0", "vms.0.tcp_rr.outstanding=4", d, NULL };
		struct run *r = run(sets);
		conserved(client(r), server(r));
		conserved(server(r), client(r));
		uint64_t open = client(r)->rr.issued - client(r)->rr.done;
		assert_true(open <= 4); /* the closed loop */
		if (open > most)
			most = open;
		/* the server answers each request it took: at most one answer not yet on its TX ring */
		const struct ppc_net_end *sv = server(r);
		assert_true(sv->rr.msgs_in >= sv->rr.msgs_out && sv->rr.msgs_in - sv->rr.msgs_out <= 1);
		done = client(r)->rr.done;
		on_path += virtio_net_in_flight(&client(r)->dev) + virtio_net_in_flight(&server(r)->dev);
		run_free(r);
	}
	assert_true(done > 1000);
	assert_int_equal(most, 4); /* the burst is in flight at once somewhere */
	assert_true(on_path > 0);  /* the stops did find messages on the way */
}

/* With a transactions limit the loop drains: each request got exactly one response. */
static void test_one_response_each(void **state)
{
	static const char *const o[] = { "vms.0.tcp_rr.outstanding=1", "vms.0.tcp_rr.outstanding=3",
					 "vms.0.tcp_rr.outstanding=128" };
	for (size_t i = 0; i < sizeof(o) / sizeof(o[0]); i++) {
		const char *sets[] = { "warmup=0", "duration=100ms", "vms.0.tcp_rr.transactions=1001", o[i], NULL };
		struct run *r = run(sets);
		assert_int_equal(client(r)->rr.issued, 1001);
		assert_int_equal(client(r)->rr.done, 1001);
		assert_int_equal(client(r)->rr.msgs_out, 1001);
		assert_int_equal(server(r)->rr.msgs_in, 1001);
		assert_int_equal(server(r)->rr.msgs_out, 1001);
		assert_int_equal(client(r)->rr.msgs_in, 1001);
		assert_int_equal(client(r)->rr.sn + server(r)->rr.sn, 0);
		assert_true(client(r)->rr.sleeping && server(r)->rr.sleeping); /* both blocked in recv() */
		run_free(r);
	}
}

struct figures {
	double tps, rtt; /* transactions/s, mean round trip (ps) */
	uint64_t irqs, msgs; /* the client's interrupts and messages received */
};

static struct figures figures(int outstanding, const char *poll)
{
	char o[64];
	snprintf(o, sizeof(o), "vms.0.tcp_rr.outstanding=%d", outstanding);
	const char *sets[] = { "duration=300ms", o, poll, NULL };
	struct run *r = run(sets);
	const struct ppc_net_end *e = client(r);
	assert_true(e->rr.done > 1000);
	double secs = (double)(r->m.end - r->m.warmup) / SIM_S;
	struct figures f = { (double)e->rr.done / secs, (double)e->rr.rtt_sum_ps / (double)e->rr.done, e->irqs,
			     e->rr.msgs_in };
	run_free(r);
	return f;
}

static void scaling(const char *poll)
{
	struct figures f1 = figures(1, poll), f2 = figures(2, poll), f4 = figures(4, poll);
	/* one in flight: one message per interrupt (the old model's invariant), within the span's edges */
	assert_true(f1.irqs + 1 >= f1.msgs && f1.irqs <= f1.msgs + 1);
	/* more in flight: more transactions, but less than in proportion */
	assert_true(f2.tps > 1.5 * f1.tps);
	assert_true(f4.tps > 1.2 * f2.tps);
	assert_true(f4.tps < 4 * f1.tps);
	/* the round trip: no shorter than one alone (within 1%), longer with 4 (queueing at the
	 * busy vCPUs), but far less than 4 times (the transactions overlap) */
	assert_true(f2.rtt > 0.99 * f1.rtt);
	assert_true(f4.rtt > 1.05 * f1.rtt);
	assert_true(f4.rtt < 2 * f1.rtt);
	/* Little's law: outstanding = throughput x round trip, within the span's edges */
	assert_true(f4.tps * f4.rtt / SIM_S > 3.9 && f4.tps * f4.rtt / SIM_S < 4.1);
	assert_true(f2.tps * f2.rtt / SIM_S > 1.95 && f2.tps * f2.rtt / SIM_S < 2.05);
	/* several messages per interrupt happen with 4 in flight */
	assert_true(f4.irqs < f4.msgs);
}

static void test_scaling_polling_off(void **state)
{
	scaling("kvm_hv.halt_poll_max_ns=0");
}

static void test_scaling_polling_on(void **state)
{
	scaling("kvm_hv.halt_poll_max_ns=500000");
}

static void test_seeded(void **state)
{
	uint64_t done[3];
	sim_time_t sum[3];
	static const char *const seeds[] = { "seed=7", "seed=7", "seed=8" };
	for (int i = 0; i < 3; i++) {
		const char *sets[] = { "duration=50ms", "vms.0.tcp_rr.outstanding=4", seeds[i], NULL };
		struct run *r = run(sets);
		done[i] = client(r)->rr.done;
		sum[i] = client(r)->rr.rtt_sum_ps;
		run_free(r);
	}
	assert_int_equal(done[0], done[1]);
	assert_int_equal(sum[0], sum[1]);
	assert_true(sum[0] != sum[2]); /* the seed does reach the draws */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conservation),
		cmocka_unit_test(test_one_response_each),
		cmocka_unit_test(test_scaling_polling_off),
		cmocka_unit_test(test_scaling_polling_on),
		cmocka_unit_test(test_seeded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
