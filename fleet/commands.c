/* commands.c - the commands of fleet/ (capacity planning on SimGrid), for sim/main.c. */
#include "sim/cli.h"

int cmd_plan(int argc, char **argv);

const struct cli_cmd fleet_commands[] = {
	{ "plan", "VMs per host under a p99 latency target; the fleet's CPU and energy on SimGrid", cmd_plan },
	{ NULL },
};
