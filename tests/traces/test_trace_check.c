/*
 * test_trace_check.c - the checker on hand-worked event sequences (6.18,
 * defaults halt_poll_ns 200000, grow 2, grow_start 10000, shrink 2): a
 * thread whose decisions all follow, one with a wrong decision (the first
 * divergence in full, and the halts after it judged on their own), a thread
 * that starts mid-run (its first decision's old value), threads told apart by
 * pid, and the vcpu id taken from the events or the thread's name; and the
 * pid index the per-thread tables use.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/haltpoll/policies.h"
#include "traces/trace_check.h"

static struct kvm_era era;

static struct trace_event wake(int pid, long line, uint64_t ns, bool waited)
{
	struct trace_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = KEV_VCPU_WAKEUP;
	ev.pid = pid;
	ev.line = line;
	snprintf(ev.comm, sizeof(ev.comm), "CPU %d/KVM", pid == 30 ? 3 : 0);
	ev.wakeup.ns = ns;
	ev.wakeup.waited = waited;
	ev.wakeup.valid = ev.wakeup.has_valid = true;
	return ev;
}

static struct trace_event hpn(int pid, long line, bool grow, uint32_t new_ns, uint32_t old_ns)
{
	struct trace_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = KEV_HALT_POLL_NS;
	ev.pid = pid;
	ev.line = line;
	snprintf(ev.comm, sizeof(ev.comm), "CPU 0/KVM");
	ev.hpn.grow = grow;
	ev.hpn.new_ns = new_ns;
	ev.hpn.old_ns = old_ns;
	return ev;
}

static void run(struct trace_check *c, const struct trace_event *evs, size_t n, int64_t initial)
{
	char err[200];
	unsigned v;
	assert_int_equal(kvm_version_parse("6.18", &v, err, sizeof(err)), 0);
	assert_int_equal(kvm_era_for(v, KVM_ARCH_X86, &era, err, sizeof(err)), 0);
	struct check_conf conf = {
		.era = &era,
		.param = era.defaults,
		.msr_poll_control = 1,
		.policy = hp_policy_find("kvm"),
		.initial_hpn = initial,
	};
	assert_int_equal(trace_check_init(c, &conf, err, sizeof(err)), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(trace_check_event(c, &evs[i]), 0);
	trace_check_finish(c);
}

static const struct check_vcpu *thread(const struct trace_check *c, int pid)
{
	for (size_t i = 0; i < c->nvcpus; i++)
		if (c->vcpus[i]->pid == pid)
			return c->vcpus[i];
	fail_msg("no thread %d", pid);
	return NULL;
}

/* grow from 0, a poll inside the window, grow, shrink by 2, shrink below grow_start to 0 */
static const struct trace_event *good_thread(int pid, long base, struct trace_event *e)
{
	e[0] = hpn(pid, base + 1, true, 10000, 0);
	e[1] = wake(pid, base + 2, 50000, true);
	e[2] = wake(pid, base + 3, 5000, false);
	e[3] = hpn(pid, base + 4, true, 20000, 10000);
	e[4] = wake(pid, base + 5, 30000, true);
	e[5] = hpn(pid, base + 6, false, 10000, 20000);
	e[6] = wake(pid, base + 7, 300000, true);
	e[7] = hpn(pid, base + 8, false, 0, 10000);
	e[8] = wake(pid, base + 9, 500000, true);
	return e;
}

static void test_all_reproduced(void **state)
{
	struct trace_event e[9];
	struct trace_check c;
	run(&c, good_thread(10, 0, e), 9, -1);
	const struct check_vcpu *t = thread(&c, 10);
	assert_int_equal(t->halts, 5);
	assert_int_equal(t->halts_agree, 5);
	assert_int_equal(t->decisions, 4);
	assert_int_equal(t->reproduced, 4);
	assert_int_equal(t->model_decisions, 4);
	assert_int_equal(t->initial_hpn, 0);
	assert_false(c.first.found);
	assert_int_equal(t->v.hp.halt_poll_ns, 0);
	trace_check_free(&c);
}

static void test_divergence(void **state)
{
	struct trace_event e[9];
	good_thread(10, 0, e);
	e[3] = hpn(10, 4, true, 40000, 10000); /* the trace grew to 40000, the kernel's rule gives 20000 */
	e[5] = hpn(10, 6, false, 20000, 40000);
	e[7] = hpn(10, 8, false, 10000, 20000);
	struct trace_check c;
	run(&c, e, 9, -1);
	const struct check_vcpu *t = thread(&c, 10);
	assert_int_equal(t->halts, 5);
	assert_int_equal(t->halts_agree, 4); /* after the divergence the model goes on from 40000 */
	assert_int_equal(t->decisions, 4);
	assert_int_equal(t->reproduced, 3);
	assert_int_equal(t->first_divergence, 5);
	const struct check_divergence *d = &c.first;
	assert_true(d->found);
	assert_int_equal(d->pid, 10);
	assert_int_equal(d->line, 5);
	assert_int_equal(d->halt_index, 3);
	assert_int_equal(d->halt.ns, 30000);
	assert_int_equal(d->hpn_before, 10000);
	assert_int_equal(d->max_poll_ns, 200000);
	assert_int_equal(d->nrec, 1);
	assert_int_equal(d->rec[0].new_ns, 40000);
	assert_int_equal(d->rec[0].line, 4);
	assert_int_equal(d->nmodel, 1);
	assert_int_equal(d->model[0].new_ns, 20000);
	assert_true(d->model[0].grow);
	trace_check_free(&c);
}

