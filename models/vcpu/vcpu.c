/* vcpu.c - the vCPU state machine (see vcpu.h). */
#include "models/vcpu/vcpu.h"

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "models/costs/costs.h"
#include "sim/rng.h"
#include "traces/kvm_tp.h"

const char *const vcpu_acct_names[VACCT_N] = { "guest", "kvm", "poll_ok", "poll_fail", "sleep", "runnable" };

/* Guest addresses shown in exits and entries: the HLT in the idle loop, and guest work. */
#define GUEST_RIP_HLT 0xffffffff81e3b4d6ULL
#define GUEST_RIP_WORK 0xffffffff8112a0c4ULL
#define RESCHEDULE_VECTOR 0xfd
#define INTR_INFO_VALID 0x80000000u

enum { POLL_SUCCESS, POLL_CUT, POLL_GIVEUP };

static inline struct vcpu *task_vcpu(struct host_task *t)
{
	return (struct vcpu *)((char *)t - offsetof(struct vcpu, task));
}

/* ---- accounting ------------------------------------------------------------------ */

static void vflush(struct vcpu *v)
{
	sim_time_t now = sim_now(v->sim);
	if (v->acct == VACCT_POLL)
		v->poll_pending_ps += now - v->acct_since;
	else
		v->acct_ps[v->acct] += now - v->acct_since;
	v->acct_since = now;
}

/* vacct - what the vCPU's time counts as from now; on-CPU parts also for its pCPU. */
static void vacct(struct vcpu *v, int a)
{
	vflush(v);
	v->acct = a;
	switch (a) {
	case VACCT_GUEST:
		pcpu_account(v->task.cpu, ACCT_GUEST);
		break;
	case VACCT_KVM:
		pcpu_account(v->task.cpu, ACCT_KVM);
		break;
	case VACCT_POLL:
		pcpu_account(v->task.cpu, ACCT_POLL);
		break;
	default:
		break; /* off the CPU: the host accounts the pCPU */
	}
}

/* resolve_poll - this halt's poll time succeeded (never slept) or failed. */
static void resolve_poll(struct vcpu *v, bool success)
{
	if (v->acct == VACCT_POLL)
		vacct(v, VACCT_KVM);
	pcpu_resolve_poll(v->task.cpu, v->poll_pending_ps, success);
	v->acct_ps[success ? VACCT_POLL_OK : VACCT_POLL_FAIL] += v->poll_pending_ps;
	v->poll_pending_ps = 0;
}

static void step(struct vcpu *v, enum vcpu_state s, int acct, sim_time_t cost, sim_action_fn *next)
{
	v->state = s;
	vacct(v, acct);
	v->ev = sim_after(v->sim, cost, next, v, NULL);
}

/* ---- interrupts ------------------------------------------------------------------- */

static struct vcpu_irq *irr_first(struct vcpu *v)
{
	for (int i = 0; i < v->nirq; i++)
		if (v->irq[i].state == IRQ_IRR)
			return &v->irq[i];
	return NULL;
}

/* take_interrupts - the guest runs the handlers of everything in IRR (IF=1). */
static void take_interrupts(struct vcpu *v)
{
	sim_time_t now = sim_now(v->sim);
	sim_time_t start = now + v->cost[COST_guest_irq];
	for (int i = 0; i < v->nirq; i++) {
		struct vcpu_irq *q = &v->irq[i];
		if (q->state != IRQ_IRR)
			continue;
		int64_t lat = (start - q->arrival) / SIM_NS;
		sim_hist_record(&v->irq_lat, lat);
		if (q->wake)
			sim_hist_record(&v->wake_lat, lat);
		v->backlog += v->cost[COST_guest_irq] + q->work;
		q->state = IRQ_NONE;
		q->work = 0;
	}
}

static void guest_hlt(struct vcpu *v);
static void ev_guest_work_done(struct sim *sim, void *subject, void *object);

