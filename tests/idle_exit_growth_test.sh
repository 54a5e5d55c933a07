#!/usr/bin/env bash
# idle_exit_growth_test.sh - an idle state's exit_growth in a run: with a time constant
# far below any stay it is the whole growth on every exit (the run is exactly the one
# whose exit_latency is that much longer), with a time constant of 200 us it is part of
# it (the wake-ups' median lies strictly between the two), and a bad one is refused with
# its key.
. "$(dirname "$0")/lib.sh"
P="$S/models/costs/profiles/xeon-pvm.yaml"
line='^  - {name: haltpoll, exit_latency: 38945ns, '
grep -q "$line" "$P" || { fail "xeon-pvm has no haltpoll state line with exit_latency 38945ns to edit"; finish idle_exit_growth_test; }
mk() { sed "s/$line/  - {name: haltpoll, $1 /" "$P" > "$T/$2.yaml"; }
mk "exit_latency: 38945ns," base
mk "exit_latency: 47945ns," longer
mk "exit_latency: 38945ns, exit_growth: 9us, exit_growth_tau: 1ns," whole
mk "exit_latency: 38945ns, exit_growth: 9us, exit_growth_tau: 200us," part
mk "exit_latency: 38945ns, exit_growth: 9us," notau
mk "exit_latency: 38945ns, exit_growth: 9us, exit_growth_tau: 2s," longtau
mk "exit_latency: 38945ns, exit_growth: -1us, exit_growth_tau: 1us," negative
sed 's/polling: true}/polling: true, exit_growth: 1us, exit_growth_tau: 1us}/' "$P" > "$T/poll.yaml"
p50() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sorted(v["latency"]["wake"]["p50"] for v in d["vcpus"])[0])' "$1"; }
for v in base longer whole part; do
  "$K" run --set cost_profile="$T/$v.yaml" --set host.idle_exit_spread=0 --duration 300ms --quiet --no-progress \
    --json "$T/$v.json" > /dev/null || fail "run with the $v profile failed"
  run_body "$T/$v.json" > "$T/$v.body"
done
cmp -s "$T/longer.body" "$T/whole.body" || fail "exit_growth 9us with exit_growth_tau 1ns ran differently from exit_latency 9 us longer"
cmp -s "$T/base.body" "$T/part.body" && fail "exit_growth 9us with exit_growth_tau 200us ran exactly as no growth"
b=$(p50 "$T/base.json"); l=$(p50 "$T/longer.json"); m=$(p50 "$T/part.json")
[ "$b" -lt "$m" ] && [ "$m" -lt "$l" ] || fail "wake p50 with growth over 200 us: $m ns, not between $b and $l"
bad() { # bad PROFILE MESSAGE
  "$K" run --set cost_profile="$T/$1.yaml" --duration 1ms > /dev/null 2> "$T/err"; rc=$?
  [ $rc -eq 2 ] && grep -qF "$2 (profile xeon-pvm)" "$T/err" || fail "$1: exit $rc, $(cat "$T/err")"
}
bad notau "idle_states.1.exit_growth: needs exit_growth_tau, a time above 0"
bad longtau "idle_states.1.exit_growth_tau: is more than a second (at most 1s)"
"$K" run --set cost_profile="$T/negative.yaml" --duration 1ms > /dev/null 2> "$T/err"; rc=$?
[ $rc -eq 2 ] && grep -qF 'idle_states.1.exit_growth: expected a time that is not negative, got "-1us"' "$T/err" \
  || fail "negative: exit $rc, $(cat "$T/err")"
bad poll "idle_states.0.exit_growth: a polling state has no exit to grow"
finish idle_exit_growth_test
