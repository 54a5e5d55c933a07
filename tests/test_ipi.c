/*
 * test_ipi.c - guest IPIs and the ping-pong: the ICR decoded and matched as
 * KVM does (shorthands, physical and logical destinations, x2APIC and xAPIC),
 * the PV send-IPI hypercall gated by release and APIC mode, delivery by
 * posted interrupt (no exit on a running receiver with APICv) or by an exit,
 * and the closed loop's books: round trips x their mean cover the time, CPU
 * time adds up, futex wake-ups need no IPI when the other CPU polls.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/vcpu/ipi.h"
#include "workloads/scenario/machine.h"
#include "workloads/scenario/report.h"

/* ---- the ICR ----------------------------------------------------------------------------- */

static void test_icr_decode(void **state)
{
	struct kvm_icr d;
	/* x2APIC: destination 0x12345678 in 63:32, logical, level-triggered assert, vector 0xfb, NMI */
	kvm_icr_decode(0x12345678ull << 32 | 0xc8fbu | 4u << 8, true, &d);
	assert_int_equal(d.dest, 0x12345678);
	assert_int_equal(d.vector, 0xfb);
	assert_int_equal(d.delivery_mode, 4);
	assert_true(d.logical);
	assert_true(d.level);
	assert_true(d.assert_);
	assert_int_equal(d.shorthand, APIC_DEST_NOSHORT);
	/* xAPIC: the destination is ICR2's bits 31:24; shorthand all-but-self */
	kvm_icr_decode((uint64_t)0x05000000 << 32 | 3u << 18 | 0x41, false, &d);
	assert_int_equal(d.dest, 5);
	assert_int_equal(d.vector, 0x41);
	assert_false(d.logical);
	assert_int_equal(d.shorthand, APIC_DEST_ALLBUT);
	char buf[128];
	kvm_tp_apic_ipi(buf, sizeof(buf), d.low, d.dest);
	assert_string_equal(buf, "dst 5 vec 65 (Fixed|physical|de-assert|edge|all-but-self)");
}

static void test_match_dest(void **state)
{
	struct kvm_icr d;
	kvm_icr_decode(0x3ull << 32 | 0xfb, true, &d); /* physical 3 */
	assert_true(kvm_apic_match_dest(&d, 0, 3, true));
	assert_false(kvm_apic_match_dest(&d, 0, 2, true));
	kvm_icr_decode(0xffffffffull << 32 | 0xfb, true, &d); /* x2APIC broadcast */
	assert_true(kvm_apic_match_dest(&d, 0, 200, true));
	kvm_icr_decode(0xffull << 32 | 0xfb, true, &d); /* 0xff is an ID in x2APIC, not a broadcast */
	assert_false(kvm_apic_match_dest(&d, 0, 200, true));
	assert_true(kvm_apic_match_dest(&d, 0, 0xff, true));
	/* x2APIC logical: cluster 1 (IDs 16..31), members 2 and 5 */
	kvm_icr_decode((1ull << 16 | 1u << 2 | 1u << 5) << 32 | APIC_ICR_DEST_LOGICAL | 0xfb, true, &d);
	assert_true(kvm_apic_match_dest(&d, 0, 18, true));
	assert_true(kvm_apic_match_dest(&d, 0, 21, true));
	assert_false(kvm_apic_match_dest(&d, 0, 2, true)); /* member 2 of cluster 0 */
	assert_false(kvm_apic_match_dest(&d, 0, 19, true));
	/* xAPIC flat logical: bit n is CPU n */
	kvm_icr_decode((uint64_t)0x0a000000 << 32 | APIC_ICR_DEST_LOGICAL | 0xfb, false, &d);
	assert_true(kvm_apic_match_dest(&d, 0, 1, false));
	assert_true(kvm_apic_match_dest(&d, 0, 3, false));
	assert_false(kvm_apic_match_dest(&d, 0, 2, false));
	/* shorthands override the destination */
	kvm_icr_decode(0x3ull << 32 | (uint32_t)APIC_DEST_SELF << 18 | 0xfb, true, &d);
	assert_true(kvm_apic_match_dest(&d, 7, 7, true));
	assert_false(kvm_apic_match_dest(&d, 7, 3, true));
	kvm_icr_decode((uint32_t)APIC_DEST_ALLINC << 18 | 0xfb, true, &d);
	assert_true(kvm_apic_match_dest(&d, 7, 7, true));
	assert_true(kvm_apic_match_dest(&d, 7, 1, true));
	kvm_icr_decode((uint32_t)APIC_DEST_ALLBUT << 18 | 0xfb, true, &d);
	assert_false(kvm_apic_match_dest(&d, 7, 7, true));
	assert_true(kvm_apic_match_dest(&d, 7, 1, true));
}

/* ---- runs of the shipped scenario -------------------------------------------------------- */

