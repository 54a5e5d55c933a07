/*
 * test_haltpoll.c - the kernel's halt polling per era, hand-worked from
 * docs/kernel-behaviour.md §1 (with the release boundaries the
 * kernel's history gives): grow/shrink/reset/clamp, the decision table, the
 * statistics, the tracepoint text, and the policy plug-in interface.
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
#include "models/haltpoll/policies.h"
#include "models/haltpoll/replay.h"
#include "models/tracepoints/kvm_tp.h"

struct fx {
	struct kvm_era era;
	struct kvm_module_params param;
	struct kvm_vm_haltpoll vm;
	struct kvm_vcpu_haltpoll v;
	struct kvm_halt_tracer tr;
	int64_t now;
	char lines[16][160];
	int n;
};

static void cap_poll(void *ctx, uint32_t id, bool grow, uint32_t nw, uint32_t old)
{
	struct fx *f = ctx;
	char b[128];
	kvm_tp_halt_poll_ns(b, sizeof(b), &f->era, id, grow, nw, old);
	snprintf(f->lines[f->n++], sizeof(f->lines[0]), "kvm_halt_poll_ns: %s", b);
}

static void cap_wake(void *ctx, uint32_t id, uint64_t ns, bool waited, bool valid)
{
	struct fx *f = ctx;
	char b[128];
	kvm_tp_vcpu_wakeup(b, sizeof(b), &f->era, ns, waited, valid);
	snprintf(f->lines[f->n++], sizeof(f->lines[0]), "kvm_vcpu_wakeup: %s", b);
}

static struct fx *fx_new(const char *version, enum kvm_arch arch, const struct hp_policy *pol)
{
	struct fx *f = calloc(1, sizeof(*f));
	unsigned v;
	char err[200];
	assert_int_equal(kvm_version_parse(version, &v, err, sizeof(err)), 0);
	assert_int_equal(kvm_era_for(v, arch, &f->era, err, sizeof(err)), 0);
	f->param = f->era.defaults;
	f->tr = (struct kvm_halt_tracer){ cap_poll, cap_wake, f };
	assert_int_equal(kvm_vm_haltpoll_init(&f->vm, &f->era, &f->param, pol ? pol : &hp_policy_kvm, NULL, 0,
					      err, sizeof(err)),
			 0);
	kvm_vcpu_haltpoll_init(&f->v, &f->vm, 0, &f->tr);
	return f;
}

static void fx_free(struct fx *f)
{
	kvm_vm_haltpoll_fini(&f->vm);
	free(f);
}

/* halt - one idealised halt; expect the lines it prints (NULL-terminated). */
static void halt_x(struct fx *f, uint64_t ns, bool valid, const char *const *want)
{
	f->n = 0;
	replay_halt(&f->v, &f->now, ns, valid);
	int k = 0;
	for (; want[k]; k++) {
		assert_true(k < f->n);
		assert_string_equal(f->lines[k], want[k]);
	}
	assert_int_equal(f->n, k);
}
#define HALT(f, ns, ...) halt_x(f, ns, true, (const char *const[]){ __VA_ARGS__, NULL })
#define HALT_INVALID(f, ns, ...) halt_x(f, ns, false, (const char *const[]){ __VA_ARGS__, NULL })

