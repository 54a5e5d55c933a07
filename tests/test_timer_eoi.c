/*
 * test_timer_eoi.c - the LAPIC timer and EOI paths, pinned by the exact
 * tracepoint sequences they produce (docs/kernel-behaviour.md §4-6), and the output
 * layouts of perf stat, perf kvm stat and cyclictest -h.
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
#include "workloads/scenario/report.h"

/* run_with - the default scenario from time 0 (no warm-up: these tests follow each path from the start), traced. */
static struct run *run_with(const char *const *sets)
{
	static const char *const from_start[] = { "warmup=0", NULL };
	return run_load(NULL, from_start, sets, RUN_TRACE);
}

/*
 * expect_seq - the trace holds these "event: payload" strings in this order
 * (other events may come between them), starting at the first line that
 * contains `from` (NULL: the start). Returns where the match ended.
 */
static const char *expect_seq(const char *trace, const char *from, const char *const *want)
{
	const char *p = from ? strstr(trace, from) : trace;
	if (!p)
		fail_msg("trace lacks \"%s\"", from);
	for (int i = 0; want[i]; i++) {
		const char *q = strstr(p, want[i]);
		if (!q)
			fail_msg("after \"%.80s\" the trace lacks \"%s\"", p, want[i]);
		p = q + strlen(want[i]);
	}
	return p;
}

/* event_payload - "name: payload" as in trace-cmd report (the name padded to 20). */
static char *ev(const char *name, const char *payload)
{
	static char buf[16][256];
	static int k;
	char *b = buf[k++ % 16];
	snprintf(b, 256, "%s: %*s%s\n", name, 20 - (int)strlen(name), "", payload);
	return b;
}

#define SEQ(trace, from, ...) expect_seq(trace, from, (const char *const[]){ __VA_ARGS__, NULL })

static const char *const cyc_poll[] = { "duration=2500us", "host.pcpus=1", "host.tasks=[]", "vm.vcpus=1",
					"vm.idle=poll", "vm.workload={type: idle}",
					"vm.cyclictest={threads: 1, interval: 1ms, pinned: true}", NULL };

static void test_hv_timer_path(void **state)
{
	const char *sets[16];
	int n = 0;
	for (; cyc_poll[n]; n++)
		sets[n] = cyc_poll[n];
	sets[n++] = "kernel=4.9";
	sets[n] = NULL;
	struct run *r = run_with(sets);
	/* arming: MSR write, hv timer started (4.9 traces each attempt), kvm_msr after the write */
	const char *p = SEQ(r->trace, NULL, "kvm_exit:             reason MSR_WRITE",
			    ev("kvm_hv_timer_state", "vcpu_id 0 hv_timer 1"), "kvm_msr:              msr_write 6e0 = 0x",
			    "kvm_entry:            vcpu 0\n");
	/* expiry: a PREEMPTION_TIMER exit, the LVTT vector accepted, entry; no host timer exit */
	SEQ(p, NULL, "kvm_exit:             reason PREEMPTION_TIMER", ev("kvm_apic_accept_irq", "apicid 0 vec 236 (Fixed|edge)"),
	    "kvm_entry:");
	assert_null(strstr(r->trace, "EXTERNAL_INTERRUPT"));
	assert_int_equal(r->m.vcpus[0].timer.fired_hv, 2);
	assert_int_equal(r->m.vcpus[0].timer.fired_sw, 0);
	assert_true(r->m.vcpus[0].exits[EXIT_REASON_PREEMPTION_TIMER].n == 2);
	run_free(r);
}

static void test_sw_timer_path(void **state)
{
	const char *sets[16];
	int n = 0;
	for (; cyc_poll[n]; n++)
		sets[n] = cyc_poll[n];
	sets[n++] = "kernel=6.6";
	sets[n++] = "kvm_intel.preemption_timer=false";
	sets[n++] = "vm.apicv=false";
	sets[n] = NULL;
	struct run *r = run_with(sets);
	/* 6.x: every start of the sw timer traces hv_timer 0; the host timer interrupt forces an exit */
	const char *p = SEQ(r->trace, NULL, "reason MSR_WRITE", ev("kvm_hv_timer_state", "vcpu_id 0 hv_timer 0"),
			    "msr_write 6e0 = 0x");
	SEQ(p, NULL,
	    "kvm_exit:             vcpu 0 reason EXTERNAL_INTERRUPT rip 0xffffffff8112a0c4 info1 0x0000000000000000 info2 "
	    "0x0000000000000000 intr_info 0x800000ec error_code 0x00000000",
	    ev("kvm_apic_accept_irq", "apicid 0 vec 236 (Fixed|edge)"), ev("kvm_inj_virq", "IRQ 0xec"));
	assert_int_equal(r->m.vcpus[0].timer.fired_sw, 2);
	assert_null(strstr(r->trace, "PREEMPTION_TIMER"));
	run_free(r);
}

