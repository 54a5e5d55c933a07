/*
 * runner.c - a vcore's threads, cedes and prods, and the runner's loop on the
 * event core (see runner.h); kvmppc_vcore_blocked()'s decisions are vcore.c's.
 */
#include "models/vcore/runner.h"

#include <string.h>

static int64_t ktime_ns(const struct kvmppc_runner *r)
{
	return sim_now(r->sim) / SIM_NS;
}

static void set_state(struct kvmppc_runner *r, enum kvmppc_runner_state s)
{
	sim_time_t now = sim_now(r->sim);
	enum kvmppc_runner_state from = r->state;
	r->time_in[r->state] += now - r->since;
	r->since = now;
	r->state = s;
	if (r->ops.state && from != s)
		r->ops.state(r->ops.ctx, from, s);
}

void kvmppc_runner_account(struct kvmppc_runner *r)
{
	set_state(r, r->state);
}

/* kvmppc_vcpu_woken() in kvmsim's terms: an item waits for the thread. */
static bool woken(const struct kvmppc_vthread *v)
{
	return v->queued > 0;
}

/* kvmppc_vcore_check_block(): a runnable thread is not ceded, or woken. */
static bool vcore_check_block(const struct kvmppc_runner *r)
{
	for (int i = 0; i < r->nthreads; i++)
		if (!r->t[i].ceded || woken(&r->t[i]))
			return true;
	return false;
}

static void thread_item_done(struct sim *sim, void *subject, void *object);

/* thread_start_item - the thread takes its next item (its wake-up sample closes). */
static void thread_start_item(struct kvmppc_runner *r, int i)
{
	struct kvmppc_vthread *v = &r->t[i];
	sim_time_t now = sim_now(r->sim);
	bool prod = v->prodded && !v->pending_exceptions;
	if (v->waiting) {
		sim_time_t lat = now - v->arrived;
		struct kvmppc_wake_stats *w = &v->wake;
		if (!w->wakes || lat < w->min)
			w->min = lat;
		if (lat > w->max)
			w->max = lat;
		w->sum += lat;
		w->wakes++;
		v->waiting = false;
	}
	v->state = KVMPPC_VT_RUNNING;
	v->ceded = false;
	v->queued--;
	if (!v->queued)
		v->pending_exceptions = v->prodded = false; /* the guest has seen them */
	sim_time_t work = r->ops.work ? r->ops.work(r->ops.ctx, i, prod) : 0;
	v->ev = sim_after(r->sim, work < 0 ? 0 : work, thread_item_done, r, v);
}

static void vcore_exit_done(struct sim *sim, void *subject, void *object);

/* h_cede - the thread has nothing to do (kvmppc_h_cede() in real mode). */
static void h_cede(struct kvmppc_runner *r, struct kvmppc_vthread *v)
{
	v->cedes++;
	v->ceded = true;
	v->state = KVMPPC_VT_CEDED;
	if (vcore_check_block(r))
		return; /* nap in the guest while another runs, or is being woken */
	/* the last thread to cede takes the vcore out of the guest */
	set_state(r, KVMPPC_VC_EXITING);
	r->ev = sim_after(r->sim, r->costs.vcore_exit, vcore_exit_done, r, NULL);
}

static void thread_item_done(struct sim *sim, void *subject, void *object)
{
	struct kvmppc_runner *r = subject;
	struct kvmppc_vthread *v = object;
	v->ev = SIM_NO_EVENT;
	if (r->ops.done)
		r->ops.done(r->ops.ctx, (int)(v - r->t));
	if (woken(v)) {
		if (v->prodded && !v->pending_exceptions)
			v->prods_cancelling_cede++; /* H_CEDE finds prodded: returns at once */
		thread_start_item(r, (int)(v - r->t));
		return;
	}
	h_cede(r, v);
}

static void vcore_entered(struct sim *sim, void *subject, void *object);

/* run_core - kvmppc_run_core(): the woken threads run, the ceded ones nap. */
static void run_core(struct kvmppc_runner *r)
{
	r->entries++;
	set_state(r, KVMPPC_VC_ENTERING);
	r->ev = sim_after(r->sim, r->costs.vcore_entry, vcore_entered, r, NULL);
}

