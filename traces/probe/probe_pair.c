/*
 * probe_pair.c - which wake-ups a handler run answered, and from when its latency counts.
 *
 * The host stores wake-up k's sequence number (k + 1) in the guest's mailbox, reads the
 * TSC and raises the MSI; the guest's handler stores its first TSC under the sequence
 * number it finds. A handler therefore answers the newest wake-up raised before it ran,
 * and every older one that no earlier handler answered: those found the vector's IRR bit
 * still set and were one interrupt with it. That interrupt's latency counts from the
 * first of them, as kvmsim counts it (an arrival that finds its vector pending adds no
 * sample); the others are counted as coalesced.
 */
#include "traces/probe/probe.h"

static void record(struct probe_result *r, uint64_t from, uint64_t to)
{
	sim_hist_record(&r->lat, (int64_t)((double)(to - from) * 1e6 / (double)r->tsc_khz));
}

void probe_pair_msi(struct probe_pairing *pp, struct probe_result *r, uint64_t raised, uint64_t handler)
{
	if (handler && handler < raised && pp->first && handler >= pp->first) {
		/* it ran between the sequence number's store and the raise: it answered the
		 * wake-ups before this one, the last of which was counted as coalesced */
		record(r, pp->first, handler);
		r->unpaired--;
		pp->first = 0;
		handler = 0;
	}
	if (!pp->first)
		pp->first = raised;
	if (!handler || handler < raised) {
		r->unpaired++; /* a later handler answers it */
		return;
	}
	record(r, pp->first, handler);
	pp->first = 0;
}
