/* cli.c - the command-line conventions every command shares (see cli.h). */
#include "sim/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/schema.h"

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

int cli_bad_option(const char *cmd, char **argv)
{
	return cli_error(cmd, "%s: unknown option or missing value (kvmsim %s --help)", argv[optind - 1], cmd);
}

int cli_parse_u32(const char *cmd, const char *opt, const char *arg, uint32_t *v)
{
	uint64_t x;
	const char *why;
	if (cfg_parse_u64(arg, &x, &why) || x > UINT32_MAX)
		return cli_error(cmd, "%s: expected a whole number 0..4294967295, got \"%s\"", opt, arg);
	*v = (uint32_t)x;
	return 0;
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