static void test_switch_around_halt(void **state)
{
	/* an idle=halt guest with a cyclictest timer: the hv timer moves to the sw timer for the halt */
	const char *const sets[] = { "duration=2500us", "host.pcpus=1", "host.tasks=[]", "vm.vcpus=1", "kernel=6.1",
				     "vm.idle=halt", "vm.workload={type: idle}",
				     "vm.cyclictest={threads: 1, interval: 1ms, pinned: true}", NULL };
	struct run *r = run_with(sets);
	const char *p = SEQ(r->trace, NULL, ev("kvm_hv_timer_state", "vcpu_id 0 hv_timer 1"),
			    "kvm_exit:             vcpu 0 reason HLT", ev("kvm_hv_timer_state", "vcpu_id 0 hv_timer 0"));
	/* the hrtimer wakes the vCPU; after the halt the LVTT is injected (the timer is consumed, so no switch back) */
	SEQ(p, NULL, "kvm_vcpu_wakeup:      ", ev("kvm_apic_accept_irq", "apicid 0 vec 236 (Fixed|edge)"));
	assert_true(r->m.vcpus[0].timer.fired_sw >= 1);
	run_free(r);
	/* 4.9's pre_block does not trace the switch */
	const char *const old[] = { "duration=2500us", "host.pcpus=1", "host.tasks=[]", "vm.vcpus=1", "kernel=4.9",
				    "vm.idle=halt", "vm.workload={type: idle}",
				    "vm.cyclictest={threads: 1, interval: 1ms, pinned: true}", NULL };
	r = run_with(old);
	assert_null(strstr(r->trace, "hv_timer 0"));
	assert_non_null(strstr(r->trace, "hv_timer 1"));
	run_free(r);
}

static const char *const msi_base[] = { "duration=2ms", "host.pcpus=1", "host.tasks=[]", "vm.vcpus=1",
					"vm.workload={type: periodic, period: 500us, work: 2us}", NULL };

static struct run *run_msi(const char *const *extra)
{
	const char *sets[32];
	int n = 0;
	for (; msi_base[n]; n++)
		sets[n] = msi_base[n];
	for (int i = 0; extra[i]; i++)
		sets[n++] = extra[i];
	sets[n] = NULL;
	return run_with(sets);
}

static void test_x2apic_eoi(void **state)
{
	struct run *r = run_msi((const char *const[]){ "kernel=5.15", "vm.apicv=false", NULL });
	SEQ(r->trace, NULL, ev("kvm_msi_set_irq", "dst 0 vec 65 (Fixed|physical|edge)"),
	    ev("kvm_apic_accept_irq", "apicid 0 vec 65 (Fixed|edge)"), ev("kvm_inj_virq", "irq 65"),
	    "kvm_exit:             vcpu 0 reason MSR_WRITE", ev("kvm_apic", "apic_write APIC_EOI = 0x0"),
	    ev("kvm_eoi", "apicid 0 vector 65"), ev("kvm_msr", "msr_write 80b = 0x0"));
	assert_null(strstr(r->trace, "kvm_pv_eoi"));
	run_free(r);
}

static void test_xapic_and_apicv_eoi(void **state)
{
	struct run *r = run_msi((const char *const[]){ "vm.apicv=false", "vm.apic=xapic", NULL });
	SEQ(r->trace, NULL, "reason APIC_ACCESS", ev("kvm_apic", "apic_write APIC_EOI = 0x0"),
	    ev("kvm_eoi", "apicid 0 vector 65"));
	assert_null(strstr(r->trace, "msr_write 80b"));
	run_free(r);
	/* APICv: no EOI exit, no injection trace */
	r = run_msi((const char *const[]){ "vm.apicv=true", NULL });
	assert_null(strstr(r->trace, "kvm_eoi"));
	assert_null(strstr(r->trace, "kvm_inj_virq"));
	assert_null(strstr(r->trace, "MSR_WRITE"));
	run_free(r);
	/* APICv with the vector in the EOI-exit bitmap: a trap-like EOI_INDUCED exit */
	r = run_msi((const char *const[]){ "vm.apicv=true", "vm.eoi_exit_vectors=[0x41]", NULL });
	SEQ(r->trace, NULL, "reason EOI_INDUCED", ev("kvm_eoi", "apicid 0 vector 65"));
	run_free(r);
}

