/*
 * commands.c - the commands of sim/study/ (sweeps, comparisons of runs,
 * reports), for the dispatcher in sim/cli.c.
 */
#include "sim/cli.h"

int cmd_sweep(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_report(int argc, char **argv);

const struct cli_cmd study_commands[] = {
	{ "sweep", "run a scenario over a grid or sample of key values, in parallel, into CSV/SQLite", cmd_sweep },
	{ "compare", "compare two runs' latency distributions: quantile deltas, bootstrap CIs, KS; exit 1 on a regression",
	  cmd_compare },
	{ "report", "plots and an HTML page of runs (latency, exits, CPU time) or of a sweep (heat map, Pareto front)",
	  cmd_report },
	{ NULL },
};
