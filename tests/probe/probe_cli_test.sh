#!/usr/bin/env bash
# probe_cli_test.sh - kvmsim probe, calibrate and validate from the command line:
# usage errors and the refusal without /dev/kvm everywhere; then, on this host's
# /dev/kvm (skip, 77, without it), what is stable on a busy shared machine: the
# probe runs, its JSON is read by compare, report and calibrate, a poll ceiling
# gives successful polls where none gives none, and the fit converges to a
# profile the simulator loads. No tight tolerances: those are validate's own.
. "$(dirname "$0")/../lib.sh"
skip() { echo "SKIP: $*"; exit 77; }
jget() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

expect_err 2 "kvmsim probe: /nonexistent/kvm: No such file or directory (kvmsim probe needs a usable /dev/kvm)" -- \
  env KVMSIM_KVM_DEV=/nonexistent/kvm "$K" probe --count 10
expect_err 2 'kvmsim probe: --pattern: expected periodic:Tus, poisson:Tus, burst:NxTus/G(us|ms) or timer:Tus, got "poisson:5"' -- \
  "$K" probe --pattern poisson:5
expect_err 2 "kvmsim probe: --count: expected 1..200000, got 0" -- "$K" probe --count 0
expect_err 2 "kvmsim calibrate: expected at least 2 probe results (kvmsim probe --json), got 1" -- \
  "$K" calibrate x.json
expect_err 2 "kvmsim calibrate: --idle-growth: \"0us\": the time constant of a growth must be above 0" -- \
  "$K" calibrate --idle-growth 9us,0us x.json y.json
expect_err 2 'kvmsim validate: --repeat: expected a whole number 1..20, got "21"' -- "$K" validate --repeat 21
expect_err 2 'kvmsim validate: --repeat: expected a whole number 1..20, got "abc"' -- "$K" validate --repeat abc
expect_err 2 "kvmsim validate: --load: $T/none/train: expected at least 2 probe results (*.json, as --save writes them)" -- \
  "$K" validate --load "$T/none"
expect_err 2 "kvmsim validate: --load: not with --train/--test (it gives them)" -- "$K" validate --load "$T" --train a.json
expect_err 2 "kvmsim validate: --count: only when probing this host (the results given were probed already)" -- \
  "$K" validate --train a.json --train b.json --test c.json --count 500
expect_err 2 'kvmsim validate: --idle-growth: "9us": expected the growth and its time constant, e.g. 9us,200us (or 0: none)' -- "$K" validate --idle-growth 9us
expect_err 2 "kvmsim validate: --train and --test go together (or neither: probe this host)" -- \
  "$K" validate --train a.json --train b.json
"$K" run --duration 10ms --json "$T/sim.json" > /dev/null || fail "kvmsim run failed"
expect_err 2 "kvmsim calibrate: $T/sim.json: key probe.gaps_ns: expected the result of kvmsim probe --json" -- \
  "$K" calibrate "$T/sim.json" "$T/sim.json"

[ -w /dev/kvm ] || { finish probe_cli_test; skip "no usable /dev/kvm"; }
[ "$fails" -eq 0 ] || finish probe_cli_test

"$K" probe --pattern periodic:60us --halt-poll-ns 0 --count 1000 --json "$T/nopoll.json" > "$T/out" 2>&1
rc=$?
[ $rc -eq 2 ] && skip "$(cat "$T/out")"
[ $rc -eq 0 ] || fail "probe exited $rc: $(cat "$T/out")"
# KVM does not poll while another task is runnable on the vCPU's CPU: on a busy
# shared host, try a few times for a quiet moment before comparing polls
busy=1
for attempt in 1 2 3 4; do
  "$K" probe --pattern periodic:60us --halt-poll-ns 200000 --count 1000 --json "$T/poll.json" > "$T/out" 2>&1 \
    || fail "probe exited $?: $(cat "$T/out")"
  busy=$(jget "$T/poll.json" "int(d['probe']['other_cpu_ns'] > 0.05 * d['probe']['wall_ns'])")
  [ "$busy" = 0 ] && break
  sleep 2
