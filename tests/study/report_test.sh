#!/usr/bin/env bash
# report_test.sh - `kvmsim report`: every figure is written as PNG and SVG
# and is not blank (drawn pixels, every run's colour present in the
# overlays), the HTML page is self-contained (the SVGs inline, nothing
# fetched), the same inputs give the same files, and bad input gets one
# exact line and exit 2.
. "$(dirname "$0")/../lib.sh"
cd "$T" || exit 1
PY=/usr/bin/python3


# check DIR FIGURE:COLOURS... - each figure's PNG is drawn (>3% non-white pixels, many colours,
# each run colour present) and its SVG is well-formed with drawing in it
check() {
  $PY - "$@" <<'EOF'
import sys, xml.etree.ElementTree as ET
import numpy as np
import matplotlib.image as mpimg
d, bad = sys.argv[1], 0
for spec in sys.argv[2:]:
    name, *colours = spec.split(":")
    img = mpimg.imread(f"{d}/{name}.png")[..., :3]
    px = (img * 255).round().astype(int)
    drawn = (img < 0.95).any(axis=2).mean()
    ncol = len(np.unique(px.reshape(-1, 3), axis=0))
    if img.shape[1] < 600 or drawn < 0.03 or ncol < 16:
        print(f"FAIL: {name}.png looks blank ({img.shape[1]} px wide, {drawn:.1%} drawn, {ncol} colours)"); bad += 1
    for c in colours:
        rgb = np.array([int(c[i:i + 2], 16) for i in (0, 2, 4)])
        if not (np.abs(px - rgb).max(axis=2) <= 2).any():
            print(f"FAIL: {name}.png has nothing in #{c}"); bad += 1
    root = ET.parse(f"{d}/{name}.svg").getroot()
    if not root.tag.endswith("svg") or len(root.findall(".//{http://www.w3.org/2000/svg}path")) < 20:
        print(f"FAIL: {name}.svg has no drawing"); bad += 1
sys.exit(bad > 0)
EOF
}

# self_contained PAGE N - N inline SVGs, and no src= or href= to anything but an anchor or data: URI
self_contained() {
  [ "$(grep -o '<svg' "$1" | wc -l)" -eq "$2" ] || fail "$1: $(grep -o '<svg' "$1" | wc -l) inline SVGs, expected $2"
  local ext
  ext=$(grep -oE '(src|href)="[^"]{0,40}' "$1" | grep -vE '="(#|data:)')
  [ -z "$ext" ] || fail "$1 refers to other files: $(echo "$ext" | head -3)"
}

SC="$S/workloads/scenarios/ci-latency.yaml"
"$K" run "$SC" --quiet --json poll.json
"$K" run "$SC" --quiet --json nopoll.json --set vm.halt_poll_ns=0
"$K" run "$SC" --quiet --json small.json --set vm.halt_poll_ns=20000

# bad input
"$K" report --help | grep -q 'kvmsim report sweep SWEEP_DIR' || fail "report --help"
expect_err 2 'kvmsim report: which report? runs or sweep (kvmsim report --help)' -- "$K" report
expect_err 2 'kvmsim report: unknown report "pie" (runs or sweep)' -- "$K" report pie
expect_err 2 'kvmsim report: runs: expected one or more RUN.json files (kvmsim report --help)' -- "$K" report runs
expect_err 2 'kvmsim report: none.json: cannot open: No such file or directory' -- "$K" report runs poll.json none.json
expect_err 2 'kvmsim report: runs: --x, --y, --z, --z-scale, --where, --latency and --cost are for sweep reports' -- \
  "$K" report runs --z wake_p50_ns poll.json
expect_err 2 'kvmsim report: sweep: nodir/sweep.json: cannot open: No such file or directory (not a sweep directory?)' -- \
  "$K" report sweep nodir
[ -e report ] && fail "a rejected report wrote files"
"$K" report runs poll.json --python /nonexistent/python3 -o nopy > /dev/null 2> err; rc=$?
[ $rc -eq 1 ] && grep -q '^kvmsim report: cannot run /nonexistent/python3: No such file or directory' err || fail "--python: $rc $(cat err)"

# runs: three runs overlaid
"$K" report runs poll=poll.json nopoll=nopoll.json small.json -o r1 > out || fail "report runs: exit $?"
grep -qx 'report r1/report.html (figures as PNG and SVG beside it; data in report-data.json)' out || fail "report runs output"
for f in latency-hist latency-cdf exits cpu; do
  [ -s r1/$f.png ] && [ -s r1/$f.svg ] || fail "r1/$f.png or .svg missing"
