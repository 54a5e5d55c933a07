#!/usr/bin/env bash
# idle_entry_dist_test.sh - an idle state's measured entry distribution
# (entry_latency_dist in a cost profile) in a run: one that always draws the
# same value runs exactly as entry_latency of that value (same seed, same
# output), one that spreads around it runs differently, and a bad one is
# refused with its key.
. "$(dirname "$0")/lib.sh"
P="$S/models/costs/profiles/xeon-pvm.yaml"
grep -q '^  - {name: haltpoll, exit_latency: ' "$P" || { fail "xeon-pvm has no haltpoll state line to edit"; finish idle_entry_dist_test; }
mk() { sed "s/^  - {name: haltpoll, exit_latency: /  - {name: haltpoll, $1 exit_latency: /" "$P" > "$T/$2.yaml"; }
mk "entry_latency: 20us," fixed
mk "entry_latency_dist: {quantiles: [20us, 20us]}," same
mk "entry_latency_dist: {quantiles: [0us, 40us]}," spread
mk "entry_latency_dist: {quantiles: [20, 30]}," bad
for v in fixed same spread; do
  "$K" run --set cost_profile="$T/$v.yaml" --duration 300ms --quiet --no-progress --json "$T/$v.json" > /dev/null \
    || fail "run with the $v profile failed"
  run_body "$T/$v.json" > "$T/$v.body"
done
cmp -s "$T/fixed.body" "$T/same.body" || fail "entry_latency_dist [20us, 20us] ran differently from entry_latency 20us"
cmp -s "$T/fixed.body" "$T/spread.body" && fail "entry_latency_dist [0us, 40us] ran exactly as entry_latency 20us"
"$K" run --set cost_profile="$T/bad.yaml" --duration 1ms > /dev/null 2> "$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q "idle_states.1.entry_latency_dist: expected {quantiles: \[times with units\]} (profile xeon-pvm)" "$T/err" \
  || fail "a unitless entry_latency_dist: exit $rc, $(cat "$T/err")"
finish idle_entry_dist_test
