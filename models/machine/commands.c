/* commands.c - the commands `kvmsim` knows, for sim/cli.c's dispatcher. */
#include "sim/cli.h"

int cmd_run(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_profiles(int argc, char **argv);
int cmd_policies(int argc, char **argv);
int cmd_haltpoll_replay(int argc, char **argv);

const struct cli_cmd cli_commands[] = {
	{ "run", "simulate a scenario (built-in default without a file)", cmd_run },
	{ "haltpoll replay", "print what a kernel's halt polling does with given halt durations",
	  cmd_haltpoll_replay },
	{ "keys", "list every scenario key with its unit and default", cmd_keys },
	{ "profiles", "list the built-in cost profiles, or print one", cmd_profiles },
	{ "policies", "list the halt-polling policies", cmd_policies },
};
const size_t cli_ncommands = sizeof(cli_commands) / sizeof(cli_commands[0]);
