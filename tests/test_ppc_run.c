/*
 * test_ppc_run.c - the powerpc vcores inside `kvmsim run` (machine_ppc.c):
 * a machine built from a scenario with arch: powerpc and recorded arrivals,
 * run on the host model. The vcore blocks only once every thread has ceded;
 * a prod to a running thread cancels its next cede; the halt statistics go
 * to the runner; the window evolves, block after block, exactly as `haltpoll
 * replay --arch powerpc` (kvmppc_vcore_replay) evolves it for the same
 * block times; the pCPU's time adds up; another task on the runner's CPU
 * ends its poll, or forces a running vcore out without losing its work.
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

#include "sim/source.h"
#include "workloads/scenario/machine_ppc.h"

#define US(x) ((sim_time_t)(x) * SIM_US)

static const char *host_scheduler = "fair"; /* host.scheduler of the next build() */

struct fx {
	char dir[64], yaml[96], arr[96], arr2[96];
	struct scenario sc;
	struct machine m;
};

/* build - a powerpc machine: `vcpus` vCPUs in vcores of `tpc`, arrivals "VCPU TIME_NS WORK_NS" lines. */
static struct fx *build(const char *kernel, int vcpus, int tpc, const char *arrivals, const char *task_arrivals)
{
	struct fx *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/kvmsim-ppc-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->arr, sizeof(f->arr), "%s/arr", f->dir);
	snprintf(f->yaml, sizeof(f->yaml), "%s/s.yaml", f->dir);
	FILE *a = fopen(f->arr, "w");
	assert_non_null(a);
	fputs(arrivals, a);
	fclose(a);
	FILE *y = fopen(f->yaml, "w");
	assert_non_null(y);
	fprintf(y, "duration: 20ms\nwarmup: 1us\nkernel: \"%s\"\narch: powerpc\ncost_profile: power8\n"
		   "vm:\n  vcpus: %d\n  threads_per_core: %d\n  workload: {type: arrivals, file: %s}\n"
		   "host:\n  pcpus: 1\n  scheduler: %s\n",
		kernel, vcpus, tpc, f->arr, host_scheduler);
	if (task_arrivals) { /* a host task on the runner's pCPU */
		snprintf(f->arr2, sizeof(f->arr2), "%s/arr2", f->dir);
		a = fopen(f->arr2, "w");
		assert_non_null(a);
		fputs(task_arrivals, a);
		fclose(a);
		fprintf(y, "  tasks:\n    - {name: t, pcpu: 0, load: {type: arrivals, file: %s}}\n", f->arr2);
	}
	fclose(y);
	struct conf_err err;
	assert_int_equal(scenario_load(&f->sc, f->yaml, NULL, 0, &err), 0);
	assert_int_equal(machine_build(&f->m, &f->sc, NULL, &err), 0);
	assert_non_null(f->m.ppc);
	return f;
}

static void teardown(struct fx *f)
{
	machine_free(&f->m);
	scenario_free(&f->sc);
	source_files_free();
	unlink(f->arr);
	if (f->arr2[0])
		unlink(f->arr2);
	unlink(f->yaml);
	rmdir(f->dir);
	free(f);
}

static struct kvmppc_runner *runner(struct fx *f, int i)
{
	return &f->m.ppc->vc[i].r;
}

/* Two threads, one busy 50 us, the other 10 us: one block for both, after the longer item. */
static void test_blocks_when_all_ceded(void **state)
{
	struct fx *f = build("6.1", 2, 2, "0 1000000 50000\n1 1000000 10000\n", NULL);
	struct kvmppc_runner *r = runner(f, 0);
	machine_run_until(&f->m, US(1000) + US(30));
	/* thread 1 ceded at ~1.01 ms, thread 0 still works: the vcore stays in the guest */
	assert_int_equal(r->t[1].state, KVMPPC_VT_CEDED);
	assert_int_equal(r->t[0].state, KVMPPC_VT_RUNNING);
	assert_int_equal(r->state, KVMPPC_VC_IN_GUEST);
	assert_int_equal(r->blocks, 0); /* the one at boot was before the warm-up's end */
	machine_run_until(&f->m, US(2000));
	assert_int_equal(r->blocks, 1);
	assert_int_equal(r->entries, 1);
	assert_true(r->state == KVMPPC_VC_SLEEPING || r->state == KVMPPC_VC_POLLING);
	assert_int_equal(f->m.ppc->vc[0].task.state, r->state == KVMPPC_VC_SLEEPING ? TASK_SLEEPING : TASK_RUNNING);
	teardown(f);
}

