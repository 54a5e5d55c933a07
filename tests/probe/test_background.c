/*
 * test_background.c - the other tasks on a probe's vCPU CPU (traces/background.c):
 * read from tracefs text (hand-made traces, and one of this project's machine,
 * where the switch out of the idle task is not traced on the vCPU's CPU), written
 * into the probe's JSON, read back as a calibration target, and simulated as a
 * host task that cuts the vCPU's polls.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "calib_synth.h"
#include "traces/background.h"

#define TID 4242
/* the window: 100.000100 to 100.001100 s of the trace's clock */
#define T0 100000100000LL
#define WALL 1000000LL

/* a sched_switch line on cpu at time s (seconds, as the trace prints them) */
#define SW(cpu, ts, pcomm, ppid, pstate, ncomm, npid)                                                                 \
	"  " pcomm "-" #ppid " [00" #cpu "] d..2. " ts ": sched_switch: prev_comm=" pcomm " prev_pid=" #ppid           \
	" prev_prio=120 prev_state=" pstate " ==> next_comm=" ncomm " next_pid=" #npid " next_prio=120\n"
/* a sched_wakeup of pid onto target, traced on cpu in the context of task ccomm-cpid */
#define WK(cpu, ts, ccomm, cpid, comm, pid, target)                                                                   \
	"  " ccomm "-" #cpid " [00" #cpu "] dN.4. " ts ": sched_wakeup: comm=" comm " pid=" #pid                      \
	" prio=120 target_cpu=00" #target "\n"
/* the device's MSI, raised on cpu by the probe's sender */
#define MSI(cpu, ts) "  kvmsim-4240 [00" #cpu "] d..1. " ts ": kvm_msi_set_irq: dst 0 vec 64 (Fixed|physical|edge)\n"

static void parse(const char *s, struct probe_background *bg)
{
	FILE *f = fmemopen((void *)s, strlen(s), "r");
	assert_non_null(f);
	assert_int_equal(background_from_trace(f, 1, TID, 4240, T0, WALL, bg), 0);
	fclose(f);
	assert_true(bg->traced);
}

static void expect(const struct probe_background *bg, long i, int64_t at_ns, int64_t work_ns)
{
	assert_true(i < bg->n);
	assert_int_equal(bg->at_ns[i], at_ns);
	assert_int_equal(bg->work_ns[i], work_ns);
}

/* a task woken onto the CPU while the vCPU runs: from its wake-up, the CPU it takes once the
 * vCPU sleeps; wake-ups onto another CPU, the vCPU's own, and other CPUs' switches are not it */
static void test_activation(void **state)
{
	(void)state;
	const char *tr = "# tracer: nop\n"
		WK(0, "100.000200", "waker", 77, "kworker/1:3", 500, 1) /* remote: traced on CPU 0 */
		WK(0, "100.000210", "waker", 77, "kworker/0:1", 501, 0) /* onto CPU 0 */
		SW(0, "100.000220", "waker", 77, "S", "kworker/0:1", 501)
		SW(1, "100.000250", "CPU 0/KVM", 4242, "S", "kworker/1:3", 500)
		SW(1, "100.000270", "kworker/1:3", 500, "I", "swapper/1", 0)
		WK(1, "100.000300", "<idle>", 0, "CPU 0/KVM", 4242, 1);
	struct probe_background bg;
	parse(tr, &bg);
	assert_int_equal(bg.n, 1);
	expect(&bg, 0, 100000, 20000);
	assert_int_equal(bg.tasks, 1);
	assert_int_equal(bg.cpu_ns, 20000);
	assert_int_equal(bg.nbusy + bg.nidle, 0); /* the vCPU's wake-up is not seen running */
	probe_background_free(&bg);
}

/* where the switch back is not traced, the next sign of another task ends a run: an event in
 * another context there, or the next switch; the vCPU's wake-up does not (the task runs on
 * until the vCPU does), and the preempted task's rest goes to the same activation. Each wake-up
 * of the vCPU is timed to its first event there: behind a task (busy) or from idle */
