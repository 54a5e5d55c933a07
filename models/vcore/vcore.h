/*
 * vcore.h - PowerPC Book3S HV virtual-core halt polling: kvmppc_vcore_blocked()
 * of arch/powerpc/kvm/book3s_hv.c per kernel era (docs/kernel-behaviour.md §2).
 *
 * On POWER7/POWER8 hosts KVM runs the vCPUs of a guest core together as one
 * virtual core (vcore) of up to 8 threads. A vCPU with nothing to do makes the
 * H_CEDE hypercall; the vcore blocks only when every runnable vCPU in it has
 * ceded and none is woken (pending exception, prodded, doorbell). One thread,
 * the vcore's runner, then calls kvmppc_vcore_blocked() for all of them:
 *
 *   poll    if vc->halt_poll_ns: spin up to that long (while the runner is the
 *           only task on its CPU, and from 5.15 no reschedule is pending)
 *           re-checking the threads; a wake-up found ends the block ("poll")
 *   sleep   otherwise (or if the poll found nothing) sleep until woken,
 *           tracing kvmppc_vcore_blocked Enter / Exit around the sleep; a
 *           wake-up found just before sleeping also ends it ("poll")
 *   adapt   the window per era (below), then kvmppc_vcore_wakeup
 *
 * State: one window per vcore, vc->halt_poll_ns (u32 ns, 0 at creation), not
 * one per vCPU. Statistics are charged to the runner vCPU, under KVM's names:
 * halt_attempted_poll, halt_successful_poll (including the wake-up found
 * before sleeping, if a poll ran), halt_successful_wait (powerpc's own),
 * halt_poll_success_ns, halt_poll_fail_ns, halt_wait_ns (all from 4.8), and
 * from 5.15 the three log2 histograms. halt_wakeup is charged to the vCPU
 * that is kicked, not the runner, and is not kept here.
 *
 * The adaptation, with T the block time (cur - start_poll) and MAX the
 * ceiling: kvm_hv.halt_poll_max_ns in 4.8-4.13 (default
 * KVM_HALT_POLL_NS_DEFAULT, with kvm_hv's own grow 2 and shrink 0), the live
 * kvm.halt_poll_ns from 4.14 (KVM_CAP_HALT_POLL is not read):
 *
 *   MAX == 0                          window = 0
 *   T <= window                       unchanged
 *   window && T > MAX                 shrink: window / shrink, or 0 if shrink is 0
 *   window < MAX && T < MAX           grow
 *   4.14+, then                       window = min(window, MAX)
 *
 * What is the same as the generic rules (models/haltpoll/policy_kvm.c): the
 * three-way decision, grow from a fixed 10000 up to 5.0 and from
 * halt_poll_ns_grow_start from 5.1, the u32 arithmetic. What differs: shrink
 * has NO floor (with shrink 2 a window halves 10000, 5000, 2500, ... where
 * the generic rule of 5.15+ resets it to 0), grow is capped at MAX only in
 * 4.8-4.13 (no cap from 4.14, the clamp after adapting instead), there are no
 * invalid wake-ups and no kvm_arch_no_poll(), success is "did not sleep",
 * and there is no kvm_halt_poll_ns tracepoint: only kvmppc_vcore_wakeup,
 * whose payload does not show the window.
 *
 * Before 4.8 the vcore never polls: it sleeps, with no kvmppc_vcore_wakeup.
 * On POWER9 (ARCH_300) from 5.16 a ceded vCPU runs alone and sleeps at once
 * (kvmhv_run_single_vcpu()): no polling, no statistics, no
 * kvmppc_vcore_wakeup, and kvmppc_vcore_blocked reports runnable=0, since
 * that path no longer counts runnable threads. Before 5.16 POWER9 goes
 * through kvmppc_vcore_blocked() as POWER8 does.
 *
 * The caller owns the clock, as with models/haltpoll/kvm_halt.h:
 * kvmppc_vcore_block_begin() says how long to poll, the caller runs the poll
 * and the sleep, calls kvmppc_vcore_block_sleep() when it goes to sleep, and
 * reports through struct kvmppc_vcore_result to kvmppc_vcore_block_end().
 * Timestamps are ktime_get() nanoseconds.
 */
#ifndef KVMSIM_VCORE_VCORE_H
#define KVMSIM_VCORE_VCORE_H

#include <stdbool.h>
#include <stdint.h>

#include "models/haltpoll/kvm_era.h"
#include "models/haltpoll/kvm_halt.h"

#define KVMPPC_MAX_SMT_THREADS 8

