/*
 * calibrate.c - `kvmsim calibrate`: fit a profile's free costs to probe
 * results (traces/probe/calib.h) and write the profile of this host.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cli.h"
#include "sim/out_json.h"
#include "traces/probe/calib.h"

#define CMD "calibrate"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kvmsim calibrate RESULT.json... [--base PROFILE] [--name NAME] [-o OUT.yaml]\n"
		"       [--description TEXT]\n\n"
		"Fit the costs a probe can see (exit and entry, the wake-up of a sleeping vCPU,\n"
		"one poll iteration, the host idle state's exit latency, the MSI's delivery,\n"
		"and the probe guest's handler work) to results of `kvmsim probe --json`, by\n"
		"running the simulator on the same arrivals (GSL nonlinear least squares),\n"
		"and write a cost profile with each fitted cost's value, spread and source.\n"
		"Use patterns with and without successful polls (e.g. intervals below and\n"
		"above the poll ceiling), and one whose every halt sleeps (e.g. periodic:300us\n"
		"with a 50 us ceiling): its wake-latency spread (p5 to p95) becomes the idle\n"
		"exit's distribution, around the fitted value. Results probed while other\n"
		"tasks kept the vCPU's CPU busy are left out when at least 2 others remain.\n"
		"Each result is simulated at the host's speed during it: its guest's mean EOI\n"
		"write time (probe.eoi_ns, p5 to p95) over the results' median of it, by which\n"
		"every cost in cycles and the guest's work are scaled; the profile's costs are\n"
		"at that median (results without it are simulated as fitted).\n\n"
		"  --base PROFILE   where the costs not fitted come from (default haswell-ep)\n"
		"  --idle-entry Q,Q,...\n"
		"                   the host idle state's entry latency measured, not fitted:\n"
		"                   times at evenly spaced probabilities (e.g. from\n"
		"                   traces/probe/idle-window.sh); the fit holds their median\n"
		"  --idle-growth G,TAU\n"
		"                   how the host idle state's exit slows with the stay t,\n"
		"                   measured: G x (1 - e^(-t/TAU)) more (e.g. 9us,200us; as\n"
		"                   kvmsim validate traces it); default 0, none\n"
		"  --name NAME      the new profile's name (default this-host)\n"
		"  --description T  the machine, in the profile (default: a generic line)\n"
		"  -o OUT.yaml      write the profile there (default: stdout)\n"
		"  -h, --help       this text\n\n"
		"Exit status: 0 done, 1 the fit or the output failed, 2 bad usage or input.\n");
}

int cmd_calibrate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "base", required_argument, NULL, 'b' }, { "idle-entry", required_argument, NULL, 'e' }, { "name", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' }, { "help", no_argument, NULL, 'h' },
		{ "description", required_argument, NULL, 'd' }, { "idle-growth", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	const char *base = "haswell-ep", *name = "this-host", *out = "-", *desc = NULL;
	int o;
	struct calib_fit fit = { 0 };
	char why[512];
	opterr = 0;
	optind = 1;
	while ((o = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (o) {
		case 'b':
			base = optarg;
			break;
		case 'e':
			if (calib_entry_parse(optarg, &fit, why, sizeof(why)))
				return cli_error(CMD, "--idle-entry: %s", why);
			break;
		case 'g':
			if (calib_growth_parse(optarg, &fit.growth, why, sizeof(why)))
				return cli_error(CMD, "--idle-growth: %s", why);
			break;
		case 'n':
			name = optarg;
			break;
		case 'd':
			desc = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return cli_bad_option(CMD, argv);
		}
	}
	int n = argc - optind;
	if (n < 2)
		return cli_error(CMD, "expected at least 2 probe results (kvmsim probe --json), got %d", n);
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return cli_error(CMD, "--name: expected lower-case letters, digits, - and _, got \"%s\"", name);
	struct calib_target *t = calloc((size_t)n, sizeof(*t));
	int rc = calib_load_targets(CMD, argv + optind, n, t);
	FILE *err = strcmp(out, "-") ? stdout : stderr; /* the report goes where the profile does not */
	if (!rc && calib_fit(t, n, base, &fit, why, sizeof(why)))
		rc = (cli_error(CMD, "%s", why), 1);
	if (!rc) {
		fprintf(err, "kvmsim calibrate: %d probe results, base profile %s\n", n, base);
		calib_print_fit(err, &fit, false);
		if (fit.used < n)
			fprintf(err, "  fitted on the %d of %d results probed while the vCPU's CPU was quiet\n", fit.used, n);
		for (int i = 0; i < n && !rc; i++) {
			struct calib_figs s;
			if (calib_simulate(&t[i], base, fit.x, &fit, &s, why, sizeof(why)))
				rc = (cli_error(CMD, "%s", why), 1);
			else
				calib_print_compare(err, &t[i], &s, calib_busy(&t[i]), NULL, false);
		}
	}
	if (!rc) {
		FILE *f = cli_open_out(CMD, out);
		if (!f)
			rc = 1;
		else if (calib_write_profile(f, base, name, desc, t[0].tsc_khz, &fit, t, n, why, sizeof(why)))
			rc = (cli_error(CMD, "%s", why), 1), cli_close_out(CMD, out, f);
		else
			rc = cli_close_out(CMD, out, f);
	}
	for (int i = 0; i < n; i++)
		calib_target_free(&t[i]);
	free(t);
	return rc;
}