done
# run colours in order: 1f77b4 d62728 2ca02c (reports/kvmplot.py)
check r1 latency-hist:1f77b4:d62728:2ca02c latency-cdf:1f77b4:d62728:2ca02c exits:1f77b4:d62728:2ca02c cpu || fail "runs figures"
self_contained r1/report.html 4
grep -q '<td>nopoll</td>' r1/report.html && grep -q '<td>small</td>' r1/report.html || fail "labels in the page"
"$K" report runs poll=poll.json nopoll=nopoll.json small.json -o r2 -q
for f in r1/*; do cmp -s "$f" "r2/${f#r1/}" || fail "report runs: ${f#r1/} differs between identical reports"; done

# sweep: heat map and Pareto front
"$K" sweep "$SC" --grid vm.halt_poll_ns=0,20000,50000,200000 --grid vm.workload.rate=5000,20000 --replicates 2 \
  --duration 50ms -o sw -q || fail "sweep"
"$K" report sweep sw -q || fail "report sweep: exit $?"
check sw/report heatmap pareto:d62728 || fail "sweep figures"
self_contained sw/report/report.html 2
$PY - sw/report/report-data.json <<'EOF' || fail "report-data.json of the sweep"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["kind"] == "sweep" and d["x"] == "vm.halt_poll_ns" and d["y"] == "vm.workload.rate"
assert d["x_values"] == ["0", "20000", "50000", "200000"] and d["y_values"] == ["5000", "20000"]
pts = d["points"]
assert len(pts) == 8 and all(p["runs"] == 2 and p["ok"] == 2 for p in pts)
front = [p for p in pts if p["pareto"]]
# the front: nothing beats a point on it in both figures by more than their 95% intervals
# (report_plots_test.sh checks the rule itself); a point off it is beaten that way
def beaten(p, q):
    ci = lambda x, f: x[f + "_ci95"] or 0
    return (q["latency"] + ci(q, "latency") <= p["latency"] - ci(p, "latency") and
            q["cost"] + ci(q, "cost") <= p["cost"] - ci(p, "cost"))
for p in pts:
    assert p["pareto"] == (not any(beaten(p, q) for q in pts if q is not p))
EOF
"$K" report sweep sw --x vm.workload.rate --z host_cpu --latency irq_p99_ns --cost poll_cpu -o r3 -q || fail "report sweep options"
check r3 heatmap pareto || fail "sweep figures with options"
expect_err 2 "kvmsim report: --z: unknown metric \"p99\" (known: wake_n, wake_mean_ns, wake_p50_ns, wake_p90_ns, wake_p99_ns, wake_p999_ns, wake_max_ns, irq_n, irq_mean_ns, irq_p50_ns, irq_p90_ns, irq_p99_ns, irq_p999_ns, irq_max_ns, halts, poll_success, host_cpu, poll_cpu, guest_cpu, events, steal_cpu, run_delay_p99_ns, vm_worst_wake_p99_ns, fio_iops, fio_clat_p50_ns, fio_clat_p99_ns, rtt_n, rtt_mean_ns, rtt_p50_ns, rtt_p90_ns, rtt_p99_ns, rtt_p999_ns, rtt_max_ns, transactions_per_s, tcp_rr_tps, tcp_rr_rtt_mean_ns, tcp_rr_rtt_p99_ns)" -- \
  "$K" report sweep sw --z p99
expect_err 2 "kvmsim report: --x vm.vcpus: not a swept key of $T/sw" -- "$K" report sweep sw --x vm.vcpus
"$K" sweep --grid vm.halt_poll_ns=0,50000 --grid vm.workload.rate=5000,20000 --grid host.pcpus=1,2 --duration 50ms -o sw3 -q
expect_err 2 "kvmsim report: sweep: host.pcpus also varies (2 values); fix it with --where host.pcpus=VALUE or pick it as --x or --y" -- \
  "$K" report sweep sw3
expect_err 2 "kvmsim report: --where host.pcpus=3: no point has host.pcpus=3" -- "$K" report sweep sw3 --where host.pcpus=3
"$K" report sweep sw3 --where host.pcpus=2 -q || fail "--where"
grep -q '"where": {' sw3/report/report-data.json && check sw3/report heatmap pareto || fail "--where figures"

# a sampled design: the heat map becomes a scatter
"$K" sweep --sample vm.halt_poll_ns=1000:400000:log --sample vm.workload.rate=2000:40000 --design lhs --samples 12 \
  --duration 50ms -o lhs -q && "$K" report sweep lhs -q || fail "report of an LHS sweep"
check lhs/report heatmap pareto:d62728 || fail "LHS figures"

finish report_test
exit $((fails > 0))
