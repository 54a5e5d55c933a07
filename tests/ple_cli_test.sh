#!/usr/bin/env bash
# ple_cli_test.sh - pause-loop exiting and kvm_vcpu_on_spin end to end: an
# overcommitted VM (2 vCPUs and a busy host task on one pCPU) whose vCPUs share
# a spinlock. With PLE the waiter's PAUSE loop exits, it yields to the
# preempted holder, and its spin per acquisition drops against PLE off
# (kvm_intel.ple_gap=0); the window grows and is capped as vmx.c does.
. "$(dirname "$0")/lib.sh"

expect_err 2 'kvmsim run: --set vm.lock.hold: expected a time that is not negative, got "-1us"' -- \
  "$K" run --set vm.lock.hold=-1us
expect_err 2 'kvmsim run: --set vm.lock.hold: the spinlock and pause-loop exiting are modelled for x86 only' -- \
  "$K" run --set arch=s390 --set vm.lock.hold=1us
expect_err 2 'kvmsim run: --set vm.lock.holdx: unknown key (did you mean hold?)' -- "$K" run --set vm.lock.holdx=1us

sc="$S/workloads/scenarios/ple.yaml"
"$K" run "$sc" --quiet --json "$T/on.json" || fail "PLE on"
"$K" run "$sc" --quiet --json "$T/off.json" --set kvm_intel.ple_gap=0 || fail "PLE off"
"$K" run "$sc" --quiet --json "$T/nogrow.json" --set kvm_intel.ple_window_grow=0 || fail "no growth"
"$K" run "$sc" --quiet --json "$T/cap.json" --set kvm_intel.ple_window_max=6000 || fail "capped"
python3 - "$T" <<'PY' || fail "PLE figures"
import json, sys
d = sys.argv[1]
def vcpus(n):
    return json.load(open(f"{d}/{n}.json"))["vcpus"]
ok = True
def check(c, msg):
    global ok
    if not c:
        print("FAIL:", msg); ok = False
on, off = vcpus("on"), vcpus("off")
for v in off:
    s = v["sched"]
    check(s["pause_exits"] == 0 and s["directed_yield_attempted"] == 0, f"PLE off: {v['name']} exited or yielded")
    check(s["ple_window"] == 4096, f"PLE off: {v['name']} window {s['ple_window']}")
for v in on:
    s = v["sched"]
    check(s["pause_exits"] > 0, f"PLE on: {v['name']} no PAUSE exits")
    check(0 < s["directed_yield_successful"] <= s["directed_yield_attempted"] <= s["pause_exits"],
          f"PLE on: {v['name']} yields {s['directed_yield_successful']}/{s['directed_yield_attempted']}, exits {s['pause_exits']}")
    w = s["ple_window"]
    check(w >= 4096 and w % 4096 == 0 and (w // 4096) & (w // 4096 - 1) == 0, f"window {w} is not 4096 * 2^k")
def per_acq(vs):
    return sum(v["lock"]["spin_ps"] for v in vs) / max(1, sum(v["lock"]["acquired"] for v in vs))
acq_on = sum(v["lock"]["acquired"] for v in on)
acq_off = sum(v["lock"]["acquired"] for v in off)
check(acq_off > 0 and acq_on > 10 * acq_off, f"acquisitions: PLE on {acq_on}, off {acq_off}")
check(per_acq(on) * 10 < per_acq(off), f"spin per acquisition: PLE on {per_acq(on):.0f} ps, off {per_acq(off):.0f} ps")
check(sum(v["lock"]["spin_ps"] for v in on) < sum(v["lock"]["spin_ps"] for v in off), "total spin did not drop")
for v in vcpus("nogrow"):
    check(v["sched"]["ple_window"] == 4096 and v["sched"]["pause_exits"] > 0, f"ple_window_grow=0: {v['sched']}")
for v in vcpus("cap"):
    check(v["sched"]["ple_window"] in (4096, 6000), f"ple_window_max=6000: window {v['sched']['ple_window']}")
sys.exit(0 if ok else 1)
PY

# the exits are PAUSE_INSTRUCTION in perf kvm stat and in the kvm_exit trace, at the spin loop's RIP
"$K" run "$sc" --exit-stats --duration 50ms > "$T/stats" || fail "--exit-stats"
grep -qE '^ +PAUSE_INSTRUCTION +[1-9][0-9]* ' "$T/stats" || fail "--exit-stats shows no PAUSE_INSTRUCTION row"
"$K" run "$sc" --quiet --duration 50ms --trace "$T/trace.txt" || fail "--trace"
grep -q 'kvm_exit: .*reason PAUSE_INSTRUCTION rip 0xffffffff81e3c2a2' "$T/trace.txt" || fail "trace has no PAUSE exit"
"$K" run "$sc" --quiet --duration 50ms --set kvm_intel.ple_gap=0 --trace "$T/trace0.txt" || fail "--trace (off)"
! grep -q 'PAUSE_INSTRUCTION' "$T/trace0.txt" || fail "PLE off still exits on PAUSE"

finish ple_cli_test
