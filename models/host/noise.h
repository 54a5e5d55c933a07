/*
 * noise.h - tail sources on the host that are not the VMs': interrupts of the
 * host's own devices and timers, and system management interrupts (SMIs).
 * Both are off unless a scenario asks for them (host.noise), and neither is
 * measured: they are what-if sources a user sets from their own hardware.
 *
 *   host interrupts  on each pCPU, a Poisson process at irq_rate; each
 *                    handler takes a draw from irq_cost of that pCPU
 *   SMIs             at smi_rate for the whole host; each stops every pCPU
 *                    for a draw from smi_cost (firmware runs in SMM on all
 *                    CPUs at once)
 *
 * What a stall of `cost` does to a pCPU (host_stall):
 *   idle             leaves its idle state (exit latency) and runs the
 *                    handler, charged to irq, then goes idle again; a wake-up
 *                    meanwhile is served when it is back (host_irq)
 *   leaving idle, switching, in an interrupt
 *                    what it was doing ends cost later
 *   running a task   the task's ops->stall: a vCPU in guest mode takes an
 *                    EXTERNAL_INTERRUPT exit whose handler is the cost (an SMI
 *                    is modelled the same way: its time is in the exit); a
 *                    vCPU in KVM's code finishes its current step cost later;
 *                    a polling vCPU sees no wake-up before the handler ends
 *                    (its give-up time stays); another host task finishes its
 *                    work cost later. Time in the handler is charged to what
 *                    the task was doing. A task without ops->stall ignores it.
 */
#ifndef KVMSIM_HOST_NOISE_H
#define KVMSIM_HOST_NOISE_H

#include "models/host/host.h"

/* struct host_noise_conf (irq_rate, irq_cost, smi_rate, smi_cost) is in host.h. */

/* host_noise_start - start the sources (after host_start); nothing if both rates are 0. */
void host_noise_start(struct host *h, const struct host_noise_conf *c);

/* host_stall - something that is not a task takes `cost` of p now (see above). */
void host_stall(struct pcpu *p, sim_time_t cost);

#endif