done
grep -q "^wake latency (us): p50 " "$T/out" || fail "no wake latency: $(cat "$T/out")"
"$K" probe --pattern periodic:300us --halt-poll-ns 50000 --count 500 --json "$T/sleep.json" > /dev/null 2>&1 \
  || fail "probe periodic:300us failed"

st="d['vcpus'][0]['stats']"
[ "$(jget "$T/nopoll.json" "$st['halt_attempted_poll']")" = 0 ] || fail "KVM_CAP_HALT_POLL 0 still polled"
[ "$(jget "$T/poll.json" "$st['halt_attempted_poll']")" -gt 0 ] || fail "a 200 us poll ceiling never polled"
ok0=$(jget "$T/nopoll.json" "$st['halt_successful_poll']")
ok1=$(jget "$T/poll.json" "$st['halt_successful_poll']")
if [ "$busy" = 0 ]; then
  [ "$ok1" -gt "$ok0" ] || fail "a 200 us poll ceiling gave no more successful polls ($ok1) than none ($ok0)"
else
  echo "note: the vCPU's CPU stayed busy with other tasks; successful polls not compared"
fi
n=$(jget "$T/poll.json" "d['vcpus'][0]['latency']['wake']['count']")
[ "$n" -gt 500 ] || fail "only $n of 1000 wake-ups paired with the guest's handler"
p50=$(jget "$T/sleep.json" "d['vcpus'][0]['latency']['wake']['p50']")
[ "$p50" -gt 200 ] && [ "$p50" -lt 5000000 ] || fail "sleeping vCPU's p50 wake latency $p50 ns is out of range"
[ "$(jget "$T/poll.json" "d['schema']")" = kvmsim-run/1 ] || fail "schema"
# the guest's own times: a handler run at least as long as its EOI write, each run counted once
grep -q "^guest handler (us, its own TSC): p50 " "$T/out" || fail "no guest handler line: $(cat "$T/out")"
pr="d['probe']"
hn=$(jget "$T/poll.json" "$pr['handler_ns']['count']")
[ "$hn" -gt 500 ] && [ "$hn" -le "$(jget "$T/poll.json" "$pr['count'] + $pr['extra_runs']")" ] \
  || fail "$hn handler times for 1000 wake-ups"
[ "$(jget "$T/poll.json" "int(0 < $pr['eoi_ns']['p50'] <= $pr['handler_ns']['p50'])")" = 1 ] \
  || fail "the EOI write's p50 is not within the handler's: $(jget "$T/poll.json" "$pr['eoi_ns']['p50'], $pr['handler_ns']['p50']")"

# the guest's own LAPIC timer: every expiry recorded, latency from the deadline in range
"$K" probe --pattern timer:200us --halt-poll-ns 0 --count 300 --json "$T/timer.json" > "$T/out" 2>&1 \
  || fail "probe timer:200us exited $?: $(cat "$T/out")"
n=$(jget "$T/timer.json" "d['vcpus'][0]['latency']['wake']['count']")
[ "$n" -gt 150 ] || fail "only $n of 300 timer expiries recorded"
p50=$(jget "$T/timer.json" "d['vcpus'][0]['latency']['wake']['p50']")
[ "$p50" -gt 100 ] && [ "$p50" -lt 5000000 ] || fail "timer p50 latency $p50 ns is out of range"
expect_err 2 "kvmsim calibrate: $T/timer.json: key probe.pattern: timer:200us is the guest's own timer, which calibrate does not simulate (expected an MSI pattern)" -- \
  "$K" calibrate "$T/timer.json" "$T/poll.json"

