/*
 * test_run.c - whole runs: CPU time is conserved (and the vCPU and pCPU views
 * agree, and agree with KVM's own poll statistics), runs are deterministic,
 * a vCPU's random streams do not depend on its neighbours, and halt polling
 * has the effect the kernel documentation describes.
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

/* run_scenario - the default scenario with these assignments, and its JSON report. */
static struct run *run_scenario(const char *const *sets)
{
	return run_load(NULL, NULL, sets, RUN_JSON);
}

static void check_conservation(const struct run *r)
{
	const struct machine *m = &r->m;
	sim_time_t d = r->sc.duration - m->warmup; /* the statistics cover the run after its warm-up */
	for (int p = 0; p < m->host->ncpu; p++) {
		const struct pcpu *c = &m->host->cpu[p];
		sim_time_t sum = 0, idle = 0, on[4] = { 0 };
		for (int a = 0; a < ACCT_N; a++)
			sum += c->acct_ps[a];
		assert_int_equal(sum, d); /* every picosecond of the pCPU in exactly one bucket */
		for (int s = 0; s < m->host->nidle; s++)
			idle += c->idle_ps[s];
		assert_int_equal(idle, c->acct_ps[ACCT_IDLE]);
		for (int i = 0; i < m->nvcpus; i++) {
			const struct vcpu *v = &m->vcpus[i];
			if (v->task.cpu != c)
				continue;
			on[0] += v->acct_ps[VACCT_GUEST];
			on[1] += v->acct_ps[VACCT_KVM];
			on[2] += v->acct_ps[VACCT_POLL_OK];
			on[3] += v->acct_ps[VACCT_POLL_FAIL];
		}
		/* the pCPU's guest, kvm and poll time is exactly its vCPUs' */
		assert_int_equal(on[0], c->acct_ps[ACCT_GUEST]);
		assert_int_equal(on[1], c->acct_ps[ACCT_KVM]);
		assert_int_equal(on[2], c->acct_ps[ACCT_POLL_OK]);
		assert_int_equal(on[3], c->acct_ps[ACCT_POLL_FAIL]);
	}
	for (int i = 0; i < m->nvcpus; i++) {
		const struct vcpu *v = &m->vcpus[i];
		sim_time_t sum = 0;
		for (int a = 0; a < VACCT_N; a++)
			sum += v->acct_ps[a];
		assert_int_equal(sum, d);
		const struct kvm_vcpu_stat *st = &v->hp.stat;
		assert_true(st->halt_successful_poll <= st->halt_attempted_poll);
		assert_true(st->halt_attempted_poll <= v->halts + (m->warmup ? 1 : 0)); /* + a halt begun in the warm-up */
		if (r->sc.era.halt_split && !m->warmup) { /* a halt open at the warm-up's end mixes both */
			/*
			 * KVM's poll-time statistics (ns timestamps) match the accounting (ps)
			 * to 1 ns per halt, once the poll of a halt still open at the end
			 * (accounted, not yet counted by KVM) is set aside.
			 */
			int64_t ok = v->acct_ps[VACCT_POLL_OK];
			int64_t bad = v->acct_ps[VACCT_POLL_FAIL] - v->unfinished_poll_ps;
			int64_t tol = (int64_t)(v->halts + 1) * SIM_NS;
			assert_true(llabs(ok - (int64_t)st->halt_poll_success_ns * SIM_NS) <= tol);
			assert_true(llabs(bad - (int64_t)st->halt_poll_fail_ns * SIM_NS) <= tol);
			uint64_t hs = 0, hf = 0;
			for (int k = 0; k < HALT_POLL_HIST_COUNT; k++) {
				hs += st->halt_poll_success_hist[k];
				hf += st->halt_poll_fail_hist[k];
			}
			assert_int_equal(hs, st->halt_successful_poll);
			assert_int_equal(hf, st->halt_attempted_poll - st->halt_successful_poll);
		}
	}
}

