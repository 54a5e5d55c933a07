/*
 * exec.c - the virtual hardware the guest meets (models/guest/hw.h), as VMX
 * and KVM implement it: the instructions that exit and their handlers (HLT,
 * WRMSR to the TSC deadline or x2APIC registers, writes to the xAPIC page,
 * OUT to a notify port, the ICR writes and VMCALL of ipi.c), the interrupt window when the guest enables
 * interrupts, and the delivery of an interrupt into the guest.
 */
#include "models/vcpu/vcpu.h"

#include "models/costs/costs.h"
#include "models/vcpu/ipi.h"

/* pio_handled - kvm_fast_pio / ioeventfd: the notification is signalled in the kernel. */
static void pio_handled(struct vcpu *v, const struct guest_insn *in)
{
	if (v->pio_write)
		v->pio_write(v->pio_ctx, in->port);
}

/* tscdeadline_written - handle_wrmsr(IA32_TSC_DEADLINE) in root mode. */
static void tscdeadline_written(struct vcpu *v, const struct guest_insn *in)
{
	kvm_set_lapic_tscdeadline_msr(&v->timer, in->deadline);
	VTRACE(v, EV_kvm_msr, kvm_tp_msr(tb_, sizeof(tb_), true, MSR_IA32_TSC_DEADLINE, in->value, false));
}

/* tmict_written - the LAPIC's TMICT written (one-shot mode): kvm_lapic_reg_write(). */
static void tmict_written(struct vcpu *v, const struct guest_insn *in)
{
	VTRACE(v, EV_kvm_apic, kvm_tp_apic(tb_, sizeof(tb_), true, APIC_TMICT, in->value));
	kvm_set_lapic_tscdeadline_msr(&v->timer, in->deadline); /* KVM runs a one-shot count as a deadline */
	if (in->kind == GUEST_WRMSR)
		VTRACE(v, EV_kvm_msr, kvm_tp_msr(tb_, sizeof(tb_), true, X2APIC_MSR_TMICT, in->value, false));
}

/* timer_write - the guest programs its LAPIC timer: TSC deadline, or TMICT in one-shot mode. */
static bool timer_write(struct vcpu *v, const struct guest_insn *in, bool oneshot)
{
	const struct kvm_era *e = v->hp.vm->era;
	unsigned reason = in->kind == GUEST_WRMSR ? EXIT_REASON_MSR_WRITE : EXIT_REASON_APIC_ACCESS;
	bool hv = e->hv_timer && v->conf.timer.preemption_timer && in->deadline && (!oneshot || e->hv_oneshot);
	sim_time_t c = vcost(v, reason == EXIT_REASON_MSR_WRITE ? COST_msr_exit : COST_apic_access_exit);
	c += in->deadline ? vcost(v, hv ? COST_tscdeadline_hv : COST_tscdeadline_sw) : 0;
	vcpu_exit(v, reason, 0, in->rip, c, oneshot ? tmict_written : tscdeadline_written, in);
	return true;
}

/* ---- pause-loop exiting and kvm_vcpu_on_spin() ------------------------------------ */

/* cycles_ps - a count of TSC cycles as time (the profile's tsc_khz). */
static sim_time_t cycles_ps(const struct vcpu *v, uint32_t cycles)
{
	return (sim_time_t)((__int128)cycles * SIM_S / ((__int128)v->prof->tsc_khz * 1000));
}

/* grow_ple_window - __grow_ple_window(): x grow when grow < ple_window, else + grow; at most max. */
static void grow_ple_window(struct vcpu *v)
{
	const struct kvm_ple_conf *c = &v->conf.ple;
	uint64_t val, old = v->ple_window;
	if (c->ple_window_grow < 1)
		val = c->ple_window;
	else if (c->ple_window_grow < c->ple_window)
		val = old * c->ple_window_grow;
	else
		val = old + c->ple_window_grow;
	v->ple_window = (uint32_t)(val < c->ple_window_max ? val : c->ple_window_max);
}

void shrink_ple_window(struct vcpu *v)
{
	const struct kvm_ple_conf *c = &v->conf.ple;
	if (!c->ple_gap)
		return;
	uint64_t val, old = v->ple_window;
	if (c->ple_window_shrink < 1)
		val = c->ple_window;
	else if (c->ple_window_shrink < c->ple_window)
		val = old / c->ple_window_shrink;
	else
		val = old > c->ple_window_shrink ? old - c->ple_window_shrink : 0;
	v->ple_window = (uint32_t)(val > c->ple_window ? val : c->ple_window);
}

/*
 * kvm_vcpu_on_spin - look for a vCPU of this VM worth boosting, starting after the one boosted
 * last (round robin): it must be ready (preempted or woken, runnable, not running), not this
 * one; a vCPU blocked in its halt is not. The spinner is in guest kernel mode (a spinlock), so
 * a preempted candidate counts as preempted in kernel mode. yield_to() it; three -ESRCH
 * answers end the search. Not modelled: dy_eligible's alternation (CONFIG_HAVE_KVM_CPU_RELAX_INTERCEPT).
 */
