/*
 * costs.h - cost profiles: what each modelled path costs on a given machine.
 *
 * A profile is one YAML file (models/costs/profiles/NAME.yaml, built into the
 * binary) naming the machine, its TSC frequency, its host idle states, and
 * the cost of every path in cycles, each with its source: a published figure,
 * or "fitted" with the reasoning that keeps it physically plausible, and
 * optionally its spread `cv` (the relative standard deviation of one
 * occurrence: cache and TLB state make kernel paths vary). A
 * scenario picks a profile by name (or path) and may override single entries
 * under `costs:`. Cycles are converted to picoseconds once, at load.
 */
#ifndef KVMSIM_COSTS_COSTS_H
#define KVMSIM_COSTS_COSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "models/host/host.h"
#include "sim/conf.h"
#include "sim/schema.h"

/* X(name, what it covers) */
#define COST_LIST(X)                                                                                \
	X(vmexit, "hardware VM exit and KVM's exit dispatch, up to the exit handler")               \
	X(vmentry, "the run loop back to the guest, including the hardware VM entry")              \
	X(inject, "injecting a pending interrupt on entry (kvm_inj_virq)")                          \
	X(hlt_exit, "handle_halt(): from the HLT exit to kvm_vcpu_halt()")                          \
	X(extint_exit, "an EXTERNAL_INTERRUPT exit: the host's IRQ handler, back to the run loop")  \
	X(poll_iter, "one halt-poll iteration: kvm_vcpu_check_block(), cpu_relax(), ktime_get()")  \
	X(block_prepare, "kvm_vcpu_block(): prepare to wait, the last check, into schedule()")      \
	X(halt_finish, "after the halt: statistics, grow/shrink, back to the run loop")             \
	X(ctxsw, "a host context switch, including KVM's vcpu_put()/vcpu_load()")                   \
	X(irq_deliver, "a device interrupt to the vCPU's IRR: kvm_set_msi() to kvm_vcpu_kick()")    \
	X(ipi, "an IPI, from send to the target CPU's handler")                                     \
	X(ipi_guest, "on top of ipi: a remote wake-up's reschedule IPI to a CPU running a vCPU in guest mode") \
	X(guest_irq, "guest interrupt entry, to its handler's first instruction")                   \
	X(msr_exit, "handle_wrmsr(): decoding an MSR write and dispatching it")                     \
	X(icr_write, "kvm_apic_send_ipi(): decoding the ICR, finding the destinations (APIC map)")  \
	X(pv_send_ipi, "a VMCALL exit's handler: kvm_emulate_hypercall(), kvm_pv_send_ipi()'s bitmap") \
	X(icr_fastpath, "what the x2APIC ICR write exit fastpath skips before the IPI goes out (5.6+)") \
	X(icr_fastpath_run, "what moving that fastpath into the vendor run loop saved on top (5.8+)") \
	X(posted_intr, "posting an IPI to a running vCPU: PIR and ON bits, the notification's send") \
	X(vcpu_kick, "kvm_vcpu_kick() of another vCPU: wake its thread or send it a reschedule IPI") \
	X(apic_eoi, "apic_set_eoi(): clearing the in-service vector, updating PPR")                 \
	X(apic_access_exit, "an APIC_ACCESS exit handled by the fasteoi shortcut")                 \
	X(eoi_induced_exit, "an EOI_INDUCED exit (APICv EOI-exit bitmap)")                          \
	X(pv_eoi_sync, "reading or clearing the guest's PV EOI word (cached mapping)")              \
	X(io_exit, "an IO_INSTRUCTION exit completed in the kernel (ioeventfd)")                   \
	X(irq_window_exit, "an INTERRUPT_WINDOW exit")                                              \
	X(tscdeadline_hv, "arming the VMX preemption timer (vmx_set_hv_timer)")                      \
	X(tscdeadline_sw, "arming the host hrtimer (start_sw_tscdeadline, hrtimer_start)")          \
	X(ptimer_exit, "a PREEMPTION_TIMER exit's handler (handle_preemption_timer)")               \
	X(ptimer_fastpath, "a PREEMPTION_TIMER exit handled in the exit fastpath (5.10+)")          \
	X(hrtimer_irq, "the host timer interrupt running apic_timer_fn() (hrtimer_interrupt)")      \
	X(timer_switch, "switching between the hv and sw timer around a halt")                      \
	X(guest_timer_irq, "guest: hrtimer_interrupt() waking the timer's task")                   \
	X(guest_wakeup, "guest: the woken task scheduled in, back in user space, clock_gettime()") \
	X(guest_timer_arm, "guest: the task's next clock_nanosleep() up to the TSC-deadline write") \
	X(guest_tick, "guest: the periodic tick's work (tick_sched_timer)")                       \
	X(guest_relax200, "guest: 200 cpu_relax() of poll_idle() between two reads of the clock") \
	X(blk_handle_notify, "device thread: a queue's ioeventfd read and virtio_blk_handle_output()") \
	X(blk_submit, "device thread: one request parsed and submitted to the host's storage")      \
	X(blk_complete, "device thread: one completion reaped, onto the used ring")                  \
	X(blk_irqfd_write, "device thread: write(2) to the irqfd's eventfd, up to eventfd_signal()")  \
	X(blk_dev_read, "the storage device's service time for one read (a distribution)")          \
	X(blk_dev_write, "the storage device's service time for one write (a distribution)")        \
	X(guest_blk_submit, "guest: fio's submission through the syscall, blk-mq and virtio_queue_rq()") \
	X(guest_blk_irq, "guest: vring_interrupt(), virtblk_done() and one request's completion")   \
	X(guest_vq_poll, "guest: one poll_source poll() of a virtqueue (its used index)")           \
	X(guest_blk_poll, "guest: one iteration of block-layer polling (blk_mq_poll, virtblk_poll)") \
	X(guest_fio_reap, "guest: fio reaping one completion in user space (its clat, its stats)")  \
	X(guest_blk_wake, "guest: a job woken by its completion scheduled in, back from its syscall") \
	X(guest_ipi_send, "guest: an IPI's send path up to the ICR write or the hypercall")         \
	X(guest_ipi_handler, "guest: an IPI handler's body (call-function or scheduler_ipi())")    \
	X(guest_futex_wake, "guest: FUTEX_WAKE, from the syscall to try_to_wake_up() queuing the waiter") \
	X(guest_futex_wait, "guest: FUTEX_WAIT, from the syscall to schedule() into idle")         \
	X(guest_sched_switch, "guest: schedule() out of idle to the woken thread, back in user space") \
	X(guest_nr_polling, "guest: a polling idle CPU seeing need_resched set by a waker (no IPI)") \
	X(vhost_kick, "vhost worker: woken by an ioeventfd or its tap socket, vhost_poll work to handle_tx/rx()") \
	X(vhost_net_tx, "vhost worker: handle_tx() for one packet: descriptors, an skb, tun_sendmsg()")   \
	X(net_bridge_fwd, "host: one packet from a tap through the bridge into the other tap's socket")   \
	X(vhost_net_rx, "vhost worker: handle_rx() for one packet: tun_recvmsg() into a guest RX buffer") \
	X(net_copy_kb, "copying 1 KiB of payload (guest user copy, or vhost's copy to or from the guest)") \
	X(guest_net_send, "guest: send(): the syscall, tcp_sendmsg(), IP output, virtio-net's start_xmit()") \
	X(guest_net_rx, "guest: NAPI receive of one packet: virtnet_receive(), ip_rcv(), tcp_v4_rcv()")   \
	X(guest_net_recv, "guest: recv() returning: tcp_recvmsg(), the copy to user, netperf's loop")      \
	X(guest_net_wake, "guest: the task woken by its socket scheduled in from idle") \
	X(vcore_exit, "powerpc: the last H_CEDE to the runner back in the host (optional off POWER)") \
	X(vcore_entry, "powerpc: kvmppc_run_core() to the threads in the guest (optional off POWER)") \
	X(nap_wakeup, "powerpc: an IPI (msgsnd) waking a napping thread of a running vcore")     \
	X(vcore_poll_check, "powerpc: a wake-up to kvmppc_vcore_blocked()'s poll loop seeing it")

