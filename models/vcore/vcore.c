/*
 * vcore.c - kvmppc_vcore_blocked()'s bookkeeping and the vcore window's
 * grow/shrink/clamp per era (see vcore.h; docs/kernel-behaviour.md §2).
 * All window arithmetic is unsigned 32-bit, as in the kernel.
 */
#include "models/vcore/vcore.h"

#include <string.h>

void kvmppc_vcore_init(struct kvmppc_vcore *vc, const struct kvm_era *era, enum kvmppc_cpu cpu,
		       const struct kvm_module_params *param, uint32_t halt_poll_max_ns,
		       uint32_t runner_vcpu, struct kvmppc_vcore_stat *runner_stat,
		       const struct kvmppc_vcore_tracer *tracer)
{
	memset(vc, 0, sizeof(*vc));
	vc->era = era;
	vc->cpu = cpu;
	vc->param = param;
	vc->halt_poll_max_ns = halt_poll_max_ns;
	vc->n_runnable = 1;
	vc->runner_vcpu = runner_vcpu;
	vc->runner_stat = runner_stat;
	vc->tracer = tracer;
}

/* The P9 single-vCPU path of 5.16+: no vcore_blocked() at all. */
static bool p9_single(const struct kvmppc_vcore *vc)
{
	return vc->cpu == KVMPPC_POWER9 && vc->era->vcore_p9_no_poll;
}

bool kvmppc_vcore_polls(const struct kvmppc_vcore *vc)
{
	return vc->era->vcore_poll && !p9_single(vc);
}

uint32_t kvmppc_vcore_max_ns(const struct kvmppc_vcore *vc)
{
	return vc->era->vcore_own_max ? vc->halt_poll_max_ns : vc->param->halt_poll_ns;
}

static void grow_halt_poll_ns(struct kvmppc_vcore *vc)
{
	const struct kvm_era *era = vc->era;
	uint32_t grow = vc->param->halt_poll_ns_grow;
	if (!era->grow_start_param) {
		/* up to 5.0: "10us base" */
		if (vc->halt_poll_ns == 0 && grow)
			vc->halt_poll_ns = 10000;
		else
			vc->halt_poll_ns *= grow;
		if (era->vcore_own_max && vc->halt_poll_ns > vc->halt_poll_max_ns)
			vc->halt_poll_ns = vc->halt_poll_max_ns; /* 4.8-4.13 only */
		return;
	}
	if (!grow)
		return;
	vc->halt_poll_ns *= grow;
	if (vc->halt_poll_ns < vc->param->halt_poll_ns_grow_start)
		vc->halt_poll_ns = vc->param->halt_poll_ns_grow_start;
}

static void shrink_halt_poll_ns(struct kvmppc_vcore *vc)
{
	uint32_t shrink = vc->param->halt_poll_ns_shrink;
	/* no floor: unlike the generic shrink of 5.15+, a small window stays */
	if (shrink == 0)
		vc->halt_poll_ns = 0;
	else
		vc->halt_poll_ns /= shrink;
}

void kvmppc_vcore_adapt(struct kvmppc_vcore *vc, uint64_t block_ns)
{
	uint32_t max = kvmppc_vcore_max_ns(vc);
	if (!max) {
		vc->halt_poll_ns = 0;
		return;
	}
	if (block_ns <= vc->halt_poll_ns)
		; /* every successful poll */
	else if (vc->halt_poll_ns && block_ns > max)
		shrink_halt_poll_ns(vc); /* slept longer than the ceiling */
	else if (vc->halt_poll_ns < max && block_ns < max)
		grow_halt_poll_ns(vc); /* the window was too small */
	if (vc->era->vcore_clamp && vc->halt_poll_ns > max)
		vc->halt_poll_ns = max; /* 4.14+ */
}

void kvmppc_vcore_block_begin(struct kvmppc_vcore *vc, struct kvmppc_vcore_block *b, int64_t now)
{
	memset(b, 0, sizeof(*b));
	b->start_poll = now;
	b->poll_ns = kvmppc_vcore_polls(vc) ? vc->halt_poll_ns : 0;
	if (b->poll_ns)
		++vc->runner_stat->generic.halt_attempted_poll;
}

static void trace_blocked(const struct kvmppc_vcore *vc, bool exit)
{
	if (vc->tracer && vc->tracer->vcore_blocked)
		vc->tracer->vcore_blocked(vc->tracer->ctx, exit, vc->runner_vcpu,
					  p9_single(vc) ? 0 : vc->n_runnable);
}

void kvmppc_vcore_block_sleep(struct kvmppc_vcore *vc, struct kvmppc_vcore_block *b, int64_t now)
{
	b->slept = true;
	b->start_wait = now;
	trace_blocked(vc, false);
}

static void hist_add(uint64_t *hist, int64_t ns)
{
	hist[kvm_stats_log_hist_index(ns > 0 ? (uint64_t)ns : 0)]++;
}

void kvmppc_vcore_block_end(struct kvmppc_vcore *vc, const struct kvmppc_vcore_block *b,
			    const struct kvmppc_vcore_result *r)
{
	const struct kvm_era *era = vc->era;
	struct kvmppc_vcore_stat *st = vc->runner_stat;
	struct kvm_vcpu_stat *g = &st->generic;
	uint64_t block_ns = (uint64_t)(r->cur - b->start_poll);

	if (b->slept)
		trace_blocked(vc, true);
	if (!kvmppc_vcore_polls(vc))
		return; /* before 4.8, or POWER9 from 5.16: sleep, nothing counted or adapted */

	if (b->slept) {
		++st->halt_successful_wait;
		g->halt_wait_ns += (uint64_t)(r->cur - b->start_wait);
		if (era->stat_wait)
			hist_add(g->halt_wait_hist, r->cur - b->start_wait);
		if (b->poll_ns) {
			g->halt_poll_fail_ns += (uint64_t)(b->start_wait - b->start_poll);
			if (era->stat_wait)
				hist_add(g->halt_poll_fail_hist, b->start_wait - b->start_poll);
		}
	} else if (b->poll_ns) {
		/* found in the loop, or just before sleeping: "if we polled, count as success" */
		++g->halt_successful_poll;
		g->halt_poll_success_ns += block_ns;
		if (era->stat_wait)
			hist_add(g->halt_poll_success_hist, (int64_t)block_ns);
	}

	kvmppc_vcore_adapt(vc, block_ns);
	if (vc->tracer && vc->tracer->vcore_wakeup)
		vc->tracer->vcore_wakeup(vc->tracer->ctx, b->slept, block_ns);
}

void kvmppc_vcore_replay(struct kvmppc_vcore *vc, int64_t *now, uint64_t block_ns)
{
	struct kvmppc_vcore_block b;
	if (*now > INT64_MAX - (int64_t)block_ns)
		*now = 0; /* the clock's origin does not matter: only differences are read */
	int64_t start = *now, end = start + (int64_t)block_ns;
	kvmppc_vcore_block_begin(vc, &b, start);
	if (block_ns > b.poll_ns) /* a block of 0 was found before sleeping */
		kvmppc_vcore_block_sleep(vc, &b, start + (int64_t)b.poll_ns);
	struct kvmppc_vcore_result r = { .cur = end };
	kvmppc_vcore_block_end(vc, &b, &r);
	*now = end;
}
