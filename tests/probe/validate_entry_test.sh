#!/usr/bin/env bash
# validate_entry_test.sh - kvmsim validate's own trace of the host idle state's entry time
# (traces/idle_entry.c), on this host's /dev/kvm (skip, 77, without it): the short
# loop (--repeat 1, few wake-ups) runs and judges (0 or 1); with root and tracefs it traced
# the entry and the exit's growth with the stay, held them measured in the fit, saved them
# in forms --idle-entry and --idle-growth take again (the same fit from the saved results),
# and left no tracefs instance behind; without them it says so, the fit chooses the entry
# and the exit does not grow.
. "$(dirname "$0")/../lib.sh"
[ -w /dev/kvm ] || { echo "SKIP: no usable /dev/kvm"; exit 77; }
"$K" validate --repeat 1 --count 400 --save "$T/res" > "$T/out" 2> "$T/err" &
vpid=$! # its tracefs instance is named by it (another validate may be tracing meanwhile)
wait $vpid
rc=$?
[ $rc -eq 2 ] && { echo "SKIP: $(tail -1 "$T/err")"; exit 77; }
[ $rc -le 1 ] || fail "validate exited $rc: $(tail -3 "$T/err")"
tfs=/sys/kernel/tracing
[ -d $tfs/instances ] || tfs=/sys/kernel/debug/tracing
if [ "$(id -u)" = 0 ] && [ -d $tfs/events/power/cpu_idle ] && [ -d $tfs/events/sched/sched_switch ]; then
  grep -q "^kvmsim validate: idle entry traced on CPU [0-9]* ([0-9]* sleeps): p10 " "$T/err" \
    || fail "root and tracefs, but no idle entry traced: $(grep 'idle entry' "$T/err")"
  grep -q "^  idle_entry .* measured, not fitted" "$T/out" || fail "the fit did not hold the traced idle entry"
  grep -q "(idle_entry measured, traced by kvmsim validate: [0-9]* sleeps on CPU [0-9]*: 11 quantiles" "$T/out" \
    || fail "the fit does not say where its idle entry came from: $(grep 'idle_entry' "$T/out")"
  q=$(cat "$T/res/idle-entry.txt" 2>/dev/null)
  [ -n "$q" ] || fail "no $T/res/idle-entry.txt"
  # the saved quantiles are what the trace printed, and --idle-entry takes them again
  grep -q -- "--idle-entry $q\$" "$T/err" || fail "idle-entry.txt ($q) is not the traced line"
  grep -q "^kvmsim validate: idle exit growth traced on CPU [0-9]* ([0-9]* wake-ups, [0-9]* groups of stay): " "$T/err" \
    || fail "root and tracefs, but no exit growth traced: $(grep 'growth' "$T/err")"
  g=$(cat "$T/res/idle-growth.txt" 2>/dev/null)
  [ -n "$g" ] || fail "no $T/res/idle-growth.txt"
  grep -q -- "--idle-growth $g\$" "$T/err" || fail "idle-growth.txt ($g) is not the traced line"
  case $g in 0) grep -q "(idle exit not growing with the stay: traced by kvmsim validate" "$T/out" ;;
    *) grep -q "(idle exit growing with the stay t by .*, measured, not fitted: traced by kvmsim validate" "$T/out" ;;
  esac || fail "the fit does not say how the exit grows ($g): $(grep 'idle exit' "$T/out")"
  "$K" validate $(printf -- '--train %s ' "$T"/res/train/*.json) $(printf -- '--test %s ' "$T"/res/test/*.json) \
    --idle-entry "$q" --idle-growth "$g" > "$T/again" 2>&1
  [ $? -le 1 ] || fail "validate --idle-entry \"$q\" --idle-growth \"$g\" on the saved results: $(tail -2 "$T/again")"
  # the same measured inputs, the same fit
  diff <(grep -A6 '^  exit_entry ' "$T/out") <(grep -A6 '^  exit_entry ' "$T/again") > /dev/null \
    || fail "the saved results fitted again differ: $(diff <(grep -A6 '^  exit_entry ' "$T/out") <(grep -A6 '^  exit_entry ' "$T/again"))"
  [ -e "$tfs/instances/kvmsim-entry-$vpid" ] && fail "its tracefs instance was left behind: $(ls $tfs/instances)"
  # each probe traced its CPU's other tasks (traces/background.h), saved with it
  grep -q "are not traced" "$T/err" && fail "root and tracefs, but the other tasks not traced: $(grep 'not traced' "$T/err")"
  python3 - "$T"/res/train/*.json "$T"/res/test/*.json <<'PY' || fail "a saved probe without its other tasks"
import json, sys
for f in sys.argv[1:]:
    b = json.load(open(f))["probe"]["background"]
    assert isinstance(b["arrivals"], list) and b["cpu_ns"] >= 0, f
PY
  [ -e "$tfs/instances/kvmsim-bg-$vpid" ] && fail "its background tracefs instance was left behind"
else
  grep -q "^kvmsim validate: idle entry not traced (.*): the fit chooses it$" "$T/err" \
    || fail "no root or tracefs, and not said so: $(grep 'idle entry' "$T/err")"
  grep -q "idle_entry chosen on a grid" "$T/out" || fail "the fit did not choose idle_entry"
  [ -e "$T/res/idle-entry.txt" ] && fail "idle-entry.txt written without a trace"
  grep -q "^kvmsim validate: idle exit growth not traced (.*): the exit does not grow$" "$T/err" \
    || fail "no root or tracefs, and the growth not said so: $(grep 'growth' "$T/err")"
  [ -e "$T/res/idle-growth.txt" ] && fail "idle-growth.txt written without a trace"
fi
finish validate_entry_test