static void test_untraced_switch(void **state)
{
	(void)state;
	const char *tr =
		WK(1, "100.000200", "CPU 0/KVM", 4242, "memfd:sealed", 600, 1)
		SW(1, "100.000210", "CPU 0/KVM", 4242, "S", "memfd:sealed", 600)
		/* the vCPU woken at 260 (by the MSI at 250) runs at 290 at the latest (its switch out); no
		 * switch to it traced */
		MSI(0, "100.000250")
		WK(0, "100.000260", "waker", 77, "CPU 0/KVM", 4242, 1)
		SW(1, "100.000290", "CPU 0/KVM", 4242, "S", "memfd:sealed", 600) /* back: 30 more */
		SW(1, "100.000320", "memfd:sealed", 600, "S", "swapper/1", 0)
		/* a task switched to from idle, untraced: found running; ended by the idle task's event */
		SW(1, "100.000400", "CPU 0/KVM", 4242, "S", "rcu_preempt", 15)
		WK(1, "100.000405", "rcu_preempt", 15, "kdamond.0", 77, 1) /* traced during that run */
		WK(1, "100.000450", "<idle>", 0, "CPU 0/KVM", 4242, 1)
		"  CPU 0/KVM-4242 [001] ..... 100.000470: kvm_vcpu_wakeup: wait time 1000 ns, polling valid\n";
	struct probe_background bg;
	parse(tr, &bg);
	assert_int_equal(bg.n, 2); /* kdamond woken but never ran: left out */
	expect(&bg, 0, 100000, 80000 + 30000);
	expect(&bg, 1, 300000, 50000); /* found running at 400: its switch-in */
	assert_int_equal(bg.tasks, 2);
	assert_int_equal(bg.nbusy, 1);
	assert_int_equal(bg.busy_ns[0], 30000);
	assert_int_equal(bg.nidle, 1);
	assert_int_equal(bg.idle_ns[0], 20000);
	assert_int_equal(bg.nmsi, 1); /* the busy one, from its MSI; none for the one from idle */
	assert_int_equal(bg.msi_ns[0], 40000);
	probe_background_free(&bg);
}

/* the MSIs that time a wake-up are the probe's own (another guest's are left alone), and each
 * times one wake-up: a later wake-up of the thread with no MSI of its own (a timer) is not
 * timed from it */
static void test_msi_pairing(void **state)
{
	(void)state;
	const char *tr =
		WK(1, "100.000150", "CPU 0/KVM", 4242, "memfd:sealed", 600, 1)
		SW(1, "100.000160", "CPU 0/KVM", 4242, "S", "memfd:sealed", 600)
		MSI(0, "100.000200")
		"  qemu-9999 [000] d..1. 100.000205: kvm_msi_set_irq: dst 0 vec 64 (Fixed|physical|edge)\n"
		WK(0, "100.000210", "waker", 77, "CPU 0/KVM", 4242, 1)
		SW(1, "100.000230", "memfd:sealed", 600, "R", "CPU 0/KVM", 4242) /* 30 us from the probe's MSI */
		SW(1, "100.000250", "CPU 0/KVM", 4242, "S", "memfd:sealed", 600)
		WK(1, "100.000300", "memfd:sealed", 600, "CPU 0/KVM", 4242, 1) /* its timer: no MSI left */
		SW(1, "100.000310", "memfd:sealed", 600, "R", "CPU 0/KVM", 4242);
	struct probe_background bg;
	parse(tr, &bg);
	assert_int_equal(bg.nbusy, 2);
	assert_int_equal(bg.nmsi, 1);
	assert_int_equal(bg.msi_ns[0], 30000);
	probe_background_free(&bg);
}

/* a task woken onto the idle CPU whose switch-in is not traced (this machine traces no
 * switch out of the idle task on that CPU) but whose switch-out is: it ran from its wake-up;
 * a vCPU wake-up meanwhile waited behind it (busy), not behind idle */
static void test_switch_out_only(void **state)
{
	(void)state;
	const char *tr =
		SW(1, "100.000150", "CPU 0/KVM", 4242, "S", "swapper/1", 0)
		MSI(0, "100.000099") /* more than BG_MSI_WINDOW_NS before the wake-up: not its cause */
		WK(1, "100.000200", "<idle>", 0, "rcu_preempt", 15, 1)
		WK(0, "100.000300", "waker", 77, "CPU 0/KVM", 4242, 1)
		SW(1, "100.000700", "rcu_preempt", 15, "I", "CPU 0/KVM", 4242)
		"  CPU 0/KVM-4242 [001] ..... 100.000709: kvm_vcpu_wakeup: wait time 1000 ns, polling valid\n";
	struct probe_background bg;
	parse(tr, &bg);
	assert_int_equal(bg.n, 1);
	expect(&bg, 0, 100000, 500000);
	assert_int_equal(bg.nidle, 0);
	assert_int_equal(bg.nbusy, 1);
	assert_int_equal(bg.busy_ns[0], 400000); /* to the switch to it */
	assert_int_equal(bg.nmsi, 0);
	probe_background_free(&bg);
}

