/* replay.c - idealised timing around kvm_vcpu_halt_begin()/_end() (see replay.h). */
#include "models/haltpoll/replay.h"

void replay_halt(struct kvm_vcpu_haltpoll *v, int64_t *now_ns, uint64_t halt_ns, bool valid)
{
	struct kvm_halt h;
	if (*now_ns > INT64_MAX - (int64_t)halt_ns)
		*now_ns = 0; /* long inputs: the handler reads only differences of its clock */
	int64_t start = *now_ns;
	int64_t end = start + (int64_t)halt_ns;
	kvm_vcpu_halt_begin(v, &h, start);
	struct kvm_halt_result r = { .valid_wakeup = valid, .cur_ns = end };
	if (h.do_poll && halt_ns <= h.poll_ns) {
		r.loop_success = true;
		r.waited = false;
		r.poll_end_ns = r.check_ns = end;
	} else {
		int64_t poll_end = h.do_poll ? start + (int64_t)h.poll_ns : start;
		r.waited = true;
		r.poll_end_ns = r.check_ns = poll_end;
		++v->stat.halt_wakeup; /* it slept, so a wake-up woke it */
	}
	++v->stat.halt_exits;
	kvm_vcpu_halt_end(v, &h, &r);
	*now_ns = end;
}
