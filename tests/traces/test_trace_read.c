/*
 * test_trace_read.c - the trace readers: each text layout taken apart line by
 * line (trace-cmd report plain, -t, -l, --ts-diff and instance-prefixed;
 * ftrace with and without flags, with TGID, old 4-character flags; perf
 * script with 5- and 7-digit TIDs, PID/TID and ns timestamps), whole files
 * with their skipped-line counts, gzip, the errors for malformed kvm lines,
 * and a real trace.dat read through libtracecmd against the `trace-cmd
 * report` of the same recording.
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
#include <zlib.h>

#include "traces/trace_read.h"

struct want_line {
	const char *line;
	const char *instance, *comm;
	int32_t pid, tgid, cpu;
	const char *flags;
	int64_t ts_ns;
	int digits;
	bool perf;
	const char *event, *payload;
};

static const struct want_line lines[] = {
	/* trace-cmd report (kvmsim's own --trace output is this layout) */
	{ "       CPU 0/KVM-4100  [000]     0.020197: kvm_vcpu_wakeup:      wait time 20196043 ns, polling valid", "",
	  "CPU 0/KVM", 4100, -1, 0, "", 20197000, 6, false, "kvm_vcpu_wakeup", "wait time 20196043 ns, polling valid" },
	{ "kvmsim-probe-26724:        CPU 1/KVM-26730 [000]  3715.691122: kvm_msr:              msr_read 1b = 0xfee00800",
	  "kvmsim-probe-26724", "CPU 1/KVM", 26730, -1, 0, "", 3715691122000, 6, false, "kvm_msr",
	  "msr_read 1b = 0xfee00800" },
	{ "kvmy:        CPU 0/KVM-15237 [001]  2967.039063170: kvm_msr:              msr_read 1b = 0xfee00900", "kvmy",
	  "CPU 0/KVM", 15237, -1, 1, "", 2967039063170, 9, false, "kvm_msr", "msr_read 1b = 0xfee00900" },
	{ "kvmy: CPU 0/KV-15237   1.....  2967.039063: kvm_msr:              msr_read 1b = 0xfee00900", "kvmy",
	  "CPU 0/KV", 15237, -1, 1, ".....", 2967039063000, 6, false, "kvm_msr", "msr_read 1b = 0xfee00900" },
	{ "kvmy:        CPU 0/KVM-15237 [001]  2967.039071: (+8)     kvm_msr:              msr_write 1b = 0xfee00d00",
	  "kvmy", "CPU 0/KVM", 15237, -1, 1, "", 2967039071000, 6, false, "kvm_msr", "msr_write 1b = 0xfee00d00" },
	/* ftrace: 6.x with flags, with TGID and no flags, 4.x with 4 flags */
	{ "       CPU 0/KVM-16395   [001] .....  3156.590517: kvm_msr: msr_read 1b = 0xfee00900", "", "CPU 0/KVM", 16395,
	  -1, 1, ".....", 3156590517000, 6, false, "kvm_msr", "msr_read 1b = 0xfee00900" },
	{ "       CPU 0/KVM-26719   (  26718) [001]   3715.500984: kvm_vcpu_wakeup: poll time 5 ns, polling valid", "",
	  "CPU 0/KVM", 26719, 26718, 1, "", 3715500984000, 6, false, "kvm_vcpu_wakeup", "poll time 5 ns, polling valid" },
	{ "          <idle>-0       (-------) [000] d..2.   100.000001: sched_switch: prev_comm=swapper/0 prev_pid=0",
	  "", "<idle>", 0, -1, 0, "d..2.", 100000001000, 6, false, "sched_switch", "prev_comm=swapper/0 prev_pid=0" },
	{ "       CPU 0/KVM-1234  [002] d..1  5123.456789: kvm_exit: reason HLT rip 0xffffffff81063ac6 info 0 0", "",
	  "CPU 0/KVM", 1234, -1, 2, "d..1", 5123456789000, 6, false, "kvm_exit",
	  "reason HLT rip 0xffffffff81063ac6 info 0 0" },
	{ "      foo-12-bar-345   [000] .....     1.000000: kvm_msr: msr_read 1b = 0x0", "", "foo-12-bar", 345, -1, 0,
	  ".....", 1000000000, 6, false, "kvm_msr", "msr_read 1b = 0x0" },
	/* perf script */
	{ "       CPU 0/KVM 15832 [001]  3010.258574:          kvm:kvm_msr: msr_read 1b = 0xfee00900", "", "CPU 0/KVM",
	  15832, -1, 1, "", 3010258574000, 6, true, "kvm:kvm_msr", "msr_read 1b = 0xfee00900" },
	{ "       CPU 0/KVM 1583211 [001]  3010.258574: kvm:kvm_vcpu_wakeup: poll time 260 ns, polling valid", "",
	  "CPU 0/KVM", 1583211, -1, 1, "", 3010258574000, 6, true, "kvm:kvm_vcpu_wakeup",
	  "poll time 260 ns, polling valid" },
	{ "       CPU 0/KVM 15830/15832 [001]  3010.258574: kvm:kvm_vcpu_wakeup: poll time 260 ns, polling valid", "",
	  "CPU 0/KVM", 15832, 15830, 1, "", 3010258574000, 6, true, "kvm:kvm_vcpu_wakeup",
	  "poll time 260 ns, polling valid" },
	{ "       CPU 0/KVM 15832 [001]  3010.258574123: kvm:kvm_msr: msr_read 1b = 0x0", "", "CPU 0/KVM", 15832, -1,
	  1, "", 3010258574123, 9, true, "kvm:kvm_msr", "msr_read 1b = 0x0" },
	{ "    kworker/u4:2    77 [000]     1.000001:  sched:sched_switch: prev_comm=kworker/u4:2", "", "kworker/u4:2",
	  77, -1, 0, "", 1000001000, 6, true, "sched:sched_switch", "prev_comm=kworker/u4:2" },
};