static void test_era_table(void **state)
{
	struct kvm_era e;
	char err[200];
	unsigned v;
#define ERA(ver, arch) (kvm_version_parse(ver, &v, err, sizeof(err)), kvm_era_for(v, arch, &e, err, sizeof(err)), e)
	assert_int_equal(ERA("4.4", KVM_ARCH_X86).era, 'A');
	assert_int_equal(e.defaults.halt_poll_ns, 500000);
	assert_int_equal(ERA("4.9", KVM_ARCH_X86).era, 'B');
	assert_int_equal(e.defaults.halt_poll_ns, 400000);
	assert_int_equal(ERA("4.14.177", KVM_ARCH_X86).defaults.halt_poll_ns, 200000);
	assert_int_equal(ERA("5.4", KVM_ARCH_X86).era, 'C');
	assert_int_equal(ERA("5.10.7", KVM_ARCH_X86).era, 'D');
	assert_int_equal(e.grow_cap, KVM_GROW_CAP_GLOBAL);
	assert_false(e.need_resched);
	assert_int_equal(ERA("5.10.38", KVM_ARCH_X86).grow_cap, KVM_GROW_CAP_VM);
	assert_true(e.need_resched);
	assert_false(e.shrink_floor);
	assert_true(ERA("5.10.72", KVM_ARCH_X86).shrink_floor);
	assert_false(ERA("5.4.151", KVM_ARCH_X86).shrink_floor);
	assert_true(ERA("5.4.152", KVM_ARCH_X86).shrink_floor);
	assert_int_equal(ERA("5.12.4", KVM_ARCH_X86).grow_cap, KVM_GROW_CAP_GLOBAL);
	assert_int_equal(ERA("5.12.9", KVM_ARCH_X86).grow_cap, KVM_GROW_CAP_VM);
	assert_int_equal(ERA("5.15", KVM_ARCH_X86).era, 'E');
	assert_false(e.halt_split);
	assert_true(ERA("5.17", KVM_ARCH_X86).halt_split);
	assert_int_equal(ERA("6.1", KVM_ARCH_X86).era, 'F');
	assert_int_equal(ERA("6.10", KVM_ARCH_X86).defaults.halt_poll_ns_shrink, 0);
	assert_int_equal(ERA("6.11", KVM_ARCH_X86).defaults.halt_poll_ns_shrink, 2);
	assert_int_equal(ERA("4.9", KVM_ARCH_POWERPC).defaults.halt_poll_ns, 500000);
	assert_int_equal(ERA("4.14", KVM_ARCH_POWERPC).defaults.halt_poll_ns, 10000);
	assert_int_equal(ERA("4.4", KVM_ARCH_S390).defaults.halt_poll_ns, 0);
	assert_int_equal(ERA("4.9", KVM_ARCH_S390).defaults.halt_poll_ns, 80000);
	assert_int_equal(ERA("5.4", KVM_ARCH_S390).defaults.halt_poll_ns, 50000);
	assert_int_equal(ERA("6.6", KVM_ARCH_ARM64).defaults.halt_poll_ns, 500000);
	/* tracepoint layouts */
	assert_int_equal(ERA("5.3", KVM_ARCH_X86).tp_kvm_exit, 0);
	assert_int_equal(ERA("5.4", KVM_ARCH_X86).tp_kvm_exit, 1);
	assert_int_equal(ERA("5.10", KVM_ARCH_X86).tp_kvm_exit, 2);
	assert_int_equal(ERA("6.14", KVM_ARCH_X86).tp_kvm_exit, 3);
	assert_int_equal(ERA("6.1.148", KVM_ARCH_X86).tp_kvm_entry, 1);
	assert_int_equal(ERA("6.1.149", KVM_ARCH_X86).tp_kvm_entry, 2);
	assert_int_equal(ERA("6.9", KVM_ARCH_X86).tp_kvm_entry, 2);
#undef ERA
	assert_int_equal(kvm_version_parse("5", &v, err, sizeof(err)), -1);
	assert_int_equal(kvm_version_parse("6.x", &v, err, sizeof(err)), -1);
	assert_int_equal(kvm_version_parse("", &v, err, sizeof(err)), -1);
	assert_int_equal(kvm_version_parse("v6.1.15", &v, err, sizeof(err)), 0);
	assert_int_equal(v, KVM_VERSION_CODE(6, 1, 15));
	assert_int_equal(kvm_version_parse("4.2", &v, err, sizeof(err)), 0);
	assert_int_equal(kvm_era_for(v, KVM_ARCH_X86, &e, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "4.3"));
}

