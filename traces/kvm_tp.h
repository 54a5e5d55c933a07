/*
 * kvm_tp.h - the payloads of KVM's tracepoints, byte for byte as the selected
 * kernel's TP_printk prints them (spec section 6).
 *
 * Each function writes the text after "event_name: " into buf and returns its
 * length (snprintf semantics). The trace writers (trace-cmd report layout) and
 * `haltpoll replay` print these, and the trace readers parse them back.
 */
#ifndef KVMSIM_TRACES_KVM_TP_H
#define KVMSIM_TRACES_KVM_TP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/haltpoll/kvm_era.h"

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

#endif
