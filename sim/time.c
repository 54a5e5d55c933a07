/* time.c - printing simulated times. */
#include "sim/time.h"

#include <stdio.h>

const char *sim_fmt_time(sim_time_t ps, char *buf, size_t len)
{
	/* the largest unit in which the time is at least 1 and exact with three decimals at most */
	static const struct {
		sim_time_t ps;
		const char *name;
	} units[] = { { SIM_S, "s" }, { SIM_MS, "ms" }, { SIM_US, "us" }, { SIM_NS, "ns" } };
	sim_time_t mag = ps < 0 ? -ps : ps;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		sim_time_t u = units[i].ps, milli = u / 1000;
		if (mag < u || mag % milli)
			continue;
		long long whole = (long long)(mag / u), frac = (long long)(mag % u / milli);
		if (!frac)
			snprintf(buf, len, "%s%lld%s", ps < 0 ? "-" : "", whole, units[i].name);
		else {
			int digits = frac % 100 == 0 ? 1 : frac % 10 == 0 ? 2 : 3;
			long long shown = digits == 1 ? frac / 100 : digits == 2 ? frac / 10 : frac;
			snprintf(buf, len, "%s%lld.%0*lld%s", ps < 0 ? "-" : "", whole, digits, shown, units[i].name);
		}
		return buf;
	}
	snprintf(buf, len, ps ? "%lldps" : "0ns", (long long)ps);
	return buf;
}
