/*
 * vcpu.h - a vCPU thread: guest mode, VM exits, the halt handler, entry.
 *
 * Root mode (vcpu.c). Every VM exit has a reason and is traced (kvm_exit);
 * its handler runs for vmexit + the handler's cost, then the run loop passes
 * its preemption point and enters the guest again (kvm_entry), injecting the
 * highest pending interrupt when the guest can take it. The time from an exit
 * to the next entry is the exit's handling time (perf kvm stat).
 *
 *   HLT ------> kvm_vcpu_halt(): an event already pending: no halt
 *               POLL (a check every poll_iter) --event seen--> HALT_DONE
 *                    --window spent / another task runnable / need_resched (5.13+)-->
 *               BLOCK_PREP --event arrived meanwhile--> HALT_DONE
 *                    --else--> BLOCKED --kvm_vcpu_kick()--> WAKING (IPI, idle exit,
 *                    context switch) --> HALT_DONE --> ENTRY
 *
 * The poll loop is not simulated check by check: its checks fall on a grid of
 * poll_iter from the loop's start, and the loop's end is computed when
 * something it checks changes; the kernel's timestamps fall on that grid, so
 * a successful poll's halt_ns excludes the last check (docs/kernel-behaviour.md §1.6).
 *
 * Guest mode belongs to the guest OS (models/guest), which this side meets
 * only at the virtual hardware (models/guest/hw.h): the instructions it
 * executes that exit (exec.c decodes them: HLT, WRMSR, xAPIC writes, OUT,
 * PAUSE under pause-loop exiting, whose handler runs kvm_vcpu_on_spin(), the
 * ICR writes and the VMCALL that send IPIs to other vCPUs, ipi.h),
 * RFLAGS.IF and the PV EOI word, entry and exit, interrupt delivery.
 *
 * Interrupts. Each vector has one IRR bit: a second arrival while it is
 * pending coalesces (its work added). An MSI reaches IRR after irq_deliver;
 * then a running vCPU takes it as a posted interrupt (APICv) or through a
 * kick (an EXTERNAL_INTERRUPT exit, then injection; if the guest has
 * interrupts off, an interrupt-window exit first), a polling vCPU sees it at
 * its next check, a sleeping one is woken (halt_wakeup). The LAPIC timer
 * (models/lapic) and EOI handling (models/eoi) are parts of the vCPU.
 *
 * Latency is measured in the guest (models/guest/guest.h): from an
 * interrupt's arrival, which this side passes with the delivery, to its
 * handler's start.
 *
 * Accounting: guest, guest_poll (polling in the guest's idle loop), kvm,
 * poll_ok, poll_fail (host halt polling), sleep, runnable; the on-CPU parts
 * are charged to the pCPU too.
 */
#ifndef KVMSIM_VCPU_VCPU_H
#define KVMSIM_VCPU_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "models/eoi/eoi.h"
#include "models/guest/hw.h"
#include "models/haltpoll/kvm_halt.h"
#include "models/host/host.h"
#include "models/lapic/lapic.h"
#include "models/tracepoints/kvm_tp.h"
#include "sim/source.h"

struct cost_profile;

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

enum vcpu_acct { VACCT_GUEST, VACCT_GUEST_POLL, VACCT_KVM, VACCT_POLL_OK, VACCT_POLL_FAIL, VACCT_SLEEP,
		 VACCT_RUNNABLE, VACCT_N, VACCT_POLL = VACCT_N };

extern const char *const vcpu_acct_names[VACCT_N];

struct vcpu;
/* vcpu_exit_fn - an exit's handler, in root mode; in is the instruction that exited, or NULL. */
typedef void vcpu_exit_fn(struct vcpu *v, const struct guest_insn *in);

/* ---- interrupt vectors ------------------------------------------------------------ */

enum vec_state { VEC_IDLE, VEC_IRR };

