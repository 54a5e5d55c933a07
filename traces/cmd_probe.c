/*
 * cmd_probe.c - `kvmsim probe`: run a wake pattern on the real /dev/kvm
 * (traces/probe/probe.h) and print what KVM and the guest saw; --json writes
 * it as a kvmsim-run/1 document for compare, report and calibrate.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/cli.h"
#include "sim/hist.h"
#include "traces/background.h"
#include "traces/probe/probe.h"

#define CMD "probe"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kvmsim probe [--pattern SPEC] [--halt-poll-ns NS] [options]\n\n"
		"Run a minimal guest (one vCPU, in-kernel irqchip, `sti; hlt`) under /dev/kvm,\n"
		"wake it with MSIs in a pattern, and read KVM's statistics of the vCPU\n"
		"(KVM_GET_STATS_FD), the vCPU thread's CPU time and the wake-up latency the\n"
		"guest observes (TSC at its handler's start minus the host's TSC at the MSI).\n"
		"The guest also times its handler and its EOI write (an exit to KVM and\n"
		"back) on its own clock: how fast the host ran, which calibrate and validate\n"
		"use to simulate each probe at its own speed. The VM's poll ceiling is set\n"
		"with KVM_CAP_HALT_POLL; module parameters are never written.\n\n"
		"  --pattern SPEC      periodic:100us (default), poisson:300us (mean),\n"
		"                      burst:8x20us/2ms (8 wake-ups 20 us apart every 2 ms),\n"
		"                      timer:100us (no MSI: the guest's own LAPIC timer, TSC-\n"
		"                      deadline mode, latency from the deadline)\n"
		"  --halt-poll-ns NS   KVM_CAP_HALT_POLL on the VM (default: the module's value)\n"
		"  --count N           wake-ups (default 2000, at most %d)\n"
		"  --seed N            seed of poisson draws (default 1)\n"
		"  --msi               KVM_SIGNAL_MSI instead of an irqfd\n"
		"  --no-rt             leave the vCPU thread and the waker SCHED_OTHER (default:\n"
		"                      SCHED_FIFO when permitted, so other tasks delay neither)\n"
		"  --vcpu-cpu N        the CPU the vCPU thread runs on (default 1, or 0 on a\n"
		"                      one-CPU host); the waker runs on another one\n"
		"  --background        also trace the other tasks on the vCPU's CPU (root and\n"
		"                      tracefs): each one's wake-ups and CPU time, and how\n"
		"                      long the vCPU thread took behind them from the MSI to\n"
		"                      the switch, in --json as probe.background, which\n"
		"                      calibrate and validate then simulate as a host task on\n"
		"                      that CPU\n"
		"  --json OUT          the result as kvmsim-run/1 JSON (- for stdout)\n"
		"  -h, --help          this text\n\n"
		"Exit status: 0 done, 1 failed, 2 bad usage or no usable /dev/kvm.\n",
		PROBE_MAX_COUNT);
}

/* probe_print - the result in a few lines. */
static void probe_print(FILE *f, const struct probe_result *r)
{
	const struct probe_stats *s = &r->st;
	double wall = (double)r->wall_ns;
	fprintf(f, "kvmsim probe: %s, %ld wake-ups via %s, halt_poll_ns %lld%s, kernel %s\n", r->pat.spec, r->raised,
		r->pat.kind == PROBE_TIMER ? "the guest's LAPIC timer" : r->pat.msi ? "KVM_SIGNAL_MSI" : "irqfd",
		(long long)(r->pat.halt_poll_ns >= 0 ? r->pat.halt_poll_ns : r->module_param[0]),
		r->pat.halt_poll_ns >= 0 ? " (KVM_CAP_HALT_POLL)" : " (module)", r->kernel);
	if (r->nested[0])
		fprintf(f, "host: %s\n", r->nested);
	if (!r->rt)
		fprintf(f, "note: the vCPU thread and the waker ran SCHED_OTHER: other tasks may delay them\n");
	fprintf(f, "window %.1f ms; polls attempted %llu, successful %llu (%.1f%%); halt exits %llu, wake-ups %llu\n",
		wall / 1e6, (unsigned long long)s->halt_attempted_poll, (unsigned long long)s->halt_successful_poll,
		s->halt_attempted_poll ? 100.0 * (double)s->halt_successful_poll / (double)s->halt_attempted_poll : 0.0,
		(unsigned long long)s->halt_exits, (unsigned long long)s->halt_wakeup);
	fprintf(f, "CPU: vCPU thread %.2f%%, polling %.2f%% (ok %.2f, fail %.2f), %.2f us per wake-up\n",
		100.0 * (double)r->cpu_ns / wall,
		100.0 * (double)(s->halt_poll_success_ns + s->halt_poll_fail_ns) / wall,
		100.0 * (double)s->halt_poll_success_ns / wall, 100.0 * (double)s->halt_poll_fail_ns / wall,
		r->raised ? (double)r->cpu_ns / (double)r->raised / 1e3 : 0.0);
	if (r->other_ns >= 0)
		fprintf(f, "other tasks on the vCPU's CPU %d: %.2f%% (they stop halt polling while runnable)\n", r->vcpu_cpu,
			100.0 * (double)r->other_ns / wall);
	if (r->bg.traced)
		fprintf(f, "traced there: %d other tasks, %ld wake-ups, %.2f%% of the CPU\n", r->bg.tasks, r->bg.n,
			100.0 * (double)r->bg.cpu_ns / wall);
	if (r->bg.nmsi > 0) { /* the remote wake-up's way behind them (traces/background.h) */
		int64_t *v = malloc((size_t)r->bg.nmsi * sizeof(*v));
		if (v) {
			memcpy(v, r->bg.msi_ns, (size_t)r->bg.nmsi * sizeof(*v));
			qsort(v, (size_t)r->bg.nmsi, sizeof(*v), sim_cmp_i64);
			long n = r->bg.nmsi;
			fprintf(f, "the vCPU thread woken behind them %ld times: from the MSI to the switch to it p50 %.1f  "
				   "p90 %.1f  max %.1f us\n", n, (double)v[n / 2] / 1e3, (double)v[n * 9 / 10] / 1e3,
				(double)v[n - 1] / 1e3);
			free(v);
		}
	}
	if (r->lat.count)
		fprintf(f, "wake latency (us): p50 %.2f  p90 %.2f  p99 %.2f  max %.2f  (%llu interrupts handled, %ld "
			   "wake-ups coalesced into them, %ld lost)\n",
			(double)sim_hist_quantile(&r->lat, 0.5) / 1e3, (double)sim_hist_quantile(&r->lat, 0.9) / 1e3,
			(double)sim_hist_quantile(&r->lat, 0.99) / 1e3, (double)r->lat.max / 1e3,
			(unsigned long long)r->lat.count, r->coalesced, r->lost);
	else
		fprintf(f, "wake latency: no handler recorded (%ld wake-ups)\n", r->lost);
	if (r->handler.count) /* the guest's own TSC, around its handler and its EOI write */
		fprintf(f, "guest handler (us, its own TSC): p50 %.2f  p90 %.2f, of which its EOI write (an exit and "
			   "back) p50 %.2f  p90 %.2f  (%llu runs)\n",
			(double)sim_hist_quantile(&r->handler, 0.5) / 1e3, (double)sim_hist_quantile(&r->handler, 0.9) / 1e3,
			(double)sim_hist_quantile(&r->eoi, 0.5) / 1e3, (double)sim_hist_quantile(&r->eoi, 0.9) / 1e3,
			(unsigned long long)r->handler.count);
}

