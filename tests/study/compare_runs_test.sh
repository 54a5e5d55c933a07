#!/usr/bin/env bash
# compare_runs_test.sh - `kvmsim compare` with several runs per side (issue 9):
# replicate seeds given as repeated --base/--cand, or as a sweep directory
# (DIR, DIR:POINT); the pooled quantiles, the runs listed in the JSON, the
# errors, and a warning on stderr when the sides differ in scenario,
# duration or kernel.
. "$(dirname "$0")/../lib.sh"
cd "$T" || exit 1
PY=/usr/bin/python3
SC="$S/workloads/scenarios/ci-latency.yaml"
D=(--duration 20ms)

"$K" sweep "$SC" --replicates 3 --seed 1 "${D[@]}" -q -o base || fail "base sweep"
"$K" sweep "$SC" --replicates 3 --seed 11 "${D[@]}" -q -o cand || fail "cand sweep"
"$K" sweep "$SC" --grid vm.halt_poll_ns=0,200000 --replicates 2 "${D[@]}" -q -o two || fail "two-point sweep"

# a sweep directory per side: every finished run of it
"$K" compare base cand --json c.json > out 2> err; rc=$?
[ $rc -eq 0 ] || { fail "compare base cand exited $rc"; cat out err; }
[ ! -s err ] || fail "a warning for runs that differ only in seed: $(cat err)"
grep -q '^BASE  3 runs of base (ci-latency, kernel 6.12, seeds 1 2 3, 0.02 s)$' out || fail "BASE line: $(head -2 out)"
grep -q '^CAND  3 runs of cand (ci-latency, kernel 6.12, seeds 11 12 13, 0.02 s)$' out || fail "CAND line: $(head -2 out)"
"$PY" - <<'EOF2' || fail "compare.json of sweep directories"
import json
d = json.load(open("c.json"))
assert d["base"] == "base" and d["candidate"] == "cand", (d["base"], d["candidate"])
assert [r.split("/")[-1] for r in d["base_runs"]] == ["0001.json", "0002.json", "0003.json"], d["base_runs"]
# n is the pooled count of the three runs
n = sum(sum(v["latency"]["wake"]["count"] for v in json.load(open(r))["vcpus"]) for r in d["base_runs"])
w = [m for m in d["metrics"] if m["name"] == "wake"][0]
assert w["n_base"] == n, (w["n_base"], n)
EOF2
# the same runs as repeated --base/--cand: the same comparison
"$K" compare --base base/runs/0001.json --base base/runs/0002.json --base base/runs/0003.json \
  --cand cand --json c2.json > /dev/null || fail "--base x3 --cand DIR"
"$PY" -c 'import json; a, b = (json.load(open(f)) for f in ("c.json", "c2.json")); exit(a["metrics"] != b["metrics"])' \
  || fail "repeated --base gives another result than the directory"
# the same runs on both sides: no regression (the intervals' width from seed-to-seed variation is
# checked in test_stats.c, test_bootstrap_runs)
"$K" compare base base -q || fail "compare base base exited $?"

# DIR:POINT for one point of a sweep of several
expect_err 2 'kvmsim compare: two: the sweep has 2 points; name one as two:POINT' -- "$K" compare two base
expect_err 2 'kvmsim compare: two:3: the sweep has no point 3 (1..2)' -- "$K" compare two:3 base
"$K" compare two:2 two:1 -q --max-regression none; rc=$?
[ $rc -eq 0 ] || fail "compare two:2 two:1 exited $rc"
"$K" compare two:2 two:1 --json p.json > /dev/null
"$PY" -c 'import json; d = json.load(open("p.json")); exit(not (d["base_runs"][0].endswith("0003.json") and len(d["cand_runs"]) == 2))' \
  || fail "DIR:POINT took the wrong runs"

# usage
expect_err 2 'kvmsim compare: --cand: no run given for the candidate side' -- "$K" compare --base base
expect_err 2 'kvmsim compare: x.json: give the runs either as BASE CAND or with --base and --cand' -- \
  "$K" compare --base base --cand cand x.json
expect_err 2 'kvmsim compare: expected BASE and CAND runs (got 1 argument; kvmsim compare --help)' -- "$K" compare base
mkdir empty
expect_err 2 "kvmsim compare: empty: empty/sweep.json: cannot open: No such file or directory (not a sweep directory?)" -- "$K" compare empty base

# warnings: the sides differ in scenario, duration or kernel (one line each, the comparison still made)
"$K" run "$SC" "${D[@]}" -q --json k1.json
"$K" run "$SC" "${D[@]}" --set kernel=6.1 -q --json k2.json
"$K" run "$SC" --duration 30ms -q --json d2.json
"$K" run "${D[@]}" -q --json s2.json
"$K" compare k1.json k2.json -q --max-regression none 2> err || fail "compare across kernels"
[ "$(cat err)" = 'kvmsim compare: warning: the runs differ in kernel: k1.json has 6.12, k2.json has 6.1' ] || fail "kernel warning: $(cat err)"
"$K" compare k1.json d2.json -q --max-regression none 2> err
[ "$(cat err)" = 'kvmsim compare: warning: the runs differ in duration: k1.json has 0.02 s, d2.json has 0.03 s' ] || fail "duration warning: $(cat err)"
"$K" compare --base k1.json --base s2.json --cand k1.json -q --max-regression none 2> err
grep -q '^kvmsim compare: warning: the runs differ in scenario: k1.json has ci-latency, s2.json has default$' err || fail "scenario warning: $(cat err)"

finish compare_runs_test
