/*
 * machine_ppc.h - a powerpc (POWER8, Book3S HV) host in `kvmsim run`: each
 * VM's vCPUs grouped into vcores of vm.threads_per_core threads, each vcore
 * driven by its runner task on a host pCPU (models/vcore/runner.h on
 * models/host), the VM's interrupt sources delivering to its threads
 * (pending_exceptions), idle as H_CEDE, H_PROD between threads
 * (vm.prod_prob), the kvm_hv tracepoints in the trace. machine.c calls in
 * here when the scenario's arch is powerpc; struct machine keeps no vCPUs.
 *
 * POWER8 hosts run with SMT off (one host thread per core): a pCPU is a
 * core, and a vcore of up to 8 threads runs on it whole. Runners are placed
 * round-robin over the pCPUs, in VM order, pinned.
 */
#ifndef KVMSIM_SCENARIO_MACHINE_PPC_H
#define KVMSIM_SCENARIO_MACHINE_PPC_H

#include <jansson.h>
#include <stdio.h>

#include "models/vcore/runner.h"
#include "sim/source.h"
#include "workloads/scenario/machine.h"

#define PPC_RING 64 /* items given to a thread and not yet started, with their work */

struct ppc_thread_items {
	sim_time_t work[PPC_RING];
	int head, count;
};

struct ppc_vcore {
	struct machine *m;
	const struct vm_conf *conf;
	int vm;   /* index in m->vms */
	int tgid; /* current->tgid in the kvm_hv events: the VM's process */
	int pid;  /* the runner vCPU thread's */
	char name[48];
	struct kvmppc_runner r;
	struct kvmppc_vcore_tracer tracer;
	struct host_task task; /* the runner */
	struct source *src;    /* per thread: the workload, then each device */
	int nsrc;
	struct ppc_thread_items items[KVMPPC_MAX_SMT_THREADS];
	gsl_rng *rng; /* prods and their work */
	uint64_t irqs[KVMPPC_MAX_SMT_THREADS], prods[KVMPPC_MAX_SMT_THREADS];
	uint64_t preemptions, poll_stops;
};

struct ppc_net_end;
struct machine_ppc {
	struct ppc_vcore *vc;
	int nvc;
	struct ppc_net_end **net; /* per VM its TCP_RR end (machine_ppc_net.h), or NULL */
};

/* machine_ppc_build - the VMs' vcores, runners and sources (m->vms allocated, host made); -1 with a message. */
int machine_ppc_build(struct machine *m, struct conf_err *err);
/* machine_ppc_stats_reset - the warm-up ends. */
void machine_ppc_stats_reset(struct machine *m);
/* machine_ppc_finish - close the vcores' accounting. */
void machine_ppc_finish(struct machine *m);
void machine_ppc_free(struct machine *m);

/* The run's summary and JSON (report_ppc.c), in place of report_text()/report_json()'s vCPU parts. */
void report_ppc_text(FILE *f, const struct machine *m, sim_time_t span);
void report_ppc_json(json_t *root, const struct machine *m);

#endif