"$K" compare "$T/nopoll.json" "$T/poll.json" > "$T/cmp" 2>&1
rc=$?
[ $rc -le 1 ] && grep -q "^wake " "$T/cmp" || fail "compare exited $rc: $(head -3 "$T/cmp")"
"$K" report runs "$T/nopoll.json" "$T/poll.json" -o "$T/rep" > "$T/rep.out" 2>&1 \
  && [ -s "$T/rep/report.html" ] || fail "report: $(cat "$T/rep.out")"

"$K" calibrate "$T/poll.json" "$T/sleep.json" "$T/nopoll.json" --name probe-test -o "$T/p.yaml" > "$T/cal" 2>&1 \
  || fail "calibrate exited $?: $(cat "$T/cal")"
grep -q "fit converged" "$T/cal" || fail "the fit did not converge: $(cat "$T/cal")"
grep -q "^name: probe-test" "$T/p.yaml" || fail "no profile written"
"$K" run --set cost_profile="$T/p.yaml" --duration 10ms > /dev/null 2>&1 || fail "the fitted profile does not load"

# validate on saved results: the loop runs and judges the held-out one (0 or 1, never 2)
"$K" validate --train "$T/poll.json" --train "$T/sleep.json" --test "$T/nopoll.json" > "$T/val" 2>&1
rc=$?
[ $rc -le 1 ] || fail "validate exited $rc: $(cat "$T/val")"
# --load: what --save writes, fitted and predicted again: the same output as given one by one
mkdir -p "$T/saved/train" "$T/saved/test"
cp "$T/poll.json" "$T/sleep.json" "$T/saved/train/" && cp "$T/nopoll.json" "$T/saved/test/"
"$K" validate --load "$T/saved" > "$T/val-load" 2>&1
[ $? -eq $rc ] && cmp -s "$T/val" "$T/val-load" || fail "--load differs from --train/--test: $(diff "$T/val" "$T/val-load" | head -5)"
# ... with the idle entry and growth it saved, as --idle-entry and --idle-growth
echo 8us,9us,12us > "$T/saved/idle-entry.txt" && echo 9us,200us > "$T/saved/idle-growth.txt"
"$K" validate --train "$T/poll.json" --train "$T/sleep.json" --test "$T/nopoll.json" --idle-entry 8us,9us,12us \
  --idle-growth 9us,200us > "$T/val-idle" 2>&1
rc2=$?
"$K" validate --load "$T/saved" > "$T/val-load" 2>&1
[ $? -eq $rc2 ] && cmp -s "$T/val-idle" "$T/val-load" && grep -q "9000 ns x (1 - e^(-t / 200 us))" "$T/val-load" \
  || fail "--load did not take the saved idle entry and growth: $(diff "$T/val-idle" "$T/val-load" | head -5)"
grep -q "^Held out: predicted with the fitted profile" "$T/val" && grep -q "held-out figures\? outside tolerance" "$T/val" \
  || fail "validate printed no verdict: $(tail -3 "$T/val")"
[ $rc -eq 0 ] || grep -q " OFF$" "$T/val" || grep -q "^  not checked, so counted as outside tolerance$" "$T/val" \
  || fail "validate exited 1 without a figure marked OFF or a busy pattern not checked"
# results of one pattern are repeats: one table of their means, with the real range
# (a second and third probe whose CPU per wake-up and poll counts differ)
# (all three quiet: the live probe's other tasks would leave it out as busy, which is not checked here)
for k in 1 2 3; do
  /usr/bin/python3 - "$T/nopoll.json" "$T/nopoll$k.json" $k <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
st = d["vcpus"][0]["stats"]
if int(sys.argv[3]) > 1:
    st["halt_attempted_poll"] = 100 * int(sys.argv[3])
    st["halt_successful_poll"] = 50 * int(sys.argv[3])
