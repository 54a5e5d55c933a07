#!/usr/bin/env bash
# steady_state_test.sh - results a user can compare across run lengths: after the warm-up the
# tail does not depend on how long the run is, and latencies are distributions, not a spike.
#   1. ci-latency's wake-latency p99 at 100 ms, 1 s and 5 s agree within 15%;
#   2. in the default run no latency bucket holds half of a vCPU's wake samples;
#   3. with warmup: 0 and the worst-case exit every time (the old, cold behaviour), both fail,
#      so these checks can tell.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

p99s() { # p99s ARGS... - each vCPU's wake p99 (ns) of one run, on one line
  "$K" run "$@" --quiet --json - | "$PY" -c 'import json, sys
print(" ".join(str(v["latency"]["wake"]["p99"]) for v in json.load(sys.stdin)["vcpus"]))'
}
spread_ok() { # spread_ok A B C... - largest within 15% of smallest
  "$PY" -c 'import sys; v = [float(x) for x in sys.argv[1:]]; sys.exit(0 if max(v) <= 1.15 * min(v) else 1)' "$@"
}
top_share() { # the largest share of one latency bucket over the vCPUs of one run
  "$K" run "$@" --quiet --json - | "$PY" -c 'import json, sys
print(max(max(b[2] for b in v["latency"]["wake"]["histogram"]) / v["latency"]["wake"]["count"]
          for v in json.load(sys.stdin)["vcpus"]))'
}

ci="$S/workloads/scenarios/ci-latency.yaml"
all=$(for d in 100ms 1s 5s; do p99s "$ci" --duration $d; done | tr '\n' ' ')
spread_ok $all || fail "ci-latency p99 over 100ms, 1s, 5s: $all (ns) differ by more than 15%"
share=$(top_share)
"$PY" -c "import sys; sys.exit(0 if $share < 0.5 else 1)" || fail "default run: one bucket holds $share of the wake samples"

cold=(--set warmup=0 --set host.idle_exit_spread=0)
all=$(for d in 100ms 1s 5s; do p99s "$ci" --duration $d "${cold[@]}"; done | tr '\n' ' ')
spread_ok $all && fail "cold runs agree too ($all): the check above cannot tell"
share=$(top_share "${cold[@]}")
"$PY" -c "import sys; sys.exit(0 if $share >= 0.5 else 1)" || fail "cold default run: top bucket only $share"
finish steady_state_test
