/*
 * commands.c - the commands `kvmsim` knows. Each area lists its own in a
 * table (machine_commands here, and those of the other areas), and the
 * dispatcher in sim/cli.c walks cli_tables.
 */
#include "sim/cli.h"

int cmd_run(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_profiles(int argc, char **argv);
int cmd_policies(int argc, char **argv);
int cmd_haltpoll_replay(int argc, char **argv);

const struct cli_cmd machine_commands[] = {
	{ "run", "simulate a scenario (built-in default without a file)", cmd_run },
	{ "haltpoll replay", "print what a kernel's halt polling does with given halt durations",
	  cmd_haltpoll_replay },
	{ "keys", "list every scenario key with its unit and default", cmd_keys },
	{ "profiles", "list the built-in cost profiles, or print one", cmd_profiles },
	{ "policies", "list the halt-polling policies", cmd_policies },
	{ NULL },
};

extern const struct cli_cmd study_commands[]; /* sim/study/commands.c */
extern const struct cli_cmd trace_commands[]; /* traces/commands.c */

const struct cli_cmd *const cli_tables[] = { machine_commands, study_commands, trace_commands, NULL };
