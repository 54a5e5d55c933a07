/* tracefs_inst.c - a tracefs instance of kvmsim's own (tracefs_inst.h). */
#include "traces/tracefs_inst.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* put - write s into dir/name, opened with flags (O_WRONLY and these); 0 or -1 (errno set) */
static int put_flags(const char *dir, const char *name, const char *s, int flags)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | flags);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, s, strlen(s));
	int e = errno;
	close(fd);
	errno = e;
	return w == (ssize_t)strlen(s) ? 0 : -1;
}

/* put - put_flags() without O_TRUNC: set_event would drop the events set before */
static int put(const char *dir, const char *name, const char *s)
{
	return put_flags(dir, name, s, 0);
}

/* the open instance, removed if kvmsim is stopped by a signal, and the handlers it replaced */
static char open_dir[256];
static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
static struct sigaction old[3];

/* on_signal - the instance removed, then the signal handled as it was before (the handler
 * kvmsim had, e.g. sim/cli.c's removing unfinished outputs, or the default) */
static void on_signal(int sig)
{
	rmdir(open_dir);
	for (int i = 0; i < 3; i++)
		if (sigs[i] == sig)
			sigaction(sig, &old[i], NULL);
	raise(sig);
}

int tracefs_open(struct tracefs_inst *t, const char *name, int buffer_kb, const char *const *events, int nev,
		 char *why, size_t len)
{
	const char *T = "/sys/kernel/tracing";
	char path[512];
	struct stat sb;
	t->dir[0] = 0;
	if (stat("/sys/kernel/tracing/instances", &sb))
		T = "/sys/kernel/debug/tracing";
	for (int i = 0; i < nev; i++) {
		snprintf(path, sizeof(path), "%s/events/%s", T, events[i]);
		if (stat(path, &sb)) {
			snprintf(why, len, "no tracefs event %s here (root and tracefs needed)", events[i]);
			return 2;
		}
	}
	snprintf(t->dir, sizeof(t->dir), "%s/instances/%s-%d", T, name, (int)getpid());
	if (mkdir(t->dir, 0700)) {
		snprintf(why, len, "cannot create a tracefs instance in %s/instances: %s (root needed)", T,
			 strerror(errno));
		t->dir[0] = 0;
		return 2;
	}
	snprintf(open_dir, sizeof(open_dir), "%s", t->dir);
	struct sigaction sa = { .sa_handler = on_signal };
	for (int i = 0; i < 3; i++) {
		sigaction(sigs[i], NULL, &old[i]);
		if (old[i].sa_handler != SIG_IGN) /* nohup's hang-up stays ignored */
			sigaction(sigs[i], &sa, NULL);
	}
	char kb[24];
	snprintf(kb, sizeof(kb), "%d", buffer_kb);
	int bad = put(t->dir, "tracing_on", "0") || put(t->dir, "buffer_size_kb", kb) ||
		  put(t->dir, "trace_clock", "mono");
	for (int i = 0; i < nev && !bad; i++) {
		char ev[128];
		const char *slash = strchr(events[i], '/');
		snprintf(ev, sizeof(ev), "%.*s:%s\n", slash ? (int)(slash - events[i]) : 0, events[i],
			 slash ? slash + 1 : events[i]);
		bad = put(t->dir, "set_event", ev);
	}
	if (bad) {
		snprintf(why, len, "setting up %s: %s", t->dir, strerror(errno));
		tracefs_close(t);
		return 1;
	}
	return 0;
}

int tracefs_filter(struct tracefs_inst *t, const char *event, const char *filter)
{
	char name[256];
	snprintf(name, sizeof(name), "events/%s/filter", event);
	return put_flags(t->dir, name, filter, O_TRUNC);
}

int tracefs_on(struct tracefs_inst *t, int on)
{
	return put(t->dir, "tracing_on", on ? "1" : "0");
}

void tracefs_trace(const struct tracefs_inst *t, char *buf, size_t len)
{
	snprintf(buf, len, "%s/trace", t->dir);
}

long tracefs_lost(const struct tracefs_inst *t)
{
	long lost = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	for (long c = 0; c < ncpu; c++) {
		char path[512], line[128];
		snprintf(path, sizeof(path), "%s/per_cpu/cpu%ld/stats", t->dir, c);
		FILE *f = fopen(path, "r");
		if (!f)
			return -1;
		while (fgets(line, sizeof(line), f)) {
			long v;
			if (sscanf(line, "overrun: %ld", &v) == 1 || sscanf(line, "dropped events: %ld", &v) == 1)
				lost += v;
		}
		fclose(f);
	}
	return lost;
}

int tracefs_close(struct tracefs_inst *t)
{
	if (!t->dir[0])
		return 0;
	put(t->dir, "tracing_on", "0");
	int rc = rmdir(t->dir), e = errno;
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	open_dir[0] = 0;
	t->dir[0] = 0;
	errno = e;
	return rc;
}
