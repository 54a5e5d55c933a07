/*
 * guest.h - the guest OS on one of its vCPUs: what runs there, its idle loop,
 * its timers, and how it takes interrupts. It meets KVM only through the
 * virtual hardware of models/guest/hw.h.
 *
 * The guest runs a queue of operations (guest.c): run for a while, execute an
 * instruction that may exit, a zero-time action, an EOI, or the return from an
 * interrupt handler (interrupts on again). Interrupt handlers push their
 * operations in front of the interrupted work; a task's work (op.task) goes
 * to the back. The queue grows as needed: an overloaded guest builds a
 * backlog, as a real one does.
 *
 * Interrupts (guest.c). A delivered interrupt runs the handler's entry
 * (guest_irq), records its latency (handler start minus arrival; a wake
 * latency too when the guest was idle as it reached IRR), EOIs (through the PV
 * EOI word when KVM left it set, else an EOI write), then the timer interrupt
 * runs the expired hrtimers, and a device's handler its work; a virtio
 * handler may end with a queue notify (an OUT), and the data may wake a task.
 *
 * Idle (idle.c). With an empty queue the guest idles: HLT (default_idle),
 * spinning in guest mode (idle=poll), or cpuidle-haltpoll's governor
 * (models/cpuidle/haltpoll.h) choosing between polling and HLT. Entering idle
 * stops the tick with NO_HZ; leaving it for a task restarts it.
 *
 * Timers (timers.c). The guest kernel's hrtimers multiplexed onto its LAPIC
 * timer clockevent as Linux does: starting a timer that becomes the earliest
 * programs the clockevent, by writing IA32_TSC_DEADLINE (TSC-deadline mode) or
 * the initial count TMICT (one-shot mode: x2APIC MSR 0x838, or the APIC page
 * in xAPIC mode), each an exit; the timer interrupt runs the expired timers
 * (hrtimer_interrupt) and programs the next expiry. An interrupt that comes
 * early finds nothing expired and reprograms.
 */
#ifndef KVMSIM_GUEST_GUEST_H
#define KVMSIM_GUEST_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "models/costs/costs.h"
#include "models/cpuidle/haltpoll.h"
#include "models/guest/hw.h"
#include "sim/dist.h"
#include "sim/event.h"
#include "sim/hist.h"

struct cost_profile;

/* ---- operations ------------------------------------------------------------------------ */

enum gop_kind {
	GOP_RUN,  /* guest-mode work for ps */
	GOP_INSN, /* an instruction that may exit */
	GOP_CALL, /* a guest-side action taking no time */
	GOP_EOI,  /* the end-of-interrupt of vector arg */
	GOP_IRET, /* the handler returns: interrupts on again */
};

struct gop;
typedef void gop_fn(struct guest_cpu *g, struct gop *op);

struct gop {
	uint8_t kind;
	uint8_t task;  /* runs in a task (not in interrupt context): leaving idle for it restarts the tick */
	uint8_t wake;  /* the latency call: the guest was idle when the interrupt reached IRR */
	uint8_t spin;  /* GOP_RUN: a task's busy-wait, ended early by guest_spin_end() */
	sim_time_t ps; /* GOP_RUN: remaining */
	union {
		struct guest_insn insn; /* GOP_INSN */
		struct {
			gop_fn *fn;   /* GOP_CALL */
			void *ctx;
			uint64_t arg; /* EOI vector, arrival time of the latency call */
		};
	};
};

/* ---- timers ---------------------------------------------------------------------------- */

#define GUEST_MAX_TIMERS 4

struct guest_timer {
	sim_time_t expires;
	bool armed;
	/* fn - the timer expired; runs in the timer interrupt */
	void (*fn)(struct guest_cpu *g, void *ctx);
	void *ctx;
};

struct guest_timers {
	struct guest_timer t[GUEST_MAX_TIMERS];
	int n;
	sim_time_t programmed; /* the deadline last written, 0: none */
	struct guest_timer *tick;
	sim_time_t tick_period;
	bool tick_stopped; /* NO_HZ: stopped while idle */
};

/* ---- a spinlock the VM's vCPUs share (lock.c) ----------------------------------------- */

/* One iteration of a spin-wait loop: a look at the lock and a PAUSE (well under ple_gap). */
#define GUEST_SPIN_ITER_PS (20 * SIM_NS)

