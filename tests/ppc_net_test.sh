#!/bin/bash
# tests/ppc_net_test.sh - netperf TCP_RR between two powerpc guests (issue 13, seed 000;
# workloads/scenario/machine_ppc_net.c): transactions counted = transactions/s x time; every
# round trip at least its path's fixed costs (summed from the power8 profile); the vcore's
# polling lowers the mean round trip (the direction, not the value); a seed repeats a run
# exactly; every pCPU's time adds up; bad input exits 2 with one line naming the key.
. "$(dirname "$0")/lib.sh"

f="$S/workloads/scenarios/tcp-rr-power8.yaml"
run() { "$K" run "$f" --no-progress --set duration=60ms --set warmup=10ms "$@"; }
run --json "$T/on.json" >"$T/out" 2>"$T/err" || fail "tcp-rr-power8: exit $? ($(cat "$T/err"))"
[ -s "$T/err" ] && fail "tcp-rr-power8 wrote to stderr: $(cat "$T/err")"
grep -q "^netperf TCP_RR client -> server: request 1 B, response 1 B, outstanding 1" "$T/out" || fail "no TCP_RR block"
run --set kvm_hv.halt_poll_max_ns=0 --json "$T/off.json" >/dev/null 2>&1 || fail "polling off: exit $?"
run --json "$T/again.json" >/dev/null 2>&1 || fail "the same seed again"
run --seed 7 --set vms.0.tcp_rr.request_size=4096 --json "$T/big.json" >/dev/null 2>&1 || fail "4 KiB requests"
"$K" profiles power8 >"$T/p8.yaml" || fail "profiles power8"

python3 - "$T" <<'PY' || fail "TCP_RR on powerpc"
import json, re, sys
t = sys.argv[1]
on, off, again, big = (json.load(open(f"{t}/{n}.json")) for n in ("on", "off", "again", "big"))
prof = dict((k, float(v)) for k, v in re.findall(r"\n  (\w+):\n    time: ([0-9.]+)ns", open(f"{t}/p8.yaml").read()))
for d in (on, off, big):
    span = d["scenario"]["duration_ps"] - d["scenario"]["warmup_ps"]
    for p in d["pcpus"]:  # every picosecond of each pCPU in one bucket
        assert sum(p["cpu_ps"].values()) == span, (p["cpu"], sum(p["cpu_ps"].values()), span)
    a = d["tcp_rr"][0]
    # round trips counted = transactions/s x the measured time (50 ms)
    assert a["transactions"] > 100 and abs(a["transactions_per_s"] * span / 1e12 - a["transactions"]) < 1e-6 * a["transactions"] + 1
    assert a["transactions"] == a["rtt"]["count"] == sum(c for _, _, c in a["rtt"]["histogram"])
    # one transaction in flight: at most one per mean round trip
    assert a["transactions_per_s"] <= 1e9 / a["rtt_ns"]["mean"] * 1.001
    # every round trip at least the fixed costs of its two one-way paths
    one_way = sum(prof[k] for k in ("guest_net_send", "vcore_exit", "io_exit", "vhost_kick", "vhost_net_tx",
                                    "net_bridge_fwd", "vhost_kick", "vhost_net_rx", "irq_deliver", "vcore_entry",
                                    "guest_irq", "guest_net_rx", "guest_net_wake", "guest_net_recv"))
    assert a["rtt_ns"]["min"] >= 2 * one_way, (a["rtt_ns"]["min"], 2 * one_way)
    assert all(abs(a["per_transaction"][k] - 2) < 0.01 for k in ("interrupts", "notifies")), a["per_transaction"]
a, b = on["tcp_rr"][0], off["tcp_rr"][0]
# the direction of the published result: polling lowers the mean round trip, and costs CPU
assert a["rtt_ns"]["mean"] < b["rtt_ns"]["mean"], (a["rtt_ns"]["mean"], b["rtt_ns"]["mean"])
assert a["cpu"]["host_halt_poll"] > 0.1 and b["cpu"]["host_halt_poll"] == 0
assert all(v["halt_poll_ns"] == 0 for v in off["vcores"]) and any(v["halt_poll_ns"] > 0 for v in on["vcores"])
# 4.8: the ceiling is kvm_hv.halt_poll_max_ns, KVM_HALT_POLL_NS_DEFAULT (500000) unless set
assert {v["halt_poll_max_ns"] for v in on["vcores"]} == {500000} and {v["halt_poll_max_ns"] for v in off["vcores"]} == {0}
# the copies of a 4 KiB request make the round trip longer
assert big["tcp_rr"][0]["rtt_ns"]["min"] > a["rtt_ns"]["min"]
# a seed repeats the run exactly
assert json.dumps(again["tcp_rr"], sort_keys=True) == json.dumps(on["tcp_rr"], sort_keys=True)
assert json.dumps(again["pcpus"], sort_keys=True) == json.dumps(on["pcpus"], sort_keys=True)
# the vhost workers' pCPUs (2 and 3) run them: task time is their work
for p in on["pcpus"][2:]:
    assert p["cpu_ps"]["task"] > 0 and p["cpu_ps"]["guest"] == 0
PY

# transactions: the client stops issuing after that many (counted from the start)
run --set warmup=0 --set vms.0.tcp_rr.transactions=50 --json "$T/n.json" >/dev/null 2>&1 || fail "transactions=50"
python3 -c "import json,sys; a=json.load(open(sys.argv[1]))['tcp_rr'][0]; assert a['transactions']==50, a['transactions']" \
  "$T/n.json" || fail "transactions=50 did not stop at 50"

# bad input: exit 2, one line on stderr naming the key
bad() {
  local key=$1; shift
  run "$@" >/dev/null 2>"$T/err"; local rc=$?
  [ "$rc" -eq 2 ] || fail "$*: exit $rc, expected 2"
  [ "$(wc -l <"$T/err")" -eq 1 ] || fail "$*: stderr not one line: $(cat "$T/err")"
  grep -q "$key" "$T/err" || fail "$*: stderr does not name $key: $(cat "$T/err")"
}
bad vms.0.tcp_rr.outstanding --set vms.0.tcp_rr.outstanding=129
bad vms.1.virtio_net.vector --set vms.1.virtio_net.vector=0x61
bad vm.workload --set vm.workload.type=poisson
bad vm.prod_prob --set vm.prod_prob=0.5
bad vm.tcp_rr.server --set vms.0.tcp_rr.server=client
bad vm.virtio_net.vhost_pcpu --set vms.1.virtio_net.vhost_pcpu=4
bad kvm_hv.halt_poll_max_ns --set kernel=4.14 --set kvm_hv.halt_poll_max_ns=0
bad kvm.halt_poll_ns --set kvm.halt_poll_ns=0
"$K" run "$S/workloads/scenarios/tcp-rr.yaml" --set kvm_hv.halt_poll_max_ns=0 >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "kvm_hv.halt_poll_max_ns" "$T/err" || fail "x86 took kvm_hv.halt_poll_max_ns: $(cat "$T/err")"

finish ppc_net_test
