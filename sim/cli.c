/* cli.c - the `kvmsim` entry point and shared command-line conventions. */
#include "sim/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef KVMSIM_VERSION
#define KVMSIM_VERSION "0.0.0"
#endif

int cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "kvmsim%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_BAD_INPUT;
}

FILE *cli_open_out(const char *cmd, const char *path)
{
	if (!strcmp(path, "-"))
		return stdout;
	FILE *f = fopen(path, "w");
	if (!f)
		cli_error(cmd, "%s: cannot write: %s", path, strerror(errno));
	return f;
}

int cli_close_out(const char *cmd, const char *path, FILE *f)
{
	if (!f)
		return 0;
	int bad = ferror(f);
	if (f == stdout)
		bad |= fflush(f) != 0;
	else
		bad |= fclose(f) != 0;
	if (bad) {
		fprintf(stderr, "kvmsim %s: %s: write failed: %s\n", cmd, path, strerror(errno));
		return EXIT_FAILED;
	}
	return 0;
}

int cli_stderr_is_tty(void)
{
	return isatty(2);
}

static void usage(FILE *f)
{
	fprintf(f, "kvmsim %s - a discrete-event simulator of KVM halt polling, timers and interrupts\n\n"
		   "usage: kvmsim COMMAND [ARGS]   (kvmsim COMMAND --help for each)\n\ncommands:\n",
		KVMSIM_VERSION);
	for (size_t i = 0; i < cli_ncommands; i++)
		fprintf(f, "  %-18s %s\n", cli_commands[i].name, cli_commands[i].summary);
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
	for (size_t i = 0; i < cli_ncommands; i++) {
		const char *name = cli_commands[i].name;
		const char *sp = strchr(name, ' ');
		if (sp && argc >= 3 && !strncmp(argv[1], name, (size_t)(sp - name)) &&
		    strlen(argv[1]) == (size_t)(sp - name) && !strcmp(argv[2], sp + 1))
			return cli_commands[i].main(argc - 2, argv + 2);
	}
	for (size_t i = 0; i < cli_ncommands; i++)
		if (!strcmp(argv[1], cli_commands[i].name))
			return cli_commands[i].main(argc - 1, argv + 1);
	for (size_t i = 0; i < cli_ncommands; i++) {
		const char *sp = strchr(cli_commands[i].name, ' ');
		if (sp && !strncmp(argv[1], cli_commands[i].name, (size_t)(sp - cli_commands[i].name)) &&
		    strlen(argv[1]) == (size_t)(sp - cli_commands[i].name))
			return cli_error(NULL, "\"%s\" needs a subcommand: %s", argv[1], cli_commands[i].name);
	}
	cli_error(NULL, "unknown command \"%s\" (kvmsim --help lists them)", argv[1]);
	return EXIT_BAD_INPUT;
}
