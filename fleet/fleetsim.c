/* fleetsim.c - the fleet on SimGrid, one engine per child process (see fleetsim.h). */
#include "fleet/fleetsim.h"
#include "sim/cli.h"
#include "sim/err.h"
#include "sim/xalloc.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dlfcn.h>
#include <limits.h>

int fleet_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, void *p, size_t n)
{
	char *c = p;
	while (n) {
		ssize_t r = read(fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* sg_error - SimGrid's reason from its stderr: "Parse error at FILE:LINE: ..." becomes
 * "FILE: line LINE: ..."; else its first CRITICAL message (an assertion on the platform), else
 * the last error line's message; never a line of the backtrace that may follow. */
static void sg_error(const char *errpath, const char *platform, char *why, size_t len)
{
	FILE *f = fopen(errpath, "r");
	char line[1024], last[1024] = "";
	bool critical = false;
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "Backtrace", 9) || !strncmp(line, "  -> ", 5) || line[0] == ' ')
			continue; /* a backtrace's lines say where, not what */
		const char *c = strstr(line, "/CRITICAL] ");
		if (c && !critical) {
			snprintf(last, sizeof(last), "%s", c + 11);
			critical = true;
			continue;
		}
		if (critical)
			continue;
		const char *m = strstr(line, "] ");
		m = m ? m + 2 : line;
		const char *e = strstr(m, "/ERROR] ");
		if (e)
			m = e + 8;
		if (!strncmp(m, "Exiting now", 11) || !*m)
			continue;
		const char *pe = strstr(m, "Parse error at ");
		if (pe) {
			const char *file = pe + 15, *colon = strchr(file, ':');
			long ln = colon ? strtol(colon + 1, NULL, 10) : 0;
			const char *msg = colon ? strchr(colon + 1, ':') : NULL;
			errf(why, len, "%s: line %ld: %s", platform, ln, msg ? msg + 2 : m);
			fclose(f);
			return;
		}
		snprintf(last, sizeof(last), "%s", m);
	}
	if (f)
		fclose(f);
	errf(why, len, "%s: %s", platform, last[0] ? last : "SimGrid could not load this platform");
}

int fleet_progress_fd = -1;

/* module_path - the SimGrid half of the fleet (fleetsim_sg.c), next to this program. */
static const char *module_path(void)
{
	static char path[PATH_MAX + 64];
	if (!path[0]) {
		char exe[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = 0;
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = 0;
		snprintf(path, sizeof(path), "%s/" FLEET_SIMGRID_MODULE, slash ? exe : ".");
	}
	return path;
}

/*
 * in_child - fork; the child's stderr goes to errpath and it runs the SimGrid
 * module's function fn(arg, fd), writing to a pipe. Only the child loads
 * SimGrid (a large C++ library whose loading would cost every kvmsim process
 * ~20 ms and 30 MB).
 */
static pid_t in_child(const char *errpath, const char *fn, const void *arg, int *rfd)
{
	const char *mod = module_path();
	int p[2];
	if (pipe(p))
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		close(p[0]);
		int e = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		fleet_progress_fd = dup(2); /* the user's stderr, for progress; SimGrid's own goes to errpath */
		if (e >= 0)
			dup2(e, 2);
		void *h = dlopen(mod, RTLD_NOW | RTLD_LOCAL);
		void (*run)(const void *, int) = h ? (void (*)(const void *, int))dlsym(h, fn) : NULL;
		if (!run) {
			fprintf(stderr, "[0] [fleet/ERROR] cannot load %s: %s\n", mod, dlerror());
			_exit(4);
		}
		run(arg, p[1]);
		_exit(0);
	}
	close(p[1]);
	*rfd = p[0];
	return pid;
}

/* tmp_err - a temporary file name for a child's stderr, one per child */
static void tmp_err(char *buf, size_t len)
{
	static unsigned seq;
	const char *t = getenv("TMPDIR");
	snprintf(buf, len, "%s/kvmsim-fleet.%d.%u.err", t && *t ? t : "/tmp", (int)getpid(), seq++);
}

int fleet_platform(const char *path, struct fleet_hostinfo **hosts, size_t *n, char *why, size_t len)
{
	if (access(path, R_OK))
		return errf(why, len, "%s: %s", path, strerror(errno)), EXIT_BAD_INPUT;
	char err[512];
	tmp_err(err, sizeof(err));
	int fd;
	pid_t pid = in_child(err, "fleet_sg_platform_child", path, &fd);
	if (pid < 0)
		return errf(why, len, "fork: %s", strerror(errno)), EXIT_FAILED;
	*hosts = NULL;
	*n = 0;
	int got = !read_all(fd, n, sizeof(*n));
	if (got) {
		*hosts = xcalloc(*n ? *n : 1, sizeof(**hosts));
		got = !read_all(fd, *hosts, *n * sizeof(**hosts));
	}
	close(fd);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	int rc = 0;
	if (!got || !WIFEXITED(st) || WEXITSTATUS(st)) {
		sg_error(err, path, why, len);
		free(*hosts);
		*hosts = NULL;
		rc = EXIT_BAD_INPUT;
	} else if (!*n) {
		errf(why, len, "%s: no hosts", path);
		free(*hosts);
		*hosts = NULL;
		rc = EXIT_BAD_INPUT;
	}
	unlink(err);
	return rc;
}

double fleet_curve_at(const struct fleet_curve *c, int field, int n)
{
	const double *v = field == 0 ? c->busy : field == 1 ? c->poll : c->guest;
	if (c->npts <= 0)
		return 0;
	if (n <= c->n[0])
		return v[0];
	for (int i = 1; i < c->npts; i++)
		if (n <= c->n[i])
			return v[i - 1] + (v[i] - v[i - 1]) * (n - c->n[i - 1]) / (c->n[i] - c->n[i - 1]);
	return v[c->npts - 1];
}

int fleet_start(const struct fleet_setup *s, struct fleet_job *j, char *why, size_t len)
{
	tmp_err(j->err, sizeof(j->err));
	j->pid = in_child(j->err, "fleet_sg_sim_child", s, &j->fd);
	if (j->pid < 0)
		return errf(why, len, "fork: %s", strerror(errno)), EXIT_FAILED;
	return 0;
}

int fleet_finish(const struct fleet_setup *s, struct fleet_job *j, struct fleet_host_out *hosts, struct fleet_out *tot,
		 char *why, size_t len)
{
	int got = !read_all(j->fd, tot, sizeof(*tot)) && !read_all(j->fd, hosts, s->nhosts * sizeof(*hosts));
	close(j->fd);
	int st;
	while (waitpid(j->pid, &st, 0) < 0 && errno == EINTR)
		;
	int rc = 0;
	if (!got || !WIFEXITED(st) || WEXITSTATUS(st)) {
		sg_error(j->err, s->platform, why, len);
		rc = EXIT_FAILED;
	}
	unlink(j->err);
	return rc;
}