/* An H_PROD to a thread still working: its next H_CEDE returns at once. */
static void test_prod_cancels_cede(void **state)
{
	struct fx *f = build("6.1", 2, 2, "0 1000000 50000\n", NULL);
	struct kvmppc_runner *r = runner(f, 0);
	machine_run_until(&f->m, US(1020));
	assert_int_equal(r->t[0].state, KVMPPC_VT_RUNNING);
	kvmppc_runner_h_prod(r, 0);
	machine_run_until(&f->m, US(2000));
	assert_int_equal(r->t[0].prods_cancelling_cede, 1);
	assert_int_equal(r->t[0].cedes, 1); /* only after the prodded item */
	teardown(f);
}

/* Wake-ups only for thread 1: every statistic lands on the runner, thread 0. */
static void test_stats_to_runner(void **state)
{
	struct fx *f = build("6.1", 2, 2, "1 1000000 5000\n1 3000000 5000\n1 5000000 5000\n", NULL);
	machine_run_until(&f->m, US(20000));
	machine_finish(&f->m);
	struct kvmppc_runner *r = runner(f, 0);
	const struct kvmppc_vcore_stat *st = &r->t[0].stat;
	assert_int_equal(st->halt_successful_wait + st->generic.halt_successful_poll, 3);
	assert_true(st->generic.halt_wait_ns > 0);
	const struct kvmppc_vcore_stat *other = &r->t[1].stat;
	assert_int_equal(other->halt_successful_wait + other->generic.halt_attempted_poll + other->generic.halt_wait_ns, 0);
	assert_int_equal(r->t[1].wake.wakes, 3);
	assert_int_equal(r->t[0].wake.wakes, 0);
	/* the pCPU's time adds up to the span */
	const struct pcpu *p = &f->m.host->cpu[0];
	sim_time_t sum = 0;
	for (int i = 0; i < ACCT_N; i++)
		sum += p->acct_ps[i];
	assert_int_equal(sum, f->sc.duration - f->m.warmup);
	teardown(f);
}

/* Recording each block's T and the window after it (kvmppc_vcore_wakeup comes after the adaptation). */
struct rec {
	uint64_t ns[64];
	uint32_t win[64];
	int n;
	const struct kvmppc_vcore *vc;
};

static void rec_blocked(void *ctx, bool exit, uint32_t runner_vcpu, int n_runnable)
{
}

static void rec_wakeup(void *ctx, bool waited, uint64_t ns)
{
	struct rec *r = ctx;
	if (r->n < 64) {
		r->ns[r->n] = ns;
		r->win[r->n++] = r->vc->halt_poll_ns;
	}
}

