/*
 * haltpoll.h - the guest's cpuidle-haltpoll driver and haltpoll governor
 * (drivers/cpuidle/cpuidle-haltpoll.c, governors/haltpoll.c, poll_state.c;
 * docs/kernel-behaviour.md §3), versioned by the *guest* kernel.
 *
 * States: 0 POLL (spin in guest mode, checking the clock every 200
 * cpu_relax()), 1 HALT (HLT: a VM exit). With the driver loaded the guest
 * writes MSR_KVM_POLL_CONTROL = 0 (host 5.3+), so the host does not poll too.
 *
 *   select():  poll_limit_ns == 0           -> HALT
 *              last state POLL and it timed out -> HALT
 *              otherwise                     -> POLL (for poll_limit_ns)
 *   reflect(): after a HALT, adjust(residency of the HALT alone):
 *              residency in (poll_limit_ns, guest_halt_poll_ns]: grow
 *                  (x grow, at least grow_start, at most guest_halt_poll_ns)
 *              residency > guest_halt_poll_ns and allow_shrink: shrink
 *                  (/ shrink, 0 if shrink is 0; 6.9+: below grow_start -> 0)
 *
 * A POLL ends when the guest has a task to run (need_resched: an interrupt
 * woke one) or when its limit is spent; interrupts that wake no task are
 * handled and the poll goes on with the same deadline. 5.4's adjust() worked
 * in whole microseconds.
 */
#ifndef KVMSIM_CPUIDLE_HALTPOLL_H
#define KVMSIM_CPUIDLE_HALTPOLL_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/schema.h"

struct guest_haltpoll_conf {
	bool enabled;
	char *guest_kernel; /* NULL: the host's release */
	uint32_t guest_halt_poll_ns;
	uint32_t guest_halt_poll_shrink;
	uint32_t guest_halt_poll_grow;
	uint32_t guest_halt_poll_grow_start;
	bool guest_halt_poll_allow_shrink;
	unsigned version; /* resolved guest release (KVM_VERSION_CODE) */
};

extern const struct cfg_section guest_haltpoll_section;

struct guest_haltpoll {
	const struct guest_haltpoll_conf *conf;
	uint32_t poll_limit_ns;
	int last_state_idx;
	bool poll_time_limit;
	uint64_t polls, poll_wakeups, poll_timeouts, halts, grows, shrinks;
};

enum { HALTPOLL_POLL = 0, HALTPOLL_HALT = 1 };

void haltpoll_init(struct guest_haltpoll *d, const struct guest_haltpoll_conf *c);
/* haltpoll_select - the governor's choice of state for this idle period. */
int haltpoll_select(struct guest_haltpoll *d);
/* haltpoll_reflect - the state entered ended; residency_ns is the HALT's (ignored after POLL). */
void haltpoll_reflect(struct guest_haltpoll *d, int index, int64_t residency_ns);

#endif