/* guest_continue - in guest mode: run the backlog, or idle (HLT) when there is none. */
static void guest_continue(struct vcpu *v)
{
	if (v->backlog > 0) {
		v->guest_since = sim_now(v->sim);
		v->ev = sim_after(v->sim, v->backlog, ev_guest_work_done, v, NULL);
	} else {
		guest_hlt(v);
	}
}

/* guest_pause - stop the guest's work clock (an exit, or more work arriving). */
static void guest_pause(struct vcpu *v)
{
	if (sim_cancel(v->sim, v->ev))
		v->backlog -= sim_now(v->sim) - v->guest_since;
	v->ev = SIM_NO_EVENT;
}

static void ev_guest_work_done(struct sim *sim, void *subject, void *object)
{
	struct vcpu *v = subject;
	v->ev = SIM_NO_EVENT;
	v->backlog = 0;
	guest_continue(v);
}

/* ---- entry and exits -------------------------------------------------------------- */

static void ev_entered(struct sim *sim, void *subject, void *object)
{
	struct vcpu *v = subject;
	v->ev = SIM_NO_EVENT;
	if (v->tracer && v->tracer->entry)
		v->tracer->entry(v->tracer->ctx, v, v->in_halt ? GUEST_RIP_HLT + 1 : GUEST_RIP_WORK);
	v->in_halt = false;
	v->state = VCPU_GUEST;
	vacct(v, VACCT_GUEST);
	take_interrupts(v);
	guest_continue(v);
}

/* vcpu_enter - back to the guest, through the run loop's preemption point. */
static void vcpu_enter(struct vcpu *v)
{
	if (v->task.cpu->need_resched) {
		v->state = VCPU_PREEMPTED;
		vacct(v, VACCT_RUNNABLE);
		if (host_task_yield(&v->task))
			return; /* vcpu_run_cb() continues when it has the CPU again */
	}
	sim_time_t c = v->cost[COST_vmentry] + (irr_first(v) ? v->cost[COST_inject] : 0);
	step(v, VCPU_ENTRY, VACCT_KVM, c, ev_entered);
}

static void ev_exit_handled(struct sim *sim, void *subject, void *object)
{
	struct vcpu *v = subject;
	v->ev = SIM_NO_EVENT;
	vcpu_enter(v);
}

static void guest_exit_extint(struct vcpu *v)
{
	guest_pause(v);
	v->exits_extint++;
	if (v->tracer && v->tracer->exit)
		v->tracer->exit(v->tracer->ctx, v, EXIT_REASON_EXTERNAL_INTERRUPT,
				INTR_INFO_VALID | RESCHEDULE_VECTOR, GUEST_RIP_WORK);
	step(v, VCPU_EXIT, VACCT_KVM, v->cost[COST_vmexit] + v->cost[COST_extint_exit], ev_exit_handled);
}

static void ev_ipi_arrived(struct sim *sim, void *subject, void *object)
{
	struct vcpu *v = subject;
	v->ipi_ev = SIM_NO_EVENT;
	if (v->state != VCPU_GUEST)
		return; /* out of guest mode already: root mode sees IRR and need_resched itself */
	if (!v->task.cpu->need_resched && v->conf.apicv) {
		if (irr_first(v)) { /* a posted interrupt: the guest takes it without an exit */
			guest_pause(v);
			take_interrupts(v);
			guest_continue(v);
		}
		return;
	}
	guest_exit_extint(v);
}

/* send_ipi - interrupt the pCPU running this vCPU in guest mode. */
static void send_ipi(struct vcpu *v)
{
	if (v->ipi_ev != SIM_NO_EVENT)
		return;
	v->ipis++;
	v->ipi_ev = sim_after(v->sim, v->cost[COST_ipi], ev_ipi_arrived, v, NULL);
}

/* ---- the halt --------------------------------------------------------------------- */

static void ev_halt_done(struct sim *sim, void *subject, void *object)
{
	struct vcpu *v = subject;
	v->ev = SIM_NO_EVENT;
	vcpu_enter(v);
}

