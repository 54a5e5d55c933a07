/*
 * test_design.c - sweep designs (sim/study/design.c): the value lists that
 * --grid, --range and --sample give, grid order and replicate seeds, the
 * Latin-hypercube property (each of N strata drawn exactly once per key),
 * determinism under the design seed, and every error message.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/study/design.h"

/* add - dsg_add that must succeed. */
static void add(struct design *d, const char *opt, const char *arg)
{
	char why[256] = "";
	int rc = dsg_add(d, opt, arg, why, sizeof(why));
	if (rc)
		fail_msg("%s %s: %s", opt, arg, why);
}

/* add_err - dsg_add that must fail with exactly msg. */
static void add_err(const char *opt, const char *arg, const char *msg)
{
	struct design d;
	char why[256] = "";
	dsg_init(&d);
	assert_int_equal(dsg_add(&d, opt, arg, why, sizeof(why)), -1);
	assert_string_equal(why, msg);
	dsg_free(&d);
}

/* values - p's values joined with spaces. */
static const char *values(const struct dsg_param *p)
{
	static char buf[1024];
	buf[0] = 0;
	for (size_t i = 0; i < p->nvalues; i++) {
		strcat(buf, i ? " " : "");
		strcat(buf, p->values[i]);
	}
	return buf;
}

static void test_split_list(void **state)
{
	size_t n;
	char **v = dsg_split_list("kvm, {type: periodic, period: 1ms} ,[0, 1],'a,b',\"c,d\"", &n);
	assert_int_equal(n, 5);
	assert_string_equal(v[0], "kvm");
	assert_string_equal(v[1], "{type: periodic, period: 1ms}");
	assert_string_equal(v[2], "[0, 1]");
	assert_string_equal(v[3], "'a,b'");
	assert_string_equal(v[4], "\"c,d\"");
	assert_null(v[5]);
	dsg_strv_free(v);
}

static void test_grid_and_ranges(void **state)
{
	struct design d;
	dsg_init(&d);
	add(&d, "--grid", "vm.policy=kvm,none");
	add(&d, "--range", "vm.halt_poll_ns=0:200us:50us");
	add(&d, "--range", "kvm.halt_poll_ns_grow_start=1000:1000000:x10");
	add(&d, "--range", "host.resched_rate=0.1:0.3:0.1");
	assert_string_equal(values(&d.params[0]), "kvm none");
	assert_string_equal(values(&d.params[1]), "0us 50us 100us 150us 200us");
	assert_string_equal(values(&d.params[2]), "1000 10000 100000 1000000");
	assert_string_equal(values(&d.params[3]), "0.1 0.2 0.3");
	dsg_free(&d);

	dsg_init(&d);
	add(&d, "--range", "k=1:10:x1.5"); /* rounding would repeat 1 and 2: each value once */
	assert_string_equal(values(&d.params[0]), "1 2 3 5 8");
	dsg_free(&d);
}

static void test_grid_order_and_replicates(void **state)
{
	struct design d;
	char why[256];
	dsg_init(&d);
	add(&d, "--grid", "a=1,2,3");
	add(&d, "--grid", "b=x,y");
	d.replicates = 2;
	d.seed = 7;
	assert_int_equal(dsg_expand(&d, why, sizeof(why)), 0);
	assert_int_equal(d.npoints, 6);
	assert_int_equal(d.nruns, 12);
	static const char *const want[6][2] = { { "1", "x" }, { "1", "y" }, { "2", "x" },
						{ "2", "y" }, { "3", "x" }, { "3", "y" } };
	for (size_t r = 0; r < d.nruns; r++) {
		assert_int_equal(d.runs[r].point, r / 2 + 1);
		assert_int_equal(d.runs[r].seed, 7 + r % 2);
		assert_string_equal(d.runs[r].values[0], want[r / 2][0]);
		assert_string_equal(d.runs[r].values[1], want[r / 2][1]);
	}
	dsg_free(&d);
}

