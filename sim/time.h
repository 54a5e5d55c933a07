/*
 * time.h - simulated time.
 *
 * Simulated time is a signed 64-bit count of picoseconds (about 106 days of
 * range), so that a cost of one cycle at any realistic TSC frequency is
 * representable and sums of costs stay exact. Costs are given in cycles and
 * converted once, at load, at the modelled TSC frequency; floating point never
 * accumulates into time.
 */
#ifndef KVMSIM_SIM_TIME_H
#define KVMSIM_SIM_TIME_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t sim_time_t;

#define SIM_PS ((sim_time_t)1)
#define SIM_NS ((sim_time_t)1000)
#define SIM_US ((sim_time_t)1000000)
#define SIM_MS ((sim_time_t)1000000000)
#define SIM_S ((sim_time_t)1000000000000)
#define SIM_TIME_MAX INT64_MAX
/* SIM_INPUT_MAX - the longest time an input may give (10^6 s, about 11.6 days); every sum the
 * models form of such times stays far inside the clock's range (about 106 days). */
#define SIM_INPUT_MAX ((sim_time_t)1000000 * 1000000000000)

/* sim_time_add_sat - a + b for non-negative times, saturating at SIM_TIME_MAX. */
static inline sim_time_t sim_time_add_sat(sim_time_t a, sim_time_t b)
{
	return b > SIM_TIME_MAX - a ? SIM_TIME_MAX : a + b;
}

/* sim_cycles_to_ps - convert a cycle count at tsc_khz to ps, rounded to nearest. */
static inline sim_time_t sim_cycles_to_ps(int64_t cycles, int64_t tsc_khz)
{
	__int128 num = (__int128)cycles * 1000000000 + tsc_khz / 2;
	return (sim_time_t)(num / tsc_khz);
}

/* sim_ps_to_cycles - convert ps to whole cycles at tsc_khz (floor). */
static inline int64_t sim_ps_to_cycles(sim_time_t ps, int64_t tsc_khz)
{
	return (int64_t)(((__int128)ps * tsc_khz) / 1000000000);
}

/* sim_fmt_time - a time in the largest unit where it is at least 1 and exact in three decimals
 * at most ("20us", "1.5ms", "600.01s", "1234.567ns"); cfg_parse_time() reads it back. */
const char *sim_fmt_time(sim_time_t ps, char *buf, size_t len);

/* sim_ns - the kernel's ktime_get() view of a simulated instant (floor to ns). */
static inline int64_t sim_ns(sim_time_t t)
{
	return t / SIM_NS;
}

#endif
