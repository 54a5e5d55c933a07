/*
 * test_probe_pair.c - pairing the probe's MSI wake-ups with its guest handler's runs
 * (traces/probe/probe_pair.c), on hand-made records: one sample per handler run, from the
 * first wake-up it answered; every wake-up a sample, coalesced or lost.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "traces/probe/probe.h"

#define NRING 8
#define NRAISED 8

struct fx {
	struct probe_rec ring[NRING];
	uint64_t raised[NRAISED];
	uint32_t nraised, nruns;
	struct probe_pairing pp;
	struct probe_result r;
};

static void fx_init(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->r.tsc_khz = 1000000; /* 1 GHz: a TSC tick is 1 ns */
	sim_hist_init(&f->r.lat);
}

/* raise - wake-up (sequence number nraised + 1) raised at TSC t */
static void raise_at(struct fx *f, uint64_t t)
{
	f->raised[f->nraised++ % NRAISED] = t;
}

/* run - a handler run at TSC t that found sequence number seq */
static void run(struct fx *f, uint64_t t, uint32_t seq)
{
	uint32_t n = ++f->nruns;
	f->ring[n % NRING] = (struct probe_rec){ .tsc = t, .seq = seq, .run = n };
}

static void pair(struct fx *f, uint32_t upto)
{
	probe_pair_runs(&f->pp, &f->r, f->ring, NRING, f->raised, NRAISED, f->nraised, upto);
}

static void test_pair_one_each(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f);
	raise_at(&f, 1000);
	run(&f, 1500, 1);
	raise_at(&f, 2000);
	run(&f, 2300, 2);
	pair(&f, 2);
	assert_int_equal(f.r.lat.count, 2);
	assert_int_equal(f.r.lat.min, 300);
	assert_int_equal(f.r.lat.max, 500);
	assert_int_equal(f.r.coalesced, 0);
	assert_int_equal(f.pp.answered, 2);
	sim_hist_free(&f.r.lat);
}

/* wake-ups 1 and 2 were one interrupt (the second found IRR set): one sample, from the first */
static void test_pair_coalesced(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f);
	raise_at(&f, 1000);
	raise_at(&f, 1050);
	run(&f, 1100, 2);
	pair(&f, 2);
	assert_int_equal(f.r.lat.count, 1);
	assert_int_equal(f.r.lat.min, 100);
	assert_int_equal(f.r.coalesced, 1);
	sim_hist_free(&f.r.lat);
}

/* two runs found the same number: the first run's interrupt was wake-up 1's, and wake-up 2
 * reached IRR after it was injected; the second run is wake-up 2's (two samples, not one
 * timed from wake-up 1 to the second run) */
static void test_pair_two_runs_one_number(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f);
	raise_at(&f, 1000);
	raise_at(&f, 1040); /* stored before run A read the mailbox */
	run(&f, 1050, 2);   /* A */
	run(&f, 1400, 2);   /* B */
	pair(&f, 2);
	assert_int_equal(f.r.lat.count, 2);
	assert_int_equal(f.r.lat.min, 50);        /* A: from wake-up 1 */
	assert_int_equal(f.r.lat.max, 1400 - 1040); /* B: from wake-up 2 */
	assert_int_equal(f.r.coalesced, 0);
	assert_int_equal(f.r.extra_runs, 0);
	sim_hist_free(&f.r.lat);
	/* a third run with the same number and nothing left: an extra run, no sample */
	fx_init(&f);
	raise_at(&f, 1000);
	run(&f, 1100, 1);
	run(&f, 1200, 1);
	pair(&f, 1);
	assert_int_equal(f.r.lat.count, 1);
	assert_int_equal(f.r.lat.min, 200); /* the later run is wake-up 1's; the first had none */
	assert_int_equal(f.r.extra_runs, 1);
	sim_hist_free(&f.r.lat);
}

/* a run that read number 2 between the host's store and its raise answered wake-up 1
 * only; MSI 2's interrupt is the next run's, timed from its raise */
static void test_pair_read_before_raise(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f);
	raise_at(&f, 1000);
	raise_at(&f, 2000); /* its number stored before 1990, raised at 2000 */
	run(&f, 1990, 2);
	raise_at(&f, 3000);
	run(&f, 3100, 3);
	pair(&f, 3);
	assert_int_equal(f.r.lat.count, 2);
	assert_int_equal(f.r.lat.min, 1990 - 1000); /* wake-up 1 */
	assert_int_equal(f.r.lat.max, 3100 - 2000); /* wake-ups 2 and 3, from 2 */
	assert_int_equal(f.r.coalesced, 1);
	assert_int_equal(f.r.extra_runs, 0);
	sim_hist_free(&f.r.lat);
}

