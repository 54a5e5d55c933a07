/*
 * runner.c - a small process pool for sweep runs (see runner.h). The parent
 * blocks SIGCHLD and the stop signals and takes them with sigtimedwait(), so
 * reaping, timeouts, interruption and progress are one loop with no signal
 * handlers racing it.
 */
#include "sim/study/runner.h"
#include "sim/err.h"
#include "sim/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "sim/out_json.h"

#define STDERR_KEEP 4096 /* bytes of a failed run's stderr kept in its record */

struct slot {
	pid_t pid;
	size_t id;
	double start;
	bool timed_out;
	char *part, *err;
};

unsigned runner_default_jobs(void)
{
	cpu_set_t set;
	if (!sched_getaffinity(0, sizeof(set), &set) && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

/* host_name - this host's name, for the names of partial files. */
static const char *host_name(void)
{
	static char h[HOST_NAME_MAX + 1];
	if (!h[0] && gethostname(h, sizeof(h) - 1))
		strcpy(h, "localhost");
	for (char *c = h; *c; c++)
		if (*c == '/' || *c == '.')
			*c = '_';
	return h;
}

/* temp_path - DIR/runs/.ID<what>.HOST.PID, a partial file of this runner. */
static char *temp_path(const struct plan *p, size_t id, const char *what)
{
	char *s;
	if (asprintf(&s, "%s/runs/.%0*zu%s.%s.%d", p->dir, p->idwidth, id, what, host_name(), (int)getpid()) < 0)
		abort();
	return s;
}

void runner_clean(const struct plan *p)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/runs", p->dir);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	size_t hl = strlen(host_name());
	while ((e = readdir(d))) {
		/* .ID.what.HOST.PID, or what a run killed outright (SIGKILL: --timeout) left of its
		 * unfinished output, .ID.what.HOST.PID.tmp-XXXXXX (kvmsim's temporary file): ours when
		 * HOST is this host and PID is gone */
		if (e->d_name[0] != '.' || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char name[sizeof(e->d_name)];
		snprintf(name, sizeof(name), "%s", e->d_name);
		char *tmp = strstr(name, ".tmp-");
		if (tmp)
			*tmp = 0;
		const char *dot = strrchr(name, '.');
		char *end;
		if (!dot)
			continue;
		long pid = strtol(dot + 1, &end, 10);
		if (*end || pid <= 0 || (size_t)(dot - name) < hl + 1 || dot[-(long)hl - 1] != '.' ||
		    strncmp(dot - hl, host_name(), hl))
			continue;
		if (kill((pid_t)pid, 0) && errno == ESRCH) {
			snprintf(path, sizeof(path), "%s/runs/%s", p->dir, e->d_name);
			unlink(path);
		}
	}
	closedir(d);
}

/* read_tail - the last max bytes of a file (whole lines where possible), malloc'ed. */
static char *read_tail(const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	char *buf = xcalloc(max + 1, 1);
	if (!f)
		return buf;
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	long from = size > (long)max ? size - (long)max : 0;
	fseek(f, from, SEEK_SET);
	size_t n = fread(buf, 1, max, f);
	buf[n] = 0;
	fclose(f);
	if (from > 0) { /* start at a line */
		char *nl = strchr(buf, '\n');
		if (nl && nl[1])
			memmove(buf, nl + 1, strlen(nl + 1) + 1);
	}
	return buf;
}

/* first_line - the first non-empty line of s, in buf. */
static const char *first_line(const char *s, char *buf, size_t len)
{
	while (*s == '\n' || *s == '\r')
		s++;
	size_t n = strcspn(s, "\r\n");
	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = 0;
	return buf;
}

/* write_json_atomic - dump j to path through a temporary file; 0 or -1. */
static int write_json_atomic(const json_t *j, const char *path)
{
	char tmp[PATH_MAX + 32];
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	sim_json_dump(j, f);
	if (ferror(f) | fclose(f) || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* valid_run_json - whether path holds a kvmsim-run/1 document. */
static bool valid_run_json(const char *path)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	const char *schema = json_string_value(json_object_get(j, "schema"));
	bool ok = schema && !strcmp(schema, "kvmsim-run/1");
	json_decref(j);
	return ok;
}

/* record - settle a run that ended with status: keep its JSON or write why it failed. */
static int record(const struct plan *p, struct slot *s, int status, double timeout_s)
{
	char *final = plan_path(p, s->id, ".json"), *failp = plan_path(p, s->id, ".fail.json");
	int ok = 0;
	char msg[512];
	json_t *rec = json_pack("{s:I, s:s}", "run", (json_int_t)s->id, "status", "failed");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (valid_run_json(s->part) && !rename(s->part, final)) {
			unlink(failp);
			ok = 1;
		} else {
			snprintf(msg, sizeof(msg), "exited 0 without writing a kvmsim-run/1 JSON document");
		}
		json_object_set_new(rec, "exit_code", json_integer(0));
	} else if (s->timed_out) {
		snprintf(msg, sizeof(msg), "timed out after %gs", timeout_s);
		json_object_set_new(rec, "timed_out", json_true());
	} else if (WIFSIGNALED(status)) {
		snprintf(msg, sizeof(msg), "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
		json_object_set_new(rec, "signal", json_integer(WTERMSIG(status)));
	} else {
		json_object_set_new(rec, "exit_code", json_integer(WEXITSTATUS(status)));
		snprintf(msg, sizeof(msg), "exited with status %d", WEXITSTATUS(status));
	}
	if (!ok) {
		char *tail = read_tail(s->err, STDERR_KEEP), line[400];
		if (!s->timed_out && WIFEXITED(status) && WEXITSTATUS(status) && *first_line(tail, line, sizeof(line)))
			snprintf(msg, sizeof(msg), "%s", line);
		json_object_set_new(rec, "error", json_string(msg));
		json_object_set_new(rec, "stderr", json_string(tail));
		free(tail);
		if (write_json_atomic(rec, failp))
			fprintf(stderr, "kvmsim sweep: %s: cannot write: %s\n", failp, strerror(errno));
	}
	json_decref(rec);
	unlink(s->part);
	unlink(s->err);
	free(final);
	free(failp);
	return ok;
}

/* start - fork and exec run id in slot s; -1 if the process cannot be made. */
static int start(const struct plan *p, struct slot *s, size_t id, const struct runner_opts *o,
		 const sigset_t *oldmask)
{
	s->id = id;
	s->timed_out = false;
	s->part = temp_path(p, id, ".json");
	s->err = temp_path(p, id, ".err");
	char **argv = plan_argv(p, id, o->kvmsim, s->part, NULL);
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0); /* its own group: a timeout or a stop reaches whatever the run started */
		sigprocmask(SIG_SETMASK, oldmask, NULL);
		signal(SIGCHLD, SIG_DFL);
		int in = open("/dev/null", O_RDONLY), out = open("/dev/null", O_WRONLY);
		int err = open(s->err, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(126);
		execv(argv[0], argv);
		fprintf(stderr, "cannot execute %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	plan_argv_free(argv);
	if (pid < 0) {
		free(s->part);
		free(s->err);
		return -1;
	}
	setpgid(pid, pid); /* also here, so that no kill can come before the child's own setpgid */
	s->pid = pid;
	s->start = progress_now();
	return 0;
}

/* on_chld - a no-op, so that SIGCHLD is delivered (and waited for) rather than ignored. */
static void on_chld(int sig)
{
	(void)sig;
}

int runner_run(const struct plan *p, const size_t *ids, size_t n, const struct runner_opts *o,
	       struct runner_stats *st, char *why, size_t len)
{
	memset(st, 0, sizeof(*st));
	size_t *todo = xcalloc(1, (n + 1) * sizeof(size_t)), ntodo = 0;
	for (size_t i = 0; i < n; i++) {
		enum run_state rs = plan_state(p, ids[i]);
		char bad[768];
		if (rs != RUN_TODO && plan_check_result(p, ids[i], bad, sizeof(bad))) {
			fprintf(stderr, "kvmsim sweep: %s; running run %zu again\n", bad, ids[i]);
			char *path = plan_path(p, ids[i], rs == RUN_OK ? ".json" : ".fail.json");
			unlink(path);
			free(path);
			rs = RUN_TODO;
		}
		if (rs == RUN_OK || (rs == RUN_FAILED && !o->retry_failed))
			st->skipped++;
		else
			todo[ntodo++] = ids[i];
	}
	unsigned jobs = o->jobs ? o->jobs : 1;
	struct slot *slots = xcalloc(jobs, sizeof(*slots));
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	struct sigaction sa = { .sa_handler = on_chld }, old_sa;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, &old_sa);
	sigprocmask(SIG_BLOCK, &set, &old);

	struct progress pr;
	progress_start(&pr, o->progress, "kvmsim sweep", ntodo);
	size_t next = 0, running = 0;
	int rc = 0;
	while (next < ntodo || running) {
		while (!st->signal && !rc && running < jobs && next < ntodo) {
			struct slot *s = slots;
			while (s->pid)
				s++;
			if (start(p, s, todo[next], o, &old)) {
				rc = errf(why, len, "cannot start run %zu: %s", todo[next], strerror(errno));
				break;
			}
			next++;
			running++;
		}
		if (!running)
			break;
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		siginfo_t si;
		int sig = sigtimedwait(&set, &si, &ts);
		if ((sig == SIGINT || sig == SIGTERM || sig == SIGHUP) && !st->signal) {
			st->signal = sig;
			for (unsigned j = 0; j < jobs; j++)
				if (slots[j].pid)
					kill(-slots[j].pid, SIGTERM);
		}
		int status;
		pid_t pid;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			struct slot *s = NULL;
			for (unsigned j = 0; j < jobs; j++)
				if (slots[j].pid == pid)
					s = &slots[j];
			if (!s)
				continue;
			bool clean_exit = WIFEXITED(status) && WEXITSTATUS(status) == 0;
			if (st->signal && !clean_exit && !s->timed_out) {
				unlink(s->part); /* interrupted: not a result, redone next time */
				unlink(s->err);
				st->cancelled++;
			} else if (record(p, s, status, o->timeout_s)) {
				st->ok++;
			} else {
				st->failed++;
			}
			free(s->part);
			free(s->err);
			s->pid = 0;
			running--;
			progress_update(&pr, st->ok + st->failed, st->failed, 0);
		}
		if (o->timeout_s > 0) {
			double now = progress_now();
			for (unsigned j = 0; j < jobs; j++)
				if (slots[j].pid && !slots[j].timed_out && now - slots[j].start > o->timeout_s) {
					slots[j].timed_out = true;
					kill(-slots[j].pid, SIGKILL);
				}
		}
		progress_update(&pr, st->ok + st->failed, st->failed, 0);
	}
	progress_end(&pr);
	sigprocmask(SIG_SETMASK, &old, NULL);
	sigaction(SIGCHLD, &old_sa, NULL);
	free(slots);
	free(todo);
	return rc;
}
