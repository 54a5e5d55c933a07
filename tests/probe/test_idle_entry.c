/*
 * test_idle_entry.c - the idle state's entry time read from tracefs text
 * (traces/idle_entry.c), on hand-made traces: a sleep counts only when the
 * vCPU thread switched to the idle task in state S on the CPU measured, and is
 * measured to the first cpu_idle into a state that halts before any other switch;
 * and the wake-ups from the halted state (an MSI of the waker while the CPU is in
 * it, then the thread's kvm_vcpu_wakeup once the CPU switched back to it), whose
 * latency by stay idle_growth_fit() fits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "traces/idle_entry.h"

#define TID 4242
#define WAKER 777

static FILE *text(const char *s)
{
	FILE *f = fmemopen((void *)s, strlen(s), "r");
	assert_non_null(f);
	return f;
}

static void read_trace(const char *s, int cpu, double **e, size_t *n)
{
	FILE *f = text(s);
	assert_int_equal(idle_entry_from_trace(f, cpu, TID, WAKER, e, n, NULL, NULL), 0);
	fclose(f);
}

/* expect_one - trace s, read on cpu, holds one sleep, entered after us microseconds */
static void expect_one(const char *s, int cpu, double us)
{
	double *e;
	size_t n;
	read_trace(s, cpu, &e, &n);
	assert_int_equal(n, 1);
	assert_true(fabs(e[0] - us) < 1e-3);
	free(e);
}

/* the thread's sleep: switch to idle, a poll state 0, its exit marker, then a halting state */
static void test_entry_to_first_halting_state(void **state)
{
	(void)state;
	const char *tr = "# tracer: nop\n"
			 "#\n"
			 "       CPU 0/KVM-4242    [000] d..2.   100.000010: sched_switch: prev_comm=CPU 0/KVM prev_pid=4242 "
			 "prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120\n"
			 "          <idle>-0       [000] d..1.   100.000012: cpu_idle: state=0 cpu_id=0\n"
			 "          <idle>-0       [000] d..1.   100.000015: cpu_idle: state=4294967295 cpu_id=0\n"
			 "          <idle>-0       [000] d..1.   100.000019: cpu_idle: state=1 cpu_id=0\n"
			 "          <idle>-0       [000] d..1.   100.000030: cpu_idle: state=4294967295 cpu_id=0\n"
			 "          <idle>-0       [000] d..1.   100.000031: cpu_idle: state=1 cpu_id=0\n";
	expect_one(tr, 0, 9); /* the second entry of the same sleep is not another sleep */
}

/* other CPUs, other threads, other states of the thread, and a switch first: no sleep */
static void test_what_is_not_a_sleep(void **state)
{
	(void)state;
	const char *tr =
		/* on CPU 1, measured on 0 */
		"       CPU 0/KVM-4242    [001] d..2.   100.000010: sched_switch: prev_comm=CPU 0/KVM prev_pid=4242 "
		"prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120\n"
		"          <idle>-0       [001] d..1.   100.000020: cpu_idle: state=1 cpu_id=1\n"
		/* another thread */
		"          waker-77       [000] d..2.   100.000100: sched_switch: prev_comm=waker prev_pid=77 "
		"prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120\n"
		"          <idle>-0       [000] d..1.   100.000110: cpu_idle: state=1 cpu_id=0\n"
		/* preempted (R), not asleep */
		"       CPU 0/KVM-4242    [000] d..2.   100.000200: sched_switch: prev_comm=CPU 0/KVM prev_pid=4242 "
		"prev_prio=120 prev_state=R ==> next_comm=swapper/0 next_pid=0 next_prio=120\n"
		"          <idle>-0       [000] d..1.   100.000210: cpu_idle: state=1 cpu_id=0\n"
		/* asleep, but another task ran before the CPU idled */
		"       CPU 0/KVM-4242    [000] d..2.   100.000300: sched_switch: prev_comm=CPU 0/KVM prev_pid=4242 "
		"prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120\n"
		"          <idle>-0       [000] d..2.   100.000302: sched_switch: prev_comm=swapper/0 prev_pid=0 "
		"prev_prio=120 prev_state=R ==> next_comm=kworker/0:1 next_pid=55 next_prio=120\n"
		"    kworker/0:1-55       [000] d..2.   100.000305: sched_switch: prev_comm=kworker/0:1 prev_pid=55 "
		"prev_prio=120 prev_state=I ==> next_comm=swapper/0 next_pid=0 next_prio=120\n"
		"          <idle>-0       [000] d..1.   100.000307: cpu_idle: state=1 cpu_id=0\n"
		/* a thread of the same number in a command name with brackets and spaces: still ours */
		"    CPU 0/KVM [x]-4242    [000] d..2.   100.000400: sched_switch: prev_comm=CPU 0/KVM [x] prev_pid=4242 "
		"prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120\n"
		"          <idle>-0       [000] ....    100.000412: cpu_idle: state=2 cpu_id=0\n";
	expect_one(tr, 0, 12);
	expect_one(tr, 1, 10); /* and measured on CPU 1, the first sleep counts */
}