/* a run is paired only once its number is final (no later run can find it any more) */
static void test_pair_waits(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f);
	raise_at(&f, 1000);
	raise_at(&f, 2000);
	run(&f, 2100, 2);
	pair(&f, 1); /* 2 not final yet */
	assert_int_equal(f.r.lat.count, 0);
	assert_int_equal(f.pp.runs, 0);
	run(&f, 2500, 2); /* a second run found 2 too: wake-up 2 was a new interrupt after all */
	pair(&f, 2);
	assert_int_equal(f.r.lat.count, 2);
	assert_int_equal(f.r.lat.max, 2100 - 1000); /* run 1 answered wake-up 1 */
	assert_int_equal(f.r.lat.min, 2500 - 2000); /* run 2, wake-up 2 */
	sim_hist_free(&f.r.lat);
}

/* a record overwritten before it was read: its wake-ups and the next run's get no sample
 * (it is not known which were whose); a raise older than the host keeps: lost too */
static void test_pair_lost(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f);
	raise_at(&f, 1000);
	run(&f, 1100, 1);
	f.ring[1 % NRING].run = 1 + NRING; /* slot reused by a later run */
	f.ring[1 % NRING].seq = 99;
	raise_at(&f, 2000);
	run(&f, 2100, 2); /* run 2 */
	pair(&f, 2);
	assert_int_equal(f.r.lost_runs, 1);
	assert_int_equal(f.r.lat.count, 0);
	assert_int_equal(f.r.lost, 2); /* wake-ups 1 and 2: run 2 answered both, no sample */
	sim_hist_free(&f.r.lat);
	/* a raise the host no longer keeps */
	fx_init(&f);
	for (int i = 0; i < NRAISED + 2; i++)
		raise_at(&f, 1000 + 10 * (uint64_t)i);
	run(&f, 5000, NRAISED + 2); /* answers 1..10; wake-up 1's raise is gone */
	pair(&f, NRAISED + 2);
	assert_int_equal(f.r.lat.count, 0);
	assert_int_equal(f.r.lost, NRAISED + 2);
	sim_hist_free(&f.r.lat);
}

/* every wake-up raised is a sample, coalesced, or lost */
static void test_pair_adds_up(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f);
	raise_at(&f, 100);
	run(&f, 150, 1);
	raise_at(&f, 200);
	raise_at(&f, 210);
	run(&f, 260, 3);
	raise_at(&f, 300);
	run(&f, 330, 4);
	run(&f, 400, 4);
	raise_at(&f, 500); /* no handler by the end */
	pair(&f, f.nraised);
	f.r.lost += (long)f.nraised - (long)f.pp.answered;
	assert_int_equal((long)f.r.lat.count + f.r.coalesced + f.r.lost, (long)f.nraised);
	assert_int_equal(f.r.lat.count, 3);
	assert_int_equal(f.r.coalesced, 1);
	assert_int_equal(f.r.lost, 1);
	assert_int_equal(f.r.extra_runs, 1);
	sim_hist_free(&f.r.lat);
}

/*
 * The handler's own TSCs before and after its EOI, written after the run's number: a run
 * whose slot still holds an older run's (not yet written) or only the first of them adds
 * no handler sample; a whole one adds first TSC to after the EOI, and the EOI alone.
 */
static void test_pair_handler_times(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f);
	sim_hist_init(&f.r.handler);
	sim_hist_init(&f.r.eoi);
	uint64_t end[2 * NRING] = { 0 };
	f.pp.end = end;
	raise_at(&f, 1000);
	run(&f, 1500, 1);
	end[2 * 1] = 12500, end[2 * 1 + 1] = 16300; /* run 1: 11 us of work, then a 3.8 us EOI */
	raise_at(&f, 20000);
	run(&f, 20400, 2);
	end[2 * 2] = 9000, end[2 * 2 + 1] = 9500; /* run 2's slot: a run's of a lap before */
	raise_at(&f, 40000);
	run(&f, 40300, 3);
	end[2 * 3] = 51000, end[2 * 3 + 1] = 7000; /* run 3: before its EOI only */
	pair(&f, 3);
	assert_int_equal(f.r.lat.count, 3); /* the latency samples do not depend on them */
	assert_int_equal(f.r.handler.count, 1);
	assert_int_equal(f.r.handler.min, 14800);
	assert_int_equal(f.r.eoi.count, 1);
	assert_int_equal(f.r.eoi.min, 3800);
	/* without the slots (an older probe's records), no handler times at all */
	struct fx g;
	fx_init(&g);
	sim_hist_init(&g.r.handler);
	raise_at(&g, 1000);
	run(&g, 1500, 1);
	pair(&g, 1);
	assert_int_equal(g.r.lat.count, 1);
	assert_int_equal(g.r.handler.count, 0);
	sim_hist_free(&f.r.lat);
	sim_hist_free(&f.r.handler);
	sim_hist_free(&f.r.eoi);
	sim_hist_free(&g.r.lat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pair_one_each),	  cmocka_unit_test(test_pair_coalesced),
		cmocka_unit_test(test_pair_two_runs_one_number), cmocka_unit_test(test_pair_read_before_raise),
		cmocka_unit_test(test_pair_waits),	  cmocka_unit_test(test_pair_handler_times),
		cmocka_unit_test(test_pair_lost),	  cmocka_unit_test(test_pair_adds_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
