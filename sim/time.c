/* time.c - printing simulated times. */
#include "sim/time.h"

#include <stdio.h>

const char *sim_fmt_time(sim_time_t ps, char *buf, size_t len)
{
	if (ps != 0 && ps % SIM_S == 0)
		snprintf(buf, len, "%llds", (long long)(ps / SIM_S));
	else if (ps != 0 && ps % SIM_MS == 0)
		snprintf(buf, len, "%lldms", (long long)(ps / SIM_MS));
	else if (ps != 0 && ps % SIM_US == 0)
		snprintf(buf, len, "%lldus", (long long)(ps / SIM_US));
	else if (ps % SIM_NS == 0)
		snprintf(buf, len, "%lldns", (long long)(ps / SIM_NS));
	else
		snprintf(buf, len, "%lldps", (long long)ps);
	return buf;
}
