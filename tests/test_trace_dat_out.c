/*
 * test_trace_dat_out.c - the trace.dat writer at the edges of the ring-buffer
 * encoding, read back by trace-cmd (skipped without it): deltas just below and
 * at 2^27 ns (a time extend), gaps of seconds, payloads at the largest size a
 * type_len can give and one byte over it (array[0] then holds the length), pages
 * filled and continued, a CPU with no events, a thread's name with a space.
 * `trace-cmd report -N -t` must print exactly what the text writer prints for
 * the same events.
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

#include "models/tracepoints/trace_cmd.h"
#include "models/tracepoints/trace_dat_out.h"

struct ev {
	int cpu, pid;
	const char *comm;
	int64_t ts;
	enum kvm_event e;
	char payload[256];
};

/* check - trace-cmd report -N -t of the events as a trace.dat, and the text writer's lines */
static void check(const struct ev *evs, int n, int ncpus)
{
	if (system("command -v trace-cmd >/dev/null 2>&1")) {
		skip();
		return;
	}
	char path[] = "/tmp/kvmsim-test-dat-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	struct trace_dat_out *d = trace_dat_out_new(ncpus);
	assert_non_null(d);
	char *want;
	size_t wlen;
	FILE *w = open_memstream(&want, &wlen);
	trace_cmd_header(w, ncpus);
	for (int i = 0; i < n; i++) {
		trace_dat_out_event(d, evs[i].comm, evs[i].pid, evs[i].cpu, evs[i].ts, evs[i].e, evs[i].payload);
		trace_cmd_line(w, evs[i].comm, evs[i].pid, evs[i].cpu, evs[i].ts, true, kvm_event_names[evs[i].e],
			       evs[i].payload);
	}
	fclose(w);
	assert_int_equal(trace_dat_out_write(d, f, "test"), 0);
	trace_dat_out_free(d);
	assert_int_equal(fclose(f), 0);

	char cmd[128];
	snprintf(cmd, sizeof(cmd), "trace-cmd report -N -t -i %s 2>&1", path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char *got = calloc(1, wlen + 4096);
	size_t glen = fread(got, 1, wlen + 4095, p);
	pclose(p);
	unlink(path);
	got[glen] = 0;
	const char *a = want, *b = got;
	for (int line = 1; *a || *b; line++) { /* the first line that differs, for the message */
		size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
		if (la != lb || memcmp(a, b, la))
			fail_msg("line %d: expected\n%.*s\ngot\n%.*s", line, (int)la, a, (int)lb, b);
		a += la + (a[la] != 0);
		b += lb + (b[lb] != 0);
	}
	free(got);
	free(want);
}

static struct ev ev(int cpu, int64_t ts, enum kvm_event e, int len)
{
	struct ev x = { cpu, 4100 + cpu, cpu == 0 ? "CPU 0/KVM" : "vhost-4000", ts, e, "" };
	int k = snprintf(x.payload, sizeof(x.payload), "dst %d vec 65 ts %lld ", cpu, (long long)ts);
	for (; k < len; k++)
		x.payload[k] = (char)('a' + k % 26);
	x.payload[len] = 0;
	return x;
}

static void deltas_at_the_27_bit_edge(void **state)
{
	(void)state;
	const int64_t edge = (int64_t)1 << 27;
	struct ev evs[] = {
		ev(0, 1000, EV_kvm_msi_set_irq, 40),
		ev(0, 1000, EV_kvm_msi_set_irq, 40),			  /* delta 0 */
		ev(0, 1000 + edge - 1, EV_kvm_msi_set_irq, 40),		  /* the largest delta a header holds */
		ev(0, 1000 + 2 * edge - 1, EV_kvm_msi_set_irq, 40),	  /* exactly 2^27: a time extend */
		ev(2, 1000 + 2 * edge, EV_kvm_pio, 40),			  /* another CPU; CPU 1 stays empty */
		ev(0, 7000000000LL + 123, EV_kvm_msi_set_irq, 40),	  /* 7 s later */
		ev(2, 3600000000000LL + 999999999, EV_kvm_pio, 40),	  /* an hour later, to the ns */
	};
	check(evs, (int)(sizeof(evs) / sizeof(*evs)), 3);
}

static void payload_sizes_and_pages(void **state)
{
	(void)state;
	/* data = 8 common + 4 __data_loc + payload + NUL, rounded to 4: 99 characters give 112
	 * (type_len 28, the largest), 100 give 116 (type_len 0 and array[0]); 255 is the most
	 * a model formats. 300 events of ~100-250 bytes fill several 4 KiB pages. */
	static struct ev evs[300];
	int lens[] = { 30, 97, 98, 99, 100, 101, 103, 200, 254, 255 };
	for (int i = 0; i < 300; i++) {
		int len = lens[i % 10];
		evs[i] = ev(i % 2 ? 2 : 0, 5000 + (int64_t)i * 997, i % 3 ? EV_kvm_msi_set_irq : EV_kvm_pio, len);
	}
	check(evs, 300, 3);
}

static void empty_payload(void **state)
{
	(void)state;
	struct ev evs[] = { { 0, 4100, "CPU 0/KVM", 5, EV_kvm_pio, "" }, { 0, 4100, "CPU 0/KVM", 6, EV_kvm_pio, "x" } };
	check(evs, 2, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(deltas_at_the_27_bit_edge),
		cmocka_unit_test(payload_sizes_and_pages),
		cmocka_unit_test(empty_payload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
