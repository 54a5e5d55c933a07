/*
 * test_vcore.c - PowerPC Book3S HV vcore polling (models/vcore), hand-worked
 * from docs/kernel-behaviour.md §2: the window's grow, shrink without a floor
 * and clamp per era, 4.8-4.13's own halt_poll_max_ns, no polling before 4.8
 * or on POWER9 from 5.16, the statistics charged to the runner, and the
 * kvm_hv tracepoint text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/haltpoll/kvm_halt.h"
#include "models/tracepoints/kvm_tp.h"
#include "models/vcore/vcore.h"

struct fx {
	struct kvm_era era;
	struct kvm_module_params param;
	struct kvmppc_vcore vc;
	struct kvmppc_vcore_stat stat;
	struct kvmppc_vcore_tracer tr;
	int64_t now;
	char lines[8][160];
	int n;
};

static void cap_blocked(void *ctx, bool exit, uint32_t runner, int n_runnable)
{
	struct fx *f = ctx;
	char b[128];
	kvm_tp_vcore_blocked(b, sizeof(b), exit, (int)runner, n_runnable, 4242);
	snprintf(f->lines[f->n++ & 7], sizeof(f->lines[0]), "kvmppc_vcore_blocked: %s", b);
}

static void cap_wakeup(void *ctx, bool waited, uint64_t ns)
{
	struct fx *f = ctx;
	char b[128];
	kvm_tp_vcore_wakeup(b, sizeof(b), &f->era, waited, ns, 4242);
	snprintf(f->lines[f->n++ & 7], sizeof(f->lines[0]), "kvmppc_vcore_wakeup: %s", b);
}

static struct fx *fx_new(const char *version, enum kvmppc_cpu cpu)
{
	struct fx *f = calloc(1, sizeof(*f));
	unsigned v;
	char err[200];
	assert_int_equal(kvm_version_parse(version, &v, err, sizeof(err)), 0);
	assert_int_equal(kvm_era_for(v, KVM_ARCH_POWERPC, &f->era, err, sizeof(err)), 0);
	f->param = f->era.defaults;
	f->tr = (struct kvmppc_vcore_tracer){ cap_blocked, cap_wakeup, f };
	kvmppc_vcore_init(&f->vc, &f->era, cpu, &f->param, f->era.defaults.halt_poll_ns, 3, &f->stat, &f->tr);
	return f;
}

/* block - one whole-vcore block; returns the window after it. */
static uint32_t block(struct fx *f, uint64_t ns)
{
	f->n = 0;
	kvmppc_vcore_replay(&f->vc, &f->now, ns);
	return f->vc.halt_poll_ns;
}

/* The sequence on 6.18 (halt_poll_ns 10000, grow 2, grow_start 10000, shrink 2). */
static void test_618_no_shrink_floor(void **state)
{
	struct fx *f = fx_new("6.18", KVMPPC_POWER8);
	assert_int_equal(block(f, 5000), 10000);  /* 0 < MAX, T < MAX: grow to grow_start */
	assert_int_equal(block(f, 20000), 5000);  /* T > MAX: shrink, and 5000 < grow_start stays */
	assert_int_equal(block(f, 7000), 10000);  /* 5000 < T < MAX: grow */
	assert_int_equal(block(f, 20000), 5000);
	assert_int_equal(block(f, 20000), 2500);
	assert_int_equal(block(f, 20000), 1250);
	assert_int_equal(block(f, 1250), 1250); /* T <= window: unchanged */
	/* halving goes on to 0 by integer division: 625 312 156 78 39 19 9 4 2 1 0 */
	static const uint32_t down[] = { 625, 312, 156, 78, 39, 19, 9, 4, 2, 1, 0 };
	for (size_t i = 0; i < sizeof(down) / sizeof(*down); i++)
		assert_int_equal(block(f, 20000), down[i]);
	assert_int_equal(block(f, 20000), 0); /* window 0: no shrink, and T > MAX: no grow */
	free(f);
}

/* 6.10 keeps shrink 0: the first long block resets the window. */
static void test_610_shrink_zero(void **state)
{
	struct fx *f = fx_new("6.10", KVMPPC_POWER8);
	assert_int_equal(f->param.halt_poll_ns_shrink, 0);
	assert_int_equal(block(f, 5000), 10000);
	assert_int_equal(block(f, 20000), 0);
	free(f);
}

/* 5.1+: grow from halt_poll_ns_grow_start; grow 0 leaves the window alone. */
static void test_grow_start(void **state)
{
	struct fx *f = fx_new("5.4", KVMPPC_POWER8);
	f->param.halt_poll_ns = 100000;
	f->param.halt_poll_ns_grow_start = 15000;
	assert_int_equal(block(f, 20000), 15000);
	assert_int_equal(block(f, 20000), 30000);
	f->param.halt_poll_ns_grow = 0;
	assert_int_equal(block(f, 50000), 30000);
	free(f);
}

