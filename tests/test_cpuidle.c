/*
 * test_cpuidle.c - the guest's haltpoll governor (docs/kernel-behaviour.md §3.2), hand-worked per
 * guest release, and cpuidle-haltpoll in whole runs: it switches host polling
 * off through the poll-control MSR, and its polling is the guest's time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/cpuidle/haltpoll.h"
#include "models/haltpoll/policy.h"
#include "workloads/scenario/machine.h"

static struct guest_haltpoll_conf conf(unsigned version)
{
	return (struct guest_haltpoll_conf){ .enabled = true,
					     .guest_halt_poll_ns = 200000,
					     .guest_halt_poll_shrink = 2,
					     .guest_halt_poll_grow = 2,
					     .guest_halt_poll_grow_start = 50000,
					     .guest_halt_poll_allow_shrink = true,
					     .version = version };
}

static void test_governor(void **state)
{
	struct guest_haltpoll_conf c = conf(KVM_VERSION_CODE(6, 6, 0));
	struct guest_haltpoll d;
	haltpoll_init(&d, &c);
	assert_int_equal(haltpoll_select(&d), HALTPOLL_HALT); /* poll_limit_ns 0 */
	haltpoll_reflect(&d, HALTPOLL_HALT, 30000);          /* (0, 200000]: grow to grow_start */
	assert_int_equal(d.poll_limit_ns, 50000);
	assert_int_equal(haltpoll_select(&d), HALTPOLL_POLL); /* after a HALT: poll */
	d.poll_time_limit = false;
	haltpoll_reflect(&d, HALTPOLL_POLL, 10000); /* a successful poll: no change */
	assert_int_equal(d.poll_limit_ns, 50000);
	assert_int_equal(haltpoll_select(&d), HALTPOLL_POLL);
	d.poll_time_limit = true;
	haltpoll_reflect(&d, HALTPOLL_POLL, 50000);
	assert_int_equal(haltpoll_select(&d), HALTPOLL_HALT); /* the poll timed out */
	haltpoll_reflect(&d, HALTPOLL_HALT, 80000);          /* HALT alone 80 us: grow */
	assert_int_equal(d.poll_limit_ns, 100000);
	haltpoll_reflect(&d, HALTPOLL_HALT, 150000);
	assert_int_equal(d.poll_limit_ns, 200000);
	haltpoll_reflect(&d, HALTPOLL_HALT, 190000); /* <= limit already: no change */
	assert_int_equal(d.poll_limit_ns, 200000);
	haltpoll_reflect(&d, HALTPOLL_HALT, 300000); /* > guest_halt_poll_ns: shrink */
	assert_int_equal(d.poll_limit_ns, 100000);
	haltpoll_reflect(&d, HALTPOLL_HALT, 300000);
	assert_int_equal(d.poll_limit_ns, 50000);
	haltpoll_reflect(&d, HALTPOLL_HALT, 300000);
	assert_int_equal(d.poll_limit_ns, 25000); /* 6.6 < 6.9: no floor at grow_start */
}

static void test_shrink_floor_6_9(void **state)
{
	struct guest_haltpoll_conf c68 = conf(KVM_VERSION_CODE(6, 8, 0)), c69 = conf(KVM_VERSION_CODE(6, 9, 0));
	struct guest_haltpoll a, b;
	haltpoll_init(&a, &c68);
	haltpoll_init(&b, &c69);
	a.poll_limit_ns = b.poll_limit_ns = 80000;
	haltpoll_reflect(&a, HALTPOLL_HALT, 300000);
	haltpoll_reflect(&b, HALTPOLL_HALT, 300000);
	assert_int_equal(a.poll_limit_ns, 40000); /* 6.8: no floor */
	assert_int_equal(b.poll_limit_ns, 0);     /* 6.9: below grow_start -> 0 */
	c68.guest_halt_poll_allow_shrink = false;
	haltpoll_reflect(&a, HALTPOLL_HALT, 300000);
	assert_int_equal(a.poll_limit_ns, 40000);
}