/* the window clips: a run across its start counts from there (the activation at 0), one across
 * its end to there, nothing outside; activations are in order of time */
static void test_window(void **state)
{
	(void)state;
	const char *tr =
		WK(1, "100.000050", "CPU 0/KVM", 4242, "a", 700, 1)
		SW(1, "100.000060", "CPU 0/KVM", 4242, "S", "a", 700) /* runs 60 to 130: 30 in the window */
		SW(1, "100.000130", "a", 700, "S", "CPU 0/KVM", 4242)
		SW(1, "100.000500", "CPU 0/KVM", 4242, "S", "b", 701) /* found running, 500 to 560 */
		WK(1, "100.000520", "b", 701, "c", 702, 1)            /* woken at 520 */
		SW(1, "100.000560", "b", 701, "S", "c", 702)          /* runs 560 to 600 */
		SW(1, "100.000600", "c", 702, "S", "CPU 0/KVM", 4242)
		WK(1, "100.001000", "CPU 0/KVM", 4242, "d", 703, 1)
		SW(1, "100.001050", "CPU 0/KVM", 4242, "S", "d", 703) /* 1050 to the end, 1100 */
		SW(1, "100.001300", "d", 703, "S", "CPU 0/KVM", 4242)
		WK(1, "100.001400", "CPU 0/KVM", 4242, "e", 704, 1) /* after the window */
		SW(1, "100.001410", "CPU 0/KVM", 4242, "S", "e", 704)
		SW(1, "100.001500", "e", 704, "S", "CPU 0/KVM", 4242);
	struct probe_background bg;
	parse(tr, &bg);
	assert_int_equal(bg.n, 4);
	expect(&bg, 0, 0, 30000);
	expect(&bg, 1, 400000, 60000);
	expect(&bg, 2, 420000, 40000);
	expect(&bg, 3, 900000, 50000);
	assert_int_equal(bg.tasks, 4);
	probe_background_free(&bg);
}

/* a comm may hold anything, " pid=" too: the pid is the last one before the target */
static void test_odd_comm(void **state)
{
	(void)state;
	const char *tr = WK(1, "100.000200", "CPU 0/KVM", 4242, "x pid=4242 y", 800, 1)
		WK(1, "100.000205", "CPU 0/KVM", 4242, "z target_cpu=000", 801, 1) /* not onto CPU 0 */
		SW(1, "100.000210", "CPU 0/KVM", 4242, "S", "x pid=4242 y", 800)
		SW(1, "100.000230", "x pid=4242 y", 800, "S", "CPU 0/KVM", 4242)
		"garbage line\n"
		"  CPU 0/KVM-4242 [001] d..2. 100.000300: sched_wakeup: comm=a pid=oops prio=120 target_cpu=001\n"
		SW(1, "100.000302", "CPU 0/KVM", 4242, "S", "swapper/1", 0)
		SW(1, "100.000310", "z target_cpu=000", 801, "S", "swapper/1", 0); /* its switch-in untraced */
	struct probe_background bg;
	parse(tr, &bg);
	assert_int_equal(bg.n, 2);
	expect(&bg, 0, 100000, 20000);
	expect(&bg, 1, 105000, 8000); /* woken at 205; ran from the idle at 302 to its switch-out at 310 */
	probe_background_free(&bg);
}

/* the first 100 ms of a probe of this project's machine (periodic:100us, hp=200000, the vCPU
 * thread on CPU 1 with a user-mode spinner of our own there, MSIs traced): nearly every
 * wake-up of the vCPU thread finds the spinner running, and each is timed from its MSI too;
 * the MSI comes before the thread's wake-up (traced on the waker's CPU after the reschedule
 * IPI's send), so those times are longer, by what the waker's side takes */
