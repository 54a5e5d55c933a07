/* machine.c - building and running a scenario's host (see machine.h). */
#include "workloads/scenario/machine.h"
#include "workloads/scenario/pingpong_run.h"
#include "workloads/scenario/machine_ppc.h"
#include "sim/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "models/haltpoll/policies.h"
#include "models/virtio/virtqueue.h"
#include "models/host/noise.h"
#include "models/tracepoints/kvm_tp.h"
#include "models/tracepoints/trace_cmd.h"
#include "models/tracepoints/trace_dat_out.h"
#include "workloads/scenario/machine_blk.h"
#include "workloads/scenario/machine_net.h"

#define VCPU_PID_BASE 4100 /* thread ids shown in traces: vCPU threads, then host tasks */
#define TASK_PID_BASE 9100

/* ---- tracing: trace-cmd report layout, or trace.dat ------------------------------------ */

#define VHOST_PID_BASE 3900

static void tr_event(void *ctx, const struct vcpu *v, enum kvm_event ev, const char *payload)
{
	struct machine *m = ctx;
	char comm[32];
	if (v->ipi_sender)
		v = v->ipi_sender; /* an IPI's delivery runs on the sending vCPU's thread */
	int pid = v->task.pid;
	int cpu = v->task.cpu->id;
	if (ev == EV_kvm_msi_set_irq || (ev == EV_kvm_apic_accept_irq && v->in_producer)) {
		/* kvm_set_msi() runs in the device's thread (vhost), not the vCPU's; kvmsim does not
		 * schedule that thread, so it is shown on a CPU of its own after the pCPUs */
		int vm = 0;
		for (int i = 0; i < m->nvms; i++)
			if (v->index >= m->vms[i].first_vcpu)
				vm = i;
		pid = VHOST_PID_BASE + vm;
		cpu = m->host->ncpu + vm;
		snprintf(comm, sizeof(comm), "vhost-%d", VCPU_PID_BASE - 100 + vm);
	} else {
		snprintf(comm, sizeof(comm), "CPU %u/KVM", v->hp.vcpu_id);
	}
	if (m->trace_dat)
		trace_dat_out_event(m->trace_dat, comm, pid, cpu, sim_ns(sim_now(m->sim)), ev, payload);
	else
		trace_cmd_line(m->trace, comm, pid, cpu, sim_ns(sim_now(m->sim)), m->trace_ns, kvm_event_names[ev],
			       payload);
}

int machine_trace_dat_write(struct machine *m)
{
	char uname[160];
	snprintf(uname, sizeof(uname), "kvmsim %s (simulated) kernel %s %s", KVMSIM_VERSION, m->sc->kernel,
		 kvm_arch_name(m->sc->era.arch));
	return trace_dat_out_write(m->trace_dat, m->trace, uname);
}

/* ---- the warm-up -------------------------------------------------------------------------- */

/*
 * ev_warmup_end - statistics start now: every model's accounting and counters restart, while
 * what they model (poll windows, the idle governor's prediction, queues) carries on.
 * cyclictest is the guest's own program and keeps every sample it took, as the real one does.
 */
static void ev_warmup_end(struct sim *sim, void *subject, void *object)
{
	struct machine *m = subject;
	for (int i = 0; i < m->nvcpus; i++) {
		vcpu_stats_reset(&m->vcpus[i]);
		guest_stats_reset(&m->guests[i]);
		host_task_stats_reset(&m->vcpus[i].task);
	}
	host_stats_reset(m->host);
	machine_blk_stats_reset(m);
	machine_pingpong_reset(m);
	if (m->ppc)
		machine_ppc_stats_reset(m);
	machine_net_stats_reset(m);
	for (int i = 0; i < m->nloads; i++) {
		m->loads[i].bursts = m->loads[i].preemptions = 0;
		host_load_stats_reset(&m->loads[i]);
		host_task_stats_reset(&m->loads[i].task);
	}
}

/* ---- building --------------------------------------------------------------------------- */

static int setup_params(struct machine *m, const struct scenario *sc)
{
	const struct kvm_param_conf *k = &sc->kvm;
	m->param = sc->era.defaults;
	if (k->halt_poll_ns_set)
		m->param.halt_poll_ns = k->halt_poll_ns;
	if (k->halt_poll_ns_grow_set)
		m->param.halt_poll_ns_grow = k->halt_poll_ns_grow;
	if (k->halt_poll_ns_grow_start_set)
		m->param.halt_poll_ns_grow_start = k->halt_poll_ns_grow_start;
	if (k->halt_poll_ns_shrink_set)
		m->param.halt_poll_ns_shrink = k->halt_poll_ns_shrink;
	return 0;
}

