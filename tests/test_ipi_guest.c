/*
 * test_ipi_guest.c - the profile's ipi_guest: a remote wake-up's reschedule IPI to a CPU
 * running a vCPU in guest mode costs that much more than ipi (on a nested host its send
 * traps to the hypervisor below). Two vCPUs share one pCPU; vCPU 0 runs a long handler
 * in guest mode when vCPU 1's MSI (from the device's thread, another CPU) wakes vCPU 1's
 * thread, which preempts it. The exit that reschedule IPI forces comes ipi_guest later
 * with the cost than without; vCPU 0's own MSI while it runs is a kick, not a
 * reschedule, and does not pay it. An IPI that lands during a VM entry is pending until
 * the guest starts, and one sent then leaves at its send, not at the entry's end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "models/costs/costs.h"
#include "models/vcpu/vcpu.h"
#include "tests/run_util.h"

/* run - the arrivals (VCPU TIME_NS WORK_NS lines) on two vCPUs of one pCPU, ipi_guest set */
static struct run *run(const char *lines, const char *ipi_guest)
{
	char path[] = "/tmp/kvmsim-test-ipiguest-XXXXXX.txt";
	int fd = mkstemps(path, 4);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(lines, f);
	fclose(f);
	char wl[512], cost[128];
	snprintf(wl, sizeof(wl), "vm.workload={type: arrivals, file: %s}", path);
	snprintf(cost, sizeof(cost), "costs={ipi_guest: %s}", ipi_guest);
	const char *sets[] = { "duration=2ms", "warmup=0",	    "host.pcpus=1",	"host.tasks=[]",
			       "vm.vcpus=2",	 "vm.apicv=false",  "vm.halt_poll_ns=0", "kernel=6.18",
			       "cost_profile=xeon-pvm", wl, cost, NULL };
	struct run *r = run_load(NULL, NULL, sets, RUN_TRACE | RUN_TRACE_NS);
	unlink(path);
	return r;
}

/* exit_after - the time (ns) of the first kvm_exit of vCPU vcpu with reason after t_ns, or -1 */
static long long exit_after(const char *trace, int vcpu, const char *reason, long long t_ns)
{
	char want[64]; /* as only kvm_exit prints it */
	snprintf(want, sizeof(want), "vcpu %d reason %s ", vcpu, reason);
	return run_trace_ns(trace, want, t_ns, 0);
}

static void test_resched_ipi_to_guest_mode(void **state)
{
	(void)state;
	/* vCPU 1 halts at once and sleeps; vCPU 0 takes an MSI at 20 us with 2 ms of work; vCPU
	 * 1's MSI at 1.5 ms wakes its thread, which preempts vCPU 0 in guest mode (its lag by
	 * then well ahead) */
	const char *lines = "0 20000 2000000\n1 1500000 1000\n";
	const long long t = 1500000;
	struct run *a = run(lines, "0");
	struct run *b = run(lines, "10us");
	long long ea = exit_after(a->trace, 0, "EXTERNAL_INTERRUPT", t);
	long long eb = exit_after(b->trace, 0, "EXTERNAL_INTERRUPT", t);
	assert_true(ea > t && eb > t);
	assert_int_equal(eb - ea, 10000); /* the reschedule IPI, 10 us later */
	/* without the cost: the MSI's delivery, the wake-up and the plain IPI */
	const struct cost_profile *p = a->m.vcpus[0].prof;
	assert_true(ea - t >= (p->ps[COST_irq_deliver] + p->ps[COST_ipi]) / SIM_NS);
	assert_true(ea - t < 20000);
	run_free(a);
	run_free(b);
}

static void test_kick_does_not_pay_it(void **state)
{
	(void)state;
	/* vCPU 0's second MSI at 100 us, while its first one's 2 ms of work runs: a kick (its
	 * own interrupt), whose exit comes as early with the cost as without */
	const char *lines = "0 20000 2000000\n0 100000 1000\n";
	struct run *a = run(lines, "0");
	struct run *b = run(lines, "10us");
	long long ea = exit_after(a->trace, 0, "EXTERNAL_INTERRUPT", 100000);
	long long eb = exit_after(b->trace, 0, "EXTERNAL_INTERRUPT", 100000);
	assert_true(ea > 100000);
	assert_int_equal(eb, ea);
	run_free(a);
	run_free(b);
}