/* lhs - a Latin hypercube of n samples over the given --sample specs. */
static void lhs(struct design *d, size_t n, uint64_t seed, const char *const *specs, size_t nspecs)
{
	char why[256];
	dsg_init(d);
	for (size_t i = 0; i < nspecs; i++)
		add(d, "--sample", specs[i]);
	d->kind = DSG_LHS;
	d->kind_given = true;
	d->samples = n;
	d->design_seed = seed;
	if (dsg_expand(d, why, sizeof(why)))
		fail_msg("%s", why);
}

static void test_lhs_strata(void **state)
{
	static const char *const specs[] = { "u=0.0:100.0", "i=0:9", "g=1000:1000000:log", "c=a,b,c" };
	struct design d;
	lhs(&d, 30, 5, specs, 4);
	assert_int_equal(d.nruns, 30);
	int hit_u[30] = { 0 }, hit_i[10] = { 0 }, hit_g[30] = { 0 }, hit_c[3] = { 0 };
	for (size_t r = 0; r < d.nruns; r++) {
		double u = atof(d.runs[r].values[0]);
		assert_true(u >= 0 && u <= 100);
		hit_u[(int)(u / (100.0 / 30))]++;
		assert_null(strchr(d.runs[r].values[1], '.')); /* integer bounds: integer values */
		int i = atoi(d.runs[r].values[1]);
		assert_true(i >= 0 && i <= 9);
		hit_i[i]++;
		double g = atof(d.runs[r].values[2]);
		assert_true(g >= 1000 && g <= 1000000);
		int s = (int)floor((log10(g) - 3) / (3.0 / 30));
		hit_g[s < 30 ? s : 29]++;
		hit_c[d.runs[r].values[3][0] - 'a']++;
	}
	for (int k = 0; k < 30; k++) {
		assert_int_equal(hit_u[k], 1);
		/* log strata: rounding to integers may move a value across a stratum edge by < 1 */
		assert_true(hit_g[k] >= 0 && hit_g[k] <= 2);
	}
	for (int k = 0; k < 10; k++)
		assert_int_equal(hit_i[k], 3);
	for (int k = 0; k < 3; k++)
		assert_int_equal(hit_c[k], 10);
	dsg_free(&d);
}

static void test_random_determinism(void **state)
{
	static const char *const specs[] = { "x=0:1000000", "y=1us:1000us:log" };
	char why[256];
	struct design a, b, c;
	for (int k = 0; k < 3; k++) {
		struct design *d = k == 0 ? &a : k == 1 ? &b : &c;
		dsg_init(d);
		add(d, "--sample", specs[0]);
		add(d, "--sample", specs[1]);
		add(d, "--grid", "z=1,2");
		d->samples = 5;
		d->design_seed = k == 2 ? 2 : 1;
		assert_int_equal(dsg_expand(d, why, sizeof(why)), 0);
		assert_int_equal(d->kind, DSG_RANDOM); /* the default for sampled keys */
		assert_int_equal(d->nruns, 10);
	}
	int differ = 0;
	for (size_t r = 0; r < a.nruns; r++) {
		for (size_t p = 0; p < 3; p++)
			assert_string_equal(a.runs[r].values[p], b.runs[r].values[p]);
		differ += strcmp(a.runs[r].values[0], c.runs[r].values[0]) != 0;
		/* y keeps its unit; the grid key crosses the samples (outer), samples inner */
		size_t l = strlen(a.runs[r].values[1]);
		assert_string_equal(a.runs[r].values[1] + l - 2, "us");
		assert_string_equal(a.runs[r].values[2], r < 5 ? "1" : "2");
		assert_string_equal(a.runs[r].values[0], a.runs[r % 5].values[0]);
	}
	assert_true(differ > 0);
	dsg_free(&a);
	dsg_free(&b);
	dsg_free(&c);
}

