/*
 * profile.h - what N VMs of one type cost on one host, from the cycle-level
 * model: `kvmsim run SCENARIO --set vm.count=N --set host.pcpus=CORES
 * [--set K=V]...` in a child process, its JSON result reduced to the figures
 * below (sim/study/runsum.h).
 *
 * Profiles are cached: a file named by a 128-bit hash of everything the run
 * depends on (the scenario's bytes, the settings in order, N, the cores, the
 * duration and seed given, kvmsim's version) in the cache directory, so the
 * same question is never simulated twice. Delete the directory (or use
 * --no-cache) after changing the model without changing its version.
 */
#ifndef KVMSIM_FLEET_PROFILE_H
#define KVMSIM_FLEET_PROFILE_H

#include <stddef.h>
#include <stdint.h>

struct prof_req {
	const char *kvmsim;        /* the binary to run */
	const char *scenario;      /* scenario file */
	const char *const *sets;   /* K=V settings, applied in order (policy's last) */
	size_t nsets;
	int nvms, pcpus;
	const char *duration;      /* --duration for the run, or NULL (the scenario's) */
	uint64_t seed;
	const char *cache_dir;     /* NULL: no cache */
};

/* Whole-host figures of one run: CPU in pCPUs (vCPUs for steal), latency in ns. */
struct prof_fig {
	int nvms;
	double vcpus_per_vm;
	double host_cpu, guest_cpu, poll_cpu, steal_cpu;
	double wake_p99_ns, vm_worst_p99_ns; /* 0 when there were no wake-ups */
};

/*
 * prof_get - the profile of r, from the cache or by running the model (*ran set
 * to 1 then). Returns 0; EXIT_BAD_INPUT (the run refused its input: why is its
 * one line); EXIT_FAILED (the run or the cache could not be done: why says why).
 */
int prof_get(const struct prof_req *r, struct prof_fig *f, int *ran, char *why, size_t len);

/* prof_cache_default - $KVMSIM_CACHE_DIR, else $XDG_CACHE_HOME or ~/.cache, /kvmsim/profiles (malloc'd). */
char *prof_cache_default(void);

/* prof_hash - the cache key of r as 32 hex digits in out[33]; -1 with why if the scenario cannot be read. */
int prof_hash(const struct prof_req *r, char out[33], char *why, size_t len);

#endif
