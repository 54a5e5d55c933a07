/*
 * cmd_plan.c - `kvmsim plan`: how many VMs of a kind fit on a host under a
 * p99 wake-latency target (bisection on the cycle-level model, profiles
 * cached), then the fleet over simulated days on SimGrid per policy and
 * placement: utilisation, polling's CPU and energy, refusals, violations.
 */
#include "fleet/bisect.h"
#include "fleet/events.h"
#include "fleet/plan.h"
#include "sim/cli.h"
#include "sim/err.h"
#include "sim/units.h"
#include "sim/xalloc.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CMD "plan"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kvmsim plan --platform FILE.xml --vm FILE[:WEIGHT]... --p99 TIME [options]\n\n"
		"How many VMs of each type fit on a host while the worst VM's p99 wake latency\n"
		"stays within TIME (bisection on the cycle-level model: `kvmsim run` with\n"
		"vm.count=N and host.pcpus=the host's cores), then the fleet on SimGrid over\n"
		"simulated days: VMs arrive and leave and are placed by each placement policy;\n"
		"per policy the fleet's utilisation, halt polling's CPU share and energy, VMs\n"
		"refused and VM-hours over the latency target. Profiles are cached, so asking\n"
		"again runs no simulation.\n\n"
		"the question:\n"
		"  --platform FILE         SimGrid platform XML: hosts (core, speed), pstates with\n"
		"                          wattage_per_state (Idle:OneCore:AllCores watts)\n"
		"  --vm FILE[:WEIGHT]      a VM type (a scenario with its vm: template; repeat for a mix)\n"
		"  --p99 TIME              the latency target (bare number: us)\n"
		"  --policy K=V[,K=V]...   a candidate policy: settings applied to every run (repeat)\n"
		"  --halt-poll-ns LIST     short for one --policy kvm.halt_poll_ns=V per value, e.g. 0,50us,200us\n"
		"  --set K=V               a setting for every run, before the policy's (repeat)\n"
		"  --max-overcommit X      search counts up to X vCPUs per core (default 4)\n"
		"  --unpinned              the VMs' vCPU threads may run on any of the host's pCPUs\n"
		"                          (vm.cpus: all of them), as without pinning; default: the scenario's\n"
		"  --duration T            simulated time of each cycle-level run (default: the scenario's)\n"
		"  --seed N                seed of each cycle-level run and of the fleet's arrivals and\n"
		"                          lifetimes (default 1; the same seed, the same plan)\n\n"
		"the fleet:\n"
		"  --placement LIST        first-fit,best-fit,latency-aware (default: all three)\n"
		"  --vms N                 VMs at the start, kept steady by arrivals (default: 4 per host)\n"
		"  --lifetime T            mean VM lifetime, exponential: 90s, 6h, 2d (default 1d)\n"
		"  --arrival-rate R        arrivals per hour instead of VMS/LIFETIME\n"
		"  --trace CSV             arrivals and departures from a file (arrive,leave,type)\n"
		"  --days D                simulated days (default 1)\n"
		"  --overcommit X          vCPUs per core a host accepts (default 2)\n"
		"  --no-fleet              only the search\n"
		"  --jobs N                searches and fleet simulations at once, each a process (default: the CPUs)\n\n"
		"output:\n"
		"  --json OUT              the whole plan, per host too (kvmsim-plan/1)\n"
		"  --plot OUT.png          bar charts per policy (and OUT.svg) with /usr/bin/python3 and reports/fleet.py\n"
		"  --per-host              a table per host after each fleet row\n"
		"  --cache DIR             profile cache (default $KVMSIM_CACHE_DIR or ~/.cache/kvmsim/profiles)\n"
		"  --no-cache              simulate everything, keep nothing\n"
		"  --progress, --no-progress   progress on stderr (default: when it is a terminal)\n\n"
		"exit status: 0 done, 1 a run or output failed, 2 bad usage or input\n");
}


