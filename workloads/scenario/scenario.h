/*
 * scenario.h - what a run simulates: the kernel, the host, the VMs and their
 * workloads, as bound from a scenario file (and --set overrides) through the
 * key tables in scenario.c. `kvmsim keys` prints every key with its unit and
 * default; the README's scenario reference is that output.
 */
#ifndef KVMSIM_SCENARIO_SCENARIO_H
#define KVMSIM_SCENARIO_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "models/haltpoll/kvm_era.h"
#include "models/host/host.h"
#include "sim/conf.h"
#include "sim/schema.h"
#include "models/cpuidle/haltpoll.h"
#include "workloads/cyclictest.h"
#include "workloads/fio.h"
#include "workloads/pingpong.h"
#include "workloads/tcp_rr.h"
#include "sim/source.h"

/* Another MSI-raising device of a VM (vm.devices). */
struct device_conf {
	char *name;
	int64_t vector;
	double kick_prob;
	struct source_conf irq;
};

/* vm.lock: a spinlock the VM's vCPUs share; each vCPU works `every`, then holds it `hold`. */
struct vm_lock_conf {
	sim_time_t hold; /* 0: no lock workload */
	sim_time_t every;
};

struct vm_conf {
	char *name;
	int64_t count;
	int64_t vcpus;
	int64_t threads_per_core; /* powerpc: vCPUs per vcore, 0: the profile's */
	double prod_prob;         /* powerpc: share of items ending in H_PROD to the next thread */
	uint32_t halt_poll_ns; /* KVM_CAP_HALT_POLL */
	bool halt_poll_ns_set;
	char *policy;
	struct cfg_kv *policy_params;
	size_t npolicy_params;
	uint64_t msr_poll_control;
	bool apicv;
	double invalid_wakeups;
	int64_t *pin;
	size_t npin;
	struct source_conf workload;
	int64_t vector;   /* the workload's MSI vector */
	double kick_prob; /* virtio: share of interrupts whose handler notifies the device */
	struct device_conf *devices;
	size_t ndevices;
	int idle;         /* 0 halt, 1 poll */
	int apic;         /* enum eoi_apic_mode */
	bool pv_eoi;
	int64_t *eoi_exit_vectors;
	size_t neoi_exit_vectors;
	double tick_hz;
	int lapic_timer; /* 0 tsc_deadline, 1 oneshot */
	int irq_work;    /* 0 after_eoi, 1 in_handler (models/guest/guest.h work_in_handler) */
	bool nohz;
	double task_prob;
	struct dist task_work;
	struct cyclictest_conf cyclictest;
	struct vm_lock_conf lock;
	struct pingpong_conf pingpong;
	struct guest_haltpoll_conf guest_haltpoll;
	struct fio_conf fio;                 /* workloads/fio.h */
	struct virtio_blk_conf virtio_blk;
	struct tcp_rr_conf tcp_rr;           /* workloads/tcp_rr.h */
	struct virtio_net_conf virtio_net;
	int sched_policy; /* the vCPU threads' (enum host_sched_policy) */
	int64_t nice, rt_priority;
	int64_t *cpus;    /* the vCPU threads' affinity (host.scheduler: fair) */
	size_t ncpus;
};

struct host_task_conf {
	char *name;
	int64_t pcpu;
	struct source_conf load;
	int sched_policy; /* enum host_sched_policy */
	int64_t nice, rt_priority;
	struct dist preempt_delay; /* host_load.h */
	int64_t *cpus;    /* affinity (host.scheduler: fair) */
	size_t ncpus;
};

struct kvm_param_conf {
	uint32_t halt_poll_ns, halt_poll_ns_grow, halt_poll_ns_grow_start, halt_poll_ns_shrink;
	bool halt_poll_ns_set, halt_poll_ns_grow_set, halt_poll_ns_grow_start_set, halt_poll_ns_shrink_set;
	int64_t lapic_timer_advance_ns;
	bool lapic_timer_advance_ns_set;
};

struct kvm_intel_conf {
	bool preemption_timer;
	int64_t ple_gap, ple_window, ple_window_grow, ple_window_shrink, ple_window_max; /* cycles */
};


struct kvm_hv_conf { /* powerpc, 4.8-4.13 (scenario_ppc.c) */
	uint32_t halt_poll_max_ns;
	bool halt_poll_max_ns_set;
};

struct host_conf {
	int64_t pcpus;
	int scheduler; /* enum host_sched_kind */
	double hz;
	bool balance;
	bool wakeup_preempt;
	double resched_rate;
	int64_t max_cstate;
	bool idle_poll;
	double idle_exit_spread;
	struct host_noise_conf noise;
	struct host_task_conf *tasks;
	size_t ntasks;
};

struct scenario {
	char *name;
	sim_time_t duration;
	sim_time_t warmup; /* statistics start after it; see scenario_warmup() */
	bool warmup_set;
	uint64_t seed;
	char *kernel;
	int arch;
	char *cost_profile;
	struct kvm_param_conf kvm;
	struct kvm_intel_conf kvm_intel;
	struct kvm_hv_conf kvm_hv;
	struct host_conf host;
	struct vm_conf vm;   /* the template every VM starts from */
	struct vm_conf *vms; /* the VMs: `vms:` entries over the template, or vm.count copies */
	size_t nvms;

	/* derived */
	unsigned version;
	struct kvm_era era;
	struct conf_node *root; /* kept for `costs:` (bound onto the cost profile) */
	char *source;           /* the file, or "(built-in default)" */
	char **overrides;       /* the assignments applied to the file, in order */
	size_t noverrides;
};

/*
 * scenario_load - read `path` (NULL: the built-in default,
 * workloads/scenarios/default.yaml compiled in), apply the --set
 * assignments, bind and check. On error: message in err, returns -1.
 */
/* An override: "key=value", and the option that made it (NULL for --set) for messages. */
struct scenario_set {
	const char *assignment;
	const char *option;
};

int scenario_load(struct scenario *s, const char *path, const struct scenario_set *sets, size_t nsets,
		  struct conf_err *err);
void scenario_free(struct scenario *s);

/* scenario_warmup - the warm-up the run uses: the scenario's, or a tenth of the run, at most
 * 100 ms (long enough for the host's idle governor and every halt-poll window to settle). */
sim_time_t scenario_warmup(const struct scenario *s);
/* scenario_timer_advance - kvm.lapic_timer_advance_ns as the release applies it (-1: adaptive). */
int64_t scenario_timer_advance(const struct scenario *s);

/* scenario_keys_doc - the key reference (markdown table, or text). */
void scenario_keys_doc(FILE *f, bool markdown);

#endif
