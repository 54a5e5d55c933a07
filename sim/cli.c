/* cli.c - the command-line conventions every command shares (see cli.h). */
#include "sim/cli.h"
#include "sim/xalloc.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/*
 * Outputs are written to a temporary file beside their path and renamed onto it only when
 * complete, so a run that fails (a full disk, bad input found late) never leaves a
 * truncated file under the user's name. Paths that are not regular files (/dev/null, a
 * FIFO) are written in place.
 */
/* current_umask - the process's umask, read without changing it for good. */
static mode_t current_umask(void)
{
	mode_t m = umask(0);
	umask(m);
	return m;
}

struct out_file {
	FILE *f;
	char *tmp;
};
static struct out_file outs[16];

/* on_stop - a stop by signal removes the outputs not finished, then dies of it as before (a
 * handler only where the command left the default: those with their own keep it) */
static void on_stop(int sig)
{
	for (size_t i = 0; i < sizeof(outs) / sizeof(outs[0]); i++)
		if (outs[i].tmp)
			unlink(outs[i].tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_stops(void)
{
	static bool done;
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	if (done)
		return;
	done = true;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old;
		if (!sigaction(sigs[i], NULL, &old) && old.sa_handler == SIG_DFL && !(old.sa_flags & SA_SIGINFO)) {
			struct sigaction sa = { .sa_handler = on_stop };
			sigaction(sigs[i], &sa, NULL);
		}
	}
}

static struct out_file *out_slot(FILE *f)
{
	for (size_t i = 0; i < sizeof(outs) / sizeof(outs[0]); i++)
		if (outs[i].f == f)
			return &outs[i];
	return NULL;
}

FILE *cli_open_out(const char *cmd, const char *path)
{
	if (!strcmp(path, "-"))
		return stdout;
	struct stat st;
	struct out_file *slot = out_slot(NULL);
	if ((stat(path, &st) == 0 && !S_ISREG(st.st_mode)) || !slot) {
		FILE *f = fopen(path, "w");
		if (!f)
			cli_error(cmd, "%s: cannot write: %s", path, strerror(errno));
		return f;
	}
	char *tmp = xcalloc(1, strlen(path) + 16);
	sprintf(tmp, "%s.tmp-XXXXXX", path);
	int fd = mkstemp(tmp);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		cli_error(cmd, "%s: cannot write: %s", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		return NULL;
	}
	fchmod(fd, 0666 & ~current_umask()); /* as fopen would have created it */
	*slot = (struct out_file){ f, tmp };
	catch_stops();
	return f;
}

int cli_close_out(const char *cmd, const char *path, FILE *f)
{
	if (!f)
		return 0;
	int bad = ferror(f);
	struct out_file *slot = f == stdout ? NULL : out_slot(f);
	if (f == stdout)
		bad |= fflush(f) != 0;
	else
		bad |= fclose(f) != 0;
	int err = errno;
	if (slot) {
		if (!bad && rename(slot->tmp, path)) {
			bad = 1;
			err = errno;
		}
		if (bad)
			unlink(slot->tmp);
		char *tmp = slot->tmp;
		*slot = (struct out_file){ NULL, NULL }; /* before the free: on_stop reads the slots */
		free(tmp);
	}
	if (bad) {
		fprintf(stderr, "kvmsim %s: %s: write failed: %s\n", cmd, path, strerror(err));
		return EXIT_FAILED;
	}
	return 0;
}

void cli_discard_out(FILE *f)
{
	if (!f || f == stdout)
		return;
	struct out_file *slot = out_slot(f);
	fclose(f);
	if (slot) {
		unlink(slot->tmp);
		free(slot->tmp);
		*slot = (struct out_file){ NULL, NULL };
	}
}

int cli_stderr_is_tty(void)
{
	return isatty(2);
}