static void test_real_trace_msi(void **state)
{
	(void)state;
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "zcat %s/tests/data/background/periodic100-hp200k-spin-msi-cpu1.trace.gz",
		 getenv("KVMSIM_SRC"));
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	struct probe_background bg;
	assert_int_equal(background_from_trace(f, 1, 7577, 7576, 87272906458439LL, 100000000LL, &bg), 0);
	assert_int_equal(pclose(f), 0);
	assert_true(bg.nbusy > 900 && bg.nidle < bg.nbusy / 10);
	assert_true(bg.nmsi <= bg.nbusy && bg.nmsi >= bg.nbusy * 9 / 10);
	qsort(bg.busy_ns, (size_t)bg.nbusy, sizeof(int64_t), sim_cmp_i64);
	qsort(bg.msi_ns, (size_t)bg.nmsi, sizeof(int64_t), sim_cmp_i64);
	int64_t mb = bg.busy_ns[bg.nbusy / 2], mm = bg.msi_ns[bg.nmsi / 2];
	assert_true(mm - mb > 5000 && mm - mb < 30000);
	assert_true(mm > 10000 && mm < 40000);
	probe_background_free(&bg);
}

/* a probe of this project's machine (periodic:100us, hp=200000, the vCPU thread on CPU 1, a
 * dd of our own there every ~3 ms; no switch out of the idle task traced there), with the
 * window the probe gave: every activation in the window and in order, the CPU the tasks took
 * within it (the kernel's own switches say ~200 ms of the 401), each new dd a task of its own,
 * and the vCPU thread's wake-ups behind them slower than from idle */
static void test_real_trace(void **state)
{
	(void)state;
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "zcat %s/tests/data/background/periodic100-hp200k-busy-cpu1.trace.gz",
		 getenv("KVMSIM_SRC"));
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	const int64_t t0 = 80831039143074LL, wall = 401012829LL;
	struct probe_background bg;
	assert_int_equal(background_from_trace(f, 1, 15218, 15217, t0, wall, &bg), 0);
	assert_int_equal(pclose(f), 0);
	assert_true(bg.n > 100 && bg.tasks > 50);
	int64_t sum = 0;
	for (long i = 0; i < bg.n; i++) {
		assert_true(bg.at_ns[i] >= 0 && bg.at_ns[i] < wall);
		assert_true(i == 0 || bg.at_ns[i] >= bg.at_ns[i - 1]);
		assert_true(bg.work_ns[i] > 0);
		sum += bg.work_ns[i];
	}
	assert_int_equal(sum, bg.cpu_ns);
	assert_true(bg.cpu_ns > wall * 40 / 100 && bg.cpu_ns < wall * 60 / 100);
	assert_true(bg.nbusy > 1000 && bg.nidle > 10);
	int64_t *b = bg.busy_ns, *i = bg.idle_ns;
	double mb = 0, mi = 0;
	for (long k = 0; k < bg.nbusy; k++)
		mb += (double)b[k] / (double)bg.nbusy;
	for (long k = 0; k < bg.nidle; k++)
		mi += (double)i[k] / (double)bg.nidle;
	assert_true(mb > mi);
	probe_background_free(&bg);
}

/* the probe's JSON holds them; a calibration target reads them into an arrivals file, and
 * refuses a malformed list with its key */
