/* trace_dat_out.c - kvm events as a trace-cmd trace.dat, version 6 (see trace_dat_out.h). */
#include "models/tracepoints/trace_dat_out.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sim/xalloc.h"

#define PAGE TRACE_DAT_PAGE_SIZE
#define PAGE_HDR 16		   /* u64 timestamp, local_t commit (long size 8) */
#define PAGE_DATA (PAGE - PAGE_HDR)
#define TYPE_LEN_MAX_DATA 28	   /* type_len 1..28: the data's length in 4-byte words */
#define TYPE_TIME_EXTEND 30
#define TIME_DELTA_BITS 27
#define EVENT_ID_BASE 1000	   /* the kvm events' IDs: EVENT_ID_BASE + enum kvm_event */
#define COMMON_SIZE 8		   /* common_type, _flags, _preempt_count, _pid */
#define MSG_MAX 1024

/* What the kernel shows in tracefs, as `trace-cmd record` copies it into the file. */
static const char header_page[] =
	"\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
	"\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
	"\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
	"\tfield: char data;\toffset:16;\tsize:4080;\tsigned:0;\n";
static const char header_event[] = "# compressed entry header\n"
				   "\ttype_len    :    5 bits\n"
				   "\ttime_delta  :   27 bits\n"
				   "\tarray       :   32 bits\n"
				   "\n"
				   "\tpadding     : type == 29\n"
				   "\ttime_extend : type == 30\n"
				   "\ttime_stamp : type == 31\n"
				   "\tdata max type_len  == 28\n";
static const char trace_clock[] = "[local]";

enum { OPT_DONE = 0, OPT_TRACECLOCK = 4, OPT_UNAME = 5, OPT_CPUCOUNT = 8 }; /* trace-cmd's option ids */

struct dat_cpu {
	FILE *spill; /* full pages */
	uint64_t npages;
	unsigned char page[PAGE];
	size_t used; /* bytes of the current page's data; 0: no page open */
	int64_t last_ts;
};

struct dat_comm {
	int pid;
	char comm[32];
};

struct trace_dat_out {
	int ncpus;
	struct dat_cpu *cpu;
	struct dat_comm *comms;
	size_t ncomms, capcomms;
	int err; /* the first errno of a temporary file */
};

/* ---- little-endian bytes ----------------------------------------------------------------- */

struct buf {
	unsigned char *p;
	size_t n, cap;
};

