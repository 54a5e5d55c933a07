/*
 * test_msi_arrival.c - an MSI's interrupt is timed from that MSI (models/vcpu/msi.c).
 *
 * The race: MSI 2 is raised while its vector is still pending from MSI 1, but MSI 1's
 * interrupt goes into the guest (posted with APICv, or injected) before MSI 2 reaches IRR
 * (irq_deliver after its raise). MSI 2 then raises an interrupt of its own, whose latency
 * counts from MSI 2's raise, not MSI 1's; one reaching IRR while the vCPU's entry with an
 * injection is under way is not lost.
 */
#include <math.h>
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
#include "models/guest/guest.h"
#include "models/vcpu/vcpu.h"
#include "tests/run_util.h"

/* two files: the arrivals source keeps each file it read, by path, for the process */
#define T1_NS 10000 /* the first MSI */

/*
 * run_msis - one vCPU of a 6.1 kernel on the haswell-ep profile, alone on its
 * pCPU, with the assignments of extra, and n MSIs on its device's vector, at
 * at_ns[i] (each with 1 us of handler work; with wake_ns, the recorded extra
 * host wake-up delay of each, as a replayed trace gives it).
 */
static struct run *run_msis_wake(const int64_t *at_ns, const int64_t *wake_ns, int n, const char *const *extra,
				 int flags)
{
	/* a new path each run: source_file_load() keeps each file it read by its path */
	char path[] = "/tmp/kvmsim-test-msi-XXXXXX.txt";
	int fd = mkstemps(path, 4);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	for (int i = 0; i < n; i++)
		if (wake_ns)
			fprintf(f, "0 %lld 1000 %lld\n", (long long)at_ns[i], (long long)wake_ns[i]);
		else
			fprintf(f, "%lld 1000\n", (long long)at_ns[i]);
	fclose(f);
	char wl[512];
	snprintf(wl, sizeof(wl), "vm.workload={type: arrivals, file: %s}", path);
	const char *sets[32] = { "duration=200us", "warmup=0", "host.pcpus=1", "host.tasks=[]", "vm.vcpus=1",
				 "kernel=6.1", "cost_profile=haswell-ep", wl };
	int k = 8;
	for (int i = 0; extra[i] && k < 31; i++)
		sets[k++] = extra[i];
	sets[k] = NULL;
	struct run *r = run_load(NULL, NULL, sets, flags);
	unlink(path);
	return r;
}

static struct run *run_msis(const int64_t *at_ns, int n, const char *const *extra, int flags)
{
	return run_msis_wake(at_ns, NULL, n, extra, flags);
}

static sim_time_t ns(sim_time_t ps)
{
	return ps / SIM_NS;
}

static void test_late_msi_counts_from_its_own_raise(void **state)
{
	(void)state;
	const int64_t gap = 1000; /* the second MSI is raised while the first is pending */
	/* the vCPU in guest mode throughout (idle=poll: it never halts), with APICv */
	struct run *r = run_msis((const int64_t[]){ T1_NS, T1_NS + gap }, 2,
				 (const char *const[]){ "vm.idle=poll", "vm.apicv=true", NULL }, 0);
	const struct vcpu *v = &r->m.vcpus[0];
	const struct cost_profile *p = v->prof;
	const struct sim_hist *h = &v->guest->irq_lat;
	sim_time_t deliver = p->ps[COST_irq_deliver], ipi = p->ps[COST_ipi], girq = p->ps[COST_guest_irq];
	/* the race as constructed: the first reaches IRR irq_deliver after its raise and the guest
	 * a notification IPI later (posted); the second is raised before that, and reaches IRR after */
	assert_true(gap * SIM_NS < deliver + ipi);
	assert_true(gap * SIM_NS + deliver > deliver + ipi);
	const struct vcpu_vector *q = NULL;
	for (int i = 0; i < v->nvec; i++)
		if (v->vec[i].msi)
			q = &v->vec[i];
	assert_non_null(q);
	assert_int_equal(q->arrivals, 2);
	assert_int_equal(q->coalesced, 0); /* two interrupts, not one */
	assert_int_equal(h->count, 2);
	/* each: raised, in IRR irq_deliver later, posted (the notification IPI), its handler's entry;
	 * the second's handler starts that long after its own raise (the first's handler had
	 * returned by then), not after the first's */
	int64_t want = ns(deliver + ipi + girq);
	assert_int_equal(h->min, want);
	assert_int_equal(h->max, want);
	assert_true(h->sum == (__int128)(2 * want));
	run_free(r);
}

