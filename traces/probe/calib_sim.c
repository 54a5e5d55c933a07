/*
 * calib_sim.c - one simulation of a probe (calib.h, calib_simulate): its arrivals, the
 * other tasks traced beside it and the costs tried, written as a scenario and a cost
 * profile, run, and read back as the figures a probe reports.
 */
#include "traces/probe/calib.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/costs/costs.h"
#include "workloads/scenario/machine.h"
#include "workloads/scenario/report.h"

/* calib_cycles_of - a base profile's cost in cycles at tsc_khz */
double calib_cycles_of(const struct cost_profile *p, int id, uint64_t tsc_khz)
{
	const struct cfg_cost *c = &p->cost[id];
	return c->is_time ? (double)c->time / 1e9 * (double)tsc_khz : (double)c->cycles;
}

int calib_simulate(const struct calib_target *t, const char *base, const double *x, const struct calib_fit *shape,
		   struct calib_figs *out, char *why, size_t len)
{
	struct cost_profile p = { 0 };
	struct conf_err err;
	if (cost_profile_load(&p, base, &err))
		return calib_whyf(why, len, "base profile %s: %s", base, err.msg);
	char prof[] = "/tmp/kvmsim-calib-XXXXXX.yaml", scen[] = "/tmp/kvmsim-calib-XXXXXX.yaml";
	int pfd = mkstemps(prof, 5), sfd = mkstemps(scen, 5);
	FILE *pf = pfd >= 0 ? fdopen(pfd, "w") : NULL, *sf = sfd >= 0 ? fdopen(sfd, "w") : NULL;
	int rc = -1;
	if (!pf || !sf) {
		calib_whyf(why, len, "a temporary file: %s%s", strerror(errno), "");
		goto out;
	}
	/* the host's speed during this probe: every cost in cycles scales with the clock they are
	 * converted at, the guest's work with it (calib.h, calib_speed) */
	double speed = calib_speed(t, shape);
	uint64_t khz = (uint64_t)llround((double)(t->tsc_khz ? t->tsc_khz : (uint64_t)p.tsc_khz) / speed);
	calib_profile_yaml(pf, &p, "calib-trial", NULL, khz, x, NULL, NULL, shape, shape ? &shape->growth : &t->growth);
	fprintf(sf,
		"name: calib\nduration: %lldns\nwarmup: 0\nseed: 1\nkernel: \"%s\"\narch: x86\ncost_profile: %s\n"
		"kvm: {halt_poll_ns: %u, halt_poll_ns_grow: %u, halt_poll_ns_grow_start: %u, halt_poll_ns_shrink: %u}\n"
		"host:\n  pcpus: 1\n  idle_exit_spread: 0 # the fit takes the idle exit as one value\n"
		,
		(long long)t->dur_ns, t->kernel, prof, t->module_param[0], t->module_param[1], t->module_param[2],
		t->module_param[3]);
	if (t->bgfile[0]) {
		fprintf(sf, "  tasks: [{name: background, pcpu: 0, load: {type: arrivals, file: %s}", t->bgfile);
		/* the model's own way from the MSI to the preemption: its delivery and the reschedule IPI */
		double path = (x[CP_IRQ_DELIVER] + calib_cycles_of(&p, COST_ipi, khz)) * 1e6 / (double)khz;
		double q[CALIB_MSI_NQ];
		int nq = calib_preempt_quantiles(t, path, q);
		if (nq) {
			fprintf(sf, ", preempt_delay: {dist: empirical, quantiles: [");
			for (int k = 0; k < nq; k++)
				fprintf(sf, "%s%lldns", k ? ", " : "", llround(q[k]));
			fprintf(sf, "]}");
		} else if (t->bg_nmsi < CALIB_MSI_MIN && llround(t->bg_preempt_ns) > 0) { /* not measured */
			fprintf(sf, ", preempt_delay: {dist: exponential, mean: %lldns}", llround(t->bg_preempt_ns));
		}
		fprintf(sf, "}]\n");
	}
	fprintf(sf, "vm:\n  vcpus: 1\n  apicv: false\n  apic: x2apic\n");
	if (t->halt_poll_ns >= 0)
		fprintf(sf, "  halt_poll_ns: %lld\n", (long long)t->halt_poll_ns);
	fprintf(sf, "  workload: {type: file, file: %s, loop: false, work: %lldns}\n", t->gapfile,
		(long long)llround(x[CP_GUEST_WORK] * speed));
	if (t->bgfile[0]) /* the other tasks traced on the vCPU's CPU, as the probe's vCPU thread met them */
		fprintf(sf, "  sched_policy: %s\n", t->fifo ? "fifo" : "other");
	bool bad = ferror(pf) || ferror(sf);
	bad |= fclose(pf) != 0;
	bad |= fclose(sf) != 0;
	pf = sf = NULL;
	if (bad) {
		calib_whyf(why, len, "writing a temporary file: %s%s", strerror(errno), "");
		goto out;
	}
	struct scenario sc;
	if (scenario_load(&sc, scen, NULL, 0, &err)) {
		calib_whyf(why, len, "simulated scenario: %s%s", err.msg, "");
		goto out;
	}
	struct machine m;
	if (machine_build(&m, &sc, NULL, &err)) {
		calib_whyf(why, len, "simulated machine: %s%s", err.msg, "");
		scenario_free(&sc);
		goto out;
	}
	struct run_info ri = { machine_run_until(&m, sc.duration), 0 };
	machine_finish(&m);
	json_t *j = report_json(&m, &ri);
	rc = calib_figs_from_json(j, out, why, len);
	json_decref(j);
	machine_free(&m);
	scenario_free(&sc);
out:
	if (pf)
		fclose(pf);
	if (sf)
		fclose(sf);
	unlink(prof);
	unlink(scen);
	cost_profile_free(&p);
	return rc;
}
