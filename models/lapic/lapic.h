/*
 * lapic.h - the LAPIC TSC-deadline timer as KVM emulates it
 * (arch/x86/kvm/lapic.c, vmx.c; docs/kernel-behaviour.md §4).
 *
 * The guest arms the timer by writing IA32_TSC_DEADLINE (an MSR_WRITE exit);
 * kvm_set_lapic_tscdeadline_msr() cancels what was armed and restarts it:
 *
 *   hv timer (VMX preemption timer, 4.9+, kvm_intel.preemption_timer): the
 *     deadline (less the timer advance, 5.x+) becomes hv_deadline; every VM
 *     entry programs VMX_PREEMPTION_TIMER_VALUE = (hv_deadline - now) >> multi
 *     (IA32_VMX_MISC[4:0], the profile's preemption_timer_shift), and the timer
 *     counts only in guest mode; its expiry is a PREEMPTION_TIMER exit
 *     (handled in the exit fastpath from 5.10). A delta that does not fit the
 *     32-bit field falls back to the software timer (-ERANGE).
 *   sw timer: a host hrtimer at deadline - timer_advance_ns on the vCPU's pCPU;
 *     its interrupt forces an EXTERNAL_INTERRUPT exit when the vCPU is in
 *     guest mode, and wakes it when halted (apic_timer_fn()).
 *
 * Expiry sets `pending`; the next entry delivers the LVTT interrupt
 * (kvm_inject_apic_timer_irqs) and clears the one-shot deadline. Before a halt
 * the hv timer is switched to the sw timer (the preemption timer does not
 * count while the vCPU sleeps) and back after it (kvm_lapic_switch_to_sw_timer
 * / _to_hv_timer), each traced as kvm_hv_timer_state.
 *
 * Timer advance (kvm.lapic_timer_advance_ns): the timer fires early by
 * timer_advance_ns; on the entry that injects the timer interrupt,
 * kvm_wait_lapic_expire() busy-waits until the deadline and, when adaptive
 * (-1; 5.2+, and the 6.10+ boolean), tunes the advance by 1/8 of each
 * |delta| between 100 and 10000 cycles, capped at 5000 ns.
 */
#ifndef KVMSIM_LAPIC_LAPIC_H
#define KVMSIM_LAPIC_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "models/haltpoll/kvm_era.h"
#include "models/tracepoints/kvm_tp.h"
#include "sim/event.h"

struct cost_profile;
struct kvm_lapic_timer;

#define LAPIC_TIMER_ADVANCE_ADAPTIVE (-1)

struct kvm_lapic_timer_conf {
	bool preemption_timer;  /* kvm_intel.preemption_timer, where the release has it */
	int64_t advance_ns;     /* kvm.lapic_timer_advance_ns: -1 adaptive, else fixed */
	unsigned multi;         /* IA32_VMX_MISC[4:0] */
	int64_t tsc_khz;
};

/* What the vCPU is doing, as the timer's expiry needs to know. */
enum kvm_lapic_vcpu_mode {
	LAPIC_VCPU_ROOT,   /* in KVM, on its way back to the guest */
	LAPIC_VCPU_GUEST,  /* in guest mode */
	LAPIC_VCPU_HALTED, /* polling or asleep in kvm_vcpu_halt() */
};

typedef void kvm_lapic_done_fn(struct kvm_lapic_timer *t);

/* What the LAPIC timer needs of its vCPU (models/vcpu implements it). */
struct kvm_lapic_vcpu_ops {
	enum kvm_lapic_vcpu_mode (*mode)(void *vcpu);
	/* exit - a VM exit for reason (with its interruption info), costing cost; done runs in root mode */
	void (*exit)(void *vcpu, unsigned reason, uint32_t intr_info, sim_time_t cost, kvm_lapic_done_fn *done);
	/* host_irq - the host timer interrupt on the vCPU's pCPU, costing cost; then
	 * kvm_apic_timer_expired() and a kick */
	void (*host_irq)(void *vcpu, sim_time_t cost);
	/* timer_irq - the LVTT interrupt reaches IRR; due is its arrival if it is not pending already */
	void (*timer_irq)(void *vcpu, sim_time_t due);
};

struct kvm_lapic_timer {
	/* the vCPU's, set by kvm_lapic_timer_init() */
	struct sim *sim;
	struct kvm_lapic_timer_conf conf;
	const struct kvm_era *era;
	uint32_t vcpu_id;
	bool oneshot; /* LVTT in one-shot mode */
	const struct cost_profile *prof;
	gsl_rng *cost_rng;
	const struct kvm_trace_sink *trace;
	const struct kvm_lapic_vcpu_ops *ops;
	void *vcpu;

	sim_time_t tscdeadline;         /* armed deadline (sim time), 0: none */
	sim_time_t expired_tscdeadline; /* of the timer that just fired, for the advance logic */
	uint32_t timer_advance_ns;
	bool adaptive;
	bool hv_timer_in_use;
	sim_time_t hv_deadline;         /* VMX hv_deadline_tsc as sim time, -1: none */
	int pending;
	sim_handle_t hrtimer;           /* the host hrtimer's expiry */
	sim_handle_t ptimer;            /* the preemption timer counting in guest mode */
	bool injected;                  /* this entry delivers the timer interrupt */
	uint64_t fired_hv, fired_sw, msr_writes;
};

/* kvm_lapic_timer_init - the timer of a vCPU (its ops and context, what it shares with it). */
void kvm_lapic_timer_init(struct kvm_lapic_timer *t, struct sim *sim, const struct kvm_lapic_timer_conf *conf,
			  const struct kvm_era *era, uint32_t vcpu_id, bool oneshot, const struct cost_profile *prof,
			  gsl_rng *cost_rng, const struct kvm_trace_sink *trace, const struct kvm_lapic_vcpu_ops *ops,
			  void *vcpu);
/* kvm_set_lapic_tscdeadline_msr - the guest wrote IA32_TSC_DEADLINE (handled in root mode). */
void kvm_set_lapic_tscdeadline_msr(struct kvm_lapic_timer *t, sim_time_t deadline);
/* kvm_lapic_switch_to_sw_timer / _to_hv_timer - around a halt. */
void kvm_lapic_switch_to_sw_timer(struct kvm_lapic_timer *t);
void kvm_lapic_switch_to_hv_timer(struct kvm_lapic_timer *t);
/* kvm_apic_timer_expired - the timer is due: pending, to be injected on the next entry. */
void kvm_apic_timer_expired(struct kvm_lapic_timer *t);
/* kvm_inject_apic_timer_irqs - at entry: a pending expiry becomes the LVTT interrupt. */
void kvm_inject_apic_timer_irqs(struct kvm_lapic_timer *t);
/* kvm_wait_lapic_expire - at entry, after injection: the advance's busy-wait (returns ps spent). */
sim_time_t kvm_wait_lapic_expire(struct kvm_lapic_timer *t);
/* vmx_update_hv_timer - the vCPU entered guest mode: start the preemption timer counting. */
void vmx_update_hv_timer(struct kvm_lapic_timer *t);
/* vmx_stop_hv_timer - the vCPU left guest mode. */
void vmx_stop_hv_timer(struct kvm_lapic_timer *t);
/* lapic_tsc - the guest TSC at a simulated instant (for MSR values and deltas). */
uint64_t lapic_tsc(const struct kvm_lapic_timer *t, sim_time_t at);

#endif
