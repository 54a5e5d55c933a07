/*
 * trace_read.c - text trace layouts (trace-cmd report, ftrace, perf script),
 * compressed or not, and the dispatch to the trace.dat reader (trace_dat.c).
 *
 * A text line is taken apart from its CPU column outwards: "[NNN]" is the one
 * fixed landmark every layout shares. To its left are the task (COMM-PID for
 * ftrace and trace-cmd, COMM TID for perf, with an optional "(TGID)"), and for
 * trace-cmd an instance prefix; to its right an optional flags column, the
 * timestamp and "EVENT: PAYLOAD". The task name may hold spaces and dashes
 * ("CPU 0/KVM"), so the PID is the digits after the last dash (or space).
 */
#include "traces/trace_read.h"
#include "traces/trace_dat.h"
#include "traces/zread.h"
#include "sim/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcntl.h>
#include <sys/stat.h>

#define COMM_WIDTH 16     /* "%16s": comms are right-aligned in 16 columns */
#define LAT_COMM_WIDTH 8  /* "%8.8s" in trace-cmd report -l (latency layout) */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* find_cpu - the " [NNN] " column: its '[' or NULL. */
static const char *find_cpu(const char *line)
{
	for (const char *p = strchr(line, '['); p; p = strchr(p + 1, '[')) {
		const char *q = p + 1;
		while (is_digit(*q))
			q++;
		if (q > p + 1 && *q == ']' && (q[1] == ' ' || q[1] == '\t') && p > line && p[-1] == ' ')
			return p;
	}
	return NULL;
}

/* copy_trim - copy [b, e) without surrounding blanks into buf (n bytes); false if it does not fit. */
static bool copy_trim(const char *b, const char *e, char *buf, size_t n)
{
	while (b < e && (*b == ' ' || *b == '\t'))
		b++;
	while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if ((size_t)(e - b) >= n)
		return false;
	memcpy(buf, b, (size_t)(e - b));
	buf[e - b] = 0;
	return true;
}

/* parse_task - "COMM-PID", "COMM TID" or "COMM PID/TID", with an optional trailing "(TGID)". */
static bool parse_task(const char *line, const char *e, int comm_width, struct trace_line *tl)
{
	while (e > line && e[-1] == ' ')
		e--;
	tl->tgid = -1;
	if (e > line && e[-1] == ')') { /* ftrace's record-tgid column: "(  1234)" or "(-------)" */
		const char *o = e - 1;
		while (o > line && *o != '(')
			o--;
		if (*o != '(')
			return false;
		const char *q = o + 1;
		while (*q == ' ')
			q++;
		long tg = is_digit(*q) ? strtol(q, NULL, 10) : -1;
		if (tg > TRACE_PID_MAX)
			return false;
		tl->tgid = (int32_t)tg;
		e = o;
		while (e > line && e[-1] == ' ')
			e--;
	}
	const char *d = e;
	while (d > line && is_digit(d[-1]))
		d--;
	if (d == e || d == line)
		return false;
	if (d[-1] == '/') { /* perf's PID/TID: keep the thread */
		const char *p = d - 1;
		while (p > line && is_digit(p[-1]))
			p--;
		if (p == d - 1 || p == line || p[-1] != ' ')
			return false;
		tl->perf = true;
		d = p;
	} else if (d[-1] == ' ') {
		tl->perf = true;
	} else if (d[-1] != '-') {
		return false;
	}
	const char *num = tl->perf && strchr(d, '/') && strchr(d, '/') < e ? strchr(d, '/') + 1 : d;
	if (e - num > 7 || strtol(num, NULL, 10) > TRACE_PID_MAX)
		return false; /* no task has that pid */
	tl->pid = (int32_t)strtol(num, NULL, 10);
	if (num != d) { /* perf's PID/TID: the PID is the process */
		if (strtol(d, NULL, 10) > TRACE_PID_MAX)
			return false;
		tl->tgid = (int32_t)strtol(d, NULL, 10);
	}
	const char *ce = d - 1; /* the comm ends at the dash or blank */
	/* trace-cmd report prefixes an instance buffer's lines with "NAME: " before the %16s comm */
	const char *cb = line;
	if (!tl->perf && ce - line > comm_width) {
		const char *w = ce - comm_width;
		const char *colon = w;
		while (colon > line && colon[-1] == ' ')
			colon--;
		if (colon > line && colon[-1] == ':' && copy_trim(line, colon - 1, tl->instance, sizeof(tl->instance)))
			cb = colon;
	}
	return copy_trim(cb, ce, tl->comm, sizeof(tl->comm)) && tl->comm[0];
}

