#!/usr/bin/env bash
# baseline_test.sh - the committed CI baseline is the model's current output
# (issue 9): the CI scenario run now and tests/data/study/ci-latency-baseline.json
# must not differ by the KS test in either direction (compare --fail-on-ks
# gates only a slower candidate, so both orders are run), so that any change
# of the model's latencies forces a deliberate scripts/refresh-baseline. And
# the script writes exactly what `kvmsim run` writes for the scenario.
. "$(dirname "$0")/../lib.sh"
BASE="$S/tests/data/study/ci-latency-baseline.json"
cd "$S" || exit 1   # the scenario by its relative path, as the baseline records it
"$K" run workloads/scenarios/ci-latency.yaml --quiet --json "$T/cand.json" || fail "the CI scenario did not run"
for order in "$BASE $T/cand.json" "$T/cand.json $BASE"; do
  # shellcheck disable=SC2086
  "$K" compare $order --fail-on-ks --max-regression none > "$T/out" 2>&1; rc=$?
  [ $rc -eq 0 ] || { fail "the model's latencies differ from $BASE (compare $order --fail-on-ks exited $rc); if the change is intended, run scripts/refresh-baseline and commit the baseline"; cat "$T/out"; }
done
# the CI step of docs/study.md, as written there
"$K" compare "$BASE" "$T/cand.json" --fail-on-ks --alpha 0.01 --json "$T/compare.json" > "$T/out"; rc=$?
[ $rc -eq 0 ] || { fail "the CI step of docs/study.md fails against the committed baseline (exit $rc)"; cat "$T/out"; }

# the script: what kvmsim run writes, at the path asked for
KVMSIM_BUILD="$B" scripts/refresh-baseline -o "$T/new.json" > "$T/out" 2>&1 || fail "refresh-baseline: $(cat "$T/out")"
cmp -s "$T/new.json" "$T/cand.json" || fail "refresh-baseline -o wrote another result than kvmsim run"
grep -q "^refresh-baseline: $T/new.json written" "$T/out" || fail "refresh-baseline said: $(cat "$T/out")"
ls -a "$T" | grep -q '^\.baseline\.' && fail "refresh-baseline left a temporary file"
scripts/refresh-baseline -x > /dev/null 2>&1; [ $? -eq 2 ] || fail "refresh-baseline -x: expected exit 2"

finish baseline_test