/* a kick sent while a slower reschedule IPI is on its way arrives at its own time */
static void test_kick_not_held_by_resched(void **state)
{
	(void)state;
	const long long t = 1502000; /* vCPU 0's own MSI, 2 us after vCPU 1's preempting one */
	struct run *alone = run("0 20000 2000000\n0 1502000 1000\n", "10us");
	struct run *both = run("0 20000 2000000\n1 1500000 1000\n0 1502000 1000\n", "10us");
	long long ea = exit_after(alone->trace, 0, "EXTERNAL_INTERRUPT", t);
	long long eb = exit_after(both->trace, 0, "EXTERNAL_INTERRUPT", t);
	assert_true(ea > t);
	assert_int_equal(eb, ea);
	run_free(alone);
	run_free(both);
}

/* the time (ns) of the first line holding what after t_ns, and that it exists */
static long long at_after(const struct run *r, const char *what, long long t_ns)
{
	long long x = run_trace_ns(r->trace, what, t_ns, 0);
	assert_true(x > t_ns);
	return x;
}

/* struct entry - vCPU 0's first VM entry that begins with a `begin` line after t_ns, in a run
 * of `lines`: from its beginning to its end (kvm_entry), and the arrival time (raise) at which
 * an MSI's accept lands 50 ns into it */
struct entry {
	long long from, end, raise, ipi;
};

static struct entry entry_of(const char *lines, const char *begin, long long t_ns)
{
	struct run *a = run(lines, "0");
	struct entry w;
	w.from = at_after(a, begin, t_ns);
	w.end = at_after(a, "vcpu 0, rip", w.from);
	const struct cost_profile *p = a->m.vcpus[0].prof;
	w.ipi = p->ps[COST_ipi] / SIM_NS;
	w.raise = w.from + 50 - p->ps[COST_irq_deliver] / SIM_NS;
	assert_true(w.end - w.from > w.ipi + 60); /* room for an IPI inside the entry */
	run_free(a);
	return w;
}

/*
 * An IPI that reaches a vCPU during its VM entry (in guest mode already, interrupts off)
 * is taken as the guest starts: a kick whose IPI lands before the entry ends exits at its
 * end (its MSI not injected by that entry, which began before it).
 */
static void test_kick_during_entry(void **state)
{
	(void)state;
	struct entry w = entry_of("0 20000 1000\n", "kvm_inj_virq", 20000); /* the entry injecting the MSI */
	char lines[64];
	snprintf(lines, sizeof(lines), "0 20000 1000\n0 %lld 1000\n", w.raise);
	struct run *b = run(lines, "0");
	assert_int_equal(at_after(b, "kvm_inj_virq", 20000), w.from); /* the same run up to there */
	assert_int_equal(at_after(b, "vcpu 0, rip", w.from), w.end);
	long long t = at_after(b, "apicid 0 vec", w.from); /* the second MSI's accept, inside the entry */
	assert_true(t < w.end && t + w.ipi < w.end);
	assert_int_equal(exit_after(b->trace, 0, "EXTERNAL_INTERRUPT", w.from), w.end);
	run_free(b);
}

/* a remote wake-up during that entry: its reschedule IPI is sent then, and pays ipi_guest */
static void test_resched_during_entry(void **state)
{
	(void)state;
	/* vCPU 0's second MSI at 1.4 ms, while its first one's 2 ms of work runs: its handler's
	 * EOI exits, and the entry after it (from the EOI's kvm_msr on) goes back to that work;
	 * vCPU 1's MSI wakes its thread during that entry */
	struct entry w = entry_of("0 20000 2000000\n0 1400000 1000\n", "kvm_msr", 1400000);
	char lines[96];
	snprintf(lines, sizeof(lines), "0 20000 2000000\n0 1400000 1000\n1 %lld 1000\n", w.raise);
	struct run *b = run(lines, "0");
	struct run *c = run(lines, "10us");
	long long t = at_after(c, "apicid 1 vec", w.from); /* vCPU 1's accept, inside vCPU 0's entry */
	assert_true(t < w.end && t + w.ipi < w.end);
	/* the IPI sent at the wake-up: without the cost pending at the entry's end */
	assert_int_equal(exit_after(b->trace, 0, "EXTERNAL_INTERRUPT", w.from), w.end);
	/* with it, 10 us more from the wake-up, not from the entry's end */
	assert_int_equal(exit_after(c->trace, 0, "EXTERNAL_INTERRUPT", w.from), t + w.ipi + 10000);
	run_free(b);
	run_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resched_ipi_to_guest_mode),
		cmocka_unit_test(test_kick_does_not_pay_it),
		cmocka_unit_test(test_kick_not_held_by_resched),
		cmocka_unit_test(test_kick_during_entry),
		cmocka_unit_test(test_resched_during_entry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
