/*
 * calib_profile.c - a cost profile from calibrate's parameters (calib.h): the base
 * profile's costs with the fitted ones in place, each with its source, and this host's
 * idle states with the measured distributions of their exit and entry.
 */
#include "traces/probe/calib.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/costs/costs.h"

/* yaml_str - a double-quoted YAML scalar. */
static void yaml_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s == '\n' ? ' ' : *s, f);
	}
	fputc('"', f);
}

/* calib_profile_yaml - base profile p with the parameters x; fit (may be NULL) says how they were found. */
void calib_profile_yaml(FILE *f, const struct cost_profile *p, const char *name, const char *desc, uint64_t tsc_khz,
			 const double *x, const struct calib_fit *fit, const char *trained, const struct calib_fit *shape,
			 const struct calib_growth *growth)
{
	char src[1024];
	fprintf(f, "name: %s\ndescription: ", name);
	yaml_str(f, desc ? desc : "this host (kvmsim calibrate): costs fitted to kvmsim probe results, the rest from the base profile");
	fprintf(f, "\ntsc: %llukHz\npreemption_timer_shift: %u\ncosts:\n", (unsigned long long)tsc_khz,
		p->preemption_timer_shift);
	for (int i = 0; i < COST_N; i++) {
		int par = i == COST_vmexit || i == COST_vmentry		 ? CP_EXIT_ENTRY
			  : i == COST_ctxsw || i == COST_block_prepare ? CP_WAKEUP
			  : i == COST_poll_iter && !(fit && fit->held_poll_iter) ? CP_POLL_ITER
			  : i == COST_irq_deliver			? CP_IRQ_DELIVER
								: -1;
		const struct cfg_cost *c = &p->cost[i];
		/* a sleep's cost is mostly its wake-up: block_prepare keeps the base profile's value */
		double prep = p->cost[COST_block_prepare].is_time ? 0 : (double)p->cost[COST_block_prepare].cycles;
		if (par == CP_WAKEUP && prep > x[par] / 2)
			prep = x[par] / 2;
		fprintf(f, "  %s:\n", cost_names[i]);
		if (par >= 0) {
			double v = par == CP_EXIT_ENTRY ? x[par] / 2
				 : par == CP_WAKEUP	 ? (i == COST_block_prepare ? prep : x[par] - prep)
							 : x[par];
			if (i == COST_vmentry && shape && shape->wake_nq) {
				/* the polled wake-up's measured spread around the fitted entry, in cycles */
				double prev = 1;
				fprintf(f, "    quantiles: [");
				for (int k = 0; k < shape->wake_nq; k++) {
					prev = fmax(prev, v + shape->wake_dev_ns[k] * (double)tsc_khz / 1e6);
					fprintf(f, "%s%lld", k ? ", " : "", (long long)llround(prev));
				}
				fprintf(f, "]\n");
			} else
				fprintf(f, "    cycles: %lld\n", (long long)llround(v));
			if (fit)
				snprintf(src, sizeof(src),
					 "fitted to %s: %s = %.0f +- %.0f cycles (1 sigma)%s; fit residual rms %.3f", trained,
					 calib_param_names[par], x[par], fit->sd[par],
					 par == CP_EXIT_ENTRY
						 ? i == COST_vmentry && shape && shape->wake_nq
							   ? ", split evenly between vmexit and vmentry; vmentry spread as the "
							     "wake-ups of the probes in which every wake-up polled successfully "
							     "(p5 to p95 around their median)"
							   : ", split evenly between vmexit and vmentry"
					 : par == CP_WAKEUP
						 ? ", block_prepare keeping the base profile's value (kvm_vcpu_block()'s "
						   "bookkeeping: replayed traces of this host show a wake source 0.1 to 1 us "
						   "after a poll window still ending in a sleep) and ctxsw the rest"
						 : "",
					 fit->rms);
			else
				snprintf(src, sizeof(src), "trial value of kvmsim calibrate");
		} else {
			if (c->dist == CFG_COST_EMPIRICAL) {
				fprintf(f, "    quantiles: [");
				for (size_t q = 0; q < c->nquantiles; q++)
					if (c->is_time)
						fprintf(f, "%s%lldps", q ? ", " : "", (long long)c->quantiles[q]);
					else
						fprintf(f, "%s%lld", q ? ", " : "", (long long)c->quantiles[q]);
				fprintf(f, "]\n");
			} else if (c->is_time)
				fprintf(f, "    time: %lldns\n", (long long)(c->time / 1000));
			else
				fprintf(f, "    cycles: %lld\n", (long long)c->cycles);
			if (c->cv > 0 && c->dist != CFG_COST_EMPIRICAL)
				fprintf(f, "    cv: %g\n", c->cv);
			if (c->dist == CFG_COST_LOGNORMAL)
				fprintf(f, "    dist: lognormal\n");
			snprintf(src, sizeof(src), "not fitted: the %s profile's value (%s)", p->name,
				 c->source ? c->source : "no source");
		}
		fprintf(f, "    source: ");
		yaml_str(f, src);
		fputc('\n', f);
	}
	fprintf(f, "idle_states:\n");
	fprintf(f, "  # this host's cpuidle: POLL, then the guest haltpoll driver's HLT (an exit to the\n"
		   "  # hypervisor below); its exit latency is idle_exit%s, and a wake-up within\n"
		   "  # idle_entry of going idle (the CPU not yet halted below) takes none%s\n",
		fit ? ", fitted" : "", !fit ? "" : fit->entry_nq ? " (measured)" : " (fitted)");
	fprintf(f, "  - {name: POLL, exit_latency: 0us, target_residency: 0us, power: 6.0, polling: true}\n");
	if (shape && shape->exit_nq)
		fprintf(f, "  # exit_latency_dist: measured, the wake-up spread of %d probe(s) in which every halt\n"
			   "  # slept past idle_entry (%s): their wake-latency quantiles less\n"
			   "  # their median (p5 to p95; held beyond), averaged, around the fitted idle_exit\n",
			shape->exit_probes, shape->exit_from);
	if (shape && shape->entry_nq)
		fprintf(f, "  # entry_latency_dist: measured (%s), entry_latency its median\n",
			shape->entry_from[0] ? shape->entry_from : "--idle-entry");
	if (fit && growth && growth->ns > 0)
		fprintf(f, "  # exit_growth: measured (%s), not fitted: an exit after a stay t\n"
			   "  # takes exit_growth x (1 - e^(-t / exit_growth_tau)) more\n",
			fit->growth_from[0] ? fit->growth_from : "--idle-growth");
	fprintf(f, "  - {name: haltpoll, exit_latency: %lldns, entry_latency: %lldns, target_residency: 1us, power: 2.5",
		(long long)llround(x[CP_IDLE_EXIT]), (long long)llround(x[CP_IDLE_ENTRY]));
	calib_exit_yaml(f, shape);
	calib_entry_yaml(f, shape);
	if (growth && growth->ns > 0)
		fprintf(f, ", exit_growth: %lldns, exit_growth_tau: %lldns", (long long)llround(growth->ns),
			(long long)llround(growth->tau_ns));
	fprintf(f, "}\n");
}