struct vcpu_vector {
	struct vcpu *v;
	uint8_t vector;
	bool msi;    /* a device MSI (else a local LAPIC interrupt: the timer) */
	bool level;  /* level-triggered (EOI goes to the IOAPIC; no PV EOI) */
	enum vec_state state;
	sim_time_t arrival, work; /* the IRR bit's first arrival; the handler work the device produced */
	/* MSIs reach IRR irq_deliver after their raise, so in the order raised: raised and
	 * delivered count them (never reset). Those in flight with a recorded extra host
	 * wake-up delay (replayed traces), oldest first, keep it here until they get there,
	 * where it applies if the MSI wakes the vCPU's thread (msi.c) */
	uint64_t raised, delivered;
	struct vcpu_msi_wake {
		uint64_t seq; /* its number in raised */
		sim_time_t delay;
	} *fly;
	unsigned fly_head, fly_n, fly_cap;
	bool has_src;
	struct source src;
	uint64_t arrivals, coalesced;
};

#define VCPU_MAX_VEC 6

/* ---- exits ------------------------------------------------------------------------ */

#define VMX_REASONS 64

struct exit_stat {
	uint64_t n;
	sim_time_t sum, min, max;
	double mean_us, m2; /* Welford, for perf kvm stat's "+-" column */
};

/* Tracepoints: counted always, formatted only when a tracer is attached. */
struct vcpu_tracer {
	void (*event)(void *ctx, const struct vcpu *v, enum kvm_event ev, const char *payload);
	void *ctx;
};

/* kvm_intel's pause-loop exiting parameters (cycles); ple_gap 0: PLE off (kvm_pause_in_guest). */
struct kvm_ple_conf {
	uint32_t ple_gap;           /* max cycles between two PAUSEs of one loop (128) */
	uint32_t ple_window;        /* a loop longer than this exits (4096); the base of the per-vCPU window */
	uint32_t ple_window_grow;   /* 2: x2 per PAUSE exit (a value >= ple_window: added instead) */
	uint32_t ple_window_shrink; /* 0: back to ple_window when scheduled in (< ple_window: divide, else subtract) */
	uint32_t ple_window_max;    /* the grown window's ceiling */
};

/* The VM's vCPUs as kvm_vcpu_on_spin() walks them (kvm->vcpu_array, kvm->last_boosted_vcpu). */
struct kvm_spin_vm {
	struct vcpu **vcpus;
	int n;
	int last_boosted_vcpu;
};

struct vcpu_conf {
	struct kvm_ple_conf ple;
	bool apicv;                 /* APIC virtualization: posted interrupts, hardware EOI */
	double invalid_wakeup_prob; /* s390: share of wake-ups whose interrupt another vCPU takes */
	bool oneshot;               /* LVTT one-shot mode (the guest's choice at boot), not TSC-deadline */
	struct kvm_apic_eoi_conf eoi;
	struct kvm_lapic_timer_conf timer;
};

struct vcpu {
	struct host_task task;
	struct sim *sim;
	const struct cost_profile *prof;
	gsl_rng *cost_rng; /* costs with a spread (cv > 0) */
	char name[32];
	int index;
	struct vcpu_conf conf;
	enum vcpu_state state;
	sim_handle_t ev, ipi_ev;
	sim_time_t ipi_at; /* when ipi_ev arrives */
	bool ipi_in_entry; /* an IPI arrived during VM entry (interrupts off): it exits at once after */

	/* the halt */
	struct kvm_vcpu_haltpoll hp;
	struct kvm_halt halt;
	struct kvm_halt_result res;
	bool in_halt;
	bool in_producer; /* tracing an event of the device's thread (kvm_set_msi) */
	sim_time_t wake_delay; /* while an interrupt is accepted: the host's extra delay if it wakes the thread */
	bool wake_remote;      /* ... and whether its waker runs on another CPU (a reschedule IPI) */
	sim_time_t delayed_rest; /* a delayed wake-up (wake_delay) on its way: what is left of its delay
				  * once checked for ipi_guest (vcpu.c, ev_delayed_wake_check) */
	sim_time_t inj_arrival, inj_work; /* the interrupt being injected (vcpu_enter to ev_entered) */
	gsl_rng *wake_rng;
	sim_time_t poll_start, poll_giveup, poll_end_at;
	sim_time_t stall_until; /* a host interrupt's handler holds the pCPU until then (stall.c) */
	int poll_end_kind;

