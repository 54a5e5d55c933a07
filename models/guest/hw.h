/*
 * hw.h - the boundary between the guest OS (models/guest) and KVM's vCPU
 * (models/vcpu with models/lapic and models/eoi), drawn where a real guest
 * meets its hypervisor: at the virtual hardware.
 *
 * Guest -> vCPU. The guest executes instructions, and some of them exit:
 * HLT, WRMSR (x2APIC registers, IA32_TSC_DEADLINE, the ICR that sends an IPI), a
 * write to the xAPIC page, OUT to a device's notify port, VMCALL (the PV send-IPI
 * hypercall), and PAUSE in a spin loop when pause-loop
 * exiting says so (the hardware's rule, which the vCPU applies). It also enables interrupts (IRET, STI): with
 * an interrupt waiting, the hardware then delivers it (APICv) or exits for the
 * interrupt window. Time is the simulation clock; the guest reads its TSC
 * through the vCPU (the TSC offset is the vCPU's).
 *
 * vCPU -> guest. Entry and exit of guest mode, an interrupt delivered into the
 * guest (injected on entry, or by virtual interrupt delivery), a posted
 * interrupt to look at while the guest runs.
 *
 * Shared state. RFLAGS.IF (the VMCS holds it: the guest sets it, KVM reads it
 * before injecting) and the guest's PV EOI word (guest memory KVM maps).
 *
 * Instrumentation, not hardware: the vCPU tells the guest when an interrupt
 * reaches IRR (guest_irq_raised), so that the guest can classify its latency
 * as a wake-up latency when it was idle then; and the guest tells the vCPU
 * whether its guest-mode time is spent polling, for the CPU accounting.
 *
 * Neither side includes the other's headers: only this one.
 */
#ifndef KVMSIM_GUEST_HW_H
#define KVMSIM_GUEST_HW_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/time.h"

/* Registers the modelled guest writes. */
#define MSR_IA32_TSC_DEADLINE 0x6e0
#define X2APIC_MSR_EOI 0x80b
#define X2APIC_MSR_TMICT 0x838
#define X2APIC_MSR_ICR 0x830 /* 64 bits: destination in 63:32, the low half as APIC_ICR's */
#define APIC_TMICT 0x380 /* xAPIC page offsets */
#define APIC_EOI 0xb0
#define APIC_ICR 0x300  /* writing it sends the IPI */
#define APIC_ICR2 0x310 /* the destination, bits 31:24 */

/* The ICR's low half (both modes). */
#define APIC_ICR_VECTOR 0xffu
#define APIC_ICR_DM_SHIFT 8 /* delivery mode, 3 bits: 0 fixed */
#define APIC_ICR_DEST_LOGICAL (1u << 11)
#define APIC_ICR_LEVEL_ASSERT (1u << 14)
#define APIC_ICR_LEVEL_TRIG (1u << 15)
#define APIC_ICR_SHORTHAND_SHIFT 18 /* 0 none (the destination field), 1 self, 2 all, 3 all but self */
enum apic_dest_shorthand { APIC_DEST_NOSHORT, APIC_DEST_SELF, APIC_DEST_ALLINC, APIC_DEST_ALLBUT };

/* KVM hypercalls (include/uapi/linux/kvm_para.h) the modelled guest makes. */
#define KVM_HC_SEND_IPI 10 /* a0, a1: destination bitmap; a2: the lowest APIC ID; a3: ICR low (4.19+) */

