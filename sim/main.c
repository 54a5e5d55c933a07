/* main.c - `kvmsim COMMAND [ARGS]`: find the command in cli_tables and run it. */
#include <errno.h>
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
extern const struct cli_cmd fleet_commands[];   /* fleet/commands.c */

const struct cli_cmd *const cli_tables[] = { machine_commands, study_commands, trace_commands, fleet_commands, NULL };

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

/* group_usage - `kvmsim GROUP --help`: the group's subcommands; 0, or -1 if GROUP is none. */
static int group_usage(const char *group)
{
	int n = 0;
	FOR_EACH_CMD(c)
	{
		const char *sp = strchr(c->name, ' ');
		if (!sp || strlen(group) != (size_t)(sp - c->name) || strncmp(group, c->name, (size_t)(sp - c->name)))
			continue;
		if (!n++)
			printf("usage: kvmsim %s SUBCOMMAND [ARGS]   (kvmsim %s SUBCOMMAND --help for each)\n\n"
			       "subcommands:\n",
			       group, group);
		printf("  %-18s %s\n", sp + 1, c->summary);
	}
	return n ? 0 : -1;
}

/*
 * stdout_done - one check for every command: what it printed must have
 * reached standard output (a full disk, a closed pipe's EIO, /dev/full).
 * A command that failed (1, 2) has said why in its one line; one that
 * succeeded (0) but could not write fails (1).
 */
static int stdout_done(const char *cmd, int rc)
{
	/* an earlier failed write left its errno unless something failed since: use it only
	 * when it is one a write gives, else say "write error" rather than something stale */
	int e = errno;
	if (e != ENOSPC && e != EIO && e != EPIPE && e != EFBIG && e != EDQUOT && e != EBADF)
		e = 0;
	errno = 0;
	int bad = fflush(stdout) != 0;
	if (errno)
		e = errno;
	bad |= ferror(stdout);
	if (!bad || rc != 0)
		return rc;
	fprintf(stderr, "kvmsim%s%s: standard output: %s\n", cmd ? " " : "", cmd ? cmd : "",
		e ? strerror(e) : "write error");
	return EXIT_FAILED;
}

static int dispatch(int argc, char **argv, const char **cmd)
{
	*cmd = NULL;
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
		    !strncmp(argv[1], c->name, (size_t)(sp - c->name)) && !strcmp(argv[2], sp + 1)) {
			*cmd = c->name;
			return c->main(argc - 2, argv + 2);
		}
	}
	FOR_EACH_CMD(c)
	if (!strcmp(argv[1], c->name)) {
		*cmd = c->name;
		return c->main(argc - 1, argv + 1);
	}
	if (argc == 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h")) && !group_usage(argv[1])) {
		*cmd = argv[1];
		return 0;
	}
	FOR_EACH_CMD(c)
	{
		const char *sp = strchr(c->name, ' ');
		if (sp && strlen(argv[1]) == (size_t)(sp - c->name) && !strncmp(argv[1], c->name, (size_t)(sp - c->name)))
			return cli_error(NULL, "\"%s\" needs a subcommand, e.g. %s", argv[1], c->name);
	}
	cli_error(NULL, "unknown command \"%s\" (kvmsim --help lists them)", argv[1]);
	return EXIT_BAD_INPUT;
}

int main(int argc, char **argv)
{
	const char *cmd;
	int rc = dispatch(argc, argv, &cmd);
	return stdout_done(cmd, rc);
}
