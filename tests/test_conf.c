/* test_conf.c - scenario parsing: units, defaults, overrides, and every error's exact text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "workloads/scenario/scenario.h"
#include "sim/dist.h"
#include "sim/hist.h"

#include <gsl/gsl_rng.h>
#include "sim/conf.h"
#include "sim/schema.h"

static void test_units(void **state)
{
	sim_time_t ps;
	const char *why;
	assert_int_equal(cfg_parse_time("20us", "ns", &ps, &why), 0);
	assert_int_equal(ps, 20 * SIM_US);
	assert_int_equal(cfg_parse_time("1.5ms", "ns", &ps, &why), 0);
	assert_int_equal(ps, 1500 * SIM_US);
	assert_int_equal(cfg_parse_time("250", "ns", &ps, &why), 0);
	assert_int_equal(ps, 250 * SIM_NS);
	assert_int_equal(cfg_parse_time("2", "s", &ps, &why), 0);
	assert_int_equal(ps, 2 * SIM_S);
	assert_int_equal(cfg_parse_time("0.1ns", "ns", &ps, &why), 0); /* exact decimal, no float error */
	assert_int_equal(ps, 100);
	assert_int_equal(cfg_parse_time("1e3us", "ns", &ps, &why), 0);
	assert_int_equal(ps, SIM_MS);
	assert_int_equal(cfg_parse_time("3 ms", "ns", &ps, &why), 0);
	assert_int_equal(ps, 3 * SIM_MS);
	assert_int_equal(cfg_parse_time("5 parsecs", "ns", &ps, &why), -1);
	assert_int_equal(cfg_parse_time("-1us", "ns", &ps, &why), -1);
	assert_int_equal(cfg_parse_time("200days", "ns", &ps, &why), -1);
	/* a mantissa of 40 digits times the unit's factor overflowed (the fuzzer's input,
	 * regress/scenario/duration-mantissa-overflow): out of range, said so */
	assert_int_equal(cfg_parse_time("7777777777777777777777777777777777777771ms", "ns", &ps, &why), -1);
	/* 40 digits, then a value far below a picosecond: 0, not the 1 ps a capped divisor gave */
	assert_int_equal(cfg_parse_time("0.0000000000000000000000000000000000001000000000000000000000000000000000000001s", "ns",
					&ps, &why), 0);
	assert_int_equal(ps, 0);
	/* many digits still give the value they write */
	assert_int_equal(cfg_parse_time("1.000000000000000000000000000000000000000000000001ms", "ns", &ps, &why), 0);
	assert_int_equal(ps, SIM_MS);
	double hz;
	assert_int_equal(cfg_parse_rate("5kHz", &hz, &why), 0);
	assert_true(hz == 5000.0);
	assert_int_equal(cfg_parse_rate("2.5MHz", &hz, &why), 0);
	assert_true(hz == 2500000.0);
	int64_t khz;
	assert_int_equal(cfg_parse_freq_khz("2.3GHz", &khz, &why), 0);
	assert_int_equal(khz, 2300000);
	assert_int_equal(cfg_parse_freq_khz("2100MHz", &khz, &why), 0);
	assert_int_equal(khz, 2100000);
	uint64_t u;
	assert_int_equal(cfg_parse_u64("0x10", &u, &why), 0);
	assert_int_equal(u, 16);
	assert_int_equal(cfg_parse_u64("1e6", &u, &why), 0);
	assert_int_equal(u, 1000000);
	assert_int_equal(cfg_parse_u64("1.5", &u, &why), -1);
	assert_int_equal(cfg_parse_u64("010", &u, &why), 0); /* decimal, not octal */
	assert_int_equal(u, 10);
	/* sizes as fio takes them: binary suffixes, whole bytes */
	int64_t by;
	static const struct { const char *s; int64_t v; } sizes[] = {
		{ "4096", 4096 }, { "4k", 4096 }, { "4K", 4096 }, { "4KiB", 4096 }, { "1.5k", 1536 },
		{ "1M", 1048576 }, { "2MiB", 2097152 }, { "1g", 1073741824 }, { "0", 0 },
		{ "4KB", 4096 }, { "4kb", 4096 }, { "4kiB", 4096 }, { "1e3", 1000 }, { "2048e1", 20480 },
		{ "1e3k", 1024000 }, { "2.5e2k", 256000 },
	};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		assert_int_equal(cfg_parse_bytes(sizes[i].s, &by, &why), 0);
		assert_int_equal(by, sizes[i].v);
	}
	static const char *const bad_sizes[] = { "1.5", "4kbit", "4 parsecs", "-4k", "0x1000", "k", "", "1.0001k",
						 "99999999999999999999k" };
	for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(*bad_sizes); i++)
		assert_int_equal(cfg_parse_bytes(bad_sizes[i], &by, &why), -1);
}