static void add_policy(struct plan *p, const char *spec)
{
	p->policies = xrealloc(p->policies, (p->npolicies + 1) * sizeof(*p->policies));
	struct plan_policy *q = &p->policies[p->npolicies++];
	q->label = xstrdup(spec);
	q->sets = NULL;
	q->nsets = 0;
	char *s = xstrdup(spec), *save;
	for (char *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		q->sets = xrealloc(q->sets, (q->nsets + 1) * sizeof(char *));
		q->sets[q->nsets++] = xstrdup(tok);
	}
	free(s);
}

static int add_type(struct plan *p, const char *arg)
{
	char *s = xstrdup(arg), *c = strrchr(s, ':');
	double w = 1;
	if (c) {
		char *e;
		w = strtod(c + 1, &e);
		if (e == c + 1 || *e || !(w > 0) || !isfinite(w)) {
			free(s);
			return cli_error(CMD, "--vm %s: WEIGHT: expected a positive number", arg);
		}
		*c = 0;
	}
	if (access(s, R_OK)) {
		cli_error(CMD, "--vm %s: cannot read the scenario file", s);
		free(s);
		return EXIT_BAD_INPUT;
	}
	p->types = xrealloc(p->types, (p->ntypes + 1) * sizeof(*p->types));
	struct plan_type *t = &p->types[p->ntypes++];
	t->path = s;
	char *b = xstrdup(s), *base = basename(b), *dot = strrchr(base, '.');
	if (dot && dot != base)
		*dot = 0;
	t->name = xstrdup(base);
	free(b);
	t->weight = w;
	t->vcpus = 0;
	return 0;
}

/* long_time - a time in s (units as scenario keys take them) or in whole or decimal h / d */
static int long_time(const char *s, sim_time_t *t)
{
	const char *w;
	size_t n = strlen(s);
	if (n > 1 && (s[n - 1] == 'h' || s[n - 1] == 'd')) {
		char *e;
		double v = strtod(s, &e);
		if (e != s + n - 1 || !(v > 0) || v * (s[n - 1] == 'h' ? 3600 : 86400) > 8.64e6)
			return -1;
		*t = (sim_time_t)llround(v * (s[n - 1] == 'h' ? 3600 : 86400) * 1e6) * SIM_US;
		return 0;
	}
	return cfg_parse_time(s, "s", t, &w) || *t <= 0 ? -1 : 0;
}

static int pos_double(const char *opt, const char *arg, double *v)
{
	char *e;
	*v = strtod(arg, &e);
	if (e == arg || *e || !(*v > 0) || !isfinite(*v))
		return cli_error(CMD, "%s: expected a positive number, got \"%s\"", opt, arg);
	return 0;
}

