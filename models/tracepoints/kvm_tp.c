/* kvm_tp.c - KVM tracepoint payloads per kernel release (TP_printk strings of docs/kernel-behaviour.md §6). */
#include "models/tracepoints/kvm_tp.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *const kvm_event_names[KVM_EV_N] = {
#define X(n) #n,
	KVM_EVENT_LIST(X)
#undef X
};

static const struct {
	unsigned reason;
	const char *name;
} vmx_reasons[] = {
	{ EXIT_REASON_EXCEPTION_NMI, "EXCEPTION_NMI" },
	{ EXIT_REASON_EXTERNAL_INTERRUPT, "EXTERNAL_INTERRUPT" },
	{ EXIT_REASON_INTERRUPT_WINDOW, "INTERRUPT_WINDOW" },
	{ EXIT_REASON_CPUID, "CPUID" },
	{ EXIT_REASON_HLT, "HLT" },
	{ EXIT_REASON_VMCALL, "VMCALL" },
	{ EXIT_REASON_IO_INSTRUCTION, "IO_INSTRUCTION" },
	{ EXIT_REASON_MSR_READ, "MSR_READ" },
	{ EXIT_REASON_MSR_WRITE, "MSR_WRITE" },
	{ EXIT_REASON_PAUSE_INSTRUCTION, "PAUSE_INSTRUCTION" },
	{ EXIT_REASON_APIC_ACCESS, "APIC_ACCESS" },
	{ EXIT_REASON_EOI_INDUCED, "EOI_INDUCED" },
	{ EXIT_REASON_EPT_VIOLATION, "EPT_VIOLATION" },
	{ EXIT_REASON_EPT_MISCONFIG, "EPT_MISCONFIG" },
	{ EXIT_REASON_PREEMPTION_TIMER, "PREEMPTION_TIMER" },
	{ EXIT_REASON_APIC_WRITE, "APIC_WRITE" },
};

const char *vmx_exit_reason_name(unsigned reason)
{
	for (size_t i = 0; i < sizeof(vmx_reasons) / sizeof(*vmx_reasons); i++)
		if (vmx_reasons[i].reason == reason)
			return vmx_reasons[i].name;
	return NULL;
}

int vmx_exit_reason_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(vmx_reasons) / sizeof(*vmx_reasons); i++)
		if (!strcmp(vmx_reasons[i].name, name))
			return (int)vmx_reasons[i].reason;
	return -1;
}

int kvm_tp_vcpu_wakeup(char *buf, size_t n, const struct kvm_era *e, uint64_t ns, bool waited,
		       bool valid)
{
	/* "%s time %lld ns" (4.4), then ", polling %s" */
	if (!e->tp_wakeup_valid)
		return snprintf(buf, n, "%s time %lld ns", waited ? "wait" : "poll", (long long)ns);
	return snprintf(buf, n, "%s time %lld ns, polling %s", waited ? "wait" : "poll",
			(long long)ns, valid ? "valid" : "invalid");
}

int kvm_tp_vcore_blocked(char *buf, size_t n, bool exit, int runner_vcpu, int n_runnable, int tgid)
{
	return snprintf(buf, n, "%s runner_vcpu=%d runnable=%d tgid=%d", exit ? "Exit" : "Enter", runner_vcpu,
			n_runnable, tgid);
}

int kvm_tp_vcore_wakeup(char *buf, size_t n, const struct kvm_era *e, bool waited, uint64_t ns, int tgid)
{
	(void)e; /* %lld (4.9) and %llu (6.18) print a block time alike: it is below 2^63 ns */
	return snprintf(buf, n, "%s time %" PRIu64 " ns, tgid=%d", waited ? "wait" : "poll", ns, tgid);
}

int kvm_tp_halt_poll_ns(char *buf, size_t n, const struct kvm_era *e, uint32_t vcpu_id, bool grow,
			uint32_t new_ns, uint32_t old_ns)
{
	const char *dir = grow ? "grow" : "shrink";
	if (e->tp_halt_poll_signed) /* 4.4: "vcpu %u: halt_poll_ns %d (%s %d)" on ints */
		return snprintf(buf, n, "vcpu %u: halt_poll_ns %d (%s %d)", vcpu_id, (int32_t)new_ns,
				dir, (int32_t)old_ns);
	return snprintf(buf, n, "vcpu %u: halt_poll_ns %u (%s %u)", vcpu_id, new_ns, dir, old_ns);
}