/* halt_end - the rest of kvm_vcpu_halt() once the thread is back (or never left). */
static void halt_end(struct vcpu *v)
{
	resolve_poll(v, !v->res.waited);
	if (!v->res.valid_wakeup)
		v->invalid_wakeups++;
	if (v->hp.vm->era->stat_blocking)
		v->hp.stat.blocking = 0;
	kvm_vcpu_halt_end(&v->hp, &v->halt, &v->res);
	step(v, VCPU_HALT_DONE, VACCT_KVM, v->cost[COST_halt_finish], ev_halt_done);
}

static void ev_block_check(struct sim *sim, void *subject, void *object)
{
	struct vcpu *v = subject;
	v->ev = SIM_NO_EVENT;
	if (irr_first(v)) { /* arrived after the poll loop, before schedule(): never slept */
		v->res.waited = false;
		v->res.cur_ns = sim_ns(sim_now(sim));
		halt_end(v);
		return;
	}
	v->res.waited = true;
	if (v->hp.vm->era->stat_blocking)
		v->hp.stat.blocking = 1;
	v->state = VCPU_BLOCKED;
	vacct(v, VACCT_SLEEP);
	host_task_sleep(&v->task);
}

static void block_prepare(struct vcpu *v)
{
	step(v, VCPU_BLOCK_PREP, VACCT_KVM, v->cost[COST_block_prepare], ev_block_check);
}

static void ev_poll_end(struct sim *sim, void *subject, void *object)
{
	struct vcpu *v = subject;
	int64_t now_ns = sim_ns(sim_now(sim));
	v->ev = SIM_NO_EVENT;
	v->res.poll_end_ns = now_ns; /* the previous iteration's timestamp falls on this grid point */
	v->res.check_ns = now_ns;
	if (v->poll_end_kind == POLL_SUCCESS) {
		v->res.loop_success = true;
		v->res.waited = false;
		v->res.cur_ns = now_ns;
		halt_end(v);
	} else {
		block_prepare(v);
	}
}

/* grid_at_or_after - the first poll-loop grid point at or after t. */
static sim_time_t grid_at_or_after(const struct vcpu *v, sim_time_t t)
{
	sim_time_t c = v->cost[COST_poll_iter];
	if (t <= v->poll_start)
		return v->poll_start;
	return v->poll_start + (t - v->poll_start + c - 1) / c * c;
}

/*
 * poll_update - something the loop checks changed (an interrupt in IRR, another
 * runnable task, need_resched): end the loop earlier if that is now due.
 * At grid point k the loop first evaluates can_poll() (k >= 1), then checks for
 * a wake event, so a wake event only wins strictly before the loop's exit.
 */
static void poll_update(struct vcpu *v)
{
	struct pcpu *p = v->task.cpu;
	sim_time_t now = sim_now(v->sim);
	sim_time_t c = v->cost[COST_poll_iter];
	sim_time_t end = v->poll_giveup;
	int kind = POLL_GIVEUP;
	bool stop = !single_task_running(p) || (v->hp.vm->era->need_resched && p->need_resched);
	if (stop) {
		sim_time_t cut = grid_at_or_after(v, now);
		if (cut < v->poll_start + c)
			cut = v->poll_start + c;
		if (cut < end) {
			end = cut;
			kind = POLL_CUT;
		}
	}
	if (irr_first(v)) {
		sim_time_t g = grid_at_or_after(v, now);
		if (g < end) {
			end = g;
			kind = POLL_SUCCESS;
		}
	}
	if (v->ev == SIM_NO_EVENT || end < v->poll_end_at) {
		sim_cancel(v->sim, v->ev);
		v->poll_end_at = end;
		v->poll_end_kind = kind;
		v->ev = sim_at(v->sim, end, ev_poll_end, v, NULL);
	}
}

static void poll_begin(struct vcpu *v)
{
	sim_time_t c = v->cost[COST_poll_iter];
	v->state = VCPU_POLL;
	vacct(v, VACCT_POLL);
	v->poll_start = sim_now(v->sim);
	/* the loop gives up at the first timestamp cur with cur >= start + halt_poll_ns */
	sim_time_t need = (v->halt.start_ns + (int64_t)v->halt.poll_ns) * SIM_NS - v->poll_start;
	int64_t k = need <= c ? 1 : (need + c - 1) / c;
	v->poll_giveup = v->poll_start + k * c;
	v->ev = SIM_NO_EVENT;
	poll_update(v);
}

