/*
 * ipi.h - IPIs between the vCPUs of one VM, as KVM's local APIC emulation
 * sends them (models/vcpu/ipi.c; docs/ipi.md).
 *
 * The guest sends an IPI by writing its ICR: the x2APIC MSR 0x830 (one
 * WRMSR: destination in bits 63:32, the rest in the low half), or in xAPIC
 * mode the APIC page's ICR2 (destination, bits 31:24) then ICR (the low half;
 * this write sends). Each write KVM intercepts is an exit: MSR_WRITE for the
 * x2APIC MSR; APIC_ACCESS for an xAPIC register without APICv, and with APICv
 * the ICR2 write is virtualized and the ICR write a trap-like APIC_WRITE exit.
 * From 4.19 a guest with KVM_FEATURE_PV_SEND_IPI (x2APIC) sends one
 * KVM_HC_SEND_IPI hypercall (a VMCALL exit) for a bitmap of destinations.
 *
 * kvm_apic_send_ipi() decodes the ICR and kvm_irq_delivery_to_apic() sets the
 * vector in every matching destination's IRR (__apic_accept_irq()), then
 * kicks it: a running destination takes it as a posted interrupt with APICv
 * (no exit on the receiver), else through an EXTERNAL_INTERRUPT exit; a
 * polling one sees it at its next check; a blocked one is woken
 * (kvm_vcpu_kick(), the halt path of vcpu.c). A vCPU's APIC ID is its vcpu_id.
 */
#ifndef KVMSIM_VCPU_IPI_H
#define KVMSIM_VCPU_IPI_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;

/* kvm_icr - an ICR value decoded as kvm_apic_send_ipi() reads it. */
struct kvm_icr {
	uint32_t low;      /* the low half, as kvm_apic_ipi prints it */
	uint32_t dest;     /* x2APIC: bits 63:32; xAPIC: ICR2 bits 31:24 */
	uint8_t vector;
	uint8_t delivery_mode; /* APIC_DM_*: 0 fixed */
	uint8_t shorthand;     /* enum apic_dest_shorthand */
	bool logical;          /* destination mode: logical (else physical) */
	bool level, assert_;
};

/* kvm_icr_decode - icr: the x2APIC MSR's 64 bits, or (xAPIC) ICR2's register value << 32 | ICR. */
void kvm_icr_decode(uint64_t icr, bool x2apic, struct kvm_icr *d);
/*
 * kvm_apic_match_dest - does the IPI from APIC src reach APIC dst? The shorthand first; then
 * physical: the ID, or the broadcast ID (0xffffffff x2APIC, 0xff xAPIC); logical: x2APIC's
 * cluster (dest 31:16 = ID >> 4) and member bitmap (dest 15:0, bit ID & 15), xAPIC's flat
 * model (bit ID of dest 7:0, as Linux programs LDR for up to 8 CPUs).
 */
bool kvm_apic_match_dest(const struct kvm_icr *d, uint32_t src, uint32_t dst, bool x2apic);

/*
 * kvm_icr_fastpath - does an x2APIC ICR write take the exit fastpath (handle_fastpath_set_x2apic_icr_irqoff)?
 * From 5.6 (era icr_fastpath): no shorthand, physical destination, fixed delivery; from 5.7 not the
 * broadcast ID 0xffffffff either. Everything else (shorthands, logical, NMI, INIT...) takes the full path.
 */
struct kvm_era;
bool kvm_icr_fastpath(const struct kvm_era *e, const struct kvm_icr *d);

/* ipi.c, for exec.c: the guest's ICR writes and KVM_HC_SEND_IPI. True: the instruction exited. */
struct guest_insn;
bool kvm_x2apic_icr_write(struct vcpu *v, const struct guest_insn *in);
bool kvm_xapic_icr_write(struct vcpu *v, const struct guest_insn *in); /* APIC_ICR2 or APIC_ICR */
bool kvm_hypercall(struct vcpu *v, const struct guest_insn *in);
/* kvm_ipi_vector - v's IRR slot for an IPI vector (added on first use); NULL when v has no room. */
struct vcpu_vector *kvm_ipi_vector(struct vcpu *v, uint8_t vector);

#endif