static void put(struct buf *b, const void *s, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void le(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put_le(struct buf *b, uint64_t v, int bytes)
{
	unsigned char t[8];
	le(t, v, bytes);
	put(b, t, (size_t)bytes);
}

static void put_str0(struct buf *b, const char *s)
{
	put(b, s, strlen(s) + 1);
}

/* put_sized - a u64 (or u32) size, then the text without its NUL */
static void put_sized(struct buf *b, const char *s, size_t n, int size_bytes)
{
	put_le(b, n, size_bytes);
	put(b, s, n);
}

/* ---- the events' fields ------------------------------------------------------------------ */

/*
 * Every event carries its payload text as the string `msg`, which its print fmt prints.
 * A few also carry the kernel's own fields (names, types and offsets as 6.x's format
 * files show them), read back from that text: kvm_exit and kvm_entry, because
 * libtraceevent's kvm plugin formats those two from their fields (as it does for a
 * real recording), and the halt-polling events, for filters and plots on their values.
 */
struct dat_field {
	const char *decl;
	unsigned offset, size;
	bool is_signed;
};

struct dat_layout {
	const struct dat_field *f; /* ends with a NULL decl; NULL: the common fields only */
	unsigned msg_off;	   /* the __data_loc msg's offset */
	void (*fill)(unsigned char *rec, const char *payload);
};

/* word_after - where the value after the word key (at the start or after a space, then a space) starts */
static const char *word_after(const char *s, const char *key)
{
	size_t k = strlen(key);
	for (const char *p = s; (p = strstr(p, key)); p += k)
		if ((p == s || p[-1] == ' ' || p[-1] == '(') && p[k] == ' ')
			return p + k + 1;
	return NULL;
}

static void put_num(unsigned char *rec, unsigned off, int size, const char *s, const char *key, int base)
{
	const char *p = word_after(s, key);
	if (p)
		le(rec + off, strtoull(p, NULL, base), size);
}

static void fill_exit(unsigned char *r, const char *s)
{
	const char *p = word_after(s, "reason");
	if (p) {
		char name[48];
		if (sscanf(p, "%47s", name) == 1) {
			int n = vmx_exit_reason_parse(name);
			le(r + 8, n >= 0 ? (uint64_t)n : strtoull(name, NULL, 0), 4);
		}
	}
	put_num(r, 16, 8, s, "rip", 0);
	le(r + 24, 1, 4); /* isa: KVM_ISA_VMX, the exit reasons kvmsim models */
	if ((p = word_after(s, "info"))) { /* 4.x: "info %llx %llx" */
		char *end;
		le(r + 32, strtoull(p, &end, 16), 8);
		le(r + 40, strtoull(end, NULL, 16), 8);
	}
	put_num(r, 32, 8, s, "info1", 0);
	put_num(r, 40, 8, s, "info2", 0);
	put_num(r, 48, 4, s, "intr_info", 0);
	put_num(r, 52, 4, s, "error_code", 0);
	put_num(r, 56, 4, s, "vcpu", 10);
	put_num(r, 64, 8, s, "requests", 0);
}

static void fill_entry(unsigned char *r, const char *s)
{
	put_num(r, 8, 4, s, "vcpu", 10);
	put_num(r, 16, 8, s, "rip", 0);
	r[24] = strstr(s, "[immediate exit]") != NULL;
	put_num(r, 28, 4, s, "intr_info", 0);
	put_num(r, 32, 4, s, "error_code", 0);
}

static void fill_halt_poll_ns(unsigned char *r, const char *s)
{
	const char *g = word_after(s, "(grow");
	r[8] = g != NULL;
	if (!g)
		g = word_after(s, "(shrink");
	put_num(r, 12, 4, s, "vcpu", 10);
	const char *p = word_after(s, "halt_poll_ns");
	if (p) /* 4.3-4.6 print them as int */
		le(r + 16, (uint64_t)strtoll(p, NULL, 10), 4);
	if (g)
		le(r + 20, (uint64_t)strtoll(g, NULL, 10), 4);
}

static void fill_vcpu_wakeup(unsigned char *r, const char *s)
{
	put_num(r, 8, 8, s, "time", 10);
	r[16] = !strncmp(s, "wait", 4);
	r[17] = strstr(s, "polling invalid") == NULL; /* without ", polling %s" (4.4): valid */
}

static const struct dat_field exit_fields[] = {
	{ "unsigned int exit_reason", 8, 4, false }, { "unsigned long guest_rip", 16, 8, false },
	{ "u32 isa", 24, 4, false },		    { "u64 info1", 32, 8, false },
	{ "u64 info2", 40, 8, false },		    { "u32 intr_info", 48, 4, false },
	{ "u32 error_code", 52, 4, false },	    { "unsigned int vcpu_id", 56, 4, false },
	{ "u64 requests", 64, 8, false },	    { NULL, 0, 0, false },
};
static const struct dat_field entry_fields[] = {
	{ "unsigned int vcpu_id", 8, 4, false }, { "unsigned long rip", 16, 8, false },
	{ "bool immediate_exit", 24, 1, false }, { "u32 intr_info", 28, 4, false },
	{ "u32 error_code", 32, 4, false },	 { NULL, 0, 0, false },
};
static const struct dat_field halt_poll_ns_fields[] = {
	{ "bool grow", 8, 1, false },	  { "unsigned int vcpu_id", 12, 4, false },
	{ "unsigned int new", 16, 4, false }, { "unsigned int old", 20, 4, false },
	{ NULL, 0, 0, false },
};
static const struct dat_field vcpu_wakeup_fields[] = {
	{ "__u64 ns", 8, 8, false },
	{ "bool waited", 16, 1, false },
	{ "bool valid", 17, 1, false },
	{ NULL, 0, 0, false },
};

static struct dat_layout layout(enum kvm_event ev)
{
	switch (ev) {
	case EV_kvm_exit:
		return (struct dat_layout){ exit_fields, 72, fill_exit };
	case EV_kvm_entry:
		return (struct dat_layout){ entry_fields, 36, fill_entry };
	case EV_kvm_halt_poll_ns:
		return (struct dat_layout){ halt_poll_ns_fields, 24, fill_halt_poll_ns };
	case EV_kvm_vcpu_wakeup:
		return (struct dat_layout){ vcpu_wakeup_fields, 20, fill_vcpu_wakeup };
	default:
		return (struct dat_layout){ NULL, COMMON_SIZE, NULL };
	}
}

/* ---- the writer -------------------------------------------------------------------------- */

struct trace_dat_out *trace_dat_out_new(int ncpus)
{
	struct trace_dat_out *d = xcalloc(1, sizeof(*d));
	d->ncpus = ncpus;
	d->cpu = xcalloc((size_t)(ncpus > 0 ? ncpus : 1), sizeof(*d->cpu));
	for (int i = 0; i < ncpus; i++) {
		if (!(d->cpu[i].spill = tmpfile())) {
			int e = errno;
			trace_dat_out_free(d);
			errno = e;
			return NULL;
		}
	}
	return d;
}

void trace_dat_out_free(struct trace_dat_out *d)
{
	if (!d)
		return;
	for (int i = 0; i < d->ncpus; i++)
		if (d->cpu[i].spill)
			fclose(d->cpu[i].spill);
	free(d->cpu);
	free(d->comms);
	free(d);
}

static void flush_page(struct trace_dat_out *d, struct dat_cpu *c)
{
	le(c->page + 8, c->used, 8);
	memset(c->page + PAGE_HDR + c->used, 0, PAGE_DATA - c->used);
	if (fwrite(c->page, PAGE, 1, c->spill) != 1 && !d->err)
		d->err = errno ? errno : EIO;
	c->npages++;
	c->used = 0;
}

static void note_comm(struct trace_dat_out *d, const char *comm, int pid)
{
	for (size_t i = d->ncomms; i-- > 0;)
		if (d->comms[i].pid == pid)
			return; /* a thread keeps its first name, as saved_cmdlines would show it */
	if (d->ncomms == d->capcomms) {
		d->capcomms = d->capcomms ? 2 * d->capcomms : 16;
		d->comms = xrealloc(d->comms, d->capcomms * sizeof(*d->comms));
	}
	struct dat_comm *c = &d->comms[d->ncomms++];
	c->pid = pid;
	snprintf(c->comm, sizeof(c->comm), "%s", comm);
}

void trace_dat_out_event(struct trace_dat_out *d, const char *comm, int pid, int cpu, int64_t ts_ns,
			 enum kvm_event ev, const char *payload)
{
	if (cpu < 0)
		cpu = 0; /* not expected: the machine's threads all run on a CPU */
	if (cpu >= d->ncpus) { /* not expected either (the CPUs are counted first), but cheap to allow */
		d->cpu = xrealloc(d->cpu, (size_t)(cpu + 1) * sizeof(*d->cpu));
		memset(d->cpu + d->ncpus, 0, (size_t)(cpu + 1 - d->ncpus) * sizeof(*d->cpu));
		for (; d->ncpus <= cpu; d->ncpus++)
			if (!(d->cpu[d->ncpus].spill = tmpfile()) && !d->err)
				d->err = errno ? errno : EIO;
		if (!d->cpu[cpu].spill)
			return;
	}
	note_comm(d, comm, pid);
	struct dat_cpu *c = &d->cpu[cpu];
	struct dat_layout l = layout(ev);
	size_t msg = strnlen(payload, MSG_MAX - 1) + 1;
	size_t data = (l.msg_off + 4 + msg + 3) & ~(size_t)3;
	bool small = data <= TYPE_LEN_MAX_DATA * 4;
	size_t rec = 4 + (small ? 0 : 4) + data;

	uint64_t delta = ts_ns > c->last_ts ? (uint64_t)(ts_ns - c->last_ts) : 0;
	bool extend = delta >> TIME_DELTA_BITS;
	if (c->used && c->used + rec + (extend ? 8 : 0) > PAGE_DATA)
		flush_page(d, c);
	if (!c->used) { /* a new page: its timestamp is this event's */
		le(c->page, (uint64_t)ts_ns, 8);
		delta = 0;
		extend = false;
	}
	unsigned char *p = c->page + PAGE_HDR + c->used;
	if (extend) {
		le(p, TYPE_TIME_EXTEND | (delta & ((1u << TIME_DELTA_BITS) - 1)) << 5, 4);
		le(p + 4, delta >> TIME_DELTA_BITS, 4);
		p += 8;
		c->used += 8;
		delta = 0;
	}
	le(p, (small ? data / 4 : 0) | delta << 5, 4);
	p += 4;
	if (!small) {
		le(p, data + 4, 4); /* array[0]: the data's length and its own 4 bytes */
		p += 4;
	}
	memset(p, 0, data);
	le(p, EVENT_ID_BASE + (unsigned)ev, 2); /* common_type; common_flags, _preempt_count 0 */
	le(p + 4, (uint32_t)pid, 4);
	if (l.fill)
		l.fill(p, payload);
	le(p + l.msg_off, (uint32_t)msg << 16 | (l.msg_off + 4), 4); /* __data_loc: length, offset */
	memcpy(p + l.msg_off + 4, payload, msg - 1);
	c->used += rec;
	c->last_ts = ts_ns;
}

static void put_event_format(struct buf *b, enum kvm_event ev)
{
	struct dat_layout l = layout(ev);
	char f[2048];
	int n = snprintf(f, sizeof(f),
			 "name: %s\nID: %d\nformat:\n"
			 "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
			 "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
			 "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
			 "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n",
			 kvm_event_names[ev], EVENT_ID_BASE + (int)ev);
	for (const struct dat_field *d = l.f; d && d->decl; d++)
		n += snprintf(f + n, sizeof(f) - (size_t)n, "\tfield:%s;\toffset:%u;\tsize:%u;\tsigned:%d;\n",
			      d->decl, d->offset, d->size, d->is_signed);
	n += snprintf(f + n, sizeof(f) - (size_t)n,
		      "\tfield:__data_loc char[] msg;\toffset:%u;\tsize:4;\tsigned:1;\n\n"
		      "print fmt: \"%%s\", __get_str(msg)\n",
		      l.msg_off);
	put_sized(b, f, (size_t)n, 8);
}

static void put_option(struct buf *b, unsigned id, const void *data, size_t n)
{
	put_le(b, id, 2);
	put_le(b, n, 4);
	put(b, data, n);
}

/* header - everything before the per-CPU offsets */
static void header(struct trace_dat_out *d, struct buf *b, const char *uname)
{
	put(b, "\x17\x08\x44tracing6", 11);
	put(b, "", 1);
	put_le(b, 0, 1); /* little endian */
	put_le(b, 8, 1); /* long size */
	put_le(b, PAGE, 4);
	put_str0(b, "header_page");
	put_sized(b, header_page, sizeof(header_page) - 1, 8);
	put_str0(b, "header_event");
	put_sized(b, header_event, sizeof(header_event) - 1, 8);
	put_le(b, 0, 4); /* ftrace formats */
	put_le(b, 1, 4); /* event systems */
	put_str0(b, "kvm");
	put_le(b, KVM_EV_N, 4);
	for (int ev = 0; ev < KVM_EV_N; ev++)
		put_event_format(b, (enum kvm_event)ev);
	put_le(b, 0, 4); /* kallsyms */
	put_le(b, 0, 4); /* printk formats */
	struct buf cl = { 0 };
	for (size_t i = 0; i < d->ncomms; i++) {
		char line[64];
		int n = snprintf(line, sizeof(line), "%d %s\n", d->comms[i].pid, d->comms[i].comm);
		put(&cl, line, (size_t)n);
	}
	put_sized(b, cl.n ? (const char *)cl.p : "", cl.n, 8);
	free(cl.p);
	put_le(b, (uint64_t)d->ncpus, 4);
	put(b, "options  ", 10);
	/* string options end with their NUL, as trace-cmd writes and reads them */
	put_option(b, OPT_TRACECLOCK, "[local]\n", sizeof("[local]\n"));
	put_option(b, OPT_UNAME, uname, strlen(uname) + 1);
	unsigned char cpus[4];
	le(cpus, (uint64_t)d->ncpus, 4);
	put_option(b, OPT_CPUCOUNT, cpus, 4);
	put_le(b, OPT_DONE, 2);
	put(b, "flyrecord", 10);
}

static int copy_spill(struct dat_cpu *c, FILE *f)
{
	unsigned char page[PAGE];
	if (fflush(c->spill) || fseek(c->spill, 0, SEEK_SET))
		return -1;
	for (uint64_t i = 0; i < c->npages; i++) {
		if (fread(page, PAGE, 1, c->spill) != 1) {
			if (feof(c->spill)) /* shorter than the pages written: not expected */
				errno = EIO;
			return -1;
		}
		if (fwrite(page, PAGE, 1, f) != 1)
			return 0; /* the output's error: ferror(f) reports it */
	}
	return 0;
}

int trace_dat_out_write(struct trace_dat_out *d, FILE *f, const char *uname)
{
	for (int i = 0; i < d->ncpus; i++)
		if (d->cpu[i].used && d->cpu[i].spill)
			flush_page(d, &d->cpu[i]);
	if (d->err) {
		errno = d->err;
		return -1;
	}
	struct buf b = { 0 };
	header(d, &b, uname);
	size_t end = b.n + 16 * (size_t)d->ncpus + 8 + sizeof(trace_clock) - 1;
	uint64_t off = (end + PAGE - 1) / PAGE * PAGE;
	for (int i = 0; i < d->ncpus; i++) {
		put_le(&b, off, 8);
		put_le(&b, d->cpu[i].npages * PAGE, 8);
		off += d->cpu[i].npages * PAGE;
	}
	put_sized(&b, trace_clock, sizeof(trace_clock) - 1, 8);
	while (b.n % PAGE)
		put(&b, "", 1);
	size_t wrote = fwrite(b.p, 1, b.n, f);
	size_t want = b.n;
	free(b.p);
	if (wrote != want)
		return 0; /* ferror(f) */
	for (int i = 0; i < d->ncpus; i++)
		if (copy_spill(&d->cpu[i], f))
			return -1;
	return 0;
}
