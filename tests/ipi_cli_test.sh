#!/usr/bin/env bash
# ipi_cli_test.sh - the IPI ping-pong end to end: the shipped scenario under
# the three ways to wait (no polling, KVM halt polling, the guest's haltpoll),
# its summary table and JSON, the IPI tracepoints, and bad input (exit 2, one
# line naming file, line and key).
. "$(dirname "$0")/lib.sh"

sc="$S/workloads/scenarios/ipi-pingpong.yaml"
printf 'vm:\n  vcpus: 2\n  workload: {type: idle}\n  pingpong:\n    mode: ipi\n    from: 1\n    to: 1\n' > "$T/same.yaml"
expect_err 2 "kvmsim run: $T/same.yaml:7: vm.pingpong.to: must differ from pingpong.from" -- "$K" run "$T/same.yaml"
expect_err 2 'kvmsim run: --set vm.pingpong.mode: expected one of none, ipi, futex, got "pong"' -- \
  "$K" run "$sc" --set vm.pingpong.mode=pong
expect_err 2 'kvmsim run: --set vm.pingpong.to: no such vCPU (vm.vcpus is 2)' -- "$K" run "$sc" --set vm.pingpong.to=5
expect_err 2 'kvmsim run: --set vm.pingpong.pv_send_ipi: KVM_HC_SEND_IPI is an x86 hypercall from 4.19 (kernel 4.14)' -- \
  "$K" run "$sc" --set kernel=4.14 --set vm.pingpong.pv_send_ipi=true
expect_err 2 "kvmsim run: $sc:29: vm.pingpong.mode: guest IPIs are modelled for x86 only" -- \
  "$K" run "$sc" --set arch=s390
expect_err 2 'kvmsim run: --set vm.pingpong.thinkx: unknown key (did you mean think?)' -- \
  "$K" run "$sc" --set vm.pingpong.thinkx=1us

"$K" run "$sc" --quiet --duration 200ms --set kvm.halt_poll_ns=0 --json "$T/none.json" || fail "no polling"
"$K" run "$sc" --quiet --duration 200ms --json "$T/host.json" || fail "host polling"
"$K" run "$sc" --quiet --duration 200ms --set vm.guest_haltpoll.enabled=true --json "$T/guest.json" || fail "guest haltpoll"
python3 - "$T" <<'PY' || fail "ping-pong figures"
import json, sys
d = sys.argv[1]
ok = True
def check(c, msg):
    global ok
    if not c:
        print("FAIL:", msg); ok = False
r = {}
for n in ("none", "host", "guest"):
    j = json.load(open(f"{d}/{n}.json"))
    p = j["pingpong"][0]
    span = (j["scenario"]["duration_ps"] - j["scenario"]["warmup_ps"]) / 1e12
    check(p["mode"] == "ipi" and p["from"] == "vm0/vcpu0" and p["to"] == "vm0/vcpu1", f"{n}: {p['mode']} {p['from']} {p['to']}")
    check(abs(p["transactions_per_s"] * span - p["round_trips"]) < 0.5, f"{n}: trans/s x time != round trips")
    check(p["rtt"]["count"] == p["round_trips"] and p["rtt"]["p50"] <= p["rtt"]["p99"] <= p["rtt"]["max"], f"{n}: rtt {p['rtt']}")
    check(p["ipis"] >= 2 * p["round_trips"], f"{n}: {p['ipis']} IPIs for {p['round_trips']} round trips")
    r[n] = p
# polling (either side) shortens the round trip; the guest's polling burns guest-mode CPU, KVM's does not
check(r["host"]["rtt_mean_ns"] < 0.6 * r["none"]["rtt_mean_ns"], "host polling did not shorten the round trip")
check(r["guest"]["rtt_mean_ns"] < 0.6 * r["none"]["rtt_mean_ns"], "guest haltpoll did not shorten the round trip")
check(r["guest"]["cpu_ps"]["guest"] > 5 * r["host"]["cpu_ps"]["guest"], "guest haltpoll did not poll in guest mode")
check(r["host"]["cpu_ps"]["host"] > 5 * r["none"]["cpu_ps"]["host"], "host polling costs no host CPU")
sys.exit(0 if ok else 1)
PY