static void ev_handle_hlt(struct sim *sim, void *subject, void *object)
{
	struct vcpu *v = subject;
	int64_t now_ns = sim_ns(sim_now(sim));
	v->ev = SIM_NO_EVENT;
	++v->hp.stat.halt_exits;
	if (irr_first(v)) { /* kvm_vcpu_has_events(): stays runnable, no halt */
		vcpu_enter(v);
		return;
	}
	v->halts++;
	kvm_vcpu_halt_begin(&v->hp, &v->halt, now_ns);
	v->res = (struct kvm_halt_result){
		.valid_wakeup = true,
		.poll_end_ns = now_ns,
		.check_ns = now_ns,
		.cur_ns = now_ns,
	};
	if (v->halt.do_poll)
		poll_begin(v);
	else
		block_prepare(v);
}

static void guest_hlt(struct vcpu *v)
{
	v->in_halt = true;
	if (v->tracer && v->tracer->exit)
		v->tracer->exit(v->tracer->ctx, v, EXIT_REASON_HLT, 0, GUEST_RIP_HLT);
	step(v, VCPU_EXIT, VACCT_KVM, v->cost[COST_vmexit] + v->cost[COST_hlt_exit], ev_handle_hlt);
}

/* ---- interrupt arrival ------------------------------------------------------------- */

static void ev_irq_delivered(struct sim *sim, void *subject, void *object)
{
	struct vcpu *v = subject;
	struct vcpu_irq *q = object;
	q->state = IRQ_IRR;
	q->wake = v->in_halt;
	switch (v->state) {
	case VCPU_GUEST:
		send_ipi(v);
		break;
	case VCPU_POLL:
		poll_update(v);
		break;
	case VCPU_BLOCKED:
		/* kvm_vcpu_kick() -> kvm_vcpu_wake_up(): the thread was asleep */
		++v->hp.stat.halt_wakeup;
		if (v->conf.invalid_wakeup_prob > 0 &&
		    gsl_rng_uniform(v->wake_rng) < v->conf.invalid_wakeup_prob) {
			/* s390: another vCPU took the floating interrupt; this wake-up finds nothing */
			v->res.valid_wakeup = false;
			q->state = IRQ_NONE;
			q->work = 0;
		}
		v->state = VCPU_WAKING;
		vacct(v, VACCT_RUNNABLE);
		host_task_wake(&v->task);
		break;
	default:
		break; /* root mode: the next check, or injection on entry, finds it */
	}
}

static void irq_fire(void *ctx, sim_time_t work)
{
	struct vcpu_irq *q = ctx;
	struct vcpu *v = q->v;
	if (q->state != IRQ_NONE) { /* the vector is still pending: one interrupt, more work */
		q->coalesced++;
		q->work += work;
		return;
	}
	q->state = IRQ_INFLIGHT;
	q->arrival = sim_now(v->sim);
	q->work = work;
	sim_after(v->sim, v->cost[COST_irq_deliver], ev_irq_delivered, v, q);
}

/* ---- the thread on its pCPU --------------------------------------------------------- */

static void vcpu_run_cb(struct host_task *t)
{
	struct vcpu *v = task_vcpu(t);
	switch (v->state) {
	case VCPU_WAKING: /* back from schedule() in kvm_vcpu_block() */
		v->res.cur_ns = sim_ns(sim_now(v->sim));
		vacct(v, VACCT_KVM);
		halt_end(v);
		break;
	case VCPU_NEW:
	case VCPU_PREEMPTED:
		vacct(v, VACCT_KVM);
		v->state = VCPU_EXIT;
		vcpu_enter(v);
		break;
	default:
		assert(!"vCPU run in an unexpected state");
	}
}