static void test_line_layouts(void **state)
{
	for (size_t i = 0; i < sizeof(lines) / sizeof(*lines); i++) {
		const struct want_line *w = &lines[i];
		struct trace_line tl;
		if (!trace_line_split(w->line, &tl))
			fail_msg("not an event line: %s", w->line);
		assert_string_equal(tl.instance, w->instance);
		assert_string_equal(tl.comm, w->comm);
		assert_int_equal(tl.pid, w->pid);
		assert_int_equal(tl.tgid, w->tgid);
		assert_int_equal(tl.cpu, w->cpu);
		assert_string_equal(tl.flags, w->flags);
		assert_int_equal(tl.ts_ns, w->ts_ns);
		assert_int_equal(tl.ts_digits, w->digits);
		assert_int_equal(tl.perf, w->perf);
		assert_int_equal(tl.event_len, strlen(w->event));
		assert_memory_equal(tl.event, w->event, tl.event_len);
		assert_string_equal(tl.payload, w->payload);
	}
	static const char *const others[] = {
		"cpus=2", "# tracer: nop", "", "CPU 1 is empty", "CPU:1 [LOST 20 EVENTS]", "version = 6",
		"#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION",
	};
	for (size_t i = 0; i < sizeof(others) / sizeof(*others); i++) {
		struct trace_line tl;
		assert_int_equal(trace_line_split(others[i], &tl), 0);
	}
}

/* ---- whole files --------------------------------------------------------------------- */

struct collected {
	struct trace_event *ev;
	size_t n, cap;
	int stop_after; /* return 5 from the callback after this many (0: never) */
};

static int collect(void *ctx, const struct trace_event *ev)
{
	struct collected *c = ctx;
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->ev = realloc(c->ev, c->cap * sizeof(*c->ev));
	}
	c->ev[c->n++] = *ev;
	return c->stop_after && (int)c->n == c->stop_after ? 5 : 0;
}

