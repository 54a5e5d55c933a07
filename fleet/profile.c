/* profile.c - cycle-level profiles of a VM type, cached (see profile.h). */
#include "fleet/profile.h"
#include "sim/cli.h"
#include "sim/err.h"
#include "sim/study/runsum.h"
#include "sim/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#ifndef KVMSIM_VERSION
#define KVMSIM_VERSION "0.0.0"
#endif

#define SCHEMA "kvmsim-fleet-profile/1"

/* FNV-1a, 64 bits; two of them with different starting points make the 128-bit key */
static void fnv(uint64_t h[2], const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 2; k++)
			h[k] = (h[k] ^ c[i]) * 0x100000001b3ULL;
}

static void fnv_s(uint64_t h[2], const char *s)
{
	fnv(h, s, strlen(s) + 1); /* with the NUL: "ab","c" differs from "a","bc" */
}

/* fnv_file - path's bytes into h; -1 if it cannot be opened (errno says why), -2 on a read error. */
static int fnv_file(uint64_t h[2], const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fnv(h, buf, n);
	int bad = ferror(f);
	fclose(f);
	return bad ? -2 : 0;
}

int prof_hash(const struct prof_req *r, char out[33], char *why, size_t len)
{
	uint64_t h[2] = { 0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL };
	fnv_s(h, SCHEMA);
	fnv_s(h, KVMSIM_VERSION);
	/* the model itself: a rebuilt kvmsim (its bytes) never reuses another build's profiles */
	static uint64_t exe[2];
	static int exe_state; /* 0 not read, 1 read, -1 unreadable */
	if (!exe_state) {
		exe[0] = 0xcbf29ce484222325ULL;
		exe[1] = 0x84222325cbf29ce4ULL;
		exe_state = fnv_file(exe, r->kvmsim) ? -1 : 1;
	}
	if (exe_state < 0)
		return errf(why, len, "%s: cannot read the simulator to key its profiles", r->kvmsim);
	fnv(h, exe, sizeof(exe));
	int rc = fnv_file(h, r->scenario);
	if (rc == -1)
		return errf(why, len, "%s: %s", r->scenario, strerror(errno));
	if (rc)
		return errf(why, len, "%s: read error", r->scenario);
	char buf[8192]; /* as large as before: the same inputs keep their cache keys */
	fnv_s(h, "");
	for (size_t i = 0; i < r->nsets; i++)
		fnv_s(h, r->sets[i]);
	snprintf(buf, sizeof(buf), "n=%d pcpus=%d duration=%s seed=%llu", r->nvms, r->pcpus,
		 r->duration ? r->duration : "-", (unsigned long long)r->seed);
	fnv_s(h, buf);
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)h[0], (unsigned long long)h[1]);
	return 0;
}

char *prof_cache_default(void)
{
	const char *e = getenv("KVMSIM_CACHE_DIR");
	char *s;
	if (e && *e)
		return xstrdup(e);
	if ((e = getenv("XDG_CACHE_HOME")) && *e) {
		if (asprintf(&s, "%s/kvmsim/profiles", e) < 0)
			abort();
		return s;
	}
	e = getenv("HOME");
	if (asprintf(&s, "%s/.cache/kvmsim/profiles", e && *e ? e : "/tmp") < 0)
		abort();
	return s;
}

/* mkdirs - mkdir -p */
static int mkdirs(const char *dir)
{
	char *p = xstrdup(dir);
	for (char *c = p + 1;; c++) {
		if (*c == '/' || !*c) {
			char save = *c;
			*c = 0;
			if (mkdir(p, 0777) && errno != EEXIST) {
				free(p);
				return -1;
			}
			if (!(*c = save))
				break;
		}
	}
	free(p);
	return 0;
}

