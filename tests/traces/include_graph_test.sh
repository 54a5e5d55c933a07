#!/usr/bin/env bash
# include_graph_test.sh - traces/ is layered (issue 8): each module (X.c with
# X.h) declares in its header only the functions X.c defines, and the modules'
# includes of one another have no cycle. (trace_read.h used to declare
# trace_dat.c's reader while trace_dat.c included trace_read.h.)
. "$(dirname "$0")/../lib.sh"

python3 - "$S/traces" > "$T/out" 2>&1 <<'PY' || fail "$(cat "$T/out")"
import os, re, sys
d = sys.argv[1]
files = [f for f in os.listdir(d) if f.endswith(('.c', '.h'))]
stem = lambda f: f.rsplit('.', 1)[0]
src = {f: open(os.path.join(d, f)).read() for f in files}
bad = []
# a module's header declares only what the module's own .c defines
defined = {}
for f in files:
    if f.endswith('.c'):
        for m in re.finditer(r'^[A-Za-z_][\w \t\*]*?\b(\w+)\([^;{]*\)\s*\{', src[f], re.M):
            defined[m.group(1)] = stem(f)
for f in files:
    if f.endswith('.h') and stem(f) + '.c' in files:
        body = re.sub(r'/\*.*?\*/', '', src[f], flags=re.S)
        for m in re.finditer(r'^[A-Za-z_][\w \t\*]*?\b(\w+)\([^;{]*\);', body, re.M):
            owner = defined.get(m.group(1))
            if owner and owner != stem(f):
                bad.append('%s declares %s, defined in %s.c' % (f, m.group(1), owner))
# no cycle among the modules' includes
edges = {}
for f in files:
    for m in re.finditer(r'#include "traces/(\w+)\.h"', src[f]):
        if m.group(1) != stem(f):
            edges.setdefault(stem(f), set()).add(m.group(1))
state = {}
def visit(n, path):
    state[n] = 1
    for m in sorted(edges.get(n, ())):
        if state.get(m) == 1:
            bad.append('include cycle: ' + ' -> '.join(path[path.index(m):] + [m]))
        elif not state.get(m):
            visit(m, path + [m])
    state[n] = 2
for n in sorted(edges):
    if not state.get(n):
        visit(n, [n])
print('\n'.join(bad))
sys.exit(1 if bad else 0)
PY

finish include_graph_test
