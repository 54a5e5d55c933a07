/*
 * test_vcore_runner.c - a vcore in time (models/vcore/runner.h), hand-worked:
 * the runner's block, poll and sleep with their costs, the window adapting
 * between blocks, the statistics charged to the runner, napping threads
 * woken inside a running vcore, a prod cancelling a cede, and the time split.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "models/tracepoints/kvm_tp.h"
#include "models/vcore/runner.h"

#define US(x) ((sim_time_t)llround((x) * 1000) * SIM_NS)

struct fx {
	struct sim *sim;
	struct kvm_era era;
	struct kvm_module_params param;
	struct kvmppc_runner r;
	struct kvmppc_vcore_tracer tr;
	sim_time_t work[KVMPPC_MAX_SMT_THREADS];
	char last_wakeup[128];
	int enters, wakeups;
};

static sim_time_t work(void *ctx, int thread, bool prod)
{
	struct fx *f = ctx;
	return f->work[thread];
}

static void on_blocked(void *ctx, bool exit, uint32_t runner, int n)
{
	struct fx *f = ctx;
	f->enters += !exit;
}

static void on_wakeup(void *ctx, bool waited, uint64_t ns)
{
	struct fx *f = ctx;
	kvm_tp_vcore_wakeup(f->last_wakeup, sizeof(f->last_wakeup), &f->era, waited, ns, 1);
	f->wakeups++;
}

static const struct kvmppc_runner_costs costs = {
	.vcore_exit = US(1), .vcore_entry = US(1), .nap_wakeup = US(0.5), .poll_check = US(0.1),
	.sched_wakeup = US(5),
};

static struct fx *fx_new(const char *version, int threads)
{
	struct fx *f = calloc(1, sizeof(*f));
	unsigned v;
	char err[200];
	assert_int_equal(kvm_version_parse(version, &v, err, sizeof(err)), 0);
	assert_int_equal(kvm_era_for(v, KVM_ARCH_POWERPC, &f->era, err, sizeof(err)), 0);
	f->param = f->era.defaults;
	f->sim = sim_new();
	f->tr = (struct kvmppc_vcore_tracer){ on_blocked, on_wakeup, f };
	struct kvmppc_runner_ops ops = { .work = work, .ctx = f };
	kvmppc_runner_init(&f->r, f->sim, &f->era, KVMPPC_POWER8, &f->param, f->era.defaults.halt_poll_ns,
			   threads, 0, &costs, &ops, &f->tr);
	return f;
}

static void fx_free(struct fx *f)
{
	sim_free(f->sim);
	free(f);
}

static void irq_ev(struct sim *sim, void *subject, void *object)
{
	kvmppc_runner_irq(subject, (int)(intptr_t)object);
}

static void prod_ev(struct sim *sim, void *subject, void *object)
{
	kvmppc_runner_h_prod(subject, (int)(intptr_t)object);
}

static void irq_at(struct fx *f, double us, int thread)
{
	sim_at(f->sim, US(us), irq_ev, &f->r, (void *)(intptr_t)thread);
}

/* One thread on 6.18 (MAX 10000, grow 2, grow_start 10000, shrink 2): sleep, grow, poll, shrink. */
static void test_one_thread(void **state)
{
	struct fx *f = fx_new("6.18", 1);
	struct kvmppc_vthread *t = &f->r.t[0];
	f->work[0] = US(2);
	assert_int_equal(f->r.state, KVMPPC_VC_SLEEPING); /* booted ceded, window 0 */

	irq_at(f, 100, 0); /* woken at 105, entered at 106, cedes at 108, out at 109 */
	sim_run_until(f->sim, US(110));
	assert_string_equal(f->last_wakeup, "wait time 105000 ns, tgid=1");
	assert_int_equal(f->r.vc.halt_poll_ns, 0); /* T > MAX with window 0: neither */
	assert_int_equal(f->r.state, KVMPPC_VC_SLEEPING);

	irq_at(f, 112, 0); /* a block of 117 - 109 = 8 us: grow to 10000 */
	sim_run_until(f->sim, US(122));
	assert_string_equal(f->last_wakeup, "wait time 8000 ns, tgid=1");
	assert_int_equal(f->r.vc.halt_poll_ns, 10000);
	assert_int_equal(f->r.state, KVMPPC_VC_POLLING); /* out at 121, polls to 131 */

	irq_at(f, 125, 0); /* seen at 125.1: a successful poll of 4.1 us */
	sim_run_until(f->sim, US(130));
	assert_string_equal(f->last_wakeup, "poll time 4100 ns, tgid=1");
	assert_int_equal(f->r.vc.halt_poll_ns, 10000);

	irq_at(f, 160, 0); /* out at 129.1, polls to 139.1 in vain, sleeps, woken at 165 */
	sim_run_until(f->sim, US(200));
	assert_string_equal(f->last_wakeup, "wait time 35900 ns, tgid=1");
	assert_int_equal(f->r.vc.halt_poll_ns, 5000); /* T > MAX: halved, no floor */

	const struct kvmppc_vcore_stat *st = &t->stat; /* the runner's */
	assert_int_equal(st->generic.halt_attempted_poll, 3); /* 121, 129.1, and 169 with 5000 */
	assert_int_equal(st->generic.halt_successful_poll, 1);
	assert_int_equal(st->halt_successful_wait, 3);
	assert_int_equal(st->generic.halt_poll_success_ns, 4100);
	assert_int_equal(st->generic.halt_poll_fail_ns, 10000);
	assert_int_equal(st->generic.halt_wait_ns, 105000 + 8000 + (165000 - 139100));
	assert_int_equal(f->enters, 4); /* sleeps from 0, 109 and 139.1, and from 174 (169 + 5 us) */

	/* wake-up latency: sleep 5 + entry 1, three times; poll 0.1 + entry 1 once */
	assert_int_equal(t->wake.wakes, 4);
	assert_int_equal(t->wake.min, US(1.1));
	assert_int_equal(t->wake.max, US(6));
	assert_int_equal(t->wake.sum, US(19.1));
	assert_int_equal(f->r.entries, 4);
	fx_free(f);
}

