/*
 * vcpu.h - a vCPU thread: guest mode, VM exits, the halt handler, entry.
 *
 * State machine (DESIGN.md "A halt and its wake-up"):
 *
 *   GUEST --HLT--> EXIT (vmexit + hlt_exit) --> kvm_vcpu_halt():
 *       an interrupt already in IRR: no halt, straight to ENTRY
 *       POLL (poll_iter per check) --wake event seen--> HALT_DONE
 *            --window spent, or another task runnable / need_resched (5.13+)-->
 *       BLOCK_PREP (block_prepare) --event arrived meanwhile--> HALT_DONE
 *            --else--> BLOCKED (the thread sleeps; the pCPU runs something else or idles)
 *       BLOCKED --interrupt: kvm_vcpu_kick() wakes the thread--> WAKING
 *            (IPI, idle exit, context switch) --> HALT_DONE (halt_finish)
 *   HALT_DONE / EXIT --> [preemption point] --> ENTRY (vmentry [+ inject]) --> GUEST
 *
 * The poll loop is not simulated check by check: its checks fall on a grid of
 * poll_iter from the loop's start, and the loop's end (first check that sees a
 * wake event, the first can_poll() that fails, or the window's end) is
 * computed when something changes. The kernel's timestamps (start, poll_end,
 * cur) are taken on that grid exactly as kvm_vcpu_halt() takes them, so a
 * successful poll's halt_ns excludes the last check (spec 1.6).
 *
 * Interrupts. Each source raises one vector: an arrival while the same vector
 * is still pending is coalesced into it (IRR is a bit), carrying its work. An
 * arrival reaches IRR after irq_deliver; then a vCPU in guest mode takes it
 * through an IPI (a posted interrupt with APICv, else an EXTERNAL_INTERRUPT
 * exit and injection), a polling vCPU sees it at its next check, a sleeping
 * one is woken (halt_wakeup). The guest's handler starts guest_irq after the
 * entry; that instant minus the arrival is the interrupt's latency, a "wake
 * latency" when the vCPU was halted when the interrupt reached it.
 *
 * Accounting. A vCPU's time is guest, kvm, poll_ok, poll_fail, sleep or
 * runnable (waiting for its pCPU); on-CPU parts are charged to the pCPU too.
 */
#ifndef KVMSIM_VCPU_VCPU_H
#define KVMSIM_VCPU_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "models/haltpoll/kvm_halt.h"
#include "models/host/host.h"
#include "sim/hist.h"
#include "workloads/source.h"

enum vcpu_state {
	VCPU_NEW,
	VCPU_GUEST,
	VCPU_EXIT,
	VCPU_POLL,
	VCPU_BLOCK_PREP,
	VCPU_BLOCKED,
	VCPU_WAKING,
	VCPU_HALT_DONE,
	VCPU_PREEMPTED,
	VCPU_ENTRY,
};

enum vcpu_acct { VACCT_GUEST, VACCT_KVM, VACCT_POLL_OK, VACCT_POLL_FAIL, VACCT_SLEEP, VACCT_RUNNABLE, VACCT_N,
		 VACCT_POLL = VACCT_N };

extern const char *const vcpu_acct_names[VACCT_N];

#define VCPU_MAX_IRQ 4

enum irq_state { IRQ_NONE, IRQ_INFLIGHT, IRQ_IRR };

struct vcpu;

struct vcpu_irq {
	struct vcpu *v;
	struct source src;
	enum irq_state state;
	sim_time_t arrival;
	sim_time_t work;
	bool wake; /* the vCPU was halted when this interrupt reached IRR */
	uint64_t coalesced;
};

/* Tracepoints a vCPU emits, each at the simulated instant the kernel would. */
struct vcpu_tracer {
	void (*exit)(void *ctx, const struct vcpu *v, unsigned reason, uint32_t intr_info, uint64_t rip);
	void (*entry)(void *ctx, const struct vcpu *v, uint64_t rip);
	void (*halt_poll_ns)(void *ctx, const struct vcpu *v, bool grow, uint32_t new_ns, uint32_t old_ns);
	void (*vcpu_wakeup)(void *ctx, const struct vcpu *v, uint64_t ns, bool waited, bool valid);
	void *ctx;
};

struct vcpu_conf {
	bool apicv;                 /* posted interrupts: no exit to deliver to a running vCPU */
	double invalid_wakeup_prob; /* s390: share of wake-ups whose interrupt another vCPU takes */
};

struct vcpu {
	struct host_task task;
	struct sim *sim;
	const sim_time_t *cost; /* ps, indexed by enum cost_id */
	char name[32];
	int index;
	struct vcpu_conf conf;
	enum vcpu_state state;
	sim_handle_t ev, ipi_ev;

	struct kvm_vcpu_haltpoll hp;
	struct kvm_halt halt;
	struct kvm_halt_result res;
	bool in_halt;
	gsl_rng *wake_rng; /* invalid wake-ups */

	sim_time_t poll_start, poll_giveup, poll_end_at;
	int poll_end_kind;

	sim_time_t backlog, guest_since;
	struct vcpu_irq irq[VCPU_MAX_IRQ];
	int nirq;

	struct sim_hist wake_lat, irq_lat; /* ns */
	uint64_t halts, invalid_wakeups, exits_extint, ipis;

	int acct;
	sim_time_t acct_since;
	sim_time_t acct_ps[VACCT_N];
	sim_time_t poll_pending_ps;
	sim_time_t unfinished_poll_ps; /* poll time of a halt still open when the run ended */

	const struct vcpu_tracer *tracer;
	struct kvm_halt_tracer ktracer; /* forwards the halt handler's events to tracer */
};

/* vcpu_init - a vCPU of `vm` pinned to `cpu`; tracer may be NULL (no tracing, no cost). */
void vcpu_init(struct vcpu *v, struct sim *sim, struct pcpu *cpu, struct kvm_vm_haltpoll *vm,
	       uint32_t vcpu_id, int index, const char *name, int pid, const sim_time_t *cost,
	       const struct vcpu_conf *conf, const struct vcpu_tracer *tracer, uint64_t seed);
/* vcpu_add_irq - an interrupt source for this vCPU (before vcpu_start). */
int vcpu_add_irq(struct vcpu *v, const struct source_conf *sc, uint64_t seed, const char *name, char *err,
		 size_t errlen);
void vcpu_start(struct vcpu *v);
/* vcpu_finish - close the accounting at now; a poll still in progress counts as failed. */
void vcpu_finish(struct vcpu *v);
void vcpu_free(struct vcpu *v);

#endif
