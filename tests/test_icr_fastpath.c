/*
 * test_icr_fastpath.c - the x2APIC ICR write exit fastpath (models/vcpu/ipi.c, docs/kernel-behaviour.md
 * §5.5): which release has it (5.6; moved into the vendor run loop in 5.8; broadcast left out from
 * 5.7), which ICR writes qualify (no shorthand, physical, fixed), and what it does to the IPI
 * ping-pong: each of the two IPIs of a round trip leaves earlier by the skipped cost, the trace keeps
 * the same events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/costs/costs.h"
#include "models/haltpoll/kvm_era.h"
#include "models/vcpu/ipi.h"
#include "workloads/scenario/machine.h"

static struct kvm_era era(unsigned a, unsigned b, unsigned c, enum kvm_arch arch)
{
	struct kvm_era e;
	char msg[160];
	assert_int_equal(kvm_era_for(KVM_VERSION_CODE(a, b, c), arch, &e, msg, sizeof(msg)), 0);
	return e;
}

static void test_era_boundary(void **state)
{
	(void)state;
	assert_int_equal(era(5, 4, 0, KVM_ARCH_X86).icr_fastpath, 0);
	assert_int_equal(era(5, 5, 19, KVM_ARCH_X86).icr_fastpath, 0); /* the last 5.5 stable */
	assert_int_equal(era(5, 6, 0, KVM_ARCH_X86).icr_fastpath, 1);
	assert_int_equal(era(5, 7, 0, KVM_ARCH_X86).icr_fastpath, 1);
	assert_int_equal(era(5, 8, 0, KVM_ARCH_X86).icr_fastpath, 2);
	assert_int_equal(era(6, 12, 0, KVM_ARCH_X86).icr_fastpath, 2);
	assert_false(era(5, 6, 0, KVM_ARCH_X86).icr_fastpath_no_bcast);
	assert_true(era(5, 7, 0, KVM_ARCH_X86).icr_fastpath_no_bcast);
	assert_int_equal(era(6, 1, 0, KVM_ARCH_S390).icr_fastpath, 0); /* an x86 (VMX) exit path */
	assert_int_equal(era(6, 1, 0, KVM_ARCH_POWERPC).icr_fastpath, 0);
}

static bool takes(unsigned a, unsigned b, uint64_t icr)
{
	struct kvm_era e = era(a, b, 0, KVM_ARCH_X86);
	struct kvm_icr d;
	kvm_icr_decode(icr, true, &d);
	return kvm_icr_fastpath(&e, &d);
}

#define DEST(id) ((uint64_t)(id) << 32)

static void test_conditions(void **state)
{
	(void)state;
	const uint64_t unicast = DEST(1) | 0xfb; /* physical, fixed, no shorthand: what Linux sends */
	assert_false(takes(5, 5, unicast));
	assert_true(takes(5, 6, unicast));
	assert_true(takes(6, 12, unicast));
	/* shorthands: self, all including self, all but self */
	for (uint32_t sh = APIC_DEST_SELF; sh <= APIC_DEST_ALLBUT; sh++)
		assert_false(takes(6, 12, DEST(1) | sh << APIC_ICR_SHORTHAND_SHIFT | 0xfb));
	/* logical destination (x2APIC cluster 0, member 1) */
	assert_false(takes(6, 12, DEST(2) | APIC_ICR_DEST_LOGICAL | 0xfb));
	/* other delivery modes: lowest priority, SMI, NMI, INIT, SIPI */
	const uint32_t modes[] = { 1, 2, 4, 5, 6 };
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		assert_false(takes(6, 12, DEST(1) | modes[i] << APIC_ICR_DM_SHIFT | 0xfb));
	/* the broadcast ID: taken in 5.6, filtered from 5.7 */
	assert_true(takes(5, 6, DEST(0xffffffffu) | 0xfb));
	assert_false(takes(5, 7, DEST(0xffffffffu) | 0xfb));
	/* 0xff is an ordinary APIC ID in x2APIC mode */
	assert_true(takes(5, 7, DEST(0xff) | 0xfb));
}

/* ---- the ping-pong -------------------------------------------------------------------------- */

struct pp {
	struct scenario sc;
	struct machine m;
};

/* run - the shipped ping-pong, back to back, both vCPUs always in guest mode (idle=poll): every
 * round trip is the same chain of costs, so the releases differ by the fastpath alone. */
static struct pp *run(const char *kernel, const char *apic, const char *apicv)
{
	char path[512], k[64], a[64], av[64];
	const char *src = getenv("KVMSIM_SRC");
	snprintf(path, sizeof(path), "%s/workloads/scenarios/ipi-pingpong.yaml", src ? src : ".");
	snprintf(k, sizeof(k), "kernel=%s", kernel);
	snprintf(a, sizeof(a), "vm.apic=%s", apic);
	snprintf(av, sizeof(av), "vm.apicv=%s", apicv);
	struct scenario_set ss[] = { { k, NULL },		      { a, NULL },		 { av, NULL },
				     { "vm.idle=poll", NULL },	      { "vm.pingpong.think=0", NULL },
				     { "duration=30ms", NULL },	      { "warmup=0", NULL } };
	struct pp *r = calloc(1, sizeof(*r));
	struct conf_err err;
	if (scenario_load(&r->sc, path, ss, sizeof(ss) / sizeof(ss[0]), &err))
		fail_msg("scenario: %s", err.msg);
	if (machine_build(&r->m, &r->sc, NULL, &err))
		fail_msg("build: %s", err.msg);
	machine_run_until(&r->m, r->sc.duration);
	machine_finish(&r->m);
	assert_true(r->m.pp[0].round_trips > 1000);
	return r;
}

