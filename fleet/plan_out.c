/* plan_out.c - `kvmsim plan`'s tables, JSON and plot (see plan.h). */
#include "fleet/plan.h"
#include "sim/cli.h"
#include "sim/xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#ifndef KVMSIM_REPORTS_DIR
#define KVMSIM_REPORTS_DIR "reports"
#endif

static const char *label(const struct plan *p, size_t pol)
{
	return p->policies[pol].label[0] ? p->policies[pol].label : "(scenario)";
}

/* Fleet-wide figures of one fleet simulation */
struct totals {
	size_t used;
	double cap_cs, busy_cs, poll_cs, energy_j, poll_j, vm_s, over_vm_s;
};

static struct totals totals(const struct plan *p, const struct plan_fleet *f)
{
	struct totals t = { 0 };
	for (size_t i = 0; i < p->nhosts; i++) {
		const struct fleet_host_out *h = &f->hosts[i];
		t.used += h->peak_vms > 0;
		t.cap_cs += p->hosts[i].cores * f->tot.seconds;
		t.busy_cs += h->busy_cs;
		t.poll_cs += h->poll_cs;
		t.energy_j += h->energy_j;
		t.poll_j += h->poll_j;
		t.vm_s += h->vm_s;
		t.over_vm_s += h->over_vm_s;
	}
	return t;
}

static double pct(double a, double b)
{
	return b > 0 ? 100 * a / b : 0;
}

void plan_print(const struct plan *p, int per_host)
{
	printf("kvmsim plan: %s, %zu host%s, target p99 wake latency %.1f us (the worst VM's)\n", p->platform,
	       p->nhosts, p->nhosts == 1 ? "" : "s", p->target_ns / 1e3);
	printf("\nmost VMs per host meeting the target (bisection on the cycle-level model)\n");
	printf("%-28s %-16s %5s %6s %7s %9s %9s %5s %6s\n", "policy", "VM type", "cores", "vCPUs", "max VMs",
	       "p99 (us)", "poll/VM", "sims", "cached");
	for (size_t k = 0; k < p->nsearch; k++) {
		const struct plan_search *s = &p->search[k];
		char mx[16];
		snprintf(mx, sizeof(mx), "%s%d", s->maxvms == s->hi ? ">=" : "", s->maxvms);
		char p99[16] = "-", poll[16] = "-";
		if (s->maxvms > 0) {
			snprintf(p99, sizeof(p99), "%.2f", s->p99_at_max_ns / 1e3);
			snprintf(poll, sizeof(poll), "%.4f", s->poll_at_max);
		}
		printf("%-28s %-16s %5d %6g %7s %9s %9s %5d %6d\n", label(p, s->policy), p->types[s->type].name,
		       s->cores, p->types[s->type].vcpus, mx, p99, poll, s->sims, s->cached);
	}
	printf("simulations: %d run, %d from the cache\n", p->sims, p->cached);
	if (!p->nfleet)
		return;
	printf("\nfleet: %.3g day%s, %u VMs, %zu events, overcommit %.3g vCPUs/core\n", p->days,
	       p->days == 1 ? "" : "s", p->nvm, p->nev, p->overcommit);
	printf("%-28s %-13s %6s %7s %7s %11s %10s %8s %8s %8s %10s\n", "policy", "placement", "hosts", "util %",
	       "poll %", "energy kWh", "poll kWh", "placed", "refused", "over", "over VM-h");
	for (size_t k = 0; k < p->nfleet; k++) {
		const struct plan_fleet *f = &p->fleet[k];
		struct totals t = totals(p, f);
		printf("%-28s %-13s %6zu %7.2f %7.2f %11.3f %10.4f %8llu %8llu %8llu %10.1f\n", label(p, f->policy),
		       place_names[f->place], t.used, pct(t.busy_cs, t.cap_cs), pct(t.poll_cs, t.busy_cs),
		       t.energy_j / 3.6e6, t.poll_j / 3.6e6, (unsigned long long)f->tot.placed,
		       (unsigned long long)f->tot.refused, (unsigned long long)f->tot.violations, t.over_vm_s / 3600);
		if (!per_host)
			continue;
		printf("  %-24s %6s %8s %7s %7s %11s %10s %10s\n", "host", "cores", "peak VMs", "util %", "poll %",
		       "energy kWh", "VM-h", "over VM-h");
		for (size_t i = 0; i < p->nhosts; i++) {
			const struct fleet_host_out *h = &f->hosts[i];
			printf("  %-24s %6d %8u %7.2f %7.2f %11.4f %10.1f %10.1f\n", p->hosts[i].name, p->hosts[i].cores,
			       h->peak_vms, pct(h->busy_cs, p->hosts[i].cores * f->tot.seconds), pct(h->poll_cs, h->busy_cs),
			       h->energy_j / 3.6e6, h->vm_s / 3600, h->over_vm_s / 3600);
		}
	}
	if (p->npolicies > 1) {
		/* each policy against the first, placement by placement: what setting it changes */
		printf("\nagainst %s, same placement\n", label(p, 0));
		printf("%-28s %-13s %8s %12s %11s %9s %9s\n", "policy", "placement", "hosts", "energy kWh", "poll kWh",
		       "refused", "over VM-h");
		for (size_t k = 0; k < p->nfleet; k++) {
			const struct plan_fleet *f = &p->fleet[k], *b = NULL;
			for (size_t q = 0; q < p->nfleet && !b; q++)
				if (p->fleet[q].policy == 0 && p->fleet[q].place == f->place)
					b = &p->fleet[q];
			if (!b || f->policy == 0)
				continue;
			struct totals t = totals(p, f), u = totals(p, b);
			printf("%-28s %-13s %+8ld %+12.3f %+11.4f %+9lld %+9.1f\n", label(p, f->policy), place_names[f->place],
			       (long)t.used - (long)u.used, (t.energy_j - u.energy_j) / 3.6e6, (t.poll_j - u.poll_j) / 3.6e6,
			       (long long)f->tot.refused - (long long)b->tot.refused, (t.over_vm_s - u.over_vm_s) / 3600);
		}
	}
	printf("\nutil: busy host CPU over all cores; poll: halt polling's share of the busy CPU; poll kWh: the energy\n"
	       "polling's busy time adds; over: placements past a host's latency capacity (a VM type's max VMs)\n");
}

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