/* Where the modelled guest's code sits: the guest RIPs kvm_exit and kvm_entry print. */
#define GUEST_RIP_HLT 0xffffffff81e3b4d6ULL   /* native_safe_halt() */
#define GUEST_RIP_WORK 0xffffffff8112a0c4ULL  /* anywhere in the guest's own work */
#define GUEST_RIP_WRMSR 0xffffffff8107c8e9ULL /* lapic_next_deadline() */
#define GUEST_RIP_PIO 0xffffffffa02e14c5ULL   /* vp_notify() */
#define GUEST_RIP_EOI 0xffffffff8106a3b0ULL   /* native_apic_msr_eoi() */
#define GUEST_RIP_SPIN 0xffffffff81e3c2a2ULL  /* native_queued_spin_lock_slowpath(): cpu_relax() */
#define GUEST_RIP_IPI 0xffffffff81072a4dULL   /* native_x2apic_icr_write() / __default_send_IPI_dest_field() */
#define GUEST_RIP_PV_IPI 0xffffffff8107ab3eULL /* __send_ipi_mask(): kvm_hypercall4(KVM_HC_SEND_IPI) */

#define LOCAL_TIMER_VECTOR 0xec
#define RESCHEDULE_VECTOR 0xfd
#define CALL_FUNCTION_SINGLE_VECTOR 0xfb

enum guest_insn_kind {
	GUEST_HLT,        /* sti; hlt */
	GUEST_WRMSR,      /* reg: the MSR */
	GUEST_APIC_WRITE, /* reg: the xAPIC register offset */
	GUEST_OUT,        /* port */
	GUEST_PAUSE,      /* one PAUSE of a spin-wait loop (exits only when pause-loop exiting says so) */
	GUEST_VMCALL,     /* a hypercall: reg the number (rax), value a0 (rbx), a[] a1..a3 (rcx, rdx, rsi) */
};

/* guest_insn - one instruction that may exit, with its operands. */
struct guest_insn {
	uint8_t kind;
	uint8_t vector;      /* an EOI write: the in-service vector it retires (the hardware's ISR) */
	uint16_t port;       /* GUEST_OUT */
	uint32_t reg;        /* GUEST_WRMSR, GUEST_APIC_WRITE */
	uint64_t value;      /* what is written; GUEST_VMCALL: a0 */
	uint64_t a[3];       /* GUEST_VMCALL: a1, a2, a3 */
	sim_time_t deadline; /* a timer write: the expiry the value encodes (0: stop), exact in sim time */
	uint64_t rip;
};

/* guest_shared - architectural state and guest memory both sides see. */
struct guest_shared {
	bool rflags_if; /* RFLAGS.IF: the guest takes interrupts */
	bool pv_eoi;    /* bit 0 of the guest's PV EOI word: KVM_PV_EOI_ENABLED */
};

/* guest_hw_ops - the virtual CPU as the guest reaches it (models/vcpu implements it). */
struct guest_hw_ops {
	/* exec - execute in; true when it exited: the guest stops until guest_enter(). */
	bool (*exec)(void *hw, const struct guest_insn *in);
	/* irq_window - IF=1 and the guest is about to go on: deliver or exit for a waiting interrupt. */
	void (*irq_window)(void *hw);
	/* account - the guest's time in guest mode counts as polling (its idle loop) or not. */
	void (*account)(void *hw, bool polling);
	/* tsc - the guest's TSC at time t. */
	uint64_t (*tsc)(void *hw, sim_time_t t);
};

struct guest_hw {
	const struct guest_hw_ops *ops;
	void *ctx;
};

struct guest_cpu;

/* What the vCPU does to the guest (models/guest implements these). */
/* guest_enter - VM entry: guest mode runs (interrupt delivery, if any, follows, then guest_resume). */
void guest_enter(struct guest_cpu *g);
/* guest_exit - VM exit: the guest stops in the middle of what it was doing. */
void guest_exit(struct guest_cpu *g);
/* guest_resume - in guest mode: go on (after entry, or a posted interrupt to look at). */
void guest_resume(struct guest_cpu *g);
/* guest_deliver_irq - the interrupt `vector` that arrived at `arrival` enters the guest, with the
 * handler work its device produced. */
void guest_deliver_irq(struct guest_cpu *g, uint8_t vector, sim_time_t arrival, sim_time_t work);
/* guest_irq_raised - instrumentation: `vector` reached IRR now. */
void guest_irq_raised(struct guest_cpu *g, uint8_t vector);

#endif