/* parse_ts - "SECS.FRACTION:" into ns; the fraction's digits say the precision. */
static const char *parse_ts(const char *p, struct trace_line *tl)
{
	const char *s = p;
	while (is_digit(*p))
		p++;
	if (p == s || *p != '.')
		return NULL;
	const char *f = ++p;
	while (is_digit(*p))
		p++;
	int digits = (int)(p - f);
	if (digits < 1 || digits > 9 || *p != ':' || p - s > 24)
		return NULL;
	long long sec = strtoll(s, NULL, 10), frac = strtoll(f, NULL, 10); /* strtoll saturates */
	for (int i = digits; i < 9; i++)
		frac *= 10;
	tl->ts_digits = digits;
	if (sec > (TRACE_TS_MAX - frac) / 1000000000LL) { /* kept apart from a wrap-around (trace_read) */
		tl->ts_bad = true;
		tl->ts_ns = TRACE_TS_MAX;
	} else {
		tl->ts_ns = sec * 1000000000LL + frac;
	}
	return p + 1;
}

/* split_latency - trace-cmd report -l: "COMM8-PID CPU<flags> SECS.USEC: ...", no brackets. */
static const char *split_latency(const char *line, struct trace_line *tl)
{
	for (const char *p = strchr(line, ' '); p; p = strchr(p + 1, ' ')) {
		const char *t = parse_ts(p + 1, tl);
		if (!t)
			continue;
		const char *fe = p; /* the "CPU<flags>" token ends before the timestamp's blanks */
		while (fe > line && fe[-1] == ' ')
			fe--;
		const char *fb = fe;
		while (fb > line && fb[-1] != ' ')
			fb--;
		const char *f = fb;
		while (is_digit(*f))
			f++;
		if (f == fb || f == fe || !copy_trim(f, fe, tl->flags, sizeof(tl->flags)))
			return NULL;
		tl->cpu = (int32_t)strtol(fb, NULL, 10);
		return parse_task(line, fb, LAT_COMM_WIDTH, tl) ? t : NULL;
	}
	return NULL;
}

/* trace_line_split - the bracketed layouts first, then trace-cmd report -l. */
int trace_line_split(const char *line, struct trace_line *tl)
{
	memset(tl, 0, sizeof(*tl));
	const char *br = find_cpu(line);
	const char *t;
	if (!br) {
		if (!(t = split_latency(line, tl)))
			return 0;
	} else {
		if (!parse_task(line, br, COMM_WIDTH, tl))
			return 0;
		tl->cpu = (int32_t)strtol(br + 1, NULL, 10);
		const char *p = strchr(br, ']') + 1;
		while (*p == ' ')
			p++;
		t = parse_ts(p, tl);
		if (!t) { /* a flags column first: "d..1." (5.x+), "d..1" (older), "dNh2." */
			const char *f = p;
			while (*p && *p != ' ')
				p++;
			if (p - f > 7 || !copy_trim(f, p, tl->flags, sizeof(tl->flags)))
				return 0;
			while (*p == ' ')
				p++;
			if (!(t = parse_ts(p, tl)))
				return 0;
		}
	}
	while (*t == ' ')
		t++;
	if (t[0] == '(' && t[1] == '+') { /* trace-cmd report --ts-diff: "(+8)" */
		t = strchr(t, ')');
		if (!t)
			return 0;
		for (t++; *t == ' '; t++)
			;
	}
	const char *colon = strstr(t, ": ");
	size_t len = colon ? (size_t)(colon - t) : strlen(t);
	if (!colon && len && t[len - 1] == ':') /* an event with an empty payload */
		len--;
	else if (!colon)
		return 0;
	if (!len || memchr(t, ' ', len))
		return 0;
	if (memchr(t, ':', len)) /* perf's "system:event" */
		tl->perf = true;
	tl->event = t;
	tl->event_len = len;
	const char *pl = colon ? colon + 2 : t + len + 1;
	while (*pl == ' ')
		pl++;
	tl->payload = pl;
	return 1;
}

/* names_kvm_event - the line mentions one of our events as "NAME:" (to tell malformed lines from others). */
static bool names_kvm_event(const char *line)
{
	for (int i = 0; i < KEV_N; i++) {
		if (i == KEV_SCHED_SWITCH)
			continue;
		const char *n = trace_event_name((enum trace_ev)i);
		size_t l = strlen(n);
		for (const char *p = strstr(line, n); p; p = strstr(p + 1, n))
			if (p[l] == ':' && (p == line || p[-1] == ' ' || p[-1] == ':'))
				return true;
	}
	return false;
}

