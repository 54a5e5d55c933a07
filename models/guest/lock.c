/*
 * lock.c - a spinlock the guest's vCPUs share, and the program that takes it
 * (guest.h: guest_lock_start). A vCPU that finds the lock held spins: a short
 * stretch of guest-mode work, a PAUSE (cpu_relax(), which the hardware may
 * turn into a PAUSE_INSTRUCTION exit), a look at the lock, again. When the
 * holder's vCPU thread is preempted on the host the waiter spins until it runs
 * again (lock-holder preemption), unless a directed yield gives it the pCPU.
 */
#include "models/guest/guest.h"

static void lock_try(struct guest_cpu *g, struct gop *op);

/* lock_release - the critical section ends; the vCPU's work goes on, then takes the lock again. */
static void lock_release(struct guest_cpu *g, struct gop *op)
{
	struct guest_spinlock *l = op->ctx;
	l->held = false;
	l->owner = NULL;
	l->serving++;
	struct gop run = { .kind = GOP_RUN, .task = 1, .ps = l->every };
	struct gop next = { .kind = GOP_CALL, .task = 1, .fn = lock_try, .ctx = l };
	guest_push_back(g, &run);
	guest_push_back(g, &next);
}

/* lock_try - take the lock, or spin: work for GUEST_SPIN_ITER_PS, PAUSE, look again. */
static void lock_try(struct guest_cpu *g, struct gop *op)
{
	struct guest_spinlock *l = op->ctx;
	sim_time_t now = sim_now(g->sim);
	struct guest_lock_stats *st = &g->lock;
	if (!g->lock_spinning)
		g->lock_ticket = l->next++; /* arch_spin_lock(): take a ticket */
	if (l->serving == g->lock_ticket) {
		l->held = true;
		l->owner = g;
		st->acquired++;
		if (g->lock_spinning)
			st->spin_ps += now - g->lock_spin_since;
		g->lock_spinning = false;
		struct gop ops[2] = { { .kind = GOP_RUN, .task = 1, .ps = l->hold },
				      { .kind = GOP_CALL, .task = 1, .fn = lock_release, .ctx = l } };
		guest_push_front(g, &ops[1]);
		guest_push_front(g, &ops[0]);
		return;
	}
	if (!g->lock_spinning) {
		g->lock_spin_since = now;
		st->contended++;
	}
	g->lock_spinning = true;
	struct gop ops[3] = {
		{ .kind = GOP_RUN, .task = 1, .ps = GUEST_SPIN_ITER_PS },
		{ .kind = GOP_INSN, .task = 1, .insn = { .kind = GUEST_PAUSE, .rip = GUEST_RIP_SPIN } },
		{ .kind = GOP_CALL, .task = 1, .fn = lock_try, .ctx = l },
	};
	for (int i = 3; i-- > 0;)
		guest_push_front(g, &ops[i]);
}

void guest_lock_start(struct guest_cpu *g, struct guest_spinlock *l)
{
	struct op_pair { struct gop run, next; } p = {
		{ .kind = GOP_RUN, .task = 1, .ps = l->every },
		{ .kind = GOP_CALL, .task = 1, .fn = lock_try, .ctx = l },
	};
	guest_push_back(g, &p.run);
	guest_push_back(g, &p.next);
}

void guest_lock_finish(struct guest_cpu *g)
{
	if (g->lock_spinning) { /* a spin still open when the run ends counts up to now */
		sim_time_t now = sim_now(g->sim);
		g->lock.spin_ps += now - g->lock_spin_since;
		g->lock_spin_since = now;
	}
}