static void test_json_roundtrip(void **state)
{
	(void)state;
	struct probe_result r = { 0 };
	char why[256];
	r.pat = (struct probe_pattern){ .count = 2, .seed = 1, .halt_poll_ns = 100000 };
	assert_int_equal(probe_pattern_parse("periodic:100us", &r.pat, why, sizeof(why)), 0);
	snprintf(r.kernel, sizeof(r.kernel), "6.18.44-test");
	r.wall_ns = 1000000;
	r.tsc_khz = 2600000;
	r.raised = 2;
	r.rt = true;
	int64_t gaps[2] = { 100000, 100000 }, at[2] = { 1000, 500000 }, work[2] = { 20000, 70000 };
	r.gap_ns = gaps;
	int64_t busy[3] = { 30000, 50000, 10000 }, idle[4] = { 20000, 18000, 25000, 19000 };
	r.bg = (struct probe_background){ .traced = true, .n = 2, .at_ns = at, .work_ns = work, .tasks = 1,
					  .cpu_ns = 90000, .nbusy = 3, .busy_ns = busy, .nidle = 4, .idle_ns = idle };
	sim_hist_init(&r.lat);
	sim_hist_record(&r.lat, 3000);
	json_t *j = probe_result_json(&r);
	struct calib_target t;
	assert_int_equal(calib_target_from_json(j, "hand-made", &t, why, sizeof(why)), 0);
	assert_true(t.bg_traced && t.fifo);
	assert_int_equal(t.bg_n, 2);
	assert_true(fabs(t.bg_share - 0.09) < 1e-9);
	/* over idle's median (20 us): 10, 30 and 0 us more */
	assert_true(fabs(t.bg_preempt_ns - 40000.0 / 3) < 1e-6);
	double q[CALIB_MSI_NQ];
	assert_int_equal(t.bg_nmsi, 0); /* no MSIs traced: that mean is the preempt_delay */
	assert_int_equal(calib_preempt_quantiles(&t, 5000, q), 0);
	FILE *f = fopen(t.bgfile, "r");
	assert_non_null(f);
	char buf[128] = "";
	size_t got = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[got] = 0;
	assert_string_equal(buf, "1000 20000\n500000 70000\n");
	char bgfile[sizeof(t.bgfile)];
	memcpy(bgfile, t.bgfile, sizeof(bgfile));
	calib_target_free(&t);
	assert_int_not_equal(access(bgfile, F_OK), 0); /* removed */
	/* out of order, beyond the window, no work, not pairs */
	static const char *const bad[] = { "[[500000, 1], [1000, 1]]", "[[1000000, 1]]", "[[1000, 0]]", "[[1000]]",
					   "[1000, 20000]", "{}", "[[1000, 600000], [2000, 600000]]" };
	json_t *b = json_object_get(json_object_get(j, "probe"), "background");
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		json_object_set_new(b, "arrivals", json_loads(bad[i], JSON_DECODE_ANY, NULL));
		assert_int_equal(calib_target_from_json(j, "hand-made", &t, why, sizeof(why)), -1);
		assert_non_null(strstr(why, "probe.background.arrivals"));
		calib_target_free(&t);
	}
	json_object_set_new(b, "arrivals", json_loads("[[1000, 20000]]", 0, NULL));
	static const char *const badwake[] = { "[1000, -1]", "[1000001]", "[1.5]", "{}" }; /* window: 1 ms */
	for (size_t i = 0; i < sizeof(badwake) / sizeof(*badwake); i++) {
		json_object_set_new(b, "wake_busy_ns", json_loads(badwake[i], JSON_DECODE_ANY, NULL));
		assert_int_equal(calib_target_from_json(j, "hand-made", &t, why, sizeof(why)), -1);
		assert_non_null(strstr(why, "probe.background.wake_busy_ns"));
		calib_target_free(&t);
	}
	/* from their MSIs, 10 to 100 us evenly: evenly spaced quantiles from 10 to 100, less
	 * the model's path (35 us), at least 0; over 100 us, none left */
	json_object_set_new(b, "wake_busy_ns", json_array());
	json_t *wm = json_array();
	for (int k = 1; k <= 10; k++)
		json_array_append_new(wm, json_integer(k * 10000));
	json_object_set_new(b, "wake_msi_ns", wm);
	assert_int_equal(calib_target_from_json(j, "hand-made", &t, why, sizeof(why)), 0);
	assert_int_equal(t.bg_nmsi, 10);
	assert_int_equal(calib_preempt_quantiles(&t, 35000, q), CALIB_MSI_NQ);
	for (int k = 0; k < CALIB_MSI_NQ; k++)
		assert_true(fabs(q[k] - fmax(0, 10000 + 90000.0 * k / (CALIB_MSI_NQ - 1) - 35000)) < 1e-6);
	assert_int_equal(calib_preempt_quantiles(&t, 100000, q), 0);
	calib_target_free(&t);
	json_array_remove(wm, 0); /* 9: too few, the busy-over-idle mean again (none now) */
	assert_int_equal(calib_target_from_json(j, "hand-made", &t, why, sizeof(why)), 0);
	assert_int_equal(t.bg_nmsi, 0);
	assert_int_equal(calib_preempt_quantiles(&t, 35000, q), 0);
	calib_target_free(&t);
	json_object_set_new(b, "wake_msi_ns", json_loads("[1000, -1]", 0, NULL));
	assert_int_equal(calib_target_from_json(j, "hand-made", &t, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "probe.background.wake_msi_ns"));
	calib_target_free(&t);
	json_object_del(b, "wake_msi_ns");
	/* untraced: no background key, nothing simulated */
	json_object_del(json_object_get(j, "probe"), "background");
	assert_int_equal(calib_target_from_json(j, "hand-made", &t, why, sizeof(why)), 0);
	assert_false(t.bg_traced);
	assert_string_equal(t.bgfile, "");
	calib_target_free(&t);
	json_decref(j);
	sim_hist_free(&r.lat);
}

