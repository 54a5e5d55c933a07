#!/usr/bin/env bash
# tests/ppc_run_test.sh - `kvmsim run` with arch: powerpc (issue 13): the shipped
# POWER8 scenario runs; every pCPU's time adds up; the kvm_hv events are in the
# trace in the kernel's formats; vcores group threads_per_core vCPUs; the x86
# paths' keys are refused with exit 2 and one line naming the key.
source "$(dirname "$0")/lib.sh"
P8="$S/workloads/scenarios/power8-vcore.yaml"

"$K" run --no-progress --duration 200ms "$P8" --json "$T/r.json" --trace "$T/r.trace" > "$T/out" 2> "$T/err" ||
  fail "power8-vcore.yaml did not run: $(cat "$T/err")"
[ -s "$T/err" ] && fail "power8-vcore.yaml wrote to stderr: $(cat "$T/err")"
grep -q '^web/vcore0 ' "$T/out" || fail "the summary has no row for web/vcore0"

python3 - "$T/r.json" <<'PY' || fail "the JSON's accounting or vcores are wrong"
import json, sys
d = json.load(open(sys.argv[1]))
span = d["scenario"]["duration_ps"] - d["scenario"]["warmup_ps"]
for p in d["pcpus"]:  # conservation: every picosecond of a pCPU in one bucket
    assert sum(p["cpu_ps"].values()) == span, (p["cpu"], sum(p["cpu_ps"].values()), span)
vc = d["vcores"]
assert [len(v["threads"]) for v in vc] == [8, 2, 2], [len(v["threads"]) for v in vc]
assert [v["pcpu"] for v in vc] == [0, 1, 2]
assert [v["runner_vcpu"] for v in vc] == [0, 0, 2]
for v in vc:
    s = v["runner_stats"]
    assert s["halt_successful_poll"] <= s["halt_attempted_poll"]
    assert v["blocks"] > 0 and sum(t["interrupts"] for t in v["threads"]) > 0
    # a runner's CPU time is what its vcore spent in the guest, exiting, entering and polling
    busy = sum(v["time_ps"][k] for k in ("in_guest", "exiting", "entering", "polling"))
    assert abs(v["sched"]["runtime_ps"] - busy) <= span // 1000, (v["name"], v["sched"]["runtime_ps"], busy)
assert any(t["prods"] for v in vc for t in v["threads"]), "no H_PROD with prod_prob 0.2"
PY

# the kvm_hv tracepoints, as trace_hv.h prints them
grep -Eq ': kvmppc_vcore_blocked: (Enter|Exit) runner_vcpu=[0-9]+ runnable=[0-9]+ tgid=[0-9]+$' "$T/r.trace" ||
  fail "no kvmppc_vcore_blocked line in the trace"
grep -Eq ': kvmppc_vcore_wakeup:  (wait|poll) time [0-9]+ ns, tgid=[0-9]+$' "$T/r.trace" ||
  fail "no kvmppc_vcore_wakeup line in the trace"
grep -Ev '^cpus=|kvmppc_vcore_(blocked|wakeup)' "$T/r.trace" | head -1 | grep -q . &&
  fail "the powerpc trace has other events: $(grep -Ev '^cpus=|kvmppc_vcore' "$T/r.trace" | head -1)"

# one thread per vcore: as many vcores as vCPUs
"$K" run --quiet --duration 50ms "$P8" --set vms.0.threads_per_core=1 --json "$T/t1.json" ||
  fail "threads_per_core=1 did not run"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['vcores']) == 10, len(d['vcores'])" \
  "$T/t1.json" || fail "threads_per_core=1 does not give one vcore per vCPU"

# the x86 paths' keys: refused, exit 2, one line naming the key
for kv in vm.apicv=false vm.pv_eoi=true vm.lapic_timer=oneshot vm.tick_hz=250 vm.msr_poll_control=0 \
  vm.cyclictest.threads=1 vm.idle=poll vm.lock.hold=1us vm.kick_prob=0.5 vm.fio.numjobs=1 vm.pingpong.mode=ipi \
  vm.virtio_blk.num_queues=1; do
  k=${kv%%=*}
  expect_err 2 "kvmsim run: --set $k: an x86 path, not modelled for powerpc (refused rather than ignored)" -- \
    "$K" run "$P8" --set "$kv"
done
expect_err 2 "kvmsim run: --set kvm_intel.ple_gap: an x86 path (LAPIC timer, PLE, VMX), not modelled for powerpc" -- \
  "$K" run "$P8" --set kvm_intel.ple_gap=0
expect_err 2 "kvmsim run: --set kvm.lapic_timer_advance_ns: an x86 path (LAPIC timer, PLE, VMX), not modelled for powerpc" -- \
  "$K" run "$P8" --set kvm.lapic_timer_advance_ns=0
expect_err 2 "kvmsim run: --set host.noise: host interrupts and SMIs reach x86 vCPU threads only; not modelled for powerpc" -- \
  "$K" run "$P8" --set host.noise.irq_rate=10
expect_err 2 "kvmsim run: --set kvm.halt_poll_ns: the vcore of 4.8-4.13 polls up to kvm_hv.halt_poll_max_ns (its default), not kvm.halt_poll_ns" -- \
  "$K" run "$P8" --set kernel=4.10 --set kvm.halt_poll_ns=0
# and the vcore's keys off powerpc
expect_err 2 "kvmsim run: --set vm.threads_per_core: a powerpc vcore's setting (arch: powerpc)" -- \
  "$K" run --set vm.threads_per_core=2
expect_err 2 "kvmsim run: --set vm.threads_per_core: 9 is out of range: expected 0..8" -- \
  "$K" run "$P8" --set vm.threads_per_core=9
expect_err 2 "kvmsim run: --trace: a trace.dat of the kvm_hv events is not written yet (arch powerpc); give a text trace file" -- \
  "$K" run "$P8" --trace "$T/x.dat"
expect_err 2 "kvmsim run: --exit-stats: the x86 kvm events and VM exits; a powerpc run has its kvm_hv events in --trace" -- \
  "$K" run "$P8" --exit-stats
expect_err 2 "kvmsim run: --kvm-events: the x86 kvm events and VM exits; a powerpc run has its kvm_hv events in --trace" -- \
  "$K" run "$P8" --kvm-events

finish ppc_run_test
