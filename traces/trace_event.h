/*
 * trace_event.h - one KVM tracepoint event as the trace readers hand it on:
 * where and when it happened (task, CPU, timestamp) and its payload's fields.
 *
 * The readers (trace_read.h) turn every layout they know into this, and the
 * payload parser (trace_event_parse) accepts every release's TP_printk output for
 * the events below, plus the layouts trace-cmd's kvm plugin prints instead:
 *
 *   kvm_exit kvm_entry kvm_vcpu_wakeup kvm_halt_poll_ns kvm_msr kvm_apic
 *   kvm_eoi kvm_pv_eoi kvm_inj_virq kvm_apic_accept_irq kvm_msi_set_irq
 *   kvm_hv_timer_state kvm_apic_ipi, and powerpc's kvm_hv kvmppc_vcore_blocked kvmppc_vcore_wakeup
 *
 * and the scheduler's sched_switch (when a thread left its CPU, and whether
 * it was still runnable: preempted, not asleep).
 *
 * Field names follow the tracepoints' own (TP_STRUCT__entry) names.
 */
#ifndef KVMSIM_TRACES_TRACE_EVENT_H
#define KVMSIM_TRACES_TRACE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum trace_ev {
	KEV_NONE = -1,
	KEV_EXIT,
	KEV_ENTRY,
	KEV_VCPU_WAKEUP,
	KEV_HALT_POLL_NS,
	KEV_MSR,
	KEV_APIC,
	KEV_EOI,
	KEV_PV_EOI,
	KEV_INJ_VIRQ,
	KEV_APIC_ACCEPT_IRQ,
	KEV_MSI_SET_IRQ,
	KEV_HV_TIMER_STATE,
	KEV_APIC_IPI,
	KEV_VCORE_BLOCKED, /* kvm_hv (powerpc): kvmppc_vcore_blocked */
	KEV_VCORE_WAKEUP,  /* kvm_hv (powerpc): kvmppc_vcore_wakeup */
	KEV_SCHED_SWITCH,  /* sched: sched_switch */
	KEV_N,
};

/* The layouts of kvm_exit's payload (docs/kernel-behaviour.md §6.2), and trace-cmd's plugin. */
enum trace_exit_layout {
	KVM_EXIT_L_REASON,  /* <5.4, and trace-cmd's plugin: "reason %s rip 0x%lx info %llx %llx" */
	KVM_EXIT_L_VCPU,    /* 5.4-5.9: "vcpu %u reason %s rip 0x%lx info %llx %llx" */
	KVM_EXIT_L_INFO12,  /* 5.10-6.13: "... info1 0x%016llx info2 0x%016llx intr_info ... error_code ..." */
	KVM_EXIT_L_REQUESTS, /* 6.14+: the same and " requests 0x%016llx" */
};

/*
 * The latest timestamp, and the longest halt, the readers accept, in ns (2^62 ns, 146 years of a
 * trace clock): sums and differences of two such times still fit int64_t.
 */
#define TRACE_TS_MAX ((int64_t)1 << 62)

/* The largest pid (and TGID) Linux hands out (PID_MAX_LIMIT, 2^22): a larger one is no task. */
#define TRACE_PID_MAX 4194304

struct trace_event {
	enum trace_ev type;
	int64_t ts_ns;   /* trace clock, ns (as precise as the layout prints it) */
	int32_t pid;     /* the task (thread) id */
	int32_t tgid;    /* its process (ftrace's record-tgid column, perf's PID/TID), -1 unknown */
	int32_t cpu;
	char comm[24];
	long line;       /* line in a text trace, record number in a trace.dat */
	union {
		struct {
			uint64_t ns;
			bool waited;
			bool valid;
			bool has_valid; /* 4.7+: ", polling valid|invalid" */
		} wakeup;
		struct {
			uint32_t vcpu_id, new_ns, old_ns;
			bool grow;
		} hpn;
		struct {
			bool exit; /* "Exit" (after the sleep), else "Enter" */
			int32_t runner_vcpu, runnable, tgid;
		} vblocked;
		struct {
			bool waited;
			uint64_t ns;
			int32_t tgid;
		} vwakeup;
		struct {
			int32_t prev_pid, next_pid;
			bool prev_runnable; /* prev_state R (preempted), else it blocked */
		} sswitch;
		struct {
			enum trace_exit_layout layout;
			bool has_vcpu;
			uint32_t vcpu_id;
			char reason[32];     /* as printed: "HLT", "hlt", "DE excp", "0x1f", "UNKNOWN (99)" */
			bool failed_vmentry; /* VMX " FAILED_VMENTRY" flag (5.8+) */
			bool is_hlt;         /* VMX HLT, SVM hlt or idle-halt (EXIT_HLT by trace-cmd's plugin) */
			uint64_t rip, info1, info2;
			uint32_t intr_info, error_code;
			uint64_t requests;
		} exit;
		struct {
			int layout; /* as kvm_era.tp_kvm_entry: 0 "vcpu %u" .. 3 intr_info */
			uint32_t vcpu_id;
			uint64_t rip;
			uint32_t intr_info, error_code;
			bool immediate_exit;
		} entry;
		struct {
			bool write, gp;
			uint32_t ecx;
			uint64_t data;
		} msr;
		struct {
			bool write;
			char reg[24]; /* "APIC_EOI", or the number as printed */
			uint64_t val;
		} apic;
		struct {
			uint32_t apicid;
			int32_t vector; /* -1 when nothing was in service */
		} eoi;                  /* kvm_eoi and kvm_pv_eoi */
		struct {
			bool old_layout; /* up to 5.x: "irq %u" */
			bool soft, reinjected;
			uint32_t vector;
		} inj;
		struct {
			uint32_t apicid, vec;
			char dm[8]; /* delivery mode: Fixed, LowPrio, ... */
			bool level, coalesced;
		} accept;
		struct {
			uint64_t dst;
			uint32_t vec;
			char dm[8];
			bool logical, level, rh;
		} msi;
		struct {
			uint32_t vcpu_id, hv_timer;
		} hvt;
		struct {
			uint32_t dest_id, vec;
			char dm[8];
			bool logical, assert_, level;
			int shorthand; /* 0 dst, 1 self, 2 all, 3 all-but-self */
		} ipi;
	};
};

/* trace_event_name - "kvm_exit" for KEV_EXIT, ... */
const char *trace_event_name(enum trace_ev t);
/* trace_event_lookup - the event of a name, with or without "kvm:"; KEV_NONE if not one of ours. */
enum trace_ev trace_event_lookup(const char *name, size_t len);

/*
 * trace_event_parse - read the payload of event `ev->type` into *ev. Returns 0, or
 * -1 with what was expected in err (the caller adds file and line).
 */
int trace_event_parse(struct trace_event *ev, const char *payload, char *err, size_t errlen);

#endif
