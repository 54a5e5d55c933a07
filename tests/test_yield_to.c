/*
 * test_yield_to.c - host_yield_to(), the kernel's yield_to() that KVM's
 * kvm_vcpu_on_spin() uses for a directed yield: on the fair class (CFS and
 * EEVDF) the target runs next at the yielder's next preemption point, ahead of
 * the task the class would have picked; a running target is -ESRCH; the simple
 * class refuses; a target on another pCPU gets that pCPU rescheduled.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "models/host/host.h"

#define CTXSW (2 * SIM_US)

struct hog {
	struct host_task task;
	int runs, reschedules;
};

static struct hog *hog_of(struct host_task *t)
{
	return (struct hog *)((char *)t - offsetof(struct hog, task));
}

static void hog_run(struct host_task *t)
{
	hog_of(t)->runs++;
}

/* notes a reschedule request; gives the CPU up only when the test says so */
static void hog_resched(struct host_task *t, bool remote)
{
	(void)remote;
	if (t->cpu->need_resched)
		hog_of(t)->reschedules++;
}

static const struct host_task_ops hog_ops = { hog_run, hog_resched };

static struct host *bare(struct sim *sim, int ncpu, int kind, bool eevdf)
{
	static const struct host_idle_state idle[] = { { .name = "POLL", .polling = true } };
	struct host *h = host_new(sim, ncpu, idle, 1, 0, false, true, 0, (struct host_conf_costs){ CTXSW, SIM_US }, 1);
	struct host_sched_conf c = { .kind = kind, .eevdf = eevdf, .hz = 250, .balance = false };
	host_set_sched(h, &c);
	host_start(h);
	return h;
}

/* three tasks on one pCPU; x runs: after a plain yield the class picks y, after yield_to(z) it is z. */
static void run_one_cpu(bool eevdf, bool directed)
{
	struct sim *sim = sim_new();
	struct host *h = bare(sim, 1, HOST_SCHED_FAIR, eevdf);
	struct hog x = { 0 }, y = { 0 }, z = { 0 };
	host_task_init(&x.task, &hog_ops, &h->cpu[0], "x", 1);
	host_task_init(&y.task, &hog_ops, &h->cpu[0], "y", 2);
	host_task_init(&z.task, &hog_ops, &h->cpu[0], "z", 3);
	host_task_place(&x.task);
	host_task_place(&y.task);
	host_task_place(&z.task);
	sim_run_until(sim, 100 * SIM_US); /* x switched in; well inside its slice and before a tick */
	assert_ptr_equal(h->cpu[0].curr, &x.task);
	assert_int_equal(x.task.state, TASK_RUNNING);
	assert_int_equal(host_yield_to(&x.task, &x.task), -1); /* running: -ESRCH */
	if (directed) {
		assert_int_equal(host_yield_to(&x.task, &z.task), 1);
		assert_true(h->cpu[0].need_resched);
		assert_int_equal(h->cpu[0].yld_count, 1);
	} else {
		h->cpu[0].need_resched = true;
	}
	assert_true(host_task_yield(&x.task));
	struct host_task *next = h->cpu[0].curr;
	assert_ptr_equal(next, directed ? &z.task : &y.task);
	sim_run_until(sim, 200 * SIM_US);
	assert_int_equal(hog_of(next)->runs, 1);
	host_free(h);
	sim_free(sim);
}

static void test_cfs_plain(void **state) { run_one_cpu(false, false); }
static void test_cfs_directed(void **state) { run_one_cpu(false, true); }
static void test_eevdf_plain(void **state) { run_one_cpu(true, false); }
static void test_eevdf_directed(void **state) { run_one_cpu(true, true); }

/* the simple class has no yield_to_task: 0, nothing changes */
static void test_simple_refuses(void **state)
{
	struct sim *sim = sim_new();
	struct host *h = bare(sim, 1, HOST_SCHED_SIMPLE, false);
	struct hog x = { 0 }, y = { 0 };
	host_task_init(&x.task, &hog_ops, &h->cpu[0], "x", 1);
	host_task_init(&y.task, &hog_ops, &h->cpu[0], "y", 2);
	host_task_place(&x.task);
	host_task_place(&y.task);
	sim_run_until(sim, 100 * SIM_US);
	assert_int_equal(host_yield_to(&x.task, &y.task), 0);
	assert_false(h->cpu[0].need_resched);
	assert_int_equal(h->cpu[0].yld_count, 0);
	host_free(h);
	sim_free(sim);
}

/* a target queued on another pCPU: that pCPU is rescheduled (its running task told), and the target runs there */
static void test_other_cpu(void **state)
{
	struct sim *sim = sim_new();
	struct host *h = bare(sim, 2, HOST_SCHED_FAIR, false);
	struct hog x = { 0 }, w = { 0 }, z = { 0 };
	host_task_init(&x.task, &hog_ops, &h->cpu[0], "x", 1);
	host_task_init(&w.task, &hog_ops, &h->cpu[1], "w", 2);
	host_task_init(&z.task, &hog_ops, &h->cpu[1], "z", 3);
	host_task_place(&x.task);
	host_task_place(&w.task);
	host_task_place(&z.task);
	sim_run_until(sim, 100 * SIM_US);
	assert_ptr_equal(h->cpu[1].curr, &w.task);
	assert_int_equal(host_yield_to(&x.task, &z.task), 1);
	assert_true(h->cpu[0].need_resched && h->cpu[1].need_resched);
	assert_int_equal(w.reschedules, 1);
	assert_true(host_task_yield(&w.task));
	assert_ptr_equal(h->cpu[1].curr, &z.task);
	host_free(h);
	sim_free(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfs_plain),      cmocka_unit_test(test_cfs_directed),
		cmocka_unit_test(test_eevdf_plain),    cmocka_unit_test(test_eevdf_directed),
		cmocka_unit_test(test_simple_refuses), cmocka_unit_test(test_other_cpu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
