/*
 * machine.h - one simulated host built from a scenario: its pCPUs, its VMs
 * with their vCPUs and interrupt sources, other host tasks, the kvm module
 * parameters, and the event engine that runs them. Reports and traces read
 * the machine after (or while) it runs.
 */
#ifndef KVMSIM_SCENARIO_MACHINE_H
#define KVMSIM_SCENARIO_MACHINE_H

#include <stdio.h>

#include "models/costs/costs.h"
#include "models/haltpoll/kvm_halt.h"
#include "models/host/host.h"
#include "models/tracepoints/trace_dat_out.h"
#include "workloads/scenario/scenario.h"
#include "models/guest/guest.h"
#include "models/vcpu/vcpu.h"
#include "workloads/cyclictest.h"
#include "workloads/host_load.h"
#include "workloads/pingpong.h"

struct machine_vm {
	struct kvm_vm_haltpoll hp;
	const struct vm_conf *conf;
	char name[32];
	int first_vcpu, nvcpu;
	struct kvm_spin_vm spin;     /* its vCPUs, for kvm_vcpu_on_spin() */
	struct guest_spinlock lock;  /* vm.lock */
};

struct machine {
	struct scenario *sc;
	struct sim *sim;
	struct kvm_module_params param;
	struct cost_profile prof;
	struct host *host;
	struct machine_vm *vms;
	int nvms;
	struct vcpu *vcpus;
	struct guest_cpu *guests; /* the guest on each vCPU, in the same order */
	int nvcpus;
	struct host_load *loads;
	int nloads;
	/* device threads (an IOThread, a vhost worker): host tasks for the scheduler's table */
	struct host_task *dev_task[16];
	const char *dev_task_name[16];
	int ndev_tasks;
	FILE *trace;   /* where the trace goes, or NULL */
	bool trace_ns; /* text: timestamps in ns (trace-cmd report -t), else us; set after machine_build */
	struct trace_dat_out *trace_dat; /* the trace as trace.dat, written at the end; NULL: text */
	bool trace_tmp_failed;           /* machine_build_traced failed making the trace.dat's temporary files */
	struct vcpu_tracer vtracer;
	sim_time_t end;
	sim_time_t warmup; /* statistics cover [warmup, end] */
	struct cyclictest_thread *ct; /* every VM's cyclictest threads, in VM order */
	int nct;
	struct machine_blk **blk; /* per VM its virtio-blk disk and fio (machine_blk.h), or NULL */
	struct pingpong *pp; /* the VMs' ping-pong loops (pingpong_run.h), of VMs pp_vm[] */
	int *pp_vm, npp;
	struct machine_net **net; /* per VM its virtio-net device and TCP_RR end (machine_net.h), or NULL */
	uint64_t **masks; /* host tasks' affinity masks */
	int nmasks;
	struct machine_ppc *ppc; /* arch powerpc: the vcores (machine_ppc.h), and no vCPUs */
};

/* machine_build - everything the scenario describes, ready at time 0; -1 with a message.
 * trace, if not NULL, receives the kvm events in `trace-cmd report` layout. */
int machine_build(struct machine *m, struct scenario *sc, FILE *trace, struct conf_err *err);
/* machine_build_traced - machine_build; with dat, the events are kept for a trace.dat
 * (trace_dat_out.h), which machine_trace_dat_write writes to trace once the run is over. */
int machine_build_traced(struct machine *m, struct scenario *sc, FILE *trace, bool dat, struct conf_err *err);
/* machine_trace_dat_write - the trace.dat of the run so far; 0, or -1 with errno (see trace_dat_out_write). */
int machine_trace_dat_write(struct machine *m);
/* machine_run_until - advance to t (at most the scenario's end); returns events fired. */
uint64_t machine_run_until(struct machine *m, sim_time_t t);
/* machine_finish - close every account at the end of the run. */
void machine_finish(struct machine *m);
void machine_free(struct machine *m);

/* machine_vm_node - VM i's description in the scenario file (its vms: entry, else vm:), for messages. */
const struct conf_node *machine_vm_node(const struct scenario *sc, int i);
/* machine_key_node - vm.<sect>.<key> of VM i (key NULL: the section), or the nearest node above it. */
const struct conf_node *machine_key_node(const struct scenario *sc, int i, const char *sect, const char *key);
/* machine_pio_write - KVM's I/O bus: a notify-port write signals the matching ioeventfd (a vcpu pio hook). */
void machine_pio_write(void *ioeventfds, uint16_t port);
/* machine_irqfd - a device signalled a queue's irqfd: KVM raises that vector's MSI (a virtio hook). */
void machine_irqfd(void *vector);

#endif