/* COST_PPC_FIRST - the powerpc vcore's costs (the last ones): a profile without them has them at 0. */
#define COST_PPC_FIRST COST_vcore_exit

enum cost_id {
#define X(n, d) COST_##n,
	COST_LIST(X)
#undef X
	COST_N
};

extern const char *const cost_names[COST_N];
extern const char *const cost_docs[COST_N];

/* COST_MAX_PS - no single step of these paths takes a second; the bound keeps every sum of
 * costs far from the clock's range. */
#define COST_MAX_PS SIM_S

struct cost_profile {
	char *name;
	char *description;
	int64_t tsc_khz;
	struct cfg_cost cost[COST_N];
	struct host_idle_state idle[HOST_MAX_IDLE_STATES];
	sim_time_t *idle_q[HOST_MAX_IDLE_STATES]; /* the states' measured exit quantiles (exit_q), ps */
	sim_time_t *idle_entry_q[HOST_MAX_IDLE_STATES]; /* ... and entry quantiles (entry_q), ps */
	int nidle;
	unsigned preemption_timer_shift; /* IA32_VMX_MISC[4:0] */
	int threads_per_core;            /* SMT threads per core (powerpc: a vcore's threads) */
	sim_time_t ps[COST_N]; /* converted at load: the value (an empirical cost's mean) */
	double cv[COST_N];     /* relative spread of each occurrence, 0: fixed */
	int draw[COST_N];      /* enum cost_draw_kind, from the cost's dist and cv */
	double lnmu[COST_N], lnsigma[COST_N]; /* COST_DRAW_LOGNORMAL */
	sim_time_t *q[COST_N]; /* COST_DRAW_EMPIRICAL: nq quantiles in ps */
	size_t nq[COST_N];
};