int kvm_tp_exit(char *buf, size_t n, const struct kvm_era *e, const struct kvm_exit_info *x)
{
	char num[16];
	const char *name = vmx_exit_reason_name(x->reason);
	if (!name) {
		snprintf(num, sizeof(num), "0x%x", x->reason); /* __print_symbolic's fallback */
		name = num;
	}
	switch (e->tp_kvm_exit) {
	case 0:
		return snprintf(buf, n, "reason %s rip 0x%" PRIx64 " info %" PRIx64 " %" PRIx64, name,
				x->rip, x->info1, x->info2);
	case 1: /* 5.8 adds "%s%s" for VMX exit flags, which kvmsim's exits never carry */
		return snprintf(buf, n, "vcpu %u reason %s rip 0x%" PRIx64 " info %" PRIx64 " %" PRIx64,
				x->vcpu_id, name, x->rip, x->info1, x->info2);
	case 2:
		return snprintf(buf, n,
				"vcpu %u reason %s rip 0x%" PRIx64 " info1 0x%016" PRIx64
				" info2 0x%016" PRIx64 " intr_info 0x%08x error_code 0x%08x",
				x->vcpu_id, name, x->rip, x->info1, x->info2, x->intr_info,
				x->error_code);
	default:
		return snprintf(buf, n,
				"vcpu %u reason %s rip 0x%" PRIx64 " info1 0x%016" PRIx64
				" info2 0x%016" PRIx64 " intr_info 0x%08x error_code 0x%08x"
				" requests 0x%016" PRIx64,
				x->vcpu_id, name, x->rip, x->info1, x->info2, x->intr_info,
				x->error_code, x->requests);
	}
}

int kvm_tp_entry(char *buf, size_t n, const struct kvm_era *e, uint32_t vcpu_id, uint64_t rip,
		 bool immediate_exit)
{
	const char *imm = immediate_exit ? "[immediate exit]" : "";
	switch (e->tp_kvm_entry) {
	case 0:
		return snprintf(buf, n, "vcpu %u", vcpu_id);
	case 1:
		return snprintf(buf, n, "vcpu %u, rip 0x%" PRIx64, vcpu_id, rip);
	case 2:
		return snprintf(buf, n, "vcpu %u, rip 0x%" PRIx64 "%s", vcpu_id, rip, imm);
	default:
		return snprintf(buf, n, "vcpu %u, rip 0x%" PRIx64 " intr_info 0x%08x error_code 0x%08x%s",
				vcpu_id, rip, 0u, 0u, imm);
	}
}

int kvm_tp_msr(char *buf, size_t n, bool write, uint32_t ecx, uint64_t data, bool exception)
{
	return snprintf(buf, n, "msr_%s %x = 0x%" PRIx64 "%s", write ? "write" : "read", ecx, data,
			exception ? " (#GP)" : "");
}

/* the registers of kvm_trace_symbol_apic that kvmsim writes */
static const char *apic_reg_name(unsigned reg)
{
	switch (reg) {
	case 0xb0:
		return "APIC_EOI";
	case 0x300:
		return "APIC_ICR";
	case 0x310:
		return "APIC_ICR2";
	case 0x320:
		return "APIC_LVTT";
	case 0x380:
		return "APIC_TMICT";
	default:
		return NULL;
	}
}

int kvm_tp_apic(char *buf, size_t n, bool write, unsigned reg, uint64_t val)
{
	const char *name = apic_reg_name(reg);
	char num[16];
	if (!name) {
		snprintf(num, sizeof(num), "0x%x", reg);
		name = num;
	}
	return snprintf(buf, n, "apic_%s %s = 0x%" PRIx64, write ? "write" : "read", name, val);
}

