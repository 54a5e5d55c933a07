#!/bin/bash
# tests/net_cli_test.sh - issue 13 end to end: the TCP_RR scenario runs and reports its
# block and JSON; halt polling shortens the round trip; compare and sweep take TCP_RR's
# results; bad input exits 2 with one line naming the file, line and key.
. "$(dirname "$0")/lib.sh"

f="$S/workloads/scenarios/tcp-rr.yaml"
"$K" run "$f" --set duration=100ms --set warmup=20ms --json "$T/on.json" >"$T/out" 2>"$T/err" || fail "tcp-rr: exit $?"
grep -q "^netperf TCP_RR client -> server: request 1 B, response 1 B, outstanding 1" "$T/out" || fail "no TCP_RR block"
grep -q "round trip (us): mean" "$T/out" || fail "no round trip line"
"$K" run "$f" --set duration=100ms --set warmup=20ms --set kvm.halt_poll_ns=0 --json "$T/off.json" >/dev/null \
  || fail "halt polling off"
python3 - "$T/on.json" "$T/off.json" <<'PY' || fail "TCP_RR JSON"
import json, sys
on, off = (json.load(open(f)) for f in sys.argv[1:])
a, b = on['tcp_rr'][0], off['tcp_rr'][0]
assert a['client'] == 'client' and a['server'] == 'server' and a['outstanding'] == 1
# transactions/s is transactions over the 80 ms measured
assert a['transactions'] > 0 and abs(a['transactions_per_s'] * 0.08 - a['transactions']) < 1
r = a['rtt_ns']
assert 0 < r['min'] <= r['p50'] <= r['p90'] <= r['p99'] <= r['max'] and r['min'] <= r['mean'] <= r['max']
# the closed loop: one transaction in flight, so the rate is at most 1 / mean round trip
assert a['transactions_per_s'] <= 1e9 / r['mean'] * 1.01
# halt polling: shorter round trips, more host CPU spent polling
assert r['mean'] < b['rtt_ns']['mean'] and a['cpu']['host_halt_poll'] > 0.1 and b['cpu']['host_halt_poll'] == 0
assert a['per_transaction']['interrupts'] > 1.5
assert a['from'] == 'client/vcpu0' and 'rtt' in a
PY

"$K" compare --metric rtt "$T/on.json" "$T/off.json" >"$T/cmp" 2>&1; rc=$?
[ "$rc" -le 1 ] && grep -q "^rtt " "$T/cmp" || fail "compare: rc $rc, no rtt: $(head -3 "$T/cmp")"
"$K" sweep "$f" --set warmup=10ms --set duration=40ms --grid kvm.halt_poll_ns=0,200000 -o "$T/sw" --quiet \
  >/dev/null 2>&1 || fail "sweep"
python3 - "$T/sw/results.csv" <<'PY' || fail "sweep columns"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 2 and all(float(r['tcp_rr_tps']) > 0 and float(r['tcp_rr_rtt_p99_ns']) > 0 for r in rows)
assert float(rows[0]['tcp_rr_rtt_mean_ns']) > float(rows[1]['tcp_rr_rtt_mean_ns'])
PY

# bad input: one line naming file, line and key; exit 2
cp "$f" "$T/bad.yaml"
sed -i 's/server: server/server: nobody/' "$T/bad.yaml"
line=$(grep -n 'server: nobody' "$T/bad.yaml" | cut -d: -f1)
"$K" run "$T/bad.yaml" >/dev/null 2>"$T/err"; rc=$?
[ "$rc" -eq 2 ] || fail "unknown server: exit $rc"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "unknown server: not one line: $(cat "$T/err")"
grep -q "bad.yaml:$line: vm.tcp_rr.server: \"nobody\": no VM has that name" "$T/err" || fail "unknown server: $(cat "$T/err")"

cp "$f" "$T/self.yaml"
sed -i 's/server: server/server: client/' "$T/self.yaml"
"$K" run "$T/self.yaml" >/dev/null 2>"$T/err"; rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "vm.tcp_rr.server: \"client\": that is this VM" "$T/err" \
  || fail "self as server: rc $rc: $(cat "$T/err")"

expect_err 2 "kvmsim run: --set vms.0.tcp_rr.outstanding: 0 is out of range: expected 1..128" -- \
  "$K" run "$f" --set vms.0.tcp_rr.outstanding=0
"$K" run "$f" --set vms.1.virtio_net.vhost_pcpu=9 >/dev/null 2>"$T/err"; rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "vm.virtio_net.vhost_pcpu: pCPU 9, but the host has 4" "$T/err" \
  || fail "vhost_pcpu 9: rc $rc: $(cat "$T/err")"
"$K" run "$f" --set vms.1.fio.numjobs=1 >/dev/null 2>"$T/err"; rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "vm.fio.numjobs" "$T/err" \
  || fail "fio with TCP_RR: rc $rc: $(cat "$T/err")"

finish net_cli_test
