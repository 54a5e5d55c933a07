/*
 * replay.h - feeding halt durations to the kernel's halt handler with
 * idealised timing, as `kvmsim haltpoll replay` does:
 *
 *   a halt no longer than the poll window ends in a successful poll lasting
 *   the halt; a longer one polls the whole window, then sleeps for the rest;
 *   a halt with no poll window (polling off, or disabled) sleeps throughout.
 *
 * The statistics, grow/shrink and tracepoints are then exactly the kernel's
 * (kvm_halt.c); only the timing is idealised.
 */
#ifndef KVMSIM_HALTPOLL_REPLAY_H
#define KVMSIM_HALTPOLL_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "models/haltpoll/kvm_halt.h"

/* replay_halt - one halt of halt_ns at kernel time *now_ns (advanced past it). */
void replay_halt(struct kvm_vcpu_haltpoll *v, int64_t *now_ns, uint64_t halt_ns, bool valid);

#endif