static void write_file(const char *path, const char *text, bool gz)
{
	if (gz) {
		gzFile f = gzopen(path, "wb");
		assert_non_null(f);
		assert_int_equal(gzputs(f, text), (int)strlen(text));
		gzclose(f);
		return;
	}
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *tmp_path(char *buf, size_t n)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(buf, n, "%s/test_trace_read-XXXXXX", dir);
	int fd = mkstemp(buf);
	assert_true(fd >= 0);
	close(fd);
	return buf;
}

static const char ftrace_text[] =
	"# tracer: nop\n"
	"#\n"
	"       CPU 0/KVM-100     [001] .....    10.000000: kvm_halt_poll_ns: vcpu 0: halt_poll_ns 10000 (grow 0)\n"
	"       CPU 0/KVM-100     [001] .....    10.000001: kvm_vcpu_wakeup: wait time 50000 ns, polling valid\n"
	"          <idle>-0       [000] d..2.    10.000002: sched_switch: prev_comm=swapper/0 prev_pid=0\n"
	"       CPU 0/KVM-100     [001] .....    10.000003: kvm_pio: pio_write at 0x70 size 1 count 1 val 0x8f\n"
	"CPU:0 [LOST 17 EVENTS]\n"
	"       CPU 0/KVM-100     [001] .....    10.000004: kvm_vcpu_wakeup: poll time 5000 ns, polling valid\n";

static void test_file_counts(void **state)
{
	for (int gz = 0; gz < 2; gz++) {
		char path[4096], err[600];
		tmp_path(path, sizeof(path));
		write_file(path, ftrace_text, gz);
		struct collected c = { 0 };
		struct trace_stats st;
		assert_int_equal(trace_read(path, collect, &c, &st, err, sizeof(err)), 0);
		assert_string_equal(st.format, "ftrace");
		assert_int_equal(st.lines, 8);
		assert_int_equal(st.kvm_events, 3);
		assert_int_equal(st.other_events, 2); /* sched_switch, and kvm_pio which kvmsim does not read */
		assert_int_equal(st.other_lines, 3);
		assert_int_equal(st.lost_events, 17);
		assert_int_equal(st.events[KEV_VCPU_WAKEUP], 2);
		assert_int_equal(st.events[KEV_HALT_POLL_NS], 1);
		assert_int_equal(st.first_ts, 10000000000);
		assert_int_equal(st.last_ts, 10000004000);
		assert_int_equal(c.n, 3);
		assert_int_equal(c.ev[0].line, 3);
		assert_int_equal(c.ev[1].line, 4);
		assert_int_equal(c.ev[2].line, 8);
		assert_int_equal(c.ev[1].wakeup.ns, 50000);
		assert_int_equal(c.ev[2].pid, 100);
		assert_string_equal(c.ev[2].comm, "CPU 0/KVM");
		free(c.ev);
		/* the callback's non-zero return stops the reading and is returned */
		struct collected s = { .stop_after = 2 };
		assert_int_equal(trace_read(path, collect, &s, &st, err, sizeof(err)), 5);
		assert_int_equal(s.n, 2);
		free(s.ev);
		unlink(path);
	}
}