/* The host processor: which run path KVM takes (cpu_has_feature(CPU_FTR_ARCH_300)). */
enum kvmppc_cpu {
	KVMPPC_POWER8, /* POWER7 / POWER8: vcores and kvmppc_run_vcpu() */
	KVMPPC_POWER9, /* POWER9 and later (ARCH_300) */
};

/* The tracepoints of the kvm_hv system this path emits. */
struct kvmppc_vcore_tracer {
	void (*vcore_blocked)(void *ctx, bool exit, uint32_t runner_vcpu, int n_runnable);
	void (*vcore_wakeup)(void *ctx, bool waited, uint64_t ns);
	void *ctx;
};

/* The runner vCPU's statistics: KVM's generic halt statistics plus powerpc's own. */
struct kvmppc_vcore_stat {
	struct kvm_vcpu_stat generic;
	uint64_t halt_successful_wait;
};

/* struct kvmppc_vcore, the part that halt polling reads and writes. */
struct kvmppc_vcore {
	const struct kvm_era *era;
	enum kvmppc_cpu cpu;
	const struct kvm_module_params *param; /* kvm's live parameters (4.14+), or kvm_hv's grow/shrink */
	uint32_t halt_poll_max_ns;             /* kvm_hv.halt_poll_max_ns, read in 4.8-4.13 only */
	uint32_t halt_poll_ns;                 /* vc->halt_poll_ns */
	int n_runnable;                        /* runnable threads (1..8) */
	uint32_t runner_vcpu;                  /* vc->runner->vcpu_id */
	struct kvmppc_vcore_stat *runner_stat; /* vc->runner->stat: where statistics go */
	const struct kvmppc_vcore_tracer *tracer;
};

/* One kvmppc_vcore_blocked() in progress. */
struct kvmppc_vcore_block {
	int64_t start_poll;
	uint32_t poll_ns; /* the window this block polls (0: none) */
	bool slept;       /* kvmppc_vcore_block_sleep() was called */
	int64_t start_wait;
};

/*
 * What the caller observed: when the block ended (after the sleep, or at the
 * wake-up the poll loop or the check before sleeping found; the kernel counts
 * both of these alike).
 */
struct kvmppc_vcore_result {
	int64_t cur;
};

/* kvmppc_vcore_init - a vcore with window 0 (kzalloc'd in the kernel), one runnable thread. */
void kvmppc_vcore_init(struct kvmppc_vcore *vc, const struct kvm_era *era, enum kvmppc_cpu cpu,
		       const struct kvm_module_params *param, uint32_t halt_poll_max_ns,
		       uint32_t runner_vcpu, struct kvmppc_vcore_stat *runner_stat,
		       const struct kvmppc_vcore_tracer *tracer);

/* kvmppc_vcore_polls - this release and processor poll at all. */
bool kvmppc_vcore_polls(const struct kvmppc_vcore *vc);

/* kvmppc_vcore_max_ns - the ceiling MAX the adaptation decides against. */
uint32_t kvmppc_vcore_max_ns(const struct kvmppc_vcore *vc);

/* kvmppc_vcore_block_begin - the top of kvmppc_vcore_blocked(): the window to poll. */
void kvmppc_vcore_block_begin(struct kvmppc_vcore *vc, struct kvmppc_vcore_block *b, int64_t now);

/* kvmppc_vcore_block_sleep - no wake-up found: the runner sleeps (kvmppc_vcore_blocked Enter). */
void kvmppc_vcore_block_sleep(struct kvmppc_vcore *vc, struct kvmppc_vcore_block *b, int64_t now);

/* kvmppc_vcore_block_end - after the poll or the sleep: statistics, adaptation, tracepoints. */
void kvmppc_vcore_block_end(struct kvmppc_vcore *vc, const struct kvmppc_vcore_block *b,
			    const struct kvmppc_vcore_result *r);

/* kvmppc_vcore_adapt - the window's adaptation to a block of block_ns (part of _end). */
void kvmppc_vcore_adapt(struct kvmppc_vcore *vc, uint64_t block_ns);

/*
 * kvmppc_vcore_replay - one whole-vcore block of block_ns at *now (advanced past
 * it), with the idealised timing of `haltpoll replay`: a block no longer than
 * the window is a successful poll of that length (a block of 0 was woken at
 * the first check), a longer one polls the whole window, then sleeps. The
 * clock restarts at 0 rather than overflow (only its differences are read).
 */
void kvmppc_vcore_replay(struct kvmppc_vcore *vc, int64_t *now, uint64_t block_ns);

#endif