/* lines without the irq-info flags, and malformed ones, are read or skipped, never misread */
static void test_formats(void **state)
{
	(void)state;
	const char *tr = "garbage line\n"
			 "   x-1 [000 100.0: sched_switch:\n"
			 "       CPU 0/KVM-4242    [000]   200.500000: sched_switch: prev_comm=CPU 0/KVM prev_pid=4242 "
			 "prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120\n"
			 "          <idle>-0       [000]   200.500007: cpu_idle: state=1 cpu_id=0\n"
			 "          <idle>-0       [000]   200.500009: cpu_idle: nothing=1\n";
	expect_one(tr, 0, 7);
	double *e;
	size_t n;
	read_trace("", 0, &e, &n);
	assert_int_equal(n, 0);
	free(e);
}

/* a real trace of this project's machine (poisson:100us with polling off, the vCPU thread
 * 2234 on CPU 0; sched_switch and cpu_idle of CPU 0): it reads, and its window is the
 * ~10 us the docs give (CPU 1 of that machine traces no cpu_idle: nothing there) */
static void test_real_trace(void **state)
{
	(void)state;
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "zcat %s/tests/data/idle_entry/poisson100-cpu0.trace.gz", getenv("KVMSIM_SRC"));
	for (int cpu = 0; cpu < 2; cpu++) {
		FILE *f = popen(cmd, "r");
		assert_non_null(f);
		double *e;
		size_t n;
		assert_int_equal(idle_entry_from_trace(f, cpu, 2234, 0, &e, &n, NULL, NULL), 0);
		assert_int_equal(pclose(f), 0);
		if (cpu == 1) {
			assert_int_equal(n, 0);
			free(e);
			continue;
		}
		assert_true(n >= 100);
		double q[IDLE_ENTRY_NQ];
		idle_entry_quantiles(e, n, q, IDLE_ENTRY_NQ);
		assert_true(q[IDLE_ENTRY_NQ / 2] >= 5000 && q[IDLE_ENTRY_NQ / 2] <= 20000);
		free(e);
	}
}

/* quantiles at tenths, the ends held at p5 and p95, in ns */
/* read_wakes - the wake-ups of trace s on CPU 0 (they are sleeps too: the entries read) */
static size_t read_wakes(const char *s, struct idle_wake **w)
{
	FILE *f = text(s);
	double *e;
	size_t n, nw;
	assert_int_equal(idle_entry_from_trace(f, 0, TID, WAKER, &e, &n, w, &nw), 0);
	fclose(f);
	free(e);
	return nw;
}

#define SLEEP(t) "       CPU 0/KVM-4242    [000] d..2.   " t ": sched_switch: prev_comm=CPU 0/KVM prev_pid=4242 " \
		 "prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120\n"
#define IDLE(t, st) "          <idle>-0       [000] d..1.   " t ": cpu_idle: state=" st " cpu_id=0\n"
#define MSI(t, pid) "          waker-" pid "     [001] d..1.   " t ": kvm_msi_set_irq: dst 0 vec 64 (Fixed|physical|edge)\n"
#define BACK(t) "          <idle>-0       [000] d..2.   " t ": sched_switch: prev_comm=swapper/0 prev_pid=0 " \
		"prev_prio=120 prev_state=R ==> next_comm=CPU 0/KVM next_pid=4242 next_prio=120\n"
#define WAKEUP(t) "       CPU 0/KVM-4242    [000] .....   " t ": kvm_vcpu_wakeup: wait time 90000 ns, polling valid\n"

/* a wake-up from the halted state: the stay from the CPU's last idle entry to the MSI (an
 * exit and a new entry in between restart it), the latency from the MSI to the wake-up */
static void test_wake_from_halt(void **state)
{
	(void)state;
	struct idle_wake *w;
	const char *tr = SLEEP("100.000010") IDLE("100.000019", "1") IDLE("100.000050", "4294967295")
		IDLE("100.000060", "1") MSI("100.000160", "777") MSI("100.000165", "777") IDLE("100.000195", "4294967295")
		BACK("100.000200") WAKEUP("100.000212");
	assert_int_equal(read_wakes(tr, &w), 1);
	assert_true(fabs(w[0].stay_us - 100) < 1e-6 && fabs(w[0].latency_us - 52) < 1e-6);
	free(w);
}

