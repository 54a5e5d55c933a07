/* plan_fleet.c - `kvmsim plan`'s fleet part: host classes, the VMs' events, the
 * fleet simulations per policy and placement in child processes (see plan.h). */
#include "fleet/events.h"
#include "fleet/plan.h"
#include "sim/cli.h"
#include "sim/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define CMD "plan"

/* classes - hosts grouped by core count (a profile is per core count) */
void plan_classes(struct plan *p)
{
	p->host_class = xcalloc(p->nhosts, sizeof(int));
	p->class_cores = xcalloc(p->nhosts, sizeof(int));
	for (size_t i = 0; i < p->nhosts; i++) {
		size_t c = 0;
		while (c < p->nclasses && p->class_cores[c] != p->hosts[i].cores)
			c++;
		if (c == p->nclasses)
			p->class_cores[p->nclasses++] = p->hosts[i].cores;
		p->host_class[i] = (int)c;
	}
}

int plan_fleet_run(struct plan *p, const struct plan_args *a)
{
	sim_time_t end = (sim_time_t)llround(a->days * 86400) * SIM_S;
	struct fleet_event *ev;
	size_t nev;
	uint32_t nvm;
	char why[512];
	if (a->trace) {
		const char **names = xcalloc(p->ntypes, sizeof(char *));
		for (size_t t = 0; t < p->ntypes; t++)
			names[t] = p->types[t].name;
		int rc = fleet_events_trace(a->trace, p->ntypes, names, end, &ev, &nev, &nvm, why, sizeof(why));
		free(names);
		if (rc)
			return cli_error(CMD, "%s", why), rc;
	} else {
		double *w = xcalloc(p->ntypes, sizeof(double));
		for (size_t t = 0; t < p->ntypes; t++)
			w[t] = p->types[t].weight;
		long vms = a->vms >= 0 ? a->vms : (long)p->nhosts * 4;
		struct fleet_gen g = { .seed = a->seed, .initial = (uint32_t)vms, .lifetime = a->lifetime, .end = end,
				       .ntypes = p->ntypes, .weights = w };
		g.rate = a->rate_h > 0 ? a->rate_h / 3600 : (double)vms / ((double)a->lifetime / 1e12);
		fleet_events_gen(&g, &ev, &nev, &nvm);
		free(w);
	}
	p->nvm = nvm;
	p->nev = nev;
	double *vcpus = xcalloc(p->ntypes, sizeof(double));
	for (size_t t = 0; t < p->ntypes; t++)
		vcpus[t] = p->types[t].vcpus;
	size_t per = p->nclasses * p->ntypes;
	struct fleet_curve *curve = xcalloc(per, sizeof(*curve));
	int *maxvms = xcalloc(per, sizeof(int));
	/* every (policy, placement) pair, up to --jobs children at once, finished in order */
	size_t ntask = 0, *tp = xcalloc(p->npolicies * PLACE_N, sizeof(size_t));
	int *tl = xcalloc(p->npolicies * PLACE_N, sizeof(int));
	for (size_t pol = 0; pol < p->npolicies; pol++)
		for (int pl = 0; pl < PLACE_N; pl++)
			if (a->place_mask & (1 << pl)) {
				tp[ntask] = pol;
				tl[ntask++] = pl;
			}
	p->fleet = xcalloc(ntask ? ntask : 1, sizeof(*p->fleet));
	struct fleet_setup *setup = xcalloc(ntask ? ntask : 1, sizeof(*setup));
	struct fleet_job *job = xcalloc(ntask ? ntask : 1, sizeof(*job));
	int rc = 0;
	size_t started = 0;
	for (size_t k = 0; k < ntask && !rc; k++) {
		for (; started < ntask && started < k + a->jobs && !rc; started++) {
			size_t pol = tp[started];
			for (size_t q = 0; q < per; q++) {
				curve[q] = p->search[pol * per + q].curve;
				maxvms[q] = p->search[pol * per + q].maxvms;
			}
			setup[started] = (struct fleet_setup){ .platform = p->platform, .nhosts = p->nhosts,
							       .hosts = p->hosts, .host_class = p->host_class,
							       .ntypes = p->ntypes, .vcpus = vcpus, .curve = curve,
							       .maxvms = maxvms, .ev = ev, .nev = nev, .nvm = nvm,
							       .end = end, .overcommit = a->overcommit,
							       .place = (enum place_policy)tl[started],
							       .progress = a->progress,
							       .label = p->policies[pol].label[0] ? p->policies[pol].label
												  : "(scenario)" };
			if (a->progress)
				fprintf(stderr, "kvmsim plan: fleet of %zu hosts, %zu events, %s, %s\n", p->nhosts, nev,
					p->policies[pol].label[0] ? p->policies[pol].label : "(scenario)",
					place_names[tl[started]]);
			if ((rc = fleet_start(&setup[started], &job[started], why, sizeof(why))))
				fprintf(stderr, "kvmsim plan: fleet simulation: %s\n", why);
		}
		if (rc)
			break;
		struct plan_fleet *f = &p->fleet[k];
		f->policy = tp[k];
		f->place = (enum place_policy)tl[k];
		f->hosts = xcalloc(p->nhosts, sizeof(*f->hosts));
		p->nfleet++;
		if ((rc = fleet_finish(&setup[k], &job[k], f->hosts, &f->tot, why, sizeof(why))))
			fprintf(stderr, "kvmsim plan: fleet simulation: %s\n", why);
	}
	/* after a failure: wait for the children still running */
	for (size_t k = p->nfleet; k < started; k++) {
		struct fleet_out o;
		struct fleet_host_out *h = xcalloc(p->nhosts, sizeof(*h));
		fleet_finish(&setup[k], &job[k], h, &o, why, sizeof(why));
		free(h);
	}
	free(tp);
	free(tl);
	free(setup);
	free(job);
	free(curve);
	free(maxvms);
	free(vcpus);
	free(ev);
	return rc;
}