static void vcore_entered(struct sim *sim, void *subject, void *object)
{
	struct kvmppc_runner *r = subject;
	r->ev = SIM_NO_EVENT;
	set_state(r, KVMPPC_VC_IN_GUEST);
	bool any = false;
	for (int i = 0; i < r->nthreads; i++) {
		struct kvmppc_vthread *v = &r->t[i];
		if (v->held) { /* cut by a forced exit: its item goes on */
			v->held = false;
			v->ev = sim_after(r->sim, v->left, thread_item_done, r, v);
			any = true;
		} else if (woken(v)) {
			thread_start_item(r, i);
			any = true;
		}
	}
	if (!any) { /* not reached: the runner enters for a woken thread */
		set_state(r, KVMPPC_VC_EXITING);
		r->ev = sim_after(r->sim, r->costs.vcore_exit, vcore_exit_done, r, NULL);
	}
}

static void poll_timeout(struct sim *sim, void *subject, void *object);

/* block_end - kvmppc_vcore_blocked() returns at now; the loop runs the core again. */
static void block_end(struct kvmppc_runner *r)
{
	struct kvmppc_vcore_result res = { .cur = ktime_ns(r) };
	kvmppc_vcore_block_end(&r->vc, &r->block, &res);
	run_core(r);
}

/* go_to_sleep - the check before sleeping found nothing: schedule(). */
static void go_to_sleep(struct kvmppc_runner *r)
{
	kvmppc_vcore_block_sleep(&r->vc, &r->block, ktime_ns(r));
	set_state(r, KVMPPC_VC_SLEEPING);
	if (r->ops.sleep)
		r->ops.sleep(r->ops.ctx);
}

/* runner_loop - the body of kvmppc_run_vcpu()'s loop with the vcore out of the guest. */
static void runner_loop(struct kvmppc_runner *r)
{
	int n_ceded = 0;
	for (int i = 0; i < r->nthreads; i++) {
		if (!woken(&r->t[i]))
			n_ceded += r->t[i].ceded;
		else
			r->t[i].ceded = false;
	}
	if (n_ceded != r->nthreads) {
		run_core(r);
		return;
	}
	r->blocks++;
	kvmppc_vcore_block_begin(&r->vc, &r->block, ktime_ns(r));
	if (r->block.poll_ns) {
		set_state(r, KVMPPC_VC_POLLING);
		r->noticing = false;
		r->poll_end = sim_now(r->sim) + (sim_time_t)r->block.poll_ns * SIM_NS;
		r->ev = sim_at(r->sim, r->poll_end, poll_timeout, r, NULL);
		return;
	}
	go_to_sleep(r); /* nothing woken: the check before sleeping fails too */
}

static void vcore_exit_done(struct sim *sim, void *subject, void *object)
{
	struct kvmppc_runner *r = subject;
	r->ev = SIM_NO_EVENT;
	if (r->ops.yield && r->ops.yield(r->ops.ctx)) {
		set_state(r, KVMPPC_VC_PREEMPTED);
		return; /* kvmppc_runner_resume() */
	}
	runner_loop(r);
}

void kvmppc_runner_resume(struct kvmppc_runner *r)
{
	if (r->state != KVMPPC_VC_PREEMPTED)
		return;
	set_state(r, KVMPPC_VC_EXITING);
	runner_loop(r);
}

void kvmppc_runner_force_exit(struct kvmppc_runner *r)
{
	if (r->state != KVMPPC_VC_IN_GUEST)
		return;
	sim_time_t now = sim_now(r->sim);
	for (int i = 0; i < r->nthreads; i++) {
		struct kvmppc_vthread *v = &r->t[i];
		if (!sim_pending(r->sim, v->ev))
			continue;
		if (v->state == KVMPPC_VT_RUNNING) {
			v->left = sim_event_time(r->sim, v->ev) - now;
			v->held = true;
		} /* else a napping thread being woken: still woken, it runs at the next entry */
		sim_cancel(r->sim, v->ev);
		v->ev = SIM_NO_EVENT;
	}
	r->forced_exits++;
	set_state(r, KVMPPC_VC_EXITING);
	r->ev = sim_after(r->sim, r->costs.vcore_exit, vcore_exit_done, r, NULL);
}

void kvmppc_runner_awake(struct kvmppc_runner *r)
{
	if (r->state == KVMPPC_VC_WAKING)
		block_end(r);
}

void kvmppc_runner_poll_stop(struct kvmppc_runner *r)
{
	if (r->state != KVMPPC_VC_POLLING || r->noticing)
		return; /* a wake-up already being noticed ends the poll as a success */
	sim_cancel(r->sim, r->ev);
	r->ev = SIM_NO_EVENT;
	poll_timeout(r->sim, r, NULL);
}