static int load_text(struct scenario *s, const char *text, const char *set, struct conf_err *err)
{
	char path[] = "/tmp/kvmsim-test-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	struct scenario_set ss = { set, NULL };
	memset(s, 0, sizeof(*s));
	int rc = scenario_load(s, path, &ss, set ? 1 : 0, err);
	/* messages name the file: make them comparable */
	char *p = strstr(err->msg, path);
	if (rc && p) {
		memmove(p + 1, p + strlen(path), strlen(p + strlen(path)) + 1);
		p[0] = 'F';
	}
	unlink(path);
	return rc;
}

static void expect_error(const char *text, const char *set, const char *msg)
{
	struct scenario s;
	struct conf_err err;
	assert_int_equal(load_text(&s, text, set, &err), -1);
	assert_string_equal(err.msg, msg);
	scenario_free(&s);
}

static void test_errors(void **state)
{
	expect_error("vm:\n  vcpus: 2\n  worklaod: {}\n", NULL, "F:3: vm.worklaod: unknown key (did you mean workload?)");
	expect_error("vm:\n  workload:\n    rate: fast\n", NULL,
		     "F:3: vm.workload.rate: expected a rate such as 5000, 5kHz or 1MHz, got \"fast\"");
	expect_error("kernel: \"5.4\"\nvm: {halt_poll_ns: 1000}\n", NULL,
		     "F:2: vm.halt_poll_ns: KVM_CAP_HALT_POLL arrived in 5.8; kernel 5.4 has no per-VM halt_poll_ns");
	expect_error("host:\n  pcpus: 0\n", NULL, "F:2: host.pcpus: 0 is out of range: expected 1..1024");
	expect_error("vm:\n  workload:\n    type: periodic\n    rate: 5\n", NULL,
		     "F:4: vm.workload.rate: does not apply to a periodic source");
	expect_error("duration: \"1s\"\n", NULL, "F:1: duration: expected a number, got the string \"1s\"");
	expect_error("vm: [1, 2\n", NULL, "F:2: did not find expected ',' or ']' while parsing a flow sequence");
	expect_error("vm:\n  vcpus: 1\n  vcpus: 2\n", NULL, "F:3: vcpus: key given twice");
	expect_error("vm:\n  apicv: maybe\n", NULL, "F:2: vm.apicv: expected true or false, got \"maybe\"");
	expect_error("arch: sparc\n", NULL, "F:1: arch: expected one of x86, powerpc, s390, arm64, got \"sparc\"");
	expect_error("vm:\n  workload:\n    work: {dist: normal, mean: 5us}\n", NULL,
		     "F:3: vm.workload.work: a normal distribution needs sd");
	expect_error("vm:\n  workload:\n    work: {dist: fixed, value: 5us, sigma: 2}\n", NULL,
		     "F:3: vm.workload.work.sigma: not a parameter of a fixed distribution (it takes value)");
	expect_error("vm:\n  workload: {type: file}\n", NULL, "F:2: vm.workload: a file source needs file: PATH");
	expect_error("vm:\n  workload:\n    work: {dist: empirical, quantiles: [5us, 2us]}\n", NULL,
		     "F:3: vm.workload.work.quantiles: quantiles must not decrease");
	expect_error("vm:\n  workload:\n    work: {dist: empirical, quantiles: [5us]}\n", NULL,
		     "F:3: vm.workload.work.quantiles: expected a list of 2 to 101 times at evenly spaced probabilities "
		     "from 0 to 1");
	expect_error("vm:\n  workload:\n    work: {dist: empirical, quantiles: [1us, soon]}\n", NULL,
		     "F:3: vm.workload.work.quantiles: expected a time, got \"soon\"");
	expect_error("vm:\n  workload:\n    work: {dist: empirical}\n", NULL,
		     "F:3: vm.workload.work: an empirical distribution needs quantiles");
	expect_error("kernel: \"6.1\"\n", "kvm.halt_poll_ns=4294967296",
		     "--set kvm.halt_poll_ns: 4294967296 does not fit the kernel's 32-bit nanoseconds (at most 4294967295)");
	expect_error("kernel: \"4.19\"\n", "kvm.halt_poll_ns_grow_start=20000",
		     "--set kvm.halt_poll_ns_grow_start: the parameter arrived in 5.1; kernel 4.19 grows from a fixed 10000 ns");
	expect_error("{}\n", "vm.invalid_wakeups=0.5", "--set vm.invalid_wakeups: only s390 has invalid wake-ups");
	expect_error("{}\n", "vms=1", "--set vms: expected a list of VMs (maps of vm keys)");
	expect_error("{}\n", "vms.1.vcpus=2", "--set vms.1.vcpus: \"1\" is not an index of that list (it has 0 items; 0 adds one)");
	expect_error("vms: [{vcpus: 1}]\n", "vms.3.vcpus=2", "--set vms.3.vcpus: \"3\" is not an index of that list (it has 1 item; 1 adds one)");
	expect_error("host: {pcpus: 2}\n", "vm.pin=[0, 1]", "--set vm.pin: gives 2 pCPUs for 1 vCPUs");
	expect_error("vms:\n  - {vcpus: 2}\n  - {vcpus: 1, pin: [3]}\n", NULL,
		     "F:3: vms.1.pin: pCPU 3 does not exist (host.pcpus is 1)");
}

