/* haltpoll.c - the guest haltpoll governor's decisions (see haltpoll.h). */
#include "models/cpuidle/haltpoll.h"

#include <stddef.h>

#include "models/haltpoll/policy.h"

#define G(f) offsetof(struct guest_haltpoll_conf, f)
static const struct cfg_key keys[] = {
	{ "enabled", CFG_BOOL, G(enabled), NULL, "false", 0, 0,
	  "the guest runs cpuidle-haltpoll (and so disables host halt polling through MSR_KVM_POLL_CONTROL)" },
	{ "guest_kernel", CFG_STRING, G(guest_kernel), "release", NULL, 0, 0,
	  "the guest's kernel release (5.4 or later); unset: the host's" },
	{ "guest_halt_poll_ns", CFG_NS32, G(guest_halt_poll_ns), NULL, "200000", 0, 0, "haltpoll.guest_halt_poll_ns" },
	{ "guest_halt_poll_shrink", CFG_U32, G(guest_halt_poll_shrink), NULL, "2", 0, 0, "haltpoll.guest_halt_poll_shrink" },
	{ "guest_halt_poll_grow", CFG_U32, G(guest_halt_poll_grow), NULL, "2", 0, 0, "haltpoll.guest_halt_poll_grow" },
	{ "guest_halt_poll_grow_start", CFG_NS32, G(guest_halt_poll_grow_start), NULL, "50000", 0, 0,
	  "haltpoll.guest_halt_poll_grow_start" },
	{ "guest_halt_poll_allow_shrink", CFG_BOOL, G(guest_halt_poll_allow_shrink), NULL, "true", 0, 0,
	  "haltpoll.guest_halt_poll_allow_shrink" },
	{ NULL },
};
#undef G

const struct cfg_section guest_haltpoll_section = { "guest_haltpoll", keys, sizeof(struct guest_haltpoll_conf),
						    NULL };

void haltpoll_init(struct guest_haltpoll *d, const struct guest_haltpoll_conf *c)
{
	*d = (struct guest_haltpoll){ .conf = c };
}

int haltpoll_select(struct guest_haltpoll *d)
{
	if (d->poll_limit_ns == 0)
		return HALTPOLL_HALT;
	if (d->last_state_idx == HALTPOLL_POLL && d->poll_time_limit)
		return HALTPOLL_HALT; /* the last poll timed out */
	return HALTPOLL_POLL;
}

/* adjust_poll_limit - grow or shrink poll_limit_ns after a HALT of block_ns. */
static void adjust_poll_limit(struct guest_haltpoll *d, uint64_t block_ns)
{
	const struct guest_haltpoll_conf *c = d->conf;
	uint32_t val;
	if (block_ns > d->poll_limit_ns && block_ns <= c->guest_halt_poll_ns) {
		val = d->poll_limit_ns * c->guest_halt_poll_grow;
		if (val < c->guest_halt_poll_grow_start)
			val = c->guest_halt_poll_grow_start;
		if (val > c->guest_halt_poll_ns)
			val = c->guest_halt_poll_ns;
		d->poll_limit_ns = val;
		d->grows++;
	} else if (block_ns > c->guest_halt_poll_ns && c->guest_halt_poll_allow_shrink) {
		unsigned shrink = c->guest_halt_poll_shrink;
		val = shrink ? d->poll_limit_ns / shrink : 0;
		if (c->version >= KVM_VERSION_CODE(6, 9, 0) && shrink && val < c->guest_halt_poll_grow_start)
			val = 0;
		d->poll_limit_ns = val;
		d->shrinks++;
	}
}

void haltpoll_reflect(struct guest_haltpoll *d, int index, int64_t residency_ns)
{
	d->last_state_idx = index;
	if (index == HALTPOLL_POLL)
		return;
	uint64_t ns = residency_ns > 0 ? (uint64_t)residency_ns : 0;
	if (d->conf->version < KVM_VERSION_CODE(5, 5, 0))
		ns = ns / 1000 * 1000; /* 5.4: last_residency in microseconds */
	adjust_poll_limit(d, ns);
}