const struct conf_node *machine_vm_node(const struct scenario *sc, int i)
{
	const struct conf_node *list = conf_get(sc->root, "vms");
	const struct conf_node *n = list ? list->child : NULL;
	for (int j = 0; n && j < i; j++)
		n = n->next;
	return n ? n : conf_get(sc->root, "vm");
}

const struct conf_node *machine_key_node(const struct scenario *sc, int i, const char *sect, const char *key)
{
	const struct conf_node *v = machine_vm_node(sc, i), *s = v ? conf_get(v, sect) : NULL,
			       *k = s && key ? conf_get(s, key) : NULL;
	return k ? k : s ? s : v ? v : sc->root;
}

void machine_pio_write(void *ioeventfds, uint16_t port)
{
	virtio_ioeventfd_write(ioeventfds, port);
}

void machine_irqfd(void *vector)
{
	vcpu_msi_raise(vector);
}

/* start_cyclictest - the VMs' cyclictest threads; checks that pinned vCPUs are alone on their pCPUs. */
static int start_cyclictest(struct machine *m, const struct scenario *sc, struct conf_err *err)
{
	for (int i = 0; i < m->nvms; i++)
		m->nct += (int)m->vms[i].conf->cyclictest.threads;
	if (!m->nct)
		return 0;
	m->ct = xcalloc((size_t)m->nct, sizeof(*m->ct));
	int k = 0;
	for (int i = 0; i < m->nvms; i++) {
		const struct machine_vm *vm = &m->vms[i];
		const struct cyclictest_conf *c = &vm->conf->cyclictest;
		for (int j = 0; j < (int)c->threads; j++) {
			struct vcpu *v = &m->vcpus[vm->first_vcpu + j];
			if (c->pinned) {
				int sharing = 0;
				for (int o = 0; o < m->nvcpus; o++)
					sharing += m->vcpus[o].task.cpu == v->task.cpu && &m->vcpus[o] != v;
				for (size_t t = 0; t < sc->host.ntasks; t++)
					sharing += sc->host.tasks[t].pcpu == v->task.cpu->id;
				if (sharing) {
					conf_errorf(err, conf_get(machine_vm_node(sc, i), "cyclictest"), "vm.cyclictest.pinned",
						    "%s shares pCPU %d with another vCPU or host task (give each vCPU its own "
						    "pCPU, or pinned: false)", v->name, v->task.cpu->id);
					return -1;
				}
			}
			if (cyclictest_start(&m->ct[k++], c, &m->guests[vm->first_vcpu + j], j)) {
				snprintf(err->msg, sizeof(err->msg), "%s: too many guest timers", v->name);
				return -1;
			}
		}
	}
	return 0;
}

/* machine_task_sched - a host task's policy, nice and affinity (a mask shared by the VM's threads). */
static void machine_task_sched(struct machine *m, struct host_task *t, int policy, int64_t nice, int64_t rt_priority,
			       const int64_t *cpus, size_t ncpus)
{
	t->policy = policy;
	t->rt_priority = (int)rt_priority;
	host_task_set_nice(t, (int)nice);
	if (!ncpus)
		return;
	size_t words = ((size_t)m->host->ncpu + 63) / 64;
	m->masks = xrealloc(m->masks, (size_t)(m->nmasks + 1) * sizeof(*m->masks));
	uint64_t *mask = m->masks[m->nmasks++] = xcalloc(words, sizeof(uint64_t));
	for (size_t i = 0; i < ncpus; i++)
		mask[cpus[i] / 64] |= 1ull << (cpus[i] % 64);
	t->cpus_mask = mask;
}

int machine_build(struct machine *m, struct scenario *sc, FILE *trace, struct conf_err *err)
{
	return machine_build_traced(m, sc, trace, false, err);
}

