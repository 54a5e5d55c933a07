#!/usr/bin/env bash
# validate_slow_test.sh - the whole loop on this host (probe, fit, predict the
# held-out patterns) with kvmsim validate's own tolerances; label "slow", as a
# busy shared machine can push a held-out figure out of them. Skips (77)
# without /dev/kvm.
. "$(dirname "$0")/../lib.sh"
[ -w /dev/kvm ] || { echo "SKIP: no usable /dev/kvm"; exit 77; }
"$K" validate > "$T/out" 2> "$T/err"
rc=$?
[ $rc -eq 2 ] && { echo "SKIP: $(cat "$T/err")"; exit 77; }
cat "$T/out"
[ $rc -eq 0 ] || fail "kvmsim validate exited $rc"
grep -q "nested" "$T/out" || [ ! -e /sys/module/kvm_pvm ] || fail "a nested KVM not said so"
finish validate_slow_test
