#!/bin/bash
# tests/ppc_wake_test.sh - what the 4.8 kernel does between vhost's irqfd signal and the
# vcore running again on POWER8 (issue 13, seed 000; docs/published-data.md §5):
#  - XICS irqfds are injected by a kworker on the vhost worker's CPU: its CPU time is one
#    irq_deliver per interrupt, and every one-way path pays its switch-in and injection;
#  - a sleeping runner's CPU leaves idle (snooze's exit_latency) before the switch (ctxsw):
#    with exits not spread, polling off costs each of the two wake-ups per round trip
#    exactly that, less the poll loop's check, and nothing else.
. "$(dirname "$0")/lib.sh"

f="$S/workloads/scenarios/tcp-rr-power8.yaml"
run() { "$K" run "$f" --no-progress --set duration=60ms --set warmup=10ms --set host.idle_exit_spread=0 "$@"; }
run --json "$T/on.json" >"$T/out" 2>"$T/err" || fail "polling on: exit $? ($(cat "$T/err"))"
grep -q "+ irqfd kworkers [0-9.]*$" "$T/out" || fail "no irqfd kworkers in the host cpu line: $(grep 'host cpu' "$T/out")"
run --set kvm_hv.halt_poll_max_ns=0 --json "$T/off.json" >/dev/null 2>&1 || fail "polling off: exit $?"
"$K" profiles power8 >"$T/p8.yaml" || fail "profiles power8"

python3 - "$T" <<'PY' || fail "POWER8 wake-up path"
import json, re, sys
t = sys.argv[1]
on, off = (json.load(open(f"{t}/{n}.json")) for n in ("on", "off"))
text = open(f"{t}/p8.yaml").read()
prof = dict((k, float(v) * (1000 if u == "us" else 1)) for k, v, u in re.findall(r"\n  (\w+):\n    time: ([0-9.]+)(ns|us)\n", text))
snooze = float(re.search(r"name: snooze, exit_latency: ([0-9.]+)us", text).group(1)) * 1000
assert snooze > 0, "snooze's exit costs the idle loop's exit"
for d in (on, off):
    a = d["tcp_rr"][0]
    span = d["scenario"]["duration_ps"] - d["scenario"]["warmup_ps"]
    # one kworker injection (irq_deliver) per interrupt, two interrupts per transaction
    kw_ns = a["cpu"]["irqfd_kworker"] * span / 1000
    want = 2 * a["transactions"] * prof["irq_deliver"]
    assert abs(kw_ns - want) <= 2 * prof["irq_deliver"] + 1, (kw_ns, want)
    # each one-way path: its fixed costs, plus the kworker's switch-in and injection
    one_way = sum(prof[k] for k in ("guest_net_send", "vcore_exit", "io_exit", "vhost_kick", "vhost_net_tx",
                                    "net_bridge_fwd", "vhost_kick", "vhost_net_rx", "irq_deliver", "vcore_entry",
                                    "guest_irq", "guest_net_rx", "guest_net_wake", "guest_net_recv"))
    one_way += prof["ctxsw"] + prof["irq_deliver"]
    assert a["rtt_ns"]["min"] >= 2 * one_way, (a["rtt_ns"]["min"], 2 * one_way)
# the runners' pCPUs (0, 1) leave idle only with polling off
for p in off["pcpus"][:2]:
    assert p["cpu_ps"]["idle_exit"] > 0, p["cpu_ps"]
for p in on["pcpus"][:2]:
    assert p["cpu_ps"]["idle_exit"] == 0, p["cpu_ps"]
# the whole difference: two wake-ups, each the idle exit and the switch instead of the poll's check
diff = off["tcp_rr"][0]["rtt_ns"]["mean"] - on["tcp_rr"][0]["rtt_ns"]["mean"]
per_wake = snooze + prof["ctxsw"] - prof["vcore_poll_check"]
assert abs(diff - 2 * per_wake) < 0.1 * per_wake, (diff, 2 * per_wake)
print(f"difference {diff:.0f} ns, two wake-ups {2 * per_wake:.0f} ns")
PY
finish ppc_wake_test