static void expect_error(const char *text, const char *msg_after_path)
{
	char path[4096], err[600], want[5000];
	tmp_path(path, sizeof(path));
	write_file(path, text, false);
	struct collected c = { 0 };
	struct trace_stats st;
	assert_int_equal(trace_read(path, collect, &c, &st, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:%s", path, msg_after_path);
	assert_string_equal(err, want);
	free(c.ev);
	unlink(path);
}

static void test_malformed_lines(void **state)
{
	expect_error("cpus=2\n"
		     "       CPU 0/KVM-100   [001]    10.000000: kvm_vcpu_wakeup:      wait time 5 ns, polling valid\n"
		     "       CPU 0/KVM-100   [001]    10.000001: kvm_vcpu_wakeup:      wait tme 50000 ns\n",
		     "3: kvm_vcpu_wakeup: expected \"poll|wait time NS ns[, polling valid|invalid]\", got \"wait tme 50000 ns\"");
	expect_error("# tracer: nop\nkvm_halt_poll_ns: vcpu 0: halt_poll_ns 10000 (grow 0)\n",
		     "2: expected an event line (COMM-PID [CPU] [FLAGS] SECONDS: EVENT: PAYLOAD), got \"kvm_halt_poll_ns: "
		     "vcpu 0: halt_poll_ns 10000 (grow 0)\"");
	/* a pid no task can have (past PID_MAX_LIMIT; it would wrap to another thread's in 32 bits) */
	expect_error("       CPU 0/KVM-4294975128 [001]    10.000000: kvm_vcpu_wakeup: wait time 5 ns, polling valid\n",
		     "1: expected an event line (COMM-PID [CPU] [FLAGS] SECONDS: EVENT: PAYLOAD), got \"       CPU "
		     "0/KVM-4294975128 [001]    10.000000: kvm_vcpu_wakeup: wait time 5 ns, polling valid\"");
	expect_error("       CPU 0/KVM-100   (4294967296) [001]    10.000000: kvm_vcpu_wakeup: wait time 5 ns\n",
		     "1: expected an event line (COMM-PID [CPU] [FLAGS] SECONDS: EVENT: PAYLOAD), got \"       CPU "
		     "0/KVM-100   (4294967296) [001]    10.000000: kvm_vcpu_wakeup: wait time 5 ns\"");
	char err[600];
	struct trace_stats st;
	assert_int_equal(trace_read("/nonexistent/t.trace", collect, NULL, &st, err, sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/t.trace: cannot open: No such file or directory");
}

/* ---- trace.dat through libtracecmd, against trace-cmd report of the same file ----------- */

static void read_sample(const char *name, struct collected *c, struct trace_stats *st)
{
	char path[4096], err[600];
	snprintf(path, sizeof(path), "%s/traces/samples/%s", getenv("KVMSIM_SRC"), name);
	if (trace_read(path, collect, c, st, err, sizeof(err)))
		fail_msg("%s", err);
}

static void test_trace_dat_matches_report(void **state)
{
	struct collected dat = { 0 }, rep = { 0 };
	struct trace_stats sd, sr;
	read_sample("module-2vcpu.dat.gz", &dat, &sd);
	read_sample("module-2vcpu.report.gz", &rep, &sr);
	assert_string_equal(sd.format, "trace.dat");
	assert_string_equal(sr.format, "trace-cmd report");
	assert_int_equal(sd.ts_digits, 9);
	assert_int_equal(sr.ts_digits, 6);
	assert_true(dat.n > 1000);
	assert_int_equal(dat.n, rep.n);
	assert_memory_equal(sd.events, sr.events, sizeof(sd.events));
	size_t halts = 0;
	for (size_t i = 0; i < dat.n; i++) {
		const struct trace_event *a = &dat.ev[i], *b = &rep.ev[i];
		assert_int_equal(a->type, b->type);
		assert_int_equal(a->pid, b->pid);
		assert_int_equal(a->cpu, b->cpu);
		assert_string_equal(a->comm, b->comm);
		/* the report rounds the record's ns to the microsecond */
		int64_t d = a->ts_ns - b->ts_ns;
		assert_true(d >= -500 && d < 500);
		size_t off = offsetof(struct trace_event, wakeup);
		assert_memory_equal((const char *)a + off, (const char *)b + off, sizeof(*a) - off);
		halts += a->type == KEV_VCPU_WAKEUP;
	}
	assert_int_equal(halts, 448);
	free(dat.ev);
	free(rep.ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_layouts),
		cmocka_unit_test(test_file_counts),
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_trace_dat_matches_report),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