static void test_pv_eoi(void **state)
{
	struct run *r = run_msi((const char *const[]){ "kernel=5.15", "vm.apicv=false", "vm.pv_eoi=true", NULL });
	/* no EOI write exits; the EOI is completed at the next exit (the HLT), kvm_eoi then kvm_pv_eoi */
	assert_null(strstr(r->trace, "msr_write 80b"));
	SEQ(r->trace, "kvm_inj_virq", "kvm_exit:             vcpu 0 reason HLT", ev("kvm_eoi", "apicid 0 vector 65"),
	    ev("kvm_pv_eoi", "apicid 0 vector 65"));
	const struct vcpu *v = &r->m.vcpus[0];
	assert_true(v->eoi.pv_armed > 0);
	assert_int_equal(v->eoi.native, 0);
	run_free(r);
	/* with APICv on, PV EOI is never armed */
	r = run_msi((const char *const[]){ "vm.apicv=true", "vm.pv_eoi=true", NULL });
	assert_int_equal(r->m.vcpus[0].eoi.pv_armed, 0);
	run_free(r);
}

static void test_pv_eoi_not_armed_with_irr_pending(void **state)
{
	/* two devices whose interrupts arrive together: the first injected finds the other in IRR */
	struct run *r = run_msi((const char *const[]){
		"vm.apicv=false", "vm.pv_eoi=true",
		"vm.devices=[{vector: 0x42, irq: {type: periodic, period: 500us, work: 1us}}]",
		"vm.workload={type: periodic, period: 500us, work: 2us}", NULL });
	const struct vcpu *v = &r->m.vcpus[0];
	/* the two periodic sources have independent phases: both kinds of EOI happen */
	assert_true(v->eoi.pv_completed > 0);
	assert_true(v->eoi.native + v->eoi.pv_completed >= 6);
	run_free(r);
}

static void test_hv_timer_overflow_falls_back(void **state)
{
	/* a deadline 2^37 cycles away (~60 s at 2.3 GHz) does not fit VMX_PREEMPTION_TIMER_VALUE << 5 */
	const char *const sets[] = { "duration=70s", "host.pcpus=1", "host.tasks=[]", "vm.vcpus=1", "kernel=6.1",
				     "vm.idle=poll", "vm.workload={type: idle}",
				     "vm.cyclictest={threads: 1, interval: 65s, loops: 1, pinned: true}", NULL };
	struct run *r = run_with(sets);
	const struct vcpu *v = &r->m.vcpus[0];
	assert_int_equal(v->timer.fired_sw, 1); /* -ERANGE: the hrtimer took it */
	assert_int_equal(v->timer.fired_hv, 0);
	assert_int_equal(r->m.ct[0].cycles, 1);
	run_free(r);
}

static void test_adaptive_advance(void **state)
{
	/* 5.4+: the advance starts at 1000 ns and converges on the path's real latency */
	const char *const sets[] = { "duration=300ms", "host.pcpus=1", "host.tasks=[]", "vm.vcpus=1", "kernel=5.15",
				     "kvm_intel.preemption_timer=false", "vm.idle=poll", "vm.workload={type: idle}",
				     "vm.cyclictest={threads: 1, interval: 1ms, pinned: true}", NULL };
	struct run *r = run_with(sets);
	const struct vcpu *v = &r->m.vcpus[0];
	assert_non_null(strstr(r->trace, "kvm_wait_lapic_expire: vcpu 0: delta "));
	assert_true(v->timer.timer_advance_ns != 1000);
	assert_true(v->timer.timer_advance_ns <= 5000);
	run_free(r);
	/* a fixed advance (<= 5.1 default 0) never adapts, and 0 means no busy-wait at all */
	const char *const fixed[] = { "duration=30ms", "host.pcpus=1", "host.tasks=[]", "vm.vcpus=1", "kernel=4.19",
				      "vm.idle=poll", "vm.workload={type: idle}",
				      "vm.cyclictest={threads: 1, interval: 1ms, pinned: true}", NULL };
	r = run_with(fixed);
	assert_int_equal(r->m.vcpus[0].timer.timer_advance_ns, 0);
	assert_null(strstr(r->trace, "kvm_wait_lapic_expire"));
	run_free(r);
}

