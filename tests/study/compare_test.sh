#!/usr/bin/env bash
# compare_test.sh - `kvmsim compare` as a CI step: exit 0 within limits, 1 on
# a regression (halt polling switched off slows the wake-ups), 2 with one
# exact line on bad input; no false alarm between seeds; limits relative,
# absolute and per metric; the KS gate; the --json document and its
# determinism; and the CI example of docs/study.md run as written against
# the committed baseline (tests/data/study/ci-latency-baseline.json).
. "$(dirname "$0")/../lib.sh"
cd "$T" || exit 1
PY=/usr/bin/python3


SC="$S/workloads/scenarios/ci-latency.yaml"
"$K" run "$SC" --quiet --json base.json || fail "base run"
"$K" run "$SC" --quiet --json nopoll.json --set vm.halt_poll_ns=0 || fail "run without polling"
"$K" run "$SC" --quiet --json seed2.json --seed 2 || fail "run with another seed"
"$K" run --quiet --json other.json --set vm.vcpus=1 --duration 50ms || fail "run with one vCPU"

# bad input: one line, exit 2
"$K" compare --help | grep -q -- '--max-regression S=L' || fail "compare --help"
expect_err 2 'kvmsim compare: expected BASE and CAND runs (got 0 arguments; kvmsim compare --help)' -- "$K" compare
expect_err 2 'kvmsim compare: none.json: cannot open: No such file or directory' -- "$K" compare none.json base.json
printf '{"a": 1,\n' > bad.json
"$K" compare base.json bad.json > /dev/null 2> err; rc=$?
[ $rc -eq 2 ] && grep -q '^kvmsim compare: bad.json:2: not JSON: ' err && [ "$(wc -l < err)" -eq 1 ] || fail "not JSON: $rc $(cat err)"
echo '{"schema": "kvmsim-sweep/1"}' > sweep.json
expect_err 2 'kvmsim compare: sweep.json: not a kvmsim run result (expected schema "kvmsim-run/1", got kvmsim-sweep/1)' -- \
  "$K" compare base.json sweep.json
sed 's/\[ *$/[/' base.json | $PY -c '
import json, sys
d = json.load(sys.stdin)
d["vcpus"][0]["latency"]["wake"]["histogram"][0][1] = 3
json.dump(d, open("skewed.json", "w"))'
expect_err 2 "kvmsim compare: skewed.json: vcpus[0].latency.wake: histogram buckets do not match kvmsim's layout" -- \
  "$K" compare base.json skewed.json
expect_err 2 'kvmsim compare: --max-regression p98=5%: unknown statistic "p98" (p50, p90, p99, p99.9, max; optionally after wake. or irq.)' -- \
  "$K" compare --max-regression p98=5% base.json base.json
expect_err 2 'kvmsim compare: --max-regression p99=abc: expected a percentage such as 5% or a time such as 2us, got "abc"' -- \
  "$K" compare --max-regression p99=abc base.json base.json
expect_err 2 'kvmsim compare: --alpha: expected a level between 0 and 0.5 (e.g. 0.01), got "2"' -- "$K" compare --alpha 2 base.json base.json
expect_err 2 'kvmsim compare: --metric: unknown metric "lat" (wake, irq, clat, rtt)' -- "$K" compare --metric wake,lat base.json base.json
expect_err 2 'kvmsim compare: --per-vcpu: base.json and other.json have different vCPUs (compare them without --per-vcpu)' -- \
  "$K" compare --per-vcpu base.json other.json
expect_err 1 'kvmsim compare: /nonexistent/c.json: cannot write: No such file or directory' -- \
  "$K" compare --json /nonexistent/c.json base.json base.json

# a run against itself, and against another seed: no regression
"$K" compare base.json base.json > out || fail "identical runs: exit $?"
grep -qx 'verdict: ok (no statistic grew beyond its limit)' out || fail "identical runs: verdict"
[ "$(grep -c '  ok$' out)" -eq 8 ] || fail "identical runs: 4 limited statistics x 2 metrics ok"
"$K" compare base.json seed2.json > out || { fail "another seed raised a false alarm"; cat out; }

