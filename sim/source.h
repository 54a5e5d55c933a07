/*
 * source.h - arrival processes: what wakes a guest, or loads a host CPU.
 *
 *   idle      nothing arrives
 *   periodic  every `period`, each arrival moved by a uniform draw in [-jitter, +jitter]
 *   poisson   exponential inter-arrival times at `rate`
 *   onoff     bursts: Poisson at `rate` during `on` periods, silence during `off`
 *   file      inter-arrival times in ns read from `file`, one per line (# comments);
 *             from the start again at the end with `loop`
 *   arrivals  recorded arrivals replayed as they happened: `file` holds lines
 *             "TIME_NS WORK_NS" (for every vCPU) or "VCPU TIME_NS WORK_NS" (for
 *             vCPU index VCPU of the VM), absolute times from the run's start,
 *             each with the guest work it caused; `work` is not drawn. A fourth
 *             column, "VCPU TIME_NS WORK_NS WAKE_NS", gives the delay beyond the
 *             model's own that the host took to wake the vCPU's thread if this
 *             arrival found it asleep (as a recorded trace showed it)
 *
 * Every arrival carries the work it causes, drawn from `work` at arrival time
 * from the same stream as the arrival times. The sequence of arrivals and
 * their work is therefore fixed by the seed and the source's name alone: two
 * runs that differ only in policy see exactly the same load (common random
 * numbers), whatever the system under test does with it.
 */
#ifndef KVMSIM_SIM_SOURCE_H
#define KVMSIM_SIM_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "sim/dist.h"
#include "sim/event.h"
#include "sim/schema.h"

enum source_type { SRC_IDLE, SRC_PERIODIC, SRC_POISSON, SRC_ONOFF, SRC_FILE, SRC_ARRIVALS };

struct source_conf {
	int type;
	double rate;
	sim_time_t period, jitter, start;
	struct dist on, off, work;
	char *file;
	bool loop;
};

/* The keys of a source section, for embedding in other sections' tables. */
extern const struct cfg_section source_section;

struct source_file; /* loaded inter-arrival times, shared by every source that reads the file */

struct source {
	const struct source_conf *conf;
	const struct source_file *trace;
	size_t trace_pos;
	int vcpu; /* arrivals: which vCPU's lines this source replays */
	gsl_rng *rng;
	bool on; /* onoff: in a burst */
	sim_time_t phase_end;
	sim_time_t next_nominal; /* periodic: the un-jittered next arrival */
	sim_time_t t0;           /* arrivals: the time their zero stands for */
	void (*fire)(void *ctx, sim_time_t work);
	void *ctx;
	uint64_t arrivals;
	sim_time_t wake_delay; /* arrivals: the current arrival's WAKE_NS (0 without that column) */
};

/*
 * source_file_load - read and check a file of inter-arrival times (ns), or of
 * arrivals (see above). Errors name the file and line. Files are cached by path.
 */
const struct source_file *source_file_load(const char *path, bool arrivals, char *err, size_t errlen);
void source_files_free(void);

/* source_init - a source for conf (of vCPU index `vcpu`), drawing from a stream named `name`. */
int source_init(struct source *s, const struct source_conf *conf, int vcpu, uint64_t seed, const char *name,
		void (*fire)(void *ctx, sim_time_t work), void *ctx, char *err, size_t errlen);
void source_fini(struct source *s);
/* source_check_vcpus - an arrivals file names no vCPU beyond the VM's nvcpus; -1 with "FILE:LINE: ..." */
int source_check_vcpus(const struct source_conf *conf, int nvcpus, char *err, size_t errlen);
/* source_start - schedule the first arrival. */
void source_start(struct source *s, struct sim *sim);

/* source_check - cross-key validation of a bound source_conf (used by section checks). */
int source_check(void *obj, const struct conf_node *map, const char *path, struct conf_err *err);

#endif
