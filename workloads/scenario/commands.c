/*
 * commands.c - the commands of scenarios and the halt-polling model (run,
 * haltpoll replay, keys, profiles, policies), for the dispatcher in
 * sim/main.c, which lists each area's table.
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