/* a trace that starts while the thread polls 40000: the first decision's old value */
static void test_mid_run_start(void **state)
{
	struct trace_event e[] = {
		wake(20, 1, 30000, false),
		wake(20, 2, 20000, false),
		hpn(20, 3, false, 20000, 40000),
		wake(20, 4, 300000, true),
	};
	struct trace_check c;
	run(&c, e, 4, -1);
	const struct check_vcpu *t = thread(&c, 20);
	assert_int_equal(t->initial_hpn, 40000);
	assert_int_equal(t->halts, 3);
	assert_int_equal(t->halts_agree, 3);
	assert_int_equal(t->reproduced, 1);
	trace_check_free(&c);
	/* started from 0 instead, the first halt already grows */
	run(&c, e, 4, 0);
	t = thread(&c, 20);
	assert_int_equal(t->initial_hpn, 0);
	assert_true(c.first.found);
	assert_int_equal(c.first.line, 1);
	assert_int_equal(c.first.nrec, 0);
	assert_int_equal(c.first.nmodel, 1);
	trace_check_free(&c);
}

/* two threads interleaved (both "vcpu 0" of their VMs), and one with no decision at all */
static void test_threads_by_pid(void **state)
{
	struct trace_event a[9], b[9], e[19];
	good_thread(10, 0, a);
	good_thread(11, 100, b);
	b[3] = hpn(11, 104, true, 40000, 10000);
	b[5] = hpn(11, 106, false, 20000, 40000);
	b[7] = hpn(11, 108, false, 10000, 20000);
	size_t n = 0;
	for (int i = 0; i < 9; i++) {
		e[n++] = a[i];
		e[n++] = b[i];
	}
	e[n++] = wake(30, 200, 500000, true); /* a long halt with halt_poll_ns 0: no decision */
	struct trace_check c;
	run(&c, e, n, -1);
	assert_int_equal(c.nvcpus, 3);
	assert_int_equal(thread(&c, 10)->halts_agree, 5);
	assert_int_equal(thread(&c, 11)->halts_agree, 4);
	assert_int_equal(c.first.pid, 11);
	assert_int_equal(c.first.line, 105);
	const struct check_vcpu *t = thread(&c, 30);
	assert_int_equal(t->halts, 1);
	assert_int_equal(t->halts_agree, 1);
	assert_int_equal(t->v.vcpu_id, 3); /* from "CPU 3/KVM" */
	struct check_vcpu sum;
	memset(&sum, 0, sizeof(sum));
	trace_check_totals(&c, &sum);
	assert_int_equal(sum.halts, 11);
	assert_int_equal(sum.decisions, 8);
	assert_int_equal(sum.reproduced, 7);
	trace_check_free(&c);
}

/*
 * 40 threads interleaved event by event: every thread exists before any halt
 * runs, so the table of threads grows (at 16 and 32) while the models of the
 * first ones hold pointers into it; each thread must still be judged alone.
 */
static void test_many_threads(void **state)
{
	enum { NT = 40 };
	struct trace_event a[NT][9], *e = calloc(NT * 9, sizeof(*e));
	assert_non_null(e);
	for (int t = 0; t < NT; t++)
		good_thread(1000 + t, 100L * t, a[t]);
	size_t n = 0;
	for (int i = 0; i < 9; i++)
		for (int t = 0; t < NT; t++)
			e[n++] = a[t][i];
	struct trace_check c;
	run(&c, e, n, -1);
	assert_int_equal(c.nvcpus, NT);
	for (int t = 0; t < NT; t++) {
		const struct check_vcpu *v = thread(&c, 1000 + t);
		assert_int_equal(v->halts, 5);
		assert_int_equal(v->halts_agree, 5);
		assert_int_equal(v->reproduced, 4);
		assert_int_equal(v->model_decisions, 4);
	}
	assert_false(c.first.found);
	trace_check_free(&c);
	free(e);
}

/* the pid index behind the per-thread tables, through several growths */
static void test_pid_map(void **state)
{
	struct pid_map m = { 0 };
	assert_int_equal(pid_map_get(&m, 1), -1);
	for (int i = 0; i < 1000; i++)
		pid_map_put(&m, 4100 + 7 * i, (size_t)i);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(pid_map_get(&m, 4100 + 7 * i), i);
	assert_int_equal(pid_map_get(&m, 4101), -1);
	assert_int_equal(m.n, 1000);
	pid_map_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pid_map),
		cmocka_unit_test(test_all_reproduced),
		cmocka_unit_test(test_divergence),
		cmocka_unit_test(test_mid_run_start),
		cmocka_unit_test(test_threads_by_pid),
		cmocka_unit_test(test_many_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