static void test_perf_layouts(void **state)
{
	struct run *r = run_msi((const char *const[]){ "vm.apicv=false", NULL });
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	report_kvm_events(f, &r->m);
	fflush(f);
	/* "%18llu %-4s %-32s" then perf's 35 trailing spaces */
	char want[160];
	snprintf(want, sizeof(want), "%18llu      %-32s%35s\n", (unsigned long long)r->m.vcpus[0].events[EV_kvm_exit],
		 "kvm:kvm_exit", "");
	assert_non_null(strstr(buf, want));
	assert_non_null(strstr(buf, " Performance counter stats for 'kvmsim run "));
	assert_non_null(strstr(buf, "       0.002000000 seconds time elapsed\n"));
	fclose(f);
	free(buf);
	f = open_memstream(&buf, &len);
	report_exit_stats(f, &r->m);
	fflush(f);
	assert_non_null(strstr(buf, "\n\nAnalyze events for all VMs, all VCPUs:\n\n             VM-EXIT    Samples  Samples%     Time%    Min Time    Max Time         Avg time \n\n"));
	assert_non_null(strstr(buf, "                 HLT "));
	assert_non_null(strstr(buf, "\nTotal Samples:"));
	fclose(f);
	free(buf);
	run_free(r);
}

static void test_cyclictest_hist_layout(void **state)
{
	const char *sets[16];
	int n = 0;
	for (; cyc_poll[n]; n++)
		sets[n] = cyc_poll[n];
	sets[n] = NULL;
	struct run *r = run_with(sets);
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	cyclictest_write_hist(f, r->m.ct, r->m.nct);
	fflush(f);
	const struct cyclictest_thread *t = &r->m.ct[0];
	assert_int_equal(t->cycles, 2);
	assert_true(strncmp(buf, "# Histogram\n000000 000000\n000001 000000\n", 40) == 0);
	char want[200];
	snprintf(want, sizeof(want),
		 "# Total: 000000002\n# Min Latencies: %05lld\n# Avg Latencies: %05lld\n# Max Latencies: %05lld\n"
		 "# Histogram Overflows: 00000\n# Histogram Overflow at cycle number:\n# Thread 0:\n\n",
		 (long long)t->min_us, (long long)cyclictest_avg(t), (long long)t->max_us);
	assert_non_null(strstr(buf, want));
	assert_int_equal(strlen(buf), 12 + 100 * 14 + strlen(want));
	fclose(f);
	free(buf);
	run_free(r);
}

/*
 * test_hv_timer_due_at_write - a TSC deadline already due when the guest writes it: up to 5.1
 * the preemption timer is armed with 0 and fires a PREEMPTION_TIMER exit right after the
 * entry; from 5.2 start_hv_timer() fires it in software at the write (hv_timer 0), so the
 * interrupt is injected on the write's own entry. cyclictest at 3 us: every deadline is due.
 */
static void test_hv_timer_due_at_write(void **state)
{
	static const char *const kernels[] = { "kernel=4.19", "kernel=5.4", "kernel=6.12" };
	for (int k = 0; k < 3; k++) {
		const char *sets[] = { "duration=200us", "host.pcpus=1", "host.tasks=[]", "vm.vcpus=1", "vm.idle=poll",
				       "vm.workload={type: idle}", "kvm_intel.preemption_timer=true",
				       "vm.cyclictest={threads: 1, interval: 3us, loops: 20, pinned: true}", kernels[k], NULL };
		struct run *r = run_with(sets);
		const struct vcpu *v = &r->m.vcpus[0];
		assert_int_equal(r->m.ct[0].cycles, 20);
		assert_int_equal(v->exits[EXIT_REASON_MSR_WRITE].n, 20);
		if (k == 0) { /* every write arms the hv timer with 0: an exit each */
			assert_int_equal(v->exits[EXIT_REASON_PREEMPTION_TIMER].n, 20);
			assert_null(strstr(r->trace, "hv_timer 0"));
		} else { /* only the first deadline (the thread's start) was in the future */
			assert_true(v->exits[EXIT_REASON_PREEMPTION_TIMER].n <= 1);
			assert_non_null(strstr(r->trace, ev("kvm_hv_timer_state", "vcpu_id 0 hv_timer 0")));
		}
		run_free(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hv_timer_path),
		cmocka_unit_test(test_sw_timer_path),
		cmocka_unit_test(test_switch_around_halt),
		cmocka_unit_test(test_x2apic_eoi),
		cmocka_unit_test(test_xapic_and_apicv_eoi),
		cmocka_unit_test(test_pv_eoi),
		cmocka_unit_test(test_pv_eoi_not_armed_with_irr_pending),
		cmocka_unit_test(test_hv_timer_overflow_falls_back),
		cmocka_unit_test(test_adaptive_advance),
		cmocka_unit_test(test_perf_layouts),
		cmocka_unit_test(test_cyclictest_hist_layout),
		cmocka_unit_test(test_hv_timer_due_at_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
