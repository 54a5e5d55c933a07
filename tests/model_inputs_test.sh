#!/usr/bin/env bash
# model_inputs_test.sh - inputs the models must refuse with one line and exit 2, or take as a
# legitimate (if extreme) question and finish: costs of 0 or of absurd size, a burst-less
# on/off source, an overloaded guest; and what the summary says about the run.
source "$(dirname "$0")/lib.sh"

# costs: the poll loop advances by poll_iter; no step takes a second
expect_err 2 "kvmsim run: --set costs.poll_iter: must take time: the halt-poll loop advances by it (profile haswell-ep)" \
  -- "$K" run --quiet --set costs.poll_iter=0
expect_err 2 "kvmsim run: --set costs.vmexit: expected cycles (a whole number) or a time with its unit (e.g. 2us), got \"9223372036854775807ps\"" \
  -- "$K" run --quiet --set costs.vmexit=9223372036854775807ps
expect_err 2 "kvmsim run: --set costs.vmexit: is more than a second for one step (at most 1s) (profile haswell-ep)" \
  -- "$K" run --quiet --set costs.vmexit=2s
expect_err 2 "kvmsim run: --set costs.vmexit: is more than a second for one step (at most 1s) (profile haswell-ep)" \
  -- "$K" run --quiet --set costs.vmexit=1000000000000
"$K" run --quiet --set costs.vmexit=1s --duration 10ms || fail "a cost of exactly 1s must be taken"

# times past what the clock can add up
expect_err 2 "kvmsim run: --set vm.workload.start: time out of range (at most 1000000s), got \"1000001s\"" \
  -- "$K" run --quiet --set vm.workload.start=1000001s

# an on/off source whose bursts hold no time would search forever for its next arrival
expect_err 2 "kvmsim run: --set vm.workload: an onoff source needs bursts (on) of at least 1ns on average" \
  -- timeout 20 "$K" run --quiet --set 'vm.workload={type: onoff, on: 0}'

# an overloaded guest builds a backlog; the run finishes
for w in 'vm.workload.rate=50kHz' 'vm.workload.work=1ms' 'vm.workload={type: periodic, period: 10us, work: 12us}'; do
  timeout 60 "$K" run --quiet --duration 200ms --set "$w" --json "$T/o.json" 2>"$T/err" \
    || fail "overloaded guest ($w): exit $?: $(cat "$T/err")"
done

# the summary says which policy and which KVM_CAP_HALT_POLL each VM runs with
"$K" run --set vm.halt_poll_ns=50000 --set vm.policy=fixed --duration 10ms >"$T/out" 2>&1
grep -qx 'vm0: policy fixed, KVM_CAP_HALT_POLL 50000 ns' "$T/out" || fail "vm line: $(sed -n 4p "$T/out")"
"$K" run --duration 10ms --set 'vms=[{vcpus: 1}, {vcpus: 1}, {vcpus: 1, policy: none}]' >"$T/out" 2>&1
grep -qx "vm0-vm1: policy kvm, KVM_CAP_HALT_POLL not set (the module's halt_poll_ns)" "$T/out" || fail "grouped vm line"
grep -qx "vm2: policy none, KVM_CAP_HALT_POLL not set (the module's halt_poll_ns)" "$T/out" || fail "vm2 line"
"$K" run --set kernel=5.4 --duration 10ms >"$T/out" 2>&1
grep -qx 'vm0: policy kvm (no KVM_CAP_HALT_POLL before 5.8)' "$T/out" || fail "5.4 vm line"

# cyclictest's own figures in the summary, as cyclictest prints them
"$K" run "$S/workloads/scenarios/cyclictest-hv-timer.yaml" --duration 2s --hist "$T/h" >"$T/out" 2>&1
line=$(grep '^T: 0 (vm0/vcpu0) I:1ms C:' "$T/out") || fail "no cyclictest line"
min=$(sed -n 's/^# Min Latencies: 0*\([0-9]\)/\1/p' "$T/h"); avg=$(sed -n 's/^# Avg Latencies: 0*\([0-9]\)/\1/p' "$T/h")
max=$(sed -n 's/^# Max Latencies: 0*\([0-9]\)/\1/p' "$T/h")
echo "$line" | grep -Eq "Min: +$min Act: +[0-9]+ Avg: +$avg Max: +$max\$" || fail "cyclictest line '$line' vs hist $min/$avg/$max"
# cyclictest -N: the same samples in ns, consistent with the microsecond histogram
"$K" run "$S/workloads/scenarios/cyclictest-hv-timer.yaml" --duration 2s --set vm.cyclictest.nsecs=true >"$T/out" 2>&1
grep -q '^cyclictest (ns):$' "$T/out" || fail "no 'cyclictest (ns):' header"
nsmin=$(sed -n 's/^T: 0 .* Min: *\([0-9]*\) .*/\1/p' "$T/out")
[ -n "$nsmin" ] && [ "$((nsmin / 1000))" -eq "$min" ] || fail "-N Min $nsmin ns is not in the histogram's Min bucket $min us"
# durations in the largest exact unit
"$K" run --duration 1.5ms >"$T/out" 2>&1
grep -q '^simulated 1.5ms (statistics after a 150us warm-up) on' "$T/out" || fail "1.5ms: $(sed -n 2p "$T/out")"

# outputs appear whole or not at all: a trace past the file-size limit fails (exit 1) and
# leaves nothing at its path, while the complete JSON is kept; a run refused as bad input
# replaces no file
mkdir "$T/out.d"
( trap '' XFSZ; ulimit -f 200; "$K" run --quiet --json "$T/out.d/x.json" --trace "$T/out.d/t.trace" 2>"$T/err" ); rc=$?
[ "$rc" -eq 1 ] || fail "write past the size limit: exit $rc"
grep -q 't.trace: write failed: File too large' "$T/err" || fail "write failure message: $(cat "$T/err")"
[ ! -e "$T/out.d/t.trace" ] || fail "a truncated trace was left behind"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out.d/x.json" || fail "the complete JSON was not kept"
[ -z "$(ls "$T/out.d" | grep -v '^x.json$')" ] || fail "temporary files left: $(ls "$T/out.d")"
echo keep > "$T/out.d/y.json"
"$K" run --quiet --json "$T/out.d/y.json" --set duration=-1 2>/dev/null
[ "$(cat "$T/out.d/y.json")" = keep ] || fail "a refused run replaced an existing output"

# a directory is not an input of halt durations
expect_err 2 "kvmsim haltpoll replay: $T: cannot read: Is a directory" -- "$K" haltpoll replay --kernel 6.1 "$T"

finish model_inputs_test