static int parse(int argc, char **argv, struct plan_args *a, struct plan *p)
{
	enum { O_PLATFORM = 256, O_VM, O_P99, O_POLICY, O_HPN, O_SET, O_MAXO, O_DUR, O_SEED, O_PLACE, O_VMS,
	       O_LIFE, O_RATE, O_TRACE, O_DAYS, O_OVER, O_NOFLEET, O_JSON, O_PLOT, O_PERHOST, O_CACHE,
	       O_NOCACHE, O_PROG, O_NOPROG, O_UNPIN, O_JOBS };
	static const struct option lo[] = {
		{ "platform", 1, NULL, O_PLATFORM }, { "vm", 1, NULL, O_VM },	     { "p99", 1, NULL, O_P99 },
		{ "policy", 1, NULL, O_POLICY },     { "halt-poll-ns", 1, NULL, O_HPN }, { "set", 1, NULL, O_SET },
		{ "max-overcommit", 1, NULL, O_MAXO }, { "duration", 1, NULL, O_DUR }, { "seed", 1, NULL, O_SEED },
		{ "placement", 1, NULL, O_PLACE },   { "vms", 1, NULL, O_VMS },	     { "lifetime", 1, NULL, O_LIFE },
		{ "arrival-rate", 1, NULL, O_RATE }, { "trace", 1, NULL, O_TRACE },   { "days", 1, NULL, O_DAYS },
		{ "overcommit", 1, NULL, O_OVER },   { "no-fleet", 0, NULL, O_NOFLEET }, { "json", 1, NULL, O_JSON },
		{ "plot", 1, NULL, O_PLOT },	     { "per-host", 0, NULL, O_PERHOST }, { "cache", 1, NULL, O_CACHE },
		{ "no-cache", 0, NULL, O_NOCACHE },  { "progress", 0, NULL, O_PROG },  { "no-progress", 0, NULL, O_NOPROG },
		{ "unpinned", 0, NULL, O_UNPIN },    { "jobs", 1, NULL, O_JOBS },    { "help", 0, NULL, 'h' },	     { 0 },
	};
	int c;
	const char *w;
	sim_time_t t;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return -1;
		case O_PLATFORM: a->platform = optarg; break;
		case O_VM:
			if (add_type(p, optarg))
				return EXIT_BAD_INPUT;
			break;
		case O_P99:
			if (cfg_parse_time(optarg, "us", &t, &w) || t <= 0)
				return cli_error(CMD, "--p99: expected a positive time, got \"%s\"", optarg);
			a->p99_ns = (double)t / 1e3;
			break;
		case O_POLICY: add_policy(p, optarg); break;
		case O_HPN: {
			char *s = xstrdup(optarg), *save;
			for (char *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				char buf[128];
				snprintf(buf, sizeof(buf), "kvm.halt_poll_ns=%s", tok);
				add_policy(p, buf);
			}
			free(s);
			break;
		}
		case O_SET:
			a->sets = xrealloc(a->sets, (a->nsets + 1) * sizeof(char *));
			a->sets[a->nsets++] = optarg;
			break;
		case O_MAXO:
			if (pos_double("--max-overcommit", optarg, &a->max_over))
				return EXIT_BAD_INPUT;
			if (a->max_over > 64)
				return cli_error(CMD, "--max-overcommit: expected at most 64 vCPUs per core, got \"%s\"", optarg);
			break;
		case O_DUR: a->duration = optarg; break;
		case O_SEED:
			if (cfg_parse_u64(optarg, &a->seed, &w))
				return cli_error(CMD, "--seed: %s", w);
			break;
		case O_PLACE: {
			a->place_mask = 0;
			char *s = xstrdup(optarg), *save;
			for (char *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				int k = place_find(tok);
				if (k < 0) {
					cli_error(CMD, "--placement: expected first-fit, best-fit or latency-aware, got \"%s\"", tok);
					free(s);
					return EXIT_BAD_INPUT;
				}
				a->place_mask |= 1 << k;
			}
			free(s);
			break;
		}
		case O_VMS: {
			uint64_t v;
			if (cfg_parse_u64(optarg, &v, &w) || v > 10000000)
				return cli_error(CMD, "--vms: expected a count up to 10000000, got \"%s\"", optarg);
			a->vms = (long)v;
			break;
		}
		case O_LIFE:
			if (long_time(optarg, &a->lifetime))
				return cli_error(CMD, "--lifetime: expected a positive time up to 100d (s, h, d), got \"%s\"",
						 optarg);
			break;
		case O_RATE:
			if (pos_double("--arrival-rate", optarg, &a->rate_h))
				return EXIT_BAD_INPUT;
			break;
		case O_TRACE: a->trace = optarg; break;
		case O_DAYS:
			if (pos_double("--days", optarg, &a->days))
				return EXIT_BAD_INPUT;
			if (a->days > 1000)
				return cli_error(CMD, "--days: expected a number of days in (0, 1000], got \"%s\"", optarg);
			break;
		case O_OVER:
			if (pos_double("--overcommit", optarg, &a->overcommit))
				return EXIT_BAD_INPUT;
			break;
		case O_NOFLEET: a->no_fleet = 1; break;
		case O_UNPIN: a->unpinned = 1; break;
		case O_JOBS: {
			uint64_t v;
			if (cfg_parse_u64(optarg, &v, &w) || v < 1 || v > 256)
				return cli_error(CMD, "--jobs: expected 1 to 256, got \"%s\"", optarg);
			a->jobs = (unsigned)v;
			break;
		}
		case O_JSON: a->json = optarg; break;
		case O_PLOT:
			a->plot = optarg;
			if (strlen(optarg) < 5 || strcmp(optarg + strlen(optarg) - 4, ".png"))
				return cli_error(CMD, "--plot: expected a file name ending in .png, got \"%s\"", optarg);
			break;
		case O_PERHOST: a->per_host = 1; break;
		case O_CACHE: a->cache = optarg; break;
		case O_NOCACHE: a->no_cache = 1; break;
		case O_PROG: a->progress = 1; break;
		case O_NOPROG: a->progress = 0; break;
		default:
			return cli_bad_option(CMD, argv);
		}
	}
	if (optind < argc)
		return cli_error(CMD, "unexpected argument \"%s\" (kvmsim plan --help)", argv[optind]);
	if (!a->platform)
		return cli_error(CMD, "--platform: missing (a SimGrid platform file)");
	if (!p->ntypes)
		return cli_error(CMD, "--vm: missing (at least one VM type's scenario)");
	if (!(a->p99_ns > 0))
		return cli_error(CMD, "--p99: missing (the p99 wake-latency target)");
	if (p->ntypes > 64)
		return cli_error(CMD, "--vm: at most 64 VM types");
	if (!p->npolicies)
		add_policy(p, "");
	return 0;
}