int cmd_probe(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pattern", required_argument, NULL, 'p' }, { "halt-poll-ns", required_argument, NULL, 'H' },
		{ "count", required_argument, NULL, 'n' },   { "seed", required_argument, NULL, 's' },
		{ "msi", no_argument, NULL, 'm' },	     { "json", required_argument, NULL, 'j' },
		{ "no-rt", no_argument, NULL, 'R' },	     { "vcpu-cpu", required_argument, NULL, 'c' },
		{ "background", no_argument, NULL, 'b' },    { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct probe_pattern p = { .count = 2000, .seed = 1, .halt_poll_ns = -1, .rt = true };
	char why[256];
	const char *json = NULL, *spec = "periodic:100us";
	bool background = false;
	uint32_t u;
	int o;
	opterr = 0;
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'p':
			spec = optarg;
			break;
		case 'H':
			if (cli_parse_u32(CMD, "--halt-poll-ns", optarg, &u))
				return 2;
			p.halt_poll_ns = u;
			break;
		case 'n':
			if (cli_parse_u32(CMD, "--count", optarg, &u))
				return 2;
			if (u < 1 || u > PROBE_MAX_COUNT)
				return cli_error(CMD, "--count: expected 1..%d, got %s", PROBE_MAX_COUNT, optarg);
			p.count = u;
			break;
		case 's':
			if (cli_parse_u32(CMD, "--seed", optarg, &u))
				return 2;
			p.seed = u;
			break;
		case 'm':
			p.msi = true;
			break;
		case 'R':
			p.rt = false;
			break;
		case 'c': {
			long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
			if (cli_parse_u32(CMD, "--vcpu-cpu", optarg, &u))
				return 2;
			if ((long)u >= ncpu)
				return cli_error(CMD, "--vcpu-cpu: expected 0..%ld (the CPUs online), got %s", ncpu - 1,
						 optarg);
			p.vcpu_cpu = (int)u;
			p.vcpu_cpu_set = true;
			break;
		}
		case 'j':
			json = optarg;
			break;
		case 'b':
			background = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return cli_bad_option(CMD, argv);
		}
	}
	if (optind < argc)
		return cli_error(CMD, "%s: unexpected argument (kvmsim probe --help)", argv[optind]);
	if (probe_pattern_parse(spec, &p, why, sizeof(why)))
		return cli_error(CMD, "--pattern: %s", why);
	struct probe_result r;
	char note[256] = "";
	int rc = background ? probe_run_traced(&p, &r, why, sizeof(why), note, sizeof(note))
			    : probe_run(&p, &r, why, sizeof(why));
	if (rc)
		return rc == 2 ? cli_error(CMD, "%s", why) : (cli_error(CMD, "%s", why), 1);
	if (note[0])
		fprintf(stderr, "kvmsim probe: --background: %s%s\n", r.bg.traced ? "" : "not traced: ", note);
	probe_print(stdout, &r);
	if (json) {
		FILE *f = cli_open_out(CMD, json);
		if (!f)
			rc = 1;
		else {
			json_t *j = probe_result_json(&r);
			json_dumpf(j, f, JSON_INDENT(1));
			fputc('\n', f);
			json_decref(j);
			rc = cli_close_out(CMD, json, f);
		}
	}
	probe_result_free(&r);
	return rc;
}