/* The time split covers the run exactly, and each part is what the costs say. */
static void test_time_split(void **state)
{
	struct fx *f = fx_new("6.18", 1);
	f->work[0] = US(2);
	irq_at(f, 100, 0);
	irq_at(f, 112, 0);
	sim_run_until(f->sim, US(122));
	kvmppc_runner_account(&f->r);
	sim_time_t sum = 0;
	for (int s = 0; s < KVMPPC_VC_NSTATES; s++)
		sum += f->r.time_in[s];
	assert_int_equal(sum, US(122));
	assert_int_equal(f->r.time_in[KVMPPC_VC_SLEEPING], US(100 + 3));
	assert_int_equal(f->r.time_in[KVMPPC_VC_WAKING], US(5 + 5));
	assert_int_equal(f->r.time_in[KVMPPC_VC_ENTERING], US(1 + 1));
	assert_int_equal(f->r.time_in[KVMPPC_VC_IN_GUEST], US(2 + 2));
	assert_int_equal(f->r.time_in[KVMPPC_VC_EXITING], US(1 + 1));
	assert_int_equal(f->r.time_in[KVMPPC_VC_POLLING], US(1)); /* from 121, window 10 us */
	fx_free(f);
}

/* Two threads: one naps in the running vcore and is woken by an IPI; the vcore leaves the
 * guest only when both have ceded; a prod finding its target running cancels its cede. */
static void test_two_threads_nap_and_prod(void **state)
{
	struct fx *f = fx_new("6.18", 2);
	f->work[0] = US(1);
	f->work[1] = US(5);
	irq_at(f, 10, 0);
	irq_at(f, 10, 1); /* one wake-up of the runner (at 15) serves both; both start at 16 */
	irq_at(f, 18, 0); /* t0 ceded at 17 and napping: running again at 18.5 */
	sim_at(f->sim, US(20), prod_ev, &f->r, (void *)(intptr_t)1); /* t1 still busy until 21 */
	sim_run_until(f->sim, US(22));
	assert_int_equal(f->r.state, KVMPPC_VC_IN_GUEST); /* t1 runs its prodded item to 26 */
	assert_int_equal(f->r.t[1].prods_cancelling_cede, 1);
	assert_int_equal(f->r.t[0].wake.wakes, 2);
	assert_int_equal(f->r.t[0].wake.sum, US(6) + US(0.5));
	assert_int_equal(f->r.t[1].wake.wakes, 1); /* the prod found it running: no wake-up */
	assert_int_equal(f->r.entries, 1);
	sim_run_until(f->sim, US(28));
	assert_int_equal(f->r.t[0].cedes, 2);
	assert_int_equal(f->r.t[1].cedes, 1);
	/* the first block ended at 15: T = 15 us > MAX with window 0 leaves it 0, so the vcore,
	 * out at 27, sleeps at once */
	assert_int_equal(f->r.vc.halt_poll_ns, 0);
	assert_int_equal(f->r.state, KVMPPC_VC_SLEEPING);
	fx_free(f);
}

/* A wake-up arriving at the end of the window is found by the check before sleeping. */
static void test_found_before_sleep(void **state)
{
	struct fx *f = fx_new("6.18", 1);
	f->work[0] = US(2);
	irq_at(f, 100, 0);
	irq_at(f, 112, 0); /* window 10 us from here */
	sim_run_until(f->sim, US(122));
	assert_int_equal(f->r.state, KVMPPC_VC_POLLING); /* out at 121 (test_one_thread), to 131 */
	irq_at(f, 130.95, 0); /* the loop would see it at 131.05, after the window's end at 131 */
	sim_run_until(f->sim, US(140));
	assert_string_equal(f->last_wakeup, "poll time 10000 ns, tgid=1");
	assert_int_equal(f->r.t[0].stat.generic.halt_successful_poll, 1);
	assert_int_equal(f->r.t[0].stat.halt_successful_wait, 2);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_thread),
		cmocka_unit_test(test_time_split),
		cmocka_unit_test(test_two_threads_nap_and_prod),
		cmocka_unit_test(test_found_before_sleep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