/* the bisection's question: n VMs of one type on one host class under one policy */
struct probe {
	struct plan *p;
	const struct plan_args *a;
	struct plan_search *s;
	const char *cache;
	int rc;
	char why[512];
	int best_ok; /* the largest count seen meeting the target */
};

static int probe_n(int n, void *ctx)
{
	struct probe *pr = ctx;
	struct plan_search *s = pr->s;
	const struct plan_policy *pol = &pr->p->policies[s->policy];
	const char **sets = xcalloc(pr->a->nsets + pol->nsets + 2, sizeof(char *));
	size_t ns = 0;
	char *aff = NULL;
	if (pr->a->unpinned) { /* every vCPU thread may run on every pCPU: the scheduler places them */
		size_t n_ = 16 + 8 * (size_t)s->cores, o = 0;
		aff = xcalloc(n_, 1);
		o += (size_t)snprintf(aff, n_, "vm.cpus=[");
		for (int c = 0; c < s->cores; c++)
			o += (size_t)snprintf(aff + o, n_ - o, "%s%d", c ? "," : "", c);
		snprintf(aff + o, n_ - o, "]");
		sets[ns++] = aff;
	}
	for (size_t i = 0; i < pr->a->nsets; i++)
		sets[ns++] = pr->a->sets[i];
	for (size_t i = 0; i < pol->nsets; i++)
		sets[ns++] = pol->sets[i];
	struct prof_req r = { .kvmsim = "/proc/self/exe", .scenario = pr->p->types[s->type].path, .sets = sets,
			      .nsets = ns, .nvms = n, .pcpus = s->cores, .duration = pr->a->duration,
			      .seed = pr->a->seed, .cache_dir = pr->cache };
	struct prof_fig f;
	int ran;
	pr->rc = prof_get(&r, &f, &ran, pr->why, sizeof(pr->why));
	free(sets);
	free(aff);
	if (pr->rc)
		return -1;
	s->sims += ran;
	s->cached += !ran;
	pr->p->types[s->type].vcpus = f.vcpus_per_vm;
	if (pr->a->progress)
		fprintf(stderr, "kvmsim plan: %s on %d cores, %s: %d VMs: p99 %.2f us%s\n", pr->p->types[s->type].name,
			s->cores, pol->label[0] ? pol->label : "(scenario)", n, f.vm_worst_p99_ns / 1e3,
			ran ? "" : " (cached)");
	/* the curve: per-VM figures, sorted by count */
	struct fleet_curve *c = &s->curve;
	if (c->npts < 32) {
		int i = c->npts++;
		for (; i > 0 && c->n[i - 1] > n; i--) {
			c->n[i] = c->n[i - 1];
			c->busy[i] = c->busy[i - 1];
			c->poll[i] = c->poll[i - 1];
			c->guest[i] = c->guest[i - 1];
			c->steal[i] = c->steal[i - 1];
			c->p99[i] = c->p99[i - 1];
		}
		c->n[i] = n;
		c->busy[i] = f.host_cpu / n;
		c->poll[i] = f.poll_cpu / n;
		c->guest[i] = f.guest_cpu / n;
		c->steal[i] = f.steal_cpu / n;
		c->p99[i] = f.vm_worst_p99_ns;
	}
	int ok = f.vm_worst_p99_ns <= pr->p->target_ns;
	if (ok && n > pr->best_ok) {
		pr->best_ok = n;
		s->p99_at_max_ns = f.vm_worst_p99_ns;
		s->poll_at_max = f.poll_cpu / n;
	}
	return ok;
}

