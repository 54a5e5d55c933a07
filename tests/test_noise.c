/*
 * test_noise.c - the host's own interrupts and SMIs (models/host/noise.h):
 * off, they change nothing; on, they arrive at their rate, take CPU from
 * whatever runs (an EXTERNAL_INTERRUPT exit for a vCPU in guest mode), keep
 * every pCPU's time adding up, and lengthen the wake-up tail; an SMI stops
 * every pCPU at once. Seeded runs repeat exactly.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/run_util.h"

static const char *const busy[] = { "duration=1s", "vm.workload={type: poisson, rate: 4000, work: 20us}", NULL };

/* every pCPU's time is in exactly one bucket, over the statistics' span */
static void check_conservation(const struct run *r)
{
	sim_time_t span = r->sc.duration - r->m.warmup;
	for (int p = 0; p < r->m.host->ncpu; p++) {
		sim_time_t sum = 0;
		for (int a = 0; a < ACCT_N; a++)
			sum += r->m.host->cpu[p].acct_ps[a];
		assert_int_equal(sum, span);
	}
}

static uint64_t irqs(const struct run *r)
{
	uint64_t n = 0;
	for (int p = 0; p < r->m.host->ncpu; p++)
		n += r->m.host->cpu[p].noise_irqs;
	return n;
}

static uint64_t extint_exits(const struct run *r)
{
	uint64_t n = 0;
	for (int i = 0; i < r->m.nvcpus; i++)
		n += r->m.vcpus[i].exits[EXIT_REASON_EXTERNAL_INTERRUPT].n;
	return n;
}

static sim_time_t wake_quantile(const struct run *r, double q)
{
	sim_time_t worst = 0;
	for (int i = 0; i < r->m.nvcpus; i++) {
		sim_time_t x = sim_hist_quantile(&r->m.guests[i].wake_lat, q);
		worst = x > worst ? x : worst;
	}
	return worst;
}

static void test_off_changes_nothing(void **state)
{
	(void)state;
	/* explicit zero rates with odd costs: the same run as no noise section at all */
	static const char *const zero[] = { "host.noise={irq_rate: 0, irq_cost: 50us, smi_rate: 0, smi_cost: 1ms}",
					    NULL };
	struct run *a = run_load(NULL, busy, NULL, RUN_JSON), *b = run_load(NULL, busy, zero, RUN_JSON);
	/* the same report but for the overrides it lists */
	assert_string_equal(strstr(a->json, "\"kvm_params\""), strstr(b->json, "\"kvm_params\""));
	assert_int_equal(irqs(a), 0);
	run_free(a);
	run_free(b);
}

static void test_host_interrupts(void **state)
{
	(void)state;
	static const char *const noisy[] = { "host.noise={irq_rate: 5000, irq_cost: 5us}", NULL };
	struct run *quiet = run_load(NULL, busy, NULL, 0), *r = run_load(NULL, busy, noisy, 0);
	check_conservation(r);
	/* Poisson at 5000/s on 2 pCPUs over the 0.9 s after the warm-up: 9000, sd 95 */
	double n = (double)irqs(r), expect = 5000.0 * 2 * 0.9;
	assert_true(fabs(n - expect) < 5 * sqrt(expect));
	/* those that found a vCPU in guest mode became exits; the others did not */
	uint64_t more = extint_exits(r) - extint_exits(quiet);
	assert_true(more > 0 && more < irqs(r));
	/* the tail grows by about a handler: p99 up, p50 within a microsecond */
	assert_true(wake_quantile(r, 0.99) > wake_quantile(quiet, 0.99));
	assert_true(llabs(wake_quantile(r, 0.5) - wake_quantile(quiet, 0.5)) < 1000);
	run_free(quiet);
	run_free(r);
}

static void test_smi(void **state)
{
	(void)state;
	static const char *const smi[] = { "host.noise={smi_rate: 20, smi_cost: 300us}", NULL };
	struct run *r = run_load(NULL, busy, smi, 0);
	check_conservation(r);
	/* one SMI stops every pCPU: the counts are equal */
	assert_true(r->m.host->cpu[0].smis > 5);
	for (int p = 1; p < r->m.host->ncpu; p++)
		assert_int_equal(r->m.host->cpu[p].smis, r->m.host->cpu[0].smis);
	/* a wake-up caught by one waits for it: the worst wake-up is at least a good part of an SMI */
	assert_true(wake_quantile(r, 1.0) > 150000);
	run_free(r);
}

static void test_seeded(void **state)
{
	(void)state;
	static const char *const both[] = { "host.noise={irq_rate: 3000, irq_cost: {dist: lognormal, mean: 4us, sigma: 0.5}, "
					    "smi_rate: 5, smi_cost: 100us}",
					    NULL };
	struct run *a = run_load(NULL, busy, both, RUN_JSON), *b = run_load(NULL, busy, both, RUN_JSON);
	assert_string_equal(a->json, b->json);
	run_free(a);
	run_free(b);
}

static void test_overload_refused(void **state)
{
	(void)state;
	/* handlers that would take half the CPU or more: refused, naming the key */
	static const char *const bad[] = { "host.noise={irq_rate: 1000, irq_cost: 500us}", NULL };
	struct scenario_set ss = { bad[0], NULL };
	struct scenario sc;
	struct conf_err err;
	memset(&sc, 0, sizeof(sc));
	assert_int_equal(scenario_load(&sc, NULL, &ss, 1, &err), -1);
	assert_non_null(strstr(err.msg, "host.noise.irq_rate: its handlers would take 50 % of each pCPU"));
	scenario_free(&sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off_changes_nothing),
		cmocka_unit_test(test_host_interrupts),
		cmocka_unit_test(test_smi),
		cmocka_unit_test(test_seeded),
		cmocka_unit_test(test_overload_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