/* 4.14-5.0: grow from a fixed 10000 with no cap, then the clamp to kvm.halt_poll_ns. */
static void test_414_clamp_after(void **state)
{
	struct fx *f = fx_new("4.19", KVMPPC_POWER8);
	assert_true(f->era.vcore_clamp);
	assert_false(f->era.vcore_own_max);
	f->param.halt_poll_ns = 30000;
	f->param.halt_poll_ns_grow_start = 99999; /* not a parameter before 5.1: must not be read */
	assert_int_equal(block(f, 25000), 10000);
	assert_int_equal(block(f, 25000), 20000);
	assert_int_equal(block(f, 25000), 30000); /* 40000 clamped */
	/* the module parameter lowered live: the next block clamps even with no grow/shrink */
	f->param.halt_poll_ns = 8000;
	assert_int_equal(block(f, 100), 8000);
	/* max 0: the window is reset */
	f->param.halt_poll_ns = 0;
	assert_int_equal(block(f, 100), 0);
	free(f);
}

/* 4.8-4.13: kvm_hv.halt_poll_max_ns is MAX and grow's cap; no clamp after adapting. */
static void test_49_own_max(void **state)
{
	struct fx *f = fx_new("4.9", KVMPPC_POWER8);
	assert_true(f->era.vcore_own_max);
	assert_int_equal(kvmppc_vcore_max_ns(&f->vc), 500000); /* KVM_HALT_POLL_NS_DEFAULT of 4.9 */
	f->vc.halt_poll_max_ns = 30000;
	f->param.halt_poll_ns = 0; /* kvm.halt_poll_ns is not read by the vcore in 4.9 */
	assert_int_equal(block(f, 25000), 10000);
	assert_int_equal(block(f, 25000), 20000);
	assert_int_equal(block(f, 25000), 30000); /* 40000 capped inside grow */
	assert_int_equal(block(f, 25000), 30000);
	/* a lower ceiling later: no clamp, the window stays above it until a long block */
	f->vc.halt_poll_max_ns = 12000;
	assert_int_equal(block(f, 20000), 30000);
	assert_int_equal(block(f, 40000), 0); /* T > MAX: shrink, kvm_hv's shrink 0 */
	free(f);
}

/* 4.10-4.13: powerpc's default is 10000 by then, and halt_poll_max_ns follows it. */
static void test_410_default_max(void **state)
{
	struct fx *f = fx_new("4.13", KVMPPC_POWER8);
	assert_int_equal(kvmppc_vcore_max_ns(&f->vc), 10000);
	assert_int_equal(block(f, 5000), 10000);
	assert_int_equal(block(f, 5000), 10000);
	free(f);
}

/* Before 4.8 the vcore never polls: it sleeps, counts nothing, prints no wakeup. */
static void test_47_no_polling(void **state)
{
	struct fx *f = fx_new("4.7", KVMPPC_POWER8);
	assert_false(kvmppc_vcore_polls(&f->vc));
	assert_int_equal(block(f, 5000), 0);
	assert_int_equal(f->n, 2);
	assert_string_equal(f->lines[0], "kvmppc_vcore_blocked: Enter runner_vcpu=3 runnable=1 tgid=4242");
	assert_string_equal(f->lines[1], "kvmppc_vcore_blocked: Exit runner_vcpu=3 runnable=1 tgid=4242");
	assert_int_equal(f->stat.halt_successful_wait, 0);
	assert_int_equal(f->stat.generic.halt_wait_ns, 0);
	free(f);
}

/* POWER9: from 5.16 a ceded vCPU sleeps at once; before, it polled as POWER8 does. */
static void test_power9(void **state)
{
	struct fx *f = fx_new("6.1", KVMPPC_POWER9);
	assert_false(kvmppc_vcore_polls(&f->vc));
	assert_int_equal(block(f, 5000), 0);
	assert_int_equal(block(f, 5000), 0);
	assert_int_equal(f->n, 2);
	assert_string_equal(f->lines[0], "kvmppc_vcore_blocked: Enter runner_vcpu=3 runnable=0 tgid=4242");
	assert_int_equal(f->stat.generic.halt_attempted_poll, 0);
	assert_int_equal(f->stat.halt_successful_wait, 0);
	free(f);

	f = fx_new("5.15", KVMPPC_POWER9);
	assert_true(kvmppc_vcore_polls(&f->vc));
	assert_int_equal(block(f, 5000), 10000);
	free(f);
}