int machine_build_traced(struct machine *m, struct scenario *sc, FILE *trace, bool dat, struct conf_err *err)
{
	memset(m, 0, sizeof(*m));
	m->sc = sc;
	m->trace = trace;
	m->end = sc->duration;
	char msg[600];

	if (cost_profile_load(&m->prof, sc->cost_profile, err))
		return -1;
	if (cost_profile_override(&m->prof, conf_get(sc->root, "costs"), err))
		return -1;
	setup_params(m, sc);

	m->sim = sim_new();
	struct host_conf_costs hc = { m->prof.ps[COST_ctxsw], m->prof.ps[COST_ipi] };
	m->host = host_new(m->sim, (int)sc->host.pcpus, m->prof.idle, m->prof.nidle, (int)sc->host.max_cstate,
			   sc->host.idle_poll, sc->host.wakeup_preempt, sc->host.resched_rate, hc, sc->seed);
	m->host->idle_exit_spread = sc->host.idle_exit_spread;

	struct host_sched_conf hsc = { .kind = sc->host.scheduler, .eevdf = sc->era.eevdf, .delay_dequeue = sc->era.eevdf && sc->era.version >= KVM_VERSION_CODE(6, 12, 0),
				       .hz = (int)sc->host.hz, .balance = sc->host.balance };
	host_set_sched(m->host, &hsc);

	m->vtracer = (struct vcpu_tracer){ tr_event, m };
	if (trace) { /* the pCPUs, then a CPU for each VM's device thread when it has devices */
		bool devices = false;
		for (size_t i = 0; i < sc->nvms; i++)
			devices |= sc->vms[i].workload.type != SRC_IDLE || sc->vms[i].ndevices > 0;
		int cpus = (int)sc->host.pcpus + (devices ? (int)sc->nvms : 0);
		if (!dat) {
			trace_cmd_header(trace, cpus);
		} else if (!(m->trace_dat = trace_dat_out_new(cpus))) {
			snprintf(err->msg, sizeof(err->msg), "trace.dat: cannot make its temporary files: %s",
				 strerror(errno));
			m->trace_tmp_failed = true;
			return -1;
		}
	}

	m->nvms = (int)sc->nvms;
	m->vms = xcalloc((size_t)m->nvms, sizeof(*m->vms));
	if (sc->era.arch == KVM_ARCH_POWERPC && machine_ppc_build(m, err))
		return -1;
	for (int i = 0; i < m->nvms && !m->ppc; i++)
		m->nvcpus += (int)sc->vms[i].vcpus;
	m->vcpus = xcalloc((size_t)m->nvcpus, sizeof(*m->vcpus));
	m->guests = xcalloc((size_t)m->nvcpus, sizeof(*m->guests));

	int gi = 0;
	for (int i = 0; i < m->nvms && !m->ppc; i++) {
		const struct vm_conf *vc = &sc->vms[i];
		struct machine_vm *vm = &m->vms[i];
		vm->conf = vc;
		snprintf(vm->name, sizeof(vm->name), "%s", vc->name ? vc->name : "");
		if (!vc->name)
			snprintf(vm->name, sizeof(vm->name), "vm%d", i);
		else { /* a named vms: entry with count > 1: web0, web1, ... (names seed the random streams) */
			int same = 0, nth = 0;
			for (int k = 0; k < m->nvms; k++)
				if (sc->vms[k].name && !strcmp(sc->vms[k].name, vc->name)) {
					nth += k < i;
					same++;
				}
			if (same > 1)
				snprintf(vm->name, sizeof(vm->name), "%.20s%d", vc->name, nth);
		}
		const struct hp_policy *pol = hp_policy_find(vc->policy);
		if (!pol) {
			char list[300] = "";
			size_t len = 0;
			for (size_t j = 0; j < hp_policy_count(); j++)
				len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", j ? ", " : "",
							hp_policy_at(j)->name);
			const struct conf_node *n = machine_vm_node(sc, i);
			conf_errorf(err, conf_get(n, "policy") ? conf_get(n, "policy") : n, "vm.policy",
				    "no policy named \"%s\" (known: %s; load one with --policy-lib)", vc->policy,
				    list);
			return -1;
		}
		struct hp_param pp[64];
		size_t npp = vc->npolicy_params < 64 ? vc->npolicy_params : 64;
		for (size_t j = 0; j < npp; j++)
			pp[j] = (struct hp_param){ vc->policy_params[j].key, vc->policy_params[j].value };
		if (kvm_vm_haltpoll_init(&vm->hp, &sc->era, &m->param, pol, pp, npp, msg, sizeof(msg))) {
			const struct conf_node *n = machine_vm_node(sc, i);
			conf_errorf(err, conf_get(n, "policy_params") ? conf_get(n, "policy_params") : n,
				    "vm.policy_params", "%s", msg);
			return -1;
		}
		if (vc->halt_poll_ns_set)
			kvm_vm_enable_cap_halt_poll(&vm->hp, vc->halt_poll_ns);
		vm->first_vcpu = gi;
		vm->nvcpu = (int)vc->vcpus;
		vm->spin = (struct kvm_spin_vm){ .vcpus = xcalloc((size_t)vm->nvcpu, sizeof(struct vcpu *)),
						 .n = vm->nvcpu };
		vm->lock = (struct guest_spinlock){ .hold = vc->lock.hold, .every = vc->lock.every };
		struct vcpu_conf vcc = {
			.ple = { (uint32_t)sc->kvm_intel.ple_gap, (uint32_t)sc->kvm_intel.ple_window,
				 (uint32_t)sc->kvm_intel.ple_window_grow, (uint32_t)sc->kvm_intel.ple_window_shrink,
				 (uint32_t)sc->kvm_intel.ple_window_max },
			.apicv = vc->apicv,
			.invalid_wakeup_prob = vc->invalid_wakeups,
			.oneshot = vc->lapic_timer == 1,
			.eoi = { .mode = vc->apic, .pv_eoi = vc->pv_eoi },
			.timer = { .preemption_timer = sc->kvm_intel.preemption_timer,
				   .advance_ns = scenario_timer_advance(sc),
				   .multi = m->prof.preemption_timer_shift,
				   .tsc_khz = m->prof.tsc_khz },
		};
		for (size_t k = 0; k < vc->neoi_exit_vectors; k++)
			vcc.eoi.exit_bitmap[vc->eoi_exit_vectors[k] / 64] |= 1ull << (vc->eoi_exit_vectors[k] % 64);
		struct guest_conf gc = {
			.idle_poll = vc->idle == 1,
			.oneshot = vc->lapic_timer == 1,
			.x2apic = vc->apic == EOI_X2APIC,
			.pv_eoi = vc->pv_eoi,
			.pv_send_ipi = vc->pingpong.pv_send_ipi,
			.nohz = vc->nohz,
			.work_in_handler = vc->irq_work == 1,
			.task_prob = vc->task_prob,
			.task_work = vc->task_work,
			.haltpoll = vc->guest_haltpoll.enabled ? &vc->guest_haltpoll : NULL,
		};
		if (source_check_vcpus(&vc->workload, vm->nvcpu, err->msg, sizeof(err->msg)))
			return -1; /* an arrival for a vCPU the VM does not have would be dropped unseen */
		for (int j = 0; j < vm->nvcpu; j++, gi++) {
			struct vcpu *v = &m->vcpus[gi];
			struct guest_cpu *g = &m->guests[gi];
			int cpu = vc->npin ? (int)vc->pin[j]
				  : vc->ncpus ? (int)vc->cpus[j % (int)vc->ncpus]
					      : gi % (int)sc->host.pcpus;
			char name[48];
			snprintf(name, sizeof(name), "%s/vcpu%d", vm->name, j);
			vcpu_init(v, m->sim, &m->host->cpu[cpu], &vm->hp, (uint32_t)j, gi, name,
				  VCPU_PID_BASE + gi, &m->prof, &vcc, trace ? &m->vtracer : NULL, sc->seed);
			machine_task_sched(m, &v->task, vc->sched_policy, vc->nice, vc->rt_priority, vc->cpus, vc->ncpus);
			guest_init(g, m->sim, name, &m->prof, v->cost_rng, &gc, vcpu_guest_hw(v));
			vcpu_attach_guest(v, g, &g->shared);
			v->hp.msr_kvm_poll_control = vc->msr_poll_control;
			if (vc->guest_haltpoll.enabled && sc->era.no_poll)
				v->hp.msr_kvm_poll_control = 0; /* arch_haltpoll_enable(): the host need not poll */
			char rn[80];
			snprintf(rn, sizeof(rn), "%s/irq0", name);
			if (vc->workload.type != SRC_IDLE &&
			    (vcpu_add_msi(v, (uint8_t)vc->vector, &vc->workload, sc->seed, rn, msg, sizeof(msg)) ||
			     guest_add_driver(g, (uint8_t)vc->vector, vc->kick_prob, sc->seed, rn, msg, sizeof(msg)))) {
				snprintf(err->msg, sizeof(err->msg), "%s", msg);
				return -1;
			}
			for (size_t k = 0; k < vc->ndevices; k++) {
				const struct device_conf *dc = &vc->devices[k];
				snprintf(rn, sizeof(rn), "%s/irq%zu", name, k + 1);
				if (dc->irq.type != SRC_IDLE &&
				    (vcpu_add_msi(v, (uint8_t)dc->vector, &dc->irq, sc->seed, rn, msg, sizeof(msg)) ||
				     guest_add_driver(g, (uint8_t)dc->vector, dc->kick_prob, sc->seed, rn, msg, sizeof(msg)))) {
					snprintf(err->msg, sizeof(err->msg), "%s", msg);
					return -1;
				}
			}
			if (vc->tick_hz > 0)
				guest_tick_start(g, (sim_time_t)((double)SIM_S / vc->tick_hz + 0.5));
			vm->spin.vcpus[j] = v;
			v->spin_vm = &vm->spin;
			if (vm->lock.hold > 0)
				guest_lock_start(g, &vm->lock);
		}
	}

	m->nloads = (int)sc->host.ntasks;
	m->loads = xcalloc((size_t)m->nloads, sizeof(*m->loads));
	for (int i = 0; i < m->nloads; i++) {
		const struct host_task_conf *tc = &sc->host.tasks[i];
		char stream[64]; /* named by index too, so two tasks with one name differ */
		snprintf(stream, sizeof(stream), "host/task%d/%s", i, tc->name);
		if (host_load_init(&m->loads[i], m->sim, &m->host->cpu[tc->pcpu], tc->name, TASK_PID_BASE + i,
				   &tc->load, &tc->preempt_delay, sc->seed, stream, msg, sizeof(msg))) {
			snprintf(err->msg, sizeof(err->msg), "%s", msg);
			return -1;
		}
		machine_task_sched(m, &m->loads[i].task, tc->sched_policy, tc->nice, tc->rt_priority, tc->cpus, tc->ncpus);
	}

	if (start_cyclictest(m, sc, err) || machine_blk_build(m, err) || machine_pingpong_build(m, err) ||
	    machine_net_build(m, err))
		return -1;
	host_start(m->host);
	host_noise_start(m->host, &sc->host.noise);
	for (int i = 0; i < m->nvcpus; i++)
		vcpu_start(&m->vcpus[i]);
	for (int i = 0; i < m->nloads; i++)
		host_load_start(&m->loads[i]);
	m->warmup = scenario_warmup(sc);
	if (m->warmup > 0)
		sim_at(m->sim, m->warmup, ev_warmup_end, m, NULL);
	return 0;
}