int kvm_tp_apic_ipi(char *buf, size_t n, uint32_t icr_low, uint32_t dest_id)
{
	static const char *const dm[8] = { "Fixed", "LowPrio", "SMI", "Res3", "NMI", "INIT", "SIPI", "ExtINT" };
	static const char *const sh[4] = { "dst", "self", "all", "all-but-self" };
	return snprintf(buf, n, "dst %x vec %u (%s|%s|%s|%s|%s)", dest_id, (unsigned)(uint8_t)icr_low,
			dm[(icr_low >> APIC_ICR_DM_SHIFT) & 7], icr_low & APIC_ICR_DEST_LOGICAL ? "logical" : "physical",
			icr_low & APIC_ICR_LEVEL_ASSERT ? "assert" : "de-assert",
			icr_low & APIC_ICR_LEVEL_TRIG ? "level" : "edge", sh[(icr_low >> APIC_ICR_SHORTHAND_SHIFT) & 3]);
}

int kvm_tp_hypercall(char *buf, size_t n, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	return snprintf(buf, n, "nr 0x%" PRIx64 " a0 0x%" PRIx64 " a1 0x%" PRIx64 " a2 0x%" PRIx64 " a3 0x%" PRIx64, nr,
			a0, a1, a2, a3);
}

int kvm_tp_eoi(char *buf, size_t n, uint32_t apicid, int vector)
{
	return snprintf(buf, n, "apicid %x vector %d", apicid, vector);
}

int kvm_tp_inj_virq(char *buf, size_t n, const struct kvm_era *e, unsigned vector)
{
	if (!e->tp_inj_virq_new)
		return snprintf(buf, n, "irq %u", vector);
	return snprintf(buf, n, "%s 0x%x%s", "IRQ", vector, "");
}

static const char *const deliver_mode[8] = { "Fixed", "LowPrio", "SMI", "Res3", "NMI", "INIT", "SIPI", "ExtINT" };

int kvm_tp_apic_accept_irq(char *buf, size_t n, uint32_t apicid, unsigned dm, bool level, unsigned vector)
{
	return snprintf(buf, n, "apicid %x vec %u (%s|%s)", apicid, vector, deliver_mode[dm & 7],
			level ? "level" : "edge");
}

int kvm_tp_msi_set_irq(char *buf, size_t n, const struct kvm_era *e, uint64_t address, uint64_t data)
{
	const char *fmt = e->tp_msi_set_irq == 0   ? "dst %llu vec %x (%s|%s|%s%s)"
			  : e->tp_msi_set_irq == 1 ? "dst %llu vec %u (%s|%s|%s%s)"
						   : "dst %llx vec %u (%s|%s|%s%s)";
	unsigned long long dst = (uint8_t)(address >> 12);
	if (e->tp_msi_set_irq == 2) /* x2APIC destinations in the high address bits */
		dst |= (address >> 32) & 0xffffff00;
	return snprintf(buf, n, fmt, dst, (unsigned)(uint8_t)data, deliver_mode[(data >> 8) & 7],
			(address & (1 << 2)) ? "logical" : "physical", (data & (1 << 15)) ? "level" : "edge",
			(address & (1 << 3)) ? "|rh" : "");
}

int kvm_tp_hv_timer_state(char *buf, size_t n, const struct kvm_era *e, uint32_t vcpu_id, bool in_use)
{
	/* up to 5.3 the format ends in "\n", which trace-cmd strips; writers drop it too */
	return snprintf(buf, n, "vcpu_id %x hv_timer %x", vcpu_id, in_use ? 1u : 0u);
}

int kvm_tp_wait_lapic_expire(char *buf, size_t n, uint32_t vcpu_id, int64_t delta)
{
	return snprintf(buf, n, "vcpu %u: delta %lld (%s)", vcpu_id, (long long)delta,
			delta < 0 ? "early" : "late");
}

int kvm_tp_pio(char *buf, size_t n, bool write, unsigned port, unsigned size, unsigned count, uint32_t val)
{
	return snprintf(buf, n, "pio_%s at 0x%x size %u count %u val 0x%x %s", write ? "write" : "read", port,
			size, count, val, count > 1 ? "(...)" : "");
}