struct guest_cpu;
/* A ticket spinlock: FIFO, as the guest kernel's queued spinlock is (waiters served in order). */
struct guest_spinlock {
	bool held;
	struct guest_cpu *owner;
	uint64_t next, serving; /* the next ticket to hand out; the ticket whose turn it is */
	sim_time_t hold, every; /* the critical section; the work between two of them */
};

struct guest_lock_stats {
	uint64_t acquired, contended; /* taken; found held first (a spin began) */
	sim_time_t spin_ps;           /* time spent spinning (wall time, preempted stretches included) */
};

/* ---- the guest on one vCPU ------------------------------------------------------------- */

struct guest_conf {
	bool idle_poll;        /* idle=poll: spin in guest mode instead of HLT */
	bool oneshot;          /* the clockevent is the one-shot LAPIC timer (TMICT), not TSC-deadline */
	bool x2apic;           /* x2APIC mode: LAPIC writes are WRMSR; else the xAPIC page */
	bool pv_eoi;           /* the guest enabled MSR_KVM_PV_EOI_EN */
	bool pv_send_ipi;      /* KVM_FEATURE_PV_SEND_IPI: IPIs to other CPUs by KVM_HC_SEND_IPI (ipi.c) */
	bool nohz;             /* NO_HZ idle: the tick stops in idle */
	/* a device interrupt's work runs in its hard interrupt handler, interrupts off, before its
	 * EOI (else after the handler's EOI and return, interrupts on: softirq or NAPI work) */
	bool work_in_handler;
	double task_prob;      /* share of device interrupts whose handler wakes a guest task */
	struct dist task_work; /* the woken task's run time */
	const struct guest_haltpoll_conf *haltpoll; /* cpuidle-haltpoll, or NULL */
};

/* A device's driver: its interrupt vector, and whether its handler notifies the device. */
struct guest_driver {
	uint8_t vector;
	double kick_prob; /* virtio: share of handlers that end with a queue notify (port write) */
	uint16_t kick_port;
	gsl_rng *rng;     /* kicks and task wake-ups */
	gop_fn *handler;  /* a driver's own handler (virtio_blk.c), run in place of the workload's work */
	void *handler_ctx;
	gop_fn *ipi_handler; /* an IPI's handler (ipi.c): runs in the interrupt, before it returns */
	void *ipi_ctx;
};

#define GUEST_MAX_DRIVERS 8

struct guest_cpu {
	struct sim *sim;
	const struct cost_profile *prof;
	gsl_rng *cost_rng; /* the costs' spread: one stream with the vCPU's (not owned) */
	char name[32];
	struct guest_conf conf;
	struct guest_hw hw;
	struct guest_shared shared;
	bool in_guest; /* guest mode */
	bool acct_polling; /* what the vCPU was last told its guest-mode time is (reset by entry) */

	/* the queue: a ring that grows */
	struct gop *q;
	unsigned qcap, qhead, qn;
	sim_handle_t run_ev; /* the GOP_RUN at the front ends */
	sim_time_t run_since;

	/* interrupts */
	struct guest_driver drv[GUEST_MAX_DRIVERS];
	int ndrv;
	uint64_t idle_at_irr[4]; /* per vector: the guest was idle when it reached IRR */

	/* idle */
	bool idle;          /* in the idle loop */
	int idle_state;     /* cpuidle state entered (HALTPOLL_POLL/_HALT), -1: none */
	sim_time_t idle_since;
	sim_handle_t gpoll_ev; /* the poll's time limit */
	bool gpoll_expired;
	struct guest_haltpoll hpd;
	struct poll_source *poll_sources; /* poll_source.h: polled by poll_idle(), a list */
	bool psrc_started;                /* their start() ran for the current poll */
	sim_time_t psrc_since;            /* the poll's start: its iterations' grid */
	sim_handle_t psrc_ev;             /* the iteration at which a source's work is seen */

	struct guest_timers timers;

	/* results */
	struct sim_hist wake_lat, irq_lat; /* ns */
	struct guest_lock_stats lock;
	bool lock_spinning;
	uint64_t lock_ticket; /* this vCPU's ticket while it waits */
	sim_time_t lock_spin_since;
};