static void vcpu_resched_cb(struct host_task *t)
{
	struct vcpu *v = task_vcpu(t);
	switch (v->state) {
	case VCPU_GUEST:
		if (v->task.cpu->need_resched)
			send_ipi(v);
		break;
	case VCPU_POLL:
		poll_update(v);
		break;
	default:
		break; /* seen at the next preemption point */
	}
}

static const struct host_task_ops vcpu_task_ops = { vcpu_run_cb, vcpu_resched_cb };

static void kt_halt_poll_ns(void *ctx, uint32_t vcpu_id, bool grow, uint32_t new_ns, uint32_t old_ns)
{
	const struct vcpu *v = ctx;
	if (v->tracer->halt_poll_ns)
		v->tracer->halt_poll_ns(v->tracer->ctx, v, grow, new_ns, old_ns);
}

static void kt_vcpu_wakeup(void *ctx, uint32_t vcpu_id, uint64_t ns, bool waited, bool valid)
{
	const struct vcpu *v = ctx;
	if (v->tracer->vcpu_wakeup)
		v->tracer->vcpu_wakeup(v->tracer->ctx, v, ns, waited, valid);
}

/* ---- life cycle -------------------------------------------------------------------- */

void vcpu_init(struct vcpu *v, struct sim *sim, struct pcpu *cpu, struct kvm_vm_haltpoll *vm,
	       uint32_t vcpu_id, int index, const char *name, int pid, const sim_time_t *cost,
	       const struct vcpu_conf *conf, const struct vcpu_tracer *tracer, uint64_t seed)
{
	memset(v, 0, sizeof(*v));
	v->sim = sim;
	v->cost = cost;
	v->index = index;
	v->conf = *conf;
	snprintf(v->name, sizeof(v->name), "%s", name);
	host_task_init(&v->task, &vcpu_task_ops, cpu, v->name, pid);
	v->tracer = tracer;
	v->ktracer = (struct kvm_halt_tracer){ kt_halt_poll_ns, kt_vcpu_wakeup, v };
	kvm_vcpu_haltpoll_init(&v->hp, vm, vcpu_id, tracer ? &v->ktracer : NULL);
	v->state = VCPU_NEW;
	v->acct = VACCT_RUNNABLE;
	sim_hist_init(&v->wake_lat);
	sim_hist_init(&v->irq_lat);
	if (conf->invalid_wakeup_prob > 0) {
		char rn[64];
		snprintf(rn, sizeof(rn), "%s/wakeup", name);
		v->wake_rng = sim_rng_new(seed, rn);
	}
}

int vcpu_add_irq(struct vcpu *v, const struct source_conf *sc, uint64_t seed, const char *name, char *err,
		 size_t errlen)
{
	if (v->nirq == VCPU_MAX_IRQ) {
		snprintf(err, errlen, "%s: at most %d interrupt sources per vCPU", v->name, VCPU_MAX_IRQ);
		return -1;
	}
	struct vcpu_irq *q = &v->irq[v->nirq];
	memset(q, 0, sizeof(*q));
	q->v = v;
	if (source_init(&q->src, sc, (int)v->hp.vcpu_id, seed, name, irq_fire, q, err, errlen))
		return -1;
	v->nirq++;
	return 0;
}

void vcpu_start(struct vcpu *v)
{
	v->acct_since = sim_now(v->sim);
	for (int i = 0; i < v->nirq; i++)
		source_start(&v->irq[i].src, v->sim);
	host_task_place(&v->task);
}

void vcpu_finish(struct vcpu *v)
{
	vflush(v);
	v->unfinished_poll_ps = v->poll_pending_ps;
	if (v->poll_pending_ps)
		resolve_poll(v, false);
}

void vcpu_free(struct vcpu *v)
{
	for (int i = 0; i < v->nirq; i++)
		source_fini(&v->irq[i].src);
	if (v->wake_rng)
		gsl_rng_free(v->wake_rng);
	sim_hist_free(&v->wake_lat);
	sim_hist_free(&v->irq_lat);
}