# halt polling off: wake-ups slow down, a regression; the other way round an improvement
"$K" compare base.json nopoll.json > out; rc=$?
[ $rc -eq 1 ] || fail "no polling: exit $rc"
grep -qx 'verdict: REGRESSION ([0-9]*)' out && grep -q '^  wake p50 +[0-9.]*% (' out || fail "no polling: verdict $(tail -3 out)"
grep -qE '^ +p50 .* REGRESSION$' out || fail "no polling: p50 row"
grep -qE '^ +KS +D=[0-9.]+ p[=<][0-9.e-]+: candidate slower below ' out || fail "no polling: KS row"
"$K" compare nopoll.json base.json > out || fail "polling back on: exit $?"
grep -qE '^ +p50 .* improved$' out || fail "polling back on: improved"
[ "$(wc -l < out)" -le 24 ] || fail "the table does not fit a screen ($(wc -l < out) lines)"

# limits: absolute, per metric, none, and the KS gate
"$K" compare --metric wake --max-regression p50=1ms base.json nopoll.json > /dev/null || fail "within an absolute limit"
"$K" compare --metric wake --max-regression wake.p50=1us base.json nopoll.json > out; [ $? -eq 1 ] || fail "over an absolute limit"
grep -q '^  wake p50 +[0-9.]*us (.*limit +1us' out || fail "absolute limit in the verdict: $(tail -1 out)"
"$K" compare --max-regression irq.p50=1ms --max-regression p90=1ms --max-regression p99=1ms --max-regression p99.9=1ms \
  --metric irq base.json nopoll.json > /dev/null || fail "a limit for one metric only"
"$K" compare --max-regression none base.json nopoll.json > /dev/null || fail "--max-regression none"
"$K" compare --max-regression none --fail-on-ks base.json nopoll.json > out; [ $? -eq 1 ] || fail "--fail-on-ks"
grep -q '^  wake KS D=' out || fail "--fail-on-ks verdict"

# --json: the document, and the same bytes every time
"$K" compare --per-vcpu --json c1.json base.json nopoll.json > /dev/null
"$K" compare --per-vcpu --json - base.json nopoll.json > c2.json; [ $? -eq 1 ] || fail "--json - exit"
cmp -s c1.json c2.json || fail "--json output differs between identical comparisons"
$PY - c1.json <<'EOF' || fail "--json document"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "kvmsim-compare/1" and d["verdict"] == "regression" and d["alpha"] == 0.01
assert [m["name"] for m in d["metrics"]] == ["wake", "vm0/vcpu0 wake", "vm0/vcpu1 wake", "irq", "vm0/vcpu0 irq", "vm0/vcpu1 irq"]
w = d["metrics"][0]
assert [q["stat"] for q in w["quantiles"]] == ["p50", "p90", "p99", "p99.9", "max"]
p50 = w["quantiles"][0]
assert p50["result"] == "REGRESSION" and p50["delta_ns"] == p50["cand_ns"] - p50["base_ns"] > 0
assert p50["ci_ns"][0] > 0 and p50["limit"] == "+5%"
assert w["ks"]["result"] == "slower" and w["ks"]["p"] < 0.01
assert any(r.startswith("wake p50 ") for r in d["regressions"])
EOF
"$K" compare --seed 7 --json c3.json base.json nopoll.json > /dev/null
cmp -s c1.json c3.json && fail "--seed does not change the bootstrap"

# the CI example of docs/study.md, as written
"$K" run "$SC" --quiet --json cand.json && \
  "$K" compare "$S/tests/data/study/ci-latency-baseline.json" cand.json \
    --max-regression p50=5% --max-regression p99=5% --max-regression p99.9=10% --alpha 0.01 --json compare.json > out
rc=$?
[ $rc -eq 0 ] || { fail "the CI example regressed against the committed baseline (exit $rc; if the model changed on purpose, refresh it: kvmsim run workloads/scenarios/ci-latency.yaml --quiet --json tests/data/study/ci-latency-baseline.json)"; cat out; }
grep -q '"verdict": "ok"' compare.json || fail "CI example: compare.json"

finish compare_test
exit $((fails > 0))