	/* root mode: the exit being handled */
	unsigned exit_reason;
	bool exit_open;
	sim_time_t exit_at;
	vcpu_exit_fn *exit_fn;
	struct guest_insn exit_insn;
	bool has_exit_insn;
	kvm_lapic_done_fn *lapic_done;   /* the LAPIC timer's exit, handled (apic.c) */
	kvm_apic_eoi_done_fn *eoi_done; /* an EOI exit, handled (apic.c) */
	struct exit_stat exits[VMX_REASONS];
	uint64_t events[KVM_EV_N];

	/* the guest, met at the virtual hardware */
	struct guest_cpu *guest;
	struct guest_shared *shared; /* RFLAGS.IF and the PV EOI word */
	bool irq_window; /* KVM waits for the guest to enable interrupts */
	struct vcpu_vector vec[VCPU_MAX_VEC];
	int nvec;
	unsigned irr_mask; /* bit i: vec[i] is in IRR (kept by vcpu_vec_set) */
	struct vcpu_vector *timer_vec;
	struct kvm_lapic_timer timer;
	struct kvm_apic_eoi eoi;

	/* pause-loop exiting and kvm_vcpu_on_spin() (exec.c) */
	struct kvm_spin_vm *spin_vm; /* NULL: no directed yield (a VM of one vCPU) */
	uint32_t ple_window;         /* this vCPU's window, cycles (vmx->ple_window) */
	sim_time_t ple_loop_start, ple_last_pause; /* the PAUSE loop the hardware is timing (0: none) */
	uint64_t pause_exits, directed_yield_attempted, directed_yield_successful;

	/* IPIs between vCPUs (ipi.c) */
	uint32_t icr2;                 /* xAPIC: the destination register last written */
	const struct vcpu *ipi_sender; /* while an IPI from that vCPU reaches this one's IRR */
	uint64_t ipis_sent, ipis_received;
	uint64_t icr_fastpath_exits; /* x2APIC ICR writes handled in the exit fastpath (ipi.c) */

	/* results */
	uint64_t halts, invalid_wakeups, ipis;
	void (*pio_write)(void *ctx, uint16_t port); /* KVM's I/O bus: ioeventfds on notify ports (or NULL) */
	void *pio_ctx;

	/* accounting */
	int acct;
	sim_time_t acct_since;
	sim_time_t acct_ps[VACCT_N];
	sim_time_t poll_pending_ps;
	sim_time_t unfinished_poll_ps; /* poll time of a halt still open when the run ended */
	sim_time_t blocked_poll_ps;    /* poll time of the halt now blocked (settled when it blocked) */

	const struct vcpu_tracer *tracer;
	struct kvm_trace_sink tsink;    /* events[], and tracer when tracing: for the vCPU and its parts */
	struct kvm_halt_tracer ktracer; /* forwards the halt handler's events */
};

/* VTRACE - count tracepoint ev and, when tracing, format its payload with `call` into tb_. */
#define VTRACE(v, ev, call) KVM_TRACE(&(v)->tsink, ev, call)

/* vcpu_init - a vCPU of `vm` pinned to `cpu`; tracer may be NULL (events still counted). */
void vcpu_init(struct vcpu *v, struct sim *sim, struct pcpu *cpu, struct kvm_vm_haltpoll *vm,
	       uint32_t vcpu_id, int index, const char *name, int pid, const struct cost_profile *prof,
	       const struct vcpu_conf *conf, const struct vcpu_tracer *tracer, uint64_t seed);
/* vcpu_attach_guest - the guest running on v, and the state both share (before vcpu_start). */
void vcpu_attach_guest(struct vcpu *v, struct guest_cpu *g, struct guest_shared *shared);
/* vcpu_guest_hw - the virtual hardware v offers its guest. */
struct guest_hw vcpu_guest_hw(struct vcpu *v);
/* vcpu_add_msi - a device interrupt source on `vector` (before vcpu_start). */
int vcpu_add_msi(struct vcpu *v, uint8_t vector, const struct source_conf *sc, uint64_t seed, const char *name,
		 char *err, size_t errlen);
