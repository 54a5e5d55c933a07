/*
 * commands.c - the commands of sim/study/ (sweeps, comparisons of runs,
 * reports), for the dispatcher in sim/cli.c.
 */
#include "sim/cli.h"

int cmd_sweep(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_report(int argc, char **argv);

const struct cli_cmd study_commands[] = {
	{ "sweep", "run a scenario over a grid or sample of key values, in parallel", cmd_sweep },
	{ "compare", "compare two runs' latencies; exit 1 on a regression (for CI)", cmd_compare },
	{ "report", "plots and an HTML page of runs or of a sweep", cmd_report },
	{ NULL },
};