static void test_conservation(void **state)
{
	static const char *const cases[][12] = {
		{ NULL },
		{ "duration=300ms", "host.pcpus=1", "vm.vcpus=2", "vm.workload.rate=20000", "host.resched_rate=2000",
		  "host.tasks=[{name: a, pcpu: 0, load: {type: poisson, rate: 3000, work: 30us}}]", NULL },
		{ "duration=300ms", "vm.apicv=false", "vm.workload={type: onoff, rate: 50000, on: 200us, off: {dist: exponential, mean: 1ms}}",
		  NULL },
		{ "duration=200ms", "kernel=4.9", "vm.workload={type: periodic, period: 50us, jitter: 5us}", NULL },
		{ "duration=200ms", "kernel=5.15", "arch=s390", "vm.invalid_wakeups=0.3", "host.wakeup_preempt=false",
		  "host.tasks=[{pcpu: 1, load: {type: poisson, rate: 1000, work: 100us}}]", NULL },
		{ "duration=200ms", "host.idle_poll=true", "vm.policy=fixed", "vm.workload.rate=30000", NULL },
		{ "duration=200ms", "kernel=6.6", "vm.msr_poll_control=0", "host.max_cstate=1", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct run *r = run_scenario(cases[i]); /* after the default warm-up */
		assert_true(r->m.warmup > 0);
		check_conservation(r);
		run_free(r);
		const char *cold[13];
		size_t n = 0;
		for (; cases[i][n]; n++)
			cold[n] = cases[i][n];
		cold[n++] = "warmup=0";
		cold[n] = NULL;
		r = run_scenario(cold); /* from the start, KVM's own poll statistics too */
		check_conservation(r);
		run_free(r);
	}
}

static void test_determinism(void **state)
{
	const char *const a[] = { "duration=200ms", NULL };
	const char *const b[] = { "duration=200ms", "seed=2", NULL };
	struct run *r1 = run_scenario(a), *r2 = run_scenario(a), *r3 = run_scenario(b);
	assert_string_equal(r1->json, r2->json);
	assert_true(strcmp(r1->json, r3->json) != 0);
	run_free(r1);
	run_free(r2);
	run_free(r3);
}

static void test_streams_independent(void **state)
{
	/* vm0/vcpu0 on its own pCPU behaves the same whether or not a second vCPU exists */
	const char *const one[] = { "duration=200ms", "host.pcpus=2", "host.tasks=[]", "vm.vcpus=1", NULL };
	const char *const two[] = { "duration=200ms", "host.pcpus=2", "host.tasks=[]", "vm.vcpus=2", NULL };
	struct run *r1 = run_scenario(one), *r2 = run_scenario(two);
	json_t *j1 = json_loads(r1->json, 0, NULL), *j2 = json_loads(r2->json, 0, NULL);
	json_t *v1 = json_array_get(json_object_get(j1, "vcpus"), 0);
	json_t *v2 = json_array_get(json_object_get(j2, "vcpus"), 0);
	assert_true(json_equal(v1, v2));
	assert_int_equal(json_array_size(json_object_get(j2, "vcpus")), 2);
	json_decref(j1);
	json_decref(j2);
	run_free(r1);
	run_free(r2);
}

static void test_polling_effect(void **state)
{
	/* Documentation/virt/kvm/halt-polling.rst: a window longer than the wake-up
	 * period keeps the pCPU busy all the time, and saves the wake-up latency. */
	const char *const poll[] = { "duration=200ms", "host.tasks=[]", "vm.vcpus=1", "host.pcpus=1",
				     "vm.workload={type: periodic, period: 100us, work: 5us}", "vm.policy=fixed", NULL };
	const char *const none[] = { "duration=200ms", "host.tasks=[]", "vm.vcpus=1", "host.pcpus=1",
				     "vm.workload={type: periodic, period: 100us, work: 5us}", "vm.policy=none", NULL };
	struct run *p = run_scenario(poll), *n = run_scenario(none);
	const struct pcpu *pc = &p->m.host->cpu[0], *nc = &n->m.host->cpu[0];
	double idle_p = (double)pc->acct_ps[ACCT_IDLE] / (double)(p->sc.duration - p->m.warmup);
	double idle_n = (double)nc->acct_ps[ACCT_IDLE] / (double)(n->sc.duration - n->m.warmup);
	assert_true(idle_p < 0.01);
	assert_true(idle_n > 0.5);
	const struct vcpu *vp = &p->m.vcpus[0], *vn = &n->m.vcpus[0];
	assert_true(vp->hp.stat.halt_successful_poll >= vp->halts * 99 / 100);
	assert_int_equal(vn->hp.stat.halt_attempted_poll, 0);
	int64_t lp = sim_hist_quantile(&p->m.guests[0].wake_lat, 0.5), ln = sim_hist_quantile(&n->m.guests[0].wake_lat, 0.5);
	assert_true(lp * 3 < ln); /* polling removes the scheduler and idle-exit path */
	/* the kernel's adaptive policy learns the same period: window grows to cover it */
	const char *const kvm[] = { "duration=200ms", "host.tasks=[]", "vm.vcpus=1", "host.pcpus=1",
				    "vm.workload={type: periodic, period: 100us, work: 5us}", NULL };
	struct run *k = run_scenario(kvm);
	const struct vcpu *vk = &k->m.vcpus[0];
	assert_true(vk->hp.hp.halt_poll_ns >= 95000);
	assert_true(vk->hp.stat.halt_successful_poll > vk->halts * 9 / 10);
	run_free(p);
	run_free(n);
	run_free(k);
}

/*
 * test_wake_means_idle - a wake latency is an interrupt that found the guest idle (halted, or
 * spinning in its idle loop with nothing queued): not one that arrived while it was busy with
 * an earlier interrupt's work. With HLT idle, wakes and halts are the same events, give or
 * take the few interrupts that reach IRR as the guest is on its way into HLT.
 */
static void test_wake_means_idle(void **state)
{
	const char *const sets[] = { "duration=500ms", NULL };
	struct run *r = run_scenario(sets);
	for (int i = 0; i < r->m.nvcpus; i++) {
		const struct vcpu *v = &r->m.vcpus[i];
		const struct guest_cpu *g = &r->m.guests[i];
		uint64_t wakes = g->wake_lat.count, irqs = g->irq_lat.count;
		assert_true(wakes < irqs);
		assert_true(wakes >= v->halts && wakes <= v->halts + v->halts / 100 + 2);
	}
	run_free(r);
	/* 80 kHz of interrupts with 10 us of work each: most arrive while the guest is busy */
	const char *const busy[] = { "duration=50ms", "vm.workload={type: poisson, rate: 80000, work: 10us}", NULL };
	r = run_scenario(busy);
	const struct guest_cpu *g = &r->m.guests[0];
	assert_true(g->wake_lat.count * 2 < g->irq_lat.count);
	run_free(r);
}

/* test_fmt_time - durations in the largest unit that keeps them exact, read back by the parser */
static void test_fmt_time(void **state)
{
	static const struct {
		sim_time_t ps;
		const char *text;
	} cases[] = {
		{ 0, "0ns" }, { 1, "1ps" }, { 1500, "1.5ns" }, { 45540000, "45.54us" }, { 1234567, "1234.567ns" },
		{ 600010 * SIM_MS, "600.01s" }, { SIM_S, "1s" }, { 1500 * SIM_US, "1.5ms" }, { 100 * SIM_NS, "100ns" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[32];
		const char *why;
		sim_time_t back;
		assert_string_equal(sim_fmt_time(cases[i].ps, buf, sizeof(buf)), cases[i].text);
		assert_int_equal(cfg_parse_time(buf, "ns", &back, &why), 0);
		assert_int_equal(back, cases[i].ps);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conservation),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_streams_independent),
		cmocka_unit_test(test_polling_effect),
		cmocka_unit_test(test_wake_means_idle),
		cmocka_unit_test(test_fmt_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