static double num(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static int cache_read(const char *path, struct prof_fig *f)
{
	json_t *j = json_load_file(path, 0, NULL);
	if (!j)
		return -1;
	const json_t *s = json_object_get(j, "schema");
	int ok = json_is_string(s) && !strcmp(json_string_value(s), SCHEMA);
	if (ok) {
		f->nvms = (int)num(j, "nvms");
		f->vcpus_per_vm = num(j, "vcpus_per_vm");
		f->host_cpu = num(j, "host_cpu");
		f->guest_cpu = num(j, "guest_cpu");
		f->poll_cpu = num(j, "poll_cpu");
		f->steal_cpu = num(j, "steal_cpu");
		f->wake_p99_ns = num(j, "wake_p99_ns");
		f->vm_worst_p99_ns = num(j, "vm_worst_p99_ns");
		/* the cache is input like any file: a figure out of its range is a miss, simulated again */
		ok = f->nvms >= 1 && f->vcpus_per_vm > 0 && isfinite(f->vcpus_per_vm) && f->host_cpu >= 0 &&
		     isfinite(f->host_cpu) && f->guest_cpu >= 0 && f->poll_cpu >= 0 && f->guest_cpu <= f->host_cpu &&
		     f->poll_cpu <= f->host_cpu && f->vm_worst_p99_ns >= 0 && isfinite(f->vm_worst_p99_ns) &&
		     (isnan(f->steal_cpu) || (f->steal_cpu >= 0 && isfinite(f->steal_cpu))) &&
		     (isnan(f->wake_p99_ns) || (f->wake_p99_ns >= 0 && isfinite(f->wake_p99_ns)));
	}
	json_decref(j);
	return ok ? 0 : -1;
}

static int cache_write(const char *path, const char *key, const struct prof_req *r, const struct prof_fig *f)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "schema", SCHEMA,
			      "key", key, "kvmsim", KVMSIM_VERSION, "scenario", r->scenario, "nvms", f->nvms, "pcpus",
			      r->pcpus, "vcpus_per_vm", f->vcpus_per_vm, "host_cpu", f->host_cpu, "guest_cpu",
			      f->guest_cpu, "poll_cpu", f->poll_cpu, "steal_cpu", f->steal_cpu, "wake_p99_ns",
			      f->wake_p99_ns, "vm_worst_p99_ns", f->vm_worst_p99_ns);
	json_t *sets = json_array();
	for (size_t i = 0; i < r->nsets; i++)
		json_array_append_new(sets, json_string(r->sets[i]));
	json_object_set_new(j, "sets", sets);
	char *tmp;
	if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
		abort();
	int rc = json_dump_file(j, tmp, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(j);
	if (!rc && rename(tmp, path))
		rc = -1;
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* first_line - the first line of file path into buf (without "kvmsim run: "). */
static void first_line(const char *path, char *buf, size_t len)
{
	buf[0] = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char line[400];
	if (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		const char *s = !strncmp(line, "kvmsim run: ", 12) ? line + 12 : line;
		snprintf(buf, len, "%s", s);
	}
	fclose(f);
}

/* simulate - run the model once; 0, EXIT_BAD_INPUT or EXIT_FAILED with why. */
static int simulate(const struct prof_req *r, struct prof_fig *f, char *why, size_t len)
{
	char dir[] = "/tmp/kvmsim-plan.XXXXXX";
	if (!mkdtemp(dir))
		return errf(why, len, "temporary directory: %s", strerror(errno)), EXIT_FAILED;
	char out[64], err[64], nv[48], pc[48], seed[32];
	snprintf(out, sizeof(out), "%s/run.json", dir);
	snprintf(err, sizeof(err), "%s/stderr", dir);
	snprintf(nv, sizeof(nv), "vm.count=%d", r->nvms);
	snprintf(pc, sizeof(pc), "host.pcpus=%d", r->pcpus);
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)r->seed);
	size_t na = 0, cap = 16 + 2 * r->nsets;
	const char **argv = xcalloc(cap, sizeof(*argv));
	argv[na++] = r->kvmsim;
	argv[na++] = "run";
	argv[na++] = r->scenario;
	argv[na++] = "--set";
	argv[na++] = pc;
	for (size_t i = 0; i < r->nsets; i++) {
		argv[na++] = "--set";
		argv[na++] = r->sets[i];
	}
	argv[na++] = "--set"; /* last: no setting may change the count */
	argv[na++] = nv;
	argv[na++] = "--seed";
	argv[na++] = seed;
	if (r->duration) {
		argv[na++] = "--duration";
		argv[na++] = r->duration;
	}
	argv[na++] = "--json";
	argv[na++] = out;
	argv[na++] = "--no-progress";
	argv[na] = NULL;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		free(argv);
		rmdir(dir);
		return errf(why, len, "fork: %s", strerror(errno)), EXIT_FAILED;
	}
	if (!pid) {
		int o = open("/dev/null", O_WRONLY), e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		if (o >= 0)
			dup2(o, 1);
		if (e >= 0)
			dup2(e, 2);
		execv(r->kvmsim, (char *const *)argv);
		fprintf(stderr, "%s: %s\n", r->kvmsim, strerror(errno));
		_exit(127);
	}
	free(argv);
	int st, rc = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	char line[512];
	first_line(err, line, sizeof(line));
	if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_BAD_INPUT) {
		rc = EXIT_BAD_INPUT;
		const char *m = !strncmp(line, "kvmsim run: ", 12) ? line + 12 : line;
		/* the model names what plan passed it: say where that came from */
		errf(why, len, "%s: %s%s", r->scenario, line[0] ? m : "the model refused its input",
		     strstr(m, "--set ") ? " (plan gives --set, --policy and --halt-poll-ns to the model as --set)" : "");
	} else if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		rc = EXIT_FAILED;
		if (WIFSIGNALED(st))
			errf(why, len, "kvmsim run %s with %d VMs: killed by signal %d", r->scenario, r->nvms, WTERMSIG(st));
		else
			errf(why, len, "kvmsim run %s with %d VMs: exit %d: %s", r->scenario, r->nvms, WEXITSTATUS(st), line);
	} else {
		json_error_t je;
		json_t *j = json_load_file(out, 0, &je);
		struct runsum s;
		char w[256];
		if (!j || runsum_from_json(j, &s, w, sizeof(w))) {
			rc = EXIT_FAILED;
			errf(why, len, "kvmsim run %s: %s", r->scenario, j ? w : je.text);
		} else if (json_array_size(json_object_get(j, "vms")) != (size_t)r->nvms) {
			rc = EXIT_BAD_INPUT;
			errf(why, len, "%s: vms: a VM type is the scenario's vm: template (vm.count=%d gave %zu VMs: "
				       "a vms: list ignores the count)", r->scenario, r->nvms,
			     json_array_size(json_object_get(j, "vms")));
		} else {
			size_t nv_ = json_array_size(json_object_get(j, "vcpus"));
			f->nvms = r->nvms;
			f->vcpus_per_vm = (double)nv_ / r->nvms;
			f->host_cpu = s.v[RS_HOST_CPU];
			f->guest_cpu = s.v[RS_GUEST_CPU];
			f->poll_cpu = s.v[RS_POLL_CPU];
			f->steal_cpu = isnan(s.v[RS_STEAL_CPU]) ? 0 : s.v[RS_STEAL_CPU];
			f->wake_p99_ns = isnan(s.v[RS_WAKE_P99]) ? 0 : s.v[RS_WAKE_P99];
			f->vm_worst_p99_ns = isnan(s.v[RS_VM_WORST_P99]) ? f->wake_p99_ns : s.v[RS_VM_WORST_P99];
		}
		json_decref(j);
	}
	unlink(out);
	unlink(err);
	rmdir(dir);
	return rc;
}

int prof_get(const struct prof_req *r, struct prof_fig *f, int *ran, char *why, size_t len)
{
	char key[33], *path = NULL;
	*ran = 0;
	if (r->cache_dir) {
		if (prof_hash(r, key, why, len))
			return EXIT_BAD_INPUT;
		if (asprintf(&path, "%s/%s.json", r->cache_dir, key) < 0)
			abort();
		if (!cache_read(path, f)) {
			free(path);
			return 0;
		}
	}
	int rc = simulate(r, f, why, len);
	*ran = 1;
	if (!rc && path && (mkdirs(r->cache_dir) || cache_write(path, key, r, f))) {
		errf(why, len, "profile cache %s: %s", r->cache_dir, strerror(errno));
		rc = EXIT_FAILED;
	}
	free(path);
	return rc;
}