/* what is not a wake-up from the halted state */
static void test_what_is_not_a_wake_from_halt(void **state)
{
	(void)state;
	struct idle_wake *w;
	const char *tr =
		/* an MSI of another thread, then ours before the CPU halted: not from the halted state */
		SLEEP("100.000010") MSI("100.000012", "778") MSI("100.000015", "777") IDLE("100.000019", "1")
		IDLE("100.000030", "4294967295") BACK("100.000035") WAKEUP("100.000040")
		/* halted, then out of it before the MSI */
		SLEEP("100.001010") IDLE("100.001019", "1") IDLE("100.001100", "4294967295") MSI("100.001110", "777")
		BACK("100.001130") WAKEUP("100.001140")
		/* the MSI came, but another task ran first */
		SLEEP("100.002010") IDLE("100.002019", "1") MSI("100.002110", "777") IDLE("100.002140", "4294967295")
		"          <idle>-0       [000] d..2.   100.002145: sched_switch: prev_comm=swapper/0 prev_pid=0 "
		"prev_prio=120 prev_state=R ==> next_comm=kworker/0:1 next_pid=55 next_prio=120\n"
		"    kworker/0:1-55       [000] d..2.   100.002150: sched_switch: prev_comm=kworker/0:1 prev_pid=55 "
		"prev_prio=120 prev_state=I ==> next_comm=CPU 0/KVM next_pid=4242 next_prio=120\n"
		WAKEUP("100.002160")
		/* a wake-up with no MSI, and one MSI of a halted state the thread was not asleep in */
		SLEEP("100.003010") IDLE("100.003019", "1") IDLE("100.003100", "4294967295") BACK("100.003105")
		WAKEUP("100.003110") IDLE("100.003200", "1") MSI("100.003300", "777") IDLE("100.003330", "4294967295");
	assert_int_equal(read_wakes(tr, &w), 0);
	free(w);
}

/* latencies made by the growth law, medians by groups of stay: the fit finds it (tau on its
 * 5 % grid); flat latencies, a falling one, and too few groups: no growth */
static void test_growth_fit(void **state)
{
	(void)state;
	enum { N = 4000 };
	struct idle_wake *w = calloc(N, sizeof(*w));
	assert_non_null(w);
	double g, tau;
	for (int i = 0; i < N; i++) {
		double stay = 5 + 1000.0 * i / N;
		w[i].stay_us = stay;
		w[i].latency_us = 48 + 9 * -expm1(-stay / 200) + (i % 2 ? 0.01 : -0.01);
	}
	assert_true(idle_growth_fit(w, N, &g, &tau) >= 8);
	assert_true(fabs(g - 9000) < 500 && fabs(tau - 200000) < 0.1 * 200000);
	for (int i = 0; i < N; i++)
		w[i].latency_us = 50;
	idle_growth_fit(w, N, &g, &tau);
	assert_true(g == 0 && tau == 0);
	for (int i = 0; i < N; i++)
		w[i].latency_us = 60 - w[i].stay_us / 100;
	idle_growth_fit(w, N, &g, &tau);
	assert_true(g == 0 && tau == 0);
	for (int i = 0; i < N; i++)
		w[i].stay_us = i % 2 ? 40 : 120;
	assert_int_equal(idle_growth_fit(w, N, &g, &tau), 2);
	assert_true(g == 0 && tau == 0);
	assert_int_equal(idle_growth_fit(w, 0, &g, &tau), 0);
	free(w);
}

/* a real trace of this project's machine with the four events (poisson:200us with polling
 * off, the vCPU thread 24046 on CPU 0, the waker 24045 on CPU 1): the wake-ups are read, and
 * the latency grows with the stay as the docs give (by some microseconds, over some hundred) */
static void test_real_growth(void **state)
{
	(void)state;
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "zcat %s/tests/data/idle_entry/poisson200-growth-cpu0.trace.gz", getenv("KVMSIM_SRC"));
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	double *e, g, tau;
	struct idle_wake *w;
	size_t n, nw;
	assert_int_equal(idle_entry_from_trace(f, 0, 24046, 24045, &e, &n, &w, &nw), 0);
	assert_int_equal(pclose(f), 0);
	assert_true(n >= 500 && nw >= 500 && nw <= n);
	for (size_t i = 0; i < nw; i++)
		assert_true(w[i].stay_us >= 0 && w[i].latency_us > 0 && w[i].latency_us < 1000);
	assert_true(idle_growth_fit(w, nw, &g, &tau) >= 5);
	assert_true(g >= 2000 && g <= 30000 && tau >= 10000 && tau <= 2000000);
	free(e);
	free(w);
}

static void test_quantiles(void **state)
{
	(void)state;
	double e[101], q[IDLE_ENTRY_NQ];
	for (int i = 0; i < 101; i++)
		e[i] = (double)((i * 37) % 101); /* 0..100 us, shuffled */
	idle_entry_quantiles(e, 101, q, IDLE_ENTRY_NQ);
	assert_true(q[0] == 5000 && q[1] == 10000 && q[5] == 50000 && q[9] == 90000 && q[10] == 95000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_to_first_halting_state),
		cmocka_unit_test(test_what_is_not_a_sleep),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_real_trace),
		cmocka_unit_test(test_quantiles),
		cmocka_unit_test(test_wake_from_halt),
		cmocka_unit_test(test_what_is_not_a_wake_from_halt),
		cmocka_unit_test(test_growth_fit),
		cmocka_unit_test(test_real_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