/* event_ns - the time (ns) of the nth (0-based) trace line naming ev, or -1. */
static long long event_ns(const char *trace, const char *ev, int nth)
{
	return run_trace_ns(trace, ev, -1, nth);
}

static void test_second_msi_timed_from_itself(void **state)
{
	(void)state;
	const char *const halt[] = { "vm.apicv=false", "duration=1ms", NULL };
	const int64_t t0 = 100000; /* ns */
	struct run *a = run_msis((const int64_t[]){ t0 }, 1, halt, RUN_TRACE | RUN_TRACE_NS);
	long long fire = event_ns(a->trace, "kvm_msi_set_irq", 0), acc = event_ns(a->trace, "kvm_apic_accept_irq", 0),
		  inj = event_ns(a->trace, "kvm_inj_virq", 0);
	assert_true(fire == t0 && acc > fire && inj >= acc);
	long long d = acc - fire; /* irq_deliver */
	const struct sim_hist *ha = &a->m.vcpus[0].guest->irq_lat;
	assert_int_equal(ha->count, 1);
	int64_t l1 = ha->max;
	run_free(a);

	/* MSI 2 raised D/2 before MSI 1's injection: pending at its raise, idle at its delivery */
	const int64_t t1 = inj - d / 2;
	assert_true(t1 > t0);
	struct run *b = run_msis((const int64_t[]){ t0, t1 }, 2, halt, RUN_TRACE | RUN_TRACE_NS);
	assert_int_equal(event_ns(b->trace, "kvm_msi_set_irq", 1), t1);
	assert_int_equal(event_ns(b->trace, "kvm_inj_virq", 0), inj); /* the same first interrupt */
	long long inj2 = event_ns(b->trace, "kvm_inj_virq", 1), eoi2 = event_ns(b->trace, "kvm_eoi", 1);
	assert_true(inj2 >= t1 + d && eoi2 > inj2); /* a second interrupt, injected after MSI 2 reached IRR */
	const struct sim_hist *hb = &b->m.vcpus[0].guest->irq_lat;
	assert_int_equal(hb->count, 2);
	int64_t lo = hb->min, hi = hb->max;
	int64_t l2 = lo == l1 ? hi : lo;
	assert_true(lo == l1 || hi == l1); /* the first interrupt as before */
	/* its handler starts after it reached IRR and before its EOI */
	assert_true(l2 >= d && l2 < eoi2 - t1);
	/* timed from MSI 1 it would be at least this: the check above tells the two apart */
	assert_true(inj2 - t0 >= eoi2 - t1);
	run_free(b);
}

/*
 * Each MSI keeps its own recorded wake-up delay while it travels to IRR: MSI 1 wakes the
 * sleeping vCPU thread WAKE later than its delivery; MSI 2, raised before MSI 1 reached IRR
 * and recorded with none, must not replace MSI 1's (it then only joins the pending
 * interrupt). The interrupt's latency is the same as with MSI 1 alone.
 */
