#!/usr/bin/env bash
# ppc_check_test.sh - `trace check --arch powerpc` on the kvm_hv events: the
# shipped sample (simulated by kvmsim run on the POWER8 scenario, see
# traces/samples/README.md) agrees block for block; copies corrupted in ways
# the kernel cannot print fail with exit 1 and name the line; a release that
# never polls rejects every kvmppc_vcore_wakeup; a bad payload is exit 2.
. "$(dirname "$0")/../lib.sh"
D="$S/traces/samples"
SAMPLE="$D/kvmsim-power8-vcore.trace.gz"

"$K" trace check "$SAMPLE" --kernel 5.4 --arch powerpc > "$T/out" 2>&1 || fail "the sample: exit $?: $(tail -4 "$T/out")"
grep -qE '^blocks agreeing: ([0-9]+) of \1$' "$T/out" || fail "the sample: $(grep agreeing "$T/out")"
n=$(sed -n 's/^blocks agreeing: \([0-9]*\) of .*/\1/p' "$T/out")
[ "${n:-0}" -gt 400 ] || fail "the sample has $n blocks"
grep -cE '^ +400[01] +41[0-9][0-9] +[0-9]+ CPU [0-9]/KVM ' "$T/out" | grep -qx 3 || fail "three vcores (tgid, runner)"
grep -qE '^ +4000 +4100 +0 CPU 0/KVM +[0-9]+ +[1-9][0-9]* ' "$T/out" || fail "web's vcore polled successfully"

gzip -dc "$SAMPLE" > "$T/s.trace"
check() { "$K" trace check "$1" --kernel "${2:-5.4}" --arch powerpc > "$T/out" 2>&1; echo $?; }

# a wait turned into a poll: the runner slept (Enter/Exit) before it
line=$(grep -n 'kvmppc_vcore_wakeup:  wait' "$T/s.trace" | sed -n 5p | cut -d: -f1)
sed "${line}s/wait time/poll time/" "$T/s.trace" > "$T/c1"
[ "$(check "$T/c1")" = 1 ] || fail "wait->poll must exit 1"
grep -q "^first mismatch: $T/c1:$line, " "$T/out" || fail "wait->poll: the line: $(grep first "$T/out")"
grep -q 'why:    "poll" after the runner slept' "$T/out" || fail "wait->poll: the reason"

# the sleep's Enter removed: a wait with no sleep before it
enter=$(awk -v l="$line" 'NR < l && /kvmppc_vcore_blocked: Enter/ && /tgid=4000/ { e = NR } END { print e }' "$T/s.trace")
sed "${enter}d" "$T/s.trace" > "$T/c2"
[ "$(check "$T/c2")" = 1 ] || fail "a missing Enter must exit 1"
grep -q 'why:    "wait" without a kvmppc_vcore_blocked Enter/Exit' "$T/out" || fail "missing Enter: the reason"

# a successful poll longer than any window the vcore can have (MAX 10000 ns)
pline=$(grep -n 'kvmppc_vcore_wakeup:  poll' "$T/s.trace" | head -1 | cut -d: -f1)
sed -E "${pline}s/poll time [0-9]+ ns/poll time 50000 ns/" "$T/s.trace" > "$T/c3"
[ "$(check "$T/c3")" = 1 ] || fail "a 50 us poll must exit 1"
grep -q "^first mismatch: $T/c3:$pline, " "$T/out" || fail "long poll: the line"
grep -qE 'why:    "poll" of 50000 ns, longer than the window of [0-9]+ ns|"poll" with no window' "$T/out" ||
  fail "long poll: the reason: $(grep why "$T/out")"

# 4.7 never polls: every kvmppc_vcore_wakeup is a mismatch
[ "$(check "$T/s.trace" 4.7)" = 1 ] || fail "4.7 must reject kvmppc_vcore_wakeup"
grep -q 'why:    this release prints no kvmppc_vcore_wakeup' "$T/out" || fail "4.7: the reason"

# a payload that is not the kernel's: bad input, with its line
sed "3s/runnable=/runable=/" "$T/s.trace" > "$T/c4"
"$K" trace check "$T/c4" --kernel 5.4 --arch powerpc > /dev/null 2> "$T/err"
[ $? -eq 2 ] || fail "a bad payload must exit 2"
grep -q "c4:3: kvmppc_vcore_blocked: expected \"Enter|Exit runner_vcpu=N runnable=N tgid=N\"" "$T/err" ||
  fail "bad payload: $(cat "$T/err")"
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "bad payload: one line on stderr"

finish ppc_check_test
