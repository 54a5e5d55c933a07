#!/usr/bin/env bash
# probe_test.sh - a fresh recording on this machine: kvm_probe under
# traces/probe/record.sh (a private tracefs instance), read back, and every
# decision reproduced by `trace check` for this host's kernel release and
# the VM's KVM_CAP_HALT_POLL value. Skips (77) without root, /dev/kvm,
# tracefs, or a kvm module whose parameters say what the defaults are.
. "$(dirname "$0")/../lib.sh"
skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" -eq 0 ] || skip "not root"
[ -w /dev/kvm ] || skip "no usable /dev/kvm"
P=/sys/module/kvm/parameters
[ -r $P/halt_poll_ns ] || skip "no kvm module parameters"
release=$(uname -r | sed -n 's/^\([0-9]*\.[0-9]*\(\.[0-9]*\)\{0,1\}\).*/\1/p')
[ -n "$release" ] || skip "cannot read the release from $(uname -r)"
echo 100000 | "$K" haltpoll replay --kernel "$release" --set vm.halt_poll_ns=1 > /dev/null 2>&1
[ $? -ne 2 ] || skip "kernel $release has no KVM_CAP_HALT_POLL (5.8+) or is not modelled"

args=(--kernel "$release" --set vm.halt_poll_ns=30000)
for p in halt_poll_ns halt_poll_ns_grow halt_poll_ns_grow_start halt_poll_ns_shrink; do
  [ -r $P/$p ] && args+=(--set "$p=$(cat $P/$p)")
done
# A recording disturbed by other load on a shared machine may hold no poll decision at all;
# record again (up to three times) before calling that a failure. A wrong decision fails at once.
for try in 1 2 3; do
  "$S/traces/probe/record.sh" -p "$B/kvm_probe" -m ftrace -o "$T/p" -- \
    --halt-poll-ns 30000 --interval 20,20,20,120 --count 200 > "$T/log" 2>&1
  rc=$?
  [ $rc -eq 77 ] && skip "$(tail -1 "$T/log")"
  [ $rc -eq 0 ] || { echo "FAIL: record.sh exited $rc: $(cat "$T/log")"; exit 1; }
  "$K" trace check "$T/p.trace" "${args[@]}" > "$T/out" 2>&1 || { echo "FAIL: $(cat "$T/out")"; exit 1; }
  grep -qE '^decisions reproduced: [1-9][0-9]* of [0-9]+ \(100.00%\)' "$T/out" && break
  grep -qE '^decisions reproduced: 0 of 0 ' "$T/out" || { echo "FAIL: $(grep reproduced "$T/out")"; exit 1; }
  [ $try -lt 3 ] || { echo "FAIL: three recordings without a decision to check: $(grep reproduced "$T/out")"; exit 1; }
  echo "probe_test: recording $try held no decision (a busy machine?); recording again"
done
ls /sys/kernel/tracing/instances | grep -q "^kvmsim-probe-" && { echo "FAIL: record.sh left its instance"; exit 1; }
exit 0
