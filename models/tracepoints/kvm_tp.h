/*
 * kvm_tp.h - the payloads of KVM's tracepoints, byte for byte as the selected
 * kernel's TP_printk prints them (docs/kernel-behaviour.md §6).
 *
 * Each function writes the text after "event_name: " into buf and returns its
 * length (snprintf semantics). The trace writers (trace-cmd report layout) and
 * `haltpoll replay` print these, and the trace readers parse them back.
 */
#ifndef KVMSIM_TRACEPOINTS_KVM_TP_H
#define KVMSIM_TRACEPOINTS_KVM_TP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/guest/hw.h"
#include "models/haltpoll/kvm_era.h"

/*
 * The kvm tracepoints kvmsim emits, in the order `perf stat -e 'kvm:*'` lists
 * them (their order of definition: arch/x86/kvm/trace.h, then
 * include/trace/events/kvm.h).
 */
#define KVM_EVENT_LIST(X)                                                                            \
	X(kvm_entry)                                                                                 \
	X(kvm_hypercall)                                                                             \
	X(kvm_pio)                                                                                   \
	X(kvm_apic)                                                                                  \
	X(kvm_exit)                                                                                  \
	X(kvm_inj_virq)                                                                              \
	X(kvm_msr)                                                                                   \
	X(kvm_apic_ipi)                                                                              \
	X(kvm_apic_accept_irq)                                                                       \
	X(kvm_eoi)                                                                                   \
	X(kvm_pv_eoi)                                                                                \
	X(kvm_wait_lapic_expire)                                                                     \
	X(kvm_hv_timer_state)                                                                        \
	X(kvm_vcpu_wakeup)                                                                           \
	X(kvm_msi_set_irq)                                                                           \
	X(kvm_halt_poll_ns)

enum kvm_event {
#define X(n) EV_##n,
	KVM_EVENT_LIST(X)
#undef X
	KVM_EV_N
};

extern const char *const kvm_event_names[KVM_EV_N];

/* The exit interruption information's valid bit (VM-exit interruption information, bit 31). */
#define INTR_INFO_VALID 0x80000000u

/* VMX basic exit reasons kvmsim models (arch/x86/include/uapi/asm/vmx.h). */
enum vmx_exit_reason {
	EXIT_REASON_EXCEPTION_NMI = 0,
	EXIT_REASON_EXTERNAL_INTERRUPT = 1,
	EXIT_REASON_INTERRUPT_WINDOW = 7,
	EXIT_REASON_CPUID = 10,
	EXIT_REASON_HLT = 12,
	EXIT_REASON_VMCALL = 18,
	EXIT_REASON_IO_INSTRUCTION = 30,
	EXIT_REASON_MSR_READ = 31,
	EXIT_REASON_MSR_WRITE = 32,
	EXIT_REASON_PAUSE_INSTRUCTION = 40,
	EXIT_REASON_APIC_ACCESS = 44,
	EXIT_REASON_EOI_INDUCED = 45,
	EXIT_REASON_EPT_VIOLATION = 48,
	EXIT_REASON_EPT_MISCONFIG = 49,
	EXIT_REASON_PREEMPTION_TIMER = 52,
	EXIT_REASON_APIC_WRITE = 56,
};

/* vmx_exit_reason_name - the VMX_EXIT_REASONS name, or NULL if not one kvmsim knows. */
const char *vmx_exit_reason_name(unsigned reason);
/* vmx_exit_reason_parse - the number of a VMX_EXIT_REASONS name, or -1. */
int vmx_exit_reason_parse(const char *name);

int kvm_tp_vcpu_wakeup(char *buf, size_t n, const struct kvm_era *e, uint64_t ns, bool waited,
		       bool valid);
int kvm_tp_halt_poll_ns(char *buf, size_t n, const struct kvm_era *e, uint32_t vcpu_id, bool grow,
			uint32_t new_ns, uint32_t old_ns);

/*
 * PowerPC Book3S HV (the kvm_hv system, arch/powerpc/kvm/trace_hv.h; models/vcore):
 * kvmppc_vcore_blocked "%s runner_vcpu=%d runnable=%d tgid=%d" (Enter/Exit) and
 * kvmppc_vcore_wakeup "%s time %lld ns, tgid=%d" (wait/poll), %llu by 6.18: the
 * same text for every time a block can take. Not in KVM_EVENT_LIST (not kvm:*).
 */
int kvm_tp_vcore_blocked(char *buf, size_t n, bool exit, int runner_vcpu, int n_runnable, int tgid);
int kvm_tp_vcore_wakeup(char *buf, size_t n, const struct kvm_era *e, bool waited, uint64_t ns, int tgid);

struct kvm_exit_info {
	uint32_t vcpu_id;
	unsigned reason;
	uint64_t rip;
	uint64_t info1, info2;
	uint32_t intr_info, error_code;
	uint64_t requests;
};
int kvm_tp_exit(char *buf, size_t n, const struct kvm_era *e, const struct kvm_exit_info *x);
int kvm_tp_entry(char *buf, size_t n, const struct kvm_era *e, uint32_t vcpu_id, uint64_t rip,
		 bool immediate_exit);

/*
 * kvm_trace_sink - where a model's tracepoints go: each is counted always, and
 * formatted (into tb_, by `call`) and emitted only when emit is set.
 */
struct kvm_trace_sink {
	uint64_t *events; /* [KVM_EV_N] */
	void (*emit)(void *ctx, enum kvm_event ev, const char *payload);
	void *ctx;
};

#define KVM_TRACE(sink, ev, call)                                                                    \
	do {                                                                                         \
		(sink)->events[ev]++;                                                                \
		if ((sink)->emit) {                                                                  \
			char tb_[256];                                                               \
			call;                                                                        \
			(sink)->emit((sink)->ctx, ev, tb_);                                          \
		}                                                                                    \
	} while (0)

#define APIC_DM_FIXED 0 /* the registers themselves: models/guest/hw.h */

int kvm_tp_msr(char *buf, size_t n, bool write, uint32_t ecx, uint64_t data, bool exception);
/* kvm_tp_apic - "apic_write APIC_EOI = 0x0"; reg is the xAPIC register offset */
int kvm_tp_apic(char *buf, size_t n, bool write, unsigned reg, uint64_t val);
int kvm_tp_eoi(char *buf, size_t n, uint32_t apicid, int vector); /* kvm_eoi and kvm_pv_eoi */
int kvm_tp_inj_virq(char *buf, size_t n, const struct kvm_era *e, unsigned vector);
int kvm_tp_apic_accept_irq(char *buf, size_t n, uint32_t apicid, unsigned dm, bool level, unsigned vector);
int kvm_tp_msi_set_irq(char *buf, size_t n, const struct kvm_era *e, uint64_t address, uint64_t data);
int kvm_tp_hv_timer_state(char *buf, size_t n, const struct kvm_era *e, uint32_t vcpu_id, bool in_use);
int kvm_tp_wait_lapic_expire(char *buf, size_t n, uint32_t vcpu_id, int64_t delta);
/* kvm_apic_ipi - "dst %x vec %u (%s|%s|%s|%s|%s)": the ICR's low half and the decoded destination */
int kvm_tp_apic_ipi(char *buf, size_t n, uint32_t icr_low, uint32_t dest_id);
/* kvm_hypercall - "nr 0x%lx a0 0x%lx a1 0x%lx a2 0x%lx a3 0x%lx" */
int kvm_tp_hypercall(char *buf, size_t n, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);
int kvm_tp_pio(char *buf, size_t n, bool write, unsigned port, unsigned size, unsigned count, uint32_t val);

#endif