static void kvm_vcpu_on_spin(struct vcpu *me)
{
	struct kvm_spin_vm *kvm = me->spin_vm;
	if (!kvm || kvm->n < 2)
		return;
	int start = kvm->last_boosted_vcpu, tries = 3;
	for (int k = 1; k <= kvm->n; k++) { /* after last_boosted_vcpu, wrapping round to it */
		int i = (start + k) % kvm->n;
		struct vcpu *v = kvm->vcpus[i];
		if (v == me || v->task.state != TASK_RUNNABLE)
			continue; /* !vcpu->ready */
		if (v->state == VCPU_BLOCKED || v->state == VCPU_BLOCK_PREP)
			continue; /* kvm_vcpu_is_blocking() && !vcpu_dy_runnable() */
		me->directed_yield_attempted++;
		int yielded = host_yield_to(&me->task, &v->task);
		if (yielded > 0) {
			me->directed_yield_successful++;
			kvm->last_boosted_vcpu = i;
			break;
		}
		if (yielded < 0 && !--tries)
			break;
	}
}

/* handle_pause - the PAUSE exit: grow the window, look for a vCPU to yield to; skip the PAUSE. */
static void handle_pause(struct vcpu *v, const struct guest_insn *in)
{
	grow_ple_window(v);
	kvm_vcpu_on_spin(v);
}

/*
 * pause - the hardware's pause-loop exiting: PAUSEs no more than ple_gap cycles apart form one
 * loop; a loop that has run longer than the vCPU's ple_window exits. The loop restarts after
 * any exit.
 */
static bool pause(struct vcpu *v, const struct guest_insn *in)
{
	const struct kvm_ple_conf *c = &v->conf.ple;
	if (!c->ple_gap)
		return false;
	sim_time_t now = sim_now(v->sim);
	if (!v->ple_last_pause || now - v->ple_last_pause > cycles_ps(v, c->ple_gap))
		v->ple_loop_start = now;
	v->ple_last_pause = now;
	if (now - v->ple_loop_start <= cycles_ps(v, v->ple_window))
		return false;
	v->pause_exits++;
	vcpu_exit(v, EXIT_REASON_PAUSE_INSTRUCTION, 0, in->rip, 0, handle_pause, in);
	return true;
}

/* exec - the guest executes in: decode it as the exit handlers would. */
static bool exec(void *hw, const struct guest_insn *in)
{
	struct vcpu *v = hw;
	switch (in->kind) {
	case GUEST_HLT:
		vcpu_halt(v);
		return true;
	case GUEST_PAUSE:
		return pause(v, in);
	case GUEST_OUT:
		VTRACE(v, EV_kvm_pio, kvm_tp_pio(tb_, sizeof(tb_), true, in->port, 2, 1, 0));
		vcpu_exit(v, EXIT_REASON_IO_INSTRUCTION, 0, in->rip, vcost(v, COST_io_exit), pio_handled, in);
		return true;
	case GUEST_VMCALL:
		return kvm_hypercall(v, in);
	case GUEST_WRMSR:
		if (in->reg == X2APIC_MSR_ICR)
			return kvm_x2apic_icr_write(v, in);
		if (in->reg == X2APIC_MSR_EOI)
			return kvm_apic_eoi_write(&v->eoi, in);
		if (in->reg == MSR_IA32_TSC_DEADLINE)
			return timer_write(v, in, false);
		if (in->reg == X2APIC_MSR_TMICT)
			return timer_write(v, in, true);
		break;
	case GUEST_APIC_WRITE:
		if (in->reg == APIC_EOI)
			return kvm_apic_eoi_write(&v->eoi, in);
		if (in->reg == APIC_TMICT)
			return timer_write(v, in, true);
		if (in->reg == APIC_ICR || in->reg == APIC_ICR2)
			return kvm_xapic_icr_write(v, in);
		break;
	}
	fprintf(stderr, "kvmsim: internal error: %s: instruction %d (register 0x%x) is not modelled\n", v->name,
		in->kind, in->reg);
	abort();
}

static void irq_window_handled(struct vcpu *v, const struct guest_insn *in)
{
}

void vcpu_take_irq(struct vcpu *v, struct vcpu_vector *q, sim_time_t *arrival, sim_time_t *work)
{
	vcpu_vec_set(v, q, VEC_IDLE);
	*arrival = q->arrival;
	*work = q->work;
	q->work = 0;
}

void vcpu_deliver(struct vcpu *v, struct vcpu_vector *q)
{
	sim_time_t arrival, work;
	vcpu_take_irq(v, q, &arrival, &work);
	guest_deliver_irq(v->guest, q->vector, arrival, work);
}

/* irq_window - the guest has interrupts on: virtual interrupt delivery (APICv), or the window exit. */
static void irq_window(void *hw)
{
	struct vcpu *v = hw;
	struct vcpu_vector *q = vcpu_highest_irr(v);
	if (q && v->conf.apicv)
		vcpu_deliver(v, q);
	else if (q && v->irq_window)
		vcpu_exit(v, EXIT_REASON_INTERRUPT_WINDOW, 0, GUEST_RIP_WORK, vcost(v, COST_irq_window_exit),
			  irq_window_handled, NULL);
}

static void account(void *hw, bool polling)
{
	vcpu_set_guest_acct(hw, polling);
}

static uint64_t tsc(void *hw, sim_time_t t)
{
	struct vcpu *v = hw;
	return lapic_tsc(&v->timer, t);
}

const struct guest_hw_ops vcpu_guest_hw_ops = { exec, irq_window, account, tsc };