/*
 * Every layout read here prints the per-CPU buffers merged in time order
 * (trace-cmd report and the tracefs trace file by their merge, perf script by
 * its ordering of events), one buffer instance after another at most: within
 * an instance a line earlier in time than the one before is a damaged or
 * shuffled file, whose halts would pair up wrongly.
 */
struct ts_order {
	struct {
		char instance[32];
		int64_t ts;
		long line;
	} last[16];
	size_t n;
};

/* fmt_ts - ns as SECONDS.FRACTION with the line's digits. */
static void fmt_ts(char *buf, size_t n, int64_t ns, int digits)
{
	int64_t frac = ns % 1000000000;
	for (int i = digits; i < 9; i++)
		frac /= 10;
	snprintf(buf, n, "%lld.%0*lld", (long long)(ns / 1000000000), digits, (long long)frac);
}

/* ts_order_check - -1 with a message if tl goes back in time within its instance. */
static int ts_order_check(struct ts_order *o, const struct trace_line *tl, const char *name, long line, char *err,
			  size_t errlen)
{
	size_t i = 0;
	while (i < o->n && strcmp(o->last[i].instance, tl->instance))
		i++;
	if (i == o->n) {
		if (o->n == sizeof(o->last) / sizeof(*o->last))
			return 0; /* more instances than kept: not checked */
		snprintf(o->last[o->n++].instance, sizeof(o->last[0].instance), "%s", tl->instance);
	} else if (tl->ts_ns < o->last[i].ts) {
		char now[32], before[32];
		fmt_ts(now, sizeof(now), tl->ts_ns, tl->ts_digits);
		fmt_ts(before, sizeof(before), o->last[i].ts, tl->ts_digits);
		snprintf(err, errlen,
			 "%s:%ld: timestamp %s goes back before line %ld's %s (lines out of time order: a damaged or "
			 "reordered file)",
			 name, line, now, o->last[i].line, before);
		return -1;
	}
	o->last[i].ts = tl->ts_ns;
	o->last[i].line = line;
	return 0;
}

/* read_text - the text layouts, line by line. */
static int read_text(struct zread *f, const char *name, trace_event_fn fn, void *ctx, struct trace_stats *st, char *err,
		     size_t errlen)
{
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;
	bool cmd_header = false, ftrace_header = false;
	struct ts_order order = { 0 };
	while (zread_line(f, &line, &cap) >= 0) {
		st->lines++;
		struct trace_line tl;
		if (!trace_line_split(line, &tl)) {
			if (!strncmp(line, "cpus=", 5))
				cmd_header = true;
			else if (!strncmp(line, "# tracer:", 9))
				ftrace_header = true;
			if (line[0] != '#' && names_kvm_event(line)) {
				snprintf(err, errlen,
					 "%s:%ld: expected an event line (COMM-PID [CPU] [FLAGS] SECONDS: EVENT: PAYLOAD), "
					 "got \"%.120s\"",
					 name, st->lines, line);
				rc = -1;
				break;
			}
			const char *lost = strstr(line, "[LOST ");
			if (lost) /* ftrace and trace-cmd: "CPU:1 [LOST 20 EVENTS]" */
				st->lost_events += strtoull(lost + 6, NULL, 10);
			st->other_lines++;
			continue;
		}
		if (tl.ts_bad) {
			snprintf(err, errlen, "%s:%ld: timestamp out of range (at most %lld.%09lld s): \"%.80s\"", name,
				 st->lines, (long long)(TRACE_TS_MAX / 1000000000), (long long)(TRACE_TS_MAX % 1000000000),
				 line);
			rc = -1;
			break;
		}
		if (ts_order_check(&order, &tl, name, st->lines, err, errlen)) {
			rc = -1;
			break;
		}
		if (!st->format[0]) {
			const char *fmt = tl.perf		     ? "perf script"
					  : cmd_header || tl.instance[0] ? "trace-cmd report"
					  : ftrace_header || tl.flags[0] ? "ftrace"
					  : tl.payload - (tl.event + tl.event_len) > 2 ? "trace-cmd report"
										    : "ftrace";
			snprintf(st->format, sizeof(st->format), "%s", fmt);
			st->ts_digits = tl.ts_digits;
		}
		struct trace_event ev;
		ev.type = trace_event_lookup(tl.event, tl.event_len);
		if (ev.type == KEV_NONE) {
			st->other_events++;
			continue;
		}
		ev.ts_ns = tl.ts_ns;
		ev.pid = tl.pid;
		ev.tgid = tl.tgid;
		ev.cpu = tl.cpu;
		ev.line = st->lines;
		snprintf(ev.comm, sizeof(ev.comm), "%s", tl.comm);
		char why[400];
		if (trace_event_parse(&ev, tl.payload, why, sizeof(why))) {
			if (ev.type == KEV_SCHED_SWITCH) { /* not ours to be strict about: a layout we do not know */
				st->other_events++;
				continue;
			}
			snprintf(err, errlen, "%s:%ld: %s", name, st->lines, why);
			rc = -1;
			break;
		}
		trace_stats_count(st, &ev);
		if ((rc = fn(ctx, &ev)))
			break;
	}
	free(line);
	return rc;
}

