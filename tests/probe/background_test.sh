#!/usr/bin/env bash
# background_test.sh - kvmsim probe --background on this host's /dev/kvm (skip, 77,
# without it): with root and tracefs it traces the other tasks on the vCPU's CPU into the
# JSON, says so, and leaves no tracefs instance behind; a spin of our own on that CPU
# shows up there (more of its CPU traced than without, wake-ups of the vCPU timed behind
# it) and cuts real polls; kvmsim validate then simulates the traced tasks. Without root
# or tracefs the probe says it did not trace them and still runs. What is checked is what
# is stable on a shared machine: the direction and rough size, not exact figures.
. "$(dirname "$0")/../lib.sh"
[ -w /dev/kvm ] || { echo "SKIP: no usable /dev/kvm"; exit 77; }
cpu=$([ "$(nproc)" -gt 1 ] && echo 1 || echo 0) # the probe's default
probe() { # probe NAME: periodic:100us with polling, its JSON in $T/NAME.json
  "$K" probe --pattern periodic:100us --halt-poll-ns 200000 --count 3000 --vcpu-cpu "$cpu" --background \
    --json "$T/$1.json" > "$T/$1.out" 2> "$T/$1.err" &
  ppid=$!
  wait $ppid
}
probe quiet
rc=$?
[ $rc -eq 2 ] && { echo "SKIP: $(tail -1 "$T/quiet.err")"; exit 77; }
[ $rc -eq 0 ] || fail "probe --background exited $rc: $(tail -2 "$T/quiet.err")"
tfs=/sys/kernel/tracing
[ -d $tfs/instances ] || tfs=/sys/kernel/debug/tracing
if [ "$(id -u)" != 0 ] || [ ! -d $tfs/events/sched/sched_wakeup ] || [ ! -d $tfs/events/kvm/kvm_vcpu_wakeup ]; then
  grep -q "^kvmsim probe: --background: not traced: " "$T/quiet.err" || fail "not traced, and not said so"
  python3 -c 'import json,sys; sys.exit("background" in json.load(open(sys.argv[1]))["probe"])' "$T/quiet.json" \
    || fail "probe.background written without a trace"
  finish background_test
  exit
fi
grep -q "^traced there: [0-9]* other tasks, [0-9]* wake-ups, [0-9.]*% of the CPU$" "$T/quiet.out" \
  || fail "no 'traced there' line: $(cat "$T/quiet.out")"
[ -e "$tfs/instances/kvmsim-bg-$ppid" ] && fail "its tracefs instance was left behind"
# a spin of our own on the vCPU's CPU: ~1 ms of user-mode work every ~5 ms
python3 - "$cpu" "$T/stop" <<'PY' &
import os, sys, time
os.sched_setaffinity(0, {int(sys.argv[1])})
while not os.path.exists(sys.argv[2]):
    t = time.perf_counter()
    while time.perf_counter() - t < 0.001:
        pass
    time.sleep(0.004)
PY
spin=$!
sleep 0.2
probe loaded
rc=$?
touch "$T/stop"
wait $spin
[ $rc -eq 0 ] || fail "probe --background with a spin beside it exited $rc: $(tail -2 "$T/loaded.err")"
python3 - "$T/quiet.json" "$T/loaded.json" <<'PY' || fail "the spin is not what the trace saw"
import json, sys
q, l = (json.load(open(f))["probe"] for f in sys.argv[1:])
bq, bl = q["background"], l["background"]
share = lambda p: p["background"]["cpu_ns"] / p["wall_ns"]
for b, p in ((bq, q), (bl, l)):
    a = b["arrivals"]
    assert all(0 <= x[0] < p["wall_ns"] and x[1] > 0 for x in a), "an arrival outside the window"
    assert all(a[i][0] <= a[i + 1][0] for i in range(len(a) - 1)), "arrivals out of order"
    assert sum(x[1] for x in a) == b["cpu_ns"]
# ~20 % of the CPU offered; the vCPU thread (SCHED_FIFO) leaves it less
assert share(l) > 0.05 and share(l) > share(q) + 0.03, (share(q), share(l))
assert len(bl["wake_busy_ns"]) > 20, len(bl["wake_busy_ns"])  # the vCPU woken behind the spin
# and each of those timed from the MSI that woke it too (the waker's part comes first)
m, b = sorted(bl["wake_msi_ns"]), sorted(bl["wake_busy_ns"])
assert len(m) > 0.8 * len(b), (len(m), len(b))
assert m[len(m) // 2] > b[len(b) // 2], (m[len(m) // 2], b[len(b) // 2])
PY
grep -q "^the vCPU thread woken behind them [0-9]* times: from the MSI to the switch to it p50 [0-9.]*  p90 [0-9.]*  max [0-9.]* us$" \
  "$T/loaded.out" || fail "no line for the wake-ups behind the spin: $(cat "$T/loaded.out")"
python3 - "$T/quiet.json" "$T/loaded.json" <<'PY' || fail "the spin did not cut real polls"
import json, sys
cut = lambda d: sum(d["vcpus"][0]["stats"]["halt_poll_fail_hist"][:11])  # under 1024 ns: at their first check
q, l = (json.load(open(f)) for f in sys.argv[1:])
assert cut(l) > cut(q) + 50, (cut(q), cut(l))
PY
finish background_test