/* simulated, the other tasks cut polls at their first check, as real ones do: fewer polls
 * succeed, more halts sleep; with none traced, nothing changes */
static void test_simulated(void **state)
{
	(void)state;
	/* a poll iteration under 128 ns: a poll cut at its first check is in the buckets counted */
	static const double x[CP_N] = { 6000, 35000, 100, 30000, 7000, 5000, 10 };
	struct calib_target t;
	synth(&t, 60000, 3000, 200000);
	t.fifo = true;
	char why[512];
	struct calib_figs quiet, busy;
	assert_int_equal(calib_simulate(&t, "haswell-ep", x, NULL, &quiet, why, sizeof(why)), 0);
	assert_true(quiet.cut_share == 0);
	snprintf(t.bgfile, sizeof(t.bgfile), "/tmp/kvmsim-test-bg-XXXXXX");
	int fd = mkstemp(t.bgfile);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	for (int k = 0; k < 60; k++) /* 300 us every 3 ms */
		fprintf(f, "%d 300000\n", 1000000 + 3000000 * k);
	fclose(f);
	t.bg_n = 60;
	assert_int_equal(calib_simulate(&t, "haswell-ep", x, NULL, &busy, why, sizeof(why)), 0);
	assert_true(busy.cut_share > 0.005);
	assert_true(busy.successful < quiet.successful - 30);
	assert_true(busy.poll_cpu_pct < quiet.poll_cpu_pct);
	/* a task that keeps the CPU 200 us once the vCPU wakes: the vCPU waits behind it, and
	 * it is done in fewer of the vCPU's halts */
	struct calib_figs slow;
	t.bg_preempt_ns = 200000;
	assert_int_equal(calib_simulate(&t, "haswell-ep", x, NULL, &slow, why, sizeof(why)), 0);
	assert_true(slow.p99_ns > busy.p99_ns + 100000);
	assert_true(slow.cut_share < busy.cut_share);
	/* timed from their MSIs instead, 250 us each: the task keeps the CPU that long less the
	 * model's own path there (a few us), every time, not on average */
	struct calib_figs msi;
	t.bg_preempt_ns = 0;
	t.bg_nmsi = CALIB_MSI_MIN;
	for (int k = 0; k < CALIB_MSI_NQ; k++)
		t.bg_msi_q[k] = 250000;
	assert_int_equal(calib_simulate(&t, "haswell-ep", x, NULL, &msi, why, sizeof(why)), 0);
	assert_true(msi.p99_ns > busy.p99_ns + 200000);
	assert_true(msi.cut_share < busy.cut_share);
	/* measured, and none longer than the model's own path: no delay at all, not the cruder
	 * estimate from the wake-ups' first events */
	struct calib_figs none;
	t.bg_preempt_ns = 200000;
	for (int k = 0; k < CALIB_MSI_NQ; k++)
		t.bg_msi_q[k] = 100;
	assert_int_equal(calib_simulate(&t, "haswell-ep", x, NULL, &none, why, sizeof(why)), 0);
	assert_true(none.p99_ns == busy.p99_ns && none.cut_share == busy.cut_share);
	calib_target_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_activation),     cmocka_unit_test(test_untraced_switch),
		cmocka_unit_test(test_window),	       cmocka_unit_test(test_odd_comm),
		cmocka_unit_test(test_real_trace),
		cmocka_unit_test(test_real_trace_msi),     cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test(test_simulated),      cmocka_unit_test(test_switch_out_only),
		cmocka_unit_test(test_msi_pairing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