static int probe_shifted(int n, void *ctx)
{
	return probe_n(n + 1, ctx);
}

/* search_one - the bisection of search k into p->search[k]; 0, or the error's status with why. */
static int search_one(struct plan *p, const struct plan_args *a, const char *cache, size_t k, char *why, size_t len)
{
	struct plan_search *s = &p->search[k];
	s->policy = k / (p->nclasses * p->ntypes);
	s->cls = k / p->ntypes % p->nclasses;
	s->type = k % p->ntypes;
	s->cores = p->class_cores[s->cls];
	s->p99_at_max_ns = NAN;
	s->poll_at_max = NAN;
	struct probe pr = { .p = p, .a = a, .s = s, .cache = cache };
	/* one VM first: it gives the type's vCPUs (the search's bound), and if one VM alone misses
	 * the target no count meets it */
	int r = probe_n(1, &pr);
	if (r >= 0) {
		int hi = (int)floor(s->cores * a->max_over / p->types[s->type].vcpus);
		s->hi = hi < 1 ? 1 : hi;
		s->maxvms = r ? 1 : 0;
	}
	if (r > 0 && s->hi > 1) {
		int best, evals;
		/* 1 is known to meet it: search 2..hi as 1..hi-1 shifted */
		r = bisect_max(s->hi - 1, probe_shifted, &pr, &best, &evals);
		s->maxvms = best + 1;
	}
	if (r < 0) {
		snprintf(why, len, "%s", pr.why);
		return pr.rc;
	}
	return 0;
}

/* What a search's child process sends back. */
struct search_msg {
	int rc;
	char why[512];
	double vcpus;
	struct plan_search s;
};

/*
 * search - every search, up to --jobs at once, each in a child process (their runs are
 * processes anyway; the child sends its result through a pipe), collected in order.
 * The first error is the one reported; the children still running are waited for.
 */
static int search(struct plan *p, const struct plan_args *a, const char *cache)
{
	p->nsearch = p->npolicies * p->nclasses * p->ntypes;
	p->search = xcalloc(p->nsearch, sizeof(*p->search));
	pid_t *pid = xcalloc(p->nsearch, sizeof(pid_t));
	int *fd = xcalloc(p->nsearch, sizeof(int));
	size_t started = 0;
	int rc = 0;
	struct search_msg m;
	for (size_t k = 0; k < p->nsearch; k++) {
		for (; !rc && started < p->nsearch && started < k + a->jobs; started++) {
			int pp[2];
			fflush(NULL);
			if (pipe(pp) || (pid[started] = fork()) < 0) {
				fprintf(stderr, "kvmsim plan: fork: %s\n", strerror(errno));
				rc = EXIT_FAILED;
				break;
			}
			if (!pid[started]) {
				close(pp[0]);
				memset(&m, 0, sizeof(m));
				m.rc = search_one(p, a, cache, started, m.why, sizeof(m.why));
				m.s = p->search[started];
				m.vcpus = p->types[m.s.type].vcpus;
				_exit(write(pp[1], &m, sizeof(m)) == (ssize_t)sizeof(m) ? 0 : 1);
			}
			close(pp[1]);
			fd[started] = pp[0];
		}
		if (k >= started)
			break;
		ssize_t got = 0, n;
		while (got < (ssize_t)sizeof(m) && ((n = read(fd[k], (char *)&m + got, sizeof(m) - (size_t)got)) > 0 ||
						    (n < 0 && errno == EINTR)))
			got += n > 0 ? n : 0;
		close(fd[k]);
		int st;
		while (waitpid(pid[k], &st, 0) < 0 && errno == EINTR)
			;
		if (rc)
			continue;
		if (got != (ssize_t)sizeof(m)) {
			fprintf(stderr, "kvmsim plan: a search's process ended without its result\n");
			rc = EXIT_FAILED;
		} else if (m.rc) {
			fprintf(stderr, "kvmsim plan: %s\n", m.why);
			rc = m.rc;
		} else {
			p->search[k] = m.s;
			p->types[m.s.type].vcpus = m.vcpus;
			p->sims += m.s.sims;
			p->cached += m.s.cached;
		}
	}
	free(pid);
	free(fd);
	return rc;
}

