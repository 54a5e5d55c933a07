/* commands.c - the commands of traces/ (reading and replaying real traces), for sim/cli.c. */
#include "sim/cli.h"

const struct cli_cmd trace_commands[] = {
	{ NULL },
};