d["probe"]["other_cpu_ns"] = 0
st["halt_poll_fail_hist"] = [0] * len(st["halt_poll_fail_hist"])
d["vcpus"][0]["interrupts"]["coalesced"] = (10, 20, 90)[int(sys.argv[3]) - 1]  # a mean of 40, a median of 20
json.dump(d, open(sys.argv[2], "w"))
PY
done
"$K" validate --train "$T/poll.json" --train "$T/sleep.json" --test "$T/nopoll1.json" --test "$T/nopoll2.json" \
  --test "$T/nopoll3.json" > "$T/val2" 2>&1
[ $? -le 1 ] || fail "validate with a repeated pattern: $(cat "$T/val2")"
[ "$(grep -c "mean of 3" "$T/val2")" -eq 1 ] && grep -q "^  real over 3 probes (means above)" "$T/val2" \
  || fail "a repeated pattern not shown once as its means: $(cat "$T/val2")"
a0=$(jget "$T/nopoll.json" "d['vcpus'][0]['stats']['halt_attempted_poll']")
mean=$(/usr/bin/python3 -c "print('%.0f' % (($a0 + 200 + 300) / 3))")
grep -q "^  polls attempted  *$mean " "$T/val2" || fail "polls attempted: not the mean $mean of $a0, 200, 300: $(grep 'polls attempted' "$T/val2")"
grep -q "poll success 0.0-50.0 %" "$T/val2" || fail "the real range is not 0.0-50.0 %: $(grep 'real over' "$T/val2")"
pend=$(jget "$T/nopoll.json" "'%.1f' % (100 * 40 / d['vcpus'][0]['interrupts']['arrivals'])")
grep -q "^  wake-ups that found their interrupt still pending from an earlier one: real $pend %, kvmsim " "$T/val2" \
  || fail "the coalesced wake-ups are not the mean $pend %: $(grep 'still pending' "$T/val2")"
# the held-out group's prediction over the fit's 1-sigma: once, after its table, bracketing its own figure
[ "$(grep -c "^  kvmsim over the fit's 1-sigma ([0-9]* points): poll success" "$T/val2")" -eq 1 ] \
  || fail "no 1-sigma line for the held-out group: $(cat "$T/val2")"
/usr/bin/python3 - "$T/val2" <<'PY' || fail "the 1-sigma range does not hold kvmsim's own figures: $(cat "$T/val2")"
import re, sys
t = open(sys.argv[1]).read()
held = t[t.index("Held out"):]
ps = float(re.search(r"^  poll success \(%\) +\S+ +(\S+)", held, re.M).group(1))
pc = float(re.search(r"^  polling CPU \(%\) +\S+ +(\S+)", held, re.M).group(1))
m = re.search(r"1-sigma \(\d+ points\): poll success ([\d.]+)-([\d.]+) %, polling CPU ([\d.]+)-([\d.]+) %", held)
lo, hi, clo, chi = map(float, m.groups())
sys.exit(0 if lo <= ps <= hi and clo <= pc <= chi else 1)
PY
# a held-out pattern whose every probe was busy is not checked, and that is not a pass
for k in 4 5; do
  /usr/bin/python3 - "$T/nopoll.json" "$T/busy$k.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["probe"]["other_cpu_ns"] = d["scenario"]["duration_ps"] / 1e3 / 2  # half the CPU, and no polls to tell
json.dump(d, open(sys.argv[2], "w"))
PY
done
"$K" validate --train "$T/poll.json" --train "$T/sleep.json" --test "$T/busy4.json" --test "$T/busy5.json" \
  > "$T/val3" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "^  not checked, so counted as outside tolerance" "$T/val3" \
  || fail "an all-busy held-out pattern passed (exit $rc): $(cat "$T/val3")"
expect_err 2 "kvmsim validate: $T/nopoll.json: given twice (one probe counts once)" -- \
  "$K" validate --train "$T/poll.json" --train "$T/sleep.json" --test "$T/nopoll.json" --test "$T/nopoll.json"
finish probe_cli_test