struct run {
	struct scenario sc;
	struct machine m;
	json_t *j;
};

static int load(struct scenario *sc, const char *const *sets, struct conf_err *err)
{
	char path[512];
	const char *src = getenv("KVMSIM_SRC");
	snprintf(path, sizeof(path), "%s/workloads/scenarios/ipi-pingpong.yaml", src ? src : ".");
	struct scenario_set ss[32];
	size_t n = 0;
	for (; sets && sets[n]; n++)
		ss[n] = (struct scenario_set){ sets[n], NULL };
	return scenario_load(sc, path, ss, n, err);
}

static struct run *run(const char *const *sets)
{
	struct run *r = calloc(1, sizeof(*r));
	struct conf_err err;
	if (load(&r->sc, sets, &err))
		fail_msg("scenario: %s", err.msg);
	if (machine_build(&r->m, &r->sc, NULL, &err))
		fail_msg("build: %s", err.msg);
	struct run_info ri = { 0, 0 };
	ri.events = machine_run_until(&r->m, r->sc.duration);
	machine_finish(&r->m);
	r->j = report_json(&r->m, &ri);
	return r;
}

static void run_free(struct run *r)
{
	json_decref(r->j);
	machine_free(&r->m);
	scenario_free(&r->sc);
	free(r);
}

static void test_pv_send_ipi_gating(void **state)
{
	struct kvm_era e;
	char msg[160];
	assert_int_equal(kvm_era_for(KVM_VERSION_CODE(4, 18, 0), KVM_ARCH_X86, &e, msg, sizeof(msg)), 0);
	assert_false(e.pv_send_ipi);
	assert_int_equal(kvm_era_for(KVM_VERSION_CODE(4, 19, 0), KVM_ARCH_X86, &e, msg, sizeof(msg)), 0);
	assert_true(e.pv_send_ipi);
	assert_int_equal(kvm_era_for(KVM_VERSION_CODE(6, 1, 0), KVM_ARCH_S390, &e, msg, sizeof(msg)), 0);
	assert_false(e.pv_send_ipi);

	struct scenario sc;
	struct conf_err err;
	const char *old[] = { "kernel=4.14", "vm.pingpong.pv_send_ipi=true", NULL };
	assert_int_not_equal(load(&sc, old, &err), 0);
	assert_non_null(strstr(err.msg, "vm.pingpong.pv_send_ipi"));
	assert_non_null(strstr(err.msg, "4.19"));
	scenario_free(&sc);
	const char *xapic[] = { "vm.apic=xapic", "vm.pingpong.pv_send_ipi=true", NULL };
	assert_int_not_equal(load(&sc, xapic, &err), 0);
	assert_non_null(strstr(err.msg, "x2APIC"));
	scenario_free(&sc);

	/* 4.19 and x2APIC: one VMCALL per IPI, no ICR write */
	const char *pv[] = { "kernel=4.19", "vm.pingpong.pv_send_ipi=true", "duration=20ms", "warmup=0", NULL };
	struct run *r = run(pv);
	uint64_t calls = 0, ipis = 0, sent = 0;
	for (int i = 0; i < r->m.nvcpus; i++) {
		calls += r->m.vcpus[i].exits[EXIT_REASON_VMCALL].n;
		ipis += r->m.vcpus[i].events[EV_kvm_apic_ipi];
		sent += r->m.vcpus[i].ipis_sent;
	}
	assert_true(r->m.pp[0].round_trips > 100);
	assert_int_equal(calls, sent);
	assert_int_equal(ipis, 0);
	assert_true(sent >= 2 * r->m.pp[0].round_trips);
	run_free(r);
}

/* delivery - receivers always in guest mode (idle=poll), no think time: only IPIs exit. */
static void test_posted_vs_exit(void **state)
{
	const char *posted[] = { "vm.idle=poll", "vm.pingpong.think=0", "duration=20ms", "warmup=0", NULL };
	struct run *r = run(posted);
	uint64_t trips = r->m.pp[0].round_trips;
	assert_true(trips > 1000);
	for (int i = 0; i < 2; i++) {
		const struct vcpu *v = &r->m.vcpus[i];
		assert_true(v->ipis_sent >= trips && v->ipis_sent <= trips + 1);
		assert_true(v->ipis_received >= trips && v->ipis_received <= trips + 1);
		/* the sender's ICR write exits, each time */
		assert_int_equal(v->exits[EXIT_REASON_MSR_WRITE].n, v->ipis_sent);
		assert_int_equal(v->events[EV_kvm_apic_ipi], v->ipis_sent);
		/* the running receiver takes it as a posted interrupt: no exit */
		assert_int_equal(v->exits[EXIT_REASON_EXTERNAL_INTERRUPT].n, 0);
	}
	run_free(r);

	const char *exits[] = { "vm.idle=poll", "vm.pingpong.think=0", "vm.apicv=false", "duration=20ms", "warmup=0",
				NULL };
	r = run(exits);
	for (int i = 0; i < 2; i++) {
		const struct vcpu *v = &r->m.vcpus[i];
		assert_true(v->ipis_received > 1000);
		/* without APICv the kick forces an exit on the receiver for (almost) every IPI */
		assert_true(v->exits[EXIT_REASON_EXTERNAL_INTERRUPT].n >= v->ipis_received * 9 / 10);
	}
	run_free(r);
}

