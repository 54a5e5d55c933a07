#!/usr/bin/env python3
"""tracedat_slim.py - make a trace.dat small enough to ship as a sample.

`trace-cmd extract` stores the whole of /proc/kallsyms (megabytes), the
printk formats and the format of every event the kernel has; a sample needs
none of that. This rewrites a version 6, uncompressed trace.dat (make one with
`trace-cmd convert --file-version 6 --compression none`) keeping the header
pages, the ftrace formats, the event formats of the systems named (kvm by
default), the saved command lines, the options and the recorded ring-buffer
pages byte for byte; kallsyms and printk formats are emptied. File offsets
(the per-CPU tables of the top buffer and of each instance buffer, and the
BUFFER options that point at them) are moved accordingly, and the ring-buffer
pages stay page-aligned.

usage: tracedat_slim.py IN.dat OUT.dat [SYSTEM...]
"""
import struct
import sys

MAGIC = b"\x17\x08Dtracing"
OPT_BUFFER = 3


class Reader:
    """Reader - a cursor over the file's bytes."""

    def __init__(self, data):
        self.d, self.p = data, 0

    def take(self, n):
        b = self.d[self.p:self.p + n]
        self.p += n
        return b

    def u16(self):
        return struct.unpack("<H", self.take(2))[0]

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def u64(self):
        return struct.unpack("<Q", self.take(8))[0]

    def cstr(self):
        e = self.d.index(b"\0", self.p)
        s = self.d[self.p:e]
        self.p = e + 1
        return s


def cpu_table(r, cpus):
    """cpu_table - "flyrecord\\0" and (offset, size) per CPU; the trailing clock text if any."""
    tag = r.take(10)
    if tag != b"flyrecord\0":
        sys.exit("tracedat_slim: expected a flyrecord section, got %r" % tag)
    return [(r.u64(), r.u64()) for _ in range(cpus)]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    keep = set(a.encode() for a in sys.argv[3:]) or {b"kvm"}
    d = open(sys.argv[1], "rb").read()
    r = Reader(d)
    if r.take(10) != MAGIC or r.cstr() != b"6":
        sys.exit("tracedat_slim: %s is not a version 6 trace.dat" % sys.argv[1])
    if d[r.p] != 0:
        sys.exit("tracedat_slim: only little-endian files")
    page = struct.unpack_from("<I", d, r.p + 2)[0]
    r.p += 6
    out = bytearray(d[:r.p])

    for name in (b"header_page", b"header_event"):
        start = r.p
        r.cstr()
        r.p += 8 + struct.unpack_from("<Q", d, r.p)[0]
        out += d[start:r.p]
    start = r.p
    for _ in range(r.u32()):  # ftrace formats
        r.p += 8 + struct.unpack_from("<Q", d, r.p)[0]
    out += d[start:r.p]

    systems = []
    for _ in range(r.u32()):
        s0 = r.p
        name = r.cstr()
        for _ in range(r.u32()):
            r.p += 8 + struct.unpack_from("<Q", d, r.p)[0]
        if name in keep:
            systems.append(d[s0:r.p])
    out += struct.pack("<I", len(systems)) + b"".join(systems)

    r.p += 4 + struct.unpack_from("<I", d, r.p)[0]  # kallsyms
    r.p += 4 + struct.unpack_from("<I", d, r.p)[0]  # printk formats
    out += struct.pack("<I", 0) + struct.pack("<I", 0)
    meta_start_old = r.p  # from here on the metadata is copied, then offsets fixed
    meta_start_new = len(out)

    r.p += 8 + struct.unpack_from("<Q", d, r.p)[0]  # cmdlines
    cpus = r.u32()
    if r.take(10) != b"options  \0":
        sys.exit("tracedat_slim: expected the options section")
    buffer_opts = []  # (position of the u64 offset, old offset)
    while True:
        oid = r.u16()
        if oid == 0:
            break
        size = r.u32()
        if oid == OPT_BUFFER:
            buffer_opts.append((r.p, struct.unpack_from("<Q", d, r.p)[0]))
        r.p += size
    tables = [(r.p, cpu_table(r, cpus))]
    for _, off in buffer_opts:
        r.p = off
        tables.append((off, cpu_table(r, cpus)))
    data = [(o, s) for _, t in tables for o, s in t if s]
    data_start_old = min((o for o, _ in data), default=len(d))
    if data_start_old % page:
        sys.exit("tracedat_slim: ring-buffer data is not page-aligned")
    meta = bytearray(d[meta_start_old:data_start_old])
    meta_shift = meta_start_old - meta_start_new
    # trailing zeros are page padding; keep a few in case a field ends in zero bytes
    meta_end_new = meta_start_new + min(len(meta), len(meta.rstrip(b"\0")) + 16)
    data_start_new = (meta_end_new + page - 1) // page * page
    data_shift = data_start_old - data_start_new

    for pos, off in buffer_opts:
        struct.pack_into("<Q", meta, pos - meta_start_old, off - meta_shift)
    for pos, table in tables:
        at = pos - meta_start_old + 10
        for i, (o, s) in enumerate(table):
            struct.pack_into("<Q", meta, at + 16 * i, (o - data_shift) if s else data_start_new)
    out += meta[:meta_end_new - meta_start_new]
    out += b"\0" * (data_start_new - len(out))
    out += d[data_start_old:]
    open(sys.argv[2], "wb").write(out)


if __name__ == "__main__":
    main()
