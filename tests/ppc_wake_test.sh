#!/bin/bash
# tests/ppc_wake_test.sh - what the 4.8 kernel does between vhost's irqfd signal and the
# vcore running again on POWER8 (issue 13, seed 000; docs/published-data.md §5):
#  - XICS irqfds are injected in the vhost worker's own context (no kworker): the vhost
#    pCPUs run nothing but the workers, each switching in once per wake-up;
#  - a sleeping runner's CPU leaves idle (snooze's exit_latency) before the switch (ctxsw):
#    with exits not spread, polling off costs each of the two wake-ups per round trip
#    exactly that, less the poll loop's check, and nothing else.
. "$(dirname "$0")/lib.sh"

f="$S/workloads/scenarios/tcp-rr-power8.yaml"
run() { "$K" run "$f" --no-progress --set duration=60ms --set warmup=10ms --set host.idle_exit_spread=0 "$@"; }
run --json "$T/on.json" >"$T/out" 2>"$T/err" || fail "polling on: exit $? ($(cat "$T/err"))"
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
    # the injection is the worker's: its pCPU switches only to it, once per wake-up (TX on the
    # sender's worker, RX on the receiver's: two per pCPU per transaction), no kworker
    for p in d["pcpus"][2:]:
        assert abs(p["context_switches"] - 2 * a["transactions"]) <= 4, (p["cpu"], p["context_switches"], a["transactions"])
    # every wake-up of a worker leaves snooze: its exit (not spread here) each time
    for p in d["pcpus"][2:]:
        exits_ns = p["cpu_ps"]["idle_exit"] / 1000
        assert abs(exits_ns - p["context_switches"] * snooze) <= 2 * snooze, (p["cpu"], exits_ns, p["context_switches"])
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
