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
 * a successful poll's halt_ns excludes the last check (spec 1.6).
 *
 * Guest mode (guest.c). The guest runs a queue of operations: run for a
 * while, execute an instruction that exits (WRMSR, an x2APIC EOI, a port
 * write), a zero-time action, an EOI, or re-enable interrupts. Interrupt
 * handlers push their operations in front of the interrupted work. With an
 * empty queue the guest idles: HLT (vm.idle: halt) or a spin in guest mode
 * (idle=poll).
 *
 * Interrupts. Each vector has one IRR bit: a second arrival while it is
 * pending coalesces (its work added). An MSI reaches IRR after irq_deliver;
 * then a running vCPU takes it as a posted interrupt (APICv) or through a
 * kick (an EXTERNAL_INTERRUPT exit, then injection; if the guest has
 * interrupts off, an interrupt-window exit first), a polling vCPU sees it at
 * its next check, a sleeping one is woken (halt_wakeup). The LAPIC timer
 * (models/lapic) and EOI handling (models/eoi) are parts of the vCPU.
 *
 * Latency: the instant an interrupt's handler starts (guest_irq after it is
 * delivered) minus its arrival; a "wake latency" when the guest was idle
 * (halted, or polling in its idle loop) when the interrupt reached IRR.
 *
 * Accounting: guest, guest_poll (polling in the guest's idle loop), kvm,
 * poll_ok, poll_fail (host halt polling), sleep, runnable; the on-CPU parts
 * are charged to the pCPU too.
 */
#ifndef KVMSIM_VCPU_VCPU_H
#define KVMSIM_VCPU_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "models/cpuidle/haltpoll.h"
#include "models/eoi/eoi.h"
#include "models/haltpoll/kvm_halt.h"
#include "models/host/host.h"
#include "models/lapic/lapic.h"
#include "sim/hist.h"
#include "models/tracepoints/kvm_tp.h"
#include "workloads/source.h"

struct cost_profile;
struct cyclictest_thread;

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

/* ---- guest operations ---------------------------------------------------------- */

enum gop_kind {
	GOP_RUN,   /* guest-mode work for ps */
	GOP_EXIT,  /* an instruction that exits: reason, with arg/arg2 for the handler */
	GOP_CALL,  /* a guest-side action taking no time */
	GOP_EOI,   /* the end-of-interrupt write of vector arg, as the EOI mode does it */
	GOP_IRET,  /* the handler returns: interrupts on again */
};

struct vcpu;
struct gop;
typedef void gop_fn(struct vcpu *v, struct gop *op);

struct gop {
	uint8_t kind;
	uint8_t reason; /* GOP_EXIT: VMX exit reason */
	uint8_t task;   /* runs in a task (not in interrupt context): leaving idle for it restarts the tick */
	uint16_t port;  /* GOP_EXIT IO_INSTRUCTION */
	uint32_t msr;   /* GOP_EXIT MSR_WRITE */
	uint64_t arg;   /* MSR data, EOI vector, ... */
	sim_time_t ps;  /* GOP_RUN: remaining */
	gop_fn *fn;     /* GOP_CALL, or run in root mode when a GOP_EXIT is handled */
	void *ctx;
};

#define GOPQ_SIZE 64

/* ---- interrupt vectors ------------------------------------------------------------ */

enum vec_state { VEC_IDLE, VEC_INFLIGHT, VEC_IRR };

struct vcpu_vector {
	struct vcpu *v;
	uint8_t vector;
	bool msi;    /* a device MSI (else a local LAPIC interrupt: the timer) */
	bool level;  /* level-triggered (EOI goes to the IOAPIC; no PV EOI) */
	enum vec_state state;
	sim_time_t arrival, work;
	bool wake;
	bool has_src;
	struct source src;
	double kick_prob; /* virtio: share of handlers that end with a queue notify (port write) */
	uint16_t kick_port;
	uint64_t arrivals, coalesced, taken;
	gsl_rng *rng; /* kicks and task wake-ups */
	/* handler - push the guest operations of this vector's handler (front of the queue) */
	void (*handler)(struct vcpu *v, struct vcpu_vector *q);
};

#define VCPU_MAX_VEC 6
#define LOCAL_TIMER_VECTOR 0xec

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

struct vcpu_conf {
	bool apicv;                 /* APIC virtualization: posted interrupts, hardware EOI */
	double invalid_wakeup_prob; /* s390: share of wake-ups whose interrupt another vCPU takes */
	bool idle_poll;             /* guest idle=poll: spin in guest mode instead of HLT */
	bool oneshot;               /* the guest's clockevent is the one-shot LAPIC timer (TMICT), not TSC-deadline */
	bool nohz;                  /* NO_HZ idle: the guest stops its tick in idle */
	double task_prob;           /* share of device interrupts whose handler wakes a guest task */
	struct dist task_work;      /* the woken task's run time */
	const struct guest_haltpoll_conf *haltpoll; /* the guest's cpuidle-haltpoll, or NULL */
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

	/* the halt */
	struct kvm_vcpu_haltpoll hp;
	struct kvm_halt halt;
	struct kvm_halt_result res;
	bool in_halt;
	bool in_producer; /* tracing an event of the device's thread (kvm_set_msi) */
	gsl_rng *wake_rng;
	sim_time_t poll_start, poll_giveup, poll_end_at;
	int poll_end_kind;

	/* root mode: the exit being handled */
	unsigned exit_reason;
	bool exit_open;
	sim_time_t exit_at;
	gop_fn *exit_fn;
	struct gop exit_op;
	struct exit_stat exits[VMX_REASONS];
	uint64_t events[KVM_EV_N];

	/* the guest */
	struct gop q[GOPQ_SIZE];
	unsigned qhead, qn;
	sim_time_t run_since;
	bool guest_if;      /* the guest takes interrupts */
	bool irq_window;    /* KVM waits for the guest to enable interrupts */
	bool guest_idle;    /* the guest is in its idle loop */
	int idle_state;     /* cpuidle state entered (HALTPOLL_POLL/_HALT), -1: none */
	sim_time_t idle_since;
	sim_handle_t gpoll_ev; /* the guest poll's time limit */
	bool gpoll_expired;
	struct guest_haltpoll hpd;
	struct vcpu_vector vec[VCPU_MAX_VEC];
	int nvec;
	struct vcpu_vector *timer_vec;
	struct kvm_lapic_timer timer;
	struct kvm_apic_eoi eoi;
	struct guest_timers *gtimers; /* the guest's hrtimers on the LAPIC timer (guest.c) */
	struct cyclictest_thread *ct;

	/* results */
	struct sim_hist wake_lat, irq_lat; /* ns */
	uint64_t halts, invalid_wakeups, ipis;

	/* accounting */
	int acct;
	sim_time_t acct_since;
	sim_time_t acct_ps[VACCT_N];
	sim_time_t poll_pending_ps;
	sim_time_t unfinished_poll_ps; /* poll time of a halt still open when the run ended */

	const struct vcpu_tracer *tracer;
	struct kvm_halt_tracer ktracer; /* forwards the halt handler's events */
};

/* VTRACE - count tracepoint ev and, when tracing, format its payload with `call` into tb_. */
#define VTRACE(v, ev, call)                                                                          \
	do {                                                                                         \
		(v)->events[ev]++;                                                                   \
		if ((v)->tracer) {                                                                   \
			char tb_[256];                                                               \
			call;                                                                        \
			(v)->tracer->event((v)->tracer->ctx, (v), ev, tb_);                          \
		}                                                                                    \
	} while (0)

/* vcpu_init - a vCPU of `vm` pinned to `cpu`; tracer may be NULL (events still counted). */
void vcpu_init(struct vcpu *v, struct sim *sim, struct pcpu *cpu, struct kvm_vm_haltpoll *vm,
	       uint32_t vcpu_id, int index, const char *name, int pid, const struct cost_profile *prof,
	       const struct vcpu_conf *conf, const struct vcpu_tracer *tracer, uint64_t seed);
/* vcpu_add_msi - a device interrupt source on `vector` (before vcpu_start). */
int vcpu_add_msi(struct vcpu *v, uint8_t vector, const struct source_conf *sc, double kick_prob,
		 uint64_t seed, const char *name, char *err, size_t errlen);
void vcpu_start(struct vcpu *v);
/* vcpu_finish - close the accounting at now; a poll still in progress counts as failed. */
void vcpu_finish(struct vcpu *v);
void vcpu_free(struct vcpu *v);

/* ---- between the vCPU's parts (vcpu.c, guest.c, models/lapic, models/eoi) -------- */

/* vcost - the cost of path id for this occurrence (ps), with the profile's spread. */
sim_time_t vcost(struct vcpu *v, int id);
/* vcpu_exit - leave guest mode for `reason`; the handler takes vmexit + cost, then fn runs. */
void vcpu_exit(struct vcpu *v, unsigned reason, uint32_t intr_info, uint64_t rip, sim_time_t cost,
	       gop_fn *fn, const struct gop *op);
/* vcpu_has_events - kvm_vcpu_check_block(): an interrupt in IRR or a pending timer. */
bool vcpu_has_events(const struct vcpu *v);
/* vcpu_kick - an event for the vCPU became pending (kvm_vcpu_kick()). */
void vcpu_kick(struct vcpu *v);
/* vcpu_accept_irq - vector q reaches IRR (__apic_accept_irq()). */
void vcpu_accept_irq(struct vcpu *v, struct vcpu_vector *q);

/* vcpu_halt - the guest executes HLT with nothing to do. */
void vcpu_halt(struct vcpu *v);
/* vcpu_set_guest_acct - guest or guest_poll, while in guest mode. */
void vcpu_set_guest_acct(struct vcpu *v, bool polling);

/* guest.c */
void guest_push_front(struct vcpu *v, const struct gop *op);
void guest_push_back(struct vcpu *v, const struct gop *op);
void guest_resume(struct vcpu *v);    /* the vCPU is in guest mode: run the queue */
void guest_pause(struct vcpu *v);     /* leaving guest mode: stop the running operation */
void guest_take_interrupt(struct vcpu *v, struct vcpu_vector *q); /* deliver q into the guest */
struct vcpu_vector *vcpu_highest_irr(struct vcpu *v);

#endif
