/* commands.c - the commands of sim/study/ (sweeps and comparisons of runs), for sim/cli.c. */
#include "sim/cli.h"

const struct cli_cmd study_commands[] = {
	{ NULL },
};