static void plan_free(struct plan *p)
{
	for (size_t t = 0; t < p->ntypes; t++) {
		free(p->types[t].path);
		free(p->types[t].name);
	}
	for (size_t i = 0; i < p->npolicies; i++) {
		for (size_t k = 0; k < p->policies[i].nsets; k++)
			free(p->policies[i].sets[k]);
		free(p->policies[i].sets);
		free(p->policies[i].label);
	}
	for (size_t i = 0; i < p->nfleet; i++)
		free(p->fleet[i].hosts);
	free(p->fleet);
	free(p->types);
	free(p->policies);
	free(p->search);
	free(p->hosts);
	free(p->host_class);
	free(p->class_cores);
}

int cmd_plan(int argc, char **argv)
{
	struct plan p = { 0 };
	struct plan_args a = { .max_over = 4, .overcommit = 2, .days = 1, .seed = 1, .vms = -1,
			  .lifetime = 86400 * SIM_S, .place_mask = (1 << PLACE_N) - 1, .jobs = 0, .progress = cli_stderr_is_tty() };
	int rc = parse(argc, argv, &a, &p);
	char *cache = NULL;
	char why[512];
	if (rc) {
		rc = rc < 0 ? 0 : rc;
		goto out;
	}
	if (!a.jobs) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		a.jobs = n > 0 ? (unsigned)n : 1;
	}
	p.platform = a.platform;
	p.target_ns = a.p99_ns;
	p.days = a.days;
	p.overcommit = a.overcommit;
	p.trace = a.trace;
	if ((rc = fleet_platform(a.platform, &p.hosts, &p.nhosts, why, sizeof(why)))) {
		cli_error(CMD, "%s", why);
		goto out;
	}
	plan_classes(&p);
	cache = a.no_cache ? NULL : a.cache ? xstrdup(a.cache) : prof_cache_default();
	if ((rc = search(&p, &a, cache)))
		goto out;
	if (!a.no_fleet && (rc = plan_fleet_run(&p, &a)))
		goto out;
	plan_print(&p, a.per_host);
	if (a.json && (rc = plan_json(&p, a.json)))
		goto out;
	if (a.plot) {
		char tmp[] = "/tmp/kvmsim-plan.XXXXXX.json";
		int fd = a.json ? -1 : mkstemps(tmp, 5);
		if (!a.json && fd < 0) {
			rc = EXIT_FAILED;
			fprintf(stderr, "kvmsim plan: --plot: a temporary file: %s\n", strerror(errno));
			goto out;
		}
		if (fd >= 0)
			close(fd);
		rc = a.json ? 0 : plan_json(&p, tmp);
		if (!rc)
			rc = plan_plot(a.json ? a.json : tmp, a.plot);
		if (!a.json)
			unlink(tmp);
	}
out:
	free(cache);
	free(a.sets);
	plan_free(&p);
	return rc;
}
