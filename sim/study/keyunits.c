/* keyunits.c - swept values as numbers in their key's base unit (see keyunits.h). */
#include "sim/study/keyunits.h"
#include "sim/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/schema.h"

/* keys_markdown - the stdout of `kvmsim keys --markdown`, malloc'ed; NULL if it cannot be had. */
static char *keys_markdown(const char *kvmsim)
{
	int fd[2];
	if (pipe(fd))
		return NULL;
	pid_t pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		dup2(nul, 0);
		dup2(nul, 2);
		dup2(fd[1], 1);
		close(fd[0]);
		execl(kvmsim, kvmsim, "keys", "--markdown", (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	if (pid < 0) {
		close(fd[0]);
		return NULL;
	}
	size_t n = 0, cap = 1 << 16;
	char *buf = xcalloc(1, cap + 1);
	ssize_t k;
	while ((k = read(fd[0], buf + n, cap - n)) > 0 || (k < 0 && errno == EINTR)) {
		if (k > 0)
			n += (size_t)k;
		if (n == cap) {
			buf = xrealloc(buf, 2 * cap + 1);
			cap *= 2;
		}
	}
	buf[n] = 0;
	close(fd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* doc_key - the documented name of a swept key: list indices as N, vms.N.X as vm.X. */
static void doc_key(const char *key, char *out, size_t len)
{
	size_t o = 0;
	for (const char *s = key; *s && o + 2 < len;) {
		bool start = s == key || s[-1] == '.';
		if (start && isdigit((unsigned char)*s)) {
			while (isdigit((unsigned char)*s))
				s++;
			out[o++] = 'N';
		} else {
			out[o++] = *s++;
		}
	}
	out[o] = 0;
	if (!strncmp(out, "vms.N.", 6))
		memmove(out + 2, out + 5, strlen(out + 5) + 1); /* "vms.N.x" -> "vm.x" */
}

/* kind_of - a key's kind from its "type / unit" cell. */
static void kind_of(const char *type, size_t tl, struct key_unit *k)
{
	char t[96];
	snprintf(t, sizeof(t), "%.*s", (int)tl, type);
	const char *bare = strstr(t, "(bare number: ");
	k->kind = KU_TEXT;
	if (!strncmp(t, "time ", 5) || !strncmp(t, "distribution ", 13)) {
		k->kind = KU_TIME;
		snprintf(k->bare, sizeof(k->bare), "%.*s", bare ? (int)strcspn(bare + 14, ")") : 1, bare ? bare + 14 : "s");
	} else if (!strncmp(t, "ns (", 4)) {
		k->kind = KU_TIME;
		strcpy(k->bare, "ns");
	} else if (!strncmp(t, "rate ", 5)) {
		k->kind = KU_RATE;
	} else if (!strcmp(t, "integer") || !strcmp(t, "probability") || !strcmp(t, "us")) {
		k->kind = KU_PLAIN;
	}
}

void ku_lookup(const char *kvmsim, const char *const *keys, size_t nkeys, struct key_unit *out)
{
	memset(out, 0, nkeys * sizeof(*out));
	char *md = nkeys ? keys_markdown(kvmsim) : NULL;
	for (size_t i = 0; md && i < nkeys; i++) {
		char want[256], pat[264];
		doc_key(keys[i], want, sizeof(want));
		snprintf(pat, sizeof(pat), "\n| `%s` | ", want);
		const char *row = strstr(md, pat);
		if (!row)
			continue;
		const char *type = row + strlen(pat);
		/* the cell ends at " | " that is not an escaped "\|" of a choice list */
		const char *end = type;
		while ((end = strstr(end, " | ")) && end > type && end[-1] == '\\')
			end++;
		if (end)
			kind_of(type, (size_t)(end - type), &out[i]);
	}
	free(md);
}

const char *ku_unit(const struct key_unit *k)
{
	return k->kind == KU_TIME ? "ps" : k->kind == KU_RATE ? "Hz" : k->kind == KU_PLAIN ? "" : NULL;
}

double ku_value(const struct key_unit *k, const char *text)
{
	const char *why;
	sim_time_t ps;
	double v;
	char *end;
	switch (k->kind) {
	case KU_TIME:
		return cfg_parse_time(text, k->bare, &ps, &why) ? NAN : (double)ps;
	case KU_RATE:
		return cfg_parse_rate(text, &v, &why) ? NAN : v;
	case KU_PLAIN:
		errno = 0;
		v = strtod(text, &end);
		return errno || end == text || *end ? NAN : v;
	default:
		return NAN;
	}
}
