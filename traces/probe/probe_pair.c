/*
 * probe_pair.c - which wake-ups a handler run answered, and from when its latency counts.
 *
 * The host stores wake-up k's sequence number (k + 1) in the guest's mailbox, reads the
 * TSC and raises the MSI. The guest's handler counts its runs, and stores in the run's
 * slot its first TSC, the sequence number it found and the run's number (last). Each run
 * is one interrupt injected; an interrupt is one MSI, or several that found the vector's
 * IRR bit still set (coalesced). Runs are paired in order: a run answers the wake-ups no
 * earlier run answered, up to the sequence number it found, less one for each later run
 * that found the same number (those MSIs reached IRR after this run's interrupt was
 * injected, so the later runs are theirs), and none raised after the run began (it read the
 * number between the host's store and its raise). A run's latency counts from the first wake-up
 * it answered, as kvmsim counts it (an arrival that finds its vector pending adds no
 * sample); the others are coalesced.
 */
#include "traces/probe/probe.h"

static void record(struct probe_result *r, uint64_t from, uint64_t to)
{
	sim_hist_record(&r->lat, (int64_t)((double)(to - from) * 1e6 / (double)r->tsc_khz));
}

void probe_pair_runs(struct probe_pairing *pp, struct probe_result *r, const volatile struct probe_rec *ring,
		     uint32_t nring, const uint64_t *raised, uint32_t nraised, uint32_t newest, uint32_t upto)
{
	for (;;) {
		uint32_t j = pp->runs + 1;
		const volatile struct probe_rec *e = &ring[j % nring];
		uint32_t run = e->run;
		if (run != j) {
			if ((int32_t)(run - j) > 0) { /* overwritten before it was read: its wake-ups are unknown */
				pp->runs++;
				r->lost_runs++;
				pp->skip = true;
				continue;
			}
			return; /* not yet written */
		}
		uint32_t s = e->seq;
		uint64_t h = e->tsc;
		if (s > upto)
			return; /* a later run may still find the same number */
		if (pp->end) { /* its last TSCs, both written after the run's number (HANDLER_END_BASE) */
			uint64_t eoi = pp->end[2 * (j % nring)], back = pp->end[2 * (j % nring) + 1];
			/* else not yet written, a record RING runs old, or (the run's number read again) one
			 * RING runs newer that overwrote the slot meanwhile */
			if (eoi >= h && back > eoi && e->run == j) {
				sim_hist_record(&r->handler, (int64_t)((double)(back - h) * 1e6 / (double)r->tsc_khz));
				sim_hist_record(&r->eoi, (int64_t)((double)(back - eoi) * 1e6 / (double)r->tsc_khz));
			}
		}
		uint32_t later = 0;
		for (uint32_t i = j + 1; i != j + nring; i++) {
			const volatile struct probe_rec *f = &ring[i % nring];
			if (f->run != i || f->seq != s)
				break;
			later++;
		}
		pp->runs++;
		uint32_t last = s > later ? s - later : 0;
		/* nor a wake-up raised after the run began: it read the number between the host's
		 * store and its raise, so that MSI is a later run's */
		while (last > pp->answered && newest - last < nraised && raised[(last - 1) % nraised] > h)
			last--;
		if (last <= pp->answered) {
			r->extra_runs++; /* nothing left for it to answer */
			continue;
		}
		uint32_t first = pp->answered + 1, n = last - first + 1;
		pp->answered = last;
		if (pp->skip || newest - first >= nraised) { /* after a lost run, or its raise forgotten */
			r->lost += n;
			pp->skip = false;
			continue;
		}
		record(r, raised[(first - 1) % nraised], h);
		r->coalesced += n - 1;
	}
}
