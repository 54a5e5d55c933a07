#!/usr/bin/python3
"""layout_test.py - the tree keeps the shape docs/architecture.md describes.

  1. Dependencies run one way: sim/ includes only sim/; models/ only models/
     and sim/; workloads/ never traces/; and there is no cycle between folders
     (a folder is a directory holding sources, e.g. models/vcpu, sim/study);
     fleet/ only fleet/ and sim/ (it runs the kvmsim binary for the model).
  2. The guest and KVM's side meet only at models/guest/hw.h: the host-side
     models include nothing else of models/guest, and the guest includes none
     of them.
  3. No source file in sim/, models/, traces/, workloads/, fleet/ is over 600 lines.
"""
import os
import re
import sys

SRC = os.environ.get("KVMSIM_SRC", os.path.join(os.path.dirname(__file__), ".."))
TOPS = ("sim", "models", "traces", "workloads", "fleet")
HOST_SIDE = ("models/vcpu", "models/lapic", "models/eoi", "models/haltpoll", "models/host")
MAX_LINES = 600

fails = []


def fail(msg):
    fails.append(msg)


edges = {}  # folder -> {folder: example "file -> header"}
for top in TOPS:
    for d, _, files in os.walk(os.path.join(SRC, top)):
        for f in files:
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(d, f)
            rel = os.path.relpath(path, SRC)
            folder = os.path.dirname(rel)
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            n = text.count("\n")
            if n > MAX_LINES:
                fail(f"{rel}: {n} lines (more than {MAX_LINES}: two files?)")
            for inc in re.findall(r'^#include "([^"]+)"', text, re.M):
                if not inc.startswith(TOPS):
                    continue
                to = os.path.dirname(inc)
                if to != folder:
                    edges.setdefault(folder, {}).setdefault(to, f"{rel} -> {inc}")
                if folder.startswith(HOST_SIDE) and inc.startswith("models/guest/") and inc != "models/guest/hw.h":
                    fail(f"{rel} includes {inc}: the host side sees the guest only through models/guest/hw.h")
                if folder == "models/guest" and inc.startswith(HOST_SIDE):
                    fail(f"{rel} includes {inc}: the guest sees KVM only through models/guest/hw.h")

allowed = {
    "sim": ("sim",),
    "models": ("models", "sim"),
    "workloads": ("workloads", "models", "sim"),
    "traces": ("traces", "workloads", "models", "sim"),
    "fleet": ("fleet", "sim"),
}
for src, tos in edges.items():
    for to, example in tos.items():
        if to.split("/")[0] not in allowed[src.split("/")[0]]:
            fail(f"{src} -> {to} runs the wrong way ({example})")

# cycles between folders: depth-first search for a back edge
state = {}


def visit(node, stack):
    state[node] = 1
    for to in edges.get(node, {}):
        if state.get(to) == 1:
            cyc = stack[stack.index(to):] + [to] if to in stack else [node, to]
            fail("include cycle between folders: " + " -> ".join(cyc) + f" ({edges[node][to]})")
        elif not state.get(to):
            visit(to, stack + [to])
    state[node] = 2


for n in sorted(edges):
    if not state.get(n):
        visit(n, [n])

for m in fails:
    print("layout_test: " + m)
print(f"{len(edges)} folders checked: " + ("FAILED" if fails else "ok"))
sys.exit(1 if fails else 0)
