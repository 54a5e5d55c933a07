#!/usr/bin/env bash
# compare_input_test.sh - inputs `kvmsim compare` must refuse (issue 10):
# histogram counts that overflow when added (a count that wraps the total to
# a small number must not compare as a small sample), and a limit "p99=%".
. "$(dirname "$0")/../lib.sh"
cd "$T" || exit 1
PY=/usr/bin/python3
"$K" run --duration 20ms -q --json a.json || fail "run"

# edit vCPU latency histograms: python3 - IN OUT CODE (j is the document)
edit() { "$PY" -c "import json, sys
j = json.load(open(sys.argv[1]))
w = [v['latency']['wake'] for v in j['vcpus']]
$3
json.dump(j, open(sys.argv[2], 'w'))" "$1" "$2"; }
BIG=9223372036854775807
# two buckets of 2^63-1 in one vCPU: the total would wrap to a small number; a histogram read
# back holds at most 2^48 samples (so sums over vCPUs and runs cannot wrap either)
edit a.json wrap.json "w[0]['histogram'][0][2] = w[0]['histogram'][1][2] = $BIG; w[0].pop('count')"
expect_err 2 "kvmsim compare: wrap.json: vcpus[0].latency.wake: the histogram's counts add up to more than 2^48 samples" -- \
  "$K" compare a.json wrap.json -q
expect_err 2 "kvmsim compare: wrap.json: vcpus[0].latency.wake: the histogram's counts add up to more than 2^48 samples" -- \
  "$K" compare wrap.json a.json -q
# buckets that do not add up to the count the document states
edit a.json count.json "w[0]['histogram'][0][2] += 2**32"
expect_err 2 "kvmsim compare: count.json: vcpus[0].latency.wake: histogram counts add up to $("$PY" -c "import json; w = json.load(open('a.json'))['vcpus'][0]['latency']['wake']; print(w['count'] + 2**32)"), but count is $("$PY" -c "import json; print(json.load(open('a.json'))['vcpus'][0]['latency']['wake']['count'])")" -- \
  "$K" compare a.json count.json -q

# a limit with no number
for l in p99=% wake.p99=% p99=-%; do
  expect_err 2 "kvmsim compare: --max-regression $l: expected a percentage such as 5% or a time such as 2us, got \"${l#*=}\"" -- \
    "$K" compare a.json a.json -q --max-regression "$l"
done
"$K" compare a.json a.json -q --max-regression p99=0% || fail "p99=0% is a limit"

finish compare_input_test