static void test_defaults_and_overrides(void **state)
{
	struct scenario s;
	struct conf_err err;
	assert_int_equal(load_text(&s, "vm:\n  workload:\n    rate: 3kHz\n", "vm.halt_poll_ns=100us", &err), 0);
	assert_int_equal(s.duration, SIM_S);
	assert_int_equal(s.seed, 1);
	assert_string_equal(s.kernel, "6.12");
	assert_int_equal(s.era.era, 'F');
	assert_int_equal(s.nvms, 1);
	assert_true(s.vms[0].workload.rate == 3000.0);
	assert_true(s.vms[0].halt_poll_ns_set);
	assert_int_equal(s.vms[0].halt_poll_ns, 100000);
	assert_int_equal(s.vms[0].workload.work.kind, DIST_FIXED); /* the default, 20us */
	assert_int_equal(s.vms[0].workload.work.value, 20 * SIM_US);
	scenario_free(&s);
	/* a measured distribution: quantiles at evenly spaced probabilities, linear between them */
	assert_int_equal(load_text(&s, "vm:\n  workload:\n    work: {dist: empirical, quantiles: [0us, 10us, 40us]}\n",
				   NULL, &err),
			 0);
	const struct dist *d = &s.vms[0].workload.work;
	assert_int_equal(d->kind, DIST_EMPIRICAL);
	assert_int_equal(d->nq, 3);
	assert_int_equal(d->q[2], 40 * SIM_US);
	assert_true(dist_mean(d) == 15.0 * SIM_US); /* (0 + 10) / 2 and (10 + 40) / 2, averaged */
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	int below = 0;
	for (int i = 0; i < 10000; i++) {
		sim_time_t x = dist_sample(d, r);
		assert_true(x >= 0 && x <= 40 * SIM_US);
		below += x < 10 * SIM_US;
	}
	assert_true(below > 4800 && below < 5200); /* half of them below the median */
	gsl_rng_free(r);
	assert_false(s.kvm.halt_poll_ns_set); /* the release default applies */
	scenario_free(&s);
	/* vms: entries take the vm template's values, then their own */
	assert_int_equal(load_text(&s, "host: {pcpus: 4}\nvm: {vcpus: 2, apicv: false}\nvms:\n  - {name: a}\n  - {name: b, vcpus: 1, count: 2}\n",
				   "vms.1.apicv=true", &err),
			 0);
	assert_int_equal(s.nvms, 3);
	assert_string_equal(s.vms[0].name, "a");
	assert_int_equal(s.vms[0].vcpus, 2);
	assert_false(s.vms[0].apicv);
	assert_string_equal(s.vms[2].name, "b");
	assert_int_equal(s.vms[2].vcpus, 1);
	assert_true(s.vms[2].apicv);
	scenario_free(&s);
	/* a --set value may be YAML */
	assert_int_equal(load_text(&s, "{}\n", "vm.workload={type: periodic, period: 250us, jitter: 10us}", &err), 0);
	assert_int_equal(s.vms[0].workload.type, SRC_PERIODIC);
	assert_int_equal(s.vms[0].workload.period, 250 * SIM_US);
	scenario_free(&s);
}