# compare takes the round trips (--metric rtt): no polling is a regression against host polling
"$K" compare "$T/host.json" "$T/none.json" --metric rtt > "$T/cmp" 2>&1
[ $? -eq 1 ] || fail "compare --metric rtt: no regression found without polling"
grep -qE '^rtt +n +[1-9]' "$T/cmp" || fail "compare shows no rtt rows"
"$K" compare "$T/host.json" "$T/host.json" --metric rtt > /dev/null 2>&1 || fail "compare --metric rtt of a run with itself"
# and a sweep's results carry them
"$K" sweep "$sc" --grid kvm.halt_poll_ns=0,200000 --set duration=50ms -o "$T/sw" --quiet > /dev/null 2>&1 || fail "sweep"
python3 - "$T/sw/results.csv" <<'PY' || fail "sweep columns"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
ok = len(rows) == 2 and all(float(r["rtt_n"]) > 0 and float(r["transactions_per_s"]) > 0 for r in rows)
ok = ok and float(rows[0]["rtt_mean_ns"]) > float(rows[1]["rtt_mean_ns"])
print("" if ok else f"FAIL: {rows}")
sys.exit(0 if ok else 1)
PY

# the table, and the tracepoints of the sender's x2APIC ICR write, on the sender's thread
"$K" run "$sc" --duration 50ms > "$T/out" || fail "summary"
grep -qE '^vm0 +ipi +[1-9][0-9]* ' "$T/out" || fail "no ping-pong row in the summary"
"$K" run "$sc" --quiet --duration 5ms --set warmup=0 --trace "$T/trace.txt" || fail "--trace"
grep -q 'CPU 0/KVM-[0-9]* .*kvm_apic_ipi: *dst 1 vec 251 (Fixed|physical|de-assert|edge|dst)' "$T/trace.txt" ||
  fail "no kvm_apic_ipi from vCPU 0 to 1"
grep -q 'CPU 0/KVM-[0-9]* .*kvm_msr: *msr_write 830 = 0x1000000fb' "$T/trace.txt" || fail "no ICR MSR write"
# trace check reads the IPIs back: every kvm_apic_ipi line, and the halts they reached (the responder's
# every halt ends by one, the sender's wait for the reply too; its think time ends by its timer)
"$K" trace check "$T/trace.txt" --kernel 6.12 > "$T/check" || fail "trace check"
n=$(grep -c 'kvm_apic_ipi:' "$T/trace.txt")
grep -qE "^IPIs: $n sent \(kvm_apic_ipi\); halts an IPI reached: [1-9][0-9]* of [1-9][0-9]*\$" "$T/check" ||
  fail "trace check: $(grep IPIs "$T/check") (expected $n IPIs)"
python3 - "$T/check" <<'PY' || fail "trace check: IPI halts"
import re, sys
m = re.search(r"halts an IPI reached: (\d+) of (\d+)", open(sys.argv[1]).read())
ipi, halts = int(m[1]), int(m[2])
# per round trip: vCPU 1 halts once (woken by the request), vCPU 0 twice (reply; think timer)
sys.exit(0 if 0.55 * halts < ipi < 0.8 * halts else 1)
PY
printf 'x 1 [000] 1.000000: kvm_apic_ipi: dst 1 vec 251 (Fixed|sideways|de-assert|edge|dst)\n' > "$T/bad.trace"
"$K" trace check "$T/bad.trace" --kernel 6.12 > /dev/null 2> "$T/bad.err"
[ $? -eq 2 ] || fail "a malformed kvm_apic_ipi is not bad input"
grep -q 'bad.trace:1: kvm_apic_ipi: expected' "$T/bad.err" || fail "bad kvm_apic_ipi: $(cat "$T/bad.err")"
# with PV send-IPI: a VMCALL and kvm_hypercall (nr 10 = KVM_HC_SEND_IPI), no ICR write
"$K" run "$sc" --quiet --duration 5ms --set warmup=0 --set vm.pingpong.pv_send_ipi=true --trace "$T/pv.txt" || fail "pv"
grep -q 'kvm_hypercall: *nr 0xa a0 0x1 a1 0x0 a2 0x1 a3 0xfb' "$T/pv.txt" || fail "no KVM_HC_SEND_IPI"
! grep -q 'msr_write 830' "$T/pv.txt" || fail "PV send-IPI still writes the ICR"

finish ipi_cli_test