static void test_hist_index(void **state)
{
	assert_int_equal(kvm_stats_log_hist_index(0), 0);
	assert_int_equal(kvm_stats_log_hist_index(1), 1);
	assert_int_equal(kvm_stats_log_hist_index(2), 2);
	assert_int_equal(kvm_stats_log_hist_index(3), 2);
	assert_int_equal(kvm_stats_log_hist_index(4), 3);
	assert_int_equal(kvm_stats_log_hist_index(5000), 13);
	assert_int_equal(kvm_stats_log_hist_index((1ull << 30) - 1), 30);
	assert_int_equal(kvm_stats_log_hist_index(1ull << 30), 31);
	assert_int_equal(kvm_stats_log_hist_index(299976141), 29); /* seen on a real 6.18 host */
	assert_int_equal(kvm_stats_log_hist_index(1ull << 40), 31);
}

static void test_era_a_4_4(void **state)
{
	struct fx *f = fx_new("4.4", KVM_ARCH_X86, NULL);
	HALT(f, 50000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 10000 (grow 0)", "kvm_vcpu_wakeup: wait time 50000 ns");
	HALT(f, 5000, "kvm_vcpu_wakeup: poll time 5000 ns");
	HALT(f, 30000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 20000 (grow 10000)",
	     "kvm_vcpu_wakeup: wait time 30000 ns");
	HALT(f, 600000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 0 (shrink 20000)",
	     "kvm_vcpu_wakeup: wait time 600000 ns");
	assert_int_equal(f->v.stat.halt_attempted_poll, 3); /* every halt with hpn != 0 */
	assert_int_equal(f->v.stat.halt_successful_poll, 1);
	assert_int_equal(f->v.stat.halt_wakeup, 3);
	/* docs/kernel-behaviour.md §1.10.1: no ceiling in grow; a later halt in (max, hpn] keeps it */
	f->v.hp.halt_poll_ns = 320000;
	HALT(f, 400000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 640000 (grow 320000)",
	     "kvm_vcpu_wakeup: wait time 400000 ns");
	HALT(f, 550000, "kvm_vcpu_wakeup: poll time 550000 ns");
	HALT(f, 700000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 0 (shrink 640000)",
	     "kvm_vcpu_wakeup: wait time 700000 ns");
	/* 4.4 prints int: a wrapped value shows negative */
	f->param.halt_poll_ns = 4000000000u;
	f->v.hp.halt_poll_ns = 1500000000u;
	HALT(f, 1600000000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns -1294967296 (grow 1500000000)",
	     "kvm_vcpu_wakeup: wait time 1600000000 ns");
	fx_free(f);
}

static void test_era_b_4_9(void **state)
{
	struct fx *f = fx_new("4.9", KVM_ARCH_X86, NULL); /* max 400000 */
	f->v.hp.halt_poll_ns = 320000;
	HALT(f, 350000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 400000 (grow 320000)",
	     "kvm_vcpu_wakeup: wait time 350000 ns, polling valid");
	HALT(f, 400000, "kvm_vcpu_wakeup: poll time 400000 ns, polling valid");
	/* T == max with hpn < max: no change (neither rule applies) */
	f->v.hp.halt_poll_ns = 100000;
	HALT(f, 400000, "kvm_vcpu_wakeup: wait time 400000 ns, polling valid");
	/* grow = 0 from 0 stays 0, and still traces */
	f->param.halt_poll_ns_grow = 0;
	f->v.hp.halt_poll_ns = 0;
	HALT(f, 5000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 0 (grow 0)", "kvm_vcpu_wakeup: wait time 5000 ns, polling valid");
	fx_free(f);
}

static void test_era_c_5_4(void **state)
{
	struct fx *f = fx_new("5.4", KVM_ARCH_X86, NULL); /* max 200000, grow_start 10000 */
	HALT(f, 5000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 10000 (grow 0)", "kvm_vcpu_wakeup: wait time 5000 ns, polling valid");
	HALT(f, 15000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 20000 (grow 10000)",
	     "kvm_vcpu_wakeup: wait time 15000 ns, polling valid");
	f->param.halt_poll_ns_grow_start = 50000;
	HALT(f, 30000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 50000 (grow 20000)",
	     "kvm_vcpu_wakeup: wait time 30000 ns, polling valid");
	/* grow = 0: no change, trace still emitted with new == old */
	f->param.halt_poll_ns_grow = 0;
	HALT(f, 60000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 50000 (grow 50000)",
	     "kvm_vcpu_wakeup: wait time 60000 ns, polling valid");
	/* 5.4.0 shrink=2 has no floor: 10000 -> 5000 */
	f->param.halt_poll_ns_shrink = 2;
	f->v.hp.halt_poll_ns = 10000;
	HALT(f, 300000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 5000 (shrink 10000)",
	     "kvm_vcpu_wakeup: wait time 300000 ns, polling valid");
	/* no poll-time statistics in 5.4 */
	assert_int_equal(f->v.stat.halt_poll_success_ns + f->v.stat.halt_poll_fail_ns, 0);
	fx_free(f);
	/* the stable backport 5.4.152 brings the floor */
	f = fx_new("5.4.152", KVM_ARCH_X86, NULL);
	f->param.halt_poll_ns_shrink = 2;
	f->v.hp.halt_poll_ns = 10000;
	HALT(f, 300000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 0 (shrink 10000)",
	     "kvm_vcpu_wakeup: wait time 300000 ns, polling valid");
	fx_free(f);
}

static void test_era_d_grow_cap(void **state)
{
	/* docs/kernel-behaviour.md §1.10.2: 5.10.7 with KVM_CAP_HALT_POLL above the module value */
	struct fx *f = fx_new("5.10.7", KVM_ARCH_X86, NULL);
	kvm_vm_enable_cap_halt_poll(&f->vm, 300000);
	f->v.hp.halt_poll_ns = 200000;
	HALT(f, 250000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 200000 (grow 200000)",
	     "kvm_vcpu_wakeup: wait time 250000 ns, polling valid");
	HALT(f, 250000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 200000 (grow 200000)",
	     "kvm_vcpu_wakeup: wait time 250000 ns, polling valid");
	fx_free(f);
	f = fx_new("5.10.38", KVM_ARCH_X86, NULL);
	kvm_vm_enable_cap_halt_poll(&f->vm, 300000);
	f->v.hp.halt_poll_ns = 200000;
	HALT(f, 250000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 300000 (grow 200000)",
	     "kvm_vcpu_wakeup: wait time 250000 ns, polling valid");
	fx_free(f);
}

static void test_era_e_5_15(void **state)
{
	struct fx *f = fx_new("5.15", KVM_ARCH_X86, NULL);
	/* docs/kernel-behaviour.md §1.10.6: shrink floor */
	f->param.halt_poll_ns_shrink = 2;
	f->v.hp.halt_poll_ns = 40000;
	HALT(f, 300000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 20000 (shrink 40000)",
	     "kvm_vcpu_wakeup: wait time 300000 ns, polling valid");
	HALT(f, 300000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 10000 (shrink 20000)",
	     "kvm_vcpu_wakeup: wait time 300000 ns, polling valid");
	HALT(f, 300000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 0 (shrink 10000)",
	     "kvm_vcpu_wakeup: wait time 300000 ns, polling valid");
	/* docs/kernel-behaviour.md §1.10.3: the module parameter is snapshotted at VM creation */
	f->param.halt_poll_ns = 50000;
	assert_int_equal(kvm_max_poll_ns(&f->v), 200000);
	fx_free(f);
}

static void test_era_f_clamp_and_override(void **state)
{
	struct fx *f = fx_new("6.1", KVM_ARCH_X86, NULL);
	/* docs/kernel-behaviour.md §1.10.4: grow stores a value above MAX; the next halt clamps silently */
	f->v.hp.halt_poll_ns = 160000;
	HALT(f, 190000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 320000 (grow 160000)",
	     "kvm_vcpu_wakeup: wait time 190000 ns, polling valid");
	assert_int_equal(f->v.hp.halt_poll_ns, 320000);
	HALT(f, 150000, "kvm_vcpu_wakeup: poll time 150000 ns, polling valid");
	assert_int_equal(f->v.hp.halt_poll_ns, 200000);
	/* the live module parameter is the ceiling without an override... */
	f->param.halt_poll_ns = 100000;
	assert_int_equal(kvm_max_poll_ns(&f->v), 100000);
	/* ...and KVM_CAP_HALT_POLL overrides it from then on */
	kvm_vm_enable_cap_halt_poll(&f->vm, 300000);
	f->param.halt_poll_ns = 5;
	assert_int_equal(kvm_max_poll_ns(&f->v), 300000);
	fx_free(f);
	/* 6.11: shrink defaults to 2 */
	f = fx_new("6.11", KVM_ARCH_X86, NULL);
	f->v.hp.halt_poll_ns = 40000;
	HALT(f, 300000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 20000 (shrink 40000)",
	     "kvm_vcpu_wakeup: wait time 300000 ns, polling valid");
	fx_free(f);
}

static void test_max_zero_resets_silently(void **state)
{
	struct fx *f = fx_new("5.4", KVM_ARCH_X86, NULL);
	f->param.halt_poll_ns = 0;
	f->v.hp.halt_poll_ns = 30000;
	HALT(f, 50000, "kvm_vcpu_wakeup: wait time 50000 ns, polling valid"); /* polled 30000, then reset */
	assert_int_equal(f->v.hp.halt_poll_ns, 0);
	fx_free(f);
}

static void test_no_poll(void **state)
{
	/* docs/kernel-behaviour.md §1.10.8: guest haltpoll disabled host polling (6.x): no poll, no adaptation, clamp still */
	struct fx *f = fx_new("6.6", KVM_ARCH_X86, NULL);
	f->v.msr_kvm_poll_control = 0;
	f->v.hp.halt_poll_ns = 300000;
	HALT(f, 5000, "kvm_vcpu_wakeup: wait time 5000 ns, polling valid");
	assert_int_equal(f->v.hp.halt_poll_ns, 200000);
	assert_int_equal(f->v.stat.halt_attempted_poll, 0);
	fx_free(f);
	/* 5.3: no_poll skips the loop, but grow/shrink still run (gated from 5.4) */
	f = fx_new("5.3", KVM_ARCH_X86, NULL);
	f->v.msr_kvm_poll_control = 0;
	HALT(f, 5000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 10000 (grow 0)",
	     "kvm_vcpu_wakeup: wait time 5000 ns, polling valid");
	HALT(f, 5000, "kvm_vcpu_wakeup: wait time 5000 ns, polling valid"); /* T <= hpn: keep; no poll */
	assert_int_equal(f->v.stat.halt_attempted_poll, 0);
	fx_free(f);
	f = fx_new("5.4", KVM_ARCH_X86, NULL);
	f->v.msr_kvm_poll_control = 0;
	HALT(f, 5000, "kvm_vcpu_wakeup: wait time 5000 ns, polling valid");
	fx_free(f);
	/* before 5.3 the MSR does not exist: polling happens */
	f = fx_new("4.19", KVM_ARCH_X86, NULL);
	f->v.msr_kvm_poll_control = 0;
	f->v.hp.halt_poll_ns = 10000;
	HALT(f, 5000, "kvm_vcpu_wakeup: poll time 5000 ns, polling valid");
	fx_free(f);
}

static void test_invalid_wakeups_s390(void **state)
{
	/* docs/kernel-behaviour.md §1.10.7 */
	struct fx *f = fx_new("5.15", KVM_ARCH_S390, NULL);
	HALT_INVALID(f, 1000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 0 (shrink 0)",
		     "kvm_vcpu_wakeup: wait time 1000 ns, polling invalid");
	f->v.hp.halt_poll_ns = 10000;
	HALT_INVALID(f, 5000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 0 (shrink 10000)",
		     "kvm_vcpu_wakeup: poll time 5000 ns, polling invalid");
	assert_int_equal(f->v.stat.halt_poll_invalid, 1);
	assert_int_equal(f->v.stat.halt_successful_poll, 1);
	fx_free(f);
	/* on x86 a wake-up is always valid */
	f = fx_new("5.15", KVM_ARCH_X86, NULL);
	f->v.hp.halt_poll_ns = 10000;
	HALT_INVALID(f, 5000, "kvm_vcpu_wakeup: poll time 5000 ns, polling valid");
	fx_free(f);
}

static void test_stats_era_f(void **state)
{
	struct fx *f = fx_new("6.6", KVM_ARCH_X86, NULL);
	f->param.halt_poll_ns_grow = 1; /* keep the window at 10000 */
	f->v.hp.halt_poll_ns = 10000;
	HALT(f, 5000, "kvm_vcpu_wakeup: poll time 5000 ns, polling valid");
	HALT(f, 50000, "kvm_halt_poll_ns: vcpu 0: halt_poll_ns 10000 (grow 10000)",
	     "kvm_vcpu_wakeup: wait time 50000 ns, polling valid");
	const struct kvm_vcpu_stat *s = &f->v.stat;
	assert_int_equal(s->halt_attempted_poll, 2);
	assert_int_equal(s->halt_successful_poll, 1);
	assert_int_equal(s->halt_poll_success_ns, 5000);
	assert_int_equal(s->halt_poll_fail_ns, 10000);
	assert_int_equal(s->halt_wait_ns, 40000);
	assert_int_equal(s->halt_poll_success_hist[13], 1);
	assert_int_equal(s->halt_poll_fail_hist[14], 1);
	assert_int_equal(s->halt_wait_hist[16], 1);
	assert_int_equal(s->halt_wakeup, 1);
	fx_free(f);
}

/* A loop that timed out, then an event before schedule(): the eras disagree on what it was. */
static void late_event(struct fx *f)
{
	struct kvm_halt h;
	f->v.hp.halt_poll_ns = 10000;
	kvm_vcpu_halt_begin(&f->v, &h, 1000000);
	assert_true(h.do_poll);
	struct kvm_halt_result r = { .loop_success = false, .waited = false, .valid_wakeup = true,
				     .poll_end_ns = 1010000, .check_ns = 1010000, .cur_ns = 1010100 };
	f->n = 0;
	kvm_vcpu_halt_end(&f->v, &h, &r);
}

static void test_success_definition_by_era(void **state)
{
	struct fx *f = fx_new("5.15", KVM_ARCH_X86, NULL);
	late_event(f);
	assert_int_equal(f->v.stat.halt_attempted_poll, 1);
	assert_int_equal(f->v.stat.halt_successful_poll, 0); /* only a check inside the loop counts */
	assert_int_equal(f->v.stat.halt_poll_success_ns, 10000); /* but !waited puts the time here */
	assert_int_equal(f->v.stat.halt_poll_fail_hist[14], 1);  /* and the give-up went to fail_hist */
	assert_string_equal(f->lines[f->n - 1], "kvm_vcpu_wakeup: poll time 10100 ns, polling valid");
	fx_free(f);
	f = fx_new("5.17", KVM_ARCH_X86, NULL);
	late_event(f);
	assert_int_equal(f->v.stat.halt_successful_poll, 1); /* never scheduled out: success */
	assert_int_equal(f->v.stat.halt_poll_success_hist[14], 1);
	assert_int_equal(f->v.stat.halt_poll_fail_hist[14], 0);
	fx_free(f);
}

static void test_simple_policies(void **state)
{
	struct fx *f = fx_new("6.6", KVM_ARCH_X86, &hp_policy_fixed);
	HALT(f, 150000, "kvm_vcpu_wakeup: poll time 150000 ns, polling valid");
	HALT(f, 900000, "kvm_vcpu_wakeup: wait time 900000 ns, polling valid");
	assert_int_equal(f->v.stat.halt_poll_fail_ns, 200000);
	fx_free(f);
	f = fx_new("6.6", KVM_ARCH_X86, &hp_policy_none);
	HALT(f, 1000, "kvm_vcpu_wakeup: wait time 1000 ns, polling valid");
	assert_int_equal(f->v.stat.halt_attempted_poll, 0);
	fx_free(f);
}

static void test_policy_plugin(void **state)
{
	const char *dir = getenv("KVMSIM_BUILD");
	char path[1024], err[512];
	snprintf(path, sizeof(path), "%s/libewma_policy.so", dir ? dir : "build");
	const struct hp_policy *p = hp_policy_load(path, err, sizeof(err));
	assert_non_null(p);
	assert_string_equal(p->name, "ewma");
	assert_ptr_equal(hp_policy_find("ewma"), p);
	/* loading it twice clashes by name */
	assert_null(hp_policy_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, "name"));
	assert_null(hp_policy_load("/nonexistent/x.so", err, sizeof(err)));
	/* its parameters are checked by its vm_init */
	struct kvm_era e;
	kvm_era_for(KVM_VERSION_CODE(6, 6, 0), KVM_ARCH_X86, &e, err, sizeof(err));
	struct kvm_module_params mp = e.defaults;
	struct kvm_vm_haltpoll vm;
	struct hp_param bad = { "alpha", "2" };
	assert_int_equal(kvm_vm_haltpoll_init(&vm, &e, &mp, p, &bad, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "alpha"));
	struct hp_param ok[] = { { "alpha", "0.5" }, { "factor", "2" } };
	assert_int_equal(kvm_vm_haltpoll_init(&vm, &e, &mp, p, ok, 2, err, sizeof(err)), 0);
	struct kvm_vcpu_haltpoll v;
	kvm_vcpu_haltpoll_init(&v, &vm, 0, NULL);
	int64_t now = 0;
	replay_halt(&v, &now, 20000, true); /* avg 10000 -> window 20000 */
	replay_halt(&v, &now, 20000, true); /* avg 15000 -> window 30000 */
	assert_int_equal(v.hp.halt_poll_ns, 20000);
	assert_int_equal(v.stat.halt_successful_poll, 1);
	replay_halt(&v, &now, 1000000, true); /* avg ~507500 -> window above MAX: off */
	replay_halt(&v, &now, 1000, true);
	assert_int_equal(v.hp.halt_poll_ns, 0);
	kvm_vm_haltpoll_fini(&vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_era_table),
		cmocka_unit_test(test_hist_index),
		cmocka_unit_test(test_era_a_4_4),
		cmocka_unit_test(test_era_b_4_9),
		cmocka_unit_test(test_era_c_5_4),
		cmocka_unit_test(test_era_d_grow_cap),
		cmocka_unit_test(test_era_e_5_15),
		cmocka_unit_test(test_era_f_clamp_and_override),
		cmocka_unit_test(test_max_zero_resets_silently),
		cmocka_unit_test(test_no_poll),
		cmocka_unit_test(test_invalid_wakeups_s390),
		cmocka_unit_test(test_stats_era_f),
		cmocka_unit_test(test_success_definition_by_era),
		cmocka_unit_test(test_simple_policies),
		cmocka_unit_test(test_policy_plugin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