int plan_json(const struct plan *p, const char *path)
{
	json_t *j = json_object(), *ts = json_array(), *ss = json_array(), *fs = json_array(), *ps = json_array();
	json_object_set_new(j, "schema", json_string("kvmsim-plan/1"));
	json_object_set_new(j, "kvmsim", json_string(KVMSIM_VERSION));
	json_object_set_new(j, "platform", json_string(p->platform));
	json_object_set_new(j, "hosts", json_integer((json_int_t)p->nhosts));
	json_object_set_new(j, "target_p99_ns", json_real(p->target_ns));
	json_object_set_new(j, "days", json_real(p->days));
	json_object_set_new(j, "simulations", json_integer(p->sims));
	json_object_set_new(j, "cached", json_integer(p->cached));
	for (size_t t = 0; t < p->ntypes; t++)
		json_array_append_new(ts, json_pack("{s:s, s:s, s:f, s:f}", "name", p->types[t].name, "scenario",
						    p->types[t].path, "weight", p->types[t].weight, "vcpus",
						    p->types[t].vcpus));
	for (size_t i = 0; i < p->npolicies; i++)
		json_array_append_new(ps, json_string(label(p, i)));
	for (size_t k = 0; k < p->nsearch; k++) {
		const struct plan_search *s = &p->search[k];
		json_t *pts = json_array();
		for (int i = 0; i < s->curve.npts; i++)
			json_array_append_new(pts, json_pack("{s:i, s:f, s:f, s:f, s:f, s:f}", "vms", s->curve.n[i],
							     "busy_per_vm", s->curve.busy[i], "poll_per_vm",
							     s->curve.poll[i], "guest_per_vm", s->curve.guest[i],
							     "steal_per_vm", s->curve.steal[i], "vm_worst_p99_ns",
							     s->curve.p99[i]));
		json_t *o = json_pack("{s:s, s:s, s:i, s:i, s:b, s:i, s:i, s:o}", "policy", label(p, s->policy), "type",
				      p->types[s->type].name, "cores", s->cores, "max_vms", s->maxvms, "at_search_bound",
				      s->maxvms == s->hi, "simulations", s->sims, "cached", s->cached, "profile", pts);
		json_object_set_new(o, "p99_at_max_ns", num(s->p99_at_max_ns));
		json_array_append_new(ss, o);
	}
	for (size_t k = 0; k < p->nfleet; k++) {
		const struct plan_fleet *f = &p->fleet[k];
		struct totals t = totals(p, f);
		json_t *hs = json_array();
		for (size_t i = 0; i < p->nhosts; i++) {
			const struct fleet_host_out *h = &f->hosts[i];
			json_array_append_new(
				hs, json_pack("{s:s, s:i, s:i, s:f, s:f, s:f, s:f, s:f, s:f}", "name", p->hosts[i].name,
					      "cores", p->hosts[i].cores, "peak_vms", (int)h->peak_vms, "util",
					      pct(h->busy_cs, p->hosts[i].cores * f->tot.seconds) / 100, "poll_share",
					      pct(h->poll_cs, h->busy_cs) / 100, "energy_j", h->energy_j, "poll_energy_j",
					      h->poll_j, "vm_hours", h->vm_s / 3600, "over_vm_hours", h->over_vm_s / 3600));
		}
		json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:o}", "policy",
				      label(p, f->policy), "placement", place_names[f->place], "arrived",
				      (json_int_t)f->tot.arrived, "placed", (json_int_t)f->tot.placed, "refused",
				      (json_int_t)f->tot.refused, "violations", (json_int_t)f->tot.violations,
				      "hosts_used", (int)t.used, "util", pct(t.busy_cs, t.cap_cs) / 100, "poll_share",
				      pct(t.poll_cs, t.busy_cs) / 100, "energy_kwh", t.energy_j / 3.6e6, "poll_energy_kwh",
				      t.poll_j / 3.6e6, "over_vm_hours", t.over_vm_s / 3600, "wall_s", f->tot.wall_s,
				      "hosts", hs);
		json_array_append_new(fs, o);
	}
	json_object_set_new(j, "vm_types", ts);
	json_object_set_new(j, "policies", ps);
	json_object_set_new(j, "search", ss);
	json_object_set_new(j, "fleet", fs);
	FILE *f = cli_open_out("plan", path);
	int rc = EXIT_FAILED;
	if (f) {
		if (json_dumpf(j, f, JSON_INDENT(1)) || fputc('\n', f) == EOF)
			cli_discard_out(f);
		else
			rc = cli_close_out("plan", path, f);
	}
	json_decref(j);
	return rc;
}

int plan_plot(const char *json, const char *png)
{
	const char *py = getenv("KVMSIM_PYTHON") ? getenv("KVMSIM_PYTHON") : "/usr/bin/python3";
	const char *dir = getenv("KVMSIM_REPORTS") ? getenv("KVMSIM_REPORTS") : KVMSIM_REPORTS_DIR;
	char *script;
	if (asprintf(&script, "%s/fleet.py", dir) < 0)
		abort();
	fflush(NULL);
	pid_t pid = fork();
	if (!pid) {
		execl(py, py, "-B", script, json, png, (char *)NULL);
		fprintf(stderr, "kvmsim plan: cannot run %s: %s (KVMSIM_PYTHON)\n", py, strerror(errno));
		_exit(127);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		if (pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) != 127)
			fprintf(stderr, "kvmsim plan: %s %s failed\n", py, script);
		free(script);
		return EXIT_FAILED;
	}
	free(script);
	return 0;
}
