/*
 * eoi.h - end of interrupt: what the guest's EOI write costs, and when KVM
 * completes it (arch/x86/kvm/lapic.c; docs/kernel-behaviour.md §5).
 *
 * Modes (a VM's setting):
 *   x2apic  the guest writes MSR 0x80B: an MSR_WRITE exit, traced kvm_apic
 *           ("apic_write APIC_EOI = 0x0"), kvm_eoi, then kvm_msr ("msr_write 80b = 0x0")
 *   xapic   a write to the APIC page at 0xB0: an APIC_ACCESS exit handled by
 *           the fasteoi shortcut, traced kvm_apic and kvm_eoi
 *   APICv   (vm.apicv) the hardware completes the EOI with no exit, unless the
 *           vector is in the EOI-exit bitmap (vm.eoi_exit_vectors: level or
 *           IOAPIC-notified vectors): then an EOI_INDUCED exit, traced kvm_eoi
 *   PV EOI  (vm.pv_eoi, without APICv) before each entry that injected an
 *           interrupt, KVM sets bit 0 of the guest's PV EOI word if no other
 *           interrupt is in IRR, exactly one vector is in service and it is
 *           edge-triggered; the guest's EOI then test-and-clears the bit instead
 *           of writing the APIC (no exit), and KVM completes the EOI at the next
 *           exit of any kind (kvm_eoi then kvm_pv_eoi). Where the bit was not
 *           set, the guest writes the APIC as in x2apic/xapic mode.
 *
 * State: the in-service vectors (ISR) and highest_isr_cache (the one vector
 * in service, or -1), KVM_APIC_PV_EOI_PENDING; the PV EOI word itself is
 * guest memory (struct guest_shared, models/guest/hw.h).
 */
#ifndef KVMSIM_EOI_EOI_H
#define KVMSIM_EOI_EOI_H

#include <stdbool.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "models/guest/hw.h"
#include "models/tracepoints/kvm_tp.h"
#include "sim/time.h"

struct cost_profile;
struct kvm_apic_eoi;

enum eoi_apic_mode { EOI_X2APIC, EOI_XAPIC };

struct kvm_apic_eoi_conf {
	int mode;          /* enum eoi_apic_mode */
	bool pv_eoi;       /* the guest enabled MSR_KVM_PV_EOI_EN */
	uint64_t exit_bitmap[4]; /* APICv EOI-exit bitmap */
};

typedef void kvm_apic_eoi_done_fn(struct kvm_apic_eoi *e, const struct guest_insn *in);

/* What EOI handling needs of its vCPU (models/vcpu implements it). */
struct kvm_apic_eoi_vcpu_ops {
	/* irr_pending - an interrupt waits in IRR */
	bool (*irr_pending)(void *vcpu);
	/* vector_level - vector is level-triggered (its EOI goes to the IOAPIC) */
	bool (*vector_level)(void *vcpu, int vector);
	/* exit - the EOI write exits for reason, costing cost; done runs in root mode with in */
	void (*exit)(void *vcpu, unsigned reason, uint64_t rip, sim_time_t cost, kvm_apic_eoi_done_fn *done,
		     const struct guest_insn *in);
};

struct kvm_apic_eoi {
	/* the vCPU's, set by kvm_apic_eoi_init() and (the PV EOI word) kvm_apic_eoi_attach() */
	struct kvm_apic_eoi_conf conf;
	bool apicv;
	uint32_t vcpu_id;
	struct guest_shared *shared;
	const struct cost_profile *prof;
	gsl_rng *cost_rng;
	const struct kvm_trace_sink *trace;
	const struct kvm_apic_eoi_vcpu_ops *ops;
	void *vcpu;

	uint64_t isr[4];
	int isr_count;
	int highest_isr_cache;
	bool pv_eoi_pending; /* KVM_APIC_PV_EOI_PENDING */
	uint64_t pv_armed, pv_completed, native;
};

/* kvm_apic_eoi_init - EOI handling of a vCPU (its ops and context, what it shares with it). */
void kvm_apic_eoi_init(struct kvm_apic_eoi *e, const struct kvm_apic_eoi_conf *conf, bool apicv, uint32_t vcpu_id,
		       const struct cost_profile *prof, gsl_rng *cost_rng, const struct kvm_trace_sink *trace,
		       const struct kvm_apic_eoi_vcpu_ops *ops, void *vcpu);
/* kvm_apic_eoi_attach - the guest's PV EOI word (guest memory KVM maps). */
void kvm_apic_eoi_attach(struct kvm_apic_eoi *e, struct guest_shared *shared);
/* apic_set_isr - KVM injects (acks) vector: it is in service. */
void apic_set_isr(struct kvm_apic_eoi *e, int vector);
/* apic_sync_pv_eoi_to_guest - before entry: arm PV EOI if safe. */
void apic_sync_pv_eoi_to_guest(struct kvm_apic_eoi *e);
/* apic_sync_pv_eoi_from_guest - after every exit: complete a PV EOI the guest did. */
void apic_sync_pv_eoi_from_guest(struct kvm_apic_eoi *e);
/* kvm_apic_eoi_write - the guest's EOI write (x2APIC MSR or xAPIC page): true if it exited. */
bool kvm_apic_eoi_write(struct kvm_apic_eoi *e, const struct guest_insn *in);

#endif