/* A map of 200k keys: every key kept, in order, and a repeated key still found (the
 * check was quadratic; the test's TIMEOUT property guards the time). */
static void test_large_map(void **state)
{
	enum { N = 200000 };
	size_t cap = (size_t)N * 24 + 64, len = 0;
	char *text = malloc(cap);
	for (int i = 0; i < N; i++)
		len += (size_t)snprintf(text + len, cap - len, "key%d: %d\n", i, i);
	struct conf_err err;
	struct conf_node *root = conf_load_string(text, "big", &err);
	assert_non_null(root);
	assert_int_equal(conf_count(root), N);
	int i = 0;
	for (struct conf_node *c = root->child; c; c = c->next, i++) {
		char want[32];
		snprintf(want, sizeof(want), "key%d", i);
		assert_string_equal(c->key, want);
		assert_int_equal(atoi(c->value), i);
		assert_int_equal(c->line, i + 1);
	}
	conf_free(root);
	/* the same key again at the end, and keys whose hashes share slots */
	snprintf(text + len, cap - len, "key123456: 0\n");
	assert_null(conf_load_string(text, "big", &err));
	assert_string_equal(err.msg, "big:200001: key123456: key given twice");
	free(text);
	assert_null(conf_load_string("a: 1\nb: 2\nc: 3\nb: 4\n", "small", &err));
	assert_string_equal(err.msg, "small:4: b: key given twice");
}