static void test_add_errors(void **state)
{
	add_err("--grid", "vm.halt_poll_ns", "--grid vm.halt_poll_ns: expected KEY=V1,V2,...");
	add_err("--grid", "vm.halt_poll_ns=", "--grid vm.halt_poll_ns=: no values after '='");
	add_err("--grid", "vm..x=1", "--grid vm..x=1: \"vm..x\" is not a scenario key (e.g. vm.halt_poll_ns)");
	add_err("--grid", "k=1,,2", "--grid k=1,,2: value 2 is empty (expected V1,V2,...)");
	add_err("--grid", "k=1,2,1", "--grid k=1,2,1: \"1\" is listed twice");
	add_err("--range", "k=1:2", "--range k=1:2: expected START:STOP:STEP or START:STOP:xFACTOR");
	add_err("--range", "k=0:100:0", "--range k=0:100:0: STEP must be positive");
	add_err("--range", "k=10:1:1", "--range k=10:1:1: STOP is below START");
	add_err("--range", "k=1us:1ms:1us", "--range k=1us:1ms:1us: START, STOP and STEP must have the same unit");
	add_err("--range", "k=a:b:c", "--range k=a:b:c: expected numbers (with an optional unit) in START:STOP:STEP");
	add_err("--range", "k=0:10:x2", "--range k=0:10:x2: a geometric range needs START > 0 and FACTOR > 1");
	add_err("--range", "k=0:2000000:1", "--range k=0:2000000:1: 2000001 values (at most 1000000)");
	add_err("--sample", "k=5:1", "--sample k=5:1: HI must be above LO");
	add_err("--sample", "k=0:10:log", "--sample k=0:10:log: a log-uniform range needs LO > 0");
	add_err("--sample", "k=1:10:ln", "--sample k=1:10:ln: expected LO:HI, LO:HI:log or V1,V2,...");
	struct design d;
	char why[256];
	dsg_init(&d);
	add(&d, "--grid", "k=1,2");
	assert_int_equal(dsg_add(&d, "--range", "k=1:3:1", why, sizeof(why)), -1);
	assert_string_equal(why, "--range k=1:3:1: k is already swept");
	dsg_free(&d);
}

static void test_expand_errors(void **state)
{
	struct design d;
	char why[256];
	dsg_init(&d);
	add(&d, "--sample", "k=1:2");
	assert_int_equal(dsg_expand(&d, why, sizeof(why)), -1);
	assert_string_equal(why, "--sample needs --samples N (how many points to draw)");
	dsg_free(&d);

	dsg_init(&d);
	add(&d, "--grid", "k=1,2");
	d.kind = DSG_LHS;
	d.kind_given = true;
	assert_int_equal(dsg_expand(&d, why, sizeof(why)), -1);
	assert_string_equal(why, "--design lhs needs --sample KEY=LO:HI dimensions to draw");
	dsg_free(&d);

	dsg_init(&d);
	add(&d, "--sample", "k=1:2");
	d.samples = 3;
	d.kind_given = true; /* --design grid */
	assert_int_equal(dsg_expand(&d, why, sizeof(why)), -1);
	assert_string_equal(why, "--design grid cannot draw --sample dimensions (use random or lhs)");
	dsg_free(&d);

	dsg_init(&d);
	add(&d, "--range", "a=1:1000:1");
	add(&d, "--range", "b=1:1001:1");
	assert_int_equal(dsg_expand(&d, why, sizeof(why)), -1);
	assert_string_equal(why, "the design has 1001000 runs (at most 1000000)");
	dsg_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_list),	   cmocka_unit_test(test_grid_and_ranges),
		cmocka_unit_test(test_grid_order_and_replicates), cmocka_unit_test(test_lhs_strata),
		cmocka_unit_test(test_random_determinism), cmocka_unit_test(test_add_errors),
		cmocka_unit_test(test_expand_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