/*
 * copy_to_temp - a compressed trace.dat, uncompressed into a temporary file
 * libtracecmd can read. The file is unlinked as soon as it exists: only the
 * descriptor (returned, or -1) keeps it, so nothing is ever left behind.
 */
static int copy_to_temp(struct zread *f, const char *name, char *err, size_t errlen, int *why)
{
	const char *dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s/kvmsim-trace-XXXXXX", dir);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot make a temporary file in %s: %s", name, dir, strerror(errno));
		*why = TRACE_READ_FAILED;
		return -1;
	}
	unlink(tmp);
	char buf[65536];
	ssize_t k;
	while ((k = zread_read(f, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0, w; off < k; off += w)
			if ((w = write(fd, buf + off, (size_t)(k - off))) < 0) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				snprintf(err, errlen, "%s: cannot write a temporary copy in %s: %s", name, dir,
					 strerror(errno));
				close(fd);
				*why = TRACE_READ_FAILED;
				return -1;
			}
	if (k < 0) {
		snprintf(err, errlen, "%s", f->msg);
		close(fd);
		*why = f->err;
		return -1;
	}
	return fd;
}

/* trace_read - sniff the trace.dat magic (through gzip), else read text; no kvm event at all is bad input. */
int trace_read(const char *path, trace_event_fn fn, void *ctx, struct trace_stats *st, char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	bool is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "(stdin)" : path;
	int fd = is_stdin ? 0 : open(path, O_RDONLY);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", name, strerror(errno));
		return TRACE_READ_BAD;
	}
	struct stat sb;
	if (!is_stdin && !fstat(fd, &sb) && S_ISDIR(sb.st_mode)) { /* the user named the wrong thing: bad input */
		close(fd);
		snprintf(err, errlen, "%s: a directory, not a trace", name);
		return TRACE_READ_BAD;
	}
	struct zread *f = xcalloc(1, sizeof(*f));
	int rc;
	if (zread_open(f, fd, !is_stdin, name)) {
		snprintf(err, errlen, "%s", f->msg);
		rc = f->err;
		goto out;
	}
	static const char magic[10] = "\x17\x08" "Dtracing";
	const void *head;
	if (zread_peek(f, &head, sizeof(magic)) == sizeof(magic) && !memcmp(head, magic, sizeof(magic))) {
		snprintf(st->format, sizeof(st->format), "trace.dat");
		if (is_stdin) {
			snprintf(err, errlen, "(stdin): a trace.dat must be given as a file");
			rc = TRACE_READ_BAD;
			goto out;
		}
		int dat = f->gz ? copy_to_temp(f, name, err, errlen, &rc) : dup(f->fd);
		if (dat < 0 && !f->gz) {
			snprintf(err, errlen, "%s: cannot read: %s", name, strerror(errno));
			rc = TRACE_READ_FAILED;
		}
		if (dat >= 0)
			rc = trace_dat_read(dat, name, fn, ctx, st, err, errlen);
	} else if (f->err) {
		snprintf(err, errlen, "%s", f->msg);
		rc = f->err;
	} else {
		rc = read_text(f, name, fn, ctx, st, err, errlen);
		if (!rc && f->err) {
			snprintf(err, errlen, "%s", f->msg);
			rc = f->err;
		}
		if (!rc && !st->format[0])
			snprintf(st->format, sizeof(st->format), "no events");
	}
	if (!rc && !st->kvm_events) {
		snprintf(err, errlen,
			 "%s: no kvm events in it (%ld %s read; expected a trace of a KVM host: trace-cmd report, "
			 "tracefs trace, perf script or trace.dat)",
			 name, st->lines, !strcmp(st->format, "trace.dat") ? "records" : "lines");
		rc = TRACE_READ_BAD;
	}
out:
	zread_close(f);
	free(f);
	return rc;
}
