/*
 * test_sched.c - the host's fair scheduler: a CPU hog gets the share it offers when the host
 * has room, equal tasks rotate on the tick within their slice, a waking task preempts by the
 * class's rule, SCHED_FIFO runs first, and the time adds up.
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

struct run {
	struct scenario sc;
	struct machine m;
};

static struct run *run_sets(const char *const *sets)
{
	struct run *r = calloc(1, sizeof(*r));
	struct scenario_set ss[32];
	size_t n = 0;
	for (; sets[n]; n++)
		ss[n] = (struct scenario_set){ sets[n], NULL };
	struct conf_err err;
	if (scenario_load(&r->sc, NULL, ss, n, &err))
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

static double share(const struct run *r, sim_time_t ps)
{
	return (double)ps / (double)(r->sc.duration - r->m.warmup);
}

/* a vCPU that never halts (guest idle=poll) and a host task offering half its pCPU */
static const char *const hog[] = { "duration=2s", "host.pcpus=1", "vm.vcpus=1", "vm.idle=poll",
				   "vm.workload={type: idle}", "vm.cyclictest={threads: 1, interval: 1ms, pinned: false}",
				   "host.tasks=[{name: noise, pcpu: 0, load: {rate: 5000, work: {dist: exponential, mean: 100us}}}]",
				   NULL, NULL };

static void test_task_gets_its_share(void **state)
{
	const char *sets[10];
	memcpy(sets, hog, sizeof(hog));
	struct run *r = run_sets(sets);
	const struct host_load *l = &r->m.loads[0];
	double offered = share(r, l->offered_ps), got = share(r, l->task.run_ps);
	assert_true(offered > 0.45 && offered < 0.55);
	assert_true(got >= 0.40 && got <= offered + 0.01); /* it receives what it asks for */
	/* the vCPU pays: runnable but not running (steal) for about the task's share */
	assert_true(share(r, r->m.vcpus[0].acct_ps[VACCT_RUNNABLE]) > 0.4);
	int64_t avg_busy = cyclictest_avg(&r->m.ct[0]);
	run_free(r);
	/* the simple FIFO scheduler never takes the CPU from a vCPU that does not halt */
	sets[7] = "host.scheduler=fifo";
	r = run_sets(sets);
	l = &r->m.loads[0];
	assert_true(share(r, l->task.run_ps) < 0.05);
	assert_true(cyclictest_avg(&r->m.ct[0]) < avg_busy);
	run_free(r);
}

/* two CPU hogs on one pCPU: the tick rotates them; each gets half, switching every slice */
static void test_tick_rotates(void **state)
{
	static const char *const kernels[] = { "kernel=6.1", "kernel=6.12" }; /* CFS, EEVDF */
	for (int k = 0; k < 2; k++) {
		const char *sets[] = { "duration=1s", "warmup=0", "host.pcpus=1", "vm.vcpus=1", "vm.workload={type: idle}",
				       "host.tasks=[{name: a, load: {type: periodic, period: 1ms, work: 10s}}, "
				       "{name: b, load: {type: periodic, period: 1ms, work: 10s}}]",
				       kernels[k], NULL };
		struct run *r = run_sets(sets);
		const struct host_task *a = &r->m.loads[0].task, *b = &r->m.loads[1].task;
		assert_true(share(r, a->run_ps) > 0.45 && share(r, b->run_ps) > 0.45);
		/* CFS on one CPU: a 6 ms period, 3 ms each; EEVDF: a 0.75 ms slice. Either is found
		 * used up at the next 4 ms tick (CONFIG_HZ 250): a switch at every tick */
		uint64_t sw = a->switches + b->switches;
		assert_true(sw >= 240 && sw <= 260);
		assert_true(a->involuntary >= 120 && b->involuntary >= 120);
		run_free(r);
	}
}

/* a SCHED_FIFO task preempts the vCPU at once; a fair one waits its turn */
static void test_rt_first(void **state)
{
	const char *sets[10];
	memcpy(sets, hog, sizeof(hog));
	sets[6] = "host.tasks=[{name: rt, pcpu: 0, policy: fifo, load: {rate: 1000, work: 20us}}]";
	struct run *r = run_sets(sets);
	const struct host_task *t = &r->m.loads[0].task;
	/* woken while the vCPU runs, it runs after the preemption IPI and exit: a few microseconds */
	assert_true(t->run_delay.count > 1000);
	assert_true(sim_hist_quantile(&t->run_delay, 0.99) < 20000);
	run_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_task_gets_its_share),
		cmocka_unit_test(test_tick_rotates),
		cmocka_unit_test(test_rt_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