/* vcpu_msi_raise - an irqfd was signalled: the MSI of q (added with an idle source) is raised. */
void vcpu_msi_raise(struct vcpu_vector *q);
void vcpu_start(struct vcpu *v);
/* vcpu_stats_reset - the warm-up ends: accounting, counters and KVM's statistics start again
 * from now (the halt-polling state itself, and the gauge `blocking`, carry on). */
void vcpu_stats_reset(struct vcpu *v);
/* vcpu_finish - close the accounting at now; a poll still in progress counts as failed. */
void vcpu_finish(struct vcpu *v);
void vcpu_free(struct vcpu *v);

/* ---- between the vCPU's parts (vcpu.c, exec.c, models/lapic, models/eoi) ---------- */

/* vcost - the cost of path id for this occurrence (ps), with the profile's spread. */
sim_time_t vcost(struct vcpu *v, int id);
/* vcpu_exit - leave guest mode for `reason`; the handler takes vmexit + cost, then fn runs. */
void vcpu_exit(struct vcpu *v, unsigned reason, uint32_t intr_info, uint64_t rip, sim_time_t cost,
	       vcpu_exit_fn *fn, const struct guest_insn *in);
/* vcpu_has_events - kvm_vcpu_check_block(): an interrupt in IRR or a pending timer. */
bool vcpu_has_events(const struct vcpu *v);
/* vcpu_stall - the running vCPU thread loses `cost` of its CPU to a host interrupt (its host_task_ops). */
void vcpu_stall(struct host_task *t, sim_time_t cost);

/* vcpu_kick - an event for the vCPU became pending (kvm_vcpu_kick()). */
void vcpu_kick(struct vcpu *v);
/* vcpu_accept_irq - vector q reaches IRR (__apic_accept_irq()). */
void vcpu_accept_irq(struct vcpu *v, struct vcpu_vector *q);

/* vcpu_vec_set - vector q's state becomes st. */
static inline void vcpu_vec_set(struct vcpu *v, struct vcpu_vector *q, enum vec_state st)
{
	unsigned bit = 1u << (q - v->vec);
	q->state = st;
	if (st == VEC_IRR)
		v->irr_mask |= bit;
	else
		v->irr_mask &= ~bit;
}

/* vcpu_halt - the guest executes HLT with nothing to do. */
void vcpu_halt(struct vcpu *v);
/* acct.c: the accounting. vcpu_acct - what the vCPU's time counts as from now (enum vcpu_acct,
 * or VACCT_POLL while the outcome is open); vcpu_acct_flush - charge the time up to now;
 * vcpu_resolve_poll - this halt's poll time succeeded (never slept) or failed;
 * vcpu_set_guest_acct - guest or guest_poll, while in guest mode. */
void vcpu_acct(struct vcpu *v, int a);
void vcpu_acct_flush(struct vcpu *v);
void vcpu_resolve_poll(struct vcpu *v, bool success);
void vcpu_set_guest_acct(struct vcpu *v, bool polling);
/* vcpu_take_irq - vector q leaves IRR for the guest (injection, or virtual interrupt delivery):
 * its arrival and work go with it; an arrival after this is a new interrupt. */
void vcpu_take_irq(struct vcpu *v, struct vcpu_vector *q, sim_time_t *arrival, sim_time_t *work);
/* vcpu_deliver - vector q enters the guest now (virtual interrupt delivery). */
void vcpu_deliver(struct vcpu *v, struct vcpu_vector *q);
struct vcpu_vector *vcpu_highest_irr(struct vcpu *v);

/* vcpu.c: the vCPU thread as its host sees it (life.c builds it with them) */
extern const struct host_task_ops vcpu_task_ops;
/* exec.c: the guest's instructions, as KVM and the hardware handle them */
extern const struct guest_hw_ops vcpu_guest_hw_ops;
/* shrink_ple_window - the vCPU is scheduled in again (vmx_sched_in / vcpu_load with scheduled_out). */
void shrink_ple_window(struct vcpu *v);
/* apic.c: what the LAPIC timer and EOI handling ask of their vCPU; where tracepoints go */
void vcpu_trace_emit(void *ctx, enum kvm_event ev, const char *payload);
extern const struct kvm_lapic_vcpu_ops vcpu_lapic_ops;
extern const struct kvm_apic_eoi_vcpu_ops vcpu_eoi_ops;

#endif