/* guest_init - the guest on one vCPU; cost_rng is the vCPU's cost stream (shared, not owned). */
void guest_init(struct guest_cpu *g, struct sim *sim, const char *name, const struct cost_profile *prof,
		gsl_rng *cost_rng, const struct guest_conf *conf, struct guest_hw hw);
/* guest_add_driver - the driver of a device interrupting on vector; -1 with a message. */
int guest_add_driver(struct guest_cpu *g, uint8_t vector, double kick_prob, uint64_t seed, const char *name,
		     char *err, size_t errlen);
/* guest_set_driver_handler - the driver on vector runs fn(ctx) as its handler; -1: no such driver. */
int guest_set_driver_handler(struct guest_cpu *g, uint8_t vector, gop_fn *fn, void *ctx);
/* guest_spin_end - the first queued busy-wait (a GOP_RUN with spin) ends now. */
void guest_spin_end(struct guest_cpu *g);
/* guest_stats_reset - the warm-up ends: latencies and idle counters start again from now. */
void guest_stats_reset(struct guest_cpu *g);
void guest_free(struct guest_cpu *g);

/* ---- for the guest's programs (workloads) -------------------------------------------- */

/* guest_cost - the cost of path id for this occurrence (ps), with the profile's spread. */
#define guest_cost(g, id) cost_draw((g)->prof, (g)->cost_rng, (id))
/* guest_push_front / _back - queue an operation before everything / after everything. */
void guest_push_front(struct guest_cpu *g, const struct gop *op);
void guest_push_back(struct guest_cpu *g, const struct gop *op);

/* guest_lock_start - the guest's program: work for l->every, take l, hold it l->hold, again. */
void guest_lock_start(struct guest_cpu *g, struct guest_spinlock *l);
/* guest_lock_finish - the run ends: a spin in progress counts up to now. */
void guest_lock_finish(struct guest_cpu *g);
/* guest_send_ipi - (in guest context) send `vector` to the CPU whose APIC ID is dest: the ICR
 * write (x2APIC MSR, or ICR2 and ICR in xAPIC mode) or KVM_HC_SEND_IPI, before what is queued. */
void guest_send_ipi(struct guest_cpu *g, uint32_t dest, uint8_t vector);
/* guest_set_ipi_handler - fn runs (with ctx) in the handler of IPI `vector`; -1 with a message. */
int guest_set_ipi_handler(struct guest_cpu *g, uint8_t vector, gop_fn *fn, void *ctx, char *err, size_t errlen);
/* guest_idle_polling - the CPU idles polling (idle=poll, haltpoll's poll state): TIF_POLLING_NRFLAG
 * is set, so a waker sets need_resched instead of sending an IPI. */
bool guest_idle_polling(const struct guest_cpu *g);
/* guest_timer_new - a timer of this guest; NULL if it has too many. */
struct guest_timer *guest_timer_new(struct guest_cpu *g, void (*fn)(struct guest_cpu *, void *), void *ctx);
/* guest_timer_start - (in guest context) arm t; the next guest operation may be the timer write. */
void guest_timer_start(struct guest_cpu *g, struct guest_timer *t, sim_time_t expires);
/* guest_tick_start - a periodic guest timer (the tick) of period ps, from the guest's start. */
void guest_tick_start(struct guest_cpu *g, sim_time_t period);

/* ---- between the guest's parts (guest.c, idle.c, timers.c) ----------------------------- */

void guest_pause(struct guest_cpu *g);
/* guest_account - tell the vCPU whether guest-mode time is polling now (only when it changes). */
void guest_account(struct guest_cpu *g, bool polling);
/* guest_idle_loop - the queue is empty: true if the guest spins in guest mode, false if it halted. */
bool guest_idle_loop(struct guest_cpu *g);
/* guest_idle_state_end - the cpuidle state entered returns (cpuidle_enter_state()). */
void guest_idle_state_end(struct guest_cpu *g, bool timed_out);
void guest_nohz_idle_enter(struct guest_cpu *g);
void guest_nohz_idle_exit(struct guest_cpu *g);
/* guest_timers_interrupt - the LAPIC timer interrupt's handler (a GOP_CALL). */
void guest_timers_interrupt(struct guest_cpu *g, struct gop *op);

#endif