static void pp_free(struct pp *r)
{
	machine_free(&r->m);
	scenario_free(&r->sc);
	free(r);
}

static double mean_ps(const struct pp *r)
{
	return (double)r->m.pp[0].rtt_sum / (double)r->m.pp[0].round_trips;
}

static uint64_t fast_exits(const struct pp *r)
{
	uint64_t n = 0;
	for (int i = 0; i < r->m.nvcpus; i++)
		n += r->m.vcpus[i].icr_fastpath_exits;
	return n;
}

/* trace - the fastpath keeps the events: per IPI sent, as many kvm_exit/kvm_entry pairs, kvm_apic,
 * kvm_msr (ICR and EOI writes), kvm_apic_accept_irq and kvm_inj_virq lines in both releases; and one
 * kvm_apic_ipi per ICR write in each (allowing for the round trip the run's end cuts) */
static void check_trace(const struct pp *a, const struct pp *b)
{
	const int kinds[] = { EV_kvm_exit,	    EV_kvm_entry, EV_kvm_apic, EV_kvm_msr,
			      EV_kvm_apic_accept_irq, EV_kvm_inj_virq };
	for (int i = 0; i < a->m.nvcpus; i++) {
		const struct vcpu *va = &a->m.vcpus[i], *vb = &b->m.vcpus[i];
		assert_int_equal(va->events[EV_kvm_apic_ipi], va->ipis_sent);
		assert_int_equal(vb->events[EV_kvm_apic_ipi], vb->ipis_sent);
		double na = (double)va->ipis_sent, nb = (double)vb->ipis_sent;
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			double ra = (double)va->events[kinds[k]] / na, rb = (double)vb->events[kinds[k]] / nb;
			if (ra - rb > 4.0 / nb || rb - ra > 4.0 / nb)
				fail_msg("vcpu%d: event %d per IPI %.4f before, %.4f after", i, kinds[k], ra, rb);
		}
	}
}

/*
 * The round trip is two IPIs, each an x2APIC ICR write that qualifies: with the fastpath each
 * leaves earlier by the skipped cost, so the mean round trip is shorter by twice it. Tolerance:
 * 2 ns, the rounding of the means and of the profile's cycles to picoseconds.
 */
static void check_saving(const char *before, const char *after, int cost2, const char *apicv)
{
	struct pp *a = run(before, "x2apic", apicv), *b = run(after, "x2apic", apicv);
	const struct cost_profile *p = a->m.vcpus[0].prof;
	double saved = (double)p->ps[COST_icr_fastpath];
	if (cost2 >= 0)
		saved = (double)p->ps[cost2];
	double d = mean_ps(a) - mean_ps(b);
	if (d < 2 * saved - 2000 || d > 2 * saved + 2000)
		fail_msg("%s -> %s (apicv %s): round trip %.0f -> %.0f ps, %.0f shorter, expected 2 x %.0f", before,
			 after, apicv, mean_ps(a), mean_ps(b), d, saved);
	check_trace(a, b);
	pp_free(a);
	pp_free(b);
}

static void test_pingpong_x2apic(void **state)
{
	(void)state;
	/* 5.5 -> 5.6: the fastpath; without APICv as in the kvm-unit-tests figure, and with it */
	check_saving("5.5", "5.6", -1, "false");
	check_saving("5.5", "5.6", -1, "true");
	/* 5.7 -> 5.8: the move into the vendor run loop saves icr_fastpath_run more */
	check_saving("5.7", "5.8", COST_icr_fastpath_run, "false");

	/* 5.5 sends every IPI through the full path; 5.6 every one (all unicast) through the fastpath */
	struct pp *r = run("5.5", "x2apic", "false");
	assert_int_equal(fast_exits(r), 0);
	pp_free(r);
	r = run("5.6", "x2apic", "false");
	assert_true(fast_exits(r) > 2000);
	assert_int_equal(fast_exits(r), r->m.vcpus[0].ipis_sent + r->m.vcpus[1].ipis_sent);
	pp_free(r);
}

/* xAPIC: the ICR is an APIC page write (APIC_ACCESS), never the MSR fastpath, in any release */
static void test_xapic_unchanged(void **state)
{
	(void)state;
	struct pp *a = run("5.5", "xapic", "false"), *b = run("6.12", "xapic", "false");
	assert_int_equal(fast_exits(a), 0);
	assert_int_equal(fast_exits(b), 0);
	assert_int_equal(b->m.vcpus[0].exits[EXIT_REASON_MSR_WRITE].n, 0);
	pp_free(a);
	pp_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_era_boundary),
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_pingpong_x2apic),
		cmocka_unit_test(test_xapic_unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