/* The window in run follows the replay's for the same block times (6.18: no floor on shrink). */
static void test_window_matches_replay(void **state)
{
	/* zero-work items at gaps that give blocks around, under and over the 10 us ceiling (a sleeping
	 * block lasts its gap less ~8 us, the item and the vcore's exit; a wake-up takes ~8 us) */
	static const int gaps_us[] = { 1000, 16, 40, 16, 300, 16, 17, 60, 16, 16, 200, 16, 80, 15, 30 };
	char lines[2048] = "";
	sim_time_t t = 0;
	for (size_t i = 0; i < sizeof(gaps_us) / sizeof(gaps_us[0]); i++) {
		t += US(gaps_us[i]);
		size_t len = strlen(lines);
		snprintf(lines + len, sizeof(lines) - len, "0 %lld 0\n", (long long)(t / SIM_NS));
	}
	struct fx *f = build("6.18", 1, 1, lines, NULL);
	struct kvmppc_runner *r = runner(f, 0);
	struct rec rec = { .vc = &r->vc };
	struct kvmppc_vcore_tracer tr = { rec_blocked, rec_wakeup, &rec };
	r->vc.tracer = &tr;
	machine_run_until(&f->m, US(20000));
	for (int i = 0; getenv("TEST_PPC_VERBOSE") && i < rec.n; i++)
		printf("block %llu ns -> window %u\n", (unsigned long long)rec.ns[i], rec.win[i]);
	assert_true(rec.n >= 10);

	struct kvm_era era;
	unsigned v;
	char err[200];
	assert_int_equal(kvm_version_parse("6.18", &v, err, sizeof(err)), 0);
	assert_int_equal(kvm_era_for(v, KVM_ARCH_POWERPC, &era, err, sizeof(err)), 0);
	struct kvm_module_params param = era.defaults;
	struct kvmppc_vcore_stat st;
	struct kvmppc_vcore vc;
	kvmppc_vcore_init(&vc, &era, KVMPPC_POWER8, &param, era.defaults.halt_poll_ns, 0, &st, NULL);
	int64_t now = 0;
	bool grew = false, shrank_to_half = false;
	for (int i = 0; i < rec.n; i++) {
		uint32_t before = vc.halt_poll_ns;
		kvmppc_vcore_replay(&vc, &now, rec.ns[i]);
		assert_int_equal(vc.halt_poll_ns, rec.win[i]);
		grew |= vc.halt_poll_ns > before;
		shrank_to_half |= before && vc.halt_poll_ns == before / 2;
	}
	assert_true(grew);
	assert_true(shrank_to_half); /* the vcore's shrink, with no floor */
	teardown(f);
}

/* A host task waking on the runner's pCPU ends the poll: the runner sleeps and the task runs. */
static void poll_with_task(const char *task, uint64_t *stops, sim_time_t *fail_ps, uint64_t *task_runs)
{
	/* a short block grows the window to 10 us; the next block polls it, and the task may arrive in it */
	struct fx *f = build("6.1", 1, 1, "0 1000000 0\n0 1016000 0\n0 3000000 0\n", task);
	machine_run_until(&f->m, US(20000));
	machine_finish(&f->m);
	*stops = f->m.ppc->vc[0].poll_stops;
	*fail_ps = f->m.host->cpu[0].acct_ps[ACCT_POLL_FAIL];
	*task_runs = f->m.nloads ? f->m.loads[0].bursts : 0;
	teardown(f);
}

static void test_other_task_ends_poll(void **state)
{
	uint64_t stops, runs;
	sim_time_t alone, shared;
	poll_with_task(NULL, &stops, &alone, &runs);
	assert_int_equal(stops, 0);
	assert_int_equal(alone, US(10)); /* the whole window, then the sleep */
	poll_with_task("1035000 3000\n", &stops, &shared, &runs); /* the poll runs ~1.030-1.040 ms */
	assert_int_equal(stops, 1);
	assert_int_equal(runs, 1);
	assert_true(shared > 0 && shared < alone); /* cut short when the task became runnable */
}

/* A host task waking on the pCPU of a running vcore: the vcore is forced out, the task runs, the item goes on. */
static void test_forced_exit_keeps_work(void **state)
{
	host_scheduler = "simple"; /* a wake-up always preempts (fair would wait for the tick) */
	struct fx *f = build("6.1", 1, 1, "0 1000000 500000\n", "1200000 30000\n");
	host_scheduler = "fair";
	machine_run_until(&f->m, US(20000));
	machine_finish(&f->m);
	struct kvmppc_runner *r = runner(f, 0);
	assert_int_equal(r->forced_exits, 1);
	assert_int_equal(f->m.ppc->vc[0].preemptions, 1);
	assert_int_equal(f->m.loads[0].bursts, 1);
	assert_true(f->m.loads[0].task.run_delay < US(20)); /* it waited for the exit, not for the item's end */
	/* the item's work is done once, in two parts: guest time is exactly the work and the interrupt entry */
	assert_int_equal(r->time_in[KVMPPC_VC_IN_GUEST], US(500) + f->m.prof.ps[COST_guest_irq]);
	assert_int_equal(r->entries, 2);
	assert_int_equal(r->t[0].cedes, 1);
	teardown(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks_when_all_ceded),
		cmocka_unit_test(test_prod_cancels_cede),
		cmocka_unit_test(test_stats_to_runner),
		cmocka_unit_test(test_window_matches_replay),
		cmocka_unit_test(test_other_task_ends_poll),
		cmocka_unit_test(test_forced_exit_keeps_work),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
