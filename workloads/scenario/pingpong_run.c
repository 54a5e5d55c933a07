/* pingpong_run.c - the ping-pong loops of a machine's VMs (see pingpong_run.h). */
#include "workloads/scenario/pingpong_run.h"

#include <stdlib.h>

#include "models/vcpu/ipi.h"
#include "sim/out_json.h"
#include "sim/xalloc.h"
#include "workloads/scenario/machine.h"

int machine_pingpong_build(struct machine *m, struct conf_err *err)
{
	m->pp = xcalloc((size_t)m->nvms, sizeof(*m->pp));
	m->pp_vm = xcalloc((size_t)m->nvms, sizeof(int));
	for (int i = 0; i < m->nvms; i++) {
		const struct machine_vm *vm = &m->vms[i];
		const struct pingpong_conf *c = &vm->conf->pingpong;
		if (c->mode == PINGPONG_NONE)
			continue;
		int a = vm->first_vcpu + (int)c->from, b = vm->first_vcpu + (int)c->to;
		struct vcpu *va = &m->vcpus[a], *vb = &m->vcpus[b];
		if (!kvm_ipi_vector(va, RESCHEDULE_VECTOR) || !kvm_ipi_vector(vb, RESCHEDULE_VECTOR) ||
		    !kvm_ipi_vector(va, CALL_FUNCTION_SINGLE_VECTOR) || !kvm_ipi_vector(vb, CALL_FUNCTION_SINGLE_VECTOR)) {
			snprintf(err->msg, sizeof(err->msg), "%s: too many interrupt sources for the ping-pong's IPIs",
				 vm->name);
			return -1;
		}
		if (pingpong_start(&m->pp[m->npp], c, &m->guests[a], &m->guests[b], va->hp.vcpu_id, vb->hp.vcpu_id,
				   m->sc->seed, vm->name, err->msg, sizeof(err->msg)))
			return -1;
		m->pp_vm[m->npp++] = i;
	}
	return 0;
}

void machine_pingpong_reset(struct machine *m)
{
	for (int i = 0; i < m->npp; i++)
		pingpong_stats_reset(&m->pp[i]);
}

void machine_pingpong_free(struct machine *m)
{
	for (int i = 0; i < m->npp; i++)
		pingpong_free(&m->pp[i]);
	free(m->pp);
	free(m->pp_vm);
}

/* cpu_ps - the two vCPUs' time: on a pCPU (guest, kvm, polling) and in guest mode. */
static void cpu_ps(const struct machine *m, const struct pingpong *p, sim_time_t *host, sim_time_t *guest)
{
	*host = *guest = 0;
	for (int k = 0; k < m->nvcpus; k++) {
		if (&m->guests[k] != p->g[0] && &m->guests[k] != p->g[1])
			continue;
		const sim_time_t *a = m->vcpus[k].acct_ps;
		*guest += a[VACCT_GUEST] + a[VACCT_GUEST_POLL];
		*host += a[VACCT_GUEST] + a[VACCT_GUEST_POLL] + a[VACCT_KVM] + a[VACCT_POLL_OK] + a[VACCT_POLL_FAIL];
	}
}

void report_pingpong_text(FILE *f, const struct machine *m)
{
	if (!m->npp)
		return;
	double span = (double)(m->sc->duration - m->warmup) / (double)SIM_S;
	fprintf(f, "\n%-8s %-6s %10s %10s %9s %9s %9s %9s %9s %7s %7s\n", "ping-pong", "", "", "", "round trip (us)",
		"", "", "", "", "CPU (%)", "");
	fprintf(f, "%-8s %-6s %10s %10s %9s %9s %9s %9s %9s %7s %7s\n", "VM", "mode", "trips", "trans/s", "mean", "p50",
		"p90", "p99", "max", "host", "guest");
	for (int i = 0; i < m->npp; i++) {
		const struct pingpong *p = &m->pp[i];
		sim_time_t host, guest;
		cpu_ps(m, p, &host, &guest);
		char lat[5][16]; /* no round trip: no latency to show, not 0 */
		double q[5] = { p->round_trips ? (double)p->rtt_sum / (double)p->round_trips / (double)SIM_US : 0,
				sim_hist_quantile(&p->rtt, 0.5) / 1e3, sim_hist_quantile(&p->rtt, 0.9) / 1e3,
				sim_hist_quantile(&p->rtt, 0.99) / 1e3, (p->rtt.count ? p->rtt.max : 0) / 1e3 };
		for (int k = 0; k < 5; k++)
			snprintf(lat[k], sizeof(lat[k]), p->rtt.count ? "%.2f" : "-", q[k]);
		fprintf(f, "%-8s %-6s %10llu %10.0f %9s %9s %9s %9s %9s %7.2f %7.2f\n", m->vms[m->pp_vm[i]].name,
			pingpong_mode_names[p->conf->mode], (unsigned long long)p->round_trips,
			span > 0 ? (double)p->round_trips / span : 0, lat[0], lat[1], lat[2], lat[3], lat[4],
			span > 0 ? 100.0 * (double)host / (span * SIM_S) : 0,
			span > 0 ? 100.0 * (double)guest / (span * SIM_S) : 0);
	}
	fprintf(f, "(CPU: both vCPUs' threads, %% of one pCPU; host = on a pCPU, guest = in guest mode)\n");
}

void report_pingpong_json(json_t *root, const struct machine *m)
{
	if (!m->npp)
		return;
	double span = (double)(m->sc->duration - m->warmup) / (double)SIM_S;
	json_t *arr = json_array();
	for (int i = 0; i < m->npp; i++) {
		const struct pingpong *p = &m->pp[i];
		sim_time_t host, guest;
		cpu_ps(m, p, &host, &guest);
		json_t *o = json_object();
		json_object_set_new(o, "vm", json_string(m->vms[m->pp_vm[i]].name));
		json_object_set_new(o, "mode", json_string(pingpong_mode_names[p->conf->mode]));
		json_object_set_new(o, "from", json_string(p->g[0]->name));
		json_object_set_new(o, "to", json_string(p->g[1]->name));
		json_object_set_new(o, "round_trips", json_integer((json_int_t)p->round_trips));
		json_object_set_new(o, "transactions_per_s", json_real(span > 0 ? (double)p->round_trips / span : 0));
		json_object_set_new(o, "rtt_sum_ps", json_integer((json_int_t)p->rtt_sum));
		json_object_set_new(o, "rtt_mean_ns",
				    json_real(p->round_trips ? (double)p->rtt_sum / (double)p->round_trips / SIM_NS : 0));
		json_object_set_new(o, "rtt", sim_hist_json(&p->rtt));
		json_object_set_new(o, "ipis", json_integer((json_int_t)p->ipis));
		json_object_set_new(o, "polling_wakes", json_integer((json_int_t)p->polling_wakes));
		json_object_set_new(o, "cpu_ps", json_pack("{s:I, s:I}", "host", (json_int_t)host, "guest", (json_int_t)guest));
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "pingpong", arr);
}