static void test_5_4_microseconds(void **state)
{
	struct guest_haltpoll_conf c54 = conf(KVM_VERSION_CODE(5, 4, 0)), c6 = conf(KVM_VERSION_CODE(6, 1, 0));
	struct guest_haltpoll a, b;
	haltpoll_init(&a, &c54);
	haltpoll_init(&b, &c6);
	a.poll_limit_ns = b.poll_limit_ns = 100000;
	/* 100999 ns: 5.4 sees 100 us (== limit: no change); 6.1 sees 100999 > limit: grow */
	haltpoll_reflect(&a, HALTPOLL_HALT, 100999);
	haltpoll_reflect(&b, HALTPOLL_HALT, 100999);
	assert_int_equal(a.poll_limit_ns, 100000);
	assert_int_equal(b.poll_limit_ns, 200000);
}

static struct machine *run(struct scenario *sc, const char *const *sets)
{
	struct scenario_set ss[16];
	size_t n = 0;
	for (; sets[n]; n++)
		ss[n] = (struct scenario_set){ sets[n], NULL };
	struct conf_err err;
	struct machine *m = calloc(1, sizeof(*m));
	if (scenario_load(sc, NULL, ss, n, &err) || machine_build(m, sc, NULL, &err))
		fail_msg("%s", err.msg);
	machine_run_until(m, sc->duration);
	machine_finish(m);
	return m;
}

static void test_in_a_run(void **state)
{
	const char *const sets[] = { "duration=200ms", "host.max_cstate=1", "vm.guest_haltpoll.enabled=true",
				     "vm.workload={type: poisson, rate: 20000, work: 5us}", "vm.task_prob=1", NULL };
	struct scenario sc;
	memset(&sc, 0, sizeof(sc));
	struct machine *m = run(&sc, sets);
	for (int i = 0; i < m->nvcpus; i++) {
		const struct vcpu *v = &m->vcpus[i];
		const struct guest_cpu *g = &m->guests[i];
		assert_int_equal(v->hp.msr_kvm_poll_control, 0);
		assert_int_equal(v->hp.stat.halt_attempted_poll, 0); /* the host does not poll */
		assert_true(g->hpd.polls > 0 && g->hpd.halts > 0);
		assert_true(g->hpd.poll_wakeups > g->hpd.poll_timeouts); /* 20 kHz: most polls see the next interrupt */
		assert_true(v->acct_ps[VACCT_GUEST_POLL] > 0);
		sim_time_t sum = 0;
		for (int a = 0; a < VACCT_N; a++)
			sum += v->acct_ps[a];
		assert_int_equal(sum, sc.duration - m->warmup);
	}
	for (int p = 0; p < m->host->ncpu; p++) {
		sim_time_t sum = 0, gp = 0;
		for (int a = 0; a < ACCT_N; a++)
			sum += m->host->cpu[p].acct_ps[a];
		for (int i = 0; i < m->nvcpus; i++)
			if (m->vcpus[i].task.cpu == &m->host->cpu[p])
				gp += m->vcpus[i].acct_ps[VACCT_GUEST_POLL];
		assert_int_equal(sum, sc.duration - m->warmup);
		assert_int_equal(gp, m->host->cpu[p].acct_ps[ACCT_GUEST_POLL]);
	}
	machine_free(m);
	free(m);
	scenario_free(&sc);
	/* a 5.2 host has no poll-control MSR: the host polls on */
	const char *const old[] = { "duration=100ms", "kernel=5.2", "vm.guest_haltpoll.enabled=true",
				    "vm.guest_haltpoll.guest_kernel=5.4", "vm.workload.rate=20000", NULL };
	memset(&sc, 0, sizeof(sc));
	m = run(&sc, old);
	assert_int_equal(m->vcpus[0].hp.msr_kvm_poll_control, 1);
	machine_free(m);
	free(m);
	scenario_free(&sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_governor),
		cmocka_unit_test(test_shrink_floor_6_9),
		cmocka_unit_test(test_5_4_microseconds),
		cmocka_unit_test(test_in_a_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
