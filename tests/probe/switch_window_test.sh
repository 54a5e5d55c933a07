#!/usr/bin/env bash
# switch_window_test.sh - traces/probe/switch-window.sh: usage errors everywhere, exit 2
# without root (as idle-window.sh and kvmsim probe without /dev/kvm); then, with root,
# tracefs and /dev/kvm (skip, 77, without them), what holds
# on a busy machine: it measures something in (a) and (b), its counts add up (every switch
# in (a) has one prev and one next kind, every halted wake-up in (b) has all its segments),
# the quantiles are ordered, the whole wake-up is no shorter than its switch-to-entry part,
# the cycles are the microseconds at the probe's TSC frequency, and the tracefs instance is
# gone afterwards.
. "$(dirname "$0")/../lib.sh"
skip() { echo "SKIP: $*"; exit 77; }
W="$S/traces/probe/switch-window.sh"

expect_err 2 "switch-window.sh: --cpu: expected a CPU number, got x" -- "$W" --build "$B" --cpu x
expect_err 2 "switch-window.sh: --count: expected a positive number, got 0" -- "$W" --build "$B" --count 0
expect_err 2 "switch-window.sh: --frob: unknown option (--help)" -- "$W" --build "$B" --frob
expect_err 2 "switch-window.sh: --pattern-a: expected a value (--help)" -- "$W" --build "$B" --pattern-a
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
  expect_err 2 "switch-window.sh: root needed (tracefs)" -- setpriv --reuid=65534 --regid=65534 --clear-groups "$W" --build "$B"
fi

[ "$(id -u)" = 0 ] && [ -w /dev/kvm ] || { finish switch_window_test; skip "needs root and /dev/kvm"; }
[ -d /sys/kernel/tracing/events/sched/sched_switch ] || [ -d /sys/kernel/debug/tracing/events/sched/sched_switch ] \
  || { finish switch_window_test; skip "no tracefs"; }
[ "$fails" -eq 0 ] || finish switch_window_test

"$W" --build "$B" --count 1500 --pattern-a poisson:100us --pattern-b poisson:200us > "$T/w" 2>&1 &
wpid=$! # its tracefs instance is named by it (another script may be tracing meanwhile)
wait $wpid || fail "switch-window.sh exited $?: $(tail -3 "$T/w")"
# n LABEL: the sample count of the row LABEL (its text up to the count)
n() { awk -v l="$1" 'index($0, l) == 1 { s = substr($0, length(l) + 1); split(s, w, " "); print w[1]; exit }' "$T/w"; }
all=$(n "  sched_switch to entry, all")
[ -n "$all" ] && [ "$all" -gt 0 ] || fail "no switch between the two vCPU threads measured: $(head -5 "$T/w")"
blk=$(n "  prev blocked in HLT: switch to entry"); pre=$(n "  prev preempted: switch to entry")
[ "$((blk + pre))" = "$all" ] || fail "(a): $blk blocked + $pre preempted is not all $all"
bw=$(n "  blocked -> woken: switch to entry"); bp=$(n "  blocked -> preempted: switch to entry")
pw=$(n "  preempted -> woken: switch to entry"); pp=$(n "  preempted -> preempted: switch to entry")
[ "$((bw + bp))" = "$blk" ] && [ "$((pw + pp))" = "$pre" ] || fail "(a): the next kinds ($bw $bp $pw $pp) do not add up to $blk, $pre"
read -r h b p i < <(sed -n 's/^  (b) wake-ups: \([0-9]*\) halted, \([0-9]*\) busy, \([0-9]*\) polling idle state, \([0-9]*\) idle without a traced state$/\1 \2 \3 \4/p' "$T/w")
[ -n "${i:-}" ] || fail "no (b) summary line: $(tail -3 "$T/w")"
[ "$(( ${h:-0} + ${b:-0} + ${p:-0} + ${i:-0} ))" -gt 0 ] || fail "(b): no wake-up measured"
# every halted wake-up has all six figures; every busy one its four
awk -v h="${h:-0}" -v b="${b:-0}" '
/^\(b\) wake-up of the sleeping/ { sec = "h"; next } /^\(b\) the same/ { sec = "b"; next } /^  \(b\)/ { sec = ""; next }
sec != "" && /^  [A-Za-z]/ { c = $0; sub(/^.*[a-z)] +/, "", c); split(c, w, " "); if (w[1] != (sec == "h" ? h : b)) { print "row with " w[1] " samples, not " (sec == "h" ? h : b) ": " $0; bad = 1 } }
END { exit bad }' "$T/w" || fail "(b): a row's count differs from its wake-ups"
# p10 <= p50 <= p90 in every row, and the cycles are the us at the TSC frequency
khz=$(sed -n 's/^CPU [0-9]*, TSC \([0-9]*\) kHz.*/\1/p' "$T/w")
[ -n "$khz" ] && [ "$khz" -gt 0 ] || fail "no TSC frequency: $(sed -n 3p "$T/w")"
awk -v khz="${khz:-0}" 'NF >= 8 && $(NF - 6) ~ /^[0-9]+$/ && $(NF - 5) ~ /\./ {
  a = $(NF - 5); m = $(NF - 4); z = $(NF - 3)
  if (!(a <= m && m <= z)) { print "quantiles out of order: " $0; bad = 1 }
  if (($(NF - 1) - m * khz / 1000)^2 > 1) { print "cycles are not the us at " khz " kHz: " $0; bad = 1 } }
END { exit bad }' "$T/w" || fail "a row is inconsistent"
# the whole wake-up holds its switch to entry
if [ "${h:-0}" -gt 0 ]; then
  awk '/^\(b\) wake-up of the sleeping/ { s = 1 } /^\(b\) the same/ { s = 0 }
    s && /switch to entry/ { p = $(NF - 4) } s && /MSI to entry/ { w = $(NF - 4) } END { exit !(w >= p) }' "$T/w" \
    || fail "(b): the whole wake-up's p50 is below its switch to entry"
fi
[ -e "/sys/kernel/tracing/instances/kvmsim-switch-$wpid" ] && fail "its tracefs instance was left behind"
finish switch_window_test