int calib_write_profile(FILE *f, const char *base, const char *name, const char *desc, uint64_t tsc_khz,
			const struct calib_fit *fit, const struct calib_target *t, int n, char *why, size_t len)
{
	struct cost_profile p = { 0 };
	struct conf_err err;
	if (cost_profile_load(&p, base, &err)) {
		snprintf(why, len, "base profile %s: %s", base, err.msg);
		return -1;
	}
	char trained[1024] = "kvmsim probe on this host (";
	for (int i = 0; i < n; i++)
		snprintf(trained + strlen(trained), sizeof(trained) - strlen(trained), "%s%s", i ? ", " : "", t[i].label);
	snprintf(trained + strlen(trained), sizeof(trained) - strlen(trained), ")");
	fprintf(f, "# Written by kvmsim calibrate: %d probe results, %s after %d iterations.\n", n,
		fit->converged ? "converged" : "NOT converged", fit->iters);
	fprintf(f, "# The probe guest's handler work (guest_work) fitted to %.0f +- %.0f ns; it is a property\n"
		   "# of the probe's guest, not of a path, so it is not a cost below.\n",
		fit->x[CP_GUEST_WORK], fit->sd[CP_GUEST_WORK]);
	if (fit->entry_nq)
		fprintf(f, "# The idle state's exit latency (idle_exit) fitted to %.0f +- %.0f ns; its entry latency\n"
			   "# (idle_entry) measured, not fitted: %d quantiles given, median %.0f ns.\n",
			fit->x[CP_IDLE_EXIT], fit->sd[CP_IDLE_EXIT], fit->entry_nq, fit->x[CP_IDLE_ENTRY]);
	else
		fprintf(f, "# The idle state's exit latency (idle_exit) fitted to %.0f +- %.0f ns, its entry latency\n"
			   "# (idle_entry) to %.0f +- %.0f ns.\n",
			fit->x[CP_IDLE_EXIT], fit->sd[CP_IDLE_EXIT], fit->x[CP_IDLE_ENTRY], fit->sd[CP_IDLE_ENTRY]);
	if (fit->speed_ref_ns > 0)
		fprintf(f, "# The costs are this host's at the speed at which the probe guest's EOI write (an exit\n"
			   "# to KVM and back, on its own clock) took %.0f ns on average, the training probes' median; each\n"
			   "# probe was simulated at its own speed (its costs scaled by %.2f to %.2f): on a nested host\n"
			   "# the CPU's speed moves from one probe to the next.\n",
			fit->speed_ref_ns, fit->speed_lo, fit->speed_hi);
	calib_profile_yaml(f, &p, name, desc, tsc_khz, fit->x, fit, trained, fit, &fit->growth);
	cost_profile_free(&p);
	return 0;
}
