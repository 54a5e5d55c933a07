#!/usr/bin/env bash
# idle_window_test.sh - traces/probe/idle-window.sh: usage errors everywhere; then, with
# root, tracefs and /dev/kvm (skip, 77, without them), what is stable on a busy machine:
# it measures, prints its summary, and every traced sleep falls in exactly one group of
# the table (the groups' MSIs add up to the sleeps). kvmsim probe --vcpu-cpu's refusals.
. "$(dirname "$0")/../lib.sh"
skip() { echo "SKIP: $*"; exit 77; }
W="$S/traces/probe/idle-window.sh"

expect_err 2 "idle-window.sh: --cpu: expected a CPU number, got x" -- "$W" --build "$B" --cpu x
expect_err 2 "idle-window.sh: --frob: unknown option (--help)" -- "$W" --build "$B" --frob
n=$(getconf _NPROCESSORS_ONLN)
expect_err 2 "kvmsim probe: --vcpu-cpu: expected 0..$((n - 1)) (the CPUs online), got $n" -- "$K" probe --vcpu-cpu "$n"

[ "$(id -u)" = 0 ] && [ -w /dev/kvm ] || { finish idle_window_test; skip "needs root and /dev/kvm"; }
[ -d /sys/kernel/tracing/events/power/cpu_idle ] || [ -d /sys/kernel/debug/tracing/events/power/cpu_idle ] \
  || { finish idle_window_test; skip "no tracefs"; }
[ "$fails" -eq 0 ] || finish idle_window_test

"$W" --build "$B" --count 2000 > "$T/w" 2>&1 &
wpid=$! # its tracefs instance is named by it (another script may be tracing meanwhile)
wait $wpid; rc=$?
sleeps=$(sed -n 's/^\([0-9]*\) sleeps of the vCPU thread on CPU 0$/\1/p' "$T/w")
# other tasks kept CPU 0 busy (someone's build or probe there): the vCPU thread hardly slept,
# and nothing below can be checked
busy=$(sed -n "s/^other tasks on the vCPU's CPU 0: \([0-9]*\)\..*/\1/p" "$T/w")
# (no such line: /proc/stat unreadable, the share unknown)
if [ "${sleeps:-0}" -le 100 ] && [ "${busy:-0}" -ge 20 ]; then
  finish idle_window_test; skip "CPU 0 busy: other tasks took $busy % of it, ${sleeps:-0} of 2000 wake-ups slept"
fi
[ $rc -eq 0 ] || fail "idle-window.sh exited $rc: $(tail -3 "$T/w")"
[ -n "$sleeps" ] && [ "$sleeps" -gt 100 ] || fail "no or few sleeps measured on a quiet CPU 0: $(head -3 "$T/w")"
grep -Eq "^switch-out to idle-state entry \(us\): p10 [0-9]+  p50 [0-9]+  p90 [0-9]+|^no cpu_idle event on CPU 0" "$T/w" \
  || fail "no idle-entry line: $(cat "$T/w")"
sum=$(awk '/^MSI after/ { t = 1; next } t { s += $2 } END { print s + 0 }' "$T/w")
[ "$sum" = "$sleeps" ] || fail "the groups hold $sum MSIs for $sleeps sleeps"
[ -e "/sys/kernel/tracing/instances/kvmsim-idle-$wpid" ] && fail "its tracefs instance was left behind"
finish idle_window_test