enum cost_draw_kind { COST_DRAW_FIXED, COST_DRAW_NORMAL, COST_DRAW_LOGNORMAL, COST_DRAW_EMPIRICAL };

/* cost_draw_slow - a varying cost's draw (costs.c). */
sim_time_t cost_draw_slow(const struct cost_profile *p, gsl_rng *rng, int id);

/* cost_draw - the cost of path id for one occurrence (ps): the profile's value, or a draw
 * from its distribution (normal cut at 0, lognormal, or between measured quantiles). */
static inline sim_time_t cost_draw(const struct cost_profile *p, gsl_rng *rng, int id)
{
	if (p->draw[id] == COST_DRAW_FIXED)
		return p->ps[id];
	if (p->draw[id] == COST_DRAW_NORMAL) { /* inline: the common spread */
		double x = (double)p->ps[id] * (1.0 + p->cv[id] * gsl_ran_gaussian_ziggurat(rng, 1.0));
		return x > 0 ? (sim_time_t)x : 0;
	}
	return cost_draw_slow(p, rng, id);
}

/* cost_profile_load - a built-in profile by name, or a file by path; -1 with a message. */
int cost_profile_load(struct cost_profile *p, const char *name_or_path, struct conf_err *err);
/* cost_profile_override - apply a scenario's `costs:` map (may be NULL) and convert to ps. */
int cost_profile_override(struct cost_profile *p, struct conf_node *costs, struct conf_err *err);
void cost_profile_free(struct cost_profile *p);

/* cost_profile_keys_doc - the profile file's key reference (markdown table, or text). */
void cost_profile_keys_doc(FILE *f, bool markdown);

/* The built-in profiles (names), for `kvmsim profiles`. */
size_t cost_profile_builtin_count(void);
const char *cost_profile_builtin_name(size_t i);
const char *cost_profile_builtin_text(size_t i);

#endif