static void test_wake_delay_per_msi(void **state)
{
	(void)state;
	const char *const sleep[] = { "vm.apicv=false", "vm.halt_poll_ns=0", "duration=300us", NULL };
	const int64_t t0 = 100000, wake = 5000; /* ns */
	struct run *a = run_msis_wake((const int64_t[]){ t0 }, (const int64_t[]){ wake }, 1, sleep, 0);
	const struct sim_hist *ha = &a->m.vcpus[0].guest->irq_lat;
	assert_int_equal(ha->count, 1);
	int64_t alone = ha->max;
	sim_time_t deliver = a->m.vcpus[0].prof->ps[COST_irq_deliver];
	assert_true(alone >= ns(deliver) + wake); /* the recorded delay is in it */
	run_free(a);
	const int64_t t1 = t0 + ns(deliver) / 2; /* raised while MSI 1 is on its way to IRR */
	struct run *b = run_msis_wake((const int64_t[]){ t0, t1 }, (const int64_t[]){ wake, 0 }, 2, sleep, 0);
	const struct sim_hist *hb = &b->m.vcpus[0].guest->irq_lat;
	assert_int_equal(hb->count, 1); /* MSI 2 reached IRR while MSI 1's interrupt was pending */
	assert_int_equal(hb->max, alone);
	run_free(b);
}

/*
 * vm.irq_work: the work of a device interrupt after its handler's EOI and return (interrupts
 * on: a second interrupt is taken at once, in front of the rest of the first's work) or in
 * the handler (interrupts off: the second waits for the first's work, its EOI and return).
 */
static void test_irq_work_in_handler(void **state)
{
	(void)state;
	const int64_t t0 = 20000, gap = 10000, work = 50000; /* ns */
	char path[] = "/tmp/kvmsim-test-irqwork-XXXXXX.txt";
	int fd = mkstemps(path, 4);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fprintf(f, "%lld %lld\n%lld 1000\n", (long long)t0, (long long)work, (long long)(t0 + gap));
	fclose(f);
	char wl[512];
	snprintf(wl, sizeof(wl), "vm.workload={type: arrivals, file: %s}", path);
	int64_t first[2], second[2];
	long long eoi_at[2], inj_at[2];
	double guest_ps[2];
	for (int w = 0; w < 2; w++) {
		const char *sets[] = { "duration=300us", "warmup=0", "host.pcpus=1", "host.tasks=[]", "vm.vcpus=1",
				       "vm.apicv=false", "kernel=6.18", "cost_profile=haswell-ep", wl,
				       w ? "vm.irq_work=in_handler" : "vm.irq_work=after_eoi", NULL };
		struct run *r = run_load(NULL, NULL, sets, RUN_TRACE | RUN_TRACE_NS | RUN_JSON);
		const struct guest_cpu *g = r->m.vcpus[0].guest;
		inj_at[w] = event_ns(r->trace, "kvm_inj_virq", 0);
		eoi_at[w] = event_ns(r->trace, "kvm_eoi", 0);
		json_t *j = json_loads(r->json, 0, NULL);
		assert_non_null(j);
		guest_ps[w] = json_number_value(json_object_get(
			json_object_get(json_array_get(json_object_get(j, "vcpus"), 0), "cpu_ps"), "guest"));
		json_decref(j);
		assert_int_equal(g->irq_lat.count, 2);
		assert_int_equal(g->wake_lat.count, 1); /* the first woke the halted vCPU */
		first[w] = g->wake_lat.max;
		second[w] = (int64_t)(g->irq_lat.sum - (__int128)first[w]);
		run_free(r);
	}
	unlink(path);
	assert_int_equal(first[1], first[0]); /* the first alike both ways */
	/* after the EOI: the second is taken within a few microseconds */
	assert_true(second[0] < gap);
	/* in the handler: the second waits out the first's work (it arrived gap after the first) */
	assert_true(second[1] > work - gap);
	/* the first's EOI: at once after the EOI way, after its work in the handler */
	assert_true(eoi_at[0] - inj_at[0] < 5000);
	assert_true(eoi_at[1] - inj_at[1] >= work);
	/* the work is run once either way (the two handlers' 51 us of guest time, not twice that) */
	for (int w = 0; w < 2; w++)
		assert_true(guest_ps[w] > 1000.0 * work && guest_ps[w] < 1500.0 * work);
	assert_true(fabs(guest_ps[1] - guest_ps[0]) < 1e6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_late_msi_counts_from_its_own_raise),
		cmocka_unit_test(test_second_msi_timed_from_itself),
		cmocka_unit_test(test_wake_delay_per_msi),
		cmocka_unit_test(test_irq_work_in_handler),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
