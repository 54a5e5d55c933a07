/* main.c - `kvmsim COMMAND [ARGS]`: find the command in cli_tables and run it. */
#include <stdio.h>
#include <string.h>

#include "sim/cli.h"

#ifndef KVMSIM_VERSION
#define KVMSIM_VERSION "0.0.0"
#endif

/* Each area lists its own commands in a table of its own. */
extern const struct cli_cmd machine_commands[]; /* workloads/scenario/commands.c */
extern const struct cli_cmd study_commands[];   /* sim/study/commands.c */
extern const struct cli_cmd trace_commands[];   /* traces/commands.c */

const struct cli_cmd *const cli_tables[] = { machine_commands, study_commands, trace_commands, NULL };

#define FOR_EACH_CMD(c)                                                                          \
	for (const struct cli_cmd *const *t_ = cli_tables; *t_; t_++)                             \
		for (const struct cli_cmd *c = *t_; c->name; c++)

static void usage(FILE *f)
{
	fprintf(f, "kvmsim %s - a discrete-event simulator of KVM halt polling, timers and interrupts\n\n"
		   "usage: kvmsim COMMAND [ARGS]   (kvmsim COMMAND --help for each)\n\ncommands:\n",
		KVMSIM_VERSION);
	FOR_EACH_CMD(c)
	fprintf(f, "  %-18s %s\n", c->name, c->summary);
	fprintf(f, "\nexit status: 0 done, 1 the work failed, 2 bad usage or input\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_BAD_INPUT;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("kvmsim %s\n", KVMSIM_VERSION);
		return 0;
	}
	/* two-word commands ("haltpoll replay") first */
	FOR_EACH_CMD(c)
	{
		const char *sp = strchr(c->name, ' ');
		if (sp && argc >= 3 && strlen(argv[1]) == (size_t)(sp - c->name) &&
		    !strncmp(argv[1], c->name, (size_t)(sp - c->name)) && !strcmp(argv[2], sp + 1))
			return c->main(argc - 2, argv + 2);
	}
	FOR_EACH_CMD(c)
	if (!strcmp(argv[1], c->name))
		return c->main(argc - 1, argv + 1);
	FOR_EACH_CMD(c)
	{
		const char *sp = strchr(c->name, ' ');
		if (sp && strlen(argv[1]) == (size_t)(sp - c->name) && !strncmp(argv[1], c->name, (size_t)(sp - c->name)))
			return cli_error(NULL, "\"%s\" needs a subcommand, e.g. %s", argv[1], c->name);
	}
	cli_error(NULL, "unknown command \"%s\" (kvmsim --help lists them)", argv[1]);
	return EXIT_BAD_INPUT;
}