/* Statistics go to the runner: a successful poll, a failed poll and a sleep, a block of 0. */
static void test_stats(void **state)
{
	struct fx *f = fx_new("6.18", KVMPPC_POWER8);
	f->vc.n_runnable = 8;
	/* window 0: sleeps throughout */
	block(f, 5000);
	assert_int_equal(f->stat.generic.halt_attempted_poll, 0);
	assert_int_equal(f->stat.halt_successful_wait, 1);
	assert_int_equal(f->stat.generic.halt_wait_ns, 5000);
	assert_int_equal(f->stat.generic.halt_poll_fail_ns, 0);
	assert_int_equal(f->n, 3);
	assert_string_equal(f->lines[0], "kvmppc_vcore_blocked: Enter runner_vcpu=3 runnable=8 tgid=4242");
	assert_string_equal(f->lines[2], "kvmppc_vcore_wakeup: wait time 5000 ns, tgid=4242");
	/* window 10000, block 4000: a successful poll of 4000 */
	block(f, 4000);
	assert_int_equal(f->stat.generic.halt_attempted_poll, 1);
	assert_int_equal(f->stat.generic.halt_successful_poll, 1);
	assert_int_equal(f->stat.generic.halt_poll_success_ns, 4000);
	assert_int_equal(f->stat.generic.halt_poll_success_hist[kvm_stats_log_hist_index(4000)], 1);
	assert_int_equal(f->n, 1);
	assert_string_equal(f->lines[0], "kvmppc_vcore_wakeup: poll time 4000 ns, tgid=4242");
	/* window 10000, block 15000: polls 10000 in vain, sleeps 5000 */
	block(f, 15000);
	assert_int_equal(f->stat.generic.halt_attempted_poll, 2);
	assert_int_equal(f->stat.generic.halt_successful_poll, 1);
	assert_int_equal(f->stat.generic.halt_poll_fail_ns, 10000);
	assert_int_equal(f->stat.halt_successful_wait, 2);
	assert_int_equal(f->stat.generic.halt_wait_ns, 10000);
	assert_int_equal(f->stat.generic.halt_wait_hist[kvm_stats_log_hist_index(5000)], 2);
	assert_int_equal(f->vc.halt_poll_ns, 5000); /* T > MAX: shrink */
	/* a block of 0 with a window: found at the first check, a successful poll */
	block(f, 0);
	assert_int_equal(f->stat.generic.halt_successful_poll, 2);
	assert_string_equal(f->lines[0], "kvmppc_vcore_wakeup: poll time 0 ns, tgid=4242");
	free(f);

	/* no window and a block of 0: woken before sleeping; nothing counted */
	f = fx_new("6.18", KVMPPC_POWER8);
	block(f, 0);
	assert_int_equal(f->stat.generic.halt_successful_poll, 0);
	assert_int_equal(f->stat.halt_successful_wait, 0);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->vc.halt_poll_ns, 0); /* T <= window 0 */
	free(f);
}

/* The histograms arrived in 5.15; the times and halt_successful_wait in 4.8. */
static void test_hist_era(void **state)
{
	struct fx *f = fx_new("5.14", KVMPPC_POWER8);
	block(f, 5000);
	assert_int_equal(f->stat.generic.halt_wait_ns, 5000);
	assert_int_equal(f->stat.generic.halt_wait_hist[kvm_stats_log_hist_index(5000)], 0);
	free(f);
}

/* u32 arithmetic: grow wraps as the kernel's unsigned int does. */
static void test_u32_wrap(void **state)
{
	struct fx *f = fx_new("5.10", KVMPPC_POWER8);
	f->param.halt_poll_ns = 4000000000u;
	f->vc.halt_poll_ns = 3000000000u;
	assert_int_equal(block(f, 3500000000ull), (uint32_t)(3000000000ull * 2));
	free(f);
}

static void test_tp_text(void **state)
{
	struct fx *f = fx_new("4.9", KVMPPC_POWER8);
	char b[128];
	kvm_tp_vcore_wakeup(b, sizeof(b), &f->era, true, 123456789012ull, 77);
	assert_string_equal(b, "wait time 123456789012 ns, tgid=77");
	kvm_tp_vcore_blocked(b, sizeof(b), true, 5, 2, 77);
	assert_string_equal(b, "Exit runner_vcpu=5 runnable=2 tgid=77");
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_618_no_shrink_floor),
		cmocka_unit_test(test_610_shrink_zero),
		cmocka_unit_test(test_grow_start),
		cmocka_unit_test(test_414_clamp_after),
		cmocka_unit_test(test_49_own_max),
		cmocka_unit_test(test_410_default_max),
		cmocka_unit_test(test_47_no_polling),
		cmocka_unit_test(test_power9),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_hist_era),
		cmocka_unit_test(test_u32_wrap),
		cmocka_unit_test(test_tp_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
