/*
 * trace_dat_out.h - writing kvm events as a trace-cmd trace.dat file (format
 * version 6, trace-cmd.dat.v6(5)), which `trace-cmd report` and KernelShark
 * open like a recording of a real kernel.
 *
 * Debian 12's libtracecmd reads trace.dat but has no writer, so the file is
 * written here, as `trace-cmd record` lays it out on a 64-bit little-endian
 * host with 4 KiB pages:
 *
 *   initial format   "\x17\x08\x44" "tracing" "6\0", endianness 0, long size 8, page size
 *   header_page      the ring-buffer page header (u64 timestamp, local_t commit, data)
 *   header_event     the event header (type_len 5 bits, time_delta 27 bits, array[])
 *   ftrace formats   none
 *   event formats    one system, "kvm": one format per event of KVM_EVENT_LIST, each
 *                    with the common fields and one string, `__data_loc char[] msg`,
 *                    printed by `print fmt: "%s", __get_str(msg)`: the payload text
 *                    the selected kernel's TP_printk prints (kvm_tp.h), as is
 *   kallsyms, printk formats   empty
 *   cmdlines         "pid comm" of every thread that emitted an event
 *   CPU count, options (TRACECLOCK "[local]", UNAME, CPUCOUNT), "flyrecord"
 *   per CPU          offset and size of its data, then the trace clock ("[local]")
 *   CPU data         page-aligned ring-buffer pages: u64 timestamp of the page's first
 *                    event, u64 commit (bytes used), then events whose headers carry the
 *                    delta from the previous one (ns), with a time extend (type 30)
 *                    before any delta that does not fit 27 bits
 *
 * Events are kept per CPU in temporary files while the run goes on; the file is
 * written at the end, when the threads' names and the sizes are known.
 */
#ifndef KVMSIM_TRACEPOINTS_TRACE_DAT_OUT_H
#define KVMSIM_TRACEPOINTS_TRACE_DAT_OUT_H

#include <stdint.h>
#include <stdio.h>

#include "models/tracepoints/kvm_tp.h"

#define TRACE_DAT_PAGE_SIZE 4096

struct trace_dat_out;

/* trace_dat_out_new - a writer for ncpus CPUs; NULL with errno set if its temporary files cannot be made. */
struct trace_dat_out *trace_dat_out_new(int ncpus);
/* trace_dat_out_event - one event of thread pid (named comm) on cpu at ts_ns; a CPU's timestamps
 * must not decrease. A cpu beyond ncpus adds CPUs (the header's count is of those written). */
void trace_dat_out_event(struct trace_dat_out *d, const char *comm, int pid, int cpu, int64_t ts_ns,
			 enum kvm_event ev, const char *payload);
/* trace_dat_out_write - the whole trace.dat to f; uname is stored as the traced system's
 * (`trace-cmd report --uname`). 0, or -1 with errno set (f's own errors show in ferror(f)). */
int trace_dat_out_write(struct trace_dat_out *d, FILE *f, const char *uname);
void trace_dat_out_free(struct trace_dat_out *d);

#endif
