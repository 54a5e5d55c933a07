/*
 * units.h - numbers with units, as scenario keys and command-line options take
 * them: times take ps, ns, us, ms or s (a bare number is in the key's unit),
 * rates take Hz, kHz or MHz, frequencies Hz .. GHz, sizes k, M, G (binary, as
 * fio's: 4k is 4096 bytes). Parsing is exact (decimal
 * mantissa and exponent scaled in integers), so "1.5us" is 1500000 ps.
 */
#ifndef KVMSIM_SIM_UNITS_H
#define KVMSIM_SIM_UNITS_H

#include <stdint.h>

#include "sim/time.h"

/* Parsers, also for command-line options. Return 0, or -1 with a reason in why. */
int cfg_parse_time(const char *s, const char *unit, sim_time_t *ps, const char **why);
int cfg_parse_rate(const char *s, double *hz, const char **why);
int cfg_parse_freq_khz(const char *s, int64_t *khz, const char **why);
int cfg_parse_u64(const char *s, uint64_t *v, const char **why);
int cfg_parse_bytes(const char *s, int64_t *bytes, const char **why);

/* cfg_time_unit_ps - picoseconds in one `name` (ps .. s; NULL: ns); 0 for an unknown unit. */
int64_t cfg_time_unit_ps(const char *name);

#endif