static double jnum(const json_t *o, const char *k)
{
	const json_t *x = json_object_get(o, k);
	assert_non_null(x);
	return json_number_value(x);
}

/* conservation - with no think time the loop is back-to-back: the round trips and the sender's
 * short turnaround fill the measured time; each vCPU's CPU time adds up to it. */
static void check_books(const char *const *sets, bool futex_polls)
{
	struct run *r = run(sets);
	const struct machine *m = &r->m;
	const struct pingpong *p = &m->pp[0];
	sim_time_t span = r->sc.duration - m->warmup;
	assert_true(p->round_trips > 500);
	assert_true(p->rtt_sum <= span);
	sim_time_t mean = p->rtt_sum / (sim_time_t)p->round_trips;
	/* what the round trips leave out: the turnaround (under 1 us each) and one unfinished trip */
	assert_true(span - p->rtt_sum < (sim_time_t)p->round_trips * SIM_US + 4 * mean);
	const json_t *o = json_array_get(json_object_get(r->j, "pingpong"), 0);
	assert_non_null(o);
	assert_int_equal((uint64_t)jnum(o, "round_trips"), p->round_trips);
	double tps = jnum(o, "transactions_per_s");
	assert_true(tps * (double)span / SIM_S > (double)p->round_trips - 0.5);
	assert_true(tps * (double)span / SIM_S < (double)p->round_trips + 0.5);
	assert_int_equal((uint64_t)jnum(json_object_get(o, "rtt"), "count"), p->round_trips);
	for (int i = 0; i < m->nvcpus; i++) {
		sim_time_t sum = 0;
		for (int a = 0; a < VACCT_N; a++)
			sum += m->vcpus[i].acct_ps[a];
		assert_int_equal(sum, span);
	}
	if (futex_polls) { /* the other CPU polls in guest mode: wake-ups set need_resched, no IPI */
		assert_true(p->polling_wakes > p->ipis * 4);
	}
	run_free(r);
}

static void test_conservation(void **state)
{
	const char *ipi[] = { "vm.pingpong.think=0", "duration=50ms", NULL };
	check_books(ipi, false);
	const char *futex[] = { "vm.pingpong.mode=futex", "vm.pingpong.think=0", "duration=50ms", NULL };
	check_books(futex, false);
	const char *futex_hp[] = { "vm.pingpong.mode=futex", "vm.pingpong.think=0", "vm.guest_haltpoll.enabled=true",
				   "duration=50ms", NULL };
	check_books(futex_hp, true);
}

/* polling pays: host halt polling and guest haltpoll each shorten the round trip against none */
static void test_polling_shortens_round_trip(void **state)
{
	const char *none[] = { "kvm.halt_poll_ns=0", "duration=100ms", NULL };
	const char *host[] = { "duration=100ms", NULL };
	const char *guest[] = { "vm.guest_haltpoll.enabled=true", "duration=100ms", NULL };
	struct run *r0 = run(none), *r1 = run(host), *r2 = run(guest);
	double m0 = (double)r0->m.pp[0].rtt_sum / (double)r0->m.pp[0].round_trips;
	double m1 = (double)r1->m.pp[0].rtt_sum / (double)r1->m.pp[0].round_trips;
	double m2 = (double)r2->m.pp[0].rtt_sum / (double)r2->m.pp[0].round_trips;
	assert_true(m1 < 0.7 * m0);
	assert_true(m2 < 0.7 * m0);
	/* the responder's halts end by IPIs: with host polling they are successful, valid polls */
	const struct kvm_vcpu_stat *st = &r1->m.vcpus[1].hp.stat;
	assert_true(st->halt_successful_poll > r1->m.pp[0].round_trips * 9 / 10);
	assert_int_equal(st->halt_poll_invalid, 0);
	assert_int_equal(r0->m.vcpus[1].hp.stat.halt_successful_poll, 0);
	run_free(r0);
	run_free(r1);
	run_free(r2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_icr_decode),
		cmocka_unit_test(test_match_dest),
		cmocka_unit_test(test_pv_send_ipi_gating),
		cmocka_unit_test(test_posted_vs_exit),
		cmocka_unit_test(test_conservation),
		cmocka_unit_test(test_polling_shortens_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