static void poll_timeout(struct sim *sim, void *subject, void *object)
{
	struct kvmppc_runner *r = subject;
	r->ev = SIM_NO_EVENT;
	if (vcore_check_block(r)) { /* arrived, not yet seen by the loop: found before sleeping */
		block_end(r);
		return;
	}
	go_to_sleep(r);
}

static void poll_noticed(struct sim *sim, void *subject, void *object)
{
	struct kvmppc_runner *r = subject;
	r->ev = SIM_NO_EVENT;
	block_end(r);
}

static void runner_awake(struct sim *sim, void *subject, void *object)
{
	struct kvmppc_runner *r = subject;
	r->ev = SIM_NO_EVENT;
	block_end(r);
}

static void nap_woken(struct sim *sim, void *subject, void *object)
{
	struct kvmppc_runner *r = subject;
	struct kvmppc_vthread *v = object;
	v->ev = SIM_NO_EVENT;
	thread_start_item(r, (int)(v - r->t));
}

/* deliver - an item for thread i, and whatever wakes it (kvmppc_fast_vcpu_kick_hv()). */
static void deliver(struct kvmppc_runner *r, int i)
{
	struct kvmppc_vthread *v = &r->t[i];
	v->queued++;
	if (v->state == KVMPPC_VT_RUNNING)
		return; /* seen when its current item ends */
	if (!v->waiting) {
		v->waiting = true;
		v->arrived = sim_now(r->sim);
	}
	switch (r->state) {
	case KVMPPC_VC_IN_GUEST:
		if (!sim_pending(r->sim, v->ev))
			v->ev = sim_after(r->sim, r->costs.nap_wakeup, nap_woken, r, v);
		break;
	case KVMPPC_VC_POLLING:
		/* the poll loop sees it at its next check, unless the window ends first */
		if (!r->noticing && r->poll_end > sim_now(r->sim) + r->costs.poll_check) {
			sim_cancel(r->sim, r->ev);
			r->noticing = true;
			r->ev = sim_after(r->sim, r->costs.poll_check, poll_noticed, r, NULL);
		}
		break;
	case KVMPPC_VC_SLEEPING:
		set_state(r, KVMPPC_VC_WAKING);
		if (r->ops.wake)
			r->ops.wake(r->ops.ctx); /* the host runs the task: kvmppc_runner_awake() */
		else
			r->ev = sim_after(r->sim, r->costs.sched_wakeup, runner_awake, r, NULL);
		break;
	case KVMPPC_VC_EXITING:  /* the runner's loop will see it */
	case KVMPPC_VC_WAKING:   /* already being woken */
	case KVMPPC_VC_ENTERING: /* runs at entry */
	case KVMPPC_VC_PREEMPTED: /* the runner's loop will see it when it runs */
	default:
		break;
	}
}

void kvmppc_runner_irq(struct kvmppc_runner *r, int t)
{
	r->t[t].pending_exceptions = true;
	deliver(r, t);
}

void kvmppc_runner_h_prod(struct kvmppc_runner *r, int t)
{
	r->t[t].prodded = true;
	deliver(r, t);
}

void kvmppc_runner_init(struct kvmppc_runner *r, struct sim *sim, const struct kvm_era *era,
			enum kvmppc_cpu cpu, const struct kvm_module_params *param,
			uint32_t halt_poll_max_ns, int nthreads, uint32_t first_vcpu,
			const struct kvmppc_runner_costs *costs, const struct kvmppc_runner_ops *ops,
			const struct kvmppc_vcore_tracer *tracer)
{
	memset(r, 0, sizeof(*r));
	r->sim = sim;
	r->costs = *costs;
	r->ops = *ops;
	r->nthreads = nthreads < 1 ? 1 : nthreads > KVMPPC_MAX_SMT_THREADS ? KVMPPC_MAX_SMT_THREADS : nthreads;
	if (cpu == KVMPPC_POWER9 && era->vcore_p9_no_poll)
		r->nthreads = 1; /* kvmhv_run_single_vcpu(): one vCPU, no vcore */
	r->runner = 0;
	for (int i = 0; i < r->nthreads; i++) {
		r->t[i].vcpu_id = first_vcpu + (uint32_t)i;
		r->t[i].state = KVMPPC_VT_CEDED;
		r->t[i].ceded = true;
	}
	kvmppc_vcore_init(&r->vc, era, cpu, param, halt_poll_max_ns, r->t[0].vcpu_id, &r->t[0].stat, tracer);
	r->vc.n_runnable = r->nthreads;
	r->since = sim_now(sim);
	r->state = KVMPPC_VC_EXITING;
	runner_loop(r);
}