uint64_t machine_run_until(struct machine *m, sim_time_t t)
{
	return sim_run_until(m->sim, t < m->end ? t : m->end);
}

void machine_finish(struct machine *m)
{
	for (int i = 0; i < m->nvcpus; i++) {
		vcpu_finish(&m->vcpus[i]);
		guest_lock_finish(&m->guests[i]);
	}
	if (m->ppc)
		machine_ppc_finish(m);
	host_finish(m->host);
}

void machine_free(struct machine *m)
{
	for (int i = 0; i < m->nvcpus; i++) {
		vcpu_free(&m->vcpus[i]);
		guest_free(&m->guests[i]);
	}
	machine_ppc_free(m);
	for (int i = 0; i < m->nvms; i++) {
		kvm_vm_haltpoll_fini(&m->vms[i].hp);
		free(m->vms[i].spin.vcpus);
	}
	for (int i = 0; i < m->nloads; i++)
		host_load_free(&m->loads[i]);
	machine_blk_free(m);
	machine_net_free(m);
	for (int i = 0; i < m->nct; i++)
		cyclictest_free(&m->ct[i]);
	machine_pingpong_free(m);
	free(m->ct);
	free(m->vcpus);
	free(m->guests);
	free(m->vms);
	free(m->loads);
	for (int i = 0; i < m->nmasks; i++)
		free(m->masks[i]);
	free(m->masks);
	host_free(m->host);
	sim_free(m->sim);
	cost_profile_free(&m->prof);
	trace_dat_out_free(m->trace_dat);
	memset(m, 0, sizeof(*m));
}
