/*
 * pingpong.h - closed-loop request/response between two vCPUs of one guest
 * (vm.pingpong): the next request waits for the last reply, so every
 * wake-up's latency is on the loop's critical path.
 *
 *   ipi    vCPU `from` sends an IPI (CALL_FUNCTION_SINGLE_VECTOR) to vCPU
 *          `to`; its handler answers with an IPI back; `from`'s handler takes
 *          the round trip (send to reply handler), then after `think` (a guest
 *          timer) sends again. Both sides idle (HLT, idle=poll or the guest's
 *          haltpoll) while they wait.
 *   futex  two threads on the two vCPUs wake each other (a pipe or futex
 *          ping-pong): FUTEX_WAKE, then FUTEX_WAIT into idle. The waker sends
 *          a reschedule IPI only when the other CPU idles without polling; an
 *          idle CPU that polls (TIF_POLLING_NRFLAG: idle=poll, haltpoll's poll
 *          state) sees need_resched set and needs none. The round trip is from
 *          `from`'s wake to its thread running again.
 *
 * `work` is the responder's work before it answers. Results: round trips,
 * transactions per second, the round-trip distribution (ns), the two vCPUs'
 * CPU time.
 */
#ifndef KVMSIM_WORKLOADS_PINGPONG_H
#define KVMSIM_WORKLOADS_PINGPONG_H

#include <stdbool.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "sim/dist.h"
#include "sim/hist.h"
#include "sim/schema.h"
#include "sim/time.h"

struct guest_cpu;
struct guest_timer;
struct kvm_era;

enum pingpong_mode { PINGPONG_NONE, PINGPONG_IPI, PINGPONG_FUTEX };

struct pingpong_conf {
	int mode; /* enum pingpong_mode */
	int64_t from, to;
	struct dist think;
	sim_time_t work;
	bool pv_send_ipi; /* the guest sends its IPIs by KVM_HC_SEND_IPI */
};

extern const struct cfg_section pingpong_section;
extern const char *const pingpong_mode_names[];

/* pingpong_check - the keys against the VM (vCPUs, APIC mode) and kernel; -1 with a message naming
 * path.key at its line in node (the vm's pingpong map, may be NULL). */
int pingpong_check(const struct pingpong_conf *c, int64_t vcpus, bool x2apic, bool x86, const struct kvm_era *e,
		   const char *kernel, const struct conf_node *node, const char *path, struct conf_err *err);

struct pingpong {
	const struct pingpong_conf *conf;
	struct guest_cpu *g[2]; /* from, to */
	uint32_t apic[2];
	uint8_t vector;
	struct guest_timer *timer;
	gsl_rng *rng;
	sim_time_t t0; /* the round trip in flight began */
	sim_time_t since; /* statistics start: a round trip begun before is not counted */
	/* results (since the warm-up) */
	uint64_t round_trips, ipis, polling_wakes; /* wake-ups sent as IPIs; seen by a polling CPU */
	sim_time_t rtt_sum;
	struct sim_hist rtt; /* ns */
};

/* pingpong_start - the loop between guests from and to (their APIC IDs); -1 with a message. */
int pingpong_start(struct pingpong *p, const struct pingpong_conf *c, struct guest_cpu *from, struct guest_cpu *to,
		   uint32_t apic_from, uint32_t apic_to, uint64_t seed, const char *name, char *err, size_t errlen);
void pingpong_stats_reset(struct pingpong *p);
void pingpong_free(struct pingpong *p);

#endif