static void test_limits_and_documents(void **state)
{
	struct conf_err err;
	/* nine levels of nine aliases: 9^9 values from 64 bytes of document */
	char text[1024] = "a: &a [x,x,x,x,x,x,x,x,x]\n";
	for (char c = 'b'; c <= 'i'; c++) {
		size_t n = strlen(text);
		snprintf(text + n, sizeof(text) - n, "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", c, c, c - 1,
			 c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
	}
	assert_null(conf_load_string(text, "bomb", &err));
	assert_non_null(strstr(err.msg, "alias expansion limit hit"));
	assert_int_equal(strncmp(err.msg, "bomb:", 5), 0);
	/* two levels expand to 81 values: allowed, and copied at each alias */
	struct conf_node *root = conf_load_string("a: &a [x,x,x,x,x,x,x,x,x]\nb: [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n",
						  "ok", &err);
	assert_non_null(root);
	struct conf_node *b = conf_get(root, "b");
	assert_int_equal(conf_count(b), 9);
	assert_int_equal(conf_count(b->last), 9);
	assert_ptr_not_equal(b->child, b->last);
	conf_free(root);
	/* one document only; an explicit end (...) is fine */
	assert_null(conf_load_string("a: 1\n---\nb: 2\n", "two", &err));
	assert_string_equal(err.msg, "two:2: a second YAML document (after \"---\"): expected one document only");
	root = conf_load_string("---\na: 1\n...\n", "one", &err);
	assert_non_null(root);
	conf_free(root);
	/* a key with a newline would split the one-line message naming it */
	assert_null(conf_load_string("ok: 1\n\"a\\nb\": 1\n", "ctl", &err));
	assert_string_equal(err.msg, "ctl:2: a key must be a plain word, not text with control characters");
	/* --set keys: no empty parts */
	root = conf_load_string("vm: {}\n", "f", &err);
	assert_non_null(root);
	const char *bad[] = { ".=1", "vm.=1", ".vm=1", "vm..x=1" };
	for (size_t k = 0; k < sizeof(bad) / sizeof(*bad); k++)
		assert_int_equal(conf_set(root, bad[k], NULL, &err), -1);
	assert_string_equal(err.msg, "--set vm..x: expected a key of names joined by single dots, e.g. vm.halt_poll_ns");
	assert_int_equal(conf_count(conf_get(root, "vm")), 0);
	assert_int_equal(conf_set(root, "vm.x=1", NULL, &err), 0);
	assert_string_equal(conf_get(conf_get(root, "vm"), "x")->value, "1");
	conf_free(root);
}

static void test_hist(void **state)
{
	struct sim_hist h;
	sim_hist_init(&h);
	/* bucket layout: contiguous, each value inside its bucket */
	for (int64_t v = 0; v < 5000000; v += (v < 1000 ? 1 : v / 97)) {
		size_t i = sim_hist_index(v);
		assert_true(sim_hist_lower(i) <= v);
		assert_true(v < sim_hist_lower(i) + sim_hist_width(i));
		assert_int_equal(sim_hist_lower(i + 1), sim_hist_lower(i) + sim_hist_width(i));
		assert_true(sim_hist_width(i) * 128 <= (sim_hist_lower(i) > 256 ? sim_hist_lower(i) : 256));
	}
	for (int64_t v = 1; v <= 100; v++)
		sim_hist_record(&h, v);
	assert_int_equal(sim_hist_quantile(&h, 0.5), 50);
	assert_int_equal(sim_hist_quantile(&h, 0.99), 99);
	assert_int_equal(sim_hist_quantile(&h, 1.0), 100);
	assert_true(sim_hist_mean(&h) == 50.5);
	/* large values: within 0.4% */
	struct sim_hist g;
	sim_hist_init(&g);
	for (int i = 0; i < 1000; i++)
		sim_hist_record(&g, 1000000 + i * 1000);
	int64_t p50 = sim_hist_quantile(&g, 0.5);
	assert_true(p50 > 1499000 * 0.996 && p50 < 1499000 * 1.004);
	assert_int_equal(g.max, 1999000);
	sim_hist_merge(&h, &g);
	assert_int_equal(h.count, 1100);
	assert_int_equal(h.max, 1999000);
	assert_int_equal(h.min, 1);
	sim_hist_free(&h);
	sim_hist_free(&g);
}

/* test_set_lists - --set reaches into lists, adds an item one past the end, and creates a
 * missing list when the next part is an index ("host.tasks.0.name" without host.tasks). */
static void test_set_lists(void **state)
{
	struct conf_err err;
	struct conf_node *root = conf_load_string("host: {pcpus: 1}\nl: [a, b]\n", "t", &err);
	assert_non_null(root);
	assert_int_equal(conf_set(root, "host.tasks.0.name=x", NULL, &err), 0);
	const struct conf_node *tasks = conf_get(conf_get(root, "host"), "tasks");
	assert_non_null(tasks);
	assert_int_equal(tasks->kind, CONF_SEQ);
	assert_int_equal(conf_count(tasks), 1);
	assert_string_equal(conf_get(tasks->child, "name")->value, "x");
	assert_int_equal(conf_set(root, "host.tasks.1.pcpu=2", NULL, &err), 0); /* appends a second */
	assert_int_equal(conf_count(tasks), 2);
	assert_int_equal(conf_set(root, "l.1=c", NULL, &err), 0); /* replaces */
	assert_int_equal(conf_set(root, "l.2=d", NULL, &err), 0); /* appends */
	assert_int_equal(conf_count(conf_get(root, "l")), 3);
	assert_string_equal(conf_get(root, "l")->last->value, "d");
	assert_int_equal(conf_set(root, "l.4=e", NULL, &err), -1); /* a gap is refused */
	assert_non_null(strstr(err.msg, "\"4\" is not an index of that list (it has 3 items; 3 adds one)"));
	assert_int_equal(conf_set(root, "l.x=e", NULL, &err), -1);
	conf_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_defaults_and_overrides),
		cmocka_unit_test(test_large_map),
		cmocka_unit_test(test_limits_and_documents),
		cmocka_unit_test(test_hist),
		cmocka_unit_test(test_set_lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
