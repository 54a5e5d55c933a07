/*
 * cli.h - the command line: `kvmsim COMMAND [ARGS]`, each command a function
 * of its own (run, haltpoll replay, keys, ...), and the conventions they share:
 * usage errors and bad input exit 2 with one line naming what was wrong;
 * failures to do the work (an unwritable output) exit 1.
 */
#ifndef KVMSIM_SIM_CLI_H
#define KVMSIM_SIM_CLI_H

#include <stdint.h>
#include <stdio.h>

struct cli_cmd {
	const char *name;    /* "run", "haltpoll replay" */
	const char *summary; /* one line for `kvmsim --help` */
	int (*main)(int argc, char **argv);
};

#define EXIT_BAD_INPUT 2
#define EXIT_FAILED 1

/* NULL-terminated list of NULL-name-terminated command tables (sim/main.c). */
extern const struct cli_cmd *const cli_tables[];

/* cli_error - print "kvmsim CMD: message" to stderr; returns EXIT_BAD_INPUT. */
int cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* cli_bad_option - "kvmsim CMD: OPT: unknown option or missing value (kvmsim CMD --help)"
 * for the option getopt_long refused (argv[optind - 1]); returns EXIT_BAD_INPUT. */
int cli_bad_option(const char *cmd, char **argv);

/* cli_parse_u32 - an option's whole number 0..4294967295 (decimal, 0x hex or 1e3 forms, as
 * --set takes them); EXIT_BAD_INPUT after "kvmsim CMD: OPT: expected ..., got ARG". */
int cli_parse_u32(const char *cmd, const char *opt, const char *arg, uint32_t *v);

/* cli_open_out - open an output file ("-" is stdout); NULL after printing why. */
FILE *cli_open_out(const char *cmd, const char *path);
/* cli_close_out - close (unless stdout), reporting write errors; 0 or EXIT_FAILED. A file is
 * written under a temporary name and appears at its path only once complete. */
int cli_close_out(const char *cmd, const char *path, FILE *f);
/* cli_discard_out - the command failed: close without keeping anything (nothing is replaced). */
void cli_discard_out(FILE *f);

/* cli_stderr_is_tty - progress lines go to a terminal only (and never under --quiet). */
int cli_stderr_is_tty(void);

#endif
